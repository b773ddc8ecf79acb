#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""diagnose.py - the cycle diagnosis end to end: JSON contract, text report, --entry, and the
suggestions, on a small project written here whose outcomes CPython itself decides.

The project has a failing cycle (ImportError), a failing cycle through an attribute read
(AttributeError), a cycle that a try/except ImportError makes benign, and a module outside every
cycle. Every prediction (cycle entries and --entry) must match `python3 -c "import M"`.
"""
import json
import os
import subprocess
import sys
import tempfile
import textwrap

sys.path.insert(0, os.path.dirname(__file__))
from common import args, check, done, equal, run, run_json  # noqa: E402

A = args()
FILES = {
    # ImportError: each side takes a name from the other at module level; only b's use of A is
    # at import time, a's use of B is inside a function -> defer a's import
    "app/__init__.py": "",
    "app/a.py": """\
        from app.b import B


        class A:
            def make(self):
                return B()
        """,
    "app/b.py": """\
        from app.a import A


        class B(A):
            pass
        """,
    # AttributeError through a base class read too early
    "app/c.py": """\
        import app.d


        class C(app.d.Base):
            pass
        """,
    "app/d.py": """\
        import app.c


        class Base:
            pass
        """,
    # benign: the circular ImportError is caught
    "app/e.py": """\
        try:
            from app.f import F
        except ImportError:
            F = None
        E = 1
        """,
    "app/f.py": """\
        from app.e import E
        F = 2
        """,
    "app/solo.py": """\
        from app.a import A
        """,
}


def cpython(root, module):
    p = subprocess.run([sys.executable, "-I", "-c",
                        "import sys, traceback\n"
                        f"sys.path.insert(0, {root!r})\n"
                        "try:\n"
                        f"    import {module}\n"
                        "except Exception as e:\n"
                        "    fs = [f for f in traceback.extract_tb(e.__traceback__)\n"
                        f"          if f.filename.startswith({root!r})]\n"
                        "    import json, os\n"
                        f"    print(json.dumps([type(e).__name__, str(e).replace({root!r} + '/', ''),\n"
                        f"                      os.path.relpath(fs[-1].filename, {root!r}), fs[-1].lineno]))\n"
                        "else:\n"
                        "    print('null')\n"],
                       capture_output=True, text=True, env={"PYTHONDONTWRITEBYTECODE": "1"})
    return json.loads(p.stdout)


def outcome(error):
    return None if error is None else [error["type"], error["message"], error["path"],
                                       error["line"]]


with tempfile.TemporaryDirectory() as root:
    for path, text in FILES.items():
        os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(textwrap.dedent(text))
    data = run_json(A.impviz, root)
    equal(len(data["cycles"]), len(data["sccs"]["import_time"]), "one diagnosis per component")
    equal([c["members"] for c in data["cycles"]], data["sccs"]["import_time"],
          "cycles in sccs.import_time order")
    by_members = {tuple(c["members"]): c for c in data["cycles"]}
    for cyc in data["cycles"]:
        check(set(cyc) >= {"members", "cycle", "entries", "suggestions"}, f"keys: {sorted(cyc)}")
        equal([e["module"] for e in cyc["entries"]], cyc["members"], "an entry per member")
        for step in cyc["cycle"]:
            check(set(step) >= {"path", "line", "statement", "source", "target"}, f"step {step}")
            check(not step["path"].startswith("/"), "relative paths")
        equal(cyc["cycle"][0]["source"], cyc["cycle"][-1]["target"], "the chain closes")
        for entry in cyc["entries"]:
            want = cpython(root, entry["module"])
            equal(outcome(entry["error"]), want, f"import {entry['module']} as CPython")
            if entry["error"]:
                chain = entry["error"]["chain"]
                equal((chain[-1]["path"], chain[-1]["line"]),
                      (entry["error"]["path"], entry["error"]["line"]), "chain ends at the error")
                equal(chain[0]["module"], entry["module"], "chain starts at the entry")

    ab = by_members[("app.a", "app.b")]
    equal([(s["path"], s["action"]) for s in ab["suggestions"]], [("app/a.py", "defer")],
          "a.py's import is used only in A.make: defer it")
    equal(ab["suggestions"][0]["functions"], [{"name": "A.make", "line": 5}], "named function")
    cd = by_members[("app.c", "app.d")]
    # c reads app.d.Base at import time; d never uses what it imports: d's import goes
    equal([(s["path"], s["line"], s["action"], s["functions"]) for s in cd["suggestions"]],
          [("app/d.py", 1, "defer", [])], "c <-> d: defer d's unused import")
    # when both sides need the other at import time, the only advice is to restructure
    with tempfile.TemporaryDirectory() as other:
        for path, text in {"q/__init__.py": "", "q/x.py": "from q.y import Y\nX = Y\n",
                           "q/y.py": "import q.x\nclass Y:\n    pass\nZ = q.x.X\n"}.items():
            os.makedirs(os.path.join(other, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(other, path), "w") as f:
                f.write(text)
        (xy,) = run_json(A.impviz, other)["cycles"]
        equal([(s["path"], s["action"], s["names"]) for s in xy["suggestions"]],
              [("q/x.py", "restructure", ["Y"])], "restructure names the names involved")
        check("functions" not in xy["suggestions"][0], "no functions for a restructure")
    # a safe deferral of two imports wins over restructuring at one: restructure is the last resort
    with tempfile.TemporaryDirectory() as other:
        for path, text in {"r/__init__.py": "", "r/a.py": "from r.b import Base\nclass A(Base):\n    pass\n",
                           "r/b.py": "from r.a import A\nfrom r.a import A as A2\n"
                                     "class Base:\n    def make(self):\n        return A(), A2()\n"}.items():
            os.makedirs(os.path.join(other, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(other, path), "w") as f:
                f.write(text)
        (rr,) = run_json(A.impviz, other)["cycles"]
        equal([(s["path"], s["line"], s["action"]) for s in rr["suggestions"]],
              [("r/b.py", 1, "defer"), ("r/b.py", 2, "defer")],
              "two safe deferrals rather than one restructure")
        equal(rr["suggestions"][0]["functions"], [{"name": "Base.make", "line": 4}], "into Base.make")
    ef = by_members[("app.e", "app.f")]
    check(all(e["error"] is None for e in ef["entries"]), "the caught ImportError is benign")

    # --entry: a module outside every cycle, with a chain into one
    entry = run_json(A.impviz, "--entry", "app.solo", root)["entry"]
    equal(entry["module"], "app.solo", "--entry module")
    equal(outcome(entry["error"]), cpython(root, "app.solo"), "--entry app.solo as CPython")
    equal(entry["error"]["chain"][0]["path"], "app/solo.py", "chain starts in the entry file")
    entry = run_json(A.impviz, "--entry", "app", root)["entry"]
    equal(entry["error"], None, "importing the package alone is fine")

    rc, out, err = run(A.impviz, "--entry", "app.nope", root)
    equal(rc, 2, "unknown --entry module: status 2")
    check("impviz: error: unknown module 'app.nope'" in err, f"clear message: {err!r}")

    rc, out, err = run(A.impviz, "--entry", "app.b", root)
    check("entry point:" in out and "import app.b fails" in out, f"text entry section:\n{out}")
    check("app/a.py:6: from app.b import B" not in out, "no invented lines")
    check("defer: move it into A.make (line 5)" in out, f"text suggestion:\n{out}")
    check("warning: fragile" in out, "benign cycles are still a warning")

    # --max-simulation: the simulations stop at the run's budget, and say so
    full = run_json(A.impviz, root)
    steps = {len(c["entries"]) for c in full["cycles"]}
    check(steps == {2} and not any("entries_omitted" in c for c in full["cycles"]),
          "by default every member is predicted")
    rc, out, err = run(A.impviz, "--max-simulation", "1", "-T", "json", root)
    cut = json.loads(out)
    equal([(len(c["entries"]), c.get("entries_omitted")) for c in cut["cycles"]],
          [(0, 2)] * len(full["cycles"]), "--max-simulation 1: no member predicted")
    check("impviz: warning: the import simulation stopped at its limit of 1 statements "
          "(see --max-simulation): 6 cycle members were not predicted" in err,
          f"the budget's warning: {err!r}")
    benign = tempfile.mkdtemp(prefix="impviz-benign-")
    for path in ("app/__init__.py", "app/e.py", "app/f.py"):
        os.makedirs(os.path.join(benign, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(benign, path), "w") as f:
            f.write(textwrap.dedent(FILES[path]))
    equal(run(A.impviz, "--check", "--fail-on", "error", benign)[0], 0,
          "--fail-on error passes a benign cycle")
    equal(run(A.impviz, "--check", "--fail-on", "error", "--max-simulation", "1", benign)[0], 1,
          "--fail-on error fails safe on members not predicted")
    equal(run_json(A.impviz, "--max-simulation", "0", root)["cycles"], full["cycles"],
          "--max-simulation 0: no limit")
    # predictions run on several threads give what one thread gives, wherever the budget cuts
    for budget in list(range(0, 61)) + [100, 1000]:
        # --no-cache: a kept diagnosis would be taken whatever -j says
        one = run(A.impviz, "-j", "1", "--max-simulation", str(budget), "-T", "json", "--no-cache",
                  root)
        for jobs in ("2", "4"):
            equal(run(A.impviz, "-j", jobs, "--max-simulation", str(budget), "-T", "json",
                      "--no-cache", root),
                  one, f"--max-simulation {budget}: -j {jobs} gives -j 1's output")
    rc, out, err = run(A.impviz, "--max-simulation", "-5", root)
    check(rc == 2 and "--max-simulation take numbers >= 0" in err, f"negative budget: {err!r}")

# a module-level def called on import runs its body then: its imports and attribute reads happen
# at the call (a frame for the call, then the body's line), and its names cannot be deferred into it
def project(files):
    root = tempfile.mkdtemp(prefix="impviz-call-")
    for path, text in files.items():
        os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(text)
    return root


def frames(root, module):
    error = run_json(A.impviz, "--no-cache", "--entry", module, root)["entry"]["error"]
    equal(outcome(error), cpython(root, module), f"--entry {module} as CPython")
    return error and [(c["path"], c["line"], c["statement"]) for c in error["chain"]]


CALLS = {
    # g9: run() runs at import time, so helper cannot move into it
    "g9": {"p/__init__.py": "", "p/a.py": "from p.b import helper\n\n\ndef run():\n"
           "    return helper()\n\n\nRESULT = run()\n",
           "p/b.py": "from p.a import RESULT\n\n\ndef helper():\n    return 1\n"},
    # g5: a called function reads b.B before b binds it
    "g5": {"p/__init__.py": "", "p/a.py": "from p import b\ndef helper():\n    return b.B\nhelper()\n",
           "p/b.py": "import p.a\nB = 1\n"},
    # g6: a deferred import inside load(), run by `X = load()`
    "g6": {"p/__init__.py": "", "p/a.py": "def load():\n    from p.b import B\n    return B\nX = load()\n",
           "p/b.py": "from p.a import X\nB = 1\n"},
    # a class body's frame: CPython shows `class K:` between the module and the failing line
    "class": {"p/__init__.py": "", "p/a.py": "from p import b\n\n\nclass K:\n    x = 1\n    y = b.Y\n",
              "p/b.py": "import p.a\nY = 1\n"},
}
roots = {name: project(files) for name, files in CALLS.items()}
(g9,) = run_json(A.impviz, "--no-cache", roots["g9"])["cycles"]
equal([(s["path"], s["line"], s["action"], s.get("functions")) for s in g9["suggestions"]],
      [("p/b.py", 1, "defer", [])], "g9: no defer into run, which runs on import")
rc, out, err = run(A.impviz, "--no-cache", roots["g9"])
check("move it into run" not in out, f"g9: no defer into run:\n{out}")
equal(frames(roots["g5"], "p.a"), None, "g5: import p.a is fine")
equal(frames(roots["g5"], "p.b"),
      [("p/b.py", 1, "import p.a"), ("p/a.py", 4, "helper()"), ("p/a.py", 3, "return b.B")],
      "g5: the call's frame, then the body's read")
equal(frames(roots["g6"], "p.a"),
      [("p/a.py", 4, "X = load()"), ("p/a.py", 2, "from p.b import B"),
       ("p/b.py", 1, "from p.a import X")], "g6: the deferred import runs at the call")
equal(frames(roots["g6"], "p.b"),
      [("p/b.py", 1, "from p.a import X"), ("p/a.py", 4, "X = load()"),
       ("p/a.py", 2, "from p.b import B")], "g6 from p.b")
entry = run_json(A.impviz, "--no-cache", "--entry", "p.a", roots["g6"])["entry"]
check(entry["error"]["assumptions"], "a called body's events rest on an assumption")
equal(frames(roots["class"], "p.b"),
      [("p/b.py", 1, "import p.a"), ("p/a.py", 4, "class K:"), ("p/a.py", 6, "y = b.Y")],
      "the class body's frame")
for root in roots.values():
    subprocess.run(["rm", "-rf", root], check=True)
done("diagnose")
