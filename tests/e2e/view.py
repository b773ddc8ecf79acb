"""End-to-end: what a picture shows (the view). Each option on a small fixture, with the exact
node and edge sets read back from -T json's "view" and from the SVG that Graphviz draws.

tests/fixtures/viewproj (an import root):
  manage             -> shop.ui.views                      (+ sys)
  shop.core.models   -> shop.core.signals, shop.util.text   (+ os, numpy.linalg)
  shop.core.signals  -> shop.core.models                    (+ json)   import-time cycle
  shop.core.db.engine -> shop.util.text                     (+ sqlite3)
  shop.ui.views      -> shop.core.models, shop.util.text, shop.ui.forms (deferred)
  shop.ui.forms      -> shop.ui.views, shop.core.signals (typing)  (+ typing, requests)
  shop.util.text                                            (+ re)
"""
import os
import re
import tempfile
import xml.etree.ElementTree as ET

from common import args, check, done, equal, run, run_json

A = args()
PROJ = os.path.join(A.source, "tests/fixtures/viewproj")
SVG = "{http://www.w3.org/2000/svg}"


def view(*argv):
    return run_json(A.impviz, PROJ, *argv)["view"]


def nodes(v):
    return {n["id"] for n in v["nodes"]}


def edges(v):
    return {(e["source"], e["target"]) for e in v["edges"]}


def edge(v, s, t):
    return next(e for e in v["edges"] if (e["source"], e["target"]) == (s, t))


def m(*names):
    return {"m:" + n for n in names}


ALL = m("manage", "shop", "shop.core", "shop.core.db", "shop.core.db.engine", "shop.core.models",
        "shop.core.signals", "shop.ui", "shop.ui.forms", "shop.ui.views", "shop.util",
        "shop.util.text")
MODULE_EDGES = {
    ("m:manage", "m:shop.ui.views"),
    ("m:shop.core.db.engine", "m:shop.util.text"),
    ("m:shop.core.models", "m:shop.core.signals"),
    ("m:shop.core.models", "m:shop.util.text"),
    ("m:shop.core.signals", "m:shop.core.models"),
    ("m:shop.ui.forms", "m:shop.core.signals"),
    ("m:shop.ui.forms", "m:shop.ui.views"),
    ("m:shop.ui.views", "m:shop.core.models"),
    ("m:shop.ui.views", "m:shop.ui.forms"),
    ("m:shop.ui.views", "m:shop.util.text"),
}

# default: every module, every module edge, the cycle marks of the components
v = view()
equal(nodes(v), ALL, "default nodes")
equal(edges(v), MODULE_EDGES, "default edges")
equal({(e["source"], e["target"]) for e in v["edges"] if e["cycle"]},
      {("m:shop.core.models", "m:shop.core.signals"), ("m:shop.core.signals", "m:shop.core.models")},
      "edges on the import-time cycle")
equal({(e["source"], e["target"]) for e in v["edges"] if e["runtime_cycle"]},
      {("m:shop.ui.forms", "m:shop.ui.views"), ("m:shop.ui.views", "m:shop.ui.forms")},
      "edges on the runtime-only cycle")
equal({n["id"] for n in v["nodes"] if n["in_cycle"]}, m("shop.core.models", "shop.core.signals"),
      "nodes in-cycle")
equal(edge(v, "m:shop.ui.forms", "m:shop.core.signals")["kind"], "typing", "typing edge kind")
equal([(n["label"], n["package"]) for n in v["nodes"] if n["id"] in ("m:shop.core", "m:shop.ui.forms")],
      [("__init__", "shop.core"), ("forms", "shop.ui")], "labels are short names; clusters carry the prefix")
equal(v["hidden_modules"], 0, "nothing hidden by default")

# --depth 1: the whole package is one node, still marked in-cycle
v = view("--depth", "1")
equal(nodes(v), {"m:manage", "p:shop"}, "--depth 1 nodes")
equal(edges(v), {("m:manage", "p:shop")}, "--depth 1 edges")
shop = next(n for n in v["nodes"] if n["id"] == "p:shop")
check(shop["in_cycle"] and shop["modules"] == 11 and shop["type"] == "package",
      f"collapsed shop holds 11 modules and the cycle: {shop}")

# --depth 2: subpackages collapse; edges aggregate with counts and every kind behind them
v = view("--depth", "2")
equal(nodes(v), {"m:manage", "m:shop", "p:shop.core", "p:shop.ui", "p:shop.util"}, "--depth 2 nodes")
equal(edges(v), {("m:manage", "p:shop.ui"), ("p:shop.core", "p:shop.util"),
                 ("p:shop.ui", "p:shop.core"), ("p:shop.ui", "p:shop.util")}, "--depth 2 edges")
e = edge(v, "p:shop.ui", "p:shop.core")
check(e["count"] == 2 and e["kind"] == "eager" and e["kinds"] == ["eager", "typing"] and not e["cycle"],
      f"ui -> core aggregates views->models (eager) and forms->signals (typing): {e}")
