"""The cross-entropy family of the catalogue: BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss, FocalLoss.

1. parity with every golden case and error case of ../shared/reference/losses_catalogue*.json (real
   MindSpore 2.10), except where a decision of ../shared/spec/catalogue/README.md (D2, D3, D13, D16) replaces
   MindSpore's behaviour: those tests say which decision and check the decided behaviour;
2. gradients by float64 central differences (hypothesis-driven shapes, every reduction, every differentiable
   input), and the gradients the spec gives where the formulas have edges (p = 1, infinite logits, ignored
   positions);
3. bad input: a TypeError or ValueError naming the class (or function) and the argument;
4. the fused primitives of ``lossviz/ops/fused_cross_entropy.py`` against the same formulas written with plain ops;
5. the functional forms ``ops.cross_entropy``, ``ops.nll_loss``, ``ops.binary_cross_entropy_with_logits``.
"""
import json
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lossviz
import lossviz.nn as nn
import lossviz.ops as ops
from lossviz import Parameter, Tensor
from lossviz.nn.loss import classification
from lossviz.ops import fused_cross_entropy

from golden import CATALOGUE_TOLERANCE, array, assert_case, assert_matches, build, catalogue, inputs, raise_for, run
from gradcheck import check_grads, engine_vjp, numerical_grad

