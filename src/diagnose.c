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
 * Invariants: a diagnosis compiles each module's events at most once, into a program shared by
 * all its simulations (and threads), which names modules by id and names by key, never by text;
 * a simulation owns every module object it creates (state.objects) and frees them together;
 * namespace values are tagged pointers (a module object, OPAQUE or NONE, low bit set when the
 * binding was uncertain). Nothing here does I/O except rereading the files of modules on cycles,
 * for the use analysis behind the suggestions.
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

/* The simulation works on numbers, not on dotted strings. Every module it can run has a module
 * id: the project's modules their index, then the namespace packages. Every name a namespace can
 * hold has a name key, the same key for the same text. A module's events are compiled once, on
 * first use, into ops (its unit) that name modules by id and names by key; every simulation of
 * a diagnosis (on any thread) shares the units. */

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

/* Memory that is freed all at once: a simulation's module objects and their maps live as long
 * as its state, so they are cut from big blocks rather than allocated (and freed) one by one. A
 * map that grows leaves its old slots behind, at most as many as it has. */
typedef struct {
    GPtrArray *blocks; /* owned */
    char *next, *end;  /* the free part of the last block */
} arena;

#define ARENA_BLOCK (64u << 10)

static void arena_init(arena *ar)
{
    ar->blocks = g_ptr_array_new_with_free_func(g_free);
    ar->next = ar->end = NULL;
}

/* Makes the next size bytes come from one block of that size: a copy whose size is known
 * wastes nothing. */
static void arena_reserve(arena *ar, gsize size)
{
    if ((gsize)(ar->end - ar->next) >= size)
        return;
    ar->next = g_malloc(size);
    ar->end = ar->next + size;
    g_ptr_array_add(ar->blocks, ar->next);
}

static void arena_release(arena *ar)
{
    g_ptr_array_unref(ar->blocks);
}

/* size bytes, 8-byte aligned, valid until arena_release. */
static gpointer arena_alloc(arena *ar, gsize size)
{
    size = (size + 7) & ~(gsize)7;
    if ((gsize)(ar->end - ar->next) < size) {
        if (size > ARENA_BLOCK / 4) { /* a block of its own; the current one stays in use */
            gpointer big = g_malloc(size);
            g_ptr_array_add(ar->blocks, big);
            return big;
        }
        ar->next = g_malloc(ARENA_BLOCK);
        ar->end = ar->next + ARENA_BLOCK;
        g_ptr_array_add(ar->blocks, ar->next);
    }
    gpointer p = ar->next;
    ar->next += size;
    return p;
}

/* A map from guint keys to non-NULL pointers: open addressing, linear probing, deletion by
 * shifting back. The capacity is a power of two (or 0), at most half of it used. Namespaces
 * (name key -> tagged value) and sys.modules (module id -> object). Its slots belong to an
 * arena. */
typedef struct {
    guint *keys;           /* key + 1; 0: an empty slot. One allocation with values */
    gpointer *values;      /* right after keys (cap is a multiple of 8) */
    guint cap, len, shift; /* shift: 32 - log2(cap) */
} intmap;

/* Gives m cap empty slots, from ar. */
static void intmap_alloc(arena *ar, intmap *m, guint cap)
{
    m->cap = cap;
    m->keys = arena_alloc(ar, cap * (sizeof(guint) + sizeof(gpointer)));
    m->values = (gpointer *)(void *)(m->keys + cap);
}

static guint intmap_home(const intmap *m, guint key)
{
    return (guint)(((guint32)(key + 1) * 2654435769u) >> m->shift);
}

static gpointer intmap_get(const intmap *m, guint key)
{
    if (!m->len)
        return NULL;
    for (guint i = intmap_home(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key + 1)
            return m->values[i];
        if (!m->keys[i])
            return NULL;
    }
}

/* The slot of key, or the empty slot where it would go. */
static guint intmap_slot(const intmap *m, guint key)
{
    guint i = intmap_home(m, key);
    while (m->keys[i] && m->keys[i] != key + 1)
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* Maps key to value (replacing its value if it has one), growing m in ar. Replacing never moves
 * the entries, so a walk over m's slots may replace values as it goes. */
static void intmap_set(arena *ar, intmap *m, guint key, gpointer value)
{
    guint i = m->cap ? intmap_slot(m, key) : 0;
    if (m->cap && m->keys[i]) {
        m->values[i] = value;
        return;
    }
    if (2 * (m->len + 1) > m->cap) {
        intmap old = *m;
        intmap_alloc(ar, m, old.cap ? 2 * old.cap : 8);
        m->shift = old.cap ? old.shift - 1 : 32 - 3;
        memset(m->keys, 0, m->cap * sizeof(guint));
        for (guint j = 0; j < old.cap; j++) {
            if (!old.keys[j])
                continue;
            guint k = intmap_slot(m, old.keys[j] - 1);
            m->keys[k] = old.keys[j];
            m->values[k] = old.values[j];
        }
        i = intmap_slot(m, key);
    }
    m->len++;
    m->keys[i] = key + 1;
    m->values[i] = value;
}

static void intmap_remove(intmap *m, guint key)
{
    if (!m->len)
        return;
    guint mask = m->cap - 1, i = intmap_home(m, key);
    while (m->keys[i] != key + 1) {
        if (!m->keys[i])
            return;
        i = (i + 1) & mask;
    }
    m->len--;
    for (guint j = i;;) { /* move later entries of the run into the hole when their home allows */
        m->keys[i] = 0;
        guint home;
        do {
            j = (j + 1) & mask;
            if (!m->keys[j])
                return;
            home = intmap_home(m, m->keys[j] - 1);
        } while (i <= j ? i < home && home <= j : i < home || home <= j);
        m->keys[i] = m->keys[j];
        m->values[i] = m->values[j];
        i = j;
    }
}

/* A name key: a number for the text, times two, plus one when the text starts with '_' (which a
 * star import leaves out). */
#define KEY_PRIVATE 1u

/* One part of a dotted name. */
typedef struct {
    guint key;
    const char *text; /* borrowed from the analysis or the program's strings */
} part;

/* One event of a module, compiled. */
typedef struct {
    impviz_event_type type;
    guint line;
    const char *statement; /* what the module's frame shows while it runs */
    guint next, catches;   /* TRY, EXCEPT, ELSE, END: as in impviz_event */
    bool uncertain;
    bool bind;          /* BIND, IMPORT: the name becomes module-level (not in a class body), or
                           local to the called function (local) */
    bool local;         /* from a called function's body: names bind and are read first there */
    bool none;          /* BIND: the value is None */
    bool resolved;      /* IMPORT: the absolute name exists (does not climb above the top level) */
    guint flags;        /* IMPORT: IMPVIZ_IMPORT_* */
    guint key;          /* BIND: the name; IMPORT: the name it binds */
    gint module;        /* IMPORT: the absolute name's module id, or -1 outside the simulation */
    gint parent;        /* IMPORT outside: the module id of the name's parent package, or -1 */
    gint sub;           /* from-IMPORT: the module id of module.name, or -1; plain IMPORT: of the
                           first part */
    part name;          /* from-IMPORT: the imported name */
    bool as;            /* plain IMPORT: `import a.b.c as d` (walks a.b.c) */
    guint first, count; /* USE: the dotted expression; plain IMPORT: the absolute name; as
                           unit.parts[first .. first + count) */
    guint class_line, call_line; /* as in impviz_event: frames between the module's and the
                                    statement's (a class body, a called function) */
    const char *class_statement, *call_statement;
} op;

/* A module as the simulation runs it. */
typedef struct {
    const char *name; /* dotted; borrowed from the project */
    gint index;       /* project module index, or -1 for a namespace package */
    gint parent;      /* module id of the parent package, or -1 when the simulation does not run
                         it */
    guint key;        /* name key of the last part: the attribute in the parent */
    bool is_package;
    const impviz_file *file; /* NULL: a namespace package, or a file that could not be read */
    part *parts;
    guint n_ops; /* the file's events */
    op ops[];    /* one per file event, and one more: in the unit's allocation, which a module's
                    run reads first */
} unit;

typedef struct state state;

/* What the simulations of one analysis share: module ids, name keys, compiled units, and the
 * states after importing packages. */
typedef struct {
    const impviz_analysis *a;
    guint n_modules;           /* project modules: ids 0 .. n_modules - 1 */
    GPtrArray *namespaces;     /* char *, borrowed from project->packages: ids n_modules + i */
    GHashTable *namespace_ids; /* namespace package name (borrowed) -> id + 1 */
    unit **units;              /* per module id; NULL until compiled, then published atomically */
    GMutex lock;               /* held while compiling: guards names, strings, name_count */
    GHashTable *names;         /* name text (borrowed) -> key + 1 */
    guint name_count;
    GStringChunk *strings; /* texts of parts of dotted names */
    guint getattr_key;     /* the key of "__getattr__" (PEP 562) */
    state **snapshots;     /* per module id: the state after `import <id>` in a fresh
                              interpreter, frozen; NULL until one is made, then published
                              atomically (see run_fresh) */
    bool *claimed;         /* per module id: a thread makes its snapshot; under lock */
    gsize snapshot_size;   /* slots the snapshots hold, at most SNAPSHOT_BUDGET; under lock */
} program;

static const impviz_module *module_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->project->modules, i);
}

