/* SPDX-License-Identifier: MIT */
/*
 * parse.c - Python source bytes -> import records and module-level events.
 *
 * The only file that includes tree-sitter; no TSNode escapes it. The walk visits statements
 * only and enters an expression subtree only where it can matter: module-level code (for the
 * import simulation's bindings and uses) and statements whose bytes mention a dynamic import.
 * Node types and fields are compared by id (looked up once per parser), children are visited
 * with cursors from a pool the parser keeps, and whether a range of bytes holds a '.' or a
 * dynamic-import word is answered from positions found once per file: extraction costs a few
 * percent on top of tree-sitter's own parse.
 */
#include "impviz.h"

#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

/* Nesting deeper than this (10 000 nested blocks, say) is not walked further; a warning says so. */
#define MAX_DEPTH 1000

/* The node types and fields the walk tells apart, by their names in the grammar. */
/* clang-format off */
#define WALK_SYMBOLS(X) \
    X(aliased_import) X(argument_list) X(as_pattern) X(assignment) X(attribute) \
    X(augmented_assignment) X(block) X(call) X(case_clause) X(class_definition) X(comment) \
    X(comparison_operator) X(decorated_definition) X(decorator) X(dictionary_splat) \
    X(dotted_name) X(elif_clause) X(else_clause) X(except_clause) X(except_group_clause) \
    X(expression_statement) X(finally_clause) X(for_statement) X(function_definition) \
    X(future_import_statement) X(identifier) X(if_statement) X(import_from_statement) \
    X(import_prefix) X(import_statement) X(integer) X(interpolation) X(keyword_argument) \
    X(lambda) X(list) X(list_splat) X(match_statement) X(none) X(not_operator) X(pair) \
    X(relative_import) X(string) X(string_content) X(string_start) X(subscript) X(try_statement) \
    X(tuple) X(type) X(while_statement) X(wildcard_import) X(with_clause) X(with_statement)
#define WALK_FIELDS(X) \
    X(alias) X(alternative) X(argument) X(arguments) X(attribute) X(body) X(condition) \
    X(consequence) X(definition) X(function) X(key) X(left) X(module_name) X(name) X(object) \
    X(parameters) X(return_type) X(right) X(superclasses) X(type) X(value)
/* clang-format on */

/* Node type ids as ts_node_symbol returns them (named, public), so comparing ids says what
 * comparing ts_node_type names said. */
typedef struct {
#define X(name) TSSymbol name;
    WALK_SYMBOLS(X)
#undef X
    TSSymbol error;
} symbols;

/* Field ids for ts_node_child_by_field_id, which skips the search through the field names that
 * ts_node_child_by_field_name makes on every call. */
typedef struct {
#define X(name) TSFieldId name;
    WALK_FIELDS(X)
#undef X
} fields;

/* A node still to visit in an iterative subtree walk. */
typedef struct {
    TSNode node;
    bool in_lambda; /* below a lambda: runs later */
} pending;

struct impviz_parser {
    TSParser *ts;
    GString *why; /* the last rejection's reason, handed out until the next parse */
    symbols sym;
    fields field;
    GPtrArray *cursors; /* TSTreeCursor *, owned: taken and given back in stack order by a walk */
    GArray *stack;      /* pending: scratch for the walk's subtree visits, reused */
    GString *text;      /* scratch for statement_text, reused */
};

/* Where the bytes mention a dynamic-import word: [start, end) of one occurrence. */
typedef struct {
    uint32_t start, end;
} span;

