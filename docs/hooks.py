"""MkDocs hooks of the minidl site (listed under ``hooks:`` in mkdocs.yml).

Two jobs:

1. **Include one function, not a whole file.** A line of a page of the form ::

       --8<-- "minidl/ops/conv.py:Conv2d.forward"
       --8<-- "minidl/reference/loss.py:softmax,log_softmax"

   is replaced by the source of each named function or class (a dotted name reaches a
   method), found with :mod:`ast`: its decorators and the comment lines right above it
   come along, its docstrings are left out (the page explains the formula; the API pages
   show them), and it is dedented. Each piece starts with a comment saying where it comes
   from. An unknown file or name stops the build. Lines without a ``:name`` part are left
   to ``pymdownx.snippets``.

2. **MathJax from the built site, not from a CDN.** MathJax (version ``MATHJAX_VERSION``)
   is installed from the npm registry at build time into ``build/docs-assets`` (git
   ignores ``build/``) and copied into the site as ``assets/mathjax/``, which mkdocs.yml
   loads. ``MINIDL_MATHJAX_DIR`` may name an unpacked ``mathjax`` npm package to use
   instead (for a build with no registry at hand). Nothing of MathJax is committed.
"""
import ast
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
MATHJAX_VERSION = "3.2.2"
NPM_PREFIX = ROOT / "build" / "docs-assets"
# The combined component the site loads, and the folders it loads further components
# from on demand (TeX extensions, fonts, the menu, accessibility): nothing else is copied.
MATHJAX_ENTRY = "tex-mml-chtml.js"
MATHJAX_FOLDERS = ("a11y", "adaptors", "input", "output", "sre", "ui")
SITE_MATHJAX = "assets/mathjax"

# --8<-- "path/to/file.py:name[,name...]" alone on a line (leading spaces allowed).
_NAMES = r"[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*"
MARKER = re.compile(rf'^(?P<indent>[ \t]*)--8<--[ \t]+"(?P<path>[^":]+\.py):(?P<names>{_NAMES})"[ \t]*$',
                    re.M)

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


# ---------------------------------------------------------------------------------------
# 1. one function per include

def _find(tree, dotted):
    """The def/class node named ``dotted`` ("Class.method") in a module's tree, or None."""
    scope = tree.body
    node = None
    for part in dotted.split("."):
        node = next((n for n in scope if isinstance(n, _DEFS) and n.name == part), None)
        if node is None:
            return None
        scope = node.body
    return node


def _docstring_lines(node):
    """The 1-based line numbers of every docstring inside ``node`` (itself included)."""
    lines = set()
    for n in ast.walk(node):
        if isinstance(n, _DEFS) and n.body:
            first = n.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str) and len(n.body) > 1):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def _is_comment(line):
    """A comment line that belongs to the def below it (not a ``# ----`` section rule)."""
    line = line.strip()
    return line.startswith("#") and "----" not in line and "====" not in line


def function_source(path, dotted, root=ROOT):
    """The source of function/class ``dotted`` in ``root/path``, as a page shows it.

    Returns the text: a ``# path, lines a-b`` comment, then the definition with its
    decorators and the comment lines directly above it, docstrings left out, dedented.
    Raises ``PluginError`` naming the file and the name when either is missing.
    """
    file = Path(root) / path
    if not file.is_file():
        raise PluginError(f'--8<-- "{path}:{dotted}": no file {path} (paths are relative to {root})')
    text = file.read_text(encoding="utf-8")
    node = _find(ast.parse(text, filename=str(file)), dotted)
    if node is None:
        raise PluginError(f'--8<-- "{path}:{dotted}": {path} defines no function or class {dotted!r}')
    lines = text.splitlines()
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    while start > 1 and _is_comment(lines[start - 2]):
        start -= 1                                   # the comment block right above the def
    end = node.end_lineno
    skipped = _docstring_lines(node)
    # a blank line right after a docstring goes with it
    skipped |= {i + 1 for i in skipped if i + 1 not in skipped and i < len(lines) and not lines[i].strip()}
    body = [lines[i - 1] for i in range(start, end + 1) if i not in skipped]
    note = ", docstring left out" if skipped else ""
    header = f"# {path}, lines {start}-{end}{note}"
    return header + "\n" + textwrap.dedent("\n".join(body)).rstrip("\n")


def expand_includes(markdown, root=ROOT):
    """``markdown`` with every ``--8<-- "file.py:name"`` line replaced by the source."""
    def replace(m):
        names = [n.strip() for n in m.group("names").split(",")]
        code = "\n\n".join(function_source(m.group("path"), n, root) for n in names)
        return textwrap.indent(code, m.group("indent"), lambda line: True)
    return MARKER.sub(replace, markdown)


def on_page_markdown(markdown, page, config, files):
    try:
        return expand_includes(markdown, Path(config.config_file_path).resolve().parent)
    except PluginError as e:
        raise PluginError(f"{page.file.src_uri}: {e}") from None


# ---------------------------------------------------------------------------------------
# 2. MathJax served by the site itself

def _npm_install():
    npm = shutil.which("npm")
    if npm is None:
        raise PluginError(
            f"the site serves MathJax itself and needs it installed at build time: install "
            f"Node.js with npm (then the build runs `npm install mathjax@{MATHJAX_VERSION}` into "
            f"{NPM_PREFIX}), or set MINIDL_MATHJAX_DIR to an unpacked mathjax@{MATHJAX_VERSION} package")
    NPM_PREFIX.mkdir(parents=True, exist_ok=True)
    cmd = [npm, "install", "--prefix", str(NPM_PREFIX), "--no-save", "--no-audit", "--no-fund",
           "--loglevel=error", f"mathjax@{MATHJAX_VERSION}"]
    done = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise PluginError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.strip()}")


def mathjax_dir():
    """The ``es5`` folder of the MathJax package the site ships, installing it if needed."""
    given = os.environ.get("MINIDL_MATHJAX_DIR")
    package = Path(given) if given else NPM_PREFIX / "node_modules" / "mathjax"
    if not given and not (package / "es5" / MATHJAX_ENTRY).is_file():
        _npm_install()
    es5 = package / "es5"
    if not (es5 / MATHJAX_ENTRY).is_file():
        raise PluginError(f"no MathJax at {es5} (expected {MATHJAX_ENTRY} there)")
    return es5


_found = {}


def on_config(config):
    _found["mathjax"] = mathjax_dir()   # fail early, before any page is built
    return config


def on_post_build(config):
    es5 = _found["mathjax"]
    target = Path(config["site_dir"]) / SITE_MATHJAX
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / MATHJAX_ENTRY, target / MATHJAX_ENTRY)
    for folder in MATHJAX_FOLDERS:
        if (es5 / folder).is_dir():
            shutil.copytree(es5 / folder, target / folder, dirs_exist_ok=True)
    if (es5.parent / "LICENSE").is_file():
        shutil.copy2(es5.parent / "LICENSE", target / "LICENSE")
