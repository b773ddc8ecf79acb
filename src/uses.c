/* SPDX-License-Identifier: MIT */
/*
 * uses.c - where a Python file reads given names, found from its tokens alone.
 *
 * The diagnosis asks, for the names a cycle's imports bind, whether the module reads them while
 * it is imported or only inside functions (then the import can move there). Parsing the file
 * again with tree-sitter cost more than all the rest of the diagnosis; one pass over the tokens
 * answers the question: Python's blocks are visible in its indentation, its strings and
 * comments in a few characters of context, and the places where an identifier binds rather
 * than reads (a def's parameters, `name = ...`, keyword arguments, `name := ...`) in the
 * tokens right around it. The rules follow what runs when: decorators, default values,
 * annotations (unless `from __future__ import annotations`), base classes, class bodies and
 * lambdas at module level run on import; function bodies run later, except the own body of a
 * module-level def that code run on import calls by its plain name (`run()`, `@run`). f-strings
 * count as strings, import statements do not count.
 */
#include "impviz.h"

#include <string.h>

/* A call by plain name (`run()`, `@run`) in code that runs on import. */
typedef struct {
    const char *name; /* in the scan's chunk */
    guint line;
} import_call;

/* An open block: a class or function whose body is still going on. */
typedef struct {
    guint indent; /* the column of the line its header starts on */
    bool function;
    gint user;        /* outermost functions: index into functions; else -1 */
    const char *name; /* interned in the scan's chunk */
} block;

typedef enum {
    HEAD_NONE,
    HEAD_DEF,   /* between `def` and its colon */
    HEAD_CLASS, /* between `class` and its colon */
} head_kind;

typedef struct {
    const char *s;
    size_t len, pos;
    guint line;
    GHashTable *index;    /* name (borrowed) -> its index + 1 */
    guint32 lengths[256]; /* by a name's first byte: bit min(length, 31) of each name's length */
    GArray *out;          /* impviz_name_uses, one per name; functions borrowed until the end */
    GPtrArray *functions; /* impviz_user *, owned: outermost functions in source order */
    GHashTable *seen;     /* name index << 32 | function index: listed already */
    GHashTable *direct;   /* the same keys, read by the function's own body (not a nested def's) */
    GStringChunk *chunk;
    GArray *blocks;   /* block, outermost first */
    GArray *lambdas;  /* guint: bracket depth of each lambda whose colon is still ahead */
    GHashTable *defs; /* module-level def name (in chunk) -> GArray of guint indices in
                         functions: every def of the name (any of them may be the one called) */
    GArray *calls;    /* import_call: plain-name calls outside function bodies */
    bool future_annotations;
    /* the statement being read */
    guint depth;      /* bracket depth */
    guint indent;     /* the column of its logical line */
    guint stmt_line;  /* the line of its first token */
    bool line_start;  /* the next token starts a logical line */
    bool at_start;    /* the next token starts a statement */
    bool first_token; /* the current token is the statement's first */
    bool compound;    /* it starts with a compound-statement keyword */
    bool annotation;  /* inside an annotation that PEP 563 leaves unevaluated */
    guint annotation_depth;
    head_kind head;
    const char *head_name;
    bool params;     /* inside a def's parameter list */
    bool star_param; /* the last `*` starts a parameter (`*args`), not a product */
    /* the previous token: an operator's first character, 'n' a name or keyword, '0' a number
     * or string, 'd' `def`/`class`, 'l' `lambda`, 0 nothing in this statement yet */
    char prev;
} scan;

/* What a byte can be in an identifier, looked up rather than tested: the scan asks for every
 * byte of every name. Non-ASCII bytes count as letters (UTF-8 identifiers). */
enum { IDENT_START = 1, IDENT_CHAR = 2 };
static guint8 ident_class[256];

static void ident_class_init(void)
{
    static gsize done;
    if (!g_once_init_enter(&done))
        return;
    for (guint c = 0; c < 256; c++) {
        bool start = c == '_' || g_ascii_isalpha((gchar)c) || c >= 0x80;
        ident_class[c] =
            (start ? IDENT_START | IDENT_CHAR : 0) | (g_ascii_isdigit((gchar)c) ? IDENT_CHAR : 0);
    }
    g_once_init_leave(&done, 1);
}

