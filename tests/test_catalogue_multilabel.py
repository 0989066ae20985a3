"""Multi-label, margin and segmentation losses against MindSpore 2.10's catalogue, and on their own.

MultiLabelSoftMarginLoss, MultiMarginLoss, MultilabelMarginLoss, DiceLoss,
MultiClassDiceLoss (shared/spec/catalogue/classification.md C5-C9):

1. parity with every golden case and error case of both catalogue files,
   except the ones a decision of shared/spec/catalogue/README.md replaces
   (D1, D9, D20), which assert the decided behaviour against float64 numpy;
2. float64 central-difference gradients (hypothesis shapes, every reduction,
   every differentiable input), and the gradient at each kink;
3. bad input: TypeError / ValueError naming the class and the argument;
4. each fused primitive against the same formula composed of plain ops;
5. the functional forms (ops.multi_margin_loss ...): the class's numbers, errors naming the function.
"""
import builtins

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import lossviz
import lossviz.nn as nn
import lossviz.ops as ops
from golden import array, assert_case, build, catalogue, inputs, raise_for
from gradcheck import check_grads
from lossviz import Tensor
from lossviz.ops import fused_multilabel as fused

LOSSES = ("MultiLabelSoftMarginLoss", "MultiMarginLoss", "MultilabelMarginLoss", "DiceLoss", "MultiClassDiceLoss")
CASES, ERRORS = catalogue(*LOSSES)
REDUCTIONS = ["mean", "sum", "none"]
FAST = settings(deadline=None, max_examples=8, derandomize=True)
seeds = st.integers(0, 2**32 - 1)

# Golden ids whose MindSpore behaviour a decision replaces (shared/spec/catalogue/README.md).
DECIDED_CASES = {"MultiLabelSoftMarginLoss/large_logits/none": "D9"}
DECIDED_ERRORS = {"MultilabelMarginLoss/valid_input_cpu_unsupported": "D1",
                  "MultilabelMarginLoss/valid_1d_cpu_unsupported": "D1",
                  "MultiClassDiceLoss/activation_capitalised": "D20"}

# The argument each golden error case is about (its message must name it).
ERROR_ARGS = {
    "DiceLoss/smooth_int": "smooth", "DiceLoss/smooth_zero": "smooth", "DiceLoss/smooth_negative": "smooth",
    "DiceLoss/shape_mismatch": "labels", "DiceLoss/labels_uint8": "labels", "DiceLoss/bool_inputs": "logits",
    "DiceLoss/numpy_logits": "logits",
    "MultiClassDiceLoss/bad_activation": "activation", "MultiClassDiceLoss/activation_int": "activation",
    "MultiClassDiceLoss/weights_1d": "weights", "MultiClassDiceLoss/weights_list": "weights",
    "MultiClassDiceLoss/ignore_float": "ignore_indiex", "MultiClassDiceLoss/weights_wrong_rows": "weights",
    "MultiClassDiceLoss/logits_1d": "logits", "MultiClassDiceLoss/shape_mismatch": "labels",
    "MultiLabelSoftMarginLoss/bad_reduction": "reduction",
    "MultiLabelSoftMarginLoss/weight_not_broadcastable": "weight",
    "MultiLabelSoftMarginLoss/weight_numpy": "weight", "MultiLabelSoftMarginLoss/target_not_broadcastable": "target",
    "MultiLabelSoftMarginLoss/input_int": "x", "MultiLabelSoftMarginLoss/input_0d": "x",
    "MultiLabelSoftMarginLoss/numpy_x": "x",
    "MultiMarginLoss/p3": "p", "MultiMarginLoss/p_float": "p", "MultiMarginLoss/margin_int": "margin",
    "MultiMarginLoss/bad_reduction": "reduction", "MultiMarginLoss/target_int32": "target",
    "MultiMarginLoss/target_float": "target", "MultiMarginLoss/target_equals_C": "target",
    "MultiMarginLoss/target_negative": "target", "MultiMarginLoss/weight_dtype_mismatch": "weight",
    "MultiMarginLoss/weight_wrong_length": "weight", "MultiMarginLoss/weight_2d": "weight",
    "MultiMarginLoss/weight_numpy": "weight", "MultiMarginLoss/target_wrong_length": "target",
    "MultiMarginLoss/target_2d": "target", "MultiMarginLoss/x_1d": "x", "MultiMarginLoss/x_int": "x",
    "MultilabelMarginLoss/bad_reduction": "reduction", "MultilabelMarginLoss/target_int64": "target",
    "MultilabelMarginLoss/target_float": "target", "MultilabelMarginLoss/shape_mismatch": "target",
    "MultilabelMarginLoss/x_3d": "x",
}

PARITY_CASES = [c for c in CASES if c["id"] not in DECIDED_CASES]
PARITY_ERRORS = [e for e in ERRORS if e["id"] not in DECIDED_ERRORS]


def T(data, dtype=np.float32):
    return Tensor(np.array(data, dtype))


def cls_of(case):
    return case["target"].split(".")[-1]


# ----- float64 references (independent numpy) -----
def softplus(x):
    return np.logaddexp(0.0, x)


def ref_soft_margin(x, t, weight=None):
    """per-sample t softplus(-x) + (1 - t) softplus(x), times weight, summed over axis x.ndim-1, / C."""
    x, t = np.asarray(x, np.float64), np.asarray(t, np.float64)
    term = t * softplus(-x) + (1 - t) * softplus(x)
    if weight is not None:
        term = term * np.asarray(weight, np.float64)
    return term.sum(axis=x.ndim - 1) / x.shape[-1]


def ref_soft_margin_grads(x, t, weight=1.0):
    """d sum(per) / dx, dt for same-shape x and t."""
    x, t = np.asarray(x, np.float64), np.asarray(t, np.float64)
    c = x.shape[-1]
    return (1 / (1 + np.exp(-x)) - t) * weight / c, -x * weight / c


