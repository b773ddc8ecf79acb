"""End-to-end: how pictures look and what they carry. Themes (built in, from files, installed),
tooltips, --link, escaping of every text that reaches the SVG, and --layout auto.
Everything is read back from real Graphviz output with an XML parser."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from common import args, check, done, equal, run

A = args()
PROJ = os.path.join(A.source, "tests/fixtures/viewproj")
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
tmp = tempfile.mkdtemp(prefix="impviz-pictures-")


def svg(*argv, root=PROJ):
    rc, out, err = run(A.impviz, root, "-T", "svg", *argv)
    check(rc == 0, f"impviz {' '.join(argv)} -T svg: {err}")
    return ET.fromstring(out)


def groups(tree):
    """id -> <g> element, for nodes and edges."""
    return {g.get("id"): g for g in tree.iter(SVG + "g") if g.get("id")}


def link(g):
    """(href, tooltip) of the <a> Graphviz wraps a node's or edge's shapes in."""
    a = g.find(f".//{SVG}a")
    return (a.get(XLINK + "href"), a.get(XLINK + "title")) if a is not None else (None, None)


def stroke(g):
    return {p.get("stroke") for p in g.iter(SVG + "path")}


def background(tree):
    return next(tree.iter(SVG + "polygon")).get("fill")


# ---- themes -----------------------------------------------------------------------------------
default = run(A.impviz, PROJ, "-T", "svg")[1]
equal(run(A.impviz, PROJ, "-T", "svg", "--theme", "light")[1], default,
      "--theme light is the built-in default, byte for byte")
t = svg()
equal(background(t), "#ffffff", "light background")
equal(stroke(groups(t)["e:shop.core.models->shop.core.signals"]), {"#d62728"}, "light: cycle edge red")
t = svg("--theme", "dark")
equal(background(t), "#1e1e1e", "dark background")
g = groups(t)
equal(stroke(g["e:shop.core.models->shop.core.signals"]), {"#ff6b6b"}, "dark: cycle edge coral")
equal(next(g["m:manage"].iter(SVG + "text")).get("fill"), "#e0e0e0", "dark: light module text")
t = svg("--theme", "colorblind")
g = groups(t)
equal(stroke(g["e:shop.core.models->shop.core.signals"]), {"#d55e00"}, "colorblind: cycle edge vermillion")
equal(stroke(g["e:shop.ui.views->shop.ui.forms"]), {"#0072b2"}, "colorblind: runtime-only cycle blue")

# a theme file: keys it leaves out keep the light values
custom = os.path.join(tmp, "mine.theme")
with open(custom, "w") as f:
    f.write("# mine\n[cycle]\ncolor=#123456\n[graph]\nfont=DejaVu Sans\n")
t = svg("--theme", custom)
g = groups(t)
equal(stroke(g["e:shop.core.models->shop.core.signals"]), {"#123456"}, "theme file sets the cycle colour")
equal(stroke(g["e:manage->shop.ui.views"]), {"#424242"}, "theme file: other colours stay light")
equal(next(g["m:manage"].iter(SVG + "text")).get("font-family"), "DejaVu Sans", "theme file sets the font")


def usage(argv, message):
    rc, out, err = run(A.impviz, PROJ, *argv)
    equal(rc, 2, f"status of {' '.join(argv)}")
    equal(err.splitlines()[0] if err else "", f"impviz: error: {message}", f"message of {' '.join(argv)}")


usage(["--theme", "nope"], "unknown theme 'nope' (try colorblind, dark, light)")
# a link template that runs code never reaches a page
for bad in ("javascript:alert(document.domain)//{path}", "JaVaScRiPt:alert(1)", "data:text/html,<b>{path}",
            "vbscript:x", "file:///etc/{path}"):
    usage(["--link", bad], "--link takes an http, https or relative URL template (no javascript:, data: ...)")
for good in ("https://x.test/{path}#L{line}", "HTTP://x.test/{module}", "../src/{path}", "{path}#L{line}",
             "/blob/main/{path}"):
    rc, out, err = run(A.impviz, PROJ, "-T", "dot", "--link", good)
    equal((rc, err), (0, ""), f"--link {good}")
bad = os.path.join(tmp, "bad.theme")
with open(bad, "w") as f:
    f.write("[cycle]\ncolour=#123456\n")
usage(["--theme", bad], f"theme '{bad}': unknown key 'colour' in [cycle]")
with open(bad, "w") as f:
    f.write('[cycle]\ncolor=red"/><script>\n')
usage(["--theme", bad], f"theme '{bad}': bad value 'red\"/><script>' for color in [cycle]")
usage(["--theme", os.path.join(tmp, "missing.theme")],
      f"cannot read theme '{os.path.join(tmp, 'missing.theme')}': No such file or directory")

# installed by cmake --install and found relative to the installed binary
build = os.path.dirname(os.path.abspath(A.impviz))
prefix = os.path.join(tmp, "prefix")
p = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True, text=True)
if check(p.returncode == 0, f"cmake --install: {p.stderr}"):
    for name in ("light", "dark", "colorblind"):
        check(os.path.isfile(os.path.join(prefix, "share/impviz/themes", name + ".theme")),
              f"{name}.theme installed")
    rc, out, err = run(os.path.join(prefix, "bin/impviz"), PROJ, "-T", "svg", "--theme", "dark")
    check(rc == 0 and background(ET.fromstring(out)) == "#1e1e1e",
          f"the installed binary finds the installed dark theme: {err}")

# ---- tooltips ----------------------------------------------------------------------------------
g = groups(svg())
equal(link(g["m:shop.core.models"])[1],
      "shop.core.models\nshop/core/models.py\nimports 2, imported by 2\non import-time cycle 1",
      "module tooltip: name, path, imports in and out, component")
equal(link(g["e:shop.ui.forms->shop.core.signals"])[1],
      "shop/ui/forms.py:7: from shop.core.signals import Signal (typing)", "edge tooltip: file:line: statement")
g = groups(svg("--depth", "2"))
equal(link(g["e:shop.ui->shop.core"])[1],
      "2 imports\nshop/ui/forms.py:7: from shop.core.signals import Signal (typing)\n"
      "shop/ui/views.py:1: from shop.core import models (eager)",
      "collapsed edge tooltip lists every statement behind it")
equal(link(g["p:shop.core"])[1], "shop.core\n5 modules collapsed\nimports 1, imported by 1\non import-time cycle 1",
      "collapsed node tooltip")

# ---- --link ------------------------------------------------------------------------------------
TEMPLATE = "https://example.com/repo/blob/main/{path}#L{line}"
g = groups(svg("--link", TEMPLATE, "--depth", "3", "--externals"))
equal(link(g["m:shop.core.models"])[0], "https://example.com/repo/blob/main/shop/core/models.py#L1", "node link")
equal(link(g["e:shop.ui.views->shop.core.models"])[0],
      "https://example.com/repo/blob/main/shop/ui/views.py#L1", "edge link to its first statement")
equal(link(g["e:shop.ui.views->shop.ui.forms"])[0],
      "https://example.com/repo/blob/main/shop/ui/views.py#L6", "deferred edge link to its line")
equal(link(g["p:shop.core.db"])[0], "https://example.com/repo/blob/main/shop/core/db#L1",
      "collapsed package links to its directory")
equal(link(g["x:numpy"])[0], None, "externals are not links")
g = groups(svg("--link", "https://x.test/{module}?q=1&r=\"<>\"\\N"))
equal(link(g["m:manage"])[0], "https://x.test/manage?q=1&r=%22%3C%3E%22%5CN",
      "a template's quotes, angle brackets and backslashes are encoded, & survives")
rc, out, err = run(A.impviz, PROJ, "-T", "dot", "--link", "https://x.test/{module}?q=1&r=2")
check('URL="https://x.test/manage?q=1&r=2"' in out, "DOT keeps & in links")

# ---- every text that reaches the SVG is escaped --------------------------------------------
weird = os.path.join(tmp, "weird")
os.makedirs(os.path.join(weird, "pkg"))
open(os.path.join(weird, "pkg", "__init__.py"), "w").close()
with open(os.path.join(weird, "pkg", "a.py"), "w") as f:
    f.write("__import__('we\"ird<&>')\nfrom . import b\nimportlib.import_module(\"pkg.b\")  # <&>\n")
with open(os.path.join(weird, "pkg", "b.py"), "w") as f:
    f.write("x = '<\\\\N & \"'\n")
for fmt in ("svg", "dot"):
    rc, out, err = run(A.impviz, weird, "-T", fmt, "--externals=all", "--link", "a?b=1&c={path}")
    check(rc == 0, f"-T {fmt} with odd text: {err}")
tree = svg("--externals=all", root=weird)
g = groups(tree)
ext = g.get('x:we"ird<&>')
check(ext is not None and next(ext.iter(SVG + "text")).text == 'we"ird<&>', "external with quotes and <&> as label")
equal(link(g['e:pkg.a->ext:we"ird<&>'])[1], "pkg/a.py:1: __import__('we\"ird<&>') (eager)",
      "statement with quotes and <&> in the tooltip")

# ---- --layout auto: dot for what dot can lay out, sfdp past it -------------------------------------
rc, out, err = run(A.impviz, PROJ, "-T", "dot")
check(re.search(r"\blayout=dot\b", out) and "mclimit" not in out, "auto picks dot with default settings for a small graph")
rc, out, err = run(A.impviz, PROJ, "-T", "dot", "--layout", "neato")
check(re.search(r"\blayout=neato\b", out) and "overlap=prism" in out, "--layout neato, without overlaps")
big = os.path.join(tmp, "big")
os.makedirs(os.path.join(big, "gen"))
open(os.path.join(big, "gen", "__init__.py"), "w").close()
for i in range(1300):
    with open(os.path.join(big, "gen", f"m{i:04d}.py"), "w") as f:
        f.write(f"from gen import m{(i + 1) % 1300:04d}\n")
rc, out, err = run(A.impviz, big, "-T", "dot")
check(re.search(r"\blayout=sfdp\b", out), "auto picks sfdp past 1200 nodes")
rc, out, err = run(A.impviz, big, "-T", "dot", "--depth", "1")
check(re.search(r"\blayout=dot\b", out), "collapsed, the same project goes back to dot")
rc, out, err = run(A.impviz, big, "-T", "dot", "--only", "gen.m00*")
check(re.search(r"\blayout=dot\b", out) and "mclimit=0.1" not in out, "100 modules: dot, default settings")
rc, out, err = run(A.impviz, big, "-T", "dot", "--only", "gen.m0*")
check("mclimit=0.1" in out and "nslimit=2" in out, "1000 modules: dot with the large-graph limits")
# a picture of every module of a large project says what would make it readable
rc, out, err = run(A.impviz, big, "-T", "svg", "--layout", "sfdp", "--no-legend")
equal((rc, err), (0, "impviz: warning: 1301 nodes in one picture will be hard to read: --depth 1 or 2 "
                     "draws packages, --focus, --only or --cycles-only draw a part\n"), "hint for a large picture")
rc, out, err = run(A.impviz, big, "-T", "svg", "--depth", "1")
equal((rc, err), (0, ""), "no hint for a collapsed picture")
# dot ranks by eager imports: the feedback edge that closes the ring does not constrain ranks
rc, out, err = run(A.impviz, big, "-T", "dot", "--layout", "dot")
equal(len(re.findall(r"constraint=false", out)), 1, "a ring of 1300 eager imports: one feedback edge")

# ---- every engine draws every node and edge; those without clusters name nodes in full ---------
want_ids = None
for engine in ("dot", "neato", "fdp", "sfdp", "circo", "twopi"):
    t = svg("--layout", engine, "--no-legend")
    ids = {i for i in groups(t) if i.startswith(("m:", "e:"))}
    if want_ids is None:
        want_ids = ids
        check(len(ids) > 15, f"the fixture's nodes and edges: {sorted(ids)}")
    equal(ids, want_ids, f"--layout {engine}: every node and edge")
    clusters = [g for g in t.iter(SVG + "g") if "cluster" in g.get("class", "").split()]
    labels = {next(g.iter(SVG + "text")).text for i, g in groups(t).items() if i.startswith("m:")}
    if engine in ("dot", "fdp"):
        check(clusters and "models" in labels, f"{engine}: package clusters, short names")
    else:
        check(not clusters and "shop.core.models" in labels and "models" not in labels,
              f"{engine}: no clusters, full names: {sorted(labels)}")

# --rankdir turns the picture: an import points down (TB), right (LR), up (BT) or left (RL)


def centre(g):
    xs, ys = [], []
    for el in g.iter(SVG + "text"):
        xs.append(float(el.get("x")))
        ys.append(float(el.get("y")))
    return sum(xs) / len(xs), sum(ys) / len(ys)


for rankdir, sign in (("TB", (0, 1)), ("LR", (1, 0)), ("BT", (0, -1)), ("RL", (-1, 0))):
    g = groups(svg("--rankdir", rankdir, "--layout", "dot"))
    (x1, y1), (x2, y2) = centre(g["m:manage"]), centre(g["m:shop.ui.views"])
    dx, dy = x2 - x1, y2 - y1
    main = dx * sign[0] + dy * sign[1]
    check(main > 20,
          f"--rankdir {rankdir}: manage -> shop.ui.views goes the right way ({dx:.0f}, {dy:.0f})")

# ---- what Graphviz says comes out as impviz warnings, in a layout child and in this process -----
wide = os.path.join(tmp, "wide")
os.makedirs(os.path.join(wide, "w"))
open(os.path.join(wide, "w", "__init__.py"), "w").close()
for i in range(600):
    with open(os.path.join(wide, "w", f"m{i:03d}.py"), "w") as f:
        f.write(f"import w.m{i + 1:03d}\n" if i < 599 else "")
# (a sanitizer build leaves standard error alone in its own process, so that its reports show)
for timeout in ("300",) if os.environ.get("ASAN_OPTIONS") else ("300", "0"):
    out = os.path.join(tmp, f"wide{timeout}.png")
    rc, _, err = run(A.impviz, wide, "-o", out, "--timeout", timeout)
    lines = err.splitlines()
    check(rc == 0 and any(l.startswith("impviz: warning: graphviz: graph is too large for cairo-renderer "
                                       "bitmaps. Scaling by ") for l in lines)
          and all(l.startswith("impviz: ") for l in lines) and "(null)" not in err,
          f"--timeout {timeout}: Graphviz's own message as an impviz warning: {err!r}")

# ---- bytes that are not UTF-8 (an import string in a file that is not UTF-8) stay out of pictures
bad = os.path.join(tmp, "badutf8")
os.makedirs(bad)
with open(os.path.join(bad, "m.py"), "wb") as f:
    f.write(b"__import__('x\xffy')\nimport os\n")
for fmt in ("svg", "dot", "html"):
    p = subprocess.run([A.impviz, bad, "--externals", "-T", fmt], capture_output=True)
    try:
        text = p.stdout.decode("utf-8")
        ok = True
    except UnicodeDecodeError as e:
        ok, text = False, str(e)
    check(p.returncode == 0 and ok, f"-T {fmt} is UTF-8 with a name that is not: {text[:200]}")
    if fmt == "svg" and ok:
        ET.fromstring(p.stdout)  # well-formed XML, or the test stops here

# ---- one line per statement: `from m import a, b` is one import, not two ----------------------
multi = os.path.join(tmp, "multi")
os.makedirs(os.path.join(multi, "dec"))
with open(os.path.join(multi, "dec", "__init__.py"), "w") as f:
    f.write("from .decoder import A, B\nfrom .decoder import C\n")
with open(os.path.join(multi, "dec", "decoder.py"), "w") as f:
    f.write("A = B = C = 1\n")
g = groups(svg(root=multi))
equal(link(g["e:dec->dec.decoder"])[1],
      "2 imports\ndec/__init__.py:1: from .decoder import A, B (eager)\n"
      "dec/__init__.py:2: from .decoder import C (eager)", "edge tooltip: each statement once")
view_edge = json.loads(run(A.impviz, multi, "-T", "json")[1])["view"]["edges"][0]
equal((view_edge["count"], view_edge["statements"]), (3, 2), "view edge: 3 records, 2 statements")
page = run(A.impviz, multi, "-T", "html")[1]
equal(page.count('"line":1,"statement":"from .decoder import A, B","kind"'), 1,
      "the page's edge lists the statement once")

# ---- component fills: one per component, shared by its members, distinct between components ----
# 14 import-time cycles (more than the theme's 12 fills) and 2 runtime-only ones.
many = os.path.join(tmp, "many")
os.makedirs(os.path.join(many, "cyc"))
open(os.path.join(many, "cyc", "__init__.py"), "w").close()
sources = {f"a{i}": f"from . import b{i}\nX = 1\n" for i in range(14)}
sources.update({f"b{i}": f"from . import a{i}\nY = 1\n" for i in range(14)})
sources.update({"c": "def f():\n    from . import d\n", "d": "from . import c\n",
                "e": "def f():\n    from . import g\n", "g": "from . import e\n"})
for name, text in sources.items():
    with open(os.path.join(many, "cyc", name + ".py"), "w") as f:
        f.write(text)
data = run(A.impviz, many, "-T", "json")[1]
sccs = json.loads(data)["sccs"]
equal((len(sccs["import_time"]), len(sccs["runtime"])), (14, 16), "the fixture's components")
g = groups(svg("--theme", "light", root=many))
fill = {mid[2:]: next(e.get("fill") for e in el.iter() if e.tag in (SVG + "path", SVG + "polygon"))
        for mid, el in g.items() if mid.startswith("m:")}
fills = []
for comp in sccs["runtime"]:
    got = {fill[m] for m in comp}
    equal(len(got), 1, f"one fill for the members of {comp}")
    fills += sorted(got)
equal(len(set(fills)), 16, f"16 components, 16 distinct fills: {fills}")
check("#ffffff" not in fills, "no component is left unfilled")
for m in ("cyc.c", "cyc.d"):
    check("in-runtime-cycle" in g["m:" + m].get("class"), f"{m} is on a runtime-only cycle")

shutil.rmtree(tmp, ignore_errors=True)
done("pictures")
