/* SPDX-License-Identifier: MIT */
/*
 * parse.c - Python source bytes -> import records and module-level events.
 *
 * The only file that includes tree-sitter; no TSNode escapes it. The walk visits statements
 * only and enters an expression subtree only where it can matter: module-level code (for the
 * import simulation's bindings and uses) and statements whose bytes mention a dynamic import.
 * That keeps extraction a few percent on top of tree-sitter's own parse.
 */
#include "impviz.h"

#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

/* Nesting deeper than this (10 000 nested blocks, say) is not walked further; a warning says so. */
#define MAX_DEPTH 1000

struct impviz_parser {
    TSParser *ts;
    GString *why; /* the last rejection's reason, handed out until the next parse */
};

typedef struct {
    const char *src;
    size_t len;
    impviz_file *file;
    GHashTable *lazy_modules;        /* names in __lazy_modules__ -> NULL, or NULL */
    GHashTable *importlib_names;     /* names bound to the importlib module */
    GHashTable *import_module_names; /* names bound to importlib.import_module */
    GHashTable *lazy_loader_names;   /* names bound to the lazy_loader module */
    bool too_deep;
    bool future_annotations; /* `from __future__ import annotations`: annotations never run */
} walk;

/* Where a statement stands: decides the kind of an import and whether it is conditional. */
typedef struct {
    bool in_function; /* inside a def or lambda body */
    bool typing;      /* under if TYPE_CHECKING */
    bool conditional; /* under an if, or a try that catches ImportError */
    bool uncertain;   /* the simulation cannot tell whether this runs */
    bool never;       /* known not to run on import (if __name__ == "__main__") */
    bool in_class;    /* inside a class body: runs at import time, binds no module-level name */
    bool in_try;      /* inside any clause of a try statement */
    guint depth;
} scope;

impviz_parser *impviz_parser_new(void)
{
    impviz_parser *p = g_new0(impviz_parser, 1);
    p->ts = ts_parser_new();
    p->why = g_string_new(NULL);
    if (!ts_parser_set_language(p->ts, tree_sitter_python()))
        g_error("tree-sitter-python ABI %u is not supported by this libtree-sitter",
                ts_language_version(tree_sitter_python()));
    return p;
}

void impviz_parser_free(impviz_parser *p)
{
    if (!p)
        return;
    ts_parser_delete(p->ts);
    g_string_free(p->why, TRUE);
    g_free(p);
}

void impviz_file_free(impviz_file *f)
{
    if (!f)
        return;
    g_array_unref(f->imports);
    g_array_unref(f->events);
    g_string_chunk_free(f->strings);
    g_free(f);
}

static const char *node_type(TSNode n)
{
    return ts_node_type(n);
}

static bool is_type(TSNode n, const char *type)
{
    return strcmp(ts_node_type(n), type) == 0;
}

static guint node_line(TSNode n)
{
    return ts_node_start_point(n).row + 1;
}

/* The children of n in order, named ones only or all. ts_node_named_child(n, i) and the sibling
 * calls start from the first child every time (tree-sitter 0.20), so a loop over them is
 * quadratic: a module of 200 000 statements or a literal of a million items would take minutes.
 * A cursor visits each child once. Caller frees with g_array_unref. */
static GArray *children(TSNode n, bool named_only)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(TSNode));
    if (ts_node_is_null(n))
        return out;
    TSTreeCursor c = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&c)) {
        do {
            TSNode k = ts_tree_cursor_current_node(&c);
            if (!named_only || ts_node_is_named(k))
                g_array_append_val(out, k);
        } while (ts_tree_cursor_goto_next_sibling(&c));
    }
    ts_tree_cursor_delete(&c);
    return out;
}

#define CHILD(kids, i) g_array_index((kids), TSNode, (i))

/* The node's text, interned in the file's arena. */
static const char *node_text(walk *w, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    return g_string_chunk_insert_len(w->file->strings, w->src + a, b - a);
}

static bool text_is(walk *w, TSNode n, const char *s)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    size_t len = strlen(s);
    return b - a == len && memcmp(w->src + a, s, len) == 0;
}

static bool mentions(walk *w, TSNode n, const char *needle)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    return g_strstr_len(w->src + a, b - a, needle) != NULL;
}

/* A statement's text on one line: whitespace runs collapsed, comments and backslash
 * continuations dropped, no space just inside parentheses. */
static const char *statement_text(walk *w, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    GString *s = g_string_sized_new(b - a);
    bool space = false, in_string = false;
    char quote = 0;
    for (uint32_t i = a; i < b; i++) {
        char c = w->src[i];
        if (in_string) {
            g_string_append_c(s, c);
            if (c == '\\' && i + 1 < b)
                g_string_append_c(s, w->src[++i]);
            else if (c == quote)
                in_string = false;
            continue;
        }
        if (c == '#') {
            while (i + 1 < b && w->src[i + 1] != '\n')
                i++;
            continue;
        }
        if (c == '\\' && i + 1 < b && (w->src[i + 1] == '\n' || w->src[i + 1] == '\r')) {
            space = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = true;
            continue;
        }
        if (space && s->len && s->str[s->len - 1] != '(' && c != ')' && c != ',')
            g_string_append_c(s, ' ');
        if (space && c == ')' && s->len && s->str[s->len - 1] == ',')
            g_string_truncate(s, s->len - 1); /* "(a, b,)" -> "(a, b)" */
        space = false;
        if (c == '"' || c == '\'') {
            in_string = true;
            quote = c;
        }
        if (c == ')' && s->len && s->str[s->len - 1] == ',')
            g_string_truncate(s, s->len - 1);
        g_string_append_c(s, c);
    }
    const char *out = g_string_chunk_insert_len(w->file->strings, s->str, s->len);
    g_string_free(s, TRUE);
    return out;
}

static impviz_kind scope_kind(const scope *sc)
{
    if (sc->typing)
        return IMPVIZ_TYPING;
    return sc->in_function ? IMPVIZ_DEFERRED : IMPVIZ_EAGER;
}

static guint add_import(walk *w, const scope *sc, TSNode stmt, const char *statement, guint level,
                        const char *module, const char *name, const char *asname, guint flags)
{
    impviz_import imp = {
        .line = node_line(stmt),
        .kind = scope_kind(sc),
        .level = level,
        .module = module,
        .name = name,
        .asname = asname,
        .statement = statement,
        .flags = flags | (sc->conditional ? IMPVIZ_IMPORT_CONDITIONAL : 0),
    };
    g_array_append_val(w->file->imports, imp);
    return w->file->imports->len - 1;
}

/* Appends a module-level event; returns its index, or G_MAXUINT when the scope never runs at
 * import time (a function body, TYPE_CHECKING, the __main__ guard) and nothing was added. */
