/* SPDX-License-Identifier: MIT */
/*
 * impviz.h - the impviz library: Python import graphs and their cycles.
 *
 * Data flows one way through five stages, each owning one file:
 *   discover  (paths -> impviz_project: module names and files; stat/readdir only)
 *   parse     (bytes -> impviz_file: import records; the only user of tree-sitter)
 *   resolve   (import records -> impviz_ref: project module, external or unresolved; pure)
 *   graph     (refs -> edges and strongly connected components; iterative Tarjan)
 *   render / report (graph -> SVG, PNG, PDF, DOT / text, JSON)
 * impviz_analysis_run() chains the first four; the CLI adds options and output.
 *
 * Conventions: heap objects have _new/_free and _free(NULL) does nothing. Calls that can fail
 * return impviz_status and hand results back through **out. Allocation failure aborts (GLib).
 * Strings documented as "borrowed" stay valid until the named owner is freed.
 */
#ifndef IMPVIZ_H
#define IMPVIZ_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#define IMPVIZ_VERSION "0.1.0"

/* ---- status codes and diagnostics ------------------------------------------------------------ */

typedef enum {
    IMPVIZ_OK = 0,
    IMPVIZ_EUSAGE,  /* bad option or argument */
    IMPVIZ_EINPUT,  /* a PATH that cannot be analysed */
    IMPVIZ_EOUTPUT, /* an output file that cannot be written */
    IMPVIZ_ERENDER, /* Graphviz failed */
} impviz_status;

/* Static text for a status; never NULL. */
const char *impviz_status_str(impviz_status status);

typedef enum {
    IMPVIZ_NOTE,
    IMPVIZ_WARNING,
    IMPVIZ_ERROR,
} impviz_severity;

typedef struct {
    impviz_severity severity;
    char *path; /* may be NULL */
    int line;   /* 0 when not about a line */
    char *message;
} impviz_diag;

/* A thread-safe list of diagnostics owned by the caller; no global error state. */
typedef struct impviz_diags impviz_diags;

impviz_diags *impviz_diags_new(void);
void impviz_diags_free(impviz_diags *diags);
/* Adds a diagnostic; path is copied and may be NULL. */
void impviz_diags_add(impviz_diags *diags, impviz_severity severity, const char *path, int line,
                      const char *fmt, ...) G_GNUC_PRINTF(5, 6);
/* Number of diagnostics of severity >= min. */
guint impviz_diags_count(const impviz_diags *diags, impviz_severity min);
/* Diagnostics sorted by (path, line, message); borrowed until impviz_diags_free. */
const GPtrArray *impviz_diags_sorted(impviz_diags *diags);

/* ---- discover ------------------------------------------------------------------------------ */

/* What stat says about a file. When all of it matches a cache entry, the file is trusted to be
 * unchanged without reading it (as git's index does), unless the entry was written so soon after
 * the file changed that a later change could share its timestamp; then its content hash decides. */
typedef struct {
    guint64 size;
    gint64 mtime_ns;
    gint64 ctime_ns;
    guint64 ino;
    guint64 dev;
} impviz_stat;

typedef struct {
    char *name; /* dotted module name: "pkg.sub.mod"; a package is named by its directory */
    char *path; /* file path relative to its import root, '/'-separated: "pkg/sub/mod.py" */
    char *file; /* file path to open: the root joined with path */
    guint root; /* index into impviz_project.roots */
    bool is_package;
    bool has_stat; /* stat holds what discovery saw of file (saves the analysis a stat) */
    impviz_stat stat;
} impviz_module;

/* ---- listing: directory listings kept between runs (see listing.c) ------------------------ */

/* One directory entry as readdir gives it. */
typedef struct {
    char *name;
    unsigned char type; /* DT_DIR, DT_REG, DT_LNK...; DT_UNKNOWN when the file system says not */
} impviz_dir_entry;

typedef struct impviz_listings impviz_listings;

/* Opens the listings kept in dir (DIR/dirs.cache); a missing or damaged file holds none. Never
 * fails. Caller frees with impviz_listings_free. */
impviz_listings *impviz_listings_open(const char *dir);
void impviz_listings_free(impviz_listings *listings);
/* The entries of the directory at path (impviz_dir_entry, sorted by name) as an earlier run
 * listed them, when st (the directory's stat now) shows no change since; NULL when there is no
 * such listing or the directory may have changed. seq is the directory's place in the order of
 * the walk (0 for the first asked for), where the listing is looked for first. When found is not
 * NULL it gets the listing's handle, for impviz_listings_keep. May run on several threads at
 * once, also while one other thread keeps or puts listings. The caller unrefs the array; its
 * names are borrowed from listings until impviz_listings_free. */
GArray *impviz_listings_find(impviz_listings *listings, guint seq, const char *path,
                             const impviz_stat *st, gconstpointer *found);
/* The number of listings an earlier run kept, and the path of the i-th (i < that number) in the
 * order that run walked them; borrowed from listings until impviz_listings_free. */
guint impviz_listings_count(const impviz_listings *listings);
const char *impviz_listings_path(const impviz_listings *listings, guint i);
/* The place of path's listing in that order, looked for at seq first (as impviz_listings_find);
 * -1 when there is none. May run on several threads at once. */
gint impviz_listings_index(impviz_listings *listings, guint seq, const char *path);
/* Keeps the listing found (a handle from impviz_listings_find) for the next save. The next save
 * holds the listings kept and put, in the order of these calls. */
void impviz_listings_keep(impviz_listings *listings, gconstpointer found);
/* Keeps entries (copied) as the listing of the directory at path, taken after st, for the next
 * save. */
void impviz_listings_put(impviz_listings *listings, const char *path, const impviz_stat *st,
                         const GArray *entries);
/* Writes the listings got or put in this run when any is new (temporary file + rename); best
 * effort: a directory that cannot be written is left as it is. */
void impviz_listings_save(impviz_listings *listings);

typedef struct {
    const char *const *paths;    /* NULL-terminated PATH arguments */
    const char *const *roots;    /* NULL-terminated explicit import roots, or NULL */
    const char *const *excludes; /* NULL-terminated globs (impviz_globs_add), or NULL */
    bool no_gitignore;           /* ignore .gitignore files */
    bool follow_symlinks;        /* follow symlinked directories and files (with loop detection) */
    guint64 max_file_size;       /* larger files are skipped with a warning; 0 means no limit */
    guint max_modules;           /* discovery stops with a warning past this; 0 means no limit */
    guint jobs;                  /* threads reading directories; 0 or 1: the walking one alone */
    /* Optional: directory listings kept between runs. Called once the import roots are known,
     * returns the listings to use (discovery saves and frees them) or NULL for none. */
    impviz_listings *(*listings)(const GPtrArray *roots, void *data);
    void *listings_data;
} impviz_discover_opts;

typedef struct {
    GPtrArray *roots;     /* char *: import roots, in order of precedence (like sys.path) */
    GPtrArray *modules;   /* impviz_module *, sorted by name */
    GHashTable *by_name;  /* name -> impviz_module * (borrowed from modules) */
    GHashTable *packages; /* names of every package, regular or namespace (PEP 420) -> NULL */
    guint skipped_names;  /* files and directories skipped: not Python identifiers */
} impviz_project;

/* Finds the modules below opts->paths. On IMPVIZ_EINPUT (a PATH that does not exist, or no
 * module at all) *out is NULL and diags says why. Caller frees *out with impviz_project_free. */
impviz_status impviz_discover(const impviz_discover_opts *opts, impviz_diags *diags,
                              impviz_project **out);