LOSSES = ("BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "FocalLoss")
CASES, ERRORS = catalogue(*LOSSES)
REDUCTIONS = ("mean", "sum", "none")
HYPOTHESIS = settings(max_examples=10, deadline=None, derandomize=True)
F32 = np.float32


# ----- float64 references, written from the spec's formulas (classification.md C1-C4) -----
def _reduce(per, reduction):
    return per if reduction == "none" else per.sum() if reduction == "sum" else per.mean()


def ref_log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def ref_cross_entropy(logits, labels, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0,
                      log_probabilities=False):
    """CrossEntropyLoss (NLLLoss with ``log_probabilities=True``): class axis 1, or 0 for 1-D logits."""
    x, labels = np.asarray(logits, np.float64), np.asarray(labels)
    if x.ndim == 1:
        x, labels = x[None], labels[None]
    c, s = x.shape[1], label_smoothing
    log_p = x if log_probabilities else ref_log_softmax(x)
    w = np.ones(c) if weight is None else np.asarray(weight, np.float64)
    w_b = w.reshape((1, c) + (1,) * (x.ndim - 2))
    if labels.dtype.kind == "f":                                      # class probabilities
        per = -(w_b * (labels * (1 - s) + s / c) * log_p).sum(axis=1)
        out = _reduce(per, reduction)
        return out.reshape(np.shape(logits)[:1] + np.shape(logits)[2:]) if np.ndim(logits) == 1 else out
    keep = labels != ignore_index
    t = np.where(keep, labels, 0)
    picked = np.take_along_axis(log_p, t[:, None], axis=1)[:, 0]
    per = ((1 - s) * -w[t] * picked + s / c * -(w_b * log_p).sum(axis=1)) * keep
    if reduction == "none":
        return per.reshape(()) if np.ndim(logits) == 1 else per
    total = per.sum()
    return total if reduction == "sum" else total / (w[t] * keep).sum()


def ref_focal(logits, labels, weight=None, gamma=2.0, reduction="mean"):
    x = np.asarray(logits, np.float64)
    n, c = x.shape[:2]
    log_p = ref_log_softmax(x.reshape(n, c, -1))
    w = np.ones(c) if weight is None else np.asarray(weight, np.float64)
    labels = np.asarray(labels)
    if labels.shape[1] == 1:
        t = np.trunc(labels).astype(np.int64).reshape(labels.shape[0], -1)
        lp = np.take_along_axis(log_p[:t.shape[0], :, :t.shape[1]], t[:, None, :], axis=1)[:, 0]
        per = (-(-np.expm1(lp)) ** gamma * w[t] * lp).mean(axis=1)
    else:
        y = labels.reshape(n, c, -1).astype(np.float64)
        per = (-(-np.expm1(log_p)) ** gamma * y * w[None, :, None] * log_p).mean(axis=2)
    return _reduce(per, reduction)


def ref_bce_with_logits(x, y, weight=None, pos_weight=None, reduction="mean"):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    lw = 1 if pos_weight is None else 1 + (np.asarray(pos_weight, np.float64) - 1) * y
    per = ((1 - y) * x + lw * np.logaddexp(0, -x)) * (1 if weight is None else np.asarray(weight, np.float64))
    return _reduce(per, reduction)


@contextmanager
def float64_allowed():
    """CrossEntropyLoss and BCEWithLogitsLoss refuse float64 (as MindSpore does). For precise central
    differences the gradient tests lift that one dtype gate; everything else is the shipped code."""
    with mock.patch.object(classification, "_F16_F32", classification._F16_F32 + (np.dtype(np.float64),)):
        yield


def t32(data, dtype=F32):
    return Tensor(np.array(data, dtype))


# ===================================================================================================
# 1. Golden parity
# ===================================================================================================
# Golden cases whose MindSpore behaviour a decision replaces (each has its own test below).
DECIDED = {
    "CrossEntropyLoss/negative_label_wraps/none": "D13",
    "NLLLoss/negative_label_wraps/none": "D13",
    "FocalLoss/negative_index_wraps/none": "D13",
    "FocalLoss/perfect_gamma0/none": "D3",
}
# Golden cases compared under a rule the spec or the engine gives (each has its own test below).
SPECIAL = {
    "FocalLoss/float64/mean": "C0.4/C0.6: MindSpore's float64 FocalLoss went through float32: float32 tolerances",
    "BCEWithLogitsLoss/mixed_f32_input_f16_target/none": "engine: a gradient has its input's dtype",
}
# Error cases MindSpore raises as RuntimeError from a CPU kernel (or a crash, C0.3): lossviz raises a ValueError.
DECIDED_ERRORS = {
    "CrossEntropyLoss/label_equals_C": ("D13", "labels"),
    "CrossEntropyLoss/label_below_minus_C": ("D13", "labels"),
    "CrossEntropyLoss/label_out_of_range_weighted": ("D13", "labels"),
    "NLLLoss/label_equals_C": ("D13", "labels"),
    "NLLLoss/label_out_of_range_weighted": ("D13", "labels"),
    "FocalLoss/label_equals_C": ("D13", "labels"),
    "FocalLoss/weight_wrong_length": ("C0.3", "weight"),
}
# The argument each remaining error case is about (its message must name it and the class).
ERROR_ARGS = {
    "BCEWithLogitsLoss/bad_reduction": "reduction", "BCEWithLogitsLoss/input_float64": "input",
    "BCEWithLogitsLoss/target_int": "target", "BCEWithLogitsLoss/target_shape_mismatch": "target",
    "BCEWithLogitsLoss/weight_not_broadcastable": "weight",
    "BCEWithLogitsLoss/pos_weight_not_broadcastable": "pos_weight",
    "BCEWithLogitsLoss/weight_bigger_than_input": "weight", "BCEWithLogitsLoss/weight_python_float": "weight",
    "BCEWithLogitsLoss/weight_float64": "weight", "BCEWithLogitsLoss/numpy_input": "input",
    "CrossEntropyLoss/bad_reduction": "reduction", "CrossEntropyLoss/label_smoothing_above_1": "label_smoothing",
    "CrossEntropyLoss/label_smoothing_negative": "label_smoothing",
    "CrossEntropyLoss/label_smoothing_int": "label_smoothing", "CrossEntropyLoss/ignore_index_float": "ignore_index",
    "CrossEntropyLoss/weight_numpy": "weight", "CrossEntropyLoss/weight_float64": "weight",
    "CrossEntropyLoss/weight_int": "weight", "CrossEntropyLoss/labels_int64": "labels",
    "CrossEntropyLoss/labels_float_rank_n": "labels", "CrossEntropyLoss/logits_float64": "logits",
    "CrossEntropyLoss/probs_float64": "labels", "CrossEntropyLoss/probs_shape_mismatch": "labels",
    "CrossEntropyLoss/indices_shape_mismatch": "labels", "CrossEntropyLoss/rank_mismatch": "labels",
    "CrossEntropyLoss/weight_wrong_length": "weight", "CrossEntropyLoss/numpy_logits": "logits",
    "NLLLoss/bad_reduction": "reduction", "NLLLoss/ignore_index_float": "ignore_index",
    "NLLLoss/weight_float64": "weight", "NLLLoss/weight_int": "weight", "NLLLoss/weight_numpy": "weight",
    "NLLLoss/labels_float": "labels", "NLLLoss/labels_wrong_length": "labels",
    "NLLLoss/weight_wrong_length": "weight", "NLLLoss/numpy_logits": "logits",
    "FocalLoss/gamma_int": "gamma", "FocalLoss/weight_list": "weight", "FocalLoss/weight_2d": "weight",
    "FocalLoss/bad_reduction": "reduction", "FocalLoss/logits_1d": "logits", "FocalLoss/logits_5d": "logits",
    "FocalLoss/one_channel_logits": "logits", "FocalLoss/label_channels_mismatch": "labels",
    "FocalLoss/rank_mismatch": "labels", "FocalLoss/labels_uint8": "labels", "FocalLoss/labels_float64": "labels",
    "FocalLoss/logits_int": "logits",
}
PARITY = [c for c in CASES if c["id"] not in DECIDED and c["id"] not in SPECIAL]
RAISING = [c for c in ERRORS if c["phase"] != "none" and c["id"] not in DECIDED_ERRORS]
NO_ERROR = [c for c in ERRORS if c["phase"] == "none"]        # MindSpore computes a value; so do we


def _ids(cases):
    return [c["id"] for c in cases]


def _case(case_id):
    return next(c for c in CASES + ERRORS if c["id"] == case_id)


def test_every_golden_case_of_the_group_is_tested():
    """classification.md's table: 22/10, 36/20, 20/12, 24/15 cases/error cases; each tested exactly once."""
    counts = {name: (sum(c["target"] == f"nn.{name}" for c in CASES), sum(c["target"] == f"nn.{name}" for c in ERRORS))
              for name in LOSSES}
    assert counts == {"BCEWithLogitsLoss": (22, 10), "CrossEntropyLoss": (36, 20), "NLLLoss": (20, 12),
                      "FocalLoss": (24, 15)}
    tested = _ids(PARITY) + list(DECIDED) + list(SPECIAL)
    assert sorted(tested) == sorted(_ids(CASES))
    tested_errors = _ids(RAISING) + list(DECIDED_ERRORS) + _ids(NO_ERROR)
    assert sorted(tested_errors) == sorted(_ids(ERRORS))
    assert set(ERROR_ARGS) == set(_ids(RAISING))


@pytest.mark.parametrize("case", PARITY, ids=_ids(PARITY))
def test_golden_case(case):
    assert_case(case)


@pytest.mark.parametrize("case", RAISING, ids=_ids(RAISING))
def test_golden_error(case):
    expected = {"TypeError": TypeError, "ValueError": ValueError}[case["expect"]]
    with pytest.raises(expected) as error:
        raise_for(case)
    message = str(error.value)
    assert f"'{case['target'].split('.')[-1]}'" in message and f"'{ERROR_ARGS[case['id']]}'" in message, message


@pytest.mark.parametrize("case", NO_ERROR, ids=_ids(NO_ERROR))
def test_golden_error_case_without_error(case):
    """NLLLoss takes int logits (float32 result); FocalLoss index labels with fewer positions use the first ones."""
    out = raise_for(case)
    want = np.asarray(json.loads(case["message"]), F32)
    assert out.asnumpy().dtype == F32
    np.testing.assert_allclose(out.asnumpy(), want, **CATALOGUE_TOLERANCE["float32"])


@pytest.mark.parametrize("case_id", [k for k, v in DECIDED.items() if v == "D13"])
def test_d13_negative_labels_raise(case_id):
    """D13: labels in [-C, -1] do not wrap around to the last classes: ValueError naming the class and 'labels'."""
    case = _case(case_id)
    with pytest.raises(ValueError, match=rf"For '{case['target'][3:]}'.*'labels'.*negative"):
        run(case)


@pytest.mark.parametrize("case_id", list(DECIDED_ERRORS))
def test_d13_out_of_range_errors_are_value_errors(case_id):
    """D13 / C0.3: an out-of-range label (or a weight too short for the labels) is a ValueError, never a
    RuntimeError from a kernel or a crash; the message names the class and the argument."""
    case = _case(case_id)
    decision, arg = DECIDED_ERRORS[case_id]
    assert case["expect"] == "RuntimeError"
    with pytest.raises(ValueError) as error:
        raise_for(case)
    assert f"'{case['target'][3:]}'" in str(error.value) and f"'{arg}'" in str(error.value)


@pytest.mark.parametrize("ignore_index", [-1, 7])
def test_d13_ignore_index_may_be_any_int(ignore_index):
    """D13: a label equal to ignore_index passes even when it is negative or >= C (never range-checked)."""
    logits = np.array([[1.0, 2.0, 0.5], [0.2, -1.0, 3.0]], F32)
    labels = np.array([ignore_index, 2], np.int32)
    for loss, log_p in ((nn.CrossEntropyLoss(ignore_index=ignore_index), False),
                        (nn.NLLLoss(ignore_index=ignore_index), True)):
        out = loss(Tensor(logits), Tensor(labels))
        want = ref_cross_entropy(logits, labels, ignore_index=ignore_index, log_probabilities=log_p)
        np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-6)


