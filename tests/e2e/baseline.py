"""End-to-end: --write-baseline / --baseline round trips on a project that changes."""
import json
import os
import shutil
import tempfile

from common import args, check, done, equal, run

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-baseline-")


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def project(root):
    """pkg.a <-> pkg.b at import time; pkg.c imports pkg.a (no cycle)."""
    write(root, "pkg/__init__.py", "")
    write(root, "pkg/a.py", "from . import b\n")
    write(root, "pkg/b.py", "from . import a\n")
    write(root, "pkg/c.py", "from . import a\n")


proj = os.path.join(tmp, "proj")
project(proj)
base = os.path.join(tmp, "base.json")

# writing: status 0 even with a cycle, the exact sorted file
rc, out, err = run(A.impviz, "--no-config", "--write-baseline", base, "-q", proj)
equal(rc, 0, "--write-baseline status")
want = {"impviz_baseline": 1,
        "components": [{"members": ["pkg.a", "pkg.b"], "edges": [["pkg.a", "pkg.b"], ["pkg.b", "pkg.a"]]}]}
text = open(base).read()
equal(json.loads(text), want, "baseline contents")
check(text.endswith("}\n") and proj not in text and tmp not in text, "no paths in the baseline")

# stable across machines: the same code elsewhere, with another -j, gives the same bytes
other = os.path.join(tmp, "elsewhere", "deeper", "copy")
shutil.copytree(proj, other)
base2 = os.path.join(tmp, "base2.json")
run(A.impviz, "--no-config", "--write-baseline", base2, "-j", "1", "-q", other)
equal(open(base2).read(), text, "baseline bytes from another directory and -j")

# unchanged code passes
rc, out, err = run(A.impviz, "--no-config", "--baseline", base, proj)
equal((rc, err), (0, ""), "unchanged code against its baseline")
# --check alone still fails on the old cycle: the baseline is what makes it pass
equal(run(A.impviz, "--no-config", "--check", proj)[0], 1, "--check without baseline")

# a new cycle fails, naming it and where it starts
write(proj, "pkg/d.py", "from . import e\n")
write(proj, "pkg/e.py", "import pkg.d\n")
rc, out, err = run(A.impviz, "--no-config", "--baseline", base, proj)
equal(rc, 1, "new cycle status")
equal(err, f"impviz: error: pkg/d.py:1: new import-time cycle (not in baseline '{base}'): "
      "pkg.d -> pkg.e -> pkg.d\n", "new cycle message")

# a component that grew (new member, new edges) fails and says what is new
os.remove(os.path.join(proj, "pkg/d.py"))
os.remove(os.path.join(proj, "pkg/e.py"))
write(proj, "pkg/c.py", "from . import a\n")
write(proj, "pkg/b.py", "from . import a\nfrom . import c\n")
rc, out, err = run(A.impviz, "--no-config", "--baseline", base, proj)
equal(rc, 1, "grown cycle status")
equal(err, f"impviz: error: pkg/b.py:2: import-time cycle of pkg.a, pkg.b, pkg.c grew since "
      f"baseline '{base}': new module pkg.c, new import pkg.b -> pkg.c (pkg/b.py:2), "
      "new import pkg.c -> pkg.a (pkg/c.py:1)\n", "grown cycle message")

# a new edge inside the same members is growth too
write(proj, "pkg/b.py", "from . import a\n")
write(proj, "pkg/c.py", "x = 1\n")
write(proj, "pkg/a.py", "from . import b\nfrom . import c\n")
write(proj, "pkg/c.py", "from . import b\n")
run(A.impviz, "--no-config", "--write-baseline", base2, "-q", proj)  # a, b, c with a->b a->c b->a c->b
write(proj, "pkg/b.py", "from . import a\nfrom . import c\n")
rc, out, err = run(A.impviz, "--no-config", "--baseline", base2, proj)
equal(rc, 1, "new edge inside a recorded component")
check("new import pkg.b -> pkg.c (pkg/b.py:2)" in err and "new module" not in err, f"new edge named: {err}")

# a removed or shrunk cycle passes
write(proj, "pkg/a.py", "def f():\n    from . import b\n")
write(proj, "pkg/b.py", "from . import a\n")
write(proj, "pkg/c.py", "x = 1\n")
rc, out, err = run(A.impviz, "--no-config", "--baseline", base, proj)
equal((rc, err), (0, ""), "removed cycle passes")
write(proj, "pkg/a.py", "from . import b\nfrom . import c\n")
write(proj, "pkg/c.py", "from . import a\n")
write(proj, "pkg/b.py", "from . import a\n")
run(A.impviz, "--no-config", "--write-baseline", base2, "-q", proj)  # a, b, c
write(proj, "pkg/c.py", "x = 1\n")  # c leaves the cycle
equal(run(A.impviz, "--no-config", "--baseline", base2, proj)[0], 0, "shrunk cycle passes")

# a broken or missing baseline is a usage error (2) before any analysis
bad = os.path.join(tmp, "bad.json")
with open(bad, "w") as f:
    f.write('{"impviz_baseline": 1, "components": [{"members": ["a"], "edges": []}]}')
rc, out, err = run(A.impviz, "--no-config", "--baseline", bad, proj)
equal((rc, err), (2, f"impviz: error: invalid baseline '{bad}': components[0].members: expected an "
                     "array of two or more module names\n"), "malformed baseline")
missing = os.path.join(tmp, "missing.json")
rc, out, err = run(A.impviz, "--no-config", "--baseline", missing, proj)
equal(rc, 2, "missing baseline status")
check(err.startswith(f"impviz: error: cannot read baseline '{missing}': "), f"missing baseline: {err}")

shutil.rmtree(tmp)
done("baseline")
