"""The tutorial's training step, timed: lossviz's engine vs hand-written numpy.

One step = Dense(1, 1) forward (``x @ W^T + b``, with ``ops.MatMul(transpose_b=True)``), L1 loss (mean of |pred - y|),
gradients, and a Momentum update written by hand (``v = 0.9 v + g``,
``p -= 0.005 v``), on a float32 batch of 16. The lossviz side builds the graph
with ops and operators and gets the gradients from
``lossviz.value_and_grad(fn, None, weights)``; the numpy side writes the
gradients by hand. Both run interleaved in this process; the script prints
the median microseconds per step of each and their ratio (target <= 3).

    python bench/bench_engine_step.py [rounds]
"""
import statistics
import sys
import time

import numpy as np

import lossviz
import lossviz.ops as ops
from lossviz import Parameter, Tensor

BATCH, LR, MOMENTUM = 16, 0.005, 0.9
STEPS_PER_ROUND = 200


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-10, 10, (BATCH, 1)).astype(np.float32)
    y = (2 * x + 3 + rng.normal(0, 1, (BATCH, 1))).astype(np.float32)
    return x, y


def lossviz_stepper(x, y):
    weight = Parameter(Tensor(np.full((1, 1), 0.02, np.float32)), name="fc.weight")
    bias = Parameter(Tensor(np.zeros((1,), np.float32)), name="fc.bias")
    weights = (weight, bias)
    velocity = [np.zeros_like(p.asnumpy()) for p in weights]
    # as nn.Dense does it: MatMul(transpose_b=True) computes x @ W^T in one op
    abs_op, mean_op, matmul = ops.Abs(), ops.ReduceMean(), ops.MatMul(transpose_b=True)
    x, y = Tensor(x), Tensor(y)

    def forward(x, y):
        pred = matmul(x, weight) + bias
        return mean_op(abs_op(pred - y))

    value_and_grad = lossviz.value_and_grad(forward, None, weights)

    def step():
        loss, grads = value_and_grad(x, y)
        for p, g, v in zip(weights, grads, velocity):
            v *= MOMENTUM
            v += g.asnumpy()
            data = p.asnumpy()  # the parameter's own array: updated in place
            data -= LR * v
        return loss

    return step


def numpy_stepper(x, y):
    weight = np.full((1, 1), 0.02, np.float32)
    bias = np.zeros((1,), np.float32)
    velocity = [np.zeros_like(weight), np.zeros_like(bias)]

    def step():
        pred = x @ weight.T + bias
        diff = pred - y
        loss = np.abs(diff).mean()
        d_pred = np.sign(diff) / diff.size
        grads = (d_pred.T @ x, d_pred.sum(axis=0))
        for p, g, v in zip((weight, bias), grads, velocity):
            v *= MOMENTUM
            v += g
            p -= LR * v
        return loss

    return step


def time_round(step):
    start = time.perf_counter()
    for _ in range(STEPS_PER_ROUND):
        step()
    return (time.perf_counter() - start) / STEPS_PER_ROUND * 1e6


def main(rounds=30):
    x, y = make_data()
    steppers = {"numpy": numpy_stepper(x, y), "lossviz": lossviz_stepper(x, y)}
    # the two must train the same way: compare the losses of 50 steps
    fresh = {"numpy": numpy_stepper(x, y), "lossviz": lossviz_stepper(x, y)}
    for _ in range(50):
        a, b = float(fresh["numpy"]()), float(fresh["lossviz"]())
    assert abs(a - b) <= 1e-4 * max(1.0, abs(a)), f"the two steps disagree: numpy {a}, lossviz {b}"
    times = {name: [] for name in steppers}
    for _ in range(rounds):
        for name, step in steppers.items():
            times[name].append(time_round(step))
    numpy_us, lossviz_us = (statistics.median(times[n]) for n in ("numpy", "lossviz"))
    print(f"numpy   step: {numpy_us:7.1f} us (median of {rounds} rounds x {STEPS_PER_ROUND} steps)")
    print(f"lossviz step: {lossviz_us:7.1f} us")
    print(f"ratio       : {lossviz_us / numpy_us:7.2f} (target <= 3)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
