#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""diff_cpython.py - impviz's import-error predictions against CPython's own import.

Generates random small packages (modules, a nested package, top-level modules; `import m`,
`import a.b as c`, `from m import x`, `from . import m`, `from .m import x` at module level, in
functions, under TYPE_CHECKING and in try/except ImportError; definitions and module-level
attribute uses - base classes, decorators, default arguments, calls - before and after the
imports; module-level defs whose bodies import or read module attributes, called by module-level
code: a statement, an assignment, a default value, a class body; names bound by assignment
expressions, deleted with `del`, or under `if False:`/`if 1:`; handlers that raise again; a
PEP 562 module __getattr__), asks impviz what `import M` does for every module (`-T json --entry M`), imports M in
a fresh interpreter (a forked child of a driver that never imported the package), and compares:
no error on both sides, or the same exception type and message raised at the same innermost
file and line. Prints how many cases agreed; exits 1 unless all did.

Usage:
    python3 tests/diff_cpython.py --impviz BIN [--seeds N | --seed S ...] [--keep DIR] [-v]
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import traceback

# ---- the generator ---------------------------------------------------------------------------

KINDS = ("f", "C", "v")  # function of one argument, class, int


class Module:
    def __init__(self, name, is_package):
        self.name = name  # dotted
        self.is_package = is_package
        self.defs = []  # names this module defines (some inside functions: never bound)
        self.lines = []

    @property
    def package(self):
        return self.name if self.is_package else self.name.rpartition(".")[0]

    def path(self, root):
        parts = self.name.split(".")
        if self.is_package:
            return os.path.join(root, *parts, "__init__.py")
        return os.path.join(root, *parts[:-1], parts[-1] + ".py")


def layout(rng):
    """The module tree: package pk with modules, maybe pk.s with modules, maybe top-level ones."""
    mods = [Module("pk", True)]
    for i in range(rng.randint(1, 4)):
        mods.append(Module("pk.m%d" % i, False))
    if rng.random() < 0.6:
        mods.append(Module("pk.s", True))
        for i in range(rng.randint(1, 3)):
            mods.append(Module("pk.s.n%d" % i, False))
    for i in range(rng.randint(0, 2)):
        mods.append(Module("t%d" % i, False))
    for m in mods:
        short = m.name.replace(".", "_")
        m.defs = ["%s%d_%s" % (k, j, short) for j in range(rng.randint(1, 3)) for k in KINDS
                  if rng.random() < 0.7] or ["f0_" + short]
    return mods


def relative_from(src, target):
    """`from <rel> import` prefix reaching target's parent package from src, or None."""
    pkg = src.package
    if not pkg:
        return None
    tparent = target.name.rpartition(".")[0]
    up = 1
    base = pkg
    while base and not (tparent == base or tparent.startswith(base + ".")):
        base = base.rpartition(".")[0]
        up += 1
    if not base:
        return None
    rest = tparent[len(base) + 1:] if tparent != base else ""
    return "." * up + rest


def import_forms(rng, src, target):
    """(statement, alias usable as a module or None, bound name or None)."""
    short = "a_" + target.name.replace(".", "_")
    forms = [("import %s" % target.name, target.name, None),
             ("import %s as %s" % (target.name, short), short, None)]
    parent, _, last = target.name.rpartition(".")
    if parent:
        forms.append(("from %s import %s" % (parent, last), last, None))
        rel = relative_from(src, target)
        if rel is not None:
            forms.append(("from %s import %s" % (rel, last), last, None))
    name = rng.choice(target.defs)
    forms.append(("from %s import %s" % (target.name, name), None, name))
    rel = relative_from(src, Module(target.name + ".x", False))  # reaches target itself
    if rel is not None:
        forms.append(("from %s import %s" % (rel, name), None, name))
    return forms


def use_of(rng, alias, target, counter):
    """A module-level statement reading alias.<name of target>, or None."""
    name = rng.choice(target.defs)
    kind = name[0]
    expr = "%s.%s" % (alias, name)
    n = next(counter)
    shape = rng.choice(("base", "decorator", "default", "call", "assign", "class body"))
    if shape == "base" and kind == "C":
        return ["class K%d(%s):" % (n, expr), "    pass"]
    if shape == "decorator" and kind == "f":
        return ["@%s" % expr, "def g%d():" % n, "    pass"]
    if shape == "default":
        return ["def h%d(a=%s):" % (n, expr), "    return a"]
    if shape == "call" and kind == "f":
        return ["%s(0)" % expr]
    if shape == "class body":
        return ["class B%d:" % n, "    attr = %s" % expr]
    return ["u%d = %s" % (n, expr)]


