"""Loss functions: ``LossBase`` and the tutorial's seven built-in losses.

Every built-in is written the way the tutorial teaches you to write a loss:
the ops are created in ``__init__``, ``construct`` computes the loss of each
element (or sample), and ``self.get_loss(x)`` applies the reduction at the
end. Where many small ops would be slow, the op is one fused primitive from
``lossviz.ops.loss_ops`` (forward and backward side by side).

    reduction='mean'  ->  a scalar: the sum divided by the number of elements
    reduction='sum'   ->  a scalar: the sum
    reduction='none'  ->  the unreduced loss
"""
import numpy as np

from .. import ops
from .._engine.random import generator
from .._engine.tensor import Tensor
from ..ops import loss_ops
from ..ops.loss_functional import (check_bce, check_beta, check_cosine_embedding, check_dtype, check_in_range,
                                   check_margin, check_reduction, check_regression, check_same_dtype,
                                   check_smooth_l1, check_tensor, cosine_embedding_terms, reduce_loss)
from .cell import Cell

__all__ = ["LossBase", "L1Loss", "MSELoss", "SmoothL1Loss", "SoftmaxCrossEntropyWithLogits", "SampledSoftmaxLoss",
           "BCELoss", "CosineEmbeddingLoss"]

_INTS = (np.dtype(np.int32), np.dtype(np.int64))


class LossBase(Cell):
    """Base class of losses: compute the unreduced loss in ``construct``, end with ``self.get_loss(x)``.

    ``reduction`` is 'mean' (default), 'sum' or 'none', checked here (a
    ValueError names your class) and kept in ``self.reduction``.

    >>> class L1Loss(LossBase):
    ...     def __init__(self, reduction="mean"):
    ...         super(L1Loss, self).__init__(reduction)
    ...         self.abs = ops.Abs()
    ...     def construct(self, base, target):
    ...         return self.get_loss(self.abs(base - target))
    """

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = check_reduction(self.cls_name, reduction)

    def get_axis(self, x):
        """All axes of x: ``(0, 1, ..., x.ndim - 1)``; ``()`` for a scalar."""
        return tuple(range(x.ndim))

    def get_loss(self, x, weights=1.0):
        """Weight, then reduce: ``reduce(weights * x)`` with ``self.reduction``.

        ``weights`` is a number or a Tensor broadcasting against x. 'mean' divides
        by the number of elements of ``weights * x`` (never by the sum of the
        weights). The result has x's dtype; float64 is computed in float64.
        This is the only place the reduction is applied (``reduce_loss``).
        """
        return reduce_loss(x, weights, self.reduction, self.cls_name)


# ----- regression -----
class L1Loss(LossBase):
    """Mean absolute error:  loss = reduce(|logits - labels|).

    Shapes broadcast. 'none' returns the broadcast shape, 'mean'/'sum' a scalar.
    Default reduction='mean'. The gradient is sign(logits - labels) (0 on ties).

    >>> nn.L1Loss()(Tensor([[1., 2., 3.], [2., 3., 4.]]), Tensor([[0., 2., 5.], [3., 1., 1.]]))   # 1.5
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.absolute_error = loss_ops.AbsoluteError()

    def construct(self, logits, labels):
        check_regression(self.cls_name, logits, labels)
        x = self.absolute_error(logits, labels)          # |logits - labels|
        return self.get_loss(x)


class MSELoss(LossBase):
    """Mean squared error:  loss = reduce((logits - labels)^2).

    Shapes broadcast. 'none' returns the broadcast shape, 'mean'/'sum' a scalar.
    Default reduction='mean'. The gradient is 2 (logits - labels).

    >>> nn.MSELoss()(Tensor([1., 2.]), Tensor([0., 4.]))   # 2.5
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.squared_error = loss_ops.SquaredError()

    def construct(self, logits, labels):
        check_regression(self.cls_name, logits, labels)
        x = self.squared_error(logits, labels)           # (logits - labels)^2
        return self.get_loss(x)


