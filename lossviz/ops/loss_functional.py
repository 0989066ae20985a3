"""Functional losses (``ops.l1_loss(input, target, reduction='mean')`` ...) and their checks.

Each function calls the same fused primitive as its ``nn`` class and reduces
with ``reduce_loss``, the one implementation of 'mean' / 'sum' / 'none'
(``LossBase.get_loss`` is ``reduce_loss`` with the loss's own reduction).
The ``check_*`` helpers are shared too: a class passes its name and argument
names (``'L1Loss'``, ``'logits'``), a function passes its own (``'l1_loss'``,
``'input'``), so every error names who refused what.
"""
import numpy as np

from .._engine.tensor import Tensor
from . import functional as F
from . import loss_ops as L

REDUCTIONS = ("mean", "sum", "none")

_absolute_error, _squared_error = L.AbsoluteError(), L.SquaredError()
_binary_cross_entropy, _cosine_similarity, _hinge = L.BinaryCrossEntropy(), L.CosineSimilarity(1), L.Hinge()
_smooth_l1 = {}
_reduce_mean, _reduce_sum = L.ReduceLoss(mean=True), L.ReduceLoss(mean=False)


# ----- checks shared by the classes and the functions -----
def check_reduction(name, reduction):
    if not (isinstance(reduction, str) and reduction in REDUCTIONS):
        raise ValueError(f"For '{name}', the 'reduction' must be in ['mean', 'sum', 'none'], but got {reduction}.")
    return reduction


def _describe(value):
    return f"{type(value).__module__}.{type(value).__name__}" if isinstance(value, np.ndarray) else type(value).__name__


def check_tensor(name, arg, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"For '{name}', the '{arg}' must be a Tensor, but got {_describe(value)}.")


def check_broadcast(name, arg1, shape1, arg2, shape2):
    """The broadcast shape of two shapes, or a ValueError naming both arguments."""
    try:
        return np.broadcast_shapes(shape1, shape2)
    except ValueError:
        raise ValueError(f"For '{name}', the shapes of '{arg1}' {tuple(shape1)} and '{arg2}' {tuple(shape2)} "
                         f"can not broadcast.") from None


def check_same_shape(name, arg1, t1, arg2, t2):
    if t1.shape != t2.shape:
        raise ValueError(f"For '{name}', the '{arg2}' must have the same shape as '{arg1}' {t1.shape}, "
                         f"but got {t2.shape}.")


def check_dtype(name, arg, t, allowed):
    """``allowed`` is a tuple of numpy dtypes; a TypeError names them."""
    if t._data.dtype not in allowed:
        names = ", ".join(np.dtype(d).name for d in allowed)
        raise TypeError(f"For '{name}', the '{arg}' must be a Tensor of [{names}], but got {t._data.dtype.name}.")


def check_same_dtype(name, arg1, t1, arg2, t2):
    if t1._data.dtype != t2._data.dtype:
        raise TypeError(f"For '{name}', the '{arg2}' must have the same dtype as '{arg1}' ({t1._data.dtype.name}), "
                        f"but got {t2._data.dtype.name}.")


def check_in_range(name, arg, array, low, high, high_inclusive=True, what=None):
    """Raise ValueError naming a value of ``array`` outside [low, high] (or [low, high)).

    NaN passes (it is not outside any range), as in MindSpore's check.
    """
    if not array.size:
        return
    lo, hi = array.min(), array.max()
    if lo != lo or hi != hi:  # NaN present: min/max are NaN, look value by value
        finite = array[array == array]
        if not finite.size:
            return
        lo, hi = finite.min(), finite.max()
    too_high = hi > high if high_inclusive else hi >= high
    if lo < low or too_high:
        bad = lo if lo < low else hi
        close = "]" if high_inclusive else ")"
        what = what or f"'{arg}'"
        raise ValueError(f"For '{name}', every value of {what} must be in [{low}, {high}{close}, but got {bad}.")


_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_NUMBERS = _FLOATS + tuple(np.dtype(d) for d in (np.int8, np.int16, np.int32, np.int64, np.uint8))


def check_regression(name, logits, labels, names=("logits", "labels")):
    """L1 / MSE: two numeric Tensors whose shapes broadcast."""
    check_tensor(name, names[0], logits)
    check_tensor(name, names[1], labels)
    check_dtype(name, names[0], logits, _NUMBERS)
    check_dtype(name, names[1], labels, _NUMBERS)
    check_broadcast(name, names[0], logits.shape, names[1], labels.shape)


