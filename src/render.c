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

/* ---- object IDs in creation order --------------------------------------------------------- */

/* Graphviz 2.42's default ID discipline uses the address of the interned name as the ID, and
 * cgraph keeps subgraphs ordered by ID: cluster order, and with it the layout, followed the
 * heap's layout (an SVG changed with malloc tunables or thread timing). This discipline numbers
 * names in the order they are first seen instead: named objects get even IDs, anonymous ones
 * odd IDs, as in the default one. */
typedef struct {
    Agraph_t *root;
    GHashTable *ids;  /* name -> index + 1 */
    GPtrArray *names; /* index -> name, a reference to a string of root's (its writer reads the
                         "HTML-like" flag stored with interned strings) */
    IDTYPE anonymous; /* the last odd ID handed out */
} id_state;

static void *id_open(Agraph_t *g, Agdisc_t *disc)
{
    (void)disc;
    id_state *s = g_new0(id_state, 1);
    s->root = g;
    s->ids = g_hash_table_new(g_str_hash, g_str_equal);
    s->names = g_ptr_array_new();
    s->anonymous = 1;
    return s;
}

static long id_map(void *state, int objtype, char *str, IDTYPE *id, int createflag)
{
    (void)objtype;
    id_state *s = state;
    if (!str) {
        *id = s->anonymous += 2;
        return TRUE;
    }
    guint index = GPOINTER_TO_UINT(g_hash_table_lookup(s->ids, str));
    if (!index) {
        if (!createflag)
            return FALSE;
        char *name = agstrdup(s->root, str);
        g_ptr_array_add(s->names, name);
        index = s->names->len;
        g_hash_table_insert(s->ids, name, GUINT_TO_POINTER(index));
    }
    *id = (IDTYPE)index * 2;
    return TRUE;
}

static long id_alloc(void *state, int objtype, IDTYPE request)
{
    (void)state;
    (void)objtype;
    (void)request;
    return FALSE; /* no IDs chosen by the caller, as in the default discipline */
}

static void id_free(void *state, int objtype, IDTYPE id)
{
    (void)state;
    (void)objtype;
    (void)id; /* names live until the graph closes: a name may be reused for another type */
}

static char *id_print(void *state, int objtype, IDTYPE id)
{
    (void)objtype;
    id_state *s = state;
    if (id % 2 || id == 0 || id / 2 > s->names->len)
        return NULL;
    return g_ptr_array_index(s->names, id / 2 - 1);
}

static void id_close(void *state)
{
    id_state *s = state;
    for (guint i = 0; i < s->names->len; i++)
        agstrfree(s->root, g_ptr_array_index(s->names, i));
    g_hash_table_unref(s->ids);
    g_ptr_array_unref(s->names);
    g_free(s);
}

static void id_register(void *state, int objtype, void *obj)
{
    (void)state;
    (void)objtype;
    (void)obj;
}

static Agiddisc_t ordered_ids = {id_open,  id_map,   id_alloc,   id_free,
                                 id_print, id_close, id_register};

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

/* Room for a colour: #rrggbbaa, or a colour name (theme.c accepts none longer than 40). */
#define COLOUR_MAX 48

#define ADDED_COLOR "#2ca02c"
#define CHANGED_COLOR "#1f77b4"
#define REMOVED_COLOR "#757575"
#define UNCHANGED_COLOR "#d0d0d0"

/* Appends the change class and restyles: added green, removed grey and dashed with an open
 * arrowhead, kind changed blue, unchanged muted (lighter than removed; an unchanged part of a
 * current cycle keeps its cycle colour). */
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
        if (!node) {
            set(obj, "arrowhead", "empty");
            set(obj, "penwidth", "1.5");
        }
        break;
    case IMPVIZ_CHANGE_KIND:
        g_string_append(cls, " changed");
        set(obj, "color", CHANGED_COLOR);
        set(obj, "penwidth", on_cycle ? "2.5" : "2");
        break;
    default:
        g_string_append(cls, " unchanged");
        if (!on_cycle) {
            set(obj, "color", UNCHANGED_COLOR);
            set(obj, "fontcolor", "#757575");
        }
    }
}

/* Appends the class of a cycle change and restyles: a cycle that appeared drawn bold, one that
 * disappeared in the cycle colour, faded and dashed, where nothing else changed (an import
 * removed or made deferred keeps that change's colour: it is what broke the cycle). */
static void style_cycle_mark(void *obj, GString *cls, guint8 mark, guint8 change,
                             const impviz_theme *t, bool node)
{
    if (mark == IMPVIZ_CYCLE_MARK_NEW) {
        g_string_append(cls, " cycle-appeared");
        set(obj, "penwidth", node ? "3" : "3.5");
    } else if (mark == IMPVIZ_CYCLE_MARK_GONE) {
        g_string_append(cls, " cycle-disappeared");
        if (change != IMPVIZ_CHANGE_SAME)
            return;
        char faded[COLOUR_MAX];
        g_snprintf(faded, sizeof faded, "%s", t->cycle);
        if (strlen(faded) == 7 && faded[0] == '#')
            g_strlcat(faded, "80", sizeof faded); /* half transparent */
        set(obj, "color", faded);
        set(obj, "style", node ? "rounded,filled,dashed" : "dashed");
        set(obj, "penwidth", "2");
    }
}

/* ---- building the graph ------------------------------------------------------------------ */