static guint add_event(walk *w, const scope *sc, impviz_event_type type, guint line,
                       guint import_index, const char *name, const char *context)
{
    if (sc->in_function || sc->typing || sc->never)
        return G_MAXUINT;
    if (type == IMPVIZ_EV_BIND && sc->in_class)
        return G_MAXUINT; /* a class attribute, not a module-level name */
    impviz_event ev = {.type = type,
                       .line = line,
                       .import_index = import_index,
                       .name = name,
                       .context = context,
                       .uncertain = sc->uncertain,
                       .class_body = sc->in_class};
    g_array_append_val(w->file->events, ev);
    return w->file->events->len - 1;
}

/* `lazy import x` predates the pinned grammar: it recovers as an ERROR (or an expression
 * statement) holding the single identifier `lazy`, just before the import on the same line. */
static bool preceded_by_lazy(walk *w, TSNode stmt)
{
    /* the bytes first: finding the previous sibling costs a walk over all of them */
    uint32_t at = ts_node_start_byte(stmt);
    while (at > 0 && (w->src[at - 1] == ' ' || w->src[at - 1] == '\t'))
        at--;
    if (at < 4 || memcmp(w->src + at - 4, "lazy", 4) != 0)
        return false;
    TSNode prev = ts_node_prev_sibling(stmt);
    if (ts_node_is_null(prev) || ts_node_end_point(prev).row != ts_node_start_point(stmt).row)
        return false;
    if (!is_type(prev, "ERROR") && !is_type(prev, "expression_statement"))
        return false;
    return text_is(w, prev, "lazy");
}

/* The ERROR node holding `lazy` before an import on the same line. */
static bool is_lazy_marker(walk *w, TSNode n)
{
    TSNode next = ts_node_next_sibling(n);
    return !ts_node_is_null(next) &&
           (is_type(next, "import_statement") || is_type(next, "import_from_statement")) &&
           preceded_by_lazy(w, next);
}

/* PEP 810: lazy imports only at module level, not in classes or try blocks, never star. */
static bool lazy_allowed(const scope *sc)
{
    return !sc->in_function && !sc->in_class && !sc->in_try && !sc->typing;
}

/* Remembers names that stand for importlib or importlib.import_module, to spot dynamic
 * imports made through aliases. */
static void note_importlib(walk *w, const char *module, const char *name, const char *bound)
{
    GHashTable **set = NULL;
    if (!bound)
        return;
    if (strcmp(module, "importlib") == 0)
        set = name ? (strcmp(name, "import_module") == 0 ? &w->import_module_names : NULL)
                   : &w->importlib_names;
    else if (strcmp(module, "lazy_loader") == 0 && !name)
        set = &w->lazy_loader_names;
    if (!set)
        return;
    if (!*set)
        *set = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_add(*set, (gpointer)bound);
}

static void import_statement(walk *w, const scope *sc, TSNode stmt, bool lazy)
{
    const char *statement = statement_text(w, stmt);
    guint flags = 0;
    scope s = *sc;
    GArray *kids = children(stmt, true);
    for (guint i = 0; i < kids->len; i++) {
        TSNode c = CHILD(kids, i);
        TSNode dotted = c;
        const char *asname = NULL;
        if (is_type(c, "aliased_import")) {
            dotted = ts_node_child_by_field_name(c, "name", 4);
            asname = node_text(w, ts_node_child_by_field_name(c, "alias", 5));
        } else if (!is_type(c, "dotted_name")) {
            continue;
        }
        const char *module = node_text(w, dotted);
        guint idx = add_import(w, &s, stmt, statement, 0, module, NULL, asname, flags);
        impviz_import *imp = &g_array_index(w->file->imports, impviz_import, idx);
        if (lazy && imp->kind == IMPVIZ_EAGER && lazy_allowed(sc))
            imp->kind = IMPVIZ_LAZY;
        else if (imp->kind == IMPVIZ_EAGER && !lazy_allowed(sc))
            imp->flags |= IMPVIZ_IMPORT_NOT_LAZY;
        if (asname || !strchr(module, '.'))
            note_importlib(w, module, NULL, asname ? asname : module);
        if (imp->kind == IMPVIZ_EAGER) { /* the simulation binds the name itself */
            add_event(w, sc, IMPVIZ_EV_IMPORT, imp->line, idx, NULL, NULL);
            continue;
        }
        /* `import a.b` binds a; `import a.b as c` binds c */
        const char *bound = asname;
        if (!bound) {
            const char *dot = strchr(module, '.');
            bound =
                dot ? g_string_chunk_insert_len(w->file->strings, module, dot - module) : module;
        }
        add_event(w, sc, IMPVIZ_EV_BIND, imp->line, 0, bound, NULL);
    }
    g_array_unref(kids);
}

static void import_from_statement(walk *w, const scope *sc, TSNode stmt, bool lazy)
{
    TSNode mod = ts_node_child_by_field_name(stmt, "module_name", 11);
    if (ts_node_is_null(mod))
        return;
    guint level = 0;
    const char *module = "";
    if (is_type(mod, "relative_import")) {
        GArray *kids = children(mod, true);
        for (guint i = 0; i < kids->len; i++) {
            TSNode c = CHILD(kids, i);
            if (is_type(c, "import_prefix"))
                level = ts_node_end_byte(c) - ts_node_start_byte(c);
            else if (is_type(c, "dotted_name"))
                module = node_text(w, c);
        }
        g_array_unref(kids);
    } else {
        module = node_text(w, mod);
    }
    if (level == 0 && strcmp(module, "__future__") == 0) {
        if (mentions(w, stmt, "annotations"))
            w->future_annotations = true;
        return;
    }
    const char *statement = statement_text(w, stmt);
    GArray *kids = children(stmt, true);
    bool any = false;
    for (guint i = 0; i < kids->len; i++) {
        TSNode c = CHILD(kids, i);
        if (ts_node_eq(c, mod))
            continue;
        const char *name = NULL, *asname = NULL;
        guint flags = IMPVIZ_IMPORT_FROM;
        if (is_type(c, "wildcard_import")) {
            name = "*";
            flags |= IMPVIZ_IMPORT_STAR;
        } else if (is_type(c, "aliased_import")) {
            name = node_text(w, ts_node_child_by_field_name(c, "name", 4));
            asname = node_text(w, ts_node_child_by_field_name(c, "alias", 5));
        } else if (is_type(c, "dotted_name")) {
            name = node_text(w, c);
        } else {
            continue;
        }
        any = true;
        guint idx = add_import(w, sc, stmt, statement, level, module, name, asname, flags);
        impviz_import *imp = &g_array_index(w->file->imports, impviz_import, idx);
        bool can_be_lazy = lazy_allowed(sc) && !(flags & IMPVIZ_IMPORT_STAR);
        if (lazy && imp->kind == IMPVIZ_EAGER && can_be_lazy)
            imp->kind = IMPVIZ_LAZY;
        else if (imp->kind == IMPVIZ_EAGER && !can_be_lazy)
            imp->flags |= IMPVIZ_IMPORT_NOT_LAZY;
        if (level == 0)
            note_importlib(w, module, name, asname ? asname : name);
        if (imp->kind == IMPVIZ_EAGER) /* the simulation binds the name itself */
            add_event(w, sc, IMPVIZ_EV_IMPORT, imp->line, idx, NULL, NULL);
        else if (!(flags & IMPVIZ_IMPORT_STAR))
            add_event(w, sc, IMPVIZ_EV_BIND, imp->line, 0, asname ? asname : name, NULL);
    }
    g_array_unref(kids);
    if (!any) /* `from x import` cut short by a syntax error still depends on x */
        add_import(w, sc, stmt, statement, level, module, NULL, NULL, IMPVIZ_IMPORT_FROM);
}

