/* SPDX-License-Identifier: MIT */
/*
 * report.c - the analysis as text for people and as JSON for programs.
 *
 * Reads an impviz_analysis and writes nothing but the returned string. Every list is emitted in
 * a fixed order (modules by name, imports by source and line, components by first member) and
 * paths are relative to their import root, so the same project gives the same bytes anywhere.
 */
#include "impviz.h"

#include <jansson.h>
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
    for (guint i = 0; i < e->refs->len; i++) {
        const impviz_ref *r = ref_at(a, g_array_index(e->refs, guint, i));
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
    g_string_append_printf(out, "%u modules, %u imports (%u of project modules, %u external",
                           a->project->modules->len, a->n_imports, internal, external);
    if (unresolved)
        g_string_append_printf(out, ", %u unresolved", unresolved);
    g_string_append_printf(out, "), %u edges\n", a->graph->edges->len);

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

/* A JSON string; bytes that are not UTF-8 (from a file that lied about its encoding) become
 * U+FFFD rather than losing the whole value. */
static json_t *jstr(const char *s)
{
    size_t len = strlen(s);
    if (g_utf8_validate(s, (gssize)len, NULL))
        return json_stringn_nocheck(s, len); /* checked just now */
    char *valid = g_utf8_make_valid(s, -1);
    json_t *j = json_string(valid);
    g_free(valid);
    return j;
}

static json_t *json_prediction(const impviz_analysis *a, const impviz_prediction *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "module", jstr(p->module));
    if (p->type == IMPVIZ_ERROR_NONE) {
        json_object_set_new(o, "error", json_null());
    } else {
        json_t *e = json_object();
        const impviz_frame *last = &g_array_index(p->chain, impviz_frame, p->chain->len - 1);
        json_object_set_new(e, "type", jstr(impviz_error_type_str(p->type)));
        json_object_set_new(e, "message", jstr(p->message));
        json_object_set_new(e, "path", jstr(module_at(a, last->module)->path));
        json_object_set_new(e, "line", json_integer(last->line));
        json_t *chain = json_array();
        for (guint i = 0; i < p->chain->len; i++) {
            const impviz_frame *f = &g_array_index(p->chain, impviz_frame, i);
            json_t *step = json_object();
            json_object_set_new(step, "module", jstr(module_at(a, f->module)->name));
            json_object_set_new(step, "path", jstr(module_at(a, f->module)->path));
            json_object_set_new(step, "line", json_integer(f->line));
            json_object_set_new(step, "statement", jstr(f->statement ? f->statement : ""));
            json_array_append_new(chain, step);
        }
        json_object_set_new(e, "chain", chain);
        json_object_set_new(e, "assumptions", json_boolean(p->assumptions));
        json_object_set_new(o, "error", e);
    }
    json_object_set_new(o, "assumptions", json_boolean(p->assumptions));
    return o;
}

static json_t *json_cycles(const impviz_analysis *a)
{
    json_t *list = json_array();
    for (guint i = 0; i < a->diagnosis->cycles->len; i++) {
        const impviz_cycle_diagnosis *c = g_ptr_array_index(a->diagnosis->cycles, i);
        json_t *o = json_object(), *members = json_array(), *cycle = json_array();
        json_t *entries = json_array(), *suggestions = json_array();
        for (guint j = 0; j < c->members->len; j++)
            json_array_append_new(members,
                                  jstr(module_at(a, g_array_index(c->members, guint, j))->name));
        for (guint j = 0; j < c->cycle->len; j++) {
            const impviz_step *st = &g_array_index(c->cycle, impviz_step, j);
            json_t *step = json_object();
            json_object_set_new(step, "path", jstr(module_at(a, st->source)->path));
            json_object_set_new(step, "line", json_integer(st->import->line));
            json_object_set_new(step, "statement", jstr(st->import->statement));
            json_object_set_new(step, "source", jstr(module_at(a, st->source)->name));
            json_object_set_new(step, "target", jstr(module_at(a, st->target)->name));
            json_array_append_new(cycle, step);
        }
        for (guint j = 0; j < c->entries->len; j++)
            json_array_append_new(entries, json_prediction(a, g_ptr_array_index(c->entries, j)));
        for (guint j = 0; j < c->suggestions->len; j++) {
            const impviz_suggestion *sg = g_ptr_array_index(c->suggestions, j);
            json_t *s = json_object(), *names = json_array();
            json_object_set_new(s, "path", jstr(module_at(a, sg->module)->path));
            json_object_set_new(s, "line", json_integer(sg->line));
            json_object_set_new(s, "statement", jstr(sg->statement));
            json_object_set_new(s, "action", jstr(impviz_fix_action_str(sg->action)));
            if (sg->action == IMPVIZ_FIX_DEFER) {
                json_t *fns = json_array();
                for (guint k = 0; k < sg->functions->len; k++) {
                    const impviz_user *u = g_ptr_array_index(sg->functions, k);
                    json_t *fn = json_object();
                    json_object_set_new(fn, "name", jstr(u->function));
                    json_object_set_new(fn, "line", json_integer(u->line));
                    json_array_append_new(fns, fn);
                }
                json_object_set_new(s, "functions", fns);
            }
            for (guint k = 0; k < sg->names->len; k++)
                json_array_append_new(names, jstr(g_ptr_array_index(sg->names, k)));
            json_object_set_new(s, "names", names);
            json_array_append_new(suggestions, s);
        }
        json_object_set_new(o, "members", members);
        json_object_set_new(o, "cycle", cycle);
        json_object_set_new(o, "entries", entries);
        if (c->entries_omitted)
            json_object_set_new(o, "entries_omitted", json_integer(c->entries_omitted));
        json_object_set_new(o, "suggestions", suggestions);
        json_object_set_new(o, "minimum", json_boolean(c->minimum));
        json_array_append_new(list, o);
    }
    return list;
}

