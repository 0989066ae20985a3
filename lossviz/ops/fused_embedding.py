"""Fused primitives of the ranking and metric-learning losses (``nn/loss/embedding.py``).

Each one computes the **unreduced** loss (one value per element or per
sample) with its backward beside it; the reduction is ``LossBase.get_loss``'s
job, as for every fused loss (see ``fused_losses.py``).

* ``MarginRanking``: max(-target (input1 - input2) + margin, 0), elementwise;
* ``HingeEmbedding``: x for a positive label, max(margin - x, 0) for a negative one, 0 otherwise;
* ``PairwiseDistance``: max(||a - b + eps||_p, floor) along axis 1;
* ``TripletMargin``: max(d(x, positive) - d(x, negative) + margin, 0) with that distance.

Each backward computes only the gradients some input needs
(``ctx.needs_input_grad``) and may receive the reduction's gradient as a
broadcast view of one number (``_memory.scaled`` / ``broadcast_value``).
"""
import numpy as np

from .._engine.autograd import broadcast_value
from .._engine.checks import check_bool, check_float
from ._memory import CHUNK, chunks, flat_view, in_chunks, scaled, split_difference_grad
from .fused_losses import FusedLoss

__all__ = ["MarginRanking", "HingeEmbedding", "PairwiseDistance", "TripletMargin"]


def _same_layout(*arrays):
    """True when the arrays have one shape and one float dtype and are C-contiguous: the chunked fast paths."""
    first = arrays[0]
    return (first.dtype.kind == "f" and first.size > 0
            and all(a.shape == first.shape and a.dtype == first.dtype and a.flags.c_contiguous for a in arrays))


# ----- ranking -----
class MarginRanking(FusedLoss):
    """out = max(v, 0),  v = -target * (input1 - input2) + margin   (elementwise, broadcasting)

    ``ops.MarginRanking(margin=0.0)(input1, input2, target)``. The max is
    MindSpore's ``clamp(v, min=0)``: nan gives 0, and the mask m = [v >= 0]
    passes the FULL gradient at v == 0 (not half, as ``Maximum`` would):

        d/dinput1 = -target * m;   d/dinput2 = target * m;   d/dtarget = -(input1 - input2) * m

    (so a nan difference gives input gradients 0 and a target gradient nan).
    ``target`` is used as a number. Float inputs are computed in their dtype
    (float16 stays float16); integer inputs in theirs (wrapping), then the
    float margin is added in float32.
    """

    def __init__(self, margin=0.0):
        self.margin = check_float(self.name, "margin", margin)

    @np.errstate(invalid="ignore")          # inf - inf and nan are inputs like any other here
    def forward(self, ctx, input1, input2, target):
        ctx.input1, ctx.input2, ctx.target = input1, input2, target
        if not _same_layout(input1, input2, target):
            return np.fmax(self._v(input1, input2, target), np.zeros((), np.float32 if input1.dtype.kind in "iu"
                                                                           else input1.dtype))
        out = np.empty(input1.shape, input1.dtype)
        margin, zero = input1.dtype.type(self.margin), input1.dtype.type(0)
        for o, _, x1, x2, t in in_chunks(out, input1, input2, target):
            np.subtract(x2, x1, out=o)           # -(input1 - input2), exactly
            o *= t
            o += margin                          # v
            np.fmax(o, zero, out=o)              # max(v, 0); nan -> 0
        return out

    def _v(self, input1, input2, target):
        """v = -target * (input1 - input2) + margin, with MindSpore's dtypes (ints + float margin -> float32)."""
        v = target * np.subtract(input2, input1)
        if v.dtype.kind in "iu":
            return v.astype(np.float32) + np.float32(self.margin)
        return v + v.dtype.type(self.margin)

    @np.errstate(invalid="ignore")
    def backward(self, ctx, grad):
        x1, x2, t, needs = ctx.input1, ctx.input2, ctx.target, ctx.needs_input_grad
        constant = broadcast_value(grad)
        if not (_same_layout(x1, x2, t) and constant is not None):
            m = (self._v(x1, x2, t) >= 0) * grad                         # mask m * upstream gradient
            grad_target = np.subtract(x2, x1) * m if needs[2] else None
            g1 = -(t * m) if (needs[0] or needs[1]) else None
            grads = split_difference_grad(g1, needs[:2]) if g1 is not None else (None, None)
            return (*grads, grad_target)
        # NOTE: fast path (same shapes, one number from the reduction): the mask
        # is rebuilt chunk by chunk in small buffers and written straight into
        # the gradients, so no full-size v is kept between forward and backward.
        one = x1.dtype.type
        margin, c = one(self.margin), one(constant)
        g1 = np.empty(x1.shape, x1.dtype) if (needs[0] or needs[1]) else None
        grad_target = np.empty(x1.shape, x1.dtype) if needs[2] else None
        flats = [flat_view(z) for z in (x1, x2, t)]
        outs = [None if z is None else z.reshape(-1) for z in (g1, grad_target)]
        scratch = np.empty((2, min(x1.size, CHUNK)), x1.dtype)
        for part in chunks(x1.size):
            a, b, tt = (z[part] for z in flats)
            d, m = scratch[:, :part.stop - part.start]
            np.subtract(b, a, out=d)                      # -(input1 - input2)
            np.multiply(d, tt, out=m)
            m += margin                                   # v
            np.greater_equal(m, 0, out=m)                 # m = [v >= 0]
            m *= c                                        # m * upstream gradient
            if outs[1] is not None:
                np.multiply(d, m, out=outs[1][part])      # -(input1 - input2) * m
            if outs[0] is not None:
                g = np.multiply(tt, m, out=outs[0][part])
                np.negative(g, out=g)                     # -target * m
        grads = split_difference_grad(g1, needs[:2]) if g1 is not None else (None, None)
        return (*grads, grad_target)


