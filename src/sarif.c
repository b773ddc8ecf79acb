/* SPDX-License-Identifier: MIT */
/*
 * sarif.c - findings at import lines: SARIF 2.1.0 for code scanning, and GitHub Actions
 * workflow commands for the log.
 *
 * One result per import-time cycle (and one per entry point predicted to raise), located at the
 * import that starts its shortest chain (the traceback's last frame), with
 * every step of the chain as a related location. SARIF is built with jansson (which escapes
 * JSON); file locations are URI references with every byte outside the unreserved set and "/"
 * percent-encoded. Workflow commands escape data (%, CR, LF) and properties (also ":" and ",")
 * the way GitHub's own toolkit does.
 */
#include "impviz.h"

#include <jansson.h>
#include <string.h>

#define RULE_CYCLE "import-time-cycle"
#define RULE_ERROR "predicted-import-error"

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

/* JSON strings must be UTF-8: bytes from a file that lied about its encoding become U+FFFD. */
static json_t *jstr(const char *s)
{
    char *valid = g_utf8_make_valid(s, -1);
    json_t *j = json_string(valid);
    g_free(valid);
    return j;
}

static json_t *text_message(const char *text)
{
    return json_pack("{s:o}", "text", jstr(text));
}

/* A relative path as a URI reference; an absolute one as a file: URI. */
static char *path_uri(const char *path)
{
    char *escaped = g_uri_escape_string(path, "/", FALSE);
    char *uri =
        g_path_is_absolute(path) ? g_strconcat("file://", escaped, NULL) : g_strdup(escaped);
    g_free(escaped);
    return uri;
}

static json_t *physical_location(const impviz_analysis *a, const impviz_step *s)
{
    char *path = impviz_module_display_path(module_at(a, s->source));
    char *uri = path_uri(path);
    json_t *loc = json_pack("{s:{s:o}, s:{s:i, s:{s:o}}}", "artifactLocation", "uri", jstr(uri),
                            "region", "startLine", (json_int_t)s->import->line, "snippet", "text",
                            jstr(s->import->statement));
    g_free(uri);
    g_free(path);
    return loc;
}

static char *chain_text(const impviz_analysis *a, const GArray *steps)
{
    GString *t = g_string_new(NULL);
    for (guint i = 0; i < steps->len; i++) {
        const impviz_step *s = &g_array_index(steps, impviz_step, i);
        if (i == 0)
            g_string_append(t, module_at(a, s->source)->name);
        g_string_append_printf(t, " -> %s", module_at(a, s->target)->name);
    }
    return g_string_free(t, FALSE);
}

/* "error" for what fails the gate, "warning" for what it lets pass. */
static const char *level_of(const impviz_gate *gate, guint component)
{
    return !gate || !gate->fails || gate->fails[component] ? "error" : "warning";
}

static const char *const baseline_states[] = {NULL, "new", "updated", "unchanged"};

/* SARIF's baselineState, when a baseline is in use. */
static void set_baseline_state(json_t *result, const impviz_gate *gate, guint component)
{
    if (gate && gate->baseline && gate->baseline[component] != IMPVIZ_BASELINE_NONE)
        json_object_set_new(result, "baselineState",
                            json_string(baseline_states[gate->baseline[component]]));
}

