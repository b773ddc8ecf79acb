/* SPDX-License-Identifier: MIT */
/*
 * resolve.c - import records -> project modules, standard library or third party.
 *
 * Pure: reads the project's module table and the import records, does no I/O. Follows CPython:
 * a relative import counts its dots from the importing module's package; `import a.b.c` reaches
 * the longest prefix that is a module; `from X import n` reaches the submodule X.n when there is
 * one, else X itself.
 */
#include "impviz.h"

#include <stdlib.h>
#include <string.h>

/* Generated at build time from src/stdlib_modules.txt: sorted top-level names. */
extern const char *const impviz_stdlib_names[];
extern const size_t impviz_stdlib_count;

static int name_cmp(const void *key, const void *item)
{
    return strcmp(key, *(const char *const *)item);
}

bool impviz_is_stdlib(const char *name)
{
    return bsearch(name, impviz_stdlib_names, impviz_stdlib_count, sizeof(char *), name_cmp) !=
           NULL;
}

/* The absolute dotted name an import refers to, or NULL when a relative import climbs above
 * its top-level package. Caller frees. */
static char *absolute_name(const impviz_module *src, const impviz_import *imp)
{
    if (imp->level == 0)
        return g_strdup(imp->module);
    /* the package the dots count from: the module itself for a package's __init__ */
    char *base = g_strdup(src->name);
    if (!src->is_package) {
        char *dot = strrchr(base, '.');
        if (!dot) {
            g_free(base);
            return NULL; /* a top-level module has no parent package */
        }
        *dot = '\0';
    }
    for (guint i = 1; i < imp->level; i++) {
        char *dot = strrchr(base, '.');
        if (!dot) {
            g_free(base);
            return NULL;
        }
        *dot = '\0';
    }
    char *full = *imp->module ? g_strconcat(base, ".", imp->module, NULL) : g_strdup(base);
    g_free(base);
    return full;
}

/* Index of the longest prefix of name (at dots) that is a project module, or -1. Cuts name. */
static gint longest_module_prefix(const impviz_project *p, char *name)
{
    for (;;) {
        if (impviz_project_lookup(p, name))
            return impviz_project_index(p, name);
        char *dot = strrchr(name, '.');
        if (!dot)
            return -1;
        *dot = '\0';
    }
}

char *impviz_resolve_absolute(const impviz_project *p, guint source, const impviz_import *imp)
{
    char *full = absolute_name(g_ptr_array_index(p->modules, source), imp);
    if (full && !*full) {
        g_free(full);
        return NULL;
    }
    return full;
}

impviz_ref impviz_resolve_one(const impviz_project *p, guint source, const impviz_import *imp)
{
    impviz_ref ref = {.source = source, .target = -1, .import = imp};
    const impviz_module *src = g_ptr_array_index(p->modules, source);
    char *full = absolute_name(src, imp);
    if (!full || !*full) {
        ref.cls = IMPVIZ_TARGET_UNRESOLVED;
        g_free(full);
        return ref;
    }
    if (imp->name && !(imp->flags & IMPVIZ_IMPORT_STAR)) {
        char *sub = g_strconcat(full, ".", imp->name, NULL);
        gint idx = impviz_project_index(p, sub);
        g_free(sub);
        if (idx >= 0) {
            ref.target = idx;
            ref.cls = IMPVIZ_TARGET_MODULE;
            g_free(full);
            return ref;
        }
    }
    char *top = g_strdup(full);
    char *dot = strchr(top, '.');
    if (dot)
        *dot = '\0';
    gint idx = longest_module_prefix(p, full);
    if (idx >= 0) {
        ref.target = idx;
        ref.cls = IMPVIZ_TARGET_MODULE;
    } else if (imp->level > 0 || g_hash_table_contains(p->packages, top) ||
               impviz_project_lookup(p, top)) {
        ref.cls = IMPVIZ_TARGET_UNRESOLVED; /* inside the project, but no such module */
    } else {
        ref.cls = impviz_is_stdlib(top) ? IMPVIZ_TARGET_STDLIB : IMPVIZ_TARGET_THIRD_PARTY;
        ref.external = g_intern_string(top);
    }
    g_free(top);
    g_free(full);
    return ref;
}

void impviz_resolve(const impviz_project *p, impviz_file *const *files, GArray *refs)
{
    for (guint m = 0; m < p->modules->len; m++) {
        const impviz_file *f = files[m];
        if (!f)
            continue;
        for (guint i = 0; i < f->imports->len; i++) {
            const impviz_import *imp = &g_array_index(f->imports, impviz_import, i);
            impviz_ref ref = impviz_resolve_one(p, m, imp);
            g_array_append_val(refs, ref);
        }
    }
}
