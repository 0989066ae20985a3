"""Benchmark case of the catalogue group "sequence": CTCLoss forward + backward.

    cd bench && python -c "import bench_losses as B, losses_sequence as G; \
[print(c[0], *B.measure(*c)) for c in G.cases(False)]"

T = 200 frames, N = 32 samples, C = 50 classes, targets of 40 labels (81
extended states), input lengths 160..200, reduction 'mean' (MindSpore's:
each loss over its target length, then the batch mean), gradient w.r.t.
log_probs (MindSpore's convention: exp(log_probs) - occupancy). The numpy
side is a careful hand-written forward-backward: log space, vectorised over
the batch and the states (a loop over frames only), masks for the skip
transitions and the lengths, temporaries in reused buffers (see
bench_losses.py for the rules).
"""
import numpy as np

from bench_losses import F32, lv
import lossviz.nn as nn


def _lse3(d, m, out):
    """out = ln(e^d[0] + e^d[1] + e^d[2]), the largest term taken out (clamped: -inf terms give -inf, not nan)."""
    np.maximum(d[0], d[1], out=m)
    np.maximum(m, d[2], out=m)
    np.maximum(m, np.finfo(m.dtype).min, out=m)
    np.subtract(d, m, out=d)
    np.exp(d, out=d)
    np.add(d[0], d[1], out=out)
    np.add(out, d[2], out=out)
    np.log(out, out=out)
    np.add(out, m, out=out)


def np_ctc(lp, targets, input_lengths, target_lengths, buf, blank=0):
    frames, n, classes = lp.shape
    width = 2 * targets.shape[1] + 1
    ext = np.full((n, width), blank)                   # blank, l_1, blank, ..., l_L, blank (padded with blanks)
    ext[:, 1::2] = np.where(np.arange(targets.shape[1]) < target_lengths[:, None], targets, blank)
    lpe = np.take(lp.reshape(frames, n * classes), (np.arange(n)[:, None] * classes + ext).ravel(), axis=1)
    lpe = lpe.reshape(frames, n, width)
    skip = np.full((n, width), -np.inf, lp.dtype)      # ln(1) where s-2 -> s is allowed
    skip[:, 2:][ext[:, 2:] != ext[:, :-2]] = 0
    steps = int(input_lengths.max())
    d, m, s = buf("d", (3, n, width)), buf("m", (n, width)), buf("s", (n, width))
    with np.errstate(divide="ignore", invalid="ignore"):
        # forward: alpha with the states -2, -1 as two -inf columns in front
        alpha = buf("alpha", (frames, n, width + 2))
        alpha[:, :, :2] = -np.inf
        alpha[0, :, 2:] = -np.inf
        alpha[0, :, 2:4] = lpe[0, :, :2]
        for t in range(1, steps):
            previous = alpha[t - 1]
            np.copyto(d[0], previous[:, 2:])
            np.copyto(d[1], previous[:, 1:-1])
            np.add(previous[:, :-2], skip, out=d[2])
            _lse3(d, m, s)
            np.add(s, lpe[t], out=alpha[t, :, 2:])
        rows, last, end = np.arange(n), input_lengths - 1, 2 + 2 * target_lengths
        nll = -np.logaddexp(alpha[last, rows, end], alpha[last, rows, end - 1])
        scale = (1 / (n * np.maximum(target_lengths, 1))).astype(lp.dtype)
        loss = np.mean(nll / np.maximum(target_lengths, 1), dtype=np.float32)
        # backward: beta' (the frame's own emission left out), states W, W+1 as two -inf columns behind
        beta = buf("beta", (steps, n, width))
        following = buf("following", (n, width + 2))
        following.fill(-np.inf)
        skip_up = np.full((n, width), -np.inf, lp.dtype)
        skip_up[:, :-2] = skip[:, 2:]
        final = np.where((np.arange(width) == 2 * target_lengths[:, None])
                         | (np.arange(width) == 2 * target_lengths[:, None] - 1), 0, -np.inf).astype(lp.dtype)
        for t in range(steps - 1, -1, -1):
            np.copyto(d[0], following[:, :-2])
            np.copyto(d[1], following[:, 1:-1])
            np.add(following[:, 2:], skip_up, out=d[2])
            _lse3(d, m, beta[t])
            ending = input_lengths == t + 1
            if ending.any():
                beta[t, ending] = final[ending]
            np.add(beta[t], lpe[t], out=following[:, :width])
        # occupancy gamma = exp(alpha + beta' + nll), summed per class with a one-hot matmul
        gamma = buf("gamma", (steps, n, width))
        np.add(alpha[:steps, :, 2:], beta, out=gamma)
        gamma += nll[None, :, None]
        np.exp(gamma, out=gamma)
        onehot = buf("onehot", (n, width, classes))
        onehot.fill(0)
        onehot[rows[:, None], np.arange(width)[None, :], ext] = 1
        occupancy = np.matmul(gamma.transpose(1, 0, 2), onehot)
    g = np.empty_like(lp)
    g[steps:] = 0
    np.exp(lp[:steps], out=g[:steps])
    g[:steps] -= occupancy.transpose(1, 0, 2)
    g[:steps] *= scale[None, :, None]
    g[:steps][np.arange(steps)[:, None] >= input_lengths[None, :]] = 0
    return loss, (g,)


def cases(quick):
    rng = np.random.default_rng(0)
    frames, n, classes, length = 200, 32, 50, 40
    logits = rng.standard_normal((frames, n, classes), dtype=F32) * 2
    log_probs = (logits - np.log(np.exp(logits).sum(-1, keepdims=True))).astype(F32)
    targets = rng.integers(1, classes, (n, length)).astype(np.int32)
    input_lengths = rng.integers(160, frames + 1, n).astype(np.int32)
    input_lengths[0] = frames
    target_lengths = np.full(n, length, np.int32)
    yield (f"CTCLoss T{frames} N{n} C{classes} L{length}", lv(nn.CTCLoss(), 0), np_ctc,
           (log_probs, targets, input_lengths, target_lengths), 5 if quick else 15)
