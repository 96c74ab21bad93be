"""The benchmark cases: the same work written once per contender.

A *case* is one piece of work on fixed shapes (e.g. a conv2d forward and backward). For
each *contender* it has a factory that builds that contender's tensors from the same
NumPy arrays and returns a :class:`Bench`:

* ``step()`` does the timed work once (forward, and backward with a fixed random upstream
  gradient unless the case is forward only; for the training steps, a whole SGD step);
* ``probe()`` does it once more and returns NumPy arrays ``[output, grad_1, grad_2, ...]``
  (the gradients in an order shared by all contenders), so the harness can check that
  the contenders really computed the same thing as PyTorch.

The contenders:

=========== ==================================================================
minidl      the public API of SPEC.md (``F.conv2d``, ``nn.LSTM``, ``optim.SGD``, ...)
torch       the same calls in PyTorch
jax         ``jax.jit`` of the forward and ``jax.vjp`` (CPU); optional extra ``bench-jax``
autograd    HIPS autograd: the formula in ``autograd.numpy``, ``make_vjp``
mygrad      MyGrad's own op where it has one, else the formula in its ops
reference   the literal loops of ``minidl.reference`` (forward only, small sizes)
=========== ==================================================================

JAX and HIPS autograd share one formula per case (:data:`_FORMULAS`), written with the
NumPy functions both have (``xp`` is ``jax.numpy`` or ``autograd.numpy``); where JAX has
its own op (``lax.conv_general_dilated``, ``lax.scan``) it uses it.

A factory that cannot run because the library or the op is missing raises ImportError,
AttributeError or NotImplementedError; the harness reports the contender as
"unavailable" and goes on.

Every case has a ``full`` size (the one the targets refer to) and a ``tiny`` size (for
``--quick`` and the smoke test). Shape legend: N batch, C channels, H/W height/width,
L sequence length, E embedding, h heads, D input features, H hidden size (LSTM).
"""
import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

CONTENDERS = ("minidl", "torch", "jax", "autograd", "mygrad", "reference")

#: Exceptions that mean "this library or op is missing" (the contender is "unavailable").
UNAVAILABLE_ERRORS = (ImportError, AttributeError, NotImplementedError)

#: The Python module each contender needs (a contender whose module is missing is skipped).
MODULES = {"minidl": "minidl", "torch": "torch", "jax": "jax", "autograd": "autograd",
           "mygrad": "mygrad", "reference": "minidl.reference"}


@dataclass
class Bench:
    step: Callable[[], object]
    probe: Callable[[], list]
    note: str = ""


@dataclass
class Case:
    """One piece of work. ``group`` is "table" (the issue's table), "small" (forward only
    on a size the literal loops finish), "gemm" (the matmul peak) or a scaling curve's name
    (then ``curve_x`` is the varied parameter's value)."""
    name: str
    description: str
    dtype: str
    target: Optional[float]                      # wanted minidl / torch ratio (not asserted)
    sizes: dict                                  # "full" / "tiny" -> parameters
    make_data: Callable[[dict, np.dtype], dict]  # parameters, dtype -> named NumPy arrays
    factories: dict = field(default_factory=dict)  # contender -> (params, data, backward) -> Bench
    backward: bool = True
    group: str = "table"
    flops: Optional[Callable[[dict], float]] = None   # floating-point operations of one step
    curve_x: Optional[float] = None

    def describe(self, size="full"):
        return self.description.format(**self.sizes[size])


# --------------------------------------------------------------------------- adapters
# What differs between the tape-based libraries (minidl, torch, mygrad), so that a case is
# one forward formula per library and the rest (clearing grads, backward, reading results)
# is shared.

class _MinidlLib:
    name = "minidl"

    def __init__(self):
        import minidl as md
        self.md = md

    def tensor(self, a, requires_grad):
        return self.md.tensor(a, requires_grad=requires_grad)

    def clear(self, t):
        t.grad = None

    def backward(self, out, g):
        out.backward(self.md.tensor(g))

    def numpy(self, t):
        return np.array(t.numpy())

    def grad(self, t):
        return None if t.grad is None else np.array(np.asarray(t.grad))


class _TorchLib:
    name = "torch"

    def __init__(self):
        import torch
        self.torch = torch

    def tensor(self, a, requires_grad):
        return self.torch.tensor(a, requires_grad=requires_grad)

    def clear(self, t):
        t.grad = None

    def backward(self, out, g):
        out.backward(self.torch.from_numpy(g))

    def numpy(self, t):
        return t.detach().numpy().copy()

    def grad(self, t):
        return None if t.grad is None else t.grad.numpy().copy()


class _MygradLib:
    name = "mygrad"

    def __init__(self):
        import mygrad
        self.mg = mygrad

    def tensor(self, a, requires_grad):
        return self.mg.tensor(a, constant=not requires_grad)

    def clear(self, t):
        pass                      # MyGrad replaces .grad on every backward

    def backward(self, out, g):
        out.backward(g)

    def numpy(self, t):
        return np.array(t.data)   # MyGrad's .data is its array

    def grad(self, t):
        return None if t.grad is None else np.array(t.grad)


_LIBS = {"minidl": _MinidlLib, "torch": _TorchLib, "mygrad": _MygradLib}


def _tape_bench(lib_name, build, data, grad_names, backward, note=""):
    """A Bench for "out = forward(); out.backward(g)" in a tape-based library.

    ``build(lib, T)`` gets the library adapter and the tensors made from ``data`` (those
    named in ``grad_names`` require grad) and returns ``(forward, params)``: a callable
    computing the output, and the list of extra leaves (module parameters) whose
    gradients are cleared and probed, in the order shared by all contenders.
    """
    lib = _LIBS[lib_name]()
    g = data.get("g")
    T = {k: lib.tensor(v, backward and k in grad_names) for k, v in data.items() if k != "g"}
    forward, params = build(lib, T)
    leaves = ([T[k] for k in grad_names] + list(params)) if backward else []

    def step():
        for t in leaves:
            lib.clear(t)
        out = forward()
        if backward:
            lib.backward(out, g)
        return out

    def probe():
        out = step()
        return [lib.numpy(out)] + [lib.grad(t) for t in leaves]

    return Bench(step, probe, note)


