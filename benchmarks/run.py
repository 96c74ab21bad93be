"""Time minidl beside PyTorch, MyGrad and the literal references, interleaved, in one run.

    python -m benchmarks.run [--quick] [--cases a,b] [--json out.json] [--compare old.json]
                             [--markdown docs/benchmarks.md] [--plot docs/img/benchmarks.png]

How a case is timed (:func:`time_case`):

1. every contender is built from the same NumPy arrays, run once and *probed*: its output
   and gradients are compared with PyTorch's (or minidl's), so a wrong setup shows up as
   a MISMATCH instead of a flattering time;
2. ``warmup`` untimed calls each; then each contender's call count per sample, ``number``,
   is chosen so a sample lasts at least ``min_sample_s`` (tiny cases are run in a loop);
3. ``repeats`` rounds; in each round every contender takes one sample, in an order that
   rotates from round to round, so machine noise (other processes on a shared machine)
   hits all contenders alike. ``gc.collect()`` runs before each sample, outside the timer
   (``run_benchmarks`` freezes the objects alive after each set-up, e.g. the imported
   libraries, out of the collector, so that it only looks at what the samples made).

A contender whose library or op is missing (ImportError, AttributeError,
NotImplementedError while it is built or first called) is reported "unavailable"; any
other exception is reported as "error: ..."; neither stops the run.
"""
import argparse
import datetime
import gc
import json
import os
import platform
import sys
import time

import numpy as np

from . import report
from .cases import CONTENDERS, build_cases, select_cases

UNAVAILABLE_ERRORS = (ImportError, AttributeError, NotImplementedError)

QUICK = dict(repeats=5, warmup=1, min_sample_s=0.005)
FULL = dict(repeats=15, warmup=2, min_sample_s=0.01)


def _status_of(exc):
    kind = "unavailable" if isinstance(exc, UNAVAILABLE_ERRORS) else "error"
    msg = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return kind, msg[:200]


def _check(probe, baseline, dtype):
    """Compare a contender's probe arrays with the baseline's; returns (status, detail)."""
    tol = 2e-3 if np.dtype(dtype) == np.float32 else 1e-7
    worst = 0.0
    for a, b in zip(probe, baseline):
        if a is None or b is None:
            continue
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return "MISMATCH", f"shape {a.shape} vs {b.shape}"
        if a.dtype != b.dtype:
            return "MISMATCH", f"dtype {a.dtype} vs {b.dtype}"
        scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-30)
        err = float(np.max(np.abs(a.astype(np.float64) - b))) / scale if a.size else 0.0
        if not np.isfinite(err):
            return "MISMATCH", "non-finite values"
        worst = max(worst, err)
    return ("ok" if worst <= tol else "MISMATCH"), f"max error {worst:.1e} of max |value|"


