"""The block notebooks (docs/notebooks/*.py, jupytext percent format) run, and every page links them.

Each notebook is executed in a fresh Jupyter kernel with nbclient, as the site build does
(docs/notebooks/_render.py), and must finish without an error, print ``True`` for every
``md.gradcheck`` and draw its plot. Without the ``notebooks`` extra (jupytext, nbclient,
ipykernel) the execution tests are skipped — except in CI, where they must run.
"""
import importlib.util
import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BLOCKS = sorted((DOCS / "blocks").glob("*.md"))


def _render_module():
    spec = importlib.util.spec_from_file_location("notebooks_render", DOCS / "notebooks" / "_render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _render_module()
NOTEBOOKS = render.notebook_paths()
IDS = [p.stem for p in NOTEBOOKS]


def _need(*modules):
    """Import the notebook tools, or skip (fail in CI, which installs the notebooks extra)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            if os.environ.get("CI"):
                raise
            pytest.skip(f"{name} is not installed (pip install -e '.[notebooks]')")


GUIDES = {"autograd": DOCS / "guides" / "autograd.md"}     # notebooks of a guide, not a block


def test_one_notebook_per_block_page():
    assert sorted([p.stem for p in BLOCKS] + list(GUIDES)) == IDS


@pytest.mark.parametrize("stem", sorted(GUIDES))
def test_the_guide_links_its_notebook(stem):
    assert f"](../notebooks/{stem}.md)" in GUIDES[stem].read_text(encoding="utf-8")


@pytest.mark.parametrize("page", BLOCKS, ids=[p.stem for p in BLOCKS])
def test_every_block_page_links_its_notebook(page):
    assert f"](../notebooks/{page.stem}.md)" in page.read_text(encoding="utf-8")


def test_the_readme_and_the_notebook_index_link_the_notebooks():
    assert "docs/notebooks/" in (ROOT / "README.md").read_text(encoding="utf-8")
    index = (DOCS / "notebooks" / "index.md").read_text(encoding="utf-8")
    for stem in IDS:
        assert f"]({stem}.md)" in index, stem
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for stem in IDS:
        assert f"notebooks/{stem}.md" in nav, stem


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_has_the_five_steps(path):
    cells = render.read_cells(path)
    kinds = [kind for kind, _ in cells]
    code = "\n".join(src for kind, src in cells if kind == "code")
    assert kinds[0] == "markdown" and cells[0][1].startswith("# "), "starts with a title cell"
    page = f"../guides/{path.stem}.md" if path.stem in GUIDES else f"../blocks/{path.stem}.md"
    assert f"]({page})" in cells[0][1], "the title cell links the block's page"
    assert "$$" in cells[0][1], "the title cell gives the formula"
    if path.stem in GUIDES:      # the engine's literal loop is central differences, written out
        assert "for " in code and "2 * eps" in code
    else:
        assert "from minidl import reference" in code and "reference." in code.split("import reference", 1)[1]
    assert "md.gradcheck(" in code
    assert "plt.show()" in code
    assert "experiment" in " ".join(src.lower() for kind, src in cells if kind == "markdown")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_the_reader_gives_jupytexts_cells(path):
    _need("jupytext")
    import jupytext

    nb = jupytext.read(path)
    assert [(c.cell_type, c.source) for c in nb.cells] == render.read_cells(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_executes(path):
    _need("nbclient", "nbformat", "ipykernel", "matplotlib")
    start = time.perf_counter()
    nb = render.execute(path, timeout=120)
    seconds = time.perf_counter() - start
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    outputs = [out for cell in code for out in cell.outputs]
    assert not [out for out in outputs if out["output_type"] == "error"]
    # a cell that runs md.gradcheck prints True once per check, and never False
    for cell in code:
        checks = len(re.findall(r"md\.gradcheck\(", cell.source))
        if checks:
            text = "".join(out.get("text", "") for out in cell.outputs)
            assert text.count("True") >= checks and "False" not in text, f"{cell.source}\n-> {text}"
    assert any("image/png" in out.get("data", {}) for out in outputs), "the experiment draws a plot"
    page = render.to_markdown(nb.cells, path.name)
    assert "](data:image/png;base64," in page and page.startswith("# ")
    # a notebook should take a few seconds; the bound is loose for a shared, loaded machine
    assert seconds < 90, f"{path.name} took {seconds:.0f} s"


def test_a_page_renders_without_execution():
    path = DOCS / "notebooks" / "convolution.py"
    page = render.render(path, run=False)
    assert page.startswith("# Convolution")
    assert "```python\nimport time" in page and "data:image/png" not in page
