"""Benchmark cases of the cross-entropy family: CrossEntropyLoss, NLLLoss, FocalLoss, BCEWithLogitsLoss.

``cases(quick)`` yields ``(name, lossviz_fn, numpy_fn, arrays, repeats)`` as ``bench_losses.cases`` does;
``bench_losses.measure`` runs one. From ``bench/``:

    python losses_cross_entropy.py [--quick]

Each numpy side is a careful hand-written forward + backward (reduction 'mean', gradient w.r.t. the
logits) with its scratch arrays reused from call to call; like lossviz it returns a fresh gradient.
Target: lossviz <= 2x numpy on every case.
"""
import argparse

import numpy as np

from bench_losses import F32, Buffers, lv, measure, np_sparse_ce  # noqa: F401 - Buffers: the numpy_fn's buf
import lossviz.nn as nn
from lossviz import Tensor


# ----- hand-written numpy: loss and gradient w.r.t. the logits, 'mean' -----
def np_nll(x, labels, buf):
    n = x.shape[0]
    rows = np.arange(n)
    loss = -x[rows, labels].sum() / n
    g = np.zeros_like(x)
    g[rows, labels] = F32(-1 / n)
    return loss, (g,)


def np_softmax_rows(x, labels, buf):
    """e = exp(x - rowmax) in a reused buffer, its row sums, and x - rowmax at the labels."""
    e = buf("e", x.shape)
    np.subtract(x, x.max(axis=1, keepdims=True), out=e)
    picked = e[np.arange(x.shape[0]), labels]
    return e, picked


def np_ce_weighted(x, labels, weight, buf):
    n = x.shape[0]
    rows, w_t = np.arange(n), weight[labels]
    total_weight = w_t.sum()
    e, picked = np_softmax_rows(x, labels, buf)
    np.exp(e, out=e)
    sum_e = e.sum(axis=1)
    loss = (w_t * (np.log(sum_e) - picked)).sum() / total_weight
    g = np.multiply(e, (w_t / (sum_e * total_weight))[:, None], out=np.empty_like(x))
    g[rows, labels] -= w_t / total_weight
    return loss, (g,)


def np_ce_smoothed(x, labels, buf, s=0.1):
    n, c = x.shape
    rows = np.arange(n)
    e, picked = np_softmax_rows(x, labels, buf)
    row_sum = e.sum(axis=1)
    np.exp(e, out=e)
    sum_e = e.sum(axis=1)
    lse = np.log(sum_e)
    loss = ((1 - s) * (lse - picked) + s / c * (c * lse - row_sum)).mean()
    g = np.multiply(e, (1 / (sum_e * n))[:, None], out=np.empty_like(x))    # softmax / n
    g[rows, labels] -= F32((1 - s) / n)
    g -= F32(s / (c * n))
    return loss, (g,)


def np_focal(x, labels, buf, gamma=2.0):
    n, labels = x.shape[0], labels[:, 0]                 # labels (N, 1): FocalLoss's index labels
    rows = np.arange(n)
    e, picked = np_softmax_rows(x, labels, buf)
    np.exp(e, out=e)
    sum_e = e.sum(axis=1)
    log_p = picked - np.log(sum_e)                       # log p_t
    p = np.exp(log_p)
    q = 1 - p
    loss = (-(q ** gamma) * log_p).mean()
    d_log_p = (gamma * q ** (gamma - 1) * p * log_p - q ** gamma) / n      # d loss / d log p_t
    g = np.multiply(e, (-d_log_p / sum_e)[:, None], out=np.empty_like(x))  # d log p_t / dx = onehot - softmax
    g[rows, labels] += d_log_p
    return loss, (g,)


def np_bce_with_logits(x, y, buf):
    n = x.size
    a, b = buf("a", x.shape), buf("b", x.shape)
    np.abs(x, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.log1p(a, out=a)
    np.minimum(x, 0, out=b)
    a -= b                                               # softplus(-x)
    np.subtract(F32(1), y, out=b)
    b *= x
    a += b                                               # (1 - y) x + softplus(-x)
    loss = a.sum() / n
    g = np.negative(x, out=np.empty_like(x))
    with np.errstate(over="ignore"):
        np.exp(g, out=g)
    g += F32(1)
    np.reciprocal(g, out=g)                              # sigmoid(x)
    g -= y
    g *= F32(1 / n)
    return loss, (g,)


def cases(quick):
    rng = np.random.default_rng(0)
    shapes = [(4096, 1000, 10), (1024, 32000, 5)][:1 if quick else 2]
    for n, c, repeats in shapes:
        logits = rng.standard_normal((n, c), dtype=F32) * 3
        labels = rng.integers(0, c, n).astype(np.int32)
        size = f"{n}x{c}"
        yield f"CrossEntropy {size}", lv(nn.CrossEntropyLoss(), 0), np_sparse_ce, (logits, labels), repeats
        yield f"NLLLoss {size}", lv(nn.NLLLoss(), 0), np_nll, (logits, labels), repeats
        yield f"FocalLoss {size}", lv(nn.FocalLoss(), 0), np_focal, (logits, labels[:, None]), repeats
        if c == 1000:
            weight = rng.uniform(0.5, 2.0, c).astype(F32)
            yield (f"CE weighted {size}", lv(nn.CrossEntropyLoss(weight=Tensor(weight)), 0),
                   lambda x, t, buf: np_ce_weighted(x, t, weight, buf), (logits, labels), repeats)
            yield (f"CE smoothing {size}", lv(nn.CrossEntropyLoss(label_smoothing=0.1), 0), np_ce_smoothed,
                   (logits, labels), repeats)
    x, y = rng.standard_normal(10**6, dtype=F32) * 3, rng.uniform(0, 1, 10**6).astype(F32)
    yield "BCEWithLogits 1e6", lv(nn.BCEWithLogitsLoss(), 0), np_bce_with_logits, (x, y), 15


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    quick = parser.parse_args().quick
    print(f"{'case':<28}{'lossviz ms':>12}{'numpy ms':>12}{'ratio':>8}")
    for name, lossviz_fn, numpy_fn, arrays, repeats in cases(quick):
        lv_ms, np_ms = measure(name, lossviz_fn, numpy_fn, arrays, repeats)
        print(f"{name:<28}{lv_ms:>12.2f}{np_ms:>12.2f}{lv_ms / np_ms:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
