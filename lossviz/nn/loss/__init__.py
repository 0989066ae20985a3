"""Loss functions: ``LossBase`` and the built-in losses, grouped by the job they do.

Every built-in is written the way the tutorial teaches you to write a loss:
the ops are created in ``__init__``, ``construct`` checks its inputs and
computes the loss of each element (or sample), and ``self.get_loss(x)``
(``base.py``) applies the reduction at the end:

    reduction='mean'  ->  a scalar: the sum divided by the number of elements
    reduction='sum'   ->  a scalar: the sum
    reduction='none'  ->  the unreduced loss

Where many small ops would be slow, the per-element loss is one fused
primitive from ``lossviz/ops/fused_losses.py`` (forward and backward side by
side). ``checks.py`` holds the input checks, ``functional.py`` the functional
forms (``ops.l1_loss`` ...), which call these classes.
"""
from . import classification, embedding, multilabel, probabilistic, regression, sampled, segmentation, sequence
from .base import LossBase
from .regression import *  # noqa: F401,F403
from .probabilistic import *  # noqa: F401,F403
from .classification import *  # noqa: F401,F403
from .sampled import *  # noqa: F401,F403
from .multilabel import *  # noqa: F401,F403
from .segmentation import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .sequence import *  # noqa: F401,F403

_GROUPS = (regression, probabilistic, classification, sampled, multilabel, segmentation, embedding, sequence)
__all__ = ["LossBase", *(name for group in _GROUPS for name in group.__all__)]
