"""minidl.parallel: the thread count (PyTorch's meaning, the environment, threadpoolctl),
the split into blocks (every block once, on several threads, exceptions raised), and BLAS
held at one thread inside a split."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from minidl import parallel


@pytest.fixture
def restore_threads():
    before = parallel.get_num_threads()
    yield
    parallel.set_num_threads(before)


def test_every_block_once_and_in_order_per_thread(restore_threads):
    parallel.set_num_threads(2)
    seen, names = [], set()

    def body(lo, hi):
        seen.append((lo, hi))
        names.add(threading.current_thread().name)
    parallel.for_blocks(10, body, block=3)
    assert sorted(seen) == [(0, 3), (3, 6), (6, 9), (9, 10)]
    if parallel.get_num_threads() == 2:               # (a BLAS that cannot go to 2: one)
        assert len(names) == 2


def test_one_thread_is_the_plain_loop(restore_threads):
    parallel.set_num_threads(1)
    names = set()
    parallel.for_blocks(100, lambda lo, hi: names.add(threading.current_thread().name), block=7)
    assert names == {threading.current_thread().name}


def test_results_do_not_depend_on_the_thread_count(restore_threads):
    x = np.random.default_rng(0).standard_normal((1000, 33))
    outs = []
    for n in (1, 2, 3):
        parallel.set_num_threads(n)
        y = np.empty_like(x)

        def body(lo, hi, y=y):
            np.exp(x[lo:hi], out=y[lo:hi])
            y[lo:hi] /= y[lo:hi].sum(axis=1, keepdims=True)
        parallel.for_blocks(len(x), body, block=64)
        outs.append(y)
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


def test_an_exception_in_a_block_is_raised(restore_threads):
    parallel.set_num_threads(2)

    def body(lo, hi):
        if lo >= 50:
            raise ValueError(f"block {lo}")
    with pytest.raises(ValueError, match="block"):
        parallel.for_blocks(100, body, block=10)


def test_no_nested_splitting(restore_threads):
    parallel.set_num_threads(2)
    inner = []

    def outer(lo, hi):
        parallel.for_blocks(4, lambda a, b: inner.append(threading.current_thread().name),
                            block=1)
    parallel.for_blocks(2, outer, block=1)
    assert len(inner) == 8


def test_blas_is_held_at_one_thread_inside_and_restored(restore_threads):
    control = parallel._blas_control()
    if control.get is None:
        pytest.skip("the BLAS's threads cannot be read (not OpenBLAS)")
    parallel.set_num_threads(2)
    inside = []
    parallel.for_blocks(4, lambda lo, hi: inside.append(control.get()), block=1, blas=True)
    assert set(inside) == {1}
    assert control.get() == 2


def test_set_num_threads_checks_and_sets_blas(restore_threads):
    with pytest.raises(ValueError, match="set_num_threads: n must be a positive int, got 0"):
        parallel.set_num_threads(0)
    with pytest.raises(TypeError, match="set_num_threads: n must be an int, got float"):
        parallel.set_num_threads(2.5)
    parallel.set_num_threads(1)
    assert parallel.get_num_threads() == 1
    control = parallel._blas_control()
    if control.get is not None:
        assert control.get() == 1


def _threads_in_child(env_extra, code="from minidl import parallel; print(parallel.get_num_threads())"):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    return int(out.stdout.split()[-1])


def test_environment_one_thread_means_no_splitting():
    assert _threads_in_child({"OMP_NUM_THREADS": "1"}) == 1
    assert _threads_in_child({"OPENBLAS_NUM_THREADS": "1"}) == 1


def test_threadpoolctl_limit_is_respected():
    pytest.importorskip("threadpoolctl")
    code = ("from threadpoolctl import threadpool_limits\n"
            "from minidl import parallel\n"
            "with threadpool_limits(1):\n"
            "    print(parallel.get_num_threads())\n")
    assert _threads_in_child({}, code) == 1