/* ---- expressions: dynamic imports, bindings and uses -------------------------------------- */

/* The content of a plain string literal (no f-string, no concatenation), or NULL. */
static const char *string_literal(walk *w, TSNode n)
{
    if (ts_node_is_null(n) || !is_type(n, "string")) /* a missing argument is a null node */
        return NULL;
    uint32_t k = ts_node_named_child_count(n);
    const char *content = "";
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_named_child(n, i);
        if (is_type(c, "interpolation"))
            return NULL;
        if (is_type(c, "string_start")) {
            for (uint32_t b = ts_node_start_byte(c); b < ts_node_end_byte(c); b++)
                if (w->src[b] == 'f' || w->src[b] == 'F')
                    return NULL;
        } else if (is_type(c, "string_content")) {
            content = node_text(w, c);
        }
    }
    return content;
}

/* Argument `pos` (0-based positional) or keyword `kw` of a call, or a null node. */
static TSNode call_arg(walk *w, TSNode args, guint pos, const char *kw)
{
    GArray *kids = children(args, true);
    TSNode found = {0};
    guint positional = 0;
    for (guint i = 0; i < kids->len && ts_node_is_null(found); i++) {
        TSNode a = CHILD(kids, i);
        if (is_type(a, "keyword_argument")) {
            if (kw && text_is(w, ts_node_child_by_field_name(a, "name", 4), kw))
                found = ts_node_child_by_field_name(a, "value", 5);
        } else if (!is_type(a, "list_splat") && !is_type(a, "dictionary_splat") &&
                   !is_type(a, "comment") && positional++ == pos) {
            found = a;
        }
    }
    g_array_unref(kids);
    return found;
}

static bool in_set(GHashTable *set, walk *w, TSNode n)
{
    return set && is_type(n, "identifier") && g_hash_table_contains(set, node_text(w, n));
}

/* importlib.import_module(NAME[, PACKAGE]) with literals; also through aliases. */
static bool is_import_module(walk *w, TSNode fn)
{
    if (is_type(fn, "identifier")) /* only when bound by `from importlib import ...` */
        return in_set(w->import_module_names, w, fn);
    if (!is_type(fn, "attribute") ||
        !text_is(w, ts_node_child_by_field_name(fn, "attribute", 9), "import_module"))
        return false;
    TSNode obj = ts_node_child_by_field_name(fn, "object", 6);
    return text_is(w, obj, "importlib") || in_set(w->importlib_names, w, obj);
}

/* A dynamic import: runs, when eager, as an IMPORT event that binds nothing. */
static void add_dynamic(walk *w, const scope *sc, TSNode call, const char *statement, guint level,
                        const char *module, const char *name, guint flags)
{
    guint idx = add_import(w, sc, call, statement, level, module, name, NULL, flags);
    if (g_array_index(w->file->imports, impviz_import, idx).kind == IMPVIZ_EAGER)
        add_event(w, sc, IMPVIZ_EV_IMPORT, node_line(call), idx, NULL, NULL);
}

static void import_module_call(walk *w, const scope *sc, TSNode args, TSNode call, TSNode stmt)
{
    const char *lit = string_literal(w, call_arg(w, args, 0, "name"));
    if (!lit || !*lit)
        return;
    guint level = 0;
    while (lit[level] == '.')
        level++;
    const char *module = lit + level;
    if (level) {
        TSNode pkg = call_arg(w, args, 1, "package");
        if (ts_node_is_null(pkg))
            return; /* a relative name without its package raises TypeError */
        const char *anchor = string_literal(w, pkg);
        if (anchor && *anchor) { /* a literal package: resolve here, as importlib does */
            char *base = g_strdup(anchor);
            for (guint i = 1; i < level; i++) {
                char *dot = strrchr(base, '.');
                if (!dot) {
                    g_free(base);
                    return;
                }
                *dot = '\0';
            }
            char *full = *module ? g_strconcat(base, ".", module, NULL) : g_strdup(base);
            module = g_string_chunk_insert(w->file->strings, full);
            level = 0;
            g_free(base);
            g_free(full);
        } else if (!is_type(pkg, "identifier") ||
                   !(text_is(w, pkg, "__package__") || text_is(w, pkg, "__name__"))) {
            return; /* relative to a package computed at run time */
        }
    }
    add_dynamic(w, sc, call, statement_text(w, stmt), level, module, NULL, IMPVIZ_IMPORT_DYNAMIC);
}

/* __import__(name, globals, locals, fromlist, level) with literals. */
static void dunder_import_call(walk *w, const scope *sc, TSNode args, TSNode call, TSNode stmt)
{
    const char *lit = string_literal(w, call_arg(w, args, 0, "name"));
    if (!lit)
        return;
    guint level = 0;
    TSNode lv = call_arg(w, args, 4, "level");
    if (!ts_node_is_null(lv)) {
        if (!is_type(lv, "integer"))
            return;
        level = (guint)g_ascii_strtoull(node_text(w, lv), NULL, 10);
    }
    if (!*lit && !level)
        return;
    const char *statement = statement_text(w, stmt);
    TSNode from = call_arg(w, args, 3, "fromlist");
    bool any = false;
    if (!ts_node_is_null(from) && (is_type(from, "list") || is_type(from, "tuple"))) {
        GArray *kids = children(from, true);
        for (guint i = 0; i < kids->len; i++) {
            const char *name = string_literal(w, CHILD(kids, i));
            if (!name || !*name)
                continue;
            add_dynamic(w, sc, call, statement, level, lit, name,
                        IMPVIZ_IMPORT_DYNAMIC | IMPVIZ_IMPORT_FROM);
            any = true;
        }
        g_array_unref(kids);
    }
    if (!any && *lit)
        add_dynamic(w, sc, call, statement, level, lit, NULL, IMPVIZ_IMPORT_DYNAMIC);
}

