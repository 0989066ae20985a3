"""Embedding losses: are two vectors alike?"""
from ... import ops
from ..._engine.tensor import Tensor
from ...ops import fused_embedding, fused_losses
from .base import LossBase
from .checks import (FLOATS, NUMBERS, check_bool_param, check_broadcast, check_cosine_embedding, check_dtype,
                     check_finite_param, check_margin, check_number_param, check_same_dtype, check_tensor)

__all__ = ["CosineEmbeddingLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "TripletMarginLoss",
           "TripletMarginWithDistanceLoss"]

_hinge = fused_losses.Hinge()


def cosine_embedding_terms(cos, labels, margin):
    """per = 1 - cos where labels == 1;  max(cos - margin, 0) where labels == -1;  0 elsewhere."""
    zeros = ops.zeros_like(cos)
    pull = 1 - cos
    push = _hinge(cos - margin)
    return ops.select(labels == 1, pull, ops.select(labels == -1, push, zeros))


class CosineEmbeddingLoss(LossBase):
    """Pull similar pairs together, push dissimilar ones apart, by their cosine along axis 1:

        loss = 1 - cos(x1, x2)             where labels == 1
               max(0, cos(x1, x2) - margin)  where labels == -1
               0                           for any other label

    x1, x2: (N, D) with labels (N,), or (N, D, M) with labels (N, M). No epsilon:
    an all-zero vector has no direction (nan for label 1, 0 for label -1, nan
    gradients). ``margin`` is a float in [-1, 1], default 0.0; default
    reduction='mean'; 'none' gives the labels' shape.
    When to use it: learning embeddings from pairs labelled same / different, where
    the direction matters and not the length (text or face similarity).

    >>> import numpy as np
    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> x1 = Tensor(np.array([[1., 0.], [1., 0.]], np.float32))
    >>> x2 = Tensor(np.array([[0., 1.], [1., 1.]], np.float32))     # cosines 0 and 0.7071
    >>> print(nn.CosineEmbeddingLoss(reduction="none")(x1, x2, Tensor(np.array([1, -1], np.int32))))
    [1.         0.70710677]
    """

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = check_margin(self.cls_name, margin)
        self.cosine_similarity = fused_losses.CosineSimilarity(axis=1)

    def construct(self, logits_x1, logits_x2, labels):
        check_cosine_embedding(self.cls_name, logits_x1, logits_x2, labels, self.input_names)
        cos = self.cosine_similarity(logits_x1, logits_x2)
        x = cosine_embedding_terms(cos, labels, self.margin)     # 1 - cos / max(0, cos - margin) / 0
        return self.get_loss(x)

    def extend_repr(self):
        return f"margin={self.margin}, reduction={self.reduction}"


# ----- ranking and metric learning: MarginRankingLoss, HingeEmbeddingLoss, the triplet losses -----

# The floor of the built-in distance of TripletMarginWithDistanceLoss (MindSpore's LpNorm epsilon).
DISTANCE_FLOOR = 1e-12


def _float_param(name, arg, value, types=(float,)):
    """A finite Python number of ``types`` (never a bool or a string)."""
    return float(check_finite_param(name, arg, check_number_param(name, arg, value, types)))


def _check_tensors(name, names, tensors):
    for arg, t in zip(names, tensors):
        check_tensor(name, arg, t)


