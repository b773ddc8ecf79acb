/* SPDX-License-Identifier: MIT */
/*
 * test_cache.c - the parse cache: exact round trips of parse results, lookups by stat and by
 * content, atomic saves, and damaged or foreign cache files read as misses (never a crash: run
 * under the sanitizer build, every mutation below is also a memory-safety check).
 */
#include "check.h"
#include "impviz.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utime.h>

static const char source[] = "import os, a.b as ab\n"
                             "__lazy_modules__ = ['top.pkg']\n"
                             "from . import sibling\n"
                             "from ..pkg.mod import (x, y as z)\n"
                             "from star import *\n"
                             "try:\n"
                             "    import fast\n"
                             "except ImportError:\n"
                             "    fast = None\n"
                             "except (AttributeError, KeyError):\n"
                             "    pass\n"
                             "else:\n"
                             "    slow = None\n"
                             "if TYPE_CHECKING:\n"
                             "    from typing_only import T\n"
                             "class C(os.PathLike, metaclass=ab.Meta):\n"
                             "    def f(self):\n"
                             "        import deferred\n"
                             "        importlib.import_module('dyn.amic')\n"
                             "value = os.path.join('\xc3\xa9t\xc3\xa9', ab.c)\n"
                             "def broken(:\n"
                             "    pass\n";

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Every field of two parse results, compared. */
static bool same_file(const impviz_file *a, const impviz_file *b)
{
    if (a->error_count != b->error_count || a->first_error_line != b->first_error_line ||
        a->too_deep != b->too_deep || a->invalid_utf8_line != b->invalid_utf8_line ||
        a->imports->len != b->imports->len || a->events->len != b->events->len ||
        !same_str(a->package, b->package))
        return false;
    for (guint i = 0; i < a->imports->len; i++) {
        const impviz_import *x = &g_array_index(a->imports, impviz_import, i);
        const impviz_import *y = &g_array_index(b->imports, impviz_import, i);
        if (x->line != y->line || x->kind != y->kind || x->level != y->level ||
            x->flags != y->flags || !same_str(x->module, y->module) ||
            !same_str(x->name, y->name) || !same_str(x->asname, y->asname) ||
            !same_str(x->statement, y->statement))
            return false;
    }
    for (guint i = 0; i < a->events->len; i++) {
        const impviz_event *x = &g_array_index(a->events, impviz_event, i);
        const impviz_event *y = &g_array_index(b->events, impviz_event, i);
        if (x->type != y->type || x->line != y->line || x->import_index != y->import_index ||
            x->uncertain != y->uncertain || x->class_body != y->class_body || x->none != y->none ||
            x->next != y->next || x->catches != y->catches || !same_str(x->name, y->name) ||
            !same_str(x->context, y->context))
            return false;
    }
    return true;
}

static impviz_file *parse(const char *text)
{
    impviz_parser *p = impviz_parser_new();
    const char *why = NULL;
    impviz_file *f = impviz_parser_parse(p, text, strlen(text), "top.pkg", &why);
    impviz_parser_free(p);
    return f;
}

static void test_round_trip(void)
{
    impviz_file *f = parse(source);
    CHECK(f != NULL);
    CHECK(f->imports->len >= 10);
    CHECK(f->events->len >= 5);
    CHECK(f->error_count >= 1);
    /* `from . import sibling` is lazy in package top.pkg: the parse depended on the package */
    CHECK_STR(f->package, "top.pkg");
    CHECK(g_array_index(f->imports, impviz_import, 2).kind == IMPVIZ_LAZY);
    GBytes *bytes = impviz_file_serialize(f);
    gsize len;
    const guint8 *data = g_bytes_get_data(bytes, &len);
    impviz_file *g = impviz_file_deserialize(data, len);
    CHECK(g != NULL);
    CHECK(g && same_file(f, g));
    /* the copy owns its strings: it outlives the original */
    impviz_file_free(f);
    if (g)
        CHECK_STR(g_array_index(g->imports, impviz_import, 0).module, "os");
    impviz_file_free(g);

    /* every truncation and every single-byte change either fails or gives a consistent file */
    for (gsize cut = 0; cut < len; cut++) {
        impviz_file *h = impviz_file_deserialize(data, cut);
        CHECK(h == NULL);
        impviz_file_free(h);
    }
    guint8 *copy = g_memdup2(data, len);
    for (gsize i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            copy[i] ^= (guint8)(1u << bit);
            impviz_file *h = impviz_file_deserialize(copy, len);
            if (h) /* strings must be readable and events must point at imports */
                for (guint k = 0; k < h->events->len; k++) {
                    const impviz_event *e = &g_array_index(h->events, impviz_event, k);
                    if (e->type == IMPVIZ_EV_IMPORT)
                        CHECK(e->import_index < h->imports->len);
                    if (e->name)
                        CHECK(strlen(e->name) < len);
                }
            impviz_file_free(h);
            copy[i] ^= (guint8)(1u << bit);
        }
    }
    g_free(copy);
    g_bytes_unref(bytes);

    /* an empty file round-trips too */
    impviz_file *empty = parse("");
    bytes = impviz_file_serialize(empty);
    data = g_bytes_get_data(bytes, &len);
    g = impviz_file_deserialize(data, len);
    CHECK(g && same_file(empty, g));
    impviz_file_free(g);
    impviz_file_free(empty);
    g_bytes_unref(bytes);
}

