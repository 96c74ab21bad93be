"""Time minidl beside PyTorch, JAX, HIPS autograd, MyGrad and the literal loops.

    python -m benchmarks.run [--quick] [--cases a,b] [--contenders a,b] [--threads 1,default]
                             [--no-curves] [--json out.json] [--compare old.json]
                             [--markdown docs/benchmarks.md] [--plots docs/img]

What a run does (see benchmarks/README.md):

1. **probe**: one process per contender (``benchmarks/probe.py``) builds every case, saves
   its output and gradients, measures its peak memory and the time of one call; a
   contender whose library is not installed is skipped with a line saying so;
2. **check**: each contender's outputs and gradients are compared with PyTorch's; a
   mismatch is reported beside its time, never hidden;
3. **time**: for each thread setting (1 thread, the default) and each contender, one
   pyperf Runner (``benchmarks/worker.py``), which spawns a fresh process per case and
   pyperf process: no two libraries ever share a process, and nothing else of the
   harness runs while a contender is timed;
4. **report**: mean ± standard deviation, pyperf's instability warnings, the ratio to
   PyTorch measured in the same run at the same thread setting, GFLOP/s beside the
   matmul peak, peak memory, the scaling curves' fitted exponents; text, JSON (ours and
   pyperf's), Markdown, plots, and the comparison with an earlier run.
"""
import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time

from . import report, threads
from .cases import CONTENDERS, all_cases, build_cases, build_curves, select_cases

#: pyperf settings and the target duration of one value. FULL is what the table is
#: made of; QUICK (tiny sizes, one process, one value) is for the smoke test.
FULL = dict(size="full", processes=1, values=5, warmups=1, min_time=0.1, curves=True)
QUICK = dict(size="tiny", processes=1, values=2, warmups=0, min_time=0.002, curves=False)

#: Which groups are timed at which thread setting: the small forward-only cases measure
#: per-call overhead, which threads do not change, and the curves are drawn at the default.
GROUP_SETTINGS = {"table": threads.SETTINGS, "gemm": threads.SETTINGS, "small": ("1",)}
CURVE_SETTINGS = ("default",)
CURVE_CONTENDERS = ("minidl", "torch")

#: Contenders probed first: the base of the output check.
BASE = "torch"

#: The directory holding benchmarks/: the workers run there, so ``-m benchmarks.x`` works.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env(extra=None):
    env = dict(os.environ)
    env.update(extra or {})
    return env


def _cases_for(cases, contender):
    return [c for c in cases if contender in c.factories]


def probe_contender(contender, cases, size, workdir, log):
    """Run benchmarks.probe for one contender; returns its document (and arrays)."""
    out = os.path.join(workdir, f"probe-{contender}.json")
    names = [c.name for c in _cases_for(cases, contender)]
    if not names:
        return {"contender": contender, "available": False, "detail": "no case", "rows": []}
    cmd = [sys.executable, "-m", "benchmarks.probe", "--contender", contender,
           "--threads", "default", "--size", size, "--cases", ",".join(names), "--out", out]
    # Fixed mmap threshold: large arrays go back to the system when freed, so that the
    # resident-set high-water mark of one step measures that step (see probe.py).
    proc = subprocess.run(cmd, env=_env({"MALLOC_MMAP_THRESHOLD_": "65536"}), cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode != 0 or not os.path.exists(out):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return {"contender": contender, "available": False,
                "detail": f"probe process failed: {tail[0][:200]}", "rows": []}
    with open(out) as f:
        doc = json.load(f)
    doc["arrays"] = {}
    if doc.get("available"):
        import numpy as np
        with np.load(out + ".npz") as z:
            doc["arrays"] = {k: z[k] for k in z.files}
    return doc


def check(probe, base, case_name, dtype):
    """Compare a contender's saved arrays with the base's: (status, detail)."""
    import numpy as np
    tol = 2e-3 if np.dtype(dtype) == np.float32 else 1e-7
    mine = {k.split("|")[1]: v for k, v in probe["arrays"].items() if k.split("|")[0] == case_name}
    theirs = {k.split("|")[1]: v for k, v in base["arrays"].items()
              if k.split("|")[0] == case_name}
    if not theirs:
        return "", "no base to compare with"
    worst = 0.0
    for i, b in theirs.items():
        a = mine.get(i)
        if a is None:
            return "MISMATCH", f"array {i} missing"
        if a.shape != b.shape:
            return "MISMATCH", f"array {i}: shape {a.shape} vs {b.shape}"
        if a.dtype != b.dtype:
            return "MISMATCH", f"array {i}: dtype {a.dtype} vs {b.dtype}"
        scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-30)
        err = float(np.max(np.abs(a.astype(np.float64) - b))) / scale if a.size else 0.0
        if not np.isfinite(err):
            return "MISMATCH", f"array {i}: non-finite values"
        worst = max(worst, err)
    return ("ok" if worst <= tol else "MISMATCH"), f"max error {worst:.1e} of max |value|"


