"""docs/hooks.py: the one-function includes of the block pages, and where MathJax comes from.

No browser and no site build here (tests/docs/test_site.py opens the built site).
"""
import importlib.util
import re
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="docs/hooks.py is a MkDocs hook: needs the [docs] extra")
from mkdocs.exceptions import PluginError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("minidl_docs_hooks", ROOT / "docs" / "hooks.py")
hooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hooks)

SOURCE = '''\
"""A module docstring."""
import numpy as np


def _helper(x):
    """Not wanted on the page."""
    return x


# The comment right above the function comes along.
def loop(x):
    """The docstring, left out.

    It has several lines.
    """

    y = 0.0
    for v in x:          # one for per index
        y += v
    return y


# ---------------------------------------------------------------- a section rule
class Op:
    """Class docstring."""

    on_arrays = True

    @staticmethod
    def forward(ctx, x):
        """Method docstring."""
        return 2 * x

    @staticmethod
    def backward(ctx, dy):
        return 2 * dy
'''


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(SOURCE)
    return tmp_path


def test_a_function_without_its_docstring_with_the_comment_above(tree):
    got = hooks.function_source("pkg/mod.py", "loop", tree)
    assert got == textwrap.dedent('''\
        # pkg/mod.py, lines 10-20, docstring left out
        # The comment right above the function comes along.
        def loop(x):
            y = 0.0
            for v in x:          # one for per index
                y += v
            return y''')


def test_a_method_is_dedented_and_keeps_its_decorator(tree):
    got = hooks.function_source("pkg/mod.py", "Op.forward", tree)
    assert got == textwrap.dedent('''\
        # pkg/mod.py, lines 29-32, docstring left out
        @staticmethod
        def forward(ctx, x):
            return 2 * x''')
    got = hooks.function_source("pkg/mod.py", "Op.backward", tree)
    assert got.splitlines()[0] == "# pkg/mod.py, lines 34-36"      # nothing left out


def test_a_class_loses_every_docstring_but_not_the_section_rule_above_it(tree):
    got = hooks.function_source("pkg/mod.py", "Op", tree)
    assert got.splitlines()[:3] == ["# pkg/mod.py, lines 24-36, docstring left out", "class Op:",
                                    "    on_arrays = True"]
    assert '"""' not in got and "section rule" not in got
    assert "    @staticmethod\n    def backward(ctx, dy):\n        return 2 * dy" in got


def test_a_marker_line_becomes_the_source_of_each_name_in_order(tree):
    page = 'Text.\n\n```python\n--8<-- "pkg/mod.py:loop, Op.backward"\n```\n\n--8<-- "other.md"\n'
    got = hooks.expand_includes(page, tree)
    assert "--8<-- \"pkg/mod.py" not in got
    assert got.index("def loop(x):") < got.index("def backward(ctx, dy):")
    assert "def _helper" not in got and "import numpy" not in got
    assert got.endswith('--8<-- "other.md"\n')          # a whole-file include: left to snippets


def test_an_indented_marker_keeps_its_indentation(tree):
    got = hooks.expand_includes('- item\n\n    --8<-- "pkg/mod.py:Op.backward"\n', tree)
    assert "\n    @staticmethod\n    def backward(ctx, dy):\n        return 2 * dy\n" in got


@pytest.mark.parametrize("marker, message", [
    ('"pkg/mod.py:nothing"', "pkg/mod.py defines no function or class 'nothing'"),
    ('"pkg/mod.py:Op.sideways"', "no function or class 'Op.sideways'"),
    ('"pkg/gone.py:loop"', "no file pkg/gone.py"),
])
def test_a_wrong_name_or_file_stops_the_build(tree, marker, message):
    with pytest.raises(PluginError, match=re.escape(message)):
        hooks.expand_includes(f"--8<-- {marker}\n", tree)


BLOCKS = sorted((ROOT / "docs" / "blocks").glob("*.md"))


@pytest.mark.parametrize("page", BLOCKS, ids=[p.stem for p in BLOCKS])
def test_block_pages_include_functions_not_whole_files(page):
    text = page.read_text()
    markers = re.findall(r'^\s*--8<--\s+"([^"]+)"', text, re.M)
    whole_files = [m for m in markers if m.endswith(".py")]
    assert not whole_files, f"{page.name} includes whole source files: {whole_files}"
    expanded = hooks.expand_includes(text)                     # every name exists
    assert "--8<--" not in expanded
    assert "def " in expanded or "class " in expanded


def test_mathjax_is_served_by_the_site_not_a_cdn():
    config = (ROOT / "mkdocs.yml").read_text()
    assert "hooks.py" in config and "font: false" in config
    scripts = re.search(r"^extra_javascript:\n((?:  - .*\n)+)", config, re.M).group(1)
    assert "assets/mathjax/tex-mml-chtml.js" in scripts
    assert "//" not in scripts                                 # no http(s):// anywhere
    assert hooks.SITE_MATHJAX + "/" + hooks.MATHJAX_ENTRY in scripts
    assert hooks.MATHJAX_VERSION.startswith("3.")
