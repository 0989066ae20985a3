"""Probabilistic losses: the negative log-likelihood of the data under a predicted distribution.

* ``GaussianNLLLoss``: a predicted mean and variance (regression with uncertainty);
* ``PoissonNLLLoss``: a predicted rate of counts;
* ``KLDivLoss``: a predicted distribution against a target distribution.
"""
import math

import numpy as np

from ... import ops
from ...ops import fused_regression
from .base import LossBase
from .checks import (FLOATS, NUMBERS, check_bool_param, check_broadcast, check_dtype, check_number_param,
                     check_same_dtype, check_same_shape, check_tensor)
from .regression import check_numeric_pair, in_dtype, promoted_dtype

__all__ = ["GaussianNLLLoss", "PoissonNLLLoss", "KLDivLoss"]

_expand_dims, _reduce_sum = ops.ExpandDims(), ops.ReduceSum()
_FLOAT32 = np.dtype(np.float32)


class GaussianNLLLoss(LossBase):
    """Gaussian negative log-likelihood: the network predicts a mean (``logits``) and a
    variance (``var``) for each target value (``labels``):

        l = 0.5 * (ln(v) + (logits - labels)^2 / v)   [+ 0.5 * ln(2 pi) if full],   v = max(var, eps)

    then reduced ('mean' by default, 'sum', or 'none': the broadcast shape). A wrong
    mean costs less where the predicted variance is large, and ln(v) keeps the
    variance from growing without end: the network learns how sure it is.

    * Keyword-only parameters: full=False, eps=1e-6 (a float in (0, inf): the
      variance floor that keeps ln and the division finite), reduction='mean'.
    * var: the shape of logits, or one that broadcasts; a var with one axis fewer
      (logits.shape[:-1]) gets a last axis of size 1 (one variance per row).
      A negative var is a ValueError (decision D14); var below eps counts as eps.
    * Dtypes promote (an int meeting a float takes the float's dtype; ints give float32).
    * Gradients: d/dlogits = (logits - labels) / v, labels the negative;
      d/dvar = 0.5 (1/v - (logits - labels)^2 / v^2) where var > eps, half of it
      where var == eps, 0 below (the clamp).

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> loss = GaussianNLLLoss()
    >>> logits = Tensor(np.arange(8).reshape((4, 2)).astype(np.float32))
    >>> labels = Tensor(np.array([2, 3, 1, 4, 6, 4, 4, 9], np.float32).reshape((4, 2)))
    >>> var = Tensor(np.ones((4, 1), np.float32))
    >>> print(loss(logits, labels, var))
    1.4375
    """

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        name = self.cls_name
        eps = check_number_param(name, "eps", eps, (float,))
        if not 0 < eps < math.inf:                               # nan too (decision D14)
            raise ValueError(f"For '{name}', the 'eps' must be in range of (0, inf), but got {eps}.")
        full = check_bool_param(name, "full", full)
        super().__init__(reduction)
        self.full, self.eps = full, eps
        self.gaussian_nll = fused_regression.GaussianNLL(eps, full)

    def construct(self, logits, labels, var):
        name, names = self.cls_name, self.input_names
        shape = check_numeric_pair(name, names, logits, labels)
        check_tensor(name, names[2], var)
        check_dtype(name, names[2], var, NUMBERS)
        if var.shape != logits.shape and var.shape == logits.shape[:-1]:
            var = _expand_dims(var, -1)                          # one variance per row: (N,) -> (N, 1)
        check_broadcast(name, "logits - labels", shape, names[2], var.shape)
        if (var._data < 0).any():
            raise ValueError(f"For '{name}', every value of '{names[2]}' must be >= 0 (a variance), but got "
                             f"{var._data.min()}.")
        # v = max(var, eps) is taken in var's dtype (float32 for an integer var), the rest in the promoted one
        var_dtype = var._data.dtype if var._data.dtype.kind == "f" else _FLOAT32
        dtype = promoted_dtype(logits._data.dtype, labels._data.dtype, var_dtype)
        x = self.gaussian_nll(in_dtype(logits, dtype), in_dtype(labels, dtype), in_dtype(var, var_dtype))
        return self.get_loss(x)

    def extend_repr(self):
        return f"full={self.full}, eps={self.eps}, reduction={self.reduction}"


