/* SPDX-License-Identifier: MIT */
/*
 * soak.c - the CPython standard library analysed 20 times in one process through the library
 * API, with everything a run of the command does to it each time: the analysis, the import-error
 * diagnosis (impviz_memo_diagnose), the text and JSON reports, the DOT graph of every module and
 * an SVG laid out by Graphviz in this process (of the depth-1 view, one node per top-level
 * package, to keep each run short). Every run must give the same JSON and the same SVG, and the
 * heap must not grow: the bytes malloc has handed out and not taken back (glibc's mallinfo2,
 * measured once each run has freed everything) may grow between run 5 and run 20 by at most
 * 32 KiB plus 1/2000 of the heap a run holds at its end (about 50 KiB, 0.13%, on the
 * benchmark's standard library: 3 KiB a run, where one Graphviz context or one graph left behind
 * per run costs 4 to 7 KiB). Runs 1 to 4 warm up what lives as long as the process: names
 * interned for the reports, Graphviz's plugins and font caches, GLib's thread pool.
 *
 * The corpus, in order: the directory given (soak DIR); the benchmark's copy of the standard
 * library with its test suite ($TMPDIR/impviz-benchmark/corpora/stdlib, made by bench/run, about
 * 1 800 files); else the standard library of the python3 on PATH, site-packages left out (which
 * may or may not hold its tests: Debian's does not). The first line of output says which.
 *
 * This program must run on glibc's malloc for mallinfo2 to count anything: tests/CMakeLists.txt
 * links it to impvizlib alone (the command's mimalloc is linked into src/main.c's executable
 * only), and the first check below proves it.
 */
#define _POSIX_C_SOURCE 200809L /* setenv, execv */

#include "check.h"
#include "impviz.h"

#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#define RUNS 20
#define STEADY 5 /* the first run of the steady state */

/* glibc keeps up to 7 freed chunks of each small size per thread (tcache) and mallinfo2 counts
 * them as in use, which made the measure wander by a few hundred KiB between runs: the program
 * runs with that cache off, re-executing itself with the tunable set when it is not. */
static void tcache_off(char **argv)
{
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (tunables && strstr(tunables, "glibc.malloc.tcache_count=0"))
        return;
    char *value = tunables && *tunables
                      ? g_strconcat(tunables, ":glibc.malloc.tcache_count=0", NULL)
                      : g_strdup("glibc.malloc.tcache_count=0");
    setenv("GLIBC_TUNABLES", value, 1);
    g_free(value);
    execv("/proc/self/exe", argv);
    printf("soak: note: cannot re-execute with glibc's tcache off; the measure is noisier\n");
}

/* Bytes allocated and not yet freed: the arenas' chunks in use plus the mmapped ones. */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static long resident_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The standard library of the python3 on PATH, or NULL. */
static char *python_stdlib(void)
{
    const char *argv[] = {"python3", "-c",
                          "import sysconfig; print(sysconfig.get_paths()['stdlib'])", NULL};
    char *out = NULL;
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &out, NULL, &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL)) {
        g_free(out);
        return NULL;
    }
    g_strstrip(out);
    return out;
}

