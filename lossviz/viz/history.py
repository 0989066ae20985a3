"""``LossHistory``: the data a live plot draws, kept apart from the drawing.

The training loop emits events, a recorder keeps the series, renderers read
them (livelossplot's split). A series is a list of ``(global_step, value)``
pairs, as in ``lossviz.train.callback.LossRecorder.steps``:

* ``steps``: the loss ``Model.train`` returned at each step (the total);
* ``labels``: ``{name: [(step, value), ...]}``, one series per label when the
  live plot splits a multi-label loss;
* ``epochs``: ``(epoch, mean loss of the epoch)``.

Tests assert on a history; the picture is only a view of it.
"""
import math


class LossHistory:
    """Loss series of one ``Model.train`` call.

    >>> h = LossHistory()
    >>> h.add(1, 4.0); h.add(2, 2.0)
    >>> h.values()
    [4.0, 2.0]
    >>> h.smoothed(0.5)
    [4.0, 3.0]
    """

    def __init__(self):
        self.reset()

    def reset(self):
        self.steps = []
        self.labels = {}
        self.epochs = []
        self.total_steps = None  # epochs * batches when known, for the title
        self._epoch_sum = 0.0
        self._epoch_count = 0

    def add(self, step, loss, labels=None):
        """Record the total ``loss`` at ``step`` and, optionally, each label's loss."""
        self.steps.append((int(step), float(loss)))
        for name, value in (labels or {}).items():
            self.labels.setdefault(name, []).append((int(step), float(value)))
        self._epoch_sum += float(loss)
        self._epoch_count += 1

    def end_epoch(self, epoch):
        """Close an epoch: store the mean of its step losses."""
        if self._epoch_count:
            self.epochs.append((int(epoch), self._epoch_sum / self._epoch_count))
        self._epoch_sum, self._epoch_count = 0.0, 0

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

    def __len__(self):
        return len(self.steps)

    def __repr__(self):
        labels = f", labels={sorted(self.labels)}" if self.labels else ""
        return f"LossHistory(steps={len(self.steps)}, epochs={len(self.epochs)}{labels})"
