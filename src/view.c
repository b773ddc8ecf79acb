/* SPDX-License-Identifier: MIT */
/*
 * view.c - the graph a picture shows: which nodes, which edges, which marks.
 *
 * Reads an analysis and view options and decides what to draw, so every drawing format (DOT,
 * SVG, HTML, Mermaid ...) shows the same thing. Filters run in a fixed order: module-name globs,
 * --cycles-only, --focus neighbourhood, then --depth collapses what is left into package nodes
 * and externals are added. Edges are aggregated per pair of nodes, keeping the import records
 * behind them; cycle marks come from the module graph's components, so a collapsed package that
 * holds a cycle stays marked. Invariants: nodes sorted (project nodes by name, then externals by
 * name), edges sorted by (source, target), no self-loops; nothing depends on hash order.
 */
#include "impviz.h"

#include <string.h>

bool impviz_externals_parse(const char *name, impviz_externals *out)
{
    static const char *const names[] = {"none", "top", "all"};
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (impviz_externals)i;
            return true;
        }
    }
    return false;
}

const char *impviz_node_type_str(impviz_node_type type)
{
    switch (type) {
    case IMPVIZ_NODE_MODULE:
        return "module";
    case IMPVIZ_NODE_COLLAPSED:
        return "package";
    case IMPVIZ_NODE_STDLIB:
        return "stdlib";
    case IMPVIZ_NODE_THIRD_PARTY:
        return "third_party";
    }
    return "?";
}

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

static bool is_external(impviz_node_type t)
{
    return t == IMPVIZ_NODE_STDLIB || t == IMPVIZ_NODE_THIRD_PARTY;
}

/* ---- name globs ------------------------------------------------------------------------- */

static GPtrArray *globs_new(const char *const *globs)
{
    GPtrArray *specs = g_ptr_array_new_with_free_func((GDestroyNotify)g_pattern_spec_free);
    for (; globs && *globs; globs++)
        g_ptr_array_add(specs, g_pattern_spec_new(*globs));
    return specs;
}

/* True when a glob matches the dotted name or one of its packages ("pkg" matches "pkg.a.b"),
 * so a glob naming a package selects everything in it. */
static bool globs_match(const GPtrArray *specs, const char *name)
{
    if (!specs->len)
        return false;
    char *prefix = g_strdup(name);
    bool hit = false;
    for (const char *p = name;; p++) {
        if (*p == '.' || *p == '\0') {
            prefix[p - name] = '\0';
            for (guint i = 0; i < specs->len && !hit; i++)
                hit = g_pattern_spec_match_string(g_ptr_array_index(specs, i), prefix);
            prefix[p - name] = *p;
        }
        if (hit || *p == '\0')
            break;
    }
    g_free(prefix);
    return hit;
}

/* ---- focus ---------------------------------------------------------------------------------- */

/* Marks in `near` the shown modules within `steps` edges of a marked start, following edges
 * forwards (imports) or backwards (importers) through shown modules only. */
static void reach(const impviz_graph *g, const bool *shown, const bool *start, guint steps,
                  bool forwards, bool *near)
{
    guint n = g->n_modules;
    guint *off = g_new0(guint, n + 1), *adj = g_new(guint, g->edges->len + 1);
    guint *fill = g_new0(guint, n);
    for (guint k = 0; k < g->edges->len; k++) {
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, k);
        off[(forwards ? e->source : e->target) + 1]++;
    }
    for (guint v = 0; v < n; v++)
        off[v + 1] += off[v];
    for (guint k = 0; k < g->edges->len; k++) {
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, k);
        guint from = forwards ? e->source : e->target, to = forwards ? e->target : e->source;
        adj[off[from] + fill[from]++] = to;
    }
    guint *dist = g_new(guint, n);
    GArray *queue = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint v = 0; v < n; v++) {
        dist[v] = G_MAXUINT;
        if (start[v]) {
            dist[v] = 0;
            g_array_append_val(queue, v);
        }
    }
    for (guint head = 0; head < queue->len; head++) {
        guint v = g_array_index(queue, guint, head);
        near[v] = true;
        if (dist[v] == steps)
            continue;
        for (guint k = off[v]; k < off[v + 1]; k++) {
            guint w = adj[k];
            if (!shown[w] || dist[w] != G_MAXUINT)
                continue;
            dist[w] = dist[v] + 1;
            g_array_append_val(queue, w);
        }
    }
    g_array_unref(queue);
    g_free(dist);
    g_free(off);
    g_free(adj);
    g_free(fill);
}