static json_t *cycle_result(const impviz_analysis *a, guint component, const impviz_gate *gate)
{
    const GArray *members = g_ptr_array_index(a->graph->import_time.components, component);
    GArray *steps = impviz_cycle_steps(a, component);
    char *chain = chain_text(a, steps);
    char *msg = g_strdup_printf("Import-time cycle of %u modules: %s. Importing any of them "
                                "first runs the others while it is only partly initialised.",
                                members->len, chain);
    json_t *related = json_array();
    for (guint i = 0; i < steps->len; i++) {
        const impviz_step *s = &g_array_index(steps, impviz_step, i);
        char *what = g_strdup_printf("step %u: %s imports %s", i + 1, module_at(a, s->source)->name,
                                     module_at(a, s->target)->name);
        json_array_append_new(related, json_pack("{s:i, s:o, s:o}", "id", (json_int_t)(i + 1),
                                                 "physicalLocation", physical_location(a, s),
                                                 "message", text_message(what)));
        g_free(what);
    }
    /* the component's identity, stable when lines move: its sorted member names */
    GString *names = g_string_new(NULL);
    for (guint i = 0; i < members->len; i++)
        g_string_append_printf(names, "%s\n", module_at(a, g_array_index(members, guint, i))->name);
    char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, names->str, (gssize)names->len);
    json_t *result = json_pack(
        "{s:s, s:i, s:s, s:o, s:[{s:o}], s:o, s:{s:s}}", "ruleId", RULE_CYCLE, "ruleIndex", 0,
        "level", level_of(gate, component), "message", text_message(msg), "locations",
        "physicalLocation",
        steps->len ? physical_location(a, &g_array_index(steps, impviz_step, 0)) : json_object(),
        "relatedLocations", related, "partialFingerprints", "impvizComponent/v1", digest);
    g_free(digest);
    g_string_free(names, TRUE);
    g_free(msg);
    g_free(chain);
    g_array_unref(steps);
    set_baseline_state(result, gate, component);
    return result;
}

static json_t *frame_location(const impviz_analysis *a, const impviz_frame *f)
{
    char *path = impviz_module_display_path(module_at(a, f->module));
    char *uri = path_uri(path);
    json_t *loc = json_pack("{s:{s:o}, s:{s:i, s:{s:o}}}", "artifactLocation", "uri", jstr(uri),
                            "region", "startLine", (json_int_t)f->line, "snippet", "text",
                            jstr(f->statement ? f->statement : ""));
    g_free(uri);
    g_free(path);
    return loc;
}

/* One result per entry point predicted to raise: located where CPython's traceback ends, the
 * frames that lead there as related locations. */
static json_t *prediction_result(const impviz_analysis *a, const impviz_prediction *p,
                                 const impviz_gate *gate, guint component)
{
    char *msg = g_strdup_printf("import %s raises %s: %s%s", p->module,
                                impviz_error_type_str(p->type), p->message,
                                p->assumptions ? " (the prediction assumes that conditional code "
                                                 "runs)"
                                               : "");
    json_t *related = json_array();
    for (guint i = 0; i < p->chain->len; i++) {
        const impviz_frame *f = &g_array_index(p->chain, impviz_frame, i);
        char *what = g_strdup_printf("frame %u: %s", i + 1, module_at(a, f->module)->name);
        json_array_append_new(related, json_pack("{s:i, s:o, s:o}", "id", (json_int_t)(i + 1),
                                                 "physicalLocation", frame_location(a, f),
                                                 "message", text_message(what)));
        g_free(what);
    }
    const impviz_frame *last =
        p->chain->len ? &g_array_index(p->chain, impviz_frame, p->chain->len - 1) : NULL;
    char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, p->module, -1);
    json_t *result =
        json_pack("{s:s, s:i, s:s, s:o, s:[{s:o}], s:o, s:{s:s}}", "ruleId", RULE_ERROR,
                  "ruleIndex", 1, "level", level_of(gate, component), "message", text_message(msg),
                  "locations", "physicalLocation", last ? frame_location(a, last) : json_object(),
                  "relatedLocations", related, "partialFingerprints", "impvizEntry/v1", digest);
    g_free(digest);
    g_free(msg);
    set_baseline_state(result, gate, component);
    return result;
}

