"""``python -m minidl``: the tour; ``python -m minidl check``; ``python -m minidl train ...``.

The code lives in ``minidl/tools/cli.py``; this module is the entry point of both
``python -m minidl`` and the ``minidl`` console script (``minidl.__main__:main``).
``minidl --version`` prints ``minidl <version>`` and exits with status 0.
"""
import sys

from . import __version__
from .tools import cli

__all__ = ["main"]


def main(argv=None):
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit status.

    ``--version`` as the first argument prints ``minidl <version>``; everything else
    is the command line of ``minidl/tools/cli.py``.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--version"]:
        sys.stdout.write(f"{cli.PROG} {__version__}\n")
        return 0
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
