"""End-to-end: impviz diff on a git repository built here, and on two directories."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from common import args, check, done, equal, run
from review_common import mermaid_blocks, parse_mermaid

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-difftest-")
private_tmp = os.path.join(tmp, "tmpdir")  # impviz's own temporary files go here
os.mkdir(private_tmp)
env = {"TMPDIR": private_tmp}
repo = os.path.join(tmp, "repo")


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def git(*argv, cwd=repo):
    subprocess.run(["git", *argv], cwd=cwd, check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com"))


OLD = {
    "src/pkg/__init__.py": "",
    "src/pkg/a.py": "from . import b\n",
    "src/pkg/b.py": "VALUE = 1\n",
    "src/pkg/old.py": "from . import a\n",
    "src/pkg/x.py": "from . import y\n",
    "src/pkg/y.py": "from . import x\n",
    "README": "not python\n",
}
NEW_CHANGES = {
    "src/pkg/b.py": "from . import a\nVALUE = 1\n",       # closes a <-> b
    "src/pkg/new.py": "from . import a\n",                # added module and edge
    "src/pkg/y.py": "def f():\n    from . import x\n",  # breaks x <-> y (the edge stays, deferred)
}

os.makedirs(repo)
git("init", "-q", "-b", "main")
for rel, text in OLD.items():
    write(repo, rel, text)
git("add", "-A")
git("commit", "-qm", "old")
os.remove(os.path.join(repo, "src/pkg/old.py"))
for rel, text in NEW_CHANGES.items():
    write(repo, rel, text)

src = os.path.join(repo, "src")


def diff_json(*argv, cwd=None, status=0):
    rc, out, err = run(A.impviz, "diff", "--no-config", *argv, "-T", "json", cwd=cwd, env=env)
    equal(rc, status, f"impviz diff {argv} status ({err})")
    return json.loads(out) if out else None


want = {
    "schema": 1,
    "modules": {"added": ["pkg.new"], "removed": ["pkg.old"]},
    "edges": {"added": [{"source": "pkg.b", "target": "pkg.a", "kind": "eager"},
                        {"source": "pkg.new", "target": "pkg.a", "kind": "eager"}],
              "removed": [{"source": "pkg.old", "target": "pkg.a", "kind": "eager"}],
              "changed": [{"source": "pkg.y", "target": "pkg.x", "kind": "deferred", "old_kind": "eager"}]},
    "cycles": {"appeared": [{"members": ["pkg.a", "pkg.b"], "cycle": "pkg.a -> pkg.b -> pkg.a",
                             "edges": [["pkg.a", "pkg.b"], ["pkg.b", "pkg.a"]]}],
               "grew": [],
               "disappeared": [{"members": ["pkg.x", "pkg.y"], "cycle": "pkg.x -> pkg.y -> pkg.x",
                                "edges": [["pkg.x", "pkg.y"], ["pkg.y", "pkg.x"]]}],
               "shrank": []},
}
equal(diff_json("--git", "HEAD", src), want, "diff --git HEAD src")
equal(diff_json("--git", "HEAD", ".", cwd=src), want, "PATH . below the repository root")
equal(diff_json("--git", "main", cwd=src), want, "no PATH: the working directory")
equal(os.listdir(private_tmp), [], "the extracted revision is removed afterwards")

# two directories give the same answer
old_dir, new_dir = os.path.join(tmp, "old"), os.path.join(tmp, "new")
for rel, text in OLD.items():
    write(old_dir, rel, text)
shutil.copytree(repo, new_dir, ignore=shutil.ignore_patterns(".git"))
equal(diff_json(os.path.join(old_dir, "src"), os.path.join(new_dir, "src")), want, "diff OLD NEW")

# --check: new cycles only. Here a cycle appeared: 1, naming it
rc, out, err = run(A.impviz, "diff", "--no-config", "--check", "--git", "HEAD", src, env=env)
equal(rc, 1, "--check with a new cycle")
equal(err, "impviz: error: pkg/a.py:1: new import-time cycle (not in 'HEAD'): pkg.a -> pkg.b -> pkg.a\n",
      "--check names the new cycle")
check("import-time cycles: 1 appeared, 0 grew, 1 disappeared, 0 shrank" in out, f"text report: {out}")
check(re.search(r"^  appeared: pkg\.a -> pkg\.b -> pkg\.a$", out, re.M) and
      re.search(r"^  disappeared: pkg\.x -> pkg\.y -> pkg\.x$", out, re.M), "text lists the cycles")
check("  + pkg.new\n" in out and "  - pkg.old\n" in out and "  + pkg.b -> pkg.a (eager)\n" in out,
      "text lists modules and imports")
check("imports between modules: 2 added, 1 removed, 1 changed kind\n" in out
      and "  ~ pkg.y -> pkg.x (eager -> deferred)\n" in out, f"text lists a change of kind: {out}")
# commit it; then only a cycle disappearing passes --check, even with the old cycle still there
git("add", "-A")
git("commit", "-qm", "new")
write(repo, "src/pkg/b.py", "VALUE = 1\n")
rc, out, err = run(A.impviz, "diff", "--no-config", "--check", "--git", "HEAD", src, env=env)
equal((rc, err), (0, ""), "--check when a cycle only disappeared")
write(repo, "src/pkg/b.py", "from . import a\nVALUE = 1\n")
write(repo, "src/pkg/README.txt", "unrelated change\n")
rc, out, err = run(A.impviz, "diff", "--no-config", "--check", "--git", "HEAD", src, env=env)
equal((rc, err), (0, ""), "--check passes with the old cycle a <-> b still there")
write(repo, "src/pkg/x.py", "from . import y\nfrom . import new\n")
write(repo, "src/pkg/new.py", "from . import a\nfrom . import x\n")
rc, out, err = run(A.impviz, "diff", "--no-config", "--check", "--git", "HEAD", src, env=env)
equal(rc, 1, "--check fails when a cycle appears beside the old one")
check("1 appeared, 0 grew" in out and "appeared: pkg.new -> pkg.x -> pkg.new" in out, f"new cycle: {out}")
os.remove(os.path.join(repo, "src/pkg/README.txt"))

# rebuild the first situation for pictures and Markdown
git("reset", "-q", "--hard", "HEAD~1")
os.remove(os.path.join(repo, "src/pkg/old.py"))
for rel, text in NEW_CHANGES.items():
    write(repo, rel, text)

# the picture: SVG classes added / removed / unchanged on nodes and edges
svg_path = os.path.join(tmp, "diff.svg")
rc, out, err = run(A.impviz, "diff", "--no-config", "--git", "HEAD", src, "-o", svg_path, env=env)
equal(rc, 0, f"diff to SVG ({err})")
svg = open(svg_path).read()


def svg_id(element_id):
    """Graphviz writes ids HTML-escaped: - as &#45;, > as &gt;."""
    return (element_id.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("-", "&#45;"))


