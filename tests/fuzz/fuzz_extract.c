/* SPDX-License-Identifier: MIT */
/* fuzz_extract.c - libFuzzer target for extraction and resolution: any bytes, parsed as module
 * pkg.sub.c of a small fixed project, resolved, made into a graph and reported, must give import
 * records and references that keep their invariants, and a report with no control character. */
#include "impviz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZED_MODULE "pkg.sub.c"

static void module_drop(gpointer p)
{
    impviz_module *m = p;
    g_free(m->name);
    g_free(m->path);
    g_free(m->file);
    g_free(m);
}

/* pkg/, pkg.a, pkg.b, pkg.sub/, pkg.sub.c, top: built once, never freed (the process's). */
static impviz_project *fixed_project(void)
{
    static impviz_project *p;
    static const char *const names[] = {"pkg/", "pkg.a", "pkg.b", "pkg.sub/", "pkg.sub.c", "top"};
    if (p)
        return p;
    p = g_new0(impviz_project, 1);
    p->roots = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(p->roots, g_strdup("."));
    p->modules = g_ptr_array_new_with_free_func(module_drop);
    p->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    p->packages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_hash_table_add(p->packages, g_strdup("pkg"));
    g_hash_table_add(p->packages, g_strdup("pkg.sub"));
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        impviz_module *m = g_new0(impviz_module, 1);
        m->is_package = g_str_has_suffix(names[i], "/");
        m->name = g_strndup(names[i], strlen(names[i]) - m->is_package);
        m->path = g_strdup_printf("%s.py", m->name);
        m->file = g_strdup(m->path);
        g_ptr_array_add(p->modules, m);
        g_hash_table_insert(p->by_name, m->name, m);
    }
    return p;
}

static void check_text(const GString *s)
{
    for (gsize i = 0; i < s->len; i++) {
        guchar c = (guchar)s->str[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f)
            abort(); /* escaping let a control character through */
    }
    if (!g_utf8_validate(s->str, (gssize)s->len, NULL))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static impviz_parser *parser;
    if (!parser)
        parser = impviz_parser_new();
    impviz_project *p = fixed_project();
    guint n = p->modules->len;
    gint self = impviz_project_index(p, FUZZED_MODULE);

    const char *why = NULL;
    impviz_file *f = impviz_parser_parse(parser, (const char *)data, size, "pkg.sub", &why);
    if (!f) {
        if (!why || !*why)
            abort(); /* a rejection always says why */
        return 0;
    }
    guint lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    for (guint i = 0; i < f->imports->len; i++) {
        const impviz_import *imp = &g_array_index(f->imports, impviz_import, i);
        if (!imp->module || !imp->statement || imp->line < 1 || imp->line > lines ||
            imp->kind >= IMPVIZ_KIND_COUNT)
            abort();
        impviz_ref r = impviz_resolve_one(p, (guint)self, imp);
        if (r.target >= (gint)n || (r.target >= 0) != (r.cls == IMPVIZ_TARGET_MODULE) ||
            (r.external != NULL) !=
                (r.cls == IMPVIZ_TARGET_STDLIB || r.cls == IMPVIZ_TARGET_THIRD_PARTY))
            abort();
    }
    for (guint i = 0; i < f->events->len; i++) {
        const impviz_event *ev = &g_array_index(f->events, impviz_event, i);
        if (ev->type == IMPVIZ_EV_IMPORT && ev->import_index >= f->imports->len)
            abort();
    }

    /* where the file reads the names its imports bind (the diagnosis' token scan) */
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < f->imports->len; i++) {
        const impviz_import *imp = &g_array_index(f->imports, impviz_import, i);
        g_ptr_array_add(names, imp->asname ? g_strdup(imp->asname)
                               : imp->name ? g_strdup(imp->name)
                                           : g_strndup(imp->module, strcspn(imp->module, ".")));
    }
    GArray *uses = impviz_parser_name_uses(parser, (const char *)data, size,
                                           (const char *const *)names->pdata, names->len);
    if (!uses || uses->len != names->len)
        abort(); /* the parser took these bytes: so must the scan */
    for (guint i = 0; i < uses->len; i++) {
        const impviz_name_uses *u = &g_array_index(uses, impviz_name_uses, i);
        if (u->import_time != (u->first_line > 0) || u->first_line > lines)
            abort();
        for (guint k = 0; k < u->functions->len; k++) {
            const impviz_user *fn = g_ptr_array_index(u->functions, k);
            if (!*fn->function || fn->line < 1 || fn->line > lines)
                abort();
        }
    }
    g_array_unref(uses);
    g_ptr_array_unref(names);

    /* the rest of the pipeline on this one file: refs, graph, cycles, reports */
    impviz_analysis a = {.project = p};
    a.files = g_ptr_array_new_full(n, (GDestroyNotify)impviz_file_free);
    g_ptr_array_set_size(a.files, n);
    g_ptr_array_index(a.files, self) = f;
    a.refs = g_array_new(FALSE, FALSE, sizeof(impviz_ref));
    impviz_resolve(p, (impviz_file *const *)a.files->pdata, a.refs);
    a.n_imports = a.refs->len;
    a.graph = impviz_graph_new(n, a.refs);
    GString *text = impviz_report(&a, IMPVIZ_FORMAT_TEXT, true);
    check_text(text);
    g_string_free(text, TRUE);
    GString *json = impviz_report(&a, IMPVIZ_FORMAT_JSON, false);
    g_string_free(json, TRUE);
    GString *escaped = g_string_new(NULL);
    for (guint i = 0; i < f->imports->len; i++) {
        g_string_truncate(escaped, 0);
        impviz_text_escape(escaped, g_array_index(f->imports, impviz_import, i).statement);
        if (strchr(escaped->str, '\n'))
            abort();
        check_text(escaped);
    }
    g_string_free(escaped, TRUE);
    impviz_graph_free(a.graph);
    g_array_unref(a.refs);
    g_ptr_array_unref(a.files); /* frees f */
    return 0;
}
