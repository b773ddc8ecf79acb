/* SPDX-License-Identifier: MIT */
/*
 * glob.c - path patterns: --exclude globs and .gitignore lines, matched segment by segment.
 *
 * Owns impviz_globs. A pattern is compiled once, when added, into its '/'-separated segments;
 * matching walks the path in place and allocates nothing. '*', '?' and '[...]' stay within one
 * segment; a segment that is exactly "**" matches any number of segments, and at the end of a
 * pattern one or more (what a directory holds, not the directory), as in git's wildmatch. A pattern
 * without a '/' (other than a trailing one) matches the last segment, a name at any depth; with
 * one, the whole path. The last pattern that matches decides, so that a later '!' line of a
 * .gitignore re-includes what an earlier one left out.
 */
#include "impviz.h"

#include <string.h>

enum {
    SEG_LITERAL,  /* the name itself */
    SEG_SUFFIX,   /* '*' and then a literal tail (text is the tail): "*.so" */
    SEG_GLOB,     /* anything else within a segment */
    SEG_ANY_DEPTH /* "**" */
};

typedef struct {
    const char *text; /* len bytes in the pattern's block, not NUL-terminated */
    guint len;
    int kind; /* SEG_* */
} segment;

typedef struct {
    segment *segs; /* in one block with the pattern's text */
    guint n;
    bool negated;  /* '!': a match re-includes */
    bool dir_only; /* a trailing '/': directories only */
    bool anchored; /* a '/' before the end: matches the whole path, else its last segment */
    guint same;    /* by_name: 1 + the index of the previous pattern of the same name, or 0 */
} pattern;

/* Most lines of a .gitignore are plain names ("build/", ".env"): they are found by name, and
 * only the other patterns are tried one by one, which keeps a long file cheap per path. */
struct impviz_globs {
    GArray *patterns;    /* pattern, in the order added */
    GHashTable *by_name; /* a plain name (borrowed from its pattern) -> 1 + its last index */
    GArray *others;      /* guint: the indices of the other patterns, ascending */
};

impviz_globs *impviz_globs_new(void)
{
    impviz_globs *g = g_new0(impviz_globs, 1);
    g->patterns = g_array_new(FALSE, FALSE, sizeof(pattern));
    g->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    g->others = g_array_new(FALSE, FALSE, sizeof(guint));
    return g;
}

void impviz_globs_free(impviz_globs *globs)
{
    if (!globs)
        return;
    for (guint i = 0; i < globs->patterns->len; i++)
        g_free(g_array_index(globs->patterns, pattern, i).segs);
    g_array_unref(globs->patterns);
    g_hash_table_unref(globs->by_name);
    g_array_unref(globs->others);
    g_free(globs);
}

guint impviz_globs_count(const impviz_globs *globs)
{
    return globs ? globs->patterns->len : 0;
}

static bool has_special(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '\\')
            return true;
    return false;
}

/* Compiles the n bytes at s (no trailing '/' left, not empty) into a pattern and adds it. */
static void add_pattern(impviz_globs *g, const char *s, size_t n, bool negated, bool dir_only)
{
    bool anchored = memchr(s, '/', n) != NULL;
    while (n && *s == '/') /* a leading '/' only anchors */
        s++, n--;
    guint count = 1;
    for (size_t i = 0; i < n; i++)
        count += s[i] == '/';
    segment *segs = g_malloc(count * sizeof(segment) + n + 1);
    char *text = memcpy((char *)(segs + count), s, n);
    text[n] = '\0';
    guint k = 0;
    for (const char *p = text, *end = text + n; p <= end;) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *stop = slash ? slash : end;
        guint len = (guint)(stop - p);
        if (len == 2 && p[0] == '*' && p[1] == '*')
            segs[k++] = (segment){p, len, SEG_ANY_DEPTH};
        else if (len > 1 && p[0] == '*' && !has_special(p + 1, len - 1))
            segs[k++] = (segment){p + 1, len - 1, SEG_SUFFIX};
        else if (len) /* "a//b" is a/b */
            segs[k++] = (segment){p, len, has_special(p, len) ? SEG_GLOB : SEG_LITERAL};
        p = stop + 1;
    }
    if (k == 0) {
        g_free(segs);
        return;
    }
    pattern pat = {segs, k, negated, dir_only, anchored, 0};
    guint index = g->patterns->len;
    if (!anchored && segs[0].kind == SEG_LITERAL) { /* its text is the whole, NUL-terminated */
        pat.same = GPOINTER_TO_UINT(g_hash_table_lookup(g->by_name, segs[0].text));
        g_hash_table_insert(g->by_name, (gpointer)segs[0].text, GUINT_TO_POINTER(index + 1));
    } else {
        g_array_append_val(g->others, index);
    }
    g_array_append_val(g->patterns, pat);
}