static bool apply_focus(const impviz_analysis *a, const impviz_view_opts *opts, bool *shown,
                        impviz_diags *diags)
{
    guint n = a->project->modules->len;
    bool *start = g_new0(bool, n), *near = g_new0(bool, n);
    bool ok = true;
    for (const char *const *f = opts->focus; *f; f++) {
        gint i = impviz_project_index(a->project, *f);
        if (i < 0) {
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "no module named '%s' to focus on", *f);
            ok = false;
            continue;
        }
        start[i] = true;
        shown[i] = true; /* a focus module is drawn even when a filter would hide it */
    }
    if (ok) {
        reach(a->graph, shown, start, opts->down, true, near);
        reach(a->graph, shown, start, opts->up, false, near);
        for (guint v = 0; v < n; v++)
            shown[v] = shown[v] && near[v];
    }
    g_free(start);
    g_free(near);
    return ok;
}

/* ---- nodes and edges ------------------------------------------------------------------------ */

static void node_free(gpointer p)
{
    impviz_view_node *node = p;
    g_free(node->name);
    g_free(node->label);
    g_free(node->package);
    if (node->modules)
        g_array_unref(node->modules);
    g_free(node);
}

static void edge_clear(gpointer p)
{
    impviz_view_edge *e = p;
    g_array_unref(e->refs);
}

/* The first `depth` dotted parts of name (a new string), or NULL when name is not deeper. */
static char *collapse_key(const char *name, guint depth)
{
    if (!depth)
        return NULL;
    const char *p = name;
    for (guint parts = 0; *p; p++) {
        if (*p == '.' && ++parts == depth)
            return g_strndup(name, p - name);
    }
    return NULL;
}

static char *parent_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? g_strndup(name, dot - name) : g_strdup("");
}

static const char *last_part(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? dot + 1 : name;
}

typedef struct {
    const impviz_analysis *a;
    const impviz_view_opts *opts;
    impviz_view *view;
    GHashTable *by_key; /* "type:name" -> node index + 1 */
    GArray *adds;       /* edge_add's records, made into edges by build_edges */
} builder;

/* An import behind an edge between two nodes, before the edges are built. */
typedef struct {
    guint source, target, ref;
    bool cycle, runtime_cycle;
} edge_part;

static guint node_get(builder *b, impviz_node_type type, const char *name)
{
    char *key = g_strconcat(is_external(type) ? "1:" : "0:", name, NULL);
    gpointer found = g_hash_table_lookup(b->by_key, key);
    if (found) {
        g_free(key);
        return GPOINTER_TO_UINT(found) - 1;
    }
    impviz_view_node *node = g_new0(impviz_view_node, 1);
    node->name = g_strdup(name);
    node->type = type;
    node->modules = g_array_new(FALSE, FALSE, sizeof(guint));
    node->component = node->runtime_component = -1;
    g_ptr_array_add(b->view->nodes, node);
    g_hash_table_insert(b->by_key, key, GUINT_TO_POINTER(b->view->nodes->len));
    return b->view->nodes->len - 1;
}

static void edge_add(builder *b, guint source, guint target, guint ref, bool cycle,
                     bool runtime_cycle)
{
    if (source == target)
        return; /* imports inside a collapsed package */
    if (b->opts->reverse) {
        guint t = source;
        source = target;
        target = t;
    }
    edge_part part = {source, target, ref, cycle, runtime_cycle};
    g_array_append_val(b->adds, part);
}

static gint part_cmp(gconstpointer x, gconstpointer y)
{
    const edge_part *p = x, *q = y;
    if (p->source != q->source)
        return p->source < q->source ? -1 : 1;
    if (p->target != q->target)
        return p->target < q->target ? -1 : 1;
    return p->ref < q->ref ? -1 : p->ref > q->ref;
}

/* One edge per (source, target) of the parts added, its refs in order: sorting the parts once
 * groups them, where a lookup per part and a growing array per edge cost far more. */
