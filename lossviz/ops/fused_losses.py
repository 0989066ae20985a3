"""Fused loss primitives: a whole loss formula as one op, forward and backward side by side.

A loss written with small ops (``abs(logits - labels)``) makes one temporary
array per op, forward and backward. On a million elements those temporaries
cost more than the arithmetic, so the built-in losses call these primitives
instead; each one computes the **unreduced** loss (one value per element or
per sample). The reduction ('mean' / 'sum' / 'none') is never done here: it
is ``LossBase.get_loss``'s job.

Unlike MindSpore's primitives of the same name, ``SmoothL1Loss``,
``BinaryCrossEntropy``, ``SoftmaxCrossEntropyWithLogits`` and
``SparseSoftmaxCrossEntropyWithLogits`` take no ``reduction`` and return one
loss per element / sample (MindSpore's ``SoftmaxCrossEntropyWithLogits``
returns ``(loss, dlogits)``; ours returns the loss only).

Each backward computes only the gradients that some input needs
(``ctx.needs_input_grad``, recorded by the engine), and may receive the
reduction's gradient as a broadcast view of one number (``reads_broadcast_grad``;
see ``lossviz/_engine/autograd.py``). The memory tricks (chunks, reused
buffers, in-place scaling) live in ``_memory.py``, so each kernel reads as
its formula.
"""
import numpy as np

from .._engine.primitive import Primitive, apply
from .._engine.autograd import broadcast_value
from ._memory import fresh, in_chunks, scaled, split_difference_grad

# The epsilon MindSpore's BinaryCrossEntropy adds inside its logs (not a clamp).
BCE_EPSILON = 1e-12
# The epsilon SampledSoftmaxLoss adds to the probabilities before the log.
SAMPLED_EPSILON = 1e-20


class FusedLoss(Primitive):
    """A fused loss: its backward reads a broadcast gradient (a reduction's) as one number."""

    reads_broadcast_grad = True


# ----- regression losses -----
# NOTE: these save their inputs (free: the graph holds them anyway) and
# recompute d = logits - labels in backward straight into the gradient's
# array, instead of keeping d alive: one big array fewer per call.
class AbsoluteError(FusedLoss):
    """out = |logits - labels| (elementwise, broadcasting)

    d/dlogits = sign(logits - labels), 0 where they are equal; d/dlabels = -d/dlogits.
    """

    def forward(self, ctx, logits, labels):
        ctx.logits, ctx.labels = logits, labels
        out = np.subtract(logits, labels)
        return np.abs(out, out=out)

    def backward(self, ctx, grad):
        x, y = ctx.logits, ctx.labels
        if x.shape != y.shape or not (x.flags.c_contiguous and y.flags.c_contiguous):
            g = np.sign(np.subtract(x, y))
        else:
            # NOTE: np.sign in place is several times slower than into another
            # array, so d goes through the small scratch buffer.
            g = np.empty(x.shape, np.result_type(x, y))
            for g_part, d, x_part, y_part in in_chunks(g, x, y):
                np.sign(np.subtract(x_part, y_part, out=d), out=g_part)
        return split_difference_grad(scaled(g, grad), ctx.needs_input_grad)


class SquaredError(FusedLoss):
    """out = (logits - labels)^2 (elementwise, broadcasting)

    d/dlogits = 2 (logits - labels); d/dlabels = -d/dlogits.
    """

    def forward(self, ctx, logits, labels):
        ctx.logits, ctx.labels = logits, labels
        out = np.subtract(logits, labels)
        return np.square(out, out=out)

    def backward(self, ctx, grad):
        g, constant = np.subtract(ctx.logits, ctx.labels), broadcast_value(grad)
        if constant is not None:
            g = scaled(g, 2 * constant)      # one pass: d * (2 g)
        else:
            g = scaled(scaled(g, np.asarray(2, g.dtype)), grad)
        return split_difference_grad(g, ctx.needs_input_grad)


