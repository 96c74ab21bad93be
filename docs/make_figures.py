"""Make the pictures of the docs from minidl itself: ``python docs/make_figures.py``.

- ``docs/img/graph.svg``: the computation graph of ``(x * w).tanh().sum()`` drawn by
  ``minidl.viz`` (rendered when Graphviz's ``dot`` is installed; the DOT text is always
  written beside it);
- ``docs/img/loss_curves.png``: the training loss of the tour's three models, per epoch;
- ``docs/img/attention.png``: the attention weights of the trained Transformer on one
  test digit (each of the 8 rows attending to the 8 rows);
- ``docs/img/cross_attention.png``: the cross-attention weights of the trained seq2seq
  model on one test date (each character written reading the source's characters).

The last two need the ``[examples]`` extra (scikit-learn, matplotlib).

- ``docs/img/<name>.png`` for every name of ``CONCEPT_FIGURES``: the picture of each block
  page's concept, drawn from minidl's own numbers in a few seconds (matplotlib only).
  ``python docs/make_figures.py --concepts-only`` redraws just these.
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
    cross_attention_figure()


def cross_attention_figure(out=IMG, model=None):
    """``cross_attention.png``: what each character the trained seq2seq model writes reads
    of the source — its decoder's cross-attention weights (averaged over the heads) on
    one test date, a day it never saw in training. Trains the tour's seq2seq model
    (about half a minute) unless ``model`` is given."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from minidl.models.dates import TGT_VOCAB, encode_source
    from minidl.models.seq2seq import cross_attention_weights
    from minidl.tools.training import load_data, train

    data = load_data("seq2seq")
    if model is None:
        model = train("seq2seq", data, progress="off").model
    text = next(s for s in data.test_src if " of " in s)           # e.g. "3rd of March 1998"
    src, _ = encode_source([text])
    ids, weights = cross_attention_weights(model, src)              # (1, T, S)
    written = [TGT_VOCAB[i] for i in ids[0]]                        # ends with "<eos>"
    fig, ax = plt.subplots(figsize=(0.42 * len(text) + 2.2, 0.36 * len(written) + 1.6))
    im = ax.imshow(weights[0], cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(text)), ["␣" if c == " " else c for c in text])
    ax.set_yticks(range(len(written)), written)
    ax.set(xlabel=f"source character (the test date {text!r})",
           ylabel="character written",
           title=f"Cross-attention of the trained seq2seq model\n(last decoder layer, mean of "
                 f"its {model.transformer.nhead} heads)")
    fig.colorbar(im, ax=ax, label="weight")
    fig.tight_layout()
    fig.savefig(Path(out) / "cross_attention.png", dpi=110)
    plt.close(fig)


# ---- concept pictures of the block pages (the [examples] extra: matplotlib) --------------
# Each function draws one picture from minidl's own numbers into ``out/<name>.png``
# (dpi 100, well under 150 KB); ``concept_figures()`` draws them all in a few seconds.

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, out, name):
    path = Path(out) / f"{name}.png"
    fig.savefig(path, dpi=100)
    _plt().close(fig)
    return path


def _box(ax, x, y, text, w=1.0, h=0.5, color="#dbe8f6", fontsize=9, **kw):
    """A rounded box centred at (x, y)."""
    from matplotlib.patches import FancyBboxPatch
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                fc=color, ec="0.3", lw=1, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3, **kw)


def _arrow(ax, p, q, color="0.25", style="-|>", lw=1.2, ls="-", rad=0.0, text=None, text_offset=(0, 0.12),
           fontsize=8, text_color=None):
    from matplotlib.patches import FancyArrowPatch
    ax.add_patch(FancyArrowPatch(p, q, arrowstyle=style, mutation_scale=11, color=color, lw=lw, ls=ls,
                                 connectionstyle=f"arc3,rad={rad}", zorder=1, shrinkA=0, shrinkB=0))
    if text:
        ax.text((p[0] + q[0]) / 2 + text_offset[0], (p[1] + q[1]) / 2 + text_offset[1], text, ha="center",
                va="center", fontsize=fontsize, color=text_color or color, zorder=3)


def _blank(ax, xlim, ylim):
    ax.set(xlim=xlim, ylim=ylim, aspect="equal")
    ax.axis("off")


def _grid(ax, values, fmt="{:.0f}", cmap="Blues", vmin=None, vmax=None, fontsize=9, title=None):
    ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize)
    ax.set(xticks=[], yticks=[], title=title)


