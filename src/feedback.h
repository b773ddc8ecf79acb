/* SPDX-License-Identifier: MIT */
/*
 * feedback.h - the exact minimum feedback arc set of a small directed graph.
 *
 * Private to the library (diagnose.c chooses the imports to defer with it); its own file so
 * that a unit test can hold it against an exhaustive search.
 */
#ifndef IMPVIZ_FEEDBACK_H
#define IMPVIZ_FEEDBACK_H

#include <glib.h>

/* An arc of the graph: nodes are 0 .. n - 1; removing the arc costs `cost`. */
typedef struct {
    guint source, target;
    guint64 cost;
} impviz_arc;

/* Arcs at most: a set of arcs is a bit mask, arc i being bit i. */
#define IMPVIZ_FEEDBACK_MAX_ARCS 32

/* Of the sets of arcs whose removal leaves the graph without a cycle, the one of least total
 * cost, ties going to the smallest mask as an integer; 0 when the graph has no cycle. Needs
 * m <= IMPVIZ_FEEDBACK_MAX_ARCS; arcs is borrowed for the call. */
guint32 impviz_feedback_min(guint n, const impviz_arc *arcs, guint m);

#endif
