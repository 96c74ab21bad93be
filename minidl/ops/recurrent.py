"""The LSTM recurrence over a whole sequence as one fused primitive, with its BPTT by hand.

Why it exists: ``nn.LSTM`` written as a loop of the composite ``F.lstm_cell`` records
about twenty small nodes per time step, and for ``nn.LSTM(28, 128)`` on a (64, 28, 28)
batch that Python overhead made forward + backward 6–12 times slower than PyTorch. This
op runs the time loop in one node: forward keeps the gates of every step, backward runs
backpropagation through time over them, newest step first. Its numbers are those of
the composite loop (``tests/nn/test_recurrent.py`` checks the two against each other and
against PyTorch).

Shape legend: L sequence length, N batch, H hidden units. The input projection
``x_t W_ihᵀ + b_ih + b_hh`` of every step does not depend on the state, so the caller
computes it for all steps at once with one matrix product and passes it as ``xz``.
"""
import numpy as np

from ..autograd import engine
from ..autograd.function import Function
from .elementwise import Sigmoid, Tanh
from .shape import Stack


def _sigmoid_(z):
    """σ(z) = 1 / (1 + e^−z) in place (e^−z overflows to inf for z ≪ 0, giving σ = 0)."""
    with np.errstate(over="ignore"):
        np.negative(z, out=z)
        np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)
    return z


# The gates are stacked i, f, g, o (PyTorch's order) in xz and w_hh. Inside this op they
# are kept in the order o, i, f, g, so that the three sigmoids are one contiguous block
# (forward) and the three gates the cell gradient flows through are another (backward).
_TO_INSIDE = [3, 0, 1, 2]          # block k inside = block _TO_INSIDE[k] in PyTorch's order
_TO_OUTSIDE = [1, 2, 3, 0]


