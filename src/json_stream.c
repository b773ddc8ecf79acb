/* SPDX-License-Identifier: MIT */
/*
 * json_stream.c - a JSON document written piece by piece in json_dumps' indented layout.
 *
 * jansson encodes every number and every string that is not all verbatim (json_dump_callback
 * with JSON_ENCODE_ANY, the flags the report has always used); a verbatim string (printable
 * ASCII but '"' and '\\', which jansson copies as they are) is written between quotes here.
 * Encodings live in one GStringChunk, so keeping one costs no allocation of its own.
 *
 * Every value costs two copies into out: what comes before it (the comma, the line break, the
 * indentation and the key, made once per key and depth and cached in prefixes) and the value's
 * own encoding (kept strings and numbers made once and cached). out has room checked once per
 * copy; a drained stream empties it through the drain when it is full, so a report of any size
 * goes out through one buffer.
 *
 * The layout is jansson's own for JSON_INDENT(2): an empty container is "[]" or "{}"; otherwise
 * its opening bracket, then each value on its own line indented two spaces per level, values
 * separated by ",", members written as key ": " value, and the closing bracket on its own line at
 * the container's indentation.
 * tests/unit/test_json_stream.c holds the two byte for byte against json_dumps.
 */
#include "json_stream.h"

#include <jansson.h>
#include <string.h>

#define FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII | JSON_ENCODE_ANY)

typedef struct {
    char close; /* '}' or ']' */
    bool empty; /* nothing in it yet */
} level;

/* Kept strings recently written, by pointer: a look here is cheaper than a scan of the string.
 * Names come back in every import and edge, a statement in each of its import records. */
#define RECENT 4096

/* What comes before a value, by key pointer and depth: keys come back in every element. The
 * few dozen of a report stay: a prefix is looked for in PROBES slots. */
#define PREFIXES 256
#define PROBES 8

/* Integers from 0 to SMALL - 1 (line numbers, counts) find their encoding by index. */
#define SMALL 65536

/* An encoding: NUL-terminated bytes in the stream's chunk, and their length. */
typedef struct {
    const char *str; /* owned by the stream's chunk; NULL when not encoded yet */
    gsize len;
} encoded;

/* The bytes before a value: "," (left out before a container's first value), a line break,
 * the indentation, and for a member its key's encoding and ": ". */
typedef struct {
    const char *key; /* borrowed; NULL for an array element */
    guint depth;     /* the value's depth; 0: the slot is empty */
    guint len;
    char *bytes; /* owned */
} prefix;

struct impviz_json_stream {
    GString *out; /* borrowed; its len is behind pos until sync */
    char *pos;    /* where the next byte goes, in out->str */
    char *end;    /* the last byte of out's allocation, kept for the NUL */
    impviz_json_drain drain;
    gpointer drain_data;
    level *open;         /* the open containers, outermost first */
    guint depth, size;   /* open containers; room in open */
    GStringChunk *bytes; /* every kept encoding's bytes */
    GString *scratch;    /* an encoding being made, before it moves into bytes */
    GHashTable *kept;    /* const char * (borrowed) -> const char *: its encoding, in bytes */
    struct {
        const char *str;   /* borrowed */
        const char *bytes; /* str itself (quote) or its encoding (in bytes) */
        gsize len;
        bool quote; /* bytes go between quotes */
    } recent[RECENT];
    GHashTable *keys; /* const char * (borrowed) -> const char *: its encoding and ": ", in bytes */
    prefix prefixes[PREFIXES];
    GArray *small;       /* encoded, indexed by the integer (0 <= i < SMALL) */
    GHashTable *numbers; /* gint64 * -> const char *: its encoding, in bytes */
    encoded literals[3]; /* false, true, null */
    bool verbatim[256];  /* is_verbatim of every byte */
};

/* ---- out: room, then copies ------------------------------------------------------------- */

/* Brings out's length up to pos, and points pos and end into out again (after a drain or a
 * growth moved or emptied it). */
static void sync(impviz_json_stream *s)
{
    GString *out = s->out;
    out->len = (gsize)(s->pos - out->str);
    out->str[out->len] = '\0';
}

static void point(impviz_json_stream *s)
{
    s->pos = s->out->str + s->out->len;
    s->end = s->out->str + s->out->allocated_len - 1;
}

