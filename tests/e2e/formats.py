"""End-to-end: SARIF, GitHub annotations, Markdown and Mermaid, each read back and compared with
the JSON report, on a project whose paths and statements hold every character the formats must
escape. (The SARIF schema and Mermaid's own parser are the judges in sarif_schema.py and
mermaid_render.py.)"""
import json
import os
import re
import shutil
import tempfile
import urllib.parse

from common import args, check, done, equal, run
from review_common import (HOSTILE_DIR, code_spans, hostile_project, mermaid_blocks,
                           parse_github, parse_mermaid)

A = args()
tmp = tempfile.mkdtemp(prefix="impviz-formats-")
root = hostile_project(tmp)
rel = HOSTILE_DIR  # PATH as given, relative to the working directory


def out(fmt, path=rel, cwd=tmp):
    rc, text, err = run(A.impviz, "--no-config", "-T", fmt, path, cwd=cwd)
    check(rc == 0 and err == "", f"-T {fmt}: {rc} {err}")
    return text


report = json.loads(out("json"))
names = [m["name"] for m in report["modules"]]
path_of = {m["name"]: m["path"] for m in report["modules"]}
components = report["sccs"]["import_time"]
equal(components, [["pkg.a", "pkg.b"]], "the hostile project's import-time cycle")
eager = {(i["source"], i["target"]): i for i in report["imports"] if i["kind"] == "eager" and i["target"] in names}
# the chain as the text report prints it: "      path:line: statement" lines
text = out("text")
import_time_part = text.split("runtime-only cycles")[0]
# (the lines right after "a -> b -> a"; the cycle's diagnosis follows them)
text_lines = import_time_part.splitlines()
first = next((i for i, l in enumerate(text_lines) if " -> " in l), len(text_lines))
chain_lines = []
for l in text_lines[first + 1:]:
    if not re.match(r"\s{6}\S.*:\d+: ", l):
        break
    chain_lines.append(l.strip())
check(len(chain_lines) >= 2, f"text report chain: {text}")

# ---- SARIF --------------------------------------------------------------------------------------
sarif = json.loads(out("sarif"))
equal(sarif["version"], "2.1.0", "SARIF version")
run0 = sarif["runs"][0]
equal(run0["tool"]["driver"]["name"], "impviz", "tool name")
equal([r["id"] for r in run0["tool"]["driver"]["rules"]],
      ["import-time-cycle", "predicted-import-error"], "rules")
results = [r for r in run0["results"] if r["ruleId"] == "import-time-cycle"]
equal(len(results), len(components), "one result per import-time cycle")
# one result per entry point the diagnosis predicts to raise, located where the traceback ends
predicted = [e for c in report["cycles"] for e in c["entries"] if e["error"]]
error_results = [r for r in run0["results"] if r["ruleId"] == "predicted-import-error"]
equal(len(error_results), len(predicted), "one result per predicted error")
for r, e in zip(error_results, predicted):
    phys = r["locations"][0]["physicalLocation"]
    equal((urllib.parse.unquote(phys["artifactLocation"]["uri"]), phys["region"]["startLine"]),
          (f"{rel}/{e['error']['path']}", e["error"]["line"]), f"predicted error of {e['module']} located")
    check(e["error"]["message"] in r["message"]["text"] and e["module"] in r["message"]["text"],
          f"predicted error message: {r['message']}")


def location(loc):
    phys = loc["physicalLocation"]
    uri = phys["artifactLocation"]["uri"]
    check(re.fullmatch(r"[A-Za-z0-9._~/%-]*", uri) is not None, f"URI percent-encoded: {uri!r}")
    return urllib.parse.unquote(uri), phys["region"]["startLine"], phys["region"]["snippet"]["text"]


for r in results:
    equal((r["ruleId"], r["level"]), ("import-time-cycle", "error"), "result rule and level")
    steps = [location(l) for l in r["relatedLocations"]]
    equal([f"{p}:{line}: {stmt}" for p, line, stmt in steps],
          [f"{rel}/{l}" for l in chain_lines], "related locations are the chain")
    equal(location(r["locations"][0]), steps[0], "located at the first import of the chain")
    equal([l["id"] for l in r["relatedLocations"]], list(range(1, len(steps) + 1)), "related ids")
    check("pkg.a -> pkg.b -> pkg.a" in r["message"]["text"], f"message names the chain: {r['message']}")