def test_d3_focal_gradient_finite_at_p_equal_1():
    """D3: at p == 1 with gamma = 0, MindSpore's gradient rows are nan; lossviz gives the true (finite) one."""
    case = _case("FocalLoss/perfect_gamma0/none")
    out, grads = run(case)
    want = array(case["output"])
    assert_matches(out, want, case["id"], "output", CATALOGUE_TOLERANCE["float32"])
    logits, labels = (array(spec) for _, spec in case["inputs"])
    assert np.isnan(array(case["grads"]["logits"])[:2]).all()                 # MindSpore's defect
    reference = numerical_grad(lambda x: ref_focal(x, labels, gamma=0.0, reduction="sum"),
                               [logits.astype(np.float64)])[0]
    got = grads["logits"].asnumpy()
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, reference, rtol=1e-4, atol=1e-6)
    # gamma = 0 is cross-entropy: the gradient is softmax - onehot
    np.testing.assert_allclose(got, np.exp(ref_log_softmax(logits.astype(np.float64))) - np.eye(3)[labels[:, 0]],
                               atol=1e-6)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_d3_focal_term_derivative_at_log_p_0(gamma):
    """D3: d/dlog_p of -(1 - p)^gamma log_p at p = 1 is -1 for gamma = 0 and 0 for gamma > 0 (the limit)."""
    log_p = np.array([0.0, -0.0, -1e-30], F32)
    _, (grad,) = engine_vjp(lambda lp: fused_cross_entropy.FocalTerm(gamma)(lp), [log_p])
    np.testing.assert_allclose(grad, np.full(3, -1.0 if gamma == 0 else 0.0, F32), rtol=0, atol=1e-12)
    assert np.isfinite(grad).all()


def test_focal_float64_keeps_float32_accuracy_of_mindspore():
    """C0.4/C0.6: MindSpore's float64 FocalLoss went through float32 (get_loss, LogSoftmax kernel), so the
    golden float64 values carry float32 precision: compare with the float32 tolerances. lossviz keeps float64
    (semantics.md 9.1): it matches the float64 reference to 1e-12."""
    case = _case("FocalLoss/float64/mean")
    out, grads = run(case)
    assert out.asnumpy().dtype == np.float64 and grads["logits"].asnumpy().dtype == np.float64
    np.testing.assert_allclose(out.asnumpy(), array(case["output"]), **CATALOGUE_TOLERANCE["float32"])
    np.testing.assert_allclose(grads["logits"].asnumpy(), array(case["grads"]["logits"]),
                               **CATALOGUE_TOLERANCE["float32 grad"])
    logits, labels = (array(spec) for _, spec in case["inputs"])
    np.testing.assert_allclose(out.asnumpy(), ref_focal(logits, labels), rtol=1e-12)


def test_bce_with_logits_mixed_dtypes():
    """Mixed float32 input / float16 target: the output has target's dtype (float16), as in MindSpore.
    MindSpore hands back a float32 gradient for the float16 target; lossviz's engine gives every gradient its
    input's dtype (float16 here), with the same values."""
    case = _case("BCEWithLogitsLoss/mixed_f32_input_f16_target/none")
    out, grads = run(case)
    assert_matches(out, array(case["output"]), case["id"], "output", CATALOGUE_TOLERANCE["float16"])
    assert_matches(grads["input"], array(case["grads"]["input"]), case["id"], "grad input",
                   CATALOGUE_TOLERANCE["float32 grad"])
    want = array(case["grads"]["target"]).astype(np.float16)
    assert_matches(grads["target"], want, case["id"], "grad target", CATALOGUE_TOLERANCE["float16"])


def test_d16_bce_with_logits_reduction_checked_by_the_constructor():
    """D16: MindSpore checks BCEWithLogitsLoss's reduction only at the call; lossviz in the constructor
    (same types: ValueError for a wrong string, TypeError for None)."""
    case = _case("BCEWithLogitsLoss/bad_reduction")
    with pytest.raises(ValueError, match="'BCEWithLogitsLoss'.*'reduction'"):
        build(case)
    with pytest.raises(TypeError, match="'BCEWithLogitsLoss'.*'reduction'"):
        nn.BCEWithLogitsLoss(reduction=None)


@pytest.mark.parametrize("shapes", [((3, 4), (2, 3)), ((2, 3), (3, 4)), ((5,), (7,))])
def test_d2_bce_with_logits_mean_divides_by_this_calls_count(shapes):
    """D2: 'mean' scales the input gradient by 1/numel of each call (MindSpore reuses an earlier call's count)."""
    loss, rng = nn.BCEWithLogitsLoss(), np.random.default_rng(2)
    for shape in shapes:
        x, y = rng.standard_normal(shape).astype(F32), rng.uniform(0, 1, shape).astype(F32)
        grads = lossviz.grad(loss, grad_position=(0, 1))(Tensor(x), Tensor(y))
        x64, y64 = x.astype(np.float64), y.astype(np.float64)
        np.testing.assert_allclose(grads[0].asnumpy(), (1 / (1 + np.exp(-x64)) - y64) / x.size, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(grads[1].asnumpy(), -x64 / x.size, rtol=1e-6)


# ===================================================================================================
# 2. Gradients: float64 central differences, hypothesis-driven
# ===================================================================================================
def _rng(data):
    return np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))


