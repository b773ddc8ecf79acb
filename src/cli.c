/* SPDX-License-Identifier: MIT */
/*
 * cli.c - the impviz command: options in, one analysis, one output, an exit status.
 *
 * Orchestration only: parses options (GOption), checks them all before any work, runs the
 * library's pipeline, prints diagnostics to stderr and writes the chosen output. Exit statuses
 * are part of the public contract (see --help and the man page).
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"
#include "impviz.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

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

/* ---- cache options ---------------------------------------------------------------------- */

static struct {
    char *dir;
    gboolean local;
    gboolean off;
} cache_opts;

static GOptionEntry cache_entries[] = {
    {"cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache_opts.dir,
     "Keep parse results between runs in DIR (default: a directory per project under "
     "$XDG_CACHE_HOME/impviz)",
     "DIR"},
    {"cache-local", 0, 0, G_OPTION_ARG_NONE, &cache_opts.local,
     "Keep parse results in .impviz_cache/ beside the project (in its first import root)", NULL},
    {"no-cache", 0, 0, G_OPTION_ARG_NONE, &cache_opts.off,
     "Parse every file; read and write no cache", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Sets the analysis' cache from the options; false when they contradict each other. */
static bool cache_options_apply(impviz_analysis_opts *aopts)
{
    if (cache_opts.off + cache_opts.local + (cache_opts.dir != NULL) > 1)
        return false;
    aopts->cache = cache_opts.off     ? IMPVIZ_CACHE_OFF
                   : cache_opts.local ? IMPVIZ_CACHE_LOCAL
                   : cache_opts.dir   ? IMPVIZ_CACHE_DIR
                                      : IMPVIZ_CACHE_USER;
    aopts->cache_dir = cache_opts.dir;
    return true;
}

static void cache_options_release(void)
{
    g_free(cache_opts.dir);
    memset(&cache_opts, 0, sizeof cache_opts);
}

static const char *const layouts[] = {"auto",  "dot",   "neato", "fdp",       "sfdp",
                                      "circo", "twopi", "osage", "patchwork", NULL};
static const char *const rankdirs[] = {"TB", "LR", "BT", "RL", NULL};

static const char description[] =
    "Finds the modules of a Python project, the imports between them and the import cycles,\n"
    "telling cycles that run at import time (and can raise ImportError) from cycles that only\n"
    "close through deferred (in-function), lazy or TYPE_CHECKING imports.\n"
    "\n"
    "Output: a text report on standard output, or with -o FILE a file whose format follows the\n"
    "extension (.txt .json .dot .gv .svg .png .pdf .html .sarif .md .mmd); -T FORMAT overrides\n"
    "it. html is one self-contained interactive page (search, click to highlight, cycles).\n"
    "\n"
    "impviz diff OLD NEW, or impviz diff --git REV [PATH], shows what a change did to the graph\n"
    "(see impviz diff --help). Settings may come from [tool.impviz] in pyproject.toml.\n"
    "\n"
    "Exit status:\n"
    "  0  success (and, with --check, no import-time cycle)\n"
    "  1  --check found an import-time cycle\n"
    "  2  usage or input error: bad option, missing PATH, unwritable output\n"
    "  3  Graphviz could not lay out or render the graph\n";

/* Options a pyproject.toml may set start at this value, so that the file can tell them from
 * their defaults (which are applied after the file is read). */
#define UNSET_INT G_MININT

/* ---- view options: what a picture shows (issue 6) ------------------------------------------ */

static struct {
    gint depth, up, down;
    char **focus, **only;
    gboolean cycles_only, no_stdlib, reverse;
    impviz_externals externals;
    gboolean externals_given; /* on the command line: the file's setting does not apply */
    char *theme, *link;
    impviz_theme *loaded_theme; /* from --theme, or NULL */
} view_args;

static gboolean parse_externals(const char *name, const char *value, gpointer data, GError **err)
{
    (void)data;
    view_args.externals_given = TRUE;
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
     "MODE"},
    {"no-stdlib", 0, 0, G_OPTION_ARG_NONE, &view_args.no_stdlib,
     "Leave standard-library modules out of --externals", NULL},
    {"reverse", 0, 0, G_OPTION_ARG_NONE, &view_args.reverse,
     "Point edges from the imported module to its importer (who imports me)", NULL},
    {"theme", 0, 0, G_OPTION_ARG_FILENAME, &view_args.theme,
     "Colours and fonts of pictures: light (default), dark, colorblind, or a .theme FILE",
     "NAME|FILE"},
    {"link", 0, 0, G_OPTION_ARG_STRING, &view_args.link,
     "Make nodes and edges links: {path} (relative to the import root), {line} and {module} "
     "are filled in, e.g. https://host/repo/blob/main/{path}#L{line}",
     "TEMPLATE"},
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

/* A value attached to a short option, as getopt takes it (-j2, -Tsvg, -oout.svg): GOption would
 * read -j and then take the next argument as its value. Rewritten as the long option with that
 * value; the new arguments are kept in made until the run ends. */
static void attached_fix_argv(int argc, char **argv, GPtrArray *made)
{
    static const struct {
        char letter;
        const char *as;
    } takes_value[] = {{'j', "--jobs="}, {'T', "--format="}, {'o', "--output="}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return;
        if (a[0] != '-' || a[1] == '-' || a[1] == '\0' || a[2] == '\0')
            continue;
        for (guint k = 0; k < G_N_ELEMENTS(takes_value); k++)
            if (a[1] == takes_value[k].letter) {
                argv[i] = g_strconcat(takes_value[k].as, a + 2, NULL);
                g_ptr_array_add(made, argv[i]);
            }
    }
}

static void view_args_reset(void)
{
    g_strfreev(view_args.focus);
    g_strfreev(view_args.only);
    g_free(view_args.theme);
    g_free(view_args.link);
    impviz_theme_free(view_args.loaded_theme);
    memset(&view_args, 0, sizeof view_args);
    view_args.up = view_args.down = -1;
    view_args.depth = UNSET_INT;
}

/* A --link template reaches href attributes of documentation pages: only http, https or a
 * relative URL, never a scheme that runs code (javascript:, data:, vbscript: ...). A scheme is
 * what precedes the first ':' when only scheme characters come before it (RFC 3986). */
static bool link_scheme_ok(const char *link)
{
    const char *p = link;
    while (g_ascii_isalnum(*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    if (*p != ':' || p == link)
        return true; /* relative: no scheme */
    size_t n = (size_t)(p - link);
    return (n == 4 && g_ascii_strncasecmp(link, "http", 4) == 0) ||
           (n == 5 && g_ascii_strncasecmp(link, "https", 5) == 0);
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
    if (view_args.link && !link_scheme_ok(view_args.link))
        return "--link takes an http, https or relative URL template (no javascript:, data: ...)";
    return NULL;
}

/* Loads --theme from a file, or by name from the installed themes: <bin>/../share/impviz/themes,
 * then <bin>/share/impviz/themes (the build tree), then the configured data directory. *out is
 * NULL without --theme (the built-in light theme). */
static impviz_status view_theme_load(impviz_diags *diags, impviz_theme **out)
{
    if (!view_args.theme)
        return IMPVIZ_OK;
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    char *bin = exe ? g_path_get_dirname(exe) : g_strdup(".");
    char *dirs[] = {
        g_build_filename(bin, "..", "share", "impviz", "themes", NULL),
        g_build_filename(bin, "share", "impviz", "themes", NULL),
        g_build_filename(IMPVIZ_DATADIR, "themes", NULL),
        NULL,
    };
    impviz_status st = impviz_theme_load(view_args.theme, (const char *const *)dirs, diags, out);
    for (char **d = dirs; *d; d++)
        g_free(*d);
    g_free(bin);
    g_free(exe);
    return st;
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
    gint timeout;          /* seconds for a layout; 0: no limit */
    gint max_edges;        /* edges a picture may have; 0: no limit */
    gint64 max_simulation; /* statements the cycle diagnosis may simulate; 0: no limit */
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
    {"max-simulation", 0, 0, G_OPTION_ARG_INT64, &limits.max_simulation,
     "Stop predicting import errors after N simulated statements in all (default 20000000; 0: "
     "no limit): cycle members left get no prediction",
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

/* ---- the view beside the report --------------------------------------------------------- */

typedef struct {
    const impviz_analysis *analysis;
    const impviz_view_opts *opts;
    impviz_view *view; /* the result */
} view_job;

/* A pool task: the view of a job whose options cannot fail (no --focus). */
static void view_build(gpointer data, gpointer user_data)
{
    (void)user_data;
    view_job *job = data;
    impviz_status st = impviz_view_new(job->analysis, job->opts, NULL, &job->view);
    g_assert(st == IMPVIZ_OK);
}

/* ---- leaving: what the process leaves to the kernel --------------------------------------- */

/* A normal build does not free the analysis (nor its view) at exit, as compilers do not free their
 * trees (clang's -disable-free): freeing a 100 000-module project block by block costs more than a
 * tenth of a warm run. The analysis stays reachable from here, so valgrind counts it as still
 * reachable, never as lost. Sanitizer builds (IMPVIZ_FREE_AT_EXIT) free it all, so that
 * LeakSanitizer checks every free; library users free with impviz_analysis_free as always. */
#ifndef IMPVIZ_FREE_AT_EXIT
static struct {
    impviz_analysis *analysis;
    impviz_view *view;
} left_at_exit;
#endif

/* Where glibc's malloc serves the process (the command is linked with mimalloc unless built
 * without it, see CMakeLists.txt), its heap grows in large steps: a warm run over a big project
 * makes a few hundred megabytes of small blocks, and growing 128 KiB at a time (glibc's default)
 * costs a system call each, each one stalling the other threads' page faults. Pages are still only
 * touched when used. */
static void heap_grow_in_large_steps(void)
{
#if defined(__GLIBC__) && defined(M_TOP_PAD)
    mallopt(M_TOP_PAD, 64 << 20);
#endif
}

/* Frees analysis and view, or keeps them reachable until the process ends. */
static void analysis_leave(impviz_analysis *analysis, impviz_view *view)
{
#ifdef IMPVIZ_FREE_AT_EXIT
    impviz_view_free(view);
    impviz_analysis_free(analysis);
#else
    /* a second run in one process: the first one's */
    impviz_view_free(left_at_exit.view);
    impviz_analysis_free(left_at_exit.analysis);
    left_at_exit.analysis = analysis;
    left_at_exit.view = view;
#endif
}

/* ---- diagnosis (issue 4): --entry ---------------------------------------------------------- */

static char *entry_module;

static GOptionEntry diagnose_entries[] = {
    {"entry", 0, 0, G_OPTION_ARG_STRING, &entry_module,
     "Predict what `import MODULE` does (the error CPython raises, if any)", "MODULE"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

/* Diagnoses the import-time cycles and the --entry module; false on an unknown module. */
static bool diagnose(impviz_analysis *analysis, impviz_diags *diags)
{
    analysis->diagnosis = impviz_memo_diagnose(analysis, (guint64)limits.max_simulation, diags);
    const impviz_diagnosis *d = analysis->diagnosis;
    if (d->omitted)
        impviz_diags_add(diags, IMPVIZ_WARNING, NULL, 0,
                         "the import simulation stopped at its limit of %" G_GINT64_FORMAT
                         " statements (see --max-simulation): %u cycle member%s not predicted",
                         limits.max_simulation, d->omitted, d->omitted == 1 ? " was" : "s were");
    if (entry_module &&
        impviz_predict_import(analysis, entry_module, diags, &analysis->entry) != IMPVIZ_OK)
        return false;
    return true;
}

/* ---- CI gate: pyproject.toml, baselines, --fail-on (issue 5) ------------------------------- */

static struct {
    char *config;
    gboolean no_config;
    char *baseline;
    char *write_baseline;
    char *fail_on;
    impviz_baseline *loaded; /* the --baseline file, read before any analysis */
} gate_args;

static GOptionEntry gate_entries[] = {
    {"baseline", 0, 0, G_OPTION_ARG_FILENAME, &gate_args.baseline,
     "Exit with status 1 only on import-time cycles that are new, or grew, since FILE", "FILE"},
    {"write-baseline", 0, 0, G_OPTION_ARG_FILENAME, &gate_args.write_baseline,
     "Record today's import-time cycles in FILE (sorted JSON, to commit) and pass", "FILE"},
    {"fail-on", 0, 0, G_OPTION_ARG_STRING, &gate_args.fail_on,
     "With --check or --baseline, what fails: cycle (any import-time cycle; the default) or "
     "error (only cycles predicted to raise ImportError or AttributeError)",
     "WHAT"},
    {"config", 0, 0, G_OPTION_ARG_FILENAME, &gate_args.config,
     "Read settings from FILE's [tool.impviz] (default: the nearest pyproject.toml above the "
     "first PATH)",
     "FILE"},
    {"no-config", 0, 0, G_OPTION_ARG_NONE, &gate_args.no_config, "Read no pyproject.toml", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const fail_ons[] = {"cycle", "error", NULL};

/* Keys of [tool.impviz]: the long options that make sense in a file. */
static const impviz_config_key config_keys[] = {
    {"paths", IMPVIZ_CONFIG_STRINGS},
    {"roots", IMPVIZ_CONFIG_STRINGS},
    {"exclude", IMPVIZ_CONFIG_STRINGS},
    {"externals", IMPVIZ_CONFIG_BOOL_OR_STRING},
    {"no-stdlib", IMPVIZ_CONFIG_BOOL},
    {"depth", IMPVIZ_CONFIG_INT},
    {"only", IMPVIZ_CONFIG_STRINGS},
    {"cycles-only", IMPVIZ_CONFIG_BOOL},
    {"reverse", IMPVIZ_CONFIG_BOOL},
    {"theme", IMPVIZ_CONFIG_STRING},
    {"link", IMPVIZ_CONFIG_STRING},
    {"layout", IMPVIZ_CONFIG_STRING},
    {"rankdir", IMPVIZ_CONFIG_STRING},
    {"no-legend", IMPVIZ_CONFIG_BOOL},
    {"no-gitignore", IMPVIZ_CONFIG_BOOL},
    {"follow-symlinks", IMPVIZ_CONFIG_BOOL},
    {"jobs", IMPVIZ_CONFIG_INT},
    {"max-file-size", IMPVIZ_CONFIG_INT},
    {"max-modules", IMPVIZ_CONFIG_INT},
    {"check", IMPVIZ_CONFIG_BOOL},
    {"fail-on", IMPVIZ_CONFIG_STRING},
    {"baseline", IMPVIZ_CONFIG_STRING},
    {"quiet", IMPVIZ_CONFIG_BOOL},
    {"verbose", IMPVIZ_CONFIG_BOOL},
    {"cache-dir", IMPVIZ_CONFIG_STRING},
    {"cache-local", IMPVIZ_CONFIG_BOOL},
    {"no-cache", IMPVIZ_CONFIG_BOOL},
    {"timeout", IMPVIZ_CONFIG_INT},
    {"max-edges", IMPVIZ_CONFIG_INT},
    {"max-simulation", IMPVIZ_CONFIG_INT},
    {NULL, 0},
};

#define UNSET UNSET_INT

static void gate_args_reset(void)
{
    g_free(gate_args.config);
    g_free(gate_args.baseline);
    g_free(gate_args.write_baseline);
    g_free(gate_args.fail_on);
    impviz_baseline_free(gate_args.loaded);
    memset(&gate_args, 0, sizeof gate_args);
}

/* A string setting from the file, checked against choices; false (after an error) if invalid. */
static bool config_choice(const impviz_config *c, const char *key, const char *const *choices,
                          char **field, impviz_diags *diags)
{
    const impviz_config_value *v = impviz_config_get(c, key);
    if (!v || *field)
        return true;
    if (choices && !in_list(v->string, choices)) {
        char *all = g_strjoinv(", ", (char **)choices);
        impviz_diags_add(diags, IMPVIZ_ERROR, c->path, v->line, "'%s' must be one of %s, not '%s'",
                         key, all, v->string);
        g_free(all);
        return false;
    }
    *field = g_strdup(v->string);
    return true;
}

/* The limits that protect the machine: a project's file may raise them, never remove them (0
 * means no limit): the file comes with the code being analysed, which may be hostile. */
static const char *const limit_keys[] = {"max-file-size",  "max-modules", "max-edges",
                                         "max-simulation", "timeout",     NULL};

static bool config_int(const impviz_config *c, const char *key, gint64 max, gint64 *field,
                       impviz_diags *diags)
{
    const impviz_config_value *v = impviz_config_get(c, key);
    if (!v || *field != UNSET)
        return true;
    if (v->integer < 0 || v->integer > max) {
        impviz_diags_add(diags, IMPVIZ_ERROR, c->path, v->line,
                         "'%s' must be a number from 0 to %" G_GINT64_FORMAT, key, max);
        return false;
    }
    if (v->integer == 0 && in_list(key, limit_keys)) {
        impviz_diags_add(diags, IMPVIZ_ERROR, c->path, v->line,
                         "'%s' = 0 (no limit) is for the command line: a project's file may raise "
                         "a limit, not remove it",
                         key);
        return false;
    }
    *field = v->integer;
    return true;
}

static void config_bool(const impviz_config *c, const char *key, gboolean *field)
{
    const impviz_config_value *v = impviz_config_get(c, key);
    if (v && v->boolean)
        *field = TRUE;
}

/* Paths in the file are relative to the file's directory. */
static char **config_paths(const impviz_config *c, const char *key)
{
    const impviz_config_value *v = impviz_config_get(c, key);
    if (!v)
        return NULL;
    GPtrArray *out = g_ptr_array_new();
    for (char **p = v->strings; *p; p++)
        g_ptr_array_add(out, impviz_config_resolve(c, *p));
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

/* A path setting (relative to the file), unless the command line gave one; false (after an
 * error) when it is empty. */
static bool config_path(const impviz_config *c, const char *key, char **field, impviz_diags *diags)
{
    const impviz_config_value *v = impviz_config_get(c, key);
    if (!v || *field)
        return true;
    if (!*v->string) {
        impviz_diags_add(diags, IMPVIZ_ERROR, c->path, v->line, "'%s' must not be empty", key);
        return false;
    }
    *field = impviz_config_resolve(c, v->string);
    return true;
}

/* cache-dir from a project's file: the cache is written there, so it must stay inside the
 * project (below the file's directory), where the project's own code already is. */
static bool config_cache_dir(const impviz_config *c, impviz_diags *diags)
{
    const impviz_config_value *v = impviz_config_get(c, "cache-dir");
    if (!v || cache_opts.dir)
        return true;
    char *dir = NULL;
    if (!config_path(c, "cache-dir", &dir, diags))
        return false;
    char *base = g_canonicalize_filename(c->dir, NULL), *real = g_canonicalize_filename(dir, NULL);
    size_t n = strlen(base);
    bool inside = strncmp(real, base, n) == 0 && (real[n] == '/' || (n == 1 && real[1]));
    if (inside)
        cache_opts.dir = dir;
    else {
        impviz_diags_add(diags, IMPVIZ_ERROR, c->path, v->line,
                         "'cache-dir' must be inside the project, below '%s' (--cache-dir may "
                         "name any directory)",
                         c->dir);
        g_free(dir);
    }
    g_free(base);
    g_free(real);
    return inside;
}

/* externals = true / false, or = "none" / "top" / "all", unless the command line chose. */
static bool config_externals(const impviz_config *c, impviz_diags *diags)
{
    const impviz_config_value *v = impviz_config_get(c, "externals");
    if (!v || view_args.externals_given)
        return true;
    if (v->type == IMPVIZ_CONFIG_BOOL) {
        view_args.externals = v->boolean ? IMPVIZ_EXTERNALS_TOP : IMPVIZ_EXTERNALS_NONE;
        return true;
    }
    if (impviz_externals_parse(v->string, &view_args.externals))
        return true;
    impviz_diags_add(diags, IMPVIZ_ERROR, c->path, v->line,
                     "'externals' must be true, false, \"none\", \"top\" or \"all\", not '%s'",
                     v->string);
    return false;
}

/* Fills every option the command line left unset from the file; false after an error. */
static bool config_apply(const impviz_config *c, options *o, impviz_diags *diags)
{
    bool no_paths = (!o->paths || !*o->paths) && (!o->roots || !*o->roots);
    if (no_paths) {
        g_strfreev(o->paths);
        o->paths = config_paths(c, "paths");
        if (!o->roots)
            o->roots = config_paths(c, "roots");
        if (!o->paths && !o->roots) { /* the project the file describes */
            o->paths = g_new0(char *, 2);
            o->paths[0] = g_strdup(c->dir);
        }
    } else if (!o->roots) {
        o->roots = config_paths(c, "roots");
    }
    const impviz_config_value *v = impviz_config_get(c, "exclude");
    if (v && !o->excludes)
        o->excludes = g_strdupv(v->strings);
    v = impviz_config_get(c, "only");
    if (v && !view_args.only)
        view_args.only = g_strdupv(v->strings);
    bool ok = config_path(c, "baseline", &gate_args.baseline, diags) &&
              config_cache_dir(c, diags) && config_externals(c, diags);
    config_bool(c, "no-stdlib", &view_args.no_stdlib);
    config_bool(c, "cycles-only", &view_args.cycles_only);
    config_bool(c, "reverse", &view_args.reverse);
    config_bool(c, "no-legend", &o->no_legend);
    config_bool(c, "no-gitignore", &o->no_gitignore);
    config_bool(c, "follow-symlinks", &o->follow_symlinks);
    config_bool(c, "check", &o->check);
    config_bool(c, "quiet", &o->quiet);
    config_bool(c, "verbose", &o->verbose);
    /* the cache options exclude each other: the command line's choice replaces the file's */
    if (!cache_opts.dir && !cache_opts.local && !cache_opts.off) {
        config_bool(c, "cache-local", &cache_opts.local);
        config_bool(c, "no-cache", &cache_opts.off);
    }
    v = impviz_config_get(c, "theme");
    if (v && !view_args.theme)
        view_args.theme = strchr(v->string, '/') || g_str_has_suffix(v->string, ".theme")
                              ? impviz_config_resolve(c, v->string)
                              : g_strdup(v->string);
    v = impviz_config_get(c, "link");
    if (v && !view_args.link)
        view_args.link = g_strdup(v->string);
    gint64 jobs = o->jobs, max_modules = o->max_modules, depth = view_args.depth;
    gint64 timeout = limits.timeout, max_edges = limits.max_edges;
    ok = ok && config_choice(c, "layout", layouts, &o->layout, diags) &&
         config_choice(c, "rankdir", rankdirs, &o->rankdir, diags) &&
         config_choice(c, "fail-on", fail_ons, &gate_args.fail_on, diags) &&
         config_int(c, "jobs", 4096, &jobs, diags) &&
         config_int(c, "max-file-size", G_MAXINT64, &o->max_file_size, diags) &&
         config_int(c, "max-modules", G_MAXINT, &max_modules, diags) &&
         config_int(c, "depth", G_MAXINT, &depth, diags) &&
         config_int(c, "timeout", G_MAXINT, &timeout, diags) &&
         config_int(c, "max-edges", G_MAXINT, &max_edges, diags) &&
         config_int(c, "max-simulation", G_MAXINT64, &limits.max_simulation, diags);
    view_args.depth = (gint)depth;
    limits.timeout = (gint)timeout;
    limits.max_edges = (gint)max_edges;
    o->jobs = (gint)jobs;
    o->max_modules = (gint)max_modules;
    return ok;
}

/* --fail-on error: does importing some member of import-time component `index` raise? */
static bool component_raises(const impviz_analysis *a, guint index)
{
    if (!a->diagnosis || index >= a->diagnosis->cycles->len)
        return true; /* undiagnosed: fail safe */
    const impviz_cycle_diagnosis *c = g_ptr_array_index(a->diagnosis->cycles, index);
    for (guint k = 0; k < c->entries->len; k++) {
        const impviz_prediction *p = g_ptr_array_index(c->entries, k);
        if (p->type != IMPVIZ_ERROR_NONE)
            return true;
    }
    return c->entries_omitted > 0; /* members not simulated might raise: fail safe */
}

/* Reads pyproject.toml (unless --no-config), fills unset options, applies defaults, reads the
 * baseline. EXIT_OK or EXIT_USAGE (with diagnostics). */
static int gate_setup(options *o, impviz_diags *diags)
{
    impviz_config *config = NULL;
    impviz_status st = IMPVIZ_OK;
    if (gate_args.config) {
        st = impviz_config_load(gate_args.config, config_keys, diags, &config);
    } else if (!gate_args.no_config) {
        const char *start = o->paths && *o->paths   ? o->paths[0]
                            : o->roots && *o->roots ? o->roots[0]
                                                    : ".";
        st = impviz_config_discover(start, config_keys, diags, &config);
    }
    if (st == IMPVIZ_OK && config) {
        if (!config_apply(config, o, diags))
            st = IMPVIZ_EUSAGE;
        else if (o->verbose) /* after the file, which may say verbose = true */
            impviz_diags_add(diags, IMPVIZ_NOTE, NULL, 0, "settings from '%s'", config->path);
    }
    impviz_config_free(config);
    if (st != IMPVIZ_OK)
        return EXIT_USAGE;
    if (o->jobs == UNSET)
        o->jobs = 0;
    if (o->max_file_size == UNSET)
        o->max_file_size = 16 * 1024 * 1024;
    if (o->max_modules == UNSET)
        o->max_modules = 1000000;
    if (view_args.depth == UNSET)
        view_args.depth = 0;
    if (limits.timeout == UNSET)
        limits.timeout = 300;
    if (limits.max_edges == UNSET)
        limits.max_edges = 50000;
    if (limits.max_simulation == UNSET)
        limits.max_simulation = IMPVIZ_MAX_SIMULATION;
    if (gate_args.fail_on && !in_list(gate_args.fail_on, fail_ons))
        return usage_error("unknown --fail-on '%s' (try cycle or error)", gate_args.fail_on);
    if (gate_args.write_baseline) {
        if (impviz_output_check(gate_args.write_baseline, diags) != IMPVIZ_OK)
            return EXIT_USAGE;
    } else if (gate_args.baseline &&
               impviz_baseline_load(gate_args.baseline, diags, &gate_args.loaded) != IMPVIZ_OK) {
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

/* The import behind edge s -> t that runs at import time (the first, in source order). */
static const impviz_import *eager_import(const impviz_analysis *a, guint s, guint t)
{
    const impviz_edge *e = impviz_graph_edge(a->graph, s, t);
    for (guint i = 0; e && i < e->count; i++) {
        const impviz_ref *r = &g_array_index(a->refs, impviz_ref, e->refs[i]);
        if (r->import->kind == IMPVIZ_EAGER)
            return r->import;
    }
    return NULL;
}

/* One error per component that is new or grew since the baseline, at its first new import. */
static void report_changes(const impviz_analysis *a, const GPtrArray *changes, const char *since,
                           impviz_diags *diags)
{
    for (guint i = 0; i < changes->len; i++) {
        const impviz_cycle_change *ch = g_ptr_array_index(changes, i);
        const GArray *comp = g_ptr_array_index(a->graph->import_time.components, ch->component);
        GString *msg = g_string_new(NULL);
        guint at_source = 0, at_line = 0;
        if (ch->is_new) {
            GArray *cycle = impviz_graph_shortest_cycle(a->graph, comp, 1u << IMPVIZ_EAGER);
            g_string_append_printf(msg, "new import-time cycle (not in %s): ", since);
            for (guint k = 0; cycle && k < cycle->len; k++)
                g_string_append_printf(msg, "%s%s", k ? " -> " : "",
                                       module_at(a, g_array_index(cycle, guint, k))->name);
            if (cycle) {
                at_source = g_array_index(cycle, guint, 0);
                at_line = eager_import(a, at_source, g_array_index(cycle, guint, 1))->line;
                g_array_unref(cycle);
            }
        } else {
            g_string_append_printf(msg, "import-time cycle of %s",
                                   module_at(a, g_array_index(comp, guint, 0))->name);
            for (guint k = 1; k < comp->len; k++)
                g_string_append_printf(msg, ", %s",
                                       module_at(a, g_array_index(comp, guint, k))->name);
            g_string_append_printf(msg, " grew since %s:", since);
            for (guint k = 0; k < ch->new_members->len; k++)
                g_string_append_printf(
                    msg, "%s new module %s", k ? "," : "",
                    module_at(a, g_array_index(ch->new_members, guint, k))->name);
            for (guint k = 0; k < ch->new_edges->len; k++) {
                const impviz_edge *e = &g_array_index(a->graph->edges, impviz_edge,
                                                      g_array_index(ch->new_edges, guint, k));
                const impviz_import *imp = eager_import(a, e->source, e->target);
                g_string_append_printf(msg, "%s new import %s -> %s (%s:%u)",
                                       k || ch->new_members->len ? "," : "",
                                       module_at(a, e->source)->name, module_at(a, e->target)->name,
                                       module_at(a, e->source)->path, imp->line);
                if (k == 0) {
                    at_source = e->source;
                    at_line = imp->line;
                }
            }
        }
        impviz_diags_add(diags, IMPVIZ_ERROR, at_line ? module_at(a, at_source)->path : NULL,
                         (int)at_line, "%s", msg->str);
        g_string_free(msg, TRUE);
    }
}

/* Past this many nodes a picture of every module is a hairball, or with dot's package clusters a
 * strip many times wider than tall (Django, 835 modules: 57 000 x 3 800 pt): say what helps. */
#define HINT_NODES 400

static void picture_hint(const impviz_view *view, impviz_format format, impviz_diags *diags)
{
    if (!view || format == IMPVIZ_FORMAT_DOT || view->nodes->len <= HINT_NODES ||
        view_args.depth > 0 || view_args.focus || view_args.only || view_args.cycles_only)
        return;
    impviz_diags_add(diags, IMPVIZ_WARNING, NULL, 0,
                     "%u nodes in one picture will be hard to read: --depth 1 or 2 draws "
                     "packages, --focus, --only or --cycles-only draw a part",
                     view->nodes->len);
}

/* How the gate judges each import-time component, for the review formats: what fails is an
 * error there, what --baseline or --fail-on error lets pass a warning. Caller frees both
 * arrays of *gate. */
static void gate_marks(const impviz_analysis *a, impviz_gate *gate)
{
    guint n = a->graph->import_time.components->len;
    bool errors_only = gate_args.fail_on && strcmp(gate_args.fail_on, "error") == 0;
    guint8 *fails = g_new0(guint8, n + 1), *baseline = NULL;
    if (gate_args.loaded && !gate_args.write_baseline) {
        baseline = g_new(guint8, n + 1);
        memset(baseline, IMPVIZ_BASELINE_UNCHANGED, n + 1);
        GPtrArray *changes = impviz_baseline_compare(gate_args.loaded, a);
        for (guint i = 0; i < changes->len; i++) {
            const impviz_cycle_change *c = g_ptr_array_index(changes, i);
            baseline[c->component] = c->is_new ? IMPVIZ_BASELINE_NEW : IMPVIZ_BASELINE_UPDATED;
        }
        g_ptr_array_unref(changes);
    }
    for (guint i = 0; i < n; i++)
        fails[i] = (!baseline || baseline[i] != IMPVIZ_BASELINE_UNCHANGED) &&
                   (!errors_only || component_raises(a, i));
    gate->fails = fails;
    gate->baseline = baseline;
}

/* Writes --write-baseline, then decides the exit status of --check / --baseline. */
static int gate_verdict(const options *o, const impviz_analysis *a, impviz_diags *diags)
{
    if (gate_args.write_baseline) {
        impviz_baseline *b = impviz_baseline_new(a);
        GString *text = impviz_baseline_dump(b);
        impviz_status st =
            impviz_output_write(gate_args.write_baseline, text->str, text->len, diags);
        if (st == IMPVIZ_OK)
            impviz_diags_add(diags, IMPVIZ_NOTE, NULL, 0,
                             "wrote baseline '%s': %u import-time cycle%s",
                             gate_args.write_baseline, impviz_baseline_count(b),
                             impviz_baseline_count(b) == 1 ? "" : "s");
        g_string_free(text, TRUE);
        impviz_baseline_free(b);
        return st == IMPVIZ_OK ? EXIT_OK : EXIT_USAGE;
    }
    bool errors_only = gate_args.fail_on && strcmp(gate_args.fail_on, "error") == 0;
    if (gate_args.loaded) {
        GPtrArray *changes = impviz_baseline_compare(gate_args.loaded, a);
        char *since = g_strdup_printf("baseline '%s'", gate_args.baseline);
        report_changes(a, changes, since, diags);
        g_free(since);
        int rc = EXIT_OK;
        for (guint i = 0; i < changes->len; i++) {
            const impviz_cycle_change *c = g_ptr_array_index(changes, i);
            if (!errors_only || component_raises(a, c->component))
                rc = EXIT_CYCLES;
        }
        g_ptr_array_unref(changes);
        return rc;
    }
    if (!o->check)
        return EXIT_OK;
    for (guint i = 0; i < a->graph->import_time.components->len; i++)
        if (!errors_only || component_raises(a, i))
            return EXIT_CYCLES;
    return EXIT_OK;
}

/* ---- impviz diff: OLD NEW, or --git REV [PATH] (issue 5) ------------------------------------ */

static struct {
    char *git; /* REV */
} diff_args;

static GOptionEntry diff_entries[] = {
    {"git", 0, 0, G_OPTION_ARG_STRING, &diff_args.git,
     "Compare PATH (default .) in the working tree with git revision REV", "REV"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static const char diff_description[] =
    "Compares two versions of a project: the directories OLD and NEW, or with --git REV the\n"
    "working tree against a git revision (read straight from git into a private temporary\n"
    "directory, removed afterwards). Pictures (-o FILE.svg ...) show the union of both graphs:\n"
    "added modules and imports in green (SVG class added), removed ones grey and dashed\n"
    "(removed), imports whose kind changed blue (changed), the rest muted (unchanged); cycles\n"
    "that appeared thick (cycle-appeared), cycles that disappeared faded (cycle-disappeared).\n"
    "The report (text, json, markdown) lists them and the import-time cycles that appeared,\n"
    "grew, disappeared or shrank.\n"
    "\n"
    "Exit status: as for impviz, with --check applied to new cycles only: 1 when the change\n"
    "adds an import-time cycle or grows one (with --fail-on error, one predicted to raise).\n";

/* Runs argv (no shell); its standard output in *out when out is not NULL. False after an
 * error naming what (unless what is NULL: the caller says what failed). */
static bool run_command(const char *what, const char *const *argv, char **out, impviz_diags *diags)
{
    char *captured = NULL, *errors = NULL;
    gint status = 0;
    GError *err = NULL;
    bool ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &captured,
                           &errors, &status, &err) &&
              g_spawn_check_wait_status(status, NULL);
    if (!ok && what) {
        char *first = errors ? g_strstrip(g_strdup(errors)) : NULL;
        char *nl = first ? strchr(first, '\n') : NULL;
        if (nl)
            *nl = '\0';
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "%s failed: %s", what,
                         err               ? err->message
                         : first && *first ? first
                                           : "non-zero exit status");
        g_free(first);
    }
    if (err)
        g_error_free(err);
    if (ok && out)
        *out = g_strstrip(captured);
    else
        g_free(captured);
    g_free(errors);
    return ok;
}

/* Removes a directory tree without following symbolic links. */
static void remove_tree(const char *path)
{
    GDir *dir = g_file_test(path, G_FILE_TEST_IS_SYMLINK) ? NULL : g_dir_open(path, 0, NULL);
    if (dir) {
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            char *child = g_build_filename(path, name, NULL);
            remove_tree(child);
            g_free(child);
        }
        g_dir_close(dir);
    }
    g_remove(path);
}

/* path (existing) relative to the directory top, or NULL when it is not below top. Both are
 * compared with symbolic links resolved: git names its top directory that way. */
static char *relative_to(const char *top, const char *path)
{
    char *abs = realpath(path, NULL), *real_top = realpath(top, NULL);
    char *rel = NULL;
    if (abs && real_top) {
        size_t n = strlen(real_top);
        if (strcmp(abs, real_top) == 0)
            rel = g_strdup(".");
        else if (strncmp(abs, real_top, n) == 0 && (abs[n] == '/' || n == 1))
            rel = g_strdup(abs + n + (n > 1));
    }
    free(abs);
    free(real_top);
    return rel;
}

/* Extracts revision rev of the repository holding dir into tmp/tree; *top is the repository's
 * top directory. Every file of the revision's tree is written as git checks it out (a private
 * index: read-tree, then checkout-index), not as `git archive` would (which leaves out
 * export-ignore files and rewrites export-subst ones). False after an error. */
static bool git_extract(const char *rev, const char *dir, const char *tmp, char **top,
                        impviz_diags *diags)
{
    char *tree = NULL, *spec = g_strconcat(rev, "^{tree}", NULL);
    char *index = g_build_filename(tmp, "index", NULL);
    char *index_env = g_strconcat("GIT_INDEX_FILE=", index, NULL);
    char *prefix = g_strconcat(tmp, "/tree/", NULL);
    char *prefix_opt = g_strconcat("--prefix=", prefix, NULL);
    const char *toplevel[] = {"git", "-C", dir, "rev-parse", "--show-toplevel", NULL};
    /* --end-of-options: a REV that starts with '-' is a revision, never an option */
    const char *verify[] = {
        "git", "-C", dir, "rev-parse", "--verify", "--quiet", "--end-of-options", spec, NULL};
    bool ok = run_command("git rev-parse --show-toplevel", toplevel, top, diags);
    if (ok && !run_command(NULL, verify, &tree, diags)) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "unknown git revision '%s'", rev);
        ok = false;
    }
    if (ok) {
        const char *read_tree[] = {"env", index_env, "git", "-C", *top, "read-tree", tree, NULL};
        const char *checkout[] = {"env", index_env, "git",      "-C", *top, "checkout-index",
                                  "-a",  "-f",      prefix_opt, NULL};
        ok = g_mkdir_with_parents(prefix, 0700) == 0 &&
             run_command("git read-tree", read_tree, NULL, diags) &&
             run_command("git checkout-index", checkout, NULL, diags);
    }
    g_remove(index);
    g_free(index);
    g_free(index_env);
    g_free(prefix);
    g_free(prefix_opt);
    g_free(tree);
    g_free(spec);
    return ok;
}

/* Each of paths moved from the working tree into the extracted tree; NULL-terminated. NULL,
 * with an error, when a path is not in the repository whose top is `top`. */
static char **map_into(char **paths, const char *top, const char *tmp, impviz_diags *diags)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (char **p = paths; p && *p; p++) {
        char *rel = relative_to(top, *p);
        if (!rel) {
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0,
                             "'%s' is not in the git repository at '%s'", *p, top);
            g_ptr_array_unref(out);
            return NULL;
        }
        g_ptr_array_add(out, g_build_filename(tmp, "tree", rel, NULL));
        g_free(rel);
    }
    g_ptr_array_set_free_func(out, NULL);
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

/* An analysis with no module: the old side of a directory that did not exist at REV. */
static impviz_analysis *empty_analysis(void)
{
    impviz_analysis *a = g_new0(impviz_analysis, 1);
    a->project = g_new0(impviz_project, 1);
    a->project->roots = g_ptr_array_new_with_free_func(g_free);
    a->project->modules = g_ptr_array_new();
    a->project->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    a->project->packages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    a->files = g_ptr_array_new();
    a->refs = g_array_new(FALSE, FALSE, sizeof(impviz_ref));
    a->graph = impviz_graph_new(0, a->refs);
    return a;
}

static impviz_analysis_opts analysis_opts(const options *o, char **paths, char **roots)
{
    return (impviz_analysis_opts){
        .discover =
            {
                .paths = (const char *const *)paths,
                .roots = (const char *const *)roots,
                .excludes = (const char *const *)o->excludes,
                .no_gitignore = o->no_gitignore,
                .follow_symlinks = o->follow_symlinks,
                .max_file_size = (guint64)o->max_file_size,
                .max_modules = (guint)o->max_modules,
            },
        .jobs = (guint)o->jobs,
    };
}

static int diff_run(options *o, impviz_format format, const char *output, impviz_diags *diags)
{
    guint n_paths = o->paths ? g_strv_length(o->paths) : 0;
    impviz_analysis *old = NULL, *new_ = NULL;
    impviz_diff *d = NULL;
    impviz_view *view = NULL;
    GString *report = NULL;
    GBytes *picture = NULL;
    char *tmp = NULL, *top = NULL, *since = NULL;
    char **old_paths = NULL, **old_roots = NULL;
    char *here[] = {(char *)".", NULL};
    int rc = EXIT_OK;
    static const char *const review_names[] = {[IMPVIZ_FORMAT_SARIF] = "sarif",
                                               [IMPVIZ_FORMAT_GITHUB] = "github",
                                               [IMPVIZ_FORMAT_MERMAID] = "mermaid"};
    if (format == IMPVIZ_FORMAT_SARIF || format == IMPVIZ_FORMAT_GITHUB ||
        format == IMPVIZ_FORMAT_MERMAID)
        return usage_error("impviz diff writes text, json, markdown, dot, svg, png, pdf or html, "
                           "not %s",
                           review_names[format]);
    if (diff_args.git ? n_paths > 1 : n_paths != 2)
        return usage_error("%s", diff_args.git ? "impviz diff --git REV takes one PATH at most"
                                               : "impviz diff takes two directories: OLD NEW");
    if (!diff_args.git && o->roots)
        return usage_error("%s", "--root applies to impviz diff --git only");
    char **new_paths = n_paths ? (diff_args.git ? o->paths : o->paths + 1) : here;
    if (diff_args.git) {
        GError *err = NULL;
        if (!g_file_test(new_paths[0], G_FILE_TEST_EXISTS)) {
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0,
                             "cannot read '%s': No such file or directory", new_paths[0]);
            rc = EXIT_USAGE;
            goto cleanup;
        }
        tmp = g_dir_make_tmp("impviz-diff-XXXXXX", &err);
        if (!tmp) {
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot make a temporary directory: %s",
                             err->message);
            g_error_free(err);
            rc = EXIT_USAGE;
            goto cleanup;
        }
        char *dir = g_file_test(new_paths[0], G_FILE_TEST_IS_DIR)
                        ? g_strdup(new_paths[0])
                        : g_path_get_dirname(new_paths[0]); /* a file PATH: git runs beside it */
        bool extracted = git_extract(diff_args.git, dir, tmp, &top, diags);
        g_free(dir);
        if (!extracted) {
            rc = EXIT_USAGE;
            goto cleanup;
        }
        old_paths = map_into(new_paths, top, tmp, diags);
        old_roots = o->roots ? map_into(o->roots, top, tmp, diags) : NULL;
        if (!old_paths || (o->roots && !old_roots)) {
            rc = EXIT_USAGE;
            goto cleanup;
        }
        since = g_strdup_printf("'%s'", diff_args.git);
    } else {
        old_paths = g_strdupv((char *[]){o->paths[0], NULL});
        since = g_strdup_printf("'%s'", o->paths[0]);
    }

    impviz_analysis_opts new_opts = analysis_opts(o, new_paths, o->roots);
    if (impviz_analysis_run(&new_opts, diags, &new_) != IMPVIZ_OK) {
        rc = EXIT_USAGE;
        goto cleanup;
    }
    impviz_analysis_opts old_opts = analysis_opts(o, old_paths, old_roots);
    if (diff_args.git) {
        /* a directory with no module at REV (new code) is an empty old side */
        impviz_diags *quiet = impviz_diags_new();
        if (!g_file_test(old_paths[0], G_FILE_TEST_EXISTS) ||
            impviz_analysis_run(&old_opts, quiet, &old) != IMPVIZ_OK)
            old = empty_analysis();
        impviz_diags_free(quiet);
    } else if (impviz_analysis_run(&old_opts, diags, &old) != IMPVIZ_OK) {
        rc = EXIT_USAGE;
        goto cleanup;
    }
    d = impviz_diff_new(old, new_);

    impviz_status st;
    if (format == IMPVIZ_FORMAT_TEXT || format == IMPVIZ_FORMAT_JSON ||
        format == IMPVIZ_FORMAT_MARKDOWN) {
        report = impviz_diff_report(d, format);
        st = impviz_output_write(output, report->str, report->len, diags);
    } else {
        impviz_view_opts vopts = view_opts_from_args(o->excludes);
        if (impviz_view_new(d->merged, &vopts, diags, &view) != IMPVIZ_OK) {
            rc = EXIT_USAGE;
            goto cleanup;
        }
        impviz_render_opts ropts = {.layout = o->layout,
                                    .rankdir = o->rankdir,
                                    .view = view,
                                    .theme = view_args.loaded_theme,
                                    .link = view_args.link,
                                    .legend = !o->no_legend,
                                    .module_changes = d->module_change,
                                    .edge_changes = d->edge_change,
                                    .module_cycle_marks = d->module_cycle,
                                    .edge_cycle_marks = d->edge_cycle,
                                    .timeout = (guint)limits.timeout,
                                    .max_edges = (guint)limits.max_edges};
        st = impviz_render(d->merged, &ropts, format, diags, &picture);
        if (st == IMPVIZ_OK) {
            gsize len;
            const void *data = g_bytes_get_data(picture, &len);
            st = impviz_output_write(output, data, len, diags);
        }
        if (st == IMPVIZ_OK && strcmp(output, "-") != 0 && !o->quiet) {
            report = impviz_diff_report(d, IMPVIZ_FORMAT_TEXT);
            fputs(report->str, stdout);
        }
    }
    if (st != IMPVIZ_OK) {
        rc = st == IMPVIZ_ERENDER ? EXIT_RENDER : EXIT_USAGE;
    } else if (o->check && d->appeared->len) {
        /* --fail-on error: only new cycles predicted to raise fail, as in a plain --check */
        bool errors_only = gate_args.fail_on && strcmp(gate_args.fail_on, "error") == 0;
        if (errors_only && !new_->diagnosis)
            new_->diagnosis = impviz_memo_diagnose(new_, (guint64)limits.max_simulation, diags);
        GPtrArray *failing = g_ptr_array_new();
        for (guint i = 0; i < d->appeared->len; i++) {
            impviz_cycle_change *ch = g_ptr_array_index(d->appeared, i);
            if (!errors_only || component_raises(new_, ch->component))
                g_ptr_array_add(failing, ch);
        }
        report_changes(new_, failing, since, diags);
        if (failing->len)
            rc = EXIT_CYCLES;
        g_ptr_array_unref(failing);
    }
cleanup:
    if (report)
        g_string_free(report, TRUE);
    if (picture)
        g_bytes_unref(picture);
    impviz_view_free(view);
    impviz_diff_free(d);
    impviz_analysis_free(old);
    impviz_analysis_free(new_);
    if (tmp)
        remove_tree(tmp);
    g_free(tmp);
    g_free(top);
    g_free(since);
    g_strfreev(old_paths);
    g_strfreev(old_roots);
    return rc;
}

int impviz_cli_main(int argc, char **argv)
{
    heap_grow_in_large_steps();
    /* `impviz diff ...`: the same options, two analyses */
    bool diff_mode = argc > 1 && strcmp(argv[1], "diff") == 0;
    if (diff_mode) {
        memmove(&argv[1], &argv[2], (size_t)(argc - 2) * sizeof *argv);
        g_set_prgname("impviz diff"); /* for --help and GOption's messages */
        argv[--argc] = NULL;
    }
    options o = {.jobs = UNSET, .max_file_size = UNSET, .max_modules = UNSET};
    GPtrArray *made_args = g_ptr_array_new_with_free_func(g_free);
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output,
         "Write to FILE (format from its extension; - is standard output)", "FILE"},
        {"format", 'T', 0, G_OPTION_ARG_STRING, &o.format,
         "Output format: text, json, dot, gv, svg, png, pdf, html, sarif, github, markdown (md), "
         "mermaid "
         "(mmd)",
         "FORMAT"},
        {"check", 0, 0, G_OPTION_ARG_NONE, &o.check, "Exit with status 1 on an import-time cycle",
         NULL},
        {"layout", 0, 0, G_OPTION_ARG_STRING, &o.layout,
         "Graphviz layout engine: auto (default: dot, or sfdp for graphs too large for dot), dot, "
         "neato, fdp, sfdp, circo, twopi, osage, patchwork",
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
        {"no-gitignore", 0, 0, G_OPTION_ARG_NONE, &o.no_gitignore, "Do not honour .gitignore files",
         NULL},
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
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.paths, NULL,
         diff_mode ? "OLD NEW | --git REV [PATH]" : "[PATH...]"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    int rc = EXIT_OK;
    impviz_diags *diags = impviz_diags_new();
    impviz_analysis *analysis = NULL;
    impviz_view *view = NULL;
    GString *report = NULL;
    GBytes *picture = NULL;
    GError *err = NULL;
    GOptionContext *ctx = g_option_context_new(NULL);
    g_option_context_set_summary(ctx, diff_mode
                                          ? "impviz diff: what a change did to the import graph."
                                          : "Draw and check the import graph of Python code.");
    g_option_context_set_description(ctx, diff_mode ? diff_description : description);
    memset(&diff_args, 0, sizeof diff_args);
    if (diff_mode)
        g_option_context_add_main_entries(ctx, diff_entries, NULL);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, diagnose_entries, NULL);
    g_option_context_add_main_entries(ctx, view_entries, NULL);
    view_args_reset();
    view_fix_argv(argc, argv);
    attached_fix_argv(argc, argv, made_args);
    g_option_context_add_main_entries(ctx, cache_entries, NULL);
    g_option_context_add_main_entries(ctx, gate_entries, NULL);
    gate_args_reset();
    limits =
        (limit_options){.timeout = UNSET_INT, .max_edges = UNSET_INT, .max_simulation = UNSET_INT};
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
    if ((rc = gate_setup(&o, diags)) != EXIT_OK)
        goto cleanup;
    if ((!o.paths || !*o.paths) && (!o.roots || !*o.roots) && !diff_mode) {
        /* no PATH, and no pyproject.toml naming any: the current directory, as ruff does */
        g_strfreev(o.paths);
        o.paths = g_new0(char *, 2);
        o.paths[0] = g_strdup(".");
    }
    impviz_format format = IMPVIZ_FORMAT_TEXT;
    if (o.format) {
        if (!impviz_format_parse(o.format, &format)) {
            rc =
                usage_error("unknown format '%s' (try text, json, dot, svg, png, pdf, html, sarif, "
                            "github, markdown or mermaid)",
                            o.format);
            goto cleanup;
        }
    } else if (o.output && strcmp(o.output, "-") != 0 &&
               !impviz_format_from_path(o.output, &format)) {
        rc = usage_error("cannot tell the format of '%s' from its extension (use -T)", o.output);
        goto cleanup;
    }
    if (o.layout && !in_list(o.layout, layouts)) {
        rc = usage_error(
            "unknown layout engine '%s' (try auto, dot, neato, fdp, sfdp, circo, twopi, osage or "
            "patchwork)",
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
    impviz_threads_prepare((guint)o.jobs); /* while the rest of the options are checked */
    const char *view_problem = view_args_check();
    if (view_problem) {
        rc = usage_error("%s", view_problem);
        goto cleanup;
    }
    if (view_theme_load(diags, &view_args.loaded_theme) != IMPVIZ_OK) {
        rc = EXIT_USAGE;
        goto cleanup;
    }
    if (limits.timeout < 0 || limits.max_edges < 0 || limits.max_simulation < 0) {
        rc = usage_error("%s", "--timeout, --max-edges and --max-simulation take numbers >= 0");
        goto cleanup;
    }
    const char *output = o.output ? o.output : "-";
    if (impviz_output_check(output, diags) != IMPVIZ_OK) {
        rc = EXIT_USAGE;
        goto cleanup;
    }

    if (diff_mode) {
        rc = diff_run(&o, format, output, diags);
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
    if (!cache_options_apply(&aopts)) {
        rc = usage_error("%s", "--no-cache, --cache-dir and --cache-local exclude each other");
        goto cleanup;
    }
    if (impviz_analysis_run(&aopts, diags, &analysis) != IMPVIZ_OK) {
        rc = EXIT_USAGE;
        goto cleanup;
    }
    if (o.verbose)
        impviz_diags_add(diags, IMPVIZ_NOTE, NULL, 0, "parsed %u of %u files (%u from cache)",
                         analysis->n_parsed, analysis->project->modules->len,
                         analysis->n_from_cache);
    if (!diagnose(analysis, diags)) {
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
    /* the text report shows no view: build it only to check --focus names */
    bool focus = vopts.focus && *vopts.focus;
    bool view_needed = format != IMPVIZ_FORMAT_TEXT || focus;
    /* without --focus a view cannot fail: JSON's goes on another thread while the rest of the
     * report is written, which does not need it */
    view_job job = {analysis, &vopts, NULL};
    GThreadPool *view_thread = NULL; /* a shared thread: see impviz_threads_prepare */
    if (format == IMPVIZ_FORMAT_JSON && !focus && analysis->jobs > 1) {
        view_thread = g_thread_pool_new(view_build, NULL, 1, FALSE, NULL);
        g_thread_pool_push(view_thread, &job, NULL);
    } else if (view_needed && impviz_view_new(analysis, &vopts, diags, &view) != IMPVIZ_OK) {
        rc = EXIT_USAGE;
        goto cleanup;
    }
    if (format == IMPVIZ_FORMAT_TEXT || format == IMPVIZ_FORMAT_JSON) {
        impviz_output *out = NULL; /* the report goes out as it is made, never held whole */
        st = impviz_output_open(output, diags, &out);
        impviz_report_writer *writer =
            st == IMPVIZ_OK ? impviz_report_begin(out, analysis, format) : NULL;
        if (view_thread) {
            g_thread_pool_free(view_thread, FALSE, TRUE);
            view = job.view;
        }
        if (writer) {
            impviz_report_finish(writer, view);
            st = impviz_output_commit(out, diags);
        }
    } else if (impviz_format_is_review(format)) {
        impviz_gate gate;
        gate_marks(analysis, &gate);
        report = impviz_review(analysis, format, view, &gate);
        g_free((guint8 *)gate.fails);
        g_free((guint8 *)gate.baseline);
        st = impviz_output_write(output, report->str, report->len, diags);
    } else {
        impviz_render_opts ropts = {.layout = o.layout,
                                    .rankdir = o.rankdir,
                                    .view = view,
                                    .theme = view_args.loaded_theme,
                                    .link = view_args.link,
                                    .legend = !o.no_legend,
                                    .timeout = (guint)limits.timeout,
                                    .max_edges = (guint)limits.max_edges};
        picture_hint(view, format, diags);
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
    else
        rc = gate_verdict(&o, analysis, diags);

cleanup:
    print_diags(diags, &o);
    if (report)
        g_string_free(report, TRUE);
    if (picture)
        g_bytes_unref(picture);
    analysis_leave(analysis, view); /* the view's first: it borrows from the analysis */
    impviz_diags_free(diags);
    g_option_context_free(ctx);
    options_free(&o);
    g_clear_pointer(&entry_module, g_free);
    view_args_reset();
    cache_options_release();
    gate_args_reset();
    g_free(diff_args.git);
    g_ptr_array_unref(made_args);
    return rc;
}
