"""Functional forms of the losses (``ops.l1_loss(input, target, reduction='mean')`` ...).

Each one *is* its loss class, called once: same checks, same numbers, same
gradient. Only the names differ: errors name the function and its arguments
(``For 'l1_loss', the 'input' ...``), as MindSpore's functional forms do.
``lossviz.ops`` publishes these under MindSpore's names.
"""
import functools

from . import classification, embedding, multilabel, probabilistic, regression, segmentation, sequence  # noqa: F401
from .classification import BCELoss
from .embedding import CosineEmbeddingLoss
from .regression import L1Loss, MSELoss, SmoothL1Loss


@functools.lru_cache(maxsize=None)
def _as_function(loss_class, name, input_names):
    """``loss_class`` renamed ``name`` (its errors say ``For 'name'``), its inputs renamed ``input_names``."""
    return type(name, (loss_class,), {"input_names": input_names, "__module__": __name__})


def l1_loss(input, target, reduction="mean"):  # noqa: A002 - MindSpore's argument names
    """loss = reduce(|input - target|), shapes broadcast; see ``nn.L1Loss``.

    >>> from lossviz import Tensor
    >>> print(l1_loss(Tensor([1., 2.]), Tensor([0., 4.])))
    1.5
    """
    return _as_function(L1Loss, "l1_loss", ("input", "target"))(reduction)(input, target)


def mse_loss(input, target, reduction="mean"):  # noqa: A002
    """loss = reduce((input - target)^2), shapes broadcast; see ``nn.MSELoss``.

    >>> from lossviz import Tensor
    >>> print(mse_loss(Tensor([1., 2.]), Tensor([0., 4.])))
    2.5
    """
    return _as_function(MSELoss, "mse_loss", ("input", "target"))(reduction)(input, target)


def smooth_l1_loss(input, target, beta=1.0, reduction="none"):  # noqa: A002
    """loss = reduce(0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta), d = input - target; see ``nn.SmoothL1Loss``.

    >>> from lossviz import Tensor
    >>> print(smooth_l1_loss(Tensor([0.5, 3.]), Tensor([0., 0.])))
    [0.125 2.5  ]
    """
    return _as_function(SmoothL1Loss, "smooth_l1_loss", ("input", "target"))(beta, reduction)(input, target)


def binary_cross_entropy(logits, labels, weight=None, reduction="mean"):
    """loss = reduce(-weight (labels ln(logits + 1e-12) + (1 - labels) ln(1 - logits + 1e-12))); see ``nn.BCELoss``.

    >>> from lossviz import Tensor
    >>> print(binary_cross_entropy(Tensor([0.5]), Tensor([1.])))
    0.6931472
    """
    loss = _as_function(BCELoss, "binary_cross_entropy", ("logits", "labels"))(weight, reduction)
    return loss(logits, labels)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """loss = reduce(1 - cos if target == 1, max(cos - margin, 0) if target == -1); see ``nn.CosineEmbeddingLoss``.

    >>> from lossviz import Tensor
    >>> print(cosine_embedding_loss(Tensor([[1., 0.]]), Tensor([[0., 1.]]), Tensor([1])))
    1.0
    """
    loss = _as_function(CosineEmbeddingLoss, "cosine_embedding_loss", ("input1", "input2", "target"))
    return loss(margin, reduction)(input1, input2, target)


# ----- more functional forms are appended below this line, one block per group of losses -----


# ----- regression group: huber_loss, soft_margin_loss, gaussian_nll_loss, kl_div -----
def huber_loss(input, target, reduction="mean", delta=1.0):  # noqa: A002 - MindSpore's argument names
    """loss = reduce(0.5 z^2 if z < delta else delta (z - 0.5 delta)), z = |input - target|; see ``nn.HuberLoss``.

    >>> from lossviz import Tensor
    >>> print(huber_loss(Tensor([1., 2., 10., 2.]), Tensor([1., 5., 1., 20.]), reduction="mean", delta=2))
    13.5
    """
    loss = _as_function(regression.HuberLoss, "huber_loss", ("input", "target"))
    return loss(reduction, delta)(input, target)


def soft_margin_loss(input, target, reduction="mean"):  # noqa: A002
    """loss = reduce(ln(1 + exp(-target * input))); see ``nn.SoftMarginLoss``.

    >>> from lossviz import Tensor
    >>> print(soft_margin_loss(Tensor([[0.3, 0.7], [0.5, 0.5]]), Tensor([[-1., 1.], [1., -1.]])))
    0.6764238
    """
    loss = _as_function(regression.SoftMarginLoss, "soft_margin_loss", ("input", "target"))
    return loss(reduction)(input, target)


