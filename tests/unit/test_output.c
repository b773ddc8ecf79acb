/* SPDX-License-Identifier: MIT */
/* test_output.c - output files in pieces: a committed file replaces the old one whole, a given-up
 * or failed one leaves it untouched, and no temporary file stays behind either way; links are
 * followed to the file they lead to and survive; a FIFO is written in place. And the other way:
 * small files read by name (readfile.c) only when regular and small enough. */
#define _POSIX_C_SOURCE 200809L /* symlink, lstat, mkfifo */
#include "check.h"
#include "impviz.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The only error in diags, or "". */
static const char *only_error(impviz_diags *diags)
{
    const GPtrArray *all = impviz_diags_sorted(diags);
    return all->len == 1 ? ((const impviz_diag *)g_ptr_array_index(all, 0))->message : "";
}

/* A rename that fails (the target became a directory): an error naming the target, nothing
 * left; a target that is a directory from the start, or a missing directory: refused at open. */
static void test_failed_commit(const char *dir)
{
    char *path = g_build_filename(dir, "taken", NULL);
    impviz_diags *diags = impviz_diags_new();
    impviz_output *o = NULL;
    CHECK_INT(impviz_output_open(path, diags, &o), IMPVIZ_OK);
    impviz_output_append(o, "data", 4);
    CHECK(g_mkdir(path, 0700) == 0);
    CHECK_INT(impviz_output_commit(o, diags), IMPVIZ_EOUTPUT);
    char *want = g_strdup_printf("cannot write '%s': %s", path, g_strerror(EISDIR));
    CHECK_STR(only_error(diags), want);
    CHECK(g_file_test(path, G_FILE_TEST_IS_DIR));
    CHECK_INT(entries(dir), 1);
    impviz_diags_free(diags);

    diags = impviz_diags_new();
    o = (impviz_output *)&o; /* set to NULL on failure */
    CHECK_INT(impviz_output_check(path, diags), IMPVIZ_EOUTPUT);
    CHECK_INT(impviz_output_open(path, diags, &o), IMPVIZ_EOUTPUT);
    CHECK(o == NULL);
    CHECK_INT(impviz_diags_count(diags, IMPVIZ_ERROR), 2);
    CHECK_INT(entries(dir), 1);
    impviz_diags_free(diags);
    g_free(want);

    /* a directory that does not exist: open fails, nothing is made */
    char *missing = g_build_filename(dir, "no", "such", NULL);
    diags = impviz_diags_new();
    o = (impviz_output *)&o;
    CHECK_INT(impviz_output_open(missing, diags, &o), IMPVIZ_EOUTPUT);
    CHECK(o == NULL);
    CHECK_INT(impviz_diags_count(diags, IMPVIZ_ERROR), 1);
    CHECK_INT(entries(dir), 1);
    impviz_diags_free(diags);
    g_free(missing);
    g_rmdir(path);
    g_free(path);
}

/* Writes text to path in two pieces and commits; the status. */
static impviz_status write_pieces(const char *path, const char *text, impviz_diags *diags)
{
    impviz_output *o = NULL;
    impviz_status st = impviz_output_open(path, diags, &o);
    if (st != IMPVIZ_OK)
        return st;
    size_t half = strlen(text) / 2;
    impviz_output_append(o, text, half);
    impviz_output_append(o, text + half, strlen(text) - half);
    return impviz_output_commit(o, diags);
}

static char *link_text(const char *path)
{
    char *text = g_file_read_link(path, NULL);
    return text ? text : g_strdup("(not a link)");
}

/* A symbolic link is followed: the file it leads to is replaced (its temporary file made beside
 * it, not beside the link), and the link stays a link. A dangling chain of links makes the file
 * at its end; a loop of links is an error. */
