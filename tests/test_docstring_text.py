"""Docstrings are text a reader sees on the API pages: no control characters, no invalid escapes.

A non-raw docstring turns ``\\frac`` into a form feed and "rac", ``\\beta`` into a backspace and
"eta"; an invalid escape such as ``\\sum`` is a SyntaxWarning today and an error tomorrow.
"""
import ast
import re
import warnings
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "minidl"
MODULES = sorted(PACKAGE.rglob("*.py"))
# every C0 control character but the newline, and DEL
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _ids(path):
    return str(path.relative_to(PACKAGE.parent))


def test_the_package_is_found():
    assert len(MODULES) > 20 and PACKAGE / "functional" / "normalization.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=_ids)
def test_module_compiles_without_invalid_escapes(path):
    source = path.read_text(encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # SyntaxWarning / DeprecationWarning: invalid escape
        compile(source, str(path), "exec")


@pytest.mark.parametrize("path", MODULES, ids=_ids)
def test_docstrings_hold_no_control_characters(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc and CONTROL.search(doc):
                name = getattr(node, "name", "<module>")
                bad.append(f"{name}: {sorted(set(CONTROL.findall(doc)))}")
    assert not bad, f"{_ids(path)}: docstrings with control characters: {bad}"


def test_the_scan_catches_a_non_raw_latex_docstring():
    tree = ast.parse('def f():\n    """\\\\mu = \\frac{1}{m}, \\beta"""\n')
    doc = ast.get_docstring(tree.body[0], clean=False)
    assert CONTROL.findall(doc) == ["\x0c", "\x08"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((SyntaxError, SyntaxWarning, DeprecationWarning)):
            compile('"""\\sum"""', "<doc>", "exec")
