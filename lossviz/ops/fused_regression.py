"""Fused primitives of the regression and distribution losses: one formula per op, forward and backward.

Each computes the **unreduced** loss (one value per element); the reduction is
``LossBase.get_loss``'s job (or the loss class's, for KLDivLoss 'batchmean').
The loss classes cast their inputs to one compute dtype before calling these
(so ``int32`` meeting ``float32`` is already ``float32`` here), and the
engine sums every gradient back to its input's shape when inputs broadcast.

* ``RootMeanSquaredError()``: ``nn.RMSELoss`` (float32 / float64; already reduced: one number);
* ``HuberError(delta)``: ``nn.HuberLoss``;
* ``SoftMargin()``: ``nn.SoftMarginLoss``;
* ``GaussianNLL(eps, full)``: ``nn.GaussianNLLLoss``;
* ``PoissonNLL(log_input, full, eps)``: ``nn.PoissonNLLLoss``;
* ``KLDivergence()``: ``nn.KLDivLoss``.

Memory tricks (chunks, in-place passes, a reduction's gradient used as one
number) are the helpers of ``_memory.py`` and the lines marked NOTE.
"""
import math

import numpy as np

from .._engine.autograd import broadcast_value
from .._engine.checks import check_bool, check_float
from ._memory import difference_operands, each_chunk, fresh, in_chunks, scaled, split_difference_grad, take
from .fused_losses import FusedLoss

__all__ = ["RootMeanSquaredError", "HuberError", "SoftMargin", "GaussianNLL", "PoissonNLL", "KLDivergence"]

# 0.5 * ln(2 pi): the constant of a Gaussian's log-density, and of Stirling's formula.
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _in_range(value, dtype):
    """``value`` in ``dtype``; beyond its range that is +-inf (1e39 in float32), without a warning."""
    with np.errstate(over="ignore"):
        return dtype(value)


def _floor(x, low, out):
    """max(x, low) into ``out``.

    NOTE: written as clip(x, low, inf): the same numbers (nan stays nan), and on
    this machine several times faster than np.maximum with a scalar.
    """
    return np.clip(x, low, np.inf, out=out)


def _spread(shape, *arrays):
    """The arrays broadcast to ``shape`` (read-only views; ``in_chunks`` copies those that repeat values)."""
    return [a if a.shape == shape else np.broadcast_to(a, shape) for a in arrays]


class RootMeanSquaredError(FusedLoss):
    """out = sqrt(sum(d^2) / n);  d = logits - labels (shapes broadcast, n elements)

    d/dlogits = d / (n * out); d/dlabels = -d/dlogits. At zero error that is
    0/0 = nan, as MindSpore. float32 / float64 only; the sum of squares is
    accumulated in float64 (each chunk's dot product in the input dtype).
    """

    def forward(self, ctx, logits, labels):
        ctx.logits, ctx.labels = logits, labels
        shape, dtype, logits, labels = difference_operands(logits, labels)
        if dtype not in (np.float32, np.float64) or math.prod(shape) == 0:
            raise ValueError(f"For '{self.name}', the inputs must be non-empty float32 or float64 arrays, "
                             f"but got shape {shape} and dtype {dtype}.")
        ctx.d = d = np.empty(shape, dtype)
        total = 0.0
        for d_part, x, y in each_chunk(d, logits, labels):
            flat = np.subtract(x, y, out=d_part).reshape(-1)
            total += float(np.dot(flat, flat))  # NOTE: no array of squares: d is kept for the backward
        ctx.n = d.size
        ctx.out = dtype.type(math.sqrt(dtype.type(total / ctx.n)))
        return np.asarray(ctx.out)

    def backward(self, ctx, grad):
        d = take(ctx, "d")
        if d is None:                          # a second backward through the same graph
            shape, dtype, logits, labels = difference_operands(ctx.logits, ctx.labels)
            d = np.subtract(logits, labels, dtype=dtype)
        with np.errstate(divide="ignore", invalid="ignore"):   # zero error: 0 / 0 = nan, as MindSpore
            scale = np.asarray(grad, d.dtype) / (d.dtype.type(ctx.n) * ctx.out)
            g = np.multiply(d, scale, out=d)  # d (grad / (n out)), in place
        return split_difference_grad(g, ctx.needs_input_grad)