def _shape(data, min_classes=2):
    n = data.draw(st.integers(1, 3), label="N")
    c = data.draw(st.integers(min_classes, 4), label="C")
    spatial = data.draw(st.sampled_from([(), (2,), (2, 1)]), label="spatial")
    return n, c, spatial


@HYPOTHESIS
@given(st.data())
def test_cross_entropy_index_gradients(data):
    rng, (n, c, spatial) = _rng(data), _shape(data)
    reduction = data.draw(st.sampled_from(REDUCTIONS), label="reduction")
    smoothing = data.draw(st.sampled_from([0.0, 0.2, 1.0]), label="label_smoothing")
    weight = rng.uniform(0.5, 2.0, c).astype(F32) if data.draw(st.booleans(), label="weighted") else None
    logits = rng.standard_normal((n, c) + spatial) * 2
    labels = rng.integers(0, c, (n,) + spatial).astype(np.int32)
    if labels.size > 1 and data.draw(st.booleans(), label="ignore one"):
        labels.flat[0] = -100
    loss = nn.CrossEntropyLoss(None if weight is None else Tensor(weight), -100, reduction, smoothing)
    with float64_allowed():
        out = loss(Tensor(logits), Tensor(labels))
        np.testing.assert_allclose(out.asnumpy(), ref_cross_entropy(logits, labels, weight, -100, reduction,
                                                                    smoothing), rtol=1e-10)
        check_grads(lambda x, t: loss(x, t), logits, labels)


@HYPOTHESIS
@given(st.data())
def test_cross_entropy_probability_gradients(data):
    rng, (n, c, spatial) = _rng(data), _shape(data)
    reduction = data.draw(st.sampled_from(REDUCTIONS), label="reduction")
    smoothing = data.draw(st.sampled_from([0.0, 0.3]), label="label_smoothing")
    weight = rng.uniform(0.5, 2.0, c).astype(F32) if data.draw(st.booleans(), label="weighted") else None
    logits = rng.standard_normal((n, c) + spatial) * 2
    probabilities = rng.uniform(0, 1, (n, c) + spatial)          # not normalised: the formula is linear in them
    loss = nn.CrossEntropyLoss(None if weight is None else Tensor(weight), reduction=reduction,
                               label_smoothing=smoothing)
    with float64_allowed():
        out = loss(Tensor(logits), Tensor(probabilities))
        np.testing.assert_allclose(out.asnumpy(), ref_cross_entropy(logits, probabilities, weight, -100, reduction,
                                                                    smoothing), rtol=1e-10)
        check_grads(lambda x, y: loss(x, y), logits, probabilities)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_1d_gradients(reduction):
    """(C,) logits with a 0-d label, or (C,) probabilities."""
    rng = np.random.default_rng(1)
    logits, probabilities = rng.standard_normal(4), rng.uniform(0, 1, 4)
    loss = nn.CrossEntropyLoss(Tensor(np.array([1.0, 2.0, 0.5, 1.5], F32)), reduction=reduction, label_smoothing=0.1)
    with float64_allowed():
        check_grads(lambda x, t: loss(x, t), logits, np.array(2, np.int32))
        check_grads(lambda x, y: loss(x, y), logits, probabilities)


@HYPOTHESIS
@given(st.data())
def test_nll_loss_gradients(data):
    rng, (n, c, spatial) = _rng(data), _shape(data, min_classes=1)
    reduction = data.draw(st.sampled_from(REDUCTIONS), label="reduction")
    weight = rng.uniform(0.5, 2.0, c).astype(F32) if data.draw(st.booleans(), label="weighted") else None
    logits = rng.standard_normal((n, c) + spatial)
    labels = rng.integers(0, c, (n,) + spatial).astype(data.draw(st.sampled_from([np.int32, np.int64])))
    if labels.size > 1 and data.draw(st.booleans(), label="ignore one"):
        labels.flat[-1] = 5
    loss = nn.NLLLoss(None if weight is None else Tensor(weight), 5, reduction)
    out = loss(Tensor(logits), Tensor(labels))
    np.testing.assert_allclose(out.asnumpy(), ref_cross_entropy(logits, labels, weight, 5, reduction,
                                                                log_probabilities=True), rtol=1e-12)
    check_grads(lambda x, t: loss(x, t), logits, labels)


@HYPOTHESIS
@given(st.data())
def test_focal_loss_gradients(data):
    rng, (n, c, spatial) = _rng(data), _shape(data)
    reduction = data.draw(st.sampled_from(REDUCTIONS), label="reduction")
    gamma = data.draw(st.sampled_from([0.0, 0.5, 2.0, 3.5, -0.5]), label="gamma")
    weight = rng.uniform(0.5, 2.0, c) if data.draw(st.booleans(), label="weighted") else None
    one_hot = data.draw(st.booleans(), label="one-hot labels")
    logits = rng.standard_normal((n, c) + spatial)
    if one_hot:
        labels = rng.uniform(0, 1, (n, c) + spatial)                # soft labels: differentiable
    else:
        labels = rng.integers(0, c, (n, 1) + spatial).astype(np.int32)
    loss = nn.FocalLoss(None if weight is None else Tensor(weight), gamma, reduction)
    with float64_allowed():             # float64 one-hot labels (MindSpore takes float16/float32 ones)
        out = loss(Tensor(logits), Tensor(labels))
        np.testing.assert_allclose(out.asnumpy(), ref_focal(logits, labels, weight, gamma, reduction), rtol=1e-10)
        check_grads(lambda x, y: loss(x, y), logits, labels)


@HYPOTHESIS
@given(st.data())
def test_bce_with_logits_gradients(data):
    rng = _rng(data)
    shape = data.draw(st.sampled_from([(), (3,), (2, 3), (2, 1, 3)]), label="shape")
    reduction = data.draw(st.sampled_from(REDUCTIONS), label="reduction")
    broadcast = st.sampled_from([shape, shape[-1:], (1,) * len(shape)])
    weight = (rng.uniform(0.5, 2.0, data.draw(broadcast, label="weight shape")).astype(F32)
              if data.draw(st.booleans(), label="weighted") else None)
    pos_weight = (rng.uniform(0.5, 3.0, data.draw(broadcast, label="pos_weight shape")).astype(F32)
                  if data.draw(st.booleans(), label="pos_weighted") else None)
    x, y = rng.standard_normal(shape) * 3, rng.uniform(-0.5, 1.5, shape)      # targets are not range-checked
    loss = nn.BCEWithLogitsLoss(reduction, None if weight is None else Tensor(weight),
                                None if pos_weight is None else Tensor(pos_weight))
    with float64_allowed():
        out = loss(Tensor(x), Tensor(y))
        np.testing.assert_allclose(out.asnumpy(), ref_bce_with_logits(x, y, weight, pos_weight, reduction),
                                   rtol=1e-10)
        check_grads(lambda a, b: loss(a, b), x, y)


