"""End-to-end: options, exit statuses, error messages, safe outputs, determinism."""
import os
import shutil
import subprocess
import tempfile
import time

from common import args, check, done, equal, run, run_json

A = args()
BEFORE = os.path.join(A.source, "samples/cross_layers/before")
AFTER = os.path.join(A.source, "samples/activation_utils/after")
tmp = tempfile.mkdtemp(prefix="impviz-cli-")

# --help and --version go to stdout with status 0; --help documents the exit statuses
rc, out, err = run(A.impviz, "--help")
equal(rc, 0, "--help status")
for needle in ("Exit status:", "  1  --check found an import-time cycle", "--check", "--layout",
               "--rankdir", "--exclude", "--externals", "--quiet", "--verbose", "--version"):
    check(needle in out, f"--help mentions {needle!r}")
rc, out, err = run(A.impviz, "--version")
check(rc == 0 and out.startswith("impviz "), f"--version: {out!r}")

# usage and input errors: one clear line, status 2
def usage(argv, message):
    rc, out, err = run(A.impviz, *argv)
    equal(rc, 2, f"status of impviz {' '.join(argv)}")
    first = err.splitlines()[0] if err else ""
    equal(first, f"impviz: error: {message}", f"message of impviz {' '.join(argv)}")

usage(["--no-such-option", BEFORE], "Unknown option --no-such-option")
# no PATH: the current directory
rc, out, err = run(A.impviz, "-T", "json", cwd=BEFORE)
equal((rc, out), run(A.impviz, ".", "-T", "json", cwd=BEFORE)[:2], "no PATH is the current directory")
usage([os.path.join(tmp, "missing")], f"cannot read '{os.path.join(tmp, 'missing')}': No such file or directory")
usage([BEFORE, "-T", "bmp"], "unknown format 'bmp' (try text, json, dot, svg, png, pdf, html, sarif, github, markdown or mermaid)")
usage([BEFORE, "-o", os.path.join(tmp, "g.bmp")],
      f"cannot tell the format of '{os.path.join(tmp, 'g.bmp')}' from its extension (use -T)")
usage([BEFORE, "--layout", "nope"], "unknown layout engine 'nope' (try auto, dot, neato, fdp, sfdp, circo, twopi, osage or patchwork)")
usage([BEFORE, "--rankdir", "UP"], "unknown rank direction 'UP' (try TB, LR, BT or RL)")
usage([BEFORE, "-o", os.path.join(tmp, "no/such/dir/g.svg")],
      f"cannot write '{os.path.join(tmp, 'no/such/dir/g.svg')}': No such file or directory")
empty = os.path.join(tmp, "empty")
os.mkdir(empty)
usage([empty], f"no Python module found in '{empty}'")

# an unwritable directory: status 2 before any work (no cache made: nothing parsed), and nothing
# is written. Root may write anywhere: as root, the runs are made as nobody (as hostile.py does).
as_user = []
if os.geteuid() == 0:
    as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"] \
        if shutil.which("setpriv") else None
if as_user is None:
    print("skipped: unwritable output (running as root without setpriv)")