# ----- hinge embedding -----
def hinge_embedding_select(x, labels, margin):
    """x where labels > 0; max(margin - x, 0) where labels < 0; 0 elsewhere (label 0 or nan).

    A selection: an infinite x stays +-inf where it is selected, and a nan
    margin - x gives 0 (MindSpore CPU's clip). Any shapes that broadcast.
    """
    zero = np.zeros((), x.dtype)
    with np.errstate(invalid="ignore"):
        push = np.fmax(np.subtract(x.dtype.type(margin), x), zero)
    return np.where(labels > 0, x, np.where(labels < 0, push, zero))


def hinge_embedding_grad(x, labels, margin):
    """d/dx of ``hinge_embedding_select``: 1 where labels > 0; -s where labels < 0; 0 elsewhere.

    s = 1 where margin - x > 0 or is nan (clip lets it through), 1/2 at margin - x == 0, 0 below.
    """
    with np.errstate(invalid="ignore"):
        h = np.subtract(x.dtype.type(margin), x)
    s = (h > 0) + np.asarray(0.5, x.dtype) * (h == 0) + np.isnan(h)
    return ((labels > 0) - (labels < 0) * s).astype(x.dtype, copy=False)


class HingeEmbedding(FusedLoss):
    """out = x where labels > 0;  max(margin - x, 0) where labels < 0;  0 elsewhere (label 0 or nan)

    ``ops.HingeEmbedding(margin=1.0)(logits, labels)``; shapes broadcast; the
    result has the logits' dtype (margin cast to it). The labels act only
    through their sign. A selection, not a product of masks, so an infinite
    logit stays +-inf where selected and gives no nan where not (decision D6);
    max(nan, 0) = 0.

        d/dlogits = 1 where labels > 0;  -s where labels < 0;  0 elsewhere
        (s = 1 if margin - x > 0 or is nan, 1/2 at margin - x == 0, 0 below)
        d/dlabels = 0 (decision D7: a function of the labels' sign only)
    """

    def __init__(self, margin=1.0):
        self.margin = check_float(self.name, "margin", margin)

    def forward(self, ctx, logits, labels):
        ctx.logits, ctx.labels = logits, labels
        if not (_same_layout(logits) and labels.shape == logits.shape and labels.flags.c_contiguous):
            return hinge_embedding_select(logits, labels, self.margin)
        margin, zero = logits.dtype.type(self.margin), logits.dtype.type(0)
        out = np.empty(logits.shape, logits.dtype)
        for o, push, x, y in in_chunks(out, logits, labels):
            if not np.isfinite(x).all():         # inf / nan logits: the plain selection
                o[...] = hinge_embedding_select(x, y, margin)
                continue
            # NOTE: for finite x the selection equals P*x + Q*max(margin - x, 0)
            # with 0/1 masks P = [y > 0], Q = [y < 0]: products are ~10x faster
            # than np.where on random masks (0 * inf = nan is why the check above exists).
            np.subtract(margin, x, out=push)
            np.maximum(push, zero, out=push)      # max(margin - x, 0) (no nan here: fmax not needed)
            push *= y < 0
            np.multiply(x, y > 0, out=o)
            o += push
        return out

    def backward(self, ctx, grad):
        x, y = ctx.logits, ctx.labels
        if not ctx.needs_input_grad[0]:
            return None, None
        if not (_same_layout(x) and y.shape == x.shape and y.flags.c_contiguous):
            return hinge_embedding_grad(x, y, self.margin) * grad, None
        margin, half = x.dtype.type(self.margin), x.dtype.type(0.5)
        constant = broadcast_value(grad)
        g = np.empty(x.shape, x.dtype)
        for g_part, h, x_part, y_part in in_chunks(g, x, y):
            if not np.isfinite(x_part).all():    # nan logits: s = 1 where margin - x is nan
                g_part[...] = hinge_embedding_grad(x_part, y_part, self.margin)
                if constant is not None:
                    g_part *= constant
                continue
            # NOTE: for finite x, s = (sign(margin - x) + 1) / 2 (1 above, 1/2 at the tie, 0 below),
            # computed in place; then g = P - Q s with the 0/1 masks P = [y > 0], Q = [y < 0].
            np.subtract(margin, x_part, out=h)
            np.sign(h, out=g_part)
            g_part += 1
            g_part *= half                       # s
            g_part *= y_part < 0                 # Q s
            np.subtract(y_part > 0, g_part, out=g_part)
            if constant is not None:
                g_part *= constant                   # the reduction's gradient, while in cache
        return (g if constant is not None else scaled(g, grad)), None


