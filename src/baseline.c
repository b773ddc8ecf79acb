/* SPDX-License-Identifier: MIT */
/*
 * baseline.c - today's import-time cycles, recorded so that CI fails only on new ones.
 *
 * A baseline is the list of import-time components, each with its members and the eager edges
 * inside it, named by module (never by path), so the same code gives the same file on every
 * machine. It is written as small, sorted JSON meant to be committed, and read back defensively:
 * the reader trusts nothing in the file (it is fuzzed), checks every field and says where the
 * first problem is. Comparing a baseline with an analysis yields the components that are new
 * (no member was on a recorded cycle) or grew (a new member, or a new edge inside).
 *
 * Invariants: components are sorted by first member, members by name, edges by (source, target);
 * a module belongs to at most one component; every edge joins two members of its component.
 */
#include "impviz.h"

#include <jansson.h>
#include <string.h>

#define BASELINE_VERSION 1
#define MAX_NAME 4096
/* The largest baseline read: more than impviz writes within its default --max-modules (a million
 * modules on one cycle, about 100 bytes each with their edges), and still a bound on memory. */
#define MAX_FILE ((gsize)256 * 1024 * 1024)

typedef struct {
    GPtrArray *members; /* char *, sorted */
    GPtrArray *edges;   /* char *[2] pairs flattened: edges->pdata[2k], [2k+1]; sorted */
} component;

struct impviz_baseline {
    GPtrArray *components; /* component *, sorted by first member */
    GHashTable *member_of; /* name -> component index + 1 (borrowed keys) */
    GHashTable *edge_set;  /* "source\ntarget" -> NULL (owned keys) */
};

static void component_free(gpointer p)
{
    component *c = p;
    g_ptr_array_unref(c->members);
    g_ptr_array_unref(c->edges);
    g_free(c);
}

static component *component_new(void)
{
    component *c = g_new0(component, 1);
    c->members = g_ptr_array_new_with_free_func(g_free);
    c->edges = g_ptr_array_new_with_free_func(g_free);
    return c;
}

static impviz_baseline *baseline_alloc(void)
{
    impviz_baseline *b = g_new0(impviz_baseline, 1);
    b->components = g_ptr_array_new_with_free_func(component_free);
    b->member_of = g_hash_table_new(g_str_hash, g_str_equal);
    b->edge_set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return b;
}

void impviz_baseline_free(impviz_baseline *b)
{
    if (!b)
        return;
    g_hash_table_unref(b->member_of);
    g_hash_table_unref(b->edge_set);
    g_ptr_array_unref(b->components);
    g_free(b);
}

/* Module names never hold a newline, so "source\ntarget" is unambiguous. */
static char *edge_key(const char *source, const char *target)
{
    return g_strconcat(source, "\n", target, NULL);
}

static gint str_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static gint component_cmp(gconstpointer a, gconstpointer b)
{
    const component *x = *(component *const *)a, *y = *(component *const *)b;
    return strcmp(g_ptr_array_index(x->members, 0), g_ptr_array_index(y->members, 0));
}

typedef struct {
    const char *source, *target;
} pair;

static gint pair_cmp(gconstpointer a, gconstpointer b)
{
    const pair *x = a, *y = b;
    int c = strcmp(x->source, y->source);
    return c ? c : strcmp(x->target, y->target);
}

/* Sorts members, edges and components, and fills the lookup tables. */
static void baseline_index(impviz_baseline *b)
{
    for (guint i = 0; i < b->components->len; i++) {
        component *c = g_ptr_array_index(b->components, i);
        g_ptr_array_sort(c->members, str_cmp);
        guint n = c->edges->len / 2;
        pair *pairs = g_new(pair, n + 1);
        for (guint k = 0; k < n; k++)
            pairs[k] = (pair){c->edges->pdata[2 * k], c->edges->pdata[2 * k + 1]};
        qsort(pairs, n, sizeof(pair), pair_cmp);
        for (guint k = 0; k < n; k++) {
            c->edges->pdata[2 * k] = (gpointer)pairs[k].source;
            c->edges->pdata[2 * k + 1] = (gpointer)pairs[k].target;
        }
        g_free(pairs);
    }
    g_ptr_array_sort(b->components, component_cmp);
    for (guint i = 0; i < b->components->len; i++) {
        component *c = g_ptr_array_index(b->components, i);
        for (guint j = 0; j < c->members->len; j++)
            g_hash_table_insert(b->member_of, g_ptr_array_index(c->members, j),
                                GUINT_TO_POINTER(i + 1));
        for (guint k = 0; k + 1 < c->edges->len; k += 2)
            g_hash_table_add(b->edge_set, edge_key(c->edges->pdata[k], c->edges->pdata[k + 1]));
    }
}

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

