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
from .._engine.checks import check_float
from ._memory import (add_rows_at, difference_operands, each_chunk, fresh, grad_wanted, in_chunks, reused_empty,
                      row_blocks, scaled, scratch_rows, split_difference_grad, take)

__all__ = ["FusedLoss", "BCE_EPSILON", "SAMPLED_EPSILON", "shift_by_row_max", "AbsoluteError", "SquaredError",
           "SmoothL1Loss", "BinaryCrossEntropy", "SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits",
           "CosineSimilarity", "Hinge", "SampledSoftmaxCrossEntropy", "SampledLogits"]

# The epsilon MindSpore's BinaryCrossEntropy adds inside its logs (not a clamp).
BCE_EPSILON = 1e-12
# The epsilon SampledSoftmaxLoss adds to the probabilities before the log.
SAMPLED_EPSILON = 1e-20


class FusedLoss(Primitive):
    """A fused loss: its backward reads a broadcast gradient (a reduction's) as one number."""

    reads_broadcast_grad = True


# ----- regression losses -----
class _DifferenceLoss(FusedLoss):
    """A loss of d = logits - labels, elementwise; d/dlogits = factor(d) * grad, d/dlabels = -d/dlogits.

    NOTE: when a backward may follow (``grad_wanted``), the forward also writes
    factor(d) (sign(d), d, clip(d)) while d is in cache, into the array that
    becomes the gradient: the backward only scales it in place instead of
    reading both inputs again. A second backward through the same graph
    recomputes it (``take``).
    """

    def __call__(self, logits, labels):
        return apply(self, logits, labels, with_grad=grad_wanted(logits, labels))

    def factor(self, d, out):
        """The d-dependent factor of d/dlogits, written into ``out``."""
        raise NotImplementedError

    def derivative(self, ctx):
        """factor(d) in a fresh array of ours: the one the forward kept, or a new one."""
        kept = take(ctx, "derivative")
        if kept is not None:
            return kept
        shape, dtype, logits, labels = difference_operands(ctx.logits, ctx.labels)
        g = np.empty(shape, dtype)
        for g_part, d, x, y in each_chunk(g, None, logits, labels):
            self.factor(np.subtract(x, y, out=d), g_part)
        return g


class AbsoluteError(_DifferenceLoss):
    """out = |logits - labels| (elementwise, broadcasting)

    d/dlogits = sign(logits - labels), 0 where they are equal; d/dlabels = -d/dlogits.
    """

    def forward(self, ctx, logits, labels, with_grad=True):
        ctx.logits, ctx.labels = logits, labels
        shape, dtype, logits, labels = difference_operands(logits, labels)
        out = reused_empty(shape, dtype)
        ctx.derivative = np.empty(shape, dtype) if with_grad else None
        for o, sign, x, y in each_chunk(out, ctx.derivative, logits, labels):
            np.subtract(x, y, out=o)          # d
            if with_grad:
                self.factor(o, sign)          # sign(d), for the backward
            np.abs(o, out=o)                  # |d|
        return out

    def factor(self, d, out):
        np.sign(d, out=out)                   # NOTE: never in place (np.sign in place is several times slower)

    def backward(self, ctx, grad):
        return split_difference_grad(scaled(self.derivative(ctx), grad), ctx.needs_input_grad)


class SquaredError(_DifferenceLoss):
    """out = (logits - labels)^2 (elementwise, broadcasting)

    d/dlogits = 2 (logits - labels); d/dlabels = -d/dlogits.
    """

    def forward(self, ctx, logits, labels, with_grad=True):
        ctx.logits, ctx.labels = logits, labels
        shape, dtype, logits, labels = difference_operands(logits, labels)
        out = reused_empty(shape, dtype)
        ctx.derivative = np.empty(shape, dtype) if with_grad else None
        for o, d, x, y in each_chunk(out, ctx.derivative, logits, labels):
            np.subtract(x, y, out=d)          # d (kept for the backward)
            np.square(d, out=o)               # d^2
        return out

    def factor(self, d, out):
        np.copyto(out, d)

    def backward(self, ctx, grad):
        g, constant = self.derivative(ctx), broadcast_value(grad)       # d
        if constant is not None:
            g = scaled(g, 2 * constant)       # one pass: d * (2 g)
        else:
            g = scaled(scaled(g, np.asarray(2, g.dtype)), grad)
        return split_difference_grad(g, ctx.needs_input_grad)


