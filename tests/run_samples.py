#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run_samples.py - import every module of every sample under CPython and report what fails.

For each samples/<sample>/{before,after} import root and each module in it, runs
    python3 -c "import <module>"
in a fresh process with PYTHONPATH=tests/stubs:<root> and prints one JSON object:

    {"<sample>/<variant>": {"<module>": null | {"type": "ImportError",
                                                "message": "...",
                                                "path": "pkg/a.py",   # relative to the root
                                                "line": 12}}}

path/line are the innermost traceback frame inside the sample root (null if none is).
File paths CPython puts in messages are made relative to the root (--absolute-messages
keeps them as printed), so reports are the same on every machine.
This is the judge for impviz's "what will this cycle raise" predictions.

Exit status: 0 when every before/ has at least one failing module and every after/ has
none, 1 otherwise (the offending roots are named on stderr), 2 on misuse.
--run-main also runs each root's main.py as a script, so after/'s deferred imports are
exercised at run time too (reported on stderr; failures in after/ count as errors).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
VARIANTS = ("before", "after")
SKIP_DIRS = {"__pycache__", ".git"}

FRAME_RE = re.compile(r'^  File "(?P<file>.*)", line (?P<line>\d+)')
EXC_RE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?:: (?P<msg>.*))?$")


def modules_in(root):
    """Dotted names of every .py module below an import root, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        rel = os.path.relpath(dirpath, root)
        parts = [] if rel == "." else rel.split(os.sep)
        for fn in sorted(filenames):
            if not fn.endswith(".py"):
                continue
            stem = fn[:-3]
            if stem == "__init__":
                if parts:
                    out.append(".".join(parts))
            else:
                out.append(".".join(parts + [stem]))
    return sorted(out)


def parse_traceback(stderr, root):
    """(type, message, path, line) of the final exception in a CPython traceback."""
    lines = stderr.rstrip("\n").splitlines()
    frames = []
    last_frame_at = -1
    for i, ln in enumerate(lines):
        m = FRAME_RE.match(ln)
        if m:
            frames.append((m.group("file"), int(m.group("line"))))
            last_frame_at = i
    exc_type, message = None, None
    for i in range(last_frame_at + 1, len(lines)):
        ln = lines[i]
        if ln and not ln[0].isspace():
            m = EXC_RE.match(ln)
            if m:
                exc_type = m.group("type")
                message = "\n".join([m.group("msg") or ""] + lines[i + 1:]).rstrip()
            else:
                exc_type, message = "Error", "\n".join(lines[i:])
            break
    if exc_type is None:                       # no traceback at all (killed, etc.)
        exc_type, message = "Error", stderr.strip()
    path = line = None
    real_root = os.path.realpath(root)
    for f, n in reversed(frames):
        rf = os.path.realpath(f)
        if rf.startswith(real_root + os.sep):
            path = os.path.relpath(rf, real_root).replace(os.sep, "/")
            line = n
            break
    return exc_type, message, path, line


def run_python(python, args, root, stubs, cwd):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([stubs, root])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONSTARTUP", None)
    env.pop("PYTHONHOME", None)
    return subprocess.run([python] + args, env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def import_result(python, module, root, stubs, cwd, absolute=False):
    proc = run_python(python, ["-c", f"import {module}"], root, stubs, cwd)
    if proc.returncode == 0:
        return None
    exc_type, message, path, line = parse_traceback(proc.stderr, root)
    if not absolute:
        # CPython names the module's file by absolute path; keep reports machine-independent.
        message = message.replace(os.path.realpath(root) + os.sep, "")
        if os.path.realpath(root) != os.path.abspath(root):
            message = message.replace(os.path.abspath(root) + os.sep, "")
    return {"type": exc_type, "message": message, "path": path, "line": line}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="run_samples.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter to import with (default: this one)")
    ap.add_argument("--samples", default=os.path.join(REPO, "samples"), help="samples directory")
    ap.add_argument("--stubs", default=os.path.join(HERE, "stubs"),
                    help="directory holding the tensorflow stub")
    ap.add_argument("--only", action="append", default=[], metavar="SAMPLE",
                    help="run just this sample (repeatable)")
    ap.add_argument("--run-main", action="store_true",
                    help="also run each root's main.py as a script (report on stderr)")
    ap.add_argument("--absolute-messages", action="store_true",
                    help="keep CPython's absolute file paths in messages (default: paths "
                         "below the sample root are made relative to it)")
    ap.add_argument("--indent", type=int, default=2)
    a = ap.parse_args(argv)

    samples_dir = os.path.abspath(a.samples)
    stubs = os.path.abspath(a.stubs)
    if not os.path.isdir(samples_dir):
        ap.error(f"no samples directory '{a.samples}'")
    names = sorted(d for d in os.listdir(samples_dir)
                   if all(os.path.isdir(os.path.join(samples_dir, d, v)) for v in VARIANTS))
    if a.only:
        unknown = sorted(set(a.only) - set(names))
        if unknown:
            ap.error(f"unknown sample(s): {', '.join(unknown)}")
        names = [n for n in names if n in a.only]

    report, problems = {}, []
    with tempfile.TemporaryDirectory(prefix="impviz-samples-") as cwd:
        for name in names:
            for variant in VARIANTS:
                root = os.path.join(samples_dir, name, variant)
                key = f"{name}/{variant}"
                results = {m: import_result(a.python, m, root, stubs, cwd, a.absolute_messages)
                           for m in modules_in(root)}
                report[key] = results
                failing = [m for m, r in results.items() if r is not None]
                if variant == "before" and not failing:
                    problems.append(f"{key}: no module fails to import")
                if variant == "after" and failing:
                    problems.append(f"{key}: {', '.join(failing)} fail(s) to import")
                if a.run_main and os.path.isfile(os.path.join(root, "main.py")):
                    proc = run_python(a.python, [os.path.join(root, "main.py")], root, stubs, cwd)
                    tail = (proc.stdout if proc.returncode == 0 else proc.stderr).strip()
                    tail = tail.splitlines()[-1] if tail else ""
                    print(f"{key}/main.py: exit {proc.returncode}: {tail}", file=sys.stderr)
                    if variant == "after" and proc.returncode != 0:
                        problems.append(f"{key}: main.py exits {proc.returncode}")

    json.dump(report, sys.stdout, indent=a.indent, sort_keys=True)
    sys.stdout.write("\n")
    for p in problems:
        print(f"run_samples: error: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