def svg_class(element_id):
    m = re.search(r'<g id="' + re.escape(svg_id(element_id)) + r'" class="([^"]*)"', svg)
    return m.group(1).replace("&#45;", "-").split() if m else None


def svg_group(element_id):
    m = re.search(r'<g id="' + re.escape(svg_id(element_id)) + r'" class="[^"]*">(.*?)</g>', svg, re.S)
    return m.group(1) if m else ""


check("added" in (svg_class("m:pkg.new") or []), f"added module: {svg_class('m:pkg.new')}")
check("removed" in (svg_class("m:pkg.old") or []), f"removed module: {svg_class('m:pkg.old')}")
check("unchanged" in (svg_class("m:pkg.x") or []), f"unchanged module: {svg_class('m:pkg.x')}")
check({"added", "cycle"} <= set(svg_class("e:pkg.b->pkg.a") or []), f"added cycle edge: {svg_class('e:pkg.b->pkg.a')}")
check({"unchanged", "cycle"} <= set(svg_class("e:pkg.a->pkg.b") or []), "unchanged edge on the new cycle")
check("removed" in (svg_class("e:pkg.old->pkg.a") or []), "removed edge")
check("stroke-dasharray" in svg_group("e:pkg.old->pkg.a") and "#757575" in svg_group("e:pkg.old->pkg.a")
      and 'fill="none" stroke="#757575"' in svg_group("e:pkg.old->pkg.a"),
      "removed edge grey and dashed, with an open arrowhead")