static bool is_cycle_edge(const impviz_graph *g, const impviz_edge *e)
{
    gint c = g->import_time.component_of[e->source];
    return (e->kinds & (1u << IMPVIZ_EAGER)) && c >= 0 &&
           c == g->import_time.component_of[e->target];
}

impviz_baseline *impviz_baseline_new(const impviz_analysis *a)
{
    impviz_baseline *b = baseline_alloc();
    const impviz_graph *g = a->graph;
    for (guint i = 0; i < g->import_time.components->len; i++) {
        const GArray *members = g_ptr_array_index(g->import_time.components, i);
        component *c = component_new();
        for (guint j = 0; j < members->len; j++)
            g_ptr_array_add(c->members,
                            g_strdup(module_at(a, g_array_index(members, guint, j))->name));
        g_ptr_array_add(b->components, c);
    }
    for (guint k = 0; k < g->edges->len; k++) {
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, k);
        if (!is_cycle_edge(g, e))
            continue;
        component *c = g_ptr_array_index(b->components, g->import_time.component_of[e->source]);
        g_ptr_array_add(c->edges, g_strdup(module_at(a, e->source)->name));
        g_ptr_array_add(c->edges, g_strdup(module_at(a, e->target)->name));
    }
    baseline_index(b);
    return b;
}

guint impviz_baseline_count(const impviz_baseline *b)
{
    return b->components->len;
}

/* ---- writing ----------------------------------------------------------------------------- */

static void append_json_string(GString *out, const char *s)
{
    json_t *j = json_string(s);
    char *text = json_dumps(j, JSON_ENCODE_ANY);
    g_string_append(out, text);
    free(text);
    json_decref(j);
}

GString *impviz_baseline_dump(const impviz_baseline *b)
{
    /* laid out by hand: one member and one edge per line, so a committed file diffs well */
    GString *out = g_string_new("{\n  \"impviz_baseline\": 1,\n  \"components\": [");
    for (guint i = 0; i < b->components->len; i++) {
        const component *c = g_ptr_array_index(b->components, i);
        g_string_append(out,
                        i ? ",\n    {\n      \"members\": [" : "\n    {\n      \"members\": [");
        for (guint j = 0; j < c->members->len; j++) {
            g_string_append(out, j ? ",\n        " : "\n        ");
            append_json_string(out, g_ptr_array_index(c->members, j));
        }
        g_string_append(out, "\n      ],\n      \"edges\": [");
        for (guint k = 0; k + 1 < c->edges->len; k += 2) {
            g_string_append(out, k ? ",\n        [" : "\n        [");
            append_json_string(out, c->edges->pdata[k]);
            g_string_append(out, ", ");
            append_json_string(out, c->edges->pdata[k + 1]);
            g_string_append_c(out, ']');
        }
        g_string_append(out, c->edges->len ? "\n      ]\n    }" : "]\n    }");
    }
    g_string_append(out, b->components->len ? "\n  ]\n}\n" : "]\n}\n");
    return out;
}

/* ---- reading ----------------------------------------------------------------------------- */

/* A dotted module name: non-empty parts, no whitespace or control characters. */
static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len > MAX_NAME || strlen(s) != len || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= ' ' || ch == 0x7f || (ch == '.' && s[i + 1] == '.'))
            return false;
    }
    return true;
}

typedef struct {
    const char *name;
    impviz_diags *diags;
    bool failed;
} reader;