# ----- distances and triplets -----
def lp_norm(u, p):
    """||u||_p along axis 1: (sum_k |u_k|^p)^(1/p); p = 0 counts the non-zero u_k."""
    if p == 2:
        # NOTE: sqrt(sum u^2) through einsum: no |u|^2 temporary.
        return np.sqrt(np.einsum("ij...,ij...->i...", u, u))
    if p == 1:
        return np.abs(u).sum(axis=1)
    if p == 0:
        return np.count_nonzero(u, axis=1).astype(u.dtype)
    with np.errstate(divide="ignore", over="ignore"):
        return (np.abs(u) ** p).sum(axis=1) ** (1.0 / p)


def lp_norm_grad(u, d, weight, p):
    """weight * d||u||_p/du = phi(u) * k, broadcast along axis 1, with

        phi(u) = sign(u) |u|^(p-1)    (u itself for p = 2, sign(u) for p = 1)
        k      = weight / d^(p-1)     (0 where d == 0: no direction, no gradient)

    ``d`` is the distance the forward returned (possibly floored: u / max(||u||, floor)).
    ``u`` is a fresh array of ours and is overwritten.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = np.where(d != 0, weight / d ** (p - 1), 0).astype(u.dtype, copy=False)
        if p == 0:
            u[...] = 0
            return u
        if p == 1:
            np.sign(u, out=u)
        elif p != 2:
            zero = u == 0
            u[...] = np.sign(u) * np.abs(u) ** (p - 1)
            u[zero] = 0                      # p < 1: 0 * inf at u == 0 is no gradient
        u *= np.expand_dims(k, 1)
    return u


def _row_blocks(shape):
    """Slices of axis 0 holding about CHUNK elements each."""
    per_row = max(1, int(np.prod(shape[1:])))
    step = max(1, CHUNK // per_row)
    return [slice(i, min(i + step, shape[0])) for i in range(0, shape[0], step)]


def _work_dtype(*arrays):
    """float16 and integers are computed in float32, float32 / float64 in their own dtype."""
    dtype = np.result_type(*arrays)
    return np.dtype(np.float32) if dtype.kind != "f" or dtype == np.float16 else dtype


class _Distances:
    """d(a, b) = max(||a - b + eps||_p, floor) along axis 1 of broadcast inputs, and its gradient."""

    def __init__(self, p, eps, floor, op_name):
        self.p = check_float(op_name, "p", p, allow_inf=True)
        self.eps, self.floor = check_float(op_name, "eps", eps), check_float(op_name, "floor", floor)

    def distance(self, a, b, work):
        """The floored distance, computed row block by row block in one small buffer."""
        shape = a.shape
        eps, floor = work.type(self.eps), work.type(self.floor)
        d = np.empty(shape[:1] + shape[2:], work)
        blocks = _row_blocks(shape)
        scratch = np.empty((blocks[0].stop,) + shape[1:], work) if blocks else None
        for rows in blocks:
            u = np.subtract(a[rows], b[rows], out=scratch[:rows.stop - rows.start], dtype=work)
            if eps:
                u += eps                                  # a - b + eps
            d[rows] = lp_norm(u, self.p)
        return np.fmax(d, floor) if floor else d

    def grad(self, a, b, d, weight, work):
        """weight * dd/da (dd/db is its negative): a fresh array of the broadcast shape."""
        u = np.subtract(a, b, dtype=work)
        if self.eps:
            u += work.type(self.eps)
        return lp_norm_grad(u, d, weight, self.p)


class PairwiseDistance(FusedLoss):
    """out = max(||a - b + eps||_p, floor)  along axis 1 ((N, D) -> (N,), (N, D, M) -> (N, M)); shapes broadcast

    ``ops.PairwiseDistance(p=2, eps=0.0, floor=0.0)(a, b)``.
    d/da = sign(u) |u|^(p-1) / out^(p-1) with u = a - b + eps (u / out for p = 2), 0 where out == 0;
    d/db = -d/da. A floored distance keeps the direction: u / floor (MindSpore's LpNorm).
    float16 is computed in float32 and rounded back.
    """

    def __init__(self, p=2, eps=0.0, floor=0.0):
        self.distances = _Distances(p, eps, floor, self.name)

    def forward(self, ctx, a, b):
        work = _work_dtype(a, b)
        shape = np.broadcast_shapes(a.shape, b.shape)
        a, b = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
        d = self.distances.distance(a, b, work)
        ctx.a, ctx.b, ctx.d, ctx.work = a, b, d, work
        out_dtype = np.result_type(a, b)
        return d.astype(out_dtype) if out_dtype == np.float16 else d

    def backward(self, ctx, grad):
        g = self.distances.grad(ctx.a, ctx.b, ctx.d, np.asarray(grad, ctx.work), ctx.work)
        return split_difference_grad(g, ctx.needs_input_grad)


class TripletMargin(FusedLoss):
    """out = max(d(x, positive) - d_neg + margin, 0), one value per sample (the broadcast shape without axis 1)

    d(a, b) = max(||a - b + eps||_p along axis 1, floor) (``PairwiseDistance``);
    d_neg = d(x, negative), or with ``swap`` min(d(x, negative), d(positive, negative)).
    The three inputs are broadcast together first. nan gives 0.
    ``ops.TripletMargin(p=2, eps=0.0, floor=0.0, swap=False, margin=1.0)(x, positive, negative)``.

    With w = the hinge's share (1 above 0, 1/2 at 0, 0 below or nan), s = the
    swap's share of d(x, negative) in the min (1/2 on a tie), and G(u, c) =
    c * d||u||/du (``lp_norm_grad``):

        d/dx        =  G(x - positive, w) - G(x - negative, w s)
        d/dpositive = -G(x - positive, w) - G(positive - negative, w (1 - s))
        d/dnegative =  G(x - negative, w s) + G(positive - negative, w (1 - s))

    float16 and integers are computed in float32 (float16 is rounded back).
    """

    def __init__(self, p=2, eps=0.0, floor=0.0, swap=False, margin=1.0):
        self.distances = _Distances(p, eps, floor, self.name)
        self.swap, self.margin = check_bool(self.name, "swap", swap), check_float(self.name, "margin", margin)

    def forward(self, ctx, x, positive, negative):
        work = _work_dtype(x, positive, negative)
        shape = np.broadcast_shapes(x.shape, positive.shape, negative.shape)
        a, p, n = (np.broadcast_to(t, shape) for t in (x, positive, negative))
        d_ap, d_an = self.distances.distance(a, p, work), self.distances.distance(a, n, work)
        d_pn, share_an = None, 1
        if self.swap:
            d_pn = self.distances.distance(p, n, work)
            share_an = (d_an < d_pn) + np.asarray(0.5, work) * (d_an == d_pn)
            d_neg = np.minimum(d_an, d_pn)
        else:
            d_neg = d_an
        v = d_ap - d_neg + work.type(self.margin)
        ctx.saved = (a, p, n, d_ap, d_an, d_pn, share_an, (v > 0) + np.asarray(0.5, work) * (v == 0), work)
        out = np.fmax(v, work.type(0))
        dtype = np.result_type(x, positive, negative)
        return out.astype(np.float16) if dtype == np.float16 else out

    def backward(self, ctx, grad):
        a, p, n, d_ap, d_an, d_pn, share_an, hinge, work = ctx.saved
        w = np.asarray(grad * hinge, work)
        distances, needs = self.distances, ctx.needs_input_grad
        # NOTE: each G is a fresh array reused for the gradients it feeds:
        # -G(x - positive) is d/dpositive's first term, +G(x - negative) d/dnegative's.
        grad_p = distances.grad(a, p, d_ap, -w, work)                     # -G(x - positive, w)
        grad_n = distances.grad(a, n, d_an, w * share_an, work)           # G(x - negative, w s)
        grad_x = None
        if needs[0]:
            grad_x = np.add(grad_p, grad_n)
            np.negative(grad_x, out=grad_x)                               # G(x - p, w) - G(x - n, w s)
        if self.swap:
            g_pn = distances.grad(p, n, d_pn, w * (1 - share_an), work)  # G(positive - negative, w (1 - s))
            grad_p -= g_pn
            grad_n += g_pn
        return grad_x, (grad_p if needs[1] else None), (grad_n if needs[2] else None)
