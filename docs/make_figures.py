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
    """Train the tour's three models (as ``python -m minidl`` does) and draw from them."""
    import math

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from minidl.models.data import load_digits
    from minidl.tools.training import train

    data = load_digits()
    results = {name: train(name, data, progress="off") for name in ("cnn", "lstm", "transformer")}

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for name, r in results.items():
        loss = r.history["epoch_loss"]
        ax.plot(range(1, len(loss) + 1), loss, "o-", ms=3,
                label=f"{name} (test accuracy {r.test_accuracy:.1%})")
    ax.set(xlabel="epoch", ylabel="mean training cross-entropy", yscale="log",
           title="The tour's three models on the digits")
    ax.legend()
    fig.tight_layout()
    fig.savefig(IMG / "loss_curves.png", dpi=110)
    plt.close(fig)

    # the first encoder layer's attention on one test digit: rows attending to rows
    model = results["transformer"].model.eval()
    _, _, x_test, y_test = data.view("rows")
    digit = x_test[:1]                                          # (N=1, L=8, D=8)
    with md.no_grad():
        x = md.tensor(digit).transpose(1, 0, 2)                 # (L, N, D)
        x = model.pos_encoder(model.embedding(x) * math.sqrt(model.d_model))
        layer = model.transformer_encoder.layers[0]
        _, weights = layer.self_attn(x, x, x, need_weights=True)    # (N, L, S)
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(7.5, 3.6))
    a0.imshow(digit[0], cmap="gray_r")
    a0.set(title=f"test digit (label {int(y_test[0])})", xticks=[], ylabel="row")
    im = a1.imshow(weights.data[0], cmap="viridis")
    a1.set(title="attention weights, layer 1\n(averaged over heads)", xlabel="key row s",
           ylabel="query row l")
    fig.colorbar(im, ax=a1)
    fig.tight_layout()
    fig.savefig(IMG / "attention.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    IMG.mkdir(exist_ok=True)
    graph_figure()
    if "--graph-only" not in sys.argv:
        training_figures()