def ref_multilabel_margin(x, target):
    """per-sample sum over listed j, unlisted i of max(0, 1 - (x_j - x_i)) / C, and d sum / dx."""
    x = np.asarray(x, np.float64)
    x2, t2 = np.atleast_2d(x), np.atleast_2d(target)
    n, c = x2.shape
    out, grad = np.zeros(n), np.zeros((n, c))
    for row in range(n):
        listed = []
        for k in t2[row]:
            if k == -1:
                break
            listed.append(int(k))
        others = [i for i in range(c) if i not in listed]
        for j in listed:
            for i in others:
                z = 1 - (x2[row, j] - x2[row, i])
                if z > 0:
                    out[row] += z / c
                    grad[row, i] += 1 / c
                    grad[row, j] -= 1 / c
    return (out.reshape(()) if x.ndim == 1 else out), grad.reshape(x.shape)


def ref_multi_margin(x, y, p=1, margin=1.0, weight=None):
    x = np.asarray(x, np.float64)
    n, c = x.shape
    w = np.ones(c) if weight is None else np.asarray(weight, np.float64)
    out = np.zeros(n)
    for row in range(n):
        for i in range(c):
            if i != y[row]:
                z = margin - x[row, y[row]] + x[row, i]
                if z > 0:
                    out[row] += w[y[row]] * z ** p / c
    return out


def ref_activation(name, x):
    x = np.asarray(x, np.float64)
    if name in ("softmax", "Softmax", "logsoftmax"):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        s = e / e.sum(axis=-1, keepdims=True)
        return np.log(s) if name == "logsoftmax" else s
    return {"relu": lambda v: np.maximum(v, 0), "relu6": lambda v: np.clip(v, 0, 6), "tanh": np.tanh,
            "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "Sigmoid": lambda v: 1 / (1 + np.exp(-v)),
            None: lambda v: v}[name](x)


def ref_dice(a, y, smooth=1e-5):
    a, y = np.asarray(a, np.float64).ravel(), np.asarray(y, np.float64).ravel()
    return 1 - 2 * np.dot(a, y) / (np.dot(a, a) + np.dot(y, y) + smooth)


def ref_multiclass_dice(x, y, activation="softmax", weights=None, ignore=None):
    a, c = ref_activation(activation, x), x.shape[1]
    total = 0.0
    for i in range(c):
        if i != ignore:
            d = ref_dice(a[:, i], np.asarray(y)[:, i])
            total = total + (d if weights is None else d * np.asarray(weights, np.float64)[i])
    return total / c


# ----- 1. parity with the golden data -----
def test_every_golden_case_is_covered():
    assert len(CASES) == 76 and len(ERRORS) == 46
    assert {cls_of(c) for c in CASES} == set(LOSSES)
    assert set(DECIDED_CASES) <= {c["id"] for c in CASES}
    assert set(DECIDED_ERRORS) <= {e["id"] for e in ERRORS}
    assert len(PARITY_CASES) + len(DECIDED_CASES) == len(CASES)
    assert {e["id"] for e in PARITY_ERRORS} == set(ERROR_ARGS)
    assert len(PARITY_ERRORS) + len(DECIDED_ERRORS) == len(ERRORS)


@pytest.mark.parametrize("case", PARITY_CASES, ids=[c["id"] for c in PARITY_CASES])
def test_golden_case(case):
    assert_case(case)


@pytest.mark.parametrize("case", PARITY_ERRORS, ids=[e["id"] for e in PARITY_ERRORS])
def test_golden_error(case):
    with pytest.raises(getattr(builtins, case["expect"])) as caught:
        raise_for(case)
    message = str(caught.value)
    assert f"'{cls_of(case)}'" in message and f"'{ERROR_ARGS[case['id']]}'" in message, message
    assert isinstance(caught.value, (TypeError, ValueError))


def test_d9_large_logits_are_finite():
    """D9: MultiLabelSoftMarginLoss uses a stable log-sigmoid: finite where MindSpore overflows to inf / nan."""
    case = next(c for c in CASES if c["id"] == "MultiLabelSoftMarginLoss/large_logits/none")
    x, t = (array(spec) for _, spec in case["inputs"])
    out, grads = lossviz_run(case)
    np.testing.assert_allclose(out, ref_soft_margin(x, t), rtol=1e-6)
    gx, gt = ref_soft_margin_grads(x, t)
    np.testing.assert_allclose(grads["x"], gx, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(grads["target"], gt, rtol=1e-5)
    assert np.isfinite(out).all() and np.isfinite(grads["x"]).all()


def lossviz_run(case):
    from golden import run
    out, grads = run(case)
    return out.asnumpy(), {k: v.asnumpy() for k, v in grads.items()}


@pytest.mark.parametrize("case_id", [k for k, v in DECIDED_ERRORS.items() if v == "D1"])
def test_d1_multilabel_margin_runs_on_cpu(case_id):
    """D1: MultiLabelMarginLoss has no CPU kernel in MindSpore; lossviz computes the documented formula."""
    case = next(e for e in ERRORS if e["id"] == case_id)
    x, target = inputs(case)
    out = build(case)(x, target)
    per, _ = ref_multilabel_margin(x.asnumpy(), target.asnumpy())
    want = {"none": per, "sum": per.sum(), "mean": per.mean()}[build(case).reduction]
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-6)
    assert out.dtype == x.dtype


