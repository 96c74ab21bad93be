"""The package as a user gets it: a wheel built from the tree, installed in a fresh
environment, answers ``minidl --version``; it carries its license and ``py.typed``; and
the tree passes the ruff configuration in ``pyproject.toml``.

The wheel is built from a copy of the sources (nothing is written into the work tree),
without build isolation when this Python's setuptools is recent enough (no network);
the fresh venv sees NumPy through ``--system-site-packages`` and gets minidl only from
the wheel (``--no-deps --no-index``).
"""
import email
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import minidl

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS_NEEDED = (77,)  # the build-system requirement in pyproject.toml


def _run(args, cwd, timeout=120):
    """Run ``args``; return stdout, or fail the test with the command's output."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited with {done.returncode}:\n"
                    f"{done.stdout}\n{done.stderr}")
    return done.stdout


def _setuptools_is_recent():
    try:
        import setuptools
    except ImportError:
        return False
    major = int(setuptools.__version__.split(".")[0])
    return (major,) >= SETUPTOOLS_NEEDED


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Path of the wheel built from a copy of pyproject.toml, README.md, LICENSE, minidl/."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "minidl", src / "minidl",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    isolation = ["--no-build-isolation"] if _setuptools_is_recent() else []
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", *isolation,
          "-w", out, src], cwd=src, timeout=180)
    (path,) = out.glob("minidl-*.whl")
    return path


def test_wheel_carries_license_py_typed_and_metadata(wheel):
    version = minidl.__version__
    assert wheel.name.startswith(f"minidl-{version}-")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = f"minidl-{version}.dist-info"
        assert "minidl/py.typed" in names
        assert "minidl/__main__.py" in names
        assert f"{info}/licenses/LICENSE" in names
        assert zf.read(f"{info}/licenses/LICENSE").startswith(b"MIT License")
        assert not any(n.startswith(("tests/", "benchmarks/", "docs/")) for n in names)
        meta = email.message_from_bytes(zf.read(f"{info}/METADATA"))
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
    assert meta["Version"] == version
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in meta.get_all("Classifier"))
    assert "Typing :: Typed" in meta.get_all("Classifier")
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
    assert meta.get_all("Requires-Dist")[0] == "numpy>=1.24"
    assert "minidl = minidl.__main__:main" in entry_points


def test_installed_wheel_answers_version(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", venv], cwd=tmp_path)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel],
         cwd=tmp_path)
    expected = f"minidl {minidl.__version__}\n"
    # run outside the work tree, so that `import minidl` can only find the installed wheel
    where = _run([python, "-c", "import minidl; print(minidl.__file__)"], cwd=tmp_path)
    assert Path(where.strip()).resolve().is_relative_to(venv.resolve())
    assert _run([bindir / "minidl", "--version"], cwd=tmp_path) == expected
    assert _run([python, "-m", "minidl", "--version"], cwd=tmp_path) == expected
    typed = _run([python, "-c", "import importlib.resources as r; "
                  "print(r.files('minidl').joinpath('py.typed').is_file())"], cwd=tmp_path)
    assert typed.strip() == "True"


def test_ruff_check_is_clean():
    ruff = pytest.importorskip("ruff", reason="ruff is in the `lint` extra")
    done = subprocess.run([ruff.find_ruff_bin(), "check", "--no-cache", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"ruff check . found problems:\n{done.stdout}{done.stderr}"
