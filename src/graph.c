/* SPDX-License-Identifier: MIT */
/*
 * graph.c - the module graph: aggregated edges and strongly connected components.
 *
 * Edges are sorted by (source, target) module index, and modules are sorted by name, so every
 * walk over the graph visits neighbours in name order: outputs never depend on hash order.
 * Tarjan's algorithm runs with an explicit stack, so a 100 000-module chain is fine.
 */
#include "impviz.h"

#include <stdlib.h>
#include <string.h>

const char *impviz_kind_str(impviz_kind kind)
{
    static const char *const names[] = {"eager", "deferred", "lazy", "typing"};
    return kind < IMPVIZ_KIND_COUNT ? names[kind] : "unknown";
}

bool impviz_kind_stronger(impviz_kind a, impviz_kind b)
{
    return a < b; /* the enum is declared strongest first */
}

static gint edge_cmp(gconstpointer a, gconstpointer b)
{
    const impviz_edge *x = a, *y = b;
    if (x->source != y->source)
        return x->source < y->source ? -1 : 1;
    if (x->target != y->target)
        return x->target < y->target ? -1 : 1;
    return 0;
}

static gint uint_cmp(gconstpointer a, gconstpointer b)
{
    guint x = *(const guint *)a, y = *(const guint *)b;
    return x < y ? -1 : x > y;
}

static gint component_cmp(gconstpointer a, gconstpointer b)
{
    const GArray *x = *(GArray *const *)a, *y = *(GArray *const *)b;
    return uint_cmp(x->data, y->data);
}

