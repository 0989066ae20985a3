"""Classification losses: scores or probabilities against classes."""
import numpy as np

from ... import ops
from ..._engine.parameter import Parameter
from ..._engine.tensor import Tensor
from ...ops import fused_cross_entropy, fused_losses
from .base import LossBase, _in_dtype
from .checks import (FLOATS, INTS, NUMBERS, check_bce, check_class_indices, check_dtype, check_finite_param,
                     check_in_range, check_number_param, check_same_dtype, check_tensor, describe)

__all__ = ["SoftmaxCrossEntropyWithLogits", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "FocalLoss"]


class SoftmaxCrossEntropyWithLogits(LossBase):
    """Cross-entropy of softmax(logits):  loss_i = -sum_j labels_ij * log_softmax(logits_i)_j.

    logits (N, C) float16/float32. Dense (``sparse=False``): labels (N, C) of
    the logits' dtype (one-hot or soft). Sparse (``sparse=True``): labels (N,)
    int32/int64 class indices in [0, C), and loss_i = -log_softmax(logits_i)[labels_i].
    'none' (the default) gives (N,), 'mean'/'sum' a scalar.
    log_softmax subtracts the row maximum first, so any finite logits give a
    finite loss. Gradient (as MindSpore): softmax(logits) - labels; labels get 0.
    When to use it: single-label classification from raw scores (one class per
    sample); ``CrossEntropyLoss`` adds class weights, ignore_index and label smoothing.

    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')
    >>> print(loss(Tensor(np.array([[2., 1., 0.1]], np.float32)), Tensor(np.array([0], np.int32))))
    0.41703
    """

    def __init__(self, sparse=False, reduction="none"):
        super().__init__(reduction)
        if not isinstance(sparse, bool):
            raise TypeError(f"For '{self.cls_name}', the 'sparse' must be a bool, but got {type(sparse).__name__}.")
        self.sparse = sparse
        self.softmax_cross_entropy = fused_losses.SoftmaxCrossEntropyWithLogits()
        self.sparse_softmax_cross_entropy = fused_losses.SparseSoftmaxCrossEntropyWithLogits()

    def _check(self, logits, labels):
        name = self.cls_name
        check_tensor(name, "logits", logits)
        check_tensor(name, "labels", labels)
        check_dtype(name, "logits", logits, (np.dtype(np.float16), np.dtype(np.float32)))
        if logits.ndim != 2:
            raise ValueError(f"For '{name}', the 'logits' must be 2-D (N, C), but got shape {logits.shape}.")
        if not self.sparse:
            check_same_dtype(name, "logits", logits, "labels", labels)
            if labels.shape != logits.shape:
                raise ValueError(f"For '{name}', the 'labels' must have the shape of 'logits' {logits.shape}, "
                                 f"but got {labels.shape}.")
            return
        check_dtype(name, "labels", labels, INTS)
        if labels.shape != logits.shape[:1]:
            raise ValueError(f"For '{name}' with sparse=True, the 'labels' must have the shape "
                             f"{logits.shape[:1]} (one class index per row of 'logits'), but got {labels.shape}.")
        check_in_range(name, "labels", labels._data, 0, logits.shape[1], high_inclusive=False)

    def construct(self, logits, labels):
        self._check(logits, labels)
        if self.sparse:
            x = self.sparse_softmax_cross_entropy(logits, labels)   # -log_softmax(logits)[labels]
        else:
            x = self.softmax_cross_entropy(logits, labels)          # -sum(labels * log_softmax(logits))
        return self.get_loss(x)

    def extend_repr(self):
        return f"sparse={self.sparse}, reduction={self.reduction}"



class BCELoss(LossBase):
    """Binary cross-entropy of probabilities:

        loss = reduce(-weight * (labels * ln(logits + 1e-12) + (1 - labels) * ln(1 - logits + 1e-12)))

    ``logits`` are probabilities in [0, 1] (values outside raise ValueError);
    labels have the same shape and dtype. ``weight`` (a Tensor broadcasting to
    that shape, default None = all ones) scales each element; 'mean' divides by
    the element count, not by the sum of weights. Default reduction='none'
    (the tutorial's default; MindSpore 2.x changed it to 'mean').
    When to use it: yes/no targets when the network already outputs probabilities
    (after a sigmoid); from raw logits, ``BCEWithLogitsLoss`` is the stable choice.

    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> p, y = Tensor(np.array([0.5, 0.9], np.float32)), Tensor(np.array([1., 1.], np.float32))
    >>> print(nn.BCELoss(reduction='mean')(p, y))
    0.39925385
    """

    def __init__(self, weight=None, reduction="none"):
        super().__init__(reduction)
        if weight is not None and not isinstance(weight, Tensor):
            raise TypeError(f"For '{self.cls_name}', the 'weight' must be a Tensor or None, "
                            f"but got {type(weight).__name__}.")
        self.weight = weight
        self.binary_cross_entropy = fused_losses.BinaryCrossEntropy()

    def construct(self, logits, labels):
        check_bce(self.cls_name, logits, labels, self.weight, self.input_names)
        x = self.binary_cross_entropy(logits, labels)
        return self.get_loss(x, 1.0 if self.weight is None else self.weight)


