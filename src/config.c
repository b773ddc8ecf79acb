/* SPDX-License-Identifier: MIT */
/*
 * config.c - the [tool.impviz] table of pyproject.toml, read with tree-sitter-toml.
 *
 * The only file besides parse.c that includes tree-sitter; no TSNode escapes it. The whole file
 * is parsed with the pinned TOML grammar; a syntax error anywhere is an error with its line.
 * Only [tool.impviz] is interpreted (as a table header, as dotted keys, or as inline tables):
 * every key must be in the caller's table of keys with the value type it declares, else the
 * error names the file, the line and the key. Values are copied out: nothing borrows the bytes.
 */
#include "impviz.h"

#include <stdarg.h>
#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_toml(void);

typedef struct {
    const char *path;
    const char *bytes;
    size_t len;
    const impviz_config_key *keys;
    impviz_diags *diags;
    impviz_config *config;
    GHashTable *lines;   /* key name -> line of first definition */
    GHashTable *defined; /* every key and table of the document, as a path joined by '\x1f' ->
                            line: TOML defines nothing twice */
    bool failed;
} reader;

/* Records the first error, at the line where node `at` starts. */
static void fail(reader *r, TSNode at, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void fail(reader *r, TSNode at, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    impviz_diags_add(r->diags, IMPVIZ_ERROR, r->path, (int)ts_node_start_point(at).row + 1, "%s",
                     msg);
    g_free(msg);
}

static bool is(TSNode n, const char *type)
{
    return strcmp(ts_node_type(n), type) == 0;
}

/* The n-th named child that is not a comment, or a null node. */
static TSNode child(TSNode n, guint index)
{
    guint count = ts_node_named_child_count(n);
    for (guint i = 0; i < count; i++) {
        TSNode c = ts_node_named_child(n, i);
        if (is(c, "comment"))
            continue;
        if (index-- == 0)
            return c;
    }
    return (TSNode){0};
}

static guint children(TSNode n)
{
    guint count = ts_node_named_child_count(n), k = 0;
    for (guint i = 0; i < count; i++)
        k += !is(ts_node_named_child(n, i), "comment");
    return k;
}

/* ---- strings --------------------------------------------------------------------------------- */

static bool append_hex(GString *out, const char *s, guint digits)
{
    gunichar c = 0;
    for (guint i = 0; i < digits; i++) {
        if (!g_ascii_isxdigit(s[i]))
            return false;
        c = c * 16 + (gunichar)g_ascii_xdigit_value(s[i]);
    }
    if (!g_unichar_validate(c))
        return false;
    g_string_append_unichar(out, c);
    return true;
}

/* The value of a TOML string or quoted key (delimiters included in text), or NULL when an escape
 * is invalid. Handles basic, literal and both multi-line forms. Caller frees. */
static char *decode_string(const char *text, size_t len)
{
    char quote = text[0];
    size_t delim = len >= 6 && text[1] == quote && text[2] == quote ? 3 : 1;
    if (len < 2 * delim)
        return NULL;
    const char *s = text + delim, *end = text + len - delim;
    if (delim == 3) { /* a newline right after the opening delimiter is trimmed */
        if (s < end && *s == '\n')
            s++;
        else if (end - s >= 2 && s[0] == '\r' && s[1] == '\n')
            s += 2;
    }
    GString *out = g_string_sized_new((gsize)(end - s));
    while (s < end) {
        if (quote == '\'' || *s != '\\') {
            g_string_append_c(out, *s++);
            continue;
        }
        s++; /* backslash */
        if (s >= end)
            goto bad;
        char e = *s++;
        switch (e) {
        case 'b':
            g_string_append_c(out, '\b');
            break;
        case 't':
            g_string_append_c(out, '\t');
            break;
        case 'n':
            g_string_append_c(out, '\n');
            break;
        case 'f':
            g_string_append_c(out, '\f');
            break;
        case 'r':
            g_string_append_c(out, '\r');
            break;
        case 'e':
            g_string_append_c(out, '\x1b');
            break;
        case '"':
        case '\\':
            g_string_append_c(out, e);
            break;
        case 'u':
        case 'U': {
            guint digits = e == 'u' ? 4 : 8;
            if ((size_t)(end - s) < digits || !append_hex(out, s, digits))
                goto bad;
            s += digits;
            break;
        }
        default:
            /* multi-line: a backslash ending a line eats the whitespace up to the next text */
            if (delim == 3 && (e == ' ' || e == '\t' || e == '\r' || e == '\n')) {
                s--;
                while (s < end && (*s == ' ' || *s == '\t'))
                    s++;
                if (s >= end || (*s != '\n' && *s != '\r'))
                    goto bad;
                while (s < end && g_ascii_isspace(*s))
                    s++;
                break;
            }
            goto bad;
        }
    }
    return g_string_free(out, FALSE);
bad:
    g_string_free(out, TRUE);
    return NULL;
}

static char *node_text(reader *r, TSNode n)
{
    guint start = ts_node_start_byte(n), end = ts_node_end_byte(n);
    return g_strndup(r->bytes + start, end - start);
}

/* A key segment: bare or quoted. NULL (after an error) when a quoted key has a bad escape. */
static char *key_segment(reader *r, TSNode n)
{
    char *text = node_text(r, n);
    if (!is(n, "quoted_key"))
        return text;
    char *value = decode_string(text, strlen(text));
    if (!value)
        fail(r, n, "invalid TOML: bad escape sequence in key %s", text);
    g_free(text);
    return value;
}

/* Appends the segments of a key (bare_key, quoted_key or nested dotted_key) to path. */
static bool key_path(reader *r, TSNode n, GPtrArray *path)
{
    if (is(n, "dotted_key")) {
        guint count = ts_node_named_child_count(n);
        for (guint i = 0; i < count; i++)
            if (!key_path(r, ts_node_named_child(n, i), path))
                return false;
        return true;
    }
    char *seg = key_segment(r, n);
    if (!seg)
        return false;
    g_ptr_array_add(path, seg);
    return true;
}

/* ---- values -------------------------------------------------------------------------------- */

static const char *type_name(TSNode v)
{
    const char *t = ts_node_type(v);
    if (strcmp(t, "string") == 0)
        return "a string";
    if (strcmp(t, "integer") == 0)
        return "an integer";
    if (strcmp(t, "float") == 0)
        return "a float";
    if (strcmp(t, "boolean") == 0)
        return "a boolean";
    if (strcmp(t, "array") == 0)
        return "an array";
    if (strcmp(t, "inline_table") == 0)
        return "a table";
    return "a date or time";
}

static const char *const expected_names[] = {
    [IMPVIZ_CONFIG_STRING] = "a string",
    [IMPVIZ_CONFIG_BOOL] = "a boolean",
    [IMPVIZ_CONFIG_INT] = "an integer",
    [IMPVIZ_CONFIG_STRINGS] = "an array of strings",
    [IMPVIZ_CONFIG_BOOL_OR_STRING] = "a boolean or a string",
};

static bool string_value(reader *r, TSNode v, char **out)
{
    char *text = node_text(r, v);
    *out = decode_string(text, strlen(text));
    if (!*out)
        fail(r, v, "invalid TOML: bad escape sequence in %s", text);
    g_free(text);
    return *out != NULL;
}

static bool int_value(reader *r, const char *name, TSNode v, gint64 *out)
{
    char *text = node_text(r, v);
    GString *digits = g_string_new(NULL);
    for (const char *s = text; *s; s++)
        if (*s != '_')
            g_string_append_c(digits, *s);
    const char *d = digits->str;
    guint base = 10;
    if (d[0] == '0' && (d[1] == 'x' || d[1] == 'o' || d[1] == 'b')) {
        base = d[1] == 'x' ? 16 : d[1] == 'o' ? 8 : 2;
        d += 2;
    }
    GError *err = NULL;
    gint64 value = 0;
    bool ok = g_ascii_string_to_signed(d, base, G_MININT64, G_MAXINT64, &value, &err);
    if (!ok) {
        fail(r, v, "'%s': integer %s is out of range", name, text);
        g_error_free(err);
    }
    *out = value;
    g_string_free(digits, TRUE);
    g_free(text);
    return ok;
}

static const impviz_config_key *find_key(const impviz_config_key *keys, const char *name)
{
    for (; keys->name; keys++)
        if (strcmp(keys->name, name) == 0)
            return keys;
    return NULL;
}

/* Reads `key = value` for a key of [tool.impviz]. */
static void read_value(reader *r, const char *name, TSNode key_node, TSNode v)
{
    const impviz_config_key *key = find_key(r->keys, name);
    if (!key) {
        char *dashed = g_strdelimit(g_strdup(name), "_", '-');
        if (strcmp(dashed, name) != 0 && find_key(r->keys, dashed))
            fail(r, key_node, "unknown key '%s' in [tool.impviz] (did you mean '%s'?)", name,
                 dashed);
        else
            fail(r, key_node, "unknown key '%s' in [tool.impviz]", name);
        g_free(dashed);
        return;
    }
    gpointer first = g_hash_table_lookup(r->lines, name);
    if (first) {
        fail(r, key_node, "key '%s' is defined twice in [tool.impviz] (first on line %u)", name,
             GPOINTER_TO_UINT(first));
        return;
    }
    guint line = ts_node_start_point(key_node).row + 1;
    g_hash_table_insert(r->lines, (gpointer)key->name, GUINT_TO_POINTER(line));

    impviz_config_value *val = g_new0(impviz_config_value, 1);
    val->key = key->name;
    val->type = key->type;
    val->line = (int)line;
    bool ok = false;
    switch (key->type) {
    case IMPVIZ_CONFIG_STRING:
        ok = is(v, "string") && string_value(r, v, &val->string);
        break;
    case IMPVIZ_CONFIG_BOOL_OR_STRING:
        val->type = is(v, "string") ? IMPVIZ_CONFIG_STRING : IMPVIZ_CONFIG_BOOL;
        if (is(v, "string")) {
            ok = string_value(r, v, &val->string);
            break;
        }
        /* fall through */
    case IMPVIZ_CONFIG_BOOL:
        if ((ok = is(v, "boolean"))) {
            char *text = node_text(r, v);
            val->boolean = strcmp(text, "true") == 0;
            g_free(text);
        }
        break;
    case IMPVIZ_CONFIG_INT:
        ok = is(v, "integer") && int_value(r, name, v, &val->integer);
        break;
    case IMPVIZ_CONFIG_STRINGS: {
        if (!is(v, "array"))
            break;
        guint n = children(v);
        GPtrArray *items = g_ptr_array_new();
        ok = true;
        for (guint i = 0; i < n && ok; i++) {
            TSNode item = child(v, i);
            char *s = NULL;
            if (!is(item, "string")) {
                fail(r, item, "'%s' must be an array of strings, but item %u is %s", name, i + 1,
                     type_name(item));
                ok = false;
            } else {
                ok = string_value(r, item, &s);
            }
            if (ok)
                g_ptr_array_add(items, s);
        }
        g_ptr_array_add(items, NULL);
        val->strings = (char **)g_ptr_array_free(items, FALSE);
        break;
    }
    }
    if (!ok)
        fail(r, v, "'%s' must be %s, not %s", name, expected_names[key->type], type_name(v));
    g_ptr_array_add(r->config->values, val);
}

/* ---- the document ---------------------------------------------------------------------------- */

/* True when the key path's first n segments are want[0..n). */
static bool starts_with(const GPtrArray *path, const char *const *want, guint n)
{
    if (path->len < n)
        return false;
    for (guint i = 0; i < n; i++)
        if (strcmp(g_ptr_array_index(path, i), want[i]) != 0)
            return false;
    return true;
}

static const char *const TOOL_IMPVIZ[] = {"tool", "impviz"};

/* Records path (a key or a table) as defined at node; false, after an error, when it already is.
 * Keys inside [tool.impviz] are checked by read_value, with a message naming the key. */
static bool define(reader *r, const GPtrArray *path, TSNode at, bool table)
{
    GString *joined = g_string_new(NULL);
    for (guint i = 0; i < path->len; i++)
        g_string_append_printf(joined, "%s%s", i ? "\x1f" : "", (char *)g_ptr_array_index(path, i));
    gpointer first = g_hash_table_lookup(r->defined, joined->str);
    if (first) {
        char *dotted = g_strdelimit(g_strdup(joined->str), "\x1f", '.');
        fail(r, at, "invalid TOML: %s '%s' is defined twice (first on line %u)",
             table ? "table" : "key", dotted, GPOINTER_TO_UINT(first));
        g_free(dotted);
        g_string_free(joined, TRUE);
        return false;
    }
    g_hash_table_insert(r->defined, g_string_free(joined, FALSE),
                        GUINT_TO_POINTER(ts_node_start_point(at).row + 1));
    return true;
}

/* A pair under the table whose path is prefix: interprets it when it lands in [tool.impviz]. */
static void read_pair(reader *r, GPtrArray *prefix, TSNode pair)
{
    TSNode key = child(pair, 0), value = child(pair, 1);
    if (ts_node_is_null(key) || ts_node_is_null(value))
        return;
    GPtrArray *path = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < prefix->len; i++)
        g_ptr_array_add(path, g_strdup(g_ptr_array_index(prefix, i)));
    if (!key_path(r, key, path))
        goto cleanup;
    if (!starts_with(path, TOOL_IMPVIZ, 2) && !define(r, path, key, false))
        goto cleanup;
    if (starts_with(path, TOOL_IMPVIZ, 2)) {
        r->config->found = true;
        if (path->len == 2) {
            if (is(value, "inline_table")) {
                guint n = children(value);
                for (guint i = 0; i < n && !r->failed; i++)
                    read_pair(r, path, child(value, i));
            } else {
                fail(r, key, "'tool.impviz' must be a table, not %s", type_name(value));
            }
        } else if (path->len == 3) {
            read_value(r, g_ptr_array_index(path, 2), key, value);
        } else {
            fail(r, key, "unknown key '%s.%s' in [tool.impviz]", (char *)g_ptr_array_index(path, 2),
                 (char *)g_ptr_array_index(path, 3));
        }
    } else if (path->len == 1 && starts_with(path, TOOL_IMPVIZ, 1) && is(value, "inline_table")) {
        guint n = children(value);
        for (guint i = 0; i < n && !r->failed; i++)
            read_pair(r, path, child(value, i));
    }
cleanup:
    g_ptr_array_unref(path);
}