def _jax():
    """jax and jax.numpy, float64 enabled (float32 inputs stay float32)."""
    import jax
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp
    return jax, jnp


def _functional_bench(lib_name, f, args, g, backward, note=""):
    """A Bench for ``out = f(xp, *args)`` and its vector-Jacobian product with ``g``
    with respect to every argument, in JAX (jit-compiled) or HIPS autograd."""
    if lib_name == "jax":
        jax, jnp = _jax()
        args = [jax.device_put(a) for a in args]
        if backward:
            g = jax.device_put(g)

            @jax.jit
            def fwd_bwd(args, g):
                out, vjp = jax.vjp(lambda *a: f(jnp, *a), *args)
                return out, vjp(g)
            run = lambda: jax.block_until_ready(fwd_bwd(args, g))           # noqa: E731
        else:
            fwd = jax.jit(lambda *a: f(jnp, *a))
            run = lambda: jax.block_until_ready(fwd(*args))                 # noqa: E731
    elif lib_name == "autograd":
        import autograd.numpy as anp
        from autograd import make_vjp
        argnum = tuple(range(len(args)))

        def run():
            if not backward:
                return f(anp, *args)
            vjp, out = make_vjp(lambda *a: f(anp, *a), argnum)(*args)
            return out, vjp(g)
    else:
        raise ValueError(f"not a functional library: {lib_name}")

    def probe():
        r = run()
        if not backward:
            return [np.asarray(r)]
        out, grads = r
        return [np.asarray(out)] + [np.asarray(a) for a in grads]
    return Bench(run, probe, note)


def _reference_bench(fn, note=""):
    """A Bench for a forward-only NumPy function (the literal references)."""
    def probe():
        return [np.asarray(fn())]
    return Bench(fn, probe, note)


def _rng(seed):
    return np.random.default_rng(seed)


def _uniform(rng, shape, dtype, bound=1.0):
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


# --------------------------------------------------------------------------- formulas
# One formula per case for JAX and HIPS autograd (and MyGrad where it has no op of its
# own): ``xp`` is the library's NumPy namespace.

def _const(a, v):
    """The number v as a scalar of a's dtype (a Python number would make MyGrad promote
    float32 to float64)."""
    return np.dtype(a.dtype).type(v)


def _relu(xp, a):
    return xp.maximum(a, _const(a, 0))