/* lazy_loader.attach(__name__, submodules=[...], submod_attrs={...}): lazy submodules. */
static void attach_call(walk *w, const scope *sc, TSNode args, TSNode call, TSNode stmt)
{
    const char *statement = statement_text(w, stmt);
    TSNode lists[2] = {call_arg(w, args, 1, "submodules"), call_arg(w, args, 2, "submod_attrs")};
    for (int k = 0; k < 2; k++) {
        TSNode val = lists[k];
        if (ts_node_is_null(val))
            continue;
        GArray *kids = children(val, true);
        for (guint j = 0; j < kids->len; j++) {
            TSNode item = CHILD(kids, j);
            if (k == 1 && is_type(item, "pair"))
                item = ts_node_child_by_field_name(item, "key", 3);
            const char *sub = string_literal(w, item);
            if (!sub || !*sub)
                continue;
            guint idx =
                add_import(w, sc, call, statement, 1, "", sub, NULL,
                           IMPVIZ_IMPORT_FROM | IMPVIZ_IMPORT_ATTACH | IMPVIZ_IMPORT_DYNAMIC);
            impviz_import *imp = &g_array_index(w->file->imports, impviz_import, idx);
            if (imp->kind == IMPVIZ_EAGER)
                imp->kind = IMPVIZ_LAZY;
        }
        g_array_unref(kids);
    }
}

/* The source line a node starts on, stripped of indentation and trailing blanks: what a
 * traceback shows for it. */
static const char *line_text(walk *w, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = a;
    while (a > 0 && w->src[a - 1] != '\n')
        a--;
    while (b < w->len && w->src[b] != '\n')
        b++;
    while (a < b && (w->src[a] == ' ' || w->src[a] == '\t'))
        a++;
    while (b > a && (w->src[b - 1] == ' ' || w->src[b - 1] == '\t' || w->src[b - 1] == '\r'))
        b--;
    return g_string_chunk_insert_len(w->file->strings, w->src + a, b - a);
}

/* Dynamic imports with literal names: importlib.import_module, __import__, lazy_loader. */
static void dynamic_call(walk *w, const scope *sc, TSNode call, TSNode stmt)
{
    TSNode fn = ts_node_child_by_field_name(call, "function", 8);
    TSNode args = ts_node_child_by_field_name(call, "arguments", 9);
    if (ts_node_is_null(args) || !is_type(args, "argument_list"))
        return;
    if (is_import_module(w, fn)) {
        import_module_call(w, sc, args, call, stmt);
    } else if (is_type(fn, "identifier") && text_is(w, fn, "__import__")) {
        dunder_import_call(w, sc, args, call, stmt);
    } else if (is_type(fn, "attribute") &&
               text_is(w, ts_node_child_by_field_name(fn, "attribute", 9), "attach")) {
        TSNode obj = ts_node_child_by_field_name(fn, "object", 6);
        if (text_is(w, obj, "lazy_loader") || in_set(w->lazy_loader_names, w, obj))
            attach_call(w, sc, args, call, stmt);
    }
}

/* Records the dotted chain an attribute expression reads, e.g. "pkg.mod.Base"; false when the
 * chain does not start at a name (a call's result, a subscript ...). */
static bool use_attribute(walk *w, const scope *sc, TSNode n, TSNode stmt)
{
    TSNode base = n;
    while (is_type(base, "attribute"))
        base = ts_node_child_by_field_name(base, "object", 6);
    if (!is_type(base, "identifier"))
        return false;
    (void)stmt;
    add_event(w, sc, IMPVIZ_EV_USE, node_line(n), 0, node_text(w, n), line_text(w, n));
    return true;
}

/* Walks an expression that runs at import time (module-level code): records attribute uses and
 * dynamic imports. A lambda's body runs later: only its dynamic imports are looked for, as
 * deferred ones. Iterative, lambdas included: expressions can nest 10 000 deep. */
static void expression(walk *w, const scope *sc, TSNode root, TSNode stmt, bool want_uses,
                       bool want_calls)
{
    typedef struct {
        TSNode node;
        bool in_lambda; /* below a lambda: deferred, no uses */
    } item;
    scope deferred = *sc;
    deferred.in_function = true;
    GArray *stack = g_array_new(FALSE, FALSE, sizeof(item));
    item first = {root, false};
    g_array_append_val(stack, first);
    while (stack->len) {
        item it = g_array_index(stack, item, stack->len - 1);
        g_array_set_size(stack, stack->len - 1);
        TSNode n = it.node;
        if (ts_node_is_null(n))
            continue;
        const scope *here = it.in_lambda ? &deferred : sc;
        bool uses = want_uses && !it.in_lambda;
        const char *t = node_type(n);
        if (strcmp(t, "string") == 0 || strcmp(t, "comment") == 0)
            continue;
        if (w->future_annotations && strcmp(t, "type") == 0)
            continue; /* PEP 563: annotations are strings, never evaluated */
        if (strcmp(t, "lambda") == 0) {
            TSNode body = ts_node_child_by_field_name(n, "body", 4);
            if (want_calls && !ts_node_is_null(body)) {
                item inner = {body, true};
                g_array_append_val(stack, inner);
            }
            continue;
        }
        if (strcmp(t, "attribute") == 0 && uses && use_attribute(w, here, n, stmt))
            continue; /* a plain chain a.b.X: its inner a.b is part of the one use */
        /* otherwise arguments inside the chain, e.g. a.f(x).y, still need a look */
        if (strcmp(t, "call") == 0 && want_calls)
            dynamic_call(w, here, n, stmt);
        GArray *kids = children(n, true);
        for (guint i = kids->len; i-- > 0;) {
            TSNode c = CHILD(kids, i);
            if (strcmp(t, "attribute") == 0 && uses && is_type(c, "identifier"))
                continue;
            item next = {c, it.in_lambda};
            g_array_append_val(stack, next);
        }
        g_array_unref(kids);
    }
    g_array_unref(stack);
}

/* Names a target binds: identifiers in `a, (b, c) = ...`, `for x in`, `with ... as y`, in
 * source order. Iterative: a target can nest 300 000 parentheses deep. */
