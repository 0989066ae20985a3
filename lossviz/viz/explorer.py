"""The loss explorer: each built-in loss, and its gradient, as a curve.

Every loss of ``lossviz.nn`` has a one-dimensional view: one number ``x`` that
the loss depends on while everything else is held fixed (the error, the
logit of the true class, a distance, a predicted probability...). ``VIEWS``
is the table of these views, one entry per loss:

* ``xlabel`` and ``x``: what the x axis is and its range (each may depend on
  the parameters, e.g. ``PoissonNLLLoss``'s ``log_input``);
* ``series``: one curve or two (``label 1`` and ``label 0``...), each a
  function ``build(fw, p, x)`` that makes the loss's inputs from the grid
  tensor ``x`` and the parameter values ``p`` and returns one loss per point;
* ``params``: the parameters that shape the curve, each a ``Param`` (default,
  range, step; ``ctor=True`` when it is a constructor argument of the loss,
  shown in the title); the widget gives each one a slider.

Adding a loss is one entry. ``loss_curves(name, points=201, **params)``
evaluates a view on a grid with ``reduction='none'`` and gets each point's
gradient d loss / d x from lossviz's own autodiff (points are independent, so
the gradient of the sum is each point's gradient). A loss that always returns
one number (``RMSELoss``, ``DiceLoss``, ``MultiClassDiceLoss``) is evaluated
point by point. ``explorer_text`` tabulates the curves at a few points (what
nbval compares), ``draw_explorer`` draws them, ``LossExplorer`` wires a menu and
the current loss's sliders to both.

A loss may also be given as a class of ``lossviz.nn`` or ``mindspore.nn``
(``loss_curves(mindspore.nn.SmoothL1Loss)``): a MindSpore class is computed by
MindSpore (see ``reduction.Framework``); the builders use only the ``ops`` both
have.

>>> c = loss_curves("HuberLoss", points=5, delta=0.5)
>>> c["title"], c["x"].tolist()
('nn.HuberLoss(delta=0.5)', [-3.0, -1.5, 0.0, 1.5, 3.0])
>>> c["series"][0][2].tolist()           # the gradient: clip(d, -delta, delta)
[-0.5, -0.5, 0.0, 0.5, 0.5]
"""
import math
from typing import Any, Callable, NamedTuple

import numpy as np

from ._widgets import WidgetPanel, ipywidgets, pre
from .reduction import framework_of


class Param(NamedTuple):
    """A parameter that shapes a view: its default, its range and its slider."""
    default: Any
    low: Any = None
    high: Any = None
    step: Any = None
    kind: str = "float"   # 'float', 'log' (a log-scale slider), 'int', 'bool' or 'choice'
    ctor: bool = True     # a constructor argument of the loss (shown in its title); else an input held fixed
    options: tuple = ()   # for 'choice'


class View(NamedTuple):
    """A loss as a function of one number: the x axis, the curves, the parameters."""
    xlabel: Any            # a str, or a function of the parameters
    x: Any                 # (low, high), or a function of the parameters
    series: tuple          # ((label, build(fw, p, x) -> one loss per point), ...)
    params: dict = {}
    args: str = ""         # constructor arguments fixed by the view, shown first in the title
    pointwise: bool = True  # False: the loss returns one number for all its input (evaluated point by point)


# -- building the inputs ---------------------------------------------------------------------------
def _full(fw, x, value, dtype=np.float32, shape=()):
    """A constant Tensor with one row per point of the grid ``x``."""
    return fw.Tensor(np.full((x.shape[0],) + shape, value, dtype))


def _rows(fw, x, *columns):
    """(n, k) rows from columns that are grid tensors (n,) or numbers."""
    cols = [fw.ops.expand_dims(c, 1) if not isinstance(c, (int, float)) else _full(fw, x, c, shape=(1,))
            for c in columns]
    return fw.ops.concat(cols, axis=1)


def _error(name, **fixed):
    """Regression losses: the prediction is x, the label 0, so x is the error."""
    def build(fw, p, d):
        kwargs = {k: p[k] for k in p if k in ("beta", "delta")}
        cell = getattr(fw.nn, name)(**fixed, **kwargs)
        return cell(d, fw.ops.zeros_like(d))
    return build


def _bce(label):
    def build(fw, p, z):
        cell = fw.nn.BCELoss(weight=_full(fw, z, p["weight"]), reduction="none")
        return cell(fw.ops.sigmoid(z), _full(fw, z, label))
    return build


