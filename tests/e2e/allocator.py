"""End-to-end: the command allocates with mimalloc (CMakeLists.txt links it first). The dynamic
linker, asked to bind every symbol at start and say where (LD_BIND_NOW, LD_DEBUG=bindings), must
bind malloc and free of the command, tree-sitter, GLib and libc itself to libmimalloc: a link that
dropped it, or put libc first, would leave glibc's malloc serving the parser."""
import os
import re

from common import args, check, done, run

A = args()
rc, out, err = run(A.impviz, "--version", env={"LD_BIND_NOW": "1", "LD_DEBUG": "bindings"})
check(rc == 0, f"impviz --version exited {rc}")
bound = {}  # (file, symbol) -> the library it is bound to
for m in re.finditer(r"binding file (\S+) \[\d+\] to (\S+) \[\d+\]: normal symbol `(\w+)'", err):
    bound[(os.path.basename(m.group(1)), m.group(3))] = os.path.basename(m.group(2))
for who in ("impviz", "libtree-sitter.so.0", "libglib-2.0.so.0", "libc.so.6"):
    for symbol in ("malloc", "free"):
        if (who, symbol) in bound:
            check(bound[(who, symbol)].startswith("libmimalloc.so"),
                  f"{who}'s {symbol} is mimalloc's (bound to {bound[(who, symbol)]})")
check(bound.get(("libtree-sitter.so.0", "malloc"), "").startswith("libmimalloc.so"),
      "tree-sitter allocates with mimalloc")
done("allocator")
