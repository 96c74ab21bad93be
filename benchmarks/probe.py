"""Probe worker: build one contender's cases, check them, measure peak memory.

    python -m benchmarks.probe --contender minidl --threads default --size full \
        --cases conv2d,sdpa --out /tmp/minidl.json

Run by ``benchmarks/run.py``, one process per contender, before anything is timed. For
each case it

1. builds the contender's Bench (a missing library or op — ImportError, AttributeError,
   NotImplementedError — makes the case "unavailable", any other exception "error");
2. calls ``probe()`` and saves the output and gradients (``<out>.npz``), which run.py
   compares with PyTorch's;
3. measures the **peak memory** of one more step (after the probe's call, which was the
   warm-up: JAX compiles then), in two ways:

   * ``rss_mb``: how far the resident set rose above its level before the step (Linux:
     the high-water mark ``VmHWM`` is reset through ``/proc/self/clear_refs``; run.py
     starts this process with ``MALLOC_MMAP_THRESHOLD_`` fixed, so that large arrays are
     given back to the system when freed and each step starts from the same level). It
     sees every library's memory, NumPy's, PyTorch's and XLA's alike;
   * ``traced_mb``: ``tracemalloc``'s peak, the bytes NumPy allocates (NumPy reports its
     arrays to tracemalloc); exact for the NumPy libraries, blind to PyTorch and JAX;

4. times a few calls (``call_s``, the fastest), from which run.py chooses how many
   calls one pyperf value makes.
"""
import argparse
import gc
import json
import sys
import time
import tracemalloc

from . import threads


def _status_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_memory(step, traced):
    """(rss_mb, traced_mb, seconds) of one call of ``step`` each; None where it cannot be
    measured (seconds: the time of the call measured for the RSS, or None)."""
    gc.collect()
    rss_mb = seconds = None
    if _reset_peak_rss():
        before = _status_kb("VmRSS")
        t0 = time.perf_counter()
        out = step()
        seconds = time.perf_counter() - t0
        peak = _status_kb("VmHWM")
        del out
        if before is not None and peak is not None:
            rss_mb = max(peak - before, 0) / 1024
    traced_mb = None
    if traced:
        gc.collect()
        tracemalloc.start()
        out = step()
        traced_mb = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
        del out
    return rss_mb, traced_mb, seconds


def _call_time(step, budget_s=0.3, max_calls=5):
    best, spent, n = float("inf"), 0.0, 0
    while n < max_calls and (n == 0 or spent < budget_s):
        t0 = time.perf_counter()
        step()
        dt = time.perf_counter() - t0
        best, spent, n = min(best, dt), spent + dt, n + 1
    return best


def probe_cases(contender, names, size):
    """Probe each named case for ``contender``; returns (rows, arrays)."""
    import numpy as np
    from .cases import UNAVAILABLE_ERRORS, find_case
    traced = contender not in ("torch", "jax")
    rows, arrays = [], {}
    for name in names:
        case = find_case(name)
        row = {"case": name, "status": "ok", "detail": "", "note": ""}
        rows.append(row)
        factory = case.factories.get(contender)
        if factory is None:
            row["status"], row["detail"] = "n/a", "no such implementation"
            continue
        try:
            params = case.sizes[size]
            data = case.make_data(params, np.dtype(case.dtype))
            bench = factory(params, data, case.backward)
            row["note"] = bench.note
            probe = bench.probe()                    # the first call (JAX compiles here)
            row["rss_mb"], row["traced_mb"], seconds = peak_memory(bench.step, traced)
            # a slow call is timed well enough by the memory step; a fast one a few times
            row["call_s"] = seconds if seconds and seconds > 0.1 else _call_time(bench.step)
        except Exception as exc:                     # never crash: report and go on
            kind = "unavailable" if isinstance(exc, UNAVAILABLE_ERRORS) else "error"
            row["status"] = kind
            row["detail"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            continue
        for i, a in enumerate(probe):
            if a is not None:
                arrays[f"{name}|{i}"] = np.asarray(a)
        row["n_arrays"] = len(probe)
        del bench, data
        gc.collect()
    return rows, arrays


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.probe", description=__doc__.split("\n")[0])
    p.add_argument("--contender", required=True)
    p.add_argument("--threads", default="default", choices=threads.SETTINGS)
    p.add_argument("--size", default="full", choices=("full", "tiny"))
    p.add_argument("--cases", required=True, help="comma-separated case names")
    p.add_argument("--out", required=True, help="JSON file; the arrays go to <out>.npz")
    args = p.parse_args(argv)
    threads.set_env(args.threads)

    import importlib.util
    from .cases import MODULES
    doc = {"contender": args.contender, "threads": args.threads, "size": args.size}
    top = MODULES[args.contender].split(".")[0]
    if importlib.util.find_spec(top) is None:
        doc.update(available=False, detail=f"{top} is not installed", rows=[])
    else:
        try:
            __import__(MODULES[args.contender])
            threads.apply(args.threads, args.contender)
            doc["available"] = True
            doc["info"] = threads.report(args.contender)
        except Exception as exc:
            doc.update(available=False, rows=[],
                       detail=f"import {MODULES[args.contender]}: {type(exc).__name__}: {exc}"
                       .splitlines()[0][:200])
        if doc["available"]:
            import numpy as np
            doc["rows"], arrays = probe_cases(args.contender, args.cases.split(","), args.size)
            np.savez(args.out + ".npz", **arrays)
    with open(args.out, "w") as f:
        json.dump(doc, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
