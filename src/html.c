/* SPDX-License-Identifier: MIT */
/*
 * html.c - -T html: one self-contained interactive page.
 *
 * The page is the SVG that render.c draws, inline, plus a JSON block with what the script needs
 * (the view's nodes and edges with their import statements, a chain for every cycle, and the
 * whole -T json report, so anything later added there, such as diagnosed cycles with their
 * suggestions, reaches the page), plus src/html/viewer.{js,css}, compiled in. Nothing is fetched:
 * the page works from a file with no network. The JSON is written with every '/' and '<'
 * escaped, so no text from the analysed code can close or confuse the <script> element it sits
 * in; the script puts text into the page with textContent only.
 */
#include "impviz.h"

#include <jansson.h>
#include <string.h>

extern const char impviz_viewer_js[];
extern const char impviz_viewer_css[];

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static json_t *jstr(const char *s)
{
    if (g_utf8_validate(s, -1, NULL))
        return json_string(s);
    char *valid = g_utf8_make_valid(s, -1);
    json_t *j = json_string(valid);
    g_free(valid);
    return j;
}

static json_t *jindex(gint i)
{
    return i >= 0 ? json_integer(i) : json_null();
}

static json_t *json_statement(const impviz_analysis *a, guint ref)
{
    const impviz_ref *r = &g_array_index(a->refs, impviz_ref, ref);
    json_t *o = json_object();
    json_object_set_new(o, "path", jstr(module_at(a, r->source)->path));
    json_object_set_new(o, "line", json_integer(r->import->line));
    json_object_set_new(o, "statement", jstr(r->import->statement));
    json_object_set_new(o, "kind", jstr(impviz_kind_str(r->import->kind)));
    return o;
}

static json_t *json_nodes(const impviz_analysis *a, const impviz_view *v, const char *link)
{
    json_t *list = json_array();
    for (guint k = 0; k < v->nodes->len; k++) {
        const impviz_view_node *n = g_ptr_array_index(v->nodes, k);
        json_t *o = json_object(), *members = json_array();
        char *id = impviz_view_node_id(n), *path = NULL, *url = NULL;
        if (n->type == IMPVIZ_NODE_MODULE) {
            const impviz_module *m = module_at(a, g_array_index(n->modules, guint, 0));
            path = g_strdup(m->path);
        } else if (n->type == IMPVIZ_NODE_COLLAPSED) {
            path = g_strdelimit(g_strdup(n->name), ".", '/');
        }
        if (path && link)
            url = impviz_link_expand(link, path, 1, n->name);
        for (guint i = 0; i < n->modules->len; i++)
            json_array_append_new(members,
                                  jstr(module_at(a, g_array_index(n->modules, guint, i))->name));
        json_object_set_new(o, "id", jstr(id));
        json_object_set_new(o, "name", jstr(n->name));
        json_object_set_new(o, "type", jstr(impviz_node_type_str(n->type)));
        json_object_set_new(o, "path", path ? jstr(path) : json_null());
        json_object_set_new(o, "link", url ? jstr(url) : json_null());
        json_object_set_new(o, "modules", members);
        json_object_set_new(o, "component", jindex(n->component));
        json_object_set_new(o, "runtime_component", jindex(n->runtime_component));
        json_array_append_new(list, o);
        g_free(id);
        g_free(path);
        g_free(url);
    }
    return list;
}

static json_t *json_edges(const impviz_analysis *a, const impviz_view *v)
{
    json_t *list = json_array();
    for (guint k = 0; k < v->edges->len; k++) {
        const impviz_view_edge *e = &g_array_index(v->edges, impviz_view_edge, k);
        char *id = impviz_view_edge_id(v, e);
        char *s = impviz_view_node_id(g_ptr_array_index(v->nodes, e->source));
        char *t = impviz_view_node_id(g_ptr_array_index(v->nodes, e->target));
        json_t *o = json_object(), *stmts = json_array();
        for (guint i = 0; i < e->refs->len; i++) {
            guint ref = g_array_index(e->refs, guint, i);
            if (!impviz_view_same_statement(a, e->refs, i, ref)) /* one line per statement */
                json_array_append_new(stmts, json_statement(a, ref));
        }
        json_object_set_new(o, "id", jstr(id));
        json_object_set_new(o, "source", jstr(s));
        json_object_set_new(o, "target", jstr(t));
        json_object_set_new(o, "kind", jstr(impviz_kind_str(e->kind)));
        json_object_set_new(o, "count", json_integer(e->count));
        json_object_set_new(o, "cycle", json_boolean(e->cycle));
        json_object_set_new(o, "runtime_cycle", json_boolean(e->runtime_cycle));
        json_object_set_new(o, "statements", stmts);
        json_array_append_new(list, o);
        g_free(id);
        g_free(s);
        g_free(t);
    }
    return list;
}

