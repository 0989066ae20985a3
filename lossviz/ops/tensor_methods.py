"""Tensor operators and methods, each one a primitive of ``lossviz.ops``.

``a + b`` is ``ops.Add()(a, b)``; ``t.sum()`` is ``ops.ReduceSum()(t)``.
Comparisons return bool tensors and record no graph.
"""
import numpy as np

from .._engine.tensor import Tensor
from . import functional as F


def _data(value):
    return value.asnumpy() if isinstance(value, Tensor) else value


def _compare(ufunc):
    def method(self, other):
        return Tensor._wrap(np.asarray(ufunc(self._data, _data(other))))
    return method


def install():
    T = Tensor
    T.__add__ = lambda a, b: F._add(a, b)
    T.__radd__ = lambda a, b: F._add(b, a)
    T.__sub__ = lambda a, b: F._sub(a, b)
    T.__rsub__ = lambda a, b: F._sub(b, a)
    T.__mul__ = lambda a, b: F._mul(a, b)
    T.__rmul__ = lambda a, b: F._mul(b, a)
    T.__truediv__ = lambda a, b: F._div(a, b)
    T.__rtruediv__ = lambda a, b: F._div(b, a)
    T.__pow__ = lambda a, b: F._pow(a, b)
    T.__rpow__ = lambda a, b: F._pow(b, a)
    T.__matmul__ = lambda a, b: F.matmul(a, b)
    T.__rmatmul__ = lambda a, b: F.matmul(b, a)
    T.__neg__ = lambda a: F._neg(a)
    T.__pos__ = lambda a: a
    T.__abs__ = lambda a: F._abs(a)
    T.__getitem__ = lambda a, index: F._getitem(a, index)
    T.__lt__, T.__le__ = _compare(np.less), _compare(np.less_equal)
    T.__gt__, T.__ge__ = _compare(np.greater), _compare(np.greater_equal)
    T.__eq__, T.__ne__ = _compare(np.equal), _compare(np.not_equal)
    T.__hash__ = object.__hash__  # assigning __eq__ keeps it, but say so: tensors hash by identity
    T.abs = F.abs
    T.exp, T.log, T.sqrt, T.square, T.sign = F.exp, F.log, F.sqrt, F.square, F.sign
    T.sum = lambda a, axis=None, keepdims=False: F.sum(a, axis, keepdims)
    T.mean = lambda a, axis=None, keep_dims=False: F.mean(a, axis, keep_dims)
    T.max = lambda a, axis=None, keepdims=False: F.amax(a, axis, keepdims)
    T.min = lambda a, axis=None, keepdims=False: F.amin(a, axis, keepdims)
    T.reshape = lambda a, *shape: F.reshape(a, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)
    T.view = T.reshape
    T.transpose = lambda a, *perm: F.transpose(a, perm[0] if len(perm) == 1 and not isinstance(perm[0], int)
                                                 else (perm or tuple(reversed(range(a.ndim)))))
    T.expand_dims = F.expand_dims
    T.astype = lambda a, dtype: F.cast(a, dtype)
    T.matmul = F.matmul
