"""Losses (F11 and PyTorch's other common ones), written as their formulas from primitives.

Shape legend: N batch, C classes, d1 … dK extra axes of a K-dimensional input (one
class distribution per position, e.g. per pixel or per token). Every loss has
PyTorch's arguments, including the deprecated ``size_average``/``reduce`` pair, which
picks ``reduction`` as in PyTorch when either is given.

    reduction   'none': the per-element losses   'sum': their sum
                'mean': their mean — for class-index targets with ``weight``, the sum
                divided by the total weight of the counted targets, as PyTorch
"""
from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor, minimum, where
from .activation import _softplus, log_softmax
from .distance import pairwise_distance

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "kl_div",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "smooth_l1_loss",
           "huber_loss", "margin_ranking_loss", "cosine_embedding_loss", "triplet_margin_loss",
           "soft_margin_loss", "hinge_embedding_loss", "multilabel_soft_margin_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(op, size_average, reduce, reduction, allowed=_REDUCTIONS):
    """The reduction to use; the legacy pair wins when given (PyTorch's rule)."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        return "none" if not reduce else "mean" if size_average else "sum"
    if reduction not in allowed:
        raise ValueError(f"{op}: reduction must be {', '.join(map(repr, allowed[:-1]))} or "
                         f"{allowed[-1]!r}, got {reduction!r}")
    return reduction


def _check_input(op, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating, got dtype {input.dtype}")


def _as_tensor(op, name, value, like):
    """A Tensor as given (its gradient flows), else a constant of ``like``'s dtype."""
    if isinstance(value, Tensor):
        return value
    try:
        return Tensor(np.asarray(value, dtype=like.dtype))
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {name} must be a Tensor or an array, got "
                        f"{type(value).__name__}") from None


def _constant(values, like):
    return Tensor(np.asarray(values, dtype=like.dtype))


def _reduce(loss, reduction, divisor=None):
    """'none' → loss; 'sum' → Σ loss; 'mean' → Σ loss / divisor (default: the count)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if divisor is None:
        return loss.mean()
    total = loss.sum()
    if divisor == 0:       # every target ignored: NaN (0/0) with a zero gradient, as PyTorch
        return total * 0.0 + np.nan
    return total / divisor


def _class_weight(op, weight, C, like):
    """``weight`` as an array (C,) of ``like``'s dtype, or None. Not differentiated."""
    if weight is None:
        return None
    w = np.asarray(weight, dtype=like.dtype)
    if w.shape != (C,):
        raise ValueError(f"{op}: weight must be ({C},) for {C} classes (C,), got shape "
                         f"{w.shape}")
    return w


def _class_view(w, ndim):
    """A (C,) array shaped to broadcast along axis 1 of an (N, C, d1, …) input."""
    return w if ndim == 1 else w.reshape((1, -1) + (1,) * (ndim - 2))


def _index_targets(op, input, target, ignore_index):
    """Check integer class targets; return (t, counted) arrays of the target shape."""
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {t.dtype}")
    C = input.shape[1] if input.ndim > 1 else input.shape[0]
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if t.shape != expected:
        layout = "(C,) with target ()" if input.ndim == 1 else \
            "(N, C) with target (N,)" if input.ndim == 2 else "(N, C, d1, ...) with target (N, d1, ...)"
        raise ValueError(f"{op}: target shape {t.shape} does not fit input shape {input.shape}; "
                         f"expected target shape {expected} (input {layout})")
    counted = t != ignore_index
    bad = counted & ((t < 0) | (t >= C))
    if np.any(bad):
        raise ValueError(f"{op}: target values must be in [0, {C}) for {C} classes (or "
                         f"ignore_index={ignore_index}), got {t[bad].ravel()[:5].tolist()}")
    return np.where(counted, t, 0), counted


def _pick(logp, t):
    """logp[n, t[n, d…], d…] for every n, d…: the log-probability of each target class."""
    if logp.ndim == 1:
        return logp[int(t)]
    N = logp.shape[0]
    rest = logp.shape[2:]
    grids = np.ogrid[tuple(slice(0, n) for n in (N,) + rest)]   # broadcasting index arrays
    return logp[(grids[0], t) + tuple(grids[1:])]             # (N, d1, …)


