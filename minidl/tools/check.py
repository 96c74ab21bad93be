"""The gradient-check report: every formula of the article and every primitive, checked.

``python -m minidl check`` prints one row per check, each on a small random case in
float64 with hyper-parameters chosen to reach every branch of the code (asymmetric
geometry, ``ceil_mode``, overlapping and disjoint windows, unbatched inputs, inputs that
do or do not require grad). Rows come in groups:

* ``eng``, ``F1``–``F11``, ``op``, ``geom``: **forward error** ``max |minidl − reference|``
  (the literal loops of ``minidl.reference``, or a primitive's direct NumPy
  transcription) and **gradient** by :func:`minidl.gradcheck`: the analytic
  vector-Jacobian product ``uᵀJ`` for a random upstream gradient ``u`` (never all ones)
  against central differences ``(L(x + ε e_i) − L(x − ε e_i)) / 2ε`` element by element,
  for every input that requires grad (weights included), with the report's tighter
  tolerances ``|analytic − numerical| <= atol + rtol·|numerical|``.
* ``kink``: kinks and ties (relu and abs at 0, clip at its bounds, tied maxima of
  ``maximum``/``amax``/``max``/max pooling, ``floor`` at integers, ...), where a
  difference quotient straddles two branches and means nothing. The analytic gradient
  is compared instead with PyTorch's documented convention (the subgradient it picks),
  written out in NumPy below each case: the **gradient error** is
  ``max |analytic − convention| / max(1, |convention|)``.
* ``loss``: cross-entropy with class weights, label smoothing, ``ignore_index``,
  probability targets and spatial axes, against the formula in NumPy; gradcheck.
* ``gg``: second derivatives by :func:`minidl.gradgradcheck` (the backward of the
  backward, as ``create_graph=True`` records it).
* every row above also compares the first derivative computed with ``create_graph=True``
  (the backward run on Tensors and recorded, a code path of its own in many ops) with
  the ordinary backward's: gradgradcheck alone cannot see a recorded backward that is
  wrong but consistent with its own derivative.
* ``optim``: a few steps of each optimiser against its update rule written in NumPy
  (the error column shows ``max |θ_minidl − θ_formula|`` over the steps).
* ``dtype``: float32 in, float32 out and float32 gradients.
* ``self``: :func:`minidl.gradcheck` itself passes a right backward and fails two wrong
  ones (the row passes when gradcheck FAILS them).

A row passes when its forward error is at most ``1e-9 · max(1, max |reference|)`` and
its gradient check passes. An op that minidl does not have (yet) shows as ``missing``
and fails, as does a row whose code raises; ``run_check`` returns 1 then.
"""
import math
import sys
import time
from dataclasses import dataclass

import numpy as np

import minidl as md
import minidl.functional as F
import minidl.nn as nn
import minidl.optim as optim
import minidl.reference as ref

__all__ = ["CheckRow", "Case", "Measured", "check_rows", "run_check", "forward_error",
           "convention_error", "CASES"]

EPS = 1e-6                # central-difference step
FORWARD_TOL = 1e-9        # relative to max(1, |reference|)
GRAD_ATOL = 1e-6          # gradcheck: |analytic − numerical| <= atol + rtol·|numerical|
GRAD_RTOL = 1e-6
CONVENTION_TOL = 1e-12    # analytic against a convention written in NumPy
OPTIM_TOL = 1e-12         # parameters after a few optimiser steps
RECORDED_TOL = 1e-10      # create_graph=True's first derivative against the plain one


class _Missing(Exception):
    """The op a row needs is not in minidl."""


def _need(namespace, name):
    """``namespace.name`` (e.g. F.conv2d), or _Missing naming it."""
    label = {F: "F", nn: "nn", md: "md", optim: "optim"}[namespace]
    obj = getattr(namespace, name, None)
    if obj is None:
        raise _Missing(f"{label}.{name} is missing")
    return obj


@dataclass
class CheckRow:
    group: str                  # "eng", "F1".."F11", "op", "geom", "kink", "loss", ...
    name: str
    forward_error: float = float("nan")
    grad_error: float = float("nan")
    grad: str = ""              # how the gradient was checked, or its verdict
    status: str = "ok"          # "ok", "FAIL", "missing", "error"
    note: str = ""

    @property
    def passed(self):
        return self.status == "ok"


@dataclass
class Case:
    """What a row checks: ``fn(*inputs)`` against ``expected`` (None: no forward check).

    ``grads``, when given, is the convention: a function of the upstream gradients (one
    per float output) returning the expected gradient of every input that requires grad,
    in order; the row then compares the analytic gradient with it instead of running
    gradcheck. ``gradgrad`` runs :func:`minidl.gradgradcheck` instead of gradcheck.
    """
    fn: object
    inputs: list
    expected: object = None
    grads: object = None
    gradgrad: bool = False
    gradient: bool = True       # False: a forward-only row (values and indices)


@dataclass
class Measured:
    """A row that measured itself (optimisers, dtypes, the self-test)."""
    forward_error: float = float("nan")
    forward_tol: float = 0.0
    grad_error: float = float("nan")
    grad: str = ""
    note: str = ""
    failed: bool = False


# ---------------------------------------------------------------------------- the measures
def _as_tuple(out):
    return tuple(o for o in (out if isinstance(out, (tuple, list)) else (out,)) if o is not None)


def _float_outputs(out):
    return [o for o in _as_tuple(out) if isinstance(o, md.Tensor) and o.dtype.kind == "f"]


def _leaf(a, requires_grad=True):
    return md.tensor(np.ascontiguousarray(a, dtype=np.float64), requires_grad=requires_grad)


def _upstream(rng, shape):
    """A random upstream gradient: magnitudes in [0.5, 1.5], random signs (never all ones)."""
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def forward_error(got, expected):
    """(max |got − expected|, tolerance) over the outputs, outputs matched in order."""
    got, expected = _as_tuple(got), expected if isinstance(expected, tuple) else (expected,)
    if len(got) != len(expected):
        raise RuntimeError(f"{len(got)} outputs, the reference has {len(expected)}")
    err, top = 0.0, 1.0
    for g, e in zip(got, expected):
        g = g._array if isinstance(g, md.Tensor) else np.asarray(g)
        e = np.asarray(e)
        if g.shape != e.shape:
            raise RuntimeError(f"output shape {g.shape}, the reference's {e.shape}")
        if e.dtype.kind in "biu" and g.dtype.kind not in "biu":
            raise RuntimeError(f"an integer output (indices) came out as {g.dtype}")
        with np.errstate(invalid="ignore"):
            diff = np.abs(g.astype(np.float64) - e.astype(np.float64))
        diff = np.where(np.isinf(e) & (g == e), 0.0, diff)     # −inf where the reference has it
        diff = np.where(np.isnan(e) & np.isnan(g), 0.0, diff)  # NaN where the reference has it
        diff = np.where(np.isnan(diff), np.inf, diff)         # a NaN fails
        err = max(err, float(np.max(diff, initial=0.0)))
        top = max(top, float(np.max(np.abs(np.where(np.isfinite(e), e, 0)), initial=0.0)))
    return err, FORWARD_TOL * top


def convention_error(fn, inputs, grads, seed=0):
    """``max |analytic − convention| / max(1, |convention|)`` over the inputs that require
    grad, for a random upstream gradient; ``grads(*upstream)`` gives the convention."""
    rng = np.random.default_rng(seed)
    checked = [x for x in inputs if isinstance(x, md.Tensor) and x.requires_grad]
    with md.enable_grad():
        outs = _float_outputs(fn(*inputs))
        upstream = [_upstream(rng, o.shape) for o in outs]
        pairs = [(o, u) for o, u in zip(outs, upstream) if o.requires_grad]
        if not pairs:
            raise RuntimeError("no output requires grad: the op records no graph")
        got = md.autograd.grad([o for o, _ in pairs], checked,
                               [md.tensor(u, dtype=o.dtype) for o, u in pairs],
                               allow_unused=True)
    want = grads(*upstream)
    if len(want) != len(checked):
        raise RuntimeError(f"the convention gives {len(want)} gradients for {len(checked)} inputs")
    worst = 0.0
    for x, g, w in zip(checked, got, want):
        a = np.zeros(x.shape) if g is None else np.asarray(g._array, dtype=np.float64)
        w = np.broadcast_to(np.asarray(w, dtype=np.float64), x.shape)
        if a.shape != w.shape:
            return float("inf")
        if not np.all(np.isfinite(a)):
            return float("inf")
        worst = max(worst, float(np.max(np.abs(a - w), initial=0.0)
                                 / max(1.0, float(np.max(np.abs(w), initial=0.0)))))
    return worst


def recorded_error(fn, inputs, seed=0):
    """``max |g_recorded − g| / max(1, |g|)``: the first derivative computed with
    ``create_graph=True`` (each backward run on Tensors and recorded, a path of its own
    in many ops) against the ordinary backward's, for the same random upstream gradient."""
    checked = [x for x in inputs if isinstance(x, md.Tensor) and x.requires_grad]
    grads = []
    for create_graph in (False, True):
        rng = np.random.default_rng(seed)
        with md.enable_grad():
            outs = _float_outputs(fn(*inputs))
            pairs = [(o, _upstream(rng, o.shape)) for o in outs]
            pairs = [(o, u) for o, u in pairs if o.requires_grad]
            got = md.autograd.grad([o for o, _ in pairs], checked,
                                   [md.tensor(u, dtype=o.dtype) for o, u in pairs],
                                   allow_unused=True, create_graph=create_graph)
        grads.append([np.zeros(x.shape) if g is None else np.asarray(g._array, dtype=np.float64)
                      for x, g in zip(checked, got)])
    worst = 0.0
    for plain, recorded in zip(*grads):
        if plain.shape != recorded.shape:
            return float("inf")
        with np.errstate(invalid="ignore"):
            diff = np.where(plain == recorded, 0.0, np.abs(recorded - plain))
        diff = np.where(np.isnan(diff), np.inf, diff)
        worst = max(worst, float(np.max(diff, initial=0.0))
                    / max(1.0, float(np.max(np.abs(np.where(np.isfinite(plain), plain, 0)),
                                            initial=0.0))))
    return worst


def _short(error):
    text = str(error).replace("gradcheck: ", "")
    return text.split(": analytic")[0][:60] + (": " + text.split(": ", 2)[-1][:70]
                                                if ": analytic" in text else "")


# ---------------------------------------------------------------------------- helpers
def _spaced(rng, shape, low=-2.0, step=0.37):
    """Values with gaps of at least ``step`` between any two (no ties, no kinks at 0)."""
    n = int(np.prod(shape))
    values = low + step * (rng.permutation(n) + 0.5) + rng.uniform(-0.05, 0.05, n) * step
    return values.reshape(shape)


def _unary(np_fn, md_fn, make=None):
    def case(rng):
        x = make(rng) if make else rng.standard_normal((3, 4))
        return Case(md_fn, [_leaf(x)], np_fn(x))
    return case


