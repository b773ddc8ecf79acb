/* SPDX-License-Identifier: MIT */
/* test_config.c - [tool.impviz] read from TOML bytes: every value type, every way TOML can spell
 * the table, string escapes, and each error with its line and message. */
#include "check.h"
#include "impviz.h"

static const impviz_config_key keys[] = {
    {"roots", IMPVIZ_CONFIG_STRINGS},  {"layout", IMPVIZ_CONFIG_STRING},
    {"check", IMPVIZ_CONFIG_BOOL},     {"jobs", IMPVIZ_CONFIG_INT},
    {"fail-on", IMPVIZ_CONFIG_STRING}, {NULL, 0},
};

/* Parses text as "dir/pyproject.toml"; on failure returns "LINE: message" (caller frees). */
static char *parse(const char *text, impviz_config **out)
{
    impviz_diags *diags = impviz_diags_new();
    impviz_status st =
        impviz_config_parse(text, strlen(text), "dir/pyproject.toml", keys, diags, out);
    const GPtrArray *items = impviz_diags_sorted(diags);
    char *msg = NULL;
    if (st != IMPVIZ_OK) {
        CHECK(*out == NULL);
        CHECK_INT(items->len, 1);
        const impviz_diag *d = items->len ? g_ptr_array_index(items, 0) : NULL;
        if (d) {
            CHECK_STR(d->path, "dir/pyproject.toml");
            msg = g_strdup_printf("%d: %s", d->line, d->message);
        }
    } else {
        CHECK_INT(items->len, 0);
    }
    impviz_diags_free(diags);
    return msg;
}

static void expect_error(const char *text, const char *want)
{
    impviz_config *c = NULL;
    char *msg = parse(text, &c);
    CHECK_STR(msg, want);
    g_free(msg);
    impviz_config_free(c);
}

static void test_values(void)
{
    const char *text = "[project]\n"
                       "name = \"x\"  # not ours\n"
                       "\n"
                       "[tool.black]\n"
                       "line-length = 100\n"
                       "\n"
                       "[tool.impviz]\n"
                       "roots = [ # where the code is\n"
                       "  \"src\", 'lib\\x',\n"
                       "  \"\"\"\nmulti\\\n    line\"\"\",\n"
                       "  \"\\u00e9\\t\\\"q\\\"\",\n"
                       "]\n"
                       "\"check\" = true\n"
                       "jobs = 0x10\n"
                       "fail-on = '''cycle'''\n";
    impviz_config *c = NULL;
    char *msg = parse(text, &c);
    CHECK(msg == NULL);
    g_free(msg);
    if (!c)
        return;
    CHECK(c->found);
    CHECK_STR(c->dir, "dir");
    const impviz_config_value *v = impviz_config_get(c, "roots");
    CHECK(v != NULL);
    if (v) {
        CHECK_INT(v->line, 8);
        CHECK_INT(g_strv_length(v->strings), 4);
        CHECK_STR(v->strings[0], "src");
        CHECK_STR(v->strings[1], "lib\\x"); /* literal string: no escapes */
        CHECK_STR(v->strings[2], "multiline");
        CHECK_STR(v->strings[3], "\xc3\xa9\t\"q\"");
    }
    v = impviz_config_get(c, "check");
    CHECK(v && v->boolean);
    v = impviz_config_get(c, "jobs");
    CHECK(v && v->integer == 16);
    v = impviz_config_get(c, "fail-on");
    CHECK(v && strcmp(v->string, "cycle") == 0);
    CHECK(impviz_config_get(c, "layout") == NULL);
    char *joined = impviz_config_resolve(c, "src");
    CHECK_STR(joined, "dir/src");
    g_free(joined);
    joined = impviz_config_resolve(c, "/abs");
    CHECK_STR(joined, "/abs");
    g_free(joined);
    impviz_config_free(c);
}

