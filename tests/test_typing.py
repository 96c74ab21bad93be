"""The public API is annotated (mypy checks the annotations in CI, `.ci/run`), and the
annotations cost nothing at run time: they are never evaluated, and the names they use
are imported only under ``if TYPE_CHECKING:``."""
import ast
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "minidl"
# The modules whose public API is annotated (new modules join when they are annotated).
ANNOTATED = [PACKAGE / name for name in [
    "tensor.py", "arguments.py", "autograd/functional.py", "autograd/grad_mode.py",
    "autograd/gradcheck.py", "autograd/variable.py", "autograd/function.py",
    "autograd/engine.py", "linalg.py", "ops/attention.py", "ops/elementwise.py", "ops/linalg.py",
    "ops/normalization.py", "ops/pooling.py", "ops/recurrent.py", "ops/reduce.py", "ops/shape.py",
    "ops/softmax.py", "ops/special.py", "factories.py", "functions.py", "functional/activation.py",
    "functional/attention.py", "functional/dropout.py", "functional/linear.py",
    "functional/loss.py", "functional/normalization.py", "functional/padding.py",
    "functional/recurrent.py", "functional/sparse.py", "nn/activation.py", "nn/attention.py",
    "nn/container.py", "nn/conv.py", "nn/dropout.py", "nn/init.py", "nn/linear.py",
    "nn/loss.py", "nn/module.py", "nn/normalization.py", "nn/pooling.py", "nn/recurrent.py",
    "nn/sparse.py", "nn/transformer.py", "nn/utils/__init__.py", "nn/utils/rnn.py",
    "ops/conv.py", "optim/adadelta.py", "optim/adagrad.py", "optim/adam.py",
    "optim/lr_scheduler.py", "optim/optimizer.py", "optim/rmsprop.py", "optim/sgd.py",
    "random.py", "reference/attention.py", "reference/batch_norm.py", "reference/conv.py",
    "reference/gru.py", "reference/linear.py", "reference/loss.py", "reference/pooling.py",
    "reference/positional.py", "reference/recurrent.py", "reference/transformer.py",
    "serialization.py", "utils/data.py", "viz.py",
]]
DUNDERS = {"__init__", "__call__", "__len__", "__getitem__", "__iter__"}


def _public_defs(tree):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            yield node.name, node, False
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and (not item.name.startswith("_")
                                                          or item.name in DUNDERS):
                    yield f"{node.name}.{item.name}", item, True


@pytest.mark.parametrize("path", ANNOTATED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_public_function_is_annotated(path):
    tree = ast.parse(path.read_text())
    missing = []
    for name, fn, method in _public_defs(tree):
        args = fn.args
        params = args.posonlyargs + args.args + args.kwonlyargs
        if method and params and params[0].arg in ("self", "cls") and not any(
                isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list):
            params = params[1:]
        params += [a for a in (args.vararg, args.kwarg) if a is not None]
        bare = [a.arg for a in params if a.annotation is None]
        if bare or fn.returns is None:
            missing.append(f"{name}: {', '.join(bare) or 'return'}")
    assert not missing, f"{path.name}: not annotated: " + "; ".join(missing)


@pytest.mark.parametrize("path", ANNOTATED, ids=lambda p: str(p.relative_to(ROOT)))
def test_annotations_are_postponed(path):
    """``from __future__ import annotations`` first: no annotation runs at import."""
    tree = ast.parse(path.read_text())
    body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    first = body[0]
    assert isinstance(first, ast.ImportFrom) and first.module == "__future__", path.name


def test_the_typing_names_import_nothing_at_run_time():
    code = ("import sys, minidl._typing, minidl.viz; "
            "print([m for m in ('numpy.typing', 'graphviz') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_mypy_is_configured_for_the_package():
    text = (ROOT / "pyproject.toml").read_text()
    assert "[tool.mypy]" in text and 'files = ["minidl"]' in text
    assert "disallow_incomplete_defs = true" in text and "check_untyped_defs = true" in text
    assert "mypy" in (ROOT / ".ci" / "run").read_text()


# A user's program, as mypy reads it: the types the annotations promise (each line's
# reveal_type against the type it must show). PyTorch's meanings: ``x.grad`` may be
# None, ``max(dim)`` is the named tuple and ``max()`` a Tensor, ``t == None`` is a bool.
USER_PROGRAM = {
    "x.grad": "minidl.tensor.Tensor | None",
    "x.max(1)": "tuple[minidl.tensor.Tensor, minidl.tensor.Tensor, fallback=minidl.tensor.return_types.max]",
    "x.max(1).indices": "minidl.tensor.Tensor",
    "x.max()": "minidl.tensor.Tensor",
    "x.max(x)": "minidl.tensor.Tensor",
    "x.size()": "tuple[int, ...]",
    "x.size(0)": "int",
    "x == None": "bool",
    "x == 1.0": "minidl.tensor.Tensor",
    "x.unbind(0)": "tuple[minidl.tensor.Tensor, ...]",
    "x.nonzero(as_tuple=True)": "tuple[minidl.tensor.Tensor, ...]",
    "md.where(x > 0, x, 0.0)": "minidl.tensor.Tensor",
    "F.max_pool2d(x[None, None], 1, return_indices=True)": "tuple[minidl.tensor.Tensor, minidl.tensor.Tensor]",
    "frozen": "def (a: minidl.tensor.Tensor, k: int) -> minidl.tensor.Tensor",
}


def test_a_user_program_reads_the_promised_types(tmp_path):
    pytest.importorskip("mypy")
    lines = ["import minidl as md", "import minidl.functional as F", "",
             "x = md.randn(2, 3, requires_grad=True)",
             "y: md.Tensor = (x @ x.T).relu().sum()", "y.backward()", "",
             "@md.no_grad()", "def frozen(a: md.Tensor, k: int) -> md.Tensor:",
             "    return a * k", ""]
    first = len(lines) + 1
    lines += [f"reveal_type({expr})" for expr in USER_PROGRAM]
    (tmp_path / "program.py").write_text("\n".join(lines) + "\n")
    out = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent", "--no-incremental",
                          "--python-version", "3.10", "program.py"], cwd=tmp_path,
                         env={**os.environ, "MYPYPATH": str(ROOT)}, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr      # no error in the program
    revealed = dict(re.findall(r"program\.py:(\d+): note: Revealed type is \"(.*)\"", out.stdout))
    for k, (expr, want) in enumerate(USER_PROGRAM.items()):
        assert revealed.get(str(first + k)) == want, (expr, revealed.get(str(first + k)))