def _bce_logits(label):
    def build(fw, p, z):
        cell = fw.nn.BCEWithLogitsLoss("none", pos_weight=fw.Tensor(np.full(1, p["pos_weight"], np.float32)))
        return cell(z, _full(fw, z, label))
    return build


def _softmax_ce(fw, p, z):
    logits = fw.ops.concat([fw.ops.expand_dims(z, 1), _full(fw, z, 0.0, shape=(2,))], axis=1)
    return fw.nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="none")(logits, _full(fw, z, 0, np.int32))


def _cross_entropy(fw, p, z):
    cell = fw.nn.CrossEntropyLoss(reduction="none", label_smoothing=p["label_smoothing"])
    return cell(_rows(fw, z, z, 0.0, 0.0), _full(fw, z, 0, np.int32))


def _nll(fw, p, q):
    log_probs = _rows(fw, q, fw.ops.log(q), fw.ops.log(1.0 - q))
    return fw.nn.NLLLoss(reduction="none")(log_probs, _full(fw, q, 0, np.int32))


def _focal(fw, p, z):
    cell = fw.nn.FocalLoss(gamma=p["gamma"], reduction="none")
    return cell(_rows(fw, z, z, 0.0, 0.0), _full(fw, z, 0, np.int32, shape=(1,)))


def _sampled_softmax(fw, p, z, num_sampled=4, num_classes=10):
    # Class 0 is the true class; its embedding is 1 and every other is 0, so the
    # hidden activation z *is* the true logit and the sampled logits are 0.
    n, T = z.shape[0], fw.Tensor
    weights = np.zeros((num_classes, 1), np.float32)
    weights[0] = 1.0
    sampled = (T(np.arange(1, num_sampled + 1, dtype=np.int32)), T(np.ones((n, 1), np.float32)),
               T(np.ones(num_sampled, np.float32)))
    cell = fw.nn.SampledSoftmaxLoss(num_sampled=num_sampled, num_classes=num_classes, sampled_values=sampled,
                                    remove_accidental_hits=False, reduction="none")
    return cell(T(weights), T(np.zeros(num_classes, np.float32)), T(np.zeros(n, np.int32)), fw.ops.expand_dims(z, 1))


def _soft_margin(label):
    return lambda fw, p, z: fw.nn.SoftMarginLoss(reduction="none")(z, _full(fw, z, label))


def _multilabel_soft_margin(label):
    def build(fw, p, z):
        cell = fw.nn.MultiLabelSoftMarginLoss(reduction="none")
        return cell(fw.ops.expand_dims(z, 1), _full(fw, z, label, shape=(1,)))
    return build


def _multilabel_margin(fw, p, z):
    target = fw.Tensor(np.tile(np.array([[0, -1]], np.int32), (z.shape[0], 1)))
    return fw.nn.MultilabelMarginLoss(reduction="none")(_rows(fw, z, z, 0.0), target)


def _multi_margin(fw, p, z):
    cell = fw.nn.MultiMarginLoss(p=p["p"], margin=p["margin"], reduction="none")
    return cell(_rows(fw, z, z, 0.0), _full(fw, z, 0, np.int64))


def _margin_ranking(target):
    def build(fw, p, d):
        cell = fw.nn.MarginRankingLoss(margin=p["margin"], reduction="none")
        return cell(d, fw.ops.zeros_like(d), _full(fw, d, target))
    return build


def _hinge_embedding(label):
    return lambda fw, p, x: fw.nn.HingeEmbeddingLoss(margin=p["margin"], reduction="none")(x, _full(fw, x, label))


def _cosine(label):
    # x1 = (1, 0) and x2 = (c, sqrt(1 - c^2)) are unit vectors whose cosine is c.
    def build(fw, p, c):
        x2 = _rows(fw, c, c, fw.ops.sqrt(1.0 - c * c))
        x1 = fw.Tensor(np.tile(np.array([[1.0, 0.0]], np.float32), (c.shape[0], 1)))
        cell = fw.nn.CosineEmbeddingLoss(margin=float(p["margin"]), reduction="none")
        return cell(x1, x2, _full(fw, c, label, np.int32))
    return build


def _triplet(name):
    # One dimension: the anchor at 0, the positive at +positive_distance, the negative at -x.
    def build(fw, p, x):
        anchor, positive = _full(fw, x, 0.0, shape=(1,)), _full(fw, x, p["positive_distance"], shape=(1,))
        cell = getattr(fw.nn, name)(margin=p["margin"], reduction="none")
        return cell(anchor, positive, -fw.ops.expand_dims(x, 1))
    return build


