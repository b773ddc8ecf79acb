/* SPDX-License-Identifier: MIT */
/*
 * json_write.h - writing jansson values fast (internal to the library's report writers).
 */
#ifndef IMPVIZ_JSON_WRITE_H
#define IMPVIZ_JSON_WRITE_H

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>

/* Appends value to out: the same bytes as json_dumps(value, JSON_INDENT(indent) |
 * JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) (without its NUL), much faster. value is borrowed. */
void impviz_json_write(GString *out, const json_t *value, int indent);

#endif