/* One chain per component: the shortest cycle through it, each step with its first import of a
 * kind in mask; "nodes" are the view nodes its members are drawn as. */
static json_t *json_chain(const impviz_analysis *a, const GArray *comp, guint mask,
                          const char *kind, GHashTable *node_of)
{
    json_t *o = json_object(), *members = json_array(), *steps = json_array();
    json_t *nodes = json_array();
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint j = 0; j < comp->len; j++) {
        guint m = g_array_index(comp, guint, j);
        json_array_append_new(members, jstr(module_at(a, m)->name));
        const char *id = g_hash_table_lookup(node_of, GUINT_TO_POINTER(m + 1));
        if (id && g_hash_table_add(seen, (gpointer)id))
            json_array_append_new(nodes, jstr(id));
    }
    g_hash_table_unref(seen);
    GArray *cycle = impviz_graph_shortest_cycle(a->graph, comp, mask);
    for (guint i = 0; cycle && i + 1 < cycle->len; i++) {
        guint s = g_array_index(cycle, guint, i), t = g_array_index(cycle, guint, i + 1);
        const impviz_edge *e = impviz_graph_edge(a->graph, s, t);
        for (guint r = 0; e && r < e->count; r++) {
            guint ref = e->refs[r];
            if (!(mask & (1u << g_array_index(a->refs, impviz_ref, ref).import->kind)))
                continue;
            json_t *step = json_statement(a, ref);
            json_object_set_new(step, "source", jstr(module_at(a, s)->name));
            json_object_set_new(step, "target", jstr(module_at(a, t)->name));
            json_array_append_new(steps, step);
            break;
        }
    }
    if (cycle)
        g_array_unref(cycle);
    json_object_set_new(o, "kind", jstr(kind));
    json_object_set_new(o, "members", members);
    json_object_set_new(o, "nodes", nodes);
    json_object_set_new(o, "steps", steps);
    return o;
}

static json_t *json_chains(const impviz_analysis *a, const impviz_view *v)
{
    const guint eager = 1u << IMPVIZ_EAGER;
    const guint runtime = eager | (1u << IMPVIZ_DEFERRED) | (1u << IMPVIZ_LAZY);
    GHashTable *node_of = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    for (guint k = 0; k < v->nodes->len; k++) {
        const impviz_view_node *n = g_ptr_array_index(v->nodes, k);
        for (guint i = 0; i < n->modules->len; i++)
            g_hash_table_insert(node_of, GUINT_TO_POINTER(g_array_index(n->modules, guint, i) + 1),
                                impviz_view_node_id(n));
    }
    json_t *list = json_array();
    const impviz_sccs *it = &a->graph->import_time, *rt = &a->graph->runtime;
    for (guint i = 0; i < it->components->len; i++)
        json_array_append_new(list, json_chain(a, g_ptr_array_index(it->components, i), eager,
                                               "import-time", node_of));
    for (guint i = 0; i < rt->components->len; i++) {
        const GArray *c = g_ptr_array_index(rt->components, i);
        bool has_import_time = false;
        for (guint j = 0; j < c->len && !has_import_time; j++)
            has_import_time = it->component_of[g_array_index(c, guint, j)] >= 0;
        if (!has_import_time)
            json_array_append_new(list, json_chain(a, c, runtime, "runtime", node_of));
    }
    g_hash_table_unref(node_of);
    return list;
}

/* "pkg, other": the top-level packages and modules of the project, at most three. */
static char *page_title(const impviz_analysis *a)
{
    GString *t = g_string_new(NULL);
    guint shown = 0, total = 0;
    for (guint i = 0; i < a->project->modules->len; i++) {
        const char *name = module_at(a, i)->name;
        if (strchr(name, '.'))
            continue;
        if (total++ < 3)
            g_string_append_printf(t, "%s%s", shown++ ? ", " : "", name);
    }
    if (total > 3)
        g_string_append_printf(t, " and %u more", total - 3);
    return g_string_free(t, FALSE);
}