def _gaussian_nll(fw, p, v):
    cell = fw.nn.GaussianNLLLoss(full=p["full"], eps=p["eps"], reduction="none")
    return cell(_full(fw, v, p["error"]), fw.ops.zeros_like(v), v)


def _poisson_nll(fw, p, x):
    cell = fw.nn.PoissonNLLLoss(log_input=p["log_input"], full=p["full"], eps=p["eps"], reduction="none")
    return cell(x, _full(fw, x, p["target"]))


def _kl_div(fw, p, q):
    # Two outcomes: predicted (q, 1 - q) as log-probabilities, target (t, 1 - t).
    t = p["target"]
    loss = fw.nn.KLDivLoss(reduction="none")(_rows(fw, q, fw.ops.log(q), fw.ops.log(1.0 - q)),
                                             _rows(fw, q, float(t), float(1.0 - t)))
    return fw.ops.sum(loss, 1)


def _dice(background):
    # One call per point: the foreground pixel predicted x (label 1), or, with background=True,
    # the foreground pixel predicted 1 and a background pixel (label 0) predicted x.
    def build(fw, p, x):
        cell = fw.nn.DiceLoss(smooth=p["smooth"])
        if background:
            return cell(fw.ops.concat([_full(fw, x, 1.0), x]), fw.Tensor(np.array([1.0, 0.0], np.float32)))
        return cell(x, fw.Tensor(np.ones(1, np.float32)))
    return build


def _multiclass_dice(fw, p, z):
    cell = fw.nn.MultiClassDiceLoss(activation=p["activation"])
    return cell(_rows(fw, z, z, 0.0), fw.Tensor(np.array([[1.0, 0.0]], np.float32)))


def _ctc(fw, p, z):
    # Classes: 0 the blank, 1 the target's one symbol (logit z), 2 another symbol; every frame alike.
    n, frames = z.shape[0], p["frames"]
    row = fw.ops.expand_dims(_rows(fw, z, 0.0, z, 0.0), 0)
    log_probs = fw.ops.log_softmax(fw.ops.concat([row] * frames, axis=0), -1)   # (T, n, 3)
    cell = fw.nn.CTCLoss(blank=0, reduction="none")
    return cell(log_probs, fw.Tensor(np.ones((n, 1), np.int32)), fw.Tensor(np.full(n, frames, np.int32)),
                fw.Tensor(np.ones(n, np.int32)))


# -- the table ------------------------------------------------------------------------------------
ERROR = "error d = prediction - label"
TRUE_LOGIT = "logit of the true class (2 other classes at 0)"
LOGIT = "logit z, prediction p = sigmoid(z)"
MARGIN = Param(1.0, 0.0, 3.0, 0.1)
TRIPLET = dict(margin=MARGIN, positive_distance=Param(1.0, 0.0, 3.0, 0.1, ctor=False))
ONE_VS_ONE = "score of the right class (one other class at 0)"

