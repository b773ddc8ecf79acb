/* SPDX-License-Identifier: MIT */
/*
 * parse_floor.c - the floor impviz is measured against: read a list of files, then parse each
 * with ts_parser_parse_string and delete the tree, with no extraction at all.
 *
 *   impviz_parse_floor [-j N] [-r] [FILE-LIST]
 *
 * FILE-LIST (default: standard input) holds one path per line. All files are read into memory first
 * (timed apart), then parsed by N threads (default 1; 0 = one per core), each with its own parser,
 * files largest first like impviz. -r only reads. Prints "files N bytes B read_s R parse_s P" on
 * stdout.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

typedef struct {
    char *bytes;
    gsize len;
} source;

typedef struct {
    source *sources; /* sorted largest first */
    guint n;
    gint next; /* atomic: next source to parse */
} job;

static void parse_worker(gpointer data, gpointer user_data)
{
    (void)data;
    job *j = user_data;
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    for (;;) {
        gint i = g_atomic_int_add(&j->next, 1);
        if ((guint)i >= j->n)
            break;
        TSTree *tree =
            ts_parser_parse_string(parser, NULL, j->sources[i].bytes, (uint32_t)j->sources[i].len);
        ts_tree_delete(tree);
    }
    ts_parser_delete(parser);
}

static int by_len_desc(const void *a, const void *b)
{
    const source *x = a, *y = b;
    return x->len > y->len ? -1 : x->len < y->len;
}

int main(int argc, char **argv)
{
    guint jobs = 1;
    gboolean read_only = FALSE;
    FILE *list = stdin;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) {
            jobs = (guint)atoi(argv[++i]);
        } else if (strcmp(argv[i], "-r") == 0) {
            read_only = TRUE;
        } else if (argv[i][0] != '-' && list == stdin) {
            list = fopen(argv[i], "r");
            if (!list) {
                fprintf(stderr, "impviz_parse_floor: error: cannot read '%s'\n", argv[i]);
                return 1;
            }
        } else {
            fprintf(stderr, "usage: impviz_parse_floor [-j N] [-r] [FILE-LIST]\n");
            return 2;
        }
    }
    if (jobs == 0)
        jobs = g_get_num_processors();

    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    char line[4096];
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        if (*line)
            g_ptr_array_add(paths, g_strdup(line));
    }

    job j = {.sources = g_new0(source, paths->len), .n = paths->len};
    guint64 total = 0;
    gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < paths->len; i++) {
        GError *err = NULL;
        if (!g_file_get_contents(g_ptr_array_index(paths, i), &j.sources[i].bytes,
                                 &j.sources[i].len, &err)) {
            fprintf(stderr, "impviz_parse_floor: error: %s\n", err->message);
            g_error_free(err);
            return 1;
        }
        total += j.sources[i].len;
    }
    gint64 t1 = g_get_monotonic_time();
    qsort(j.sources, j.n, sizeof(source), by_len_desc);
    if (!read_only) {
        if (jobs <= 1) {
            parse_worker(NULL, &j);
        } else {
            GThreadPool *pool = g_thread_pool_new(parse_worker, &j, (gint)jobs, TRUE, NULL);
            for (guint t = 0; t < jobs; t++)
                g_thread_pool_push(pool, GUINT_TO_POINTER(t + 1), NULL);
            g_thread_pool_free(pool, FALSE, TRUE);
        }
    }
    gint64 t2 = g_get_monotonic_time();
    if (list != stdin)
        fclose(list);
    printf("files %u bytes %" G_GUINT64_FORMAT " read_s %.4f parse_s %.4f\n", j.n, total,
           (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    for (guint i = 0; i < j.n; i++)
        g_free(j.sources[i].bytes);
    g_free(j.sources);
    g_ptr_array_unref(paths);
    return 0;
}