def gaussian_nll_loss(x, target, var, full=False, eps=1e-6, reduction="mean"):
    """loss = reduce(0.5 (ln v + (x - target)^2 / v) [+ 0.5 ln(2 pi)]), v = max(var, eps); see ``nn.GaussianNLLLoss``.

    >>> from lossviz import Tensor
    >>> print(gaussian_nll_loss(Tensor([[0., 1.], [2., 3.]]), Tensor([[2., 3.], [1., 4.]]), Tensor([[1.], [1.]])))
    1.25
    """
    loss = _as_function(probabilistic.GaussianNLLLoss, "gaussian_nll_loss", ("x", "target", "var"))
    return loss(full=full, eps=eps, reduction=reduction)(x, target, var)


def kl_div(logits, labels, reduction="mean"):
    """loss = reduce(labels (ln(labels) - logits)) over labels > 0, 'batchmean' too; see ``nn.KLDivLoss``.

    >>> from lossviz import Tensor
    >>> print(kl_div(Tensor([0.2, 0.7, 0.1]), Tensor([0., 1., 0.])))
    -0.23333333
    """
    loss = _as_function(probabilistic.KLDivLoss, "kl_div", ("logits", "labels"))
    return loss(reduction)(logits, labels)


# ----- sequence losses (appended by the sequence group) -----
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """(loss, log_alpha), as MindSpore's ``ops.ctc_loss``: the CTC loss reduced as ``nn.CTCLoss`` does, and the
    forward variables ``log_alpha`` (N, T, 2S + 1) (ln P(the extended target up to state s in frames 0..t);
    -inf past each sample's frames and states; no gradient).

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> probs = np.array([[[0.6, 0.4]], [[0.5, 0.5]]], np.float32)            # (T, N, C) = (2, 1, 2), blank 0
    >>> loss, log_alpha = ctc_loss(Tensor(np.log(probs)), Tensor(np.array([[1]])), (2,), (1,))
    >>> print(loss)           # -ln(p(1 1) + p(_ 1) + p(1 _)) = -ln(0.2 + 0.3 + 0.2)
    0.35667485
    >>> print(log_alpha.shape)
    (1, 2, 3)
    """
    from ..._engine.tensor import Tensor
    loss = _as_function(sequence.CTCLoss, "ctc_loss", ("log_probs", "targets", "input_lengths", "target_lengths"))
    collected = []
    out = loss(blank, reduction, zero_infinity)._ctc_loss(log_probs, targets, input_lengths, target_lengths,
                                                          log_alpha=collected)
    log_alpha = collected[0] if log_probs.ndim == 3 else collected[0][0]    # unbatched: (T, 2S + 1)
    return out, Tensor(log_alpha)


# ----- multi-label and margin losses (multilabel.py) -----
def multi_margin_loss(input, target, p=1, margin=1, weight=None, reduction="mean"):  # noqa: A002
    """loss = reduce(sum over i != y of w[y] max(0, margin - x[y] + x[i])^p / C); see ``nn.MultiMarginLoss``.

    ``margin`` is an int in MindSpore's signature (a float is accepted too);
    ``weight`` is the call-time weight (it gets a zero gradient, as MindSpore).

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> print(multi_margin_loss(Tensor(np.ones((3, 3), np.float32)), Tensor(np.array([1, 2, 1], np.int64))))
    0.6666667
    """
    if isinstance(margin, int) and not isinstance(margin, bool):
        margin = float(margin)
    loss = _as_function(multilabel.MultiMarginLoss, "multi_margin_loss", ("input", "target", "weight"))
    return loss(p, margin, reduction)(input, target, weight)


def multilabel_margin_loss(input, target, reduction="mean"):  # noqa: A002
    """loss = reduce(sum over targets j, non-targets i of max(0, 1 - (x[j] - x[i])) / C); see ``nn.MultilabelMarginLoss``.

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> x = Tensor(np.array([[0.1, 0.2, 0.4, 0.8], [0.2, 0.3, 0.5, 0.7]], np.float32))
    >>> print(multilabel_margin_loss(x, Tensor(np.array([[1, 2, 0, 3], [2, 3, -1, 1]], np.int32))))
    0.325
    """
    loss = _as_function(multilabel.MultilabelMarginLoss, "multilabel_margin_loss", ("input", "target"))
    return loss(reduction)(input, target)