def _binary(np_fn, md_fn, make=None):
    def case(rng):
        x, y = make(rng) if make else (rng.standard_normal((3, 4)), rng.standard_normal((4,)))
        return Case(md_fn, [_leaf(x), _leaf(y)], np_fn(x, y))
    return case


def _erf(x):
    return np.vectorize(math.erf)(x)


def _pos(rng):
    return rng.uniform(0.3, 2.0, (3, 4))


def _apart(rng):                                         # two arrays, never within 0.1
    x = _spaced(rng, (2, 3, 4), step=0.2)
    return x[0], x[1]


def _softmax_np(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_np(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _with_zeros(rng, shape, where):
    x = _spaced(rng, shape)
    x.reshape(-1)[list(where)] = 0.0
    return x


# ---------------------------------------------------------------------------- F1–F11, engine
def _case_conv(stride, padding, groups, dilation=1, kernel=(3, 3), bias=True, batched=True,
               hw=(5, 6), need=(True, True, True), gradgrad=False):
    """conv2d against the literal loop; ``need``: which of x, w, b require grad."""
    def case(rng):
        conv2d = _need(F, "conv2d")
        shape = ((2,) if batched else ()) + (2 * groups,) + hw
        x = rng.standard_normal(shape)
        w = rng.standard_normal((3 * groups, 2) + kernel)
        b = rng.standard_normal(3 * groups) if bias else None
        leaves = [_leaf(x, need[0]), _leaf(w, need[1])] + ([_leaf(b, need[2])] if bias else [])
        if isinstance(padding, str):                     # "same": PyTorch's split of d(k − 1)
            d = (dilation, dilation) if isinstance(dilation, int) else dilation
            pads = [(dd * (k - 1) // 2, dd * (k - 1) - dd * (k - 1) // 2)
                    for k, dd in zip(kernel, d)]
            spatial = [(0, 0)] * (x.ndim - 2) + pads
            want = ref.conv2d(np.pad(x, spatial), w, b, stride=stride, dilation=dilation,
                              groups=groups)
        else:
            want = ref.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                              groups=groups)
        fn = lambda x, w, b=None: conv2d(x, w, b, stride=stride, padding=padding,
                                         dilation=dilation, groups=groups)
        return Case(fn, leaves, want, gradgrad=gradgrad)
    return case


def _case_pool(kind, kernel_size, stride=None, padding=0, shape=(2, 2, 5, 6), gradgrad=False,
               **kw):
    def case(rng):
        op = _need(F, kind)
        x = _spaced(rng, shape, low=-4.0, step=0.07)
        fn = lambda x: op(x, kernel_size, stride, padding, **kw)
        return Case(fn, [_leaf(x)], getattr(ref, kind)(x, kernel_size, stride, padding, **kw),
                    gradgrad=gradgrad)
    return case


def case_linear(rng):
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    return Case(F.linear, [_leaf(x), _leaf(W), _leaf(b)], ref.linear(x, W, b))


def _rnn_arrays(rng, N=2, D=3, H=4, O=2):
    return [rng.standard_normal(s) for s in ((N, D), (N, H), (H, D), (H, H), (H,), (O, H),
                                            (O, D), (O,))]


def _case_rnn(output):
    def case(rng):
        arrays = _rnn_arrays(rng)
        h_ref, o_ref = ref.rnn_step(*arrays)
        fn = lambda *ts: F.rnn_step(*ts)[output]
        return Case(fn, [_leaf(a) for a in arrays], (h_ref, o_ref)[output])
    return case


def case_lstm_cell(rng, N=2, D=3, H=4):
    x, h, c = (rng.standard_normal(s) for s in ((N, D), (N, H), (N, H)))
    w_ih, w_hh = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
    b_ih, b_hh = rng.standard_normal(4 * H), rng.standard_normal(4 * H)
    fn = lambda x, h, c, *w: F.lstm_cell(x, (h, c), *w)
    return Case(fn, [_leaf(a) for a in (x, h, c, w_ih, w_hh, b_ih, b_hh)],
                tuple(ref.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)))


def case_gru_cell(rng, N=2, D=3, H=4):
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    w_ih, w_hh = rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H))
    b_ih, b_hh = rng.standard_normal(3 * H), rng.standard_normal(3 * H)
    fn = _need(F, "gru_cell")
    return Case(fn, [_leaf(a) for a in (x, h, w_ih, w_hh, b_ih, b_hh)],
                ref.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh))


def _lstm_scan_reference(xz, h0, c0, w_hh):
    """The fused LSTM recurrence through the literal cell: z_t = xz_t + h_{t−1} W_hhᵀ is
    the cell with W_ih = I and no biases."""
    H4 = xz.shape[-1]
    eye, zero = np.eye(H4), np.zeros(H4)
    h, c, hs = h0, c0, []
    for t in range(xz.shape[0]):
        h, c = ref.lstm_cell(xz[t], (h, c), eye, w_hh, zero, zero)
        hs.append(h)
    return np.stack(hs), c


def _case_lstm_scan(need=(True, True, True, True), gradgrad=False, L=3, N=2, H=2):
    def case(rng):
        from ..ops.recurrent import LSTMScan
        arrays = [rng.standard_normal(s) for s in ((L, N, 4 * H), (N, H), (N, H), (4 * H, H))]
        leaves = [_leaf(a, r) for a, r in zip(arrays, need)]
        return Case(lambda *ts: LSTMScan.apply(*ts), leaves, _lstm_scan_reference(*arrays),
                    gradgrad=gradgrad)
    return case


def _module_case(module, x, expected_fn, extra=()):
    """A module's forward on ``x``: differentiable in ``x`` and every parameter."""
    module.double().eval()
    x = _leaf(x)
    extra = [_leaf(e) for e in extra]
    params = list(module.parameters())
    sd = {k: np.array(v, dtype=np.float64) for k, v in module.state_dict().items()}
    n = 1 + len(extra)
    fn = lambda *ts: module(*ts[:n]) if not extra else module(ts[0], tuple(ts[1:n]))
    return Case(fn, [x] + extra + params,
                expected_fn(x._array.copy(), [e._array.copy() for e in extra], sd))


def _lstm_layers(seq, states, sd, layers):
    L, outs_c = seq.shape[0], []
    for k in range(layers):
        h, c = states[k]
        outs = []
        for t in range(L):
            h, c = ref.lstm_cell(seq[t], (h, c), sd[f"weight_ih_l{k}"], sd[f"weight_hh_l{k}"],
                                 sd[f"bias_ih_l{k}"], sd[f"bias_hh_l{k}"])
            outs.append(h)
        outs_c.append((h, c))
        seq = np.stack(outs)
    return seq, outs_c


def case_lstm_module(rng, L=4, N=2, D=3, H=3, layers=2):
    lstm = _need(nn, "LSTM")(D, H, layers, batch_first=True)

    def expected(x, extra, sd):
        zeros = [(np.zeros((N, H)), np.zeros((N, H)))] * layers
        seq, _ = _lstm_layers(x.transpose(1, 0, 2), zeros, sd, layers)
        return seq.transpose(1, 0, 2)                                    # (N, L, H)

    case = _module_case(lstm, rng.standard_normal((N, L, D)), expected)
    fn = case.fn
    case.fn = lambda *ts: fn(*ts)[0]
    return case


def case_lstm_module_states(rng, L=3, N=2, D=2, H=2, layers=2):
    """nn.LSTM given (h_0, c_0), sequence first: every output, (h_n, c_n) included."""
    lstm = _need(nn, "LSTM")(D, H, layers)

    def expected(x, extra, sd):
        h0, c0 = extra
        seq, last = _lstm_layers(x, [(h0[k], c0[k]) for k in range(layers)], sd, layers)
        return seq, np.stack([h for h, _ in last]), np.stack([c for _, c in last])

    case = _module_case(lstm, rng.standard_normal((L, N, D)), expected,
                        extra=(rng.standard_normal((layers, N, H)),
                               rng.standard_normal((layers, N, H))))
    fn = case.fn

    def flat(*ts):
        out, (h, c) = fn(*ts)
        return out, h, c
    case.fn = flat
    return case


def case_sdpa(rng):
    sdpa = _need(F, "scaled_dot_product_attention")
    q, k, v = (rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    mask = rng.random((3, 5)) > 0.3
    mask[:, 0] = True                                   # every query keeps one key
    return Case(lambda q, k, v: sdpa(q, k, v, attn_mask=md.tensor(mask)),
                [_leaf(q), _leaf(k), _leaf(v)],
                ref.scaled_dot_product_attention(q, k, v, attn_mask=mask))


def case_sdpa_causal(rng):
    sdpa = _need(F, "scaled_dot_product_attention")
    q, k, v = (rng.standard_normal(s) for s in ((2, 4, 3), (2, 4, 3), (2, 4, 2)))
    bias = rng.standard_normal((4, 4))                  # a float mask is added to the scores
    return Case(lambda q, k, v: sdpa(q, k, v, attn_mask=md.tensor(bias), scale=0.7),
                [_leaf(q), _leaf(k), _leaf(v)],
                ref.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=0.7))


