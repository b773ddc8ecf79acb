/* SPDX-License-Identifier: MIT */
/*
 * discover.c - which Python modules a project has, and where their files are.
 *
 * Owns the mapping PATH arguments -> import roots -> dotted module names. Only stat and readdir:
 * no file is read except .gitignore. Invariants of the result: modules are sorted by name, names
 * are unique, every name is a chain of Python identifiers. Several roots share names as sys.path
 * entries do for CPython's PathFinder: the first root with a module or regular package of a name
 * takes it whole, and namespace portions of a name merge only while no root has one.
 */
#define _GNU_SOURCE /* getdents64, d_type, DT_REG */
#include "impviz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *dir;     /* the root directory as the user named it (no trailing '/') */
    char *only;    /* walk only this root-relative subtree ("" = all of it) */
    char *skip;    /* root-relative subtree to leave out ("" = none), e.g. src/ of a project */
    char *project; /* for the src/ root of a src layout, the project directory, or NULL */
    guint root;    /* index into the project's roots */
    guint order;   /* place among the PATH arguments' specs */
} walk_spec;

/* The .gitignore patterns in force in a directory: its own file's and those of the directories
 * above it, as git reads them (the nearest file's last matching line decides). */
typedef struct ignore_scope ignore_scope;
struct ignore_scope {
    const ignore_scope *up; /* the scope of the directory above, or NULL */
    impviz_globs *globs;
    size_t strip; /* bytes before the part of a root-relative path below the file's dir */
    char *prefix; /* or what comes before it: the root's place below the file ("sub/dir/"), or
                     NULL */
};

/* A directory an earlier run listed, read ahead of the walk (see prefetch). */
enum { SLOT_FREE, SLOT_TAKEN, SLOT_DONE };
typedef struct {
    gint state;            /* SLOT_*, atomic: a thread takes a slot before reading it */
    GArray *entries;       /* the kept listing, or NULL: the directory changed or is gone */
    gconstpointer listing; /* its handle */
    impviz_stat now;
    struct stat *lst; /* as pending_dir's */
    guint8 *lst_state;
} prefetched;

/* --follow-symlinks: the times one directory may be entered through different paths. */
#define MAX_ENTRIES 4

typedef struct {
    const impviz_discover_opts *opts;
    impviz_diags *diags;
    impviz_project *project;
    impviz_globs *excludes;    /* from --exclude, or NULL: none */
    GPtrArray *scopes;         /* ignore_scope * of the current root's walk */
    impviz_listings *listings; /* or NULL */
    bool limit_hit;
    /* The walk is breadth first through one queue of directories. Readers take directories in
     * queue order and read them (list them, stat their entries); this thread walks them in the
     * same order and makes every decision, and reads too whenever the directory it needs next is
     * still being read and another waits. Reading overlaps deciding, and the kernel's share, most
     * of a walk, is spread over the cores. */
    GThreadPool *readers; /* jobs - 1 threads, or NULL: the walking thread reads alone */
    GMutex lock;          /* everything below */
    GCond queued;         /* a directory was queued, or the walk ended: for idle readers */
    GCond was_read;       /* a directory was read, or a reader left: for the walking thread */
    GPtrArray *queue;     /* pending_dir *, in walk order; NULL once walked */
    guint next_read;      /* the first directory of queue no thread has taken */
    guint readers_busy;   /* readers of the current root not yet left */
    guint readers_idle;   /* of them, waiting for queued */
    bool walker_waiting;  /* the walking thread waits for was_read */
    bool ended;           /* the current root is walked: readers leave */
    guint seq_base;       /* directories queued for the roots before the current one */
    /* What readers allocated, freed once they have left: freed by this thread while they
     * allocate, each free would contend for their malloc arena (a third of the walk's time). */
    GPtrArray *spent_entries; /* GArray * of pending_dir.entries */
    GPtrArray *spent_stats;   /* pending_dir.lst blocks */
    bool several_walks;       /* more than one subtree is walked: a module name may come twice */
    bool several_roots;       /* of more than one root: their names shadow each other */
    /* Reading ahead in a warm walk (see prefetch) */
    prefetched *pre;           /* per listing of [pre_lo, pre_hi), or NULL: none */
    gint pre_lo, pre_hi;       /* the listings in the current root's tree */
    gint pre_next;             /* atomic: the first listing no thread has taken */
    const walk_spec *pre_spec; /* the current root */
    int pre_base;              /* its descriptor */
    char *last_parent;         /* the parent package of the last module added, known to packages */
    /* --follow-symlinks: how often each directory ("dev:ino") was entered. Links that fan out (a
     * chain of directories each linking twice to the next) would otherwise make the walk
     * exponential: past MAX_ENTRIES a directory is not entered again. NULL without the option */
    GHashTable *walked;
} walker;

/* A Python identifier: ASCII letters, digits and '_', and non-ASCII letters, digits and marks
 * in valid UTF-8 (a name that is not UTF-8 cannot be imported: Python sees surrogates). */
static bool is_identifier(const char *s, size_t n)
{
    if (n == 0 || g_ascii_isdigit(s[0]))
        return false;
    size_t ascii = 0; /* most names are ASCII: no UTF-8 to check */
    while (ascii < n && (guchar)s[ascii] < 0x80 && (g_ascii_isalnum(s[ascii]) || s[ascii] == '_'))
        ascii++;
    if (ascii == n)
        return true;
    if ((guchar)s[ascii] < 0x80 || !g_utf8_validate_len(s, n, NULL))
        return false;
    for (const char *p = s; p < s + n; p = g_utf8_next_char(p)) {
        if ((guchar)*p < 0x80) {
            if (!(g_ascii_isalnum(*p) || *p == '_'))
                return false;
            continue;
        }
        gunichar c = g_utf8_get_char(p);
        if (!(g_unichar_isalnum(c) || (p > s && g_unichar_ismark(c))))
            return false;
    }
    return true;
}

