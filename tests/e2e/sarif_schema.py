"""SARIF output against the SARIF 2.1.0 JSON schema: ajv (tests/npm, pinned) is the judge."""
import json
import os
import shutil
import subprocess
import tempfile

from common import args, check, done, equal, run
from review_common import HOSTILE_DIR, hostile_project

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-sarif-")
validator = os.path.join(A.source, "tests/npm/validate-sarif.js")
check(os.path.isdir(os.path.join(A.source, "tests/npm/node_modules/ajv-draft-04")),
      "tests/npm is installed (cd tests/npm && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts)")

hostile_project(tmp)
files = []
for name, path, cwd in (("hostile", HOSTILE_DIR, tmp),
                        ("absolute", os.path.join(tmp, HOSTILE_DIR), None),
                        ("cross_layers", os.path.join(A.source, "samples/cross_layers/before"), None),
                        ("no_cycle", os.path.join(A.source, "samples/cross_layers/after"), None)):
    out = os.path.join(tmp, name + ".sarif")
    rc, _, err = run(A.impviz, "--no-config", "-q", path, "-o", out, cwd=cwd)
    check(rc == 0, f"{name}: {rc} {err}")
    files.append(out)
results = [[r["ruleId"] for r in json.load(open(f))["runs"][0]["results"]] for f in files]
equal([rs.count("import-time-cycle") for rs in results], [1, 1, 1, 0], "cycle results per file")
check(results[2].count("predicted-import-error") == 2,
      f"both entry points of cross_layers predicted to raise: {results[2]}")

p = subprocess.run(["node", validator, *files], capture_output=True, text=True)
equal(p.returncode, 0, f"schema validation:\n{p.stdout}{p.stderr}")

# the judge can say no: a wrong level and a URI with a raw space are rejected
broken = json.load(open(files[0]))
broken["runs"][0]["results"][0]["level"] = "fatal"
broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b"
bad = os.path.join(tmp, "broken.sarif")
json.dump(broken, open(bad, "w"))
p = subprocess.run(["node", validator, bad], capture_output=True, text=True)
check(p.returncode == 1 and "level" in p.stdout and "uri-reference" in p.stdout,
      f"validator rejects a broken log: {p.stdout}{p.stderr}")

shutil.rmtree(tmp)
done("sarif_schema")
