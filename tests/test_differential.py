"""Differential tests: minidl against PyTorch in float64, forward values and gradients.

Each case is written once as ``f(lib, *tensors)`` and run with ``lib = torch`` and with
``lib = minidl``, on the same generated arrays. :func:`run_both` compares the outputs'
shapes, dtypes and values and, through a random upstream gradient, the gradient of every
floating-point input. Generated: indexing (basic, advanced, boolean, integers and index
arrays separated by slices, ``None``, assignment), reductions (``dim``, ``dim=()``,
``keepdim``, ``correction``), shape ops, broadcasting of elementwise ops, dtype
promotion and empty tensors.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl as md

torch = pytest.importorskip("torch")


# --------------------------------------------------------------------- the harness
def _dtype_name(t):
    if isinstance(t, torch.Tensor):
        return str(t.dtype).replace("torch.", "")
    return np.dtype(t.dtype).name


def _outputs(out):
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _outputs(item)]
    return [out]


def _lib_input(lib, array, grad):
    wants = grad and array.dtype.kind == "f"
    if lib is torch:
        return torch.tensor(array, requires_grad=wants)
    return md.tensor(array, requires_grad=wants)


def run_both(fn, *arrays, grad=True, seed=0, rtol=1e-10, atol=1e-12):
    """Run ``fn(lib, *inputs)`` on PyTorch and minidl; assert the same outputs and gradients.

    Floating inputs require grad (when ``grad``); the scalar ``sum_k <g_k, out_k>`` with
    random ``g_k`` over every floating output is differentiated by both libraries.

    Returns:
        PyTorch's outputs (a list), for a case to look at further.
    """
    arrays = [np.asarray(a) for a in arrays]
    t_in = [_lib_input(torch, a, grad) for a in arrays]
    m_in = [_lib_input(md, a, grad) for a in arrays]
    t_out, m_out = _outputs(fn(torch, *t_in)), _outputs(fn(md, *m_in))
    assert len(m_out) == len(t_out)
    rng = np.random.default_rng(seed)
    t_loss, m_loss = [], []
    for k, (m, t) in enumerate(zip(m_out, t_out)):
        if not isinstance(t, torch.Tensor):        # a Python number or list
            assert m == t if not isinstance(t, float) else np.isclose(m, t, equal_nan=True)
            continue
        assert isinstance(m, md.Tensor), f"output {k}: {type(m)} where PyTorch gives a Tensor"
        assert tuple(m.shape) == tuple(t.shape), f"output {k}: shape {m.shape} vs {tuple(t.shape)}"
        assert _dtype_name(m) == _dtype_name(t), f"output {k}: {_dtype_name(m)} vs {_dtype_name(t)}"
        loose = t.dtype in (torch.float32, torch.float16)   # PyTorch's float32 kernels
        np.testing.assert_allclose(m.numpy(), t.detach().numpy(), rtol=1e-6 if loose else rtol,
                                   atol=1e-6 if loose else atol, err_msg=f"output {k}")
        if t.requires_grad:
            assert m.requires_grad, f"output {k} does not require grad"
            g = rng.standard_normal(tuple(t.shape))
            t_loss.append((t * torch.tensor(g)).sum())
            m_loss.append((m * md.tensor(g)).sum())
    if t_loss:
        sum(t_loss).backward()
        sum(m_loss).backward()
        for k, (m, t) in enumerate(zip(m_in, t_in)):
            if not t.requires_grad:
                continue
            if t.grad is None:
                assert m.grad is None or not np.any(np.asarray(m.grad)), f"input {k}"
                continue
            assert m.grad is not None, f"input {k}: no gradient where PyTorch has one"
            np.testing.assert_allclose(np.asarray(m.grad), t.grad.numpy(), rtol=rtol,
                                       atol=atol, err_msg=f"gradient of input {k}")
    return t_out


def run_or_refuse(fn, *arrays, **kwargs):
    """:func:`run_both`, or, where PyTorch refuses the call, minidl refuses it too."""
    try:
        fn(torch, *(torch.tensor(np.asarray(a)) for a in arrays))
    except (RuntimeError, IndexError, ValueError, TypeError):
        with pytest.raises((RuntimeError, IndexError, ValueError, TypeError)):
            fn(md, *(md.tensor(np.asarray(a)) for a in arrays))
        return None
    return run_both(fn, *arrays, **kwargs)


def _values(draw, shape, kind="f"):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "f":
        return rng.standard_normal(shape)
    if kind == "i":
        return rng.integers(-5, 6, size=shape)
    return rng.random(shape) < 0.5


shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)
shapes0 = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)   # empties, 0-d


# --------------------------------------------------------------------- indexing
@st.composite
def basic_index(draw, shape):
    """A tuple of ints, slices (positive steps, out-of-range bounds), None and Ellipsis."""
    parts, dims = [], list(shape)
    ellipsis_at = draw(st.sampled_from([None] + list(range(len(dims) + 1))))
    for i, n in enumerate(dims):
        if i == ellipsis_at:
            parts.append(Ellipsis)
            break
        choice = draw(st.sampled_from(["int", "slice", "slice", "none"] if n else ["slice"]))
        if choice == "none":
            parts.append(None)
            choice = draw(st.sampled_from(["int", "slice"] if n else ["slice"]))
        if choice == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        else:
            bound = st.none() | st.integers(-n - 2, n + 2)
            parts.append(slice(draw(bound), draw(bound), draw(st.none() | st.integers(1, 3))))
    if draw(st.booleans()):
        parts.append(None)
    return tuple(parts)


@given(st.data())
def test_basic_indexing(data):
    shape = data.draw(shapes0, label="shape")
    index = data.draw(basic_index(shape), label="index")
    run_both(lambda lib, x: x[index], _values(data.draw, shape))


@st.composite
def advanced_index(draw, shape):
    """Per axis a slice, an int or an index array (broadcast together); maybe a None."""
    broadcast = draw(st.sampled_from([(2,), (3,), (2, 1), (1, 3), (0,)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    parts, arrays = [], 0
    for n in shape:
        kinds = ["slice", "int", "array", "array"] if n else ["slice"]
        kind = draw(st.sampled_from(kinds))
        if kind == "array":
            size = broadcast if draw(st.booleans()) else broadcast[-1:]
            parts.append(rng.integers(-n, n, size=size))        # repeats accumulate
            arrays += 1
        elif kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        else:
            parts.append(slice(draw(st.none() | st.integers(0, n)), None))
        if draw(st.integers(0, 5)) == 0:
            parts.append(None)
    if arrays == 0:
        n = shape[0]
        parts[0] = rng.integers(0, n, size=broadcast) if n else np.zeros((0,), dtype=np.int64)
    return tuple(parts)


def _as_lib_index(lib, index, as_list):
    def one(p):
        if isinstance(p, np.ndarray):
            return p.tolist() if as_list and p.ndim == 1 and p.size else lib.tensor(p)
        return p
    return tuple(one(p) for p in index)


@given(st.data())
def test_advanced_indexing_placement(data):
    """Integers and index arrays separated by slices: PyTorch's placement of the new axes."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    index = data.draw(advanced_index(shape), label="index")
    as_list = data.draw(st.booleans())
    run_both(lambda lib, x: x[_as_lib_index(lib, index, as_list)], _values(data.draw, shape))


