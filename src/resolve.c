/* SPDX-License-Identifier: MIT */
/*
 * resolve.c - import records -> project modules, standard library or third party.
 *
 * Pure: reads the project's module table and the import records, does no I/O. Follows CPython:
 * a relative import counts its dots from the importing module's package; `import a.b.c` reaches
 * the longest prefix that is a module; `from X import n` reaches the submodule X.n when there is
 * one, else X itself.
 */
#include "impviz.h"

#include <stdlib.h>
#include <string.h>

/* Generated at build time from src/stdlib_modules.txt: sorted top-level names. */
extern const char *const impviz_stdlib_names[];
extern const size_t impviz_stdlib_count;

static int name_cmp(const void *key, const void *item)
{
    return strcmp(key, *(const char *const *)item);
}

bool impviz_is_stdlib(const char *name)
{
    return bsearch(name, impviz_stdlib_names, impviz_stdlib_count, sizeof(char *), name_cmp) !=
           NULL;
}

/* The names of external targets, interned for the life of the process (impviz_ref.external
 * promises that): one string chunk, each name stored once however many analyses see it (its
 * insert_const keeps the lookup table). Not g_intern_string: GLib's quark table never frees the
 * array it outgrows (readers may hold it), so each 2 048 new names left the old array behind,
 * n^2 / 512 bytes for n names: 2 GB for a file of a million distinct imports. */
static GMutex interned_lock;
static GStringChunk *interned_chunk;

static const char *intern_external(const char *name)
{
    g_mutex_lock(&interned_lock);
    if (!interned_chunk)
        interned_chunk = g_string_chunk_new(4096);
    const char *s = g_string_chunk_insert_const(interned_chunk, name);
    g_mutex_unlock(&interned_lock);
    return s;
}

/* What a top-level name outside the project's modules resolves to. */
typedef struct {
    impviz_target_class cls;
    const char *external; /* interned; NULL when unresolved */
} outside_name;

/* A dotted name being built: a growing buffer, NUL-terminated. */
typedef struct {
    char *str;
    gsize len, size;
} name_buf;

/* A module's place in name_index: its name (borrowed from the project) beside its hash, so that
 * a probe reads one slot, and the name only when the hashes agree. */
typedef struct {
    const char *name;
    guint32 hash;  /* the name's hash, low half */
    guint32 index; /* module index + 1; 0 for an empty slot */
} name_slot_t;

/* Module names -> indices, built once for a pass over many imports; read-only after, so that
 * several threads share it. */
typedef struct {
    name_slot_t *slots; /* open addressing on the name's hash; at most half full */
    guint64 mask;       /* slots' size - 1 (a power of two) */
} name_index;

/* One thread's state for resolving: the shared index and a scratch name buffer, so that a pass
 * resolves every import without allocating. */
typedef struct {
    const impviz_project *p;
    const name_index *index; /* borrowed; NULL: ask p */
    GHashTable *outside;     /* top-level name (owned) -> outside_name (owned), as found so far;
                                NULL: found again each time */
    name_buf name;           /* the name being looked up */
} resolver;

static void name_truncate(name_buf *b, gsize len)
{
    b->len = len;
    b->str[len] = '\0';
}

static void name_append(name_buf *b, const char *s, gsize len)
{
    if (b->len + len + 1 > b->size) {
        b->size = MAX(2 * b->size, b->len + len + 1);
        b->str = g_realloc(b->str, b->size);
    }
    memcpy(b->str + b->len, s, len);
    name_truncate(b, b->len + len);
}

/* A hash of a short name, eight bytes at a time: names are dozens of bytes, where
 * impviz_hash_bytes' set-up costs more than the bytes. Final mix so the low bits (the slot)
 * depend on every byte. */
static guint64 name_hash(const char *name, gsize len)
{
    const guint64 k = G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    guint64 h = len * k, w;
    gsize i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, name + i, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    for (w = 0; i < len; i++)
        w = w << 8 | (guchar)name[i];
    h = (h ^ w) * k;
    h ^= h >> 32;
    h *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
    return h ^ (h >> 29);
}

/* The slot of x holding the module named name (len bytes), or the empty slot where it belongs. */
static name_slot_t *name_slot(const name_index *x, const char *name, gsize len)
{
    guint64 h = name_hash(name, len);
    for (guint64 k = h & x->mask;; k = (k + 1) & x->mask) {
        name_slot_t *s = &x->slots[k];
        if (!s->index)
            return s;
        if (s->hash == (guint32)h && strncmp(s->name, name, len) == 0 && s->name[len] == '\0')
            return s;
    }
}