class HuberError(FusedLoss):
    """out = 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta);  d = logits - labels

    d/dlogits = d where |d| < delta, else delta * sign(d): that is c = clip(d, -delta, delta),
    continuous at |d| = delta and finite for an infinite d (decision D4); d/dlabels = -d/dlogits.
    An infinite delta is the quadratic branch everywhere. Shapes broadcast.
    ``HuberError(delta=1.0)(logits, labels)``.
    """

    def __init__(self, delta=1.0):
        self.delta = check_float(self.name, "delta", delta, allow_inf=True)   # D4: an infinite delta is MSE/2

    def forward(self, ctx, logits, labels):
        ctx.logits, ctx.labels = logits, labels
        shape = np.broadcast_shapes(logits.shape, labels.shape)
        out = np.empty(shape, np.result_type(logits, labels))
        one = out.dtype.type
        delta, half = _in_range(self.delta, one), one(0.5)
        if np.isinf(delta):                                        # delta = inf (or beyond float16's range)
            np.subtract(logits, labels, out=out)
            ctx.c = out.copy()                                     # c = d
            np.square(out, out=out)
            out *= half                                            # 0.5 d^2
            return out
        # NOTE: with c = clip(d, -delta, delta) both branches are c (d - c/2): no np.where
        # (slow on random masks). c is also the gradient: kept for the backward.
        ctx.c = c = np.empty_like(out)
        for o, h, c_part, x, y in in_chunks(out, c, *_spread(shape, logits, labels)):
            np.subtract(x, y, out=o)                # d
            np.clip(o, -delta, delta, out=c_part)   # c
            np.multiply(c_part, half, out=h)        # c/2
            o -= h                                  # d - c/2
            o *= c_part                             # c (d - c/2)
        return out

    def backward(self, ctx, grad):
        g, ctx.c = ctx.c, None                      # NOTE: take the forward's c over (a second backward recomputes)
        if g is None:
            g = fresh(np.subtract(ctx.logits, ctx.labels, order="C"))
            delta = _in_range(self.delta, g.dtype.type)
            np.clip(g, -delta, delta, out=g)
        return split_difference_grad(scaled(g, grad), ctx.needs_input_grad)


class SoftMargin(FusedLoss):
    """out = ln(1 + exp(-labels * logits)) = softplus(z),  z = -labels * logits

    Computed stably as max(z, 0) + ln(1 + exp(-|z|)): finite for any finite z
    (z = 1000 gives 1000). With sigma(z) = 1 / (1 + exp(-z)):
    d/dlogits = -labels * sigma(z);  d/dlabels = -logits * sigma(z).
    Same shape and dtype for both inputs; float16 is computed in float32.
    """

    def forward(self, ctx, logits, labels):
        out_dtype = logits.dtype
        if out_dtype == np.float16:
            logits, labels = logits.astype(np.float32), labels.astype(np.float32)
        out = np.empty(logits.shape, logits.dtype)
        with np.errstate(over="ignore"):
            for o, t, x, y in in_chunks(out, logits, labels):
                np.multiply(x, y, out=o)
                np.negative(o, out=o)                 # z
                np.abs(o, out=t)
                np.negative(t, out=t)                 # -|z|
                np.exp(t, out=t)
                np.log1p(t, out=t)                    # ln(1 + exp(-|z|))
                _floor(o, 0, out=o)                   # max(z, 0)
                o += t
        ctx.logits, ctx.labels, ctx.out, ctx.out_dtype = logits, labels, out, out_dtype
        return out.astype(out_dtype) if out.dtype != out_dtype else out

    def backward(self, ctx, grad):
        x, y, out, dtype = ctx.logits, ctx.labels, ctx.out, ctx.out_dtype
        need_x, need_y = ctx.needs_input_grad
        constant = broadcast_value(grad)
        grads = () if constant is not None else (np.broadcast_to(grad, x.shape),)
        minus = x.dtype.type(-1) if constant is None else -x.dtype.type(constant)
        grad_x = np.empty(x.shape, x.dtype)                 # -labels sigma(z) grad
        grad_y = np.empty(x.shape, x.dtype) if need_y else grad_x
        with np.errstate(over="ignore"):                    # -labels * logits beyond the float range
            for gx, s, gy, x_part, y_part, out_part, *g in in_chunks(grad_x, grad_y, x, y, out, *grads):
                # sigma(z) = exp(z - softplus(z)): the exponent is ln(sigma(z)) <= 0, so exp never overflows
                np.multiply(x_part, y_part, out=s)              # -z
                s += out_part                                   # softplus(z) - z
                np.negative(s, out=s)
                np.exp(s, out=s)                                # sigma(z)
                s *= minus                                      # -sigma(z) grad
                if g:
                    s *= g[0]
                if need_y:
                    np.multiply(s, x_part, out=gy)              # -logits sigma(z) grad
                np.multiply(s, y_part, out=gx)                  # -labels sigma(z) grad
        return (grad_x.astype(dtype, copy=False) if need_x else None,
                grad_y.astype(dtype, copy=False) if need_y else None)


