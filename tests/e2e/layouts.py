"""End-to-end: project layouts and discovery rules, each asserting the exact modules and edges."""
import json
import os
import shutil
import subprocess
import sys
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

# --exclude: '*' stays within a segment, "**" is a whole segment for any depth (none too), a
# pattern without '/' names a file or directory at any depth, a trailing '/' directories only
write("exs/pkg/__init__.py")
write("exs/pkg/a.py")
write("exs/pkg/x_test.py")
write("exs/pkg/deep/d.py")
write("exs/pkg/sub/__init__.py")
write("exs/pkg/sub/y_test.py")
write("exs/pkg/sub/deep/e.py")
write("exs/tests/t.py")
write("exs/app/tests/v.py")
write("exs/lib/tests.py")
ALL_EXS = ["app.tests.v", "lib.tests", "pkg", "pkg.a", "pkg.deep.d", "pkg.sub", "pkg.sub.deep.e",
           "pkg.sub.y_test", "pkg.x_test", "tests.t"]


def excluded(*globs):
    argv = [p("exs"), "--no-cache"]
    for g in globs:
        argv += ["--exclude", g]
    _, mods, _ = graph(*argv)
    return sorted(set(ALL_EXS) - set(mods))


equal(graph(p("exs"))[1], ALL_EXS, "--exclude: the tree")
equal(excluded("pkg/*_test.py"), ["pkg.x_test"], "--exclude: '*' does not cross '/'")
equal(excluded("pkg/*.py"), ["pkg", "pkg.a", "pkg.x_test"], "--exclude pkg/*.py: pkg's own files only")
equal(excluded("**/tests"), ["app.tests.v", "tests.t"], "--exclude **/tests: a top-level tests/ too")
equal(excluded("pkg/**/deep"), ["pkg.deep.d", "pkg.sub.deep.e"], "--exclude pkg/**/deep: pkg/deep too")
equal(excluded("tests"), ["app.tests.v", "tests.t"], "--exclude tests: a name at any depth")
equal(excluded("*tests*"), ["app.tests.v", "lib.tests", "tests.t"], "--exclude *tests*")
equal(excluded("*tests*/"), ["app.tests.v", "tests.t"], "--exclude *tests*/: directories only")
equal(excluded("/tests"), ["tests.t"], "--exclude /tests: anchored at the root")
equal(excluded("*_test.py"), ["pkg.sub.y_test", "pkg.x_test"], "--exclude *_test.py at any depth")
equal(excluded("pkg/**"), [m for m in ALL_EXS if m.startswith("pkg")], "--exclude pkg/**")

# .gitignore as git reads it, in any directory: the judge is git itself (ls-files lists the
# files it does not ignore), over lines that GPatternSpec-style matching got wrong
GIT = shutil.which("git")
write("gi/.gitignore", "pkg/*.py\n!pkg/__init__.py\n**/generated/\n*_pb2.py\n!keep_pb2.py\n"
      "# a comment\n\\#hash.py\nspaced.py   \n/top_only.py\nbuild_*/\n")
for f in ["pkg/__init__.py", "pkg/a.py", "pkg/sub/__init__.py", "pkg/sub/b.py", "pkg/sub/c_pb2.py",
          "pkg/sub/keep_pb2.py", "generated/g.py", "app/generated/h.py",
          "#hash.py", "spaced.py", "top_only.py", "app/top_only.py", "build_x/z.py", "app/build_y.py",
          "nested/__init__.py", "nested/one.py", "nested/two.py", "nested/inner/three.py",
          "nested/inner/four.py", "nested/inner/deeper/five.py"]:
    write("gi/" + f)
write("gi/nested/.gitignore", "one.py\ninner/*.py\n!inner/four.py\n")
write("gi/nested/inner/deeper/.gitignore", "*\n")
data = run_json(A.impviz, p("gi"), "--no-cache")
got = sorted(m["path"] for m in data["modules"])
if GIT:
    genv = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=tmp, XDG_CONFIG_HOME=tmp)
    subprocess.run([GIT, "init", "-q", p("gi")], check=True, env=genv)
    listed = subprocess.run([GIT, "-C", p("gi"), "ls-files", "--others", "--exclude-standard"],
                            check=True, capture_output=True, text=True, env=genv).stdout
    want = sorted(f for f in listed.splitlines() if f.endswith(".py"))
    equal(got, want, ".gitignore: the files git does not ignore")
