/* SPDX-License-Identifier: MIT */
/*
 * render.c - the module graph drawn with Graphviz's own libraries (cgraph + gvc).
 *
 * The only file that includes Graphviz. Builds a cgraph graph (nested package clusters,
 * component colours, edge styles by kind, SVG classes), then either writes it as DOT without
 * layout or lays it out and renders it in memory. Graphviz errors are caught with agseterrf and
 * become diagnostics. Debian's 2.4x headers take `char *`: the casts stay in this file.
 */
#include "deadline.h"
#include "impviz.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Fill colours of import-time components (ColorBrewer Pastel1/Set3-like, distinguishable). */
static const char *const component_fills[] = {
    "#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc",
    "#e5d8bd", "#fddaec", "#8dd3c7", "#bebada", "#fb8072", "#80b1d3",
};
#define N_FILLS (sizeof(component_fills) / sizeof(component_fills[0]))
#define CYCLE_COLOR "#d62728"
#define RUNTIME_CYCLE_COLOR "#ff7f0e"

/* ---- Graphviz error capture --------------------------------------------------------------- */

static GMutex errf_lock;
static impviz_diags *errf_diags;
static GString *errf_line;

/* Graphviz hands messages over in pieces; a diagnostic is one line. */
static int errf_hook(char *msg)
{
    g_string_append(errf_line, msg);
    char *nl;
    while ((nl = strchr(errf_line->str, '\n'))) {
        *nl = '\0';
        char *text = g_strstrip(errf_line->str);
        if (*text)
            impviz_diags_add(errf_diags, IMPVIZ_WARNING, NULL, 0, "graphviz: %s", text);
        g_string_erase(errf_line, 0, nl - errf_line->str + 1);
    }
    return 0;
}

/* ---- attributes ------------------------------------------------------------------------- */

static void set(void *obj, const char *name, const char *value)
{
    agsafeset(obj, (char *)name, (char *)value, (char *)"");
}

/* Graphviz expands \N, \G, \l ... in labels, tooltips and URLs: double the backslashes.
 * Graphviz escapes <, & and quotes itself but passes control characters and bad UTF-8 through
 * into SVG, where they make the XML invalid: those are shown as \xNN (newlines stay). */
