"""Activation primitives over an axis: ``Softmax`` and ``LogSoftmax``."""
import numpy as np

from .primitive import Primitive


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
        self.axis = axis

    def forward(self, ctx, x):
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        ctx.out = e / e.sum(axis=self.axis, keepdims=True)
        return ctx.out

    def backward(self, ctx, grad):
        out = ctx.out
        return out * (grad - (grad * out).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Primitive):
    """out = x - log(sum(e^x)) along ``axis``;  dx = g - softmax(x) * sum(g)"""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, ctx, x):
        ctx.out = log_softmax_array(x, self.axis)
        return ctx.out

    def backward(self, ctx, grad):
        return grad - np.exp(ctx.out) * grad.sum(axis=self.axis, keepdims=True)
