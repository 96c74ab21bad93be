"""Reporting: the text tables, JSON, Markdown, plots, fitted exponents, run comparison.

Everything here reads the result document of ``run.run_benchmarks`` (a dict of plain
values, what ``--json`` writes), so a saved run can be reported again.
"""
import json
import math
import os

from . import threads

LIBS = ("minidl", "torch", "jax", "autograd", "mygrad", "reference")


# --------------------------------------------------------------------------- numbers
def ms(v):
    """A time in ms with 3 significant digits ('—' for none)."""
    if v is None:
        return "—"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def ms_pm(mean, std):
    """'12.3 ± 0.41' (ms; the deviation to 2 significant digits)."""
    if mean is None:
        return "—"
    if not std:
        return ms(mean)
    return f"{ms(mean)} ± {std:.0f}" if std >= 10 else f"{ms(mean)} ± {std:.2g}"


def gflops(v):
    return f"{v:.0f}" if v >= 10 else f"{v:.2g}"


def ratio(v):
    return "—" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.0f}")


def _load(v):
    return "?" if not v else " / ".join(f"{x:.1f}" for x in v)


def fit_exponent(xs, ys):
    """Least-squares slope of log y against log x: y ∝ x^slope. None for < 2 points."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x and y and x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


# --------------------------------------------------------------------------- views
def index(doc):
    return {(r["case"], r["contender"], r.get("threads")): r for r in doc["results"]}


def default_threads(doc):
    """The thread count the libraries picked by themselves (PyTorch's, else BLAS's)."""
    libs = doc["machine"].get("libraries", {})
    info = libs.get("torch|default") or libs.get("minidl|default")
    if not info:
        return None
    if "torch_threads" in info:
        return info["torch_threads"]
    pools = info.get("threadpools") or []
    return pools[0]["num_threads"] if pools else None


def thread_label(doc, setting):
    return threads.label(setting, default_threads(doc) if setting == "default" else None)


def settings_of(doc):
    return [s for s in threads.SETTINGS if s in doc["settings"].get("threads", [])]


def cases_in(doc, groups):
    out = []
    for r in doc["results"]:
        if r["group"] in groups and r["case"] not in out:
            out.append(r["case"])
    return out


def contenders_in(doc):
    present = {r["contender"] for r in doc["results"]}
    return [c for c in LIBS if c in present]


def curves(doc):
    """{curve name: {contender: [(x, mean_ms), ...]}} for the default thread setting."""
    out = {}
    for r in doc["results"]:
        if r["group"] in ("table", "small", "gemm") or r.get("mean_ms") is None:
            continue
        out.setdefault(r["group"], {}).setdefault(r["contender"], []).append(
            (r["curve_x"], r["mean_ms"]))
    for per in out.values():
        for pts in per.values():
            pts.sort()
    return out


def exponents(doc):
    """{curve: {contender: fitted exponent}}."""
    return {curve: {who: fit_exponent([x for x, _ in pts], [y for _, y in pts])
                    for who, pts in per.items()}
            for curve, per in curves(doc).items()}


def _mark(r):
    if r is None or r.get("meets_target") is None:
        return ""
    return "✓" if r["meets_target"] else "✗"


def _time_cell(r, with_std=False):
    if r is None:
        return "—"
    if r["status"] != "ok":
        return r["status"]
    cell = ms_pm(r["mean_ms"], r["std_ms"]) if with_std else ms(r["mean_ms"])
    if r.get("check") == "MISMATCH":
        cell += " (≠)"
    if r.get("warnings"):
        cell += " ⚠"
    return cell


# --------------------------------------------------------------------------- tables
def ratio_table(doc):
    """The headline: minidl and torch (mean ms) and their ratio at each thread setting."""
    idx, sets = index(doc), settings_of(doc)
    header = ["case"]
    for s in sets:
        lab = thread_label(doc, s)
        header += [f"minidl {lab}", f"torch {lab}", f"× {lab}"]
    header += ["target", "met"]
    rows = []
    for case in cases_in(doc, ("table",)):
        row, target, marks = [case], "", []
        for s in sets:
            m, t = idx.get((case, "minidl", s)), idx.get((case, "torch", s))
            row += [_time_cell(m), _time_cell(t), ratio(m and m.get("ratio_to_torch"))]
            if m and m.get("target") is not None:
                target = f"≤ {m['target']:g}"
            marks.append(_mark(m))
        rows.append(row + [target, " ".join(x for x in marks if x)])
    return header, rows


def contender_table(doc, setting, groups=("table", "small", "gemm")):
    """Every contender's mean ± std (ms) on every case at one thread setting."""
    idx = index(doc)
    who = [c for c in contenders_in(doc)
           if any(k[1] == c and k[2] == setting for k in idx)]
    rows = []
    for case in cases_in(doc, groups):
        if not any((case, c, setting) in idx for c in who):
            continue
        rows.append([case] + [_time_cell(idx.get((case, c, setting)), with_std=True)
                              for c in who])
    return ["case"] + who, rows


