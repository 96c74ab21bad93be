"""Reporting: the text table, JSON, Markdown, the comparison of two runs and the plot."""
import json
import os

COLUMNS = ("case", "contender", "median ms", "IQR ms", "min ms", "× torch", "target", "", "check")
_WIDTHS = (22, 10, 11, 9, 10, 9, 7, 2, 8)


def _ms(v):
    if v is None:
        return "—"
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def _ratio(v):
    return "—" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.0f}")


def _cells(row):
    if row["status"] != "ok":
        status = row["status"].split(":")[0]
        return [row["case"], row["contender"], status, "", "", "", "", "", ""]
    mark = "" if row["meets_target"] is None else ("✓" if row["meets_target"] else "✗")
    target = "" if row["target"] is None else f"≤ {row['target']:g}"
    return [row["case"], row["contender"], _ms(row["median_ms"]), _ms(row["iqr_ms"]),
            _ms(row["min_ms"]), _ratio(row["ratio_to_torch"]), target, mark, row["check"]]


def format_header():
    line = "  ".join(f"{c:<{w}}" for c, w in zip(COLUMNS, _WIDTHS))
    return line + "\n" + "-" * len(line)


def format_row(row):
    return "  ".join(f"{c:<{w}}" for c, w in zip(_cells(row), _WIDTHS))


def _shown(results):
    """The rows worth a line: not those of a contender with no implementation of the case."""
    return [r for r in results if r["status"] != "n/a"]


def format_table(doc):
    return "\n".join([format_header()] + [format_row(r) for r in _shown(doc["results"])])


def format_machine(m):
    pools = m.get("threadpools")
    if isinstance(pools, list):
        pools = "; ".join(f"{p['internal_api']} {p['version']} ({p['user_api']}, "
                          f"{p['num_threads']} threads, {os.path.basename(str(p['prefix']))})"
                          for p in pools)
    return (f"machine: {m.get('cpu')} ({m.get('cpu_count')} logical CPUs), {m.get('platform')}\n"
            f"python {m.get('python')}, numpy {m.get('numpy')} (BLAS {m.get('numpy_blas')}, "
            f"{m.get('numpy_blas_threads', '?')} threads), torch {m.get('torch')} "
            f"({m.get('torch_num_threads', '?')} threads), mygrad {m.get('mygrad')}, "
            f"minidl {m.get('minidl')}\nthread pools: {pools}\n"
            f"load average (1, 5, 15 min): {_load(m.get('load_average'))} at the start, "
            f"{_load(m.get('load_average_after'))} at the end")


def _notes(doc):
    """(case descriptions, remarks about contenders) for the text and Markdown reports."""
    descriptions, remarks, seen = [], [], set()
    for r in doc["results"]:
        if r["case"] not in seen:
            seen.add(r["case"])
            descriptions.append((r["case"], f"{r['description']} [{r['dtype']}]"))
        if r["status"] not in ("ok", "n/a"):
            remarks.append((r["case"], r["contender"], f"{r['status']} — {r['detail']}"))
        elif r["status"] == "ok":
            if r["check"] == "MISMATCH":
                remarks.append((r["case"], r["contender"],
                                f"outputs differ from the base: {r['check_detail']}"))
            if r["note"]:
                remarks.append((r["case"], r["contender"], r["note"]))
    return descriptions, remarks


def format_notes(doc):
    descriptions, remarks = _notes(doc)
    lines = ["cases:"] + [f"  {c:22s} {d}" for c, d in descriptions]
    if remarks:
        lines += ["notes:"] + [f"  {c} / {who}: {text}" for c, who, text in remarks]
    return "\n".join(lines)


def _index(doc):
    return {(r["case"], r["contender"]): r for r in doc["results"]}


def comparison_rows(old, new):
    """For every (case, contender) timed in both runs: old and new median and ratio."""
    before = _index(old)
    rows = []
    for r in new["results"]:
        o = before.get((r["case"], r["contender"]))
        if o is None or o.get("median_ms") is None or r.get("median_ms") is None:
            continue
        rows.append({"case": r["case"], "contender": r["contender"],
                     "old_ms": o["median_ms"], "new_ms": r["median_ms"],
                     "change": r["median_ms"] / o["median_ms"] - 1,
                     "old_ratio": o.get("ratio_to_torch"), "new_ratio": r.get("ratio_to_torch")})
    return rows


def _machine_differences(old, new):
    keys = ("cpu", "cpu_count", "numpy", "numpy_blas", "torch", "torch_num_threads", "mygrad")
    return [f"{k}: {old['machine'].get(k)} → {new['machine'].get(k)}" for k in keys
            if old["machine"].get(k) != new["machine"].get(k)]


def format_comparison(old, new):
    rows = comparison_rows(old, new)
    lines = [f"change since the run of {old['machine'].get('date', '?')} "
             f"(time: new/old − 1; negative is faster):",
             f"{'case':22s}  {'contender':10s}  {'old ms':>9s}  {'new ms':>9s}  {'change':>7s}  "
             f"{'× torch old → new':>18s}"]
    for r in rows:
        ratio = f"{_ratio(r['old_ratio'])} → {_ratio(r['new_ratio'])}"
        lines.append(f"{r['case']:22s}  {r['contender']:10s}  {_ms(r['old_ms']):>9s}  "
                     f"{_ms(r['new_ms']):>9s}  {r['change']:+7.0%}  {ratio:>18s}")
    diff = _machine_differences(old, new)
    if diff:
        lines.append("note: the runs differ in " + "; ".join(diff))
    return "\n".join(lines)