static char *esc(const char *s)
{
    char *valid = g_utf8_make_valid(s, -1);
    GString *out = g_string_new(NULL);
    for (const char *p = valid; *p; p++) {
        guchar c = (guchar)*p;
        if (c == '\\')
            g_string_append(out, "\\\\");
        else if ((c < 0x20 && c != '\n') || c == 0x7f)
            g_string_append_printf(out, "\\\\x%02x", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_free(valid);
    return g_string_free(out, FALSE);
}

static void set_esc(void *obj, const char *name, const char *value)
{
    char *e = esc(value);
    set(obj, name, e);
    g_free(e);
}

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

/* ---- impviz diff: added, removed, unchanged ------------------------------------------------ */

#define ADDED_COLOR "#2ca02c"
#define REMOVED_COLOR "#9e9e9e"
#define UNCHANGED_COLOR "#c7c7c7"

/* Appends the change class and restyles: added green, removed grey and dashed, unchanged muted
 * (but an unchanged part of a current cycle keeps its cycle colour). */
static void style_change(void *obj, GString *cls, guint8 change, bool on_cycle, bool node)
{
    switch (change) {
    case IMPVIZ_CHANGE_ADDED:
        g_string_append(cls, " added");
        set(obj, "color", ADDED_COLOR);
        set(obj, "penwidth", on_cycle ? "2.5" : "2");
        if (node)
            set(obj, "fontcolor", "#1b5e20");
        break;
    case IMPVIZ_CHANGE_REMOVED:
        g_string_append(cls, " removed");
        set(obj, "color", REMOVED_COLOR);
        set(obj, "fontcolor", REMOVED_COLOR);
        set(obj, "style", node ? "rounded,dashed" : "dashed");
        break;
    default:
        g_string_append(cls, " unchanged");
        if (!on_cycle) {
            set(obj, "color", UNCHANGED_COLOR);
            set(obj, "fontcolor", "#757575");
        }
    }
}

/* ---- building the graph ------------------------------------------------------------------ */

typedef struct {
    const impviz_analysis *a;
    const impviz_render_opts *opts;
    Agraph_t *g;
    GHashTable *clusters; /* package name -> Agraph_t * */
    Agnode_t **nodes;     /* per module */
} builder;

/* The cluster of a package, created with its parents on first use. */
static Agraph_t *cluster_for(builder *b, const char *package)
{
    if (!*package)
        return b->g;
    Agraph_t *c = g_hash_table_lookup(b->clusters, package);
    if (c)
        return c;
    char *parent = g_strdup(package);
    char *dot = strrchr(parent, '.');
    if (dot)
        *dot = '\0';
    else
        *parent = '\0';
    Agraph_t *up = cluster_for(b, parent);
    g_free(parent);
    char *name = g_strconcat("cluster_", package, NULL);
    c = agsubg(up, name, 1);
    g_free(name);
    set_esc(c, "label", package);
    set(c, "class", "package");
    set(c, "style", "rounded");
    set(c, "color", "#9e9e9e");
    set(c, "fontcolor", "#616161");
    g_hash_table_insert(b->clusters, g_strdup(package), c);
    return c;
}

static void add_nodes(builder *b)
{
    const impviz_analysis *a = b->a;
    const impviz_graph *gr = a->graph;
    guint n = a->project->modules->len;
    b->nodes = g_new0(Agnode_t *, n);
    guint *in = g_new0(guint, n), *out = g_new0(guint, n);
    for (guint k = 0; k < gr->edges->len; k++) {
        const impviz_edge *e = &g_array_index(gr->edges, impviz_edge, k);
        in[e->target]++;
        out[e->source]++;
    }
    for (guint i = 0; i < n; i++) {
        const impviz_module *m = module_at(a, i);
        char *package = g_strdup(m->name);
        const char *label;
        if (m->is_package) {
            label = "__init__";
        } else {
            char *dot = strrchr(package, '.');
            label = dot ? m->name + (dot - package) + 1 : m->name;
            if (dot)
                *dot = '\0';
            else
                *package = '\0';
        }
        Agraph_t *c = cluster_for(b, package);
        g_free(package);
        Agnode_t *node = agnode(c, (char *)m->name, 1);
        b->nodes[i] = node;
        set_esc(node, "label", label);
        char *id = g_strconcat("m:", m->name, NULL);
        set_esc(node, "id", id);
        g_free(id);
        gint it = gr->import_time.component_of[i], rt = gr->runtime.component_of[i];
        GString *cls = g_string_new("module");
        if (m->is_package)
            g_string_append(cls, " package");
        if (it >= 0) {
            g_string_append(cls, " in-cycle");
            set(node, "fillcolor", component_fills[it % N_FILLS]);
            set(node, "color", CYCLE_COLOR);
            set(node, "penwidth", "2");
        } else if (rt >= 0) {
            g_string_append(cls, " in-runtime-cycle");
            set(node, "fillcolor", "#fff3e0");
            set(node, "color", RUNTIME_CYCLE_COLOR);
        }
        if (b->opts->module_changes)
            style_change(node, cls, b->opts->module_changes[i], it >= 0, true);
        set(node, "class", cls->str);
        g_string_free(cls, TRUE);
        char *tip = g_strdup_printf("%s\n%s\nimports %u module%s, imported by %u%s%s", m->name,
                                    m->path, out[i], out[i] == 1 ? "" : "s", in[i],
                                    it >= 0 ? "\non an import-time cycle" : "",
                                    it < 0 && rt >= 0 ? "\non a runtime cycle" : "");
        set_esc(node, "tooltip", tip);
        g_free(tip);
    }
    g_free(in);
    g_free(out);
}

static void add_edges(builder *b)
{
    const impviz_analysis *a = b->a;
    const impviz_graph *gr = a->graph;
    for (guint k = 0; k < gr->edges->len; k++) {
        const impviz_edge *e = &g_array_index(gr->edges, impviz_edge, k);
        Agedge_t *edge = agedge(b->g, b->nodes[e->source], b->nodes[e->target], NULL, 1);
        gint it_s = gr->import_time.component_of[e->source];
        gint rt_s = gr->runtime.component_of[e->source];
        bool cycle =
            e->kind == IMPVIZ_EAGER && it_s >= 0 && it_s == gr->import_time.component_of[e->target];
        bool runtime_cycle = !cycle && e->kind != IMPVIZ_TYPING && rt_s >= 0 &&
                             rt_s == gr->runtime.component_of[e->target];
        GString *cls = g_string_new(impviz_kind_str(e->kind));
        if (cycle)
            g_string_append(cls, " cycle");
        else if (runtime_cycle)
            g_string_append(cls, " runtime-cycle");
        switch (e->kind) {
        case IMPVIZ_DEFERRED:
        case IMPVIZ_LAZY:
            set(edge, "style", "dashed");
            break;
        case IMPVIZ_TYPING:
            set(edge, "style", "dotted");
            set(edge, "color", "#9e9e9e");
            break;
        default:
            break;
        }
        if (cycle) {
            set(edge, "color", CYCLE_COLOR);
            set(edge, "penwidth", "2.5");
        } else if (runtime_cycle) {
            set(edge, "color", RUNTIME_CYCLE_COLOR);
        }
        if (b->opts->edge_changes)
            style_change(edge, cls, b->opts->edge_changes[k], cycle, false);
        set(edge, "class", cls->str);
        g_string_free(cls, TRUE);
        GString *tip = g_string_new(NULL);
        for (guint i = 0; i < e->refs->len; i++) {
            const impviz_ref *r =
                &g_array_index(a->refs, impviz_ref, g_array_index(e->refs, guint, i));
            g_string_append_printf(tip, "%s%s:%u: %s (%s)", i ? "\n" : "",
                                   module_at(a, r->source)->path, r->import->line,
                                   r->import->statement, impviz_kind_str(r->import->kind));
        }
        set_esc(edge, "tooltip", tip->str);
        g_string_free(tip, TRUE);
        char *id = g_strdup_printf("e:%s->%s", module_at(a, e->source)->name,
                                   module_at(a, e->target)->name);
        set_esc(edge, "id", id);
        g_free(id);
    }
}

/* One node per top-level external package, one edge per (module, package). */
static void add_externals(builder *b)
{
    const impviz_analysis *a = b->a;
    GHashTable *nodes = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    Agraph_t *ext = agsubg(b->g, (char *)"externals", 1);
    set(ext, "rank", "sink");
    for (guint i = 0; i < a->refs->len; i++) {
        const impviz_ref *r = &g_array_index(a->refs, impviz_ref, i);
        if (!r->external)
            continue;
        Agnode_t *n = g_hash_table_lookup(nodes, r->external);
        if (!n) {
            char *name = g_strconcat("ext:", r->external, NULL);
            n = agnode(ext, name, 1);
            g_free(name);
            set_esc(n, "label", r->external);
            set(n, "shape", "ellipse");
            set(n, "style", "filled");
            bool std = r->cls == IMPVIZ_TARGET_STDLIB;
            set(n, "fillcolor", std ? "#eeeeee" : "#e3f2fd");
            set(n, "color", std ? "#bdbdbd" : "#90caf9");
            set(n, "class", std ? "external stdlib" : "external third-party");
            g_hash_table_insert(nodes, (gpointer)r->external, n);
        }
        char *key = g_strdup_printf("%u:%s", r->source, r->external);
        if (g_hash_table_add(seen, key)) {
            Agedge_t *e = agedge(b->g, b->nodes[r->source], n, NULL, 1);
            set(e, "class", "external");
            set(e, "color", "#bdbdbd");
        }
    }
    g_hash_table_unref(seen);
    g_hash_table_unref(nodes);
}

static void add_legend(builder *b)
{
    Agraph_t *g = b->g;
    Agraph_t *c = agsubg(g, (char *)"cluster_legend", 1);
    set(c, "label", "legend");
    set(c, "class", "legend");
    set(c, "style", "rounded,dashed");
    set(c, "color", "#bdbdbd");
    set(c, "fontcolor", "#757575");
    static const struct {
        const char *from, *to, *label, *style, *color;
    } rows[] = {
        {"legend_a", "legend_b", "import-time cycle", "solid", CYCLE_COLOR},
        {"legend_c", "legend_d", "deferred / lazy", "dashed", "#424242"},
        {"legend_e", "legend_f", "TYPE_CHECKING only", "dotted", "#9e9e9e"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        Agnode_t *x = agnode(c, (char *)rows[i].from, 1), *y = agnode(c, (char *)rows[i].to, 1);
        Agnode_t *both[] = {x, y};
        for (int k = 0; k < 2; k++) {
            set(both[k], "label", "");
            set(both[k], "shape", "point");
            set(both[k], "width", "0.05");
            set(both[k], "class", "legend");
        }
        Agedge_t *e = agedge(c, x, y, NULL, 1);
        set(e, "label", rows[i].label);
        set(e, "style", rows[i].style);
        set(e, "color", rows[i].color);
        set(e, "fontcolor", "#616161");
        set(e, "class", "legend");
    }
}

static int io_putstr(void *chan, const char *str)
{
    g_string_append(chan, str);
    return 0;
}

static int io_flush(void *chan)
{
    (void)chan;
    return 0;
}

static Agraph_t *build(builder *b, Agdisc_t *disc)
{
    const impviz_analysis *a = b->a;
    Agraph_t *g = agopen((char *)"impviz", Agdirected, disc);
    b->g = g;
    b->clusters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    set(g, "rankdir", b->opts->rankdir ? b->opts->rankdir : "TB");
    set(g, "fontname", "Helvetica");
    set(g, "fontsize", "11");
    set(g, "class", "impviz");
    set(g, "newrank", "false");
    agattr(g, AGNODE, (char *)"shape", (char *)"box");
    agattr(g, AGNODE, (char *)"style", (char *)"rounded,filled");
    agattr(g, AGNODE, (char *)"fillcolor", (char *)"#ffffff");
    agattr(g, AGNODE, (char *)"fontname", (char *)"Helvetica");
    agattr(g, AGNODE, (char *)"fontsize", (char *)"11");
    agattr(g, AGEDGE, (char *)"color", (char *)"#424242");
    agattr(g, AGEDGE, (char *)"arrowsize", (char *)"0.7");
    agattr(g, AGEDGE, (char *)"fontname", (char *)"Helvetica");
    agattr(g, AGEDGE, (char *)"fontsize", (char *)"9");
    /* Large graphs: dot's crossing minimisation and network simplex dominate; these limits
     * (measured in MEASUREMENTS.md) cut layout time several-fold for similar crossings. */
    if (a->project->modules->len > 150) {
        set(g, "mclimit", "0.1");
        set(g, "nslimit", "2");
        set(g, "nslimit1", "2");
        set(g, "remincross", "false");
    }
    add_nodes(b);
    add_edges(b);
    if (b->opts->externals)
        add_externals(b);
    if (b->opts->legend)
        add_legend(b);
    return g;
}

static const char *gv_format(impviz_format f)
{
    switch (f) {
    case IMPVIZ_FORMAT_SVG:
        return "svg";
    case IMPVIZ_FORMAT_PNG:
        return "png";
    case IMPVIZ_FORMAT_PDF:
        return "pdf";
    default:
        return NULL;
    }
}

/* ---- layout and rendering ---------------------------------------------------------------- */

typedef struct {
    GVC_t *gvc;
    Agraph_t *g;
    const char *layout;
    impviz_format format;
} layout_job;

/* Lays out and renders; an impviz_deadline_fn, so it may run in a child process. */
static impviz_status layout_render(void *data, impviz_diags *diags, GBytes **out)
{
    layout_job *job = data;
    impviz_diags *outer = errf_diags;
    errf_diags = diags; /* in a child, Graphviz's messages go back through its own list */
    impviz_status status = IMPVIZ_OK;
    *out = NULL;
    if (gvLayout(job->gvc, job->g, job->layout) != 0) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "graphviz cannot lay out with '%s'",
                         job->layout);
        status = IMPVIZ_ERENDER;
        goto cleanup;
    }
    char *data_out = NULL;
    unsigned int len = 0;
    if (gvRenderData(job->gvc, job->g, gv_format(job->format), &data_out, &len) != 0 || !data_out) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "graphviz cannot render %s",
                         gv_format(job->format));
        status = IMPVIZ_ERENDER;
    } else {
        *out = g_bytes_new(data_out, len);
    }
    gvFreeRenderData(data_out);
    gvFreeLayout(job->gvc, job->g);
