/* SPDX-License-Identifier: MIT */
/*
 * diagnose.c - predicts what CPython does on `import M`, and which imports to defer.
 *
 * The simulation replays each file's module-level events (parse.c) the way CPython 3.11's
 * importlib runs modules: a module's parent packages are imported first; a module is put in
 * sys.modules before its code runs, so an import of a module still running returns the
 * partially initialised module; a submodule becomes an attribute of its parent only once it
 * has finished; a failing module is taken out of sys.modules again; `from M import X` falls
 * back to the submodule M.X, then to sys.modules["M.X"], before raising ImportError; a try
 * whose except clause catches the error resumes in that handler. Modules outside the project
 * import fine and have every attribute.
 *
 * Invariants: a simulation owns every module object it creates (state.objects) and every name
 * they hold (state.strings), and frees them together; namespace values are tagged pointers (a
 * module object, OPAQUE or NONE, low bit set when the binding was uncertain). Nothing here does I/O
 * except rereading the files of modules on cycles, for the use analysis behind the suggestions.
 */
#include "impviz.h"
#include "feedback.h"

#include <string.h>

const char *impviz_error_type_str(impviz_error_type type)
{
    switch (type) {
    case IMPVIZ_ERROR_IMPORT:
        return "ImportError";
    case IMPVIZ_ERROR_ATTRIBUTE:
        return "AttributeError";
    default:
        return NULL;
    }
}

const char *impviz_fix_action_str(impviz_fix_action action)
{
    return action == IMPVIZ_FIX_DEFER ? "defer" : "restructure";
}

/* ---- the simulated interpreter ------------------------------------------------------------- */

/* A module object: one per execution of a module (a failed import's object is dropped from
 * sys.modules, and a later import makes a new one). */
typedef struct {
    const char *name;  /* dotted; in state.strings */
    gint index;        /* project module index, or -1 for a namespace package */
    GHashTable *ns;    /* name (in state.strings) -> tagged value */
    bool initializing; /* its code is still running */
    bool is_package;
    bool open;          /* may bind names the simulation cannot see */
    GPtrArray *loading; /* names of its submodules being imported now (their code runs):
                           CPython's __spec__._uninitialized_submodules */
} object;

/* The value of anything that is not a project module object, and of None: two distinct
 * addresses (not const, so that the compiler cannot merge them), 8-byte aligned for the tag. */
static guint64 opaque_value, none_value;
#define OPAQUE ((gpointer)&opaque_value)
#define NONE ((gpointer)&none_value)
#define UNCERTAIN_BIT ((guintptr)1)

static gpointer tag(gpointer v, bool uncertain)
{
    return uncertain ? (gpointer)((guintptr)v | UNCERTAIN_BIT) : v;
}

static gpointer untag(gpointer v)
{
    return (gpointer)((guintptr)v & ~UNCERTAIN_BIT);
}

static bool tagged_uncertain(gpointer v)
{
    return ((guintptr)v & UNCERTAIN_BIT) != 0;
}

typedef struct {
    impviz_error_type type;
    char *message;
    GArray *chain; /* impviz_frame */
} sim_error;

typedef struct {
    const impviz_analysis *a;
    GHashTable *modules; /* sys.modules: name (in strings) -> object * */
    GPtrArray *objects;  /* every object made, owned */
    GArray *frames;      /* impviz_frame: the modules running now, outermost first */
    sim_error error;     /* set while an exception propagates */
    bool assumptions;
    bool truncated; /* an import chain went deeper than MAX_IMPORT_DEPTH: not followed */
    guint depth;
    guint64 work;          /* events run */
    guint64 limit;         /* stop after this many events (the run's budget); 0: no limit */
    bool exhausted;        /* stopped at the limit: no prediction */
    GStringChunk *strings; /* names of module objects and namespace keys, deduplicated */
} state;

/* Deeper than this, the simulation stops importing (a chain of 10 000 modules, say). Tests
 * may lower it (-DMAX_IMPORT_DEPTH=50) to reach that path with small projects. */
#ifndef MAX_IMPORT_DEPTH
#define MAX_IMPORT_DEPTH 2000
#endif

static void object_free(gpointer p)
{
    object *o = p;
    g_hash_table_unref(o->ns);
    g_ptr_array_unref(o->loading);
    g_free(o);
}

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

static const impviz_file *file_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->files, i);
}

static bool is_namespace_package(const impviz_analysis *a, const char *name)
{
    return !impviz_project_lookup(a->project, name) &&
           g_hash_table_contains(a->project->packages, name);
}

/* Is name a module the simulation runs (a project module or namespace package)? */
static bool is_project_module(const impviz_analysis *a, const char *name)
{
    return impviz_project_lookup(a->project, name) || is_namespace_package(a, name);
}

static void raise_error(state *s, impviz_error_type type, char *message)
{
    s->error.type = type;
    s->error.message = message;
    s->error.chain = g_array_copy(s->frames);
}

static void clear_error(state *s)
{
    g_free(s->error.message);
    if (s->error.chain)
        g_array_unref(s->error.chain);
    memset(&s->error, 0, sizeof s->error);
}

/* The path CPython puts in an ImportError's message: the module's file, root-relative. */
static const char *object_path(const state *s, const object *o)
{
    if (o->index < 0)
        return NULL;
    return module_at(s->a, (guint)o->index)->path;
}

/* A copy of str that lives as long as the simulation; the same pointer for the same text.
 * (Not g_intern_string: GLib never frees its quark table, and leaks its first block when the
 * table grows.) */
static const char *intern(state *s, const char *str)
{
    return g_string_chunk_insert_const(s->strings, str);
}

