"""Browser: an impviz -T html page in headless Chromium (Debian's chromium, driven by
playwright-core pinned in tests/browser). Skips (status 77) when chromium is not installed."""
import os
import shutil
import subprocess
import sys
import tempfile

from common import args, check, done, run

A = args()
CHROMIUM = os.environ.get("IMPVIZ_CHROMIUM", "/usr/bin/chromium")
if not os.access(CHROMIUM, os.X_OK) or not shutil.which("node"):
    print(f"SKIP: needs {CHROMIUM} and node (apt-get install chromium nodejs)")
    sys.exit(77)
browser_dir = os.path.join(A.source, "tests/browser")
if not os.path.isdir(os.path.join(browser_dir, "node_modules", "playwright-core")):
    p = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=browser_dir,
                       capture_output=True, text=True)
    if not check(p.returncode == 0, f"npm ci in tests/browser: {p.stderr}"):
        done("html_browser")

tmp = tempfile.mkdtemp(prefix="impviz-browser-")
page = os.path.join(tmp, "viewproj.html")
LINK = "https://example.com/repo/blob/main/"
rc, out, err = run(A.impviz, os.path.join(A.source, "tests/fixtures/viewproj"), "--externals",
                   "--link", LINK + "{path}#L{line}", "-o", page, "-q")
if check(rc == 0, f"impviz -T html: {err}"):
    p = subprocess.run(["node", os.path.join(browser_dir, "check-html.js"), page, CHROMIUM, LINK],
                       capture_output=True, text=True, timeout=120)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    check(p.returncode == 0, "the page behaves in Chromium")
shutil.rmtree(tmp, ignore_errors=True)
done("html_browser")
