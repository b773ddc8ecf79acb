/* SPDX-License-Identifier: MIT */
/*
 * json_write.c - writes a jansson value as text, fast.
 *
 * The same bytes as json_dumps(value, JSON_INDENT(indent) | JSON_PRESERVE_ORDER |
 * JSON_ENSURE_ASCII), written straight into a GString: jansson's dumper decodes every string one
 * code point at a time through callbacks, which made writing a report cost more than building
 * it. Reals are rare and subtle to print, so they are handed to jansson itself.
 */
#include "json_write.h"

#include <stdlib.h>
#include <string.h>

static void indent_to(GString *out, int indent, int depth)
{
    static const char spaces[] =
        "\n                                                                ";
    if (indent <= 0)
        return;
    int n = indent * depth;
    g_string_append_len(out, spaces, 1 + MIN(n, (int)sizeof spaces - 2));
    for (int i = (int)sizeof spaces - 2; i < n; i++)
        g_string_append_c(out, ' ');
}

static void hex4(GString *out, guint v)
{
    static const char digits[] = "0123456789ABCDEF";
    char s[6] = {
        '\\',          'u', digits[(v >> 12) & 15], digits[(v >> 8) & 15], digits[(v >> 4) & 15],
        digits[v & 15]};
    g_string_append_len(out, s, 6);
}

/* A JSON string; the bytes are valid UTF-8 (jansson checked them when the value was made). */
static void write_string(GString *out, const char *s, size_t len)
{
    g_string_append_c(out, '"');
    size_t run = 0; /* start of the bytes not yet written that need no escape */
    for (size_t i = 0; i < len;) {
        guchar c = (guchar)s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        g_string_append_len(out, s + run, (gssize)(i - run));
        if (c < 0x80) {
            switch (c) {
            case '"':
                g_string_append(out, "\\\"");
                break;
            case '\\':
                g_string_append(out, "\\\\");
                break;
            case '\b':
                g_string_append(out, "\\b");
                break;
            case '\f':
                g_string_append(out, "\\f");
                break;
            case '\n':
                g_string_append(out, "\\n");
                break;
            case '\r':
                g_string_append(out, "\\r");
                break;
            case '\t':
                g_string_append(out, "\\t");
                break;
            default:
                hex4(out, c);
            }
            i++;
        } else {
            gunichar cp = g_utf8_get_char_validated(s + i, (gssize)(len - i));
            if (cp == (gunichar)-1 || cp == (gunichar)-2)
                cp = 0xFFFD; /* cannot happen for a jansson string; never loop forever */
            if (cp < 0x10000) {
                hex4(out, cp);
            } else {
                cp -= 0x10000;
                hex4(out, 0xD800 | (cp >> 10));
                hex4(out, 0xDC00 | (cp & 0x3FF));
            }
            i = (size_t)(g_utf8_next_char(s + i) - s);
            if (i > len)
                i = len;
        }
        run = i;
    }
    g_string_append_len(out, s + run, (gssize)(len - run));
    g_string_append_c(out, '"');
}

static void write_value(GString *out, const json_t *v, int indent, int depth)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        void *it = json_object_iter((json_t *)v);
        if (!it) {
            g_string_append(out, "{}");
            return;
        }
        g_string_append_c(out, '{');
        for (bool first = true; it; it = json_object_iter_next((json_t *)v, it), first = false) {
            if (!first)
                g_string_append_c(out, ',');
            indent_to(out, indent, depth + 1);
            const char *key = json_object_iter_key(it);
            write_string(out, key, strlen(key));
            g_string_append(out, ": ");
            write_value(out, json_object_iter_value(it), indent, depth + 1);
        }
        indent_to(out, indent, depth);
        g_string_append_c(out, '}');
        return;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (!n) {
            g_string_append(out, "[]");
            return;
        }
        g_string_append_c(out, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                g_string_append_c(out, ',');
            indent_to(out, indent, depth + 1);
            write_value(out, json_array_get(v, i), indent, depth + 1);
        }
        indent_to(out, indent, depth);
        g_string_append_c(out, ']');
        return;
    }
    case JSON_STRING:
        write_string(out, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        g_string_append_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return;
    case JSON_TRUE:
        g_string_append(out, "true");
        return;
    case JSON_FALSE:
        g_string_append(out, "false");
        return;
    case JSON_NULL:
        g_string_append(out, "null");
        return;
    case JSON_REAL: {
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        g_string_append(out, text);
        free(text);
        return;
    }
    }
}

void impviz_json_write(GString *out, const json_t *value, int indent)
{
    write_value(out, value, indent, 0);
}
