"""Benchmark cases of the catalogue group "regression": one per loss at 10^6 float32 elements.

Each case is ``(name, lossviz_fn, numpy_fn, arrays, repeats)``, as ``cases()`` in
``bench_losses.py`` (whose ``measure`` runs them and checks that values and
gradients agree). ``reduction='mean'``; gradients with respect to the
predictions (logits; for GaussianNLLLoss the predicted mean and variance).
The numpy side is written as ``bench_losses.py``'s: loss and gradients in one
sweep over the data, chunk by chunk, temporaries in reused scratch buffers,
sums by ``np.dot`` where that saves a pass, every gradient in a fresh array.

    cd bench && python -c "import bench_losses as B, losses_regression as G; \
[print(c[0], *B.measure(*c)) for c in G.cases(False)]"
"""
import numpy as np

from bench_losses import CHUNK, F32, lv, np_l1, spans
import lossviz.nn as nn

HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)


def scratch(buf, name, n):
    return buf(name, (min(CHUNK, n),))


def np_rmse(x, y, buf):
    n, total = x.size, 0.0
    g = np.empty_like(x)
    for s, e in spans(n):
        gc = g[s:e]
        np.subtract(x[s:e], y[s:e], out=gc)       # d
        total += float(np.dot(gc, gc))            # sum d^2
    loss = np.sqrt(total / n)
    g *= F32(1 / (n * loss))                      # d / (n rmse): the scale is known only at the end
    return loss, (g,)


def np_huber(x, y, buf, delta=1.0):
    n, total, b, scale = x.size, 0.0, F32(delta), F32(1 / x.size)
    g, d = np.empty_like(x), scratch(buf, "d", x.size)
    for s, e in spans(n):
        dc, gc = d[:e - s], g[s:e]
        np.subtract(x[s:e], y[s:e], out=dc)
        np.clip(dc, -b, b, out=gc)                # c = clip(d, -delta, delta)
        total += float(np.dot(gc, dc)) - 0.5 * float(np.dot(gc, gc))   # loss = c d - c^2 / 2
        gc *= scale
    return total / n, (g,)


def np_soft_margin(x, y, buf):
    n, total, zero, scale = x.size, 0.0, F32(0), F32(-1 / x.size)
    g, z, t = np.empty_like(x), scratch(buf, "z", x.size), scratch(buf, "t", x.size)
    for s, e in spans(n):
        zc, tc, gc, yc = z[:e - s], t[:e - s], g[s:e], y[s:e]
        np.multiply(x[s:e], yc, out=zc)
        np.negative(zc, out=zc)                   # z = -y x
        np.abs(zc, out=tc)
        np.negative(tc, out=tc)
        np.exp(tc, out=tc)
        np.log1p(tc, out=tc)
        np.maximum(zc, zero, out=gc)
        tc += gc                                  # softplus(z) = max(z, 0) + ln(1 + exp(-|z|))
        total += float(tc.sum())
        np.subtract(zc, tc, out=tc)
        np.exp(tc, out=tc)                        # sigmoid(z) = exp(z - softplus(z))
        np.multiply(tc, yc, out=gc)
        gc *= scale                               # -y sigmoid(z) / n
    return total / n, (g,)


def np_gaussian_nll(x, y, var, buf, eps=1e-6):
    n, total, eps, half, scale = x.size, 0.0, F32(eps), F32(0.5), F32(1 / x.size)
    gx, gv = np.empty_like(x), np.empty_like(var)
    v, d = scratch(buf, "v", n), scratch(buf, "d", n)
    for s, e in spans(n):
        vc, dc, gxc, gvc = v[:e - s], d[:e - s], gx[s:e], gv[s:e]
        np.clip(var[s:e], eps, np.inf, out=vc)    # v = max(var, eps) (> eps everywhere here: no clamp share)
        np.subtract(x[s:e], y[s:e], out=dc)
        np.divide(dc, vc, out=gxc)                # r = d / v
        total += float(np.dot(gxc, dc))           # sum d^2 / v
        np.multiply(gxc, gxc, out=dc)             # r^2
        np.reciprocal(vc, out=gvc)
        gvc -= dc                                 # 1/v - d^2/v^2
        gvc *= half * scale
        total += float(np.log(vc, out=vc).sum())  # sum ln v
        gxc *= scale
    return 0.5 * total / n, (gx, gv)


def np_poisson_nll(x, t, buf):
    n, total, scale = x.size, 0.0, F32(1 / x.size)
    g = np.empty_like(x)
    for s, e in spans(n):
        gc, tc = g[s:e], t[s:e]
        np.exp(x[s:e], out=gc)
        total += float(gc.sum()) - float(np.dot(tc, x[s:e]))   # exp(x) - t x
        gc -= tc
        gc *= scale
    return total / n, (g,)


def np_kl_div(x, p, buf):
    n, total, scale = x.size, 0.0, F32(-1 / x.size)
    g, a = np.empty_like(x), scratch(buf, "a", x.size)
    for s, e in spans(n):
        ac, pc = a[:e - s], p[s:e]
        np.log(pc, out=ac)                        # (labels > 0 everywhere here)
        ac -= x[s:e]
        total += float(np.dot(pc, ac))            # labels (ln labels - logits)
        np.multiply(pc, scale, out=g[s:e])
    return total / n, (g,)


def cases(quick):
    rng = np.random.default_rng(2)
    size, repeats = 10**6, 15
    x, y = rng.standard_normal(size, dtype=F32), rng.standard_normal(size, dtype=F32)
    signs = rng.choice(np.array([-1, 1], F32), size)
    var = rng.uniform(0.1, 2.0, size).astype(F32)
    counts = rng.poisson(2.0, size).astype(F32)
    probs = rng.uniform(0.01, 1.0, size).astype(F32)
    yield "MAELoss 1e6", lv(nn.MAELoss(), 0), np_l1, (x, y), repeats
    yield "RMSELoss 1e6", lv(nn.RMSELoss(), 0), np_rmse, (x, y), repeats
    yield "HuberLoss 1e6", lv(nn.HuberLoss(), 0), np_huber, (x * 2, y), repeats
    yield "L1LossExt 1e6", lv(nn.L1LossExt(), 0), np_l1, (x, y), repeats
    yield "SoftMarginLoss 1e6", lv(nn.SoftMarginLoss(), 0), np_soft_margin, (x * 3, signs), repeats
    yield "GaussianNLLLoss 1e6", lv(nn.GaussianNLLLoss(), (0, 2)), np_gaussian_nll, (x, y, var), repeats
    yield "PoissonNLLLoss 1e6", lv(nn.PoissonNLLLoss(), 0), np_poisson_nll, (x, counts), repeats
    yield "KLDivLoss 1e6", lv(nn.KLDivLoss(), 0), np_kl_div, (x, probs), repeats