def _rect(ax, i, j, h, w, color, lw=2.5):
    from matplotlib.patches import Rectangle
    ax.add_patch(Rectangle((j - 0.5, i - 0.5), w, h, fill=False, ec=color, lw=lw, zorder=4))


def conv_im2col_figure(out=IMG):
    """Convolution: the kernel sliding over the input, and the same windows as im2col columns."""
    import minidl.functional as F
    plt = _plt()
    x = np.arange(25.0).reshape(5, 5) % 7
    w = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    y = F.conv2d(md.tensor(x[None, None]), md.tensor(w[None, None])).numpy()[0, 0]     # (3, 3)
    cols = np.stack([x[i:i + 3, j:j + 3].ravel() for i in range(3) for j in range(3)], axis=1)  # (K=9, P=9)
    fig = plt.figure(figsize=(9.5, 5.6))
    gs = fig.add_gridspec(2, 3, height_ratios=[1, 1.25])
    a_x, a_w, a_y = (fig.add_subplot(gs[0, k]) for k in range(3))
    _grid(a_x, x, vmin=0, vmax=12, title="input x (5×5)")
    _grid(a_w, w, cmap="RdBu", vmin=-3, vmax=3, title="kernel w (3×3), not flipped")
    _grid(a_y, y, cmap="RdBu", vmin=-15, vmax=15, title="output y (3×3)")
    for (i, j), color in [((0, 0), "tab:orange"), ((1, 2), "tab:green")]:
        _rect(a_x, i, j, 3, 3, color)
        _rect(a_y, i, j, 1, 1, color)
    a_x.set_xlabel("y[i, j] = Σ_u Σ_v x[i+u, j+v]·w[u, v]", fontsize=9)
    a_col = fig.add_subplot(gs[1, :])
    _grid(a_col, cols, vmin=0, vmax=12, fontsize=8,
          title="im2col: one column per window, one row per kernel offset (u, v)\n"
          "y as a row (1×9) = w as a row (1×9) @ this matrix (9×9): one matrix product")
    a_col.set(xlabel="window p = 3i + j", ylabel="offset 3u + v")
    for p, color in [(0, "tab:orange"), (5, "tab:green")]:
        _rect(a_col, 0, p, 9, 1, color)
    fig.tight_layout()
    return _save(fig, out, "conv_im2col")


def pooling_windows_figure(out=IMG):
    """Pooling: 2×2 windows, the max of each, a three-way tie, and where the gradient goes."""
    import minidl.functional as F
    plt = _plt()
    x = np.array([[1.0, 3.0, 2.0, 2.0],
                  [0.0, 3.0, 2.0, 1.0],
                  [4.0, 1.0, 0.0, 5.0],
                  [2.0, 2.0, 1.0, 3.0]])
    xm = md.tensor(x[None, None], requires_grad=True)
    ym = F.max_pool2d(xm, 2)
    ym.backward(np.ones((1, 1, 2, 2)))
    xa = md.tensor(x[None, None], requires_grad=True)
    F.avg_pool2d(xa, 2).backward(np.ones((1, 1, 2, 2)))
    fig, axes = plt.subplots(1, 4, figsize=(10.5, 3.5))
    colors = ["tab:orange", "tab:green", "tab:purple", "tab:red"]
    _grid(axes[0], x, cmap="Greys", vmin=-2, vmax=12, title="input (4×4)\nwindows 2×2, stride 2")
    _grid(axes[1], ym.detach().numpy()[0, 0], cmap="Greys", vmin=-2, vmax=12, title="max_pool2d\n(2×2)")
    _grid(axes[2], xm.grad.numpy()[0, 0], cmap="Oranges", vmin=0, vmax=1.5,
          title="max: gradient (upstream 1)\nties (3, 3 and 2, 2, 2): first wins")
    _grid(axes[3], xa.grad.numpy()[0, 0], fmt="{:.2f}", cmap="Oranges", vmin=0, vmax=1.5,
          title="avg_pool2d: gradient\n1 / (divisor 4) each")
    for k, (i, j) in enumerate([(0, 0), (0, 2), (2, 0), (2, 2)]):
        for ax in (axes[0], axes[2], axes[3]):
            _rect(ax, i, j, 2, 2, colors[k])
        _rect(axes[1], i // 2, j // 2, 1, 1, colors[k])
    fig.tight_layout()
    return _save(fig, out, "pooling_windows")


def linear_figure(out=IMG):
    """Fully connected: every output is a weighted sum of every input, y = x Wᵀ + b."""
    plt = _plt()
    rng = np.random.default_rng(3)
    W = rng.standard_normal((3, 4)).round(1)             # (out_features, in_features)
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1.1, 1]})
    _blank(a0, (-0.8, 3.8), (-0.6, 3.6))
    xs = [(0, 3 - k) for k in range(4)]
    ys = [(3, 2.5 - k) for k in range(3)]
    for o, q in enumerate(ys):
        for i, p in enumerate(xs):
            a0.plot([p[0], q[0]], [p[1], q[1]], color="tab:red" if W[o, i] > 0 else "tab:blue",
                    lw=0.6 + 1.6 * abs(W[o, i]), alpha=0.7, zorder=1)
    for i, p in enumerate(xs):
        _box(a0, *p, f"x{i + 1}", w=0.55, h=0.45)
    for o, q in enumerate(ys):
        _box(a0, *q, f"y{o + 1}", w=0.55, h=0.45, color="#f6e3c8")
    a0.text(1.5, -0.45, "line width |W[o, i]|; red > 0, blue < 0", ha="center", fontsize=8)
    a0.set_title("y_o = b_o + Σ_i W[o, i] x_i")
    _grid(a1, W, fmt="{:+.1f}", cmap="RdBu_r", vmin=-2.5, vmax=2.5,
          title="weight W (out_features, in_features)\nrow o = the weights into y_o")
    a1.set(xlabel="input i", ylabel="output o")
    fig.tight_layout()
    return _save(fig, out, "linear")


