"""md.viz: the graph's nodes and edges, DOT text whose labels survive any name, and the
optional graphviz package (inline display, rendering)."""
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minidl as md
from minidl import viz

NASTY = 'a "quoted" \\ name <b>bold</b>\nsecond line \\n'
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _graph():
    x = md.tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = md.tensor(np.array([0.5, -1.0]), requires_grad=True)
    return (x * w).tanh().sum(), x, w


def _unescape(s):
    """DOT's escString as shown: \\n a line break, \\X the character X."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


def _labels(dot_text):
    return [_unescape(m) for m in re.findall(r'label="((?:[^"\\]|\\.)*)"', dot_text)]


def test_to_dot_has_every_op_and_leaf():
    y, x, w = _graph()
    text = viz.to_dot(y, {"x": x, "w": w})
    assert text.startswith("digraph minidl {") and text.endswith("}")
    labels = _labels(text)
    assert "output\n()" in labels and "x\n(2,)" in labels and "w\n(2,)" in labels
    ops = [lab.split("\n")[0] for lab in labels]
    assert sum("Mul" in o for o in ops) == 1 and sum("Tanh" in o for o in ops) == 1
    assert len(re.findall(r"->", text)) == 5            # x, w → mul → tanh → sum → out


def test_to_dot_escapes_quotes_backslashes_and_newlines():
    y, x, w = _graph()
    text = viz.to_dot(y, {NASTY: x, "w": w})
    # outside the quoted strings no quote is left: every string is closed where it should be
    assert '"' not in QUOTED.sub("", text)
    assert NASTY + "\n(2,)" in _labels(text)
    assert viz.escape('"\\') == '\\"\\\\'


def test_a_leaf_alone():
    x = md.tensor(np.zeros((2, 3)), requires_grad=True)
    text = viz.to_dot(x, {"x": x})
    assert "x\n(2, 3)" in _labels(text) and "-> out;" in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_dot_parses_the_escaped_text():
    y, x, w = _graph()
    svg = subprocess.run(["dot", "-Tsvg"], input=viz.to_dot(y, {NASTY: x, "w": w}).encode(),
                         capture_output=True, check=True).stdout.decode()
    assert "a &quot;quoted&quot; \\ name &lt;b&gt;bold&lt;/b&gt;" in svg
    assert "second line \\n" in svg


def test_to_graphviz_escapes_and_displays_inline():
    graphviz = pytest.importorskip("graphviz")
    y, x, w = _graph()
    g = viz.to_graphviz(y, {NASTY: x, "w": w})
    assert isinstance(g, graphviz.Digraph)
    assert hasattr(g, "_repr_mimebundle_")               # Jupyter shows it inline
    assert NASTY + "\n(2,)" in _labels(g.source)
    assert '"' not in QUOTED.sub("", g.source)
    if shutil.which("dot"):
        svg = g.pipe(format="svg").decode()
        assert "&lt;b&gt;bold&lt;/b&gt;" in svg           # shown as text, not as HTML
        assert g._repr_mimebundle_({"image/svg+xml"})["image/svg+xml"].lstrip().startswith("<")


def test_to_graphviz_without_the_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    y, _, _ = _graph()
    with pytest.raises(ImportError, match="pip install graphviz"):
        viz.to_graphviz(y)


def test_render_dot_and_svg(tmp_path):
    y, x, w = _graph()
    out = viz.render(y, tmp_path / "g.dot", names={"x": x})
    assert (tmp_path / "g.dot").read_text().strip() == viz.to_dot(y, {"x": x}) and out == tmp_path / "g.dot"
    if shutil.which("dot"):
        viz.render(y, tmp_path / "g.svg", names={NASTY: x})
        assert "&quot;quoted&quot;" in (tmp_path / "g.svg").read_text()


def test_render_without_dot_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    y, _, _ = _graph()
    with pytest.raises(RuntimeError, match="'dot' program is not installed"):
        viz.render(y, tmp_path / "g.svg")