# ----- the rest of MindSpore's cross-entropy family: BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss, FocalLoss -----
_F16_F32 = (np.dtype(np.float16), np.dtype(np.float32))
_mul, _neg, _reshape, _transpose = ops.Mul(), ops.Neg(), ops.Reshape(), ops.Transpose()
_get_item, _reduce_mean, _reduce_sum, _select = ops.GetItem(), ops.ReduceMean(), ops.ReduceSum(), ops.Select()


def _work_dtype(dtype):
    """The dtype the arithmetic is done in: float64 stays float64; float16 and integers use float32."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def _promoted(*dtypes):
    """MindSpore's result dtype: the widest float among ``dtypes`` (float16 with float32 gives float32)."""
    floats = [d for d in dtypes if d is not None and d.kind == "f"]
    return np.result_type(*floats) if floats else np.dtype(np.float32)


def _constant(array):
    """A numpy array as a Tensor that needs no gradient (labels, masks, class weights)."""
    return Tensor._wrap(np.asarray(array))


def _all_axes(t):
    return tuple(range(t.ndim))


class BCEWithLogitsLoss(LossBase):
    """Binary cross-entropy on logits: the sigmoid and the cross-entropy in one stable formula. With x = input,
    y = target:

        loss = reduce(weight * ((1 - y) x + lw softplus(-x))),   lw = 1 + (pos_weight - 1) y
             = reduce(-weight * (pos_weight y ln sigmoid(x) + (1 - y) ln(1 - sigmoid(x))))

    softplus(-x) = ln(1 + e^-x) is computed as max(-x, 0) + ln(1 + e^-|x|), which never overflows: x = -1000
    with y = 1 gives 1000, where sigmoid followed by ``BCELoss`` would saturate. That is why you give this loss
    the raw scores of the network, not probabilities.

    * ``input``, ``target``: float16/float32 Tensors of exactly the same shape (any rank, 0-d too). Targets are
      not range-checked: values outside [0, 1] go through the formula, which is linear in y. float16 mixed with
      float32 is accepted and the result has ``target``'s dtype (MindSpore's rule).
    * ``weight``, ``pos_weight`` (constructor, default None): float16/float32 Tensors (not Parameters) that
      broadcast to the shape of ``input`` without enlarging it; constants (no gradient). ``weight`` rescales
      each element's loss; ``pos_weight`` (often one per class, shape (C,)) weighs the positive term: above 1
      favours recall, below 1 precision.
    * ``reduction`` (the *first* argument): 'mean' (default) divides the sum by the number of elements, never by
      the weights; 'sum'; 'none' keeps the shape of ``input``.
    * Gradient: d/dinput = weight (sigmoid(x) - y) without pos_weight, weight ((1 - y) - lw sigmoid(-x)) with it;
      d/dtarget = weight (-x + (pos_weight - 1) softplus(-x)). 'mean' scales both by 1/numel of this call
      (MindSpore reuses an earlier call's count: catalogue decision D2).
    * Infinite logits give what the formula gives, as in MindSpore and PyTorch: nan for x = +-inf with y = 1 and
      for x = -inf with y = 0, +inf for x = +inf with y = 0.

    Use it for binary and multi-label classification: one independent yes/no per output.

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> loss = BCEWithLogitsLoss()
    >>> logits = Tensor(np.array([[-0.8, 1.2, 0.7], [-0.1, -0.4, 0.7]], np.float32))
    >>> labels = Tensor(np.array([[0.3, 0.8, 1.2], [-0.6, 0.1, 2.2]], np.float32))
    >>> print(loss(logits, labels))
    0.34636113
    >>> pos_weight = Tensor(np.array([1.0, 2.0, 0.5], np.float32))
    >>> print(BCEWithLogitsLoss('none', pos_weight=pos_weight)(logits, labels))
    [[ 0.6111006   0.7139084   0.02127437]
     [ 0.58439666  0.6443168  -0.88031864]]
    """

    def __init__(self, reduction="mean", weight=None, pos_weight=None):
        if not isinstance(reduction, str):      # MindSpore: a TypeError for reduction=None
            raise TypeError(f"For '{self.cls_name}', the 'reduction' must be a str in ['mean', 'sum', 'none'], "
                            f"but got {type(reduction).__name__}.")
        super().__init__(reduction)             # checked here, not at the call (decision D16)
        self.weight = self._check_weight("weight", weight)
        self.pos_weight = self._check_weight("pos_weight", pos_weight)
        self.bce_with_logits = fused_cross_entropy.BinaryCrossEntropyWithLogits(
            None if pos_weight is None else pos_weight.asnumpy())

    def _check_weight(self, arg, weight):
        """None, or a float16/float32 Tensor that is not a Parameter (kept as a constant)."""
        if weight is None:
            return None
        if isinstance(weight, Parameter):
            raise TypeError(f"For '{self.cls_name}', the '{arg}' can not be a Parameter.")
        if not isinstance(weight, Tensor):
            raise TypeError(f"For '{self.cls_name}', the '{arg}' must be a Tensor or None, but got {describe(weight)}.")
        check_dtype(self.cls_name, arg, weight, _F16_F32)
        return _constant(weight.asnumpy())

    def construct(self, input, target):  # noqa: A002 - MindSpore's argument names
        name, (input_name, target_name) = self.cls_name, self.input_names
        check_tensor(name, input_name, input)
        check_tensor(name, target_name, target)
        check_dtype(name, input_name, input, _F16_F32)
        check_dtype(name, target_name, target, _F16_F32)
        if input.shape != target.shape:
            raise ValueError(f"For '{name}', the '{target_name}' must have the same shape as '{input_name}' "
                             f"{input.shape} (no broadcasting), but got {target.shape}.")
        for arg, weight in (("weight", self.weight), ("pos_weight", self.pos_weight)):
            if weight is not None and _broadcast_shape(weight.shape, input.shape) != input.shape:
                raise ValueError(f"For '{name}', the shape of '{arg}' {weight.shape} can not broadcast to the shape "
                                 f"of '{input_name}' {input.shape}.")
        x = self.bce_with_logits(input, target)          # (1 - y) x + lw softplus(-x), in target's dtype
        return self.get_loss(x, 1.0 if self.weight is None else self.weight)

    def extend_repr(self):
        return f"reduction={self.reduction}, weight={self.weight is not None}, pos_weight={self.pos_weight is not None}"