def test_d1_documented_example():
    """D1: the docstring example 0.325 (the nocpu reference file's cases are in test_golden_case)."""
    x = T([[0.1, 0.2, 0.4, 0.8], [0.2, 0.3, 0.5, 0.7]])
    target = T([[1, 2, 0, 3], [2, 3, -1, 1]], np.int32)
    np.testing.assert_allclose(nn.MultilabelMarginLoss()(x, target).asnumpy(), 0.325, rtol=1e-6)
    assert nocpu_count() >= 13


def nocpu_count():
    return sum(1 for c in CASES if cls_of(c) == "MultilabelMarginLoss")


def test_d20_capitalised_activations_are_accepted():
    """D20: 'Sigmoid' (documented) and 'Softmax' are accepted and equal their lowercase twins."""
    case = next(e for e in ERRORS if e["id"] == "MultiClassDiceLoss/activation_capitalised")
    loss = raise_for(case)                       # the init case: builds without an error now
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 4, 2)), np.eye(4)[rng.integers(0, 4, (3, 2))].transpose(0, 2, 1)
    np.testing.assert_allclose(loss(Tensor(x), Tensor(y)).asnumpy(), ref_multiclass_dice(x, y, "Sigmoid"), rtol=1e-12)
    for upper, lower in (("Sigmoid", "sigmoid"), ("Softmax", "softmax")):
        a = nn.MultiClassDiceLoss(activation=upper)(Tensor(x), Tensor(y)).asnumpy()
        b = nn.MultiClassDiceLoss(activation=lower)(Tensor(x), Tensor(y)).asnumpy()
        assert a == b
        np.testing.assert_allclose(a, ref_multiclass_dice(x, y, upper), rtol=1e-12)


# ----- 2. gradients (float64 central differences) -----
@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=st.integers(1, 3), c=st.integers(1, 4), weighting=st.sampled_from(["none", "tensor", "number", "row"]),
       seed=seeds)
def test_multilabel_soft_margin_gradients(reduction, n, c, weighting, seed):
    rng = np.random.default_rng(seed)
    x, t = rng.standard_normal((n, c)) * 3, rng.uniform(0, 1, (n, c))
    if weighting == "none":
        check_grads(lambda a, b: nn.MultiLabelSoftMarginLoss(reduction=reduction)(a, b), x, t)
    elif weighting == "number":
        check_grads(lambda a, b: nn.MultiLabelSoftMarginLoss(2.5, reduction)(a, b), x, t)
    else:   # a Tensor weight (per class, or per sample) is differentiated too
        w = rng.uniform(0.5, 2, (c,) if weighting == "tensor" else (n, 1))
        check_grads(lambda a, b, v: nn.MultiLabelSoftMarginLoss(v, reduction)(a, b), x, t, w)


@FAST
@given(shape=st.sampled_from([(4,), (2, 3, 4), (1, 1)]), broadcast=st.booleans(), seed=seeds)
def test_multilabel_soft_margin_gradients_other_ranks(shape, broadcast, seed):
    rng = np.random.default_rng(seed)
    x, t = rng.standard_normal(shape), rng.uniform(0, 1, shape[-1:] if broadcast else shape)
    check_grads(lambda a, b: nn.MultiLabelSoftMarginLoss(reduction="none")(a, b), x, t)
    # x (C,) against target (N, C): the class sum runs over the batch (MindSpore's x_broadcast quirk)
    x1, t2 = rng.standard_normal(shape[-1]), rng.uniform(0, 1, (3, shape[-1]))
    check_grads(lambda a, b: nn.MultiLabelSoftMarginLoss(reduction="mean")(a, b), x1, t2)


def off_margin_kinks(rng, n, c, margin, gap=1e-2):
    """x (N, C) and y whose hinge arguments margin - x_y + x_i stay at least ``gap`` from 0."""
    for _ in range(100):
        x, y = rng.standard_normal((n, c)), rng.integers(0, c, n)
        z = margin - x[np.arange(n), y][:, None] + x
        z[np.arange(n), y] = 1.0
        if np.abs(z).min() > gap:
            return x, y.astype(np.int64)
    raise AssertionError("no sample off the kinks")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@FAST
@given(n=st.integers(1, 3), c=st.integers(1, 5), margin=st.floats(-0.5, 2.0), weighted=st.booleans(), seed=seeds)
def test_multi_margin_gradients(reduction, p, n, c, margin, weighted, seed):
    rng = np.random.default_rng(seed)
    x, y = off_margin_kinks(rng, n, c, margin)
    weight = Tensor(rng.uniform(0.5, 2, c)) if weighted else None     # a constant: its gradient is 0 (below)
    loss = nn.MultiMarginLoss(p, margin, reduction, weight)
    check_grads(lambda a, b: loss(a, b), x, y)
    np.testing.assert_allclose(nn.MultiMarginLoss(p, margin, "none", weight)(Tensor(x), Tensor(y)).asnumpy(),
                               ref_multi_margin(x, y, p, margin, None if weight is None else weight.asnumpy()),
                               rtol=1e-12, atol=1e-15)