def flops_table(doc):
    """GFLOP per step, achieved GFLOP/s and the share of the matmul peak."""
    idx, sets = index(doc), settings_of(doc)
    who = [c for c in ("minidl", "torch", "jax") if c in contenders_in(doc)]
    header = ["case", "GFLOP"] + [f"{c} {thread_label(doc, s)}" for s in sets for c in who]
    rows = []
    for case in cases_in(doc, ("table", "gemm")):
        any_row = next((r for r in doc["results"] if r["case"] == case and r.get("flops")), None)
        if any_row is None:
            continue
        row = [case, f"{any_row['flops'] / 1e9:.2g}"]
        for s in sets:
            for c in who:
                r = idx.get((case, c, s))
                if r is None or r.get("gflops") is None:
                    row.append("—")
                elif r["group"] == "gemm":
                    row.append(gflops(r["gflops"]))
                else:
                    row.append(f"{gflops(r['gflops'])} ({r['of_peak']:.0%})"
                               if r.get("of_peak") else gflops(r["gflops"]))
        rows.append(row)
    return header, rows


def memory_table(doc):
    """Peak memory of one step (MB), from the probe: RSS rise for every library; for the
    NumPy libraries tracemalloc's peak in parentheses."""
    who = [c for c in contenders_in(doc) if c != "reference"]
    probe = {}
    for r in doc["results"]:
        if r["group"] in ("table",):
            probe[r["case"], r["contender"]] = r
    rows = []
    for case in cases_in(doc, ("table",)):
        row = [case]
        for c in who:
            r = probe.get((case, c))
            if r is None or r.get("rss_mb") is None and r.get("traced_mb") is None:
                row.append("—")
                continue
            cell = f"{r['rss_mb']:.0f}" if r.get("rss_mb") is not None else "?"
            if r.get("traced_mb") is not None:
                cell += f" ({r['traced_mb']:.0f})"
            row.append(cell)
        rows.append(row)
    return ["case"] + who, rows


def exponent_table(doc):
    ex = exponents(doc)
    who = [c for c in LIBS if any(c in per for per in ex.values())]
    rows = []
    for curve, per in ex.items():
        pts = curves(doc)[curve]
        xs = sorted({x for p in pts.values() for x, _ in p})
        rows.append([curve, ", ".join(f"{x:g}" for x in xs)]
                    + ["—" if per.get(c) is None else f"{per[c]:.2f}" for c in who])
    return ["curve", "points"] + who, rows


def warnings_list(doc):
    out = []
    for r in doc["results"]:
        for w in r.get("warnings") or []:
            out.append((r["case"], r["contender"], thread_label(doc, r["threads"]), w))
    return out