static void bind_targets(walk *w, const scope *sc, TSNode root)
{
    GArray *stack = g_array_new(FALSE, FALSE, sizeof(TSNode));
    g_array_append_val(stack, root);
    while (stack->len) {
        TSNode n = g_array_index(stack, TSNode, stack->len - 1);
        g_array_set_size(stack, stack->len - 1);
        if (ts_node_is_null(n))
            continue;
        if (is_type(n, "identifier")) {
            add_event(w, sc, IMPVIZ_EV_BIND, node_line(n), 0, node_text(w, n), NULL);
            continue;
        }
        if (is_type(n, "attribute") || is_type(n, "subscript"))
            continue;
        GArray *kids = children(n, true);
        for (guint i = kids->len; i-- > 0;)
            g_array_append_val(stack, CHILD(kids, i));
        g_array_unref(kids);
    }
    g_array_unref(stack);
}

/* The BIND events from index `from` on bind the value None (`x = None`, `a = b = None`). */
static void mark_none(walk *w, guint from)
{
    for (guint i = from; i < w->file->events->len; i++) {
        impviz_event *ev = &g_array_index(w->file->events, impviz_event, i);
        if (ev->type == IMPVIZ_EV_BIND)
            ev->none = true;
    }
}

static bool may_import_dynamically(walk *w, TSNode n)
{
    if (mentions(w, n, "import_module") || mentions(w, n, "__import__") || mentions(w, n, "attach"))
        return true;
    /* calls through an alias of import_module (from importlib import import_module as load) */
    if (w->import_module_names) {
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, w->import_module_names);
        while (g_hash_table_iter_next(&it, &key, NULL))
            if (mentions(w, n, key))
                return true;
    }
    return false;
}

/* __lazy_modules__ = ["a", "b.c"] at module level. */
static void lazy_modules(walk *w, TSNode assign)
{
    TSNode right = ts_node_child_by_field_name(assign, "right", 5);
    if (ts_node_is_null(right))
        return;
    if (!w->lazy_modules)
        w->lazy_modules = g_hash_table_new(g_str_hash, g_str_equal);
    GArray *kids = children(right, true);
    for (guint i = 0; i < kids->len; i++) {
        const char *s = string_literal(w, CHILD(kids, i));
        if (s && *s)
            g_hash_table_add(w->lazy_modules, (gpointer)s);
    }
    g_array_unref(kids);
}

/* ---- statements ------------------------------------------------------------------------- */

static void block(walk *w, const scope *sc, TSNode n);

/* `TYPE_CHECKING` or `anything.TYPE_CHECKING`. */
static bool is_type_checking(walk *w, TSNode cond)
{
    if (is_type(cond, "identifier"))
        return text_is(w, cond, "TYPE_CHECKING");
    if (is_type(cond, "attribute"))
        return text_is(w, ts_node_child_by_field_name(cond, "attribute", 9), "TYPE_CHECKING");
    return false;
}

static bool is_not_type_checking(walk *w, TSNode cond)
{
    return is_type(cond, "not_operator") &&
           is_type_checking(w, ts_node_child_by_field_name(cond, "argument", 8));
}

/* `__name__ == "__main__"`: false whenever the module is imported. */
static bool is_main_guard(walk *w, TSNode cond)
{
    if (!is_type(cond, "comparison_operator") || ts_node_named_child_count(cond) != 2)
        return false;
    TSNode a = ts_node_named_child(cond, 0), b = ts_node_named_child(cond, 1);
    const char *lit = string_literal(w, b);
    return is_type(a, "identifier") && text_is(w, a, "__name__") && lit &&
           strcmp(lit, "__main__") == 0 && mentions(w, cond, "==");
}

static void if_statement(walk *w, const scope *sc, TSNode n)
{
    TSNode cond = ts_node_child_by_field_name(n, "condition", 9);
    bool tc = is_type_checking(w, cond), ntc = is_not_type_checking(w, cond);
    bool main_guard = is_main_guard(w, cond);
    if (!tc && !ntc)
        expression(w, sc, cond, n, !sc->in_function, may_import_dynamically(w, cond));
    scope body = *sc;
    body.conditional = true;
    if (tc) {
        body.typing = true;
    } else if (main_guard) {
        body.never = true;
    } else if (!ntc) {
        body.uncertain = true;
    }
    TSNode cons = ts_node_child_by_field_name(n, "consequence", 11);
    if (!ts_node_is_null(cons))
        block(w, &body, cons);
    GArray *kids = children(n, true);
    for (guint i = 0; i < kids->len; i++) {
        TSNode c = CHILD(kids, i);
        scope alt = *sc;
        alt.conditional = true;
        if (is_type(c, "else_clause")) {
            if (ntc) /* the else of `if not TYPE_CHECKING:` only runs for type checkers */
                alt.typing = true;
            else if (!tc && !main_guard)
                alt.uncertain = true;
            block(w, &alt, ts_node_child_by_field_name(c, "body", 4));
        } else if (is_type(c, "elif_clause")) {
            alt.uncertain = !tc;
            TSNode ec = ts_node_child_by_field_name(c, "condition", 9);
            expression(w, &alt, ec, c, !sc->in_function, may_import_dynamically(w, ec));
            block(w, &alt, ts_node_child_by_field_name(c, "consequence", 11));
        }
    }
    g_array_unref(kids);
}

/* What an except clause catches of the simulation's errors (ImportError, AttributeError). A bare
 * except, Exception and BaseException catch both; ModuleNotFoundError alone does not catch the
 * ImportError of a circular import. */
static guint except_catches(walk *w, TSNode clause)
{
    TSNode what = ts_node_child_by_field_name(clause, "value", 5);
    if (is_type(clause, "except_group_clause"))
        what = ts_node_named_child(clause, 0);
    if (ts_node_is_null(what) || is_type(what, "block"))
        return IMPVIZ_CATCH_ALL; /* bare except: */
    if (is_type(what, "as_pattern"))
        what = ts_node_named_child(what, 0);
    guint catches = 0;
    GArray *stack = g_array_new(FALSE, FALSE, sizeof(TSNode));
    g_array_append_val(stack, what);
    while (stack->len) {
        TSNode n = g_array_index(stack, TSNode, stack->len - 1);
        g_array_set_size(stack, stack->len - 1);
        if (is_type(n, "attribute"))
            n = ts_node_child_by_field_name(n, "attribute", 9); /* builtins.ImportError */
        if (is_type(n, "identifier")) {
            if (text_is(w, n, "ImportError"))
                catches |= IMPVIZ_CATCH_IMPORT;
            else if (text_is(w, n, "AttributeError"))
                catches |= IMPVIZ_CATCH_ATTRIBUTE;
            else if (text_is(w, n, "Exception") || text_is(w, n, "BaseException"))
                catches |= IMPVIZ_CATCH_ALL;
            continue;
        }
        uint32_t k = ts_node_named_child_count(n);
        for (uint32_t i = 0; i < k; i++) {
            TSNode c = ts_node_named_child(n, i);
            g_array_append_val(stack, c);
        }
    }
    g_array_unref(stack);
    return catches;
}