static void test_links(const char *dir)
{
    char *real_dir = g_build_filename(dir, "real", NULL);
    char *link_dir = g_build_filename(dir, "links", NULL);
    CHECK(g_mkdir(real_dir, 0700) == 0 && g_mkdir(link_dir, 0700) == 0);
    char *real = g_build_filename(real_dir, "graph.svg", NULL);
    char *link = g_build_filename(link_dir, "graph.svg", NULL);
    CHECK(g_file_set_contents(real, "old", -1, NULL));
    CHECK(symlink("../real/graph.svg", link) == 0);
    impviz_diags *diags = impviz_diags_new();

    CHECK_INT(impviz_output_check(link, diags), IMPVIZ_OK);
    impviz_output *o = NULL;
    CHECK_INT(impviz_output_open(link, diags, &o), IMPVIZ_OK);
    CHECK_INT(entries(real_dir), 2); /* the temporary file is beside the real file */
    CHECK_INT(entries(link_dir), 1);
    impviz_output_append(o, "new", 3);
    CHECK_INT(impviz_output_commit(o, diags), IMPVIZ_OK);
    char *text = link_text(link);
    CHECK_STR(text, "../real/graph.svg");
    g_free(text);
    text = contents(link);
    CHECK_STR(text, "new");
    g_free(text);
    CHECK_INT(entries(real_dir), 1);
    CHECK_INT(entries(link_dir), 1);

    /* given up: the real file untouched, no temporary file on either side */
    CHECK_INT(impviz_output_open(link, diags, &o), IMPVIZ_OK);
    impviz_output_append(o, "newer", 5);
    impviz_output_free(o);
    text = contents(real);
    CHECK_STR(text, "new");
    g_free(text);
    CHECK_INT(entries(real_dir), 1);

    /* links/chain -> links/dangling -> ../real/made.svg, which does not exist yet */
    char *chain = g_build_filename(link_dir, "chain", NULL);
    char *dangling = g_build_filename(link_dir, "dangling", NULL);
    char *made = g_build_filename(real_dir, "made.svg", NULL);
    CHECK(symlink("dangling", chain) == 0 && symlink("../real/made.svg", dangling) == 0);
    CHECK_INT(write_pieces(chain, "made", diags), IMPVIZ_OK);
    text = contents(made);
    CHECK_STR(text, "made");
    g_free(text);
    text = link_text(chain);
    CHECK_STR(text, "dangling");
    g_free(text);
    CHECK_INT(entries(real_dir), 2);
    CHECK_INT(entries(link_dir), 3);
    CHECK_INT(impviz_diags_count(diags, IMPVIZ_ERROR), 0);

    /* a loop: an error, nothing made */
    char *loop = g_build_filename(link_dir, "loop", NULL);
    CHECK(symlink("loop", loop) == 0);
    CHECK_INT(impviz_output_check(loop, diags), IMPVIZ_EOUTPUT);
    CHECK_INT(write_pieces(loop, "x", diags), IMPVIZ_EOUTPUT);
    char *want = g_strdup_printf("cannot write '%s': %s", loop, g_strerror(ELOOP));
    const GPtrArray *all = impviz_diags_sorted(diags);
    CHECK_INT(all->len, 2);
    CHECK_STR(all->len ? ((const impviz_diag *)g_ptr_array_index(all, 0))->message : "", want);
    CHECK_INT(entries(link_dir), 4);
    g_free(want);

    impviz_diags_free(diags);
    for (char **p = (char *[]){loop, chain, dangling, made, link, real, NULL}; *p; p++) {
        g_unlink(*p);
        g_free(*p);
    }
    g_rmdir(real_dir);
    g_rmdir(link_dir);
    g_free(real_dir);
    g_free(link_dir);
}

typedef struct {
    const char *path;
    GString *got; /* what was read */
    bool close_at_once;
} fifo_reader;