class LSTMScan(Function):
    """The LSTM recurrence for t = 1..L given the input projections of every step.

    Forward, per step (gates stacked i, f, g, o along the last axis, as PyTorch)::

        z_t  = xz_t + h_{t−1} W_hhᵀ                      (N, 4H)
        i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)
        c_t  = f ⊙ c_{t−1} + i ⊙ g
        h_t  = o ⊙ tanh(c_t)

    Backward, t = L..1, with h̄ = ∂L/∂h_t from the output plus what step t+1 sent back::

        c̄  = c̄_next + h̄ ⊙ o ⊙ (1 − tanh² c_t)
        z̄  = [c̄ ⊙ g ⊙ i(1−i),  c̄ ⊙ c_{t−1} ⊙ f(1−f),  c̄ ⊙ i ⊙ (1−g²),  h̄ ⊙ tanh c_t ⊙ o(1−o)]
        h̄_{t−1} = z̄ W_hh,  c̄_{t−1} = c̄ ⊙ f,  x̄z_t = z̄,  W̄_hh = Σ_t z̄_tᵀ h_{t−1}

    The factors of z̄ that do not depend on c̄ or h̄ (``g ⊙ i(1−i)``, ...) are computed for
    all steps at once before the loop, so each step is a handful of array operations.

    Called as ``LSTMScan.apply(xz, h0, c0, w_hh)`` with xz (L, N, 4H), h0 and c0 (N, H),
    w_hh (4H, H). Two outputs: h_1..h_L as (L, N, H), and c_L as (N, H).

    When the backward pass is itself recorded (``create_graph=True``), the gradient is
    taken through :func:`lstm_scan_composite`, the same recurrence written with the
    library's elementwise ops, so that it can be differentiated again.
    """

    on_arrays = True

    @staticmethod
    def forward(ctx, xz, h0, c0, w_hh):
        xz_in, w_hh_in = xz, w_hh
        L, N, H4 = xz.shape
        H = H4 // 4
        dtype = np.result_type(xz, h0, c0, w_hh)
        xz = xz.reshape(L, N, 4, H)[:, :, _TO_INSIDE].reshape(L, N, H4)   # o, i, f, g
        w_hh = w_hh.reshape(4, H, H)[_TO_INSIDE].reshape(H4, H)
        hs = np.empty((L + 1, N, H), dtype)                  # h_0 .. h_L
        cs = np.empty((L + 1, N, H), dtype)                  # c_0 .. c_L
        gates = np.empty((L, N, H4), dtype)                  # o, i, f, g of every step
        tanh_c = np.empty((L, N, H), dtype)
        hs[0], cs[0] = h0, c0
        w_hhT = w_hh.T
        for t in range(L):
            z = gates[t]
            np.matmul(hs[t], w_hhT, out=z)                   # h_{t−1} W_hhᵀ
            z += xz[t]                                       # + x_t W_ihᵀ + b
            _sigmoid_(z[:, :3 * H])                          # o, i, f
            np.tanh(z[:, 3 * H:], out=z[:, 3 * H:])          # g
            o, i, f, g = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
            np.multiply(f, cs[t], out=cs[t + 1])
            cs[t + 1] += i * g                               # c_t = f ⊙ c_{t−1} + i ⊙ g
            np.tanh(cs[t + 1], out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hs[t + 1])         # h_t = o ⊙ tanh(c_t)
        ctx.save_for_backward(xz_in, h0, c0, w_hh_in)
        ctx.inside = (hs, cs, gates, tanh_c, w_hh)
        return hs[1:], cs[L]                                 # (L, N, H), (N, H)

    @staticmethod
    def backward(ctx, dh_all, dc_last):
        if ctx._graph:                                       # recorded: via the composite
            xz, h0, c0, w_hh = ctx.saved_tensors
            wanted = [(t, k) for k, t in enumerate((xz, h0, c0, w_hh))
                      if ctx.needs_input_grad[k]]
            outs = lstm_scan_composite(xz, h0, c0, w_hh)
            grads = engine.grad(outs, [t for t, _ in wanted], (dh_all, dc_last),
                                create_graph=True, allow_unused=True)
            result = [None] * 4
            for (_, k), g in zip(wanted, grads):
                result[k] = g
            return tuple(result)
        ctx.saved_tensors                                    # (checks the saved versions)
        hs, cs, gates, tanh_c, w_hh = ctx.inside             # gates and w_hh: o, i, f, g
        ctx.inside = None
        need_xz, need_h0, need_c0, need_w = ctx.needs_input_grad
        L, N, H4 = gates.shape
        H = H4 // 4
        g4 = gates.reshape(L, N, 4, H)
        o, i, f, g = g4[:, :, 0], g4[:, :, 1], g4[:, :, 2], g4[:, :, 3]
        # ∂z/∂(c̄ or h̄) of every step at once: z̄_o = h̄ ⊙ q_o, z̄_{i,f,g} = c̄ ⊙ q_{i,f,g}
        q = np.empty_like(g4)
        q[:, :, 0] = tanh_c * o * (1 - o)                    # tanh c_t ⊙ σ'
        q[:, :, 1] = g * i * (1 - i)                         # g ⊙ σ'
        q[:, :, 2] = cs[:L] * f * (1 - f)                    # c_{t−1} ⊙ σ'
        q[:, :, 3] = i * (1 - g * g)                         # i ⊙ tanh'
        o_dtanh = o * (1 - tanh_c * tanh_c)                  # ∂h_t/∂c_t = o ⊙ tanh'(c_t)
        dz = np.empty_like(g4)                               # z̄ of every step
        dhs = dh_all                                         # ∂L/∂h_t from the output
        dh_next = np.zeros((N, H), gates.dtype)              # what step t+1 sends to h_t
        dc_next = dc_last                                    # ∂L/∂c_L (read only)
        for t in range(L - 1, -1, -1):
            dh = dhs[t] + dh_next
            dc = dh * o_dtanh[t]
            dc += dc_next                                    # c̄ = c̄_next + h̄ ⊙ o ⊙ tanh'(c_t)
            np.multiply(q[t, :, 0], dh, out=dz[t, :, 0])     # z̄_o
            np.multiply(q[t, :, 1:], dc[:, None], out=dz[t, :, 1:])   # z̄_i, z̄_f, z̄_g
            dc_next = dc * f[t]                              # c̄_{t−1}
            if t > 0 or need_h0:
                dh_next = dz[t].reshape(N, H4) @ w_hh        # h̄_{t−1} = z̄ W_hh
        dz = dz[:, :, _TO_OUTSIDE].reshape(L, N, H4)         # back to i, f, g, o
        dw_hh = None
        if need_w:                                           # Σ_t z̄_tᵀ h_{t−1}: one GEMM
            dw_hh = dz.reshape(L * N, H4).T @ hs[:L].reshape(L * N, H)
        return (dz if need_xz else None, dh_next if need_h0 else None,
                np.array(dc_next) if need_c0 else None, dw_hh)


def lstm_scan_composite(xz, h0, c0, w_hh):
    """The recurrence of :class:`LSTMScan` from elementwise ops on Tensors (recorded):
    returns (h_1..h_L as (L, N, H), c_L)."""
    L = xz.shape[0]
    H = h0.shape[-1]
    h, c = h0, c0
    hs = []
    w_hhT = w_hh.swapaxes(0, 1)
    for t in range(L):
        z = xz[t] + h @ w_hhT                                # (N, 4H): i, f, g, o
        i = Sigmoid.call(z[:, :H])
        f = Sigmoid.call(z[:, H:2 * H])
        g = Tanh.call(z[:, 2 * H:3 * H])
        o = Sigmoid.call(z[:, 3 * H:])
        c = f * c + i * g
        h = o * Tanh.call(c)
        hs.append(h)
    return Stack.call(*hs, axis=0), c
