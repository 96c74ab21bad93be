"""The benchmark cases: the same work written once per contender.

A *case* is one piece of work (e.g. a conv2d forward and backward on fixed shapes). For
each *contender* (``minidl``, ``torch``, ``mygrad``, ``reference``) it has a factory that
builds that contender's tensors from the same NumPy arrays and returns a :class:`Bench`:

* ``step()`` does the timed work once (forward, and backward with a fixed random upstream
  gradient unless the case is forward only);
* ``probe()`` does it once more and returns NumPy arrays ``[output, grad_1, grad_2, ...]``
  (the gradients in a fixed order shared by all contenders), so the harness can check
  that the contenders really computed the same thing.

A factory that cannot run because the library or the op is missing raises ImportError,
AttributeError or NotImplementedError; the harness reports the contender as
"unavailable" and goes on.

Every case has a ``full`` size (the one the targets refer to) and a ``tiny`` size (for
the smoke test). Cases whose op has a literal reference in ``minidl.reference`` get a
companion ``<case>/small-fwd``: forward only, on a size the scalar loops can finish, with
every contender timed on that same size so the ratios still mean something.

Shape legend: N batch, C_in/C_out channels, H/W height/width, L target length, S source
length, E embedding, h heads.
"""
import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

CONTENDERS = ("minidl", "torch", "mygrad", "reference")


@dataclass
class Bench:
    step: Callable[[], object]
    probe: Callable[[], list]
    note: str = ""


@dataclass
class Case:
    name: str
    description: str
    dtype: str
    target: Optional[float]                      # wanted minidl / torch ratio (not asserted)
    sizes: dict                                  # "full" / "tiny" -> parameters
    make_data: Callable[[dict, np.dtype], dict]  # parameters, dtype -> named NumPy arrays
    factories: dict = field(default_factory=dict)  # contender -> (params, data, backward) -> Bench
    backward: bool = True
    parent: Optional[str] = None                 # for the /small-fwd companions

    def describe(self, size="full"):
        return self.description.format(**self.sizes[size])


# --------------------------------------------------------------------------- adapters
# What differs between the autograd libraries, so that a case is one forward formula
# per library and the rest (clearing grads, backward, reading results) is shared.

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
        out.backward(g)

    def numpy(self, t):
        return np.array(t.data)

    def grad(self, t):
        return None if t.grad is None else np.array(t.grad)


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
        out.backward(g)

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
        return np.array(t.data)

    def grad(self, t):
        return None if t.grad is None else np.array(t.grad)


_LIBS = {"minidl": _MinidlLib, "torch": _TorchLib, "mygrad": _MygradLib}


def _autograd_bench(lib_name, build, data, grad_names, backward, note=""):
    """A Bench for "out = forward(); out.backward(g)" in one autograd library.

    ``build(lib, T)`` gets the library adapter and the tensors made from ``data`` (those
    named in ``grad_names`` require grad) and returns ``(forward, params)``: a callable
    computing the output, and the list of extra leaves (module parameters) whose
    gradients are cleared and probed, in the order shared by all contenders.
    """
    lib = _LIBS[lib_name]()
    g = data.get("g")
    if backward and lib_name == "torch":
        g = lib.torch.from_numpy(g)
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


def _reference_bench(fn):
    """A Bench for a forward-only NumPy function (the literal references)."""
    def probe():
        return [np.asarray(fn())]
    return Bench(fn, probe)


def _rng_data(seed=0):
    return np.random.default_rng(seed)


def _uniform(rng, shape, dtype, bound=1.0):
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


# --------------------------------------------------------------------------- op_overhead
# A chain of 100 tiny elementwise ops: what is timed is the per-op cost of the engine
# (Python dispatch, graph bookkeeping), not arithmetic.

_CHAIN_LINKS = 25            # 4 ops per link: mul, add, tanh, mul by a constant


def _op_overhead_data(p, dtype):
    rng = _rng_data(1)
    return {"x": _uniform(rng, (p["n"],), dtype), "w": _uniform(rng, (p["n"],), dtype),
            "g": np.ones(p["n"], dtype)}  # ones: the chain is summed, as in y.sum().backward()


