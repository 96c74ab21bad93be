"""The sinusoidal positional encoding (F9), the Transformer encoder (F10), the decoder
and the whole encoder–decoder ``Transformer`` (F8's cross-attention).

``PositionalEncoding`` adds a fixed table to its input; ``TransformerEncoderLayer`` is
the layer's two residual sub-layers written with modules that carry PyTorch's names
(so a PyTorch state dict loads by name); ``TransformerEncoder`` stacks independent
copies of a layer. ``TransformerDecoderLayer`` adds a third sub-layer between the two,
cross-attention: queries from the target, keys and values from the encoder's output
(the memory). ``TransformerDecoder`` stacks decoder layers and ``Transformer`` joins an
encoder and a decoder. Everything here is a composite: the engine differentiates it.

Shape legend: S source length, T target length (L when there is only one sequence),
N batch, E embedding (d_model), h heads, F the feed-forward width (dim_feedforward).
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from . import init
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

if TYPE_CHECKING:
    from .._typing import DType

__all__ = ["PositionalEncoding", "TransformerEncoderLayer", "TransformerEncoder",
           "TransformerDecoderLayer", "TransformerDecoder", "Transformer"]


def _positive_int(op, name, v):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {v!r}")
    return int(v)


def _probability(op, name, p):
    if not isinstance(p, (int, float, np.floating)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: {name} must be between 0 and 1, got {p!r}")
    return float(p)


class PositionalEncoding(Module):
    r"""Add the sinusoidal positional encoding (F9) to a sequence, then dropout.

    .. math::

        PE_{pos,\,2i} = \sin\!\big(pos / 10000^{2i/d_{model}}\big), \qquad
        PE_{pos,\,2i+1} = \cos\!\big(pos / 10000^{2i/d_{model}}\big)

        y_{l, n, e} = x_{l, n, e} + PE_{l, e}  \quad\text{(then dropout)}

    The article feeds its encoder ``src * √d_model + PE``: the token embeddings are
    scaled by √d_model so that the encoding (entries in [−1, 1]) does not drown them.
    That scaling belongs to the model, not to this module: multiply before calling it,
    ``pe(embedding(tokens) * math.sqrt(d_model))``. This module only adds the table.

    Gradient: PE is a constant, so x̄ = ȳ (times the dropout mask m/(1 − p) while
    training); the table receives nothing.

    Args:
        d_model: E, the embedding size. An odd E is fine: the last column is a sine,
            and there are ⌊E/2⌋ cosine columns.
        max_len: the longest sequence accepted (default 5000).
        dropout: probability of zeroing an element of the sum while training.
        batch_first: the input is (N, L, E) instead of (L, N, E).

    Shape:
        input (L, N, E), (N, L, E) with ``batch_first``, or unbatched (L, E) →
        output of the same shape.

    Attributes:
        pe: the table (max_len, E), a registered buffer (saved in the state dict, cast by
            ``to(dtype)``), not a parameter. A float64 input reads the table computed in
            float64, so its sum is float64-exact even when ``pe`` is float32.

    Raises:
        ValueError: bad sizes or dropout; in forward, an input of the wrong rank or width,
            or longer than ``max_len``.

    >>> import math, numpy as np, minidl as md, minidl.nn as nn
    >>> pe = nn.PositionalEncoding(d_model=4, max_len=10)
    >>> bool(np.isclose(pe.pe.numpy()[1, 0], math.sin(1.0)))  # PE(1, 0) = sin 1
    True
    >>> pe(md.zeros(3, 2, 4)).shape                          # (L, N, E)
    (3, 2, 4)
    >>> [name for name, _ in pe.named_parameters()], list(pe.state_dict())
    ([], ['pe'])
    """

    def __init__(
        self, d_model: int, max_len: int = 5000, dropout: float = 0.0, batch_first: bool = False
    ) -> None:
        super().__init__()
        op = "PositionalEncoding"
        self.d_model = _positive_int(op, "d_model", d_model)
        self.max_len = _positive_int(op, "max_len", max_len)
        self.batch_first = bool(batch_first)
        self.dropout = Dropout(_probability(op, "dropout", dropout))

        pos = np.arange(self.max_len, dtype=np.float64)[:, None]               # (max_len, 1)
        two_i = np.arange(0, self.d_model, 2, dtype=np.float64)                # 2i, ⌈E/2⌉ values
        omega = 10000.0 ** (-two_i / self.d_model)                             # 1 / 10000^(2i/E)
        angle = pos * omega                                                    # (max_len, ⌈E/2⌉)
        pe = np.empty((self.max_len, self.d_model))
        pe[:, 0::2] = np.sin(angle)                                            # even columns
        pe[:, 1::2] = np.cos(angle[:, : self.d_model // 2])                    # ⌊E/2⌋ odd columns
        self.register_buffer("pe", Tensor(pe.astype(get_default_dtype())))
        # The float64 table is kept too: a float64 input gets float64-exact values even
        # when the buffer is float32 (the default) or was cast up from float32 — as long
        # as the buffer still holds the built table (not one loaded or edited since).
        self._pe64 = pe
        self._pe64_checked = (None, None, False)    # (buffer array, version, still built?)

    def forward(self, x: Tensor) -> Tensor:
        op = "PositionalEncoding"
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            raise ValueError(f"{op}: input must be {layout} or (L, E) with E = d_model = "
                             f"{self.d_model}, got shape {x.shape}")
        L = x.shape[1] if (x.ndim == 3 and self.batch_first) else x.shape[0]
        if L > self.max_len:
            raise ValueError(f"{op}: input has length L = {L} but max_len = {self.max_len}; "
                             f"input shape {x.shape}")
        source = self._pe64 if x.dtype.itemsize > 4 and self._buffer_is_built() else self.pe.numpy()
        table = source[:L].astype(x.dtype, copy=False)        # (L, E), never up-casts x
        if x.ndim == 3:
            table = table[None] if self.batch_first else table[:, None]   # (1, L, E) | (L, 1, E)
        return self.dropout(x + Tensor._make(table, None))

    def _buffer_is_built(self) -> bool:
        """Does ``pe`` still hold the table built in ``__init__`` (in its dtype, or cast up
        from float32)? Checked once per buffer array and version."""
        buf = self.pe
        array, version, built = self._pe64_checked
        if array is not buf._array or version != buf._vc[0]:
            values = buf.numpy()
            built = any(np.array_equal(values, self._pe64.astype(dt).astype(values.dtype))
                        for dt in (values.dtype, np.float32))
            self._pe64_checked = (buf._array, buf._vc[0], built)
        return built

    def extra_repr(self) -> str:
        return (f"d_model={self.d_model}, max_len={self.max_len}, "
                f"batch_first={self.batch_first}")


_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(op: str, activation: Any) -> Any:
    """The feed-forward non-linearity f: a name ("relu", "gelu") or a callable on Tensors."""
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{op}: activation must be 'relu', 'gelu' or a callable, got "
                             f"{activation!r}")
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{op}: activation must be 'relu', 'gelu' or a callable, got "
                        f"{type(activation).__name__}")
    return activation


def _check_device(op, device):
    if device is not None and str(device) != "cpu":
        raise ValueError(f"{op}: minidl runs on the CPU only, got device={device!r}")


class _Layer(Module):
    """What the encoder and decoder layers share: their checked arguments and sub-modules
    (made in PyTorch's order, so the state dicts list them as PyTorch's do), the residual
    connection around a sub-layer, the self-attention and the feed-forward sub-layers."""

    def _build(self, op, cross, d_model, nhead, dim_feedforward, dropout, activation,
               layer_norm_eps, batch_first, norm_first, bias, device, dtype):
        """Check the arguments and make the sub-modules; ``cross`` adds the decoder's
        cross-attention ``multihead_attn``, ``norm3`` and ``dropout3``."""
        d_model = _positive_int(op, "d_model", d_model)
        nhead = _positive_int(op, "nhead", nhead)
        dim_feedforward = _positive_int(op, "dim_feedforward", dim_feedforward)
        if d_model % nhead:
            raise ValueError(f"{op}: d_model E={d_model} must be divisible by nhead h={nhead}")
        dropout = _probability(op, "dropout", dropout)
        f = _activation(op, activation)
        _check_device(op, device)
        self.d_model, self.nhead, self.dim_feedforward = d_model, nhead, dim_feedforward
        self.batch_first = bool(batch_first)

        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        if cross:
            self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                     batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)   # W₁ (F, E)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)   # W₂ (E, F)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        if cross:
            self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if cross:
            self.dropout3 = Dropout(dropout)
        self.activation = f  # the function f; a Module given here becomes a sub-module

    def _residual(self, x, norm, sublayer, *args):
        """One sub-layer S(·) = sublayer(·, *args) in its residual connection:
        LN(x + S(x)) (post-norm), or x + S(LN(x)) (pre-norm, ``norm_first``)."""
        if self.norm_first:
            return x + sublayer(norm(x), *args)
        return norm(x + sublayer(x, *args))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        """SA(x) = dropout1(MultiHead(x, x, x))."""
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=bool(is_causal))
        return self.dropout1(out)

    def _ff(self, x):
        """linear2(dropout(f(linear1(x)))): the feed-forward network before its last dropout."""
        hidden = self.dropout(self.activation(self.linear1(x)))     # (*, F)
        return self.linear2(hidden)                                 # (*, E)

    def _ff_block(self, x):
        """FF(x) = dropout2(linear2(dropout(f(linear1(x)))))."""
        return self.dropout2(self._ff(x))

    def extra_repr(self) -> str:
        name = getattr(self.activation, "__name__", None)
        act = f", activation={name}" if name and not isinstance(self.activation, Module) else ""
        return f"norm_first={self.norm_first}, batch_first={self.batch_first}{act}"


class TransformerEncoderLayer(_Layer):
    r"""One Transformer encoder layer (F10): self-attention and a feed-forward network,
    each in a residual connection with layer normalisation, as PyTorch.

    With SA(x) = dropout1(MultiHead(x, x, x)) and
    FF(x) = dropout2(W₂ dropout(f(W₁ x + b₁)) + b₂), f = relu or gelu:

    .. math::

        \text{post-norm (default)}:\quad x \leftarrow \mathrm{LN}_1(x + \mathrm{SA}(x)),\quad
        x \leftarrow \mathrm{LN}_2(x + \mathrm{FF}(x))

        \text{pre-norm (norm\_first)}:\quad x \leftarrow x + \mathrm{SA}(\mathrm{LN}_1(x)),\quad
        x \leftarrow x + \mathrm{FF}(\mathrm{LN}_2(x))

    Per position (l, n): FF is ``linear2(f(linear1(x[l, n])))``, LN normalises over E
    (see :func:`minidl.functional.layer_norm`), MultiHead is ``nn.MultiheadAttention``.

    Gradient: a composite; the engine differentiates it. The residual connection
    y = x + S(x) gives x̄ = ȳ + S'(x)ᵀ ȳ, so the upstream gradient reaches x directly.

    The article writes ``nn.TransformerEncoderLayer(input_size, hidden_size, num_heads)``:
    the second argument is ``nhead`` and the third ``dim_feedforward``, so that call
    passes them in the wrong places. Write ``TransformerEncoderLayer(d_model=E,
    nhead=h, dim_feedforward=F)``.

    Args:
        d_model: E.  nhead: h, which must divide E.
        dim_feedforward: F, the hidden width of the feed-forward network (default 2048).
        dropout: the probability used by every dropout, including the attention's
            (default 0.1).
        activation: ``"relu"`` (default), ``"gelu"`` or a callable on Tensors.
        layer_norm_eps: ε of both layer norms (default 1e-5).
        batch_first: inputs are (N, L, E) instead of (L, N, E).
        norm_first: pre-norm instead of post-norm.
        bias: learn biases in the linear layers, the attention and the layer norms.
        device: only None or "cpu".  dtype: dtype of the parameters.

    Shape:
        src (L, N, E), (N, L, E) with ``batch_first``, or unbatched (L, E) → the same.
        src_mask (L, L) or (N·h, L, L): bool True = may NOT attend, or float added to the
        scores. src_key_padding_mask (N, L): bool True = ignore that key, or float added.

    Attributes (state-dict names, as PyTorch):
        self_attn (``in_proj_weight`` (3E, E), ``in_proj_bias`` (3E,),
        ``out_proj.weight`` (E, E), ``out_proj.bias`` (E,)), linear1 (F, E) / (F,),
        linear2 (E, F) / (E,), norm1 and norm2 (E,) / (E,); dropout, dropout1, dropout2.

    Raises:
        ValueError: E not divisible by h, a bad size, dropout or activation name, or in
            forward a src of the wrong rank or width.
        TypeError: an activation that is neither a name nor a callable.

    Examples:
        >>> import minidl as md, minidl.nn as nn
        >>> layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0)
        >>> layer(md.randn(5, 3, 8)).shape                  # (L, N, E)
        (5, 3, 8)
        >>> list(layer.state_dict())[:4]
        ['self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias']
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        self._build("TransformerEncoderLayer", False, d_model, nhead, dim_feedforward, dropout,
                    activation, layer_norm_eps, batch_first, norm_first, bias, device, dtype)

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        """The layer on ``src``; ``is_causal=True`` without ``src_mask`` applies the causal
        mask (query l attends to keys s ≤ l); with ``src_mask`` it is only a hint and
        the mask is used as given (as PyTorch)."""
        op = "TransformerEncoderLayer"
        if not isinstance(src, Tensor):
            raise TypeError(f"{op}: src must be a Tensor, got {type(src).__name__}")
        if src.ndim not in (2, 3) or src.shape[-1] != self.d_model:
            layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
            raise ValueError(f"{op}: src must be {layout} or (L, E) with E = d_model = "
                             f"{self.d_model}, got shape {src.shape}")
        x = self._residual(src, self.norm1, self._sa_block, src_mask, src_key_padding_mask,
                           is_causal)                                   # SA with LN₁
        return self._residual(x, self.norm2, self._ff_block)            # FF with LN₂