def case_sdpa_dead_row(rng):
    """A query whose keys are all masked: its weights and output are 0 (as PyTorch), and
    no gradient flows through it."""
    sdpa = _need(F, "scaled_dot_product_attention")
    q, k, v = (rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    mask = rng.random((3, 5)) > 0.3
    mask[:, 0] = True
    mask[1] = False                                     # query 1 sees no key
    return Case(lambda q, k, v: sdpa(q, k, v, attn_mask=md.tensor(mask)),
                [_leaf(q), _leaf(k), _leaf(v)],
                ref.scaled_dot_product_attention(q, k, v, attn_mask=mask))


def case_batch_norm_running(rng, N=4, C=3, L=2):
    """One training step of batch norm updates the running statistics in place:
    mean ← (1 − m)·mean + m·μ, var ← (1 − m)·var + m·σ²·n/(n − 1) (unbiased)."""
    batch_norm = _need(F, "batch_norm")
    x, g, b = rng.standard_normal((N, C, L)), rng.standard_normal(C), rng.standard_normal(C)
    mean0, var0 = rng.standard_normal(C), rng.uniform(0.5, 2.0, C)
    rm, rv = md.tensor(mean0.copy()), md.tensor(var0.copy())
    with md.no_grad():
        y = batch_norm(md.tensor(x), rm, rv, md.tensor(g), md.tensor(b), training=True,
                       momentum=0.3)
    want_y, want_mean, want_var = ref.batch_norm(x, mean0, var0, g, b, training=True,
                                                 momentum=0.3)
    err, tol = forward_error((y, rm, rv), (want_y, want_mean, want_var))
    return Measured(forward_error=err, forward_tol=tol, grad="-",
                    note="" if err <= tol else "output or running statistics")


def case_sdpa_is_causal(rng):
    sdpa = _need(F, "scaled_dot_product_attention")
    q, k, v = (rng.standard_normal(s) for s in ((2, 2, 4, 3), (2, 2, 4, 3), (2, 2, 4, 5)))
    return Case(lambda q, k, v: sdpa(q, k, v, is_causal=True), [_leaf(q), _leaf(k), _leaf(v)],
                ref.scaled_dot_product_attention(q, k, v, is_causal=True))


def case_mha_key_padding(rng, L=3, S=4, N=2, E=4, h=2):
    """Multi-head attention with a key_padding_mask (True = ignore that key) and a causal
    attn_mask, the averaged weights returned."""
    mha = _need(F, "multi_head_attention")
    arrays = [rng.standard_normal(s) for s in ((L, N, E), (S, N, E), (S, N, E), (3 * E, E),
                                              (3 * E,), (E, E), (E,))]
    kpm = np.array([[False, False, True, False], [False, True, True, False]])
    am = np.triu(np.ones((L, S), dtype=bool), k=2)
    out, weights = ref.multi_head_attention(arrays[0], arrays[1], arrays[2], h, *arrays[3:],
                                            key_padding_mask=kpm, attn_mask=am)
    fn = lambda q, k, v, *w: mha(q, k, v, h, *w, key_padding_mask=md.tensor(kpm),
                                 attn_mask=md.tensor(am))
    return Case(fn, [_leaf(a) for a in arrays], (out, weights))


def case_mha(rng, L=3, S=4, N=2, E=4, h=2):
    mha = _need(F, "multi_head_attention")
    arrays = [rng.standard_normal(s) for s in ((L, N, E), (S, N, E), (S, N, E), (3 * E, E),
                                              (3 * E,), (E, E), (E,))]
    out, weights = ref.multi_head_attention(arrays[0], arrays[1], arrays[2], h, *arrays[3:])
    fn = lambda q, k, v, *w: mha(q, k, v, h, *w)
    return Case(fn, [_leaf(a) for a in arrays], (out, weights))


def case_positional(rng, L=5, N=2, E=6):
    pe = _need(nn, "PositionalEncoding")(E, max_len=16, dropout=0.0)
    return _module_case(pe, rng.standard_normal((L, N, E)),
                        lambda x, extra, sd: x + ref.positional_encoding(L, E)[:, None, :])


def case_encoder_layer(rng, L=3, N=2, E=4, h=2, ff=6):
    layer = _need(nn, "TransformerEncoderLayer")(E, h, ff, dropout=0.0)
    return _module_case(layer, rng.standard_normal((L, N, E)),
                        lambda x, extra, sd: ref.transformer_encoder_layer(x, sd, h))


def case_encoder(rng, L=3, N=2, E=4, h=2, ff=6, layers=2):
    layer = _need(nn, "TransformerEncoderLayer")(E, h, ff, dropout=0.0)
    encoder = _need(nn, "TransformerEncoder")(layer, layers)

    def expected(x, extra, sd):
        for k in range(layers):
            prefix = f"layers.{k}."
            x = ref.transformer_encoder_layer(
                x, {n[len(prefix):]: v for n, v in sd.items() if n.startswith(prefix)}, h)
        return x

    return _module_case(encoder, rng.standard_normal((L, N, E)), expected)


def case_cross_entropy(rng):
    x, t = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    return Case(lambda x: F.cross_entropy(x, md.tensor(t)), [_leaf(x)], ref.cross_entropy(x, t))


def case_layer_norm(rng):
    layer_norm = _need(F, "layer_norm")
    x, g, b = rng.standard_normal((3, 5)), rng.standard_normal(5), rng.standard_normal(5)
    return Case(lambda x, g, b: layer_norm(x, (5,), g, b), [_leaf(x), _leaf(g), _leaf(b)],
                ref.layer_norm(x, g, b))


def case_batch_norm(rng, N=3, C=2, L=4):
    batch_norm = _need(F, "batch_norm")
    x, g, b = rng.standard_normal((N, C, L)), rng.standard_normal(C), rng.standard_normal(C)
    want, _, _ = ref.batch_norm(x, np.zeros(C), np.ones(C), g, b, training=True)
    fn = lambda x, g, b: batch_norm(x, None, None, g, b, training=True)
    return Case(fn, [_leaf(x), _leaf(g), _leaf(b)], want)


def case_embedding(rng):
    embedding = _need(F, "embedding")
    idx = np.array([[0, 2, 2], [4, 0, 1]])                 # repeated rows: gradients add up
    w = rng.standard_normal((5, 3))
    return Case(lambda w: embedding(md.tensor(idx), w), [_leaf(w)], w[idx])


def case_where(rng):
    cond = rng.random((3, 4)) > 0.5
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    return Case(lambda x, y: md.where(md.tensor(cond), x, y), [_leaf(x), _leaf(y)],
                np.where(cond, x, y))


def case_getitem(rng):
    x = rng.standard_normal((4, 5))
    idx = (np.array([0, 2, 0, 3]), slice(1, 4))            # repeated index 0: accumulates
    return Case(lambda x: x[idx], [_leaf(x)], x[idx])


def case_getitem_basic(rng):
    x = rng.standard_normal((4, 5, 3))
    idx = (slice(1, None, 2), 2, slice(None, None, -1))
    return Case(lambda x: x[idx], [_leaf(x)], x[idx])


def case_getitem_mask(rng):
    x = rng.standard_normal((3, 4))
    mask = rng.random((3, 4)) > 0.4
    return Case(lambda x: x[md.tensor(mask)], [_leaf(x)], x[mask])


def case_setitem(rng):
    """``y = x.clone(); y[idx] = v``: x's gradient is zero where v was written."""
    x, v = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    idx = np.array([3, 1])

    def fn(x, v):
        y = x * 1.0
        y[md.tensor(idx)] = v * 2.0
        return y
    want = x.copy()
    want[idx] = 2.0 * v
    return Case(fn, [_leaf(x), _leaf(v)], want)


def case_setitem_broadcast(rng):
    """``y[1:3] = v`` with v (4,) broadcast over two rows: v's gradient sums them."""
    x, v = rng.standard_normal((4, 4)), rng.standard_normal(4)

    def fn(x, v):
        y = x * 1.0
        y[1:3] = v
        return y
    want = x.copy()
    want[1:3] = v
    return Case(fn, [_leaf(x), _leaf(v)], want)


def case_setitem_view(rng):
    """An in-place write through a basic view: ``y[1:, ::2] *= 3`` after a clone."""
    x = rng.standard_normal((3, 4))

    def fn(x):
        y = x * 1.0
        y[1:, ::2] *= 3.0
        return y
    want = x.copy()
    want[1:, ::2] *= 3.0
    return Case(fn, [_leaf(x)], want)


def case_cat(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
    return Case(lambda a, b: md.cat([a, b], dim=1), [_leaf(a), _leaf(b)],
                np.concatenate([a, b], 1))


def case_stack(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    return Case(lambda a, b: md.stack([a, b], dim=1), [_leaf(a), _leaf(b)], np.stack([a, b], 1))


def case_split(rng):
    x = rng.standard_normal((3, 7))
    return Case(lambda x: x.split([2, 4, 1], dim=1), [_leaf(x)],
                tuple(np.split(x, [2, 6], axis=1)))


def case_unbind(rng):
    x = rng.standard_normal((2, 3, 2))
    return Case(lambda x: x.unbind(1), [_leaf(x)], tuple(x[:, i] for i in range(3)))


def case_gather(rng):
    x = rng.standard_normal((3, 4))
    idx = np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])     # repeated: the gradient adds up
    return Case(lambda x: x.gather(1, md.tensor(idx)), [_leaf(x)],
                np.take_along_axis(x, idx, axis=1))


def case_scatter_add(rng):
    x, src = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    idx = np.array([[0, 2, 2, 1], [2, 2, 0, 1]])
    want = x.copy()
    for i in range(2):
        for j in range(4):
            want[idx[i, j], j] += src[i, j]
    return Case(lambda x, s: md.scatter_add(x, 0, md.tensor(idx), s), [_leaf(x), _leaf(src)],
                want)


def case_matmul(rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))
    return Case(lambda a, b: a @ b, [_leaf(a), _leaf(b)], a @ b)


def _case_matmul(sa, sb, gradgrad=False):
    def case(rng):
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        return Case(lambda a, b: a @ b, [_leaf(a), _leaf(b)], a @ b, gradgrad=gradgrad)
    return case


def case_shared_node(rng):
    """y = c ⊙ Σ_j c_j with c = 2x: the node c feeds y directly and through the sum, so
    the backward walk must finish both consumers before it runs c's backward."""
    x = rng.standard_normal((3, 4))

    def fn(x):
        c = x * 2.0
        return c * c.sum(axis=1, keepdims=True)
    c = 2.0 * x
    return Case(fn, [_leaf(x)], c * c.sum(axis=1, keepdims=True))


def _case_cumprod(axis):
    def case(rng):
        x = rng.standard_normal((3, 4))
        x[1, 1] = 0.0                                     # a zero: no dividing by x
        return Case(lambda x: x.cumprod(axis), [_leaf(x)], np.cumprod(x, axis=axis))
    return case


def _case_prod(axis, keepdim=False):
    def case(rng):
        x = rng.standard_normal((3, 4))
        x[0, 2] = 0.0                                     # one zero in a row
        x[2, 0] = x[2, 3] = 0.0                           # two zeros in another
        fn = (lambda x: x.prod()) if axis is None else (lambda x: x.prod(axis, keepdim=keepdim))
        want = np.prod(x) if axis is None else np.prod(x, axis=axis, keepdims=keepdim)
        return Case(fn, [_leaf(x)], want)
    return case


def case_erfc_wide(rng):
    """GELU over [−6, 6]: both branches of erfc (series |z| < 2, continued fraction)."""
    x = np.linspace(-6.0, 6.0, 14).reshape(2, 7) + rng.uniform(-0.05, 0.05, (2, 7))
    return Case(lambda x: F.gelu(x), [_leaf(x)], 0.5 * x * (1 + _erf(x / math.sqrt(2))))


def _case_avg_divisor_override(divisor):
    def case(rng):
        op = _need(F, "avg_pool2d")
        x = rng.standard_normal((2, 2, 5, 6))
        # each window's sum: its mean over the input cells times their number
        mean = ref.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
        total = mean * _cells(x.shape[2:], 3, 2, 1, mean.shape[2:])
        fn = lambda x: op(x, 3, 2, 1, ceil_mode=True, divisor_override=divisor)
        return Case(fn, [_leaf(x)], total / divisor)
    return case


def _cells(hw, k, s, p, out_hw):
    """How many input cells each pooling window covers, (H_out, W_out)."""
    counts = []
    for size, n in zip(hw, out_hw):
        start = np.arange(n) * s - p
        counts.append(np.minimum(start + k, size) - np.maximum(start, 0))
    return counts[0][:, None] * counts[1][None, :]