static bool ident_start(unsigned char c)
{
    return ident_class[c] & IDENT_START;
}

static bool ident_char(unsigned char c)
{
    return ident_class[c] & IDENT_CHAR;
}

/* The bit of a word's length in scan.lengths. */
static guint32 length_bit(size_t n)
{
    return 1u << MIN(n, 31);
}

/* Whether w (n bytes) may be one of the names: most identifiers of a file are not, and are told
 * so by their first byte and length, without hashing them. */
static bool may_be_name(const scan *sc, const char *w, size_t n)
{
    return (sc->lengths[(unsigned char)w[0]] & length_bit(n)) != 0;
}

/* Whether the word w (n bytes) is the string literal kw. */
#define WORD_IS(w, n, kw) ((n) == sizeof(kw) - 1 && memcmp((w), (kw), sizeof(kw) - 1) == 0)

static bool is_compound_keyword(const char *w, size_t n)
{
    return WORD_IS(w, n, "if") || WORD_IS(w, n, "elif") || WORD_IS(w, n, "else") ||
           WORD_IS(w, n, "while") || WORD_IS(w, n, "for") || WORD_IS(w, n, "try") ||
           WORD_IS(w, n, "except") || WORD_IS(w, n, "finally") || WORD_IS(w, n, "with") ||
           WORD_IS(w, n, "async") || WORD_IS(w, n, "match") || WORD_IS(w, n, "case");
}

/* The character after blanks, comments excluded, from p (line breaks too inside brackets). */
static char peek(const scan *sc, size_t p, size_t *at)
{
    while (p < sc->len) {
        char c = sc->s[p];
        if (c == ' ' || c == '\t' || c == '\f' || c == '\r' || (c == '\n' && sc->depth > 0)) {
            p++;
        } else if (c == '\\' && p + 1 < sc->len && (sc->s[p + 1] == '\n' || sc->s[p + 1] == '\r')) {
            p += 2;
        } else {
            *at = p;
            return c;
        }
    }
    *at = p;
    return 0;
}

/* Counts a read of names[name] where the scan stands. */
static void record(scan *sc, guint name)
{
    impviz_name_uses *u = &g_array_index(sc->out, impviz_name_uses, name);
    for (guint i = 0; i < sc->blocks->len; i++) {
        const block *b = &g_array_index(sc->blocks, block, i);
        if (!b->function)
            continue;
        if (b->user < 0) /* a function of broken code: no record of it */
            return;
        gpointer key = GSIZE_TO_POINTER(((gsize)name << 32) | (gsize)b->user);
        if (g_hash_table_add(sc->seen, key))
            g_ptr_array_add(u->functions, g_ptr_array_index(sc->functions, b->user));
        bool direct = true;
        for (guint j = i + 1; j < sc->blocks->len; j++)
            direct = direct && !g_array_index(sc->blocks, block, j).function;
        if (direct)
            g_hash_table_add(sc->direct, key);
        return;
    }
    if (!u->import_time || sc->line < u->first_line)
        u->first_line = sc->line;
    u->import_time = true;
}

static void end_statement(scan *sc, bool newline)
{
    sc->at_start = true;
    sc->line_start = sc->line_start || newline;
    sc->compound = sc->annotation = sc->params = false;
    sc->head = HEAD_NONE;
    sc->head_name = NULL;
    sc->prev = 0;
    g_array_set_size(sc->lambdas, 0);
}

/* The scan stands on a statement's first token: on a new line, closes the blocks it is not in. */
static void start_statement(scan *sc)
{
    if (sc->line_start) {
        size_t p = sc->pos;
        while (p > 0 && sc->s[p - 1] != '\n')
            p--;
        guint col = 0;
        for (; p < sc->pos; p++)
            col = sc->s[p] == '\t' ? (col / 8 + 1) * 8 : col + 1;
        while (sc->blocks->len &&
               g_array_index(sc->blocks, block, sc->blocks->len - 1).indent >= col)
            g_array_set_size(sc->blocks, sc->blocks->len - 1);
        sc->indent = col;
    }
    sc->line_start = sc->at_start = false;
    sc->first_token = true;
    sc->stmt_line = sc->line;
}