static json_t *page_data(const impviz_analysis *a, const impviz_view *v, const char *link)
{
    json_t *root = json_object();
    char *summary = g_strdup_printf(
        "%u modules, %u imports; %u drawn as %u nodes and %u edges", a->project->modules->len,
        a->n_imports, a->project->modules->len - v->hidden_modules, v->nodes->len, v->edges->len);
    json_object_set_new(root, "summary", jstr(summary));
    g_free(summary);
    json_object_set_new(root, "reversed", json_boolean(v->reversed));
    json_object_set_new(root, "nodes", json_nodes(a, v, link));
    json_object_set_new(root, "edges", json_edges(a, v));
    json_object_set_new(root, "chains", json_chains(a, v));
    GString *report = impviz_report_with_view(a, NULL, IMPVIZ_FORMAT_JSON, false);
    json_t *parsed = json_loadb(report->str, report->len, 0, NULL);
    g_string_free(report, TRUE);
    json_object_set_new(root, "report", parsed ? parsed : json_null());
    return root;
}

impviz_status impviz_html(const impviz_analysis *a, const impviz_render_opts *opts,
                          impviz_diags *diags, GBytes **out)
{
    *out = NULL;
    impviz_view *own_view = NULL;
    if (!opts->view) {
        impviz_view_opts vopts = {.externals = opts->externals ? IMPVIZ_EXTERNALS_TOP
                                                               : IMPVIZ_EXTERNALS_NONE};
        impviz_view_new(a, &vopts, diags, &own_view);
    }
    impviz_render_opts ropts = *opts;
    ropts.view = opts->view ? opts->view : own_view;
    impviz_theme *own_theme = opts->theme ? NULL : impviz_theme_new();
    const impviz_theme *t = opts->theme ? opts->theme : own_theme;
    GBytes *svg = NULL;
    impviz_status status = impviz_render(a, &ropts, IMPVIZ_FORMAT_SVG, diags, &svg);
    if (status != IMPVIZ_OK)
        goto cleanup;

    gsize svg_len;
    const char *svg_text = g_bytes_get_data(svg, &svg_len);
    const char *svg_start = g_strstr_len(svg_text, (gssize)svg_len, "<svg");
    if (!svg_start)
        svg_start = svg_text + svg_len;
    json_t *data = page_data(a, ropts.view, opts->link);
    char *json = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII |
                                      JSON_ESCAPE_SLASH);
    json_decref(data);
    char *title = page_title(a), *title_html = g_markup_escape_text(title, -1);

    GString *page = g_string_sized_new(svg_len + strlen(json) + 32768);
    g_string_append_printf(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"impviz %s\">\n"
        "<title>impviz: %s</title>\n<style>\n:root { --bg: %s; --fg: %s; "
        "--line: %s; --muted: %s; --accent: %s; --hover: rgba(128,128,128,.18); "
        "}\n%s</style>\n</head>\n<body>\n",
        IMPVIZ_VERSION, title_html, t->background, t->module_text, t->legend_border, t->legend_text,
        t->cycle, impviz_viewer_css);
    g_string_append_printf(
        page,
        "<header><h1>impviz: %s</h1>"
        "<input id=\"search\" type=\"search\" placeholder=\"search modules\" "
        "aria-label=\"search modules\" autocomplete=\"off\">"
        "<span id=\"count\" class=\"count\"></span>"
        "<button id=\"zoom-in\" title=\"zoom in\">+</button>"
        "<button id=\"zoom-out\" title=\"zoom out\">&#8722;</button>"
        "<button id=\"zoom-fit\" title=\"fit the whole graph\">fit</button></header>\n"
        "<main><div id=\"graph\">\n",
        title_html);
    g_string_append_len(page, svg_start, (gssize)(svg_text + svg_len - svg_start));
    g_string_append(page, "</div>\n<aside id=\"panel\" aria-live=\"polite\"></aside></main>\n"
                          "<script type=\"application/json\" id=\"impviz-data\">");
    for (const char *c = json; *c; c++) { /* "<" only occurs inside strings */
        if (*c == '<')
            g_string_append(page, "\\u003c");
        else
            g_string_append_c(page, *c);
    }
    g_string_append(page, "</script>\n<script>\n");
    g_string_append(page, impviz_viewer_js);
    g_string_append(page, "</script>\n</body>\n</html>\n");
    *out = g_bytes_new(page->str, page->len);
    g_string_free(page, TRUE);
    g_free(title);
    g_free(title_html);
    free(json);
cleanup:
    if (svg)
        g_bytes_unref(svg);
    impviz_theme_free(own_theme);
    impviz_view_free(own_view);
    return status;
}