def time_group(contender, setting, items, settings, workdir, log):
    """One pyperf Runner for (contender, thread setting); returns (benchmarks, infos, error)."""
    import pyperf
    tag = f"{contender}-{setting}"
    plan_path = os.path.join(workdir, f"plan-{tag}.json")
    out = os.path.join(workdir, f"pyperf-{tag}.json")
    info_path = os.path.join(workdir, f"info-{tag}.jsonl")
    with open(plan_path, "w") as f:
        json.dump({"size": settings["size"], "cases": items}, f)
    cmd = [sys.executable, "-m", "benchmarks.worker", "--contender", contender,
           "--threads", setting, "--plan", plan_path, "--info", info_path, "-o", out,
           "--processes", str(settings["processes"]), "--values", str(settings["values"]),
           "--warmups", str(settings["warmups"])]
    if settings.get("calibrate"):
        cmd += ["--min-time", str(settings["min_time"])]
    else:
        cmd += ["--loops", "1"]
    if os.environ.get("PYTHONPATH"):
        cmd += ["--inherit-environ", "PYTHONPATH"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT)
    lines = []
    with open(os.path.join(workdir, f"pyperf-{tag}.log"), "w") as keep:
        for line in proc.stdout:                  # pyperf's own output, kept in the log;
            keep.write(line)                      # its results and errors are shown
            lines.append(line.rstrip())
            if log and ("Mean +- std dev" in line or "Error" in line):
                log("  " + line.strip())
    proc.wait()
    benches, error = {}, None
    if os.path.exists(out):
        suite = pyperf.BenchmarkSuite.load(out)
        benches = {b.get_name(): b for b in suite.get_benchmarks()}
    if proc.returncode != 0:
        error = next((ln for ln in reversed(lines) if ln.strip()), "pyperf failed")[:200]
    infos = []
    if os.path.exists(info_path):
        with open(info_path) as f:
            infos = [json.loads(line) for line in f if line.strip()]
    return benches, infos, error, out


def _instability(bench):
    """pyperf's own warnings for this benchmark (what `python -m pyperf check` prints)."""
    try:
        from pyperf._cli import format_checks
        lines = format_checks(bench)
        return [ln[2:] for ln in lines if ln.startswith("* ")]
    except Exception:                                 # a private helper: fall back to its rule
        values = bench.get_values()
        if len(values) >= 2 and bench.stdev() >= 0.1 * bench.mean():
            return [f"the standard deviation is {bench.stdev() / bench.mean():.0%} of the mean"]
        return []


def machine_info():
    """What the timings depend on, seen by the orchestrating process."""
    info = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(), "platform": platform.platform(),
            "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import pyperf
        info["pyperf"] = pyperf.__version__
    except ImportError:
        info["pyperf"] = None
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        info["load_average"] = None
    info["minidl_source"] = _minidl_source()
    return info


