"""``LiveLossPlot``: a live loss curve for ``Model.train``, next to ``LossMonitor``.

    model.train(epoch=10, train_dataset=ds_train,
                callbacks=[LossMonitor(100), LiveLossPlot()], dataset_sink_mode=False)

The callback records into ``plot.history`` (a ``LossHistory``, the
``LossRecorder`` of ``lossviz.train`` plus per-label series) and asks a
renderer to redraw it now and then:

* redraws are throttled: at least ``every_n_steps`` steps *and* at least
  ``min_interval`` seconds apart, and the interval grows with the cost of a
  draw so that drawing takes at most ``draw_budget`` (a quarter) of the time;
  plus one final redraw when training ends;
* in a notebook the figure is displayed once and updated in place through a
  display handle, so ``LossMonitor``'s lines stay in the cell output;
* in a terminal nothing is displayed; the final figure is saved as a PNG in
  a temporary folder (or at ``save_png``; ``save_png=False`` saves nothing).

Multi-label training (``Model(network=loss_net, optimizer=opt)`` with a
``CustomWithLossCell``): when a batch has more than two columns, the plot
also draws one line per label. Each label's loss is measured separately from
the batch and the backbone (``network._backbone``, or ``backbone=``), with no
graph recorded and without touching the loss cell:
``label_loss(backbone(data), label_k)``, by default ``mean(|pred - label_k|)``.
It is measured before the step's update, like the total the step returns.

Classification: validation results per epoch. ``Model.fit`` (MindSpore 2.x's
``Model.train`` with a validation set) evaluates the model at the end of
every epoch and calls the callbacks' ``on_eval_end``; the plot records
``cb_params.metrics`` there, whatever the metrics and whatever the loss::

    model = Model(net, nn.CrossEntropyLoss(), opt,
                  metrics={"loss": nn.Loss(), "accuracy": nn.Accuracy(), "recall": nn.Recall()})
    model.fit(20, ds_train, valid_dataset=ds_valid, callbacks=[LiveLossPlot(class_names=names)])

The figure then has a second panel: the validation loss joins the training
loss on the left, and on the right each single-number metric is one line
(accuracy) and a per-class metric (``Recall``, or your own ``nn.Metric``
returning one value per class or per label) one line per class. The same
callback passed to ``model.eval(ds_valid, callbacks=[live])`` records one more
point. Nothing here calls the model itself, so the MindSpore twin
(:mod:`lossviz.viz.mindspore`) gets the same lines from MindSpore's ``Model.fit``.
"""
import os
import re
import sys
import tempfile
import time

import numpy as np

from .._engine.autograd import no_grad
from ..train.callback import Callback, step_loss
from .._engine.checks import check_float, check_int
from ._env import in_notebook
from .history import LossHistory
from .render import NotebookRenderer, NullRenderer, PngFileRenderer


def check_figure_size(name, figsize, dpi):
    """A figure size in inches (two positive finite numbers) and a positive int dpi."""
    if not isinstance(figsize, (tuple, list)) or len(figsize) != 2:
        raise TypeError(f"For '{name}', the 'figsize' must be a (width, height) pair in inches, but got {figsize!r}.")
    width, height = (check_float(name, "figsize", v) for v in figsize)
    if width <= 0 or height <= 0:
        raise ValueError(f"For '{name}', the 'figsize' must be two positive numbers, but got {figsize!r}.")
    if check_int(name, "dpi", dpi, minimum=1) > 1000:
        raise ValueError(f"For '{name}', the 'dpi' must be at most 1000, but got {dpi}.")
    return (width, height)


def mean_absolute_error(pred, label):
    """``mean(|pred - label|)``: the per-label loss the tutorial's L1 losses use."""
    return float(np.mean(np.abs(np.asarray(pred.asnumpy(), np.float64) - np.asarray(label.asnumpy(), np.float64))))


