"""Load one program's source with PyTorch or with minidl: only the import lines change.

``import torch``                      -> ``import minidl as torch``
``import torch.nn as nn``             -> ``import minidl.nn as nn``
``import torch.nn.functional as F``   -> ``import minidl.nn.functional as F``
``from torch.utils.data import X``    -> ``from minidl.utils.data import X``
``from torch import nn``              -> ``from minidl import nn``

Every other line is executed exactly as written, so both runs execute the same text.
"""
import re
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
_IMPORT = re.compile(r"^(\s*)(import|from)\s+torch\b(.*)$")


def swap_imports(source):
    """Return ``source`` with its ``torch`` import lines pointed at ``minidl``.

    Raises:
        ValueError: a line other than an import mentions ``import torch`` (nothing to swap).
    """
    out = []
    for line in source.splitlines(keepends=True):
        m = _IMPORT.match(line.rstrip("\n"))
        if m is None:
            out.append(line)
            continue
        indent, keyword, rest = m.groups()
        if keyword == "import" and rest.strip() == "":
            new = f"{indent}import minidl as torch"          # keeps the name ``torch``
        elif keyword == "import" and " as " not in rest:
            raise ValueError(f"cannot swap {line.strip()!r}: write 'import torch.x as x'")
        else:
            new = f"{indent}{keyword} minidl{rest}"
        out.append(new + ("\n" if line.endswith("\n") else ""))
    return "".join(out)


def load(name, backend):
    """Execute ``tests/programs/<name>.py`` as a fresh module on ``backend``.

    Args:
        name: the program's file name without ``.py``.
        backend: ``"torch"`` (the file as written) or ``"minidl"`` (imports swapped).

    Returns:
        The module object, holding everything the program defines.
    """
    path = HERE / f"{name}.py"
    source = path.read_text()
    if backend == "minidl":
        source = swap_imports(source)
    elif backend != "torch":
        raise ValueError(f"load: backend must be 'torch' or 'minidl', got {backend!r}")
    module = types.ModuleType(f"program_{name}_{backend}")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def as_array(value):
    """A recorded value (Tensor of either library, number, array) as a float64 array."""
    if hasattr(value, "detach"):
        value = value.detach().numpy()
    return np.array(value, dtype=np.float64)


def assert_same_record(ours, theirs, rtol=1e-9, atol=1e-11):
    """Both runs recorded the same names with values equal to float64 rounding."""
    assert list(ours) == list(theirs), (list(ours), list(theirs))
    for key in theirs:
        a, b = as_array(ours[key]), as_array(theirs[key])
        assert a.shape == b.shape, f"{key}: shape {a.shape} vs PyTorch's {b.shape}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=key)