/* A def's or class's colon: its body starts. */
static void open_block(scan *sc)
{
    block b = {.indent = sc->indent,
               .function = sc->head == HEAD_DEF,
               .user = -1,
               .name = sc->head_name ? sc->head_name : "?"};
    bool outermost = true;
    for (guint i = 0; i < sc->blocks->len; i++)
        outermost = outermost && !g_array_index(sc->blocks, block, i).function;
    if (b.function && outermost) {
        GString *q = g_string_new(NULL);
        for (guint i = 0; i < sc->blocks->len; i++)
            g_string_append_printf(q, "%s.", g_array_index(sc->blocks, block, i).name);
        g_string_append(q, b.name);
        impviz_user *u = g_new0(impviz_user, 1);
        u->function = g_string_free(q, FALSE);
        u->line = sc->stmt_line;
        g_ptr_array_add(sc->functions, u);
        b.user = (gint)sc->functions->len - 1;
        if (!sc->blocks->len) { /* a module-level def: module-level code may call it */
            GArray *same = g_hash_table_lookup(sc->defs, b.name);
            if (!same) {
                same = g_array_new(FALSE, FALSE, sizeof(guint));
                g_hash_table_insert(sc->defs, (gpointer)b.name, same);
            }
            guint user = (guint)b.user;
            g_array_append_val(same, user);
        }
    }
    g_array_append_val(sc->blocks, b);
    sc->head = HEAD_NONE;
    sc->head_name = NULL;
    sc->params = sc->annotation = false;
}

/* Skips a string literal whose quote is at the scan's position. */
static void skip_string(scan *sc)
{
    char q = sc->s[sc->pos];
    bool triple = sc->pos + 2 < sc->len && sc->s[sc->pos + 1] == q && sc->s[sc->pos + 2] == q;
    sc->pos += triple ? 3 : 1;
    while (sc->pos < sc->len) {
        char c = sc->s[sc->pos];
        if (c == '\\') {
            if (sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '\n')
                sc->line++;
            sc->pos += 2;
            continue;
        }
        if (c == '\n') {
            if (!triple)
                return; /* unterminated: the line ends it */
            sc->line++;
        } else if (c == q && (!triple || (sc->pos + 2 < sc->len && sc->s[sc->pos + 1] == q &&
                                          sc->s[sc->pos + 2] == q))) {
            sc->pos += triple ? 3 : 1;
            return;
        }
        sc->pos++;
    }
}

/* Skips an import statement (its names bind, they do not read); notes PEP 563. */
static void skip_import(scan *sc, bool from)
{
    size_t start = sc->pos;
    guint depth = 0;
    while (sc->pos < sc->len) {
        char c = sc->s[sc->pos];
        if (c == '(')
            depth++;
        else if (c == ')' && depth)
            depth--;
        else if (c == '\\' && sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '\n') {
            sc->line++;
            sc->pos += 2;
            continue;
        } else if (c == '#') {
            while (sc->pos < sc->len && sc->s[sc->pos] != '\n')
                sc->pos++;
            continue;
        } else if (c == '\n' && depth) {
            sc->line++;
        } else if ((c == '\n' || c == ';') && !depth) {
            break;
        }
        sc->pos++;
    }
    if (from) {
        char *text = g_strndup(sc->s + start, sc->pos - start);
        char *rest = text + strspn(text, " \t\\\r\n");
        if (g_str_has_prefix(rest, "__future__") && strstr(rest, "annotations"))
            sc->future_annotations = true;
        g_free(text);
    }
}

/* Does the '@' before the name at w start its line: `@name`, a decorator (not `a @ name`)? */
static bool decorator(const scan *sc, const char *w)
{
    const char *p = w;
    while (p > sc->s && (p[-1] == ' ' || p[-1] == '\t'))
        p--;
    if (p == sc->s || p[-1] != '@')
        return false;
    p--;
    while (p > sc->s && (p[-1] == ' ' || p[-1] == '\t'))
        p--;
    return p == sc->s || p[-1] == '\n';
}