class MarginRankingLoss(LossBase):
    """Rank two scores: ``target = 1`` says input1 should be the larger, ``target = -1`` input2:

        loss = max(0, -target * (input1 - input2) + margin)

    A pair ranked the right way by at least ``margin`` costs nothing; otherwise
    the cost grows linearly with how wrong the order is. Use it to learn
    scores from preferences (search results, recommendations).

    ``margin`` is a Python float (default 0.0, negative allowed); default
    reduction='mean'. ``input1``, ``input2`` and ``target`` are Tensors of one
    numeric dtype whose shapes broadcast ('none' returns the broadcast shape);
    ``target`` is used as a number (0 gives max(0, margin)). Integer inputs give
    a float32 loss. The max is a clamp: at exactly 0 the full gradient flows,
    and a nan score gives 0.

    >>> import numpy as np
    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> input1 = Tensor(np.array([0.3864, -2.4093, -1.4076], np.float32))
    >>> input2 = Tensor(np.array([-0.6012, -1.6681, 1.2928], np.float32))
    >>> target = Tensor(np.array([-1, -1, 1], np.float32))
    >>> print(nn.MarginRankingLoss(reduction="none")(input1, input2, target))
    [0.98759997 0.         2.7003999 ]
    >>> print(nn.MarginRankingLoss()(input1, input2, target))
    1.2293333
    """

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = _float_param(self.cls_name, "margin", margin)     # checked here, not at the call (D16)
        self.margin_ranking = fused_embedding.MarginRanking(self.margin)

    def construct(self, input1, input2, target):
        name, names = self.cls_name, self.input_names
        _check_tensors(name, names, (input1, input2, target))
        check_dtype(name, names[0], input1, NUMBERS)
        check_same_dtype(name, names[0], input1, names[1], input2)
        check_same_dtype(name, names[0], input1, names[2], target)
        difference = check_broadcast(name, names[0], input1.shape, names[1], input2.shape)
        check_broadcast(name, f"{names[0]} - {names[1]}", difference, names[2], target.shape)
        x = self.margin_ranking(input1, input2, target)      # max(0, -target (input1 - input2) + margin)
        return self.get_loss(x)

    def extend_repr(self):
        return f"margin={self.margin}, reduction={self.reduction}"


class HingeEmbeddingLoss(LossBase):
    """Is a pair similar (label 1) or dissimilar (label -1)? ``logits`` is a distance between the two:

        loss = x                  where labels > 0  (pull similar pairs together)
               max(0, margin - x)  where labels < 0  (push dissimilar ones beyond margin)
               0                  where labels == 0 (or nan)

    Typically ``logits`` is an L1 distance between two embeddings. The labels
    act only through their sign, and get a zero gradient. ``margin`` is an int
    or a float (default 1.0); default reduction='mean'. ``logits`` and
    ``labels`` are float Tensors whose shapes broadcast; the loss has the
    logits' dtype. An infinite distance stays infinite where it is selected
    (it is not multiplied by a 0/1 mask). At margin - x == 0 the gradient is
    split: -1/2.

    >>> import numpy as np
    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> logits = Tensor(np.array([[0.9, -1.2, 2], [0.8, 3.9, 2], [1, 0, -1]], np.float32))
    >>> labels = Tensor(np.array([[1, 1, -1], [1, -1, 1], [-1, 1, 1]], np.float32))
    >>> print(nn.HingeEmbeddingLoss()(logits, labels))
    0.16666667
    >>> print(nn.HingeEmbeddingLoss(reduction="none")(logits, labels))
    [[ 0.9 -1.2  0. ]
     [ 0.8  0.   2. ]
     [ 0.   0.  -1. ]]
    """

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = _float_param(self.cls_name, "margin", margin, (int, float))
        self.hinge_embedding = fused_embedding.HingeEmbedding(self.margin)

    def construct(self, logits, labels):
        name, names = self.cls_name, self.input_names
        _check_tensors(name, names, (logits, labels))    # a Python float is a TypeError too (D17)
        check_dtype(name, names[0], logits, FLOATS)
        check_dtype(name, names[1], labels, FLOATS)
        check_broadcast(name, names[0], logits.shape, names[1], labels.shape)
        x = self.hinge_embedding(logits, labels)       # x / max(0, margin - x) / 0 by the labels' sign
        return self.get_loss(x)

    def extend_repr(self):
        return f"margin={self.margin}, reduction={self.reduction}"


def _margin_value(name, margin):
    """A triplet margin: a finite Python float or a 0-d float Tensor (no gradient flows to it)."""
    if isinstance(margin, Tensor):
        check_dtype(name, "margin", margin, FLOATS)
        if margin.ndim != 0:
            raise ValueError(f"For '{name}', the 'margin' must be a 0-d Tensor (one number), "
                             f"but got shape {margin.shape}.")
        return float(check_finite_param(name, "margin", float(margin.asnumpy())))
    return _float_param(name, "margin", margin)


