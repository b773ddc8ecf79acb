/* SPDX-License-Identifier: MIT */
/*
 * deadline.h - run one step in a child process that is killed when it takes too long.
 *
 * Graphviz cannot be interrupted in-process, so a layout that must not hang runs in a forked
 * child: the child sends its status, diagnostics and result bytes back through a pipe; the
 * parent waits at most the given number of seconds, then kills it. Private to the library.
 */
#ifndef IMPVIZ_DEADLINE_H
#define IMPVIZ_DEADLINE_H

#include "impviz.h"

/* The step to run: fills *out (a new GBytes) and diags, returns a status. It runs in the child,
 * so it may change only memory the child owns; the parent sees nothing but what it returns. */
typedef impviz_status (*impviz_deadline_fn)(void *data, impviz_diags *diags, GBytes **out);

typedef enum {
    IMPVIZ_DEADLINE_DONE,    /* the step finished: its status, diagnostics and bytes came back */
    IMPVIZ_DEADLINE_EXPIRED, /* it ran out of time and was killed */
    IMPVIZ_DEADLINE_FAILED,  /* it died (a crash, or out of memory) or could not be started */
} impviz_deadline_result;

/* Runs fn(data, ...) in a child process for at most `seconds` (> 0), with its address space
 * limited to max_bytes (0: no limit; ignored under AddressSanitizer, which needs terabytes of
 * address space). On DONE, *status is the step's status, its diagnostics are added to diags and
 * *out is its GBytes (NULL when it returned none; the caller frees it with g_bytes_unref).
 * On EXPIRED and FAILED, *out is NULL; FAILED sets *why to a new string saying what happened
 * ("Aborted", "exit status 1", "cannot fork: ..."), freed by the caller with g_free. */
/* Turns what Graphviz printed on standard error (len bytes of text) into warnings, one per line,
 * "graphviz: ..." (a leading "(null): ", the name of a command a library never sets, dropped). */
void impviz_stderr_warnings(const char *text, size_t len, impviz_diags *diags);

impviz_deadline_result impviz_deadline_run(impviz_deadline_fn fn, void *data, guint seconds,
                                           guint64 max_bytes, impviz_diags *diags,
                                           impviz_status *status, GBytes **out, char **why);

#endif