class LiveLossPlot(Callback):
    """A loss curve that redraws while ``Model.train`` runs.

    Args:
        every_n_steps (int): redraw at most once per this many steps. Default 20.
        min_interval (float): and at most once per this many seconds. Default 0.1.
        draw_budget (float): largest share of the time spent drawing, in (0, 1]. Default 0.25.
        smoothing (float): weight of the past in the smoothed line, in [0, 1). Default 0.9.
        per_label (bool or None): draw one line per label; ``None`` means "when
            the batch has more than two columns". Default None.
        backbone (Cell): the network giving predictions for per-label losses;
            default ``cb_params.network._backbone``.
        label_loss (callable): ``label_loss(pred, label) -> float`` per label;
            default ``mean(|pred - label|)``.
        label_names (list[str]): names of the label lines; default ``label1``, ``label2``...
        class_names (list[str]): names of the classes in per-class validation
            lines (``recall[cat]``); default the class index (``recall[0]``).
        title (str): figure title. Default ``'training loss'``.
        save_png (str, False or None): where a terminal run saves the final
            figure; None means a file in the temp folder, False means nowhere.
        renderer: draw through this object instead of choosing one (tests, benchmarks).

    After training, ``plot.history`` holds every recorded value (``history.valid``:
    the validation results).
    """

    def __init__(self, every_n_steps=20, min_interval=0.1, draw_budget=0.25, smoothing=0.9, per_label=None,
                 backbone=None, label_loss=None, label_names=None, title="training loss", figsize=(7.5, 2.8),
                 dpi=80, save_png=None, renderer=None, class_names=None):
        name = "LiveLossPlot"
        every_n_steps = check_int(name, "every_n_steps", every_n_steps, minimum=1)
        min_interval = check_float(name, "min_interval", min_interval)
        draw_budget = check_float(name, "draw_budget", draw_budget)
        smoothing = check_float(name, "smoothing", smoothing)
        if min_interval < 0:
            raise ValueError(f"For '{name}', the 'min_interval' must be >= 0, but got {min_interval}.")
        if not 0 < draw_budget <= 1:
            raise ValueError(f"For '{name}', the 'draw_budget' must be in (0, 1], but got {draw_budget}.")
        if not 0 <= smoothing < 1:
            raise ValueError(f"For '{name}', the 'smoothing' must be in [0, 1), but got {smoothing}.")
        if per_label not in (None, True, False):
            raise ValueError(f"For '{name}', the 'per_label' must be None, True or False, but got {per_label!r}.")
        figsize = check_figure_size(name, figsize, dpi)
        if not isinstance(title, str):
            raise TypeError(f"For '{name}', the 'title' must be a str, but got {type(title).__name__}.")
        if save_png not in (None, False) and not isinstance(save_png, (str, os.PathLike)):
            raise TypeError(f"For '{name}', the 'save_png' must be a path, None or False, but got {save_png!r}.")
        if label_loss is not None and not callable(label_loss):
            raise TypeError(f"For '{name}', the 'label_loss' must be callable, but got {type(label_loss).__name__}.")
        if label_names is not None and (isinstance(label_names, str)
                                        or not all(isinstance(n, str) for n in label_names)):
            raise TypeError(f"For '{name}', the 'label_names' must be a list of str, but got {label_names!r}.")
        if class_names is not None:
            if isinstance(class_names, str) or not isinstance(class_names, (list, tuple)) \
                    or not all(isinstance(n, str) for n in class_names):
                raise TypeError(f"For '{name}', the 'class_names' must be a list of str, but got {class_names!r}.")
            if len(set(class_names)) != len(class_names):
                raise ValueError(f"For '{name}', the 'class_names' must be different from each other, "
                                 f"but got {list(class_names)!r}.")
            class_names = list(class_names)
        self.every_n_steps, self.min_interval, self.smoothing = every_n_steps, float(min_interval), smoothing
        self.draw_budget = float(draw_budget)
        self.per_label, self.backbone, self.label_names = per_label, backbone, label_names
        self.label_loss = label_loss or mean_absolute_error
        self.class_names = class_names
        self.title, self.figsize, self.dpi, self.save_png = title, figsize, dpi, save_png
        self.renderer = renderer
        self.history = LossHistory()
        self._pending_labels = None

    # -- choosing where to draw --------------------------------------------
    def _make_renderer(self):
        style = dict(figsize=self.figsize, dpi=self.dpi, smoothing=self.smoothing, title=self.title)
        if in_notebook():
            return NotebookRenderer(**style)
        if self.save_png is False:
            return NullRenderer()
        path = self.save_png
        if path is None:
            slug = re.sub(r"[^A-Za-z0-9]+", "_", self.title).strip("_") or "loss"
            path = os.path.join(tempfile.gettempdir(), "lossviz-plots", f"{slug}.png")
        return PngFileRenderer(path, **style)

    # -- per-label losses ----------------------------------------------------
    def _find_backbone(self, cb_params):
        if self.backbone is not None:
            return self.backbone
        network = cb_params.get("network")
        # CustomWithLossCell / WithLossCell keep the user's network as `_backbone`
        # (WithLossCell also exposes it as the `backbone_network` property).
        backbone = getattr(network, "_backbone", None)
        return backbone if backbone is not None else getattr(network, "backbone_network", None)

    def _label_losses(self, cb_params):
        columns = list(cb_params.get("train_dataset_element") or ())
        wanted = self.per_label if self.per_label is not None else len(columns) > 2
        if not wanted:
            return None
        if len(columns) < 2:
            raise ValueError(f"For 'LiveLossPlot', 'per_label=True' needs batches of data and labels, "
                             f"but a batch has {len(columns)} column(s).")
        backbone = self._find_backbone(cb_params)
        if backbone is None:
            if self.per_label:
                raise ValueError("For 'LiveLossPlot', 'per_label=True' needs the network's backbone: pass "
                                 "'backbone=net' or wrap the network in a cell with a '_backbone' attribute.")
            return None
        names = self.label_names or [f"label{k}" for k in range(1, len(columns))]
        with no_grad():
            pred = backbone(columns[0])
            return {name: float(self.label_loss(pred, label)) for name, label in zip(names, columns[1:])}

    # -- the callback hooks ---------------------------------------------------
    def on_train_begin(self, run_context):
        cb_params = run_context.original_args()
        self.history.reset()  # one curve per train() call
        epochs, batches = cb_params.get("epoch_num"), cb_params.get("batch_num")
        if isinstance(epochs, int) and isinstance(batches, int):
            self.history.total_steps = epochs * batches
        if self.renderer is None:
            self.renderer = self._make_renderer()
        self._drawn_step = 0
        self._draw(self.renderer.open)
        # NOTE: the first draw pays for imports and font loading; it says nothing
        # about the cost of the next ones, so it does not stretch the interval.
        self._draw_cost = 0.0

    def on_train_step_begin(self, run_context):
        self._pending_labels = self._label_losses(run_context.original_args())

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        step = cb_params.get("cur_step_num")
        self.history.add(step, step_loss(cb_params), self._pending_labels)
        self._pending_labels = None
        now = time.perf_counter()
        if step - self._drawn_step >= self.every_n_steps and now - self._last_draw >= self._gap():
            self._drawn_step = step
            self._draw(self.renderer.send)

    def on_train_epoch_end(self, run_context):
        self.history.end_epoch(run_context.original_args().get("cur_epoch_num"))

    def on_eval_end(self, run_context):
        """One validation point per metric (per class for per-class metrics), at the last training step."""
        metrics = run_context.original_args().get("metrics")
        if not isinstance(metrics, dict):
            return
        step = self.history.last[0] if self.history.steps else 0
        self.history.add_eval(step, metrics, self.class_names)
        if hasattr(self, "_last_draw") and time.perf_counter() - self._last_draw >= self._gap():
            self._draw(self.renderer.send)

    def on_train_end(self, run_context):
        self._draw(self.renderer.close)
        if isinstance(self.renderer, PngFileRenderer) and self.save_png is None:
            print(f"LiveLossPlot: final figure saved to {self.renderer.path}", file=sys.stderr)

    def _gap(self):
        # NOTE: a draw that cost c seconds is followed by c*(1-budget)/budget of training.
        return max(self.min_interval, self._draw_cost * (1.0 - self.draw_budget) / self.draw_budget)

    def _draw(self, method):
        start = time.perf_counter()
        method(self.history)
        self._last_draw = time.perf_counter()
        self._draw_cost = self._last_draw - start

    def __repr__(self):
        return (f"LiveLossPlot(every_n_steps={self.every_n_steps}, min_interval={self.min_interval}, "
                f"smoothing={self.smoothing}, history={self.history!r})")