def _softmax(xp, s, axis=-1):
    e = xp.exp(s - xp.max(s, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _conv_by_offsets(xp, x, w, b):
    """out[n,o,i,j] = Σ_{c,p,q} x[n,c,i+p,j+q]·w[o,c,p,q] + b[o] as k·k tensordots, one per
    kernel offset (p, q): the way to write a convolution with NumPy ops only."""
    C_out, C_in, kh, kw = w.shape
    H_out, W_out = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    acc = 0.0
    for p in range(kh):
        for q in range(kw):
            patch = x[:, :, p:p + H_out, q:q + W_out]                    # (N, C_in, H', W')
            acc = acc + xp.tensordot(w[:, :, p, q], patch, axes=([1], [1]))  # (C_out, N, H', W')
    return xp.transpose(acc, (1, 0, 2, 3)) + xp.reshape(b, (1, C_out, 1, 1))


def _conv(xp, x, w, b):
    if xp.__name__.startswith("jax"):
        import jax
        out = jax.lax.conv_general_dilated(x, w, (1, 1), "VALID")
        return out + b.reshape(1, -1, 1, 1)
    return _conv_by_offsets(xp, x, w, b)


def _pool(xp, x, kind):
    """2×2 pooling, stride 2, of (N, C, H, W) by a reshape into windows (odd edges dropped)."""
    N, C, H, W = x.shape
    x = x[:, :, :H // 2 * 2, :W // 2 * 2]
    win = xp.reshape(x, (N, C, H // 2, 2, W // 2, 2))
    return xp.max(win, axis=(3, 5)) if kind == "max" else xp.mean(win, axis=(3, 5))


def _linear(xp, a, W, b):
    return a @ xp.transpose(W) + b


def _cross_entropy(xp, logits, y):
    """mean over n of logsumexp(z_n) − z_n[y_n]."""
    m = xp.max(logits, axis=1, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(logits - m), axis=1)) + m[:, 0]
    return xp.mean(lse - logits[np.arange(logits.shape[0]), y])


def _lstm_formula(xp, x, W_ih, W_hh, b_ih, b_hh):
    """nn.LSTM's recurrence on (N, L, D) batch_first, gates in PyTorch's order i, f, g, o."""
    N, L, _ = x.shape
    H = W_hh.shape[1]
    zx = x @ xp.transpose(W_ih) + (b_ih + b_hh)                          # (N, L, 4H)

    one = _const(x, 1)

    def sigmoid(a):
        return one / (one + xp.exp(-a))

    def cell(h, c, z):
        z = z + h @ xp.transpose(W_hh)
        i, f = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H])
        g, o = xp.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
        c = f * c + i * g
        return o * xp.tanh(c), c

    h = c = xp.zeros((N, H), dtype=x.dtype)
    if xp.__name__.startswith("jax"):
        import jax

        def scan_step(hc, z):
            h, c = cell(*hc, z)
            return (h, c), h
        _, hs = jax.lax.scan(scan_step, (h, c), xp.swapaxes(zx, 0, 1))  # (L, N, H)
        return xp.swapaxes(hs, 0, 1)
    outs = []
    for t in range(L):
        h, c = cell(h, c, zx[:, t])
        outs.append(h)
    return xp.stack(outs, axis=1)                                        # (N, L, H)


def _sdpa_formula(xp, q, k, v):
    """softmax(q kᵀ / √E) v over the last two axes."""
    scale = _const(q, 1 / math.sqrt(q.shape[-1]))
    return _softmax(xp, (q @ xp.swapaxes(k, -1, -2)) * scale) @ v


def _mha_formula(xp, x, W_in, b_in, W_out, b_out, heads):
    """nn.MultiheadAttention self-attention, batch_first, without the weights."""
    N, L, E = x.shape
    d = E // heads
    qkv = _linear(xp, x, W_in, b_in)                                     # (N, L, 3E)
    q, k, v = (xp.transpose(xp.reshape(qkv[:, :, i * E:(i + 1) * E], (N, L, heads, d)),
                            (0, 2, 1, 3)) for i in range(3))             # (N, h, L, d)
    a = xp.reshape(xp.transpose(_sdpa_formula(xp, q, k, v), (0, 2, 1, 3)), (N, L, E))
    return _linear(xp, a, W_out, b_out)


def _layer_norm(xp, x, w, b, eps=1e-5):
    mu = xp.mean(x, axis=-1, keepdims=True)
    var = xp.mean((x - mu) * (x - mu), axis=-1, keepdims=True)
    return (x - mu) / xp.sqrt(var + _const(x, eps)) * w + b


def _encoder_formula(xp, x, *W, heads):
    """nn.TransformerEncoderLayer, post-norm, ReLU, no dropout, batch_first."""
    W_in, b_in, W_out, b_out, W1, b1, W2, b2, g1, be1, g2, be2 = W
    x = _layer_norm(xp, x + _mha_formula(xp, x, W_in, b_in, W_out, b_out, heads), g1, be1)
    ff = _linear(xp, _relu(xp, _linear(xp, x, W1, b1)), W2, b2)
    return _layer_norm(xp, x + ff, g2, be2)


# --------------------------------------------------------------------------- op_overhead
# A chain of 100 tiny elementwise ops: what is timed is the per-op cost of the engine
# (Python dispatch, graph bookkeeping), not arithmetic.

_CHAIN_LINKS = 25            # 4 ops per link: mul, add, tanh, mul by a constant


def _op_overhead_data(p, dtype):
    rng = _rng(1)
    return {"x": _uniform(rng, (p["n"],), dtype), "w": _uniform(rng, (p["n"],), dtype),
            "g": np.ones(p["n"], dtype)}  # ones: as in y.sum().backward()


def _chain(tanh, x, w, half):
    y = x
    for _ in range(_CHAIN_LINKS):
        y = tanh(y * w + x) * half
    return y


def _op_overhead_factory(lib_name):
    def factory(p, data, backward):
        half = data["x"].dtype.type(0.5)
        if lib_name in ("jax", "autograd"):
            return _functional_bench(lib_name, lambda xp, x, w: _chain(xp.tanh, x, w, half),
                                     [data["x"], data["w"]], data["g"], backward)

        def build(lib, T):
            tanh = lib.mg.tanh if lib_name == "mygrad" else (lambda t: t.tanh())
            return (lambda: _chain(tanh, T["x"], T["w"], half)), []
        return _tape_bench(lib_name, build, data, ("x", "w"), backward)
    return factory


# --------------------------------------------------------------------------- training steps
_LR = 0.01


class _ManualSGD:
    """p ← p − lr·∂L/∂p, in place, for libraries without an optimiser."""

    def __init__(self, params, array_of):
        self.params, self.array_of = params, array_of

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p in self.params:
            self.array_of(p)[...] -= _LR * p.grad


def _training_bench(lib_name, make_model, loss_fn, data, names, note=""):
    """A Bench for one SGD step (zero_grad, loss, backward, update) in minidl or torch.

    ``make_model(nn)`` builds the model from the library's ``nn``; its parameters are set
    from ``data`` (keys = PyTorch's parameter names); the probe returns the loss and the
    gradient of the first parameter in ``names``."""
    if lib_name == "minidl":
        import minidl as md
        import minidl.functional as F
        import minidl.nn as nn
        import minidl.optim as optim
        tensor, loss_of, numpy = md.tensor, F.cross_entropy, lambda t: np.array(np.asarray(t))
    else:
        import torch
        nn, optim = torch.nn, torch.optim
        tensor, loss_of = torch.from_numpy, torch.nn.functional.cross_entropy
        numpy = lambda t: t.detach().numpy().copy()                      # noqa: E731
    model = make_model(nn).to(tensor(data["x"]).dtype)
    model.load_state_dict({k: tensor(data[k]) for k in names})
    opt = optim.SGD(model.parameters(), lr=_LR)
    x, y = tensor(data["x"]), tensor(data["y"])
    first = dict(model.named_parameters())[names[0]]

    def step():
        opt.zero_grad()
        loss = loss_of(model(x), y)
        loss.backward()
        opt.step()
        return loss

    def probe():
        loss = step()
        return [numpy(loss), numpy(first.grad)]
    return Bench(step, probe, note)


def _functional_training_bench(lib_name, loss_formula, data, names, note=""):
    """One SGD step in JAX (the whole step jit-compiled) or HIPS autograd:
    grads = ∇ loss(params); params ← params − lr·grads."""
    x, y = data["x"], data["y"]
    params = [data[k] for k in names]
    if lib_name == "jax":
        jax, jnp = _jax()
        x, y = jax.device_put(x), jax.device_put(y)
        params = [jax.device_put(a) for a in params]

        @jax.jit
        def sgd(params):
            loss, grads = jax.value_and_grad(lambda P: loss_formula(jnp, P, x, y))(params)
            return loss, grads, [p - _LR * g for p, g in zip(params, grads)]
    else:
        import autograd.numpy as anp
        from autograd import value_and_grad

        def sgd(params):
            loss, grads = value_and_grad(lambda P: loss_formula(anp, P, x, y))(params)
            return loss, grads, [p - _LR * g for p, g in zip(params, grads)]

    state = {"params": params}

    def step():
        loss, grads, state["params"] = sgd(state["params"])
        if lib_name == "jax":
            jax.block_until_ready(state["params"])
        return loss, grads

    def probe():
        loss, grads = step()
        return [np.asarray(loss), np.asarray(grads[0])]
    return Bench(step, probe, note)


# --------------------------------------------------------------------------- mlp_step
def _mlp_data(p, dtype):
    """Input, labels and weights; drawn again until no hidden pre-activation is within
    1e-5 of the ReLU's kink, where float32 rounding could flip the mask in one library
    and not in another (and the outputs check would report a false mismatch)."""
    dims = p["dims"]
    for seed in range(2, 100):
        rng = _rng(seed)
        d = {"x": rng.standard_normal((p["N"], dims[0])).astype(dtype),
             "y": rng.integers(0, dims[-1], size=p["N"]).astype(np.int64)}
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:])):
            bound = 1 / math.sqrt(fan_in)
            d[f"{2 * i}.weight"] = _uniform(rng, (fan_out, fan_in), dtype, bound)
            d[f"{2 * i}.bias"] = _uniform(rng, (fan_out,), dtype, bound)
        a, closest = d["x"].astype(np.float64), np.inf
        for i in range(len(dims) - 2):                 # the hidden layers, in float64
            z = a @ d[f"{2 * i}.weight"].T.astype(np.float64) + d[f"{2 * i}.bias"]
            closest = min(closest, np.abs(z).min())
            a = np.maximum(z, 0)
        if closest > 1e-5:
            return d
    raise RuntimeError("mlp_step: no seed keeps the pre-activations away from 0")


