"""Notebook 07 (classification) in JupyterLab in headless Chromium (issue 11).

``07_classification.ipynb``, run with 'Run All': the ``LiveLossPlot`` of the
``Model.fit`` cell is replaced in place while training runs (at least one redraw
between the first frame and the final one), the final frame is the two-panel
figure (its size is the ``figsize`` asked for), and the cell after it prints the
validation lines the plot drew: the loss, the accuracy and one recall per class.

Run with ``python -m pytest -m browser tests/browser -k classification`` (needs /usr/bin/chromium).
"""
import base64
import struct

import pytest

pytestmark = pytest.mark.browser

LIVE_CELL = 'live = LiveLossPlot(title="CrossEntropyLoss"'
HISTORY_CELL = "for name, series in live.history.valid.items():"


def png_size(src):
    """(width, height) of a ``data:image/png;base64,...`` URL."""
    data = base64.b64decode(src.split(",", 1)[1])
    return struct.unpack(">II", data[16:24])


def test_07_live_classification_curve(lab_page):
    lab = lab_page.open("07_classification.ipynb")
    lab.command("notebook:clear-all-cell-outputs")  # only frames drawn by this run are recorded
    assert lab.image_srcs(LIVE_CELL) == [], "outputs were not cleared before the run"
    lab.watch_images(LIVE_CELL)
    lab.run_all_and_wait(timeout=180_000)

    shown = lab.image_srcs(LIVE_CELL)
    assert len(shown) == 1, f"expected exactly one live-plot image in the Model.fit cell, found {len(shown)}"
    srcs = lab.watched_images(LIVE_CELL)
    assert all(s.startswith("data:image/png") for s in srcs), [s[:40] for s in srcs]
    redraws = max(len(srcs) - 2, 0)
    print(f"live classification plot: {len(srcs)} distinct frames seen in the browser "
          f"({redraws} redraws during training)")
    # NOTE: the training takes well under a second of computing, and a two-panel frame about 0.1 s to
    # draw; the plot keeps drawing to a quarter of the time (draw_budget), so 1 to 3 redraws happen.
    assert redraws >= 1, (
        f"expected the live curve to change while Model.fit trains, but the browser showed only "
        f"{len(srcs)} distinct image(s) in the cell (a first frame, a final frame and {redraws} "
        f"redraw(s) in between)")
    assert srcs[-1] == shown[0], "the image left in the cell is not the last frame drawn"
    assert png_size(shown[0]) == (720, 256), "the final frame is not the figsize=(9, 3.2) figure at 80 dpi"

    printed = lab.output_text(HISTORY_CELL)
    for name in ("loss", "accuracy", "recall[common]", "recall[medium]", "recall[rare]"):
        assert name in printed, f"expected the validation line {name!r} in live.history.valid, got:\n{printed}"