typedef struct {
    const char *src;
    size_t len;
    impviz_file *file;
    const symbols *sym;              /* borrowed from the parser */
    const fields *field;             /* borrowed from the parser */
    impviz_parser *parser;           /* its cursor pool and scratch stack */
    guint cursors_used;              /* cursors of the pool taken, the last one on top */
    GArray *imports;                 /* uint32_t offsets of the word "import", ascending */
    GArray *words;                   /* span: import_module, __import__, attach, by start */
    GArray *dots;                    /* uint32_t offsets of '.' in ascending order, or NULL */
    GHashTable *lazy_modules;        /* names in __lazy_modules__ -> NULL, or NULL */
    GHashTable *importlib_names;     /* names bound to the importlib module */
    GHashTable *import_module_names; /* names bound to importlib.import_module */
    bool import_module_aliased;      /* ... other than import_module itself */
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

static TSSymbol symbol_id(const TSLanguage *lang, const char *name)
{
    TSSymbol id = ts_language_symbol_for_name(lang, name, (uint32_t)strlen(name), true);
    if (!id)
        g_error("tree-sitter-python has no node type '%s'", name);
    return id;
}

static TSFieldId field_id(const TSLanguage *lang, const char *name)
{
    TSFieldId id = ts_language_field_id_for_name(lang, name, (uint32_t)strlen(name));
    if (!id)
        g_error("tree-sitter-python has no field '%s'", name);
    return id;
}

static void cursor_free(gpointer p)
{
    ts_tree_cursor_delete(p);
    g_free(p);
}

impviz_parser *impviz_parser_new(void)
{
    impviz_parser *p = g_new0(impviz_parser, 1);
    const TSLanguage *lang = tree_sitter_python();
    p->ts = ts_parser_new();
    p->why = g_string_new(NULL);
    if (!ts_parser_set_language(p->ts, lang))
        g_error("tree-sitter-python ABI %u is not supported by this libtree-sitter",
                ts_language_version(lang));
#define X(name) p->sym.name = symbol_id(lang, #name);
    WALK_SYMBOLS(X)
#undef X
#define X(name) p->field.name = field_id(lang, #name);
    WALK_FIELDS(X)
#undef X
    p->sym.error = symbol_id(lang, "ERROR");
    p->cursors = g_ptr_array_new_with_free_func(cursor_free);
    p->stack = g_array_new(FALSE, FALSE, sizeof(pending));
    p->text = g_string_new(NULL);
    return p;
}

void impviz_parser_free(impviz_parser *p)
{
    if (!p)
        return;
    ts_parser_delete(p->ts);
    g_string_free(p->why, TRUE);
    g_ptr_array_unref(p->cursors);
    g_array_unref(p->stack);
    g_string_free(p->text, TRUE);
    g_free(p);
}

void impviz_file_free(impviz_file *f)
{
    if (!f)
        return;
    g_array_unref(f->imports);
    g_array_unref(f->events);
    if (f->strings)
        g_string_chunk_free(f->strings);
    g_free(f);
}

static guint node_line(TSNode n)
{
    return ts_node_start_point(n).row + 1;
}

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
/* ---- walking by id: types, fields, children ------------------------------------------------ */

/* Is n (possibly null) a node of type `type`? */
static bool is(TSNode n, TSSymbol type)
{
    return !ts_node_is_null(n) && ts_node_symbol(n) == type;
}

static TSNode field(TSNode n, TSFieldId id)
{
    return ts_node_child_by_field_id(n, id);
}

/* A cursor at n (not null) from the parser's pool, to visit n's children once each:
 * ts_node_named_child(n, i) and the sibling calls start from the first child every time
 * (tree-sitter 0.20), so a loop over them is quadratic (a module of 200 000 statements, a literal
 * of a million items). Give it back with cursor_give_back, the last taken first: calls made while
 * it is out may take and give back others. Reused across nodes and files: a new cursor
 * allocates. */
static TSTreeCursor *cursor_take(walk *w, TSNode n)
{
    GPtrArray *pool = w->parser->cursors;
    if (w->cursors_used == pool->len) {
        TSTreeCursor *c = g_new(TSTreeCursor, 1);
        *c = ts_tree_cursor_new(n);
        g_ptr_array_add(pool, c);
    } else {
        ts_tree_cursor_reset(g_ptr_array_index(pool, w->cursors_used), n);
    }
    return g_ptr_array_index(pool, w->cursors_used++);
}

static void cursor_give_back(walk *w)
{
    w->cursors_used--;
}

/* Moves c to the first (`first`) or next named child of its node; false when there is none. */
static bool next_named(TSTreeCursor *c, bool first, TSNode *out)
{
    bool ok = first ? ts_tree_cursor_goto_first_child(c) : ts_tree_cursor_goto_next_sibling(c);
    for (; ok; ok = ts_tree_cursor_goto_next_sibling(c)) {
        *out = ts_tree_cursor_current_node(c);
        if (ts_node_is_named(*out))
            return true;
    }
    return false;
}

/* Reverses stack[from ..] (pending): children pushed in order then come off first child first. */
static void reverse_from(GArray *stack, guint from)
{
    pending *p = &g_array_index(stack, pending, 0);
    for (guint i = from, j = stack->len; i + 1 < j; i++, j--) {
        pending swap = p[i];
        p[i] = p[j - 1];
        p[j - 1] = swap;
    }
}

/* ---- what the bytes mention ------------------------------------------------------------- */

static gint span_order(gconstpointer a, gconstpointer b)
{
    const span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Every occurrence of the words that matter, overlapping ones included, found once per file:
 * "import" (its 'p' is rarer than its other letters), and around it import_module and
 * __import__; attach (by its 'h'). */
static void find_words(walk *w)
{
    w->imports = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    w->words = g_array_new(FALSE, FALSE, sizeof(span));
    const char *s = w->src, *end = w->src + w->len;
    for (const char *p = s; (p = memchr(p, 'p', (size_t)(end - p))); p++) {
        if (p - s < 2 || end - p < 4 || memcmp(p - 2, "import", 6) != 0)
            continue;
        uint32_t at = (uint32_t)(p - 2 - s);
        g_array_append_val(w->imports, at);
        if (end - p >= 11 && memcmp(p + 4, "_module", 7) == 0) {
            span m = {at, at + 13};
            g_array_append_val(w->words, m);
        }
        if (at >= 2 && end - p >= 6 && memcmp(p - 4, "__", 2) == 0 && memcmp(p + 4, "__", 2) == 0) {
            span d = {at - 2, at + 8};
            g_array_append_val(w->words, d);
        }
    }
    for (const char *p = s; (p = memchr(p, 'h', (size_t)(end - p))); p++) {
        if (p - s >= 5 && memcmp(p - 5, "attach", 6) == 0) {
            span a = {(uint32_t)(p - 5 - s), (uint32_t)(p + 1 - s)};
            g_array_append_val(w->words, a);
        }
    }
    g_array_sort(w->words, span_order);
}

/* The index of the first of the n ascending offsets at[] that is >= a (n when none is). */
static guint first_at_or_after(const uint32_t *at, guint n, uint32_t a)
{
    guint lo = 0, hi = n;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (at[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The index of the first of the n spans by start at[] that starts at a or later (n when none). */
static guint first_span_at_or_after(const span *at, guint n, uint32_t a)
{
    guint lo = 0, hi = n;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (at[mid].start < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first offset at or after a where "import" or a dynamic-import word starts; UINT32_MAX when
 * there is none. */
static uint32_t next_word(walk *w, uint32_t a)
{
    const uint32_t *imports = (const uint32_t *)(void *)w->imports->data;
    guint i = first_at_or_after(imports, w->imports->len, a);
    uint32_t next = i < w->imports->len ? imports[i] : UINT32_MAX;
    const span *words = (const span *)(void *)w->words->data;
    guint j = first_span_at_or_after(words, w->words->len, a);
    return j < w->words->len && words[j].start < next ? words[j].start : next;
}

/* Does n's text mention import_module, __import__, attach or a name bound to
 * importlib.import_module? Then it may hold a dynamic import. */
static bool may_import_dynamically(walk *w, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    const span *words = (const span *)(void *)w->words->data;
    for (guint i = first_span_at_or_after(words, w->words->len, a);
         i < w->words->len && words[i].start < b; i++)
        if (words[i].end <= b)
            return true;
    /* calls through an alias of import_module (from importlib import import_module as load) */
    if (w->import_module_aliased) {
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, w->import_module_names);
        while (g_hash_table_iter_next(&it, &key, NULL))
            if (strcmp(key, "import_module") != 0 && mentions(w, n, key))
                return true;
    }
    return false;
}

/* Does n's text hold a '.'? Without one (and without a syntax error, which could stand for a
 * missing one) it holds no attribute. */
static bool has_dot(walk *w, TSNode n)
{
    if (!w->dots) {
        w->dots = g_array_new(FALSE, FALSE, sizeof(uint32_t));
        const char *end = w->src + w->len;
        for (const char *p = w->src; (p = memchr(p, '.', (size_t)(end - p))); p++) {
            uint32_t at = (uint32_t)(p - w->src);
            g_array_append_val(w->dots, at);
        }
    }
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    const uint32_t *dots = (const uint32_t *)(void *)w->dots->data;
    guint i = first_at_or_after(dots, w->dots->len, a);
    return i < w->dots->len && dots[i] < b;
}

/* A statement's text on one line: whitespace runs collapsed, comments and backslash
 * continuations dropped, no space just inside parentheses. */
static const char *statement_text(walk *w, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    /* every space written stands for at least one blank read: b - a bytes hold the text */
    GString *buf = w->parser->text;
    g_string_set_size(buf, b - a);
    char *o = buf->str;
    size_t k = 0;
    bool space = false, in_string = false;
    char quote = 0;
    for (uint32_t i = a; i < b; i++) {
        char c = w->src[i];
        if (in_string) {
            o[k++] = c;
            if (c == '\\' && i + 1 < b)
                o[k++] = w->src[++i];
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
        if (space && k && o[k - 1] != '(' && c != ')' && c != ',')
            o[k++] = ' ';
        if (space && c == ')' && k && o[k - 1] == ',')
            k--; /* "(a, b,)" -> "(a, b)" */
        space = false;
        if (c == '"' || c == '\'') {
            in_string = true;
            quote = c;
        }
        if (c == ')' && k && o[k - 1] == ',')
            k--;
        o[k++] = c;
    }
    return g_string_chunk_insert_len(w->file->strings, o, (gssize)k);
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
    if (!is(prev, w->sym->error) && !is(prev, w->sym->expression_statement))
        return false;
    return text_is(w, prev, "lazy");
}

/* The ERROR node holding `lazy` before an import on the same line. */
static bool is_lazy_marker(walk *w, TSNode n)
{
    TSNode next = ts_node_next_sibling(n);
    return !ts_node_is_null(next) &&
           (is(next, w->sym->import_statement) || is(next, w->sym->import_from_statement)) &&
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
    if (set == &w->import_module_names && strcmp(bound, "import_module") != 0)
        w->import_module_aliased = true;
}

static void import_statement(walk *w, const scope *sc, TSNode stmt, bool lazy)
{
    const char *statement = statement_text(w, stmt);
    guint flags = 0;
    scope s = *sc;
    TSTreeCursor *cur = cursor_take(w, stmt);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
        TSNode dotted = c;
        const char *asname = NULL;
        TSSymbol t = ts_node_symbol(c);
        if (t == w->sym->aliased_import) {
            dotted = field(c, w->field->name);
            asname = node_text(w, field(c, w->field->alias));
        } else if (t != w->sym->dotted_name) {
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
    cursor_give_back(w);
}

static void import_from_statement(walk *w, const scope *sc, TSNode stmt, bool lazy)
{
    TSNode mod = field(stmt, w->field->module_name);
    if (ts_node_is_null(mod))
        return;
    guint level = 0;
    const char *module = "";
    TSTreeCursor *cur;
    TSNode c;
    if (is(mod, w->sym->relative_import)) {
        cur = cursor_take(w, mod);
        for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
            if (is(c, w->sym->import_prefix))
                level = ts_node_end_byte(c) - ts_node_start_byte(c);
            else if (is(c, w->sym->dotted_name))
                module = node_text(w, c);
        }
        cursor_give_back(w);
    } else {
        module = node_text(w, mod);
    }
    if (level == 0 && strcmp(module, "__future__") == 0) {
        if (mentions(w, stmt, "annotations"))
            w->future_annotations = true;
        return;
    }
    const char *statement = statement_text(w, stmt);
    bool any = false;
    cur = cursor_take(w, stmt);
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
        if (ts_node_eq(c, mod))
            continue;
        const char *name = NULL, *asname = NULL;
        guint flags = IMPVIZ_IMPORT_FROM;
        TSSymbol t = ts_node_symbol(c);
        if (t == w->sym->wildcard_import) {
            name = "*";
            flags |= IMPVIZ_IMPORT_STAR;
        } else if (t == w->sym->aliased_import) {
            name = node_text(w, field(c, w->field->name));
            asname = node_text(w, field(c, w->field->alias));
        } else if (t == w->sym->dotted_name) {
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
    cursor_give_back(w);
    if (!any) /* `from x import` cut short by a syntax error still depends on x */
        add_import(w, sc, stmt, statement, level, module, NULL, NULL, IMPVIZ_IMPORT_FROM);
}

/* ---- expressions: dynamic imports, bindings and uses -------------------------------------- */

/* The content of a plain string literal (no f-string, no concatenation), or NULL. */
static const char *string_literal(walk *w, TSNode n)
{
    if (!is(n, w->sym->string)) /* a missing argument is a null node */
        return NULL;
    const char *content = "";
    TSTreeCursor *cur = cursor_take(w, n);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
        TSSymbol t = ts_node_symbol(c);
        if (t == w->sym->interpolation) {
            content = NULL;
            break;
        }
        if (t == w->sym->string_start) {
            for (uint32_t b = ts_node_start_byte(c); b < ts_node_end_byte(c); b++)
                if (w->src[b] == 'f' || w->src[b] == 'F')
                    content = NULL;
            if (!content)
                break;
        } else if (t == w->sym->string_content) {
            content = node_text(w, c);
        }
    }
    cursor_give_back(w);
    return content;
}

/* Argument `pos` (0-based positional) or keyword `kw` of a call, or a null node. */
static TSNode call_arg(walk *w, TSNode args, guint pos, const char *kw)
{
    TSNode found = {0};
    guint positional = 0;
    TSTreeCursor *cur = cursor_take(w, args);
    TSNode a;
    for (bool more = next_named(cur, true, &a); more && ts_node_is_null(found);
         more = next_named(cur, false, &a)) {
        TSSymbol t = ts_node_symbol(a);
        if (t == w->sym->keyword_argument) {
            if (kw && text_is(w, field(a, w->field->name), kw))
                found = field(a, w->field->value);
        } else if (t != w->sym->list_splat && t != w->sym->dictionary_splat &&
                   t != w->sym->comment && positional++ == pos) {
            found = a;
        }
    }
    cursor_give_back(w);
    return found;
}

static bool in_set(GHashTable *set, walk *w, TSNode n)
{
    return set && is(n, w->sym->identifier) && g_hash_table_contains(set, node_text(w, n));
}

/* importlib.import_module(NAME[, PACKAGE]) with literals; also through aliases. */
static bool is_import_module(walk *w, TSNode fn)
{
    if (is(fn, w->sym->identifier)) /* only when bound by `from importlib import ...` */
        return in_set(w->import_module_names, w, fn);
    if (!is(fn, w->sym->attribute) || !text_is(w, field(fn, w->field->attribute), "import_module"))
        return false;
    TSNode obj = field(fn, w->field->object);
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
        } else if (!is(pkg, w->sym->identifier) ||
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
        if (!is(lv, w->sym->integer))
            return;
        level = (guint)g_ascii_strtoull(node_text(w, lv), NULL, 10);
    }
    if (!*lit && !level)
        return;
    const char *statement = statement_text(w, stmt);
    TSNode from = call_arg(w, args, 3, "fromlist");
    bool any = false;
    if (is(from, w->sym->list) || is(from, w->sym->tuple)) {
        TSTreeCursor *cur = cursor_take(w, from);
        TSNode item;
        for (bool more = next_named(cur, true, &item); more; more = next_named(cur, false, &item)) {
            const char *name = string_literal(w, item);
            if (!name || !*name)
                continue;
            add_dynamic(w, sc, call, statement, level, lit, name,
                        IMPVIZ_IMPORT_DYNAMIC | IMPVIZ_IMPORT_FROM);
            any = true;
        }
        cursor_give_back(w);
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
        TSTreeCursor *cur = cursor_take(w, val);
        TSNode item;
        for (bool more = next_named(cur, true, &item); more; more = next_named(cur, false, &item)) {
            if (k == 1 && is(item, w->sym->pair))
                item = field(item, w->field->key);
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
        cursor_give_back(w);
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
    TSNode fn = field(call, w->field->function);
    TSNode args = field(call, w->field->arguments);
    if (!is(args, w->sym->argument_list))
        return;
    if (is_import_module(w, fn)) {
        import_module_call(w, sc, args, call, stmt);
    } else if (is(fn, w->sym->identifier) && text_is(w, fn, "__import__")) {
        dunder_import_call(w, sc, args, call, stmt);
    } else if (is(fn, w->sym->attribute) && text_is(w, field(fn, w->field->attribute), "attach")) {
        TSNode obj = field(fn, w->field->object);
        if (text_is(w, obj, "lazy_loader") || in_set(w->lazy_loader_names, w, obj))
            attach_call(w, sc, args, call, stmt);
    }
}

/* Records the dotted chain an attribute expression reads, e.g. "pkg.mod.Base"; false when the
 * chain does not start at a name (a call's result, a subscript ...). */
static bool use_attribute(walk *w, const scope *sc, TSNode n)
{
    TSNode base = n;
    while (is(base, w->sym->attribute))
        base = field(base, w->field->object);
    if (!is(base, w->sym->identifier))
        return false;
    add_event(w, sc, IMPVIZ_EV_USE, node_line(n), 0, node_text(w, n), line_text(w, n));
    return true;
}

/* Could n's subtree add anything to an expression walk: a use (an attribute, so a '.'), a
 * dynamic import (its words)? A syntax error may hide either. */
static bool may_matter(walk *w, TSNode n, bool uses, bool calls)
{
    return ts_node_has_error(n) || (uses && has_dot(w, n)) ||
           (calls && may_import_dynamically(w, n));
}

/* Walks an expression that runs at import time (module-level code): records attribute uses and
 * dynamic imports. A lambda's body runs later: only its dynamic imports are looked for, as
 * deferred ones. Subtrees that can add nothing are not entered. Iterative, lambdas included:
 * expressions can nest 10 000 deep. */
static void expression(walk *w, const scope *sc, TSNode root, TSNode stmt, bool want_uses,
                       bool want_calls)
{
    /* uses count only where add_event keeps them */
    want_uses = want_uses && !sc->in_function && !sc->typing && !sc->never;
    if (ts_node_is_null(root) || !may_matter(w, root, want_uses, want_calls))
        return;
    const symbols *sym = w->sym;
    scope deferred = *sc;
    deferred.in_function = true;
    GArray *stack = w->parser->stack;
    g_array_set_size(stack, 0);
    pending first = {root, false};
    g_array_append_val(stack, first);
    while (stack->len) {
        pending it = g_array_index(stack, pending, stack->len - 1);
        g_array_set_size(stack, stack->len - 1);
        TSNode n = it.node;
        const scope *here = it.in_lambda ? &deferred : sc;
        bool uses = want_uses && !it.in_lambda;
        TSSymbol t = ts_node_symbol(n);
        if (t == sym->string || t == sym->comment)
            continue;
        if (w->future_annotations && t == sym->type)
            continue; /* PEP 563: annotations are strings, never evaluated */
        if (t == sym->lambda) {
            TSNode body = field(n, w->field->body);
            if (want_calls && !ts_node_is_null(body) && may_matter(w, body, false, true)) {
                pending inner = {body, true};
                g_array_append_val(stack, inner);
            }
            continue;
        }
        if (t == sym->attribute && uses && use_attribute(w, here, n))
            continue; /* a plain chain a.b.X: its inner a.b is part of the one use */
        /* otherwise arguments inside the chain, e.g. a.f(x).y, still need a look */
        if (t == sym->call && want_calls)
            dynamic_call(w, here, n, stmt);
        /* the children that may matter, pushed so that the first is visited first */
        guint from = stack->len;
        TSTreeCursor *cur = cursor_take(w, n);
        TSNode c;
        for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
            if (t == sym->attribute && uses && is(c, sym->identifier))
                continue;
            if (!may_matter(w, c, uses, want_calls))
                continue;
            pending next = {c, it.in_lambda};
            g_array_append_val(stack, next);
        }
        cursor_give_back(w);
        reverse_from(stack, from);
    }
}

/* Names a target binds: identifiers in `a, (b, c) = ...`, `for x in`, `with ... as y`, in
 * source order. Iterative: a target can nest 300 000 parentheses deep. Nothing when the scope
 * binds no module-level name. */
static void bind_targets(walk *w, const scope *sc, TSNode root)
{
    if (sc->in_function || sc->typing || sc->never || sc->in_class || ts_node_is_null(root))
        return; /* add_event would drop every BIND */
    GArray *stack = w->parser->stack;
    g_array_set_size(stack, 0);
    pending first = {root, false};
    g_array_append_val(stack, first);
    while (stack->len) {
        TSNode n = g_array_index(stack, pending, stack->len - 1).node;
        g_array_set_size(stack, stack->len - 1);
        TSSymbol t = ts_node_symbol(n);
        if (t == w->sym->identifier) {
            add_event(w, sc, IMPVIZ_EV_BIND, node_line(n), 0, node_text(w, n), NULL);
            continue;
        }
        if (t == w->sym->attribute || t == w->sym->subscript)
            continue;
        guint from = stack->len;
        TSTreeCursor *cur = cursor_take(w, n);
        TSNode c;
        for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
            pending next = {c, false};
            g_array_append_val(stack, next);
        }
        cursor_give_back(w);
        reverse_from(stack, from);
    }
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

/* __lazy_modules__ = ["a", "b.c"] at module level. */
static void lazy_modules(walk *w, TSNode assign)
{
    TSNode right = field(assign, w->field->right);
    if (ts_node_is_null(right))
        return;
    if (!w->lazy_modules)
        w->lazy_modules = g_hash_table_new(g_str_hash, g_str_equal);
    TSTreeCursor *cur = cursor_take(w, right);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
        const char *s = string_literal(w, c);
        if (s && *s)
            g_hash_table_add(w->lazy_modules, (gpointer)s);
    }
    cursor_give_back(w);
}

/* ---- statements ------------------------------------------------------------------------- */

static void block(walk *w, const scope *sc, TSNode n);

/* `TYPE_CHECKING` or `anything.TYPE_CHECKING`. */
static bool is_type_checking(walk *w, TSNode cond)
{
    if (is(cond, w->sym->identifier))
        return text_is(w, cond, "TYPE_CHECKING");
    if (is(cond, w->sym->attribute))
        return text_is(w, field(cond, w->field->attribute), "TYPE_CHECKING");
    return false;
}

static bool is_not_type_checking(walk *w, TSNode cond)
{
    return is(cond, w->sym->not_operator) && is_type_checking(w, field(cond, w->field->argument));
}

/* `__name__ == "__main__"`: false whenever the module is imported. */
static bool is_main_guard(walk *w, TSNode cond)
{
    if (!is(cond, w->sym->comparison_operator) || ts_node_named_child_count(cond) != 2)
        return false;
    TSNode a = ts_node_named_child(cond, 0), b = ts_node_named_child(cond, 1);
    const char *lit = string_literal(w, b);
    return is(a, w->sym->identifier) && text_is(w, a, "__name__") && lit &&
           strcmp(lit, "__main__") == 0 && mentions(w, cond, "==");
}

static void if_statement(walk *w, const scope *sc, TSNode n)
{
    TSNode cond = field(n, w->field->condition);
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
    TSNode cons = field(n, w->field->consequence);
    if (!ts_node_is_null(cons))
        block(w, &body, cons);
    TSTreeCursor *cur = cursor_take(w, n);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
        scope alt = *sc;
        alt.conditional = true;
        TSSymbol t = ts_node_symbol(c);
        if (t == w->sym->else_clause) {
            if (ntc) /* the else of `if not TYPE_CHECKING:` only runs for type checkers */
                alt.typing = true;
            else if (!tc && !main_guard)
                alt.uncertain = true;
            block(w, &alt, field(c, w->field->body));
        } else if (t == w->sym->elif_clause) {
            alt.uncertain = !tc;
            TSNode ec = field(c, w->field->condition);
            expression(w, &alt, ec, c, !sc->in_function, may_import_dynamically(w, ec));
            block(w, &alt, field(c, w->field->consequence));
        }
    }
    cursor_give_back(w);
}

/* What an except clause catches of the simulation's errors (ImportError, AttributeError). A bare
 * except, Exception and BaseException catch both; ModuleNotFoundError alone does not catch the
 * ImportError of a circular import. */
static guint except_catches(walk *w, TSNode clause)
{
    TSNode what = field(clause, w->field->value);
    if (is(clause, w->sym->except_group_clause))
        what = ts_node_named_child(clause, 0);
    if (ts_node_is_null(what) || is(what, w->sym->block))
        return IMPVIZ_CATCH_ALL; /* bare except: */
    if (is(what, w->sym->as_pattern))
        what = ts_node_named_child(what, 0);
    guint catches = 0;
    GArray *stack = w->parser->stack;
    g_array_set_size(stack, 0);
    pending first = {what, false};
    g_array_append_val(stack, first);
    while (stack->len) {
        TSNode n = g_array_index(stack, pending, stack->len - 1).node;
        g_array_set_size(stack, stack->len - 1);
        if (is(n, w->sym->attribute))
            n = field(n, w->field->attribute); /* builtins.ImportError */
        if (is(n, w->sym->identifier)) {
            if (text_is(w, n, "ImportError"))
                catches |= IMPVIZ_CATCH_IMPORT;
            else if (text_is(w, n, "AttributeError"))
                catches |= IMPVIZ_CATCH_ATTRIBUTE;
            else if (text_is(w, n, "Exception") || text_is(w, n, "BaseException"))
                catches |= IMPVIZ_CATCH_ALL;
            continue;
        }
        TSTreeCursor *cur = cursor_take(w, n);
        TSNode c;
        for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
            pending next = {c, false};
            g_array_append_val(stack, next);
        }
        cursor_give_back(w);
    }
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
           (is(what, w->sym->identifier) && text_is(w, what, "Exception"));
}

static void clause_blocks(walk *w, const scope *sc, TSNode clause)
{
    TSTreeCursor *cur = cursor_take(w, clause);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c))
        if (is(c, w->sym->block))
            block(w, sc, c);
    cursor_give_back(w);
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
    const symbols *sym = w->sym;
    bool guarded = false;
    TSTreeCursor *cur = cursor_take(w, n);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more && !guarded; more = next_named(cur, false, &c))
        if ((is(c, sym->except_clause) || is(c, sym->except_group_clause)) &&
            catches_import_error(w, c))
            guarded = true;
    scope body = *sc;
    body.in_try = true;
    if (guarded)
        body.conditional = true;
    guint prev = add_event(w, sc, IMPVIZ_EV_TRY, node_line(n), 0, NULL, NULL);
    block(w, &body, field(n, w->field->body));
    ts_tree_cursor_reset(cur, n);
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
        scope h = body;
        TSSymbol t = ts_node_symbol(c);
        if (t == sym->except_clause || t == sym->except_group_clause) {
            h.conditional = true;
            link_clause(w, prev);
            prev = add_event(w, sc, IMPVIZ_EV_EXCEPT, node_line(c), 0, NULL, NULL);
            if (prev != G_MAXUINT)
                g_array_index(w->file->events, impviz_event, prev).catches = except_catches(w, c);
            clause_blocks(w, &h, c);
        } else if (t == sym->else_clause) {
            link_clause(w, prev);
            prev = add_event(w, sc, IMPVIZ_EV_ELSE, node_line(c), 0, NULL, NULL);
            clause_blocks(w, &h, c);
        }
    }
    link_clause(w, prev);
    add_event(w, sc, IMPVIZ_EV_END, ts_node_end_point(n).row + 1, 0, NULL, NULL);
    ts_tree_cursor_reset(cur, n);
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c))
        if (is(c, sym->finally_clause))
            clause_blocks(w, sc, c);
    cursor_give_back(w);
}