cleanup:
    errf_hook((char *)"\n"); /* a last unterminated message belongs to this list */
    errf_diags = outer;
    return status;
}

/* A layout child may use a quarter of the machine's memory. */
static guint64 layout_memory_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    guint64 limit = pages > 0 && size > 0 ? (guint64)pages * (guint64)size / 4 : 0;
    struct rlimit inherited;
    if (getrlimit(RLIMIT_AS, &inherited) == 0 && inherited.rlim_cur != RLIM_INFINITY &&
        (!limit || (guint64)inherited.rlim_cur < limit))
        limit = inherited.rlim_cur; /* a tighter limit from `ulimit -v` applies anyway */
    return limit;
}

/* The layout in a child process with a deadline and a memory cap; sfdp, which is fast and
 * small on any size, gets one more try when another engine runs out of time or memory. */
static impviz_status layout_render_within(layout_job *job, guint seconds, impviz_diags *diags,
                                          GBytes **out)
{
    impviz_status status = IMPVIZ_ERENDER;
    guint64 max_bytes = layout_memory_limit();
    for (;;) {
        char *why = NULL, *failure = NULL;
        impviz_deadline_result r =
            impviz_deadline_run(layout_render, job, seconds, max_bytes, diags, &status, out, &why);
        if (r == IMPVIZ_DEADLINE_DONE)
            return status;
        if (r == IMPVIZ_DEADLINE_EXPIRED)
            failure = g_strdup_printf("did not finish within %u second%s (see --timeout)", seconds,
                                      seconds == 1 ? "" : "s");
        else
            failure = g_strdup_printf("failed (%s; memory is capped at %" G_GUINT64_FORMAT " MiB)",
                                      why, max_bytes >> 20);
        g_free(why);
        bool last = strcmp(job->layout, "sfdp") == 0;
        impviz_diags_add(diags, last ? IMPVIZ_ERROR : IMPVIZ_WARNING, NULL, 0,
                         "graphviz layout '%s' %s; %s", job->layout, failure,
                         last ? "nothing drawn" : "drawn with sfdp instead");
        g_free(failure);
        if (last)
            return IMPVIZ_ERENDER;
        job->layout = "sfdp";
    }
}