# ----- gradients where the formulas have edges -----
def test_bce_with_logits_gradient_at_infinite_logits():
    """C1: d/dinput at +inf is 1 - y, at -inf 1 - y - lw; d/dtarget is -x without pos_weight (+inf at -inf)."""
    x = t32([np.inf, -np.inf, np.inf, -np.inf])
    y = t32([1.0, 1.0, 0.0, 0.5])
    pos_weight = np.array([2.0, 3.0, 0.5, 4.0], F32)
    for pw in (None, pos_weight):
        lw = 1 + ((1 if pw is None else pw) - 1) * y.asnumpy()
        loss = nn.BCEWithLogitsLoss("sum", pos_weight=None if pw is None else Tensor(pw))
        gx, gy = lossviz.grad(loss, grad_position=(0, 1))(x, y)
        np.testing.assert_array_equal(gx.asnumpy(), np.where(np.isposinf(x.asnumpy()), 1 - y.asnumpy(),
                                                             1 - y.asnumpy() - lw))
        if pw is None:
            np.testing.assert_array_equal(gy.asnumpy(), -x.asnumpy())


def test_bce_with_logits_large_logits_stay_finite():
    """softplus(-x) = max(-x, 0) + ln(1 + e^-|x|): x = -1000, y = 1 gives 1000, not inf."""
    out = nn.BCEWithLogitsLoss("none")(t32([-1000.0, 1000.0, 88.0, -88.0]), t32([1.0, 0.0, 1.0, 0.0]))
    np.testing.assert_allclose(out.asnumpy(), [1000.0, 1000.0, 0.0, 0.0], atol=1e-30)


@pytest.mark.parametrize("loss_class", [nn.CrossEntropyLoss, nn.NLLLoss])
def test_ignored_positions_get_exactly_zero(loss_class):
    """C2/C3: ignored positions contribute exactly 0 (even with non-finite logits) and get a zero gradient."""
    logits = np.array([[1.0, 2.0, 0.5], [np.inf, np.nan, 1.0], [0.3, -1.0, 2.0]], F32)
    labels = Tensor(np.array([1, -100, 2], np.int32))
    out = loss_class(reduction="none")(Tensor(logits), labels)
    assert out.asnumpy()[1] == 0
    grad = lossviz.grad(loss_class(reduction="sum"), grad_position=0)(Tensor(np.nan_to_num(logits)), labels)
    np.testing.assert_array_equal(grad.asnumpy()[1], np.zeros(3, F32))


@pytest.mark.parametrize("loss_class", [nn.CrossEntropyLoss, nn.NLLLoss])
def test_mean_of_nothing(loss_class):
    """C2/C3: all positions ignored: 'mean' is 0/0 = nan with a zero gradient; zero class weights (nothing
    ignored): nan, and nan in the gradient of every row (MindSpore and PyTorch alike)."""
    logits = Tensor(np.array([[1.0, 2.0, 0.5], [0.2, 0.1, 1.0]], F32))
    ignored = loss_class(ignore_index=1)
    value, grad = lossviz.value_and_grad(ignored, grad_position=0)(logits, Tensor(np.array([1, 1], np.int32)))
    assert np.isnan(value.asnumpy()) and (grad.asnumpy() == 0).all()
    zero = loss_class(Tensor(np.array([0.0, 0.0, 1.0], F32)))
    with np.errstate(invalid="ignore"):
        value, grad = lossviz.value_and_grad(zero, grad_position=0)(logits, Tensor(np.array([0, 1], np.int32)))
    assert np.isnan(value.asnumpy()) and np.isnan(grad.asnumpy()).any(axis=1).all()     # every row


def test_constructor_weights_are_constants():
    """C1-C4: weight / pos_weight are constructor constants: they receive no gradient, even a Tensor that asks."""
    w = Tensor(np.array([1.0, 2.0, 0.5], F32), requires_grad=True)
    for loss, target in ((nn.CrossEntropyLoss(w), IDX), (nn.NLLLoss(w), IDX), (nn.FocalLoss(w), COLUMN),
                         (nn.BCEWithLogitsLoss("sum", w, w), X)):
        out = loss(X, target)
        assert not out.requires_grad


def test_cross_entropy_label_smoothing_one_leaves_the_uniform_term():
    logits, labels = np.array([[1.0, 2.0, 0.5]], F32), np.array([0], np.int32)
    out = nn.CrossEntropyLoss(label_smoothing=1.0)(Tensor(logits), Tensor(labels))
    np.testing.assert_allclose(out.asnumpy(), -ref_log_softmax(logits.astype(np.float64)).mean(), rtol=1e-6)