def _mlp_names(dims):
    return [f"{2 * i}.{kind}" for i in range(len(dims) - 1) for kind in ("weight", "bias")]


def _mlp_loss(xp, P, x, y):
    a = x
    n_layers = len(P) // 2
    for i in range(n_layers):
        a = _linear(xp, a, P[2 * i], P[2 * i + 1])
        if i < n_layers - 1:
            a = _relu(xp, a)
    return _cross_entropy(xp, a, y)


def _mlp_factory(lib_name):
    def factory(p, data, backward):
        dims, names = p["dims"], _mlp_names(p["dims"])
        if lib_name in ("minidl", "torch"):
            def make(nn):
                layers = []
                for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
                    layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(dims) - 2 else [])
                return nn.Sequential(*layers)
            return _training_bench(lib_name, make, None, data, names)
        if lib_name in ("jax", "autograd"):
            return _functional_training_bench(lib_name, _mlp_loss, data, names,
                                              "layers written out, SGD written out")
        return _mlp_mygrad(p, data)
    return factory


def _mlp_mygrad(p, data):
    import mygrad as mg
    from mygrad.nnet import relu, softmax_crossentropy
    n_layers = len(p["dims"]) - 1
    Ws = [mg.tensor(data[f"{2 * i}.weight"]) for i in range(n_layers)]
    bs = [mg.tensor(data[f"{2 * i}.bias"]) for i in range(n_layers)]
    x, y = mg.tensor(data["x"], constant=True), data["y"]
    opt = _ManualSGD(Ws + bs, lambda t: t.data)

    def step():
        a = x
        for i in range(n_layers):
            a = a @ Ws[i].T + bs[i]
            if i < n_layers - 1:
                a = relu(a)
        loss = softmax_crossentropy(a, y)
        loss.backward()
        opt.step()
        return loss

    def probe():
        loss = step()
        return [np.array(loss.data), np.array(Ws[0].grad)]
    return Bench(step, probe, "layers written out; fused softmax_crossentropy; manual SGD")


# --------------------------------------------------------------------------- cnn_step
_CNN_NAMES = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
              "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")


