/* SPDX-License-Identifier: MIT */
/*
 * output.c - output formats and safe output files.
 *
 * A file is written whole or not at all: GLib writes a temporary file beside the target and
 * renames it into place, so a failed or killed run leaves the previous file untouched.
 */
#include "impviz.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    impviz_format format;
} format_names[] = {
    {"text", IMPVIZ_FORMAT_TEXT},
    {"txt", IMPVIZ_FORMAT_TEXT},
    {"json", IMPVIZ_FORMAT_JSON},
    {"dot", IMPVIZ_FORMAT_DOT},
    {"gv", IMPVIZ_FORMAT_DOT},
    {"svg", IMPVIZ_FORMAT_SVG},
    {"png", IMPVIZ_FORMAT_PNG},
    {"pdf", IMPVIZ_FORMAT_PDF},
    {"sarif", IMPVIZ_FORMAT_SARIF},
    {"github", IMPVIZ_FORMAT_GITHUB},
    {"markdown", IMPVIZ_FORMAT_MARKDOWN},
    {"md", IMPVIZ_FORMAT_MARKDOWN},
    {"mermaid", IMPVIZ_FORMAT_MERMAID},
    {"mmd", IMPVIZ_FORMAT_MERMAID},
    {"html", IMPVIZ_FORMAT_HTML},
    {"htm", IMPVIZ_FORMAT_HTML},
};

bool impviz_format_parse(const char *name, impviz_format *out)
{
    for (size_t i = 0; i < G_N_ELEMENTS(format_names); i++) {
        if (g_ascii_strcasecmp(name, format_names[i].name) == 0) {
            *out = format_names[i].format;
            return true;
        }
    }
    return false;
}

bool impviz_format_from_path(const char *path, impviz_format *out)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot && impviz_format_parse(dot + 1, out);
}

impviz_status impviz_output_check(const char *path, impviz_diags *diags)
{
    if (strcmp(path, "-") == 0)
        return IMPVIZ_OK;
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot write '%s': Is a directory", path);
        return IMPVIZ_EOUTPUT;
    }
    char *dir = g_path_get_dirname(path);
    impviz_status status = IMPVIZ_OK;
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot write '%s': %s", path,
                         g_strerror(ENOENT));
        status = IMPVIZ_EOUTPUT;
    } else if (access(dir, W_OK | X_OK) != 0) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot write '%s': %s", path,
                         g_strerror(errno));
        status = IMPVIZ_EOUTPUT;
    }
    g_free(dir);
    return status;
}

impviz_status impviz_output_write(const char *path, const void *data, size_t len,
                                  impviz_diags *diags)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot write to standard output: %s",
                             g_strerror(errno));
            return IMPVIZ_EOUTPUT;
        }
        return IMPVIZ_OK;
    }
    GError *err = NULL;
    /* g_file_set_contents: temporary file in the same directory, fsync, then rename */
    if (!g_file_set_contents(path, data, (gssize)len, &err)) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot write '%s': %s", path, err->message);
        g_error_free(err);
        return IMPVIZ_EOUTPUT;
    }
    return IMPVIZ_OK;
}
