"""``check_loss`` (the loss doctor): it flags seeded bugs with the right diagnosis, and passes every built-in loss
(against itself, and against a version composed from plain ops) with no false alarm.

* ``BUGGY``: losses a learner might write, each with one bug; the doctor must fail them with the expected
  diagnosis code (and a sentence that says so).
* ``COMPOSED``: one loss per input kind (at least), written from plain ops as the tutorial teaches, checked
  against the fused built-in it reimplements.
* every name in ``lossviz.nn.loss.__all__`` is checked alone and against itself; a built-in without an input
  generator is skipped, and the list of those is printed.
"""
import re

import numpy as np
import pytest

import lossviz
import lossviz.nn as nn
import lossviz.nn.loss as builtin_losses
import lossviz.ops as ops
from lossviz import Tensor
from lossviz.doctor import KINDS, LossReport, NoInputGenerator, builtin_loss, check_loss

stop_gradient = getattr(ops, "stop_gradient", None) or (lambda t: t.detach())


def softplus(z):
    """ln(1 + e^z) without overflow: max(z, 0) + ln(1 + e^-|z|)."""
    return ops.relu(z) + ops.log(1 + ops.exp(-ops.abs(z)))


def one_hot(labels, num_classes, like):
    return ops.cast(ops.one_hot(labels, num_classes), like.dtype)


# ----------------------------------------------------------------------------------------------------------
# Seeded bugs
# ----------------------------------------------------------------------------------------------------------
class SmoothL1DroppedHalf(nn.LossBase):
    """Smooth L1 with d**2 / beta where the formula says 0.5 * d**2 / beta."""

    def __init__(self, beta=1.0, reduction="none"):
        super().__init__(reduction)
        self.beta = beta

    def construct(self, logits, labels):
        d = logits - labels
        ad = ops.abs(d)
        return self.get_loss(ops.select(ad < self.beta, d * d / self.beta, ad - 0.5 * self.beta))


class CrossEntropyWrongSign(nn.LossBase):
    """sum(y * log_softmax(x)): the log-likelihood, not its negative."""

    def construct(self, logits, labels):
        return self.get_loss(ops.sum(one_hot(labels, logits.shape[1], logits) * ops.log_softmax(logits), 1))


class CrossEntropyMeanOverClasses(nn.LossBase):
    """Averages over the class axis where the cross-entropy sums over it."""

    def construct(self, logits, labels):
        return self.get_loss(-ops.mean(one_hot(labels, logits.shape[1], logits) * ops.log_softmax(logits), 1))


class MultiLabelMeanOverBatch(nn.LossBase):
    """MultiLabelSoftMargin whose per-sample mean runs over axis 0 (the batch) instead of the classes."""

    def construct(self, x, target):
        term = target * softplus(-x) + (1 - target) * softplus(x)
        return self.get_loss(ops.mean(term, 0))


class L1ForgotReduction(nn.LossBase):
    def construct(self, logits, labels):
        return ops.abs(logits - labels)                      # no self.get_loss


class BCEWithLogitsUnstable(nn.LossBase):
    """log(sigmoid(x)) and log(1 - sigmoid(x)): -inf once the sigmoid saturates."""

    def construct(self, logits, labels):
        p = ops.sigmoid(logits)
        return self.get_loss(-(labels * ops.log(p) + (1 - labels) * ops.log(1 - p)))


class BCENaiveLog(nn.LossBase):
    """y log p + (1 - y) log(1 - p) without the epsilon: 0 * log 0 = nan at perfect predictions."""

    def __init__(self, reduction="none"):
        super().__init__(reduction)

    def construct(self, logits, labels):
        return self.get_loss(-(labels * ops.log(logits) + (1 - labels) * ops.log(1 - logits)))


class L1ThroughNumpy(nn.LossBase):
    def construct(self, logits, labels):
        return self.get_loss(Tensor(np.abs(logits.asnumpy() - labels.asnumpy())))


class MSEIntegerOutput(nn.LossBase):
    def construct(self, logits, labels):
        return ops.cast(self.get_loss(ops.square(logits - labels)), lossviz.int32)


class L1WrongBroadcast(nn.LossBase):
    """Adds a trailing axis to labels with fewer axes (PyTorch habit), where numpy aligns the trailing axes."""

    def construct(self, logits, labels):
        if labels.ndim < logits.ndim:
            labels = ops.expand_dims(labels, -1)
        return self.get_loss(ops.abs(logits - labels))


class MSENoneIsScalar(nn.LossBase):
    def construct(self, logits, labels):
        x = ops.square(logits - labels)
        return ops.sum(x) if self.reduction == "sum" else ops.mean(x)


class CrossEntropyStopGradient(nn.LossBase):
    """log_softmax = x - logsumexp(x) with the logsumexp cut from the graph."""

    def construct(self, logits, labels):
        m = ops.amax(logits, 1, keepdims=True)
        lse = m + ops.log(ops.sum(ops.exp(logits - m), 1, keepdims=True))
        log_p = logits - stop_gradient(lse)
        return self.get_loss(-ops.sum(one_hot(labels, logits.shape[1], logits) * log_p, 1))