equal(got, ["app/build_y.py", "app/top_only.py", "nested/__init__.py",
            "nested/inner/four.py", "nested/two.py", "pkg/__init__.py", "pkg/sub/__init__.py",
            "pkg/sub/b.py", "pkg/sub/keep_pb2.py"], ".gitignore: the files kept")
data = run_json(A.impviz, p("gi"), "--no-cache", "--no-gitignore")
# all 20 files but #hash.py, which is no identifier
check(len(data["modules"]) == 19,
      f"--no-gitignore: every file, nested .gitignore too ({len(data['modules'])})")

# git's other ignore files, for a root inside a work tree: the .gitignore files from the top
# down to the root, info/exclude, and core.excludesFile (or its default, $XDG_CONFIG_HOME/git/ignore
# when unset); a linked work tree reads the shared info/exclude. The judge is git itself.
if GIT:
    home = p("githome")
    os.makedirs(home)
    write("githome/gitconfig", '[user]\n\tname = t\n\temail = t@t\n'
          '[Core]\n\texcludesFile = "~/global_ignore"  ; a comment\n')
    write("githome/global_ignore", "glob_*.py\n")
    write("githome/xdg/git/ignore", "xdg_*.py\n")
    genv = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=home, XDG_CONFIG_HOME=p("githome/xdg"),
                GIT_CONFIG_GLOBAL=p("githome/gitconfig"))
    subprocess.run([GIT, "init", "-q", p("gr")], check=True, env=genv)
    write("gr/.gitignore", "ignored_top.py\n/sub/proj/pkg/anchored.py\nsub/proj/pkg/deep/\n")
    write("gr/sub/.gitignore", "*_gen.py\n!keep_gen.py\n")
    write("gr/.git/info/exclude", "excl_*.py\n")
    write("gr/sub/proj/.gitignore", "local_*.py\n")
    names = ["__init__", "ignored_top", "anchored", "a_gen", "keep_gen", "excl_x", "glob_y",
             "xdg_z", "local_w", "plain", "deep/__init__", "deep/d"]
    for n in names:
        write(f"gr/sub/proj/pkg/{n}.py")
    subprocess.run([GIT, "-C", p("gr"), "add", ".gitignore"], check=True, env=genv)
    subprocess.run([GIT, "-C", p("gr"), "commit", "-qm", "x"], check=True, env=genv)

    def git_kept(top, below):
        listed = subprocess.run([GIT, "-C", top, "ls-files", "--others", "--exclude-standard"],
                                check=True, capture_output=True, text=True, env=genv).stdout
        return sorted(f[len(below) + 1:] for f in listed.splitlines()
                      if f.startswith(below + "/") and f.endswith(".py"))

    def impviz_kept(root, env, *extra):
        data = run_json(A.impviz, root, "--no-cache", *extra, env=env)
        return sorted(m["path"] for m in data["modules"])

    kept = impviz_kept(p("gr/sub/proj"), genv)
    equal(kept, git_kept(p("gr"), "sub/proj"), "above the root: the files git does not ignore")
    equal(kept, ["pkg/__init__.py", "pkg/keep_gen.py", "pkg/plain.py", "pkg/xdg_z.py"],
          "above the root: .gitignore files, info/exclude and core.excludesFile")
    equal(impviz_kept(p("gr/sub/proj"), genv, "--no-gitignore"),
          sorted(f"pkg/{n}.py" for n in names), "--no-gitignore: none of them")
    # core.excludesFile unset: git's default under $XDG_CONFIG_HOME
    nenv = dict(genv, GIT_CONFIG_GLOBAL=p("githome/none"))
    kept = impviz_kept(p("gr/sub/proj"), nenv)
    check("pkg/glob_y.py" in kept and "pkg/xdg_z.py" not in kept,
          f"no core.excludesFile: $XDG_CONFIG_HOME/git/ignore ({kept})")
    # a linked work tree: .git is a file; info/exclude is the shared one
    subprocess.run([GIT, "-C", p("gr"), "worktree", "add", "-q", p("gr-wt")], check=True, env=genv)
    for n in names:
        write(f"gr-wt/sub/proj/pkg/{n}.py")
    kept = impviz_kept(p("gr-wt/sub/proj"), genv)
    equal(kept, git_kept(p("gr-wt"), "sub/proj"), "a linked work tree: as git reads it")
    check("pkg/excl_x.py" not in kept, "a linked work tree: the shared info/exclude")
    # outside any work tree, only the files at and below the root count
    shutil.copytree(p("gr/sub/proj"), p("nogit/proj"))
    kept = impviz_kept(p("nogit/proj"), genv)
    check("pkg/glob_y.py" in kept and "pkg/local_w.py" not in kept,
          f"outside a work tree: no global excludes, the root's .gitignore ({kept})")

