/* SPDX-License-Identifier: MIT */
/*
 * test_events.c - the module-level events the import simulation replays (parse.c), and where a
 * file uses a name (impviz_parser_name_uses), on small Python snippets.
 *
 * Events are written one per line: "LINE TYPE [detail]" with details: IMPORT the statement,
 * BIND/UNBIND/USE the name, EXCEPT what it catches (i = ImportError, a = AttributeError), and flags
 * " ?" (uncertain) and " class" (inside a class body).
 */
#include "check.h"
#include "impviz.h"

static char *events_text(const char *src)
{
    impviz_parser *p = impviz_parser_new();
    const char *why = NULL;
    impviz_file *f = impviz_parser_parse(p, src, strlen(src), NULL, &why);
    static const char *const types[] = {"IMPORT", "BIND", "USE", "TRY",
                                        "EXCEPT", "ELSE", "END", "UNBIND"};
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < f->events->len; i++) {
        const impviz_event *ev = &g_array_index(f->events, impviz_event, i);
        g_string_append_printf(s, "%u %s", ev->line, types[ev->type]);
        if (ev->type == IMPVIZ_EV_IMPORT)
            g_string_append_printf(
                s, " %s", g_array_index(f->imports, impviz_import, ev->import_index).statement);
        else if (ev->name)
            g_string_append_printf(s, " %s", ev->name);
        if (ev->type == IMPVIZ_EV_EXCEPT)
            g_string_append_printf(s, "%s%s%s", ev->catches ? " " : "",
                                   ev->catches & IMPVIZ_CATCH_IMPORT ? "i" : "",
                                   ev->catches & IMPVIZ_CATCH_ATTRIBUTE ? "a" : "");
        if (ev->uncertain)
            g_string_append(s, " ?");
        if (ev->class_body)
            g_string_append(s, " class");
        if (ev->none)
            g_string_append(s, " None");
        g_string_append_c(s, '\n');
    }
    impviz_file_free(f);
    impviz_parser_free(p);
    return g_string_free(s, FALSE);
}

#define CHECK_EVENTS(src, want)                                                                    \
    do {                                                                                           \
        char *got_ = events_text(src);                                                             \
        CHECK_STR(got_, want);                                                                     \
        g_free(got_);                                                                              \
    } while (0)