static void name_index_init(name_index *x, const impviz_project *p)
{
    guint64 size = 2;
    while (size < 2 * (guint64)p->modules->len)
        size *= 2;
    x->slots = g_new0(name_slot_t, size);
    x->mask = size - 1;
    for (guint i = 0; i < p->modules->len; i++) {
        const impviz_module *m = g_ptr_array_index(p->modules, i);
        gsize len = strlen(m->name);
        /* a name listed twice: the last */
        *name_slot(x, m->name, len) =
            (name_slot_t){m->name, (guint32)name_hash(m->name, len), i + 1};
    }
}

/* With index (borrowed), r keeps what it finds outside the project for the next imports. */
static void resolver_init(resolver *r, const impviz_project *p, const name_index *index)
{
    r->p = p;
    r->index = index;
    r->outside = index ? g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free) : NULL;
    r->name = (name_buf){g_malloc(256), 0, 256};
    r->name.str[0] = '\0';
}

static void resolver_release(resolver *r)
{
    if (r->outside)
        g_hash_table_unref(r->outside);
    g_free(r->name.str);
}

/* Index of the module named r->name, or -1. */
static gint module_index(const resolver *r)
{
    if (r->index)
        return (gint)name_slot(r->index, r->name.str, r->name.len)->index - 1;
    return impviz_project_index(r->p, r->name.str);
}

/* Sets r->name to the absolute dotted name an import refers to; false when a relative import
 * climbs above its top-level package. */
static bool absolute_name(resolver *r, const impviz_module *src, const impviz_import *imp)
{
    name_buf *out = &r->name;
    name_truncate(out, 0);
    if (imp->level == 0) {
        if (!imp->module)
            return false;
        name_append(out, imp->module, strlen(imp->module));
        return true;
    }
    /* the package the dots count from: the module itself for a package's __init__, and for a
     * name relative to __name__ (IMPVIZ_IMPORT_SELF); each dot past the first climbs one
     * package up */
    size_t len = strlen(src->name);
    bool self = src->is_package || (imp->flags & IMPVIZ_IMPORT_SELF);
    for (guint climb = imp->level - (self ? 1 : 0); climb > 0; climb--) {
        while (len > 0 && src->name[len - 1] != '.')
            len--;
        if (len == 0)
            return false; /* above the top-level package */
        len--;
    }
    name_append(out, src->name, len);
    if (*imp->module) {
        name_append(out, ".", 1);
        name_append(out, imp->module, strlen(imp->module));
    }
    return true;
}

char *impviz_resolve_absolute(const impviz_project *p, guint source, const impviz_import *imp)
{
    resolver r;
    resolver_init(&r, p, NULL);
    char *full = NULL;
    if (absolute_name(&r, g_ptr_array_index(p->modules, source), imp) && r.name.len)
        full = g_strndup(r.name.str, r.name.len);
    resolver_release(&r);
    return full;
}

static impviz_ref resolve_one(resolver *r, guint source, const impviz_import *imp)
{
    const impviz_project *p = r->p;
    impviz_ref ref = {.source = source, .target = -1, .import = imp};
    name_buf *name = &r->name;
    if (!absolute_name(r, g_ptr_array_index(p->modules, source), imp) || !name->len) {
        ref.cls = IMPVIZ_TARGET_UNRESOLVED;
        return ref;
    }
    gsize full_len = name->len;
    if (imp->name && !(imp->flags & IMPVIZ_IMPORT_STAR)) { /* the submodule full.name */
        name_append(name, ".", 1);
        name_append(name, imp->name, strlen(imp->name));
        gint idx = module_index(r);
        if (idx >= 0) {
            ref.target = idx;
            ref.cls = IMPVIZ_TARGET_MODULE;
            return ref;
        }
        name_truncate(name, full_len);
    }
    /* the longest prefix at dots that is a module; the name is cut down to its first part */
    for (;;) {
        gint idx = module_index(r);
        if (idx >= 0) {
            ref.target = idx;
            ref.cls = IMPVIZ_TARGET_MODULE;
            return ref;
        }
        gsize dot = name->len;
        while (dot > 0 && name->str[dot - 1] != '.')
            dot--;
        if (!dot)
            break;
        name_truncate(name, dot - 1);
    }
    if (imp->level > 0) {
        ref.cls = IMPVIZ_TARGET_UNRESOLVED; /* inside the project, but no such module */
        return ref;
    }
    const char *top = name->str;
    outside_name found, *o = r->outside ? g_hash_table_lookup(r->outside, top) : NULL;
    if (!o) {
        o = r->outside ? g_new0(outside_name, 1) : &found;
        if (g_hash_table_contains(p->packages, top) || impviz_project_lookup(p, top)) {
            /* inside the project, but no such module */
            *o = (outside_name){IMPVIZ_TARGET_UNRESOLVED, NULL};
        } else {
            o->cls = impviz_is_stdlib(top) ? IMPVIZ_TARGET_STDLIB : IMPVIZ_TARGET_THIRD_PARTY;
            o->external = intern_external(top);
        }
        if (r->outside)
            g_hash_table_insert(r->outside, g_strdup(top), o);
    }
    ref.cls = o->cls;
    ref.external = o->external;
    return ref;
}

