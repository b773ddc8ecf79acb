"""Valgrind memcheck on the real binary: no leak ("definitely" or "indirectly lost") and no
invalid access on the samples (every picture format, layout in-process and in a child) and on
Django (the analysis and the JSON report; its layout alone would take many minutes under
Valgrind). tests/valgrind.supp suppresses what Graphviz and fontconfig keep or lose by design,
by the functions inside them that allocate it, so impviz's own leaks stay reported, and so does a
Graphviz object impviz forgets (an agopen never agclosed)."""
import argparse
import os
import subprocess
import sys
import tempfile

p = argparse.ArgumentParser()
p.add_argument("--impviz", required=True)
p.add_argument("--source", required=True)
A = p.parse_args()
tmp = tempfile.mkdtemp(prefix="impviz-valgrind-")
supp = os.path.join(A.source, "tests/valgrind.supp")
# the command's allocator is mimalloc (CMakeLists.txt): memcheck replaces it as it replaces libc's
# --num-callers: the suppressions name functions up to about 40 frames below the allocation
VALGRIND = ["valgrind", "-q", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99", "--child-silent-after-fork=yes", f"--suppressions={supp}",
            "--num-callers=50", "--soname-synonyms=somalloc=libmimalloc.so*"]
failures = 0


def memcheck(*argv, status=0):
    global failures
    proc = subprocess.run([*VALGRIND, A.impviz, *argv], capture_output=True, text=True,
                          env=dict(os.environ, XDG_CACHE_HOME=tmp))
    reports = [l for l in proc.stderr.splitlines() if l.startswith("==")]
    ok = proc.returncode == status and not reports
    print(f"{'ok' if ok else 'FAIL'}: impviz {' '.join(argv)} (exit {proc.returncode})")
    if not ok:
        failures += 1
        print(proc.stderr[-6000:], file=sys.stderr)


samples = os.path.join(A.source, "samples")
for sample in sorted(os.listdir(samples)):
    for variant in ("before", "after"):
        path = os.path.join(samples, sample, variant)
        if os.path.isdir(path):
            memcheck(path, "-o", os.path.join(tmp, f"{sample}_{variant}.svg"), "--timeout", "0")
before = os.path.join(samples, "cross_layers/before")
for fmt in ("text", "json", "dot", "png", "sarif", "markdown", "mermaid"):
    memcheck(before, "-T", fmt, "-o", os.path.join(tmp, f"out.{fmt}"), "--timeout", "0")
# (--timeout 0 throughout: with a timeout the layout runs in a forked child that ends with
# _exit, leaving everything to the kernel, which memcheck would count as leaks of the child)
memcheck(before, "-o", os.path.join(tmp, "no/such/dir.svg"), status=2)  # error paths
memcheck(before, "-o", os.path.join(tmp, "big.svg"), "--max-edges", "1", "--timeout", "0", status=3)
memcheck(os.path.join(A.source, "tests/fixtures/encodings"), "-T", "json")  # rejected files
django = "/usr/lib/python3/dist-packages/django"
if os.path.isdir(django):
    memcheck(django, "-T", "json", "-o", os.path.join(tmp, "django.json"), "-j", "2")
else:
    print("skipped: Django (python3-django is not installed)")
print(f"valgrind: {failures} failure(s)")
sys.exit(1 if failures else 0)