class SmoothL1Loss(LossBase):
    """Smooth L1 (Huber-like):  with d = logits - labels,

        loss = 0.5 * d^2 / beta      if |d| < beta
               |d| - 0.5 * beta      otherwise

    Quadratic near 0, linear far away; the two pieces meet at |d| = beta.
    Shapes must be equal (no broadcasting); float inputs. Defaults beta=1.0,
    reduction='none' (the input's shape); 'mean'/'sum' give a scalar.
    ``beta <= 0`` is refused when the loss is called.

    >>> nn.SmoothL1Loss()(Tensor([0.5, 3.]), Tensor([0., 0.]))   # [0.125 2.5  ]
    """

    def __init__(self, beta=1.0, reduction="none"):
        super().__init__(reduction)
        self.beta = check_beta(self.cls_name, beta)
        self.smooth_l1 = loss_ops.SmoothL1Loss(self.beta)

    def construct(self, logits, labels):
        check_smooth_l1(self.cls_name, logits, labels, self.beta)
        x = self.smooth_l1(logits, labels)
        return self.get_loss(x)

    def extend_repr(self):
        return f"beta={self.beta}, reduction={self.reduction}"


# ----- classification -----
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
        self.softmax_cross_entropy = loss_ops.SoftmaxCrossEntropyWithLogits()
        self.sparse_softmax_cross_entropy = loss_ops.SparseSoftmaxCrossEntropyWithLogits()

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
        check_dtype(name, "labels", labels, _INTS)
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