/* The first ERROR or MISSING node in document order, found without recursion. */
static TSNode first_error(TSNode root)
{
    TSNode n = root;
    for (;;) {
        guint count = ts_node_child_count(n);
        TSNode next = {0};
        for (guint i = 0; i < count; i++) {
            TSNode c = ts_node_child(n, i);
            if (strcmp(ts_node_type(c), "ERROR") == 0 || ts_node_is_missing(c))
                return c;
            if (ts_node_has_error(c)) {
                next = c;
                break;
            }
        }
        if (ts_node_is_null(next))
            return n;
        n = next;
    }
}

static void syntax_error(reader *r, TSNode root)
{
    TSNode e = first_error(root);
    if (ts_node_is_missing(e)) {
        fail(r, e, "invalid TOML: missing '%s'", ts_node_type(e));
        return;
    }
    /* quote the start of the offending text: printable ASCII only, one line, 24 bytes at most */
    GString *near = g_string_new(NULL);
    for (guint i = ts_node_start_byte(e); i < ts_node_end_byte(e) && near->len < 24; i++) {
        char ch = r->bytes[i];
        if (ch == '\n' || ch == '\r')
            break;
        g_string_append_c(near, ch >= ' ' && ch < 0x7f ? ch : '?');
    }
    if (near->len)
        fail(r, e, "invalid TOML: syntax error near '%s'", near->str);
    else
        fail(r, e, "invalid TOML: syntax error");
    g_string_free(near, TRUE);
}