def notes_list(doc):
    """(case, contender, text): checks that failed, contenders not run, how ops were written."""
    out, seen = [], set()
    for r in doc.get("not_run", []):
        out.append((r["case"], r["contender"], f"{r['status']}: {r['detail']}"))
    for r in doc["results"]:
        key = (r["case"], r["contender"])
        if key in seen:
            continue
        seen.add(key)
        if r.get("check") == "MISMATCH":
            out.append((r["case"], r["contender"], f"outputs differ from PyTorch's: "
                                                    f"{r['check_detail']}"))
        if r["status"] == "error":
            out.append((r["case"], r["contender"], f"error: {r['detail']}"))
    return out


def how_written(doc):
    """{contender: {note: [cases]}}: how a contender without the op does the work."""
    out = {}
    seen = set()
    for r in doc["results"]:
        key = (r["case"], r["contender"])
        if key in seen or not r.get("note") or r["group"] not in ("table", "gemm"):
            continue
        seen.add(key)
        out.setdefault(r["contender"], {}).setdefault(r["note"], []).append(r["case"])
    return out


def descriptions(doc):
    out = {}
    for r in doc["results"] + doc.get("not_run", []):
        if r["group"] in ("table", "small", "gemm") and r["case"] not in out:
            out[r["case"]] = f"{r['description']} [{r['dtype']}]"
    return out


# --------------------------------------------------------------------------- text
def _text_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else \
        [len(h) for h in header]
    line = lambda cells: "  ".join(f"{str(c):<{w}}" for c, w in zip(cells, widths))  # noqa
    return "\n".join([line(header), "-" * len(line(header))] + [line(r) for r in rows])


def format_machine(doc):
    m = doc["machine"]
    lines = [f"machine: {m.get('cpu')} ({m.get('cpu_count')} logical CPUs), {m.get('platform')}",
             f"python {m.get('python')}, pyperf {m.get('pyperf')}",
             f"load average (1, 5, 15 min): {_load(m.get('load_average'))} at the start, "
             f"{_load(m.get('load_average_after'))} at the end"]
    for key, info in sorted(m.get("libraries", {}).items()):
        who, setting = key.split("|")
        lines.append(f"  {who:9s} {thread_label(doc, setting):8s} {threads.summary(info)}")
    return "\n".join(lines)


def format_text(doc):
    parts = ["minidl / PyTorch (mean ms; × = minidl/torch at the same thread count)",
             _text_table(*ratio_table(doc)), ""]
    for s in settings_of(doc):
        parts += [f"every contender at {thread_label(doc, s)} (mean ± std ms)",
                  _text_table(*contender_table(doc, s)), ""]
    h, rows = flops_table(doc)
    if rows:
        parts += ["GFLOP/s (share of the best matmul peak of the run)", _text_table(h, rows), ""]
    h, rows = memory_table(doc)
    if rows:
        parts += ["peak memory of one step, MB: RSS rise (tracemalloc)", _text_table(h, rows), ""]
    h, rows = exponent_table(doc)
    if rows:
        parts += ["scaling: fitted exponent of time ∝ size^k", _text_table(h, rows), ""]
    for who, detail in doc.get("skipped", {}).items():
        parts.append(f"skipped {who}: {detail}")
    for case, who, text in notes_list(doc):
        parts.append(f"note {case} / {who}: {text}")
    w = warnings_list(doc)
    if w:
        parts.append(f"pyperf warned about {len(w)} timing(s) (marked ⚠): "
                     + "; ".join(f"{c} {who} {t}: {msg}" for c, who, t, msg in w[:8])
                     + (" ..." if len(w) > 8 else ""))
    parts += ["", format_machine(doc)]
    return "\n".join(parts)


# --------------------------------------------------------------------------- comparison
def comparison_rows(old, new):
    """For every (case, contender, threads) timed in both runs: old and new mean, the
    change, and the old and new ratio to PyTorch."""
    before = index(old)
    rows = []
    for r in new["results"]:
        o = before.get((r["case"], r["contender"], r["threads"]))
        if o is None or o.get("mean_ms") is None or r.get("mean_ms") is None:
            continue
        rows.append({"case": r["case"], "contender": r["contender"], "threads": r["threads"],
                     "old_ms": o["mean_ms"], "new_ms": r["mean_ms"],
                     "change": r["mean_ms"] / o["mean_ms"] - 1,
                     "old_ratio": o.get("ratio_to_torch"), "new_ratio": r.get("ratio_to_torch")})
    return rows