/* A call of name w (n bytes) where the scan stands: kept when it runs on import (outside every
 * function body), for the functions it may run then. */
static void note_call(scan *sc, const char *w, size_t n)
{
    for (guint i = 0; i < sc->blocks->len; i++)
        if (g_array_index(sc->blocks, block, i).function)
            return;
    import_call c = {g_string_chunk_insert_len(sc->chunk, w, (gssize)n), sc->line};
    g_array_append_val(sc->calls, c);
}

/* A module-level function called on import (directly, by its plain name) runs its body then:
 * the names its own body reads (not those of the defs nested in it) count as read on import,
 * from the call's line. One level: the functions that body calls are not followed. */
static void calls_at_import(scan *sc)
{
    for (guint i = 0; i < sc->calls->len; i++) {
        const import_call *c = &g_array_index(sc->calls, import_call, i);
        const GArray *same = g_hash_table_lookup(sc->defs, c->name);
        for (guint d = 0; same && d < same->len; d++) {
            gsize user = g_array_index(same, guint, d);
            for (guint k = 0; k < sc->out->len; k++) {
                impviz_name_uses *u = &g_array_index(sc->out, impviz_name_uses, k);
                if (!g_hash_table_contains(sc->direct, GSIZE_TO_POINTER(((gsize)k << 32) | user)))
                    continue;
                if (!u->import_time || c->line < u->first_line)
                    u->first_line = c->line;
                u->import_time = true;
            }
        }
    }
}

/* A name: a keyword that shapes what follows, a name that binds, or a read. */
static void name_token(scan *sc, const char *w, size_t n)
{
    bool first = sc->first_token;
    if (first && (WORD_IS(w, n, "import") || WORD_IS(w, n, "from"))) {
        skip_import(sc, w[0] == 'f');
        return;
    }
    if (first && is_compound_keyword(w, n))
        sc->compound = true;
    if (WORD_IS(w, n, "def") || WORD_IS(w, n, "class")) {
        sc->head = w[0] == 'd' ? HEAD_DEF : HEAD_CLASS;
        sc->prev = 'd';
        return;
    }
    if (WORD_IS(w, n, "lambda")) {
        g_array_append_val(sc->lambdas, sc->depth);
        sc->prev = 'l';
        return;
    }
    char before = sc->prev;
    sc->prev = 'n';
    if (before == 'd' && sc->head != HEAD_NONE && !sc->head_name) {
        sc->head_name = g_string_chunk_insert_len(sc->chunk, w, (gssize)n);
        return;
    }
    if (before == '.' || sc->annotation)
        return; /* an attribute's name; an annotation never evaluated */
    if ((sc->pos < sc->len && sc->s[sc->pos] == '(') ||
        (before == '@' && decorator(sc, w) && (sc->pos >= sc->len || sc->s[sc->pos] != '.')))
        note_call(sc, w, n);
    if (!may_be_name(sc, w, n))
        return; /* the rest only decides whether a name of the list is read here */
    size_t at;
    char next = peek(sc, sc->pos, &at);
    char after = at + 1 < sc->len ? sc->s[at + 1] : 0;
    if (next == ':' && after == '=')
        return; /* `name := ...` */
    if (next == '=' && after != '=' &&
        (sc->depth == 0 ? before == 0 || before == '=' : before == '(' || before == ','))
        return; /* `name = ...`, `a = name = ...`, `f(name=...)`, `def f(a, name=...)` */
    if (next == ':' && first && sc->depth == 0 && !sc->compound)
        return; /* `name: T = ...` */
    bool param_start = before == ',' || (before == '*' && sc->star_param);
    if (sc->head == HEAD_DEF && sc->params && sc->depth == 1 && (param_start || before == '('))
        return; /* a parameter */
    if (sc->lambdas->len && g_array_index(sc->lambdas, guint, sc->lambdas->len - 1) == sc->depth &&
        (param_start || before == 'l'))
        return; /* a lambda's parameter */
    char key[256];
    if (n >= sizeof key)
        return;
    memcpy(key, w, n);
    key[n] = '\0';
    guint index = GPOINTER_TO_UINT(g_hash_table_lookup(sc->index, key));
    if (index)
        record(sc, index - 1);
}

