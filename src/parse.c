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
 *
 * Broken parts: ERROR and MISSING nodes, and the Python 2 statements the grammar reads without
 * one (print, exec, `except E, e:`, <>), count as syntax errors. A module-level ERROR that
 * swallowed whole lines is parsed again from its first line at column 0, so that the
 * statements after a broken one are still read. A parse knows nothing of the file's place in
 * the project: names relative to it stay relative, IMPVIZ_IMPORT_SELF marking those that count
 * from the module itself (package=__name__) rather than from its package.
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
    X(augmented_assignment) X(binary_operator) X(block) X(call) X(case_clause) \
    X(class_definition) X(comment) X(comparison_operator) X(concatenated_string) \
    X(decorated_definition) X(decorator) X(delete_statement) X(dictionary) X(dictionary_splat) \
    X(dotted_name) X(elif_clause) X(else_clause) X(except_clause) X(except_group_clause) \
    X(exec_statement) X(expression_statement) X(finally_clause) X(for_statement) \
    X(function_definition) X(future_import_statement) X(identifier) X(if_statement) \
    X(import_from_statement) X(import_prefix) X(import_statement) X(integer) X(interpolation) \
    X(keyword_argument) X(lambda) X(list) X(list_splat) X(match_statement) X(named_expression) \
    X(none) X(not_operator) X(pair) X(parenthesized_expression) X(print_statement) \
    X(raise_statement) X(relative_import) X(set) X(string) X(string_content) X(string_start) \
    X(subscript) X(try_statement) X(tuple) X(type) X(typed_parameter) X(while_statement) \
    X(wildcard_import) X(with_clause) X(with_statement)
#define WALK_FIELDS(X) \
    X(alias) X(alternative) X(argument) X(arguments) X(attribute) X(body) X(condition) \
    X(consequence) X(definition) X(expression) X(function) X(key) X(left) X(module_name) \
    X(name) X(object) X(operator) X(operators) X(parameters) X(return_type) X(right) \
    X(superclasses) X(type) X(value)
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

/* Python 2 the grammar parses without an error: `print x`, `exec code`, `a <> b`. Where the
 * bytes look like one, to be confirmed on the tree. Not `print >>f, x` (Python 3 too: a tuple
 * holding a shift) nor `except E, e:` (Python 3.14: catches E or e, PEP 758). */
typedef enum { PY2_PRINT, PY2_EXEC, PY2_NOT_EQUAL } py2_word;

typedef struct {
    uint32_t at;
    py2_word what;
} py2_hint;

/* A module-level def, for replaying its body where module-level code calls it. */
typedef struct {
    TSNode def;      /* its function_definition; valid while its tree lives */
    GArray *imports; /* guint indices of the imports its own body runs (not nested defs'), or
                        NULL */
} def_info;

static void def_info_free(gpointer p)
{
    def_info *d = p;
    if (d->imports)
        g_array_unref(d->imports);
    g_free(d);
}

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
    GArray *py2;                     /* py2_hint, or NULL */
    GArray *dots;                    /* uint32_t offsets of '.' in ascending order, or NULL */
    GHashTable *lazy_modules;        /* names in __lazy_modules__ -> NULL, or NULL */
    const char *package;             /* the module's __package__ (borrowed), or NULL: unknown */
    bool package_used;               /* a relative import was looked up in __lazy_modules__ */
    GHashTable *importlib_names;     /* names bound to the importlib module */
    GHashTable *import_module_names; /* names bound to importlib.import_module */
    GHashTable *lazy_loader_names;   /* names bound to the lazy_loader module */
    GHashTable *attach_names;        /* names bound to lazy_loader.attach */
    bool dynamic_aliased;            /* import_module or attach bound to another name */
    bool too_deep;
    bool future_annotations; /* `from __future__ import annotations`: annotations never run */
    TSNode root;             /* the module */
    uint32_t reparsed;       /* bytes parsed again to salvage statements from broken parts */
    TSNode getattr_param;    /* in a module-level __getattr__(name): name; else null */
    GPtrArray *getattr_subs; /* there, under `if name in <literal>`: its strings; else NULL */
    GHashTable *defs;        /* module-level def name (interned) -> def_info *, or NULL */
    def_info *recording;     /* the module-level def whose body is walked now, or NULL */
    GArray *parens;          /* uint32_t offsets of '(' in ascending order, or NULL */
    GArray *walruses;        /* uint32_t offsets of ':=' in ascending order, or NULL */
    GArray *calls;           /* TSNode: calls of module-level defs an expression walk met */
    const def_info *replay;  /* the def whose body is replayed at a call now, or NULL */
    guint replay_next;       /* replay: its next import to emit */
    guint call_line;         /* replay: the call's line and source line */
    const char *call_context;
    guint class_line; /* replay: the module-level class around the call, or 0 */
    const char *class_context;
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
    guint class_line; /* in_class: the line of the module-level class statement, or 0 */
    const char *class_context;
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

