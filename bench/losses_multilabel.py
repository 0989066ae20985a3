"""Benchmark cases of the multi-label, margin and segmentation losses (run through bench_losses.measure).

    cd bench && python -c "import bench_losses as B, losses_multilabel as G; \
[print(c[0], *B.measure(*c)) for c in G.cases(False)]"

One case per loss at about 10^6 elements, reduction 'mean' where there is
one, gradients w.r.t. the predictions. Each numpy side is a careful
hand-written forward + backward into reused scratch buffers (see
bench_losses.py for the rules).
"""
import numpy as np

from bench_losses import F32, lv
import lossviz.nn as nn

SMOOTH = F32(1e-5)


def np_multilabel_soft_margin(x, t, buf):
    """mean of t ln(1 + e^-x) + (1 - t) ln(1 + e^x) = mean of ln(1 + e^-|x|) + max(x, 0) - t x."""
    e, a, g = buf("e", x.shape), buf("a", x.shape), np.empty_like(x)
    np.abs(x, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)                                   # e^-|x|
    np.log1p(e, out=a)
    loss = (a.sum(dtype=np.float64) + np.maximum(x, 0, out=a).sum(dtype=np.float64) - np.vdot(t, x)) / x.size
    e += 1
    np.minimum(x, 0, out=g)
    np.exp(g, out=g)
    g /= e                                             # sigmoid(x) = e^min(x, 0) / (1 + e^-|x|)
    g -= t
    g *= F32(1 / x.size)
    return loss, (g,)


def np_multi_margin(x, y, buf, margin=1.0):
    """p = 1: mean over rows of sum_{i != y} max(0, margin - x_y + x_i) / C."""
    n, c = x.shape
    rows = np.arange(n)
    z, g = buf("z", x.shape), np.empty_like(x)
    np.add(x, (F32(margin) - x[rows, y])[:, None], out=z)
    z[rows, y] = 0
    np.maximum(z, 0, out=z)
    loss = z.sum(dtype=np.float64) / (n * c)
    np.greater(z, 0, out=g)
    g *= F32(1 / (n * c))
    g[rows, y] = -g.sum(axis=1)
    return loss, (g,)


def np_multilabel_margin(x, target, buf):
    """mean over rows of sum over targets j, non-targets i of max(0, 1 - (x_j - x_i)) / C."""
    n, c = x.shape
    padding = target == -1
    lengths = np.where(padding.any(axis=1), padding.argmax(axis=1), c)
    listed_rows, listed_slots = np.nonzero(np.arange(c) < lengths[:, None])
    listed_classes = target[listed_rows, listed_slots]
    z, counted, g = buf("z", x.shape), buf("counted", x.shape, bool), np.zeros_like(x)
    total = 0.0
    for j in range(lengths.max()):
        rows = np.nonzero(lengths > j)[0]
        y = target[rows, j]
        if len(rows) == n:
            zr, cr, xr = z, counted, x
            zero_rows, zero_cols = listed_rows, listed_classes
        else:
            zr, cr, xr = z[:len(rows)], counted[:len(rows)], x[rows]
            position = np.full(n, -1)
            position[rows] = np.arange(len(rows))
            keep = lengths[listed_rows] > j
            zero_rows, zero_cols = position[listed_rows[keep]], listed_classes[keep]
        np.subtract(xr, xr[np.arange(len(rows)), y][:, None], out=zr)
        zr += 1
        zr[zero_rows, zero_cols] = 0                   # the row's target classes are not terms
        np.maximum(zr, 0, out=zr)
        total += zr.sum(dtype=np.float64)
        np.greater(zr, 0, out=cr)
        if len(rows) == n:
            g += cr
        else:
            g[rows] += cr
        g[rows, y] -= cr.sum(axis=1)
    g *= F32(1 / (n * c))
    return total / (n * c), (g,)


def _dice_grad(a, y, intersection, denominator, scale, g, tmp):
    """g = scale * (4 I a / D^2 - 2 y / D), per channel (axis 1 of (N, C, rest) views)."""
    same, other = (scale * 4 * intersection / denominator ** 2).astype(F32), (scale * 2 / denominator).astype(F32)
    np.multiply(a, same[:, None], out=g)
    np.multiply(y, other[:, None], out=tmp)
    g -= tmp


