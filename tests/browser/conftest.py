"""Fixtures for browser end-to-end tests: a JupyterLab server + headless Chromium.

* ``jupyter_lab`` (session): server on a temp copy of the repo's ``notebooks/``;
  tests may write extra notebooks into ``jupyter_lab.root_dir``.
* ``browser`` (session): Debian's Chromium driven by Playwright.
* ``lab_page`` (per test): a fresh browser context wrapped in `LabPage`.

Without /usr/bin/chromium the tests are skipped, except with CI=true: then they fail.
On failure a screenshot and the server log are saved and their paths reported.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from conftest import require

from .labdriver import CHROMIUM, CHROMIUM_ARGS, JupyterLab, LabPage

REPO = Path(__file__).resolve().parents[2]


def require_chromium() -> None:
    """Skip (or, with CI=true, fail) when Debian's Chromium is not installed."""
    require(os.path.exists(CHROMIUM), f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (Playwright never downloads a browser here)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory):
    """A running JupyterLab serving a temp copy of ``notebooks/``; stopped at the end."""
    require_chromium()
    lab = JupyterLab(
        tmp_path_factory.mktemp("jupyterlab"),
        notebooks=REPO / "notebooks",
        pythonpath=[REPO],  # kernels import the project from the checkout
    )
    with lab:
        yield lab


@pytest.fixture
def lab_page(request, browser, jupyter_lab):
    """A new browser page on the lab; kernels are shut down after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = LabPage(context.new_page(), jupyter_lab)
    request.node._lab_page = page
    try:
        yield page
    finally:
        del request.node._lab_page
        context.close()
        jupyter_lab.shutdown_kernels()


_SHOTS: list[Path] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing browser test, save a screenshot + server log and report the paths."""
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "_lab_page", None)
    if page is None or not report.failed or call.when == "teardown":
        return
    if not _SHOTS:
        _SHOTS.append(Path(tempfile.mkdtemp(prefix="browser-failures-")))
    directory = _SHOTS[0]
    lines = []
    try:
        lines.append(f"screenshot: {page.screenshot(directory, item.name)}")
    except Exception as exc:  # the page may be gone; still report the log
        lines.append(f"screenshot failed: {exc}")
    log = directory / f"{item.name}.jupyter-lab.log"
    log.write_text(page.lab.log(tail=200_000))
    lines.append(f"jupyter lab log: {log}")
    report.sections.append(("browser failure artifacts", "\n".join(lines)))
