"""Imports run one way: every module imports on its own in a fresh interpreter, in any
order of its import lines, and a plain ``import minidl`` reaches the whole namespace."""
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in (ROOT / "minidl").rglob("*.py") if p.name != "__main__.py")


def test_every_module_imports_alone_in_a_fresh_interpreter():
    # one interpreter per module, run a handful at a time
    failures = []
    procs = []
    for name in MODULES:
        procs.append((name, subprocess.Popen([sys.executable, "-c", f"import {name}"],
                                             cwd=ROOT, stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE)))
        if len(procs) >= 8:
            failures += _collect(procs)
            procs = []
    failures += _collect(procs)
    assert not failures, "\n".join(failures)


def _collect(procs):
    out = []
    for name, p in procs:
        _, err = p.communicate(timeout=120)
        if p.returncode:
            out.append(f"{name}: {err.decode().strip().splitlines()[-1]}")
    return out


def test_sorted_import_blocks_change_nothing(tmp_path):
    """Copy the package with the top-level import lines of every module sorted, then
    import it: there is no import order that only works one way."""
    dest = tmp_path / "minidl"
    for src in (ROOT / "minidl").rglob("*.py"):
        target = dest / src.relative_to(ROOT / "minidl")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_sort_imports(src.read_text()))
    code = "import minidl, minidl.nn, minidl.optim, minidl.functional, minidl.reference"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


def _sort_imports(text):
    """Sort each run of consecutive single-line top-level import statements."""
    lines = text.split("\n")
    out, block = [], []
    for line in lines + [""]:
        single = (line.startswith("import ") or line.startswith("from ")) and \
            "(" not in line and not line.rstrip().endswith("\\")
        if single:
            block.append(line)
            continue
        out.extend(sorted(block, key=lambda s: s.split("#")[0].replace("from ", "")))
        block = []
        out.append(line)
    return "\n".join(out[:-1])


@pytest.mark.parametrize("name", ["nn", "nn.functional", "nn.init", "nn.utils", "optim",
                                  "optim.lr_scheduler", "utils.data", "autograd",
                                  "autograd.functional"])
def test_plain_import_reaches_the_pytorch_namespace(name):
    code = f"import minidl; obj = minidl\nfor part in {name!r}.split('.'): obj = getattr(obj, part)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


def test_import_is_fast_and_loads_no_scipy_or_plotting():
    code = ("import sys, minidl; bad = [m for m in ('scipy', 'matplotlib', 'torch') "
            "if m in sys.modules]; print(bad)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
