/* SPDX-License-Identifier: MIT */
/*
 * cache.c - parse results kept between runs, so an unchanged file is never parsed twice.
 *
 * Owns the cache file DIR/parse.cache: one file per project with every file's entry, read with
 * one mmap and written whole (temporary file + rename) by the run that changed it. Layout, all
 * integers in the writer's byte order (a different order reads as another version):
 *
 *   header   magic, format version, byte-order mark, grammar version, extractor hash (of parse.c
 *            and this file), snapshot time, entry count, file length, checksum of the index
 *   index    one fixed-size record per file, sorted by path: stat fields, content hash, where its
 *            path and its serialized parse lie in the file, and a checksum of the latter
 *   data     each entry's NUL-terminated path and serialized impviz_file
 *
 * Invariants: nothing is read outside the mapping (every offset and length is checked first); an
 * entry whose data fails its checksum or does not deserialize is a miss, never a crash; a cache
 * that fails the header or index checks is ignored as a whole. Slots are written by one thread
 * each, so lookups and puts need no lock: the loaded cache is read-only until impviz_cache_save.
 */
#include "impviz.h"
#include "impviz_cache_id.h" /* generated: IMPVIZ_GRAMMAR_VERSION, IMPVIZ_EXTRACTOR_HASH */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bump when the layout below or impviz_file_serialize's format changes. */
#define CACHE_FORMAT 5
#define CACHE_FILE "parse.cache"
#define CACHE_MAGIC "IMPVIZC\n"
#define BYTE_ORDER_MARK 0x01020304u
/* Time stamps closer than this to the writing run's start may hide a later change. */
#define RACY_NS (G_GINT64_CONSTANT(2) * 1000000000)
#define NO_STRING 0xFFFFFFFFu

/* A new field in these structs must be stored below (and CACHE_FORMAT bumped): this is the
 * reminder. Sizes as on LP64 platforms. */
#if GLIB_SIZEOF_VOID_P == 8
G_STATIC_ASSERT(sizeof(impviz_import) == 56);
G_STATIC_ASSERT(sizeof(impviz_event) == 64);
G_STATIC_ASSERT(sizeof(impviz_file) == 56);
#endif

typedef struct {
    char magic[8];
    guint32 format;
    guint32 byte_order;
    char grammar[16];
    char extractor[16];
    gint64 snapshot_ns; /* when the run that wrote the cache started */
    guint64 n_entries;
    guint64 file_len;
    guint64 index_hash;
} header;

typedef struct {
    guint64 size, ino, dev, content_hash;
    gint64 mtime_ns, ctime_ns;
    guint64 path_off;
    guint64 data_off;
    guint64 data_hash;
    guint32 path_len, data_len;
} entry;

/* What the next save writes for one module. */
typedef struct {
    const entry *old; /* a loaded entry to keep (with st, which may be newer), or NULL */
    GBytes *fresh;    /* a fresh serialized parse, or NULL */
    char *path;       /* fresh: the path */
    impviz_stat st;   /* the stat this entry is valid for */
    guint64 hash;     /* fresh: the content hash */
    bool rewrite;     /* old: st differs from the loaded entry's, or the entry was racy */
} slot;

struct impviz_cache {
    char *dir;
    GMappedFile *map; /* the loaded cache, or NULL */
    const char *base; /* its bytes */
    const header *hdr;
    const entry *entries;
    guint64 n_entries;
    guint32 *by_path;  /* open addressing on the path's hash: entry index + 1, 0 for empty;
                          at most half full; NULL when no cache was loaded */
    guint64 path_mask; /* its size - 1 (a power of two) */
    gint64 started_ns; /* this run's start: the next save's snapshot */
    slot *slots;
    guint n_slots;
};

/* ---- content hash ----------------------------------------------------------------------- */