def rnn_unrolled_figure(out=IMG):
    """The recurrent update unrolled over time, and the gradient flowing back through it."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 3.8))
    _blank(ax, (-0.9, 9.2), (-1.4, 2.6))
    _box(ax, 0, 1, "h₀", w=0.6, h=0.45, color="#eeeeee")
    for t in range(1, 5):
        cx = 2 * t
        _box(ax, cx, 1, f"h_{t}", w=1.5, h=0.7, fontsize=10)
        _box(ax, cx, -0.9, f"x_{t}", w=0.6, h=0.4, color="#e6f2e0")
        _box(ax, cx, 2.3, f"o_{t}", w=0.6, h=0.4, color="#f6e3c8")
        _arrow(ax, (cx, -0.7), (cx, 0.65), text="W_xh", text_offset=(0.3, -0.2))
        _arrow(ax, (cx, 1.35), (cx, 2.1), text="W_ho", text_offset=(0.3, 0))
        _arrow(ax, (cx - 0.3, -0.7), (cx - 0.25, 2.1), rad=-0.35, color="0.55", text="W_xo",
               text_offset=(-0.6, -0.55))
        _arrow(ax, (cx - 2 + (0.3 if t == 1 else 0.75), 1.05), (cx - 0.75, 1.05), text="W_hh")
        _arrow(ax, (cx - 0.75, 0.85), (cx - 2 + (0.3 if t == 1 else 0.75), 0.85), color="tab:red", ls="--")
    ax.text(8.95, 1, "…", fontsize=14, va="center")
    ax.text(4, -1.35, "black: forward   ·   red dashed, backpropagation through time: "
            "h̄_{t−1} = (ō_{t−1} ⊙ (1 − o_{t−1}²)) W_ho + (h̄_t ⊙ (1 − h_t²)) W_hh: the same W_hh at every step",
            ha="center",
            fontsize=8, color="tab:red")
    ax.set_title("h_t = f(h_{t−1} W_hhᵀ + x_t W_xhᵀ + b_h),   o_t = f(h_t W_hoᵀ + x_t W_xoᵀ + b_o),   f = tanh\n"
                 "(batched rows: x_t is (N, D), h_t is (N, H))", fontsize=10)
    fig.tight_layout()
    return _save(fig, out, "rnn_unrolled")


def lstm_cell_figure(out=IMG):
    """The LSTM cell: four gates from [x_t, h_{t−1}], and the cell path along the top."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9.5, 4.6))
    _blank(ax, (-0.5, 9.6), (-1.0, 4.4))
    top, mid, low = 3.6, 2.0, 0.3
    _box(ax, 0, top, "c_{t−1}", w=0.8, h=0.45, color="#eeeeee")
    _box(ax, 0, low, "h_{t−1}", w=0.8, h=0.45, color="#eeeeee")
    _box(ax, 1.3, -0.6, "x_t", w=0.6, h=0.4, color="#e6f2e0")
    _arrow(ax, (0.4, low), (1.05, low))
    _arrow(ax, (1.3, -0.4), (1.3, 0.05))
    _box(ax, 1.3, low, "[x_t, h_{t−1}]", w=1.0, h=0.45, fontsize=7.5)
    gates = [("f = σ(·)", 2.7), ("i = σ(·)", 4.0), ("g = tanh(·)", 5.3), ("o = σ(·)", 6.6)]
    for text, gx in gates:
        _box(ax, gx, mid - 0.6, text, w=1.05, h=0.45, color="#f6e3c8", fontsize=8)
        _arrow(ax, (1.8, low), (gx, mid - 0.83), color="0.6", lw=0.8)
    # the cell path: c_t = f ⊙ c_{t−1} + i ⊙ g
    _box(ax, 2.7, top, "⊙", w=0.45, h=0.45, color="white", fontsize=12)
    _box(ax, 4.65, top, "+", w=0.45, h=0.45, color="white", fontsize=12)
    _box(ax, 4.65, mid + 0.45, "⊙", w=0.45, h=0.45, color="white", fontsize=12)
    _arrow(ax, (0.4, top), (2.47, top), color="tab:red", lw=2.2)
    _arrow(ax, (2.93, top), (4.42, top), color="tab:red", lw=2.2)
    _arrow(ax, (4.88, top), (8.6, top), color="tab:red", lw=2.2)
    _box(ax, 9.0, top, "c_t", w=0.6, h=0.45, color="#eeeeee")
    _arrow(ax, (2.7, mid - 0.37), (2.7, top - 0.23))
    _arrow(ax, (4.0, mid - 0.37), (4.5, mid + 0.3))
    _arrow(ax, (5.3, mid - 0.37), (4.8, mid + 0.3))
    _arrow(ax, (4.65, mid + 0.68), (4.65, top - 0.23))
    # the output: h_t = o ⊙ tanh(c_t)
    _box(ax, 7.6, top - 0.9, "tanh", w=0.6, h=0.4, color="white", fontsize=8)
    _box(ax, 7.6, mid - 0.6, "⊙", w=0.45, h=0.45, color="white", fontsize=12)
    _arrow(ax, (7.6, top), (7.6, top - 0.7))
    _arrow(ax, (7.6, top - 1.1), (7.6, mid - 0.37))
    _arrow(ax, (7.13, mid - 0.6), (7.37, mid - 0.6))
    _arrow(ax, (7.6, mid - 0.83), (7.6, low + 0.05), rad=0)
    _arrow(ax, (7.6, low), (8.65, low))
    _box(ax, 9.0, low, "h_t", w=0.6, h=0.45, color="#eeeeee")
    ax.text(3.7, top + 0.45, "the cell path: c_t = f ⊙ c_{t−1} + i ⊙ g — no matrix, no squashing;\n"
            "its gradient: c̄_{t−1} = f ⊙ c̄_t (+ paths through h_{t−1}); with f ≈ 1 it passes unchanged", ha="center",
            fontsize=8.5, color="tab:red")
    ax.text(5.4, -0.75, "gates: (x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh) split into i, f, g, o (PyTorch's order)",
            ha="center", fontsize=8)
    fig.tight_layout()
    return _save(fig, out, "lstm_cell")