static gpointer ns_get(const object *o, const char *name)
{
    return g_hash_table_lookup(o->ns, name);
}

/* Binds name, which must outlive the simulation (the analysis' strings, interned ones). */
static void ns_set(object *o, const char *name, gpointer value)
{
    g_hash_table_insert(o->ns, (gpointer)name, value);
}

static bool exec_module(state *s, object *o);

/* CPython's _find_and_load: the module object for name, running its code (after its parent's)
 * when it is not in sys.modules yet. *out is NULL for a module outside the project. False when
 * the import raised (s->error says what). */
static bool find_and_load(state *s, const char *name, object **out)
{
    *out = g_hash_table_lookup(s->modules, name);
    if (*out)
        return true;
    const char *dot = strrchr(name, '.');
    char *parent = dot ? g_strndup(name, dot - name) : NULL;
    bool ok = true;
    if (parent && is_project_module(s->a, parent) && !g_hash_table_contains(s->modules, parent)) {
        object *p = NULL;
        ok = find_and_load(s, parent, &p);
    }
    if (!ok || !is_project_module(s->a, name)) {
        g_free(parent);
        return ok;
    }
    *out = g_hash_table_lookup(s->modules, name); /* the parent may have imported it */
    if (*out) {
        g_free(parent);
        return true;
    }
    if (s->depth >= MAX_IMPORT_DEPTH) { /* give up on this branch: treat it as outside */
        s->assumptions = s->truncated = true;
        g_free(parent);
        return true;
    }
    object *o = g_new0(object, 1);
    o->name = intern(s, name);
    o->index = impviz_project_index(s->a->project, name);
    o->ns = g_hash_table_new(g_str_hash, g_str_equal);
    o->loading = g_ptr_array_new();
    o->initializing = true;
    o->is_package = o->index < 0 || module_at(s->a, (guint)o->index)->is_package;
    g_ptr_array_add(s->objects, o);
    g_hash_table_insert(s->modules, (gpointer)o->name, o);
    object *p = parent ? g_hash_table_lookup(s->modules, parent) : NULL;
    if (p)
        g_ptr_array_add(p->loading, (gpointer)intern(s, dot + 1));
    s->depth++;
    ok = exec_module(s, o);
    s->depth--;
    if (p)
        g_ptr_array_set_size(p->loading, p->loading->len - 1);
    o->initializing = false;
    if (!ok) {
        g_hash_table_remove(s->modules, o->name);
    } else {
        *out = o;
        p = parent ? g_hash_table_lookup(s->modules, parent) : NULL;
        if (p)
            ns_set(p, strrchr(o->name, '.') + 1, o); /* dot points into the caller's */
    }
    g_free(parent);
    return ok;
}

/* getattr(o, name) for IMPORT_FROM and `import a.b as c`: the attribute, else the submodule
 * sys.modules["o.name"]. NULL when neither exists. *uncertain (if not NULL) is set when the
 * attribute's binding may not have run. */
static gpointer import_from_attr(state *s, object *o, const char *name, bool *uncertain)
{
    gpointer v = ns_get(o, name);
    if (v) {
        if (tagged_uncertain(v)) {
            s->assumptions = true;
            if (uncertain)
                *uncertain = true;
        }
        return untag(v);
    }
    char *full = g_strconcat(o->name, ".", name, NULL);
    object *sub = g_hash_table_lookup(s->modules, full);
    g_free(full);
    if (sub)
        return sub;
    if (o->open || s->truncated) { /* names the simulation did not see may be there */
        s->assumptions = true;
        return OPAQUE;
    }
    return NULL;
}

static void raise_cannot_import(state *s, const object *o, const char *name)
{
    const char *path = object_path(s, o);
    char *where = path ? g_strdup_printf(" (%s)", path) : g_strdup(" (unknown location)");
    char *msg = o->initializing
                    ? g_strdup_printf("cannot import name '%s' from partially "
                                      "initialized module '%s' (most likely due "
                                      "to a circular import)%s",
                                      name, o->name, where)
                    : g_strdup_printf("cannot import name '%s' from '%s'%s", name, o->name, where);
    g_free(where);
    raise_error(s, IMPVIZ_ERROR_IMPORT, msg);
}

