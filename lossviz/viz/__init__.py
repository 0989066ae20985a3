"""``lossviz.viz``: the teaching layer (live loss curves, widgets, static plots).

Imported on use only (``import lossviz`` never imports it), and it imports
matplotlib, ipywidgets and IPython only when a plot or widget is made
(``pip install -e ".[viz]"``).

* ``LiveLossPlot``: a ``Model.train`` callback drawing the loss while training
  (``callbacks=[LossMonitor(), LiveLossPlot()]``); its data is ``plot.history``.
* ``ReductionToggle``: ``'mean'`` / ``'sum'`` / ``'none'`` on the tutorial's
  L1Loss example, with the gradient each one sends back.
* ``LossExplorer``: every built-in loss (one-dimensional views, ``explorer.VIEWS``) and its gradient as curves.
* ``OutlierComparison``: L1 vs MSE vs SmoothL1 on data with outliers.

Every widget computes its text with a plain function (``reduction_text``,
``explorer_text``, ``comparison_text``), so it can be tested without a browser.
"""
from ._env import in_notebook
from .explorer import LOSSES, LossExplorer, draw_explorer, explorer_text, loss_curves
from .history import LossHistory
from .liveplot import LiveLossPlot
from .outliers import OutlierComparison, compare_losses, comparison_text, draw_comparison, make_linear_data
from .reduction import ReductionToggle, reduction_text, tutorial_batch
from .render import NotebookRenderer, NullRenderer, PngFileRenderer, draw_history, figure_png, new_figure

__all__ = ["LOSSES", "LiveLossPlot", "LossHistory", "ReductionToggle", "LossExplorer", "OutlierComparison",
           "reduction_text", "tutorial_batch", "loss_curves", "explorer_text", "draw_explorer",
           "compare_losses", "comparison_text", "draw_comparison", "make_linear_data",
           "NotebookRenderer", "PngFileRenderer", "NullRenderer", "draw_history", "figure_png", "new_figure",
           "in_notebook"]