def write_json(doc, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


def _load(v):
    return "?" if not v else " / ".join(f"{x:.1f}" for x in v)


def _md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def format_markdown(doc, plot_path=None, markdown_dir=".", old=None, old_name=None):
    m, s = doc["machine"], doc["settings"]
    parts = ["# Benchmarks", "",
             "<!-- Generated by benchmarks/run.py; do not edit by hand: run the harness again. -->",
             "",
             f"minidl beside PyTorch, MyGrad and the literal references of `minidl.reference`, "
             f"timed in one run on {m.get('date', '?')}, contenders interleaved round by round. "
             f"{s['repeats']} rounds after {s['warmup']} warm-up call(s); each sample lasts at least "
             f"{s['min_sample_s'] * 1e3:g} ms (short calls are looped). "
             f"See `benchmarks/README.md` in the repository for what the columns mean "
             f"and how to run and compare.", "",
             "## Machine", "",
             _md_table(("", ""), [
                 ("CPU", f"{m.get('cpu')} ({m.get('cpu_count')} logical CPUs)"),
                 ("platform", m.get("platform")), ("Python", m.get("python")),
                 ("NumPy", f"{m.get('numpy')}, BLAS {m.get('numpy_blas')}, "
                           f"{m.get('numpy_blas_threads', '?')} threads"),
                 ("PyTorch", f"{m.get('torch')}, {m.get('torch_num_threads', '?')} threads "
                             f"(its default)"),
                 ("MyGrad", m.get("mygrad")), ("minidl", m.get("minidl")),
                 ("load average", f"{_load(m.get('load_average'))} at the start, "
                                  f"{_load(m.get('load_average_after'))} at the end "
                                  f"(1, 5, 15 min)")]), "",
             "## Results", "",
             "Median and interquartile range of the time per call in milliseconds; "
             "`× torch` is the median divided by PyTorch's on the same case; the target is "
             "the ratio minidl aims for (✓ met, ✗ not met); `check` compares each "
             "contender's output and gradients with PyTorch's (`base`).", ""]
    rows = []
    for r in _shown(doc["results"]):
        cells = _cells(r)
        cells[0] = f"`{cells[0]}`"
        rows.append(cells)
    parts += [_md_table(COLUMNS[:7] + ("met", "check"), rows), ""]
    descriptions, remarks = _notes(doc)
    parts += ["### Cases", ""] + [f"- `{c}`: {d}" for c, d in descriptions] + [""]
    if remarks:
        parts += ["### Notes", ""] + [f"- `{c}` / {who}: {t}" for c, who, t in remarks] + [""]
    if plot_path:
        rel = os.path.relpath(os.path.abspath(plot_path), os.path.abspath(markdown_dir))
        parts += ["## Ratio to PyTorch", "", f"![time relative to PyTorch]({rel})", ""]
    if old is not None:
        rows = [(f"`{r['case']}`", r["contender"], _ms(r["old_ms"]), _ms(r["new_ms"]),
                 f"{r['change']:+.0%}", f"{_ratio(r['old_ratio'])} → {_ratio(r['new_ratio'])}")
                for r in comparison_rows(old, doc)]
        parts += [f"## Change since {old_name or 'the previous run'}", "",
                  _md_table(("case", "contender", "old ms", "new ms", "change", "× torch"), rows),
                  ""]
        diff = _machine_differences(old, doc)
        if diff:
            parts += ["The runs differ in " + "; ".join(diff) + ".", ""]
    return "\n".join(parts)


def write_markdown(doc, path, plot_path=None, old=None, old_name=None):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    text = format_markdown(doc, plot_path, os.path.dirname(os.path.abspath(path)), old, old_name)
    with open(path, "w") as f:
        f.write(text)


def write_plot(doc, path):
    """Horizontal bars: each contender's time divided by PyTorch's, per case, log scale.

    Raises:
        ImportError: matplotlib is not installed.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    contenders = [c for c in ("minidl", "mygrad", "reference")
                  if any(r["contender"] == c and r["ratio_to_torch"] for r in doc["results"])]
    cases = []
    for r in doc["results"]:
        if r["case"] not in cases:
            cases.append(r["case"])
    idx = _index(doc)
    colors = {"minidl": "tab:blue", "mygrad": "tab:orange", "reference": "tab:gray"}
    height = 0.8 / max(len(contenders), 1)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(cases) + 1.5))
    for j, c in enumerate(contenders):
        ys, xs = [], []
        for i, case in enumerate(cases):
            r = idx.get((case, c))
            if r and r["ratio_to_torch"]:
                ys.append(i + (j - (len(contenders) - 1) / 2) * height)
                xs.append(r["ratio_to_torch"])
        ax.barh(ys, xs, height=height, color=colors[c], label=c)
    for i, case in enumerate(cases):
        r = idx.get((case, "minidl"))
        if r and r["target"]:
            ax.plot([r["target"]] * 2, [i - 0.45, i + 0.45], color="black", lw=1.5)
    ax.plot([], [], color="black", lw=1.5, label="minidl target")
    ax.axvline(1.0, color="tab:red", lw=1, ls="--", label="PyTorch")
    ax.set_xscale("log")
    ax.set_yticks(range(len(cases)))
    ax.set_yticklabels(cases)
    ax.invert_yaxis()
    ax.set_xlabel("median time / PyTorch's median time (log scale; lower is faster)")
    ax.set_title("minidl beside PyTorch " + str(doc["machine"].get("torch")), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
