"""Benchmark cases of the ranking and metric-learning losses (catalogue group "embedding").

``cases(quick)`` yields ``(name, lossviz_fn, numpy_fn, arrays, repeats)`` as
``bench_losses.cases`` does; ``bench_losses.measure`` runs them. Each numpy
baseline is a careful hand-written forward + backward into reused buffers,
'mean' reduction, gradients w.r.t. the predictions (both scores of the
ranking loss, the distances of the hinge embedding loss, all three inputs of
the triplet losses). Run from the repository root:

    cd bench && python -c "import bench_losses as B, losses_embedding as G; \\
        [print(c[0], *B.measure(*c)) for c in G.cases(False)]"
"""
import numpy as np

import lossviz.nn as nn
from bench_losses import Buffers, F32, lv  # noqa: F401 - Buffers: the type of ``buf``


def np_margin_ranking(x1, x2, t, buf, margin=0.0):
    n = x1.size
    v, m = buf("v", x1.shape), buf("m", x1.shape, bool)
    np.subtract(x2, x1, out=v)              # -(x1 - x2)
    v *= t
    v += F32(margin)
    np.greater_equal(v, 0, out=m)           # the clamp's mask (full gradient at 0)
    loss = np.maximum(v, 0, out=v).sum() / n
    g1 = np.multiply(t, F32(-1 / n))
    g1 *= m
    return loss, (g1, np.negative(g1))


def np_hinge_embedding(x, y, buf, margin=1.0):
    n = x.size
    pos, neg, act = buf("pos", x.shape, bool), buf("neg", x.shape, bool), buf("act", x.shape, bool)
    h, a, g = buf("h", x.shape), buf("a", x.shape), np.empty_like(x)
    np.greater(y, 0, out=pos)
    np.less(y, 0, out=neg)
    np.subtract(F32(margin), x, out=h)
    np.greater(h, 0, out=act)
    act &= neg                               # where max(0, margin - x) is active
    np.maximum(h, 0, out=h)
    h *= neg
    np.multiply(x, pos, out=a)
    a += h
    loss = a.sum() / n
    np.copyto(g, pos)
    g -= act
    g *= F32(1 / n)
    return loss, (g,)


def np_triplet(x, p, n, buf, margin=1.0, eps=1e-6, floor=0.0):
    rows = x.shape[0]
    u1, u2 = buf("u1", x.shape), buf("u2", x.shape)
    np.subtract(x, p, out=u1)
    np.subtract(x, n, out=u2)
    if eps:
        u1 += F32(eps)
        u2 += F32(eps)
    d1, d2 = np.sqrt(np.einsum("ij,ij->i", u1, u1)), np.sqrt(np.einsum("ij,ij->i", u2, u2))
    if floor:
        d1, d2 = np.maximum(d1, F32(floor)), np.maximum(d2, F32(floor))
    v = d1 - d2 + F32(margin)
    loss = np.maximum(v, 0).sum() / rows
    w = (v > 0).astype(F32) / F32(rows)
    g_p = np.multiply(u1, (-w / d1)[:, None])    # -(x - p) / d1
    g_n = np.multiply(u2, (w / d2)[:, None])     # (x - n) / d2
    g_x = np.add(g_p, g_n)
    np.negative(g_x, out=g_x)
    return loss, (g_x, g_p, g_n)


def np_triplet_with_distance(x, p, n, buf):
    return np_triplet(x, p, n, buf, eps=0.0, floor=1e-12)


def cases(quick):
    rng = np.random.default_rng(0)
    size = 10**6
    repeats = 9 if quick else 15
    x1, x2 = rng.standard_normal(size, dtype=F32), rng.standard_normal(size, dtype=F32)
    sign = rng.choice(np.array([1, -1], F32), size)
    distance = rng.uniform(0, 2, size).astype(F32)
    yield ("MarginRankingLoss 1e6", lv(nn.MarginRankingLoss(margin=0.1), (0, 1)),
           lambda a, b, t, buf: np_margin_ranking(a, b, t, buf, 0.1), (x1, x2, sign), repeats)
    yield "HingeEmbeddingLoss 1e6", lv(nn.HingeEmbeddingLoss(), 0), np_hinge_embedding, (distance, sign), repeats
    anchor, positive, negative = (rng.standard_normal((8192, 128), dtype=F32) for _ in range(3))
    yield ("TripletMarginLoss 8192x128", lv(nn.TripletMarginLoss(), (0, 1, 2)), np_triplet,
           (anchor, positive, negative), repeats)
    yield ("TripletMarginWithDist 8192x128", lv(nn.TripletMarginWithDistanceLoss(), (0, 1, 2)),
           np_triplet_with_distance, (anchor, positive, negative), repeats)
