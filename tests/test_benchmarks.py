"""Smoke tests of the benchmark harness (benchmarks/): tiny sizes, no timing asserted.

One small run (``--quick`` settings, two cases, minidl, PyTorch, the reference loops and a
contender whose library is broken) checks that each contender is timed in processes of
its own with the thread settings it was asked for, that outputs are checked against
PyTorch, and that a missing library is skipped. The report, the fitted exponents and
the comparison of two runs are tested on made-up result documents.
"""
import copy
import json
import os

import pytest

pytest.importorskip("pyperf")

from benchmarks import report, run, threads  # noqa: E402
from benchmarks.cases import (CONTENDERS, CURVES, TARGETS, all_cases, build_cases,  # noqa: E402
                              build_curves, find_case, select_cases)


@pytest.fixture(scope="module")
def doc(tmp_path_factory):
    """A real run: op_chain (minidl, torch) and conv2d/small (+ the reference loop), at
    1 thread and the default, with a MyGrad that cannot be imported."""
    pytest.importorskip("torch")
    fake = tmp_path_factory.mktemp("fake_site")
    (fake / "mygrad.py").write_text("raise ImportError('this mygrad is broken on purpose')\n")
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(fake)] + ([old] if old else []))
    try:
        cases = [find_case("op_chain"), find_case("conv2d/small")]
        yield run.run_benchmarks(contenders=("minidl", "torch", "reference", "mygrad"),
                                 settings=run.QUICK, thread_settings=threads.SETTINGS,
                                 log=None, cases=cases,
                                 workdir=str(tmp_path_factory.mktemp("bench")))
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old


def _row(doc, case, who, setting):
    return next(r for r in doc["results"]
                if (r["case"], r["contender"], r["threads"]) == (case, who, setting))


def test_every_contender_is_timed_in_its_own_processes(doc):
    libs = doc["machine"]["libraries"]
    assert set(libs) == {"minidl|1", "minidl|default", "torch|1", "torch|default",
                         "reference|1"}
    pids = [info["pid"] for info in libs.values()]
    assert len(set(pids)) == len(pids) and os.getpid() not in pids
    for key, info in libs.items():
        who, setting = key.split("|")
        if setting == "1":
            assert info["env"]["OMP_NUM_THREADS"] == "1"
            assert info["env"]["OPENBLAS_NUM_THREADS"] == "1"
            assert info.get("cpus", 1) == 1
            for pool in info["threadpools"] or []:
                assert pool["num_threads"] == 1, (key, pool)
        else:
            assert info["env"] == {}
    assert libs["torch|1"]["torch_threads"] == 1
    assert libs["torch|default"]["torch_threads"] >= 1
    for path in doc["pyperf_files"]:           # one pyperf file per (contender, setting)
        assert os.path.exists(path)


def test_timed_rows_and_settings(doc):
    got = sorted((r["case"], r["contender"], r["threads"]) for r in doc["results"])
    assert got == sorted([("op_chain", "minidl", "1"), ("op_chain", "torch", "1"),
                          ("op_chain", "minidl", "default"), ("op_chain", "torch", "default"),
                          ("conv2d/small", "minidl", "1"), ("conv2d/small", "torch", "1"),
                          ("conv2d/small", "reference", "1")])
    for r in doc["results"]:
        assert r["status"] == "ok", r
        assert r["mean_ms"] > 0 and len(r["values_ms"]) == run.QUICK["values"]
        assert r["n_processes"] == run.QUICK["processes"]
        assert r["mean_ms"] == pytest.approx(sum(r["values_ms"]) / len(r["values_ms"]))
        assert isinstance(r["warnings"], list)
        assert r["loops"][0] == 1 and r["loops"][1] >= 1       # inner loops from the probe
    assert doc["settings"]["size"] == "tiny"


def test_outputs_checked_against_torch(doc):
    for r in doc["results"]:
        expect = "base" if r["contender"] == "torch" else "ok"
        assert r["check"] == expect, (r["case"], r["contender"], r["check_detail"])


def test_missing_library_is_skipped_with_a_line(doc):
    assert "mygrad" in doc["skipped"]
    assert "broken on purpose" in doc["skipped"]["mygrad"]
    assert not any(r["contender"] == "mygrad" for r in doc["results"])
    assert "skipped mygrad" in report.format_text(doc)


def test_ratio_to_torch(doc):
    for setting in threads.SETTINGS:
        m, t = _row(doc, "op_chain", "minidl", setting), _row(doc, "op_chain", "torch", setting)
        assert m["ratio_to_torch"] == pytest.approx(m["mean_ms"] / t["mean_ms"])
        assert t["ratio_to_torch"] == pytest.approx(1.0)
        assert m["target"] == TARGETS["op_chain"] and t["target"] is None
        assert m["meets_target"] == (m["ratio_to_torch"] <= m["target"])


