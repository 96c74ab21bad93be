"""Make the pictures of the docs from minidl itself: ``python docs/make_figures.py``.

- ``docs/img/graph.svg``: the computation graph of ``(x * w).tanh().sum()`` drawn by
  ``minidl.viz`` (rendered when Graphviz's ``dot`` is installed; the DOT text is always
  written beside it);
- ``docs/img/loss_curves.png``: the training loss of the tour's three models, per epoch;
- ``docs/img/attention.png``: the attention weights of the trained Transformer on one
  test digit (each of the 8 rows attending to the 8 rows).

The last two need the ``[examples]`` extra (scikit-learn, matplotlib).
"""
import shutil
import sys
from pathlib import Path

import numpy as np

import minidl as md
from minidl import viz

IMG = Path(__file__).resolve().parent / "img"


def graph_figure():
    x = md.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    w = md.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    y = (x * w).tanh().sum()
    viz.render(y, IMG / "graph.dot", names={"x": x, "w": w})
    if shutil.which("dot"):
        viz.render(y, IMG / "graph.svg", names={"x": x, "w": w})
    else:
        print("Graphviz is not installed: wrote graph.dot only", file=sys.stderr)


def training_figures():
    from minidl.models.figures import attention_figure, loss_curves_figure
    loss_curves_figure(IMG / "loss_curves.png")
    attention_figure(IMG / "attention.png")


if __name__ == "__main__":
    IMG.mkdir(exist_ok=True)
    graph_figure()
    if "--graph-only" not in sys.argv:
        training_figures()