def _machine_differences(old, new):
    out = []
    for k in ("cpu", "cpu_count", "python"):
        if old["machine"].get(k) != new["machine"].get(k):
            out.append(f"{k}: {old['machine'].get(k)} → {new['machine'].get(k)}")
    ol, nl = old["machine"].get("libraries", {}), new["machine"].get("libraries", {})
    for key in sorted(set(ol) & set(nl)):
        a, b = threads.summary(ol[key]), threads.summary(nl[key])
        if a != b:
            out.append(f"{key.replace('|', ' ')}: {a} → {b}")
    return out


def comparison_table(old, new):
    header = ["case", "contender", "threads", "old ms", "new ms", "change", "× torch"]
    rows = [[r["case"], r["contender"], thread_label(new, r["threads"]), ms(r["old_ms"]),
             ms(r["new_ms"]), f"{r['change']:+.0%}",
             f"{ratio(r['old_ratio'])} → {ratio(r['new_ratio'])}"]
            for r in comparison_rows(old, new)]
    return header, rows


def format_comparison(old, new):
    lines = [f"change since the run of {old['machine'].get('date', '?')} "
             f"(new/old − 1; negative is faster):", _text_table(*comparison_table(old, new))]
    diff = _machine_differences(old, new)
    if diff:
        lines.append("note: the runs differ in " + "; ".join(diff))
    return "\n".join(lines)


