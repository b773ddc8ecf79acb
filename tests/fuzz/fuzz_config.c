/* SPDX-License-Identifier: MIT */
/* fuzz_config.c - libFuzzer target for the [tool.impviz] reader: any bytes either fail with one
 * error or give values of the declared types. */
#include "impviz.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const impviz_config_key keys[] = {
    {"paths", IMPVIZ_CONFIG_STRINGS},
    {"layout", IMPVIZ_CONFIG_STRING},
    {"check", IMPVIZ_CONFIG_BOOL},
    {"jobs", IMPVIZ_CONFIG_INT},
    {NULL, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    impviz_diags *diags = impviz_diags_new();
    impviz_config *c = NULL;
    if (impviz_config_parse((const char *)data, size, "pyproject.toml", keys, diags, &c) ==
        IMPVIZ_OK) {
        for (guint i = 0; i < c->values->len; i++) {
            const impviz_config_value *v = g_ptr_array_index(c->values, i);
            if ((v->type == IMPVIZ_CONFIG_STRING && !v->string) ||
                (v->type == IMPVIZ_CONFIG_STRINGS && !v->strings))
                abort();
        }
    } else if (c || impviz_diags_count(diags, IMPVIZ_ERROR) != 1) {
        abort();
    }
    impviz_config_free(c);
    impviz_diags_free(diags);
    return 0;
}