def np_dice(x, y, buf):
    xf, yf = x.reshape(-1), y.reshape(-1)
    intersection = np.dot(xf, yf)
    denominator = np.dot(xf, xf) + np.dot(yf, yf) + SMOOTH
    g = np.empty_like(x)
    same, other = F32(4 * intersection / denominator ** 2), F32(2 / denominator)
    np.multiply(x, same, out=g)
    g -= np.multiply(y, other, out=buf("tmp", x.shape))
    return 1 - 2 * intersection / denominator, (g,)


def _np_channel_dice(s, y, buf):
    """(mean over channels of the per-channel dice, its gradient w.r.t. s) for (N, C, H, W) arrays."""
    n, c = s.shape[:2]
    s3, y3 = s.reshape(n, c, -1), y.reshape(n, c, -1)
    intersection = np.einsum("ncr,ncr->c", s3, y3)
    denominator = np.einsum("ncr,ncr->c", s3, s3) + np.einsum("ncr,ncr->c", y3, y3) + SMOOTH
    loss = (1 - 2 * intersection / denominator).sum() / c
    g = np.empty_like(s)
    _dice_grad(s3, y3, intersection, denominator, 1 / c, g.reshape(n, c, -1), buf("tmp", s3.shape))
    return loss, g


def np_multiclass_dice_softmax(x, y, buf):
    s, tmp = buf("s", x.shape), buf("t2", x.shape)
    np.subtract(x, x.max(axis=-1, keepdims=True), out=s)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)                 # softmax over the LAST axis (as MindSpore)
    loss, g = _np_channel_dice(s, y, buf)
    np.multiply(g, s, out=tmp)                         # softmax backward: s * (g - sum(g s))
    g -= tmp.sum(axis=-1, keepdims=True)
    g *= s
    return loss, (g,)


def np_multiclass_dice_sigmoid(x, y, buf):
    s = buf("s", x.shape)
    np.negative(x, out=s)
    np.exp(s, out=s)
    s += 1
    np.reciprocal(s, out=s)                            # sigmoid (x is moderate: no overflow)
    loss, g = _np_channel_dice(s, y, buf)
    g *= s                                             # sigmoid backward: g s (1 - s)
    np.subtract(F32(1), s, out=s)
    g *= s
    return loss, (g,)


def cases(quick):
    rng = np.random.default_rng(0)
    repeats = 15
    n, c = 1000, 1000
    x = rng.standard_normal((n, c), dtype=F32) * 2
    t = (rng.random((n, c)) < 0.1).astype(F32)
    yield ("MultiLabelSoftMargin 1e3x1e3", lv(nn.MultiLabelSoftMarginLoss(reduction="mean"), 0),
           np_multilabel_soft_margin, (x, t), repeats)
    y = rng.integers(0, c, n).astype(np.int64)
    yield "MultiMargin 1e3x1e3", lv(nn.MultiMarginLoss(reduction="mean"), 0), np_multi_margin, (x, y), repeats
    # 1 to 4 distinct target classes per row, then -1, then junk
    target = rng.integers(0, c, (n, c)).astype(np.int32)
    for row, k in enumerate(rng.integers(1, 5, n)):
        target[row, :k] = rng.choice(c, k, replace=False)
        target[row, k] = -1
    yield ("MultilabelMargin 1e3x1e3", lv(nn.MultilabelMarginLoss(reduction="mean"), 0),
           np_multilabel_margin, (x, target), repeats)
    shape = (16, 4, 128, 128)
    probabilities = rng.random(shape, dtype=F32)
    masks = (rng.random(shape) < 0.3).astype(F32)
    yield "Dice 16x4x128x128", lv(nn.DiceLoss(), 0), np_dice, (probabilities, masks), repeats
    logits = rng.standard_normal(shape, dtype=F32) * 2
    yield ("MultiClassDice Softmax 16x4x128x128", lv(nn.MultiClassDiceLoss(activation="Softmax"), 0),
           np_multiclass_dice_softmax, (logits, masks), repeats)
    yield ("MultiClassDice Sigmoid 16x4x128x128", lv(nn.MultiClassDiceLoss(activation="Sigmoid"), 0),
           np_multiclass_dice_sigmoid, (logits, masks), repeats)