static void test_events(void)
{
    /* an import binds its own name: no separate BIND */
    CHECK_EVENTS("import a.b\nfrom c import d as e\nx = a.b.f\n",
                 "1 IMPORT import a.b\n2 IMPORT from c import d as e\n3 USE a.b.f\n3 BIND x\n");
    /* bases, decorators and defaults are read before the name is bound; bodies are not */
    CHECK_EVENTS("@m.deco\nclass K(m.Base):\n    y = m.attr\n    def f(self, a=m.D):\n"
                 "        return m.later\n",
                 "1 USE m.deco\n2 USE m.Base\n3 USE m.attr class\n4 USE m.D class\n2 BIND K\n");
    /* TYPE_CHECKING and the __main__ guard produce nothing; other ifs are uncertain */
    CHECK_EVENTS("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import t\n"
                 "if x:\n    import u\nif __name__ == '__main__':\n    import v\n",
                 "1 IMPORT from typing import TYPE_CHECKING\n5 IMPORT import u ?\n");
    /* a try: handlers run only when the body raises what they catch */
    CHECK_EVENTS("try:\n    from a import b\nexcept ModuleNotFoundError:\n    b = 1\n"
                 "except (ImportError, AttributeError) as e:\n    b = 2\nelse:\n    c = 1\n"
                 "finally:\n    d = 1\n",
                 "1 TRY\n2 IMPORT from a import b\n3 EXCEPT\n4 BIND b\n5 EXCEPT ia\n6 BIND b\n"
                 "7 ELSE\n8 BIND c\n10 END\n10 BIND d\n");
    /* PEP 758: `except A, B:` catches both (in except* too, past two types) */
    CHECK_EVENTS("try:\n    from a import b\nexcept KeyError, AttributeError:\n    b = 1\n"
                 "except* OSError, ValueError, ImportError:\n    b = 2\n",
                 "1 TRY\n2 IMPORT from a import b\n3 EXCEPT a\n4 BIND b\n5 EXCEPT i\n6 BIND b\n"
                 "6 END\n");
    /* a handler that raises catches nothing, unless the raise is under a condition */
    CHECK_EVENTS("try:\n    import a\nexcept ImportError:\n    log()\n    raise\n"
                 "except AttributeError:\n    if x:\n        raise\n",
                 "1 TRY\n2 IMPORT import a\n3 EXCEPT\n6 EXCEPT a\n8 END\n");
    /* assignment expressions bind module-level names, in comprehensions too; not in lambdas */
    CHECK_EVENTS("if (m := f()):\n    pass\n[(y := i) for i in r]\ng = lambda: (z := 1)\n",
                 "1 BIND m\n3 BIND y\n4 BIND g\n");
    CHECK_EVENTS("def f():\n    (v := 1)\nclass C:\n    (w := 2)\n", "1 BIND f\n3 BIND C\n");
    /* del unbinds names; attributes and items are not names */
    CHECK_EVENTS("x = y = 1\ndel x, (y), a.b, c[0]\nif c:\n    del q\n",
                 "1 BIND x\n1 BIND y\n2 UNBIND x\n2 UNBIND y\n4 UNBIND q ?\n");
    /* literal conditions: `if False:` never runs, `if True:` surely runs and what follows never */
    CHECK_EVENTS("if False:\n    import a\nelif 0x0:\n    import b\nelse:\n    import c\n",
                 "6 IMPORT import c\n");
    CHECK_EVENTS("if (True):\n    import a\nelse:\n    import b\nif 1:\n    x = 1\n"
                 "elif y:\n    import c\nif None:\n    import d\nelse:\n    import e\n",
                 "2 IMPORT import a\n6 BIND x\n12 IMPORT import e\n");
    /* every target of a chained assignment */
    CHECK_EVENTS("A = B = C = 1\n", "1 BIND A\n1 BIND B\n1 BIND C\n");
    CHECK_EVENTS("A = B = None\nC = f(None)\n", "1 BIND A None\n1 BIND B None\n2 BIND C\n");
    /* PEP 563: annotations are never evaluated */
    CHECK_EVENTS("from __future__ import annotations\ndef f(a: m.T) -> m.R:\n    pass\n",
                 "2 BIND f\n");
    CHECK_EVENTS("def f(a: m.T) -> m.R:\n    pass\n", "1 USE m.T\n1 USE m.R\n1 BIND f\n");
    /* dynamic imports run, bind nothing themselves */
    CHECK_EVENTS("import importlib\nm = importlib.import_module('p.q')\n",
                 "1 IMPORT import importlib\n2 IMPORT m = importlib.import_module('p.q')\n"
                 "2 USE importlib.import_module\n2 BIND m\n");
}

static void test_name_uses(void)
{
    const char *src = "import m\nfrom n import X\n\nclass K(X):\n    def run(self):\n"
                      "        return m.go()\n\n    def other(self, a=X):\n"
                      "        def inner():\n            return m.stop()\n        return inner\n"
                      "\ndef g(m=1):\n    return 2\n";
    const char *names[] = {"m", "X", "unused"};
    impviz_parser *p = impviz_parser_new();
    GArray *uses = impviz_parser_name_uses(p, src, strlen(src), names, 3);
    const impviz_name_uses *m = &g_array_index(uses, impviz_name_uses, 0);
    const impviz_name_uses *x = &g_array_index(uses, impviz_name_uses, 1);
    const impviz_name_uses *none = &g_array_index(uses, impviz_name_uses, 2);
    CHECK(!m->import_time); /* g's parameter named m is not a use */
    CHECK_INT(m->functions->len, 2);
    CHECK_STR(((impviz_user *)g_ptr_array_index(m->functions, 0))->function, "K.run");
    CHECK_INT(((impviz_user *)g_ptr_array_index(m->functions, 0))->line, 5);
    CHECK_STR(((impviz_user *)g_ptr_array_index(m->functions, 1))->function, "K.other");
    CHECK(x->import_time); /* a base class and a default */
    CHECK_INT(x->first_line, 4);
    CHECK(!none->import_time);
    CHECK_INT(none->functions->len, 0);
    g_array_unref(uses);
    impviz_parser_free(p);
}

int main(void)
{
    test_events();
    test_name_uses();
    return check_done("test_events");
}
