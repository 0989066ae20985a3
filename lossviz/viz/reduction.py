"""The reduction toggle: ``'mean'``, ``'sum'`` or ``'none'``, and what each does.

``reduction_text(reduction, loss, rows)`` computes everything the widget
shows, as plain text, with lossviz itself: the tutorial's two tensors
(``input_data`` and ``target_data``, tiled to ``rows`` rows), the loss value,
the per-element losses for ``'none'``, and the gradient that reaches the
prediction. ``ReductionToggle`` only wires widgets to that function, so the
text can be tested without a browser.

What the gradient shows: with ``'mean'`` every element's gradient is its slope
divided by the number of elements, so a bigger batch gives each element a
smaller share; with ``'sum'`` each element keeps its full slope and the total
grows with the batch. ``'none'`` returns a tensor; ``Model`` (like
``lossviz.grad``) then back-propagates the sum of its elements, so the
gradient is the same as with ``'sum'``.

The loss may also be given as a class, of ``lossviz.nn`` or of ``mindspore.nn``
(``reduction_text('sum', loss=mindspore.nn.L1Loss)``): a MindSpore class is
computed by MindSpore (``Framework``: its ``nn``, ``Tensor`` and
``value_and_grad``), so the same widget shows what MindSpore does.
"""
from typing import Any, NamedTuple

import numpy as np

from .. import nn, ops
from .._engine.grad_api import value_and_grad
from .._engine.tensor import Tensor
from ._widgets import WidgetPanel, ipywidgets, pre


class Framework(NamedTuple):
    """What the widgets compute with: lossviz (``LOSSVIZ``) or MindSpore (``lossviz.viz.mindspore.FRAMEWORK``)."""
    prefix: str          # how the widgets' text names its losses: 'nn' or 'mindspore.nn'
    nn: Any
    ops: Any
    Tensor: Any
    value_and_grad: Any


LOSSVIZ = Framework("nn", nn, ops, Tensor, value_and_grad)


def framework_of(loss, names, where):
    """``(name, Framework)`` of a loss given by name (lossviz) or as a loss class of lossviz.nn or mindspore.nn."""
    if isinstance(loss, type):
        roots = {cls.__module__.split(".")[0] for cls in loss.__mro__}
        if loss.__name__ in names and "mindspore" in roots:
            from .mindspore import FRAMEWORK  # MindSpore is imported only when a MindSpore loss is given

            return loss.__name__, FRAMEWORK
        if loss.__name__ in names and "lossviz" in roots:
            return loss.__name__, LOSSVIZ
    elif loss in names:
        return loss, LOSSVIZ
    raise ValueError(f"For '{where}', the 'loss' must be in {list(names)}, or a loss class of that name from "
                     f"lossviz.nn or mindspore.nn, but got {loss!r}.")

REDUCTIONS = ("mean", "sum", "none")
REGRESSION_LOSSES = ("L1Loss", "MSELoss", "SmoothL1Loss")

# The tutorial's example (cell [1]).
TUTORIAL_INPUT = np.array([[1, 2, 3], [2, 3, 4]], np.float32)
TUTORIAL_TARGET = np.array([[0, 2, 5], [3, 1, 1]], np.float32)


def tutorial_batch(rows=2, tensor=Tensor):
    """The tutorial's ``input_data``/``target_data``, rows repeated to ``rows`` rows."""
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 1:
        raise ValueError(f"For 'tutorial_batch', the 'rows' must be an int >= 1, but got {rows!r}.")
    index = np.arange(rows) % len(TUTORIAL_INPUT)
    return tensor(TUTORIAL_INPUT[index]), tensor(TUTORIAL_TARGET[index])


def make_loss(loss, reduction):
    """``nn.<loss>(reduction=reduction)`` for one of the regression losses (a name, or a class)."""
    name, framework = framework_of(loss, REGRESSION_LOSSES, "ReductionToggle")
    return getattr(framework.nn, name)(reduction=reduction)


def reduction_grad(loss, reduction, rows=2):
    """``(loss value, d loss / d input_data)`` as numpy arrays, computed by lossviz (or MindSpore, for its class)."""
    name, framework = framework_of(loss, REGRESSION_LOSSES, "ReductionToggle")
    input_data, target_data = tutorial_batch(rows, framework.Tensor)
    cell = getattr(framework.nn, name)(reduction=reduction)
    value, grad = framework.value_and_grad(lambda logits: cell(logits, target_data))(input_data)
    return value.asnumpy(), grad.asnumpy()


def _num(x):
    return f"{float(x):.6g}"


def reduction_text(reduction="mean", loss="L1Loss", rows=2):
    """Everything the reduction toggle shows, as plain text.

    >>> print(reduction_text('sum').splitlines()[1])
    loss = 9.0
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"For 'ReductionToggle', the 'reduction' must be in {list(REDUCTIONS)}, "
                         f"but got {reduction!r}.")
    name, framework = framework_of(loss, REGRESSION_LOSSES, "ReductionToggle")
    value, grad = reduction_grad(loss, reduction, rows)
    n = value.size if reduction == "none" else grad.size
    lines = [f"{framework.prefix}.{name}(reduction='{reduction}') on {rows} row(s) x 3 columns "
             f"({grad.size} elements)"]
    if reduction == "none":
        lines += ["loss = one value per element:", str(value)]
    else:
        lines.append("loss = " + str(value))
    lines += ["", "gradient reaching the prediction (d loss / d input_data):", str(grad), ""]
    lines.append("how each reduction scales it (largest |gradient| of one element; sum of all |gradients|):")
    for other in REDUCTIONS:
        _, g = reduction_grad(loss, other, rows)
        note = {"mean": f"slope / {n} elements: more rows, smaller share each",
                "sum": "full slope per element: the total grows with the rows",
                "none": "Model back-propagates the sum of the elements, as for 'sum'"}[other]
        mark = ">" if other == reduction else " "
        lines.append(f"{mark} {other:<5} {_num(np.abs(g).max()):>10} {_num(np.abs(g).sum()):>8}   {note}")
    return "\n".join(lines)


class ReductionToggle(WidgetPanel):
    """Widgets: a ``ToggleButtons`` 'Reduction' (mean/sum/none), a loss menu,
    a batch-size slider and an HTML result computed by ``reduction_text``.

    ``loss`` is a name or a class; with ``mindspore.nn.L1Loss`` every loss of
    the menu is MindSpore's.

    >>> panel = ReductionToggle()
    >>> panel.toggle.value = 'sum'
    >>> 'loss = 9.0' in panel.text
    True
    """

    def __init__(self, loss="L1Loss", reduction="mean", rows=2):
        w = ipywidgets()
        name, self.framework = framework_of(loss, REGRESSION_LOSSES, "ReductionToggle")
        self.toggle = w.ToggleButtons(options=list(REDUCTIONS), value=reduction, description="Reduction")
        self.loss = w.Dropdown(options=list(REGRESSION_LOSSES), value=name, description="Loss")
        self.rows = w.IntSlider(value=rows, min=1, max=16, description="Batch rows")
        self.result = w.HTML()
        for control in (self.toggle, self.loss, self.rows):
            control.observe(self._on_change, names="value")
        self.widget = w.VBox([self.loss, self.toggle, self.rows, self.result])
        self._on_change()

    def _on_change(self, change=None):
        # Handlers only set widget values; nothing is printed into the cell.
        loss = getattr(self.framework.nn, self.loss.value)  # a class: lossviz's or MindSpore's
        self.text = reduction_text(self.toggle.value, loss, self.rows.value)
        self.result.value = pre(self.text)
