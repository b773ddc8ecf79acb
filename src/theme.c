/* SPDX-License-Identifier: MIT */
/*
 * theme.c - the colours and fonts of pictures, read from GKeyFile theme files.
 *
 * A theme file (share/impviz/themes/NAME.theme) sets any of the keys in `fields` below; keys it
 * leaves out keep the built-in light theme's values, so every impviz_theme is complete. Values
 * are checked here (colours are #rrggbb[aa] or a colour name, fonts plain names), so nothing a
 * theme file holds can break the DOT or SVG they end up in. An unknown group or key is an error:
 * a typo should not silently fall back to a default.
 */
#include "impviz.h"

#include <string.h>

typedef enum { COLOUR, FONT, SIZE, COLOURS } field_type;

static const struct {
    const char *group, *key;
    size_t offset;
    field_type type;
    const char *light; /* the built-in value */
} fields[] = {
#define F(g, k, member, t, v)                                                                      \
    {                                                                                              \
        g, k, G_STRUCT_OFFSET(impviz_theme, member), t, v                                          \
    }
    F("graph", "background", background, COLOUR, "#ffffff"),
    F("graph", "font", font, FONT, "Helvetica"),
    F("graph", "font-size", font_size, SIZE, "11"),
    F("module", "fill", module_fill, COLOUR, "#ffffff"),
    F("module", "border", module_border, COLOUR, "#424242"),
    F("module", "text", module_text, COLOUR, "#212121"),
    F("package", "border", cluster_border, COLOUR, "#9e9e9e"),
    F("package", "text", cluster_text, COLOUR, "#616161"),
    F("package", "fill", cluster_fill, COLOUR, "#ffffff"),
    F("edge", "color", edge, COLOUR, "#424242"),
    F("edge", "typing", edge_typing, COLOUR, "#9e9e9e"),
    F("edge", "external", edge_external, COLOUR, "#bdbdbd"),
    F("cycle", "color", cycle, COLOUR, "#d62728"),
    F("cycle", "fills", component_fills, COLOURS,
      "#fbb4ae;#b3cde3;#ccebc5;#decbe4;#fed9a6;#ffffcc;#e5d8bd;#fddaec;#8dd3c7;#bebada;#fb8072;"
      "#80b1d3"),
    F("cycle", "runtime", runtime_cycle, COLOUR, "#f28e2b"),
    F("cycle", "runtime-fill", runtime_fill, COLOUR, "#fff3e0"),
    F("external", "stdlib-fill", stdlib_fill, COLOUR, "#eeeeee"),
    F("external", "stdlib-border", stdlib_border, COLOUR, "#bdbdbd"),
    F("external", "third-party-fill", third_party_fill, COLOUR, "#e3f2fd"),
    F("external", "third-party-border", third_party_border, COLOUR, "#90caf9"),
    F("legend", "border", legend_border, COLOUR, "#bdbdbd"),
    F("legend", "text", legend_text, COLOUR, "#616161"),
#undef F
};

static char **field_at(impviz_theme *t, size_t i)
{
    return (char **)G_STRUCT_MEMBER_P(t, fields[i].offset);
}

static bool valid_colour(const char *s)
{
    size_t n = strlen(s);
    if (s[0] == '#') {
        if (n != 7 && n != 9)
            return false;
        for (size_t i = 1; i < n; i++)
            if (!g_ascii_isxdigit(s[i]))
                return false;
        return true;
    }
    if (!n || n > 40 || !g_ascii_isalpha(s[0]))
        return false;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s))
            return false;
    return true;
}

static bool valid_value(field_type type, const char *s)
{
    switch (type) {
    case COLOUR:
        return valid_colour(s);
    case FONT:
        if (!*s || strlen(s) > 80)
            return false;
        for (; *s; s++)
            if (!g_ascii_isalnum(*s) && !strchr(" -,", *s))
                return false;
        return true;
    case SIZE: {
        char *end;
        double v = g_ascii_strtod(s, &end);
        return *s && !*end && v >= 4 && v <= 72;
    }
    case COLOURS: {
        char **parts = g_strsplit(s, ";", -1);
        bool ok = parts[0] != NULL;
        for (char **p = parts; *p && ok; p++)
            ok = valid_colour(g_strstrip(*p));
        g_strfreev(parts);
        return ok;
    }
    }
    return false;
}

static impviz_theme *theme_light(void)
{
    impviz_theme *t = g_new0(impviz_theme, 1);
    t->name = g_strdup("light");
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
        *field_at(t, i) = g_strdup(fields[i].light);
    return t;
}

