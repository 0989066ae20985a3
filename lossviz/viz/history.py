"""``LossHistory``: what a live plot draws, kept apart from the drawing.

It is a :class:`lossviz.train.LossRecorder` (``steps``: ``(global_step, loss)``
pairs; ``epochs``: ``(epoch, mean loss)``) with what only a plot needs:

* ``labels``: ``{name: [(step, value), ...]}``, one series per label when the
  live plot splits a multi-label loss;
* ``valid``: ``{name: [(step, value), ...]}``, the results of each evaluation
  on the validation set (``Model.fit`` / ``Model.eval``), at the training step
  it followed: one series per scalar metric (``'loss'``, ``'accuracy'``) and one
  per class for a per-class metric (``Recall`` gives ``'recall[0]'``, ...);
* ``total_steps``: the length of the run when known, for the title;
* ``smoothed()``: the moving average drawn over the raw curve.

Tests assert on a history; the picture is only a view of it.
"""
import math

import numpy as np

from ..train.callback import LossRecorder


def metric_series(metrics, class_names=None):
    """``{series name: float}`` from what ``Model.eval`` returns.

    A number stays one series; a 1-D array (one value per class, such as
    ``Recall``'s) becomes one series per entry, named ``'name[class]'``;
    anything else (a matrix, text) is left out.

    >>> metric_series({"loss": 0.5, "recall": np.array([1.0, 0.25])}, class_names=["cat", "dog"])
    {'loss': 0.5, 'recall[cat]': 1.0, 'recall[dog]': 0.25}
    >>> metric_series({"recall": [0.5, 0.75, 1.0]})
    {'recall[0]': 0.5, 'recall[1]': 0.75, 'recall[2]': 1.0}
    """
    series = {}
    for name, value in metrics.items():
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if array.ndim == 0:
            series[str(name)] = float(array)
        elif array.ndim == 1:
            for k, v in enumerate(array):
                label = class_names[k] if class_names is not None and k < len(class_names) else str(k)
                series[f"{name}[{label}]"] = float(v)
    return series


class LossHistory(LossRecorder):
    """The loss series of one ``Model.train`` call, per label too.

    >>> h = LossHistory()
    >>> h.add(1, 4.0); h.add(2, 2.0)
    >>> h.values()
    [4.0, 2.0]
    >>> h.smoothed(0.5)     # a debiased moving average: (0.5 * 4 + 2) / (0.5 + 1)
    [4.0, 2.666...]
    """

    def reset(self):
        super().reset()
        self.labels = {}
        self.valid = {}
        self.total_steps = None  # epochs * batches when known, for the title

    def add(self, step, loss, labels=None):
        """Record the total ``loss`` at ``step`` and, optionally, each label's loss."""
        super().add(step, loss)
        for name, value in (labels or {}).items():
            self.labels.setdefault(name, []).append((int(step), float(value)))

    def add_eval(self, step, metrics, class_names=None):
        """Record one evaluation's ``metrics`` (``{name: number or per-class array}``) at ``step``.

        >>> h = LossHistory()
        >>> h.add_eval(10, {"loss": 0.9, "accuracy": 0.5, "recall": [0.75, 0.0]})
        >>> h.valid
        {'loss': [(10, 0.9)], 'accuracy': [(10, 0.5)], 'recall[0]': [(10, 0.75)], 'recall[1]': [(10, 0.0)]}
        """
        for name, value in metric_series(metrics, class_names).items():
            self.valid.setdefault(name, []).append((int(step), value))

    def on_eval_end(self, run_context):
        """As a callback of ``Model.fit`` (or ``model.eval(..., callbacks=[history])``): record ``cb_params.metrics``."""
        metrics = run_context.original_args().get("metrics")
        if isinstance(metrics, dict):
            self.add_eval(self.steps[-1][0] if self.steps else 0, metrics)

    def values(self, name=None):
        """The loss values of the total (``name=None``) or of one label."""
        series = self.steps if name is None else self.labels[name]
        return [v for _, v in series]

    def step_numbers(self, name=None):
        series = self.steps if name is None else self.labels[name]
        return [s for s, _ in series]

    def smoothed(self, alpha=0.9, name=None):
        """Exponential moving average, debiased like Adam's moments.

        ``ema_t = alpha * ema_{t-1} + (1 - alpha) * loss_t``, divided by
        ``1 - alpha**t`` so that the first points are not pulled to 0.
        Non-finite losses are skipped (the average keeps its last value).
        """
        out, ema, weight = [], 0.0, 0.0
        for v in self.values(name):
            if math.isfinite(v):
                ema = alpha * ema + (1.0 - alpha) * v
                weight = alpha * weight + (1.0 - alpha)
            out.append(ema / weight if weight else float("nan"))
        return out

    @property
    def last(self):
        return self.steps[-1] if self.steps else None

    def __repr__(self):
        labels = f", labels={sorted(self.labels)}" if self.labels else ""
        valid = f", valid={list(self.valid)}" if self.valid else ""
        return f"LossHistory(steps={len(self.steps)}, epochs={len(self.epochs)}{labels}{valid})"