def test_multi_margin_weight_gets_a_zero_gradient():
    """MindSpore's semantics (golden weight_at_call/none): a call-time weight receives an all-zero gradient."""
    x, y, w = T([[0.1, 0.5, -0.2]]), T([0], np.int64), T([1.0, 2.0, 3.0])
    grads = lossviz.grad(lambda a, b: nn.MultiMarginLoss()(a, y, b), grad_position=(0, 1))(x, w)
    np.testing.assert_array_equal(grads[1].asnumpy(), np.zeros(3, np.float32))
    np.testing.assert_allclose(grads[0].asnumpy(), [[-2 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def listed_targets(rng, n, c):
    """int32 targets: a random prefix of distinct classes, then -1, then junk."""
    target = rng.integers(-1, c, (n, c)).astype(np.int32)
    for row in range(n):
        k = rng.integers(0, c + 1)
        target[row, :k] = rng.choice(c, k, replace=False)
        if k < c:
            target[row, k] = -1
    return target


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=st.integers(1, 3), c=st.integers(1, 5), one_d=st.booleans(), seed=seeds)
def test_multilabel_margin_gradients(reduction, n, c, one_d, seed):
    rng = np.random.default_rng(seed)
    x, target = rng.standard_normal((n, c)), listed_targets(rng, n, c)
    pairs = (x[:, :, None] - x[:, None, :]).ravel()
    assume(np.abs(1 - pairs).min() > 1e-2)                 # every hinge 1 - (x_j - x_i) off its kink
    if one_d:
        x, target = x[0], target[0]
    loss = nn.MultilabelMarginLoss(reduction)
    check_grads(lambda a, b: loss(a, b), x, target)
    per, grad = ref_multilabel_margin(x, target)
    np.testing.assert_allclose(nn.MultilabelMarginLoss("none")(Tensor(x), Tensor(target)).asnumpy(), per,
                               rtol=1e-12, atol=1e-15)
    got = lossviz.grad(lambda a: nn.MultilabelMarginLoss("sum")(a, Tensor(target)))(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, grad, rtol=1e-12, atol=1e-15)


@FAST
@given(shape=st.sampled_from([(), (3,), (2, 3), (2, 2, 3)]), smooth=st.floats(1e-3, 2.0), seed=seeds)
def test_dice_gradients(shape, smooth, seed):
    rng = np.random.default_rng(seed)
    a, y = rng.uniform(-0.5, 1, shape), rng.uniform(0, 1, shape)
    loss = nn.DiceLoss(smooth)
    check_grads(lambda p, q: loss(p, q), a, y)
    np.testing.assert_allclose(loss(Tensor(a), Tensor(y)).asnumpy(), ref_dice(a, y, smooth), rtol=1e-12)


ACTIVATIONS = ["softmax", "logsoftmax", "relu", "relu6", "tanh", "sigmoid", "Softmax", "Sigmoid", None]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@settings(deadline=None, max_examples=4, derandomize=True)
@given(shape=st.sampled_from([(2, 3), (2, 3, 2)]), weighted=st.booleans(), ignore=st.sampled_from([None, 1, -1]),
       seed=seeds)
def test_multiclass_dice_gradients(activation, shape, weighted, ignore, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape) * 2     # off relu's 0 ...
    x = np.where(np.abs(x - 6) < 0.05, 5.9, x)                                  # ... and relu6's 6
    y = rng.uniform(0, 1, shape)
    if weighted:   # weights (C, K) are a Tensor: differentiated too
        w = rng.uniform(0.5, 2, (shape[1], 2))
        check_grads(lambda a, b, v: nn.MultiClassDiceLoss(v, ignore, activation)(a, b), x, y, w)
        want = ref_multiclass_dice(x, y, activation, w, ignore)
        got = nn.MultiClassDiceLoss(Tensor(w), ignore, activation)(Tensor(x), Tensor(y)).asnumpy()
    else:
        check_grads(lambda a, b: nn.MultiClassDiceLoss(None, ignore, activation)(a, b), x, y)
        want = ref_multiclass_dice(x, y, activation, None, ignore)
        got = nn.MultiClassDiceLoss(None, ignore, activation)(Tensor(x), Tensor(y)).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)


# ----- 2b. gradients at the kinks -----
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_tie_counts_nothing(p):
    """margin - x_y + x_i == 0 exactly: no loss and no gradient from that term (strict z > 0)."""
    x = Tensor(np.array([[1.0, 2.0, 1.0], [0.0, 0.5, 0.0]]))
    y = T([1, 0], np.int64)
    out = nn.MultiMarginLoss(p, reduction="none")(x, y)
    grad = lossviz.grad(lambda a: nn.MultiMarginLoss(p, reduction="sum")(a, y))(x).asnumpy()
    np.testing.assert_allclose(out.asnumpy(), [0.0, (1.5 ** p + 1) / 3])
    np.testing.assert_allclose(grad[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(grad[1], np.array([-(p * 1.5 ** (p - 1) + p), p * 1.5 ** (p - 1), p]) / 3)


def test_multi_margin_nan_terms_count_as_zero():
    """max(0, nan) = 0 (MindSpore CPU): a nan non-target logit drops its term, a nan target logit the row."""
    x = T([[0.0, np.nan, 0.5], [np.nan, 0.0, 0.0]])
    out = nn.MultiMarginLoss(reduction="none")(x, T([0, 0], np.int64)).asnumpy()
    np.testing.assert_allclose(out, [1.5 / 3, 0.0])


def test_multilabel_margin_tie_counts_nothing():
    """1 - (x_j - x_i) == 0 exactly: no loss and no gradient from that pair (strict z > 0)."""
    x = Tensor(np.array([[2.0, 1.0, 0.5]]))
    target = T([[0, -1, 2]], np.int32)
    out = nn.MultilabelMarginLoss("none")(x, target).asnumpy()
    grad = lossviz.grad(lambda a: nn.MultilabelMarginLoss("sum")(a, target))(x).asnumpy()
    np.testing.assert_allclose(out, [0.0])                  # (0, 1): z = 0; (0, 2): z = -0.5
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 0.0]])


def test_relu6_and_relu_gradients_at_their_kinks():
    """relu: 0 at x = 0. relu6: 1 on (0, 6] and 0 elsewhere (MindSpore CPU's ReLU6Grad), so 0 at 0 and 1 at 6."""
    x = Tensor(np.array([-1.0, 0.0, 3.0, 6.0, 7.0]))
    g6 = lossviz.grad(lambda a: fused.ReLU6()(a).sum())(x).asnumpy()
    g0 = lossviz.grad(lambda a: ops.ReLU()(a).sum())(x).asnumpy()
    np.testing.assert_array_equal(g6, [0, 0, 1, 1, 0])
    np.testing.assert_array_equal(g0, [0, 0, 1, 1, 1])


