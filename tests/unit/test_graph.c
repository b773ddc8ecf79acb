/* SPDX-License-Identifier: MIT */
/* test_graph.c - strongly connected components and shortest cycles on hand-built graphs. */
#include "check.h"
#include "impviz.h"

/* Builds CSR adjacency from an edge list and runs the SCC search. */
static void sccs_of(guint n, const guint (*edges)[2], guint m, impviz_sccs *out)
{
    guint *off = g_new0(guint, n + 1), *adj = g_new(guint, m + 1), *fill = g_new0(guint, n);
    for (guint i = 0; i < m; i++)
        off[edges[i][0] + 1]++;
    for (guint v = 0; v < n; v++)
        off[v + 1] += off[v];
    for (guint i = 0; i < m; i++)
        adj[off[edges[i][0]] + fill[edges[i][0]]++] = edges[i][1];
    impviz_sccs_compute(n, off, adj, out);
    g_free(off);
    g_free(adj);
    g_free(fill);
}

static void test_small(void)
{
    /* 0 <-> 1, 2 -> 3 -> 4 -> 2, 5 alone with a self-loop, 6 -> 0 */
    const guint e[][2] = {{0, 1}, {1, 0}, {2, 3}, {3, 4}, {4, 2}, {5, 5}, {6, 0}};
    impviz_sccs s;
    sccs_of(7, e, G_N_ELEMENTS(e), &s);
    CHECK_INT(s.components->len, 2);
    GArray *c0 = g_ptr_array_index(s.components, 0), *c1 = g_ptr_array_index(s.components, 1);
    CHECK_INT(c0->len, 2);
    CHECK_INT(g_array_index(c0, guint, 0), 0);
    CHECK_INT(g_array_index(c0, guint, 1), 1);
    CHECK_INT(c1->len, 3);
    CHECK_INT(g_array_index(c1, guint, 0), 2);
    CHECK_INT(s.component_of[5], -1); /* a self-loop is not a component of two or more */
    CHECK_INT(s.component_of[6], -1);
    CHECK_INT(s.component_of[4], 1);
    impviz_sccs_release(&s);
}

/* 100 000 nodes in one chain and in one ring: the iterative search must not overflow. */
static void test_deep(void)
{
    const guint n = 100000;
    guint(*e)[2] = g_malloc(sizeof(*e) * n);
    for (guint i = 0; i < n; i++) {
        e[i][0] = i;
        e[i][1] = i + 1 < n ? i + 1 : 0;
    }
    impviz_sccs s;
    sccs_of(n, e, n - 1, &s); /* chain */
    CHECK_INT(s.components->len, 0);
    impviz_sccs_release(&s);
    sccs_of(n, e, n, &s); /* ring */
    CHECK_INT(s.components->len, 1);
    CHECK_INT(((GArray *)g_ptr_array_index(s.components, 0))->len, n);
    impviz_sccs_release(&s);
    g_free(e);
}

/* Edges from refs in any order (a diff merges two runs' refs): aggregated per (source, target),
 * sorted, with the strongest kind, every kind, and the refs in refs order. */
static void test_edges(void)
{
    static const impviz_import eager = {.kind = IMPVIZ_EAGER}, lazy = {.kind = IMPVIZ_LAZY},
                               typing = {.kind = IMPVIZ_TYPING};
    const impviz_ref r[] = {
        {.source = 2, .target = 0, .import = &typing}, /* 0 */
        {.source = 0, .target = 3, .import = &lazy},   /* 1 */
        {.source = 0, .target = 1, .import = &typing}, /* 2 */
        {.source = 2, .target = 2, .import = &eager},  /* 3: itself, no edge */
        {.source = 0, .target = -1, .import = &eager}, /* 4: outside the project */
        {.source = 0, .target = 1, .import = &eager},  /* 5 */
        {.source = 2, .target = 0, .import = &lazy},   /* 6 */
        {.source = 0, .target = 3, .import = &lazy},   /* 7 */
        {.source = 1, .target = 0, .import = &eager},  /* 8 */
    };
    GArray *refs = g_array_new(FALSE, FALSE, sizeof(impviz_ref));
    g_array_append_vals(refs, r, G_N_ELEMENTS(r));
    impviz_graph *g = impviz_graph_new(4, refs);
    static const guint want[][6] = {
        /* source, target, kind, count, first ref, last ref */
        {0, 1, IMPVIZ_EAGER, 2, 2, 5},
        {0, 3, IMPVIZ_LAZY, 2, 1, 7},
        {1, 0, IMPVIZ_EAGER, 1, 8, 8},
        {2, 0, IMPVIZ_LAZY, 2, 0, 6},
    };
    CHECK_INT(g->edges->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < g->edges->len && i < G_N_ELEMENTS(want); i++) {
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, i);
        CHECK_INT(e->source, want[i][0]);
        CHECK_INT(e->target, want[i][1]);
        CHECK_INT(e->kind, want[i][2]);
        CHECK_INT(e->count, want[i][3]);
        CHECK_INT(e->refs[0], want[i][4]);
        CHECK_INT(e->refs[e->count - 1], want[i][5]);
    }
    CHECK_INT(g_array_index(g->edges, impviz_edge, 0).kinds,
              1u << IMPVIZ_EAGER | 1u << IMPVIZ_TYPING);
    CHECK(impviz_graph_edge(g, 2, 0) == &g_array_index(g->edges, impviz_edge, 3));
    CHECK(impviz_graph_edge(g, 3, 0) == NULL);
    /* 0 <-> 1 eagerly; 2 -> 0 only lazily, so 0, 1, 2 form a runtime cycle only with 0 -> 2:
     * there is none, so both lists hold {0, 1} */
    CHECK_INT(g->import_time.components->len, 1);
    CHECK_INT(g->runtime.components->len, 1);
    impviz_graph_free(g);
    g_array_unref(refs);
}

int main(void)
{
    test_small();
    test_deep();
    test_edges();
    return check_done("test_graph");
}
