/* SPDX-License-Identifier: MIT */
/*
 * listing.c - directory listings kept between runs, so that discovery does not read a directory
 * that has not changed.
 *
 * Owns DIR/dirs.cache. Adding, removing or renaming an entry changes its directory's mtime, so a
 * listing (names and readdir types) is reused while stat gives the directory the same size,
 * mtime, ctime, inode and device, unless the listing was taken so soon after the directory
 * changed that a later change could share its time stamp (the rule parse.cache follows). Layout,
 * integers in the writer's byte order (another order reads as another version):
 *
 *   header   magic, format version, byte-order mark, snapshot time, directory count, payload
 *            length, payload hash
 *   payload  per directory, in the order the writing run walked them: path length and path, stat
 *            fields, entry count, then per entry its type, name length and name
 *
 * A run that walks the same tree asks for the directories in the same order, so the k-th listing
 * asked for is found at the k-th record without hashing its path; a path index is made only when
 * that fails (the tree changed).
 *
 * Invariants: a file that fails any check is ignored as a whole and nothing outside it is read;
 * saving is best effort (the parse cache beside it reports an unwritable directory).
 */
#include "impviz.h"

#include <stdlib.h>
#include <string.h>

/* Bump when the layout changes. */
#define LISTING_FORMAT 2
#define LISTING_FILE "dirs.cache"
#define LISTING_MAGIC "IMPVIZL\n"
#define BYTE_ORDER_MARK 0x01020304u
/* Time stamps closer than this to the writing run's start may hide a later change. */
#define RACY_NS (G_GINT64_CONSTANT(2) * 1000000000)

typedef struct {
    char magic[8];
    guint32 format, byte_order;
    gint64 snapshot_ns;
    guint64 n_dirs, payload_len, payload_hash;
} header;

/* One directory's record as it lies in the file. */
typedef struct {
    const guchar *at; /* its first byte */
    gsize len;
    const char *path; /* in loaded */
    impviz_stat st;
    guint32 n_entries;
    const guchar *entries; /* the first entry */
} record;

/* A record of the next save: an old one's bytes (borrowed) or new ones (owned). */
typedef struct {
    const guchar *at;
    gsize len;
    GBytes *owned; /* or NULL */
} piece;

struct impviz_listings {
    char *dir;
    GMappedFile *map;   /* the file, or NULL */
    const char *loaded; /* its bytes, or NULL when it did not load */
    gint64 snapshot_ns; /* when the run that wrote it started */
    GArray *old;        /* record, in the file's order */
    GMutex index_lock;  /* index's making */
    GHashTable *index;  /* path (borrowed from loaded) -> its place in old + 1, or NULL */
    GArray *next;       /* piece: this run's records in the order kept or put, for the save */
    gint64 started_ns;  /* this run's start: the next save's snapshot */
    bool changed;       /* a listing was taken anew, or kept out of its old place */
};

/* Reads len bytes at *p into out when they lie before end. */
static bool take(const guchar **p, const guchar *end, void *out, gsize len)
{
    if ((gsize)(end - *p) < len)
        return false;
    memcpy(out, *p, len);
    *p += len;
    return true;
}

/* Splits the payload into records; false when any is malformed. */
static bool index_payload(impviz_listings *l, const guchar *p, const guchar *end, guint64 n)
{
    g_array_set_size(l->old, (guint)n);
    for (guint64 i = 0; i < n; i++) {
        record *r = &g_array_index(l->old, record, i);
        r->at = p;
        guint32 path_len;
        r->path = (const char *)p + sizeof path_len;
        bool ok = take(&p, end, &path_len, sizeof path_len) && path_len > 0 &&
                  (gsize)(end - p) > path_len && p[path_len] == '\0' &&
                  memchr(p, '\0', path_len) == NULL;
        if (ok) {
            p += path_len + 1;
            ok = take(&p, end, &r->st.size, sizeof r->st.size) &&
                 take(&p, end, &r->st.mtime_ns, sizeof r->st.mtime_ns) &&
                 take(&p, end, &r->st.ctime_ns, sizeof r->st.ctime_ns) &&
                 take(&p, end, &r->st.ino, sizeof r->st.ino) &&
                 take(&p, end, &r->st.dev, sizeof r->st.dev) &&
                 take(&p, end, &r->n_entries, sizeof r->n_entries);
        }
        r->entries = p;
        for (guint32 k = 0; ok && k < r->n_entries; k++) {
            guint8 type;
            guint32 name_len;
            ok = take(&p, end, &type, 1) && take(&p, end, &name_len, sizeof name_len) &&
                 name_len > 0 && (gsize)(end - p) > name_len && p[name_len] == '\0' &&
                 memchr(p, '\0', name_len) == NULL;
            p += ok ? name_len + 1 : 0;
        }
        if (!ok)
            return false;
        r->len = (gsize)(p - r->at);
    }
    return p == end;
}

