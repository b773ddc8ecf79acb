/* SPDX-License-Identifier: MIT */
/*
 * review.c - the analysis for code review: a Markdown pull-request comment, and the cycle steps
 * and file paths that every review format (SARIF, GitHub annotations, Markdown) shares.
 *
 * Text from the code (module names, paths, statements) only ever reaches Markdown inside code
 * spans whose backtick fence is longer than any run of backticks in the text, with control
 * characters replaced, so it cannot open a heading, a list, a link or HTML. Graphs go through
 * mermaid.c, which entity-encodes every label.
 */
#include "impviz.h"

#include <string.h>

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

bool impviz_format_is_review(impviz_format format)
{
    return format == IMPVIZ_FORMAT_SARIF || format == IMPVIZ_FORMAT_GITHUB ||
           format == IMPVIZ_FORMAT_MARKDOWN || format == IMPVIZ_FORMAT_MERMAID;
}

/* ---- shared: steps and paths ---------------------------------------------------------------- */

static const impviz_import *first_import(const impviz_analysis *a, guint s, guint t, guint mask)
{
    const impviz_edge *e = impviz_graph_edge(a->graph, s, t);
    for (guint i = 0; e && i < e->count; i++) {
        const impviz_ref *r = &g_array_index(a->refs, impviz_ref, e->refs[i]);
        if (mask & (1u << r->import->kind))
            return r->import;
    }
    return NULL;
}

static GArray *steps_of(const impviz_analysis *a, const GArray *component, guint mask)
{
    GArray *cycle = impviz_graph_shortest_cycle(a->graph, component, mask);
    GArray *steps = g_array_new(FALSE, FALSE, sizeof(impviz_step));
    for (guint i = 0; cycle && i + 1 < cycle->len; i++) {
        impviz_step s = {.source = g_array_index(cycle, guint, i),
                         .target = g_array_index(cycle, guint, i + 1)};
        s.import = first_import(a, s.source, s.target, mask);
        g_array_append_val(steps, s);
    }
    if (cycle)
        g_array_unref(cycle);
    return steps;
}

GArray *impviz_cycle_steps(const impviz_analysis *a, guint component)
{
    return steps_of(a, g_ptr_array_index(a->graph->import_time.components, component),
                    1u << IMPVIZ_EAGER);
}

char *impviz_module_display_path(const impviz_module *m)
{
    const char *f = m->file;
    while (f[0] == '.' && f[1] == '/')
        f += 2;
    if (!g_path_is_absolute(f))
        return g_strdup(f);
    char *cwd = g_get_current_dir();
    size_t n = strlen(cwd);
    char *shown =
        strncmp(f, cwd, n) == 0 && f[n] == '/' && n > 1 ? g_strdup(f + n + 1) : g_strdup(f);
    g_free(cwd);
    return shown;
}

/* ---- Markdown ------------------------------------------------------------------------------- */

void impviz_markdown_code(GString *out, const char *s)
{
    GString *text = g_string_new(NULL);
    guint run = 0, longest = 0;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        run = ch == '`' ? run + 1 : 0;
        longest = MAX(longest, run);
        if (ch < ' ' || ch == 0x7f)
            g_string_append(text, "\xef\xbf\xbd"); /* U+FFFD: no line break reaches Markdown */
        else
            g_string_append_c(text, (char)ch);
    }
    char *valid = g_utf8_make_valid(text->str, (gssize)text->len);
    char *fence = g_strnfill(longest + 1, '`');
    bool pad = valid[0] == '`' || (*valid && valid[strlen(valid) - 1] == '`') || valid[0] == ' ';
    g_string_append_printf(out, "%s%s%s%s%s", fence, pad ? " " : "", valid, pad ? " " : "", fence);
    g_free(fence);
    g_free(valid);
    g_string_free(text, TRUE);
}