impviz_ref impviz_resolve_one(const impviz_project *p, guint source, const impviz_import *imp)
{
    resolver r;
    resolver_init(&r, p, NULL);
    impviz_ref ref = resolve_one(&r, source, imp);
    resolver_release(&r);
    return ref;
}

/* One thread's share of impviz_resolve: the imports of modules [begin, end), written from
 * refs[at] on. */
typedef struct {
    const impviz_project *p;
    impviz_file *const *files;
    const name_index *index;
    guint begin, end;
    impviz_ref *at;
} share;

static void resolve_share(share *s)
{
    resolver r;
    resolver_init(&r, s->p, s->index);
    impviz_ref *at = s->at;
    for (guint m = s->begin; m < s->end; m++) {
        const impviz_file *f = s->files[m];
        if (!f)
            continue;
        const impviz_import *imports = (const impviz_import *)(const void *)f->imports->data;
        for (guint i = 0; i < f->imports->len; i++)
            *at++ = resolve_one(&r, m, &imports[i]);
    }
    resolver_release(&r);
}

static void resolve_task(gpointer data, gpointer user_data)
{
    (void)user_data;
    resolve_share(data);
}

/* Below this many imports, a thread costs more than it saves. */
#define IMPORTS_PER_THREAD 8192

void impviz_resolve_threads(const impviz_project *p, impviz_file *const *files, GArray *refs,
                            guint jobs)
{
    guint n_modules = p->modules->len, n = 0;
    for (guint m = 0; m < n_modules; m++)
        n += files[m] ? files[m]->imports->len : 0;
    guint base = refs->len;
    g_array_set_size(refs, base + n); /* one allocation */
    jobs = CLAMP(MIN(jobs, n / IMPORTS_PER_THREAD), 1, 64);
    name_index index;
    name_index_init(&index, p);
    /* contiguous runs of modules with about n / jobs imports each: each thread writes its own
       part of refs, so the order is the one of a single pass */
    share shares[64];
    impviz_ref *out = n ? &g_array_index(refs, impviz_ref, base) : NULL; /* no offset on NULL */
    guint m = 0, done = 0;
    for (guint t = 0; t < jobs; t++) {
        guint want = t + 1 == jobs ? n : (guint)((guint64)n * (t + 1) / jobs);
        shares[t] = (share){p, files, &index, m, m, out ? out + done : NULL};
        while (m < n_modules && (done < want || t + 1 == jobs)) {
            done += files[m] ? files[m]->imports->len : 0;
            m++;
        }
        shares[t].end = m;
    }
    GThreadPool *pool = NULL; /* shared threads: see impviz_threads_prepare */
    if (jobs > 1)
        pool = g_thread_pool_new(resolve_task, NULL, (gint)jobs - 1, FALSE, NULL);
    for (guint t = 1; t < jobs; t++)
        g_thread_pool_push(pool, &shares[t], NULL);
    resolve_share(&shares[0]); /* this thread takes the first part */
    if (pool)
        g_thread_pool_free(pool, FALSE, TRUE);
    g_free(index.slots);
}

void impviz_resolve(const impviz_project *p, impviz_file *const *files, GArray *refs)
{
    impviz_resolve_threads(p, files, refs, 1);
}
