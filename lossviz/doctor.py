"""The loss doctor: ``check_loss(loss, reference=None)`` runs a loss on generated inputs and says what is wrong.

Write a loss, then ask the doctor. It generates inputs of the right kind (predictions
and targets for a regression loss, logits and class indices for a cross-entropy,
probabilities and 0/1 targets for BCE, pairs and +-1 labels, triplets, ...), runs the
loss on them and on hard cases, and reports one row per check:

* **runs**: it returns a lossviz Tensor (not a number or a numpy array), finite and
  the same on two calls;
* **dtype**: float32 in, float32 out (no integer loss, no float64 promotion);
  float64 kept where the reference keeps it;
* **reductions**: 'none' gives one loss per element (or sample), 'mean' and 'sum'
  a scalar, 'sum' = sum of 'none', 'mean' = 'sum' / n; the default reduction is the
  one the docstring documents;
* **gradients**: the gradient of every differentiable input against central
  differences (float64 when the loss takes float64), and a gradient that is zero
  everywhere (the graph broken by ``asnumpy()``, numpy calls or ``stop_gradient``);
* **extremes**: large and tiny logits and probabilities, zero error, perfect
  predictions: no nan or inf where the mathematics is finite;
* **reference**: values and gradients against ``reference`` (any built-in loss) on
  random inputs, for each reduction; broadcasting as the reference does it.

Every failure is one sentence of diagnosis and a hint. The loss is never modified:
the doctor runs a private copy, and new instances built with each ``reduction``.

>>> import numpy as np
>>> import lossviz.nn as nn
>>> import lossviz.ops as ops
>>> report = check_loss(nn.MSELoss())
>>> report.ok
True
>>> class MyMSE(nn.LossBase):
...     def construct(self, logits, labels):
...         return self.get_loss(0.5 * ops.square(logits - labels))   # 0.5: not in MSE
>>> report = check_loss(MyMSE(), reference=nn.MSELoss())
>>> report.ok
False
>>> [row.check for row in report.failures]
["values vs MSELoss ('none')", "values vs MSELoss ('mean')", "values vs MSELoss ('sum')", 'gradients vs MSELoss']
>>> print(report.failures[0].detail)
0.5 x the reference on all 12 elements: an extra factor 1/2.

``print(report)`` shows the table in a terminal; a notebook shows it as HTML.
"""
import copy
import dataclasses
import html
import inspect
import re
import textwrap
import time
import types
import warnings

import numpy as np

from . import ops
from ._engine.grad_api import value_and_grad
from ._engine.tensor import Tensor

__all__ = ["check_loss", "LossReport", "Row", "KINDS", "builtin_loss", "NoInputGenerator"]

N, C = 4, 3        # batch and classes of the generated inputs: two sizes, so an axis is known by its size
REDUCTIONS = ("none", "mean", "sum")
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_FIXED_SEED = 20240607   # the extreme cases are fixed numbers, the same on every run


class NoInputGenerator(LookupError):
    """check_loss does not know which inputs a loss takes (pass ``inputs=``, ``kind=`` or ``reference=``)."""


# ----------------------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Row:
    """One check: its name, whether it passed, what was found (one sentence on a failure) and a hint.

    ``code`` names the diagnosis of a failure ('wrong_sign', 'graph_broken', ...); ``skipped`` rows
    were not applicable (they pass).
    """
    check: str
    passed: bool
    detail: str
    hint: str = ""
    code: str = ""
    skipped: bool = False

    @property
    def status(self):
        return "skip" if self.skipped else ("ok" if self.passed else "FAIL")


class LossReport:
    """What ``check_loss`` found: ``ok`` (every check passed), ``rows``, ``failures``, ``codes``.

    ``str(report)`` is a table for a terminal, ``report._repr_html_()`` the same for a notebook, and
    ``report.show()`` shows whichever fits where it runs. Both print the same text on every run (the
    time the checks took is ``report.seconds``, not shown), so a notebook's stored output can be compared.
    A hint already given by the row above is not repeated: the row says ``hint: as above``.
    """

    def __init__(self, loss_name, reference_name=None, kind=None):
        self.loss_name, self.reference_name, self.kind = loss_name, reference_name, kind
        self.rows = []
        self.seconds = 0.0

    @property
    def ok(self):
        return bool(self.rows) and all(row.passed for row in self.rows)

    @property
    def failures(self):
        return [row for row in self.rows if not row.passed]

    @property
    def codes(self):
        """The diagnosis codes of the failures, e.g. ``{'wrong_sign'}``."""
        return {row.code for row in self.failures}

    def row(self, check):
        """The first row whose check name starts with ``check``."""
        for row in self.rows:
            if row.check.startswith(check):
                return row
        raise KeyError(check)

    def add(self, check, passed, detail, hint="", code="", skipped=False):
        self.rows.append(Row(check, bool(passed), detail, hint if not passed else "",
                             code if not passed else "", skipped))

    def title(self):
        against = f" against {self.reference_name}" if self.reference_name else ""
        kind = f", {self.kind} inputs" if self.kind else ""
        failed = len(self.failures)
        verdict = "all checks passed" if self.ok else f"{failed} failure{'s' * (failed != 1)}"
        return f"check_loss: {self.loss_name}{against}{kind}: {verdict}"

    def counts(self):
        """'15 checks: 12 ok, 2 FAIL, 1 skip' (the kinds that occur)."""
        statuses = [row.status for row in self.rows]
        parts = [f"{statuses.count(s)} {s}" for s in ("ok", "FAIL", "skip") if s in statuses]
        return f"{len(statuses)} check{'s' * (len(statuses) != 1)}: {', '.join(parts)}"

    def _hints(self):
        """Each row's hint as shown: '' when none, 'as above' when the last hint shown was the same."""
        shown, last = [], None
        for row in self.rows:
            if not row.hint:
                shown.append("")
                continue
            shown.append("as above" if row.hint == last else row.hint)
            last = row.hint
        return shown

    def show(self):
        """Show the report: the HTML table in a notebook (Jupyter), the text table in a terminal."""
        if _in_notebook():
            from IPython.display import display
            display(self)
        else:
            print(self)

    def __repr__(self):
        return f"<LossReport {self.loss_name}: ok={self.ok}, {len(self.failures)} failures of {len(self.rows)} checks>"

    def __str__(self, width=110):
        lines = [self.title()]
        name_width = min(30, max((len(row.check) for row in self.rows), default=10))
        indent = " " * (2 + 5 + name_width + 2)
        for row, shown_hint in zip(self.rows, self._hints()):
            text = textwrap.wrap(row.detail, width - len(indent)) or [""]
            if len(row.check) > name_width:       # a long check name gets a line of its own
                lines.append(f"  {row.status:<5}{row.check}")
                text_lines = text
            else:
                lines.append(f"  {row.status:<5}{row.check:<{name_width}}  {text[0]}")
                text_lines = text[1:]
            lines.extend(indent + more for more in text_lines)
            if shown_hint:
                hint = textwrap.wrap("hint: " + shown_hint, width - len(indent))
                lines.extend(indent + line for line in hint)
        if self.rows:
            lines.append(f"  ({self.counts()})")
        return "\n".join(lines)

    def _repr_html_(self):
        colours = {"ok": "#1a7f37", "FAIL": "#cf222e", "skip": "#6e7781"}
        shade = {"ok": "", "FAIL": "background:#ffebe9;", "skip": "color:#6e7781;"}
        cell = "text-align:left;vertical-align:top;padding:2px 8px;"
        verdict = colours["ok"] if self.ok else colours["FAIL"]
        out = [f"<div><div style='margin-bottom:4px'><b style='color:{verdict}'>{html.escape(self.title())}</b>"
               f" <span style='color:#6e7781'>({html.escape(self.counts())})</span></div>",
               f"<table style='border-collapse:collapse'><tr><th style='{cell}'>status</th>"
               f"<th style='{cell}'>check</th><th style='{cell}'>detail</th></tr>"]
        for row, shown_hint in zip(self.rows, self._hints()):
            hint = f"<br><i>hint: {html.escape(shown_hint)}</i>" if shown_hint else ""
            style = cell + shade[row.status]
            out.append(f"<tr><td style='{style}color:{colours[row.status]};font-weight:bold'>{row.status}</td>"
                       f"<td style='{style}white-space:nowrap'>{html.escape(row.check)}</td>"
                       f"<td style='{style}'>{html.escape(row.detail)}{hint}</td></tr>")
        out.append("</table></div>")
        return "\n".join(out)


def _in_notebook():
    """True inside a running IPython kernel (JupyterLab, nbclient, nbval); IPython is not imported to ask."""
    import sys
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


# ----------------------------------------------------------------------------------------------------------
# Input kinds: what a loss takes, how to generate it, where it is hard
# ----------------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Case:
    """A hard input: ``make(dtype)`` -> arrays; the loss (and its gradient) must be finite there."""
    about: str
    make: object
    hint: str
    value: bool = True          # the loss is finite here
    grad: bool = True           # its gradient too


@dataclasses.dataclass
class _Broadcast:
    """Inputs of different shapes: ``make(rng)`` -> (arrays, the same arrays written out in full)."""
    about: str
    make: object


@dataclasses.dataclass
class _Kind:
    name: str
    names: tuple                 # the inputs' names, for the messages
    make: object                 # make(rng, dtype) -> list of numpy arrays (float ones in dtype)
    grad: tuple = (0,)           # the inputs whose gradient is checked
    fixed: dict = dataclasses.field(default_factory=dict)   # the other inputs: position -> why not checked
    extremes: tuple = ()
    broadcasts: tuple = ()
    none_shape: object = None    # arrays -> the shape of reduction='none' (None: unknown)
    mean_rule: bool = True       # 'mean' = sum('none') / size('none')
    transform: object = None     # Tensors -> the loss's inputs (CTC: log_softmax of frame scores)

    def arrays(self, rng, dtype):
        return [np.ascontiguousarray(a) for a in self.make(rng, dtype)]


def _cast(arrays, dtype):
    return [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]


def _signs(rng, shape):
    return rng.choice([-1.0, 1.0], shape)


def _away(rng, shape, low=0.1, high=2.5):
    """Numbers with |v| in [low, high] and a random sign: differences off the kink at 0."""
    return rng.uniform(low, high, shape) * _signs(rng, shape)


def _log_softmax(a, axis=-1):
    shifted = a - a.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _softmax(a, axis=-1):
    return np.exp(_log_softmax(a, axis))


def _binary(rng, shape):
    """0/1 targets with both values present."""
    b = rng.integers(0, 2, shape).astype(np.float64)
    b.flat[0], b.flat[-1] = 0.0, 1.0
    return b


def _classes(rng, n, c):
    """n class indices in [0, c), at least two different ones."""
    labels = rng.integers(0, c, n)
    labels[0], labels[-1] = 0, c - 1
    return labels


def _same_shape(arrays):
    return np.broadcast_shapes(*(a.shape for a in arrays))


def _rows(arrays):
    return arrays[0].shape[:1]


def _fixed():
    return np.random.default_rng(_FIXED_SEED)


_SOFTPLUS = "compute ln(1 + exp(z)) as softplus, max(z, 0) + ln(1 + exp(-|z|)), which never overflows"
_LOG_SOFTMAX = ("exp(logits) overflows float32 above 88: subtract each row's maximum first, "
                "log_softmax(x) = x - max - ln(sum(exp(x - max))), or use ops.log_softmax")


