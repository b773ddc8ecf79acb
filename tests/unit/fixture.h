/* SPDX-License-Identifier: MIT */
/*
 * fixture.h - the analysis of one committed fixture (tests/fixtures/NAME), for the unit tests of
 * the stages after it. Include after check.h; FIXTURES names tests/fixtures.
 */
#ifndef IMPVIZ_FIXTURE_H
#define IMPVIZ_FIXTURE_H

#include "impviz.h"

#ifndef FIXTURES
#error "FIXTURES must name tests/fixtures"
#endif

/* The analysis of tests/fixtures/<name>, one thread, no cache; NULL (a failed check) when it
 * fails. Caller frees with impviz_analysis_free. */
static inline impviz_analysis *analyse_fixture(const char *name)
{
    char *path = g_build_filename(FIXTURES, name, NULL);
    const char *paths[] = {path, NULL};
    impviz_analysis_opts opts = {
        .discover = {.paths = paths}, .jobs = 1, .cache = IMPVIZ_CACHE_OFF};
    impviz_diags *diags = impviz_diags_new();
    impviz_analysis *a = NULL;
    CHECK_INT(impviz_analysis_run(&opts, diags, &a), IMPVIZ_OK);
    impviz_diags_free(diags);
    g_free(path);
    return a;
}

#endif
