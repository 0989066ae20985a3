"""``Tensor``: a numpy array that remembers how it was computed.

Dtypes follow MindSpore: a Python float becomes float32, a Python int int64, a
bool bool; numpy arrays keep their dtype (float64 works end to end).
``print(t)`` prints exactly what numpy prints for the same array.
Arithmetic operators (``+ - * / ** @``, ``abs``, indexing...) and methods
(``t.sum()``, ``t.reshape(2, 3)``...) each run one primitive
(``elementwise.py``, ``reduction.py``, ``array_ops.py`` beside this file), so
they are recorded in the graph like any op. Comparisons return bool tensors
and record nothing.
"""
import numpy as np

from . import dtype as _dtype
from .autograd import backprop, ones_seed


def to_array(value, dtype=None):
    """Convert Python / numpy data to a new ndarray with MindSpore's dtype rules.

    With ``dtype`` given, Python numbers and lists are made in that dtype
    directly (``Tensor(0.1, float64)`` is the float64 nearest 0.1).
    """
    np_dtype = None if dtype is None else _dtype.to_numpy(dtype, "Tensor")
    if isinstance(value, Tensor):
        array = value._data.copy()
    elif isinstance(value, (np.ndarray, np.generic)):  # numpy data keeps its dtype
        array = np.array(value)
    elif isinstance(value, (bool, int, float)):  # bool before int: True is an int too
        default = np.bool_ if isinstance(value, bool) else np.int64 if isinstance(value, int) else np.float32
        array = np.array(value, dtype=default if np_dtype is None else np_dtype)
    elif isinstance(value, (list, tuple)):
        try:
            array = np.array([v.asnumpy() if isinstance(v, Tensor) else v for v in value], dtype=np_dtype)
        except ValueError:
            raise ValueError("For 'Tensor', the 'input_data' must be rectangular (every row of the same length), "
                             f"but got {_short(value)}.") from None
        if np_dtype is None and array.dtype == np.float64 and not _holds_numpy_float64(value):
            array = array.astype(np.float32)
    else:
        raise TypeError(
            f"For 'Tensor', the 'input_data' must be a Tensor, numpy array, list, tuple, "
            f"bool, int or float, but got {type(value).__name__}.")
    if np_dtype is not None:
        array = array.astype(np_dtype, copy=False)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"For 'Tensor', the 'input_data' must hold bools or numbers, but got {array.dtype.name} "
                        f"data: {_short(value)}.")
    return array


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _holds_numpy_float64(values):
    for v in values:
        if isinstance(v, (list, tuple)):
            if _holds_numpy_float64(v):
                return True
        elif isinstance(v, (np.ndarray, np.float64)) and getattr(v, "dtype", None) == np.float64:
            return True
    return False