class MSEMeanIsSum(nn.LossBase):
    def construct(self, logits, labels):
        x = ops.square(logits - labels)
        if self.reduction == "none":
            return x
        return ops.sum(x)


class MSEMeanOverRows(nn.LossBase):
    """'mean' divides the sum by the batch size instead of by all elements."""

    def construct(self, logits, labels):
        x = ops.square(logits - labels)
        if self.reduction == "none":
            return x
        return ops.sum(x) if self.reduction == "sum" else ops.sum(x) / x.shape[0]


class MSEFloat64Constant(nn.LossBase):
    def construct(self, logits, labels):
        half = Tensor(np.array(0.5))                          # float64
        return self.get_loss(ops.square(logits - labels) * half * 2)


class MSEWrongDefault(nn.LossBase):
    """Mean squared error. Default reduction='mean'."""

    def __init__(self, reduction="sum"):
        super().__init__(reduction)

    def construct(self, logits, labels):
        return self.get_loss(ops.square(logits - labels))


class MSEIgnoresReduction(nn.LossBase):
    def __init__(self, reduction="mean"):
        super().__init__()                                    # reduction not passed on

    def construct(self, logits, labels):
        return self.get_loss(ops.square(logits - labels))


class MSEReturnsFloat(nn.LossBase):
    def construct(self, logits, labels):
        return float(self.get_loss(ops.square(logits - labels)).asnumpy())


class TripletWithoutEps(nn.LossBase):
    """||a - p|| without the eps: sqrt(0) has no gradient when the anchor equals its positive."""

    def construct(self, x, positive, negative):
        d_pos = ops.sqrt(ops.sum(ops.square(x - positive), 1))
        d_neg = ops.sqrt(ops.sum(ops.square(x - negative), 1))
        return self.get_loss(ops.relu(d_pos - d_neg + 1.0))


class SoftMarginOverflows(nn.LossBase):
    def construct(self, logits, labels):
        return self.get_loss(ops.log(1 + ops.exp(-labels * logits)))


def l1_half_stopped(logits, labels):
    """A function loss: the labels' path is cut."""
    return ops.mean(ops.abs(logits - stop_gradient(labels)))


# (loss, reference, kind, expected diagnosis code, a fragment of the diagnosis)
BUGGY = {
    "dropped 1/2": (SmoothL1DroppedHalf(), nn.SmoothL1Loss(), None, "missing_half", "a factor 1/2 is missing"),
    "wrong sign": (CrossEntropyWrongSign(), nn.CrossEntropyLoss(), None, "wrong_sign", "opposite sign"),
    "mean over the class axis": (CrossEntropyMeanOverClasses(), nn.CrossEntropyLoss(), None, "wrong_axis",
                                 "averages over that axis"),
    "mean over the batch axis": (MultiLabelMeanOverBatch(), nn.MultiLabelSoftMarginLoss(), None, "wrong_axis",
                                 "instead of axis 1"),
    "forgot the reduction": (L1ForgotReduction(), nn.L1Loss(), None, "no_reduction", "never applied"),
    "unstable log(sigmoid)": (BCEWithLogitsUnstable(), nn.BCEWithLogitsLoss(), None, "unstable", "logits +-100"),
    "unstable log at p = 0": (BCENaiveLog(), nn.BCELoss(), None, "unstable", "perfect predictions"),
    "graph broken through numpy": (L1ThroughNumpy(), nn.L1Loss(), None, "graph_broken", "graph was broken"),
    "integer output": (MSEIntegerOutput(), nn.MSELoss(), None, "integer_output", "returns int32"),
    "wrong broadcast": (L1WrongBroadcast(), nn.L1Loss(), None, "broadcast", "the reference broadcasts"),
    "'none' returns a scalar": (MSENoneIsScalar(), nn.MSELoss(), None, "none_scalar", "returns a scalar"),
    "stop_gradient where it must flow": (CrossEntropyStopGradient(), nn.CrossEntropyLoss(), None,
                                         "gradient_blocked", "is cut"),
    "'mean' is the sum": (MSEMeanIsSum(), nn.MSELoss(), None, "mean_is_sum", "returns the sum"),
    "'mean' divides by the batch": (MSEMeanOverRows(), None, "regression", "mean_divisor", "divides the sum by 4"),
    "float64 constant": (MSEFloat64Constant(), nn.MSELoss(), None, "dtype", "returns float64"),
    "default not as documented": (MSEWrongDefault(), None, "regression", "default_reduction", "docstring says"),
    "reduction not passed on": (MSEIgnoresReduction(), nn.MSELoss(), None, "reduction_ignored", "does not pass"),
    "returns a float": (MSEReturnsFloat(), nn.MSELoss(), None, "not_a_tensor", "not a lossviz Tensor"),
    "no eps in the distance": (TripletWithoutEps(), nn.TripletMarginLoss(), None, "unstable", "distance 0"),
    "exp overflows": (SoftMarginOverflows(), None, "signed", "unstable", "logits +-100"),
    "function with a cut input": (l1_half_stopped, nn.L1Loss(), None, "gradient_blocked", "exactly 0 everywhere"),
}