/* Records the first problem found: where (a JSON path) and what is wrong. */
static bool fail(reader *r, const char *where, const char *what)
{
    if (!r->failed)
        impviz_diags_add(r->diags, IMPVIZ_ERROR, NULL, 0, "invalid baseline '%s': %s: %s", r->name,
                         where, what);
    r->failed = true;
    return false;
}

/* Checks that obj has exactly the keys in allowed (NULL-terminated). */
static bool only_keys(reader *r, json_t *obj, const char *const *allowed, const char *where)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        bool known = false;
        for (const char *const *k = allowed; *k && !known; k++)
            known = strcmp(key, *k) == 0;
        if (!known) {
            char *what = g_strdup_printf("unknown key '%.64s'", key);
            bool ok = fail(r, where, what);
            g_free(what);
            return ok;
        }
    }
    return true;
}

static bool read_name(reader *r, json_t *j, const char *where, const char **out)
{
    if (!json_is_string(j) || !valid_name(json_string_value(j), json_string_length(j)))
        return fail(r, where, "expected a dotted module name");
    *out = json_string_value(j);
    return true;
}

static bool read_component(reader *r, json_t *j, guint index, GHashTable *seen, impviz_baseline *b)
{
    static const char *const keys[] = {"members", "edges", NULL};
    char *where = g_strdup_printf("components[%u]", index);
    bool ok = false;
    component *c = component_new();
    GHashTable *mine = g_hash_table_new(g_str_hash, g_str_equal);
    if (!json_is_object(j)) {
        fail(r, where, "expected an object");
        goto cleanup;
    }
    if (!only_keys(r, j, keys, where))
        goto cleanup;
    json_t *members = json_object_get(j, "members"), *edges = json_object_get(j, "edges");
    if (!json_is_array(members) || json_array_size(members) < 2) {
        char *at = g_strconcat(where, ".members", NULL);
        fail(r, at, "expected an array of two or more module names");
        g_free(at);
        goto cleanup;
    }
    if (!json_is_array(edges)) {
        char *at = g_strconcat(where, ".edges", NULL);
        fail(r, at, "expected an array");
        g_free(at);
        goto cleanup;
    }
    size_t i;
    json_t *item;
    json_array_foreach(members, i, item)
    {
        char *at = g_strdup_printf("%s.members[%zu]", where, i);
        const char *name = NULL;
        bool good = read_name(r, item, at, &name);
        if (good && !g_hash_table_add(seen, (gpointer)name))
            good = fail(r, at, "module listed twice (a module is on one component at most)");
        g_free(at);
        if (!good)
            goto cleanup;
        g_hash_table_add(mine, (gpointer)name);
        g_ptr_array_add(c->members, g_strdup(name));
    }
    json_array_foreach(edges, i, item)
    {
        char *at = g_strdup_printf("%s.edges[%zu]", where, i);
        const char *s = NULL, *t = NULL;
        bool good = json_is_array(item) && json_array_size(item) == 2;
        if (!good)
            fail(r, at, "expected [source, target]");
        good = good && read_name(r, json_array_get(item, 0), at, &s) &&
               read_name(r, json_array_get(item, 1), at, &t);
        if (good && (!g_hash_table_contains(mine, s) || !g_hash_table_contains(mine, t) ||
                     strcmp(s, t) == 0))
            good = fail(r, at, "an edge must join two different members of its component");
        g_free(at);
        if (!good)
            goto cleanup;
        g_ptr_array_add(c->edges, g_strdup(s));
        g_ptr_array_add(c->edges, g_strdup(t));
    }
    g_ptr_array_add(b->components, c);
    c = NULL;
    ok = true;
cleanup:
    if (c)
        component_free(c);
    g_hash_table_unref(mine);
    g_free(where);
    return ok;
}