@given(st.data())
def test_boolean_indexing(data):
    shape = data.draw(shapes, label="shape")
    k = data.draw(st.integers(1, len(shape)))
    mask = _values(data.draw, shape[:k], "b")
    after = data.draw(st.sampled_from([(), (slice(None),), (0,)])) if k < len(shape) else ()
    run_both(lambda lib, x: x[(lib.tensor(mask),) + after], _values(data.draw, shape))
    run_both(lambda lib, x: x.masked_fill(lib.tensor(mask.reshape(mask.shape + (1,) * (len(shape) - k))), 0.5),
             _values(data.draw, shape))


@given(st.data())
def test_index_assignment(data):
    """``y[index] = v`` on a non-leaf: the gradient reaches x (outside) and v (inside)."""
    shape = data.draw(shapes, label="shape")
    index = data.draw(basic_index(shape) | advanced_index(shape), label="index")
    x = _values(data.draw, shape)
    target = torch.tensor(x)[_as_lib_index(torch, index, False)].shape
    if any(isinstance(p, np.ndarray) for p in index):     # repeated targets: order undefined
        flat = [p for p in index if isinstance(p, np.ndarray)]
        if len(flat) and len(np.unique(np.stack(np.broadcast_arrays(*flat)).reshape(len(flat), -1), axis=1).T) \
                != np.broadcast(*flat).size:
            return
    v = _values(data.draw, tuple(target)[data.draw(st.integers(0, len(target))):])

    def assign(lib, x, v):
        y = x * 1.0
        y[_as_lib_index(lib, index, False)] = v
        return y
    run_both(assign, x, v)


