/* SPDX-License-Identifier: MIT */
/*
 * analysis.c - runs discover, parse, resolve and graph in order, parsing on every core.
 *
 * Parsing is nearly all of the time, so it is spread over a GThreadPool: one worker per thread,
 * each with its own tree-sitter parser, taking the next file from a shared counter (largest files
 * first, so one big file does not finish last). Results land in per-module slots, so the merge is
 * deterministic whatever the timing. Every phase's pool is shared (GLib's own threads, kept
 * between phases): see impviz_threads_prepare.
 */
#include "impviz.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const impviz_project *project;
    impviz_diags *diags;
    impviz_file **files;
    impviz_cache *cache; /* or NULL */
    const char **keys;   /* per module: its absolute path, the cache's key (with a cache) */
    char *key_text;      /* the keys' bytes, one block */
    impviz_stat *stats;  /* per module, taken before reading (so a later change shows) */
    gboolean *stat_ok;   /* per module: stats[i] is valid */
    guint *order;        /* module indices, largest file first */
    gint next;           /* atomic: next position in order */
    gint parsed, cached; /* atomic: files parsed, files taken from the cache */
    guint64 *hashes;     /* per module, with a cache: its content hash, when known[i] */
    bool *known;
    guint64 max_size; /* --max-file-size, again when reading: files change; 0 for none */
    bool follow;      /* --follow-symlinks: a module's file may be a link */
} parse_job;

/* A worker's read buffer, reused from file to file: one large allocation per file would make
 * the allocator consolidate the parser's many small freed blocks each time. */
typedef struct {
    char *data;
    gsize size;
} buffer;

/* Reads module m's file into buf: false with a warning naming it when it cannot be read or is
 * not a regular file of at most job->max_size bytes. The file may have changed since discovery:
 * the open neither blocks (a FIFO) nor follows a new link (unless links are followed), and the
 * checks are made on what was opened, with the cap held while reading (a file that grows). Still
 * one open, one fstat and two reads per file: the flag is left on, as it does nothing to a regular
 * file's reads. */
static bool read_file(const parse_job *job, const impviz_module *m, buffer *buf, gsize *len)
{
    int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (job->follow ? 0 : O_NOFOLLOW);
    int fd = open(m->file, flags);
    struct stat st;
    int code = 0;
    const char *why = NULL;
    gsize used = 0, cap = G_MAXSIZE; /* read at most the limit + 1 bytes: enough to see past it */
    if (job->max_size && job->max_size < G_MAXSIZE)
        cap = (gsize)job->max_size + 1;
    if (fd < 0 || fstat(fd, &st) != 0) {
        code = errno;
        if (code == ELOOP && !job->follow) /* discovery saw a file, not a link */
            why = "symbolic link not followed (see --follow-symlinks)";
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) { /* a FIFO, a device (through a link), a directory */
        code = S_ISDIR(st.st_mode) ? EISDIR : 0;
        why = code ? NULL : "not a regular file";
        goto fail;
    }
    if (job->max_size && (guint64)st.st_size > job->max_size)
        goto too_large;
    for (;;) {
        if (buf->size < MAX((gsize)st.st_size, used) + 4096) { /* room to see the end */
            buf->size = MAX(buf->size * 2, (gsize)st.st_size + 4096);
            buf->data = g_realloc(buf->data, buf->size);
        }
        ssize_t n = read(fd, buf->data + used, MIN(buf->size, cap) - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0)
            continue; /* a file system that honours the flag on a regular file after all */
        if (n < 0) {
            code = errno;
            goto fail;
        }
        if (n == 0)
            break;
        used += (gsize)n;
        if (used == cap) /* grew past the limit while being read */
            goto too_large;
        if (used == buf->size) /* the file grew while being read */
            st.st_size = (off_t)used * 2;
    }
    close(fd);
    *len = used;
    return true;

too_large:
    if (used < cap) /* as discovery says it */
        impviz_diags_add(job->diags, IMPVIZ_WARNING, m->path, 0,
                         "file of %" G_GUINT64_FORMAT
                         " bytes is over the size limit of %" G_GUINT64_FORMAT
                         " (see --max-file-size); not analysed",
                         (guint64)st.st_size, job->max_size);
    else
        impviz_diags_add(job->diags, IMPVIZ_WARNING, m->path, 0,
                         "file grew past the size limit of %" G_GUINT64_FORMAT
                         " while being read (see --max-file-size); not analysed",
                         job->max_size);
    close(fd);
    return false;
fail:
    if (!why)
        impviz_diags_add(job->diags, IMPVIZ_WARNING, m->path, 0, "cannot read file: %s",
                         g_strerror(code));
    else
        impviz_diags_add(job->diags, IMPVIZ_WARNING, m->path, 0, "not analysed: %s", why);
    if (fd >= 0)
        close(fd);
    return false;
}