impviz_status impviz_render(const impviz_analysis *a, const impviz_render_opts *opts,
                            impviz_format format, impviz_diags *diags, GBytes **out)
{
    impviz_status status = IMPVIZ_OK;
    *out = NULL;
    guint n_edges = a->graph->edges->len;
    if (format != IMPVIZ_FORMAT_DOT && opts->max_edges && n_edges > opts->max_edges) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0,
                         "graph of %u edges is over the drawing limit of %u (see --max-edges); "
                         "nothing drawn (-T dot, -T json and the text report have no limit)",
                         n_edges, opts->max_edges);
        return IMPVIZ_ERENDER;
    }
    g_mutex_lock(&errf_lock);
    errf_diags = diags;
    errf_line = g_string_new(NULL);
    agusererrf previous = agseterrf(errf_hook);

    GString *dot_text = g_string_new(NULL);
    Agiodisc_t io = AgIoDisc;
    io.putstr = io_putstr;
    io.flush = io_flush;
    Agdisc_t disc = {&AgMemDisc, &AgIdDisc, &io};
    builder b = {.a = a, .opts = opts};
    GVC_t *gvc = gvContext();
    Agraph_t *g = build(&b, &disc);

    if (format == IMPVIZ_FORMAT_DOT) {
        agwrite(g, dot_text);
        *out = g_bytes_new(dot_text->str, dot_text->len);
        goto cleanup;
    }
    layout_job job = {gvc, g, opts->layout ? opts->layout : "dot", format};
    status = opts->timeout ? layout_render_within(&job, opts->timeout, diags, out)
                           : layout_render(&job, diags, out);
cleanup:
    agclose(g);
    gvFreeContext(gvc);
    g_hash_table_unref(b.clusters);
    g_free(b.nodes);
    g_string_free(dot_text, TRUE);
    errf_hook((char *)"\n"); /* flush a last unterminated message */
    agseterrf(previous);
    g_string_free(errf_line, TRUE);
    errf_line = NULL;
    errf_diags = NULL;
    g_mutex_unlock(&errf_lock);
    return status;
}