def test_indexing_examples():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    idx = np.array([2, 0, 2])
    out = run_both(lambda lib, x: x[0, :, lib.tensor(idx)], x)      # int, slice, array
    assert tuple(out[0].shape) == (3, 3, 5)                        # kept in place
    out = run_both(lambda lib, x: x[:, lib.tensor(idx), :, lib.tensor(idx)], x)
    assert tuple(out[0].shape) == (3, 2, 4)                          # separated: first
    out = run_both(lambda lib, x: x[None, :, lib.tensor(idx), None, 1], x)
    run_both(lambda lib, x: x[[1, 1, 0]], x)                          # repeated rows
    run_both(lambda lib, x: x[..., [4, 4]], x)
    run_both(lambda lib, x: x[x > 50.0], x)


# --------------------------------------------------------------------- reductions
@st.composite
def dims(draw, ndim):
    """None, an int (maybe negative), a tuple of distinct dims or ()."""
    if ndim == 0:
        return draw(st.sampled_from([None, (), 0, -1]))
    one = st.integers(-ndim, ndim - 1)
    many = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(
        lambda ds: tuple(d - ndim if i % 2 else d for i, d in enumerate(ds)))
    return draw(st.none() | one | many | st.just(()))


def _call(op, x, dim, keepdim, **kw):
    if dim is None:
        return getattr(x, op)(**kw)
    return getattr(x, op)(dim=dim, keepdim=keepdim, **kw)


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "logsumexp", "var", "std", "nansum"])
@given(data=st.data())
def test_reductions(op, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    dim = data.draw(dims(len(shape)), label="dim")
    keepdim = data.draw(st.booleans())
    kw = {}
    if op in ("var", "std"):
        kw = data.draw(st.sampled_from([{}, {"correction": 0}, {"correction": 1},
                                        {"unbiased": False}]))
        n = np.prod([shape[d] for d in (range(len(shape)) if dim in (None, ()) else
                                        np.atleast_1d(dim))] or [1]) if shape else 1
        if n <= kw.get("correction", 0 if kw.get("unbiased", True) is False else 1):
            return                                   # a zero divisor: inf/nan, not compared
    if op in ("var", "std") and dim == ():
        # PyTorch's forward reduces over every axis but its backward divides by n = 1
        # (a PyTorch inconsistency); compare the value, and the gradient of dim=None
        x = _values(data.draw, shape)
        run_both(lambda lib, x: _call(op, x, dim, keepdim, **kw), x, grad=False)
        dim = None
    if op == "logsumexp" and dim is None:
        dim = tuple(range(len(shape))) or 0
    if op in ("logsumexp",) and dim == ():
        return                                       # PyTorch itself fails on dim=() here
    run_both(lambda lib, x: _call(op, x, dim, keepdim, **kw), _values(data.draw, shape))


@pytest.mark.parametrize("op", ["max", "min", "prod", "cumsum", "argmax", "argmin", "cumprod"])
@given(data=st.data())
def test_reductions_over_one_dim(op, data):
    """``max``/``min`` with a dim return (values, indices); ``prod``/``cumsum`` one dim."""
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    ndim = max(len(shape), 1)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    keepdim = data.draw(st.booleans())
    if op in ("cumsum", "cumprod"):
        fn = lambda lib, x: getattr(x, op)(dim)              # noqa: E731
    else:
        fn = lambda lib, x: getattr(x, op)(dim=dim, keepdim=keepdim)  # noqa: E731
    run_both(fn, _values(data.draw, shape))
    if op in ("max", "min", "prod", "argmax", "argmin"):
        run_both(lambda lib, x: getattr(x, op)(), _values(data.draw, shape))


def test_reduction_ties_and_returns():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    run_both(lambda lib, x: x.amax(dim=1), x)            # ties: gradient split equally
    run_both(lambda lib, x: x.max(), x)                  # whole-tensor max: split too
    out = run_both(lambda lib, x: x.max(dim=1), x)       # (values, indices) to the index
    assert out[1].tolist() == [1, 0]
    m = md.tensor(x).max(dim=1)
    assert m.values.tolist() == [3.0, 2.0] and m.indices.tolist() == [1, 0]
    run_both(lambda lib, x: x.prod(dim=1), np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.0]]))
    run_both(lambda lib, x: x.sum(dim=(), keepdim=True), x)
    run_both(lambda lib, x: x.var(dim=1, correction=2), np.ones((2, 5)) + np.arange(5))


