"""End-to-end: the kept cycle diagnosis (DIR/diagnosis.cache) gives the bytes of a fresh one, and
is taken only when nothing it depends on changed."""
import os
import shutil
import tempfile

from common import args, check, done, equal, run

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-memo-e2e-")
proj = os.path.join(tmp, "proj")
FILES = {
    "pkg/__init__.py": "",
    # importing pkg.a fails: pkg.b takes VALUE from pkg.a before pkg.a binds it
    "pkg/a.py": "from pkg.b import helper\n\n\ndef f():\n    return helper()\n\n\nVALUE = 1\n",
    "pkg/b.py": "from pkg.a import VALUE\n\n\ndef helper():\n    return VALUE\n",
    "pkg/c.py": "import pkg.d\n\n\ndef g():\n    return pkg.d.h()\n",
    "pkg/d.py": "import pkg.c\n\n\ndef h():\n    return pkg.c\n",
}
for rel, text in FILES.items():
    path = os.path.join(proj, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
PKG = os.path.join(proj, "pkg")
cache = os.path.join(tmp, "cache")
memo = os.path.join(cache, "diagnosis.cache")
HIT = "impviz: note: diagnosis from the cache"


def analyse(*extra, fmt="json"):
    rc, out, err = run(A.impviz, "-v", "-T", fmt, *extra, PKG)
    check(rc in (0, 1), f"impviz {' '.join(extra)} exited {rc}: {err}")
    return out, err


def fresh(*extra, fmt="json"):
    return analyse("--no-cache", *extra, fmt=fmt)[0]


def warm(what, *extra, hit=True, fmt="json"):
    """A run with the cache: the bytes of --no-cache, from the memo when hit."""
    out, err = analyse("--cache-dir", cache, *extra, fmt=fmt)
    equal(out, fresh(*extra, fmt=fmt), f"{what}: the bytes of a fresh diagnosis")
    equal(HIT in err, hit, f"{what}: the diagnosis {'is' if hit else 'is not'} from the cache")
    return out, err


truth = fresh()
check('"ImportError"' in truth, "the project's diagnosis predicts an ImportError")
check("defer" in truth, "and suggests deferring an import")

# cold, then warm, in every report format
for fmt in ("json", "text", "markdown", "sarif"):
    shutil.rmtree(cache, ignore_errors=True)
    warm(f"cold -T {fmt}", fmt=fmt, hit=False)
    check(os.path.isfile(memo), f"cold -T {fmt} writes the memo")
    warm(f"warm -T {fmt}", fmt=fmt)
    warm(f"warm -T {fmt} -j 1", "-j", "1", fmt=fmt)

# a change that alters the diagnosis: pkg.b's import moves into its function
with open(os.path.join(PKG, "b.py"), "w") as f:
    f.write("def helper():\n    from pkg.a import VALUE\n    return VALUE\n")
out, _ = warm("after deferring the import", hit=False)
check(out != truth and '"ImportError"' not in out, "the fixed cycle is no longer diagnosed")
warm("the next run")

# a change that alters only the bytes (a comment): the diagnosis is computed again all the same
with open(os.path.join(PKG, "d.py"), "a") as f:
    f.write("# a comment\n")
warm("after appending a comment", hit=False)
warm("the run after it")

# the simulation's budget is part of the key
warm("another --max-simulation", "--max-simulation", "3", hit=False)
warm("the same --max-simulation again", "--max-simulation", "3")
warm("back to the default", hit=False)

# a damaged memo is a miss, said with -v, and written again
size = os.path.getsize(memo)
with open(memo, "r+b") as f:
    f.seek(size - 16)
    f.write(b"\xfe" * 16)
_, err = warm("a memo with damaged bytes", hit=False)
check("diagnosis.cache' ignored and rebuilt" in err, f"-v says it was ignored: {err!r}")
warm("the rewritten memo")
with open(memo, "r+b") as f:
    f.truncate(size // 2)
_, err = warm("a truncated memo", hit=False)
check("ignored and rebuilt: corrupt (truncated)" in err, f"-v says it was truncated: {err!r}")
warm("the memo written after it")
for junk in (b"", b"garbage", b"IMPVIZD\n" + b"\x01" * 200):
    with open(memo, "wb") as f:
        f.write(junk)
    warm(f"a memo of {len(junk)} junk bytes", hit=False)
    warm("the memo written after it")
leftovers = [n for n in os.listdir(cache) if n.startswith(".diagnosis.cache")]
equal(leftovers, [], "no temporary files are left")

# --no-cache keeps no memo; an unwritable cache directory only costs the memo
xdg = os.path.join(tmp, "xdg")
rc, out, err = run(A.impviz, "-T", "json", "--no-cache", PKG, env={"XDG_CACHE_HOME": xdg})
check(not os.path.exists(xdg), "--no-cache writes no memo")
blocker = os.path.join(tmp, "a-file")
with open(blocker, "w") as f:
    f.write("x")
out, err = analyse("--cache-dir", os.path.join(blocker, "sub"))
equal(out, fresh(), "an unwritable cache directory gives the same bytes")
check("diagnosis not cached" in err, f"-v says the diagnosis was not kept: {err!r}")

shutil.rmtree(tmp)
done("memo")