class TripletMarginLoss(LossBase):
    """Metric learning with triplets: an anchor ``x`` must be nearer its ``positive`` than its ``negative``:

        loss = max(0, d(x, positive) - d(x, negative) + margin)
        d(a, b) = ||a - b + eps||_p  along axis 1

    A triplet whose negative is already ``margin`` farther away than its
    positive costs nothing. With ``swap=True`` the negative's distance is the
    smaller of d(x, negative) and d(positive, negative) (the harder one).

    Defaults p=2 (an int; 1 is the L1 distance; 0 counts the non-zero
    differences, a negative p uses the same formula), swap=False, eps=1e-06 (a
    float, added to every difference, so identical rows still have a
    direction), reduction='mean', margin=1.0. The call takes an optional
    ``margin`` (a float or 0-d Tensor) that replaces the constructor's
    (decision D18). Inputs: Tensors of one dtype, shapes broadcasting together,
    not all of them 1-D; (N, D) gives one loss per row, (N, D, M) a (N, M)
    loss. MindSpore 2.10 has no CPU kernel for this loss; lossviz computes the
    documented formula (decision D1). A tie at 0 splits the gradient in half.

    >>> import numpy as np
    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> x = Tensor(np.array([[0.3, 0.7], [0.5, 0.5]], np.float32))
    >>> positive = Tensor(np.array([[0.4, 0.6], [0.4, 0.6]], np.float32))
    >>> negative = Tensor(np.array([[0.2, 0.9], [0.3, 0.7]], np.float32))
    >>> print(nn.TripletMarginLoss()(x, positive, negative))
    0.8881968
    >>> print(nn.TripletMarginLoss(reduction="none")(x, positive, negative, 0.5))
    [0.41781497 0.35857868]
    """

    def __init__(self, p=2, swap=False, eps=1e-06, reduction="mean", margin=1.0):
        super().__init__(reduction)
        name = self.cls_name
        self.p = check_number_param(name, "p", p, (int,))              # always validated (D18)
        self.swap = check_bool_param(name, "swap", swap)
        self.eps = _float_param(name, "eps", eps)
        self.margin = _margin_value(name, margin)

    def construct(self, x, positive, negative, margin=None):
        name, names = self.cls_name, self.input_names
        margin = self.margin if margin is None else _margin_value(name, margin)   # the call's margin wins (D18)
        _check_tensors(name, names, (x, positive, negative))
        check_dtype(name, names[0], x, NUMBERS)
        check_same_dtype(name, names[0], x, names[1], positive)
        check_same_dtype(name, names[0], x, names[2], negative)
        shape = check_broadcast(name, names[0], x.shape, names[1], positive.shape)
        check_broadcast(name, f"{names[0]} and {names[1]}", shape, names[2], negative.shape)
        if max(x.ndim, positive.ndim, negative.ndim) < 2:
            raise ValueError(f"For '{name}', the distance is taken along axis 1, so at least one of "
                             f"'{names[0]}', '{names[1]}', '{names[2]}' must have 2 or more dimensions, but got "
                             f"shapes {x.shape}, {positive.shape}, {negative.shape}.")
        for arg, t in zip(names, (x, positive, negative)):
            if t.ndim >= 8:
                raise ValueError(f"For '{name}', the '{arg}' must have fewer than 8 dimensions, but got {t.ndim}.")
        triplet = fused_embedding.TripletMargin(self.p, self.eps, 0.0, self.swap, margin)
        return self.get_loss(triplet(x, positive, negative))     # max(0, d(x, p) - d(x, n) + margin)

    def extend_repr(self):
        return f"p={self.p}, swap={self.swap}, eps={self.eps}, reduction={self.reduction}, margin={self.margin}"


