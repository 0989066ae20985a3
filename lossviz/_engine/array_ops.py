"""Shape and indexing primitives: their gradients move values back into place."""
import numpy as np

from .checks import OutOfRange, check_axis, check_int
from .tensor import Tensor
from .primitive import Primitive, apply


class Reshape(Primitive):
    """out = x with a new shape (``ops.Reshape()(x, (2, -1))``);  grad reshaped back"""

    def __call__(self, x, shape):
        shape = (shape,) if isinstance(shape, int) else shape
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"For 'Reshape', the 'shape' must be an int or a tuple of ints, "
                            f"but got {type(shape).__name__}.")
        return apply(self, x, shape=tuple(check_int("Reshape", "shape", n, minimum=-1) for n in shape))

    def forward(self, ctx, x, shape):
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"For 'Reshape', can not reshape a tensor of shape {x.shape} to {shape}.") from None

    def backward(self, ctx, grad):
        return grad.reshape(ctx.shape)


class ExpandDims(Primitive):
    """out = x with a new size-1 axis at ``axis`` (``ops.ExpandDims()(x, 0)``)"""

    def __call__(self, x, axis):
        return apply(self, x, axis=axis)

    def forward(self, ctx, x, axis):
        axis = check_axis("ExpandDims", axis, x.ndim + 1)   # the new axis may go after the last one
        ctx.shape = x.shape
        return np.expand_dims(x, axis)

    def backward(self, ctx, grad):
        return grad.reshape(ctx.shape)


class Squeeze(Primitive):
    """out = x without its size-1 axes (all, or those in ``axis``)"""

    def __init__(self, axis=()):
        if not isinstance(axis, (int, tuple, list)):
            raise TypeError(f"For 'Squeeze', the 'axis' must be an int or a tuple of ints, but got {type(axis).__name__}.")
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        self.axis = tuple(check_int("Squeeze", "axis", a) for a in axes)

    def forward(self, ctx, x):
        axes = tuple(check_axis("Squeeze", a, x.ndim) for a in self.axis)
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"For 'Squeeze', the axis {a} to squeeze must have size 1, but the input's "
                                 f"shape is {x.shape}.")
        ctx.shape = x.shape
        return np.squeeze(x, axis=axes or None)

    def backward(self, ctx, grad):
        return grad.reshape(ctx.shape)


class Transpose(Primitive):
    """out = x with axes permuted (``ops.Transpose()(x, (1, 0))``);  grad permuted back"""

    def __call__(self, x, perm):
        if not isinstance(perm, (tuple, list)):
            raise TypeError(f"For 'Transpose', the 'input_perm' must be a tuple of ints, but got {type(perm).__name__}.")
        return apply(self, x, perm=tuple(perm))

    def forward(self, ctx, x, perm):
        if len(perm) != x.ndim:
            raise ValueError(f"For 'Transpose', the 'input_perm' must be a permutation of the {x.ndim} axes, "
                             f"but got {perm}.")
        perm = tuple(check_axis("Transpose", p, x.ndim, "input_perm") for p in perm)
        if sorted(perm) != list(range(x.ndim)):
            raise ValueError(f"For 'Transpose', the 'input_perm' must be a permutation of the {x.ndim} axes, "
                             f"but got {perm}.")
        ctx.inverse = tuple(sorted(range(x.ndim), key=perm.__getitem__))  # where each axis went
        return x.transpose(perm)

    def backward(self, ctx, grad):
        return grad.transpose(ctx.inverse)


class BroadcastTo(Primitive):
    """out = x broadcast to ``shape``;  grad summed back (by the engine)"""

    def __init__(self, shape):
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"For 'BroadcastTo', the 'shape' must be a tuple of ints, but got {type(shape).__name__}.")
        self.shape = tuple(check_int("BroadcastTo", "shape", n, minimum=0) for n in shape)

    def forward(self, ctx, x):
        try:
            return np.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(f"For 'BroadcastTo', the input of shape {x.shape} can not broadcast to the 'shape' "
                             f"{self.shape}.") from None

    def backward(self, ctx, grad):
        return grad


class Concat(Primitive):
    """out = the tensors of a tuple joined along ``axis`` (``ops.Concat(1)((a, b))``)"""

    def __init__(self, axis=0):
        self.axis = check_int("Concat", "axis", axis)

    def __call__(self, tensors):
        if not isinstance(tensors, (tuple, list)):
            raise TypeError(f"For 'Concat', the input must be a tuple or list of Tensors, but got {type(tensors).__name__}.")
        if not tensors:
            raise ValueError("For 'Concat', the input must hold at least one Tensor, but got an empty sequence.")
        return apply(self, *tensors)

    def forward(self, ctx, *xs):
        first = xs[0]
        if first.ndim == 0:
            raise ValueError("For 'Concat', the inputs must be at least 1-D, but got a 0-d tensor.")
        axis = check_axis("Concat", self.axis, first.ndim)
        for x in xs[1:]:
            if x.ndim != first.ndim or x.shape[:axis] + x.shape[axis + 1:] != first.shape[:axis] + first.shape[axis + 1:]:
                raise ValueError(f"For 'Concat', the inputs must have the same shape except along axis {axis}, "
                                 f"but got {first.shape} and {x.shape}.")
        ctx.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        ctx.axis = axis
        return np.concatenate(xs, axis=axis)

    def backward(self, ctx, grad):
        return tuple(np.split(grad, ctx.splits, axis=ctx.axis))