# src layout: the project's .gitignore applies to src/ too, with paths from the project
write("srcgi/pyproject.toml", "[project]\nname = 'pkg'\n")
write("srcgi/.gitignore", "src/pkg/_gen/\n/src/pkg/local_*.py\n")
write("srcgi/src/pkg/__init__.py", "from pkg._gen import api\n")
write("srcgi/src/pkg/_gen/__init__.py")
write("srcgi/src/pkg/_gen/api.py")
write("srcgi/src/pkg/local_settings.py")
write("srcgi/src/pkg/sub/local_x.py")
write("srcgi/src/.gitignore", "*.tmp.py\n")
write("srcgi/src/pkg/scratch.tmp.py")
write("srcgi/tests/test_pkg.py", "import pkg\n")
_, mods, _ = graph(p("srcgi"), "--no-cache")
equal(mods, ["pkg", "pkg.sub.local_x", "tests.test_pkg"], "src layout: the project's .gitignore covers src/")

# several roots shadow each other as sys.path entries do: the first root with a module or a
# regular package of a name takes it whole; namespace portions merge only when no root has one.
# CPython is the judge, and so is the independent ast_extract.py.
for f in ["r1/mod.py", "r2/mod/sub.py",                              # module, then a namespace
          "r1/pkg/__init__.py", "r2/pkg/__init__.py", "r2/pkg/extra.py",  # two regular packages
          "r1/pkg2/a.py", "r2/pkg2/__init__.py", "r2/pkg2/b.py",     # namespace, then regular
          "r1/ns/a/x.py", "r2/ns/a/__init__.py", "r2/ns/a/y.py",     # the same, one level down
          "r1/nsm/q.py", "r2/nsm.py",                                # namespace, then a module
          "r1/ns3/one.py", "r2/ns3/one.py", "r2/ns3/two.py",         # namespaces merge
          "r2/only2.py", "r3/pkg2/late.py", "r3/ns3/three.py"]:
    write("roots/" + f)
ROOTS = [p("roots/r1"), p("roots/r2"), p("roots/r3")]


def cpython_modules(roots, names):
    """The names CPython finds a file for with sys.path = roots, each with that file."""
    code = ("import importlib.util, json, sys\n"
            "sys.path[:0] = json.loads(sys.argv[1])\n"
            "found = {}\n"
            "for n in json.loads(sys.argv[2]):\n"
            "    try:\n"
            "        s = importlib.util.find_spec(n)\n"
            "    except ImportError:\n"
            "        continue\n"
            "    if s is not None and s.origin and s.has_location:\n"
            "        found[n] = s.origin\n"
            "print(json.dumps(found))\n")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, json.dumps(roots), json.dumps(names)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def candidates(roots):
    names = set()
    for r in roots:
        for d, _, files in os.walk(r):
            for f in files:
                if not f.endswith(".py"):
                    continue
                parts = os.path.relpath(os.path.join(d, f[:-3]), r).split(os.sep)
                names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(names)


want = cpython_modules(ROOTS, candidates(ROOTS))
argv = [x for r in ROOTS for x in ("--root", r)]
data = run_json(A.impviz, *argv, "--no-cache")
got = {m["name"]: m["path"] for m in data["modules"]}
equal(sorted(got), sorted(want), "several roots: the modules CPython can import")
equal(sorted(want), ["mod", "ns.a", "ns.a.y", "ns3.one", "ns3.three", "ns3.two", "nsm", "only2",
                     "pkg", "pkg2", "pkg2.b"], "several roots: CPython's view")
equal({n: got.get(n) for n in want},
      {n: os.path.relpath(f, next(r for r in ROOTS if f.startswith(r + os.sep))) for n, f in want.items()},
      "several roots: each module's file is the one CPython finds")
judge = subprocess.run([sys.executable, os.path.join(A.source, "tests/ast_extract.py"), *argv],
                       check=True, capture_output=True, text=True).stdout
equal(sorted(m["name"] for m in json.loads(judge)["modules"]), sorted(want),
      "ast_extract merges roots as CPython")
