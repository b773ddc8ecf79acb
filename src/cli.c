/* SPDX-License-Identifier: MIT */
/*
 * cli.c - the impviz command: options in, one analysis, one output, an exit status.
 *
 * Orchestration only: parses options (GOption), checks them all before any work, runs the
 * library's pipeline, prints diagnostics to stderr and writes the chosen output. Exit statuses
 * are part of the public contract (see --help and the man page).
 */
#include "cli.h"
#include "impviz.h"

#include <stdio.h>
#include <string.h>

enum {
    EXIT_OK = 0,
    EXIT_CYCLES = 1, /* --check found an import-time cycle */
    EXIT_USAGE = 2,  /* bad option, missing path, unwritable output */
    EXIT_RENDER = 3, /* Graphviz failed to lay out or render */
};

typedef struct {
    char *output;
    char *format;
    char *layout;
    char *rankdir;
    char **excludes;
    char **roots;
    gboolean check;
    gboolean externals;
    gboolean no_legend;
    gboolean no_gitignore;
    gboolean follow_symlinks;
    gboolean quiet;
    gboolean verbose;
    gboolean version;
    gint jobs;
    gint64 max_file_size;
    gint max_modules;
    char **paths;
} options;

static const char *const layouts[] = {"dot",   "neato", "fdp",       "sfdp", "circo",
                                      "twopi", "osage", "patchwork", NULL};
static const char *const rankdirs[] = {"TB", "LR", "BT", "RL", NULL};

static const char description[] =
    "Finds the modules of a Python project, the imports between them and the import cycles,\n"
    "telling cycles that run at import time (and can raise ImportError) from cycles that only\n"
    "close through deferred (in-function), lazy or TYPE_CHECKING imports.\n"
    "\n"
    "Output: a text report on standard output, or with -o FILE a file whose format follows the\n"
    "extension (.txt .json .dot .gv .svg .png .pdf); -T FORMAT overrides it.\n"
    "\n"
    "Exit status:\n"
    "  0  success (and, with --check, no import-time cycle)\n"
    "  1  --check found an import-time cycle\n"
    "  2  usage or input error: bad option, missing PATH, unwritable output\n"
    "  3  Graphviz could not lay out or render the graph\n";

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static void print_diags(impviz_diags *diags, const options *o)
{
    const GPtrArray *items = impviz_diags_sorted(diags);
    for (guint i = 0; i < items->len; i++) {
        const impviz_diag *d = g_ptr_array_index(items, i);
        if (d->severity == IMPVIZ_NOTE && !o->verbose)
            continue;
        if (d->severity == IMPVIZ_WARNING && o->quiet)
            continue;
        const char *sev = d->severity == IMPVIZ_ERROR     ? "error"
                          : d->severity == IMPVIZ_WARNING ? "warning"
                                                          : "note";
        GString *line = g_string_new("impviz: "); /* one line, whatever the path holds */
        g_string_append_printf(line, "%s: ", sev);
        if (d->path) {
            impviz_text_escape(line, d->path);
            if (d->line)
                g_string_append_printf(line, ":%d", d->line);
            g_string_append(line, ": ");
        }
        impviz_text_escape(line, d->message);
        fprintf(stderr, "%s\n", line->str);
        g_string_free(line, TRUE);
    }
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "impviz: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'impviz --help' for more information.\n");
    return EXIT_USAGE;
}

/* ---- limits that protect the machine (issue 7) ---------------------------------------------- */

typedef struct {
    gint timeout;   /* seconds for a layout; 0: no limit */
    gint max_edges; /* edges a picture may have; 0: no limit */
} limit_options;

static limit_options limits;

