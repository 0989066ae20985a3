"""What the live loss curve costs: 1000 training steps with and without it.

The tutorial's model (``Dense(1, 1)``, the tutorial's ``L1Loss`` on ``LossBase``,
``Momentum(0.005, 0.9)``, batches of 16) trains for 1000 steps (160 points,
100 epochs) with ``LossMonitor(100)``, then the same with ``LossMonitor(100)``
and ``LiveLossPlot()`` in one ``callbacks`` list. There is no kernel in a
script, so the plot runs in a simulated notebook: a ``NotebookRenderer`` whose
``display`` is a fake that keeps the handle's updates (each frame is still
drawn, rendered to PNG and base64-encoded, as in a kernel). stdout goes to a
null sink. Runs alternate; the script prints the median seconds of each, the
difference, and the first (cold) run with the plot, which also pays for
importing matplotlib. Target: the difference is at most 0.5 s.

    python bench/bench_liveplot.py [rounds]
"""
import contextlib
import io
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # lossviz from this checkout

import lossviz  # noqa: E402
import lossviz.nn as nn  # noqa: E402
from lossviz import Model  # noqa: E402
from lossviz.train.callback import LossMonitor  # noqa: E402
from lossviz.tutorial_code import L1Loss, LinearNet, create_dataset  # noqa: E402

TARGET_S = 0.5


class FakeHandle:
    """Stands in for IPython's DisplayHandle: keeps the frames it is sent."""

    def __init__(self, frames):
        self.frames = frames

    def update(self, obj, raw=False):
        self.frames.append(obj)


def fake_display(frames):
    def display(obj, raw=False, display_id=None):
        frames.append(obj)
        return FakeHandle(frames)
    return display


def run(with_plot, seed=0):
    """Seconds for one 1000-step ``model.train``; frames drawn (0 without the plot)."""
    lossviz.set_seed(seed)
    net = LinearNet()
    model = Model(net, L1Loss(), nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9))
    ds_train = create_dataset(num_data=160)
    callbacks, frames = [LossMonitor(100)], []
    if with_plot:
        from lossviz.viz import LiveLossPlot, NotebookRenderer

        callbacks.append(LiveLossPlot(renderer=NotebookRenderer(display=fake_display(frames))))
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        start = time.perf_counter()
        model.train(epoch=100, train_dataset=ds_train, callbacks=callbacks, dataset_sink_mode=False)
        elapsed = time.perf_counter() - start
    return elapsed, len(frames)


def main(rounds=7):
    cold, cold_frames = run(True)  # first: imports matplotlib, loads fonts
    plain, plotted, frames = [], [], []
    for r in range(rounds):
        plain.append(run(False, seed=r)[0])
        t, n = run(True, seed=r)
        plotted.append(t)
        frames.append(n)
    a, b = statistics.median(plain), statistics.median(plotted)
    out = io.StringIO()
    print(f"1000 steps, LossMonitor(100) alone:            median {a:.3f} s over {rounds} runs", file=out)
    print(f"1000 steps, LossMonitor(100) + LiveLossPlot:   median {b:.3f} s "
          f"({statistics.median(frames):.0f} frames)", file=out)
    print(f"difference (live plot cost):                   {b - a:+.3f} s (target <= {TARGET_S} s)", file=out)
    print(f"first run with the plot (cold, imports):       {cold:.3f} s ({cold_frames} frames), "
          f"{cold - a:+.3f} s over the median without", file=out)
    sys.stdout.write(out.getvalue())
    return 0 if b - a <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 7))