/* Runs one IMPORT event of module o. */
static bool run_import(state *s, object *o, const impviz_event *ev)
{
    const impviz_file *f = file_at(s->a, (guint)o->index);
    const impviz_import *imp = &g_array_index(f->imports, impviz_import, ev->import_index);
    char *full = impviz_resolve_absolute(s->a->project, (guint)o->index, imp);
    if (!full)
        return true; /* climbs above the top-level package: not the simulation's business */
    if (ev->uncertain && is_project_module(s->a, full))
        s->assumptions = true; /* which modules run, and in what order, rests on it */
    object *target = NULL;
    bool ok = find_and_load(s, full, &target);
    bool bind = !ev->class_body;
    if (!ok || (imp->flags & IMPVIZ_IMPORT_DYNAMIC))
        goto done;
    if (imp->flags & IMPVIZ_IMPORT_STAR) {
        if (!target) {
            o->open = true;
        } else {
            GHashTableIter it;
            gpointer k, v;
            g_hash_table_iter_init(&it, target->ns);
            while (g_hash_table_iter_next(&it, &k, &v))
                if (((const char *)k)[0] != '_' && bind)
                    ns_set(o, k, v);
            if (target->open)
                o->open = true;
        }
        goto done;
    }
    if (imp->flags & IMPVIZ_IMPORT_FROM) {
        gpointer v = OPAQUE;
        if (target) {
            /* _handle_fromlist: a package imports the submodule for a name it lacks */
            if (target->is_package && !ns_get(target, imp->name)) {
                char *sub = g_strconcat(full, ".", imp->name, NULL);
                object *ignored = NULL;
                if (is_project_module(s->a, sub))
                    ok = find_and_load(s, sub, &ignored);
                g_free(sub);
                if (!ok)
                    goto done;
            }
            v = import_from_attr(s, target, imp->name, NULL);
            if (!v) {
                raise_cannot_import(s, target, imp->name);
                ok = false;
                goto done;
            }
        }
        if (bind)
            ns_set(o, imp->asname ? imp->asname : imp->name, tag(v, ev->uncertain));
        goto done;
    }
    /* `import a.b.c` then imports a again: a.b.c may have been in sys.modules while a, whose
     * import failed and was caught, was not (CPython's __import__ without a fromlist) */
    char **parts = g_strsplit(full, ".", -1);
    object *top = NULL;
    if (parts[1] && !find_and_load(s, parts[0], &top)) {
        g_strfreev(parts);
        ok = false;
        goto done;
    }
    /* import a.b.c binds a; import a.b.c as d walks a.b.c with IMPORT_FROM */
    if (bind) {
        gpointer v = OPAQUE;
        bool certain = !ev->uncertain; /* so far, every binding walked surely ran */
        top = g_hash_table_lookup(s->modules, parts[0]);
        if (top)
            v = top;
        if (imp->asname && top) {
            for (guint i = 1; parts[i] && v != OPAQUE; i++) {
                if (v == NONE) { /* the package bound the submodule's name to None */
                    if (certain)
                        raise_error(s, IMPVIZ_ERROR_IMPORT,
                                    g_strdup_printf("cannot import name '%s' from '<unknown "
                                                    "module name>' (unknown location)",
                                                    parts[i]));
                    ok = !s->error.message;
                    break;
                }
                bool unsure = false;
                gpointer next = import_from_attr(s, v, parts[i], &unsure);
                certain = certain && !unsure;
                if (!next) {
                    raise_cannot_import(s, v, parts[i]);
                    ok = false;
                    break;
                }
                v = next;
            }
        }
        if (ok) {
            const char *bound = imp->asname;
            char *first = NULL;
            if (!bound)
                bound = first = g_strndup(imp->module, strcspn(imp->module, "."));
            ns_set(o, first ? intern(s, first) : bound, tag(v, ev->uncertain));
            g_free(first);
        }
    }
    g_strfreev(parts);
done:
    g_free(full);
    return ok;
}

static bool loading_submodule(const object *m, const char *name)
{
    for (guint i = 0; i < m->loading->len; i++)
        if (strcmp(g_ptr_array_index(m->loading, i), name) == 0)
            return true;
    return false;
}

/* Runs one USE event: reads the dotted chain "a.b.X" in module o's namespace. */
static bool run_use(state *s, object *o, const impviz_event *ev)
{
    char **parts = g_strsplit(ev->name, ".", -1);
    gpointer v = ns_get(o, parts[0]);
    bool ok = true;
    bool certain = !ev->uncertain; /* the read and the binding it reads both surely run */
    if (v && tagged_uncertain(v)) {
        s->assumptions = true;
        certain = false;
    }
    v = v ? untag(v) : OPAQUE; /* a builtin, or a name the simulation does not track */
    for (guint i = 1; parts[i] && v != OPAQUE; i++) {
        if (v == NONE) {
            /* None read under a condition is the usual `if x is not None: x.attr` */
            if (certain && !g_str_has_prefix(parts[i], "__")) {
                raise_error(s, IMPVIZ_ERROR_ATTRIBUTE,
                            g_strdup_printf("'NoneType' object has no attribute '%s'", parts[i]));
                ok = false;
            }
            break;
        }
        object *m = v;
        gpointer next = ns_get(m, parts[i]);
        if (next) {
            if (tagged_uncertain(next)) {
                s->assumptions = true;
                certain = false;
            }
            v = untag(next);
            continue;
        }
        if (m->open || s->truncated) {
            s->assumptions = true;
            break;
        }
        char *msg;
        if (m->initializing)
            msg = g_strdup_printf("partially initialized module '%s' has no attribute '%s' "
                                  "(most likely due to a circular import)",
                                  m->name, parts[i]);
        else if (loading_submodule(m, parts[i]))
            msg = g_strdup_printf("cannot access submodule '%s' of module '%s' (most likely due "
                                  "to a circular import)",
                                  parts[i], m->name);
        else
            msg = g_strdup_printf("module '%s' has no attribute '%s'", m->name, parts[i]);
        raise_error(s, IMPVIZ_ERROR_ATTRIBUTE, msg);
        ok = false;
        break;
    }
    g_strfreev(parts);
    return ok;
}

static guint catch_bit(impviz_error_type type)
{
    return type == IMPVIZ_ERROR_IMPORT ? IMPVIZ_CATCH_IMPORT : IMPVIZ_CATCH_ATTRIBUTE;
}

/* Follows a try's clause links from event i to the first that is not an EXCEPT. */
static guint skip_excepts(const GArray *events, guint i)
{
    while (g_array_index(events, impviz_event, i).type == IMPVIZ_EV_EXCEPT)
        i = g_array_index(events, impviz_event, i).next;
    return i;
}

