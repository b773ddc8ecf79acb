/* SPDX-License-Identifier: MIT */
/*
 * json_stream.c - a JSON document written piece by piece in json_dumps' indented layout.
 *
 * jansson encodes every scalar and key (json_dump_callback with JSON_ENCODE_ANY, the flags the
 * report has always used); this file only places them. The layout is jansson's own for
 * JSON_INDENT(2): an empty container is "[]" or "{}"; otherwise its opening bracket, then each
 * value on its own line indented two spaces per level, values separated by ",", members written
 * as key ": " value, and the closing bracket on its own line at the container's indentation.
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

/* Kept encodings recently used, by pointer: keys and kinds come back in every element, and a
 * look here is much cheaper than one in the hash table behind it. */
#define RECENT 256

struct impviz_json_stream {
    GString *out;      /* borrowed */
    level *open;       /* the open containers, outermost first */
    guint depth, size; /* open containers; room in open */
    GHashTable *kept;  /* const char * (borrowed) -> GString *: its encoding */
    struct {
        const char *str;
        const GString *enc; /* owned by kept */
    } recent[RECENT];
    GHashTable *numbers;  /* gint64 * -> GString *: its encoding */
    GString *literals[3]; /* false, true, null */
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

static json_t *make_string(const char *str)
{
    size_t len = strlen(str);
    if (g_utf8_validate(str, (gssize)len, NULL))
        return json_stringn_nocheck(str, len); /* checked just now */
    char *valid = g_utf8_make_valid(str, -1);
    json_t *j = json_string(valid);
    g_free(valid);
    return j;
}

static GString *encoding(json_t *v)
{
    GString *enc = g_string_new(NULL);
    encode(v, enc);
    return enc;
}

static void encoding_free(gpointer p)
{
    g_string_free(p, TRUE);
}

impviz_json_stream *impviz_json_stream_new(GString *out)
{
    impviz_json_stream *s = g_new0(impviz_json_stream, 1);
    s->out = out;
    s->size = 8;
    s->open = g_new(level, s->size);
    s->kept = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, encoding_free);
    s->numbers = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, encoding_free);
    s->literals[0] = encoding(json_false());
    s->literals[1] = encoding(json_true());
    s->literals[2] = encoding(json_null());
    return s;
}

void impviz_json_stream_free(impviz_json_stream *s)
{
    if (!s)
        return;
    g_free(s->open);
    g_hash_table_unref(s->kept);
    g_hash_table_unref(s->numbers);
    for (guint i = 0; i < G_N_ELEMENTS(s->literals); i++)
        g_string_free(s->literals[i], TRUE);
    g_free(s);
}

static const GString *kept_encoding(impviz_json_stream *s, const char *str)
{
    guint slot =
        (guint)((GPOINTER_TO_SIZE(str) * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15)) >> 24) % RECENT;
    if (s->recent[slot].str == str)
        return s->recent[slot].enc;
    GString *enc = g_hash_table_lookup(s->kept, str);
    if (!enc) {
        enc = encoding(make_string(str));
        g_hash_table_insert(s->kept, (gpointer)str, enc);
    }
    s->recent[slot].str = str;
    s->recent[slot].enc = enc;
    return enc;
}

static void indent(GString *out, guint depth)
{
    static const char spaces[] = "                                ";
    for (guint n = depth * 2; n;) {
        guint k = MIN(n, (guint)sizeof spaces - 1);
        append(out, spaces, k);
        n -= k;
    }
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
    if (l->empty)
        append(s->out, "\n", 1);
    else
        append(s->out, ",\n", 2);
    l->empty = false;
    indent(s->out, s->depth);
    if (key) {
        const GString *enc = kept_encoding(s, key);
        append(s->out, enc->str, enc->len);
        append(s->out, ": ", 2);
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
        append(s->out, "\n", 1);
        indent(s->out, s->depth);
    }
    append(s->out, &l.close, 1);
}

void impviz_json_stream_string(impviz_json_stream *s, const char *key, const char *str)
{
    begin(s, key);
    encode(make_string(str), s->out);
}

void impviz_json_stream_kept(impviz_json_stream *s, const char *key, const char *str)
{
    begin(s, key);
    const GString *enc = kept_encoding(s, str);
    append(s->out, enc->str, enc->len);
}

void impviz_json_stream_int(impviz_json_stream *s, const char *key, gint64 value)
{
    begin(s, key);
    GString *enc = g_hash_table_lookup(s->numbers, &value);
    if (!enc) {
        enc = encoding(json_integer((json_int_t)value));
        g_hash_table_insert(s->numbers, g_memdup2(&value, sizeof value), enc);
    }
    append(s->out, enc->str, enc->len);
}

void impviz_json_stream_bool(impviz_json_stream *s, const char *key, bool value)
{
    begin(s, key);
    append(s->out, s->literals[value]->str, s->literals[value]->len);
}

void impviz_json_stream_null(impviz_json_stream *s, const char *key)
{
    begin(s, key);
    append(s->out, s->literals[2]->str, s->literals[2]->len);
}