/* An operator or bracket at the scan's position. */
static void operator_token(scan *sc)
{
    char c = sc->s[sc->pos];
    char next = sc->pos + 1 < sc->len ? sc->s[sc->pos + 1] : 0;
    sc->pos++;
    switch (c) {
    case '(':
    case '[':
    case '{':
        sc->depth++;
        if (sc->head == HEAD_DEF && sc->depth == 1 && c == '(' && sc->prev == 'n')
            sc->params = true; /* the parentheses right after the name */
        break;
    case ')':
    case ']':
    case '}':
        if (sc->depth)
            sc->depth--;
        if (sc->annotation && sc->depth < sc->annotation_depth)
            sc->annotation = false;
        if (sc->head == HEAD_DEF && sc->depth == 0)
            sc->params = false;
        break;
    case ',':
        if (sc->annotation && sc->depth == sc->annotation_depth)
            sc->annotation = false;
        break;
    case '=':
        if (next == '=')
            sc->pos++;
        else if (sc->annotation && sc->depth == sc->annotation_depth)
            sc->annotation = false;
        break;
    case '-':
        if (next == '>') {
            sc->pos++;
            if (sc->head == HEAD_DEF && sc->depth == 0 && sc->future_annotations) {
                sc->annotation = true;
                sc->annotation_depth = 0;
            }
        }
        break;
    case ':':
        if (next == '=') {
            sc->pos++;
        } else if (sc->lambdas->len &&
                   g_array_index(sc->lambdas, guint, sc->lambdas->len - 1) == sc->depth) {
            g_array_set_size(sc->lambdas, sc->lambdas->len - 1);
        } else if (sc->head != HEAD_NONE && sc->depth == 0) {
            open_block(sc);
        } else if (sc->future_annotations &&
                   ((sc->head == HEAD_DEF && sc->params && sc->depth == 1) ||
                    (sc->head == HEAD_NONE && sc->depth == 0 && !sc->compound))) {
            sc->annotation = true;
            sc->annotation_depth = sc->depth;
        }
        break;
    case '*': /* `*args`, `**kw` (not `8 * MB`) */
        sc->star_param = sc->prev == '(' || sc->prev == ',' || sc->prev == 'l' ||
                         (sc->prev == '*' && sc->star_param);
        break;
    case ';':
        if (sc->depth == 0) {
            end_statement(sc, false);
            return;
        }
        break;
    default:
        break;
    }
    sc->prev = c;
}

static bool string_prefix(const char *w, size_t n)
{
    if (n > 2)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("rRbBuUfF", w[i]))
            return false;
    return true;
}

static void scan_all(scan *sc)
{
    while (sc->pos < sc->len) {
        char c = sc->s[sc->pos];
        if (c == ' ' || c == '\t' || c == '\f' || c == '\r') {
            sc->pos++;
            continue;
        }
        if (c == '\\' && sc->pos + 1 < sc->len &&
            (sc->s[sc->pos + 1] == '\n' || sc->s[sc->pos + 1] == '\r')) {
            sc->pos +=
                sc->s[sc->pos + 1] == '\r' && sc->pos + 2 < sc->len && sc->s[sc->pos + 2] == '\n'
                    ? 3
                    : 2;
            sc->line++;
            continue;
        }
        if (c == '\n') {
            sc->pos++;
            sc->line++;
            if (sc->depth == 0)
                end_statement(sc, true);
            continue;
        }
        if (c == '#') {
            while (sc->pos < sc->len && sc->s[sc->pos] != '\n')
                sc->pos++;
            continue;
        }
        if (sc->at_start)
            start_statement(sc);
        else
            sc->first_token = false;
        if (c == '\'' || c == '"') {
            skip_string(sc);
            sc->prev = '0';
        } else if (g_ascii_isdigit(c) ||
                   (c == '.' && sc->pos + 1 < sc->len && g_ascii_isdigit(sc->s[sc->pos + 1]))) {
            while (sc->pos < sc->len && (ident_char(sc->s[sc->pos]) || sc->s[sc->pos] == '.')) {
                char d = sc->s[sc->pos++];
                if ((d == 'e' || d == 'E') && sc->pos < sc->len &&
                    (sc->s[sc->pos] == '+' || sc->s[sc->pos] == '-'))
                    sc->pos++;
            }
            sc->prev = '0';
        } else if (ident_start((unsigned char)c)) {
            size_t start = sc->pos;
            while (sc->pos < sc->len && ident_char((unsigned char)sc->s[sc->pos]))
                sc->pos++;
            size_t n = sc->pos - start;
            if (sc->pos < sc->len && (sc->s[sc->pos] == '\'' || sc->s[sc->pos] == '"') &&
                string_prefix(sc->s + start, n)) {
                skip_string(sc);
                sc->prev = '0';
            } else {
                name_token(sc, sc->s + start, n);
            }
        } else {
            operator_token(sc);
        }
    }
}