static const impviz_file *file_at(const impviz_analysis *a, guint i)
{
    return g_ptr_array_index(a->files, i);
}

static guint name_key(program *pg, const char *text);

static gint str_ptr_cmp(gconstpointer x, gconstpointer y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static program *program_new(const impviz_analysis *a)
{
    program *pg = g_new0(program, 1);
    pg->a = a;
    pg->n_modules = a->project->modules->len;
    pg->namespaces = g_ptr_array_new();
    pg->namespace_ids = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, a->project->packages);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (!impviz_project_lookup(a->project, k))
            g_ptr_array_add(pg->namespaces, k);
    g_ptr_array_sort(pg->namespaces, str_ptr_cmp);
    for (guint i = 0; i < pg->namespaces->len; i++)
        g_hash_table_insert(pg->namespace_ids, g_ptr_array_index(pg->namespaces, i),
                            GUINT_TO_POINTER(pg->n_modules + i + 1));
    pg->units = g_new0(unit *, pg->n_modules + pg->namespaces->len);
    pg->snapshots = g_new0(state *, pg->n_modules + pg->namespaces->len);
    pg->claimed = g_new0(bool, pg->n_modules + pg->namespaces->len);
    g_mutex_init(&pg->lock);
    pg->names = g_hash_table_new(g_str_hash, g_str_equal);
    pg->strings = g_string_chunk_new(4096);
    pg->getattr_key = name_key(pg, "__getattr__");
    return pg;
}

static void state_free(state *s);

static void program_free(program *pg)
{
    if (!pg)
        return;
    for (guint i = 0; i < pg->n_modules + pg->namespaces->len; i++) {
        state_free(pg->snapshots[i]);
        if (!pg->units[i])
            continue;
        g_free(pg->units[i]->parts);
        g_free(pg->units[i]);
    }
    g_free(pg->units);
    g_free(pg->snapshots);
    g_free(pg->claimed);
    g_ptr_array_unref(pg->namespaces);
    g_hash_table_unref(pg->namespace_ids);
    g_mutex_clear(&pg->lock);
    g_hash_table_unref(pg->names);
    g_string_chunk_free(pg->strings);
    g_free(pg);
}

/* The module id of a dotted name, or -1 when the simulation does not run it (not a project
 * module nor a namespace package). Safe on any thread. */
static gint module_id(const program *pg, const char *name)
{
    gint i = impviz_project_index(pg->a->project, name);
    if (i >= 0)
        return i;
    return GPOINTER_TO_INT(g_hash_table_lookup(pg->namespace_ids, name)) - 1;
}

static const char *module_name(const program *pg, guint id)
{
    return id < pg->n_modules ? module_at(pg->a, id)->name
                              : g_ptr_array_index(pg->namespaces, id - pg->n_modules);
}

/* The key of text, which must outlive the program. Under pg->lock. */
static guint name_key(program *pg, const char *text)
{
    gpointer v = g_hash_table_lookup(pg->names, text);
    if (v)
        return GPOINTER_TO_UINT(v) - 1;
    guint key = pg->name_count++ * 2 + (text[0] == '_' ? KEY_PRIVATE : 0);
    g_hash_table_insert(pg->names, (gpointer)text, GUINT_TO_POINTER(key + 1));
    return key;
}

/* Appends the parts of dotted name to parts; returns how many. Under pg->lock. */
static guint split_name(program *pg, const char *name, GArray *parts)
{
    guint n = 0;
    for (const char *p = name;; n++) {
        size_t len = strcspn(p, ".");
        part pt = {.text = p[len] ? g_string_chunk_insert_len(pg->strings, p, (gssize)len)
                                  : p}; /* the last part is the name's own tail */
        pt.key = name_key(pg, pt.text);
        g_array_append_val(parts, pt);
        if (!p[len])
            return n + 1;
        p += len + 1;
    }
}

