"""The loss explorer: each built-in loss, and its gradient, as a curve.

``loss_curves(name, beta=1.0, margin=0.0, weight=1.0)`` evaluates one loss of
``lossviz.nn`` on a grid of points with ``reduction='none'`` and gets each
point's gradient from lossviz's own autodiff (points are independent, so the
gradient of the sum is the gradient of each point). The x axis is what the
loss is a function of:

* ``L1Loss``, ``MSELoss``, ``SmoothL1Loss``: the error ``d = prediction - label``;
* ``BCELoss``: the logit ``z`` of a prediction ``p = sigmoid(z)``, for label 1 and label 0;
* ``SoftmaxCrossEntropyWithLogits``: the true class's logit, the two other classes at 0;
* ``SampledSoftmaxLoss``: the true class's logit, the 4 sampled classes at 0;
* ``CosineEmbeddingLoss``: the cosine between the two inputs, for label 1 and label -1.

``explorer_text`` tabulates the curves at a few points (what nbval compares),
``draw_explorer`` draws them, ``LossExplorer`` wires a menu and sliders to both.
"""
import numpy as np

from .. import nn, ops
from .._engine.grad_api import value_and_grad
from .._engine.tensor import Tensor
from ._widgets import WidgetPanel, ipywidgets, pre

LOSSES = ("L1Loss", "MSELoss", "SmoothL1Loss", "BCELoss", "SoftmaxCrossEntropyWithLogits",
          "SampledSoftmaxLoss", "CosineEmbeddingLoss")
# The parameter each loss lets you move (the widget shows only that slider).
PARAMETERS = {"SmoothL1Loss": "beta", "BCELoss": "weight", "CosineEmbeddingLoss": "margin"}
_REGRESSION = ("L1Loss", "MSELoss", "SmoothL1Loss")


def _per_point(fn, x):
    """Losses and d loss / d x of ``fn`` at every point of the grid ``x``."""
    value, grad = value_and_grad(fn)(Tensor(x.astype(np.float32)))
    return value.asnumpy().astype(np.float64), grad.asnumpy().astype(np.float64)


def _regression(name, beta):
    def make():
        if name == "SmoothL1Loss":
            return nn.SmoothL1Loss(beta=beta, reduction="none")
        return getattr(nn, name)(reduction="none")
    cell = make()
    return lambda d: cell(d, ops.zeros_like(d))


def _bce(label, weight):
    def fn(z):
        n = z.shape[0]
        cell = nn.BCELoss(weight=Tensor(np.full(n, weight, np.float32)), reduction="none")
        return cell(ops.sigmoid(z), Tensor(np.full(n, label, np.float32)))
    return fn


def _softmax_ce(z):
    n = z.shape[0]
    logits = ops.concat([ops.expand_dims(z, 1), Tensor(np.zeros((n, 2), np.float32))], axis=1)
    cell = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="none")
    return cell(logits, Tensor(np.zeros(n, np.int32)))


def _sampled_softmax(z, num_sampled=4, num_classes=10):
    # Class 0 is the true class; its embedding is 1 and every other is 0, so the
    # hidden activation z *is* the true logit and the sampled logits are 0.
    n = z.shape[0]
    weights = np.zeros((num_classes, 1), np.float32)
    weights[0] = 1.0
    sampled = (Tensor(np.arange(1, num_sampled + 1, dtype=np.int32)), Tensor(np.ones((n, 1), np.float32)),
               Tensor(np.ones(num_sampled, np.float32)))
    cell = nn.SampledSoftmaxLoss(num_sampled=num_sampled, num_classes=num_classes, sampled_values=sampled,
                                 remove_accidental_hits=False, reduction="none")
    return cell(Tensor(weights), Tensor(np.zeros(num_classes, np.float32)), Tensor(np.zeros(n, np.int32)),
                ops.expand_dims(z, 1))


def _cosine(label, margin):
    # x1 = (1, 0) and x2 = (c, sqrt(1 - c^2)) are unit vectors whose cosine is c.
    def fn(c):
        n = c.shape[0]
        x2 = ops.concat([ops.expand_dims(c, 1), ops.expand_dims(ops.sqrt(1.0 - c * c), 1)], axis=1)
        x1 = Tensor(np.tile(np.array([[1.0, 0.0]], np.float32), (n, 1)))
        cell = nn.CosineEmbeddingLoss(margin=float(margin), reduction="none")
        return cell(x1, x2, Tensor(np.full(n, label, np.int32)))
    return fn