class TripletMarginWithDistanceLoss(LossBase):
    """The triplet loss with a distance of your choice:

        loss = max(0, d(x, positive) - d(x, negative) + margin)

    ``distance_function(a, b)`` is any callable taking two Tensors and
    returning a Tensor of distances (built from ``ops`` so the gradient flows,
    e.g. ``lambda a, b: 1 - cosine_similarity(a, b)``). The default (None) is
    the Euclidean distance along axis 1, floored at 1e-12:
    ``max(sqrt(sum((a - b)^2)), 1e-12)`` (identical rows get gradient 0).
    With ``swap=True`` the negative's distance is the smaller of
    d(x, negative) and d(positive, negative).

    Parameters in MindSpore's order: distance_function=None, swap=False (a
    bool), reduction='mean', margin=1.0 (a Python float). Inputs: Tensors
    whose shapes broadcast; for the default distance float16/32/64 (float64
    accepted, decision D19) with 2 or more dimensions. A tie at 0 splits the
    gradient in half, and a nan difference gives 0.

    >>> import numpy as np
    >>> import lossviz.nn as nn
    >>> from lossviz import Tensor
    >>> x = Tensor(np.array([[0.3, 0.7], [0.5, 0.5]], np.float32))
    >>> positive = Tensor(np.array([[0.4, 0.6], [0.4, 0.6]], np.float32))
    >>> negative = Tensor(np.array([[0.2, 0.9], [0.3, 0.7]], np.float32))
    >>> print(nn.TripletMarginWithDistanceLoss()(x, positive, negative))
    0.8881966
    >>> import lossviz.ops as ops
    >>> l1 = lambda a, b: ops.sum(ops.abs(a - b), axis=1)
    >>> print(nn.TripletMarginWithDistanceLoss(l1, reduction="none")(x, positive, negative))
    [0.9       0.8000001]
    """

    def __init__(self, distance_function=None, swap=False, reduction="mean", margin=1.0):
        super().__init__(reduction)
        name = self.cls_name
        self.margin = _float_param(name, "margin", margin)
        self.swap = check_bool_param(name, "swap", swap)
        if distance_function is not None and not callable(distance_function):
            raise TypeError(f"For '{name}', the 'distance_function' must be None or a callable of two Tensors, "
                            f"but got {type(distance_function).__name__}.")
        self.distance_function = distance_function
        self.pairwise_distance = fused_embedding.PairwiseDistance(p=2, eps=0.0, floor=DISTANCE_FLOOR)
        self.triplet = fused_embedding.TripletMargin(2, 0.0, DISTANCE_FLOOR, self.swap, self.margin)
        self.minimum = ops.Minimum()

    def construct(self, x, positive, negative):
        name, names = self.cls_name, self.input_names
        _check_tensors(name, names, (x, positive, negative))
        pairs = ((0, 1), (0, 2), (1, 2)) if self.swap else ((0, 1), (0, 2))
        inputs = (x, positive, negative)
        if self.distance_function is None:
            for arg, t in zip(names, inputs):
                check_dtype(name, arg, t, FLOATS)
            shapes = [check_broadcast(name, names[i], inputs[i].shape, names[j], inputs[j].shape) for i, j in pairs]
            for (i, j), shape in zip(pairs, shapes):
                if len(shape) < 2:
                    raise ValueError(f"For '{name}', the built-in distance is taken along axis 1, so '{names[i]}' - "
                                     f"'{names[j]}' must have 2 or more dimensions, but got shape {shape}.")
            full = check_broadcast(name, f"{names[0]} and {names[1]}", shapes[0], names[2], negative.shape)
            if all(shape == full for shape in shapes):
                # NOTE: one fused primitive for the whole formula when every pair has
                # the broadcast shape of all three (then the two ways agree); it is the
                # same loss as the composition below, with fewer temporaries.
                return self.get_loss(self.triplet(x, positive, negative))
        distance = self._distance
        d_pos, d_neg = distance(x, positive), distance(x, negative)
        check_broadcast(name, "distance_function(x, positive)", d_pos.shape,
                        "distance_function(x, negative)", d_neg.shape)
        if self.swap:
            d_swap = distance(positive, negative)
            check_broadcast(name, "distance_function(x, negative)", d_neg.shape,
                            "distance_function(positive, negative)", d_swap.shape)
            d_neg = self.minimum(d_neg, d_swap)
        loss = _hinge(d_pos - d_neg + self.margin)      # max(0, d(x, p) - d(x, n) + margin)
        return self.get_loss(loss)

    def _distance(self, a, b):
        if self.distance_function is None:
            return self.pairwise_distance(a, b)
        d = self.distance_function(a, b)
        if not isinstance(d, Tensor):
            raise TypeError(f"For '{self.cls_name}', the 'distance_function' must return a Tensor, "
                            f"but got {type(d).__name__}.")
        return d

    def extend_repr(self):
        return f"distance_function={self.distance_function}, swap={self.swap}, reduction={self.reduction}, " \
               f"margin={self.margin}"