def check_beta(name, beta):
    if isinstance(beta, str) or not isinstance(beta, (bool, int, float, np.floating, np.integer)):
        raise TypeError(f"For '{name}', the 'beta' must be a bool, int or float, but got {type(beta).__name__}.")
    return float(beta)


def check_smooth_l1(name, logits, labels, beta, names=("logits", "labels")):
    """SmoothL1: float Tensors of the same shape, beta > 0."""
    check_tensor(name, names[0], logits)
    check_tensor(name, names[1], labels)
    check_dtype(name, names[0], logits, _FLOATS)
    check_dtype(name, names[1], labels, _FLOATS)
    check_same_shape(name, names[0], logits, names[1], labels)
    if not beta > 0:
        raise ValueError(f"For '{name}', the 'beta' must be greater than 0, but got {beta}.")


def check_bce(name, logits, labels, weight, names=("logits", "labels")):
    """BCE: probabilities in [0, 1], labels of the same dtype and shape, a weight that broadcasts to them."""
    check_tensor(name, names[0], logits)
    check_tensor(name, names[1], labels)
    check_dtype(name, names[0], logits, _FLOATS)
    check_same_dtype(name, names[0], logits, names[1], labels)
    check_same_shape(name, names[0], logits, names[1], labels)
    if weight is not None:
        check_tensor(name, "weight", weight)
        check_same_dtype(name, names[0], logits, "weight", weight)
        if check_broadcast(name, names[0], logits.shape, "weight", weight.shape) != logits.shape:
            raise ValueError(f"For '{name}', the shape of 'weight' {weight.shape} can not broadcast to the shape "
                             f"of '{names[0]}' {logits.shape}.")
    check_in_range(name, names[0], logits._data, 0, 1)


def check_margin(name, margin):
    if type(margin) is not float:
        raise TypeError(f"For '{name}', the type of 'margin' should be 'float', but got type "
                        f"'{type(margin).__name__}'.")
    if not -1.0 <= margin <= 1.0:
        raise ValueError(f"For '{name}', the 'margin' must be in range of [-1.0, 1.0], but got {margin} "
                         f"with type 'float'.")
    return margin


def check_cosine_embedding(name, x1, x2, labels, names=("logits_x1", "logits_x2", "labels")):
    """Two float Tensors of the same shape and dtype (rank >= 2); labels shaped like x1 without axis 1."""
    for arg, t in zip(names, (x1, x2, labels)):
        check_tensor(name, arg, t)
    check_dtype(name, names[0], x1, _FLOATS)
    check_same_dtype(name, names[0], x1, names[1], x2)
    check_same_shape(name, names[0], x1, names[1], x2)
    if x1.ndim < 2:
        raise ValueError(f"For '{name}', the '{names[0]}' must have at least 2 dimensions (the cosine is taken "
                         f"along axis 1), but got shape {x1.shape}.")
    cos_shape = x1.shape[:1] + x1.shape[2:]
    if check_broadcast(name, "cosine", cos_shape, names[2], labels.shape) != cos_shape:
        raise ValueError(f"For '{name}', the '{names[2]}' must have the shape {cos_shape} ('{names[0]}' without "
                         f"axis 1), but got {labels.shape}.")


# ----- the one reduction -----
def reduce_loss(x, weights=1.0, reduction="mean", name="LossBase"):
    """loss = reduce(weights * x):  'mean' -> sum / count, 'sum' -> sum, 'none' -> the weighted x.

    ``weights`` is a number or a Tensor that broadcasts against x (a bigger
    weight enlarges the result, and the mean counts the enlarged elements).
    Computed in float64 for float64 x, else in float32; the result is cast
    back to x's dtype (ints truncate toward zero, the gradient passes through).
    """
    check_reduction(name, reduction)
    check_tensor(name, "x", x)
    dtype = x._data.dtype
    work = np.float64 if dtype == np.float64 else np.float32
    if dtype != work:
        x = F.cast(x, work)
    if isinstance(weights, Tensor):
        check_broadcast(name, "x", x.shape, "weights", weights.shape)
        x = F.mul(x, weights if weights._data.dtype == work else F.cast(weights, work))
    elif isinstance(weights, (bool, int, float, np.number)):
        if weights != 1:  # NOTE: x * 1 is x: skip a full pass over the loss
            x = F.mul(x, Tensor._wrap(np.asarray(weights, work)))
    else:
        raise TypeError(f"For '{name}', the 'weights' must be a number or a Tensor, but got {_describe(weights)}.")
    if reduction == "mean":
        x = _reduce_mean(x)
    elif reduction == "sum":
        x = _reduce_sum(x)
    return F.cast(x, dtype) if dtype != work else x


