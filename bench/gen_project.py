#!/usr/bin/env python3
"""gen_project.py - writes a synthetic Python project for impviz's scale benchmark.

    bench/gen_project.py [--modules N] [--seed S] OUTDIR

Writes OUTDIR/genproj/..., a package tree of N modules (default 100 000): nested packages three
levels deep, files of about 2-8 KB (classes, methods, docstrings, module-level code), each
importing a handful of project modules (mostly near it in the tree, some far: a skewed fan-out),
the standard library, and now and then deferred (in-function), TYPE_CHECKING and relative
imports. Most project imports point "down" the module order, so the graph is mostly a DAG, but
about 1 module in 50 imports "up" within its package, which closes import cycles. The same seed
gives the same bytes. Prints "modules N bytes B" when done.
"""
import argparse
import os
import random

STDLIB = ["os", "sys", "re", "json", "typing", "functools", "itertools", "collections",
          "dataclasses", "pathlib", "logging", "math", "abc", "enum", "contextlib"]
WORDS = ("alpha beta gamma delta model view record table cache store query index event "
         "handler config option value result state source target node edge graph path item "
         "order user account policy rule batch stream buffer window").split()


def tree(n_modules, rng):
    """Module names, nested packages of about 20 modules each, three levels deep."""
    names = []
    per_pkg = 20
    n_leaf = max(1, n_modules // per_pkg)
    fan = max(2, round(n_leaf ** (1 / 3)))
    packages = []
    for i in range(n_leaf):
        a, b, c = i // (fan * fan), (i // fan) % fan, i % fan
        packages.append(f"genproj.p{a:03d}.s{b:03d}.m{c:03d}")
    k = 0
    while len(names) < n_modules:
        pkg = packages[k % len(packages)]
        names.append(f"{pkg}.mod{k // len(packages):03d}")
        k += 1
    return sorted(names), sorted(set(packages))


def body(rng, target_size):
    """Module-level code of about target_size bytes: classes with methods, functions."""
    out = []
    size = 0
    n = 0
    while size < target_size:
        w1, w2 = rng.choice(WORDS), rng.choice(WORDS)
        if rng.random() < 0.5:
            lines = [f"class {w1.title()}{w2.title()}{n}:",
                     f'    """A {w1} of {w2}s, kept for the benchmark."""',
                     "",
                     f"    limit = {rng.randint(1, 1000)}",
                     "",
                     "    def __init__(self, source, count=0):",
                     "        self.source = source",
                     "        self.count = count",
                     f"        self.items = [x for x in range(count) if x % {rng.randint(2, 9)}]",
                     "",
                     f"    def {w2}_total(self, factor=1.5):",
                     "        total = 0",
                     "        for item in self.items:",
                     "            if item > self.limit:",
                     "                total += item * factor",
                     "            else:",
                     "                total -= item",
                     "        return total",
                     ""]
        else:
            lines = [f"def {w1}_{w2}_{n}(values, key=None):",
                     f'    """Return the {w1} of the {w2} values."""',
                     "    seen = {}",
                     "    for v in values:",
                     "        k = key(v) if key else v",
                     "        seen[k] = seen.get(k, 0) + 1",
                     f"    return sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))[:{rng.randint(3, 30)}]",
                     ""]
        text = "\n".join(lines) + "\n"
        out.append(text)
        size += len(text)
        n += 1
    return "".join(out)


def module_text(i, names, rng, index_of_pkg):
    name = names[i]
    pkg = name.rsplit(".", 1)[0]
    lo, hi = index_of_pkg[pkg]
    lines = [f'"""{name}: generated for impviz\'s benchmark."""']
    for m in sorted(rng.sample(STDLIB, rng.randint(1, 4))):
        lines.append(f"import {m}")
    # skewed fan-out: most modules import few, some import many
    fan = min(int(rng.paretovariate(1.6) * 2), 30)
    targets = set()
    for _ in range(fan):
        r = rng.random()
        if r < 0.6 and i > lo:  # a sibling earlier in the package
            targets.add(rng.randrange(lo, i))
        elif r < 0.9 and i > 0:  # anywhere earlier
            targets.add(rng.randrange(0, i))
    if rng.random() < 0.02 and i + 1 < hi:  # a sibling later in the package: closes cycles
        targets.add(rng.randrange(i + 1, hi))
    deferred = []
    typing_only = []
    for t in sorted(targets):
        tname = names[t]
        r = rng.random()
        if r < 0.1:
            deferred.append(tname)
        elif r < 0.15:
            typing_only.append(tname)
        elif tname.rsplit(".", 1)[0] == pkg and r < 0.4:
            lines.append(f"from . import {tname.rsplit('.', 1)[1]}")
        elif r < 0.7:
            lines.append(f"import {tname}")
        else:
            parent, leaf = tname.rsplit(".", 1)
            lines.append(f"from {parent} import {leaf}")
    if typing_only:
        lines.append("from typing import TYPE_CHECKING")
        lines.append("if TYPE_CHECKING:")
        lines.extend(f"    import {t}" for t in typing_only)
    lines.append("")
    text = "\n".join(lines) + "\n"
    for k, t in enumerate(deferred):
        text += f"def _late_{k}():\n    import {t}\n    return {t}\n\n"
    return text + body(rng, rng.randint(2000, 8000) - len(text))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("outdir")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    names, packages = tree(a.modules, rng)
    index_of_pkg = {}
    for i, n in enumerate(names):
        pkg = n.rsplit(".", 1)[0]
        lo, hi = index_of_pkg.get(pkg, (i, i))
        index_of_pkg[pkg] = (min(lo, i), i + 1)
    total = 0
    all_pkgs = set()
    for p in packages:
        parts = p.split(".")
        for k in range(1, len(parts) + 1):
            all_pkgs.add(".".join(parts[:k]))
    for p in sorted(all_pkgs):
        d = os.path.join(a.outdir, *p.split("."))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "__init__.py"), "w") as f:
            f.write(f'"""Package {p}."""\n')
    for i, n in enumerate(names):
        text = module_text(i, names, rng, index_of_pkg)
        with open(os.path.join(a.outdir, *n.split(".")) + ".py", "w") as f:
            f.write(text)
        total += len(text)
    print(f"modules {len(names) + len(all_pkgs)} bytes {total}")


if __name__ == "__main__":
    main()
