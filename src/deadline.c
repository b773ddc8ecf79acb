/* SPDX-License-Identifier: MIT */
/*
 * deadline.c - one step run in a forked child, killed at a deadline (see deadline.h).
 *
 * The child writes one message to a pipe and exits with _exit (no atexit handlers, no stdio
 * flush): status, diagnostics, then the result bytes, in native byte order (both ends are the
 * same program on the same machine). The parent reads with poll() until end of file or the
 * deadline, then reaps the child: a killed or crashed child never leaves a zombie behind.
 * The child asks the kernel to kill it when the parent dies, so a killed impviz leaves no
 * layout running, and its address space can be capped, so a layout that swells (dot on a
 * dense graph of 2 000 modules grows by about 250 MB a second) fails instead of exhausting
 * the machine.
 */
#include "deadline.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the message ------------------------------------------------------------------------ */

static void put_u32(GByteArray *msg, guint32 v)
{
    g_byte_array_append(msg, (const guint8 *)&v, sizeof v);
}

static void put_str(GByteArray *msg, const char *s)
{
    if (!s) {
        put_u32(msg, G_MAXUINT32);
        return;
    }
    guint32 n = (guint32)strlen(s);
    put_u32(msg, n);
    g_byte_array_append(msg, (const guint8 *)s, n);
}

static GByteArray *message_new(impviz_status status, impviz_diags *diags, GBytes *bytes)
{
    GByteArray *msg = g_byte_array_new();
    put_u32(msg, (guint32)status);
    const GPtrArray *items = impviz_diags_sorted(diags);
    put_u32(msg, items->len);
    for (guint i = 0; i < items->len; i++) {
        const impviz_diag *d = g_ptr_array_index(items, i);
        put_u32(msg, (guint32)d->severity);
        put_u32(msg, (guint32)d->line);
        put_str(msg, d->path);
        put_str(msg, d->message);
    }
    gsize len = 0;
    const guint8 *data = bytes ? g_bytes_get_data(bytes, &len) : NULL;
    put_u32(msg, bytes != NULL);
    guint64 len64 = len;
    g_byte_array_append(msg, (const guint8 *)&len64, sizeof len64);
    if (len)
        g_byte_array_append(msg, data, (guint)len);
    return msg;
}

typedef struct {
    const guint8 *p, *end;
} reader;

static bool get(reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

/* A string of the message, copied into a new string (NULL for a NULL one); false when cut. */
static bool get_str(reader *r, char **out)
{
    guint32 n;
    *out = NULL;
    if (!get(r, &n, sizeof n))
        return false;
    if (n == G_MAXUINT32)
        return true;
    if ((size_t)(r->end - r->p) < n)
        return false;
    *out = g_strndup((const char *)r->p, n);
    r->p += n;
    return true;
}

/* Unpacks a child's message into diags, *status and *out; false when it is cut short. */
static bool message_read(const GByteArray *msg, impviz_diags *diags, impviz_status *status,
                         GBytes **out)
{
    reader r = {msg->data, msg->data + msg->len};
    guint32 st, n, has_bytes;
    guint64 len;
    if (!get(&r, &st, sizeof st) || !get(&r, &n, sizeof n))
        return false;
    for (guint32 i = 0; i < n; i++) {
        guint32 severity, line;
        char *path = NULL, *text = NULL;
        bool ok = get(&r, &severity, sizeof severity) && get(&r, &line, sizeof line) &&
                  get_str(&r, &path) && get_str(&r, &text) && text;
        if (ok)
            impviz_diags_add(diags, (impviz_severity)severity, path, (int)line, "%s", text);
        g_free(path);
        g_free(text);
        if (!ok)
            return false;
    }
    if (!get(&r, &has_bytes, sizeof has_bytes) || !get(&r, &len, sizeof len) ||
        (guint64)(r.end - r.p) != len)
        return false;
    *status = (impviz_status)st;
    *out = has_bytes ? g_bytes_new(r.p, (gsize)len) : NULL;
    return true;
}

/* ---- the child ---------------------------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static G_GNUC_NORETURN void child_main(int fd, pid_t parent, impviz_deadline_fn fn, void *data,
                                       guint64 max_bytes)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the parent died before prctl took effect */
        _exit(1);
#ifndef UNDER_ASAN
    if (max_bytes) {
        struct rlimit lim = {(rlim_t)max_bytes, (rlim_t)max_bytes};
        setrlimit(RLIMIT_AS, &lim);
    }
#else
    (void)max_bytes;
#endif
    impviz_diags *diags = impviz_diags_new();
    GBytes *bytes = NULL;
    impviz_status status = fn(data, diags, &bytes);
    GByteArray *msg = message_new(status, diags, bytes);
    bool ok = impviz_write_all(fd, msg->data, msg->len);
    _exit(ok ? 0 : 1); /* nothing freed: the process ends here */
}

