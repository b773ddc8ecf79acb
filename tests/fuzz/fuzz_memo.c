/* SPDX-License-Identifier: MIT */
/* fuzz_memo.c - libFuzzer target for the kept diagnosis' reader (memo.c): the bytes are a
 * serialized diagnosis of a fixed analysis (samples/cross_layers); impviz_diagnosis_deserialize
 * either refuses them or gives a diagnosis pointing into that analysis, which serializes to bytes
 * that read back to the same serialization. */
#include "impviz.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The analysis every input is read against, made once (a fuzzer runs millions of inputs). */
static const impviz_analysis *fixed_analysis(void)
{
    static impviz_analysis *a;
    if (!a) {
        const char *paths[] = {SAMPLES "/cross_layers", NULL};
        impviz_analysis_opts opts = {.discover = {.paths = paths}, .jobs = 1};
        impviz_diags *diags = impviz_diags_new();
        if (impviz_analysis_run(&opts, diags, &a) != IMPVIZ_OK)
            abort();
        impviz_diags_free(diags);
    }
    return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const impviz_analysis *a = fixed_analysis();
    impviz_diagnosis *d = impviz_diagnosis_deserialize(a, data, size);
    if (!d)
        return 0;
    GBytes *once = impviz_diagnosis_serialize(a, d);
    if (!once)
        abort(); /* what was read points into the analysis */
    gsize len;
    const void *bytes = g_bytes_get_data(once, &len);
    impviz_diagnosis *e = impviz_diagnosis_deserialize(a, bytes, len);
    if (!e)
        abort();
    GBytes *twice = impviz_diagnosis_serialize(a, e);
    if (!twice || !g_bytes_equal(once, twice))
        abort();
    g_bytes_unref(twice);
    g_bytes_unref(once);
    impviz_diagnosis_free(e);
    impviz_diagnosis_free(d);
    return 0;
}
