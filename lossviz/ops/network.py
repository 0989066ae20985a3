"""Network primitives: ``Softmax`` and ``LogSoftmax`` over an axis, and the fused ``Dense``."""
import numpy as np

from .._engine.checks import check_axis, check_int
from .._engine.primitive import Primitive


def log_softmax_array(x, axis):
    """log softmax with numpy, stably.

    NOTE: subtracting the row max before exp keeps exp() from overflowing; the
    result is unchanged because softmax(x) = softmax(x - c).
    """
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Primitive):
    """out = e^x / sum(e^x) along ``axis``;  dx = out * (g - sum(g * out))"""

    def __init__(self, axis=-1):
        self.axis = check_int("Softmax", "axis", axis)

    def forward(self, ctx, x):
        check_axis("Softmax", self.axis, x.ndim)
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        ctx.out = e / e.sum(axis=self.axis, keepdims=True)
        return ctx.out

    def backward(self, ctx, grad):
        out = ctx.out
        return out * (grad - (grad * out).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Primitive):
    """out = x - log(sum(e^x)) along ``axis``;  dx = g - softmax(x) * sum(g)"""

    def __init__(self, axis=-1):
        self.axis = check_int("LogSoftmax", "axis", axis)

    def forward(self, ctx, x):
        check_axis("LogSoftmax", self.axis, x.ndim)
        ctx.out = log_softmax_array(x, self.axis)
        return ctx.out

    def backward(self, ctx, grad):
        return grad - np.exp(ctx.out) * grad.sum(axis=self.axis, keepdims=True)


class Dense(Primitive):
    """out = x @ weight.T + bias  (``nn.Dense``'s matmul and bias add as one op)

    Gradients, for x of shape (N, in), weight (out, in), bias (out,)::

        d/dx      = grad @ weight          (N, in)
        d/dweight = grad.T @ x             (out, in)
        d/dbias   = sum of grad over rows  (out,)

    It gives the same numbers as ``ops.MatMul(transpose_b=True)`` followed by
    ``+ bias`` (the tests check this) with one graph node instead of two: the
    tutorial's training step is tiny, so Python overhead per op dominates.
    """

    def forward(self, ctx, x, weight, *bias):
        if weight.ndim != 2 or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
            expected = f"(out_channels, {x.shape[-1]})" if x.ndim else "(out_channels, in_channels)"
            raise ValueError(f"For 'Dense', the 'weight' must have the shape {expected} for an input 'x' of "
                             f"shape {x.shape}, but got {weight.shape}.")
        if bias and bias[0].shape != weight.shape[:1]:
            raise ValueError(f"For 'Dense', the 'bias' must have the shape {weight.shape[:1]}, "
                             f"but got {bias[0].shape}.")
        ctx.x, ctx.weight = x, weight
        out = x @ weight.T
        if bias:
            out += bias[0]
        return out

    def backward(self, ctx, grad):
        grad_x = grad @ ctx.weight if ctx.needs_input_grad[0] else None
        grad_w = grad.T @ ctx.x
        return grad_x, grad_w, np.add.reduce(grad, axis=0)
