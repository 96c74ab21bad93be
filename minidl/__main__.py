"""``python -m minidl``: the tour; ``python -m minidl check``; ``python -m minidl train ...``.

The code lives in ``minidl/models/cli.py``; this module is the entry point of both
``python -m minidl`` and the ``minidl`` console script (``minidl.__main__:main``).
"""
import sys

from .models.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