def test_dice_all_zero_is_one_with_zero_gradient():
    zeros = Tensor(np.zeros((2, 3)))
    grads = lossviz.grad(lambda a, b: nn.DiceLoss()(a, b), grad_position=(0, 1))(zeros, zeros)
    assert nn.DiceLoss()(zeros, zeros).asnumpy() == 1.0
    for g in grads:
        np.testing.assert_array_equal(g.asnumpy(), np.zeros((2, 3)))


def test_soft_margin_extreme_logits_keep_small_terms():
    """D9 beyond the golden case: +-1e4 logits are finite, and tiny terms are not rounded to 0."""
    x, t = T([[20.0, -20.0, 1e4, -1e4]]), T([[1.0, 0.0, 0.0, 1.0]])
    out = nn.MultiLabelSoftMarginLoss(reduction="none")(x, t).asnumpy()
    np.testing.assert_allclose(out, ref_soft_margin(x.asnumpy(), t.asnumpy()), rtol=1e-6)
    small = nn.MultiLabelSoftMarginLoss(reduction="none")(T([[20.0]]), T([[1.0]])).asnumpy()
    np.testing.assert_allclose(small, [np.log1p(np.exp(-20.0))], rtol=1e-6)


# ----- 3. bad input -----
def raises(kind, name, arg, fn, *args, **kwargs):
    with pytest.raises(kind) as caught:
        fn(*args, **kwargs)
    message = str(caught.value)
    assert f"'{name}'" in message and f"'{arg}'" in message, message


X23, Y23 = T([[0.1, 0.5, -0.2], [0.3, 0.2, 0.1]]), T([[0, 1, 0], [1, 0, 1]])


@pytest.mark.parametrize("bad", ["avg", "Mean", None, 1])
@pytest.mark.parametrize("cls", [nn.MultiLabelSoftMarginLoss, nn.MultiMarginLoss, nn.MultilabelMarginLoss])
def test_bad_reduction(cls, bad):
    raises(ValueError, cls.__name__, "reduction", cls, reduction=bad)


@pytest.mark.parametrize("kind, p", [(TypeError, "1"), (TypeError, True), (TypeError, 1.0), (ValueError, 0),
                                     (ValueError, 3), (ValueError, -1)])
def test_multi_margin_bad_p(kind, p):
    raises(kind, "MultiMarginLoss", "p", nn.MultiMarginLoss, p=p)


@pytest.mark.parametrize("kind, margin", [(TypeError, "1"), (TypeError, True), (TypeError, 1), (TypeError, None),
                                          (ValueError, float("nan")), (ValueError, float("inf"))])
def test_multi_margin_bad_margin(kind, margin):
    raises(kind, "MultiMarginLoss", "margin", nn.MultiMarginLoss, margin=margin)


@pytest.mark.parametrize("kind, smooth", [(TypeError, "1e-5"), (TypeError, True), (TypeError, 1), (TypeError, None),
                                          (ValueError, 0.0), (ValueError, -1.0), (ValueError, float("nan")),
                                          (ValueError, float("inf"))])
def test_dice_bad_smooth(kind, smooth):
    raises(kind, "DiceLoss", "smooth", nn.DiceLoss, smooth)


@pytest.mark.parametrize("kind, weight", [(TypeError, "2"), (TypeError, True), (TypeError, [1.0, 2.0]),
                                          (TypeError, np.ones(3)), (ValueError, float("nan")),
                                          (ValueError, float("inf")), (TypeError, Tensor(np.array([True])))])
def test_soft_margin_bad_weight(kind, weight):
    raises(kind, "MultiLabelSoftMarginLoss", "weight", nn.MultiLabelSoftMarginLoss, weight)


@pytest.mark.parametrize("kind, kwargs, arg", [
    (ValueError, {"activation": "gelu"}, "activation"), (ValueError, {"activation": "SOFTMAX"}, "activation"),
    (ValueError, {"activation": "ReLU"}, "activation"), (TypeError, {"activation": 3}, "activation"),
    (TypeError, {"activation": ops.ReLU}, "activation"), (TypeError, {"ignore_indiex": True}, "ignore_indiex"),
    (TypeError, {"ignore_indiex": "1"}, "ignore_indiex"), (TypeError, {"weights": [[1.0]]}, "weights"),
    (ValueError, {"weights": T([1.0, 2.0])}, "weights"),
    (TypeError, {"weights": Tensor(np.ones((2, 1), bool))}, "weights"),
])
def test_multiclass_dice_bad_arguments(kind, kwargs, arg):
    raises(kind, "MultiClassDiceLoss", arg, nn.MultiClassDiceLoss, **kwargs)


@pytest.mark.parametrize("kind, x, t, arg", [
    (TypeError, X23.asnumpy(), Y23, "x"), (TypeError, X23, [[0, 1, 0], [1, 0, 1]], "target"),
    (TypeError, 0.5, Y23, "x"), (TypeError, T([[1, 2]], np.int32), T([[1, 0]]), "x"),
    (TypeError, X23, Tensor(np.ones((2, 3), bool)), "target"), (TypeError, X23, T([[1, 0, 1]], np.uint8), "target"),
    (ValueError, X23, T([[1, 0]]), "target"), (ValueError, T(0.5), T(1.0), "x"),
])
def test_soft_margin_bad_inputs(kind, x, t, arg):
    raises(kind, "MultiLabelSoftMarginLoss", arg, nn.MultiLabelSoftMarginLoss(), x, t)