void impviz_sarif_append(GString *out, const impviz_analysis *a, const impviz_gate *gate)
{
    json_t *rules = json_array();
    json_array_append_new(
        rules,
        json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}", "id", RULE_CYCLE, "name",
                  "ImportTimeCycle", "shortDescription", "text",
                  "Modules import each other at import time", "fullDescription", "text",
                  "Modules that import each other at module level: whichever is imported first "
                  "runs the others while it is only partly initialised, so a name it has not "
                  "bound yet raises ImportError or AttributeError, depending on import order.",
                  "help", "text",
                  "Defer one import of the cycle into the functions that use it, or move what "
                  "the modules share into a module that imports none of them.",
                  "defaultConfiguration", "level", "error"));
    json_array_append_new(
        rules, json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}", "id", RULE_ERROR, "name",
                         "PredictedImportError", "shortDescription", "text",
                         "Importing this module raises, predicted by replaying CPython's import",
                         "fullDescription", "text",
                         "impviz replays CPython's import system over the cycle: importing this "
                         "module reaches a name of a partially initialised module before that "
                         "module binds it.",
                         "help", "text",
                         "Defer the suggested import into the functions that use it, or move "
                         "the composition into a third module.",
                         "defaultConfiguration", "level", "error"));
    json_t *results = json_array();
    for (guint i = 0; i < a->graph->import_time.components->len; i++) {
        json_array_append_new(results, cycle_result(a, i, gate));
        if (!a->diagnosis || i >= a->diagnosis->cycles->len)
            continue;
        const impviz_cycle_diagnosis *c = g_ptr_array_index(a->diagnosis->cycles, i);
        for (guint k = 0; k < c->entries->len; k++) {
            const impviz_prediction *p = g_ptr_array_index(c->entries, k);
            if (p->type != IMPVIZ_ERROR_NONE)
                json_array_append_new(results, prediction_result(a, p, gate, i));
        }
    }
    json_t *root = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:o, s:s}]}", "$schema",
                             "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
                             "runs", "tool", "driver", "name", "impviz", "version", IMPVIZ_VERSION,
                             "rules", rules, "results", results, "columnKind", "unicodeCodePoints");
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    g_string_append(out, text);
    g_string_append_c(out, '\n');
    free(text);
    json_decref(root);
}

/* ---- GitHub Actions workflow commands -------------------------------------------------------- */

/* Escapes as @actions/core does: data %, CR, LF; properties also ":" and ",". */
static void gh_escape(GString *out, const char *s, bool property)
{
    for (; *s; s++) {
        switch (*s) {
        case '%':
            g_string_append(out, "%25");
            break;
        case '\r':
            g_string_append(out, "%0D");
            break;
        case '\n':
            g_string_append(out, "%0A");
            break;
        case ':':
            g_string_append(out, property ? "%3A" : ":");
            break;
        case ',':
            g_string_append(out, property ? "%2C" : ",");
            break;
        default:
            g_string_append_c(out, *s);
        }
    }
}

void impviz_github_append(GString *out, const impviz_analysis *a, const impviz_gate *gate)
{
    for (guint i = 0; i < a->graph->import_time.components->len; i++) {
        GArray *steps = impviz_cycle_steps(a, i);
        if (!steps->len) {
            g_array_unref(steps);
            continue;
        }
        const impviz_step *first = &g_array_index(steps, impviz_step, 0);
        char *path = impviz_module_display_path(module_at(a, first->source));
        char *chain = chain_text(a, steps);
        GString *msg = g_string_new(NULL);
        g_string_append_printf(msg, "import-time cycle: %s", chain);
        for (guint k = 0; k < steps->len; k++) {
            const impviz_step *s = &g_array_index(steps, impviz_step, k);
            char *p = impviz_module_display_path(module_at(a, s->source));
            g_string_append_printf(msg, "\n  %s:%u: %s", p, s->import->line, s->import->statement);
            g_free(p);
        }
        char *valid_msg = g_utf8_make_valid(msg->str, (gssize)msg->len);
        char *valid_path = g_utf8_make_valid(path, -1);
        g_string_append_printf(out, "::%s file=", level_of(gate, i));
        gh_escape(out, valid_path, true);
        g_string_append_printf(out, ",line=%u,title=", first->import->line);
        gh_escape(out, "impviz: import-time cycle", true);
        g_string_append(out, "::");
        gh_escape(out, valid_msg, false);
        g_string_append_c(out, '\n');
        g_free(valid_msg);
        g_free(valid_path);
        g_string_free(msg, TRUE);
        g_free(chain);
        g_free(path);
        g_array_unref(steps);
    }
}