/* Runs module o's events in order. False when an exception leaves the module. */
static bool exec_module(state *s, object *o)
{
    if (o->index < 0)
        return true; /* a namespace package runs no code */
    const impviz_file *f = file_at(s->a, (guint)o->index);
    if (!f) {
        o->open = true; /* unreadable: anything may be in it */
        return true;
    }
    impviz_frame frame = {.module = (guint)o->index};
    g_array_append_val(s->frames, frame);
    guint depth = s->frames->len - 1;
    GArray *tries = g_array_new(FALSE, FALSE, sizeof(guint)); /* TRY events whose body runs */
    const GArray *events = f->events;
    bool ok = true;
    for (guint i = 0; i < events->len; i++) {
        const impviz_event *ev = &g_array_index(events, impviz_event, i);
        if (s->exhausted || (s->limit && s->work >= s->limit)) {
            s->exhausted = true;
            ok = false;
            break;
        }
        s->work++;
        impviz_frame *top = &g_array_index(s->frames, impviz_frame, depth);
        top->line = ev->line;
        top->statement = ev->context;
        bool step = true;
        switch (ev->type) {
        case IMPVIZ_EV_IMPORT:
            top->statement = g_array_index(f->imports, impviz_import, ev->import_index).statement;
            step = run_import(s, o, ev);
            break;
        case IMPVIZ_EV_BIND:
            if (!ev->class_body)
                ns_set(o, ev->name, tag(ev->none ? NONE : OPAQUE, ev->uncertain));
            break;
        case IMPVIZ_EV_USE:
            step = run_use(s, o, ev);
            if (!step && ev->uncertain)
                s->assumptions = true;
            break;
        case IMPVIZ_EV_TRY:
            g_array_append_val(tries, i);
            break;
        case IMPVIZ_EV_EXCEPT:
            if (tries->len &&
                g_array_index(events, impviz_event, g_array_index(tries, guint, tries->len - 1))
                        .next == i) {
                /* the body finished: go on with the else clause, or after the handlers */
                g_array_set_size(tries, tries->len - 1);
                i = skip_excepts(events, i);
            } else { /* a handler finished: skip the other handlers and the else clause */
                i = skip_excepts(events, i);
                if (g_array_index(events, impviz_event, i).type == IMPVIZ_EV_ELSE)
                    i = g_array_index(events, impviz_event, i).next;
            }
            break;
        case IMPVIZ_EV_ELSE: /* reached after the last handler: skip the else body */
            i = ev->next;
            break;
        case IMPVIZ_EV_END:
            if (tries->len &&
                g_array_index(events, impviz_event, g_array_index(tries, guint, tries->len - 1))
                        .next == i)
                g_array_set_size(tries, tries->len - 1); /* try/finally without handlers */
            break;
        }
        if (step)
            continue;
        /* an exception: the innermost try whose handler catches it takes it */
        bool caught = false;
        if (s->exhausted)
            tries->len = 0; /* not an exception: the simulation stops here */
        while (tries->len && !caught) {
            guint t = g_array_index(tries, guint, tries->len - 1);
            g_array_set_size(tries, tries->len - 1);
            for (guint c = g_array_index(events, impviz_event, t).next;
                 g_array_index(events, impviz_event, c).type == IMPVIZ_EV_EXCEPT;
                 c = g_array_index(events, impviz_event, c).next) {
                if (g_array_index(events, impviz_event, c).catches & catch_bit(s->error.type)) {
                    i = c; /* the loop's i++ enters the handler */
                    caught = true;
                    break;
                }
            }
        }
        if (!caught) {
            ok = false;
            break;
        }
        clear_error(s);
    }
    g_array_unref(tries);
    g_array_set_size(s->frames, depth);
    return ok;
}

static void state_init(state *s, const impviz_analysis *a)
{
    memset(s, 0, sizeof *s);
    s->a = a;
    s->modules = g_hash_table_new(g_str_hash, g_str_equal);
    s->objects = g_ptr_array_new_with_free_func(object_free);
    s->frames = g_array_new(FALSE, FALSE, sizeof(impviz_frame));
    s->strings = g_string_chunk_new(4096);
}

static void state_release(state *s)
{
    clear_error(s);
    g_hash_table_unref(s->modules);
    g_ptr_array_unref(s->objects);
    g_array_unref(s->frames);
    g_string_chunk_free(s->strings);
}

void impviz_prediction_free(impviz_prediction *p)
{
    if (!p)
        return;
    g_free(p->module);
    g_free(p->message);
    if (p->chain) /* NULL in a simulation that ran out of budget */
        g_array_unref(p->chain);
    g_free(p);
}

/* `import name` in a fresh interpreter. Name must be a project module. Adds the events run to
 * *work; NULL when more than limit events (0: no limit) would be needed. */
static impviz_prediction *predict(const impviz_analysis *a, const char *name, guint64 *work,
                                  guint64 limit)
{
    state s;
    state_init(&s, a);
    s.limit = limit;
    impviz_prediction *p = g_new0(impviz_prediction, 1);
    p->module = g_strdup(name);
    object *ignored = NULL;
    if (find_and_load(&s, name, &ignored)) {
        p->chain = g_array_new(FALSE, FALSE, sizeof(impviz_frame));
    } else {
        p->type = s.error.type;
        p->message = g_steal_pointer(&s.error.message);
        p->chain = g_steal_pointer(&s.error.chain);
    }
    p->assumptions = s.assumptions;
    *work += s.work;
    if (s.exhausted)
        g_clear_pointer(&p, impviz_prediction_free);
    state_release(&s);
    return p;
}

impviz_status impviz_predict_import(const impviz_analysis *a, const char *module,
                                    impviz_diags *diags, impviz_prediction **out)
{
    *out = NULL;
    if (!is_project_module(a, module)) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0,
                         "unknown module '%s': no such module or package in the project", module);
        return IMPVIZ_EUSAGE;
    }
    guint64 work = 0;
    *out = predict(a, module, &work, 0); /* one module asked for by name: no budget */
    return IMPVIZ_OK;
}