def test_soft_margin_0d_is_a_value_error_and_the_index_error_mindspore_raises():
    with pytest.raises(ValueError):
        nn.MultiLabelSoftMarginLoss()(T(0.5), T(1.0))
    with pytest.raises(IndexError):
        nn.MultiLabelSoftMarginLoss()(T(0.5), T(1.0))


def test_soft_margin_weight_of_higher_rank_enlarges_the_terms():
    """As MindSpore: a (K, N, C) weight makes (K, N, C) terms, summed over axis x.ndim - 1 = 1: 'none' is (K, C)."""
    rng = np.random.default_rng(5)
    x, t, w = rng.standard_normal((2, 3)), rng.uniform(0, 1, (2, 3)), rng.uniform(0.5, 2, (4, 2, 3))
    out = nn.MultiLabelSoftMarginLoss(Tensor(w), "none")(Tensor(x), Tensor(t)).asnumpy()
    assert out.shape == (4, 3)
    np.testing.assert_allclose(out, ref_soft_margin(x, t, w), rtol=1e-12)


def test_float16_sigmoid_is_computed_in_float32():
    x = T([-15.0, -5.0, 0.0, 5.0, 15.0], np.float16)
    out = fused.Sigmoid()(x)
    assert out.dtype == lossviz.float16
    np.testing.assert_allclose(out.asnumpy(), 1 / (1 + np.exp(-x.asnumpy().astype(np.float64))), rtol=1e-3,
                               atol=6e-8)      # 3e-7 is a float16 subnormal (spacing 6e-8)


def test_soft_margin_weight_shape_is_checked_at_call():
    raises(ValueError, "MultiLabelSoftMarginLoss", "weight", nn.MultiLabelSoftMarginLoss(T([1.0, 2.0])), X23, X23)


Y2 = T([0, 2], np.int64)


@pytest.mark.parametrize("kind, x, y, w, arg", [
    (TypeError, X23.asnumpy(), Y2, None, "x"), (TypeError, X23, [0, 2], None, "target"),
    (TypeError, T([[1, 2, 3]], np.int64), T([0], np.int64), None, "x"),
    (TypeError, X23, T([0, 2], np.int32), None, "target"), (TypeError, X23, T([0.0, 2.0]), None, "target"),
    (ValueError, T([0.1, 0.2]), T([0], np.int64), None, "x"), (ValueError, T(0.5), T(0, np.int64), None, "x"),
    (ValueError, X23, T([[0], [1]], np.int64), None, "target"), (ValueError, X23, T([0], np.int64), None, "target"),
    (ValueError, X23, T([0, 3], np.int64), None, "target"), (ValueError, X23, T([-1, 0], np.int64), None, "target"),
    (TypeError, X23, Y2, np.ones(3, np.float32), "weight"), (ValueError, X23, Y2, T([1.0, 1.0]), "weight"),
    (TypeError, X23, Y2, T([1, 1, 1], np.float64), "weight"),
])
def test_multi_margin_bad_inputs(kind, x, y, w, arg):
    raises(kind, "MultiMarginLoss", arg, nn.MultiMarginLoss(), x, y, w)


def test_multi_margin_constructor_weight_is_checked():
    raises(TypeError, "MultiMarginLoss", "weight", nn.MultiMarginLoss, weight=np.ones(3))
    raises(ValueError, "MultiMarginLoss", "weight", nn.MultiMarginLoss(weight=T([1.0, 2.0])), X23, Y2)


T24 = T([[1, 2, -1, 5], [0, -1, 0, 0]], np.int32)
X24 = T([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]])


@pytest.mark.parametrize("kind, x, t, arg", [
    (TypeError, X24.asnumpy(), T24, "x"), (TypeError, X24, T24.asnumpy(), "target"),
    (TypeError, T24, T24, "x"), (TypeError, X24, T([[1, 2, -1, 5], [0, -1, 0, 0]], np.int64), "target"),
    (ValueError, T(0.5), T(0, np.int32), "x"), (ValueError, X24.reshape(1, 2, 4), T24.reshape(1, 2, 4), "x"),
    (ValueError, X24, T([[1, -1, 0, 0]], np.int32), "target"),
    (ValueError, X24, T([[1, 4, -1, 0], [0, -1, 0, 0]], np.int32), "target"),
    (ValueError, X24, T([[1, -2, -1, 0], [0, -1, 0, 0]], np.int32), "target"),
])
def test_multilabel_margin_bad_inputs(kind, x, t, arg):
    raises(kind, "MultilabelMarginLoss", arg, nn.MultilabelMarginLoss(), x, t)


def test_multilabel_margin_ignores_junk_after_the_padding():
    """Only the prefix before the first -1 is checked and used: 5 (>= C) after it is junk."""
    out = nn.MultilabelMarginLoss("none")(X24, T24).asnumpy()
    np.testing.assert_allclose(out, ref_multilabel_margin(X24.asnumpy(), T24.asnumpy())[0], rtol=1e-6)


@pytest.mark.parametrize("kind, a, y, arg", [
    (TypeError, X23.asnumpy(), X23, "logits"), (TypeError, X23, [[1.0]], "labels"),
    (TypeError, T([[1, 0]], np.uint8), T([[1, 0]]), "logits"),
    (TypeError, Tensor(np.ones(2, bool)), T([1, 0]), "logits"),
    (ValueError, X23, T([1.0, 2.0, 3.0]), "labels"),
])
def test_dice_bad_inputs(kind, a, y, arg):
    raises(kind, "DiceLoss", arg, nn.DiceLoss(), a, y)
    raises(kind, "MultiClassDiceLoss", arg, nn.MultiClassDiceLoss(), a, y)


