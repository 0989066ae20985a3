"""Proof that the browser test infrastructure works, on a notebook written here.

Checks an ipywidgets ToggleButtons round trip (browser -> kernel -> browser) and a
matplotlib live plot updated in place with ``display(..., display_id=True)``.
"""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WIDGET_CELL = """\
import ipywidgets as widgets
from IPython.display import display

status = widgets.HTML(value="reduction=mean")
out = widgets.Output()
toggle = widgets.ToggleButtons(options=["mean", "sum", "none"], description="Reduction")

def on_change(change):
    status.value = f"reduction={change['new']}"
    with out:
        out.clear_output()
        print(f"selected {change['new']}")

toggle.observe(on_change, names="value")
display(toggle, status, out)
"""

PLOT_CELL = """\
import time
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(3, 2))
(line,) = ax.plot([0], [0])
plt.close(fig)  # shown only through the display handle below
handle = display(fig, display_id=True)
for step in range(1, 7):
    time.sleep(0.5)
    xs = list(range(step + 1))
    line.set_data(xs, [x * x for x in xs])
    ax.relim()
    ax.autoscale_view()
    handle.update(fig)
    print(f"step {step}", flush=True)
"""


def write_notebook(path):
    nb = new_notebook(cells=[new_code_cell(WIDGET_CELL), new_code_cell(PLOT_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_widgets_and_live_plot(jupyter_lab, lab_page):
    write_notebook(jupyter_lab.root_dir / "smoke.ipynb")
    lab = lab_page.open("smoke.ipynb")

    lab.watch_images("handle.update")
    lab.run_all_and_wait()

    # Live plot: one image, updated in place several times while the cell ran.
    assert len(lab.image_srcs("handle.update")) == 1
    srcs = lab.watched_images("handle.update")
    assert len(srcs) >= 3, f"plot image changed only {len(srcs) - 1} times"
    assert all(s.startswith("data:image/png") for s in srcs)
    assert "step 6" in lab.output_text("handle.update")

    # Widget round trip: click 'sum', the kernel's observer updates HTML + Output.
    status = lab.cell("ToggleButtons").locator(".widget-html-content")
    expect(status).to_have_text("reduction=mean")
    lab.click_toggle("Reduction", "sum")
    expect(status).to_have_text("reduction=sum")
    expect(lab.cell("ToggleButtons").locator(".widget-output")).to_contain_text("selected sum")
    assert lab.widget_output_text("ToggleButtons").strip() == "selected sum"
