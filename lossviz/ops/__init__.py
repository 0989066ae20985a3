"""``lossviz.ops``: MindSpore-style primitives (``ops.Abs()``) and functional forms (``ops.abs``).

Every primitive is a small class with ``forward`` and ``backward`` side by
side; ``help(ops.Abs)`` shows its formula. Where they live:

* ``lossviz/_engine/``: the primitives the Tensor's operators use
  (elementwise, reductions, shapes and indexing, matmul);
* ``network.py``: ``Softmax``, ``LogSoftmax`` and the fused ``Dense``;
* ``fused_losses.py``: whole loss formulas as one primitive (the unreduced loss);
* ``functional.py``: the lowercase forms (``ops.abs(x)``, ``ops.mean(x, axis)``).

The functional forms of the losses (``ops.l1_loss``, ``ops.cross_entropy``...)
are written with the loss classes, in ``lossviz/nn/loss/functional.py``; this
module loads them on first use, so ``ops`` itself does not depend on ``nn``.
"""
from .._engine.primitive import Primitive, apply
from .._engine.elementwise import (Abs, Add, Cast, Div, Exp, Log, Maximum, Minimum, Mul, Neg, OnesLike, Pow, ReLU,
                                   Select, Sigmoid, Sign, Sqrt, Square, Sub, ZerosLike)
from .._engine.reduction import ReduceMax, ReduceMean, ReduceMin, ReduceSum
from .._engine.array_ops import (BatchMatMul, BroadcastTo, Concat, ExpandDims, Gather, GetItem, MatMul, OneHot,
                                 Reshape, Squeeze, Transpose)
from .network import Dense, LogSoftmax, Softmax
from .functional import (abs, add, amax, amin, cast, cat, concat, dense, div, exp, expand_dims, gather, log, log_softmax,
                         matmul, maximum, mean, minimum, mul, neg, one_hot, ones_like, pow, relu, reshape, select,
                         sigmoid, sign, softmax, sqrt, square, sub, sum, transpose, zeros_like)
from .fused_losses import (AbsoluteError, BinaryCrossEntropy, CosineSimilarity, Hinge, SampledLogits, SmoothL1Loss,
                           SoftmaxCrossEntropyWithLogits, SparseSoftmaxCrossEntropyWithLogits, SquaredError)
from .fused_regression import *  # noqa: F401,F403
from .fused_cross_entropy import *  # noqa: F401,F403
from .fused_multilabel import *  # noqa: F401,F403
from .fused_embedding import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403


def _functional_losses():
    """The functional losses: the public functions of ``lossviz/nn/loss/functional.py``."""
    import importlib
    import inspect
    module = importlib.import_module("lossviz.nn.loss.functional")
    return {name: value for name, value in vars(module).items()
            if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__}


def __getattr__(name):
    """``ops.l1_loss`` and the other functional losses, loaded with the loss classes on first use."""
    losses = _functional_losses()
    if name not in losses:
        raise AttributeError(f"module 'lossviz.ops' has no attribute '{name}'")
    globals()[name] = losses[name]
    return losses[name]


def __dir__():
    return sorted(set(globals()) | set(_functional_losses()))