void impviz_project_free(impviz_project *project);
/* The module named name, or NULL; borrowed until impviz_project_free. */
const impviz_module *impviz_project_lookup(const impviz_project *project, const char *name);
/* Index of a module in project->modules (modules are sorted, so this is a binary search). */
gint impviz_project_index(const impviz_project *project, const char *name);

/* ---- globs: the path patterns of --exclude and .gitignore (see glob.c) -------------------- */

/* Patterns on '/'-separated relative paths: '*', '?' and '[...]' within one segment, a segment
 * "**" for any number of them (one or more at the end). A pattern without a '/' but a trailing
 * one matches a name at any depth, one with a '/' the whole path; a trailing '/' limits it to
 * directories. */
typedef struct impviz_globs impviz_globs;

typedef enum {
    IMPVIZ_GLOB_NONE,     /* no pattern matches */
    IMPVIZ_GLOB_EXCLUDED, /* the last pattern that matches leaves the path out */
    IMPVIZ_GLOB_INCLUDED, /* it is a .gitignore '!' line: the path is back in */
} impviz_glob_verdict;

/* An empty list. Caller frees with impviz_globs_free. */
impviz_globs *impviz_globs_new(void);
void impviz_globs_free(impviz_globs *globs);
/* Adds one --exclude glob (copied), read as a .gitignore line but for comments and '!'; a
 * leading "./" anchors it as '/' does. */
void impviz_globs_add(impviz_globs *globs, const char *glob);
/* Adds the patterns of a .gitignore's text (len bytes, copied), with git's rules for comments,
 * '!' negation, '\' escapes and trailing spaces. */
void impviz_globs_add_gitignore(impviz_globs *globs, const char *text, size_t len);
/* The number of patterns added (0 for NULL). */
guint impviz_globs_count(const impviz_globs *globs);
/* What the patterns say of path (relative, without a leading or trailing '/'); is_dir tells
 * whether it names a directory. Never allocates; NULL globs say IMPVIZ_GLOB_NONE. */
impviz_glob_verdict impviz_globs_match(const impviz_globs *globs, const char *path, bool is_dir);

/* ---- parse --------------------------------------------------------------------------------- */

typedef enum {
    IMPVIZ_EAGER,    /* runs when the module is imported */
    IMPVIZ_DEFERRED, /* inside a function or method body */
    IMPVIZ_LAZY,     /* PEP 810 lazy import, __lazy_modules__, lazy_loader.attach */
    IMPVIZ_TYPING,   /* under if TYPE_CHECKING: never runs */
    IMPVIZ_KIND_COUNT
} impviz_kind;

/* "eager", "deferred", "lazy", "typing". */
const char *impviz_kind_str(impviz_kind kind);
/* Strength order for aggregating edges: eager > deferred > lazy > typing. */
bool impviz_kind_stronger(impviz_kind a, impviz_kind b);

enum {
    IMPVIZ_IMPORT_FROM = 1 << 0,        /* from X import name */
    IMPVIZ_IMPORT_STAR = 1 << 1,        /* from X import * */
    IMPVIZ_IMPORT_DYNAMIC = 1 << 2,     /* importlib.import_module / __import__ with a literal */
    IMPVIZ_IMPORT_CONDITIONAL = 1 << 3, /* under an if, or a try that catches ImportError */
    IMPVIZ_IMPORT_ATTACH = 1 << 4,      /* lazy_loader.attach: module is the package itself */
    IMPVIZ_IMPORT_SELF = 1 << 5,        /* relative to the module itself (package=__name__) */
};

/* One imported name: `from a import b, c` gives two records with the same line and statement. */
typedef struct {
    guint line; /* 1-based */
    impviz_kind kind;
    guint level;           /* leading dots of a relative import; 0 when absolute */
    const char *module;    /* dotted name after the dots; "" for `from . import x` */
    const char *name;      /* from-imports: the imported name ("*" for a star); NULL otherwise */
    const char *asname;    /* the name bound by `as`, or NULL */
    const char *statement; /* the statement on one line, whitespace collapsed */
    guint flags;           /* IMPVIZ_IMPORT_* */
} impviz_import;

/* Kinds of top-level events, in source order, that the import simulation replays. Code inside
 * functions, under `if TYPE_CHECKING` or `if __name__ == "__main__"` produces none. */
typedef enum {
    IMPVIZ_EV_IMPORT, /* an eager import (index into imports); it also binds its name */
    IMPVIZ_EV_BIND,   /* a module-level name becomes bound (def, class, assignment, lazy import) */
    IMPVIZ_EV_USE,    /* an import-time use of name.attr (base class, decorator, call, ...) */
    IMPVIZ_EV_TRY,    /* a try statement starts; next: its first except clause or its end */
    IMPVIZ_EV_EXCEPT, /* an except clause: catches says what; next: the following clause */
    IMPVIZ_EV_ELSE,   /* the else clause of a try; next: the end */
    IMPVIZ_EV_END,    /* the end of a try's except/else clauses (a finally body follows) */
    IMPVIZ_EV_UNBIND, /* a module-level name is deleted (`del name`) */
} impviz_event_type;

/* What an except clause catches, as far as the simulation's errors go. */
enum {
    IMPVIZ_CATCH_IMPORT = 1 << 0,    /* ImportError (not ModuleNotFoundError alone) */
    IMPVIZ_CATCH_ATTRIBUTE = 1 << 1, /* AttributeError */
    IMPVIZ_CATCH_ALL = IMPVIZ_CATCH_IMPORT | IMPVIZ_CATCH_ATTRIBUTE,
};

typedef struct {
    impviz_event_type type;
    guint line;
    guint import_index;  /* IMPORT */
    guint call_line;     /* non-zero: the event comes from the body of a module-level function
                            that a module-level statement on this line calls (its names are
                            local, not bound at module level) */
    const char *name;    /* BIND, UNBIND: the name; USE: the dotted expression "a.b.X" */
    const char *context; /* USE: the source line of the use, stripped */
    bool uncertain;      /* under a condition the simulation cannot decide (if, loop, match) */
    bool class_body;     /* inside a class body: a BIND or an IMPORT's name is not module-level */
    bool none;           /* BIND: the value is the literal None (`x = None`) */
    guint next;          /* TRY, EXCEPT, ELSE: index of the try's next clause event (or END) */
    guint catches;       /* EXCEPT: IMPVIZ_CATCH_* */
    guint class_line;    /* class_body: the line of the module-level class statement */
    const char *call_context;  /* call_line's source line, stripped */
    const char *class_context; /* class_line's source line, stripped */
} impviz_event;

/* What parsing one file produced. Strings are borrowed from the file's string arena.
 * The cache (cache.c) stores every field of impviz_file, impviz_import and impviz_event: a new
 * field must be added there too (a static assertion on the structs' sizes there reminds you). */
typedef struct {
    GArray *imports;   /* impviz_import, in source order */
    GArray *events;    /* impviz_event, module-level, in source order */
    guint error_count; /* syntax errors tree-sitter recovered from, Python 2 statements */
    guint first_error_line;
    bool too_deep;           /* nesting beyond the walker's limit was not looked into */
    guint invalid_utf8_line; /* first line that is not UTF-8 (no other coding declared); 0 if none:
                                CPython refuses such a file, impviz reads what it can */
    GStringChunk *strings;   /* or NULL: the strings lie in the file's own block (cache.c) */
    const char *rejected;    /* not Python text: why (no imports, no events); NULL for a parse.
                                The parser returns NULL instead: the cache keeps this form */
    const char *package;     /* the package the parse depended on (a relative import looked up
                                in __lazy_modules__), or NULL: the parse holds for any package */
} impviz_file;