def gru_cell_figure(out=IMG):
    """The GRU cell: reset and update gates, the candidate, and the interpolation."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9.5, 4.2))
    _blank(ax, (-0.5, 9.6), (-1.0, 4.0))
    top = 3.3
    _box(ax, 0, top, "h_{t−1}", w=0.8, h=0.45, color="#eeeeee")
    _box(ax, 0, -0.3, "x_t", w=0.6, h=0.45, color="#e6f2e0")
    _box(ax, 1.4, 1.3, "[x_t, h_{t−1}]", w=1.0, h=0.45, fontsize=7.5)
    _arrow(ax, (0, top - 0.23), (1.2, 1.53), color="0.5")
    _arrow(ax, (0, -0.08), (1.2, 1.07), color="0.5")
    gates = {"z": (4.0, 2.3, "z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)"),
             "r": (4.0, 1.3, "r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)"),
             "n": (4.0, 0.1, "n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))")}
    for gx, gy, text in gates.values():
        _box(ax, gx, gy, text, w=3.3, h=0.45, color="#f6e3c8", fontsize=7.5)
        _arrow(ax, (1.9, 1.3), (gx - 1.65, gy), color="0.6", lw=0.8)
    _arrow(ax, (4.0, 1.07), (4.0, 0.33), text="r", text_offset=(0.15, 0))
    _box(ax, 8.0, top, "h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}", w=2.6, h=0.5, color="white", fontsize=8.5)
    _arrow(ax, (0.4, top), (6.7, top), color="tab:red", lw=2.2, text="z ⊙ h_{t−1}: copied through when z ≈ 1",
           text_offset=(0.3, 0.2))
    _arrow(ax, (5.65, 2.3), (7.5, top - 0.25), text="z", text_offset=(0.1, 0.15))
    _arrow(ax, (5.65, 0.1), (8.3, top - 0.25), text="n", text_offset=(0.3, 0))
    ax.text(4.6, -0.85, "PyTorch's GRU: gates in the order r, z, n; the reset gate multiplies h W_hnᵀ + b_hn "
            "after the product", ha="center", fontsize=8)
    fig.tight_layout()
    return _save(fig, out, "gru_cell")


def attention_weights_figure(out=IMG):
    """Attention: why the scores are divided by √d_k (score spread, and softmax saturating)."""
    import minidl.functional as F
    plt = _plt()
    rng = np.random.default_rng(0)
    L, d_k = 8, 64
    q, k = rng.standard_normal((L, d_k)), rng.standard_normal((L, d_k))
    scores = q @ k.T
    raw = F.softmax(md.tensor(scores), dim=-1).numpy()
    scaled = F.softmax(md.tensor(scores / np.sqrt(d_k)), dim=-1).numpy()
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.4))
    bins = np.linspace(-30, 30, 41)
    axes[0].hist(scores.ravel(), bins=bins, alpha=0.6, label=f"q·k (var {scores.var():.0f} ≈ d_k)")
    axes[0].hist((scores / np.sqrt(d_k)).ravel(), bins=bins, alpha=0.6,
                 label=f"q·k/√d_k (var {(scores / np.sqrt(d_k)).var():.1f})")
    axes[0].set(title=f"scores of random q, k (d_k = {d_k})", xlabel="score")
    axes[0].legend(fontsize=7)
    for ax, a, title in [(axes[1], raw, "softmax(QKᵀ): nearly one-hot\n(saturated, tiny gradients)"),
                         (axes[2], scaled, "softmax(QKᵀ/√d_k): spread out")]:
        im = ax.imshow(a, cmap="viridis", vmin=0, vmax=1)
        ax.set(title=title, xlabel="key s", ylabel="query l")
    fig.colorbar(im, ax=axes[2], fraction=0.046)
    fig.tight_layout()
    return _save(fig, out, "attention_weights")


def mha_heads_figure(out=IMG):
    """Multi-head attention: each head works in its own slice of the projected embedding."""
    import minidl.nn as nn
    plt = _plt()
    md.manual_seed(1)
    L, E, h = 6, 8, 2
    mha = nn.MultiheadAttention(E, h)
    x = 3 * md.randn(L, 1, E)            # large enough inputs that the heads' weights differ visibly
    with md.no_grad():
        _, weights = mha(x, x, x, need_weights=True, average_attn_weights=False)     # (N, h, L, S)
        q = x.numpy()[:, 0] @ mha.in_proj_weight.numpy()[:E].T + mha.in_proj_bias.numpy()[:E]   # (L, E)
    fig, axes = plt.subplots(1, 1 + h, figsize=(10, 4.0), gridspec_kw={"width_ratios": [1.5] + [1] * h})
    axes[0].imshow(q, cmap="RdBu", vmin=-4, vmax=4)
    colors = ["tab:orange", "tab:green", "tab:purple", "tab:red"]
    for i in range(h):
        _rect(axes[0], 0, i * E // h, L, E // h, colors[i])
        first, last = i * E // h, (i + 1) * E // h - 1
        axes[0].text(first + E / h / 2 - 0.5, L + 0.1, f"head {i + 1}: columns {first}…{last}",
                     ha="center", va="top", fontsize=8, color=colors[i])
    axes[0].set(title=f"Q = x W_qᵀ + b_q  (L, E)\nsplit into h = {h} slices of E/h = {E // h} columns", xticks=[],
                yticks=[], ylabel="position l")
    for i in range(h):
        axes[1 + i].imshow(weights.numpy()[0, i], cmap="viridis", vmin=0, vmax=1)
        axes[1 + i].set(title=f"head {i + 1}: softmax of its slice\nq_l · k_s / √(E/h)", xlabel="key s",
                        ylabel="query l")
        for s in axes[1 + i].spines.values():
            s.set(ec=colors[i], lw=2.5)
    fig.tight_layout()
    return _save(fig, out, "mha_heads")


def positional_rotation_figure(out=IMG):
    """Positional encoding: the table, and each (sin, cos) pair turning by k·ω_i per k positions."""
    from minidl.reference import positional_encoding
    plt = _plt()
    L, E = 40, 16
    pe = positional_encoding(L, E)
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(10.5, 4.2), gridspec_kw={"width_ratios": [1.2, 1]})
    im = a0.imshow(pe.T, cmap="RdBu", aspect="auto", vmin=-1, vmax=1)
    a0.set(title=f"PE (pos, column), E = {E}", xlabel="position pos", ylabel="column")
    fig.colorbar(im, ax=a0, fraction=0.04)
    k = 4
    for i, color, r in [(1, "tab:orange", 1.12), (2, "tab:green", 1.26)]:
        omega = 10000 ** (-2 * i / E)
        pts = pe[:16, 2 * i:2 * i + 2]                                   # (sin, cos) of pos·ω_i
        a1.plot(pts[:, 0], pts[:, 1], "o", color=color, ms=4, label=f"pair i = {i}: ω_i = {omega:.3g}, pos 0…15")
        for pos in (1, 9):                    # the arc from pos to pos + k: the same angle k·ω_i
            theta = np.linspace(pos * omega, (pos + k) * omega, 30)
            a1.plot(r * np.sin(theta), r * np.cos(theta), color=color, lw=1.5)
            a1.annotate("", xy=(r * np.sin(theta[-1]), r * np.cos(theta[-1])),
                        xytext=(r * np.sin(theta[-2]), r * np.cos(theta[-2])),
                        arrowprops={"arrowstyle": "-|>", "color": color})
            a1.text(1.1 * r * np.sin(theta[15]), 1.1 * r * np.cos(theta[15]), f"pos {pos}→{pos + k}", color=color,
                    fontsize=7, ha="center", va="center")
    t = np.linspace(0, 2 * np.pi, 200)
    a1.plot(np.sin(t), np.cos(t), color="0.8", lw=0.8, zorder=0)
    a1.set(aspect="equal", xlabel="PE[pos, 2i] = sin(pos·ω_i)", ylabel="PE[pos, 2i+1] = cos(pos·ω_i)",
           xlim=(-1.6, 1.6), ylim=(-1.6, 1.6),
           title=f"k = {k} positions on, each pair has turned by k·ω_i,\nfrom any pos: PE[pos + k] = R_k PE[pos]")
    a1.title.set_fontsize(10)
    a1.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return _save(fig, out, "positional_rotation")


def transformer_layers_figure(out=IMG):
    """The encoder layer (post-norm and pre-norm) and the decoder layer, with their residual paths."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 6.4))

    def column(ax, title, steps, inputs):
        ax.set(xlim=(-2.0, 1.9), ylim=(-1.0, 10.3))
        ax.axis("off")
        ax.set_title(title, fontsize=10)
        y = 0
        _box(ax, 0, y, inputs, w=1.6, h=0.45, color="#eeeeee", fontsize=8)
        for kind, text in steps:
            if kind == "sub":
                top = y + 2.3
                _arrow(ax, (0, y + 0.23), (0, y + 0.75))
                _box(ax, 0, y + 1.0, text, w=1.8, h=0.5, color="#f6e3c8", fontsize=8)
                _arrow(ax, (0, y + 1.25), (0, top - 0.2))
                _box(ax, 0, top, "+", w=0.4, h=0.4, color="white", fontsize=11)
                ax.plot([0, 1.2, 1.2], [y + 0.45, y + 0.45, top], color="tab:red", lw=1.8, zorder=1)
                _arrow(ax, (1.2, top), (0.2, top), color="tab:red", lw=1.8)
                y = top
            else:
                _arrow(ax, (0, y + 0.2), (0, y + 0.45))
                _box(ax, 0, y + 0.7, text, w=1.3, h=0.45, color="#dbe8f6", fontsize=8)
                y += 0.7
        _arrow(ax, (0, y + 0.23), (0, y + 0.65))
        ax.text(0, y + 0.8, "output", ha="center", fontsize=8)

    column(axes[0], "encoder layer (post-norm,\nthe default)",
           [("sub", "self-attention(x, x, x)"), ("norm", "LayerNorm"), ("sub", "feed-forward"), ("norm", "LayerNorm")],
           "x (S, N, E)")
    column(axes[1], "encoder layer (norm_first=True,\npre-norm)",
           [("sub", "self-attn(LN(x))"), ("sub", "feed-forward(LN(x))")], "x (S, N, E)")
    column(axes[2], "decoder layer (post-norm)",
           [("sub", "masked self-attention"), ("norm", "LayerNorm"), ("sub", "cross-attn(x, mem, mem)"),
            ("norm", "LayerNorm"), ("sub", "feed-forward"), ("norm", "LayerNorm")], "tgt (L, N, E)")
    axes[2].text(-1.95, 5.0, "memory (S, N, E):\nkeys and values", fontsize=8, ha="left", color="tab:blue")
    _arrow(axes[2], (-1.6, 4.75), (-0.9, 4.1), color="tab:blue")
    axes[1].text(0, -0.75, "red: the residual path x + sublayer(…)\npre-norm keeps it free of LayerNorm",
                 ha="center", fontsize=8, color="tab:red")
    fig.tight_layout()
    return _save(fig, out, "transformer_layers")