def test_memory_measured(doc):
    for r in doc["results"]:
        assert r["rss_mb"] is None or r["rss_mb"] >= 0
        if r["contender"] in ("minidl", "reference"):
            assert r["traced_mb"] > 0                        # NumPy's arrays are traced
        else:
            assert r["traced_mb"] is None                    # blind to PyTorch's allocator


def test_check_detects_a_mismatch():
    import numpy as np
    base = {"arrays": {"c|0": np.ones(3, np.float32), "c|1": np.arange(3, dtype=np.float32)}}
    same = copy.deepcopy(base)
    assert run.check(same, base, "c", "float32")[0] == "ok"
    wrong = copy.deepcopy(base)
    wrong["arrays"]["c|1"] = wrong["arrays"]["c|1"] + 0.1
    status, detail = run.check(wrong, base, "c", "float32")
    assert status == "MISMATCH" and "5.0e-02" in detail
    shape = copy.deepcopy(base)
    shape["arrays"]["c|0"] = np.ones(4, np.float32)
    assert "shape" in run.check(shape, base, "c", "float32")[1]
    dtype = copy.deepcopy(base)
    dtype["arrays"]["c|0"] = np.ones(3, np.float64)
    assert "dtype" in run.check(dtype, base, "c", "float32")[1]


def test_cases_and_curves():
    names = [c.name for c in build_cases()]
    for name in TARGETS:
        assert name in names
    assert len(set(names)) == len(names) and all(len(n) <= 14 for n in names)
    assert [c.name for c in select_cases(build_cases(), ["conv2d"])] == ["conv2d",
                                                                          "conv2d/small"]
    with pytest.raises(ValueError, match="unknown case"):
        select_cases(build_cases(), ["conv3d"])
    curves = build_curves()
    assert {c.group for c in curves} == set(CURVES)
    lengths = [c.sizes["full"]["L"] for c in curves if c.group == "sdpa vs length"]
    assert lengths == list(CURVES["sdpa vs length"][3])
    assert all(c.name in {a.name for a in all_cases()} for c in curves)
    conv = find_case("conv2d")
    assert conv.flops(conv.sizes["full"]) == pytest.approx(3 * 2 * 64 * 64 * 24 * 24 * 32 * 9)


def test_fit_exponent():
    xs = [8, 16, 32, 64]
    assert report.fit_exponent(xs, [3 * x ** 2 for x in xs]) == pytest.approx(2.0)
    assert report.fit_exponent(xs, [0.5 * x for x in xs]) == pytest.approx(1.0)
    assert report.fit_exponent([4], [1.0]) is None


def _made_up_doc():
    """A result document as run_benchmarks returns it, with made-up numbers."""
    results = []

    def add(case, who, setting, mean, group="table", x=None, flops=None, target=None):
        results.append({"case": case, "group": group, "contender": who, "threads": setting,
                        "status": "ok", "detail": "", "note": "", "dtype": "float32",
                        "description": f"{case} work", "rss_mb": 10.0, "traced_mb": 9.0
                        if who != "torch" else None, "call_s": mean / 1e3, "curve_x": x,
                        "flops": flops, "target": target if who == "minidl" else None,
                        "check": "base" if who == "torch" else "ok", "check_detail": "",
                        "mean_ms": mean, "std_ms": mean / 20, "values_ms": [mean] * 3,
                        "n_processes": 2, "loops": [1, 1],
                        "warnings": ["the standard deviation is 12% of the mean"]
                        if who == "minidl" and setting == "1" else []})
    for setting, k in (("1", 1.0), ("default", 0.6)):
        add("conv2d", "minidl", setting, 30 * k, flops=1.05e9, target=1.6)
        add("conv2d", "torch", setting, 20 * k, flops=1.05e9)
        add("gemm_f32", "torch", setting, 40 * k, group="gemm", flops=2.1e9)
    for x in (32, 64, 128):
        add(f"sdpa@L={x}", "minidl", "default", x * x / 1000, group="sdpa vs length", x=x)
        add(f"sdpa@L={x}", "torch", "default", x / 100, group="sdpa vs length", x=x)
    for r in results:
        t = next(o for o in results if (o["case"], o["contender"], o["threads"]) ==
                 (r["case"], "torch", r["threads"]))
        r["ratio_to_torch"] = r["mean_ms"] / t["mean_ms"]
        r["meets_target"] = None if r["target"] is None else r["ratio_to_torch"] <= r["target"]
        r["gflops"] = r["flops"] / r["mean_ms"] / 1e6 if r["flops"] else None
        peak = 2.1e9 / (40 * (1 if r["threads"] == "1" else 0.6)) / 1e6
        r["of_peak"] = r["gflops"] / peak if r["gflops"] else None
    info = {"pid": 1, "env": {}, "cpus": 2, "version": "2.13.0", "torch_threads": 2,
            "threadpools": [{"internal_api": "openblas", "version": "0.3", "num_threads": 2}]}
    return {"machine": {"date": "2026-12-01T22:00:00", "cpu": "CPU", "cpu_count": 2,
                        "platform": "Linux", "python": "3.11", "pyperf": "2.11",
                        "load_average": [2.5, 2.0, 1.0], "load_average_after": [2.8, 2.1, 1.1],
                        "libraries": {"torch|default": info, "torch|1": dict(info, cpus=1)}},
            "skipped": {"jax": "jax is not installed"},
            "settings": {"size": "full", "processes": 2, "values": 3, "warmups": 1,
                         "threads": ["1", "default"], "wall_s": 1.0},
            "gemm_peak_gflops": {"float32|1": 52.5, "float32|default": 87.5},
            "results": results, "not_run": []}


