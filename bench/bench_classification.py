"""Benchmark: notebook 07's classifier training step on lossviz vs the same step in hand-written numpy.

Setup as notebook 07: an MLP 2 -> 64 -> 64 -> 3 with ReLU (``nn.SequentialCell`` of ``nn.Dense``
and ``nn.ReLU``), ``CrossEntropyLoss`` (mean), ``Adam(learning_rate=0.005)``, 704 points of the
notebook's three imbalanced classes shuffled each epoch, batches of 64 (11 steps per epoch).
Two variants run interleaved in one process (round-robin, one epoch each per round), and
per-step times are compared by their medians:

* numpy:        the forward (three matmuls, ReLU, log-softmax, the mean of the picked
                log-probabilities), the backward and Adam's update (MindSpore's formula,
                bias correction in the step size), written by hand in float32;
* Model.train:  ``Model(net, nn.CrossEntropyLoss(), nn.Adam(...)).train(1, dataset,
                callbacks=[LossMonitor(11), timer])`` (stdout sent to a null sink while timing).

Before timing, both start from the same weights and train one epoch on the same batches:
their losses must agree (float32 tolerance), so the two variants do the same work.

Target: Model.train <= 3x numpy.

Run: ``python bench/bench_classification.py [--rounds 200]``
"""
import argparse
import contextlib
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import lossviz  # noqa: E402
import lossviz.nn as nn  # noqa: E402
from lossviz import dataset as ds  # noqa: E402
from lossviz.train.callback import LossMonitor, LossRecorder  # noqa: E402
from step_timing import NullWriter, StepTimer  # noqa: E402

BATCH, LR = 64, 0.005
CENTRES = np.array([[0.0, 0.0], [1.8, 1.2], [-1.2, 1.6]], np.float32)


def classification_data(n=704, seed=7):
    """Notebook 07's points: three classes with probabilities 80/15/5% around three centres."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=[0.80, 0.15, 0.05]).astype(np.int32)
    x = (CENTRES[y] + rng.normal(0.0, 0.75, (n, 2))).astype(np.float32)
    return x, y


def create_mlp():
    return nn.SequentialCell(nn.Dense(2, 64), nn.ReLU(), nn.Dense(64, 64), nn.ReLU(), nn.Dense(64, 3))


# ----- the two variants: each runs one epoch and appends per-step seconds -----
class NumpyVariant:
    """The MLP's step by hand: weights (out, in) as nn.Dense keeps them, y = x @ W.T + b."""

    def __init__(self, x, y, weights, rng):
        self.x, self.y, self.rng = x, y, rng
        self.params = [w.copy() for w in weights]            # W1, b1, W2, b2, W3, b3
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.b1, self.b2, self.eps = np.float32(0.9), np.float32(0.999), np.float32(1e-8)
        self.b1_power = self.b2_power = np.float32(1.0)
        self.times, self.losses = [], []

    def step(self, x, labels):
        w1, c1, w2, c2, w3, c3 = self.params
        n = np.float32(len(x))
        # forward
        h1 = x @ w1.T + c1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w2.T + c2
        a2 = np.maximum(h2, 0)
        logits = a2 @ w3.T + c3
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        sum_e = e.sum(axis=1)
        rows = np.arange(len(x))
        loss = (np.log(sum_e) - shifted[rows, labels]).mean()
        # backward: d loss / d logits = (softmax - onehot) / n
        g3 = e / sum_e[:, None]
        g3[rows, labels] -= 1
        g3 /= n
        g2 = (g3 @ w3) * (h2 > 0)
        g1 = (g2 @ w2) * (h1 > 0)
        grads = [g1.T @ x, g1.sum(axis=0), g2.T @ a1, g2.sum(axis=0), g3.T @ a2, g3.sum(axis=0)]
        # Adam, as MindSpore: the bias correction goes into the step size
        self.b1_power *= self.b1
        self.b2_power *= self.b2
        lr_t = np.float32(LR * np.sqrt(1 - self.b2_power) / (1 - self.b1_power))
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += (1 - self.b1) * (g - m)
            v += (1 - self.b2) * (g * g - v)
            p -= lr_t * m / (np.sqrt(v) + self.eps)
        return float(loss)

    def epoch(self, order=None):
        last = time.perf_counter()
        order = self.rng.permutation(len(self.x)) if order is None else order
        xs, ys = self.x[order], self.y[order]
        for start in range(0, len(xs), BATCH):
            self.losses.append(self.step(xs[start:start + BATCH], ys[start:start + BATCH]))
            now = time.perf_counter()
            self.times.append(now - last)
            last = now


class ModelVariant:
    def __init__(self, x, y, shuffle=True):
        self.net = create_mlp()
        opt = nn.Adam(self.net.trainable_params(), learning_rate=LR)
        self.model = lossviz.Model(self.net, nn.CrossEntropyLoss(), opt)
        self.dataset = ds.GeneratorDataset(list(zip(x, y)), column_names=["data", "label"],
                                           shuffle=shuffle).batch(BATCH)
        self.timer = StepTimer()
        self.callbacks = [LossMonitor(11), self.timer]
        self.times = self.timer.times

    def weights(self):
        return [p.asnumpy().copy() for p in self.net.trainable_params()]

    def epoch(self):
        with contextlib.redirect_stdout(NullWriter()):
            self.model.train(epoch=1, train_dataset=self.dataset, callbacks=self.callbacks, dataset_sink_mode=False)


def check_same_step(x, y):
    """One epoch, same start, same batches: the numpy step computes what Model.train computes."""
    lossviz.set_seed(0)
    model = ModelVariant(x, y, shuffle=False)
    hand = NumpyVariant(x, y, model.weights(), None)
    recorder = LossRecorder()
    model.model.train(1, model.dataset, callbacks=[recorder])
    losses = [loss for _, loss in recorder.steps]
    hand.epoch(order=np.arange(len(x)))
    np.testing.assert_allclose(hand.losses, losses, rtol=1e-4, err_msg="the numpy step is not the lossviz step")
    for a, b in zip(hand.params, model.weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5, err_msg="weights after one epoch differ")
    return len(losses)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="epochs per variant (11 steps each)")
    args = parser.parse_args()

    x, y = classification_data()
    steps = check_same_step(x, y)
    print(f"same step: one epoch ({steps} steps) from the same weights gives the same losses and weights")

    lossviz.set_seed(0)
    model = ModelVariant(x, y)
    variants = {"numpy": NumpyVariant(x, y, model.weights(), np.random.default_rng(0)), "Model.train": model}
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
    print(f"per-step median over {args.rounds} epochs x {steps} steps (interleaved), MLP 2-64-64-3, batch {BATCH}:")
    for name, med in medians.items():
        ratio = med / base
        verdict = "" if name == "numpy" else "  target <= 3x: " + ("OK" if ratio <= 3.0 else "OVER")
        print(f"  {name:12s} {med * 1e6:8.1f} us   {ratio:5.2f}x numpy{verdict}")


if __name__ == "__main__":
    main()