class Gather(Primitive):
    """out = x's slices at ``indices`` along ``axis`` (``ops.Gather()(x, idx, 0)``)

    The gradient scatter-adds back into a zero tensor (repeated indices add up).
    """

    def __call__(self, x, indices, axis=0):
        idx = indices.asnumpy() if isinstance(indices, Tensor) else np.asarray(indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"For 'Gather', the 'input_indices' must be an int Tensor, but got {idx.dtype}.")
        return apply(self, x, indices=idx, axis=axis)

    def forward(self, ctx, x, indices, axis):
        if x.ndim == 0:
            raise ValueError("For 'Gather', the 'input_params' must be at least 1-D, but got a 0-d tensor.")
        axis = check_axis("Gather", axis, x.ndim)
        size = x.shape[axis]
        if indices.size and (indices.min() < 0 or indices.max() >= size):
            bad = indices[(indices < 0) | (indices >= size)].flat[0]
            raise ValueError(f"For 'Gather', the 'input_indices' should be in the range [0, {size}), but got {bad}.")
        ctx.shape, ctx.indices, ctx.axis = x.shape, indices, axis
        return np.take(x, indices, axis=axis)

    def backward(self, ctx, grad):
        out = np.zeros(ctx.shape, grad.dtype)
        moved = np.moveaxis(out, ctx.axis, 0)
        g = np.moveaxis(grad, range(ctx.axis, ctx.axis + ctx.indices.ndim), range(ctx.indices.ndim))
        np.add.at(moved, ctx.indices, g)
        return out


class GetItem(Primitive):
    """out = x[index] (numpy indexing);  the gradient is scattered back into place"""

    def __call__(self, x, index):
        return apply(self, x, index=_index_arrays(index))

    def forward(self, ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        try:
            return x[index]
        except IndexError as error:   # OutOfRange is an IndexError too: iteration and `except IndexError` rely on it
            raise OutOfRange(f"For 'GetItem', {error} (the tensor's shape is {x.shape}).") from None

    def backward(self, ctx, grad):
        out = np.zeros(ctx.shape, grad.dtype)
        np.add.at(out, ctx.index, grad)
        return out


def _index_arrays(index):
    if isinstance(index, Tensor):
        return index.asnumpy()
    if isinstance(index, tuple):
        return tuple(i.asnumpy() if isinstance(i, Tensor) else i for i in index)
    return index


class OneHot(Primitive):
    """out[..., j] = on_value if indices == j else off_value;  no gradient to indices

    ``ops.OneHot()(indices, depth, on_value, off_value)``; indices outside
    ``[0, depth)`` give an all-off row.
    """

    def __init__(self, axis=-1):
        self.axis = check_int("OneHot", "axis", axis)

    def __call__(self, indices, depth, on_value=1.0, off_value=0.0):
        if not isinstance(indices, Tensor) or indices.dtype.np_dtype.kind not in "iu":
            got = indices.dtype if isinstance(indices, Tensor) else type(indices).__name__
            raise TypeError(f"For 'OneHot', the 'indices' must be an int32 or int64 Tensor, but got {got}.")
        on = on_value.asnumpy() if isinstance(on_value, Tensor) else np.float32(on_value)
        off = off_value.asnumpy() if isinstance(off_value, Tensor) else np.float32(off_value)
        return apply(self, indices, depth=check_int("OneHot", "depth", depth, minimum=0), on=on, off=off)

    def forward(self, ctx, indices, depth, on, off):
        check_axis("OneHot", self.axis, indices.ndim + 1)
        hot = indices[..., None] == np.arange(depth)
        out = np.where(hot, on, off).astype(np.result_type(on, off), copy=False)
        return np.moveaxis(out, -1, self.axis) if self.axis != -1 else out

    def backward(self, ctx, grad):
        return None


class MatMul(Primitive):
    """out = op(a) @ op(b), op = transpose when asked;  da = g @ op(b)^T, db = op(a)^T @ g"""

    def __init__(self, transpose_a=False, transpose_b=False):
        self.transpose_a, self.transpose_b = transpose_a, transpose_b

    def forward(self, ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"For '{self.name}', the inputs must be at least 1-D, but got shapes {a.shape} "
                             f"and {b.shape}.")
        if self.transpose_a:
            a = a.swapaxes(-1, -2)
        if self.transpose_b:
            b = b.swapaxes(-1, -2)
        if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
            raise ValueError(f"For '{self.name}', the input dimensions must be equal, but got 'x1_col': {a.shape[-1]} "
                             f"and 'x2_row': {b.shape[0 if b.ndim == 1 else -2]}. Shapes: {a.shape} and {b.shape}.")
        if a.dtype != b.dtype:
            raise TypeError(f"For '{self.name}', the inputs must have the same dtype, but got {a.dtype} and {b.dtype}.")
        ctx.a, ctx.b = a, b
        return a @ b

    def backward(self, ctx, grad):
        a, b = ctx.a, ctx.b
        # NOTE: a vector is a matrix with one row (a) or one column (b); lift, multiply, drop the axis again.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad[..., None] if b.ndim == 1 else grad
        g2 = g2[..., None, :] if a.ndim == 1 else g2
        grad_a = g2 @ b2.swapaxes(-1, -2)  # leading batch axes are summed back by the engine
        grad_b = a2.swapaxes(-1, -2) @ g2
        if a.ndim == 1:
            grad_a = grad_a[..., 0, :]
        if b.ndim == 1:
            grad_b = grad_b[..., 0]
        if self.transpose_a:
            grad_a = grad_a.swapaxes(-1, -2)
        if self.transpose_b:
            grad_b = grad_b.swapaxes(-1, -2)
        return grad_a, grad_b


class BatchMatMul(MatMul):
    """out = a @ b over leading batch axes (same rule as MatMul)"""
