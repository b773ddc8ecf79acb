/* SPDX-License-Identifier: MIT */
/* replay.c - runs a fuzz target over files given on the command line, so that CTest replays the
 * committed corpus in every build (libFuzzer builds link the target without this file). */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char *data = NULL;
        gsize len = 0;
        if (!g_file_get_contents(argv[i], &data, &len, NULL)) {
            fprintf(stderr, "replay: cannot read '%s'\n", argv[i]);
            return 1;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        g_free(data);
    }
    printf("replay: %d inputs\n", argc - 1);
    return 0;
}
