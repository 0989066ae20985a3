"""Multi-label and margin losses: scores for C classes, several right answers or one with a margin."""
import math

import numpy as np

from ... import ops
from ..._engine.tensor import Tensor
from ...ops import fused_multilabel
from .base import LossBase
from .checks import FLOATS, NUMBERS, check_broadcast, check_dtype, check_in_range, check_tensor, describe

__all__ = ["MultiLabelSoftMarginLoss", "MultiMarginLoss", "MultilabelMarginLoss"]

INT32, INT64 = (np.dtype(np.int32),), (np.dtype(np.int64),)
TARGETS = tuple(d for d in NUMBERS if d != np.uint8)


class NoClassAxisError(ValueError, IndexError):
    """A 0-d input has no class axis. A ValueError (lossviz's rule for a wrong shape) that is also the
    IndexError MindSpore raises there (``input.shape[-1]`` of a 0-d tensor), so either ``except`` works."""


class MultiLabelSoftMarginLoss(LossBase):
    """Multi-label soft margin: a binary logistic loss per class, averaged over the classes.

    For logits x and targets t in [0, 1] (1: the sample has that class; several may):

        term  = t * ln(1 + e^-x) + (1 - t) * ln(1 + e^x)      (times ``weight`` if given)
        per   = sum of term over the class axis (the LAST axis of x) / C
        loss  = reduce(per)

    x is (N, C), (C,) (one sample: 'none' gives a 0-d result) or (N, d, C);
    t broadcasts against x (numpy rules; when t has more axes than x, the
    class sum runs over axis ``x.ndim - 1`` of the broadcast terms, as in
    MindSpore and PyTorch). x must be float, t may be int. ``weight``: None, a
    number, or a Tensor that broadcasts against the terms (per class (C,),
    per sample (N, 1), ...); it never divides. Default reduction='mean'
    (the mean of ``per`` over the samples).

    Unlike MindSpore 2.10, ln(1 + e^x) is computed stably (decision D9): any
    finite logit gives a finite loss. The gradient is (sigmoid(x) - t) * weight / C
    for x and -x * weight / C for t. Use it for multi-label classification
    (each class an independent yes/no) with raw scores, not probabilities.

    >>> import lossviz.nn as nn
    >>> loss = nn.MultiLabelSoftMarginLoss()
    >>> x = Tensor(np.array([[0.3, 0.6, 0.6], [0.9, 0.4, 0.2]], np.float32))
    >>> t = Tensor(np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]], np.float32))
    >>> print(loss(x, t))        # MindSpore's docs print 0.84693956 (its CPU exp/log are float32-approximate)
    0.84693986
    """

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = self._check_weight(weight)
        self.terms = fused_multilabel.MultiLabelSoftMargin()
        self.mul = ops.Mul()
        self.reduce_sum = ops.ReduceSum()

    def _check_weight(self, weight):
        if weight is None or isinstance(weight, Tensor):
            if weight is not None:
                check_dtype(self.cls_name, "weight", weight, NUMBERS)
            return weight
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise TypeError(f"For '{self.cls_name}', the 'weight' must be a Tensor, an int, a float or None, "
                            f"but got {describe(weight)}.")
        if not math.isfinite(weight):
            raise ValueError(f"For '{self.cls_name}', the 'weight' must be finite, but got {weight}.")
        return weight

    def _check(self, x, target):
        name, (x_name, t_name) = self.cls_name, self.input_names
        check_tensor(name, x_name, x)
        check_tensor(name, t_name, target)
        check_dtype(name, x_name, x, FLOATS)
        check_dtype(name, t_name, target, TARGETS)
        if x.ndim == 0:
            raise NoClassAxisError(f"For '{name}', the '{x_name}' must have a class axis (its last axis), "
                                   f"but got a 0-d Tensor.")
        shape = check_broadcast(name, x_name, x.shape, t_name, target.shape)
        if isinstance(self.weight, Tensor):
            check_broadcast(name, "terms", shape, "weight", self.weight.shape)

    def construct(self, x, target):
        self._check(x, target)
        term = self.terms(x, target)             # t ln(1 + e^-x) + (1 - t) ln(1 + e^x), stably
        if self.weight is not None:
            term = self.mul(term, self.weight)
        per = self.reduce_sum(term, x.ndim - 1) / x.shape[-1]
        return self.get_loss(per)

    def extend_repr(self):
        weight = f"Tensor{self.weight.shape}" if isinstance(self.weight, Tensor) else self.weight
        return f"weight={weight}, reduction={self.reduction}"


