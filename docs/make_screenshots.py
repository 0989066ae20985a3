"""Screenshots of the widgets and the live curve as a learner sees them in JupyterLab.

    python docs/make_screenshots.py        # needs /usr/bin/chromium and Playwright

Starts a throw-away JupyterLab on a temporary copy of ``notebooks/`` (with the
browser tests' driver, ``tests/browser/labdriver.py``), runs the notebooks in
headless Chromium and saves, cropped to one cell's output:

* ``widget_reduction_toggle.png``: notebook 02's ``ReductionToggle`` after
  clicking ``sum`` (L1Loss on the tutorial's two rows: ``loss = 9.0``);
* ``widget_loss_explorer.png``: notebook 01's ``LossExplorer`` with
  SmoothL1Loss chosen in the menu and ``beta`` moved to 1.5;
* ``jupyterlab_live_curve.png``: notebook 04's ``LiveLossPlot`` cell after
  training: the final figure and, under it, the ``LossMonitor`` lines.
* ``check_loss_report.png``: notebook 08's check cell for ``NaiveBCEWithLogits``
  (BCE with logits written as ln(sigmoid(x))): the code and the loss doctor's
  report under it, the two overflow failures with their hint.

The notebooks in the repository are not touched (the server works on a copy).
"""
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
sys.path.insert(0, str(ROOT))

from tests.browser.labdriver import CHROMIUM, CHROMIUM_ARGS, JupyterLab, LabPage  # noqa: E402

VIEWPORT = {"width": 1200, "height": 900}
MAX_BYTES = 150_000


def wait_for_text(locator, expected, timeout=30.0):
    """Poll `locator`'s text until it contains `expected`; return the text."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = locator.inner_text()
        if expected in text:
            return text
        time.sleep(0.2)
    raise TimeoutError(f"expected {expected!r} in the widget, but it shows:\n{text}")


def wait_for_new_src(img, old, timeout=30.0):
    """Poll an <img> until its `src` differs from `old` (the kernel sent a new picture)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if img.get_attribute("src") != old:
            return
        time.sleep(0.2)
    raise TimeoutError("the widget's picture did not change")


def settle(lab):
    """Let the page finish drawing (kernel idle, no pending animation frame), with no
    focus ring or hover highlight left on the control that was just used."""
    lab.wait_kernel_idle()
    lab.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    lab.page.mouse.move(0, VIEWPORT["height"] - 1)
    lab.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    lab.page.wait_for_timeout(300)


def save(locator, name):
    """Screenshot `locator` (scrolled into view, cropped to it) into docs/images/."""
    path = OUT / name
    locator.screenshot(path=str(path), animations="disabled", caret="hide")
    size = path.stat().st_size
    note = "" if size <= MAX_BYTES else f"  (over {MAX_BYTES} bytes!)"
    print(f"{path.relative_to(ROOT)}  {size} bytes{note}")
    return path


def shoot_reduction_toggle(lab):
    """Notebook 02: ReductionToggle, L1Loss on 2 rows, after clicking 'sum'."""
    lab.open("02_using_builtin_losses.ipynb")
    lab.run_all_and_wait()
    cell = lab.cell("reduction = ReductionToggle()")
    panel = cell.locator(".widget-html-content")
    # The cells below the widget set it from code ('sum', then 'none'); start again
    # from the tutorial's numbers, then click 'sum' as a learner would.
    lab.select("Loss", "L1Loss")
    wait_for_text(panel, "nn.L1Loss(")
    if "on 2 row(s)" not in panel.inner_text():
        readout = lab.widget("Batch rows").locator(".widget-readout")
        readout.fill("2")
        readout.press("Enter")
        wait_for_text(panel, "on 2 row(s)")
    lab.click_toggle("Reduction", "mean")
    wait_for_text(panel, "reduction='mean'")
    lab.click_toggle("Reduction", "sum")
    wait_for_text(panel, "loss = 9.0")
    settle(lab)
    return save(cell.locator(".jp-Cell-outputArea"), "widget_reduction_toggle.png")


def shoot_loss_explorer(lab):
    """Notebook 01: LossExplorer with SmoothL1Loss and beta moved to 1.5."""
    lab.open("01_builtin_losses.ipynb")
    lab.run_all_and_wait()
    cell = lab.cell("explorer = LossExplorer()")
    table = cell.locator(".widget-html-content")
    img = cell.locator(".jp-Cell-outputArea img").first
    # The last cells leave the explorer on BCELoss; pick SmoothL1Loss, then move beta.
    lab.select("Loss", "SmoothL1Loss")
    wait_for_text(table, "nn.SmoothL1Loss(")
    settle(lab)
    before = img.get_attribute("src")
    readout = lab.widget("beta").locator(".widget-readout")
    readout.fill("1.5")
    readout.press("Enter")
    wait_for_text(table, "nn.SmoothL1Loss(beta=1.5)")
    wait_for_new_src(img, before)
    settle(lab)
    return save(cell.locator(".jp-Cell-outputArea"), "widget_loss_explorer.png")


def shoot_live_curve(lab):
    """Notebook 04: the LiveLossPlot cell after training (LossMonitor lines + final figure)."""
    lab.open("04_training_with_a_loss.ipynb")
    lab.command("notebook:clear-all-cell-outputs")  # only this run's pictures
    lab.run_all_and_wait(timeout=300_000)
    cell = lab.cell("live = LiveLossPlot(")
    wait_for_text(cell.locator(".jp-Cell-outputArea"), "loss is")
    settle(lab)
    return save(cell.locator(".jp-Cell-outputArea"), "jupyterlab_live_curve.png")


def shoot_check_loss_report(lab):
    """Notebook 08: the check cell of NaiveBCEWithLogits, its code and the report table under it."""
    lab.open("08_write_your_own_loss.ipynb")
    lab.run_all_and_wait()
    cell = lab.cell("check_loss(NaiveBCEWithLogits()")
    cell.scroll_into_view_if_needed()
    wait_for_text(cell.locator(".jp-Cell-outputArea"), "hint: overflows at logit 100")
    settle(lab)
    return save(cell, "check_loss_report.png")


def main():
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lossviz-screenshots-") as tmp:
        lab_server = JupyterLab(Path(tmp), notebooks=ROOT / "notebooks", pythonpath=[ROOT])
        with lab_server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                for shoot in (shoot_reduction_toggle, shoot_loss_explorer, shoot_live_curve, shoot_check_loss_report):
                    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
                    context.set_default_timeout(60_000)
                    try:
                        shoot(LabPage(context.new_page(), lab_server))
                    except Exception:
                        print(f"{shoot.__name__} failed; jupyter lab log:\n{lab_server.log()}",
                              file=sys.stderr)
                        raise
                    finally:
                        context.close()
                        lab_server.shutdown_kernels()
            finally:
                browser.close()


if __name__ == "__main__":
    main()