equal(edge(v, "p:shop.core", "p:shop.util")["count"], 2, "core -> util aggregates two imports")
equal({n["id"]: n["modules"] for n in v["nodes"]},
      {"m:manage": 1, "m:shop": 1, "p:shop.core": 5, "p:shop.ui": 3, "p:shop.util": 2},
      "--depth 2 members (a package at the depth joins its collapsed node)")
equal({n["id"] for n in v["nodes"] if n["in_cycle"]}, {"p:shop.core"}, "--depth 2 in-cycle")
equal({n["id"] for n in v["nodes"] if n["in_runtime_cycle"]}, {"p:shop.core", "p:shop.ui"},
      "--depth 2 in-runtime-cycle")

# --depth 3: only shop.core.db has modules below depth 3
v = view("--depth", "3")
equal(nodes(v), (ALL - m("shop.core.db", "shop.core.db.engine")) | {"p:shop.core.db"}, "--depth 3 nodes")
check(("p:shop.core.db", "m:shop.util.text") in edges(v), "--depth 3 edge from the collapsed db")

# --focus with --up / --down (default 1 each); the neighbourhood's edges among themselves
v = view("--focus", "shop.core.models")
equal(nodes(v), m("shop.core.models", "shop.core.signals", "shop.util.text", "shop.ui.views"),
      "--focus default neighbourhood")
equal(edges(v), {("m:shop.core.models", "m:shop.core.signals"), ("m:shop.core.models", "m:shop.util.text"),
                 ("m:shop.core.signals", "m:shop.core.models"), ("m:shop.ui.views", "m:shop.core.models"),
                 ("m:shop.ui.views", "m:shop.util.text")}, "--focus edges")
v = view("--focus", "shop.core.models", "--up", "2", "--down", "0")
equal(nodes(v), m("shop.core.models", "shop.core.signals", "shop.ui.views", "manage", "shop.ui.forms"),
      "--up 2 --down 0: importers two steps up")
v = view("--focus", "shop.core.models", "--up", "0", "--down", "0")
equal(nodes(v), m("shop.core.models"), "--up 0 --down 0: the module alone")
equal(edges(v), set(), "--up 0 --down 0: no edge")
v = view("--focus", "shop.util.text", "--focus", "manage", "--up", "0")
equal(nodes(v), m("shop.util.text", "manage", "shop.ui.views"), "--focus twice")
equal(edges(v), {("m:manage", "m:shop.ui.views"), ("m:shop.ui.views", "m:shop.util.text")},
      "--focus twice: edges")
v = view("--focus", "shop.core.models", "--depth", "2")
equal(nodes(v), {"p:shop.core", "p:shop.util", "p:shop.ui"}, "--focus then --depth collapses the neighbourhood")
equal(v["hidden_modules"], 8, "hidden modules counted")

# --only and --exclude on dotted names (a package name selects its modules)
v = view("--only", "shop.ui")
equal(nodes(v), m("shop.ui", "shop.ui.forms", "shop.ui.views"), "--only a package")
equal(edges(v), {("m:shop.ui.forms", "m:shop.ui.views"), ("m:shop.ui.views", "m:shop.ui.forms")},
      "--only edges")
equal(nodes(view("--only", "shop.*.models", "--only", "manage")), m("shop.core.models", "manage"),
      "--only globs, repeated")
data = run_json(A.impviz, PROJ, "--exclude", "shop.core")
equal(nodes(data["view"]), ALL - m("shop.core", "shop.core.db", "shop.core.db.engine",
                                   "shop.core.models", "shop.core.signals"), "--exclude a package name")
equal(data["sccs"]["import_time"], [["shop.core.models", "shop.core.signals"]],
      "--exclude on a name hides, the analysis still sees the cycle")
data = run_json(A.impviz, PROJ, "--exclude", "shop/core/*")
check("shop.core.models" not in [x["name"] for x in data["modules"]] and not data["sccs"]["import_time"],
      "--exclude on a path still leaves files out of the analysis")
v = view("--exclude", "shop.ui.*", "--only", "shop.ui")
equal(nodes(v), m("shop.ui"), "--exclude wins over --only")

# --cycles-only: modules on cycles (runtime components hold the import-time ones)
v = view("--cycles-only")
equal(nodes(v), m("shop.core.models", "shop.core.signals", "shop.ui.forms", "shop.ui.views"), "--cycles-only nodes")
equal(edges(v), {("m:shop.core.models", "m:shop.core.signals"), ("m:shop.core.signals", "m:shop.core.models"),
                 ("m:shop.ui.forms", "m:shop.ui.views"), ("m:shop.ui.views", "m:shop.ui.forms"),
                 ("m:shop.ui.forms", "m:shop.core.signals"), ("m:shop.ui.views", "m:shop.core.models")},
      "--cycles-only edges")

# --externals none|top|all, stdlib vs third party, --no-stdlib, and the old flag form
STD = {"x:os", "x:json", "x:sqlite3", "x:typing", "x:re", "x:sys"}
v = view("--externals")
equal(nodes(v) - ALL, STD | {"x:numpy", "x:requests"}, "--externals: top-level names")
equal({n["id"]: n["type"] for n in v["nodes"] if n["id"] in ("x:numpy", "x:os")},
      {"x:numpy": "third_party", "x:os": "stdlib"}, "stdlib and third party told apart")