def _nll(op, logp, target, weight, ignore_index):
    """Per-element −w_t · logp_t (zero where ignored) and the total weight Σ w_t."""
    t, counted = _index_targets(op, logp, target, ignore_index)
    C = logp.shape[1] if logp.ndim > 1 else logp.shape[0]
    w = _class_weight(op, weight, C, logp)
    w_t = counted.astype(logp.dtype) if w is None else np.where(counted, w[t], 0).astype(logp.dtype)
    loss = -_pick(logp, t) * _constant(w_t, logp)             # (N, d1, …)
    if not counted.all():       # an ignored row is 0 even where its logit is ±inf (0 · ∞)
        loss = where(Tensor._make(np.asarray(counted), None), loss, 0.0)
    return loss, w_t, counted, w


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""Negative log-likelihood of log-probabilities: loss_n = −w_{t_n} · input[n, t_n].

    .. math::

        \ell_n = -w_{t_n}\, x_{n, t_n}, \qquad
        \text{mean} = \frac{\sum_n \ell_n}{\sum_n w_{t_n}}

    with w_c = 1 without ``weight``; a target equal to ``ignore_index`` gives ℓ_n = 0
    and counts nothing in the denominator (all ignored: NaN, as PyTorch). For a
    K-dimensional input the index n runs over (N, d1, …, dK).

    Gradient: −w_{t_n} (divided by Σ w for 'mean') at input[n, t_n], zero elsewhere.

    Args:
        input: log-probabilities (N, C), (C,) or (N, C, d1, …).
        target: integer classes (N,), () or (N, d1, …), each in [0, C) or ``ignore_index``.
        weight: (C,) class weights, or None.
        ignore_index: a target value that is skipped (default −100).
        reduction: 'mean' (default), 'sum' or 'none' (shape of ``target``).

    Raises:
        TypeError: input not a floating Tensor, or targets not integers.
        ValueError: shapes that do not fit, a class out of range, a bad weight or
            reduction.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> logp = md.tensor(np.log(np.array([[0.5, 0.5], [0.9, 0.1]])))
    >>> F.nll_loss(logp, md.tensor([1, 0]), reduction="none")
    tensor([0.69314718, 0.10536052], dtype=float64)
    """
    op = "nll_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    _check_input(op, input)
    if input.ndim == 0:
        raise ValueError(f"{op}: input must be (N, C), (C,) or (N, C, d1, ...), got a scalar")
    loss, w_t, _, _ = _nll(op, input, target, weight, ignore_index)
    return _reduce(loss, reduction, float(w_t.sum()))


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    r"""Cross-entropy of logits against class indices or class probabilities (F11).

    With p = log_softmax(x) over the class axis (axis 1, or 0 for a (C,) input):

    .. math::

        \text{class indices:}\quad \ell_n = -w_{t_n} \log p_{n, t_n}
        = w_{t_n}\Big(-x_{n,t_n} + \log \sum_c e^{x_{n,c}}\Big)

        \text{probabilities } y:\quad \ell_n = -\sum_c w_c\, y_{n,c} \log p_{n,c}

    With label smoothing ε, as PyTorch: class indices give
    ℓ_n = (1 − ε)·(−w_{t_n} log p_{n,t_n}) + (ε/C)·(−Σ_c w_c log p_{n,c}) (zero for an
    ignored target); probabilities are replaced by (1 − ε)·y + ε/C. 'mean' divides
    the class-index loss by Σ_n w_{t_n} over counted targets (both terms), and the
    probability loss by the number of positions N·d1⋯dK (not by the weights).

    Gradient: for class indices, w_{t_n}(softmax(x_n) − onehot(t_n)) per row (scaled
    by the reduction); the engine derives it through ``log_softmax``. Probability
    targets that are Tensors requiring grad get −w_c log p_{n,c} too.

    Args:
        input: logits (N, C), (C,) or (N, C, d1, …).
        target: integer classes (N,), () or (N, d1, …) in [0, C) (or ``ignore_index``);
            or floating probabilities of the input's shape.
        weight: (C,) class weights, or None.
        ignore_index: a class-index target that is skipped (default −100).
        reduction: 'mean' (default), 'sum' or 'none' (per position: (N, d1, …)).
        label_smoothing: ε in [0, 1] (default 0).

    Raises:
        TypeError: input not a floating Tensor, or targets neither integers nor floats.
        ValueError: shapes that do not fit, a class out of range, a bad weight,
            reduction or label_smoothing.

    >>> import minidl as md, minidl.functional as F
    >>> F.cross_entropy(md.tensor([[0.0, 0.0]]), md.tensor([1])).item()  # log 2
    0.6931471...
    >>> F.cross_entropy(md.tensor([[0.0, 0.0]]), md.tensor([[0.25, 0.75]])).item()
    0.6931471...
    """
    op = "cross_entropy"
    reduction = _reduction(op, size_average, reduce, reduction)
    _check_input(op, input)
    if input.ndim == 0:
        raise ValueError(f"{op}: input must be (N, C), (C,) or (N, C, d1, ...) logits, got a "
                         f"scalar")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_axis = 1 if input.ndim > 1 else 0
    C = input.shape[class_axis]
    logp = log_softmax(input, dim=class_axis)                 # log p, the input's shape
    eps = label_smoothing

    if np.asarray(target).dtype.kind == "f":                  # class probabilities
        y = _as_tensor(op, "target", target, input)
        if y.shape != input.shape:
            raise ValueError(f"{op}: probability targets must have the input's shape "
                             f"{input.shape}, got {y.shape}")
        if ignore_index != -100:
            raise ValueError(f"{op}: ignore_index is not supported for probability targets "
                             f"(as PyTorch), got ignore_index={ignore_index}")
        if eps:
            y = y * (1 - eps) + eps / C
        w = _class_weight(op, weight, C, input)
        terms = logp * y if w is None else logp * y * _constant(_class_view(w, input.ndim), input)
        loss = -terms.sum(dim=class_axis)                     # (N, d1, …)
        return _reduce(loss, reduction)                       # mean over N·d1⋯dK

    loss, w_t, counted, w = _nll(op, logp, target, weight, ignore_index)
    if eps:
        # −Σ_c w_c log p_{n,c}, zero at ignored targets
        w_c = np.ones(C, input.dtype) if w is None else w
        smooth = -(logp * _constant(_class_view(w_c, input.ndim), input)).sum(dim=class_axis)
        smooth = where(Tensor._make(np.asarray(counted), None), smooth, 0.0)
        loss = loss * (1 - eps) + smooth * (eps / C)
    return _reduce(loss, reduction, float(w_t.sum()))


def _pointwise_target(op, input, target, broadcast):
    """The target as a Tensor; PyTorch warns and broadcasts (mse, l1) or refuses (bce)."""
    _check_input(op, input)
    target = _as_tensor(op, "target", target, input)
    if target.shape != input.shape:
        if not broadcast:
            raise ValueError(f"{op}: target shape {target.shape} must be the input shape "
                             f"{input.shape}")
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ValueError(f"{op}: input shape {input.shape} and target shape "
                             f"{target.shape} cannot be broadcast together") from None
        warnings.warn(f"{op}: target shape {target.shape} differs from input shape "
                      f"{input.shape}; they are broadcast together (as PyTorch), which is "
                      f"likely not what you meant", UserWarning, stacklevel=3)
    return target


def _elementwise_weighted(op, loss, input, weight, reduction):
    """PyTorch's weighted mse/l1: w ⊙ loss, and 'mean' divides by Σ w."""
    if weight is None:
        return _reduce(loss, reduction)
    w = _as_tensor(op, "weight", weight, input)
    if w.shape != input.shape:
        raise ValueError(f"{op}: weight shape {w.shape} must be the input shape {input.shape}")
    loss = loss * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    r"""Mean squared error: ℓ = (x − y)², then the reduction.

    Gradient: 2(x − y) (divided by the number of elements for 'mean'); ``target``
    gets the negative if it requires grad. With ``weight`` (the input's shape) each
    term is w ⊙ (x − y)² and 'mean' divides by Σ w, as PyTorch. A target of another
    shape is broadcast with a warning, as PyTorch.

    >>> import minidl as md, minidl.functional as F
    >>> F.mse_loss(md.tensor([1.0, 2.0]), md.tensor([0.0, 0.0])).item()
    2.5
    """
    op = "mse_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    target = _pointwise_target(op, input, target, broadcast=True)
    diff = input - target
    return _elementwise_weighted(op, diff * diff, input, weight, reduction)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    r"""Mean absolute error: ℓ = |x − y|, then the reduction.

    Gradient: sign(x − y), 0 where x = y (as PyTorch); ``weight`` and broadcasting as
    :func:`mse_loss`.

    >>> import minidl as md, minidl.functional as F
    >>> F.l1_loss(md.tensor([1.0, -3.0]), md.tensor([0.0, 0.0])).item()
    2.0
    """
    op = "l1_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    target = _pointwise_target(op, input, target, broadcast=True)
    return _elementwise_weighted(op, (input - target).abs(), input, weight, reduction)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    r"""Kullback–Leibler divergence with ``input`` given as log-probabilities, as PyTorch.

    .. math::

        \ell = y\,(\log y - x) \quad(\text{0 where } y = 0), \qquad
        \ell = e^{y}\,(y - x) \quad\text{with log\_target}

    'mean' averages over **every element** (PyTorch warns that this is not the KL
    divergence); 'batchmean' divides the sum by the batch size N = input.shape[0],
    which is the mathematical KL(y ‖ eˣ) per sample.

    Gradient: −y (or −e^y) with respect to the input; a target requiring grad gets
    log y − x + 1 (or e^y (y − x + 1)).

    Args:
        input: log-probabilities, any shape.
        target: probabilities (or log-probabilities with ``log_target``), same shape.
        reduction: 'mean' (default), 'batchmean', 'sum' or 'none'.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> x = md.tensor(np.log(np.array([[0.5, 0.5]])))
    >>> F.kl_div(x, md.tensor(np.array([[1.0, 0.0]])), reduction="batchmean").item()  # log 2
    0.6931471...
    """
    op = "kl_div"
    if size_average is None and reduce is None and reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total by the number of elements, "
                      "not by the batch size; 'batchmean' gives the KL divergence (as PyTorch "
                      "warns)", UserWarning, stacklevel=2)
    reduction = _reduction(op, size_average, reduce, reduction,
                           ("mean", "batchmean", "sum", "none"))
    target = _pointwise_target(op, input, target, broadcast=True)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # PyTorch's xlogy(y, y) − y x: 0 · log 0 = 0; a negative or NaN y gives NaN
        zero = target == 0
        safe = where(zero, 1.0, target)                       # log 0 is never taken
        loss = where(zero, 0.0 * target, target * safe.log()) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