static char *write_source(const char *dir, const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    CHECK(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static char *cache_file(const char *dir)
{
    return g_build_filename(dir, "parse.cache", NULL);
}

/* Saves a cache holding a.py and b.py; returns their parses in *fa, *fb. */
static void save_two(const char *dir, const char *pa, const char *pb, impviz_file **fa,
                     impviz_file **fb)
{
    impviz_diags *diags = impviz_diags_new();
    impviz_cache *c = impviz_cache_open(dir, 2, diags);
    impviz_stat st;
    *fa = parse(source);
    *fb = parse("import b_only\n");
    CHECK(impviz_stat_path(pa, &st));
    impviz_cache_put(c, 0, pa, &st, impviz_hash_bytes(source, strlen(source)), *fa);
    CHECK(impviz_stat_path(pb, &st));
    impviz_cache_put(c, 1, pb, &st, impviz_hash_bytes("import b_only\n", 14), *fb);
    CHECK_INT(impviz_cache_save(c, diags), IMPVIZ_OK);
    impviz_cache_free(c);
    impviz_diags_free(diags);
}

/* Looks a.py up by stat and by content; returns how many of the two lookups hit. */
static int lookups(const char *dir, const char *pa, const impviz_file *want, guint *notes)
{
    impviz_diags *diags = impviz_diags_new();
    impviz_cache *c = impviz_cache_open(dir, 2, diags);
    impviz_stat st;
    CHECK(impviz_stat_path(pa, &st));
    int hits = 0;
    impviz_file *f = impviz_cache_get(c, 0, pa, &st, NULL);
    if (f) {
        CHECK(same_file(f, want));
        hits++;
    }
    impviz_file_free(f);
    guint64 h = impviz_hash_bytes(source, strlen(source));
    f = impviz_cache_get(c, 0, pa, &st, &h);
    if (f) {
        CHECK(same_file(f, want));
        hits++;
    }
    impviz_file_free(f);
    impviz_cache_free(c);
    *notes = impviz_diags_count(diags, IMPVIZ_NOTE);
    impviz_diags_free(diags);
    return hits;
}

static void test_cache_file(void)
{
    char *dir = g_dir_make_tmp("impviz-cache-XXXXXX", NULL);
    char *cdir = g_build_filename(dir, "cache", NULL); /* created by the save */
    char *pa = write_source(dir, "a.py", source);
    char *pb = write_source(dir, "b.py", "import b_only\n");
    /* files last changed an hour ago: trusted by stat alone, and by content */
    struct utimbuf hour_ago = {.actime = time(NULL) - 3600, .modtime = time(NULL) - 3600};
    CHECK(g_utime(pa, &hour_ago) == 0 && g_utime(pb, &hour_ago) == 0);
    impviz_file *fa, *fb;
    save_two(cdir, pa, pb, &fa, &fb);
    char *cf = cache_file(cdir);
    CHECK(g_file_test(cf, G_FILE_TEST_IS_REGULAR));
    guint notes = 0;
    CHECK_INT(lookups(cdir, pa, fa, &notes), 2);
    CHECK_INT(notes, 0);

    /* rewritten with the same bytes: stat differs, the content still hits */
    g_free(write_source(dir, "a.py", source));
    CHECK_INT(lookups(cdir, pa, fa, &notes), 1);

    /* saved just after a change: too recent to trust by stat (a later change within the file
     * system's time stamp granularity would look the same), so only the content hits */
    impviz_file_free(fa);
    impviz_file_free(fb);
    save_two(cdir, pa, pb, &fa, &fb);
    CHECK_INT(lookups(cdir, pa, fa, &notes), 1);
    CHECK(g_utime(pa, &hour_ago) == 0 && g_utime(pb, &hour_ago) == 0);
    impviz_file_free(fa);
    impviz_file_free(fb);
    save_two(cdir, pa, pb, &fa, &fb);

    /* another path, or a changed stat and changed content: misses */
    impviz_diags *d2 = impviz_diags_new();
    impviz_cache *c = impviz_cache_open(cdir, 2, d2);
    impviz_stat st;
    CHECK(impviz_stat_path(pa, &st));
    CHECK(impviz_cache_get(c, 0, "/no/such/file.py", &st, NULL) == NULL);
    st.size++;
    guint64 other = 42;
    CHECK(impviz_cache_get(c, 0, pa, &st, NULL) == NULL);
    CHECK(impviz_cache_get(c, 0, pa, &st, &other) == NULL);
    impviz_cache_free(c);
    impviz_diags_free(d2);

    /* damage: each byte of the cache file flipped, and every truncation, reads as misses or
     * hits with the right content, never as anything else */
    gchar *good = NULL;
    gsize len = 0;
    CHECK(g_file_get_contents(cf, &good, &len, NULL));
    guint ignored = 0;
    for (gsize i = 0; i < len; i += (i < 200 ? 1 : 7)) {
        gchar *bad = g_memdup2(good, len);
        bad[i] ^= 0x5a;
        CHECK(g_file_set_contents(cf, bad, (gssize)len, NULL));
        lookups(cdir, pa, fa, &notes); /* checks any hit against the real parse */
        ignored += notes > 0;
        g_free(bad);
    }
    CHECK(ignored > 0); /* header and index damage is noticed and said */
    for (gsize cut = 0; cut < len; cut += 13) {
        CHECK(g_file_set_contents(cf, good, (gssize)cut, NULL));
        lookups(cdir, pa, fa, &notes);
        CHECK_INT(notes, 1); /* a short file is always noticed */
    }

    /* another format version is ignored, with a note */
    gchar *other_version = g_memdup2(good, len);
    other_version[8] ^= 0x7f;
    CHECK(g_file_set_contents(cf, other_version, (gssize)len, NULL));
    CHECK_INT(lookups(cdir, pa, fa, &notes), 0);
    CHECK_INT(notes, 1);
    g_free(other_version);

    /* a save after damage replaces the file with a good one */
    impviz_file_free(fa);
    impviz_file_free(fb);
    save_two(cdir, pa, pb, &fa, &fb);
    CHECK_INT(lookups(cdir, pa, fa, &notes), 2);
    CHECK_INT(notes, 0);
    /* no temporary file is left behind */
    GDir *d = g_dir_open(cdir, 0, NULL);
    const char *name;
    int files = 0;
    while ((name = g_dir_read_name(d)))
        files++;
    g_dir_close(d);
    CHECK_INT(files, 3); /* parse.cache, CACHEDIR.TAG, .gitignore */

    /* an unwritable directory: the save fails with a note, nothing worse */
    impviz_diags *d3 = impviz_diags_new();
    impviz_cache *c3 = impviz_cache_open("/proc/impviz-no-such-dir", 1, d3);
    impviz_file *f3 = parse("import x\n");
    CHECK(impviz_stat_path(pa, &st));
    impviz_cache_put(c3, 0, pa, &st, 1, f3);
    CHECK_INT(impviz_cache_save(c3, d3), IMPVIZ_EOUTPUT);
    CHECK_INT(impviz_diags_count(d3, IMPVIZ_NOTE), 1);
    impviz_file_free(f3);
    impviz_cache_free(c3);
    impviz_diags_free(d3);

    impviz_file_free(fa);
    impviz_file_free(fb);
    g_free(good);
    g_free(cf);
    g_free(pa);
    g_free(pb);
    g_free(cdir);
    g_free(dir);
}

static void test_default_dir(void)
{
    GPtrArray *roots = g_ptr_array_new();
    g_ptr_array_add(roots, (gpointer) "/some/root");
    char *a = impviz_cache_default_dir(roots);
    g_ptr_array_add(roots, (gpointer) "/other/root");
    char *b = impviz_cache_default_dir(roots);
    CHECK(strcmp(a, b) != 0);
    char *prefix = g_build_filename(g_get_user_cache_dir(), "impviz/", NULL);
    CHECK(g_str_has_prefix(a, prefix));
    CHECK_INT(strlen(a) - strlen(prefix), 16);
    g_free(prefix);
    g_free(a);
    g_free(b);
    g_ptr_array_unref(roots);
}

static void test_hash(void)
{
    /* every length up to a few blocks, and a change in any byte, changes the hash */
    char buf[100];
    for (int i = 0; i < 100; i++)
        buf[i] = (char)('a' + i % 26);
    GHashTable *seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    for (size_t n = 0; n <= sizeof buf; n++) {
        gint64 *h = g_new(gint64, 1);
        *h = (gint64)impviz_hash_bytes(buf, n);
        CHECK(!g_hash_table_contains(seen, h));
        g_hash_table_add(seen, h);
    }
    for (size_t i = 0; i < sizeof buf; i++) {
        buf[i] ^= 1;
        gint64 *h = g_new(gint64, 1);
        *h = (gint64)impviz_hash_bytes(buf, sizeof buf);
        CHECK(!g_hash_table_contains(seen, h));
        g_hash_table_add(seen, h);
        buf[i] ^= 1;
    }
    g_hash_table_unref(seen);
}

int main(void)
{
    test_round_trip();
    test_cache_file();
    test_default_dir();
    test_hash();
    return check_done("test_cache");
}