/* Compiles one IMPORT event of module id into o. Under pg->lock. */
static void compile_import(program *pg, guint id, const impviz_import *imp, op *o, GArray *parts)
{
    o->statement = imp->statement;
    o->flags = imp->flags;
    o->module = o->parent = o->sub = -1;
    char *full = impviz_resolve_absolute(pg->a->project, id, imp);
    if (!full)
        return; /* climbs above the top-level package: not the simulation's business */
    o->resolved = true;
    o->module = module_id(pg, full);
    const char *dot = strrchr(full, '.');
    if (o->module < 0 && dot) {
        char *parent = g_strndup(full, (gsize)(dot - full));
        o->parent = module_id(pg, parent);
        g_free(parent);
    }
    if (imp->flags & IMPVIZ_IMPORT_STAR) {
        /* nothing more to know */
    } else if (imp->flags & IMPVIZ_IMPORT_FROM) {
        const char *name = imp->name ? imp->name : "";
        o->name = (part){.key = name_key(pg, name), .text = name};
        o->key = imp->asname ? name_key(pg, imp->asname) : o->name.key;
        char *sub = g_strconcat(full, ".", name, NULL);
        o->sub = module_id(pg, sub);
        g_free(sub);
    } else {
        o->first = parts->len;
        o->count = split_name(pg, g_string_chunk_insert_const(pg->strings, full), parts);
        o->sub = module_id(pg, g_array_index(parts, part, o->first).text);
        o->as = imp->asname != NULL;
        if (imp->asname) {
            o->key = name_key(pg, imp->asname);
        } else {
            size_t len = strcspn(imp->module, ".");
            o->key =
                name_key(pg, imp->module[len]
                                 ? g_string_chunk_insert_len(pg->strings, imp->module, (gssize)len)
                                 : imp->module);
        }
    }
    g_free(full);
}

/* Module id's unit, compiled now. Under pg->lock. */
static unit *unit_compile(program *pg, guint id)
{
    const impviz_file *file = id < pg->n_modules ? file_at(pg->a, id) : NULL;
    guint n = file ? file->events->len : 0;
    unit *u = g_malloc0(sizeof(unit) + (n + 1) * sizeof(op));
    u->n_ops = n;
    u->name = module_name(pg, id);
    u->index = id < pg->n_modules ? (gint)id : -1;
    u->is_package = u->index < 0 || module_at(pg->a, id)->is_package;
    const char *dot = strrchr(u->name, '.');
    u->parent = -1;
    if (dot) {
        char *parent = g_strndup(u->name, (gsize)(dot - u->name));
        u->parent = module_id(pg, parent);
        g_free(parent);
    }
    u->key = name_key(pg, dot ? dot + 1 : u->name);
    u->file = file;
    if (!u->file)
        return u;
    const GArray *events = u->file->events;
    GArray *parts = g_array_new(FALSE, FALSE, sizeof(part));
    for (guint i = 0; i < events->len; i++) {
        const impviz_event *ev = &g_array_index(events, impviz_event, i);
        op *o = &u->ops[i];
        o->type = ev->type;
        o->line = ev->line;
        o->statement = ev->context;
        o->next = ev->next;
        o->catches = ev->catches;
        o->uncertain = ev->uncertain;
        o->local = ev->call_line != 0;
        o->bind = o->local || !ev->class_body;
        o->class_line = ev->class_line;
        o->class_statement = ev->class_context;
        o->call_line = ev->call_line;
        o->call_statement = ev->call_context;
        o->none = ev->none;
        if (ev->type == IMPVIZ_EV_BIND || ev->type == IMPVIZ_EV_UNBIND) {
            o->key = name_key(pg, ev->name);
        } else if (ev->type == IMPVIZ_EV_USE) {
            o->first = parts->len;
            o->count = split_name(pg, ev->name, parts);
        } else if (ev->type == IMPVIZ_EV_IMPORT) {
            compile_import(pg, id,
                           &g_array_index(u->file->imports, impviz_import, ev->import_index), o,
                           parts);
        }
    }
    u->parts = (part *)(void *)g_array_free(parts, FALSE);
    return u;
}

/* Module id's unit. Safe on any thread: the first caller compiles it. */
static const unit *unit_get(program *pg, guint id)
{
    unit *u = g_atomic_pointer_get(&pg->units[id]);
    if (G_LIKELY(u))
        return u;
    g_mutex_lock(&pg->lock);
    u = pg->units[id];
    if (!u) {
        u = unit_compile(pg, id);
        g_atomic_pointer_set(&pg->units[id], u);
    }
    g_mutex_unlock(&pg->lock);
    return u;
}

/* A module object: one per execution of a module (a failed import's object is dropped from
 * sys.modules, and a later import makes a new one). */
typedef struct {
    guint id;
    guint serial; /* its index in state.objects */
    const unit *u;
    intmap ns;         /* name key -> tagged value */
    bool initializing; /* its code is still running */
    bool open;         /* may bind names the simulation cannot see */
    GArray *loading;   /* guint name keys of its submodules being imported now (their code runs):
                          CPython's __spec__._uninitialized_submodules; NULL while none was */
} object;

typedef struct {
    impviz_error_type type;
    char *message;
    GArray *chain; /* impviz_frame */
} sim_error;

struct state {
    program *pg;
    intmap modules;     /* sys.modules: module id -> object * */
    GPtrArray *objects; /* every object made, in arena */
    arena arena;        /* objects and the slots of every intmap here */
    GArray *frames;     /* impviz_frame: the modules running now, outermost first */
    GArray *tries;      /* guint: TRY ops whose body runs, of every running module */
    sim_error error;    /* set while an exception propagates */
    bool assumptions;
    bool truncated; /* an import chain went deeper than MAX_IMPORT_DEPTH: not followed */
    guint depth;
    guint64 work;   /* events run */
    guint64 limit;  /* stop after this many events (the run's budget); 0: no limit */
    bool exhausted; /* stopped at the limit: no prediction */
    bool failed;    /* the import raised: error says what */
};

/* Deeper than this, the simulation stops importing (a chain of 10 000 modules, say). Tests
 * may lower it (-DMAX_IMPORT_DEPTH=50) to reach that path with small projects. */
#ifndef MAX_IMPORT_DEPTH
#define MAX_IMPORT_DEPTH 2000
#endif

static void object_release(gpointer p)
{
    object *o = p;
    if (o->loading)
        g_array_unref(o->loading);
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
    if (o->u->index < 0)
        return NULL;
    return module_at(s->pg->a, (guint)o->u->index)->path;
}

static object *sys_module(const state *s, gint id)
{
    return id < 0 ? NULL : intmap_get(&s->modules, (guint)id);
}

static bool exec_module(state *s, object *o);

/* CPython's _find_and_load for module id (or, when id is -1, for a name outside the simulation
 * whose parent package has module id parent, or -1): the module object, running its code (after
 * its parent's) when it is not in sys.modules yet. *out is NULL for a module outside the
 * project. False when the import raised (s->error says what). */
