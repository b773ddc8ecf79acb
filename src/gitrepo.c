/* SPDX-License-Identifier: MIT */
/*
 * gitrepo.c - where git keeps the ignore rules that are not a .gitignore below the walk: the work
 * tree a directory lies in, its info/exclude file, and the user's core.excludesFile.
 *
 * Only files are read, never a git command run: a .git directory (or a .git file pointing at the
 * directory of a linked work tree or submodule, whose commondir file names the shared one) and
 * the configuration files git reads for core.excludesFile, in git's order (system, global,
 * repository; the last setting wins), GIT_CONFIG_SYSTEM, GIT_CONFIG_NOSYSTEM and
 * GIT_CONFIG_GLOBAL honoured. Every file is read with impviz_small_file_read. Not supported:
 * [include] and [includeIf] sections, GIT_DIR, GIT_CEILING_DIRECTORIES.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "impviz.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The contents of a small file, or NULL when it cannot be read (caller frees). */
static char *slurp(const char *path, gsize *len)
{
    char *data = NULL, *why = NULL;
    gsize n = 0;
    if (impviz_small_file_read(path, IMPVIZ_SMALL_FILE_MAX, &data, &n, &why) != IMPVIZ_OK) {
        g_free(why);
        return NULL;
    }
    if (len)
        *len = n;
    return data;
}

/* The git directory a `.git` file names ("gitdir: PATH", relative to the file's directory), or
 * NULL. Caller frees. */
static char *gitdir_from_file(const char *top, const char *dotgit)
{
    char *text = slurp(dotgit, NULL);
    if (!text)
        return NULL;
    char *dir = NULL;
    if (g_str_has_prefix(text, "gitdir:")) {
        char *at = g_strstrip(text + strlen("gitdir:"));
        if (*at)
            dir = g_path_is_absolute(at) ? g_strdup(at) : g_build_filename(top, at, NULL);
    }
    g_free(text);
    return dir;
}

/* The directory shared by every work tree of the repository whose git directory is gitdir: the
 * one its commondir file names, else gitdir itself. Caller frees. */
static char *common_dir(const char *gitdir)
{
    char *path = g_build_filename(gitdir, "commondir", NULL);
    char *text = slurp(path, NULL);
    g_free(path);
    if (!text)
        return g_strdup(gitdir);
    char *at = g_strstrip(text);
    char *dir = !*at                     ? g_strdup(gitdir)
                : g_path_is_absolute(at) ? g_strdup(at)
                                         : g_build_filename(gitdir, at, NULL);
    g_free(text);
    return dir;
}

/* A value of a git configuration line from `at`: quotes removed, \" \\ \n \t unescaped, a
 * comment (# or ;) outside quotes ends it, trailing blanks dropped. Caller frees. */
static char *config_value(const char *at, const char *end)
{
    GString *out = g_string_new(NULL);
    bool quoted = false;
    gsize keep = 0; /* length without trailing blanks outside quotes */
    for (; at < end; at++) {
        char c = *at;
        if (c == '"') {
            quoted = !quoted;
            keep = out->len;
            continue;
        }
        if (!quoted && (c == '#' || c == ';'))
            break;
        if (c == '\\' && at + 1 < end) {
            char e = *++at;
            g_string_append_c(out, e == 'n' ? '\n' : e == 't' ? '\t' : e == 'b' ? '\b' : e);
            keep = out->len;
            continue;
        }
        g_string_append_c(out, c);
        if (quoted || (c != ' ' && c != '\t'))
            keep = out->len;
    }
    g_string_truncate(out, keep);
    return g_string_free(out, FALSE);
}

/* Sets *value (replacing it; caller frees) to the last core.excludesFile the git configuration
 * file at path sets. Section and key names are case-insensitive; subsections (`[core "x"]`) are
 * other sections. */