# ----- shared unreduced pieces -----
def cosine_embedding_terms(cos, labels, margin):
    """per = 1 - cos where labels == 1;  max(cos - margin, 0) where labels == -1;  0 elsewhere."""
    zeros = F.zeros_like(cos)
    pull = 1 - cos
    push = _hinge(cos - margin)
    return F.select(labels == 1, pull, F.select(labels == -1, push, zeros))


# ----- the functional forms -----
def l1_loss(input, target, reduction="mean"):  # noqa: A002 - MindSpore's argument names
    """loss = reduce(|input - target|), shapes broadcast.

    'none' gives the broadcast shape; 'mean' and 'sum' a scalar.
    >>> ops.l1_loss(Tensor([1., 2.]), Tensor([0., 4.]))   # 1.5
    """
    check_reduction("l1_loss", reduction)
    check_regression("l1_loss", input, target, ("input", "target"))
    return reduce_loss(_absolute_error(input, target), 1.0, reduction, "l1_loss")


def mse_loss(input, target, reduction="mean"):  # noqa: A002
    """loss = reduce((input - target)^2), shapes broadcast.

    >>> ops.mse_loss(Tensor([1., 2.]), Tensor([0., 4.]))   # 2.5
    """
    check_reduction("mse_loss", reduction)
    check_regression("mse_loss", input, target, ("input", "target"))
    return reduce_loss(_squared_error(input, target), 1.0, reduction, "mse_loss")


def smooth_l1_loss(input, target, beta=1.0, reduction="none"):  # noqa: A002
    """loss = reduce(0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta),  d = input - target.

    Shapes must be equal. Defaults beta=1.0, reduction='none' (same shape out).
    >>> ops.smooth_l1_loss(Tensor([0.5, 3.]), Tensor([0., 0.]))   # [0.125 2.5  ]
    """
    check_reduction("smooth_l1_loss", reduction)
    beta = check_beta("smooth_l1_loss", beta)
    check_smooth_l1("smooth_l1_loss", input, target, beta, ("input", "target"))
    op = _smooth_l1.get(beta) or _smooth_l1.setdefault(beta, L.SmoothL1Loss(beta))
    return reduce_loss(op(input, target), 1.0, reduction, "smooth_l1_loss")


def binary_cross_entropy(logits, labels, weight=None, reduction="mean"):
    """loss = reduce(-weight * (labels ln(logits + 1e-12) + (1 - labels) ln(1 - logits + 1e-12))).

    ``logits`` are probabilities in [0, 1]; labels have the same shape and
    dtype; ``weight`` (optional) broadcasts to that shape. Default 'mean'.
    >>> ops.binary_cross_entropy(Tensor([0.5]), Tensor([1.]))   # 0.6931472
    """
    check_reduction("binary_cross_entropy", reduction)
    check_bce("binary_cross_entropy", logits, labels, weight)
    per_element = _binary_cross_entropy(logits, labels)
    return reduce_loss(per_element, 1.0 if weight is None else weight, reduction, "binary_cross_entropy")


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """loss = reduce(1 - cos if target == 1, max(cos - margin, 0) if target == -1, else 0).

    cos is the cosine similarity along axis 1 (no epsilon: zero vectors give nan).
    Inputs (N, D) with target (N,), or (N, D, M) with target (N, M).
    >>> ops.cosine_embedding_loss(Tensor([[1., 0.]]), Tensor([[0., 1.]]), Tensor([1]))   # 1.0
    """
    check_reduction("cosine_embedding_loss", reduction)
    margin = check_margin("cosine_embedding_loss", margin)
    check_cosine_embedding("cosine_embedding_loss", input1, input2, target, ("input1", "input2", "target"))
    cos = _cosine_similarity(input1, input2)
    return reduce_loss(cosine_embedding_terms(cos, target, margin), 1.0, reduction, "cosine_embedding_loss")
