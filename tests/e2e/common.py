"""Shared helpers for the end-to-end tests: run the real binary, parse its outputs."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

failures = 0
checks = 0


def args():
    p = argparse.ArgumentParser()
    p.add_argument("--impviz", required=True)
    p.add_argument("--source", required=True)
    a = p.parse_args()
    a.impviz = os.path.abspath(a.impviz)
    a.source = os.path.abspath(a.source)
    return a


def run(impviz, *argv, cwd=None, env=None):
    """Runs impviz; returns (exit status, stdout text, stderr text)."""
    full_env = dict(os.environ)
    full_env.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="impviz-cache-"))
    if env:
        full_env.update(env)
    p = subprocess.run([impviz, *argv], capture_output=True, cwd=cwd, env=full_env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def run_json(impviz, *argv, **kw):
    rc, out, err = run(impviz, *argv, "-T", "json", **kw)
    check(rc in (0, 1), f"impviz {' '.join(argv)} -T json exited {rc}: {err}")
    return json.loads(out)


def check(cond, message):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {message}", file=sys.stderr)
    return cond


def equal(got, want, what):
    return check(got == want, f"{what}:\n  got  {got!r}\n  want {want!r}")


def done(name):
    print(f"{name}: {checks - failures} of {checks} checks passed")
    sys.exit(1 if failures else 0)