bool impviz_view_same_statement(const impviz_analysis *a, const GArray *refs, guint i, guint ref)
{
    if (i == 0)
        return false;
    const impviz_ref *prev = &g_array_index(a->refs, impviz_ref, g_array_index(refs, guint, i - 1));
    const impviz_ref *r = &g_array_index(a->refs, impviz_ref, ref);
    return prev->source == r->source && prev->import->line == r->import->line &&
           strcmp(prev->import->statement, r->import->statement) == 0;
}

static void build_edges(builder *b)
{
    GArray *adds = b->adds;
    g_array_sort(adds, part_cmp);
    for (guint i = 0, j; i < adds->len; i = j) {
        const edge_part *first = &g_array_index(adds, edge_part, i);
        for (j = i + 1; j < adds->len; j++) {
            const edge_part *p = &g_array_index(adds, edge_part, j);
            if (p->source != first->source || p->target != first->target)
                break;
        }
        impviz_view_edge e = {.source = first->source,
                              .target = first->target,
                              .kind = IMPVIZ_TYPING,
                              .refs = g_array_sized_new(FALSE, FALSE, sizeof(guint), j - i)};
        for (guint k = i; k < j; k++) {
            const edge_part *p = &g_array_index(adds, edge_part, k);
            impviz_kind kind = g_array_index(b->a->refs, impviz_ref, p->ref).import->kind;
            if (impviz_kind_stronger(kind, e.kind))
                e.kind = kind;
            e.kinds |= 1u << kind;
            e.count++;
            if (!impviz_view_same_statement(b->a, e.refs, e.refs->len, p->ref))
                e.statements++;
            g_array_append_val(e.refs, p->ref);
            e.cycle = e.cycle || p->cycle;
            e.runtime_cycle = e.runtime_cycle || p->runtime_cycle;
        }
        g_array_append_val(b->view->edges, e);
    }
}

/* Project nodes: one per shown module, or one per package for modules deeper than --depth. A
 * package at exactly --depth joins its collapsed node; a module with nothing below it stays a
 * module. Returns the node index of each module (G_MAXUINT when not shown); caller frees. */
static guint *add_project_nodes(builder *b, const bool *shown)
{
    const impviz_analysis *a = b->a;
    const impviz_graph *g = a->graph;
    guint n = a->project->modules->len;
    GHashTable *collapsed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < n; i++) {
        char *key = shown[i] ? collapse_key(module_at(a, i)->name, b->opts->depth) : NULL;
        if (key)
            g_hash_table_add(collapsed, key);
    }
    guint *node_of = g_new(guint, n);
    for (guint i = 0; i < n; i++) {
        node_of[i] = G_MAXUINT;
        if (!shown[i])
            continue;
        const impviz_module *m = module_at(a, i);
        char *key = collapse_key(m->name, b->opts->depth);
        if (!key && g_hash_table_contains(collapsed, m->name))
            key = g_strdup(m->name);
        guint k =
            node_get(b, key ? IMPVIZ_NODE_COLLAPSED : IMPVIZ_NODE_MODULE, key ? key : m->name);
        g_free(key);
        impviz_view_node *node = g_ptr_array_index(b->view->nodes, k);
        g_array_append_val(node->modules, i);
        gint it = g->import_time.component_of[i], rt = g->runtime.component_of[i];
        if (it >= 0 && (node->component < 0 || it < node->component))
            node->component = it;
        if (rt >= 0 && (node->runtime_component < 0 || rt < node->runtime_component))
            node->runtime_component = rt;
        node_of[i] = k;
    }
    g_hash_table_unref(collapsed);
    return node_of;
}

/* Edges between project nodes, from the module graph's edges between shown modules. */
static void add_project_edges(builder *b, const guint *node_of)
{
    const impviz_graph *g = b->a->graph;
    for (guint k = 0; k < g->edges->len; k++) {
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, k);
        guint s = node_of[e->source], t = node_of[e->target];
        if (s == G_MAXUINT || t == G_MAXUINT)
            continue;
        gint it = g->import_time.component_of[e->source];
        gint rt = g->runtime.component_of[e->source];
        bool same_it = it >= 0 && it == g->import_time.component_of[e->target];
        bool same_rt = rt >= 0 && rt == g->runtime.component_of[e->target];
        for (guint i = 0; i < e->count; i++) {
            guint ref = e->refs[i];
            impviz_kind kind = g_array_index(b->a->refs, impviz_ref, ref).import->kind;
            bool cycle = same_it && kind == IMPVIZ_EAGER;
            edge_add(b, s, t, ref, cycle, !cycle && same_rt && kind != IMPVIZ_TYPING);
        }
    }
}