static void md_chain(GString *out, const impviz_analysis *a, const GArray *steps)
{
    for (guint i = 0; i < steps->len; i++) {
        const impviz_step *s = &g_array_index(steps, impviz_step, i);
        if (i == 0)
            impviz_markdown_code(out, module_at(a, s->source)->name);
        g_string_append(out, " \xe2\x86\x92 "); /* → */
        impviz_markdown_code(out, module_at(a, s->target)->name);
    }
    g_string_append(out, "\n\n");
    for (guint i = 0; i < steps->len; i++) {
        const impviz_step *s = &g_array_index(steps, impviz_step, i);
        char *path = impviz_module_display_path(module_at(a, s->source));
        char *where = g_strdup_printf("%s:%u", path, s->import->line);
        g_string_append_printf(out, "%u. ", i + 1);
        impviz_markdown_code(out, where);
        g_string_append(out, " ");
        impviz_markdown_code(out, s->import->statement);
        if (s->import->kind != IMPVIZ_EAGER)
            g_string_append_printf(out, " (%s)", impviz_kind_str(s->import->kind));
        g_string_append_c(out, '\n');
        g_free(where);
        g_free(path);
    }
}

/* What the diagnosis says of component `index`: the entry points predicted to raise and the
 * imports to change; without a diagnosis, the usual fix at the import that closes the chain. */
static void md_suggestion(GString *out, const impviz_analysis *a, guint index, const GArray *steps)
{
    const impviz_cycle_diagnosis *c = a->diagnosis && index < a->diagnosis->cycles->len
                                          ? g_ptr_array_index(a->diagnosis->cycles, index)
                                          : NULL;
    if (c) {
        bool any = false;
        for (guint k = 0; k < c->entries->len; k++) {
            const impviz_prediction *p = g_ptr_array_index(c->entries, k);
            if (p->type == IMPVIZ_ERROR_NONE)
                continue;
            if (!any)
                g_string_append(out, "\n**Predicted errors:**\n\n");
            any = true;
            g_string_append(out, "- ");
            char *what = g_strdup_printf("import %s", p->module);
            impviz_markdown_code(out, what);
            g_free(what);
            g_string_append(out, " raises ");
            char *err = g_strdup_printf("%s: %s", impviz_error_type_str(p->type), p->message);
            impviz_markdown_code(out, err);
            g_free(err);
            if (p->chain->len) {
                const impviz_frame *f = &g_array_index(p->chain, impviz_frame, p->chain->len - 1);
                char *path = impviz_module_display_path(module_at(a, f->module));
                char *where = g_strdup_printf("%s:%u", path, f->line);
                g_string_append(out, " at ");
                impviz_markdown_code(out, where);
                g_free(where);
                g_free(path);
            }
            g_string_append_c(out, '\n');
        }
        if (c->entries_omitted)
            g_string_append_printf(out,
                                   "\n**Not predicted:** %u member%s past the simulation limit "
                                   "(`--max-simulation`); importing %s may raise.\n",
                                   c->entries_omitted, c->entries_omitted == 1 ? " was" : "s were",
                                   c->entries_omitted == 1 ? "it" : "them");
        else if (!any)
            g_string_append(out, "\n**No error today:** every member imports, but the cycle is "
                                 "fragile (a reordered import can make it raise).\n");
        if (c->suggestions->len)
            g_string_append_printf(out, "\n**Suggestion** (%s):\n\n",
                                   c->minimum ? "the fewest imports to change" : "a heuristic");
        for (guint k = 0; k < c->suggestions->len; k++) {
            const impviz_suggestion *sg = g_ptr_array_index(c->suggestions, k);
            char *path = impviz_module_display_path(module_at(a, sg->module));
            char *where = g_strdup_printf("%s:%u", path, sg->line);
            g_string_append(out, "- ");
            impviz_markdown_code(out, where);
            g_string_append_c(out, ' ');
            impviz_markdown_code(out, sg->statement);
            if (sg->action == IMPVIZ_FIX_DEFER && sg->functions->len) {
                g_string_append(out, ": defer it into ");
                for (guint f = 0; f < sg->functions->len; f++) {
                    const impviz_user *u = g_ptr_array_index(sg->functions, f);
                    char *fn = g_strdup_printf("%s (line %u)", u->function, u->line);
                    g_string_append(out, f ? ", " : "");
                    impviz_markdown_code(out, fn);
                    g_free(fn);
                }
            } else if (sg->action == IMPVIZ_FIX_DEFER) {
                g_string_append(out, ": defer it (its names are not used at import time)");
            } else {
                g_string_append(out, ": restructure: move what needs ");
                for (guint f = 0; f < sg->names->len; f++) {
                    g_string_append(out, f ? ", " : "");
                    impviz_markdown_code(out, g_ptr_array_index(sg->names, f));
                }
                g_string_append(out, " into a third module that imports neither");
            }
            g_string_append_c(out, '\n');
            g_free(where);
            g_free(path);
        }
        return;
    }
    if (!steps->len)
        return;
    const impviz_step *last = &g_array_index(steps, impviz_step, steps->len - 1);
    char *path = impviz_module_display_path(module_at(a, last->source));
    char *where = g_strdup_printf("%s:%u", path, last->import->line);
    g_string_append(out, "\n**Suggestion:** break the cycle at one import, for example ");
    impviz_markdown_code(out, last->import->statement);
    g_string_append(out, " (");
    impviz_markdown_code(out, where);
    g_string_append(out, "): move it into the functions that use the imported names, or move what "
                         "both modules need into a third module that imports neither.\n");
    g_free(where);
    g_free(path);
}

