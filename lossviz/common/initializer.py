"""Initializers: how a Parameter gets its first values.

An initializer is a small object that fills an array of a given shape:
``Normal(sigma=0.01, mean=0.0)`` draws from N(mean, sigma^2), ``Zero()`` fills
zeros... Layers accept an initializer, its string name (``'normal'``,
``'zeros'``, ``'ones'``, ``'uniform'``, ``'he_uniform'``...), a number (a
constant) or a Tensor of exactly the right shape; :func:`initializer` turns
any of these into a Tensor.

Random numbers, as MindSpore draws them (spec §5.1): every initializer-backed
Parameter takes exactly **one** draw ``np.random.randint(1, 2**63)`` from
numpy's *global* generator and seeds its own generator with it. So
``lossviz.set_seed(s)`` (or ``np.random.seed(s)``) makes initial weights
reproducible, and data drawn from ``np.random`` *after* building a net is the
same data MindSpore would draw. (The values themselves differ from
MindSpore's, whose C++ generator we cannot reproduce; the distribution is the
same.)

>>> import numpy as np
>>> from lossviz.common.initializer import initializer, One
>>> print(initializer(One(), (2, 3)))
[[1. 1. 1.]
 [1. 1. 1.]]
"""
import math
import numbers

import numpy as np

from .._engine.dtype import float32, to_numpy
from .._engine.tensor import Tensor

__all__ = ["Initializer", "Normal", "Uniform", "TruncatedNormal", "XavierUniform", "XavierNormal",
           "HeUniform", "HeNormal", "Zero", "One", "Constant", "initializer"]


class Initializer:
    """Base class: ``init(array)`` fills ``array`` in place.

    Subclasses implement ``_fill(shape, rng)`` returning float64 values;
    ``rng`` is a numpy Generator seeded from one draw of numpy's global RNG.
    """

    random = True  # every initializer consumes one global draw (see the module doc)

    def __call__(self, array):
        array[...] = self._fill(array.shape, _draw_generator())
        return array

    def _fill(self, shape, rng):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


def _draw_generator():
    # NOTE: exactly one draw from numpy's global RNG per parameter, as MindSpore.
    seed = np.random.randint(low=1, high=2**63, dtype=np.int64)
    return np.random.default_rng(int(seed))


def _number(cls, name, value, low=None, positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"For '{cls}', the '{name}' must be a number, but got {type(value).__name__}.")
    if positive and not value > 0:
        raise ValueError(f"For '{cls}', the '{name}' must be > 0, but got {value}.")
    if low is not None and value < low:
        raise ValueError(f"For '{cls}', the '{name}' must be >= {low}, but got {value}.")
    return float(value)


def _fans(cls, shape):
    """fan_in, fan_out of a weight: (out, in, *kernel) -> in*k, out*k."""
    if len(shape) < 2:
        raise ValueError(f"For '{cls}', 'fan_in' and 'fan_out' can not be computed for a tensor with fewer "
                         f"than 2 dimensions, but got shape {tuple(shape)}.")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


class Normal(Initializer):
    """values ~ N(mean, sigma^2). The tutorial uses ``Normal(0.02)``."""

    def __init__(self, sigma=0.01, mean=0.0):
        self.sigma = _number("Normal", "sigma", sigma, low=0.0)
        self.mean = _number("Normal", "mean", mean)

    def _fill(self, shape, rng):
        return rng.normal(self.mean, self.sigma, shape)


class Uniform(Initializer):
    """values ~ U(-scale, scale)."""

    def __init__(self, scale=0.07):
        self.scale = _number("Uniform", "scale", scale, low=0.0)

    def _fill(self, shape, rng):
        return rng.uniform(-self.scale, self.scale, shape)


class TruncatedNormal(Initializer):
    """values ~ N(mean, sigma^2), redrawn until inside [a, b]."""

    def __init__(self, sigma=0.01, mean=0.0, a=-2.0, b=2.0):
        self.sigma = _number("TruncatedNormal", "sigma", sigma, low=0.0)
        self.mean = _number("TruncatedNormal", "mean", mean)
        self.a = _number("TruncatedNormal", "a", a)
        self.b = _number("TruncatedNormal", "b", b)
        if not self.a < self.b:
            raise ValueError(f"For 'TruncatedNormal', 'a' must be less than 'b', but got a={a}, b={b}.")
        if not self.a <= self.mean <= self.b:
            raise ValueError(f"For 'TruncatedNormal', 'mean' must be within [a, b], but got mean={mean}.")

    def _fill(self, shape, rng):
        out = rng.normal(self.mean, self.sigma, shape)
        bad = (out < self.a) | (out > self.b)
        while bad.any():  # rejection sampling; terminates fast since the mean is inside [a, b]
            out[bad] = rng.normal(self.mean, self.sigma, int(bad.sum()))
            bad = (out < self.a) | (out > self.b)
        return out


