#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make_fixtures.py - (re)write the small fixture projects under tests/fixtures/.

    python3 tests/make_fixtures.py [--out DIR]

Every fixture is a directory tests/fixtures/<name>/ that is an import root (srclayout is
a project directory holding pyproject.toml, src/ and tests/). Each one exercises one
thing and has at least one cycle or interesting edge between its own modules. Files are
written as exact bytes, so CRLF line endings, a BOM, latin-1 text and form feeds survive.
No expected outputs are written here; generate them with tests/ast_extract.py.

Fixtures:
  forms       every import statement form, relative levels 1-3, one relative import
              climbing above the root, __future__, external and missing names
  kinds       eager / deferred / typing positions (module level, functions, TYPE_CHECKING)
  dynamic     importlib.import_module, __import__, module __getattr__,
              lazy_loader.attach, __lazy_modules__
  namespace   PEP 420 namespace packages, names that are not identifiers, skipped dirs
  shadow      mod.py beside mod/, .pyi-only modules, .pyi beside .py
  srclayout   pyproject.toml + src/pkg + tests/test_x.py
  encodings   latin-1, BOM, CRLF/tabs/form feeds, Python 2, syntax error, NUL byte
"""

import argparse
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def t(s):
    """Text fixture: dedented by the caller already; str -> UTF-8 bytes."""
    return s.encode("utf-8")


FIXTURES = {}

# --------------------------------------------------------------------------- forms
FIXTURES["forms"] = {
    "app/__init__.py": t('''\
"""app: a package whose modules use every import form."""
from __future__ import annotations

from . import util
from .core import models
'''),
    "app/util.py": t('''\
"""Targets for several-names-per-statement and backslash continuation."""
import os
import json.decoder


def helper_a():
    return os.sep


def helper_b():
    return json.decoder


__all__ = ["helper_a", "helper_b"]
'''),
    "app/helpers.py": t('''\
"""Target of a star import."""
__all__ = ["shout"]


def shout(s):
    return s.upper()
'''),
    "app/core/__init__.py": t('''\
"""app.core: imports a sibling through `from . import`."""
from . import views
'''),
    "app/core/models.py": t('''\
from __future__ import annotations, division
import app.core.deep.leaf
import app.core.views as v
import app.util, app.helpers
import app.core.missing
from app.core import nothing_here
from app import core
from app.core import (
    views,          # a comment inside the parentheses
    models as self_again,
)
from app.util import helper_a, \\
    helper_b
from app.helpers import *

# level 1: app.core
from . import views as views_again
from .views import render


class Model:
    pass
'''),
    "app/core/views.py": t('''\
"""Imports models back: models <-> views is an import-time cycle."""
from .models import Model


def render(obj):
    return repr(obj)
'''),
    "app/core/deep/__init__.py": t(""),
    "app/core/deep/leaf.py": t('''\
# level 1: app.core.deep, level 2: app.core, level 3: app
from . import sibling
from .. import models
from ...util import helper_a
from ... import helpers
# level 4 climbs above the import root: unresolved, no edge
from .... import outside
from ....beyond import nothing
'''),
    "app/core/deep/sibling.py": t("VALUE = 1\n"),
    "top.py": t('''\
"""A top-level module: it has no package, so its relative imports go nowhere."""
import app
from . import app as relative_app
import app.core.deep.leaf as leaf
'''),
}

# --------------------------------------------------------------------------- kinds
FIXTURES["kinds"] = {
    "kpkg/__init__.py": t('"""kpkg: main.py imports one target module from every position."""\n'),
    "kpkg/main.py": t('''\
"""Each target module's name says the kind its import has here:
e_* eager, d_* deferred, t_* typing."""
import sys
import typing
import typing as t
from typing import TYPE_CHECKING

if sys.platform:
    import kpkg.e_if
try:
    import kpkg.e_try
except ImportError:
    import kpkg.e_except
else:
    import kpkg.e_try_else
finally:
    import kpkg.e_finally
with open(__file__) as _f:
    import kpkg.e_with
for _i in range(1):
    import kpkg.e_for
while False:
    import kpkg.e_while


class Holder:
    import kpkg.e_class

    def method(self):
        import kpkg.d_method
        return kpkg.d_method

    class Inner:
        from kpkg import e_class_nested


def func():
    from kpkg import d_func

    def nested():
        from . import d_nested
        return d_nested
    return d_func, nested


async def coro():
    import kpkg.d_async


fetch = lambda: __import__("kpkg.d_lambda")

if TYPE_CHECKING:
    import kpkg.t_plain
else:
    import kpkg.e_else_of_tc
if typing.TYPE_CHECKING:
    from kpkg import t_typing_attr
if t.TYPE_CHECKING:
    from . import t_alias_attr
if not TYPE_CHECKING:
    import kpkg.e_not_tc
else:
    import kpkg.t_else_of_not
if TYPE_CHECKING:
    def annotate():
        import kpkg.t_func_under_tc
elif sys.flags:
    import kpkg.e_elif


def typed():
    if TYPE_CHECKING:
        import kpkg.t_tc_in_func
    import kpkg.d_after_tc


# the same target three ways: three edges, or one eager edge with --aggregate
import kpkg.mixed
def uses_mixed():
    import kpkg.mixed
if TYPE_CHECKING:
    import kpkg.mixed

if __name__ == "__main__":
    import kpkg.e_main_guard
'''),
    # the import-time cycle: main -> e_if -> main
    "kpkg/e_if.py": t("import kpkg.main\n"),
    # a runtime-only cycle: main -> d_func (deferred) -> main (eager)
    "kpkg/d_func.py": t("from kpkg import main\n"),
    # a cycle through a typing edge only: counts in neither SCC
    "kpkg/t_plain.py": t("from . import main\n"),
}
for _name in ["e_try", "e_except", "e_try_else", "e_finally", "e_with", "e_for", "e_while",
              "e_class", "e_class_nested", "d_method", "d_nested", "d_async", "d_lambda",
              "e_else_of_tc", "t_typing_attr", "t_alias_attr", "e_not_tc", "t_else_of_not",
              "t_func_under_tc", "e_elif", "t_tc_in_func", "d_after_tc", "mixed", "e_main_guard"]:
    FIXTURES["kinds"][f"kpkg/{_name}.py"] = t(f'"""Target: kpkg.{_name}."""\n')

# --------------------------------------------------------------------------- dynamic
FIXTURES["dynamic"] = {
    "dyn/__init__.py": t('''\
"""dyn: submodules loaded on first attribute access through lazy_loader."""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submodules=["alpha", "beta"],
    submod_attrs={"gamma": ["gamma_fn"], "missing": ["nope"]},
)
'''),
    "dyn/alpha.py": t('''\
"""Imported by loader at module level through importlib; imports loader back."""
import dyn.loader
'''),
    "dyn/beta.py": t("BETA = 2\n"),
    "dyn/gamma.py": t("def gamma_fn():\n    return 3\n"),
    "dyn/delta.py": t("DELTA = 4\n"),
    "dyn/epsilon.py": t("EPSILON = 5\n"),
    "dyn/zeta.py": t("ZETA = 6\n"),
    "dyn/eta.py": t("ETA = 7\n"),
    "dyn/theta.py": t("THETA = 8\n"),
    "dyn/loader.py": t('''\
"""Dynamic imports with literal names resolve; computed names do not."""
import importlib
import importlib as il
from importlib import import_module as load

alpha = importlib.import_module("dyn.alpha")       # eager, dyn.alpha
beta = il.import_module(".beta", __package__)      # eager, relative to dyn
gamma = __import__("dyn.gamma")                    # eager
delta = __import__("delta", globals(), locals(), ["DELTA"], 1)   # eager, from dyn import delta
epsilon = load("dyn.epsilon")                      # eager, through the alias


def later(name):
    zeta = importlib.import_module("..zeta", "dyn.sub")   # deferred, dyn.zeta
    computed = importlib.import_module(name)              # not a literal: ignored
    formatted = importlib.import_module(f"dyn.{name}")    # not a literal: ignored
    return zeta, computed, formatted
'''),
    "dyn/getattr_mod.py": t('''\
"""Module-level __getattr__: its imports run on attribute access (deferred)."""
import importlib


def __getattr__(name):
    if name == "eta":
        import dyn.eta
        return dyn.eta
    if name == "theta":
        return importlib.import_module("dyn.theta")
    raise AttributeError(name)
'''),
    "dyn/lazymods.py": t('''\
"""PEP 810 compatibility form: __lazy_modules__ makes module-level imports lazy."""
__lazy_modules__ = ["dyn.alpha", "dyn", "dyn.eta", "dyn.theta", "dyn.zeta"]

import dyn.alpha                 # lazy: in the list
from dyn import beta             # lazy: from-import of a listed module
import dyn.gamma                 # eager: not in the list
try:
    import dyn.eta               # eager: imports in try blocks are never lazy (PEP 810)
except ImportError:
    pass


class Box:
    import dyn.theta             # eager: nor in class bodies


def f():
    import dyn.zeta              # deferred: functions are deferred anyway
'''),
    "dyn/sub/__init__.py": t('''\
"""dyn.sub: lazy_loader under an alias, submodules as a positional list."""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(__name__, ["inner"])
'''),
    "dyn/sub/inner.py": t('''\
"""Eagerly imports its own package back: dyn.sub -(lazy)-> dyn.sub.inner -(eager)-> dyn.sub."""
import dyn.sub
'''),
}

# --------------------------------------------------------------------------- namespace
FIXTURES["namespace"] = {
    # nsroot/ and nsroot/inner/ have no __init__.py: PEP 420 namespace packages
    "nsroot/inner/mod_a.py": t('''\
"""Two modules in a nested namespace package import each other."""
from nsroot.inner import mod_b
from . import mod_c
'''),
    "nsroot/inner/mod_b.py": t("import nsroot.inner.mod_a\n"),
    "nsroot/inner/mod_c.py": t("C = 3\n"),
    "nsroot/regular/__init__.py": t('"""A regular package inside a namespace package."""\n'),
    "nsroot/regular/thing.py": t('''\
from ..inner import mod_a        # relative import through the namespace package
import nsroot                    # a namespace package is not a module: no edge
import nsroot.inner              # nor is this one
'''),
    "nsroot/deeper/still/leaf.py": t("from nsroot.regular import thing\n"),
    "tool.py": t('''\
import nsroot.inner.mod_a
import nsroot.deeper.still.leaf
'''),
    # not identifiers: skipped with everything below them
    "my-scripts/run.py": t("import tool\n"),
    "my-scripts/sub/deep.py": t("import tool\n"),
    "2to3_data.py": t("import tool\n"),
    # skipped directories
    ".hidden/secret.py": t("import tool\n"),
    "build/lib/tool.py": t("import nsroot.inner.mod_a\n"),
    "dist/pkg.py": t("import tool\n"),
    "node_modules/thing.py": t("import tool\n"),
    "site-packages/other.py": t("import tool\n"),
    "__pycache__/stale.py": t("import tool\n"),
    "tool.egg-info/junk.py": t("import tool\n"),
    "venv/pyvenv.cfg": t("home = /usr/bin\n"),
    "venv/lib/helper.py": t("import tool\n"),
    # a directory without any .py file below it: nothing at all
    "docs/readme.txt": t("not python\n"),
}

# --------------------------------------------------------------------------- shadow
FIXTURES["shadow"] = {
    "shade/__init__.py": t(""),
    # shade/mod/ (a package) and shade/mod.py: the package wins, mod.py is not a module
    "shade/mod.py": t('"""Shadowed by the package shade/mod/: never imported."""\nimport shade.never\n'),
    "shade/never.py": t("NEVER = 0\n"),
    "shade/mod/__init__.py": t('''\
"""The package that wins over shade/mod.py; imports user back (a cycle)."""
from shade.user import helper
'''),
    "shade/mod/part.py": t("PART = 1\n"),
    # a stub-only module: its .pyi is the module
    "shade/stubonly.pyi": t("from shade.mod import part\ndef f() -> int: ...\n"),
    # .py beside .pyi: the .py is the module
    "shade/both.py": t("import shade.mod.part\n"),
    "shade/both.pyi": t("import shade.stubonly\n"),
    # a stub-only package (only __init__.pyi)
    "shade/typed/__init__.pyi": t("from shade import both\n"),
    # a plain module beside a namespace directory of the same name: the module wins and
    # the directory's modules cannot be imported (shade.plain is not a package)
    "shade/plain.py": t("PLAIN = 2\n"),
    "shade/plain/hidden.py": t("import shade.user\n"),
    "shade/user.py": t('''\
from shade import mod, stubonly, both, typed
import shade.mod.part
import shade.plain.hidden        # resolves to shade.plain, the longest module prefix


def helper():
    return mod, stubonly, both, typed
'''),
}

# --------------------------------------------------------------------------- srclayout
FIXTURES["srclayout"] = {
    "pyproject.toml": t('''\
[project]
name = "pkg"
version = "0.1"

[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"
'''),
    "src/pkg/__init__.py": t('"""pkg, installed from src/."""\nfrom .api import run\n'),
    "src/pkg/api.py": t('''\
from pkg.core import compute


def run():
    return compute()
'''),
    "src/pkg/core.py": t('''\
def compute():
    from . import api           # deferred: a runtime cycle with api
    return api.__name__
'''),
    "tests/test_x.py": t('''\
import pkg
from pkg.api import run
from tests import helpers


def test_run():
    assert run() == "pkg.api"
'''),
    "tests/helpers.py": t("import pkg.core\n"),
}

# --------------------------------------------------------------------------- encodings
FIXTURES["encodings"] = {
    "enc/__init__.py": t(""),
    # PEP 263 declaration, a latin-1 byte (0xE9) in a string and in a comment
    "enc/latin1.py": (b"# -*- coding: latin-1 -*-\n"
                      b"import enc.target_a\n"
                      b"s = 'caf\xe9'  # \xe9t\xe9\n"
                      b"from . import target_b\n"),
    # a UTF-8 byte order mark before the first import
    "enc/bom.py": b"\xef\xbb\xbfimport enc.target_a\nname = 'na\xc3\xafve'\nfrom enc import target_b\n",
    # CRLF line endings, tab indentation and form feeds
    "enc/crlf.py": (b"import enc.target_a\r\n"
                    b"\x0c\r\n"
                    b"if True:\r\n"
                    b"\timport enc.target_b\r\n"
                    b"\x0cdef f():\r\n"
                    b"\tfrom enc import latin1\r\n"
                    b"\treturn latin1\r\n"),
    # Python 2: ast cannot parse it; a tolerant parser still sees both imports
    "enc/py2.py": (b"import enc.target_a\n"
                   b"print \"x\"\n"
                   b"import enc.target_b\n"),
    # a syntax error between two imports
    "enc/broken.py": (b"import enc.target_a\n"
                      b"def f(:\n"
                      b"    pass\n"
                      b"import enc.target_b\n"),
    # NUL bytes: not Python source at all
    "enc/nulbyte.py": b"import enc.target_a\x00\nimport enc.target_b\n",
    # the cycle: latin1 -> target_a -> latin1
    "enc/target_a.py": t("import enc.latin1\n"),
    "enc/target_b.py": t("B = 2\n"),
}


def write_all(out, names):
    for name in names:
        root = os.path.join(out, name)
        if os.path.isdir(root):
            shutil.rmtree(root)
        for rel, data in sorted(FIXTURES[name].items()):
            path = os.path.join(root, *rel.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
    with open(os.path.join(out, ".gitignore"), "w") as f:
        f.write("# the namespace fixture's __pycache__/ holds a .py file that discovery must skip\n"
                "!/namespace/__pycache__/\n")
    attrs = os.path.join(out, ".gitattributes")
    with open(attrs, "w") as f:
        f.write("# fixture bytes are exact (CRLF, BOM, latin-1, NUL): never convert them\n"
                "* -text\n")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="make_fixtures.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "fixtures"))
    ap.add_argument("names", nargs="*", help=f"fixtures to write (default all: {' '.join(FIXTURES)})")
    a = ap.parse_args(argv)
    names = a.names or list(FIXTURES)
    unknown = [n for n in names if n not in FIXTURES]
    if unknown:
        ap.error(f"unknown fixture(s): {', '.join(unknown)}")
    os.makedirs(a.out, exist_ok=True)
    write_all(a.out, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
