"""``md.viz``: draw the computation graph behind a tensor.

Every op node (a :class:`minidl.Function` instance) becomes a box labelled with the op's
name and the shape it produced; every leaf tensor an ellipse labelled with its name (if
given) and shape. Arrows run the way values flow, from inputs to the output; backward
walks them the other way.

Three ways to get the picture:

* :func:`to_dot` — the graph as Graphviz DOT text, with no dependency at all;
* :func:`to_graphviz` — a ``graphviz.Digraph`` from the optional `graphviz` package
  (``pip install graphviz``, plus Graphviz's ``dot`` program to lay it out): in Jupyter
  it displays inline (``_repr_svg_``), and ``.render()`` writes SVG, PNG, PDF, ...;
* :func:`render` — write ``.svg``/``.png`` (with the `graphviz` package, else the ``dot``
  program directly) or ``.dot`` (always) to a file.

Labels are escaped for DOT: a name containing ``"``, ``\\``, ``<...>`` or a newline is
shown as written and never breaks the graph.

    >>> import minidl as md
    >>> from minidl import viz
    >>> x = md.tensor([1.0, 2.0], requires_grad=True)
    >>> w = md.tensor([0.5, -1.0], requires_grad=True)
    >>> y = (x * w).tanh().sum()
    >>> print(viz.to_dot(y, {"x": x, "w": w}))  # doctest: +ELLIPSIS
    digraph minidl {
    ...
    }
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Any, Mapping, Optional, Union

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["to_dot", "to_graphviz", "render", "escape"]

_LEAF = {"shape": "ellipse", "style": "filled", "fillcolor": "#e8f0fe"}
_OUT = {"shape": "ellipse", "style": "filled", "fillcolor": "#fde8e8"}
_OP = {"shape": "box", "style": "rounded,filled", "fillcolor": "#fef7e0"}


def escape(text: str) -> str:
    r"""``text`` as the inside of a DOT double-quoted string, shown literally.

    A backslash becomes ``\\`` (in DOT it starts an escape such as ``\n``), a double
    quote ``\"``, and a newline DOT's line break ``\n``.

    >>> print(escape('say "hi" \\ bye'))
    say \"hi\" \\ bye
    """
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _walk(tensor: Tensor, names: Optional[Mapping[str, Tensor]]
          ) -> tuple[list[tuple[str, list[str], dict[str, str]]], list[tuple[str, str]]]:
    """The graph as (nodes, edges): nodes ``(id, lines of the label, style)`` in a
    stable order, edges ``(source id, target id)`` (an edge twice when an op uses an
    input twice)."""
    label_of = {id(t): n for n, t in (names or {}).items()}
    ids: dict[int, str] = {}
    nodes: list[tuple[str, list[str], dict[str, str]]] = []
    edges: list[tuple[str, str]] = []

    def node_id(obj: object) -> str:
        if id(obj) not in ids:
            ids[id(obj)] = f"n{len(ids)}"
        return ids[id(obj)]

    def leaf_node(t: Tensor) -> str:
        nid = node_id(t)
        name = label_of.get(id(t), "")
        nodes.append((nid, [name, _shape(t.shape)] if name else [_shape(t.shape)], _LEAF))
        return nid

    nodes.append(("out", ["output", _shape(tensor.shape)], _OUT))
    if tensor._ctx is None:
        edges.append((leaf_node(tensor), "out"))
        return nodes, edges

    seen = set()
    stack: list[tuple[Any, tuple[int, ...]]] = [(tensor._ctx, tensor.shape)]
    edges.append((node_id(tensor._ctx), "out"))
    while stack:
        ctx, shape = stack.pop()
        if id(ctx) in seen:
            continue
        seen.add(id(ctx))
        nodes.append((node_id(ctx), [type(ctx).__name__, _shape(shape)], _OP))
        for edge in ctx.next_edges or ():
            if edge is None:
                continue
            if type(edge) is not tuple:                      # a leaf tensor
                src = node_id(edge) if id(edge) in ids else leaf_node(edge)
            else:
                parent, k = edge
                src = node_id(parent)
                stack.append((parent, parent.out_meta[k][0]))
            edges.append((src, node_id(ctx)))
    return nodes, edges


def to_dot(tensor: Tensor, names: Optional[Mapping[str, Tensor]] = None,
           rankdir: str = "LR") -> str:
    """The graph that computed ``tensor``, as Graphviz DOT text (no dependency).

    Args:
        tensor: the output Tensor (it must still have its graph: call before backward,
            or backward with ``retain_graph=True``).
        names: optional mapping name → leaf Tensor, to label the leaves (any text:
            quotes, backslashes and newlines are escaped).
        rankdir: Graphviz layout direction ("LR" left to right, "TB" top to bottom).

    Returns:
        The DOT source, ``digraph minidl { ... }``.
    """
    nodes, edges = _walk(tensor, names)
    lines = ["digraph minidl {", f'  rankdir="{escape(rankdir)}";',
             '  node [fontname="Helvetica", fontsize=11];']
    for nid, label, style in nodes:
        text = "\\n".join(escape(s) for s in label)         # DOT's line break between lines
        attrs = "".join(f', {k}="{escape(v)}"' for k, v in style.items())
        lines.append(f'  {nid} [label="{text}"{attrs}];')
    lines += [f"  {src} -> {dst};" for src, dst in edges]
    lines.append("}")
    return "\n".join(lines)


def _graphviz():
    try:
        import graphviz
    except ImportError:
        raise ImportError("viz.to_graphviz needs the optional 'graphviz' package: pip install "
                          "graphviz (and Graphviz's 'dot' program to lay the graph out, e.g. "
                          "apt-get install graphviz); viz.to_dot needs nothing") from None
    return graphviz


def to_graphviz(tensor: Tensor, names: Optional[Mapping[str, Tensor]] = None,
                rankdir: str = "LR") -> Any:
    """The graph that computed ``tensor`` as a ``graphviz.Digraph``.

    In Jupyter the returned object displays inline as SVG; ``.render(path, format="png")``
    or ``.pipe("svg")`` lay it out with Graphviz's ``dot`` program. The labels are passed
    through ``graphviz.escape`` (so ``\\``, ``"`` and ``<...>`` are shown literally).

    Args:
        tensor, names, rankdir: as :func:`to_dot`.

    Returns:
        A ``graphviz.Digraph`` named ``minidl``.

    Raises:
        ImportError: the `graphviz` package is not installed (``pip install graphviz``).
    """
    graphviz = _graphviz()
    nodes, edges = _walk(tensor, names)
    g = graphviz.Digraph("minidl", graph_attr={"rankdir": rankdir},
                         node_attr={"fontname": "Helvetica", "fontsize": "11"})
    for nid, label, style in nodes:
        # each line escaped on its own, joined by DOT's line break; never an HTML label
        text = graphviz.nohtml("\\n".join(graphviz.escape(s).replace("\n", "\\n") for s in label))
        g.node(nid, label=text, **style)
    for src, dst in edges:
        g.edge(src, dst)
    return g


def render(tensor: Tensor, path: Union[str, os.PathLike], names: Optional[Mapping[str, Tensor]] = None,
           format: Optional[str] = None) -> Union[str, os.PathLike]:
    """Write the graph of ``tensor`` to ``path`` (format from its suffix: .svg, .png, .dot).

    A ``.dot`` file is :func:`to_dot`'s text. Other formats are laid out by Graphviz's
    ``dot`` program, through the `graphviz` package when it is installed, else by
    running ``dot`` directly.

    Returns:
        ``path``.

    Raises:
        RuntimeError: Graphviz's ``dot`` program is not installed (for .svg/.png).
    """
    fmt = format or str(path).rsplit(".", 1)[-1]
    if fmt == "dot":
        with open(path, "w") as f:
            f.write(to_dot(tensor, names) + "\n")
        return path
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("viz.render: Graphviz's 'dot' program is not installed; install "
                           "Graphviz (e.g. apt-get install graphviz) or write a .dot file")
    try:
        graph = to_graphviz(tensor, names)
    except ImportError:
        subprocess.run([exe, f"-T{fmt}", "-o", str(path)], input=to_dot(tensor, names).encode(),
                       check=True)
        return path
    with open(path, "wb") as f:
        f.write(graph.pipe(format=fmt))
    return path