# --------------------------------------------------------------------- shape ops
@given(st.data())
def test_transpose_permute_flip(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4))
    n = len(shape)
    a, b = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    perm = data.draw(st.permutations(range(n)))
    flips = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    x = _values(data.draw, shape)
    run_both(lambda lib, x: x.transpose(a, b), x)
    run_both(lambda lib, x: lib.transpose(x, a, b), x)
    run_both(lambda lib, x: x.permute(*perm), x)
    run_both(lambda lib, x: lib.permute(x, tuple(perm)), x)
    run_both(lambda lib, x: x.flip(flips), x)
    run_both(lambda lib, x: x.mT if n >= 2 else x.T, x)


@given(st.data())
def test_reshape_flatten_squeeze(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    n = len(shape)
    size = int(np.prod(shape))
    x = _values(data.draw, shape)
    run_both(lambda lib, x: x.reshape(-1, shape[-1]), x)
    run_both(lambda lib, x: x.view(size), x)
    run_both(lambda lib, x: x.reshape(shape[::-1]), x)
    start = data.draw(st.integers(-n, n - 1))
    end = data.draw(st.integers(start % n, n - 1))
    run_both(lambda lib, x: x.flatten(start, end), x)
    run_both(lambda lib, x: lib.flatten(x, start_dim=start % n), x)
    d = data.draw(st.integers(-n - 1, n))
    run_both(lambda lib, x: x.unsqueeze(d), x)
    run_both(lambda lib, x: x.squeeze(), x)
    run_both(lambda lib, x: x.squeeze(data_dim), x) if (data_dim := data.draw(
        st.integers(-n, n - 1))) is not None else None


@given(st.data())
def test_expand_repeat(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    target = tuple(data.draw(st.integers(1, 3)) if s == 1 else s for s in shape)
    lead = tuple(data.draw(st.lists(st.integers(1, 2), max_size=2)))
    x = _values(data.draw, shape)
    run_both(lambda lib, x: x.expand(*lead, *target), x)
    run_both(lambda lib, x: x.expand(*lead, *([-1] * len(shape))), x)
    run_both(lambda lib, x: x.expand_as(lib.zeros(lead + target, dtype=lib.float64)), x)
    reps = tuple(data.draw(st.lists(st.integers(1, 3), min_size=len(shape), max_size=len(shape) + 1)))
    run_both(lambda lib, x: x.repeat(*reps), x)


@given(st.data())
def test_cat_stack_split_chunk(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    n = len(shape)
    d = data.draw(st.integers(-n, n - 1))
    other = list(shape)
    other[d] = data.draw(st.integers(0, 3))
    x, y = _values(data.draw, shape), _values(data.draw, tuple(other))
    run_both(lambda lib, x, y: lib.cat([x, y], dim=d), x, y)
    run_both(lambda lib, x, y: lib.cat((x, y, x), d), x, x)
    sd = data.draw(st.integers(-n - 1, n))
    run_both(lambda lib, x, y: lib.stack([x, y, x * 2.0], dim=sd), x, x)
    if shape[d] == 0:
        return
    size = data.draw(st.integers(1, shape[d]))
    run_both(lambda lib, x: x.split(size, dim=d), x)
    run_both(lambda lib, x: lib.split(x, size, d), x)
    cut = data.draw(st.integers(0, shape[d]))
    run_both(lambda lib, x: x.split([cut, shape[d] - cut], dim=d), x)
    chunks = data.draw(st.integers(1, 5))
    run_both(lambda lib, x: x.chunk(chunks, dim=d), x)
    run_both(lambda lib, x: lib.chunk(x, chunks, d), x)
    run_both(lambda lib, x: x.unbind(d), x)


# --------------------------------------------------------------------- broadcasting
BINARY = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / b,
    "pow": lambda lib, a, b: a.abs() ** b,
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "minimum": lambda lib, a, b: lib.minimum(a, b),
    "where": lambda lib, a, b: lib.where(a > b, a, b),
    "floordiv": lambda lib, a, b: a // (b.abs() + 0.5),
    "matmul": None,
}


@pytest.mark.parametrize("name", [k for k, v in BINARY.items() if v is not None])
@given(data=st.data())
def test_broadcasting_binary(name, data):
    """Broadcasting in both directions; each gradient summed back to its operand's shape."""
    (sa, sb), _ = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                              min_side=0, max_side=3))
    run_both(BINARY[name], _values(data.draw, sa), _values(data.draw, sb),
             grad=name != "floordiv")                # PyTorch has no derivative for //


