"""End-to-end: the parse cache gives the same bytes as parsing, and parses only what changed."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from common import args, check, done, equal, run

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-cache-e2e-")
proj = os.path.join(tmp, "proj")
FILES = {
    "pkg/__init__.py": "from pkg import a\n",
    "pkg/a.py": "import os\nfrom pkg import b\n\nclass A(b.Base):\n    pass\n",
    "pkg/b.py": "from pkg import a\n\nclass Base:\n    pass\n",
    "pkg/c.py": "def f():\n    from pkg import d\n    return d\n",
    "pkg/d.py": "import importlib\nmod = importlib.import_module('pkg.c')\n",
    "pkg/sub/__init__.py": "",
    "pkg/sub/e.py": "from .. import a\nfrom ..c import f\n",
    "pkg/sub/broken.py": "import pkg.a\ndef oops(:\n",
    # not Python text: the cache keeps the verdict, so warm runs do not read it again
    "pkg/sub/bad_coding.py": "# -*- coding: uft-8 -*-\nimport pkg.a\n",
}
for rel, text in FILES.items():
    path = os.path.join(proj, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
N = len(FILES)
PKG = os.path.join(proj, "pkg")
cache = os.path.join(tmp, "cache")


def counts(err):
    """(parsed, total, from cache) from -v's note."""
    m = re.search(r"impviz: note: parsed (\d+) of (\d+) files \((\d+) from cache\)", err)
    check(m is not None, f"-v reports parse counts: {err!r}")
    return tuple(int(x) for x in m.groups()) if m else None


def analyse(*extra, env=None):
    rc, out, err = run(A.impviz, "-v", "-T", "json", *extra, PKG, env=env)
    check(rc == 0, f"impviz {' '.join(extra)} exited {rc}: {err}")
    return out, err


truth, err = analyse("--no-cache")
equal(counts(err), (N, N, 0), "--no-cache parses everything")

# cold, then warm: same bytes, and the warm run parses nothing
out, err = analyse("--cache-dir", cache)
equal(counts(err), (N, N, 0), "cold run parses every file")
check(out == truth, "cold run with a cache gives the bytes of --no-cache")
check(os.path.isfile(os.path.join(cache, "parse.cache")), "the cache file is written")
for j in ("1", "2", "3"):
    out, err = analyse("--cache-dir", cache, "-j", j)
    equal(counts(err), (0, N, N), f"warm run -j {j} parses nothing")
    check(out == truth, f"warm run -j {j} gives the same bytes")
    check("impviz: warning: pkg/sub/bad_coding.py: not analysed: unknown encoding 'uft-8'" in err,
          f"warm run -j {j} still warns about the file that is not Python text: {err!r}")

# one file changed: exactly one parse, and the output follows the change
with open(os.path.join(PKG, "c.py"), "a") as f:
    f.write("import json\n")
fresh, err = analyse("--no-cache")
out, err = analyse("--cache-dir", cache)
equal(counts(err), (1, N, N - 1), "after changing one file, only it is parsed")
check(out == fresh and out != truth, "the changed import shows, as without a cache")
out, err = analyse("--cache-dir", cache)
equal(counts(err), (0, N, N), "and the next run parses nothing")

# touched without a change (new time stamp, same bytes): no parse
os.utime(os.path.join(PKG, "b.py"), (1e9, 1e9))
out, err = analyse("--cache-dir", cache)
equal(counts(err), (0, N, N), "a touched but unchanged file is not parsed again")
check(out == fresh, "touching changes nothing")

# same size, same time stamp, different bytes: the content hash is what decides when the
# entry is too recent to trust stat
path = os.path.join(PKG, "d.py")
st = os.stat(path)
with open(path, "r+") as f:
    text = f.read()
    f.seek(0)
    f.write(text.replace("pkg.c", "pkg.a"))
os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
out, err = analyse("--cache-dir", cache)
check(out == analyse("--no-cache")[0], "a same-size edit within the same time stamp is seen")
with open(path, "w") as f:
    f.write(text)
out, err = analyse("--cache-dir", cache)
check(out == fresh, "and undoing it too")

# a removed file drops out; an added file is parsed
os.remove(os.path.join(PKG, "sub", "broken.py"))
out, err = analyse("--cache-dir", cache)
equal(counts(err), (0, N - 1, N - 1), "removing a file parses nothing")
check(out == analyse("--no-cache")[0], "and gives the bytes of --no-cache")
with open(os.path.join(PKG, "sub", "broken.py"), "w") as f:
    f.write(FILES["pkg/sub/broken.py"])

# a corrupt cache (or one from another version) is ignored, said with -v, and rebuilt
with open(os.path.join(cache, "parse.cache"), "r+b") as f:
    f.seek(100)
    f.write(b"\xff" * 64)
out, err = analyse("--cache-dir", cache)
check(out == fresh, "a damaged cache gives the right bytes")
check("ignored and rebuilt" in err, f"and -v says it was ignored: {err!r}")
equal(counts(err)[0], N, "everything is parsed again")
out, err = analyse("--cache-dir", cache)
equal(counts(err), (0, N, N), "the rebuilt cache is good")
with open(os.path.join(cache, "parse.cache"), "wb") as f:
    f.write(b"garbage")
