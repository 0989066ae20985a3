"""Layers: ``Dense`` (a fully connected layer), activations, ``SequentialCell``.

Enough to write the tutorial's ``LinearNet`` and a small MLP::

    net = nn.SequentialCell(nn.Dense(2, 8, activation='relu'), nn.Dense(8, 1))
"""
import math
import numbers

import numpy as np

from .._engine.parameter import Parameter
from .._engine.tensor import Tensor
from ..common.initializer import HeUniform, Uniform, initializer
from ..ops import functional as F
from .cell import Cell

__all__ = ["Dense", "ReLU", "Sigmoid", "Softmax", "LogSoftmax", "Flatten", "SequentialCell"]




class Dense(Cell):
    """A fully connected layer: ``y = activation(x @ weight.T + bias)``.

    Parameters: ``weight`` of shape ``(out_channels, in_channels)`` and
    ``bias`` of shape ``(out_channels,)`` (``None`` with ``has_bias=False``).
    ``weight_init`` / ``bias_init`` may be an initializer
    (``Normal(0.02)``), its name (``'normal'``, ``'zeros'``...), a number or a
    Tensor of exactly the right shape. Defaults: ``HeUniform(sqrt(5))`` for
    the weight and ``Uniform(1/sqrt(in_channels))`` for the bias, so both
    start in ``[-1/sqrt(in), 1/sqrt(in)]``.

    Shapes: ``(N, in) -> (N, out)``; ``(in,) -> (out,)``; ``(*lead, in) ->
    (*lead, out)``. The input dtype must match the weight's (Dense does not
    cast).

    >>> from lossviz.common.initializer import Normal
    >>> Dense(1, 1, Normal(0.02), Normal(0.02))
    Dense<input_channels=1, output_channels=1, has_bias=True>
    """

    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True,
                 activation=None, dtype=None):
        super().__init__()
        self.in_channels = _positive_int("in_channels", in_channels)
        self.out_channels = _positive_int("out_channels", out_channels)
        if not isinstance(has_bias, bool):
            raise TypeError(f"For 'Dense', the 'has_bias' must be a bool, but got {type(has_bias).__name__}.")
        self.has_bias = has_bias
        np_dtype = np.float32 if dtype is None else getattr(dtype, "np_dtype", dtype)
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))
        self.weight = Parameter(_init("weight_init", weight_init, (self.out_channels, self.in_channels), np_dtype),
                                name="weight")
        if has_bias:
            if bias_init is None:
                bias_init = Uniform(1 / math.sqrt(self.in_channels))
            self.bias = Parameter(_init("bias_init", bias_init, (self.out_channels,), np_dtype), name="bias")
        else:
            self.bias = None
        self.activation = _activation(activation)
        self.activation_flag = self.activation is not None

    def construct(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"For 'Dense', the input 'x' must be a Tensor, but got {type(x).__name__}.")
        data, weight = x._data, self.weight
        shape = data.shape
        if not shape or shape[-1] != self.in_channels:
            raise ValueError(f"For 'Dense' (MatMul), the last dimension of the input must be in_channels="
                             f"{self.in_channels}, but got an input of shape {shape}.")
        if data.dtype != weight._data.dtype:
            raise TypeError(f"For 'Dense', the input dtype must be the weight's ({weight._data.dtype}), but got "
                            f"{data.dtype}; Dense does not cast: use ops.cast(x, lossviz.float32) first.")
        if len(shape) != 2:
            x = F.reshape(x, (-1, self.in_channels))
        y = F.dense(x, weight, self.bias)
        if len(shape) != 2:
            y = F.reshape(y, shape[:-1] + (self.out_channels,))
        if self.activation is not None:
            y = self.activation(y)
        return y

    def extend_repr(self):
        s = f"input_channels={self.in_channels}, output_channels={self.out_channels}"
        if self.has_bias:
            s += f", has_bias={self.has_bias}"
        if self.activation_flag:
            s += f", activation={self.activation}"
        return s


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"For 'Dense', the '{name}' must be a positive int, but got {value!r}.")
    return int(value)


def _init(name, init, shape, np_dtype):
    if isinstance(init, (Tensor, np.ndarray)):
        data = init.asnumpy() if isinstance(init, Tensor) else init
        if tuple(data.shape) != shape:
            raise ValueError(f"For 'Dense', the shape of '{name}' must be {shape}, but got {tuple(data.shape)}.")
        return data.copy()
    if not isinstance(init, (str, numbers.Number)) and not callable(init):
        raise TypeError(f"For 'Dense', the '{name}' must be an Initializer, a str, a number or a Tensor, "
                        f"but got {type(init).__name__}.")
    return initializer(init, shape, np_dtype).asnumpy()


# ----- activations -----
class ReLU(Cell):
    """y = max(x, 0)"""

    def construct(self, x):
        return F.relu(x)


class Sigmoid(Cell):
    """y = 1 / (1 + e^-x)"""

    def construct(self, x):
        return F.sigmoid(x)


class Softmax(Cell):
    """y = e^x / sum(e^x) along ``axis``"""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def construct(self, x):
        return F.softmax(x, self.axis)


class LogSoftmax(Cell):
    """y = x - log(sum(e^x)) along ``axis``"""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def construct(self, x):
        return F.log_softmax(x, self.axis)


class Flatten(Cell):
    """(N, d1, d2, ...) -> (N, d1*d2*...)"""

    def construct(self, x):
        return F.reshape(x, (x.shape[0], -1))


_ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "softmax": Softmax, "logsoftmax": LogSoftmax}


def _activation(activation):
    if activation is None:
        return None
    if isinstance(activation, str):
        cls = _ACTIVATIONS.get(activation.lower())
        if cls is None:
            raise KeyError(f"For 'Dense', the 'activation' must be one of {sorted(_ACTIVATIONS)}, "
                           f"but got '{activation}'.")
        return cls()
    if isinstance(activation, Cell) or callable(activation):
        return activation
    raise TypeError(f"For 'Dense', the 'activation' must be a str, a Cell or None, but got {type(activation).__name__}.")


class SequentialCell(Cell):
    """Cells run one after the other: ``SequentialCell(a, b)(x) == b(a(x))``.

    Accepts cells as arguments, one list of cells, or an ordered dict
    ``{name: cell}``. Sub-cells are named ``"0"``, ``"1"``... (so parameters
    are ``0.weight``...) unless a dict gives names.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):
            items = list(args[0].items())
        else:
            cells = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
            items = [(str(i), c) for i, c in enumerate(cells)]
        for name, cell in items:
            if not isinstance(cell, Cell):
                raise TypeError(f"For 'SequentialCell', every element must be a Cell, but got {type(cell).__name__}.")
            setattr(self, name, cell)

    def __getitem__(self, index):
        cells = list(self._cells.values())
        if isinstance(index, slice):
            return SequentialCell(cells[index])
        return cells[index]

    def __len__(self):
        return len(self._cells)

    def append(self, cell):
        if not isinstance(cell, Cell):
            raise TypeError(f"For 'SequentialCell', every element must be a Cell, but got {type(cell).__name__}.")
        setattr(self, str(len(self._cells)), cell)
        return self

    def construct(self, x):
        for cell in self._cells.values():
            x = cell(x)
        return x