static void config_read(const char *path, char **value)
{
    gsize len = 0;
    char *text = slurp(path, &len);
    if (!text)
        return;
    bool in_core = false;
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        const char *at = line;
        while (at < eol && (*at == ' ' || *at == '\t'))
            at++;
        if (at < eol && *at == '[') {
            const char *close = memchr(at, ']', (size_t)(eol - at));
            in_core = close && close - at - 1 == 4 && g_ascii_strncasecmp(at + 1, "core", 4) == 0;
            at = close ? close + 1 : eol; /* `[core] excludesFile = x` on one line */
            while (at < eol && (*at == ' ' || *at == '\t'))
                at++;
        }
        static const char key[] = "excludesfile";
        const size_t n = sizeof key - 1;
        if (in_core && (size_t)(eol - at) > n && g_ascii_strncasecmp(at, key, n) == 0) {
            const char *rest = at + n;
            while (rest < eol && (*rest == ' ' || *rest == '\t'))
                rest++;
            if (rest < eol && *rest == '=') {
                g_free(*value);
                *value = config_value(rest + 1, eol[-1] == '\r' ? eol - 1 : eol);
                char *trimmed = g_strdup(g_strchug(*value));
                g_free(*value);
                *value = trimmed;
            }
        }
        line = eol < end ? eol + 1 : end;
    }
    g_free(text);
}

/* A path value as git reads one: `~/` is the home directory, a relative path is taken from the
 * work tree's top. Caller frees. */
static char *config_path(const char *value, const char *top)
{
    if (g_str_has_prefix(value, "~/"))
        return g_build_filename(g_get_home_dir(), value + 2, NULL);
    if (g_path_is_absolute(value))
        return g_strdup(value);
    return g_build_filename(top, value, NULL);
}

/* The user's core.excludesFile for the repository whose shared directory is common, or git's
 * default $XDG_CONFIG_HOME/git/ignore; NULL when it is set empty. Caller frees. */
static char *excludes_file(const char *common, const char *top)
{
    char *value = NULL;
    const char *system = g_getenv("GIT_CONFIG_SYSTEM");
    if (!g_getenv("GIT_CONFIG_NOSYSTEM") || !*g_getenv("GIT_CONFIG_NOSYSTEM"))
        config_read(system ? system : "/etc/gitconfig", &value);
    const char *global = g_getenv("GIT_CONFIG_GLOBAL");
    const char *xdg = g_getenv("XDG_CONFIG_HOME");
    char *xdg_dir = xdg && *xdg ? g_build_filename(xdg, "git", NULL)
                                : g_build_filename(g_get_home_dir(), ".config", "git", NULL);
    if (global) {
        config_read(global, &value);
    } else {
        char *path = g_build_filename(xdg_dir, "config", NULL);
        config_read(path, &value);
        g_free(path);
        path = g_build_filename(g_get_home_dir(), ".gitconfig", NULL);
        config_read(path, &value);
        g_free(path);
    }
    char *local = g_build_filename(common, "config", NULL);
    config_read(local, &value);
    g_free(local);
    char *file = NULL;
    if (!value)
        file = g_build_filename(xdg_dir, "ignore", NULL);
    else if (*value)
        file = config_path(value, top);
    g_free(value);
    g_free(xdg_dir);
    return file;
}

bool impviz_git_ignores_find(const char *dir, impviz_git_ignores *out)
{
    *out = (impviz_git_ignores){0};
    char *real = realpath(dir, NULL);
    if (!real)
        return false;
    char *at = g_strdup(real);
    free(real);
    for (;;) {
        char *dotgit = g_build_filename(at, ".git", NULL);
        struct stat st;
        if (lstat(dotgit, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
            char *gitdir = S_ISDIR(st.st_mode) ? g_strdup(dotgit) : gitdir_from_file(at, dotgit);
            g_free(dotgit);
            if (!gitdir)
                break; /* a .git file that names nothing: not a work tree */
            char *common = common_dir(gitdir);
            out->top = at;
            out->exclude = g_build_filename(common, "info", "exclude", NULL);
            out->excludes_file = excludes_file(common, at);
            g_free(common);
            g_free(gitdir);
            return true;
        }
        g_free(dotgit);
        char *slash = strrchr(at, '/');
        if (!slash || slash == at)
            break; /* the file system's root holds no work tree of interest */
        *slash = '\0';
    }
    g_free(at);
    return false;
}

void impviz_git_ignores_release(impviz_git_ignores *g)
{
    g_free(g->top);
    g_free(g->exclude);
    g_free(g->excludes_file);
    *g = (impviz_git_ignores){0};
}