int main(int argc, char **argv)
{
    tcache_off(argv);
    /* this process allocates through glibc, or mallinfo2 would see nothing */
    size_t before = heap_in_use();
    char *volatile probe = malloc(64 << 10);
    CHECK(probe && heap_in_use() >= before + (64 << 10));
    free(probe);

    char *corpus = NULL;
    const char *what = NULL;
    const char *excludes[] = {"site-packages", NULL};
    char *bench = g_build_filename(g_get_tmp_dir(), "impviz-benchmark/corpora/stdlib", NULL);
    if (argc > 1) {
        corpus = g_strdup(argv[1]);
        what = "the directory given";
    } else if (g_file_test(bench, G_FILE_TEST_IS_DIR)) {
        corpus = g_strdup(bench);
        what = "bench/run's copy of the standard library";
    } else if ((corpus = python_stdlib())) {
        what = "the standard library of python3 on PATH, without site-packages";
    }
    g_free(bench);
    if (!corpus || !g_file_test(corpus, G_FILE_TEST_IS_DIR)) {
        printf("soak: skipped: no standard library found (python3 is not on PATH)\n");
        g_free(corpus);
        return 77; /* CTest's SKIP_RETURN_CODE */
    }
    char *tests = g_build_filename(corpus, "test", "test_grammar.py", NULL); /* not Debian's */
    bool has_tests = g_file_test(tests, G_FILE_TEST_EXISTS);
    g_free(tests);
    printf("soak: corpus %s: %s, %s its test suite\n", corpus, what,
           has_tests ? "with" : "WITHOUT");

    const char *paths[] = {corpus, NULL};
    impviz_analysis_opts opts = {
        .discover = {.paths = paths, .excludes = excludes, .max_file_size = 16u << 20}};
    impviz_view_opts vopts = {.depth = 1};
    GString *first_json = NULL;
    GBytes *first_svg = NULL;
    size_t steady = 0, peak = 0;
    gint64 start = g_get_monotonic_time();
    for (int run = 1; run <= RUNS; run++) {
        gint64 run_start = g_get_monotonic_time();
        impviz_diags *diags = impviz_diags_new();
        impviz_analysis *a = NULL;
        CHECK_INT(impviz_analysis_run(&opts, diags, &a), IMPVIZ_OK);
        if (!a) {
            impviz_diags_free(diags);
            break;
        }
        /* the diagnosis, kept in the analysis for the reports as the command does */
        a->diagnosis = impviz_memo_diagnose(a, IMPVIZ_MAX_SIMULATION, diags);
        CHECK(a->diagnosis && a->diagnosis->cycles->len > 0);
        GString *text = impviz_report(a, IMPVIZ_FORMAT_TEXT, true);
        GString *json = impviz_report(a, IMPVIZ_FORMAT_JSON, false);
        GBytes *dot = NULL, *svg = NULL;
        impviz_render_opts dot_opts = {.legend = true};
        CHECK_INT(impviz_render(a, &dot_opts, IMPVIZ_FORMAT_DOT, diags, &dot), IMPVIZ_OK);
        impviz_view *view = NULL;
        CHECK_INT(impviz_view_new(a, &vopts, diags, &view), IMPVIZ_OK);
        /* laid out in a child, as the command does (its default --timeout): laid out in this
         * process (timeout 0), Graphviz 2.42's agclose fails after a dot layout of nested
         * clusters and the graph's memory (about 6 KB a run here) is lost; see impviz_render */
        impviz_render_opts svg_opts = {.legend = true, .view = view, .timeout = 300};
        CHECK_INT(impviz_render(a, &svg_opts, IMPVIZ_FORMAT_SVG, diags, &svg), IMPVIZ_OK);
        CHECK(text->len > 0 && dot && g_bytes_get_size(dot) > 0 && svg &&
              g_bytes_get_size(svg) > 0);

        if (!first_json) { /* the same answer every time */
            first_json = g_string_new_len(json->str, (gssize)json->len);
            first_svg = svg ? g_bytes_ref(svg) : NULL;
        } else {
            CHECK(g_string_equal(first_json, json));
            CHECK(svg && first_svg && g_bytes_equal(first_svg, svg));
        }
        size_t in_run = heap_in_use();
        if (in_run > peak)
            peak = in_run;
        guint modules = a->project->modules->len, cycles = a->diagnosis->cycles->len;
        g_bytes_unref(svg);
        g_bytes_unref(dot);
        impviz_view_free(view);
        g_string_free(text, TRUE);
        g_string_free(json, TRUE);
        impviz_analysis_free(a); /* frees the diagnosis too */
        impviz_diags_free(diags);

        size_t in_use = heap_in_use();
        printf("soak: run %2d: %u modules, %u import-time cycles, %.1f s; heap in use %zu bytes "
               "(%.1f MiB before the run's frees), %ld KiB resident\n",
               run, modules, cycles, (double)(g_get_monotonic_time() - run_start) / 1e6, in_use,
               (double)in_run / (1 << 20), resident_kib());
        if (run == STEADY)
            steady = in_use;
        if (run == RUNS) {
            long long growth = (long long)in_use - (long long)steady;
            size_t bound = (32 << 10) + peak / 2000;
            printf("soak: heap growth from run %d to run %d: %lld bytes (bound %zu: 32 KiB and "
                   "1/2000 of the largest heap at the end of a run, %zu bytes); %.0f s in all\n",
                   STEADY, RUNS, growth, bound, peak,
                   (double)(g_get_monotonic_time() - start) / 1e6);
            CHECK(growth <= (long long)bound);
        }
        fflush(stdout);
    }
    if (first_json)
        g_string_free(first_json, TRUE);
    if (first_svg)
        g_bytes_unref(first_svg);
    g_free(corpus);
    return check_failures ? 1 : 0;
}
