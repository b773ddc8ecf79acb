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

int main(void)
{
    test_small();
    test_deep();
    return check_done("test_graph");
}