static void read_document(reader *r, TSNode root)
{
    GPtrArray *empty = g_ptr_array_new();
    bool seen_table = false;
    guint count = ts_node_named_child_count(root);
    for (guint i = 0; i < count && !r->failed; i++) {
        TSNode n = ts_node_named_child(root, i);
        if (is(n, "pair")) {
            read_pair(r, empty, n);
            continue;
        }
        if (!is(n, "table") && !is(n, "table_array_element"))
            continue;
        GPtrArray *path = g_ptr_array_new_with_free_func(g_free);
        TSNode key = child(n, 0);
        if (ts_node_is_null(key) || !key_path(r, key, path)) {
            /* no key: nothing to read */
        } else if (!starts_with(path, TOOL_IMPVIZ, 2)) {
            /* [tool] may set impviz.KEY; other tables are not ours, but must be valid TOML */
            if (is(n, "table"))
                define(r, path, key, true);
            guint pairs = is(n, "table") ? children(n) : 0;
            for (guint k = 1; k < pairs && !r->failed; k++)
                read_pair(r, path, child(n, k));
        } else {
            r->config->found = true;
            if (is(n, "table_array_element")) {
                fail(r, key, "[[tool.impviz]] must be a table: [tool.impviz]");
            } else if (path->len > 2) {
                fail(r, key, "unknown key '%s' in [tool.impviz]",
                     (char *)g_ptr_array_index(path, 2));
            } else if (seen_table) {
                fail(r, key, "table [tool.impviz] is defined twice");
            } else {
                seen_table = true;
                guint pairs = children(n);
                for (guint k = 1; k < pairs && !r->failed; k++)
                    read_pair(r, path, child(n, k));
            }
        }
        g_ptr_array_unref(path);
    }
    g_ptr_array_unref(empty);
}

