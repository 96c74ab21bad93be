"""``md.viz``: draw the computation graph behind a tensor, as Graphviz DOT.

Every op node (a :class:`minidl.Function` instance) becomes a box labelled with the op's
name and the shape it produced; every leaf tensor an ellipse labelled with its name (if
given) and shape. Arrows run the way values flow, from inputs to the output; backward
walks them the other way.

    >>> import minidl as md
    >>> from minidl import viz
    >>> x = md.tensor([1.0, 2.0], requires_grad=True)
    >>> w = md.tensor([0.5, -1.0], requires_grad=True)
    >>> y = (x * w).tanh().sum()
    >>> print(viz.to_dot(y, {"x": x, "w": w}))  # doctest: +ELLIPSIS
    digraph minidl {
    ...
    }

``render(tensor, path)`` turns the DOT text into an SVG or PNG with Graphviz's ``dot``
program when it is installed (``apt-get install graphviz``); ``to_dot`` needs nothing.
"""
import shutil
import subprocess

__all__ = ["to_dot", "render"]


def _shape(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def to_dot(tensor, names=None, rankdir="LR"):
    """The graph that computed ``tensor``, as a Graphviz DOT string.

    Args:
        tensor: the output Tensor (it must still have its graph: call before backward,
            or backward with ``retain_graph=True``).
        names: optional mapping name → leaf Tensor, to label the leaves.
        rankdir: Graphviz layout direction ("LR" left to right, "TB" top to bottom).
    """
    label_of = {id(t): n for n, t in (names or {}).items()}
    lines = ["digraph minidl {", f"  rankdir={rankdir};",
             '  node [fontname="Helvetica", fontsize=11];']
    ids = {}

    def node_id(obj):
        if id(obj) not in ids:
            ids[id(obj)] = f"n{len(ids)}"
        return ids[id(obj)]

    def leaf_node(t):
        nid = node_id(t)
        name = label_of.get(id(t), "")
        text = f"{name}\\n{_shape(t.shape)}" if name else _shape(t.shape)
        lines.append(f'  {nid} [label="{text}", shape=ellipse, style=filled, fillcolor="#e8f0fe"];')
        return nid

    out_id = "out"
    lines.append(f'  {out_id} [label="output\\n{_shape(tensor.shape)}", shape=ellipse, '
                 f'style=filled, fillcolor="#fde8e8"];')
    if tensor._ctx is None:
        lines.append(f"  {leaf_node(tensor)} -> {out_id};")
        lines.append("}")
        return "\n".join(lines)

    seen = set()
    stack = [(tensor._ctx, tensor.shape)]
    lines.append(f"  {node_id(tensor._ctx)} -> {out_id};")
    while stack:
        ctx, shape = stack.pop()
        if id(ctx) in seen:
            continue
        seen.add(id(ctx))
        lines.append(f'  {node_id(ctx)} [label="{type(ctx).__name__}\\n{_shape(shape)}", '
                     f'shape=box, style="rounded,filled", fillcolor="#fef7e0"];')
        for edge in ctx.next_edges or ():
            if edge is None:
                continue
            if type(edge) is not tuple:                      # a leaf tensor
                src = node_id(edge) if id(edge) in ids else leaf_node(edge)
            else:
                parent, k = edge
                src = node_id(parent)
                stack.append((parent, parent.out_meta[k][0]))
            lines.append(f"  {src} -> {node_id(ctx)};")
    lines.append("}")
    # the same edge may be listed twice when an input is used twice by one op: keep both
    return "\n".join(lines)


def render(tensor, path, names=None, format=None):
    """Write the graph of ``tensor`` to ``path`` (format from its suffix: .svg, .png, .dot).

    Raises:
        RuntimeError: Graphviz's ``dot`` program is not installed (for .svg/.png).
    """
    dot_text = to_dot(tensor, names)
    fmt = format or str(path).rsplit(".", 1)[-1]
    if fmt == "dot":
        with open(path, "w") as f:
            f.write(dot_text + "\n")
        return path
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("viz.render: Graphviz's 'dot' program is not installed; install "
                           "Graphviz (e.g. apt-get install graphviz) or write a .dot file")
    subprocess.run([exe, f"-T{fmt}", "-o", str(path)], input=dot_text.encode(), check=True)
    return path