impviz_status impviz_baseline_parse(const char *data, size_t len, const char *name,
                                    impviz_diags *diags, impviz_baseline **out)
{
    static const char *const keys[] = {"impviz_baseline", "components", NULL};
    reader r = {.name = name, .diags = diags};
    impviz_baseline *b = baseline_alloc();
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal); /* borrowed from root */
    json_error_t err;
    *out = NULL;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0,
                         "invalid baseline '%s': line %d: not JSON: %s", name, err.line, err.text);
        r.failed = true;
        goto cleanup;
    }
    if (!json_is_object(root)) {
        fail(&r, "top level", "expected a JSON object");
        goto cleanup;
    }
    if (!only_keys(&r, root, keys, "top level"))
        goto cleanup;
    json_t *version = json_object_get(root, "impviz_baseline");
    if (!json_is_integer(version)) {
        fail(&r, "impviz_baseline", "expected the format version, 1 (is this an impviz baseline?)");
        goto cleanup;
    }
    if (json_integer_value(version) != BASELINE_VERSION) {
        char *what = g_strdup_printf("unsupported format version %" JSON_INTEGER_FORMAT
                                     " (this impviz reads version %d)",
                                     json_integer_value(version), BASELINE_VERSION);
        fail(&r, "impviz_baseline", what);
        g_free(what);
        goto cleanup;
    }
    json_t *components = json_object_get(root, "components");
    if (!json_is_array(components)) {
        fail(&r, "components", "expected an array");
        goto cleanup;
    }
    size_t i;
    json_t *item;
    json_array_foreach(components, i, item)
    {
        if (i >= G_MAXUINT || !read_component(&r, item, (guint)i, seen, b))
            goto cleanup;
    }
    baseline_index(b);
cleanup:
    g_hash_table_unref(seen);
    if (root)
        json_decref(root);
    if (r.failed) {
        impviz_baseline_free(b);
        return IMPVIZ_EINPUT;
    }
    *out = b;
    return IMPVIZ_OK;
}

impviz_status impviz_baseline_load(const char *path, impviz_diags *diags, impviz_baseline **out)
{
    char *data = NULL, *why = NULL;
    gsize len = 0;
    *out = NULL;
    if (impviz_small_file_read(path, MAX_FILE, &data, &len, &why) != IMPVIZ_OK) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot read baseline '%s': %s", path, why);
        g_free(why);
        return IMPVIZ_EINPUT;
    }
    impviz_status status = impviz_baseline_parse(data, len, path, diags, out);
    g_free(data);
    return status;
}

/* ---- comparing ----------------------------------------------------------------------------- */

void impviz_cycle_change_free(impviz_cycle_change *change)
{
    if (!change)
        return;
    g_array_unref(change->new_members);
    g_array_unref(change->new_edges);
    g_free(change);
}

GPtrArray *impviz_baseline_compare(const impviz_baseline *b, const impviz_analysis *a)
{
    const impviz_graph *g = a->graph;
    GPtrArray *changes = g_ptr_array_new_with_free_func((GDestroyNotify)impviz_cycle_change_free);
    guint n = g->import_time.components->len;
    impviz_cycle_change **by_component = g_new0(impviz_cycle_change *, n + 1);
    for (guint i = 0; i < n; i++) {
        const GArray *members = g_ptr_array_index(g->import_time.components, i);
        impviz_cycle_change *ch = g_new0(impviz_cycle_change, 1);
        ch->component = i;
        ch->new_members = g_array_new(FALSE, FALSE, sizeof(guint));
        ch->new_edges = g_array_new(FALSE, FALSE, sizeof(guint));
        for (guint j = 0; j < members->len; j++) {
            guint m = g_array_index(members, guint, j);
            if (!g_hash_table_contains(b->member_of, module_at(a, m)->name))
                g_array_append_val(ch->new_members, m);
        }
        ch->is_new = ch->new_members->len == members->len;
        by_component[i] = ch;
    }
    for (guint k = 0; k < g->edges->len; k++) {
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, k);
        if (!is_cycle_edge(g, e))
            continue;
        char *key = edge_key(module_at(a, e->source)->name, module_at(a, e->target)->name);
        if (!g_hash_table_contains(b->edge_set, key))
            g_array_append_val(by_component[g->import_time.component_of[e->source]]->new_edges, k);
        g_free(key);
    }
    for (guint i = 0; i < n; i++) {
        impviz_cycle_change *ch = by_component[i];
        if (ch->new_members->len || ch->new_edges->len)
            g_ptr_array_add(changes, ch);
        else
            impviz_cycle_change_free(ch);
    }
    g_free(by_component);
    return changes;
}