void impviz_globs_add(impviz_globs *globs, const char *glob)
{
    if (glob[0] == '.' && glob[1] == '/') /* "./pkg" is /pkg, as a shell user means it */
        glob++;
    size_t n = strlen(glob);
    bool dir_only = false;
    while (n > 1 && glob[n - 1] == '/') {
        dir_only = true;
        n--;
    }
    if (n)
        add_pattern(globs, glob, n, false, dir_only);
}

void impviz_globs_add_gitignore(impviz_globs *globs, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) /* git skips a byte order mark too */
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line = p, *stop = nl ? nl : end;
        p = nl ? nl + 1 : end;
        if (stop > line && stop[-1] == '\r') /* written on Windows */
            stop--;
        /* trailing spaces go, unless escaped ("\ ") */
        while (stop > line && stop[-1] == ' ' && !(stop - line >= 2 && stop[-2] == '\\'))
            stop--;
        if (stop == line || *line == '#')
            continue;
        bool negated = *line == '!';
        if (negated)
            line++;
        bool dir_only = false;
        if (stop > line && stop[-1] == '/') {
            dir_only = true;
            stop--;
        }
        if (stop > line) /* "\#" and "\!" reach the matcher, which reads them as '#' and '!' */
            add_pattern(globs, line, (size_t)(stop - line), negated, dir_only);
    }
}

/* Whether the character class named by the n bytes at name ("alpha") holds c. */
static bool class_has(const char *name, size_t n, char c)
{
#define CLASS(word, test)                                                                          \
    if (n == sizeof word - 1 && memcmp(name, word, n) == 0)                                        \
        return test;
    CLASS("alnum", g_ascii_isalnum(c))
    CLASS("alpha", g_ascii_isalpha(c))
    CLASS("blank", c == ' ' || c == '\t')
    CLASS("cntrl", g_ascii_iscntrl(c))
    CLASS("digit", g_ascii_isdigit(c))
    CLASS("graph", g_ascii_isgraph(c))
    CLASS("lower", g_ascii_islower(c))
    CLASS("print", g_ascii_isprint(c))
    CLASS("punct", g_ascii_ispunct(c))
    CLASS("space", g_ascii_isspace(c))
    CLASS("upper", g_ascii_isupper(c))
    CLASS("xdigit", g_ascii_isxdigit(c))
#undef CLASS
    return false;
}

/* Whether the bracket expression at p (after '[') holds c; *after gets what follows its ']'.
 * False with *after NULL when no ']' closes it. */
static bool bracket_match(const char *p, const char *end, char c, const char **after)
{
    bool negate = p < end && (*p == '!' || *p == '^');
    if (negate)
        p++;
    bool hit = false;
    for (bool first = true; p < end; first = false) {
        if (*p == ']' && !first) {
            *after = p + 1;
            return hit != negate;
        }
        if (*p == '[' && p + 1 < end && p[1] == ':') { /* [:alpha:] and its kin */
            const char *close = g_strstr_len(p + 2, end - p - 2, ":]");
            if (close) {
                hit |= class_has(p + 2, (size_t)(close - p - 2), c);
                p = close + 2;
                continue;
            }
        }
        char lo = *p++;
        if (lo == '\\' && p < end)
            lo = *p++;
        char hi = lo;
        if (p + 1 < end && *p == '-' && p[1] != ']') {
            hi = p[1];
            p += 2;
            if (hi == '\\' && p < end)
                hi = *p++;
        }
        hit |= (guchar)c >= (guchar)lo && (guchar)c <= (guchar)hi;
    }
    *after = NULL;
    return false;
}

