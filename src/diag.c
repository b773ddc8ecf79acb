/* SPDX-License-Identifier: MIT */
/*
 * diag.c - status codes and the diagnostics list.
 *
 * Diagnostics are collected, not printed: the caller owns the list and decides how to show it.
 * The list is guarded by a mutex because parser threads add warnings concurrently; it is sorted
 * before it is shown so thread timing never reaches the output.
 */
#include "impviz.h"

#include <stdarg.h>
#include <string.h>

struct impviz_diags {
    GMutex lock;
    GPtrArray *items; /* impviz_diag * */
    bool sorted;
};

const char *impviz_status_str(impviz_status status)
{
    switch (status) {
    case IMPVIZ_OK:
        return "success";
    case IMPVIZ_EUSAGE:
        return "usage error";
    case IMPVIZ_EINPUT:
        return "input error";
    case IMPVIZ_EOUTPUT:
        return "output error";
    case IMPVIZ_ERENDER:
        return "rendering error";
    }
    return "unknown status";
}

static void diag_free(gpointer p)
{
    impviz_diag *d = p;
    g_free(d->path);
    g_free(d->message);
    g_free(d);
}

impviz_diags *impviz_diags_new(void)
{
    impviz_diags *diags = g_new0(impviz_diags, 1);
    g_mutex_init(&diags->lock);
    diags->items = g_ptr_array_new_with_free_func(diag_free);
    return diags;
}

void impviz_diags_free(impviz_diags *diags)
{
    if (!diags)
        return;
    g_ptr_array_unref(diags->items);
    g_mutex_clear(&diags->lock);
    g_free(diags);
}

void impviz_diags_add(impviz_diags *diags, impviz_severity severity, const char *path, int line,
                      const char *fmt, ...)
{
    impviz_diag *d = g_new0(impviz_diag, 1);
    va_list ap;
    va_start(ap, fmt);
    d->message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    d->severity = severity;
    d->path = g_strdup(path);
    d->line = line;
    g_mutex_lock(&diags->lock);
    g_ptr_array_add(diags->items, d);
    diags->sorted = false;
    g_mutex_unlock(&diags->lock);
}

guint impviz_diags_count(const impviz_diags *diags, impviz_severity min)
{
    guint n = 0;
    for (guint i = 0; i < diags->items->len; i++) {
        const impviz_diag *d = g_ptr_array_index(diags->items, i);
        n += d->severity >= min;
    }
    return n;
}

static gint diag_cmp(gconstpointer a, gconstpointer b)
{
    const impviz_diag *x = *(impviz_diag *const *)a, *y = *(impviz_diag *const *)b;
    int c = g_strcmp0(x->path, y->path);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->message, y->message);
}

const GPtrArray *impviz_diags_sorted(impviz_diags *diags)
{
    g_mutex_lock(&diags->lock);
    if (!diags->sorted) {
        g_ptr_array_sort(diags->items, diag_cmp);
        diags->sorted = true;
    }
    g_mutex_unlock(&diags->lock);
    return diags->items;
}
