/* SPDX-License-Identifier: MIT */
/*
 * diff.c - what a change did to the import graph: two analyses merged into one picture.
 *
 * The merged analysis holds every module and edge of either side, matched by module name; each
 * carries a change (same, added, removed). Its strongly connected components are those of the
 * new side (removed edges take part in no cycle), so the picture shows today's cycles. Cycles
 * that appeared or grew come from comparing the new side with a baseline of the old one, and
 * cycles that disappeared or shrank from the reverse comparison: the same rules as --baseline.
 *
 * The merged analysis borrows import records from both sides: free the diff before them.
 */
#include "impviz.h"

#include <jansson.h>
#include <string.h>

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

static void module_free(gpointer p)
{
    impviz_module *m = p;
    g_free(m->name);
    g_free(m->path);
    g_free(m->file);
    g_free(m);
}

static gint module_cmp(gconstpointer a, gconstpointer b)
{
    const impviz_module *x = *(impviz_module *const *)a, *y = *(impviz_module *const *)b;
    return strcmp(x->name, y->name);
}

/* The union of both sides' modules, sorted by name; the new side's copy wins. */
static impviz_project *merge_modules(const impviz_analysis *old, const impviz_analysis *new_)
{
    impviz_project *p = g_new0(impviz_project, 1);
    p->roots = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < new_->project->roots->len; i++)
        g_ptr_array_add(p->roots, g_strdup(g_ptr_array_index(new_->project->roots, i)));
    p->modules = g_ptr_array_new_with_free_func(module_free);
    p->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    p->packages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const impviz_analysis *sides[] = {new_, old};
    for (int s = 0; s < 2; s++) {
        const impviz_project *from = sides[s]->project;
        for (guint i = 0; i < from->modules->len; i++) {
            const impviz_module *m = module_at(sides[s], i);
            if (g_hash_table_contains(p->by_name, m->name))
                continue;
            impviz_module *copy = g_new0(impviz_module, 1);
            copy->name = g_strdup(m->name);
            copy->path = g_strdup(m->path);
            /* a removed module is shown where it was, under the new side's root when there is one
             */
            copy->file = s == 0 || m->root >= p->roots->len
                             ? g_strdup(m->file)
                             : g_build_filename(g_ptr_array_index(p->roots, 0), m->path, NULL);
            copy->root = s == 0 ? m->root : 0;
            copy->is_package = m->is_package;
            g_ptr_array_add(p->modules, copy);
            g_hash_table_insert(p->by_name, copy->name, copy);
        }
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, from->packages);
        while (g_hash_table_iter_next(&it, &key, NULL))
            if (!g_hash_table_contains(p->packages, key))
                g_hash_table_add(p->packages, g_strdup(key));
    }
    g_ptr_array_sort(p->modules, module_cmp);
    return p;
}

static const impviz_edge *edge_of(const impviz_analysis *a, const char *source, const char *target)
{
    gint s = impviz_project_index(a->project, source), t = impviz_project_index(a->project, target);
    return s >= 0 && t >= 0 ? impviz_graph_edge(a->graph, (guint)s, (guint)t) : NULL;
}

static bool has_edge(const impviz_analysis *a, const char *source, const char *target)
{
    return edge_of(a, source, target) != NULL;
}

/* Marks, in the merged graph, the members and edges that a cycle change of `side` made new or
 * left: mark (NEW or GONE). GONE never overwrites NEW, nor marks what is on a cycle today. */