typedef struct impviz_parser impviz_parser;

/* A parser is not thread-safe: use one per thread. */
impviz_parser *impviz_parser_new(void);
void impviz_parser_free(impviz_parser *parser);
/* Parses Python source bytes (any PEP 263 encoding, BOM, CRLF). Never fails on bad syntax:
 * the imports outside broken parts are kept and error_count says how many parts broke.
 * package is the module's __package__ ("" for a top-level module; NULL when unknown): the
 * absolute name of a relative import, looked up in __lazy_modules__. Returns NULL only when
 * the bytes are not Python text (NUL bytes or undecodable), with *why set to the reason,
 * borrowed from the parser until its next parse or free. Caller frees the result with
 * impviz_file_free. */
impviz_file *impviz_parser_parse(impviz_parser *parser, const char *bytes, size_t len,
                                 const char *package, const char **why);
void impviz_file_free(impviz_file *file);

/* A function whose body uses a name: where an import of that name could move. */
typedef struct {
    char *function; /* qualified like Python's __qualname__: "f", "C.method" (outermost def) */
    guint line;     /* its def line */
} impviz_user;

/* A copy of u; caller frees with impviz_user_free (a GDestroyNotify for arrays of them). */
impviz_user *impviz_user_copy(const impviz_user *u);
void impviz_user_free(gpointer u);

/* Where one file uses one name (identifiers only; attribute names and keywords do not count). */
typedef struct {
    bool import_time;     /* read by code that runs on import: module level, class bodies,
                             decorators, defaults, annotations (unless PEP 563), lambdas */
    guint first_line;     /* the first such read; 0 when none */
    GPtrArray *functions; /* impviz_user *, owned: outermost functions whose bodies read it,
                             in source order */
} impviz_name_uses;

/* For each of names[0 .. n_names) (borrowed), where the Python source bytes (any PEP 263
 * encoding) use it: import statements themselves do not count. Returns a GArray of n_names
 * impviz_name_uses (its clear function frees them; caller frees with g_array_unref), or NULL
 * when the bytes are not Python text. */
GArray *impviz_parser_name_uses(impviz_parser *parser, const char *bytes, size_t len,
                                const char *const *names, guint n_names);
/* The same for UTF-8 text, from its tokens alone (uses.c): no parse. */
GArray *impviz_name_uses_scan(const char *text, size_t len, const char *const *names,
                              guint n_names);

/* ---- resolve ------------------------------------------------------------------------------- */

typedef enum {
    IMPVIZ_TARGET_MODULE,      /* a module of the project */
    IMPVIZ_TARGET_STDLIB,      /* the standard library */
    IMPVIZ_TARGET_THIRD_PARTY, /* any other package outside the project */
    IMPVIZ_TARGET_UNRESOLVED,  /* a relative import that climbs above its root */
} impviz_target_class;

/* An import record, resolved. */
typedef struct {
    guint source; /* module index */
    gint target;  /* module index, or -1 when not a project module */
    impviz_target_class cls;
    const char *external;        /* top-level name of an external target, else NULL; interned */
    const impviz_import *import; /* borrowed from the source's impviz_file */
} impviz_ref;

/* Resolves every import of files[i] (the file of project->modules[i]; NULL entries are
 * skipped) into refs, appended in (module, source order). Pure: no I/O. */
void impviz_resolve(const impviz_project *project, impviz_file *const *files, GArray *refs);
/* The same on up to `jobs` threads (0 or 1: the calling one alone): the same refs, in the same
 * order. */
void impviz_resolve_threads(const impviz_project *project, impviz_file *const *files, GArray *refs,
                            guint jobs);
/* Resolves one import of module `source`; exposed for tests. */
impviz_ref impviz_resolve_one(const impviz_project *project, guint source,
                              const impviz_import *import);
/* The absolute dotted name of the module an import names, before any `from` name: "pkg.mod"
 * for `from .mod import x` in pkg/a.py. NULL when a relative import climbs above its top-level
 * package. Caller frees. */
char *impviz_resolve_absolute(const impviz_project *project, guint source,
                              const impviz_import *import);
/* True when `name` (a top-level module name) belongs to the standard library. */
bool impviz_is_stdlib(const char *name);

/* ---- graph --------------------------------------------------------------------------------- */

/* Imports from one project module to another, aggregated. */
typedef struct {
    guint source, target; /* module indices */
    impviz_kind kind;     /* the strongest kind present */
    guint kinds;          /* bit set of every kind present: 1 << impviz_kind */
    guint count;          /* number of import records */
    const guint *refs;    /* count guint indices into the analysis refs, in source order;
                             borrowed from the graph (edge_refs) */
} impviz_edge;

/* Strongly connected components of two or more modules. */
typedef struct {
    GPtrArray *components; /* GArray of guint module indices, each sorted by name; the list
                              sorted by first member's name */
    gint *component_of;    /* per module: index into components, or -1 */
} impviz_sccs;

typedef struct {
    GArray *edges;           /* impviz_edge, sorted by (source, target) */
    impviz_sccs import_time; /* over eager edges */
    impviz_sccs runtime;     /* over eager, deferred and lazy edges */
    guint n_modules;
    guint *edge_refs; /* every edge's refs, one block: one allocation rather than one per edge */
} impviz_graph;

/* Builds edges from refs (borrowed; must outlive the graph) and finds both kinds of SCCs.
 * Caller frees with impviz_graph_free. */
impviz_graph *impviz_graph_new(guint n_modules, const GArray *refs);
void impviz_graph_free(impviz_graph *graph);
/* A GHashFunc for gint64 keys packing two 32-bit indices (source << 32 | target), with
 * g_int64_equal: unlike g_int64_hash, pairs of nearby indices do not collide. */
guint impviz_pair_hash(gconstpointer key);
/* The edge source -> target, or NULL. */
const impviz_edge *impviz_graph_edge(const impviz_graph *graph, guint source, guint target);
/* Strongly connected components of the graph of n nodes whose out-neighbours of node v are
 * adj[off[v] .. off[v+1]); iterative, so a 100 000-node chain cannot overflow the stack.
 * Fills sccs; free with impviz_sccs_release. */
void impviz_sccs_compute(guint n, const guint *off, const guint *adj, impviz_sccs *sccs);
void impviz_sccs_release(impviz_sccs *sccs);
/* Shortest cycle through members of a component, following edges that pass `accept`:
 * module indices start, ..., start (first == last). Caller frees with g_array_unref. */
GArray *impviz_graph_shortest_cycle(const impviz_graph *graph, const GArray *component,
                                    guint kind_mask);

/* ---- the whole analysis ---------------------------------------------------------------------- */

/* Where parse results are kept between runs (see the cache section). */
typedef enum {
    IMPVIZ_CACHE_OFF = 0, /* parse every file */
    IMPVIZ_CACHE_USER,    /* impviz_cache_default_dir(): under $XDG_CACHE_HOME/impviz */
    IMPVIZ_CACHE_LOCAL,   /* .impviz_cache/ in the first import root, beside the project */
    IMPVIZ_CACHE_DIR,     /* the directory in cache_dir */
} impviz_cache_mode;

typedef struct {
    impviz_discover_opts discover;
    guint jobs; /* parser threads; 0 means one per core */
    impviz_cache_mode cache;
    const char *cache_dir; /* IMPVIZ_CACHE_DIR: the directory (created when missing) */
} impviz_analysis_opts;