class SmoothL1Loss(FusedLoss):
    """out = 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta;  d = logits - labels

    d/dlogits = d / beta clipped to [-1, 1]; d/dlabels = -d/dlogits.
    ``ops.SmoothL1Loss(beta=1.0)(logits, labels)``; shapes must be equal.
    """

    def __init__(self, beta=1.0):
        self.beta = float(beta)

    def forward(self, ctx, logits, labels):
        if not self.beta > 0:
            raise ValueError(f"For 'SmoothL1Loss', the 'beta' must be greater than 0, but got {self.beta}.")
        ctx.logits, ctx.labels = logits, labels
        out = fresh(np.subtract(logits, labels, order="C"))     # d
        one = out.dtype.type
        beta, half, scale = one(self.beta), one(0.5), one(2 / self.beta)
        # NOTE: with m = min(|d|, beta) both branches are m (|d| - m/2) / beta:
        # no np.where (slow on random masks), one small temporary.
        for o, h in in_chunks(out):
            np.abs(o, out=o)             # |d|
            np.minimum(o, beta, out=h)
            h *= half                    # m/2
            o -= h                       # |d| - m/2
            o *= h                       # m/2 (|d| - m/2)
            o *= scale                   # m (|d| - m/2) / beta
        return out

    def backward(self, ctx, grad):
        g, constant = np.subtract(ctx.logits, ctx.labels), broadcast_value(grad)
        beta = g.dtype.type(self.beta)
        np.clip(g, -beta, beta, out=g)
        if constant is not None:
            g = scaled(g, constant / beta)
        else:
            g = scaled(g, grad)
            g /= beta
        return split_difference_grad(g, ctx.needs_input_grad)


class BinaryCrossEntropy(FusedLoss):
    """out = -( y ln(p + 1e-12) + (1 - y) ln(1 - p + 1e-12) );  p = logits, y = labels

    The epsilon is added inside the logs (as MindSpore), so p = 0, y = 1 gives
    27.631021 instead of inf. MindSpore's hand-written gradients:
    d/dp = (p - y) / max(p (1 - p), 1e-12);  d/dy = ln(1 - p) - ln(p), with no
    epsilon (so +-inf at p = 0 or 1). float16 is computed in float32.
    Weights are applied by ``LossBase.get_loss``, not here.
    """

    def forward(self, ctx, logits, labels):
        out_dtype = logits.dtype
        if out_dtype == np.float16:
            logits, labels = logits.astype(np.float32), labels.astype(np.float32)
        ctx.p, ctx.y, ctx.out_dtype = logits, labels, out_dtype
        one = logits.dtype.type
        eps = one(BCE_EPSILON)
        out = fresh(np.add(logits, eps, order="C"))
        # NOTE: y ln(a) + (1 - y) ln(b) = y (ln(a) - ln(b)) + ln(b): one product fewer.
        for o, q, p, y in in_chunks(out, logits, labels):
            np.log(o, out=o)                       # ln(p + eps)
            np.subtract(one(1), p, out=q)
            q += eps
            np.log(q, out=q)                       # ln(1 - p + eps)
            o -= q
            o *= y
            o += q
            np.negative(o, out=o)                  # -(y ln(p + eps) + (1 - y) ln(1 - p + eps))
        return out.astype(out_dtype) if out_dtype != out.dtype else out

    def backward(self, ctx, grad):
        p, y, needs, dtype = ctx.p, ctx.y, ctx.needs_input_grad, ctx.out_dtype
        one, constant = p.dtype.type, broadcast_value(grad)
        grad_p = grad_y = None
        if needs[0]:
            grad_p = fresh(np.subtract(p, y, order="C"))                  # p - y
            for g, d, p_part in in_chunks(grad_p, p):
                np.subtract(one(1), p_part, out=d)
                d *= p_part
                np.maximum(d, one(BCE_EPSILON), out=d)   # max(p (1 - p), eps)
                if constant is not None:
                    d /= constant
                g /= d
            if constant is None:
                grad_p = scaled(grad_p, grad)
            grad_p = grad_p.astype(dtype, copy=False)
        if needs[1]:
            grad_y = fresh(np.negative(p, order="C"))
            with np.errstate(divide="ignore"):
                for g, log_p, p_part in in_chunks(grad_y, p):
                    np.log1p(g, out=g)                                   # ln(1 - p)
                    g -= np.log(p_part, out=log_p)                       # ln(1 - p) - ln(p)
            grad_y = scaled(grad_y, grad).astype(dtype, copy=False)
        return grad_p, grad_y


# ----- classification losses -----
def shift_by_row_max(logits):
    """logits - max of each row, in a fresh array: the first step of a stable (log-)softmax.

    NOTE: exp() of a big logit overflows; softmax(x) = softmax(x - c) for any c,
    so subtracting the row maximum makes every exponent <= 0 and changes nothing:
    log_softmax(x) = shifted - ln(sum(exp(shifted))), finite for any finite x.
    """
    return np.subtract(logits, logits.max(axis=1, keepdims=True))