static void mark_cycle_changes(impviz_diff *d, const impviz_analysis *side,
                               const GPtrArray *changes, guint8 mark)
{
    const impviz_analysis *m = d->merged;
    for (guint i = 0; i < changes->len; i++) {
        const impviz_cycle_change *ch = g_ptr_array_index(changes, i);
        for (guint k = 0; k < ch->new_members->len; k++) {
            guint at = g_array_index(ch->new_members, guint, k);
            gint x = impviz_project_index(m->project, module_at(side, at)->name);
            if (x < 0 || d->module_cycle[x] == IMPVIZ_CYCLE_MARK_NEW ||
                (mark == IMPVIZ_CYCLE_MARK_GONE && m->graph->import_time.component_of[x] >= 0))
                continue;
            d->module_cycle[x] = mark;
        }
        for (guint k = 0; k < ch->new_edges->len; k++) {
            const impviz_edge *e = &g_array_index(side->graph->edges, impviz_edge,
                                                  g_array_index(ch->new_edges, guint, k));
            const impviz_edge *me =
                edge_of(m, module_at(side, e->source)->name, module_at(side, e->target)->name);
            if (!me)
                continue;
            guint x = (guint)(me - &g_array_index(m->graph->edges, impviz_edge, 0));
            gint cs = m->graph->import_time.component_of[me->source];
            bool on_cycle_now = cs >= 0 && cs == m->graph->import_time.component_of[me->target] &&
                                me->kind == IMPVIZ_EAGER &&
                                d->edge_change[x] != IMPVIZ_CHANGE_REMOVED;
            if (d->edge_cycle[x] == IMPVIZ_CYCLE_MARK_NEW ||
                (mark == IMPVIZ_CYCLE_MARK_GONE && on_cycle_now))
                continue;
            d->edge_cycle[x] = mark;
        }
    }
}

/* A side's ref with its module indices moved into the merged project. */
static impviz_ref remap(const impviz_analysis *side, const impviz_project *merged,
                        const impviz_ref *r)
{
    impviz_ref out = *r;
    out.source = (guint)impviz_project_index(merged, module_at(side, r->source)->name);
    if (r->target >= 0)
        out.target = impviz_project_index(merged, module_at(side, (guint)r->target)->name);
    return out;
}

/* Components over the edges that are not removed, with kinds in mask. */
static void sccs_without_removed(const impviz_graph *g, const guint8 *edge_change, guint mask,
                                 impviz_sccs *out)
{
    guint *off = g_new0(guint, g->n_modules + 1), *adj = g_new(guint, g->edges->len + 1);
    guint k = 0;
    for (guint i = 0; i < g->edges->len; i++) {
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, i);
        if (edge_change[i] == IMPVIZ_CHANGE_REMOVED || !(e->kinds & mask))
            continue;
        off[e->source + 1]++;
        adj[k++] = e->target;
    }
    for (guint v = 0; v < g->n_modules; v++)
        off[v + 1] += off[v];
    impviz_sccs_compute(g->n_modules, off, adj, out);
    g_free(off);
    g_free(adj);
}

