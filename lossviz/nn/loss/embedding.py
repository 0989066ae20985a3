"""Embedding losses: are two vectors alike?"""
from ... import ops
from ...ops import fused_losses
from .base import LossBase
from .checks import check_cosine_embedding, check_margin

__all__ = ["CosineEmbeddingLoss"]

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

    >>> nn.CosineEmbeddingLoss()(Tensor([[1., 0.]]), Tensor([[0., 1.]]), Tensor([1]))   # 1.0
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
