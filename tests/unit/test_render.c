/* SPDX-License-Identifier: MIT */
/*
 * test_render.c - the render stage on a committed fixture (tests/fixtures/viewproj), through
 * Graphviz itself: DOT (no layout) with package clusters and the classes the SVG carries, real
 * SVG with the cycle drawn red, the legend on and off, and the errors it reports.
 */
#include "check.h"
#include "fixture.h"
#include "impviz.h"

/* Renders a in format with opts; the output as a string (NULL on failure, *status says why).
 * Caller frees. */
static char *render(const impviz_analysis *a, const impviz_render_opts *opts, impviz_format format,
                    impviz_status *status, char **first_error)
{
    impviz_diags *diags = impviz_diags_new();
    GBytes *out = NULL;
    *status = impviz_render(a, opts, format, diags, &out);
    if (first_error) {
        const GPtrArray *all = impviz_diags_sorted(diags);
        *first_error =
            all->len ? g_strdup(((impviz_diag *)g_ptr_array_index(all, 0))->message) : NULL;
    }
    impviz_diags_free(diags);
    if (!out)
        return NULL;
    gsize len;
    const char *data = g_bytes_get_data(out, &len);
    char *text = g_strndup(data, len);
    g_bytes_unref(out);
    return text;
}

static void dot(const impviz_analysis *a)
{
    impviz_render_opts opts = {.legend = true};
    impviz_status st;
    char *t = render(a, &opts, IMPVIZ_FORMAT_DOT, &st, NULL);
    CHECK_INT(st, IMPVIZ_OK);
    if (!t)
        return;
    /* one cluster per package, nested, labelled with its name */
    CHECK(strstr(t, "subgraph cluster_shop {") != NULL);
    CHECK(strstr(t, "label=\"shop.core\"") != NULL || strstr(t, "label=shop.core") != NULL);
    /* classes: kind, cycle, runtime-cycle on edges; module, in-cycle on nodes */
    CHECK(strstr(t, "class=\"eager cycle\"") != NULL);
    CHECK(strstr(t, "class=\"deferred runtime-cycle\"") != NULL);
    CHECK(strstr(t, "class=typing") != NULL || strstr(t, "class=\"typing\"") != NULL);
    CHECK(strstr(t, "class=\"module in-cycle\"") != NULL);
    CHECK(strstr(t, "legend") != NULL);
    g_free(t);

    opts.legend = false;
    t = render(a, &opts, IMPVIZ_FORMAT_DOT, &st, NULL);
    CHECK(t && strstr(t, "legend") == NULL);
    g_free(t);
}

static void svg(const impviz_analysis *a)
{
    impviz_render_opts opts = {.legend = true, .layout = "dot"};
    impviz_status st;
    char *t = render(a, &opts, IMPVIZ_FORMAT_SVG, &st, NULL);
    CHECK_INT(st, IMPVIZ_OK);
    if (!t)
        return;
    CHECK(strstr(t, "<svg") != NULL);
    /* Graphviz writes '-' in ids as &#45; */
    CHECK(strstr(t, "id=\"e:shop.core.models&#45;&gt;shop.core.signals\" class=\"edge eager "
                    "cycle\"") != NULL);
    CHECK(strstr(t, "stroke=\"#d62728\"") != NULL); /* the cycle, red */
    CHECK(strstr(t, "stroke-dasharray") != NULL);   /* the deferred edge, dashed */
    /* the same bytes again: no timestamp, no address in the picture */
    char *again = render(a, &opts, IMPVIZ_FORMAT_SVG, &st, NULL);
    CHECK(again && strcmp(again, t) == 0);
    g_free(again);
    g_free(t);
}

static void errors(const impviz_analysis *a)
{
    impviz_status st;
    char *why = NULL;
    impviz_render_opts opts = {.layout = "no-such-engine"};
    char *t = render(a, &opts, IMPVIZ_FORMAT_SVG, &st, &why);
    CHECK_INT(st, IMPVIZ_ERENDER);
    CHECK(t == NULL && why && strstr(why, "no-such-engine") != NULL);
    g_free(why);
    g_free(t);

    impviz_render_opts small = {.max_edges = 3};
    t = render(a, &small, IMPVIZ_FORMAT_SVG, &st, &why);
    CHECK_INT(st, IMPVIZ_ERENDER);
    CHECK(why && strstr(why, "max-edges") != NULL);
    g_free(why);
    g_free(t);
    /* DOT needs no layout: never limited */
    t = render(a, &small, IMPVIZ_FORMAT_DOT, &st, NULL);
    CHECK_INT(st, IMPVIZ_OK);
    g_free(t);
}

int main(void)
{
    impviz_analysis *a = analyse_fixture("viewproj");
    if (a) {
        dot(a);
        svg(a);
        errors(a);
    }
    impviz_analysis_free(a);
    return check_done("test_render");
}
