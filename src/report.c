/* SPDX-License-Identifier: MIT */
/*
 * report.c - the analysis as text for people and as JSON for programs.
 *
 * Reads an impviz_analysis and writes nothing but the returned string. Every list is emitted in
 * a fixed order (modules by name, imports by source and line, components by first member) and
 * paths are relative to their import root, so the same project gives the same bytes anywhere.
 */
#include "impviz.h"

#include "json_stream.h"
#include <string.h>

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

static const impviz_ref *ref_at(const impviz_analysis *a, guint i)
{
    return &g_array_index(a->refs, impviz_ref, i);
}

/* The first import record behind an edge with a kind in mask (they are in source order). */
static const impviz_ref *edge_first_ref(const impviz_analysis *a, const impviz_edge *e, guint mask)
{
    for (guint i = 0; i < e->count; i++) {
        const impviz_ref *r = ref_at(a, e->refs[i]);
        if (mask & (1u << r->import->kind))
            return r;
    }
    return NULL;
}

static const char *target_name(const impviz_analysis *a, const impviz_ref *r)
{
    if (r->target >= 0)
        return module_at(a, (guint)r->target)->name;
    return r->external;
}

static const char *external_class(const impviz_ref *r)
{
    switch (r->cls) {
    case IMPVIZ_TARGET_STDLIB:
        return "stdlib";
    case IMPVIZ_TARGET_THIRD_PARTY:
        return "third_party";
    default:
        return NULL;
    }
}

void impviz_text_escape(GString *out, const char *s)
{
    const char *end = s + strlen(s);
    while (s < end) {
        const char *bad = NULL;
        g_utf8_validate_len(s, (gsize)(end - s), &bad);
        for (; s < bad; s++) {
            guchar c = (guchar)*s;
            if (c == '\n')
                g_string_append(out, "\\n");
            else if (c == '\t')
                g_string_append(out, "\\t");
            else if (c == '\r')
                g_string_append(out, "\\r");
            else if (c < 0x20 || c == 0x7f)
                g_string_append_printf(out, "\\x%02x", c);
            else
                g_string_append_c(out, (char)c);
        }
        if (s < end) /* a byte that is not UTF-8 */
            g_string_append_printf(out, "\\x%02x", (guchar)*s++);
    }
}

/* ---- chains ------------------------------------------------------------------------------- */

static const guint EAGER_MASK = 1u << IMPVIZ_EAGER;
static const guint RUNTIME_MASK =
    (1u << IMPVIZ_EAGER) | (1u << IMPVIZ_DEFERRED) | (1u << IMPVIZ_LAZY);

/* Appends "  a -> b -> a" and one "path:line: statement" line per step of the shortest cycle. */
static void text_cycle(GString *out, const impviz_analysis *a, const GArray *comp, guint mask)
{
    GArray *cycle = impviz_graph_shortest_cycle(a->graph, comp, mask);
    if (!cycle)
        return;
    g_string_append(out, "    ");
    for (guint i = 0; i < cycle->len; i++)
        g_string_append_printf(out, "%s%s", i ? " -> " : "",
                               module_at(a, g_array_index(cycle, guint, i))->name);
    g_string_append_c(out, '\n');
    for (guint i = 0; i + 1 < cycle->len; i++) {
        guint s = g_array_index(cycle, guint, i), t = g_array_index(cycle, guint, i + 1);
        const impviz_edge *e = impviz_graph_edge(a->graph, s, t);
        const impviz_ref *r = edge_first_ref(a, e, mask);
        g_string_append(out, "      ");
        impviz_text_escape(out, module_at(a, s)->path);
        g_string_append_printf(out, ":%u: ", r->import->line);
        impviz_text_escape(out, r->import->statement);
        if (r->import->kind != IMPVIZ_EAGER)
            g_string_append_printf(out, "  # %s", impviz_kind_str(r->import->kind));
        g_string_append_c(out, '\n');
    }
    g_array_unref(cycle);
}

/* ---- diagnosis: predicted errors and suggested fixes ------------------------------------- */