static bool find_and_load(state *s, gint id, gint parent, object **out)
{
    *out = sys_module(s, id);
    if (*out)
        return true;
    const unit *u = id >= 0 ? unit_get(s->pg, (guint)id) : NULL;
    if (u)
        parent = u->parent;
    bool ok = true;
    if (parent >= 0 && !sys_module(s, parent)) {
        object *p = NULL;
        ok = find_and_load(s, parent, -1, &p);
    }
    if (!ok || !u)
        return ok;
    *out = sys_module(s, id); /* the parent may have imported it */
    if (*out)
        return true;
    if (s->depth >= MAX_IMPORT_DEPTH) { /* give up on this branch: treat it as outside */
        s->assumptions = s->truncated = true;
        return true;
    }
    object *o = arena_alloc(&s->arena, sizeof *o);
    memset(o, 0, sizeof *o);
    o->id = (guint)id;
    o->u = u;
    o->initializing = true;
    o->serial = s->objects->len;
    g_ptr_array_add(s->objects, o);
    intmap_set(&s->arena, &s->modules, o->id, o);
    object *p = sys_module(s, parent);
    if (p) {
        if (!p->loading)
            p->loading = g_array_new(FALSE, FALSE, sizeof(guint));
        g_array_append_val(p->loading, u->key);
    }
    s->depth++;
    ok = exec_module(s, o);
    s->depth--;
    if (p)
        g_array_set_size(p->loading, p->loading->len - 1);
    o->initializing = false;
    if (!ok) {
        intmap_remove(&s->modules, o->id);
    } else {
        *out = o;
        p = sys_module(s, parent);
        if (p)
            intmap_set(&s->arena, &p->ns, u->key, o);
    }
    return ok;
}

/* The module id of o's submodule named by pt, or -1 (a rare path: strings). */
static gint submodule_id(const state *s, const object *o, const part *pt)
{
    char *full = g_strconcat(o->u->name, ".", pt->text, NULL);
    gint id = module_id(s->pg, full);
    g_free(full);
    return id;
}

/* Has module o bound a module-level __getattr__ (PEP 562)? A name it lacks then comes from a
 * call of it, which the simulation does not run: it assumes the call returns something. */
static bool has_getattr(const state *s, const object *o)
{
    return intmap_get(&o->ns, s->pg->getattr_key) != NULL;
}

/* getattr(o, name) for IMPORT_FROM and `import a.b as c`: the attribute, else the submodule
 * sys.modules["o.name"] (sub: its module id when known, -2 when not yet). NULL when neither
 * exists. *uncertain (if not NULL) is set when the attribute's binding may not have run. */
static gpointer import_from_attr(state *s, object *o, const part *name, gint sub, bool *uncertain)
{
    gpointer v = intmap_get(&o->ns, name->key);
    if (v) {
        if (tagged_uncertain(v)) {
            s->assumptions = true;
            if (uncertain)
                *uncertain = true;
        }
        return untag(v);
    }
    object *m = sys_module(s, sub == -2 ? submodule_id(s, o, name) : sub);
    if (m)
        return m;
    if (o->open || s->truncated || has_getattr(s, o)) { /* names it did not see may be there */
        s->assumptions = true;
        return OPAQUE;
    }
    return NULL;
}

static void raise_cannot_import(state *s, const object *o, const char *name)
{
    const char *path = object_path(s, o);
    char *where = path ? g_strdup_printf(" (%s)", path) : g_strdup(" (unknown location)");
    char *msg = o->initializing ? g_strdup_printf("cannot import name '%s' from partially "
                                                  "initialized module '%s' (most likely due "
                                                  "to a circular import)%s",
                                                  name, o->u->name, where)
                                : g_strdup_printf("cannot import name '%s' from '%s'%s", name,
                                                  o->u->name, where);
    g_free(where);
    raise_error(s, IMPVIZ_ERROR_IMPORT, msg);
}

/* Runs one IMPORT op of module o. */
static bool run_import(state *s, object *o, const op *ev, intmap *locals)
{
    intmap *ns = ev->local ? locals : &o->ns;
    if (!ev->resolved)
        return true; /* climbs above the top-level package: not the simulation's business */
    if (ev->uncertain && ev->module >= 0)
        s->assumptions = true; /* which modules run, and in what order, rests on it */
    object *target = NULL;
    bool ok = find_and_load(s, ev->module, ev->parent, &target);
    if (!ok || (ev->flags & IMPVIZ_IMPORT_DYNAMIC))
        return ok;
    if (ev->flags & IMPVIZ_IMPORT_STAR) {
        if (!target) {
            o->open = true;
            return true;
        }
        for (guint i = 0; ev->bind && i < target->ns.cap; i++) {
            guint k = target->ns.keys[i];
            if (k && !((k - 1) & KEY_PRIVATE))
                intmap_set(&s->arena, &o->ns, k - 1, target->ns.values[i]);
        }
        if (target->open)
            o->open = true;
        return true;
    }
    if (ev->flags & IMPVIZ_IMPORT_FROM) {
        gpointer v = OPAQUE;
        if (target) {
            /* _handle_fromlist: a package imports the submodule for a name it lacks */
            if (target->u->is_package && !intmap_get(&target->ns, ev->name.key) && ev->sub >= 0) {
                /* (hasattr asks a module __getattr__ first: assumed to have no answer for a
                   submodule, or to import it itself) */
                if (has_getattr(s, target))
                    s->assumptions = true;
                object *ignored = NULL;
                if (!find_and_load(s, ev->sub, -1, &ignored))
                    return false;
            }
            v = import_from_attr(s, target, &ev->name, ev->sub, NULL);
            if (!v) {
                raise_cannot_import(s, target, ev->name.text);
                return false;
            }
        }
        if (ev->bind)
            intmap_set(&s->arena, ns, ev->key, tag(v, ev->uncertain));
        return true;
    }
    /* `import a.b.c` then imports a again: a.b.c may have been in sys.modules while a, whose
     * import failed and was caught, was not (CPython's __import__ without a fromlist) */
    const part *parts = &o->u->parts[ev->first];
    object *top = NULL;
    if (ev->count > 1 && !find_and_load(s, ev->sub, -1, &top))
        return false;
    if (!ev->bind)
        return true;
    /* import a.b.c binds a; import a.b.c as d walks a.b.c with IMPORT_FROM */
    gpointer v = OPAQUE;
    bool certain = !ev->uncertain; /* so far, every binding walked surely ran */
    top = sys_module(s, ev->sub);
    if (top)
        v = top;
    for (guint i = 1; ev->as && top && i < ev->count && v != OPAQUE; i++) {
        if (v == NONE) { /* the package bound the submodule's name to None */
            if (certain)
                raise_error(s, IMPVIZ_ERROR_IMPORT,
                            g_strdup_printf("cannot import name '%s' from '<unknown "
                                            "module name>' (unknown location)",
                                            parts[i].text));
            ok = !s->error.message;
            break;
        }
        bool unsure = false;
        gpointer next = import_from_attr(s, v, &parts[i], -2, &unsure);
        certain = certain && !unsure;
        if (!next) {
            raise_cannot_import(s, v, parts[i].text);
            ok = false;
            break;
        }
        v = next;
    }
    if (ok)
        intmap_set(&s->arena, ns, ev->key, tag(v, ev->uncertain));
    return ok;
}

