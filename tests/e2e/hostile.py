"""End-to-end: hostile inputs. Each case is generated in a temporary directory and asserts the
exact message and exit status; CPython judges what is and is not Python source.

The big cases (a 100 MB file, 100 000-module projects) live in hostile_big.py.
"""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

from common import args, check, done, equal, run

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-hostile-")
os.chmod(tmp, 0o755)  # the permission case runs impviz as nobody


def project(name, files):
    """Writes {relative path: bytes or str} under tmp/name; returns the directory."""
    root = os.path.join(tmp, name)
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
    return root


def cpython_refuses(data):
    """True when CPython will not compile these bytes (the judge for 'not Python source')."""
    try:
        compile(data, "<hostile>", "exec")
        return False
    except (SyntaxError, ValueError):
        return True


def stderr_lines(err):
    return [l for l in err.splitlines() if l]


def targets(data, source):
    return sorted(i["target"] for i in data["imports"] if i["source"] == source)


def run_json(*argv, **kw):
    rc, out, err = run(A.impviz, *argv, "-T", "json", **kw)
    return rc, (json.loads(out) if rc in (0, 1) else None), err


def link_of(path):
    """Where the symbolic link at path leads, or None when path is not a link."""
    return os.readlink(path) if os.path.islink(path) else None


def bounded(*argv, env=None, prefix=(), timeout=60):
    """Runs impviz (after prefix, e.g. setpriv) like run(), but a hang is a failed check with
    status None instead of a stuck test; the cache off."""
    full_env = dict(os.environ, **(env or {}))
    try:
        p = subprocess.run([*prefix, A.impviz, *argv, "--no-cache"], capture_output=True,
                           env=full_env, timeout=timeout)
    except subprocess.TimeoutExpired:
        check(False, f"impviz {' '.join(argv)} did not finish within {timeout} s")
        return None, "", ""
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# ---- bytes that are not Python source --------------------------------------------------------

BAD = {
    "pkg/__init__.py": "",
    "pkg/good.py": "import os\nfrom . import latin\n",
    "pkg/binary.py": bytes(range(256)) * 8,  # a binary file named .py
    "pkg/nul.py": b"import os\nimport json\x00\n",
    "pkg/badutf.py": b"import json\nname = '\xff\xfe'\nfrom . import good\n",
    "pkg/unknown.py": b"# -*- coding: no-such-codec -*-\nimport os\n",
    "pkg/wrong.py": b"# coding: ascii\nimport os\ns = 'caf\xc3\xa9'\n",
    "pkg/latin.py": b"# -*- coding: latin-1 -*-\nimport os\ns = 'caf\xe9'\n",
}
bad = project("bad", BAD)
for rel in ("pkg/binary.py", "pkg/nul.py", "pkg/badutf.py", "pkg/unknown.py", "pkg/wrong.py"):
    check(cpython_refuses(BAD[rel] if isinstance(BAD[rel], bytes) else BAD[rel].encode()),
          f"CPython refuses {rel}")
check(not cpython_refuses(BAD["pkg/latin.py"]), "CPython accepts the latin-1 file")
rc, data, err = run_json(bad)
equal(rc, 0, "bad bytes: the run goes on")
equal(stderr_lines(err), [
    "impviz: warning: pkg/badutf.py:2: invalid UTF-8: Python cannot import this file; its imports were read anyway",
    "impviz: warning: pkg/binary.py: not analysed: NUL byte at line 1: not Python source (binary file?)",
    "impviz: warning: pkg/nul.py: not analysed: NUL byte at line 2: not Python source (binary file?)",
    "impviz: warning: pkg/unknown.py: not analysed: unknown encoding 'no-such-codec' in its coding declaration",
    "impviz: warning: pkg/wrong.py: not analysed: line 3 cannot be decoded as 'ascii', its declared encoding",
], "bad bytes: one warning per file, naming it")
equal(targets(data, "pkg.good"), ["os", "pkg.latin"], "the good file is read in full")
equal(targets(data, "pkg.latin"), ["os"], "a declared latin-1 file is decoded")
equal(targets(data, "pkg.badutf"), ["json", "pkg.good"], "invalid UTF-8: imports still read")
equal(targets(data, "pkg.nul"), [], "a rejected file contributes no import")

# ---- deep nesting: no recursion in impviz can overflow; tree-sitter copes -------------------