# ===================================================================================================
# 3. Bad input
# ===================================================================================================
X = t32([[1.0, 2.0, 0.5], [0.2, -1.0, 3.0]])
IDX = Tensor(np.array([0, 2], np.int32))
COLUMN = Tensor(np.array([[0], [2]], np.int32))
BAD_CONSTRUCTORS = [
    # (constructor, kwargs, exception, argument)
    (nn.CrossEntropyLoss, {"reduction": "avg"}, ValueError, "reduction"),
    (nn.CrossEntropyLoss, {"reduction": None}, ValueError, "reduction"),
    (nn.CrossEntropyLoss, {"label_smoothing": "0.1"}, TypeError, "label_smoothing"),
    (nn.CrossEntropyLoss, {"label_smoothing": True}, TypeError, "label_smoothing"),
    (nn.CrossEntropyLoss, {"label_smoothing": float("nan")}, ValueError, "label_smoothing"),
    (nn.CrossEntropyLoss, {"label_smoothing": float("inf")}, ValueError, "label_smoothing"),
    (nn.CrossEntropyLoss, {"label_smoothing": -0.5}, ValueError, "label_smoothing"),
    (nn.CrossEntropyLoss, {"ignore_index": True}, TypeError, "ignore_index"),
    (nn.CrossEntropyLoss, {"ignore_index": "1"}, TypeError, "ignore_index"),
    (nn.CrossEntropyLoss, {"weight": [1.0, 2.0, 3.0]}, TypeError, "weight"),
    (nn.NLLLoss, {"weight": Tensor(np.ones(3, np.float64))}, TypeError, "weight"),
    (nn.NLLLoss, {"ignore_index": 1.0}, TypeError, "ignore_index"),
    (nn.NLLLoss, {"reduction": "mean "}, ValueError, "reduction"),
    (nn.FocalLoss, {"gamma": "2"}, TypeError, "gamma"),
    (nn.FocalLoss, {"gamma": True}, TypeError, "gamma"),
    (nn.FocalLoss, {"gamma": float("nan")}, ValueError, "gamma"),
    (nn.FocalLoss, {"gamma": float("inf")}, ValueError, "gamma"),
    (nn.FocalLoss, {"weight": Tensor(np.array([True, False]))}, TypeError, "weight"),
    (nn.FocalLoss, {"weight": np.ones(3, F32)}, TypeError, "weight"),
    (nn.FocalLoss, {"reduction": 1}, ValueError, "reduction"),
    (nn.BCEWithLogitsLoss, {"reduction": "Mean"}, ValueError, "reduction"),
    (nn.BCEWithLogitsLoss, {"reduction": 0}, TypeError, "reduction"),
    (nn.BCEWithLogitsLoss, {"weight": Parameter(Tensor(np.ones(3, F32)))}, TypeError, "weight"),
    (nn.BCEWithLogitsLoss, {"pos_weight": Parameter(Tensor(np.ones(3, F32)))}, TypeError, "pos_weight"),
    (nn.BCEWithLogitsLoss, {"pos_weight": np.ones(3, F32)}, TypeError, "pos_weight"),
    (nn.BCEWithLogitsLoss, {"pos_weight": 2.0}, TypeError, "pos_weight"),
    (nn.BCEWithLogitsLoss, {"pos_weight": Tensor(np.ones(3, np.int32))}, TypeError, "pos_weight"),
]


@pytest.mark.parametrize("make, kwargs, exception, arg", BAD_CONSTRUCTORS,
                         ids=[f"{m.__name__}-{a}-{i}" for i, (m, _, _, a) in enumerate(BAD_CONSTRUCTORS)])
def test_bad_constructor_argument(make, kwargs, exception, arg):
    with pytest.raises(exception, match=rf"For '{make.__name__}'.*'{arg}'"):
        make(**kwargs)


BAD_CALLS = [
    # (loss, inputs, exception, argument)
    (nn.CrossEntropyLoss(), (X, [0, 2]), TypeError, "labels"),
    (nn.CrossEntropyLoss(), (X.asnumpy(), IDX), TypeError, "logits"),
    (nn.CrossEntropyLoss(), (Tensor(np.ones((2, 3), np.int32)), IDX), TypeError, "logits"),
    (nn.CrossEntropyLoss(), (Tensor(np.float32(1.0)), Tensor(np.int32(0))), ValueError, "logits"),
    (nn.CrossEntropyLoss(), (Tensor(np.ones((2, 0), F32)), Tensor(np.zeros(2, np.int32))), ValueError, "logits"),
    (nn.CrossEntropyLoss(), (X, Tensor(np.array([0, 3], np.int32))), ValueError, "labels"),
    (nn.CrossEntropyLoss(), (X, Tensor(np.array([-1, 0], np.int32))), ValueError, "labels"),
    (nn.CrossEntropyLoss(), (X, Tensor(np.array([True, False]))), TypeError, "labels"),
    (nn.CrossEntropyLoss(), (X, Tensor(np.ones((2, 3), np.int32))), TypeError, "labels"),
    (nn.CrossEntropyLoss(), (X, Tensor(np.ones((3, 2), F32))), ValueError, "labels"),
    (nn.CrossEntropyLoss(Tensor(np.ones((1, 3), F32))), (X, IDX), ValueError, "weight"),
    (nn.CrossEntropyLoss(Tensor(np.ones(4, F32))), (X, Tensor(np.ones((2, 3), F32))), ValueError, "weight"),
    (nn.NLLLoss(), (X, Tensor(np.array([0, 3], np.int64))), ValueError, "labels"),
    (nn.NLLLoss(), (X, Tensor(np.array([0, -3], np.int32))), ValueError, "labels"),
    (nn.NLLLoss(), (X, Tensor(np.array([[0, 1], [1, 0]], np.int32))), ValueError, "labels"),
    (nn.NLLLoss(), (X, Tensor(np.array(1, np.int32))), ValueError, "labels"),
    (nn.NLLLoss(), (Tensor(np.ones((2, 3), np.bool_)), IDX), TypeError, "logits"),
    (nn.NLLLoss(), (Tensor(np.float32(1.0)), Tensor(np.int32(0))), ValueError, "logits"),
    (nn.NLLLoss(), (X, Tensor(np.array([0, 1], np.uint8))), TypeError, "labels"),
    (nn.NLLLoss(), (X, None), TypeError, "labels"),
    (nn.FocalLoss(), (X, Tensor(np.array([[0], [-1]], np.int32))), ValueError, "labels"),
    (nn.FocalLoss(), (X, Tensor(np.array([[0.5], [-1.5]], F32))), ValueError, "labels"),
    (nn.FocalLoss(), (X, Tensor(np.array([[0.5], [np.nan]], F32))), ValueError, "labels"),
    (nn.FocalLoss(), (X, Tensor(np.zeros((3, 1), np.int32))), ValueError, "labels"),
    (nn.FocalLoss(), (t32(np.ones((2, 3, 2))), Tensor(np.zeros((2, 1, 3), np.int32))), ValueError, "labels"),
    (nn.FocalLoss(), (t32(np.ones((2, 3, 2))), t32(np.ones((2, 3, 1)))), ValueError, "labels"),
    (nn.FocalLoss(), (Tensor(np.float32(1.0)), COLUMN), ValueError, "logits"),
    (nn.FocalLoss(), (X, COLUMN.asnumpy()), TypeError, "labels"),
    (nn.FocalLoss(Tensor(np.ones(2, F32))), (X, t32(np.eye(2, 3))), ValueError, "weight"),
    (nn.BCEWithLogitsLoss(), (X, Tensor(np.ones((2, 3), np.float64))), TypeError, "target"),
    (nn.BCEWithLogitsLoss(), (X, t32(np.ones((1, 3)))), ValueError, "target"),
    (nn.BCEWithLogitsLoss(), (X, 1.0), TypeError, "target"),
    (nn.BCEWithLogitsLoss(), (Tensor(np.float32(1.0)), t32(np.ones(1))), ValueError, "target"),
    (nn.BCEWithLogitsLoss(pos_weight=t32(np.ones((2, 1, 3)))), (X, X), ValueError, "pos_weight"),
]