static bool is_skipped_dir(const char *name)
{
    static const char *const names[] = {"__pycache__", "node_modules", "site-packages",
                                        "build",       "dist",         NULL};
    if (name[0] == '.')
        return true;
    for (int i = 0; names[i]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return g_str_has_suffix(name, ".egg-info");
}

/* a, sep and b in a new string (sep is '\0' for none): the walk's one concatenation, a few
 * times per directory and file, where g_strconcat's variadic double pass shows. */
static char *concat(const char *a, char sep, const char *b)
{
    size_t na = strlen(a), nb = strlen(b), ns = sep != '\0';
    char *s = g_malloc(na + ns + nb + 1);
    memcpy(s, a, na);
    s[na] = sep;
    memcpy(s + na + ns, b, nb + 1);
    return s;
}

static char *join(const char *a, const char *b)
{
    if (!*a)
        return g_strdup(b);
    if (!*b)
        return g_strdup(a);
    return concat(a, '/', b);
}

/* dir/rel for a directory without a trailing '/' (or "/") and a relative rel: what
 * g_build_filename gives there, at a fraction of its cost. */
static char *path_join(const char *dir, const char *rel)
{
    size_t n = strlen(dir);
    return concat(dir, n && dir[n - 1] == '/' ? '\0' : '/', rel);
}

static bool file_exists(const char *dir, const char *name)
{
    char *p = g_build_filename(dir, name, NULL);
    bool ok = g_file_test(p, G_FILE_TEST_IS_REGULAR);
    g_free(p);
    return ok;
}

static void scope_free(gpointer p)
{
    ignore_scope *s = p;
    impviz_globs_free(s->globs);
    g_free(s->prefix);
    g_free(s);
}

/* The scope below up of an ignore file at path (shown as `shown` in a warning), for paths below
 * the root-relative directory rel, or (prefix, copied, not NULL) for paths below a directory
 * above the root, where prefix is the root's path from there: up with the file's patterns, or up
 * itself when it has none or does not exist. Owned by the walker until its root is walked. */
static const ignore_scope *scope_load_file(walker *w, const ignore_scope *up, const char *path,
                                           const char *shown, const char *rel, const char *prefix)
{
    char *text = NULL, *why = NULL;
    gsize len = 0;
    const ignore_scope *scope = up;
    /* a regular file of bounded size only: a FIFO would hang the walk, a link to /dev/zero
     * exhaust the memory */
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        /* none (the directories above a PATH are asked without a listing) */
    } else if (impviz_small_file_read(path, IMPVIZ_SMALL_FILE_MAX, &text, &len, &why) !=
               IMPVIZ_OK) {
        impviz_diags_add(w->diags, IMPVIZ_WARNING, shown, 0, "not read: %s", why);
        g_free(why);
    } else {
        ignore_scope *s = g_new0(ignore_scope, 1);
        s->up = up;
        s->globs = impviz_globs_new();
        impviz_globs_add_gitignore(s->globs, text, len);
        s->strip = *rel ? strlen(rel) + 1 : 0;
        s->prefix = g_strdup(prefix);
        g_ptr_array_add(w->scopes, s);
        if (impviz_globs_count(s->globs))
            scope = s;
        g_free(text);
    }
    return scope;
}

/* The scope of the directory dir (root-relative rel) below up: up with the patterns of dir's
 * .gitignore, or up itself when there is none. Owned by the walker until its root is walked.
 * prefix (copied, or NULL) is dir's path to the root when the root lies below it. */
static const ignore_scope *scope_load(walker *w, const ignore_scope *up, const char *dir,
                                      const char *rel, const char *prefix)
{
    char *path = path_join(dir, ".gitignore");
    char *shown = prefix ? g_strdup(path) : join(rel, ".gitignore");
    const ignore_scope *scope = scope_load_file(w, up, path, shown, rel, prefix);
    g_free(shown);
    g_free(path);
    return scope;
}

/* Whether --exclude or a .gitignore in scope leaves out rel (root-relative). */
static bool ignored(walker *w, const ignore_scope *scope, const char *rel, bool is_dir)
{
    if (w->excludes && impviz_globs_match(w->excludes, rel, is_dir) != IMPVIZ_GLOB_NONE)
        return true;
    for (; scope; scope = scope->up) {
        impviz_glob_verdict v;
        if (scope->prefix) { /* a .gitignore above the root: the path from there */
            char buf[512];   /* most paths: no allocation */
            size_t np = strlen(scope->prefix), nr = strlen(rel);
            char *s = np + nr < sizeof buf ? buf : g_malloc(np + nr + 1);
            memcpy(s, scope->prefix, np);
            memcpy(s + np, rel, nr + 1);
            v = impviz_globs_match(scope->globs, s, is_dir);
            if (s != buf)
                g_free(s);
        } else {
            v = impviz_globs_match(scope->globs, rel + scope->strip, is_dir);
        }
        if (v != IMPVIZ_GLOB_NONE)
            return v == IMPVIZ_GLOB_EXCLUDED;
    }
    return false;
}

static void module_free(gpointer p)
{
    impviz_module *m = p;
    g_free(m->name);
    g_free(m->path);
    g_free(m->file);
    g_free(m);
}

/* Registers a module unless an earlier root already has one of that name; takes name and rel
 * (g_malloc'ed: kept by the module, or freed). Returns the module (owned by the project), or NULL
 * when it was not added. */
static impviz_module *add_module(walker *w, guint root, const char *root_dir, char *name, char *rel,
                                 bool is_package)
{
    impviz_project *p = w->project;
    /* one walk of one subtree meets every name once: only several can meet one twice */
    if (w->several_walks && g_hash_table_contains(p->by_name, name)) {
        g_free(name);
        g_free(rel);
        return NULL;
    }
    if (w->opts->max_modules && p->modules->len >= w->opts->max_modules) {
        if (!w->limit_hit)
            impviz_diags_add(w->diags, IMPVIZ_WARNING, rel, 0,
                             "module limit of %u reached; the rest of the project is not analysed "
                             "(see --max-modules)",
                             w->opts->max_modules);
        w->limit_hit = true;
        g_free(name);
        g_free(rel);
        return NULL;
    }
    impviz_module *m = g_new0(impviz_module, 1);
    m->name = name;
    m->path = rel;
    m->file = path_join(root_dir, rel);
    m->root = root;
    m->is_package = is_package;
    g_ptr_array_add(p->modules, m);
    g_hash_table_insert(p->by_name, m->name, m);
    /* every ancestor is a package, regular or namespace; a package already known has its own
     * ancestors known too, so the climb stops there, or does not start when the parent is the
     * previous module's (the modules of a directory come one after another) */
    const char *dot = strrchr(name, '.');
    size_t parent_len = dot ? (size_t)(dot - name) : 0;
    if (dot && !(w->last_parent && strlen(w->last_parent) == parent_len &&
                 memcmp(w->last_parent, name, parent_len) == 0)) {
        g_free(w->last_parent);
        w->last_parent = g_strndup(name, parent_len);
        for (const char *up = dot; up; up = g_strrstr_len(name, up - name, ".")) {
            char *anc = g_strndup(name, (gsize)(up - name));
            if (g_hash_table_contains(p->packages, anc)) {
                g_free(anc);
                break;
            }
            g_hash_table_add(p->packages, anc);
        }
    }
    if (is_package)
        g_hash_table_add(p->packages, g_strdup(name));
    return m;
}

/* Drops the modules earlier roots gave below name, a namespace package of theirs that this
 * root's module or regular package displaces (rel), and the packages only they made. */
static void displace(walker *w, guint root, const char *name, const char *rel)
{
    impviz_project *p = w->project;
    size_t n = strlen(name);
    guint dropped = 0;
    for (guint i = p->modules->len; i-- > 0;) { /* backwards: the last one fills a gap */
        impviz_module *m = g_ptr_array_index(p->modules, i);
        if (m->root != root && strncmp(m->name, name, n) == 0 && m->name[n] == '.') {
            g_hash_table_remove(p->by_name, m->name);
            g_ptr_array_remove_index_fast(p->modules, i);
            dropped++;
        }
    }
    if (!dropped)
        return;
    /* rare: rebuilt from the modules left, as add_module makes it */
    g_hash_table_remove_all(p->packages);
    for (guint i = 0; i < p->modules->len; i++) {
        const impviz_module *m = g_ptr_array_index(p->modules, i);
        for (const char *dot = strchr(m->name, '.'); dot; dot = strchr(dot + 1, '.'))
            g_hash_table_add(p->packages, g_strndup(m->name, (gsize)(dot - m->name)));
        if (m->is_package)
            g_hash_table_add(p->packages, g_strdup(m->name));
    }
    g_clear_pointer(&w->last_parent, g_free);
    impviz_diags_add(w->diags, IMPVIZ_NOTE, rel, 0,
                     "'%s' is a module or regular package here: the namespace portions of it in "
                     "earlier roots cannot be imported (%u module%s left out)",
                     name, dropped, dropped == 1 ? "" : "s");
}

