/* SPDX-License-Identifier: MIT */
/*
 * mermaid.c - the module graph as a Mermaid flowchart, for .mmd files and Markdown comments.
 *
 * Node ids are generated (m0, m1 ... by module index; p0 ... for package subgraphs), so no name
 * from the code ever reaches Mermaid's syntax; labels are quoted and every character outside a
 * small safe set is written as a Mermaid entity (#34; for "), so quotes, <, &, backticks, | or
 * newlines in a name cannot break the chart or inject markup. Links are emitted in edge order and
 * counted, so each linkStyle names the right link.
 */
#include "impviz.h"

#include <string.h>

#define CYCLE_COLOR "#d62728"
#define RUNTIME_CYCLE_COLOR "#ff7f0e"

/* A quoted Mermaid label: alphanumerics (ASCII), space and "._-/" as they are, the rest as
 * #<code point>; entities. */
static void append_label(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    const char *p = s;
    while (*p) {
        gunichar c = g_utf8_get_char_validated(p, -1);
        if (c == (gunichar)-1 || c == (gunichar)-2) { /* not UTF-8: one replacement per byte */
            g_string_append(out, "#65533;");
            p++;
            continue;
        }
        if (c < 0x80 && (g_ascii_isalnum((char)c) || strchr(" ._-/", (char)c)))
            g_string_append_c(out, (char)c);
        else
            g_string_append_printf(out, "#%u;", c);
        p = g_utf8_next_char(p);
    }
    g_string_append_c(out, '"');
}

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

/* What a chart draws, whether from the modules of an analysis or from a view. */
enum { NODE_PLAIN, NODE_CYCLE, NODE_RUNTIME, NODE_STDLIB, NODE_THIRD_PARTY };

typedef struct {
    guint id;          /* written as <prefix><id> */
    const char *label; /* borrowed */
    char *package;     /* subgraph that holds it ("" for none); owned */
    guint cls;         /* NODE_* */
    bool collapsed;    /* a package drawn as one node (--depth) */
} mnode;

typedef struct {
    guint source, target; /* indices into the chart's nodes */
    impviz_kind kind;
    bool cycle, runtime;
} mlink;

typedef struct {
    char prefix;   /* 'm': ids are module indices; 'v': view node indices */
    GArray *nodes; /* mnode, sorted by (package, label) when nested */
    GArray *links; /* mlink, in the order written */
} chart;

static void chart_clear(gpointer p)
{
    g_free(((mnode *)p)->package);
}

/* The package that holds a module in the picture: its parent package, or "" at the top. */
static char *package_of(const impviz_module *m)
{
    if (m->is_package)
        return g_strdup(m->name);
    const char *dot = strrchr(m->name, '.');
    return dot ? g_strndup(m->name, (gsize)(dot - m->name)) : g_strdup("");
}

static void emit_node(GString *out, const chart *c, const mnode *n, int indent)
{
    g_string_append_printf(out, "%*s%c%u%s", indent, "", c->prefix, n->id,
                           n->collapsed                                          ? "[["
                           : n->cls == NODE_STDLIB || n->cls == NODE_THIRD_PARTY ? "(["
                                                                                 : "[");
    append_label(out, n->label);
    g_string_append(out, n->collapsed                                          ? "]]\n"
                         : n->cls == NODE_STDLIB || n->cls == NODE_THIRD_PARTY ? "])\n"
                                                                               : "]\n");
}

/* Nested subgraphs per package, from nodes sorted by package: a stack of open packages. */
static void emit_nodes(GString *out, const chart *c, bool nested)
{
    GPtrArray *open = g_ptr_array_new_with_free_func(g_free); /* package names, outermost first */
    guint subgraphs = 0;
    for (guint k = 0; k < c->nodes->len; k++) {
        const mnode *n = &g_array_index(c->nodes, mnode, k);
        const char *pkg = nested ? n->package : "";
        /* close packages that do not contain pkg */
        while (open->len) {
            const char *top = g_ptr_array_index(open, open->len - 1);
            size_t len = strlen(top);
            if (strncmp(pkg, top, len) == 0 && (pkg[len] == '\0' || pkg[len] == '.'))
                break;
            g_ptr_array_remove_index(open, open->len - 1);
            g_string_append_printf(out, "%*send\n", (int)(2 + 2 * open->len), "");
        }
        /* open the packages from the innermost open one down to pkg */
        while (*pkg) {
            const char *top = open->len ? g_ptr_array_index(open, open->len - 1) : "";
            if (strcmp(top, pkg) == 0)
                break;
            size_t len = strlen(top);
            const char *rest = pkg + (len ? len + 1 : 0);
            const char *dot = strchr(rest, '.');
            char *next = g_strndup(pkg, dot ? (gsize)(dot - pkg) : strlen(pkg));
            g_string_append_printf(out, "%*ssubgraph p%u[", (int)(2 + 2 * open->len), "",
                                   subgraphs++);
            append_label(out, next);
            g_string_append(out, "]\n");
            g_ptr_array_add(open, next);
        }
        emit_node(out, c, n, (int)(2 + 2 * open->len));
    }
    while (open->len) {
        g_ptr_array_remove_index(open, open->len - 1);
        g_string_append_printf(out, "%*send\n", (int)(2 + 2 * open->len), "");
    }
    g_ptr_array_unref(open);
}