typedef struct {
    impviz_project *project;
    GPtrArray *files; /* impviz_file * per module (NULL when unreadable) */
    GArray *refs;     /* impviz_ref, sorted by (source module, line) */
    impviz_graph *graph;
    guint n_imports; /* import records in all files */
    /* set by the caller for the report, freed by impviz_analysis_free; NULL when not asked */
    struct impviz_diagnosis_s *diagnosis;
    struct impviz_prediction_s *entry; /* --entry MODULE */
    guint n_parsed;                    /* files parsed by this run */
    guint n_from_cache;                /* files whose parse came from the cache */
    /* with a cache only (else NULL): the memo's key (memo.c) */
    char *cache_dir;         /* the cache directory of this run */
    guint64 *content_hashes; /* per module: impviz_hash_bytes of its file's bytes as parsed (or
                                as the parse cache knew them when it trusted stat) */
    bool *content_known;     /* per module: content_hashes[i] is valid (false: unreadable) */
    guint jobs;              /* threads the analysis may use (0 or 1: one) */
} impviz_analysis;

/* Starts the threads that a run with jobs threads (0: one per core) shares between its phases,
 * so that the first phase to push work finds them running: a thread just made may wait for a
 * core for milliseconds while its maker keeps one busy, and a thread that has run wakes on an
 * idle core at once. Every GThreadPool of impviz is shared (not exclusive) and takes its threads
 * from these; they end with the process. Call once, early; optional. */
void impviz_threads_prepare(guint jobs);

/* Discovers, parses (in opts->jobs threads), resolves and builds the graph. Problems with single
 * files are warnings in diags and the run goes on. Caller frees with impviz_analysis_free. */
impviz_status impviz_analysis_run(const impviz_analysis_opts *opts, impviz_diags *diags,
                                  impviz_analysis **out);
void impviz_analysis_free(impviz_analysis *analysis);

/* ---- diagnose: what CPython does when a module is imported ------------------------------- */

typedef enum {
    IMPVIZ_ERROR_NONE,
    IMPVIZ_ERROR_IMPORT,    /* ImportError: cannot import name 'X' from ... */
    IMPVIZ_ERROR_ATTRIBUTE, /* AttributeError: ... module 'M' has no attribute 'X' ... */
} impviz_error_type;

/* "ImportError", "AttributeError"; NULL for IMPVIZ_ERROR_NONE. */
const char *impviz_error_type_str(impviz_error_type type);

/* One frame of a predicted traceback: a module executing a statement. */
typedef struct {
    guint module;          /* module index */
    guint line;            /* 1-based */
    const char *statement; /* borrowed from the analysis' files */
} impviz_frame;

/* What `python -c "import MODULE"` does, as predicted by replaying CPython's import system over
 * the module-level events of the project's files. */
typedef struct impviz_prediction_s {
    char *module;           /* the entry module's dotted name */
    impviz_error_type type; /* IMPVIZ_ERROR_NONE: imports without error */
    char *message;          /* the exception's message, paths relative to the import root */
    GArray *chain;          /* impviz_frame, the entry module's frame first and the frame where
                               the traceback ends last; empty when there is no error */
    bool assumptions;       /* rests on code the simulation could not decide (an if, a loop, a
                               name a star import from outside the project may bind, what a
                               module __getattr__ returns) */
} impviz_prediction;

typedef enum {
    IMPVIZ_FIX_DEFER,       /* move the import into the functions that use its names */
    IMPVIZ_FIX_RESTRUCTURE, /* names are used at import time: move the composition into a third
                               module */
} impviz_fix_action;

/* "defer", "restructure". */
const char *impviz_fix_action_str(impviz_fix_action action);

/* One import statement to change. */
typedef struct {
    guint module, target;  /* module indices: the import's file and what it imports */
    guint line;            /* of the import statement */
    const char *statement; /* borrowed from the analysis' files */
    impviz_fix_action action;
    GPtrArray *functions; /* impviz_user *, owned: DEFER: the functions to move it into */
    GPtrArray *names;     /* char *, owned: the names the import binds (DEFER) or the names
                             used at import time that need a new home (RESTRUCTURE) */
} impviz_suggestion;

/* The diagnosis of one import-time component. */
typedef struct {
    GArray *members;        /* guint module indices, sorted by name */
    GArray *cycle;          /* impviz_step (see impviz_cycle_steps): the shortest cycle */
    GPtrArray *entries;     /* impviz_prediction *, one per member, in member order; in a huge
                               component only the first members, as many as a fixed budget of
                               simulated work allows */
    guint entries_omitted;  /* members left out of entries (0 but in huge components) */
    GPtrArray *suggestions; /* impviz_suggestion *, by (path, line): deferring (or restructuring)
                               these imports removes every import-time cycle of the component */
    bool minimum;           /* the suggestions are a minimum set (false: a heuristic's) */
} impviz_cycle_diagnosis;

typedef struct impviz_diagnosis_s {
    GPtrArray *cycles; /* impviz_cycle_diagnosis *, in the order of graph->import_time */
    guint64 steps;     /* statements the simulations ran */
    guint omitted;     /* members left without a prediction because max_steps ran out */
} impviz_diagnosis;

/* The default of impviz_diagnose's max_steps: seconds of work on 100 000 modules. */
#define IMPVIZ_MAX_SIMULATION 20000000u

/* Diagnoses every import-time component of the analysis: predicts each member's import, finds
 * the shortest cycle and the imports to defer. Rereads the files of modules on cycles (to see
 * where imported names are used); files that cannot be reread count as using every name at
 * import time. The simulations stop after max_steps statements in all (0: no limit): the
 * members not reached count in entries_omitted and in omitted. Caller frees with
 * impviz_diagnosis_free. */
impviz_diagnosis *impviz_diagnose(const impviz_analysis *analysis, guint64 max_steps);
void impviz_diagnosis_free(impviz_diagnosis *diagnosis);
/* Frees one impviz_suggestion * (a GDestroyNotify for impviz_cycle_diagnosis.suggestions). */
void impviz_suggestion_free(gpointer suggestion);
/* Frees one impviz_cycle_diagnosis * (a GDestroyNotify for impviz_diagnosis.cycles). */
void impviz_cycle_diagnosis_free(gpointer cycle);

/* Predicts what importing `module` (a project module or package, dotted) does. IMPVIZ_EUSAGE
 * with a diagnostic when the project has no such module. Caller frees *out with
 * impviz_prediction_free. */
impviz_status impviz_predict_import(const impviz_analysis *analysis, const char *module,
                                    impviz_diags *diags, impviz_prediction **out);
void impviz_prediction_free(impviz_prediction *prediction);

/* ---- memo: the diagnosis kept between runs (memo.c) ---------------------------------------- */

/* impviz_diagnose(analysis, max_steps), taken from DIR/diagnosis.cache in analysis->cache_dir
 * when the last run that wrote it had the same key (impviz_memo_key); otherwise computed and
 * written there for the next run (a note in diags when it cannot be). Without a cache dir, just
 * impviz_diagnose. Says "diagnosis from the cache" as a note on a hit. Caller frees with
 * impviz_diagnosis_free; it borrows from the analysis as a computed one does. */
impviz_diagnosis *impviz_memo_diagnose(const impviz_analysis *analysis, guint64 max_steps,
                                       impviz_diags *diags);
/* Everything impviz_diagnose reads, as bytes: this build's id, max_steps, the roots, each
 * module's name, path, root, package flag and content hash, the namespace packages, and every
 * resolved import's source, target, class, kind, line, flags and level. NULL when the analysis
 * ran without a cache (no content hashes). Caller unrefs. */
GBytes *impviz_memo_key(const impviz_analysis *analysis, guint64 max_steps);
/* A diagnosis of analysis as bytes, or NULL when it holds a borrowed pointer that is not into
 * analysis' files. Caller unrefs. */
