"""The tutorial notebooks, run in JupyterLab in headless Chromium (issue 6).

* ``02_using_builtin_losses.ipynb``: after 'Run All', clicking the 'Reduction'
  toggle's buttons makes the kernel recompute the widget's text
  (browser -> kernel -> browser): 'sum' shows ``loss = 9.0``, 'none' the
  six per-element errors, 'mean' ``loss = 1.5``.
* ``04_training_with_a_loss.ipynb``: the ``LiveLossPlot`` image is replaced
  in place while ``model.train`` runs (at least two redraws between the first
  frame and the final one) and ``LossMonitor``'s lines are printed.

Run with ``python -m pytest -m browser tests/browser`` (needs /usr/bin/chromium).
On failure, conftest.py saves a screenshot and the server log and reports their paths.
"""

import re
import time

import pytest

pytestmark = pytest.mark.browser

# --- notebook 02: the reduction toggle ---------------------------------------

REDUCTION_CELL = "reduction = ReductionToggle()"  # a piece of the widget cell's source

# What `lossviz.viz.reduction.reduction_text` shows for nn.L1Loss on the tutorial's
# two 2x3 tensors (numpy prints the 'none' matrix over two lines).
EXPECTED_AFTER_CLICK = {
    "sum": ["nn.L1Loss(reduction='sum')", "loss = 9.0"],
    "none": ["nn.L1Loss(reduction='none')", "[[1. 0. 2.]", "[1. 2. 3.]]"],
    "mean": ["nn.L1Loss(reduction='mean')", "loss = 1.5"],
}


def wait_for_text(locator, expected, action, what, lab, timeout=20.0):
    """Poll `locator`'s text until it contains every string in `expected`.

    On timeout raise an AssertionError that says what was done, what was
    expected and what the browser shows, plus what the kernel wrote to stderr
    while handling widget messages (an exception in a widget callback shows
    in no cell; see `record_widget_callback_errors`).
    """
    deadline = time.monotonic() + timeout
    seen = "<widget not found>"
    while True:
        try:
            seen = locator.inner_text(timeout=1_000)
        except Exception as exc:  # not rendered (yet), or the page is gone
            seen = f"<widget not found: {type(exc).__name__}>"
        missing = [s for s in expected if s not in seen]
        if not missing:
            return seen
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    msg = (
        f"{action}: expected {what} to contain {missing!r} within {timeout:.0f}s, "
        f"but it shows:\n{seen.rstrip() or '<empty>'}"
    )
    errors = widget_callback_errors(lab)
    if errors:
        msg += "\n\nkernel errors while handling widget messages:\n" + errors
    raise AssertionError(msg)


def record_widget_callback_errors(lab) -> None:
    """Start collecting what the kernel writes to stderr (or raises) while it handles
    widget (comm) messages: such output belongs to no cell, so nothing shows it."""
    lab.page.evaluate(
        """() => {
          const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
          window.__widgetErrors = [];
          kernel.iopubMessage.connect((_, msg) => {
            if (msg.parent_header?.msg_type !== 'comm_msg') return;
            const c = msg.content;
            if (msg.header.msg_type === 'error') window.__widgetErrors.push(c.traceback.join('\\n'));
            else if (msg.header.msg_type === 'stream' && c.name === 'stderr') window.__widgetErrors.push(c.text);
          });
        }"""
    )


def widget_callback_errors(lab, tail: int = 1200) -> str:
    """The kernel's stderr/errors collected by `record_widget_callback_errors` (last `tail` chars)."""
    try:
        text = "".join(lab.page.evaluate("() => window.__widgetErrors || []"))
    except Exception as exc:  # the page may be gone
        return f"<could not read them: {exc}>"
    text = re.sub(r"\x1b\[[0-9;]*m", "", text).strip()  # ANSI colours of tracebacks
    return text if len(text) <= tail else "..." + text[-tail:]