/* Appends a statement, cut to a readable length (a 40-name import is one line in the text;
 * the JSON keeps it whole). */
static void append_statement(GString *out, const char *statement)
{
    const glong max = 100;
    if (!statement)
        return;
    if (g_utf8_strlen(statement, -1) <= max) {
        g_string_append(out, statement);
        return;
    }
    const char *end = g_utf8_offset_to_pointer(statement, max - 3);
    g_string_append_len(out, statement, end - statement);
    g_string_append(out, "...");
}

static void text_chain(GString *out, const impviz_analysis *a, const GArray *chain)
{
    for (guint i = 0; i < chain->len; i++) {
        const impviz_frame *f = &g_array_index(chain, impviz_frame, i);
        g_string_append_printf(out, "      %s:%u: ", module_at(a, f->module)->path, f->line);
        append_statement(out, f->statement);
        g_string_append_c(out, '\n');
    }
}

/* One entry point's outcome; on a cycle, no error today is still fragile. */
static void text_prediction(GString *out, const impviz_analysis *a, const impviz_prediction *p,
                            const char *indent, bool on_cycle)
{
    const char *assumed = p->assumptions ? " (assuming conditional code runs)" : "";
    if (p->type == IMPVIZ_ERROR_NONE) {
        g_string_append_printf(out, "%simport %s: no error%s%s\n", indent, p->module,
                               on_cycle ? " today" : "", assumed);
        if (on_cycle)
            g_string_append_printf(out,
                                   "%s  warning: fragile, the cycle stays and another entry "
                                   "point or import order can break it\n",
                                   indent);
        return;
    }
    g_string_append_printf(out, "%simport %s fails%s:\n%s  %s: %s\n", indent, p->module, assumed,
                           indent, impviz_error_type_str(p->type), p->message);
    text_chain(out, a, p->chain);
}

static void text_diagnosis(GString *out, const impviz_analysis *a, guint index)
{
    if (!a->diagnosis || index >= a->diagnosis->cycles->len)
        return;
    const impviz_cycle_diagnosis *c = g_ptr_array_index(a->diagnosis->cycles, index);
    g_string_append(out, "    members:");
    for (guint i = 0; i < c->members->len; i++)
        g_string_append_printf(out, "%s %s", i ? "," : "",
                               module_at(a, g_array_index(c->members, guint, i))->name);
    g_string_append_c(out, '\n');
    for (guint i = 0; i < c->entries->len; i++)
        text_prediction(out, a, g_ptr_array_index(c->entries, i), "    ", true);
    if (c->entries_omitted)
        g_string_append_printf(out,
                               "    (%u more members not simulated as entry points: the "
                               "component is too large; try --entry MODULE)\n",
                               c->entries_omitted);
    g_string_append_printf(out,
                           "    to break every import-time cycle here, change %u import%s%s:\n",
                           c->suggestions->len, c->suggestions->len == 1 ? "" : "s",
                           c->minimum ? " (a minimum set)" : "");
    for (guint i = 0; i < c->suggestions->len; i++) {
        const impviz_suggestion *sg = g_ptr_array_index(c->suggestions, i);
        g_string_append_printf(out, "      %s:%u: ", module_at(a, sg->module)->path, sg->line);
        append_statement(out, sg->statement);
        g_string_append_c(out, '\n');
        if (sg->action == IMPVIZ_FIX_DEFER && !sg->functions->len) {
            g_string_append(out, "        defer: no code here uses it; move it where it is "
                                 "needed, or drop it unless it is there for its side effects\n");
        } else if (sg->action == IMPVIZ_FIX_DEFER) {
            g_string_append(out, "        defer: move it into");
            for (guint j = 0; j < sg->functions->len; j++) {
                const impviz_user *u = g_ptr_array_index(sg->functions, j);
                g_string_append_printf(out, "%s %s (line %u)", j ? "," : "", u->function, u->line);
            }
            g_string_append(out, ", the only code that uses it\n");
        } else {
            g_string_append(out, "        restructure: needed at import time (");
            for (guint j = 0; j < sg->names->len; j++)
                g_string_append_printf(out, "%s%s", j ? ", " : "",
                                       (const char *)g_ptr_array_index(sg->names, j));
            g_string_append_printf(out,
                                   "); move the code that combines %s and %s into a third "
                                   "module that imports both\n",
                                   module_at(a, sg->module)->name, module_at(a, sg->target)->name);
        }
    }
}

