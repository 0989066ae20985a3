"""Regression losses: how far a prediction is from a number."""
import math

import numpy as np

from ... import ops
from ..._engine.tensor import Tensor
from ...ops import fused_losses, fused_regression
from .base import LossBase
from .checks import (NUMBERS, check_beta, check_broadcast, check_dtype, check_number_param, check_regression,
                     check_same_shape, check_smooth_l1, check_tensor)

__all__ = ["L1Loss", "MSELoss", "SmoothL1Loss", "MAELoss", "RMSELoss", "HuberLoss", "L1LossExt", "SoftMarginLoss"]


class L1Loss(LossBase):
    """Mean absolute error:  loss = reduce(|logits - labels|).

    Shapes broadcast. 'none' returns the broadcast shape, 'mean'/'sum' a scalar.
    Default reduction='mean'. The gradient is sign(logits - labels) (0 on ties).
    When to use it: regression where outliers should not dominate (every error pulls
    with the same force, so the fit follows the median).

    >>> import numpy as np
    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> logits = Tensor(np.array([[1, 2, 3], [2, 3, 4]], np.float32))
    >>> labels = Tensor(np.array([[0, 2, 5], [3, 1, 1]], np.float32))
    >>> print(nn.L1Loss()(logits, labels))
    1.5
    >>> print(nn.L1Loss(reduction='sum')(logits, labels))
    9.0
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.absolute_error = fused_losses.AbsoluteError()

    def construct(self, logits, labels):
        check_regression(self.cls_name, logits, labels, self.input_names)
        x = self.absolute_error(logits, labels)          # |logits - labels|
        return self.get_loss(x)


class MSELoss(LossBase):
    """Mean squared error:  loss = reduce((logits - labels)^2).

    Shapes broadcast. 'none' returns the broadcast shape, 'mean'/'sum' a scalar.
    Default reduction='mean'. The gradient is 2 (logits - labels).
    When to use it: regression with well-behaved (roughly Gaussian) noise; the fit
    follows the mean, and a far outlier pulls hard (its gradient grows with the error).

    >>> import numpy as np
    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> print(nn.MSELoss()(Tensor(np.array([1., 2.], np.float32)), Tensor(np.array([0., 4.], np.float32))))
    2.5
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.squared_error = fused_losses.SquaredError()

    def construct(self, logits, labels):
        check_regression(self.cls_name, logits, labels, self.input_names)
        x = self.squared_error(logits, labels)           # (logits - labels)^2
        return self.get_loss(x)


class SmoothL1Loss(LossBase):
    """Smooth L1 (Huber-like):  with d = logits - labels,

        loss = 0.5 * d^2 / beta      if |d| < beta
               |d| - 0.5 * beta      otherwise

    Quadratic near 0, linear far away; the two pieces meet at |d| = beta.
    When to use it: regression with some outliers (box regression in detection):
    MSE's smooth minimum for small errors, L1's bounded pull for large ones.
    Shapes must be equal (no broadcasting); float inputs. Defaults beta=1.0,
    reduction='none' (the input's shape); 'mean'/'sum' give a scalar.
    ``beta <= 0`` is refused when the loss is called.

    >>> import numpy as np
    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> print(nn.SmoothL1Loss()(Tensor(np.array([0.5, 3.], np.float32)), Tensor(np.array([0., 0.], np.float32))))
    [0.125 2.5  ]
    """

    def __init__(self, beta=1.0, reduction="none"):
        super().__init__(reduction)
        self.beta = check_beta(self.cls_name, beta)
        self.smooth_l1 = fused_losses.SmoothL1Loss(self.beta)

    def construct(self, logits, labels):
        check_smooth_l1(self.cls_name, logits, labels, self.beta, self.input_names)
        x = self.smooth_l1(logits, labels)
        return self.get_loss(x)

    def extend_repr(self):
        return f"beta={self.beta}, reduction={self.reduction}"


# ----- the rest of MindSpore's regression losses (MAELoss, RMSELoss, HuberLoss, L1LossExt, SoftMarginLoss) -----
# Helpers shared with probabilistic.py: MindSpore's dtype promotion, and the checks these losses share.
_abs, _cast, _square, _sqrt = ops.Abs(), ops.Cast(), ops.Square(), ops.Sqrt()
_UNSIGNED = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64))


def promoted_dtype(*dtypes):
    """MindSpore's promotion: the widest float when any input is float (int32 + float16 -> float16),
    numpy's rule between integers (int8 + int32 -> int32, uint8 + int8 -> int16)."""
    floats = [d for d in dtypes if d.kind == "f"]
    return np.result_type(*floats) if floats else np.result_type(*dtypes)


def in_dtype(tensor, dtype):
    """``tensor`` cast to ``dtype`` with an op (the gradient flows back in its own dtype); no op if it has it."""
    return tensor if tensor._data.dtype == dtype else _cast(tensor, dtype)