def _broadcast_shape(shape1, shape2):
    try:
        return np.broadcast_shapes(shape1, shape2)
    except ValueError:
        return None


class _ClassIndexLoss(LossBase):
    """What CrossEntropyLoss and NLLLoss share: class weights, ``ignore_index``, label smoothing, and the
    reduction over the positions that are not ignored ('mean' divides by their total weight, which
    ``get_loss`` can not express).

    A subclass gives ``_per_row(rows, targets, weight)``: the loss of each row of ``rows`` (M, C) for the class
    indices ``targets`` (M,), class weights (a numpy array, or None) included.
    """

    def __init__(self, weight, ignore_index, reduction, label_smoothing):
        super().__init__(reduction)
        name = self.cls_name
        if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, (int, np.integer)):
            raise TypeError(f"For '{name}', the type of 'ignore_index' should be 'int', "
                            f"but got type '{type(ignore_index).__name__}'.")
        check_number_param(name, "label_smoothing", label_smoothing, (float,))
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"For '{name}', the 'label_smoothing' must be in range of [0.0, 1.0], "
                             f"but got {label_smoothing}.")
        if weight is not None:
            if not isinstance(weight, Tensor):
                raise TypeError(f"For '{name}', the type of 'weight' should be 'Tensor', "
                                f"but got type '{type(weight).__name__}'.")
            check_dtype(name, "weight", weight, _F16_F32)
        self.weight, self.ignore_index, self.label_smoothing = weight, int(ignore_index), float(label_smoothing)

    def _check_class_axis(self, logits):
        """logits need a class axis (1, or 0 for 1-D logits) with at least one class."""
        if logits.ndim == 0 or logits.shape[1 if logits.ndim > 1 else 0] == 0:
            raise ValueError(f"For '{self.cls_name}', the '{self.input_names[0]}' must have a non-empty class axis: "
                             f"(C,), (N, C) or (N, C, d1, ...), but got shape {logits.shape}.")

    def _check_index_shapes(self, logits, labels, column_labels=False):
        """labels hold one class index per position: logits' shape without its class axis 1 ((C,): a 0-d label)."""
        name, (logits_name, labels_name) = self.cls_name, self.input_names
        self._check_class_axis(logits)
        expected = logits.shape[:1] + logits.shape[2:] if logits.ndim > 1 else ()
        column = column_labels and logits.ndim == 2 and labels.shape == expected + (1,)    # (N, 1) as (N,)
        if labels.shape != expected and not column:
            raise ValueError(f"For '{name}', the '{labels_name}' must have the shape {expected} ('{logits_name}' "
                             f"{logits.shape} without its class axis 1), but got {labels.shape}.")

    def _class_weight(self, num_classes, dtype):
        """The class weights as a numpy array of ``dtype`` (None without weights); one per class."""
        if self.weight is None:
            return None
        if self.weight.shape != (num_classes,):
            raise ValueError(f"For '{self.cls_name}', the 'weight' must hold one value per class, shape "
                             f"({num_classes},), but got shape {self.weight.shape}.")
        return self.weight.asnumpy().astype(dtype)

    @staticmethod
    def _rows(logits):
        """logits (N, C, d1, ...) as a (N d1 ..., C) Tensor: one row per position, classes last; (C,) as (1, C)."""
        num_classes = logits.shape[1] if logits.ndim > 1 else logits.shape[0]
        if logits.ndim > 2:
            logits = _transpose(logits, (0, *range(2, logits.ndim), 1))
        return logits if logits.ndim == 2 else _reshape(logits, (-1, num_classes))

    def _class_index_loss(self, logits, labels, work):
        """The class-index loss of ``logits`` (already in the ``work`` dtype), reduced."""
        num_classes = logits.shape[1] if logits.ndim > 1 else logits.shape[0]
        weight = self._class_weight(num_classes, work)
        targets = labels.asnumpy().reshape(-1)
        # m_n = (t_n != ignore_index), decided before the range check: an ignored label may be any int
        keep = check_class_indices(self.cls_name, self.input_names[1], targets, num_classes, self.ignore_index)
        all_kept = bool(keep.all())
        if not all_kept:
            targets = np.where(keep, targets, 0)        # any valid class: these rows are replaced by 0 below
        per = self._per_row(self._rows(logits), targets, weight)
        if not all_kept:    # ignored positions contribute exactly 0 and get no gradient (MindSpore's masked_fill)
            per = _select(_constant(keep), per, _constant(np.zeros(per.shape, per.asnumpy().dtype)))
        if self.reduction == "none":
            return _reshape(per, logits.shape[:1] + logits.shape[2:] if logits.ndim > 1 else ())
        total = _reduce_sum(per, (0,))
        if self.reduction == "sum":
            return total
        # 'mean' divides by the total weight of the kept positions, D = sum_n w[t_n] m_n (their count without
        # weights): with all positions ignored that is 0/0 = nan, as in MindSpore and PyTorch.
        # NOTE: written total * (1/D): when all are ignored, backward then multiplies 1/0 = inf by the zero
        # gradient of the ignored rows (Select) and gives 0, without a division-by-zero warning.
        divisor = keep.sum(dtype=work) if weight is None else weight[targets][keep].sum(dtype=work)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _mul(total, _constant(np.divide(work.type(1), divisor)))

    def _per_row(self, rows, targets, weight):
        raise NotImplementedError


