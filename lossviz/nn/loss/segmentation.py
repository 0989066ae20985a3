"""Segmentation losses: how much a predicted mask overlaps the true one (the Dice coefficient)."""
import math

import numpy as np

from ... import ops
from ..._engine.tensor import Tensor
from ...ops import fused_multilabel
from ..cell import Cell
from .base import LossBase
from .checks import FLOATS, check_tensor

__all__ = ["DiceLoss", "MultiClassDiceLoss"]

# int8..int64 and the floats; uint8 and bool are refused (MindSpore: "can not be uint8", bool fails in Add)
DICE_DTYPES = FLOATS + tuple(np.dtype(d) for d in (np.int8, np.int16, np.int32, np.int64))
# MindSpore's activation names, plus the capitalised 'Softmax' and 'Sigmoid' its docs list (decision D20)
ACTIVATIONS = {"softmax": lambda: ops.Softmax(axis=-1), "logsoftmax": lambda: ops.LogSoftmax(axis=-1),
               "relu": ops.ReLU, "relu6": fused_multilabel.ReLU6, "tanh": fused_multilabel.Tanh,
               "sigmoid": fused_multilabel.Sigmoid}
ACTIVATION_NAMES = [*ACTIVATIONS, "Softmax", "Sigmoid"]
DICE_SMOOTH = 1e-5   # the smooth of MultiClassDiceLoss's per-channel dice (fixed, as MindSpore)


def check_dice_inputs(name, logits, labels, names=("logits", "labels")):
    """Two Tensors of the same shape, of a numeric dtype other than uint8 / bool."""
    check_tensor(name, names[0], logits)
    check_tensor(name, names[1], labels)
    if logits.shape != labels.shape:
        raise ValueError(f"For '{name}', the '{names[1]}' must have the shape of '{names[0]}' {logits.shape}, "
                         f"but got {labels.shape}.")
    for arg, t in zip(names, (logits, labels)):
        if t._data.dtype not in DICE_DTYPES:
            raise TypeError(f"For '{name}', the dtype of '{arg}' can not be {t._data.dtype.name}: use a float "
                            f"or a signed integer dtype.")


class DiceLoss(LossBase):
    """Dice loss: 1 minus the overlap of a predicted mask with the true mask, as ONE number.

        I    = sum(logits * labels)                       (the overlap)
        U    = sum(logits * logits) + sum(labels * labels)
        loss = 1 - 2 * I / (U + smooth)

    The sums run over every element of the batch (no per-sample or per-class
    split) and the result is a scalar: there is no ``reduction``. logits and
    labels have the same shape (any rank, 0-d too); no activation is applied
    (pass probabilities; negative values can push the loss above 1).
    ``smooth`` (a float > 0, default 1e-5) is added to the denominator only:
    all-zero inputs give exactly 1. Integer labels are accepted.
    Gradient: d/dlogits = 4 I logits / (U + smooth)^2 - 2 labels / (U + smooth),
    and symmetrically for float labels. Use it for segmentation masks where the
    foreground is small: it scores the overlap, not each pixel.

    >>> import lossviz.nn as nn
    >>> loss = nn.DiceLoss(smooth=1e-5)
    >>> logits = Tensor(np.array([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]], np.float32))
    >>> labels = Tensor(np.array([[0, 1], [1, 0], [0, 1]], np.float32))
    >>> print(loss(logits, labels))
    0.38596618
    """

    def __init__(self, smooth=1e-5):
        super().__init__()
        if not isinstance(smooth, float):
            raise TypeError(f"For '{self.cls_name}', the 'smooth' must be a float, but got {type(smooth).__name__}.")
        if not (smooth > 0 and math.isfinite(smooth)):
            raise ValueError(f"For '{self.cls_name}', the 'smooth' must be a finite float > 0, but got {smooth}.")
        self.smooth = float(smooth)
        self.dice = fused_multilabel.Dice(self.smooth)

    def construct(self, logits, labels):
        check_dice_inputs(self.cls_name, logits, labels, self.input_names)
        # Already one number over everything: MindSpore's DiceLoss never calls get_loss (no reduction).
        return self.dice(logits, labels)                 # 1 - 2 I / (U + smooth)

    def extend_repr(self):
        return f"smooth={self.smooth}"


