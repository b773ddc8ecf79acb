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

typedef struct {
    const impviz_analysis *a;
    GString *out;
    const bool *shown; /* per module */
} chart;

/* The package that holds a module in the picture: its parent package, or "" at the top. */
static char *package_of(const impviz_module *m)
{
    if (m->is_package)
        return g_strdup(m->name);
    const char *dot = strrchr(m->name, '.');
    return dot ? g_strndup(m->name, (gsize)(dot - m->name)) : g_strdup("");
}

static void emit_node(chart *c, guint i, const char *indent)
{
    const impviz_module *m = module_at(c->a, i);
    const char *dot = strrchr(m->name, '.');
    const char *label = m->is_package ? "__init__" : dot ? dot + 1 : m->name;
    g_string_append_printf(c->out, "%sm%u[", indent, i);
    append_label(c->out, label);
    g_string_append(c->out, "]\n");
}

/* Nested subgraphs per package, built from sorted module names: a stack of open packages. */
static void emit_nodes(chart *c, bool nested)
{
    const impviz_analysis *a = c->a;
    GPtrArray *open = g_ptr_array_new_with_free_func(g_free); /* package names, outermost first */
    guint subgraphs = 0;
    for (guint i = 0; i < a->project->modules->len; i++) {
        if (!c->shown[i])
            continue;
        if (!nested) {
            const impviz_module *m = module_at(a, i);
            g_string_append_printf(c->out, "  m%u[", i);
            append_label(c->out, m->name);
            g_string_append(c->out, "]\n");
            continue;
        }
        char *pkg = package_of(module_at(a, i));
        /* close packages that do not contain pkg */
        while (open->len) {
            const char *top = g_ptr_array_index(open, open->len - 1);
            size_t n = strlen(top);
            if (strncmp(pkg, top, n) == 0 && (pkg[n] == '\0' || pkg[n] == '.'))
                break;
            g_ptr_array_remove_index(open, open->len - 1);
            g_string_append_printf(c->out, "%*send\n", (int)(2 + 2 * open->len), "");
        }
        /* open the packages from the innermost open one down to pkg */
        while (*pkg) {
            const char *top = open->len ? g_ptr_array_index(open, open->len - 1) : "";
            if (strcmp(top, pkg) == 0)
                break;
            size_t n = strlen(top);
            const char *rest = pkg + (n ? n + 1 : 0);
            const char *dot = strchr(rest, '.');
            char *next = g_strndup(pkg, dot ? (gsize)(dot - pkg) : strlen(pkg));
            g_string_append_printf(c->out, "%*ssubgraph p%u[", (int)(2 + 2 * open->len), "",
                                   subgraphs++);
            append_label(c->out, next);
            g_string_append(c->out, "]\n");
            g_ptr_array_add(open, next);
        }
        g_free(pkg);
        char *indent = g_strnfill(2 + 2 * open->len, ' ');
        emit_node(c, i, indent);
        g_free(indent);
    }
    while (open->len) {
        g_ptr_array_remove_index(open, open->len - 1);
        g_string_append_printf(c->out, "%*send\n", (int)(2 + 2 * open->len), "");
    }
    g_ptr_array_unref(open);
}

void impviz_mermaid_append(GString *out, const impviz_analysis *a, gint component)
{
    impviz_mermaid_append_view(out, a, component, NULL);
}

void impviz_mermaid_append_view(GString *out, const impviz_analysis *a, gint component,
                                const impviz_view *view)
{
    const impviz_graph *g = a->graph;
    guint n = a->project->modules->len;
    bool *shown = g_new0(bool, n + 1);
    for (guint i = 0; i < n; i++)
        shown[i] = (component < 0 || g->import_time.component_of[i] == component) && !view;
    /* a view (--focus, --only, --exclude, --cycles-only) keeps the modules it draws one by one */
    for (guint k = 0; view && k < view->nodes->len; k++) {
        const impviz_view_node *node = g_ptr_array_index(view->nodes, k);
        if (node->type != IMPVIZ_NODE_MODULE)
            continue;
        for (guint j = 0; j < node->modules->len; j++) {
            guint i = g_array_index(node->modules, guint, j);
            shown[i] = component < 0 || g->import_time.component_of[i] == component;
        }
    }
    chart c = {.a = a, .out = out, .shown = shown};
    g_string_append(out, component < 0 ? "flowchart TB\n" : "flowchart LR\n");
    emit_nodes(&c, component < 0);

    GString *cycle_links = g_string_new(NULL), *runtime_links = g_string_new(NULL);
    GString *typing_links = g_string_new(NULL);
    guint link = 0;
    for (guint k = 0; k < g->edges->len; k++) {
        const impviz_edge *e = &g_array_index(g->edges, impviz_edge, k);
        if (!shown[e->source] || !shown[e->target])
            continue;
        gint it = g->import_time.component_of[e->source];
        gint rt = g->runtime.component_of[e->source];
        bool cycle =
            e->kind == IMPVIZ_EAGER && it >= 0 && it == g->import_time.component_of[e->target];
        bool runtime = !cycle && e->kind != IMPVIZ_TYPING && rt >= 0 &&
                       rt == g->runtime.component_of[e->target];
        g_string_append_printf(out, "  m%u %s m%u\n", e->source,
                               e->kind == IMPVIZ_EAGER ? "-->" : "-.->", e->target);
        GString *list = cycle                      ? cycle_links
                        : runtime                  ? runtime_links
                        : e->kind == IMPVIZ_TYPING ? typing_links
                                                   : NULL;
        if (list)
            g_string_append_printf(list, "%s%u", list->len ? "," : "", link);
        link++;
    }
    if (cycle_links->len)
        g_string_append_printf(out, "  linkStyle %s stroke:" CYCLE_COLOR ",stroke-width:2.5px\n",
                               cycle_links->str);
    if (runtime_links->len)
        g_string_append_printf(out, "  linkStyle %s stroke:" RUNTIME_CYCLE_COLOR "\n",
                               runtime_links->str);
    if (typing_links->len)
        g_string_append_printf(out, "  linkStyle %s stroke:#9e9e9e\n", typing_links->str);

    GString *in_cycle = g_string_new(NULL), *in_runtime = g_string_new(NULL);
    for (guint i = 0; i < n; i++) {
        if (!shown[i])
            continue;
        if (g->import_time.component_of[i] >= 0)
            g_string_append_printf(in_cycle, "%sm%u", in_cycle->len ? "," : "", i);
        else if (g->runtime.component_of[i] >= 0)
            g_string_append_printf(in_runtime, "%sm%u", in_runtime->len ? "," : "", i);
    }
    if (in_cycle->len)
        g_string_append_printf(out,
                               "  classDef cycle fill:#fbb4ae,stroke:" CYCLE_COLOR
                               ",stroke-width:2px\n  class %s cycle\n",
                               in_cycle->str);
    if (in_runtime->len)
        g_string_append_printf(out,
                               "  classDef runtime fill:#fff3e0,stroke:" RUNTIME_CYCLE_COLOR
                               "\n  class %s runtime\n",
                               in_runtime->str);
    g_string_free(in_cycle, TRUE);
    g_string_free(in_runtime, TRUE);
    g_string_free(cycle_links, TRUE);
    g_string_free(runtime_links, TRUE);
    g_string_free(typing_links, TRUE);
    g_free(shown);
}