class PoissonNLLLoss(LossBase):
    """Poisson negative log-likelihood of counts ``target`` under a predicted rate:

        log_input=True  (default):  l = exp(input) - target * input           (input = ln(rate))
        log_input=False:            l = input - target * ln(input + eps)      (input = rate)
        full=True adds Stirling's approximation of ln(target!), where t = max(target, eps) > 1:
                                    (t + 0.5) * ln(t) - t + 0.5 * ln(2 pi)

    then reduced ('mean' by default, 'sum', or 'none': the broadcast shape).
    Use it to predict counts (events per hour, photons per pixel).

    * log_input, full: bools; eps: a finite int or float (default 1e-8). eps is
      ADDED inside the log (not a lower bound), as in MindSpore and PyTorch.
    * target is cast to the dtype of input; input must be float when log_input
      is True (an int input with log_input=False gives float32).
    * Gradients: d/dinput = exp(input) - target (or 1 - target / (input + eps));
      d/dtarget = -input (or -ln(input + eps)), plus (ln t + 0.5/t) where the
      Stirling term applies (half of it where target == eps, a maximum's tie).

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> loss = PoissonNLLLoss()
    >>> x = Tensor(np.array([[0.3, 0.7], [0.5, 0.5]], np.float32))
    >>> target = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    >>> print(loss(x, target))
    0.3652635
    """

    def __init__(self, log_input=True, full=False, eps=1e-08, reduction="mean"):
        super().__init__(reduction)
        name = self.cls_name
        self.log_input = check_bool_param(name, "log_input", log_input)      # decision D15
        self.full = check_bool_param(name, "full", full)
        self.eps = check_number_param(name, "eps", eps, (int, float))
        if not math.isfinite(eps):
            raise ValueError(f"For '{name}', the 'eps' must be a finite number, but got {eps}.")
        self.poisson_nll = fused_regression.PoissonNLL(self.log_input, self.full, eps)

    def construct(self, input, target):  # noqa: A002 - MindSpore's argument name
        name, names = self.cls_name, self.input_names
        check_numeric_pair(name, names, input, target)
        dtype = input._data.dtype
        if self.log_input and dtype.kind != "f":
            raise TypeError(f"For '{name}', the '{names[0]}' must be a float Tensor when log_input is True "
                            f"(exp of an integer), but got {dtype.name}.")
        target = in_dtype(target, dtype)                         # the target takes the input's dtype
        if dtype.kind != "f":                                    # log_input=False on integers: float32
            input, target = in_dtype(input, _FLOAT32), in_dtype(target, _FLOAT32)
        x = self.poisson_nll(input, target)
        return self.get_loss(x)

    def extend_repr(self):
        return f"log_input={self.log_input}, full={self.full}, eps={self.eps}, reduction={self.reduction}"


_KL_REDUCTIONS = ("none", "mean", "batchmean", "sum")


class KLDivLoss(LossBase):
    """Kullback-Leibler divergence of a target distribution ``labels`` from a predicted one:

        l = labels * (ln(labels) - logits)     where labels > 0, else 0

    ``logits`` must already be LOG-probabilities (e.g. a log_softmax output);
    ``labels`` are probabilities. Reductions:

        'mean' (default): sum(l) / number of elements
        'batchmean':      sum(l) / logits.shape[0]    (the true KL divergence per sample)
        'sum': sum(l);    'none': l

    * logits, labels: float16/float32/float64 Tensors of the same shape and dtype.
      'batchmean' needs at least one axis (a ValueError for 0-d, decision D17).
    * reduction is checked here, when the loss is made (decision D16).
    * Gradients: d/dlogits = -labels where labels > 0, 0 where the loss is the
      constant 0 (decision D8). labels are the target: they get a zero gradient,
      as in MindSpore.

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> loss = KLDivLoss()
    >>> logits = Tensor(np.array([0.2, 0.7, 0.1], np.float32))
    >>> labels = Tensor(np.array([0., 1., 0.], np.float32))
    >>> print(loss(logits, labels))
    -0.23333333
    >>> print(KLDivLoss(reduction='batchmean')(Tensor(np.log(np.full((2, 2), 0.5, np.float32))),
    ...                                        Tensor(np.array([[0.5, 0.5], [0.9, 0.1]], np.float32))))
    0.18403205
    """

    def __init__(self, reduction="mean"):
        if not (isinstance(reduction, str) and reduction in _KL_REDUCTIONS):
            raise ValueError(f"For '{self.cls_name}', the 'reduction' must be str and must be in "
                             f"{list(_KL_REDUCTIONS)}, but got {reduction!r}.")
        super().__init__("sum" if reduction == "batchmean" else reduction)
        self.reduction = reduction
        self.kl_divergence = fused_regression.KLDivergence()

    def construct(self, logits, labels):
        name, names = self.cls_name, self.input_names
        check_tensor(name, names[0], logits)
        check_tensor(name, names[1], labels)
        check_dtype(name, names[0], logits, FLOATS)
        check_same_dtype(name, names[0], logits, names[1], labels)
        check_same_shape(name, names[0], logits, names[1], labels)
        if self.reduction == "batchmean" and logits.ndim == 0:
            raise ValueError(f"For '{name}', reduction='batchmean' divides by the batch size '{names[0]}'.shape[0], "
                             f"so '{names[0]}' must have at least 1 dimension, but got a 0-d Tensor.")
        x = self.kl_divergence(logits, labels)               # labels (ln(labels) - logits), 0 where labels <= 0
        if self.reduction != "batchmean":
            return self.get_loss(x)
        # 'batchmean': the sum (in float32, float64 for float64, as get_loss), divided by the batch size
        work = np.float64 if x._data.dtype == np.float64 else np.float32
        total = in_dtype(_reduce_sum(in_dtype(x, work), tuple(range(x.ndim))), x._data.dtype)
        return total / x.shape[0]