@pytest.mark.parametrize("loss, args, exception, arg", BAD_CALLS,
                         ids=[f"{type(l).__name__}-{a}-{i}" for i, (l, _, _, a) in enumerate(BAD_CALLS)])
def test_bad_call(loss, args, exception, arg):
    with pytest.raises(exception, match=rf"For '{type(loss).__name__}'.*'{arg}'"):
        loss(*args)


def test_zero_d_inputs_where_the_maths_allows():
    """BCEWithLogitsLoss works on 0-d tensors; CrossEntropyLoss / NLLLoss on (C,) logits with a 0-d label."""
    out = nn.BCEWithLogitsLoss("none")(t32(0.5), t32(1.0))
    assert out.shape == () and np.isclose(out.asnumpy(), np.logaddexp(0, -0.5))
    label = Tensor(np.int32(1))
    assert nn.CrossEntropyLoss(reduction="none")(t32([1.0, 2.0]), label).shape == ()
    assert np.isclose(nn.NLLLoss()(t32([-1.0, -2.0]), label).asnumpy(), 2.0)


def test_dtype_rules():
    """C2-C4: float16 logits give float16, float32 once a float32 weight / label meets them; NLLLoss keeps
    float64 and makes int logits float32."""
    h = Tensor(np.array([[1.0, 2.0, 0.5], [0.2, -1.0, 3.0]], np.float16))
    w32, w16 = Tensor(np.ones(3, F32)), Tensor(np.ones(3, np.float16))
    assert nn.CrossEntropyLoss()(h, IDX).dtype == lossviz.float16
    assert nn.CrossEntropyLoss(w16)(h, IDX).dtype == lossviz.float16
    assert nn.CrossEntropyLoss(w32)(h, IDX).dtype == lossviz.float32
    assert nn.CrossEntropyLoss()(h, t32(np.eye(2, 3))).dtype == lossviz.float32
    assert nn.CrossEntropyLoss(w16)(X, IDX).dtype == lossviz.float32
    assert nn.NLLLoss()(Tensor(X.asnumpy().astype(np.float64)), IDX).dtype == lossviz.float64
    assert nn.NLLLoss()(Tensor(np.ones((2, 3), np.int64)), IDX).dtype == lossviz.float32
    assert nn.FocalLoss(w32)(h, COLUMN).dtype == lossviz.float32
    assert nn.FocalLoss(Tensor([1, 2, 3]))(h, COLUMN).dtype == lossviz.float16
    assert nn.BCEWithLogitsLoss()(h, Tensor(np.ones((2, 3), F32))).dtype == lossviz.float32


def test_nll_loss_column_labels():
    """C3: (N, 1) labels with (N, C) logits behave like (N,); 'none' gives (N,)."""
    column = nn.NLLLoss(reduction="none")(X, COLUMN)
    np.testing.assert_array_equal(column.asnumpy(), nn.NLLLoss(reduction="none")(X, IDX).asnumpy())
    assert column.shape == (2,)


# ===================================================================================================
# 4. Fused primitives against the same formulas written with plain ops (float64: values and gradients)
# ===================================================================================================
def _compare(fused, composed, *arrays, rtol=1e-12, atol=1e-14):
    out_f, grads_f = engine_vjp(fused, list(arrays))
    out_c, grads_c = engine_vjp(composed, list(arrays))
    np.testing.assert_allclose(out_f, out_c, rtol=rtol, atol=atol)
    for got, want in zip(grads_f, grads_c):
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _picked(t2d, labels):
    return ops.GetItem()(t2d, (np.arange(t2d.shape[0]), labels.asnumpy()))


@pytest.mark.parametrize("smoothing, weighted", [(0.0, False), (0.1, False), (0.25, True), (1.0, True)])
def test_fused_smoothed_cross_entropy_equals_plain_ops(smoothing, weighted):
    rng = np.random.default_rng(3)
    x, labels = rng.standard_normal((5, 4)) * 3, rng.integers(0, 4, 5).astype(np.int32)
    weight = rng.uniform(0.5, 2.0, 4) if weighted else None
    w = np.ones(4) if weight is None else weight

    def composed(logits, t):
        log_p = ops.LogSoftmax(axis=1)(logits)
        one_hot = -_picked(log_p, t) * Tensor(w[t.asnumpy()]) * (1 - smoothing)
        return one_hot - (log_p * Tensor(w)).sum(axis=1) * (smoothing / 4)

    fused = fused_cross_entropy.SmoothedSparseSoftmaxCrossEntropy(smoothing, weight)
    _compare(lambda logits, t: fused(logits, t), composed, x, labels)


@pytest.mark.parametrize("smoothing, weighted", [(0.0, False), (0.0, True), (0.3, True)])
def test_fused_negative_log_likelihood_equals_plain_ops(smoothing, weighted):
    rng = np.random.default_rng(4)
    x, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, 5).astype(np.int64)
    weight = rng.uniform(0.5, 2.0, 4) if weighted else None
    w = np.ones(4) if weight is None else weight

    def composed(log_p, t):
        return -_picked(log_p, t) * Tensor(w[t.asnumpy()]) * (1 - smoothing) - (log_p * Tensor(w)).sum(axis=1) * (
            smoothing / 4)

    fused = fused_cross_entropy.NegativeLogLikelihood(smoothing, weight)
    _compare(lambda log_p, t: fused(log_p, t), composed, x, labels)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, -1.0])
