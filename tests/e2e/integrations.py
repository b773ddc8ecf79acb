"""End-to-end: the ready-made integrations do what they say. The pre-commit hooks' entries run
in a repository, and every impviz step of share/github/impviz.yml runs, as GitHub would run it
(sh -e), in a pull-request checkout built here."""
import json
import os
import shlex
import shutil
import subprocess
import tempfile

import yaml

from common import args, check, done, equal

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-integrations-")
bindir = os.path.join(tmp, "bin")
os.mkdir(bindir)
os.symlink(os.path.abspath(A.impviz), os.path.join(bindir, "impviz"))
ENV = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"],
           GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
           GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")


def sh(script, cwd, env=None):
    p = subprocess.run(["sh", "-e", "-c", script], cwd=cwd, capture_output=True, text=True,
                       env=dict(ENV, **(env or {})))
    return p.returncode, p.stdout, p.stderr


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def make_repo(name, pyproject):
    """A repository whose main branch is clean and whose working tree adds a cycle."""
    repo = os.path.join(tmp, name)
    write(repo, "pyproject.toml", pyproject)
    write(repo, "src/app/__init__.py", "")
    write(repo, "src/app/models.py", "from app import views\n")
    write(repo, "src/app/views.py", "def render():\n    from app import models\n")
    # outside [tool.impviz] paths: never analysed, though it has a cycle
    write(repo, "tools/one.py", "from tools import two\n")
    write(repo, "tools/two.py", "from tools import one\n")
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True, env=ENV)
    return repo


PYPROJECT = '[project]\nname = "app"\n\n[tool.impviz]\npaths = ["src"]\n'

# ---- pre-commit ---------------------------------------------------------------------------------
hooks = yaml.safe_load(open(os.path.join(A.source, ".pre-commit-hooks.yaml")))
by_id = {h["id"]: h for h in hooks}
equal(sorted(by_id), ["impviz", "impviz-from-source"], "hook ids")
for h in hooks:
    equal((h["pass_filenames"], h["language"] in ("system", "script")), (False, True), f"{h['id']} settings")
    check(shlex.split(h["entry"])[1:] == ["--check"], f"{h['id']} runs impviz --check")
script = os.path.join(A.source, shlex.split(by_id["impviz-from-source"]["entry"])[0])
check(os.access(script, os.X_OK), "the from-source hook's script exists and is executable")
equal(by_id["impviz"]["language"], "system", "the impviz hook uses the impviz on PATH")

repo = make_repo("hooked", PYPROJECT)
entry = by_id["impviz"]["entry"]
equal(sh(entry, repo)[0], 0, "hook passes on the clean repository (paths from pyproject.toml)")
write(repo, "src/app/views.py", "from app import models\n")
rc, out, err = sh(entry, repo)
equal(rc, 1, "hook fails on an import-time cycle")
check("app.models -> app.views -> app.models" in out, f"and shows it: {out}")
# with args instead of a [tool.impviz] table
os.remove(os.path.join(repo, "pyproject.toml"))
equal(sh(entry + " src", repo)[0], 1, "hook with `args: [src]`")
rc, out, err = sh(entry, repo)
check(rc == 1 and "tools.one -> tools.two -> tools.one" in out,
      f"hook with neither: the repository from its root, tools/ included: {rc} {out}")

# ---- the GitHub Actions workflow ---------------------------------------------------------------
workflow = yaml.safe_load(open(os.path.join(A.source, "share/github/impviz.yml")))
steps = workflow["jobs"]["imports"]["steps"]
runs = [s for s in steps if "run" in s and "impviz " in s["run"] and "git clone" not in s["run"]]
equal([s["name"] for s in runs], ["Import cycles as SARIF", "What this pull request does to the import graph",
                                  "Gate on import-time cycles"], "the workflow's impviz steps")
upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
comment = next(s for s in steps if s.get("uses", "").startswith("actions/github-script@"))

repo = make_repo("pull-request", PYPROJECT)
subprocess.run(["git", "update-ref", "refs/remotes/origin/main", "HEAD"], cwd=repo, check=True, env=ENV)
write(repo, "src/app/views.py", "from app import models\n")  # the pull request adds a cycle
gh_env = {"GITHUB_BASE_REF": "main", "GITHUB_WORKSPACE": repo}
results = [sh(s["run"], repo, gh_env) for s in runs]

rc, out, err = results[0]
equal(rc, 0, f"SARIF step passes with cycles found ({err})")
sarif = json.load(open(os.path.join(repo, upload["with"]["sarif_file"])))
equal([r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
       for r in sarif["runs"][0]["results"]], ["src/app/models.py"], "SARIF paths from the repository root")

rc, out, err = results[1]
equal(rc, 0, f"report step ({err})")
check(f"readFileSync('impviz-comment.md'" in comment["with"]["script"], "the comment posts the report file")
body = open(os.path.join(repo, "impviz-comment.md")).read()
check(body.startswith("<!-- impviz diff -->\n## impviz: this change adds 1 import-time cycle"), f"comment: {body[:200]}")
check("- **appeared**: `app.models -> app.views -> app.models`" in body, "comment names the new cycle")
check("\n<!-- impviz -->\n## impviz: 1 import-time cycle\n" in body, "comment carries the full report")

rc, out, err = results[2]
equal(rc, 1, "the gate fails the pull request")
check(out.startswith("::error file=src/app/models.py,line=1,title=impviz%3A import-time cycle::"), f"annotation: {out}")

# with a baseline recorded on main, the same gate passes until a new cycle appears
subprocess.run(["impviz", "--write-baseline", "cycles.json"], cwd=repo, check=True, env=ENV, capture_output=True)
with open(os.path.join(repo, "pyproject.toml"), "a") as f:
    f.write('baseline = "cycles.json"\n')
rc, out, err = sh(runs[2]["run"], repo, gh_env)
equal(rc, 0, "the gate passes on the recorded cycle")
check(out.startswith("::warning file=src/app/models.py,line=1,"), f"and annotates it as a warning: {out}")
sh(runs[0]["run"], repo, gh_env)
sarif = json.load(open(os.path.join(repo, upload["with"]["sarif_file"])))
equal([(r["level"], r.get("baselineState")) for r in sarif["runs"][0]["results"]], [("warning", "unchanged")],
      "SARIF: the recorded cycle is a warning, baselineState unchanged")
write(repo, "src/app/extra.py", "from app import models\n")
write(repo, "src/app/models.py", "from app import views\nfrom app import extra\n")
rc, out, err = sh(runs[2]["run"], repo, gh_env)
equal(rc, 1, "the gate fails on a grown cycle")
check("grew since baseline 'cycles.json'" in err, f"and says so: {err}")
check(out.startswith("::error file=src/app/"), f"the grown cycle is an error: {out}")
sh(runs[0]["run"], repo, gh_env)
sarif = json.load(open(os.path.join(repo, upload["with"]["sarif_file"])))
equal([(r["level"], r.get("baselineState")) for r in sarif["runs"][0]["results"]], [("error", "updated")],
      "SARIF: the grown cycle is an error, baselineState updated")

# --fail-on error: a cycle that raises nothing passes the gate and is a warning
with open(os.path.join(repo, "pyproject.toml"), "w") as f:
    f.write(PYPROJECT + 'fail-on = "error"\n')
rc, out, err = sh(runs[2]["run"], repo, gh_env)
check(rc == 0 and out.startswith("::warning "), f"fail-on error: a harmless cycle is a warning: {rc} {out}")

shutil.rmtree(tmp)
done("integrations")
