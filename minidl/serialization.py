"""``md.save`` / ``md.load``: state dicts (and checkpoints) as ``.npz`` files, no pickle.

A file holds NumPy arrays only, plus one entry, ``__minidl__``, a JSON description of how
they nest (dicts, lists, numbers, strings), so an optimiser's state or a checkpoint of
model and optimiser goes in as well as a flat state dict. ``load`` opens the file with
``allow_pickle=False``: nothing in it can run code. A file that needs pickle, or that is
not an ``.npz`` written by ``md.save``, is refused with an error naming the file.
"""
import json
import zipfile
from collections import OrderedDict

import numpy as np

_META = "__minidl__"
_VERSION = 1


def _flatten(obj, arrays, where):
    """Describe ``obj`` as JSON, moving its arrays into ``arrays``."""
    if hasattr(obj, "data") and isinstance(getattr(obj, "data"), np.ndarray):
        obj = obj.data  # a Tensor or Parameter
    if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
        arr = np.asarray(obj)
        if arr.dtype.kind == "O":
            raise TypeError(f"save: {where or 'the object'} is an object array; only numeric, "
                            f"boolean and string arrays can be saved")
        key = f"a{len(arrays)}"
        arrays[key] = arr
        return {"array": key}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {k!r} in {where or 'the object'}")
            items.append([k, _flatten(v, arrays, f"{where}/{k}" if where else str(k))])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        return {"list" if isinstance(obj, list) else "tuple":
                [_flatten(v, arrays, f"{where}/{j}") for j, v in enumerate(obj)]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    raise TypeError(f"save: cannot save {where or 'the object'} of type {type(obj).__name__}; "
                    f"a state dict maps names to arrays (dicts, lists, numbers and strings "
                    f"may nest them)")


def _unflatten(node, arrays):
    if "array" in node:
        return arrays[node["array"]]
    if "dict" in node:
        return OrderedDict((k, _unflatten(v, arrays)) for k, v in node["dict"])
    if "list" in node:
        return [_unflatten(v, arrays) for v in node["list"]]
    if "tuple" in node:
        return tuple(_unflatten(v, arrays) for v in node["tuple"])
    return node["value"]


def save(obj, path):
    """Write ``obj`` (a state dict: names → arrays; dicts and lists may nest) to ``path``.

    The file is exactly ``path`` (no ``.npz`` is appended).
    """
    arrays = {}
    structure = _flatten(obj, arrays, "")
    meta = json.dumps({"version": _VERSION, "structure": structure})
    arrays[_META] = np.array(meta)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load(path):
    """Read what :func:`save` wrote; never unpickles.

    Raises:
        ValueError: the file is not an ``.npz`` written by ``md.save``, or it holds
            arrays that only pickle could load.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise ValueError(f"load: {path} is a single .npy array, not a minidl file "
                                 f"written by md.save")
            if _META not in npz.files:
                raise ValueError(f"load: {path} is an .npz file but not one written by md.save "
                                 f"(it has no {_META} entry)")
            meta = json.loads(str(npz[_META]))
            arrays = {k: npz[k] for k in npz.files if k != _META}
    except ValueError as e:
        if "pickle" in str(e):
            raise ValueError(f"load: {path} holds objects that need pickle to load; minidl "
                             f"refuses to unpickle (it could run code)") from None
        if str(e).startswith("load:"):
            raise
        raise ValueError(f"load: {path} is not a minidl file (an .npz written by md.save): "
                         f"{e}") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"load: {path} is not a minidl file (an .npz written by md.save): "
                         f"{e}") from None
    return _unflatten(meta["structure"], arrays)
