/* SPDX-License-Identifier: MIT */
/*
 * soak.c - the CPython standard library (its tests included) analysed 20 times in one process
 * through the library API, with the text and JSON reports and the DOT graph each time: every
 * run must give the same result, and memory must not grow between run 2 and run 20 (run 1 warms
 * up caches: interned names, Graphviz's plugin tables). Usage: soak [STDLIB_DIR]
 */
#include "check.h"
#include "impviz.h"

#include <malloc.h>
#include <unistd.h>

#define RUNS 20

/* Resident memory in KiB, after giving freed memory back to the system. */
static long resident_kib(void)
{
    malloc_trim(0);
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv)
{
    const char *stdlib = argc > 1 ? argv[1] : "/usr/lib/python3.11";
    if (!g_file_test(stdlib, G_FILE_TEST_IS_DIR)) {
        printf("soak: skipped: no standard library at '%s'\n", stdlib);
        return 77; /* CTest's SKIP_RETURN_CODE */
    }
    const char *paths[] = {stdlib, NULL};
    impviz_analysis_opts opts = {.discover = {.paths = paths, .max_file_size = 16u << 20}};
    impviz_render_opts ropts = {.legend = true};
    long after_2 = 0;
    GString *first = NULL;
    for (int run = 1; run <= RUNS; run++) {
        impviz_diags *diags = impviz_diags_new();
        impviz_analysis *a = NULL;
        CHECK_INT(impviz_analysis_run(&opts, diags, &a), IMPVIZ_OK);
        if (!a) {
            impviz_diags_free(diags);
            break;
        }
        GString *text = impviz_report(a, IMPVIZ_FORMAT_TEXT, true);
        GString *json = impviz_report(a, IMPVIZ_FORMAT_JSON, false);
        GBytes *dot = NULL;
        CHECK_INT(impviz_render(a, &ropts, IMPVIZ_FORMAT_DOT, diags, &dot), IMPVIZ_OK);
        if (!first)
            first = g_string_new(json->str);
        else
            CHECK(g_string_equal(first, json)); /* the same answer every time */
        g_bytes_unref(dot);
        g_string_free(text, TRUE);
        g_string_free(json, TRUE);
        impviz_analysis_free(a);
        impviz_diags_free(diags);
        long kib = resident_kib();
        printf("soak: run %2d: %ld KiB resident\n", run, kib);
        if (run == 2)
            after_2 = kib;
        if (run == RUNS) {
            long growth = kib - after_2;
            printf("soak: growth from run 2 to run %d: %ld KiB\n", RUNS, growth);
            CHECK(growth < 8 * 1024 + after_2 / 20); /* noise: 8 MiB plus 5% */
        }
        fflush(stdout);
    }
    if (first)
        g_string_free(first, TRUE);
    return check_failures ? 1 : 0;
}