/* Whether this root's portion of name (at rel) may be walked: a module file, or the directory
 * pkg_dir. Earlier roots are walked first, and as CPython's PathFinder scans sys.path, the first
 * root with a module or a regular package of a name takes it whole: one of theirs shadows this
 * portion, and this root's, when it is one, displaces the namespace portions they gave. */
static bool claim(walker *w, guint root, const char *name, const char *rel, const char *pkg_dir)
{
    impviz_project *p = w->project;
    const impviz_module *m = g_hash_table_lookup(p->by_name, name);
    if (m) {
        if (m->root == root) /* the same file, met by another walk of this root */
            return true;
        impviz_diags_add(w->diags, IMPVIZ_NOTE, rel, 0,
                         "shadowed by '%s' of an earlier root ('%s'); cannot be imported", name,
                         m->file);
        return false;
    }
    if (!g_hash_table_contains(p->packages, name))
        return true;
    /* a namespace package of earlier roots (or of this one's other walks) */
    bool regular =
        !pkg_dir || file_exists(pkg_dir, "__init__.py") || file_exists(pkg_dir, "__init__.pyi");
    if (regular)
        displace(w, root, name, rel);
    return true;
}

/* Per entry of a directory: whether read_dir took its lstat (of a .py file, a link, or an entry
 * of unknown type: the ones the walk needs one of). */
enum { LSTAT_NONE, LSTAT_OK, LSTAT_FAILED, LSTAT_DENIED };

typedef struct pending_dir pending_dir;
struct pending_dir {
    char *rel;                 /* directory relative to the root */
    char *name;                /* dotted package name ("" at the root) */
    char *dir;                 /* the directory's path: the root's, joined with rel */
    pending_dir *parent;       /* the directory above it in the walk (a reference), or NULL */
    const ignore_scope *scope; /* the .gitignore patterns above it, or NULL (the walker's) */
    guint refs;                /* the walk's and its children's (on the walking thread only) */
    int base;                  /* the root's descriptor, or AT_FDCWD */
    /* what read_dir found */
    GArray *entries; /* impviz_dir_entry sorted by name, or NULL: the directory cannot be read */
    guint seq;       /* its place in the walk's order, over every root */
    bool listed;     /* entries came from an earlier run's listing */
    gconstpointer listing; /* that listing's handle, when listed */
    bool fresh;            /* entries were read after now was taken: worth keeping */
    impviz_stat now;       /* the directory's stat before it was read */
    int error;             /* errno when entries is NULL */
    bool read;             /* read_dir is done with it (under the walker's lock) */
    bool have_st;          /* now holds the directory's stat */
    struct stat *lst;      /* per entry, when lst_state says so; NULL when none was taken */
    guint8 *lst_state;     /* per entry: LSTAT_* (in lst's block) */
};

/* A directory to walk below parent (borrowed, referenced), in one block with its strings; its
 * dotted name is package.leaf, or leaf when package is "". */
static pending_dir *pending_new(const walk_spec *spec, int base, const char *rel,
                                const char *package, const char *leaf, pending_dir *parent)
{
    size_t n_pkg = strlen(package), n_leaf = strlen(leaf);
    size_t n_name = (n_pkg ? n_pkg + 1 : 0) + n_leaf + 1;
    size_t n_rel = strlen(rel) + 1, n_root = strlen(spec->dir);
    bool slash = *rel && !(n_root && spec->dir[n_root - 1] == '/'); /* as path_join */
    size_t n_dir = n_root + (*rel ? slash + n_rel - 1 : 0) + 1;
    pending_dir *d = g_malloc0(sizeof *d + n_rel + n_name + n_dir);
    d->rel = memcpy((char *)(d + 1), rel, n_rel);
    d->name = d->rel + n_rel;
    if (n_pkg) {
        memcpy(d->name, package, n_pkg);
        d->name[n_pkg] = '.';
    }
    memcpy(d->name + (n_pkg ? n_pkg + 1 : 0), leaf, n_leaf + 1);
    d->dir = d->name + n_name;
    memcpy(d->dir, spec->dir, n_root);
    if (*rel) { /* path_join's result */
        if (slash)
            d->dir[n_root] = '/';
        memcpy(d->dir + n_root + slash, rel, n_rel);
    } else {
        d->dir[n_root] = '\0';
    }
    d->base = base;
    d->refs = 1;
    d->parent = parent;
    if (parent)
        parent->refs++;
    return d;
}

/* Drops a reference to d: the walk's once d is walked, a child's once the child is walked. What
 * read_dir made for the walk of d goes to the walker's spent arrays at once (see walker), d with
 * the last reference. */
static void pending_free(walker *w, pending_dir *d)
{
    if (d->entries)
        g_ptr_array_add(w->spent_entries, g_steal_pointer(&d->entries));
    if (d->lst)
        g_ptr_array_add(w->spent_stats, g_steal_pointer(&d->lst));
    while (d && --d->refs == 0) {
        pending_dir *up = d->parent;
        g_free(d);
        d = up;
    }
}

static gint entry_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(((const impviz_dir_entry *)a)->name, ((const impviz_dir_entry *)b)->name);
}

static void entry_clear(gpointer p)
{
    g_free(((impviz_dir_entry *)p)->name);
}

/* The entry called name, or NULL; entries are sorted by name. */
static const impviz_dir_entry *entry_find(const GArray *entries, const char *name)
{
    impviz_dir_entry key = {(char *)name, DT_UNKNOWN};
    if (entries->len == 0) /* an empty GArray's data is NULL, which bsearch must not get */
        return NULL;
    return bsearch(&key, entries->data, entries->len, sizeof(impviz_dir_entry), entry_cmp);
}

/* Whether entries hold the name a followed by b (the "x.py" beside a directory x). */
static bool has_entry_joined(const GArray *entries, const char *a, const char *b)
{
    char buf[256]; /* most names: no allocation */
    size_t na = strlen(a), nb = strlen(b);
    char *s = na + nb < sizeof buf ? buf : g_malloc(na + nb + 1);
    memcpy(s, a, na);
    memcpy(s + na, b, nb + 1);
    bool found = entry_find(entries, s) != NULL;
    if (s != buf)
        g_free(s);
    return found;
}

static bool is_python_name(const char *n)
{
    /* most names a walk meets are not Python's: one look at the last bytes decides */
    size_t len = strlen(n);
    if (len >= 3 && n[len - 1] == 'i')
        len--;
    return len >= 3 && memcmp(n + len - 3, ".py", 3) == 0;
}

/* Where the entries of a directory are stat'ed: through its descriptor while it is open, else by
 * a path relative to the walk's root, a shorter walk for the kernel than the absolute path. */
typedef struct {
    int fd;          /* the directory, or -1 */
    int base;        /* the root's descriptor, or AT_FDCWD */
    const char *rel; /* the directory: relative to base, or absolute when base is AT_FDCWD */
} place;

static place place_of(const pending_dir *d, int fd)
{
    return (place){fd, d->base, d->base == AT_FDCWD ? d->dir : d->rel};
}