class GaussianNLL(FusedLoss):
    """out = 0.5 (ln v + d^2 / v) [+ 0.5 ln(2 pi) when full];  v = max(var, eps), d = logits - labels

    d/dlogits = d / v;  d/dlabels = -d / v;
    d/dvar = 0.5 (1/v - d^2/v^2) * s,  s = 1 where var > eps, 1/2 where var == eps (a
    maximum's tie), 0 where var < eps (the clamp holds v constant).
    logits and labels have one float dtype, var a float dtype no wider; the three broadcast.
    The clamp is taken in var's dtype (eps rounded to it), as MindSpore's maximum(var, eps).
    ``GaussianNLL(eps=1e-6, full=False)(logits, labels, var)``.
    """

    def __init__(self, eps=1e-6, full=False):
        self.eps, self.full = check_float(self.name, "eps", eps), check_bool(self.name, "full", full)

    def forward(self, ctx, logits, labels, var):
        one, eps = logits.dtype.type, var.dtype.type(self.eps)
        shape = np.broadcast_shapes(logits.shape, labels.shape, var.shape)
        out, r = np.empty(shape, logits.dtype), np.empty(shape, logits.dtype)
        # NOTE: chunk by chunk, v lives in the small scratch buffer; r = d / v is kept: it is
        # the gradient of the mean, and d^2 / v = d r.
        for o, v, r_part, x, y, var_part in in_chunks(out, r, *_spread(shape, logits, labels, var)):
            np.subtract(x, y, out=o)                 # d
            _floor(var_part, eps, out=v)             # v = max(var, eps)
            np.divide(o, v, out=r_part)              # r = d / v
            o *= r_part                              # d^2 / v
            o += np.log(v, out=v)                    # ln v + d^2 / v
            o *= one(0.5)
            if self.full:
                o += one(HALF_LOG_2PI)
        ctx.logits, ctx.labels, ctx.var, ctx.r = logits, labels, var, r
        ctx.clamped = var.size > 0 and not var.min() > eps      # some var <= eps (or nan): the share below
        return out

    def backward(self, ctx, grad):
        logits, labels, var = ctx.logits, ctx.labels, ctx.var
        need_logits, need_labels, need_var = ctx.needs_input_grad
        one, eps = logits.dtype.type, var.dtype.type(self.eps)
        shape = np.broadcast_shapes(logits.shape, labels.shape, var.shape)
        r, ctx.r = ctx.r, None                       # NOTE: take the forward's r over (a second backward recomputes)
        if r is None:
            r = fresh(np.subtract(logits, labels) / np.clip(var, eps, np.inf).astype(logits.dtype, copy=False))
        grad_var = None
        if need_var:                                 # 0.5 (1/v - d^2/v^2) * share * grad
            constant = broadcast_value(grad)
            half = one(0.5) if constant is None else one(0.5) * constant
            grads = () if constant is not None else (np.broadcast_to(grad, shape),)
            grad_var = np.empty(shape, logits.dtype)
            with np.errstate(over="ignore"):
                for gv, v, r_part, var_part, *g in in_chunks(grad_var, r, *_spread(shape, var), *grads):
                    np.multiply(r_part, r_part, out=gv)          # d^2 / v^2 (may overflow: -inf below)
                    _floor(var_part, eps, out=v)
                    np.subtract(np.reciprocal(v, out=v), gv, out=gv)   # 1/v - d^2/v^2
                    gv *= half
                    if ctx.clamped:                              # the clamp's share of the gradient
                        gv *= (var_part > eps) + one(0.5) * (var_part == eps)
                    if g:
                        gv *= g[0]
        grad_logits, grad_labels = split_difference_grad(scaled(r, grad), (need_logits, need_labels))
        return grad_logits, grad_labels, grad_var


