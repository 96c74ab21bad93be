"""``Tensor``: a NumPy array that remembers how it was made, and the backward walk.

A Tensor is ``data`` (an ``np.ndarray``) plus, when it was computed by an op from
inputs that require grad, ``_ctx``: the node of that op (an instance of a
:class:`minidl.Function` subclass, holding its ``parents`` and whatever the op saved).
Those nodes form the computation graph. ``backward`` walks it from the output to the
leaves:

1. collect the nodes reachable from the output and order them so that every node
   comes after all the nodes that consume its result (a topological order, found with
   an explicit stack: no recursion, so a graph of a million nodes is fine);
2. visit them in that order, each once: call the op's ``backward`` with ∂L/∂output,
   get ∂L/∂input for every input, **sum each back over the axes broadcasting added**
   (the engine does this, not each op), cast it to the input's dtype, check its shape,
   and add it to what that input has received so far;
3. a leaf (a tensor nobody computed, e.g. a parameter) accumulates into ``.grad``;
4. once a node has been visited, its saved arrays and its links to its inputs are
   dropped (unless ``retain_graph=True``), so memory is released as the walk goes and
   a second backward through the same graph is a clear error.
"""
import numpy as np

from . import grad_mode
from .dtypes import as_array, get_default_dtype


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: an ``np.ndarray`` (its dtype is kept), a Python number or a nested list
            (floats get the default dtype, float32 unless changed; ints int64).
            The data are copied.
        requires_grad: record operations on this tensor so that ``backward`` can
            compute ``∂L/∂tensor`` into ``.grad``. Only floating tensors can.
        dtype: convert the data to this NumPy dtype.

    Attributes:
        data (np.ndarray): the values.
        grad (np.ndarray or None): ∂L/∂tensor, accumulated by ``backward``.
        requires_grad (bool), shape, ndim, dtype, is_leaf.

    >>> import minidl as md
    >>> x = md.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = as_array(data, dtype)
        self.grad = None
        self._ctx = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, ctx):
        """Wrap an op's result without copying (internal fast path)."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t._ctx = ctx
        t.requires_grad = ctx is not None
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    def size(self, dim=None):
        """The shape (as PyTorch's ``size()``), or its length along ``dim``."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return self.data.size

    def dim(self):
        return self.data.ndim

    @property
    def is_leaf(self):
        """True for a tensor not computed by a recorded op (e.g. a parameter)."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The node that computed this tensor, or None for a leaf."""
        return self._ctx

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad: only floating tensors can require gradients, "
                            f"got dtype {self.data.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off requires_grad of a non-leaf "
                               "tensor; use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    # ------------------------------------------------------------------ conversions
    def numpy(self):
        """The data as an ``np.ndarray`` (shared, not copied)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python "
                             f"number, got shape {self.data.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self):
        """A new leaf sharing this tensor's data, cut off from the graph."""
        return Tensor._make(self.data, None)

    def clone(self):
        from .ops.elementwise import Clone
        return Clone.apply(self)

    def to(self, dtype):
        """This tensor cast to ``dtype`` (differentiable); itself if already that dtype."""
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        from .ops.elementwise import Cast
        return Cast.apply(self, dtype)

    astype = to

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.data.shape} "
                             f"is ambiguous; use .any() or .all()")
        return bool(self.data.item())

    __hash__ = object.__hash__

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != get_default_dtype() and self.data.dtype.kind == "f":
            extra += f", dtype={self.data.dtype}"
        elif self.data.dtype.kind != "f":
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn=<{type(self._ctx).__name__}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"


    # ------------------------------------------------------------------ arithmetic
    # Each operator is one primitive op (minidl/ops/); a Python or NumPy scalar stays a
    # (weak) Python number, so it never changes a floating tensor's dtype (float32 * 2.0
    # is float32). Mixed kinds follow PyTorch, not NumPy: int tensor * 2.5 and int / int
    # give the default dtype, int tensor + float32 tensor gives float32 (see _promote).
    def __add__(self, other):
        return _binary(_ew.Add, self, other, "add")

    def __radd__(self, other):
        return _binary(_ew.Add, other, self, "add")

    def __sub__(self, other):
        return _binary(_ew.Sub, self, other, "sub")

    def __rsub__(self, other):
        return _binary(_ew.Sub, other, self, "sub")

    def __mul__(self, other):
        return _binary(_ew.Mul, self, other, "mul")

    def __rmul__(self, other):
        return _binary(_ew.Mul, other, self, "mul")

    def __truediv__(self, other):
        return _binary(_ew.Div, self, other, "div")

    def __rtruediv__(self, other):
        return _binary(_ew.Div, other, self, "div")

    def __pow__(self, other):
        return _binary(_ew.Pow, self, other, "pow")

    def __rpow__(self, other):
        return _binary(_ew.Pow, other, self, "pow")

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    def __neg__(self):
        return _ew.Neg.apply(self)

    def __pos__(self):
        return self

    # comparisons give boolean tensors that carry no gradient
    def __lt__(self, other):
        return _compare(np.less, self, other, "lt")

    def __le__(self, other):
        return _compare(np.less_equal, self, other, "le")

    def __gt__(self, other):
        return _compare(np.greater, self, other, "gt")

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other, "ge")

    def __eq__(self, other):
        if other is None:
            return False
        return _compare(np.equal, self, other, "eq")

    def __ne__(self, other):
        if other is None:
            return True
        return _compare(np.not_equal, self, other, "ne")

    def matmul(self, other):
        return _matmul(self, other)

    def pow(self, exponent):
        return self ** exponent

    def add(self, other):
        return self + other

    def sub(self, other):
        return self - other

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    # ------------------------------------------------------------------ elementwise
    def exp(self):
        return _ew.Exp.apply(_floating(self))

    def log(self):
        return _ew.Log.apply(_floating(self))

    def sqrt(self):
        return _ew.Sqrt.apply(_floating(self))

    def tanh(self):
        return _ew.Tanh.apply(_floating(self))

    def sigmoid(self):
        return _ew.Sigmoid.apply(_floating(self))

    def relu(self):
        return _ew.Relu.apply(self)

    def abs(self):
        return _ew.Abs.apply(self)

    def clip(self, min=None, max=None):
        """Limit values to ``[min, max]``; the gradient passes where ``min <= x <= max``."""
        if min is None and max is None:
            raise ValueError("clip: at least one of min and max must be given")
        return _ew.Clip.apply(self, min, max)

    clamp = clip

    def softmax(self, dim):
        return _sm.Softmax.apply(self, dim)

    def log_softmax(self, dim):
        return _sm.LogSoftmax.apply(self, dim)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Sum over ``axis`` (or ``dim``; all axes by default)."""
        axis, keepdims = _reduce_args(self, "sum", axis, keepdims, dim, keepdim)
        return _red.Sum.apply(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Mean over ``axis`` (or ``dim``; all axes by default)."""
        axis, keepdims = _reduce_args(self, "mean", axis, keepdims, dim, keepdim)
        return _red.Mean.apply(self, axis, keepdims)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Largest value over ``axis`` (values only, as NumPy); ties share the gradient."""
        axis, keepdims = _reduce_args(self, "max", axis, keepdims, dim, keepdim)
        try:
            return _red.Max.apply(self, axis, keepdims)
        except ValueError:
            raise ValueError(f"max: cannot reduce over an empty axis (axis={axis}) of a "
                             f"tensor of shape {self.data.shape}") from None

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Smallest value over ``axis`` (values only, as NumPy); ties share the gradient."""
        axis, keepdims = _reduce_args(self, "min", axis, keepdims, dim, keepdim)
        try:
            return _red.Min.apply(self, axis, keepdims)
        except ValueError:
            raise ValueError(f"min: cannot reduce over an empty axis (axis={axis}) of a "
                             f"tensor of shape {self.data.shape}") from None

    def var(self, axis=None, keepdims=False, *, dim=None, keepdim=None, unbiased=False):
        """Variance over ``axis``: mean((x - mean(x))²), divided by n - 1 if ``unbiased``."""
        axis, keepdims = _reduce_args(self, "var", axis, keepdims, dim, keepdim)
        centred = self - self.mean(axis, keepdims=True)
        sq = (centred * centred).sum(axis, keepdims=keepdims)
        n = self.data.size // max(sq.data.size, 1)
        return sq / (n - 1 if unbiased else n)

    def argmax(self, axis=None, dim=None):
        return Tensor._make(np.argmax(self.data, axis=dim if dim is not None else axis), None)

    def argmin(self, axis=None, dim=None):
        return Tensor._make(np.argmin(self.data, axis=dim if dim is not None else axis), None)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        """This tensor with a new shape: ``reshape(2, 3)`` or ``reshape((2, 3))``."""
        shape = _shape_arg(shape)
        return _reshape(self, shape, "reshape")

    def view(self, *shape):
        return _reshape(self, _shape_arg(shape), "view")

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge axes ``start_dim..end_dim`` into one (all of them by default)."""
        shape = self.data.shape
        if not shape:
            return self.reshape(1)
        start = _normalize_axis(start_dim, len(shape), "flatten")
        end = _normalize_axis(end_dim, len(shape), "flatten")
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for a tensor of shape {shape}")
        merged = int(np.prod(shape[start:end + 1]))
        return self.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def squeeze(self, dim=None):
        """Remove length-1 axes (only ``dim`` if given, and only if it has length 1)."""
        shape = self.data.shape
        if dim is None:
            new = tuple(n for n in shape if n != 1)
        else:
            dims = _normalize_axis(tuple(dim) if isinstance(dim, (tuple, list)) else (dim,),
                                   len(shape), "squeeze")
            new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
        return self if new == shape else self.reshape(new)

    def unsqueeze(self, dim):
        """Insert a length-1 axis at ``dim`` (``-1`` appends one at the end)."""
        shape = self.data.shape
        dim = _normalize_axis(dim, len(shape) + 1, "unsqueeze")
        return self.reshape(shape[:dim] + (1,) + shape[dim:])

    def transpose(self, *axes):
        """Permute axes with NumPy's meaning: no argument reverses them all.

        ``t.transpose(1, 0, 2)`` and ``t.transpose((1, 0, 2))`` give a full permutation.
        For PyTorch's two-axis swap use :meth:`swapaxes`.
        """
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(range(self.ndim - 1, -1, -1))
        return _permute(self, axes, "transpose")

    def permute(self, *dims):
        """Reorder the axes: output axis i is input axis ``dims[i]``."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return _permute(self, dims, "permute")

    def swapaxes(self, axis1, axis2):
        """Exchange two axes (PyTorch's ``transpose(dim0, dim1)``)."""
        axis1 = _normalize_axis(axis1, self.ndim, "swapaxes")
        axis2 = _normalize_axis(axis2, self.ndim, "swapaxes")
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return _permute(self, tuple(axes), "swapaxes")

    @property
    def T(self):
        return self.transpose()

    @property
    def mT(self):
        return self.swapaxes(-2, -1)

    def expand(self, *shape):
        """Broadcast to ``shape`` (a view; -1 keeps an axis)."""
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        shape = tuple(self.data.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return broadcast_to(self, shape)

    def __getitem__(self, index):
        index = _index_arg(index)
        try:
            return _shp.GetItem.apply(self, index)
        except IndexError as e:
            raise IndexError(f"getitem: {e} (tensor shape {self.data.shape})") from None

    # ------------------------------------------------------------------ backward
    def backward(self, gradient=None, retain_graph=False):
        """Compute ∂self/∂leaf for every leaf that requires grad, into ``leaf.grad``.

        Args:
            gradient: ∂L/∂self, of ``self``'s shape; may be omitted only when ``self``
                has a single element (then it is 1).
            retain_graph: keep the graph (and the arrays it saved) so that ``backward``
                can run through it again. By default it is freed as the walk goes.

        Gradients accumulate: call ``zero_grad`` (or set ``.grad = None``) between steps.
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no "
                               "grad_fn; nothing to differentiate")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: gradient can be implicitly created only for "
                                   f"a single-element output, got shape {self.data.shape}; "
                                   f"pass gradient=∂L/∂output")
            grad = np.ones_like(self.data)
        else:
            grad = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if grad.shape != self.data.shape:
                raise ValueError(f"backward: gradient has shape {grad.shape} but the tensor "
                                 f"has shape {self.data.shape}")
            grad = grad.astype(self.data.dtype, copy=False)
        if self._ctx is None:
            _accumulate_leaf(self, grad)
            return
        _run_backward(self._ctx, grad, retain_graph)

    def zero_grad_(self):
        self.grad = None
        return self


def _topological_order(root):
    """Nodes reachable from ``root``, each before every node that produces one of its inputs.

    Iterative depth-first search (no recursion, so any depth is fine): a node is expanded
    once, the first time it is popped, and appended after everything pushed above it, i.e.
    after all the nodes it depends on; reading that post-order backwards puts every node
    after all its consumers. (Marking a node as seen only when it is *expanded*, not when
    it is pushed, matters: in ``z * tanh(z)`` the node of ``z`` must come after ``tanh``.)
    """
    order = []
    expanded = set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in expanded:
            continue
        expanded.add(node)
        stack.append((node, True))
        parents = node.parents
        if parents is None:  # freed by an earlier backward; reported when visited
            continue
        for p in parents:
            if p is not None:
                ctx = p._ctx
                if ctx is not None and ctx not in expanded:
                    stack.append((ctx, False))
    order.reverse()
    return order


def _run_backward(root, grad, retain_graph):
    grads = {root: grad}  # node → ∂L/∂(node's output), summed over every consumer so far
    for node in _topological_order(root):
        dout = grads.pop(node, None)
        if dout is None:  # no gradient reached this node (an input's backward returned None)
            continue
        parents = node.parents
        if parents is None:
            raise RuntimeError(
                f"backward: trying to backward through the graph a second time (node "
                f"{type(node).__name__}); its saved values were freed by the first backward. "
                f"Pass retain_graph=True to the first backward if you need to do this")
        dinputs = node.backward(node, dout)
        if type(dinputs) is not tuple:
            dinputs = tuple(dinputs) if isinstance(dinputs, list) else (dinputs,)
        if len(dinputs) != len(parents):
            raise RuntimeError(f"{type(node).__name__}.backward returned {len(dinputs)} "
                               f"gradients but forward took {len(parents)} arguments")
        if not retain_graph:  # free as we go: the node's inputs and saved arrays
            node.parents = None
            node.saved_tensors = ()
        for i, (parent, dinput) in enumerate(zip(parents, dinputs)):
            if parent is None or dinput is None:
                continue
            dinput = _fit_gradient(dinput, parent, node, i)
            ctx = parent._ctx
            if ctx is None:
                _accumulate_leaf(parent, dinput)
            elif ctx in grads:
                grads[ctx] = grads[ctx] + dinput
            else:
                grads[ctx] = dinput


def _fit_gradient(g, parent, node, i=0):
    """Sum ``g`` over the axes broadcasting added, match dtype, check the shape."""
    if type(g) is not np.ndarray:
        g = g.data if isinstance(g, Tensor) else np.asarray(g)
    shape = parent.data.shape
    if g.shape != shape:
        extra = g.ndim - len(shape)
        if extra > 0:
            g = g.sum(axis=tuple(range(extra)))
        if extra >= 0:
            axes = tuple(k for k, (n, m) in enumerate(zip(shape, g.shape)) if n == 1 and m != 1)
            if axes:
                g = g.sum(axis=axes, keepdims=True)
        if g.shape != shape:
            raise RuntimeError(
                f"{type(node).__name__}.backward returned a gradient of shape "
                f"{np.shape(g) if extra < 0 else g.shape} for input {i}, of shape {shape}; "
                f"a gradient must have its input's shape (or one that broadcasts to it "
                f"only by adding or stretching axes)")
    if g.dtype != parent.data.dtype:
        g = g.astype(parent.data.dtype)
    return g


def _accumulate_leaf(leaf, g):
    if leaf.grad is None:
        leaf.grad = np.array(g, copy=True)  # own it: g may be shared with other nodes
    else:
        leaf.grad = leaf.grad + g


# ---------------------------------------------------------------------- helpers
def _raw(x):
    return x.data if isinstance(x, Tensor) else x


def _operand(x):
    """A Tensor stays; a NumPy scalar becomes a Python number (so it cannot up-cast);
    a list becomes an array."""
    t = type(x)
    if t is float or t is int or t is bool or isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (list, tuple)):
        return as_array(x)
    return x


def _kind(x):
    """'i' integer/bool array, 'f' floating array, 'pi'/'pf' Python int/float, '' else."""
    if isinstance(x, Tensor):
        x = x.data
    if isinstance(x, np.ndarray):
        k = x.dtype.kind
        return "i" if k in "biu" else "f" if k in "fc" else ""
    if isinstance(x, (int, bool)):
        return "pi"
    if isinstance(x, (float, complex)):
        return "pf"
    return ""


def _as_float(x, dtype):
    """An integer Tensor or array cast to ``dtype`` (it carries no gradient)."""
    if isinstance(x, Tensor):
        return Tensor._make(x.data.astype(dtype), None)
    return x.astype(dtype)


def _promote(a, b, true_division=False, name="op"):
    """Apply PyTorch's type promotion where NumPy's differs.

    An integer tensor meeting a floating tensor takes its dtype (NumPy would give
    int64 + float32 → float64), meeting a Python float takes the default dtype, and two
    integer operands of a true division give the default dtype. Python numbers never
    up-cast a floating tensor (NumPy's own rule for them).
    """
    a, b = _operand(a), _operand(b)
    ka, kb = _kind(a), _kind(b)
    if not ka or not kb:
        bad = b if ka else a
        raise TypeError(f"{name}: operands must be tensors, arrays or numbers, got "
                        f"{type(bad).__name__}"
                        + (f" of dtype {bad.dtype}" if isinstance(bad, np.ndarray) else ""))
    if ka == "i" and kb in ("f", "pf"):
        a = _as_float(a, _raw(b).dtype if kb == "f" else get_default_dtype())
    elif kb == "i" and ka in ("f", "pf"):
        b = _as_float(b, _raw(a).dtype if ka == "f" else get_default_dtype())
    elif true_division and ka in ("i", "pi") and kb in ("i", "pi"):
        if ka == "i":
            a = _as_float(a, get_default_dtype())
        if kb == "i":
            b = _as_float(b, get_default_dtype())
    return a, b


def _floating(t):
    """``t`` itself if floating, else cast to the default dtype (for exp, log, ...)."""
    if t.data.dtype.kind in "fc":
        return t
    return Tensor._make(t.data.astype(get_default_dtype()), None)


def _binary(op, a, b, name):
    # fast path: a floating tensor with a Python number or a tensor of its own dtype
    x, y = (a, b) if isinstance(a, Tensor) else (b, a)      # x is a Tensor
    dtype = x.data.dtype
    ty = type(y)
    if not (dtype.kind == "f" and (ty is float or ty is int
                                   or isinstance(y, Tensor) and y.data.dtype == dtype)):
        a, b = _promote(a, b, op is _ew.Div, name)
    try:
        return op.apply(a, b)
    except ValueError as e:
        sa, sb = np.shape(_raw(a)), np.shape(_raw(b))
        try:
            np.broadcast_shapes(sa, sb)
        except ValueError:
            raise ValueError(f"{name}: shapes {sa} and {sb} cannot be broadcast together "
                             f"(each axis, aligned from the right, must be equal or 1)") from None
        raise ValueError(f"{name}: {e} (shapes {sa} and {sb})") from None


def _compare(ufunc, a, b, name):
    b = _operand(b)
    try:
        return Tensor._make(ufunc(a.data, _raw(b)), None)
    except ValueError:
        sa, sb = a.data.shape, np.shape(_raw(b))
        raise ValueError(f"{name}: shapes {sa} and {sb} cannot be broadcast together "
                         f"(each axis, aligned from the right, must be equal or 1)") from None


def _matmul(a, b):
    if not (isinstance(a, Tensor) and isinstance(b, Tensor) and a.data.dtype == b.data.dtype):
        a, b = _promote(a, b, name="matmul")
    sa, sb = np.shape(_raw(a)), np.shape(_raw(b))
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: both operands must have at least 1 dimension, got shapes "
                         f"{sa} and {sb}")
    try:
        return _la.MatMul.apply(a, b)
    except ValueError:
        k1 = sa[-1]
        k2 = sb[-2] if len(sb) > 1 else sb[0]
        if k1 != k2:
            raise ValueError(f"matmul: shapes {sa} and {sb} do not match: the last axis of the "
                             f"first ({k1}) must equal the "
                             f"{'second-to-last' if len(sb) > 1 else 'only'} axis of the second "
                             f"({k2})") from None
        raise ValueError(f"matmul: the batch axes of shapes {sa} and {sb} cannot be broadcast "
                         f"together") from None


def _normalize_axis(axis, ndim, name):
    if axis is None:
        return None
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{name}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"{name}: axis {a} is out of range for a tensor with {ndim} "
                             f"dimensions")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: axis {axis!r} repeats an axis")
    return tuple(out) if isinstance(axis, (tuple, list)) else out[0]


def _reduce_args(t, name, axis, keepdims, dim, keepdim):
    if dim is not None:
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    axis = _normalize_axis(axis, t.data.ndim, name)
    if t.data.ndim == 0:
        axis = None  # a 0-d tensor: axis 0 / -1 means the whole (one-element) tensor
    return axis, bool(keepdims)


def _shape_arg(shape, name="reshape"):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{name}: sizes must be ints, got {tuple(shape)!r}")
    return tuple(int(n) for n in shape)


def _reshape(t, shape, name):
    size = t.data.size
    unknown = shape.count(-1)
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    fits = unknown <= 1 and all(n >= -1 for n in shape) and (
        known == size if unknown == 0 else known > 0 and size % known == 0)
    if not fits:
        raise ValueError(f"{name}: cannot reshape a tensor of shape {t.data.shape} "
                         f"({size} elements) into shape {shape}")
    return _shp.Reshape.apply(t, shape)


def _permute(t, axes, name):
    ndim = t.data.ndim
    try:
        axes = tuple(int(a) % ndim if -ndim <= a < ndim else None for a in axes)
    except TypeError:
        raise TypeError(f"{name}: axes must be ints, got {axes!r}") from None
    if len(axes) != ndim or None in axes or sorted(axes) != list(range(ndim)):
        raise ValueError(f"{name}: {axes} is not a permutation of the {ndim} axes of a tensor "
                         f"of shape {t.data.shape}")
    return _shp.Transpose.apply(t, axes)


def _index_arg(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


# ---------------------------------------------------------------------- functions
def tensor(data, requires_grad=False, dtype=None):
    """Make a Tensor (a copy of ``data``); same as ``Tensor(...)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _new(values, requires_grad):
    t = Tensor._make(values, None)
    return t.requires_grad_(True) if requires_grad else t


def _size_arg(size, name):
    shape = _shape_arg(size)
    if any(n < 0 for n in shape):
        raise ValueError(f"{name}: sizes must be non-negative, got {shape}")
    return shape


def zeros(*size, dtype=None, requires_grad=False):
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _new(np.zeros(_size_arg(size, "zeros"), dtype or get_default_dtype()), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _new(np.ones(_size_arg(size, "ones"), dtype or get_default_dtype()), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    return _new(np.full(_size_arg((size,), "full"), fill_value, dtype or get_default_dtype()),
                requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _new(np.zeros(t.shape, dtype or t.dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _new(np.ones(t.shape, dtype or t.dtype), requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Samples of the standard normal N(0, 1), from minidl's seeded generator."""
    shape = _size_arg(size, "randn")
    return _new(_random.generator().standard_normal(shape).astype(dtype or get_default_dtype()),
                requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Samples of the uniform U[0, 1), from minidl's seeded generator."""
    shape = _size_arg(size, "rand")
    return _new(_random.generator().random(shape).astype(dtype or get_default_dtype()),
                requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Values from ``start`` to ``end`` (excluded) by ``step``, as ``torch.arange``.

    Integers give int64 unless ``dtype`` is given; any float gives the default dtype.
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    values = np.arange(start, end, step)
    if dtype is not None:
        values = values.astype(dtype)
    elif values.dtype.kind == "f":
        values = values.astype(get_default_dtype())
    return _new(values, requires_grad)


def _as_tensor_list(tensors, name):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}: expected a list or tuple of tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}: expected a non-empty list of tensors")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def cat(tensors, dim=0, *, axis=None):
    """Join tensors along an existing axis ``dim``; all other axes must match."""
    ts = _as_tensor_list(tensors, "cat")
    axis = dim if axis is None else axis
    shapes = [t.shape for t in ts]
    ndim = ts[0].ndim
    if ndim == 0 or any(t.ndim != ndim for t in ts):
        raise ValueError(f"cat: all tensors must have the same number (>= 1) of dimensions, "
                         f"got shapes {shapes}")
    axis = _normalize_axis(axis, ndim, "cat")
    rest = {s[:axis] + s[axis + 1:] for s in shapes}
    if len(rest) > 1:
        raise ValueError(f"cat: shapes {shapes} differ outside axis {axis}")
    return _shp.Concatenate.apply(*ts, axis=axis)


def stack(tensors, dim=0, *, axis=None):
    """Join same-shaped tensors along a new axis ``dim``."""
    ts = _as_tensor_list(tensors, "stack")
    axis = dim if axis is None else axis
    shapes = [t.shape for t in ts]
    if len(set(shapes)) > 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {shapes}")
    axis = _normalize_axis(axis, ts[0].ndim + 1, "stack")
    return _shp.Stack.apply(*ts, axis=axis)


def where(condition, x, y):
    """``x`` where ``condition`` is true, else ``y`` (broadcasting all three)."""
    c = np.asarray(_raw(condition))
    if c.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {c.dtype}")
    x, y = _promote(x, y, name="where")
    try:
        np.broadcast_shapes(c.shape, np.shape(_raw(x)), np.shape(_raw(y)))
    except ValueError:
        raise ValueError(f"where: shapes {c.shape} (condition), {np.shape(_raw(x))} (x) and "
                         f"{np.shape(_raw(y))} (y) cannot be broadcast together") from None
    return _ew.Where.apply(c, x, y)


def maximum(x, y):
    """Elementwise maximum; where ``x == y`` each gets half of the gradient."""
    return _binary(_ew.Maximum, x, y, "maximum")


def broadcast_to(t, shape):
    """``t`` broadcast to ``shape`` (the gradient is summed back)."""
    shape = tuple(shape)
    try:
        np.broadcast_shapes(t.shape, shape)
        if np.broadcast_shapes(t.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {t.shape} to {shape}") from None
    return _shp.BroadcastTo.apply(t, shape)


from . import random as _random  # noqa: E402  (the ops import Tensor from this module)
from .ops import elementwise as _ew  # noqa: E402
from .ops import linalg as _la  # noqa: E402
from .ops import reduce as _red  # noqa: E402
from .ops import shape as _shp  # noqa: E402
from .ops import softmax as _sm  # noqa: E402