/* The name an external node gets for an import record. */
static const char *external_name(const impviz_ref *r, impviz_externals mode)
{
    if (mode == IMPVIZ_EXTERNALS_ALL && r->import->level == 0 && *r->import->module)
        return r->import->module;
    return r->external;
}

static void add_externals(builder *b, const guint *node_of, const GPtrArray *exclude)
{
    const impviz_analysis *a = b->a;
    if (b->opts->externals == IMPVIZ_EXTERNALS_NONE)
        return;
    for (guint i = 0; i < a->refs->len; i++) {
        const impviz_ref *r = &g_array_index(a->refs, impviz_ref, i);
        if (!r->external || node_of[r->source] == G_MAXUINT)
            continue;
        bool std = r->cls == IMPVIZ_TARGET_STDLIB;
        if (std && b->opts->no_stdlib)
            continue;
        const char *name = external_name(r, b->opts->externals);
        if (globs_match(exclude, name))
            continue;
        guint t = node_get(b, std ? IMPVIZ_NODE_STDLIB : IMPVIZ_NODE_THIRD_PARTY, name);
        edge_add(b, node_of[r->source], t, i, false, false);
    }
}

static void fill_labels(impviz_view *view, const impviz_analysis *a)
{
    for (guint k = 0; k < view->nodes->len; k++) {
        impviz_view_node *node = g_ptr_array_index(view->nodes, k);
        if (node->type == IMPVIZ_NODE_MODULE) {
            const impviz_module *m = module_at(a, g_array_index(node->modules, guint, 0));
            node->is_package = m->is_package;
            node->label = g_strdup(m->is_package ? "__init__" : last_part(m->name));
            node->package = m->is_package ? g_strdup(m->name) : parent_of(m->name);
        } else if (node->type == IMPVIZ_NODE_COLLAPSED) {
            node->is_package = true;
            node->label = g_strdup(last_part(node->name));
            node->package = parent_of(node->name);
        } else {
            node->label = g_strdup(node->name);
            node->package = g_strdup("");
        }
    }
}

/* ---- order ---------------------------------------------------------------------------------- */

static gint node_cmp(gconstpointer x, gconstpointer y, gpointer data)
{
    const GPtrArray *nodes = data;
    const impviz_view_node *m = g_ptr_array_index(nodes, *(const guint *)x);
    const impviz_view_node *n = g_ptr_array_index(nodes, *(const guint *)y);
    if (is_external(m->type) != is_external(n->type))
        return is_external(m->type) ? 1 : -1;
    return strcmp(m->name, n->name);
}

static gint edge_cmp(gconstpointer x, gconstpointer y)
{
    const impviz_view_edge *e = x, *f = y;
    if (e->source != f->source)
        return e->source < f->source ? -1 : 1;
    if (e->target != f->target)
        return e->target < f->target ? -1 : 1;
    return 0;
}

/* Sorts nodes by name and renumbers the edges, then sorts edges (build_edges sorted their refs),
 * and counts each node's edges. */
static void sort_view(impviz_view *view)
{
    guint n = view->nodes->len;
    guint *order = g_new(guint, n + 1), *renumber = g_new(guint, n + 1);
    for (guint k = 0; k < n; k++)
        order[k] = k;
    g_qsort_with_data(order, (gint)n, sizeof(guint), node_cmp, view->nodes);
    GPtrArray *sorted = g_ptr_array_new_full(n, node_free);
    for (guint k = 0; k < n; k++) {
        renumber[order[k]] = k;
        g_ptr_array_add(sorted, g_ptr_array_index(view->nodes, order[k]));
    }
    g_ptr_array_set_free_func(view->nodes, NULL);
    g_ptr_array_unref(view->nodes);
    view->nodes = sorted;
    for (guint k = 0; k < view->edges->len; k++) {
        impviz_view_edge *e = &g_array_index(view->edges, impviz_view_edge, k);
        e->source = renumber[e->source];
        e->target = renumber[e->target];
    }
    g_array_sort(view->edges, edge_cmp);
    for (guint k = 0; k < view->edges->len; k++) {
        const impviz_view_edge *e = &g_array_index(view->edges, impviz_view_edge, k);
        ((impviz_view_node *)g_ptr_array_index(view->nodes, e->source))->out++;
        ((impviz_view_node *)g_ptr_array_index(view->nodes, e->target))->in++;
    }
    g_free(order);
    g_free(renumber);
}

