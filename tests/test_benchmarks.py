"""Smoke test of the benchmark harness (benchmarks/): tiny sizes, one repeat, no timing asserted.

It checks that every case runs (or is reported unavailable) for every contender, that the
contenders compute the same outputs and gradients, that a missing op or a failing
contender never stops a run, and the structure of the JSON, Markdown, comparison and plot.
"""
import gc
import json

import numpy as np
import pytest

from benchmarks import report
from benchmarks.cases import CONTENDERS, Bench, Case, build_cases, select_cases
from benchmarks.run import main, run_benchmarks, time_case

STATUSES = {"ok", "unavailable", "error", "n/a"}


@pytest.fixture(scope="module")
def doc():
    # One PyTorch thread: on a busy machine its thread pool can make even tiny calls slow,
    # and this test is about structure, not speed.
    torch = pytest.importorskip("torch") if _installed("torch") else None
    threads = torch.get_num_threads() if torch else None
    if torch:
        torch.set_num_threads(1)
    try:
        yield run_benchmarks(size="tiny", repeats=1, warmup=0, min_sample_s=0.0)
    finally:
        if torch:
            torch.set_num_threads(threads)


def _installed(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False


def test_every_case_and_contender_has_a_row(doc):
    cases = build_cases()
    got = [(r["case"], r["contender"]) for r in doc["results"]]
    assert got == [(c.name, who) for c in cases for who in CONTENDERS]
    for r in doc["results"]:
        assert r["status"] in STATUSES, r
        if r["status"] == "ok":
            assert len(r["times_ms"]) == 1 and r["number"] >= 1
            assert r["median_ms"] == r["min_ms"] == r["times_ms"][0] and r["iqr_ms"] == 0
        else:
            assert r["median_ms"] is None and r["ratio_to_torch"] is None


def test_engine_cases_run_and_statuses(doc):
    rows = {(r["case"], r["contender"]): r for r in doc["results"]}
    # The engine (elementwise ops, Linear, cross_entropy) exists: these must run.
    for case in ("op_overhead", "mlp_step"):
        assert rows[case, "minidl"]["status"] == "ok", rows[case, "minidl"]["detail"]
    # A contender that cannot run is "unavailable" (missing library or op) or "error" (it
    # raised something else); either way the row is there and the run went on.
    for (case, who), r in rows.items():
        if r["status"] in ("unavailable", "error"):
            assert r["detail"].split(":")[0].endswith(("Error", "Exception")), (case, who, r)
        if who == "reference":
            expect = "ok" if case.endswith("/small-fwd") else "n/a"
            assert r["status"] == expect, (case, r["detail"])
        if who in ("torch", "mygrad"):
            assert (r["status"] == "ok") == _installed(who), (case, who, r["detail"])


def test_contenders_agree(doc):
    """Each contender's output and gradients match PyTorch's (or minidl's) on every case."""
    for r in doc["results"]:
        if r["status"] == "ok":
            assert r["check"] in ("ok", "base"), (r["case"], r["contender"], r["check_detail"])
    for case in {r["case"] for r in doc["results"]}:
        bases = [r for r in doc["results"] if r["case"] == case and r["check"] == "base"]
        assert len(bases) <= 1


def test_ratio_and_target_columns(doc):
    torch_ok = _installed("torch")
    for r in doc["results"]:
        if r["contender"] == "torch" and r["status"] == "ok":
            assert r["ratio_to_torch"] == pytest.approx(1.0)
        if r["status"] == "ok" and torch_ok and r["case"] in ("op_overhead", "mlp_step"):
            assert r["ratio_to_torch"] == pytest.approx(
                r["median_ms"] / next(t["median_ms"] for t in doc["results"]
                                      if t["case"] == r["case"] and t["contender"] == "torch"))
        targets = {c.name: c.target for c in build_cases()}
        if r["contender"] == "minidl":
            assert r["target"] == targets[r["case"]]
            if r["target"] is not None and r["ratio_to_torch"] is not None:
                assert r["meets_target"] == (r["ratio_to_torch"] <= r["target"])
        else:
            assert r["target"] is None and r["meets_target"] is None


def _fake_case():
    def ok_factory(p, data, backward):
        return Bench(lambda: data["x"] * 2, lambda: [data["x"] * 2])

    def missing_op(p, data, backward):
        raise AttributeError("module 'minidl.functional' has no attribute 'frobnicate'")

    def not_implemented_on_first_call(p, data, backward):
        def step():
            raise NotImplementedError("frobnicate: dilation > 1")
        return Bench(step, lambda: [step()])

    def broken(p, data, backward):
        raise ValueError("frobnicate: bad shapes")

    def wrong_answer(p, data, backward):
        return Bench(lambda: data["x"] * 3, lambda: [data["x"] * 3])

    return Case("fake", "x * 2 on ({n},)", "float64", 2.0, {"full": {"n": 3}, "tiny": {"n": 3}},
                lambda p, dtype: {"x": np.arange(1.0, p["n"] + 1, dtype=dtype)},
                {"minidl": missing_op, "torch": not_implemented_on_first_call,
                 "mygrad": broken, "reference": ok_factory, "wrong": wrong_answer},
                backward=False)


def test_missing_op_or_failing_contender_never_stops_a_run():
    try:
        rows = time_case(_fake_case(), "tiny", repeats=2, warmup=1, min_sample_s=0.0,
                         contenders=CONTENDERS + ("wrong",), freeze_gc=True)
    finally:
        gc.unfreeze()
    by = {r["contender"]: r for r in rows}
    assert by["minidl"]["status"] == "unavailable" and "frobnicate" in by["minidl"]["detail"]
    assert by["torch"]["status"] == "unavailable" and "NotImplementedError" in by["torch"]["detail"]
    assert by["mygrad"]["status"] == "error" and "ValueError" in by["mygrad"]["detail"]
    assert by["reference"]["status"] == "ok" and len(by["reference"]["times_ms"]) == 2
    assert by["reference"]["check"] == "base" and by["reference"]["ratio_to_torch"] is None
    assert by["wrong"]["status"] == "ok" and by["wrong"]["check"] == "MISMATCH"
    text = report.format_notes({"results": rows})
    assert "unavailable — AttributeError" in text and "outputs differ" in text


def test_select_cases():
    cases = build_cases()
    names = [c.name for c in select_cases(cases, ["conv2d_f32", "sdpa/small-fwd"])]
    assert names == ["conv2d_f32", "conv2d_f32/small-fwd", "sdpa/small-fwd"]
    with pytest.raises(ValueError, match="unknown case"):
        select_cases(cases, ["conv3d"])


def test_json_roundtrip_and_machine_info(doc, tmp_path):
    path = tmp_path / "run.json"
    report.write_json(doc, str(path))
    loaded = json.loads(path.read_text())
    assert set(loaded) == {"machine", "settings", "results"}
    m = loaded["machine"]
    for key in ("date", "python", "cpu", "cpu_count", "numpy", "numpy_blas", "torch", "mygrad",
                "threadpools", "load_average"):
        assert key in m
    assert m["numpy"] == np.__version__
    if _installed("torch"):
        import torch
        assert m["torch"] == torch.__version__ and m["torch_num_threads"] == 1   # set by `doc`
    assert loaded["settings"]["repeats"] == 1 and loaded["settings"]["size"] == "tiny"
    keys = {"case", "contender", "status", "median_ms", "iqr_ms", "min_ms", "ratio_to_torch",
            "target", "meets_target", "check", "times_ms", "description", "dtype"}
    for r in loaded["results"]:
        assert keys <= set(r)


def test_markdown(doc, tmp_path):
    md_path, png = tmp_path / "docs" / "benchmarks.md", tmp_path / "docs" / "img" / "b.png"
    report.write_markdown(doc, str(md_path), plot_path=str(png), old=doc, old_name="old.json")
    text = md_path.read_text()
    assert text.startswith("# Benchmarks")
    assert "| case | contender | median ms | IQR ms | min ms | × torch | target | met | check |" in text
    for c in build_cases():
        assert f"| `{c.name}` |" in text
    assert "![time relative to PyTorch](img/b.png)" in text
    assert "## Change since old.json" in text


def test_compare_runs(doc):
    old = json.loads(json.dumps(doc))
    for r in old["results"]:
        if r["median_ms"] is not None:
            r["median_ms"] *= 2.0
    rows = report.comparison_rows(old, doc)
    timed = [r for r in doc["results"] if r["median_ms"] is not None]
    assert [(r["case"], r["contender"]) for r in rows] == [(r["case"], r["contender"]) for r in timed]
    for r in rows:
        assert r["change"] == pytest.approx(-0.5)
    text = report.format_comparison(old, doc)
    assert "op_overhead" in text and "-50%" in text


def test_plot(doc, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "b.png"
    report.write_plot(doc, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_line(tmp_path, capsys):
    out_json, out_md = tmp_path / "a.json", tmp_path / "a.md"
    assert main(["--cases", "op_overhead", "--quick", "--repeats", "1", "--json", str(out_json),
                 "--markdown", str(out_md)]) == 0
    printed = capsys.readouterr().out
    assert "op_overhead" in printed and "machine:" in printed
    assert main(["--cases", "op_overhead", "--quick", "--repeats", "1",
                 "--compare", str(out_json)]) == 0
    assert "change since the run" in capsys.readouterr().out
    assert json.loads(out_json.read_text())["results"][0]["case"] == "op_overhead"
    assert "| `op_overhead` | minidl |" in out_md.read_text()
    with pytest.raises(SystemExit):
        main(["--cases", "no_such_case"])