def _cnn_data(p, dtype):
    """The article's CNN (minidl.models.CNN) on N images of S×S, PyTorch's default init."""
    rng = _rng(8)
    S, N = p["S"], p["N"]
    flat = 64 * (((S - 2) // 2 - 2) // 2) ** 2
    shapes = {"conv1.weight": (32, 1, 3, 3), "conv1.bias": (32,), "conv2.weight": (64, 32, 3, 3),
              "conv2.bias": (64,), "fc1.weight": (128, flat), "fc1.bias": (128,),
              "fc2.weight": (10, 128), "fc2.bias": (10,)}
    fan_in = {"conv1": 9, "conv2": 32 * 9, "fc1": flat, "fc2": 128}
    d = {k: _uniform(rng, s, dtype, 1 / math.sqrt(fan_in[k.split(".")[0]]))
         for k, s in shapes.items()}
    d["x"] = rng.random((N, 1, S, S)).astype(dtype)
    d["y"] = rng.integers(0, 10, size=N).astype(np.int64)
    return d


def _cnn_loss(xp, P, x, y):
    c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b = P
    a = _pool(xp, _relu(xp, _conv(xp, x, c1w, c1b)), "max")
    a = _pool(xp, _relu(xp, _conv(xp, a, c2w, c2b)), "max")
    a = xp.reshape(a, (a.shape[0], -1))
    return _cross_entropy(xp, _linear(xp, _relu(xp, _linear(xp, a, f1w, f1b)), f2w, f2b), y)


def _cnn_factory(lib_name):
    def factory(p, data, backward):
        if lib_name == "minidl":
            from minidl.models import CNN
            return _training_bench("minidl", lambda nn: CNN(input_size=p["S"]), None, data,
                                   _CNN_NAMES, "minidl.models.CNN")
        if lib_name == "torch":
            import torch

            class TorchCNN(torch.nn.Module):          # the same layers and names as CNN
                def __init__(self):
                    super().__init__()
                    self.conv1, self.conv2 = torch.nn.Conv2d(1, 32, 3), torch.nn.Conv2d(32, 64, 3)
                    self.fc1 = torch.nn.Linear(data["fc1.weight"].shape[1], 128)
                    self.fc2 = torch.nn.Linear(128, 10)

                def forward(self, x):
                    F = torch.nn.functional
                    x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                    x = F.max_pool2d(F.relu(self.conv2(x)), 2)
                    return self.fc2(F.relu(self.fc1(x.flatten(1))))
            return _training_bench("torch", lambda nn: TorchCNN(), None, data, _CNN_NAMES)
        if lib_name in ("jax", "autograd"):
            note = ("lax.conv_general_dilated" if lib_name == "jax" else "conv as 9 tensordots")
            return _functional_training_bench(lib_name, _cnn_loss, data, _CNN_NAMES,
                                              note + ", pooling by reshape, SGD written out")
        return _cnn_mygrad(data)
    return factory


def _cnn_mygrad(data):
    import mygrad as mg
    from mygrad.nnet import conv_nd, max_pool, relu, softmax_crossentropy
    P = [mg.tensor(data[k]) for k in _CNN_NAMES]
    x, y = mg.tensor(data["x"], constant=True), data["y"]
    opt = _ManualSGD(P, lambda t: t.data)

    def step():
        c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b = P

        def conv_relu_pool(a, w, b):
            a = relu(conv_nd(a, w, stride=1) + b.reshape(1, -1, 1, 1))
            H, W = a.shape[2] // 2 * 2, a.shape[3] // 2 * 2    # max_pool wants whole windows
            return max_pool(a[:, :, :H, :W], (2, 2), 2)
        a = conv_relu_pool(conv_relu_pool(x, c1w, c1b), c2w, c2b)
        a = a.reshape(a.shape[0], -1)
        loss = softmax_crossentropy(relu(a @ f1w.T + f1b) @ f2w.T + f2b, y)
        loss.backward()
        opt.step()
        return loss

    def probe():
        loss = step()
        return [np.array(loss.data), np.array(P[0].grad)]
    return Bench(step, probe, "conv_nd, max_pool, softmax_crossentropy; manual SGD")


# --------------------------------------------------------------------------- conv2d
def _conv_data(p, dtype):
    rng = _rng(3)
    N, C_in, H, W, C_out, k = p["N"], p["C_in"], p["H"], p["W"], p["C_out"], p["k"]
    bound = 1 / math.sqrt(C_in * k * k)
    return {"x": rng.standard_normal((N, C_in, H, W)).astype(dtype),
            "w": _uniform(rng, (C_out, C_in, k, k), dtype, bound),
            "b": _uniform(rng, (C_out,), dtype, bound),
            "g": rng.standard_normal((N, C_out, H - k + 1, W - k + 1)).astype(dtype)}


def _conv_flops(p):
    """Forward GEMM 2·N·C_out·H'·W'·C_in·k², and two GEMMs of that size in the backward
    (the gradients of x and w): 3× in all; the bias is ignored."""
    H_out, W_out = p["H"] - p["k"] + 1, p["W"] - p["k"] + 1
    return 3 * 2.0 * p["N"] * p["C_out"] * H_out * W_out * p["C_in"] * p["k"] ** 2


def _conv_factory(lib_name):
    def factory(p, data, backward):
        if lib_name in ("jax", "autograd"):
            return _functional_bench(lib_name, _conv, [data["x"], data["w"], data["b"]],
                                     data["g"], backward,
                                     "lax.conv_general_dilated" if lib_name == "jax"
                                     else "k·k tensordots, one per kernel offset")

        def build(lib, T):
            x, w, b = T["x"], T["w"], T["b"]
            if lib_name == "minidl":
                import minidl.functional as F
                return (lambda: F.conv2d(x, w, b)), []
            if lib_name == "torch":
                F = lib.torch.nn.functional
                return (lambda: F.conv2d(x, w, b)), []
            from mygrad.nnet import conv_nd
            return (lambda: conv_nd(x, w, stride=1) + b.reshape(1, -1, 1, 1)), []
        return _tape_bench(lib_name, build, data, ("x", "w", "b"), backward,
                           "conv_nd + bias" if lib_name == "mygrad" else "")
    return factory


def _conv_reference(p, data, backward):
    import minidl.reference as ref
    return _reference_bench(lambda: ref.conv2d(data["x"], data["w"], data["b"]))


# --------------------------------------------------------------------------- pooling
def _pool_data(p, dtype):
    rng = _rng(4)
    N, C, H, W = p["N"], p["C"], p["H"], p["W"]
    return {"x": rng.standard_normal((N, C, H, W)).astype(dtype),     # ties have probability 0
            "g": rng.standard_normal((N, C, H // 2, W // 2)).astype(dtype)}


def _pool_factory(kind):
    def make(lib_name):
        def factory(p, data, backward):
            if lib_name in ("jax", "autograd"):
                return _functional_bench(lib_name, lambda xp, x: _pool(xp, x, kind), [data["x"]],
                                         data["g"], backward, f"reshape into windows + {kind}")

            def build(lib, T):
                x = T["x"]
                if lib_name == "minidl":
                    import minidl.functional as F
                    op = getattr(F, f"{kind}_pool2d")
                    return (lambda: op(x, 2)), []
                if lib_name == "torch":
                    op = getattr(lib.torch.nn.functional, f"{kind}_pool2d")
                    return (lambda: op(x, 2)), []
                if kind == "max":
                    from mygrad.nnet import max_pool
                    return (lambda: max_pool(x, (2, 2), 2)), []
                N, C, H, W = x.shape        # MyGrad has no average pooling: windows by reshape
                return (lambda: x.reshape(N, C, H // 2, 2, W // 2, 2).mean(axis=(3, 5))), []
            note = ""
            if lib_name == "mygrad":
                note = "max_pool" if kind == "max" else "reshape + mean (no avg pool op)"
            return _tape_bench(lib_name, build, data, ("x",), backward, note)
        return factory
    return make


def _pool_reference(kind):
    def factory(p, data, backward):
        import minidl.reference as ref
        op = getattr(ref, f"{kind}_pool2d")
        return _reference_bench(lambda: op(data["x"], 2))
    return factory


# --------------------------------------------------------------------------- lstm
_LSTM_PARAMS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _lstm_data(p, dtype):
    rng = _rng(5)
    N, L, D, H = p["N"], p["L"], p["D"], p["H"]
    bound = 1 / math.sqrt(H)
    return {"x": rng.standard_normal((N, L, D)).astype(dtype),
            "weight_ih_l0": _uniform(rng, (4 * H, D), dtype, bound),
            "weight_hh_l0": _uniform(rng, (4 * H, H), dtype, bound),
            "bias_ih_l0": _uniform(rng, (4 * H,), dtype, bound),
            "bias_hh_l0": _uniform(rng, (4 * H,), dtype, bound),
            "g": rng.standard_normal((N, L, H)).astype(dtype)}


def _lstm_factory(lib_name):
    def factory(p, data, backward):
        D, H = p["D"], p["H"]
        weights = {k: data[k] for k in _LSTM_PARAMS}
        inputs = {"x": data["x"], "g": data["g"]}
        if lib_name in ("jax", "autograd"):
            return _functional_bench(lib_name, _lstm_formula,
                                     [data["x"]] + [data[k] for k in _LSTM_PARAMS], data["g"],
                                     backward, "the cell written out" +
                                     (", lax.scan over time" if lib_name == "jax" else
                                      ", a Python loop over time"))
        if lib_name == "mygrad":
            def build(lib, T):
                W = [lib.mg.tensor(weights[k], constant=not backward) for k in _LSTM_PARAMS]
                return (lambda: _lstm_formula(lib.mg, T["x"], *W)), W
            return _tape_bench(lib_name, build, inputs, ("x",), backward,
                               "the cell written out, a Python loop over time")

        def build(lib, T):
            if lib_name == "minidl":
                import minidl.nn as nn
            else:
                nn = lib.torch.nn
            m = nn.LSTM(D, H, batch_first=True).to(lib.tensor(data["x"], False).dtype)
            m.load_state_dict({k: lib.tensor(v, False) for k, v in weights.items()})
            params = dict(m.named_parameters())
            return (lambda: m(T["x"])[0]), [params[k] for k in _LSTM_PARAMS]
        return _tape_bench(lib_name, build, inputs, ("x",), backward)
    return factory


def _lstm_reference(p, data, backward):
    import minidl.reference as ref
    W = [data[k] for k in _LSTM_PARAMS]

    def run():
        x = data["x"]
        N, L, _ = x.shape
        h = c = np.zeros((N, p["H"]), x.dtype)
        outs = []
        for t in range(L):
            h, c = ref.lstm_cell(x[:, t], (h, c), *W)
            outs.append(h)
        return np.stack(outs, axis=1)
    return _reference_bench(run, "reference.lstm_cell looped over the time steps")


# --------------------------------------------------------------------------- sdpa
def _sdpa_data(p, dtype):
    rng = _rng(6)
    N, h, L, E = p["N"], p["h"], p["L"], p["E"]
    return {"q": rng.standard_normal((N, h, L, E)).astype(dtype),
            "k": rng.standard_normal((N, h, L, E)).astype(dtype),
            "v": rng.standard_normal((N, h, L, E)).astype(dtype),
            "g": rng.standard_normal((N, h, L, E)).astype(dtype)}


def _sdpa_flops(p):
    """q kᵀ and P v forward (2 GEMMs of 2·N·h·L·L·E), four of that size backward; the
    softmax is not counted."""
    return 6 * 2.0 * p["N"] * p["h"] * p["L"] * p["L"] * p["E"]


def _sdpa_factory(lib_name):
    def factory(p, data, backward):
        args = [data["q"], data["k"], data["v"]]
        if lib_name in ("jax", "autograd"):
            return _functional_bench(lib_name, _sdpa_formula, args, data["g"], backward,
                                     "softmax(q kᵀ·scale) v written out")

        def build(lib, T):
            q, k, v = T["q"], T["k"], T["v"]
            if lib_name == "minidl":
                import minidl.functional as F
                return (lambda: F.scaled_dot_product_attention(q, k, v)), []
            if lib_name == "torch":
                F = lib.torch.nn.functional
                return (lambda: F.scaled_dot_product_attention(q, k, v)), []
            from mygrad.nnet import softmax
            scale = data["q"].dtype.type(1 / math.sqrt(p["E"]))
            return (lambda: softmax(q @ lib.mg.swapaxes(k, -1, -2) * scale, axis=-1) @ v), []
        return _tape_bench(lib_name, build, data, ("q", "k", "v"), backward,
                           "softmax(q kᵀ·scale) v written out" if lib_name == "mygrad" else "")
    return factory


def _sdpa_reference(p, data, backward):
    import minidl.reference as ref
    return _reference_bench(lambda: ref.scaled_dot_product_attention(data["q"], data["k"],
                                                                     data["v"]))


# --------------------------------------------------------------------------- mha, encoder
_MHA_PARAMS = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")
_ENC_PARAMS = tuple("self_attn." + k for k in _MHA_PARAMS) + (
    "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
    "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")


def _mha_arrays(rng, E, dtype, prefix=""):
    bound_in = math.sqrt(6 / (E + 3 * E))            # xavier_uniform on (3E, E), as PyTorch
    return {prefix + "in_proj_weight": _uniform(rng, (3 * E, E), dtype, bound_in),
            prefix + "in_proj_bias": _uniform(rng, (3 * E,), dtype, 0.1),
            prefix + "out_proj.weight": _uniform(rng, (E, E), dtype, 1 / math.sqrt(E)),
            prefix + "out_proj.bias": _uniform(rng, (E,), dtype, 0.1)}


def _mha_data(p, dtype):
    rng = _rng(7)
    N, L, E = p["N"], p["L"], p["E"]
    d = {"x": rng.standard_normal((N, L, E)).astype(dtype)}
    d.update(_mha_arrays(rng, E, dtype))
    d["g"] = rng.standard_normal((N, L, E)).astype(dtype)
    return d


def _mha_flops(p):
    """in_proj (2·N·L·E·3E) and out_proj (2·N·L·E·E), 3× for forward and backward, plus
    the attention's 12·N·L²·E (see :func:`_sdpa_flops`)."""
    N, L, E = p["N"], p["L"], p["E"]
    return 3 * (2.0 * N * L * E * 3 * E + 2.0 * N * L * E * E) + 12.0 * N * L * L * E


def _encoder_data(p, dtype):
    rng = _rng(9)
    N, L, E, F = p["N"], p["L"], p["E"], p["ff"]
    d = {"x": rng.standard_normal((N, L, E)).astype(dtype)}
    d.update(_mha_arrays(rng, E, dtype, "self_attn."))
    d.update({"linear1.weight": _uniform(rng, (F, E), dtype, 1 / math.sqrt(E)),
              "linear1.bias": _uniform(rng, (F,), dtype, 1 / math.sqrt(E)),
              "linear2.weight": _uniform(rng, (E, F), dtype, 1 / math.sqrt(F)),
              "linear2.bias": _uniform(rng, (E,), dtype, 1 / math.sqrt(F)),
              "norm1.weight": 1 + _uniform(rng, (E,), dtype, 0.1),
              "norm1.bias": _uniform(rng, (E,), dtype, 0.1),
              "norm2.weight": 1 + _uniform(rng, (E,), dtype, 0.1),
              "norm2.bias": _uniform(rng, (E,), dtype, 0.1),
              "g": rng.standard_normal((N, L, E)).astype(dtype)})
    return d


def _module_factory(kind, names):
    """nn.MultiheadAttention (kind "mha") or nn.TransformerEncoderLayer ("encoder") on
    (N, L, E), batch_first; gradients of x and of the parameters in ``names``' order."""
    def make(lib_name):
        def factory(p, data, backward):
            E, h = p["E"], p["h"]
            inputs = {"x": data["x"], "g": data["g"]}
            W = [data[k] for k in names]
            if kind == "mha":
                formula = lambda xp, x, *W: _mha_formula(xp, x, *W, heads=h)     # noqa: E731
            else:
                formula = lambda xp, x, *W: _encoder_formula(xp, x, *W, heads=h)  # noqa: E731
            if lib_name in ("jax", "autograd"):
                return _functional_bench(lib_name, formula, [data["x"]] + W, data["g"],
                                         backward, "written out with matmul and softmax")
            if lib_name == "mygrad":
                def build(lib, T):
                    P = [lib.mg.tensor(a, constant=not backward) for a in W]
                    return (lambda: formula(lib.mg, T["x"], *P)), P
                return _tape_bench(lib_name, build, inputs, ("x",), backward,
                                   "written out with matmul and softmax")

            def build(lib, T):
                if lib_name == "minidl":
                    import minidl.nn as nn
                else:
                    nn = lib.torch.nn
                if kind == "mha":
                    m = nn.MultiheadAttention(E, h, batch_first=True)
                    call = lambda x: m(x, x, x, need_weights=False)[0]            # noqa: E731
                else:
                    m = nn.TransformerEncoderLayer(E, h, p["ff"], dropout=0.0, batch_first=True)
                    call = m
                m = m.to(lib.tensor(data["x"], False).dtype)
                m.load_state_dict({k: lib.tensor(data[k], False) for k in names})
                params = dict(m.named_parameters())
                return (lambda: call(T["x"])), [params[k] for k in names]
            return _tape_bench(lib_name, build, inputs, ("x",), backward)
        return factory
    return make


def _mha_reference(p, data, backward):
    import minidl.reference as ref
    W = [data[k] for k in _MHA_PARAMS]
    x = data["x"]
    return _reference_bench(lambda: ref.multi_head_attention(
        x, x, x, p["h"], *W, need_weights=False, batch_first=True)[0])


# --------------------------------------------------------------------------- gemm
def _gemm_data(p, dtype):
    rng = _rng(10)
    n = p["n"]
    return {"a": rng.standard_normal((n, n)).astype(dtype),
            "b": rng.standard_normal((n, n)).astype(dtype)}


def _gemm_factory(lib_name):
    """a @ b, forward only: the machine's matmul peak as each library reaches it."""
    def factory(p, data, backward):
        if lib_name in ("jax", "autograd"):
            return _functional_bench(lib_name, lambda xp, a, b: a @ b, [data["a"], data["b"]],
                                     None, False)

        def build(lib, T):
            a, b = T["a"], T["b"]
            return (lambda: a @ b), []
        return _tape_bench(lib_name, build, data, (), False,
                           "NumPy's matmul under the Tensor" if lib_name == "minidl" else "")
    return factory


# --------------------------------------------------------------------------- the list
_LIBRARIES = ("minidl", "torch", "jax", "autograd", "mygrad")


def _all(make, who=_LIBRARIES):
    return {name: make(name) for name in who}


def _small_fwd(case, small, tiny, reference):
    """The forward-only companion of ``case`` on a size the literal loops can finish."""
    factories = dict(case.factories)
    factories["reference"] = reference
    return Case(name=f"{case.name}/small", description=case.description.split(";")[0]
                + "; forward only, small", dtype=case.dtype, target=None,
                sizes={"full": small, "tiny": tiny}, make_data=case.make_data,
                factories=factories, backward=False, group="small")


# The table: (case name, target ratio minidl/torch at 1 thread and at the default).
TARGETS = {"conv2d": 1.6, "conv2d_f64": 1.1, "max_pool": 1.0, "avg_pool": 1.0, "cnn_step": 1.8,
           "lstm": 2.0, "sdpa": 2.0, "mha": 1.5, "op_chain": 0.7, "conv_tour": 0.8,
           "enc_tour": 1.0, "mlp_step": None}


def build_cases():
    """The table's cases, each followed by its small forward-only companion where there
    is a literal reference loop, then the matmul peak."""
    cases = []
    conv = "conv2d ({N},{C_in},{H},{W})×({C_out},{C_in},{k},{k}) + bias; fwd+bwd"
    conv_sizes = {"full": dict(N=64, C_in=32, H=26, W=26, C_out=64, k=3),
                  "tiny": dict(N=2, C_in=3, H=6, W=6, C_out=4, k=3)}
    c = Case("conv2d", conv, "float32", TARGETS["conv2d"], conv_sizes, _conv_data,
             _all(_conv_factory), flops=_conv_flops)
    cases += [c, _small_fwd(c, dict(N=2, C_in=4, H=10, W=10, C_out=8, k=3),
                            dict(N=1, C_in=2, H=5, W=5, C_out=2, k=3), _conv_reference)]
    cases.append(Case("conv2d_f64", conv, "float64", TARGETS["conv2d_f64"], conv_sizes,
                      _conv_data, _all(_conv_factory), flops=_conv_flops))

    pool_sizes = {"full": dict(N=64, C=64, H=24, W=24), "tiny": dict(N=2, C=3, H=6, W=6)}
    for kind in ("max", "avg"):
        c = Case(f"{kind}_pool", kind + "_pool2d 2×2 on ({N},{C},{H},{W}); fwd+bwd", "float32",
                 TARGETS[f"{kind}_pool"], pool_sizes, _pool_data, _all(_pool_factory(kind)))
        cases += [c, _small_fwd(c, dict(N=2, C=8, H=12, W=12), dict(N=1, C=2, H=4, W=4),
                                _pool_reference(kind))]

    cases.append(Case("cnn_step", "the article's CNN on ({N},1,{S},{S}), cross-entropy, "
                      "SGD step with zero_grad", "float32", TARGETS["cnn_step"],
                      {"full": dict(N=64, S=28), "tiny": dict(N=2, S=14)}, _cnn_data,
                      _all(_cnn_factory)))

    c = Case("lstm", "nn.LSTM({D}, {H}) on ({N},{L},{D}) batch_first; fwd+bwd", "float32",
             TARGETS["lstm"], {"full": dict(N=64, L=28, D=28, H=128),
                               "tiny": dict(N=2, L=3, D=4, H=5)},
             _lstm_data, _all(_lstm_factory))
    cases += [c, _small_fwd(c, dict(N=4, L=8, D=28, H=16), dict(N=1, L=2, D=3, H=2),
                            _lstm_reference)]

    c = Case("sdpa", "scaled_dot_product_attention q, k, v ({N},{h},{L},{E}); fwd+bwd",
             "float32", TARGETS["sdpa"], {"full": dict(N=32, h=8, L=128, E=32),
                                          "tiny": dict(N=2, h=2, L=4, E=3)},
             _sdpa_data, _all(_sdpa_factory), flops=_sdpa_flops)
    cases += [c, _small_fwd(c, dict(N=2, h=2, L=16, E=8), dict(N=1, h=1, L=3, E=2),
                            _sdpa_reference)]

    c = Case("mha", "nn.MultiheadAttention({E}, {h}) self-attention on ({N},{L},{E}) "
             "batch_first; fwd+bwd", "float32", TARGETS["mha"],
             {"full": dict(N=32, L=128, E=256, h=8), "tiny": dict(N=2, L=3, E=4, h=2)},
             _mha_data, _all(_module_factory("mha", _MHA_PARAMS)), flops=_mha_flops)
    cases += [c, _small_fwd(c, dict(N=2, L=8, E=16, h=2), dict(N=1, L=2, E=4, h=2),
                            _mha_reference)]

    cases.append(Case("op_chain", "100 tiny elementwise ops (mul, add, tanh, mul) on ({n},); "
                      "fwd+bwd", "float32", TARGETS["op_chain"],
                      {"full": {"n": 16}, "tiny": {"n": 4}}, _op_overhead_data,
                      _all(_op_overhead_factory)))
    cases.append(Case("conv_tour", conv, "float32", TARGETS["conv_tour"],
                      {"full": dict(N=32, C_in=1, H=28, W=28, C_out=32, k=3),
                       "tiny": dict(N=2, C_in=1, H=6, W=6, C_out=2, k=3)},
                      _conv_data, _all(_conv_factory), flops=_conv_flops))
    cases.append(Case("enc_tour", "nn.TransformerEncoderLayer({E}, {h}, {ff}, dropout=0) on "
                      "({N},{L},{E}) batch_first; fwd+bwd", "float32", TARGETS["enc_tour"],
                      {"full": dict(N=16, L=8, E=64, h=4, ff=128),
                       "tiny": dict(N=2, L=3, E=4, h=2, ff=6)},
                      _encoder_data, _all(_module_factory("encoder", _ENC_PARAMS))))
    cases.append(Case("mlp_step", "MLP {dims} ReLU, batch {N}, cross-entropy, SGD step with "
                      "zero_grad", "float32", TARGETS["mlp_step"],
                      {"full": {"N": 64, "dims": (784, 256, 128, 10)},
                       "tiny": {"N": 4, "dims": (12, 8, 6, 3)}},
                      _mlp_data, _all(_mlp_factory)))
    for dtype in ("float32", "float64"):
        cases.append(Case(f"gemm_f{dtype[-2:]}", "matmul ({n},{n}) @ ({n},{n}); forward only",
                          dtype, None, {"full": {"n": 1024}, "tiny": {"n": 16}}, _gemm_data,
                          _all(_gemm_factory, ("minidl", "torch", "jax")), backward=False,
                          group="gemm", flops=lambda p: 2.0 * p["n"] ** 3))
    return cases


#: The scaling curves: name -> (base case, the other parameters at full size, the varied
#: parameter, its values at full size, at tiny size). The fixed parameters are chosen so
#: that the largest point costs about as much as the table's case.
CURVES = {
    "conv2d vs batch": ("conv2d", {}, "N", (4, 8, 16, 32, 64), (1, 2, 3, 4, 5)),
    "conv2d vs image": ("conv2d", {"N": 16}, "H", (8, 13, 18, 26, 38), (4, 5, 6, 7, 8)),
    "sdpa vs length": ("sdpa", {"N": 8}, "L", (32, 64, 128, 256), (2, 3, 4, 5)),
    "lstm vs length": ("lstm", {"N": 16}, "L", (7, 14, 28, 56, 112), (1, 2, 3, 4, 5)),
}


def build_curves(cases=None):
    """One case per point of each scaling curve (``group`` = the curve's name); the
    image-size curve varies H and W together."""
    by_name = {c.name: c for c in (build_cases() if cases is None else cases)}
    out = []
    for curve, (base_name, fixed, param, full_values, tiny_values) in CURVES.items():
        base = by_name[base_name]
        for fv, tv in zip(full_values, tiny_values):
            sizes = {}
            for size, v in (("full", fv), ("tiny", tv)):
                p = dict(base.sizes[size])
                if size == "full":
                    p.update(fixed)
                p.update({param: v, "W": v} if param == "H" else {param: v})
                sizes[size] = p
            factories = {k: f for k, f in base.factories.items() if k != "reference"}
            out.append(Case(f"{base_name}@{param}={fv}", base.description, base.dtype, None,
                            sizes, base.make_data, factories, backward=base.backward,
                            group=curve, flops=base.flops, curve_x=fv))
    return out


def select_cases(cases, names=None):
    """The cases named in ``names`` (a case name also selects its /small companion).

    Raises:
        ValueError: a name that is not a case.
    """
    if not names:
        return list(cases)
    known = {c.name for c in cases}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown case(s) {unknown}; known: {sorted(known)}")
    return [c for c in cases if c.name in names or c.name.split("/")[0] in names]


def all_cases():
    """Every case the harness knows: the table's, the matmul peak and the curves' points."""
    cases = build_cases()
    return cases + build_curves(cases)


def find_case(name):
    for c in all_cases():
        if c.name == name:
            return c
    raise ValueError(f"unknown case {name!r}")