/* Is there a byte c between the end of a and the start of b (both not null)? */
static bool byte_between(walk *w, char c, TSNode a, TSNode b)
{
    uint32_t from = ts_node_end_byte(a), to = ts_node_start_byte(b);
    return to > from && memchr(w->src + from, c, to - from);
}

static void function_definition(walk *w, const scope *sc, TSNode n, TSNode stmt)
{
    TSNode code = field(n, w->field->body);
    /* defaults and annotations run when the def runs; the body runs later */
    if (!sc->in_function) {
        TSNode params = field(n, w->field->parameters);
        if (!ts_node_is_null(params))
            expression(w, sc, params, stmt, true, may_import_dynamically(w, params));
        /* a return annotation comes after a "->" (not looked for where there is none) */
        if (!w->future_annotations &&
            (ts_node_has_error(n) || ts_node_is_null(params) || ts_node_is_null(code) ||
             byte_between(w, '-', params, code))) {
            TSNode returns = field(n, w->field->return_type);
            if (!ts_node_is_null(returns))
                expression(w, sc, returns, stmt, true, false);
        }
    }
    scope body = *sc;
    body.in_function = true;
    body.in_class = false;
    block(w, &body, code);
    if (sc->in_function)
        return; /* add_event would drop the BIND of its name */
    TSNode name = field(n, w->field->name);
    if (!ts_node_is_null(name))
        add_event(w, sc, IMPVIZ_EV_BIND, node_line(n), 0, node_text(w, name), NULL);
}