static guint members_total(const impviz_sccs *s)
{
    guint n = 0;
    for (guint i = 0; i < s->components->len; i++)
        n += ((GArray *)g_ptr_array_index(s->components, i))->len;
    return n;
}

/* Runtime components that hold no import-time component: cycles only through deferred code. */
static GPtrArray *runtime_only(const impviz_analysis *a)
{
    const impviz_sccs *it = &a->graph->import_time, *rt = &a->graph->runtime;
    GPtrArray *list = g_ptr_array_new();
    for (guint i = 0; i < rt->components->len; i++) {
        GArray *c = g_ptr_array_index(rt->components, i);
        bool has_import_time = false;
        for (guint j = 0; j < c->len && !has_import_time; j++)
            has_import_time = it->component_of[g_array_index(c, guint, j)] >= 0;
        if (!has_import_time)
            g_ptr_array_add(list, c);
    }
    return list;
}

static void markdown(GString *out, const impviz_analysis *a)
{
    const impviz_sccs *it = &a->graph->import_time;
    guint n = it->components->len;
    GPtrArray *rt_only = runtime_only(a);
    g_string_append(out, "<!-- impviz -->\n");
    if (n)
        g_string_append_printf(out, "## impviz: %u import-time cycle%s\n\n", n, n == 1 ? "" : "s");
    else
        g_string_append(out, "## impviz: no import-time cycle\n\n");
    g_string_append_printf(
        out,
        "%u modules, %u imports between them; **%u import-time cycle%s** (%u "
        "modules), %u runtime-only cycle%s (through deferred or lazy imports).\n",
        a->project->modules->len, a->graph->edges->len, n, n == 1 ? "" : "s", members_total(it),
        rt_only->len, rt_only->len == 1 ? "" : "s");
    for (guint i = 0; i < n; i++) {
        const GArray *c = g_ptr_array_index(it->components, i);
        g_string_append_printf(out, "\n### Cycle %u: %u modules\n\n", i + 1, c->len);
        GArray *steps = impviz_cycle_steps(a, i);
        md_chain(out, a, steps);
        md_suggestion(out, a, i, steps);
        g_array_unref(steps);
        g_string_append(out, "\n```mermaid\n");
        impviz_mermaid_append(out, a, (gint)i);
        g_string_append(out, "```\n");
    }
    if (rt_only->len) {
        g_string_append(out, "\n### Runtime-only cycles\n\nThey close only through imports inside "
                             "functions or lazy imports, so importing any module works today.\n");
        for (guint i = 0; i < rt_only->len; i++) {
            g_string_append_printf(out, "\n#### Runtime cycle %u\n\n", i + 1);
            GArray *steps =
                steps_of(a, g_ptr_array_index(rt_only, i),
                         (1u << IMPVIZ_EAGER) | (1u << IMPVIZ_DEFERRED) | (1u << IMPVIZ_LAZY));
            md_chain(out, a, steps);
            g_array_unref(steps);
        }
    }
    g_ptr_array_unref(rt_only);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

GString *impviz_review(const impviz_analysis *a, impviz_format format, const impviz_view *view,
                       const impviz_gate *gate)
{
    GString *out = g_string_new(NULL);
    switch (format) {
    case IMPVIZ_FORMAT_SARIF:
        impviz_sarif_append(out, a, gate);
        break;
    case IMPVIZ_FORMAT_GITHUB:
        impviz_github_append(out, a, gate);
        break;
    case IMPVIZ_FORMAT_MARKDOWN:
        markdown(out, a);
        break;
    case IMPVIZ_FORMAT_MERMAID:
        impviz_mermaid_append_view(out, a, -1, view);
        break;
    default:
        break;
    }
    return out;
}