impviz_theme *impviz_theme_new(void)
{
    return theme_light();
}

void impviz_theme_free(impviz_theme *theme)
{
    if (!theme)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
        g_free(*field_at(theme, i));
    g_free(theme->name);
    g_free(theme);
}

static gint field_index(const char *group, const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
        if (strcmp(fields[i].group, group) == 0 && strcmp(fields[i].key, key) == 0)
            return (gint)i;
    return -1;
}

impviz_status impviz_theme_parse(const char *data, size_t len, const char *name,
                                 impviz_diags *diags, impviz_theme **out)
{
    *out = NULL;
    GKeyFile *kf = g_key_file_new();
    GError *err = NULL;
    impviz_theme *t = theme_light();
    g_free(t->name);
    t->name = g_strdup(name);
    impviz_status status = IMPVIZ_OK;
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &err)) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot read theme '%s': %s", name,
                         err->message);
        g_error_free(err);
        status = IMPVIZ_EUSAGE;
        goto cleanup;
    }
    gchar **groups = g_key_file_get_groups(kf, NULL);
    for (gchar **g = groups; *g && status == IMPVIZ_OK; g++) {
        gchar **keys = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (gchar **k = keys; keys && *k && status == IMPVIZ_OK; k++) {
            gint i = field_index(*g, *k);
            if (strcmp(*g, "theme") == 0) /* name, description: for people */
                continue;
            if (i < 0) {
                impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0,
                                 "theme '%s': unknown key '%s' in [%s]", name, *k, *g);
                status = IMPVIZ_EUSAGE;
                break;
            }
            char *value = g_key_file_get_string(kf, *g, *k, NULL);
            g_strstrip(value);
            if (!valid_value(fields[i].type, value)) {
                impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0,
                                 "theme '%s': bad value '%s' for %s in [%s]", name, value, *k, *g);
                status = IMPVIZ_EUSAGE;
                g_free(value);
                break;
            }
            g_free(*field_at(t, (size_t)i));
            *field_at(t, (size_t)i) = value;
        }
        g_strfreev(keys);
    }
    g_strfreev(groups);
cleanup:
    g_key_file_free(kf);
    if (status != IMPVIZ_OK) {
        impviz_theme_free(t);
        return status;
    }
    *out = t;
    return IMPVIZ_OK;
}

/* The theme file for `spec`: a path when it names a file (has a '/' or ends in ".theme"), else
 * NAME.theme in the first of dirs that has it. NULL when none. */
static char *theme_path(const char *spec, const char *const *dirs)
{
    if (strchr(spec, '/') || g_str_has_suffix(spec, ".theme"))
        return g_strdup(spec);
    char *file = g_strconcat(spec, ".theme", NULL);
    char *found = NULL;
    for (; dirs && *dirs && !found; dirs++) {
        char *p = g_build_filename(*dirs, file, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
            found = p;
        else
            g_free(p);
    }
    g_free(file);
    return found;
}

static gint str_ptr_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "dark, light" ... : the theme names in the first directory that has any, sorted. */
static char *theme_names(const char *const *dirs)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (; dirs && *dirs && !names->len; dirs++) {
        GDir *d = g_dir_open(*dirs, 0, NULL);
        const char *entry;
        while (d && (entry = g_dir_read_name(d)))
            if (g_str_has_suffix(entry, ".theme"))
                g_ptr_array_add(names, g_strndup(entry, strlen(entry) - strlen(".theme")));
        if (d)
            g_dir_close(d);
    }
    g_ptr_array_sort(names, str_ptr_cmp);
    g_ptr_array_add(names, NULL);
    char *list = g_strjoinv(", ", (char **)names->pdata);
    g_ptr_array_unref(names);
    return list;
}

impviz_status impviz_theme_load(const char *spec, const char *const *dirs, impviz_diags *diags,
                                impviz_theme **out)
{
    *out = NULL;
    char *path = theme_path(spec, dirs);
    if (!path) {
        char *names = theme_names(dirs);
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "unknown theme '%s' (try %s)", spec,
                         *names ? names : "a theme file");
        g_free(names);
        return IMPVIZ_EUSAGE;
    }
    char *data = NULL, *why = NULL;
    gsize len = 0;
    impviz_status status;
    if (impviz_small_file_read(path, IMPVIZ_SMALL_FILE_MAX, &data, &len, &why) != IMPVIZ_OK) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot read theme '%s': %s", spec, why);
        g_free(why);
        status = IMPVIZ_EUSAGE;
    } else {
        status = impviz_theme_parse(data, len, spec, diags, out);
    }
    g_free(data);
    g_free(path);
    return status;
}