GBytes *impviz_diagnosis_serialize(const impviz_analysis *analysis,
                                   const impviz_diagnosis *diagnosis);
/* The diagnosis impviz_diagnosis_serialize's bytes describe, pointing into analysis' files, or
 * NULL when the bytes are not such a description of this analysis (every index is checked);
 * reads nothing outside data[0, len). Caller frees with impviz_diagnosis_free. */
impviz_diagnosis *impviz_diagnosis_deserialize(const impviz_analysis *analysis, const void *data,
                                               size_t len);

/* ---- view: the graph a picture shows -------------------------------------------------------- */

/* How external packages appear in a view. */
typedef enum {
    IMPVIZ_EXTERNALS_NONE, /* not drawn */
    IMPVIZ_EXTERNALS_TOP,  /* one node per top-level name: "numpy" */
    IMPVIZ_EXTERNALS_ALL,  /* one node per imported dotted name: "numpy.linalg" */
} impviz_externals;

/* "none", "top", "all"; false when unknown. */
bool impviz_externals_parse(const char *name, impviz_externals *out);

/* What to show. Zero-initialised options show every project module and no externals.
 * Filters apply in this order: --only/--exclude names, --cycles-only, --focus, --depth. */
typedef struct {
    guint depth;              /* collapse modules deeper than this many dotted parts into their
                                 package of that depth; 0 means no collapsing */
    const char *const *focus; /* NULL-terminated module names, or NULL: only their neighbourhood */
    guint up, down;           /* with focus: importers to `up` steps, imports to `down` steps */
    const char *const *only;  /* NULL-terminated globs on module names, or NULL for all */
    const char *const *exclude; /* NULL-terminated globs on module and external names, or NULL */
    bool cycles_only;           /* only modules on a cycle (runtime components, which hold every
                                   import-time one) and the edges among them */
    impviz_externals externals;
    bool no_stdlib; /* leave standard-library externals out */
    bool reverse;   /* edges point from the imported module to its importer */
} impviz_view_opts;

typedef enum {
    IMPVIZ_NODE_MODULE,      /* one project module */
    IMPVIZ_NODE_COLLAPSED,   /* the modules of a package below --depth, drawn as one */
    IMPVIZ_NODE_STDLIB,      /* a standard-library module outside the project */
    IMPVIZ_NODE_THIRD_PARTY, /* any other module outside the project */
} impviz_node_type;

/* "module", "package", "stdlib", "third_party". */
const char *impviz_node_type_str(impviz_node_type type);

typedef struct {
    char *name;    /* unique within its type: module, collapsed package or external name */
    char *label;   /* short name for the picture: the last dotted part, "__init__" for a package */
    char *package; /* dotted package whose cluster holds the node; "" for none (and externals) */
    impviz_node_type type;
    bool is_package;        /* MODULE: the module is a package (its __init__) */
    GArray *modules;        /* guint project module indices drawn as this node, ascending (one for
                               MODULE, several for COLLAPSED, none for externals) */
    gint component;         /* lowest import-time component of a member, or -1: "in-cycle" */
    gint runtime_component; /* lowest runtime component of a member, or -1 */
    guint in, out;          /* edges of the view into and out of the node */
} impviz_view_node;

/* Imports between two nodes, aggregated over the modules the nodes stand for. */
typedef struct {
    guint source, target; /* node indices, as drawn (swapped by reverse) */
    impviz_kind kind;     /* the strongest kind present */
    guint kinds;          /* bit set of every kind present: 1 << impviz_kind */
    guint count;          /* import records behind the edge */
    guint statements;     /* import statements behind it: `from m import a, b` is one statement
                             and two records */
    GArray *refs;         /* guint indices into the analysis refs, ascending (source order) */
    bool cycle;           /* an eager import inside an import-time component */
    bool runtime_cycle;   /* not cycle; a non-typing import inside a runtime component */
} impviz_view_edge;

typedef struct {
    GPtrArray *nodes;     /* impviz_view_node *: project nodes by name, then externals by name */
    GArray *edges;        /* impviz_view_edge, sorted by (source, target); no self-loops */
    bool reversed;        /* opts->reverse: edges point from imported to importer */
    guint hidden_modules; /* project modules the filters left out */
} impviz_view;

/* Builds the view of an analysis (borrowed: must outlive the view). IMPVIZ_EUSAGE with an error
 * in diags when a focus module does not exist; *out is then NULL. Caller frees *out with
 * impviz_view_free. */
impviz_status impviz_view_new(const impviz_analysis *analysis, const impviz_view_opts *opts,
                              impviz_diags *diags, impviz_view **out);
void impviz_view_free(impviz_view *view);
/* A node's id, unique in the view and used as its SVG id: "m:pkg.mod" (module), "p:pkg"
 * (collapsed package), "x:numpy" (external). Caller frees with g_free. */
char *impviz_view_node_id(const impviz_view_node *node);
/* An edge's SVG id: "e:SRC->DST" with each end's Graphviz name (its SVG <title>): the dotted
 * name for project nodes, "ext:NAME" for externals. Caller frees with g_free. */
char *impviz_view_edge_id(const impviz_view *view, const impviz_view_edge *edge);
/* True when ref (an index into analysis->refs) comes from the same statement as refs[i - 1]: a
 * `from m import a, b` gives two records of one statement, which pictures list once. */
bool impviz_view_same_statement(const impviz_analysis *analysis, const GArray *refs, guint i,
                                guint ref);
/* --link TEMPLATE filled in: {path}, {line} and {module} replaced, the rest kept. Caller frees. */
char *impviz_link_expand(const char *tmpl, const char *path, guint line, const char *module);
/* The node index of a name of the given type, or -1. */
gint impviz_view_find(const impviz_view *view, impviz_node_type type, const char *name);
/* ---- cache: parse results kept between runs ----------------------------------------------- */

/* Fills *st from stat(path); false with errno set when stat fails. */
bool impviz_stat_path(const char *path, impviz_stat *st);
/* Fills *st from what stat(2) returned. */
struct stat;
void impviz_stat_set(impviz_stat *st, const struct stat *s);
/* Writes all of data to fd, retrying short writes and EINTR; false with errno set on failure. */
bool impviz_write_all(int fd, const void *data, size_t len);
/* The 64-bit content hash the cache compares files by (fast, not cryptographic). */
guint64 impviz_hash_bytes(const void *data, size_t len);

/* Everything a parse produced, as bytes (a new GBytes the caller unrefs). */
GBytes *impviz_file_serialize(const impviz_file *file);
/* The parse result impviz_file_serialize's bytes describe, or NULL when the bytes are not such a
 * description; reads nothing outside data[0, len). Caller frees with impviz_file_free. */
impviz_file *impviz_file_deserialize(const void *data, size_t len);

typedef struct impviz_cache impviz_cache;

/* Opens the cache kept in dir for a run over n_slots files (one slot per module). A missing
 * cache is empty; a corrupt one, or one from another cache format, grammar or extractor, is
 * ignored (a note in diags says so) and replaced on save. Never fails. Caller frees with
 * impviz_cache_free. */
impviz_cache *impviz_cache_open(const char *dir, guint n_slots, impviz_diags *diags);
void impviz_cache_free(impviz_cache *cache);
/* The parse of the file at path (absolute) kept by an earlier run, when the file is unchanged:
 * st matches the entry's, or else *hash (pass NULL when the bytes have not been read yet) matches
 * the entry's content hash. The entry is then kept in slot for the next save. NULL when the file
 * is not in the cache or changed. Calls on distinct slots may run in parallel. Caller frees the
 * result with impviz_file_free. */
