"""Session fixtures: one strict build of the site, one local web server, one Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bpfhol import config
from tests.site.builtsite import ROOT, BuildResult, Site, mkdocs_build, skip_or_fail

# Debian's Chromium (./dev setup installs it; GitHub's Ubuntu runners have one at the same path).
# Playwright never downloads a browser for these tests.
CHROMIUM = config.chromium()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The one `mkdocs build --strict` of the checkout every site test shares."""
    return mkdocs_build(ROOT, tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="session")
def site(build: BuildResult) -> Site:
    if not build.ok:
        pytest.fail(f"mkdocs build --strict failed:\n{build.output}", pytrace=False)
    return Site.load(build.site_dir)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def base_url(site: Site) -> Iterator[str]:
    """The built site served on 127.0.0.1 (a free port), as any static host would serve it."""
    handler = functools.partial(_QuietHandler, directory=str(site.dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One headless Chromium for the site tests, closed before the kernel tests that follow
    (a busy browser's own mmap calls would only add noise to what they trace)."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM}: install the chromium package (sudo ./dev setup does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        skip_or_fail(f"the playwright package is missing ({e}): run ./dev setup")
        raise  # unreachable: skip_or_fail raises
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save screenshots: BPFHOL_SCREENSHOTS, else a temporary directory."""
    wanted = os.environ.get("BPFHOL_SCREENSHOTS")
    path = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