static void class_definition(walk *w, const scope *sc, TSNode n, TSNode stmt)
{
    TSNode bases = field(n, w->field->superclasses);
    if (!ts_node_is_null(bases))
        expression(w, sc, bases, stmt, !sc->in_function, may_import_dynamically(w, bases));
    scope body = *sc; /* a class body runs at once, binding class attributes */
    body.in_class = true;
    block(w, &body, field(n, w->field->body));
    TSNode name = field(n, w->field->name);
    if (!ts_node_is_null(name))
        add_event(w, sc, IMPVIZ_EV_BIND, node_line(n), 0, node_text(w, name), NULL);
}

/* An expression statement: module-level assignments bind names and read others. */
static void expression_statement(walk *w, const scope *sc, TSNode n)
{
    const symbols *sym = w->sym;
    bool top = !sc->in_function && !sc->typing;
    bool dyn = may_import_dynamically(w, n);
    if (!top && !dyn)
        return;
    TSNode e = ts_node_named_child(n, 0);
    TSSymbol t = ts_node_is_null(e) ? 0 : ts_node_symbol(e);
    if (top && (t == sym->assignment || t == sym->augmented_assignment)) {
        TSNode left = field(e, w->field->left);
        TSNode right = field(e, w->field->right);
        if (is(left, sym->identifier) && text_is(w, left, "__lazy_modules__"))
            lazy_modules(w, e);
        if (!ts_node_is_null(right))
            expression(w, sc, right, n, true, dyn);
        /* an annotation comes after a ':' (not looked for where there is none) */
        TSNode type = {0};
        if (ts_node_has_error(e) || ts_node_is_null(left) || ts_node_is_null(right) ||
            byte_between(w, ':', left, right))
            type = field(e, w->field->type);
        if (!ts_node_is_null(type))
            expression(w, sc, type, n, true, false);
        guint first = w->file->events->len;
        if (!ts_node_is_null(right) || t == sym->augmented_assignment)
            bind_targets(w, sc, left);
        /* a = b = value binds every target of the chain */
        while (is(right, sym->assignment)) {
            bind_targets(w, sc, field(right, w->field->left));
            right = field(right, w->field->right);
        }
        if (is(right, sym->none) && t == sym->assignment && is(left, sym->identifier))
            mark_none(w, first);
        return;
    }
    expression(w, sc, n, n, top, dyn);
}