static guint members_total(const impviz_sccs *s)
{
    guint n = 0;
    for (guint i = 0; i < s->components->len; i++)
        n += ((GArray *)g_ptr_array_index(s->components, i))->len;
    return n;
}

static void text_report(GString *out, const impviz_analysis *a)
{
    guint internal = 0, external = 0, unresolved = 0;
    for (guint i = 0; i < a->refs->len; i++) {
        const impviz_ref *r = ref_at(a, i);
        internal += r->target >= 0;
        external += r->external != NULL;
        unresolved += r->cls == IMPVIZ_TARGET_UNRESOLVED;
    }
    guint modules = a->project->modules->len, edges = a->graph->edges->len;
    g_string_append_printf(out, "%u module%s, %u import%s (%u of project modules, %u external",
                           modules, modules == 1 ? "" : "s", a->n_imports,
                           a->n_imports == 1 ? "" : "s", internal, external);
    if (unresolved)
        g_string_append_printf(out, ", %u unresolved", unresolved);
    g_string_append_printf(out, "), %u edge%s\n", edges, edges == 1 ? "" : "s");

    const impviz_sccs *it = &a->graph->import_time, *rt = &a->graph->runtime;
    if (it->components->len == 0) {
        g_string_append(out, "no import-time cycle\n");
    } else {
        g_string_append_printf(out, "%u import-time cycle%s (%u modules):\n", it->components->len,
                               it->components->len == 1 ? "" : "s", members_total(it));
        for (guint i = 0; i < it->components->len; i++) {
            const GArray *c = g_ptr_array_index(it->components, i);
            g_string_append_printf(out, "  cycle %u: %u modules\n", i + 1, c->len);
            text_cycle(out, a, c, EAGER_MASK);
            text_diagnosis(out, a, i);
        }
    }
    /* runtime components that hold no import-time component only cycle through deferred code */
    guint shown = 0;
    for (guint i = 0; i < rt->components->len; i++) {
        const GArray *c = g_ptr_array_index(rt->components, i);
        bool has_import_time = false;
        for (guint j = 0; j < c->len && !has_import_time; j++)
            has_import_time = it->component_of[g_array_index(c, guint, j)] >= 0;
        if (has_import_time)
            continue;
        if (!shown++)
            g_string_append(out, "runtime-only cycles (through deferred or lazy imports; they do "
                                 "not run at import time):\n");
        g_string_append_printf(out, "  runtime cycle %u: %u modules\n", shown, c->len);
        text_cycle(out, a, c, RUNTIME_MASK);
    }
    g_string_append_printf(out, "%u modules on runtime cycles, %u on import-time cycles\n",
                           members_total(rt), members_total(it));
    if (a->entry) {
        g_string_append(out, "entry point:\n");
        text_prediction(out, a, a->entry, "  ", false);
    }
}

/* ---- JSON ------------------------------------------------------------------------------- */

/* Written through a stream as the analysis is walked, never held as one tree: see json_stream.h.
 * Names, paths and statements belong to the analysis and outlive the stream, so their encodings
 * are kept and reused ("kept"); one-off text (messages, function names) is encoded each time. */