/* ---- cycles and suggestions ---------------------------------------------------------------- */

static const guint EAGER_MASK = 1u << IMPVIZ_EAGER;

/* Exact minimum feedback sets are searched (feedback.c) up to this many edges. */
#define EXACT_MAX_EDGES 20
G_STATIC_ASSERT(EXACT_MAX_EDGES <= IMPVIZ_FEEDBACK_MAX_ARCS);
/* A component's members are simulated as entry points until this many events have run (a few
 * seconds); the rest are left out, counted in entries_omitted. */
#define PREDICT_BUDGET 4000000u
/* Up to this many edges, every edge's names are looked up before choosing (see suggest). */
#define PLAN_ALL_MAX_EDGES 5000

static const impviz_ref *ref_at(const impviz_analysis *a, guint i)
{
    return &g_array_index(a->refs, impviz_ref, i);
}

/* The eager import records behind an edge, in source order. */
static GArray *eager_refs(const impviz_analysis *a, const impviz_edge *e)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint i = 0; i < e->count; i++) {
        guint r = e->refs[i];
        if (ref_at(a, r)->import->kind == IMPVIZ_EAGER)
            g_array_append_val(out, r);
    }
    return out;
}

/* An eager edge inside a component: a candidate for deferral. */
typedef struct {
    guint source, target; /* local indices into the component's members */
    GArray *refs;         /* guint indices into analysis refs: its eager imports */
    guint penalty;        /* per import: 0 names used only in functions, 1 names unused here,
                             3 names needed at import time (restructure) */
} comp_edge;

/* The name an import binds in its module: `import a.b` binds a. Caller frees. */
static char *bound_name(const impviz_import *imp)
{
    if (imp->asname)
        return g_strdup(imp->asname);
    if (imp->flags & IMPVIZ_IMPORT_FROM)
        return g_strdup(imp->name ? imp->name : "");
    return g_strndup(imp->module, strcspn(imp->module, "."));
}

/* "module\nname" for every `from module import name` of the project, and "module\n*" for star
 * imports: names other modules take from a module, which it must keep binding on import. */
static GHashTable *reexports(const impviz_analysis *a)
{
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < a->refs->len; i++) {
        const impviz_ref *r = ref_at(a, i);
        if (r->target < 0 || !(r->import->flags & IMPVIZ_IMPORT_FROM) || !r->import->name)
            continue;
        g_hash_table_add(set, g_strdup_printf("%d\n%s", r->target, r->import->name));
    }
    return set;
}

static bool is_reexported(GHashTable *set, guint module, const char *name)
{
    char *key = g_strdup_printf("%u\n%s", module, name);
    bool found = g_hash_table_contains(set, key);
    g_free(key);
    if (!found && name[0] != '_') {
        key = g_strdup_printf("%u\n*", module);
        found = g_hash_table_contains(set, key);
        g_free(key);
    }
    return found;
}

/* Where module m's file uses each of names; NULL when the file cannot be reread. */
static GArray *file_name_uses(const impviz_analysis *a, impviz_parser *parser, guint m,
                              GPtrArray *names)
{
    char *bytes = NULL;
    gsize len = 0;
    if (!g_file_get_contents(module_at(a, m)->file, &bytes, &len, NULL))
        return NULL;
    GArray *uses =
        impviz_parser_name_uses(parser, bytes, len, (const char *const *)names->pdata, names->len);
    g_free(bytes);
    return uses;
}

void impviz_suggestion_free(gpointer p)
{
    impviz_suggestion *s = p;
    g_ptr_array_unref(s->functions);
    g_ptr_array_unref(s->names);
    g_free(s);
}

static void add_unique(GPtrArray *list, const char *s)
{
    for (guint i = 0; i < list->len; i++)
        if (strcmp(g_ptr_array_index(list, i), s) == 0)
            return;
    g_ptr_array_add(list, g_strdup(s));
}

/* Builds one suggestion per eager import of edge e, deciding defer or restructure; sets
 * e->penalty. uses: where the source file uses each name of `names` (or NULL). An import whose
 * names this module never reads, and no other module takes from it, is deferred too: it can go
 * where it is needed, or away (unless it is there for its side effects). A package's __init__
 * keeps such imports: they make its public names. */
static void plan_edge(const impviz_analysis *a, const GArray *members, comp_edge *e, GArray *uses,
                      GPtrArray *names, GHashTable *exported, GPtrArray *out)
{
    guint src = g_array_index(members, guint, e->source);
    e->penalty = 0;
    bool init = module_at(a, src)->is_package;
    for (guint i = 0; i < e->refs->len; i++) {
        const impviz_ref *r = ref_at(a, g_array_index(e->refs, guint, i));
        const impviz_import *imp = r->import;
        impviz_suggestion *sg = g_new0(impviz_suggestion, 1);
        sg->module = src;
        sg->target = g_array_index(members, guint, e->target);
        sg->line = imp->line;
        sg->statement = imp->statement;
        sg->functions = g_ptr_array_new_with_free_func(impviz_user_free);
        sg->names = g_ptr_array_new_with_free_func(g_free);
        char *bound = bound_name(imp);
        const impviz_name_uses *u = NULL;
        for (guint k = 0; uses && k < names->len; k++)
            if (strcmp(g_ptr_array_index(names, k), bound) == 0)
                u = &g_array_index(uses, impviz_name_uses, k);
        bool ok = u && !u->import_time && (u->functions->len > 0 || !init) &&
                  !(imp->flags & (IMPVIZ_IMPORT_STAR | IMPVIZ_IMPORT_DYNAMIC)) &&
                  !is_reexported(exported, src, bound);
        sg->action = ok ? IMPVIZ_FIX_DEFER : IMPVIZ_FIX_RESTRUCTURE;
        e->penalty += !ok ? 3 : u->functions->len ? 0 : 1;
        if (ok) {
            for (guint k = 0; k < u->functions->len; k++)
                g_ptr_array_add(sg->functions,
                                impviz_user_copy(g_ptr_array_index(u->functions, k)));
            add_unique(sg->names, bound);
        } else {
            /* the attribute chains read at import time through the bound name */
            const impviz_file *f = file_at(a, src);
            size_t blen = strlen(bound);
            for (guint k = 0; f && k < f->events->len; k++) {
                const impviz_event *ev = &g_array_index(f->events, impviz_event, k);
                if (ev->type == IMPVIZ_EV_USE && strncmp(ev->name, bound, blen) == 0 &&
                    ev->name[blen] == '.')
                    add_unique(sg->names, ev->name);
            }
            if (!sg->names->len)
                add_unique(sg->names, bound);
        }
        g_free(bound);
        g_ptr_array_add(out, sg);
    }
}

