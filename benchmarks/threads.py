"""Thread settings of a worker process, and what the libraries report about them.

A worker is told ``--threads 1`` or ``--threads default``. It calls :func:`set_env` first
thing, before NumPy or any contender is imported (the BLAS libraries read their
variables when they are loaded), and :func:`apply` after the contender is imported.

``1``: ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` (and BLIS's,
vecLib's) are 1, ``torch.set_num_threads(1)``, and the process is pinned to one CPU
(``os.sched_setaffinity``): XLA's CPU thread pool, used by JAX, has no setting that
limits it, so pinning is what makes "1 thread" true for every contender alike.

``default``: those variables are removed and nothing is pinned: each library uses the
thread count it picks by itself, which is what a user gets; :func:`report` records it.

This module imports nothing outside the standard library, so that importing it cannot
load a BLAS before the variables are set.
"""
import os

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
SETTINGS = ("1", "default")


def label(setting, default_threads=None):
    """'1T' or e.g. '2T (default)' for tables."""
    if setting == "default":
        return "default" if default_threads is None else f"{default_threads}T"
    return f"{setting}T"


def set_env(setting):
    """Set (or clear) the thread variables and the CPU affinity for ``setting``."""
    if setting not in SETTINGS:
        raise ValueError(f"threads must be one of {SETTINGS}, got {setting!r}")
    for var in THREAD_VARS:
        os.environ.pop(var, None)
    if setting == "1":
        for var in THREAD_VARS:
            os.environ[var] = "1"
        if hasattr(os, "sched_setaffinity"):
            cpus = sorted(os.sched_getaffinity(0))
            os.sched_setaffinity(0, {cpus[-1]})


def apply(setting, contender):
    """After the contender's library is imported: PyTorch's own thread setting."""
    if setting == "1" and contender == "torch":
        import torch
        torch.set_num_threads(1)


def report(contender):
    """What the process runs with: thread variables, affinity, PyTorch's threads, the
    thread pools threadpoolctl sees (BLAS, OpenMP), and the contender's version."""
    info = {"pid": os.getpid(),
            "env": {v: os.environ[v] for v in THREAD_VARS if v in os.environ}}
    if hasattr(os, "sched_getaffinity"):
        info["cpus"] = len(os.sched_getaffinity(0))
    module = {"reference": "minidl"}.get(contender, contender)
    try:
        mod = __import__(module)
        info["version"] = getattr(mod, "__version__", None)
    except ImportError:
        info["version"] = None
    if info["version"] is None:
        try:
            from importlib.metadata import version
            info["version"] = version(module)
        except Exception:
            info["version"] = "?"
    if contender == "torch":
        import torch
        info["torch_threads"] = torch.get_num_threads()
        info["torch_blas"] = _torch_blas(torch)
    if contender == "jax":
        import jax
        info["jax_devices"] = [str(d) for d in jax.devices()]
    import numpy as np
    info["numpy"] = np.__version__
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: p.get(k) for k in ("user_api", "internal_api", "version",
                                                      "num_threads", "filepath")}
                               for p in threadpool_info()]
    except ImportError:
        info["threadpools"] = None
        info["numpy_config"] = _numpy_blas()
    return info


def _torch_blas(torch):
    try:
        cfg = torch.__config__.show()
    except Exception:
        return None
    for line in cfg.splitlines():
        if "BLAS_INFO" in line or "LAPACK_INFO" in line:
            return line.strip()
    return None


def _numpy_blas():
    try:
        import numpy as np
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:
        return None


def summary(info):
    """One short line: e.g. 'torch 2.13.0, 2 threads; openblas 0.3.29 2 threads'."""
    if not info:
        return "?"
    parts = [f"{info.get('version')}"]
    if "torch_threads" in info:
        parts.append(f"intra-op {info['torch_threads']}")
    pools = info.get("threadpools") or []
    seen = set()
    for p in pools:
        key = (p.get("internal_api"), p.get("num_threads"))
        if key in seen:
            continue
        seen.add(key)
        parts.append(f"{p.get('internal_api')} {p.get('version') or ''} ×{p.get('num_threads')}"
                     .replace("  ", " "))
    if "cpus" in info:
        parts.append(f"{info['cpus']} CPU{'s' if info['cpus'] != 1 else ''}")
    return ", ".join(parts)