def _regression(zero_error_grad=True):
    def make(rng, dtype):
        labels = rng.standard_normal((N, C))
        return _cast([labels + _away(rng, (N, C)), labels], dtype)

    def zero(dtype):
        x = _fixed().standard_normal((N, C))
        return _cast([x, x.copy()], dtype)

    def large(dtype):
        rng = _fixed()
        x = rng.standard_normal((N, C))
        return _cast([x + 1e4 * _signs(rng, (N, C)), x], dtype)

    def labels_row(rng):
        logits, labels = rng.standard_normal((N, C)), rng.standard_normal(C)
        return [logits, labels], [logits, np.broadcast_to(labels, (N, C)).copy()]

    def labels_column(rng):
        logits, labels = rng.standard_normal((N, C)), rng.standard_normal((N, 1))
        return [logits, labels], [logits, np.broadcast_to(labels, (N, C)).copy()]

    def logits_row(rng):
        logits, labels = rng.standard_normal((1, C)), rng.standard_normal((N, C))
        return [logits, labels], [np.broadcast_to(logits, (N, C)).copy(), labels]

    return _Kind(
        "regression", ("logits", "labels"), make, grad=(0, 1),
        extremes=(_Case("zero error (logits == labels)", zero, grad=zero_error_grad,
                        hint="at zero error sqrt(d**2) or |d|**p with p < 1 have no derivative (0/0): use ops.abs(d), "
                             "whose gradient is sign(d), 0 at 0"),
                  _Case("large errors (|logits - labels| = 1e4)", large,
                        hint="keep intermediate values small: no exp() or high powers of the error (float32 overflows "
                             "at 3.4e38)")),
        broadcasts=(_Broadcast(f"labels ({C},) against logits ({N}, {C})", labels_row),
                    _Broadcast(f"labels ({N}, 1) against logits ({N}, {C})", labels_column),
                    _Broadcast(f"logits (1, {C}) against labels ({N}, {C})", logits_row)),
        none_shape=_same_shape)


def _signed():
    def make(rng, dtype):
        return _cast([2 * rng.standard_normal((N, C)), _signs(rng, (N, C))], dtype)

    def large(scale):
        def make_large(dtype):
            labels = np.array([[1, -1, 1], [-1, 1, -1], [1, 1, -1], [-1, -1, 1]], np.float64)
            logits = scale * np.array([[1, -1, -1], [-1, 1, 1], [1, -1, 1], [-1, 1, -1]], np.float64)
            return _cast([logits, labels], dtype)
        return make_large

    return _Kind("signed", ("logits", "labels"), make, grad=(0,), fixed={1: "+-1 labels"},
                 extremes=(_Case("logits +-100 with +-1 labels (right and wrong)", large(100.0),
                                 hint=f"exp(-labels * logits) overflows float32 at 100: {_SOFTPLUS}"),
                           _Case("logits +-1000 with +-1 labels", large(1000.0),
                                 hint=f"exp(-labels * logits) overflows float32: {_SOFTPLUS}")),
                 none_shape=_same_shape)


def _gaussian():
    def make(rng, dtype):
        return _cast([rng.standard_normal((N, C)), rng.standard_normal((N, C)), rng.uniform(0.5, 2.0, (N, C))], dtype)

    def zero(dtype):
        rng = _fixed()
        x = rng.standard_normal((N, C))
        return _cast([x, x.copy(), rng.uniform(0.5, 2.0, (N, C))], dtype)

    def no_variance(dtype):
        rng = _fixed()
        return _cast([rng.standard_normal((N, C)), rng.standard_normal((N, C)), np.zeros((N, C))], dtype)

    def var_column(rng):
        logits, labels, var = rng.standard_normal((N, C)), rng.standard_normal((N, C)), rng.uniform(0.5, 2, (N, 1))
        return [logits, labels, var], [logits, labels, np.broadcast_to(var, (N, C)).copy()]

    def var_per_row(rng):
        logits, labels, var = rng.standard_normal((N, C)), rng.standard_normal((N, C)), rng.uniform(0.5, 2, N)
        return [logits, labels, var], [logits, labels, np.broadcast_to(var[:, None], (N, C)).copy()]

    return _Kind("gaussian", ("logits", "labels", "var"), make, grad=(0, 1, 2),
                 extremes=(_Case("zero error (logits == labels)", zero,
                                 hint="keep the formula 0.5 * (ln(v) + d**2 / v): nothing in it is singular at d = 0"),
                           _Case("variance 0 (the formula clamps it to eps)", no_variance,
                                 hint="var = 0 gives ln(0) and a division by 0: clamp it first, v = max(var, eps), as "
                                      "the documented formula does")),
                 broadcasts=(_Broadcast(f"var ({N}, 1) against logits ({N}, {C})", var_column),
                             _Broadcast(f"var ({N},): one variance per row of logits ({N}, {C})", var_per_row)),
                 none_shape=lambda arrays: np.broadcast_shapes(arrays[0].shape, arrays[1].shape))


def _counts(log_input=True):
    def make(rng, dtype):
        x = 0.5 * rng.standard_normal((N, C)) if log_input else rng.uniform(0.5, 3.0, (N, C))
        return _cast([x, rng.poisson(2.0, (N, C)).astype(np.float64)], dtype)

    def target_row(rng):
        x, target = make(rng, _F64)[0], rng.poisson(2.0, C).astype(np.float64)
        return [x, target], [x, np.broadcast_to(target, (N, C)).copy()]

    if log_input:
        extremes = (_Case("zero counts at log-rate -100 (rate ~ 0)",
                          lambda dtype: _cast([np.full((N, C), -100.0), np.zeros((N, C))], dtype),
                          hint="keep the rate as exp(input): l = exp(input) - target * input has no log to blow up"),
                    _Case("zero counts at log-rate 20 (rate 5e8)",
                          lambda dtype: _cast([np.full((N, C), 20.0), np.zeros((N, C))], dtype),
                          hint="l = exp(input) - target * input: no other exp or power of the rate"))
    else:
        extremes = (_Case("zero rates with zero counts",
                          lambda dtype: _cast([np.zeros((N, C)), np.zeros((N, C))], dtype),
                          hint="0 * ln(0) is nan: the documented formula adds eps inside the log, ln(input + eps)"),)
    return _Kind("counts", ("input", "target"), make, grad=(0,), fixed={1: "counts (targets)"}, extremes=extremes,
                 broadcasts=(_Broadcast(f"target ({C},) against input ({N}, {C})", target_row),),
                 none_shape=_same_shape)


def _log_probabilities():
    def make(rng, dtype):
        return _cast([_log_softmax(rng.standard_normal((N, C))), _softmax(rng.standard_normal((N, C)))], dtype)

    def one_hot(dtype):
        rng = _fixed()
        labels = np.eye(C)[_classes(rng, N, C)]
        return _cast([_log_softmax(rng.standard_normal((N, C))), labels], dtype)

    def confident(dtype):
        rng = _fixed()
        return _cast([_log_softmax(300 * rng.standard_normal((N, C))), _softmax(rng.standard_normal((N, C)))], dtype)

    return _Kind("log_probabilities", ("logits", "labels"), make, grad=(0,),
                 fixed={1: "target probabilities (a constant for the reference)"},
                 extremes=(_Case("one-hot targets (exact zeros: 0 * ln 0 counts as 0)", one_hot,
                                 hint="labels * ln(labels) is 0 * -inf = nan where labels = 0: use "
                                      "select(labels > 0, labels * (ln(labels) - logits), 0)"),
                           _Case("confident predictions (log-probabilities down to -1000)", confident,
                                 hint="use the log-probabilities as given; exp() of them underflows to 0")),
                 none_shape=_same_shape)


def _class_logits(label_dtype=np.int32, mean_rule=True, name="class_logits"):
    def make(rng, dtype):
        return [(2 * rng.standard_normal((N, C))).astype(dtype), _classes(rng, N, C).astype(label_dtype)]

    def large(dtype):
        rng = _fixed()
        logits = 100 * rng.standard_normal((N, C))
        logits[0] = [100.0, -100.0, 50.0]
        return [logits.astype(dtype), _classes(rng, N, C).astype(label_dtype)]

    def perfect(dtype):
        labels = _classes(_fixed(), N, C)
        return [(1000.0 * np.eye(C)[labels]).astype(dtype), labels.astype(label_dtype)]

    return _Kind(name, ("logits", "labels"), make, grad=(0,), fixed={1: "class indices"},
                 extremes=(_Case("large logits (up to +-300)", large, hint=_LOG_SOFTMAX),
                           _Case("perfect predictions (the true class 1000 above the others)", perfect,
                                 hint="ln(softmax(x)) is ln(0) = -inf once softmax underflows: compute log_softmax "
                                      "directly, x - max - ln(sum(exp(x - max)))")),
                 none_shape=_rows, mean_rule=mean_rule)


def _class_probabilities():
    def make(rng, dtype):
        return _cast([2 * rng.standard_normal((N, C)), _softmax(rng.standard_normal((N, C)))], dtype)

    def large(dtype):
        rng = _fixed()
        return _cast([100 * rng.standard_normal((N, C)), _softmax(rng.standard_normal((N, C)))], dtype)

    def perfect(dtype):
        labels = np.eye(C)[_classes(_fixed(), N, C)]
        return _cast([1000.0 * labels, labels], dtype)

    return _Kind("class_probabilities", ("logits", "labels"), make, grad=(0,),
                 fixed={1: "target probabilities (a constant for the reference)"},
                 extremes=(_Case("large logits (up to +-300)", large, hint=_LOG_SOFTMAX),
                           _Case("perfect predictions (one-hot targets, the true class 1000 above)", perfect,
                                 hint="0 * ln(softmax) is 0 * -inf = nan once softmax underflows: compute log_softmax "
                                      "directly, x - max - ln(sum(exp(x - max)))")),
                 none_shape=_rows)


def _class_log_probabilities(mean_rule=True):
    def make(rng, dtype):
        return [_log_softmax(2 * rng.standard_normal((N, C))).astype(dtype), _classes(rng, N, C).astype(np.int32)]

    def confident(dtype):
        labels = _classes(_fixed(), N, C)
        return [np.where(np.eye(C)[labels] > 0, 0.0, -1000.0).astype(dtype), labels.astype(np.int32)]

    return _Kind("class_log_probabilities", ("logits", "labels"), make, grad=(0,), fixed={1: "class indices"},
                 extremes=(_Case("confident log-probabilities (0 for the true class, -1000 elsewhere)", confident,
                                 hint="use the log-probabilities as given (no exp/log round trip)"),),
                 none_shape=_rows, mean_rule=mean_rule)


def _focal():
    def make(rng, dtype):
        return [(2 * rng.standard_normal((N, C))).astype(dtype), _classes(rng, N, C).astype(np.int32)[:, None]]

    def large(dtype):
        rng = _fixed()
        return [(100 * rng.standard_normal((N, C))).astype(dtype), _classes(rng, N, C).astype(np.int32)[:, None]]

    def perfect(dtype):
        labels = _classes(_fixed(), N, C)
        return [(1000.0 * np.eye(C)[labels]).astype(dtype), labels.astype(np.int32)[:, None]]

    return _Kind("focal", ("logits", "labels"), make, grad=(0,), fixed={1: "class indices (N, 1)"},
                 extremes=(_Case("large logits (up to +-300)", large, hint=_LOG_SOFTMAX),
                           _Case("perfect predictions (p_t = 1)", perfect,
                                 hint="compute log p with log_softmax (not ln(softmax)): at p_t = 1 the focal term "
                                      "(1 - p)**gamma * log p is 0")),
                 none_shape=_rows)


