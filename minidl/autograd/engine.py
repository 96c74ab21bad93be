"""The backward pass: walk the graph from the outputs to the leaves, applying the chain rule.

The graph is made of nodes (``Function`` instances, one per op call). A node knows, per
input, where that input's gradient must go (``node.next_edges``): to another node's
output k, written ``(node, k)``, or to a leaf Tensor (one nobody computed, e.g. a
parameter), which accumulates it into ``.grad``. The walk:

1. visit the nodes from the last created to the first. A node is always created after
   the nodes that computed its inputs, so in this order every node comes after all the
   nodes that consume one of its outputs (a topological order for free: a heap keyed by
   the creation number, no recursion, so a graph of a million nodes is fine);
2. hand each node's ``backward`` ∂L/∂(each output) — summed over every consumer, zeros
   for an output nobody used — and get ∂L/∂input for every input; **sum it back over the
   axes broadcasting added**, cast it to the input's dtype, check its shape (here, not in
   every op), and add it to what that input has received so far;
3. a leaf sums what it receives during the walk and, at the end, adds the total to
   ``.grad`` once, running its hooks once (``autograd.grad`` returns it instead);
4. once a node has been visited, its saved values and its edges are dropped (unless
   ``retain_graph``), so memory is released as the walk goes, and a second backward
   through the same graph is a clear error.

With ``create_graph=True`` step 2 runs with recording on and on Tensors, so the
gradients are themselves results of recorded ops and can be differentiated again.
"""
from __future__ import annotations

from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any, Sequence, Union

import numpy as np

from . import grad_mode
from ..errors import ArgumentError
from .function import _FREED, tensor_type

if TYPE_CHECKING:
    from ..tensor import Tensor

    Tensors = Union[Tensor, Sequence[Tensor]]


def backward(tensors: Tensors, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Tensors | None = None) -> None:
    """``torch.autograd.backward``: accumulate ∂(Σ ⟨grad_k, tensors_k⟩)/∂leaf into ``.grad``.

    Args:
        tensors: a Tensor or a sequence of them.
        grad_tensors: ∂L/∂tensors_k for each (``None`` allowed for a one-element tensor:
            then 1).
        retain_graph: keep the graph for another backward (default: ``create_graph``).
        create_graph: record the backward pass, so the gradients can be differentiated.
        inputs: accumulate only into these tensors (leaves or not).
    """
    tensors, grads = _roots("backward", tensors, grad_tensors)
    targets = None
    if inputs is not None:
        targets = _as_tuple(inputs)
        if not targets:
            raise RuntimeError("backward: inputs must not be empty")
    _run(tensors, grads, create_graph if retain_graph is None else retain_graph,
         create_graph, targets, accumulate=True)


def grad(outputs: Tensors, inputs: Tensors, grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """``torch.autograd.grad``: the gradients of ``outputs`` with respect to ``inputs``,
    returned as a tuple (``.grad`` is not touched).

    Args:
        outputs: a Tensor or a sequence of them.
        inputs: a Tensor or a sequence of them (leaves or computed tensors).
        grad_outputs: ∂L/∂outputs_k (``None`` for a one-element output: then 1).
        retain_graph: keep the graph (default: ``create_graph``).
        create_graph: record the backward pass (for higher-order gradients).
        allow_unused: return ``None`` for an input the outputs do not depend on, instead
            of raising.
        materialize_grads: return zeros instead of ``None`` for such inputs.

    >>> import minidl as md
    >>> x = md.tensor(3.0, requires_grad=True)
    >>> (dx,) = md.autograd.grad(x ** 3, x, create_graph=True)    # 3x² = 27
    >>> (ddx,) = md.autograd.grad(dx, x)                          # 6x = 18
    >>> float(dx), float(ddx)
    (27.0, 18.0)
    """
    tensors, grads = _roots("grad", outputs, grad_outputs)
    targets = _as_tuple(inputs)
    T = tensor_type()
    for t in targets:
        if not isinstance(t, T):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("grad: one of the inputs does not require grad")
    if allow_unused is None:
        allow_unused = materialize_grads
    found = _run(tensors, grads, create_graph if retain_graph is None else retain_graph,
                 create_graph, targets, accumulate=False)
    result = []
    for k, t in enumerate(targets):
        g = found[k]
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: input {k} (shape {t.shape}) was not used in the "
                                   f"graph of the outputs; pass allow_unused=True if this is "
                                   f"what you want")
            if materialize_grads:
                g = T._make(np.zeros(t.shape, t.dtype), None)
        elif not isinstance(g, T):
            g = T._make(g if g.flags.writeable and g.base is None else np.array(g), None)
        result.append(g)
    return tuple(result)