class SmoothL1Loss(_DifferenceLoss):
    """out = 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta;  d = logits - labels

    d/dlogits = d / beta clipped to [-1, 1]; d/dlabels = -d/dlogits.
    ``ops.SmoothL1Loss(beta=1.0)(logits, labels)``; shapes must be equal.
    """

    def __init__(self, beta=1.0):
        self.beta = check_float("SmoothL1Loss", "beta", beta)

    def forward(self, ctx, logits, labels, with_grad=True):
        if not self.beta > 0:
            raise ValueError(f"For 'SmoothL1Loss', the 'beta' must be greater than 0, but got {self.beta}.")
        ctx.logits, ctx.labels = logits, labels
        shape, dtype, logits, labels = difference_operands(logits, labels)
        out = reused_empty(shape, dtype)
        ctx.derivative = np.empty(shape, dtype) if with_grad else None
        one = out.dtype.type
        tiny_beta = self.tiny_beta(out.dtype)
        half, beta = one(0.5), one(self.beta)
        scale, inverse = (None, None) if tiny_beta else (one(2 / self.beta), one(1 / self.beta))
        # NOTE: with c = clip(d, -beta, beta) both branches are (d - c/2) (c/2) (2/beta):
        # no np.where (slow on random masks). Bit for bit m (|d| - m/2) / beta as
        # ((|d| - m/2) (m/2)) (2/beta), m = min(|d|, beta) = |c|: the same products, signs
        # paired (but -0 for d = -0). Outside float16, (d - c/2) c (1/beta) is that too
        # (exact factors of 2; unless a product is subnormal, i.e. a loss below 1e-38),
        # one pass fewer, two for beta = 1. When 1/beta overflows the dtype, factor() gives
        # r = c/beta instead, and the loss is (d - beta r/2) r.
        exact_doubling = out.dtype != np.float16
        for o, c, x, y, h in each_chunk(out, ctx.derivative, logits, labels, scratch=1):
            np.subtract(x, y, out=o)          # d
            self.factor(o, c)                 # c = clip(d, -beta, beta) (and the backward's factor)
            if tiny_beta:                     # c is r = clip(d / beta, -1, 1)
                np.multiply(c, beta * half, out=h)
                o -= h                        # d - beta r/2
                o *= c                        # (d - beta r/2) r
                continue
            np.multiply(c, half, out=h)       # c/2
            o -= h                            # d - c/2
            if exact_doubling:
                o *= c                        # (d - c/2) c
                if inverse != 1:
                    o *= inverse              # (d - c/2) c / beta
            else:
                o *= h                        # (d - c/2) c/2
                o *= scale                    # (d - c/2) c / beta
        return out

    def tiny_beta(self, dtype):
        """True when 1/beta overflows ``dtype`` (beta below ~1e-38 in float32, ~1.5e-5 in float16)."""
        with np.errstate(over="ignore", divide="ignore"):
            return not np.isfinite(dtype.type(1) / dtype.type(self.beta))

    def factor(self, d, out):
        beta = out.dtype.type(self.beta)
        if not self.tiny_beta(out.dtype):
            np.clip(d, -beta, beta, out=out)
            return
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            np.divide(d, beta, out=out)       # +-inf where beta rounds to 0 in this dtype
        np.clip(out, -1, 1, out=out)
        out[d == 0] = 0                       # 0/0 where beta rounds to 0

    def backward(self, ctx, grad):
        g, constant = self.derivative(ctx), broadcast_value(grad)       # clip(d, -beta, beta)
        beta = g.dtype.type(self.beta)
        if self.tiny_beta(g.dtype):          # g is already clip(d / beta, -1, 1)
            g = scaled(g, grad if constant is None else constant)
        elif constant is not None:
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
        out = np.add(logits, eps, out=reused_empty(logits.shape, logits.dtype))
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
        e, sum_e = np.empty(logits.shape, logits.dtype), np.empty(logits.shape[:1], logits.dtype)
        picked = np.empty(logits.shape[:1], np.result_type(labels, logits))
        for rows in row_blocks(logits):                  # NOTE: a block's shift, exp and sums stay in cache
            shifted = np.subtract(logits[rows], logits[rows].max(axis=1, keepdims=True), out=e[rows])
            # NOTE: -sum y (s - ln Z) = ln Z * sum y - sum y s, with no (N, C) temporary for y * s.
            picked[rows] = np.einsum("ij,ij->i", labels[rows], shifted)
            sum_e[rows] = np.exp(shifted, out=shifted).sum(axis=1)
        ctx.logits, ctx.e, ctx.sum_e, ctx.labels = logits, e, sum_e, labels
        return np.log(sum_e) * labels.sum(axis=1) - picked

    def backward(self, ctx, grad):
        g, labels = _take_exp(ctx), ctx.labels
        softmax_scale, tmp = grad / ctx.sum_e, None
        for rows in row_blocks(g):                       # NOTE: labels * grad, one block at a time in tmp
            g_rows = g[rows]
            g_rows *= softmax_scale[rows, None]          # softmax * grad
            tmp = scratch_rows(tmp, labels[rows].shape, np.result_type(labels, grad))
            g_rows -= np.multiply(labels[rows], grad[rows, None], out=tmp)   # - labels * grad
        return g, None


