/* SPDX-License-Identifier: MIT */
/* test_resolve.c - resolution rules on a hand-built module table (resolve is pure: no files). */
#include "check.h"
#include "impviz.h"

static void module_drop(gpointer data)
{
    impviz_module *m = data;
    g_free(m->name);
    g_free(m->path);
    g_free(m);
}

/* A project of the given "name" or "name/" (package) entries; namespace packages implied. */
static impviz_project *project_of(const char *const *names)
{
    impviz_project *p = g_new0(impviz_project, 1);
    p->roots = g_ptr_array_new_with_free_func(g_free);
    p->modules = g_ptr_array_new_with_free_func(module_drop);
    p->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    p->packages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (const char *const *n = names; *n; n++) { /* given in sorted order */
        impviz_module *m = g_new0(impviz_module, 1);
        m->is_package = g_str_has_suffix(*n, "/");
        m->name = g_strndup(*n, strlen(*n) - m->is_package);
        m->path = g_strdup(m->name);
        g_ptr_array_add(p->modules, m);
        g_hash_table_insert(p->by_name, m->name, m);
        char **parts = g_strsplit(m->name, ".", -1);
        for (guint k = 1; parts[k]; k++) {
            char *saved = parts[k];
            parts[k] = NULL;
            g_hash_table_add(p->packages, g_strjoinv(".", parts));
            parts[k] = saved;
        }
        if (m->is_package)
            g_hash_table_add(p->packages, g_strdup(m->name));
        g_strfreev(parts);
    }
    return p;
}

/* Resolves `imp` in module `from` and renders the result as a short string. */
static char *resolve(impviz_project *p, const char *from, guint level, const char *module,
                     const char *name)
{
    impviz_import imp = {.line = 1,
                         .level = level,
                         .module = module,
                         .name = name,
                         .flags = name ? IMPVIZ_IMPORT_FROM : 0,
                         .statement = "x"};
    if (name && strcmp(name, "*") == 0)
        imp.flags |= IMPVIZ_IMPORT_STAR;
    gint src = impviz_project_index(p, from);
    g_assert(src >= 0);
    impviz_ref r = impviz_resolve_one(p, (guint)src, &imp);
    switch (r.cls) {
    case IMPVIZ_TARGET_MODULE:
        return g_strdup(((impviz_module *)g_ptr_array_index(p->modules, r.target))->name);
    case IMPVIZ_TARGET_STDLIB:
        return g_strdup_printf("stdlib:%s", r.external);
    case IMPVIZ_TARGET_THIRD_PARTY:
        return g_strdup_printf("third:%s", r.external);
    default:
        return g_strdup("unresolved");
    }
}

#define EXPECT(p, from, level, module, name, want)                                                 \
    do {                                                                                           \
        char *got_ = resolve(p, from, level, module, name);                                        \
        CHECK_STR(got_, want);                                                                     \
        g_free(got_);                                                                              \
    } while (0)

int main(void)
{
    /* sorted by name, as discovery leaves them */
    static const char *const names[] = {"app",   "ns.inner.mod", "pkg/",      "pkg.a",
                                        "pkg.b", "pkg.sub/",     "pkg.sub.c", NULL};
    impviz_project *p = project_of(names);

    /* import a.b.c reaches the longest prefix that is a module */
    EXPECT(p, "app", 0, "pkg.sub.c", NULL, "pkg.sub.c");
    EXPECT(p, "app", 0, "pkg.sub.nothing", NULL, "pkg.sub");
    EXPECT(p, "app", 0, "pkg.a.attr", NULL, "pkg.a");
    /* from X import n: the submodule X.n when it exists, else X */
    EXPECT(p, "app", 0, "pkg", "a", "pkg.a");
    EXPECT(p, "app", 0, "pkg", "func", "pkg");
    EXPECT(p, "app", 0, "pkg.sub", "*", "pkg.sub");
    /* relative imports count from the importing module's package */
    EXPECT(p, "pkg.a", 1, "", "b", "pkg.b");
    EXPECT(p, "pkg.a", 1, "b", "name", "pkg.b");
    EXPECT(p, "pkg.sub.c", 2, "", "a", "pkg.a");
    EXPECT(p, "pkg.sub.c", 1, "", "c", "pkg.sub.c");
    EXPECT(p, "pkg.sub", 1, "c", "x", "pkg.sub.c"); /* in __init__, . is the package itself */
    EXPECT(p, "pkg", 1, "", "a", "pkg.a");
    /* climbing above the top-level package, or relative from a top-level module */
    EXPECT(p, "pkg.a", 2, "", "x", "unresolved");
    EXPECT(p, "app", 1, "", "x", "unresolved");
    /* namespace packages: modules below them resolve, the namespace itself is no module */
    EXPECT(p, "app", 0, "ns.inner.mod", NULL, "ns.inner.mod");
    EXPECT(p, "app", 0, "ns.inner", "mod", "ns.inner.mod");
    EXPECT(p, "app", 0, "ns.inner", "missing", "unresolved");
    /* outside the project: standard library or third party, by top-level name */
    EXPECT(p, "app", 0, "os.path", NULL, "stdlib:os");
    EXPECT(p, "app", 0, "xml.etree", "ElementTree", "stdlib:xml");
    EXPECT(p, "app", 0, "numpy.linalg", NULL, "third:numpy");
    EXPECT(p, "app", 0, "tensorflow", "keras", "third:tensorflow");
    /* a missing module of a project package is unresolved, not external */
    EXPECT(p, "app", 0, "pkg.missing", NULL, "pkg");
    CHECK(impviz_is_stdlib("asyncio"));
    CHECK(impviz_is_stdlib("__future__"));
    CHECK(!impviz_is_stdlib("django"));
    impviz_project_free(p);
    return check_done("test_resolve");
}