def promoted(*tensors):
    """The tensors cast to their promoted dtype (see ``promoted_dtype``)."""
    dtype = promoted_dtype(*(t._data.dtype for t in tensors))
    return tuple(in_dtype(t, dtype) for t in tensors)


def check_numeric_pair(name, names, a, b, same_shape=False):
    """Two numeric Tensors (float or int) whose shapes broadcast (or are equal); returns the broadcast shape."""
    check_tensor(name, names[0], a)
    check_tensor(name, names[1], b)
    check_dtype(name, names[0], a, NUMBERS)
    check_dtype(name, names[1], b, NUMBERS)
    if same_shape:
        check_same_shape(name, names[0], a, names[1], b)
    return check_broadcast(name, names[0], a.shape, names[1], b.shape)


class MAELoss(LossBase):
    """Mean absolute error:  loss = reduce(|logits - label|).

    The same numbers as ``L1Loss`` (MindSpore keeps both names; MAELoss is marked
    deprecated there but still works). Note the second input is called ``label``.

    * logits, label: Tensors of any numeric dtype whose shapes broadcast; 'none'
      returns the broadcast shape, 'mean' (the default) and 'sum' a scalar.
    * Dtypes: an int meeting a float takes the float's dtype; integer inputs give
      an integer loss (the mean is truncated), and unsigned ones wrap before the
      absolute value, as in MindSpore (uint8 1 - 3 = 254).
    * Gradient: sign(logits - label), 0 where they are equal; ``label`` gets the negative.

    Use it when every error should count in proportion to its size (robust to
    outliers, unlike MSE), at the price of a gradient that does not shrink near 0.

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> loss = MAELoss()
    >>> logits = Tensor(np.array([1, 2, 3], np.float32))
    >>> label = Tensor(np.array([1, 2, 2], np.float32))
    >>> print(loss(logits, label))
    0.33333334
    >>> print(MAELoss(reduction='none')(logits, Tensor(np.array([[1, 2, 2], [0, 0, 0]], np.float32))))
    [[0. 0. 1.]
     [1. 2. 3.]]
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.absolute_error = fused_losses.AbsoluteError()

    def construct(self, logits, label):
        shape = check_numeric_pair(self.cls_name, self.input_names, logits, label)
        logits, label = promoted(logits, label)
        if shape == ():                                  # NOTE: the fused kernel wants arrays of 1 axis or more
            return self.get_loss(_abs(logits - label))
        x = self.absolute_error(logits, label)           # |logits - label|
        return self.get_loss(x)


class L1LossExt(MAELoss):
    """L1 loss (``mindspore.mint.nn.L1Loss``):  loss = reduce(|logits - labels|).

    The same numbers as ``L1Loss`` and ``MAELoss``: shapes broadcast, 'none' gives
    the broadcast shape, 'mean' (the default) and 'sum' a scalar; float64 keeps
    float64 precision. The gradient is sign(logits - labels), 0 on ties.
    When to use it: as ``L1Loss`` (robust regression); this is the ``mint`` API's name.
    MindSpore 2.10 has no CPU kernel for it (decision D1: lossviz computes the
    documented formula).

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> loss = L1LossExt()
    >>> print(loss(Tensor(np.array([1, 2, 3], np.float32)), Tensor(np.array([1, 2, 2], np.float32))))
    0.33333334
    """

    def construct(self, logits, labels):
        return super().construct(logits, labels)


class RMSELoss(LossBase):
    """Root mean squared error:  loss = sqrt(mean((logits - label)^2)).

    No parameters (always a scalar: the square root of the MSE); shapes broadcast.
    In the units of the data, which makes it easy to read ("off by 0.58 on average").

    * Dtypes: as ``MSELoss``; unsigned integers are refused (a difference would
      wrap). An integer MSE is truncated before the root, which is then float32.
    * Gradient: (logits - label) / (n * loss); ``label`` gets the negative. At zero
      error the root has no derivative: every gradient is nan, as in MindSpore.

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> loss = RMSELoss()
    >>> print(loss(Tensor(np.array([1, 2, 3], np.float32)), Tensor(np.array([1, 2, 2], np.float32))))
    0.57735026
    """

    def __init__(self):
        super().__init__("mean")
        self.squared_error = fused_losses.SquaredError()
        self.root_mean_squared_error = fused_regression.RootMeanSquaredError()

    def construct(self, logits, label):
        name, names = self.cls_name, self.input_names
        shape = check_numeric_pair(name, names, logits, label)
        for arg, t in zip(names, (logits, label)):
            if t._data.dtype in _UNSIGNED:
                raise TypeError(f"For '{name}', the '{arg}' must not be an unsigned integer Tensor (uint8, uint16, "
                                f"uint32, uint64), but got {t._data.dtype.name}.")
        logits, label = promoted(logits, label)
        if logits._data.dtype in (np.float32, np.float64) and math.prod(shape) > 0:
            return self.root_mean_squared_error(logits, label)    # NOTE: the formula below, in one pass
        # NOTE: the fused kernel wants arrays of 1 axis or more
        squares = self.squared_error(logits, label) if shape != () else _square(logits - label)
        mse = self.get_loss(squares)                              # mean((logits - label)^2), in their dtype
        if mse._data.dtype.kind != "f":
            mse = _cast(mse, np.float32)                          # the root of an integer MSE is float32
        return _sqrt(mse)


class HuberLoss(LossBase):
    """Huber loss: quadratic for small errors, linear for large ones. With z = |logits - labels|,

        l = 0.5 * z^2                    if z < delta
            delta * (z - 0.5 * delta)    otherwise          (the two meet at z = delta)

    then reduced ('mean' by default, 'sum', or 'none': the broadcast shape).
    Unlike ``SmoothL1Loss`` nothing is divided by delta: the linear part has slope delta.

    * delta: an int or a float > 0 (default 1.0), checked here (inf is allowed:
      the loss is then 0.5 z^2 everywhere).
    * Shapes broadcast; float or int inputs (int inputs give a float32 loss).
    * Gradient: d inside the band, delta * sign(d) outside, i.e. clip(d, -delta, delta)
      with d = logits - labels; finite even for an infinite d or delta (decision D4).

    Use it for regression with outliers: MSE's smooth minimum, L1's bounded pull.

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> loss = HuberLoss()
    >>> logits = Tensor(np.array([1, 2, 3], np.float32))
    >>> labels = Tensor(np.array([1, 2, 2], np.float32))
    >>> print(loss(logits, labels))
    0.16666667
    >>> loss = HuberLoss(reduction='none', delta=0.5)
    >>> print(loss(Tensor(np.array([0.25, 3.], np.float32)), Tensor(np.zeros(2, np.float32))))
    [0.03125 1.375  ]
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = check_number_param(self.cls_name, "delta", delta, (int, float))
        if not delta > 0:                                       # nan too
            raise ValueError(f"For '{self.cls_name}', the 'delta' must be greater than 0, but got {delta}.")
        self.huber_error = fused_regression.HuberError(delta)
        self.zero = Tensor(np.zeros((), np.float32))

    def construct(self, logits, labels):
        check_numeric_pair(self.cls_name, self.input_names, logits, labels)
        if logits._data.dtype.kind != "f" and labels._data.dtype.kind != "f":
            # integers: the difference is taken in their dtype (unsigned wraps), the loss is float32
            x = self.huber_error(_cast(logits - labels, np.float32), self.zero)
        else:
            x = self.huber_error(*promoted(logits, labels))
        return self.get_loss(x)

    def extend_repr(self):
        return f"reduction={self.reduction}, delta={self.delta}"


