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
    argv = [sys.executable, os.path.join(HERE, "ast_extract.py"), "--lines"]
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

    # the aggregated edges too: one per (source, target), the strongest kind, and the import
    # lines behind it (impviz counts records, one per imported name: compare distinct lines)
    rank = {"eager": 0, "deferred": 1, "lazy": 2, "typing": 3}
    judge_edges, judge_lines = {}, {}
    for e in judge["edges"]:
        if e["source"] in unparsed:
            continue
        key = (e["source"], e["target"])
        if key not in judge_edges or rank[e["kind"]] < rank[judge_edges[key]]:
            judge_edges[key] = e["kind"]
        judge_lines.setdefault(key, set()).update(e["lines"])
    mine_edges = {(e["source"], e["target"]): e for e in mine["edges"] if e["source"] not in unparsed}
    mine_lines, mine_records = {}, {}
    for i in mine["imports"]:
        key = (i["source"], i["target"])
        if key in mine_edges:
            mine_lines.setdefault(key, set()).add(i["line"])
            mine_records[key] = mine_records.get(key, 0) + 1
    edge_agree = sum(1 for k, e in mine_edges.items() if judge_edges.get(k) == e["kind"])
    edge_either = len(set(mine_edges) | set(judge_edges))
    lines_agree = sum(1 for k in mine_edges if mine_lines.get(k) == judge_lines.get(k))
    edge_agreement = edge_agree / edge_either if edge_either else 1.0
    lines_agreement = lines_agree / edge_either if edge_either else 1.0
    miscounted = [k for k, e in mine_edges.items() if e["count"] != mine_records.get(k)]
    print(f"{a.name}: aggregated edges {edge_either}: kind agrees on {edge_agree} "
          f"({100 * edge_agreement:.3f}%), import lines agree on {lines_agree} "
          f"({100 * lines_agreement:.3f}%); counts equal to the imports behind them: "
          f"{len(mine_edges) - len(miscounted)} of {len(mine_edges)}")
    if miscounted:
        failures.append(f"edge counts differ from their imports: {miscounted[:5]}")
    if a.strict and (edge_agree != edge_either or lines_agree != edge_either):
        bad = sorted(set(mine_edges) | set(judge_edges))
        bad = [(k, mine_edges.get(k, {}).get("kind"), judge_edges.get(k), sorted(mine_lines.get(k, ())),
                sorted(judge_lines.get(k, ()))) for k in bad
               if judge_edges.get(k) != mine_edges.get(k, {}).get("kind")
               or mine_lines.get(k) != judge_lines.get(k)]
        failures.append(f"aggregated edges differ (edge, impviz kind, ast kind, lines): {bad[:5]}")
    if not a.strict and min(edge_agreement, lines_agreement) < a.min_agreement:
        failures.append(f"aggregated edge agreement {edge_agreement:.5f} / lines {lines_agreement:.5f} "
                        f"below {a.min_agreement}")

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