def _probabilities():
    def make(rng, dtype):
        return _cast([rng.uniform(0.05, 0.95, (N, C)), _binary(rng, (N, C))], dtype)

    def perfect(dtype):
        labels = _binary(_fixed(), (N, C))
        return _cast([labels.copy(), labels], dtype)

    def confident(dtype):
        labels = _binary(_fixed(), (N, C))
        p = np.where(np.arange(N * C).reshape(N, C) % 2 == 0, 1e-7, 1 - 1e-7)
        return _cast([p, labels], dtype)

    hint = ("0 * ln(0) is nan and ln(0) is -inf: keep the logs finite with an epsilon, ln(p + 1e-12) and "
            "ln(1 - p + 1e-12), as the documented formula does")
    return _Kind("probabilities", ("logits", "labels"), make, grad=(0,), fixed={1: "0/1 targets"},
                 extremes=(_Case("perfect predictions (p = labels, exactly 0 and 1)", perfect, hint=hint),
                           _Case("confident probabilities (1e-7 and 1 - 1e-7, right and wrong)", confident, hint=hint)),
                 none_shape=_same_shape)


def _logits_and_targets(rng, dtype):
    """Logits (N, C) and 0/1 targets of the same shape."""
    return _cast([2 * rng.standard_normal((N, C)), _binary(rng, (N, C))], dtype)


def _large_logits(scale):
    """Logits of +-scale (confident, right and wrong) and 0/1 targets: a maker for an extreme case."""
    def make_large(dtype):
        rng = _fixed()
        return _cast([scale * _signs(rng, (N, C)), _binary(rng, (N, C))], dtype)
    return make_large


def _binary_logits():
    make, large = _logits_and_targets, _large_logits
    hint = "overflows at logit 100: compute log(sigmoid(x)) as -softplus(-x) = -(max(-x, 0) + log(1 + exp(-|x|)))"
    return _Kind("binary_logits", ("logits", "labels"), make, grad=(0,), fixed={1: "0/1 targets"},
                 extremes=(_Case("logits +-100 (confident, right and wrong)", large(100.0), hint=hint),
                           _Case("logits +-1000", large(1000.0), hint=hint)),
                 none_shape=_same_shape)


def _multilabel():
    make, large = _logits_and_targets, _large_logits

    def target_row(rng):
        x, target = 2 * rng.standard_normal((N, C)), _binary(rng, C)
        return [x, target], [x, np.broadcast_to(target, (N, C)).copy()]

    return _Kind("multilabel", ("x", "target"), make, grad=(0,), fixed={1: "0/1 targets"},
                 extremes=(_Case("logits +-100", large(100.0), hint=f"exp(x) overflows float32 at 100: {_SOFTPLUS}"),
                           _Case("logits +-1000", large(1000.0), hint=f"exp(x) overflows float32: {_SOFTPLUS}")),
                 broadcasts=(_Broadcast(f"target ({C},) against x ({N}, {C})", target_row),),
                 none_shape=_rows)


def _multilabel_margin():
    def targets(rng):
        t = np.full((N, C), -1, np.int32)
        for row in range(N):
            k = rng.integers(1, C)          # 1 .. C-1 right classes: some right, some wrong
            t[row, :k] = rng.permutation(C)[:k]
        return t

    def make(rng, dtype):
        return [rng.standard_normal((N, C)).astype(dtype), targets(rng)]

    def large(dtype):
        rng = _fixed()
        return [(1e4 * rng.standard_normal((N, C))).astype(dtype), targets(rng)]

    return _Kind("multilabel_margin", ("x", "target"), make, grad=(0,), fixed={1: "class lists ended by -1"},
                 extremes=(_Case("large scores (+-1e4)", large, hint="hinge terms max(0, 1 - d) never overflow: "
                                                                     "no exp or power of the scores"),),
                 none_shape=_rows)


def _masks():
    def make(rng, dtype):
        return _cast([rng.uniform(0.05, 0.95, (N, C)), _binary(rng, (N, C))], dtype)

    def empty(dtype):
        return _cast([np.zeros((N, C)), np.zeros((N, C))], dtype)

    def perfect(dtype):
        labels = _binary(_fixed(), (N, C))
        return _cast([labels.copy(), labels], dtype)

    return _Kind("masks", ("logits", "labels"), make, grad=(0,), fixed={1: "0/1 masks"},
                 extremes=(_Case("empty masks (all zeros)", empty,
                                 hint="0 / 0 when both masks are empty: add smooth to the denominator, "
                                      "1 - 2 I / (U + smooth)"),
                           _Case("perfect masks (logits == labels)", perfect, hint="1 - 2 I / (U + smooth)")),
                 none_shape=None)


def _channel_masks():
    def make(rng, dtype):
        return _cast([rng.standard_normal((N, C)), np.eye(C)[_classes(rng, N, C)]], dtype)

    def large(dtype):
        rng = _fixed()
        return _cast([100 * rng.standard_normal((N, C)), np.eye(C)[_classes(rng, N, C)]], dtype)

    def empty_channel(dtype):
        rng = _fixed()
        labels = np.eye(C)[rng.integers(0, C - 1, N)]       # the last class never appears
        return _cast([rng.standard_normal((N, C)), labels], dtype)

    return _Kind("channel_masks", ("logits", "labels"), make, grad=(0,), fixed={1: "one-hot masks"},
                 extremes=(_Case("large logits (up to +-300)", large,
                                 hint="exp(logits) overflows float32 above 88: softmax must subtract the row maximum "
                                      "(ops.softmax does)"),
                           _Case("a class absent from the batch (an empty channel)", empty_channel,
                                 hint="add smooth to each channel's denominator")),
                 none_shape=None)


def _pairs():
    def make(rng, dtype):
        x1, x2 = rng.standard_normal((N, C)), rng.standard_normal((N, C))
        return [x1.astype(dtype), x2.astype(dtype), _signs(rng, N).astype(np.int32)]

    def identical(dtype):
        rng = _fixed()
        x = rng.standard_normal((N, C))
        return [x.astype(dtype), x.copy().astype(dtype), _signs(rng, N).astype(np.int32)]

    def large(dtype):
        rng = _fixed()
        return [(1e3 * rng.standard_normal((N, C))).astype(dtype), (1e3 * rng.standard_normal((N, C))).astype(dtype),
                _signs(rng, N).astype(np.int32)]

    return _Kind("pairs", ("logits_x1", "logits_x2", "labels"), make, grad=(0, 1), fixed={2: "+-1 labels"},
                 extremes=(_Case("identical pairs (cos = 1)", identical,
                                 hint="cos = sum(x1 * x2) / sqrt(sum(x1**2) * sum(x2**2)): no acos or "
                                      "sqrt(1 - cos**2)"),
                           _Case("large vectors (entries ~1e3)", large,
                                 hint="normalise with the norms' product; don't raise the entries to high powers")),
                 none_shape=_rows)


def _ranking():
    def make(rng, dtype):
        return _cast([rng.standard_normal(N), rng.standard_normal(N), _signs(rng, N)], dtype)

    def large(dtype):
        rng = _fixed()
        return _cast([1e4 * rng.standard_normal(N), 1e4 * rng.standard_normal(N), _signs(rng, N)], dtype)

    def target_one(rng):
        a, b, t = rng.standard_normal(N), rng.standard_normal(N), _signs(rng, 1)
        return [a, b, t], [a, b, np.broadcast_to(t, (N,)).copy()]

    return _Kind("ranking", ("input1", "input2", "target"), make, grad=(0, 1), fixed={2: "+-1 targets"},
                 extremes=(_Case("large scores (+-1e4)", large, hint="max(0, -target * (input1 - input2) + margin) "
                                                                    "never overflows: no exp of the scores"),),
                 broadcasts=(_Broadcast(f"target (1,) against inputs ({N},)", target_one),),
                 none_shape=_same_shape)


def _hinge_pairs():
    def make(rng, dtype):
        distances = rng.uniform(0.05, 2.5, (N, C))
        distances = np.where(np.abs(distances - 1.0) < 0.05, 1.2, distances)
        return _cast([distances, _signs(rng, (N, C))], dtype)

    def zero(dtype):
        return _cast([np.zeros((N, C)), _signs(_fixed(), (N, C))], dtype)

    def large(dtype):
        rng = _fixed()
        return _cast([1e4 * rng.uniform(0.5, 1.0, (N, C)), _signs(rng, (N, C))], dtype)

    def labels_row(rng):
        x, labels = make(rng, _F64)[0], _signs(rng, C)
        return [x, labels], [x, np.broadcast_to(labels, (N, C)).copy()]

    return _Kind("hinge_pairs", ("logits", "labels"), make, grad=(0,), fixed={1: "+-1 labels"},
                 extremes=(_Case("zero distances", zero, hint="x where labels > 0, max(0, margin - x) where < 0"),
                           _Case("large distances (1e4)", large,
                                 hint="x where labels > 0, max(0, margin - x) where < 0")),
                 broadcasts=(_Broadcast(f"labels ({C},) against logits ({N}, {C})", labels_row),),
                 none_shape=_same_shape)


def _triplet():
    def make(rng, dtype):
        return _cast([rng.standard_normal((N, C)) for _ in range(3)], dtype)

    def same(dtype):
        rng = _fixed()
        x = rng.standard_normal((N, C))
        return _cast([x, x.copy(), rng.standard_normal((N, C))], dtype)

    def large(dtype):
        rng = _fixed()
        return _cast([1e3 * rng.standard_normal((N, C)) for _ in range(3)], dtype)

    def negative_row(rng):
        x, p, n = rng.standard_normal((N, C)), rng.standard_normal((N, C)), rng.standard_normal((1, C))
        return [x, p, n], [x, p, np.broadcast_to(n, (N, C)).copy()]

    return _Kind("triplet", ("x", "positive", "negative"), make, grad=(0, 1, 2),
                 extremes=(_Case("anchor equal to its positive (distance 0)", same,
                                 hint="sqrt(sum((a - p)**2)) has no derivative at 0 (0 / 0): add eps to the "
                                      "difference, "
                                      "||a - p + eps||, or floor the distance, as the documented formula does"),
                           _Case("large embeddings (entries ~1e3)", large,
                                 hint="sum of squares then sqrt: no higher powers of the entries")),
                 broadcasts=(_Broadcast(f"negative (1, {C}) against x ({N}, {C})", negative_row),),
                 none_shape=_rows)


