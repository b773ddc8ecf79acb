/* SPDX-License-Identifier: MIT */
/*
 * output.c - output formats and safe output files.
 *
 * A file is written whole or not at all: its bytes go into a temporary file beside the target
 * as they are made, and only a complete file is renamed into place, so a failed or killed run
 * leaves the previous file untouched (a killed one may leave the temporary file). Outputs are
 * not fsync'ed, like the caches: what they guard against is a failed run, not a power cut, and
 * the next run writes them again; a sync costs a warm run a few milliseconds, much of its time.
 */
#include "impviz.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
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

/* ---- writing: a temporary file renamed into place ------------------------------------------ */

struct impviz_output {
    char *path; /* the target; NULL for standard output */
    char *temp; /* the temporary file beside path, until it is renamed or removed */
    int fd;     /* open on temp; -1 for standard output */
    int error;  /* errno of the first write that failed; 0 while all went well */
};

impviz_status impviz_output_open(const char *path, impviz_diags *diags, impviz_output **out)
{
    impviz_output *o = g_new0(impviz_output, 1);
    o->fd = -1;
    if (strcmp(path, "-") != 0) {
        o->path = g_strdup(path);
        o->temp = g_strconcat(path, ".XXXXXX", NULL);
        o->fd = g_mkstemp_full(o->temp, O_RDWR | O_CLOEXEC, 0666);
        if (o->fd < 0) {
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot write '%s': %s", path,
                             g_strerror(errno));
            g_clear_pointer(&o->temp, g_free);
            impviz_output_free(o);
            *out = NULL;
            return IMPVIZ_EOUTPUT;
        }
    }
    *out = o;
    return IMPVIZ_OK;
}

void impviz_output_append(impviz_output *o, const void *data, size_t len)
{
    if (o->error)
        return;
    if (o->fd < 0) {
        if (fwrite(data, 1, len, stdout) != len)
            o->error = errno ? errno : EIO;
        return;
    }
    for (const char *p = data; len;) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            o->error = n < 0 ? errno : ENOSPC;
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

impviz_status impviz_output_commit(impviz_output *o, impviz_diags *diags)
{
    if (o->fd < 0) {
        if (!o->error && fflush(stdout) != 0)
            o->error = errno;
        if (o->error)
            impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot write to standard output: %s",
                             g_strerror(o->error));
        impviz_status st = o->error ? IMPVIZ_EOUTPUT : IMPVIZ_OK;
        impviz_output_free(o);
        return st;
    }
    if (close(o->fd) != 0 && !o->error)
        o->error = errno;
    o->fd = -1;
    if (!o->error && g_rename(o->temp, o->path) != 0)
        o->error = errno;
    if (o->error) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot write '%s': %s", o->path,
                         g_strerror(o->error));
        impviz_output_free(o); /* removes the temporary file */
        return IMPVIZ_EOUTPUT;
    }
    g_clear_pointer(&o->temp, g_free); /* renamed: nothing to remove */
    impviz_output_free(o);
    return IMPVIZ_OK;
}

void impviz_output_free(impviz_output *o)
{
    if (!o)
        return;
    if (o->fd >= 0)
        close(o->fd);
    if (o->temp)
        g_unlink(o->temp);
    g_free(o->temp);
    g_free(o->path);
    g_free(o);
}

impviz_status impviz_output_write(const char *path, const void *data, size_t len,
                                  impviz_diags *diags)
{
    impviz_output *o = NULL;
    impviz_status st = impviz_output_open(path, diags, &o);
    if (st != IMPVIZ_OK)
        return st;
    impviz_output_append(o, data, len);
    return impviz_output_commit(o, diags);
}