static void statement(walk *w, const scope *sc, TSNode n)
{
    const symbols *sym = w->sym;
    TSSymbol t = ts_node_symbol(n);
    if (t == sym->expression_statement) {
        expression_statement(w, sc, n);
    } else if (t == sym->function_definition) {
        function_definition(w, sc, n, n);
    } else if (t == sym->import_statement) {
        import_statement(w, sc, n, preceded_by_lazy(w, n));
    } else if (t == sym->import_from_statement) {
        import_from_statement(w, sc, n, preceded_by_lazy(w, n));
    } else if (t == sym->if_statement) {
        if_statement(w, sc, n);
    } else if (t == sym->for_statement) {
        scope body = *sc;
        body.uncertain = true;
        TSNode right = field(n, w->field->right);
        expression(w, sc, right, n, !sc->in_function, may_import_dynamically(w, right));
        bind_targets(w, &body, field(n, w->field->left));
        block(w, &body, field(n, w->field->body));
        TSNode alt = field(n, w->field->alternative);
        if (!ts_node_is_null(alt))
            block(w, &body, field(alt, w->field->body));
    } else if (t == sym->future_import_statement) {
        if (mentions(w, n, "annotations"))
            w->future_annotations = true;
    } else if (t == sym->class_definition) {
        class_definition(w, sc, n, n);
    } else if (t == sym->case_clause) { /* the arms of a match statement */
        block(w, sc, field(n, w->field->consequence));
    } else if (t == sym->decorated_definition) {
        TSTreeCursor *cur = cursor_take(w, n);
        TSNode c;
        for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c))
            if (is(c, sym->decorator))
                expression(w, sc, c, n, !sc->in_function, may_import_dynamically(w, c));
        cursor_give_back(w);
        TSNode def = field(n, w->field->definition);
        if (is(def, sym->function_definition))
            function_definition(w, sc, def, n);
        else if (is(def, sym->class_definition))
            class_definition(w, sc, def, n);
    } else if (t == sym->try_statement) {
        try_statement(w, sc, n);
    } else if (t == sym->while_statement) {
        scope body = *sc;
        body.uncertain = true;
        body.conditional = true;
        TSNode cond = field(n, w->field->condition);
        expression(w, sc, cond, n, !sc->in_function, may_import_dynamically(w, cond));
        block(w, &body, field(n, w->field->body));
    } else if (t == sym->with_statement) {
        TSTreeCursor *cur = cursor_take(w, n);
        TSNode c;
        for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
            if (!is(c, sym->with_clause))
                continue;
            expression(w, sc, c, n, !sc->in_function, may_import_dynamically(w, c));
            TSTreeCursor *items = cursor_take(w, c);
            TSNode item;
            for (bool any = next_named(items, true, &item); any;
                 any = next_named(items, false, &item)) {
                TSNode v = field(item, w->field->value);
                if (is(v, sym->as_pattern))
                    bind_targets(w, sc, field(v, w->field->alias));
            }
            cursor_give_back(w);
        }
        cursor_give_back(w);
        block(w, sc, field(n, w->field->body));
    } else if (t == sym->match_statement) {
        scope body = *sc;
        body.uncertain = true;
        body.conditional = true;
        block(w, &body, field(n, w->field->body));
    } else if (t == sym->block || t == sym->error) {
        block(w, sc, n); /* recovered garbage may still hold statements */
    } else if (ts_node_named_child_count(n) && may_import_dynamically(w, n)) {
        /* return, raise, assert, del, global ...: only dynamic imports can hide in them */
        expression(w, sc, n, n, false, true);
    }
}

