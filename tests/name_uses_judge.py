#!/usr/bin/env python3
"""name_uses_judge.py - Python's own parser judges where impviz finds imported names read.

    name_uses_judge.py --dump-uses BIN (--corpus NAME | PATH...)

For every Python file, the names its imports bind are looked up with impviz_dump_uses (which
runs impviz_parser_name_uses, a scan of the file's tokens) and with Python's `ast`: whether the
module reads each name while it is imported (module level, class bodies, decorators, defaults,
annotations unless `from __future__ import annotations`, lambdas at module level, and the own
body of a module-level def, not the defs nested in it, that such code calls by its plain name:
`run()` or `@run`), the first such line (the call's, for a called def), and which outermost functions (qualified through their classes) read it in their
bodies. The rules both sides follow, beyond Python's own: strings are never code (f-strings
included), and a name counts as read wherever it is mentioned except where it plainly binds: an
assignment's lone target (`x = ...`, `a = x = ...`, `x: T = ...`), `x := ...`, parameters,
keyword arguments, def and class names, import statements. Exits 1 on any difference.
"""
import argparse
import ast
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from corpus_test import locate  # noqa: E402


def bound_names(tree):
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names.append(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for a in node.names:
                if a.name != "*":
                    names.append(a.asname or a.name)
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


class Uses(ast.NodeVisitor):
    """Walks a module recording reads of `names`, in the context they run in."""

    def __init__(self, names, future_annotations):
        self.names = set(names)
        self.future = future_annotations
        self.result = {n: {"import_time": False, "first_line": 0, "functions": []} for n in names}
        self.function = None  # (qualname, line) of the outermost function we are in
        self.classes = []
        self.direct = False  # in that function's own body, not a nested def's
        self.direct_reads = {}  # qualname of a module-level def -> names its own body reads
        self.defs = {}  # module-level def name -> qualname (all defs of the name share it)
        self.calls = []  # (name, line): plain-name calls in code run on import

    def read(self, name, line):
        if name not in self.names:
            return
        r = self.result[name]
        if self.function is None:
            if not r["import_time"] or line < r["first_line"]:
                r["first_line"] = line
            r["import_time"] = True
        else:
            if list(self.function) not in r["functions"]:
                r["functions"].append(list(self.function))
            if self.direct:
                self.direct_reads.setdefault(self.function[0], set()).add(name)

    def visit_Call(self, node):
        if self.function is None and isinstance(node.func, ast.Name):
            self.calls.append((node.func.id, node.func.lineno))
        self.generic_visit(node)

    def called_at_import(self):
        for name, line in self.calls:
            for read in self.direct_reads.get(self.defs.get(name), ()):
                r = self.result[read]
                if not r["import_time"] or line < r["first_line"]:
                    r["first_line"] = line
                r["import_time"] = True

    def annotation(self, node):
        if node is not None and not self.future:
            self.visit(node)

    def visit_Name(self, node):
        self.read(node.id, node.lineno)

    def visit_JoinedStr(self, node):
        pass  # strings are never code here, f-strings included

    def visit_Import(self, node):
        pass

    visit_ImportFrom = visit_Import

    def visit_Assign(self, node):
        for t in node.targets:
            if not isinstance(t, ast.Name):
                self.visit(t)
        self.visit(node.value)

    def visit_AnnAssign(self, node):
        if not isinstance(node.target, ast.Name):
            self.visit(node.target)
        self.annotation(node.annotation)
        if node.value is not None:
            self.visit(node.value)

    def visit_NamedExpr(self, node):
        self.visit(node.value)

    def visit_ExceptHandler(self, node):
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.read(node.name, node.lineno)  # `as name`: mentioned, as tokens see it
        for s in node.body:
            self.visit(s)

    def visit_Global(self, node):
        for n in node.names:
            self.read(n, node.lineno)

    visit_Nonlocal = visit_Global

    def arguments(self, args):
        for a in args.posonlyargs + args.args + args.kwonlyargs:
            self.annotation(a.annotation)
        for a in (args.vararg, args.kwarg):
            if a is not None:
                self.annotation(a.annotation)
        for d in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(d)

    def visit_FunctionDef(self, node):
        for d in node.decorator_list:
            if self.function is None and isinstance(d, ast.Name):
                self.calls.append((d.id, d.lineno))
            self.visit(d)
        self.arguments(node.args)
        self.annotation(node.returns)
        outer, direct = self.function, self.direct
        if outer is None:
            lineno = node.lineno
            self.function = (".".join(self.classes + [node.name]), lineno)
            if not self.classes:
                self.defs[node.name] = self.function[0]
        self.direct = outer is None
        saved, self.classes = self.classes, self.classes + [node.name]
        for s in node.body:
            self.visit(s)
        self.classes = saved
        self.function, self.direct = outer, direct

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(d)
        self.visit(node.body)

    def visit_ClassDef(self, node):
        for d in node.decorator_list:
            if self.function is None and isinstance(d, ast.Name):
                self.calls.append((d.id, d.lineno))
            self.visit(d)
        for b in node.bases:
            self.visit(b)
        for k in node.keywords:
            self.visit(k.value)
        saved, self.classes = self.classes, self.classes + [node.name]
        for s in node.body:
            self.visit(s)
        self.classes = saved

    def visit_keyword(self, node):
        self.visit(node.value)


def judge(tree, names):
    future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and
                 any(a.name == "annotations" for a in n.names) for n in tree.body)
    u = Uses(names, future)
    u.visit(tree)
    u.called_at_import()
    return u.result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dump-uses", required=True)
    p.add_argument("--corpus")
    p.add_argument("paths", nargs="*")
    a = p.parse_args()
    files = []
    roots = [locate(a.corpus)] if a.corpus else a.paths
    for root in roots:
        if not root or not os.path.exists(root):
            print(f"name_uses_judge: {root or a.corpus} is not installed", file=sys.stderr)
            return 1
        if os.path.isfile(root):
            files.append(root)
        for d, dirs, fs in os.walk(root):
            dirs.sort()
            files += [os.path.join(d, f) for f in sorted(fs) if f.endswith(".py")]
    requests, expected = [], []
    for path in files:
        try:
            with open(path, "rb") as f:
                tree = ast.parse(f.read(), path)
        except (SyntaxError, ValueError, OSError):
            continue  # files Python cannot parse have no answer to compare with
        names = [n for n in bound_names(tree) if n.isidentifier()]
        if names:
            requests.append(f"{path}\t{' '.join(names)}\n")
            expected.append(judge(tree, names))
    out = subprocess.run([a.dump_uses], input="".join(requests), capture_output=True,
                         text=True, check=True).stdout.splitlines()
    differ = total = 0
    for req, want, got_line in zip(requests, expected, out):
        got = json.loads(got_line)
        for name, w in want.items():
            total += 1
            g = (got["names"] or {}).get(name)
            if g != w:
                differ += 1
                if differ <= 20:
                    print(f"{got['path']}: {name}\n  ast  {w}\n  scan {g}")
    print(f"name_uses_judge: {len(requests)} files, {total} names, {differ} differ")
    return 1 if differ or len(out) != len(requests) else 0


if __name__ == "__main__":
    sys.exit(main())