static void value_free(gpointer p)
{
    impviz_config_value *v = p;
    g_free(v->string);
    g_strfreev(v->strings);
    g_free(v);
}

void impviz_config_free(impviz_config *config)
{
    if (!config)
        return;
    g_ptr_array_unref(config->values);
    g_free(config->path);
    g_free(config->dir);
    g_free(config);
}

impviz_status impviz_config_parse(const char *data, size_t len, const char *path,
                                  const impviz_config_key *keys, impviz_diags *diags,
                                  impviz_config **out)
{
    impviz_config *config = g_new0(impviz_config, 1);
    config->path = g_strdup(path);
    config->dir = g_path_get_dirname(path);
    config->values = g_ptr_array_new_with_free_func(value_free);
    reader r = {.path = path,
                .bytes = data,
                .len = len,
                .keys = keys,
                .diags = diags,
                .config = config,
                .lines = g_hash_table_new(g_str_hash, g_str_equal),
                .defined = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    TSParser *parser = NULL;
    TSTree *tree = NULL;
    const char *bad = NULL;
    *out = NULL;
    if (len > G_MAXUINT32 || memchr(data, '\0', len) || !g_utf8_validate(data, (gssize)len, &bad)) {
        /* TOML is UTF-8 text; tree-sitter offsets are 32-bit */
        guint line = 1;
        const char *stop = bad ? bad : memchr(data, '\0', len);
        for (const char *s = data; stop && s < stop; s++)
            line += *s == '\n';
        impviz_diags_add(diags, IMPVIZ_ERROR, path, (int)line, "invalid TOML: not UTF-8 text");
        r.failed = true;
        goto cleanup;
    }
    parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_toml());
    tree = ts_parser_parse_string(parser, NULL, data, (uint32_t)len);
    TSNode root = ts_tree_root_node(tree);
    if (ts_node_has_error(root))
        syntax_error(&r, root);
    else
        read_document(&r, root);
cleanup:
    if (tree)
        ts_tree_delete(tree);
    if (parser)
        ts_parser_delete(parser);
    g_hash_table_unref(r.lines);
    g_hash_table_unref(r.defined);
    if (r.failed) {
        impviz_config_free(config);
        return IMPVIZ_EINPUT;
    }
    *out = config;
    return IMPVIZ_OK;
}