static bool loading_submodule(const object *m, guint key)
{
    for (guint i = 0; m->loading && i < m->loading->len; i++)
        if (g_array_index(m->loading, guint, i) == key)
            return true;
    return false;
}

/* Runs one USE op: reads the dotted chain "a.b.X" in module o's namespace. */
static bool run_use(state *s, object *o, const op *ev, const intmap *locals)
{
    const part *parts = &o->u->parts[ev->first];
    gpointer v = ev->local ? intmap_get(locals, parts[0].key) : NULL;
    if (!v)
        v = intmap_get(&o->ns, parts[0].key);
    bool certain = !ev->uncertain; /* the read and the binding it reads both surely run */
    if (v && tagged_uncertain(v)) {
        s->assumptions = true;
        certain = false;
    }
    v = v ? untag(v) : OPAQUE; /* a builtin, or a name the simulation does not track */
    for (guint i = 1; i < ev->count && v != OPAQUE; i++) {
        if (v == NONE) {
            /* None read under a condition is the usual `if x is not None: x.attr` */
            if (certain && !g_str_has_prefix(parts[i].text, "__")) {
                raise_error(
                    s, IMPVIZ_ERROR_ATTRIBUTE,
                    g_strdup_printf("'NoneType' object has no attribute '%s'", parts[i].text));
                return false;
            }
            return true;
        }
        object *m = v;
        gpointer next = intmap_get(&m->ns, parts[i].key);
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
            return true;
        }
        if (has_getattr(s, m)) {
            /* assumed to answer: with the submodule of the name, imported as lazy-loading
               packages do (scientific Python's idiom), else with whatever it returns */
            s->assumptions = true;
            gint sub = submodule_id(s, m, &parts[i]);
            object *loaded = NULL;
            if (sub >= 0 && !find_and_load(s, sub, -1, &loaded))
                return false;
            v = loaded ? (gpointer)loaded : OPAQUE;
            continue;
        }
        const char *name = parts[i].text, *mname = m->u->name;
        char *msg;
        if (m->initializing)
            msg = g_strdup_printf("partially initialized module '%s' has no attribute '%s' "
                                  "(most likely due to a circular import)",
                                  mname, name);
        else if (loading_submodule(m, parts[i].key))
            msg = g_strdup_printf("cannot access submodule '%s' of module '%s' (most likely due "
                                  "to a circular import)",
                                  name, mname);
        else
            msg = g_strdup_printf("module '%s' has no attribute '%s'", mname, name);
        raise_error(s, IMPVIZ_ERROR_ATTRIBUTE, msg);
        return false;
    }
    return true;
}

static guint catch_bit(impviz_error_type type)
{
    return type == IMPVIZ_ERROR_IMPORT ? IMPVIZ_CATCH_IMPORT : IMPVIZ_CATCH_ATTRIBUTE;
}

/* Follows a try's clause links from op i to the first that is not an EXCEPT. */
static guint skip_excepts(const op *ops, guint i)
{
    while (ops[i].type == IMPVIZ_EV_EXCEPT)
        i = ops[i].next;
    return i;
}

/* The module's frames above s->frames[depth] for op ev, as CPython's traceback shows them: the
 * module's line, then a class body's, then a called function's. */
static void set_frames(state *s, guint depth, const op *ev)
{
    g_array_set_size(s->frames, depth + 1);
    impviz_frame *top = &g_array_index(s->frames, impviz_frame, depth);
    impviz_frame inner = {.module = top->module};
    if (ev->class_line) {
        top->line = ev->class_line;
        top->statement = ev->class_statement;
        if (ev->call_line) {
            inner.line = ev->call_line;
            inner.statement = ev->call_statement;
            g_array_append_val(s->frames, inner);
        }
    } else if (ev->call_line) {
        top->line = ev->call_line;
        top->statement = ev->call_statement;
    } else {
        top->line = ev->line;
        top->statement = ev->statement;
        return;
    }
    inner.line = ev->line;
    inner.statement = ev->statement;
    g_array_append_val(s->frames, inner);
}

