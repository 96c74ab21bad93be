"""One random generator for the whole library, seeded by ``md.manual_seed``.

Parameter initialisation, ``md.randn``/``md.rand`` and dropout all draw from it, so a
seeded run repeats exactly.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed minidl's random generator (returns nothing; :func:`generator` gives it)."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))


def generator():
    """The ``np.random.Generator`` every random draw in minidl uses."""
    return _generator


def get_rng_state():
    """The generator's state (a dict), for checkpoints."""
    return _generator.bit_generator.state


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    _generator.bit_generator.state = state
