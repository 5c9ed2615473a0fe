"""The one place tests decide whether this machine may load BPF programs.

A test that needs BPF asks for the `needs_bpf` fixture (tests/conftest.py then marks it
`bpf`, so `pytest -m "not bpf"` selects the tests that run without privileges). Without
root, or when the kernel refuses a one-instruction tracing program, the test is skipped
with the reason; when CI is set the same reason fails the test, so CI can never go green
by skipping every kernel test. The probe and the rule are the docs suite's own
(bpfhol.examples.access, bpfhol.examples.plugin.require_bpf).
"""

from __future__ import annotations

import pytest

from bpfhol.examples.access import bpf_unavailable
from bpfhol.examples.plugin import require_bpf

__all__ = ["bpf_unavailable", "needs_bpf", "require_bpf"]


@pytest.fixture(scope="session")
def needs_bpf() -> None:
    """Ask for this fixture in any test (or fixture) that loads BPF programs."""
    require_bpf("this test")