class SampledSoftmaxLoss(LossBase):
    """Softmax cross-entropy over the true classes and a few sampled ones, for very many classes.

    Call ``(weights, biases, labels, logits)``: the class embeddings (C, D), the
    class biases (C,), int labels reshaping to (N, num_true), and the hidden
    activations (N, D) (not class scores). With sampled ids S (K,) and their
    expected counts:

        z[i, true k]    = <logits_i, weights[labels_ik]> + biases[labels_ik] - ln(true_expected_ik)
        z[i, sampled s] = <logits_i, weights[S_s]>       + biases[S_s]       - ln(sampled_expected_s)
        loss_i = -sum_j t_j * ln(softmax(z_i)_j + 1e-20),  t = 1/num_true on true columns, 0 on sampled

    Only K + num_true rows of ``weights`` are used, so a step costs O(N (K + T) D)
    instead of O(N C D). ``sampled_values=(S, true_expected, sampled_expected)``
    fixes the samples; otherwise a uniform sampler draws ``num_sampled``
    distinct ids (avoiding the batch's labels when ``remove_accidental_hits``),
    seeded by ``seed`` (0: from ``lossviz.set_seed``). With
    ``remove_accidental_hits`` a sampled id equal to a row's true class is
    masked out of that row. 'none' (the default) gives (N,), 'mean'/'sum' a scalar.

    >>> loss = nn.SampledSoftmaxLoss(num_sampled=4, num_classes=10)
    """

    def __init__(self, num_sampled, num_classes, num_true=1, sampled_values=None, remove_accidental_hits=True,
                 seed=0, reduction="none"):
        super().__init__(reduction)
        name = self.cls_name
        for arg, value in (("num_sampled", num_sampled), ("num_classes", num_classes), ("num_true", num_true),
                           ("seed", seed)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"For '{name}', the '{arg}' must be an int, but got {type(value).__name__}.")
        if not isinstance(remove_accidental_hits, bool):
            raise TypeError(f"For '{name}', the 'remove_accidental_hits' must be a bool, "
                            f"but got {type(remove_accidental_hits).__name__}.")
        if num_true < 1:
            raise ValueError(f"For '{name}', the 'num_true' must be greater than or equal to 1, but got {num_true}.")
        if seed < 0:
            raise ValueError(f"For '{name}', the 'seed' must be greater than or equal to 0, but got {seed}.")
        if num_sampled < 1:
            raise ValueError(f"For '{name}', the 'num_sampled' must be greater than 0, but got {num_sampled}.")
        if num_sampled > num_classes:
            raise ValueError(f"For '{name}', the 'num_sampled' must be smaller than or equal to 'num_classes', "
                             f"but got 'num_sampled': {num_sampled} and 'num_classes': {num_classes}.")
        if num_true > num_classes:
            raise ValueError(f"For '{name}', the 'num_true' must be smaller than or equal to 'num_classes', "
                             f"but got 'num_true': {num_true} and 'num_classes': {num_classes}.")
        if sampled_values is not None:
            if not isinstance(sampled_values, (list, tuple)):
                raise TypeError(f"For '{name}', the type of 'sampled_values' must be a list or tuple, "
                                f"but got {type(sampled_values).__name__}.")
            if len(sampled_values) != 3:
                raise ValueError(f"For '{name}', the length of 'sampled_values' must be equal to 3, "
                                 f"but got {len(sampled_values)}.")
            for arg, value in zip(("sampled_candidates", "true_expected_count", "sampled_expected_count"),
                                  sampled_values):
                check_tensor(name, f"sampled_values' '{arg}", value)
            sampled_values = tuple(sampled_values)
        self.num_sampled, self.num_classes, self.num_true = int(num_sampled), int(num_classes), int(num_true)
        self.sampled_values, self.remove_accidental_hits, self.seed = sampled_values, remove_accidental_hits, seed
        self._rng = None
        self.sampled_logits = loss_ops.SampledLogits()
        self.softmax = ops.Softmax(axis=1)
        self.log = ops.Log()
        self.reduce_sum = ops.ReduceSum()

    def construct(self, weights, biases, labels, logits):
        labels, sampled, true_expected, sampled_expected = self._prepare(weights, biases, labels, logits)
        z = self.sampled_logits(weights, biases, logits, labels, sampled, true_expected, sampled_expected,
                                self.remove_accidental_hits)               # (N, num_true + K)
        targets = np.zeros(z.shape, z.dtype.np_dtype)
        targets[:, :self.num_true] = 1 / self.num_true
        # NOTE: the 1e-20 keeps ln() finite when a true class is hopeless (loss <= 46.05).
        x = -self.reduce_sum(Tensor._wrap(targets) * self.log(self.softmax(z) + loss_ops.SAMPLED_EPSILON), 1)
        return self.get_loss(x)

    # ----- inputs and samples -----
    def _prepare(self, weights, biases, labels, logits):
        """Check the four inputs; return labels (N, T) and the samples as numpy arrays."""
        name, C = self.cls_name, self.num_classes
        for arg, value in (("weights", weights), ("biases", biases), ("labels", labels), ("logits", logits)):
            check_tensor(name, arg, value)
        check_dtype(name, "labels", labels, _INTS)
        check_dtype(name, "weights", weights, (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)))
        check_same_dtype(name, "weights", weights, "biases", biases)
        check_same_dtype(name, "weights", weights, "logits", logits)
        if weights.ndim != 2 or weights.shape[0] != C:
            raise ValueError(f"For '{name}', the 'weights' must have the shape ({C}, D) (num_classes rows), "
                             f"but got {weights.shape}.")
        if biases.shape != (C,):
            raise ValueError(f"For '{name}', the 'biases' must have the shape ({C},), but got {biases.shape}.")
        if logits.ndim != 2 or logits.shape[1] != weights.shape[1]:
            raise ValueError(f"For '{name}', the 'logits' must have the shape (N, {weights.shape[1]}), "
                             f"but got {logits.shape}.")
        n, t = logits.shape[0], self.num_true
        if labels.size != n * t:
            raise ValueError(f"For '{name}', the 'labels' must reshape to (N, num_true) = ({n}, {t}), "
                             f"but got shape {labels.shape}.")
        label_ids = labels._data.reshape(n, t)
        check_in_range(name, "labels", label_ids, 0, C, high_inclusive=False)
        if self.sampled_values is None:
            sampled, true_expected, sampled_expected = self._sample(label_ids, weights._data.dtype)
        else:
            sampled, true_expected, sampled_expected = (v._data for v in self.sampled_values)
            self._check_sampled_values(sampled, true_expected, sampled_expected, n)
        return label_ids, sampled, true_expected, sampled_expected

    def _check_sampled_values(self, sampled, true_expected, sampled_expected, n):
        name, k, t = self.cls_name, self.num_sampled, self.num_true
        if sampled.dtype.kind not in "iu" or sampled.shape != (k,):
            raise ValueError(f"For '{name}', the sampled ids in 'sampled_values' must be {k} ints (num_sampled), "
                             f"but got {sampled.dtype.name} of shape {sampled.shape}.")
        check_in_range(name, "sampled_values", sampled, 0, self.num_classes, high_inclusive=False,
                       what="'sampled_values' ids")
        for arg, expected, shape in (("true_expected_count", true_expected, (n, t)),
                                     ("sampled_expected_count", sampled_expected, (k,))):
            ok = expected.dtype.kind == "f"
            try:
                ok = ok and np.broadcast_shapes(expected.shape, shape) == shape
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"For '{name}', the '{arg}' in 'sampled_values' must be floats broadcasting "
                                 f"to {shape}, but got {expected.dtype.name} of shape {expected.shape}.")

    def _sample(self, label_ids, dtype):
        """Uniform candidate sampler: ``num_sampled`` distinct ids in [0, num_classes).

        With ``remove_accidental_hits`` the batch's true labels are never drawn.
        Both expected counts are 1 - (1 - 1/C)^tries, tries = the draws needed.
        """
        if self._rng is None:
            self._rng = generator(self.seed)
        C, k = self.num_classes, self.num_sampled
        taken = np.zeros(C, bool)
        if self.remove_accidental_hits:
            taken[label_ids.reshape(-1)] = True
        if k > C - int(taken.sum()):
            raise ValueError(f"For '{self.cls_name}', can not draw {k} distinct ids (num_sampled) that avoid the "
                             f"batch's {int(taken.sum())} true labels among {C} classes.")
        picked, tries = [], 0
        while len(picked) < k:
            need = k - len(picked)
            draws = self._rng.integers(0, C, size=max(2 * need, 16))
            _, first = np.unique(draws, return_index=True)   # first draw of each id, in draw order
            first = np.sort(first)
            first = first[~taken[draws[first]]]
            if len(first) >= need:
                first = first[:need]
                tries += int(first[-1]) + 1
            else:
                tries += len(draws)
            taken[draws[first]] = True
            picked.extend(draws[first].tolist())
        expected = -np.expm1(tries * np.log1p(-1.0 / C))
        n = label_ids.shape[0]
        return (np.array(picked, np.int64), np.full((n, self.num_true), expected, dtype),
                np.full((k,), expected, dtype))

    def extend_repr(self):
        return (f"num_sampled={self.num_sampled}, num_classes={self.num_classes}, num_true={self.num_true}, "
                f"remove_accidental_hits={self.remove_accidental_hits}, reduction={self.reduction}")


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
        self.binary_cross_entropy = loss_ops.BinaryCrossEntropy()

    def construct(self, logits, labels):
        check_bce(self.cls_name, logits, labels, self.weight)
        x = self.binary_cross_entropy(logits, labels)
        return self.get_loss(x, 1.0 if self.weight is None else self.weight)