impviz_file *impviz_cache_get(impviz_cache *cache, guint slot, const char *path,
                              const impviz_stat *st, const guint64 *hash);
/* Keeps a fresh parse of path in slot for the next save; file is serialized, not kept. Calls on
 * distinct slots may run in parallel. */
void impviz_cache_put(impviz_cache *cache, guint slot, const char *path, const impviz_stat *st,
                      guint64 hash, const impviz_file *file);
/* Writes the slots' entries (files of this run only) when anything changed since the cache was
 * opened. The file is written beside its final name and renamed into place, so readers never see
 * a partial cache and, of two runs at once, the last one wins. IMPVIZ_EOUTPUT with a note in
 * diags when dir cannot be written. */
impviz_status impviz_cache_save(impviz_cache *cache, impviz_diags *diags);
/* The content hash of the file in slot, as the slot's last impviz_cache_get hit or
 * impviz_cache_put knew it; false when the slot has neither. */
bool impviz_cache_content_hash(const impviz_cache *cache, guint slot, guint64 *hash);
/* The default directory for a project with these import roots (char *):
 * $XDG_CACHE_HOME/impviz/<hash of the absolute roots>, ~/.cache when XDG_CACHE_HOME is unset.
 * A new string the caller frees with g_free. */
char *impviz_cache_default_dir(const GPtrArray *roots);
/* ---- baseline: today's import-time cycles, so that CI fails only on new ones --------------- */

/* Import-time components (members and the eager edges inside each), named by module. */
typedef struct impviz_baseline impviz_baseline;

/* The import-time components of an analysis. Caller frees with impviz_baseline_free. */
impviz_baseline *impviz_baseline_new(const impviz_analysis *analysis);
void impviz_baseline_free(impviz_baseline *baseline);
/* Number of components recorded. */
guint impviz_baseline_count(const impviz_baseline *baseline);
/* The baseline as small, sorted JSON ending in a newline: the same components give the same
 * bytes on any machine. Caller frees with g_string_free. */
GString *impviz_baseline_dump(const impviz_baseline *baseline);
/* Reads a baseline from len bytes (need not be NUL-terminated; may be anything: it is checked
 * field by field). name is only used in messages. On IMPVIZ_EINPUT *out is NULL and diags holds
 * one error saying what is wrong and where. Caller frees *out with impviz_baseline_free. */
impviz_status impviz_baseline_parse(const char *data, size_t len, const char *name,
                                    impviz_diags *diags, impviz_baseline **out);
/* impviz_baseline_parse on the contents of path; IMPVIZ_EINPUT when it cannot be read. */
impviz_status impviz_baseline_load(const char *path, impviz_diags *diags, impviz_baseline **out);

/* An import-time component that is not in a baseline as it is now. */
typedef struct {
    guint component;     /* index into analysis->graph->import_time.components */
    bool is_new;         /* none of its members was on a recorded component */
    GArray *new_members; /* guint module indices that were on no recorded component */
    GArray *new_edges;   /* guint indices into analysis->graph->edges: eager edges inside the
                            component that were not recorded */
} impviz_cycle_change;

void impviz_cycle_change_free(impviz_cycle_change *change);
/* The components of analysis that are new or grew (a new member or a new edge inside) compared
 * with baseline, in component order; components that shrank or vanished are not listed. Caller
 * frees with g_ptr_array_unref (it frees the elements). */
GPtrArray *impviz_baseline_compare(const impviz_baseline *baseline,
                                   const impviz_analysis *analysis);

/* ---- configuration: [tool.impviz] in pyproject.toml -------------------------------------------
 */

typedef enum {
    IMPVIZ_CONFIG_STRING,
    IMPVIZ_CONFIG_BOOL,
    IMPVIZ_CONFIG_INT,
    IMPVIZ_CONFIG_STRINGS,        /* an array of strings */
    IMPVIZ_CONFIG_BOOL_OR_STRING, /* either; the value's type says which was given */
} impviz_config_type;

/* One key the caller accepts; tables of keys end with {NULL}. */
typedef struct {
    const char *name; /* as in the file: "fail-on" */
    impviz_config_type type;
} impviz_config_key;

typedef struct {
    const char *key;         /* borrowed from the caller's key table */
    impviz_config_type type; /* never IMPVIZ_CONFIG_BOOL_OR_STRING: the type given */
    int line;                /* of the key */
    char *string;            /* IMPVIZ_CONFIG_STRING */
    bool boolean;            /* IMPVIZ_CONFIG_BOOL */
    gint64 integer;          /* IMPVIZ_CONFIG_INT */
    char **strings;          /* IMPVIZ_CONFIG_STRINGS: NULL-terminated */
} impviz_config_value;

typedef struct {
    char *path;        /* the file, as shown in messages */
    char *dir;         /* its directory: relative paths in values are relative to it */
    bool found;        /* the file has a [tool.impviz] table */
    GPtrArray *values; /* impviz_config_value *, in file order, each key once */
} impviz_config;

/* Parses len bytes of TOML (need not be NUL-terminated; may be anything) named path, and reads
 * its [tool.impviz] table against keys. A TOML syntax error, an unknown key, a key given twice
 * or a value of the wrong type is IMPVIZ_EINPUT with one error in diags naming path, the line
 * and the key; *out is then NULL. Caller frees *out with impviz_config_free. */
impviz_status impviz_config_parse(const char *data, size_t len, const char *path,
                                  const impviz_config_key *keys, impviz_diags *diags,
                                  impviz_config **out);
/* impviz_config_parse on the contents of path. */
impviz_status impviz_config_load(const char *path, const impviz_config_key *keys,
                                 impviz_diags *diags, impviz_config **out);
/* Walks up from start (a file or directory) to the nearest pyproject.toml with a [tool.impviz]
 * table and reads it. IMPVIZ_OK with *out NULL when there is none; IMPVIZ_EINPUT when a
 * pyproject.toml on the way is broken. */
impviz_status impviz_config_discover(const char *start, const impviz_config_key *keys,
                                     impviz_diags *diags, impviz_config **out);
void impviz_config_free(impviz_config *config);
/* The value of key, or NULL when the file does not set it; borrowed until impviz_config_free. */
const impviz_config_value *impviz_config_get(const impviz_config *config, const char *key);
/* path from the file made usable from the working directory: joined to config->dir unless
 * absolute. Caller frees. */
char *impviz_config_resolve(const impviz_config *config, const char *path);

/* ---- themes: the colours and fonts of pictures ------------------------------------------------
 */

/* Every field is set (a theme file's missing keys keep the built-in light values) and checked:
 * colours are "#rrggbb[aa]" or a colour name, the font a plain name. */
typedef struct {
    char *name; /* as given to --theme */
    char *background, *font, *font_size;
    char *module_fill, *module_border, *module_text;
    char *cluster_border, *cluster_text, *cluster_fill;
    char *edge, *edge_typing, *edge_external;
    char *cycle;           /* edges and borders of import-time cycles */
    char *component_fills; /* ';'-separated fills, one per import-time component, reused */
    char *runtime_cycle, *runtime_fill;
    char *stdlib_fill, *stdlib_border, *third_party_fill, *third_party_border;
    char *legend_border, *legend_text;
} impviz_theme;

/* The built-in light theme (the default). Caller frees with impviz_theme_free. */
impviz_theme *impviz_theme_new(void);
void impviz_theme_free(impviz_theme *theme);
/* Reads a theme from len bytes in GKeyFile format; name is for messages. IMPVIZ_EUSAGE with an
 * error in diags on bad syntax, an unknown group or key, or a bad value; *out is then NULL. */