class SparseSoftmaxCrossEntropyWithLogits(FusedLoss):
    """out_i = -log_softmax(logits_i)[labels_i]   (logits (N, C), int labels (N,), out (N,))

    d/dlogits_i = softmax(logits_i) - onehot(labels_i). Labels must lie in [0, C).
    Same numbers as the dense form with one-hot labels.
    """

    def forward(self, ctx, logits, labels):
        check_class_indices(self.name, logits, labels)
        rows = np.arange(logits.shape[0])
        e, sum_e = np.empty(logits.shape, logits.dtype), np.empty(logits.shape[:1], logits.dtype)
        picked = np.empty(logits.shape[:1], logits.dtype)
        for block in row_blocks(logits):                 # NOTE: a block's shift, exp and sums stay in cache
            shifted = np.subtract(logits[block], logits[block].max(axis=1, keepdims=True), out=e[block])
            picked[block] = shifted[np.arange(len(shifted)), labels[block]]
            sum_e[block] = np.exp(shifted, out=shifted).sum(axis=1)
        ctx.logits, ctx.e, ctx.sum_e, ctx.rows, ctx.labels = logits, e, sum_e, rows, labels
        return np.log(sum_e) - picked

    def backward(self, ctx, grad):
        grad = np.broadcast_to(grad, ctx.sum_e.shape)
        g = _take_exp(ctx)
        g *= (grad / ctx.sum_e)[:, None]     # softmax * grad
        g[ctx.rows, ctx.labels] -= grad
        return g, None


def check_class_indices(op_name, logits, labels):
    """logits (N, C) of floats and labels (N,) of ints in [0, C)."""
    if logits.ndim != 2 or not np.issubdtype(logits.dtype, np.floating):
        raise ValueError(f"For '{op_name}', the 'logits' must be a 2-D float tensor (N, C), "
                         f"but got shape {logits.shape} and dtype {logits.dtype}.")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"For '{op_name}', the 'labels' must be integer class indices, but got dtype {labels.dtype}.")
    if labels.shape != logits.shape[:1]:
        raise ValueError(f"For '{op_name}', the 'labels' must have shape {logits.shape[:1]} (one per row of "
                         f"'logits'), but got {labels.shape}.")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        bad = labels[(labels < 0) | (labels >= logits.shape[1])][0]
        raise ValueError(f"For '{op_name}', the 'labels' must be class indices in [0, {logits.shape[1]}), "
                         f"but got {bad}.")


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

    def _blocks(self, x):
        """Blocks of rows (axis 0) of about CHUNK elements; the whole array when the cosine runs along axis 0."""
        return (row_blocks(x) if x.ndim > 1 and self.axis % x.ndim != 0 else None) or [slice(None)]

    def _sums(self, x1, x2):
        """sum_a(x1 * x2), sum_a(x1^2), sum_a(x2^2)."""
        a1, a2 = np.moveaxis(x1, self.axis, -1), np.moveaxis(x2, self.axis, -1)
        return self._dot(a1, a2), self._dot(a1, a1), self._dot(a2, a2)

    def forward(self, ctx, x1, x2):
        blocks = self._blocks(x1)
        if len(blocks) == 1:
            dot, sq1, sq2 = self._sums(x1, x2)
        else:                                            # NOTE: a block of x1 and x2 is read once, for 3 sums
            dot = sq1 = sq2 = None
            for rows in blocks:
                sums = self._sums(x1[rows], x2[rows])
                if dot is None:
                    dot, sq1, sq2 = (np.empty(x1.shape[:1] + s.shape[1:], s.dtype) for s in sums)
                dot[rows], sq1[rows], sq2[rows] = sums
        with np.errstate(divide="ignore", invalid="ignore"):
            norms = np.sqrt(sq1) * np.sqrt(sq2)
            cos = dot / norms
        ctx.x1, ctx.x2, ctx.norms, ctx.sq1, ctx.sq2, ctx.cos = x1, x2, norms, sq1, sq2, cos
        return cos

    def backward(self, ctx, grad):
        axis, x1, x2, cos = self.axis, ctx.x1, ctx.x2, ctx.cos
        grads, tmp = [], None
        pairs = ((x1, x2, ctx.sq1), (x2, x1, ctx.sq2))
        with np.errstate(divide="ignore", invalid="ignore"):
            across = np.expand_dims(grad / ctx.norms, axis)          # g / (|x1| |x2|)
            for (mine, other, sq), need in zip(pairs, ctx.needs_input_grad):
                if not need:
                    grads.append(None)
                    continue
                along = np.expand_dims(grad * cos / sq, axis)        # g cos / |mine|^2
                g = np.empty(mine.shape, np.result_type(other, across))
                for rows in self._blocks(mine):                      # NOTE: tmp holds one block
                    np.multiply(other[rows], across[rows], out=g[rows])
                    tmp = scratch_rows(tmp, mine[rows].shape, np.result_type(mine, along))
                    g[rows] -= np.multiply(mine[rows], along[rows], out=tmp)
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