def _ctc(loss=None):
    blank = int(getattr(loss, "blank", 0) or 0)
    frames, batch, classes, longest = 6, 2, 4, 3
    symbols = np.array([c for c in range(classes) if c != blank])

    def make_with(scores):
        def make(rng, dtype):
            targets = rng.choice(symbols, (batch, longest)).astype(np.int32)
            return [scores(rng).astype(dtype), targets, np.array([frames, frames - 1], np.int32),
                    np.array([longest, longest - 1], np.int32)]
        return make

    def log_softmax_of_scores(tensors):
        return [ops.log_softmax(tensors[0], -1), *tensors[1:]]

    peaked = make_with(lambda rng: 300 * rng.standard_normal((frames, batch, classes)))
    return _Kind("ctc", ("log_probs", "targets", "input_lengths", "target_lengths"),
                 make_with(lambda rng: rng.standard_normal((frames, batch, classes))), grad=(0,),
                 fixed={1: "target ids", 2: "lengths", 3: "lengths"},
                 extremes=(_Case("peaked frames (log-probabilities down to about -1000)",
                                 lambda dtype: peaked(_fixed(), dtype),
                                 hint="products of probabilities underflow to 0 (ln 0 = -inf): run the alpha recursion "
                                      "in log space, with logsumexp"),),
                 none_shape=lambda arrays: arrays[0].shape[1:2], mean_rule=False,
                 transform=log_softmax_of_scores)


def _sampled(loss):
    if loss is None or getattr(loss, "sampled_values", None) is None:
        raise NoInputGenerator(
            "no input generator for SampledSoftmaxLoss with sampled_values=None: it draws new classes at every call, "
            "so two calls on the same inputs differ; build it with sampled_values=(ids, true_expected, "
            "sampled_expected) to check it, or pass inputs=...")
    num_classes, num_true, dim, batch = int(loss.num_classes), int(loss.num_true), 3, 3

    def make(rng, dtype):
        return [rng.standard_normal((num_classes, dim)).astype(dtype), rng.standard_normal(num_classes).astype(dtype),
                rng.integers(0, num_classes, (batch, num_true)).astype(np.int64),
                rng.standard_normal((batch, dim)).astype(dtype)]

    return _Kind("sampled", ("weights", "biases", "labels", "logits"), make, grad=(0, 1, 3),
                 fixed={2: "class indices"}, none_shape=lambda arrays: arrays[3].shape[:1])


def _custom(inputs, base=None):
    """The kind of inputs made by the user's ``inputs(rng)``, with what ``base`` (a known kind) knows besides."""
    def make(rng, dtype):
        made = inputs(rng)
        made = made if isinstance(made, (tuple, list)) else (made,)
        return _cast([t.asnumpy() if isinstance(t, Tensor) else np.asarray(t) for t in made], dtype)

    if base is not None:
        return dataclasses.replace(base, name=f"{base.name} (inputs=)", make=make)
    return _Kind("custom (inputs=)", (), make, grad=None, mean_rule=True)


# The inputs of each built-in loss, by class name: loss instance -> _Kind (its options matter: sparse, log_input...).
_BUILTINS = {
    "L1Loss": lambda loss: _regression(), "MSELoss": lambda loss: _regression(),
    "SmoothL1Loss": lambda loss: _regression(), "MAELoss": lambda loss: _regression(),
    "L1LossExt": lambda loss: _regression(), "HuberLoss": lambda loss: _regression(),
    # RMSELoss: sqrt of the MSE has no derivative at zero error (documented: nan, as MindSpore)
    "RMSELoss": lambda loss: _regression(zero_error_grad=False),
    "SoftMarginLoss": lambda loss: _signed(),
    "GaussianNLLLoss": lambda loss: _gaussian(),
    "PoissonNLLLoss": lambda loss: _counts(getattr(loss, "log_input", True)),
    "KLDivLoss": lambda loss: _log_probabilities(),
    "SoftmaxCrossEntropyWithLogits": lambda loss: (_class_logits() if getattr(loss, "sparse", False)
                                                   else _class_probabilities()),
    "BCELoss": lambda loss: _probabilities(),
    "BCEWithLogitsLoss": lambda loss: _binary_logits(),
    # with class weights 'mean' is a weighted mean, not sum / n
    "CrossEntropyLoss": lambda loss: _class_logits(mean_rule=getattr(loss, "weight", None) is None),
    "NLLLoss": lambda loss: _class_log_probabilities(mean_rule=getattr(loss, "weight", None) is None),
    "FocalLoss": lambda loss: _focal(),
    "SampledSoftmaxLoss": _sampled,
    "MultiLabelSoftMarginLoss": lambda loss: _multilabel(),
    "MultiMarginLoss": lambda loss: _class_logits(np.int64, name="multi_margin"),
    "MultilabelMarginLoss": lambda loss: _multilabel_margin(),
    "DiceLoss": lambda loss: _masks(),
    "MultiClassDiceLoss": lambda loss: _channel_masks(),
    "CosineEmbeddingLoss": lambda loss: _pairs(),
    "MarginRankingLoss": lambda loss: _ranking(),
    "HingeEmbeddingLoss": lambda loss: _hinge_pairs(),
    "TripletMarginLoss": lambda loss: _triplet(),
    "TripletMarginWithDistanceLoss": lambda loss: _triplet(),
    "CTCLoss": _ctc,
}

# kind= names: what each generates (and for which built-ins)
KINDS = {
    "regression": "logits and float labels (4, 3): L1Loss, MSELoss, SmoothL1Loss, HuberLoss, MAELoss, RMSELoss",
    "signed": "logits and +-1 labels (4, 3): SoftMarginLoss",
    "gaussian": "mean, target, variance (4, 3): GaussianNLLLoss",
    "counts": "log-rates and counts (4, 3): PoissonNLLLoss",
    "log_probabilities": "log-probabilities and target probabilities (4, 3): KLDivLoss",
    "class_logits": "logits (4, 3) and int32 class indices (4,): CrossEntropyLoss, "
                    "sparse SoftmaxCrossEntropyWithLogits",
    "multi_margin": "scores (4, 3) and int64 class indices (4,): MultiMarginLoss",
    "class_probabilities": "logits and target probabilities (4, 3): dense SoftmaxCrossEntropyWithLogits",
    "class_log_probabilities": "log-probabilities (4, 3) and int32 class indices (4,): NLLLoss",
    "focal": "logits (4, 3) and int32 class indices (4, 1): FocalLoss",
    "probabilities": "probabilities in (0, 1) and 0/1 targets (4, 3): BCELoss",
    "binary_logits": "logits and 0/1 targets (4, 3): BCEWithLogitsLoss",
    "multilabel": "logits and 0/1 targets (4, 3): MultiLabelSoftMarginLoss",
    "multilabel_margin": "scores (4, 3) and int32 class lists ended by -1: MultilabelMarginLoss",
    "masks": "probabilities and 0/1 masks (4, 3): DiceLoss",
    "channel_masks": "logits and one-hot masks (4, 3): MultiClassDiceLoss",
    "pairs": "x1, x2 (4, 3) and +-1 int32 labels (4,): CosineEmbeddingLoss",
    "ranking": "input1, input2 and +-1 targets (4,): MarginRankingLoss",
    "hinge_pairs": "distances and +-1 labels (4, 3): HingeEmbeddingLoss",
    "triplet": "anchor, positive, negative (4, 3): TripletMarginLoss, TripletMarginWithDistanceLoss",
    "ctc": "frame scores (6, 2, 4) (log_softmax is applied), targets, lengths: CTCLoss",
}
_KIND_FACTORIES = {
    "regression": _regression, "signed": _signed, "gaussian": _gaussian, "counts": _counts,
    "log_probabilities": _log_probabilities, "class_logits": _class_logits,
    "multi_margin": lambda: _class_logits(np.int64, name="multi_margin"),
    "class_probabilities": _class_probabilities, "class_log_probabilities": _class_log_probabilities,
    "focal": _focal, "probabilities": _probabilities, "binary_logits": _binary_logits, "multilabel": _multilabel,
    "multilabel_margin": _multilabel_margin, "masks": _masks, "channel_masks": _channel_masks, "pairs": _pairs,
    "ranking": _ranking, "hinge_pairs": _hinge_pairs, "triplet": _triplet, "ctc": _ctc,
}

# Constructor arguments for the built-ins that need some (builtin_loss, and a reference given by name).
_EXAMPLES = {
    "SampledSoftmaxLoss": lambda: dict(
        num_sampled=3, num_classes=8,
        sampled_values=(Tensor(np.array([1, 4, 6], np.int64)), Tensor(np.full((1, 1), 0.375, np.float64)),
                        Tensor(np.full(3, 0.375, np.float64)))),
}


def builtin_loss(name, **kwargs):
    """A built-in loss by class name, with example constructor arguments where it needs some.

    >>> builtin_loss("SampledSoftmaxLoss").num_classes
    8
    """
    from .nn import loss as builtins
    cls = getattr(builtins, name)
    return cls(**{**(_EXAMPLES[name]() if name in _EXAMPLES else {}), **kwargs})


def _builtin_class(loss):
    """The built-in loss class that ``loss`` is (or derives from), by name; None for other losses."""
    from .nn import loss as builtins
    cls = loss if isinstance(loss, type) else type(loss)
    for klass in cls.__mro__:
        if klass.__module__.startswith("lossviz.nn.loss") and klass.__name__ in builtins.__all__ \
                and klass.__name__ != "LossBase":
            return klass
    return None


def _kind_of(loss):
    """The input kind of a loss (a built-in, or a class derived from one); raises NoInputGenerator."""
    klass = _builtin_class(loss)
    if klass is None:
        return None
    if klass.__name__ not in _BUILTINS:
        raise NoInputGenerator(f"no input generator for {klass.__name__}: pass inputs=... (a callable rng -> tuple "
                               f"of Tensors) or kind=... (one of {', '.join(KINDS)})")
    return _BUILTINS[klass.__name__](loss)