/* The same table spelled as dotted keys and as inline tables. */
static void test_spellings(void)
{
    const char *const texts[] = {
        "tool.impviz.layout = \"neato\"\n",          "[tool]\nimpviz.layout = \"neato\"\n",
        "tool = {impviz = {layout = \"neato\"}}\n",  "[tool]\nimpviz = {layout = \"neato\"}\n",
        "[tool . \"impviz\"]\nlayout = \"neato\"\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
        impviz_config *c = NULL;
        char *msg = parse(texts[i], &c);
        CHECK_STR(msg ? msg : "ok", "ok");
        g_free(msg);
        const impviz_config_value *v = c ? impviz_config_get(c, "layout") : NULL;
        CHECK(v && strcmp(v->string, "neato") == 0);
        impviz_config_free(c);
    }
    /* no [tool.impviz]: parsed, not found */
    impviz_config *c = NULL;
    char *msg = parse("[tool.other]\nlayout = 1\n[[tool.x]]\ny = 2\n", &c);
    CHECK(msg == NULL && c && !c->found && c->values->len == 0);
    g_free(msg);
    impviz_config_free(c);
}

static void test_errors(void)
{
    expect_error("[tool.impviz]\ncheks = true\n", "2: unknown key 'cheks' in [tool.impviz]");
    expect_error("[tool.impviz]\nfail_on = \"cycle\"\n",
                 "2: unknown key 'fail_on' in [tool.impviz] (did you mean 'fail-on'?)");
    expect_error("[tool.impviz]\ncheck = \"yes\"\n", "2: 'check' must be a boolean, not a string");
    expect_error("[tool.impviz]\njobs = 1.5\n", "2: 'jobs' must be an integer, not a float");
    expect_error("[tool.impviz]\nlayout = [\"dot\"]\n",
                 "2: 'layout' must be a string, not an array");
    expect_error("[tool.impviz]\nroots = \"src\"\n",
                 "2: 'roots' must be an array of strings, not a string");
    expect_error("[tool.impviz]\nroots = [\n  \"a\",\n  1,\n]\n",
                 "4: 'roots' must be an array of strings, but item 2 is an integer");
    expect_error("[tool.impviz]\nlayout = 1979-05-27\n",
                 "2: 'layout' must be a string, not a date or time");
    expect_error("[tool.impviz]\ncheck = true\n\ncheck = false\n",
                 "4: key 'check' is defined twice in [tool.impviz] (first on line 2)");
    expect_error("[tool.impviz]\n[tool.impviz]\n", "2: table [tool.impviz] is defined twice");
    expect_error("[[tool.impviz]]\ncheck = true\n",
                 "1: [[tool.impviz]] must be a table: [tool.impviz]");
    expect_error("[tool.impviz.sub]\nx = 1\n", "1: unknown key 'sub' in [tool.impviz]");
    expect_error("[tool.impviz]\nsub.x = 1\n", "2: unknown key 'sub.x' in [tool.impviz]");
    expect_error("[tool]\nimpviz = 3\n", "2: 'tool.impviz' must be a table, not an integer");
    expect_error("[tool.impviz]\njobs = 99999999999999999999\n",
                 "2: 'jobs': integer 99999999999999999999 is out of range");
    expect_error("[a]\nx = 1\nx = 2\n",
                 "3: invalid TOML: key 'a.x' is defined twice (first on line 2)");
    expect_error("[a]\n[b]\n[a]\n",
                 "3: invalid TOML: table 'a' is defined twice (first on line 1)");
    expect_error("a.b = 1\na.b = 2\n",
                 "2: invalid TOML: key 'a.b' is defined twice (first on line 1)");
    expect_error("[tool.impviz]\nlayout = \"\\q\"\n",
                 "2: invalid TOML: syntax error near 'layout = \"\\q\"'");
    expect_error("[project]\nname = \"x\"\n[tool.impviz\ncheck = true\n",
                 "3: invalid TOML: syntax error near '[tool.impviz'");
    expect_error("[tool.impviz]\nroots = [\"a\",\n",
                 "2: invalid TOML: syntax error near 'roots = [\"a\",'");
    expect_error("a = 1\n[tool.impviz]\nlayout = \"\xff\"\n", "3: invalid TOML: not UTF-8 text");
    static const char with_nul[] = "[tool.impviz]\nlayout = \"a\"\n";
    impviz_diags *diags = impviz_diags_new();
    impviz_config *c = NULL;
    char buf[sizeof with_nul];
    memcpy(buf, with_nul, sizeof with_nul);
    buf[25] = '\0';
    CHECK_INT(impviz_config_parse(buf, sizeof with_nul - 1, "p.toml", keys, diags, &c),
              IMPVIZ_EINPUT);
    CHECK(c == NULL);
    impviz_diags_free(diags);
}

int main(void)
{
    test_values();
    test_spellings();
    test_errors();
    return check_done("test_config");
}
