"""End-to-end: hostile inputs that are big. A 100 MB generated file (skipped by the default size
limit with a warning; read in full with --max-file-size 0, peak memory printed), and projects of
100 000 modules in one import chain and in one cycle (no recursion limit, every output format).
Everything is generated in a temporary directory; nothing big is committed.
"""
import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from common import args, check, done, equal, run

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-big-")
N = 100000

# ---- a 100 MB file ------------------------------------------------------------------------------

CHUNK = '''

def function_{i}(a, b=None):
    """Docstring of function {i}: it does a thing.

    It has a long explanation that goes on for a while, as docstrings do.
    """
    import json  # deferred
    total = a + (b or 0) * {i}
    return json.dumps({{"total": total, "name": "function_{i}"}})


class Thing{i}(object):
    # a comment line that is fairly long, the way comments in real code often are
    value = {i}
'''
big_dir = os.path.join(tmp, "bigfile")
os.makedirs(big_dir)
with open(os.path.join(big_dir, "small.py"), "w") as f:
    f.write("import huge\n")
size, chunks = 0, 0
with open(os.path.join(big_dir, "huge.py"), "w") as f:
    f.write("import os\n")
    while size < 100 * 1024 * 1024:
        text = CHUNK.format(i=chunks)
        f.write(text)
        size += len(text)
        chunks += 1
    f.write("import collections\n")
huge_size = os.path.getsize(os.path.join(big_dir, "huge.py"))

rc, out, err = run(A.impviz, big_dir, "-T", "json")
equal((rc, err.splitlines()), (0, [
    f"impviz: warning: huge.py: file of {huge_size} bytes is over the size limit of 16777216 (see --max-file-size); not analysed",
]), "a 100 MB file: skipped by the default limit, with a warning naming it")
equal([m["name"] for m in json.loads(out)["modules"]], ["small"], "the rest is analysed")

before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
p = subprocess.run([A.impviz, big_dir, "-T", "json", "--max-file-size", "0", "-j", "1"],
                   capture_output=True)
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
equal((p.returncode, p.stderr), (0, b""), "--max-file-size 0: the 100 MB file is read")
data = json.loads(p.stdout)
huge = [i for i in data["imports"] if i["source"] == "huge"]
equal(len(huge), 2 + chunks, "every import of the 100 MB file")
equal((huge[0]["target"], huge[-1]["target"]), ("os", "collections"), "first and last import")
print(f"peak RSS reading a {huge_size >> 20} MiB file: {peak_kib >> 10} MiB")
check(peak_kib < 6 * 1024 * 1024, f"peak memory for 100 MB stays below 6 GiB: {peak_kib >> 10} MiB")
shutil.rmtree(big_dir)

# ---- 100 000 modules in one chain, and in one cycle ---------------------------------------------


root = os.path.join(tmp, "long")
os.makedirs(os.path.join(root, "p"))
open(os.path.join(root, "p", "__init__.py"), "w").close()
for i in range(N):
    with open(os.path.join(root, "p", f"m{i}.py"), "w") as f:
        f.write(f"from p import m{i + 1}\n" if i + 1 < N else "x = 1\n")
edge = re.compile(r'^\s*"p\.m\d+" -> "p\.m\d+"', re.M)

for name, cycle in (("chain", False), ("cycle", True)):
    if cycle:  # the last module closes the chain into one cycle
        with open(os.path.join(root, "p", f"m{N - 1}.py"), "w") as f:
            f.write("from p import m0\n")
    n_edges = N if cycle else N - 1
    rc, out, err = run(A.impviz, root, "-T", "json")
    equal((rc, err), (0, ""), f"{name}: JSON without a message")
    data = json.loads(out)
    equal((len(data["modules"]), len(data["edges"])), (N + 1, n_edges), f"{name}: every module and edge")
    sccs = data["sccs"]["import_time"]
    if cycle:
        equal([len(c) for c in sccs], [N], "cycle: one component of 100 000 modules")
    else:
        equal(sccs, [], "chain: no component")
    rc, out, err = run(A.impviz, root)
    equal(rc, 0, f"{name}: text report")
    if cycle:
        lines = out.splitlines()
        equal(lines[1:3], ["1 import-time cycle (100000 modules):", "  cycle 1: 100000 modules"],
              "cycle: the text report names it")
        equal(lines[3].count(" -> "), N, "cycle: the shortest cycle has every member")
    rc, out, err = run(A.impviz, root, "-T", "dot")
    equal((rc, err), (0, ""), f"{name}: DOT without a message")
    equal(len(edge.findall(out)), n_edges, f"{name}: DOT has every edge")

shutil.rmtree(tmp, ignore_errors=True)
done("hostile_big")