check("#2ca02c" in svg_group("e:pkg.new->pkg.a"), "added edge green")
check({"changed", "deferred"} <= set(svg_class("e:pkg.y->pkg.x") or []) and "#1f77b4" in svg_group("e:pkg.y->pkg.x"),
      f"an import made deferred: class changed, blue: {svg_class('e:pkg.y->pkg.x')}")
check("cycle" not in (svg_class("e:pkg.y->pkg.x") or []), "the old cycle is not drawn as one")
# the cycle that appeared is drawn bold; the one that went away faded in the cycle colour
for x in ("m:pkg.a", "m:pkg.b", "e:pkg.a->pkg.b", "e:pkg.b->pkg.a"):
    check("cycle-appeared" in (svg_class(x) or []), f"{x} on the cycle that appeared: {svg_class(x)}")
for x in ("m:pkg.x", "m:pkg.y", "e:pkg.x->pkg.y", "e:pkg.y->pkg.x"):
    check("cycle-disappeared" in (svg_class(x) or []), f"{x} on the cycle that disappeared: {svg_class(x)}")
check("#d62728" in svg_group("e:pkg.x->pkg.y") and "stroke-dasharray" in svg_group("e:pkg.x->pkg.y"),
      "a disappeared cycle's edge: faded cycle colour, dashed")
check("cycle-appeared" not in (svg_class("m:pkg.new") or []) and
      "cycle-disappeared" not in (svg_class("m:pkg.new") or []), "a module on no changed cycle is not marked")
legend = svg_group("legend")
for row in ("added", "removed", "kind changed", "unchanged", "on a cycle that appeared",
            "on a cycle that disappeared"):
    check(f">{row}" in legend, f"legend row {row!r}")
check("impviz-diff" not in svg and tmp not in svg, "no temporary path in the picture")
check("import-time cycles: 1 appeared" in out, "text report beside a picture")

# Markdown lists the same, with a chart of the new cycle
rc, md, err = run(A.impviz, "diff", "--no-config", "--git", "HEAD", src, "-T", "markdown", env=env)
lines = md.splitlines()
equal(lines[:2], ["<!-- impviz diff -->", "## impviz: this change adds 1 import-time cycle"], "Markdown heading")
check("- **appeared**: `pkg.a -> pkg.b -> pkg.a`" in lines and "- **disappeared**: `pkg.x -> pkg.y -> pkg.x`" in lines,
      "Markdown lists the cycles")
check("- changed `pkg.y -> pkg.x` (eager -> deferred)" in lines, "Markdown lists a change of kind")
check("- added `pkg.b -> pkg.a` (eager)" in lines and "- removed `pkg.old` " not in lines and "- removed `pkg.old`" in lines,
      "Markdown lists modules and imports")
charts = [parse_mermaid(b) for b in mermaid_blocks(md)]
equal([sorted(c["nodes"].values()) for c in charts], [["pkg.a", "pkg.b"]], "one chart, of the new cycle")

# a directory that did not exist at the revision: everything in it is added
write(repo, "src/fresh/__init__.py", "")
write(repo, "src/fresh/m.py", "from fresh import n\n")
write(repo, "src/fresh/n.py", "from fresh import m\n")
got = diff_json("--git", "HEAD", os.path.join(src, "fresh"))
equal(got["modules"], {"added": ["fresh", "fresh.m", "fresh.n"], "removed": []}, "new directory: all added")
equal([c["members"] for c in got["cycles"]["appeared"]], [["fresh.m", "fresh.n"]], "its cycle appeared")

# a single file as PATH: its module, old and new
got = diff_json("--git", "HEAD", os.path.join(src, "pkg", "b.py"))
rc, main_out, err = run(A.impviz, "--no-config", "-T", "json", os.path.join(src, "pkg", "b.py"))
equal(sorted(got["modules"]["added"]), [m["name"] for m in json.loads(main_out)["modules"] if m["name"] == "pkg.new"],
      "a file PATH covers what impviz covers for it")

