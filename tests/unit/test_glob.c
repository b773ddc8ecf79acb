/* SPDX-License-Identifier: MIT */
/*
 * test_glob.c - the path patterns of --exclude and .gitignore: segments, "**", anchoring,
 * directory-only patterns, and git's rules for .gitignore lines (comments, '!', escapes, trailing
 * spaces). The .gitignore cases follow git 2.39's check-ignore on the same lines and paths.
 */
#include "check.h"
#include "impviz.h"

/* What one --exclude glob says of path: 'x' excluded, '-' not matched. */
static char excl(const char *glob, const char *path, bool is_dir)
{
    impviz_globs *g = impviz_globs_new();
    impviz_globs_add(g, glob);
    impviz_glob_verdict v = impviz_globs_match(g, path, is_dir);
    impviz_globs_free(g);
    return v == IMPVIZ_GLOB_EXCLUDED ? 'x' : v == IMPVIZ_GLOB_INCLUDED ? '+' : '-';
}

/* What a .gitignore's text says of path: 'x' ignored, '+' re-included by '!', '-' no match. */
static char gi(const char *text, const char *path, bool is_dir)
{
    impviz_globs *g = impviz_globs_new();
    impviz_globs_add_gitignore(g, text, strlen(text));
    impviz_glob_verdict v = impviz_globs_match(g, path, is_dir);
    impviz_globs_free(g);
    return v == IMPVIZ_GLOB_EXCLUDED ? 'x' : v == IMPVIZ_GLOB_INCLUDED ? '+' : '-';
}

static guint count(const char *text)
{
    impviz_globs *g = impviz_globs_new();
    impviz_globs_add_gitignore(g, text, strlen(text));
    guint n = impviz_globs_count(g);
    impviz_globs_free(g);
    return n;
}