/* A file that is not Python text, as the cache keeps it. Caller frees with impviz_file_free. */
static impviz_file *rejection_new(const char *why)
{
    impviz_file *f = g_new0(impviz_file, 1);
    f->imports = g_array_new(FALSE, FALSE, sizeof(impviz_import));
    f->events = g_array_new(FALSE, FALSE, sizeof(impviz_event));
    f->strings = g_string_chunk_new(64);
    f->rejected = g_string_chunk_insert(f->strings, why);
    return f;
}

/* The module's __package__: its name for a package, else the name without its last part ("" at
 * the top). Caller frees. */
static char *module_package(const impviz_module *m)
{
    const char *dot = m->is_package ? NULL : strrchr(m->name, '.');
    return m->is_package ? g_strdup(m->name) : g_strndup(m->name, dot ? dot - m->name : 0);
}

/* A cached parse holds unless it depended on a package other than the module's own (the module
 * was renamed by another root, its file unchanged). Frees f when it does not hold. */
static impviz_file *check_package(impviz_file *f, const impviz_module *m)
{
    if (!f || !f->package)
        return f;
    char *package = module_package(m);
    bool same = strcmp(package, f->package) == 0;
    g_free(package);
    if (same)
        return f;
    impviz_file_free(f);
    return NULL;
}

/* Reads and parses module i's file, or takes its parse from the cache; problems become
 * warnings and a NULL slot. */
/* *parser is made on the first file that needs one: a warm run needs none. */
static impviz_file *parse_module(impviz_parser **parser, buffer *buf, parse_job *job, guint i)
{
    const impviz_module *m = g_ptr_array_index(job->project->modules, i);
    impviz_diags *diags = job->diags;
    bool cached = job->cache && job->stat_ok[i];
    impviz_file *f = NULL;
    if (cached)
        f = check_package(impviz_cache_get(job->cache, i, job->keys[i], &job->stats[i], NULL), m);
    if (f) /* trusted by stat: the hash of the bytes the cache saw */
        job->known[i] = impviz_cache_content_hash(job->cache, i, &job->hashes[i]);

    if (!f) {
        gsize len = 0;
        if (!read_file(job, m, buf, &len))
            return NULL;
        guint64 hash = job->cache ? impviz_hash_bytes(buf->data, len) : 0;
        if (job->cache) {
            job->hashes[i] = hash;
            job->known[i] = true;
        }
        if (cached) /* stat says changed: the content may not be */
            f = check_package(impviz_cache_get(job->cache, i, job->keys[i], &job->stats[i], &hash),
                              m);
        if (!f) {
            const char *why = NULL;
            if (!*parser)
                *parser = impviz_parser_new();
            char *package = module_package(m);
            f = impviz_parser_parse(*parser, buf->data, len, package, &why);
            g_free(package);
            g_atomic_int_inc(&job->parsed);
            if (!f) {
                impviz_diags_add(diags, IMPVIZ_WARNING, m->path, 0, "not analysed: %s", why);
                if (cached) { /* so that the next run does not read it again */
                    impviz_file *rejection = rejection_new(why);
                    impviz_cache_put(job->cache, i, job->keys[i], &job->stats[i], hash, rejection);
                    impviz_file_free(rejection);
                }
                return NULL;
            }
            if (cached)
                impviz_cache_put(job->cache, i, job->keys[i], &job->stats[i], hash, f);
        } else {
            g_atomic_int_inc(&job->cached);
        }
    } else {
        g_atomic_int_inc(&job->cached);
    }
    if (f->rejected) { /* from the cache: not Python text last time either */
        impviz_diags_add(diags, IMPVIZ_WARNING, m->path, 0, "not analysed: %s", f->rejected);
        impviz_file_free(f);
        return NULL;
    }
    if (f->error_count) /* listed with -v; the run warns once with the count */
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
    return f;
}

