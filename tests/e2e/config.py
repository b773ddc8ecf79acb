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
rc, out, err = run(A.impviz, "-q", cwd=tmp)
check(rc == 2 and "no PATH given" in err, f"no PATH and no pyproject above: {rc} {err}")
rc, out, err = run(A.impviz, "-T", "json", cwd=repo)
equal(rc, 0, "baseline from the file passes unchanged code")
check(json.loads(out)["modules"][0]["name"] == "pkg", "roots = [\"src\"] names modules from src")
write("repo/src/pkg/c.py", "from . import d\n")
write("repo/src/pkg/d.py", "from . import c\n")
rc, out, err = run(A.impviz, "-q", cwd=repo)
equal(rc, 1, "a new cycle fails against the file's baseline")
check("new import-time cycle" in err and "pkg.c -> pkg.d -> pkg.c" in err, f"names it: {err}")

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