VIEWS = {
    # regression and robust regression
    "L1Loss": View(ERROR, (-3.0, 3.0), (("loss", _error("L1Loss", reduction="none")),)),
    "MSELoss": View(ERROR, (-3.0, 3.0), (("loss", _error("MSELoss", reduction="none")),)),
    "SmoothL1Loss": View(ERROR, (-3.0, 3.0), (("loss", _error("SmoothL1Loss", reduction="none")),),
                         dict(beta=Param(1.0, 0.1, 3.0, 0.1))),
    "MAELoss": View(ERROR, (-3.0, 3.0), (("loss", _error("MAELoss", reduction="none")),)),
    "L1LossExt": View(ERROR, (-3.0, 3.0), (("loss", _error("L1LossExt", reduction="none")),)),
    "RMSELoss": View(ERROR + " (one element)", (-3.0, 3.0), (("loss", _error("RMSELoss")),), pointwise=False),
    "HuberLoss": View(ERROR, (-3.0, 3.0), (("loss", _error("HuberLoss", reduction="none")),),
                      dict(delta=Param(1.0, 0.1, 3.0, 0.1))),
    # probabilistic regression
    "GaussianNLLLoss": View("predicted variance var (mean off by error)", (0.1, 4.0), (("loss", _gaussian_nll),),
                            dict(error=Param(1.0, 0.0, 2.0, 0.1, ctor=False), full=Param(False, kind="bool"),
                                 eps=Param(1e-6, 1e-6, 1.0, 0.5, kind="log"))),
    "PoissonNLLLoss": View(lambda p: "input = ln(rate)" if p["log_input"] else "input = rate",
                           lambda p: (-3.0, 2.5) if p["log_input"] else (0.02, 6.0), (("loss", _poisson_nll),),
                           dict(target=Param(2.0, 0.0, 6.0, 0.5, ctor=False), log_input=Param(True, kind="bool"),
                                full=Param(False, kind="bool"), eps=Param(1e-8, 1e-8, 1.0, 0.5, kind="log"))),
    # classification
    "SoftmaxCrossEntropyWithLogits": View(TRUE_LOGIT, (-6.0, 6.0), (("loss", _softmax_ce),), args="sparse=True"),
    "CrossEntropyLoss": View(TRUE_LOGIT, (-6.0, 6.0), (("loss", _cross_entropy),),
                             dict(label_smoothing=Param(0.0, 0.0, 1.0, 0.05))),
    "NLLLoss": View("probability p of the true class (input ln p, ln(1 - p))", (0.02, 0.98), (("loss", _nll),)),
    "FocalLoss": View(TRUE_LOGIT, (-6.0, 6.0), (("loss", _focal),), dict(gamma=Param(2.0, 0.0, 5.0, 0.5))),
    "SampledSoftmaxLoss": View("logit of the true class (4 sampled classes at 0)", (-6.0, 6.0),
                               (("loss", _sampled_softmax),), args="num_sampled=4, num_classes=10"),
    "BCELoss": View(LOGIT, (-6.0, 6.0), (("label 1", _bce(1)), ("label 0", _bce(0))),
                    dict(weight=Param(1.0, 0.0, 3.0, 0.1))),
    "BCEWithLogitsLoss": View("logit z", (-6.0, 6.0), (("label 1", _bce_logits(1)), ("label 0", _bce_logits(0))),
                              dict(pos_weight=Param(1.0, 0.0, 5.0, 0.1))),
    "SoftMarginLoss": View("logit z", (-6.0, 6.0), (("label 1", _soft_margin(1)), ("label -1", _soft_margin(-1)))),
    # multi-label
    "MultiLabelSoftMarginLoss": View("logit z (one class)", (-6.0, 6.0), (("label 1", _multilabel_soft_margin(1)),
                                                                          ("label 0", _multilabel_soft_margin(0)))),
    "MultilabelMarginLoss": View(ONE_VS_ONE, (-3.0, 3.0), (("loss", _multilabel_margin),)),
    "MultiMarginLoss": View(ONE_VS_ONE, (-3.0, 3.0), (("loss", _multi_margin),),
                            dict(p=Param(1, 1, 2, 1, kind="int"), margin=MARGIN)),
    # ranking and metric learning
    "MarginRankingLoss": View("score difference input1 - input2", (-3.0, 3.0),
                              (("target 1", _margin_ranking(1)), ("target -1", _margin_ranking(-1))),
                              dict(margin=Param(0.0, -1.0, 2.0, 0.1))),
    "HingeEmbeddingLoss": View("distance x between the pair", (0.0, 3.0),
                               (("label 1", _hinge_embedding(1)), ("label -1", _hinge_embedding(-1))),
                               dict(margin=MARGIN)),
    "CosineEmbeddingLoss": View("cosine of the two inputs", (-0.99, 0.99),
                                (("label 1", _cosine(1)), ("label -1", _cosine(-1))),
                                dict(margin=Param(0.0, -1.0, 1.0, 0.1))),
    "TripletMarginLoss": View("distance anchor - negative", (0.0, 4.0), (("loss", _triplet("TripletMarginLoss")),),
                              TRIPLET),
    "TripletMarginWithDistanceLoss": View("distance anchor - negative", (0.0, 4.0),
                                          (("loss", _triplet("TripletMarginWithDistanceLoss")),), TRIPLET),
    # segmentation
    "DiceLoss": View("predicted probability x of a pixel (label 0: next to a right label-1 pixel)", (0.0, 1.0),
                     (("label 1", _dice(False)), ("label 0", _dice(True))),
                     dict(smooth=Param(1e-5, 1e-5, 1.0, 0.5, kind="log")), pointwise=False),
    "MultiClassDiceLoss": View("logit of the right class (2 classes, other at 0)", (-6.0, 6.0),
                               (("loss", _multiclass_dice),),
                               dict(activation=Param("softmax", kind="choice", options=("softmax", "sigmoid", "tanh"))),
                               pointwise=False),
    # sequences
    "CTCLoss": View("logit of the target's symbol in every frame (blank, other at 0)", (-4.0, 6.0),
                    (("loss", _ctc),), dict(frames=Param(3, 1, 6, 1, kind="int", ctor=False))),
    # distributions
    "KLDivLoss": View("predicted probability q of outcome 1 (2 outcomes)", (0.02, 0.98), (("loss", _kl_div),),
                      dict(target=Param(0.3, 0.0, 1.0, 0.05, ctor=False))),
}

