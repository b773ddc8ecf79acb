"""End-to-end: -T html is one self-contained page whose data matches the view; safe with any
text the analysed code holds; byte-identical across runs and -j. (The page's behaviour in a
real browser: tests/e2e/html_browser.py.)"""
import json
import os
import re
import shutil
import tempfile

from common import args, check, done, equal, run, run_json

A = args()
PROJ = os.path.join(A.source, "tests/fixtures/viewproj")
tmp = tempfile.mkdtemp(prefix="impviz-html-")


def page(root, *argv):
    rc, out, err = run(A.impviz, root, "-T", "html", *argv)
    check(rc == 0 and out.startswith("<!DOCTYPE html>"), f"-T html {' '.join(argv)}: {err}")
    return out


def page_data(html):
    m = re.search(r'<script type="application/json" id="impviz-data">(.*?)</script>', html, re.S)
    return json.loads(m.group(1)) if m else None


html = page(PROJ, "--externals")
# self-contained: nothing to fetch (the SVG namespaces are names, not requests)
check(not re.search(r"<script[^>]*\ssrc=|<link\b|@import|url\(|<iframe|<img", html), "no external resource")
refs = set(re.findall(r'(?:src|href)="(https?:[^"]*)"', html))
equal(refs, set(), "no http(s) reference without --link")
check(html.count("<svg") == 1 and "<?xml" not in html, "the SVG inline, without its XML prolog")
check(html.rstrip().endswith("</html>"), "a complete page")

# the page's data is the view's, with statements and cycle chains
data = page_data(html)
view = run_json(A.impviz, PROJ, "--externals")["view"]
equal([n["id"] for n in data["nodes"]], [n["id"] for n in view["nodes"]], "page nodes are the view's")
equal(len(data["edges"]), len(view["edges"]), "page edges are the view's")
svg_ids = set(re.findall(r'<g id="([^"]*)" class="(?:node|edge)', html))
unescape = lambda s: s.replace("&#45;", "-").replace("&gt;", ">").replace("&quot;", '"').replace("&lt;", "<").replace("&amp;", "&")
equal({unescape(i) for i in svg_ids} - {"legend"}, {n["id"] for n in data["nodes"]} | {e["id"] for e in data["edges"]},
      "every SVG node and edge id is in the page data")
e = next(e for e in data["edges"] if e["id"] == "e:shop.ui.views->shop.ui.forms")
equal(e["statements"], [{"path": "shop/ui/views.py", "line": 6, "statement": "from shop.ui import forms", "kind": "deferred"}],
      "edge statements")
equal([(c["kind"], c["members"], [s["source"] for s in c["steps"]]) for c in data["chains"]],
      [("import-time", ["shop.core.models", "shop.core.signals"], ["shop.core.models", "shop.core.signals"]),
       ("runtime", ["shop.ui.forms", "shop.ui.views"], ["shop.ui.forms", "shop.ui.views"])], "cycle chains")
equal(data["report"]["sccs"]["import_time"], [["shop.core.models", "shop.core.signals"]], "the JSON report rides along")
data = page_data(page(PROJ, "--depth", "2"))
chain = data["chains"][0]
equal(chain["nodes"], ["p:shop.core"], "a chain names the collapsed node its members are drawn as")

# themes reach the page's colours
check("--bg: #1e1e1e" in page(PROJ, "--theme", "dark"), "dark theme page background")

# odd text from the analysed code cannot break out of the page
weird = os.path.join(tmp, "weird")
os.makedirs(os.path.join(weird, "pkg"))
open(os.path.join(weird, "pkg", "__init__.py"), "w").close()
with open(os.path.join(weird, "pkg", "a.py"), "w") as f:
    f.write("__import__('</script><script>alert(1)</script><!--')\nfrom . import b\n")
open(os.path.join(weird, "pkg", "b.py"), "w").close()
html = page(weird, "--externals=all")
check("<script>alert" not in html and "</script><script>alert" not in html, "statement text cannot open a script")
equal(html.count("</script>"), 2, "only the page's own two scripts end")
data = page_data(html)
stmts = [s["statement"] for e in data["edges"] for s in e["statements"]]
check("__import__('</script><script>alert(1)</script><!--')" in stmts, f"statement text survives intact: {stmts}")

# byte-identical across runs and -j
outs = [run(A.impviz, os.path.join(A.source, "samples"), "-T", "html", "-j", j)[1] for j in ("1", "2", "2")]
check(outs[0] == outs[1] == outs[2] and outs[0], "html identical across runs and -j")
# -o FILE.html picks the format
out_file = os.path.join(tmp, "g.html")
rc, _, err = run(A.impviz, PROJ, "-o", out_file, "-q")
check(rc == 0 and open(out_file).read().startswith("<!DOCTYPE html>"), f".html extension: {err}")

shutil.rmtree(tmp, ignore_errors=True)
done("html_page")