impviz_diff *impviz_diff_new(const impviz_analysis *old, const impviz_analysis *new_)
{
    impviz_diff *d = g_new0(impviz_diff, 1);
    d->old = old;
    d->new_ = new_;
    impviz_analysis *m = g_new0(impviz_analysis, 1);
    m->project = merge_modules(old, new_);
    guint n = m->project->modules->len;
    m->files = g_ptr_array_new_full(n, (GDestroyNotify)impviz_file_free);
    g_ptr_array_set_size(m->files, n);
    m->refs = g_array_new(FALSE, FALSE, sizeof(impviz_ref));
    for (guint i = 0; i < new_->refs->len; i++) {
        impviz_ref r = remap(new_, m->project, &g_array_index(new_->refs, impviz_ref, i));
        g_array_append_val(m->refs, r);
    }
    for (guint i = 0; i < old->refs->len; i++) {
        const impviz_ref *r = &g_array_index(old->refs, impviz_ref, i);
        if (r->target < 0 || (guint)r->target == r->source ||
            has_edge(new_, module_at(old, r->source)->name, module_at(old, (guint)r->target)->name))
            continue;
        impviz_ref moved = remap(old, m->project, r);
        g_array_append_val(m->refs, moved);
    }
    m->n_imports = m->refs->len;
    m->graph = impviz_graph_new(n, m->refs);
    d->merged = m;

    d->module_change = g_new0(guint8, n + 1);
    for (guint i = 0; i < n; i++) {
        const char *name = module_at(m, i)->name;
        bool in_old = impviz_project_lookup(old->project, name) != NULL;
        bool in_new = impviz_project_lookup(new_->project, name) != NULL;
        d->module_change[i] = in_old && in_new ? IMPVIZ_CHANGE_SAME
                              : in_new         ? IMPVIZ_CHANGE_ADDED
                                               : IMPVIZ_CHANGE_REMOVED;
    }
    const GArray *edges = m->graph->edges;
    d->edge_change = g_new0(guint8, edges->len + 1);
    d->edge_old_kind = g_new0(guint8, edges->len + 1);
    for (guint i = 0; i < edges->len; i++) {
        const impviz_edge *e = &g_array_index(edges, impviz_edge, i);
        const char *s = module_at(m, e->source)->name, *t = module_at(m, e->target)->name;
        const impviz_edge *was = edge_of(old, s, t), *is = edge_of(new_, s, t);
        d->edge_change[i] = was && is
                                ? (was->kind == is->kind ? IMPVIZ_CHANGE_SAME : IMPVIZ_CHANGE_KIND)
                            : is ? IMPVIZ_CHANGE_ADDED
                                 : IMPVIZ_CHANGE_REMOVED;
        d->edge_old_kind[i] = (guint8)(was ? was->kind : e->kind);
    }
    impviz_sccs_release(&m->graph->import_time);
    impviz_sccs_release(&m->graph->runtime);
    sccs_without_removed(m->graph, d->edge_change, 1u << IMPVIZ_EAGER, &m->graph->import_time);
    sccs_without_removed(m->graph, d->edge_change,
                         (1u << IMPVIZ_EAGER) | (1u << IMPVIZ_DEFERRED) | (1u << IMPVIZ_LAZY),
                         &m->graph->runtime);

    impviz_baseline *old_base = impviz_baseline_new(old), *new_base = impviz_baseline_new(new_);
    d->appeared = impviz_baseline_compare(old_base, new_);
    d->disappeared = impviz_baseline_compare(new_base, old);
    impviz_baseline_free(old_base);
    impviz_baseline_free(new_base);
    d->module_cycle = g_new0(guint8, n + 1);
    d->edge_cycle = g_new0(guint8, edges->len + 1);
    mark_cycle_changes(d, new_, d->appeared, IMPVIZ_CYCLE_MARK_NEW);
    mark_cycle_changes(d, old, d->disappeared, IMPVIZ_CYCLE_MARK_GONE);
    return d;
}

void impviz_diff_free(impviz_diff *d)
{
    if (!d)
        return;
    impviz_analysis_free(d->merged);
    g_free(d->module_change);
    g_free(d->edge_change);
    g_free(d->edge_old_kind);
    g_free(d->module_cycle);
    g_free(d->edge_cycle);
    g_ptr_array_unref(d->appeared);
    g_ptr_array_unref(d->disappeared);
    g_free(d);
}

/* ---- reports ------------------------------------------------------------------------------- */

static const char *const change_names[] = {"same", "added", "removed", "changed"};

const char *impviz_change_str(impviz_change change)
{
    return change <= IMPVIZ_CHANGE_KIND ? change_names[change] : "unknown";
}

typedef struct {
    guint added_modules, removed_modules, added_edges, removed_edges, changed_edges;
    guint appeared, grew, disappeared, shrank;
} counts;

static counts count(const impviz_diff *d)
{
    counts c = {0};
    for (guint i = 0; i < d->merged->project->modules->len; i++) {
        c.added_modules += d->module_change[i] == IMPVIZ_CHANGE_ADDED;
        c.removed_modules += d->module_change[i] == IMPVIZ_CHANGE_REMOVED;
    }
    for (guint i = 0; i < d->merged->graph->edges->len; i++) {
        c.added_edges += d->edge_change[i] == IMPVIZ_CHANGE_ADDED;
        c.removed_edges += d->edge_change[i] == IMPVIZ_CHANGE_REMOVED;
        c.changed_edges += d->edge_change[i] == IMPVIZ_CHANGE_KIND;
    }
    for (guint i = 0; i < d->appeared->len; i++) {
        const impviz_cycle_change *ch = g_ptr_array_index(d->appeared, i);
        c.appeared += ch->is_new;
        c.grew += !ch->is_new;
    }
    for (guint i = 0; i < d->disappeared->len; i++) {
        const impviz_cycle_change *ch = g_ptr_array_index(d->disappeared, i);
        c.disappeared += ch->is_new;
        c.shrank += !ch->is_new;
    }
    return c;
}