def test_multiclass_dice_needs_two_axes_and_matching_weights():
    raises(ValueError, "MultiClassDiceLoss", "logits", nn.MultiClassDiceLoss(), T(0.5), T(1.0))
    raises(ValueError, "MultiClassDiceLoss", "logits", nn.MultiClassDiceLoss(), T([0.5, 1]), T([1.0, 0]))
    raises(ValueError, "MultiClassDiceLoss", "weights", nn.MultiClassDiceLoss(T([[1.0], [2.0]])), X23, X23)


def test_dtypes_and_0d():
    """0-d works for DiceLoss; integer inputs are promoted; float16 comes back float16."""
    out = nn.DiceLoss()(T(0.5), T(1.0))
    np.testing.assert_allclose(out.asnumpy(), ref_dice(0.5, 1.0), rtol=1e-6)
    ints = nn.DiceLoss()(T([[1, 0], [2, 1]], np.int32), T([[1, 0], [1, 1]], np.int64))
    assert ints.dtype == lossviz.float32
    np.testing.assert_allclose(ints.asnumpy(), ref_dice([1, 0, 2, 1], [1, 0, 1, 1]), rtol=1e-6)
    int_logits = nn.MultiClassDiceLoss()(T([[1, 0], [2, 1]], np.int32), T([[1, 0], [0, 1]]))
    assert int_logits.dtype == lossviz.float32
    np.testing.assert_allclose(int_logits.asnumpy(), ref_multiclass_dice(np.array([[1, 0], [2, 1]]), np.eye(2)),
                               rtol=1e-6)
    half = nn.MultiMarginLoss(reduction="none")(T([[0.1, 0.5, -0.2]], np.float16), T([0], np.int64))
    assert half.dtype == lossviz.float16
    weighted = nn.MultiClassDiceLoss(T([[0.5], [2.0]]), activation=None)(X23[:, :2], Y23[:, :2])
    assert weighted.shape == (1,)


def test_multiclass_dice_all_channels_ignored_is_zero():
    out = nn.MultiClassDiceLoss(ignore_indiex=0)(T([[0.3], [0.8]]), T([[1.0], [0.0]]))
    assert out.asnumpy() == 0.0


# ----- 4. fused primitives against plain ops -----
def composed_soft_margin_terms(x, t):
    def softplus_op(v):     # max(v, 0) + ln(1 + e^-|v|)
        return ops.Maximum()(v, 0.0) + ops.Log()(1.0 + ops.Exp()(-ops.Abs()(v)))
    return t * softplus_op(-x) + (1.0 - t) * softplus_op(x)


def composed_multi_margin(x, y, p, margin, weight):
    n, c = x.shape
    rows, yy = np.arange(n), y.asnumpy()
    x_y = ops.GetItem()(x, (rows, yy))
    z = (margin - x_y).reshape(n, 1) + x
    others = Tensor(np.arange(c)[None, :] != yy[:, None])
    h = ops.Select()(others, ops.Maximum()(z, 0.0), ops.ZerosLike()(z))
    w_y = ops.Gather()(weight, y, 0)
    return (h ** p).sum(axis=1) * w_y / c


def composed_multilabel_margin(x, target):
    n, c = x.shape
    pairs = []
    for row in range(n):
        listed = list(target[row][:list(target[row]).index(-1)] if -1 in target[row] else target[row])
        pairs += [(row, j, i) for j in listed for i in range(c) if i not in listed]
    rows, js, is_ = (np.array(v, np.int64) for v in zip(*pairs)) if pairs else (np.zeros(0, np.int64),) * 3
    z = 1.0 - (ops.GetItem()(x, (rows, js)) - ops.GetItem()(x, (rows, is_)))
    h = ops.Maximum()(z, 0.0)
    per_row = ops.MatMul()(h.reshape(1, -1), Tensor(np.eye(n)[rows])).reshape(n)   # the sum of each row's pairs
    return per_row / c


def composed_dice(a, y, smooth, per_channel):
    axes = (0,) + tuple(range(2, a.ndim)) if per_channel else ()
    intersection = ops.ReduceSum()(a * y, axes)
    union = ops.ReduceSum()(a * a, axes) + ops.ReduceSum()(y * y, axes)
    return 1.0 - 2.0 * intersection / (union + smooth)


def assert_same(fused_fn, composed_fn, *arrays, positions):
    tensors = [Tensor(a) for a in arrays]
    got, want = fused_fn(*tensors), composed_fn(*tensors)
    np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-12, atol=1e-14)
    assert got.shape == want.shape
    rng = np.random.default_rng(1)
    seed = Tensor(rng.standard_normal(got.shape))
    g1 = lossviz.grad(lambda *xs: (fused_fn(*xs) * seed).sum(), grad_position=positions)(*tensors)
    g2 = lossviz.grad(lambda *xs: (composed_fn(*xs) * seed).sum(), grad_position=positions)(*tensors)
    for a, b in zip(g1 if isinstance(g1, tuple) else (g1,), g2 if isinstance(g2, tuple) else (g2,)):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-10, atol=1e-12)


@FAST
@given(shape=st.sampled_from([(3, 4), (2, 3, 5), (4,)]), broadcast=st.booleans(), seed=seeds)
def test_fused_soft_margin_equals_composed(shape, broadcast, seed):
    rng = np.random.default_rng(seed)
    x, t = rng.standard_normal(shape) * 4, rng.uniform(0, 1, shape[-1:] if broadcast else shape)
    assert_same(fused.MultiLabelSoftMargin(), composed_soft_margin_terms, x, t, positions=(0, 1))


@pytest.mark.parametrize("p", [1, 2])
@FAST
@given(n=st.integers(1, 4), c=st.integers(2, 6), margin=st.floats(0.1, 2.0), seed=seeds)
def test_fused_multi_margin_equals_composed(p, n, c, margin, seed):
    rng = np.random.default_rng(seed)
    x, y = off_margin_kinks(rng, n, c, margin)
    weight = rng.uniform(0.5, 2, c)
    op = fused.MultiMarginLoss(p, margin)
    assert_same(lambda a, b, w: op(a, b, w), lambda a, b, w: composed_multi_margin(a, b, p, margin, w),
                x, y, weight, positions=0)