def case_gelu_tail(rng):
    """GELU's relative accuracy in its left tail, where Φ(x) = GELU(x)/x is tiny (down to
    1e-15) and an absolute tolerance would see nothing: ``max |Φ_minidl / Φ − 1|`` over
    [−8, −0.5] (erfc's series and its continued fraction) must be <= 1e-12."""
    x = np.linspace(-8.0, -0.5, 41) + rng.uniform(-0.01, 0.01, 41)
    with md.no_grad():
        phi = F.gelu(md.tensor(x, dtype=np.float64)).numpy() / x
    want = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    err = float(np.max(np.abs(phi / want - 1)))
    return Measured(forward_error=err, forward_tol=1e-12, grad="-",
                    note="" if err <= 1e-12 else "relative error of Φ(x) = GELU(x)/x")


def case_gelu_tanh(rng):
    x = rng.uniform(-4, 4, (3, 4))
    k = math.sqrt(2 / math.pi)
    return Case(lambda x: F.gelu(x, approximate="tanh"), [_leaf(x)],
                0.5 * x * (1 + np.tanh(k * (x + 0.044715 * x ** 3))))


def case_softmax_masked(rng):
    """Softmax of rows with −inf entries (masked scores) and logits near 1e4: zero weight
    and zero gradient where masked, nothing NaN, nothing overflows."""
    x = rng.standard_normal((3, 5)) * 3
    x[1] += 1e4
    bias = np.zeros((3, 5))
    bias[0, 1] = bias[2, 4] = bias[2, 0] = -np.inf
    return Case(lambda x: F.softmax(x + md.tensor(bias), dim=1), [_leaf(x)],
                _softmax_np(x + bias, 1))


# ---------------------------------------------------------------------------- kinks and ties
def _relu_convention(rng):
    x = _with_zeros(rng, (3, 4), (1, 5, 10))
    return Case(lambda x: x.relu(), [_leaf(x)], np.maximum(x, 0),
                grads=lambda u: [u * (x > 0)])                   # relu'(0) = 0


def _functional_relu_convention(rng):
    x = _with_zeros(rng, (3, 4), (0, 7))
    return Case(lambda x: F.relu(x), [_leaf(x)], np.maximum(x, 0),
                grads=lambda u: [u * (x > 0)])


def _leaky_relu_convention(rng):
    x = _with_zeros(rng, (3, 4), (2, 9))                          # at 0: the negative slope
    return Case(lambda x: F.leaky_relu(x, 0.1), [_leaf(x)], np.where(x > 0, x, 0.1 * x),
                grads=lambda u: [u * np.where(x > 0, 1.0, 0.1)])


def _elu_convention(rng):
    x = _with_zeros(rng, (3, 4), (3, 6))                          # at 0: α·e⁰ = α
    return Case(lambda x: F.elu(x, 0.5), [_leaf(x)], np.where(x > 0, x, 0.5 * np.expm1(x)),
                grads=lambda u: [u * np.where(x > 0, 1.0, 0.5 * np.exp(x))])


def _abs_convention(rng):
    x = _with_zeros(rng, (3, 4), (0, 11))
    return Case(lambda x: x.abs(), [_leaf(x)], np.abs(x),
                grads=lambda u: [u * np.sign(x)])                # |x|'(0) = sign(0) = 0


def _clip_convention(rng):
    x = _spaced(rng, (3, 4), low=-1.95, step=0.33)
    x.reshape(-1)[[1, 4]] = -0.5
    x.reshape(-1)[[7, 9]] = 0.6                                   # exactly at the bounds
    return Case(lambda x: x.clip(-0.5, 0.6), [_leaf(x)], np.clip(x, -0.5, 0.6),
                grads=lambda u: [u * ((x >= -0.5) & (x <= 0.6))])   # 1 on [lo, hi]


def _clamp_one_bound(rng):
    x = _spaced(rng, (2, 5), low=-1.0, step=0.21)
    x[0, 2] = 0.3
    x[1, 1] = -0.2

    def fn(x):
        return x.clamp(min=0.3), x.clamp(max=-0.2)
    return Case(fn, [_leaf(x)], (np.maximum(x, 0.3), np.minimum(x, -0.2)),
                grads=lambda u, v: [u * (x >= 0.3) + v * (x <= -0.2)])


def _clip_array_bounds(rng):
    # (not at a tie: with tensor bounds PyTorch gives x the whole gradient where x equals
    # a bound, minidl's maximum/minimum split it; reported, not checked here yet)
    x = _spaced(rng, (2, 4), low=-1.5, step=0.4)
    lo = np.array([-0.5, x[0, 1] - 0.1, -1.0, 0.0])
    hi = np.array([0.5, 1.0, x[1, 2] + 0.1, 1.2])
    return Case(lambda x: md.clamp(x, md.tensor(lo), md.tensor(hi)), [_leaf(x)],
                np.minimum(np.maximum(x, lo), hi),
                grads=lambda u: [u * ((x >= lo) & (x <= hi))])


def _maximum_convention(kind):
    def case(rng):
        x = np.round(rng.uniform(-2, 2, (3, 4)), 1)
        y = x.copy()
        y.reshape(-1)[::2] = np.round(rng.uniform(-2, 2, 6), 1) + 0.05   # half tied, half not
        fn = md.maximum if kind == "maximum" else md.minimum
        pick = np.greater if kind == "maximum" else np.less
        share = pick(x, y) + 0.5 * (x == y)                       # ties split equally
        return Case(lambda x, y: fn(x, y), [_leaf(x), _leaf(y)],
                    (np.maximum if kind == "maximum" else np.minimum)(x, y),
                    grads=lambda u: [u * share, u * (1 - share)])
    return case


def _amax_convention(kind, dim):
    def case(rng):
        x = rng.integers(0, 3, (3, 4, 2)).astype(np.float64)     # many ties
        reduce = np.max if kind == "amax" else np.min
        kw = {} if dim is None else {"axis": dim}
        m = reduce(x, keepdims=True, **kw)
        hit = x == m
        share = hit / hit.sum(keepdims=True, **kw)               # ties share equally

        def fn(x):
            if dim is None:
                return x.max() if kind == "amax" else x.min()
            return getattr(x, kind)(dim=dim)
        grads = lambda u: [np.reshape(u, m.shape) * share]
        return Case(fn, [_leaf(x)], reduce(x, **kw), grads=grads)
    return case


def _max_dim_convention(kind):
    def case(rng):
        x = rng.integers(0, 3, (3, 4)).astype(np.float64)        # ties
        arg = np.argmax if kind == "max" else np.argmin
        idx = arg(x, axis=1)                                     # the first extreme
        values = x[np.arange(3), idx]

        def grads(u):
            g = np.zeros_like(x)
            g[np.arange(3), idx] = u                              # all of it to that index
            return [g]
        return Case(lambda x: tuple(getattr(x, kind)(dim=1)), [_leaf(x)], (values, idx),
                    grads=grads)
    return case


def _maxpool_convention(kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                        shape=(2, 2, 5, 6), batched=True):
    """Max pooling with ties: the first maximum in scan order gets the window's whole
    gradient (overlapping windows add up); the indices are PyTorch's."""
    def case(rng):
        op = _need(F, "max_pool2d")
        x = rng.integers(0, 3, shape).astype(np.float64)
        want, idx = ref.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode, True)

        def grads(u):
            xb, ub, ib = (x, u, idx) if batched else (x[None], u[None], idx[None])
            N, C, H, W = xb.shape
            g = np.zeros((N, C, H * W))
            n, c = np.indices(ib.shape)[:2]
            np.add.at(g, (n, c, ib), ub)
            return [g.reshape(xb.shape) if batched else g.reshape(xb.shape)[0]]
        fn = lambda x: op(x, kernel_size, stride, padding, dilation, ceil_mode, True)
        return Case(fn, [_leaf(x)], (want, idx), grads=grads)
    return case


def _nan_convention(rng):
    """NaN: relu passes the gradient (NaN > 0 is unknown, and PyTorch's mask is
    ``not (x <= 0)``); maximum(x, y) gives both inputs the whole gradient where either
    is NaN."""
    x = np.array([[1.0, np.nan, 2.0, np.nan], [-1.0, 0.5, np.nan, -2.0]])
    y = np.array([[np.nan, 1.0, 1.0, np.nan], [0.0, np.nan, 3.0, -1.0]])
    nan = np.isnan(x) | np.isnan(y)
    share = np.where(nan, 1.0, (x > y) + 0.5 * (x == y))

    def fn(x, y):
        return x.relu(), md.maximum(x, y)

    def grads(u, v):
        return [u * ~(x <= 0) + v * share, v * np.where(nan, 1.0, 1 - share)]
    with np.errstate(invalid="ignore"):
        want = (np.where(np.isnan(x), np.nan, np.maximum(x, 0)), np.maximum(x, y))
    return Case(fn, [_leaf(x), _leaf(y)], want, grads=grads)


def _maxpool_inf_indices(kernel_size, stride, padding, dilation):
    """Max pooling over windows whose every input tap is −inf: the maximum is −inf and the
    index is the window's first tap inside the input, as PyTorch (with dilation the first
    tap at or after row/column 0 on the window's grid), and the gradient goes to that
    index (as PyTorch's), not to the padding tap the scan met first."""
    def case(rng):
        op = _need(F, "max_pool2d")
        x = rng.standard_normal((1, 2, 6, 7))
        x[:, :, :4, :4] = -np.inf                     # the top-left windows see only −inf
        x[0, 1, 4:, 5:] = -np.inf
        want, idx = ref.max_pool2d(x, kernel_size, stride, padding, dilation, False, True)

        def grads(u):
            dx = np.zeros(x.shape)
            for n in range(x.shape[0]):
                for c in range(x.shape[1]):
                    np.add.at(dx[n, c].reshape(-1), idx[n, c].reshape(-1), u[n, c].reshape(-1))
            return [dx]
        fn = lambda x: op(x, kernel_size, stride, padding, dilation, False, True)[0]
        return Case(fn, [_leaf(x)], want, grads=grads)
    return case


def _cast_convention(rng):
    """float64 → float32 → float64: the gradient comes back through both casts, rounded
    to float32 on the way (exactly 2·fl32(u) here), in the dtype of each input."""
    x = rng.standard_normal((3, 4))
    return Case(lambda x: (x.float() * 2.0).double(), [_leaf(x)],
                (x.astype(np.float32) * 2).astype(np.float64),
                grads=lambda u: [2.0 * u.astype(np.float32).astype(np.float64)])


def _pow_convention(rng):
    """x ** p at x = 0: ∂/∂x = p·x^(p−1) (0 for p > 1; 0 for p = 0), ∂/∂p = x^p·log x,
    taken as 0 where x = 0 (PyTorch masks it)."""
    x = np.array([[0.0, 0.0, 0.0, 1.5], [2.0, 0.0, 0.7, 1.1]])
    p = np.array([[2.0, 3.0, 0.0, 0.5], [3.0, 1.5, 2.0, 0.0]])

    def grads(u):
        with np.errstate(divide="ignore", invalid="ignore"):
            dx = np.where(p == 0, 0.0, p * np.where(x == 0, 0.0, x ** (p - 1)))
            dx = np.where((x == 0) & (p == 1), 1.0, dx)
            dp = np.where(x == 0, 0.0, x ** p * np.log(np.where(x == 0, 1.0, x)))
        return [u * dx, u * dp]
    return Case(lambda x, p: x ** p, [_leaf(x), _leaf(p)], x ** p, grads=grads)