def batch_norm_figure(out=IMG):
    """Batch norm averages each channel over the batch (and H, W); layer norm each sample over its features."""
    import minidl.nn as nn
    plt = _plt()
    rng = np.random.default_rng(0)
    N, C = 6, 4
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.4))
    for ax, title, hl in [(axes[0], "batch norm: statistics per channel c\n(over N, and H, W for images)", "col"),
                          (axes[1], "layer norm: statistics per sample n\n(over its features)", "row")]:
        grid = np.zeros((N, C))
        if hl == "col":
            grid[:, 1] = 1
        else:
            grid[2, :] = 1
        ax.imshow(grid, cmap="Oranges", vmin=0, vmax=1.6)
        ax.set(title=title, xlabel="channel / feature c", ylabel="sample n", xticks=range(C), yticks=range(N))
        ax.set_xticks(np.arange(-0.5, C), minor=True)
        ax.set_yticks(np.arange(-0.5, N), minor=True)
        ax.grid(which="minor", color="0.5", lw=0.8)
    x = md.tensor(rng.normal(loc=[-3, 0, 2, 5], scale=[0.5, 1, 2, 0.8], size=(256, C)))
    bn = nn.BatchNorm1d(C).train()
    with md.no_grad():
        y = bn(x).numpy()
    for c, color in enumerate(["tab:blue", "tab:orange", "tab:green", "tab:red"]):
        axes[2].hist(x.numpy()[:, c], bins=30, alpha=0.35, color=color)
        axes[2].hist(y[:, c], bins=30, histtype="step", color=color, lw=1.5)
    axes[2].set(title="4 channels before (filled) and after\nBatchNorm1d in training (lines)", xlabel="value")
    fig.tight_layout()
    return _save(fig, out, "batch_norm")