@FAST
@given(n=st.integers(1, 4), c=st.integers(2, 6), seed=seeds)
def test_fused_multilabel_margin_equals_composed(n, c, seed):
    rng = np.random.default_rng(seed)
    x, target = rng.standard_normal((n, c)), listed_targets(rng, n, c)
    assume(np.abs(1 - (x[:, :, None] - x[:, None, :])).min() > 1e-2)
    assert_same(lambda a, b: fused.MultilabelMarginLoss()(a, b), lambda a, b: composed_multilabel_margin(a, target),
                x, target, positions=0)


@FAST
@given(shape=st.sampled_from([(3, 4), (2, 3, 5), (2, 2, 2, 3)]), per_channel=st.booleans(), seed=seeds)
def test_fused_dice_equals_composed(shape, per_channel, seed):
    rng = np.random.default_rng(seed)
    a, y = rng.uniform(-0.5, 1, shape), rng.uniform(0, 1, shape)
    assert_same(lambda p, q: fused.Dice(0.3, per_channel)(p, q), lambda p, q: composed_dice(p, q, 0.3, per_channel),
                a, y, positions=(0, 1))


def test_activation_primitives_equal_composed():
    x = np.random.default_rng(3).uniform(-8, 8, 50)
    x = x[(np.abs(x) > 0.05) & (np.abs(x - 6) > 0.05)]
    assert_same(lambda v: fused.Tanh()(v), lambda v: 2.0 * ops.Sigmoid()(2.0 * v) - 1.0, x, positions=0)
    assert_same(lambda v: fused.ReLU6()(v), lambda v: ops.Minimum()(ops.ReLU()(v), 6.0), x, positions=0)
    assert_same(lambda v: fused.Sigmoid()(v), lambda v: ops.Sigmoid()(v), x, positions=0)
    big = Tensor(np.array([-1e4, -100.0, 100.0, 1e4], np.float32))
    np.testing.assert_allclose(fused.Sigmoid()(big).asnumpy(), ops.Sigmoid()(big).asnumpy(), rtol=1e-6, atol=1e-37)


def test_multilabel_margin_second_backward_recounts():
    """The fused kernel hands its counts to the first backward; a second backward recomputes them."""
    x = Tensor(np.array([[0.1, 0.2, 0.4, 0.8]]), requires_grad=True)
    out = nn.MultilabelMarginLoss("sum")(x, T([[3, 0, -1, 0]], np.int32))
    out.backward()
    first = x.grad.asnumpy().copy()
    x.grad = None
    out.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), first)


# ----- 5. functional forms -----
def test_functional_forms_equal_the_classes():
    rng = np.random.default_rng(7)
    x, y = Tensor(rng.standard_normal((4, 5)).astype(np.float32)), T(rng.integers(0, 5, 4), np.int64)
    w = T(rng.uniform(0.5, 2, 5))
    for reduction in REDUCTIONS:
        np.testing.assert_array_equal(ops.multi_margin_loss(x, y, 2, 2, w, reduction).asnumpy(),
                                      nn.MultiMarginLoss(2, 2.0, reduction, w)(x, y).asnumpy())
        target = T(listed_targets(rng, 4, 5), np.int32)
        np.testing.assert_array_equal(ops.multilabel_margin_loss(x, target, reduction).asnumpy(),
                                      nn.MultilabelMarginLoss(reduction)(x, target).asnumpy())
        t = T(rng.uniform(0, 1, (4, 5)))
        np.testing.assert_array_equal(ops.multilabel_soft_margin_loss(x, t, w, reduction).asnumpy(),
                                      nn.MultiLabelSoftMarginLoss(w, reduction)(x, t).asnumpy())
    np.testing.assert_array_equal(ops.multi_margin_loss(x, y, margin=1.5).asnumpy(),
                                  nn.MultiMarginLoss(margin=1.5)(x, y).asnumpy())
    gx = lossviz.grad(lambda a: ops.multi_margin_loss(a, y))(x).asnumpy()
    np.testing.assert_array_equal(gx, lossviz.grad(lambda a: nn.MultiMarginLoss()(a, y))(x).asnumpy())


def test_functional_errors_name_the_function():
    x, y = T([[0.1, 0.2]]), T([0], np.int64)
    raises(TypeError, "multi_margin_loss", "input", ops.multi_margin_loss, x.asnumpy(), y)
    raises(TypeError, "multi_margin_loss", "target", ops.multi_margin_loss, x, T([0], np.int32))
    raises(TypeError, "multi_margin_loss", "weight", ops.multi_margin_loss, x, y, weight=np.ones(2))
    raises(TypeError, "multi_margin_loss", "margin", ops.multi_margin_loss, x, y, margin="1")
    raises(ValueError, "multi_margin_loss", "p", ops.multi_margin_loss, x, y, p=3)
    raises(ValueError, "multilabel_margin_loss", "target", ops.multilabel_margin_loss, x, T([[2, -1]], np.int32))
    raises(ValueError, "multilabel_margin_loss", "reduction", ops.multilabel_margin_loss, x, T([[0, -1]], np.int32),
           "avg")
    raises(TypeError, "multilabel_soft_margin_loss", "input", ops.multilabel_soft_margin_loss, x.asnumpy(), x)
    raises(ValueError, "multilabel_soft_margin_loss", "target", ops.multilabel_soft_margin_loss, x, T([1.0, 0, 1]))
    raises(TypeError, "multilabel_soft_margin_loss", "weight", ops.multilabel_soft_margin_loss, x, x, "w")