def _take_exp(ctx):
    """The forward's exp(logits - rowmax), to be overwritten by the gradient.

    NOTE: the first backward takes the saved array over instead of copying it
    (one (N, C) array fewer: for 1024 x 32000 that is 131 MB of fresh memory);
    a second backward through the same graph recomputes it from the logits.
    """
    e, ctx.e = ctx.e, None
    return e if e is not None else np.exp(shift_by_row_max(ctx.logits))


class SoftmaxCrossEntropyWithLogits(FusedLoss):
    """out_i = -sum_j labels_ij * log_softmax(logits_i)_j   (logits and labels (N, C), out (N,))

    Gradient as MindSpore: d/dlogits_i = softmax(logits_i) - labels_i for any
    labels (the true derivative only when a label row sums to 1); d/dlabels = 0.
    """

    def forward(self, ctx, logits, labels):
        shifted = shift_by_row_max(logits)
        # NOTE: -sum y (s - ln Z) = ln Z * sum y - sum y s, with no (N, C) temporary for y * s.
        picked = np.einsum("ij,ij->i", labels, shifted)
        e = np.exp(shifted, out=shifted)
        sum_e = e.sum(axis=1)
        ctx.logits, ctx.e, ctx.sum_e, ctx.labels = logits, e, sum_e, labels
        return np.log(sum_e) * labels.sum(axis=1) - picked

    def backward(self, ctx, grad):
        g = _take_exp(ctx)
        g *= (grad / ctx.sum_e)[:, None]     # softmax * grad
        g -= ctx.labels * grad[:, None]
        return g, None


class SparseSoftmaxCrossEntropyWithLogits(FusedLoss):
    """out_i = -log_softmax(logits_i)[labels_i]   (logits (N, C), int labels (N,), out (N,))

    d/dlogits_i = softmax(logits_i) - onehot(labels_i). Labels must lie in [0, C)
    (checked by the callers). Same numbers as the dense form with one-hot labels.
    """

    def forward(self, ctx, logits, labels):
        rows = np.arange(logits.shape[0])
        shifted = shift_by_row_max(logits)
        picked = shifted[rows, labels]
        e = np.exp(shifted, out=shifted)
        sum_e = e.sum(axis=1)
        ctx.logits, ctx.e, ctx.sum_e, ctx.rows, ctx.labels = logits, e, sum_e, rows, labels
        return np.log(sum_e) - picked

    def backward(self, ctx, grad):
        grad = np.broadcast_to(grad, ctx.sum_e.shape)
        g = _take_exp(ctx)
        g *= (grad / ctx.sum_e)[:, None]     # softmax * grad
        g[ctx.rows, ctx.labels] -= grad
        return g, None


class CosineSimilarity(FusedLoss):
    """out = sum_a(x1 * x2) / ( sqrt(sum_a(x1^2)) * sqrt(sum_a(x2^2)) ) along ``axis`` (default 1)

    No epsilon: an all-zero vector gives 0/0 = nan, as MindSpore.
    d/dx1 = x2 / (|x1| |x2|) - out * x1 / |x1|^2, and symmetrically for x2.
    """

    def __init__(self, axis=1):
        self.axis = axis

    @staticmethod
    def _dot(a, b):
        return (a[..., None, :] @ b[..., :, None])[..., 0, 0]

    def forward(self, ctx, x1, x2):
        a1, a2 = np.moveaxis(x1, self.axis, -1), np.moveaxis(x2, self.axis, -1)
        dot, sq1, sq2 = self._dot(a1, a2), self._dot(a1, a1), self._dot(a2, a2)
        with np.errstate(divide="ignore", invalid="ignore"):
            norms = np.sqrt(sq1) * np.sqrt(sq2)
            cos = dot / norms
        ctx.x1, ctx.x2, ctx.norms, ctx.sq1, ctx.sq2, ctx.cos = x1, x2, norms, sq1, sq2, cos
        return cos

    def backward(self, ctx, grad):
        axis, x1, x2, cos = self.axis, ctx.x1, ctx.x2, ctx.cos
        with np.errstate(divide="ignore", invalid="ignore"):
            across = np.expand_dims(grad / ctx.norms, axis)          # g / (|x1| |x2|)
            grads, tmp = [], None
            pairs = ((x1, x2, ctx.sq1), (x2, x1, ctx.sq2))
            for (mine, other, sq), need in zip(pairs, ctx.needs_input_grad):
                if not need:
                    grads.append(None)
                    continue
                g = np.multiply(other, across)
                tmp = np.multiply(mine, np.expand_dims(grad * cos / sq, axis), out=tmp)
                g -= tmp
                grads.append(g)
        return tuple(grads)


