"""Shared test set-up: hypothesis profiles and float64 helpers.

Profiles: ``dev`` (default, quick), ``ci`` (selected when CI is set: more examples, no
deadline, derandomised so a CI run repeats). Choose one with HYPOTHESIS_PROFILE.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

settings.register_profile("dev", max_examples=15, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
# ``triage``: few examples, no shrinking — for a first look at a broken build
settings.register_profile("triage", max_examples=5, deadline=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def _seed_and_restore_dtype():
    """Each test starts from the same seed and the default dtype float32."""
    import minidl as md
    md.manual_seed(0)
    md.set_default_dtype(np.float32)
    yield
    md.set_default_dtype(np.float32)