def softmax_cross_entropy_figure(out=IMG):
    """Softmax and cross-entropy: logits, probabilities, the loss, and the gradient p − onehot(t)."""
    import minidl.functional as F
    plt = _plt()
    z = md.tensor(np.array([[2.0, 1.0, 0.1, -1.0, 0.5]]), requires_grad=True)
    t = 1
    loss = F.cross_entropy(z, md.tensor(np.array([t])))
    loss.backward()
    p = F.softmax(z.detach(), dim=1).numpy()[0]
    C = p.size
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.3))
    colors = ["0.6"] * C
    colors[t] = "tab:orange"
    axes[0].bar(range(C), z.detach().numpy()[0], color=colors)
    axes[0].set(title="logits z\n(target class t = 1 in orange)", xlabel="class")
    axes[1].bar(range(C), p, color=colors)
    axes[1].set(title=f"p = softmax(z)\nloss = −log p_t = {loss.item():.3f}", xlabel="class", ylim=(0, 1))
    axes[2].bar(range(C), z.grad.numpy()[0], color=colors)
    axes[2].axhline(0, color="0.3", lw=0.8)
    axes[2].set(title="∂loss/∂z = p − onehot(t)\n(sums to 0)", xlabel="class")
    fig.tight_layout()
    return _save(fig, out, "softmax_cross_entropy")


