"""``LossHistory``: what a live plot draws, kept apart from the drawing.

It is a :class:`lossviz.train.LossRecorder` (``steps``: ``(global_step, loss)``
pairs; ``epochs``: ``(epoch, mean loss)``) with what only a plot needs:

* ``labels``: ``{name: [(step, value), ...]}``, one series per label when the
  live plot splits a multi-label loss;
* ``total_steps``: the length of the run when known, for the title;
* ``smoothed()``: the moving average drawn over the raw curve.

Tests assert on a history; the picture is only a view of it.
"""
import math

from ..train.callback import LossRecorder


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
        self.total_steps = None  # epochs * batches when known, for the title

    def add(self, step, loss, labels=None):
        """Record the total ``loss`` at ``step`` and, optionally, each label's loss."""
        super().add(step, loss)
        for name, value in (labels or {}).items():
            self.labels.setdefault(name, []).append((int(step), float(value)))

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
        return f"LossHistory(steps={len(self.steps)}, epochs={len(self.epochs)}{labels})"