/* A component's eager edges in local indices (members' positions), sorted by source, with
 * off[v] .. off[v + 1] the edges out of v: every walk below is linear in the component. */
typedef struct {
    guint n, m;
    const comp_edge *edges;
    guint *off;
} comp_graph;

static void comp_graph_init(comp_graph *g, guint n, const GArray *edges)
{
    g->n = n;
    g->m = edges->len;
    g->edges = (const comp_edge *)edges->data;
    g->off = g_new0(guint, n + 1);
    for (guint i = 0; i < g->m; i++)
        g->off[g->edges[i].source + 1]++;
    for (guint v = 0; v < n; v++)
        g->off[v + 1] += g->off[v];
}

static void comp_graph_release(comp_graph *g)
{
    g_free(g->off);
}

/* Is the graph without the edges in `removed` acyclic? Kahn's algorithm. */
static bool acyclic_without(const comp_graph *g, const bool *removed, guint *indeg, guint *queue)
{
    memset(indeg, 0, g->n * sizeof(guint));
    for (guint i = 0; i < g->m; i++)
        if (!removed[i])
            indeg[g->edges[i].target]++;
    guint head = 0, tail = 0;
    for (guint v = 0; v < g->n; v++)
        if (!indeg[v])
            queue[tail++] = v;
    while (head < tail) {
        guint v = queue[head++];
        for (guint i = g->off[v]; i < g->off[v + 1]; i++)
            if (!removed[i] && --indeg[g->edges[i].target] == 0)
                queue[tail++] = g->edges[i].target;
    }
    return tail == g->n;
}

/* Edge i's cost: (imports to change, how hard they are to change). */
static guint edge_cost(const comp_edge *e)
{
    return e->refs->len * 256u + e->penalty;
}

/* Exact: the cheapest subset of edges whose removal leaves no cycle (m <= EXACT_MAX_EDGES), ties
 * to the smallest mask of edge indices. A component always has a cycle, so the set is never
 * empty. */
static void min_feedback_exact(const comp_graph *g, bool *chosen)
{
    impviz_arc *arcs = g_new(impviz_arc, g->m + 1);
    for (guint i = 0; i < g->m; i++)
        arcs[i] = (impviz_arc){.source = g->edges[i].source,
                               .target = g->edges[i].target,
                               .cost = edge_cost(&g->edges[i])};
    guint32 best = impviz_feedback_min(g->n, arcs, g->m);
    for (guint i = 0; i < g->m; i++)
        chosen[i] = (best >> i & 1) != 0;
    g_free(arcs);
}

/* Some cycle of the remaining graph, as the edge indices along it; NULL when none (DFS). */
static GArray *find_cycle(const comp_graph *g, const bool *removed)
{
    guint8 *color = g_new0(guint8, g->n); /* 0 new, 1 on the path, 2 done */
    guint *via = g_new(guint, g->n);      /* edge that reached the node */
    guint *pos = g_new(guint, g->n);      /* next edge to look at */
    GArray *stack = g_array_new(FALSE, FALSE, sizeof(guint));
    GArray *cycle = NULL;
    for (guint v = 0; v < g->n; v++)
        pos[v] = g->off[v];
    for (guint root = 0; root < g->n && !cycle; root++) {
        if (color[root])
            continue;
        color[root] = 1;
        g_array_append_val(stack, root);
        while (stack->len && !cycle) {
            guint v = g_array_index(stack, guint, stack->len - 1);
            while (pos[v] < g->off[v + 1] && removed[pos[v]])
                pos[v]++;
            if (pos[v] >= g->off[v + 1]) {
                color[v] = 2;
                g_array_set_size(stack, stack->len - 1);
                continue;
            }
            guint i = pos[v]++;
            guint w = g->edges[i].target;
            if (color[w] == 1) { /* back edge: the cycle is w ... v -> w */
                cycle = g_array_new(FALSE, FALSE, sizeof(guint));
                g_array_append_val(cycle, i);
                for (guint x = v; x != w; x = g->edges[via[x]].source)
                    g_array_prepend_val(cycle, via[x]);
            } else if (!color[w]) {
                color[w] = 1;
                via[w] = i;
                g_array_append_val(stack, w);
            }
        }
        g_array_set_size(stack, 0);
    }
    g_array_unref(stack);
    g_free(color);
    g_free(via);
    g_free(pos);
    return cycle;
}

/* Heuristic for large components: break cycles one at a time at their cheapest edge, then put
 * back every edge the others made unnecessary. */