static void load(impviz_listings *l, const char *data, gsize len)
{
    header h;
    if (len < sizeof h)
        return;
    memcpy(&h, data, sizeof h);
    const guchar *payload = (const guchar *)data + sizeof h;
    if (memcmp(h.magic, LISTING_MAGIC, 8) != 0 || h.format != LISTING_FORMAT ||
        h.byte_order != BYTE_ORDER_MARK || h.payload_len != len - sizeof h ||
        h.payload_hash != impviz_hash_bytes(payload, h.payload_len) ||
        h.n_dirs > h.payload_len) /* every record takes bytes: a bound before any allocation */
        return;
    l->loaded = data;
    l->snapshot_ns = h.snapshot_ns;
    if (!index_payload(l, payload, payload + h.payload_len, h.n_dirs)) {
        g_array_set_size(l->old, 0);
        l->loaded = NULL;
    }
}

impviz_listings *impviz_listings_open(const char *dir)
{
    impviz_listings *l = g_new0(impviz_listings, 1);
    l->dir = g_strdup(dir);
    l->started_ns = g_get_real_time() * 1000;
    l->old = g_array_new(FALSE, FALSE, sizeof(record));
    g_mutex_init(&l->index_lock);
    l->next = g_array_new(FALSE, FALSE, sizeof(piece));
    char *path = g_build_filename(dir, LISTING_FILE, NULL);
    /* mapped, not read: its pages come from the page cache, several per fault, and no copy */
    l->map = g_mapped_file_new(path, FALSE, NULL);
    if (l->map) {
        load(l, g_mapped_file_get_contents(l->map), g_mapped_file_get_length(l->map));
        if (!l->loaded)
            g_clear_pointer(&l->map, g_mapped_file_unref);
    }
    g_free(path);
    return l;
}

void impviz_listings_free(impviz_listings *l)
{
    if (!l)
        return;
    g_array_unref(l->old);
    if (l->index)
        g_hash_table_unref(l->index);
    g_mutex_clear(&l->index_lock);
    for (guint i = 0; i < l->next->len; i++)
        if (g_array_index(l->next, piece, i).owned)
            g_bytes_unref(g_array_index(l->next, piece, i).owned);
    g_array_unref(l->next);
    if (l->map)
        g_mapped_file_unref(l->map);
    g_free(l->dir);
    g_free(l);
}

static bool same_stat(const impviz_stat *a, const impviz_stat *b)
{
    return a->size == b->size && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
           a->ino == b->ino && a->dev == b->dev;
}

guint impviz_listings_count(const impviz_listings *l)
{
    return l->old->len;
}

const char *impviz_listings_path(const impviz_listings *l, guint i)
{
    return g_array_index(l->old, record, i).path;
}

gint impviz_listings_index(impviz_listings *l, guint seq, const char *path)
{
    if (seq < l->old->len && strcmp(g_array_index(l->old, record, seq).path, path) == 0)
        return (gint)seq;
    if (!l->old->len)
        return -1;
    /* the tree changed: an index of every record, made on first use */
    g_mutex_lock(&l->index_lock);
    if (!l->index) {
        l->index = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < l->old->len; i++) { /* the first of a path wins */
            record *r = &g_array_index(l->old, record, i);
            if (!g_hash_table_contains(l->index, r->path))
                g_hash_table_insert(l->index, (gpointer)r->path, GUINT_TO_POINTER(i + 1));
        }
    }
    g_mutex_unlock(&l->index_lock);
    return (gint)GPOINTER_TO_UINT(g_hash_table_lookup(l->index, path)) - 1;
}

