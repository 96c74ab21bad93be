"""The gradient-check report: every formula of the article and every primitive, checked.

One row per formula F1–F11 of the article (with ``nn.LSTM`` and ``nn.TransformerEncoder``
beside their cells and layers), one per primitive op, and one for the engine itself (a
node consumed twice, at different depths). For each row, on a small random case in
float64:

* **forward error**: ``max |minidl − reference|``, the reference being the literal loop
  of ``minidl.reference`` (formulas F1–F11, layer norm) or, for a primitive without one,
  its direct NumPy transcription (``np.exp(x)``, ``x[idx]``, ...);
* **gradient error**: one backward pass gives the analytic ∂L/∂x of
  ``L = Σ ⟨u, f(x)⟩`` with a random upstream gradient ``u`` (never all ones); central
  differences ``(L(x + ε e_i) − L(x − ε e_i)) / 2ε`` (ε = 1e-6) give the numerical one,
  element by element, for every differentiable input (weights included). The report
  shows the worst input's ``max_i |analytic_i − numerical_i| / max_i |numerical_i|``.

Inputs are kept away from kinks and ties (relu/abs at 0, the maxima of max, max-pool and
maximum, the bounds of clip), where a difference quotient straddles two branches.

A row passes when the forward error is at most ``1e-9 · max(1, max |reference|)`` and
the gradient error at most ``1e-6``. An op that minidl does not have (yet) shows as
``missing`` and fails, as does a row whose code raises; ``run_check`` returns 1 then.
"""
import math
import sys
import time
from dataclasses import dataclass

import numpy as np

import minidl as md
import minidl.functional as F
import minidl.nn as nn
import minidl.reference as ref

__all__ = ["CheckRow", "check_rows", "run_check"]

EPS = 1e-6
FORWARD_TOL = 1e-9
GRAD_TOL = 1e-6


class _Missing(Exception):
    """The op a row needs is not in minidl."""


def _need(namespace, name):
    """``namespace.name`` (e.g. F.conv2d), or _Missing naming it."""
    label = {F: "F", nn: "nn", md: "md"}[namespace]
    obj = getattr(namespace, name, None)
    if obj is None:
        raise _Missing(f"{label}.{name} is missing")
    return obj


@dataclass
class CheckRow:
    group: str                  # "eng" (the engine), "F1".."F11" or "op"
    name: str
    forward_error: float = float("nan")
    grad_error: float = float("nan")
    status: str = "ok"          # "ok", "FAIL", "missing", "error"
    note: str = ""

    @property
    def passed(self):
        return self.status == "ok"


# ---------------------------------------------------------------------------- the checker
def _as_tuple(out):
    return tuple(o for o in (out if isinstance(out, (tuple, list)) else (out,)) if o is not None)


def _leaf(a):
    return md.tensor(np.ascontiguousarray(a, dtype=np.float64), requires_grad=True)


def gradient_error(fn, inputs, seed=0, eps=EPS):
    """Worst ``max |analytic − numerical| / max |numerical|`` over the inputs of ``fn``.

    ``inputs`` are float64 Tensors (leaves that require grad, weights of a module
    included); ``fn(*inputs)`` returns a Tensor or a tuple of Tensors. Each input's data is
    perturbed in place, one element at a time, and restored.
    """
    rng = np.random.default_rng(seed)
    for t in inputs:
        t.grad = None
    with md.enable_grad():
        outs = _as_tuple(fn(*inputs))
        upstream = [rng.uniform(0.5, 1.5, o.shape) * rng.choice([-1.0, 1.0], o.shape)
                    for o in outs]
        L = None
        for u, o in zip(upstream, outs):
            if o.requires_grad:
                term = (o * md.tensor(u)).sum()
                L = term if L is None else L + term
        if L is None:
            raise RuntimeError("no output requires grad: the op records no graph")
        L.backward()
    analytic = [np.zeros(t.shape) if t.grad is None else np.array(t.grad) for t in inputs]

    def objective():
        with md.no_grad():
            return float(sum(np.sum(u * o._array) for u, o in zip(upstream, _as_tuple(fn(*inputs)))))

    worst = 0.0
    for t, a in zip(inputs, analytic):
        flat = t._array.reshape(-1)
        if not np.shares_memory(flat, t._array):
            raise RuntimeError("an input is not contiguous")
        numerical = np.empty(flat.size)
        for k in range(flat.size):
            original = flat[k]
            flat[k] = original + eps
            plus = objective()
            flat[k] = original - eps
            minus = objective()
            flat[k] = original
            numerical[k] = (plus - minus) / (2 * eps)
        a = a.reshape(-1)
        scale = max(np.max(np.abs(numerical), initial=0.0), np.max(np.abs(a), initial=0.0))
        if not np.all(np.isfinite(a)):
            return float("inf")
        if scale > 0:
            worst = max(worst, float(np.max(np.abs(a - numerical)) / scale))
    return worst