class Tensor:
    """An n-dimensional array with an optional gradient history.

    >>> t = Tensor(np.array([[1, 0, 2], [1, 2, 3]], np.float32))
    >>> print(t)
    [[1. 0. 2.]
     [1. 2. 3.]]
    """

    __slots__ = ("_data", "_node", "requires_grad", "grad", "__weakref__")
    __array_ufunc__ = None  # ndarray + Tensor calls Tensor.__radd__, which refuses the ndarray clearly

    def __init__(self, input_data=None, dtype=None, requires_grad=False):
        if input_data is None:
            raise TypeError("For 'Tensor', 'input_data' must not be None.")
        self._data = to_array(input_data, dtype)
        self._node = None
        self.requires_grad = requires_grad
        self.grad = None

    @classmethod
    def _wrap(cls, data, node=None):
        """Fast internal constructor: no conversion, no copy."""
        tensor = object.__new__(Tensor)
        tensor._data = data
        tensor._node = node
        tensor.requires_grad = node is not None
        tensor.grad = None
        return tensor

    # ----- numpy-like attributes -----
    def asnumpy(self):
        """The data as a numpy array (a 0-d array for a scalar)."""
        return self._data

    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return _dtype.from_numpy(self._data.dtype)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def T(self):
        """The transpose: the axes in reverse order."""
        return self.transpose()

    def item(self):
        return self._data.item()

    def __float__(self):
        return float(self._data.item())  # any size-1 tensor, as numpy < 2.x allowed

    def __int__(self):
        return int(self._data.item())

    def __bool__(self):
        return bool(self._data)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self._data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def __str__(self):
        return str(self._data)

    def __repr__(self):
        value = f" {self._data}" if self._data.ndim == 0 else f"\n{self._data}"
        return f"Tensor(shape={list(self._data.shape)}, dtype={self.dtype}, value={value})"


    # ----- autodiff -----
    @property
    def is_leaf(self):
        return self._node is None

    def backward(self, grad=None):
        """Accumulate d(sum(grad * self))/d(leaf) into ``leaf.grad`` for every leaf.

        Calling it twice adds the gradients up, as in PyTorch; reset with
        ``leaf.grad = None``. ``lossviz.grad`` / ``value_and_grad`` leave no
        such state behind.
        """
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad (no graph was recorded).")
        seed = ones_seed(self) if grad is None else to_array(grad, self._data.dtype)
        for leaf, leaf_grad in backprop([self], [seed]).items():
            leaf.grad = Tensor._wrap(leaf_grad) if leaf.grad is None else Tensor._wrap(leaf.grad._data + leaf_grad)

    def detach(self):
        """The same data without a gradient history."""
        return Tensor._wrap(self._data)

    # ----- operators: each one is a primitive (made at the bottom of this file) -----
    def __add__(self, other):
        return _add(self, other)

    def __radd__(self, other):
        return _add(other, self)

    def __sub__(self, other):
        return _sub(self, other)

    def __rsub__(self, other):
        return _sub(other, self)

    def __mul__(self, other):
        return _mul(self, other)

    def __rmul__(self, other):
        return _mul(other, self)

    def __truediv__(self, other):
        return _div(self, other)

    def __rtruediv__(self, other):
        return _div(other, self)

    def __pow__(self, other):
        return _pow(self, other)

    def __rpow__(self, other):
        return _pow(other, self)

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    def __neg__(self):
        return _neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _abs(self)

    def __getitem__(self, index):
        return _getitem(self, index)

    # ----- comparisons: bool tensors, no gradient -----
    def __lt__(self, other):
        return Tensor._wrap(np.asarray(self._data < _array(other)))

    def __le__(self, other):
        return Tensor._wrap(np.asarray(self._data <= _array(other)))

    def __gt__(self, other):
        return Tensor._wrap(np.asarray(self._data > _array(other)))

    def __ge__(self, other):
        return Tensor._wrap(np.asarray(self._data >= _array(other)))

    def __eq__(self, other):
        return Tensor._wrap(np.asarray(self._data == _array(other)))

    def __ne__(self, other):
        return Tensor._wrap(np.asarray(self._data != _array(other)))

    __hash__ = object.__hash__  # by identity (``==`` is elementwise), so tensors can key dicts and sets

    # ----- methods -----
    def abs(self):
        return _abs(self)

    def exp(self):
        return _exp(self)

    def log(self):
        return _log(self)

    def sqrt(self):
        return _sqrt(self)

    def square(self):
        return _square(self)

    def sign(self):
        return _sign(self)

    def sum(self, axis=None, keepdims=False):
        return _reduce_sum[bool(keepdims)](self, axis)

    def mean(self, axis=None, keep_dims=False):
        return _reduce_mean[bool(keep_dims)](self, axis)

    def max(self, axis=None, keepdims=False):
        return _reduce_max[bool(keepdims)](self, axis)

    def min(self, axis=None, keepdims=False):
        return _reduce_min[bool(keepdims)](self, axis)

    def reshape(self, *shape):
        """``t.reshape(2, 3)`` or ``t.reshape((2, 3))``."""
        return _reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    view = reshape

    def transpose(self, *perm):
        """``t.transpose(1, 0)``, ``t.transpose((1, 0))``; no argument reverses the axes."""
        if len(perm) == 1 and not isinstance(perm[0], int):
            perm = perm[0]
        return _transpose(self, perm or tuple(reversed(range(self.ndim))))

    def expand_dims(self, axis):
        return _expand_dims(self, axis)

    def astype(self, dtype):
        return _cast(self, dtype)

    def matmul(self, other):
        return _matmul(self, other)


def _array(value):
    return value._data if isinstance(value, Tensor) else value


# The primitives behind the operators. They build Tensors, so their modules
# import this one: they are imported here, once the class exists.
from . import array_ops, elementwise, reduction  # noqa: E402

_add, _sub, _mul, _div, _pow = (elementwise.Add(), elementwise.Sub(), elementwise.Mul(), elementwise.Div(),
                                elementwise.Pow())
_neg, _abs, _sign, _cast = elementwise.Neg(), elementwise.Abs(), elementwise.Sign(), elementwise.Cast()
_exp, _log, _sqrt, _square = elementwise.Exp(), elementwise.Log(), elementwise.Sqrt(), elementwise.Square()
_matmul, _getitem = array_ops.MatMul(), array_ops.GetItem()
_reshape, _transpose, _expand_dims = array_ops.Reshape(), array_ops.Transpose(), array_ops.ExpandDims()
_reduce_sum = (reduction.ReduceSum(False), reduction.ReduceSum(True))      # indexed by keepdims
_reduce_mean = (reduction.ReduceMean(False), reduction.ReduceMean(True))
_reduce_max = (reduction.ReduceMax(False), reduction.ReduceMax(True))
_reduce_min = (reduction.ReduceMin(False), reduction.ReduceMin(True))