static guint64 mix(guint64 h)
{
    h ^= h >> 33;
    h *= G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

/* One lane's step over one 8-byte word. */
static inline guint64 lane_step(guint64 lane, guint64 w)
{
    const guint64 k1 = G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    const guint64 k2 = G_GUINT64_CONSTANT(0xc2b2ae3d27d4eb4f);
    guint64 x = lane ^ (w * k2);
    return (x << 31 | x >> 33) * k1;
}

guint64 impviz_hash_bytes(const void *data, size_t len)
{
    /* four independent lanes of 8 bytes: a few GB/s, far below the cost of parsing. The lanes
       are locals, so that they stay in registers (an array of them went through memory) */
    static const guint64 k1 = G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    static const guint64 k2 = G_GUINT64_CONSTANT(0xc2b2ae3d27d4eb4f);
    const unsigned char *p = data;
    guint64 l0 = k1, l1 = k2, l2 = k1 ^ len, l3 = k2 ^ len;
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        guint64 w0, w1, w2, w3; /* one load each (a copy of all four went through the stack) */
        memcpy(&w0, p + i, 8);
        memcpy(&w1, p + i + 8, 8);
        memcpy(&w2, p + i + 16, 8);
        memcpy(&w3, p + i + 24, 8);
        l0 = lane_step(l0, w0);
        l1 = lane_step(l1, w1);
        l2 = lane_step(l2, w2);
        l3 = lane_step(l3, w3);
    }
    guint64 tail[4] = {0, 0, 0, 0};
    memcpy(tail, p + i, len - i);
    l0 = lane_step(l0, tail[0]);
    l1 = lane_step(l1, tail[1]);
    l2 = lane_step(l2, tail[2]);
    l3 = lane_step(l3, tail[3]);
    return mix(mix(l0 ^ len) ^ mix(l1) ^ mix(l2 + k1) ^ mix(l3 + k2));
}

void impviz_stat_set(impviz_stat *st, const struct stat *s)
{
    st->size = (guint64)s->st_size;
    st->mtime_ns = (gint64)s->st_mtim.tv_sec * 1000000000 + s->st_mtim.tv_nsec;
    st->ctime_ns = (gint64)s->st_ctim.tv_sec * 1000000000 + s->st_ctim.tv_nsec;
    st->ino = (guint64)s->st_ino;
    st->dev = (guint64)s->st_dev;
}

bool impviz_stat_path(const char *path, impviz_stat *st)
{
    struct stat s;
    if (stat(path, &s) != 0)
        return false;
    impviz_stat_set(st, &s);
    return true;
}

/* ---- one parse result as bytes ------------------------------------------------------------ */
/*
 * u32 error_count, first_error_line, too_deep, n_imports, n_events, strings_len,
 *     invalid_utf8_line, rejected, package
 * n_imports x u32 line, kind, level, flags, module, name, asname, statement
 * n_events  x u32 type, line, import_index, name, context, bits (uncertain 1, class_body 2,
 *     none 4), next, catches, call_line, class_line, call_context, class_context
 * strings_len bytes: NUL-terminated strings, each stored once; strings are offsets into them
 * (NO_STRING for NULL).
 */
enum { FILE_HEAD = 9, IMPORT_WORDS = 8, EVENT_WORDS = 12 };

typedef struct {
    GByteArray *strings;
    GHashTable *offsets; /* string -> offset + 1 */
} string_table;

static guint32 string_ref(string_table *t, const char *s)
{
    if (!s)
        return NO_STRING;
    gpointer found = g_hash_table_lookup(t->offsets, s);
    if (found)
        return GPOINTER_TO_UINT(found) - 1;
    guint32 off = t->strings->len;
    g_byte_array_append(t->strings, (const guint8 *)s, (guint)strlen(s) + 1);
    g_hash_table_insert(t->offsets, (gpointer)s, GUINT_TO_POINTER(off + 1));
    return off;
}

