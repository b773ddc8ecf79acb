"""Mermaid output parsed by Mermaid itself: @mermaid-js/mermaid-cli (tests/npm, pinned) drives
Debian's headless Chromium over every chart impviz writes (.mmd, and the blocks of .md)."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from common import args, check, done, equal, run
from review_common import HOSTILE_DIR, hostile_project, mermaid_blocks

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-mermaid-")
mmdc = os.path.join(A.source, "tests/npm/node_modules/.bin/mmdc")
check(os.path.exists(mmdc), "tests/npm is installed (cd tests/npm && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts)")
chromium = shutil.which("chromium") or "/usr/bin/chromium"
config = os.path.join(tmp, "puppeteer.json")
json.dump({"executablePath": chromium, "args": ["--no-sandbox", "--disable-gpu"]}, open(config, "w"))
env = dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1", HOME=tmp)


def render(src, dst):
    p = subprocess.run([mmdc, "-q", "-p", config, "-i", src, "-o", dst], capture_output=True,
                       text=True, env=env, timeout=300)
    return p.returncode, p.stdout + p.stderr


hostile_project(tmp)
charts = os.path.join(tmp, "charts.md")
with open(charts, "w", encoding="utf-8") as md:
    for name, path, cwd in (("hostile", HOSTILE_DIR, tmp),
                            ("cross_layers", os.path.join(A.source, "samples/cross_layers/before"), None),
                            ("activation_utils", os.path.join(A.source, "samples/activation_utils"), None),
                            ("base_model", os.path.join(A.source, "samples/base_model/before"), None)):
        rc, mmd, err = run(A.impviz, "--no-config", "-T", "mermaid", path, cwd=cwd)
        rc2, comment, err2 = run(A.impviz, "--no-config", "-T", "markdown", path, cwd=cwd)
        check(rc == 0 and rc2 == 0, f"{name}: {err}{err2}")
        md.write(f"# {name}\n\n```mermaid\n{mmd}```\n\n")
        for block in mermaid_blocks(comment):
            md.write(f"```mermaid\n{block}```\n\n")
    # what a view draws: collapsed packages, externals, reversed edges
    for argv in (["--depth", "1", "--externals"], ["--reverse", "--externals=all"]):
        rc, mmd, err = run(A.impviz, "--no-config", "-T", "mermaid", *argv,
                           os.path.join(A.source, "tests/fixtures/viewproj"))
        check(rc == 0, f"view chart {argv}: {err}")
        md.write(f"# viewproj {' '.join(argv)}\n\n```mermaid\n{mmd}```\n\n")
rc, log = render(charts, os.path.join(tmp, "out.md"))
equal(rc, 0, f"mmdc renders every chart:\n{log}")
svgs = sorted(f for f in os.listdir(tmp) if re.fullmatch(r"out-\d+\.svg", f))
expected = open(charts).read().count("```mermaid")
equal(len(svgs), expected, "one SVG per chart")
first = open(os.path.join(tmp, "out-1.svg"), encoding="utf-8").read()
check("c\u00e9" in first, "entity-encoded label decoded by Mermaid (c\\u00e9)")

# the judge can say no: a broken chart fails
broken = os.path.join(tmp, "broken.mmd")
open(broken, "w").write('flowchart LR\n  m0["a"] -->\n  end["b"]\n')
rc, log = render(broken, os.path.join(tmp, "broken.svg"))
check(rc != 0, "mmdc rejects a broken chart")

shutil.rmtree(tmp)
done("mermaid_render")