impviz_status impviz_theme_parse(const char *data, size_t len, const char *name,
                                 impviz_diags *diags, impviz_theme **out);
/* --theme SPEC: a file when SPEC has a '/' or ends in ".theme", else SPEC.theme in the first of
 * the NULL-terminated dirs that has one. IMPVIZ_EUSAGE with an error naming the themes there
 * when there is none. Caller frees *out with impviz_theme_free. */
impviz_status impviz_theme_load(const char *spec, const char *const *dirs, impviz_diags *diags,
                                impviz_theme **out);

/* ---- output -------------------------------------------------------------------------------- */

typedef enum {
    IMPVIZ_FORMAT_TEXT,
    IMPVIZ_FORMAT_JSON,
    IMPVIZ_FORMAT_DOT,
    IMPVIZ_FORMAT_SVG,
    IMPVIZ_FORMAT_PNG,
    IMPVIZ_FORMAT_PDF,
    IMPVIZ_FORMAT_SARIF,    /* SARIF 2.1.0 for code scanning */
    IMPVIZ_FORMAT_GITHUB,   /* GitHub Actions workflow commands (::error file=...) */
    IMPVIZ_FORMAT_MARKDOWN, /* a pull-request comment */
    IMPVIZ_FORMAT_MERMAID,  /* a Mermaid flowchart */
    IMPVIZ_FORMAT_HTML,     /* one self-contained interactive page: SVG, search, cycles */
    IMPVIZ_FORMAT_COUNT
} impviz_format;

/* Parses a format name ("svg", "gv" ...); false when unknown. */
bool impviz_format_parse(const char *name, impviz_format *out);
/* Guesses the format from a file name's extension; false when there is none we know. */
bool impviz_format_from_path(const char *path, impviz_format *out);

/* How a module or edge changed between two analyses (impviz diff). */
typedef enum {
    IMPVIZ_CHANGE_SAME,
    IMPVIZ_CHANGE_ADDED,
    IMPVIZ_CHANGE_REMOVED,
    IMPVIZ_CHANGE_KIND, /* an edge on both sides whose strongest kind changed (deferred -> eager) */
} impviz_change;

/* How a module or edge of impviz diff's merged graph took part in a cycle that changed. */
typedef enum {
    IMPVIZ_CYCLE_MARK_NONE,
    IMPVIZ_CYCLE_MARK_NEW,  /* on an import-time cycle that appeared, or new in one that grew */
    IMPVIZ_CYCLE_MARK_GONE, /* on one that disappeared, or left one that shrank; on none now */
} impviz_cycle_mark;

typedef struct {
    const char *layout;  /* Graphviz engine: "dot" ..., or "auto" (also NULL): see below */
    const char *rankdir; /* "TB", "LR", "BT", "RL" */
    bool externals;      /* without a view: draw external packages, one per top-level name */
    bool legend;
    const impviz_view *view;   /* what to draw (borrowed), or NULL for every module */
    const impviz_theme *theme; /* colours and fonts (borrowed), or NULL for the light theme */
    const char *link; /* URL template for nodes and edges, or NULL: {path} (relative to the import
                         root), {line} and {module} are replaced */
    guint timeout;    /* seconds a layout may take (0: no limit); past it the layout is killed,
                         retried once with sfdp, and failing that IMPVIZ_ERENDER */
    guint max_edges;  /* a larger graph is not laid out: IMPVIZ_ERENDER (0: no limit) */
    /* impviz diff: per module and per graph edge of the analysis drawn, or NULL. Added ones get
     * SVG class "added" (green), removed ones "removed" (grey, dashed), edges whose kind changed
     * "changed" (blue), others "unchanged" (muted). Borrowed. */
    const guint8 *module_changes;
    const guint8 *edge_changes;
    /* impviz diff: impviz_cycle_mark per module and per graph edge, or NULL: class
     * "cycle-appeared" (drawn bold) or "cycle-disappeared" (drawn with the cycle colour, faded).
     * Borrowed. */
    const guint8 *module_cycle_marks;
    const guint8 *edge_cycle_marks;
} impviz_render_opts;

/* The engine used for `layout`: itself, or for "auto" or NULL, dot unless the view is too large
 * for dot to lay out in reasonable time, then sfdp. Static string. */
const char *impviz_render_engine(const impviz_view *view, const char *layout);
/* One self-contained HTML page (the SVG inline, with pan and zoom, search, highlighting and a
 * side panel of cycles and import statements; no network access) into *out, freed by the
 * caller with g_bytes_unref. impviz_render hands IMPVIZ_FORMAT_HTML here. */
impviz_status impviz_html(const impviz_analysis *analysis, const impviz_render_opts *opts,
                          impviz_diags *diags, GBytes **out);
/* Renders the graph with Graphviz into *out (a new GBytes, freed by the caller with
 * g_bytes_unref). IMPVIZ_ERENDER with a diagnostic when Graphviz fails, crashes or runs out of
 * time. With a timeout, layout and rendering run in a forked child process (Graphviz cannot be
 * interrupted in-process); DOT output needs no layout and is never limited. Without one (0) they
 * run in this process, and after a dot layout of nested clusters Graphviz 2.42's agclose fails:
 * the graph's memory (a few KB) stays allocated. A long-lived caller should pass a timeout. */
impviz_status impviz_render(const impviz_analysis *analysis, const impviz_render_opts *opts,
                            impviz_format format, impviz_diags *diags, GBytes **out);

/* Report text (IMPVIZ_FORMAT_TEXT) or JSON (IMPVIZ_FORMAT_JSON) into a new GString that the
 * caller frees with g_string_free. */
GString *impviz_report(const impviz_analysis *analysis, impviz_format format, bool verbose);
/* The same, with the view a picture would draw (borrowed; NULL for none) added to JSON as
 * "view": its nodes and edges, so tools and tests can read back exactly what is drawn. */
GString *impviz_report_with_view(const impviz_analysis *analysis, const impviz_view *view,
                                 impviz_format format, bool verbose);
/* An output file being written, whole or not at all: see impviz_output_open below. */
typedef struct impviz_output impviz_output;
/* The same report written to output (borrowed) as it is made, through a buffer of fixed size
 * however large the report: the bytes impviz_report_with_view returns. A failed write is kept in
 * output for impviz_output_commit to report. */
void impviz_report_write(impviz_output *output, const impviz_analysis *analysis,
                         const impviz_view *view, impviz_format format);
/* The same in two steps, so that the view can be made meanwhile: begin writes all but the view;
 * finish writes the view (borrowed; NULL for none) and frees the writer. */
typedef struct impviz_report_writer impviz_report_writer;
impviz_report_writer *impviz_report_begin(impviz_output *output, const impviz_analysis *analysis,
                                          impviz_format format);
void impviz_report_finish(impviz_report_writer *writer, const impviz_view *view);

/* Appends s to out as safe text for one line of a report or message: newline, tab and carriage
 * return as \n, \t, \r, other control characters and bytes that are not UTF-8 as \xNN, so a
 * path or statement cannot break a line or send a terminal escape sequence. */
void impviz_text_escape(GString *out, const char *s);
/* ---- review formats: SARIF, GitHub annotations, Markdown, Mermaid ---------------------------- */

/* How a gate (--check, --fail-on, --baseline) judges each import-time component, so that the
 * review formats agree with the exit status: what fails is an error, the rest a warning. */
typedef enum {
    IMPVIZ_BASELINE_NONE,      /* no baseline in use */
    IMPVIZ_BASELINE_NEW,       /* not in the baseline */
    IMPVIZ_BASELINE_UPDATED,   /* in it, but grew */
    IMPVIZ_BASELINE_UNCHANGED, /* recorded as it is */
} impviz_baseline_state;

