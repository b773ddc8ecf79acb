"""End-to-end: project layouts and discovery rules, each asserting the exact modules and edges."""
import os
import shutil
import tempfile

from common import args, check, done, equal, run, run_json

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-layouts-")


def write(path, text=""):
    full = os.path.join(tmp, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)
    return full


def p(path):
    return os.path.join(tmp, path)


def graph(*argv):
    data = run_json(A.impviz, *argv)
    mods = [m["name"] for m in data["modules"]]
    edges = sorted((e["source"], e["target"], e["kind"]) for e in data["edges"])
    return data, mods, edges


# several PATHs in one run: two packages in two roots import each other
write("multi/a/pkga/__init__.py", "from pkgb import B\nA = 1\n")
write("multi/b/pkgb/__init__.py", "from pkga import A\nB = 2\n")
data, mods, edges = graph(p("multi/a/pkga"), p("multi/b/pkgb"))
equal(mods, ["pkga", "pkgb"], "several PATHs: modules")
equal(edges, [("pkga", "pkgb", "eager"), ("pkgb", "pkga", "eager")], "several PATHs: edges")
equal(data["sccs"]["import_time"], [["pkga", "pkgb"]], "several PATHs: the cycle across roots")

# --root names a sub-package PATH from an explicit import root
write("rooted/pkg/__init__.py")
write("rooted/pkg/sub/__init__.py")
write("rooted/pkg/sub/x.py", "from . import y\nfrom .. import helper\n")
write("rooted/pkg/sub/y.py", "import pkg.sub.x\n")
write("rooted/pkg/helper.py")
data, mods, edges = graph("--root", p("rooted"), p("rooted/pkg/sub"))
equal(mods, ["pkg.sub", "pkg.sub.x", "pkg.sub.y"], "--root: names relative to the root, only PATH's subtree")
equal(edges, [("pkg.sub.x", "pkg.sub.y", "eager"), ("pkg.sub.y", "pkg.sub.x", "eager")], "--root: edges")
# "." inside a package names modules from the import root above it, wherever impviz runs
data = run_json(A.impviz, ".", cwd=p("rooted/pkg/sub"))
equal([m["name"] for m in data["modules"]], ["pkg.sub", "pkg.sub.x", "pkg.sub.y"], "'.' inside a package")
data = run_json(A.impviz, "--root", "../..", ".", cwd=p("rooted/pkg/sub"))
equal([m["name"] for m in data["modules"]], ["pkg.sub", "pkg.sub.x", "pkg.sub.y"], "relative --root and PATH")
# a sub-package PATH without --root climbs to the nearest non-package ancestor
data, mods, edges = graph(p("rooted/pkg/sub"))
equal(mods, ["pkg.sub", "pkg.sub.x", "pkg.sub.y"], "sub-package PATH: named from the import root")

# src layout: src/ is a root, the project directory a second root
write("proj/pyproject.toml", "[project]\nname = 'mypkg'\n")
write("proj/src/mypkg/__init__.py", "from .core import run\n")
write("proj/src/mypkg/core.py", "def run():\n    from . import cli\n")
write("proj/src/mypkg/cli.py", "from mypkg.core import run\n")
write("proj/tests/test_core.py", "import mypkg.core\nfrom conftest import fixture\n")
write("proj/conftest.py", "fixture = 1\n")
data, mods, edges = graph(p("proj"))
equal(mods, ["conftest", "mypkg", "mypkg.cli", "mypkg.core", "tests.test_core"], "src layout: modules")
equal(edges, [("mypkg", "mypkg.core", "eager"), ("mypkg.cli", "mypkg.core", "eager"),
              ("mypkg.core", "mypkg.cli", "deferred"), ("tests.test_core", "conftest", "eager"),
              ("tests.test_core", "mypkg.core", "eager")], "src layout: edges")
equal(data["sccs"]["runtime"], [["mypkg.cli", "mypkg.core"]], "src layout: runtime cycle")

# PEP 420 namespace packages at any depth; non-identifier names skipped
write("ns/company/tools/fmt.py", "from company.tools import lint\n")
write("ns/company/tools/lint.py", "import company.data.io\n")
write("ns/company/data/io.py", "")
write("ns/my-scripts/run.py", "import company.tools.fmt\n")
write("ns/2to3_data.py", "import company\n")
data, mods, edges = graph(p("ns"))
equal(mods, ["company.data.io", "company.tools.fmt", "company.tools.lint"], "namespace packages: modules")
equal(edges, [("company.tools.fmt", "company.tools.lint", "eager"),
              ("company.tools.lint", "company.data.io", "eager")], "namespace packages: edges")

