"""``lossviz.ops``: MindSpore-style primitives (``ops.Abs()``) and functional forms (``ops.abs``).

Every primitive is a small class with ``forward`` and ``backward`` side by
side; ``help(ops.Abs)`` shows its formula.
"""
from .primitive import Primitive, apply
from .elementwise import (Abs, Add, Cast, Div, Exp, Log, Maximum, Minimum, Mul, Neg, OnesLike, Pow, ReLU,
                          Select, Sigmoid, Sign, Sqrt, Square, Sub, ZerosLike)
from .reduction import ReduceMax, ReduceMean, ReduceMin, ReduceSum
from .array_ops import (BatchMatMul, BroadcastTo, Concat, ExpandDims, Gather, GetItem, MatMul, OneHot, Reshape,
                        Squeeze, Transpose)
from .nn_ops import Dense, LogSoftmax, Softmax
from .functional import (abs, add, amax, amin, cast, cat, concat, dense, div, exp, expand_dims, gather, log, log_softmax,
                         matmul, maximum, mean, minimum, mul, neg, one_hot, ones_like, pow, relu, reshape, select,
                         sigmoid, sign, softmax, sqrt, square, sub, sum, transpose, zeros_like)
from .loss_ops import (AbsoluteError, BinaryCrossEntropy, CosineSimilarity, Hinge, ReduceLoss, SampledLogits,
                       SmoothL1Loss, SoftmaxCrossEntropyWithLogits, SparseSoftmaxCrossEntropyWithLogits, SquaredError)
from .loss_functional import binary_cross_entropy, cosine_embedding_loss, l1_loss, mse_loss, smooth_l1_loss
from . import tensor_methods as _tensor_methods

_tensor_methods.install()