GBytes *impviz_file_serialize(const impviz_file *f)
{
    guint n_imports = f->imports->len, n_events = f->events->len;
    gsize words = FILE_HEAD + (gsize)n_imports * IMPORT_WORDS + (gsize)n_events * EVENT_WORDS;
    guint32 *w = g_new(guint32, words);
    string_table t = {g_byte_array_new(), g_hash_table_new(g_str_hash, g_str_equal)};
    guint32 *p = w + FILE_HEAD;
    for (guint i = 0; i < n_imports; i++) {
        const impviz_import *m = &g_array_index(f->imports, impviz_import, i);
        *p++ = m->line;
        *p++ = (guint32)m->kind;
        *p++ = m->level;
        *p++ = m->flags;
        *p++ = string_ref(&t, m->module);
        *p++ = string_ref(&t, m->name);
        *p++ = string_ref(&t, m->asname);
        *p++ = string_ref(&t, m->statement);
    }
    for (guint i = 0; i < n_events; i++) {
        const impviz_event *e = &g_array_index(f->events, impviz_event, i);
        *p++ = (guint32)e->type;
        *p++ = e->line;
        *p++ = e->import_index;
        *p++ = string_ref(&t, e->name);
        *p++ = string_ref(&t, e->context);
        *p++ = (guint32)e->uncertain | (guint32)e->class_body << 1 | (guint32)e->none << 2;
        *p++ = e->next;
        *p++ = e->catches;
        *p++ = e->call_line;
        *p++ = e->class_line;
        *p++ = string_ref(&t, e->call_context);
        *p++ = string_ref(&t, e->class_context);
    }
    guint32 rejected = string_ref(&t, f->rejected), package = string_ref(&t, f->package);
    guint32 head[FILE_HEAD] = {f->error_count, f->first_error_line, f->too_deep,          n_imports,
                               n_events,       t.strings->len,      f->invalid_utf8_line, rejected,
                               package};
    memcpy(w, head, sizeof head);
    GByteArray *out = g_byte_array_sized_new((guint)(words * 4 + t.strings->len));
    g_byte_array_append(out, (const guint8 *)w, (guint)(words * 4));
    g_byte_array_append(out, t.strings->data, t.strings->len);
    g_free(w);
    g_byte_array_unref(t.strings);
    g_hash_table_unref(t.offsets);
    return g_byte_array_free_to_bytes(out);
}

static guint32 word_at(const guchar *data, gsize i)
{
    guint32 v;
    memcpy(&v, data + 4 * i, 4);
    return v;
}

/* A string offset read from the cache, checked: NULL for NO_STRING; false when out of range. */
static bool string_at(const char *strings, guint32 len, guint32 off, const char **out)
{
    if (off == NO_STRING) {
        *out = NULL;
        return true;
    }
    *out = strings + off;
    return off < len;
}

