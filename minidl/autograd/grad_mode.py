"""Whether operations record a graph for backward: ``no_grad`` and friends.

Inside ``with md.no_grad():`` every op computes its value and nothing else: no graph is
recorded, so nothing is kept alive for a backward pass that will never come. The engine
also switches recording off while it runs an ordinary backward pass, and on while it runs
one with ``create_graph=True`` (so that the gradient can be differentiated again).
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Callable, Literal, TypeVar

    from typing_extensions import Self

    _F = TypeVar("_F", bound=Callable[..., Any])

_enabled = True  # read by Function.apply on every op


def is_grad_enabled() -> bool:
    """Return True when ops record the graph (the default)."""
    return _enabled


def _set(mode: bool | None) -> None:
    global _enabled
    _enabled = bool(mode)


class _GradMode:
    """A context manager that is also a decorator (``@md.no_grad()`` or ``@md.no_grad``)."""

    _mode = True
    prev: bool | None

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:   # the manager, or func decorated
        self = super().__new__(cls)
        if func is None:
            return self
        if not callable(func):
            raise TypeError(f"{cls.__name__}: expected a function to decorate, got "
                            f"{type(func).__name__}")
        return self(func)  # used as a bare decorator: @md.no_grad

    def __init__(self, func: Callable[..., Any] | None = None) -> None:
        self.prev = None

    def __enter__(self) -> Self:
        self.prev = _enabled
        _set(self._mode)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        _set(self.prev)
        return False

    def __call__(self, func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value, unused-ignore]  # (wraps keeps func's signature)

    def _fresh(self) -> _GradMode:
        return type(self)()


class no_grad(_GradMode):
    """Context manager (or decorator) in which no graph is recorded.

    >>> import minidl as md
    >>> x = md.tensor([1.0, 2.0], requires_grad=True)
    >>> with md.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _mode = False


class inference_mode(_GradMode):
    """``no_grad`` under PyTorch's other name (``inference_mode(False)``: recording on).
    PyTorch also marks tensors made inside as inference tensors; minidl makes ordinary
    tensors that record nothing.

    >>> import minidl as md
    >>> with md.inference_mode():
    ...     y = md.tensor([1.0], requires_grad=True) * 2
    >>> y.requires_grad
    False
    """

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:   # or mode decorated
        if callable(mode) and not isinstance(mode, bool):
            return cls(True)(mode)            # used as a bare decorator: @md.inference_mode
        return object.__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode: mode must be a bool, got {mode!r}")
        self._mode = not mode
        self.prev = None

    def _fresh(self) -> _GradMode:
        return _Switch(self._mode)


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (and ``no_grad``: minidl does not tell them apart)."""
    return not _enabled


class enable_grad(_GradMode):
    """Context manager (or decorator) that records the graph even inside ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off: as a call (takes effect at once), as a context
    manager (restored on exit) or as a decorator (only inside the decorated function).

    >>> import minidl as md
    >>> @md.set_grad_enabled(False)
    ... def frozen(x):
    ...     return x * 2
    >>> frozen(md.tensor([1.0], requires_grad=True)).requires_grad, md.is_grad_enabled()
    (False, True)
    """

    def __new__(cls, mode: bool) -> Self:
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {mode!r}")
        self._mode = mode
        self.prev = _enabled
        _set(mode)            # PyTorch: the call itself switches the mode

    def __enter__(self) -> Self:
        return self

    def __call__(self, func: _F) -> _F:
        _set(self.prev)       # used as a decorator: undo the switch made by the call
        return super().__call__(func)

    def _fresh(self) -> _GradMode:
        return _Switch(self._mode)


class _Switch(_GradMode):
    def __new__(cls, mode: bool) -> Self:
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        self._mode = mode
        self.prev = None