@given(st.data())
def test_broadcasting_matmul(data):
    batch = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))[0]
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    a_shape = batch[0] + (n, k) if data.draw(st.booleans()) else (k,)
    b_shape = batch[1] + (k, m) if data.draw(st.booleans()) else (k,)
    run_both(lambda lib, a, b: a @ b, _values(data.draw, a_shape), _values(data.draw, b_shape))


# --------------------------------------------------------------------- dtype promotion
KINDS = {"f64": np.float64, "f32": np.float32, "i64": np.int64, "i32": np.int32,
         "i8": np.int8, "u8": np.uint8, "bool": np.bool_}
OPS = ["+", "-", "*", "/", "//", "%", "<", "==", "&", "max"]


def _operand(kind, shape, draw):
    values = _values(draw, shape, "b" if kind == "bool" else ("i" if kind[0] in "iu" else "f"))
    if kind == "u8":
        values = np.abs(values)
    return values.astype(KINDS[kind])


def _apply(lib, op, a, b):
    if op == "max":
        return lib.maximum(a, b)
    if op == "&":
        return a & b
    return eval(f"a {op} b")                         # noqa: S307 - op from the list above


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_dtype_promotion_tensors(op, data):
    """Tensor-tensor promotion incl. 0-d tensors (dimensioned operands win categories tie)."""
    ka, kb = data.draw(st.sampled_from(list(KINDS))), data.draw(st.sampled_from(list(KINDS)))
    if op == "&" and (KINDS[ka] in (np.float32, np.float64) or KINDS[kb] in (np.float32, np.float64)):
        return
    if op in ("-",) and ka == kb == "bool":
        return                                       # PyTorch refuses bool - bool
    sa = data.draw(st.sampled_from([(), (3,), (2, 3)]))
    sb = data.draw(st.sampled_from([(), (3,), (1, 3)]))
    a, b = _operand(ka, sa, data.draw), _operand(kb, sb, data.draw)
    if op in ("//", "%") and (b == 0).any():
        b = np.where(b == 0, np.ones_like(b), b)
    if op in ("//", "%") and (ka == "bool" or kb == "bool"):
        return
    if op == "/" and (b == 0).any():
        return
    run_or_refuse(lambda lib, a, b: _apply(lib, op, a, b), a, b, grad=False)


SCALARS = [2, -3, 2.5, True, False]


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "//", "<"])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_dtype_promotion_python_scalars(op, kind, scalar):
    """A Python scalar never up-casts a tensor of its own category; int / int is float."""
    x = _operand(kind, (2, 3), lambda s: 7)
    if op in ("/", "//"):
        x = np.where(x == 0, np.ones_like(x), x)     # no division by zero either way round
    if kind == "bool" and op in ("-", "//", "**") or op in ("//",) and scalar in (0, False):
        return
    if op == "/" and scalar in (0, False):
        return
    if op == "**" and (kind[0] in "iu" or kind == "bool") and isinstance(scalar, (int, bool)) \
            and scalar < 0:
        return                                       # PyTorch: integers to negative powers fail
    left = eval(f"lambda lib, x: x {op} {scalar!r}")       # noqa: S307 - op, scalar above
    right = eval(f"lambda lib, x: {scalar!r} {op} x")      # noqa: S307
    for f in (left, right):
        if op == "**" and kind[0] in "iub" and isinstance(scalar, bool):
            continue
        if op == "-" and isinstance(scalar, bool) and kind != "bool":
            continue                 # see test_subtracting_a_python_bool_is_refused_as_in_pytorch
        try:
            torch_fails = False
            f(torch, torch.tensor(x))
        except RuntimeError:
            torch_fails = True                       # what PyTorch itself refuses
        if torch_fails:
            with pytest.raises((RuntimeError, TypeError, ValueError)):
                f(md, md.tensor(x))
        else:
            run_both(f, x, grad=False)


