"""Wrappers that turn a network into something trainable.

* ``WithLossCell(backbone, loss_fn)``: ``loss_fn(backbone(data), label)``.
* ``TrainOneStepCell(network, optimizer)``: one step of training --
  forward, backward, update -- returning the loss *before* the update.
* ``WithEvalCell(network, loss_fn)``: ``(loss, outputs, label)`` for evaluation.

All are built with ``auto_prefix=False``, so parameter names stay as the
backbone named them (``fc.weight``, not ``_backbone.fc.weight``).
"""
import numpy as np

from .._engine.grad_api import value_and_grad
from .._engine.tensor import Tensor
from .cell import Cell

__all__ = ["WithLossCell", "TrainOneStepCell", "WithEvalCell"]


class WithLossCell(Cell):
    """The network followed by its loss: ``construct(data, label) = loss_fn(backbone(data), label)``.

    It takes exactly two inputs. For a dataset with more columns (the
    tutorial's ``data, label1, label2``) write your own cell with the same
    shape -- the tutorial's ``CustomWithLossCell`` -- and give it to
    ``Model(network=loss_net, optimizer=opt)``.
    """

    def __init__(self, backbone, loss_fn):
        super().__init__(auto_prefix=False)
        _check_cell("WithLossCell", "backbone", backbone)
        if not callable(loss_fn):
            raise TypeError(f"For 'WithLossCell', the 'loss_fn' must be a Cell or a function, "
                            f"but got {type(loss_fn).__name__}.")
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label):
        out = self._backbone(data)
        return self._loss_fn(out, label)

    @property
    def backbone_network(self):
        """The network without its loss."""
        return self._backbone


class TrainOneStepCell(Cell):
    """One training step of a network that returns its loss.

    Each call with the batch columns does::

        loss = network(*columns)
        grads = d sum(loss) / d optimizer.parameters      (one backward pass)
        optimizer(grads)                                   (in-place update)
        return loss                                        (before the update)

    ``sens`` scales the gradients (as if the loss were multiplied by it); pair
    it with the optimizer's ``loss_scale``.
    """

    def __init__(self, network, optimizer, sens=None):
        super().__init__(auto_prefix=False)
        _check_cell("TrainOneStepCell", "network", network)
        if not callable(optimizer) or not hasattr(optimizer, "parameters"):
            raise TypeError(f"For 'TrainOneStepCell', the 'optimizer' must be an optimizer such as nn.Momentum, "
                            f"but got {type(optimizer).__name__}.")
        self.network = network
        self.network.set_train()
        self.optimizer = optimizer
        self.weights = optimizer.parameters
        self.sens = sens
        self.grad_fn = value_and_grad(network, None, self.weights)

    def construct(self, *inputs):
        loss, grads = self.grad_fn(*inputs)
        if self.sens is not None and self.sens != 1:
            grads = tuple(Tensor._wrap((g._data * self.sens).astype(g._data.dtype, copy=False)) for g in grads)
        self.optimizer(grads)
        return loss


class WithEvalCell(Cell):
    """For evaluation: ``construct(data, label) = (loss_fn(out, label), out, label)`` with ``out = network(data)``."""

    def __init__(self, network, loss_fn, add_cast_fp32=False):
        super().__init__(auto_prefix=False)
        _check_cell("WithEvalCell", "network", network)
        self._network = network
        self._loss_fn = loss_fn
        self.add_cast_fp32 = add_cast_fp32

    def construct(self, data, label):
        outputs = self._network(data)
        if self.add_cast_fp32 and isinstance(outputs, Tensor) and outputs._data.dtype != np.float32:
            outputs = Tensor._wrap(outputs._data.astype(np.float32))
        return self._loss_fn(outputs, label), outputs, label


def _check_cell(cls, name, value):
    if not isinstance(value, Cell):
        raise TypeError(f"For '{cls}', the '{name}' must be a Cell, but got {type(value).__name__}.")