def loss_curves(name, beta=1.0, margin=0.0, weight=1.0, points=201):
    """Loss and gradient of one built-in loss along its natural axis.

    Returns a dict: ``x``, ``xlabel``, ``title`` and ``series``, a list of
    ``(label, loss values, gradient values)``.
    """
    if name not in LOSSES:
        raise ValueError(f"For 'LossExplorer', the 'loss' must be in {list(LOSSES)}, but got {name!r}.")
    if name in _REGRESSION:
        x = np.linspace(-3.0, 3.0, points)
        title = f"nn.SmoothL1Loss(beta={beta:g})" if name == "SmoothL1Loss" else f"nn.{name}()"
        series = [("loss", *_per_point(_regression(name, beta), x))]
        return dict(x=x, xlabel="error d = prediction - label", title=title, series=series)
    if name == "BCELoss":
        x = np.linspace(-6.0, 6.0, points)
        series = [(f"label {y}", *_per_point(_bce(y, weight), x)) for y in (1, 0)]
        return dict(x=x, xlabel="logit z, prediction p = sigmoid(z)", title=f"nn.BCELoss(weight={weight:g})",
                    series=series)
    if name == "SoftmaxCrossEntropyWithLogits":
        x = np.linspace(-6.0, 6.0, points)
        return dict(x=x, xlabel="logit of the true class (2 other classes at 0)",
                    title="nn.SoftmaxCrossEntropyWithLogits(sparse=True)",
                    series=[("loss", *_per_point(_softmax_ce, x))])
    if name == "SampledSoftmaxLoss":
        x = np.linspace(-6.0, 6.0, points)
        return dict(x=x, xlabel="logit of the true class (4 sampled classes at 0)",
                    title="nn.SampledSoftmaxLoss(num_sampled=4, num_classes=10)",
                    series=[("loss", *_per_point(_sampled_softmax, x))])
    x = np.linspace(-0.99, 0.99, points)
    series = [(f"label {y}", *_per_point(_cosine(y, margin), x)) for y in (1, -1)]
    return dict(x=x, xlabel="cosine of the two inputs", title=f"nn.CosineEmbeddingLoss(margin={margin:g})",
                series=series)


def explorer_text(curves, at=5):
    """A small table of the curves at ``at`` evenly spaced points."""
    x = curves["x"]
    index = np.linspace(0, len(x) - 1, at).round().astype(int)
    lines = [curves["title"] + ": loss and gradient against the " + curves["xlabel"].split(",")[0].split(" (")[0]]
    names = [("loss", "grad")] if len(curves["series"]) == 1 else [
        (f"{label} loss", f"{label} grad") for label, _, _ in curves["series"]]
    header = f"{'x':>7}" + "".join(f"  {loss:>14} {grad:>14}" for loss, grad in names)
    lines.append(header)
    for i in index:
        row = f"{round(x[i], 3) + 0.0:7.3f}" + "".join(f"  {loss[i]:14.4f} {grad[i]:14.4f}"
                                                       for _, loss, grad in curves["series"])
        lines.append(row.replace("-0.0000", " 0.0000"))  # no "-0" in a table
    return "\n".join(lines)


def draw_explorer(fig, curves):
    """Loss (left) and gradient (right) panels of ``curves`` into ``fig``."""
    fig.clf()
    ax_loss, ax_grad = fig.subplots(1, 2)
    styles = ("-", "--")
    for (label, loss, grad), ls in zip(curves["series"], styles):
        ax_loss.plot(curves["x"], loss, ls=ls, lw=2, label=label)
        ax_grad.plot(curves["x"], grad, ls=ls, lw=2, label=label)
    for ax, what in ((ax_loss, "loss"), (ax_grad, "gradient d loss / d x")):
        ax.set_xlabel(curves["xlabel"], fontsize=9)
        ax.set_title(what, fontsize=10)
        ax.grid(alpha=0.3)
        ax.axhline(0, color="k", lw=0.6)
        ax.axvline(0, color="k", lw=0.6)
        ax.tick_params(labelsize=8)
        if len(curves["series"]) > 1:
            ax.legend(fontsize=8, frameon=False)
    fig.suptitle(curves["title"], fontsize=11)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.17, top=0.82, wspace=0.22)
    return fig


class LossExplorer(WidgetPanel):
    """Widgets: pick a loss, move its parameter, see loss and gradient curves.

    Sliders: ``beta`` (SmoothL1Loss), ``margin`` (CosineEmbeddingLoss) and
    ``weight`` (BCELoss); each is enabled only for its loss. The plot is an
    ``ipywidgets.Image`` and the table an HTML widget, both set by the handler.

    >>> explorer = LossExplorer()
    >>> explorer.loss.value = 'SmoothL1Loss'
    >>> explorer.beta.value = 2.0
    >>> explorer.text.splitlines()[0]
    'nn.SmoothL1Loss(beta=2): loss and gradient against the error d = prediction - label'
    """

    def __init__(self, loss="SmoothL1Loss", beta=1.0, margin=0.0, weight=1.0):
        w = ipywidgets()
        from .render import figure_png, new_figure

        self._png = figure_png
        self.fig = new_figure(figsize=(8.0, 2.9), dpi=80)
        self.loss = w.Dropdown(options=list(LOSSES), value=loss, description="Loss",
                               layout=w.Layout(width="420px"))
        self.beta = w.FloatSlider(value=beta, min=0.1, max=3.0, step=0.1, description="beta")
        self.margin = w.FloatSlider(value=margin, min=-1.0, max=1.0, step=0.1, description="margin")
        self.weight = w.FloatSlider(value=weight, min=0.0, max=3.0, step=0.1, description="weight")
        self.image = w.Image(format="png")
        self.table = w.HTML()
        for control in (self.loss, self.beta, self.margin, self.weight):
            control.observe(self._on_change, names="value")
        self.widget = w.VBox([self.loss, w.HBox([self.beta, self.margin, self.weight]), self.image, self.table])
        self._on_change()

    def curves(self):
        return loss_curves(self.loss.value, beta=self.beta.value, margin=float(self.margin.value),
                           weight=self.weight.value)

    def _on_change(self, change=None):
        for name, slider in (("beta", self.beta), ("margin", self.margin), ("weight", self.weight)):
            slider.disabled = PARAMETERS.get(self.loss.value) != name
        curves = self.curves()
        self.text = explorer_text(curves)
        self.table.value = pre(self.text)
        self.image.value = self._png(draw_explorer(self.fig, curves))
