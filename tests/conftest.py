"""Options and markers every test shares.

- A test that loads BPF programs asks for the `needs_bpf` fixture (directly or through another
  fixture): it is then marked `bpf`, so `pytest -m "not bpf"` is exactly the set that runs without
  root, and it skips without privileges (fails under CI; see tests/bpf.py).
- No test changes the checkout or the machine unless asked: `--update-screenshot` rewrites the
  README's screenshot, `--machine` runs the tests that re-run machine set-up (`./dev test` passes it).
"""

from __future__ import annotations

import pytest

from tests.bpf import needs_bpf  # noqa: F401  (a fixture, found by name)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-screenshot",
        action="store_true",
        help="rewrite docs/assets/screenshot-solution.png from the browser test",
    )
    parser.addoption("--machine", action="store_true", help="also run the tests that re-run ./dev setup")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "needs_bpf" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.bpf)
        if item.get_closest_marker("machine") and not config.getoption("--machine"):
            item.add_marker(pytest.mark.skip(reason="changes the machine: run with --machine (./dev test does)"))