# a PATH reached through a symbolic link is still found in the repository
link = os.path.join(tmp, "link")
os.symlink(repo, link)
equal(diff_json("--git", "HEAD", os.path.join(link, "src"))["cycles"]["appeared"],
      [{"members": ["fresh.m", "fresh.n"], "cycle": "fresh.m -> fresh.n -> fresh.m",
        "edges": [["fresh.m", "fresh.n"], ["fresh.n", "fresh.m"]]},
       {"members": ["pkg.a", "pkg.b"], "cycle": "pkg.a -> pkg.b -> pkg.a",
        "edges": [["pkg.a", "pkg.b"], ["pkg.b", "pkg.a"]]}],
      "diff through a symlinked PATH compares with the revision, not with itself")
equal(diff_json("--git", "HEAD", "src", cwd=link)["modules"]["removed"], ["pkg.old"],
      "diff from a symlinked working directory")

# every file of the revision is compared, whatever .gitattributes says about archives
write(repo, ".gitattributes", "src/pkg/b.py export-ignore\nsrc/pkg/a.py export-subst\n")
write(repo, "src/pkg/a.py", "from . import b  # $Format:%H$\n")
git("add", "-A")
git("commit", "-qm", "attributes")
got = diff_json("--git", "HEAD", src)
equal((got["modules"], got["edges"]), ({"added": [], "removed": []}, {"added": [], "removed": [], "changed": []}),
      "export-ignore and export-subst files are read as committed")

# --fail-on error: a new cycle that raises nothing passes; one that raises fails
write(repo, "src/pkg/c.py", "from . import d\n")
write(repo, "src/pkg/d.py", "from . import c\n")
rc, out, err = run(A.impviz, "diff", "--no-config", "--check", "--fail-on", "error", "--git", "HEAD", src, env=env)
equal((rc, err), (0, ""), "diff --check --fail-on error: a new cycle that raises nothing")
rc, out, err = run(A.impviz, "diff", "--no-config", "--check", "--git", "HEAD", src, env=env)
equal(rc, 1, "the same with --fail-on cycle")
write(repo, "src/pkg/d.py", "from .c import NAME\n")
write(repo, "src/pkg/c.py", "from . import d\nNAME = 1\n")
rc, out, err = run(A.impviz, "diff", "--no-config", "--check", "--fail-on", "error", "--git", "HEAD", src, env=env)
check(rc == 1 and "new import-time cycle (not in 'HEAD'): pkg.c -> pkg.d -> pkg.c" in err,
      f"diff --check --fail-on error: a new cycle that raises ImportError ({rc}, {err})")
for name in ("c.py", "d.py"):
    os.remove(os.path.join(src, "pkg", name))

# errors: status 2 with a message
for argv, message in ((["--git", "no-such-rev", src], "impviz: error: unknown git revision 'no-such-rev'"),
                      (["--git", "--upload-pack=x", src], "impviz: error: unknown git revision '--upload-pack=x'"),
                      ([src], "impviz: error: impviz diff takes two directories: OLD NEW"),
                      (["--git", "HEAD", src, src], "impviz: error: impviz diff --git REV takes one PATH at most"),
                      (["--git", "HEAD", src, "-T", "sarif"],
                       "impviz: error: impviz diff writes text, json, markdown, dot, svg, png, pdf or html, not sarif"),
                      (["--git", "HEAD", src, "-o", os.path.join(tmp, "x.mmd")],
                       "impviz: error: impviz diff writes text, json, markdown, dot, svg, png, pdf or html, not mermaid"),
                      (["--git", "HEAD", os.path.join(src, "nope")],
                       f"impviz: error: cannot read '{os.path.join(src, 'nope')}': No such file or directory")):
    rc, out, err = run(A.impviz, "diff", "--no-config", *argv, env=env)
    equal((rc, err.splitlines()[0] if err else ""), (2, message), f"impviz diff {argv}")
rc, out, err = run(A.impviz, "diff", "--no-config", "--git", "HEAD", tmp, env=env)
check(rc == 2 and err.startswith("impviz: error: git rev-parse --show-toplevel failed: "), f"not a repository: {err}")
rc, out, err = run(A.impviz, "diff", "--no-config", "--git", "HEAD", src, "--root", tmp, env=env)
equal((rc, err), (2, f"impviz: error: '{tmp}' is not in the git repository at '{os.path.realpath(repo)}'\n"),
      "a --root outside the repository")
equal(os.listdir(private_tmp), [], "temporary files removed after errors too")

shutil.rmtree(tmp)
done("diff")
