"""Benchmark: the tutorial's training step on lossviz vs the same step in hand-written numpy.

Setup as the tutorial: Dense(1, 1), L1 loss (mean), Momentum(0.005, 0.9),
160 rows shuffled each epoch, batches of 16. Three variants run interleaved
in one process (round-robin, one epoch each per round), and per-step times
are compared by their medians:

* numpy:      the forward, the gradient and the momentum update written by hand;
* loop:       MindSpore-2.x style, ``value_and_grad(forward, None, opt.parameters)`` + ``opt(grads)``
              over ``dataset.create_tuple_iterator()``;
* Model:      ``Model(net, loss, opt).train(1, dataset, callbacks=[LossMonitor()])``
              (stdout sent to a null sink while timing).

Targets: loop <= 3x numpy, Model.train <= 4x numpy. Then the peak memory
(max RSS, read as VmHWM) of a subprocess that runs all 17 tutorial cells (target <= 50 MiB).

Run: ``python bench/bench_training.py [--rounds 200]``
"""
import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import textwrap
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")  # for _tutorial_cells (the seed's cells, for the memory figure)
sys.path[:0] = [ROOT, TESTS]

import lossviz  # noqa: E402
import lossviz.nn as nn  # noqa: E402
from lossviz import dataset as ds  # noqa: E402
from lossviz.train.callback import LossMonitor  # noqa: E402
from step_timing import NullWriter, StepTimer  # noqa: E402

from lossviz import tutorial_code  # noqa: E402
from lossviz.tutorial_code import L1Loss, get_data  # noqa: E402
from _tutorial_cells import SEED, extract_cells, to_lossviz  # noqa: E402


class LinearNet(tutorial_code.LinearNet):
    """The tutorial's LinearNet started at w = 0.01, b = -0.02 (as the numpy variant) instead of Normal(0.02)."""

    def __init__(self):
        super().__init__()
        self.fc.weight.set_data(np.array([[0.01]], np.float32))
        self.fc.bias.set_data(np.array([-0.02], np.float32))


# ----- the three variants: each runs one epoch and appends per-step seconds -----
class NumpyVariant:
    def __init__(self, rows, rng):
        self.x = np.stack([r[0] for r in rows])
        self.y = np.stack([r[1] for r in rows])
        self.rng = rng
        self.w, self.b = np.array([[0.01]], np.float32), np.array([-0.02], np.float32)
        self.vw, self.vb = np.zeros_like(self.w), np.zeros_like(self.b)
        self.lr, self.m = np.float32(0.005), np.float32(0.9)
        self.times = []

    def epoch(self):
        last = time.perf_counter()
        order = self.rng.permutation(len(self.x))
        xs, ys = self.x[order], self.y[order]
        w, b, vw, vb, lr, m = self.w, self.b, self.vw, self.vb, self.lr, self.m
        for start in range(0, len(xs), 16):
            x, y = xs[start:start + 16], ys[start:start + 16]
            diff = x @ w.T + b - y
            loss = np.abs(diff).mean()
            g = np.sign(diff) / np.float32(diff.size)
            gw, gb = g.T @ x, g.sum(axis=0)
            vw *= m
            vw += gw
            w -= lr * vw
            vb *= m
            vb += gb
            b -= lr * vb
            float(loss)
            now = time.perf_counter()
            self.times.append(now - last)
            last = now


class LoopVariant:
    def __init__(self, rows):
        self.net, self.loss_fn = LinearNet(), L1Loss()
        self.opt = nn.Momentum(self.net.trainable_params(), learning_rate=0.005, momentum=0.9)
        self.dataset = ds.GeneratorDataset(rows, column_names=["data", "label"]).batch(16)

        def forward(x, y):
            return self.loss_fn(self.net(x), y)

        self.grad_fn = lossviz.value_and_grad(forward, None, self.opt.parameters)
        self.times = []

    def epoch(self):
        last = time.perf_counter()
        for x, y in self.dataset.create_tuple_iterator():
            loss, grads = self.grad_fn(x, y)
            self.opt(grads)
            now = time.perf_counter()
            self.times.append(now - last)
            last = now


class ModelVariant:
    def __init__(self, rows):
        net = LinearNet()
        opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
        self.model = lossviz.Model(net, L1Loss(), opt)
        self.dataset = ds.GeneratorDataset(rows, column_names=["data", "label"]).batch(16)
        self.timer = StepTimer()
        self.callbacks = [LossMonitor(), self.timer]
        self.times = self.timer.times

    def epoch(self):
        with contextlib.redirect_stdout(NullWriter()):
            self.model.train(epoch=1, train_dataset=self.dataset, callbacks=self.callbacks, dataset_sink_mode=False)


PEAK = textwrap.dedent("""
    def peak_kib():
        # VmHWM: this process's own high-water mark. ru_maxrss is not used directly because on Linux
        # it keeps the forking parent's peak across exec, which would hide the child's own figure.
        try:
            with open("/proc/self/status") as f:
                return int(next(line for line in f if line.startswith("VmHWM")).split()[1])
        except (OSError, StopIteration):
            import resource
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
""")

# The cells are read here and passed as text: the measured process imports nothing but the tutorial's imports.
TUTORIAL_SCRIPT = PEAK + textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import io, contextlib
    namespace = {{}}
    with contextlib.redirect_stdout(io.StringIO()):
        for number, code in {cells!r}:
            exec(compile(code, "cell%d" % number, "exec"), namespace)
    print(peak_kib())
""")


def peak_memory_kib(script):
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="epochs per variant (10 steps each)")
    args = parser.parse_args()

    lossviz.set_seed(0)
    rows = list(get_data(160))
    variants = {"numpy": NumpyVariant(rows, np.random.default_rng(0)), "loop": LoopVariant(rows),
                "Model.train": ModelVariant(rows)}
    for _ in range(3):  # warm-up
        for v in variants.values():
            v.epoch()
    for v in variants.values():
        v.times.clear()
    for _ in range(args.rounds):
        for v in variants.values():
            v.epoch()

    medians = {name: statistics.median(v.times) for name, v in variants.items()}
    base = medians["numpy"]
    print(f"per-step median over {args.rounds} epochs x 10 steps (interleaved):")
    targets = {"numpy": None, "loop": 3.0, "Model.train": 4.0}
    for name, med in medians.items():
        ratio = med / base
        target = targets[name]
        verdict = "" if target is None else (f"  target <= {target:.0f}x: " + ("OK" if ratio <= target else "OVER"))
        print(f"  {name:12s} {med * 1e6:8.1f} us   {ratio:5.2f}x numpy{verdict}")

    numpy_only = peak_memory_kib(PEAK + "import numpy\nprint(peak_kib())")
    cells = [(number, to_lossviz(code)) for number, code, _ in extract_cells(SEED.read_text())]
    tutorial = peak_memory_kib(TUTORIAL_SCRIPT.format(root=ROOT, cells=cells))
    print(f"peak memory (VmHWM, i.e. the max RSS): numpy alone {numpy_only / 1024:.1f} MiB, whole tutorial on lossviz "
          f"{tutorial / 1024:.1f} MiB  target <= 50 MiB: {'OK' if tutorial <= 50 * 1024 else 'OVER'}")


if __name__ == "__main__":
    main()
