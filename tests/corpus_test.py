#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""corpus_test.py - the differential corpus test for one real code base.

    python3 tests/corpus_test.py --impviz BIN {django|sympy|stdlib}

Finds the code base the way ../shared/corpora.sh does (Debian installs Django and SymPy for
/usr/bin/python3; the stdlib is that of the python3 on PATH) and runs ast_diff.py on it with the
known differences in tests/corpus_known_differences.tsv. A missing corpus is a failure, not a
skip: `scripts/install-deps --tests` installs them.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def locate(name):
    if name == "stdlib":
        code = 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'
        exe = "python3"
    else:
        code = (f"import importlib.util as u, os; s = u.find_spec('{name}'); "
                "print(os.path.dirname(s.origin) if s and s.origin else '')")
        exe = "/usr/bin/python3"
    p = subprocess.run([exe, "-c", code], capture_output=True, text=True)
    return p.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impviz", required=True)
    ap.add_argument("name")
    a = ap.parse_args()
    path = locate(a.name)
    if not path or not os.path.isdir(path):
        print(f"corpus_test: {a.name} is not installed (run scripts/install-deps --tests)",
              file=sys.stderr)
        print(f"{a.name}: 0 passed, 1 failed")
        return 1
    print(f"{a.name}: {path}")
    return subprocess.call([sys.executable, os.path.join(HERE, "ast_diff.py"), "--impviz", a.impviz,
                            "--name", a.name, "--known",
                            os.path.join(HERE, "corpus_known_differences.tsv"), path])


if __name__ == "__main__":
    sys.exit(main())