class CosineEmbeddingLoss(LossBase):
    """Pull similar pairs together, push dissimilar ones apart, by their cosine along axis 1:

        loss = 1 - cos(x1, x2)             where labels == 1
               max(0, cos(x1, x2) - margin)  where labels == -1
               0                           for any other label

    x1, x2: (N, D) with labels (N,), or (N, D, M) with labels (N, M). No epsilon:
    an all-zero vector has no direction (nan for label 1, 0 for label -1, nan
    gradients). ``margin`` is a float in [-1, 1], default 0.0; default
    reduction='mean'; 'none' gives the labels' shape.

    >>> nn.CosineEmbeddingLoss()(Tensor([[1., 0.]]), Tensor([[0., 1.]]), Tensor([1]))   # 1.0
    """

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = check_margin(self.cls_name, margin)
        self.cosine_similarity = loss_ops.CosineSimilarity(axis=1)

    def construct(self, logits_x1, logits_x2, labels):
        check_cosine_embedding(self.cls_name, logits_x1, logits_x2, labels)
        cos = self.cosine_similarity(logits_x1, logits_x2)
        x = cosine_embedding_terms(cos, labels, self.margin)     # 1 - cos / max(0, cos - margin) / 0
        return self.get_loss(x)

    def extend_repr(self):
        return f"margin={self.margin}, reduction={self.reduction}"