/* "  class a,b name\n" for the nodes of class cls, with its classDef first. */
static void emit_class(GString *out, const chart *c, guint cls, const char *name, const char *def)
{
    GString *ids = g_string_new(NULL);
    for (guint k = 0; k < c->nodes->len; k++) {
        const mnode *n = &g_array_index(c->nodes, mnode, k);
        if (n->cls == cls)
            g_string_append_printf(ids, "%s%c%u", ids->len ? "," : "", c->prefix, n->id);
    }
    if (ids->len)
        g_string_append_printf(out, "  classDef %s %s\n  class %s %s\n", name, def, ids->str, name);
    g_string_free(ids, TRUE);
}

static void emit_chart(GString *out, const chart *c, const char *direction, bool nested)
{
    g_string_append_printf(out, "flowchart %s\n", direction);
    emit_nodes(out, c, nested);
    GString *cycle_links = g_string_new(NULL), *runtime_links = g_string_new(NULL);
    GString *typing_links = g_string_new(NULL);
    for (guint k = 0; k < c->links->len; k++) {
        const mlink *l = &g_array_index(c->links, mlink, k);
        const mnode *s = &g_array_index(c->nodes, mnode, l->source);
        const mnode *t = &g_array_index(c->nodes, mnode, l->target);
        g_string_append_printf(out, "  %c%u %s %c%u\n", c->prefix, s->id,
                               l->kind == IMPVIZ_EAGER ? "-->" : "-.->", c->prefix, t->id);
        GString *list = l->cycle                   ? cycle_links
                        : l->runtime               ? runtime_links
                        : l->kind == IMPVIZ_TYPING ? typing_links
                                                   : NULL;
        if (list)
            g_string_append_printf(list, "%s%u", list->len ? "," : "", k);
    }
    if (cycle_links->len)
        g_string_append_printf(out, "  linkStyle %s stroke:" CYCLE_COLOR ",stroke-width:2.5px\n",
                               cycle_links->str);
    if (runtime_links->len)
        g_string_append_printf(out, "  linkStyle %s stroke:" RUNTIME_CYCLE_COLOR "\n",
                               runtime_links->str);
    if (typing_links->len)
        g_string_append_printf(out, "  linkStyle %s stroke:#9e9e9e\n", typing_links->str);
    emit_class(out, c, NODE_CYCLE, "cycle", "fill:#fbb4ae,stroke:" CYCLE_COLOR ",stroke-width:2px");
    emit_class(out, c, NODE_RUNTIME, "runtime", "fill:#fff3e0,stroke:" RUNTIME_CYCLE_COLOR);
    emit_class(out, c, NODE_STDLIB, "stdlib", "fill:#eeeeee,stroke:#bdbdbd");
    emit_class(out, c, NODE_THIRD_PARTY, "thirdparty", "fill:#e3f2fd,stroke:#90caf9");
    g_string_free(cycle_links, TRUE);
    g_string_free(runtime_links, TRUE);
    g_string_free(typing_links, TRUE);
}

static gint node_cmp(gconstpointer a, gconstpointer b)
{
    const mnode *x = a, *y = b;
    int c = strcmp(x->package, y->package);
    return c ? c : strcmp(x->label, y->label);
}