GArray *impviz_listings_find(impviz_listings *l, guint seq, const char *path, const impviz_stat *st,
                             gconstpointer *found)
{
    gint i = impviz_listings_index(l, seq, path);
    const record *r = i >= 0 ? &g_array_index(l->old, record, i) : NULL;
    if (!r || !same_stat(&r->st, st) || r->st.mtime_ns > l->snapshot_ns - RACY_NS)
        return NULL;
    GArray *entries = g_array_sized_new(FALSE, FALSE, sizeof(impviz_dir_entry), r->n_entries);
    g_array_set_size(entries, r->n_entries);
    const guchar *p = r->entries;
    for (guint32 k = 0; k < r->n_entries; k++) { /* index_payload checked every bound */
        guint32 name_len;
        memcpy(&name_len, p + 1, sizeof name_len);
        impviz_dir_entry *e = &g_array_index(entries, impviz_dir_entry, k);
        e->name = (char *)p + 1 + sizeof name_len; /* NUL-terminated there */
        e->type = p[0];
        p += 1 + sizeof name_len + name_len + 1;
    }
    if (found)
        *found = r;
    return entries;
}

void impviz_listings_keep(impviz_listings *l, gconstpointer found)
{
    const record *r = found;
    /* in its old place, after every record before it: the file need not change for it */
    guint at = l->next->len;
    if (at >= l->old->len || r != &g_array_index(l->old, record, at))
        l->changed = true;
    piece kept = {r->at, r->len, NULL};
    g_array_append_val(l->next, kept);
}

void impviz_listings_put(impviz_listings *l, const char *path, const impviz_stat *st,
                         const GArray *entries)
{
    GByteArray *b = g_byte_array_new();
    guint32 path_len = (guint32)strlen(path), n = entries->len;
    g_byte_array_append(b, (const guint8 *)&path_len, sizeof path_len);
    g_byte_array_append(b, (const guint8 *)path, path_len + 1);
    g_byte_array_append(b, (const guint8 *)&st->size, sizeof st->size);
    g_byte_array_append(b, (const guint8 *)&st->mtime_ns, sizeof st->mtime_ns);
    g_byte_array_append(b, (const guint8 *)&st->ctime_ns, sizeof st->ctime_ns);
    g_byte_array_append(b, (const guint8 *)&st->ino, sizeof st->ino);
    g_byte_array_append(b, (const guint8 *)&st->dev, sizeof st->dev);
    g_byte_array_append(b, (const guint8 *)&n, sizeof n);
    for (guint k = 0; k < entries->len; k++) {
        const impviz_dir_entry *e = &g_array_index(entries, impviz_dir_entry, k);
        guint8 type = e->type;
        guint32 name_len = (guint32)strlen(e->name);
        g_byte_array_append(b, &type, 1);
        g_byte_array_append(b, (const guint8 *)&name_len, sizeof name_len);
        g_byte_array_append(b, (const guint8 *)e->name, name_len + 1);
    }
    piece put = {NULL, 0, g_byte_array_free_to_bytes(b)};
    put.at = g_bytes_get_data(put.owned, &put.len);
    g_array_append_val(l->next, put);
    l->changed = true;
}

void impviz_listings_save(impviz_listings *l)
{
    guint n = l->next->len;
    if (!l->changed && n == l->old->len)
        return; /* every listing reused in its place: the file on disk says it all */
    GByteArray *buf = g_byte_array_new();
    header h = {.format = LISTING_FORMAT,
                .byte_order = BYTE_ORDER_MARK,
                .snapshot_ns = l->started_ns,
                .n_dirs = n};
    memcpy(h.magic, LISTING_MAGIC, 8);
    g_byte_array_append(buf, (const guint8 *)&h, sizeof h);
    for (guint i = 0; i < n; i++) {
        const piece *p = &g_array_index(l->next, piece, i);
        g_byte_array_append(buf, p->at, (guint)p->len);
    }
    h.payload_len = buf->len - sizeof h;
    h.payload_hash = impviz_hash_bytes(buf->data + sizeof h, h.payload_len);
    memcpy(buf->data, &h, sizeof h);
    /* temporary file + rename: a reader never sees half a file; of two runs the last wins */
    char *final = g_build_filename(l->dir, LISTING_FILE, NULL);
    if (g_mkdir_with_parents(l->dir, 0755) == 0)
        g_file_set_contents(final, (const char *)buf->data, buf->len, NULL);
    g_free(final);
    g_byte_array_unref(buf);
}