# ---------------------------------------------------------------------- the walk
@np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore")
def _run(tensors, grads, retain_graph, create_graph, targets, accumulate):
    """Backpropagate ``grads`` from ``tensors``; see the module docstring.

    The arithmetic is IEEE's without NumPy's warnings, as in PyTorch: a gradient
    ``∞ · 0`` is NaN, silently.

    ``targets``: None (every leaf accumulates), or the tensors whose gradient is wanted:
    with ``accumulate`` they (only) accumulate into ``.grad``, else their gradients are
    returned, one per target.
    """
    found = [None] * (len(targets) if targets is not None else 0)
    # where each target's gradient arrives: a leaf Tensor, or (node, output index)
    wanted: dict[Any, list[int]] = {}
    if targets is not None:
        for k, t in enumerate(targets):
            key = t if t._ctx is None else (t._ctx, t._nr)
            wanted.setdefault(_key(key), []).append(k)

    def deliver(key, g):
        """A gradient reached a target: return it or accumulate it."""
        for k in wanted.get(_key(key), ()):
            if accumulate:
                _accumulate(targets[k], g, create_graph)
            else:
                found[k] = g if found[k] is None else found[k] + g

    prev = grad_mode._enabled
    grad_mode._enabled = bool(create_graph)
    try:
        # node → [∂L/∂output_k, ...], summed over every consumer so far
        buffers: dict[Any, list[Any]] = {}
        # (−creation number, node): the newest node is visited first
        heap: list[tuple[int, Any]] = []
        # id(leaf) → [leaf, ∂L/∂leaf summed so far, whether the engine owns that array]
        leaves: dict[int, list[Any]] = {}
        for t, g in zip(tensors, grads):
            g = _as_grad(g, create_graph)
            if t._ctx is None:
                _add_to_leaf(leaves, t, g)
                continue
            node = t._ctx
            buf = buffers.get(node)
            if buf is None:
                buf = buffers[node] = [None] * len(node.out_meta)
                heappush(heap, (-node._seq, node))
            buf[t._nr] = g if buf[t._nr] is None else buf[t._nr] + g

        fast = not create_graph
        # with targets, only the nodes on a path to one of them run
        run = None if targets is None else _must_run([n for _, n in heap], wanted)
        while heap:
            node = heappop(heap)[1]
            buf = buffers.pop(node)
            if run is not None:
                for k in range(len(buf)):
                    if buf[k] is not None and _key((node, k)) in wanted:
                        deliver((node, k), buf[k])
                if node not in run:
                    continue
            edges = node.next_edges
            if edges is None:
                raise RuntimeError(
                    f"backward: trying to backward through the graph a second time (node "
                    f"{node.name()}); its saved values were freed by the first backward. "
                    f"Pass retain_graph=True to the first backward if you need to do this")
            if node._hooks:
                _run_hooks(node, buf, node._hooks)
            if fast and node.on_arrays and len(buf) == 1:
                dinputs = node.backward(node, buf[0])   # the common case, made fast
                if type(dinputs) is np.ndarray:
                    dinputs = (dinputs,)
                if type(dinputs) is not tuple or len(dinputs) != len(edges):
                    dinputs = _as_input_grads(node, dinputs)
            else:
                dinputs = _call_backward(node, buf, create_graph)
            if not retain_graph:          # free as we go: the edges and the saved values
                node.next_edges = None
                node._saved = _FREED
            for i, e in enumerate(edges):
                g = dinputs[i]
                if e is None or g is None:
                    continue
                if type(e) is tuple:
                    parent, k = e
                    meta = parent.out_meta
                    shape, dtype = meta[k]
                    if type(g) is not np.ndarray or g.shape != shape or g.dtype != dtype:
                        g = _fit(g, shape, dtype, node, i)
                    pbuf = buffers.get(parent)
                    if pbuf is None:              # the first gradient to reach parent
                        heappush(heap, (-parent._seq, parent))
                        if len(meta) == 1:
                            buffers[parent] = [g]
                        else:
                            pbuf = buffers[parent] = [None] * len(meta)
                            pbuf[k] = g
                    else:
                        pbuf[k] = g if pbuf[k] is None else pbuf[k] + g
                else:                     # a leaf
                    a = e._array
                    if type(g) is not np.ndarray or g.shape != a.shape or g.dtype != a.dtype:
                        g = _fit(g, a.shape, a.dtype, node, i)
                    entry = leaves.get(id(e))
                    if entry is None:
                        leaves[id(e)] = [e, g, False]
                    elif entry[2] and fast:
                        entry[1] += g     # our own sum: add in place
                    else:
                        entry[1], entry[2] = entry[1] + g, True
        # each leaf receives the sum of its gradients once, as PyTorch's AccumulateGrad
        # (its hooks see the total)
        for leaf, g, owned in leaves.values():
            if targets is None:
                _accumulate(leaf, g, create_graph, owned)
            else:
                deliver(leaf, g)
    finally:
        grad_mode._enabled = prev
    return found