def forward_error(got, expected):
    """(max |got − expected|, tolerance) over the outputs, outputs matched in order."""
    got, expected = _as_tuple(got), expected if isinstance(expected, tuple) else (expected,)
    if len(got) != len(expected):
        raise RuntimeError(f"{len(got)} outputs, the reference has {len(expected)}")
    err, top = 0.0, 1.0
    for g, e in zip(got, expected):
        g = g._array if isinstance(g, md.Tensor) else np.asarray(g)
        e = np.asarray(e, dtype=np.float64)
        if g.shape != e.shape:
            raise RuntimeError(f"output shape {g.shape}, the reference's {e.shape}")
        err = max(err, float(np.max(np.abs(g - e), initial=0.0)))
        top = max(top, float(np.max(np.abs(e), initial=0.0)))
    return err, FORWARD_TOL * top


# ---------------------------------------------------------------------------- the cases
# Each case is ``case(rng) -> (fn, inputs, expected)``: ``fn`` of the float64 leaf Tensors
# ``inputs``, and the reference output(s) at those inputs.
def _spaced(rng, shape, low=-2.0, step=0.37):
    """Values with gaps of at least ``step`` between any two (no ties, no kinks at 0)."""
    n = int(np.prod(shape))
    values = low + step * (rng.permutation(n) + 0.5) + rng.uniform(-0.05, 0.05, n) * step
    return values.reshape(shape)


def _unary(np_fn, md_fn, make=None):
    def case(rng):
        x = make(rng) if make else rng.standard_normal((3, 4))
        return md_fn, [_leaf(x)], np_fn(x)
    return case


def _binary(np_fn, md_fn, make=None):
    def case(rng):
        x, y = make(rng) if make else (rng.standard_normal((3, 4)), rng.standard_normal((4,)))
        return md_fn, [_leaf(x), _leaf(y)], np_fn(x, y)
    return case


def _erf(x):
    return np.vectorize(math.erf)(x)


def _case_conv(stride, padding, groups, with_bias=True):
    def case(rng):
        conv2d = _need(F, "conv2d")
        x = rng.standard_normal((2, 2 * groups, 5, 6))
        w = rng.standard_normal((3 * groups, 2, 3, 3))
        b = rng.standard_normal(3 * groups)
        fn = lambda x, w, b: conv2d(x, w, b, stride=stride, padding=padding, groups=groups)
        return fn, [_leaf(x), _leaf(w), _leaf(b)], ref.conv2d(x, w, b, stride=stride,
                                                              padding=padding, groups=groups)
    return case


def _case_pool(kind, kernel_size, stride=None, padding=0, **kw):
    def case(rng):
        op = _need(F, kind)
        x = _spaced(rng, (2, 2, 5, 6), low=-4.0, step=0.07)
        fn = lambda x: op(x, kernel_size, stride, padding, **kw)
        return fn, [_leaf(x)], getattr(ref, kind)(x, kernel_size, stride, padding, **kw)
    return case