class MultiMarginLoss(LossBase):
    """Multi-class hinge loss (one right class per sample, which must beat the others by ``margin``).

    For scores x (N, C) and the right class y_n of each row:

        per_n = sum over i != y_n of  w[y_n] * max(0, margin - x[n, y_n] + x[n, i]) ** p   / C
        loss  = reduce(per)       'none' (N,), 'mean' the mean over N, 'sum' the sum

    p is 1 or 2, margin a float (default 1.0), ``weight`` an optional (C,)
    Tensor of x's dtype (the right class's weight scales its row, after the
    power). ``target`` is (N,) int64 class indices in [0, C). x may be float16,
    float32 or float64. Default reduction='mean'.

    The weight may also be given as the third call argument, but a weight
    given to the constructor wins (as MindSpore), and a call-time weight gets a
    zero gradient. A term counts only when strictly positive: a tie (exactly at
    the margin) adds 0 and gets gradient 0. Gradient: each counted term adds
    w[y] p z^(p-1) / C to x[n, i] and subtracts it from x[n, y_n].

    >>> import lossviz.nn as nn
    >>> loss = nn.MultiMarginLoss()
    >>> x = Tensor(np.ones((3, 3), np.float32))
    >>> target = Tensor(np.array([1, 2, 1], np.int64))
    >>> print(loss(x, target))
    0.6666667
    """

    def __init__(self, p=1, margin=1.0, reduction="mean", weight=None):
        super().__init__(reduction)
        name = self.cls_name
        if isinstance(p, bool) or not isinstance(p, int):
            raise TypeError(f"For '{name}', the type of 'p' should be 'int', but got type '{type(p).__name__}'.")
        if p not in (1, 2):
            raise ValueError(f"For '{name}', the 'p' must be 1 or 2, but got {p}.")
        if not isinstance(margin, float):
            raise TypeError(f"For '{name}', the type of 'margin' should be 'float', but got type "
                            f"'{type(margin).__name__}'.")
        if not math.isfinite(margin):
            raise ValueError(f"For '{name}', the 'margin' must be finite, but got {margin}.")
        if weight is not None:
            check_tensor(name, "weight", weight)
        self.p, self.margin, self.weight = p, float(margin), weight
        self.multi_margin = fused_multilabel.MultiMarginLoss(p, self.margin)

    def _check(self, x, target, weight):
        name, (x_name, t_name, w_name) = self.cls_name, self.input_names
        check_tensor(name, x_name, x)
        check_tensor(name, t_name, target)
        if x.ndim != 2 or target.ndim != 1:
            raise ValueError(f"For '{name}', the '{x_name}' must be 2-D (N, C) and the '{t_name}' 1-D (N,), "
                             f"but got shapes {x.shape} and {target.shape}.")
        check_dtype(name, x_name, x, FLOATS)
        check_dtype(name, t_name, target, INT64)
        if target.shape[0] != x.shape[0]:
            raise ValueError(f"For '{name}', the '{t_name}' must have one class index per row of '{x_name}' "
                             f"({x.shape[0]}), but got {target.shape[0]}.")
        check_in_range(name, t_name, target._data, 0, x.shape[1], high_inclusive=False)
        if weight is not None:
            check_tensor(name, w_name, weight)
            if weight.shape != x.shape[1:]:
                raise ValueError(f"For '{name}', the '{w_name}' must have the shape ({x.shape[1]},) (one weight "
                                 f"per class of '{x_name}'), but got {weight.shape}.")
            if weight._data.dtype != x._data.dtype:
                raise TypeError(f"For '{name}', the '{w_name}' must have the dtype of '{x_name}' "
                                f"({x._data.dtype.name}), but got {weight._data.dtype.name}.")

    def construct(self, x, target, weight=None):
        if self.weight is not None:      # as MindSpore: the constructor's weight wins over the call's
            weight = self.weight
        self._check(x, target, weight)
        per = self.multi_margin(x, target, weight)      # (N,): the row sums of w[y] max(0, z)^p / C
        return self.get_loss(per)

    def extend_repr(self):
        return f"p={self.p}, margin={self.margin}, reduction={self.reduction}"


class MultilabelMarginLoss(LossBase):
    """Multi-label hinge loss: every right class of a sample must beat every wrong one by 1.

    For scores x (N, C) (or (C,), one sample) and a target of the same shape
    listing the right classes, ended by -1 (``[3, 0, -1, 1]``: classes 3 and 0;
    what follows the first -1 is ignored):

        per_n = sum over right classes j, wrong classes i of  max(0, 1 - (x[n, j] - x[n, i])) / C
        loss  = reduce(per)      'none' (N,) (0-d for 1-D x), 'mean' / 'sum' a scalar

    ``target`` must be int32, its listed classes in [0, C); a class listed twice
    counts twice. x may be float16, float32 or float64. Default reduction='mean'.
    A term counts only when strictly positive (a tie gets gradient 0).

    MindSpore 2.10 has no CPU kernel for this loss (decision D1): lossviz
    computes the documented formula, with MindSpore's argument checks.

    >>> import lossviz.nn as nn
    >>> loss = nn.MultilabelMarginLoss()
    >>> x = Tensor(np.array([[0.1, 0.2, 0.4, 0.8], [0.2, 0.3, 0.5, 0.7]], np.float32))
    >>> target = Tensor(np.array([[1, 2, 0, 3], [2, 3, -1, 1]], np.int32))
    >>> print(loss(x, target))
    0.325
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.multilabel_margin = fused_multilabel.MultilabelMarginLoss()

    def _check(self, x, target):
        name, (x_name, t_name) = self.cls_name, self.input_names
        check_tensor(name, x_name, x)
        check_tensor(name, t_name, target)
        check_dtype(name, x_name, x, FLOATS)
        check_dtype(name, t_name, target, INT32)
        if x.ndim not in (1, 2):
            raise ValueError(f"For '{name}', the '{x_name}' must be 1-D (C,) or 2-D (N, C), but got shape {x.shape}.")
        if target.shape != x.shape:
            raise ValueError(f"For '{name}', the '{t_name}' must have the shape of '{x_name}' {x.shape}, "
                             f"but got {target.shape}.")
        t = target._data.reshape(-1, x.shape[-1])
        listed = t[np.arange(t.shape[1]) < fused_multilabel.target_prefix_lengths(t)[:, None]]
        check_in_range(name, t_name, listed, 0, x.shape[-1], high_inclusive=False,
                       what=f"'{t_name}' before the first -1")

    def construct(self, x, target):
        self._check(x, target)
        per = self.multilabel_margin(x, target)       # (N,) or 0-d: the hinge sums / C
        return self.get_loss(per)

    def extend_repr(self):
        return f"reduction={self.reduction}"
