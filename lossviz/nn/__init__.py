"""``lossviz.nn``: cells (networks), losses, layers, wrappers, optimizers, metrics.

The layout mirrors ``mindspore.nn``: ``from lossviz.nn import LossBase`` works
as ``from mindspore.nn import LossBase`` does in the tutorial.
"""
from .cell import Cell
from .loss import *  # noqa: F401,F403  LossBase and the built-in losses
from .layers import *  # noqa: F401,F403  Dense, ReLU, Sigmoid, SequentialCell
from .wrappers import *  # noqa: F401,F403  WithLossCell, TrainOneStepCell
from .optim import *  # noqa: F401,F403  Momentum, SGD, Adam
from .metrics import *  # noqa: F401,F403  MAE, MSE, Loss, Accuracy