def case_linear(rng):
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    return F.linear, [_leaf(x), _leaf(W), _leaf(b)], ref.linear(x, W, b)


def _rnn_arrays(rng, N=2, D=3, H=4, O=2):
    return [rng.standard_normal(s) for s in ((N, D), (N, H), (H, D), (H, H), (H,), (O, H),
                                            (O, D), (O,))]


def _case_rnn(output):
    def case(rng):
        arrays = _rnn_arrays(rng)
        h_ref, o_ref = ref.rnn_step(*arrays)
        fn = lambda *ts: F.rnn_step(*ts)[output]
        return fn, [_leaf(a) for a in arrays], (h_ref, o_ref)[output]
    return case


def case_lstm_cell(rng, N=2, D=3, H=4):
    x, h, c = (rng.standard_normal(s) for s in ((N, D), (N, H), (N, H)))
    w_ih, w_hh = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
    b_ih, b_hh = rng.standard_normal(4 * H), rng.standard_normal(4 * H)
    fn = lambda x, h, c, *w: F.lstm_cell(x, (h, c), *w)
    return (fn, [_leaf(a) for a in (x, h, c, w_ih, w_hh, b_ih, b_hh)],
            tuple(ref.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)))


def _module_case(module, x, expected_fn):
    """A module's forward on ``x``: differentiable in ``x`` and every parameter."""
    module.double().eval()
    x = _leaf(x)
    params = list(module.parameters())
    sd = {k: np.array(v, dtype=np.float64) for k, v in module.state_dict().items()}
    fn = lambda x, *p: module(x)
    return fn, [x] + params, expected_fn(x._array.copy(), sd)


def case_lstm_module(rng, L=4, N=2, D=3, H=3, layers=2):
    lstm = _need(nn, "LSTM")(D, H, layers, batch_first=True)

    def expected(x, sd):
        seq = x.transpose(1, 0, 2)                                       # (L, N, D)
        for k in range(layers):
            h, c = np.zeros((N, H)), np.zeros((N, H))
            outs = []
            for t in range(L):
                h, c = ref.lstm_cell(seq[t], (h, c), sd[f"weight_ih_l{k}"],
                                     sd[f"weight_hh_l{k}"], sd[f"bias_ih_l{k}"],
                                     sd[f"bias_hh_l{k}"])
                outs.append(h)
            seq = np.stack(outs)
        return seq.transpose(1, 0, 2)                                    # (N, L, H)

    fn, inputs, want = _module_case(lstm, rng.standard_normal((N, L, D)), expected)
    return (lambda *ts: fn(*ts)[0]), inputs, want