@pytest.mark.parametrize("bug", list(BUGGY))
def test_check_loss_flags_each_seeded_bug_with_the_right_diagnosis(bug):
    loss, reference, kind, code, fragment = BUGGY[bug]
    report = check_loss(loss, reference, kind=kind)
    assert not report.ok, f"{bug}: not flagged\n{report}"
    assert code in report.codes, f"{bug}: expected {code!r}, got {report.codes}\n{report}"
    row = next(r for r in report.failures if r.code == code)
    assert fragment in row.detail, f"{bug}: {row.detail!r}"
    for failure in report.failures:            # every failure: one sentence of diagnosis and a hint
        assert failure.detail and failure.hint, failure


def test_the_ten_bugs_of_the_issue_are_all_seeded():
    issue = {"missing_half", "wrong_sign", "wrong_axis", "no_reduction", "unstable", "graph_broken",
             "integer_output", "broadcast", "none_scalar", "gradient_blocked"}
    assert issue <= {code for *_, code, _ in BUGGY.values()}
    assert len(BUGGY) >= 10


def test_the_unstable_hint_says_how_to_fix_it():
    report = check_loss(BCEWithLogitsUnstable(), reference=nn.BCEWithLogitsLoss())
    row = report.row("extremes: logits +-100")
    assert not row.passed
    assert "overflows at logit 100: compute log(sigmoid(x)) as -softplus(-x)" in row.hint
    assert "logits = " in row.detail                  # where: the first bad element


def test_a_cut_gradient_with_the_right_values_is_told_from_a_wrong_value():
    report = check_loss(CrossEntropyStopGradient(), reference=nn.CrossEntropyLoss())
    assert all(row.passed for row in report.rows if row.check.startswith("values vs"))
    assert not report.row("gradient of 'logits'").passed
    assert not report.row("gradients vs CrossEntropyLoss").passed


# ----------------------------------------------------------------------------------------------------------
# Every built-in: alone and against itself
# ----------------------------------------------------------------------------------------------------------
BUILTIN_NAMES = [name for name in builtin_losses.__all__ if name != "LossBase"]


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_every_builtin_passes_alone_and_against_itself(name):
    """Every built-in, a new one included: one without an input generator fails here, it is not skipped."""
    loss = builtin_loss(name)
    alone = check_loss(loss)                    # check_loss reports a missing generator, it does not raise
    assert "no_generator" not in alone.codes, alone.failures[0].detail
    assert alone.ok, str(alone)
    against_itself = check_loss(builtin_loss(name), reference=loss)
    assert against_itself.ok, str(against_itself)
    assert any(row.check.startswith("values vs") and row.passed and not row.skipped for row in against_itself.rows)


def test_list_the_builtins_without_an_input_generator(capsys):
    missing = []
    for name in BUILTIN_NAMES:
        try:
            report = check_loss(builtin_loss(name))
        except TypeError:
            missing.append(f"{name} (needs constructor arguments)")
            continue
        if "no_generator" in report.codes:
            missing.append(name)
            assert f"no input generator for {name}" in report.failures[0].detail
            assert "inputs=" in report.failures[0].detail
    with capsys.disabled():
        print(f"\nbuilt-in losses without an input generator: {missing or 'none'} "
              f"({len(BUILTIN_NAMES) - len(missing)} of {len(BUILTIN_NAMES)} covered)")
    assert not missing, f"check_loss has no inputs for {missing}: add a generator in lossviz/doctor.py"


@pytest.mark.parametrize("loss", [
    nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"), nn.PoissonNLLLoss(log_input=False),
    nn.PoissonNLLLoss(full=True), nn.CrossEntropyLoss(weight=Tensor(np.array([1., 2., 3.], np.float32))),
    nn.CrossEntropyLoss(label_smoothing=0.1), nn.NLLLoss(weight=Tensor(np.array([1., 2., 3.], np.float32))),
    nn.BCELoss(weight=Tensor(np.array([1., 2., 3.], np.float32)), reduction="mean"),
    nn.BCEWithLogitsLoss(pos_weight=Tensor(np.array([1., 2., 3.], np.float32))), nn.KLDivLoss("batchmean"),
    nn.SmoothL1Loss(beta=0.5), nn.HuberLoss(delta=0.5), nn.GaussianNLLLoss(full=True), nn.FocalLoss(gamma=0.5),
    nn.MultiMarginLoss(p=2), nn.TripletMarginLoss(swap=True), nn.TripletMarginWithDistanceLoss(swap=True),
    nn.MultiClassDiceLoss(activation="sigmoid"), nn.CTCLoss(reduction="sum", blank=2),
    nn.CosineEmbeddingLoss(margin=0.3), nn.MarginRankingLoss(margin=0.5), nn.HingeEmbeddingLoss(margin=2.0),
], ids=lambda loss: f"{type(loss).__name__}({loss.extend_repr()})")
def test_builtins_with_other_options_pass(loss):
    report = check_loss(loss)
    assert report.ok, str(report)
    assert check_loss(loss, reference=loss).ok