def called_function(rng, src, mods, aliases, counter):
    """A module-level def whose body imports (`import m`, `from m import x`) or reads a module
    attribute (its own import's, or a module-level alias's), then a call of it by its plain name
    in code run on import: a statement, an assignment, a default value or a class body."""
    n = next(counter)
    lines = ["def run%d():" % n]
    if aliases and rng.random() < 0.35:
        alias, target = rng.choice(aliases)
        lines.append("    return %s.%s" % (alias, rng.choice(target.defs)))
    else:
        target = rng.choice([t for t in mods if t is not src] or mods)
        stmt, alias, _ = rng.choice(import_forms(rng, src, target))
        lines.append("    " + stmt)
        if alias and rng.random() < 0.6:
            lines.append("    return %s.%s" % (alias, rng.choice(target.defs)))
        else:
            lines.append("    return 1")
    shape = rng.choice(("statement", "assign", "default", "class body"))
    if shape == "statement":
        return lines + ["run%d()" % n]
    if shape == "default":
        return lines + ["def after%d(a=run%d()):" % (n, n), "    return a"]
    if shape == "class body":
        return lines + ["class Q%d:" % n, "    v = run%d()" % n]
    return lines + ["r%d = run%d()" % (n, n)]


def definition(name, indent="", rng=None):
    if name[0] == "f":
        return [indent + "def %s(x):" % name, indent + "    return x"]
    if name[0] == "C":
        return [indent + "class %s:" % name, indent + "    pass"]
    if rng and not indent and rng.random() < 0.25:  # an assignment expression binds it too
        return rng.choice((["(%s := 1)" % name], ["if (%s := 1):" % name, "    pass"],
                           ["_ = [(%s := i) for i in (1,)]" % name]))
    return [indent + "%s = 1" % name]


def getattr_hook():
    """A PEP 562 module __getattr__ as lazy loaders write them: the names of submodules (m0,
    n1, s) import them, private ones (__all__ for a star import) have no answer, every other
    name gets something each use accepts (a class: a base, a decorator, a callable, a default)."""
    return ["def __getattr__(name):",
            "    if name[0] == '_':",
            "        raise AttributeError(name)",
            "    if name == 's' or (name[0] in 'mn' and name[1:].isdigit()):",
            "        import importlib",
            "        return importlib.import_module('.' + name, __name__)",
            "    return type(name, (), {'__init__': lambda s, *a: None})"]


def generate(rng, root):
    mods = layout(rng)
    by_name = {m.name: m for m in mods}
    counter = iter(range(10 ** 6))
    for m in mods:
        todo = list(m.defs)
        rng.shuffle(todo)
        aliases = []  # module aliases bound at module level so far
        lines = []
        typing = False
        steps = rng.randint(2, 7)
        while todo or steps > 0:
            r = rng.random()
            if todo and (r < 0.35 or steps <= 0):
                name = todo.pop()
                r2 = rng.random()
                if r2 < 0.08:  # defined only inside a function: never bound
                    lines += ["def make_%s():" % name] + definition(name, "    ")
                elif r2 < 0.13:  # switched off: never bound
                    lines += ["if False:"] + definition(name, "    ")
                elif r2 < 0.18:  # bound, then deleted
                    lines += definition(name) + ["del %s" % name]
                elif r2 < 0.21:  # the true branch of a literal condition runs, the other not
                    lines += ["if 1:"] + definition(name, "    ") + \
                        ["else:", "    del %s" % name]
                else:
                    lines += definition(name, rng=rng)
                if r2 > 0.97 and "def __getattr__(name):" not in lines:
                    lines += getattr_hook()
                continue
            steps -= 1
            if r < 0.75:
                target = rng.choice([t for t in mods if t is not m] or mods)
                stmt, alias, _ = rng.choice(import_forms(rng, m, target))
                where = rng.random()
                if where < 0.5:
                    lines.append(stmt)
                    if alias:
                        aliases.append((alias, target))
                elif where < 0.55:  # an `if` the simulation assumes runs; here it does
                    lines += ["if len('x') == 1:", "    " + stmt]
                    if alias:
                        aliases.append((alias, target))
                elif where < 0.6:
                    lines.append("from %s import *" % target.name)
                elif where < 0.75:
                    lines += ["def use%d():" % next(counter), "    " + stmt, "    return 1"]
                elif where < 0.88:
                    if not typing:
                        lines.append("from typing import TYPE_CHECKING")
                        typing = True
                    lines += ["if TYPE_CHECKING:", "    " + stmt]
                elif where < 0.94:
                    words = stmt.split()
                    bound = words[-1] if words[0] == "from" or "as" in words \
                        else words[1].split(".")[0]
                    lines += ["try:", "    " + stmt, "except ImportError:",
                              "    %s = None" % bound]
                elif where < 0.97:  # a handler that raises again catches nothing
                    lines += ["try:", "    " + stmt, "except ImportError:", "    raise"]
                    if alias:
                        aliases.append((alias, target))
                else:  # switched off
                    lines += ["if False:", "    " + stmt]
            elif r < 0.85:
                lines += called_function(rng, m, mods, aliases, counter)
            elif aliases:
                alias, target = rng.choice(aliases)
                lines += use_of(rng, alias, target, counter)
        m.lines = lines
    for m in mods:
        path = m.path(root)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("\n".join(m.lines) + "\n")
    return [m.name for m in mods]


