"""End-to-end: the bash completion that `cmake --install` installs completes what the program
accepts. Its option lists must match `impviz --help` and `impviz diff --help` (and the man page
must document every option), and completing real command lines in a real bash gives the values
the program takes."""
import os
import re
import subprocess
import tempfile

from common import args, check, done, equal, run

A = args()
SCRIPT = os.path.join(A.source, "share", "completions", "impviz.bash")
MAN = os.path.join(A.source, "share", "man", "impviz.1")


def complete(words, cwd=None):
    """Completes the last of `words` (as bash splits them, "=" a word of its own) with the
    installed function; returns the candidates."""
    line = " ".join(words)
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    script = (f"source '{SCRIPT}'\n"
              f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
              f"COMP_LINE='{line}'; COMP_POINT={len(line)}\n"
              "_impviz 2>/dev/null\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, cwd=cwd)
    check(p.returncode == 0, f"bash completing {words}: {p.stderr}")
    return sorted(x for x in p.stdout.split("\n") if x)


def help_options(*argv):
    rc, out, err = run(A.impviz, *argv, "--help")
    equal(rc, 0, f"impviz {' '.join(argv)} --help status")
    return out, {m.group(1) for m in re.finditer(r"^\s+(?:-\w, )?(--[a-z-]+)", out, re.M)}


main_help, main_opts = help_options()
diff_help, diff_opts = help_options("diff")
check(len(main_opts) > 30, f"options read from --help: {sorted(main_opts)}")

# Every option the program takes is offered, and nothing it does not take.
offered = {w.rstrip("=") for w in complete(["impviz", "--"])}
equal(offered, main_opts, "options completed after `impviz --`")
offered = {w.rstrip("=") for w in complete(["impviz", "diff", "--"])}
equal(offered, diff_opts, "options completed after `impviz diff --`")

# The man page documents every option.
with open(MAN, encoding="utf-8") as f:
    man = f.read().replace("\\-", "-")
for opt in sorted(main_opts | diff_opts):
    check(re.search(re.escape(opt) + r"\b", man) is not None, f"man page documents {opt}")

# Values: each list is the one --help gives.
formats = re.search(r"Output format: ([^\n]+)", main_help).group(1)
formats = set(re.findall(r"[a-z]+", formats))
equal(set(complete(["impviz", "-T", ""])), formats, "formats completed after -T")
equal(complete(["impviz", "--format", "=", "m"]), ["markdown", "md", "mermaid", "mmd"],
      "formats after --format=m")
engines = re.search(r"--layout=ENGINE\s+Graphviz layout engine: ([^\n]+)", main_help).group(1)
engines = set(re.findall(r"\b(auto|dot|neato|fdp|sfdp|circo|twopi|osage|patchwork)\b", engines))
equal(set(complete(["impviz", "--layout", "=", ""])), engines, "engines after --layout=")
equal(complete(["impviz", "--rankdir", "=", "B"]), ["BT"], "--rankdir=B")
equal(complete(["impviz", "--externals", "=", ""]), ["all", "none", "top"], "--externals=")
equal(complete(["impviz", "--fail-on", "=", "e"]), ["error"], "--fail-on=e")
equal(complete(["impviz", "--th"]), ["--theme="], "a value-taking option ends in =")
equal(complete(["impviz", "--check", "--cy"]), ["--cycles-only"], "option after option")
equal(complete(["impviz", "diff", "--g"]), ["--git="], "--git only for diff")
equal(complete(["impviz", "--g"]), [], "no --git outside diff")

# Paths: directories for --root, files and directories for PATH, themes by name or file.
with tempfile.TemporaryDirectory(prefix="impviz-completion-") as tmp:
    os.mkdir(os.path.join(tmp, "dpkg"))
    for name in ("dark.theme", "data.py", "my file.py"):
        open(os.path.join(tmp, name), "w").close()
    equal(complete(["impviz", "--root", "=", "d"], cwd=tmp), ["dpkg"], "--root= directories")
    equal(complete(["impviz", "d"], cwd=tmp), ["dark.theme", "data.py", "diff", "dpkg"],
          "first word: diff or a path")
    equal(complete(["impviz", "-q", "d"], cwd=tmp), ["dark.theme", "data.py", "dpkg"],
          "later words: paths only")
    equal(complete(["impviz", "--theme", "=", "d"], cwd=tmp), ["dark", "dark.theme"],
          "--theme= names and .theme files")
    equal(complete(["impviz", "-o", "da"], cwd=tmp), ["dark.theme", "data.py"], "-o files")
    equal(complete(["impviz", "-q", "my"], cwd=tmp), ["my file.py"], "a name with a space")

# The theme names are the themes installed beside it.
themes = sorted(n[:-len(".theme")] for n in os.listdir(os.path.join(A.source, "share", "impviz",
                                                                     "themes")))
equal(complete(["impviz", "--theme", "=", ""], cwd=A.source), themes, "--theme= names")

# cmake --install puts it where bash-completion looks for it, under the command's name.
with tempfile.TemporaryDirectory(prefix="impviz-install-") as prefix:
    build = os.path.dirname(os.path.abspath(A.impviz))
    p = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True,
                       text=True)
    installed = os.path.join(prefix, "share", "bash-completion", "completions", "impviz")
    if check(p.returncode == 0, f"cmake --install: {p.stderr}"):
        with open(installed, "rb") as a, open(SCRIPT, "rb") as b:
            check(a.read() == b.read(), f"{installed} is the completion script")
        check(os.path.isfile(os.path.join(prefix, "share", "man", "man1", "impviz.1")),
              "man page installed")

done("e2e.completion")
