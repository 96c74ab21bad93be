"""Layer normalisation, written as its formula from primitives (used by F10)."""
import numpy as np

from ..tensor import Tensor

__all__ = ["layer_norm"]


def _shape_tuple(op, normalized_shape):
    """``normalized_shape`` as a tuple of positive ints (an int means ``(int,)``)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
        else normalized_shape
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{op}: normalized_shape must be an int or a tuple of ints, got "
                        f"{normalized_shape!r}") from None
    if not shape or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                            and n > 0 for n in shape):
        raise ValueError(f"{op}: normalized_shape must be a non-empty tuple of positive ints, "
                         f"got {normalized_shape!r}")
    return tuple(int(n) for n in shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    r"""Layer normalisation over the trailing ``normalized_shape`` axes, as PyTorch.

    For every leading index n (one "row" of D = prod(normalized_shape) elements e):

    .. math::

        \mu_n = \frac{1}{D}\sum_e x_{n,e}, \qquad
        \sigma^2_n = \frac{1}{D}\sum_e (x_{n,e} - \mu_n)^2 \quad\text{(biased)},

        y_{n,e} = \frac{x_{n,e} - \mu_n}{\sqrt{\sigma^2_n + \varepsilon}}\,\gamma_e + \beta_e

    Gradient (the engine derives it from the formula): with
    x̂ = (x − μ)/√(σ² + ε) and g = ȳ ⊙ γ, per row
    ``x̄ = (g − mean(g) − x̂ · mean(g ⊙ x̂)) / √(σ² + ε)`` (orthogonal to a shift and to
    x̂: the directions the normalisation removes), ``γ̄ = Σ_n ȳ ⊙ x̂``, ``β̄ = Σ_n ȳ``.
    A constant row (σ² = 0) is fine while ε > 0 keeps the division finite.

    Args:
        input: (*, *normalized_shape), e.g. (L, N, E) with normalized_shape (E,).
        normalized_shape: an int or a tuple: the trailing shape to normalise over.
        weight: γ of shape ``normalized_shape``, or None (γ = 1).
        bias: β of shape ``normalized_shape``, or None (β = 0).
        eps: ε >= 0, added to the variance (default 1e-5, as PyTorch).

    Returns:
        a Tensor of the input's shape.

    Raises:
        TypeError: ``input`` is not a Tensor.
        ValueError: the input's trailing shape is not ``normalized_shape``, or
            ``weight``/``bias`` do not have that shape, or ``eps < 0``.

    >>> import numpy as np, minidl as md, minidl.functional as F
    >>> F.layer_norm(md.tensor(np.array([[1.0, 3.0], [2.0, 6.0]])), 2, eps=0.0)
    tensor([[-1.,  1.],
            [-1.,  1.]], dtype=float64)
    >>> x = md.tensor(np.array([[1.0, 2.0, 6.0]]))
    >>> F.layer_norm(x, (3,), weight=md.tensor(np.array([1.0, 2.0, 0.5])), bias=md.ones(3))
    tensor([[0.0741..., 0.0741..., 1.6943...]], dtype=float64)
    """
    op = "layer_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    shape = _shape_tuple(op, normalized_shape)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"{op}: input's trailing shape must be normalized_shape {shape}, got "
                         f"input shape {input.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (not isinstance(t, Tensor) or t.shape != shape):
            got = t.shape if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"{op}: {name} must be a Tensor of normalized_shape {shape}, "
                             f"got {got}")
    if not eps >= 0:
        raise ValueError(f"{op}: eps must be >= 0, got {eps}")

    axes = tuple(range(input.ndim - k, input.ndim))           # the normalised axes
    mu = input.mean(axis=axes, keepdims=True)                 # (*, 1, ..., 1)
    centred = input - mu                                      # x − μ
    var = (centred * centred).mean(axis=axes, keepdims=True)  # σ², biased
    x_hat = centred / (var + eps).sqrt()                      # (*, *normalized_shape)
    y = x_hat if weight is None else x_hat * weight
    return y if bias is None else y + bias