static GOptionEntry limit_entries[] = {
    {"timeout", 0, 0, G_OPTION_ARG_INT, &limits.timeout,
     "Give a Graphviz layout at most SECONDS, then fall back to sfdp once (default 300; 0: no "
     "limit)",
     "SECONDS"},
    {"max-edges", 0, 0, G_OPTION_ARG_INT, &limits.max_edges,
     "Refuse to lay out a picture of more than N edges (default 50000; 0: no limit; -T dot and "
     "json are never limited)",
     "N"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static void options_free(options *o)
{
    g_free(o->output);
    g_free(o->format);
    g_free(o->layout);
    g_free(o->rankdir);
    g_strfreev(o->excludes);
    g_strfreev(o->roots);
    g_strfreev(o->paths);
}

int impviz_cli_main(int argc, char **argv)
{
    options o = {.jobs = 0, .max_file_size = 16 * 1024 * 1024, .max_modules = 1000000};
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output,
         "Write to FILE (format from its extension; - is standard output)", "FILE"},
        {"format", 'T', 0, G_OPTION_ARG_STRING, &o.format,
         "Output format: text, json, dot, gv, svg, png, pdf", "FORMAT"},
        {"check", 0, 0, G_OPTION_ARG_NONE, &o.check, "Exit with status 1 on an import-time cycle",
         NULL},
        {"layout", 0, 0, G_OPTION_ARG_STRING, &o.layout,
         "Graphviz layout engine (default dot): dot, neato, fdp, sfdp, circo, twopi", "ENGINE"},
        {"rankdir", 0, 0, G_OPTION_ARG_STRING, &o.rankdir,
         "Direction of the layout: TB (default), LR, BT, RL", "DIR"},
        {"exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.excludes,
         "Leave out paths matching GLOB, relative to the import root (repeatable; ** for any "
         "depth)",
         "GLOB"},
        {"root", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.roots,
         "Use DIR as an import root, like an entry of sys.path (repeatable)", "DIR"},
        {"externals", 0, 0, G_OPTION_ARG_NONE, &o.externals,
         "Draw imported packages outside the project, one node per top-level name", NULL},
        {"no-legend", 0, 0, G_OPTION_ARG_NONE, &o.no_legend, "Leave the legend out of pictures",
         NULL},
        {"no-gitignore", 0, 0, G_OPTION_ARG_NONE, &o.no_gitignore,
         "Do not honour .gitignore files at the import roots", NULL},
        {"follow-symlinks", 0, 0, G_OPTION_ARG_NONE, &o.follow_symlinks,
         "Follow symbolic links (with loop detection)", NULL},
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &o.jobs, "Parse with N threads (default: all cores)",
         "N"},
        {"max-file-size", 0, 0, G_OPTION_ARG_INT64, &o.max_file_size,
         "Skip, with a warning, files larger than BYTES (default 16777216; 0: no limit)", "BYTES"},
        {"max-modules", 0, 0, G_OPTION_ARG_INT, &o.max_modules,
         "Stop, with a warning, after N modules (default 1000000; 0: no limit)", "N"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, "Print errors only", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose,
         "Also print notes: skipped names, unresolved imports", NULL},
        {"version", 0, 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", NULL},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.paths, NULL, "PATH..."},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    impviz_diags *diags = impviz_diags_new();
    impviz_analysis *analysis = NULL;
    GString *report = NULL;
    GBytes *picture = NULL;
    GError *err = NULL;
    GOptionContext *ctx = g_option_context_new("PATH...");
    g_option_context_set_summary(ctx, "Draw and check the import graph of Python code.");
    g_option_context_set_description(ctx, description);
    g_option_context_add_main_entries(ctx, entries, NULL);
    limits = (limit_options){.timeout = 300, .max_edges = 50000};
    g_option_context_add_main_entries(ctx, limit_entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        rc = usage_error("%s", err->message);
        g_error_free(err);
        goto cleanup;
    }
    if (o.version) {
        printf("impviz %s\n", IMPVIZ_VERSION);
        goto cleanup;
    }
    if ((!o.paths || !*o.paths) && (!o.roots || !*o.roots)) {
        rc = usage_error("%s", "no PATH given");
        goto cleanup;
    }
    impviz_format format = IMPVIZ_FORMAT_TEXT;
    if (o.format) {
        if (!impviz_format_parse(o.format, &format)) {
            rc =
                usage_error("unknown format '%s' (try text, json, dot, svg, png or pdf)", o.format);
            goto cleanup;
        }
    } else if (o.output && strcmp(o.output, "-") != 0 &&
               !impviz_format_from_path(o.output, &format)) {
        rc = usage_error("cannot tell the format of '%s' from its extension (use -T)", o.output);
        goto cleanup;
    }
    if (o.layout && !in_list(o.layout, layouts)) {
        rc = usage_error("unknown layout engine '%s' (try dot, neato, fdp, sfdp, circo or twopi)",
                         o.layout);
        goto cleanup;
    }
    if (o.rankdir && !in_list(o.rankdir, rankdirs)) {
        rc = usage_error("unknown rank direction '%s' (try TB, LR, BT or RL)", o.rankdir);
        goto cleanup;
    }
    if (o.jobs < 0 || o.max_file_size < 0 || o.max_modules < 0) {
        rc = usage_error("%s", "--jobs, --max-file-size and --max-modules take numbers >= 0");
        goto cleanup;
    }
    if (limits.timeout < 0 || limits.max_edges < 0) {
        rc = usage_error("%s", "--timeout and --max-edges take numbers >= 0");
        goto cleanup;
    }
    const char *output = o.output ? o.output : "-";
    if (impviz_output_check(output, diags) != IMPVIZ_OK) {
        rc = EXIT_USAGE;
        goto cleanup;
    }

    impviz_analysis_opts aopts = {
        .discover =
            {
                .paths = (const char *const *)o.paths,
                .roots = (const char *const *)o.roots,
                .excludes = (const char *const *)o.excludes,
                .no_gitignore = o.no_gitignore,
                .follow_symlinks = o.follow_symlinks,
                .max_file_size = (guint64)o.max_file_size,
                .max_modules = (guint)o.max_modules,
            },
        .jobs = (guint)o.jobs,
    };
    if (impviz_analysis_run(&aopts, diags, &analysis) != IMPVIZ_OK) {
        rc = EXIT_USAGE;
        goto cleanup;
    }
    if (o.verbose && analysis->project->skipped_names)
        impviz_diags_add(diags, IMPVIZ_NOTE, NULL, 0,
                         "skipped %u file and directory name%s that cannot be imported (not "
                         "Python identifiers)",
                         analysis->project->skipped_names,
                         analysis->project->skipped_names == 1 ? "" : "s");

    impviz_status st = IMPVIZ_OK;
    if (format == IMPVIZ_FORMAT_TEXT || format == IMPVIZ_FORMAT_JSON) {
        report = impviz_report(analysis, format, o.verbose);
        st = impviz_output_write(output, report->str, report->len, diags);
    } else {
        impviz_render_opts ropts = {.layout = o.layout,
                                    .rankdir = o.rankdir,
                                    .externals = o.externals,
                                    .legend = !o.no_legend,
                                    .timeout = (guint)limits.timeout,
                                    .max_edges = (guint)limits.max_edges};
        st = impviz_render(analysis, &ropts, format, diags, &picture);
        if (st == IMPVIZ_OK) {
            gsize len;
            const void *data = g_bytes_get_data(picture, &len);
            st = impviz_output_write(output, data, len, diags);
        }
        if (st == IMPVIZ_OK && strcmp(output, "-") != 0 && !o.quiet) {
            report = impviz_report(analysis, IMPVIZ_FORMAT_TEXT, o.verbose);
            fputs(report->str, stdout);
        }
    }
    if (st != IMPVIZ_OK)
        rc = st == IMPVIZ_ERENDER ? EXIT_RENDER : EXIT_USAGE;
    else if (o.check && analysis->graph->import_time.components->len)
        rc = EXIT_CYCLES;

cleanup:
    print_diags(diags, &o);
    if (report)
        g_string_free(report, TRUE);
    if (picture)
        g_bytes_unref(picture);
    impviz_analysis_free(analysis);
    impviz_diags_free(diags);
    g_option_context_free(ctx);
    options_free(&o);
    return rc;
}
