"""The docs' pictures: every image a page shows exists, and make_figures.py draws them.

`docs/make_figures.py` draws each block page's picture from minidl's own numbers; the
committed PNGs must be what it draws (same names), small, and each page must show its own.
"""
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)")
PAGES = sorted([ROOT / "README.md", *DOCS.rglob("*.md")])

# the picture of the concept on each block page (and the autograd guide)
PICTURES = {
    "blocks/convolution.md": "conv_im2col.png",
    "blocks/pooling.md": "pooling_windows.png",
    "blocks/linear.md": "linear.png",
    "blocks/recurrent.md": "rnn_unrolled.png",
    "blocks/lstm.md": "lstm_cell.png",
    "blocks/gru.md": "gru_cell.png",
    "blocks/attention.md": "attention_weights.png",
    "blocks/multi-head-attention.md": "mha_heads.png",
    "blocks/positional-encoding.md": "positional_rotation.png",
    "blocks/transformer.md": "transformer_layers.png",
    "blocks/cross-attention.md": "transformer_layers.png",
    "blocks/batch-norm.md": "batch_norm.png",
    "blocks/softmax-cross-entropy.md": "softmax_cross_entropy.png",
    "guides/autograd.md": "autograd_chain_rule.png",
}


def _images(page):
    return [(alt, target) for alt, target in IMAGE.findall(page.read_text(encoding="utf-8"))
            if not target.startswith(("http:", "https:", "data:"))]


def _make_figures():
    spec = importlib.util.spec_from_file_location("make_figures", DOCS / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_image_a_page_shows_exists_and_has_alt_text(page):
    for alt, target in _images(page):
        path = (page.parent / target).resolve()
        assert path.is_file(), f"{page.relative_to(ROOT)} shows {target}, which does not exist"
        assert alt.strip(), f"{page.relative_to(ROOT)}: the image {target} has no alt text"


@pytest.mark.parametrize("page, picture", sorted(PICTURES.items()))
def test_every_block_page_shows_its_picture(page, picture):
    shown = {Path(target).name for _, target in _images(DOCS / page)}
    assert picture in shown, f"docs/{page} does not show img/{picture}"


def test_the_committed_pictures_are_small():
    for picture in set(PICTURES.values()):
        size = (DOCS / "img" / picture).stat().st_size
        assert 5_000 < size < 150_000, f"docs/img/{picture} is {size} bytes"


def test_make_figures_draws_every_block_picture(tmp_path):
    pytest.importorskip("matplotlib")
    figures = _make_figures()
    assert set(figures.CONCEPT_FIGURES) == {Path(p).stem for p in PICTURES.values()}
    paths = figures.concept_figures(tmp_path)          # all of them: a few seconds
    assert sorted(p.name for p in paths) == sorted(f"{name}.png" for name in figures.CONCEPT_FIGURES)
    for p in paths:
        assert p.stat().st_size < 150_000, p.name
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", p.name


def test_the_chain_rule_picture_has_the_hand_worked_numbers():
    # L = (x·w + x)², x = 2, w = 3: the numbers the autograd guide works by hand
    import minidl as md
    x, w = md.tensor(2.0, requires_grad=True), md.tensor(3.0, requires_grad=True)
    L = (x * w + x) ** 2
    L.backward()
    assert (L.item(), x.grad.item(), w.grad.item()) == (64.0, 64.0, 32.0)
