/* SPDX-License-Identifier: MIT */
/*
 * json_stream.h - a JSON document appended to a GString piece by piece, in exactly the bytes
 * json_dumps(JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) gives for the same tree.
 *
 * The report writes its long arrays as it walks the analysis instead of building them as one
 * jansson tree first. jansson encodes every number and every string that needs it (all escaping
 * is its own); a string of printable ASCII without '"' or '\\' is written between quotes as it
 * is, the bytes jansson would write. The stream adds the layout: brackets, commas, ": " and the
 * indentation. Encodings that repeat (keys, escaped kept strings, numbers) are made once. Private
 * to the library.
 */
#ifndef IMPVIZ_JSON_STREAM_H
#define IMPVIZ_JSON_STREAM_H

#include <glib.h>
#include <stdbool.h>

typedef struct impviz_json_stream impviz_json_stream;

/* A stream appending to out (borrowed: it must outlive the stream). Free with
 * impviz_json_stream_free, after the outermost container is closed: only then is out up to date
 * (the stream writes into its allocation and sets its length at the end). */
impviz_json_stream *impviz_json_stream_new(GString *out);

/* Takes the bytes in out (writes them somewhere) and empties it (g_string_truncate(out, 0)). */
typedef void (*impviz_json_drain)(GString *out, gpointer data);
/* A stream that never grows out past its allocation: when the next piece does not fit, it calls
 * drain(out, data) first (and grows out only for a piece larger than all of it). What is left
 * in out at the end is the caller's to take. */
impviz_json_stream *impviz_json_stream_new_drained(GString *out, impviz_json_drain drain,
                                                   gpointer data);
void impviz_json_stream_free(impviz_json_stream *s);

/* Each call below adds one value: a member of the innermost open object, named key, or an
 * element of the innermost open array (key NULL), or the document itself (key NULL, nothing
 * open). Keys must stay alive and unchanged until the stream is freed (string literals do):
 * their encodings are kept. Strings that are not UTF-8 get U+FFFD for their bad bytes. */

/* Opens an object or an array: the values that follow go into it, up to the matching _end. */
void impviz_json_stream_object(impviz_json_stream *s, const char *key);
void impviz_json_stream_array(impviz_json_stream *s, const char *key);
void impviz_json_stream_end(impviz_json_stream *s);

/* A string, encoded now (str is not kept). */
void impviz_json_stream_string(impviz_json_stream *s, const char *key, const char *str);
/* A string that stays alive and unchanged until the stream is freed: it may be written from its
 * own bytes later, or its encoding kept, keyed by the pointer, and reused every time the same
 * pointer comes again. */
void impviz_json_stream_kept(impviz_json_stream *s, const char *key, const char *str);
void impviz_json_stream_int(impviz_json_stream *s, const char *key, gint64 value);
void impviz_json_stream_bool(impviz_json_stream *s, const char *key, bool value);
void impviz_json_stream_null(impviz_json_stream *s, const char *key);

#endif