class TransformerEncoder(Module):
    r"""A stack of ``num_layers`` encoder layers (F10), then an optional final norm.

    .. math::

        x_0 = \mathrm{src},\quad x_k = \mathrm{layer}_k(x_{k-1}),\quad
        \mathrm{out} = \mathrm{norm}(x_{\text{num\_layers}})

    Each layer is an independent deep copy of ``encoder_layer`` (same initial weights,
    separate parameters), named ``layers.0``, ``layers.1``, … as in PyTorch.

    Gradient: a composite; the engine differentiates it through every layer.

    Args:
        encoder_layer: a ``TransformerEncoderLayer`` (any Module called as
            ``layer(x, src_mask=..., src_key_padding_mask=..., is_causal=...)``).
        num_layers: how many copies (>= 1).
        norm: a final Module (e.g. ``LayerNorm(E)``) or None.
        enable_nested_tensor, mask_check: accepted for PyTorch compatibility and ignored:
            minidl always computes the plain formula (no nested-tensor fast path). So,
            unlike PyTorch's fast path (eval mode, no grad, ``batch_first=True`` and a
            ``src_key_padding_mask``), minidl does not zero the output at padded positions:
            those rows hold the formula's values; every other row agrees.

    Shape:
        src as the layer expects: (L, N, E), (N, L, E) with ``batch_first``, or (L, E);
        mask (L, L), src_key_padding_mask (N, L); output like src.

    Raises:
        TypeError: ``encoder_layer`` or ``norm`` is not a Module.
        ValueError: ``num_layers`` is not a positive int.

    >>> import minidl as md, minidl.nn as nn
    >>> layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0)
    >>> encoder = nn.TransformerEncoder(layer, num_layers=2)
    >>> encoder(md.randn(5, 3, 8)).shape                # (L, N, E)
    (5, 3, 8)
    >>> encoder.layers[0].linear1.weight is encoder.layers[1].linear1.weight
    False
    """

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        op = "TransformerEncoder"
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"{op}: encoder_layer must be a Module, got "
                            f"{type(encoder_layer).__name__}")
        if norm is not None and not isinstance(norm, Module):
            raise TypeError(f"{op}: norm must be a Module or None, got {type(norm).__name__}")
        self.num_layers = _positive_int(op, "num_layers", num_layers)
        self.layers = ModuleList(copy.deepcopy(encoder_layer) for _ in range(self.num_layers))
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        """Run ``src`` through every layer with the same masks. ``is_causal=True`` without
        ``mask`` applies the causal mask in every layer; with ``mask`` it is a hint."""
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


