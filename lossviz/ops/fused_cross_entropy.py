"""Fused primitives of the cross-entropy family (``nn.CrossEntropyLoss``, ``nn.FocalLoss``, ``nn.BCEWithLogitsLoss``).

Each computes an **unreduced** loss (one value per row or per element) with
its derivative beside it; the losses in ``lossviz/nn/loss/classification.py``
do the rest (weights of ignored positions, reductions) with plain ops. The
plain class-index cross-entropy reuses ``SparseSoftmaxCrossEntropyWithLogits``
from ``fused_losses.py``; the primitives here are the cases it does not cover:

* ``SmoothedSparseSoftmaxCrossEntropy``: class indices with label smoothing
  (and class weights), one pass over the logits forward and one backward;
* ``NegativeLogLikelihood``: the same loss of log-probabilities given as they
  are (``nn.NLLLoss``, ``ops.nll_loss``);
* ``FocalTerm``: the focal modulation ``-(1 - p)^gamma log p`` of a
  log-probability, with a finite derivative at ``p = 1``;
* ``BinaryCrossEntropyWithLogits``: sigmoid + binary cross-entropy, computed
  stably from the logits (``pos_weight`` included).
"""
import numpy as np

from .._engine.autograd import broadcast_value
from .._engine.checks import check_float
from ._memory import in_chunks, scaled
from .fused_losses import FusedLoss, _take_exp, shift_by_row_max

__all__ = ["SmoothedSparseSoftmaxCrossEntropy", "NegativeLogLikelihood", "FocalTerm", "BinaryCrossEntropyWithLogits"]


class SmoothedSparseSoftmaxCrossEntropy(FusedLoss):
    """Cross-entropy against class indices with label smoothing ``s`` and class weights ``w``:

        out_i = (1 - s) w[t_i] (lse_i - x_i,t_i)  +  (s / C) sum_c w_c (lse_i - x_ic),   lse_i = ln sum_c e^x_ic

    logits x (M, C), int labels t (M,) in [0, C), out (M,); ``weight`` None means all ones.
    ``lse_i - x_ic`` is ``-log_softmax(x_i)_c``: this is ``-sum_c w_c q_ic log_softmax(x_i)_c`` against the
    smoothed target ``q_i = (1 - s) onehot(t_i) + s / C``, with the target class's weight on the one-hot part
    (PyTorch's and MindSpore's definition).

        d/dx_ij = softmax(x_i)_j ((1 - s) w[t_i] + (s / C) W) - (1 - s) w[t_i] [j == t_i] - (s / C) w_j,
        W = sum_c w_c;  labels get no gradient.

    ``SmoothedSparseSoftmaxCrossEntropy(0.0)`` gives the numbers of ``SparseSoftmaxCrossEntropyWithLogits``.
    """

    def __init__(self, smoothing, weight=None):
        self.smoothing = check_float(self.name, "smoothing", smoothing)
        self.weight = None if weight is None else np.asarray(weight)

    def forward(self, ctx, logits, labels):
        rows, c = np.arange(logits.shape[0]), logits.shape[1]
        s, w = self.smoothing, self._weight(logits.dtype)
        shifted = shift_by_row_max(logits)       # lse - x_c is unchanged by the shift
        picked = shifted[rows, labels]
        weighted_sum = shifted.sum(axis=1) if w is None else shifted @ w      # sum_c w_c x_ic
        e = np.exp(shifted, out=shifted)
        sum_e = e.sum(axis=1)
        lse = np.log(sum_e)
        w_target, w_total = (1, c) if w is None else (w[labels], w.sum())
        ctx.logits, ctx.e, ctx.sum_e, ctx.rows, ctx.labels, ctx.w_target = logits, e, sum_e, rows, labels, w_target
        one = logits.dtype.type
        return one(1 - s) * w_target * (lse - picked) + one(s / c) * (w_total * lse - weighted_sum)

    def backward(self, ctx, grad):
        m, c = ctx.logits.shape
        one = ctx.logits.dtype.type
        s, w = self.smoothing, self._weight(ctx.logits.dtype)
        grad = np.broadcast_to(grad, (m,))
        a = one(1 - s) * ctx.w_target * grad                 # per row: the one-hot part's factor
        b = one(s / c) * grad                                # per row: the uniform part's factor
        w_total = c if w is None else w.sum()
        g = _take_exp(ctx)                                   # e^(x - max), overwritten in place
        g *= ((a + b * w_total) / ctx.sum_e)[:, None]        # softmax * ((1 - s) w[t] + (s / C) W) * grad
        g[ctx.rows, ctx.labels] -= a                         # - (1 - s) w[t] onehot(t) * grad
        if s:
            g -= b[:, None] if w is None else np.multiply.outer(b, w)    # - (s / C) w_j * grad
        return g, None

    def _weight(self, dtype):
        return None if self.weight is None else self.weight.astype(dtype, copy=False)


