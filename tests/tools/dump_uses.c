/* SPDX-License-Identifier: MIT */
/*
 * dump_uses.c - where files read given names, as impviz_parser_name_uses finds it: the C side
 * of tests/name_uses_judge.py.
 *
 *   impviz_dump_uses < REQUESTS > ANSWERS
 *
 * Each request line is "PATH\tNAME NAME ..."; each answer line is a JSON object: the path,
 * then per name its import-time flag, first import-time line and reading functions.
 */
#include "impviz.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    impviz_parser *parser = impviz_parser_new();
    GString *line = g_string_new(NULL);
    char buf[65536];
    while (fgets(buf, sizeof buf, stdin)) {
        g_string_append(line, buf);
        if (line->len == 0 || line->str[line->len - 1] != '\n')
            continue;
        g_string_truncate(line, line->len - 1);
        char **parts = g_strsplit(line->str, "\t", 2);
        g_string_truncate(line, 0);
        char **names = g_strsplit(parts[1] ? parts[1] : "", " ", -1);
        char *bytes = NULL;
        gsize len = 0;
        json_t *answer = json_object();
        json_object_set_new(answer, "path", json_string(parts[0]));
        GArray *uses = NULL;
        if (g_file_get_contents(parts[0], &bytes, &len, NULL))
            uses = impviz_parser_name_uses(parser, bytes, len, (const char *const *)names,
                                           g_strv_length(names));
        json_t *all = json_object();
        for (guint i = 0; uses && i < uses->len; i++) {
            const impviz_name_uses *u = &g_array_index(uses, impviz_name_uses, i);
            json_t *fns = json_array();
            for (guint k = 0; k < u->functions->len; k++) {
                const impviz_user *f = g_ptr_array_index(u->functions, k);
                json_array_append_new(fns, json_pack("[s,i]", f->function, (json_int_t)f->line));
            }
            json_object_set_new(all, names[i],
                                json_pack("{s:b,s:i,s:o}", "import_time", u->import_time,
                                          "first_line", (json_int_t)u->first_line, "functions",
                                          fns));
        }
        json_object_set_new(answer, "names", uses ? all : (json_decref(all), json_null()));
        char *text = json_dumps(answer, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\n", text);
        free(text);
        json_decref(answer);
        if (uses)
            g_array_unref(uses);
        g_free(bytes);
        g_strfreev(names);
        g_strfreev(parts);
    }
    g_string_free(line, TRUE);
    impviz_parser_free(parser);
    return 0;
}