class SampledSoftmaxCrossEntropy(FusedLoss):
    """out_i = -sum_j t_j ln(softmax(z_i)_j + 1e-20)   (z (N, T + K): the T true columns first; out (N,))

    t_j = 1/T on the true columns, 0 on the sampled ones (SampledSoftmaxLoss's
    targets); the 1e-20 keeps ln() finite when a true class is hopeless.
    d/dz_i = p_i (G_i - sum_j G_ij p_ij),  p = softmax(z_i),  G_ij = -g_i t_j / (p_ij + 1e-20)
    (the chain rule through softmax, + eps, ln, * t, sum, as the composed ops give it).
    """

    def __init__(self, num_true=1):
        self.num_true = num_true

    def _targets(self, z):
        t = np.zeros(z.shape[1:], z.dtype)
        t[:self.num_true] = 1 / self.num_true
        return t

    def forward(self, ctx, z):
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)                      # softmax(z)
        eps = p.dtype.type(SAMPLED_EPSILON)
        ln_p = np.add(p, eps)
        np.log(ln_p, out=ln_p)                                 # ln(p + 1e-20)
        ln_p *= self._targets(z)                               # t * ln(p + 1e-20)
        ctx.p, ctx.eps = p, eps
        return -ln_p.sum(axis=1)

    def backward(self, ctx, grad):
        p = ctx.p
        g = np.multiply(np.negative(grad)[:, None], self._targets(p))   # -g t
        q = np.add(p, ctx.eps)
        g /= q                                                 # G = -g t / (p + 1e-20)
        g -= np.multiply(g, p, out=q).sum(axis=1, keepdims=True)
        g *= p                                                 # p (G - sum(G p))
        return g


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
    are written: one zero array (whose other pages are never touched), the
    rows added at their ids (repeated ids add up).
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
            grad_h = g_sampled @ w_sampled
            grad_h += (g_true[:, None, :] @ w_true)[:, 0, :]      # (the same sum, one (N, D) array fewer)
        if needs[0]:
            # NOTE: np.zeros maps zero pages lazily: only the pages of the rows written here are touched.
            grad_w = np.zeros(shape, grad.dtype)
            add_rows_at(grad_w, labels.reshape(-1), (g_true[:, :, None] * hidden[:, None, :]).reshape(-1, shape[1]))
            add_rows_at(grad_w, sampled, g_sampled.T @ hidden)          # (true rows first, then sampled ones)
        if needs[1]:
            ids = np.concatenate([labels.reshape(-1), sampled]) % shape[0]   # (gather wraps negative ids)
            unique, inverse = np.unique(ids, return_inverse=True)
            grad_b = np.zeros(shape[:1], grad.dtype)
            sums = np.bincount(inverse, np.concatenate([g_true.reshape(-1), g_sampled.sum(axis=0)]))  # float64
            grad_b[unique] = sums.astype(grad.dtype)
        return grad_w, grad_b, grad_h