/* ---- the parent -------------------------------------------------------------------------- */

/* One line of Graphviz's standard error, cleaned; NULL when empty. Graphviz's plugins print
 * some messages there themselves, named after a command name that a library user does not set
 * ("(null): graph is too large ..."). */
static char *stderr_line(char *line)
{
    line = g_strstrip(line);
    if (g_str_has_prefix(line, "(null): "))
        line += strlen("(null): ");
    return *line ? line : NULL;
}

void impviz_stderr_warnings(const char *text, size_t len, impviz_diags *diags)
{
    char *copy = g_strndup(text, len);
    char **lines = g_strsplit(copy, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *line = stderr_line(*l);
        if (line)
            impviz_diags_add(diags, IMPVIZ_WARNING, NULL, 0, "graphviz: %s", line);
    }
    g_strfreev(lines);
    g_free(copy);
}

/* The child's standard error: warnings when it succeeded, else part of *why. */
static void stderr_lines(const GByteArray *text, impviz_diags *diags, GString *why)
{
    if (!text->len)
        return;
    if (!why) {
        impviz_stderr_warnings((const char *)text->data, text->len, diags);
        return;
    }
    char *copy = g_strndup((const char *)text->data, text->len);
    char **lines = g_strsplit(copy, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *line = stderr_line(*l);
        if (line)
            g_string_append_printf(why, "%s; ", line);
    }
    g_strfreev(lines);
    g_free(copy);
}

impviz_deadline_result impviz_deadline_run(impviz_deadline_fn fn, void *data, guint seconds,
                                           guint64 max_bytes, impviz_diags *diags,
                                           impviz_status *status, GBytes **out, char **why)
{
    impviz_deadline_result result = IMPVIZ_DEADLINE_FAILED;
    GByteArray *bufs[2] = {g_byte_array_new(), g_byte_array_new()}; /* message, stderr */
    int fds[2][2] = {{-1, -1}, {-1, -1}};
    pid_t pid = -1;
    *out = NULL;
    *why = NULL;
    *status = IMPVIZ_ERENDER;
    if (pipe(fds[0]) != 0 || pipe(fds[1]) != 0) {
        *why = g_strdup_printf("cannot create a pipe: %s", g_strerror(errno));
        goto cleanup;
    }
    fflush(NULL); /* the child must not write out the parent's buffered output again */
    pid_t parent = getpid();
    pid = fork();
    if (pid < 0) {
        *why = g_strdup_printf("cannot fork: %s", g_strerror(errno));
        goto cleanup;
    }
    if (pid == 0) {
        close(fds[0][0]);
        close(fds[1][0]);
        dup2(fds[1][1], STDERR_FILENO); /* libraries that print instead of reporting */
        child_main(fds[0][1], parent, fn, data, max_bytes);
    }
    for (int i = 0; i < 2; i++) {
        close(fds[i][1]);
        fds[i][1] = -1;
    }

    gint64 deadline = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
    bool expired = false, open[2] = {true, true};
    guint8 buf[65536];
    while (open[0] || open[1]) {
        gint64 left = deadline - g_get_monotonic_time();
        if (left <= 0) {
            expired = true;
            break;
        }
        struct pollfd pfd[2] = {{.fd = open[0] ? fds[0][0] : -1, .events = POLLIN},
                                {.fd = open[1] ? fds[1][0] : -1, .events = POLLIN}};
        int ready = poll(pfd, 2, (int)MIN(left / 1000 + 1, G_MAXINT));
        if (ready < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2 && ready > 0; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t k = read(fds[i][0], buf, sizeof buf);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                open[i] = false; /* end of file: the child is done, or died */
            else
                g_byte_array_append(bufs[i], buf, (guint)k);
        }
    }
    if (expired)
        kill(pid, SIGKILL);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    GString *failure = g_string_new(NULL);
    stderr_lines(bufs[1], diags, failure);
    if (expired) {
        result = IMPVIZ_DEADLINE_EXPIRED;
    } else if (WIFSIGNALED(wstatus)) {
        g_string_append(failure, g_strsignal(WTERMSIG(wstatus)));
    } else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        g_string_append_printf(failure, "exit status %d", WEXITSTATUS(wstatus));
    } else if (!message_read(bufs[0], diags, status, out)) {
        g_string_append(failure, "its result was cut short");
    } else {
        result = IMPVIZ_DEADLINE_DONE;
        stderr_lines(bufs[1], diags, NULL);
    }
    if (result == IMPVIZ_DEADLINE_FAILED)
        *why = g_strdup(failure->str);
    g_string_free(failure, TRUE);
cleanup:
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (fds[i][j] >= 0)
                close(fds[i][j]);
    g_byte_array_unref(bufs[0]);
    g_byte_array_unref(bufs[1]);
    return result;
}