out, err = analyse("--cache-dir", cache)
check(out == fresh and "ignored and rebuilt" in err, "a garbage cache file is replaced")

# two runs at once on the same project: both right, and the cache stays good
procs = [subprocess.Popen([A.impviz, "-T", "json", "--cache-dir", cache, "-j", "1", PKG],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
for p in procs:
    o, e = p.communicate()
    check(p.returncode == 0 and o.decode() == fresh, f"concurrent run: {e.decode()}")
out, err = analyse("--cache-dir", cache)
equal(counts(err), (0, N, N), "after concurrent runs the cache is whole")
leftovers = [n for n in os.listdir(cache) if n.startswith(".parse.cache")]
equal(leftovers, [], "no temporary files are left")

# the default: a directory per project under $XDG_CACHE_HOME/impviz
xdg = os.path.join(tmp, "xdg")
env = {"XDG_CACHE_HOME": xdg}
out, err = analyse(env=env)
check(out == fresh, "default cache: same bytes")
dirs = os.listdir(os.path.join(xdg, "impviz"))
check(len(dirs) == 1 and re.fullmatch(r"[0-9a-f]{16}", dirs[0]) is not None,
      f"one directory named by the project's roots: {dirs}")
out, err = analyse(env=env)
equal(counts(err), (0, N, N), "the default cache is used")
shutil.rmtree(xdg)
out, err = analyse("--no-cache", env=env)
check(not os.path.exists(xdg), "--no-cache writes no cache")

# --cache-local: .impviz_cache/ in the import root, marked as a cache, never analysed
out, err = analyse("--cache-local", env=env)
local = os.path.join(proj, ".impviz_cache")
check(os.path.isfile(os.path.join(local, "parse.cache")), "--cache-local writes .impviz_cache/")
check(os.path.isfile(os.path.join(local, "CACHEDIR.TAG")), "marked with CACHEDIR.TAG")
with open(os.path.join(local, ".gitignore")) as f:
    check("*" in f.read().split(), "ignored by git")
out, err = analyse("--cache-local", env=env)
equal(counts(err), (0, N, N), "--cache-local is used")
check(out == fresh, "--cache-local gives the same bytes")
check(not os.path.exists(xdg), "--cache-local leaves $XDG_CACHE_HOME alone")

# options that contradict each other
rc, out, err = run(A.impviz, "--no-cache", "--cache-local", PKG)
equal(rc, 2, "--no-cache with --cache-local is a usage error")
equal(err.splitlines()[0],
      "impviz: error: --no-cache, --cache-dir and --cache-local exclude each other",
      "its message")

# a cache directory that cannot be made (below a file: fails even for root) never fails the run
blocker = os.path.join(tmp, "a-file")
with open(blocker, "w") as f:
    f.write("x")
out, err = analyse("--cache-dir", os.path.join(blocker, "sub"))
check(out == fresh, "an unwritable cache directory only costs the cache")
check("cache not saved" in err, f"-v says the cache was not saved: {err!r}")

# a parse that depended on the module's package (a relative import looked up in __lazy_modules__)
# is not reused when another root renames the module: inner.m lists "inner.x", outer.inner.m does
# not
lz = os.path.join(tmp, "lz")
for rel, text in {"outer/inner/__init__.py": "", "outer/inner/x.py": "y = 1\n",
                  "outer/inner/m.py": "__lazy_modules__ = ['inner.x']\nfrom .x import y\n"}.items():
    os.makedirs(os.path.dirname(os.path.join(lz, rel)), exist_ok=True)
    with open(os.path.join(lz, rel), "w") as f:
        f.write(text)
lz_cache = os.path.join(tmp, "lz-cache")


def lz_kind(*extra):
    rc, out, err = run(A.impviz, "-v", "-T", "json", "--cache-dir", lz_cache, *extra,
                       os.path.join(lz, "outer"))
    check(rc == 0, f"impviz {extra}: {err}")
    edges = json.loads(out)["edges"]
    equal(len(edges), 1, f"one edge {extra}")
    return edges[0]["source"], edges[0]["kind"], counts(err)


equal(lz_kind(), ("inner.m", "lazy", (3, 3, 0)), "root outer: inner.x is listed, lazy")
equal(lz_kind("--root", lz), ("outer.inner.m", "eager", (1, 3, 2)),
      "root above: outer.inner.x is not listed, eager, and only that file is parsed again")
equal(lz_kind(), ("inner.m", "lazy", (1, 3, 2)), "and back")
equal(lz_kind(), ("inner.m", "lazy", (0, 3, 3)), "then from the cache")

# directory listings (dirs.cache): a warm run reads no directory that did not change, and one
# whose entries changed is read again, even right after the run that listed it. With more than one
# thread, warm walks read the listed directories ahead of the walk (src/discover.c, prefetch): each
# change below runs with one thread and with three, on a tree of a few hundred directories, so that
# the readers and the walk meet
for d in range(120):
    leaf = os.path.join(PKG, "many", f"d{d:03}")
    os.makedirs(os.path.join(leaf, "data", "LC_MESSAGES"))
    with open(os.path.join(leaf, "__init__.py"), "w") as f:
        f.write(f"from pkg.many import d{(d + 1) % 120:03}\n" if d % 7 == 0 else "")
    with open(os.path.join(leaf, "data", "LC_MESSAGES", "django.po"), "w") as f:
        f.write("msgid \"\"\n")
with open(os.path.join(PKG, "many", "__init__.py"), "w") as f:
    f.write("")


def listing_checks(jobs):
    listing_cache = os.path.join(tmp, f"listings-j{jobs}")

    def analyse_warm():
        return analyse("--cache-dir", listing_cache, "-j", jobs)

    analyse_warm()
    check(os.path.isfile(os.path.join(listing_cache, "dirs.cache")), "directory listings are kept")

    def same_as_no_cache(what):
        out, _ = analyse_warm()
        truth, _ = analyse("--no-cache")
        check(out == truth, f"-j {jobs}: {what}: the bytes of --no-cache")
        return out

    def age():
        """Dates every directory long ago, then lists them again: listings of directories changed
        this recently are never trusted, so only now can a stale listing show."""
        for d, _, _ in os.walk(proj):
            os.utime(d, (1e9, 1e9))
        analyse_warm()

    age()
    out = same_as_no_cache("warm run with listings")
    check('"pkg.many.d119"' in out, "every directory is walked")
    age()
    added = os.path.join(PKG, "sub", "g.py")
    with open(added, "w") as f:
        f.write("import pkg.c\n")
    check('"pkg.sub.g"' in same_as_no_cache("a module added"), "the added module is found")
    age()
    os.rename(added, os.path.join(PKG, "sub", "h.py"))
    out = same_as_no_cache("a module renamed")
    check('"pkg.sub.h"' in out and '"pkg.sub.g"' not in out, "the renamed module is found")
    age()
    os.remove(os.path.join(PKG, "sub", "h.py"))
    check('"pkg.sub.h"' not in same_as_no_cache("a module removed"), "the removed module is gone")
    age()
    os.makedirs(os.path.join(PKG, "sub", "deep"))
    with open(os.path.join(PKG, "sub", "deep", "k.py"), "w") as f:
        f.write("from pkg import a\n")
    check('"pkg.sub.deep.k"' in same_as_no_cache("a directory added"), "its module is found")
    age()
    with open(os.path.join(PKG, "sub", "deep", "pyvenv.cfg"), "w") as f:
        f.write("home = /usr/bin\n")
    check('"pkg.sub.deep.k"' not in same_as_no_cache("a directory becomes a virtual environment"),
          "its modules are left out")
    shutil.rmtree(os.path.join(PKG, "sub", "deep"))
    age()
    # a directory early in the walk's order moves every later one from its listed place
    os.makedirs(os.path.join(PKG, "aaa"))
    with open(os.path.join(PKG, "aaa", "first.py"), "w") as f:
        f.write("import pkg.b\n")
    out = same_as_no_cache("a directory added before the others")
    check('"pkg.aaa.first"' in out and '"pkg.many.d119"' in out, "every module is found")
    age()
    shutil.rmtree(os.path.join(PKG, "aaa"))
    shutil.rmtree(os.path.join(PKG, "many", "d003"))
    out = same_as_no_cache("directories removed")
    check('"pkg.aaa.first"' not in out and '"pkg.many.d003"' not in out, "their modules are gone")
    age()
    # a module in a directory of data, deep down and late in the walk: a namespace package
    late = os.path.join(PKG, "many", "d118", "data", "LC_MESSAGES", "late.py")
    with open(late, "w") as f:
        f.write("import pkg.a\n")
    check('"pkg.many.d118.data.LC_MESSAGES.late"' in same_as_no_cache("a module added late"),
          "it is found")
    os.remove(late)
    os.makedirs(os.path.join(PKG, "many", "d003", "data", "LC_MESSAGES"))
    with open(os.path.join(PKG, "many", "d003", "__init__.py"), "w") as f:
        f.write("")
    with open(os.path.join(PKG, "many", "d003", "data", "LC_MESSAGES", "django.po"), "w") as f:
        f.write("msgid \"\"\n")
    # a damaged file is ignored (and rewritten)
    listing_file = os.path.join(listing_cache, "dirs.cache")
    with open(listing_file, "r+b") as f:
        f.seek(os.path.getsize(listing_file) // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0x5A]))
    same_as_no_cache("damaged listings")
    with open(listing_file, "r+b") as f:
        f.truncate(os.path.getsize(listing_file) - 3)
    same_as_no_cache("truncated listings")
    same_as_no_cache("listings rewritten")


for jobs in ("1", "3"):
    listing_checks(jobs)

shutil.rmtree(tmp)
done("cache")
