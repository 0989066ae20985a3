"""lossviz: learn loss functions hands-on, with a MindSpore-shaped API on numpy.

Replace ``mindspore`` by ``lossviz`` in the tutorial's imports and its cells run:

>>> import numpy as np
>>> import lossviz.nn as nn
>>> from lossviz import Tensor
>>> print(nn.L1Loss()(Tensor(np.array([1., 2.], np.float32)), Tensor(np.array([0., 4.], np.float32))))
1.5
"""
from ._engine.dtype import bool_, float16, float32, float64, int8, int16, int32, int64, uint8, DType
from ._engine.tensor import Tensor
from ._engine.parameter import Parameter, ParameterTuple
from ._engine.autograd import no_grad, enable_grad
from ._engine.grad_api import grad, value_and_grad
from ._engine.random import set_seed, get_seed
from . import ops
from . import nn
from . import common, dataset, train
from .train import Model
from .checkpoint import save_checkpoint, load_checkpoint, load_param_into_net

__version__ = "0.1.0"