def case_sdpa(rng):
    sdpa = _need(F, "scaled_dot_product_attention")
    q, k, v = (rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    mask = rng.random((3, 5)) > 0.3
    mask[:, 0] = True                                   # every query keeps one key
    return (lambda q, k, v: sdpa(q, k, v, attn_mask=md.tensor(mask)),
            [_leaf(q), _leaf(k), _leaf(v)],
            ref.scaled_dot_product_attention(q, k, v, attn_mask=mask))


def case_mha(rng, L=3, S=4, N=2, E=4, h=2):
    mha = _need(F, "multi_head_attention")
    arrays = [rng.standard_normal(s) for s in ((L, N, E), (S, N, E), (S, N, E), (3 * E, E),
                                              (3 * E,), (E, E), (E,))]
    out, weights = ref.multi_head_attention(arrays[0], arrays[1], arrays[2], h, *arrays[3:])
    fn = lambda q, k, v, *w: mha(q, k, v, h, *w)
    return fn, [_leaf(a) for a in arrays], (out, weights)


def case_positional(rng, L=5, N=2, E=6):
    pe = _need(nn, "PositionalEncoding")(E, max_len=16, dropout=0.0)
    return _module_case(pe, rng.standard_normal((L, N, E)),
                        lambda x, sd: x + ref.positional_encoding(L, E)[:, None, :])


def case_encoder_layer(rng, L=3, N=2, E=4, h=2, ff=6):
    layer = _need(nn, "TransformerEncoderLayer")(E, h, ff, dropout=0.0)
    return _module_case(layer, rng.standard_normal((L, N, E)),
                        lambda x, sd: ref.transformer_encoder_layer(x, sd, h))


def case_encoder(rng, L=3, N=2, E=4, h=2, ff=6, layers=2):
    layer = _need(nn, "TransformerEncoderLayer")(E, h, ff, dropout=0.0)
    encoder = _need(nn, "TransformerEncoder")(layer, layers)

    def expected(x, sd):
        for k in range(layers):
            prefix = f"layers.{k}."
            x = ref.transformer_encoder_layer(
                x, {n[len(prefix):]: v for n, v in sd.items() if n.startswith(prefix)}, h)
        return x

    return _module_case(encoder, rng.standard_normal((L, N, E)), expected)


def case_cross_entropy(rng):
    x, t = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    return (lambda x: F.cross_entropy(x, md.tensor(t))), [_leaf(x)], ref.cross_entropy(x, t)


def case_layer_norm(rng):
    layer_norm = _need(F, "layer_norm")
    x, g, b = rng.standard_normal((3, 5)), rng.standard_normal(5), rng.standard_normal(5)
    return (lambda x, g, b: layer_norm(x, (5,), g, b)), [_leaf(x), _leaf(g), _leaf(b)], \
        ref.layer_norm(x, g, b)


def case_embedding(rng):
    embedding = _need(F, "embedding")
    idx = np.array([[0, 2, 2], [4, 0, 1]])                 # repeated rows: gradients add up
    w = rng.standard_normal((5, 3))
    return (lambda w: embedding(md.tensor(idx), w)), [_leaf(w)], w[idx]


def case_where(rng):
    cond = rng.random((3, 4)) > 0.5
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    return (lambda x, y: md.where(md.tensor(cond), x, y)), [_leaf(x), _leaf(y)], \
        np.where(cond, x, y)


def case_getitem(rng):
    x = rng.standard_normal((4, 5))
    idx = (np.array([0, 2, 0, 3]), slice(1, 4))            # repeated index 0: accumulates
    return (lambda x: x[idx]), [_leaf(x)], x[idx]


def case_cat(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
    return (lambda a, b: md.cat([a, b], dim=1)), [_leaf(a), _leaf(b)], np.concatenate([a, b], 1)


def case_stack(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    return (lambda a, b: md.stack([a, b], dim=1)), [_leaf(a), _leaf(b)], np.stack([a, b], 1)


def case_matmul(rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))
    return (lambda a, b: a @ b), [_leaf(a), _leaf(b)], a @ b


def _softmax_np(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _pos(rng):
    return rng.uniform(0.3, 2.0, (3, 4))


def _apart(rng):                                         # two arrays, never within 0.1
    x = _spaced(rng, (2, 3, 4), step=0.2)
    return x[0], x[1]


def case_shared_node(rng):
    """y = c ⊙ Σ_j c_j with c = 2x: the node c feeds y directly and through the sum, so
    the backward walk must finish both consumers before it runs c's backward."""
    x = rng.standard_normal((3, 4))

    def fn(x):
        c = x * 2.0
        return c * c.sum(axis=1, keepdims=True)
    c = 2.0 * x
    return fn, [_leaf(x)], c * c.sum(axis=1, keepdims=True)


CASES = [
    ("eng", "backward through a shared node  c ⊙ Σc", case_shared_node),
    ("F1", "convolution (cross-correlation)  F.conv2d", _case_conv(1, 0, 1)),
    ("F2", "max pooling 2×2  F.max_pool2d", _case_pool("max_pool2d", 2)),
    ("F2", "average pooling 2×2  F.avg_pool2d", _case_pool("avg_pool2d", 2)),
    ("F3", "fully connected  F.linear", case_linear),
    ("F4", "recurrent update h_t  F.rnn_step", _case_rnn(0)),
    ("F5", "recurrent output o_t  F.rnn_step", _case_rnn(1)),
    ("F6", "LSTM cell (h, c)  F.lstm_cell", case_lstm_cell),
    ("F6", "LSTM, 2 layers  nn.LSTM", case_lstm_module),
    ("F7", "scaled dot-product attention", case_sdpa),
    ("F8", "multi-head attention  F.multi_head_attention", case_mha),
    ("F9", "positional encoding  nn.PositionalEncoding", case_positional),
    ("F10", "encoder layer  nn.TransformerEncoderLayer", case_encoder_layer),
    ("F10", "encoder, 2 layers  nn.TransformerEncoder", case_encoder),
    ("F11", "softmax  F.softmax",
     _unary(lambda x: ref.softmax(x), lambda x: F.softmax(x, dim=1))),
    ("F11", "log-softmax  F.log_softmax",
     _unary(lambda x: ref.log_softmax(x), lambda x: F.log_softmax(x, dim=1))),
    ("F11", "cross-entropy  F.cross_entropy", case_cross_entropy),
    # primitives: forward against NumPy, backward against central differences
    ("op", "add", _binary(np.add, lambda x, y: x + y)),
    ("op", "sub", _binary(np.subtract, lambda x, y: x - y)),
    ("op", "mul", _binary(np.multiply, lambda x, y: x * y)),
    ("op", "div", _binary(np.divide, lambda x, y: x / y,
                          lambda r: (r.standard_normal((3, 4)), r.uniform(0.5, 2.0, 4)))),
    ("op", "pow (tensor ** 2.5)", _unary(lambda x: x ** 2.5, lambda x: x ** 2.5, _pos)),
    ("op", "pow (tensor ** tensor)", _binary(np.power, lambda x, y: x ** y,
                                             lambda r: (_pos(r), r.standard_normal((3, 4))))),
    ("op", "neg", _unary(np.negative, lambda x: -x)),
    ("op", "exp", _unary(np.exp, lambda x: x.exp())),
    ("op", "log", _unary(np.log, lambda x: x.log(), _pos)),
    ("op", "sqrt", _unary(np.sqrt, lambda x: x.sqrt(), _pos)),
    ("op", "tanh", _unary(np.tanh, lambda x: x.tanh())),
    ("op", "sigmoid", _unary(lambda x: 1 / (1 + np.exp(-x)), lambda x: x.sigmoid())),
    ("op", "relu", _unary(lambda x: np.maximum(x, 0), lambda x: x.relu(),
                          lambda r: _spaced(r, (3, 4)))),
    ("op", "abs", _unary(np.abs, lambda x: x.abs(), lambda r: _spaced(r, (3, 4)))),
    ("op", "clip", _unary(lambda x: np.clip(x, -0.5, 0.6), lambda x: x.clip(-0.5, 0.6),
                          lambda r: _spaced(r, (3, 4), low=-1.95, step=0.33))),
    ("op", "maximum", _binary(np.maximum, lambda x, y: md.maximum(x, y), _apart)),
    ("op", "where", case_where),
    ("op", "sum (axis 1)", _unary(lambda x: x.sum(axis=1), lambda x: x.sum(axis=1))),
    ("op", "mean (axes 0, 2, keepdims)",
     _unary(lambda x: x.mean(axis=(0, 2), keepdims=True),
            lambda x: x.mean(axis=(0, 2), keepdims=True),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "max (dim 1: values)", _unary(lambda x: x.max(axis=1), lambda x: x.max(dim=1).values,
                                         lambda r: _spaced(r, (3, 4)))),
    ("op", "amin (dim 0)", _unary(lambda x: x.min(axis=0), lambda x: x.amin(dim=0),
                                  lambda r: _spaced(r, (3, 4)))),
    ("op", "matmul (batched, broadcast)", case_matmul),
    ("op", "reshape", _unary(lambda x: x.reshape(2, 6), lambda x: x.reshape(2, 6))),
    ("op", "transpose (2, 0, 1)",
     _unary(lambda x: x.transpose(2, 0, 1), lambda x: x.transpose(2, 0, 1),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "getitem (advanced, repeated)", case_getitem),
    ("op", "cat", case_cat),
    ("op", "stack", case_stack),
    ("op", "softmax (dim 1 of 3)",
     _unary(lambda x: _softmax_np(x, 1), lambda x: F.softmax(x, dim=1),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "log_softmax (dim 1 of 3)",
     _unary(lambda x: np.log(_softmax_np(x, 1)), lambda x: F.log_softmax(x, dim=1),
            lambda r: r.standard_normal((2, 3, 4)))),
    ("op", "gelu", _unary(lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
                          lambda x: F.gelu(x))),
    ("op", "layer_norm", case_layer_norm),
    ("op", "embedding", case_embedding),
    ("op", "conv2d (stride 2, padding 1, groups 2)", _case_conv(2, 1, 2)),
    ("op", "max_pool2d (3×3, stride 2, padding 1)", _case_pool("max_pool2d", 3, 2, 1)),
    ("op", "avg_pool2d (3×3, stride 2, padding 1, no pad count)",
     _case_pool("avg_pool2d", 3, 2, 1, count_include_pad=False)),
]


def check_rows(seed=0):
    """Run every case; yields a :class:`CheckRow` per case, in order."""
    previous = md.get_default_dtype()
    md.set_default_dtype(np.float64)
    try:
        from .training import one_blas_thread
        limit = one_blas_thread()
    except Exception:  # noqa: BLE001 - only a speed-up
        limit = None
    try:
        for i, (group, name, case) in enumerate(CASES):
            row = CheckRow(group, name)
            rng = np.random.default_rng((seed, i))
            md.manual_seed(seed + i)
            try:
                fn, inputs, expected = case(rng)
                with md.no_grad():
                    got = fn(*inputs)
                row.forward_error, tol = forward_error(got, expected)
                row.grad_error = gradient_error(fn, inputs, seed=seed + i)
                bad = []
                if not row.forward_error <= tol:
                    bad.append("forward")
                if not row.grad_error <= GRAD_TOL:
                    bad.append("gradient")
                if bad:
                    row.status, row.note = "FAIL", " and ".join(bad) + " out of tolerance"
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


def format_header():
    return (f"{'':4} {'formula / op':<52} {'fwd err':>9} {'grad err':>9}  result\n"
            + "-" * 84)


def format_row(row):
    mark = {"ok": "ok", "FAIL": "FAIL", "missing": "MISSING", "error": "ERROR"}[row.status]
    line = (f"{row.group:<4} {row.name:<52} {_fmt(row.forward_error)} "
            f"{_fmt(row.grad_error)}  {mark}")
    return line + (f"  ({row.note})" if row.note else "")


def run_check(stream=None, seed=0):
    """Print the report to ``stream``; returns 0 if every row passes, else 1."""
    stream = sys.stdout if stream is None else stream
    t0 = time.perf_counter()
    stream.write("Gradient-check report (float64): forward error = max |minidl − reference| "
                 "(minidl.reference loops,\nor NumPy for a primitive); gradient error = "
                 f"max |analytic − central difference| / max |numerical|, eps = {EPS:g}.\n"
                 f"Pass: forward <= {FORWARD_TOL:g}·max(1, |reference|), "
                 f"gradient <= {GRAD_TOL:g}.\n\n")
    stream.write(format_header() + "\n")
    rows = []
    for row in check_rows(seed):
        rows.append(row)
        stream.write(format_row(row) + "\n")
        stream.flush()
    failed = [r for r in rows if not r.passed]
    stream.write("-" * 84 + "\n")
    stream.write(f"{len(rows) - len(failed)}/{len(rows)} rows pass"
                 + (f", {len(failed)} fail" if failed else "")
                 + f" ({time.perf_counter() - t0:.1f} s)\n")
    return 1 if failed else 0