static json_t *json_components(const impviz_analysis *a, const impviz_sccs *s)
{
    json_t *list = json_array();
    for (guint i = 0; i < s->components->len; i++) {
        const GArray *c = g_ptr_array_index(s->components, i);
        json_t *members = json_array();
        for (guint j = 0; j < c->len; j++)
            json_array_append_new(members, jstr(module_at(a, g_array_index(c, guint, j))->name));
        json_array_append_new(list, members);
    }
    return list;
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
    gint c = g_strcmp0(target_name(a, r), target_name(a, s));
    if (c)
        return c;
    c = strcmp(r->import->statement, s->import->statement);
    if (c)
        return c;
    return *(const guint *)x < *(const guint *)y ? -1 : 1;
}

static json_t *json_report(const impviz_analysis *a)
{
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_integer(1));

    json_t *modules = json_array();
    for (guint i = 0; i < a->project->modules->len; i++) {
        const impviz_module *m = module_at(a, i);
        json_t *o = json_object();
        json_object_set_new(o, "name", jstr(m->name));
        json_object_set_new(o, "path", jstr(m->path));
        json_object_set_new(o, "is_package", json_boolean(m->is_package));
        json_array_append_new(modules, o);
    }
    json_object_set_new(root, "modules", modules);

    guint *order = g_new(guint, a->refs->len + 1);
    for (guint i = 0; i < a->refs->len; i++)
        order[i] = i;
    g_qsort_with_data(order, (gint)a->refs->len, sizeof(guint), ref_order, (gpointer)a);
    json_t *imports = json_array();
    for (guint k = 0; k < a->refs->len; k++) {
        const impviz_ref *r = ref_at(a, order[k]);
        const char *target = target_name(a, r), *ext = external_class(r);
        json_t *o = json_object();
        json_object_set_new(o, "source", jstr(module_at(a, r->source)->name));
        json_object_set_new(o, "target", target ? jstr(target) : json_null());
        json_object_set_new(o, "line", json_integer(r->import->line));
        json_object_set_new(o, "kind", jstr(impviz_kind_str(r->import->kind)));
        json_object_set_new(o, "external", ext ? jstr(ext) : json_false());
        json_object_set_new(o, "statement", jstr(r->import->statement));
        json_object_set_new(o, "dynamic", json_boolean(r->import->flags & IMPVIZ_IMPORT_DYNAMIC));
        json_object_set_new(o, "conditional",
                            json_boolean(r->import->flags & IMPVIZ_IMPORT_CONDITIONAL));
        if (r->cls == IMPVIZ_TARGET_UNRESOLVED)
            json_object_set_new(o, "unresolved", json_true());
        json_array_append_new(imports, o);
    }
    g_free(order);
    json_object_set_new(root, "imports", imports);

    json_t *edges = json_array();
    for (guint i = 0; i < a->graph->edges->len; i++) {
        const impviz_edge *e = &g_array_index(a->graph->edges, impviz_edge, i);
        json_t *o = json_object();
        json_object_set_new(o, "source", jstr(module_at(a, e->source)->name));
        json_object_set_new(o, "target", jstr(module_at(a, e->target)->name));
        json_object_set_new(o, "kind", jstr(impviz_kind_str(e->kind)));
        json_object_set_new(o, "count", json_integer(e->count));
        json_array_append_new(edges, o);
    }
    json_object_set_new(root, "edges", edges);

    json_t *sccs = json_object();
    json_object_set_new(sccs, "import_time", json_components(a, &a->graph->import_time));
    json_object_set_new(sccs, "runtime", json_components(a, &a->graph->runtime));
    json_object_set_new(root, "sccs", sccs);
    if (a->diagnosis)
        json_object_set_new(root, "cycles", json_cycles(a));
    if (a->entry)
        json_object_set_new(root, "entry", json_prediction(a, a->entry));
    return root;
}