check(("m:shop.core.models", "x:numpy") in edges(v), "edge to an external node")
equal(nodes(view("--externals=top")), nodes(v), "--externals=top is --externals")
equal(nodes(view("--externals", "top")), nodes(v), "--externals top is --externals")
equal(nodes(view("--externals", "none")), ALL, "--externals none")
v = view("--externals=all")
equal(nodes(v) - ALL, STD | {"x:numpy.linalg", "x:requests"}, "--externals all: dotted names")
equal(nodes(view("--externals", "--no-stdlib")) - ALL, {"x:numpy", "x:requests"}, "--no-stdlib")
equal(nodes(view("--externals", "--exclude", "numpy")) - ALL, STD | {"x:requests"},
      "--exclude hides an external by name")
data = run_json(A.impviz, "--externals", PROJ)
equal(nodes(data["view"]) - ALL, STD | {"x:numpy", "x:requests"}, "--externals PATH still works")

# --reverse: who imports me
v = view("--reverse")
check(v["reversed"], "--reverse is recorded")
equal(edges(v), {(t, s) for s, t in MODULE_EDGES}, "--reverse flips every edge")

# usage errors: status 2 and one clear line
def usage(argv, message):
    rc, out, err = run(A.impviz, PROJ, *argv)
    equal(rc, 2, f"status of {' '.join(argv)}")
    equal(err.splitlines()[0] if err else "", f"impviz: error: {message}", f"message of {' '.join(argv)}")

usage(["--focus", "shop.nope"], "no module named 'shop.nope' to focus on")
usage(["--up", "2"], "--up and --down need --focus")
usage(["--depth", "-1"], "--depth takes a number >= 0")
usage(["--externals=some"], "unknown --externals mode 'some' (try none, top or all)")

# the SVG Graphviz draws has the same nodes and edges as the view, with classes
rc, out, err = run(A.impviz, PROJ, "-T", "svg", "--depth", "2", "--externals", "--no-legend")
root = ET.fromstring(out)
svg_nodes, svg_edges = {}, {}
for g in root.iter(SVG + "g"):
    title = g.find(SVG + "title")
    if g.get("class", "").startswith("node") or "module" in g.get("class", "") or "external" in g.get("class", ""):
        if title is not None and "->" not in title.text:
            svg_nodes[g.get("id")] = g.get("class")
    if title is not None and "->" in title.text:
        svg_edges[g.get("id")] = g.get("class")
v = view("--depth", "2", "--externals")
equal(set(svg_nodes), nodes(v), "SVG node ids are the view's")


def gv_name(view_id):
    """The Graphviz node name (the SVG <title>) of a view node id."""
    kind, _, name = view_id.partition(":")
    return "ext:" + name if kind == "x" else name


equal(set(svg_edges), {f"e:{gv_name(s)}->{gv_name(t)}" for s, t in edges(v)},
      "SVG edge ids name the view's edges")
check("collapsed" in svg_nodes["p:shop.core"] and "in-cycle" in svg_nodes["p:shop.core"],
      f"collapsed package class: {svg_nodes.get('p:shop.core')}")
equal((svg_nodes["x:numpy"], svg_nodes["x:os"]), ("node external third-party", "node external stdlib"),
      "external classes")
equal(svg_edges["e:shop.ui->ext:requests"], "edge eager external", "an edge to an external")

# edges to externals keep their kind in the class, as every edge does
with tempfile.TemporaryDirectory(prefix="impviz-ext-") as tmp:
    with open(os.path.join(tmp, "m.py"), "w") as f:
        f.write("from typing import TYPE_CHECKING\nimport os\n"
                "if TYPE_CHECKING:\n    import requests\n"
                "def f():\n    import numpy\n")
    rc, out, err = run(A.impviz, tmp, "-T", "svg", "--externals", "--no-legend")
    got = {g.find(SVG + "title").text: g.get("class") for g in ET.fromstring(out).iter(SVG + "g")
           if g.get("class", "").startswith("edge")}
    equal(got, {"m->ext:os": "edge eager external", "m->ext:typing": "edge eager external",
                "m->ext:requests": "edge typing external", "m->ext:numpy": "edge deferred external"},
          "classes of edges to externals")

# -T dot without layout shows the view too
rc, out, err = run(A.impviz, PROJ, "-T", "dot", "--only", "shop.ui")
names = set(re.findall(r'^\s*"?([\w.:]+)"?\s*\[', out, re.M)) - {"graph", "node", "edge"}
equal(names, {"shop.ui", "shop.ui.forms", "shop.ui.views", "legend"},
      "DOT nodes follow --only")

# byte-identical output with view options, across runs and -j
for fmt in ("svg", "json", "dot"):
    outs = [run(A.impviz, PROJ, "-T", fmt, "--depth", "2", "--externals=all", "-j", j)[1]
            for j in ("1", "2", "2")]
    check(outs[0] == outs[1] == outs[2] and outs[0], f"{fmt} with view options identical across runs and -j")

done("view")
