#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ast_diff.py - impviz's edges and cycles against the independent `ast` extractor.

    python3 tests/ast_diff.py --impviz BIN [--strict] [--name NAME] [--known FILE]
                              [--min-agreement 0.999] [--root DIR]... PATH...

Compares the (source, target, kind) edge triples between project modules and the import-time
and runtime SCC lists. Files `ast` cannot parse (Python 2, PEP 810 syntax, broken files) are left
out of the edge comparison and counted. With --strict every triple must agree; otherwise the
agreement (|both| / |either|) must reach --min-agreement, the SCC lists must be identical, and
every remaining difference must be listed in the --known file (tab-separated: name, source,
target, kind, side, reason) so that each has a stated reason. Prints the figures.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def impviz_json(binary, roots, paths):
    argv = [binary, "-T", "json", "-q", "--no-gitignore"]
    for r in roots:
        argv += ["--root", r]
    env = dict(os.environ, XDG_CACHE_HOME=tempfile.mkdtemp(prefix="impviz-cache-"))
    p = subprocess.run(argv + paths, capture_output=True, env=env)
    if p.returncode != 0:
        sys.exit(f"impviz failed ({p.returncode}): {p.stderr.decode()}")
    return json.loads(p.stdout)


def ast_json(roots, paths):
    argv = [sys.executable, os.path.join(HERE, "ast_extract.py")]
    for r in roots:
        argv += ["--root", r]
    p = subprocess.run(argv + paths, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"ast_extract failed: {p.stderr.decode()}")
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impviz", required=True)
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--name", default="corpus")
    ap.add_argument("--known")
    ap.add_argument("--min-agreement", type=float, default=0.999)
    ap.add_argument("--root", action="append", default=[])
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()

    mine = impviz_json(a.impviz, a.root, a.paths)
    judge = ast_json(a.root, a.paths)
    failures = []

    mods_mine = {m["name"] for m in mine["modules"]}
    mods_judge = {m["name"] for m in judge["modules"]}
    if mods_mine != mods_judge:
        failures.append(f"module sets differ: only impviz {sorted(mods_mine - mods_judge)[:10]}, "
                        f"only ast {sorted(mods_judge - mods_mine)[:10]}")

    path_to_name = {m["path"]: m["name"] for m in judge["modules"]}
    unparsed = {path_to_name.get(p, p) for p in judge.get("unparsed", [])}
    triples_mine = {(i["source"], i["target"], i["kind"]) for i in mine["imports"]
                    if i["external"] is False and i["target"] and i["target"] != i["source"]
                    and i["source"] not in unparsed}
    triples_judge = {(e["source"], e["target"], e["kind"]) for e in judge["edges"]
                     if e["source"] not in unparsed}
    both = triples_mine & triples_judge
    either = triples_mine | triples_judge
    agreement = len(both) / len(either) if either else 1.0

    known = {}
    if a.known and os.path.exists(a.known):
        for line in open(a.known):
            if line.strip() and not line.startswith("#"):
                f = line.rstrip("\n").split("\t")
                if len(f) >= 6 and f[0] == a.name:
                    known[(f[1], f[2], f[3], f[4])] = f[5]
    diffs = [(t, "impviz") for t in sorted(triples_mine - triples_judge)] + \
            [(t, "ast") for t in sorted(triples_judge - triples_mine)]
    unexplained = [(t, side) for t, side in diffs if (*t, side) not in known]

    sccs_equal = mine["sccs"] == judge["sccs"]
    print(f"{a.name}: {len(mods_mine)} modules, {len(either)} edge triples, "
          f"{len(both)} agree ({100 * agreement:.3f}%), {len(diffs)} differ "
          f"({len(diffs) - len(unexplained)} explained), {len(unparsed)} files ast cannot parse; "
          f"import-time SCCs {len(mine['sccs']['import_time'])} "
          f"({sum(map(len, mine['sccs']['import_time']))} modules), runtime SCCs "
          f"{len(mine['sccs']['runtime'])} ({sum(map(len, mine['sccs']['runtime']))} modules): "
          f"{'identical' if sccs_equal else 'DIFFERENT'}")
    for t, side in diffs[:40]:
        reason = known.get((*t, side), "UNEXPLAINED")
        print(f"  only {side}: {t[0]} -> {t[1]} ({t[2]}): {reason}")
    if not sccs_equal:
        for k in ("import_time", "runtime"):
            if mine["sccs"][k] != judge["sccs"][k]:
                failures.append(f"{k} SCCs differ:\n  impviz {mine['sccs'][k]}\n  ast    {judge['sccs'][k]}")
    if a.strict and diffs:
        failures.append(f"{len(diffs)} edge triples differ")
    if not a.strict:
        if agreement < a.min_agreement:
            failures.append(f"agreement {agreement:.5f} below {a.min_agreement}")
        if unexplained:
            failures.append(f"{len(unexplained)} differences have no reason in {a.known}")
    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    print(f"{a.name}: {'1 passed, 0 failed' if not failures else '0 passed, 1 failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