# ----------------------------------------------------------------------------------------------------------
# Composed from ops: one (at least) per input kind, against the fused built-in
# ----------------------------------------------------------------------------------------------------------
class ComposedMSE(nn.LossBase):
    def construct(self, logits, labels):
        return self.get_loss(ops.square(logits - labels))


class ComposedSmoothL1(nn.LossBase):
    def __init__(self, beta=1.0, reduction="none"):
        super().__init__(reduction)
        self.beta = beta

    def construct(self, logits, labels):
        d = logits - labels
        ad = ops.abs(d)
        return self.get_loss(ops.select(ad < self.beta, 0.5 * d * d / self.beta, ad - 0.5 * self.beta))


class ComposedSoftMargin(nn.LossBase):
    def construct(self, logits, labels):
        return self.get_loss(softplus(-labels * logits))


class ComposedGaussianNLL(nn.LossBase):
    def __init__(self, eps=1e-6, reduction="mean"):
        super().__init__(reduction)
        self.eps = eps

    def construct(self, logits, labels, var):
        if var.shape != logits.shape and var.shape == logits.shape[:-1]:
            var = ops.expand_dims(var, -1)
        v = ops.maximum(var, self.eps)
        return self.get_loss(0.5 * (ops.log(v) + ops.square(logits - labels) / v))


class ComposedPoissonNLL(nn.LossBase):
    def construct(self, input, target):  # noqa: A002
        return self.get_loss(ops.exp(input) - target * input)


class ComposedKLDiv(nn.LossBase):
    def construct(self, logits, labels):
        positive = labels > 0
        safe = ops.select(positive, labels, ops.ones_like(labels))
        return self.get_loss(ops.select(positive, labels * (ops.log(safe) - logits), ops.zeros_like(labels)))


class ComposedCrossEntropy(nn.LossBase):
    def construct(self, logits, labels):
        return self.get_loss(-ops.sum(one_hot(labels, logits.shape[1], logits) * ops.log_softmax(logits), 1))


class ComposedDenseSoftmaxCrossEntropy(nn.LossBase):
    def __init__(self, reduction="none"):
        super().__init__(reduction)

    def construct(self, logits, labels):
        return self.get_loss(-ops.sum(labels * ops.log_softmax(logits), 1))


class ComposedNLL(nn.LossBase):
    def construct(self, logits, labels):
        return self.get_loss(-ops.sum(one_hot(labels, logits.shape[1], logits) * logits, 1))


class ComposedFocal(nn.LossBase):
    def __init__(self, gamma=2.0, reduction="mean"):
        super().__init__(reduction)
        self.gamma = gamma

    def construct(self, logits, labels):
        log_p = ops.log_softmax(logits, 1)
        log_pt = ops.sum(one_hot(labels.reshape(-1), logits.shape[1], logits) * log_p, 1)
        return self.get_loss(-ops.pow(1 - ops.exp(log_pt), self.gamma) * log_pt)


class ComposedBCE(nn.LossBase):
    def __init__(self, reduction="none"):
        super().__init__(reduction)

    def construct(self, logits, labels):
        return self.get_loss(-(labels * ops.log(logits + 1e-12) + (1 - labels) * ops.log(1 - logits + 1e-12)))


class ComposedBCEWithLogits(nn.LossBase):
    def construct(self, logits, labels):
        return self.get_loss((1 - labels) * logits + softplus(-logits))


class ComposedMultiLabelSoftMargin(nn.LossBase):
    def construct(self, x, target):
        term = target * softplus(-x) + (1 - target) * softplus(x)
        return self.get_loss(ops.sum(term, x.ndim - 1) / x.shape[-1])


class ComposedMultiMargin(nn.LossBase):
    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def construct(self, x, target):
        y = one_hot(target, x.shape[1], x)
        x_y = ops.sum(y * x, 1, keepdims=True)
        return self.get_loss(ops.sum((1 - y) * ops.relu(self.margin - x_y + x), 1) / x.shape[1])


class ComposedMultilabelMargin(nn.LossBase):
    def construct(self, x, target):
        t = target.asnumpy()                                  # the target is a constant: numpy is fine here
        listed = np.zeros(t.shape, x.dtype.np_dtype if hasattr(x.dtype, "np_dtype") else np.float32)
        for n, row in enumerate(t):
            for j in row:
                if j < 0:
                    break
                listed[n, j] += 1
        wrong = (listed == 0).astype(listed.dtype)
        pairs = ops.relu(1 - (ops.expand_dims(x, 2) - ops.expand_dims(x, 1)))          # [n, j, i]
        weights = Tensor(listed[:, :, None] * wrong[:, None, :])
        return self.get_loss(ops.sum(pairs * weights, (1, 2)) / x.shape[1])


