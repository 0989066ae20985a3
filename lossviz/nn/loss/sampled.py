"""``SampledSoftmaxLoss``: softmax cross-entropy over a few sampled classes, for very many classes."""
import numpy as np

from ..._engine.random import generator
from ...ops import fused_losses
from .base import LossBase
from .checks import INTS, check_dtype, check_in_range, check_same_dtype, check_tensor

__all__ = ["SampledSoftmaxLoss"]


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

    >>> import numpy as np
    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> weights = Tensor(np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], np.float32))   # 4 classes, D = 2
    >>> biases = Tensor(np.zeros(4, np.float32))
    >>> hidden = Tensor(np.array([[2, 0], [0, 1]], np.float32))
    >>> samples = (Tensor(np.array([2, 3], np.int32)), Tensor(np.ones((2, 1), np.float32)),
    ...            Tensor(np.ones(2, np.float32)))                  # sampled ids, expected counts
    >>> loss = nn.SampledSoftmaxLoss(num_sampled=2, num_classes=4, sampled_values=samples)
    >>> print(loss(weights, biases, Tensor(np.array([0, 1], np.int32)), hidden))
    [0.14293166 0.40760598]
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
        self.sampled_logits = fused_losses.SampledLogits()
        self.cross_entropy = fused_losses.SampledSoftmaxCrossEntropy(self.num_true)

    def construct(self, weights, biases, labels, logits):
        labels, sampled, true_expected, sampled_expected = self._prepare(weights, biases, labels, logits)
        z = self.sampled_logits(weights, biases, logits, labels, sampled, true_expected, sampled_expected,
                                self.remove_accidental_hits)               # (N, num_true + K)
        # NOTE: the 1e-20 keeps ln() finite when a true class is hopeless (loss <= 46.05).
        x = self.cross_entropy(z)                      # -sum_j t_j ln(softmax(z)_j + 1e-20), t = 1/num_true on true
        return self.get_loss(x)

    # ----- inputs and samples -----
    def _prepare(self, weights, biases, labels, logits):
        """Check the four inputs; return labels (N, T) and the samples as numpy arrays."""
        name, C = self.cls_name, self.num_classes
        for arg, value in (("weights", weights), ("biases", biases), ("labels", labels), ("logits", logits)):
            check_tensor(name, arg, value)
        check_dtype(name, "labels", labels, INTS)
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
