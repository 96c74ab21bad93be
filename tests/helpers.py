"""Helpers shared by the tests: float64 tensors, gradient checks, PyTorch conversion."""
import numpy as np

import minidl as md


def leaf(array, requires_grad=True):
    """A float64 leaf tensor from ``array``."""
    return md.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def check_gradients(func, *arrays, fast=False, atol=1e-6, rtol=1e-5, eps=1e-6):
    """``md.gradcheck`` of ``func`` at float64 copies of ``arrays`` (a random upstream
    gradient is built in). Non-array arguments (None, numbers) are passed through."""
    inputs = tuple(leaf(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                   for a in arrays)
    return md.gradcheck(func, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast)


def vjp(func, *arrays, upstream=None, seed=0):
    """(output array, [∂L/∂array for each array]) with L = ⟨upstream, func(*arrays)⟩."""
    inputs = [leaf(a) for a in arrays]
    out = func(*inputs)
    if upstream is None:
        upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(upstream)
    return out.numpy(), [t.grad for t in inputs], upstream


def torch_vjp(torch, func, *arrays, upstream):
    """The same with PyTorch in float64: (output array, [gradient arrays])."""
    inputs = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = func(*inputs)
    out.backward(torch.tensor(upstream))
    return out.detach().numpy(), [None if t.grad is None else t.grad.numpy() for t in inputs]


def check_second(func, *arrays, atol=1e-5, rtol=1e-4, eps=1e-6, fast=False):
    """``md.gradgradcheck`` of ``func`` at float64 copies of ``arrays``: the second
    derivative, with a random upstream gradient (itself checked too)."""
    inputs = tuple(leaf(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                   for a in arrays)
    return md.gradgradcheck(func, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast)


def torch_double_vjp(torch, func, *arrays, upstream, direction, seed=0):
    """PyTorch's ∂⟨direction, ∂⟨upstream, f⟩/∂x⟩/∂x for each input (float64 arrays)."""
    inputs = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = func(*inputs)
    grads = torch.autograd.grad(out, inputs, torch.tensor(upstream), create_graph=True,
                                allow_unused=True)
    total = sum((g * torch.tensor(d)).sum() for g, d in zip(grads, direction) if g is not None)
    second = torch.autograd.grad(total, inputs, allow_unused=True)
    return [None if s is None else s.numpy() for s in second]


def double_vjp(func, *arrays, upstream, direction):
    """minidl's ∂⟨direction, ∂⟨upstream, f⟩/∂x⟩/∂x for each input."""
    inputs = [leaf(a) for a in arrays]
    out = func(*inputs)
    grads = md.autograd.grad(out, inputs, md.tensor(upstream), create_graph=True,
                             allow_unused=True)
    total = None
    for g, d in zip(grads, direction):
        if g is not None and g.requires_grad:
            term = (g * md.tensor(d)).sum()
            total = term if total is None else total + term
    if total is None:
        return [None] * len(inputs)
    second = md.autograd.grad(total, inputs, allow_unused=True)
    return [None if s is None else s.numpy() for s in second]