static gpointer fifo_read(gpointer data)
{
    fifo_reader *r = data;
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    char buf[4096];
    ssize_t n;
    while (fd >= 0 && !r->close_at_once && (n = read(fd, buf, sizeof buf)) > 0)
        g_string_append_len(r->got, buf, n);
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* What is not a regular file is written in place, never replaced: a FIFO gets the bytes and stays
 * a FIFO, and a write that fails there (the reader has gone) is an error naming it. */
static void test_not_regular(const char *dir)
{
    char *fifo = g_build_filename(dir, "pipe.json", NULL);
    CHECK(mkfifo(fifo, 0600) == 0);
    impviz_diags *diags = impviz_diags_new();
    CHECK_INT(impviz_output_check(fifo, diags), IMPVIZ_OK);

    fifo_reader r = {fifo, g_string_new(NULL), false};
    GThread *reader = g_thread_new("reader", fifo_read, &r);
    CHECK_INT(write_pieces(fifo, "through the pipe", diags), IMPVIZ_OK);
    g_thread_join(reader);
    CHECK_STR(r.got->str, "through the pipe");
    struct stat st;
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK_INT(entries(dir), 1);
    CHECK_INT(impviz_diags_count(diags, IMPVIZ_ERROR), 0);

    /* the reader closes its end before anything is written: EPIPE (SIGPIPE is ignored here) */
    r.close_at_once = true;
    reader = g_thread_new("reader", fifo_read, &r);
    impviz_output *o = NULL;
    CHECK_INT(impviz_output_open(fifo, diags, &o), IMPVIZ_OK); /* returns once the reader opened */
    g_thread_join(reader);
    impviz_output_append(o, "lost", 4);
    CHECK_INT(impviz_output_commit(o, diags), IMPVIZ_EOUTPUT);
    char *want = g_strdup_printf("cannot write '%s': %s", fifo, g_strerror(EPIPE));
    CHECK_STR(only_error(diags), want);
    g_free(want);
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK_INT(entries(dir), 1);
    impviz_diags_free(diags);
    g_string_free(r.got, TRUE);

    /* a device: only when not root, where a regression could not replace /dev/null */
    if (geteuid() != 0) {
        diags = impviz_diags_new();
        CHECK_INT(impviz_output_check("/dev/null", diags), IMPVIZ_OK);
        CHECK_INT(write_pieces("/dev/null", "nothing", diags), IMPVIZ_OK);
        CHECK(lstat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
        impviz_diags_free(diags);
    }
    g_unlink(fifo);
    g_free(fifo);
}

/* The reader of small files (readfile.c), the outputs' counterpart: a regular file whole; what is
 * not one refused without a read (a FIFO would block, /dev/zero never ends); the cap held by
 * fstat and while reading (a /proc file says it has 0 bytes). */
static void test_small_file_read(const char *dir)
{
    char *path = g_build_filename(dir, "small.toml", NULL);
    char *fifo = g_build_filename(dir, "fifo.toml", NULL);
    char *zero = g_build_filename(dir, "zero.toml", NULL);
    CHECK(g_file_set_contents(path, "a = 1\n", -1, NULL));
    CHECK(mkfifo(fifo, 0600) == 0 && symlink("/dev/zero", zero) == 0);
    char *data = NULL, *why = NULL;
    gsize len = 0;
    CHECK_INT(impviz_small_file_read(path, 6, &data, &len, &why), IMPVIZ_OK);
    CHECK_STR(data, "a = 1\n");
    CHECK_INT(len, 6);
    CHECK(why == NULL);
    g_free(data);

    static const struct {
        int which; /* 0: path, 1: fifo, 2: zero, 3: dir, 4: a /proc file */
        gsize max;
        const char *why;
    } refused[] = {
        {0, 5, "larger than 5 bytes"},   {1, 100, "not a regular file"},
        {2, 100, "not a regular file"},  {3, 100, "Is a directory"},
        {4, 16, "larger than 16 bytes"}, /* st_size 0: caught while reading */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
        const char *name[] = {path, fifo, zero, dir, "/proc/self/maps"};
        data = (char *)"set";
        CHECK_INT(impviz_small_file_read(name[refused[i].which], refused[i].max, &data, &len, &why),
                  IMPVIZ_EINPUT);
        CHECK(data == NULL);
        CHECK_STR(why, refused[i].why);
        g_free(why);
    }
    for (char **p = (char *[]){path, fifo, zero, NULL}; *p; p++) {
        g_unlink(*p);
        g_free(*p);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* a write to a FIFO without a reader fails with EPIPE instead */
    char *dir = g_dir_make_tmp("impviz-output-XXXXXX", NULL);
    CHECK(dir != NULL);
    if (dir) {
        test_commit_and_give_up(dir);
        test_failed_commit(dir);
        test_links(dir);
        test_not_regular(dir);
        test_small_file_read(dir);
        g_rmdir(dir);
        g_free(dir);
    }
    return check_done("test_output");
}