/* Does an except clause catch ImportError (or ModuleNotFoundError, or everything)? */
static bool catches_import_error(walk *w, TSNode clause)
{
    uint32_t k = ts_node_named_child_count(clause);
    if (k == 1) /* bare except: */
        return true;
    TSNode what = ts_node_named_child(clause, 0);
    return mentions(w, what, "ImportError") || mentions(w, what, "ModuleNotFoundError") ||
           mentions(w, what, "BaseException") ||
           (is_type(what, "identifier") && text_is(w, what, "Exception"));
}

static void clause_blocks(walk *w, const scope *sc, TSNode clause)
{
    uint32_t m = ts_node_named_child_count(clause);
    for (uint32_t j = 0; j < m; j++)
        if (is_type(ts_node_named_child(clause, j), "block"))
            block(w, sc, ts_node_named_child(clause, j));
}

/* Points the clause event at index `from` (if any) at the event about to be appended. */
static void link_clause(walk *w, guint from)
{
    if (from != G_MAXUINT)
        g_array_index(w->file->events, impviz_event, from).next = w->file->events->len;
}

/* A try statement becomes TRY, its body's events, one EXCEPT per except clause followed by the
 * handler's events, ELSE and the else body, END, then the finally body: the simulation runs a
 * handler only when an error it raises inside the body is caught there. */
static void try_statement(walk *w, const scope *sc, TSNode n)
{
    bool guarded = false;
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_named_child(n, i);
        if ((is_type(c, "except_clause") || is_type(c, "except_group_clause")) &&
            catches_import_error(w, c))
            guarded = true;
    }
    scope body = *sc;
    body.in_try = true;
    if (guarded)
        body.conditional = true;
    guint prev = add_event(w, sc, IMPVIZ_EV_TRY, node_line(n), 0, NULL, NULL);
    block(w, &body, ts_node_child_by_field_name(n, "body", 4));
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_named_child(n, i);
        scope h = body;
        if (is_type(c, "except_clause") || is_type(c, "except_group_clause")) {
            h.conditional = true;
            link_clause(w, prev);
            prev = add_event(w, sc, IMPVIZ_EV_EXCEPT, node_line(c), 0, NULL, NULL);
            if (prev != G_MAXUINT)
                g_array_index(w->file->events, impviz_event, prev).catches = except_catches(w, c);
            clause_blocks(w, &h, c);
        } else if (is_type(c, "else_clause")) {
            link_clause(w, prev);
            prev = add_event(w, sc, IMPVIZ_EV_ELSE, node_line(c), 0, NULL, NULL);
            clause_blocks(w, &h, c);
        }
    }
    link_clause(w, prev);
    add_event(w, sc, IMPVIZ_EV_END, ts_node_end_point(n).row + 1, 0, NULL, NULL);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_named_child(n, i);
        if (is_type(c, "finally_clause"))
            clause_blocks(w, sc, c);
    }
}

static void function_definition(walk *w, const scope *sc, TSNode n, TSNode stmt)
{
    /* defaults and annotations run when the def runs; the body runs later */
    TSNode params = ts_node_child_by_field_name(n, "parameters", 10);
    if (!ts_node_is_null(params) && !sc->in_function)
        expression(w, sc, params, stmt, true, may_import_dynamically(w, params));
    TSNode returns = ts_node_child_by_field_name(n, "return_type", 11);
    if (!ts_node_is_null(returns) && !sc->in_function && !w->future_annotations)
        expression(w, sc, returns, stmt, true, false);
    scope body = *sc;
    body.in_function = true;
    body.in_class = false;
    block(w, &body, ts_node_child_by_field_name(n, "body", 4));
    TSNode name = ts_node_child_by_field_name(n, "name", 4);
    if (!ts_node_is_null(name))
        add_event(w, sc, IMPVIZ_EV_BIND, node_line(n), 0, node_text(w, name), NULL);
}

static void class_definition(walk *w, const scope *sc, TSNode n, TSNode stmt)
{
    TSNode bases = ts_node_child_by_field_name(n, "superclasses", 12);
    if (!ts_node_is_null(bases))
        expression(w, sc, bases, stmt, !sc->in_function, may_import_dynamically(w, bases));
    scope body = *sc; /* a class body runs at once, binding class attributes */
    body.in_class = true;
    block(w, &body, ts_node_child_by_field_name(n, "body", 4));
    TSNode name = ts_node_child_by_field_name(n, "name", 4);
    if (!ts_node_is_null(name))
        add_event(w, sc, IMPVIZ_EV_BIND, node_line(n), 0, node_text(w, name), NULL);
}