a_stmt = eager[("pkg.a", "pkg.b")]["statement"]
check('"`<&|\\"%,:"' in a_stmt, f"the statement keeps its specials: {a_stmt!r}")

# ---- GitHub annotations -------------------------------------------------------------------------
annotations = parse_github(out("github"))
equal(len(annotations), len(components), "one annotation per import-time cycle")
cmd, props, message = annotations[0]
equal(cmd, "error", "annotation level")
equal(props["file"], f"{rel}/pkg/a.py", "file property unescaped")
equal(props["line"], str(eager[("pkg.a", "pkg.b")]["line"]), "line property")
equal(props["title"], "impviz: import-time cycle", "title property")
equal(message.splitlines(), ["import-time cycle: pkg.a -> pkg.b -> pkg.a"] +
      [f"  {rel}/{l}" for l in chain_lines], "message with the chain, one step per line")

# ---- Markdown -----------------------------------------------------------------------------------
md = out("markdown")
lines = md.splitlines()
equal(lines[0], "<!-- impviz -->", "marker for the workflow to find its comment")
equal(lines[1], "## impviz: 1 import-time cycle", "heading")
check(re.search(r"^\d+ modules, \d+ imports between them; \*\*1 import-time cycle\*\* \(2 modules\), "
                r"1 runtime-only cycle", md, re.M) is not None, "summary counts")
steps = [code_spans(l) for l in lines if re.match(r"\d+\. `", l)]
equal([f"{a[len(rel) + 1:]}: {b}" for a, b in steps[:2]], chain_lines, "numbered steps as code spans")
check(all(a.startswith(rel + "/") for a, b in steps), "steps carry the hostile path literally")
check(md.count("**Suggestion** (") == len(report["cycles"]), "a suggestion per cycle, from the diagnosis")
for c in report["cycles"]:
    for sg in c["suggestions"]:
        check(f"`{sg['statement']}`" in md or sg["statement"] in md, f"suggested import in the comment: {sg}")
    for e in c["entries"]:
        if e["error"]:
            check(e["module"] in md and e["error"]["type"] in md, f"predicted error in the comment: {e}")
# a cycle the simulation did not reach is not called harmless
rc, short, err = run(A.impviz, "--no-config", "-T", "markdown", "--max-simulation", "1", rel, cwd=tmp)
check("**Not predicted:**" in short and "**No error today:**" not in short and "**Predicted errors:**" not in short,
      f"Markdown of an unsimulated cycle: {short}")
blocks = mermaid_blocks(md)
equal(len(blocks), len(components), "one Mermaid chart per import-time cycle")
chart = parse_mermaid(blocks[0])
equal(sorted(chart["nodes"].values()), components[0], "chart nodes are the members")
equal(len(chart["links"]), 2, "chart links: the two imports of the cycle")
check(all(chart["styled"].get(i, "").startswith("stroke:#d62728") for i in range(2)), "cycle links styled")
equal(set(chart["classes"].values()), {"cycle"}, "members classed cycle")
# nothing outside code spans and charts carries text from the code
outside = re.sub(r"```mermaid.*?```", "", md, flags=re.S)
for line in outside.splitlines():
    bare = re.sub(r"(`+) ?.*? ?\1(?!`)", "", line)
    check("<" not in bare.replace("<!-- impviz -->", "") and "%" not in bare,
          f"no raw text outside code spans: {line!r}")

# ---- Mermaid (whole graph) --------------------------------------------------------------------
chart = parse_mermaid(out("mermaid"))
by_label = {}
for node, label in chart["nodes"].items():
    by_label.setdefault(label, []).append(node)
equal(sorted(chart["nodes"].values()), sorted(["__init__", "a", "b", "c\u00e9", "d"]), "short names as labels")
equal([(label, sorted(chart["nodes"][n] for n in inside)) for _, label, inside in chart["subgraphs"]],
      [("pkg", ["__init__", "a", "b", "c\u00e9", "d"])], "package subgraph")
node_name = {n: ("pkg" if l == "__init__" else "pkg." + l) for n, l in chart["nodes"].items()}
links = sorted((node_name[s], arrow, node_name[t]) for s, arrow, t in chart["links"])
edges = sorted((e["source"], "-->" if e["kind"] == "eager" else "-.->", e["target"]) for e in report["edges"])
equal(links, edges, "links are the JSON report's edges, dotted unless eager")
cycle_links = sorted((node_name[chart["links"][i][0]], node_name[chart["links"][i][2]])
                     for i, style in chart["styled"].items() if style.startswith("stroke:#d62728"))
