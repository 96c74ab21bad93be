"""The recurrent update and output (F4, F5), the LSTM cell (F6) and the GRU cell, written
as formulas.

Shape legend: N batch, D input features, H hidden units, O output units; weights are
stored (out_features, in_features), so ``W x`` for a batch of row vectors is ``x @ W.T``.

These are composites: each line below is a few primitive ops and the engine's backward
walk, applied step after step, *is* backpropagation through time. ``nn.LSTM`` runs a
whole sequence through the fused primitive ``minidl.ops.recurrent.LSTMScan`` instead,
for speed; it computes the same numbers and is tested against a loop of ``lstm_cell``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..tensor import Tensor

__all__ = ["rnn_step", "rnn_cell", "lstm_cell", "gru_cell"]


def _activation(op, activation, allowed):
    """The function f for the name (or callable) ``activation``."""
    if callable(activation) and not isinstance(activation, str):
        return activation
    if activation not in allowed:
        names = [repr(a) for a in allowed] + (["a callable"] if op == "rnn_step" else [])
        what = "activation" if op == "rnn_step" else "nonlinearity"
        raise ValueError(f"{op}: {what} must be {', '.join(names[:-1])} or {names[-1]}, "
                         f"got {activation!r}")
    return {"tanh": Tensor.tanh, "relu": Tensor.relu, "sigmoid": Tensor.sigmoid}[activation]


def _check_tensor(op, name, t, optional=False):
    if t is None and optional:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def _check_shape(op, name, t, expected, legend):
    if t is not None and t.shape != expected:
        raise ValueError(f"{op}: {name} must be {legend} = {expected}, got shape {t.shape}")


def _apply(op, f, z):
    out = f(z)
    if not isinstance(out, Tensor) or out.shape != z.shape:
        raise TypeError(f"{op}: the activation must map a Tensor of shape {z.shape} to a "
                        f"Tensor of the same shape, got {type(out).__name__}"
                        f"{' of shape ' + str(out.shape) if isinstance(out, Tensor) else ''}")
    return out


def rnn_step(
    x_t: Tensor,
    h_prev: Tensor,
    W_xh: Tensor,
    W_hh: Tensor,
    b_h: Tensor | None = None,
    W_ho: Tensor | None = None,
    W_xo: Tensor | None = None,
    b_o: Tensor | None = None,
    activation: str | Callable[[Tensor], Tensor] = "tanh",
) -> tuple[Tensor, Tensor | None]:
    r"""One step of the article's recurrent network: its two equations, in batched rows.

    The article writes them for column vectors, h_t = f(W_hh h_{t−1} + W_xh x_t + b_h);
    with one sample per row (x_t (N, D), h_t (N, H)), as the code, they read

    .. math::

        h_t = f(h_{t-1} W_{hh}^\top + x_t W_{xh}^\top + b_h)         \qquad \text{(F4)}

        o_t = f(h_t W_{ho}^\top + x_t W_{xo}^\top + b_o)             \qquad \text{(F5)}

    per sample n, hidden unit u and output unit v:
    ``h_t[n, u] = f(Σ_k W_hh[u, k] h_prev[n, k] + Σ_k W_xh[u, k] x_t[n, k] + b_h[u])`` and
    ``o_t[n, v] = f(Σ_k W_ho[v, k] h_t[n, k] + Σ_k W_xo[v, k] x_t[n, k] + b_o[v])``.
    A missing bias or ``W_xo`` drops that term; without ``W_ho`` there is no output
    equation.

    Gradient: with a = h_{t−1} W_hhᵀ + x_t W_xhᵀ + b_h and ā = h̄_t ⊙ f'(a), the engine
    sends ``ā W_hh`` to h_prev, ``ā W_xh`` to x_t, ``āᵀ h_prev`` to W_hh, ``āᵀ x_t`` to
    W_xh and ``Σ_n ā`` to b_h (likewise through the output equation, whose gradient
    also reaches h_t). f'(0) = 0 for relu, as PyTorch.

    Args:
        x_t: (N, D), the input at step t.
        h_prev: (N, H), the previous hidden state h_{t−1}.
        W_xh: (H, D).  W_hh: (H, H).  b_h: (H,) or None.
        W_ho: (O, H) or None (then there is no output and ``o_t`` is None).
        W_xo: (O, D) or None.  b_o: (O,) or None.
        activation: f: ``"tanh"`` (default), ``"relu"``, ``"sigmoid"``, or a callable
            mapping a Tensor to a Tensor of the same shape.

    Returns:
        (h_t, o_t): h_t (N, H); o_t (N, O), or None when ``W_ho`` is None.

    Raises:
        TypeError: an argument is not a Tensor.
        ValueError: a shape does not fit the legend, an unknown activation, or ``W_xo``
            / ``b_o`` given without ``W_ho``.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x_t, h_prev = md.tensor(np.array([[1.0]])), md.tensor(np.array([[0.5]]))
    >>> h_t, o_t = F.rnn_step(x_t, h_prev, md.tensor(np.array([[2.0]])),
    ...                       md.tensor(np.array([[3.0]])), W_ho=md.tensor(np.array([[-1.0]])))
    >>> h_t, o_t                               # tanh(3·0.5 + 2·1), tanh(−h_t)
    (tensor([[0.9981779]], dtype=float64), tensor([[-0.76082786]], dtype=float64))
    """
    op = "rnn_step"
    f = _activation(op, activation, ("tanh", "relu", "sigmoid"))
    for name, t in (("x_t", x_t), ("h_prev", h_prev), ("W_xh", W_xh), ("W_hh", W_hh)):
        _check_tensor(op, name, t)
    for name, maybe in (("b_h", b_h), ("W_ho", W_ho), ("W_xo", W_xo), ("b_o", b_o)):
        _check_tensor(op, name, maybe, optional=True)
    if x_t.ndim != 2 or h_prev.ndim != 2:
        raise ValueError(f"{op}: x_t must be (N, D) and h_prev (N, H), got shapes {x_t.shape} "
                         f"and {h_prev.shape}")
    (N, D), H = x_t.shape, h_prev.shape[1]
    if h_prev.shape[0] != N:
        raise ValueError(f"{op}: x_t and h_prev must have the same batch size N, got shapes "
                         f"{x_t.shape} and {h_prev.shape}")
    _check_shape(op, "W_xh", W_xh, (H, D), "(H, D)")
    _check_shape(op, "W_hh", W_hh, (H, H), "(H, H)")
    _check_shape(op, "b_h", b_h, (H,), "(H,)")
    if W_ho is None and (W_xo is not None or b_o is not None):
        raise ValueError(f"{op}: W_xo and b_o belong to the output equation, which needs W_ho "
                         f"(O, H); W_ho is None")

    a = h_prev @ W_hh.T + x_t @ W_xh.T                       # (N, H)
    if b_h is not None:
        a = a + b_h
    h_t = _apply(op, f, a)                                    # h_t = f(h_{t-1} W_hhᵀ + x_t W_xhᵀ + b_h)
    if W_ho is None:
        return h_t, None

    if W_ho.ndim != 2 or W_ho.shape[1] != H:
        raise ValueError(f"{op}: W_ho must be (O, H) with H = {H}, got shape {W_ho.shape}")
    O = W_ho.shape[0]
    _check_shape(op, "W_xo", W_xo, (O, D), "(O, D)")
    _check_shape(op, "b_o", b_o, (O,), "(O,)")
    z = h_t @ W_ho.T                                          # (N, O)
    if W_xo is not None:
        z = z + x_t @ W_xo.T
    if b_o is not None:
        z = z + b_o
    o_t = _apply(op, f, z)                                    # o_t = f(h_t W_hoᵀ + x_t W_xoᵀ + b_o)
    return h_t, o_t


def _cell_inputs(op, input, states, w_ih, w_hh, b_ih, b_hh, gates):
    """Check a cell's arguments; return (input, states, unbatched) with a batch axis added."""
    _check_tensor(op, "input", input)
    for name, t in (("w_ih", w_ih), ("w_hh", w_hh)):
        _check_tensor(op, name, t)
    for name, t in (("b_ih", b_ih), ("b_hh", b_hh)):
        _check_tensor(op, name, t, optional=True)
    g = f"{gates}H" if gates > 1 else "H"
    if w_ih.ndim != 2 or w_hh.ndim != 2 or w_ih.shape[0] % gates or w_hh.shape[0] != w_ih.shape[0] \
            or w_hh.shape[1] * gates != w_hh.shape[0]:
        raise ValueError(f"{op}: w_ih must be ({g}, D) and w_hh ({g}, H), got shapes "
                         f"{w_ih.shape} and {w_hh.shape}")
    H, D = w_hh.shape[1], w_ih.shape[1]
    if input.ndim not in (1, 2):
        raise ValueError(f"{op}: input must be (N, D) or unbatched (D,), got shape {input.shape}")
    if input.shape[-1] != D:
        raise ValueError(f"{op}: input has {input.shape[-1]} features but w_ih expects D = {D}; "
                         f"input shape {input.shape}, w_ih shape {w_ih.shape}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        _check_shape(op, name, b, (gates * H,), f"({g},)")
    unbatched = input.ndim == 1
    if unbatched:
        input = input.reshape(1, D)
    N = input.shape[0]
    expected = (H,) if unbatched else (N, H)
    legend = "(H,)" if unbatched else "(N, H)"
    out = []
    for name, s in states:
        if s is None:
            s = Tensor._make(np.zeros((N, H), dtype=input.dtype), None)   # default: zeros
        else:
            _check_tensor(op, name, s)
            if s.shape != expected:
                raise ValueError(f"{op}: {name} must be {legend} = {expected} for input shape "
                                 f"{tuple(input.shape[1:]) if unbatched else input.shape}, "
                                 f"got shape {s.shape}")
            if unbatched:
                s = s.reshape(1, H)
        out.append(s)
    return input, out, unbatched


def rnn_cell(
    input: Tensor,
    hx: Tensor | None,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> Tensor:
    r"""One step of PyTorch's ``RNNCell``: the hidden update F4 with two biases.

    .. math::

        h' = f(x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh})

    the article's F4 with W_xh = W_ih, b_h = b_ih + b_hh; f is tanh or relu.

    Gradient: ā = h̄' ⊙ f'(·) flows to ``ā W_ih`` (input), ``ā W_hh`` (hx),
    ``āᵀ x`` (w_ih), ``āᵀ h`` (w_hh) and ``Σ_n ā`` (each bias); relu'(0) = 0.

    Args:
        input: (N, D), or unbatched (D,).
        hx: (N, H) (or (H,)); None means zeros.
        w_ih: (H, D).  w_hh: (H, H).  b_ih, b_hh: (H,) or None.
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.

    Returns:
        h': (N, H), or (H,) for an unbatched input.

    Raises:
        TypeError / ValueError: as :func:`rnn_step`, naming ``rnn_cell``.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.rnn_cell(md.tensor(np.array([1.0])), None, md.tensor(np.array([[0.5]])),
    ...            md.tensor(np.array([[2.0]])), nonlinearity="relu")
    tensor([0.5], dtype=float64)
    """
    op = "rnn_cell"
    f = _activation(op, nonlinearity, ("tanh", "relu"))
    x, (h,), unbatched = _cell_inputs(op, input, [("hx", hx)], w_ih, w_hh, b_ih, b_hh, 1)
    a = x @ w_ih.T + h @ w_hh.T                               # (N, H)
    if b_ih is not None:
        a = a + b_ih
    if b_hh is not None:
        a = a + b_hh
    h_new = f(a)                                              # h' = f(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)
    return h_new.reshape(h_new.shape[1]) if unbatched else h_new


def lstm_cell(
    input: Tensor,
    hx: tuple[Tensor | None, Tensor | None] | None,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    r"""One step of PyTorch's ``LSTMCell`` (F6): four gates, the cell and hidden states.

    .. math::

        \begin{aligned}
        i &= \sigma(x W_{ii}^\top + b_{ii} + h W_{hi}^\top + b_{hi}) && \text{input gate}\\
        f &= \sigma(x W_{if}^\top + b_{if} + h W_{hf}^\top + b_{hf}) && \text{forget gate}\\
        g &= \tanh(x W_{ig}^\top + b_{ig} + h W_{hg}^\top + b_{hg}) && \text{candidate cell}\\
        o &= \sigma(x W_{io}^\top + b_{io} + h W_{ho}^\top + b_{ho}) && \text{output gate}\\
        c' &= f \odot c + i \odot g \\
        h' &= o \odot \tanh(c')
        \end{aligned}

    with the gates' weights stacked in PyTorch's order i, f, g, o: ``w_ih = [W_ii; W_if;
    W_ig; W_io]`` (4H, D), ``w_hh`` (4H, H), biases (4H,). All four pre-activations come
    from one product per input, ``z = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh`` (N, 4H), sliced.

    Gradient (the engine applies it line by line, bottom up): ō = h̄' ⊙ tanh c',
    c̄' += h̄' ⊙ o ⊙ (1 − tanh² c'), c̄ = c̄' ⊙ f, f̄ = c̄' ⊙ c, ī = c̄' ⊙ g, ḡ = c̄' ⊙ i,
    then through σ' = σ(1 − σ) and tanh' = 1 − tanh² to z̄, and z̄ to the weights and
    inputs as in ``linear``.

    Args:
        input: (N, D), or unbatched (D,).
        hx: the pair (h, c), each (N, H) (or (H,) unbatched); None means zeros.
        w_ih: (4H, D).  w_hh: (4H, H).  b_ih, b_hh: (4H,) or None.

    Returns:
        (h', c'): each (N, H), or (H,) for an unbatched input.

    Raises:
        TypeError: an argument is not a Tensor, or hx is not a pair.
        ValueError: shapes that do not fit the legend, naming ``lstm_cell``.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> zeros = md.tensor(np.zeros((4, 1)))
    >>> F.lstm_cell(md.tensor(np.zeros(1)), (md.tensor(np.zeros(1)), md.tensor(np.ones(1))),
    ...             zeros, zeros)                  # i = f = o = σ(0) = 0.5, g = 0
    (tensor([0.23105858], dtype=float64), tensor([0.5], dtype=float64))
    """
    op = "lstm_cell"
    if hx is None:
        hx = (None, None)
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"lstm_cell: hx must be a pair (h, c) of Tensors or None, got "
                        f"{type(hx).__name__}")
    x, (h, c), unbatched = _cell_inputs(op, input, [("h", hx[0]), ("c", hx[1])],
                                        w_ih, w_hh, b_ih, b_hh, 4)
    H = h.shape[1]
    z = x @ w_ih.T + h @ w_hh.T                               # (N, 4H)
    if b_ih is not None:
        z = z + b_ih
    if b_hh is not None:
        z = z + b_hh
    i = z[:, 0:H].sigmoid()                                   # input gate
    f = z[:, H:2 * H].sigmoid()                               # forget gate
    g = z[:, 2 * H:3 * H].tanh()                              # candidate cell
    o = z[:, 3 * H:4 * H].sigmoid()                           # output gate
    c_new = f * c + i * g                                     # c' = f ⊙ c + i ⊙ g
    h_new = o * c_new.tanh()                                  # h' = o ⊙ tanh(c')
    if unbatched:
        return h_new.reshape(H), c_new.reshape(H)
    return h_new, c_new


def gru_cell(
    input: Tensor,
    hx: Tensor | None,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    r"""One step of PyTorch's ``GRUCell``: reset and update gates and a new state.

    .. math::

        \begin{aligned}
        r &= \sigma(x W_{ir}^\top + b_{ir} + h W_{hr}^\top + b_{hr}) && \text{reset gate}\\
        z &= \sigma(x W_{iz}^\top + b_{iz} + h W_{hz}^\top + b_{hz}) && \text{update gate}\\
        n &= \tanh(x W_{in}^\top + b_{in} + r \odot (h W_{hn}^\top + b_{hn})) && \text{new state}\\
        h' &= (1 - z) \odot n + z \odot h
        \end{aligned}

    with the gates' weights stacked in PyTorch's order r, z, n: ``w_ih = [W_ir; W_iz;
    W_in]`` (3H, D), ``w_hh`` (3H, H), biases (3H,). Note that the reset gate multiplies
    h W_hnᵀ + b_hn *after* the product (PyTorch's and cuDNN's form), so b_hn sits inside
    r ⊙ (·) and cannot be merged with b_in. The two products are one each:
    ``g_x = x W_ihᵀ + b_ih`` and ``g_h = h W_hhᵀ + b_hh`` (N, 3H), sliced per gate.

    Gradient (the engine applies it line by line, bottom up): z̄ = h̄' ⊙ (h − n),
    n̄ = h̄' ⊙ (1 − z), h̄ += h̄' ⊙ z; through tanh' = 1 − n²: ā_n = n̄ (1 − n²), which
    reaches g_x's n-slice directly and g_h's n-slice as ā_n ⊙ r, while
    r̄ = ā_n ⊙ (h W_hnᵀ + b_hn); then σ' = σ(1 − σ) for r and z, and the products as in
    ``linear``.

    Args:
        input: (N, D), or unbatched (D,).
        hx: (N, H) (or (H,)); None means zeros.
        w_ih: (3H, D).  w_hh: (3H, H).  b_ih, b_hh: (3H,) or None.

    Returns:
        h': (N, H), or (H,) for an unbatched input.

    Raises:
        TypeError: an argument is not a Tensor.
        ValueError: shapes that do not fit the legend, naming ``gru_cell``.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> zeros = md.tensor(np.zeros((3, 1)))
    >>> F.gru_cell(md.tensor(np.zeros(1)), md.tensor(np.ones(1)), zeros, zeros)
    tensor([0.5], dtype=float64)
    """
    op = "gru_cell"
    x, (h,), unbatched = _cell_inputs(op, input, [("hx", hx)], w_ih, w_hh, b_ih, b_hh, 3)
    H = h.shape[1]
    g_x = x @ w_ih.T                                          # (N, 3H): W_i· x
    if b_ih is not None:
        g_x = g_x + b_ih
    g_h = h @ w_hh.T                                          # (N, 3H): W_h· h
    if b_hh is not None:
        g_h = g_h + b_hh
    r = (g_x[:, 0:H] + g_h[:, 0:H]).sigmoid()                 # reset gate
    z = (g_x[:, H:2 * H] + g_h[:, H:2 * H]).sigmoid()         # update gate
    n = (g_x[:, 2 * H:3 * H] + r * g_h[:, 2 * H:3 * H]).tanh()   # new state
    h_new = (1 - z) * n + z * h                               # h' = (1 − z) ⊙ n + z ⊙ h
    return h_new.reshape(H) if unbatched else h_new