def _op_overhead_factory(lib_name):
    def factory(p, data, backward):
        def build(lib, T):
            x, w = T["x"], T["w"]
            tanh = lib.mg.tanh if lib_name == "mygrad" else (lambda t: t.tanh())
            half = np.dtype(data["x"].dtype).type(0.5)   # a scalar of the tensor's dtype

            def forward():
                y = x
                for _ in range(_CHAIN_LINKS):
                    y = tanh(y * w + x) * half
                return y
            return forward, []
        return _autograd_bench(lib_name, build, data, ("x", "w"), backward)
    return factory


# --------------------------------------------------------------------------- mlp_step
def _mlp_data(p, dtype):
    """Input, labels and weights; drawn again until no hidden pre-activation is within
    1e-5 of the ReLU's kink, where float32 rounding could flip the mask in one library
    and not in another (and the outputs check would report a false mismatch)."""
    dims = p["dims"]
    for seed in range(2, 100):
        rng = _rng_data(seed)
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


_LR = 0.01


def _mlp_minidl(p, data, backward):
    import minidl as md
    import minidl.functional as F
    import minidl.nn as nn
    dims = p["dims"]
    layers = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(dims) - 2 else [])
    model = nn.Sequential(*layers).to(data["x"].dtype)
    model.load_state_dict({k: v for k, v in data.items() if "." in k})
    note = ""
    try:
        import minidl.optim as optim
        opt = optim.SGD(model.parameters(), lr=_LR)
    except (ImportError, AttributeError):
        note = "manual SGD update (minidl.optim.SGD not available)"
        opt = _ManualSGD(list(model.parameters()), lambda p: p.data)
    x, y = md.tensor(data["x"]), md.tensor(data["y"])

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    def probe():
        W0 = model[0].weight
        loss = step()
        return [np.array(loss.data), None if W0.grad is None else np.array(W0.grad)]
    return Bench(step, probe, note)


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


def _mlp_torch(p, data, backward):
    import torch
    dims = p["dims"]
    layers = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(dims) - 2 else [])
    model = torch.nn.Sequential(*layers).to(torch.from_numpy(data["x"]).dtype)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in data.items() if "." in k})
    opt = torch.optim.SGD(model.parameters(), lr=_LR)
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    def probe():
        loss = step()
        return [loss.detach().numpy().copy(), model[0].weight.grad.numpy().copy()]
    return Bench(step, probe)


def _mlp_mygrad(p, data, backward):
    import mygrad as mg
    from mygrad.nnet import relu, softmax_crossentropy
    n_layers = len(p["dims"]) - 1
    Ws = [mg.tensor(data[f"{2 * i}.weight"]) for i in range(n_layers)]
    bs = [mg.tensor(data[f"{2 * i}.bias"]) for i in range(n_layers)]
    x, y = mg.tensor(data["x"], constant=True), data["y"]
    opt = _ManualSGD(Ws + bs, lambda t: t.data)
    opt.zero_grad = lambda: None            # MyGrad replaces .grad on every backward

    def step():
        opt.zero_grad()
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


# --------------------------------------------------------------------------- conv2d
def _conv_data(p, dtype):
    rng = _rng_data(3)
    N, C_in, H, W, C_out, k = p["N"], p["C_in"], p["H"], p["W"], p["C_out"], p["k"]
    bound = 1 / math.sqrt(C_in * k * k)
    return {"x": rng.standard_normal((N, C_in, H, W)).astype(dtype),
            "w": _uniform(rng, (C_out, C_in, k, k), dtype, bound),
            "b": _uniform(rng, (C_out,), dtype, bound),
            "g": rng.standard_normal((N, C_out, H - k + 1, W - k + 1)).astype(dtype)}


def _conv_factory(lib_name):
    def factory(p, data, backward):
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
        return _autograd_bench(lib_name, build, data, ("x", "w", "b"), backward,
                               "conv_nd + bias" if lib_name == "mygrad" else "")
    return factory


def _conv_reference(p, data, backward):
    import minidl.reference as ref
    return _reference_bench(lambda: ref.conv2d(data["x"], data["w"], data["b"]))


