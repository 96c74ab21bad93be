"""Recurrent layers (F4–F6) with PyTorch's arguments, parameter names, layouts and results.

    RNNCell, LSTMCell,  one step:      F.rnn_cell, F.lstm_cell, F.gru_cell
    GRUCell
    RNN, GRU            a sequence:    a loop of F.rnn_cell / F.gru_cell over time
                                       (composite: the engine's backward walk is the BPTT)
    LSTM                a sequence:    one matrix product for the input projection of all
                                       steps, then the fused primitive ops.recurrent.LSTMScan

Shape legend: L sequence length, N batch, D input features (``input_size``), H hidden
units (``hidden_size``). Sequences are (L, N, D), or (N, L, D) with ``batch_first=True``,
or unbatched (L, D); states are (num_layers · num_directions, N, H), or without the N
axis for an unbatched input.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from ..ops.recurrent import LSTMScan
from ..tensor import Tensor, cat, stack
from . import init
from .module import Module, Parameter, _check_device
from .utils.rnn import PackedSequence, _packed_forward

if TYPE_CHECKING:
    from .._typing import DType

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]


def _check_size(cls, name, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{cls}: {name} must be a positive int, got {value!r}")
    return int(value)


def _reset_uniform(module, hidden_size):
    """Every parameter from U(−1/√H, 1/√H), as PyTorch's recurrent layers."""
    bound = 1.0 / math.sqrt(hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


# ---------------------------------------------------------------------- cells

def _check_state(name, state_name, s, expected, legend, input_shape):
    """A state (h_0, c_0, hx, ...) is None or a Tensor of the expected shape."""
    if s is None:
        return
    if not isinstance(s, Tensor):
        raise TypeError(f"{name}: {state_name} must be a Tensor, got {type(s).__name__}")
    if s.shape != expected:
        raise ValueError(f"{name}: {state_name} must be {legend} = {expected} for input "
                         f"shape {input_shape}, got shape {s.shape}")

class _CellBase(Module):
    _gates = 1

    def __init__(self, input_size, hidden_size, bias, dtype):
        super().__init__()
        name = type(self).__name__
        self.input_size = _check_size(name, "input_size", input_size)
        self.hidden_size = _check_size(name, "hidden_size", hidden_size)
        self.bias = bool(bias)
        G, H, D = self._gates, self.hidden_size, self.input_size
        dtype = dtype or get_default_dtype()
        self.weight_ih = Parameter(np.empty((G * H, D), dtype))
        self.weight_hh = Parameter(np.empty((G * H, H), dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(G * H, dtype))
            self.bias_hh = Parameter(np.empty(G * H, dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self, self.hidden_size)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(_CellBase):
    r"""One step of an Elman RNN: the article's hidden update F4, PyTorch's ``RNNCell``.

    .. math::

        h' = f(x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh})

    (the article's F4, h_t = f(h_{t−1} W_hhᵀ + x_t W_xhᵀ + b_h) in batched rows, with
    W_xh = W_ih and b_h = b_ih + b_hh); f is tanh or relu (relu'(0) = 0). See ``F.rnn_cell``.

    Args:
        input_size: D.  hidden_size: H.
        bias: learn ``bias_ih`` and ``bias_hh`` (default True).
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.

    Shape:
        input (N, D) or (D,); hx (N, H) or (H,), zeros if omitted → h' (N, H) or (H,).

    Attributes:
        weight_ih (H, D), weight_hh (H, H), bias_ih (H,), bias_hh (H,):
        all from U(−1/√H, 1/√H).

    Raises:
        ValueError: non-positive sizes, an unknown nonlinearity, or an input / hx
            of the wrong shape.

    >>> import minidl as md, minidl.nn as nn
    >>> cell = nn.RNNCell(10, 20)
    >>> h = None
    >>> for x_t in md.randn(6, 3, 10):           # (L, N, D), one step at a time
    ...     h = cell(x_t, h)
    >>> h.shape
    (3, 20)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        _check_device(type(self).__name__, device)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return F.rnn_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                          self.bias_hh, nonlinearity=self.nonlinearity)


class LSTMCell(_CellBase):
    r"""One step of an LSTM (F6), PyTorch's ``LSTMCell``.

    .. math::

        \begin{aligned}
        i &= \sigma(x W_{ii}^\top + b_{ii} + h W_{hi}^\top + b_{hi}) && \text{input gate}\\
        f &= \sigma(x W_{if}^\top + b_{if} + h W_{hf}^\top + b_{hf}) && \text{forget gate}\\
        g &= \tanh(x W_{ig}^\top + b_{ig} + h W_{hg}^\top + b_{hg}) && \text{candidate cell}\\
        o &= \sigma(x W_{io}^\top + b_{io} + h W_{ho}^\top + b_{ho}) && \text{output gate}\\
        c' &= f \odot c + i \odot g \\
        h' &= o \odot \tanh(c')
        \end{aligned}

    The gates' weights are stacked in the order i, f, g, o: ``weight_ih = [W_ii; W_if;
    W_ig; W_io]``. The gradient is the chain rule through these lines (see
    ``F.lstm_cell``).

    Args:
        input_size: D.  hidden_size: H.  bias: learn the biases (default True).

    Shape:
        input (N, D) or (D,); hx = (h, c), each (N, H) or (H,), zeros if omitted
        → (h', c'), each (N, H) or (H,).

    Attributes:
        weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,):
        all from U(−1/√H, 1/√H).

    Raises:
        ValueError: non-positive sizes, or an input / state of the wrong shape.
        TypeError: hx is not a pair.

    >>> import minidl as md, minidl.nn as nn
    >>> cell = nn.LSTMCell(10, 20)
    >>> h, c = cell(md.randn(3, 10))
    >>> h.shape, c.shape
    ((3, 20), (3, 20))
    """

    _gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        _check_device(type(self).__name__, device)
        super().__init__(input_size, hidden_size, bias, dtype)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        return F.lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                           self.bias_hh)


class GRUCell(_CellBase):
    r"""One step of a gated recurrent unit, PyTorch's ``GRUCell``.

    .. math::

        \begin{aligned}
        r &= \sigma(x W_{ir}^\top + b_{ir} + h W_{hr}^\top + b_{hr}) && \text{reset gate}\\
        z &= \sigma(x W_{iz}^\top + b_{iz} + h W_{hz}^\top + b_{hz}) && \text{update gate}\\
        n &= \tanh(x W_{in}^\top + b_{in} + r \odot (h W_{hn}^\top + b_{hn})) && \text{new state}\\
        h' &= (1 - z) \odot n + z \odot h
        \end{aligned}

    The gates' weights are stacked in the order r, z, n: ``weight_ih = [W_ir; W_iz;
    W_in]``. The gradient is the chain rule through these lines (see ``F.gru_cell``,
    which also checks the shapes).

    Args:
        input_size: D.  hidden_size: H.  bias: learn the biases (default True).

    Shape:
        input (N, D) or (D,); hx (N, H) or (H,), zeros if omitted → h' (N, H) or (H,).

    Attributes:
        weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,):
        all from U(−1/√H, 1/√H).

    >>> import minidl as md, minidl.nn as nn
    >>> cell = nn.GRUCell(10, 20)
    >>> cell(md.randn(3, 10)).shape
    (3, 20)
    """

    _gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        _check_device(type(self).__name__, device)
        super().__init__(input_size, hidden_size, bias, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return F.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


# ---------------------------------------------------------------------- sequences
class _RNNBase(Module):
    _gates = 1

    def __init__(self, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                 bidirectional, proj_size, dtype):
        super().__init__()
        name = type(self).__name__
        self.input_size = _check_size(name, "input_size", input_size)
        self.hidden_size = _check_size(name, "hidden_size", hidden_size)
        self.num_layers = _check_size(name, "num_layers", num_layers)
        if not isinstance(dropout, numbers.Real) or isinstance(dropout, bool) \
                or not 0 <= dropout <= 1:  # type: ignore[operator, unused-ignore]  # (numbers.Real)
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and self.num_layers == 1:  # type: ignore[operator, unused-ignore]
            warnings.warn(f"{name}: dropout={dropout} acts between layers, so with "
                          f"num_layers=1 it does nothing", UserWarning, stacklevel=3)
        if not isinstance(proj_size, (int, np.integer)) or proj_size < 0 \
                or proj_size >= max(self.hidden_size, 1):
            raise ValueError(f"{name}: proj_size must be an int in [0, hidden_size) = "
                             f"[0, {self.hidden_size}), got {proj_size!r}")
        if proj_size:
            raise NotImplementedError(f"{name}: proj_size={proj_size} (LSTM with projections) "
                                      f"is not implemented in minidl; use proj_size=0")
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0
        dtype = dtype or get_default_dtype()
        G, H = self._gates, self.hidden_size
        directions = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            D = self.input_size if layer == 0 else H * directions
            for direction in range(directions):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                setattr(self, "weight_ih" + sfx, Parameter(np.empty((G * H, D), dtype)))
                setattr(self, "weight_hh" + sfx, Parameter(np.empty((G * H, H), dtype)))
                if self.bias:
                    setattr(self, "bias_ih" + sfx, Parameter(np.empty(G * H, dtype)))
                    setattr(self, "bias_hh" + sfx, Parameter(np.empty(G * H, dtype)))
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self, self.hidden_size)

    def _weights(self, layer, direction):
        """(w_ih, w_hh, b_ih, b_hh) of one layer and direction (biases None without bias)."""
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        p = self._parameters
        return (p["weight_ih" + sfx], p["weight_hh" + sfx],
                p.get("bias_ih" + sfx), p.get("bias_hh" + sfx))

    def _prepare(self, input, states):
        """Check the input and initial states; return time-major (L, N, D) input, the
        states with an N axis, and whether the input was unbatched."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            layout = "(N, L, D)" if self.batch_first else "(L, N, D)"
            raise ValueError(f"{name}: input must be {layout} or unbatched (L, D), got shape "
                             f"{input.shape}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has {input.shape[-1]} features but input_size is "
                             f"{self.input_size}; input shape {input.shape}")
        unbatched = input.ndim == 2
        if unbatched:
            x = input.reshape(input.shape[0], 1, self.input_size)   # (L, 1, D)
        elif self.batch_first:
            x = input.swapaxes(0, 1)                                  # (N, L, D) → (L, N, D)
        else:
            x = input
        L, N, _ = x.shape
        if L == 0:
            raise ValueError(f"{name}: the input sequence is empty; input shape {input.shape}")
        K = self.num_layers * (2 if self.bidirectional else 1)
        expected = (K, self.hidden_size) if unbatched else (K, N, self.hidden_size)
        legend = "(num_layers * num_directions, " + ("H)" if unbatched else "N, H)")
        out = []
        for state_name, s in states:
            _check_state(name, state_name, s, expected, legend, input.shape)
            out.append(s.reshape(K, 1, self.hidden_size) if s is not None and unbatched else s)
        return x, out, unbatched

    def _finish(self, output, states, unbatched):
        """Back to the caller's layout: (N, L, ·) with batch_first, no N axis if unbatched."""
        if unbatched:
            output = output.reshape(output.shape[0], output.shape[2])
            states = [s.reshape(s.shape[0], s.shape[2]) for s in states]
        elif self.batch_first:
            output = output.swapaxes(0, 1)
        return output, states

    def _scan(self, input, hx, cell):
        """The layers of a one-state network (RNN, GRU) as a loop of ``cell`` over time:
        h_t = cell(x_t, h_{t−1}, w_ih, w_hh, b_ih, b_hh), each layer and direction."""
        x, (h_0,), unbatched = self._prepare(input, [("h_0", hx)])
        L = x.shape[0]
        steps = x.unbind(0)                     # L × (N, D): one node, linear-time backward
        directions = 2 if self.bidirectional else 1
        h_n: list[Any] = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout and self.training:
                steps = [F.dropout(s, self.dropout, True) for s in steps]
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
                h = None if h_0 is None else h_0[layer * directions + direction]
                hs = [None] * L
                for t in (range(L - 1, -1, -1) if direction else range(L)):
                    h = cell(steps[t], h, w_ih, w_hh, b_ih, b_hh)     # h_t
                    hs[t] = h
                outputs.append(hs)
                h_n.append(h)
            steps = outputs[0] if directions == 1 else \
                [cat([f, b], dim=1) for f, b in zip(*outputs)]         # (N, 2H) per step
        output = stack(steps, dim=0)                                   # (L, N, directions·H)
        output, (h_n,) = self._finish(output, [stack(h_n, dim=0)], unbatched)
        return output, h_n

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    r"""A multi-layer Elman RNN over a sequence (F4), PyTorch's ``RNN``.

    For each layer and each step t = 1..L:

    .. math::

        h_t = f(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})

    in batched rows (x_t (N, D), h_t (N, H), one sample per row), where x_t is the input
    at step t for the first layer and the previous layer's h_t (after dropout, in
    training mode) for the others; f is tanh or relu. With
    ``bidirectional=True`` a second set of weights (names ending in ``_reverse``) runs
    from t = L down to 1 and the two outputs are concatenated along the last axis.

    The forward is a Python loop of ``F.rnn_cell`` over time: a composite, so the
    backward is the engine's walk over the recorded steps (backpropagation through
    time), iterative and freeing each step's arrays as it goes.

    Args:
        input_size: D.  hidden_size: H.  num_layers: stacked layers (default 1).
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.
        bias: learn ``bias_ih_l*`` and ``bias_hh_l*`` (default True).
        batch_first: input and output are (N, L, ·) instead of (L, N, ·).
        dropout: probability of zeroing the output of each layer except the last, in
            training mode (default 0).
        bidirectional: run each layer in both directions (default False).

    Shape:
        input (L, N, D), (N, L, D) with batch_first, or unbatched (L, D);
        h_0 (num_layers · num_directions, N, H) (or without N), zeros if omitted
        → output (L, N, num_directions · H) (or (N, L, ·), or (L, ·)) — the last layer's
        h_t for every t — and h_n, shaped as h_0, the last state of every layer.

    Attributes:
        weight_ih_l{k} (H, D) for k = 0, else (H, num_directions · H); weight_hh_l{k}
        (H, H); bias_ih_l{k}, bias_hh_l{k} (H,): all from U(−1/√H, 1/√H).

    Raises:
        ValueError: non-positive sizes, an unknown nonlinearity, dropout outside [0, 1],
            an input or h_0 of the wrong shape, an empty sequence.

    >>> import minidl as md, minidl.nn as nn
    >>> rnn = nn.RNN(10, 20, num_layers=2)
    >>> output, h_n = rnn(md.randn(5, 3, 10))
    >>> output.shape, h_n.shape
    ((5, 3, 20), (2, 3, 20))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        _check_device(type(self).__name__, device)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if isinstance(input, PackedSequence):            # nn.utils.rnn's packed batch
            return _packed_forward(self, input, hx)
        return self._scan(input, hx, lambda x_t, h, w_ih, w_hh, b_ih, b_hh: F.rnn_cell(
            x_t, h, w_ih, w_hh, b_ih, b_hh, self.nonlinearity))


class LSTM(_RNNBase):
    r"""A multi-layer LSTM over a sequence (F6), PyTorch's ``LSTM``.

    For each layer and each step t = 1..L (gates stacked i, f, g, o, as PyTorch):

    .. math::

        \begin{aligned}
        i_t &= \sigma(x_t W_{ii}^\top + b_{ii} + h_{t-1} W_{hi}^\top + b_{hi}) && \text{input gate}\\
        f_t &= \sigma(x_t W_{if}^\top + b_{if} + h_{t-1} W_{hf}^\top + b_{hf}) && \text{forget gate}\\
        g_t &= \tanh(x_t W_{ig}^\top + b_{ig} + h_{t-1} W_{hg}^\top + b_{hg}) && \text{candidate cell}\\
        o_t &= \sigma(x_t W_{io}^\top + b_{io} + h_{t-1} W_{ho}^\top + b_{ho}) && \text{output gate}\\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t &= o_t \odot \tanh(c_t)
        \end{aligned}

    in batched rows (x_t (N, D), h_t and c_t (N, H), one sample per row), where x_t is
    the input for the first layer and the previous layer's h_t (after dropout, in
    training mode) for the others. ``bidirectional=True`` adds a second set of weights
    (``_reverse``) run from t = L down to 1, concatenated along the last axis of the
    output.

    How it is computed: the input projections ``x_t W_ihᵀ + b_ih + b_hh`` of all steps
    are one matrix product (L·N, D) × (D, 4H); the recurrence over time is the fused
    primitive ``minidl.ops.recurrent.LSTMScan`` (forward and hand-written BPTT in one
    node, tested against a loop of ``F.lstm_cell``), which made forward + backward
    several times faster than the composite loop.

    Args:
        input_size: D.  hidden_size: H.  num_layers: stacked layers (default 1).
        bias: learn ``bias_ih_l*`` and ``bias_hh_l*`` (default True).
        batch_first: input and output are (N, L, ·) instead of (L, N, ·).
        dropout: probability of zeroing the output of each layer except the last, in
            training mode (default 0).
        bidirectional: run each layer in both directions (default False).
        proj_size: must be 0 (projections are not implemented).

    Shape:
        input (L, N, D), (N, L, D) with batch_first, or unbatched (L, D);
        hx = (h_0, c_0), each (num_layers · num_directions, N, H) (or without N), zeros
        if omitted → output (L, N, num_directions · H) (or (N, L, ·), or (L, ·)) and
        (h_n, c_n), shaped as h_0: the last hidden and cell states of every layer.

    Attributes:
        weight_ih_l{k} (4H, D) for k = 0, else (4H, num_directions · H); weight_hh_l{k}
        (4H, H); bias_ih_l{k}, bias_hh_l{k} (4H,): all from U(−1/√H, 1/√H).

    Raises:
        ValueError: non-positive sizes, dropout outside [0, 1], an input or state of the
            wrong shape, an empty sequence.
        TypeError: hx is not a pair.
        NotImplementedError: proj_size > 0.

    >>> import minidl as md, minidl.nn as nn
    >>> lstm = nn.LSTM(28, 64, batch_first=True)       # the article's classifier: rows as steps
    >>> output, (h_n, c_n) = lstm(md.randn(8, 28, 28))
    >>> output.shape, h_n.shape, c_n.shape
    ((8, 28, 64), (1, 8, 64), (1, 8, 64))
    """

    _gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        _check_device(type(self).__name__, device)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, dtype)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if isinstance(input, PackedSequence):            # nn.utils.rnn's packed batch
            return _packed_forward(self, input, hx)
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTM: hx must be a pair (h_0, c_0) of Tensors or None, got "
                            f"{type(hx).__name__}")
        h_0, c_0 = (None, None) if hx is None else hx
        x, (h_0, c_0), unbatched = self._prepare(input, [("h_0", h_0), ("c_0", c_0)])
        L, N, _ = x.shape          # x time-major (L, N, D); with batch_first a transposed view
        H = self.hidden_size
        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout and self.training:
                x = F.dropout(x, self.dropout, True)
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
                k = layer * directions + direction
                zeros = Tensor(np.zeros((N, H), x.dtype))
                h = zeros if h_0 is None else h_0[k]
                c = zeros if c_0 is None else c_0[k]
                # x_t W_ihᵀ + b_ih + b_hh of every step: one GEMM (L·N, D) × (D, 4H), whose
                # result is time-major and contiguous as the scan reads it (the reshape of
                # a batch_first input copies its D features: fewer than the 4H of xz)
                b = None if b_ih is None else b_ih + b_hh
                xz = F.linear(x.reshape(L * N, x.shape[2]), w_ih, b).reshape(L, N, 4 * H)
                if direction:
                    xz = xz.flip(0)                                    # run from t = L to 1
                hs, c_last = LSTMScan.apply(xz, h, c, w_hh)            # (L, N, H), (N, H)
                h_n.append(hs[L - 1])
                c_n.append(c_last)
                outputs.append(hs.flip(0) if direction else hs)
            x = outputs[0] if directions == 1 else cat(outputs, dim=2)  # (L, N, directions·H)
        output, (h_n, c_n) = self._finish(x, [stack(h_n, dim=0), stack(c_n, dim=0)],
                                          unbatched)
        return output, (h_n, c_n)


class GRU(_RNNBase):
    r"""A multi-layer gated recurrent unit over a sequence, PyTorch's ``GRU``.

    For each layer and each step t = 1..L (gates stacked r, z, n, as PyTorch):

    .. math::

        \begin{aligned}
        r_t &= \sigma(x_t W_{ir}^\top + b_{ir} + h_{t-1} W_{hr}^\top + b_{hr}) && \text{reset gate}\\
        z_t &= \sigma(x_t W_{iz}^\top + b_{iz} + h_{t-1} W_{hz}^\top + b_{hz}) && \text{update gate}\\
        n_t &= \tanh(x_t W_{in}^\top + b_{in} + r_t \odot (h_{t-1} W_{hn}^\top + b_{hn})) && \text{new state}\\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
        \end{aligned}

    where x_t is the input for the first layer and the previous layer's h_t (after
    dropout, in training mode) for the others. ``bidirectional=True`` adds a second
    set of weights (``_reverse``) run from t = L down to 1, concatenated along the last
    axis of the output. The forward is a Python loop of ``F.gru_cell`` over time (a
    composite: the backward is the engine's walk over the recorded steps).

    Args:
        input_size: D.  hidden_size: H.  num_layers: stacked layers (default 1).
        bias: learn ``bias_ih_l*`` and ``bias_hh_l*`` (default True).
        batch_first: input and output are (N, L, ·) instead of (L, N, ·).
        dropout: probability of zeroing the output of each layer except the last, in
            training mode (default 0).
        bidirectional: run each layer in both directions (default False).

    Shape:
        input (L, N, D), (N, L, D) with batch_first, or unbatched (L, D);
        h_0 (num_layers · num_directions, N, H) (or without N), zeros if omitted
        → output (L, N, num_directions · H) (or (N, L, ·), or (L, ·)) and h_n, shaped
        as h_0.

    Attributes:
        weight_ih_l{k} (3H, D) for k = 0, else (3H, num_directions · H); weight_hh_l{k}
        (3H, H); bias_ih_l{k}, bias_hh_l{k} (3H,): all from U(−1/√H, 1/√H).

    Raises:
        ValueError: non-positive sizes, dropout outside [0, 1], an input or h_0 of the
            wrong shape, an empty sequence.

    >>> import minidl as md, minidl.nn as nn
    >>> gru = nn.GRU(10, 20, num_layers=2, bidirectional=True)
    >>> output, h_n = gru(md.randn(5, 3, 10))
    >>> output.shape, h_n.shape
    ((5, 3, 40), (4, 3, 20))
    """

    _gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        _check_device(type(self).__name__, device)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if isinstance(input, PackedSequence):            # nn.utils.rnn's packed batch
            return _packed_forward(self, input, hx)
        return self._scan(input, hx, F.gru_cell)