# ----------------------------------------------------------------------------------------------------------
# A loss as the doctor sees it: a private copy, and the same loss built with each reduction
# ----------------------------------------------------------------------------------------------------------
def _loss_name(loss):
    if isinstance(loss, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
        return getattr(loss, "__qualname__", getattr(loss, "__name__", "function"))
    return type(loss).__name__


_DOC_DEFAULT = [
    r"default\s+reduction\s*=\s*['\"](\w+)['\"]",
    r"defaults?\b(?:[^\n]|\n(?!\s*\n)){0,80}?\breduction\s*=\s*['\"](\w+)['\"]",
    r"reduction\s*=\s*['\"](\w+)['\"]\s*\((?:the\s+)?default\)",
    r"['\"](mean|sum|none)['\"]\s*\((?:the\s+)?default\b",
    r"['\"](mean|sum|none)['\"]\s+(?:by\s+)?default\b",
]


def _documented_reduction(cls):
    """The default reduction the class's own docstring states, or None (not stated, or stated ambiguously)."""
    doc = cls.__dict__.get("__doc__") or ""
    found = {m.group(1) for pattern in _DOC_DEFAULT for m in re.finditer(pattern, doc, re.IGNORECASE)}
    return found.pop() if len(found) == 1 else None


class _Family:
    """``main``: a private copy of the loss; ``variants``: new instances with reduction 'none', 'mean', 'sum'."""

    def __init__(self, loss):
        self.name = _loss_name(loss)
        self.is_function = isinstance(loss, (types.FunctionType, types.MethodType, types.BuiltinFunctionType))
        self.main, self.copied = self._private_copy(loss)
        reduction = getattr(loss, "reduction", None)
        self.reduction = reduction if isinstance(reduction, str) else None
        self.variants, self.same, self.note, self.default = {}, None, "", None
        self.ignored = {}          # reduction asked -> reduction the rebuilt instance has
        self.accepts64 = None
        if not self.is_function:
            self._build_variants(loss)

    @staticmethod
    def _private_copy(loss):
        if isinstance(loss, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
            return loss, True
        try:
            return copy.deepcopy(loss), True
        except Exception:          # noqa: BLE001 - an object that can't be copied: run it as it is
            return loss, False

    def _build_variants(self, loss):
        cls = type(loss)
        if self.reduction is None:
            self.note = f"{self.name} has no 'reduction' attribute: only its own output is checked"
            return
        try:
            parameters = list(inspect.signature(cls).parameters.values())
        except (TypeError, ValueError):
            self.note = f"the signature of {self.name}() can't be read: only the given instance is checked"
            return
        if "reduction" not in [p.name for p in parameters]:
            self.note = f"{self.name}() takes no 'reduction': only its own output is checked"
            return
        self.default = next(p.default for p in parameters if p.name == "reduction")
        args, kwargs = [], {}
        for p in parameters:
            if p.name == "reduction" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.name in getattr(loss, "__dict__", {}):
                value = getattr(loss, p.name)
            elif p.default is not p.empty:
                continue            # left at its default
            else:
                self.note = (f"{self.name}'s argument '{p.name}' is not kept as an attribute of that name, so no copy "
                             f"with another reduction can be built: only the given instance is checked")
                return
            if p.kind == p.POSITIONAL_ONLY:
                args.append(value)
            else:
                kwargs[p.name] = value
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.same = cls(*args, **kwargs, reduction=self.reduction)
                for r in REDUCTIONS:
                    try:
                        variant = cls(*args, **kwargs, reduction=r)
                    except Exception:          # noqa: BLE001 - this reduction is refused: not checked
                        continue
                    self.variants[r] = variant
                    if isinstance(getattr(variant, "reduction", r), str) and variant.reduction != r:
                        self.ignored[r] = variant.reduction
        except Exception as error:             # noqa: BLE001
            self.variants, self.same = {}, None
            self.note = (f"{self.name}(...) can't be rebuilt ({type(error).__name__}: {_message(error)}): only the "
                         f"given instance is checked")

    def drop_variants(self, why):
        self.variants, self.same, self.note = {}, None, why

    def for_reduction(self, reduction):
        """The instance with that reduction: a rebuilt variant, or the copy when it has it."""
        if reduction in self.variants:
            return self.variants[reduction]
        return self.main if reduction == self.reduction or reduction is None else None


# ----------------------------------------------------------------------------------------------------------
# Running a loss
# ----------------------------------------------------------------------------------------------------------
class _Stop(Exception):
    """The remaining checks can't run (the loss does not run at all)."""


def _tensors(arrays, kind):
    tensors = [Tensor(a) for a in arrays]
    return kind.transform(tensors) if kind.transform else tensors


def _call(fn, arrays, kind):
    return fn(*_tensors(arrays, kind))


def _array(out):
    """The loss's output as a numpy array (TypeError when it is not a number-like thing)."""
    if isinstance(out, Tensor):
        return out.asnumpy()
    if isinstance(out, (np.ndarray, np.generic, int, float)):
        return np.asarray(out)
    raise TypeError(f"the loss returned {type(out).__name__}")


def _value(fn, arrays, kind):
    """(output array, None) or (None, the exception)."""
    try:
        return _array(_call(fn, arrays, kind)), None
    except Exception as error:              # noqa: BLE001 - the learner's loss may raise anything
        return None, error


def _grads(fn, arrays, kind, positions):
    """(output array, [gradient arrays], graph broken?) of sum(fn) w.r.t. the inputs at ``positions``."""
    def wrapped(*tensors):
        return fn(*(kind.transform(list(tensors)) if kind.transform else tensors))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out, grads = value_and_grad(wrapped, grad_position=tuple(positions))(*[Tensor(a) for a in arrays])
    broken = any("does not depend on the inputs" in str(w.message) for w in caught)
    return _array(out), [g.asnumpy() for g in grads], broken


def _numeric_grad(fn, arrays, kind, position, eps=None):
    """Central differences of sum(fn) w.r.t. every element of ``arrays[position]`` (eps by its dtype)."""
    arrays = [a.copy() for a in arrays]
    x = arrays[position]
    flat = x.reshape(-1)
    if eps is None:
        eps = 1e-3 if x.dtype != _F64 else 1e-6
    grad = np.zeros(x.size)
    for i in range(flat.size):
        saved = float(flat[i])
        step = eps * max(1.0, abs(saved))
        flat[i] = saved + step
        up, plus = float(flat[i]), float(np.sum(_array(_call(fn, arrays, kind)), dtype=np.float64))
        flat[i] = saved - step
        down, minus = float(flat[i]), float(np.sum(_array(_call(fn, arrays, kind)), dtype=np.float64))
        flat[i] = saved
        grad[i] = (plus - minus) / (up - down)
    return grad.reshape(x.shape)


def _close(got, want, dtype):
    """Elementwise closeness with a tolerance for the dtype the values were computed in."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    rtol, atol = (1e-6, 1e-9) if dtype == _F64 else (2e-4, 1e-6)
    scale = max(float(np.max(np.abs(want[np.isfinite(want)]), initial=0.0)), 1e-3)
    both_nan = np.isnan(got) & np.isnan(want)
    same_inf = np.isinf(got) & np.isinf(want) & (np.sign(got) == np.sign(want))
    with np.errstate(invalid="ignore"):
        return both_nan | same_inf | (np.abs(got - want) <= atol * scale + rtol * np.abs(want))


def _fmt(x):
    return f"{float(x) + 0.0:.4g}"


def _shape(shape):
    return str(tuple(int(s) for s in shape))


def _axis_sizes(arrays, names):
    """{size: 'axis a of name'} for the axes of the first input (whose sizes are distinct: N=4, C=3)."""
    first = arrays[0]
    name = names[0] if names else "the first input"
    return {int(size): (axis, f"axis {axis} of '{name}'") for axis, size in enumerate(first.shape) if size > 1}


def _removed_axes(full, sub):
    """The axes of ``full`` whose removal gives ``sub``, or None."""
    full, sub = tuple(full), tuple(sub)
    if len(sub) >= len(full):
        return None
    for axes in _axis_subsets(len(full), len(full) - len(sub)):
        if tuple(s for i, s in enumerate(full) if i not in axes) == sub:
            return axes
    return None


def _axis_subsets(n, k):
    from itertools import combinations
    return [set(c) for c in combinations(range(n), k)]


# ----------------------------------------------------------------------------------------------------------
# Diagnoses
# ----------------------------------------------------------------------------------------------------------
_HINTS = {
    "missing_half": "check the constant factors against the documented formula (e.g. the 0.5 in 0.5 * d**2 / beta)",
    "extra_half": "check the constant factors against the documented formula: there is a 0.5 too many",
    "wrong_sign": "a loss to minimise is the negative log-likelihood (-log p) or a distance: check the sign of "
                  "each term",
    "wrong_axis": "reduce over the axis the formula names (a cross-entropy sums over the class axis 1 for each "
                  "sample; 'mean' averages over every element: self.get_loss(x) does it)",
    "scaled": "compare each constant and normalisation with the documented formula",
    "mean_is_sum": "'mean' is the sum divided by the number of elements: ops.mean(x) over all axes, or "
                   "self.get_loss(x)",
    "mean_divisor": "'mean' divides by the number of elements of the unreduced loss (every axis), not by one axis: "
                    "self.get_loss(x) does it",
    "sum_is_mean": "'sum' adds up the unreduced losses: ops.sum(x), or self.get_loss(x)",
    "no_reduction": "end construct with `return self.get_loss(x)`: it applies 'mean' / 'sum' / 'none'",
    "none_scalar": "for reduction='none' return the loss of each element as it is; let self.get_loss(x) decide "
                   "(it reduces only for 'mean' and 'sum')",
    "reduction_ignored": "pass the argument on: super().__init__(reduction)",
    "default_reduction": "make the constructor's default reduction the one the docstring states (or fix the docstring)",
    "shape": "compare the output shape with the reference's for each reduction",
    "values": "compare the formula term by term with the reference's documentation",
    "graph_broken": "compute the loss with lossviz ops and Tensor operators (ops.log, ops.exp, x * y ...) on the "
                    "Tensors themselves: .asnumpy() and np.* give plain numbers that lossviz can't differentiate",
    "not_a_tensor": "return the lossviz Tensor that the ops computed (not .asnumpy(), float() or a numpy result)",
    "gradient_blocked": "remove stop_gradient / detach() (and Tensors rebuilt from .asnumpy()) on the path from "
                        "this input to the loss: the gradient must flow through every term",
    "gradient": "the gradient must be the derivative of the value: look for a custom backward or a cut graph",
    "integer_output": "keep the loss float: don't cast it to an int, and cast integer labels to float32 before "
                      "the arithmetic (ops.cast(labels, lossviz.float32))",
    "dtype": "keep float32 in float32: a float64 constant (np.array(0.5), np.log(2)) or a Tensor made from float64 "
             "numpy promotes the loss; use Python floats or np.float32",
    "broadcast": "let the shapes broadcast as numpy does (align the trailing axes): don't reshape or expand_dims the "
                 "labels; or refuse the shapes with a clear error, as the reference does",
    "raises": "check what the loss expects against the inputs of this kind (dtypes, shapes, label values)",
    "nonfinite": "look for a log of 0, a division by 0 or an overflowing exp on ordinary inputs",
    "random": "a loss must be a function of its inputs: fix any random sampling (e.g. sampled_values=...) to check it",
}


def _ratio_diagnosis(got, want, arrays, names, dtype, what="the reference", gradient=False):
    """(code, sentence) explaining how ``got`` differs from ``want`` (same shape), elementwise."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    bad = ~(_grad_close(got, want, dtype) if gradient else _close(got, want, dtype))
    n_bad, n = int(bad.sum()), got.size
    where = "all" if n_bad == n else f"{n_bad} of"
    elements = f" on {where} {n} element{'s' * (n != 1)}" if n > 1 else ""
    with np.errstate(all="ignore"):
        ratios = got[bad] / want[bad]
    ratios = ratios[np.isfinite(ratios)]
    if ratios.size == n_bad and n_bad and np.allclose(ratios, ratios[0], rtol=1e-3):
        k = float(ratios[0])
        lead = f"{_fmt(k)} x {what}{elements}"
        if k == 0 and gradient:
            return "gradient_blocked", (f"0{elements} where {what} is not: the path from this input to the loss "
                                        f"is cut.")
        if abs(k - 2) < 2e-3:
            return "missing_half", f"{lead}: a factor 1/2 is missing{' there' if n_bad < n else ''}."
        if abs(k - 0.5) < 1e-3:
            return "extra_half", f"{lead}: an extra factor 1/2."
        if abs(k + 1) < 1e-3:
            return "wrong_sign", f"the opposite sign of {what}{elements}: a minus sign is missing or extra."
        sizes = _axis_sizes(arrays, names)
        for size, (axis, label) in sizes.items():
            who = what.removesuffix("'s")          # "the reference's" (gradient) -> "the reference sums"
            if abs(k - 1 / size) < 1e-3 * (1 / size):
                return "wrong_axis", (f"1/{size} of {what} ({size} = the size of {label}): it averages over that axis "
                                      f"where {who} sums over it.")
            if abs(k - size) < 1e-3 * size:
                return "wrong_axis", (f"{size} x {what} ({size} = the size of {label}): it sums over that axis "
                                      f"where {who} averages over it.")
        total = arrays[0].size
        if abs(k - total) < 1e-3 * total:
            return "mean_is_sum", f"{lead} ({total} = the number of elements): it sums where {what} averages."
        if abs(k - 1 / total) < 1e-3 / total:
            return "sum_is_mean", f"{lead} (1/{total}): it averages where {what} sums."
        if n == 1:        # one number: its ratio to the reference says nothing of a constant factor
            return "values", f"{_fmt(got.reshape(-1)[0])} instead of {_fmt(want.reshape(-1)[0])} ({lead})."
        return "scaled", f"{lead}: a constant factor differs."
    i = int(np.flatnonzero(bad.reshape(-1))[0])
    err = np.abs(got - want)[bad]
    index = tuple(int(j) for j in np.unravel_index(i, got.shape))
    return "values", (f"differs from {what}{elements} (largest difference {_fmt(err.max())}); first at index "
                      f"{index}: {_fmt(got.reshape(-1)[i])} instead of {_fmt(want.reshape(-1)[i])}.")


def _where(arrays, names, index):
    """'at logits = 100, labels = 1' for an element index of the first input's shape."""
    parts = []
    for name, a in zip(names, arrays):
        if a.shape == arrays[0].shape and a.size:
            parts.append(f"{name} = {_fmt(a[index])}")
    return ", first at " + ", ".join(parts) if parts else ""


# ----------------------------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------------------------
class _Doctor:
    def __init__(self, loss, reference, kind, inputs, seed):
        self.loss, self.reference_arg, self.kind_arg, self.inputs, self.seed = loss, reference, kind, inputs, seed
        self.report = LossReport(_loss_name(loss))
        self.subject = self.reference = self.kind = None
        self.out32 = None
        self.skip_grads = ""        # why the gradient checks can't run
        self.integer = self.not_tensor = self.graph_broken = False

    def rng(self, stream):
        return np.random.default_rng([self.seed, stream])

    @property
    def names(self):
        return list(self.kind.names)

    def name(self, position):
        names = self.kind.names
        return names[position] if position < len(names) else f"input {position}"

    # ----- the plan -----
    def run(self):
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if self.resolve():
                    for step in (self.check_runs, self.check_dtype, self.check_reductions, self.check_gradients,
                                 self.check_extremes, self.check_reference, self.check_broadcasting):
                        try:
                            step()
                        except _Stop:
                            break
                        except Exception as error:      # noqa: BLE001 - never crash on a learner's loss
                            self.report.add(step.__name__.replace("check_", ""), False,
                                            f"the check stopped on {type(error).__name__}: {_message(error)}.",
                                            _HINTS["raises"], "raises")
        finally:
            self.report.seconds = time.perf_counter() - start
        return self.report

    def resolve(self):
        report = self.report
        reference = self.reference_arg
        if isinstance(reference, str):
            reference = builtin_loss(reference)
        elif isinstance(reference, type):           # a class: the built-in with example arguments, or Class()
            builtin = _builtin_class(reference)
            reference = builtin_loss(reference.__name__) if builtin is reference else reference()
        self.subject = _Family(self.loss)
        self.reference = _Family(reference) if reference is not None else None
        if self.reference is not None:
            report.reference_name = self.reference.name
        try:
            if isinstance(self.kind_arg, _Kind):
                kind = self.kind_arg
            elif self.kind_arg is not None:
                if self.kind_arg not in _KIND_FACTORIES:
                    raise ValueError(f"check_loss: kind must be one of {sorted(KINDS)}, but got {self.kind_arg!r}.")
                kind = _KIND_FACTORIES[self.kind_arg]()
            elif reference is not None and _builtin_class(reference) is not None:
                kind = _kind_of(reference)
            else:
                kind = _kind_of(self.loss)
        except NoInputGenerator as missing:
            if self.inputs is None:
                report.add("inputs", False, str(missing), "pass inputs=lambda rng: (Tensor(...), ...) with valid "
                           "inputs for this loss", "no_generator")
                return False
            kind = None
        if self.inputs is not None:
            kind = _custom(self.inputs, kind)
        if kind is None:
            report.add("inputs", False,
                       f"can't tell which inputs {self.subject.name} takes: it is not a built-in loss and no reference "
                       f"is given.", f"pass reference=<the built-in loss it should match>, kind= (one of "
                       f"{', '.join(KINDS)}) or inputs=lambda rng: (Tensor(...), ...)", "no_generator")
            return False
        self.kind = kind
        report.kind = kind.name
        return True

    # ----- runs -----
    def check_runs(self):
        kind, report = self.kind, self.report
        arrays = kind.arrays(self.rng(0), _F32)
        self.arrays32 = arrays
        if not kind.names:
            kind.names = tuple(f"input {i}" for i in range(len(arrays)))
        if kind.grad is None:
            kind.grad = tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "f")
        described = ", ".join(f"{name} {_shape(a.shape)} {a.dtype.name}" for name, a in zip(self.names, arrays))
        report.add("inputs", True, f"{kind.name}: {described}" + (" (log_softmax applied to the first)"
                                                                 if kind.transform else ""))
        try:
            out = _call(self.subject.main, arrays, kind)
        except Exception as error:        # noqa: BLE001
            report.add("runs", False,
                       f"raises {type(error).__name__} on ordinary {kind.name} inputs: {_message(error)}",
                       _HINTS["raises"], "raises")
            raise _Stop from None
        if not isinstance(out, Tensor):
            try:
                value = _array(out)
            except TypeError:
                report.add("runs", False, f"returns {type(out).__name__}, not a lossviz Tensor.",
                           _HINTS["not_a_tensor"], "not_a_tensor")
                raise _Stop from None
            report.add("runs", False, f"returns a {type(out).__name__}, not a lossviz Tensor: lossviz can't follow "
                       f"the computation back to the inputs (no gradient).", _HINTS["not_a_tensor"], "not_a_tensor")
            self.skip_grads = "the loss does not return a Tensor"
            self.not_tensor = True
            self.out32 = value
            return
        value = out.asnumpy()
        self.out32 = value
        repeats = [_value(self.subject.main, arrays, kind)[0] for _ in range(2)]
        if any(again is None or again.shape != value.shape or not np.array_equal(again, value, equal_nan=True)
               for again in repeats):
            report.add("runs", False, "two calls on the same inputs give different values: the loss is random, so "
                       "its gradient can't be checked by central differences.", _HINTS["random"], "random")
            self.skip_grads = "the loss gives different values on the same inputs"
            return
        if not np.all(np.isfinite(value)):
            report.add("runs", False, f"gives {_nonfinite(value)} on ordinary {kind.name} inputs.",
                       _HINTS["nonfinite"], "nonfinite")
            self.skip_grads = "the loss is not finite on ordinary inputs"
            return
        report.add("runs", True, f"returns a {value.dtype.name} Tensor of shape {_shape(value.shape)}; "
                                 f"two calls agree")

    # ----- dtype -----
    def check_dtype(self):
        kind, report, value = self.kind, self.report, self.out32
        if self.not_tensor:
            report.add("dtype", True, "not checked: the loss does not return a Tensor", skipped=True)
            return
        expected = _F32
        if self.reference is not None:
            ref_value, _ = _value(self.reference.main, self.arrays32, kind)
            if ref_value is not None:
                expected = ref_value.dtype
        arrays64 = kind.arrays(self.rng(0), _F64)
        out64, error64 = _value(self.subject.main, arrays64, kind)
        self.subject.accepts64 = out64 is not None and out64.dtype == _F64
        ref64 = None
        if self.reference is not None:
            ref64, _ = _value(self.reference.main, arrays64, kind)
            self.reference.accepts64 = ref64 is not None and ref64.dtype == _F64
        if value.dtype.kind in "iub":
            self.skip_grads = f"the loss is {value.dtype.name}"
            self.integer = True
            report.add("dtype", False, f"returns {value.dtype.name} for float32 inputs: the loss is truncated to whole "
                       f"numbers and carries no gradient.", _HINTS["integer_output"], "integer_output")
            return
        if value.dtype != expected:
            report.add("dtype", False, f"returns {value.dtype.name} for float32 inputs, where "
                       f"{'the reference returns' if self.reference else 'a loss keeps'} {expected.name}.",
                       _HINTS["dtype"], "dtype")
            return
        if self.reference is not None and ref64 is not None and ref64.dtype == _F64 and out64 is not None \
                and out64.dtype != _F64:
            report.add("dtype", False, f"returns {out64.dtype.name} for float64 inputs, where the reference keeps "
                       f"float64.", _HINTS["dtype"], "dtype")
            return
        if out64 is None:
            about64 = f"refuses float64 ({type(error64).__name__}), so gradients are checked in float32"
        else:
            about64 = f"float64 in, {out64.dtype.name} out"
        report.add("dtype", True, f"float32 in, {value.dtype.name} out; {about64}")

    # ----- reductions -----
    def check_reductions(self):
        kind, report, subject, reference = self.kind, self.report, self.subject, self.reference
        dtype = _F64 if subject.accepts64 and (reference is None or reference.accepts64) else _F32
        arrays = kind.arrays(self.rng(2), dtype)
        if subject.same is not None:
            own, _ = _value(subject.main, arrays, kind)
            rebuilt, _ = _value(subject.same, arrays, kind)
            if own is None or rebuilt is None or own.shape != rebuilt.shape or not np.all(_close(rebuilt, own, dtype)):
                subject.drop_variants(f"{subject.name}(..., reduction='{subject.reduction}') rebuilt from its "
                                      f"attributes "
                                      f"does not reproduce the given instance: only the instance itself is checked")
        for r, actual in subject.ignored.items():
            report.add(f"reduction '{r}'", False, f"{subject.name}(reduction='{r}').reduction is '{actual}': the "
                       f"constructor does not pass its reduction on.", _HINTS["reduction_ignored"], "reduction_ignored")
        if not subject.variants:
            self._check_own_reduction(arrays, dtype)
            return
        outs, shapes_ok = {}, {}
        for r in REDUCTIONS:
            if r not in subject.variants:
                continue
            outs[r], error = _value(subject.variants[r], arrays, kind)
            if error is not None:
                report.add(f"reduction '{r}'", False,
                           f"with reduction='{r}' it raises {type(error).__name__}: {_message(error)}",
                           _HINTS["raises"], "raises")
        ref_outs = {}
        if reference is not None:
            for r in REDUCTIONS:
                fn = reference.for_reduction(r)
                if fn is not None:
                    ref_outs[r], _ = _value(fn, arrays, kind)
        none_shape = None
        if "none" in ref_outs and ref_outs["none"] is not None:
            none_shape = ref_outs["none"].shape
        elif kind.none_shape is not None and reference is None:
            none_shape = tuple(kind.none_shape(arrays))
        base = arrays[0].shape
        if outs.get("none") is not None and "none" not in subject.ignored:
            got = outs["none"].shape
            if none_shape is None or got == none_shape:
                shapes_ok["none"] = True
                report.add("reduction 'none'", True, f"shape {_shape(got)}, one loss per "
                           f"{'element' if got == base else 'sample'}"
                           + ("" if none_shape is not None else " (no expected shape known)"))
            else:
                code, sentence = self._shape_diagnosis("none", got, none_shape, base)
                report.add("reduction 'none'", False, sentence, _HINTS[code], code)
        for r in ("mean", "sum"):
            if outs.get(r) is None or r in subject.ignored:
                continue
            got = outs[r].shape
            want = ref_outs[r].shape if ref_outs.get(r) is not None else ()
            if got != want:
                code, sentence = self._shape_diagnosis(r, got, want, base, none=outs.get("none"))
                report.add(f"reduction '{r}'", False, sentence, _HINTS[code], code)
                continue
            shapes_ok[r] = True
            report.add(f"reduction '{r}'", *self._relation(r, outs, ref_outs, shapes_ok, arrays, dtype))
        self._check_default()

    def _relation(self, r, outs, ref_outs, shapes_ok, arrays, dtype):
        """(passed, detail, hint, code) for 'mean' = sum / n and 'sum' = sum of 'none'."""
        if not shapes_ok.get("none"):
            return True, "a scalar (its value is not compared with 'none', whose shape is wrong)", "", ""
        if self.integer:
            return True, "a scalar (not compared with 'none': the loss is an integer, see dtype)", "", ""
        none = outs["none"].astype(np.float64)
        n = none.size
        expected = none.sum() if r == "sum" else none.sum() / max(n, 1)
        rule = self.kind.mean_rule or r == "sum"
        if self.reference is not None:
            ref_none, ref_r = ref_outs.get("none"), ref_outs.get(r)
            rule = ref_none is not None and ref_r is not None and bool(np.all(_close(
                ref_r, ref_none.astype(np.float64).sum() / (max(ref_none.size, 1) if r == "mean" else 1), dtype)))
        if not rule:
            return True, f"a scalar ('{r}' is not a plain {'sum' if r == 'sum' else 'mean'} of 'none' for this loss)", \
                "", ""
        got = float(outs[r])
        if _close(got, expected, dtype):
            relation = "the sum of 'none'" if r == "sum" else f"'sum' / {n}"
            return True, f"a scalar, = {relation}", "", ""
        ratio = got / expected if expected else np.inf
        if r == "mean":
            if abs(ratio - n) < 1e-3 * n:
                return False, f"'mean' returns the sum ({_fmt(got)}) instead of the sum / {n}.", \
                    _HINTS["mean_is_sum"], "mean_is_sum"
            for size, (axis, label) in _axis_sizes(arrays, self.names).items():
                if abs(ratio - n / size) < 1e-3 * n / size:
                    return False, (f"'mean' divides the sum by {size} (the size of {label}) instead of by all {n} "
                                   f"elements."), _HINTS["mean_divisor"], "mean_divisor"
        elif abs(ratio - 1 / n) < 1e-3 / n:
            return False, f"'sum' returns the mean ({_fmt(got)}) instead of the sum of the {n} losses.", \
                _HINTS["sum_is_mean"], "sum_is_mean"
        what = "the sum of 'none'" if r == "sum" else f"'sum' / {n} = {_fmt(expected)}"
        return False, f"'{r}' gives {_fmt(got)}, not {what}.", _HINTS["values"], "values"

    def _shape_diagnosis(self, r, got, want, base, none=None):
        got, want = tuple(got), tuple(want)
        if r == "none" and got == () and want != ():
            return "none_scalar", (f"reduction='none' returns a scalar where one loss per element is expected, shape "
                                   f"{_shape(want)}: the loss is reduced anyway.")
        if r != "none" and want == () and (got == tuple(base) or (none is not None and got == none.shape)):
            return "no_reduction", (f"reduction='{r}' returns shape {_shape(got)}, the unreduced loss, instead of a "
                                    f"scalar: the reduction is never applied.")
        removed_got, removed_want = _removed_axes(base, got), _removed_axes(base, want)
        sizes = dict(enumerate(base))
        if removed_got is not None and (removed_want is not None or want == ()):
            kept = sorted(set(range(len(base))) - removed_got)
            if want == ():
                return "wrong_axis", (f"reduction='{r}' returns shape {_shape(got)} instead of a scalar: it reduces "
                                      f"only "
                                      f"axis {_axes(removed_got, sizes)} and keeps axis {_axes(kept, sizes)}.")
            return "wrong_axis", (f"reduction='{r}' gives shape {_shape(got)} where {_shape(want)} is expected: it "
                                  f"reduces axis {_axes(removed_got, sizes)} of '{self.name(0)}' {_shape(base)} "
                                  f"instead of axis {_axes(removed_want, sizes)}.")
        return "shape", f"reduction='{r}' gives shape {_shape(got)} where {_shape(want)} is expected."

    def _check_own_reduction(self, arrays, dtype):
        subject, reference, report = self.subject, self.reference, self.report
        out, error = _value(subject.main, arrays, self.kind)
        if out is None:
            return
        r = subject.reduction
        if reference is not None:
            fn = reference.for_reduction(r) or reference.main
            want, _ = _value(fn, arrays, self.kind)
            want = None if want is None else want.shape
        elif r == "none" and self.kind.none_shape is not None:
            want = tuple(self.kind.none_shape(arrays))
        elif r in ("mean", "sum") or r is None:
            want = ()
        else:
            want = None
        label = f"output (reduction '{r}')" if r else "output shape"
        note = subject.note or f"{subject.name} is a function: its output is checked as it is"
        if want is None or out.shape == tuple(want):
            report.add(label, True, f"shape {_shape(out.shape)}; {note}")
        else:
            code, sentence = self._shape_diagnosis(r or "mean", out.shape, want, arrays[0].shape)
            report.add(label, False, sentence, _HINTS[code], code)

    def _check_default(self):
        subject, reference, report = self.subject, self.reference, self.report
        if subject.default is None:
            return
        cls = type(self.loss)
        documented = _documented_reduction(cls)
        ref_default = reference.default if reference is not None else None
        detail = f"reduction='{subject.default}'"
        if documented is not None and documented != subject.default:
            report.add("default reduction", False, f"the docstring says the default reduction is '{documented}', but "
                       f"{subject.name}() uses '{subject.default}'.", _HINTS["default_reduction"],
                       "default_reduction")
            return
        detail += ", as documented" if documented else " (the docstring does not state it)"
        if ref_default is not None and ref_default != subject.default:
            detail += f"; the reference's default is '{ref_default}'"
        report.add("default reduction", True, detail)

    # ----- gradients -----
    def check_gradients(self):
        kind, report, subject = self.kind, self.report, self.subject
        positions = [p for p in kind.grad if p < len(self.arrays32) and self.arrays32[p].dtype.kind == "f"]
        if self.skip_grads:
            report.add("gradients", True, f"not checked: {self.skip_grads}.", skipped=True)
            return
        dtype = _F64 if subject.accepts64 else _F32
        arrays = kind.arrays(self.rng(1), dtype)
        precision = "(float64)" if dtype == _F64 else "(float32: the loss refuses float64)"
        try:
            out, grads, broken = _grads(subject.main, arrays, kind, positions)
        except Exception as error:          # noqa: BLE001
            report.add("gradients", False, f"lossviz.grad fails: {type(error).__name__}: {_message(error)}",
                       _HINTS["graph_broken"], "graph_broken")
            return
        numeric = [_numeric_grad(subject.main, arrays, kind, p) for p in positions]
        if broken and not all(np.all(g == 0) for g in numeric):
            self.graph_broken = True
            report.add("gradients", False, "every gradient is 0 and lossviz.grad warns that the output does not depend "
                       "on the inputs: the graph was broken before the loss was computed (.asnumpy() or a numpy call), "
                       "although the loss does change with them.", _HINTS["graph_broken"], "graph_broken")
            return
        for p, g, fd in zip(positions, grads, numeric):
            name = self.name(p)
            check = f"gradient of '{name}'"
            if g.shape != arrays[p].shape:
                report.add(check, False, f"has shape {_shape(g.shape)}, not the input's {_shape(arrays[p].shape)}.",
                           _HINTS["gradient"], "gradient")
                continue
            ok = _grad_close(g, fd, dtype)
            note = ""
            if not np.all(ok) and dtype == _F64:
                # float64 in, float32 arithmetic inside (CTCLoss's 'mean'): a wider step and float32's tolerance
                wide = _numeric_grad(subject.main, arrays, kind, p, eps=1e-3)
                if np.all(_grad_close(g, wide, _F32)):
                    ok, fd, note = np.ones(g.shape, bool), wide, ", with a step of 1e-3 (it computes in float32 inside)"
            fd_scale = float(np.max(np.abs(fd)))
            if np.all(ok):
                report.add(check, True, f"matches central differences on all {g.size} elements {precision}"
                                        + (", 0 everywhere" if fd_scale == 0 else "") + note)
            elif np.all(g == 0):
                report.add(check, False, f"is exactly 0 everywhere, yet the loss changes when '{name}' moves (central "
                           f"differences up to {_fmt(fd_scale)}): the path from '{name}' to the loss is cut.",
                           _HINTS["gradient_blocked"], "gradient_blocked")
            else:
                bad = ~ok
                i = np.unravel_index(int(np.flatnonzero(bad.reshape(-1))[0]), g.shape)
                report.add(check, False, f"differs from central differences on {int(bad.sum())} of {g.size} elements "
                           f"(at {tuple(int(j) for j in i)}: {_fmt(g[i])} instead of {_fmt(fd[i])}) though the value "
                           f"is the loss's own: part of the path from '{name}' to the loss is cut (stop_gradient, "
                           f"detach(), or a value rebuilt from .asnumpy()).",
                           _HINTS["gradient_blocked"], "gradient_blocked")
        for p, why in sorted(kind.fixed.items()):
            if p < len(arrays):
                report.add(f"gradient of '{self.name(p)}'", True, f"not checked: {why}", skipped=True)

    # ----- extremes -----
    def check_extremes(self):
        kind, report = self.kind, self.report
        if not kind.extremes:
            return
        fn, ref_fn = self._elementwise_pair()
        positions = [p for p in kind.grad if p < len(self.arrays32) and self.arrays32[p].dtype.kind == "f"]
        for case in kind.extremes:
            arrays = case.make(_F32)
            check = f"extremes: {case.about}"
            got = _probe(fn, arrays, kind, positions, grads=not self.skip_grads)
            expect_value, expect_grad = case.value, case.grad
            if ref_fn is not None:
                ref = _probe(ref_fn, arrays, kind, positions, grads=True)
                if isinstance(ref, Exception):
                    if isinstance(got, Exception):
                        report.add(check, True, f"not checked: the reference refuses these inputs too "
                                                f"({type(ref).__name__})", skipped=True)
                        continue
                    expect_value = expect_grad = False
                else:
                    expect_value = expect_value and bool(np.all(np.isfinite(ref[0])))
                    expect_grad = expect_grad and ref[1] is not None and all(np.all(np.isfinite(g)) for g in ref[1])
            if isinstance(got, Exception):
                if ref_fn is not None and (expect_value or expect_grad):
                    report.add(check, False, f"raises {type(got).__name__} where the reference computes the loss: "
                               f"{_message(got)}", _HINTS["raises"], "raises")
                else:
                    report.add(check, True, f"not checked: the loss refuses these inputs ({type(got).__name__}: "
                                            f"{_message(got)})", skipped=True)
                continue
            value, grads = got
            problem = None
            if expect_value and not np.all(np.isfinite(value)):
                index = tuple(int(j) for j in np.argwhere(~np.isfinite(value))[0]) if value.ndim else ()
                where = _where(arrays, self.names, index) if value.shape == arrays[0].shape else ""
                problem = f"gives {_nonfinite(value)} (the loss) for {case.about}{where}, where the loss is finite."
            elif expect_grad and grads is not None:
                for p, g in zip(positions, grads):
                    if not np.all(np.isfinite(g)):
                        index = tuple(int(j) for j in np.argwhere(~np.isfinite(g))[0])
                        where = _where(arrays, self.names, index) if g.shape == arrays[0].shape else ""
                        problem = (f"gives a {_nonfinite(g)} gradient of '{self.name(p)}' for {case.about}{where}, "
                                   f"where the gradient is finite.")
                        break
            if problem:
                report.add(check, False, problem, case.hint, "unstable")
            else:
                finite = "value and gradient finite" if expect_grad else "value finite"
                if not expect_value:
                    finite = "not expected finite here (the reference is not)"
                report.add(check, True, f"{finite}; loss {_summary(value)}")

    # ----- reference -----
    def check_reference(self):
        kind, report, subject, reference = self.kind, self.report, self.subject, self.reference
        if reference is None:
            report.add("reference", True, "not compared: no reference given (reference=<a built-in loss> compares "
                                          "values and gradients)", skipped=True)
            return
        dtype = _F64 if subject.accepts64 and reference.accepts64 else _F32
        pairs = [(r, subject.variants[r], reference.for_reduction(r)) for r in REDUCTIONS
                 if r in subject.variants and reference.for_reduction(r) is not None]
        if not pairs:
            pairs = [(subject.reduction, subject.main, reference.for_reduction(subject.reduction) or reference.main)]
        shape_failed = {row.check.split("'")[1] for row in report.failures if row.check.startswith("reduction '")}
        none_failed = False
        for r, fn, ref_fn in pairs:
            check = f"values vs {reference.name}" + (f" ('{r}')" if r else "")
            if r in shape_failed:
                report.add(check, True, f"not compared: the shape is already wrong (reduction '{r}')", skipped=True)
                continue
            if self.integer:
                report.add(check, True, "not compared: the loss is an integer (see dtype)", skipped=True)
                continue
            result = None
            for draw in range(3):
                arrays = kind.arrays(self.rng(10 + draw), dtype)
                got, error = _value(fn, arrays, kind)
                want, ref_error = _value(ref_fn, arrays, kind)
                if ref_error is not None:
                    result = (True, f"not compared: the reference raises {type(ref_error).__name__} on these inputs "
                                    f"({_message(ref_error)})", "", "", True)
                    break
                if error is not None:
                    result = (False, f"raises {type(error).__name__} where the reference computes: {_message(error)}",
                              _HINTS["raises"], "raises", False)
                    break
                if got.shape != want.shape:
                    result = (False, f"gives shape {_shape(got.shape)} where the reference gives {_shape(want.shape)}.",
                              _HINTS["shape"], "shape", False)
                    break
                if not np.all(_close(got, want, dtype)):
                    code, sentence = _ratio_diagnosis(got, want, arrays, self.names, dtype)
                    result = (False, sentence, _HINTS[code], code, False)
                    break
            if result is None:
                result = (True, f"equal on 3 random draws ({dtype.name}, shape {_shape(want.shape)})", "", "", False)
            passed, detail, hint, code, skipped = result
            if not passed and none_failed and code in ("scaled", "values"):
                detail = detail.rstrip(".") + "; the 'none' row shows which elements."
            none_failed = none_failed or (r == "none" and not passed)
            report.add(check, passed, detail, hint, code, skipped)
        self._check_reference_gradients(dtype)

    def _check_reference_gradients(self, dtype):
        kind, report, subject, reference = self.kind, self.report, self.subject, self.reference
        check = f"gradients vs {reference.name}"
        if self.skip_grads or self.graph_broken:
            why = self.skip_grads or "the graph is broken (see gradients)"
            report.add(check, True, f"not compared: {why}.", skipped=True)
            return
        positions = [p for p in kind.grad if p < len(self.arrays32) and self.arrays32[p].dtype.kind == "f"]
        ref_fn = reference.for_reduction(subject.reduction) or reference.main
        arrays = kind.arrays(self.rng(20), dtype)
        try:
            _, grads, _ = _grads(subject.main, arrays, kind, positions)
            _, ref_grads, _ = _grads(ref_fn, arrays, kind, positions)
        except Exception as error:        # noqa: BLE001
            report.add(check, True, f"not compared: {type(error).__name__}: {_message(error)}", skipped=True)
            return
        for p, g, want in zip(positions, grads, ref_grads):
            if g.shape == want.shape and np.all(_grad_close(g, want, dtype)):
                continue
            if g.shape != want.shape:
                report.add(check, False, f"the gradient of '{self.name(p)}' has shape {_shape(g.shape)}, the "
                           f"reference's {_shape(want.shape)}.", _HINTS["shape"], "shape")
                return
            code, sentence = _ratio_diagnosis(g, want, arrays, self.names, dtype, what="the reference's",
                                              gradient=True)
            report.add(check, False, f"gradient of '{self.name(p)}': {sentence}", _HINTS[code], code)
            return
        names = ", ".join(f"'{self.name(p)}'" for p in positions)
        report.add(check, True, f"the gradients of {names} agree ({dtype.name}, reduction '{subject.reduction}')")

    def _elementwise_pair(self):
        """(loss, reference) to run on hard or broadcast inputs: with reduction 'none' when it works (a
        failure then points at an element), else as given."""
        subject, reference = self.subject, self.reference
        none_failed = any(row.check == "reduction 'none'" for row in self.report.failures)
        if "none" in subject.variants and not none_failed:
            fn = subject.variants["none"]
            ref_fn = None if reference is None else (reference.for_reduction("none") or reference.main)
            return fn, ref_fn
        ref_fn = None if reference is None else (reference.for_reduction(subject.reduction) or reference.main)
        return subject.main, ref_fn

    # ----- broadcasting -----
    def check_broadcasting(self):
        kind, report = self.kind, self.report
        if not kind.broadcasts:
            return
        fn, ref_fn = self._elementwise_pair()
        for case in kind.broadcasts:
            check = f"broadcast: {case.about}"
            arrays, full = case.make(self.rng(30))
            arrays, full = _cast(arrays, _F32), _cast(full, _F32)
            got, error = _value(fn, arrays, kind)
            if ref_fn is not None:
                want, ref_error = _value(ref_fn, arrays, kind)
                if ref_error is not None:
                    detail = "refused, as by the reference" if error is not None else \
                        "accepted (the reference refuses these shapes)"
                    report.add(check, True, detail)
                elif error is not None:
                    report.add(check, False, f"the reference broadcasts these shapes to {_shape(want.shape)}; this "
                               f"loss raises {type(error).__name__}: {_message(error)}", _HINTS["broadcast"],
                               "broadcast")
                elif got.shape != want.shape:
                    report.add(check, False, f"gives shape {_shape(got.shape)} where the reference broadcasts to "
                               f"{_shape(want.shape)}.", _HINTS["broadcast"], "broadcast")
                else:
                    # the values themselves are the 'values vs' rows' business: here, that broadcasting changes
                    # nothing (these shapes give what the inputs written out in full give, as for the reference)
                    written, _ = _value(fn, full, kind)
                    if written is not None and written.shape == got.shape and not self.integer \
                            and not np.all(_close(got, written, _F32)):
                        _, sentence = _ratio_diagnosis(got, written, arrays, self.names, _F32,
                                                       what="the inputs written out in full")
                        report.add(check, False, f"broadcasts differently from the reference (which gives the same "
                                   f"as for the inputs written out in full): {sentence}", _HINTS["broadcast"],
                                   "broadcast")
                    else:
                        report.add(check, True, f"as the reference: shape {_shape(got.shape)}, the values of the "
                                                f"inputs written out in full")
                continue
            if error is not None:
                report.add(check, True, f"not checked: the loss refuses these shapes ({type(error).__name__})",
                           skipped=True)
                continue
            want, full_error = _value(fn, full, kind)
            if full_error is None and got.shape == want.shape and (self.integer or np.all(_close(got, want, _F32))):
                report.add(check, True, f"the same as the inputs written out in full (shape {_shape(got.shape)})")
            else:
                shown = f"shape {_shape(want.shape)}" if full_error is None else f"{type(full_error).__name__}"
                report.add(check, False, f"gives {_shape(got.shape)} for these shapes but {shown} for the same inputs "
                           f"written out in full: it does not broadcast as numpy does.", _HINTS["broadcast"],
                           "broadcast")


def _grad_close(got, want, dtype):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    rtol, atol = (1e-4, 1e-6) if dtype == _F64 else (2e-2, 5e-3)
    scale = max(float(np.max(np.abs(want), initial=0.0)), float(np.max(np.abs(got), initial=0.0)), 1e-6)
    return np.abs(got - want) <= atol * scale + rtol * np.abs(want)


def _probe(fn, arrays, kind, positions, grads=True):
    """(value, gradients or None) of fn at ``arrays``, or the exception it raised."""
    try:
        if grads and positions:
            out = _call(fn, arrays, kind)
            if isinstance(out, Tensor) and out.asnumpy().dtype.kind == "f":
                value, gradients, _ = _grads(fn, arrays, kind, positions)
                return value, gradients
            return _array(out), None
        return _array(_call(fn, arrays, kind)), None
    except Exception as error:        # noqa: BLE001
        return error


def _message(error):
    """An exception's message on one line."""
    return " ".join(str(error).split())


def _nonfinite(a):
    a = np.asarray(a)
    kinds = [name for name, mask in (("nan", np.isnan(a)), ("inf", np.isposinf(a)), ("-inf", np.isneginf(a)))
             if mask.any()]
    return " and ".join(kinds) or "non-finite values"


def _summary(value):
    value = np.asarray(value, np.float64)
    if value.size == 1:
        return _fmt(value.reshape(()))
    return f"in [{_fmt(value.min())}, {_fmt(value.max())}]"


def _axes(axes, sizes):
    axes = sorted(axes)
    return ", ".join(f"{a} (size {sizes[a]})" for a in axes)


def check_loss(loss, reference=None, *, kind=None, inputs=None, seed=0):
    """Check a loss (a Cell, a LossBase subclass or a function) on generated inputs; returns a ``LossReport``.

    * ``reference``: a built-in loss to compare with (an instance, its class or its name); it also tells
      which inputs to generate.
    * ``kind``: the kind of inputs when there is no reference, one of ``KINDS`` ('regression',
      'class_logits', 'probabilities', 'pairs', 'triplet', ...). A built-in loss (or a subclass of one)
      needs neither.
    * ``inputs``: a callable ``rng -> tuple of Tensors`` giving valid inputs, for a loss no kind fits
      (its float inputs are all differentiated).
    * ``seed``: the seed of the generated inputs.

    ``loss`` itself is never called or changed: the doctor runs a deep copy, and new instances of its
    class built with each reduction from the same constructor arguments (read back from its attributes).

    >>> import lossviz.nn as nn
    >>> report = check_loss(nn.BCEWithLogitsLoss())
    >>> report.ok, report.kind
    (True, 'binary_logits')
    >>> print(report.row("extremes: logits +-100").detail)
    value and gradient finite; loss in [0, 100]
    >>> check_loss(nn.CTCLoss()).ok
    True
    >>> print(check_loss(nn.SampledSoftmaxLoss(num_sampled=2, num_classes=5)).failures[0].detail)
    no input generator for SampledSoftmaxLoss with sampled_values=None: ... or pass inputs=...
    """
    return _Doctor(loss, reference, kind, inputs, seed).run()
