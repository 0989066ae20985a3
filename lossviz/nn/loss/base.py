"""``LossBase``: the base class of every loss, and the one place where a loss is reduced."""
import inspect

import numpy as np

from ... import ops
from ..._engine.tensor import Tensor
from ..cell import Cell
from .checks import check_broadcast, check_reduction, check_tensor, describe

_cast, _mul, _reduce_mean, _reduce_sum = ops.Cast(), ops.Mul(), ops.ReduceMean(), ops.ReduceSum()


class LossBase(Cell):
    """Base class of losses: compute the unreduced loss in ``construct``, end with ``self.get_loss(x)``.

    ``reduction`` is 'mean' (default), 'sum' or 'none', checked here, once (a
    ValueError names your class), and kept in ``self.reduction``.

    >>> import lossviz.ops as ops
    >>> class MyL1Loss(LossBase):
    ...     def __init__(self, reduction="mean"):
    ...         super(MyL1Loss, self).__init__(reduction)
    ...         self.abs = ops.Abs()
    ...     def construct(self, base, target):
    ...         return self.get_loss(self.abs(base - target))
    >>> print(MyL1Loss()(Tensor([1., 2., 3.]), Tensor([0., 2., 5.])))
    1.0
    >>> print(MyL1Loss("none")(Tensor([1., 2., 3.]), Tensor([0., 2., 5.])))
    [1. 0. 2.]
    """

    # The names of construct's inputs, for error messages (a functional form uses its own).
    input_names = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "construct" in cls.__dict__:
            parameters = list(inspect.signature(cls.construct).parameters)[1:]
            cls.input_names = tuple(parameters)

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = check_reduction(self.cls_name, reduction)

    def get_axis(self, x):
        """All axes of x: ``(0, 1, ..., x.ndim - 1)``; ``()`` for a scalar."""
        return tuple(range(x.ndim))

    def get_loss(self, x, weights=1.0):
        """Weight the loss of each element, then reduce it with ``self.reduction``:

            'mean' -> sum(weights * x) / (number of elements)    a scalar
            'sum'  -> sum(weights * x)                           a scalar
            'none' -> weights * x                                x's shape (broadcast with weights)

        ``weights`` is a number or a Tensor that broadcasts against x; 'mean'
        divides by the number of elements, never by the sum of the weights.
        The arithmetic is done in float32 (float64 for float64 x) and the
        result has x's dtype.
        """
        check_tensor(self.cls_name, "x", x)
        input_dtype = x._data.dtype
        work = np.float64 if input_dtype == np.float64 else np.float32
        x = _in_dtype(x, work)
        if not (isinstance(weights, (int, float)) and weights == 1):     # x * 1 is x: skip a pass
            x = _mul(x, _in_dtype(self._weights_tensor(x, weights), work))
        if self.reduction == "mean":
            x = _reduce_mean(x, self.get_axis(x))
        elif self.reduction == "sum":
            x = _reduce_sum(x, self.get_axis(x))
        return _in_dtype(x, input_dtype)

    def _weights_tensor(self, x, weights):
        if isinstance(weights, Tensor):
            check_broadcast(self.cls_name, "x", x.shape, "weights", weights.shape)
            return weights
        if isinstance(weights, (bool, int, float, np.number)):
            return Tensor._wrap(np.asarray(weights, x._data.dtype))
        raise TypeError(f"For '{self.cls_name}', the 'weights' must be a number or a Tensor, "
                        f"but got {describe(weights)}.")


def _in_dtype(x, dtype):
    """x cast to ``dtype`` (no op when it has it already)."""
    return x if x._data.dtype == dtype else _cast(x, dtype)