int main(void)
{
    /* '*' stays within a segment */
    CHECK_INT(excl("pkg/*_test.py", "pkg/x_test.py", false), 'x');
    CHECK_INT(excl("pkg/*_test.py", "pkg/sub/y_test.py", false), '-');
    CHECK_INT(excl("pkg/*.py", "pkg/a.py", false), 'x');
    CHECK_INT(excl("pkg/*.py", "pkg/sub", true), '-');
    CHECK_INT(excl("pkg/*.py", "pkg/sub/a.py", false), '-');
    CHECK_INT(excl("pkg/*", "pkg/sub", true), 'x');
    CHECK_INT(excl("p?g/a.py", "pkg/a.py", false), 'x');
    CHECK_INT(excl("p?g/a.py", "pg/a.py", false), '-');
    CHECK_INT(excl("a?b", "a/b", false), '-'); /* '?' is not '/' either */
    /* "**" as a whole segment: zero or more segments; at the end, one or more */
    CHECK_INT(excl("**/tests", "tests", true), 'x');
    CHECK_INT(excl("**/tests", "a/b/tests", true), 'x');
    CHECK_INT(excl("**/tests", "a/tests_x", true), '-');
    CHECK_INT(excl("pkg/**/deep", "pkg/deep", true), 'x');
    CHECK_INT(excl("pkg/**/deep", "pkg/a/b/deep", true), 'x');
    CHECK_INT(excl("pkg/**/deep", "other/pkg/deep", true), '-');
    CHECK_INT(excl("pkg/**", "pkg", true), '-');
    CHECK_INT(excl("pkg/**", "pkg/a", true), 'x');
    CHECK_INT(excl("pkg/**", "pkg/a/b.py", false), 'x');
    CHECK_INT(excl("**", "anything/at/all.py", false), 'x');
    CHECK_INT(excl("**/*.py", "a.py", false), 'x');
    CHECK_INT(excl("a/**/b/**/c.py", "a/x/b/c.py", false), 'x');
    CHECK_INT(excl("a/**/b/**/c.py", "a/b/y/z/c.py", false), 'x');
    CHECK_INT(excl("a/**/b/**/c.py", "a/c.py", false), '-');
    /* "**" inside a segment is '*' */
    CHECK_INT(excl("a**b.py", "axxb.py", false), 'x');
    CHECK_INT(excl("x/a**b.py", "x/a/b.py", false), '-');
    /* no '/': a name at any depth; a leading '/' or "./" anchors at the root */
    CHECK_INT(excl("tests", "tests", true), 'x');
    CHECK_INT(excl("tests", "pkg/tests", true), 'x');
    CHECK_INT(excl("*_pb2.py", "a/b/api_pb2.py", false), 'x');
    CHECK_INT(excl("/tests", "pkg/tests", true), '-');
    CHECK_INT(excl("/tests", "tests", true), 'x');
    CHECK_INT(excl("./tests", "tests", true), 'x');
    CHECK_INT(excl("./tests", "pkg/tests", true), '-');
    CHECK_INT(excl("pkg/tests", "pkg/tests", true), 'x');
    CHECK_INT(excl("pkg/tests", "a/pkg/tests", true), '-');
    /* a trailing '/' is for directories only */
    CHECK_INT(excl("gen/", "gen", true), 'x');
    CHECK_INT(excl("gen/", "a/gen", true), 'x');
    CHECK_INT(excl("gen/", "gen", false), '-');
    CHECK_INT(excl("gen", "gen", false), 'x');
    /* bracket expressions, within a segment */
    CHECK_INT(excl("test_[ab].py", "test_a.py", false), 'x');
    CHECK_INT(excl("test_[ab].py", "test_c.py", false), '-');
    CHECK_INT(excl("test_[!ab].py", "test_c.py", false), 'x');
    CHECK_INT(excl("test_[^ab].py", "test_a.py", false), '-');
    CHECK_INT(excl("v[0-9].py", "v7.py", false), 'x');
    CHECK_INT(excl("v[0-9].py", "vx.py", false), '-');
    CHECK_INT(excl("[]x].py", "].py", false), 'x');
    CHECK_INT(excl("v[[:digit:]].py", "v3.py", false), 'x');
    CHECK_INT(excl("v[[:upper:]].py", "v3.py", false), '-');
    CHECK_INT(excl("a[/]b", "a/b", false), '-');
    CHECK_INT(excl("a[b", "a[b", false), '-');      /* unclosed: matches nothing, as in git */
    CHECK_INT(gi("./tests\n", "tests", true), '-'); /* "./" is for --exclude alone */
    CHECK_INT(excl("a\\*b", "a*b", false), 'x');
    CHECK_INT(excl("a\\*b", "axb", false), '-');
    /* stars backtrack within a segment */
    CHECK_INT(excl("*a*b*c", "xaxbxbxc", false), 'x');
    CHECK_INT(excl("*a*b*c", "xaxbxbx", false), '-');
    CHECK_INT(excl("*.py", ".py", false), 'x');

    /* .gitignore lines: comments and blank lines (spaces only too) are no patterns */
    CHECK_INT(count("# a comment\n\n   \n*.py\n"), 1);
    CHECK_INT(count("# only\n\n"), 0);
    CHECK_INT(gi("# x.py\n", "# x.py", false), '-');
    CHECK_INT(gi(" a.py\n", " a.py", false), 'x'); /* leading spaces count */
    CHECK_INT(gi(" a.py\n", "a.py", false), '-');
    CHECK_INT(gi("\\#x.py\n", "#x.py", false), 'x');
    /* the last matching line decides; '!' re-includes; "\!" is a literal '!' */
    CHECK_INT(gi("*.py\n!keep.py\n", "a/keep.py", false), '+');
    CHECK_INT(gi("*.py\n!keep.py\n", "a/drop.py", false), 'x');
    CHECK_INT(gi("!keep.py\n*.py\n", "keep.py", false), 'x');
    CHECK_INT(gi("\\!important.py\n", "!important.py", false), 'x');
    CHECK_INT(gi("\\!important.py\n", "important.py", false), '-');
    /* a slash at the start or in the middle anchors to the .gitignore's directory */
    CHECK_INT(gi("pkg/*.py\n", "pkg/a.py", false), 'x');
    CHECK_INT(gi("pkg/*.py\n", "pkg/sub/a.py", false), '-');
    CHECK_INT(gi("pkg/*.py\n", "x/pkg/a.py", false), '-');
    CHECK_INT(gi("/a.py\n", "sub/a.py", false), '-');
    CHECK_INT(gi("**/generated/\n", "generated", true), 'x');
    CHECK_INT(gi("**/generated/\n", "a/b/generated", true), 'x');
    CHECK_INT(gi("**/generated/\n", "a/generated", false), '-');
    CHECK_INT(gi("src/pkg/_gen/\n", "src/pkg/_gen", true), 'x');
    /* trailing spaces go unless escaped; a trailing CR too (a file written on Windows) */
    CHECK_INT(gi("a.py   \n", "a.py", false), 'x');
    CHECK_INT(gi("a.py\\ \n", "a.py ", false), 'x');
    CHECK_INT(gi("a.py\\ \n", "a.py", false), '-');
    CHECK_INT(gi("a.py\r\nb.py\r\n", "b.py", false), 'x');
    CHECK_INT(gi("\xEF\xBB\xBF"
                 "a.py",
                 "a.py", false),
              'x');                                  /* a byte order mark */
    CHECK_INT(gi("last.py", "last.py", false), 'x'); /* no final newline */
    /* a directory-only negation does not re-include a file */
    CHECK_INT(gi("*.py\n!pkg/\n", "pkg", true), '+');
    CHECK_INT(gi("*.py\n!pkg/\n", "pkg.py", false), 'x');
    /* plain names and other patterns interleave: still the last match decides */
    CHECK_INT(gi("keep\n!*\n", "keep", false), '+');
    CHECK_INT(gi("!*\nkeep\n", "keep", false), 'x');
    CHECK_INT(gi("gen\n!gen/\n", "gen", false), 'x');
    CHECK_INT(gi("gen\n!gen/\n", "gen", true), '+');
    CHECK_INT(gi("gen/\n*.py\ngen\n!gen/\n", "a/gen", true), '+');
    CHECK_INT(gi("*.so\n", "lib/x.so", false), 'x');
    CHECK_INT(gi("*.so\n", "so", false), '-');
    CHECK_INT(gi("*.so\n", ".so", false), 'x');
    CHECK_INT(impviz_globs_match(NULL, "a.py", false), IMPVIZ_GLOB_NONE);
    CHECK_INT(impviz_globs_count(NULL), 0);
    return check_done("test_glob");
}
