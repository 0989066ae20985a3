"""The engine: ``Tensor``, the graph and its backward pass, and the primitives the Tensor is made of.

Layers, lowest first (each module imports only those above it in this list,
except that ``tensor`` imports the primitive modules once ``Tensor`` exists):

* ``dtype``: MindSpore's dtype names on numpy dtypes.
* ``autograd``: ``Node``, ``backprop``, ``no_grad``; knows no op by name.
* ``tensor``: ``Tensor``; its operators (``+``, ``t.sum()``...) run primitives.
* ``primitive``: ``Primitive`` (forward and backward side by side) and ``apply``.
* ``elementwise``, ``reduction``, ``array_ops``: the primitives.
* ``parameter``, ``grad_api``, ``random``: ``Parameter``, ``grad`` /
  ``value_and_grad``, ``set_seed``.
"""
from .dtype import DType, bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from .tensor import Tensor
from .primitive import Primitive, apply
from .parameter import Parameter, ParameterTuple
from .autograd import enable_grad, no_grad
from .grad_api import grad, value_and_grad
from .random import get_seed, set_seed