impviz_file *impviz_file_deserialize(const void *data, size_t len)
{
    const guchar *d = data;
    if (len < FILE_HEAD * 4)
        return NULL;
    guint32 n_imports = word_at(d, 3), n_events = word_at(d, 4), strings_len = word_at(d, 5);
    guint64 words = FILE_HEAD + (guint64)n_imports * IMPORT_WORDS + (guint64)n_events * EVENT_WORDS;
    if (words * 4 + strings_len != len || word_at(d, 2) > 1)
        return NULL;
    const char *src = (const char *)d + words * 4;
    if (strings_len && src[strings_len - 1] != '\0')
        return NULL; /* so every offset below strings_len starts a terminated string */

    /* the strings in the same block, after the struct: freeing the file frees them (strings is
       NULL for impviz_file_free); one allocation rather than a chunk, its list node and block */
    impviz_file *f = g_malloc(sizeof(impviz_file) + strings_len + 1);
    *f = (impviz_file){0};
    char *strings = (char *)(f + 1);
    memcpy(strings, src, strings_len);
    strings[strings_len] = '\0'; /* "" when there are none */
    f->error_count = word_at(d, 0);
    f->first_error_line = word_at(d, 1);
    f->too_deep = word_at(d, 2);
    f->invalid_utf8_line = word_at(d, 6);
    /* sized once and filled in place */
    f->imports = g_array_sized_new(FALSE, FALSE, sizeof(impviz_import), n_imports);
    f->events = g_array_sized_new(FALSE, FALSE, sizeof(impviz_event), n_events);
    g_array_set_size(f->imports, n_imports);
    g_array_set_size(f->events, n_events);
    const guchar *rec = d + 4 * FILE_HEAD;
    bool ok = true;
    impviz_import *imports = (impviz_import *)(void *)f->imports->data;
    for (guint32 k = 0; k < n_imports && ok; k++, rec += 4 * IMPORT_WORDS) {
        guint32 w[IMPORT_WORDS];
        memcpy(w, rec, sizeof w);
        impviz_import *m = &imports[k];
        *m = (impviz_import){.line = w[0], .kind = (impviz_kind)w[1], .level = w[2], .flags = w[3]};
        ok = w[1] < IMPVIZ_KIND_COUNT && string_at(strings, strings_len, w[4], &m->module) &&
             string_at(strings, strings_len, w[5], &m->name) &&
             string_at(strings, strings_len, w[6], &m->asname) &&
             string_at(strings, strings_len, w[7], &m->statement);
    }
    impviz_event *events = (impviz_event *)(void *)f->events->data;
    for (guint32 k = 0; k < n_events && ok; k++, rec += 4 * EVENT_WORDS) {
        guint32 w[EVENT_WORDS];
        memcpy(w, rec, sizeof w);
        impviz_event *e = &events[k];
        *e = (impviz_event){
            .type = (impviz_event_type)w[0],
            .line = w[1],
            .import_index = w[2],
            .uncertain = (w[5] & 1) != 0,
            .class_body = (w[5] & 2) != 0,
            .none = (w[5] & 4) != 0,
            .next = w[6],
            .catches = w[7],
            .call_line = w[8],
            .class_line = w[9],
        };
        ok = w[0] <= IMPVIZ_EV_UNBIND && w[5] <= 7 && w[7] <= IMPVIZ_CATCH_ALL &&
             /* clause links only go forward, to an event that exists: the simulation follows
                them, so a damaged cache must not make it loop */
             (e->type < IMPVIZ_EV_TRY || e->type >= IMPVIZ_EV_END ||
              (e->next > k && e->next < n_events)) &&
             (e->type != IMPVIZ_EV_IMPORT || e->import_index < n_imports) &&
             string_at(strings, strings_len, w[3], &e->name) &&
             string_at(strings, strings_len, w[4], &e->context) &&
             string_at(strings, strings_len, w[10], &e->call_context) &&
             string_at(strings, strings_len, w[11], &e->class_context);
    }
    /* a rejection is only its reason */
    ok = ok && string_at(strings, strings_len, word_at(d, 7), &f->rejected) &&
         (!f->rejected || (!n_imports && !n_events)) &&
         string_at(strings, strings_len, word_at(d, 8), &f->package);
    if (!ok) {
        impviz_file_free(f);
        return NULL;
    }
    return f;
}

/* ---- loading ------------------------------------------------------------------------------ */

static void fill_id(char *out, size_t size, const char *id)
{
    memset(out, 0, size);
    memcpy(out, id, MIN(strlen(id), size));
}

static bool same_id(const char *field, size_t size, const char *id)
{
    char want[16];
    fill_id(want, sizeof want, id);
    return size == sizeof want && memcmp(field, want, size) == 0;
}

/* The slot of table (mask + 1 slots of entry index + 1) holding the entry for path, or the
 * empty slot where it belongs. */
static guint32 *find_path(const char *base, const entry *entries, guint32 *table, guint64 mask,
                          const char *path, gsize len)
{
    for (guint64 k = impviz_hash_bytes(path, len) & mask;; k = (k + 1) & mask) {
        if (!table[k])
            return &table[k];
        const entry *e = &entries[table[k] - 1];
        if (e->path_len == len && memcmp(base + e->path_off, path, len) == 0)
            return &table[k];
    }
}

