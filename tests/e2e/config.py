"""End-to-end: [tool.impviz] in pyproject.toml - found by walking up, command line wins, errors."""
import json
import os
import shutil
import tempfile

from common import args, check, done, equal, run

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-config-")


def write(rel, text, root=tmp):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# a repository: src/pkg with a cycle a <-> b, and modules c, d
write("repo/src/pkg/__init__.py", "")
write("repo/src/pkg/a.py", "from . import b\n")
write("repo/src/pkg/b.py", "from . import a\n")
write("repo/src/pkg/c.py", "import os\n")
write("repo/src/pkg/d.py", "import sys\n")
repo = os.path.join(tmp, "repo")
pkg = os.path.join(repo, "src", "pkg")


def modules(*argv, cwd=None):
    rc, out, err = run(A.impviz, *argv, "-T", "json", cwd=cwd)
    check(rc in (0, 1), f"impviz {argv}: {rc} {err}")
    return sorted(m["name"] for m in json.loads(out)["modules"]) if out else None


def pyproject(text):
    write("repo/pyproject.toml", '[project]\nname = "demo"\n\n' + text)


# found by walking up from the first PATH (two levels up), settings applied
pyproject('[tool.impviz]\ncheck = true\nexclude = ["pkg/c.py"]\n')
equal(run(A.impviz, pkg)[0], 1, "check = true from the pyproject.toml two levels up")
equal(modules(pkg), ["pkg", "pkg.a", "pkg.b", "pkg.d"], "exclude from the file")
# the command line wins over the file
equal(modules(pkg, "--exclude", "pkg/d.py"), ["pkg", "pkg.a", "pkg.b", "pkg.c"], "--exclude wins")
# --no-config ignores it; --config names another file
equal(run(A.impviz, "--no-config", pkg)[0], 0, "--no-config")
write("other.toml", "[tool.impviz]\nexclude = [\"pkg/a.py\"]\n")
equal(modules("--config", os.path.join(tmp, "other.toml"), pkg), ["pkg", "pkg.b", "pkg.c", "pkg.d"],
      "--config FILE")

# paths, roots and baseline are relative to the file; no PATH needed then
pyproject('[tool.impviz]\nroots = ["src"]\npaths = ["src/pkg"]\nbaseline = "cycles.json"\n')
rc, out, err = run(A.impviz, "--write-baseline", os.path.join(repo, "cycles.json"), "-q", cwd=pkg)
equal(rc, 0, "write the baseline with paths from the file")
equal(run(A.impviz, "-q", cwd=os.path.join(repo, "src"))[0], 0, "no PATH: the file above gives them")
rc, out, err = run(A.impviz, "-T", "json", cwd=tmp)
equal((rc, out), run(A.impviz, "-T", "json", ".", cwd=tmp)[:2],
      "no PATH and no paths in the file: the current directory")
rc, out, err = run(A.impviz, "-T", "json", cwd=repo)
equal(rc, 0, "baseline from the file passes unchanged code")
check(json.loads(out)["modules"][0]["name"] == "pkg", "roots = [\"src\"] names modules from src")
write("repo/src/pkg/c.py", "from . import d\n")
write("repo/src/pkg/d.py", "from . import c\n")
rc, out, err = run(A.impviz, "-q", cwd=repo)
equal(rc, 1, "a new cycle fails against the file's baseline")
check("new import-time cycle" in err and "pkg.c -> pkg.d -> pkg.c" in err, f"names it: {err}")

# every key named like its long option does what the option does; the command line wins
write("repo/src/pkg/c.py", "import os\n")
os.remove(os.path.join(pkg, "d.py"))
write("repo/src/pkg/d.py", "import sys\n")


def view_nodes(*argv):
    rc, out, err = run(A.impviz, pkg, "-T", "json", *argv)
    check(rc in (0, 1), f"impviz {argv}: {rc} {err}")
    return sorted(n["id"] for n in json.loads(out)["view"]["nodes"]) if out else []


def dot(*argv):
    return run(A.impviz, pkg, "-T", "dot", *argv)[1]


pyproject("[tool.impviz]\nexternals = true\n")
check("x:os" in view_nodes(), "externals = true")
equal(view_nodes("--externals=none"), ["m:pkg", "m:pkg.a", "m:pkg.b", "m:pkg.c", "m:pkg.d"],
      "--externals=none wins over externals = true")