static void min_feedback_greedy(const comp_graph *g, bool *chosen)
{
    GArray *cycle;
    while ((cycle = find_cycle(g, chosen))) {
        guint pick = g_array_index(cycle, guint, 0);
        for (guint k = 1; k < cycle->len; k++) {
            guint i = g_array_index(cycle, guint, k);
            if (edge_cost(&g->edges[i]) < edge_cost(&g->edges[pick]))
                pick = i;
        }
        chosen[pick] = true;
        g_array_unref(cycle);
    }
    guint *indeg = g_new(guint, g->n), *queue = g_new(guint, g->n);
    for (guint i = g->m; i-- > 0;) {
        if (!chosen[i])
            continue;
        chosen[i] = false;
        if (!acyclic_without(g, chosen, indeg, queue))
            chosen[i] = true;
    }
    g_free(indeg);
    g_free(queue);
}

static gint suggestion_cmp(gconstpointer x, gconstpointer y)
{
    const impviz_suggestion *a = *(impviz_suggestion *const *)x,
                            *b = *(impviz_suggestion *const *)y;
    if (a->module != b->module)
        return a->module < b->module ? -1 : 1;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return strcmp(a->statement, b->statement);
}

/* Plans (suggestions) for edges [i, j) of one source module, with one reread of its file for
 * the names they bind; plans[k] for each. */
static void plan_source(const impviz_analysis *a, const GArray *members, GArray *edges, guint i,
                        guint j, GHashTable *exported, impviz_parser *parser, GPtrArray **plans)
{
    guint src = g_array_index(members, guint, g_array_index(edges, comp_edge, i).source);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (guint k = i; k < j; k++) {
        const comp_edge *e = &g_array_index(edges, comp_edge, k);
        for (guint r = 0; r < e->refs->len; r++) {
            char *bound = bound_name(ref_at(a, g_array_index(e->refs, guint, r))->import);
            add_unique(names, bound);
            g_free(bound);
        }
    }
    GArray *uses = file_name_uses(a, parser, src, names);
    for (guint k = i; k < j; k++) {
        plans[k] = g_ptr_array_new_with_free_func(impviz_suggestion_free);
        plan_edge(a, members, &g_array_index(edges, comp_edge, k), uses, names, exported, plans[k]);
    }
    if (uses)
        g_array_unref(uses);
    g_ptr_array_unref(names);
}

/* The imports to defer or restructure so that the component has no import-time cycle. Up to
 * PLAN_ALL_MAX_EDGES edges, every edge's names are looked up first so that the choice prefers
 * imports that can simply be deferred; beyond, only the chosen edges' are. */
static GPtrArray *suggest(const impviz_analysis *a, const GArray *members, GHashTable *exported,
                          impviz_parser *parser, bool *minimum)
{
    GHashTable *local = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < members->len; i++)
        g_hash_table_insert(local, GUINT_TO_POINTER(g_array_index(members, guint, i)),
                            GUINT_TO_POINTER(i + 1));
    GArray *edges = g_array_new(FALSE, FALSE, sizeof(comp_edge));
    for (guint i = 0; i < a->graph->edges->len; i++) {
        const impviz_edge *e = &g_array_index(a->graph->edges, impviz_edge, i);
        guint s = GPOINTER_TO_UINT(g_hash_table_lookup(local, GUINT_TO_POINTER(e->source)));
        guint t = GPOINTER_TO_UINT(g_hash_table_lookup(local, GUINT_TO_POINTER(e->target)));
        if (!s || !t || !(e->kinds & EAGER_MASK))
            continue;
        comp_edge ce = {.source = s - 1, .target = t - 1, .refs = eager_refs(a, e)};
        g_array_append_val(edges, ce);
    }
    /* graph edges are sorted by (source, target) index and members by index: by local source */
    guint m = edges->len;
    GPtrArray **plans = g_new0(GPtrArray *, m + 1);
    bool plan_all = m <= PLAN_ALL_MAX_EDGES;
    for (guint i = 0, j; plan_all && i < m; i = j) {
        for (j = i; j < m && g_array_index(edges, comp_edge, j).source ==
                                 g_array_index(edges, comp_edge, i).source;
             j++)
            ;
        plan_source(a, members, edges, i, j, exported, parser, plans);
    }
    comp_graph g;
    comp_graph_init(&g, members->len, edges);
    bool *chosen = g_new0(bool, m + 1);
    *minimum = m <= EXACT_MAX_EDGES;
    if (*minimum)
        min_feedback_exact(&g, chosen);
    else
        min_feedback_greedy(&g, chosen);
    GPtrArray *out = g_ptr_array_new_with_free_func(impviz_suggestion_free);
    for (guint i = 0; i < m; i++) {
        if (!chosen[i])
            continue;
        if (!plans[i])
            plan_source(a, members, edges, i, i + 1, exported, parser, plans);
        while (plans[i]->len)
            g_ptr_array_add(out, g_ptr_array_steal_index(plans[i], 0));
    }
    g_ptr_array_sort(out, suggestion_cmp);
    for (guint i = 0; i < m; i++) {
        g_array_unref(g_array_index(edges, comp_edge, i).refs);
        if (plans[i])
            g_ptr_array_unref(plans[i]);
    }
    comp_graph_release(&g);
    g_free(plans);
    g_free(chosen);
    g_array_unref(edges);
    g_hash_table_unref(local);
    return out;
}

/* ---- predictions on several threads ------------------------------------------------------- */

/* One member's prediction, computed by a pool thread. */
typedef struct {
    const impviz_analysis *a;
    const char *name;
    guint64 limit;
    impviz_prediction *p; /* the result, owned until taken */
    guint64 work;
} predict_task;