def _check_weight_broadcasts(op, name, weight, shape):
    try:
        np.broadcast_shapes(np.shape(weight), shape)
    except ValueError:
        raise ValueError(f"{op}: {name} of shape {np.shape(weight)} does not broadcast with "
                         f"the input shape {shape}") from None


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""Binary cross-entropy of probabilities x ∈ [0, 1] against targets y ∈ [0, 1].

    .. math::

        \ell = -w\,\big(y \log x + (1 - y)\log(1 - x)\big)

    with each log clamped to >= −100, as PyTorch, so x = 0 or 1 gives a finite loss.

    Gradient: w (x − y) / (x (1 − x)) in the interior. Where a log is clamped (x = 0 or
    1 exactly, or within e⁻¹⁰⁰) that term passes no gradient; PyTorch there divides by
    max(x (1 − x), 1e-12) instead — prefer :func:`binary_cross_entropy_with_logits`.

    Args:
        input: probabilities, any shape (*).
        target: the same shape.
        weight: broadcastable to (*), or None.

    Raises:
        ValueError: shapes differ, or an input value is outside [0, 1].

    >>> import minidl as md, minidl.functional as F
    >>> F.binary_cross_entropy(md.tensor([0.5, 0.0]), md.tensor([1.0, 1.0]),
    ...                        reduction="none")                 # log clamped at −100
    tensor([  0.6931472, 100.       ])
    """
    op = "binary_cross_entropy"
    reduction = _reduction(op, size_average, reduce, reduction)
    target = _pointwise_target(op, input, target, broadcast=False)
    x = input.numpy()
    if np.any((x < 0) | (x > 1)):
        raise ValueError(f"{op}: every input value must be in [0, 1] (probabilities), got "
                         f"values from {np.nanmin(x)} to {np.nanmax(x)}")

    def clamped_log(p):                                       # max(log p, −100), no inf/NaN
        safe = where(p > 0, p, 1.0)
        return where(p > 0, safe.log(), -100.0).clip(min=-100.0)

    loss = -(target * clamped_log(input) + (1 - target) * clamped_log(1 - input))
    if weight is not None:
        _check_weight_broadcasts(op, "weight", weight, input.shape)
        loss = loss * _as_tensor(op, "weight", weight, input)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    r"""Binary cross-entropy of logits x (σ(x) the probability), in the stable form.

    .. math::

        \ell = -w\,\big(p\, y \log\sigma(x) + (1 - y)\log(1 - \sigma(x))\big)
             = w\,\big((1 - y)\,x + (1 + (p - 1)\,y)\,\mathrm{softplus}(-x)\big)

    with p = ``pos_weight`` (broadcast along the last, class axis; 1 if None) and
    softplus(z) = log(1 + eᶻ) computed without overflow for any x.

    Gradient: w ((1 − y) − (1 + (p − 1) y) σ(−x)), i.e. w (σ(x) − y) when p = 1.

    Args:
        input: logits, any shape (*, C).
        target: the same shape, values in [0, 1].
        weight: broadcastable to (*, C), or None.
        pos_weight: (C,) (or broadcastable) weight of the positive term, or None.

    Raises:
        ValueError: shapes differ, or a weight does not broadcast.

    >>> import minidl as md, minidl.functional as F
    >>> F.binary_cross_entropy_with_logits(md.tensor([0.0, 100.0]), md.tensor([1.0, 0.0]),
    ...                                    reduction="none")
    tensor([  0.6931472, 100.       ])
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(op, size_average, reduce, reduction)
    target = _pointwise_target(op, input, target, broadcast=False)
    softplus_neg = _softplus(-input)                          # −log σ(x)
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        _check_weight_broadcasts(op, "pos_weight", pos_weight, input.shape)
        p = _as_tensor(op, "pos_weight", pos_weight, input)
        loss = (1 - target) * input + (1 + (p - 1) * target) * softplus_neg
    if weight is not None:
        _check_weight_broadcasts(op, "weight", weight, input.shape)
        loss = loss * _as_tensor(op, "weight", weight, input)
    return _reduce(loss, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    r"""Smooth L1: ℓ = ½ d²/β where |d| < β, else |d| − ½β, with d = x − y (β = 0: L1).

    Gradient: d/β inside, sign(d) outside (the two agree at |d| = β; 0 at d = 0).

    Raises:
        ValueError: beta < 0, a bad reduction, shapes that do not broadcast.

    >>> import minidl as md, minidl.functional as F
    >>> F.smooth_l1_loss(md.tensor([0.5, 3.0]), md.tensor([0.0, 0.0]), reduction="none")
    tensor([0.125, 2.5  ])
    """
    op = "smooth_l1_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    if not isinstance(beta, (int, float)) or isinstance(beta, bool) or beta < 0:
        raise ValueError(f"{op}: beta must be a number >= 0, got {beta!r}")
    target = _pointwise_target(op, input, target, broadcast=True)
    d = input - target
    if beta == 0:
        return _reduce(d.abs(), reduction)
    a = d.abs()
    return _reduce(where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    r"""Huber loss: ℓ = ½ d² where |d| < δ, else δ(|d| − ½δ), with d = x − y
    (= δ · smooth_l1 with β = δ).

    Gradient: d inside, δ·sign(d) outside (equal at |d| = δ). ``weight`` (the input's
    shape) weighs each term, and 'mean' then divides by Σ w, as :func:`mse_loss`.

    Raises:
        ValueError: delta <= 0, a bad reduction, shapes that do not broadcast.

    >>> import minidl as md, minidl.functional as F
    >>> F.huber_loss(md.tensor([0.5, 3.0]), md.tensor([0.0, 0.0]), reduction="none", delta=2.0)
    tensor([0.125, 4.   ])
    """
    op = "huber_loss"
    reduction = _reduction(op, None, None, reduction)
    if not isinstance(delta, (int, float)) or isinstance(delta, bool) or delta <= 0:
        raise ValueError(f"{op}: delta must be a number > 0, got {delta!r}")
    target = _pointwise_target(op, input, target, broadcast=True)
    d = input - target
    a = d.abs()
    loss = where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return _elementwise_weighted(op, loss, input, weight, reduction)


def _same_shapes(op, named):
    shapes = [t.shape for _, t in named]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listing = ", ".join(f"{n} {t.shape}" for n, t in named)
        raise ValueError(f"{op}: the shapes do not broadcast together: {listing}") from None


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""ℓ = max(0, −y·(x₁ − x₂) + margin), y ∈ {1, −1} saying which input should rank higher.

    Gradient: −y (for x₁) and y (for x₂) where the hinge is active, including the kink
    where it is exactly 0 (PyTorch's clamp convention); 0 elsewhere.

    >>> import minidl as md, minidl.functional as F
    >>> F.margin_ranking_loss(md.tensor([1.0, 1.0]), md.tensor([2.0, 0.0]), md.tensor([1.0, 1.0]))
    tensor(0.5)
    """
    op = "margin_ranking_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    _check_input(op, input1)
    x2 = _as_tensor(op, "input2", input2, input1)
    y = _as_tensor(op, "target", target, input1)
    if not (input1.ndim == x2.ndim == y.ndim):
        raise ValueError(f"{op}: input1, input2 and target must have the same number of "
                         f"dimensions, got shapes {input1.shape}, {x2.shape}, {y.shape}")
    _same_shapes(op, (("input1", input1), ("input2", x2), ("target", y)))
    return _reduce((-y * (input1 - x2) + margin).clamp(min=0.0), reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""ℓ = 1 − cos(x₁, x₂) where y = 1, max(0, cos(x₁, x₂) − margin) where y = −1, and 0
    for any other y, with PyTorch's ``cos = x₁·x₂ / √((‖x₁‖² + 10⁻¹²)(‖x₂‖² + 10⁻¹²))``
    along the last axis.

    Gradient: that of the formula (the hinge passes its gradient at the kink, PyTorch's
    clamp convention).

    Args:
        input1, input2: (N, D) or (D,).
        target: (N,) or () of 1 and −1.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> a, b = md.tensor(np.array([[1.0, 0.0], [1.0, 0.0]])), md.tensor(np.array([[0.0, 1.0], [1.0, 1.0]]))
    >>> F.cosine_embedding_loss(a, b, md.tensor([1.0, -1.0]), reduction="none")
    tensor([1.        , 0.70710678], dtype=float64)
    """
    op = "cosine_embedding_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    _check_input(op, input1)
    x2 = _as_tensor(op, "input2", input2, input1)
    y = _as_tensor(op, "target", target, input1)
    if y.ndim not in (0, 1) or input1.ndim != y.ndim + 1 or x2.ndim != y.ndim + 1:
        raise ValueError(f"{op}: expected input1, input2 (N, D) or (D,) and target (N,) or (), "
                         f"got shapes {input1.shape}, {x2.shape}, {y.shape}")
    _same_shapes(op, (("input1", input1), ("input2", x2)))
    dim = y.ndim
    tiny = 1e-12
    dot = (input1 * x2).sum(dim=dim)
    sq1 = (input1 * input1).sum(dim=dim) + tiny
    sq2 = (x2 * x2).sum(dim=dim) + tiny
    cos = dot / (sq1 * sq2).sqrt()
    zero = cos * 0.0
    positive = where(y == 1, 1.0 - cos, zero)
    negative = where(y == -1, (cos - margin).clamp(min=0.0), zero)
    return _reduce(positive + negative, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""ℓ = max(d(a, p) − d(a, n) + margin, 0), with d the pairwise distance
    ‖x₁ − x₂ + ε‖_p (:func:`pairwise_distance`); ``swap`` uses min(d(a, n), d(p, n)) as the
    negative distance (the distance swap of Balntas et al.).

    Gradient: through the distances where the hinge is active (including its kink).

    Args:
        anchor, positive, negative: (N, D) or (D,).

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> a = md.tensor(np.array([[0.0, 0.0]]))
    >>> F.triplet_margin_loss(a, a + 1.0, a + 2.0, eps=0.0).item()
    0.0
    """
    op = "triplet_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if not (anchor.ndim == positive.ndim == negative.ndim) or anchor.ndim not in (1, 2):
        raise ValueError(f"{op}: anchor, positive and negative must all be (N, D) or (D,), got "
                         f"shapes {anchor.shape}, {positive.shape}, {negative.shape}")
    if margin <= 0:
        raise ValueError(f"{op}: margin must be > 0, got {margin!r}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0.0), reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""Two-class logistic loss: ℓ = log(1 + exp(−y·x)), y ∈ {1, −1}, stable for any y·x.

    Gradient: −y·σ(−y·x).

    >>> import minidl as md, minidl.functional as F
    >>> round(F.soft_margin_loss(md.tensor([0.0]), md.tensor([1.0])).item(), 6)     # log 2
    0.693147
    """
    op = "soft_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    target = _pointwise_target(op, input, target, broadcast=True)
    return _reduce(_softplus(-target * input), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""ℓ = x where y = 1, max(0, margin − x) where y = −1 (x is usually a distance), as
    PyTorch (an element with another y value contributes both terms).

    Gradient: 1 where y = 1; −1 where y = −1 and x <= margin (the hinge passes its gradient at
    the kink); 0 elsewhere.

    >>> import minidl as md, minidl.functional as F
    >>> F.hinge_embedding_loss(md.tensor([0.3, 0.3]), md.tensor([1.0, -1.0]), reduction="none")
    tensor([0.3, 0.7])
    """
    op = "hinge_embedding_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    target = _pointwise_target(op, input, target, broadcast=True)
    zero = input * 0.0
    margin_part = where(target != 1, (margin - input).clamp(min=0.0), zero)
    self_part = where(target != -1, input, zero)
    return _reduce(margin_part + self_part, reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""Multi-label one-versus-all logistic loss, averaged over the C classes of each sample:

    ℓ_n = −(1/C) Σ_c w_c [y_nc log σ(x_nc) + (1 − y_nc) log σ(−x_nc)]

    Gradient: w_c (σ(x_nc) − y_nc)/C (then the reduction over n).

    Args:
        input: (N, C) or (C,) logits.
        target: the input's shape, labels in {0, 1}.
        weight: (C,) class weights or None.

    Returns:
        (N,) with 'none', else a scalar.

    >>> import minidl as md, minidl.functional as F
    >>> round(F.multilabel_soft_margin_loss(md.zeros(1, 3), md.ones(1, 3)).item(), 6)   # log 2
    0.693147
    """
    op = "multilabel_soft_margin_loss"
    reduction = _reduction(op, size_average, reduce, reduction)
    target = _pointwise_target(op, input, target, broadcast=False)
    log_p = -_softplus(-input)                                 # log σ(x)
    log_not_p = -_softplus(input)                              # log σ(−x)
    loss = -(target * log_p + (1.0 - target) * log_not_p)
    if weight is not None:
        loss = loss * _as_tensor(op, "weight", weight, input)
    C = input.shape[-1]
    return _reduce(loss.sum(dim=input.ndim - 1) / C, reduction)