def _key(key):
    """A hashable identity for a leaf Tensor or a (node, k) pair."""
    return (id(key[0]), key[1]) if type(key) is tuple else id(key)


def _call_backward(node, buf, create_graph):
    """Call ``node.backward`` with one gradient per output; return one per input."""
    T = tensor_type()
    for k, g in enumerate(buf):
        if g is None and node.materialize_grads:
            shape, dtype = node.out_meta[k]
            buf[k] = np.zeros(shape, dtype)
    if create_graph:
        grads_out = [g if g is None or isinstance(g, T) else T._make(g, None) for g in buf]
    elif node.on_arrays:
        grads_out = buf
    else:                                 # a user's Function gets Tensors
        grads_out = [g if g is None else T._make(g, None) for g in buf]
    node._graph = bool(create_graph)
    try:
        dinputs = _as_input_grads(node, node.backward(node, *grads_out))
    finally:
        node._graph = False
    if not create_graph:
        dinputs = tuple(d._array if isinstance(d, T) else d for d in dinputs)
    return dinputs


def _as_input_grads(node, dinputs):
    """What ``backward`` returned as a tuple of one gradient per forward argument."""
    if type(dinputs) is not tuple:
        dinputs = tuple(dinputs) if isinstance(dinputs, list) else (dinputs,)
    n = len(node.next_edges)
    if len(dinputs) != n:
        if len(dinputs) > n and all(d is None for d in dinputs[n:]):
            dinputs = dinputs[:n]
        else:
            raise RuntimeError(f"{node.name()}.backward returned {len(dinputs)} gradients "
                               f"but forward took {n} arguments")
    return dinputs


def _fit(g, shape, dtype, node, i):
    """Sum ``g`` over the axes broadcasting added, match dtype, check the shape."""
    if type(g) is np.ndarray and g.shape == shape and g.dtype == dtype:
        return g                                        # the common case, made fast
    T = tensor_type()
    if isinstance(g, T):
        gshape, gdtype = g._array.shape, g._array.dtype
    else:
        if type(g) is not np.ndarray:
            g = np.asarray(g)
        gshape, gdtype = g.shape, g.dtype
    if gshape != shape:
        extra = len(gshape) - len(shape)
        if extra > 0:
            g = g.sum(axis=tuple(range(extra)))
        if extra >= 0:
            gshape = g.shape
            axes = tuple(k for k, (n, m) in enumerate(zip(shape, gshape)) if n == 1 and m != 1)
            if axes:
                g = g.sum(axis=axes, keepdims=True)
        if tuple(g.shape) != tuple(shape):
            raise RuntimeError(
                f"{node.name()}.backward returned a gradient of shape {tuple(gshape)} for "
                f"input {i}, of shape {tuple(shape)}; a gradient must have its input's shape "
                f"(or one that broadcasts to it only by adding or stretching axes)")
    if gdtype != dtype:
        g = g.astype(dtype)
    return g


def _add_to_leaf(leaves, leaf, g):
    """Add ``g`` to what ``leaf`` has received in this walk."""
    entry = leaves.get(id(leaf))
    if entry is None:
        leaves[id(leaf)] = [leaf, g, False]
    else:
        entry[1], entry[2] = entry[1] + g, True