def _minidl_source():
    """Where the minidl that is timed comes from: its git commit, and whether its files
    differ from it (in a subprocess: this process never imports minidl)."""
    code = "import minidl, os; print(os.path.dirname(os.path.abspath(minidl.__file__)))"
    try:
        where = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=60).stdout.strip()
        if not where:
            return None
        commit = subprocess.run(["git", "-C", where, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", where, "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return {"path": where, "commit": commit or None,
                "modified": bool(dirty) if commit else None}
    except (OSError, subprocess.SubprocessError):
        return None


def _load_now():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def run_benchmarks(case_names=None, contenders=CONTENDERS, settings=None, thread_settings=None,
                   log=print, workdir=None, cases=None, curve_contenders=CURVE_CONTENDERS):
    """Probe, check, time; returns the result document (what ``--json`` writes)."""
    settings = dict(FULL if settings is None else settings)
    thread_settings = tuple(thread_settings or threads.SETTINGS)
    start = time.perf_counter()
    if log:
        user_log = log
        log = lambda s: user_log(f"[{time.perf_counter() - start:5.0f} s] {s}")  # noqa: E731
    else:
        log = lambda s: None                                                    # noqa: E731
    table = select_cases(build_cases() if cases is None else cases, case_names)
    curves = build_curves() if settings.get("curves") else []
    if case_names and curves:
        curves = [c for c in curves if c.name.split("@")[0] in case_names]
    everything = table + curves
    own_dir = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="minidl-bench-")
    t0 = time.perf_counter()
    machine = machine_info()

    # 1. probe (torch first: the base of the check)
    order = sorted(contenders, key=lambda c: c != BASE)
    probes, skipped = {}, {}
    for who in order:
        log(f"probe {who} ...")
        mine = [c for c in everything if c.group in GROUP_SETTINGS or who in curve_contenders]
        doc = probe_contender(who, mine, settings["size"], workdir, log)
        if not doc.get("available"):
            skipped[who] = doc.get("detail", "?")
            log(f"skipping {who}: {skipped[who]}")
            continue
        probes[who] = doc

    # 2. check against the base
    rows = {}
    base = probes.get(BASE)
    for who, doc in probes.items():
        for pr in doc["rows"]:
            case = next(c for c in everything if c.name == pr["case"])  # noqa: B023
            r = {"case": case.name, "group": case.group, "contender": who,
                 "status": pr["status"], "detail": pr["detail"], "note": pr["note"],
                 "dtype": case.dtype, "description": case.describe(settings["size"]),
                 "rss_mb": pr.get("rss_mb"), "traced_mb": pr.get("traced_mb"),
                 "call_s": pr.get("call_s"), "curve_x": case.curve_x,
                 "flops": case.flops(case.sizes[settings["size"]]) if case.flops else None,
                 "target": case.target if who == "minidl" else None}
            if pr["status"] == "ok":
                if who == BASE:
                    r["check"], r["check_detail"] = "base", "outputs compared against this one"
                elif base is None:
                    r["check"], r["check_detail"] = "", f"{BASE} not installed: not checked"
                else:
                    r["check"], r["check_detail"] = check(doc, base, case.name, case.dtype)
            else:
                r["check"], r["check_detail"] = "", ""
            rows[case.name, who] = r
        odd = [f"{r['case']} {r['check'] or r['status']}" for (c, w), r in rows.items()
               if w == who and r["status"] != "n/a" and r["check"] not in ("base", "ok")]
        log(f"checked {who}: " + (", ".join(odd) if odd else "all agree with " + BASE))

    # 3. time: one pyperf Runner per (thread setting, contender)
    results, infos, pyperf_files = [], {}, []
    for setting in thread_settings:
        for who in order:
            if who not in probes:
                continue
            items = []
            for case in everything:
                allowed = CURVE_SETTINGS if case.group not in GROUP_SETTINGS \
                    else GROUP_SETTINGS[case.group]
                if setting not in allowed:
                    continue
                if case.group not in GROUP_SETTINGS and who not in curve_contenders:
                    continue
                r = rows.get((case.name, who))
                if r is None or r["status"] != "ok":
                    continue
                inner = max(1, min(100000, math.ceil(settings["min_time"] / max(r["call_s"], 1e-7))))
                items.append({"case": case.name, "inner_loops": 1 if settings.get("calibrate")
                              else inner})
            if not items:
                continue
            log(f"time {who} at {threads.label(setting)}: {len(items)} case(s)")
            benches, group_infos, error, path = time_group(who, setting, items, settings,
                                                           workdir, log)
            pyperf_files.append(path)
            infos[who, setting] = group_infos[0] if group_infos else None
            from .worker import bench_name
            for item in items:
                r = dict(rows[item["case"], who])
                r["threads"] = setting
                b = benches.get(bench_name(item["case"], who, setting))
                if b is None:
                    r["status"], r["detail"] = "error", error or "pyperf gave no result"
                    r.update(mean_ms=None, std_ms=None, values_ms=[], warnings=[])
                else:
                    vals = [v * 1e3 for v in b.get_values()]
                    r.update(mean_ms=b.mean() * 1e3,
                             std_ms=(b.stdev() * 1e3 if len(vals) > 1 else 0.0),
                             values_ms=vals, n_processes=b.get_nrun(),
                             loops=(b.get_loops(), b.get_inner_loops()),
                             warnings=_instability(b))
                results.append(r)

    # 4. the derived columns: ratio to torch, GFLOP/s, the matmul peak, targets
    by = {(r["case"], r["contender"], r["threads"]): r for r in results}
    for r in results:
        t = by.get((r["case"], BASE, r["threads"]))
        ok = r.get("mean_ms") and t is not None and t.get("mean_ms")
        r["ratio_to_torch"] = r["mean_ms"] / t["mean_ms"] if ok else None
        r["gflops"] = (r["flops"] / (r["mean_ms"] * 1e-3) / 1e9
                       if r.get("flops") and r.get("mean_ms") else None)
        r["meets_target"] = (r["ratio_to_torch"] <= r["target"]
                             if r["target"] is not None and r["ratio_to_torch"] is not None
                             else None)
    peaks = {}
    for r in results:
        if r["group"] == "gemm" and r.get("gflops"):
            key = f"{r['dtype']}|{r['threads']}"
            peaks[key] = max(peaks.get(key, 0.0), r["gflops"])
    for r in results:
        peak = peaks.get(f"{r['dtype']}|{r['threads']}")
        r["of_peak"] = r["gflops"] / peak if r.get("gflops") and peak else None

    machine["load_average_after"] = _load_now()
    machine["libraries"] = {f"{who}|{s}": info for (who, s), info in infos.items()}
    machine["probe_info"] = {who: doc.get("info") for who, doc in probes.items()}
    doc = {"machine": machine, "skipped": skipped,
           "settings": dict(settings, threads=list(thread_settings), contenders=list(contenders),
                            wall_s=round(time.perf_counter() - t0, 1),
                            command=" ".join(["python -m benchmarks.run"] + sys.argv[1:])
                            if sys.argv and sys.argv[0].endswith("run.py") else None),
           "gemm_peak_gflops": peaks, "results": results, "pyperf_files": pyperf_files,
           "not_run": [r for r in rows.values() if r["status"] not in ("ok", "n/a")]}
    if own_dir:
        doc["workdir"] = workdir
    report.write_json(doc, os.path.join(workdir, "run.json"))   # kept whatever happens next
    return doc


def write_pyperf_suite(doc, path):
    """All the run's pyperf benchmarks in one pyperf JSON file (for `pyperf compare_to`)."""
    import pyperf
    benches = []
    for f in doc.get("pyperf_files", []):
        if os.path.exists(f):
            benches += pyperf.BenchmarkSuite.load(f).get_benchmarks()
    if not benches:
        return None
    suite = pyperf.BenchmarkSuite(benches)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if os.path.exists(path):
        os.remove(path)
    suite.dump(path)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes, one pyperf process and two values per case, no curves: "
                        "a check that the harness works (seconds), not a measurement")
    p.add_argument("--cases", help="comma-separated case names (default: all; --list lists "
                                   "them); a case also selects its /small companion and "
                                   "its curves")
    p.add_argument("--contenders", default=",".join(CONTENDERS),
                   help="comma-separated subset of " + ",".join(CONTENDERS))
    p.add_argument("--threads", default=",".join(threads.SETTINGS),
                   help="thread settings to time: 1, default, or both (the default)")
    p.add_argument("--curves", dest="curves", action="store_true", default=None,
                   help="time the scaling curves (default unless --quick)")
    p.add_argument("--no-curves", dest="curves", action="store_false")
    p.add_argument("--curve-contenders", default=",".join(CURVE_CONTENDERS),
                   help="contenders drawn on the scaling curves")
    p.add_argument("--processes", type=int, help="pyperf processes per case")
    p.add_argument("--values", type=int, help="pyperf values per process")
    p.add_argument("--warmups", type=int, help="pyperf warm-up values per process")
    p.add_argument("--calibrate", action="store_true",
                   help="let pyperf calibrate the loop count (one more process per case) "
                        "instead of deriving it from the probe's time per call")
    p.add_argument("--json", help="write the results here; pyperf's own file goes beside it "
                                  "(<name>.pyperf.json)")
    p.add_argument("--compare", help="our JSON of an earlier run: print the change per case")
    p.add_argument("--markdown", help="write the report as Markdown to this file")
    p.add_argument("--plots", help="directory for the scaling and ratio plots (matplotlib)")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--from", dest="from_json", metavar="RUN.json",
                   help="time nothing: report the run saved in this JSON file again "
                        "(with --markdown, --plots, --compare)")
    args = p.parse_args(argv)

    if args.list:
        for c in all_cases():
            print(f"{c.name:18s} {c.group:16s} {c.describe()}  [{c.dtype}]")
        return 0
    settings = dict(QUICK if args.quick else FULL)
    for key in ("processes", "values", "warmups"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.curves is not None:
        settings["curves"] = args.curves
    settings["calibrate"] = args.calibrate
    names = [n.strip() for n in args.cases.split(",")] if args.cases else None
    contenders = tuple(n.strip() for n in args.contenders.split(","))
    bad = [c for c in contenders if c not in CONTENDERS]
    if bad:
        p.error(f"unknown contender(s) {bad}; known: {list(CONTENDERS)}")
    thread_settings = tuple(s.strip() for s in args.threads.split(","))
    bad = [s for s in thread_settings if s not in threads.SETTINGS]
    if bad:
        p.error(f"unknown thread setting(s) {bad}; known: {list(threads.SETTINGS)}")
    try:
        select_cases(build_cases(), names)
    except ValueError as e:
        p.error(str(e))
    try:
        import pyperf  # noqa: F401
    except ImportError:
        p.error("pyperf is not installed: pip install -e '.[bench]'")
    old = None
    if args.compare:
        with open(args.compare) as f:
            old = json.load(f)

    if args.from_json:
        with open(args.from_json) as f:
            doc = json.load(f)
    else:
        doc = run_benchmarks(names, contenders, settings, thread_settings,
                             log=lambda s: print(s, flush=True),
                             curve_contenders=tuple(args.curve_contenders.split(",")))
    print()
    print(report.format_text(doc))
    if old is not None:
        print()
        print(report.format_comparison(old, doc))
    if args.json and not args.from_json:
        pyperf_path = os.path.splitext(args.json)[0] + ".pyperf.json"
        doc["pyperf_json"] = os.path.basename(write_pyperf_suite(doc, pyperf_path) or "") or None
        report.write_json(doc, args.json)
        print(f"\nwrote {args.json}" + (f" and {pyperf_path}" if doc["pyperf_json"] else ""))
        if old is not None and old.get("pyperf_json") and doc["pyperf_json"]:
            old_pyperf = os.path.join(os.path.dirname(os.path.abspath(args.compare)),
                                      old["pyperf_json"])
            if os.path.exists(old_pyperf):
                print(f"(pyperf's own significance test: python -m pyperf compare_to "
                      f"{old_pyperf} {pyperf_path})")
    plots = {}
    if args.plots:
        try:
            plots = report.write_plots(doc, args.plots)
            for path in plots.values():
                print(f"wrote {path}")
        except ImportError:
            print("--plots: matplotlib is not installed; no plot written", file=sys.stderr)
    if args.markdown:
        report.write_markdown(doc, args.markdown, plots=plots, old=old, old_name=args.compare)
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
