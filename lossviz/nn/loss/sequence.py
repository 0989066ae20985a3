"""Sequence losses: a sequence of frame scores against an unsegmented target sequence."""
import numpy as np

from ... import ops
from ..._engine.tensor import Tensor
from ...ops import ctc
from .base import LossBase
from .checks import INTS, check_dtype, check_tensor, describe

__all__ = ["CTCLoss"]

_FLOAT32_64 = (np.dtype(np.float32), np.dtype(np.float64))


class CTCLengthError(ValueError, RuntimeError):
    """A length that does not fit the inputs (``input_lengths[n] > T``...).

    A ``ValueError`` (a wrong value), and a ``RuntimeError`` as well, the type MindSpore's kernel raises.
    """


class CTCLoss(LossBase):
    r"""Connectionist temporal classification: the loss of reading an unsegmented target from T frames.

    Each frame t gives log-probabilities over C classes, one of them the ``blank``
    ("no symbol here"). An *alignment* picks one class per frame; it spells the target
    when merging repeats and removing blanks gives the target (``_ c c _ a t`` -> ``c a t``;
    a repeated letter needs a blank between, ``l _ l``). Per sample n:

        loss_n = -ln sum over the alignments of target_n of prod_t exp(log_probs[t, n, class at t])

    computed by the forward (alpha) recursion in log space (``lossviz/ops/ctc.py``).
    ``loss_n = +inf`` when the target can not fit in its frames (``zero_infinity=True``: 0).

    Args: ``blank`` (int, default 0), ``reduction`` ('mean' default, 'sum', 'none'),
    ``zero_infinity`` (bool, default False).

    Inputs:
      * ``log_probs`` (T, N, C) float32/float64, e.g. ``log_softmax`` of a network's scores;
        used as given (nothing is normalised). (T, C) is one unbatched sample.
      * ``targets`` (N, S) int32/int64, padded: entries past ``target_lengths[n]`` are never read;
        or 1-D, all the targets concatenated (length ``sum(target_lengths)``), as MindSpore's docs
        allow (2.10 itself refuses them). Ids in [0, C), never the blank. Unbatched: (S,) or (1, S).
      * ``input_lengths`` (N,) frames used per sample (<= T), ``target_lengths`` (N,) (<= S and
        <= input_lengths): int Tensors or tuples of ints.

    Output: 'none' (N,) (0-d unbatched); 'sum' sum_n loss_n; 'mean' (MindSpore's)
    mean_n(loss_n / max(target_lengths[n], 1)), computed in float32 and cast back.
    The gradient w.r.t. ``log_probs`` follows MindSpore (and PyTorch):
    exp(log_probs) - (probability of each class at each frame given the target), which is
    the gradient w.r.t. the logits when log_probs = log_softmax(logits); 0 on frames past
    ``input_lengths``. Use CTC for speech or handwriting recognition, where the labels are
    known but not where they sit in time.

    >>> import numpy as np
    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.7, 0.2, 0.1]], np.float32)  # T = 3, C = 3
    >>> log_probs = Tensor(np.log(probs)[:, None, :])                                    # (T, N, C) = (3, 1, 3)
    >>> targets = Tensor(np.array([[1, 2]], np.int32))
    >>> lengths = Tensor(np.array([3], np.int32)), Tensor(np.array([2], np.int32))
    >>> print(nn.CTCLoss(reduction='none')(log_probs, targets, *lengths))   # -ln(0.168): 5 alignments
    [1.7837913]
    >>> print(nn.CTCLoss()(log_probs, targets, *lengths))        # divided by the target length 2
    0.89189565
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction)
        self.blank = check_blank(self.cls_name, blank)
        self.zero_infinity = check_zero_infinity(self.cls_name, zero_infinity)
        self.ctc = ctc.CTCLossV2(self.blank, self.zero_infinity)     # -ln p(target_n | log_probs[:, n])
        self.expand_dims, self.reshape = ops.ExpandDims(), ops.Reshape()
        self.cast, self.div, self.reduce_mean = ops.Cast(), ops.Div(), ops.ReduceMean()

    def construct(self, log_probs, targets, input_lengths, target_lengths):
        return self._ctc_loss(log_probs, targets, input_lengths, target_lengths)

    def _ctc_loss(self, log_probs, targets, input_lengths, target_lengths, log_alpha=None):
        """checks -> the loss of each sample -> the reduction (``log_alpha``, a list, collects alpha)."""
        batched, targets, input_lengths, target_lengths = check_ctc(
            self.cls_name, log_probs, targets, input_lengths, target_lengths, self.blank, self.input_names)
        if not batched:
            log_probs = self.expand_dims(log_probs, 1)                     # (T, C) -> (T, 1, C)
        x = self.ctc(log_probs, targets, input_lengths, target_lengths, log_alpha=log_alpha)   # (N,)
        if self.reduction == "mean":
            # MindSpore's 'mean': each loss divided by its target length (at least 1), then the mean
            # over the batch, in float32 (a float64 input gets a float64 result of float32 precision).
            per_label = self.div(_in_float32(self.cast, x), Tensor(np.maximum(target_lengths, 1).astype(np.float32)))
            mean = self.reduce_mean(per_label, (0,))
            return mean if mean.dtype == x.dtype else self.cast(mean, x.dtype)
        if not batched:
            x = self.reshape(x, ())                                         # one sample: a 0-d loss
        return self.get_loss(x)

    def extend_repr(self):
        return f"blank={self.blank}, reduction={self.reduction}, zero_infinity={self.zero_infinity}"


def _in_float32(cast, x):
    return x if x._data.dtype == np.float32 else cast(x, np.float32)


# ----- checks (messages name the class, or the function, and the argument) -----
def check_blank(name, blank):
    if isinstance(blank, (bool, np.bool_)) or not isinstance(blank, (int, np.integer)):
        raise TypeError(f"For '{name}', the type of 'blank' should be 'int', but got type '{type(blank).__name__}'.")
    if blank < 0:
        raise ValueError(f"For '{name}', the 'blank' must be in [0, C) (C: the number of classes), but got {blank}.")
    return int(blank)


def check_zero_infinity(name, zero_infinity):
    if not isinstance(zero_infinity, (bool, np.bool_)):
        raise TypeError(f"For '{name}', the type of 'zero_infinity' should be 'bool', "
                        f"but got type '{type(zero_infinity).__name__}'.")
    return bool(zero_infinity)


def _int_array(name, arg, value):
    """An int32/int64 Tensor or a tuple of ints, as an int64 array (a list is refused, as MindSpore)."""
    if isinstance(value, Tensor):
        check_dtype(name, arg, value, INTS)
        return value._data.astype(np.int64)
    if isinstance(value, tuple):
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value):
            raise TypeError(f"For '{name}', every element of the tuple '{arg}' must be an int, but got {value}.")
        return np.array(value, np.int64).reshape(len(value))
    raise TypeError(f"For '{name}', the '{arg}' must be a Tensor of int32/int64 or a tuple of ints, "
                    f"but got {describe(value)}.")


def check_ctc(name, log_probs, targets, input_lengths, target_lengths, blank,
              names=("log_probs", "targets", "input_lengths", "target_lengths")):
    """The CTC inputs checked; returns (batched, targets (N, S), input_lengths (N,), target_lengths (N,)) as int64."""
    lp_name, targets_name, il_name, tl_name = names
    check_tensor(name, lp_name, log_probs)
    check_dtype(name, lp_name, log_probs, _FLOAT32_64)
    check_tensor(name, targets_name, targets)
    check_dtype(name, targets_name, targets, INTS)
    input_lengths = _int_array(name, il_name, input_lengths)
    target_lengths = _int_array(name, tl_name, target_lengths)
    if log_probs.ndim not in (2, 3):
        raise ValueError(f"For '{name}', the '{lp_name}' must be 3-D (T, N, C), or 2-D (T, C) for one "
                         f"unbatched sample, but got shape {log_probs.shape}.")
    batched = log_probs.ndim == 3
    frames, classes = log_probs.shape[0], log_probs.shape[-1]
    n = log_probs.shape[1] if batched else 1
    labels = targets._data
    if batched and labels.ndim == 1:
        labels = _padded(name, targets_name, tl_name, labels, target_lengths, n)
    if batched and labels.ndim != 2:
        raise ValueError(f"For '{name}', the '{targets_name}' must be 2-D (N, S), padded, or 1-D, the targets "
                         f"concatenated, but got shape {labels.shape}.")
    if not batched:
        if labels.ndim not in (1, 2) or (labels.ndim == 2 and labels.shape[0] != 1):
            raise ValueError(f"For '{name}', when '{lp_name}' is (T, C), the '{targets_name}' must be (S,) or "
                             f"(1, S), but got shape {labels.shape}.")
        labels = labels.reshape(1, -1)
        input_lengths, target_lengths = input_lengths.reshape(-1), target_lengths.reshape(-1)
    if labels.shape[0] != n:
        raise ValueError(f"For '{name}', the '{targets_name}' must have one row per sample ({n}), "
                         f"but got shape {labels.shape}.")
    for arg, lengths in ((il_name, input_lengths), (tl_name, target_lengths)):
        if lengths.shape != (n,):
            raise ValueError(f"For '{name}', the '{arg}' must have the shape ({n},) (one length per sample), "
                             f"but got {lengths.shape}.")
    if blank >= classes:
        raise ValueError(f"For '{name}', the 'blank' must be in [0, C) = [0, {classes}), but got {blank}.")
    _check_lengths(name, names, frames, labels.shape[1], input_lengths, target_lengths)
    _check_labels(name, targets_name, labels, target_lengths, classes, blank)
    return batched, labels.astype(np.int64), input_lengths, target_lengths


def _padded(name, targets_name, tl_name, labels, target_lengths, n):
    """Concatenated 1-D targets (length sum(target_lengths)) as padded rows (N, max target length).

    (MindSpore's docs allow them, though 2.10 refuses them: a decided difference.)
    """
    if target_lengths.shape != (n,) or (target_lengths < 0).any() or labels.size != int(target_lengths.sum()):
        raise ValueError(f"For '{name}', 1-D (concatenated) '{targets_name}' must hold sum('{tl_name}') labels, "
                         f"but got {labels.size} labels for target lengths {target_lengths.tolist()}.")
    rows = np.zeros((n, int(target_lengths.max(initial=0))), labels.dtype)
    starts = np.concatenate([[0], np.cumsum(target_lengths)[:-1]])
    for i, (start, length) in enumerate(zip(starts, target_lengths)):
        rows[i, :length] = labels[start:start + length]
    return rows


def _check_lengths(name, names, frames, max_target, input_lengths, target_lengths):
    il_name, tl_name = names[2], names[3]
    for arg, lengths, high, what in ((il_name, input_lengths, frames, "T"), (tl_name, target_lengths, max_target, "S")):
        bad = (lengths < 0) | (lengths > high)
        if bad.any():
            raise CTCLengthError(f"For '{name}', every value of '{arg}' must be in [0, {what}] = [0, {high}], "
                                 f"but got {lengths[bad][0]}.")
    longer = target_lengths > input_lengths
    if longer.any():
        i = int(np.argmax(longer))
        raise CTCLengthError(f"For '{name}', every '{tl_name}' must be <= its '{il_name}' (a label needs a frame), "
                             f"but got {target_lengths[i]} > {input_lengths[i]} for sample {i}.")


def _check_labels(name, arg, labels, target_lengths, classes, blank):
    """The target ids that are read (those within target_lengths) lie in [0, C) and are not the blank."""
    used = labels[np.arange(labels.shape[1]) < target_lengths[:, None]]
    bad = (used < 0) | (used >= classes)
    if bad.any():
        raise ValueError(f"For '{name}', every target label in '{arg}' must be in [0, C) = [0, {classes}), "
                         f"but got {used[bad][0]}.")
    if (used == blank).any():
        raise ValueError(f"For '{name}', the '{arg}' must not contain the blank label {blank} (within "
                         f"target_lengths): the blank only separates labels.")