else:
    os.chmod(tmp, 0o755)
    ro = os.path.join(tmp, "ro")
    os.mkdir(ro)
    os.chmod(ro, 0o555)
    writable = os.path.join(tmp, "writable")
    os.mkdir(writable)
    os.chmod(writable, 0o777)
    cache = os.path.join(writable, "cache")  # impviz could make it: only work would

    def run_as_user(*argv):
        p = subprocess.run([*as_user, A.impviz, *argv], capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    unwritable = os.path.join(ro, "g.svg")
    rc, out, err = run_as_user(BEFORE, "-o", unwritable, "--cache-dir", cache, "-v")
    equal((rc, out, err.splitlines()), (2, "", [f"impviz: error: cannot write '{unwritable}': Permission denied"]),
          "unwritable output directory: status 2, one message")
    equal((os.path.exists(cache), os.listdir(ro)), (False, []),
          "unwritable output: checked before any work (no cache made), nothing written")
    # a link in a writable directory to a file in the unwritable one: the link's file is written
    into_ro = os.path.join(writable, "into-ro.svg")
    os.symlink(unwritable, into_ro)
    rc, out, err = run_as_user(BEFORE, "-o", into_ro, "--cache-dir", cache, "-v")
    equal((rc, err.splitlines(), os.path.exists(cache), os.path.islink(into_ro)),
          (2, [f"impviz: error: cannot write '{into_ro}': Permission denied"], False, True),
          "a link into an unwritable directory: refused before any work, the link kept")
    # the control: the same run with a writable output parses, and so makes the cache
    rc, out, err = run_as_user(BEFORE, "-o", os.path.join(writable, "g.svg"), "--cache-dir", cache, "-v")
    check(rc == 0 and os.path.isdir(cache) and os.path.isfile(os.path.join(writable, "g.svg")),
          f"a writable output: the run parses and writes: {rc} {err}")
    check("impviz: note: parsed 4 of 4 files (0 from cache)" in err.splitlines(), f"a writable output: parsed: {err}")

# a failed run leaves the previous output untouched
out_file = os.path.join(tmp, "keep.svg")
with open(out_file, "w") as f:
    f.write("previous")
rc, _, _ = run(A.impviz, os.path.join(tmp, "missing"), "-o", out_file)
check(rc == 2 and open(out_file).read() == "previous", "failed run keeps the previous file")
check(not [n for n in os.listdir(tmp) if n.startswith("keep.svg.")], "no temporary file left behind")

# --check: 1 with an import-time cycle, 0 without (a runtime-only cycle passes)
equal(run(A.impviz, BEFORE, "--check")[0], 1, "--check on a cycle")
equal(run(A.impviz, AFTER, "--check")[0], 0, "--check on a runtime-only cycle")
equal(run(A.impviz, BEFORE)[0], 0, "no --check: status 0 even with a cycle")

# -T overrides the extension; .dot and .gv give DOT without layout
for ext in ("dot", "gv"):
    path = os.path.join(tmp, f"g.{ext}")
    rc, _, err = run(A.impviz, BEFORE, "-o", path)
    text = open(path).read()
    check(rc == 0 and text.startswith("digraph impviz {") and "pos=" not in text,
          f".{ext} is DOT without layout")
    check('class="eager cycle"' in text or 'class="eager cycle",' in text or "eager cycle" in text,
          f".{ext} carries the edge classes")
path = os.path.join(tmp, "g.svg")
run(A.impviz, BEFORE, "-o", path, "-T", "json")
check(open(path).read().lstrip().startswith("{"), "-T json overrides the .svg extension")

# determinism: two runs and different -j give identical bytes, for every format
for fmt in ("json", "dot", "svg", "text"):
    outs = [run(A.impviz, os.path.join(A.source, "samples"), "-T", fmt, "-j", j)[1] for j in ("1", "2", "2")]
    check(outs[0] == outs[1] == outs[2] and outs[0], f"{fmt} output identical across runs and -j")
    # another heap layout (allocations by mmap, top-down) must not change a byte either: Graphviz
    # once ordered clusters by the addresses of their names
    moved = run(A.impviz, os.path.join(A.source, "samples"), "-T", fmt,
                env={"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=0"})[1]
    check(moved == outs[0], f"{fmt} output independent of the heap's layout")

# pictures too, made in different seconds: no timestamp (Cairo dates every PDF it makes)
for fmt in ("png", "pdf"):
    made = []
    for n, j in enumerate(("1", "2")):
        if n:
            time.sleep(1.1)
        path = os.path.join(tmp, f"same{n}.{fmt}")
        equal(run(A.impviz, os.path.join(A.source, "samples"), "-o", path, "-j", j)[0], 0, f"{fmt} run")
        made.append(open(path, "rb").read())
    check(made[0] == made[1] and len(made[0]) > 1000, f"{fmt} output identical across runs, seconds apart")
    check(b"CreationDate (D:19700101000000Z)" in made[1] or fmt == "png", f"{fmt}: a fixed date")

# values attached to short options, as getopt takes them: -j2, -Tjson, -oFILE
joined = os.path.join(tmp, "joined.json")
rc, _, err = run(A.impviz, BEFORE, "-j2", "-Tjson", "-o" + joined)
equal((rc, err), (0, ""), "-j2 -Tjson -oFILE run")
equal(open(joined).read(), run(A.impviz, BEFORE, "-j", "2", "-T", "json")[1],
      "-j2 -Tjson -oFILE as -j 2 -T json -o FILE")
usage([BEFORE, "-jx"], "Cannot parse integer value “x” for --jobs")

# --exclude matches paths relative to the root; -q silences warnings; --externals adds nodes
data = run_json(A.impviz, BEFORE, "--exclude", "netlayers/layer_b.py")
check("netlayers.layer_b" not in [m["name"] for m in data["modules"]], "--exclude drops a file")
equal(data["sccs"]["import_time"], [], "--exclude breaks the cycle")
data = run_json(A.impviz, BEFORE, "--exclude", "**/layer_*.py")
equal(sorted(m["name"] for m in data["modules"]), ["main", "netlayers"], "--exclude with **")
rc, out, _ = run(A.impviz, BEFORE, "-T", "dot", "--externals")
check('"ext:tensorflow"' in out and "third-party" in out, "--externals draws tensorflow")
rc, out, _ = run(A.impviz, BEFORE, "-T", "dot")
check("ext:" not in out, "no external nodes without --externals")
rc, out, _ = run(A.impviz, BEFORE, "-T", "dot", "--rankdir", "LR")
check("rankdir=LR" in out, "--rankdir reaches the graph")
rc, out, err = run(A.impviz, BEFORE, "-o", os.path.join(tmp, "n.svg"), "--layout", "neato")
check(rc == 0 and "<svg" in open(os.path.join(tmp, "n.svg")).read(), "--layout neato renders")

# warnings and notes: a broken file warns (not with -q); -v adds notes (skipped names)
proj = os.path.join(tmp, "proj")
os.makedirs(os.path.join(proj, "pkg"))
open(os.path.join(proj, "pkg", "__init__.py"), "w").close()
with open(os.path.join(proj, "pkg", "a.py"), "w") as f:
    f.write("import os\ndef f(:\n    pass\nfrom . import b\n")
with open(os.path.join(proj, "pkg", "b.py"), "wb") as f:
    f.write(b"\x00\x01binary")
with open(os.path.join(proj, "2to3_data.py"), "w") as f:
    f.write("import pkg\n")
rc, out, err = run(A.impviz, proj)
equal(rc, 0, "a broken file does not abort the run")
check("impviz: warning: 1 file with syntax errors (Python 2, newer syntax or broken code): imports outside the broken parts were read; -v lists them" in err, f"syntax error summary: {err}")
check("pkg/a.py:2" not in err, "without -v the broken file is not listed")
check("impviz: warning: pkg/b.py: not analysed: NUL byte at line 1: not Python source (binary file?)" in err, f"binary file warning: {err}")
rc, out, err = run(A.impviz, proj, "-q")
equal(err, "", "-q prints no warnings")
rc, out, err = run(A.impviz, proj, "-v")
check("skipped 1 file and directory name that cannot be imported (not Python identifiers)" in err,
      f"-v says how many names were skipped: {err}")
check("impviz: note: pkg/a.py:2: syntax error; imports outside the broken part are still read" in err,
      f"-v lists the broken file: {err}")
data = run_json(A.impviz, proj)
check({"source": "pkg.a", "target": "pkg.b", "kind": "eager", "count": 1} in data["edges"],
      "imports after a syntax error are still read")

# --fail-on error: only cycles predicted to raise fail; a benign cycle passes (CPython agrees)
benign = os.path.join(tmp, "benign")
os.makedirs(os.path.join(benign, "pkg"))
open(os.path.join(benign, "pkg", "__init__.py"), "w").close()
with open(os.path.join(benign, "pkg", "a.py"), "w") as f:
    f.write("import pkg.b\n\ndef f():\n    return pkg.b.g()\n")
with open(os.path.join(benign, "pkg", "b.py"), "w") as f:
    f.write("import pkg.a\n\ndef g():\n    return 1\n")
import subprocess, sys
for m in ("pkg.a", "pkg.b"):
    p = subprocess.run([sys.executable, "-c", f"import {m}"], cwd=benign, capture_output=True)
    equal(p.returncode, 0, f"CPython imports {m} of the benign cycle")
equal(run(A.impviz, benign, "--check")[0], 1, "--check fails on a benign import-time cycle")
equal(run(A.impviz, benign, "--check", "--fail-on", "error")[0], 0, "--fail-on error passes it")
equal(run(A.impviz, BEFORE, "--check", "--fail-on", "error")[0], 1, "--fail-on error fails a raising cycle")
equal(run(A.impviz, BEFORE, "--check", "--fail-on=cycle")[0], 1, "--fail-on cycle")
usage([BEFORE, "--check", "--fail-on", "never"], "unknown --fail-on 'never' (try cycle or error)")
base = os.path.join(tmp, "base.json")
equal(run(A.impviz, os.path.join(A.source, "samples/activation_utils/after"), "--write-baseline", base)[0], 0,
      "baseline of a project without cycles")
equal(run(A.impviz, benign, "--baseline", base, "--fail-on", "error")[0], 0,
      "--baseline --fail-on error: a new benign cycle passes")
equal(run(A.impviz, BEFORE, "--baseline", base, "--fail-on", "error")[0], 1,
      "--baseline --fail-on error: a new raising cycle fails")

# Mermaid of a focused view: exactly the modules the view draws
import re as _re
bm = os.path.join(A.source, "samples/base_model/before")
view = run_json(A.impviz, bm, "--focus", "basemodels.base", "--up", "1", "--down", "0")["view"]
want = sorted(n["label"] for n in view["nodes"] if n["type"] == "module")
rc, mmd, _ = run(A.impviz, bm, "-T", "mermaid", "--focus", "basemodels.base", "--up", "1", "--down", "0")
got = sorted(_re.findall(r'^\s+[mv]\d+\["([^"]+)"\]$', mmd, _re.M))
equal(got, want, "mermaid --focus shows the view's modules")
check(len(got) < len(run_json(A.impviz, bm)["modules"]), "the focused chart is smaller than the project")

# the man page documents every option --help-all lists
rc, out, err = run(A.impviz, "--help-all")
options = sorted(set(_re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z-]*)", out, _re.M)))
check(len(options) > 30, f"--help-all lists the options: {options}")
with open(os.path.join(A.source, "share", "man", "impviz.1")) as f:
    man = f.read().replace("\\-", "-")
equal([o for o in options if o not in man and o not in ("--help-all",)], [],
      "options missing from share/man/impviz.1")

shutil.rmtree(tmp, ignore_errors=True)
done("cli")
