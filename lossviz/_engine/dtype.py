"""MindSpore-style dtype objects (``lossviz.float32`` ...) over numpy dtypes.

``str(lossviz.float32)`` is ``Float32`` and ``repr`` is ``lossviz.float32``, as
MindSpore prints ``Float32`` / ``mindspore.float32``. A dtype compares equal to
itself, to the matching numpy dtype and to the numpy scalar type.
"""
import numpy as np


class DType:
    """A named dtype; ``np_dtype`` is the numpy dtype behind it."""

    __slots__ = ("name", "np_dtype")

    def __init__(self, name, np_dtype):
        self.name = name
        self.np_dtype = np.dtype(np_dtype)

    def __repr__(self):
        return "lossviz." + self.name

    def __str__(self):
        return self.name[0].upper() + self.name[1:].rstrip("_")

    def __eq__(self, other):
        if isinstance(other, DType):
            return self.np_dtype == other.np_dtype
        try:
            return self.np_dtype == np.dtype(other)
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.np_dtype)


float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
bool_ = DType("bool_", np.bool_)

_BY_NUMPY = {d.np_dtype: d for d in (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)}


def from_numpy(np_dtype):
    """The lossviz dtype for a numpy dtype (a new DType for exotic ones)."""
    np_dtype = np.dtype(np_dtype)
    found = _BY_NUMPY.get(np_dtype)
    return found if found is not None else DType(np_dtype.name, np_dtype)


def to_numpy(dtype, op_name="dtype"):
    """A lossviz dtype, a numpy dtype, a numpy type (``np.float32``) or Python's bool/int/float, as a numpy dtype.

    None and strings are a TypeError naming ``op_name``: numpy would silently read
    both ``None`` and ``'float'`` as float64.
    """
    if isinstance(dtype, DType):
        return dtype.np_dtype
    if isinstance(dtype, np.dtype):
        return dtype
    if isinstance(dtype, type) and (issubclass(dtype, np.generic) or dtype in (bool, int, float)):
        return np.dtype(dtype)
    raise TypeError(f"For '{op_name}', the 'dtype' must be a lossviz dtype (lossviz.float32, ...) or a numpy "
                    f"type (np.float32, ...), but got {dtype!r}.")
