"""nn.RNN over an input that requires grad: forward + backward time against the sequence
length L (it is linear since ``unbind`` made the per-step slicing one node; it was
quadratic when each ``x[t]`` scattered a full-size zero array back).

    python -m benchmarks.recurrent_length            # prints the time per step at L = 100 and 1000
"""
import time

import minidl as md
import minidl.nn as nn


def time_per_step(L, N=8, D=16, H=32, repeats=3):
    md.manual_seed(0)
    rnn = nn.RNN(D, H)
    x = md.randn(L, N, D, requires_grad=True)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        out, h = rnn(x)
        out.sum().backward()
        best = min(best, time.perf_counter() - t0)
    return best / L


def main():
    t100, t1000 = time_per_step(100), time_per_step(1000)
    print("nn.RNN(16, 32), input (L, 8, 16) requiring grad, forward + backward:")
    print(f"  L = 100:  {t100 * 1e6:7.1f} µs per step")
    print(f"  L = 1000: {t1000 * 1e6:7.1f} µs per step   (ratio {t1000 / t100:.2f}; 1 = linear)")


if __name__ == "__main__":
    main()