static int entry_stat(const place *at, const char *name, struct stat *st, int flags)
{
    if (at->fd >= 0)
        return fstatat(at->fd, name, st, flags);
    char buf[512]; /* most paths: no allocation */
    size_t nr = strlen(at->rel), nn = strlen(name);
    if (!nr || nr + nn + 2 > sizeof buf) {
        char *path = join(at->rel, name);
        int r = fstatat(at->base, path, st, flags);
        g_free(path);
        return r;
    }
    memcpy(buf, at->rel, nr);
    buf[nr] = '/';
    memcpy(buf + nr + 1, name, nn + 1);
    return fstatat(at->base, buf, st, flags);
}

/* Whether entry e (see entry_stat) is a regular file, after symbolic links. */
static bool regular_at(const place *at, const impviz_dir_entry *e)
{
    if (!e || e->type == DT_DIR)
        return false;
    if (e->type == DT_REG)
        return true;
    struct stat st;
    return entry_stat(at, e->name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

/* Lists the open directory fd, sorted by name so that nothing depends on readdir order; NULL
 * with errno set when it cannot be read. getdents64 straight into a buffer: no DIR, whose
 * opendir costs an fstat and a 32 KiB allocation per directory. */
static GArray *list_dir(int fd)
{
    char buf[32768] __attribute__((aligned(8)));
    GArray *entries = g_array_new(FALSE, FALSE, sizeof(impviz_dir_entry));
    g_array_set_clear_func(entries, entry_clear);
    for (;;) {
        ssize_t n = getdents64(fd, buf, sizeof buf);
        if (n < 0) {
            int error = errno;
            g_array_unref(entries);
            errno = error;
            return NULL;
        }
        if (n == 0)
            break;
        for (ssize_t at = 0; at < n;) {
            const struct dirent64 *e = (const struct dirent64 *)(buf + at);
            at += e->d_reclen;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            impviz_dir_entry entry = {g_strdup(e->d_name), e->d_type};
            g_array_append_val(entries, entry);
        }
    }
    g_array_sort(entries, entry_cmp);
    return entries;
}

/* Takes the lstat of each entry of a directory the walk will need one of: a .py file, a link,
 * an entry of unknown type. *lst (g_malloc'ed, the caller's) and *state (in its block) stay NULL
 * when no entry needs one, as in most directories of data. */
static void stat_entries(const place *at, const GArray *entries, struct stat **lst, guint8 **state)
{
    guint n = entries->len;
    for (guint i = 0; i < n; i++) {
        const impviz_dir_entry *e = &g_array_index(entries, impviz_dir_entry, i);
        if (!(e->type == DT_LNK || e->type == DT_UNKNOWN ||
              (e->type == DT_REG && is_python_name(e->name))))
            continue;
        if (!*lst) { /* the states after the stats, in one block */
            *lst = g_malloc(n * (sizeof(struct stat) + 1));
            *state = memset((guint8 *)(*lst + n), LSTAT_NONE, n);
        }
        (*state)[i] = entry_stat(at, e->name, &(*lst)[i], AT_SYMLINK_NOFOLLOW) == 0 ? LSTAT_OK
                      : errno == EACCES ? LSTAT_DENIED /* listable, not searchable: say so */
                                        : LSTAT_FAILED;
    }
}

/* ---- reading ahead: the directories an earlier run listed ---------------------------------
 * A warm walk knows its directories before it meets them: the listings are kept in the order the
 * last run walked them. The readers read them in that order (a stat per directory, the lstats of
 * its Python files), each taking the next one no thread has taken, without waiting for the walk
 * to queue them; the walking thread takes one too whenever the directory it needs next is still
 * being read. No thread waits while a directory is left to read. */

/* Whether path lies in the tree of the root dir (n bytes), and where its part below begins. */
static const char *below_root(const char *path, const char *dir, size_t n)
{
    if (strncmp(path, dir, n) != 0)
        return NULL;
    if (path[n] == '\0')
        return ".";
    if (n && dir[n - 1] == '/') /* the root is "/" */
        return path + n;
    return path[n] == '/' ? path + n + 1 : NULL;
}

/* Plans reading ahead for the walk of spec from base: the run of listings in its tree, from the
 * one at the walk's first place (or the first one in it) on. */
static void prefetch_plan(walker *w, const walk_spec *spec, int base)
{
    guint n =
        w->listings && w->readers && base != AT_FDCWD ? impviz_listings_count(w->listings) : 0;
    size_t len = strlen(spec->dir);
    guint lo = w->seq_base;
    if (lo >= n || !below_root(impviz_listings_path(w->listings, lo), spec->dir, len))
        for (lo = 0; lo < n && !below_root(impviz_listings_path(w->listings, lo), spec->dir, len);)
            lo++;
    guint hi = lo;
    while (hi < n && below_root(impviz_listings_path(w->listings, hi), spec->dir, len))
        hi++;
    if (hi == lo)
        return;
    w->pre = g_new0(prefetched, hi - lo);
    w->pre_lo = (gint)lo;
    w->pre_hi = (gint)hi;
    w->pre_next = (gint)lo;
    w->pre_spec = spec;
    w->pre_base = base;
}

/* Reads the i-th listing's directory ahead: its stat and, when that shows no change, the kept
 * entries and their lstats. */
static void prefetch_one(walker *w, gint i)
{
    prefetched *s = &w->pre[i - w->pre_lo];
    const char *path = impviz_listings_path(w->listings, (guint)i);
    place at = {-1, w->pre_base, below_root(path, w->pre_spec->dir, strlen(w->pre_spec->dir))};
    struct stat st;
    if (fstatat(at.base, at.rel, &st, 0) == 0) {
        impviz_stat_set(&s->now, &st);
        s->entries = impviz_listings_find(w->listings, (guint)i, path, &s->now, &s->listing);
        if (s->entries)
            stat_entries(&at, s->entries, &s->lst, &s->lst_state);
    }
    g_atomic_int_set(&s->state, SLOT_DONE);
}

/* Reads ahead the next listing no thread has taken; false when none is left. */
static bool prefetch_next(walker *w)
{
    gint i = g_atomic_int_add(&w->pre_next, 1);
    if (i >= w->pre_hi)
        return false;
    if (g_atomic_int_compare_and_exchange(&w->pre[i - w->pre_lo].state, SLOT_FREE, SLOT_TAKEN))
        prefetch_one(w, i);
    return true;
}

/* Gives d what was read ahead for it; false when nothing was, and nothing will be: then the
 * caller reads it. */
static bool prefetched_take(walker *w, pending_dir *d)
{
    gint i = impviz_listings_index(w->listings, d->seq, d->dir);
    if (i < w->pre_lo || i >= w->pre_hi)
        return false;
    prefetched *s = &w->pre[i - w->pre_lo];
    if (g_atomic_int_compare_and_exchange(&s->state, SLOT_FREE, SLOT_TAKEN)) {
        g_atomic_int_set(&s->state, SLOT_DONE); /* with nothing in it: the readers pass it by */
        return false;                           /* not reached yet */
    }
    while (g_atomic_int_get(&s->state) != SLOT_DONE)
        if (!prefetch_next(w)) /* another thread is at it: read the next one meanwhile */
            g_thread_yield();
    if (!s->entries)
        return false; /* changed or gone: read it as it is now */
    d->have_st = true;
    d->now = s->now;
    d->entries = g_steal_pointer(&s->entries);
    d->listed = true;
    d->listing = s->listing;
    d->lst = g_steal_pointer(&s->lst);
    d->lst_state = s->lst_state;
    return true;
}

/* Frees what was read ahead and not taken, once the readers have left. */
static void prefetch_end(walker *w)
{
    for (gint i = 0; w->pre && i < w->pre_hi - w->pre_lo; i++) {
        if (w->pre[i].entries)
            g_array_unref(w->pre[i].entries);
        g_free(w->pre[i].lst);
    }
    g_clear_pointer(&w->pre, g_free);
}

/* The I/O of one directory, and nothing else (it may run on a reader thread): its stat, its
 * entries (kept from an earlier run while the stat shows no change, else read), and the lstat of
 * each entry the walk will need one of. */
static void read_dir(walker *w, pending_dir *d)
{
    if (w->pre && prefetched_take(w, d))
        return;
    const char *rel = place_of(d, -1).rel;
    if (!*rel)
        rel = "."; /* the root itself */
    struct stat st;
    if (w->listings && fstatat(d->base, rel, &st, 0) == 0) {
        /* one stat instead of reading the directory */
        d->have_st = true;
        impviz_stat_set(&d->now, &st);
        d->entries = impviz_listings_find(w->listings, d->seq, d->dir, &d->now, &d->listing);
        d->listed = d->entries != NULL;
    }
    int fd = -1;
    if (!d->entries) {
        fd = openat(d->base, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d->entries = fd >= 0 ? list_dir(fd) : NULL;
        if (!d->entries) {
            d->error = errno;
            if (fd >= 0)
                close(fd);
            return;
        }
        d->fresh = d->have_st;
        if (!d->have_st && fstat(fd, &st) == 0) {
            d->have_st = true;
            impviz_stat_set(&d->now, &st);
        }
    }
    place at = place_of(d, fd);
    stat_entries(&at, d->entries, &d->lst, &d->lst_state);
    if (fd >= 0)
        close(fd);
}

/* Reads the first directory no thread has taken; called and returns with w->lock held. */
static void read_next(walker *w)
{
    pending_dir *d = g_ptr_array_index(w->queue, w->next_read++);
    g_mutex_unlock(&w->lock);
    read_dir(w, d);
    g_mutex_lock(&w->lock);
    d->read = true;
    if (w->walker_waiting)
        g_cond_signal(&w->was_read);
}

/* A reader: reads ahead what an earlier run listed, then reads queued directories until the root
 * is walked. */
static void read_task(gpointer data, gpointer user_data)
{
    (void)data;
    walker *w = user_data;
    while (w->pre && prefetch_next(w))
        ;
    g_mutex_lock(&w->lock);
    for (;;) {
        if (w->next_read < w->queue->len) {
            read_next(w);
        } else if (w->ended) {
            break;
        } else {
            w->readers_idle++;
            g_cond_wait(&w->queued, &w->lock);
            w->readers_idle--;
        }
    }
    w->readers_busy--;
    g_cond_signal(&w->was_read);
    g_mutex_unlock(&w->lock);
}

/* The k-th directory of the queue once it is read, reading others meanwhile. */
static pending_dir *read_for_walk(walker *w, guint k)
{
    g_mutex_lock(&w->lock);
    pending_dir *d = g_ptr_array_index(w->queue, k);
    while (!d->read) {
        if (w->next_read < w->queue->len) {
            read_next(w);
        } else {
            w->walker_waiting = true;
            g_cond_wait(&w->was_read, &w->lock);
            w->walker_waiting = false;
        }
    }
    g_mutex_unlock(&w->lock);
    return d;
}

/* Queues what walking the k-th directory found, for the readers. */
static void queue_below(walker *w, guint k, GPtrArray *below)
{
    g_mutex_lock(&w->lock);
    for (guint i = 0; i < below->len; i++) {
        pending_dir *d = g_ptr_array_index(below, i);
        d->seq = w->seq_base + w->queue->len;
        g_ptr_array_add(w->queue, d);
    }
    w->queue->pdata[k] = NULL;
    if (below->len && w->readers_idle)
        g_cond_broadcast(&w->queued);
    g_mutex_unlock(&w->lock);
    g_ptr_array_set_size(below, 0);
}

/* A directory holding pyvenv.cfg is a virtual environment: never part of the project. */
static bool is_venv(const char *dir)
{
    return file_exists(dir, "pyvenv.cfg");
}

/* Decides about each entry of cur, which read_dir has read: registers its modules and adds the
 * directories to walk to below. */
static void walk_dir(walker *w, guint root, const walk_spec *spec, int base, pending_dir *cur,
                     bool first, GPtrArray *below)
{
    const char *dir = cur->dir;
    GArray *entries = cur->entries;
    place at = place_of(cur, -1);
    if (!entries) {
        impviz_diags_add(w->diags, IMPVIZ_WARNING, *cur->rel ? cur->rel : dir, 0,
                         "cannot read directory: %s",
                         g_strerror(cur->error == EACCES ? EACCES : ENOENT));
        return;
    }
    if (cur->listed) /* found by whichever thread read it; kept here, in walk order */
        impviz_listings_keep(w->listings, cur->listing);
    else if (cur->fresh)
        impviz_listings_put(w->listings, dir, &cur->now, entries);
    /* a virtual environment below the start is left out (checked here, from the listing,
     * rather than with a stat per directory from its parent) */
    if (!first && regular_at(&at, entry_find(entries, "pyvenv.cfg")))
        return;
    /* git honours a .gitignore in any directory, for what is below it */
    const ignore_scope *scope = cur->scope;
    const impviz_dir_entry *gitignore =
        w->opts->no_gitignore ? NULL : entry_find(entries, ".gitignore");
    if (gitignore && gitignore->type != DT_DIR)
        scope = scope_load(w, scope, dir, cur->rel, NULL);
    /* a symbolic link that leads back to a directory above it */
    for (const pending_dir *up = cur->parent; cur->have_st && up; up = up->parent)
        if (up->have_st && up->now.dev == cur->now.dev && up->now.ino == cur->now.ino) {
            impviz_diags_add(w->diags, IMPVIZ_WARNING, cur->rel, 0,
                             "symbolic link loop: leads back to a directory above it; "
                             "not entered");
            return;
        }
    if (w->walked && cur->have_st) {
        char *key = g_strdup_printf("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
                                    (guint64)cur->now.dev, (guint64)cur->now.ino);
        guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(w->walked, key));
        g_hash_table_replace(w->walked, key, GUINT_TO_POINTER(seen + 1));
        if (seen >= MAX_ENTRIES) { /* a warning the first time, then notes */
            impviz_diags_add(w->diags, seen == MAX_ENTRIES ? IMPVIZ_WARNING : IMPVIZ_NOTE, cur->rel,
                             0,
                             "directory reached through symbolic links more than %d times; "
                             "not entered again",
                             MAX_ENTRIES);
            return;
        }
    }
    /* a directory at the walk's start that is a package has its __init__ registered here */
    for (guint i = 0; i < entries->len; i++) {
        const impviz_dir_entry *e = &g_array_index(entries, impviz_dir_entry, i);
        const char *n = e->name;
        bool python = is_python_name(n);
        if (e->type == DT_REG && !python)
            continue; /* data, templates, translations: most of some trees, and no stat */
        char *full = NULL;
        char *rel = join(cur->rel, n);
        struct stat st, lst;
        bool have_stat = false;
        bool is_dir = e->type == DT_DIR, is_reg = e->type == DT_REG;
        guint8 state = cur->lst_state ? cur->lst_state[i] : LSTAT_NONE;
        if (state == LSTAT_DENIED)
            impviz_diags_add(w->diags, IMPVIZ_WARNING, rel, 0, "cannot read: %s",
                             g_strerror(EACCES));
        if (state == LSTAT_FAILED || state == LSTAT_DENIED)
            goto next_entry;
        if (state == LSTAT_OK) {
            lst = cur->lst[i];
            have_stat = true;
            is_dir = S_ISDIR(lst.st_mode);
            is_reg = S_ISREG(lst.st_mode);
            if (S_ISLNK(lst.st_mode)) {
                if (!w->opts->follow_symlinks) {
                    if (g_str_has_suffix(n, ".py") || entry_stat(&at, n, &st, 0) == 0)
                        impviz_diags_add(w->diags, IMPVIZ_NOTE, rel, 0,
                                         "symbolic link not followed (see --follow-symlinks)");
                    goto next_entry;
                }
                if (entry_stat(&at, n, &lst, 0) != 0) {
                    impviz_diags_add(w->diags, IMPVIZ_WARNING, rel, 0, "broken symbolic link");
                    goto next_entry;
                }
                is_dir = S_ISDIR(lst.st_mode);
                is_reg = S_ISREG(lst.st_mode);
            }
        }
        if (is_dir) {
            if (is_skipped_dir(n) || (*spec->skip && strcmp(rel, spec->skip) == 0) ||
                ignored(w, scope, rel, true))
                goto next_entry;
            if (!is_identifier(n, strlen(n))) {
                full = path_join(dir, n);
                if (!is_venv(full)) {
                    w->project->skipped_names++;
                    impviz_diags_add(w->diags, IMPVIZ_NOTE, rel, 0,
                                     "not a Python identifier: directory cannot be imported");
                }
                goto next_entry;
            }
            /* a directory without __init__.py is only a namespace portion: a module file
             * of the same name wins over it, as in CPython's FileFinder */
            if (has_entry_joined(entries, n, ".py"))
                full = path_join(dir, n);
            bool shadowed = full && !file_exists(full, "__init__.py");
            if (shadowed) {
                if (!is_venv(full))
                    impviz_diags_add(w->diags, IMPVIZ_NOTE, rel, 0,
                                     "namespace directory shadowed by module '%s.py'; its "
                                     "files cannot be imported",
                                     n);
                goto next_entry;
            }
            if (w->several_roots) {
                char *name = *cur->name ? concat(cur->name, '.', n) : g_strdup(n);
                if (!full)
                    full = path_join(dir, n);
                bool mine = claim(w, root, name, rel, full);
                g_free(name);
                if (!mine)
                    goto next_entry;
            }
            pending_dir *sub = pending_new(spec, base, rel, cur->name, n, cur);
            sub->scope = scope;
            g_ptr_array_add(below, sub);
        } else if (is_reg) {
            size_t len = strlen(n);
            bool stub = g_str_has_suffix(n, ".pyi");
            if (!python || ignored(w, scope, rel, false))
                goto next_entry;
            size_t stem_len = len - (stub ? 4 : 3);
            char *stem = g_strndup(n, stem_len);
            if (stub) {
                if (has_entry_joined(entries, stem, ".py")) {
                    g_free(stem);
                    goto next_entry;
                }
            }
            if (!have_stat) { /* a DT_REG .py is stat'ed above; this is for safety */
                if (entry_stat(&at, n, &lst, 0) != 0) {
                    g_free(stem);
                    goto next_entry;
                }
            }
            if (w->opts->max_file_size && (guint64)lst.st_size > w->opts->max_file_size) {
                impviz_diags_add(w->diags, IMPVIZ_WARNING, rel, 0,
                                 "file of %" G_GUINT64_FORMAT
                                 " bytes is over the size limit of %" G_GUINT64_FORMAT
                                 " (see --max-file-size); not analysed",
                                 (guint64)lst.st_size, w->opts->max_file_size);
                g_free(stem);
                goto next_entry;
            }
            impviz_module *m = NULL;
            if (strcmp(stem, "__init__") == 0) {
                if (*cur->name) /* __init__ of a root itself is not a module */
                    m = add_module(w, root, spec->dir, g_strdup(cur->name), g_steal_pointer(&rel),
                                   true);
            } else if (!is_identifier(stem, stem_len)) {
                w->project->skipped_names++;
                impviz_diags_add(w->diags, IMPVIZ_NOTE, rel, 0,
                                 "not a Python identifier: file cannot be imported");
            } else {
                /* a regular package of the same name wins over mod.py, as in CPython */
                const impviz_dir_entry *pkg = entry_find(entries, stem);
                bool shadowed = false;
                if (pkg && pkg->type != DT_REG) { /* no stat else */
                    char *init = g_build_filename(dir, stem, "__init__.py", NULL);
                    shadowed = g_file_test(init, G_FILE_TEST_IS_REGULAR);
                    g_free(init);
                }
                char *name = *cur->name ? concat(cur->name, '.', stem) : g_strdup(stem);
                if (shadowed)
                    impviz_diags_add(w->diags, IMPVIZ_NOTE, rel, 0,
                                     "shadowed by package '%s' and never imported", name);
                else if (!w->several_roots || claim(w, root, name, rel, NULL))
                    m = add_module(w, root, spec->dir, g_steal_pointer(&name),
                                   g_steal_pointer(&rel), false);
                g_free(name);
            }
            if (m) {
                impviz_stat_set(&m->stat, &lst);
                m->has_stat = true;
            }
            g_free(stem);
        }
    next_entry:
        g_free(full);
        g_free(rel);
    }
}

/* The ignore scope of what git adds above the root, in git's order of precedence (the nearest
 * file decides): core.excludesFile, the repository's info/exclude, then the .gitignore files from
 * the work tree's top down to the directory above the root (or above the project directory of a
 * src layout). Nothing when the root is in no work tree: where to stop would be a guess. */
static const ignore_scope *scope_git(walker *w, const walk_spec *spec)
{
    const char *base = spec->project ? spec->project : spec->dir;
    impviz_git_ignores git;
    char *root = realpath(spec->dir, NULL);
    const ignore_scope *scope = NULL;
    if (!root || !impviz_git_ignores_find(base, &git)) {
        free(root);
        return NULL;
    }
    char *base_real = realpath(base, NULL);
    size_t top_len = strlen(git.top);
    if (!base_real || !g_str_has_prefix(root, base_real) || !g_str_has_prefix(root, git.top) ||
        (root[top_len] != '/' && root[top_len] != '\0' && top_len > 1)) {
        /* a src/ that is a link to elsewhere: paths from the top cannot be told */
        free(base_real);
        free(root);
        impviz_git_ignores_release(&git);
        return NULL;
    }
    /* the root's path from the top; the top is the root itself or a directory above it */
    bool top_is_root = strcmp(root, git.top) == 0;
    char *from_top = top_is_root ? NULL : g_strconcat(root + top_len + (top_len > 1), "/", NULL);
    if (git.excludes_file)
        scope = scope_load_file(w, scope, git.excludes_file, git.excludes_file, "", from_top);
    scope = scope_load_file(w, scope, git.exclude, git.exclude, "", from_top);
    g_free(from_top);
    /* the directories from the top down to the one above base (base's own is read after) */
    for (size_t at = top_len == 1 ? 0 : top_len; base_real[at] == '/';) {
        char *dir = g_strndup(base_real, at ? at : 1);
        char *prefix = g_strconcat(root + at + 1, "/", NULL);
        scope = scope_load(w, scope, dir, "", prefix);
        g_free(prefix);
        g_free(dir);
        const char *next = strchr(base_real + at + 1, '/');
        at = next ? (size_t)(next - base_real) : strlen(base_real);
    }
    free(base_real);
    free(root);
    impviz_git_ignores_release(&git);
    return scope;
}

/* The .gitignore scope of the walk's first directory: git's above the root (scope_git), that of
 * the project above a src/ root, the root's and those of the directories down to the first one
 * (walk_dir reads its own). The first directory itself, which a PATH names, is walked whatever
 * they say of it. */
static const ignore_scope *scope_above(walker *w, const walk_spec *spec)
{
    if (w->opts->no_gitignore)
        return NULL;
    const ignore_scope *scope = scope_git(w, spec);
    if (spec->project) /* paths from the project directory: src/... */
        scope = scope_load(w, scope, spec->project, "", "src/");
    if (!*spec->only)
        return scope;
    scope = scope_load(w, scope, spec->dir, "", NULL);
    for (const char *slash = strchr(spec->only, '/'); slash; slash = strchr(slash + 1, '/')) {
        char *rel = g_strndup(spec->only, (gsize)(slash - spec->only));
        char *dir = path_join(spec->dir, rel);
        scope = scope_load(w, scope, dir, rel, NULL);
        g_free(dir);
        g_free(rel);
    }
    return scope;
}

/* Whether the packages above and at the walk's first directory are this root's to walk (see
 * claim): a PATH below a root names them without the walk meeting them. */
static bool claim_start(walker *w, guint root, const walk_spec *spec)
{
    bool mine = true;
    for (const char *at = spec->only; mine && *at;) {
        const char *slash = strchr(at, '/');
        char *rel = g_strndup(spec->only, slash ? (gsize)(slash - spec->only) : strlen(spec->only));
        char *name = g_strdup(rel);
        g_strdelimit(name, "/", '.');
        char *dir = path_join(spec->dir, rel);
        mine = claim(w, root, name, rel, dir);
        g_free(dir);
        g_free(name);
        g_free(rel);
        at = slash ? slash + 1 : "";
    }
    return mine;
}

static void walk_root(walker *w, guint root, const walk_spec *spec)
{
    if (w->several_roots && !claim_start(w, root, spec))
        return;
    int base = open(spec->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (base < 0)
        base = AT_FDCWD; /* absolute paths then */
    /* the subtree's package name: its path with dots */
    char *start_name = g_strdup(spec->only);
    g_strdelimit(start_name, "/", '.');

    /* breadth first: every directory of a depth, in order, then those they hold, in order */
    w->queue = g_ptr_array_new();
    w->next_read = 0;
    w->ended = false;
    pending_dir *top = pending_new(spec, base, spec->only, "", start_name, NULL);
    g_free(start_name);
    w->scopes = g_ptr_array_new_with_free_func(scope_free);
    top->scope = scope_above(w, spec);
    top->seq = w->seq_base;
    g_ptr_array_add(w->queue, top);
    prefetch_plan(w, spec, base);
    guint helpers = w->readers ? (guint)g_thread_pool_get_max_threads(w->readers) : 0;
    w->readers_busy = helpers;
    for (guint t = 0; t < helpers; t++)
        g_thread_pool_push(w->readers, GUINT_TO_POINTER(t + 1), NULL);
    GPtrArray *below = g_ptr_array_new();
    w->spent_entries = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    w->spent_stats = g_ptr_array_new_with_free_func(g_free);
    for (guint k = 0; k < w->queue->len; k++) { /* only this thread adds to the queue */
        pending_dir *d = read_for_walk(w, k);
        walk_dir(w, root, spec, base, d, k == 0, below);
        queue_below(w, k, below);
        pending_free(w, d);
    }
    g_ptr_array_unref(below);
    g_mutex_lock(&w->lock);
    w->ended = true;
    g_cond_broadcast(&w->queued);
    while (w->readers_busy)
        g_cond_wait(&w->was_read, &w->lock);
    g_mutex_unlock(&w->lock);
    prefetch_end(w);
    g_clear_pointer(&w->spent_entries, g_ptr_array_unref);
    g_clear_pointer(&w->spent_stats, g_ptr_array_unref);
    w->seq_base += w->queue->len;
    g_ptr_array_unref(w->queue);
    w->queue = NULL;
    g_clear_pointer(&w->scopes, g_ptr_array_unref);
    if (base != AT_FDCWD)
        close(base);
}

static gint module_cmp(gconstpointer a, gconstpointer b)
{
    const impviz_module *x = *(impviz_module *const *)a, *y = *(impviz_module *const *)b;
    return strcmp(x->name, y->name);
}

/* An absolute, normalised form of a path (".", "..", "//" and a trailing "/" removed; symbolic
 * links kept), so that climbing from a package to its root works from any working directory. */
static char *canonical(const char *p)
{
    return g_canonicalize_filename(p, NULL);
}

static bool has_src_layout(const char *dir)
{
    if (!file_exists(dir, "pyproject.toml") && !file_exists(dir, "setup.cfg") &&
        !file_exists(dir, "setup.py"))
        return false;
    char *src = g_build_filename(dir, "src", NULL);
    bool ok = g_file_test(src, G_FILE_TEST_IS_DIR) && !file_exists(src, "__init__.py");
    g_free(src);
    return ok;
}

/* Index of the root named dir, adding it when new. */
static guint root_index(impviz_project *p, const char *dir)
{
    for (guint i = 0; i < p->roots->len; i++)
        if (strcmp(g_ptr_array_index(p->roots, i), dir) == 0)
            return i;
    g_ptr_array_add(p->roots, g_strdup(dir));
    return p->roots->len - 1;
}

static void spec_clear(gpointer p)
{
    walk_spec *s = p;
    g_free(s->dir);
    g_free(s->only);
    g_free(s->skip);
    g_free(s->project);
}

static void add_spec(GArray *specs, const char *dir, const char *only, const char *skip)
{
    walk_spec s = {g_strdup(dir), g_strdup(only), g_strdup(skip), NULL, 0, specs->len};
    g_array_append_val(specs, s);
}

/* Roots in the order of precedence, a root's specs in the order given. */
static gint spec_cmp(gconstpointer a, gconstpointer b)
{
    const walk_spec *x = a, *y = b;
    if (x->root != y->root)
        return x->root < y->root ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The explicit root that holds path, as (root, path relative to it); false if none does. */
static bool under_root(const char *const *roots, const char *path, char **root, char **rel)
{
    size_t best = 0;
    const char *found = NULL;
    for (const char *const *r = roots; r && *r; r++) {
        char *rd = canonical(*r);
        size_t n = strlen(rd);
        if ((strcmp(path, rd) == 0 || (strncmp(path, rd, n) == 0 && path[n] == '/')) && n >= best) {
            best = n;
            found = *r;
        }
        g_free(rd);
    }
    if (!found)
        return false;
    *root = canonical(found);
    *rel = g_strdup(path[best] == '/' ? path + best + 1 : path + best);
    return true;
}

/* Turns one PATH argument into walk specs: which root, which subtree. */
static impviz_status plan_path(const impviz_discover_opts *opts, const char *arg, GArray *specs,
                               impviz_diags *diags)
{
    char *path = canonical(arg);
    impviz_status status = IMPVIZ_OK;
    struct stat st;
    if (stat(path, &st) != 0) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot read '%s': %s", arg,
                         g_strerror(errno));
        status = IMPVIZ_EINPUT;
        goto cleanup;
    }
    char *root = NULL, *rel = NULL;
    if (under_root(opts->roots, path, &root, &rel)) {
        if (S_ISREG(st.st_mode)) /* a file below an explicit root: walk its directory */
            rel[strlen(rel) - strlen(strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel)] = '\0';
        size_t n = strlen(rel);
        if (n && rel[n - 1] == '/')
            rel[n - 1] = '\0';
        add_spec(specs, root, rel, "");
        g_free(root);
        g_free(rel);
        goto cleanup;
    }
    if (S_ISREG(st.st_mode)) {
        if (!g_str_has_suffix(path, ".py") && !g_str_has_suffix(path, ".pyi")) {
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "'%s' is not a Python file", arg);
            status = IMPVIZ_EINPUT;
            goto cleanup;
        }
        /* a single file: analyse the package it belongs to, or its directory */
        char *dir = g_path_get_dirname(path);
        g_free(path);
        path = dir;
    } else if (!S_ISDIR(st.st_mode)) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "'%s' is not a file or directory", arg);
        status = IMPVIZ_EINPUT;
        goto cleanup;
    }
    if (!file_exists(path, "__init__.py")) {
        if (has_src_layout(path)) {
            char *src = g_build_filename(path, "src", NULL);
            add_spec(specs, src, "", "");
            g_array_index(specs, walk_spec, specs->len - 1).project = g_strdup(path);
            add_spec(specs, path, "", "src");
            g_free(src);
        } else {
            add_spec(specs, path, "", "");
        }
        goto cleanup;
    }
    /* a package: its root is the nearest ancestor that is not a package */
    char *top = g_strdup(path);
    GString *sub = g_string_new(NULL);
    for (;;) {
        char *parent = g_path_get_dirname(top);
        char *base = g_path_get_basename(top);
        g_string_prepend(sub, base);
        g_free(base);
        bool parent_is_pkg = strcmp(parent, top) != 0 && file_exists(parent, "__init__.py");
        g_free(top);
        top = parent;
        if (!parent_is_pkg)
            break;
        g_string_prepend_c(sub, '/');
    }
    add_spec(specs, top, sub->str, "");
    g_free(top);
    g_string_free(sub, TRUE);