class CrossEntropyLoss(_ClassIndexLoss):
    """Cross-entropy of softmax(logits) against class indices or class probabilities (MindSpore 2.x, as PyTorch).

    The class axis is 1 ((N, C), or (N, C, d1, d2, ...) for one prediction per pixel/position), or 0 for 1-D
    logits (C,). With log p = log_softmax(logits) along it (computed as x - logsumexp(x): finite for any finite
    logits, [1000, 0, -1000] with label 2 gives 2000), and w = weight (all ones by default):

    **Class indices** (``labels`` int32, logits' shape without axis 1, e.g. (N,)): for each position n with
    label t_n, kept when t_n != ignore_index (m_n = 1, else 0) and with s = label_smoothing,

        loss_n = (1 - s) * w[t_n] * (-log p[n, t_n]) * m_n  +  (s / C) * sum_c w_c * (-log p[n, c]) * m_n
        'mean' = sum_n loss_n / sum_n w[t_n] m_n        'sum' = sum_n loss_n        'none' = loss_n

      'mean' is a weighted mean: it divides by the total weight of the kept positions (nan when all are
      ignored, with a zero gradient). A label must be a class in [0, C) or equal ``ignore_index``: anything else,
      negative labels included, is a ValueError (MindSpore counts -1 back from the last class: decision D13).

    **Class probabilities** (``labels`` float16/float32, the logits' shape; ``ignore_index`` unused): with the
    smoothed targets y' = (1 - s) y + s / C,

        loss_n = -sum_c w_c * y'[n, c] * log p[n, c]      'mean' divides by the number of positions (numel / C)

      The targets are not checked (rows need not sum to 1).

    * Constructor: ``weight`` None or a float16/float32 Tensor (C,), a constant (it gets no gradient);
      ``ignore_index`` an int (default -100);
      ``reduction`` 'mean' (default), 'sum' or 'none'; ``label_smoothing`` a float in [0.0, 1.0] (default 0.0).
    * ``logits`` float16/float32. The result has the logits' dtype, float32 when a float32 weight or float32
      probabilities meet float16 logits.
    * Gradient: d/dlogits = (softmax - target) weighted as above, the exact derivative of each formula;
      d/dlabels (probabilities) = -(1 - s) w_c log p; index labels get none.

    The standard loss for single-label classification: give it the raw scores of the network (no softmax).

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> logits = Tensor(np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]], np.float32))
    >>> labels = Tensor(np.array([0, 1], np.int32))
    >>> print(CrossEntropyLoss()(logits, labels))
    0.28510413
    >>> print(CrossEntropyLoss(reduction='none', label_smoothing=0.1)(logits, labels))
    [0.5136967  0.33651155]
    >>> probabilities = Tensor(np.array([[0.8, 0.2, 0.0], [0.0, 1.0, 0.0]], np.float32))
    >>> print(CrossEntropyLoss(reduction='none')(logits, probabilities))
    [0.61703    0.15317823]
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, ignore_index, reduction, label_smoothing)
        self.sparse_softmax_cross_entropy = fused_losses.SparseSoftmaxCrossEntropyWithLogits()
        self.smoothed_cross_entropy = fused_cross_entropy.SmoothedSparseSoftmaxCrossEntropy(
            self.label_smoothing, None if weight is None else weight.asnumpy())
        self.log_softmax = ops.LogSoftmax(axis=1)

    def construct(self, logits, labels):
        probabilities = self._check(logits, labels)
        weight_dtype = None if self.weight is None else self.weight.asnumpy().dtype
        result = _promoted(logits.asnumpy().dtype, weight_dtype, labels.asnumpy().dtype if probabilities else None)
        work = _work_dtype(logits.asnumpy().dtype)
        logits = _in_dtype(logits, work)
        if probabilities:
            loss = self._probability_loss(logits, labels, work)
        else:
            loss = self._class_index_loss(logits, labels, work)
        return _in_dtype(loss, result)

    def _check(self, logits, labels):
        """Checks the inputs; True for probability targets (labels of the logits' rank), False for indices."""
        name, (logits_name, labels_name) = self.cls_name, self.input_names
        check_tensor(name, logits_name, logits)
        check_tensor(name, labels_name, labels)
        check_dtype(name, logits_name, logits, _F16_F32)
        self._check_class_axis(logits)
        if labels.ndim == logits.ndim:
            check_dtype(name, labels_name, labels, _F16_F32)
            if labels.shape != logits.shape:
                raise ValueError(f"For '{name}', class probabilities '{labels_name}' must have the shape of "
                                 f"'{logits_name}' (N, C, d1, ...), {logits.shape}, but got {labels.shape}.")
            return True
        if labels.ndim != logits.ndim - 1:
            raise ValueError(f"For '{name}', the rank of '{labels_name}' must be the rank of '{logits_name}' "
                             f"({logits.ndim}: class probabilities) or one less ({logits.ndim - 1}: class indices), "
                             f"but got {labels.ndim}.")
        check_dtype(name, labels_name, labels, (np.dtype(np.int32),))
        self._check_index_shapes(logits, labels)
        return False

    def _per_row(self, rows, targets, weight):
        if self.label_smoothing:
            # (1 - s) w[t] (-log p[t]) + (s / C) sum_c w_c (-log p[c]), one fused op
            return self.smoothed_cross_entropy(rows, _constant(targets))
        nll = self.sparse_softmax_cross_entropy(rows, _constant(targets))        # -log softmax(rows)[t]
        return nll if weight is None else _mul(nll, _constant(weight[targets]))  # w[t] (-log p[t])

    def _probability_loss(self, logits, labels, work):
        out_shape = logits.shape[:1] + logits.shape[2:] if logits.ndim > 1 else ()
        if logits.ndim == 1:                                 # (C,): one sample
            logits, labels = _reshape(logits, (1, -1)), _reshape(labels, (1, -1))
        num_classes, s = logits.shape[1], self.label_smoothing
        weight = self._class_weight(num_classes, work)
        y = _in_dtype(labels, work)
        if s:
            y = y * (1 - s) + s / num_classes                # smoothed targets
        log_p = self.log_softmax(logits)                     # along the class axis 1
        if weight is not None:
            log_p = log_p * _constant(weight.reshape((num_classes,) + (1,) * (logits.ndim - 2)))
        per = _neg(_reduce_sum(log_p * y, (1,)))             # -sum_c w_c y'_c log p_c, one per position
        if self.reduction == "none":
            return _reshape(per, out_shape)
        if self.reduction == "sum":
            return _reduce_sum(per, _all_axes(per))
        return _reduce_mean(per, _all_axes(per))             # over the positions: the weights never divide

    def extend_repr(self):
        return (f"weight={self.weight is not None}, ignore_index={self.ignore_index}, reduction={self.reduction}, "
                f"label_smoothing={self.label_smoothing}")


class NLLLoss(_ClassIndexLoss):
    """Negative log-likelihood: the loss of log-probabilities you computed yourself (e.g. with ``nn.LogSoftmax``).

    With x = logits, w = weight (all ones by default) and m_n = (t_n != ignore_index):

        loss_n = -w[t_n] * x[n, t_n] * m_n
        'mean' = sum_n loss_n / sum_n w[t_n] m_n        'sum' = sum_n loss_n        'none' = loss_n

    ``CrossEntropyLoss`` is ``NLLLoss`` of ``log_softmax(logits)``. The logits are used as given: they are never
    normalised or checked (+inf gives +inf).

    * Shapes: logits (N, C) with labels (N,) (or (N, 1)); (N, C, d1, ...) with (N, d1, ...); (C,) with a 0-d
      label. Labels int32 or int64, each a class in [0, C) or equal to ``ignore_index`` (default -100):
      anything else, negative labels included, is a ValueError (decision D13).
    * logits float16/float32/float64 (full precision) or integers (computed in float32); the result has the
      logits' dtype, float32 when a float32 weight meets float16 logits. ``weight`` None or float16/float32 (C,),
      a constant (no gradient).
    * 'mean' is the weighted mean over the kept positions: nan when all are ignored (with a zero gradient).
    * Gradient: d/dlogits[n, c] = -w[c] m_n where c = t_n (divided by the total weight for 'mean'), 0 elsewhere.

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> log_probabilities = Tensor(np.array([[-0.4, -1.4, -2.3], [-2.2, -0.2, -3.7]], np.float32))
    >>> labels = Tensor(np.array([0, 1], np.int32))
    >>> print(NLLLoss()(log_probabilities, labels))
    0.3
    >>> weight = Tensor(np.array([1.0, 3.0, 1.0], np.float32))
    >>> print(NLLLoss(weight, reduction='none')(log_probabilities, labels))
    [0.4 0.6]
    >>> print(NLLLoss(weight)(log_probabilities, labels))      # (0.4 + 0.6) / (1 + 3)
    0.25
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, ignore_index, reduction, 0.0)
        self.negative_log_likelihood = fused_cross_entropy.NegativeLogLikelihood(
            self.label_smoothing, None if weight is None else weight.asnumpy())

    def construct(self, logits, labels):
        name, (logits_name, labels_name) = self.cls_name, self.input_names
        check_tensor(name, logits_name, logits)
        check_tensor(name, labels_name, labels)
        check_dtype(name, logits_name, logits, FLOATS + INTS)
        check_dtype(name, labels_name, labels, INTS)
        self._check_index_shapes(logits, labels, column_labels=True)
        work = _work_dtype(logits.asnumpy().dtype)                       # int logits: float32
        result = _promoted(work if logits.asnumpy().dtype.kind != "f" else logits.asnumpy().dtype,
                           None if self.weight is None else self.weight.asnumpy().dtype)
        return _in_dtype(self._class_index_loss(_in_dtype(logits, work), labels, work), result)

    def _per_row(self, rows, targets, weight):
        # -w[t] x[t]; with ops.nll_loss's label_smoothing s: (1 - s) of that + (s / C) of -sum_c w_c x_c
        return self.negative_log_likelihood(rows, _constant(targets))


class _NLLLossWithSmoothing(NLLLoss):
    """``ops.nll_loss``: NLLLoss plus the functional form's ``label_smoothing`` (``nn.NLLLoss`` has none)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        _ClassIndexLoss.__init__(self, weight, ignore_index, reduction, label_smoothing)
        self.negative_log_likelihood = fused_cross_entropy.NegativeLogLikelihood(
            self.label_smoothing, None if weight is None else weight.asnumpy())


class FocalLoss(LossBase):
    """Focal loss (Lin et al. 2017): cross-entropy scaled down where the prediction is already good.

    With p = softmax(logits) along the class axis 1 and the spatial positions l (H or H*W; one for 2-D input):

    **Class indices** (``labels`` (N, 1, ...)): with p_t the probability of the labelled class,

        loss_n = mean_l( -(1 - p_t)^gamma * w[t] * log p_t )                 shape (N,)

    **One-hot or soft labels** (``labels`` (N, C, ...), the logits' shape):

        loss_n,c = mean_l( -(1 - p_c)^gamma * labels_c * w[c] * log p_c )    shape (N, C)

    then ``reduction`` over that tensor (``get_loss``): 'none' returns it, 'sum' sums it, 'mean' averages it,
    so the same labels give the same 'sum' in both encodings but a 'mean' C times smaller with one-hot labels
    (N C elements instead of N), as in MindSpore. gamma = 0 is plain (per-position averaged) cross-entropy;
    gamma = 2 (the default) makes a well-classified example (p_t = 0.9) count 100 times less.

    * Constructor: ``weight`` None or a 1-D Tensor, one constant weight per class (any number dtype); ``gamma`` a float
      (negative values are accepted); ``reduction`` 'mean' (default), 'sum' or 'none'.
    * ``logits`` (N, C), (N, C, H) or (N, C, H, W), float16/float32/float64, C >= 2; ``labels`` of the same
      rank, int32/int64/float16/float32. Index labels are cast to int (floats truncate toward 0) and must be
      classes in [0, C) (negative ones are a ValueError: decision D13). Index labels with fewer rows or fewer
      positions than the logits use only the first ones, as in MindSpore.
    * The result has the logits' dtype (float32 when float32 weights or labels meet float16 logits).
    * Gradient: of the formula, w.r.t. logits and float one-hot labels; at p = 1 it is finite (0 for gamma > 0,
      the cross-entropy's for gamma = 0), where MindSpore gives nan for gamma < 1 (decision D3).

    Use it when easy examples swamp the rare hard ones (dense detection, strong class imbalance).

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> logits = Tensor(np.array([[0.8, 1.4], [0.5, 0.9], [1.2, 0.9]], np.float32))
    >>> labels = Tensor(np.array([[1], [1], [0]], np.int32))
    >>> print(FocalLoss(weight=Tensor([1, 2]), gamma=2.0)(logits, labels))
    0.12516621
    >>> print(FocalLoss(gamma=0.0, reduction='none')(logits, labels))      # gamma = 0: cross-entropy
    [0.43748796 0.5130153  0.5543552 ]
    """

    def __init__(self, weight=None, gamma=2.0, reduction="mean"):
        super().__init__(reduction)
        name = self.cls_name
        self.gamma = check_finite_param(name, "gamma", check_number_param(name, "gamma", gamma, (float,)))
        if weight is not None:
            if not isinstance(weight, Tensor):
                raise TypeError(f"For '{name}', the type of 'weight' must be a Tensor, "
                                f"but got {type(weight).__name__}.")
            if weight.ndim != 1:
                raise ValueError(f"For '{name}', the dimension of 'weight' must be 1, but got {weight.ndim}.")
            check_dtype(name, "weight", weight, NUMBERS)
        self.weight = weight
        self.sparse_softmax_cross_entropy = fused_losses.SparseSoftmaxCrossEntropyWithLogits()
        self.focal = fused_cross_entropy.FocalTerm(self.gamma)
        self.log_softmax = ops.LogSoftmax(axis=1)

    def construct(self, logits, labels):
        index_labels = self._check(logits, labels)
        n, num_classes, length = logits.shape[0], logits.shape[1], int(np.prod(logits.shape[2:]))
        dtypes = [logits.asnumpy().dtype, None if self.weight is None else self.weight.asnumpy().dtype]
        if not index_labels:
            dtypes.append(labels.asnumpy().dtype)
        result, work = _promoted(*dtypes), _work_dtype(logits.asnumpy().dtype)
        x = _reshape(_in_dtype(logits, work), (n, num_classes, length))   # (N, C, L): positions flattened
        weight = None if self.weight is None else self.weight.asnumpy().astype(work)
        per = self._index_loss(x, labels, weight) if index_labels else self._one_hot_loss(x, labels, weight, work)
        return self.get_loss(_in_dtype(per, result))

    def _index_loss(self, x, labels, weight):
        """mean_l -(1 - p_t)^gamma w[t] log p_t, shape (N,)."""
        targets = labels.asnumpy().reshape(labels.shape[0], int(np.prod(labels.shape[2:])))     # (N, L)
        if targets.dtype.kind == "f":
            targets = np.trunc(targets)                                   # 2.5 -> 2, -0.5 -> 0 (MindSpore's cast)
        check_class_indices(self.cls_name, self.input_names[1], targets, x.shape[1])
        targets = targets.astype(np.int32, copy=False)
        n, length = targets.shape
        if (n, length) != (x.shape[0], x.shape[2]):      # fewer labels than positions: only the first are used
            x = _get_item(x, (slice(0, n), slice(None), slice(0, length)))
        num_classes = x.shape[1]
        rows = x if length == 1 else _transpose(x, (0, 2, 1))           # (N, L, C): classes last
        rows = _reshape(rows, (n * length, num_classes))
        targets = targets.reshape(-1)
        log_p = _neg(self.sparse_softmax_cross_entropy(rows, _constant(targets)))   # log p_t, one per position
        per = self.focal(log_p)                                           # -(1 - p_t)^gamma log p_t
        if weight is not None:
            per = _mul(per, _constant(weight[targets]))                   # w[t]
        return _reduce_mean(_reshape(per, (n, length)), (1,))

    def _one_hot_loss(self, x, labels, weight, work):
        """mean_l -(1 - p_c)^gamma labels_c w[c] log p_c, shape (N, C)."""
        per = self.focal(self.log_softmax(x)) * _reshape(labels, x.shape)  # -(1 - p)^gamma log p * labels
        if weight is not None:
            per = per * _constant(weight.reshape(1, -1, 1))               # w[c]
        return _reduce_mean(per, (2,))

    def _check(self, logits, labels):
        """Checks the inputs (MindSpore's order); True for index labels (labels.shape[1] == 1)."""
        name, (logits_name, labels_name) = self.cls_name, self.input_names
        check_tensor(name, logits_name, logits)
        check_tensor(name, labels_name, labels)
        for arg, t in ((logits_name, logits), (labels_name, labels)):
            if not 2 <= t.ndim <= 4:
                raise ValueError(f"For '{name}', the dimensions of '{arg}' must be in [2, 4], but got dimension of "
                                 f"'{arg}' {t.ndim}.")
        if logits.ndim != labels.ndim:
            raise ValueError(f"For '{name}', the '{labels_name}' must have the rank of '{logits_name}' "
                             f"({logits.ndim}), but got {labels.ndim}.")
        num_classes = logits.shape[1]
        if num_classes == 1:
            raise ValueError(f"For '{name}', the '{logits_name}'.shape[1] cannot be one, but got 1.")
        if labels.shape[1] not in (1, num_classes):
            raise ValueError(f"For '{name}', the '{labels_name}'.shape[1] must be one or equal to "
                             f"'{logits_name}'.shape[1]: {num_classes}, but got {labels.shape[1]}.")
        check_dtype(name, labels_name, labels, INTS + _F16_F32)
        check_dtype(name, logits_name, logits, FLOATS)
        if self.weight is not None and self.weight.shape != (num_classes,):
            raise ValueError(f"For '{name}', the 'weight' must hold one value per class, shape ({num_classes},), "
                             f"but got shape {self.weight.shape}.")
        if labels.shape[1] != 1:
            if labels.shape != logits.shape:
                raise ValueError(f"For '{name}', one-hot '{labels_name}' must have the shape of '{logits_name}' "
                                 f"{logits.shape}, but got {labels.shape}.")
            return False
        positions = int(np.prod(logits.shape[2:])), int(np.prod(labels.shape[2:]))
        if labels.shape[0] > logits.shape[0] or positions[1] > positions[0]:
            raise ValueError(f"For '{name}', index '{labels_name}' {labels.shape} must not have more rows or "
                             f"positions than '{logits_name}' {logits.shape}.")
        if labels.asnumpy().dtype.kind == "f" and not np.isfinite(labels.asnumpy()).all():
            raise ValueError(f"For '{name}', index '{labels_name}' must be finite class indices, but got "
                             f"{labels.asnumpy()[~np.isfinite(labels.asnumpy())].flat[0]}.")
        return True

    def extend_repr(self):
        return f"weight={self.weight is not None}, gamma={self.gamma}, reduction={self.reduction}"
