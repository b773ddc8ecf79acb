/* SPDX-License-Identifier: MIT */
/* test_baseline.c - the baseline reader's checks, one malformed file at a time, and the
 * canonical (sorted) form it writes back. */
#include "check.h"
#include "impviz.h"

/* Parses text; returns the single error message (caller frees) or NULL when it parsed. */
static char *parse_error(const char *text, impviz_baseline **out)
{
    impviz_diags *diags = impviz_diags_new();
    impviz_status st = impviz_baseline_parse(text, strlen(text), "b.json", diags, out);
    char *msg = NULL;
    const GPtrArray *items = impviz_diags_sorted(diags);
    if (st != IMPVIZ_OK) {
        CHECK(*out == NULL);
        CHECK_INT(items->len, 1);
        if (items->len)
            msg = g_strdup(((const impviz_diag *)g_ptr_array_index(items, 0))->message);
    } else {
        CHECK_INT(items->len, 0);
    }
    impviz_diags_free(diags);
    return msg;
}

static void expect_error(const char *text, const char *want)
{
    impviz_baseline *b = NULL;
    char *msg = parse_error(text, &b);
    CHECK_STR(msg, want);
    impviz_baseline_free(b);
    g_free(msg);
}

static void test_malformed(void)
{
    expect_error(
        "", "invalid baseline 'b.json': line 1: not JSON: '[' or '{' expected near end of file");
    expect_error("{\"impviz_baseline\": 1, \"components\": [",
                 "invalid baseline 'b.json': line 1: not JSON: ']' expected near end of file");
    expect_error("[]", "invalid baseline 'b.json': top level: expected a JSON object");
    expect_error("{}", "invalid baseline 'b.json': impviz_baseline: expected the format version, 1 "
                       "(is this an impviz baseline?)");
    expect_error("{\"impviz_baseline\": 2, \"components\": []}",
                 "invalid baseline 'b.json': impviz_baseline: unsupported format version 2 (this "
                 "impviz reads version 1)");
    expect_error("{\"impviz_baseline\": 1}",
                 "invalid baseline 'b.json': components: expected an array");
    expect_error("{\"impviz_baseline\": 1, \"components\": [], \"extra\": 0}",
                 "invalid baseline 'b.json': top level: unknown key 'extra'");
    expect_error("{\"impviz_baseline\": 1, \"impviz_baseline\": 1, \"components\": []}",
                 "invalid baseline 'b.json': line 1: not JSON: duplicate object key near "
                 "'\"impviz_baseline\"'");
    expect_error("{\"impviz_baseline\": 1, \"components\": [3]}",
                 "invalid baseline 'b.json': components[0]: expected an object");
    expect_error(
        "{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\"], \"edges\": []}]}",
        "invalid baseline 'b.json': components[0].members: expected an array of two or more module "
        "names");
    expect_error("{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\", \"b\"]}]}",
                 "invalid baseline 'b.json': components[0].edges: expected an array");
    expect_error(
        "{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\", \"b c\"], \"edges\": "
        "[]}]}",
        "invalid baseline 'b.json': components[0].members[1]: expected a dotted module name");
    expect_error(
        "{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\", \"x..y\"], \"edges\": "
        "[]}]}",
        "invalid baseline 'b.json': components[0].members[1]: expected a dotted module name");
    expect_error(
        "{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\", \"b\\nc\"], \"edges\": "
        "[]}]}",
        "invalid baseline 'b.json': components[0].members[1]: expected a dotted module name");
    expect_error(
        "{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\", 7], \"edges\": []}]}",
        "invalid baseline 'b.json': components[0].members[1]: expected a dotted module name");
    expect_error("{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\", \"b\"], "
                 "\"edges\": [], \"x\": 1}]}",
                 "invalid baseline 'b.json': components[0]: unknown key 'x'");
    expect_error(
        "{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\", \"b\"], \"edges\": []},"
        " {\"members\": [\"c\", \"a\"], \"edges\": []}]}",
        "invalid baseline 'b.json': components[1].members[1]: module listed twice (a module is on "
        "one component at most)");
    expect_error("{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\", \"b\"], "
                 "\"edges\": [[\"a\"]]}]}",
                 "invalid baseline 'b.json': components[0].edges[0]: expected [source, target]");
    expect_error("{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\", \"b\"], "
                 "\"edges\": [[\"a\", \"z\"]]}]}",
                 "invalid baseline 'b.json': components[0].edges[0]: an edge must join two "
                 "different members of its component");
    expect_error("{\"impviz_baseline\": 1, \"components\": [{\"members\": [\"a\", \"b\"], "
                 "\"edges\": [[\"a\", \"a\"]]}]}",
                 "invalid baseline 'b.json': components[0].edges[0]: an edge must join two "
                 "different members of its component");
    /* bytes after the JSON, and a NUL inside a string */
    expect_error("{\"impviz_baseline\": 1, \"components\": []} x",
                 "invalid baseline 'b.json': line 1: not JSON: end of file expected near 'x'");
    impviz_baseline *b = NULL;
    static const char nul[] = "{\"impviz_baseline\": 1, \"components\": [{\"members\": "
                              "[\"a\\u0000\", \"b\"], \"edges\": []}]}";
    char *msg = parse_error(nul, &b);
    CHECK(msg != NULL);
    g_free(msg);
    impviz_baseline_free(b);
}