typedef struct {
    guint threads;
    GThreadPool *pool; /* NULL: predictions run on the calling thread */
    GMutex lock;
    GCond done;
    guint pending; /* tasks of the current batch not finished yet */
} batch;

static void predict_task_run(gpointer data, gpointer user)
{
    predict_task *t = data;
    batch *b = user;
    t->p = predict(t->a, t->name, &t->work, t->limit);
    g_mutex_lock(&b->lock);
    if (--b->pending == 0)
        g_cond_signal(&b->done);
    g_mutex_unlock(&b->lock);
}

/* Predicts comp's members in order into entries, as one thread would: a member is predicted only
 * while the component has spent at most PREDICT_BUDGET events and the run's budget (max_steps,
 * of which steps are spent) is not used up, and a simulation that reaches the run's budget ends
 * the component. Batches of members run on the pool's threads with the budget left at the
 * batch's start; a member whose simulation a single thread would have cut shorter is simulated
 * again with that thread's limit, so entries and *work are the same for any number of threads.
 * Returns how many members were predicted. */
static guint predict_members(const impviz_analysis *a, const GArray *comp, batch *b,
                             guint64 max_steps, guint64 steps, guint64 *work, GPtrArray *entries)
{
    guint size = b->pool ? 4 * b->threads : 1;
    predict_task *tasks = g_new0(predict_task, size);
    guint j = 0;
    bool stop = false;
    while (j < comp->len && !stop) {
        guint n = MIN(size, comp->len - j);
        guint64 limit = max_steps ? max_steps - steps - *work : 0;
        if (*work > PREDICT_BUDGET || (max_steps && steps + *work >= max_steps))
            break; /* the component's (or the run's) budget is spent */
        for (guint k = 0; k < n; k++)
            tasks[k] = (predict_task){a, module_at(a, g_array_index(comp, guint, j + k))->name,
                                      limit, NULL, 0};
        if (b->pool) {
            b->pending = n;
            for (guint k = 0; k < n; k++)
                g_thread_pool_push(b->pool, &tasks[k], NULL);
            g_mutex_lock(&b->lock);
            while (b->pending)
                g_cond_wait(&b->done, &b->lock);
            g_mutex_unlock(&b->lock);
        } else {
            tasks[0].p = predict(a, tasks[0].name, &tasks[0].work, limit);
        }
        for (guint k = 0; k < n; k++) {
            predict_task *t = &tasks[k];
            if (!stop && k > 0) { /* what one thread would check before this member */
                guint64 left = max_steps ? max_steps - steps - *work : 0;
                stop = *work > PREDICT_BUDGET || (max_steps && steps + *work >= max_steps);
                if (!stop && left && (!t->p || t->work >= left)) {
                    g_clear_pointer(&t->p, impviz_prediction_free);
                    t->work = 0;
                    t->p = predict(a, t->name, &t->work, left);
                }
            }
            if (stop) {
                g_clear_pointer(&t->p, impviz_prediction_free);
                continue;
            }
            *work += t->work;
            if (!t->p) {
                stop = true;
                continue;
            }
            g_ptr_array_add(entries, g_steal_pointer(&t->p));
            j++;
        }
    }
    g_free(tasks);
    return j;
}

void impviz_cycle_diagnosis_free(gpointer p)
{
    impviz_cycle_diagnosis *c = p;
    g_array_unref(c->members);
    g_array_unref(c->cycle);
    g_ptr_array_unref(c->entries);
    g_ptr_array_unref(c->suggestions);
    g_free(c);
}

impviz_diagnosis *impviz_diagnose(const impviz_analysis *a, guint64 max_steps)
{
    impviz_diagnosis *d = g_new0(impviz_diagnosis, 1);
    d->cycles = g_ptr_array_new_with_free_func(impviz_cycle_diagnosis_free);
    const GPtrArray *comps = a->graph->import_time.components;
    if (!comps->len)
        return d;
    impviz_parser *parser = impviz_parser_new();
    GHashTable *exported = reexports(a);
    batch pool = {.threads = a->jobs > 1 ? a->jobs : 1};
    if (pool.threads > 1) {
        g_mutex_init(&pool.lock);
        g_cond_init(&pool.done);
        pool.pool = g_thread_pool_new(predict_task_run, &pool, (gint)pool.threads, FALSE, NULL);
    }
    for (guint i = 0; i < comps->len; i++) {
        const GArray *comp = g_ptr_array_index(comps, i);
        impviz_cycle_diagnosis *c = g_new0(impviz_cycle_diagnosis, 1);
        c->members = g_array_copy((GArray *)comp);
        c->cycle = impviz_cycle_steps(a, i);
        c->entries = g_ptr_array_new_with_free_func((GDestroyNotify)impviz_prediction_free);
        guint64 work = 0;
        guint j = predict_members(a, comp, &pool, max_steps, d->steps, &work, c->entries);
        if (j < comp->len) {
            c->entries_omitted = comp->len - j;
            if (max_steps && d->steps + work >= max_steps)
                d->omitted += c->entries_omitted;
        }
        d->steps += work;
        c->suggestions = suggest(a, comp, exported, parser, &c->minimum);
        g_ptr_array_add(d->cycles, c);
    }
    if (pool.pool) {
        g_thread_pool_free(pool.pool, FALSE, TRUE);
        g_mutex_clear(&pool.lock);
        g_cond_clear(&pool.done);
    }
    g_hash_table_unref(exported);
    impviz_parser_free(parser);
    return d;
}

void impviz_diagnosis_free(impviz_diagnosis *d)
{
    if (!d)
        return;
    g_ptr_array_unref(d->cycles);
    g_free(d);
}