# --------------------------------------------------------------------------- files
def _plain(v):
    """JSON-safe copy (tuples to lists, NumPy numbers to floats)."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()
    return v


def write_json(doc, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    keep = {k: v for k, v in doc.items() if k not in ("pyperf_files", "workdir")}
    with open(path, "w") as f:
        json.dump(_plain(keep), f, indent=1, ensure_ascii=False)
        f.write("\n")


def _md_table(header, rows, code_first=True):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [str(c) for c in row]
        if code_first:
            cells[0] = f"`{cells[0]}`"
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def format_markdown(doc, plots=None, markdown_dir=".", old=None, old_name=None):
    m, s = doc["machine"], doc["settings"]
    date = m.get("date", "?").replace("T", " ")
    load0, load1 = _load(m.get("load_average")), _load(m.get("load_average_after"))
    busy = max((m.get("load_average") or [0])[:1] + (m.get("load_average_after") or [0])[:1])
    cpus = m.get("cpu_count") or 1
    parts = ["# Benchmarks", "",
             "<!-- Generated by `python -m benchmarks.run`; do not edit by hand: run the "
             "harness again. -->", ""]
    if busy > 0.25 * cpus or s.get("size") != "full":
        parts += ['!!! warning "Provisional numbers"',
                  f"    Run on {date} on a machine shared with other work: load average "
                  f"{load0} at the start and {load1} at the end (1, 5, 15 min) on "
                  f"{cpus} logical CPUs. Other processes took CPU time from the timed ones, "
                  f"so the times are noisy and the ratios only indicative; the page will be "
                  f"regenerated from a run on a quiet machine.", ""]
        if s.get("size") != "full":
            parts += ["    Sizes: **tiny** (`--quick`): a check of the harness, not a "
                      "measurement.", ""]
    else:
        parts += [f"Run on {date}; load average {load0} at the start, {load1} at the end.", ""]
    lab = {st: thread_label(doc, st) for st in settings_of(doc)}
    parts += [
        "Each contender runs alone in its own processes, at 1 thread and at the thread count "
        "the libraries choose by themselves "
        f"({', '.join(lab.values())}), timed by [pyperf](https://pyperf.readthedocs.io): "
        f"{s['processes']} fresh process(es) per case and thread setting, "
        f"{s['warmups']} warm-up and {s['values']} timed value(s) in each. Times are the mean "
        "over the values in milliseconds; **×** is minidl's time divided by PyTorch's at the "
        "same thread count, measured in the same run. Before anything is timed, every "
        "contender's output and gradients are compared with PyTorch's. "
        "How to run it and what each column means: `benchmarks/README.md`.", "",
        "## minidl beside PyTorch", "",
        _md_table(*ratio_table(doc)), "",
        "The target is the ratio minidl aims for at both thread counts; ✓ met, ✗ not "
        "met (one mark per thread count). ⚠: pyperf found the timing unstable (see "
        "below); (≠): the outputs differ from PyTorch's.", ""]
    desc = descriptions(doc)
    parts += ["### The cases", ""] + [f"- `{c}`: {d}" for c, d in desc.items()] + [""]
    for st in settings_of(doc):
        h, rows = contender_table(doc, st)
        parts += [f"## Every contender, {lab[st]}", "", "Mean ± standard deviation, ms.", "",
                  _md_table(h, rows), ""]
    written = how_written(doc)
    if written:
        parts += ["How the other libraries do the work:", ""]
        for who, notes in written.items():
            parts.append(f"- {who}: " + "; ".join(f"{n} ({', '.join(cs)})"
                                                  for n, cs in notes.items()))
        parts.append("")
    h, rows = flops_table(doc)
    if rows:
        peaks = doc.get("gemm_peak_gflops", {})
        parts += ["## Arithmetic throughput", "",
                  "Floating-point operations per step (the GEMMs of the forward and backward; "
                  "softmax and elementwise work not counted) divided by the time: GFLOP/s, "
                  "and in parentheses the share of the fastest matmul of the same dtype and "
                  "thread count measured in this run (`gemm_*` rows). Matmul peak, GFLOP/s: "
                  + (", ".join(f"{k.split('|')[0]} {thread_label(doc, k.split('|')[1])} {v:.0f}"
                               for k, v in sorted(peaks.items()))
                     or "not measured in this run (no `gemm_*` case)") + ".", "",
                  _md_table(h, rows), ""]
    h, rows = memory_table(doc)
    if rows:
        parts += ["## Peak memory", "",
                  "MB used by one step above what the process held before it, measured once "
                  "per case after a warm-up at the default thread count: the rise of the "
                  "resident set (Linux `VmHWM`, reset before the step, with a fixed "
                  "`MALLOC_MMAP_THRESHOLD_` so that freed arrays are returned), for every "
                  "library; in parentheses, for the NumPy libraries, `tracemalloc`'s peak "
                  "(the bytes NumPy allocated).", "", _md_table(h, rows), ""]
    h, rows = exponent_table(doc)
    if rows:
        parts += ["## Scaling", "",
                  f"Time against one size at the default thread count ({lab.get('default', '')})"
                  ", the others fixed (batch N and image size for `conv2d`, sequence length "
                  "L for `sdpa` and `lstm`), and the exponent k of a least-squares fit "
                  "time ∝ size^k on the log–log plot: 1 is linear, 2 quadratic; below 1 "
                  "the fixed per-call costs still matter.", "", _md_table(h, rows), ""]
        if plots and plots.get("scaling"):
            rel = os.path.relpath(os.path.abspath(plots["scaling"]), os.path.abspath(markdown_dir))
            parts += [f"![time against size, log-log]({rel})", ""]
    warn = warnings_list(doc)
    notes = notes_list(doc)
    if notes or doc.get("skipped"):
        parts += ["## Notes", ""]
        parts += [f"- {who} skipped: {d}" for who, d in doc.get("skipped", {}).items()]
        parts += [f"- `{c}` / {who}: {t}" for c, who, t in notes]
        parts.append("")
    if warn:
        flagged = {}
        for c, who, t, msg in warn:
            flagged.setdefault((c, who, t), []).append(msg)
        timed = len(doc["results"])
        parts += ["## Instability warnings", "",
                  f"pyperf flagged {len(flagged)} of the {timed} timings (⚠; rerun on a quiet "
                  "machine with more `--processes`/`--values`). Those of the table's cases, "
                  "each with pyperf's first remark (all of them are in the JSON):", ""]
        table = set(cases_in(doc, ("table", "gemm")))
        parts += [f"- `{c}` {who} {t}: {msgs[0]}" for (c, who, t), msgs in flagged.items()
                  if c in table] + [""]
    parts += ["## Machine", "",
              _md_table(["", ""], [
                  ["CPU", f"{m.get('cpu')} ({m.get('cpu_count')} logical CPUs)"],
                  ["platform", m.get("platform")], ["Python", m.get("python")],
                  ["pyperf", m.get("pyperf")],
                  ["minidl", _source(m.get("minidl_source"))],
                  ["load average", f"{load0} at the start, {load1} at the end (1, 5, 15 min)"]],
                  code_first=False), "",
              "What each contender's timed processes ran with (version, PyTorch's intra-op "
              "threads, the thread pools threadpoolctl sees, usable CPUs):", ""]
    libs = m.get("libraries", {})
    rows = [[k.split("|")[0], lab.get(k.split("|")[1], k.split("|")[1]), threads.summary(v)]
            for k, v in sorted(libs.items())]
    if rows:
        parts += [_md_table(["contender", "threads", "versions, BLAS and threads"], rows,
                            code_first=False), ""]
    parts += [f"Total run time {s.get('wall_s', '?')} s."
              + (f" Command: `{s['command']}`." if s.get("command") else ""), ""]
    if old is not None:
        h, rows = comparison_table(old, doc)
        parts += [f"## Change since {old_name or 'the previous run'}", "",
                  f"Run of {old['machine'].get('date', '?')}; change = new/old − 1 (negative is "
                  "faster).", "", _md_table(h, rows), ""]
        diff = _machine_differences(old, doc)
        if diff:
            parts += ["The runs differ in " + "; ".join(diff) + ".", ""]
    return "\n".join(parts)


def _source(src):
    if not src:
        return "?"
    if not src.get("commit"):
        return "not in a git checkout"
    return f"commit {src['commit']}" + (", with local changes" if src.get("modified") else "")


def write_markdown(doc, path, plots=None, old=None, old_name=None):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    text = format_markdown(doc, plots, os.path.dirname(os.path.abspath(path)), old, old_name)
    with open(path, "w") as f:
        f.write(text)


_COLORS = {"minidl": "tab:blue", "torch": "tab:red", "jax": "tab:green",
           "autograd": "tab:purple", "mygrad": "tab:orange", "reference": "tab:gray"}


def write_plots(doc, directory):
    """The scaling curves on log–log axes (one panel per curve), with each library's
    fitted exponent in the legend. Returns {"scaling": path} (empty without curves).

    Raises:
        ImportError: matplotlib is not installed.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    data = curves(doc)
    if not data:
        return {}
    ex = exponents(doc)
    n = len(data)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.6 * rows), squeeze=False)
    for ax, (curve, per) in zip(axes.flat, data.items()):
        for who in LIBS:
            if who not in per:
                continue
            xs, ys = zip(*per[who])
            k = ex[curve].get(who)
            ax.plot(xs, ys, "o-", color=_COLORS[who], ms=4,
                    label=f"{who} (k = {k:.2f})" if k is not None else who)
        ax.set_xscale("log")
        ax.set_yscale("log")
        xs_all = sorted({x for pts in per.values() for x, _ in pts})
        ax.set_xticks(xs_all)                   # the measured sizes, as plain numbers
        ax.set_xticklabels([f"{x:g}" for x in xs_all])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_title(curve, fontsize=10)
        ax.set_xlabel(curve.split(" vs ")[-1])
        ax.set_ylabel("ms per step")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(f"time against size ({thread_label(doc, 'default')}), log–log", fontsize=10)
    fig.tight_layout()
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "benchmarks_scaling.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return {"scaling": path}
