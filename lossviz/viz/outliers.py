"""L1 vs MSE vs SmoothL1 on data with outliers, trained side by side.

``make_linear_data`` draws the tutorial's line ``y = 2x + 3 + noise`` and
shifts a fraction of the labels far up (the outliers). ``compare_losses``
trains the tutorial's one-neuron network once per loss, with the tutorial's
``Model``, ``Momentum`` and batch size, the same start and the same batches,
and returns each fitted line and loss curve. The learning rate is 0.002, not
the tutorial's 0.005: with ``x`` up to 10, MSE's steps at 0.005 are so large
that the weights keep oscillating around the fit instead of settling. Nothing here touches the global
random state: the data come from their own generator and the start is fixed,
so moving the widget's slider does not change later cells' random numbers.

What to expect: MSE's gradient grows with the error, so a few far points pull
the fitted line up by about ``fraction * shift``; L1's gradient is a sign and
ignores how far the outliers are; SmoothL1 is MSE near the line and L1 beyond
``beta``, so it stays close to L1.
"""
import numpy as np

from .. import nn
from .._engine.checks import check_float, check_int
from .._engine.tensor import Tensor
from ._widgets import WidgetPanel, ipywidgets, pre

COMPARED = ("L1Loss", "MSELoss", "SmoothL1Loss")


def make_linear_data(num=160, outlier_fraction=0.1, shift=25.0, w=2.0, b=3.0, seed=7):
    """``(x, y, is_outlier)``, float32 columns of shape ``(num, 1)``.

    >>> x, y, is_outlier = make_linear_data(num=10, outlier_fraction=0.2)
    >>> x.shape, y.dtype, int(is_outlier.sum())
    ((10, 1), dtype('float32'), 2)
    """
    name = "make_linear_data"
    num = check_int(name, "num", num, minimum=1)
    for arg, value in (("outlier_fraction", outlier_fraction), ("shift", shift), ("w", w), ("b", b)):
        check_float(name, arg, value)
    if not 0.0 <= outlier_fraction <= 1.0:
        raise ValueError(f"For '{name}', the 'outlier_fraction' must be in [0, 1], but got {outlier_fraction!r}.")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-10.0, 10.0, size=(num, 1))
    y = x * w + b + rng.normal(0.0, 1.0, size=(num, 1))
    is_outlier = np.zeros(num, bool)
    is_outlier[rng.permutation(num)[: int(round(outlier_fraction * num))]] = True
    y[is_outlier] += shift
    return x.astype(np.float32), y.astype(np.float32), is_outlier


def fit_line(loss, x, y, epochs=30, batch_size=16, learning_rate=0.002, momentum=0.9):
    """Train ``Dense(1, 1)`` on ``(x, y)`` with ``loss``; return ``(w, b, mean loss of each epoch)``."""
    from .. import Model, dataset
    from ..train.callback import LossRecorder

    net = nn.Dense(1, 1, Tensor(np.array([[0.01]], np.float32)), Tensor(np.array([-0.02], np.float32)))
    opt = nn.Momentum(net.trainable_params(), learning_rate=learning_rate, momentum=momentum)
    ds_train = dataset.GeneratorDataset(list(zip(x, y)), column_names=["data", "label"], shuffle=False)
    recorder = LossRecorder()
    Model(net, loss, opt).train(epochs, ds_train.batch(batch_size), callbacks=[recorder], dataset_sink_mode=False)
    return float(net.weight.asnumpy().ravel()[0]), float(net.bias.asnumpy().ravel()[0]), [v for _, v in recorder.epochs]


def compare_losses(outlier_fraction=0.1, shift=25.0, epochs=30, num=160, seed=7):
    """Fit the same data with L1Loss, MSELoss and SmoothL1Loss (reduction 'mean')."""
    check_int("compare_losses", "epochs", epochs, minimum=1)
    x, y, is_outlier = make_linear_data(num, outlier_fraction, shift, seed=seed)
    fits = {}
    for name in COMPARED:
        loss = getattr(nn, name)(reduction="mean")
        fits[name] = fit_line(loss, x, y, epochs=epochs)
    return dict(x=x, y=y, is_outlier=is_outlier, shift=shift, epochs=epochs, fits=fits)