def test_fused_focal_term_equals_plain_ops(gamma):
    log_p = -np.random.default_rng(5).uniform(0.01, 5.0, (3, 4))

    def composed(lp):
        return -((1 - ops.Exp()(lp)) ** gamma) * lp

    _compare(lambda lp: fused_cross_entropy.FocalTerm(gamma)(lp), composed, log_p, rtol=1e-11)


@pytest.mark.parametrize("pos_weighted", [False, True])
def test_fused_bce_with_logits_equals_plain_ops(pos_weighted):
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((3, 4)) * 4, rng.uniform(0, 1, (3, 4))
    pos_weight = rng.uniform(0.5, 3.0, 4) if pos_weighted else None

    def composed(a, b):
        lw = 1 if pos_weight is None else (Tensor(pos_weight) - 1) * b + 1
        softplus = ops.Maximum()(-a, Tensor(0.0, lossviz.float64)) + ops.Log()(1 + ops.Exp()(-ops.Abs()(a)))
        return (1 - b) * a + lw * softplus

    fused = fused_cross_entropy.BinaryCrossEntropyWithLogits(pos_weight)
    _compare(lambda a, b: fused(a, b), composed, x, y)


def test_fused_bce_with_logits_on_a_million_elements():
    """The chunked kernel (several chunks) gives the formula's numbers, float32."""
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal(300_000).astype(F32) * 5, rng.uniform(0, 1, 300_000).astype(F32)
    value, grads = lossviz.value_and_grad(nn.BCEWithLogitsLoss(), grad_position=(0, 1))(Tensor(x), Tensor(y))
    np.testing.assert_allclose(value.asnumpy(), ref_bce_with_logits(x, y), rtol=1e-5)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(grads[0].asnumpy(), (1 / (1 + np.exp(-x64)) - y) / x.size, rtol=1e-4, atol=1e-12)
    np.testing.assert_allclose(grads[1].asnumpy(), -x64 / x.size, rtol=1e-6)


# ===================================================================================================
# 5. Functional forms
# ===================================================================================================
def test_functional_forms_give_the_class_numbers():
    rng = np.random.default_rng(8)
    logits, labels = Tensor(rng.standard_normal((4, 3)).astype(F32)), Tensor(np.array([0, 2, 1, -100], np.int32))
    weight = Tensor(np.array([1.0, 2.0, 0.5], F32))
    for reduction in REDUCTIONS:
        np.testing.assert_array_equal(
            ops.cross_entropy(logits, labels, weight, -100, reduction, 0.1).asnumpy(),
            nn.CrossEntropyLoss(weight, -100, reduction, 0.1)(logits, labels).asnumpy())
        np.testing.assert_array_equal(ops.nll_loss(logits, labels, weight, reduction=reduction).asnumpy(),
                                      nn.NLLLoss(weight, reduction=reduction)(logits, labels).asnumpy())
        target = Tensor(rng.uniform(0, 1, (4, 3)).astype(F32))
        np.testing.assert_array_equal(
            ops.binary_cross_entropy_with_logits(logits, target, weight, weight, reduction).asnumpy(),
            nn.BCEWithLogitsLoss(reduction, weight, weight)(logits, target).asnumpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_function_label_smoothing(reduction):
    """ops.nll_loss has MindSpore's functional label_smoothing: cross_entropy's formula on the given inputs."""
    rng = np.random.default_rng(9)
    x, labels, weight = rng.standard_normal((4, 3)), np.array([0, 2, 7, 1]), np.array([1.0, 2.0, 0.5], F32)
    out = ops.nll_loss(Tensor(x), Tensor(labels), Tensor(weight), 7, reduction, 0.2)
    np.testing.assert_allclose(out.asnumpy(), ref_cross_entropy(x, labels, weight, 7, reduction, 0.2,
                                                                log_probabilities=True), rtol=1e-12)
    check_grads(lambda a, t: ops.nll_loss(a, t, Tensor(weight), 7, reduction, 0.2), x, labels)


@pytest.mark.parametrize("call, exception, words", [
    (lambda: ops.cross_entropy(Tensor(np.ones((2, 3))), IDX), TypeError, ("cross_entropy", "input")),
    (lambda: ops.cross_entropy(X, Tensor(np.array([0, 5], np.int32))), ValueError, ("cross_entropy", "target")),
    (lambda: ops.cross_entropy(X, IDX, label_smoothing=2.0), ValueError, ("cross_entropy", "label_smoothing")),
    (lambda: ops.nll_loss(X, Tensor(np.array([0, -1], np.int32))), ValueError, ("nll_loss", "target")),
    (lambda: ops.nll_loss(X.asnumpy(), IDX), TypeError, ("nll_loss", "inputs")),
    (lambda: ops.nll_loss(X, IDX, label_smoothing=1), TypeError, ("nll_loss", "label_smoothing")),
    (lambda: ops.binary_cross_entropy_with_logits(X, X, weight=2.0), TypeError,
     ("binary_cross_entropy_with_logits", "weight")),
    (lambda: ops.binary_cross_entropy_with_logits(X, t32([1.0])), ValueError,
     ("binary_cross_entropy_with_logits", "target")),
])
def test_functional_errors_name_the_function(call, exception, words):
    with pytest.raises(exception) as error:
        call()
    assert all(f"'{word}'" in str(error.value) for word in words), str(error.value)


def test_golden_inputs_through_the_functional_forms():
    """Every golden case of CrossEntropyLoss / NLLLoss / BCEWithLogitsLoss gives the same output through its
    functional form (the parity of the classes carries over)."""
    functions = {"CrossEntropyLoss": (ops.cross_entropy, ("weight", "ignore_index", "reduction", "label_smoothing")),
                 "NLLLoss": (ops.nll_loss, ("weight", "ignore_index", "reduction")),
                 "BCEWithLogitsLoss": (ops.binary_cross_entropy_with_logits, ("weight", "pos_weight", "reduction"))}
    count = 0
    for case in PARITY:
        name = case["target"][3:]
        if name not in functions:
            continue
        function, keys = functions[name]
        loss = build(case)
        kwargs = {key: getattr(loss, key) for key in keys}
        args = inputs(case)
        np.testing.assert_array_equal(function(*args, **kwargs).asnumpy(), loss(*args).asnumpy(), err_msg=case["id"])
        count += 1
    assert count == 22 + 36 + 20 - 3      # the decided / special cases of these three are tested above