nested_parens = "import os\nx = " + "(" * 10000 + "1" + ")" * 10000 + "\nimport json\n"
nested_lambdas = "import os\nf = " + "lambda: " * 10000 + "__import__('json')\n"
nested_targets = "import os\n" + "(" * 300000 + "a" + ",)" * 300000 + " = x\nimport json\n"
blocks = "import os\n" + "".join(" " * i + "if x:\n" for i in range(10000)) + " " * 10000 + "import json\n"
deep = project("deep", {"parens.py": nested_parens, "lambdas.py": nested_lambdas,
                        "targets.py": nested_targets})
rc, data, err = run_json(deep)
equal((rc, stderr_lines(err)), (0, []), "10 000 nested parentheses, lambdas; 300 000 nested targets")
equal(targets(data, "parens"), ["json", "os"], "imports around 10 000 nested parentheses")
equal(sorted((i["target"], i["kind"]) for i in data["imports"] if i["source"] == "lambdas"),
      [("json", "deferred"), ("os", "eager")], "__import__ inside 10 000 nested lambdas is deferred")
equal(targets(data, "targets"), ["json", "os"], "imports around a 300 000-deep assignment target")
check(not cpython_refuses(nested_parens.replace("(" * 10000, "(" * 100).replace(")" * 10000, ")" * 100)),
      "sanity: the nesting form is Python")

# 10 000 nested blocks (50 MB): CPython refuses past 100 levels, tree-sitter's indentation
# scanner gives up past about 1 000, so impviz reports a syntax error and keeps the rest.
check(cpython_refuses(blocks), "CPython refuses 10 000 nested blocks")
blk = project("blocks", {"blocks.py": blocks})
rc, data, err = run_json(blk, "--max-file-size", "0")
equal((rc, stderr_lines(err)), (0, [
    "impviz: warning: 1 file with syntax errors (Python 2, newer syntax or broken code): imports outside the broken parts were read; -v lists them",
]), "10 000 nested blocks: a syntax error, no crash")
check("os" in targets(data, "blocks"), "the import before the nesting is read")

# ---- a file of 200 000 imports ----------------------------------------------------------------

many = project("many", {"many.py": "".join(f"import m{i}\n" for i in range(200000))})
rc, data, err = run_json(many)
equal((rc, stderr_lines(err)), (0, []), "200 000 imports: no warning")
equal(len(data["imports"]), 200000, "200 000 imports, every one reported")
equal(data["imports"][-1]["line"], 200000, "the last import's line")

# ---- limits: a warning naming the file, never silent truncation --------------------------------

lim = project("limits", {"small.py": "import big\n", "big.py": "x = 1\n" * 100})
rc, data, err = run_json(lim, "--max-file-size", "100")
equal(stderr_lines(err), [
    "impviz: warning: big.py: file of 600 bytes is over the size limit of 100 (see --max-file-size); not analysed",
], "--max-file-size warns naming the file")
equal([m["name"] for m in data["modules"]], ["small"], "the skipped file is not a module")
rc, data, err = run_json(lim, "--max-modules", "1")
equal(stderr_lines(err), [
    "impviz: warning: small.py: module limit of 1 reached; the rest of the project is not analysed (see --max-modules)",
], "--max-modules warns naming the first file left out")
rc, out, err = run(A.impviz, lim, "-T", "svg", "--max-edges", "0")
equal(rc, 0, "--max-edges 0 means no limit")
keep = os.path.join(tmp, "keep.svg")
with open(keep, "w") as f:
    f.write("previous")
chain = project("chain3", {"a.py": "import b\n", "b.py": "import c\n", "c.py": ""})
rc, out, err = run(A.impviz, chain, "-o", keep, "--max-edges", "1")
equal((rc, stderr_lines(err)), (3, [
    "impviz: error: graph of 2 edges is over the drawing limit of 1 (see --max-edges); nothing drawn (-T dot, -T json and the text report have no limit)",
]), "--max-edges: exit 3 with a message")
equal(open(keep).read(), "previous", "a refused picture leaves the previous file untouched")
rc, out, err = run(A.impviz, chain, "-T", "dot", "--max-edges", "1")
equal(rc, 0, "-T dot is not limited by --max-edges")

# ---- files that cannot be read ---------------------------------------------------------------