/* Runs module o's ops in order. False when an exception leaves the module. */
static bool exec_module(state *s, object *o)
{
    const unit *u = o->u;
    if (u->index < 0)
        return true; /* a namespace package runs no code */
    if (!u->file) {
        o->open = true; /* unreadable: anything may be in it */
        return true;
    }
    impviz_frame frame = {.module = (guint)u->index};
    g_array_append_val(s->frames, frame);
    guint depth = s->frames->len - 1;
    guint base = s->tries->len; /* this module's tries are above base */
    const op *ops = u->ops;
    guint n = u->n_ops;
    bool ok = true;
    /* a called function's local names (its imports bind them), for the call on locals_call */
    intmap locals = {0}, no_locals = {0};
    guint locals_call = 0;
    for (guint i = 0; i < n; i++) {
        const op *ev = &ops[i];
        if (s->exhausted || (s->limit && s->work >= s->limit)) {
            s->exhausted = true;
            ok = false;
            break;
        }
        s->work++;
        set_frames(s, depth, ev);
        bool step = true;
        switch (ev->type) {
        case IMPVIZ_EV_IMPORT:
            if (ev->local && ev->call_line != locals_call) { /* another call: new locals */
                locals = (intmap){0};
                locals_call = ev->call_line;
            }
            step = run_import(s, o, ev, &locals);
            break;
        case IMPVIZ_EV_BIND:
            if (ev->bind)
                intmap_set(&s->arena, &o->ns, ev->key,
                           tag(ev->none ? NONE : OPAQUE, ev->uncertain));
            break;
        case IMPVIZ_EV_UNBIND: /* (a name that is not bound raises NameError: not modelled) */
            if (ev->bind && !ev->uncertain)
                intmap_remove(&o->ns, ev->key);
            else if (ev->bind && intmap_get(&o->ns, ev->key)) /* maybe deleted */
                intmap_set(&s->arena, &o->ns, ev->key,
                           tag(untag(intmap_get(&o->ns, ev->key)), true));
            break;
        case IMPVIZ_EV_USE:
            step = run_use(s, o, ev, ev->call_line == locals_call ? &locals : &no_locals);
            if (!step && ev->uncertain)
                s->assumptions = true;
            break;
        case IMPVIZ_EV_TRY:
            g_array_append_val(s->tries, i);
            break;
        case IMPVIZ_EV_EXCEPT:
            if (s->tries->len > base &&
                ops[g_array_index(s->tries, guint, s->tries->len - 1)].next == i) {
                /* the body finished: go on with the else clause, or after the handlers */
                g_array_set_size(s->tries, s->tries->len - 1);
                i = skip_excepts(ops, i);
            } else { /* a handler finished: skip the other handlers and the else clause */
                i = skip_excepts(ops, i);
                if (ops[i].type == IMPVIZ_EV_ELSE)
                    i = ops[i].next;
            }
            break;
        case IMPVIZ_EV_ELSE: /* reached after the last handler: skip the else body */
            i = ev->next;
            break;
        case IMPVIZ_EV_END:
            if (s->tries->len > base &&
                ops[g_array_index(s->tries, guint, s->tries->len - 1)].next == i)
                g_array_set_size(s->tries, s->tries->len - 1); /* try/finally without handlers */
            break;
        }
        if (step)
            continue;
        /* an exception: the innermost try whose handler catches it takes it */
        bool caught = false;
        if (s->exhausted)
            g_array_set_size(s->tries, base); /* not an exception: the simulation stops here */
        while (s->tries->len > base && !caught) {
            guint t = g_array_index(s->tries, guint, s->tries->len - 1);
            g_array_set_size(s->tries, s->tries->len - 1);
            for (guint c = ops[t].next; ops[c].type == IMPVIZ_EV_EXCEPT; c = ops[c].next) {
                if (ops[c].catches & catch_bit(s->error.type)) {
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
    g_array_set_size(s->tries, base);
    g_array_set_size(s->frames, depth);
    return ok;
}

static void state_init(state *s, program *pg, guint64 limit)
{
    memset(s, 0, sizeof *s);
    s->pg = pg;
    s->limit = limit;
    s->objects = g_ptr_array_new_with_free_func(object_release);
    arena_init(&s->arena);
    s->frames = g_array_new(FALSE, FALSE, sizeof(impviz_frame));
    s->tries = g_array_new(FALSE, FALSE, sizeof(guint));
}

static void state_release(state *s)
{
    clear_error(s);
    g_ptr_array_unref(s->objects);
    arena_release(&s->arena);
    g_array_unref(s->frames);
    g_array_unref(s->tries);
}

static void state_free(state *s)
{
    if (!s)
        return;
    state_release(s);
    g_free(s);
}

/* Slots the snapshots of a diagnosis may hold in all (namespace and sys.modules entries, objects;
 * about 12 bytes each): beyond, imports are simulated again instead of remembered. */
#define SNAPSHOT_BUDGET (16u << 20)

static gsize state_size(const state *s)
{
    gsize n = s->modules.cap + s->objects->len;
    for (guint i = 0; i < s->objects->len; i++)
        n += ((const object *)g_ptr_array_index(s->objects, i))->ns.cap;
    return n;
}

/* v with an object in it replaced by its copy among copies (the same serial). */
static gpointer remap(gpointer v, object *const *copies)
{
    gpointer u = untag(v);
    if (u == OPAQUE || u == NONE)
        return v;
    return tag(copies[((const object *)u)->serial], tagged_uncertain(v));
}

static void intmap_copy(arena *ar, intmap *m, const intmap *from, object *const *copies)
{
    *m = *from;
    if (!from->cap)
        return;
    intmap_alloc(ar, m, from->cap);
    memcpy(m->keys, from->keys, from->cap * sizeof(guint));
    for (guint i = 0; i < from->cap; i++)
        if (from->keys[i])
            m->values[i] = remap(from->values[i], copies);
}

/* Makes fresh state s a copy of snapshot from: its modules and objects (none of which runs). */
static void state_copy(state *s, const state *from)
{
    s->assumptions = from->assumptions;
    s->truncated = from->truncated;
    s->work = from->work;
    s->failed = from->failed;
    if (from->error.message) {
        s->error.type = from->error.type;
        s->error.message = g_strdup(from->error.message);
        s->error.chain = g_array_copy(from->error.chain);
    }
    guint n = from->objects->len;
    g_ptr_array_set_size(s->objects, n);
    object **copies = (object **)s->objects->pdata;
    object *block = arena_alloc(&s->arena, n * sizeof(object));
    for (guint i = 0; i < n; i++) {
        copies[i] = &block[i];
        *copies[i] = *(const object *)g_ptr_array_index(from->objects, i);
        copies[i]->loading = NULL; /* none runs: every loading list is empty */
    }
    for (guint i = 0; i < n; i++)
        intmap_copy(&s->arena, &copies[i]->ns,
                    &((const object *)g_ptr_array_index(from->objects, i))->ns, copies);
    intmap_copy(&s->arena, &s->modules, &from->modules, copies);
}

/* Keeps a copy of s, the state after `import <id>` in a fresh interpreter, for the imports of
 * the modules below id (while the budget allows). Safe on any thread. */
static void snapshot_keep(program *pg, guint id, const state *s)
{
    gsize size = state_size(s);
    g_mutex_lock(&pg->lock);
    bool keep = !pg->claimed[id] && pg->snapshot_size + size <= SNAPSHOT_BUDGET;
    if (keep) {
        pg->claimed[id] = true;
        pg->snapshot_size += size;
    }
    g_mutex_unlock(&pg->lock);
    if (!keep)
        return;
    state *copy = g_new(state, 1);
    state_init(copy, pg, 0);
    arena_reserve(&copy->arena,
                  s->objects->len * sizeof(object) + size * (sizeof(guint) + sizeof(gpointer)));
    state_copy(copy, s);
    g_atomic_pointer_set(&pg->snapshots[id], copy);
}

/* `import <id>` in the fresh state s (its limit set), as find_and_load does it: the parent
 * package first, then the module. An import starts from the state its parent's import left,
 * which is the same for every module below that parent: that state is copied from the
 * parent's snapshot when there is one, and a package's is kept as one. Adds nothing to s when
 * a snapshot shows that the limit would be reached: s->exhausted, s->work = s->limit. */
static void run_fresh(program *pg, guint id, state *s)
{
    const unit *u = unit_get(pg, id);
    if (u->parent >= 0) {
        const state *base = g_atomic_pointer_get(&pg->snapshots[u->parent]);
        if (base && s->limit && base->work > s->limit) {
            /* the parent's import alone runs past the limit */
            s->work = s->limit;
            s->exhausted = true;
            return;
        }
        if (base) {
            state_copy(s, base);
        } else {
            run_fresh(pg, (guint)u->parent, s);
            if (s->exhausted)
                return;
            if (unit_get(pg, (guint)u->parent)->is_package)
                snapshot_keep(pg, (guint)u->parent, s);
        }
        if (s->failed)
            return; /* the parent's import raised: so does this one */
    }
    object *ignored = NULL;
    s->failed = !find_and_load(s, (gint)id, -1, &ignored);
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

/* `import <module id>` in a fresh interpreter. Adds the events run to *work; NULL when more
 * than limit events (0: no limit) would be needed. */
static impviz_prediction *predict(program *pg, guint id, guint64 *work, guint64 limit)
{
    state s;
    state_init(&s, pg, limit);
    run_fresh(pg, id, &s);
    impviz_prediction *p = NULL;
    if (!s.exhausted) {
        p = g_new0(impviz_prediction, 1);
        p->module = g_strdup(module_name(pg, id));
        if (!s.failed) {
            p->chain = g_array_new(FALSE, FALSE, sizeof(impviz_frame));
        } else {
            p->type = s.error.type;
            p->message = g_strdup(s.error.message);
            p->chain = g_array_copy(s.error.chain);
        }
        p->assumptions = s.assumptions;
        if (unit_get(pg, id)->is_package && !g_atomic_pointer_get(&pg->snapshots[id]))
            snapshot_keep(pg, id, &s);
    }
    *work += s.work;
    state_release(&s);
    return p;
}

impviz_status impviz_predict_import(const impviz_analysis *a, const char *module,
                                    impviz_diags *diags, impviz_prediction **out)
{
    *out = NULL;
    program *pg = program_new(a);
    gint id = module_id(pg, module);
    if (id < 0) {
        impviz_diags_add(diags, IMPVIZ_ERROR, NULL, 0,
                         "unknown module '%s': no such module or package in the project", module);
        program_free(pg);
        return IMPVIZ_EUSAGE;
    }
    guint64 work = 0;
    *out = predict(pg, (guint)id, &work, 0); /* one module asked for by name: no budget */
    program_free(pg);
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
    guint restructure;    /* its imports whose names are needed at import time: no deferral */
    guint unused;         /* its imports whose names this module never reads */
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

/* A name a module must keep binding on import because another takes it from there: (module,
 * name) for every `from module import name` of the project, and (module, "*") for star imports.
 * Built once, then only read (by several threads). */
typedef struct {
    guint module;
    const char *name; /* borrowed from the analysis' imports */
} export_key;

typedef struct {
    export_key *keys; /* owned: the table's keys point into it */
    GHashTable *set;  /* export_key * (set) */
} exports;

static guint export_hash(gconstpointer p)
{
    const export_key *k = p;
    return g_str_hash(k->name) * 31u + k->module;
}

static gboolean export_equal(gconstpointer x, gconstpointer y)
{
    const export_key *a = x, *b = y;
    return a->module == b->module && strcmp(a->name, b->name) == 0;
}

/* The project's re-exports; the caller frees them with exports_free. */
static exports *exports_new(const impviz_analysis *a)
{
    exports *e = g_new(exports, 1);
    e->keys = g_new(export_key, a->refs->len + 1);
    e->set = g_hash_table_new(export_hash, export_equal);
    guint n = 0;
    for (guint i = 0; i < a->refs->len; i++) {
        const impviz_ref *r = ref_at(a, i);
        if (r->target < 0 || !(r->import->flags & IMPVIZ_IMPORT_FROM) || !r->import->name)
            continue;
        e->keys[n] = (export_key){(guint)r->target, r->import->name};
        g_hash_table_add(e->set, &e->keys[n++]);
    }
    return e;
}

static void exports_free(exports *e)
{
    g_hash_table_unref(e->set);
    g_free(e->keys);
    g_free(e);
}

static bool is_reexported(const exports *e, guint module, const char *name)
{
    export_key key = {module, name}, star = {module, "*"};
    return g_hash_table_contains(e->set, &key) ||
           (name[0] != '_' && g_hash_table_contains(e->set, &star));
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
 * e->restructure and e->unused. uses: where the source file uses each name of `names` (or NULL). An
 * import whose names this module never reads, and no other module takes from it, is deferred too:
 * it can go where it is needed, or away (unless it is there for its side effects). A package's
 * __init__ keeps such imports: they make its public names. */
static void plan_edge(const impviz_analysis *a, const GArray *members, comp_edge *e, GArray *uses,
                      GPtrArray *names, const exports *exported, GPtrArray *out)
{
    guint src = g_array_index(members, guint, e->source);
    e->restructure = e->unused = 0;
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
        e->restructure += !ok;
        e->unused += ok && !u->functions->len;
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

/* Edge i's cost, compared as (imports that cannot be deferred, imports to change, imports whose
 * names go unused): a set of safe deferrals always wins over one that needs a restructure, as
 * the article advises restructuring only where no import can move. Fields of 20 bits, each
 * capped so that sums over the edges of a set cannot carry into the next. */
static guint64 edge_cost(const comp_edge *e)
{
    return (guint64)MIN(e->restructure, 0x3fffu) << 40 | (guint64)MIN(e->refs->len, 0x3fffu) << 20 |
           MIN(e->unused, 0x3fffu);
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
                        guint j, const exports *exported, impviz_parser *parser, GPtrArray **plans)
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

/* The plans of every run of edges with one source, on the calling thread and the jobs - 1 of
 * GLib's shared ones: each run reads its source file and writes only its own plans. */
typedef struct {
    const impviz_analysis *a;
    const GArray *members;
    GArray *edges;
    const guint *starts; /* run g is edges [starts[g], starts[g + 1]) */
    guint n_runs;
    const exports *exported;
    GPtrArray **plans;
    gint next; /* atomic: the next run no thread has taken */
} plan_job;

/* Plans runs until none is left, with *parser (made on first need; the caller's). */
static void plan_runs(plan_job *job, impviz_parser **parser)
{
    for (;;) {
        guint g = (guint)g_atomic_int_add(&job->next, 1);
        if (g >= job->n_runs)
            break;
        if (!*parser)
            *parser = impviz_parser_new();
        plan_source(job->a, job->members, job->edges, job->starts[g], job->starts[g + 1],
                    job->exported, *parser, job->plans);
    }
}

static void plan_task(gpointer data, gpointer user)
{
    (void)data;
    impviz_parser *parser = NULL;
    plan_runs(user, &parser);
    impviz_parser_free(parser);
}

/* parser: the calling thread's (not NULL). */
static void plan_all_sources(plan_job *job, impviz_parser *parser)
{
    guint helpers = MIN(job->a->jobs, job->n_runs);
    GThreadPool *pool = NULL;
    if (helpers > 1) {
        pool = g_thread_pool_new(plan_task, job, (gint)helpers - 1, FALSE, NULL);
        for (guint t = 1; t < helpers; t++)
            g_thread_pool_push(pool, GUINT_TO_POINTER(t), NULL);
    }
    plan_runs(job, &parser);
    if (pool)
        g_thread_pool_free(pool, FALSE, TRUE);
}

static gint uint_cmp(gconstpointer x, gconstpointer y)
{
    guint a = *(const guint *)x, b = *(const guint *)y;
    return a < b ? -1 : a > b;
}

/* The first of edges (sorted by source) whose source is v, or edges->len. */
static guint first_edge_of(const GArray *edges, guint v)
{
    guint lo = 0, hi = edges->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(edges, impviz_edge, mid).source < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The imports to defer or restructure so that import-time component comp has no cycle. Up to
 * PLAN_ALL_MAX_EDGES edges, every edge's names are looked up first so that the choice prefers
 * imports that can simply be deferred; beyond, only the chosen edges' are. */
static GPtrArray *suggest(const impviz_analysis *a, guint comp, const exports *exported,
                          impviz_parser *parser, bool *minimum)
{
    const GArray *members = g_ptr_array_index(a->graph->import_time.components, comp);
    const gint *component_of = a->graph->import_time.component_of;
    const GArray *all = a->graph->edges;
    GHashTable *local = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < members->len; i++)
        g_hash_table_insert(local, GUINT_TO_POINTER(g_array_index(members, guint, i)),
                            GUINT_TO_POINTER(i + 1));
    /* the members' edges only, in the graph's (source, target) order: each member's run of
     * edges, members taken by ascending module index */
    GArray *sources = g_array_copy((GArray *)members);
    g_array_sort(sources, uint_cmp);
    GArray *edges = g_array_new(FALSE, FALSE, sizeof(comp_edge));
    for (guint k = 0; k < sources->len; k++) {
        guint v = g_array_index(sources, guint, k);
        guint s = GPOINTER_TO_UINT(g_hash_table_lookup(local, GUINT_TO_POINTER(v)));
        for (guint i = first_edge_of(all, v); i < all->len; i++) {
            const impviz_edge *e = &g_array_index(all, impviz_edge, i);
            if (e->source != v)
                break;
            if (component_of[e->target] != (gint)comp || !(e->kinds & EAGER_MASK))
                continue;
            guint t = GPOINTER_TO_UINT(g_hash_table_lookup(local, GUINT_TO_POINTER(e->target)));
            comp_edge ce = {.source = s - 1, .target = t - 1, .refs = eager_refs(a, e)};
            g_array_append_val(edges, ce);
        }
    }
    g_array_unref(sources);
    /* graph edges are sorted by (source, target) index and members by index: by local source */
    guint m = edges->len;
    GPtrArray **plans = g_new0(GPtrArray *, m + 1);
    if (m <= PLAN_ALL_MAX_EDGES) {
        GArray *starts = g_array_new(FALSE, FALSE, sizeof(guint));
        for (guint i = 0; i < m; i++)
            if (i == 0 || g_array_index(edges, comp_edge, i).source !=
                              g_array_index(edges, comp_edge, i - 1).source)
                g_array_append_val(starts, i);
        guint n_runs = starts->len;
        g_array_append_val(starts, m);
        plan_job job = {a,      members,  edges, (const guint *)(void *)starts->data,
                        n_runs, exported, plans, 0};
        plan_all_sources(&job, parser);
        g_array_unref(starts);
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
    program *pg;
    guint id; /* the member's module id */
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
    t->p = predict(t->pg, t->id, &t->work, t->limit);
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
static guint predict_members(program *pg, const GArray *comp, batch *b, guint64 max_steps,
                             guint64 steps, guint64 *work, GPtrArray *entries)
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
            tasks[k] = (predict_task){pg, g_array_index(comp, guint, j + k), limit, NULL, 0};
        if (b->pool) {
            b->pending = n;
            for (guint k = 0; k < n; k++)
                g_thread_pool_push(b->pool, &tasks[k], NULL);
            g_mutex_lock(&b->lock);
            while (b->pending)
                g_cond_wait(&b->done, &b->lock);
            g_mutex_unlock(&b->lock);
        } else {
            tasks[0].p = predict(pg, tasks[0].id, &tasks[0].work, limit);
        }
        for (guint k = 0; k < n; k++) {
            predict_task *t = &tasks[k];
            if (!stop && k > 0) { /* what one thread would check before this member */
                guint64 left = max_steps ? max_steps - steps - *work : 0;
                stop = *work > PREDICT_BUDGET || (max_steps && steps + *work >= max_steps);
                if (!stop && left && (!t->p || t->work >= left)) {
                    g_clear_pointer(&t->p, impviz_prediction_free);
                    t->work = 0;
                    t->p = predict(pg, t->id, &t->work, left);
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
    program *pg = program_new(a);
    exports *exported = exports_new(a);
    batch pool = {.threads = a->jobs > 1 ? a->jobs : 1};
    if (pool.threads > 1) {
        g_mutex_init(&pool.lock);
        g_cond_init(&pool.done);
        /* GLib's shared threads (impviz_threads_prepare) */
        pool.pool = g_thread_pool_new(predict_task_run, &pool, (gint)pool.threads, FALSE, NULL);
    }
    for (guint i = 0; i < comps->len; i++) {
        const GArray *comp = g_ptr_array_index(comps, i);
        impviz_cycle_diagnosis *c = g_new0(impviz_cycle_diagnosis, 1);
        c->members = g_array_copy((GArray *)comp);
        c->cycle = impviz_cycle_steps(a, i);
        c->entries = g_ptr_array_new_with_free_func((GDestroyNotify)impviz_prediction_free);
        guint64 work = 0;
        guint j = predict_members(pg, comp, &pool, max_steps, d->steps, &work, c->entries);
        if (j < comp->len) {
            c->entries_omitted = comp->len - j;
            if (max_steps && d->steps + work >= max_steps)
                d->omitted += c->entries_omitted;
        }
        d->steps += work;
        c->suggestions = suggest(a, i, exported, parser, &c->minimum);
        g_ptr_array_add(d->cycles, c);
    }
    if (pool.pool) {
        g_thread_pool_free(pool.pool, FALSE, TRUE);
        g_mutex_clear(&pool.lock);
        g_cond_clear(&pool.done);
    }
    exports_free(exported);
    program_free(pg);
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