rc, out, err = run(A.impviz, *argv, "--no-cache", "-v")
check("mod: shadowed by 'mod' of an earlier root" in err, f"-v: why a root's portion is skipped: {err}")
check("pkg2: 'pkg2' is a module or regular package here" in err,
      f"-v: namespace portions are displaced: {err}")
# the order of the roots, not of the PATHs, decides; a PATH below a root is named from it
data = run_json(A.impviz, *argv, p("roots/r2/pkg"), p("roots/r1/pkg"), "--no-cache")
equal([m["path"] for m in data["modules"]], ["pkg/__init__.py"], "PATHs below roots: the first root's pkg")
# a src layout is two roots: src/ first; a stale namespace directory beside src/ loses to src/'s
# package, and src/ itself is no namespace package of the project root
write("srcsh/setup.cfg", "[metadata]\nname = pkg\n")
write("srcsh/src/pkg/__init__.py")
write("srcsh/src/pkg/a.py")
write("srcsh/pkg/stale.py")
write("srcsh/tests/test_a.py", "import pkg.a\n")
_, mods, _ = graph(p("srcsh"), "--no-cache")
srcsh = [p("srcsh/src"), p("srcsh")]
# (CPython could also import src.pkg through the namespace src: impviz names src/ a root instead)
cands = [n for n in candidates(srcsh) if not n.startswith("src.")]
equal(mods, sorted(cpython_modules(srcsh, cands)), "src layout: as CPython with sys.path = [src, project]")
equal(mods, ["pkg", "pkg.a", "tests.test_a"], "src layout: no src.pkg, no pkg.stale")

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

# links that fan out (each of 25 directories links twice to the next: 2^24 paths) cost a walk of
# each directory a few times, not of every path
for i in range(25):
    write(f"fan/d{i}/__init__.py", "")
    write(f"fan/d{i}/m.py", "")
for i in range(24):
    for link in ("a", "b"):
        os.symlink(p(f"fan/d{i + 1}"), p(f"fan/d{i}/{link}"))
proc = subprocess.run([A.impviz, p("fan/d0"), "--follow-symlinks", "-T", "json"], capture_output=True,
                      text=True, timeout=60)
mods = [m["name"] for m in json.loads(proc.stdout)["modules"]]
warned = proc.stderr.splitlines()
check(proc.returncode == 0 and len(mods) < 400 and "d0.a.m" in mods and "d0.b.a.m" in mods,
      f"fan-out of links: finite, the first paths kept ({len(mods)} modules)")
check(warned and all(l.endswith("directory reached through symbolic links more than 4 times; not entered again")
                     for l in warned) and len(warned) <= 25,
      f"one warning per directory refused: {warned[:3]} ({len(warned)})")

# a .gitignore that is a FIFO or a link to /dev/zero: a warning, never a hang or a flood of memory
for kind in ("fifo", "zero"):
    write(f"gi_{kind}/pkg/__init__.py")
    target = p(f"gi_{kind}/pkg/.gitignore")
    if kind == "fifo":
        os.mkfifo(target)
    else:
        os.symlink("/dev/zero", target)
    proc = subprocess.run([A.impviz, p(f"gi_{kind}"), "--no-cache", "-T", "json"], capture_output=True,
                          text=True, timeout=60)
    equal((proc.returncode, proc.stderr), (0, "impviz: warning: pkg/.gitignore: not read: not a regular file\n"),
          f".gitignore as a {kind}")

# a directory that can be listed but not searched (mode r--): its files are named in warnings,
# not dropped in silence (run as nobody when root: root reads everything)
write("nosearch/pkg/__init__.py")
write("nosearch/pkg/a.py")
write("nosearch/top.py")
for d in ("nosearch", "nosearch/pkg"):
    os.chmod(p(d), 0o755)
os.chmod(p("nosearch/pkg"), 0o644)
as_nobody = (["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
             if os.geteuid() == 0 and shutil.which("setpriv") else [])
if os.geteuid() != 0 or as_nobody:
    os.chmod(tmp, 0o755)
    proc = subprocess.run([*as_nobody, A.impviz, p("nosearch"), "--no-cache"], capture_output=True, text=True)
    equal((proc.returncode, proc.stderr.splitlines()),
          (0, ["impviz: warning: pkg/__init__.py: cannot read: Permission denied",
               "impviz: warning: pkg/a.py: cannot read: Permission denied"]),
          "files of a directory that cannot be searched: a warning each")
else:
    print("skipped: the unsearchable directory (root without setpriv)")
os.chmod(p("nosearch/pkg"), 0o755)

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