@pytest.mark.parametrize("default", [np.float32, np.float64])
def test_default_dtype_results(default):
    md.set_default_dtype(default)
    torch_default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if default == np.float64 else torch.float32)
    try:
        ints = np.arange(1, 7).reshape(2, 3)
        run_both(lambda lib, x: x / 2, ints, grad=False)
        run_both(lambda lib, x: x * 1.5, ints, grad=False)
        run_both(lambda lib, x: x.mean(dtype=lib.float64) if False else x.float().mean(), ints, grad=False)
        run_both(lambda lib, x: lib.tensor(3) / x, ints, grad=False)
        run_both(lambda lib, x: x.sum(), ints, grad=False)                    # int64
        run_both(lambda lib, x: (x > 2).sum(), ints, grad=False)              # int64
        run_both(lambda lib, x: x.sum(dtype=lib.float64), ints, grad=False)
        run_both(lambda lib, x: lib.tensor(1.5) + x.to(lib.int32), ints, grad=False)
        run_both(lambda lib, x: lib.tensor([1.5, 2.0]) * lib.tensor(2, dtype=lib.float64),
                 ints, grad=False)
        run_both(lambda lib, x: lib.tensor([True, False]) + lib.tensor([True, True]), ints,
                 grad=False)
        run_both(lambda lib, x: lib.tensor([True, False]) * 3, ints, grad=False)
        run_both(lambda lib, x: ~lib.tensor([True, False]), ints, grad=False)
        run_both(lambda lib, x: lib.arange(5) / 2, ints, grad=False)
        run_both(lambda lib, x: lib.arange(0.0, 1.0, 0.25), ints, grad=False)
        run_both(lambda lib, x: lib.zeros(2, 3) + lib.ones(3, dtype=lib.long), ints, grad=False)
        run_both(lambda lib, x: lib.full((2,), 7), ints, grad=False)
        run_both(lambda lib, x: lib.tensor([1, 2]).float() ** 2, ints, grad=False)
    finally:
        torch.set_default_dtype(torch_default)


# --------------------------------------------------------------------- empty tensors
@pytest.mark.parametrize("case", [
    "sum", "mean", "sum_dim", "amax_dim", "cat", "reshape", "index", "mask", "matmul",
    "softmax", "prod", "cumsum", "stack", "expand", "var",
])
def test_empty_tensors(case):
    x = np.zeros((0, 3))
    y = np.arange(6.0).reshape(2, 3)
    fn = {
        "sum": lambda lib, x, y: x.sum(),
        "mean": lambda lib, x, y: x.mean(),                       # nan
        "sum_dim": lambda lib, x, y: x.sum(dim=0),                # zeros
        "amax_dim": lambda lib, x, y: x.amax(dim=1),              # (0,)
        "cat": lambda lib, x, y: lib.cat([x, y]),
        "reshape": lambda lib, x, y: x.reshape(3, 0, 1),
        "index": lambda lib, x, y: y[lib.tensor([], dtype=lib.long)],
        "mask": lambda lib, x, y: y[y > 100],
        "matmul": lambda lib, x, y: x.T @ x,                      # zeros (3, 3)
        "softmax": lambda lib, x, y: x.softmax(dim=1),
        "prod": lambda lib, x, y: x.prod(),                       # 1
        "cumsum": lambda lib, x, y: x.cumsum(0),
        "stack": lambda lib, x, y: lib.stack([x, x], dim=1),
        "expand": lambda lib, x, y: x[:, None, :].expand(0, 4, 3),
        "var": lambda lib, x, y: x.var(dim=0),                    # nan
    }[case]
    run_both(fn, x, y)


def test_empty_reductions_without_identity_are_errors():
    with pytest.raises((RuntimeError, ValueError, IndexError)):
        md.zeros(0, 3).amax()
    with pytest.raises((RuntimeError, ValueError, IndexError)):
        md.zeros(0, 3).max(dim=0)


def test_empty_reshape_that_is_ambiguous_is_refused():
    run_or_refuse(lambda lib, x: x.reshape(3, 0, -1), np.zeros((0, 3)))