equal(cycle_links, [("pkg.a", "pkg.b"), ("pkg.b", "pkg.a")], "cycle links styled red")
runtime = sorted(n for n, c in chart["classes"].items() if c == "runtime")
equal(sorted(node_name[n] for n in runtime), ["pkg.c\u00e9", "pkg.d"], "runtime-only cycle members")

# ---- Mermaid draws what a picture of the same options draws (-T json's "view") ----------------
VIEWPROJ = os.path.join(A.source, "tests/fixtures/viewproj")
for argv in (["--depth", "1"], ["--depth", "2", "--externals"], ["--externals=all", "--no-stdlib"],
             ["--reverse"], ["--focus", "shop.core.models", "--up", "1", "--down", "0"],
             ["--cycles-only"]):
    rc, mmd, err = run(A.impviz, "--no-config", "-T", "mermaid", *argv, VIEWPROJ)
    view = json.loads(run(A.impviz, "--no-config", "-T", "json", *argv, VIEWPROJ)[1])["view"]
    chart = parse_mermaid(mmd)
    label = {n["id"]: (n["name"] if n["type"] in ("stdlib", "third_party") else n["label"])
             for n in view["nodes"]}
    equal(sorted(chart["nodes"].values()), sorted(label.values()), f"Mermaid nodes with {argv}")
    by_id = {}
    for n in view["nodes"]:
        by_id[n["id"]] = n
    # map chart nodes back to view ids by the order they were numbered (v<index of the view node>)
    vid = {f"v{k}": n["id"] for k, n in enumerate(view["nodes"])}
    got = sorted((vid[s], arrow, vid[t]) for s, arrow, t in chart["links"])
    want = sorted((e["source"], "-->" if e["kind"] == "eager" else "-.->", e["target"]) for e in view["edges"])
    equal(got, want, f"Mermaid links with {argv}")
    for node, shape in chart["shapes"].items():
        kind = by_id[vid[node]]["type"]
        equal(shape, {"package": "[[", "stdlib": "([", "third_party": "(["}.get(kind, "["),
              f"shape of a {kind} node")
    check(all(chart["classes"].get(n) == "cycle" for n in chart["nodes"]
              if by_id[vid[n]].get("in_cycle")), f"members of cycles classed with {argv}")

# a statement of 20 000 names: each record carries it cut to 240 bytes, so reports stay linear
big = os.path.join(tmp, "onestatement")
os.makedirs(big)
with open(os.path.join(big, "m.py"), "w") as f:
    f.write("from x import (" + ", ".join(f"n{i}" for i in range(20000)) + ")\n")
rc, text, err = run(A.impviz, "--no-config", "--no-cache", "-T", "json", big)
data = json.loads(text)
stmts = {i["statement"] for i in data["imports"]}
equal(len(data["imports"]), 20000, "a record per name")
check(len(stmts) == 1 and all(len(s) <= 244 and s.endswith(", n46, ...") for s in stmts),
      f"the statement cut, once: {sorted(stmts)[:1]}")
check(len(text) < 20000 * 600, f"JSON linear in the names: {len(text)} bytes")

# extensions pick the formats
for ext, first in ((".sarif", "{"), (".md", "<!-- impviz -->"), (".mmd", "flowchart")):
    path = os.path.join(tmp, "out" + ext)
    rc, _, err = run(A.impviz, "--no-config", "-q", rel, "-o", path, cwd=tmp)
    check(rc == 0 and open(path, encoding="utf-8").read().startswith(first), f"{ext} by extension: {err}")

# the samples read back too, byte-identical across runs and -j
for sample in ("cross_layers/before", "activation_utils/after", "base_model/before"):
    src = os.path.join(A.source, "samples", sample)
    for fmt in ("sarif", "github", "markdown", "mermaid"):
        a = out(fmt, src, cwd=None)
        b = run(A.impviz, "--no-config", "-T", fmt, "-j", "1", src)[1]
        equal(a, b, f"{sample} -T {fmt} deterministic")
        if fmt == "markdown":
            for block in mermaid_blocks(a):
                parse_mermaid(block)
        elif fmt == "mermaid":
            parse_mermaid(a)
        elif fmt == "github" and a:
            parse_github(a)
        elif fmt == "sarif":
            json.loads(a)

shutil.rmtree(tmp)
done("formats")