/* Can block n be walked by jumping from word to word, passing over the statements between? In a
 * function only imports (each with the word "import") and dynamic imports (with theirs, unless
 * import_module has an alias) add anything, and reaching the nesting limit. Without a syntax
 * error each level of nesting but the first starts on a new line, so a block of few lines
 * cannot reach it. */
static bool can_jump(walk *w, const scope *sc, TSNode n)
{
    return sc->in_function && !w->import_module_aliased && !ts_node_has_error(n) &&
           sc->depth + (ts_node_end_point(n).row - ts_node_start_point(n).row) + 1 < MAX_DEPTH;
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
    TSNode c;
    TSTreeCursor *cur = NULL;
    bool more;
    if (can_jump(w, sc, n)) {
        uint32_t end = ts_node_end_byte(n), at = next_word(w, ts_node_start_byte(n));
        if (at >= end)
            return;
        cur = cursor_take(w, n);
        while (at < end) {
            /* the statement holding byte `at`: the first child ending after it; logarithmic
             * where a long run of statements is held in tree-sitter's hidden repeat nodes */
            ts_tree_cursor_reset(cur, n);
            if (ts_tree_cursor_goto_first_child_for_byte(cur, at + 1) < 0)
                break;
            c = ts_tree_cursor_current_node(cur);
            if (ts_node_is_named(c))
                statement(w, &inner, c);
            if (w->import_module_aliased) /* it bound an alias: read on, statement by statement */
                break;
            at = next_word(w, MAX(ts_node_end_byte(c), at + 1));
        }
        if (!w->import_module_aliased || at >= end) {
            cursor_give_back(w);
            return;
        }
        more = next_named(cur, false, &c); /* the cursor is still on the statement just read */
    } else {
        cur = cursor_take(w, n);
        more = next_named(cur, true, &c);
    }
    for (; more; more = next_named(cur, false, &c))
        statement(w, &inner, c);
    cursor_give_back(w);
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

/* g_utf8_validate_len, with the ASCII most source is made of skipped eight bytes at a time: the
 * first invalid byte (*bad) is the same. */
static bool utf8_validate(const char *s, size_t len, const char **bad)
{
    size_t i = 0;
    for (uint64_t word; i + 8 <= len; i += 8) {
        memcpy(&word, s + i, 8);
        if (word & UINT64_C(0x8080808080808080))
            break;
    }
    return g_utf8_validate_len(s + i, len - i, bad);
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
    if (!converted && !utf8_validate(bytes, len, &bad)) /* tree-sitter reads it anyway */
        f->invalid_utf8_line = line_at(bytes, (size_t)(bad - bytes));
    TSTree *tree = ts_parser_parse_string(parser->ts, NULL, bytes, (uint32_t)len);
    TSNode root = ts_tree_root_node(tree);
    walk w = {.src = bytes,
              .len = len,
              .file = f,
              .sym = &parser->sym,
              .field = &parser->field,
              .parser = parser};
    find_words(&w);
    scope sc = {0};
    block(&w, &sc, root);
    if (ts_node_has_error(root)) {
        /* count the broken parts: top-level ERROR or MISSING nodes */
        GArray *stack = parser->stack;
        g_array_set_size(stack, 0);
        pending first = {root, false};
        g_array_append_val(stack, first);
        while (stack->len) {
            TSNode n = g_array_index(stack, pending, stack->len - 1).node;
            g_array_set_size(stack, stack->len - 1);
            if (is(n, w.sym->error) && is_lazy_marker(&w, n))
                continue; /* PEP 810 syntax the grammar predates, not a broken part */
            if (is(n, w.sym->error) || ts_node_is_missing(n)) {
                if (!f->error_count++ || node_line(n) < f->first_error_line)
                    f->first_error_line = node_line(n);
                continue;
            }
            if (!ts_node_has_error(n))
                continue;
            guint from = stack->len;
            TSTreeCursor *cur = cursor_take(&w, n);
            for (bool more = ts_tree_cursor_goto_first_child(cur); more;
                 more = ts_tree_cursor_goto_next_sibling(cur)) {
                pending next = {ts_tree_cursor_current_node(cur), false};
                g_array_append_val(stack, next);
            }
            cursor_give_back(&w);
            reverse_from(stack, from);
        }
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
    g_array_unref(w.imports);
    g_array_unref(w.words);
    if (w.dots)
        g_array_unref(w.dots);
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
