"""``Function``: how every differentiable op is made, and the node it leaves in the graph.

An op is a subclass with two static methods, called as ``MyOp.apply(*args)``::

    class Square(md.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x                  # y = x²

        @staticmethod
        def backward(ctx, dy):            # dy = ∂L/∂y
            (x,) = ctx.saved_tensors
            return 2 * x * dy             # ∂L/∂x = 2x · ∂L/∂y

``apply`` runs ``forward`` (recording nothing inside it) and, when an input requires
grad and grad mode is on, makes ``ctx`` — the instance of the subclass created for this
one call — the node of the graph that computed the outputs. ``backward`` gets one
gradient per output and returns one per argument of ``forward`` (``None`` for arguments
that are not Tensors or need none). The engine (``engine.py``), not the op, sums a
gradient back over broadcast axes, casts it to its input's dtype, checks its shape and
adds it up. ``forward`` may return a tuple: several outputs, and ``backward`` then gets
one gradient per output (zeros for an output that was not used).

Two kinds of ``Function``:

- as in PyTorch (``on_arrays = False``, the default, for users' own ops): ``forward``
  and ``backward`` receive Tensors;
- the library's primitives (``on_arrays = True``): ``forward`` receives NumPy arrays,
  and so does ``backward`` in an ordinary backward pass, which keeps the per-op cost
  low. With ``create_graph=True`` the same ``backward`` receives Tensors, and because it
  is written with operators and the library's own ops it is recorded like any other
  computation: that is how every gradient can be differentiated again, from one
  backward formula per op.

Saved values remember the *version* of their tensor (a counter that every in-place op
bumps); reading ``ctx.saved_tensors`` after the tensor was changed in place is a
``RuntimeError`` naming the op, never a silently wrong gradient.

The module does not import the Tensor class (the Tensor module imports this one):
``minidl/tensor.py`` registers it with :func:`register_tensor_type` when it loads.
"""
from __future__ import annotations

from itertools import count
from typing import TYPE_CHECKING, Any

import numpy as np

from . import grad_mode

if TYPE_CHECKING:
    from ..tensor import Tensor

_Tensor: Any = None   # the Tensor class, registered by minidl/tensor.py
_FREED = object()  # a node's saved values once the engine has used and dropped them
_creation = count()  # numbers the nodes in the order they are made (the engine's walk order)


def register_tensor_type(cls: type) -> None:
    """Tell the engine which class is the Tensor (called once, by ``minidl/tensor.py``)."""
    global _Tensor
    _Tensor = cls


def tensor_type() -> Any:
    return _Tensor