def test_std_gradient_where_all_values_are_equal():
    """σ = 0: PyTorch's gradient is 0 (not 0/0)."""
    run_both(lambda lib, x: x.std(dim=1, correction=0), np.array([[2.0, 2.0], [1.0, 3.0]]))
    run_both(lambda lib, x: x.std(), np.full((3,), 5.0))
    run_both(lambda lib, x: x.std(correction=0), np.array(4.0))


def test_empty_input_of_cat_gets_a_gradient():
    """Also a 1-D empty tensor joining 2-D ones (PyTorch's legacy rule): an empty gradient."""
    run_both(lambda lib, x, y: lib.cat([x, y]), np.zeros((0, 2)), np.ones((2, 2)))
    run_both(lambda lib, x, y: lib.cat([y, x]), np.zeros((0,)), np.ones((2,)))
    run_both(lambda lib, x, y: lib.cat([y, x], dim=1), np.zeros((0,)), np.ones((2, 3)))


def test_bool_subtraction_is_refused_as_in_pytorch():
    for f in (lambda lib, a: a - a, lambda lib, a: a - 1, lambda lib, a: 1.5 - a,
              lambda lib, a: a.long() - a, lambda lib, a: a.float().sub(a)):
        run_or_refuse(f, np.array([True, False]))


def test_subtracting_a_python_bool_is_refused_as_in_pytorch():
    run_or_refuse(lambda lib, a: a - True, np.array([1.0, 2.0]))
    run_or_refuse(lambda lib, a: True - a, np.array([1.0, 2.0]))


@given(st.data())
def test_scatter_and_scatter_add(data):
    """``scatter``/``scatter_add`` (and in place) along any dim, repeated indices included."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = tuple(data.draw(st.integers(1, n)) for n in shape)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    index = rng.integers(0, shape[dim], size=index_shape)
    x, src = _values(data.draw, shape), _values(data.draw, index_shape)
    run_both(lambda lib, x, s: x.scatter_add(dim, lib.tensor(index), s), x, src)
    run_both(lambda lib, x, s: (x * 1.0).scatter_add_(dim, lib.tensor(index), s), x, src)
    run_both(lambda lib, x, s: lib.scatter(x, dim, lib.tensor(index), 0.5), x, src)
    unique = np.sort(index, axis=dim)
    if (np.diff(unique, axis=dim) != 0).all():      # no repeated target: the result is defined
        run_both(lambda lib, x, s: x.scatter(dim, lib.tensor(index), s), x, src)
        run_both(lambda lib, x, s: (x * 1.0).scatter_(dim, lib.tensor(index), s), x, src)


def test_scatter_errors():
    x = md.zeros(2, 3)
    with pytest.raises(IndexError, match="scatter.*out of bounds"):
        x.scatter(1, md.tensor([[3]]), 1.0)
    with pytest.raises(NotImplementedError, match="reduce"):
        x.scatter(1, md.tensor([[0]]), 1.0, reduce="add")
    with pytest.raises(ValueError, match="scatter_add: index must have as many dims"):
        x.scatter_add(1, md.tensor([0]), md.ones(1))


@given(st.data())
def test_einsum(data):
    """Matrix products, batched products, outer products, traces of a sum, transposes."""
    n, k, m, b = (data.draw(st.integers(1, 3)) for _ in range(4))
    cases = [("ij,jk->ik", (n, k), (k, m)), ("bij,bjk->bik", (b, n, k), (b, k, m)),
             ("i,j->ij", (n,), (m,)), ("ij,ij->", (n, k), (n, k)), ("ij,kj", (n, k), (m, k)),
             ("bhqd,bhkd->bhqk", (b, 2, n, k), (b, 2, m, k))]
    eq, sa, sb = data.draw(st.sampled_from(cases))
    run_both(lambda lib, x, y: lib.einsum(eq, x, y), _values(data.draw, sa), _values(data.draw, sb))
    run_both(lambda lib, x: lib.einsum("ij->ji", x), _values(data.draw, (n, k)))


def test_diag_and_where_with_one_argument():
    run_both(lambda lib, x: lib.diag(x, 1), np.array([1.0, 2.0, 3.0]))
    run_both(lambda lib, x: lib.diag(x, -1), np.arange(9.0).reshape(3, 3))
    run_both(lambda lib, x: lib.where(x > 0), np.array([[1.0, -1.0], [2.0, 0.5]]))
