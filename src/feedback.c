/* SPDX-License-Identifier: MIT */
/*
 * feedback.c - the exact minimum feedback arc set of a small graph, by branch and bound.
 *
 * A set of arcs leaves no cycle only if it takes an arc of every cycle. So the search finds a
 * cycle of the graph without the arcs chosen so far and branches on which of its arcs is the
 * first one chosen: branch k chooses the cycle's k-th arc and forbids the ones before it. The
 * branches share no set, and a branch ends as soon as its arcs leave no cycle: a larger set
 * costs no less and has a larger mask, so the best set is always the end of a branch. Choosing
 * more arcs never lowers (cost, mask), so a branch is cut as soon as it reaches the best found.
 * Costs and masks are compared as the pair (cost, mask), which makes the answer the first of
 * the cheapest sets in increasing mask order, the same as trying every mask in turn.
 */
#include "feedback.h"

#include <stdbool.h>
#include <string.h>

typedef struct {
    guint n, m;
    const impviz_arc *arcs;
    guint *off, *out;  /* the arcs leaving v are out[off[v] .. off[v + 1]), in index order */
    guint8 *color;     /* depth-first search: 0 unseen, 1 on the path, 2 done */
    guint *via;        /* the arc that reached a node on the path */
    guint *next;       /* a node's next position in out to look at */
    guint *stack;      /* the path */
    guint *cycles;     /* n slots per level of the search: the cycle branched on */
    guint64 best_cost; /* the best set so far: its cost, G_MAXUINT64 before the first */
    guint32 best;
} search;

/* A cycle of the graph without the arcs in removed: its arcs are written to cycle (n slots),
 * and its length returned; 0 when there is none. */
static guint find_cycle(search *s, guint32 removed, guint *cycle)
{
    memset(s->color, 0, s->n);
    for (guint root = 0; root < s->n; root++) {
        if (s->color[root])
            continue;
        guint depth = 0;
        s->color[root] = 1;
        s->next[root] = s->off[root];
        s->stack[depth++] = root;
        while (depth) {
            guint v = s->stack[depth - 1];
            if (s->next[v] == s->off[v + 1]) {
                s->color[v] = 2;
                depth--;
                continue;
            }
            guint i = s->out[s->next[v]++];
            if (removed >> i & 1)
                continue;
            guint w = s->arcs[i].target;
            if (s->color[w] == 1) { /* back arc: the cycle is w ... v -> w */
                guint len = 0;
                cycle[len++] = i;
                for (guint x = v; x != w; x = s->arcs[s->via[x]].source)
                    cycle[len++] = s->via[x];
                return len;
            }
            if (!s->color[w]) {
                s->color[w] = 1;
                s->via[w] = i;
                s->next[w] = s->off[w];
                s->stack[depth++] = w;
            }
        }
    }
    return 0;
}

static bool better(const search *s, guint64 cost, guint32 mask)
{
    return cost < s->best_cost || (cost == s->best_cost && mask < s->best);
}

/* Searches the sets that hold `chosen` and nothing of `forbidden`; (cost, chosen) is better
 * than the best so far. */
static void branch(search *s, guint level, guint64 cost, guint32 chosen, guint32 forbidden)
{
    guint *cycle = s->cycles + (gsize)level * s->n;
    guint len = find_cycle(s, chosen, cycle);
    if (!len) {
        s->best_cost = cost;
        s->best = chosen;
        return;
    }
    /* cheapest arcs first, so that a good set is found early and cuts the rest */
    for (guint k = 1; k < len; k++) {
        guint i = cycle[k], j = k;
        for (; j > 0 && (s->arcs[cycle[j - 1]].cost > s->arcs[i].cost ||
                         (s->arcs[cycle[j - 1]].cost == s->arcs[i].cost && cycle[j - 1] > i));
             j--)
            cycle[j] = cycle[j - 1];
        cycle[j] = i;
    }
    for (guint k = 0; k < len; k++) {
        guint32 bit = (guint32)1 << cycle[k];
        if (forbidden & bit)
            continue;
        guint64 with = cost + s->arcs[cycle[k]].cost;
        if (better(s, with, chosen | bit))
            branch(s, level + 1, with, chosen | bit, forbidden);
        forbidden |= bit;
    }
}

guint32 impviz_feedback_min(guint n, const impviz_arc *arcs, guint m)
{
    g_return_val_if_fail(m <= IMPVIZ_FEEDBACK_MAX_ARCS, 0);
    search s = {.n = n, .m = m, .arcs = arcs, .best_cost = G_MAXUINT64, .best = G_MAXUINT32};
    s.off = g_new0(guint, n + 1);
    s.out = g_new(guint, m + 1);
    s.color = g_new(guint8, n + 1);
    s.via = g_new(guint, n + 1);
    s.next = g_new(guint, n + 1);
    s.stack = g_new(guint, n + 1);
    s.cycles = g_new(guint, (gsize)(m + 1) * n + 1); /* each level chooses one more arc */
    for (guint i = 0; i < m; i++)
        s.off[arcs[i].source + 1]++;
    for (guint v = 0; v < n; v++)
        s.off[v + 1] += s.off[v];
    memcpy(s.next, s.off, n * sizeof(guint)); /* counting sort by source, index order kept */
    for (guint i = 0; i < m; i++)
        s.out[s.next[arcs[i].source]++] = i;
    branch(&s, 0, 0, 0, 0);
    g_free(s.off);
    g_free(s.out);
    g_free(s.color);
    g_free(s.via);
    g_free(s.next);
    g_free(s.stack);
    g_free(s.cycles);
    return s.best;
}
