"""Lowercase functional forms (``ops.abs(x)``, ``ops.mean(x, axis)``...).

Each one calls the same primitive class as ``ops.Abs()``: one implementation.
"""
from .._engine import array_ops as _a
from .._engine import elementwise as _e
from .._engine import reduction as _r
from . import network as _n

_abs, _neg, _sign, _square, _sqrt = _e.Abs(), _e.Neg(), _e.Sign(), _e.Square(), _e.Sqrt()
_exp, _log, _sigmoid, _relu, _cast = _e.Exp(), _e.Log(), _e.Sigmoid(), _e.ReLU(), _e.Cast()
_add, _sub, _mul, _div, _pow = _e.Add(), _e.Sub(), _e.Mul(), _e.Div(), _e.Pow()
_maximum, _minimum, _select = _e.Maximum(), _e.Minimum(), _e.Select()
_zeros_like, _ones_like = _e.ZerosLike(), _e.OnesLike()
_reshape, _expand_dims, _transpose, _gather, _getitem = _a.Reshape(), _a.ExpandDims(), _a.Transpose(), _a.Gather(), _a.GetItem()
_reductions = {(cls, keep): cls(keep) for cls in (_r.ReduceSum, _r.ReduceMean, _r.ReduceMax, _r.ReduceMin)
               for keep in (False, True)}
_dense = _n.Dense()
_matmuls = {(ta, tb): _a.MatMul(ta, tb) for ta in (False, True) for tb in (False, True)}


def abs(x):  # noqa: A001 - mirrors mindspore.ops.abs
    return _abs(x)


def neg(x):
    return _neg(x)


def sign(x):
    return _sign(x)


def square(x):
    return _square(x)


def sqrt(x):
    return _sqrt(x)


def exp(x):
    return _exp(x)


def log(x):
    return _log(x)


def sigmoid(x):
    return _sigmoid(x)


def relu(x):
    return _relu(x)


def add(x, y):
    return _add(x, y)


def sub(x, y):
    return _sub(x, y)


def mul(x, y):
    return _mul(x, y)


def div(x, y):
    return _div(x, y)


def pow(x, y):  # noqa: A001
    return _pow(x, y)


def maximum(x, y):
    return _maximum(x, y)


def minimum(x, y):
    return _minimum(x, y)


def select(cond, x, y):
    return _select(cond, x, y)


def cast(x, dtype):
    return _cast(x, dtype)


def zeros_like(x):
    return _zeros_like(x)


def ones_like(x):
    return _ones_like(x)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return _reductions[_r.ReduceSum, keepdims](x, axis)


def mean(x, axis=None, keep_dims=False):
    return _reductions[_r.ReduceMean, keep_dims](x, axis)


def amax(x, axis=None, keepdims=False):
    return _reductions[_r.ReduceMax, keepdims](x, axis)


def amin(x, axis=None, keepdims=False):
    return _reductions[_r.ReduceMin, keepdims](x, axis)


def matmul(x, y):
    return _matmuls[False, False](x, y)


def reshape(x, shape):
    return _reshape(x, shape)


def expand_dims(x, axis):
    return _expand_dims(x, axis)


def transpose(x, perm):
    return _transpose(x, perm)


def concat(tensors, axis=0):
    return _a.Concat(axis)(tensors)


cat = concat


def gather(x, indices, axis=0):
    return _gather(x, indices, axis)


def one_hot(indices, depth, on_value=1.0, off_value=0.0, axis=-1):
    return _a.OneHot(axis)(indices, depth, on_value, off_value)


def softmax(x, axis=-1):
    return _n.Softmax(axis)(x)


def log_softmax(x, axis=-1):
    return _n.LogSoftmax(axis)(x)


def dense(x, weight, bias=None):
    """x @ weight.T + bias (bias optional), as one op."""
    return _dense(x, weight) if bias is None else _dense(x, weight, bias)