static void statement(walk *w, const scope *sc, TSNode n)
{
    const char *t = node_type(n);
    switch (t[0]) {
    case 'i':
        if (strcmp(t, "import_statement") == 0) {
            import_statement(w, sc, n, preceded_by_lazy(w, n));
            return;
        }
        if (strcmp(t, "import_from_statement") == 0) {
            import_from_statement(w, sc, n, preceded_by_lazy(w, n));
            return;
        }
        if (strcmp(t, "if_statement") == 0) {
            if_statement(w, sc, n);
            return;
        }
        break;
    case 'f':
        if (strcmp(t, "function_definition") == 0) {
            function_definition(w, sc, n, n);
            return;
        }
        if (strcmp(t, "for_statement") == 0) {
            scope body = *sc;
            body.uncertain = true;
            TSNode right = ts_node_child_by_field_name(n, "right", 5);
            expression(w, sc, right, n, !sc->in_function, may_import_dynamically(w, right));
            bind_targets(w, &body, ts_node_child_by_field_name(n, "left", 4));
            block(w, &body, ts_node_child_by_field_name(n, "body", 4));
            TSNode alt = ts_node_child_by_field_name(n, "alternative", 11);
            if (!ts_node_is_null(alt))
                block(w, &body, ts_node_child_by_field_name(alt, "body", 4));
            return;
        }
        if (strcmp(t, "future_import_statement") == 0) {
            if (mentions(w, n, "annotations"))
                w->future_annotations = true;
            return;
        }
        break;
    case 'c':
        if (strcmp(t, "class_definition") == 0) {
            class_definition(w, sc, n, n);
            return;
        }
        if (strcmp(t, "case_clause") == 0) { /* the arms of a match statement */
            block(w, sc, ts_node_child_by_field_name(n, "consequence", 11));
            return;
        }
        break;
    case 'd':
        if (strcmp(t, "decorated_definition") == 0) {
            uint32_t k = ts_node_named_child_count(n);
            for (uint32_t i = 0; i < k; i++) {
                TSNode c = ts_node_named_child(n, i);
                if (is_type(c, "decorator"))
                    expression(w, sc, c, n, !sc->in_function, may_import_dynamically(w, c));
            }
            TSNode def = ts_node_child_by_field_name(n, "definition", 10);
            if (is_type(def, "function_definition"))
                function_definition(w, sc, def, n);
            else if (is_type(def, "class_definition"))
                class_definition(w, sc, def, n);
            return;
        }
        break;
    case 't':
        if (strcmp(t, "try_statement") == 0) {
            try_statement(w, sc, n);
            return;
        }
        break;
    case 'w':
        if (strcmp(t, "while_statement") == 0) {
            scope body = *sc;
            body.uncertain = true;
            body.conditional = true;
            TSNode cond = ts_node_child_by_field_name(n, "condition", 9);
            expression(w, sc, cond, n, !sc->in_function, may_import_dynamically(w, cond));
            block(w, &body, ts_node_child_by_field_name(n, "body", 4));
            return;
        }
        if (strcmp(t, "with_statement") == 0) {
            uint32_t k = ts_node_named_child_count(n);
            for (uint32_t i = 0; i < k; i++) {
                TSNode c = ts_node_named_child(n, i);
                if (is_type(c, "with_clause")) {
                    expression(w, sc, c, n, !sc->in_function, may_import_dynamically(w, c));
                    uint32_t m = ts_node_named_child_count(c);
                    for (uint32_t j = 0; j < m; j++) {
                        TSNode item = ts_node_named_child(c, j);
                        TSNode v = ts_node_child_by_field_name(item, "value", 5);
                        if (!ts_node_is_null(v) && is_type(v, "as_pattern"))
                            bind_targets(w, sc, ts_node_child_by_field_name(v, "alias", 5));
                    }
                }
            }
            block(w, sc, ts_node_child_by_field_name(n, "body", 4));
            return;
        }
        break;
    case 'm':
        if (strcmp(t, "match_statement") == 0) {
            scope body = *sc;
            body.uncertain = true;
            body.conditional = true;
            block(w, &body, ts_node_child_by_field_name(n, "body", 4));
            return;
        }
        break;
    case 'b':
        if (strcmp(t, "block") == 0) {
            block(w, sc, n);
            return;
        }
        break;
    case 'E':
        if (strcmp(t, "ERROR") == 0) { /* recovered garbage may still hold statements */
            block(w, sc, n);
            return;
        }
        break;
    case 'e':
        if (strcmp(t, "expression_statement") == 0) {
            bool top = !sc->in_function && !sc->typing;
            bool dyn = may_import_dynamically(w, n);
            if (!top && !dyn)
                return;
            TSNode e = ts_node_named_child(n, 0);
            if (top && !ts_node_is_null(e) &&
                (is_type(e, "assignment") || is_type(e, "augmented_assignment"))) {
                TSNode left = ts_node_child_by_field_name(e, "left", 4);
                TSNode right = ts_node_child_by_field_name(e, "right", 5);
                if (is_type(left, "identifier") && text_is(w, left, "__lazy_modules__"))
                    lazy_modules(w, e);
                if (!ts_node_is_null(right))
                    expression(w, sc, right, n, true, dyn);
                TSNode type = ts_node_child_by_field_name(e, "type", 4);
                if (!ts_node_is_null(type))
                    expression(w, sc, type, n, true, false);
                guint first = w->file->events->len;
                if (!ts_node_is_null(right) || is_type(e, "augmented_assignment"))
                    bind_targets(w, sc, left);
                /* a = b = value binds every target of the chain */
                while (!ts_node_is_null(right) && is_type(right, "assignment")) {
                    bind_targets(w, sc, ts_node_child_by_field_name(right, "left", 4));
                    right = ts_node_child_by_field_name(right, "right", 5);
                }
                if (!ts_node_is_null(right) && is_type(right, "none") && is_type(e, "assignment") &&
                    is_type(left, "identifier"))
                    mark_none(w, first);
                return;
            }
            expression(w, sc, n, n, top, dyn);
            return;
        }
        break;
    }
    /* return, raise, assert, del, global ...: only dynamic imports can hide in them */
    if (ts_node_named_child_count(n) && may_import_dynamically(w, n))
        expression(w, sc, n, n, false, true);
}

static void block(walk *w, const scope *sc, TSNode n)
{
    if (ts_node_is_null(n))
        return;
    if (sc->depth >= MAX_DEPTH) {
        w->too_deep = true;
        return;
    }
    scope inner = *sc;
    inner.depth++;
    GArray *kids = children(n, true);
    for (guint i = 0; i < kids->len; i++)
        statement(w, &inner, CHILD(kids, i));
    g_array_unref(kids);
}

/* ---- source bytes ----------------------------------------------------------------------- */

/* PEP 263: a coding declaration in one of the first two lines. Returns a new string or NULL. */
static char *coding_declaration(const char *src, size_t len)
{
    size_t start = 0;
    for (int line = 0; line < 2 && start < len; line++) {
        const char *nl = memchr(src + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - src) : len;
        const char *s = src + start;
        size_t n = end - start;
        size_t i = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
            i++;
        if (i < n && s[i] == '#') {
            const char *c = g_strstr_len(s + i, n - i, "coding");
            if (c && c + 6 < s + n && (c[6] == ':' || c[6] == '=')) {
                const char *v = c + 7;
                while (v < s + n && (*v == ' ' || *v == '\t'))
                    v++;
                const char *e = v;
                while (e < s + n && (g_ascii_isalnum(*e) || *e == '-' || *e == '_' || *e == '.'))
                    e++;
                if (e > v)
                    return g_ascii_strdown(v, e - v);
            }
        } else if (i < n && s[i] != '\r') {
            break; /* the declaration must come before any code */
        }
        start = end + 1;
    }
    return NULL;
}

static bool is_utf8_name(const char *enc)
{
    return g_str_has_prefix(enc, "utf-8") || g_str_has_prefix(enc, "utf8") ||
           g_str_has_prefix(enc, "utf_8");
}

/* 1-based line of byte offset `at`. */
static guint line_at(const char *bytes, size_t at)
{
    guint line = 1;
    for (const char *p = bytes; (p = memchr(p, '\n', at - (size_t)(p - bytes))); p++)
        line++;
    return line;
}

/* Converts bytes in a Python codec to UTF-8; Python's names (latin-1, iso_8859_15, cp1252)
 * are mapped to iconv's. NULL with the reason in why when the codec is unknown or the bytes
 * invalid. */
