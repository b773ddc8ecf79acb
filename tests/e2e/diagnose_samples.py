#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""diagnose_samples.py - impviz's predicted import errors for every sample module, against the
errors CPython really raises (tests/run_samples.py runs each `import M` in a fresh interpreter,
with the tensorflow stub on the path).

For every module of every samples/*/{before,after} root: `impviz -T json --entry M ROOT` must
give the same outcome as CPython: no error, or the same type, message, innermost file and line.
Also checks the diagnosis of each before/ cycle: its entries agree with CPython too, and the
suggested fix names an import on the cycle.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import args, check, done, equal, run_json  # noqa: E402

A = args()
proc = subprocess.run([sys.executable, os.path.join(A.source, "tests", "run_samples.py")],
                      capture_output=True, text=True)
check(proc.returncode == 0, f"run_samples.py failed: {proc.stderr}")
real = json.loads(proc.stdout)
check(len(real) == 6, f"six sample roots: {sorted(real)}")


def predicted(error):
    if error is None:
        return None
    return {k: error[k] for k in ("type", "message", "path", "line")}


agreed = total = 0
for where, modules in sorted(real.items()):
    root = os.path.join(A.source, "samples", *where.split("/"))
    for module, want in sorted(modules.items()):
        got = predicted(run_json(A.impviz, "--entry", module, root)["entry"]["error"])
        total += 1
        agreed += got == want
        equal(got, want, f"{where}: import {module}")
    if where.endswith("/before"):
        data = run_json(A.impviz, root)
        check(len(data["cycles"]) == 1, f"{where}: one diagnosed cycle")
        for cyc in data["cycles"]:
            for entry in cyc["entries"]:
                equal(predicted(entry["error"]), modules[entry["module"]],
                      f"{where}: cycle entry {entry['module']}")
            steps = {(s["path"], s["line"]) for s in cyc["cycle"]}
            check(any((s["path"], s["line"]) in steps for s in cyc["suggestions"]),
                  f"{where}: a suggestion changes an import of the cycle: {cyc['suggestions']}")
print(f"diagnose_samples: {agreed} of {total} sample imports agreed with CPython")
done("diagnose_samples")
