/* SPDX-License-Identifier: MIT */
/*
 * test_listing.c - directory listings kept between runs: a listing comes back only for the same
 * stat and never when it was taken too close to the directory's last change; a damaged file of
 * listings is refused whole, at every length and with any byte changed.
 */
#define _DEFAULT_SOURCE /* DT_* */
#include "check.h"
#include "impviz.h"

#include <dirent.h>
#include <glib/gstdio.h>
#include <string.h>

static GArray *entries_of(const char *const *names, const unsigned char *types)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(impviz_dir_entry));
    for (guint i = 0; names[i]; i++) {
        impviz_dir_entry e = {g_strdup(names[i]), types[i]};
        g_array_append_val(a, e);
    }
    return a;
}

static void entries_free(GArray *a)
{
    for (guint i = 0; i < a->len; i++)
        g_free(g_array_index(a, impviz_dir_entry, i).name);
    g_array_unref(a);
}

/* "name/type,..." of a listing, or "none". */
static char *show(GArray *a)
{
    if (!a)
        return g_strdup("none");
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < a->len; i++) {
        const impviz_dir_entry *e = &g_array_index(a, impviz_dir_entry, i);
        g_string_append_printf(s, "%s%s/%u", i ? "," : "", e->name, e->type);
    }
    g_array_unref(a); /* the names are the listings' */
    return g_string_free(s, FALSE);
}

static char *get(const char *dir, const char *path, const impviz_stat *st)
{
    impviz_listings *l = impviz_listings_open(dir);
    char *got =
        show(impviz_listings_find(l, 0, path, st, NULL)); /* before the listings are freed */
    impviz_listings_free(l);
    return got;
}

int main(void)
{
    char *dir = g_dir_make_tmp("impviz-listing-XXXXXX", NULL);
    char *file = g_build_filename(dir, "dirs.cache", NULL);
    gint64 now_ns = g_get_real_time() * 1000;
    impviz_stat old = {.size = 4096,
                       .mtime_ns = now_ns - 3600 * G_GINT64_CONSTANT(1000000000),
                       .ctime_ns = 7,
                       .ino = 42,
                       .dev = 3};
    impviz_stat recent = old;
    recent.mtime_ns = now_ns;
    const char *names[] = {"__init__.py", "locale", "mod.py", "é.py", NULL};
    const unsigned char types[] = {DT_REG, DT_DIR, DT_LNK, DT_UNKNOWN};
    const char *want = "__init__.py/8,locale/4,mod.py/10,é.py/0";

    impviz_listings *l = impviz_listings_open(dir);
    GArray *a = entries_of(names, types), *empty = entries_of((const char *[]){NULL}, NULL);
    impviz_listings_put(l, "/p/pkg", &old, a);
    impviz_listings_put(l, "/p/empty", &old, empty);
    impviz_listings_put(l, "/p/new", &recent, a);
    entries_free(a);
    entries_free(empty);
    impviz_listings_save(l);
    impviz_listings_free(l);

    char *got = get(dir, "/p/pkg", &old);
    CHECK_STR(got, want);
    g_free(got);
    got = get(dir, "/p/empty", &old);
    CHECK_STR(got, "");
    g_free(got);
    /* any stat field that differs: the directory may have changed */
    impviz_stat other = old;
    other.mtime_ns++;
    got = get(dir, "/p/pkg", &other);
    CHECK_STR(got, "none");
    g_free(got);
    other = old;
    other.ino++;
    got = get(dir, "/p/pkg", &other);
    CHECK_STR(got, "none");
    g_free(got);
    /* changed within two seconds of the run that listed it: a later change may share the time */
    got = get(dir, "/p/new", &recent);
    CHECK_STR(got, "none");
    g_free(got);
    got = get(dir, "/p/missing", &old);
    CHECK_STR(got, "none");
    g_free(got);

    /* a run that reuses only some listings saves only those */
    l = impviz_listings_open(dir);
    gconstpointer found = NULL;
    got = show(impviz_listings_find(l, 0, "/p/pkg", &old, &found));
    impviz_listings_keep(l, found); /* as the walk does with a listing found */
    CHECK_STR(got, want);
    g_free(got);
    impviz_listings_save(l);
    impviz_listings_free(l);
    got = get(dir, "/p/empty", &old);
    CHECK_STR(got, "none");
    g_free(got);
    got = get(dir, "/p/pkg", &old);
    CHECK_STR(got, want);
    g_free(got);

    /* damage: every shorter length and every byte changed are refused whole (the checksum covers
     * every byte but the header's own, which are checked field by field) */
    gchar *bytes;
    gsize len;
    CHECK(g_file_get_contents(file, &bytes, &len, NULL));
    guint refused = 0, checks = 0;
    for (gsize cut = 0; cut < len; cut++) {
        CHECK(g_file_set_contents(file, bytes, (gssize)cut, NULL));
        got = get(dir, "/p/pkg", &old);
        refused += strcmp(got, "none") == 0;
        checks++;
        g_free(got);
    }
    for (gsize at = 0; at < len; at++) {
        bytes[at] ^= 0x21;
        CHECK(g_file_set_contents(file, bytes, (gssize)len, NULL));
        got = get(dir, "/p/pkg", &old);
        /* the snapshot time may change harmlessly: it is old either way */
        refused += strcmp(got, "none") == 0 || strcmp(got, want) == 0;
        checks++;
        g_free(got);
        bytes[at] ^= 0x21;
    }
    CHECK(refused == checks);
    g_free(bytes);

    /* the walk's order: a run that keeps every listing in its place leaves the file alone; one
     * that meets them in another order (looked up by path) writes them in that order */
    l = impviz_listings_open(dir); /* the damaged file holds none */
    a = entries_of(names, types);
    impviz_listings_put(l, "/q/a", &old, a);
    impviz_listings_put(l, "/q/b", &old, a);
    entries_free(a);
    impviz_listings_save(l);
    impviz_listings_free(l);
    const char *order[][2] = {{"/q/a", "/q/b"}, {"/q/b", "/q/a"}, {"/q/b", "/q/a"}};
    const bool rewritten[] = {false, true, false};
    for (guint run = 0; run < G_N_ELEMENTS(order); run++) {
        GStatBuf before, after;
        CHECK(g_stat(file, &before) == 0);
        l = impviz_listings_open(dir);
        for (guint seq = 0; seq < 2; seq++) {
            gconstpointer handle = NULL;
            got = show(impviz_listings_find(l, seq, order[run][seq], &old, &handle));
            CHECK_STR(got, want);
            CHECK(handle != NULL);
            impviz_listings_keep(l, handle);
            g_free(got);
        }
        impviz_listings_save(l);
        impviz_listings_free(l);
        CHECK(g_stat(file, &after) == 0);
        CHECK((before.st_ino != after.st_ino) == rewritten[run]); /* a new file is renamed in */
    }

    g_unlink(file);
    g_rmdir(dir);
    g_free(file);
    g_free(dir);
    return check_done("test_listing");
}
