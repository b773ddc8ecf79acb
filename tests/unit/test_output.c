/* SPDX-License-Identifier: MIT */
/* test_output.c - output files in pieces: a committed file replaces the old one whole, a given-up
 * or failed one leaves it untouched, and no temporary file stays behind either way. */
#include "check.h"
#include "impviz.h"

#include <errno.h>
#include <glib/gstdio.h>

/* The number of entries in dir. */
static guint entries(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    guint n = 0;
    while (d && g_dir_read_name(d))
        n++;
    if (d)
        g_dir_close(d);
    return n;
}

static char *contents(const char *path)
{
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return g_strdup("(unreadable)");
    return text;
}

static void test_commit_and_give_up(const char *dir)
{
    char *path = g_build_filename(dir, "report.json", NULL);
    CHECK(g_file_set_contents(path, "old", -1, NULL));
    impviz_diags *diags = impviz_diags_new();

    /* given up after some pieces: the old file stays, the temporary file goes */
    impviz_output *o = NULL;
    CHECK_INT(impviz_output_open(path, diags, &o), IMPVIZ_OK);
    impviz_output_append(o, "new ", 4);
    CHECK_INT(entries(dir), 2);
    impviz_output_free(o);
    char *text = contents(path);
    CHECK_STR(text, "old");
    g_free(text);
    CHECK_INT(entries(dir), 1);

    /* committed: the pieces in order, whole */
    CHECK_INT(impviz_output_open(path, diags, &o), IMPVIZ_OK);
    GString *big = g_string_new(NULL);
    for (guint i = 0; i < 100000; i++)
        g_string_append_printf(big, "%u,", i);
    impviz_output_append(o, "new ", 4);
    impviz_output_append(o, big->str, big->len);
    impviz_output_append(o, "", 0);
    CHECK_INT(impviz_output_commit(o, diags), IMPVIZ_OK);
    text = contents(path);
    CHECK(g_str_has_prefix(text, "new 0,1,2,"));
    CHECK_INT(strlen(text), 4 + big->len);
    g_free(text);
    CHECK_INT(entries(dir), 1);
    CHECK_INT(impviz_diags_count(diags, IMPVIZ_ERROR), 0);

    g_string_free(big, TRUE);
    impviz_diags_free(diags);
    g_unlink(path);
    g_free(path);
}

/* A rename that fails (the target is a directory): an error naming the target, nothing left. */
static void test_failed_commit(const char *dir)
{
    char *path = g_build_filename(dir, "taken", NULL);
    CHECK(g_mkdir(path, 0700) == 0);
    impviz_diags *diags = impviz_diags_new();
    impviz_output *o = NULL;
    CHECK_INT(impviz_output_open(path, diags, &o), IMPVIZ_OK);
    impviz_output_append(o, "data", 4);
    CHECK_INT(impviz_output_commit(o, diags), IMPVIZ_EOUTPUT);
    CHECK_INT(impviz_diags_count(diags, IMPVIZ_ERROR), 1);
    const GPtrArray *all = impviz_diags_sorted(diags);
    char *want = g_strdup_printf("cannot write '%s': %s", path, g_strerror(EISDIR));
    CHECK_STR(all->len ? ((const impviz_diag *)g_ptr_array_index(all, 0))->message : "", want);
    g_free(want);
    CHECK(g_file_test(path, G_FILE_TEST_IS_DIR));
    CHECK_INT(entries(dir), 1);
    impviz_diags_free(diags);

    /* a directory that does not exist: open fails, nothing is made */
    char *missing = g_build_filename(dir, "no", "such", NULL);
    diags = impviz_diags_new();
    o = (impviz_output *)&o; /* set to NULL on failure */
    CHECK_INT(impviz_output_open(missing, diags, &o), IMPVIZ_EOUTPUT);
    CHECK(o == NULL);
    CHECK_INT(impviz_diags_count(diags, IMPVIZ_ERROR), 1);
    CHECK_INT(entries(dir), 1);
    impviz_diags_free(diags);
    g_free(missing);
    g_rmdir(path);
    g_free(path);
}

int main(void)
{
    char *dir = g_dir_make_tmp("impviz-output-XXXXXX", NULL);
    CHECK(dir != NULL);
    if (dir) {
        test_commit_and_give_up(dir);
        test_failed_commit(dir);
        g_rmdir(dir);
        g_free(dir);
    }
    return check_done("test_output");
}