/* Makes room for n more bytes: drains out when it has a drain, grows it when that is not
 * enough. */
static G_GNUC_NO_INLINE void make_room(impviz_json_stream *s, gsize n)
{
    GString *out = s->out;
    sync(s);
    if (s->drain && out->len) {
        s->drain(out, s->drain_data);
        g_assert(out->len == 0);
    }
    if (out->len + n >= out->allocated_len) {
        gsize len = out->len;
        g_string_set_size(out, len + n);
        g_string_truncate(out, len);
    }
    point(s);
}

/* Where the next n bytes go: pos moves past them once they are written. */
static inline char *room(impviz_json_stream *s, gsize n)
{
    if (G_UNLIKELY((gsize)(s->end - s->pos) < n))
        make_room(s, n);
    return s->pos;
}

static inline void wrote(impviz_json_stream *s, gsize n)
{
    s->pos += n;
}

static inline void put(impviz_json_stream *s, const char *bytes, gsize len)
{
    memcpy(room(s, len), bytes, len);
    wrote(s, len);
}

/* str between quotes: its JSON string when it is all verbatim. */
static inline void put_quoted(impviz_json_stream *s, const char *str, gsize len)
{
    char *p = room(s, len + 2);
    p[0] = '"';
    memcpy(p + 1, str, len);
    p[len + 1] = '"';
    wrote(s, len + 2);
}

/* ---- encodings ------------------------------------------------------------------------- */

static int dump_to_gstring(const char *buffer, size_t size, void *data)
{
    g_string_append_len(data, buffer, (gssize)size);
    return 0;
}

/* Appends jansson's encoding of v to out and drops v. Encoding fails only for values jansson
 * cannot hold (invalid UTF-8, which make_string never passes). */
static void encode(json_t *v, GString *out)
{
    int rc = json_dump_callback(v, dump_to_gstring, out, FLAGS);
    g_assert(rc == 0);
    json_decref(v);
}

static json_t *make_string(const char *str, gsize len)
{
    if (g_utf8_validate(str, (gssize)len, NULL))
        return json_stringn_nocheck(str, len); /* checked just now */
    char *valid = g_utf8_make_valid(str, -1);
    json_t *j = json_string(valid);
    g_free(valid);
    return j;
}

/* Bytes jansson writes as they are under FLAGS: printable ASCII but the quote and the
 * backslash. */
