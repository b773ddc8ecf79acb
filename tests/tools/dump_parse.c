/* SPDX-License-Identifier: MIT */
/*
 * dump_parse.c - prints every field impviz_parser_parse produces for each file named on stdin,
 * so that two builds of the parser can be compared byte for byte on a whole corpus.
 *
 *   impviz_dump_parse < FILE-LIST > DUMP
 */
#include "impviz.h"

#include <stdio.h>
#include <string.h>

static const char *s(const char *x)
{
    return x ? x : "(null)";
}

int main(void)
{
    impviz_parser *parser = impviz_parser_new();
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        char *bytes = NULL;
        gsize len = 0;
        if (!g_file_get_contents(line, &bytes, &len, NULL)) {
            printf("%s: unreadable\n", line);
            continue;
        }
        const char *why = NULL;
        impviz_file *f = impviz_parser_parse(parser, bytes, len, NULL, &why);
        if (!f) {
            printf("%s: %s\n", line, why);
            g_free(bytes);
            continue;
        }
        printf("%s: errors %u first %u too_deep %d utf8 %u\n", line, f->error_count,
               f->first_error_line, f->too_deep, f->invalid_utf8_line);
        for (guint i = 0; i < f->imports->len; i++) {
            const impviz_import *m = &g_array_index(f->imports, impviz_import, i);
            printf(" I %u %d %u [%s] [%s] [%s] [%s] %u\n", m->line, m->kind, m->level, s(m->module),
                   s(m->name), s(m->asname), s(m->statement), m->flags);
        }
        for (guint i = 0; i < f->events->len; i++) {
            const impviz_event *e = &g_array_index(f->events, impviz_event, i);
            printf(" E %d %u %u [%s] [%s] %d %d %d %u %u\n", e->type, e->line, e->import_index,
                   s(e->name), s(e->context), e->uncertain, e->class_body, e->none, e->next,
                   e->catches);
        }
        impviz_file_free(f);
        g_free(bytes);
    }
    impviz_parser_free(parser);
    return 0;
}
