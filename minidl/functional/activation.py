"""Activations and softmax: thin public wrappers over the primitives in ``minidl/ops``."""
from ..ops import elementwise as _ew
from ..ops import softmax as _sm
from ..ops.special import Gelu
from ..arguments import normalize_axis as _normalize_axis
from ..tensor import Tensor, _floating

__all__ = ["relu", "tanh", "sigmoid", "gelu", "softmax", "log_softmax"]


def _check(name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")


def relu(input):
    """relu(x) = max(x, 0); the gradient is 1 where x > 0 and 0 elsewhere (relu'(0) = 0)."""
    _check("relu", input)
    return _ew.Relu.apply(input)


def tanh(input):
    """tanh(x); tanh'(x) = 1 − tanh²(x)."""
    _check("tanh", input)
    return _ew.Tanh.apply(_floating(input))


def sigmoid(input):
    """σ(x) = 1 / (1 + e^−x), stable for any x; σ' = σ(1 − σ)."""
    _check("sigmoid", input)
    return _ew.Sigmoid.apply(_floating(input))


def gelu(input, approximate="none"):
    """GELU(x) = x Φ(x) (``approximate="tanh"``: PyTorch's tanh approximation).

    >>> import minidl as md, minidl.functional as F
    >>> F.gelu(md.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.15865526,  0.        ,  0.8413447 ])
    """
    _check("gelu", input)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(_floating(input), approximate)


def softmax(input, dim):
    """softmax(x)_i = exp(x_i) / Σ_j exp(x_j) along ``dim``, stable for logits of any size.

    The VJP is y ⊙ (dy − Σ_j dy_j y_j): it sums to zero along ``dim``.
    """
    _check("softmax", input)
    return _sm.Softmax.apply(_floating(input), _normalize_axis(dim, input.ndim, "softmax"))


def log_softmax(input, dim):
    """log_softmax(x)_i = x_i − log Σ_j exp(x_j) along ``dim``, stable for any logits."""
    _check("log_softmax", input)
    return _sm.LogSoftmax.apply(_floating(input),
                                _normalize_axis(dim, input.ndim, "log_softmax"))
