"""Classification losses: scores or probabilities against classes."""
import numpy as np

from ..._engine.tensor import Tensor
from ...ops import fused_losses
from .base import LossBase
from .checks import FLOATS, INTS, check_bce, check_dtype, check_in_range, check_same_dtype, check_tensor

__all__ = ["SoftmaxCrossEntropyWithLogits", "BCELoss"]


class SoftmaxCrossEntropyWithLogits(LossBase):
    """Cross-entropy of softmax(logits):  loss_i = -sum_j labels_ij * log_softmax(logits_i)_j.

    logits (N, C) float16/float32. Dense (``sparse=False``): labels (N, C) of
    the logits' dtype (one-hot or soft). Sparse (``sparse=True``): labels (N,)
    int32/int64 class indices in [0, C), and loss_i = -log_softmax(logits_i)[labels_i].
    'none' (the default) gives (N,), 'mean'/'sum' a scalar.
    log_softmax subtracts the row maximum first, so any finite logits give a
    finite loss. Gradient (as MindSpore): softmax(logits) - labels; labels get 0.

    >>> loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')
    >>> loss(Tensor([[2., 1., 0.1]]), Tensor(np.array([0], np.int32)))   # 0.41703
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

    >>> nn.BCELoss(reduction='mean')(Tensor([0.5, 0.9]), Tensor([1., 1.]))   # 0.39925
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