static void json_prediction(impviz_json_stream *s, const char *key, const impviz_analysis *a,
                            const impviz_prediction *p)
{
    impviz_json_stream_object(s, key);
    impviz_json_stream_string(s, "module", p->module);
    if (p->type == IMPVIZ_ERROR_NONE) {
        impviz_json_stream_null(s, "error");
    } else {
        const impviz_frame *last = &g_array_index(p->chain, impviz_frame, p->chain->len - 1);
        impviz_json_stream_object(s, "error");
        impviz_json_stream_kept(s, "type", impviz_error_type_str(p->type));
        impviz_json_stream_string(s, "message", p->message);
        impviz_json_stream_kept(s, "path", module_at(a, last->module)->path);
        impviz_json_stream_int(s, "line", last->line);
        impviz_json_stream_array(s, "chain");
        for (guint i = 0; i < p->chain->len; i++) {
            const impviz_frame *f = &g_array_index(p->chain, impviz_frame, i);
            impviz_json_stream_object(s, NULL);
            impviz_json_stream_kept(s, "module", module_at(a, f->module)->name);
            impviz_json_stream_kept(s, "path", module_at(a, f->module)->path);
            impviz_json_stream_int(s, "line", f->line);
            impviz_json_stream_kept(s, "statement", f->statement ? f->statement : "");
            impviz_json_stream_end(s);
        }
        impviz_json_stream_end(s);
        impviz_json_stream_bool(s, "assumptions", p->assumptions);
        impviz_json_stream_end(s);
    }
    impviz_json_stream_bool(s, "assumptions", p->assumptions);
    impviz_json_stream_end(s);
}

static void json_suggestion(impviz_json_stream *s, const impviz_analysis *a,
                            const impviz_suggestion *sg)
{
    impviz_json_stream_object(s, NULL);
    impviz_json_stream_kept(s, "path", module_at(a, sg->module)->path);
    impviz_json_stream_int(s, "line", sg->line);
    impviz_json_stream_kept(s, "statement", sg->statement);
    impviz_json_stream_kept(s, "action", impviz_fix_action_str(sg->action));
    if (sg->action == IMPVIZ_FIX_DEFER) {
        impviz_json_stream_array(s, "functions");
        for (guint k = 0; k < sg->functions->len; k++) {
            const impviz_user *u = g_ptr_array_index(sg->functions, k);
            impviz_json_stream_object(s, NULL);
            impviz_json_stream_string(s, "name", u->function);
            impviz_json_stream_int(s, "line", u->line);
            impviz_json_stream_end(s);
        }
        impviz_json_stream_end(s);
    }
    impviz_json_stream_array(s, "names");
    for (guint k = 0; k < sg->names->len; k++)
        impviz_json_stream_string(s, NULL, g_ptr_array_index(sg->names, k));
    impviz_json_stream_end(s);
    impviz_json_stream_end(s);
}

static void json_cycles(impviz_json_stream *s, const impviz_analysis *a)
{
    impviz_json_stream_array(s, "cycles");
    for (guint i = 0; i < a->diagnosis->cycles->len; i++) {
        const impviz_cycle_diagnosis *c = g_ptr_array_index(a->diagnosis->cycles, i);
        impviz_json_stream_object(s, NULL);
        impviz_json_stream_array(s, "members");
        for (guint j = 0; j < c->members->len; j++)
            impviz_json_stream_kept(s, NULL,
                                    module_at(a, g_array_index(c->members, guint, j))->name);
        impviz_json_stream_end(s);
        impviz_json_stream_array(s, "cycle");
        for (guint j = 0; j < c->cycle->len; j++) {
            const impviz_step *st = &g_array_index(c->cycle, impviz_step, j);
            impviz_json_stream_object(s, NULL);
            impviz_json_stream_kept(s, "path", module_at(a, st->source)->path);
            impviz_json_stream_int(s, "line", st->import->line);
            impviz_json_stream_kept(s, "statement", st->import->statement);
            impviz_json_stream_kept(s, "source", module_at(a, st->source)->name);
            impviz_json_stream_kept(s, "target", module_at(a, st->target)->name);
            impviz_json_stream_end(s);
        }
        impviz_json_stream_end(s);
        impviz_json_stream_array(s, "entries");
        for (guint j = 0; j < c->entries->len; j++)
            json_prediction(s, NULL, a, g_ptr_array_index(c->entries, j));
        impviz_json_stream_end(s);
        if (c->entries_omitted)
            impviz_json_stream_int(s, "entries_omitted", c->entries_omitted);
        impviz_json_stream_array(s, "suggestions");
        for (guint j = 0; j < c->suggestions->len; j++)
            json_suggestion(s, a, g_ptr_array_index(c->suggestions, j));
        impviz_json_stream_end(s);
        impviz_json_stream_bool(s, "minimum", c->minimum);
        impviz_json_stream_end(s);
    }
    impviz_json_stream_end(s);
}