/* "a -> b -> a" for the shortest cycle of a component of side. */
static char *chain_of(const impviz_analysis *side, guint component)
{
    GArray *steps = impviz_cycle_steps(side, component);
    GString *t = g_string_new(NULL);
    for (guint i = 0; i < steps->len; i++) {
        const impviz_step *s = &g_array_index(steps, impviz_step, i);
        if (i == 0)
            g_string_append(t, module_at(side, s->source)->name);
        g_string_append_printf(t, " -> %s", module_at(side, s->target)->name);
    }
    g_array_unref(steps);
    return g_string_free(t, FALSE);
}

static void text_cycles(GString *out, const impviz_analysis *side, const GPtrArray *changes,
                        bool new_side)
{
    for (guint i = 0; i < changes->len; i++) {
        const impviz_cycle_change *ch = g_ptr_array_index(changes, i);
        char *chain = chain_of(side, ch->component);
        const char *what =
            ch->is_new ? (new_side ? "appeared" : "disappeared") : (new_side ? "grew" : "shrank");
        g_string_append_printf(out, "  %s: %s\n", what, chain);
        g_free(chain);
        if (!new_side)
            continue;
        GArray *steps = impviz_cycle_steps(side, ch->component);
        for (guint k = 0; k < steps->len; k++) {
            const impviz_step *s = &g_array_index(steps, impviz_step, k);
            g_string_append_printf(out, "      %s:%u: %s\n", module_at(side, s->source)->path,
                                   s->import->line, s->import->statement);
        }
        g_array_unref(steps);
    }
}

static void text_report(GString *out, const impviz_diff *d)
{
    const impviz_analysis *m = d->merged;
    counts c = count(d);
    g_string_append_printf(out, "modules: %u added, %u removed\n", c.added_modules,
                           c.removed_modules);
    for (guint i = 0; i < m->project->modules->len; i++)
        if (d->module_change[i] != IMPVIZ_CHANGE_SAME)
            g_string_append_printf(out, "  %c %s\n",
                                   d->module_change[i] == IMPVIZ_CHANGE_ADDED ? '+' : '-',
                                   module_at(m, i)->name);
    g_string_append_printf(out, "imports between modules: %u added, %u removed, %u changed kind\n",
                           c.added_edges, c.removed_edges, c.changed_edges);
    static const char signs[] = {' ', '+', '-', '~'};
    for (guint i = 0; i < m->graph->edges->len; i++) {
        const impviz_edge *e = &g_array_index(m->graph->edges, impviz_edge, i);
        if (d->edge_change[i] == IMPVIZ_CHANGE_SAME)
            continue;
        g_string_append_printf(out, "  %c %s -> %s (", signs[d->edge_change[i]],
                               module_at(m, e->source)->name, module_at(m, e->target)->name);
        if (d->edge_change[i] == IMPVIZ_CHANGE_KIND)
            g_string_append_printf(out, "%s -> ", impviz_kind_str(d->edge_old_kind[i]));
        g_string_append_printf(out, "%s)\n", impviz_kind_str(e->kind));
    }
    g_string_append_printf(out,
                           "import-time cycles: %u appeared, %u grew, %u disappeared, %u shrank\n",
                           c.appeared, c.grew, c.disappeared, c.shrank);
    text_cycles(out, d->new_, d->appeared, true);
    text_cycles(out, d->old, d->disappeared, false);
}

static json_t *jstr(const char *s)
{
    char *valid = g_utf8_make_valid(s, -1);
    json_t *j = json_string(valid);
    g_free(valid);
    return j;
}

