/* SPDX-License-Identifier: MIT */
/*
 * vanish_preload.c - an LD_PRELOAD shim for tests/e2e/hostile.py: files that change between
 * discovery and reading, deterministically. Opening a file whose name starts with
 *   "vanish_"        deletes it first (the open then fails as after a real race);
 *   "becomes_dir_"   replaces it by a directory of the same name first;
 *   "becomes_fifo_"  replaces it by a FIFO (no writer: a blocking open would wait forever);
 *   "becomes_zero_"  replaces it by a symbolic link to /dev/zero (endless bytes);
 *   "grows_"         appends GROWTH bytes to it first (past a size limit discovery checked);
 *   "grows_late_"    appends GROWTH bytes after the open, at the first read of it (a file that
 *                    grows while being read, past the size fstat gave).
 * Each change is made once per file, so a second open sees the changed file.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GROWTH (64 * 1024)

static pthread_mutex_t late_lock = PTHREAD_MUTEX_INITIALIZER;
static int late_fd = -1; /* the "grows_late_" file open for reading, until its first read */
static char late_path[4096];

static bool has_prefix(const char *base, const char *prefix)
{
    return strncmp(base, prefix, strlen(prefix)) == 0;
}

static bool is_regular(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Appends GROWTH bytes of Python comment to path. */
static void grow(const char *path)
{
    static const char line[] = "# grown after discovery\n";
    /* not through the wrappers below, which would grow it again */
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return;
    for (size_t n = 0; n < GROWTH; n += sizeof line - 1)
        if (write(fd, line, sizeof line - 1) < 0)
            break;
    close(fd);
}

static void change_under_feet(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (has_prefix(base, "vanish_")) {
        unlink(path);
    } else if (has_prefix(base, "becomes_dir_")) {
        if (is_regular(path) && unlink(path) == 0)
            mkdir(path, 0755);
    } else if (has_prefix(base, "becomes_fifo_")) {
        if (is_regular(path) && unlink(path) == 0)
            mkfifo(path, 0644);
    } else if (has_prefix(base, "becomes_zero_")) {
        if (is_regular(path) && unlink(path) == 0)
            symlink("/dev/zero", path);
    } else if (has_prefix(base, "grows_") && !has_prefix(base, "grows_late_")) {
        struct stat st;
        if (stat(path, &st) == 0 && st.st_size < GROWTH) /* once */
            grow(path);
    }
}

/* After an open of a "grows_late_" file: its first read grows it first. */
static void opened(const char *path, int fd)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    struct stat st;
    if (fd < 0 || !has_prefix(base, "grows_late_") || stat(path, &st) != 0 || st.st_size >= GROWTH)
        return;
    pthread_mutex_lock(&late_lock);
    __atomic_store_n(&late_fd, fd, __ATOMIC_RELAXED);
    strncpy(late_path, path, sizeof late_path - 1);
    pthread_mutex_unlock(&late_lock);
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
        int fd = real(path, flags, mode);                                                          \
        opened(path, fd);                                                                          \
        return fd;                                                                                 \
    }

WRAP(open)
WRAP(open64)

ssize_t read(int fd, void *buf, size_t count)
{
    static ssize_t (*real)(int, void *, size_t);
    if (!real)
        real = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    if (__atomic_load_n(&late_fd, __ATOMIC_RELAXED) >= 0) { /* decided under the lock */
        pthread_mutex_lock(&late_lock);
        if (fd == late_fd) {
            __atomic_store_n(&late_fd, -1, __ATOMIC_RELAXED);
            grow(late_path);
        }
        pthread_mutex_unlock(&late_lock);
    }
    return real(fd, buf, count);
}