/* Is n's text s? False for a null node (a field a broken statement lacks). */
static bool text_is(walk *w, TSNode n, const char *s)
{
    if (ts_node_is_null(n))
        return false;
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

/* n without the parentheses around it. */
static TSNode unparenthesized(walk *w, TSNode n)
{
    while (is(n, w->sym->parenthesized_expression) && ts_node_named_child_count(n) == 1)
        n = ts_node_named_child(n, 0);
    return n;
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

static bool is_name_byte(char c)
{
    return g_ascii_isalnum(c) || c == '_' || (c & 0x80);
}

/* Remembers a Python 2 word at `at` (len bytes) that stands alone and is followed as only in
 * Python 2: `print x`, `print "x"`, `exec code`; `<>` always. */
static void python2_hint(walk *w, uint32_t at, uint32_t len, py2_word what)
{
    const char *s = w->src;
    uint32_t end = at + len, j = end;
    if (what != PY2_NOT_EQUAL) {
        if ((at > 0 && (is_name_byte(s[at - 1]) || s[at - 1] == '.')) ||
            (end < w->len && is_name_byte(s[end])))
            return;
        while (j < w->len && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j >= w->len)
            return;
    }
    if (what == PY2_PRINT || what == PY2_EXEC) {
        bool quote = s[j] == '"' || s[j] == '\'';
        if (what == PY2_EXEC ? j == end || !(quote || is_name_byte(s[j]))
                             : !quote && (j == end || !s[j] || strchr("(\r\n#;=.,)]}:\\<>", s[j])))
            return;
    }
    if (!w->py2)
        w->py2 = g_array_new(FALSE, FALSE, sizeof(py2_hint));
    py2_hint h = {at, what};
    g_array_append_val(w->py2, h);
}

/* Every occurrence of the words that matter, overlapping ones included, found once per file:
 * "import" (its 'p' is rarer than its other letters), and around it import_module and
 * __import__; attach (by its 'h'); Python 2's print (by its 'p'), exec (by its 'x') and
 * <>. */
static void find_words(walk *w)
{
    w->imports = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    w->words = g_array_new(FALSE, FALSE, sizeof(span));
    const char *s = w->src, *end = w->src + w->len;
    for (const char *p = s; (p = memchr(p, 'p', (size_t)(end - p))); p++) {
        if (p - s < 2 || end - p < 4 || memcmp(p - 2, "import", 6) != 0) {
            if (end - p >= 5 && memcmp(p, "print", 5) == 0)
                python2_hint(w, (uint32_t)(p - s), 5, PY2_PRINT);
            continue;
        }
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
    for (const char *p = s; (p = memchr(p, 'x', (size_t)(end - p))); p++)
        if (p - s >= 1 && end - p >= 3 && memcmp(p - 1, "exec", 4) == 0)
            python2_hint(w, (uint32_t)(p - 1 - s), 4, PY2_EXEC);
    for (const char *p = s; (p = memchr(p, '<', (size_t)(end - p))); p++)
        if (end - p >= 2 && p[1] == '>')
            python2_hint(w, (uint32_t)(p - s), 2, PY2_NOT_EQUAL);
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
 * importlib.import_module or lazy_loader.attach? Then it may hold a dynamic import. */
static bool may_import_dynamically(walk *w, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    const span *words = (const span *)(void *)w->words->data;
    for (guint i = first_span_at_or_after(words, w->words->len, a);
         i < w->words->len && words[i].start < b; i++)
        if (words[i].end <= b)
            return true;
    /* calls through an alias (from importlib import import_module as load) */
    if (w->dynamic_aliased) {
        GHashTable *sets[2] = {w->import_module_names, w->attach_names};
        for (int k = 0; k < 2; k++) {
            if (!sets[k])
                continue;
            GHashTableIter it;
            gpointer key;
            g_hash_table_iter_init(&it, sets[k]);
            while (g_hash_table_iter_next(&it, &key, NULL))
                if (strcmp(key, "import_module") != 0 && strcmp(key, "attach") != 0 &&
                    mentions(w, n, key))
                    return true;
        }
    }
    return false;
}

/* Does n's text hold byte c (followed by byte next, unless next is 0)? *at (built on first use,
 * owned by the walk) lists every such offset in the file, so each question costs a binary
 * search. */
static bool holds_bytes(walk *w, TSNode n, char c, char next, GArray **at)
{
    if (!*at) {
        *at = g_array_new(FALSE, FALSE, sizeof(uint32_t));
        const char *end = w->src + w->len;
        for (const char *p = w->src; (p = memchr(p, c, (size_t)(end - p))); p++) {
            uint32_t off = (uint32_t)(p - w->src);
            if (!next || (p + 1 < end && p[1] == next))
                g_array_append_val(*at, off);
        }
    }
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    const uint32_t *offs = (const uint32_t *)(void *)(*at)->data;
    guint i = first_at_or_after(offs, (*at)->len, a);
    return i < (*at)->len && offs[i] < b;
}

/* Does n's text hold a '.'? Without one (and without a syntax error, which could stand for a
 * missing one) it holds no attribute. */
static bool has_dot(walk *w, TSNode n)
{
    return holds_bytes(w, n, '.', 0, &w->dots);
}

/* Does n's text hold a '('? Without one it calls nothing. */
static bool has_paren(walk *w, TSNode n)
{
    return holds_bytes(w, n, '(', 0, &w->parens);
}

/* Does n's text hold a ':=' (an assignment expression, PEP 572)? */
static bool has_walrus(walk *w, TSNode n)
{
    return holds_bytes(w, n, ':', '=', &w->walruses);
}

/* The longest statement text kept, in bytes (see statement_text). */
#define STATEMENT_MAX 240

/* A statement's text on one line: whitespace runs collapsed, comments and backslash
 * continuations dropped, no space just inside parentheses; cut past STATEMENT_MAX bytes. */
static const char *statement_text(walk *w, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    /* every space written stands for at least one blank read: b - a bytes hold the text, and
     * 4 more the " ..." of a cut */
    GString *buf = w->parser->text;
    g_string_set_size(buf, b - a + 4);
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
    /* Every import record carries its statement into the reports: one statement of 200 000
     * names would make each of its records 2 MB long. Past STATEMENT_MAX bytes the text is cut
     * (at a character boundary) and ends in " ...". */
    if (k > STATEMENT_MAX) {
        k = STATEMENT_MAX;
        while (k > 0 && ((guchar)o[k] & 0xC0) == 0x80)
            k--;
        while (k > 0 && o[k - 1] == ' ')
            k--;
        memcpy(o + k, " ...", 4);
        k += 4;
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
    guint index = w->file->imports->len - 1;
    if (w->recording && !sc->typing && !sc->never) { /* runs when the def is called */
        if (!w->recording->imports)
            w->recording->imports = g_array_new(FALSE, FALSE, sizeof(guint));
        g_array_append_val(w->recording->imports, index);
    }
    return index;
}

/* Appends a module-level event; returns its index, or G_MAXUINT when the scope never runs at
 * import time (a function body, TYPE_CHECKING, the __main__ guard) and nothing was added. */
static guint add_event(walk *w, const scope *sc, impviz_event_type type, guint line,
                       guint import_index, const char *name, const char *context)
{
    if (sc->in_function || sc->typing || sc->never)
        return G_MAXUINT;
    if ((type == IMPVIZ_EV_BIND || type == IMPVIZ_EV_UNBIND) && (sc->in_class || w->replay))
        return G_MAXUINT; /* a class attribute or a function's local, not a module-level name */
    impviz_event ev = {.type = type,
                       .line = line,
                       .import_index = import_index,
                       .name = name,
                       .context = context,
                       .uncertain = sc->uncertain,
                       .class_body = sc->in_class,
                       .class_line = sc->in_class ? sc->class_line : 0,
                       .class_context = sc->in_class ? sc->class_context : NULL};
    if (w->replay) { /* a function's body may return early or branch: an assumption */
        ev.uncertain = true;
        ev.call_line = w->call_line;
        ev.call_context = w->call_context;
        ev.class_body = w->class_line != 0;
        ev.class_line = w->class_line;
        ev.class_context = w->class_context;
    }
    g_array_append_val(w->file->events, ev);
    return w->file->events->len - 1;
}

/* Compound statements whose block may open with `lazy import` at module level (PEP 810): not a
 * def, a class or any clause of a try, where CPython 3.15 rejects it. There the recovered
 * `lazy` before the block stays a syntax error and the import keeps its kind. */
static bool lazy_block_holder(walk *w, TSNode holder)
{
    TSSymbol t = ts_node_symbol(holder);
    if (t == w->sym->else_clause) /* the else of an if, for or while; not of a try */
        return !is(ts_node_parent(holder), w->sym->try_statement);
    return t == w->sym->if_statement || t == w->sym->elif_clause || t == w->sym->with_statement ||
           t == w->sym->for_statement || t == w->sym->while_statement || t == w->sym->case_clause;
}

/* `lazy import x` predates the pinned grammar: it recovers as an ERROR (or an expression
 * statement) holding the single identifier `lazy`, just before the import on the same line. When
 * the import opens a block (`if c:` then `lazy import x`, or `if c: lazy import x`), that ERROR
 * is a child of the compound statement, just before the block. */
static bool preceded_by_lazy(walk *w, TSNode stmt)
{
    /* the bytes first: finding the previous sibling costs a walk over all of them */
    uint32_t at = ts_node_start_byte(stmt);
    while (at > 0 && (w->src[at - 1] == ' ' || w->src[at - 1] == '\t'))
        at--;
    if (at < 4 || memcmp(w->src + at - 4, "lazy", 4) != 0)
        return false;
    TSNode prev = ts_node_prev_sibling(stmt);
    if (ts_node_is_null(prev)) { /* the first statement of its block */
        TSNode blk = ts_node_parent(stmt);
        if (!is(blk, w->sym->block))
            return false;
        prev = ts_node_prev_sibling(blk);
        if (!is(prev, w->sym->error) || !lazy_block_holder(w, ts_node_parent(blk)))
            return false;
    }
    if (ts_node_is_null(prev) || ts_node_end_point(prev).row != ts_node_start_point(stmt).row)
        return false;
    if (!is(prev, w->sym->error) && !is(prev, w->sym->expression_statement))
        return false;
    return text_is(w, prev, "lazy");
}

/* The ERROR node holding `lazy` before an import on the same line, or before a block that
 * opens with one. */
static bool is_lazy_marker(walk *w, TSNode n)
{
    if (!text_is(w, n, "lazy"))
        return false;
    TSNode next = ts_node_next_sibling(n);
    if (is(next, w->sym->block))
        next = ts_node_named_child(next, 0);
    return !ts_node_is_null(next) &&
           (is(next, w->sym->import_statement) || is(next, w->sym->import_from_statement)) &&
           preceded_by_lazy(w, next);
}

/* PEP 810: lazy imports only at module level, not in classes or try blocks, never star. Where
 * `lazy` is not allowed, __lazy_modules__ does not apply either. */
static bool lazy_allowed(const scope *sc)
{
    return !sc->in_function && !sc->in_class && !sc->in_try && !sc->typing;
}

/* Is the module an import statement names in the __lazy_modules__ assigned so far? CPython
 * looks up its absolute name: `from .m import x` in package p is "p.m", `from . import m` is
 * "p" (PEP 810: from-imports of a listed module are lazy, not imports of its submodules). A
 * relative name needs the module's package: unknown, or one the dots climb above, lists
 * nothing. */
static bool listed_lazy(walk *w, guint level, const char *module)
{
    if (!w->lazy_modules || g_hash_table_size(w->lazy_modules) == 0)
        return false;
    if (level == 0)
        return g_hash_table_contains(w->lazy_modules, module);
    if (!w->package)
        return false;
    w->package_used = true;
    size_t len = strlen(w->package);
    for (guint climb = level - 1; climb > 0 && len > 0; climb--)
        while (len > 0 && w->package[--len] != '.')
            ;
    if (len == 0)
        return false;
    char *absolute = *module ? g_strdup_printf("%.*s.%s", (int)len, w->package, module)
                             : g_strndup(w->package, len);
    bool listed = g_hash_table_contains(w->lazy_modules, absolute);
    g_free(absolute);
    return listed;
}

/* Remembers names that stand for importlib, importlib.import_module, lazy_loader or
 * lazy_loader.attach, to spot dynamic imports made through aliases. */
static void note_importlib(walk *w, const char *module, const char *name, const char *bound)
{
    GHashTable **set = NULL;
    if (!bound)
        return;
    if (strcmp(module, "importlib") == 0)
        set = name ? (strcmp(name, "import_module") == 0 ? &w->import_module_names : NULL)
                   : &w->importlib_names;
    else if (strcmp(module, "lazy_loader") == 0)
        set =
            name ? (strcmp(name, "attach") == 0 ? &w->attach_names : NULL) : &w->lazy_loader_names;
    if (!set)
        return;
    if (!*set)
        *set = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_add(*set, (gpointer)bound);
    if ((set == &w->import_module_names && strcmp(bound, "import_module") != 0) ||
        (set == &w->attach_names && strcmp(bound, "attach") != 0))
        w->dynamic_aliased = true;
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
        if (imp->kind == IMPVIZ_EAGER && lazy_allowed(sc) && (lazy || listed_lazy(w, 0, module)))
            imp->kind = IMPVIZ_LAZY;
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
        if (imp->kind == IMPVIZ_EAGER && lazy_allowed(sc) && !(flags & IMPVIZ_IMPORT_STAR) &&
            (lazy || listed_lazy(w, level, module)))
            imp->kind = IMPVIZ_LAZY;
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

/* The content of one plain string (no f-string), or NULL. */
static const char *plain_string(walk *w, TSNode n)
{
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

/* The content of a plain string literal, implicit concatenations ('a' 'b') joined; NULL for
 * anything else, f-strings included. */
static const char *string_literal(walk *w, TSNode n)
{
    if (is(n, w->sym->string)) /* a missing argument is a null node */
        return plain_string(w, n);
    if (!is(n, w->sym->concatenated_string))
        return NULL;
    GString *joined = g_string_new(NULL);
    bool plain = true;
    TSTreeCursor *cur = cursor_take(w, n);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more && plain; more = next_named(cur, false, &c)) {
        if (is(c, w->sym->comment))
            continue;
        const char *part = is(c, w->sym->string) ? plain_string(w, c) : NULL;
        if (part)
            g_string_append(joined, part);
        else
            plain = false;
    }
    cursor_give_back(w);
    const char *content =
        plain ? g_string_chunk_insert_len(w->file->strings, joined->str, (gssize)joined->len)
              : NULL;
    g_string_free(joined, TRUE);
    return content;
}

/* The non-empty strings of a literal collection: a list, tuple or set display, or set(),
 * frozenset(), list() or tuple() of one; other items are passed over. False when n is none of
 * these. */
static bool literal_strings(walk *w, TSNode n, GPtrArray *out)
{
    if (is(n, w->sym->call)) {
        TSNode fn = field(n, w->field->function), args = field(n, w->field->arguments);
        if (!is(fn, w->sym->identifier) ||
            !(text_is(w, fn, "set") || text_is(w, fn, "frozenset") || text_is(w, fn, "list") ||
              text_is(w, fn, "tuple")) ||
            !is(args, w->sym->argument_list))
            return false;
        TSNode only = {0};
        guint count = 0;
        TSTreeCursor *cur = cursor_take(w, args);
        TSNode a;
        for (bool more = next_named(cur, true, &a); more; more = next_named(cur, false, &a))
            if (!is(a, w->sym->comment) && count++ == 0)
                only = a;
        cursor_give_back(w);
        if (count != 1)
            return false;
        n = only;
    }
    if (!is(n, w->sym->list) && !is(n, w->sym->tuple) && !is(n, w->sym->set))
        return false;
    TSTreeCursor *cur = cursor_take(w, n);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
        const char *s = string_literal(w, c);
        if (s && *s)
            g_ptr_array_add(out, (gpointer)s);
    }
    cursor_give_back(w);
    return true;
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

/* Where a relative name counts from, as import_module's package argument or lazy_loader.attach's
 * first one gives it: __package__ and __spec__.parent name the module's package, __name__ the
 * module itself (IMPVIZ_IMPORT_SELF added to *flags: the same in a package's __init__), a
 * literal names itself (*literal). False for anything else: computed at run time. */
static bool anchor_of(walk *w, TSNode pkg, const char **literal, guint *flags)
{
    *literal = NULL;
    pkg = unparenthesized(w, pkg);
    if (is(pkg, w->sym->identifier)) {
        if (text_is(w, pkg, "__name__"))
            *flags |= IMPVIZ_IMPORT_SELF;
        return text_is(w, pkg, "__name__") || text_is(w, pkg, "__package__");
    }
    if (is(pkg, w->sym->attribute)) {
        TSNode obj = field(pkg, w->field->object);
        return is(obj, w->sym->identifier) && text_is(w, obj, "__spec__") &&
               text_is(w, field(pkg, w->field->attribute), "parent");
    }
    *literal = string_literal(w, pkg);
    return *literal && **literal;
}

/* import_module(name, pkg) with the name known (interned): a relative name is resolved here
 * against a literal package, as importlib does, and left relative to the module otherwise. */
static void import_module_name(walk *w, const scope *sc, TSNode call, const char *statement,
                               const char *name, TSNode pkg)
{
    if (!*name)
        return;
    guint level = 0;
    while (name[level] == '.')
        level++;
    const char *module = name + level;
    guint flags = IMPVIZ_IMPORT_DYNAMIC;
    const char *anchor = NULL;
    /* a relative name without its package raises TypeError */
    if (level && (ts_node_is_null(pkg) || !anchor_of(w, pkg, &anchor, &flags)))
        return;
    if (level && anchor) {
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
    }
    add_dynamic(w, sc, call, statement, level, module, NULL, flags);
}

/* Do a and b hold the same text? */
static bool same_text(walk *w, TSNode a, TSNode b)
{
    uint32_t a0 = ts_node_start_byte(a), a1 = ts_node_end_byte(a);
    uint32_t b0 = ts_node_start_byte(b), b1 = ts_node_end_byte(b);
    return a1 - a0 == b1 - b0 && memcmp(w->src + a0, w->src + b0, a1 - a0) == 0;
}

/* The pieces of a name built at run time, in order: the text and interpolated expressions of
 * an f-string, or the operands of a + b + c. At most max; 0 when it is neither, or an f-string
 * piece is one this reading cannot take literally (a conversion, a format, an escape). */
static guint name_parts(walk *w, TSNode arg, TSNode *parts, guint max)
{
    guint n = 0;
    if (is(arg, w->sym->string)) {
        TSTreeCursor *cur = cursor_take(w, arg);
        TSNode c;
        bool whole = true;
        for (bool more = next_named(cur, true, &c); more && whole;
             more = next_named(cur, false, &c)) {
            TSSymbol t = ts_node_symbol(c);
            uint32_t from = ts_node_start_byte(c), len = ts_node_end_byte(c) - from;
            if (t == w->sym->string_content) {
                /* {{ and escapes do not stand for themselves */
                whole = n < max && !memchr(w->src + from, '{', len) &&
                        !memchr(w->src + from, '\\', len);
                if (whole)
                    parts[n++] = c;
            } else if (t == w->sym->interpolation) {
                whole = n < max && ts_node_named_child_count(c) == 1; /* no !r, no :fmt */
                if (whole)
                    parts[n++] = field(c, w->field->expression);
            }
        }
        if (!whole)
            n = 0;
        cursor_give_back(w);
        return n;
    }
    TSNode right[16];
    guint k = 0;
    while (is(arg, w->sym->binary_operator) && text_is(w, field(arg, w->field->operator), "+")) {
        if (k + 1 >= MIN(max, G_N_ELEMENTS(right)))
            return 0;
        right[k++] = unparenthesized(w, field(arg, w->field->right));
        arg = unparenthesized(w, field(arg, w->field->left));
    }
    if (!k)
        return 0;
    parts[n++] = arg;
    while (k > 0)
        parts[n++] = right[--k];
    return n;
}

/* Is n __name__, __package__ or __spec__.parent? */
static bool is_module_anchor(walk *w, TSNode n)
{
    const char *literal;
    guint flags = 0;
    return (is(n, w->sym->identifier) || is(n, w->sym->attribute)) &&
           anchor_of(w, n, &literal, &flags);
}

/* The submodules a PEP 562 __getattr__(name) imports by name under `if name in <literal>`:
 * import_module(X) where X is name after literal text (f'pkg.{name}', 'pkg.' + name, name,
 * f'.{name}' with a package argument), or after __name__, __package__ or __spec__.parent and
 * a dot (f'{__name__}.{name}', __name__ + '.' + name). One dynamic import each. */
static void getattr_import(walk *w, const scope *sc, TSNode call, TSNode stmt, TSNode arg,
                           TSNode pkg)
{
    TSNode parts[16];
    arg = unparenthesized(w, arg);
    guint n = is(arg, w->sym->identifier) ? (parts[0] = arg, 1)
                                          : name_parts(w, arg, parts, G_N_ELEMENTS(parts));
    if (!n || !is(parts[n - 1], w->sym->identifier) ||
        !same_text(w, parts[n - 1], w->getattr_param))
        return;
    guint first = 0;
    if (n > 1 && is_module_anchor(w, parts[0])) { /* __name__ + '.x.': relative to it */
        pkg = parts[0];
        first = 1;
    }
    GString *prefix = g_string_new(NULL);
    bool literal = true;
    for (guint i = first; i + 1 < n && literal; i++) {
        if (is(parts[i], w->sym->string_content)) {
            uint32_t a = ts_node_start_byte(parts[i]), b = ts_node_end_byte(parts[i]);
            g_string_append_len(prefix, w->src + a, (gssize)(b - a));
        } else {
            const char *s = string_literal(w, parts[i]);
            if (s)
                g_string_append(prefix, s);
            literal = s != NULL;
        }
    }
    if (literal && (!first || prefix->str[0] == '.')) {
        const char *statement = statement_text(w, stmt);
        guint len = (guint)prefix->len;
        for (guint i = 0; i < w->getattr_subs->len; i++) {
            g_string_truncate(prefix, len);
            g_string_append(prefix, g_ptr_array_index(w->getattr_subs, i));
            const char *name = g_string_chunk_insert(w->file->strings, prefix->str);
            import_module_name(w, sc, call, statement, name, pkg);
        }
    }
    g_string_free(prefix, TRUE);
}

static void import_module_call(walk *w, const scope *sc, TSNode args, TSNode call, TSNode stmt)
{
    TSNode arg = call_arg(w, args, 0, "name"), pkg = call_arg(w, args, 1, "package");
    const char *name = string_literal(w, arg);
    if (name)
        import_module_name(w, sc, call, statement_text(w, stmt), name, pkg);
    else if (w->getattr_subs)
        getattr_import(w, sc, call, stmt, arg, pkg);
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

/* lazy_loader.attach(__name__, submodules=[...], submod_attrs={...}): lazy submodules of the
 * package named first (__name__, __package__, __spec__.parent or a literal). */
static void attach_call(walk *w, const scope *sc, TSNode args, TSNode call, TSNode stmt)
{
    const char *anchor = NULL;
    guint flags = IMPVIZ_IMPORT_FROM | IMPVIZ_IMPORT_ATTACH | IMPVIZ_IMPORT_DYNAMIC;
    TSNode pkg = call_arg(w, args, 0, "package_name");
    if (ts_node_is_null(pkg) || !anchor_of(w, pkg, &anchor, &flags))
        return;
    GPtrArray *subs = g_ptr_array_new();
    literal_strings(w, call_arg(w, args, 1, "submodules"), subs);
    TSNode attrs = call_arg(w, args, 2, "submod_attrs");
    if (is(attrs, w->sym->dictionary)) {
        TSTreeCursor *cur = cursor_take(w, attrs);
        TSNode item;
        for (bool more = next_named(cur, true, &item); more; more = next_named(cur, false, &item)) {
            const char *sub =
                is(item, w->sym->pair) ? string_literal(w, field(item, w->field->key)) : NULL;
            if (sub && *sub)
                g_ptr_array_add(subs, (gpointer)sub);
        }
        cursor_give_back(w);
    }
    const char *statement = subs->len ? statement_text(w, stmt) : NULL;
    for (guint i = 0; i < subs->len; i++) {
        guint idx = add_import(w, sc, call, statement, anchor ? 0 : 1, anchor ? anchor : "",
                               g_ptr_array_index(subs, i), NULL, flags);
        impviz_import *imp = &g_array_index(w->file->imports, impviz_import, idx);
        if (imp->kind == IMPVIZ_EAGER)
            imp->kind = IMPVIZ_LAZY;
    }
    g_ptr_array_unref(subs);
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
    } else if (in_set(w->attach_names, w, fn)) { /* from lazy_loader import attach */
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
 * binding (`:=`), a dynamic import (its words)? A syntax error may hide any. */
static bool may_matter(walk *w, TSNode n, bool uses, bool calls)
{
    return ts_node_has_error(n) ||
           (uses && (has_dot(w, n) ||
                     (!w->replay && ((w->defs && has_paren(w, n)) || has_walrus(w, n))))) ||
           (calls && may_import_dynamically(w, n));
}

/* The module-level def a call names by its plain name, or NULL. */
static const def_info *called_def(walk *w, TSNode call)
{
    TSNode fn = field(call, w->field->function);
    if (!is(fn, w->sym->identifier))
        return NULL;
    char key[256];
    uint32_t a = ts_node_start_byte(fn), b = ts_node_end_byte(fn);
    if (b - a >= sizeof key)
        return NULL;
    memcpy(key, w->src + a, b - a);
    key[b - a] = '\0';
    return g_hash_table_lookup(w->defs, key);
}

static void block(walk *w, const scope *sc, TSNode n);

/* Replay: the IMPORT events of the replayed def's imports on lines up to `line`, in order. */
static void replay_imports(walk *w, guint line)
{
    const GArray *imports = w->replay->imports;
    scope top = {.uncertain = true};
    for (; imports && w->replay_next < imports->len; w->replay_next++) {
        guint index = g_array_index(imports, guint, w->replay_next);
        guint at = g_array_index(w->file->imports, impviz_import, index).line;
        if (at > line)
            break;
        add_event(w, &top, IMPVIZ_EV_IMPORT, at, index, NULL, NULL);
    }
}

/* A module-level call of a module-level def (defined before it, or the name would not be
 * bound): the events its body produces run here, at the call. Its imports (records of kind
 * deferred, made when the def was walked) and attribute uses become events of the call, all
 * uncertain: the body may branch or return early. One level: calls in the body are not
 * followed. Not for an async def or a generator: calling one runs none of its body. */
static void replay_call(walk *w, const scope *sc, TSNode call)
{
    const def_info *d = called_def(w, call);
    if (!d || w->src[ts_node_start_byte(d->def)] == 'a') /* async def */
        return;
    TSNode body = field(d->def, w->field->body);
    if (ts_node_is_null(body) || mentions(w, body, "yield"))
        return;
    scope inner = {
        .uncertain = true, .conditional = true, .in_try = sc->in_try, .depth = sc->depth};
    w->replay = d;
    w->replay_next = 0;
    w->call_line = node_line(call);
    w->call_context = line_text(w, call);
    w->class_line = sc->in_class ? sc->class_line : 0;
    w->class_context = sc->in_class ? sc->class_context : NULL;
    block(w, &inner, body);
    replay_imports(w, G_MAXUINT);
    w->replay = NULL;
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
    want_calls = want_calls && !w->replay; /* a replayed body's imports have their records */
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
        if (t == sym->named_expression && uses) { /* binds in the module, comprehension or not */
            TSNode name = field(n, w->field->name);
            if (is(name, sym->identifier))
                add_event(w, here, IMPVIZ_EV_BIND, node_line(n), 0, node_text(w, name), NULL);
        }
        if (t == sym->attribute && uses && use_attribute(w, here, n))
            continue; /* a plain chain a.b.X: its inner a.b is part of the one use */
        /* otherwise arguments inside the chain, e.g. a.f(x).y, still need a look */
        if (t == sym->call && want_calls)
            dynamic_call(w, here, n, stmt);
        if (t == sym->call && uses && w->defs && !w->replay && called_def(w, n)) {
            if (!w->calls)
                w->calls = g_array_new(FALSE, FALSE, sizeof(TSNode));
            g_array_append_val(w->calls, n);
        }
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
    /* after the walk, which shares the stack with the replays: a call's arguments run first */
    if (!w->replay && w->calls && w->calls->len) {
        for (guint i = 0; i < w->calls->len; i++)
            replay_call(w, sc, g_array_index(w->calls, TSNode, i));
        g_array_set_size(w->calls, 0);
    }
}

/* Names a target binds: identifiers in `a, (b, c) = ...`, `for x in`, `with ... as y`, in
 * source order, as events of type (BIND; UNBIND for `del`). Iterative: a target can nest
 * 300 000 parentheses deep. Nothing when the scope binds no module-level name. */
static void name_targets(walk *w, const scope *sc, TSNode root, impviz_event_type type)
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
            add_event(w, sc, type, node_line(n), 0, node_text(w, n), NULL);
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

static void bind_targets(walk *w, const scope *sc, TSNode root)
{
    name_targets(w, sc, root, IMPVIZ_EV_BIND);
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

/* __lazy_modules__ = [...] at module level: from here on the imports of the modules named are
 * lazy. An assignment replaces the names (with none when its value is no literal), `+=` or `|=`
 * adds to them. */
static void lazy_modules(walk *w, TSNode assign, bool augmented)
{
    if (!w->lazy_modules)
        w->lazy_modules = g_hash_table_new(g_str_hash, g_str_equal);
    if (!augmented)
        g_hash_table_remove_all(w->lazy_modules);
    GPtrArray *names = g_ptr_array_new();
    literal_strings(w, field(assign, w->field->right), names);
    for (guint i = 0; i < names->len; i++)
        g_hash_table_add(w->lazy_modules, g_ptr_array_index(names, i));
    g_ptr_array_unref(names);
}

/* The strings of the literal last assigned to `name` by a plain `name = ...` statement of the
 * module (a PEP 562 __getattr__ reads it once the module has run); false when there is none. */
static bool module_literal(walk *w, TSNode name, GPtrArray *out)
{
    TSNode value = {0};
    TSTreeCursor *cur = cursor_take(w, w->root);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
        TSNode e = is(c, w->sym->expression_statement) ? ts_node_named_child(c, 0) : (TSNode){0};
        if (!is(e, w->sym->assignment))
            continue;
        TSNode left = field(e, w->field->left), right = field(e, w->field->right);
        if (is(left, w->sym->identifier) && same_text(w, left, name) && !ts_node_is_null(right) &&
            !is(right, w->sym->assignment))
            value = right;
    }
    cursor_give_back(w);
    return !ts_node_is_null(value) && literal_strings(w, value, out);
}

/* In a module-level __getattr__(name): the strings of `<literal>` in the condition
 * `name in <literal>`, the literal written there or assigned to a module-level name. A new
 * array, or NULL. */
static GPtrArray *getattr_guard(walk *w, TSNode cond)
{
    if (ts_node_is_null(w->getattr_param))
        return NULL;
    cond = unparenthesized(w, cond);
    if (!is(cond, w->sym->comparison_operator) || ts_node_named_child_count(cond) != 2 ||
        !text_is(w, field(cond, w->field->operators), "in"))
        return NULL;
    TSNode left = ts_node_named_child(cond, 0);
    TSNode right = unparenthesized(w, ts_node_named_child(cond, 1));
    if (!is(left, w->sym->identifier) || !same_text(w, left, w->getattr_param))
        return NULL;
    GPtrArray *subs = g_ptr_array_new();
    if (!(is(right, w->sym->identifier) ? module_literal(w, right, subs)
                                        : literal_strings(w, right, subs)) ||
        !subs->len) {
        g_ptr_array_unref(subs);
        return NULL;
    }
    return subs;
}

/* ---- statements ------------------------------------------------------------------------- */

static void statement(walk *w, const scope *sc, TSNode n);

/* `TYPE_CHECKING` or `anything.TYPE_CHECKING`, in parentheses or not. */
static bool is_type_checking(walk *w, TSNode cond)
{
    cond = unparenthesized(w, cond);
    if (is(cond, w->sym->identifier))
        return text_is(w, cond, "TYPE_CHECKING");
    if (is(cond, w->sym->attribute))
        return text_is(w, field(cond, w->field->attribute), "TYPE_CHECKING");
    return false;
}

static bool is_not_type_checking(walk *w, TSNode cond)
{
    cond = unparenthesized(w, cond);
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

/* How far an if statement's clauses tell what runs, TYPE_CHECKING being False on import and True
 * for type checkers. */
typedef struct {
    bool typing;  /* past a `not TYPE_CHECKING` condition: what follows runs for type checkers */
    bool certain; /* every condition so far is false on import (TYPE_CHECKING, __main__ guard,
                     a false literal) */
    bool taken;   /* a condition so far is a true literal: no later clause runs */
} clauses;

/* A condition that is a literal: 1 when true (True, a non-zero integer), -1 when false (False,
 * None, 0), 0 when it is no literal. `if False:` is a common way to switch code off. */
static int literal_truth(walk *w, TSNode cond)
{
    while (is(cond, w->sym->parenthesized_expression))
        cond = ts_node_named_child(cond, 0);
    TSSymbol t = ts_node_is_null(cond) ? 0 : ts_node_symbol(cond);
    if (t == 0)
        return 0;
    const char *type = ts_node_type(cond); /* (true and false are C macros: no walk symbols) */
    if (strcmp(type, "true") == 0)
        return 1;
    if (strcmp(type, "false") == 0 || t == w->sym->none)
        return -1;
    if (t != w->sym->integer)
        return 0;
    /* 0, 00, 0x0, 0_0, 0b0, 0o0 are false; any other digit makes it true */
    for (uint32_t i = ts_node_start_byte(cond); i < ts_node_end_byte(cond); i++) {
        char c = w->src[i];
        if (c >= '1' && c <= '9')
            return 1;
        if (i == ts_node_start_byte(cond) + 1 && (c == 'x' || c == 'X')) /* 0x: hex digits too */
            for (uint32_t j = i + 1; j < ts_node_end_byte(cond); j++)
                if (g_ascii_isxdigit(w->src[j]) && w->src[j] != '0')
                    return 1;
    }
    return -1;
}

/* One clause of an if statement: the if (first), an elif, or an else (cond null). Its body runs
 * for type checkers only under TYPE_CHECKING or past `not TYPE_CHECKING`; for certain when it
 * is reached for certain and its condition holds on import (an else, `not TYPE_CHECKING`). */
static void if_clause(walk *w, const scope *sc, clauses *st, TSNode clause, TSNode cond,
                      TSNode body, bool first)
{
    bool tc = is_type_checking(w, cond), ntc = is_not_type_checking(w, cond);
    int truth = literal_truth(w, cond);
    /* false on import (or after a true literal): the body never runs then */
    bool off = is_main_guard(w, cond) || truth < 0 || st->taken;
    scope reach = *sc; /* where the condition is evaluated */
    reach.typing = sc->typing || st->typing;
    reach.uncertain = sc->uncertain || !st->certain;
    reach.conditional = sc->conditional || !first;
    if (!ts_node_is_null(cond) && !tc && !ntc)
        expression(w, &reach, cond, clause, !sc->in_function, may_import_dynamically(w, cond));
    scope inner = reach;
    inner.conditional = true;
    inner.typing = reach.typing || tc;
    inner.never = sc->never || off;
    inner.uncertain =
        reach.uncertain || (!ts_node_is_null(cond) && !tc && !ntc && !off && truth == 0);
    GPtrArray *outer = w->getattr_subs, *subs = getattr_guard(w, cond);
    if (subs)
        w->getattr_subs = subs;
    if (!ts_node_is_null(body))
        block(w, &inner, body);
    if (subs) {
        w->getattr_subs = outer;
        g_ptr_array_unref(subs);
    }
    st->typing = st->typing || ntc;
    st->certain = st->certain && (tc || off);
    st->taken = st->taken || truth > 0;
}

static void if_statement(walk *w, const scope *sc, TSNode n)
{
    clauses st = {.typing = false, .certain = true};
    if_clause(w, sc, &st, n, field(n, w->field->condition), field(n, w->field->consequence), true);
    TSTreeCursor *cur = cursor_take(w, n);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
        if (is(c, w->sym->elif_clause))
            if_clause(w, sc, &st, c, field(c, w->field->condition), field(c, w->field->consequence),
                      false);
        else if (is(c, w->sym->else_clause))
            if_clause(w, sc, &st, c, (TSNode){0}, field(c, w->field->body), false);
    }
    cursor_give_back(w);
}

/* The exception types an except clause names, in source order, appended to out (TSNode):
 * `except A:`, `except (A, B) as e:` (the tuple), and Python 3.14's `except A, B, C:` (PEP 758),
 * which the grammar reads as Python 2's `except A, name:` and, past two types, with an ERROR node
 * holding the rest (in an `except*` clause, all but the last). Python 2's bound name comes along
 * as a type: it is not ImportError, so it changes no verdict. None for a bare except. */
static void except_types(walk *w, TSNode clause, GArray *out)
{
    TSTreeCursor *cur = cursor_take(w, clause);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more; more = next_named(cur, false, &c)) {
        TSSymbol t = ts_node_symbol(c);
        if (t == w->sym->error) { /* (an ERROR node may itself be an extra) */
            for (uint32_t i = 0, k = ts_node_named_child_count(c); i < k; i++) {
                TSNode e = ts_node_named_child(c, i);
                if (!ts_node_is_extra(e))
                    g_array_append_val(out, e);
            }
            continue;
        }
        if (t == w->sym->block || ts_node_is_extra(c)) /* comments, line continuations */
            continue;
        if (t == w->sym->as_pattern)
            c = ts_node_named_child(c, 0);
        g_array_append_val(out, c);
    }
    cursor_give_back(w);
}

/* The first byte at or after `at` that is not a space, tab, form feed or line continuation. */
static uint32_t skip_blanks(walk *w, uint32_t at)
{
    while (at < w->len) {
        char c = w->src[at];
        if (c == ' ' || c == '\t' || c == '\f')
            at++;
        else if (c == '\\' && at + 1 < w->len && w->src[at + 1] == '\n')
            at += 2;
        else if (c == '\\' && at + 2 < w->len && w->src[at + 1] == '\r' && w->src[at + 2] == '\n')
            at += 3;
        else
            break;
    }
    return at;
}

/* Is the ERROR node n the tail of a PEP 758 type list (`except A, B, C:`), which the grammar
 * predates, rather than a broken part? Types separated by single commas, then the colon. */
static bool is_pep758_tail(walk *w, TSNode n)
{
    TSNode clause = ts_node_parent(n);
    if (!is(clause, w->sym->except_clause) && !is(clause, w->sym->except_group_clause))
        return false;
    for (uint32_t i = 0, k = ts_node_child_count(n); i < k; i++) {
        TSNode c = ts_node_child(n, i);
        if (!ts_node_is_named(c) && !(ts_node_end_byte(c) - ts_node_start_byte(c) == 1 &&
                                      w->src[ts_node_start_byte(c)] == ','))
            return false;
        if (ts_node_has_error(c) || ts_node_is_missing(c))
            return false;
    }
    GArray *types = g_array_new(FALSE, FALSE, sizeof(TSNode));
    except_types(w, clause, types);
    bool ok = types->len >= 2;
    for (guint i = 0; ok && i < types->len; i++) {
        /* between two types: one comma; after the last: the colon */
        uint32_t at = skip_blanks(w, ts_node_end_byte(g_array_index(types, TSNode, i)));
        ok = at < w->len && w->src[at] == (i + 1 < types->len ? ',' : ':');
        if (ok && i + 1 < types->len)
            ok = skip_blanks(w, at + 1) == ts_node_start_byte(g_array_index(types, TSNode, i + 1));
    }
    g_array_unref(types);
    return ok;
}

/* What an except clause catches of the simulation's errors (ImportError, AttributeError). A bare
 * except, Exception and BaseException catch both; ModuleNotFoundError alone does not catch the
 * ImportError of a circular import. */
static guint except_catches(walk *w, TSNode clause)
{
    GArray *stack = w->parser->stack;
    g_array_set_size(stack, 0);
    GArray *types = g_array_new(FALSE, FALSE, sizeof(TSNode));
    except_types(w, clause, types);
    for (guint i = types->len; i > 0; i--) {
        pending p = {g_array_index(types, TSNode, i - 1), false};
        g_array_append_val(stack, p);
    }
    guint catches = types->len ? 0 : IMPVIZ_CATCH_ALL; /* bare except: */
    g_array_unref(types);
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
    GArray *types = g_array_new(FALSE, FALSE, sizeof(TSNode));
    except_types(w, clause, types);
    bool catches = types->len == 0; /* bare except: */
    for (guint i = 0; i < types->len && !catches; i++) {
        TSNode what = g_array_index(types, TSNode, i);
        catches = mentions(w, what, "ImportError") || mentions(w, what, "ModuleNotFoundError") ||
                  mentions(w, what, "BaseException") ||
                  (is(what, w->sym->identifier) && text_is(w, what, "Exception"));
    }
    g_array_unref(types);
    return catches;
}

/* Does an except clause's handler surely raise (a `raise` among its own statements, not under
 * an if)? Then the import fails all the same, with the error caught or another: to the
 * simulation the clause catches nothing. */
static bool handler_raises(walk *w, TSNode clause)
{
    bool raises = false;
    TSTreeCursor *cur = cursor_take(w, clause);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more && !raises; more = next_named(cur, false, &c))
        if (is(c, w->sym->block))
            for (uint32_t i = 0, k = ts_node_named_child_count(c); i < k && !raises; i++)
                raises = is(ts_node_named_child(c, i), w->sym->raise_statement);
    cursor_give_back(w);
    return raises;
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
                g_array_index(w->file->events, impviz_event, prev).catches =
                    handler_raises(w, c) ? 0 : except_catches(w, c);
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

/* The name of a def's first parameter (`name` or `name: str`), or a null node. */
static TSNode first_parameter(walk *w, TSNode params)
{
    TSNode p = {0};
    if (ts_node_is_null(params))
        return p;
    TSTreeCursor *cur = cursor_take(w, params);
    bool more = next_named(cur, true, &p);
    while (more && is(p, w->sym->comment))
        more = next_named(cur, false, &p);
    cursor_give_back(w);
    if (more && is(p, w->sym->typed_parameter))
        p = ts_node_named_child(p, 0);
    return more && is(p, w->sym->identifier) ? p : (TSNode){0};
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
    TSNode name = field(n, w->field->name);
    if (!sc->in_function && !w->replay) /* PEP 562: a module's __getattr__(name) may import */
        w->getattr_param = !sc->in_class && text_is(w, name, "__getattr__")
                               ? first_parameter(w, field(n, w->field->parameters))
                               : (TSNode){0};
    /* a module-level def: the imports its own body runs are noted, for calls at module level */
    def_info *outer = w->recording, *info = NULL;
    if (!sc->in_function && !sc->in_class && !sc->typing && !sc->never && !w->replay &&
        !ts_node_is_null(name)) {
        info = g_new0(def_info, 1);
        info->def = n;
    }
    w->recording = info; /* a nested def's body does not run with its outer one's */
    block(w, &body, code);
    w->recording = outer;
    if (sc->in_function)
        return; /* add_event would drop the BIND of its name */
    w->getattr_param = (TSNode){0};
    if (ts_node_is_null(name))
        return;
    const char *text = node_text(w, name);
    if (info) {
        if (!w->defs)
            w->defs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, def_info_free);
        g_hash_table_replace(w->defs, (gpointer)text, info);
    }
    add_event(w, sc, IMPVIZ_EV_BIND, node_line(n), 0, text, NULL);
}

static void class_definition(walk *w, const scope *sc, TSNode n, TSNode stmt)
{
    TSNode bases = field(n, w->field->superclasses);
    if (!ts_node_is_null(bases))
        expression(w, sc, bases, stmt, !sc->in_function, may_import_dynamically(w, bases));
    scope body = *sc; /* a class body runs at once, binding class attributes */
    body.in_class = true;
    if (!sc->in_class && !sc->in_function && !w->replay) { /* its frame in a traceback */
        body.class_line = node_line(n);
        body.class_context = line_text(w, n);
    }
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
        if (!sc->in_class && !w->replay && !ts_node_is_null(right) && is(left, sym->identifier) &&
            text_is(w, left, "__lazy_modules__"))
            lazy_modules(w, e, t == sym->augmented_assignment);
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

/* Where a module-level ERROR may hide whole statements: the first line after its first that
 * starts at column 0 (with a name, a quote, a bracket, a decorator) in the ERROR itself, not
 * inside a node recovered whole. Its offset and *point, or UINT32_MAX. */
static uint32_t restart_point(walk *w, TSNode err, TSPoint *point)
{
    uint32_t end = ts_node_end_byte(err), row = ts_node_start_point(err).row, found = UINT32_MAX;
    guint tries = 0; /* lines looked at in the tree: a few, not one per line of a long ERROR */
    TSTreeCursor *cur = cursor_take(w, err);
    for (const char *p = w->src + ts_node_start_byte(err);
         found == UINT32_MAX && tries < 64 &&
         (p = memchr(p, '\n', end - (uint32_t)(p - w->src)));) {
        p++;
        row++;
        uint32_t at = (uint32_t)(p - w->src);
        if (at >= end)
            break;
        if (!is_name_byte(*p) && !(*p && strchr("@\"'([{", *p)))
            continue;
        tries++;
        /* down through ERROR nodes to a node starting there: one that holds together around it
         * (a string, a parenthesised import) is no place to start again */
        ts_tree_cursor_reset(cur, err);
        while (ts_tree_cursor_goto_first_child_for_byte(cur, at) >= 0) {
            TSNode n = ts_tree_cursor_current_node(cur);
            if (ts_node_start_byte(n) == at)
                found = at;
            if (ts_node_start_byte(n) >= at || !is(n, w->sym->error))
                break;
        }
    }
    cursor_give_back(w);
    *point = (TSPoint){row, 0};
    return found;
}

/* A module-level ERROR: tree-sitter's recovery can swallow the rest of the file into one (after a
 * broken `for in x:` header, say), statements and all. Its children before the first line that
 * starts at column 0 are walked as recovered; from that line on, its bytes are parsed again as
 * the module's statements, which they are once the broken statement has ended. At most one more
 * parse of the file in all. */
static void broken_part(walk *w, const scope *sc, TSNode n)
{
    TSPoint point;
    uint32_t from = restart_point(w, n, &point), to = ts_node_end_byte(n);
    if (from != UINT32_MAX && (to - from > w->len - w->reparsed))
        from = UINT32_MAX; /* over budget: read as recovered */
    scope inner = *sc;
    inner.depth++;
    TSTreeCursor *cur = cursor_take(w, n);
    TSNode c;
    for (bool more = next_named(cur, true, &c); more && ts_node_end_byte(c) <= from;
         more = next_named(cur, false, &c))
        statement(w, &inner, c);
    cursor_give_back(w);
    if (from == UINT32_MAX)
        return;
    w->reparsed += to - from;
    TSRange range = {point, ts_node_end_point(n), from, to};
    TSParser *ts = w->parser->ts;
    ts_parser_set_included_ranges(ts, &range, 1); /* positions stay those of the file */
    TSTree *tree = ts_parser_parse_string(ts, NULL, w->src, (uint32_t)w->len);
    ts_parser_set_included_ranges(ts, NULL, 0);
    scope top = *sc;
    top.depth--;
    block(w, &top, ts_tree_root_node(tree));
    if (w->defs) { /* their nodes die with the tree: calls further on are not replayed */
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, w->defs);
        while (g_hash_table_iter_next(&it, NULL, &value))
            if (((def_info *)value)->def.tree == tree)
                g_hash_table_iter_remove(&it);
    }
    ts_tree_delete(tree);
}

static void statement(walk *w, const scope *sc, TSNode n)
{
    const symbols *sym = w->sym;
    TSSymbol t = ts_node_symbol(n);
    if (w->replay) { /* its imports have records: their events come in order, from those */
        replay_imports(w, node_line(n));
        if (t == sym->import_statement || t == sym->import_from_statement)
            return;
    }
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
    } else if (t == sym->delete_statement) {
        if (w->replay || may_import_dynamically(w, n)) /* `del a[f(x)]`: as below */
            expression(w, sc, n, n, w->replay != NULL, !w->replay);
        name_targets(w, sc, ts_node_named_child(n, 0), IMPVIZ_EV_UNBIND);
    } else if (t == sym->error && sc->depth == 1) {
        broken_part(w, sc, n);
    } else if (t == sym->block || t == sym->error) {
        block(w, sc, n); /* recovered garbage may still hold statements */
    } else if (ts_node_named_child_count(n) && (w->replay || may_import_dynamically(w, n))) {
        /* return, raise, assert, del, global ...: only dynamic imports can hide in them, and
         * in a replayed body the uses of a return, raise or assert run */
        expression(w, sc, n, n, w->replay != NULL, !w->replay);
    }
}

/* Can block n be walked by jumping from word to word, passing over the statements between? In a
 * function only imports (each with the word "import") and dynamic imports (with theirs, unless
 * import_module has an alias) add anything, and reaching the nesting limit. Without a syntax
 * error each level of nesting but the first starts on a new line, so a block of few lines
 * cannot reach it. */
static bool can_jump(walk *w, const scope *sc, TSNode n)
{
    return sc->in_function && !w->dynamic_aliased && !ts_node_has_error(n) &&
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
            if (w->dynamic_aliased) /* it bound an alias: read on, statement by statement */
                break;
            at = next_word(w, MAX(ts_node_end_byte(c), at + 1));
        }
        if (!w->dynamic_aliased || at >= end) {
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

/* ---- broken parts ----------------------------------------------------------------------- */

/* Counts one broken part of the file, starting at `line`. */
static void note_error(impviz_file *f, guint line)
{
    if (!f->error_count++ || line < f->first_error_line)
        f->first_error_line = line;
}

/* Counts the Python 2 statements and operators among the hints: the grammar reads them without
 * an error, but Python 3 cannot compile the file. */
static void count_python2(walk *w)
{
    static const uint32_t length[] = {[PY2_PRINT] = 5, [PY2_EXEC] = 4, [PY2_NOT_EQUAL] = 2};
    for (guint i = 0; w->py2 && i < w->py2->len; i++) {
        py2_hint h = g_array_index(w->py2, py2_hint, i);
        /* the smallest named node around the word: its statement (the word is anonymous) */
        TSNode n = ts_node_named_descendant_for_byte_range(w->root, h.at, h.at + length[h.what]);
        bool here = ts_node_start_byte(n) == h.at;
        bool py2 = false;
        if (h.what == PY2_PRINT)
            py2 = here && is(n, w->sym->print_statement);
        else if (h.what == PY2_EXEC)
            py2 = here && is(n, w->sym->exec_statement);
        else /* <>: the operator of the comparison around it, not text in a string */
            py2 = is(n, w->sym->comparison_operator);
        if (py2)
            note_error(w->file, node_line(n));
    }
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
                                 const char *package, const char **why)
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
              .parser = parser,
              .package = package,
              .root = root};
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
            if (is(n, w.sym->error) && (is_lazy_marker(&w, n) || is_pep758_tail(&w, n)))
                continue; /* PEP 810 or 758 syntax the grammar predates, not a broken part */
            if (is(n, w.sym->error) || ts_node_is_missing(n)) {
                note_error(f, node_line(n));
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
    count_python2(&w);
    f->too_deep = w.too_deep;
    if (w.package_used)
        f->package = g_string_chunk_insert_const(f->strings, package);
    if (w.lazy_modules)
        g_hash_table_unref(w.lazy_modules);
    if (w.importlib_names)
        g_hash_table_unref(w.importlib_names);
    if (w.import_module_names)
        g_hash_table_unref(w.import_module_names);
    if (w.lazy_loader_names)
        g_hash_table_unref(w.lazy_loader_names);
    if (w.attach_names)
        g_hash_table_unref(w.attach_names);
    g_array_unref(w.imports);
    g_array_unref(w.words);
    if (w.py2)
        g_array_unref(w.py2);
    if (w.dots)
        g_array_unref(w.dots);
    if (w.parens)
        g_array_unref(w.parens);
    if (w.walruses)
        g_array_unref(w.walruses);
    if (w.calls)
        g_array_unref(w.calls);
    if (w.defs)
        g_hash_table_unref(w.defs);
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