def autograd_chain_rule_figure(out=IMG):
    """A worked chain rule on its graph, L = (x·w + x)², x = 2, w = 3: values forward, gradients back.

    The node names a, b are those of the autograd guide's table."""
    plt = _plt()
    x = md.tensor(2.0, requires_grad=True)
    w = md.tensor(3.0, requires_grad=True)
    a = x * w
    b = a + x                      # x is used twice: its gradient is the sum of two paths
    L = b ** 2
    for t in (a, b):
        t.retain_grad()
    L.backward()
    fig, ax = plt.subplots(figsize=(9.5, 3.9))
    _blank(ax, (-0.9, 9.4), (-0.9, 3.1))
    nodes = {"x": (0, 2.2), "w": (0, 0.2), "a": (3, 1.2), "b": (5.8, 1.2), "L": (8.5, 1.2)}
    vals = {"x": x, "w": w, "a": a, "b": b, "L": L}
    labels = {"x": "x (leaf)", "w": "w (leaf)", "a": "a = x·w", "b": "b = a + x", "L": "L = b²"}
    for name, (cx, cy) in nodes.items():
        _box(ax, cx, cy, f"{labels[name]}\n= {vals[name].item():g}", w=1.3, h=0.6,
             color="#eeeeee" if name in "xw" else "#dbe8f6", fontsize=9)
        grad = 1.0 if name == "L" else vals[name].grad.item()
        ax.text(cx, cy - 0.5, f"∂L/∂{name} = {grad:g}", ha="center", va="top", fontsize=9, color="tab:red")
    _arrow(ax, (0.65, 2.1), (2.35, 1.35), text="∂a/∂x = w = 3", text_offset=(0, 0.25))
    _arrow(ax, (0.65, 0.3), (2.35, 1.05), text="∂a/∂w = x = 2", text_offset=(0, -0.3))
    _arrow(ax, (3.65, 1.2), (5.15, 1.2), text="∂b/∂a = 1", text_offset=(0, 0.15))
    _arrow(ax, (0.65, 2.3), (5.4, 1.5), rad=-0.15, text="∂b/∂x = 1 (second use of x)", text_offset=(0.2, 0.65))
    _arrow(ax, (6.45, 1.2), (7.85, 1.2), text="∂L/∂b = 2b", text_offset=(0, 0.15))
    ax.text(4.4, -0.75, "backward: ∂L/∂b = 2·8 = 16, ∂L/∂a = 16·1 = 16, ∂L/∂w = 16·x = 32, "
            "∂L/∂x = 16·w + 16·1 = 48 + 16 = 64 (the two paths are summed)", ha="center", fontsize=8.5,
            color="tab:red")
    fig.tight_layout()
    return _save(fig, out, "autograd_chain_rule")


