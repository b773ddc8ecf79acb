/* SPDX-License-Identifier: MIT */
/*
 * test_report.c - the report stage on a committed fixture (tests/fixtures/viewproj: an
 * import-time cycle, a runtime-only cycle, a TYPE_CHECKING import, externals): the text report's
 * lines and the JSON's shape, read back with jansson.
 */
#include "check.h"
#include "fixture.h"
#include "impviz.h"

#include <jansson.h>

static bool has_line(const char *text, const char *line)
{
    char **lines = g_strsplit(text, "\n", -1);
    bool found = g_strv_contains((const char *const *)lines, line);
    g_strfreev(lines);
    return found;
}

static void text_report(const impviz_analysis *a)
{
    GString *t = impviz_report(a, IMPVIZ_FORMAT_TEXT, false);
    CHECK(g_str_has_prefix(t->str, "12 modules, 18 imports (10 of project modules, 8 external), "
                                   "10 edges\n"));
    CHECK(has_line(t->str, "1 import-time cycle (2 modules):"));
    CHECK(has_line(t->str, "    shop.core.models -> shop.core.signals -> shop.core.models"));
    CHECK(has_line(t->str, "      shop/core/models.py:3: from shop.core import signals"));
    CHECK(has_line(t->str, "      shop/core/signals.py:1: from shop.core.models import Model"));
    CHECK(has_line(t->str, "    shop.ui.forms -> shop.ui.views -> shop.ui.forms"));
    CHECK(has_line(t->str, "4 modules on runtime cycles, 2 on import-time cycles"));
    g_string_free(t, TRUE);
}

/* The values of key in each object of a JSON array, joined by ",". Caller frees. */
static char *column(json_t *array, const char *key)
{
    GString *s = g_string_new(NULL);
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item)
    {
        json_t *v = json_object_get(item, key);
        g_string_append_printf(s, "%s%s", i ? "," : "",
                               json_is_string(v) ? json_string_value(v) : "?");
    }
    return g_string_free(s, FALSE);
}

static void json_report(const impviz_analysis *a)
{
    GString *t = impviz_report(a, IMPVIZ_FORMAT_JSON, false);
    json_error_t err;
    json_t *root = json_loads(t->str, 0, &err);
    CHECK(root != NULL);
    if (!root) {
        g_string_free(t, TRUE);
        return;
    }
    CHECK_INT(json_integer_value(json_object_get(root, "schema")), 1);
    json_t *modules = json_object_get(root, "modules");
    char *names = column(modules, "name");
    CHECK_STR(names, "manage,shop,shop.core,shop.core.db,shop.core.db.engine,shop.core.models,"
                     "shop.core.signals,shop.ui,shop.ui.forms,shop.ui.views,shop.util,"
                     "shop.util.text");
    g_free(names);
    char *paths = column(modules, "path");
    CHECK(g_str_has_prefix(paths, "manage.py,shop/__init__.py,shop/core/__init__.py,"));
    g_free(paths);

    /* edges: one per (source, target), the strongest kind, sorted */
    json_t *edges = json_object_get(root, "edges");
    CHECK_INT(json_array_size(edges), 10);
    GString *e = g_string_new(NULL);
    size_t i;
    json_t *edge;
    json_array_foreach(edges, i, edge)
    {
        g_string_append_printf(e, "%s>%s:%s:%lld;",
                               json_string_value(json_object_get(edge, "source")),
                               json_string_value(json_object_get(edge, "target")),
                               json_string_value(json_object_get(edge, "kind")),
                               (long long)json_integer_value(json_object_get(edge, "count")));
    }
    CHECK(strstr(e->str, "shop.core.models>shop.core.signals:eager:1;") != NULL);
    CHECK(strstr(e->str, "shop.ui.forms>shop.core.signals:typing:1;") != NULL);
    CHECK(strstr(e->str, "shop.ui.views>shop.ui.forms:deferred:1;") != NULL);
    g_string_free(e, TRUE);

    /* imports: externals classified, project imports not external */
    json_t *imports = json_object_get(root, "imports");
    bool numpy = false, project = false;
    json_array_foreach(imports, i, edge)
    {
        const char *target = json_string_value(json_object_get(edge, "target"));
        json_t *external = json_object_get(edge, "external");
        if (strcmp(target, "numpy") == 0)
            numpy =
                json_is_string(external) && strcmp(json_string_value(external), "third_party") == 0;
        if (strcmp(target, "shop.core.signals") == 0)
            project = json_is_false(external);
    }
    CHECK(numpy && project);

    /* sccs: import-time and runtime components of two or more modules */
    json_t *sccs = json_object_get(root, "sccs");
    char *it = json_dumps(json_object_get(sccs, "import_time"), JSON_COMPACT);
    char *rt = json_dumps(json_object_get(sccs, "runtime"), JSON_COMPACT);
    CHECK_STR(it, "[[\"shop.core.models\",\"shop.core.signals\"]]");
    CHECK_STR(rt, "[[\"shop.core.models\",\"shop.core.signals\"],[\"shop.ui.forms\","
                  "\"shop.ui.views\"]]");
    free(it);
    free(rt);
    json_decref(root);

    /* the same bytes whatever the call: a report is a function of the analysis */
    GString *again = impviz_report(a, IMPVIZ_FORMAT_JSON, false);
    CHECK_STR(again->str, t->str);
    g_string_free(again, TRUE);
    g_string_free(t, TRUE);
}

int main(void)
{
    impviz_analysis *a = analyse_fixture("viewproj");
    if (a) {
        text_report(a);
        json_report(a);
    }
    impviz_analysis_free(a);
    return check_done("test_report");
}