static void parse_worker(gpointer data, gpointer user_data)
{
    (void)data;
    parse_job *job = user_data;
    impviz_parser *parser = NULL;
    buffer buf = {NULL, 0};
    guint n = job->project->modules->len;
    for (;;) {
        gint i = g_atomic_int_add(&job->next, 1);
        if ((guint)i >= n)
            break;
        guint m = job->order[i];
        job->files[m] = parse_module(&parser, &buf, job, m);
    }
    g_free(buf.data);
    if (parser)
        impviz_parser_free(parser);
}

/* Sets order to the module indices, largest file first (ties by index): a radix sort of
 * (inverted size, index) keys, one pass per byte that differs, since a comparison sort of a
 * 100 000-module project costs more than a warm run's parse. */
static void largest_first(const impviz_stat *stats, guint n, guint *order)
{
    guint64 *key = g_new(guint64, n), *tmp = g_new(guint64, n);
    guint64 differ = 0;
    for (guint i = 0; i < n; i++) {
        guint64 size = MIN(stats[i].size, G_MAXUINT32); /* larger ones: by index */
        key[i] = (G_MAXUINT32 - size) << 32 | i;
        differ |= key[i] ^ key[0];
    }
    for (guint shift = 0; shift < 64; shift += 8) {
        if (!((differ >> shift) & 0xFF))
            continue;
        guint count[257] = {0};
        for (guint i = 0; i < n; i++)
            count[((key[i] >> shift) & 0xFF) + 1]++;
        for (guint b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (guint i = 0; i < n; i++)
            tmp[count[(key[i] >> shift) & 0xFF]++] = key[i];
        guint64 *t = key;
        key = tmp;
        tmp = t;
    }
    for (guint i = 0; i < n; i++)
        order[i] = (guint)(key[i] & G_MAXUINT32);
    g_free(key);
    g_free(tmp);
}

/* The cache directory opts ask for, or NULL for none (new string). */
static char *cache_dir(const impviz_analysis_opts *opts, const GPtrArray *roots)
{
    switch (opts->cache) {
    case IMPVIZ_CACHE_USER:
        return impviz_cache_default_dir(roots);
    case IMPVIZ_CACHE_LOCAL:
        return g_build_filename(g_ptr_array_index(roots, 0), ".impviz_cache", NULL);
    case IMPVIZ_CACHE_DIR:
        return g_strdup(opts->cache_dir);
    default:
        return NULL;
    }
}

/* Sets keys[i] to module i's absolute path: its canonical root joined with its relative path,
 * as g_build_filename would join them. Returns the block holding them all (caller frees): one
 * allocation rather than one per module. */
static char *cache_keys(const impviz_project *p, char *const *abs_roots, const char **keys)
{
    guint n = p->modules->len, n_roots = p->roots->len;
    gsize *root_len = g_new(gsize, n_roots + 1);
    for (guint r = 0; r < n_roots; r++) { /* the separator counted in: "/" already has it */
        root_len[r] = strlen(abs_roots[r]);
        root_len[r] += !g_str_has_suffix(abs_roots[r], G_DIR_SEPARATOR_S);
    }
    gsize total = 0;
    for (guint i = 0; i < n; i++) {
        const impviz_module *m = g_ptr_array_index(p->modules, i);
        total += root_len[m->root] + strlen(m->path) + 1;
    }
    char *text = g_malloc(total + 1), *at = text;
    for (guint i = 0; i < n; i++) {
        const impviz_module *m = g_ptr_array_index(p->modules, i);
        keys[i] = at;
        gsize len = root_len[m->root];
        memcpy(at, abs_roots[m->root], len);
        at[len - 1] = G_DIR_SEPARATOR;
        at += len;
        at = g_stpcpy(at, m->path) + 1;
    }
    g_free(root_len);
    return text;
}

static void thread_started(gpointer data, gpointer user_data)
{
    (void)data;
    (void)user_data;
}

void impviz_threads_prepare(guint jobs)
{
    if (jobs == 0)
        jobs = g_get_num_processors();
    if (jobs < 2)
        return;
    /* kept between phases, and for the whole of a run (GLib's default keeps two) */
    g_thread_pool_set_max_unused_threads((gint)jobs);
    g_thread_pool_set_max_idle_time(60 * 1000);
    GThreadPool *pool = g_thread_pool_new(thread_started, NULL, (gint)jobs - 1, FALSE, NULL);
    for (guint t = 1; t < jobs; t++)
        g_thread_pool_push(pool, GUINT_TO_POINTER(t), NULL);
    g_thread_pool_free(pool, FALSE, FALSE); /* the threads go on to wait for other pools */
}

static void parse_all(const impviz_analysis_opts *opts, impviz_analysis *a, impviz_diags *diags)
{
    const impviz_project *p = a->project;
    guint n = p->modules->len;
    parse_job job = {.project = p,
                     .diags = diags,
                     .files = (impviz_file **)a->files->pdata,
                     .stats = g_new0(impviz_stat, n),
                     .stat_ok = g_new0(gboolean, n),
                     .order = g_new(guint, n),
                     .max_size = opts->discover.max_file_size,
                     .follow = opts->discover.follow_symlinks};
    char *dir = cache_dir(opts, p->roots);
    if (dir) { /* opened before the first read: its time stamp must come first */
        job.cache = impviz_cache_open(dir, n, diags);
        job.keys = g_new0(const char *, n + 1);
        job.hashes = g_new0(guint64, n);
        job.known = g_new0(bool, n);
    }
    char **abs_roots = g_new0(char *, p->roots->len + 1);
    for (guint r = 0; job.cache && r < p->roots->len; r++)
        abs_roots[r] = g_canonicalize_filename(g_ptr_array_index(p->roots, r), NULL);
    if (job.cache)
        job.key_text = cache_keys(p, abs_roots, job.keys);
    for (guint i = 0; i < n; i++) {
        const impviz_module *m = g_ptr_array_index(p->modules, i);
        if (m->has_stat) /* discovery's stat: taken before any read, as the cache needs */
            job.stats[i] = m->stat;
        job.stat_ok[i] = m->has_stat || impviz_stat_path(m->file, &job.stats[i]);
    }
    g_strfreev(abs_roots);
    largest_first(job.stats, n, job.order);

    guint jobs = opts->jobs;
    if (jobs == 0)
        jobs = g_get_num_processors();
    if (jobs > n)
        jobs = n ? n : 1;
    /* this thread is one of the workers: it starts at once, while the others are made */
    GThreadPool *pool = NULL;
    if (jobs > 1) {
        pool = g_thread_pool_new(parse_worker, &job, (gint)jobs - 1, FALSE, NULL);
        for (guint t = 1; t < jobs; t++)
            g_thread_pool_push(pool, GUINT_TO_POINTER(t), NULL);
    }
    parse_worker(NULL, &job);
    if (pool)
        g_thread_pool_free(pool, FALSE, TRUE);
    a->n_parsed = (guint)job.parsed;
    a->n_from_cache = (guint)job.cached;
    if (job.cache) {
        impviz_cache_save(job.cache, diags);
        impviz_cache_free(job.cache);
    }
    g_free(job.keys);
    g_free(job.key_text);
    a->cache_dir = dir; /* for the diagnosis memo (memo.c) */
    a->content_hashes = job.hashes;
    a->content_known = job.known;
    g_free(job.stats);
    g_free(job.stat_ok);
    g_free(job.order);
}

/* Discovery's directory listings are kept beside the parse cache. */
static impviz_listings *open_listings(const GPtrArray *roots, void *data)
{
    char *dir = cache_dir(data, roots);
    impviz_listings *l = dir ? impviz_listings_open(dir) : NULL;
    g_free(dir);
    return l;
}

impviz_status impviz_analysis_run(const impviz_analysis_opts *opts, impviz_diags *diags,
                                  impviz_analysis **out)
{
    impviz_project *project = NULL;
    *out = NULL;
    impviz_discover_opts discover = opts->discover;
    discover.jobs = opts->jobs ? opts->jobs : g_get_num_processors();
    /* not when following links: a listing reached through one would be kept under its path */
    if (!discover.listings && !discover.follow_symlinks) {
        discover.listings = open_listings;
        discover.listings_data = (gpointer)opts;
    }
    impviz_status status = impviz_discover(&discover, diags, &project);
    if (status != IMPVIZ_OK)
        return status;
    impviz_analysis *a = g_new0(impviz_analysis, 1);
    a->project = project;
    a->jobs = opts->jobs ? opts->jobs : g_get_num_processors();
    guint n = project->modules->len;
    a->files = g_ptr_array_new_full(n, (GDestroyNotify)impviz_file_free);
    g_ptr_array_set_size(a->files, n);
    parse_all(opts, a, diags);
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
    impviz_resolve_threads(project, (impviz_file *const *)a->files->pdata, a->refs, a->jobs);
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
    g_free(a->cache_dir);
    g_free(a->content_hashes);
    g_free(a->content_known);
    g_free(a);
}