static void json_components(impviz_json_stream *s, const char *key, const impviz_analysis *a,
                            const impviz_sccs *sccs)
{
    impviz_json_stream_array(s, key);
    for (guint i = 0; i < sccs->components->len; i++) {
        const GArray *c = g_ptr_array_index(sccs->components, i);
        impviz_json_stream_array(s, NULL);
        for (guint j = 0; j < c->len; j++)
            impviz_json_stream_kept(s, NULL, module_at(a, g_array_index(c, guint, j))->name);
        impviz_json_stream_end(s);
    }
    impviz_json_stream_end(s);
}

/* Import records in (source name, line, target, statement) order. */
static gint ref_order(gconstpointer x, gconstpointer y, gpointer data)
{
    const impviz_analysis *a = data;
    const impviz_ref *r = ref_at(a, *(const guint *)x), *s = ref_at(a, *(const guint *)y);
    if (r->source != s->source)
        return r->source < s->source ? -1 : 1;
    if (r->import->line != s->import->line)
        return r->import->line < s->import->line ? -1 : 1;
    /* the same pointer is the same text: no compare (records of one import statement share its
     * text, and a generated statement can run to hundreds of names) */
    const char *rt = target_name(a, r), *st = target_name(a, s);
    gint c = rt == st ? 0 : g_strcmp0(rt, st);
    if (c)
        return c;
    if (r->import->statement != s->import->statement)
        c = strcmp(r->import->statement, s->import->statement);
    if (c)
        return c;
    return *(const guint *)x < *(const guint *)y ? -1 : 1;
}

/* Sorts order (every record's index, in record order) by ref_order. Resolve gives the records
 * by source and, within a file, mostly by line: when no record comes before one of an earlier
 * source or line, only the records of one source line are sorted, among themselves. */
static void sort_refs(const impviz_analysis *a, guint *order)
{
    guint n = a->refs->len;
    for (guint i = 1; i < n; i++) {
        const impviz_ref *p = ref_at(a, i - 1), *r = ref_at(a, i);
        if (p->source > r->source ||
            (p->source == r->source && p->import->line > r->import->line)) {
            g_qsort_with_data(order, (gint)n, sizeof(guint), ref_order, (gpointer)a);
            return;
        }
    }
    for (guint start = 0, end; start < n; start = end) {
        const impviz_ref *first = ref_at(a, start);
        for (end = start + 1; end < n; end++) {
            const impviz_ref *r = ref_at(a, end);
            if (r->source != first->source || r->import->line != first->import->line)
                break;
        }
        if (end - start > 1)
            g_qsort_with_data(order + start, (gint)(end - start), sizeof(guint), ref_order,
                              (gpointer)a);
    }
}

static void json_imports(impviz_json_stream *s, const impviz_analysis *a)
{
    guint *order = g_new(guint, a->refs->len + 1);
    for (guint i = 0; i < a->refs->len; i++)
        order[i] = i;
    sort_refs(a, order);
    impviz_json_stream_array(s, "imports");
    for (guint k = 0; k < a->refs->len; k++) {
        const impviz_ref *r = ref_at(a, order[k]);
        const char *target = target_name(a, r), *ext = external_class(r);
        impviz_json_stream_object(s, NULL);
        impviz_json_stream_kept(s, "source", module_at(a, r->source)->name);
        if (target)
            impviz_json_stream_kept(s, "target", target);
        else
            impviz_json_stream_null(s, "target");
        impviz_json_stream_int(s, "line", r->import->line);
        impviz_json_stream_kept(s, "kind", impviz_kind_str(r->import->kind));
        if (ext)
            impviz_json_stream_kept(s, "external", ext);
        else
            impviz_json_stream_bool(s, "external", false);
        impviz_json_stream_kept(s, "statement", r->import->statement);
        impviz_json_stream_bool(s, "dynamic", r->import->flags & IMPVIZ_IMPORT_DYNAMIC);
        impviz_json_stream_bool(s, "conditional", r->import->flags & IMPVIZ_IMPORT_CONDITIONAL);
        if (r->cls == IMPVIZ_TARGET_UNRESOLVED)
            impviz_json_stream_bool(s, "unresolved", true);
        impviz_json_stream_end(s);
    }
    impviz_json_stream_end(s);
    g_free(order);
}

