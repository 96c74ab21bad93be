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


# Gates are stacked i, f, g, o (PyTorch's order) in xz, w_hh and every array below:
# σ on the blocks [0, 2H) and [3H, 4H), tanh on [2H, 3H).
# (Splitting the batch over threads, each running the whole time loop on its slice, was
# measured slower than one loop with the BLAS's own threads: the steps are too small.)


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
        L, N, H4 = xz.shape
        H = H4 // 4
        dtype = np.result_type(xz, h0, c0, w_hh)
        hs = np.empty((L + 1, N, H), dtype)                  # h_0 .. h_L
        cs = np.empty((L + 1, N, H), dtype)                  # c_0 .. c_L
        gates = np.empty((L, N, H4), dtype)                  # i, f, g, o of every step
        tanh_c = np.empty((L, N, H), dtype)
        hs[0], cs[0] = h0, c0
        w_hhT = w_hh.T.astype(dtype, copy=False)

        def scan(lo, hi):                                    # batch rows lo .. hi − 1
            for t in range(L):
                z = gates[t, lo:hi]
                np.matmul(hs[t, lo:hi], w_hhT, out=z)        # h_{t−1} W_hhᵀ
                z += xz[t, lo:hi]                            # + x_t W_ihᵀ + b
                _sigmoid_(z[:, :2 * H])                      # i, f
                _sigmoid_(z[:, 3 * H:])                      # o
                np.tanh(z[:, 2 * H:3 * H], out=z[:, 2 * H:3 * H])    # g
                i, f, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
                c = cs[t + 1, lo:hi]
                np.multiply(i, g, out=c)
                c += f * cs[t, lo:hi]                        # c_t = f ⊙ c_{t−1} + i ⊙ g
                np.tanh(c, out=tanh_c[t, lo:hi])
                np.multiply(o, tanh_c[t, lo:hi], out=hs[t + 1, lo:hi])   # h_t = o ⊙ tanh(c_t)
        scan(0, N)
        ctx.save_for_backward(xz, h0, c0, w_hh)
        ctx.inside = (hs, cs, gates, tanh_c)
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
        _, _, _, w_hh = ctx.saved_tensors                    # (checks the saved versions)
        hs, cs, gates, tanh_c = ctx.inside
        ctx.inside = None
        need_xz, need_h0, need_c0, need_w = ctx.needs_input_grad
        L, N, H4 = gates.shape
        H = H4 // 4
        w_hh = w_hh.astype(gates.dtype, copy=False)
        i, f, g, o = (gates[:, :, k * H:(k + 1) * H] for k in range(4))
        # ∂z/∂(c̄ or h̄) of every step at once: z̄_{i,f,g} = c̄ ⊙ q_{i,f,g}, z̄_o = h̄ ⊙ q_o
        q = np.empty_like(gates)
        np.multiply(g, i * (1 - i), out=q[:, :, :H])                 # g ⊙ σ'
        np.multiply(cs[:L], f * (1 - f), out=q[:, :, H:2 * H])       # c_{t−1} ⊙ σ'
        np.multiply(i, 1 - g * g, out=q[:, :, 2 * H:3 * H])          # i ⊙ tanh'
        np.multiply(tanh_c, o * (1 - o), out=q[:, :, 3 * H:])        # tanh c_t ⊙ σ'
        o_dtanh = 1 - tanh_c * tanh_c
        o_dtanh *= o                                         # ∂h_t/∂c_t = o ⊙ tanh'(c_t)
        dz = np.empty_like(gates)                            # z̄ of every step
        dh0 = np.empty((N, H), gates.dtype)
        dc0 = np.empty((N, H), gates.dtype)

        def bptt(lo, hi):                                    # batch rows lo .. hi − 1
            dh_next = np.zeros((hi - lo, H), gates.dtype)    # what step t+1 sends to h_t
            dc_next = dc_last[lo:hi]                         # ∂L/∂c_L (read only)
            for t in range(L - 1, -1, -1):
                dh = dh_all[t, lo:hi] + dh_next              # h̄
                dc = dh * o_dtanh[t, lo:hi]
                dc += dc_next                                # c̄ = c̄_next + h̄ ⊙ o ⊙ tanh'(c_t)
                dz_t, q_t = dz[t, lo:hi], q[t, lo:hi]
                np.multiply(q_t[:, :3 * H].reshape(-1, 3, H), dc[:, None],
                            out=dz_t[:, :3 * H].reshape(-1, 3, H))   # z̄_i, z̄_f, z̄_g
                np.multiply(q_t[:, 3 * H:], dh, out=dz_t[:, 3 * H:])  # z̄_o
                dc_next = dc * f[t, lo:hi]                   # c̄_{t−1}
                if t > 0 or need_h0:
                    dh_next = dz_t @ w_hh                    # h̄_{t−1} = z̄ W_hh
            dh0[lo:hi], dc0[lo:hi] = dh_next, dc_next
        bptt(0, N)
        dw_hh = None
        if need_w:                                           # Σ_t z̄_tᵀ h_{t−1}: one GEMM
            dw_hh = dz.reshape(L * N, H4).T @ hs[:L].reshape(L * N, H)
        return (dz if need_xz else None, dh0 if need_h0 else None,
                dc0 if need_c0 else None, dw_hh)


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