class SoftMarginLoss(LossBase):
    """Soft-margin loss of a two-class problem with labels -1 / +1 (the logistic loss):

        l = ln(1 + exp(-labels * logits))

    then reduced ('mean' by default, 'sum', or 'none': the inputs' shape). A
    well-classified sample (labels * logits >> 0) costs about 0, a confidently
    wrong one about |logits|. Computed stably (as softplus), so large logits give
    a finite loss.

    * logits, labels: Tensors of the same shape; float (int gives float32).
      Labels other than +-1 are used as given (the formula is applied).
    * Gradient: -labels * sigmoid(-labels * logits) for logits, and
      -logits * sigmoid(-labels * logits) for labels.
    * MindSpore 2.10 has no CPU kernel for it (decision D1: lossviz computes the
      documented formula).

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> loss = SoftMarginLoss()
    >>> logits = Tensor(np.array([[0.3, 0.7], [0.5, 0.5]], np.float32))
    >>> labels = Tensor(np.array([[-1, 1], [1, -1]], np.float32))
    >>> print(loss(logits, labels))
    0.6764238
    """

    def __init__(self, reduction="mean"):
        if not isinstance(reduction, str):                    # MindSpore: a TypeError for a non-str
            raise TypeError(f"For '{self.cls_name}', the 'reduction' should be a str, but got {type(reduction)}.")
        super().__init__(reduction)
        self.soft_margin = fused_regression.SoftMargin()

    def construct(self, logits, labels):
        name, names = self.cls_name, self.input_names
        check_numeric_pair(name, names, logits, labels, same_shape=True)
        dtype = promoted_dtype(logits._data.dtype, labels._data.dtype)
        dtype = dtype if dtype.kind == "f" else np.dtype(np.float32)
        x = self.soft_margin(in_dtype(logits, dtype), in_dtype(labels, dtype))   # ln(1 + exp(-labels * logits))
        return self.get_loss(x)