static json_t *json_cycles(const impviz_analysis *side, const GPtrArray *changes, bool want_new)
{
    json_t *list = json_array();
    for (guint i = 0; i < changes->len; i++) {
        const impviz_cycle_change *ch = g_ptr_array_index(changes, i);
        if (ch->is_new != want_new)
            continue;
        const GArray *comp = g_ptr_array_index(side->graph->import_time.components, ch->component);
        json_t *members = json_array(), *added = json_array();
        for (guint k = 0; k < comp->len; k++)
            json_array_append_new(members,
                                  jstr(module_at(side, g_array_index(comp, guint, k))->name));
        for (guint k = 0; k < ch->new_edges->len; k++) {
            const impviz_edge *e = &g_array_index(side->graph->edges, impviz_edge,
                                                  g_array_index(ch->new_edges, guint, k));
            json_array_append_new(added, json_pack("[o,o]", jstr(module_at(side, e->source)->name),
                                                   jstr(module_at(side, e->target)->name)));
        }
        char *chain = chain_of(side, ch->component);
        json_array_append_new(list, json_pack("{s:o, s:o, s:o}", "members", members, "cycle",
                                              jstr(chain), "edges", added));
        g_free(chain);
    }
    return list;
}

static void json_report(GString *out, const impviz_diff *d)
{
    const impviz_analysis *m = d->merged;
    json_t *modules = json_pack("{s:[], s:[]}", "added", "removed");
    for (guint i = 0; i < m->project->modules->len; i++)
        if (d->module_change[i] != IMPVIZ_CHANGE_SAME)
            json_array_append_new(json_object_get(modules, impviz_change_str(d->module_change[i])),
                                  jstr(module_at(m, i)->name));
    json_t *edges = json_pack("{s:[], s:[], s:[]}", "added", "removed", "changed");
    for (guint i = 0; i < m->graph->edges->len; i++) {
        const impviz_edge *e = &g_array_index(m->graph->edges, impviz_edge, i);
        if (d->edge_change[i] == IMPVIZ_CHANGE_SAME)
            continue;
        json_t *entry =
            json_pack("{s:o, s:o, s:s}", "source", jstr(module_at(m, e->source)->name), "target",
                      jstr(module_at(m, e->target)->name), "kind", impviz_kind_str(e->kind));
        if (d->edge_change[i] == IMPVIZ_CHANGE_KIND)
            json_object_set_new(entry, "old_kind",
                                json_string(impviz_kind_str(d->edge_old_kind[i])));
        json_array_append_new(json_object_get(edges, impviz_change_str(d->edge_change[i])), entry);
    }
    json_t *cycles =
        json_pack("{s:o, s:o, s:o, s:o}", "appeared", json_cycles(d->new_, d->appeared, true),
                  "grew", json_cycles(d->new_, d->appeared, false), "disappeared",
                  json_cycles(d->old, d->disappeared, true), "shrank",
                  json_cycles(d->old, d->disappeared, false));
    json_t *root = json_pack("{s:i, s:o, s:o, s:o}", "schema", 1, "modules", modules, "edges",
                             edges, "cycles", cycles);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    g_string_append(out, text);
    g_string_append_c(out, '\n');
    free(text);
    json_decref(root);
}