# ---------------------------------------------------------------------- the decoder
def _check_sequence(op, name, x, d_model, batch_first):
    """x must be a Tensor (T, N, E) — (N, T, E) with batch_first — or unbatched (T, E)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (2, 3) or x.shape[-1] != d_model:
        layout = "(N, T, E)" if batch_first else "(T, N, E)"
        raise ValueError(f"{op}: {name} must be {layout} or unbatched (T, E) with E = d_model = "
                         f"{d_model}, got shape {x.shape}")


def _check_pair(op, tgt, memory, d_model, batch_first):
    """tgt (T, N, E) and memory (S, N, E): the same rank, batch size N and width E."""
    _check_sequence(op, "tgt", tgt, d_model, batch_first)
    _check_sequence(op, "memory", memory, d_model, batch_first)
    bat = 0 if batch_first else 1
    if tgt.ndim != memory.ndim or (tgt.ndim == 3 and tgt.shape[bat] != memory.shape[bat]):
        layout = "(N, T, E) and (N, S, E)" if batch_first else "(T, N, E) and (S, N, E)"
        raise ValueError(f"{op}: tgt and memory must be {layout} with the same batch size N "
                         f"(or both unbatched); got tgt shape {tgt.shape}, memory shape "
                         f"{memory.shape}")


class TransformerDecoderLayer(_Layer):
    r"""One Transformer decoder layer: masked self-attention, cross-attention over the
    memory, and a feed-forward network, each in a residual connection with layer
    normalisation, as PyTorch.

    With x the target sequence (T positions) and m the memory (the encoder's output, S
    positions),

    * SA(x) = dropout1(MultiHead(x, x, x))    — self-attention, usually causal (``tgt_mask``);
    * CA(x, m) = dropout2(MultiHead(x, m, m)) — **cross-attention**: queries from the
      target, keys and values from the source;
    * FF(x) = dropout3(W₂ dropout(f(W₁ x + b₁)) + b₂), f = relu or gelu:

    .. math::

        \text{post-norm (default)}:\quad x \leftarrow \mathrm{LN}_1(x + \mathrm{SA}(x)),\quad
        x \leftarrow \mathrm{LN}_2(x + \mathrm{CA}(x, m)),\quad
        x \leftarrow \mathrm{LN}_3(x + \mathrm{FF}(x))

        \text{pre-norm (norm\_first)}:\quad x \leftarrow x + \mathrm{SA}(\mathrm{LN}_1(x)),\quad
        x \leftarrow x + \mathrm{CA}(\mathrm{LN}_2(x), m),\quad
        x \leftarrow x + \mathrm{FF}(\mathrm{LN}_3(x))

    Cross-attention is the only place where the two sequences meet: target position t
    reads ``Σ_s a[t, s] · V(m_s)`` with ``a[t, ·] = softmax_s(Q(x_t) · K(m_s) / √E_h)``.

    Gradient: a composite; the engine differentiates it. The memory receives gradient
    only through the keys and values of cross-attention: m̄_s = W_kᵀ k̄_s + W_vᵀ v̄_s with
    v̄_s = Σ_t a[t, s] ō_t (per head) and k̄_s from the softmax's gradient — this is what
    flows back into the encoder. Masked positions (``True``/−inf) get zero gradient.

    Args:
        d_model: E.  nhead: h, which must divide E.
        dim_feedforward: F (default 2048).
        dropout: the probability used by every dropout, including both attentions'
            (default 0.1).
        activation: ``"relu"`` (default), ``"gelu"`` or a callable on Tensors.
        layer_norm_eps: ε of the three layer norms (default 1e-5).
        batch_first: inputs are (N, T, E) and (N, S, E) instead of (T, N, E), (S, N, E).
        norm_first: pre-norm instead of post-norm.
        bias: learn biases in the linear layers, both attentions and the layer norms.
        device: only None or "cpu".  dtype: dtype of the parameters.

    Shape:
        tgt (T, N, E), memory (S, N, E) — (N, T, E), (N, S, E) with ``batch_first``, or
        unbatched (T, E), (S, E) → output like tgt.
        tgt_mask (T, T) or (N·h, T, T); memory_mask (T, S) or (N·h, T, S): bool True =
        may NOT attend, or float added to the scores. tgt_key_padding_mask (N, T),
        memory_key_padding_mask (N, S): bool True = ignore that key, or float added.
        ``tgt_is_causal`` / ``memory_is_causal``: without the matching mask, apply the
        causal mask (key s allowed for query t iff s ≤ t); with it, a hint, and the mask
        is used as given.

    Attributes (state-dict names, as PyTorch):
        self_attn and multihead_attn (each ``in_proj_weight`` (3E, E), ``in_proj_bias``
        (3E,), ``out_proj.weight`` (E, E), ``out_proj.bias`` (E,)), linear1 (F, E) / (F,),
        linear2 (E, F) / (E,), norm1, norm2, norm3 (E,) / (E,); dropout, dropout1,
        dropout2, dropout3. Initial values: each module's own default (as PyTorch's layer;
        ``nn.Transformer`` then redraws every matrix xavier-uniform).

    Raises:
        ValueError: E not divisible by h, a bad size, dropout or activation name, or in
            forward a tgt or memory of the wrong rank, width or batch size.
        TypeError: an activation that is neither a name nor a callable; a non-Tensor input.

    Examples:
        >>> import minidl as md, minidl.nn as nn
        >>> layer = nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0)
        >>> tgt, memory = md.randn(4, 3, 8), md.randn(6, 3, 8)    # (T, N, E), (S, N, E)
        >>> mask = nn.Transformer.generate_square_subsequent_mask(4)
        >>> layer(tgt, memory, tgt_mask=mask).shape
        (4, 3, 8)
        >>> [k for k in layer.state_dict() if k.startswith("norm")]
        ['norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'norm3.weight', 'norm3.bias']
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        self._build("TransformerDecoderLayer", True, d_model, nhead, dim_feedforward, dropout,
                    activation, layer_norm_eps, batch_first, norm_first, bias, device, dtype)

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """The layer on ``tgt`` reading ``memory``; see the class docstring for the masks."""
        _check_pair("TransformerDecoderLayer", tgt, memory, self.d_model, self.batch_first)
        x = self._residual(tgt, self.norm1, self._sa_block, tgt_mask, tgt_key_padding_mask,
                           tgt_is_causal)                               # SA with LN₁
        x = self._residual(x, self.norm2, self._mha_block, memory, memory_mask,
                           memory_key_padding_mask, memory_is_causal)   # CA with LN₂
        return self._residual(x, self.norm3, self._ff_block)            # FF with LN₃

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        """CA(x, m) = dropout2(MultiHead(x, m, m)): queries from x, keys and values from m."""
        out, _ = self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                     key_padding_mask=key_padding_mask, need_weights=False,
                                     is_causal=bool(is_causal))
        return self.dropout2(out)

    def _ff_block(self, x):
        """FF(x) = dropout3(linear2(dropout(f(linear1(x)))))."""
        return self.dropout3(self._ff(x))


