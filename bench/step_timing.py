"""What the training benchmarks share: a callback that times each step, and a sink for LossMonitor's lines."""
import time

from lossviz.train.callback import Callback


class StepTimer(Callback):
    """Appends the seconds of every training step to ``self.times`` (measured between step ends)."""

    def __init__(self):
        self.times = []

    def on_train_epoch_begin(self, run_context):
        self.last = time.perf_counter()

    def on_train_step_end(self, run_context):
        now = time.perf_counter()
        self.times.append(now - self.last)
        self.last = now


class NullWriter:
    """A stdout that keeps nothing: LossMonitor still formats its line, nobody waits for a terminal."""

    def write(self, s):
        return len(s)

    def flush(self):
        pass