static void json_report(impviz_json_stream *s, const impviz_analysis *a)
{
    impviz_json_stream_int(s, "schema", 1);

    impviz_json_stream_array(s, "modules");
    for (guint i = 0; i < a->project->modules->len; i++) {
        const impviz_module *m = module_at(a, i);
        impviz_json_stream_object(s, NULL);
        impviz_json_stream_kept(s, "name", m->name);
        impviz_json_stream_kept(s, "path", m->path);
        impviz_json_stream_bool(s, "is_package", m->is_package);
        impviz_json_stream_end(s);
    }
    impviz_json_stream_end(s);

    json_imports(s, a);

    impviz_json_stream_array(s, "edges");
    for (guint i = 0; i < a->graph->edges->len; i++) {
        const impviz_edge *e = &g_array_index(a->graph->edges, impviz_edge, i);
        impviz_json_stream_object(s, NULL);
        impviz_json_stream_kept(s, "source", module_at(a, e->source)->name);
        impviz_json_stream_kept(s, "target", module_at(a, e->target)->name);
        impviz_json_stream_kept(s, "kind", impviz_kind_str(e->kind));
        impviz_json_stream_int(s, "count", e->count);
        impviz_json_stream_end(s);
    }
    impviz_json_stream_end(s);

    impviz_json_stream_object(s, "sccs");
    json_components(s, "import_time", a, &a->graph->import_time);
    json_components(s, "runtime", a, &a->graph->runtime);
    impviz_json_stream_end(s);
    if (a->diagnosis)
        json_cycles(s, a);
    if (a->entry)
        json_prediction(s, "entry", a, a->entry);
}

/* ---- the view as JSON: what a picture draws -------------------------------------------- */

static void json_kinds(impviz_json_stream *s, guint kinds)
{
    impviz_json_stream_array(s, "kinds");
    for (impviz_kind k = 0; k < IMPVIZ_KIND_COUNT; k++)
        if (kinds & (1u << k))
            impviz_json_stream_kept(s, NULL, impviz_kind_str(k));
    impviz_json_stream_end(s);
}

/* {"reversed", "hidden_modules", "nodes": [{"id", "name", "type", "label", "package", "modules",
 * "in_cycle", "in_runtime_cycle"}], "edges": [{"source", "target", "kind", "kinds", "count",
 * "statements", "cycle", "runtime_cycle"}]}; edges name their ends by node id ("m:pkg.a", "p:pkg",
 * "x:os"). ids holds the node ids, kept in the stream: the caller frees it after the stream. */