def test_report_text_and_markdown(tmp_path):
    doc = _made_up_doc()
    header, rows = report.ratio_table(doc)
    assert header == ["case", "minidl 1T", "torch 1T", "× 1T", "minidl 2T", "torch 2T", "× 2T",
                      "target", "met"]
    assert rows == [["conv2d", "30 ⚠", "20", "1.50", "18", "12", "1.50", "≤ 1.6", "✓ ✓"]]
    h, rows = report.flops_table(doc)
    assert rows[0][:3] == ["conv2d", "1.1", "35 (67%)"]
    assert report.exponents(doc)["sdpa vs length"]["minidl"] == pytest.approx(2.0)
    assert report.exponents(doc)["sdpa vs length"]["torch"] == pytest.approx(1.0)
    text = report.format_text(doc)
    assert "skipped jax: jax is not installed" in text and "⚠" in text

    pytest.importorskip("matplotlib")
    plots = report.write_plots(doc, str(tmp_path / "docs" / "img"))
    assert open(plots["scaling"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    md_path = tmp_path / "docs" / "benchmarks.md"
    report.write_markdown(doc, str(md_path), plots=plots, old=doc, old_name="old.json")
    md = md_path.read_text()
    assert md.startswith("# Benchmarks")
    assert '!!! warning "Provisional numbers"' in md          # load 2.5 on 2 CPUs
    assert "| case | minidl 1T | torch 1T | × 1T | minidl 2T | torch 2T | × 2T |" in md
    assert "![time against size, log-log](img/benchmarks_scaling.png)" in md
    assert "## Change since old.json" in md and "## Instability warnings" in md
    # Reads at 1280 px: no table wider than 10 columns; in the tables of numbers (more than
    # the two columns of the machine's) no cell longer than 24 characters.
    for line in md.splitlines():
        if line.startswith("|"):
            cells = line.strip("|").split("|")
            assert len(cells) <= 10, line
            if len(cells) > 3:
                assert all(len(c.strip()) <= 24 for c in cells), line


def test_compare_two_runs(tmp_path):
    new = _made_up_doc()
    old = copy.deepcopy(new)
    for r in old["results"]:
        r["mean_ms"] *= 2.0
    rows = report.comparison_rows(old, new)
    assert len(rows) == len(new["results"])
    assert all(r["change"] == pytest.approx(-0.5) for r in rows)
    old["machine"]["libraries"]["torch|1"]["torch_threads"] = 1
    text = report.format_comparison(old, new)
    assert "-50%" in text and "conv2d" in text and "runs differ in torch 1" in text
    path = tmp_path / "run.json"
    report.write_json(new, str(path))
    assert json.loads(path.read_text())["results"][0]["case"] == "conv2d"


def test_pyperf_suite_of_a_run(doc, tmp_path):
    import pyperf
    path = run.write_pyperf_suite(doc, str(tmp_path / "run.pyperf.json"))
    names = {b.get_name() for b in pyperf.BenchmarkSuite.load(path).get_benchmarks()}
    assert "op_chain|minidl|1" in names and "conv2d/small|reference|1" in names


def test_command_line(capsys):
    assert run.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "conv2d" in out and "sdpa@L=256" in out
    for bad in (["--cases", "no_such_case"], ["--contenders", "tensorflow"],
                ["--threads", "3"]):
        with pytest.raises(SystemExit):
            run.main(bad)


def test_jax_is_an_extra_ci_does_not_install():
    """JAX (hundreds of MB) is a contender, but only through the bench-jax extra."""
    assert "jax" in CONTENDERS
    text = open(os.path.join(run.ROOT, "pyproject.toml")).read()
    bench = next(line for line in text.splitlines() if line.startswith("bench = "))
    assert "pyperf" in bench and "jax" not in bench
    assert any(line.startswith("bench-jax = ") and "jax" in line for line in text.splitlines())


def test_report_again_from_a_saved_run(tmp_path, capsys):
    saved, md = tmp_path / "run.json", tmp_path / "page.md"
    report.write_json(_made_up_doc(), str(saved))
    assert run.main(["--from", str(saved), "--markdown", str(md), "--compare", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "minidl / PyTorch" in out and "change since the run of 2026-12-01" in out
    assert "| `conv2d` | 30 ⚠ | 20 | 1.50 |" in md.read_text()