def _flat_convention(name):
    """floor, ceil, round, trunc, sign: flat almost everywhere, zero gradient everywhere
    (at the jumps too, as PyTorch)."""
    def case(rng):
        x = np.array([[-1.5, -1.0, -0.5, 0.0], [0.5, 1.0, 1.5, 2.5], [0.3, -0.7, 2.0, -2.5]])
        np_fn = {"round": np.round, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc,
                 "sign": np.sign}[name]
        return Case(lambda x: getattr(x, name)(), [_leaf(x)], np_fn(x),
                    grads=lambda u: [np.zeros_like(x)])
    return case


def _l1_convention(rng):
    x, t = _spaced(rng, (3, 4)), _spaced(rng, (3, 4))
    t.reshape(-1)[[0, 5, 6]] = x.reshape(-1)[[0, 5, 6]]           # |x − t| at its kink
    return Case(lambda x: F.l1_loss(x, md.tensor(t)), [_leaf(x)], np.mean(np.abs(x - t)),
                grads=lambda u: [u * np.sign(x - t) / x.size])


def _embedding_padding_convention(rng):
    embedding = _need(F, "embedding")
    idx = np.array([[0, 2, 2], [4, 0, 1]])
    w = rng.standard_normal((5, 3))

    def grads(u):
        g = np.zeros_like(w)
        np.add.at(g, idx, u)
        g[2] = 0.0                                                # padding_idx gets none
        return [g]
    return Case(lambda w: embedding(md.tensor(idx), w, padding_idx=2), [_leaf(w)], w[idx],
                grads=grads)


def _relu_gradgrad(rng):
    """relu'' is 0: the recorded backward of relu must not depend on x except through the
    mask (gradgradcheck away from the kink)."""
    x = _spaced(rng, (3, 4))
    return Case(lambda x: x.relu() * x, [_leaf(x)], np.maximum(x, 0) * x, gradgrad=True)


# ---------------------------------------------------------------------------- losses
def _ce_reference(x, t, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """PyTorch's cross-entropy in NumPy. x (N, C, *) logits; t (N, *) class indices or
    (N, C, *) probabilities. With p = log_softmax(x) over C, ε = label_smoothing::

        indices:  ℓ = (1 − ε)·(−w_t p_t) + (ε/C)·Σ_c (−w_c p_c)   (0 where t = ignore_index)
                  mean = Σ ℓ / Σ_{kept} w_t
        probs:    ℓ = −Σ_c w_c ((1 − ε) y_c + ε/C) p_c,   mean = Σ ℓ / N·(∗)
    """
    p = _log_softmax_np(x, 1)
    C = x.shape[1]
    w = np.ones(C) if weight is None else weight
    wv = w.reshape((1, C) + (1,) * (x.ndim - 2))
    if t.dtype.kind in "iu":
        keep = t != ignore_index
        tt = np.where(keep, t, 0)
        p_t = np.take_along_axis(p, tt[:, None], axis=1)[:, 0]
        w_t = w[tt] * keep
        loss = (1 - label_smoothing) * (-w_t * p_t) \
            + label_smoothing / C * np.where(keep, -(wv * p).sum(axis=1), 0.0)
        divisor = w_t.sum()
    else:
        y = (1 - label_smoothing) * t + label_smoothing / C
        loss = -(wv * y * p).sum(axis=1)
        divisor = loss.size
    if reduction == "none":
        return loss
    return loss.sum() / divisor if reduction == "mean" else loss.sum()


def _case_ce(shape=(5, 4), weighted=False, smoothing=0.0, ignore=False, probs=False,
             reduction="mean"):
    def case(rng):
        x = rng.standard_normal(shape)
        C = shape[1]
        spatial = (shape[0],) + shape[2:]
        if probs:
            t = _softmax_np(rng.standard_normal(shape), 1)
        else:
            t = rng.integers(0, C, spatial)
            if ignore:
                t.reshape(-1)[[1, 3]] = -1
        w = rng.uniform(0.2, 2.0, C) if weighted else None
        kw = dict(reduction=reduction, label_smoothing=smoothing)
        if ignore:
            kw["ignore_index"] = -1
        fn = lambda x: F.cross_entropy(x, md.tensor(t), weight=None if w is None else md.tensor(w),
                                       **kw)
        return Case(fn, [_leaf(x)], _ce_reference(x, t, w, **kw))
    return case


def case_nll_weighted(rng):
    x, t = _log_softmax_np(rng.standard_normal((5, 3)), 1), rng.integers(0, 3, 5)
    w = rng.uniform(0.2, 2.0, 3)
    fn = lambda x: F.nll_loss(x, md.tensor(t), weight=md.tensor(w))
    return Case(fn, [_leaf(x)], -(w[t] * x[np.arange(5), t]).sum() / w[t].sum())


def case_bce_logits(rng):
    x, y = rng.standard_normal((3, 4)), rng.random((3, 4))
    pw = rng.uniform(0.5, 2.0, 4)
    log_sig = -np.logaddexp(0, -x)
    log_one_minus = -np.logaddexp(0, x)
    want = np.mean(-(pw * y * log_sig + (1 - y) * log_one_minus))
    fn = lambda x: F.binary_cross_entropy_with_logits(x, md.tensor(y), pos_weight=md.tensor(pw))
    return Case(fn, [_leaf(x)], want)


def case_kl_div(rng):
    x = _log_softmax_np(rng.standard_normal((3, 4)), 1)
    t = _softmax_np(rng.standard_normal((3, 4)), 1)
    fn = lambda x: F.kl_div(x, md.tensor(t), reduction="batchmean")
    return Case(fn, [_leaf(x)], np.sum(t * (np.log(t) - x)) / 3)


# ---------------------------------------------------------------------------- optimisers
# Each update rule below is PyTorch's documented algorithm for one parameter θ with
# gradient g at step t = 1, 2, ...; the state starts at zero.
def _sgd_rule(theta, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
              nesterov=False, maximize=False):
    out, b = [], None
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * theta
        if momentum:
            b = g if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        out.append(theta)
    return out


def _adam_rule(theta, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
               amsgrad=False, decoupled=False, maximize=False):
    b1, b2 = betas
    m, v, v_max, out = 0.0, 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled:                                     # AdamW: θ ← θ(1 − γλ)
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if amsgrad:
            v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1 ** t)
        v_hat = (v_max if amsgrad else v) / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


def _rmsprop_rule(theta, grads, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                  centered=False, maximize=False):
    v, g_avg, b, out = 0.0, 0.0, 0.0, []
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g * g
        v_tilde = v
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            v_tilde = v - g_avg * g_avg
        step = g / (np.sqrt(v_tilde) + eps)
        if momentum > 0:
            b = momentum * b + step
            step = b
        theta = theta - lr * step
        out.append(theta)
    return out


