"""Every code example in README.md and docs/ runs, so no page can drift from the code.

Each Markdown file is run top to bottom in one namespace:
- a ```python fence is executed (a fence that only includes a source file with ``--8<--``
  is skipped: that code is the package itself, tested there);
- a ```pycon fence holds ``>>>`` examples, run as doctests: what they print must match.
"""
import doctest
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```(python|pycon)[^\n]*\n(.*?)^```", re.S | re.M)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _examples(page):
    text = page.read_text()
    out = []
    for m in FENCE.finditer(text):
        kind, body = m.group(1), m.group(2)
        if kind == "python" and body.lstrip().startswith("--8<--"):
            continue
        out.append((kind, body, text[:m.start()].count("\n") + 2))
    return out


RUNNABLE = [p for p in PAGES if _examples(p)]


def test_the_docs_have_examples():
    assert ROOT / "README.md" in RUNNABLE
    assert sum(kind == "pycon" for p in RUNNABLE for kind, _, _ in _examples(p)) >= 10


@pytest.mark.parametrize("page", RUNNABLE, ids=[str(p.relative_to(ROOT)) for p in RUNNABLE])
def test_page_examples(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    np.set_printoptions(precision=8)
    namespace = {"__name__": "__docs__"}
    parser = doctest.DocTestParser()
    for kind, body, line in _examples(page):
        where = f"{page.relative_to(ROOT)}:{line}"
        if kind == "python":
            try:
                exec(compile(body, where, "exec"), namespace)
            except Exception as e:  # noqa: BLE001 - say which block failed
                raise AssertionError(f"{where}: python block failed: {e!r}") from e
        else:
            test = parser.get_doctest(body, namespace, where, str(page), line)
            runner = doctest.DocTestRunner(optionflags=FLAGS)
            failures = []
            runner.run(test, out=failures.append, clear_globs=False)
            namespace.update(test.globs)  # DocTest works on a copy; keep what it defined
            assert runner.failures == 0, f"{where}:\n" + "".join(failures)
