/* SPDX-License-Identifier: MIT */
/*
 * readfile.c - reading the small files a run is pointed at: pyproject.toml, a baseline, a theme,
 * a .gitignore.
 *
 * Such a path comes from a repository or a command line, so it may name anything: only a regular
 * file is read, and only up to a cap. The open never blocks (O_NONBLOCK: a FIFO with no writer
 * would wait forever), the checks are made on the open file (fstat, so a swap after a stat cannot
 * slip through), and the cap holds while reading too (a file that grows, or a /proc file whose
 * size says 0, cannot exhaust memory).
 */
#include "impviz.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

impviz_status impviz_small_file_read(const char *path, gsize max, char **data, gsize *len,
                                     char **why)
{
    char *buf = NULL;
    gsize used = 0;
    int code = 0;
    *data = NULL;
    *len = 0;
    *why = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        code = errno;
        goto cleanup;
    }
    if (S_ISDIR(st.st_mode)) {
        code = EISDIR;
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = g_strdup("not a regular file");
        goto cleanup;
    }
    if ((guint64)st.st_size > max)
        goto too_large;
    /* a regular file: reads cannot block, but some file systems still honour the flag */
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        code = errno;
        goto cleanup;
    }
    gsize size = (gsize)st.st_size + 1; /* room to see the end; at most max + 1 */
    buf = g_malloc(size + 1);
    for (;;) {
        if (used == size) { /* grew, or its size said less than it holds */
            if (size > max)
                goto too_large;
            size = MIN(MAX(size * 2, 4096), max + 1);
            buf = g_realloc(buf, size + 1);
        }
        ssize_t n = read(fd, buf + used, size - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            code = errno;
            goto cleanup;
        }
        if (n == 0)
            break;
        used += (gsize)n;
    }
    buf[used] = '\0';
    *data = g_steal_pointer(&buf);
    *len = used;
    goto cleanup;

too_large:
    *why = g_strdup_printf("larger than %" G_GSIZE_FORMAT " bytes", max);
cleanup:
    if (code)
        *why = g_strdup(g_strerror(code));
    if (fd >= 0)
        close(fd);
    g_free(buf);
    return *why ? IMPVIZ_EINPUT : IMPVIZ_OK;
}