class PoissonNLL(FusedLoss):
    """Poisson negative log-likelihood of ``target`` counts, t = target:

        log_input=True:   out = exp(input) - t * input          (input is the log of the rate)
        log_input=False:  out = input - t * ln(input + eps)     (input is the rate; eps is ADDED)
        full=True adds Stirling's term of ln(t!), where tc = max(t, eps) > 1:
                          (tc + 0.5) ln(tc) - tc + 0.5 ln(2 pi)

    d/dinput = exp(input) - t, or 1 - t / (input + eps);
    d/dtarget = -input, or -ln(input + eps); plus, with full, (ln tc + 0.5/tc) * [tc > 1] * s,
    where s = 1 if t > eps, 1/2 if t == eps (a maximum's tie), 0 below.
    Input and target have one dtype and broadcast.
    ``PoissonNLL(log_input=True, full=False, eps=1e-8)(input, target)``.
    """

    def __init__(self, log_input=True, full=False, eps=1e-8):
        self.log_input = check_bool(self.name, "log_input", log_input)
        self.full, self.eps = check_bool(self.name, "full", full), check_float(self.name, "eps", eps)

    def forward(self, ctx, input, target):  # noqa: A002 - MindSpore's argument name
        one = input.dtype.type
        ctx.input, ctx.target, ctx.e = input, target, None
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            if self.log_input and input.shape == target.shape:
                # NOTE: chunk by chunk; exp(input) is kept for the backward (exp(input) - t)
                out, ctx.e = np.empty_like(input, order="C"), np.empty_like(input, order="C")
                for o, _, e, x, t in in_chunks(out, ctx.e, input, target):
                    np.exp(x, out=e)
                    np.multiply(t, x, out=o)
                    np.subtract(e, o, out=o)                       # exp(input) - t input
            elif self.log_input:                                   # broadcasting
                ctx.e = fresh(np.exp(input))
                out = fresh(np.multiply(target, input))
                np.subtract(ctx.e, out, out=out)
            else:
                out = fresh(np.multiply(target, np.log(input + one(self.eps))))
                np.subtract(input, out, out=out)                   # input - t ln(input + eps)
            if self.full:
                out += self._stirling(target)
        return out

    def _stirling(self, t):
        """(tc + 0.5) ln(tc) - tc + 0.5 ln(2 pi) where tc = max(t, eps) > 1, else 0."""
        one = t.dtype.type
        tc = np.maximum(t, one(self.eps))
        big = tc > 1
        safe = np.where(big, tc, one(1))                           # ln(1) = 0 where the term is unused
        return np.where(big, (safe + one(0.5)) * np.log(safe) - safe + one(HALF_LOG_2PI), one(0))

    def backward(self, ctx, grad):
        x, t, needs = ctx.input, ctx.target, ctx.needs_input_grad
        one = x.dtype.type
        grad_x = grad_t = None
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            if needs[0]:
                if self.log_input:
                    e, ctx.e = ctx.e, None                         # NOTE: take the saved exp(input) over
                    if e is None:
                        e = np.exp(x)
                    fits = e.shape == np.broadcast_shapes(e.shape, t.shape)
                    grad_x = np.subtract(e, t, out=e if fits else None)   # exp(input) - t
                else:
                    grad_x = np.subtract(one(1), t / (x + one(self.eps)))   # 1 - t / (input + eps)
                grad_x = scaled(fresh(grad_x), grad)
            if needs[1]:
                grad_t = -x if self.log_input else -np.log(x + one(self.eps))
                if self.full:
                    eps = one(self.eps)
                    tc = np.maximum(t, eps)
                    big = tc > 1
                    safe = np.where(big, tc, one(1))
                    share = (t > eps) + one(0.5) * (t == eps)
                    grad_t = grad_t + np.where(big, np.log(safe) + one(0.5) / safe, one(0)) * share
                grad_t = scaled(fresh(np.asarray(grad_t, x.dtype)), grad)
        return grad_x, grad_t


class KLDivergence(FusedLoss):
    """out = labels * (ln(labels) - logits) where labels > 0, else 0 (labels <= 0 or nan)

    ``logits`` are log-probabilities, used as given. The true derivative
    d/dlogits = -labels where labels > 0, and 0 where the value is the constant 0
    (decision D8; MindSpore gives -labels there too). ``labels`` are the target
    distribution and get no gradient (as MindSpore). Same shape and dtype.
    """

    def forward(self, ctx, logits, labels):
        # NOTE: min > 0 (a reduction, no temporary) says whether any element is masked
        masked = None if labels.size and labels.min() > 0 else ~(labels > 0)
        out = np.empty(labels.shape, labels.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):   # ln(0) = -inf, 0 * -inf = nan: masked below
            for o, _, x, y in in_chunks(out, logits, labels):
                np.log(y, out=o)                    # ln(labels)
                o -= x
                o *= y                              # labels (ln(labels) - logits)
        if masked is not None:
            out[masked] = 0
        ctx.labels, ctx.masked = labels, masked
        return out

    def backward(self, ctx, grad):
        if not ctx.needs_input_grad[0]:
            return None, None
        constant = broadcast_value(grad)
        if constant is not None:
            g = fresh(np.multiply(ctx.labels, -constant))          # -labels * grad, one pass
        else:
            g = fresh(np.negative(ctx.labels) * grad)
        if ctx.masked is not None:
            g[ctx.masked] = 0
        return g, None