def _accumulate(leaf, g, create_graph, owned=False):
    """``leaf.grad += g`` (``leaf.grad = g`` the first time), running the leaf's hooks.
    ``owned``: ``g`` is an array nobody else holds, which ``.grad`` may keep as it is."""
    T = tensor_type()
    meta = leaf._meta
    for hook in meta.get("hooks", ()) if meta else ():
        new = hook(g if isinstance(g, T) else T._make(g, None))
        if new is not None:
            g = new if create_graph else np.asarray(new._array if isinstance(new, T) else new)
            owned = False
    old = leaf._grad
    if create_graph:
        g = g if isinstance(g, T) else T._make(g, None)
        leaf._grad = g if old is None else old + g
        return
    if isinstance(g, T):
        g = g._array
    if old is None:
        # own the array: g may be shared with other nodes, or a read-only broadcast view
        leaf._grad = T._make(g if owned and type(g) is np.ndarray else np.array(g, copy=True),
                             None)
    elif old.requires_grad:
        leaf._grad = old + g              # a recorded gradient stays out of place
    else:
        old._array += g
        old._vc[0] += 1


def _run_hooks(node, buf, hooks):
    """Hooks registered on a computed tensor (``register_hook``), or ``retain_grad``."""
    T = tensor_type()
    for k, fns in hooks.items():
        if buf[k] is None:
            continue
        for fn in fns:
            g = buf[k]
            new = fn(g if isinstance(g, T) else T._make(g, None))
            if new is not None:
                buf[k] = new if isinstance(g, T) else np.asarray(
                    new._array if isinstance(new, T) else new)


def _must_run(roots, wanted):
    """The nodes whose backward must run for a wanted gradient: those with an edge to a
    wanted tensor or to a node that must run. (The node that produced a wanted tensor
    itself need not run: the gradient is taken where it arrives.)

    An explicit stack visits the nodes reachable from ``roots`` (no recursion); then, from
    the first created to the last, a node must run if one of its edges leads to a wanted
    tensor or to a node that must run.
    """
    seen, stack = set(roots), list(roots)
    while stack:
        edges = stack.pop().next_edges
        for e in edges or ():
            if type(e) is tuple and e[0] not in seen:
                seen.add(e[0])
                stack.append(e[0])
    run = set()
    for node in sorted(seen, key=_creation):           # producers before consumers
        for e in node.next_edges or ():
            if e is None:
                continue
            if type(e) is tuple:
                if e[0] in run or _key(e) in wanted:
                    run.add(node)
                    break
            elif id(e) in wanted:
                run.add(node)
                break
    return run


def _creation(node):
    return node._seq


# ---------------------------------------------------------------------- arguments
def _as_tuple(x):
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _as_grad(g, create_graph):
    T = tensor_type()
    if create_graph:
        return g
    return g._array if isinstance(g, T) else g


def _roots(op, tensors, grads):
    """The output tensors and their upstream gradients (1 for one-element outputs)."""
    T = tensor_type()
    tensors = _as_tuple(tensors)
    if grads is None:
        grads = (None,) * len(tensors)
    else:
        grads = _as_tuple(grads)
    if len(grads) != len(tensors):
        raise RuntimeError(f"{op}: got {len(tensors)} tensors but {len(grads)} gradients")
    out = []
    for k, (t, g) in enumerate(zip(tensors, grads)):
        if not isinstance(t, T):
            raise TypeError(f"{op}: expected Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"{op}: element {k} of the tensors does not require grad and "
                               f"has no grad_fn; nothing to differentiate")
        if g is None:
            if t._array.size != 1:
                raise RuntimeError(f"{op}: gradient can be implicitly created only for a "
                                   f"single-element output, got shape {t.shape}; pass the "
                                   f"gradient ∂L/∂output")
            g = T._make(np.ones_like(t._array), None)
        else:
            if not isinstance(g, T):
                g = T._make(np.asarray(g, dtype=t._array.dtype), None)
            if g._array.shape != t._array.shape:
                raise ArgumentError(f"{op}: gradient has shape {g.shape} but the tensor "
                                   f"has shape {t.shape}")
            if g._array.dtype != t._array.dtype:
                g = g.to(t._array.dtype)
        out.append(g)
    return tensors, out
