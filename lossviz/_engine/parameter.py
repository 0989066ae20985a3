"""``Parameter``: a leaf Tensor that a Cell owns and an optimizer updates."""
import numpy as np

from .tensor import Tensor, to_array


class Parameter(Tensor):
    """A trainable tensor with a name (``fc.weight``) and ``requires_grad=True``.

    ``Parameter(Tensor(np.zeros((1, 1), np.float32)), name="w")``
    """

    __slots__ = ("name",)

    def __init__(self, default_input, name=None, requires_grad=True):
        if isinstance(default_input, Parameter):
            default_input = default_input._data
        super().__init__(to_array(default_input) if not isinstance(default_input, np.ndarray) else default_input.copy(),
                         requires_grad=requires_grad)
        self.name = name

    @property
    def data(self):
        return self

    def set_data(self, data):
        """Replace the values (shape may change only if the data says so)."""
        self._data = to_array(data, self._data.dtype)
        return self

    def value(self):
        return Tensor._wrap(self._data)

    def clone(self, name=None):
        return Parameter(self._data.copy(), name=name or self.name, requires_grad=self.requires_grad)

    def __repr__(self):
        return (f"Parameter (name={self.name}, shape={self._data.shape}, dtype={self.dtype}, "
                f"requires_grad={self.requires_grad})")

    def __reduce__(self):  # copy.deepcopy support
        return (Parameter, (self._data.copy(), self.name, self.requires_grad))


class ParameterTuple(tuple):
    """A tuple of Parameters (as ``mindspore.ParameterTuple``)."""

    def __new__(cls, params):
        params = tuple(params)
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"For 'ParameterTuple', every element must be a Parameter, but got {type(p).__name__}.")
        return super().__new__(cls, params)