# --------------------------------------------------------------------------- pooling
def _pool_data(p, dtype):
    rng = _rng_data(4)
    N, C, H, W = p["N"], p["C"], p["H"], p["W"]
    return {"x": rng.standard_normal((N, C, H, W)).astype(dtype),     # ties have probability 0
            "g": rng.standard_normal((N, C, H // 2, W // 2)).astype(dtype)}


def _pool_factory(kind, lib_name):
    def factory(p, data, backward):
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
            note = "max_pool" if kind == "max" else "composed: reshape + mean (no avg pool op)"
        return _autograd_bench(lib_name, build, data, ("x",), backward, note)
    return factory


def _pool_reference(kind):
    def factory(p, data, backward):
        import minidl.reference as ref
        op = getattr(ref, f"{kind}_pool2d")
        return _reference_bench(lambda: op(data["x"], 2))
    return factory


# --------------------------------------------------------------------------- lstm
def _lstm_data(p, dtype):
    rng = _rng_data(5)
    N, L, D, H = p["N"], p["L"], p["D"], p["H"]
    bound = 1 / math.sqrt(H)
    return {"x": rng.standard_normal((N, L, D)).astype(dtype),
            "weight_ih_l0": _uniform(rng, (4 * H, D), dtype, bound),
            "weight_hh_l0": _uniform(rng, (4 * H, H), dtype, bound),
            "bias_ih_l0": _uniform(rng, (4 * H,), dtype, bound),
            "bias_hh_l0": _uniform(rng, (4 * H,), dtype, bound),
            "g": rng.standard_normal((N, L, H)).astype(dtype)}


_LSTM_PARAMS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _lstm_factory(lib_name):
    def factory(p, data, backward):
        D, H = p["D"], p["H"]
        weights = {k: data[k] for k in _LSTM_PARAMS}
        inputs = {"x": data["x"], "g": data["g"]}
        note = ""

        if lib_name == "minidl":
            import minidl.nn as nn

            def build(lib, T):
                m = nn.LSTM(D, H, batch_first=True).to(data["x"].dtype)
                m.load_state_dict(weights)
                params = dict(m.named_parameters())
                return (lambda: m(T["x"])[0]), [params[k] for k in _LSTM_PARAMS]
        elif lib_name == "torch":
            def build(lib, T):
                torch = lib.torch
                m = torch.nn.LSTM(D, H, batch_first=True).to(torch.from_numpy(data["x"]).dtype)
                m.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
                params = dict(m.named_parameters())
                return (lambda: m(T["x"])[0]), [params[k] for k in _LSTM_PARAMS]
        else:
            note = "composed: the LSTM cell written out over the time steps"

            def build(lib, T):
                mg = lib.mg
                from mygrad.nnet import sigmoid
                W = [mg.tensor(weights[k], constant=not backward) for k in _LSTM_PARAMS]
                W_ih, W_hh, b_ih, b_hh = W
                x = T["x"]

                def forward():
                    N, L, _ = x.shape
                    h = c = mg.tensor(np.zeros((N, H), data["x"].dtype), constant=True)
                    outs = []
                    for t in range(L):
                        z = x[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh     # (N, 4H)
                        i, f = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H])
                        g, o = mg.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
                        c = f * c + i * g
                        h = o * mg.tanh(c)
                        outs.append(h)
                    return mg.stack(outs, axis=1)                              # (N, L, H)
                return forward, W
        return _autograd_bench(lib_name, build, inputs, ("x",), backward, note)
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
    b = _reference_bench(run)
    b.note = "reference.lstm_cell looped over the time steps"
    return b


# --------------------------------------------------------------------------- sdpa
def _sdpa_data(p, dtype):
    rng = _rng_data(6)
    N, h, L, S, E = p["N"], p["h"], p["L"], p["L"], p["E"]
    return {"q": rng.standard_normal((N, h, L, E)).astype(dtype),
            "k": rng.standard_normal((N, h, S, E)).astype(dtype),
            "v": rng.standard_normal((N, h, S, E)).astype(dtype),
            "g": rng.standard_normal((N, h, L, E)).astype(dtype)}


def _sdpa_factory(lib_name):
    def factory(p, data, backward):
        def build(lib, T):
            q, k, v = T["q"], T["k"], T["v"]
            if lib_name == "minidl":
                import minidl.functional as F
                return (lambda: F.scaled_dot_product_attention(q, k, v)), []
            if lib_name == "torch":
                F = lib.torch.nn.functional
                return (lambda: F.scaled_dot_product_attention(q, k, v)), []
            mg = lib.mg
            from mygrad.nnet import softmax
            scale = data["q"].dtype.type(1 / math.sqrt(p["E"]))
            return (lambda: softmax(q @ mg.swapaxes(k, -1, -2) * scale, axis=-1) @ v), []
        return _autograd_bench(lib_name, build, data, ("q", "k", "v"), backward,
                               "composed: softmax(q kᵀ·scale) v" if lib_name == "mygrad" else "")
    return factory


def _sdpa_reference(p, data, backward):
    import minidl.reference as ref
    return _reference_bench(lambda: ref.scaled_dot_product_attention(data["q"], data["k"], data["v"]))


# --------------------------------------------------------------------------- mha
_MHA_PARAMS = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")


def _mha_data(p, dtype):
    rng = _rng_data(7)
    N, L, E = p["N"], p["L"], p["E"]
    bound_in = math.sqrt(6 / (E + 3 * E))            # xavier_uniform on (3E, E), as PyTorch
    return {"x": rng.standard_normal((N, L, E)).astype(dtype),
            "in_proj_weight": _uniform(rng, (3 * E, E), dtype, bound_in),
            "in_proj_bias": _uniform(rng, (3 * E,), dtype, 0.1),
            "out_proj.weight": _uniform(rng, (E, E), dtype, 1 / math.sqrt(E)),
            "out_proj.bias": _uniform(rng, (E,), dtype, 0.1),
            "g": rng.standard_normal((N, L, E)).astype(dtype)}


def _mha_factory(lib_name):
    def factory(p, data, backward):
        E, h = p["E"], p["h"]
        weights = {k: data[k] for k in _MHA_PARAMS}
        inputs = {"x": data["x"], "g": data["g"]}
        note = ""
        if lib_name == "minidl":
            import minidl.nn as nn

            def build(lib, T):
                m = nn.MultiheadAttention(E, h, batch_first=True).to(data["x"].dtype)
                m.load_state_dict(weights)
                params = dict(m.named_parameters())
                x = T["x"]
                return (lambda: m(x, x, x, need_weights=False)[0]), [params[k] for k in _MHA_PARAMS]
        elif lib_name == "torch":
            def build(lib, T):
                torch = lib.torch
                m = torch.nn.MultiheadAttention(E, h, batch_first=True)
                m = m.to(torch.from_numpy(data["x"]).dtype)
                m.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
                params = dict(m.named_parameters())
                x = T["x"]
                return (lambda: m(x, x, x, need_weights=False)[0]), [params[k] for k in _MHA_PARAMS]
        else:
            note = "composed: projections, heads by reshape, softmax(q kᵀ·scale) v"

            def build(lib, T):
                mg = lib.mg
                from mygrad.nnet import softmax
                W = [mg.tensor(weights[k], constant=not backward) for k in _MHA_PARAMS]
                W_in, b_in, W_out, b_out = W
                x = T["x"]
                d_k = E // h
                scale = data["x"].dtype.type(1 / math.sqrt(d_k))

                def forward():
                    N, L, _ = x.shape
                    qkv = x @ W_in.T + b_in                                   # (N, L, 3E)
                    q, k, v = (mg.transpose(qkv[..., i * E:(i + 1) * E].reshape(N, L, h, d_k),
                                            (0, 2, 1, 3)) for i in range(3))  # (N, h, L, d_k)
                    a = softmax(q @ mg.swapaxes(k, -1, -2) * scale, axis=-1) @ v
                    a = mg.transpose(a, (0, 2, 1, 3)).reshape(N, L, E)        # (N, L, E)
                    return a @ W_out.T + b_out
                return forward, W
        return _autograd_bench(lib_name, build, inputs, ("x",), backward, note)
    return factory


def _mha_reference(p, data, backward):
    import minidl.reference as ref
    W = [data[k] for k in _MHA_PARAMS]
    x = data["x"]
    return _reference_bench(lambda: ref.multi_head_attention(
        x, x, x, p["h"], *W, need_weights=False, batch_first=True)[0])


# --------------------------------------------------------------------------- the list
def _with_lib_factories(make):
    return {name: make(name) for name in ("minidl", "torch", "mygrad")}


def _small_fwd(case, small, tiny, reference):
    """The forward-only companion of ``case`` on a size the literal loops can finish."""
    factories = dict(case.factories)
    factories["reference"] = reference
    return Case(name=f"{case.name}/small-fwd",
                description=case.description.split(";")[0] + "; forward only, small size",
                dtype=case.dtype, target=None, sizes={"full": small, "tiny": tiny},
                make_data=case.make_data, factories=factories, backward=False,
                parent=case.name)


def build_cases():
    """All cases, in table order (each full case followed by its /small-fwd companion)."""
    cases = []

    cases.append(Case(
        "op_overhead", "100 tiny elementwise ops (mul, add, tanh, mul) on ({n},); fwd+bwd",
        "float32", 2.0, {"full": {"n": 16}, "tiny": {"n": 4}}, _op_overhead_data,
        _with_lib_factories(_op_overhead_factory)))

    cases.append(Case(
        "mlp_step", "MLP {dims} ReLU, batch {N}, cross-entropy, SGD step with zero_grad",
        "float32", 1.5,
        {"full": {"N": 64, "dims": (784, 256, 128, 10)}, "tiny": {"N": 4, "dims": (12, 8, 6, 3)}},
        _mlp_data, {"minidl": _mlp_minidl, "torch": _mlp_torch, "mygrad": _mlp_mygrad}))

    conv_sizes = {"full": dict(N=64, C_in=32, H=26, W=26, C_out=64, k=3),
                  "tiny": dict(N=2, C_in=3, H=6, W=6, C_out=4, k=3)}
    conv_small = dict(N=2, C_in=4, H=10, W=10, C_out=8, k=3)
    conv_tiny = dict(N=1, C_in=2, H=5, W=5, C_out=2, k=3)
    for dtype, target in (("float32", 3.0), ("float64", 1.5)):
        c = Case(f"conv2d_f{dtype[-2:]}",
                 "conv2d ({N},{C_in},{H},{W}) * ({C_out},{C_in},{k},{k}) + bias; fwd+bwd",
                 dtype, target, conv_sizes, _conv_data, _with_lib_factories(_conv_factory))
        cases += [c, _small_fwd(c, conv_small, conv_tiny, _conv_reference)]

    pool_sizes = {"full": dict(N=64, C=64, H=24, W=24), "tiny": dict(N=2, C=3, H=6, W=6)}
    for kind in ("max", "avg"):
        c = Case(f"{kind}_pool2d", kind + "_pool2d 2x2 on ({N},{C},{H},{W}); fwd+bwd",
                 "float32", 1.5, pool_sizes, _pool_data,
                 {name: _pool_factory(kind, name) for name in ("minidl", "torch", "mygrad")})
        cases += [c, _small_fwd(c, dict(N=2, C=8, H=12, W=12), dict(N=1, C=2, H=4, W=4),
                                _pool_reference(kind))]

    c = Case("lstm", "nn.LSTM({D}, {H}) on ({N}, {L}, {D}) batch_first; fwd+bwd", "float32", 2.0,
             {"full": dict(N=64, L=28, D=28, H=128), "tiny": dict(N=2, L=3, D=4, H=5)},
             _lstm_data, _with_lib_factories(_lstm_factory))
    cases += [c, _small_fwd(c, dict(N=4, L=8, D=28, H=16), dict(N=1, L=2, D=3, H=2),
                            _lstm_reference)]

    c = Case("sdpa", "scaled_dot_product_attention q, k, v ({N},{h},{L},{E}); fwd+bwd",
             "float32", 2.0, {"full": dict(N=32, h=8, L=128, E=32), "tiny": dict(N=2, h=2, L=4, E=3)},
             _sdpa_data, _with_lib_factories(_sdpa_factory))
    cases += [c, _small_fwd(c, dict(N=2, h=2, L=16, E=8), dict(N=1, h=1, L=3, E=2),
                            _sdpa_reference)]

    c = Case("mha", "nn.MultiheadAttention({E}, {h}) self-attention on ({N},{L},{E}) "
             "batch_first, need_weights=False; fwd+bwd", "float32", 2.0,
             {"full": dict(N=32, L=128, E=256, h=8), "tiny": dict(N=2, L=3, E=4, h=2)},
             _mha_data, _with_lib_factories(_mha_factory))
    cases += [c, _small_fwd(c, dict(N=2, L=8, E=16, h=2), dict(N=1, L=2, E=4, h=2),
                            _mha_reference)]
    return cases


def select_cases(cases, names=None):
    """The cases named in ``names`` (a case name also selects its /small-fwd companion).

    Raises:
        ValueError: a name that is not a case.
    """
    if not names:
        return list(cases)
    known = {c.name for c in cases}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown case(s) {unknown}; known: {sorted(known)}")
    return [c for c in cases if c.name in names or c.parent in names]