impviz_user *impviz_user_copy(const impviz_user *u)
{
    impviz_user *c = g_new0(impviz_user, 1);
    c->function = g_strdup(u->function);
    c->line = u->line;
    return c;
}

void impviz_user_free(gpointer p)
{
    impviz_user *u = p;
    g_free(u->function);
    g_free(u);
}

static void name_uses_clear(gpointer p)
{
    impviz_name_uses *u = p;
    g_ptr_array_unref(u->functions);
}

GArray *impviz_name_uses_scan(const char *text, size_t len, const char *const *names, guint n_names)
{
    scan sc = {
        .s = text,
        .len = len,
        .line = 1,
        .index = g_hash_table_new(g_str_hash, g_str_equal),
        .out = g_array_sized_new(FALSE, TRUE, sizeof(impviz_name_uses), n_names),
        .functions = g_ptr_array_new_with_free_func(impviz_user_free),
        .seen = g_hash_table_new(g_direct_hash, g_direct_equal),
        .direct = g_hash_table_new(g_direct_hash, g_direct_equal),
        .chunk = g_string_chunk_new(256),
        .blocks = g_array_new(FALSE, FALSE, sizeof(block)),
        .lambdas = g_array_new(FALSE, FALSE, sizeof(guint)),
        .defs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_array_unref),
        .calls = g_array_new(FALSE, FALSE, sizeof(import_call)),
        .line_start = true,
        .at_start = true};
    g_array_set_clear_func(sc.out, name_uses_clear);
    ident_class_init();
    for (guint i = 0; i < n_names; i++) {
        impviz_name_uses u = {.functions = g_ptr_array_new()};
        g_array_append_val(sc.out, u);
        if (!g_hash_table_contains(sc.index, names[i]))
            g_hash_table_insert(sc.index, (gpointer)names[i], GUINT_TO_POINTER(i + 1));
        if (names[i][0])
            sc.lengths[(unsigned char)names[i][0]] |= length_bit(strlen(names[i]));
    }
    scan_all(&sc);
    calls_at_import(&sc);
    /* a repeated name gets the first one's answer */
    for (guint i = 0; i < n_names; i++) {
        guint first = GPOINTER_TO_UINT(g_hash_table_lookup(sc.index, names[i])) - 1;
        impviz_name_uses *u = &g_array_index(sc.out, impviz_name_uses, i);
        const impviz_name_uses *from = &g_array_index(sc.out, impviz_name_uses, first);
        GPtrArray *owned = g_ptr_array_new_with_free_func(impviz_user_free);
        for (guint j = 0; j < from->functions->len; j++)
            g_ptr_array_add(owned, impviz_user_copy(g_ptr_array_index(from->functions, j)));
        u->import_time = from->import_time;
        u->first_line = from->first_line;
        g_ptr_array_unref(u->functions);
        u->functions = owned;
    }
    g_hash_table_unref(sc.index);
    g_hash_table_unref(sc.seen);
    g_hash_table_unref(sc.direct);
    g_ptr_array_unref(sc.functions);
    g_string_chunk_free(sc.chunk);
    g_array_unref(sc.blocks);
    g_array_unref(sc.lambdas);
    g_hash_table_unref(sc.defs);
    g_array_unref(sc.calls);
    return sc.out;
}