/* Whether the glob segment [p, pe) matches the name [s, se): '*' any run, '?' any one byte,
 * '[...]' one of a set, '\' the next byte as it is. The last '*' is retried one byte further
 * on each mismatch, which is enough: no backtracking past it is ever needed. */
static bool segment_match(const char *p, const char *pe, const char *s, const char *se)
{
    const char *star_p = NULL, *star_s = NULL;
    while (s < se) {
        if (p < pe) {
            const char *after = NULL;
            switch (*p) {
            case '*':
                while (p < pe && *p == '*')
                    p++;
                if (p == pe)
                    return true;
                star_p = p;
                star_s = s;
                continue;
            case '?':
                p++;
                s++;
                continue;
            case '[':
                if (bracket_match(p + 1, pe, *s, &after)) {
                    p = after;
                    s++;
                    continue;
                }
                if (!after) /* unclosed: the pattern matches nothing, as in git */
                    return false;
                break;
            case '\\':
                if (p + 1 < pe && p[1] == *s) {
                    p += 2;
                    s++;
                    continue;
                }
                if (p + 1 == pe && *s == '\\') { /* a trailing '\' is itself */
                    p++;
                    s++;
                    continue;
                }
                break;
            default:
                if (*p == *s) {
                    p++;
                    s++;
                    continue;
                }
                break;
            }
        }
        if (!star_p)
            return false;
        p = star_p;
        s = ++star_s;
    }
    while (p < pe && *p == '*')
        p++;
    return p == pe;
}

static bool one_match(const segment *seg, const char *s, const char *se)
{
    size_t n = (size_t)(se - s);
    switch (seg->kind) {
    case SEG_LITERAL:
        return n == seg->len && memcmp(seg->text, s, n) == 0;
    case SEG_SUFFIX:
        return n >= seg->len && memcmp(seg->text, se - seg->len, seg->len) == 0;
    default:
        return segment_match(seg->text, seg->text + seg->len, s, se);
    }
}

/* Whether segs match path, which starts at a segment ("" when none is left). */
static bool segments_match(const segment *segs, guint n, const char *path)
{
    for (guint i = 0; i < n; i++) {
        if (segs[i].kind == SEG_ANY_DEPTH) {
            if (i + 1 == n)
                return *path != '\0';
            for (const char *p = path;;) { /* zero segments, one, two... */
                if (segments_match(segs + i + 1, n - i - 1, p))
                    return true;
                const char *slash = strchr(p, '/');
                if (!slash)
                    return false;
                p = slash + 1;
            }
        }
        if (!*path)
            return false;
        const char *end = path;
        while (*end && *end != '/')
            end++;
        if (!one_match(&segs[i], path, end))
            return false;
        path = *end ? end + 1 : end;
    }
    return *path == '\0';
}

impviz_glob_verdict impviz_globs_match(const impviz_globs *globs, const char *path, bool is_dir)
{
    if (!globs)
        return IMPVIZ_GLOB_NONE;
    const char *end = path + strlen(path), *name = end;
    while (name > path && name[-1] != '/')
        name--;
    const pattern *pats = (const pattern *)(void *)globs->patterns->data;
    /* the last plain name that matches, then any other pattern after it */
    const pattern *found = NULL;
    for (guint k = GPOINTER_TO_UINT(g_hash_table_lookup(globs->by_name, name)); k && !found;
         k = pats[k - 1].same)
        if (!pats[k - 1].dir_only || is_dir)
            found = &pats[k - 1];
    for (guint j = globs->others->len; j-- > 0;) {
        const pattern *pat = &pats[g_array_index(globs->others, guint, j)];
        if (found && pat < found)
            break;
        if (pat->dir_only && !is_dir)
            continue;
        if (pat->anchored ? segments_match(pat->segs, pat->n, path)
                          : one_match(&pat->segs[0], name, end)) {
            found = pat;
            break;
        }
    }
    if (!found)
        return IMPVIZ_GLOB_NONE;
    return found->negated ? IMPVIZ_GLOB_INCLUDED : IMPVIZ_GLOB_EXCLUDED;
}
