/* SPDX-License-Identifier: MIT */
/*
 * test_parse.c - data-driven extraction tests: each case in the text files given is a Python
 * snippet and the import records it must yield (files under tests/parse), one per line:
 *   LINE KIND [.]*MODULE[:NAME][ as ALIAS][ dynamic][ conditional]
 * Cases are separated by "=== name" headers and "---" before the expected records; a header
 * ending in "[package P]" parses the snippet as a module of package P (relative imports then
 * have absolute names), otherwise the package is unknown.
 * A `#hex` escape in the source (e.g. #x00) stands for one raw byte.
 */
#include "check.h"
#include "impviz.h"

#include <stdlib.h>

static char *record_text(const impviz_import *imp)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%u %s ", imp->line, impviz_kind_str(imp->kind));
    for (guint i = 0; i < imp->level; i++)
        g_string_append_c(s, '.');
    g_string_append(s, imp->module);
    if (imp->name)
        g_string_append_printf(s, ":%s", imp->name);
    if (imp->asname)
        g_string_append_printf(s, " as %s", imp->asname);
    if (imp->flags & IMPVIZ_IMPORT_DYNAMIC)
        g_string_append(s, " dynamic");
    if (imp->flags & IMPVIZ_IMPORT_CONDITIONAL)
        g_string_append(s, " conditional");
    return g_string_free(s, FALSE);
}

/* Turns "#x41"-style escapes into raw bytes. */
static GString *unescape(const char *src)
{
    GString *out = g_string_new(NULL);
    for (const char *p = src; *p; p++) {
        if (p[0] == '#' && p[1] == 'x' && g_ascii_isxdigit(p[2]) && g_ascii_isxdigit(p[3])) {
            g_string_append_c(out,
                              (char)(g_ascii_xdigit_value(p[2]) * 16 + g_ascii_xdigit_value(p[3])));
            p += 3;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return out;
}

static void run_case(impviz_parser *parser, const char *file, const char *name, const char *src,
                     const char *expected)
{
    GString *bytes = unescape(src);
    const char *why = NULL;
    const char *tag = strstr(name, "[package ");
    char *package = tag ? g_strndup(tag + 9, strcspn(tag + 9, "]")) : NULL;
    impviz_file *f = impviz_parser_parse(parser, bytes->str, bytes->len, package, &why);
    g_free(package);
    GString *got = g_string_new(NULL);
    if (!f) {
        g_string_append_printf(got, "rejected: %s\n", why);
    } else {
        for (guint i = 0; i < f->imports->len; i++) {
            char *r = record_text(&g_array_index(f->imports, impviz_import, i));
            g_string_append_printf(got, "%s\n", r);
            g_free(r);
        }
        if (f->error_count)
            g_string_append_printf(got, "errors from line %u\n", f->first_error_line);
        if (f->invalid_utf8_line)
            g_string_append_printf(got, "invalid UTF-8 at line %u\n", f->invalid_utf8_line);
    }
    check_count++;
    if (strcmp(got->str, expected) != 0) {
        check_failures++;
        fprintf(stderr, "%s: case '%s':\n--- expected\n%s--- got\n%s", file, name, expected,
                got->str);
    }
    impviz_file_free(f);
    g_string_free(got, TRUE);
    g_string_free(bytes, TRUE);
}

static void run_file(impviz_parser *parser, const char *path)
{
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        fprintf(stderr, "cannot read %s\n", path);
        check_failures++;
        return;
    }
    char **cases = g_regex_split_simple("^=== ", text, G_REGEX_MULTILINE, 0);
    for (char **c = cases; *c; c++) {
        if (!**c)
            continue;
        char *nl = strchr(*c, '\n');
        char *sep = strstr(*c, "\n---\n");
        if (!nl || !sep) {
            fprintf(stderr, "%s: malformed case: %.40s\n", path, *c);
            check_failures++;
            continue;
        }
        char *name = g_strndup(*c, nl - *c);
        char *src = g_strndup(nl + 1, sep - nl);
        run_case(parser, path, name, src, sep + 5);
        g_free(name);
        g_free(src);
    }
    g_strfreev(cases);
    g_free(text);
}

int main(int argc, char **argv)
{
    impviz_parser *parser = impviz_parser_new();
    for (int i = 1; i < argc; i++)
        run_file(parser, argv[i]);
    impviz_parser_free(parser);
    return check_done("test_parse");
}
