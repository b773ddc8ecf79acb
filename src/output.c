/* SPDX-License-Identifier: MIT */
/*
 * output.c - output formats and safe output files.
 *
 * A file is written whole or not at all: its bytes go into a temporary file beside the target
 * as they are made, and only a complete file is renamed into place, so a failed or killed run
 * leaves the previous file untouched (a killed one may leave the temporary file: nothing runs
 * after SIGKILL to remove it). A symbolic link is followed to the file it leads to, and that file
 * is replaced, so the link survives. What is not a regular file (a device such as /dev/null, a
 * FIFO, a /proc link such as /dev/stdout) has nothing to replace: it is written in place, as
 * standard output is, never turned into a regular file. Outputs are not fsync'ed, like the
 * caches: what they guard against is a failed run, not a power cut, and the next run writes them
 * again; a sync costs a warm run a few milliseconds, much of its time.
 */
#define _GNU_SOURCE /* O_PATH */
#include "impviz.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <limits.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
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

/* ---- where an output goes ------------------------------------------------------------------ */

/* True when path is one of the kernel's own links (/proc/self/fd/1, which /dev/stdout leads to):
 * it names an open file, a pipe or terminal, or a file the shell opened, perhaps to append. */
static bool is_proc_link(const char *path)
{
    int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct statfs fs;
    bool proc = fd >= 0 && fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
    if (fd >= 0)
        close(fd);
    return proc;
}

/* Where output to path goes: *target (new string, caller frees with g_free) is the regular file
 * to replace, path itself or the end of its chain of links, existing or not, so that a link
 * survives and leads to the new file; NULL when path is (or leads to) a device, FIFO or socket,
 * or a /proc link, written in place (*append: a /proc link, which may be a file opened to append
 * to). False with errno set when it cannot be written at all (EISDIR, ELOOP, ...). */
static bool destination_find(const char *path, char **target, bool *append)
{
    char *cur = g_strdup(path);
    *target = NULL;
    *append = false;
    for (guint hops = 0;; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0) {
            if (errno != ENOENT)
                goto fail;
            *target = cur; /* a new file, or where a dangling link leads */
            return true;
        }
        if (S_ISREG(st.st_mode)) {
            *target = cur;
            return true;
        }
        if (S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            goto fail;
        }
        if (!S_ISLNK(st.st_mode)) /* a device, FIFO or socket: no file to replace */
            break;
        if (hops == 40) { /* as the kernel counts */
            errno = ELOOP;
            goto fail;
        }
        if (is_proc_link(cur)) {
            *append = true;
            break;
        }
        char link[PATH_MAX];
        ssize_t n = readlink(cur, link, sizeof link);
        if (n < 0 || n == sizeof link) {
            errno = n < 0 ? errno : ENAMETOOLONG;
            goto fail;
        }
        link[n] = '\0';
        char *dir = g_path_get_dirname(cur);
        char *next = g_path_is_absolute(link) ? g_strdup(link) : g_build_filename(dir, link, NULL);
        g_free(dir);
        g_free(cur);
        cur = next;
    }
    g_free(cur);
    return true;
fail:; /* errno saved: g_free may change it */
    int code = errno;
    g_free(cur);
    errno = code;
    return false;
}

impviz_status impviz_output_check(const char *path, impviz_diags *diags)
{
    if (strcmp(path, "-") == 0)
        return IMPVIZ_OK;
    char *target = NULL, *dir = NULL;
    bool append = false;
    int code = 0;
    if (!destination_find(path, &target, &append)) {
        code = errno;
    } else if (!target) { /* written in place */
        if (access(path, W_OK) != 0)
            code = errno;
    } else {
        dir = g_path_get_dirname(target);
        if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
            code = ENOENT;
        else if (access(dir, W_OK | X_OK) != 0)
            code = errno;
    }
    if (code)
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot write '%s': %s", path,
                         g_strerror(code));
    g_free(target);
    g_free(dir);
    return code ? IMPVIZ_EOUTPUT : IMPVIZ_OK;
}

/* ---- writing: a temporary file renamed into place ------------------------------------------ */

struct impviz_output {
    char *path;   /* the target as given, for messages; NULL for standard output */
    char *target; /* the regular file replaced: path, or where its links lead; NULL when written
                     in place (standard output, a device, a FIFO) */
    char *temp;   /* the temporary file beside target, until it is renamed or removed */
    int fd;       /* open on temp, or on path itself; -1 for standard output */
    int error;    /* errno of the first write that failed; 0 while all went well */
};

impviz_status impviz_output_open(const char *path, impviz_diags *diags, impviz_output **out)
{
    impviz_output *o = g_new0(impviz_output, 1);
    o->fd = -1;
    *out = NULL;
    if (strcmp(path, "-") == 0) {
        *out = o;
        return IMPVIZ_OK;
    }
    o->path = g_strdup(path);
    bool append = false;
    const char *why = NULL;
    struct stat st;
    if (!destination_find(path, &o->target, &append)) {
        why = g_strerror(errno);
    } else if (o->target) {
        o->temp = g_strconcat(o->target, ".XXXXXX", NULL);
        o->fd = g_mkstemp_full(o->temp, O_RDWR | O_CLOEXEC, 0666);
        if (o->fd < 0) {
            why = g_strerror(errno);
            g_clear_pointer(&o->temp, g_free); /* nothing made */
        }
    } else { /* no file to replace: written as it is made, whole or not */
        o->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (append ? O_APPEND : 0));
        if (o->fd < 0 || fstat(o->fd, &st) != 0)
            why = g_strerror(errno);
        else if (S_ISREG(st.st_mode) && !append) /* became a file since: never written over */
            why = "changed while being opened";
    }
    if (why) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot write '%s': %s", path, why);
        impviz_output_free(o);
        return IMPVIZ_EOUTPUT;
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
    if (!o->error && o->temp && g_rename(o->temp, o->target) != 0)
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
    g_free(o->target);
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
