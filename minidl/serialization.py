"""``md.save`` / ``md.load``: state dicts (and checkpoints) as ``.npz`` files, no pickle.

A file holds NumPy arrays only, plus one entry, ``__minidl__``, a JSON description of how
they nest (dicts, lists, numbers, strings), so an optimiser's state or a checkpoint of
model and optimiser goes in as well as a flat state dict. ``load`` opens the file with
``allow_pickle=False``: nothing in it can run code. A file that needs pickle, or that is
not an ``.npz`` written by ``md.save``, is refused with an error naming the file.
"""
from __future__ import annotations

import json
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np
import os

_META = "__minidl__"
_VERSION = 1


def _flatten(obj, arrays, where):
    """Describe ``obj`` as JSON, moving its arrays into ``arrays``."""
    if hasattr(obj, "_array") and isinstance(obj._array, np.ndarray):
        obj = obj._array  # a Tensor or Parameter
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


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` (a state dict: names → arrays; dicts and lists may nest) to ``path``.

    The file is exactly ``path`` (no ``.npz`` is appended).

    Args:
        obj: arrays and Tensors (saved as arrays), nested in dicts (keys str or int),
            lists and tuples, beside numbers, strings, booleans and None; e.g.
            ``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``.
        path: the file to write.

    Raises:
        TypeError: something else (a dict key that is neither str nor int, an object
            array, an arbitrary Python object), named by its path in ``obj``.
    """
    arrays: dict[str, np.ndarray] = {}
    structure = _flatten(obj, arrays, "")
    meta = json.dumps({"version": _VERSION, "structure": structure})
    arrays[_META] = np.array(meta)
    with open(path, "wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type, unused-ignore]  # (stubs: allow_pickle among **kwds)


def _npy_pickle_note(path):
    """' holding Python objects (it needs pickle)' for an object .npy, else ''."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)(f)
        return " holding Python objects (it needs pickle)" if header[2].hasobject else ""
    except Exception:  # a damaged header: the plain message is enough
        return ""


def _check_member_sizes(path):
    """Refuse an archive whose arrays claim more bytes than the archive holds, before
    NumPy allocates what a member's header merely declares."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with zf.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                            else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read(f, max_header_size=10_000)
                    if dtype.hasobject:
                        continue                      # refused below, without unpickling
                    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
                    if declared > info.file_size:
                        raise ValueError(
                            f"load: {path} is damaged or hostile: member {info.filename} "
                            f"declares an array of shape {tuple(shape)} ({declared} bytes) "
                            f"but holds only {info.file_size} bytes")
    except ValueError as e:
        if str(e).startswith("load:"):
            raise
        raise ValueError(f"load: {path} is not a minidl file (an .npz written by md.save): "
                         f"{e}") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise ValueError(f"load: {path} is not a minidl file (an .npz written by md.save): "
                         f"{e}") from None


def load(path: str | os.PathLike[str]) -> Any:
    """Read what :func:`save` wrote; never unpickles (``allow_pickle=False``).

    Returns:
        the saved object: dicts (as ``OrderedDict``, keys str or int as saved), lists,
        tuples, numbers, strings, None and ``np.ndarray`` leaves.

    Raises:
        FileNotFoundError: there is no file at ``path``.
        ValueError: the file is not an ``.npz`` written by ``md.save`` (a text file, a
            single ``.npy`` array, a plain ``.npz``, random bytes), or it holds arrays that
            only pickle could load. The message names the file.

    Examples:
        >>> import minidl as md, numpy as np, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
        >>> md.save({"epoch": 3, "model": {"w": np.ones(2)}}, path)
        >>> md.load(path)["model"]["w"]
        array([1., 1.])
    """
    with open(path, "rb") as f:  # FileNotFoundError for a missing file, as open() raises
        magic = f.read(6)
    if magic.startswith(b"\x93NUMPY"):
        raise ValueError(f"load: {path} is a single .npy array{_npy_pickle_note(path)}, not a "
                         f"minidl file (an .npz written by md.save)")
    if not magic.startswith(b"PK\x03\x04") and not magic.startswith(b"PK\x05\x06"):
        raise ValueError(f"load: {path} is not a minidl file (an .npz written by md.save): "
                         f"it is not a zip archive")
    _check_member_sizes(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}  # object arrays raise here: no pickle
            if _META not in arrays:
                raise ValueError(f"load: {path} is an .npz file but not one written by md.save "
                                 f"(it has no {_META} entry)")
            meta = json.loads(str(arrays.pop(_META)))
    except ValueError as e:
        if str(e).startswith("load:"):
            raise
        if "pickle" in str(e):
            raise ValueError(f"load: {path} holds objects that need pickle to load; minidl "
                             f"refuses to unpickle (it could run code)") from None
        raise ValueError(f"load: {path} is not a minidl file (an .npz written by md.save): "
                         f"{e}") from None
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise ValueError(f"load: {path} is not a minidl file (an .npz written by md.save): "
                         f"{e}") from None
    except RecursionError:
        raise ValueError(f"load: {path} has a {_META} entry nested too deeply to be a state "
                         f"dict") from None
    if not isinstance(meta, dict) or meta.get("version") != _VERSION or "structure" not in meta:
        raise ValueError(f"load: {path} has a {_META} entry minidl {_VERSION} cannot read "
                         f"(version {meta.get('version') if isinstance(meta, dict) else None})")
    try:
        return _unflatten(meta["structure"], arrays)
    except RecursionError:
        raise ValueError(f"load: {path} has a {_META} entry nested too deeply to be a state "
                         f"dict") from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ValueError(f"load: {path} has a damaged {_META} entry (it does not describe "
                         f"the arrays in the file)") from None