# ---- the judge: CPython, one fresh interpreter per import -------------------------------------

def cpython_import(root, module):
    """Imports module in a forked child of this process; returns None or (type, msg, path, line).

    The driver never imports generated code itself, so each child starts with a clean sys.modules
    for it, as `python3 -c "import M"` would."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        result = None
        try:
            # as `python3 -I -S -c "import M"` with PYTHONPATH=root: no script directory, no
            # site-packages
            sys.path[:] = [root] + [p for p in sys.path[1:] if not p.endswith("-packages")]
            __import__(module)
        except BaseException as e:  # noqa: BLE001 - any outcome is data
            frames = [f for f in traceback.extract_tb(e.__traceback__)
                      if f.filename.startswith(root + os.sep)]
            last = frames[-1] if frames else None
            msg = str(e).replace(root + os.sep, "")
            result = [type(e).__name__, msg,
                      os.path.relpath(last.filename, root) if last else None,
                      last.lineno if last else None]
        os.write(wfd, json.dumps(result).encode())
        os.close(wfd)
        os._exit(0)
    os.close(wfd)
    data = b""
    while True:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(rfd)
    os.waitpid(pid, 0)
    result = json.loads(data.decode()) if data else ["crash", "", None, None]
    return tuple(result) if result else None


def impviz_predict(impviz, root, module):
    proc = subprocess.run([impviz, "-q", "-T", "json", "--entry", module, root],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("impviz failed on %s (%d): %s" % (module, proc.returncode,
                                                             proc.stderr))
    err = json.loads(proc.stdout)["entry"]["error"]
    if err is None:
        return None
    return (err["type"], err["message"], err["path"], err["line"])


OUTCOMES = {}


def run_case(impviz, seed, workdir, verbose):
    rng = random.Random(seed)
    root = os.path.join(workdir, "case%d" % seed)
    names = generate(rng, root)
    importlib_invalidate()
    agreed = total = 0
    for name in names:
        want = cpython_import(root, name)
        got = impviz_predict(impviz, root, name)
        total += 1
        kind = want[0] if want else "no error"
        OUTCOMES[kind] = OUTCOMES.get(kind, 0) + 1
        if want == got:
            agreed += 1
            continue
        print("DISAGREE seed %d: import %s\n  cpython: %s\n  impviz:  %s\n  files in %s"
              % (seed, name, want, got, root))
    return agreed, total


def importlib_invalidate():
    import importlib
    importlib.invalidate_caches()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--impviz", required=True)
    ap.add_argument("--seeds", type=int, default=0, help="run seeds 1..N")
    ap.add_argument("--seed", type=int, action="append", default=[], help="run this seed")
    ap.add_argument("--first", type=int, default=1, help="first seed for --seeds")
    ap.add_argument("--keep", help="write the packages here and keep them")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    seeds = list(args.seed) + list(range(args.first, args.first + args.seeds))
    if not seeds:
        seeds = list(range(1, 151))
    sys.dont_write_bytecode = True
    workdir = args.keep or tempfile.mkdtemp(prefix="impviz-diff-")
    os.makedirs(workdir, exist_ok=True)
    agreed = total = errors = 0
    try:
        for seed in seeds:
            a, t = run_case(args.impviz, seed, workdir, args.verbose)
            agreed += a
            total += t
            if a == t and not args.keep:
                shutil.rmtree(os.path.join(workdir, "case%d" % seed), ignore_errors=True)
    finally:
        if not args.keep and agreed == total:
            shutil.rmtree(workdir, ignore_errors=True)
    print("%d of %d imports agreed with CPython %s (%d packages; CPython's outcomes: %s)"
          % (agreed, total, sys.version.split()[0], len(seeds),
             ", ".join("%s %d" % kv for kv in sorted(OUTCOMES.items()))))
    return 0 if agreed == total and total else 1


if __name__ == "__main__":
    sys.exit(main())