def test_02_reduction_toggle(lab_page):
    lab = lab_page.open("02_using_builtin_losses.ipynb")
    lab.run_all_and_wait()
    record_widget_callback_errors(lab)

    panel = lab.cell(REDUCTION_CELL).locator(".widget-html-content")
    # The tutorial's numbers are for L1Loss on 2 rows; the notebook's later cells
    # may leave the panel elsewhere, so set both through the widgets first.
    lab.select("Loss", "L1Loss")
    wait_for_text(panel, ["nn.L1Loss("], "after choosing Loss=L1Loss", "the ReductionToggle's text", lab)
    if "on 2 row(s)" not in panel.inner_text():
        readout = lab.widget("Batch rows").locator(".widget-readout")
        readout.fill("2")
        readout.press("Enter")
        wait_for_text(panel, ["on 2 row(s)"], "after typing 2 into 'Batch rows'",
                      "the ReductionToggle's text", lab)

    # Every click must change the text: never start by clicking the active button.
    active = lab.widget("Reduction").locator("button.mod-active").inner_text().strip()
    clicks = ["sum", "none", "mean"] if active != "sum" else ["mean", "sum", "none", "mean"]
    for option in clicks:
        lab.click_toggle("Reduction", option)
        wait_for_text(panel, EXPECTED_AFTER_CLICK[option], f"after clicking Reduction={option!r}",
                      "the ReductionToggle's text", lab)


# --- notebook 04: the live loss curve ------------------------------------------

FIRST_TRAIN_CELL = "callbacks=[LossMonitor()]"  # the tutorial's model.train(epoch=1, ...)
LIVE_CELL = "live = LiveLossPlot("


def test_04_live_loss_plot(lab_page):
    lab = lab_page.open("04_training_with_a_loss.ipynb")
    # The saved notebook already shows the final frame: clear it, so that only
    # images drawn by this run are recorded.
    lab.command("notebook:clear-all-cell-outputs")
    assert lab.image_srcs(LIVE_CELL) == [], "outputs were not cleared before the run"
    lab.watch_images(LIVE_CELL)
    lab.run_all_and_wait(timeout=180_000)

    # LossMonitor: one line per step in the tutorial's run, every n-th step in the live one.
    first = lab.output_text(FIRST_TRAIN_CELL)
    assert re.search(r"^epoch: 1 step: 1, loss is [-+]?\d[\d.eE+-]*", first, re.MULTILINE), (
        f"expected LossMonitor's line 'epoch: 1 step: 1, loss is <number>' in the output of "
        f"the tutorial's model.train cell, but it shows:\n{first[:1000]}"
    )
    assert re.search(r"^epoch: 1 step: 10, loss is [-+]?\d[\d.eE+-]*", first, re.MULTILINE), (
        f"expected LossMonitor's line for step 10 of 10, but the cell shows:\n{first[:1000]}"
    )
    live = lab.output_text(LIVE_CELL)
    assert re.search(r"^epoch: \d+ step: \d+, loss is [-+]?\d[\d.eE+-]*", live, re.MULTILINE), (
        f"expected LossMonitor's lines ('epoch: <n> step: <n>, loss is <number>') to stay next "
        f"to the live plot, but the cell shows:\n{live[:1000]}"
    )

    # The live plot: one image, updated in place. Distinct frames seen, in order:
    # the first frame (no step yet), the redraws during training, the final frame.
    shown = lab.image_srcs(LIVE_CELL)
    assert len(shown) == 1, f"expected exactly one live-plot image in the cell, found {len(shown)}"
    srcs = lab.watched_images(LIVE_CELL)
    assert all(s.startswith("data:image/png") for s in srcs), [s[:40] for s in srcs]
    redraws = max(len(srcs) - 2, 0)
    print(f"live plot: {len(srcs)} distinct frames seen in the browser ({redraws} redraws during training)")
    assert redraws >= 2, (
        f"expected the live loss curve to change at least twice during training, but the browser "
        f"showed only {len(srcs)} distinct image(s) in the cell (a first frame, a final frame and "
        f"{redraws} redraw(s) in between)"
    )
    assert srcs[-1] == shown[0], "the image left in the cell is not the last frame drawn"
