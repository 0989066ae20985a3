"""lossviz: learn loss functions hands-on, with a MindSpore-shaped API on numpy.

Replace ``mindspore`` by ``lossviz`` in the tutorial's imports and its cells run:

>>> import numpy as np
>>> import lossviz.nn as nn
>>> from lossviz import Tensor
>>> print(nn.L1Loss()(Tensor(np.array([1., 2.], np.float32)), Tensor(np.array([0., 4.], np.float32))))
1.5
"""
from ._engine import (DType, Parameter, ParameterTuple, Tensor, bool_, enable_grad, float16, float32, float64,
                      get_seed, grad, int8, int16, int32, int64, no_grad, set_seed, uint8, value_and_grad)
from . import ops
from . import nn

__version__ = "0.1.0"

# The training stack loads on first use (``lossviz.Model``, ``from lossviz import
# dataset``), so ``import lossviz`` stays light.
_LAZY = {"Model": ("train", "Model"), "save_checkpoint": ("checkpoint", "save_checkpoint"),
         "load_checkpoint": ("checkpoint", "load_checkpoint"),
         "load_param_into_net": ("checkpoint", "load_param_into_net"),
         "dataset": ("dataset", None), "train": ("train", None),
         "checkpoint": ("checkpoint", None),
         "check_loss": ("doctor", "check_loss")}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'lossviz' has no attribute '{name}'")
    import importlib
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(f".{module_name}", __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