class Function:
    """Base class of differentiable ops, as ``torch.autograd.Function``.

    Subclass with ``@staticmethod forward(ctx, *args)`` and
    ``@staticmethod backward(ctx, *grad_outputs)``; call as ``MyOp.apply(*args)``.
    In ``forward``: ``ctx.save_for_backward(*tensors)``, ``ctx.mark_dirty(*tensors)``
    (inputs changed in place and returned), ``ctx.mark_non_differentiable(*outputs)``,
    and any attribute (``ctx.axis = axis``). In ``backward``: ``ctx.saved_tensors`` and
    ``ctx.needs_input_grad`` (one bool per argument of ``forward``).
    """

    on_arrays = False          # True for the library's primitives (see the module docstring)
    materialize_grads = True   # unused outputs get zero gradients (set_materialize_grads)

    # Set by apply on the node (and cleared by the engine once backward has used them):
    #   next_edges        a list, per forward argument: None, a leaf Tensor, or
    #                     (node, output index)
    #   needs_input_grad  tuple of bools, one per forward argument
    #   out_meta          ((shape, dtype), ...) of the outputs
    #   _seq              its creation number: every node is made after its inputs' nodes
    next_edges: Any = None
    needs_input_grad: tuple[bool, ...]
    out_meta: tuple[tuple[tuple[int, ...], np.dtype], ...]
    _seq: int
    _saved: Any = None      # (values, version checks) from save_for_backward, or _FREED
    _hooks: Any = None      # {output index: [hook, ...]}, from Tensor.register_hook
    _to_save: tuple[Any, ...] = ()

    # ------------------------------------------------------------------ inside forward
    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` (inputs, outputs, or other arrays/Tensors) for ``backward``."""
        self._to_save = values

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Declare inputs that ``forward`` changed in place (and returns)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Declare outputs that carry no gradient (e.g. indices)."""
        self._non_differentiable = outputs

    def set_materialize_grads(self, value: bool) -> None:
        """``False``: ``backward`` gets ``None`` (not zeros) for outputs that were not used."""
        self.materialize_grads = bool(value)

    # ------------------------------------------------------------------ inside backward
    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What ``forward`` saved: arrays for a primitive in an ordinary backward pass,
        Tensors otherwise (so a recorded backward differentiates through them)."""
        saved = self._saved
        if saved is None:
            return ()
        if saved is _FREED:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or "
                f"to read saved tensors after they were freed); pass retain_graph=True "
                f"to the first backward if you need to do this")
        values, checks = saved
        for vc, version, j, _ in checks:
            if vc[0] != version:
                raise RuntimeError(
                    f"{self.name()}: one of the variables needed for gradient computation "
                    f"has been modified by an inplace operation: saved value {j} is at "
                    f"version {vc[0]}; expected version {version} instead")
        if self.on_arrays and not self._graph:
            return values
        T = _Tensor
        # Tensors, for a recorded backward: a primitive's constants (arrays that are
        # neither inputs nor outputs) become constant Tensors, the inputs are themselves,
        # and an output is rebuilt as output k of this very node
        out = [T._make(v, None) if type(v) is np.ndarray else v for v in values] \
            if self.on_arrays else list(values)
        for _, _, j, source in checks:
            if type(source) is int:
                out[j] = T._make(values[j], self, source)
            elif source is not None:
                out[j] = source
        return tuple(out)

    _graph = False  # set by the engine: True while a create_graph backward runs

    # ------------------------------------------------------------------ the two methods
    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs)")

    # ------------------------------------------------------------------ calling
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on ``args`` and record the node when a gradient is wanted."""
        T = _Tensor
        ctx = cls.__new__(cls)
        # one pass over the arguments (a plain loop: cheaper than comprehensions here)
        inputs: list[Any] = []
        needs: list[bool] = []
        edges: list[Any] = []
        for a in args:
            if isinstance(a, T):
                inputs.append(a._array)
                if a.requires_grad:
                    needs.append(True)
                    edges.append(a if a._ctx is None else (a._ctx, a._nr))
                    continue
            else:
                inputs.append(a)
            needs.append(False)
            edges.append(None)
        ctx.needs_input_grad = tuple(needs)
        record = grad_mode._enabled and True in needs
        if cls.on_arrays:
            out = cls.forward(ctx, *inputs, **kwargs) if kwargs else cls.forward(ctx, *inputs)
            if type(out) is not tuple:                   # the common case, made fast
                raw = out                                # (a NumPy scalar, for 0-d results)
                if type(out) is not np.ndarray:
                    out = out._array if isinstance(out, T) else np.asarray(out)
                if not record:
                    return T._make(out, None)
                ctx._seq = next(_creation)
                ctx.next_edges = edges
                dtype = out.dtype
                ctx.out_meta = ((out.shape, dtype),)
                result = T._make(out, ctx if dtype.kind in "fc" else None)
                saved = ctx._to_save
                if saved:
                    ctx._to_save = ()
                    ctx._saved = _pack_primitive(saved, args, inputs, raw, out, result)
                return result
        else:
            inputs = list(args)        # a user's Function works on the Tensors themselves
            prev = grad_mode._enabled
            grad_mode._enabled = False
            try:
                out = cls.forward(ctx, *args, **kwargs)
            finally:
                grad_mode._enabled = prev
        several = type(out) is tuple
        outs = out if several else (out,)
        arrays = [o._array if isinstance(o, T) else
                  (o if type(o) is np.ndarray else np.asarray(o)) for o in outs]
        if not record:
            ctx._to_save = ()
            results = tuple(_dirty_or_new(ctx, o, a, None, k) for k, (o, a)
                            in enumerate(zip(outs, arrays)))
            return results if several else results[0]

        ctx._seq = next(_creation)
        ctx.next_edges = edges
        ctx.out_meta = tuple((a.shape, a.dtype) for a in arrays)
        non_diff = getattr(ctx, "_non_differentiable", ())
        results = tuple(_dirty_or_new(ctx, o, a,
                                      None if _contains(non_diff, o) or a.dtype.kind not in "fc"
                                      else ctx, k)
                        for k, (o, a) in enumerate(zip(outs, arrays)))
        if ctx._to_save:
            _pack_saved(ctx, args, inputs, outs, arrays, results)
        return results if several else results[0]

    @classmethod
    def call(cls, *args: Any, **kwargs: Any) -> Any:
        """Run the op on whatever it is given: on arrays it returns arrays (no node, as
        in an ordinary backward pass); with a Tensor among ``args`` it is ``apply``.
        Backward formulas use it so that one formula serves both cases."""
        T = _Tensor
        for a in args:
            if isinstance(a, T):
                return cls.apply(*args, **kwargs)
        ctx = cls()
        ctx.needs_input_grad = (False,) * len(args)
        return cls.forward(ctx, *args, **kwargs)

    @classmethod
    def name(cls) -> str:
        return cls.__name__

    def __repr__(self) -> str:
        return f"<{self.name()} node>"


def _contains(seq, obj):
    return any(s is obj for s in seq)


def _dirty_or_new(ctx, out, array, node, k):
    """The Tensor for output ``k``: a dirty input is the same Tensor, rebased onto the node."""
    dirty = getattr(ctx, "_dirty", ())
    if dirty and _contains(dirty, out):
        if node is not None:
            if out._ctx is None and out.requires_grad and grad_mode._enabled:
                raise RuntimeError(f"{ctx.name()}: a leaf Tensor that requires grad is being "
                                   f"used in an in-place operation")
            out._ctx, out._nr, out.requires_grad = node, k, True
        return out
    t = _Tensor._make(array, node, k)
    return t


def _pack_primitive(saved, args, inputs, raw, out, result):
    """:func:`_pack_saved` for a primitive with one output (the common case, made fast).

    An input is recognised by its array (``x is v``; for a Tensor argument ``a`` the
    array ``x`` is not ``a`` itself), the output by its array or by the NumPy scalar
    ``forward`` returned for a 0-d result.
    """
    checks = []
    j = 0
    for v in saved:
        if v is out or v is raw:
            checks.append((result._vc, 0, j, 0))
        elif v is not None:
            k = 0
            for x in inputs:
                if x is v:
                    a = args[k]
                    if a is not x:
                        checks.append((a._vc, a._vc[0], j, a))
                        break
                k += 1
        j += 1
    if raw is not out:
        saved = tuple(out if v is raw else v for v in saved)
    return saved, checks


def _pack_saved(ctx, args, inputs, outs, arrays, results):
    """Remember what ``forward`` saved, and the version of every tensor in it.

    ``ctx._saved = (values, checks)``. A check ``(version counter, version at saving,
    j, source)`` is kept for each saved value j that is a tensor: its source is the
    input Tensor it is (a primitive's backward gets its array, or the Tensor itself when
    the graph is recorded), an int k (output k of this node, kept as its array and
    rebuilt as a Tensor of this node when unpacked: no reference cycle), or ``None`` (a
    user's Tensor, used as it is). Any other value (None, a number, a constant array) is
    used as it is.
    """
    T = _Tensor
    values, checks = [], []
    for j, v in enumerate(ctx._to_save):
        if v is not None:
            for a, x in zip(args, inputs):
                if x is v and isinstance(a, T):
                    checks.append((a._vc, a._vc[0], j, a))
                    break
            else:
                for k, (o, a) in enumerate(zip(outs, arrays)):
                    if o is v or a is v:
                        checks.append((results[k]._vc, results[k]._vc[0], j, k))
                        v = a
                        break
                else:
                    if isinstance(v, T):
                        checks.append((v._vc, v._vc[0], j, None))
        values.append(v)
    ctx._saved = (tuple(values), checks)
    ctx._to_save = ()


def array_of(x: Any) -> Any:
    """The NumPy array behind ``x`` (a Tensor or already an array): for the parts of a
    backward formula that are constants, such as masks and indices."""
    return x._array if isinstance(x, _Tensor) else x