class XavierUniform(Initializer):
    """values ~ U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)) (Glorot)."""

    def __init__(self, gain=1):
        self.gain = _number("XavierUniform", "gain", gain, positive=True)

    def _fill(self, shape, rng):
        fan_in, fan_out = _fans("XavierUniform", shape)
        bound = self.gain * math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, shape)


class XavierNormal(Initializer):
    """values ~ N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot)."""

    def __init__(self, gain=1):
        self.gain = _number("XavierNormal", "gain", gain, positive=True)

    def _fill(self, shape, rng):
        fan_in, fan_out = _fans("XavierNormal", shape)
        return rng.normal(0.0, self.gain * math.sqrt(2.0 / (fan_in + fan_out)), shape)


class _He(Initializer):
    def __init__(self, negative_slope=0, mode="fan_in", nonlinearity="leaky_relu"):
        cls = type(self).__name__
        self.negative_slope = _number(cls, "negative_slope", negative_slope)
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"For '{cls}', the 'mode' must be in ['fan_in', 'fan_out'], but got {mode}.")
        if nonlinearity not in ("relu", "leaky_relu", "linear", "sigmoid", "tanh"):
            raise ValueError(f"For '{cls}', the 'nonlinearity' must be in ['relu', 'leaky_relu', 'linear', "
                             f"'sigmoid', 'tanh'], but got {nonlinearity}.")
        self.mode, self.nonlinearity = mode, nonlinearity

    def _std(self, shape):
        fan_in, fan_out = _fans(type(self).__name__, shape)
        gain = {"relu": math.sqrt(2.0), "linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3,
                "leaky_relu": math.sqrt(2.0 / (1 + self.negative_slope ** 2))}[self.nonlinearity]
        return gain / math.sqrt(fan_in if self.mode == "fan_in" else fan_out)


class HeUniform(_He):
    """values ~ U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan) (Kaiming).

    ``HeUniform(math.sqrt(5))`` is Dense's default weight init: bound = 1/sqrt(in_channels).
    """

    def _fill(self, shape, rng):
        bound = math.sqrt(3.0) * self._std(shape)
        return rng.uniform(-bound, bound, shape)


class HeNormal(_He):
    """values ~ N(0, std^2), std = gain / sqrt(fan) (Kaiming)."""

    def _fill(self, shape, rng):
        return rng.normal(0.0, self._std(shape), shape)


class Constant(Initializer):
    """every value = ``value``."""

    def __init__(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Number):
            raise TypeError(f"For 'Constant', the 'value' must be a number, but got {type(value).__name__}.")
        self.value = value

    def _fill(self, shape, rng):
        return np.full(shape, self.value)


class Zero(Constant):
    """every value = 0."""

    def __init__(self):
        super().__init__(0)


class One(Constant):
    """every value = 1."""

    def __init__(self):
        super().__init__(1)


_BY_NAME = {
    "normal": Normal, "uniform": Uniform, "truncatednormal": TruncatedNormal,
    "xavier_uniform": XavierUniform, "xavieruniform": XavierUniform,
    "xavier_normal": XavierNormal, "xaviernormal": XavierNormal,
    "he_uniform": HeUniform, "heuniform": HeUniform, "he_normal": HeNormal, "henormal": HeNormal,
    "zeros": Zero, "zero": Zero, "ones": One, "one": One,
}


def _from_name(name):
    cls = _BY_NAME.get(name.lower())
    if cls is None:
        raise ValueError(f"For 'initializer', the init name must be one of {sorted(set(_BY_NAME))}, but got '{name}'.")
    return cls()


def initializer(init, shape=None, dtype=float32):
    """A Tensor of ``shape`` and ``dtype`` made by ``init``.

    ``init`` may be an :class:`Initializer`, its name (``'normal'``), a number
    (a constant) or a Tensor / numpy array (returned as is, after checking its
    shape when ``shape`` is given).
    """
    np_dtype = to_numpy(dtype, "initializer")
    if isinstance(init, (Tensor, np.ndarray)):
        data = init.asnumpy() if isinstance(init, Tensor) else init
        if shape is not None and tuple(data.shape) != tuple(_shape(shape)):
            raise ValueError(f"For 'initializer', the shape of the init Tensor {tuple(data.shape)} does not "
                             f"match the expected shape {tuple(_shape(shape))}.")
        return Tensor(data.copy())
    if shape is None:
        raise ValueError("For 'initializer', the 'shape' must be given unless 'init' is a Tensor.")
    shape = _shape(shape)
    if isinstance(init, str):
        init = _from_name(init)
    elif isinstance(init, numbers.Number) and not isinstance(init, bool):
        init = Constant(init)
    elif isinstance(init, type) and issubclass(init, Initializer):
        init = init()
    if not isinstance(init, Initializer):
        raise TypeError(f"For 'initializer', the 'init' must be an Initializer, a str, a number or a Tensor, "
                        f"but got {type(init).__name__}.")
    array = np.empty(shape, np.float64)
    init(array)
    return Tensor._wrap(array.astype(np_dtype))


def _shape(shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"For 'initializer', the 'shape' must be a tuple of non-negative ints, but got {shape}.")
    return tuple(int(n) for n in shape)
