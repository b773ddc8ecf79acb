/* SPDX-License-Identifier: MIT */
/*
 * vanish_preload.c - an LD_PRELOAD shim for tests/e2e/hostile.py: files that change between
 * discovery and reading, deterministically. Opening a file whose name starts with "vanish_"
 * deletes it first (the open then fails as after a real race); one starting with "becomes_dir_"
 * is replaced by a directory of the same name first.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void change_under_feet(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, "vanish_", 7) == 0) {
        unlink(path);
    } else if (strncmp(base, "becomes_dir_", 12) == 0) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) == 0)
            mkdir(path, 0755);
    }
}

#define WRAP(name)                                                                                 \
    int name(const char *path, int flags, ...)                                                     \
    {                                                                                              \
        static int (*real)(const char *, int, ...);                                                \
        if (!real)                                                                                 \
            real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name);                       \
        mode_t mode = 0;                                                                           \
        if (flags & O_CREAT) {                                                                     \
            va_list ap;                                                                            \
            va_start(ap, flags);                                                                   \
            mode = (mode_t)va_arg(ap, int);                                                        \
            va_end(ap);                                                                            \
        }                                                                                          \
        change_under_feet(path);                                                                   \
        return real(path, flags, mode);                                                            \
    }

WRAP(open)
WRAP(open64)