perm = project("perm", {"pkg/__init__.py": "", "pkg/ok.py": "from . import secret\n",
                        "pkg/secret.py": "import os\n", "pkg/locked/__init__.py": "",
                        "pkg/locked/inner.py": ""})
for dirpath, dirnames, filenames in os.walk(perm):
    os.chmod(dirpath, 0o755)
os.chmod(os.path.join(perm, "pkg/secret.py"), 0)
os.chmod(os.path.join(perm, "pkg/locked"), 0)
as_nobody = []
if os.geteuid() != 0:
    as_nobody = []
elif shutil.which("setpriv"):
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
if os.geteuid() != 0 or as_nobody:  # as_nobody: also for the device outputs below
    p = subprocess.run([*as_nobody, A.impviz, perm], capture_output=True, text=True)
    equal((p.returncode, stderr_lines(p.stderr)), (0, [
        "impviz: warning: pkg/locked: cannot read directory: Permission denied",
        "impviz: warning: pkg/secret.py: cannot read file: Permission denied",
    ]), "unreadable file and directory: a warning each, the run goes on")
    check(p.stdout.startswith("3 modules, 1 import "), f"the readable modules are analysed: {p.stdout!r}")
else:
    print("skipped: permission case (running as root without setpriv)")

# files that vanish or change between discovery and reading (an LD_PRELOAD shim makes the race
# deterministic: it deletes or replaces the file when impviz opens it)
shim = os.environ.get("IMPVIZ_VANISH_PRELOAD")
if shim:
    race = project("race", {"pkg/__init__.py": "", "pkg/m.py": "from . import vanish_a\n",
                            "pkg/vanish_a.py": "import os\n", "pkg/becomes_dir_b.py": "import os\n"})
    rc, data, err = run_json(race, env={"LD_PRELOAD": shim, "ASAN_OPTIONS":
                                        os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"})
    equal((rc, stderr_lines(err)), (0, [
        "impviz: warning: pkg/becomes_dir_b.py: cannot read file: Is a directory",
        "impviz: warning: pkg/vanish_a.py: cannot read file: No such file or directory",
    ]), "a file deleted or replaced by a directory mid-run: a warning each")
    equal(targets(data, "pkg.m"), ["pkg.vanish_a"], "the other files are still read")

    # replaced by a FIFO (a blocking open would wait forever), by a link to /dev/zero (endless
    # bytes), grown past --max-file-size before the open or while being read: a warning each,
    # no hang, no allocation failure, nothing read past the limit
    shim_env = {"LD_PRELOAD": shim,
                "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    swaps = {"pkg/__init__.py": "", "pkg/m.py": "from . import becomes_fifo_a, grows_c\n",
             "pkg/becomes_fifo_a.py": "import os\n", "pkg/becomes_zero_b.py": "import os\n",
             "pkg/grows_c.py": "import os\n", "pkg/grows_late_d.py": "import os\n"}
    race = project("race2", swaps)
    rc, out, err = bounded(race, "-T", "json", "--max-file-size", "1000", env=shim_env)
    grown = os.path.getsize(os.path.join(race, "pkg/grows_c.py"))
    check(grown > 1000, f"the shim grew the file past the limit: {grown}")
    equal((rc, stderr_lines(err)), (0, [
        "impviz: warning: pkg/becomes_fifo_a.py: not analysed: not a regular file",
        "impviz: warning: pkg/becomes_zero_b.py: not analysed: symbolic link not followed (see --follow-symlinks)",
        f"impviz: warning: pkg/grows_c.py: file of {grown} bytes is over the size limit of 1000 (see --max-file-size); not analysed",
        "impviz: warning: pkg/grows_late_d.py: file grew past the size limit of 1000 while being read (see --max-file-size); not analysed",
    ]), "a file swapped for a FIFO or a link to /dev/zero, or grown: a warning each")
    if rc == 0:
        data = json.loads(out)
        equal(targets(data, "pkg.m"), ["pkg.becomes_fifo_a", "pkg.grows_c"], "the other files are still read")
        equal([i for i in data["imports"] if i["source"] != "pkg.m"], [], "nothing read from the swapped files")
    race = project("race3", {"pkg/__init__.py": "", "pkg/becomes_zero_b.py": "import os\n"})
    rc, out, err = bounded(race, "--follow-symlinks", env=shim_env)
    equal((rc, stderr_lines(err)), (0, [
        "impviz: warning: pkg/becomes_zero_b.py: not analysed: not a regular file",
    ]), "--follow-symlinks: a file swapped for a link to /dev/zero is followed, and refused")
else:
    print("skipped: vanishing files (IMPVIZ_VANISH_PRELOAD not set)")

# a FIFO named .py is not a regular file: never opened (opening it would block)
fifo_proj = project("fifo", {"a.py": "import os\n"})
os.mkfifo(os.path.join(fifo_proj, "pipe.py"))
rc, out, err = run(A.impviz, fifo_proj, "-v")
equal((rc, out.splitlines()[0]), (0, "1 module, 1 import (0 of project modules, 1 external), 0 edges"),
      "a FIFO named .py is skipped without blocking")

# ---- files read by name (--config, --baseline, --theme): only regular files, at most 16 MiB ----

small = project("small", {"m.py": "import os\n"})
named = os.path.join(tmp, "named inputs")
os.mkdir(named)
fifo = os.path.join(named, "fifo")
os.mkfifo(fifo)
zero = os.path.join(named, "zero")
os.symlink("/dev/zero", zero)
for option, what, cap in (("--config", "", 16 << 20), ("--baseline", "baseline ", 256 << 20),
                          ("--theme", "theme ", 16 << 20)):
    big = os.path.join(named, f"big{cap}")
    with open(big, "wb") as f:
        f.truncate(cap + 1)  # sparse: no disk used
    for path, why in ((fifo, "not a regular file"), (zero, "not a regular file"),
                      (big, f"larger than {cap} bytes"), (named, "Is a directory")):
        rc, out, err = bounded(small, option, path)
        equal((rc, stderr_lines(err)), (2, [f"impviz: error: cannot read {what}'{path}': {why}"]),
              f"{option} {os.path.basename(path)}: exit 2 with a message, no hang")

# ---- symbolic links ----------------------------------------------------------------------------

outside = project("outside", {"ext/__init__.py": "", "ext/mod.py": "import os\n"})
links = project("links", {"pkg/__init__.py": "", "pkg/a.py": "from pkg.ext import mod\n"})
os.symlink(os.path.join(links, "pkg"), os.path.join(links, "pkg/loop"))
os.symlink(os.path.join(outside, "ext"), os.path.join(links, "pkg/ext"))
os.symlink(os.path.join(links, "pkg/missing.py"), os.path.join(links, "pkg/dangling.py"))
rc, data, err = run_json(links, "-v")
equal([m["name"] for m in data["modules"]], ["pkg", "pkg.a"], "symlinks are not followed by default")
equal([l for l in stderr_lines(err) if not l.startswith("impviz: note: parsed ")], [
    "impviz: note: pkg/dangling.py: symbolic link not followed (see --follow-symlinks)",
    "impviz: note: pkg/ext: symbolic link not followed (see --follow-symlinks)",
    "impviz: note: pkg/loop: symbolic link not followed (see --follow-symlinks)",
], "each link left alone is named with -v")
rc, data, err = run_json(links, "--follow-symlinks")
equal(rc, 0, "--follow-symlinks on a loop ends")
equal([m["name"] for m in data["modules"]], ["pkg", "pkg.a", "pkg.ext", "pkg.ext.mod"],
      "--follow-symlinks leaves the root through a link, once")
equal(stderr_lines(err), [
    "impviz: warning: pkg/dangling.py: broken symbolic link",
    "impviz: warning: pkg/loop: symbolic link loop: leads back to a directory above it; not entered",
], "--follow-symlinks: the loop and the broken link are named")

# ---- names with spaces, quotes, <, &, newlines, non-ASCII; markup in statements ----------------

names = project("names", {
    "pkg/__init__.py": "",
    "pkg/a.py": ("import importlib\nimport pkg.café\n"
                 "x = importlib.import_module('pkg.b') or \"</title><script>alert(1)</script>&amp;\"\n"
                 "y = importlib.import_module('''pkg.c''') or '''\n\x1b[31mred\x07'''\n"),
    "pkg/b.py": "from . import a\n",
    "pkg/c.py": "",
    "pkg/café.py": "from . import a\n",
    "pkg/a b.py": "", "pkg/q\"<&'.py": "", "pkg/new\nline.py": "", "pkg/caf\udce9.py": "",
    "pkg/d\nir/x.py": "", "pkg/ns <&\">/y.py": "",
})
rc, out, err = run(A.impviz, names, "-v")
equal(rc, 0, "odd names: exit 0")
equal([l for l in err.splitlines() if "not a Python identifier" in l], [
    "impviz: note: pkg/a b.py: not a Python identifier: file cannot be imported",
    "impviz: note: pkg/caf\\xe9.py: not a Python identifier: file cannot be imported",
    "impviz: note: pkg/d\\nir: not a Python identifier: directory cannot be imported",
    "impviz: note: pkg/new\\nline.py: not a Python identifier: file cannot be imported",
    "impviz: note: pkg/ns <&\">: not a Python identifier: directory cannot be imported",
    "impviz: note: pkg/q\"<&'.py: not a Python identifier: file cannot be imported",
], "each odd name on one line, newlines and bad bytes escaped")
check("\x1b" not in out + err and "\x07" not in out + err, "no terminal escape reaches the text output")
for line in out.splitlines():
    check("\n" not in line and "\x1b" not in line, f"text report line stays one line: {line!r}")
# the chain: the 6-space lines right after the "a -> b -> a" line (the diagnosis follows them)
text_lines = out.splitlines()
first = next((i for i, l in enumerate(text_lines) if " -> " in l), len(text_lines))
chain = []
for l in text_lines[first + 1:]:
    if not l.startswith("      ") or l.startswith("       "):
        break
    chain.append(l)
equal(chain, [
    "      pkg/a.py:3: x = importlib.import_module('pkg.b') or \"</title><script>alert(1)</script>&amp;\"",
    "      pkg/b.py:1: from . import a",
], "text report: the cycle's statements, as text")
rc, data, err = run_json(names)
equal([m["name"] for m in data["modules"]], ["pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.café"],
      "JSON: only importable names are modules, non-ASCII kept")
statements = [i["statement"] for i in data["imports"] if i["source"] == "pkg.a"]
check(any("<script>" in s for s in statements), "JSON keeps the statement text, escaped by JSON")
check(any("\x1b[31mred" in s for s in statements), "JSON keeps control characters, escaped by JSON")

for fmt in ("svg", "dot"):
    path = os.path.join(tmp, f"names.{fmt}")
    rc, out, err = run(A.impviz, names, "-o", path, "-q")
    equal((rc, err), (0, ""), f"{fmt}: written without a message")
    text = open(path, "rb").read()
    if fmt == "svg":
        root = ET.fromstring(text)  # raises when markup broke out
        scripts = root.findall(".//{http://www.w3.org/2000/svg}script") + root.findall(".//script")
        equal(scripts, [], "SVG: no script element from a statement")
        tips = [a.get("{http://www.w3.org/1999/xlink}title") or "" for a in root.iter()]
        check(any("<script>alert(1)</script>" in t for t in tips), "SVG: the statement is in a tooltip, as text")
        check(b"\x1b" not in text and b"\x07" not in text, "SVG: no control character")
    else:
        p = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True)
        equal((p.returncode, p.stderr), (0, b""), "DOT: accepted by dot without a message")
        root = ET.fromstring(p.stdout)
        check(any("<script>alert(1)</script>" in (a.get("{http://www.w3.org/1999/xlink}title") or "")
                  for a in root.iter()), "DOT: the statement survives as text")

# review formats (on main since the review branch): each read back by its own kind of parser
rc, sarif, err = run(A.impviz, names, "-T", "sarif")
equal(rc, 0, "SARIF written")
snippets = [r["locations"][0]["physicalLocation"]["region"]["snippet"]["text"]
            for r in json.loads(sarif)["runs"][0]["results"]]
check(any("<script>alert(1)</script>" in t for t in snippets), "SARIF: the statement is JSON text")
rc, gh, err = run(A.impviz, names, "-T", "github")
equal(rc, 0, "GitHub annotations written")
check(all(l.startswith("::") for l in gh.splitlines()), f"GitHub: one command per line: {gh!r}")
check("\x1b" not in gh, "GitHub: no terminal escape")
rc, md, err = run(A.impviz, names, "-T", "markdown")
equal(rc, 0, "Markdown written")
marked = os.path.join(A.source, "tests/npm/node_modules/marked")
if shutil.which("node") and os.path.isdir(marked):
    js = "const {marked}=require(process.argv[1]); let s='';process.stdin.on('data',d=>s+=d)" \
         ".on('end',()=>process.stdout.write(marked.parse(s)))"
    p = subprocess.run(["node", "-e", js, marked], input=md, capture_output=True, text=True)
    equal(p.returncode, 0, "marked renders the Markdown")
    check("<script>" not in p.stdout and "&lt;script&gt;alert(1)" in p.stdout,
          "Markdown: the statement renders as text, no script element")
else:
    print("skipped: Markdown rendering (tests/npm not installed)")
rc, mm, err = run(A.impviz, names, "-T", "mermaid")
equal(rc, 0, "Mermaid written")
check("<script>" not in mm and "\x1b" not in mm, "Mermaid: no markup or escape from the code")

# ---- paths: empty directories, a PATH that does not exist, odd PATH names ----------------------

empty = os.path.join(tmp, "empty tree")
os.makedirs(os.path.join(empty, "a/b/c"))
rc, out, err = run(A.impviz, empty)
equal((rc, stderr_lines(err)), (2, [f"impviz: error: no Python module found in '{empty}'"]),
      "a tree of empty directories: exit 2")
missing = os.path.join(tmp, "no\nsuch <dir>")
rc, out, err = run(A.impviz, missing)
equal((rc, stderr_lines(err)), (2, [
    f"impviz: error: cannot read '{missing.replace(chr(10), chr(92) + 'n')}': No such file or directory"]),
    "a PATH that does not exist: exit 2, one line")
odd_root = project("root with \"quotes\" & <angles>", {"m.py": "import n\n", "n.py": "import m\n"})
rc, out, err = run(A.impviz, odd_root, "--check")
equal(rc, 1, "a root with odd characters is analysed")
check(odd_root not in out, "no absolute path in the report")

# ---- outputs: a run killed mid-layout leaves the previous file and no temporary file ----------

dense = {f"p{p}/__init__.py": "" for p in range(20)}
for i in range(600):
    dense[f"p{i % 20}/m{i}.py"] = "".join(f"import p{(i * 7 + k * 13) % 20}.m{(i * 7 + k * 13) % 600}\n"
                                          for k in range(1, 4))
dense_root = project("dense", dense)
out_dir = os.path.join(tmp, "out")
os.mkdir(out_dir)
target = os.path.join(out_dir, "graph.svg")
with open(target, "w") as f:
    f.write("previous")
env = dict(os.environ, XDG_CACHE_HOME=tmp)
proc = subprocess.Popen([A.impviz, dense_root, "-o", target, "--timeout", "600"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


layout_child = []
while proc.poll() is None and not layout_child:  # kill once the layout child is running
    layout_child = children(proc.pid)
    time.sleep(0.01)
if check(layout_child, "the layout runs in a child process"):
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _ in range(500):  # the child is killed with its parent (PR_SET_PDEATHSIG)
        if not os.path.exists(f"/proc/{layout_child[0]}") or \
                open(f"/proc/{layout_child[0]}/stat").read().split()[2] == "Z":
            break
        time.sleep(0.01)
    check(not os.path.exists(f"/proc/{layout_child[0]}") or
          open(f"/proc/{layout_child[0]}/stat").read().split()[2] == "Z",
          "the layout child dies with impviz")
    equal(open(target).read(), "previous", "SIGKILL mid-layout: the previous file is untouched")
    equal(sorted(os.listdir(out_dir)), ["graph.svg"], "SIGKILL mid-layout: no temporary file")

# an output that is a symbolic link: the file it leads to is replaced, the link survives (also
# when it dangles: the file is made at the end of the chain); a refused run changes neither
small_chain = project("chain4", {"a.py": "import b\n", "b.py": "import c\n", "c.py": ""})
links_dir = os.path.join(tmp, "out links")
os.makedirs(os.path.join(links_dir, "real"))
real = os.path.join(links_dir, "real/graph.svg")
with open(real, "w") as f:
    f.write("previous")
link = os.path.join(links_dir, "graph.svg")
os.symlink("real/graph.svg", link)
rc, out, err = run(A.impviz, small_chain, "-o", link, "--max-edges", "1")
equal((rc, link_of(link), open(real).read()), (3, "real/graph.svg", "previous"),
      "a refused picture through a link: the link and its file untouched")
rc, out, err = run(A.impviz, small_chain, "-o", link, "-q")
equal((rc, err, link_of(link)), (0, "", "real/graph.svg"), "-o a link: the link survives")
check(open(real).read().startswith("<?xml"), "-o a link: the file it leads to is the new picture")
os.symlink("dangling.json", os.path.join(links_dir, "chain.json"))
os.symlink("real/made.json", os.path.join(links_dir, "dangling.json"))
rc, out, err = run(A.impviz, small_chain, "-o", os.path.join(links_dir, "chain.json"))
equal((rc, err), (0, ""), "-o a dangling chain of links")
equal(json.load(open(os.path.join(links_dir, "real/made.json")))["modules"][0]["name"], "a",
      "the file is made at the end of the chain")
equal((sorted(os.listdir(links_dir)), sorted(os.listdir(os.path.join(links_dir, "real")))),
      (["chain.json", "dangling.json", "graph.svg", "real"], ["graph.svg", "made.json"]),
      "the links stay links; no temporary file")

# an output that is not a regular file is written in place: a FIFO stays a FIFO (its reader gets
# the report), a link to /proc/self/fd/1 (what /dev/stdout is) stays a link to standard output
want = run(A.impviz, small_chain, "-T", "json")[1]
special_dir = os.path.join(tmp, "out special")
os.mkdir(special_dir)
pipe = os.path.join(special_dir, "pipe.json")
os.mkfifo(pipe)
got = []
keep = os.open(pipe, os.O_RDWR)  # a writer of our own: the reader never blocks, even if impviz fails
reader = threading.Thread(target=lambda: got.append(open(pipe).read()))
reader.start()
rc, out, err = bounded(small_chain, "-o", pipe)
os.close(keep)  # the reader's end of file
reader.join()
equal((rc, err, got), (0, "", [want]), "-o FIFO: the reader gets the report")
check(stat.S_ISFIFO(os.lstat(pipe).st_mode), "-o FIFO: still a FIFO")
os.mkdir(os.path.join(special_dir, "devlike"))
stdout_link = os.path.join(special_dir, "devlike/stdout")
os.symlink("/proc/self/fd/1", stdout_link)
rc, out, err = bounded(small_chain, "-T", "json", "-o", stdout_link)
equal((rc, err, out), (0, "", want), "-o a link to /proc/self/fd/1: standard output")
equal(link_of(stdout_link), "/proc/self/fd/1", "the link to /proc/self/fd/1 survives")
equal((sorted(os.listdir(special_dir)), os.listdir(os.path.join(special_dir, "devlike"))),
      (["devlike", "pipe.json"], ["stdout"]), "no temporary file beside a FIFO or the link")
# real devices only as nobody (or a user), who could not replace them even if impviz tried
if os.geteuid() != 0 or as_nobody:
    for dev, want_rc, want_err in (("/dev/null", 0, []), ("/dev/full", 2, [
            "impviz: error: cannot write '/dev/full': No space left on device"])):
        before = os.lstat(dev)
        rc, out, err = bounded(small_chain, "-T", "json", "-o", dev, prefix=as_nobody)
        equal((rc, stderr_lines(err)), (want_rc, want_err), f"-o {dev}")
        after = os.lstat(dev)
        equal((stat.S_ISCHR(after.st_mode), after.st_rdev, after.st_ino),
              (True, before.st_rdev, before.st_ino), f"-o {dev}: the device is untouched")
else:
    print("skipped: device outputs (running as root without setpriv)")

# --timeout: a layout that runs too long falls back to sfdp, and the picture is complete
target2 = os.path.join(out_dir, "fallback.svg")
rc, out, err = run(A.impviz, dense_root, "-o", target2, "--layout", "circo", "--timeout", "3")
if "did not finish" in err:
    equal((rc, [l for l in stderr_lines(err) if "hard to read" not in l]), (0, [
        "impviz: warning: graphviz layout 'circo' did not finish within 3 seconds (see --timeout); drawn with sfdp instead",
    ]), "--timeout: warning and fallback")
else:
    print("note: circo finished within 1 second here; the fallback was not exercised")
equal(rc, 0, "--timeout run succeeds")
svg = ET.parse(target2).getroot()
nodes = [g for g in svg.iter("{http://www.w3.org/2000/svg}g") if "module" in (g.get("class") or "").split()]
equal(len(nodes), 620, "the fallback picture has every module")

shutil.rmtree(tmp, ignore_errors=True)
done("hostile")