/* An unsorted, hand-edited file comes back sorted; writing it again is a fixed point. */
static void test_canonical(void)
{
    const char *text =
        "{\"components\": [{\"edges\": [[\"z.b\", \"z.a\"], [\"z.a\", \"z.b\"]], "
        "\"members\": [\"z.b\", \"z.a\"]}, {\"members\": [\"m\", \"k\", \"\\u00e9t\\u00e9\"], "
        "\"edges\": [[\"m\", \"k\"]]}], \"impviz_baseline\": 1}";
    const char *want = "{\n"
                       "  \"impviz_baseline\": 1,\n"
                       "  \"components\": [\n"
                       "    {\n"
                       "      \"members\": [\n"
                       "        \"k\",\n"
                       "        \"m\",\n"
                       "        \"\xc3\xa9t\xc3\xa9\"\n"
                       "      ],\n"
                       "      \"edges\": [\n"
                       "        [\"m\", \"k\"]\n"
                       "      ]\n"
                       "    },\n"
                       "    {\n"
                       "      \"members\": [\n"
                       "        \"z.a\",\n"
                       "        \"z.b\"\n"
                       "      ],\n"
                       "      \"edges\": [\n"
                       "        [\"z.a\", \"z.b\"],\n"
                       "        [\"z.b\", \"z.a\"]\n"
                       "      ]\n"
                       "    }\n"
                       "  ]\n"
                       "}\n";
    impviz_baseline *b = NULL;
    char *msg = parse_error(text, &b);
    CHECK(msg == NULL);
    g_free(msg);
    if (!b)
        return;
    CHECK_INT(impviz_baseline_count(b), 2);
    GString *dump = impviz_baseline_dump(b);
    CHECK_STR(dump->str, want);
    impviz_baseline *again = NULL;
    msg = parse_error(dump->str, &again);
    CHECK(msg == NULL);
    g_free(msg);
    if (again) {
        GString *dump2 = impviz_baseline_dump(again);
        CHECK_STR(dump2->str, dump->str);
        g_string_free(dump2, TRUE);
    }
    impviz_baseline_free(again);
    g_string_free(dump, TRUE);
    impviz_baseline_free(b);

    /* no component at all */
    msg = parse_error("{\"impviz_baseline\": 1, \"components\": []}", &b);
    CHECK(msg == NULL);
    g_free(msg);
    if (b) {
        GString *empty = impviz_baseline_dump(b);
        CHECK_STR(empty->str, "{\n  \"impviz_baseline\": 1,\n  \"components\": []\n}\n");
        g_string_free(empty, TRUE);
    }
    impviz_baseline_free(b);
}

int main(void)
{
    test_malformed();
    test_canonical();
    return check_done("test_baseline");
}