def time_case(case, size="full", repeats=15, warmup=2, min_sample_s=0.01, contenders=CONTENDERS,
              log=None, freeze_gc=False):
    """Time one case: every available contender, interleaved. Returns a list of result rows.

    With ``freeze_gc`` the objects alive after the set-up are moved out of the garbage
    collector's reach (``gc.freeze``) so that the ``gc.collect()`` before each sample is
    quick; the caller must ``gc.unfreeze()`` when done (``run_benchmarks`` does).
    """
    params = case.sizes[size]
    data = case.make_data(params, np.dtype(case.dtype))
    rows, benches = {}, {}
    for name in contenders:
        row = {"case": case.name, "contender": name, "status": "ok", "detail": "", "note": "",
               "check": "", "check_detail": "", "times_ms": [], "number": 0}
        rows[name] = row
        factory = case.factories.get(name)
        if factory is None:
            row["status"], row["detail"] = "n/a", "no such implementation"
            continue
        try:
            bench = factory(params, data, case.backward)
            row["note"] = bench.note
            probe = bench.probe()                    # the first call: may reveal a missing op
            for _ in range(warmup):
                bench.step()
        except Exception as exc:                     # never crash: report and go on
            row["status"], row["detail"] = _status_of(exc)
            continue
        benches[name], row["_probe"] = bench, probe

    # Check the outputs against torch's (or minidl's, or the first available).
    base_name = next((n for n in ("torch", "minidl", *benches) if n in benches), None)
    for name in benches:
        row = rows[name]
        if name == base_name:
            row["check"], row["check_detail"] = "base", "outputs compared against this one"
        else:
            row["check"], row["check_detail"] = _check(row["_probe"], rows[base_name]["_probe"],
                                                       case.dtype)

    # Calls per sample, so that a sample is long enough for the clock.
    for name, bench in list(benches.items()):
        try:
            t0 = time.perf_counter()
            bench.step()
            t1 = time.perf_counter() - t0
        except Exception as exc:
            rows[name]["status"], rows[name]["detail"] = _status_of(exc)
            del benches[name]
            continue
        rows[name]["number"] = max(1, min(10000, int(np.ceil(min_sample_s / max(t1, 1e-9)))))

    # Interleaved rounds, the order rotating each round.
    if freeze_gc:         # what the set-up made (incl. lazy imports) stays out of gc.collect()
        gc.collect()
        gc.freeze()
    order = list(benches)
    for r in range(repeats):
        k = r % len(order) if order else 0
        for name in order[k:] + order[:k]:
            if name not in benches:
                continue
            bench, n = benches[name], rows[name]["number"]
            gc.collect()
            try:
                t0 = time.perf_counter()
                for _ in range(n):
                    bench.step()
                dt = time.perf_counter() - t0
            except Exception as exc:
                rows[name]["status"], rows[name]["detail"] = _status_of(exc)
                del benches[name]
                continue
            rows[name]["times_ms"].append(dt / n * 1e3)

    out = []
    for name in contenders:
        row = rows[name]
        row.pop("_probe", None)
        t = np.array(row["times_ms"])
        if row["status"] == "ok" and t.size:
            q1, q3 = np.percentile(t, [25, 75])
            row.update(median_ms=float(np.median(t)), iqr_ms=float(q3 - q1), min_ms=float(t.min()))
        else:
            row.update(median_ms=None, iqr_ms=None, min_ms=None)
        out.append(row)
    torch_ms = rows["torch"]["median_ms"] if "torch" in rows else None
    for row in out:
        row["ratio_to_torch"] = (row["median_ms"] / torch_ms
                                 if row["median_ms"] is not None and torch_ms else None)
        row["target"] = case.target if row["contender"] == "minidl" else None
        row["meets_target"] = (row["ratio_to_torch"] <= case.target
                               if row["target"] is not None and row["ratio_to_torch"] is not None
                               else None)
        row["description"] = case.describe(size)
        row["dtype"] = case.dtype
        if log and row["status"] != "n/a":
            log(report.format_row(row))
    return out


def machine_info():
    """What the timings depend on: CPU, thread counts, library versions and BLAS."""
    info = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(), "platform": platform.platform(),
            "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "numpy": np.__version__}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import minidl
        info["minidl"] = minidl.__version__
    except Exception:
        pass
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_num_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    try:
        import mygrad
        info["mygrad"] = mygrad.__version__
    except ImportError:
        info["mygrad"] = None
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["numpy_blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:
        info["numpy_blas"] = None
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: p.get(k) for k in ("user_api", "internal_api", "version",
                                                      "num_threads", "prefix")}
                               for p in threadpool_info()]
        numpy_pools = [p for p in threadpool_info()
                       if p.get("user_api") == "blas" and "numpy" in p.get("filepath", "")]
        if numpy_pools:
            info["numpy_blas_threads"] = numpy_pools[0]["num_threads"]
    except ImportError:
        info["threadpools"] = "threadpoolctl not installed"
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]   # 1, 5, 15 min
    except (AttributeError, OSError):
        info["load_average"] = None
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            info[var] = os.environ[var]
    return info


def set_threads(n):
    """Use n threads in PyTorch and in NumPy's BLAS (the latter needs threadpoolctl)."""
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(n)
    except ImportError:
        print("--threads: threadpoolctl is not installed; NumPy's BLAS threads unchanged",
              file=sys.stderr)