/* Checks the mapped bytes; on success sets the cache's header, entries and index. */
static const char *load(impviz_cache *c, const char *bytes, gsize len)
{
    header h;
    if (len < sizeof h)
        return "corrupt (too short)";
    memcpy(&h, bytes, sizeof h);
    if (memcmp(h.magic, CACHE_MAGIC, 8) != 0)
        return "not an impviz cache";
    if (h.format != CACHE_FORMAT || h.byte_order != BYTE_ORDER_MARK)
        return "written by another version of impviz";
    if (!same_id(h.grammar, sizeof h.grammar, IMPVIZ_GRAMMAR_VERSION) ||
        !same_id(h.extractor, sizeof h.extractor, IMPVIZ_EXTRACTOR_HASH))
        return "written by another version of impviz or of its grammar";
    if (h.file_len != len || h.n_entries > (len - sizeof h) / sizeof(entry) ||
        h.n_entries >= G_MAXUINT32)
        return "corrupt (truncated)";
    const char *index = bytes + sizeof h;
    if (impviz_hash_bytes(index, h.n_entries * sizeof(entry)) != h.index_hash)
        return "corrupt (index checksum)";
    if ((uintptr_t)index % G_ALIGNOF(entry) != 0)
        return "corrupt (misaligned)";
    const entry *entries = (const entry *)(const void *)index;
    for (guint64 i = 0; i < h.n_entries; i++) {
        const entry *e = &entries[i];
        if (e->path_off >= len || e->path_len >= len - e->path_off ||
            bytes[e->path_off + e->path_len] != '\0' || e->data_off > len ||
            e->data_len > len - e->data_off)
            return "corrupt (entry out of bounds)";
    }
    guint64 size = 2;
    while (size < 2 * h.n_entries)
        size *= 2;
    guint32 *by_path = g_new0(guint32, size);
    for (guint64 i = 0; i < h.n_entries; i++) {
        const entry *e = &entries[i];
        const char *path = bytes + e->path_off;
        guint32 *at = find_path(bytes, entries, by_path, size - 1, path, e->path_len);
        *at = (guint32)i + 1; /* a path listed twice: the last one counts */
    }
    c->by_path = by_path;
    c->path_mask = size - 1;
    c->base = bytes;
    c->entries = entries;
    c->n_entries = h.n_entries;
    c->hdr = (const header *)(const void *)bytes;
    return NULL;
}

impviz_cache *impviz_cache_open(const char *dir, guint n_slots, impviz_diags *diags)
{
    impviz_cache *c = g_new0(impviz_cache, 1);
    c->dir = g_strdup(dir);
    c->started_ns = g_get_real_time() * 1000;
    c->n_slots = n_slots;
    c->slots = g_new0(slot, n_slots);
    char *path = g_build_filename(dir, CACHE_FILE, NULL);
    GError *err = NULL;
    c->map = g_mapped_file_new(path, FALSE, &err);
    if (!c->map) {
        if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            impviz_diags_add(diags, IMPVIZ_NOTE, NULL, 0, "cache '%s' not read: %s", path,
                             err->message);
        g_error_free(err);
    } else {
        const char *why =
            load(c, g_mapped_file_get_contents(c->map), g_mapped_file_get_length(c->map));
        if (why) {
            impviz_diags_add(diags, IMPVIZ_NOTE, NULL, 0, "cache '%s' ignored and rebuilt: %s",
                             path, why);
            g_mapped_file_unref(c->map);
            c->map = NULL;
        }
    }
    g_free(path);
    return c;
}

void impviz_cache_free(impviz_cache *c)
{
    if (!c)
        return;
    for (guint i = 0; i < c->n_slots; i++) {
        if (c->slots[i].fresh)
            g_bytes_unref(c->slots[i].fresh);
        g_free(c->slots[i].path);
    }
    g_free(c->slots);
    g_free(c->by_path);
    if (c->map)
        g_mapped_file_unref(c->map);
    g_free(c->dir);
    g_free(c);
}

static bool same_stat(const entry *e, const impviz_stat *st)
{
    return e->size == st->size && e->mtime_ns == st->mtime_ns && e->ctime_ns == st->ctime_ns &&
           e->ino == st->ino && e->dev == st->dev;
}