/* ---- the view as JSON: what a picture draws -------------------------------------------- */

static json_t *json_kinds(guint kinds)
{
    json_t *list = json_array();
    for (impviz_kind k = 0; k < IMPVIZ_KIND_COUNT; k++)
        if (kinds & (1u << k))
            json_array_append_new(list, jstr(impviz_kind_str(k)));
    return list;
}

/* {"reversed", "hidden_modules", "nodes": [{"id", "name", "type", "label", "package", "modules",
 * "in_cycle", "in_runtime_cycle"}], "edges": [{"source", "target", "kind", "kinds", "count",
 * "cycle", "runtime_cycle"}]}; edges name their ends by node id ("m:pkg.a", "p:pkg", "x:os"). */
static json_t *json_view(const impviz_view *v)
{
    json_t *root = json_object();
    json_object_set_new(root, "reversed", json_boolean(v->reversed));
    json_object_set_new(root, "hidden_modules", json_integer(v->hidden_modules));
    json_t *nodes = json_array();
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    for (guint k = 0; k < v->nodes->len; k++) {
        const impviz_view_node *n = g_ptr_array_index(v->nodes, k);
        char *id = impviz_view_node_id(n);
        g_ptr_array_add(ids, id);
        json_t *o = json_object();
        json_object_set_new(o, "id", jstr(id));
        json_object_set_new(o, "name", jstr(n->name));
        json_object_set_new(o, "type", jstr(impviz_node_type_str(n->type)));
        json_object_set_new(o, "label", jstr(n->label));
        json_object_set_new(o, "package", jstr(n->package));
        json_object_set_new(o, "modules", json_integer(n->modules->len));
        json_object_set_new(o, "in_cycle", json_boolean(n->component >= 0));
        json_object_set_new(o, "in_runtime_cycle", json_boolean(n->runtime_component >= 0));
        json_array_append_new(nodes, o);
    }
    json_object_set_new(root, "nodes", nodes);
    json_t *edges = json_array();
    for (guint k = 0; k < v->edges->len; k++) {
        const impviz_view_edge *e = &g_array_index(v->edges, impviz_view_edge, k);
        json_t *o = json_object();
        json_object_set_new(o, "source", jstr(g_ptr_array_index(ids, e->source)));
        json_object_set_new(o, "target", jstr(g_ptr_array_index(ids, e->target)));
        json_object_set_new(o, "kind", jstr(impviz_kind_str(e->kind)));
        json_object_set_new(o, "kinds", json_kinds(e->kinds));
        json_object_set_new(o, "count", json_integer(e->count));
        json_object_set_new(o, "cycle", json_boolean(e->cycle));
        json_object_set_new(o, "runtime_cycle", json_boolean(e->runtime_cycle));
        json_array_append_new(edges, o);
    }
    json_object_set_new(root, "edges", edges);
    g_ptr_array_unref(ids);
    return root;
}

GString *impviz_report(const impviz_analysis *a, impviz_format format, bool verbose)
{
    return impviz_report_with_view(a, NULL, format, verbose);
}

GString *impviz_report_with_view(const impviz_analysis *a, const impviz_view *view,
                                 impviz_format format, bool verbose)
{
    (void)verbose;
    GString *out = g_string_new(NULL);
    if (format == IMPVIZ_FORMAT_JSON) {
        json_t *root = json_report(a);
        if (view)
            json_object_set_new(root, "view", json_view(view));
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        g_string_append(out, text);
        g_string_append_c(out, '\n');
        free(text);
        json_decref(root);
    } else {
        text_report(out, a);
    }
    return out;
}
