/* SPDX-License-Identifier: MIT */
/* test_json_stream.c - the JSON stream against json_dumps itself: random documents written both
 * ways must give the same bytes. */
#include "check.h"
#include "json_stream.h"

#include <jansson.h>

#define FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)

/* Strings that exercise jansson's encoder: escapes, control bytes, non-ASCII in and out of the
 * BMP, bytes that are not UTF-8, the empty string. They live as long as the test (kept). */
static const char *const texts[] = {
    "",
    "pkg.module",
    "from . import (a, b)",
    "quote \" backslash \\ slash /",
    "tab\tnewline\nreturn\rbell\x07",
    "caf\xc3\xa9 \xe2\x82\xac",
    "\xf0\x9f\x90\x8d snake",
    "bad \xff byte \xc3",
    "key",
    "delete \x7f and unit separator \x1f",
    " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~",
};

/* Pieces random strings are made of: one of each class of byte jansson treats alike (verbatim
 * ASCII, the quote, the backslash, the slash, control bytes with short and \u escapes, DEL,
 * UTF-8 of two, three and four bytes, bytes that are not UTF-8). */
static const char *const pieces[] = {
    "a",
    "Z",
    " ",
    "~",
    "\x7f",
    "\"",
    "\\",
    "/",
    "\n",
    "\t",
    "\r",
    "\b",
    "\f",
    "\x01",
    "\x1f",
    "\xc3\xa9",
    "\xe2\x82\xac",
    "\xf0\x9f\x90\x8d",
    "\xff",
    "\xc3",
    "\xed\xa0\x80",
    "from . import x",
};

/* A new random string of up to 12 pieces. */
static char *random_text(GRand *rand)
{
    GString *t = g_string_new(NULL);
    for (guint n = (guint)g_rand_int_range(rand, 0, 13); n; n--)
        g_string_append(t, pieces[g_rand_int_range(rand, 0, G_N_ELEMENTS(pieces))]);
    return g_string_free(t, FALSE);
}

static const char *const keys[] = {"source", "target", "line", "kind", "a\"b", "\xc3\xa9t\xc3\xa9"};

static json_t *string_of(const char *t)
{
    char *valid = g_utf8_make_valid(t, -1);
    json_t *j = json_string(valid);
    g_free(valid);
    return j;
}

/* Adds one random value to the stream and returns the same value as a jansson tree. Random
 * strings go into made, which outlives the stream. */
static json_t *value(GRand *rand, impviz_json_stream *s, const char *key, guint depth,
                     GPtrArray *made)
{
    guint pick = (guint)g_rand_int_range(rand, 0, depth < 4 ? 11 : 8);
    switch (pick) {
    case 6:
    case 7: {
        /* a new random string, or one made before (its kept encoding comes back) */
        const char *t;
        if (made->len && g_rand_boolean(rand)) {
            t = g_ptr_array_index(made, g_rand_int_range(rand, 0, (gint32)made->len));
        } else {
            t = random_text(rand);
            g_ptr_array_add(made, (gpointer)t);
        }
        if (pick == 6)
            impviz_json_stream_kept(s, key, t);
        else
            impviz_json_stream_string(s, key, t);
        return string_of(t);
    }
    case 0:
    case 1: {
        const char *t = texts[g_rand_int_range(rand, 0, G_N_ELEMENTS(texts))];
        if (pick == 0)
            impviz_json_stream_kept(s, key, t);
        else
            impviz_json_stream_string(s, key, t);
        return string_of(t);
    }
    case 2: {
        static const gint64 numbers[] = {0,     1,     -1,      42,         1000000,   65535,
                                         65536, 12345, 1 << 20, G_MAXINT64, G_MININT64};
        gint64 n = numbers[g_rand_int_range(rand, 0, G_N_ELEMENTS(numbers))];
        impviz_json_stream_int(s, key, n);
        return json_integer(n);
    }
    case 3:
    case 4: {
        bool b = pick == 3;
        impviz_json_stream_bool(s, key, b);
        return json_boolean(b);
    }
    case 5:
        impviz_json_stream_null(s, key);
        return json_null();
    case 8:
    case 9: {
        json_t *array = json_array();
        impviz_json_stream_array(s, key);
        for (guint n = (guint)g_rand_int_range(rand, 0, 4); n; n--)
            json_array_append_new(array, value(rand, s, NULL, depth + 1, made));
        impviz_json_stream_end(s);
        return array;
    }
    default: {
        json_t *object = json_object();
        impviz_json_stream_object(s, key);
        guint n = (guint)g_rand_int_range(rand, 0, 4);
        for (guint i = 0; i < n; i++) {
            const char *k = keys[(i + (guint)g_rand_int_range(rand, 0, 3)) % G_N_ELEMENTS(keys)];
            if (json_object_get(object, k)) /* a key once per object */
                continue;
            json_object_set_new(object, k, value(rand, s, k, depth + 1, made));
        }
        impviz_json_stream_end(s);
        return object;
    }
    }
}