LOSSES = tuple(VIEWS)
# The parameters that shape each loss's view (the widget shows a slider for each).
PARAMETERS = {name: tuple(view.params) for name, view in VIEWS.items() if view.params}


# -- evaluating a view ------------------------------------------------------------------------------
def _check_points(points, where):
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)):
        raise TypeError(f"For '{where}', the 'points' must be an int, but got {type(points).__name__}.")
    if points < 2:
        raise ValueError(f"For '{where}', the 'points' must be an int >= 2, but got {points}.")


def _check_param(name, spec, value, loss, where):
    """The value of one parameter, checked against its kind and range."""
    what = f"For '{where}', {loss}'s parameter '{name}'"
    if spec.kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{what} must be a bool, but got {type(value).__name__}.")
        return bool(value)
    if spec.kind == "choice":
        if value not in spec.options:
            raise ValueError(f"{what} must be one of {list(spec.options)}, but got {value!r}.")
        return value
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{what} must be an int, but got {type(value).__name__}.")
        value = int(value)
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{what} must be a float, but got {type(value).__name__}.")
        value = float(value)
    if not (math.isfinite(value) and spec.low <= value <= spec.high):
        raise ValueError(f"{what} must be in [{spec.low:g}, {spec.high:g}], but got {value!r}.")
    return value


def view_params(name, params, where="loss_curves"):
    """Every parameter of ``name``'s view: the given values, checked, and the defaults."""
    view = VIEWS[name]
    unknown = sorted(set(params) - set(view.params))
    if unknown:
        raise TypeError(f"For '{where}', {name} has no parameter '{unknown[0]}'; its parameters are "
                        f"{list(view.params)}.")
    return {k: _check_param(k, spec, params.get(k, spec.default), name, where) for k, spec in view.params.items()}


def _per_point(fw, fn, x, pointwise=True):
    """Losses and d loss / d x of ``fn`` at every point of the grid ``x``."""
    vg = fw.value_and_grad(fn)
    if pointwise:
        value, grad = vg(fw.Tensor(x.astype(np.float32)))
        return value.asnumpy().astype(np.float64).reshape(-1), grad.asnumpy().astype(np.float64)
    values, grads = [], []
    with np.errstate(divide="ignore", invalid="ignore"):  # RMSELoss at 0 error: a nan gradient, no warning
        for xi in x:  # the loss is one number for the whole input: one call per point
            value, grad = vg(fw.Tensor(np.array([xi], np.float32)))
            values.append(float(value.asnumpy().reshape(-1)[0]))
            grads.append(float(grad.asnumpy()[0]))
    return np.array(values), np.array(grads)


def _show(value):
    return f"{value:g}" if isinstance(value, float) else repr(value) if isinstance(value, str) else str(value)


def _title(prefix, name, view, p):
    args = [view.args] if view.args else []
    args += [f"{k}={_show(v)}" for k, v in p.items() if view.params[k].ctor]
    held = ", ".join(f"{k}={_show(v)}" for k, v in p.items() if not view.params[k].ctor)
    return f"{prefix}.{name}({', '.join(args)})" + (f" with {held}" if held else "")


def loss_curves(name, points=201, **params):
    """Loss and gradient of one built-in loss along its one-dimensional view (``VIEWS[name]``).

    ``name`` is one of ``LOSSES`` (computed by lossviz) or a loss class of that
    name from ``lossviz.nn`` or ``mindspore.nn`` (computed by its framework).
    ``params`` are the view's parameters (``PARAMETERS[name]``; the others keep
    their defaults), each checked against its kind and range. Returns a dict:
    ``x``, ``xlabel``, ``title``, ``params`` and ``series``, a list of
    ``(label, loss values, gradient values)``.

    >>> loss_curves("FocalLoss", points=3, gamma=0.0)["series"][0][1].round(4).tolist()   # = cross-entropy
    [6.6944, 1.0986, 0.0049]
    """
    name, fw = framework_of(name, LOSSES, "LossExplorer")
    _check_points(points, "loss_curves")
    view = VIEWS[name]
    p = view_params(name, params)
    low, high = view.x(p) if callable(view.x) else view.x
    x = np.linspace(low, high, points)
    series = [(label, *_per_point(fw, lambda t, build=build: build(fw, p, t), x, view.pointwise))
              for label, build in view.series]
    xlabel = view.xlabel(p) if callable(view.xlabel) else view.xlabel
    return dict(x=x, xlabel=xlabel, title=_title(fw.prefix, name, view, p), params=p, series=series)


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