CONCEPT_FIGURES = {
    "conv_im2col": conv_im2col_figure,
    "pooling_windows": pooling_windows_figure,
    "linear": linear_figure,
    "rnn_unrolled": rnn_unrolled_figure,
    "lstm_cell": lstm_cell_figure,
    "gru_cell": gru_cell_figure,
    "attention_weights": attention_weights_figure,
    "mha_heads": mha_heads_figure,
    "positional_rotation": positional_rotation_figure,
    "transformer_layers": transformer_layers_figure,
    "batch_norm": batch_norm_figure,
    "softmax_cross_entropy": softmax_cross_entropy_figure,
    "autograd_chain_rule": autograd_chain_rule_figure,
}


def concept_figures(out=IMG, names=None):
    """Draw the block pages' pictures (all, or those named) into ``out``; returns their paths."""
    return [CONCEPT_FIGURES[name](out) for name in (names or CONCEPT_FIGURES)]


if __name__ == "__main__":
    IMG.mkdir(exist_ok=True)
    if "--concepts-only" not in sys.argv:
        graph_figure()
    if "--graph-only" not in sys.argv:
        concept_figures()      # the block pages' pictures: a few seconds
    if "--graph-only" not in sys.argv and "--concepts-only" not in sys.argv:
        training_figures()