class NegativeLogLikelihood(FusedLoss):
    """out_i = -(1 - s) w[t_i] x_i,t_i  -  (s / C) sum_c w_c x_ic

    x (M, C) log-probabilities (used as given), int labels t (M,) in [0, C), out (M,); label smoothing ``s``
    (0 for ``nn.NLLLoss``) and class weights ``w`` (None: all ones) as in ``SmoothedSparseSoftmaxCrossEntropy``,
    which is this loss of ``log_softmax(x)``.

        d/dx_ij = -(1 - s) w[t_i] [j == t_i] - (s / C) w_j;  labels get no gradient.
    """

    def __init__(self, smoothing=0.0, weight=None):
        self.smoothing = check_float(self.name, "smoothing", smoothing)
        self.weight = None if weight is None else np.asarray(weight)

    def forward(self, ctx, x, labels):
        (m, c), s, one = x.shape, self.smoothing, x.dtype.type
        rows = np.arange(m)
        w = None if self.weight is None else self.weight.astype(x.dtype, copy=False)
        w_target = 1 if w is None else w[labels]
        ctx.shape, ctx.dtype, ctx.rows, ctx.labels, ctx.w, ctx.w_target = x.shape, x.dtype, rows, labels, w, w_target
        out = -(one(1 - s) * w_target * x[rows, labels])
        if s:
            out -= one(s / c) * (x.sum(axis=1) if w is None else x @ w)
        return out

    def backward(self, ctx, grad):
        (m, c), s, one = ctx.shape, self.smoothing, ctx.dtype.type
        grad = np.broadcast_to(grad, (m,))
        if s:      # - (s / C) w_j grad_i everywhere
            g = np.multiply.outer(one(-s / c) * grad, np.ones(c, ctx.dtype) if ctx.w is None else ctx.w)
        else:
            g = np.zeros(ctx.shape, ctx.dtype)
        g[ctx.rows, ctx.labels] -= one(1 - s) * ctx.w_target * grad     # - (1 - s) w[t] onehot(t) grad
        return g, None


class FocalTerm(FusedLoss):
    """out = -(1 - p)^gamma * log_p,   p = e^log_p   (elementwise, on log-probabilities log_p <= 0)

    The focal loss of one probability: the cross-entropy ``-log p`` scaled down by ``(1 - p)^gamma`` where the
    prediction is already good. ``gamma = 0`` is plain cross-entropy.

        d/dlog_p = gamma (1 - p)^(gamma - 1) p log_p - (1 - p)^gamma
                 = (1 - p)^gamma (gamma p r - 1),   r = log_p / (1 - p)

    At p = 1 (log_p = 0) r tends to -1, so the derivative is -1 for gamma = 0 and 0 for gamma > 0: finite,
    where the first form meets 0 * inf (MindSpore's FocalLoss gives nan there; decision D3).
    """

    def __init__(self, gamma=2.0):
        self.gamma = check_float(self.name, "gamma", gamma)

    def forward(self, ctx, log_p):
        q = -np.expm1(log_p)                  # 1 - p, accurate near p = 1
        ctx.log_p, ctx.q = log_p, q
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.power(q, log_p.dtype.type(self.gamma)) * log_p

    def backward(self, ctx, grad):
        log_p, q, gamma = ctx.log_p, ctx.q, ctx.log_p.dtype.type(self.gamma)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.divide(log_p, q)
            r[q == 0] = -1                    # the limit of log p / (1 - p) at p = 1
            d = np.power(q, gamma) * (gamma * (1 - q) * r - 1)
        return d * grad


