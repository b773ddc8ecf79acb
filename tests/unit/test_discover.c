/* SPDX-License-Identifier: MIT */
/*
 * test_discover.c - discovery on small committed fixtures: module names, root-relative paths,
 * packages (regular and namespace), skipped names and directories, and the errors it reports.
 */
#include "check.h"
#include "impviz.h"

#ifndef FIXTURES
#error "FIXTURES must name tests/fixtures"
#endif

/* "name=path,..." of a discovery over one PATH, or "error" when it failed. */
static char *discover(const char *path, const char *const *excludes, guint *skipped)
{
    const char *paths[] = {path, NULL};
    impviz_discover_opts opts = {.paths = paths, .excludes = excludes};
    impviz_diags *diags = impviz_diags_new();
    impviz_project *p = NULL;
    impviz_status st = impviz_discover(&opts, diags, &p);
    GString *s = g_string_new(NULL);
    if (st != IMPVIZ_OK) {
        g_string_append(s, "error");
    } else {
        for (guint i = 0; i < p->modules->len; i++) {
            const impviz_module *m = g_ptr_array_index(p->modules, i);
            g_string_append_printf(s, "%s%s=%s%s", i ? "," : "", m->name, m->path,
                                   m->is_package ? "/" : "");
        }
        if (skipped)
            *skipped = p->skipped_names;
    }
    impviz_project_free(p);
    impviz_diags_free(diags);
    return g_string_free(s, FALSE);
}

int main(void)
{
    guint skipped = 0;
    /* a src layout: src/ is one root, the project directory (tests/) a second */
    char *got = discover(FIXTURES "/srclayout", NULL, NULL);
    CHECK_STR(got, "pkg=pkg/__init__.py/,pkg.api=pkg/api.py,pkg.core=pkg/core.py,"
                   "tests.helpers=tests/helpers.py,tests.test_x=tests/test_x.py");
    g_free(got);
    /* namespace packages at any depth; build, dist, venvs, node_modules, site-packages,
     * *.egg-info, __pycache__ and names that are not identifiers are skipped */
    got = discover(FIXTURES "/namespace", NULL, &skipped);
    CHECK_STR(got, "nsroot.deeper.still.leaf=nsroot/deeper/still/leaf.py,"
                   "nsroot.inner.mod_a=nsroot/inner/mod_a.py,"
                   "nsroot.inner.mod_b=nsroot/inner/mod_b.py,"
                   "nsroot.inner.mod_c=nsroot/inner/mod_c.py,"
                   "nsroot.regular=nsroot/regular/__init__.py/,"
                   "nsroot.regular.thing=nsroot/regular/thing.py,tool=tool.py");
    /* my-scripts/ and 2to3_data.py; not py-env/, a virtual environment, nor what is below */
    CHECK(skipped == 2);
    g_free(got);
    /* a virtual environment named as the PATH is walked: only those below it are left out */
    got = discover(FIXTURES "/namespace/venv", NULL, NULL);
    CHECK_STR(got, "lib.helper=lib/helper.py");
    g_free(got);
    /* excludes match root-relative paths; ** reaches any depth */
    const char *ex[] = {"**/inner/mod_*.py", "tool.py", NULL};
    got = discover(FIXTURES "/namespace", ex, NULL);
    CHECK_STR(got, "nsroot.deeper.still.leaf=nsroot/deeper/still/leaf.py,"
                   "nsroot.regular=nsroot/regular/__init__.py/,"
                   "nsroot.regular.thing=nsroot/regular/thing.py");
    g_free(got);
    /* '*' stays within a segment: the first glob reaches no file below nsroot/inner */
    const char *ex_seg[] = {"nsroot/*.py", "nsroot/*/mod_a.py", "/leaf.py", NULL};
    got = discover(FIXTURES "/namespace", ex_seg, NULL);
    CHECK_STR(got, "nsroot.deeper.still.leaf=nsroot/deeper/still/leaf.py,"
                   "nsroot.inner.mod_b=nsroot/inner/mod_b.py,"
                   "nsroot.inner.mod_c=nsroot/inner/mod_c.py,"
                   "nsroot.regular=nsroot/regular/__init__.py/,"
                   "nsroot.regular.thing=nsroot/regular/thing.py,tool=tool.py");
    g_free(got);
    /* a package PATH is named from its parent, the import root (a namespace directory above it
     * is not a package: name it with --root to include it) */
    got = discover(FIXTURES "/namespace/nsroot/regular", NULL, NULL);
    CHECK_STR(got, "regular=regular/__init__.py/,regular.thing=regular/thing.py");
    g_free(got);
    /* a PATH that does not exist is an input error */
    got = discover(FIXTURES "/no-such-dir", NULL, NULL);
    CHECK_STR(got, "error");
    g_free(got);
    return check_done("test_discover");
}