# excludes: globs on root-relative paths, ** for any depth; .gitignore unless --no-gitignore
write("ex/app/__init__.py")
write("ex/app/core.py", "from app.gen import api_pb2\nfrom app import legacy\n")
write("ex/app/gen/__init__.py")
write("ex/app/gen/api_pb2.py", "import app.core\n")
write("ex/app/legacy/__init__.py", "import app.core\n")
write("ex/app/legacy/deep/old.py", "")
write("ex/.gitignore", "# generated code\n*_pb2.py\n/app/legacy/deep/\n")
data, mods, _ = graph(p("ex"))
equal(mods, ["app", "app.core", "app.gen", "app.legacy"], ".gitignore honoured")
data, mods, _ = graph(p("ex"), "--no-gitignore")
equal(mods, ["app", "app.core", "app.gen", "app.gen.api_pb2", "app.legacy", "app.legacy.deep.old"],
      "--no-gitignore")
data, mods, _ = graph(p("ex"), "--no-gitignore", "--exclude", "**/deep", "--exclude", "app/gen/*_pb2.py")
equal(mods, ["app", "app.core", "app.gen", "app.legacy"], "--exclude globs")
data, mods, _ = graph(p("ex"), "--no-gitignore", "--exclude", "legacy")
equal(mods, ["app", "app.core", "app.gen", "app.gen.api_pb2"], "--exclude a bare name at any depth")

# relative imports that climb above the top-level package are unresolved, with file:line
write("climb/top.py", "from . import sibling\n")
write("climb/pkg/__init__.py")
write("climb/pkg/m.py", "from ... import nothing\nfrom .. import top\n")
data = run_json(A.impviz, p("climb"))
unres = sorted((i["source"], i["line"], i["statement"]) for i in data["imports"] if i.get("unresolved"))
equal(unres, [("pkg.m", 1, "from ... import nothing"), ("pkg.m", 2, "from .. import top"),
              ("top", 1, "from . import sibling")], "unresolved relative imports")
check(all(i["target"] is None for i in data["imports"] if i.get("unresolved")), "unresolved: target null")
rc, out, err = run(A.impviz, p("climb"), "-v")
check("impviz: note: pkg/m.py:1: unresolved import: from ... import nothing" in err,
      f"-v reports unresolved imports with file:line: {err}")

# mod.py beside mod/: the package wins; a namespace directory loses to mod.py; stubs
write("shadow/pkg/__init__.py")
write("shadow/pkg/mod.py", "import os\n")
write("shadow/pkg/mod/__init__.py", "from . import part\n")
write("shadow/pkg/mod/part.py")
write("shadow/pkg/plain.py")
write("shadow/pkg/plain/hidden.py")
write("shadow/pkg/stub.pyi")
write("shadow/pkg/both.py")
write("shadow/pkg/both.pyi")
data, mods, edges = graph(p("shadow"))
equal(mods, ["pkg", "pkg.both", "pkg.mod", "pkg.mod.part", "pkg.plain", "pkg.stub"], "shadowing rules")
check([m["path"] for m in data["modules"] if m["name"] == "pkg.both"] == ["pkg/both.py"], ".py over .pyi")

# symbolic links: not followed by default; --follow-symlinks follows, and survives a loop
write("links/real/pkg/__init__.py")
write("links/real/pkg/a.py", "from . import b\n")
write("links/real/pkg/b.py", "")
os.symlink(p("links/real/pkg"), p("links/real/alias"))
os.symlink(p("links/real/pkg"), p("links/real/pkg/loop"))
data, mods, _ = graph(p("links/real"))
equal(mods, ["pkg", "pkg.a", "pkg.b"], "symlinks not followed by default")
data, mods, _ = graph(p("links/real"), "--follow-symlinks")
equal(mods, ["alias", "alias.a", "alias.b", "pkg", "pkg.a", "pkg.b"],
      "--follow-symlinks follows links once, with loop detection")

# lazy edges (lazy_loader.attach, __lazy_modules__) carry class lazy and are dashed
rc, dot, err = run(A.impviz, os.path.join(A.source, "tests/fixtures/dynamic"), "-T", "dot")
edge_stmts = [s for s in dot.split("];") if "->" in s]
lazy_edges = [s for s in edge_stmts if "class=lazy" in s or 'class="lazy' in s]
check(len(lazy_edges) == 6 and all("style=dashed" in s for s in lazy_edges),
      f"six lazy edges, dashed, with class lazy: {lazy_edges}")
data = run_json(A.impviz, os.path.join(A.source, "tests/fixtures/dynamic"))
check(any(i["dynamic"] and i["kind"] == "lazy" for i in data["imports"]), "attach imports are dynamic and lazy")

shutil.rmtree(tmp, ignore_errors=True)
done("layouts")