typedef struct {
    const impviz_analysis *a;
    const impviz_view *view;
    const impviz_render_opts *opts;
    impviz_format format;
    const char *engine;        /* Graphviz layout engine, chosen before the graph is built */
    const impviz_theme *theme; /* opts->theme or the built-in light theme */
    char **fills;              /* the theme's component fills, split */
    guint n_fills;
    guint *runtime_rank; /* per runtime component: its number among those drawn runtime_fill */
    bool clusters_drawn; /* the engine draws package clusters; else nodes carry full names */
    Agraph_t *g;
    Agraph_t *externals;  /* subgraph of external nodes, made on first use */
    GHashTable *clusters; /* package name -> Agraph_t * */
    Agnode_t **nodes;     /* per view node */
} builder;

/* ---- component fills ---------------------------------------------------------------------- */

static bool parse_rgb(const char *colour, guint rgb[3])
{
    if (strlen(colour) != 7 || colour[0] != '#')
        return false;
    for (int i = 0; i < 3; i++) {
        int hi = g_ascii_xdigit_value(colour[1 + 2 * i]),
            lo = g_ascii_xdigit_value(colour[2 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        rgb[i] = (guint)(hi * 16 + lo);
    }
    return true;
}

/* Writes into buf (COLOUR_MAX bytes) `a` mixed with `b` as wa : (1 - wa), or copies `a` when either
 * is not #rrggbb (a colour name cannot be mixed here). Returns buf. */
static const char *mix(const char *a, const char *b, double wa, char *buf)
{
    guint x[3], y[3];
    if (!parse_rgb(a, x) || !parse_rgb(b, y)) {
        g_strlcpy(buf, a, COLOUR_MAX);
        return buf;
    }
    guint c[3];
    for (int i = 0; i < 3; i++)
        c[i] = (guint)(wa * x[i] + (1 - wa) * y[i] + 0.5);
    g_snprintf(buf, COLOUR_MAX, "#%02x%02x%02x", c[0], c[1], c[2]);
    return buf;
}

/* The fill of fill number i (buf: COLOUR_MAX bytes). The theme's list first; past its end, each
 * colour of the list mixed 2:1 with another, the other one step further on each round, so that a
 * list of n colours gives n * n distinct fills before any repeats. */
static const char *component_fill(const builder *b, guint i, char *buf)
{
    guint n = b->n_fills, first = i % n, round = (i / n) % n;
    if (round == 0) {
        g_strlcpy(buf, b->fills[first], COLOUR_MAX);
        return buf;
    }
    return mix(b->fills[first], b->fills[(first + round) % n], 2.0 / 3, buf);
}

/* The fill of the members of runtime component r that are on no import-time cycle. The first
 * such component gets the theme's runtime fill (the legend's); the others that fill mixed half
 * and half with fills numbered after the import-time ones: one family, paler than the
 * import-time fills, and distinct from each other. */
static const char *runtime_fill(const builder *b, guint r, char *buf)
{
    guint rank = b->runtime_rank[r];
    if (rank == 0) {
        g_strlcpy(buf, b->theme->runtime_fill, COLOUR_MAX);
        return buf;
    }
    char own[COLOUR_MAX];
    component_fill(b, b->a->graph->import_time.components->len + rank - 1, own);
    return mix(b->theme->runtime_fill, own, 0.5, buf);
}

/* Numbers the runtime components that have members on no import-time cycle, in order.
 * Caller frees. */
static guint *rank_runtime_components(const impviz_graph *graph)
{
    const impviz_sccs *rt = &graph->runtime;
    guint *rank = g_new0(guint, rt->components->len + 1), next = 0;
    for (guint r = 0; r < rt->components->len; r++) {
        const GArray *members = g_ptr_array_index(rt->components, r);
        for (guint k = 0; k < members->len; k++)
            if (graph->import_time.component_of[g_array_index(members, guint, k)] < 0) {
                rank[r] = next++;
                break;
            }
    }
    return rank;
}

/* The cluster of a package, created with its parents on first use. */
static Agraph_t *cluster_for(builder *b, const char *package)
{
    if (!*package || !b->clusters_drawn)
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
    set(c, "style", "rounded,filled");
    set(c, "color", b->theme->cluster_border);
    set(c, "fillcolor", b->theme->cluster_fill);
    set(c, "fontcolor", b->theme->cluster_text);
    g_hash_table_insert(b->clusters, g_strdup(package), c);
    return c;
}

/* The Graphviz name of a view node, which SVG shows as its <title>: the dotted name for project
 * nodes (unique in a view: a collapsed package absorbs the module of its name), "ext:NAME" for
 * externals. Caller frees. */
static char *gv_name(const impviz_view_node *node)
{
    bool ext = node->type == IMPVIZ_NODE_STDLIB || node->type == IMPVIZ_NODE_THIRD_PARTY;
    /* Graphviz writes names raw into SVG titles and comments: bytes that are not UTF-8 (an
     * import string in a file that is not UTF-8) would make the file invalid XML */
    char *valid = g_utf8_make_valid(node->name, -1);
    char *name = g_strconcat(ext ? "ext:" : "", valid, NULL);
    g_free(valid);
    return name;
}

/* Tooltip of a project node: name, path, edges in and out, component. */
static char *project_tooltip(const builder *b, const impviz_view_node *node)
{
    GString *tip = g_string_new(node->name);
    if (node->type == IMPVIZ_NODE_MODULE) {
        const impviz_module *m = module_at(b->a, g_array_index(node->modules, guint, 0));
        g_string_append_printf(tip, "\n%s", m->path);
    } else {
        g_string_append_printf(tip, "\n%u modules collapsed", node->modules->len);
    }
    g_string_append_printf(tip, "\nimports %u, imported by %u",
                           b->view->reversed ? node->in : node->out,
                           b->view->reversed ? node->out : node->in);
    if (node->component >= 0)
        g_string_append_printf(tip, "\non import-time cycle %d", node->component + 1);
    else if (node->runtime_component >= 0)
        g_string_append_printf(tip, "\non runtime cycle %d", node->runtime_component + 1);
    return g_string_free(tip, FALSE);
}

/* A URL made safe for Graphviz's SVG, which writes xlink:href without escaping it: bytes that
 * cannot stand in a URL or an XML attribute are percent-encoded, and '&' (a query separator)
 * becomes "&amp;" in pictures (Graphviz keeps an entity as it is) but stays '&' in DOT. */
static char *url_safe(const char *url, bool xml)
{
    GString *out = g_string_new(NULL);
    for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
        if (*p == '&')
            g_string_append(out, xml ? "&amp;" : "&");
        else if (*p <= ' ' || *p >= 0x7f || strchr("\"'<>\\`{}|^", *p))
            g_string_append_printf(out, "%%%02X", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    return g_string_free(out, FALSE);
}

static void set_node_link(const builder *b, Agnode_t *n, const impviz_view_node *node)
{
    if (!b->opts->link || !node->modules->len)
        return;
    char *url;
    if (node->type == IMPVIZ_NODE_MODULE) {
        const impviz_module *m = module_at(b->a, g_array_index(node->modules, guint, 0));
        url = impviz_link_expand(b->opts->link, m->path, 1, m->name);
    } else { /* a collapsed package: its directory */
        char *dir = g_strdelimit(g_strdup(node->name), ".", '/');
        url = impviz_link_expand(b->opts->link, dir, 1, node->name);
        g_free(dir);
    }
    char *safe = url_safe(url, b->format != IMPVIZ_FORMAT_DOT);
    set_esc(n, "URL", safe);
    g_free(safe);
    g_free(url);
}

/* An edge links to its first import statement. */
static void set_edge_link(const builder *b, Agedge_t *edge, const impviz_view_edge *e)
{
    if (!b->opts->link || !e->refs->len)
        return;
    const impviz_ref *r = &g_array_index(b->a->refs, impviz_ref, g_array_index(e->refs, guint, 0));
    const impviz_module *m = module_at(b->a, r->source);
    char *url = impviz_link_expand(b->opts->link, m->path, r->import->line, m->name);
    char *safe = url_safe(url, b->format != IMPVIZ_FORMAT_DOT);
    set_esc(edge, "URL", safe);
    g_free(safe);
    g_free(url);
}

/* impviz diff: the change (or cycle mark) of a node or edge standing for several modules or
 * edges is theirs when they all agree, else none (0). */
static guint8 node_value(const impviz_view_node *node, const guint8 *per_module)
{
    if (!per_module)
        return 0;
    guint8 value = 0;
    for (guint i = 0; i < node->modules->len; i++) {
        guint8 c = per_module[g_array_index(node->modules, guint, i)];
        if (i && c != value)
            return 0;
        value = c;
    }
    return value;
}

static guint8 edge_value(const builder *b, const impviz_view_edge *e, const guint8 *per_edge)
{
    if (!per_edge)
        return 0;
    const impviz_analysis *a = b->a;
    guint8 value = 0;
    bool first = true;
    for (guint i = 0; i < e->refs->len; i++) {
        const impviz_ref *r = &g_array_index(a->refs, impviz_ref, g_array_index(e->refs, guint, i));
        if (r->target < 0)
            return 0;
        const impviz_edge *ge = impviz_graph_edge(a->graph, r->source, (guint)r->target);
        guint8 c = per_edge[ge - &g_array_index(a->graph->edges, impviz_edge, 0)];
        if (!first && c != value)
            return 0;
        value = c;
        first = false;
    }
    return value;
}

static guint8 node_change(const builder *b, const impviz_view_node *node)
{
    return node_value(node, b->opts->module_changes);
}

static guint8 edge_change(const builder *b, const impviz_view_edge *e)
{
    return edge_value(b, e, b->opts->edge_changes);
}

static guint8 node_mark(const builder *b, const impviz_view_node *node)
{
    return node_value(node, b->opts->module_cycle_marks);
}

static guint8 edge_mark(const builder *b, const impviz_view_edge *e)
{
    return edge_value(b, e, b->opts->edge_cycle_marks);
}

static void add_nodes(builder *b)
{
    const impviz_view *v = b->view;
    b->nodes = g_new0(Agnode_t *, v->nodes->len + 1);
    for (guint k = 0; k < v->nodes->len; k++) {
        const impviz_view_node *node = g_ptr_array_index(v->nodes, k);
        char *key = impviz_view_node_id(node), *name = gv_name(node);
        GString *cls = g_string_new(NULL);
        Agnode_t *n;
        if (node->type == IMPVIZ_NODE_STDLIB || node->type == IMPVIZ_NODE_THIRD_PARTY) {
            if (!b->externals) {
                b->externals = agsubg(b->g, (char *)"externals", 1);
                set(b->externals, "rank", "sink");
            }
            n = agnode(b->externals, name, 1);
            bool std = node->type == IMPVIZ_NODE_STDLIB;
            set(n, "shape", "ellipse");
            set(n, "style", "filled");
            set(n, "fillcolor", std ? b->theme->stdlib_fill : b->theme->third_party_fill);
            set(n, "color", std ? b->theme->stdlib_border : b->theme->third_party_border);
            g_string_append(cls, std ? "external stdlib" : "external third-party");
            char *tip = g_strdup_printf("%s\n%s, outside the project\nimported by %u", node->name,
                                        std ? "standard library" : "third party",
                                        v->reversed ? node->out : node->in);
            set_esc(n, "tooltip", tip);
            g_free(tip);
        } else {
            n = agnode(cluster_for(b, node->package), name, 1);
            g_string_append(cls, "module");
            if (node->is_package)
                g_string_append(cls, " package");
            if (node->type == IMPVIZ_NODE_COLLAPSED) {
                g_string_append(cls, " collapsed");
                set(n, "shape", "folder");
            }
            char fill[COLOUR_MAX];
            if (node->component >= 0) {
                g_string_append(cls, " in-cycle");
                set(n, "fillcolor", component_fill(b, (guint)node->component, fill));
                set(n, "color", b->theme->cycle);
                set(n, "penwidth", "2");
            } else if (node->runtime_component >= 0) {
                g_string_append(cls, " in-runtime-cycle");
                set(n, "fillcolor", runtime_fill(b, (guint)node->runtime_component, fill));
                set(n, "color", b->theme->runtime_cycle);
            }
            char *tip = project_tooltip(b, node);
            set_esc(n, "tooltip", tip);
            g_free(tip);
        }
        b->nodes[k] = n;
        set_node_link(b, n, node);
        /* without clusters to carry the package, a short name would be ambiguous (__init__) */
        bool project = node->type == IMPVIZ_NODE_MODULE || node->type == IMPVIZ_NODE_COLLAPSED;
        set_esc(n, "label", b->clusters_drawn || !project ? node->label : node->name);
        set_esc(n, "id", key);
        if (b->opts->module_changes && node->modules->len)
            style_change(n, cls, node_change(b, node), node->component >= 0, true);
        if (b->opts->module_cycle_marks && node->modules->len)
            style_cycle_mark(n, cls, node_mark(b, node), node_change(b, node), b->theme, true);
        set(n, "class", cls->str);
        g_string_free(cls, TRUE);
        g_free(key);
        g_free(name);
    }
}

static bool is_external_node(const impviz_view *v, guint k)
{
    const impviz_view_node *node = g_ptr_array_index(v->nodes, k);
    return node->type == IMPVIZ_NODE_STDLIB || node->type == IMPVIZ_NODE_THIRD_PARTY;
}

static bool is_collapsed_node(const impviz_view *v, guint k)
{
    return ((const impviz_view_node *)g_ptr_array_index(v->nodes, k))->type ==
           IMPVIZ_NODE_COLLAPSED;
}

/* "path:line: statement (kind)", one line per import record behind the edge. */
static char *edge_tooltip(const builder *b, const impviz_view_edge *e)
{
    const impviz_analysis *a = b->a;
    GString *tip = g_string_new(NULL);
    if (e->statements > 1)
        g_string_append_printf(tip, "%u imports\n", e->statements);
    for (guint i = 0; i < e->refs->len; i++) {
        guint ref = g_array_index(e->refs, guint, i);
        if (impviz_view_same_statement(a, e->refs, i, ref))
            continue;
        const impviz_ref *r = &g_array_index(a->refs, impviz_ref, ref);
        g_string_append_printf(tip, "%s%s:%u: %s (%s)", i ? "\n" : "",
                               module_at(a, r->source)->path, r->import->line, r->import->statement,
                               impviz_kind_str(r->import->kind));
    }
    return g_string_free(tip, FALSE);
}

/* ---- ranking hints ------------------------------------------------------------------------ */

/* Edges that should not push their target down a rank: every non-eager import (ranks follow
 * what runs at import time), and a small feedback set that makes the eager edges acyclic, found
 * with the Eades-Lin-Smyth heuristic (sinks to the right, sources to the left, otherwise the
 * node with the largest out-degree minus in-degree; ties by node index, so it is deterministic).
 * Left to dot's own depth-first cycle breaking, the CPython standard library's graph gets twice
 * as many ranks as its longest path and its layout several times slower. Caller frees. */
static bool *unconstrained_edges(const impviz_view *v)
{
    guint n = v->nodes->len, m = v->edges->len;
    bool *free_edge = g_new0(bool, m + 1);
    gint *outdeg = g_new0(gint, n + 1), *indeg = g_new0(gint, n + 1);
    guint *out_off = g_new0(guint, n + 2), *in_off = g_new0(guint, n + 2);
    guint *out_edges = g_new(guint, m + 1), *in_edges = g_new(guint, m + 1);
    for (guint k = 0; k < m; k++) {
        const impviz_view_edge *e = &g_array_index(v->edges, impviz_view_edge, k);
        if (e->kind != IMPVIZ_EAGER) {
            free_edge[k] = true;
            continue;
        }
        outdeg[e->source]++;
        indeg[e->target]++;
    }
    for (guint i = 0; i < n; i++) {
        out_off[i + 1] = out_off[i] + (guint)outdeg[i];
        in_off[i + 1] = in_off[i] + (guint)indeg[i];
    }
    guint *out_fill = g_new0(guint, n + 1), *in_fill = g_new0(guint, n + 1);
    for (guint k = 0; k < m; k++) {
        const impviz_view_edge *e = &g_array_index(v->edges, impviz_view_edge, k);
        if (free_edge[k])
            continue;
        out_edges[out_off[e->source] + out_fill[e->source]++] = k;
        in_edges[in_off[e->target] + in_fill[e->target]++] = k;
    }
    /* pos: left part counts up from 0, right part down from n - 1 */
    guint *pos = g_new(guint, n + 1);
    bool *gone = g_new0(bool, n + 1);
    guint left = 0, right = n, remaining = n;
    while (remaining) {
        bool changed = true;
        while (changed) {
            changed = false;
            for (guint i = 0; i < n; i++) {
                if (gone[i] || (outdeg[i] && indeg[i]))
                    continue;
                gone[i] = true;
                remaining--;
                changed = true;
                pos[i] = outdeg[i] ? left++ : --right; /* a sink goes right, a source left */
                for (guint k = out_off[i]; k < out_off[i + 1]; k++)
                    indeg[g_array_index(v->edges, impviz_view_edge, out_edges[k]).target]--;
                for (guint k = in_off[i]; k < in_off[i + 1]; k++)
                    outdeg[g_array_index(v->edges, impviz_view_edge, in_edges[k]).source]--;
            }
        }
        if (!remaining)
            break;
        guint best = G_MAXUINT;
        for (guint i = 0; i < n; i++)
            if (!gone[i] &&
                (best == G_MAXUINT || outdeg[i] - indeg[i] > outdeg[best] - indeg[best]))
                best = i;
        gone[best] = true;
        remaining--;
        pos[best] = left++;
        for (guint k = out_off[best]; k < out_off[best + 1]; k++)
            indeg[g_array_index(v->edges, impviz_view_edge, out_edges[k]).target]--;
        for (guint k = in_off[best]; k < in_off[best + 1]; k++)
            outdeg[g_array_index(v->edges, impviz_view_edge, in_edges[k]).source]--;
    }
    for (guint k = 0; k < m; k++) {
        const impviz_view_edge *e = &g_array_index(v->edges, impviz_view_edge, k);
        if (!free_edge[k] && pos[e->source] > pos[e->target])
            free_edge[k] = true;
    }
    g_free(pos);
    g_free(gone);
    g_free(outdeg);
    g_free(indeg);
    g_free(out_off);
    g_free(in_off);
    g_free(out_edges);
    g_free(in_edges);
    g_free(out_fill);
    g_free(in_fill);
    return free_edge;
}

static void add_edges(builder *b)
{
    const impviz_view *v = b->view;
    bool *unconstrained = unconstrained_edges(v);
    for (guint k = 0; k < v->edges->len; k++) {
        const impviz_view_edge *e = &g_array_index(v->edges, impviz_view_edge, k);
        Agedge_t *edge = agedge(b->g, b->nodes[e->source], b->nodes[e->target], NULL, 1);
        bool external = is_external_node(v, e->source) || is_external_node(v, e->target);
        GString *cls = g_string_new(impviz_kind_str(e->kind));
        if (external)
            g_string_append(cls, " external");
        if (e->cycle)
            g_string_append(cls, " cycle");
        else if (e->runtime_cycle)
            g_string_append(cls, " runtime-cycle");
        switch (e->kind) {
        case IMPVIZ_DEFERRED:
        case IMPVIZ_LAZY:
            set(edge, "style", "dashed");
            break;
        case IMPVIZ_TYPING:
            set(edge, "style", "dotted");
            set(edge, "color", b->theme->edge_typing);
            break;
        default:
            break;
        }
        if (external)
            set(edge, "color", b->theme->edge_external);
        /* an edge between collapsed packages is as thick as the imports behind it are many */
        double width = 1.0;
        if (e->statements > 1 &&
            (is_collapsed_node(v, e->source) || is_collapsed_node(v, e->target)))
            width = MIN(1.0 + 0.3 * (g_bit_storage(e->statements) - 1), 3.0); /* 1 + 0.3 log2 */
        if (e->cycle) {
            set(edge, "color", b->theme->cycle);
            width = MAX(width, 2.5);
        } else if (e->runtime_cycle) {
            set(edge, "color", b->theme->runtime_cycle);
        }
        if (width > 1.0) {
            char pen[G_ASCII_DTOSTR_BUF_SIZE];
            set(edge, "penwidth", g_ascii_formatd(pen, sizeof pen, "%.1f", width));
        }
        if (b->opts->edge_changes && !external)
            style_change(edge, cls, edge_change(b, e), e->cycle, false);
        if (b->opts->edge_cycle_marks && !external)
            style_cycle_mark(edge, cls, edge_mark(b, e), edge_change(b, e), b->theme, false);
        set(edge, "class", cls->str);
        g_string_free(cls, TRUE);
        if (unconstrained[k])
            set(edge, "constraint", "false");
        if (e->statements > 1) {
            char weight[16];
            g_snprintf(weight, sizeof weight, "%u", e->statements);
            set(edge, "weight", weight);
        }
        set_edge_link(b, edge, e);
        char *tip = edge_tooltip(b, e);
        set_esc(edge, "tooltip", tip);
        g_free(tip);
        char *id = impviz_view_edge_id(v, e);
        set_esc(edge, "id", id);
        g_free(id);
    }
    g_free(unconstrained);
}

/* ---- the legend: one node with an HTML-like table, rows only for what the picture shows ---- */

/* One legend row: a sample (a line drawn in `colour`, or a swatch filled with `fill` and edged
 * with `colour`, its text in `text_colour`) and what it means. */
static void legend_row(GString *h, const char *colour, const char *sample, const char *meaning,
                       const char *fill, const char *text_colour)
{
    g_string_append(h, "<TR><TD");
    if (fill)
        g_string_append_printf(h, " BGCOLOR=\"%s\" BORDER=\"1\" COLOR=\"%s\"", fill, colour);
    g_string_append_printf(h, "><FONT COLOR=\"%s\">%s</FONT></TD><TD ALIGN=\"LEFT\">%s</TD></TR>",
                           fill ? text_colour : colour, sample, meaning);
}

/* impviz diff's rows: only the changes the picture shows. */
static void legend_changes(const builder *b, GString *h)
{
    const impviz_view *v = b->view;
    bool seen[IMPVIZ_CHANGE_KIND + 1] = {false}, marks[IMPVIZ_CYCLE_MARK_GONE + 1] = {false};
    for (guint k = 0; k < v->nodes->len; k++) {
        const impviz_view_node *n = g_ptr_array_index(v->nodes, k);
        if (n->modules->len) {
            seen[node_change(b, n)] = true;
            marks[node_mark(b, n)] = true;
        }
    }
    for (guint k = 0; k < v->edges->len; k++) {
        const impviz_view_edge *e = &g_array_index(v->edges, impviz_view_edge, k);
        if (!is_external_node(v, e->source) && !is_external_node(v, e->target)) {
            seen[edge_change(b, e)] = true;
            marks[edge_mark(b, e)] = true;
        }
    }
    const char *bold = "<B>&#8212;&#8212;&#9656;</B>", *dashed = "&#8211; &#8211; &#9656;";
    if (seen[IMPVIZ_CHANGE_ADDED])
        legend_row(h, ADDED_COLOR, bold, "added", NULL, NULL);
    if (seen[IMPVIZ_CHANGE_REMOVED])
        legend_row(h, REMOVED_COLOR, "&#8211; &#8211; &#9655;", "removed", NULL, NULL);
    if (seen[IMPVIZ_CHANGE_KIND])
        legend_row(h, CHANGED_COLOR, bold, "kind changed (eager, deferred ...)", NULL, NULL);
    if (seen[IMPVIZ_CHANGE_SAME])
        legend_row(h, UNCHANGED_COLOR, "&#8212;&#8212;&#9656;", "unchanged", NULL, NULL);
    if (marks[IMPVIZ_CYCLE_MARK_NEW])
        legend_row(h, b->theme->cycle, bold, "on a cycle that appeared (thick)", NULL, NULL);
    if (marks[IMPVIZ_CYCLE_MARK_GONE])
        legend_row(h, b->theme->cycle, dashed, "on a cycle that disappeared (faded)", NULL, NULL);
}

static void add_legend(builder *b)
{
    const impviz_view *v = b->view;
    const impviz_theme *t = b->theme;
    bool cycle = false, runtime = false, deferred = false, typing = false, collapsed = false,
         in_cycle = false, stdlib = false, third = false;
    for (guint k = 0; k < v->edges->len; k++) {
        const impviz_view_edge *e = &g_array_index(v->edges, impviz_view_edge, k);
        cycle |= e->cycle;
        runtime |= e->runtime_cycle;
        deferred |= e->kind == IMPVIZ_DEFERRED || e->kind == IMPVIZ_LAZY;
        typing |= e->kind == IMPVIZ_TYPING;
    }
    for (guint k = 0; k < v->nodes->len; k++) {
        const impviz_view_node *n = g_ptr_array_index(v->nodes, k);
        collapsed |= n->type == IMPVIZ_NODE_COLLAPSED;
        in_cycle |= n->component >= 0;
        stdlib |= n->type == IMPVIZ_NODE_STDLIB;
        third |= n->type == IMPVIZ_NODE_THIRD_PARTY;
    }
    GString *h = g_string_new(NULL);
    g_string_append_printf(h,
                           "<TABLE BORDER=\"1\" STYLE=\"ROUNDED\" CELLBORDER=\"0\" "
                           "CELLSPACING=\"1\" CELLPADDING=\"2\" COLOR=\"%s\">",
                           t->legend_border);
    legend_row(h, t->edge, "&#8212;&#8212;&#9656;",
               v->reversed ? "is imported by (at import time)" : "imports (at import time)", NULL,
               NULL);
    if (cycle)
        legend_row(h, t->cycle, "<B>&#8212;&#8212;&#9656;</B>", "import-time cycle", NULL, NULL);
    if (runtime)
        legend_row(h, t->runtime_cycle, "&#8212;&#8212;&#9656;", "runtime-only cycle", NULL, NULL);
    if (deferred)
        legend_row(h, t->edge, "&#8211; &#8211; &#9656;", "deferred (in a function) or lazy", NULL,
                   NULL);
    if (typing)
        legend_row(h, t->edge_typing, "&#183; &#183; &#183;&#9656;", "TYPE_CHECKING only", NULL,
                   NULL);
    if (in_cycle)
        legend_row(h, t->cycle, "module", "on an import-time cycle", b->fills[0], t->module_text);
    if (collapsed)
        legend_row(h, t->module_border, "&#9633; pkg", "package collapsed (--depth)", NULL, NULL);
    if (stdlib)
        legend_row(h, t->stdlib_border, "stdlib", "standard library", t->stdlib_fill,
                   t->module_text);
    if (third)
        legend_row(h, t->third_party_border, "pkg", "third party", t->third_party_fill,
                   t->module_text);
    if (b->opts->module_changes)
        legend_changes(b, h);
    g_string_append(h, "</TABLE>");
    Agnode_t *n = agnode(b->g, (char *)"legend", 1);
    set(n, "shape", "plaintext");
    set(n, "style", "");
    set(n, "margin", "0");
    set(n, "class", "legend");
    set(n, "id", "legend");
    set(n, "fontsize", "9");
    set(n, "fontcolor", t->legend_text);
    set(n, "tooltip", "legend");
    char *html = agstrdup_html(b->g, h->str);
    agxset(n, agattr(b->g, AGNODE, (char *)"label", NULL), html);
    agstrfree(b->g, html);
    g_string_free(h, TRUE);
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

/* ---- layout choice ------------------------------------------------------------------------ */

/* Past these sizes dot gets the faster settings below (measured: MEASUREMENTS.md). */
#define LARGE_NODES 150
#define LARGE_EDGES 600
/* Past these, dot takes minutes even so (the stdlib with its tests: 1 700 modules, 9 000 edges,
 * 100 s) and --layout auto switches to sfdp, which lays that out in about a second. The stdlib
 * without tests (870 modules, 3 600 edges) stays with dot: about 12 s. */
#define DOT_MAX_NODES 1200
#define DOT_MAX_EDGES 5000

static bool is_large(const impviz_view *v)
{
    return v->nodes->len > LARGE_NODES || v->edges->len > LARGE_EDGES;
}

const char *impviz_render_engine(const impviz_view *view, const char *layout)
{
    if (layout && strcmp(layout, "auto") != 0)
        return layout;
    return view->nodes->len <= DOT_MAX_NODES && view->edges->len <= DOT_MAX_EDGES ? "dot" : "sfdp";
}

static Agraph_t *build(builder *b, Agdisc_t *disc)
{
    Agraph_t *g = agopen((char *)"impviz", Agdirected, disc);
    b->g = g;
    b->clusters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    set(g, "rankdir", b->opts->rankdir ? b->opts->rankdir : "TB");
    const impviz_theme *t = b->theme;
    set(g, "bgcolor", t->background);
    set(g, "fontname", t->font);
    set(g, "fontsize", t->font_size);
    set(g, "fontcolor", t->cluster_text);
    set(g, "class", "impviz");
    set(g, "newrank", "false");
    agattr(g, AGNODE, (char *)"label", (char *)"\\N");
    agattr(g, AGNODE, (char *)"shape", (char *)"box");
    agattr(g, AGNODE, (char *)"style", (char *)"rounded,filled");
    agattr(g, AGNODE, (char *)"fillcolor", t->module_fill);
    agattr(g, AGNODE, (char *)"color", t->module_border);
    agattr(g, AGNODE, (char *)"fontcolor", t->module_text);
    agattr(g, AGNODE, (char *)"fontname", t->font);
    agattr(g, AGNODE, (char *)"fontsize", t->font_size);
    agattr(g, AGEDGE, (char *)"color", t->edge);
    agattr(g, AGEDGE, (char *)"arrowsize", (char *)"0.7");
    agattr(g, AGEDGE, (char *)"fontname", t->font);
    agattr(g, AGEDGE, (char *)"fontsize", (char *)"9");
    set(g, "layout", b->engine);
    if (strcmp(b->engine, "dot") == 0 && is_large(b->view)) {
        /* dot's crossing minimisation and network simplex dominate on large graphs; these
         * limits cut layout time several-fold for a similar number of crossings */
        set(g, "mclimit", "0.1");
        set(g, "nslimit", "2");
        set(g, "nslimit1", "2");
        set(g, "remincross", "false");
    } else if (strcmp(b->engine, "dot") != 0) {
        /* force-directed and radial engines: no overlapping nodes, nodes drawn over edges */
        set(g, "overlap", "prism");
        set(g, "outputorder", "edgesfirst");
        if (is_large(b->view))
            set(g, "splines", "false");
    }
    add_nodes(b);
    add_edges(b);
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

/* Cairo stamps a PDF with the time it was made (/CreationDate (D:YYYYMMDDHHMMSSZ)), which would
 * make every run's file differ. Overwritten in place, digit for digit, with a fixed date, so
 * that the byte offsets the PDF's cross-reference table holds stay right. */
static void pdf_fix_date(char *data, unsigned int len)
{
    static const char key[] = "/CreationDate (D:";
    const char *fixed = "19700101000000";
    size_t n = sizeof key - 1;
    char *p = NULL;
    /* near the end, in the document information; the streams before it may hold NUL bytes */
    for (size_t i = len >= n ? len - n + 1 : 0; i-- > 0;)
        if (data[i] == '/' && memcmp(data + i, key, n) == 0) {
            p = data + i + n;
            break;
        }
    if (!p)
        return;
    for (const char *f = fixed; *f && p < data + len && g_ascii_isdigit(*p); f++, p++)
        *p = *f;
}
static impviz_status layout_render(void *data, impviz_diags *diags, GBytes **out)
{
    layout_job *job = data;
    impviz_diags *outer = errf_diags;
    errf_diags = diags; /* in a child, Graphviz's messages go back through its own list */
    impviz_status status = IMPVIZ_OK;
    *out = NULL;
    /* the graph's own `layout` attribute wins over gvLayout's argument: keep them one */
    set(job->g, "layout", job->layout);
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
        if (job->format == IMPVIZ_FORMAT_PDF)
            pdf_fix_date(data_out, len);
        *out = g_bytes_new(data_out, len);
    }
    gvFreeRenderData(data_out);
    gvFreeLayout(job->gvc, job->g);
cleanup:
    errf_hook((char *)"\n"); /* a last unterminated message belongs to this list */
    errf_diags = outer;
    return status;
}

/* One Graphviz context for the process, made on first use and never freed: Graphviz 2.42's
 * pango plugin keeps a pointer to the last font name it measured, which the context's font
 * cache frees with the context, so a second context in the same process read freed memory
 * (AddressSanitizer: textspan_size). It is reused under errf_lock, like every render. */
static GVC_t *shared_context(void)
{
    static GVC_t *gvc;
    if (!gvc)
        gvc = gvContext();
    return gvc;
}

/* In this process (no --timeout): Graphviz's plugins print some messages straight to standard
 * error, so it goes to a temporary file for the time of the layout, and what was printed comes
 * back as warnings, as a layout child's do. Nothing else writes to standard error meanwhile:
 * impviz prints its own diagnostics at the end. */
static impviz_status layout_render_here(layout_job *job, impviz_diags *diags, GBytes **out)
{
#if defined(__SANITIZE_ADDRESS__)
    /* a sanitizer's report must reach the terminal, not a temporary file that dies with it */
    return layout_render(job, diags, out);
#endif
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = tmp ? dup(STDERR_FILENO) : -1;
    if (saved >= 0 && dup2(fileno(tmp), STDERR_FILENO) < 0) {
        close(saved);
        saved = -1;
    }
    impviz_status status = layout_render(job, diags, out);
    if (saved >= 0) {
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        char buf[4096];
        GString *text = g_string_new(NULL);
        size_t n;
        rewind(tmp);
        while ((n = fread(buf, 1, sizeof buf, tmp)) > 0 && text->len < 65536)
            g_string_append_len(text, buf, (gssize)n);
        impviz_stderr_warnings(text->str, text->len, diags);
        g_string_free(text, TRUE);
    }
    if (tmp)
        fclose(tmp);
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
    if (format == IMPVIZ_FORMAT_HTML)
        return impviz_html(a, opts, diags, out);
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
    Agdisc_t disc = {&AgMemDisc, &ordered_ids, &io};
    impviz_view *own_view = NULL;
    if (!opts->view) {
        impviz_view_opts vopts = {.externals = opts->externals ? IMPVIZ_EXTERNALS_TOP
                                                               : IMPVIZ_EXTERNALS_NONE};
        impviz_view_new(a, &vopts, diags, &own_view);
    }
    builder b = {.a = a, .view = opts->view ? opts->view : own_view, .opts = opts};
    b.engine = impviz_render_engine(b.view, opts->layout);
    /* neato, sfdp, circo and twopi ignore clusters (neato draws a wrong box): none for them */
    b.clusters_drawn = strcmp(b.engine, "dot") == 0 || strcmp(b.engine, "fdp") == 0 ||
                       strcmp(b.engine, "osage") == 0 || strcmp(b.engine, "patchwork") == 0;
    b.format = format;
    impviz_theme *own_theme = opts->theme ? NULL : impviz_theme_new();
    b.theme = opts->theme ? opts->theme : own_theme;
    b.fills = g_strsplit(b.theme->component_fills, ";", -1);
    for (char **f = b.fills; *f; f++)
        g_strstrip(*f);
    b.n_fills = g_strv_length(b.fills);
    b.runtime_rank = rank_runtime_components(a->graph);
    GVC_t *gvc = shared_context();
    Agraph_t *g = build(&b, &disc);

    if (format == IMPVIZ_FORMAT_DOT) {
        agwrite(g, dot_text);
        *out = g_bytes_new(dot_text->str, dot_text->len);
        goto cleanup;
    }
    layout_job job = {gvc, g, b.engine, format};
    status = opts->timeout ? layout_render_within(&job, opts->timeout, diags, out)
                           : layout_render_here(&job, diags, out);
cleanup:
    agclose(g);
    g_hash_table_unref(b.clusters);
    g_free(b.nodes);
    impviz_view_free(own_view);
    impviz_theme_free(own_theme);
    g_strfreev(b.fills);
    g_free(b.runtime_rank);
    g_string_free(dot_text, TRUE);
    errf_hook((char *)"\n"); /* flush a last unterminated message */
    agseterrf(previous);
    g_string_free(errf_line, TRUE);
    errf_line = NULL;
    errf_diags = NULL;
    g_mutex_unlock(&errf_lock);
    return status;
}