static void json_view(impviz_json_stream *s, const impviz_view *v, GPtrArray *ids)
{
    impviz_json_stream_object(s, "view");
    impviz_json_stream_bool(s, "reversed", v->reversed);
    impviz_json_stream_int(s, "hidden_modules", v->hidden_modules);
    impviz_json_stream_array(s, "nodes");
    for (guint k = 0; k < v->nodes->len; k++) {
        const impviz_view_node *n = g_ptr_array_index(v->nodes, k);
        char *id = impviz_view_node_id(n);
        g_ptr_array_add(ids, id);
        impviz_json_stream_object(s, NULL);
        impviz_json_stream_kept(s, "id", id);
        impviz_json_stream_kept(s, "name", n->name);
        impviz_json_stream_kept(s, "type", impviz_node_type_str(n->type));
        impviz_json_stream_kept(s, "label", n->label);
        impviz_json_stream_kept(s, "package", n->package);
        impviz_json_stream_int(s, "modules", n->modules->len);
        impviz_json_stream_bool(s, "in_cycle", n->component >= 0);
        impviz_json_stream_bool(s, "in_runtime_cycle", n->runtime_component >= 0);
        impviz_json_stream_end(s);
    }
    impviz_json_stream_end(s);
    impviz_json_stream_array(s, "edges");
    for (guint k = 0; k < v->edges->len; k++) {
        const impviz_view_edge *e = &g_array_index(v->edges, impviz_view_edge, k);
        impviz_json_stream_object(s, NULL);
        impviz_json_stream_kept(s, "source", g_ptr_array_index(ids, e->source));
        impviz_json_stream_kept(s, "target", g_ptr_array_index(ids, e->target));
        impviz_json_stream_kept(s, "kind", impviz_kind_str(e->kind));
        json_kinds(s, e->kinds);
        impviz_json_stream_int(s, "count", e->count);
        impviz_json_stream_int(s, "statements", e->statements);
        impviz_json_stream_bool(s, "cycle", e->cycle);
        impviz_json_stream_bool(s, "runtime_cycle", e->runtime_cycle);
        impviz_json_stream_end(s);
    }
    impviz_json_stream_end(s);
    impviz_json_stream_end(s);
}

GString *impviz_report(const impviz_analysis *a, impviz_format format, bool verbose)
{
    return impviz_report_with_view(a, NULL, format, verbose);
}

/* The JSON document's first part, everything but the view, into s. */
static void json_begin(impviz_json_stream *s, const impviz_analysis *a)
{
    impviz_json_stream_object(s, NULL);
    json_report(s, a);
}

/* The JSON document's last part into s (freed here), and the line break after it into out, the
 * stream's buffer. */
static void json_finish(impviz_json_stream *s, GString *out, const impviz_view *view)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free); /* outlives the stream */
    if (view)
        json_view(s, view, ids);
    impviz_json_stream_end(s);
    impviz_json_stream_free(s);
    g_ptr_array_unref(ids);
    g_string_append_c(out, '\n');
}

/* The whole JSON document into s (freed here), and the line break after it into out. */
static void json_document(impviz_json_stream *s, GString *out, const impviz_analysis *a,
                          const impviz_view *view)
{
    json_begin(s, a);
    json_finish(s, out, view);
}

GString *impviz_report_with_view(const impviz_analysis *a, const impviz_view *view,
                                 impviz_format format, bool verbose)
{
    (void)verbose;
    GString *out = g_string_new(NULL);
    if (format == IMPVIZ_FORMAT_JSON)
        json_document(impviz_json_stream_new(out), out, a, view);
    else
        text_report(out, a);
    return out;
}

/* The buffer a report goes out through: 256 KiB, a power of two with the NUL, so GString
 * allocates no more. */
#define OUTPUT_BUFFER (256 * 1024 - 1)

static void drain_to_output(GString *out, gpointer output)
{
    impviz_output_append(output, out->str, out->len);
    g_string_truncate(out, 0);
}

struct impviz_report_writer {
    impviz_output *output;
    GString *out;
    impviz_json_stream *json; /* NULL for text */
};

impviz_report_writer *impviz_report_begin(impviz_output *output, const impviz_analysis *a,
                                          impviz_format format)
{
    impviz_report_writer *w = g_new0(impviz_report_writer, 1);
    w->output = output;
    if (format == IMPVIZ_FORMAT_JSON) {
        w->out = g_string_sized_new(OUTPUT_BUFFER);
        w->json = impviz_json_stream_new_drained(w->out, drain_to_output, output);
        json_begin(w->json, a);
    } else {
        w->out = g_string_new(NULL);
        text_report(w->out, a);
    }
    return w;
}

void impviz_report_finish(impviz_report_writer *w, const impviz_view *view)
{
    if (w->json)
        json_finish(w->json, w->out, view);
    impviz_output_append(w->output, w->out->str, w->out->len);
    g_string_free(w->out, TRUE);
    g_free(w);
}

void impviz_report_write(impviz_output *output, const impviz_analysis *a, const impviz_view *view,
                         impviz_format format)
{
    impviz_report_finish(impviz_report_begin(output, a, format), view);
}
