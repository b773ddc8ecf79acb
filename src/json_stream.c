/* SPDX-License-Identifier: MIT */
/*
 * json_stream.c - a JSON document written piece by piece in json_dumps' indented layout.
 *
 * jansson encodes every number and every string that is not all verbatim (json_dump_callback
 * with JSON_ENCODE_ANY, the flags the report has always used); a verbatim string (printable
 * ASCII but '"' and '\\', which jansson copies as they are) is written between quotes here.
 * Encodings live in one GStringChunk, so keeping one costs no allocation of its own.
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

/* Kept strings recently written, by pointer: keys and kinds come back in every element, and a
 * look here is cheaper than a scan of the string. */
#define RECENT 256

/* Integers from 0 to SMALL - 1 (line numbers, counts) find their encoding by index. */
#define SMALL 65536

/* An encoding: NUL-terminated bytes in the stream's chunk, and their length. */
typedef struct {
    const char *str; /* owned by the stream's chunk; NULL when not encoded yet */
    gsize len;
} encoded;

struct impviz_json_stream {
    GString *out;        /* borrowed */
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
    struct {
        const char *str; /* borrowed */
        encoded enc;
    } recent_keys[RECENT];
    GArray *small;       /* encoded, indexed by the integer (0 <= i < SMALL) */
    GHashTable *numbers; /* gint64 * -> const char *: its encoding, in bytes */
    encoded literals[3]; /* false, true, null */
    bool verbatim[256];  /* is_verbatim of every byte */
};

/* g_string_append_len without a call in the common case (GLib 2.76 inlines it the same way). */
static inline void append(GString *out, const char *bytes, gsize len)
{
    if (out->len + len < out->allocated_len) {
        memcpy(out->str + out->len, bytes, len);
        out->len += len;
        out->str[out->len] = '\0';
    } else {
        g_string_append_len(out, bytes, (gssize)len);
    }
}

static int dump_to_gstring(const char *buffer, size_t size, void *data)
{
    append(data, buffer, size);
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

/* Appends str between quotes: its JSON string when it is all verbatim. */
static void append_quoted(GString *out, const char *str, gsize len)
{
    append(out, "\"", 1);
    append(out, str, len);
    append(out, "\"", 1);
}

/* Appends str as a JSON string: between quotes when it is all verbatim (the bytes jansson would
 * write), through jansson otherwise. */
static void encode_string(const impviz_json_stream *s, const char *str, GString *out)
{
    gssize len = verbatim_len(s, str);
    if (len >= 0)
        append_quoted(out, str, (gsize)len);
    else
        encode(make_string(str, strlen(str)), out);
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

impviz_json_stream *impviz_json_stream_new(GString *out)
{
    impviz_json_stream *s = g_new0(impviz_json_stream, 1);
    s->out = out;
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

void impviz_json_stream_free(impviz_json_stream *s)
{
    if (!s)
        return;
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
static void append_kept(impviz_json_stream *s, const char *str)
{
    guint slot =
        (guint)((GPOINTER_TO_SIZE(str) * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15)) >> 24) % RECENT;
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
        append_quoted(s->out, s->recent[slot].bytes, s->recent[slot].len);
    else
        append(s->out, s->recent[slot].bytes, s->recent[slot].len);
}

/* Appends a line break and the indentation of depth, after a comma unless first. */
static void new_line(GString *out, guint depth, bool first)
{
    static const char breaks[] =
        ",\n                                                              ";
    const gsize room = sizeof breaks - 3; /* spaces in breaks */
    gsize n = (gsize)depth * 2;
    if (n <= room) {
        append(out, breaks + first, 2 - first + n);
        return;
    }
    append(out, breaks + first, 2 - first + room);
    for (n -= room; n;) {
        gsize k = MIN(n, room);
        append(out, breaks + 2, k);
        n -= k;
    }
}

/* The encoding of a key followed by ": ", made once per pointer. */
static encoded key_encoding(impviz_json_stream *s, const char *key)
{
    guint slot =
        (guint)((GPOINTER_TO_SIZE(key) * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15)) >> 24) % RECENT;
    if (s->recent_keys[slot].str == key)
        return s->recent_keys[slot].enc;
    encoded enc = {g_hash_table_lookup(s->keys, key), 0};
    if (enc.str) {
        enc.len = strlen(enc.str);
    } else {
        encode_string(s, key, s->scratch);
        g_string_append(s->scratch, ": ");
        enc = keep_scratch(s);
        g_hash_table_insert(s->keys, (gpointer)key, (gpointer)enc.str);
    }
    s->recent_keys[slot].str = key;
    s->recent_keys[slot].enc = enc;
    return enc;
}

/* Everything before a value: the separator, the line break and indentation, and the key. */
static void begin(impviz_json_stream *s, const char *key)
{
    if (!s->depth) {
        g_return_if_fail(key == NULL);
        return;
    }
    level *l = &s->open[s->depth - 1];
    g_return_if_fail((key != NULL) == (l->close == '}'));
    new_line(s->out, s->depth, l->empty);
    l->empty = false;
    if (key) {
        encoded enc = key_encoding(s, key);
        append(s->out, enc.str, enc.len);
    }
}

static void open_container(impviz_json_stream *s, const char *key, char open, char close)
{
    begin(s, key);
    append(s->out, &open, 1);
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
        new_line(s->out, s->depth, true);
    }
    append(s->out, &l.close, 1);
}

void impviz_json_stream_string(impviz_json_stream *s, const char *key, const char *str)
{
    begin(s, key);
    encode_string(s, str, s->out);
}

void impviz_json_stream_kept(impviz_json_stream *s, const char *key, const char *str)
{
    begin(s, key);
    append_kept(s, str);
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
    append(s->out, enc.str, enc.len);
}

void impviz_json_stream_bool(impviz_json_stream *s, const char *key, bool value)
{
    begin(s, key);
    append(s->out, s->literals[value].str, s->literals[value].len);
}

void impviz_json_stream_null(impviz_json_stream *s, const char *key)
{
    begin(s, key);
    append(s->out, s->literals[2].str, s->literals[2].len);
}
