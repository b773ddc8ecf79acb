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

/* impviz_resolve_threads must give what one thread gives, import by import, however the modules
 * are split between threads: a project with enough imports for several threads. */
static void check_threads_agree(void)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < 300; i++)
        g_ptr_array_add(names, g_strdup_printf("a%03u", i));
    g_ptr_array_add(names, g_strdup("pkg/"));
    for (guint i = 0; i < 100; i++)
        g_ptr_array_add(names, g_strdup_printf("pkg.s%03u", i));
    g_ptr_array_add(names, NULL);
    impviz_project *p = project_of((const char *const *)names->pdata);
    guint n = p->modules->len;
    GPtrArray *strings = g_ptr_array_new_with_free_func(g_free); /* the imports' names */
    impviz_file **files = g_new0(impviz_file *, n);
    guint32 seed = 1;
    for (guint m = 0; m < n; m++) {
        if (m % 7 == 3)
            continue; /* an unreadable file: no imports */
        impviz_file *f = g_new0(impviz_file, 1);
        f->imports = g_array_new(FALSE, FALSE, sizeof(impviz_import));
        f->events = g_array_new(FALSE, FALSE, sizeof(impviz_event));
        guint count = (m * 37) % 200; /* uneven: some modules have none */
        for (guint k = 0; k < count; k++) {
            seed = seed * 1103515245u + 12345u;
            guint pick = (seed >> 16) % 300;
            impviz_import imp = {.line = k + 1, .statement = "s", .kind = (impviz_kind)(k % 4)};
            char *module = NULL, *name = NULL;
            switch (k % 6) {
            case 0:
                module = g_strdup_printf("a%03u", pick);
                break;
            case 1:
                module = g_strdup("pkg");
                name = g_strdup_printf("s%03u", pick); /* a submodule past s099: a name */
                break;
            case 2:
                imp.level = 1 + pick % 2;
                module = g_strdup("");
                name = g_strdup_printf("s%03u", pick % 100);
                break;
            case 3:
                module = g_strdup(pick % 2 ? "os.path" : "numpy.linalg");
                break;
            case 4:
                module = g_strdup_printf("pkg.s%03u.missing", pick % 100);
                break;
            default:
                module = g_strdup_printf("third%u", pick % 5);
                name = g_strdup("x");
                break;
            }
            imp.module = module;
            imp.name = name;
            imp.flags = name ? IMPVIZ_IMPORT_FROM : 0;
            g_ptr_array_add(strings, module);
            if (name)
                g_ptr_array_add(strings, name);
            g_array_append_val(f->imports, imp);
        }
        files[m] = f;
    }
    GArray *one = g_array_new(FALSE, FALSE, sizeof(impviz_ref));
    impviz_resolve(p, files, one);
    CHECK(one->len > 3 * 8192); /* enough for several threads */
    for (guint jobs = 2; jobs <= 5; jobs++) {
        GArray *many = g_array_new(FALSE, FALSE, sizeof(impviz_ref));
        impviz_resolve_threads(p, files, many, jobs);
        CHECK_INT(many->len, one->len);
        guint differ = 0;
        for (guint i = 0; i < MIN(one->len, many->len); i++) {
            const impviz_ref *x = &g_array_index(one, impviz_ref, i);
            const impviz_ref *y = &g_array_index(many, impviz_ref, i);
            differ += x->source != y->source || x->target != y->target || x->cls != y->cls ||
                      x->external != y->external || x->import != y->import;
        }
        CHECK_INT(differ, 0);
        g_array_unref(many);
    }
    /* and each one as impviz_resolve_one finds it alone */
    guint differ = 0, modules = 0, outside = 0;
    for (guint i = 0; i < one->len; i++) {
        const impviz_ref *x = &g_array_index(one, impviz_ref, i);
        impviz_ref y = impviz_resolve_one(p, x->source, x->import);
        differ += x->target != y.target || x->cls != y.cls || x->external != y.external;
        modules += x->cls == IMPVIZ_TARGET_MODULE;
        outside += x->cls == IMPVIZ_TARGET_STDLIB || x->cls == IMPVIZ_TARGET_THIRD_PARTY;
    }
    CHECK_INT(differ, 0);
    CHECK(modules > 0 && outside > 0 && modules + outside < one->len); /* every kind met */
    g_array_unref(one);
    for (guint m = 0; m < n; m++)
        impviz_file_free(files[m]);
    g_free(files);
    g_ptr_array_unref(strings);
    g_ptr_array_unref(names);
    impviz_project_free(p);
}

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
    check_threads_agree();
    return check_done("test_resolve");
}