class MultiClassDiceLoss(LossBase):
    """Dice loss of each class channel, averaged over the channels.

        a    = activation(logits)
        loss = sum over channels i != ignore_indiex of  DiceLoss(smooth=1e-5)(a[:, i], labels[:, i]) * weights[i]
               ------------------------------------------------------------------------------------------
                                                        C

    logits and labels (N, C, ...) of the same shape, rank >= 2, the channels
    on axis 1 (labels usually one-hot). Each channel's dice runs over the
    whole batch at once (one DiceLoss over ``a[:, i]`` flattened).

    * ``activation``: 'softmax' (default), 'logsoftmax', 'relu', 'relu6', 'tanh',
      'sigmoid' (also 'Softmax' and 'Sigmoid', as MindSpore's docs list them,
      decision D20), a Cell, or None for none. As in MindSpore, 'softmax' and
      'logsoftmax' act on the LAST axis, which is the class axis only for 2-D
      input.
    * ``ignore_indiex`` (MindSpore's spelling): an int channel to leave out;
      the sum is still divided by C. -1 or a value >= C leaves out nothing.
    * ``weights``: None or a 2-D Tensor (C, K); channel i's dice is multiplied by
      the row ``weights[i]``, so the result has shape (K,) (a (C, 1) weight gives
      shape (1,), as MindSpore). Without weights the result is a scalar.

    There is no ``reduction``. Gradients reach the logits (through the
    activation) and float labels.

    >>> import lossviz.nn as nn
    >>> loss = nn.MultiClassDiceLoss(weights=None, ignore_indiex=None, activation="softmax")
    >>> logits = Tensor(np.array([[0.2, 0.5, 0.7], [0.3, 0.1, 0.5], [0.9, 0.6, 0.3]], np.float32))
    >>> labels = Tensor(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], np.float32))
    >>> print(loss(logits, labels))    # MindSpore 2.10 CPU prints 0.54958093 (float32-approximate exp)
    0.54958105
    """

    def __init__(self, weights=None, ignore_indiex=None, activation="softmax"):
        super().__init__()
        name = self.cls_name
        if weights is not None:
            if not isinstance(weights, Tensor):
                raise TypeError(f"For '{name}', the type of 'weights' should be 'Tensor', but got type "
                                f"'{type(weights).__name__}'.")
            if weights.ndim != 2:
                raise ValueError(f"For '{name}', the dimension of 'weights' must be 2 (C, K), but got {weights.ndim}.")
            if weights._data.dtype not in DICE_DTYPES:
                raise TypeError(f"For '{name}', the 'weights' must be a float or signed int Tensor, "
                                f"but got {weights._data.dtype.name}.")
        if ignore_indiex is not None and (isinstance(ignore_indiex, bool) or not isinstance(ignore_indiex, int)):
            raise TypeError(f"For '{name}', the type of 'ignore_indiex' should be 'int', but got type "
                            f"'{type(ignore_indiex).__name__}'.")
        self.weights, self.ignore_indiex = weights, ignore_indiex
        self.activation_name = activation if isinstance(activation, str) else None
        if isinstance(activation, str):
            if activation not in ACTIVATION_NAMES:
                raise ValueError(f"For '{name}', the 'activation' must be in {ACTIVATION_NAMES}, but got {activation}.")
            activation = ACTIVATIONS[activation.lower()]()
        elif activation is not None and not isinstance(activation, Cell):
            raise TypeError(f"For '{name}', the 'activation' must be str, Cell or None, but got "
                            f"{type(activation).__name__}.")
        self.activation = activation
        self.channel_dice = fused_multilabel.Dice(DICE_SMOOTH, per_channel=True)
        self.cast, self.gather, self.mul, self.reduce_sum = ops.Cast(), ops.Gather(), ops.Mul(), ops.ReduceSum()

    def _check(self, logits, labels):
        name, (logits_name, labels_name) = self.cls_name, self.input_names
        check_dice_inputs(name, logits, labels, self.input_names)
        if logits.ndim < 2:
            raise ValueError(f"For '{name}', the '{logits_name}' must have at least 2 dimensions (N, C, ...), "
                             f"but got shape {logits.shape}.")
        if logits.size == 0:
            raise ValueError(f"For '{name}', the '{logits_name}' must not be empty (a Dice score needs pixels), "
                             f"but got shape {logits.shape}.")
        if self.weights is not None and self.weights.shape[0] != labels.shape[1]:
            raise ValueError(f"For '{name}', the 'weights' must have one row per channel of '{labels_name}' "
                             f"({labels.shape[1]}), but got {self.weights.shape[0]} rows.")

    def construct(self, logits, labels):
        self._check(logits, labels)
        n_channels = labels.shape[1]
        if self.activation is not None:
            if logits._data.dtype.kind != "f":
                logits = self.cast(logits, np.float32)
            logits = self.activation(logits)
        dice = self.channel_dice(logits, labels)          # (C,): DiceLoss of each channel over the batch
        kept = [i for i in range(n_channels) if i != self.ignore_indiex]
        if len(kept) < n_channels:
            dice = self.gather(dice, np.array(kept, np.int64), 0)
        if self.weights is None:
            return self.reduce_sum(dice, ()) / n_channels
        weights = self.weights if len(kept) == n_channels else self.gather(self.weights, np.array(kept), 0)
        weighted = self.mul(dice.reshape(-1, 1), weights)      # channel i's dice times the row weights[i]
        return self.reduce_sum(weighted, 0) / n_channels         # (K,)

    def extend_repr(self):
        activation = self.activation_name or type(self.activation).__name__
        weights = None if self.weights is None else f"Tensor{self.weights.shape}"
        return f"weights={weights}, ignore_indiex={self.ignore_indiex}, activation={activation}"
