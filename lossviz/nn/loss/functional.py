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