cleanup:
    g_free(path);
    return status;
}

impviz_status impviz_discover(const impviz_discover_opts *opts, impviz_diags *diags,
                              impviz_project **out)
{
    impviz_status status = IMPVIZ_OK;
    GArray *specs = g_array_new(FALSE, FALSE, sizeof(walk_spec));
    g_array_set_clear_func(specs, spec_clear);
    impviz_project *p = g_new0(impviz_project, 1);
    p->roots = g_ptr_array_new_with_free_func(g_free);
    p->modules = g_ptr_array_new_with_free_func(module_free);
    p->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    p->packages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    walker w = {.opts = opts, .diags = diags, .project = p};
    for (const char *const *e = opts->excludes; e && *e; e++) {
        if (!w.excludes)
            w.excludes = impviz_globs_new();
        impviz_globs_add(w.excludes, *e);
    }

    const char *const *paths = opts->paths;
    if ((!paths || !*paths) && opts->roots && *opts->roots)
        paths = opts->roots;
    if (!paths || !*paths) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "no PATH given");
        status = IMPVIZ_EUSAGE;
        goto cleanup;
    }
    /* explicit roots come first, in the order given, like sys.path */
    for (const char *const *r = opts->roots; r && *r; r++) {
        if (!g_file_test(*r, G_FILE_TEST_IS_DIR)) {
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot use root '%s': %s", *r,
                             "not a directory");
            status = IMPVIZ_EINPUT;
            goto cleanup;
        }
        char *rd = canonical(*r);
        root_index(p, rd);
        g_free(rd);
    }
    for (const char *const *a = paths; *a; a++)
        if ((status = plan_path(opts, *a, specs, diags)) != IMPVIZ_OK)
            goto cleanup;
    for (guint i = 0; i < specs->len; i++) { /* every root known before the first walk */
        walk_spec *s = &g_array_index(specs, walk_spec, i);
        s->root = root_index(p, s->dir);
        w.several_roots |= s->root != g_array_index(specs, walk_spec, 0).root;
    }
    /* earlier roots first: a later one's portion of a name is then decided when it is met */
    g_array_sort(specs, spec_cmp);
    if (opts->listings)
        w.listings = opts->listings(p->roots, opts->listings_data);
    g_mutex_init(&w.lock);
    g_cond_init(&w.queued);
    g_cond_init(&w.was_read);
    /* the walking thread reads too; the readers are shared threads (impviz_threads_prepare) */
    if (opts->jobs > 1)
        w.readers = g_thread_pool_new(read_task, &w, (gint)opts->jobs - 1, FALSE, NULL);
    w.several_walks = specs->len > 1;
    if (opts->follow_symlinks)
        w.walked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < specs->len; i++) {
        walk_spec *s = &g_array_index(specs, walk_spec, i);
        walk_root(&w, s->root, s);
    }
    if (w.readers) /* idle: every root waited for its readers */
        g_thread_pool_free(w.readers, FALSE, TRUE);
    g_mutex_clear(&w.lock);
    g_free(w.last_parent);
    g_cond_clear(&w.queued);
    g_cond_clear(&w.was_read);
    if (w.listings) {
        impviz_listings_save(w.listings);
        impviz_listings_free(w.listings);
    }
    g_ptr_array_sort(p->modules, module_cmp);
    if (p->modules->len == 0) {
        if (paths[1])
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0,
                             "no Python module found in the paths given");
        else
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "no Python module found in '%s'",
                             paths[0]);
        status = IMPVIZ_EINPUT;
    }
cleanup:
    impviz_globs_free(w.excludes);
    if (w.walked)
        g_hash_table_unref(w.walked);
    g_array_unref(specs);
    if (status != IMPVIZ_OK) {
        impviz_project_free(p);
        p = NULL;
    }
    *out = p;
    return status;
}

void impviz_project_free(impviz_project *p)
{
    if (!p)
        return;
    g_hash_table_unref(p->by_name);
    g_hash_table_unref(p->packages);
    g_ptr_array_unref(p->modules);
    g_ptr_array_unref(p->roots);
    g_free(p);
}

const impviz_module *impviz_project_lookup(const impviz_project *p, const char *name)
{
    return g_hash_table_lookup(p->by_name, name);
}

gint impviz_project_index(const impviz_project *p, const char *name)
{
    guint lo = 0, hi = p->modules->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const impviz_module *m = g_ptr_array_index(p->modules, mid);
        int c = strcmp(m->name, name);
        if (c == 0)
            return (gint)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