impviz_status impviz_config_load(const char *path, const impviz_config_key *keys,
                                 impviz_diags *diags, impviz_config **out)
{
    char *data = NULL, *why = NULL;
    gsize len = 0;
    *out = NULL;
    if (impviz_small_file_read(path, IMPVIZ_SMALL_FILE_MAX, &data, &len, &why) != IMPVIZ_OK) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0, "cannot read '%s': %s", path, why);
        g_free(why);
        return IMPVIZ_EINPUT;
    }
    impviz_status status = impviz_config_parse(data, len, path, keys, diags, out);
    g_free(data);
    return status;
}

/* path as the user would write it: relative to the working directory when below it. */
static char *display_path(const char *abs)
{
    char *cwd = g_get_current_dir();
    char *shown;
    size_t n = strlen(cwd);
    if (strcmp(cwd, "/") != 0 && strncmp(abs, cwd, n) == 0 && abs[n] == '/')
        shown = g_strdup(abs + n + 1);
    else
        shown = g_strdup(abs);
    g_free(cwd);
    return shown;
}

impviz_status impviz_config_discover(const char *start, const impviz_config_key *keys,
                                     impviz_diags *diags, impviz_config **out)
{
    char *dir =
        g_file_test(start, G_FILE_TEST_IS_DIR) ? g_strdup(start) : g_path_get_dirname(start);
    char *cur = g_canonicalize_filename(dir, NULL);
    impviz_status status = IMPVIZ_OK;
    *out = NULL;
    g_free(dir);
    for (;;) {
        char *candidate = g_build_filename(cur, "pyproject.toml", NULL);
        if (g_file_test(candidate, G_FILE_TEST_IS_REGULAR)) {
            char *shown = display_path(candidate);
            impviz_config *config = NULL;
            status = impviz_config_load(shown, keys, diags, &config);
            g_free(shown);
            if (config && config->found)
                *out = config;
            else
                impviz_config_free(config);
        }
        g_free(candidate);
        char *parent = g_path_get_dirname(cur);
        bool top = strcmp(parent, cur) == 0;
        g_free(cur);
        cur = parent;
        if (top || *out || status != IMPVIZ_OK)
            break;
    }
    g_free(cur);
    return status;
}

char *impviz_config_resolve(const impviz_config *config, const char *path)
{
    if (g_path_is_absolute(path) || strcmp(config->dir, ".") == 0)
        return g_strdup(path);
    return g_build_filename(config->dir, path, NULL);
}

const impviz_config_value *impviz_config_get(const impviz_config *config, const char *key)
{
    for (guint i = 0; config && i < config->values->len; i++) {
        const impviz_config_value *v = g_ptr_array_index(config->values, i);
        if (strcmp(v->key, key) == 0)
            return v;
    }
    return NULL;
}