typedef struct {
    const guint8 *fails;    /* per component: 1 when it fails the gate; NULL: every one fails */
    const guint8 *baseline; /* per component: impviz_baseline_state; NULL without a baseline */
} impviz_gate;

/* True for the formats impviz_review writes. */
bool impviz_format_is_review(impviz_format format);
/* The analysis as SARIF, GitHub annotations, a Markdown pull-request comment or Mermaid, into a
 * new GString that the caller frees with g_string_free. Every string from the code (names,
 * paths, statements) is escaped for the format. view (borrowed, may be NULL) narrows the Mermaid
 * chart to the modules it draws one by one (--focus, --only, --exclude, --cycles-only). */
GString *impviz_review(const impviz_analysis *analysis, impviz_format format,
                       const impviz_view *view, const impviz_gate *gate);

/* One step of a cycle: module source imports target with import (borrowed from the analysis). */
typedef struct {
    guint source, target;
    const impviz_import *import;
} impviz_step;

/* The shortest cycle through import-time component `component` as steps, first step from its
 * first member that has one; caller frees with g_array_unref. */
GArray *impviz_cycle_steps(const impviz_analysis *analysis, guint component);
/* A module's file as a user in the working directory would write it: no "./", relative to the
 * working directory when below it. Caller frees. */
char *impviz_module_display_path(const impviz_module *module);
/* Appends a Mermaid flowchart of the whole graph (component < 0) or of one import-time
 * component's members and the imports among them. Cycle edges are styled, deferred and
 * TYPE_CHECKING edges dotted; every label is entity-encoded. */
void impviz_mermaid_append(GString *out, const impviz_analysis *analysis, gint component);
/* The same, showing only the modules that view (borrowed; NULL: all) draws as module nodes. */
void impviz_mermaid_append_view(GString *out, const impviz_analysis *analysis, gint component,
                                const impviz_view *view);
/* Appends s as a Markdown code span that shows it literally: a fence longer than any run of
 * backticks in s, control characters replaced, invalid UTF-8 repaired. */
void impviz_markdown_code(GString *out, const char *s);
/* Appends the SARIF 2.1.0 log: one result per import-time cycle at the import line. */
void impviz_sarif_append(GString *out, const impviz_analysis *analysis, const impviz_gate *gate);
/* Appends one `::error file=...,line=...::` workflow command per import-time cycle. */
void impviz_github_append(GString *out, const impviz_analysis *analysis, const impviz_gate *gate);

/* ---- diff: what a change did to the graph ---------------------------------------------------- */

typedef struct {
    const impviz_analysis *old, *new_; /* borrowed: they must outlive the diff */
    impviz_analysis *merged; /* every module and edge of either side (by name); its components
                                are the new side's; it borrows import records from both sides */
    guint8 *module_change;   /* impviz_change per merged module */
    guint8 *edge_change;     /* impviz_change per merged graph edge */
    guint8 *edge_old_kind;   /* per merged graph edge: its strongest kind on the old side, when
                                it has one there */
    guint8 *module_cycle;    /* impviz_cycle_mark per merged module */
    guint8 *edge_cycle;      /* impviz_cycle_mark per merged graph edge */
    GPtrArray *appeared;     /* impviz_cycle_change * of new_ against a baseline of old: is_new
                                ones appeared, the others grew */
    GPtrArray *disappeared;  /* impviz_cycle_change * of old against a baseline of new_: is_new
                                ones disappeared, the others shrank */
} impviz_diff;

/* Compares two analyses of the same project. Caller frees with impviz_diff_free, before old
 * and new_. */
impviz_diff *impviz_diff_new(const impviz_analysis *old, const impviz_analysis *new_);
void impviz_diff_free(impviz_diff *diff);
/* "same", "added", "removed", "changed". */
const char *impviz_change_str(impviz_change change);
/* The diff as text (IMPVIZ_FORMAT_TEXT), JSON or Markdown, into a new GString that the caller
 * frees with g_string_free. */
GString *impviz_diff_report(const impviz_diff *diff, impviz_format format);

/* Writes data to path atomically: a temporary file in the same directory, renamed into place
 * only when complete, so a failure leaves any previous file untouched. "-" is stdout. A symbolic
 * link is followed and the file it leads to replaced (the link stays); a device, FIFO or /proc
 * link (/dev/stdout) is written in place, never replaced by a file. */
impviz_status impviz_output_write(const char *path, const void *data, size_t len,
                                  impviz_diags *diags);

/* The same in pieces, for output too large to hold whole: open, append, then commit, or free to
 * give up (impviz_output is declared with the reports). */
/* Creates the temporary file beside path (beside the file its links lead to), or opens path
 * when it is not a regular file; IMPVIZ_EOUTPUT with a diagnostic when it cannot. The caller
 * ends *out with impviz_output_commit or impviz_output_free. */
impviz_status impviz_output_open(const char *path, impviz_diags *diags, impviz_output **out);
/* Writes len bytes now, unbuffered (to standard output through stdio): append in large pieces.
 * A failure is kept for impviz_output_commit to report; later appends then do nothing. */
void impviz_output_append(impviz_output *output, const void *data, size_t len);
/* Renames the complete file into place (standard output: flushes it) and frees output. When a
 * write failed or the rename fails: IMPVIZ_EOUTPUT with a diagnostic, the temporary file
 * removed, any previous file at path untouched. */
impviz_status impviz_output_commit(impviz_output *output, impviz_diags *diags);
/* Gives up an output not committed: removes its temporary file, leaving path untouched. NULL
 * does nothing. */
void impviz_output_free(impviz_output *output);
/* Checks up front that the directory of path (or of the file its links lead to) exists and is
 * writable, or that path is a writable device or FIFO; IMPVIZ_EOUTPUT otherwise. */
impviz_status impviz_output_check(const char *path, impviz_diags *diags);

/* ---- git: the ignore files besides .gitignore (gitrepo.c) --------------------------------- */

typedef struct {
    char *top;           /* the work tree's top directory, absolute and canonical */
    char *exclude;       /* its repository's info/exclude (which may not exist) */
    char *excludes_file; /* core.excludesFile, or git's default $XDG_CONFIG_HOME/git/ignore
                            (which may not exist); NULL when the setting is empty */
} impviz_git_ignores;

/* Finds the git work tree that holds dir (the nearest directory at or above it with a .git
 * directory or file) and where its ignore files lie, reading only files. Returns false, *out
 * zeroed, when dir is in no work tree. Release with impviz_git_ignores_release. */
bool impviz_git_ignores_find(const char *dir, impviz_git_ignores *out);
void impviz_git_ignores_release(impviz_git_ignores *g);

/* ---- small files: pyproject.toml, baselines, themes, .gitignore (readfile.c) --------------- */

/* The cap on pyproject.toml and theme files: larger ones are refused, not read. */
#define IMPVIZ_SMALL_FILE_MAX ((gsize)16 * 1024 * 1024)
/* Reads the regular file at path (links followed) whole into *data, NUL-terminated (caller
 * frees with g_free), its length in *len. Never blocks, and reads at most max + 1 bytes (max <
 * G_MAXSIZE): a FIFO, device, socket or directory is refused without a read, as is a file that is
 * or grows larger than max. On failure IMPVIZ_EINPUT, *data NULL and *why the reason for a message
 * "cannot read 'PATH': WHY" (caller frees with g_free): the system's, "not a regular file" or
 * "larger than MAX bytes"; *why is NULL on success. */
impviz_status impviz_small_file_read(const char *path, gsize max, char **data, gsize *len,
                                     char **why);

#endif