class Hinge(Primitive):
    """out = max(x, 0), where nan counts as below 0 (MindSpore CPU's Maximum(nan, 0) = 0)

    d/dx = 1 where x > 0, 1/2 where x == 0 (a tie splits the gradient), 0 elsewhere.
    """

    def forward(self, ctx, x):
        ctx.share = (x > 0) + np.asarray(0.5, x.dtype) * (x == 0)
        return np.fmax(x, np.zeros((), x.dtype))

    def backward(self, ctx, grad):
        return grad * ctx.share


class SampledLogits(Primitive):
    """The logits of the true and the sampled classes, as SampledSoftmaxLoss needs them.

    ``SampledLogits()(weights (C, D), biases (C,), hidden (N, D), labels=(N, T) ints,
    sampled=(K,) ints, true_expected=(N, T), sampled_expected=(K,), remove_accidental_hits=bool)``
    returns ``z`` of shape (N, T + K):

        z[i, k]     = <hidden_i, weights[labels[i, k]]> + biases[labels[i, k]] - ln(true_expected[i, k])
        z[i, T + s] = <hidden_i, weights[sampled[s]]>   + biases[sampled[s]]   - ln(sampled_expected[s])

    With ``remove_accidental_hits`` a sampled column equal to one of row i's
    true classes is pushed to a huge negative logit (softmax 0, gradient 0).
    The gradient of ``weights`` is dense in shape but only the gathered rows
    are written: one zero array, one scatter-add (repeated ids add up).
    """

    def __call__(self, weights, biases, hidden, labels, sampled, true_expected, sampled_expected,
                 remove_accidental_hits=True):
        return apply(self, weights, biases, hidden, labels=labels, sampled=sampled,
                     true_expected=true_expected, sampled_expected=sampled_expected,
                     remove=remove_accidental_hits)

    def forward(self, ctx, weights, biases, hidden, *, labels, sampled, true_expected, sampled_expected,
                remove):
        w_true, w_sampled = weights[labels], weights[sampled]            # (N, T, D), (K, D)
        with np.errstate(divide="ignore", invalid="ignore"):
            true_logits = ((w_true @ hidden[:, :, None])[..., 0] + biases[labels]
                           - np.log(true_expected).astype(weights.dtype, copy=False))
            sampled_logits = (hidden @ w_sampled.T + biases[sampled]
                              - np.log(sampled_expected).astype(weights.dtype, copy=False))
        hits = None
        if remove:
            hits = (labels[:, :, None] == sampled[None, None, :]).any(axis=1)   # (N, K)
            if hits.any():
                sampled_logits[hits] = np.finfo(sampled_logits.dtype).min / 2
            else:
                hits = None
        ctx.save = (weights.shape, hidden, w_true, w_sampled, labels, sampled, hits)
        return np.concatenate([true_logits, sampled_logits], axis=1)

    def backward(self, ctx, grad):
        shape, hidden, w_true, w_sampled, labels, sampled, hits = ctx.save
        needs = ctx.needs_input_grad
        num_true = labels.shape[1]
        g_true, g_sampled = grad[:, :num_true], grad[:, num_true:]
        if hits is not None:
            g_sampled = np.where(hits, 0, g_sampled)
        grad_w = grad_b = grad_h = None
        if needs[2]:
            grad_h = (g_true[:, None, :] @ w_true)[:, 0, :] + g_sampled @ w_sampled
        if needs[0] or needs[1]:
            ids = np.concatenate([labels.reshape(-1), sampled])
        if needs[0]:
            rows = np.concatenate([(g_true[:, :, None] * hidden[:, None, :]).reshape(-1, shape[1]),
                                   g_sampled.T @ hidden])
            grad_w = np.zeros(shape, grad.dtype)
            np.add.at(grad_w, ids, rows)
        if needs[1]:
            grad_b = np.bincount(ids, np.concatenate([g_true.reshape(-1), g_sampled.sum(axis=0)]),
                                 minlength=shape[0]).astype(grad.dtype)
        return grad_w, grad_b, grad_h