def _adagrad_rule(theta, grads, lr, lr_decay=0.0, weight_decay=0.0,
                  initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    s, out = initial_accumulator_value, []
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        g = g + weight_decay * theta
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        theta = theta - lr_t * g / (np.sqrt(s) + eps)
        out.append(theta)
    return out


def _adadelta_rule(theta, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    v, u, out = 0.0, 0.0, []
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * theta
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        theta = theta - lr * delta
        out.append(theta)
    return out


def _case_optim(name, rule, steps=5, **kw):
    def case(rng):
        cls = _need(optim, name)
        theta0 = rng.standard_normal((3, 2))
        grads = [rng.standard_normal((3, 2)) for _ in range(steps)]
        p = md.tensor(theta0.copy(), dtype=np.float64, requires_grad=True)
        opt = cls([p], **kw)
        got = []
        for g in grads:
            opt.zero_grad()
            p.grad = md.tensor(g.copy(), dtype=np.float64)
            opt.step()
            got.append(np.array(p.numpy(), dtype=np.float64))
        rule_kw = dict(kw)
        if name == "AdamW":
            rule_kw["decoupled"] = True
            rule_kw.setdefault("weight_decay", 1e-2)     # AdamW's default
        want = rule(theta0, grads, **rule_kw)
        err = max(float(np.max(np.abs(a - b))) for a, b in zip(got, want))
        top = max(1.0, max(float(np.max(np.abs(b))) for b in want))
        return Measured(forward_error=err, forward_tol=OPTIM_TOL * top, grad="-")
    return case


# ---------------------------------------------------------------------------- float32
def _dtype_cases():
    f = lambda *shape: np.random.default_rng(1).uniform(0.5, 1.5, shape)
    conv2d, max_pool2d, avg_pool2d = (_need(F, n) for n in ("conv2d", "max_pool2d", "avg_pool2d"))
    return [
        ("add", lambda a, b: a + b, [f(3, 4), f(4)]),
        ("mul", lambda a, b: a * b, [f(3, 4), f(4)]),
        ("div", lambda a, b: a / b, [f(3, 4), f(4)]),
        ("pow", lambda a, b: a ** b, [f(3, 4), f(3, 4)]),
        ("pow scalar", lambda a: a ** 2.5, [f(3, 4)]),
        ("exp log sqrt", lambda a: a.exp() + a.log() + a.sqrt(), [f(3, 4)]),
        ("tanh sigmoid", lambda a: a.tanh() + a.sigmoid(), [f(3, 4)]),
        ("relu abs clip", lambda a: a.relu() + a.abs() + a.clip(0.7, 1.2), [f(3, 4)]),
        ("maximum where", lambda a, b: md.maximum(a, b) + md.where(a > b, a, b), [f(3, 4), f(3, 4)]),
        ("sum mean amax", lambda a: a.sum(0) + a.mean(0) + a.amax(0), [f(3, 4)]),
        ("prod cumprod cumsum", lambda a: a.prod(0) + a.cumprod(0)[0] + a.cumsum(1)[0], [f(3, 4)]),
        ("matmul", lambda a, b: a @ b, [f(2, 3, 4), f(4, 2)]),
        ("softmax log_softmax", lambda a: F.softmax(a, 1) + F.log_softmax(a, 1), [f(3, 4)]),
        ("gelu", lambda a: F.gelu(a) + F.gelu(a, approximate="tanh"), [f(3, 4)]),
        ("getitem gather", lambda a: a[[0, 2]].sum(0) + a.gather(0, md.tensor([[1, 0, 2, 1]]))[0],
         [f(3, 4)]),
        ("cat stack", lambda a, b: md.cat([a, b]).sum(0) + md.stack([a, b]).sum((0, 1)),
         [f(2, 4), f(2, 4)]),
        ("conv2d", lambda x, w, b: conv2d(x, w, b, padding=1), [f(1, 2, 4, 4), f(3, 2, 3, 3), f(3)]),
        ("max_pool2d", lambda x: max_pool2d(x, 2, 1), [f(1, 2, 4, 4)]),
        ("avg_pool2d", lambda x: avg_pool2d(x, 3, 2, 1, count_include_pad=False), [f(1, 2, 5, 5)]),
        ("layer_norm", lambda x: F.layer_norm(x, (4,)), [f(3, 4)]),
        ("cross_entropy", lambda x: F.cross_entropy(x, md.tensor([0, 2, 1]), label_smoothing=0.1),
         [f(3, 4)]),
        ("erfc", lambda a: F.gelu(a * 4.0), [f(3, 4)]),
        ("cast to float64 and back", lambda a: (a.double() * 2.0).float(), [f(3, 4)]),
    ]


def case_float32(rng):
    bad = []
    cases = _dtype_cases()
    for name, fn, arrays in cases:
        xs = [md.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
        with md.enable_grad():
            out = fn(*xs)
            out.backward(md.tensor(np.ones(out.shape, np.float32)))
        dtypes = {str(out.dtype)} | {str(x.grad.dtype) if x.grad is not None else "None"
                                     for x in xs}
        if dtypes != {"float32"}:
            bad.append(f"{name}: {'/'.join(sorted(dtypes))}")
    return Measured(forward_error=float(len(bad)), forward_tol=0.0, grad="-",
                    note=("; ".join(bad)[:120] if bad else f"{len(cases)} cases"),
                    failed=bool(bad))


# ---------------------------------------------------------------------------- self-test
class _WrongTanh(md.Function):
    """tanh with a wrong backward (1 − y instead of 1 − y²)."""
    on_arrays = True

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        return dy * (1 - y)


class _ZeroSoftmax(md.Function):
    """softmax whose backward returns zeros: right for an all-ones upstream gradient only."""
    on_arrays = True

    @staticmethod
    def forward(ctx, x):
        return _softmax_np(x, -1)

    @staticmethod
    def backward(ctx, dy):
        return dy * 0


def case_gradcheck_self_test(rng):
    """md.gradcheck with the report's tolerances passes tanh and FAILS two wrong
    backwards: the row passes only when gradcheck catches both."""
    x = _leaf(rng.uniform(-1.5, 1.5, (2, 3)))
    kw = dict(eps=EPS, atol=GRAD_ATOL, rtol=GRAD_RTOL, raise_exception=False)
    right = md.gradcheck(lambda t: t.tanh(), (x,), **kw)
    wrong = md.gradcheck(lambda t: _WrongTanh.apply(t), (x,), **kw)
    zero = md.gradcheck(lambda t: _ZeroSoftmax.apply(t), (x,), **kw)
    ok = right and not wrong and not zero
    note = "" if ok else (f"gradcheck gave tanh {right}, wrong tanh {wrong}, zero-backward "
                          f"softmax {zero} (want True, False, False)")
    return Measured(grad="caught" if ok else "MISSED", note=note, failed=not ok)


# ---------------------------------------------------------------------------- the rows
CASES = [
    ("self", "gradcheck fails a wrong backward (1−y, zeros)", case_gradcheck_self_test),
    ("eng", "backward through a shared node  c ⊙ Σc", case_shared_node),
    ("F1", "convolution (cross-correlation)  F.conv2d", _case_conv(1, 0, 1)),
    ("F2", "max pooling 2×2  F.max_pool2d", _case_pool("max_pool2d", 2)),
    ("F2", "average pooling 2×2  F.avg_pool2d", _case_pool("avg_pool2d", 2)),
    ("F3", "fully connected  F.linear", case_linear),
    ("F4", "recurrent update h_t  F.rnn_step", _case_rnn(0)),
    ("F5", "recurrent output o_t  F.rnn_step", _case_rnn(1)),
    ("F6", "LSTM cell (h, c)  F.lstm_cell", case_lstm_cell),
    ("F6", "LSTM, 2 layers  nn.LSTM", case_lstm_module),
    ("F6", "LSTM, 2 layers, given (h0, c0)  nn.LSTM", case_lstm_module_states),
    ("F6", "fused LSTM scan (h_1..h_L, c_L)  LSTMScan", _case_lstm_scan()),
    ("F6", "fused LSTM scan, only w_hh and c0 need grad", _case_lstm_scan((False, False, True, True))),
    ("F7", "scaled dot-product attention", case_sdpa),
    ("F7", "attention, float mask, scale=0.7", case_sdpa_causal),
    ("F7", "attention, is_causal, 4-D (N, h, L, E)", case_sdpa_is_causal),
    ("F7", "attention, a query with every key masked", case_sdpa_dead_row),
    ("F8", "multi-head attention  F.multi_head_attention", case_mha),
    ("F8", "multi-head attention, key_padding_mask, attn_mask", case_mha_key_padding),
    ("F9", "positional encoding  nn.PositionalEncoding", case_positional),
    ("F10", "encoder layer  nn.TransformerEncoderLayer", case_encoder_layer),
    ("F10", "encoder, 2 layers  nn.TransformerEncoder", case_encoder),
    ("F11", "softmax  F.softmax",
     _unary(lambda x: ref.softmax(x), lambda x: F.softmax(x, dim=1))),
    ("F11", "log-softmax  F.log_softmax",
     _unary(lambda x: ref.log_softmax(x), lambda x: F.log_softmax(x, dim=1))),
    ("F11", "cross-entropy  F.cross_entropy", case_cross_entropy),
    # primitives: forward against NumPy, backward by gradcheck
    ("op", "add", _binary(np.add, lambda x, y: x + y)),
    ("op", "add (broadcast both ways)", _binary(np.add, lambda x, y: x + y,
                                                lambda r: (r.standard_normal((3, 1)),
                                                           r.standard_normal((1, 4))))),
    ("op", "sub", _binary(np.subtract, lambda x, y: x - y)),
    ("op", "rsub (scalar − tensor)", _unary(lambda x: 1.5 - x, lambda x: 1.5 - x)),
    ("op", "mul", _binary(np.multiply, lambda x, y: x * y)),
    ("op", "div", _binary(np.divide, lambda x, y: x / y,
                          lambda r: (r.standard_normal((3, 4)), r.uniform(0.5, 2.0, 4)))),
    ("op", "rdiv (scalar / tensor)", _unary(lambda x: 2.0 / x, lambda x: 2.0 / x, _pos)),
    ("op", "pow (tensor ** 2.5)", _unary(lambda x: x ** 2.5, lambda x: x ** 2.5, _pos)),
    ("op", "pow (tensor ** -1.5)", _unary(lambda x: x ** -1.5, lambda x: x ** -1.5, _pos)),
    ("op", "pow (tensor ** 2, the square)", _unary(lambda x: x ** 2, lambda x: x ** 2)),
    ("op", "pow (negative base ** 3)", _unary(lambda x: x ** 3, lambda x: x ** 3,
                                             lambda r: -_pos(r))),
    ("op", "pow (tensor ** 0)", _unary(lambda x: x ** 0, lambda x: x ** 0)),
    ("op", "pow (tensor ** tensor)", _binary(np.power, lambda x, y: x ** y,
                                             lambda r: (_pos(r), r.standard_normal((3, 4))))),
    ("op", "rpow (2 ** tensor)", _unary(lambda x: 2.0 ** x, lambda x: 2.0 ** x)),
    ("op", "neg", _unary(np.negative, lambda x: -x)),
    ("op", "exp", _unary(np.exp, lambda x: x.exp())),
    ("op", "log", _unary(np.log, lambda x: x.log(), _pos)),
    ("op", "log1p", _unary(np.log1p, lambda x: x.log1p(), _pos)),
    ("op", "sqrt", _unary(np.sqrt, lambda x: x.sqrt(), _pos)),
    ("op", "sin", _unary(np.sin, lambda x: x.sin(), lambda r: r.uniform(-3, 3, (3, 4)))),
    ("op", "cos", _unary(np.cos, lambda x: x.cos(), lambda r: r.uniform(-3, 3, (3, 4)))),
    ("op", "tanh", _unary(np.tanh, lambda x: x.tanh(), lambda r: r.uniform(-3, 3, (3, 4)))),
    ("op", "sigmoid", _unary(lambda x: 1 / (1 + np.exp(-x)), lambda x: x.sigmoid(),
                             lambda r: r.uniform(-6, 6, (3, 4)))),
    ("op", "relu", _unary(lambda x: np.maximum(x, 0), lambda x: x.relu(),
                          lambda r: _spaced(r, (3, 4)))),
    ("op", "abs", _unary(np.abs, lambda x: x.abs(), lambda r: _spaced(r, (3, 4)))),
    ("op", "clip", _unary(lambda x: np.clip(x, -0.5, 0.6), lambda x: x.clip(-0.5, 0.6),
                          lambda r: _spaced(r, (3, 4), low=-1.95, step=0.33))),
    ("op", "maximum", _binary(np.maximum, lambda x, y: md.maximum(x, y), _apart)),
    ("op", "minimum", _binary(np.minimum, lambda x, y: md.minimum(x, y), _apart)),
    ("op", "where", case_where),
    ("op", "sum (axis 1)", _unary(lambda x: x.sum(axis=1), lambda x: x.sum(axis=1))),
    ("op", "sum (all)", _unary(lambda x: x.sum(), lambda x: x.sum())),
    ("op", "sum (axes 0, 2, keepdims)",
     _unary(lambda x: x.sum(axis=(0, 2), keepdims=True), lambda x: x.sum(dim=(0, 2), keepdim=True),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "mean (axes 0, 2, keepdims)",
     _unary(lambda x: x.mean(axis=(0, 2), keepdims=True),
            lambda x: x.mean(axis=(0, 2), keepdims=True),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "mean (axis -1)", _unary(lambda x: x.mean(axis=-1), lambda x: x.mean(-1),
                                    lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "mean (all)", _unary(lambda x: x.mean(), lambda x: x.mean())),
    ("op", "max (dim 1: values)", _unary(lambda x: x.max(axis=1), lambda x: x.max(dim=1).values,
                                         lambda r: _spaced(r, (3, 4)))),
    ("op", "amin (dim 0)", _unary(lambda x: x.min(axis=0), lambda x: x.amin(dim=0),
                                  lambda r: _spaced(r, (3, 4)))),
    ("op", "amax (dims 0, 2, keepdim)",
     _unary(lambda x: x.max(axis=(0, 2), keepdims=True), lambda x: x.amax(dim=(0, 2), keepdim=True),
            lambda r: _spaced(r, (2, 3, 4), step=0.1))),
    ("op", "prod (dim 1, zeros)", _case_prod(1)),
    ("op", "prod (dim 0, keepdim, zeros)", _case_prod(0, keepdim=True)),
    ("op", "prod (all, zeros)", _case_prod(None)),
    ("op", "cumprod (dim 1, a zero)", _case_cumprod(1)),
    ("op", "cumprod (dim 0, a zero)", _case_cumprod(0)),
    ("op", "cumsum (dim 0)", _unary(lambda x: np.cumsum(x, 0), lambda x: x.cumsum(0))),
    ("op", "matmul (batched, broadcast)", case_matmul),
    ("op", "matmul (2-D @ 2-D)", _case_matmul((3, 4), (4, 2))),
    ("op", "matmul (1-D @ 1-D)", _case_matmul((4,), (4,))),
    ("op", "matmul (1-D @ 3-D)", _case_matmul((3,), (2, 3, 4))),
    ("op", "matmul (3-D @ 1-D)", _case_matmul((2, 4, 3), (3,))),
    ("op", "matmul (batch broadcast 4-D @ 3-D)", _case_matmul((2, 1, 3, 4), (3, 4, 2))),
    ("op", "reshape", _unary(lambda x: x.reshape(2, 6), lambda x: x.reshape(2, 6))),
    ("op", "transpose (2, 0, 1)",
     _unary(lambda x: x.transpose(2, 0, 1), lambda x: x.permute(2, 0, 1),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "transpose (dims 0, 2)",
     _unary(lambda x: x.swapaxes(0, 2), lambda x: x.transpose(0, 2),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "expand (broadcast_to)",
     _unary(lambda x: np.broadcast_to(x, (2, 3, 4)), lambda x: x.expand(2, 3, 4),
            lambda r: r.standard_normal((3, 1)))),
    ("op", "flip (dims 0, 1)", _unary(lambda x: np.flip(x, (0, 1)), lambda x: x.flip((0, 1)))),
    ("op", "repeat (2, 1, 3)",
     _unary(lambda x: np.tile(x.reshape(1, 3, 4), (2, 1, 3)), lambda x: x.repeat(2, 1, 3))),
    ("op", "getitem (advanced, repeated)", case_getitem),
    ("op", "getitem (basic: slices, int, negative step)", case_getitem_basic),
    ("op", "getitem (boolean mask)", case_getitem_mask),
    ("op", "setitem (index_put)", case_setitem),
    ("op", "setitem, value broadcast over rows", case_setitem_broadcast),
    ("op", "in-place write through a view", case_setitem_view),
    ("op", "gather (dim 1, repeated)", case_gather),
    ("op", "scatter_add (dim 0, repeated)", case_scatter_add),
    ("op", "cat", case_cat),
    ("op", "stack", case_stack),
    ("op", "split (2, 4, 1)", case_split),
    ("op", "unbind (dim 1)", case_unbind),
    ("op", "softmax (dim 1 of 3)",
     _unary(lambda x: _softmax_np(x, 1), lambda x: F.softmax(x, dim=1),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "softmax (dim 0 of 3)",
     _unary(lambda x: _softmax_np(x, 0), lambda x: F.softmax(x, dim=0),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "log_softmax (dim 1 of 3)",
     _unary(lambda x: _log_softmax_np(x, 1), lambda x: F.log_softmax(x, dim=1),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "log_softmax (dim 2, logits ~ 1e3)",
     _unary(lambda x: _log_softmax_np(x, 2), lambda x: F.log_softmax(x, dim=2),
            lambda r: r.standard_normal((2, 3, 4)) + 1e3)),
    ("op", "softmax with −inf entries (masked)", case_softmax_masked),
    ("op", "gelu", _unary(lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
                          lambda x: F.gelu(x))),
    ("op", "gelu over [−6, 6] (both erfc branches)", case_erfc_wide),
    ("op", "gelu's left tail, relative (erfc to 1e-12)", case_gelu_tail),
    ("op", "gelu (approximate='tanh')", case_gelu_tanh),
    ("op", "layer_norm", case_layer_norm),
    ("op", "batch_norm (training: batch statistics)", case_batch_norm),
    ("op", "batch_norm's running statistics (momentum 0.3)", case_batch_norm_running),
    ("op", "embedding", case_embedding),
    ("op", "GRU cell  F.gru_cell", case_gru_cell),
    # convolution and pooling geometry
    ("geom", "conv2d (stride 2, padding 1, groups 2)", _case_conv(2, 1, 2)),
    ("geom", "conv2d k 2×3, s (1,2), p (2,1), d (1,2)",
     _case_conv((1, 2), (2, 1), 1, dilation=(1, 2), kernel=(2, 3), hw=(5, 7))),
    ("geom", "conv2d k 3×2, s (2,1), p (0,2), d (2,1), groups 3",
     _case_conv((2, 1), (0, 2), 3, dilation=(2, 1), kernel=(3, 2), hw=(7, 5))),
    ("geom", "conv2d unbatched (C, H, W), no bias",
     _case_conv(1, (1, 0), 1, kernel=(2, 2), bias=False, batched=False)),
    ("geom", "conv2d padding='same', even kernel 4×2, d (1,2)",
     _case_conv(1, "same", 1, dilation=(1, 2), kernel=(4, 2), hw=(6, 6))),
    ("geom", "conv2d, only the weight requires grad",
     _case_conv((2, 1), (1, 2), 1, kernel=(3, 2), need=(False, True, False))),
    ("geom", "conv2d, only the input requires grad",
     _case_conv((1, 2), 1, 2, dilation=(2, 1), need=(True, False, False), hw=(6, 5))),
    ("geom", "max_pool2d (3×3, stride 2, padding 1)", _case_pool("max_pool2d", 3, 2, 1)),
    ("geom", "max_pool2d k (2,3), s (1,2), p (1,0), d (2,1)",
     _case_pool("max_pool2d", (2, 3), (1, 2), (1, 0), dilation=(2, 1))),
    ("geom", "max_pool2d ceil_mode (k 2, s 2, p 1: last window dropped)",
     _case_pool("max_pool2d", 2, 2, 1, ceil_mode=True, shape=(1, 2, 5, 5))),
    ("geom", "max_pool2d ceil_mode k 3 s 2, 6×7",
     _case_pool("max_pool2d", 3, 2, 0, ceil_mode=True, shape=(2, 1, 6, 7))),
    ("geom", "max_pool2d disjoint windows (k 2, s 3)",
     _case_pool("max_pool2d", 2, 3, 0, shape=(2, 2, 7, 8))),
    ("geom", "max_pool2d unbatched, return_indices, p (1,1)",
     _case_pool("max_pool2d", (3, 2), (2, 1), 1, shape=(2, 5, 4), return_indices=True)),
    ("geom", "max_pool2d return_indices, k 3 s 1 d 2 p 1",
     _case_pool("max_pool2d", 3, 1, 1, dilation=2, return_indices=True, shape=(1, 2, 6, 7))),
    ("geom", "avg_pool2d (3×3, stride 2, padding 1, no pad count)",
     _case_pool("avg_pool2d", 3, 2, 1, count_include_pad=False)),
    ("geom", "avg_pool2d (3×3, stride 2, padding 1, pad counted)",
     _case_pool("avg_pool2d", 3, 2, 1)),
    ("geom", "avg_pool2d k (2,3) s (1,2) p (1,1) ceil_mode",
     _case_pool("avg_pool2d", (2, 3), (1, 2), (1, 1), ceil_mode=True, shape=(2, 1, 5, 8))),
    ("geom", "avg_pool2d ceil_mode, no pad count",
     _case_pool("avg_pool2d", 3, 2, 1, ceil_mode=True, count_include_pad=False,
                shape=(1, 2, 6, 6))),
    ("geom", "avg_pool2d divisor_override 4, ceil_mode", _case_avg_divisor_override(4)),
    ("geom", "avg_pool2d windows tile the input (k 2, 4×6)",
     _case_pool("avg_pool2d", 2, shape=(2, 2, 4, 6))),
    ("geom", "avg_pool2d disjoint windows (k 2, s 3), unbatched",
     _case_pool("avg_pool2d", 2, 3, shape=(2, 7, 8))),
    # kinks and ties: the analytic gradient against PyTorch's convention
    ("kink", "relu at 0 (gradient 0)", _relu_convention),
    ("kink", "F.relu at 0 (gradient 0)", _functional_relu_convention),
    ("kink", "leaky_relu(0.1) at 0 (slope 0.1)", _leaky_relu_convention),
    ("kink", "elu(α=0.5) at 0 (α)", _elu_convention),
    ("kink", "abs at 0 (sign 0 = 0)", _abs_convention),
    ("kink", "clip at its bounds (gradient 1 on [lo, hi])", _clip_convention),
    ("kink", "clamp(min=), clamp(max=) at the bound", _clamp_one_bound),
    ("kink", "clamp with tensor bounds", _clip_array_bounds),
    ("kink", "maximum, tied (each gets half)", _maximum_convention("maximum")),
    ("kink", "minimum, tied (each gets half)", _maximum_convention("minimum")),
    ("kink", "amax (dim 1), tied maxima share", _amax_convention("amax", 1)),
    ("kink", "amin (dims 0, 2), tied minima share", _amax_convention("amin", (0, 2))),
    ("kink", "max() of all, tied maxima share", _amax_convention("amax", None)),
    ("kink", "min() of all, tied minima share", _amax_convention("amin", None)),
    ("kink", "max(dim): the first maximum gets it all", _max_dim_convention("max")),
    ("kink", "min(dim): the first minimum gets it all", _max_dim_convention("min")),
    ("kink", "max_pool2d ties (2×2): first in scan order", _maxpool_convention(2)),
    ("kink", "max_pool2d ties, overlapping (3×3, s 1, p 1)", _maxpool_convention(3, 1, 1)),
    ("kink", "max_pool2d ties, k (2,3) s (2,1) d (1,2) ceil",
     _maxpool_convention((2, 3), (2, 1), (1, 1), (1, 2), True, shape=(1, 2, 5, 7))),
    ("kink", "max_pool2d ties, unbatched, disjoint (k 2, s 3)",
     _maxpool_convention(2, 3, shape=(2, 7, 8), batched=False)),
    ("geom", "max_pool2d indices, all −inf windows (k 3, p 1, d 2)", _maxpool_inf_indices(3, 1, 1, 2)),
    ("geom", "max_pool2d indices, all −inf windows (k 3×2, d (2,3))",
     _maxpool_inf_indices((3, 2), (2, 1), (1, 1), (2, 3))),
    ("kink", "pow at base 0", _pow_convention),
    ("kink", "cast float64 → float32 → float64 (rounded gradient)", _cast_convention),
    ("kink", "NaN: relu passes it, maximum gives both", _nan_convention),
    ("kink", "floor at integers (gradient 0)", _flat_convention("floor")),
    ("kink", "ceil (gradient 0)", _flat_convention("ceil")),
    ("kink", "round (gradient 0)", _flat_convention("round")),
    ("kink", "trunc (gradient 0)", _flat_convention("trunc")),
    ("kink", "sign (gradient 0)", _flat_convention("sign")),
    ("kink", "l1_loss where input = target (sign 0)", _l1_convention),
    ("kink", "embedding padding_idx (no gradient)", _embedding_padding_convention),
    # losses
    ("loss", "cross_entropy, class weights", _case_ce(weighted=True)),
    ("loss", "cross_entropy, label_smoothing 0.2", _case_ce(smoothing=0.2)),
    ("loss", "cross_entropy, weights + smoothing + ignore_index",
     _case_ce(weighted=True, smoothing=0.15, ignore=True)),
    ("loss", "cross_entropy (N, C, d), weights, reduction='sum'",
     _case_ce((3, 4, 2), weighted=True, reduction="sum")),
    ("loss", "cross_entropy (N, C, d), smoothing, reduction='none'",
     _case_ce((3, 4, 2), smoothing=0.1, reduction="none")),
    ("loss", "cross_entropy, probability targets, weights, smoothing",
     _case_ce(weighted=True, smoothing=0.1, probs=True)),
    ("loss", "nll_loss, class weights", case_nll_weighted),
    ("loss", "binary_cross_entropy_with_logits, pos_weight", case_bce_logits),
    ("loss", "kl_div (batchmean)", case_kl_div),
    # second derivatives
    ("gg", "conv2d s (1,2) p (1,0) d (2,1) groups 2",
     _case_conv((1, 2), (1, 0), 2, dilation=(2, 1), kernel=(2, 2), hw=(4, 4), gradgrad=True)),
    ("gg", "max_pool2d (3×3, s 2, p 1)",
     _case_pool("max_pool2d", 3, 2, 1, shape=(1, 1, 5, 5), gradgrad=True)),
    ("gg", "avg_pool2d (3×3, s 2, p 1)",
     _case_pool("avg_pool2d", 3, 2, 1, shape=(1, 1, 5, 5), gradgrad=True)),
    ("gg", "matmul (batched @ 2-D)", _case_matmul((2, 2, 3), (3, 2), gradgrad=True)),
    ("gg", "softmax, log_softmax",
     _unary(lambda x: (_softmax_np(x, 1), _log_softmax_np(x, 1)),
            lambda x: (F.softmax(x, dim=1), F.log_softmax(x, dim=1)),
            lambda r: r.standard_normal((2, 3)))),
    ("gg", "exp log sqrt tanh sigmoid pow div",
     _unary(lambda x: (np.exp(x), np.log(x), np.sqrt(x), np.tanh(x), 1 / (1 + np.exp(-x)),
                       x ** 2.5, 1 / x),
            lambda x: (x.exp(), x.log(), x.sqrt(), x.tanh(), x.sigmoid(), x ** 2.5, 1 / x),
            lambda r: r.uniform(0.3, 2.0, (2, 2)))),
    ("gg", "gelu (erf and tanh)",
     _unary(lambda x: (0.5 * x * (1 + _erf(x / math.sqrt(2))),
                       0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
            lambda x: (F.gelu(x), F.gelu(x, approximate="tanh")),
            lambda r: r.uniform(-3, 3, (2, 3)))),
    ("gg", "prod, cumprod, cumsum (with a zero)",
     _unary(lambda x: (np.prod(x, 1), np.cumprod(x, 0), np.cumsum(x, 1)),
            lambda x: (x.prod(1), x.cumprod(0), x.cumsum(1)),
            lambda r: np.array([[0.5, -1.2, 0.0], [1.3, 0.7, -0.4]]))),
    ("gg", "relu · x, maximum, clip (off the kinks)", _relu_gradgrad),
    ("gg", "getitem, gather, mean, amax", _unary(
        lambda x: (x[[0, 0, 1]] ** 2, np.take_along_axis(x, np.array([[2, 0, 2], [1, 1, 0]]), 1) ** 2,
                   x.mean(0) ** 2, x.max(1) ** 2),
        lambda x: (x[[0, 0, 1]] ** 2, x.gather(1, md.tensor([[2, 0, 2], [1, 1, 0]])) ** 2,
                   x.mean(0) ** 2, x.amax(1) ** 2),
        lambda r: _spaced(r, (2, 3)))),
    ("gg", "fused LSTM scan (via the composite)", _case_lstm_scan(gradgrad=True, L=2, N=1)),
    # optimisers: a few steps against the update rule
    ("optim", "SGD", _case_optim("SGD", _sgd_rule, lr=0.1)),
    ("optim", "SGD momentum 0.9, dampening 0.1, weight_decay",
     _case_optim("SGD", _sgd_rule, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.05)),
    ("optim", "SGD nesterov, maximize",
     _case_optim("SGD", _sgd_rule, lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    ("optim", "Adam", _case_optim("Adam", _adam_rule, lr=0.01)),
    ("optim", "Adam betas (0.8, 0.9), weight_decay, amsgrad",
     _case_optim("Adam", _adam_rule, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    ("optim", "AdamW (decoupled weight decay 0.1)",
     _case_optim("AdamW", _adam_rule, lr=0.01, weight_decay=0.1)),
    ("optim", "AdamW amsgrad, maximize",
     _case_optim("AdamW", _adam_rule, lr=0.02, amsgrad=True, maximize=True)),
    ("optim", "RMSprop", _case_optim("RMSprop", _rmsprop_rule, lr=0.01)),
    ("optim", "RMSprop centered, momentum 0.9, weight_decay",
     _case_optim("RMSprop", _rmsprop_rule, lr=0.01, alpha=0.9, momentum=0.9, centered=True,
                 weight_decay=0.1)),
    ("optim", "Adagrad", _case_optim("Adagrad", _adagrad_rule, lr=0.1)),
    ("optim", "Adagrad lr_decay, initial accumulator, weight_decay",
     _case_optim("Adagrad", _adagrad_rule, lr=0.1, lr_decay=0.5, initial_accumulator_value=0.3,
                 weight_decay=0.1)),
    ("optim", "Adadelta", _case_optim("Adadelta", _adadelta_rule)),
    ("optim", "Adadelta rho 0.5, lr 0.5, weight_decay",
     _case_optim("Adadelta", _adadelta_rule, lr=0.5, rho=0.5, weight_decay=0.1)),
    # float32 stays float32
    ("dtype", "float32 in, float32 out and gradients", case_float32),
]


def _evaluate(case, row, seed):
    if isinstance(case, tuple):
        case = Case(*case)
    if isinstance(case, Measured):
        row.forward_error, row.grad_error, row.grad = case.forward_error, case.grad_error, case.grad
        bad = case.failed or not (case.forward_error != case.forward_error
                                  or case.forward_error <= case.forward_tol)
        if bad:
            row.status = "FAIL"
        row.note = case.note or ("forward out of tolerance" if bad else "")
        return
    bad = []
    if case.expected is not None:
        with md.no_grad():
            got = case.fn(*case.inputs)
        row.forward_error, tol = forward_error(got, case.expected)
        if not row.forward_error <= tol:
            bad.append("forward out of tolerance")
    if not case.gradient:
        row.grad = "-"
    elif case.grads is not None:
        row.grad_error = convention_error(case.fn, case.inputs, case.grads, seed=seed)
        row.grad = "convention"
        if not row.grad_error <= CONVENTION_TOL:
            bad.append("gradient is not PyTorch's convention")
    else:
        check = md.gradgradcheck if case.gradgrad else md.gradcheck
        row.grad = "gradgradcheck" if case.gradgrad else "gradcheck"
        try:
            check(case.fn, tuple(case.inputs), eps=EPS, atol=GRAD_ATOL, rtol=GRAD_RTOL,
                  raise_exception=True, seed=seed)
        except md.GradcheckError as e:
            row.grad = "FAIL"
            bad.append(_short(e))
    # the recorded backward (create_graph=True) must give the same first derivative
    if not bad and case.gradient and not recorded_error(case.fn, case.inputs, seed=seed) <= RECORDED_TOL:
        bad.append("the recorded backward (create_graph=True) differs")
    if bad:
        row.status, row.note = "FAIL", "; ".join(bad)


def check_rows(seed=0, names=None):
    """Run every case (or those named in ``names``); yields a :class:`CheckRow` per case,
    in order."""
    previous = md.get_default_dtype()
    md.set_default_dtype(np.float64)
    try:
        from .training import one_blas_thread
        limit = one_blas_thread()
    except Exception:  # noqa: BLE001 - only a speed-up
        limit = None
    try:
        for i, (group, name, case) in enumerate(CASES):
            if names is not None and name not in names:
                continue
            row = CheckRow(group, name)
            rng = np.random.default_rng((seed, i))
            md.manual_seed(seed + i)
            try:
                with np.errstate(all="ignore"):
                    _evaluate(case(rng), row, seed + i)
            except _Missing as e:
                row.status, row.note = "missing", str(e)
            except Exception as e:  # noqa: BLE001 - a broken op is a failed row, not a crash
                row.status = "error"
                row.note = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:90]
            yield row
    finally:
        md.set_default_dtype(previous)
        if limit is not None:
            limit.restore_original_limits()


def _fmt(v):
    return "      -  " if v != v else f"{v:9.1e}"


WIDTH = 100


def format_header():
    return (f"{'':5} {'formula / op':<56} {'fwd err':>9} {'grad err':>9} {'gradient':<13} result\n"
            + "-" * WIDTH)


def format_row(row):
    mark = {"ok": "ok", "FAIL": "FAIL", "missing": "MISSING", "error": "ERROR"}[row.status]
    line = (f"{row.group:<5} {row.name:<56} {_fmt(row.forward_error)} "
            f"{_fmt(row.grad_error)} {row.grad:<13} {mark}")
    return line + (f"  ({row.note})" if row.note else "")


def run_check(stream=None, seed=0, names=None):
    """Print the report (of the rows named in ``names``, default all) to ``stream``;
    returns 0 if every row passes, else 1."""
    stream = sys.stdout if stream is None else stream
    t0 = time.perf_counter()
    stream.write(
        "Gradient-check report (float64). fwd err = max |minidl − reference| (minidl.reference "
        "loops, or NumPy);\ngradient: md.gradcheck / md.gradgradcheck against central differences "
        f"(eps = {EPS:g}, atol = {GRAD_ATOL:g}, rtol = {GRAD_RTOL:g}),\nor, at kinks and ties, "
        "grad err = max |analytic − PyTorch's convention| / max(1, |convention|) "
        f"<= {CONVENTION_TOL:g};\nand the recorded backward (create_graph=True) must give the same first "
        f"derivative (to {RECORDED_TOL:g});\noptim: fwd err = max |θ − θ of the update rule| over 5 steps. "
        f"Pass: forward <= {FORWARD_TOL:g}·max(1, |reference|).\n\n")
    stream.write(format_header() + "\n")
    rows = []
    for row in check_rows(seed, names):
        rows.append(row)
        stream.write(format_row(row) + "\n")
        stream.flush()
    failed = [r for r in rows if not r.passed]
    stream.write("-" * WIDTH + "\n")
    stream.write(f"{len(rows) - len(failed)}/{len(rows)} rows pass"
                 + (f", {len(failed)} fail" if failed else "")
                 + f" ({time.perf_counter() - t0:.1f} s)\n")
    return 1 if failed else 0
