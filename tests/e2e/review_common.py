"""Shared by the review-format tests: a project with hostile names, and parsers that read each
format back (GitHub workflow commands, Markdown code spans, Mermaid flowcharts)."""
import os
import re
import textwrap

# a directory name with everything the formats must escape; module names stay identifiers
HOSTILE_DIR = 'we"ird <&|`, :%\u00e9 dir'
HOSTILE_STATEMENT_TAIL = '"`<&|\\"%,:'


def hostile_project(tmp):
    """tmp/HOSTILE_DIR/pkg: a <-> b at import time, through a statement full of specials."""
    root = os.path.join(tmp, HOSTILE_DIR)
    os.makedirs(os.path.join(root, "pkg"))
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": 'import importlib\nx = importlib.import_module("pkg.b", "`<&|\\"%,:")\n',
        "pkg/b.py": "from pkg import a\n",
        "pkg/c\u00e9.py": "from pkg import a\ndef f():\n    from pkg import d\n",
        "pkg/d.py": "from pkg import c\u00e9\n",
    }
    for rel, text in files.items():
        with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
            f.write(text)
    return root


def gh_unescape(s, prop):
    s = s.replace("%0D", "\r").replace("%0A", "\n")
    if prop:
        s = s.replace("%3A", ":").replace("%2C", ",")
    return s.replace("%25", "%")


def parse_github(text):
    """Workflow commands back into (command, {property: value}, message)."""
    out = []
    for line in text.splitlines():
        m = re.fullmatch(r"::(\w+) ([^:]*)::(.*)", line)
        assert m, f"not a workflow command: {line!r}"
        props = {}
        for item in m.group(2).split(","):
            key, _, value = item.partition("=")
            assert re.fullmatch(r"[a-z]+", key), f"bad property {item!r}"
            props[key] = gh_unescape(value, True)
        out.append((m.group(1), props, gh_unescape(m.group(3), False)))
    return out


CODE_SPAN = re.compile(r"(`+)( ?)(.*?)\2\1(?!`)")


def code_spans(line):
    """The literal contents of the Markdown code spans of a line, in order."""
    return [m.group(3) for m in CODE_SPAN.finditer(line)]


def mermaid_blocks(markdown):
    blocks, current = [], None
    for line in markdown.splitlines():
        stripped = line.strip()
        if current is None and stripped == "```mermaid":
            current = []
        elif current is not None and stripped == "```":
            blocks.append(textwrap.dedent("\n".join(current) + "\n"))
            current = None
        elif current is not None:
            current.append(line)
    assert current is None, "unterminated mermaid block"
    return blocks


def decode_label(s):
    assert re.fullmatch(r'[A-Za-z0-9 ._/#;-]*', s), f"unsafe character in label {s!r}"
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), s)


def parse_mermaid(text):
    """A strict reading of the flowchart subset impviz writes. Returns nodes {id: label},
    links [(src, arrow, dst)], styled {link index: style}, classes {node: class}, subgraphs
    [(id, label, [node ids directly inside])], shapes {node: opening bracket}. Raises AssertionError on anything else."""
    lines = text.splitlines()
    assert re.fullmatch(r"flowchart (TB|LR)", lines[0]), lines[0]
    nodes, links, styled, classes, defs, subgraphs, stack = {}, [], {}, {}, set(), [], []
    shapes = {}  # node -> "[" (module), "[[" (collapsed package), "([" (external)
    for line in lines[1:]:
        s = line.strip()
        if m := re.fullmatch(r'subgraph (p\d+)\["([^"]*)"\]', s):
            subgraphs.append((m.group(1), decode_label(m.group(2)), []))
            stack.append(subgraphs[-1])
        elif s == "end":
            assert stack, "end without subgraph"
            stack.pop()
        elif m := re.fullmatch(r'([mv]\d+)(\[\[|\(\[|\[)"([^"]*)"(\]\]|\]\)|\])', s):
            assert {"[[": "]]", "([": "])", "[": "]"}[m.group(2)] == m.group(4), f"shape: {s}"
            assert m.group(1) not in nodes, f"node {m.group(1)} twice"
            nodes[m.group(1)] = decode_label(m.group(3))
            shapes[m.group(1)] = m.group(2)
            if stack:
                stack[-1][2].append(m.group(1))
        elif m := re.fullmatch(r"([mv]\d+) (-->|-\.->) ([mv]\d+)", s):
            assert m.group(1) in nodes and m.group(3) in nodes, f"link to an undefined node: {s}"
            links.append((m.group(1), m.group(2), m.group(3)))
        elif m := re.fullmatch(r"linkStyle ([\d,]+) (\S+)", s):
            for i in m.group(1).split(","):
                assert int(i) < len(links), f"linkStyle {i} of {len(links)} links"
                styled[int(i)] = m.group(2)
        elif m := re.fullmatch(r"classDef (\w+) (\S+)", s):
            defs.add(m.group(1))
        elif m := re.fullmatch(r"class ([\w,]+) (\w+)", s):
            assert m.group(2) in defs, f"class {m.group(2)} used before classDef"
            for n in m.group(1).split(","):
                assert n in nodes, f"class on undefined node {n}"
                classes[n] = m.group(2)
        else:
            raise AssertionError(f"unexpected Mermaid line: {line!r}")
    assert not stack, "unclosed subgraph"
    return {"nodes": nodes, "links": links, "styled": styled, "classes": classes,
            "subgraphs": subgraphs, "shapes": shapes}