def multilabel_soft_margin_loss(input, target, weight=None, reduction="mean"):  # noqa: A002
    """loss = reduce(mean over classes of t ln(1 + e^-x) + (1 - t) ln(1 + e^x)); see ``nn.MultiLabelSoftMarginLoss``.

    >>> from lossviz import Tensor
    >>> print(multilabel_soft_margin_loss(Tensor([[0., 2.]]), Tensor([[1., 1.]])))
    0.41003758
    """
    loss = _as_function(multilabel.MultiLabelSoftMarginLoss, "multilabel_soft_margin_loss", ("input", "target"))
    return loss(weight, reduction)(input, target)


# ----- embedding group: margin_ranking_loss, hinge_embedding_loss, triplet_margin_loss -----
def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """loss = reduce(max(0, -target * (input1 - input2) + margin)); see ``nn.MarginRankingLoss``.

    >>> from lossviz import Tensor
    >>> print(margin_ranking_loss(Tensor([1., 2.]), Tensor([2., 1.]), Tensor([1., 1.]), margin=0.5))
    0.75
    """
    loss = _as_function(embedding.MarginRankingLoss, "margin_ranking_loss", ("input1", "input2", "target"))
    return loss(margin, reduction)(input1, input2, target)


def hinge_embedding_loss(inputs, targets, margin=1.0, reduction="mean"):
    """loss = reduce(inputs where targets > 0, max(0, margin - inputs) where targets < 0); see ``nn.HingeEmbeddingLoss``.

    >>> from lossviz import Tensor
    >>> print(hinge_embedding_loss(Tensor([0.3, 0.3]), Tensor([1., -1.]), reduction="none"))
    [0.3 0.7]
    """
    loss = _as_function(embedding.HingeEmbeddingLoss, "hinge_embedding_loss", ("inputs", "targets"))
    return loss(margin, reduction)(inputs, targets)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, reduction="mean"):
    """loss = reduce(max(0, d(anchor, positive) - d(anchor, negative) + margin)), d = ||a - b + eps||_p along axis 1;
    see ``nn.TripletMarginLoss``.

    >>> from lossviz import Tensor
    >>> print(triplet_margin_loss(Tensor([[0., 0.]]), Tensor([[3., 4.]]), Tensor([[6., 8.]]), eps=0.0))
    0.0
    """
    loss = _as_function(embedding.TripletMarginLoss, "triplet_margin_loss", ("anchor", "positive", "negative",
                                                                             "margin"))
    return loss(p, swap, eps, reduction, margin)(anchor, positive, negative)


# ----- cross-entropy family (BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss) -----
def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):  # noqa: A002
    """loss = reduce(weight ((1 - y) x + (1 + (pos_weight - 1) y) softplus(-x))); see ``nn.BCEWithLogitsLoss``.

    >>> from lossviz import Tensor
    >>> print(binary_cross_entropy_with_logits(Tensor([0., 2.]), Tensor([1., 0.])))
    1.4100376
    """
    loss = _as_function(classification.BCEWithLogitsLoss, "binary_cross_entropy_with_logits", ("input", "target"))
    return loss(reduction, weight, pos_weight)(input, target)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):  # noqa: A002
    """Cross-entropy of softmax(input) against class indices or probabilities; see ``nn.CrossEntropyLoss``.

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> print(cross_entropy(Tensor([[2., 1., 0.1]]), Tensor(np.array([0], np.int32))))
    0.41703
    """
    loss = _as_function(classification.CrossEntropyLoss, "cross_entropy", ("input", "target"))
    return loss(weight, ignore_index, reduction, label_smoothing)(input, target)


def nll_loss(inputs, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """loss_n = -weight[t_n] inputs[n, t_n] (label smoothing as in ``cross_entropy``); see ``nn.NLLLoss``.

    >>> import numpy as np
    >>> from lossviz import Tensor
    >>> print(nll_loss(Tensor([[-0.5, -1.0], [-2.0, -0.1]]), Tensor(np.array([0, 1], np.int32))))
    0.3
    """
    loss = _as_function(classification._NLLLossWithSmoothing, "nll_loss", ("inputs", "target"))
    return loss(weight, ignore_index, reduction, label_smoothing)(inputs, target)