static bool is_verbatim(guchar c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* The length of str when every byte of it is verbatim, else -1. The NUL is not verbatim, so the
 * scan for the first other byte stops at the end. */
static gssize verbatim_len(const impviz_json_stream *s, const char *str)
{
    const guchar *p = (const guchar *)str;
    while (s->verbatim[*p])
        p++;
    return *p ? -1 : (gssize)(p - (const guchar *)str);
}

/* Appends str to scratch as a JSON string: between quotes when it is all verbatim (the bytes
 * jansson would write), through jansson otherwise. */
static void encode_string(const impviz_json_stream *s, const char *str, GString *scratch)
{
    gssize len = verbatim_len(s, str);
    if (len >= 0) {
        g_string_append_c(scratch, '"');
        g_string_append_len(scratch, str, len);
        g_string_append_c(scratch, '"');
    } else {
        encode(make_string(str, strlen(str)), scratch);
    }
}

/* Moves the encoding in scratch into the stream's chunk. */
static encoded keep_scratch(impviz_json_stream *s)
{
    encoded enc = {g_string_chunk_insert_len(s->bytes, s->scratch->str, (gssize)s->scratch->len),
                   s->scratch->len};
    g_string_truncate(s->scratch, 0);
    return enc;
}

static encoded keep_value(impviz_json_stream *s, json_t *v)
{
    encode(v, s->scratch);
    return keep_scratch(s);
}

/* A slot for a pointer and a small number in a table of n (a power of two) slots. Neighbouring
 * pointers (string literals) and numbers must not meet: the number is spread first. */
static inline guint slot_of(const void *p, guint salt, guint n)
{
    guint64 h = (GPOINTER_TO_SIZE(p) ^ (salt * G_GUINT64_CONSTANT(0xD6E8FEB86659FD93))) *
                G_GUINT64_CONSTANT(0x9E3779B97F4A7C15);
    return (guint)(h >> 40) & (n - 1);
}

impviz_json_stream *impviz_json_stream_new_drained(GString *out, impviz_json_drain drain,
                                                   gpointer data)
{
    impviz_json_stream *s = g_new0(impviz_json_stream, 1);
    s->out = out;
    point(s);
    s->drain = drain;
    s->drain_data = data;
    s->size = 8;
    s->open = g_new(level, s->size);
    s->bytes = g_string_chunk_new(64 * 1024);
    s->scratch = g_string_sized_new(256);
    s->kept = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->keys = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->small = g_array_new(FALSE, TRUE, sizeof(encoded));
    s->numbers = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    s->literals[0] = keep_value(s, json_false());
    s->literals[1] = keep_value(s, json_true());
    s->literals[2] = keep_value(s, json_null());
    for (guint c = 0; c < G_N_ELEMENTS(s->verbatim); c++)
        s->verbatim[c] = is_verbatim((guchar)c);
    return s;
}

impviz_json_stream *impviz_json_stream_new(GString *out)
{
    return impviz_json_stream_new_drained(out, NULL, NULL);
}

void impviz_json_stream_free(impviz_json_stream *s)
{
    if (!s)
        return;
    sync(s);
    for (guint i = 0; i < PREFIXES; i++)
        g_free(s->prefixes[i].bytes);
    g_free(s->open);
    g_hash_table_unref(s->kept);
    g_hash_table_unref(s->keys);
    g_hash_table_unref(s->numbers);
    g_array_unref(s->small);
    g_string_free(s->scratch, TRUE);
    g_string_chunk_free(s->bytes);
    g_free(s);
}

/* Appends the encoding of a kept string: the string itself between quotes when it is all
 * verbatim, otherwise jansson's encoding, made once per pointer. Either is remembered in recent. */
static void put_kept(impviz_json_stream *s, const char *str)
{
    guint slot = slot_of(str, 0, RECENT);
    if (s->recent[slot].str != str) {
        gssize len = verbatim_len(s, str);
        if (len >= 0) {
            s->recent[slot].bytes = str;
            s->recent[slot].len = (gsize)len;
            s->recent[slot].quote = true;
        } else {
            encoded enc = {g_hash_table_lookup(s->kept, str), 0};
            if (enc.str) {
                enc.len = strlen(enc.str); /* an encoding holds no NUL: jansson escapes it */
            } else {
                encode(make_string(str, strlen(str)), s->scratch);
                enc = keep_scratch(s);
                g_hash_table_insert(s->kept, (gpointer)str, (gpointer)enc.str);
            }
            s->recent[slot].bytes = enc.str;
            s->recent[slot].len = enc.len;
            s->recent[slot].quote = false;
        }
        s->recent[slot].str = str;
    }
    if (s->recent[slot].quote)
        put_quoted(s, s->recent[slot].bytes, s->recent[slot].len);
    else
        put(s, s->recent[slot].bytes, s->recent[slot].len);
}

/* The encoding of a key followed by ": ", made once per pointer. */
static encoded key_encoding(impviz_json_stream *s, const char *key)
{
    encoded enc = {g_hash_table_lookup(s->keys, key), 0};
    if (enc.str) {
        enc.len = strlen(enc.str);
    } else {
        encode_string(s, key, s->scratch);
        g_string_append(s->scratch, ": ");
        enc = keep_scratch(s);
        g_hash_table_insert(s->keys, (gpointer)key, (gpointer)enc.str);
    }
    return enc;
}

/* Makes p the prefix of key at depth. */
static G_GNUC_NO_INLINE const prefix *make_prefix(impviz_json_stream *s, prefix *p, const char *key,
                                                  guint depth)
{
    encoded enc = key ? key_encoding(s, key) : (encoded){"", 0}; /* made in scratch */
    GString *b = s->scratch;
    g_string_append(b, ",\n");
    for (guint i = 0; i < depth; i++)
        g_string_append(b, "  ");
    g_string_append_len(b, enc.str, (gssize)enc.len);
    g_free(p->bytes);
    p->key = key;
    p->depth = depth;
    p->len = (guint)b->len;
    p->bytes = g_strndup(b->str, b->len);
    g_string_truncate(b, 0);
    return p;
}

/* The prefix of a value at depth (at least 1) named key (NULL in an array). It is looked for in
 * PROBES slots from its own; when they all hold others, the first is made again. */
static inline const prefix *prefix_of(impviz_json_stream *s, const char *key, guint depth)
{
    guint slot = slot_of(key, depth, PREFIXES);
    for (guint i = 0; i < PROBES; i++) {
        prefix *p = &s->prefixes[(slot + i) & (PREFIXES - 1)];
        if (G_LIKELY(p->key == key && p->depth == depth))
            return p;
        if (!p->depth)
            return make_prefix(s, p, key, depth);
    }
    return make_prefix(s, &s->prefixes[slot], key, depth);
}

/* Everything before a value: the separator, the line break and indentation, and the key. */
G_ALWAYS_INLINE static inline void begin(impviz_json_stream *s, const char *key)
{
    if (!s->depth) {
        g_return_if_fail(key == NULL);
        return;
    }
    level *l = &s->open[s->depth - 1];
    g_return_if_fail((key != NULL) == (l->close == '}'));
    const prefix *p = prefix_of(s, key, s->depth);
    gsize skip = l->empty; /* no comma before the first value */
    l->empty = false;
    put(s, p->bytes + skip, p->len - skip);
}

static void open_container(impviz_json_stream *s, const char *key, char open, char close)
{
    begin(s, key);
    *room(s, 1) = open;
    wrote(s, 1);
    if (s->depth == s->size)
        s->open = g_renew(level, s->open, s->size *= 2);
    s->open[s->depth++] = (level){.close = close, .empty = true};
}

void impviz_json_stream_object(impviz_json_stream *s, const char *key)
{
    open_container(s, key, '{', '}');
}

void impviz_json_stream_array(impviz_json_stream *s, const char *key)
{
    open_container(s, key, '[', ']');
}

void impviz_json_stream_end(impviz_json_stream *s)
{
    g_return_if_fail(s->depth > 0);
    level l = s->open[--s->depth];
    if (!l.empty) {
        /* a line break and the indentation of the container itself: an element's prefix one
         * level out, without its comma and key */
        const prefix *p = prefix_of(s, NULL, s->depth + 1);
        put(s, p->bytes + 1, p->len - 3);
    }
    *room(s, 1) = l.close;
    wrote(s, 1);
}

void impviz_json_stream_string(impviz_json_stream *s, const char *key, const char *str)
{
    begin(s, key);
    gssize len = verbatim_len(s, str);
    if (len >= 0) {
        put_quoted(s, str, (gsize)len);
    } else {
        encode(make_string(str, strlen(str)), s->scratch);
        put(s, s->scratch->str, s->scratch->len);
        g_string_truncate(s->scratch, 0);
    }
}

void impviz_json_stream_kept(impviz_json_stream *s, const char *key, const char *str)
{
    begin(s, key);
    put_kept(s, str);
}

/* The encoding of an integer, made by jansson the first time the value comes. */
static encoded number_encoding(impviz_json_stream *s, gint64 value)
{
    if (value >= 0 && value < SMALL) {
        if ((guint)value >= s->small->len)
            g_array_set_size(s->small, MIN((guint)value * 2 + 64, (guint)SMALL));
        encoded *enc = &g_array_index(s->small, encoded, value);
        if (!enc->str)
            *enc = keep_value(s, json_integer((json_int_t)value));
        return *enc;
    }
    encoded enc = {g_hash_table_lookup(s->numbers, &value), 0};
    if (enc.str) {
        enc.len = strlen(enc.str);
    } else {
        enc = keep_value(s, json_integer((json_int_t)value));
        g_hash_table_insert(s->numbers, g_memdup2(&value, sizeof value), (gpointer)enc.str);
    }
    return enc;
}

void impviz_json_stream_int(impviz_json_stream *s, const char *key, gint64 value)
{
    begin(s, key);
    encoded enc = number_encoding(s, value);
    put(s, enc.str, enc.len);
}

void impviz_json_stream_bool(impviz_json_stream *s, const char *key, bool value)
{
    begin(s, key);
    put(s, s->literals[value].str, s->literals[value].len);
}

void impviz_json_stream_null(impviz_json_stream *s, const char *key)
{
    begin(s, key);
    put(s, s->literals[2].str, s->literals[2].len);
}
