"""Split memory-bound NumPy work over threads, by independent chunks.

NumPy's matrix products run on every core (its BLAS has threads of its own), but its
elementwise loops, reductions and copies run on one. For the large ones (the softmax of
a big score tensor, im2col's copy, pooling's passes) that leaves the other cores idle
while PyTorch uses them all. NumPy releases the GIL inside those loops, so plain Python
threads, each given an independent slice of the work, do run at the same time::

    from minidl import parallel

    def body(lo, hi):                      # rows lo .. hi − 1, written in place
        np.exp(x[lo:hi], out=y[lo:hi])

    parallel.for_blocks(len(x), body, block=256)

:func:`for_blocks` cuts ``range(n)`` into blocks of ``block`` (the size a step should
work on at a time, e.g. so that its rows stay in cache), gives each thread a run of
consecutive blocks and calls ``body(lo, hi)`` once per block. Every call must touch only
its own rows (nothing is locked). With one thread it is simply the loop over the blocks,
so the same code serves both settings and gives the same numbers.

How many threads (:func:`get_num_threads`), as PyTorch's ``torch.get_num_threads``:
:func:`set_num_threads` if it was called, else ``OMP_NUM_THREADS`` if set, else the CPUs
this process may run on; never more than NumPy's BLAS is currently allowed (so
``OMP_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1`` or threadpoolctl's
``threadpool_limits(1)`` mean no splitting here either). :func:`set_num_threads` sets
the BLAS's threads too (OpenBLAS, found among the loaded libraries), as PyTorch's
setting covers its whole intra-op parallelism.

A body that calls BLAS (``np.matmul`` of each block) passes ``blas=True``: the BLAS is
then held at one thread while the blocks run, so that two threads' matrix products do
not each start a team of BLAS threads on the same cores. When the BLAS's thread count
cannot be controlled (not OpenBLAS), such a body runs on the calling thread only.

Calls made from inside a body run on that thread (no nested splitting).
"""
import ctypes
import os
import threading

__all__ = ["for_blocks", "get_num_threads", "set_num_threads"]

_requested = None        # set_num_threads' value, or None
_pool = None             # ThreadPoolExecutor with (threads − 1) workers, made on first use
_pool_size = 0
_local = threading.local()
_lock = threading.Lock()


# ---------------------------------------------------------------------- the BLAS's threads
class _OpenBLAS:
    """get/set of the thread count of the OpenBLAS NumPy loaded (found in /proc/self/maps)."""

    def __init__(self):
        self.get = self.set = None
        try:
            with open("/proc/self/maps") as f:
                paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
        except OSError:
            return
        for path in sorted(paths):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for prefix in ("scipy_openblas", "openblas"):
                for suffix in ("64_", "_64_", ""):
                    get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                    put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                    if get is not None and put is not None:
                        get.restype, get.argtypes = ctypes.c_int, []
                        put.restype, put.argtypes = None, [ctypes.c_int]
                        self.get, self.set = get, put
                        return


_blas = None


def _blas_control():
    global _blas
    if _blas is None:
        import numpy  # noqa: F401  (the BLAS must be loaded before it can be found)
        _blas = _OpenBLAS()
    return _blas


def _default_threads():
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def get_num_threads():
    """The number of threads minidl splits work over (PyTorch's ``torch.get_num_threads``).

    ``set_num_threads``' value if it was called, else ``OMP_NUM_THREADS`` if set, else
    the number of CPUs this process may run on; at most the BLAS's current thread count
    when it can be read (OpenBLAS).

    >>> from minidl import parallel
    >>> parallel.get_num_threads() >= 1
    True
    """
    n = _requested if _requested is not None else _default_threads()
    blas = _blas_control()
    if blas.get is not None:
        n = min(n, max(1, blas.get()))
    return max(1, n)


def set_num_threads(n):
    """Use ``n`` threads for minidl's own splitting and for NumPy's BLAS (OpenBLAS), as
    ``torch.set_num_threads`` does for PyTorch's intra-op parallelism.

    Raises:
        TypeError: ``n`` is not an int.
        ValueError: ``n`` < 1.

    >>> from minidl import parallel
    >>> before = parallel.get_num_threads()
    >>> parallel.set_num_threads(1); parallel.get_num_threads()
    1
    >>> parallel.set_num_threads(before)
    """
    global _requested
    if isinstance(n, bool) or not isinstance(n, int) and not hasattr(n, "__index__"):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__}")
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n}")
    _requested = n
    blas = _blas_control()
    if blas.set is not None:
        blas.set(n)


# ---------------------------------------------------------------------- the split
def _executor(workers):
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < workers:
            from concurrent.futures import ThreadPoolExecutor
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="minidl")
            _pool_size = workers
        return _pool


def _forget_pool():                 # after fork: the child has none of the parent's threads
    global _pool, _pool_size
    _pool, _pool_size = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _run(body, blocks):
    _local.inside = True
    try:
        for lo, hi in blocks:
            body(lo, hi)
    finally:
        _local.inside = False


def for_blocks(n, body, block, blas=False):
    """Call ``body(lo, hi)`` for the blocks ``[0, block), [block, 2·block), …`` of
    ``range(n)``, spread over :func:`get_num_threads` threads (consecutive blocks on the
    same thread); return when all are done. An exception in any block is raised here.

    Args:
        n: the number of independent rows (or items) of the work.
        body: ``body(lo, hi)`` does rows lo .. hi − 1 and touches nothing another block
            touches.
        block: rows per call (>= 1).
        blas: the body calls BLAS (held at one thread while the blocks run).

    >>> import numpy as np
    >>> x = np.arange(10.0); y = np.empty_like(x)
    >>> def body(lo, hi):
    ...     np.multiply(x[lo:hi], 2, out=y[lo:hi])
    >>> for_blocks(10, body, block=3); y
    array([ 0.,  2.,  4.,  6.,  8., 10., 12., 14., 16., 18.])
    """
    block = max(1, int(block))
    blocks = [(lo, min(lo + block, n)) for lo in range(0, n, block)]
    threads = 1 if len(blocks) < 2 or getattr(_local, "inside", False) else get_num_threads()
    control = _blas_control()
    if blas and control.set is None:
        threads = 1
    threads = min(threads, len(blocks))
    if threads == 1:
        for lo, hi in blocks:
            body(lo, hi)
        return
    # consecutive runs of blocks, as even as possible: thread k gets blocks[cuts[k]:cuts[k+1]]
    cuts = [len(blocks) * k // threads for k in range(threads + 1)]
    runs = [blocks[cuts[k]:cuts[k + 1]] for k in range(threads)]
    pool = _executor(threads - 1)
    saved = None
    if blas:
        saved = control.get()
        control.set(1)
    try:
        futures = [pool.submit(_run, body, run) for run in runs[1:]]
        try:
            _run(body, runs[0])
        finally:
            errors = []
            for f in futures:
                try:
                    f.result()
                except BaseException as e:        # noqa: B036 (re-raised below)
                    errors.append(e)
        if errors:
            raise errors[0]
    finally:
        if saved is not None:
            control.set(saved)
