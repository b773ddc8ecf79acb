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

static const char *const layouts[] = {"auto",  "dot",   "neato", "fdp",       "sfdp",
                                      "circo", "twopi", "osage", "patchwork", NULL};
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

/* ---- view options: what a picture shows (issue 6) ------------------------------------------ */

static struct {
    gint depth, up, down;
    char **focus, **only;
    gboolean cycles_only, no_stdlib, reverse;
    impviz_externals externals;
} view_args;

static gboolean parse_externals(const char *name, const char *value, gpointer data, GError **err)
{
    (void)data;
    if (!value) {
        view_args.externals = IMPVIZ_EXTERNALS_TOP;
        return TRUE;
    }
    if (impviz_externals_parse(value, &view_args.externals))
        return TRUE;
    g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "unknown %s mode '%s' (try none, top or all)", name, value);
    return FALSE;
}

static GOptionEntry view_entries[] = {
    {"depth", 0, 0, G_OPTION_ARG_INT, &view_args.depth,
     "Collapse modules deeper than N dotted parts into their package (0: no collapsing)", "N"},
    {"focus", 0, 0, G_OPTION_ARG_STRING_ARRAY, &view_args.focus,
     "Show only the neighbourhood of MODULE (repeatable)", "MODULE"},
    {"up", 0, 0, G_OPTION_ARG_INT, &view_args.up,
     "With --focus: importers up to K steps away (default 1)", "K"},
    {"down", 0, 0, G_OPTION_ARG_INT, &view_args.down,
     "With --focus: imports up to K steps away (default 1)", "K"},
    {"only", 0, 0, G_OPTION_ARG_STRING_ARRAY, &view_args.only,
     "Draw only modules whose dotted name, or a package of it, matches GLOB (repeatable)", "GLOB"},
    {"cycles-only", 0, 0, G_OPTION_ARG_NONE, &view_args.cycles_only,
     "Draw only modules on cycles and the imports among them", NULL},
    {"externals", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, (gpointer)parse_externals,
     "Draw modules outside the project: none (default), top (one node per top-level name; "
     "also --externals alone) or all (dotted names)",
     "[=MODE]"},
    {"no-stdlib", 0, 0, G_OPTION_ARG_NONE, &view_args.no_stdlib,
     "Leave standard-library modules out of --externals", NULL},
    {"reverse", 0, 0, G_OPTION_ARG_NONE, &view_args.reverse,
     "Point edges from the imported module to its importer (who imports me)", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* `--externals PATH` meant the old flag followed by a PATH: GOption would take PATH as the
 * optional value, so a following argument that is not a mode makes it `--externals=top`. */
static void view_fix_argv(int argc, char **argv)
{
    impviz_externals unused;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return;
        if (strcmp(argv[i], "--externals") == 0 && argv[i + 1][0] != '-' &&
            !impviz_externals_parse(argv[i + 1], &unused))
            argv[i] = (char *)"--externals=top";
    }
}

static void view_args_reset(void)
{
    g_strfreev(view_args.focus);
    g_strfreev(view_args.only);
    memset(&view_args, 0, sizeof view_args);
    view_args.up = view_args.down = -1;
}

/* Checks the view options; a usage message, or NULL when they are fine. */
static const char *view_args_check(void)
{
    if (view_args.depth < 0)
        return "--depth takes a number >= 0";
    if ((view_args.up >= 0 || view_args.down >= 0) && !view_args.focus)
        return "--up and --down need --focus";
    if (view_args.up < -1 || view_args.down < -1)
        return "--up and --down take numbers >= 0";
    return NULL;
}

static impviz_view_opts view_opts_from_args(char **excludes)
{
    return (impviz_view_opts){
        .depth = (guint)view_args.depth,
        .focus = (const char *const *)view_args.focus,
        .up = view_args.up < 0 ? 1 : (guint)view_args.up,
        .down = view_args.down < 0 ? 1 : (guint)view_args.down,
        .only = (const char *const *)view_args.only,
        .exclude = (const char *const *)excludes,
        .cycles_only = view_args.cycles_only,
        .externals = view_args.externals,
        .no_stdlib = view_args.no_stdlib,
        .reverse = view_args.reverse,
    };
}

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
        if (d->path && d->line)
            fprintf(stderr, "impviz: %s: %s:%d: %s\n", sev, d->path, d->line, d->message);
        else if (d->path)
            fprintf(stderr, "impviz: %s: %s: %s\n", sev, d->path, d->message);
        else
            fprintf(stderr, "impviz: %s: %s\n", sev, d->message);
    }
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "impviz: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'impviz --help' for more information.\n");
    return EXIT_USAGE;
}

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
         "Graphviz layout engine: auto (default: dot, or sfdp for graphs too large for dot), dot, "
         "neato, fdp, sfdp, circo, twopi",
         "ENGINE"},
        {"rankdir", 0, 0, G_OPTION_ARG_STRING, &o.rankdir,
         "Direction of the layout: TB (default), LR, BT, RL", "DIR"},
        {"exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.excludes,
         "Leave out paths matching GLOB, relative to the import root (repeatable; ** for any "
         "depth); in pictures, also hide modules whose dotted name matches GLOB",
         "GLOB"},
        {"root", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.roots,
         "Use DIR as an import root, like an entry of sys.path (repeatable)", "DIR"},
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
    impviz_view *view = NULL;
    GString *report = NULL;
    GBytes *picture = NULL;
    GError *err = NULL;
    GOptionContext *ctx = g_option_context_new("PATH...");
    g_option_context_set_summary(ctx, "Draw and check the import graph of Python code.");
    g_option_context_set_description(ctx, description);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, view_entries, NULL);
    view_args_reset();
    view_fix_argv(argc, argv);
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
        rc = usage_error(
            "unknown layout engine '%s' (try auto, dot, neato, fdp, sfdp, circo or twopi)",
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
    const char *view_problem = view_args_check();
    if (view_problem) {
        rc = usage_error("%s", view_problem);
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
    impviz_view_opts vopts = view_opts_from_args(o.excludes);
    if (impviz_view_new(analysis, &vopts, diags, &view) != IMPVIZ_OK) {
        rc = EXIT_USAGE;
        goto cleanup;
    }
    if (format == IMPVIZ_FORMAT_TEXT || format == IMPVIZ_FORMAT_JSON) {
        report = impviz_report_with_view(analysis, view, format, o.verbose);
        st = impviz_output_write(output, report->str, report->len, diags);
    } else {
        impviz_render_opts ropts = {
            .layout = o.layout, .rankdir = o.rankdir, .view = view, .legend = !o.no_legend};
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
    impviz_view_free(view);
    impviz_analysis_free(analysis);
    impviz_diags_free(diags);
    g_option_context_free(ctx);
    options_free(&o);
    view_args_reset();
    return rc;
}