void impviz_sccs_compute(guint n, const guint *off, const guint *adj, impviz_sccs *sccs)
{
    /* Tarjan with an explicit call stack: frame = (node, next edge position). */
    guint *index = g_new0(guint, n), *low = g_new(guint, n), *pos = g_new(guint, n);
    gboolean *on_stack = g_new0(gboolean, n);
    guint *stack = g_new(guint, n), *calls = g_new(guint, n);
    guint sp = 0, cp = 0, counter = 1;
    sccs->components = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    sccs->component_of = g_new(gint, n);
    for (guint v = 0; v < n; v++)
        sccs->component_of[v] = -1;

    for (guint root = 0; root < n; root++) {
        if (index[root])
            continue;
        calls[cp++] = root;
        index[root] = low[root] = counter++;
        pos[root] = off[root];
        stack[sp++] = root;
        on_stack[root] = TRUE;
        while (cp) {
            guint v = calls[cp - 1];
            if (pos[v] < off[v + 1]) {
                guint w = adj[pos[v]++];
                if (!index[w]) {
                    index[w] = low[w] = counter++;
                    pos[w] = off[w];
                    stack[sp++] = w;
                    on_stack[w] = TRUE;
                    calls[cp++] = w;
                } else if (on_stack[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            cp--;
            if (cp && low[v] < low[calls[cp - 1]])
                low[calls[cp - 1]] = low[v];
            if (low[v] != index[v])
                continue;
            if (stack[sp - 1] == v) { /* a component of one: not kept, not allocated */
                sp--;
                on_stack[v] = FALSE;
                continue;
            }
            GArray *comp = g_array_new(FALSE, FALSE, sizeof(guint));
            guint w;
            do {
                w = stack[--sp];
                on_stack[w] = FALSE;
                g_array_append_val(comp, w);
            } while (w != v);
            g_ptr_array_add(sccs->components, comp);
        }
    }
    /* members sorted by index = by name; components by first member */
    for (guint i = 0; i < sccs->components->len; i++)
        g_array_sort(g_ptr_array_index(sccs->components, i), uint_cmp);
    g_ptr_array_sort(sccs->components, component_cmp);
    for (guint i = 0; i < sccs->components->len; i++) {
        GArray *c = g_ptr_array_index(sccs->components, i);
        for (guint j = 0; j < c->len; j++)
            sccs->component_of[g_array_index(c, guint, j)] = (gint)i;
    }
    g_free(index);
    g_free(low);
    g_free(pos);
    g_free(on_stack);
    g_free(stack);
    g_free(calls);
}

void impviz_sccs_release(impviz_sccs *sccs)
{
    if (sccs->components)
        g_ptr_array_unref(sccs->components);
    g_free(sccs->component_of);
    sccs->components = NULL;
    sccs->component_of = NULL;
}

/* Adjacency in compressed form over the edges whose kind is in kind_mask. */
static void adjacency(const impviz_graph *g, guint kind_mask, guint **off, guint **adj)
{
    *off = g_new0(guint, g->n_modules + 1);
    *adj = g_new(guint, g->edges->len + 1);
    guint k = 0;
    for (guint i = 0; i < g->edges->len; i++) {
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, i);
        if (!(e->kinds & kind_mask))
            continue;
        (*off)[e->source + 1]++;
        (*adj)[k++] = e->target;
    }
    for (guint v = 0; v < g->n_modules; v++)
        (*off)[v + 1] += (*off)[v];
}

static guint mask_of(impviz_kind k)
{
    return 1u << k;
}

guint impviz_pair_hash(gconstpointer key)
{
    /* g_int64_hash folds the halves together (source ^ target): nearby modules importing each
     * other collide by the thousand. A multiplicative mix spreads them. */
    guint64 v = (guint64) * (const gint64 *)key * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    return (guint)(v >> 32);
}

/* Whether ref r is an import from one project module to another. */
static bool is_edge_ref(const impviz_ref *r)
{
    return r->target >= 0 && (guint)r->target != r->source;
}

/* Sorts a source's few edges by target: most modules import a handful of modules, where an
 * insertion sort beats qsort's set-up. */
static void sort_edges(impviz_edge *e, guint n)
{
    if (n > 16) {
        qsort(e, n, sizeof *e, edge_cmp);
        return;
    }
    for (guint i = 1; i < n; i++) {
        impviz_edge x = e[i];
        guint j = i;
        for (; j > 0 && e[j - 1].target > x.target; j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
}

impviz_graph *impviz_graph_new(guint n_modules, const GArray *refs)
{
    impviz_graph *g = g_new0(impviz_graph, 1);
    g->n_modules = n_modules;
    const impviz_ref *r = (const impviz_ref *)(const void *)refs->data;

    /* the refs of each source module together, in refs order (a counting sort): no hashing */
    guint *first = g_new0(guint, n_modules + 1), *order = g_new(guint, refs->len + 1);
    for (guint i = 0; i < refs->len; i++)
        if (is_edge_ref(&r[i]))
            first[r[i].source + 1]++;
    for (guint v = 0; v < n_modules; v++)
        first[v + 1] += first[v];
    guint *fill = g_memdup2(first, (n_modules + 1) * sizeof(guint));
    for (guint i = 0; i < refs->len; i++)
        if (is_edge_ref(&r[i]))
            order[fill[r[i].source]++] = i;

    /* at most one edge per edge ref: sized once, trimmed at the end; each edge's refs are a
       slice of edge_refs, within its source's range first[v] .. first[v + 1] */
    guint n_refs = first[n_modules];
    g->edges = g_array_sized_new(FALSE, FALSE, sizeof(impviz_edge), n_refs);
    g_array_set_size(g->edges, n_refs);
    impviz_edge *edges = (impviz_edge *)(void *)g->edges->data;
    g->edge_refs = g_new(guint, n_refs + 1);
    guint n_edges = 0;

    /* one source at a time: edge_of[t] is the edge to t, valid when seen[t] is the source + 1 */
    guint *edge_of = g_new(guint, n_modules), *seen = g_new0(guint, n_modules);
    for (guint v = 0; v < n_modules; v++) {
        guint start = n_edges;
        for (guint k = first[v]; k < first[v + 1]; k++) {
            const impviz_ref *x = &r[order[k]];
            guint t = (guint)x->target;
            if (seen[t] != v + 1) {
                seen[t] = v + 1;
                edge_of[t] = n_edges;
                edges[n_edges++] = (impviz_edge){.source = v, .target = t, .kind = x->import->kind};
            }
            impviz_edge *e = &edges[edge_of[t]];
            if (impviz_kind_stronger(x->import->kind, e->kind))
                e->kind = x->import->kind;
            e->kinds |= mask_of(x->import->kind);
            e->count++;
        }
        /* each edge's slice, in first-seen order; fill[] counts within it, then refs order */
        guint at = first[v];
        for (guint k = start; k < n_edges; k++) {
            edges[k].refs = g->edge_refs + at;
            fill[edges[k].target] = at; /* fill reused: free position in t's slice */
            at += edges[k].count;
        }
        for (guint k = first[v]; k < first[v + 1]; k++) {
            guint t = (guint)r[order[k]].target;
            g->edge_refs[fill[t]++] = order[k];
        }
        if (n_edges > start) /* edges is NULL while there are none */
            sort_edges(&edges[start], n_edges - start);
    }
    g_array_set_size(g->edges, n_edges);
    g_free(fill);
    g_free(edge_of);
    g_free(seen);
    g_free(first);
    g_free(order);

    guint *off, *adj;
    adjacency(g, mask_of(IMPVIZ_EAGER), &off, &adj);
    impviz_sccs_compute(n_modules, off, adj, &g->import_time);
    g_free(off);
    g_free(adj);
    adjacency(g, mask_of(IMPVIZ_EAGER) | mask_of(IMPVIZ_DEFERRED) | mask_of(IMPVIZ_LAZY), &off,
              &adj);
    impviz_sccs_compute(n_modules, off, adj, &g->runtime);
    g_free(off);
    g_free(adj);
    return g;
}

void impviz_graph_free(impviz_graph *g)
{
    if (!g)
        return;
    g_array_unref(g->edges);
    g_free(g->edge_refs);
    impviz_sccs_release(&g->import_time);
    impviz_sccs_release(&g->runtime);
    g_free(g);
}

const impviz_edge *impviz_graph_edge(const impviz_graph *g, guint source, guint target)
{
    impviz_edge key = {.source = source, .target = target};
    guint lo = 0, hi = g->edges->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, mid);
        gint c = edge_cmp(e, &key);
        if (c == 0)
            return e;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The first edge whose source is v: edges are sorted by source. */
static guint first_edge_of(const impviz_graph *g, guint v)
{
    guint lo = 0, hi = g->edges->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(g->edges, impviz_edge, mid).source < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Breadth-first search over the component's local adjacency from start back to start; the
 * cycle in local numbers, or NULL when none. */
static GArray *cycle_from(const guint *off, const guint *adj, guint start, guint *prev, guint *seen,
                          guint stamp)
{
    GArray *queue = g_array_new(FALSE, FALSE, sizeof(guint));
    g_array_append_val(queue, start);
    seen[start] = stamp;
    GArray *cycle = NULL;
    for (guint head = 0; head < queue->len && !cycle; head++) {
        guint v = g_array_index(queue, guint, head);
        for (guint k = off[v]; k < off[v + 1]; k++) {
            guint w = adj[k];
            if (w == start) {
                /* walked back from v, then reversed: prepending would be quadratic */
                cycle = g_array_new(FALSE, FALSE, sizeof(guint));
                g_array_append_val(cycle, start);
                for (guint x = v; x != start; x = prev[x])
                    g_array_append_val(cycle, x);
                g_array_append_val(cycle, start);
                guint *c = (guint *)cycle->data;
                for (guint i = 1, j = cycle->len - 2; i < j; i++, j--) {
                    guint t = c[i];
                    c[i] = c[j];
                    c[j] = t;
                }
                break;
            }
            if (seen[w] == stamp)
                continue;
            seen[w] = stamp;
            prev[w] = v;
            g_array_append_val(queue, w);
        }
    }
    g_array_unref(queue);
    return cycle;
}

GArray *impviz_graph_shortest_cycle(const impviz_graph *g, const GArray *component, guint kind_mask)
{
    /* Everything here is sized by the component, not the graph: a project has many small
     * components, and one pass over the whole graph each would be quadratic. Members are
     * numbered locally by their position in the component; a member's edges are the graph's
     * (sorted by target), kept in that order, so the search visits neighbours by name. */
    guint n = component->len;
    const guint *member = (const guint *)(const void *)component->data;
    GHashTable *local = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < n; i++)
        g_hash_table_insert(local, GUINT_TO_POINTER(member[i]), GUINT_TO_POINTER(i + 1));
    guint *off = g_new0(guint, n + 1);
    GArray *adj = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint i = 0; i < n; i++) {
        for (guint k = first_edge_of(g, member[i]); k < g->edges->len; k++) {
            const impviz_edge *e = &g_array_index(g->edges, impviz_edge, k);
            if (e->source != member[i])
                break;
            guint w = GPOINTER_TO_UINT(g_hash_table_lookup(local, GUINT_TO_POINTER(e->target)));
            if (!w || !(e->kinds & kind_mask))
                continue;
            w--;
            g_array_append_val(adj, w);
        }
        off[i + 1] = adj->len;
    }
    guint *prev = g_new0(guint, n), *seen = g_new0(guint, n);
    /* every member as a start is quadratic: past a few hundred, the first member is enough */
    guint starts = n <= 512 ? n : 1;
    GArray *best = NULL;
    for (guint i = 0; i < starts; i++) {
        GArray *c = cycle_from(off, (const guint *)(const void *)adj->data, i, prev, seen, i + 1);
        if (c && (!best || c->len < best->len)) {
            if (best)
                g_array_unref(best);
            best = c;
        } else if (c) {
            g_array_unref(c);
        }
        if (best && best->len == 3)
            break; /* a two-module cycle cannot be beaten */
    }
    for (guint i = 0; best && i < best->len; i++) /* local numbers back to module indices */
        g_array_index(best, guint, i) = member[g_array_index(best, guint, i)];
    g_hash_table_unref(local);
    g_free(off);
    g_array_unref(adj);
    g_free(prev);
    g_free(seen);
    return best;
}
