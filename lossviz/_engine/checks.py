"""Argument checks shared by the primitives: errors name the op, the argument and what was expected."""
import math
import numbers

import numpy as np


def check_int(op_name, arg, value, minimum=None):
    """``value`` as an int (a bool, float or str is a TypeError), at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"For '{op_name}', the '{arg}' must be an int, but got {type(value).__name__}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"For '{op_name}', the '{arg}' must be >= {minimum}, but got {value}.")
    return int(value)


def check_axis(op_name, axis, ndim, arg="axis"):
    """One axis of an ``ndim``-d tensor, in [-ndim, ndim), as a non-negative int."""
    axis = check_int(op_name, arg, axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"For '{op_name}', the '{arg}' must be in range [{-ndim}, {ndim}), but got {axis}.")
    return axis % ndim


def check_finite(op_name, arg, value):
    """A real number that is not NaN or infinite (a TypeError for anything that is not a number)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"For '{op_name}', the '{arg}' must be a float, but got {type(value).__name__}.")
    if not np.isfinite(value):
        raise ValueError(f"For '{op_name}', the '{arg}' must be a finite number, but got {value}.")
    return value


class OutOfRange(ValueError, IndexError):
    """An index or position out of range: a ValueError, and an IndexError for code that expects one
    (as numpy's AxisError is both)."""


def check_float(op_name, arg, value, allow_inf=False):
    """A real number (not a bool, str or None) as a float; NaN refused, and inf unless ``allow_inf``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"For '{op_name}', the '{arg}' must be a float, but got {type(value).__name__}.")
    value = float(value)
    if value != value or (not allow_inf and math.isinf(value)):
        raise ValueError(f"For '{op_name}', the '{arg}' must be a {'number' if allow_inf else 'finite number'}, "
                         f"but got {value}.")
    return value


def check_bool(op_name, arg, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"For '{op_name}', the '{arg}' must be a bool, but got {type(value).__name__}.")
    return bool(value)