pyproject("[tool.impviz]\nexternals = \"all\"\nno-stdlib = true\n")
equal([n for n in view_nodes() if n.startswith("x:")], [], "externals = \"all\" with no-stdlib = true")
pyproject("[tool.impviz]\nonly = [\"pkg.c\"]\n")
equal(view_nodes(), ["m:pkg.c"], "only")
pyproject("[tool.impviz]\ncycles-only = true\n")
equal(view_nodes(), ["m:pkg.a", "m:pkg.b"], "cycles-only")
pyproject("[tool.impviz]\ndepth = 1\n")
equal(view_nodes(), ["p:pkg"], "depth = 1")
equal(view_nodes("--depth", "0"), ["m:pkg", "m:pkg.a", "m:pkg.b", "m:pkg.c", "m:pkg.d"], "--depth 0 wins")
pyproject("[tool.impviz]\nreverse = true\n")
equal(json.loads(run(A.impviz, pkg, "-T", "json")[1])["view"]["reversed"], True, "reverse = true")
pyproject("[tool.impviz]\ntheme = \"dark\"\nlink = \"https://x.example/{path}#L{line}\"\n")
out = dot()
check("#1e1e1e" in out and "https://x.example/pkg/a.py#L1" in out, "theme and link")
check("#1e1e1e" not in dot("--theme", "light"), "--theme wins")
pyproject("[tool.impviz]\nmax-edges = 1\ntimeout = 30\nmax-simulation = 5\n")
rc, out, err = run(A.impviz, pkg, "-T", "svg")
check(rc == 3 and "--max-edges" in err, f"max-edges from the file: {rc} {err}")
equal(run(A.impviz, pkg, "-T", "svg", "--max-edges", "0")[0], 0, "--max-edges wins")
pyproject("[tool.impviz]\nverbose = true\n")
check("settings from" in run(A.impviz, pkg)[2], "verbose = true")
cache = os.path.join(repo, "the-cache")
pyproject("[tool.impviz]\ncache-dir = \"the-cache\"\n")
run(A.impviz, pkg)
check(os.path.isdir(cache) and os.listdir(cache), "cache-dir, relative to the file")
shutil.rmtree(cache)
pyproject("[tool.impviz]\ncache-local = true\n")
equal(run(A.impviz, pkg, "--no-cache")[0], 0, "--no-cache wins over cache-local")
check(not os.path.exists(os.path.join(repo, "src", ".impviz_cache")), "no local cache then")
run(A.impviz, pkg)
check(os.path.isdir(os.path.join(repo, "src", ".impviz_cache")), "cache-local = true")
shutil.rmtree(os.path.join(repo, "src", ".impviz_cache"))

# errors: the file, the line and the key; status 2
def config_error(body, line, message):
    pyproject(body)
    rc, out, err = run(A.impviz, pkg)
    equal((rc, err), (2, f"impviz: error: {os.path.join(repo, 'pyproject.toml')}:{line + 3}: {message}\n"),
          f"error for {body!r}")


config_error("[tool.impviz]\ncheks = true\n", 2, "unknown key 'cheks' in [tool.impviz]")
config_error("[tool.impviz]\nfail_on = 'cycle'\n", 2, "unknown key 'fail_on' in [tool.impviz] (did you mean 'fail-on'?)")
config_error("[tool.impviz]\ncheck = 'yes'\n", 2, "'check' must be a boolean, not a string")
config_error("[tool.impviz]\nexclude = 'x'\n", 2, "'exclude' must be an array of strings, not a string")
config_error("[tool.impviz]\njobs = -1\n", 2, "'jobs' must be a number from 0 to 4096")
config_error("[tool.impviz]\nlayout = 'dott'\n", 2,
             "'layout' must be one of auto, dot, neato, fdp, sfdp, circo, twopi, osage, patchwork, not 'dott'")
config_error("[tool.impviz]\nrankdir = 'UP'\n", 2, "'rankdir' must be one of TB, LR, BT, RL, not 'UP'")
config_error("[tool.impviz]\nfail-on = 'warning'\n", 2, "'fail-on' must be one of cycle, error, not 'warning'")
config_error("[tool.impviz]\ncheck = true\ncheck = false\n", 3,
             "key 'check' is defined twice in [tool.impviz] (first on line 5)")
config_error("[tool.impviz\ncheck = true\n", 1, "invalid TOML: syntax error near '[tool.impviz'")
config_error("[tool.impviz]\ncheck = true\n[other]\nx = 1\nx = 2\n", 5,
             "invalid TOML: key 'other.x' is defined twice (first on line 7)")
config_error("[other]\nx = 1\n[tool.impviz]\ncheck = true\n[other]\n", 5,
             "invalid TOML: table 'other' is defined twice (first on line 4)")
config_error("[tool.impviz]\njobs = 99999999999999999999\n", 2, "'jobs': integer 99999999999999999999 is out of range")
config_error("[tool.impviz]\nbaseline = \"\"\n", 2, "'baseline' must not be empty")
# the file comes with the code: it may raise the machine's limits, not remove them, nor write
# the cache outside the project, nor make links that run code
for key in ("max-file-size", "max-modules", "max-edges", "max-simulation", "timeout"):
    config_error(f"[tool.impviz]\n{key} = 0\n", 2,
                 f"'{key}' = 0 (no limit) is for the command line: a project's file may raise a limit, not remove it")
config_error("[tool.impviz]\ncache-dir = \"../elsewhere\"\n", 2,
             f"'cache-dir' must be inside the project, below '{repo}' (--cache-dir may name any directory)")
pyproject("[tool.impviz]\nlink = \"javascript:alert(1)//{path}\"\n")
rc, out, err = run(A.impviz, pkg)
equal((rc, err.splitlines()[0] if err else ""),
      (2, "impviz: error: --link takes an http, https or relative URL template (no javascript:, data: ...)"),
      "a link that runs code, from the file")
check(not os.path.exists(os.path.join(tmp, "elsewhere")), "nothing written outside the project")
config_error("[tool.impviz]\nexternals = 3\n", 2, "'externals' must be a boolean or a string, not an integer")
config_error("[tool.impviz]\nexternals = \"some\"\n", 2,
             "'externals' must be true, false, \"none\", \"top\" or \"all\", not 'some'")
# relative spelling when the file is below the working directory
pyproject("[tool.impviz]\nnope = 1\n")
rc, out, err = run(A.impviz, "src/pkg", cwd=repo)
equal((rc, err), (2, "impviz: error: pyproject.toml:5: unknown key 'nope' in [tool.impviz]\n"),
      "relative file name in the message")
# a pyproject.toml without [tool.impviz] is passed over on the way up
pyproject("[tool.impviz]\ncheck = true\n")
write("repo/src/pyproject.toml", "[project]\nname = 'inner'\n")
equal(run(A.impviz, pkg)[0], 1, "nearest pyproject.toml without [tool.impviz] is skipped")

shutil.rmtree(tmp)
done("config")