static void check_same(json_t *tree, GString *streamed)
{
    char *dumped = json_dumps(tree, FLAGS | JSON_ENCODE_ANY);
    CHECK(dumped != NULL);
    CHECK_STR(streamed->str, dumped ? dumped : "");
    free(dumped);
}

/* A drain that moves the bytes into the GString it is given, and counts its calls. */
typedef struct {
    GString *all;
    guint calls;
} drained;

static void drain_into(GString *out, gpointer data)
{
    drained *d = data;
    CHECK(out->len > 0);
    g_string_append_len(d->all, out->str, (gssize)out->len);
    g_string_truncate(out, 0);
    d->calls++;
}

/* Random documents; every other one through a drained stream whose buffer holds 15 bytes (so
 * pieces fill it, and some do not fit in it at all), compared on the drained bytes and the rest. */
static void test_random(void)
{
    GRand *rand = g_rand_new_with_seed(8);
    guint drains = 0;
    for (guint round = 0; round < 2000; round++) {
        bool drain = round % 2;
        GString *out = g_string_sized_new(15);
        drained d = {g_string_new(NULL), 0};
        GPtrArray *made = g_ptr_array_new_with_free_func(g_free);
        impviz_json_stream *s = drain ? impviz_json_stream_new_drained(out, drain_into, &d)
                                      : impviz_json_stream_new(out);
        json_t *tree = json_object();
        impviz_json_stream_object(s, NULL);
        for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
            if (g_rand_boolean(rand))
                json_object_set_new(tree, keys[i], value(rand, s, keys[i], 1, made));
        impviz_json_stream_end(s);
        impviz_json_stream_free(s);
        g_ptr_array_unref(made);
        g_string_append_len(d.all, out->str, (gssize)out->len);
        check_same(tree, d.all);
        drains += d.calls;
        json_decref(tree);
        g_string_free(d.all, TRUE);
        g_string_free(out, TRUE);
    }
    CHECK(drains > 100); /* 591 with this seed: the buffer grows only for a larger piece */
    g_rand_free(rand);
}

static void test_shapes(void)
{
    /* empty containers, an array at the top, and a kept string that comes back */
    GString *out = g_string_new(NULL);
    impviz_json_stream *s = impviz_json_stream_new(out);
    impviz_json_stream_array(s, NULL);
    impviz_json_stream_array(s, NULL);
    impviz_json_stream_end(s);
    impviz_json_stream_object(s, NULL);
    impviz_json_stream_end(s);
    impviz_json_stream_kept(s, NULL, texts[5]);
    impviz_json_stream_kept(s, NULL, texts[5]);
    impviz_json_stream_end(s);
    impviz_json_stream_free(s);
    CHECK_STR(out->str, "[\n  [],\n  {},\n  \"caf\\u00E9 \\u20AC\",\n  \"caf\\u00E9 \\u20AC\"\n]");
    g_string_free(out, TRUE);
}

/* Containers nested deeper than the indentation written in one piece, a key that is not
 * verbatim, and every byte value alone as a string, kept and not. */
static void test_deep(void)
{
    GString *out = g_string_new(NULL);
    impviz_json_stream *s = impviz_json_stream_new(out);
    json_t *tree = json_array(), *inner = tree;
    char bytes[256][2];
    impviz_json_stream_array(s, NULL);
    for (guint d = 0; d < 40; d++) {
        json_t *object = json_object(), *array = json_array();
        impviz_json_stream_object(s, NULL);
        impviz_json_stream_array(s, "\xc3\xa9\"\n");
        json_object_set_new(object, "\xc3\xa9\"\n", array);
        json_array_append_new(inner, object);
        inner = array;
    }
    for (guint c = 1; c < 256; c++) {
        bytes[c][0] = (char)c;
        bytes[c][1] = '\0';
        impviz_json_stream_kept(s, NULL, bytes[c]);
        impviz_json_stream_string(s, NULL, bytes[c]);
        impviz_json_stream_kept(s, NULL, bytes[c]);
        for (guint k = 0; k < 3; k++)
            json_array_append_new(inner, string_of(bytes[c]));
    }
    for (guint d = 0; d < 40; d++) {
        impviz_json_stream_end(s);
        impviz_json_stream_end(s);
    }
    impviz_json_stream_end(s);
    impviz_json_stream_free(s);
    check_same(tree, out);
    json_decref(tree);
    g_string_free(out, TRUE);
}

int main(void)
{
    test_shapes();
    test_deep();
    test_random();
    return check_done("test_json_stream");
}
