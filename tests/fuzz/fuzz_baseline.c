/* SPDX-License-Identifier: MIT */
/* fuzz_baseline.c - libFuzzer target for the baseline reader: any bytes either fail with one
 * error or give a baseline whose canonical dump reads back to the same dump. */
#include "impviz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    impviz_diags *diags = impviz_diags_new();
    impviz_baseline *b = NULL;
    if (impviz_baseline_parse((const char *)data, size, "fuzz.json", diags, &b) == IMPVIZ_OK) {
        GString *dump = impviz_baseline_dump(b);
        impviz_baseline *again = NULL;
        if (impviz_baseline_parse(dump->str, dump->len, "dump.json", diags, &again) != IMPVIZ_OK)
            abort();
        GString *dump2 = impviz_baseline_dump(again);
        if (strcmp(dump->str, dump2->str) != 0)
            abort();
        g_string_free(dump2, TRUE);
        g_string_free(dump, TRUE);
        impviz_baseline_free(again);
    } else if (b || impviz_diags_count(diags, IMPVIZ_ERROR) != 1) {
        abort();
    }
    impviz_baseline_free(b);
    impviz_diags_free(diags);
    return 0;
}