def comparison_text(result):
    n, k = len(result["x"]), int(result["is_outlier"].sum())
    lines = [f"{k} of {n} labels are outliers ({100.0 * k / n:.0f}%), each moved up by {result['shift']:g}; "
             f"{result['epochs']} epochs of Momentum(learning_rate=0.002, momentum=0.9). True line: w = 2, b = 3.",
             f"{'loss':<14}{'w':>8}{'b':>8}{'last epoch loss':>17}"]
    for name, (w, b, losses) in result["fits"].items():
        lines.append(f"{name:<14}{w:8.3f}{b:8.3f}{losses[-1]:17.4f}")
    return "\n".join(lines)


def draw_comparison(fig, result):
    """Left: each loss's curve (epoch means, relative to the first). Right: the fitted lines."""
    fig.clf()
    ax_curve, ax_fit = fig.subplots(1, 2)
    x, y, out = result["x"].ravel(), result["y"].ravel(), result["is_outlier"]
    ax_fit.scatter(x[~out], y[~out], s=8, color="0.6", label="data")
    if out.any():
        ax_fit.scatter(x[out], y[out], s=14, color="#d62728", marker="x", label="outliers")
    grid = np.array([-10.0, 10.0])
    ax_fit.plot(grid, 2 * grid + 3, color="k", ls=":", lw=1.5, label="true line")
    for (name, (w, b, losses)), color in zip(result["fits"].items(), ("#1f77b4", "#ff7f0e", "#2ca02c")):
        ax_curve.plot(np.arange(1, len(losses) + 1), np.asarray(losses) / losses[0], color=color, lw=1.5, label=name)
        ax_fit.plot(grid, w * grid + b, color=color, lw=2, label=f"{name}: {w:.2f}x + {b:.2f}")
    ax_curve.set_title("mean loss per epoch / first epoch's", fontsize=10)
    ax_curve.set_xlabel("epoch", fontsize=9)
    ax_fit.set_title("fitted lines", fontsize=10)
    ax_fit.set_xlabel("x", fontsize=9)
    ax_curve.set_ylim(0, 1.05)
    ax_curve.legend(fontsize=7, frameon=False)
    span = float(y.max() - y.min())
    ax_fit.set_ylim(float(y.min()) - 0.05 * span, float(y.max()) + 0.6 * span)  # room for the legend
    ax_fit.legend(fontsize=7, frameon=False, loc="upper left", ncol=2)
    for ax in (ax_curve, ax_fit):
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.2)
    return fig


class OutlierComparison(WidgetPanel):
    """A slider 'Outliers' (fraction of shifted labels); each move retrains the three fits."""

    def __init__(self, outlier_fraction=0.1, shift=25.0, epochs=30):
        w = ipywidgets()
        from .render import figure_png, new_figure

        self._png = figure_png
        self.shift, self.epochs = shift, epochs
        self.fig = new_figure(figsize=(8.5, 3.0), dpi=80)
        self.fraction = w.FloatSlider(value=outlier_fraction, min=0.0, max=0.3, step=0.05, description="Outliers",
                                      readout_format=".0%", continuous_update=False)
        self.image = w.Image(format="png")
        self.table = w.HTML()
        self.fraction.observe(self._on_change, names="value")
        self.widget = w.VBox([self.fraction, self.image, self.table])
        self._on_change()

    def _on_change(self, change=None):
        self.result = compare_losses(self.fraction.value, self.shift, self.epochs)
        self.text = comparison_text(self.result)
        self.table.value = pre(self.text)
        self.image.value = self._png(draw_comparison(self.fig, self.result))