def _control(w, name, spec, value):
    """The widget of one parameter: a slider, a log slider, a checkbox or a menu."""
    named = dict(description=name, style={"description_width": "initial"})  # long names shown whole
    if spec.kind == "bool":
        return w.Checkbox(value=value, indent=False, **named)
    if spec.kind == "choice":
        return w.Dropdown(options=list(spec.options), value=value, **named)
    if spec.kind == "int":
        return w.IntSlider(value=value, min=spec.low, max=spec.high, step=spec.step, **named)
    if spec.kind == "log":
        return w.FloatLogSlider(value=value, base=10, min=math.log10(spec.low), max=math.log10(spec.high),
                                step=spec.step, readout_format=".1e", **named)
    return w.FloatSlider(value=value, min=spec.low, max=spec.high, step=spec.step, **named)


class LossExplorer(WidgetPanel):
    """Widgets: pick a loss, move its parameters, see loss and gradient curves.

    The menu lists every loss of ``VIEWS``; under it are the controls of the
    current loss's parameters (a slider each; a checkbox for a bool, a menu for
    a choice). ``explorer.<parameter>`` is the current loss's control of that
    name (``explorer.beta`` for SmoothL1Loss). Each loss keeps its own
    controls, so its values stay when you come back to it. The plot is an
    ``ipywidgets.Image`` and the table an HTML widget, both set by the handler.
    ``loss`` is a name or a class; with a ``mindspore.nn`` class every loss of
    the menu is MindSpore's. ``params`` are the starting loss's parameters.

    >>> explorer = LossExplorer()
    >>> explorer.loss.value = 'SmoothL1Loss'
    >>> explorer.beta.value = 2.0
    >>> explorer.text.splitlines()[0]
    'nn.SmoothL1Loss(beta=2): loss and gradient against the error d = prediction - label'
    >>> explorer.loss.value = 'HuberLoss'
    >>> [c.description for c in explorer.controls.children]
    ['delta']
    """

    def __init__(self, loss="SmoothL1Loss", **params):
        w = ipywidgets()
        from .render import figure_png, new_figure

        self._png = figure_png
        loss, self.framework = framework_of(loss, LOSSES, "LossExplorer")
        start = view_params(loss, params, "LossExplorer")
        self._widgets = w
        self._controls = {}     # loss name -> {parameter: its control}
        self.fig = new_figure(figsize=(8.0, 2.9), dpi=80)
        self.loss = w.Dropdown(options=list(LOSSES), value=loss, description="Loss", layout=w.Layout(width="420px"))
        self.controls = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.image = w.Image(format="png")
        self.table = w.HTML()
        self._controls_of(loss, start)
        self.loss.observe(self._on_change, names="value")
        self.widget = w.VBox([self.loss, self.controls, self.image, self.table])
        self._on_change()

    def _controls_of(self, loss, values=None):
        if loss not in self._controls:
            values = values or {}
            made = {k: _control(self._widgets, k, spec, values.get(k, spec.default))
                    for k, spec in VIEWS[loss].params.items()}
            for control in made.values():
                control.observe(self._on_change, names="value")
            self._controls[loss] = made
        return self._controls[loss]

    def __getattr__(self, name):
        controls = self.__dict__.get("_controls", {})
        loss = self.__dict__.get("loss")
        if loss is not None and name in controls.get(loss.value, {}):
            return controls[loss.value][name]
        raise AttributeError(f"'LossExplorer' has no attribute '{name}'"
                             + (f" ({loss.value} has the parameters {list(PARAMETERS.get(loss.value, ()))})"
                                if loss is not None else ""))

    def curves(self):
        loss = getattr(self.framework.nn, self.loss.value)  # a class: lossviz's or MindSpore's
        values = {k: c.value for k, c in self._controls_of(self.loss.value).items()}
        return loss_curves(loss, **values)

    def _on_change(self, change=None):
        self.controls.children = tuple(self._controls_of(self.loss.value).values())
        curves = self.curves()
        self.text = explorer_text(curves)
        self.table.value = pre(self.text)
        self.image.value = self._png(draw_explorer(self.fig, curves))