def _is_causal_mask(mask, size):
    """True when ``mask`` is exactly ``generate_square_subsequent_mask(size)`` (float: 0 on
    and below the diagonal, −inf above; bool: True above) — PyTorch's detection rule."""
    array = np.asarray(mask)
    if array.shape != (size, size):
        return False
    above = np.triu(np.ones((size, size), dtype=bool), 1)
    if array.dtype == bool:
        return bool(np.array_equal(array, above))
    return bool(np.array_equal(array, np.where(above, -np.inf, 0.0)))


class TransformerDecoder(Module):
    r"""A stack of ``num_layers`` decoder layers, every one reading the same memory, then
    an optional final norm.

    .. math::

        x_0 = \mathrm{tgt},\quad x_k = \mathrm{layer}_k(x_{k-1}, \mathrm{memory}),\quad
        \mathrm{out} = \mathrm{norm}(x_{\text{num\_layers}})

    Each layer is an independent deep copy of ``decoder_layer`` (same initial weights,
    separate parameters), named ``layers.0``, ``layers.1``, … as in PyTorch.

    Gradient: a composite; the memory's gradient is the sum of what each layer's
    cross-attention sends back.

    Args:
        decoder_layer: a ``TransformerDecoderLayer`` (any Module called as
            ``layer(x, memory, tgt_mask=..., memory_mask=..., tgt_key_padding_mask=...,
            memory_key_padding_mask=..., tgt_is_causal=..., memory_is_causal=...)``).
        num_layers: how many copies (>= 1).
        norm: a final Module (e.g. ``LayerNorm(E)``) or None.

    Shape:
        tgt (T, N, E), memory (S, N, E) (batch first or unbatched as the layer expects);
        masks as the layer's; output like tgt.

    ``tgt_is_causal=None`` (the default) means: causal iff ``tgt_mask`` equals
    ``Transformer.generate_square_subsequent_mask(T)`` (PyTorch's detection; either way
    the mask given is what is applied).

    Raises:
        TypeError: ``decoder_layer`` or ``norm`` is not a Module.
        ValueError: ``num_layers`` is not a positive int.

    Examples:
        >>> import minidl as md, minidl.nn as nn
        >>> layer = nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0)
        >>> decoder = nn.TransformerDecoder(layer, num_layers=2, norm=nn.LayerNorm(8))
        >>> decoder(md.randn(4, 3, 8), md.randn(6, 3, 8)).shape      # (T, N, E)
        (4, 3, 8)
        >>> list(decoder.state_dict())[-2:]
        ['norm.weight', 'norm.bias']
    """

    def __init__(
        self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None
    ) -> None:
        super().__init__()
        op = "TransformerDecoder"
        if not isinstance(decoder_layer, Module):
            raise TypeError(f"{op}: decoder_layer must be a Module, got "
                            f"{type(decoder_layer).__name__}")
        if norm is not None and not isinstance(norm, Module):
            raise TypeError(f"{op}: norm must be a Module or None, got {type(norm).__name__}")
        self.num_layers = _positive_int(op, "num_layers", num_layers)
        self.layers = ModuleList(copy.deepcopy(decoder_layer) for _ in range(self.num_layers))
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Run ``tgt`` through every layer, each reading ``memory``, with the same masks."""
        if tgt_is_causal is None:
            tgt_is_causal = False
            if tgt_mask is not None and isinstance(tgt, Tensor) and tgt.ndim in (2, 3):
                batch_first = getattr(self.layers[0], "batch_first", False)
                T = tgt.shape[1] if (tgt.ndim == 3 and batch_first) else tgt.shape[0]
                tgt_is_causal = _is_causal_mask(tgt_mask, T)
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=bool(memory_is_causal))
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    r"""The encoder–decoder Transformer, as PyTorch's ``nn.Transformer``: an encoder
    reads the source, a decoder writes the target while reading the encoder's output
    through cross-attention.

    .. math::

        \mathrm{memory} = \mathrm{Encoder}(\mathrm{src}),\qquad
        \mathrm{out} = \mathrm{Decoder}(\mathrm{tgt}, \mathrm{memory})

    The encoder is ``num_encoder_layers`` encoder layers and a final ``LayerNorm``; the
    decoder ``num_decoder_layers`` decoder layers and a final ``LayerNorm`` (unless
    ``custom_encoder`` / ``custom_decoder`` are given). There is no embedding and no
    output projection: inputs are already (·, ·, E) vectors, the output is (T, N, E).

    Initialisation, as PyTorch: after the layers are built, every parameter with more
    than one axis (the attention's ``in_proj_weight`` and ``out_proj.weight``, both
    linear weights) is redrawn xavier-uniform, U(−a, a) with a = √(6 / (fan_in + fan_out));
    biases stay zero (attention) or U(−1/√fan_in, 1/√fan_in) (linear), layer norms 1 and 0.
    This includes a custom encoder's and decoder's matrices.

    Gradient: a composite. The source's gradient arrives only through the memory, i.e.
    through every decoder layer's cross-attention keys and values (and src_mask'ed
    encoder self-attention in between).

    Args:
        d_model: E (default 512).  nhead: h (default 8).
        num_encoder_layers, num_decoder_layers: (default 6 each).
        dim_feedforward: F (default 2048).  dropout: (default 0.1).
        activation: ``"relu"`` (default), ``"gelu"`` or a callable.
        custom_encoder, custom_decoder: Modules used instead of the default stacks.
        layer_norm_eps: (default 1e-5).  batch_first: (default False).
        norm_first: pre-norm layers (default False).  bias: (default True).
        device: only None or "cpu".  dtype: dtype of the parameters.

    Shape:
        src (S, N, E), tgt (T, N, E) — (N, S, E), (N, T, E) with ``batch_first``, or
        unbatched (S, E), (T, E) → output (T, N, E) (like tgt).
        src_mask (S, S), tgt_mask (T, T), memory_mask (T, S) (or (N·h, ·, ·)):
        bool True = may NOT attend, or float added; src_key_padding_mask (N, S),
        tgt_key_padding_mask (N, T), memory_key_padding_mask (N, S).

    State-dict names (as PyTorch): ``encoder.layers.K.…``, ``encoder.norm.…``,
    ``decoder.layers.K.…`` (``self_attn``, ``multihead_attn``, ``linear1``, ``linear2``,
    ``norm1``–``norm3``), ``decoder.norm.…``.

    Raises:
        ValueError: bad sizes; in forward, src and tgt with different batch sizes, or
            widths other than d_model.
        TypeError: a custom encoder or decoder that is not a Module.

    >>> import minidl as md, minidl.nn as nn
    >>> model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
    ...                        dim_feedforward=16, dropout=0.0)
    >>> src, tgt = md.randn(6, 3, 8), md.randn(4, 3, 8)          # (S, N, E), (T, N, E)
    >>> model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(4)).shape
    (4, 3, 8)
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        op = "Transformer"
        _check_device(op, device)
        for name, m in (("custom_encoder", custom_encoder), ("custom_decoder", custom_decoder)):
            if m is not None and not isinstance(m, Module):
                raise TypeError(f"{op}: {name} must be a Module or None, got {type(m).__name__}")
        layer_kwargs: dict[str, Any] = dict(dim_feedforward=dim_feedforward, dropout=dropout,
                            activation=activation, layer_norm_eps=layer_norm_eps,
                            batch_first=batch_first, norm_first=norm_first, bias=bias,
                            dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, **layer_kwargs)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(d_model, nhead, **layer_kwargs)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, norm)
        self._reset_parameters()
        self.d_model = int(d_model)
        self.nhead = int(nhead)
        self.batch_first = bool(batch_first)

    def _reset_parameters(self):
        """Every parameter with more than one axis: xavier-uniform (PyTorch's rule)."""
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """memory = encoder(src); out = decoder(tgt, memory); see the class docstring."""
        op = "Transformer"
        for name, x in (("src", src), ("tgt", tgt)):
            if not isinstance(x, Tensor):
                raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
        layout = "(N, S, E) and (N, T, E)" if self.batch_first else "(S, N, E) and (T, N, E)"
        if src.ndim not in (2, 3) or tgt.ndim != src.ndim:
            raise ValueError(f"{op}: src and tgt must be {layout} (or both unbatched (S, E) and "
                             f"(T, E)); got src shape {src.shape}, tgt shape {tgt.shape}")
        bat = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[bat] != tgt.shape[bat]:
            raise ValueError(f"{op}: src and tgt must have the same batch size N ({layout}); got "
                             f"src shape {src.shape}, tgt shape {tgt.shape}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"{op}: src and tgt must have E = d_model = {self.d_model} features; "
                             f"got src shape {src.shape}, tgt shape {tgt.shape}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(
        sz: int, device: Any = None, dtype: DType | None = None
    ) -> Tensor:
        r"""The causal mask (sz, sz): 0.0 on and below the diagonal, −inf above it.

        ``mask[t, s] = −inf`` for s > t: added to the scores, it stops position t from
        reading later positions. A float Tensor of ``dtype`` (default: the default dtype,
        float32 unless changed), as PyTorch.

        >>> import minidl.nn as nn
        >>> nn.Transformer.generate_square_subsequent_mask(3)
        tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]])
        """
        op = "Transformer.generate_square_subsequent_mask"
        if not isinstance(sz, (int, np.integer)) or isinstance(sz, bool) or sz < 0:
            raise ValueError(f"{op}: sz must be a non-negative int, got {sz!r}")
        _check_device(op, device)
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        above = np.triu(np.ones((int(sz), int(sz)), dtype=bool), 1)
        return Tensor(np.where(above, -np.inf, 0.0).astype(dtype))

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, nhead={self.nhead}, batch_first={self.batch_first}"