class ComposedDice(nn.LossBase):
    def __init__(self, smooth=1e-5):
        super().__init__()
        self.smooth = smooth

    def construct(self, logits, labels):
        intersection = ops.sum(logits * labels)
        union = ops.sum(logits * logits) + ops.sum(labels * labels)
        return 1 - 2 * intersection / (union + self.smooth)


class ComposedMultiClassDice(nn.LossBase):
    def __init__(self):
        super().__init__()

    def construct(self, logits, labels):
        a = ops.softmax(logits, -1)
        intersection = ops.sum(a * labels, 0)
        union = ops.sum(a * a, 0) + ops.sum(labels * labels, 0)
        return ops.sum(1 - 2 * intersection / (union + 1e-5)) / logits.shape[1]


class ComposedCosineEmbedding(nn.LossBase):
    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def construct(self, logits_x1, logits_x2, labels):
        cos = ops.sum(logits_x1 * logits_x2, 1) / ops.sqrt(ops.sum(ops.square(logits_x1), 1) *
                                                          ops.sum(ops.square(logits_x2), 1))
        zeros = ops.zeros_like(cos)
        x = ops.select(labels == 1, 1 - cos, ops.select(labels == -1, ops.relu(cos - self.margin), zeros))
        return self.get_loss(x)


class ComposedMarginRanking(nn.LossBase):
    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def construct(self, input1, input2, target):
        return self.get_loss(ops.relu(-target * (input1 - input2) + self.margin))


class ComposedHingeEmbedding(nn.LossBase):
    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def construct(self, logits, labels):
        zeros = ops.zeros_like(logits * labels)
        pull = logits + zeros                                     # broadcast to the labels' shape
        push = ops.relu(self.margin - logits) + zeros
        return self.get_loss(ops.select(labels > 0, pull, ops.select(labels < 0, push, zeros)))


