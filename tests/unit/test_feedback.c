/* SPDX-License-Identifier: MIT */
/* test_feedback.c - the minimum feedback arc set search against trying every set of arcs. */
#include "check.h"
#include "feedback.h"

#include <stdbool.h>

/* Does the graph without the arcs in removed have no cycle? Kahn's algorithm. */
static bool acyclic_without(guint n, const impviz_arc *arcs, guint m, guint32 removed)
{
    guint indeg[16] = {0}, queue[16], head = 0, tail = 0;
    for (guint i = 0; i < m; i++)
        if (!(removed >> i & 1))
            indeg[arcs[i].target]++;
    for (guint v = 0; v < n; v++)
        if (!indeg[v])
            queue[tail++] = v;
    while (head < tail) {
        guint v = queue[head++];
        for (guint i = 0; i < m; i++)
            if (!(removed >> i & 1) && arcs[i].source == v && --indeg[arcs[i].target] == 0)
                queue[tail++] = arcs[i].target;
    }
    return tail == n;
}

/* The reference: every mask in increasing order, keeping the first of the cheapest. */
static guint32 exhaustive(guint n, const impviz_arc *arcs, guint m)
{
    guint64 best_cost = G_MAXUINT64;
    guint32 best = 0;
    for (guint32 mask = 0; mask < ((guint32)1 << m); mask++) {
        guint64 cost = 0;
        for (guint i = 0; i < m; i++)
            if (mask >> i & 1)
                cost += arcs[i].cost;
        if (cost < best_cost && acyclic_without(n, arcs, m, mask)) {
            best_cost = cost;
            best = mask;
        }
    }
    return best;
}

static void test_small(void)
{
    /* a triangle 0 -> 1 -> 2 -> 0 and a 2-cycle 1 <-> 2 sharing arc 1 -> 2 */
    impviz_arc tri[] = {{0, 1, 5}, {1, 2, 7}, {2, 0, 5}, {2, 1, 3}};
    CHECK_INT(impviz_feedback_min(3, tri, 4), 1u << 1); /* 1 -> 2 breaks both: 7 < 5 + 3 */
    tri[1].cost = 9;
    CHECK_INT(impviz_feedback_min(3, tri, 4), (1u << 0) | (1u << 3)); /* 5 + 3 < 9 */
    /* equal costs: the smaller mask wins, whatever order the search tries them in */
    impviz_arc two[] = {{0, 1, 4}, {1, 0, 4}};
    CHECK_INT(impviz_feedback_min(2, two, 2), 1u << 0);
    impviz_arc self[] = {{0, 1, 1}, {1, 1, 9}};
    CHECK_INT(impviz_feedback_min(2, self, 2), 1u << 1); /* a self-loop must go, however dear */
    impviz_arc dag[] = {{0, 1, 1}, {1, 2, 1}};
    CHECK_INT(impviz_feedback_min(3, dag, 2), 0);
    CHECK_INT(impviz_feedback_min(0, NULL, 0), 0);
}

/* Random graphs, with parallel arcs, self-loops and zero costs, and many ties. */
static void test_random(void)
{
    GRand *rand = g_rand_new_with_seed(20261125);
    guint64 cyclic = 0;
    for (guint round = 0; round < 3000; round++) {
        guint n = (guint)g_rand_int_range(rand, 1, 9), m = (guint)g_rand_int_range(rand, 0, 15);
        impviz_arc arcs[16];
        for (guint i = 0; i < m; i++) {
            arcs[i].source = (guint)g_rand_int_range(rand, 0, (gint32)n);
            arcs[i].target = (guint)g_rand_int_range(rand, 0, (gint32)n);
            static const guint costs[] = {0, 1, 2, 3, 256, 257, 259, 512, 515};
            guint pick = (guint)g_rand_int_range(rand, 0, round % 2 ? 4 : G_N_ELEMENTS(costs));
            arcs[i].cost = costs[pick];
        }
        guint32 want = exhaustive(n, arcs, m), got = impviz_feedback_min(n, arcs, m);
        if (want)
            cyclic++;
        if (want != got)
            fprintf(stderr, "round %u: n %u m %u\n", round, n, m);
        CHECK_INT(got, want);
    }
    CHECK(cyclic > 1000); /* most of the graphs have cycles to break */
    g_rand_free(rand);
}

/* A strongly connected graph of 20 arcs, the most diagnose.c searches exactly. */
static void test_largest(void)
{
    impviz_arc arcs[20];
    guint m = 0;
    for (guint v = 0; v < 8; v++)
        arcs[m++] = (impviz_arc){v, (v + 1) % 8, 256 + v % 3};
    for (guint v = 0; v < 8; v++)
        arcs[m++] = (impviz_arc){(v + 3) % 8, v, 256 * (1 + v % 2)};
    for (guint v = 0; v < 4; v++)
        arcs[m++] = (impviz_arc){v, v + 4, 257};
    CHECK_INT(impviz_feedback_min(8, arcs, m), exhaustive(8, arcs, m));
}

int main(void)
{
    test_small();
    test_random();
    test_largest();
    return check_done("test_feedback");
}
