/* SPDX-License-Identifier: MIT */
/* cli.h - the impviz command line, over the library in impviz.h. */
#ifndef IMPVIZ_CLI_H
#define IMPVIZ_CLI_H

/* Runs the impviz command; returns its exit status (0, 1 with --check, 2 usage, 3 render). */
int impviz_cli_main(int argc, char **argv);

#endif
