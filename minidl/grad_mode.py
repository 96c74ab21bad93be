"""Whether operations record a graph for backward: ``no_grad`` and friends.

Inside ``with md.no_grad():`` every op computes its value and nothing else: no
graph is recorded, so nothing is kept alive for a backward pass that will never come.
"""
import functools

_enabled = True  # read by Function.apply on every op


def is_grad_enabled():
    """Return True when ops record the graph (the default)."""
    return _enabled


class set_grad_enabled:
    """Turn graph recording on or off; usable as a call, a context manager or a decorator."""

    def __init__(self, mode):
        global _enabled
        self.prev = _enabled
        _enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _enabled
        _enabled = self.prev
        return False


class _GradModeContext:
    _mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if func is None:
            return self
        if not callable(func):
            raise TypeError(f"{cls.__name__}: expected a function to decorate, got "
                            f"{type(func).__name__}")
        return self(func)  # used as a bare decorator: @md.no_grad

    def __init__(self, func=None):
        pass

    def __enter__(self):
        global _enabled
        self.prev = _enabled
        _enabled = self._mode
        return self

    def __exit__(self, *exc):
        global _enabled
        _enabled = self.prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Context manager (or decorator, ``@md.no_grad()`` or ``@md.no_grad``) in which no
    graph is recorded.

    >>> import minidl as md
    >>> x = md.tensor([1.0, 2.0], requires_grad=True)
    >>> with md.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _mode = False


class enable_grad(_GradModeContext):
    """Context manager (or decorator) that records the graph even inside ``no_grad``."""

    _mode = True
