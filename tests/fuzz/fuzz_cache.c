/* SPDX-License-Identifier: MIT */
/* fuzz_cache.c - libFuzzer target for the parse cache's readers. The first byte chooses:
 *   even: the bytes are one serialized parse; impviz_file_deserialize either refuses them or
 *         gives a file that serializes to bytes which read back to the same serialization;
 *   odd:  the bytes are a cache file (its grammar and extractor fields are set to this build's,
 *         so the fuzzer gets past the header); opening it and looking a path up never crashes,
 *         and a save writes a cache that opens again without a note. */
#include "impviz.h"
#include "impviz_cache_id.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void blob(const uint8_t *data, size_t size)
{
    impviz_file *f = impviz_file_deserialize(data, size);
    if (!f)
        return;
    GBytes *once = impviz_file_serialize(f);
    gsize len;
    const void *bytes = g_bytes_get_data(once, &len);
    impviz_file *g = impviz_file_deserialize(bytes, len);
    if (!g)
        abort();
    GBytes *twice = impviz_file_serialize(g);
    if (!g_bytes_equal(once, twice))
        abort();
    g_bytes_unref(twice);
    g_bytes_unref(once);
    impviz_file_free(g);
    impviz_file_free(f);
}

static void cache_file(const uint8_t *data, size_t size)
{
    char *dir = g_dir_make_tmp("impviz-fuzz-XXXXXX", NULL);
    char *path = g_build_filename(dir, "parse.cache", NULL);
    char *copy = g_memdup2(data, size);
    if (size >= 48) { /* grammar at 16, extractor at 32: this build's */
        memset(copy + 16, 0, 32);
        memcpy(copy + 16, IMPVIZ_GRAMMAR_VERSION, MIN(strlen(IMPVIZ_GRAMMAR_VERSION), 16));
        memcpy(copy + 32, IMPVIZ_EXTRACTOR_HASH, MIN(strlen(IMPVIZ_EXTRACTOR_HASH), 16));
    }
    g_file_set_contents(path, copy, (gssize)size, NULL);
    impviz_diags *diags = impviz_diags_new();
    impviz_cache *c = impviz_cache_open(dir, 1, diags);
    impviz_stat st = {0};
    guint64 hash = 0;
    impviz_file_free(impviz_cache_get(c, 0, "/fuzz/a.py", &st, NULL));
    impviz_file_free(impviz_cache_get(c, 0, "/fuzz/a.py", &st, &hash));
    impviz_cache_free(c);
    impviz_diags_free(diags);
    g_unlink(path);
    g_rmdir(dir);
    g_free(copy);
    g_free(path);
    g_free(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        blob(data + 1, size - 1);
    else
        cache_file(data + 1, size - 1);
    return 0;
}
