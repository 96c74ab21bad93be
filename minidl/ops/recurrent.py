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
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd import engine
from ..autograd.function import Function
from .elementwise import Sigmoid, Tanh
from .shape import Stack

if TYPE_CHECKING:
    from ..tensor import Tensor

# Gates are stacked i, f, g, o (PyTorch's order) in xz, w_hh and every array below.
# (Splitting the batch over threads, each running the whole time loop on its rows with
# the BLAS at one thread, was measured slower than one loop with the BLAS's own threads,
# at N = 64, H = 128: each step is a dozen NumPy calls of a few microseconds, and the two
# threads spend more on handing the GIL back and forth than the second core gains.)


def _negated_gate_scale(H: int, dtype: Any) -> np.ndarray:
    """(4H,): −1 on the blocks i, f, o and −2 on g, so that one pass of e^(·) over a row
    of pre-activations z gives e^−z for σ(z) and e^−2z for tanh z = 2σ(2z) − 1."""
    scale = np.full(4 * H, -1.0, dtype)
    scale[2 * H:3 * H] = -2.0
    return scale


class LSTMScan(Function):
    """The LSTM recurrence for t = 1..L given the input projections of every step.

    Forward, per step (gates stacked i, f, g, o along the last axis, as PyTorch)::

        z_t  = xz_t + h_{t−1} W_hhᵀ                      (N, 4H)
        i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)
        c_t  = f ⊙ c_{t−1} + i ⊙ g
        h_t  = o ⊙ tanh(c_t)

    computed with one pass of e^(·) over the whole row of z: σ(z) = 1 / (1 + e^−z) for
    i, f, o and tanh z = 2σ(2z) − 1 for g (scaling by 2 is exact), in place, in a buffer
    that keeps the gates of every step for the backward.

    Backward, t = L..1, with h̄ = ∂L/∂h_t from the output plus what step t+1 sent back::

        c̄  = c̄_next + h̄ ⊙ o ⊙ (1 − tanh² c_t)
        z̄  = [c̄ ⊙ g ⊙ i(1−i),  c̄ ⊙ c_{t−1} ⊙ f(1−f),  c̄ ⊙ i ⊙ (1−g²),  h̄ ⊙ tanh c_t ⊙ o(1−o)]
        h̄_{t−1} = z̄ W_hh,  c̄_{t−1} = c̄ ⊙ f,  x̄z_t = z̄,  W̄_hh = Σ_t z̄_tᵀ h_{t−1}

    The factors of z̄ that do not depend on c̄ or h̄ (``g ⊙ i(1−i)``, ...) are computed for
    all steps at once before the loop, in the buffer that the loop then turns into z̄ in
    place, so each step is six array operations and one matrix product; W̄_hh is one
    matrix product over all steps after the loop.

    Called as ``LSTMScan.apply(xz, h0, c0, w_hh)`` with xz (L, N, 4H), h0 and c0 (N, H),
    w_hh (4H, H). Two outputs: h_1..h_L as (L, N, H), and c_L as (N, H).

    When the backward pass is itself recorded (``create_graph=True``), the gradient is
    taken through :func:`lstm_scan_composite`, the same recurrence written with the
    library's elementwise ops, so that it can be differentiated again.
    """

    on_arrays = True

    @staticmethod
    def forward(ctx: Any, xz: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                w_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        L, N, H4 = xz.shape
        H = H4 // 4
        dtype = np.result_type(xz, h0, c0, w_hh)
        hs = np.empty((L + 1, N, H), dtype)                  # h_0 .. h_L
        cs = np.empty((L + 1, N, H), dtype)                  # c_0 .. c_L
        gates = np.empty((L, N, H4), dtype)                  # i, f, g, o of every step
        tanh_c = np.empty((L, N, H), dtype)
        fc = np.empty((N, H), dtype)                         # f ⊙ c_{t−1}
        hs[0], cs[0] = h0, c0
        w_hhT = np.ascontiguousarray(w_hh.T, dtype)          # (H, 4H): h W_hhᵀ, row-major
        scale = _negated_gate_scale(H, dtype)
        with np.errstate(over="ignore"):                     # e^−z = inf for z ≪ 0: σ = 0
            for t in range(L):
                z = gates[t]
                np.matmul(hs[t], w_hhT, out=z)               # h_{t−1} W_hhᵀ
                z += xz[t]                                   # + x_t W_ihᵀ + b
                z *= scale                                   # −z (−2z on the g block)
                np.exp(z, out=z)
                z += 1
                np.reciprocal(z, out=z)                      # σ(z_i), σ(z_f), σ(2z_g), σ(z_o)
                i, f, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
                g *= 2
                g -= 1                                       # g = tanh z_g = 2σ(2z_g) − 1
                c = cs[t + 1]
                np.multiply(i, g, out=c)
                np.multiply(f, cs[t], out=fc)
                c += fc                                      # c_t = f ⊙ c_{t−1} + i ⊙ g
                np.tanh(c, out=tanh_c[t])
                np.multiply(o, tanh_c[t], out=hs[t + 1])     # h_t = o ⊙ tanh c_t
        h_out, c_out = hs[1:], cs[L]                         # (L, N, H), (N, H)
        # the outputs are saved too, so that changing them in place is an error in the
        # backward, never a silently wrong gradient (hs and cs share their memory)
        ctx.save_for_backward(xz, h0, c0, w_hh, h_out, c_out, hs, cs, gates, tanh_c)
        return h_out, c_out

    @staticmethod
    def backward(ctx: Any, dh_all: Any, dc_last: Any) -> tuple[Any, Any, Any, Any]:
        if ctx._graph:                                       # recorded: via the composite
            xz, h0, c0, w_hh = ctx.saved_tensors[:4]
            wanted = [(t, k) for k, t in enumerate((xz, h0, c0, w_hh))
                      if ctx.needs_input_grad[k]]
            outs = lstm_scan_composite(xz, h0, c0, w_hh)
            grads = engine.grad(outs, [t for t, _ in wanted], (dh_all, dc_last),
                                create_graph=True, allow_unused=True)
            result: list[Any] = [None] * 4
            for (_, k), g in zip(wanted, grads):
                result[k] = g
            return result[0], result[1], result[2], result[3]
        _, _, _, w_hh, _, _, hs, cs, gates, tanh_c = ctx.saved_tensors  # (checks versions)
        need_xz, need_h0, need_c0, need_w = ctx.needs_input_grad
        L, N, H4 = gates.shape
        H = H4 // 4
        dtype = gates.dtype
        w_hh = w_hh.astype(dtype, copy=False)
        i, f, g, o = (gates[:, :, k * H:(k + 1) * H] for k in range(4))
        # ∂z/∂(c̄ or h̄) of every step: z̄_{i,f,g} = c̄ ⊙ q_{i,f,g}, z̄_o = h̄ ⊙ q_o
        dz = np.subtract(1, gates)
        dz *= gates                                          # σ' = σ(1 − σ), whole rows
        qi, qf, qg, qo = (dz[:, :, k * H:(k + 1) * H] for k in range(4))
        np.multiply(g, g, out=qg)
        np.subtract(1, qg, out=qg)                           # tanh' = 1 − g² on the g block
        qi *= g                                              # g ⊙ i(1 − i)
        qf *= cs[:L]                                         # c_{t−1} ⊙ f(1 − f)
        qg *= i                                              # i ⊙ (1 − g²)
        qo *= tanh_c                                         # tanh c_t ⊙ o(1 − o)
        o_dtanh = np.multiply(tanh_c, tanh_c)
        np.subtract(1, o_dtanh, out=o_dtanh)
        o_dtanh *= o                                         # ∂h_t/∂c_t = o ⊙ (1 − tanh² c_t)

        dh = np.empty((N, H), dtype)                         # h̄ of the current step
        dc = np.empty((N, H), dtype)                         # c̄ of the current step
        dh_next = np.zeros((N, H), dtype)                    # what step t+1 sends to h_t
        dc_next = np.empty((N, H), dtype)
        dc_next[...] = dc_last                               # ∂L/∂c_L (upstream: read only)
        dz_gates = dz.reshape(L, N, 4, H)                    # a view: the four gates apart
        for t in range(L - 1, -1, -1):
            np.add(dh_all[t], dh_next, out=dh)               # h̄
            np.multiply(dh, o_dtanh[t], out=dc)
            dc += dc_next                                    # c̄ = c̄_next + h̄ ⊙ o ⊙ tanh'(c_t)
            dz_gates[t, :, :3] *= dc[:, None]                # the factors q, in place, become
            dz_gates[t, :, 3] *= dh                          # z̄_i, z̄_f, z̄_g and z̄_o
            np.multiply(dc, f[t], out=dc_next)               # c̄_{t−1} = c̄ ⊙ f
            if t > 0 or need_h0:
                np.matmul(dz[t], w_hh, out=dh_next)          # h̄_{t−1} = z̄ W_hh
        dw_hh = None
        if need_w:                                           # Σ_t z̄_tᵀ h_{t−1}: one GEMM
            dw_hh = dz.reshape(L * N, H4).T @ hs[:L].reshape(L * N, H)
        return (dz if need_xz else None, dh_next if need_h0 else None,
                dc_next if need_c0 else None, dw_hh)


def lstm_scan_composite(xz: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor) -> tuple[Tensor, Tensor]:
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