def _load_libraries():
    """Import the libraries (and what PyTorch imports on its first backward) up front,
    so that no case pays for an import and the imports can be frozen out of the gc."""
    for mod in ("minidl", "minidl.functional", "minidl.nn", "minidl.optim", "minidl.reference",
                "mygrad", "mygrad.nnet"):
        try:
            __import__(mod)
        except ImportError:
            pass
    try:
        import torch
        torch.ones(2, requires_grad=True).sum().backward()
    except ImportError:
        pass


def run_benchmarks(case_names=None, size="full", repeats=15, warmup=2, min_sample_s=0.01,
                   contenders=CONTENDERS, log=None, cases=None):
    """Run the selected cases; returns the result document (what ``--json`` writes)."""
    cases = select_cases(build_cases() if cases is None else cases, case_names)
    t0 = time.perf_counter()
    results = []
    machine = machine_info()
    _load_libraries()
    gc.collect()
    gc.freeze()
    try:
        for case in cases:
            results += time_case(case, size, repeats, warmup, min_sample_s, contenders, log,
                                 freeze_gc=True)
    finally:
        gc.unfreeze()
    try:
        machine["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        pass
    return {"machine": machine,
            "settings": {"size": size, "repeats": repeats, "warmup": warmup,
                         "min_sample_s": min_sample_s, "contenders": list(contenders),
                         "command": " ".join(["python -m benchmarks.run"] + sys.argv[1:])
                         if sys.argv and sys.argv[0].endswith("run.py") else None,
                         "wall_s": round(time.perf_counter() - t0, 1)},
            "results": results}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help=f"fewer repeats ({QUICK['repeats']}) and warm-ups; same sizes")
    p.add_argument("--cases", help="comma-separated case names (default: all); a case also "
                                   "selects its /small-fwd companion")
    p.add_argument("--contenders", default=",".join(CONTENDERS),
                   help="comma-separated subset of " + ",".join(CONTENDERS))
    p.add_argument("--repeats", type=int, help="override the number of timed rounds")
    p.add_argument("--threads", type=int,
                   help="set PyTorch's and NumPy's BLAS thread counts to this (default: leave "
                        "both libraries' defaults, and report them)")
    p.add_argument("--json", help="write the results (with machine info) to this JSON file")
    p.add_argument("--compare", help="a JSON file of an earlier run: print the change per case")
    p.add_argument("--markdown", help="write the table as Markdown to this file")
    p.add_argument("--plot", help="draw the ratios to PyTorch into this image (needs matplotlib)")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    args = p.parse_args(argv)

    if args.list:
        for c in build_cases():
            print(f"{c.name:24s} {c.describe()}  [{c.dtype}]")
        return 0
    settings = dict(QUICK if args.quick else FULL)
    if args.repeats:
        settings["repeats"] = args.repeats
    names = [n.strip() for n in args.cases.split(",")] if args.cases else None
    contenders = tuple(n.strip() for n in args.contenders.split(","))
    bad = [c for c in contenders if c not in CONTENDERS]
    if bad:
        p.error(f"unknown contender(s) {bad}; known: {list(CONTENDERS)}")
    try:
        select_cases(build_cases(), names)
    except ValueError as e:
        p.error(str(e))
    if args.threads:
        set_threads(args.threads)
    old = None
    if args.compare:
        with open(args.compare) as f:
            old = json.load(f)

    print(report.format_header(), flush=True)
    doc = run_benchmarks(names, "full", contenders=contenders, log=lambda s: print(s, flush=True),
                         **settings)
    print()
    print(report.format_machine(doc["machine"]))
    print(report.format_notes(doc))
    if old is not None:
        print()
        print(report.format_comparison(old, doc))
    if args.json:
        report.write_json(doc, args.json)
        print(f"\nwrote {args.json}")
    plot_path = None
    if args.plot:
        try:
            report.write_plot(doc, args.plot)
            plot_path = args.plot
            print(f"wrote {args.plot}")
        except ImportError:
            print("--plot: matplotlib is not installed; no plot written", file=sys.stderr)
    if args.markdown:
        report.write_markdown(doc, args.markdown, plot_path=plot_path, old=old,
                              old_name=args.compare)
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