class ComposedTripletMargin(nn.LossBase):
    """eps > 0: TripletMarginLoss's ||a - b + eps||; eps = 0: the distance floored at 1e-12 (the
    TripletMarginWithDistanceLoss default), as sqrt(max(sum of squares, 1e-24)) so identical rows get gradient 0."""

    def __init__(self, eps=1e-6, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.eps, self.margin = eps, margin

    def _distance(self, a, b):
        squares = ops.sum(ops.square(a - b + self.eps), 1)
        return ops.sqrt(squares if self.eps else ops.maximum(squares, 1e-24))

    def construct(self, x, positive, negative):
        return self.get_loss(ops.relu(self._distance(x, positive) - self._distance(x, negative) + self.margin))


class ComposedCTC(nn.LossBase):
    """The CTC forward (alpha) recursion in log space, one sample at a time, from plain ops."""

    def __init__(self, blank=0, reduction="mean"):
        super().__init__(reduction)
        self.blank = blank

    @staticmethod
    def _logsumexp(*terms):
        m = terms[0]
        for t in terms[1:]:
            m = ops.maximum(m, t)
        m = stop_gradient(m)                                      # a shift only: the value does not depend on it
        return m + ops.log(sum(ops.exp(t - m) for t in terms))

    def construct(self, log_probs, targets, input_lengths, target_lengths):
        far = -1e30
        losses = []
        for n in range(log_probs.shape[1]):
            length, frames = int(target_lengths.asnumpy()[n]), int(input_lengths.asnumpy()[n])
            labels = targets.asnumpy()[n, :length]
            ext = np.full(2 * length + 1, self.blank, np.int64)
            ext[1::2] = labels
            skip = np.zeros(ext.size, bool)
            skip[2:] = (ext[2:] != self.blank) & (ext[2:] != ext[:-2])
            pad1 = Tensor(np.full(1, far, log_probs.dtype.np_dtype if hasattr(log_probs.dtype, "np_dtype")
                                  else log_probs.asnumpy().dtype))
            pad2 = ops.concat((pad1, pad1))
            start = np.full(ext.size, far)
            start[:2] = 0.0
            alpha = Tensor(start.astype(log_probs.asnumpy().dtype)) + ops.gather(log_probs[0, n], Tensor(ext), 0)
            for t in range(1, frames):
                shift1 = ops.concat((pad1, alpha[:-1]))
                shift2 = ops.select(Tensor(skip), ops.concat((pad2, alpha[:-2])), ops.zeros_like(alpha) + far)
                alpha = self._logsumexp(alpha, shift1, shift2) + ops.gather(log_probs[t, n], Tensor(ext), 0)
            last = alpha[-1:] if ext.size == 1 else alpha[-2:]
            losses.append(-self._logsumexp(*[last[i] for i in range(last.shape[0])]).reshape(1))
        x = ops.concat(losses)
        if self.reduction == "mean":
            lengths = np.maximum(target_lengths.asnumpy(), 1).astype(x.asnumpy().dtype)
            return ops.mean(x / Tensor(lengths))
        return self.get_loss(x)


class ComposedSampledSoftmax(nn.LossBase):
    """SampledSoftmaxLoss with fixed sampled_values, from gather, matmul and log_softmax."""

    def __init__(self, num_sampled, num_classes, num_true=1, sampled_values=None, remove_accidental_hits=True,
                 seed=0, reduction="none"):
        super().__init__(reduction)
        self.num_sampled, self.num_classes, self.num_true = num_sampled, num_classes, num_true
        self.sampled_values, self.remove_accidental_hits, self.seed = sampled_values, remove_accidental_hits, seed

    def construct(self, weights, biases, labels, logits):
        dtype = weights.asnumpy().dtype
        sampled, true_expected, sampled_expected = (v.asnumpy() for v in self.sampled_values)
        ids = labels.asnumpy().reshape(logits.shape[0], self.num_true)
        true_w = ops.gather(weights, Tensor(ids.reshape(-1)), 0).reshape(ids.shape + (weights.shape[1],))
        z_true = ops.sum(ops.expand_dims(logits, 1) * true_w, 2) + ops.gather(biases, Tensor(ids.reshape(-1)), 0) \
            .reshape(ids.shape) - Tensor(np.broadcast_to(np.log(true_expected), ids.shape).astype(dtype))
        sampled_w = ops.gather(weights, Tensor(sampled), 0)
        z_sampled = ops.matmul(logits, sampled_w.T) + ops.gather(biases, Tensor(sampled), 0) \
            - Tensor(np.log(sampled_expected).astype(dtype))
        if self.remove_accidental_hits:
            hits = (ids[:, :, None] == sampled[None, None, :]).any(axis=1)
            z_sampled = ops.select(Tensor(hits), ops.zeros_like(z_sampled) + np.finfo(dtype).min / 2, z_sampled)
        z = ops.concat((z_true, z_sampled), 1)
        targets = np.zeros(z.shape, dtype)
        targets[:, :self.num_true] = 1 / self.num_true
        return self.get_loss(-ops.sum(Tensor(targets) * ops.log(ops.softmax(z, 1) + 1e-20), 1))


def _sampled_pair():
    reference = builtin_loss("SampledSoftmaxLoss")
    composed = ComposedSampledSoftmax(reference.num_sampled, reference.num_classes,
                                      sampled_values=reference.sampled_values)
    return composed, reference


# composed loss, the built-in it reimplements (the kind is the reference's)
COMPOSED = {
    "regression: MSELoss": (ComposedMSE(), nn.MSELoss()),
    "regression: SmoothL1Loss": (ComposedSmoothL1(), nn.SmoothL1Loss()),
    "signed: SoftMarginLoss": (ComposedSoftMargin(), nn.SoftMarginLoss()),
    "gaussian: GaussianNLLLoss": (ComposedGaussianNLL(), nn.GaussianNLLLoss()),
    "counts: PoissonNLLLoss": (ComposedPoissonNLL(), nn.PoissonNLLLoss()),
    "log_probabilities: KLDivLoss": (ComposedKLDiv(), nn.KLDivLoss()),
    "class_logits: CrossEntropyLoss": (ComposedCrossEntropy(), nn.CrossEntropyLoss()),
    "class_logits: sparse SoftmaxCrossEntropyWithLogits": (ComposedCrossEntropy(),
                                                          nn.SoftmaxCrossEntropyWithLogits(True, "mean")),
    "multi_margin: MultiMarginLoss": (ComposedMultiMargin(), nn.MultiMarginLoss()),
    "class_probabilities: SoftmaxCrossEntropyWithLogits": (ComposedDenseSoftmaxCrossEntropy(),
                                                           nn.SoftmaxCrossEntropyWithLogits()),
    "class_log_probabilities: NLLLoss": (ComposedNLL(), nn.NLLLoss()),
    "focal: FocalLoss": (ComposedFocal(), nn.FocalLoss()),
    "probabilities: BCELoss": (ComposedBCE(), nn.BCELoss()),
    "binary_logits: BCEWithLogitsLoss": (ComposedBCEWithLogits(), nn.BCEWithLogitsLoss()),
    "multilabel: MultiLabelSoftMarginLoss": (ComposedMultiLabelSoftMargin(), nn.MultiLabelSoftMarginLoss()),
    "multilabel_margin: MultilabelMarginLoss": (ComposedMultilabelMargin(), nn.MultilabelMarginLoss()),
    "masks: DiceLoss": (ComposedDice(), nn.DiceLoss()),
    "channel_masks: MultiClassDiceLoss": (ComposedMultiClassDice(), nn.MultiClassDiceLoss()),
    "pairs: CosineEmbeddingLoss": (ComposedCosineEmbedding(), nn.CosineEmbeddingLoss()),
    "ranking: MarginRankingLoss": (ComposedMarginRanking(), nn.MarginRankingLoss()),
    "hinge_pairs: HingeEmbeddingLoss": (ComposedHingeEmbedding(), nn.HingeEmbeddingLoss()),
    "triplet: TripletMarginLoss": (ComposedTripletMargin(), nn.TripletMarginLoss()),
    "triplet: TripletMarginWithDistanceLoss": (ComposedTripletMargin(eps=0.0), nn.TripletMarginWithDistanceLoss()),
    "ctc: CTCLoss": (ComposedCTC(), nn.CTCLoss()),
    "sampled: SampledSoftmaxLoss": _sampled_pair(),
}


@pytest.mark.parametrize("case", list(COMPOSED))
def test_a_loss_composed_from_ops_passes_against_its_builtin(case):
    composed, reference = COMPOSED[case]
    report = check_loss(composed, reference=reference)
    assert report.ok, str(report)
    compared = [row for row in report.rows if row.check.startswith(("values vs", "gradients vs")) and not row.skipped]
    assert compared, str(report)


def test_every_kind_has_a_composed_loss():
    kinds = {case.split(":")[0] for case in COMPOSED}
    assert set(KINDS) <= kinds, set(KINDS) - kinds


# ----------------------------------------------------------------------------------------------------------
# The API
# ----------------------------------------------------------------------------------------------------------
def test_the_report_is_a_table_in_a_terminal_and_in_a_notebook():
    report = check_loss(SmoothL1DroppedHalf(), reference=nn.SmoothL1Loss())
    assert isinstance(report, LossReport) and report.ok is False
    text = str(report)
    assert text.splitlines()[0].startswith("check_loss: SmoothL1DroppedHalf against SmoothL1Loss")
    assert "FAIL" in text and "hint:" in text
    page = report._repr_html_()
    assert page.startswith("<div>") and "<table" in page and page.count("<tr>") == len(report.rows) + 1
    for row in report.rows:
        assert isinstance(row.check, str) and isinstance(row.passed, bool) and isinstance(row.detail, str)
    assert repr(report).startswith("<LossReport SmoothL1DroppedHalf: ok=False")


def test_check_loss_never_modifies_the_loss():
    loss = nn.SampledSoftmaxLoss(num_sampled=4, num_classes=50)    # random: every call advances its sampler
    before = dict(vars(loss))

    def inputs(rng):
        return (Tensor(rng.standard_normal((50, 3)).astype(np.float32)),
                Tensor(rng.standard_normal(50).astype(np.float32)),
                Tensor(rng.integers(0, 50, (3, 1))), Tensor(rng.standard_normal((3, 3)).astype(np.float32)))

    report = check_loss(loss, inputs=inputs)
    assert vars(loss) == before and loss._rng is None
    assert "random" in report.codes                   # two calls differ: said so, gradients not checked
    regression = nn.HuberLoss(reduction="sum", delta=0.5)
    before = dict(vars(regression))
    assert check_loss(regression).ok
    assert vars(regression) == before and regression.reduction == "sum"


def test_a_builtin_without_a_generator_says_so_and_takes_inputs():
    loss = nn.SampledSoftmaxLoss(num_sampled=2, num_classes=6)
    report = check_loss(loss)
    assert not report.ok and report.codes == {"no_generator"}
    assert report.failures[0].detail.startswith("no input generator for SampledSoftmaxLoss")
    assert "inputs=" in report.failures[0].detail
    with pytest.raises(NoInputGenerator):                   # the registry itself raises; check_loss reports
        lossviz.doctor._kind_of(loss)
    fixed = builtin_loss("SampledSoftmaxLoss")             # fixed samples: deterministic, so checkable

    def inputs(rng):
        return (Tensor(rng.standard_normal((8, 3))), Tensor(rng.standard_normal(8)),
                Tensor(rng.integers(0, 8, (3, 1))), Tensor(rng.standard_normal((3, 3))))

    report = check_loss(fixed, inputs=inputs)
    assert report.ok, str(report)
    assert report.kind == "sampled (inputs=)"


def test_explicit_inputs_for_any_callable():
    def inputs(rng):
        return (Tensor(rng.standard_normal((5, 2)).astype(np.float32)),
                Tensor(rng.standard_normal((5, 2)).astype(np.float32)))

    def squared_distance(a, b):
        return ops.mean(ops.sum(ops.square(a - b), 1))

    report = check_loss(squared_distance, inputs=inputs)
    assert report.ok, str(report)
    assert report.row("gradient of 'input 0'").passed and report.row("gradient of 'input 1'").passed


def test_a_function_against_a_reference():
    def my_mse(logits, labels):
        return ops.mean(ops.square(logits - labels))

    assert check_loss(my_mse, reference=nn.MSELoss()).ok
    assert check_loss(my_mse, reference="MSELoss").ok
    assert check_loss(my_mse, reference=nn.MSELoss).ok


def test_a_loss_of_unknown_inputs_asks_for_a_reference():
    report = check_loss(ComposedMSE())
    assert not report.ok and report.codes == {"no_generator"}
    assert "pass reference=" in report.failures[0].hint
    assert check_loss(ComposedMSE(), kind="regression").ok
    with pytest.raises(ValueError, match="kind must be one of"):
        check_loss(ComposedMSE(), kind="nonsense")


def test_a_loss_that_raises_is_reported_not_raised():
    class Broken(nn.LossBase):
        def construct(self, logits, labels):
            raise RuntimeError("oops")

    report = check_loss(Broken(), reference=nn.L1Loss())
    assert report.codes == {"raises"} and "oops" in report.failures[0].detail


# ----------------------------------------------------------------------------------------------------------
# The report in a notebook (notebook 08): the same text on every run, a hint said once, show()
# ----------------------------------------------------------------------------------------------------------
class FocalMeanOverClasses(nn.LossBase):
    """Focal loss whose one-hot selection averages over the classes (axis 1) instead of summing."""

    def __init__(self, gamma=2.0, reduction="mean"):
        super().__init__(reduction)
        self.gamma = gamma

    def construct(self, logits, labels):
        log_p = ops.log_softmax(logits, 1)
        focal = -ops.pow(1 - ops.exp(log_p), self.gamma) * log_p
        mask = ops.cast(ops.one_hot(ops.reshape(labels, (-1,)), logits.shape[1], 1.0, 0.0), logits.dtype)
        return self.get_loss(ops.mean(mask * focal, 1))


class HuberIsL1(nn.LossBase):
    """An unfinished Huber: |d| everywhere (values differ elementwise, not by one factor)."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def construct(self, logits, labels):
        return self.get_loss(ops.abs(logits - labels))


def test_the_report_prints_the_same_text_on_every_run():
    """No timing in what is shown (nbval compares a notebook's stored report); the time is report.seconds."""
    first = check_loss(BCEWithLogitsUnstable(), reference=nn.BCEWithLogitsLoss())
    second = check_loss(BCEWithLogitsUnstable(), reference=nn.BCEWithLogitsLoss())
    assert str(first) == str(second) and first._repr_html_() == second._repr_html_()
    assert first.seconds > 0 and " s)" not in first.title()
    assert first.title() == "check_loss: BCEWithLogitsUnstable against BCEWithLogitsLoss, binary_logits inputs: " \
                            "2 failures"
    assert first.counts() == "15 checks: 12 ok, 2 FAIL, 1 skip"
    assert str(first).splitlines()[-1] == "  (15 checks: 12 ok, 2 FAIL, 1 skip)"
    assert "15 checks: 12 ok, 2 FAIL, 1 skip" in first._repr_html_()


def test_a_hint_repeated_by_the_next_failure_is_shown_once():
    report = check_loss(FocalMeanOverClasses(), reference=nn.FocalLoss())
    assert report.codes == {"wrong_axis"} and len(report.failures) == 4
    assert len({row.hint for row in report.failures}) == 1           # the rows keep their hint
    text = str(report)
    assert text.count("hint: reduce over the axis") == 1 and text.count("hint: as above") == 3
    page = report._repr_html_()
    assert page.count("hint: reduce over the axis") == 1 and page.count("hint: as above") == 3


def test_wrong_axis_in_a_gradient_reads_as_a_sentence():
    row = check_loss(FocalMeanOverClasses(), reference=nn.FocalLoss()).row("gradients vs FocalLoss")
    assert row.detail == ("gradient of 'logits': 1/3 of the reference's (3 = the size of axis 1 of 'logits'): it "
                          "averages over that axis where the reference sums over it.")


def test_a_scalar_that_differs_is_not_called_a_constant_factor():
    """'mean' of a loss whose elements differ unevenly: the two numbers, and a pointer to the 'none' row."""
    report = check_loss(HuberIsL1(), reference=nn.HuberLoss())
    assert report.row("values vs HuberLoss ('none')").code == "values"
    mean = report.row("values vs HuberLoss ('mean')")
    assert mean.code == "values" and "constant factor" not in mean.detail
    assert re.fullmatch(r"\S+ instead of \S+ \(\S+ x the reference\); the 'none' row shows which elements\.",
                        mean.detail), mean.detail
    # a recognised factor on a scalar keeps its diagnosis
    half = check_loss(MSEHalf(), reference=nn.MSELoss())
    assert "an extra factor 1/2" in half.row("values vs MSELoss ('mean')").detail


class MSEHalf(nn.LossBase):
    def construct(self, logits, labels):
        return self.get_loss(0.5 * ops.square(logits - labels))


def test_show_prints_the_table_in_a_terminal(capsys):
    report = check_loss(nn.L1Loss())
    assert report.show() is None
    assert capsys.readouterr().out == str(report) + "\n"


def test_show_displays_the_html_table_in_a_kernel(monkeypatch):
    """In a Jupyter kernel show() hands the report to IPython's display (which calls _repr_html_)."""
    import sys
    import types

    shown = []
    shell = types.SimpleNamespace(kernel=object())
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    display = types.ModuleType("IPython.display")
    display.display = shown.append
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    report = check_loss(nn.L1Loss())
    report.show()
    assert shown == [report]
