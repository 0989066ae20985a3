"""Regression losses: how far a prediction is from a number."""
from ...ops import fused_losses
from .base import LossBase
from .checks import check_beta, check_regression, check_smooth_l1

__all__ = ["L1Loss", "MSELoss", "SmoothL1Loss"]


class L1Loss(LossBase):
    """Mean absolute error:  loss = reduce(|logits - labels|).

    Shapes broadcast. 'none' returns the broadcast shape, 'mean'/'sum' a scalar.
    Default reduction='mean'. The gradient is sign(logits - labels) (0 on ties).

    >>> nn.L1Loss()(Tensor([[1., 2., 3.], [2., 3., 4.]]), Tensor([[0., 2., 5.], [3., 1., 1.]]))   # 1.5
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.absolute_error = fused_losses.AbsoluteError()

    def construct(self, logits, labels):
        check_regression(self.cls_name, logits, labels, self.input_names)
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
        self.squared_error = fused_losses.SquaredError()

    def construct(self, logits, labels):
        check_regression(self.cls_name, logits, labels, self.input_names)
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
        self.smooth_l1 = fused_losses.SmoothL1Loss(self.beta)

    def construct(self, logits, labels):
        check_smooth_l1(self.cls_name, logits, labels, self.beta, self.input_names)
        x = self.smooth_l1(logits, labels)
        return self.get_loss(x)

    def extend_repr(self):
        return f"beta={self.beta}, reduction={self.reduction}"
