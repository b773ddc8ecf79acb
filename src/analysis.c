/* SPDX-License-Identifier: MIT */
/*
 * analysis.c - runs discover, parse, resolve and graph in order, parsing on every core.
 *
 * Parsing is nearly all of the time, so it is spread over a GThreadPool: one worker per thread,
 * each with its own tree-sitter parser, taking the next file from a shared counter (largest files
 * first, so one big file does not finish last). Results land in per-module slots, so the merge is
 * deterministic whatever the timing.
 */
#include "impviz.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    const impviz_project *project;
    impviz_diags *diags;
    impviz_file **files;
    guint *order; /* module indices, largest file first */
    gint next;    /* atomic: next position in order */
} parse_job;

/* Reads and parses one module's file; problems become warnings and a NULL slot. */
static impviz_file *parse_module(impviz_parser *parser, const impviz_module *m, impviz_diags *diags)
{
    char *bytes = NULL;
    gsize len = 0;
    GError *err = NULL;
    if (!g_file_get_contents(m->file, &bytes, &len, &err)) {
        int code = err->code == G_FILE_ERROR_ACCES   ? EACCES
                   : err->code == G_FILE_ERROR_NOENT ? ENOENT
                   : err->code == G_FILE_ERROR_ISDIR ? EISDIR
                                                     : EIO;
        impviz_diags_add(diags, IMPVIZ_WARNING, m->path, 0, "cannot read file: %s",
                         g_strerror(code));
        g_error_free(err);
        return NULL;
    }
    const char *why = NULL;
    impviz_file *f = impviz_parser_parse(parser, bytes, len, &why);
    if (!f)
        impviz_diags_add(diags, IMPVIZ_WARNING, m->path, 0, "not analysed: %s", why);
    else if (f->error_count) /* listed with -v; the run warns once with the count */
        impviz_diags_add(diags, IMPVIZ_NOTE, m->path, (int)f->first_error_line,
                         "syntax error%s; imports outside the broken part%s are still read",
                         f->error_count > 1 ? "s" : "", f->error_count > 1 ? "s" : "");
    if (f && f->invalid_utf8_line)
        impviz_diags_add(diags, IMPVIZ_WARNING, m->path, (int)f->invalid_utf8_line,
                         "invalid UTF-8: Python cannot import this file; its imports were "
                         "read anyway");
    if (f && f->too_deep)
        impviz_diags_add(diags, IMPVIZ_WARNING, m->path, 0,
                         "nested too deeply; imports below the nesting limit are not read");
    g_free(bytes);
    return f;
}

static void parse_worker(gpointer data, gpointer user_data)
{
    (void)data;
    parse_job *job = user_data;
    impviz_parser *parser = impviz_parser_new();
    guint n = job->project->modules->len;
    for (;;) {
        gint i = g_atomic_int_add(&job->next, 1);
        if ((guint)i >= n)
            break;
        guint m = job->order[i];
        job->files[m] =
            parse_module(parser, g_ptr_array_index(job->project->modules, m), job->diags);
    }
    impviz_parser_free(parser);
}

static gint by_size_desc(gconstpointer a, gconstpointer b, gpointer data)
{
    const goffset *sizes = data;
    guint x = *(const guint *)a, y = *(const guint *)b;
    if (sizes[x] != sizes[y])
        return sizes[x] > sizes[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

static void parse_all(const impviz_project *p, guint jobs, impviz_diags *diags, impviz_file **files)
{
    guint n = p->modules->len;
    parse_job job = {.project = p, .diags = diags, .files = files, .order = g_new(guint, n)};
    goffset *sizes = g_new0(goffset, n);
    for (guint i = 0; i < n; i++) {
        struct stat st;
        const impviz_module *m = g_ptr_array_index(p->modules, i);
        sizes[i] = stat(m->file, &st) == 0 ? st.st_size : 0;
        job.order[i] = i;
    }
    g_qsort_with_data(job.order, (gint)n, sizeof(guint), by_size_desc, sizes);

    if (jobs == 0)
        jobs = g_get_num_processors();
    if (jobs > n)
        jobs = n ? n : 1;
    if (jobs <= 1) {
        parse_worker(NULL, &job);
    } else {
        GThreadPool *pool = g_thread_pool_new(parse_worker, &job, (gint)jobs, TRUE, NULL);
        for (guint t = 0; t < jobs; t++)
            g_thread_pool_push(pool, GUINT_TO_POINTER(t + 1), NULL);
        g_thread_pool_free(pool, FALSE, TRUE);
    }
    g_free(sizes);
    g_free(job.order);
}

impviz_status impviz_analysis_run(const impviz_analysis_opts *opts, impviz_diags *diags,
                                  impviz_analysis **out)
{
    impviz_project *project = NULL;
    *out = NULL;
    impviz_status status = impviz_discover(&opts->discover, diags, &project);
    if (status != IMPVIZ_OK)
        return status;
    impviz_analysis *a = g_new0(impviz_analysis, 1);
    a->project = project;
    guint n = project->modules->len;
    a->files = g_ptr_array_new_full(n, (GDestroyNotify)impviz_file_free);
    g_ptr_array_set_size(a->files, n);
    parse_all(project, opts->jobs, diags, (impviz_file **)a->files->pdata);
    guint broken = 0;
    for (guint i = 0; i < n; i++) {
        const impviz_file *f = g_ptr_array_index(a->files, i);
        broken += f && f->error_count;
    }
    if (broken)
        impviz_diags_add(diags, IMPVIZ_WARNING, NULL, 0,
                         "%u file%s with syntax errors (Python 2, newer syntax or broken code): "
                         "imports outside the broken parts were read; -v lists them",
                         broken, broken == 1 ? "" : "s");
    a->refs = g_array_new(FALSE, FALSE, sizeof(impviz_ref));
    impviz_resolve(project, (impviz_file *const *)a->files->pdata, a->refs);
    a->n_imports = a->refs->len;
    for (guint i = 0; i < a->refs->len; i++) {
        const impviz_ref *r = &g_array_index(a->refs, impviz_ref, i);
        if (r->cls == IMPVIZ_TARGET_UNRESOLVED) {
            const impviz_module *m = g_ptr_array_index(project->modules, r->source);
            impviz_diags_add(diags, IMPVIZ_NOTE, m->path, (int)r->import->line,
                             "unresolved import: %s", r->import->statement);
        }
    }
    a->graph = impviz_graph_new(n, a->refs);
    *out = a;
    return IMPVIZ_OK;
}

void impviz_analysis_free(impviz_analysis *a)
{
    if (!a)
        return;
    impviz_diagnosis_free(a->diagnosis);
    impviz_prediction_free(a->entry);
    impviz_graph_free(a->graph);
    if (a->refs)
        g_array_unref(a->refs);
    if (a->files)
        g_ptr_array_unref(a->files);
    impviz_project_free(a->project);
    g_free(a);
}