impviz_file *impviz_cache_get(impviz_cache *c, guint i, const char *path, const impviz_stat *st,
                              const guint64 *hash)
{
    if (!c->by_path || i >= c->n_slots)
        return NULL;
    const guint32 *at =
        find_path(c->base, c->entries, c->by_path, c->path_mask, path, strlen(path));
    if (!*at)
        return NULL;
    const entry *e = &c->entries[*at - 1];
    bool racy = e->mtime_ns > c->hdr->snapshot_ns - RACY_NS;
    bool unchanged =
        hash ? *hash == e->content_hash && st->size == e->size : same_stat(e, st) && !racy;
    if (!unchanged)
        return NULL;
    const char *data = c->base + e->data_off;
    if (impviz_hash_bytes(data, e->data_len) != e->data_hash)
        return NULL;
    impviz_file *f = impviz_file_deserialize(data, e->data_len);
    if (!f)
        return NULL;
    slot *s = &c->slots[i];
    s->old = e;
    s->st = *st;
    /* a racy entry verified by its content is saved again: under a newer snapshot it is not */
    s->rewrite = !same_stat(e, st) || racy;
    return f;
}

void impviz_cache_put(impviz_cache *c, guint i, const char *path, const impviz_stat *st,
                      guint64 hash, const impviz_file *file)
{
    if (i >= c->n_slots)
        return;
    slot *s = &c->slots[i];
    s->old = NULL;
    if (s->fresh)
        g_bytes_unref(s->fresh);
    g_free(s->path);
    s->fresh = impviz_file_serialize(file);
    s->path = g_strdup(path);
    s->st = *st;
    s->hash = hash;
}

bool impviz_cache_content_hash(const impviz_cache *c, guint i, guint64 *hash)
{
    if (i >= c->n_slots || (!c->slots[i].old && !c->slots[i].fresh))
        return false;
    *hash = c->slots[i].fresh ? c->slots[i].hash : c->slots[i].old->content_hash;
    return true;
}

/* ---- saving ------------------------------------------------------------------------------- */

typedef struct {
    const char *path;
    const slot *s;
} pending;

static gint pending_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(((const pending *)a)->path, ((const pending *)b)->path);
}

bool impviz_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static void note_unwritable(impviz_diags *diags, const char *what, int code)
{
    impviz_diags_add(diags, IMPVIZ_NOTE, NULL, 0, "cache not saved: cannot write '%s': %s", what,
                     g_strerror(code));
}

