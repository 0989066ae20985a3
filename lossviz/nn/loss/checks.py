"""The checks every loss runs on what it is given, with MindSpore's wording.

Each check takes the name of who is checking (``'L1Loss'``, or ``'l1_loss'``
for a functional form) and the argument names (``'logits'``, or ``'input'``),
so every error names who refused what: a TypeError for the wrong kind of
thing, a ValueError for a wrong value, shape or range.
"""
import numpy as np

from ..._engine.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")
INTS = (np.dtype(np.int32), np.dtype(np.int64))
FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
NUMBERS = FLOATS + tuple(np.dtype(d) for d in (np.int8, np.int16, np.int32, np.int64, np.uint8))


def check_reduction(name, reduction):
    if not (isinstance(reduction, str) and reduction in REDUCTIONS):
        raise ValueError(f"For '{name}', the 'reduction' must be in ['mean', 'sum', 'none'], but got {reduction}.")
    return reduction


def describe(value):
    return f"{type(value).__module__}.{type(value).__name__}" if isinstance(value, np.ndarray) else type(value).__name__


def check_tensor(name, arg, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"For '{name}', the '{arg}' must be a Tensor, but got {describe(value)}.")


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




def check_regression(name, logits, labels, names=("logits", "labels")):
    """L1 / MSE: two numeric Tensors whose shapes broadcast."""
    check_tensor(name, names[0], logits)
    check_tensor(name, names[1], labels)
    check_dtype(name, names[0], logits, NUMBERS)
    check_dtype(name, names[1], labels, NUMBERS)
    check_broadcast(name, names[0], logits.shape, names[1], labels.shape)


def check_beta(name, beta):
    if isinstance(beta, str) or not isinstance(beta, (bool, int, float, np.floating, np.integer)):
        raise TypeError(f"For '{name}', the 'beta' must be a bool, int or float, but got {type(beta).__name__}.")
    return float(beta)


def check_smooth_l1(name, logits, labels, beta, names=("logits", "labels")):
    """SmoothL1: float Tensors of the same shape, beta > 0."""
    check_tensor(name, names[0], logits)
    check_tensor(name, names[1], labels)
    check_dtype(name, names[0], logits, FLOATS)
    check_dtype(name, names[1], labels, FLOATS)
    check_same_shape(name, names[0], logits, names[1], labels)
    if not beta > 0:
        raise ValueError(f"For '{name}', the 'beta' must be greater than 0, but got {beta}.")


def check_bce(name, logits, labels, weight, names=("logits", "labels")):
    """BCE: probabilities in [0, 1], labels of the same dtype and shape, a weight that broadcasts to them."""
    check_tensor(name, names[0], logits)
    check_tensor(name, names[1], labels)
    check_dtype(name, names[0], logits, FLOATS)
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
    check_dtype(name, names[0], x1, FLOATS)
    check_same_dtype(name, names[0], x1, names[1], x2)
    check_same_shape(name, names[0], x1, names[1], x2)
    if x1.ndim < 2:
        raise ValueError(f"For '{name}', the '{names[0]}' must have at least 2 dimensions (the cosine is taken "
                         f"along axis 1), but got shape {x1.shape}.")
    cos_shape = x1.shape[:1] + x1.shape[2:]
    if check_broadcast(name, "cosine", cos_shape, names[2], labels.shape) != cos_shape:
        raise ValueError(f"For '{name}', the '{names[2]}' must have the shape {cos_shape} ('{names[0]}' without "
                         f"axis 1), but got {labels.shape}.")


# ----- hyper-parameter kinds (appended by the regression group) -----
def check_bool_param(name, arg, value):
    """A flag that must be exactly True or False (0 and 1 are refused): TypeError otherwise."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"For '{name}', the type of '{arg}' should be 'bool', but got type '{type(value).__name__}'.")
    return bool(value)


def check_number_param(name, arg, value, types=(int, float)):
    """A number of one of ``types`` (Python int/float); bool, str, None, Tensors are a TypeError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, types):
        expected = ", ".join(f"'{t.__name__}'" for t in types)
        raise TypeError(f"For '{name}', the type of '{arg}' should be one of [{expected}], "
                        f"but got type '{type(value).__name__}'.")
    return value


# ----- finite hyper-parameters (appended by the embedding group) -----
def check_finite_param(name, arg, value):
    """A number-valued hyper-parameter that must be finite: NaN or +-inf is a ValueError naming it."""
    if not np.isfinite(value):
        raise ValueError(f"For '{name}', the '{arg}' must be a finite number, but got {value}.")
    return value


# ----- class indices (appended by the cross-entropy group) -----
def check_class_indices(name, arg, labels, num_classes, ignore_index=None):
    """Class indices (a numpy int array) must lie in [0, num_classes); values equal to ``ignore_index`` pass.

    A negative index is a ValueError too: it does not count back from the last class (MindSpore's gather
    would wrap -1 to C - 1; catalogue decision D13). Returns the mask of the positions that are not ignored.
    """
    keep = np.ones(labels.shape, bool) if ignore_index is None else labels != ignore_index
    kept = labels if ignore_index is None else labels[keep]
    if kept.size:
        low, high = kept.min(), kept.max()
        if low < 0 or high >= num_classes:
            bad = low if low < 0 else high
            ignored = "" if ignore_index is None else f" or equal to ignore_index ({ignore_index})"
            why = " (negative labels do not count back from the last class)" if bad < 0 else ""
            raise ValueError(f"For '{name}', every value of '{arg}' must be a class index in [0, {num_classes})"
                             f"{ignored}, but got {bad}{why}.")
    return keep