class BinaryCrossEntropyWithLogits(FusedLoss):
    """out = (1 - y) x + lw * softplus(-x),   lw = 1 + (pos_weight - 1) y   (x logits, y targets, same shape)

    which is -(pos_weight y ln sigmoid(x) + (1 - y) ln(1 - sigmoid(x))), computed without overflow:
    softplus(-x) = ln(1 + e^-x) = max(-x, 0) + ln(1 + e^-|x|). ``pos_weight`` (None: 1) is a constant that
    broadcasts to x. Infinite logits give what the formula gives (MindSpore and PyTorch too): nan for
    x = +-inf with y = 1 and for x = -inf with y = 0 (0 * inf or inf - inf), +inf for x = +inf with y = 0.

        d/dx = (1 - y) - lw * sigmoid(-x)           (sigmoid(x) - y without pos_weight)
        d/dy = -x + (pos_weight - 1) * softplus(-x)   (exactly -x without pos_weight)

    float16 inputs are computed in float32; the result has y's dtype (MindSpore's rule for mixed dtypes).
    Weights and the reduction are applied by the caller (``LossBase.get_loss``).
    """

    def __init__(self, pos_weight=None):
        self.pos_weight = None if pos_weight is None else np.asarray(pos_weight)

    def forward(self, ctx, x, y):
        out_dtype = y.dtype
        x, y = _at_least_float32(x), _at_least_float32(y)
        one = np.result_type(x, y).type
        ctx.x, ctx.y, ctx.lw = x, y, self._lw(y)
        out = np.subtract(one(1), y, out=np.empty(y.shape, one))                 # 1 - y
        with np.errstate(invalid="ignore"):
            for o, t, x_part, *lw in in_chunks(out, x, *_given(ctx.lw)):
                o *= x_part                                   # (1 - y) x
                _softplus_of_negative(x_part, t)              # softplus(-x)
                if lw:
                    t *= lw[0]                                # lw softplus(-x)
                o += t
        return out.astype(out_dtype, copy=False)

    def backward(self, ctx, grad):
        x, y, lw = ctx.x, ctx.y, ctx.lw
        one, constant = np.result_type(x, y).type, broadcast_value(grad)
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = np.subtract(one(1), y, out=np.empty(y.shape, one))         # 1 - y
            with np.errstate(over="ignore"):
                for g, t, x_part, *lw_part in in_chunks(grad_x, x, *_given(lw)):
                    np.exp(x_part, out=t)                     # (overflows to inf for x > 88: sigmoid 0)
                    t += one(1)
                    np.reciprocal(t, out=t)                   # sigmoid(-x) = 1 / (1 + e^x)
                    if lw_part:
                        t *= lw_part[0]
                    g -= t                                    # (1 - y) - lw sigmoid(-x)
                    if constant is not None:
                        g *= constant
            if constant is None:
                grad_x = scaled(grad_x, grad)
        if ctx.needs_input_grad[1]:
            grad_y = np.negative(x, out=np.empty(x.shape, one))                  # -x
            if self.pos_weight is not None:
                with np.errstate(invalid="ignore"):
                    for g, t, x_part, pw in in_chunks(grad_y, x, self._broadcast_pos_weight(x)):
                        _softplus_of_negative(x_part, t)
                        t *= pw - one(1)
                        g += t                                # -x + (pos_weight - 1) softplus(-x)
            grad_y = scaled(grad_y, grad)
        return grad_x, grad_y

    def _broadcast_pos_weight(self, x):
        return np.broadcast_to(self.pos_weight.astype(x.dtype, copy=False), x.shape)

    def _lw(self, y):
        """1 + (pos_weight - 1) y, or None without pos_weight."""
        if self.pos_weight is None:
            return None
        one = y.dtype.type
        return (self.pos_weight.astype(y.dtype, copy=False) - one(1)) * y + one(1)


def _softplus_of_negative(x, out):
    """out = softplus(-x) = max(-x, 0) + ln(1 + e^-|x|), written into ``out`` (x's shape).

    NOTE: this form never overflows: e^-|x| <= 1.
    """
    np.abs(x, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out -= np.minimum(x, 0)                   # + max(-x, 0)
    return out


def _given(array):
    """``(array,)``, or ``()`` for None: the optional input of a chunk loop."""
    return () if array is None else (array,)


def _at_least_float32(array):
    return array.astype(np.float32) if array.dtype == np.float16 else array