/* Tells backup tools (CACHEDIR.TAG) and git (.gitignore) that the directory is a cache. */
static void mark_cache_dir(const char *dir)
{
    static const struct {
        const char *name, *text;
    } marks[] = {
        {"CACHEDIR.TAG",
         "Signature: 8a477f597d28d172789f06886806bc55\n"
         "# This file is a cache directory tag created by impviz.\n"
         "# For information about cache directory tags see https://bford.info/cachedir/\n"},
        {".gitignore", "# Created by impviz: the whole directory is a cache.\n*\n"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(marks); i++) {
        char *path = g_build_filename(dir, marks[i].name, NULL);
        if (!g_file_test(path, G_FILE_TEST_EXISTS))
            g_file_set_contents(path, marks[i].text, -1, NULL); /* best effort */
        g_free(path);
    }
}

impviz_status impviz_cache_save(impviz_cache *c, impviz_diags *diags)
{
    /* anything to do? */
    GArray *todo = g_array_new(FALSE, FALSE, sizeof(pending));
    bool changed = false;
    for (guint i = 0; i < c->n_slots; i++) {
        const slot *s = &c->slots[i];
        if (s->fresh) {
            pending p = {s->path, s};
            g_array_append_val(todo, p);
            changed = true;
        } else if (s->old) {
            pending p = {c->base + s->old->path_off, s};
            g_array_append_val(todo, p);
            changed |= s->rewrite;
        }
    }
    changed |= todo->len != c->n_entries;
    if (!changed) {
        g_array_unref(todo);
        return IMPVIZ_OK;
    }
    g_array_sort(todo, pending_cmp);

    /* the index, with every offset known before a byte is written */
    guint64 n = todo->len;
    entry *index = g_new0(entry, n);
    guint64 off = sizeof(header) + n * sizeof(entry);
    for (guint64 i = 0; i < n; i++) {
        const pending *p = &g_array_index(todo, pending, i);
        const slot *s = p->s;
        entry *e = &index[i];
        e->size = s->st.size;
        e->mtime_ns = s->st.mtime_ns;
        e->ctime_ns = s->st.ctime_ns;
        e->ino = s->st.ino;
        e->dev = s->st.dev;
        e->path_len = (guint32)strlen(p->path);
        e->path_off = off;
        off += e->path_len + 1;
        if (s->fresh) {
            gsize len;
            const void *data = g_bytes_get_data(s->fresh, &len);
            e->content_hash = s->hash;
            e->data_len = (guint32)len;
            e->data_hash = impviz_hash_bytes(data, len);
        } else {
            e->content_hash = s->old->content_hash;
            e->data_len = s->old->data_len;
            e->data_hash = s->old->data_hash;
        }
        e->data_off = off;
        off += e->data_len;
    }
    header h = {.format = CACHE_FORMAT,
                .byte_order = BYTE_ORDER_MARK,
                .snapshot_ns = c->started_ns,
                .n_entries = n,
                .file_len = off,
                .index_hash = impviz_hash_bytes(index, n * sizeof(entry))};
    memcpy(h.magic, CACHE_MAGIC, 8);
    fill_id(h.grammar, sizeof h.grammar, IMPVIZ_GRAMMAR_VERSION);
    fill_id(h.extractor, sizeof h.extractor, IMPVIZ_EXTRACTOR_HASH);

    impviz_status status = IMPVIZ_OK;
    char *final = g_build_filename(c->dir, CACHE_FILE, NULL);
    char *tmp = g_build_filename(c->dir, "." CACHE_FILE ".XXXXXX", NULL);
    int fd = -1;
    if (g_mkdir_with_parents(c->dir, 0755) != 0) {
        note_unwritable(diags, c->dir, errno);
        status = IMPVIZ_EOUTPUT;
        goto cleanup;
    }
    mark_cache_dir(c->dir);
    fd = g_mkstemp_full(tmp, O_WRONLY, 0644);
    if (fd < 0) {
        note_unwritable(diags, c->dir, errno);
        status = IMPVIZ_EOUTPUT;
        goto cleanup;
    }
    /* stdio-sized batches: entries are small */
    GByteArray *buf = g_byte_array_sized_new(1 << 20);
    g_byte_array_append(buf, (const guint8 *)&h, sizeof h);
    g_byte_array_append(buf, (const guint8 *)index, (guint)(n * sizeof(entry)));
    bool ok = true;
    for (guint64 i = 0; i < n && ok; i++) {
        const pending *p = &g_array_index(todo, pending, i);
        g_byte_array_append(buf, (const guint8 *)p->path, index[i].path_len + 1);
        gsize len = index[i].data_len;
        const void *data =
            p->s->fresh ? g_bytes_get_data(p->s->fresh, &len) : c->base + p->s->old->data_off;
        g_byte_array_append(buf, data, (guint)len);
        if (buf->len >= (1 << 20)) {
            ok = impviz_write_all(fd, buf->data, buf->len);
            g_byte_array_set_size(buf, 0);
        }
    }
    ok = ok && impviz_write_all(fd, buf->data, buf->len);
    g_byte_array_unref(buf);
    int code = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        code = errno;
    }
    fd = -1;
    if (!ok || rename(tmp, final) != 0) {
        if (ok)
            code = errno;
        unlink(tmp);
        note_unwritable(diags, final, code);
        status = IMPVIZ_EOUTPUT;
    }

cleanup:
    if (fd >= 0)
        close(fd);
    g_free(tmp);
    g_free(final);
    g_free(index);
    g_array_unref(todo);
    return status;
}

char *impviz_cache_default_dir(const GPtrArray *roots)
{
    GString *key = g_string_new(NULL);
    for (guint i = 0; i < roots->len; i++) {
        char *abs = g_canonicalize_filename(g_ptr_array_index(roots, i), NULL);
        g_string_append(key, abs);
        g_string_append_c(key, '\n');
        g_free(abs);
    }
    char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key->str, (gssize)key->len);
    sum[16] = '\0';
    char *dir = g_build_filename(g_get_user_cache_dir(), "impviz", sum, NULL);
    g_free(sum);
    g_string_free(key, TRUE);
    return dir;
}