static void md_cycles(GString *out, const impviz_analysis *side, const GPtrArray *changes,
                      bool new_side)
{
    for (guint i = 0; i < changes->len; i++) {
        const impviz_cycle_change *ch = g_ptr_array_index(changes, i);
        const char *what =
            ch->is_new ? (new_side ? "appeared" : "disappeared") : (new_side ? "grew" : "shrank");
        char *chain = chain_of(side, ch->component);
        g_string_append_printf(out, "- **%s**: ", what);
        impviz_markdown_code(out, chain);
        g_string_append_c(out, '\n');
        g_free(chain);
        if (!new_side)
            continue;
        GArray *steps = impviz_cycle_steps(side, ch->component);
        for (guint k = 0; k < steps->len; k++) {
            const impviz_step *s = &g_array_index(steps, impviz_step, k);
            char *path = impviz_module_display_path(module_at(side, s->source));
            char *where = g_strdup_printf("%s:%u", path, s->import->line);
            g_string_append(out, "  - ");
            impviz_markdown_code(out, where);
            g_string_append_c(out, ' ');
            impviz_markdown_code(out, s->import->statement);
            g_string_append_c(out, '\n');
            g_free(where);
            g_free(path);
        }
        g_array_unref(steps);
        g_string_append(out, "\n  ```mermaid\n");
        GString *chart = g_string_new(NULL);
        impviz_mermaid_append(chart, side, (gint)ch->component);
        char **lines = g_strsplit(chart->str, "\n", -1);
        for (char **l = lines; *l; l++)
            if (**l)
                g_string_append_printf(out, "  %s\n", *l);
        g_strfreev(lines);
        g_string_free(chart, TRUE);
        g_string_append(out, "  ```\n");
    }
}

static void md_report(GString *out, const impviz_diff *d)
{
    const impviz_analysis *m = d->merged;
    counts c = count(d);
    g_string_append(out, "<!-- impviz diff -->\n");
    if (c.appeared + c.grew)
        g_string_append_printf(out, "## impviz: this change adds %u import-time cycle%s\n\n",
                               c.appeared + c.grew, c.appeared + c.grew == 1 ? "" : "s");
    else
        g_string_append(out, "## impviz: no new import-time cycle\n\n");
    g_string_append_printf(out,
                           "Modules: %u added, %u removed. Imports between modules: %u added, %u "
                           "removed, %u changed kind. Import-time cycles: %u appeared, %u grew, "
                           "%u disappeared, %u shrank.\n",
                           c.added_modules, c.removed_modules, c.added_edges, c.removed_edges,
                           c.changed_edges, c.appeared, c.grew, c.disappeared, c.shrank);
    if (d->appeared->len || d->disappeared->len) {
        g_string_append(out, "\n### Cycles\n\n");
        md_cycles(out, d->new_, d->appeared, true);
        md_cycles(out, d->old, d->disappeared, false);
    }
    if (c.added_modules + c.removed_modules) {
        g_string_append(out, "\n### Modules\n\n");
        for (guint i = 0; i < m->project->modules->len; i++) {
            if (d->module_change[i] == IMPVIZ_CHANGE_SAME)
                continue;
            g_string_append_printf(out, "- %s ", impviz_change_str(d->module_change[i]));
            impviz_markdown_code(out, module_at(m, i)->name);
            g_string_append_c(out, '\n');
        }
    }
    if (c.added_edges + c.removed_edges + c.changed_edges) {
        g_string_append(out, "\n### Imports\n\n");
        for (guint i = 0; i < m->graph->edges->len; i++) {
            const impviz_edge *e = &g_array_index(m->graph->edges, impviz_edge, i);
            if (d->edge_change[i] == IMPVIZ_CHANGE_SAME)
                continue;
            char *arrow = g_strdup_printf("%s -> %s", module_at(m, e->source)->name,
                                          module_at(m, e->target)->name);
            g_string_append_printf(out, "- %s ", impviz_change_str(d->edge_change[i]));
            impviz_markdown_code(out, arrow);
            if (d->edge_change[i] == IMPVIZ_CHANGE_KIND)
                g_string_append_printf(out, " (%s -> %s)\n", impviz_kind_str(d->edge_old_kind[i]),
                                       impviz_kind_str(e->kind));
            else
                g_string_append_printf(out, " (%s)\n", impviz_kind_str(e->kind));
            g_free(arrow);
        }
    }
}

GString *impviz_diff_report(const impviz_diff *d, impviz_format format)
{
    GString *out = g_string_new(NULL);
    if (format == IMPVIZ_FORMAT_JSON)
        json_report(out, d);
    else if (format == IMPVIZ_FORMAT_MARKDOWN)
        md_report(out, d);
    else
        text_report(out, d);
    return out;
}
