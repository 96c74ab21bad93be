"""The block notebooks, from their text form to executed notebooks and site pages.

The notebooks are kept as jupytext "percent" scripts (``docs/notebooks/<block>.py``): a
line ``# %% [markdown]`` starts a Markdown cell (its lines commented with ``# ``), a line
``# %%`` starts a code cell. This module

- reads one into cells (:func:`read_cells`, the same cells ``jupytext.read`` gives — a test
  checks it),
- executes it in a fresh Jupyter kernel with nbclient (:func:`execute`), and
- renders the executed cells as a Markdown page (:func:`to_markdown`): code in ``python``
  fences, printed output in ``text`` fences, plots embedded as PNG data (no network to view).

It is also the MkDocs hook (``hooks:`` in mkdocs.yml): :func:`on_files` adds one generated
page ``notebooks/<block>.md`` per notebook. Set ``MINIDL_NOTEBOOKS_EXECUTE=0`` to render
code without outputs (a quick build); without nbclient and ipykernel (the ``notebooks``
extra) the pages are rendered without outputs too.

An executed notebook is kept in ``build/notebooks/`` (git ignores ``build/``) under a key
made of its own text, this module and every source file of ``minidl``: the site build
reuses what the test suite just ran, and any change to a notebook or to the library runs
it again.
"""
import base64
import hashlib
import logging
import os
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = ROOT / "build" / "notebooks"
CELL = re.compile(r"^# %%(.*)$")
log = logging.getLogger("mkdocs.hooks.notebooks")


def notebook_paths():
    """The notebook sources, in name order (files starting with ``_`` are not notebooks)."""
    return sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))


def read_cells(path):
    """Cells of a percent-format script: a list of ``(kind, source)``, kind "markdown" or "code"."""
    cells, kind, lines = [], None, []

    def close():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.split("\n"))
        if body.strip():
            cells.append((kind, body))

    for line in Path(path).read_text(encoding="utf-8").split("\n"):
        m = CELL.match(line)
        if m:
            close()
            kind, lines = ("markdown" if "[markdown]" in m.group(1) else "code"), []
        elif kind is not None:
            lines.append(line)
    close()
    return cells


def _key(path):
    """A digest of the notebook, this module and the library: what an executed copy depends on."""
    digest = hashlib.sha256()
    for source in [Path(path), Path(__file__), *sorted((ROOT / "minidl").rglob("*.py"))]:
        digest.update(source.as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:20]


def execute(path, timeout=60, cache=False):
    """Run the notebook in a fresh ``python3`` kernel (working directory: a temporary one).

    Returns the executed ``nbformat`` notebook, and keeps a copy in ``build/notebooks/``;
    with ``cache=True`` a copy kept for the same notebook and library is returned instead
    of running it again. Raises ``nbclient``'s ``CellExecutionError`` naming the cell when
    one fails.
    """
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    kept = CACHE / f"{Path(path).stem}-{_key(path)}.ipynb"
    if cache and kept.is_file():
        return nbformat.read(kept, as_version=4)

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, source in read_cells(path):
        new = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(new(source))
    # plots go inline whatever MPLBACKEND says outside (e.g. Agg in CI)
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    with tempfile.TemporaryDirectory() as cwd:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": cwd}})
        client.execute(env=env)
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        for old in CACHE.glob(f"{Path(path).stem}-*.ipynb"):
            old.unlink()
        nbformat.write(nb, kept)
    except OSError as e:                      # a read-only tree: run again next time
        log.info("notebooks: could not keep %s (%s)", kept.name, e)
    return nb


def _outputs_markdown(outputs):
    parts, text = [], []

    def flush():
        if text:
            parts.append("```text\n" + "".join(text).rstrip("\n") + "\n```")
            text.clear()

    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            text.append(out.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "image/png" in data:
                flush()
                png = data["image/png"]
                png = png if isinstance(png, str) else base64.b64encode(png).decode()
                parts.append(f'![a plot made by the cell above](data:image/png;base64,{png.strip()})')
            elif "text/plain" in data:
                text.append(data["text/plain"].rstrip("\n") + "\n")
        elif kind == "error":                          # only with allow_errors; tracebacks are coloured
            text.append(re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(out.get("traceback", []))))
    flush()
    return parts


def to_markdown(cells, source_name):
    """A Markdown page of the cells: ``cells`` as from :func:`read_cells` or an executed notebook."""
    parts = []
    for cell in cells:
        if isinstance(cell, tuple):
            kind, source, outputs = cell[0], cell[1], []
        else:
            kind, source, outputs = cell.cell_type, cell.source, cell.get("outputs", [])
        if kind == "markdown":
            parts.append(source)
        else:
            parts.append("```python\n" + source + "\n```")
            parts.extend(_outputs_markdown(outputs))
    first, *rest = parts
    note = (f"*This page is the notebook `docs/notebooks/{source_name}`, executed when the "
            "site was built. Run it yourself with `pip install -e \".[notebooks]\"` and "
            f"`jupytext --to notebook docs/notebooks/{source_name}`, or as a script: "
            f"`python docs/notebooks/{source_name}`.*")
    return "\n\n".join([first, note, *rest]) + "\n"


def render(path, run=True):
    """The Markdown page of one notebook, executed when ``run`` and nbclient is installed."""
    if run:
        try:
            import ipykernel  # noqa: F401
            import nbclient  # noqa: F401
        except ImportError:
            log.info("notebooks: nbclient/ipykernel not installed, %s rendered without outputs", path.name)
            run = False
    cells = execute(path, cache=True).cells if run else read_cells(path)
    return to_markdown(cells, path.name)


# ---- the MkDocs hook ----------------------------------------------------------------------

def on_files(files, config):
    """Add ``notebooks/<block>.md`` for every notebook; drop this module from the site."""
    from mkdocs.structure.files import File

    own = files.get_file_from_path("notebooks/_render.py")
    if own is not None:
        files.remove(own)
    run = os.environ.get("MINIDL_NOTEBOOKS_EXECUTE", "1") != "0"
    for path in notebook_paths():
        files.append(File.generated(config, f"notebooks/{path.stem}.md", content=render(path, run)))
    return files
