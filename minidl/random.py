"""One random generator for the whole library, seeded by ``md.manual_seed``.

Parameter initialisation, ``md.randn``/``md.rand``, dropout and DataLoader shuffling all
draw from it, so a seeded run repeats exactly. :class:`Generator` is PyTorch's
``torch.Generator``: a separate stream (for a DataLoader or ``random_split``) that can be
seeded on its own, ``md.random.Generator().manual_seed(0)``.

minidl's streams are NumPy's PCG64, not PyTorch's Mersenne Twister, so a seed gives other
numbers than the same seed in PyTorch; what repeats is minidl's own run.
"""
from __future__ import annotations

import numpy as np
from typing import Any, Mapping

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "generator", "get_rng_state", "set_rng_state"]


def _check_seed(where, seed):
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{where}: seed must be an int, got {type(seed).__name__}")
    return int(seed) % 2 ** 64           # PyTorch also takes negative seeds, modulo 2⁶⁴


class Generator:
    """A random stream with its own seed (PyTorch's ``torch.Generator``, CPU only).

    Args:
        device: only "cpu" (the default) is supported.

    Raises:
        NotImplementedError: another device.

    >>> import minidl as md
    >>> g = md.random.Generator().manual_seed(7)
    >>> g.initial_seed()
    7
    >>> a = g.numpy_generator().random(3)
    >>> b = md.random.Generator().manual_seed(7).numpy_generator().random(3)
    >>> bool((a == b).all())                       # the same seed, the same numbers
    True
    """

    def __init__(self, device: Any = "cpu") -> None:
        if str(getattr(device, "type", device)) != "cpu":
            raise NotImplementedError(f"Generator: device={device!r} is not supported; "
                                      f"minidl runs on the CPU")
        self.device = "cpu"
        self.seed()

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed`` (an int); returns the generator itself."""
        self._seed = _check_seed("Generator.manual_seed", seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed chosen."""
        self.manual_seed(int(np.random.SeedSequence().entropy) % 2 ** 64)  # type: ignore[arg-type, unused-ignore]
        return self._seed

    def initial_seed(self) -> int:
        """The seed the stream started from."""
        return self._seed

    def get_state(self) -> Mapping[str, Any]:
        """The stream's state (a dict), for checkpoints."""
        return self._rng.bit_generator.state

    def set_state(self, state: Mapping[str, Any]) -> Generator:
        """Restore a state returned by :meth:`get_state`; returns the generator."""
        self._rng.bit_generator.state = state
        return self

    def numpy_generator(self) -> np.random.Generator:
        """The ``np.random.Generator`` that draws this stream's numbers."""
        return self._rng

    def __repr__(self):
        return f"Generator(device='cpu', initial_seed={self._seed})"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed minidl's random generator; returns it (``default_generator``), as PyTorch's
    ``torch.manual_seed`` does.

    >>> import minidl as md
    >>> _ = md.manual_seed(0); a = md.randn(2)
    >>> _ = md.manual_seed(0); b = md.randn(2)
    >>> bool((a.numpy() == b.numpy()).all())
    True
    """
    return default_generator.manual_seed(_check_seed("manual_seed", seed))


def seed() -> int:
    """Seed minidl's generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed minidl's generator started from."""
    return default_generator.initial_seed()


def generator() -> np.random.Generator:
    """The ``np.random.Generator`` every random draw in minidl uses."""
    return default_generator.numpy_generator()


def _numpy_generator(where, gen):
    """The NumPy stream for ``generator=`` arguments: minidl's, a Generator's or NumPy's."""
    if gen is None:
        return generator()
    if isinstance(gen, Generator):
        return gen.numpy_generator()
    if isinstance(gen, np.random.Generator):
        return gen
    raise TypeError(f"{where}: generator must be a minidl.random.Generator (or None), got "
                    f"{type(gen).__name__}")


def get_rng_state() -> Mapping[str, Any]:
    """The generator's state (a dict), for checkpoints."""
    return default_generator.get_state()


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore a state returned by :func:`get_rng_state`."""
    default_generator.set_state(state)
