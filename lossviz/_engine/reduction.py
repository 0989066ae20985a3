"""Reductions over axes: ``ReduceSum``, ``ReduceMean``, ``ReduceMax``.

Called as ``op(x, axis)``, where ``axis`` is an int, a tuple/list of ints, or
nothing / ``()`` for all axes; ``keep_dims`` is set when the op is built.
"""
import functools
import math

import numpy as np

from .autograd import broadcast
from .primitive import Primitive, apply


def normalize_axis(op_name, axis, ndim):
    """An int / tuple / list / () as a sorted tuple of non-negative axes."""
    if type(axis) is tuple or type(axis) is int:        # NOTE: hashable: remembered (Python overhead per op)
        return _normalized(op_name, axis, ndim)
    return _normalize(op_name, axis, ndim)


@functools.lru_cache(maxsize=256)
def _normalized(op_name, axis, ndim):
    return _normalize(op_name, axis, ndim)


def _normalize(op_name, axis, ndim):
    if axis is None or (isinstance(axis, (tuple, list)) and len(axis) == 0):
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"For '{op_name}', the 'axis' must be an int, a tuple or a list of ints, but got {axis!r}.")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"For '{op_name}', the 'axis' must be in range [{-max(ndim, 1)}, {max(ndim, 1)}), but got {a}.")
        result.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(result))) if ndim else ()


def _kept_shape(shape, axes):
    """``shape`` with the reduced axes set to 1: the shape of a keep_dims result."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class _Reduce(Primitive):
    def __init__(self, keep_dims=False):
        if not isinstance(keep_dims, bool):
            raise TypeError(f"For '{self.name}', 'keep_dims' must be a bool, but got {type(keep_dims).__name__}.")
        self.keep_dims = keep_dims

    def __call__(self, x, axis=()):
        ndim = x.ndim if hasattr(x, "ndim") else 0
        return apply(self, x, axes=normalize_axis(self.name, axis, ndim))


class ReduceSum(_Reduce):
    """out = sum of x over ``axis``;  every summed element gets the gradient 1"""

    def forward(self, ctx, x, axes):
        ctx.shape, ctx.axes = x.shape, axes
        return x.sum(axis=axes, keepdims=self.keep_dims)

    def backward(self, ctx, grad):
        return broadcast(grad.reshape(_kept_shape(ctx.shape, ctx.axes)), ctx.shape)   # a view (see autograd)


class ReduceMean(_Reduce):
    """out = mean of x over ``axis``;  every element gets the gradient 1/count

    Integer input gives an integer mean truncated toward zero, as MindSpore.
    """

    def forward(self, ctx, x, axes):
        ctx.shape, ctx.axes = x.shape, axes
        sum_ = x.sum(axis=axes, keepdims=self.keep_dims)
        ctx.count = x.size // max(sum_.size, 1) if x.size else math.prod(x.shape[a] for a in axes)
        mean = sum_ / ctx.count  # as x.mean(), with less overhead
        if x.dtype.kind in "iu":
            return np.trunc(mean).astype(x.dtype)
        return mean if mean.dtype == x.dtype else mean.astype(x.dtype)

    def backward(self, ctx, grad):
        kept_shape = _kept_shape(ctx.shape, ctx.axes)
        return broadcast(grad.reshape(kept_shape) / ctx.count, ctx.shape)       # a view (see autograd)


class _ReduceExtreme(_Reduce):
    pick = None  # np.max or np.min

    def forward(self, ctx, x, axes):
        out = type(self).pick(x, axis=axes, keepdims=True)
        ctx.mask, ctx.axes, ctx.kept_shape = x == out, axes, out.shape
        return out if self.keep_dims else np.squeeze(out, axis=axes)

    def backward(self, ctx, grad):
        ties = ctx.mask.sum(axis=ctx.axes, keepdims=True)
        return grad.reshape(ctx.kept_shape) * ctx.mask / ties


class ReduceMax(_ReduceExtreme):
    """out = max of x over ``axis``;  the gradient goes to the maximum, split evenly among ties"""

    pick = np.max


class ReduceMin(_ReduceExtreme):
    """out = min of x over ``axis``;  the gradient goes to the minimum, split evenly among ties"""

    pick = np.min