/* ---- the view ------------------------------------------------------------------------------- */

impviz_status impviz_view_new(const impviz_analysis *a, const impviz_view_opts *opts,
                              impviz_diags *diags, impviz_view **out)
{
    *out = NULL;
    guint n = a->project->modules->len;
    bool *shown = g_new(bool, n);
    GPtrArray *only = globs_new(opts->only), *exclude = globs_new(opts->exclude);
    for (guint i = 0; i < n; i++) {
        const char *name = module_at(a, i)->name;
        shown[i] = (!only->len || globs_match(only, name)) && !globs_match(exclude, name);
        if (opts->cycles_only && a->graph->runtime.component_of[i] < 0)
            shown[i] = false;
    }
    if (opts->focus && *opts->focus && !apply_focus(a, opts, shown, diags)) {
        g_free(shown);
        g_ptr_array_unref(only);
        g_ptr_array_unref(exclude);
        return IMPVIZ_EUSAGE;
    }

    impviz_view *view = g_new0(impviz_view, 1);
    view->nodes = g_ptr_array_new_with_free_func(node_free);
    view->edges = g_array_new(FALSE, FALSE, sizeof(impviz_view_edge));
    g_array_set_clear_func(view->edges, edge_clear);
    view->reversed = opts->reverse;
    for (guint i = 0; i < n; i++)
        view->hidden_modules += !shown[i];
    builder b = {
        .a = a,
        .opts = opts,
        .view = view,
        .by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .adds = g_array_new(FALSE, FALSE, sizeof(edge_part)),
    };
    guint *node_of = add_project_nodes(&b, shown);
    add_project_edges(&b, node_of);
    add_externals(&b, node_of, exclude);
    build_edges(&b);
    fill_labels(view, a);
    sort_view(view);

    g_free(node_of);
    g_hash_table_unref(b.by_key);
    g_array_unref(b.adds);
    g_free(shown);
    g_ptr_array_unref(only);
    g_ptr_array_unref(exclude);
    *out = view;
    return IMPVIZ_OK;
}

void impviz_view_free(impviz_view *view)
{
    if (!view)
        return;
    g_ptr_array_unref(view->nodes);
    g_array_unref(view->edges);
    g_free(view);
}

char *impviz_view_node_id(const impviz_view_node *node)
{
    static const char *const prefix[] = {"m:", "p:", "x:", "x:"};
    return g_strconcat(prefix[node->type], node->name, NULL);
}

char *impviz_view_edge_id(const impviz_view *view, const impviz_view_edge *edge)
{
    const impviz_view_node *s = g_ptr_array_index(view->nodes, edge->source);
    const impviz_view_node *t = g_ptr_array_index(view->nodes, edge->target);
    return g_strconcat("e:", is_external(s->type) ? "ext:" : "", s->name, "->",
                       is_external(t->type) ? "ext:" : "", t->name, NULL);
}

char *impviz_link_expand(const char *tmpl, const char *path, guint line, const char *module)
{
    GString *url = g_string_new(NULL);
    for (const char *p = tmpl; *p;) {
        if (g_str_has_prefix(p, "{path}")) {
            g_string_append(url, path);
            p += strlen("{path}");
        } else if (g_str_has_prefix(p, "{line}")) {
            g_string_append_printf(url, "%u", line);
            p += strlen("{line}");
        } else if (g_str_has_prefix(p, "{module}")) {
            g_string_append(url, module);
            p += strlen("{module}");
        } else {
            g_string_append_c(url, *p++);
        }
    }
    return g_string_free(url, FALSE);
}

gint impviz_view_find(const impviz_view *view, impviz_node_type type, const char *name)
{
    for (guint k = 0; k < view->nodes->len; k++) {
        const impviz_view_node *node = g_ptr_array_index(view->nodes, k);
        if (node->type == type && strcmp(node->name, name) == 0)
            return (gint)k;
    }
    return -1;
}
