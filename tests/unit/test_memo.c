/* SPDX-License-Identifier: MIT */
/* test_memo.c - the kept diagnosis (memo.c): a real sample's diagnosis survives the round trip
 * through bytes exactly, points into the analysis again, and no damaged form of the bytes is
 * taken; the key follows max_steps and the files' contents. */
#include "check.h"
#include "impviz.h"

#include <glib/gstdio.h>

static impviz_analysis *analyse(const char *cache_dir)
{
    const char *paths[] = {SAMPLES "/cross_layers", NULL};
    impviz_analysis_opts opts = {
        .discover = {.paths = paths}, .jobs = 1, .cache = IMPVIZ_CACHE_DIR, .cache_dir = cache_dir};
    impviz_diags *diags = impviz_diags_new();
    impviz_analysis *a = NULL;
    CHECK_INT(impviz_analysis_run(&opts, diags, &a), IMPVIZ_OK);
    impviz_diags_free(diags);
    return a;
}

static void check_same(const impviz_diagnosis *x, const impviz_diagnosis *y)
{
    CHECK_INT(x->steps, y->steps);
    CHECK_INT(x->omitted, y->omitted);
    CHECK_INT(x->cycles->len, y->cycles->len);
    for (guint i = 0; i < MIN(x->cycles->len, y->cycles->len); i++) {
        const impviz_cycle_diagnosis *c = g_ptr_array_index(x->cycles, i);
        const impviz_cycle_diagnosis *d = g_ptr_array_index(y->cycles, i);
        CHECK_INT(c->entries->len, d->entries->len);
        CHECK_INT(c->suggestions->len, d->suggestions->len);
        CHECK_INT(c->cycle->len, d->cycle->len);
        for (guint k = 0; k < MIN(c->cycle->len, d->cycle->len); k++) /* the same records */
            CHECK_STR(g_array_index(c->cycle, impviz_step, k).import->statement,
                      g_array_index(d->cycle, impviz_step, k).import->statement);
        for (guint k = 0; k < MIN(c->entries->len, d->entries->len); k++) {
            const impviz_prediction *p = g_ptr_array_index(c->entries, k);
            const impviz_prediction *q = g_ptr_array_index(d->entries, k);
            CHECK_STR(p->module, q->module);
            CHECK_INT(p->type, q->type);
            CHECK(g_strcmp0(p->message, q->message) == 0);
            CHECK_INT(p->chain->len, q->chain->len);
            for (guint f = 0; f < MIN(p->chain->len, q->chain->len); f++)
                CHECK(g_strcmp0(g_array_index(p->chain, impviz_frame, f).statement,
                                g_array_index(q->chain, impviz_frame, f).statement) == 0);
        }
        for (guint k = 0; k < MIN(c->suggestions->len, d->suggestions->len); k++) {
            const impviz_suggestion *s = g_ptr_array_index(c->suggestions, k);
            const impviz_suggestion *t = g_ptr_array_index(d->suggestions, k);
            CHECK_STR(s->statement, t->statement);
            CHECK_INT(s->action, t->action);
            CHECK_INT(s->functions->len, t->functions->len);
            CHECK_INT(s->names->len, t->names->len);
        }
    }
}

int main(void)
{
    char *dir = g_dir_make_tmp("impviz-memo-XXXXXX", NULL);
    impviz_analysis *a = analyse(dir);
    impviz_diagnosis *d = impviz_diagnose(a, 0);
    CHECK(d->cycles->len > 0); /* the sample has a cycle to diagnose */
    bool has_chain = false;
    for (guint i = 0; i < d->cycles->len; i++) {
        const impviz_cycle_diagnosis *c = g_ptr_array_index(d->cycles, i);
        for (guint k = 0; k < c->entries->len; k++)
            has_chain |= ((const impviz_prediction *)g_ptr_array_index(c->entries, k))->chain->len;
    }
    CHECK(has_chain); /* a predicted error with a traceback */

    /* the round trip: the same diagnosis, and the same bytes again */
    GBytes *bytes = impviz_diagnosis_serialize(a, d);
    CHECK(bytes != NULL);
    gsize len;
    const guchar *data = g_bytes_get_data(bytes, &len);
    impviz_diagnosis *back = impviz_diagnosis_deserialize(a, data, len);
    CHECK(back != NULL);
    if (back) {
        check_same(d, back);
        /* borrowed pointers into the analysis again: they serialize to the same bytes */
        GBytes *again = impviz_diagnosis_serialize(a, back);
        CHECK(again && g_bytes_equal(bytes, again));
        g_bytes_unref(again);
    }
    impviz_diagnosis_free(back);

    /* no prefix of the bytes is a diagnosis; a damaged word never crashes */
    for (gsize cut = 0; cut < len; cut++) {
        impviz_diagnosis *part = impviz_diagnosis_deserialize(a, data, cut);
        CHECK(part == NULL);
        impviz_diagnosis_free(part);
    }
    guchar *copy = g_memdup2(data, len);
    for (gsize i = 0; i + 4 <= len; i += 4) {
        guint32 saved;
        memcpy(&saved, copy + i, 4);
        for (guint32 v = 0; v < 3; v++) {
            guint32 bad = v == 0 ? 0xFFFFFFFEu : v == 1 ? saved + 1000 : 0x7FFFFFFFu;
            memcpy(copy + i, &bad, 4);
            impviz_diagnosis_free(impviz_diagnosis_deserialize(a, copy, len));
        }
        memcpy(copy + i, &saved, 4);
    }
    g_free(copy);

    /* the key: the same for the same analysis, another for another budget */
    GBytes *k1 = impviz_memo_key(a, 0), *k2 = impviz_memo_key(a, 0), *k3 = impviz_memo_key(a, 5);
    CHECK(k1 && k2 && k3 && g_bytes_equal(k1, k2) && !g_bytes_equal(k1, k3));
    /* a second run, every file from the parse cache, knows the same content hashes */
    impviz_analysis *warm = analyse(dir);
    CHECK_INT(warm->n_from_cache, warm->project->modules->len);
    GBytes *k4 = impviz_memo_key(warm, 0);
    CHECK(k4 && g_bytes_equal(k1, k4));
    /* through the file: the first call computes and writes, the second reads it back */
    impviz_diags *diags = impviz_diags_new();
    impviz_diagnosis *m1 = impviz_memo_diagnose(warm, 0, diags);
    CHECK_INT(impviz_diags_count(diags, IMPVIZ_NOTE), 0);
    impviz_diagnosis *m2 = impviz_memo_diagnose(warm, 0, diags);
    CHECK_INT(impviz_diags_count(diags, IMPVIZ_NOTE), 1); /* "diagnosis from the cache" */
    check_same(d, m1);
    check_same(m1, m2);
    impviz_diags_free(diags);
    impviz_diagnosis_free(m1);
    impviz_diagnosis_free(m2);
    g_bytes_unref(k1);
    g_bytes_unref(k2);
    g_bytes_unref(k3);
    g_bytes_unref(k4);
    impviz_analysis_free(warm);

    g_bytes_unref(bytes);
    impviz_diagnosis_free(d);
    impviz_analysis_free(a);
    char *argv[] = {"rm", "-rf", dir, NULL};
    g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    g_free(dir);
    return check_done("test_memo");
}
