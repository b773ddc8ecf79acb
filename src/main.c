/* SPDX-License-Identifier: MIT */
/* main.c - entry point of the impviz command; everything happens in cli.c. */
#include "cli.h"

#include <locale.h>

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    return impviz_cli_main(argc, argv);
}