/* The modules of an analysis (all, or one import-time component's), one node each. */
static void chart_of_modules(chart *c, const impviz_analysis *a, gint component)
{
    const impviz_graph *g = a->graph;
    guint n = a->project->modules->len;
    gint *node_of = g_new(gint, n + 1);
    for (guint i = 0; i < n; i++) {
        node_of[i] = -1;
        if (component >= 0 && g->import_time.component_of[i] != component)
            continue;
        const impviz_module *m = module_at(a, i);
        const char *dot = strrchr(m->name, '.');
        mnode node = {.id = i,
                      .label = component >= 0  ? m->name
                               : m->is_package ? "__init__"
                               : dot           ? dot + 1
                                               : m->name,
                      .package = component >= 0 ? g_strdup("") : package_of(m),
                      .cls = g->import_time.component_of[i] >= 0 ? NODE_CYCLE
                             : g->runtime.component_of[i] >= 0   ? NODE_RUNTIME
                                                                 : NODE_PLAIN};
        node_of[i] = (gint)c->nodes->len;
        g_array_append_val(c->nodes, node);
    }
    for (guint k = 0; k < g->edges->len; k++) {
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, k);
        if (node_of[e->source] < 0 || node_of[e->target] < 0)
            continue;
        gint it = g->import_time.component_of[e->source];
        gint rt = g->runtime.component_of[e->source];
        bool cycle =
            e->kind == IMPVIZ_EAGER && it >= 0 && it == g->import_time.component_of[e->target];
        mlink l = {.source = (guint)node_of[e->source],
                   .target = (guint)node_of[e->target],
                   .kind = e->kind,
                   .cycle = cycle,
                   .runtime = !cycle && e->kind != IMPVIZ_TYPING && rt >= 0 &&
                              rt == g->runtime.component_of[e->target]};
        g_array_append_val(c->links, l);
    }
    g_free(node_of);
}

/* What a view draws (--depth, --externals, --reverse, --focus, --only ...), one node per view
 * node, nested by package, externals at the top. */
static void chart_of_view(chart *c, const impviz_view *v)
{
    guint n = v->nodes->len;
    for (guint k = 0; k < n; k++) {
        const impviz_view_node *vn = g_ptr_array_index(v->nodes, k);
        bool external = vn->type == IMPVIZ_NODE_STDLIB || vn->type == IMPVIZ_NODE_THIRD_PARTY;
        mnode node = {.id = k,
                      .label = external ? vn->name : vn->label,
                      .package = g_strdup(external ? "" : vn->package),
                      .cls = vn->type == IMPVIZ_NODE_STDLIB        ? NODE_STDLIB
                             : vn->type == IMPVIZ_NODE_THIRD_PARTY ? NODE_THIRD_PARTY
                             : vn->component >= 0                  ? NODE_CYCLE
                             : vn->runtime_component >= 0          ? NODE_RUNTIME
                                                                   : NODE_PLAIN,
                      .collapsed = vn->type == IMPVIZ_NODE_COLLAPSED};
        g_array_append_val(c->nodes, node);
    }
    /* sort for the subgraphs, then point the links at the sorted places */
    g_array_sort(c->nodes, node_cmp);
    guint *place = g_new(guint, n + 1);
    for (guint k = 0; k < n; k++)
        place[g_array_index(c->nodes, mnode, k).id] = k;
    for (guint k = 0; k < v->edges->len; k++) {
        const impviz_view_edge *e = &g_array_index(v->edges, impviz_view_edge, k);
        mlink l = {.source = place[e->source],
                   .target = place[e->target],
                   .kind = e->kind,
                   .cycle = e->cycle,
                   .runtime = e->runtime_cycle};
        g_array_append_val(c->links, l);
    }
    g_free(place);
}

void impviz_mermaid_append(GString *out, const impviz_analysis *a, gint component)
{
    impviz_mermaid_append_view(out, a, component, NULL);
}

void impviz_mermaid_append_view(GString *out, const impviz_analysis *a, gint component,
                                const impviz_view *view)
{
    chart c = {.prefix = view && component < 0 ? 'v' : 'm',
               .nodes = g_array_new(FALSE, FALSE, sizeof(mnode)),
               .links = g_array_new(FALSE, FALSE, sizeof(mlink))};
    g_array_set_clear_func(c.nodes, chart_clear);
    if (view && component < 0)
        chart_of_view(&c, view);
    else
        chart_of_modules(&c, a, component);
    emit_chart(out, &c, component < 0 ? "TB" : "LR", component < 0);
    g_array_unref(c.nodes);
    g_array_unref(c.links);
}