static char *decode(const char *bytes, size_t len, const char *codec, size_t *out_len, GString *why)
{
    static const struct {
        const char *python, *iconv;
    } aliases[] = {{"latin-1", "ISO-8859-1"},     {"latin1", "ISO-8859-1"}, {"l1", "ISO-8859-1"},
                   {"iso-latin-1", "ISO-8859-1"}, {"ascii", "ASCII"},       {"us-ascii", "ASCII"}};
    char *name = g_strdup(codec);
    g_strdelimit(name, "_", '-');
    for (size_t i = 0; i < G_N_ELEMENTS(aliases); i++)
        if (strcmp(name, aliases[i].python) == 0) {
            g_free(name);
            name = g_strdup(aliases[i].iconv);
            break;
        }
    GError *err = NULL;
    gsize n = 0, read = 0;
    char *out = g_convert(bytes, (gssize)len, "UTF-8", name, &read, &n, &err);
    if (!out) {
        if (err->code == G_CONVERT_ERROR_ILLEGAL_SEQUENCE ||
            err->code == G_CONVERT_ERROR_PARTIAL_INPUT)
            g_string_printf(why, "line %u cannot be decoded as '%s', its declared encoding",
                            line_at(bytes, MIN(read, len)), codec);
        else
            g_string_printf(why, "unknown encoding '%s' in its coding declaration", codec);
        g_error_free(err);
    }
    g_free(name);
    *out_len = n;
    return out;
}

/* Source bytes as UTF-8: a BOM skipped, a PEP 263 declaration honoured. *converted holds a new
 * buffer when one was needed (caller frees). False, with *why set (borrowed from the parser
 * until its next parse), when they are not Python text. */
static bool decode_source(impviz_parser *parser, const char **bytes, size_t *len, char **converted,
                          const char **why)
{
    *converted = NULL;
    g_string_truncate(parser->why, 0);
    const char *nul = memchr(*bytes, '\0', *len);
    if (nul) {
        g_string_printf(parser->why, "NUL byte at line %u: not Python source (binary file?)",
                        line_at(*bytes, (size_t)(nul - *bytes)));
        *why = parser->why->str;
        return false;
    }
    if (*len >= 3 && memcmp(*bytes, "\xEF\xBB\xBF", 3) == 0) {
        *bytes += 3;
        *len -= 3;
        return true;
    }
    char *enc = coding_declaration(*bytes, *len);
    if (enc && !is_utf8_name(enc))
        *converted = decode(*bytes, *len, enc, len, parser->why);
    bool failed = enc && !is_utf8_name(enc) && !*converted;
    g_free(enc);
    if (failed) {
        *why = parser->why->str;
        return false;
    }
    if (*converted)
        *bytes = *converted;
    return true;
}

impviz_file *impviz_parser_parse(impviz_parser *parser, const char *bytes, size_t len,
                                 const char **why)
{
    char *converted = NULL;
    if (!decode_source(parser, &bytes, &len, &converted, why))
        return NULL;

    impviz_file *f = g_new0(impviz_file, 1);
    f->imports = g_array_new(FALSE, FALSE, sizeof(impviz_import));
    f->events = g_array_new(FALSE, FALSE, sizeof(impviz_event));
    f->strings = g_string_chunk_new(len / 8 + 256);
    const char *bad = NULL;
    if (!converted && !g_utf8_validate_len(bytes, len, &bad)) /* tree-sitter reads it anyway */
        f->invalid_utf8_line = line_at(bytes, (size_t)(bad - bytes));
    TSTree *tree = ts_parser_parse_string(parser->ts, NULL, bytes, (uint32_t)len);
    TSNode root = ts_tree_root_node(tree);
    walk w = {.src = bytes, .len = len, .file = f};
    scope sc = {0};
    block(&w, &sc, root);
    if (ts_node_has_error(root)) {
        /* count the broken parts: top-level ERROR or MISSING nodes */
        GArray *stack = g_array_new(FALSE, FALSE, sizeof(TSNode));
        g_array_append_val(stack, root);
        while (stack->len) {
            TSNode n = g_array_index(stack, TSNode, stack->len - 1);
            g_array_set_size(stack, stack->len - 1);
            if (is_type(n, "ERROR") && is_lazy_marker(&w, n))
                continue; /* PEP 810 syntax the grammar predates, not a broken part */
            if (is_type(n, "ERROR") || ts_node_is_missing(n)) {
                if (!f->error_count++ || node_line(n) < f->first_error_line)
                    f->first_error_line = node_line(n);
                continue;
            }
            if (!ts_node_has_error(n))
                continue;
            GArray *kids = children(n, false);
            for (guint i = kids->len; i-- > 0;)
                g_array_append_val(stack, CHILD(kids, i));
            g_array_unref(kids);
        }
        g_array_unref(stack);
    }
    f->too_deep = w.too_deep;
    if (w.lazy_modules) {
        for (guint i = 0; i < f->imports->len; i++) {
            impviz_import *imp = &g_array_index(f->imports, impviz_import, i);
            if (imp->kind == IMPVIZ_EAGER && imp->level == 0 &&
                !(imp->flags & (IMPVIZ_IMPORT_NOT_LAZY | IMPVIZ_IMPORT_DYNAMIC)) &&
                g_hash_table_contains(w.lazy_modules, imp->module))
                imp->kind = IMPVIZ_LAZY;
        }
        /* a lazy import no longer runs at import time: drop it from the simulation */
        for (guint i = f->events->len; i-- > 0;) {
            impviz_event *ev = &g_array_index(f->events, impviz_event, i);
            if (ev->type == IMPVIZ_EV_IMPORT &&
                g_array_index(f->imports, impviz_import, ev->import_index).kind != IMPVIZ_EAGER)
                g_array_remove_index(f->events, i);
        }
        g_hash_table_unref(w.lazy_modules);
    }
    for (guint i = 0; i < f->imports->len; i++) /* an internal mark, not for callers */
        g_array_index(f->imports, impviz_import, i).flags &= ~(guint)IMPVIZ_IMPORT_NOT_LAZY;
    if (w.importlib_names)
        g_hash_table_unref(w.importlib_names);
    if (w.import_module_names)
        g_hash_table_unref(w.import_module_names);
    if (w.lazy_loader_names)
        g_hash_table_unref(w.lazy_loader_names);
    ts_tree_delete(tree);
    g_free(converted);
    return f;
}

/* ---- where names are used: for deferral suggestions ------------------------------------- */

GArray *impviz_parser_name_uses(impviz_parser *parser, const char *bytes, size_t len,
                                const char *const *names, guint n_names)
{
    char *converted = NULL;
    const char *why = NULL;
    if (!decode_source(parser, &bytes, &len, &converted, &why))
        return NULL;
    GArray *out = impviz_name_uses_scan(bytes, len, names, n_names);
    g_free(converted);
    return out;
}
