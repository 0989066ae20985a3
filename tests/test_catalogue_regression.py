"""Catalogue group "regression": MAELoss, RMSELoss, HuberLoss, L1LossExt, SoftMarginLoss (regression.py),
GaussianNLLLoss, PoissonNLLLoss, KLDivLoss (probabilistic.py), their fused primitives
(ops/fused_regression.py) and functional forms (ops.huber_loss, soft_margin_loss, gaussian_nll_loss, kl_div).

1. Parity with every golden case and error case of both catalogue files (MindSpore 2.10, and the
   documented formulas for the classes MindSpore cannot run on CPU); the cases a decision of
   ../shared/spec/catalogue/README.md changes (D1, D4, D8, D14, D15, D16, D17) assert the decided
   behaviour instead, each in a test named after its decision. A final test counts that every case
   of these losses went to exactly one test.
2. Float64 central-difference gradient checks (hypothesis shapes and values, off the kinks), every
   reduction and every differentiable input; then the gradient the spec gives AT each kink.
3. Bad input: TypeError / ValueError naming the class and the argument.
4. Each fused primitive against the same loss composed from plain ops.
5. The functional forms: the numbers of their class, errors naming the function.
"""
import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import lossviz
import lossviz.nn as nn
import lossviz.ops as ops
from golden import array, assert_case, assert_matches, catalogue, inputs, run, value
from gradcheck import check_grads
from lossviz import Tensor
from lossviz.ops import fused_regression as FR

NAMES = ("MAELoss", "RMSELoss", "HuberLoss", "L1LossExt", "SoftMarginLoss", "GaussianNLLLoss", "PoissonNLLLoss",
         "KLDivLoss")
CASES, ERRORS = catalogue(*NAMES)
EXCEPTIONS = {"TypeError": TypeError, "ValueError": ValueError}
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)

# ----- where each golden case goes -----
# Forward cases whose gradients (or whose acceptance) a decision changes.
DECIDED_CASES = {
    "HuberLoss/delta_inf/none": "D4", "HuberLoss/infinite_diff/none": "D4",
    "KLDivLoss/label_edges/none": "D8", "KLDivLoss/negative_labels/mean": "D8",
    "GaussianNLLLoss/var_clamp/none": "D14", "GaussianNLLLoss/eps0.1/none": "D14",   # both hold a negative var
    "PoissonNLLLoss/log_input_int0/none": "D15",
}
# Error cases whose outcome a decision changes (no error -> an error, or an error -> a value).
DECIDED_ERRORS = {
    "SoftMarginLoss/cpu_unsupported": "D1", "SoftMarginLoss/cpu_unsupported_none": "D1",
    "L1LossExt/cpu_unsupported": "D1",
    "GaussianNLLLoss/negative_var_accepted": "D14", "GaussianNLLLoss/eps_nan_accepted": "D14",
    "PoissonNLLLoss/eps_str_unused_accepted": "D15",
    "KLDivLoss/batchmean_0d": "D17",
}
# Error cases MindSpore raises at the call and lossviz in the constructor, same exception type (D16).
AT_CONSTRUCTION = ("HuberLoss/delta_zero", "HuberLoss/delta_negative", "HuberLoss/delta_bool", "HuberLoss/delta_str",
                   "KLDivLoss/bad_reduction_at_call", "KLDivLoss/reduction_none_object",
                   "SoftMarginLoss/bad_reduction_at_call")
# The argument each error message must name (besides the class).
ERROR_ARG = {
    "MAELoss/bad_reduction": "reduction", "HuberLoss/bad_reduction": "reduction",
    "PoissonNLLLoss/bad_reduction": "reduction", "L1LossExt/bad_reduction": "reduction",
    "GaussianNLLLoss/bad_reduction": "reduction", "MAELoss/reduction_batchmean": "reduction",
    "KLDivLoss/bad_reduction_at_call": "reduction", "KLDivLoss/reduction_none_object": "reduction",
    "SoftMarginLoss/bad_reduction_at_call": "reduction", "RMSELoss/reduction_kwarg": "reduction",
    "KLDivLoss/log_target_kwarg": "log_target",
    "MAELoss/numpy_input": "logits", "RMSELoss/numpy_input": "logits", "HuberLoss/numpy_input": "logits",
    "GaussianNLLLoss/float_var": "var", "PoissonNLLLoss/numpy_input": "input", "KLDivLoss/numpy_input": "logits",
    "SoftMarginLoss/numpy_input": "logits", "L1LossExt/numpy_input": "logits",
    "MAELoss/shape_not_broadcastable": "label", "RMSELoss/shape_not_broadcastable": "label",
    "HuberLoss/shape_not_broadcastable": "labels", "GaussianNLLLoss/var_not_broadcastable": "var",
    "PoissonNLLLoss/shape_not_broadcastable": "target", "KLDivLoss/shape_mismatch_no_broadcast": "labels",
    "SoftMarginLoss/shape_mismatch": "labels", "RMSELoss/uint8_input": "logits",
    "PoissonNLLLoss/int32_input": "input", "KLDivLoss/mixed_dtypes": "labels", "KLDivLoss/int_inputs": "logits",
    "HuberLoss/delta_zero": "delta", "HuberLoss/delta_negative": "delta", "HuberLoss/delta_bool": "delta",
    "HuberLoss/delta_str": "delta", "GaussianNLLLoss/eps_int": "eps", "GaussianNLLLoss/eps_zero": "eps",
    "GaussianNLLLoss/eps_negative": "eps", "GaussianNLLLoss/full_int": "full",
    "PoissonNLLLoss/eps_str_log_input_false": "eps",
    "GaussianNLLLoss/negative_var_accepted": "var", "GaussianNLLLoss/eps_nan_accepted": "eps",
    "PoissonNLLLoss/eps_str_unused_accepted": "eps", "KLDivLoss/batchmean_0d": "logits",
}
PARITY_CASES = [c for c in CASES if c["id"] not in DECIDED_CASES]
PARITY_ERRORS = [c for c in ERRORS if c["id"] not in DECIDED_ERRORS]


def by_id(cases, case_id):
    return next(c for c in cases if c["id"] == case_id)


def ids(cases):
    return [c["id"] for c in cases]


def init_value(spec):
    """A golden constructor argument; the strings 'inf' / 'nan' there stand for the floats."""
    v = value(spec)
    return float(v) if isinstance(v, str) and v in ("inf", "-inf", "nan") else v


def make(case, **override):
    """``nn.X(**init)`` for the case (``override`` replaces constructor arguments)."""
    init = {k: init_value(v) for k, v in case["init"].items()}
    init.update(override)
    return getattr(nn, case["target"].split(".", 1)[1])(**init)


def call(case, loss=None, args=None):
    loss = make(case) if loss is None else loss
    return loss(*(inputs(case) if args is None else args))


def assert_names(message, *words):
    for word in words:
        assert word in message, f"{word!r} not named in: {message}"


def assert_golden(case, out, grads):
    """assert_case, or for integer outputs (no gradients) an exact comparison."""
    want = array(case["output"])
    if want.dtype.kind != "f":
        assert_matches(out, want, case["id"], "output", {})
        assert not case.get("grads")
        return
    assert_case(case, out, grads)


# =====================================================================================================
# 1. Parity
# =====================================================================================================
@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # nan / inf cases (0 / 0 in RMSELoss at zero error)
@pytest.mark.parametrize("case", PARITY_CASES, ids=ids(PARITY_CASES))
def test_golden_case(case):
    out, grads = run(case, loss=make(case))
    assert_golden(case, out, grads)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", PARITY_ERRORS, ids=ids(PARITY_ERRORS))
def test_golden_error(case):
    cls = case["target"].split(".")[1]
    if case["exception"] is None:            # MindSpore gave a value (its 'message'): reproduced
        out = call(case)
        want = np.array(json.loads(case["message"].replace("nan", "NaN")), np.float64)   # e.g. "[nan, 1.69]"
        np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, equal_nan=True)
        return
    with pytest.raises(EXCEPTIONS[case["exception"]]) as info:
        call(case)
    assert_names(str(info.value), cls, f"'{ERROR_ARG[case['id']]}'")


# ----- D1: SoftMarginLoss and L1LossExt have no CPU kernel in MindSpore; lossviz computes the formula -----
def _reduce64(x, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](x)


@pytest.mark.parametrize("case_id", [k for k, v in DECIDED_ERRORS.items() if v == "D1"])
def test_D1_no_cpu_kernel_computes_the_documented_formula(case_id):
    """D1: MindSpore raises 'kernel unregistered'; lossviz gives the documented formula (float64 reference)."""
    case = by_id(ERRORS, case_id)
    x, y = (a.asnumpy().astype(np.float64) for a in inputs(case))
    reduction = case["init"].get("reduction", {"py": "mean"})["py"]
    if case_id.startswith("SoftMarginLoss"):
        want = _reduce64(np.logaddexp(0, -y * x), reduction)         # ln(1 + exp(-y x))
    else:
        want = _reduce64(np.abs(x - y), reduction)
    out, grads = run({**case, "grads": {"logits": None, "labels": None}}, loss=make(case))
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-6)
    assert out.dtype == lossviz.float32
    if case_id.startswith("SoftMarginLoss"):
        s = 1 / (1 + np.exp(y * x))                                  # sigmoid(-y x)
        scale = 1 / x.size if reduction == "mean" else 1
        np.testing.assert_allclose(grads["logits"].asnumpy(), -y * s * scale, rtol=1e-5)
        np.testing.assert_allclose(grads["labels"].asnumpy(), -x * s * scale, rtol=1e-5)


# ----- D4: HuberLoss gradient delta * sign(d) (finite) for an infinite delta or difference -----
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case_id", [k for k, v in DECIDED_CASES.items() if v == "D4"])
def test_D4_huber_finite_gradient(case_id):
    """D4: MindSpore's nan gradients become clip(d, -delta, delta); the outputs stay MindSpore's."""
    case = by_id(CASES, case_id)
    out, grads = run(case, loss=make(case))
    assert_matches(out, array(case["output"]), case_id, "output", dict(rtol=1e-6, atol=0))
    x, y = (a.asnumpy().astype(np.float64) for a in inputs(case))
    delta = init_value(case["init"].get("delta", {"py": 1.0}))
    want = np.clip(x - y, -delta, delta)
    assert np.isfinite(want).all()
    np.testing.assert_array_equal(grads["logits"].asnumpy(), want.astype(np.float32))
    np.testing.assert_array_equal(grads["labels"].asnumpy(), -want.astype(np.float32))


# ----- D8: KLDivLoss logits gradient is 0 where the forward is masked (labels <= 0 or nan) -----
@pytest.mark.parametrize("case_id", [k for k, v in DECIDED_CASES.items() if v == "D8"])
def test_D8_kl_div_true_derivative(case_id):
    """D8: d/dlogits = -labels where labels > 0 and 0 elsewhere (MindSpore: -labels everywhere)."""
    case = by_id(CASES, case_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # no numpy warning escapes (ln 0, 0 * inf)
        out, grads = run(case, loss=make(case))
    assert_matches(out, array(case["output"]), case_id, "output", dict(rtol=1e-5, atol=1e-7))
    logits, labels = (a.asnumpy().astype(np.float64) for a in inputs(case))
    u = 1 / labels.size if case["init"].get("reduction", {"py": "mean"})["py"] == "mean" else 1
    with np.errstate(invalid="ignore"):
        want = np.where(labels > 0, -labels * u, 0.0)
    np.testing.assert_allclose(grads["logits"].asnumpy(), want, rtol=1e-6, atol=0)
    np.testing.assert_array_equal(grads["labels"].asnumpy(), np.zeros_like(labels))   # labels: the target


# ----- D14: GaussianNLLLoss refuses a negative var and a non-finite eps -----
@pytest.mark.parametrize("case_id", [k for k, v in DECIDED_CASES.items() if v == "D14"])
def test_D14_gaussian_negative_var(case_id):
    """D14: a negative var is a ValueError; the rest of the case is MindSpore's (negatives set to 0:
    the clamp makes var < eps and var = 0 the same value and the same zero gradient)."""
    case = by_id(CASES, case_id)
    args = inputs(case)
    assert (args[2].asnumpy() < 0).any()
    with pytest.raises(ValueError) as info:
        call(case, args=args)
    assert_names(str(info.value), "GaussianNLLLoss", "'var'")
    args[2] = Tensor(np.maximum(args[2].asnumpy(), 0))
    out, grads = run(case, loss=make(case), args=args)
    assert_case(case, out, grads)


@pytest.mark.parametrize("case_id", [k for k, v in DECIDED_ERRORS.items() if v == "D14"])
def test_D14_gaussian_errors(case_id):
    """D14: MindSpore accepts these (negative var, eps=nan); lossviz raises ValueError."""
    case = by_id(ERRORS, case_id)
    with pytest.raises(ValueError) as info:
        call(case)
    assert_names(str(info.value), "GaussianNLLLoss", f"'{ERROR_ARG[case_id]}'")


# ----- D15: PoissonNLLLoss validates log_input, full and eps -----
def test_D15_poisson_log_input_must_be_bool():
    """D15: log_input=0 is a TypeError; the log_input=False formula it selected in MindSpore is reproduced."""
    case_id = "PoissonNLLLoss/log_input_int0/none"
    case = by_id(CASES, case_id)
    with pytest.raises(TypeError) as info:
        make(case)
    assert_names(str(info.value), "PoissonNLLLoss", "'log_input'")
    out, grads = run(case, loss=make(case, log_input=False))
    assert_case(case, out, grads)


def test_D15_poisson_eps_is_validated_even_when_unused():
    """D15: eps='a' is a TypeError at construction, even where MindSpore would never use it."""
    case_id = "PoissonNLLLoss/eps_str_unused_accepted"
    with pytest.raises(TypeError) as info:
        make(by_id(ERRORS, case_id))
    assert_names(str(info.value), "PoissonNLLLoss", "'eps'")


# ----- D16: hyper-parameters and reductions checked in the constructor -----
@pytest.mark.parametrize("case_id", AT_CONSTRUCTION)
def test_D16_checked_in_constructor(case_id):
    """D16: MindSpore checks these at the call; lossviz in the constructor, with the same exception type."""
    case = by_id(ERRORS, case_id)
    assert case["phase"] == "call"
    with pytest.raises(EXCEPTIONS[case["exception"]]) as info:
        make(case)
    assert_names(str(info.value), case["target"].split(".")[1], f"'{ERROR_ARG[case_id]}'")


# ----- D17: KLDivLoss 'batchmean' on a 0-d input -----
def test_D17_kl_div_batchmean_0d():
    """D17: MindSpore's IndexError becomes a ValueError naming the class and the input."""
    case_id = "KLDivLoss/batchmean_0d"
    with pytest.raises(ValueError) as info:
        call(by_id(ERRORS, case_id))
    assert_names(str(info.value), "KLDivLoss", "'logits'", "batchmean")


def test_every_case_is_covered():
    """Every golden case and error case of these losses goes to exactly one test above: the parity
    tests, or the test of the decision that changes it (parametrized from DECIDED_CASES / DECIDED_ERRORS;
    the D15 and D17 tests name their cases)."""
    everything = ids(CASES) + ids(ERRORS)
    assert len(set(everything)) == len(everything)                    # ids are unique
    assert len(CASES) >= 120 and len(ERRORS) >= 45, (len(CASES), len(ERRORS))
    buckets = ids(PARITY_CASES) + ids(PARITY_ERRORS) + list(DECIDED_CASES) + list(DECIDED_ERRORS)
    assert sorted(buckets) == sorted(everything)
    assert set(DECIDED_CASES.values()) | set(DECIDED_ERRORS.values()) == {"D1", "D4", "D8", "D14", "D15", "D17"}
    assert {k for k, v in {**DECIDED_CASES, **DECIDED_ERRORS}.items() if v in ("D15", "D17")} == {
        "PoissonNLLLoss/log_input_int0/none", "PoissonNLLLoss/eps_str_unused_accepted", "KLDivLoss/batchmean_0d"}
    assert set(AT_CONSTRUCTION) <= set(ids(PARITY_ERRORS))            # D16: parity (same type) + constructor
    no_value = {c["id"] for c in ERRORS if c["exception"] is None}   # MindSpore gave a value
    assert set(ERROR_ARG) == set(everything) - set(ids(CASES)) - {k for k, v in DECIDED_ERRORS.items()
                                                                  if v == "D1"} - (no_value - set(DECIDED_ERRORS))


# =====================================================================================================
# 2. Gradients (float64 central differences), off the kinks; then at the kinks
# =====================================================================================================
FAST = settings(deadline=None, max_examples=8, derandomize=True)
REDUCTIONS = ["mean", "sum", "none"]
dims = st.integers(1, 3)
seeds = st.integers(0, 2**32 - 1)


def signed(rng, shape, low=0.1, high=1.5):
    """Values with |v| in [low, high] and a random sign."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("cls", [nn.MAELoss, nn.L1LossExt])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=dims, m=dims, broadcast=st.booleans(), seed=seeds)
def test_grad_mae_l1ext(cls, reduction, n, m, broadcast, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((1 if broadcast else n, m))
    labels = logits + signed(rng, (n, m))                  # every difference off the |d| = 0 kink
    loss = cls(reduction)
    check_grads(lambda a, b: loss(a, b), logits, labels)


@FAST
@given(n=dims, m=dims, broadcast=st.booleans(), seed=seeds)
def test_grad_rmse(n, m, broadcast, seed):
    rng = np.random.default_rng(seed)
    logits, labels = rng.standard_normal((n, m)), rng.standard_normal((1, m) if broadcast else (n, m))
    loss = nn.RMSELoss()
    check_grads(lambda a, b: loss(a, b), logits, labels)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=dims, m=dims, broadcast=st.booleans(), delta=st.sampled_from([0.5, 1, 1.7]), seed=seeds)
def test_grad_huber(reduction, n, m, broadcast, delta, seed):
    rng = np.random.default_rng(seed)
    size = rng.uniform(0.0, 3.0, (n, m))
    size = np.where(np.abs(size - delta) < 0.05, delta + 0.1, size)   # off the |d| = delta seam
    labels = rng.standard_normal((1 if broadcast else n, m))
    logits = labels + size * rng.choice([-1.0, 1.0], (n, m))
    loss = nn.HuberLoss(reduction, delta)
    check_grads(lambda a, b: loss(a, b), logits, labels)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(shape=st.lists(st.integers(1, 3), min_size=0, max_size=3), seed=seeds)
def test_grad_soft_margin(reduction, shape, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(shape) * 3
    labels = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 1.5, shape)   # any labels: a smooth formula
    loss = nn.SoftMarginLoss(reduction)
    check_grads(lambda a, b: loss(a, b), logits, labels)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=dims, m=dims, var_shape=st.sampled_from(["same", "row", "unsqueeze", "scalar"]), full=st.booleans(),
       seed=seeds)
def test_grad_gaussian_nll(reduction, n, m, var_shape, full, seed):
    rng = np.random.default_rng(seed)
    logits, labels = rng.standard_normal((n, m)), rng.standard_normal((n, m))
    shape = {"same": (n, m), "row": (n, 1), "unsqueeze": (n,), "scalar": ()}[var_shape]
    var = rng.uniform(0.2, 2.0, shape)                     # well above eps: off the clamp
    loss = nn.GaussianNLLLoss(full=full, reduction=reduction)
    check_grads(lambda a, b, v: loss(a, b, v), logits, labels, var)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=dims, m=dims, log_input=st.booleans(), full=st.booleans(), broadcast=st.booleans(), seed=seeds)
def test_grad_poisson_nll(reduction, n, m, log_input, full, broadcast, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1.5, (n, m)) if log_input else rng.uniform(0.2, 3, (n, m))
    target = rng.uniform(0, 4, (1, m) if broadcast else (n, m))
    target = np.where(np.abs(target - 1) < 0.05, 1.2, target)    # off the Stirling seam max(t, eps) = 1
    loss = nn.PoissonNLLLoss(log_input=log_input, full=full, reduction=reduction)
    check_grads(lambda a, b: loss(a, b), x, target)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@FAST
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), seed=seeds)
def test_grad_kl_div(reduction, shape, seed):
    """labels are the target distribution: MindSpore (and lossviz) give them a zero gradient, so the
    central-difference check is on the logits, and the labels' zero gradient is asserted apart."""
    rng = np.random.default_rng(seed)
    logits, labels = rng.standard_normal(shape), rng.uniform(0.05, 1, shape)
    labels[rng.uniform(size=shape) < 0.3] = 0                # zero labels: a constant 0 (D8)
    loss = nn.KLDivLoss(reduction)
    check_grads(lambda a: loss(a, Tensor(labels)), logits)
    g = lossviz.grad(lambda a, b: loss(a, b), grad_position=1)(Tensor(logits), Tensor(labels))
    np.testing.assert_array_equal(g.asnumpy(), np.zeros(shape))


def grads_of(loss, *arrays, positions=None):
    positions = tuple(range(len(arrays))) if positions is None else positions
    got = lossviz.grad(lambda *xs: loss(*xs), grad_position=positions)(*(Tensor(a) for a in arrays))
    return [g.asnumpy() for g in got]


# ----- at the kinks: the gradients the spec gives there -----
@pytest.mark.parametrize("cls", [nn.MAELoss, nn.L1LossExt])
def test_kink_abs_gives_zero(cls):
    """|d| at d == 0: gradient 0 (R0.4)."""
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])
    gx, gy = grads_of(cls("sum"), x, y)
    np.testing.assert_array_equal(gx, [0, 1, -1])
    np.testing.assert_array_equal(gy, [0, -1, 1])


def test_kink_rmse_zero_error_is_nan():
    """sqrt at 0 has no derivative: every gradient is nan at zero error (R2, reproduced)."""
    x = np.array([1.0, 2.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        gx, gy = grads_of(nn.RMSELoss(), x, x.copy())
    assert np.isnan(gx).all() and np.isnan(gy).all()


def test_kink_huber_at_delta_and_zero():
    """|d| == delta takes the linear branch: gradient delta * sign(d) (= d there); d == 0: gradient 0."""
    delta = 0.5
    x, y = np.array([0.5, -0.5, 0.0, 0.25, 3.0]), np.zeros(5)
    out = nn.HuberLoss("none", delta)(Tensor(x), Tensor(y)).asnumpy()
    np.testing.assert_allclose(out, [0.125, 0.125, 0, 0.03125, 1.375])
    gx, gy = grads_of(nn.HuberLoss("sum", delta), x, y)
    np.testing.assert_array_equal(gx, [0.5, -0.5, 0, 0.25, 0.5])
    np.testing.assert_array_equal(gy, -gx)


def test_kink_soft_margin_at_zero_logits():
    """z = 0: loss ln 2, d/dlogits = -labels / 2, d/dlabels = 0 (the formula is smooth there)."""
    x, y = np.zeros(3), np.array([1.0, -1.0, 2.0])
    np.testing.assert_allclose(nn.SoftMarginLoss("none")(Tensor(x), Tensor(y)).asnumpy(), np.log(2) * np.ones(3))
    gx, gy = grads_of(nn.SoftMarginLoss("sum"), x, y)
    np.testing.assert_allclose(gx, -y / 2)
    np.testing.assert_array_equal(gy, np.zeros(3))


def test_kink_gaussian_var_clamp():
    """var == eps: half the var gradient (a maximum's tie); var < eps: none; logits see v = eps."""
    eps = 0.25
    x, y, var = np.array([1.0, 1.0, 1.0]), np.zeros(3), np.array([0.5, 0.25, 0.1])
    gx, gy, gv = grads_of(nn.GaussianNLLLoss(eps=eps, reduction="sum"), x, y, var)
    v = np.maximum(var, eps)
    np.testing.assert_allclose(gx, 1 / v)
    np.testing.assert_allclose(gy, -1 / v)
    full = 0.5 * (1 / v - 1 / v**2)
    np.testing.assert_allclose(gv, full * np.array([1, 0.5, 0]))


def test_kink_poisson_stirling_seams():
    """full=True: target == eps gets half the Stirling gradient (a maximum's tie); max(t, eps) == 1 gets none."""
    x = np.array([0.3, 0.3, 0.3])
    t = np.array([1.5, 1.0, 4.0])
    _, gt = grads_of(nn.PoissonNLLLoss(full=True, eps=1.5, reduction="sum"), x, t)
    stirling = np.log(1.5) + 0.5 / 1.5
    np.testing.assert_allclose(gt, [-0.3 + 0.5 * stirling, -0.3, -0.3 + np.log(4) + 0.5 / 4])
    _, gt = grads_of(nn.PoissonNLLLoss(full=True, reduction="sum"), x, t)      # t == 1 with eps 1e-8
    np.testing.assert_allclose(gt[1], -0.3)


def test_kink_kl_div_label_zero():
    """labels == 0: the loss is the constant 0, so the logits gradient is 0 (D8)."""
    gx, gy = grads_of(nn.KLDivLoss("sum"), np.array([0.5, -1.0]), np.array([0.0, 0.5]))
    np.testing.assert_array_equal(gx, [0, -0.5])
    np.testing.assert_array_equal(gy, [0, 0])


# =====================================================================================================
# 3. Bad input
# =====================================================================================================
F32 = np.float32


def t(*values, dtype=F32):
    return Tensor(np.array(values, dtype))


BAD_CONSTRUCTION = [
    # (factory, exception, argument named)
    (lambda: nn.MAELoss("avg"), ValueError, "reduction"),
    (lambda: nn.MAELoss(None), ValueError, "reduction"),
    (lambda: nn.L1LossExt("MEAN"), ValueError, "reduction"),
    (lambda: nn.HuberLoss("avg"), ValueError, "reduction"),
    (lambda: nn.HuberLoss(delta="1"), TypeError, "delta"),
    (lambda: nn.HuberLoss(delta=True), TypeError, "delta"),
    (lambda: nn.HuberLoss(delta=None), TypeError, "delta"),
    (lambda: nn.HuberLoss(delta=np.float32(1)), TypeError, "delta"),
    (lambda: nn.HuberLoss(delta=float("nan")), ValueError, "delta"),
    (lambda: nn.HuberLoss(delta=-2), ValueError, "delta"),
    (lambda: nn.HuberLoss(delta=0), ValueError, "delta"),
    (lambda: nn.SoftMarginLoss(1), TypeError, "reduction"),
    (lambda: nn.SoftMarginLoss(None), TypeError, "reduction"),
    (lambda: nn.SoftMarginLoss("batchmean"), ValueError, "reduction"),
    (lambda: nn.GaussianNLLLoss(eps=float("inf")), ValueError, "eps"),
    (lambda: nn.GaussianNLLLoss(eps=float("nan")), ValueError, "eps"),
    (lambda: nn.GaussianNLLLoss(eps="1e-6"), TypeError, "eps"),
    (lambda: nn.GaussianNLLLoss(eps=True), TypeError, "eps"),
    (lambda: nn.GaussianNLLLoss(full="yes"), TypeError, "full"),
    (lambda: nn.GaussianNLLLoss(reduction="batchmean"), ValueError, "reduction"),
    (lambda: nn.PoissonNLLLoss(log_input=1), TypeError, "log_input"),
    (lambda: nn.PoissonNLLLoss(full=None), TypeError, "full"),
    (lambda: nn.PoissonNLLLoss(eps=None), TypeError, "eps"),
    (lambda: nn.PoissonNLLLoss(eps=False), TypeError, "eps"),
    (lambda: nn.PoissonNLLLoss(eps=float("inf")), ValueError, "eps"),
    (lambda: nn.PoissonNLLLoss(eps=float("nan")), ValueError, "eps"),
    (lambda: nn.PoissonNLLLoss(reduction="batchmean"), ValueError, "reduction"),
    (lambda: nn.KLDivLoss("Mean"), ValueError, "reduction"),
    (lambda: nn.KLDivLoss(0), ValueError, "reduction"),
]


@pytest.mark.parametrize("factory, error, arg", BAD_CONSTRUCTION)
def test_bad_construction(factory, error, arg):
    with pytest.raises(error) as info:
        factory()
    assert f"'{arg}'" in str(info.value), str(info.value)
    assert str(info.value).startswith("For '"), str(info.value)


GOOD = t(1.0, 2.0)
BAD_CALLS = [
    # (loss, args, exception, words the message names)
    (nn.MAELoss(), (np.ones(2, F32), GOOD), TypeError, ["MAELoss", "'logits'"]),
    (nn.MAELoss(), (GOOD, 1.0), TypeError, ["MAELoss", "'label'"]),
    (nn.MAELoss(), (GOOD, t(True, False, dtype=bool)), TypeError, ["MAELoss", "'label'"]),
    (nn.L1LossExt(), (t(1, 2, 3), GOOD), ValueError, ["L1LossExt", "'logits'", "'labels'"]),
    (nn.RMSELoss(), (GOOD, [1.0, 2.0]), TypeError, ["RMSELoss", "'label'"]),
    (nn.RMSELoss(), (GOOD, t(1, 2, dtype=np.uint8)), TypeError, ["RMSELoss", "'label'", "uint8"]),
    (nn.HuberLoss(), (GOOD, None), TypeError, ["HuberLoss", "'labels'"]),
    (nn.HuberLoss(), (t(1, 2, 3), t(1, 2)), ValueError, ["HuberLoss", "'logits'", "'labels'"]),
    (nn.SoftMarginLoss(), (GOOD, t(1.0)), ValueError, ["SoftMarginLoss", "'labels'"]),
    (nn.SoftMarginLoss(), (GOOD, np.ones(2)), TypeError, ["SoftMarginLoss", "'labels'"]),
    (nn.GaussianNLLLoss(), (GOOD, GOOD, 1.0), TypeError, ["GaussianNLLLoss", "'var'"]),
    (nn.GaussianNLLLoss(), (GOOD, GOOD, t(1.0, -0.5)), ValueError, ["GaussianNLLLoss", "'var'"]),
    (nn.GaussianNLLLoss(), (GOOD, GOOD, t(1, 1, 1)), ValueError, ["GaussianNLLLoss", "'var'"]),
    (nn.GaussianNLLLoss(), (GOOD, t(1, 2, 3), t(1.0)), ValueError, ["GaussianNLLLoss", "'labels'"]),
    (nn.GaussianNLLLoss(), (GOOD, GOOD, t(True, True, dtype=bool)), TypeError, ["GaussianNLLLoss", "'var'"]),
    (nn.PoissonNLLLoss(), (t(1, 2, dtype=np.int64), GOOD), TypeError, ["PoissonNLLLoss", "'input'", "log_input"]),
    (nn.PoissonNLLLoss(), (GOOD, "1"), TypeError, ["PoissonNLLLoss", "'target'"]),
    (nn.PoissonNLLLoss(), (t(1, 2, 3), t(1, 2)), ValueError, ["PoissonNLLLoss", "'input'", "'target'"]),
    (nn.KLDivLoss(), (GOOD, t(1, 2, dtype=np.float16)), TypeError, ["KLDivLoss", "'labels'"]),
    (nn.KLDivLoss(), (t(1, 2, dtype=np.int32), t(1, 2, dtype=np.int32)), TypeError, ["KLDivLoss", "'logits'"]),
    (nn.KLDivLoss(), (GOOD, t(1.0)), ValueError, ["KLDivLoss", "'labels'"]),
    (nn.KLDivLoss("batchmean"), (t(1.0).reshape(()), t(1.0).reshape(())), ValueError, ["KLDivLoss", "'logits'"]),
]


@pytest.mark.parametrize("loss, args, error, words", BAD_CALLS)
def test_bad_call(loss, args, error, words):
    with pytest.raises(error) as info:
        loss(*args)
    assert_names(str(info.value), *words)


ZERO_D = [
    (nn.MAELoss(), 2, 0.5), (nn.L1LossExt("sum"), 2, 0.5), (nn.RMSELoss(), 2, 0.5),
    (nn.HuberLoss(delta=0.25), 2, 0.25 * (0.5 - 0.125)), (nn.SoftMarginLoss(), 2, math.log1p(math.exp(-1.5))),
    (nn.GaussianNLLLoss(), 3, 0.5 * (math.log(2.0) + 0.25 / 2)), (nn.PoissonNLLLoss(), 2, math.exp(1.5) - 1.5),
    (nn.KLDivLoss(), 2, 1.0 * (math.log(1.0) - 1.5)),
]


@pytest.mark.parametrize("loss, n, want", ZERO_D, ids=lambda v: type(v).__name__ if isinstance(v, nn.Cell) else "")
def test_zero_d_inputs(loss, n, want):
    """0-d inputs work (a scalar out), gradients included."""
    args = [Tensor(np.array(v, np.float64)) for v in (1.5, 1.0, 2.0)[:n]]
    out = loss(*args)
    assert out.shape == () and out.dtype == lossviz.float64
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-7)
    if isinstance(loss, nn.KLDivLoss):                   # labels: the target, a zero gradient (see test_grad_kl_div)
        check_grads(lambda a: loss(a, args[1]), args[0].asnumpy())
    else:
        check_grads(lambda *xs: loss(*xs), *(a.asnumpy() for a in args))


def test_dtypes_promote_like_mindspore():
    """An int meeting a float takes the float's dtype (not numpy's float64); ints alone give float32."""
    i, f16 = t(1, 2, dtype=np.int32), t(0.5, 0.5, dtype=np.float16)
    assert nn.MAELoss("none")(i, f16).dtype == lossviz.float16
    assert nn.HuberLoss("none")(i, t(0, 0, dtype=np.int32)).dtype == lossviz.float32
    assert nn.SoftMarginLoss("none")(i, t(1, -1, dtype=np.int32)).dtype == lossviz.float32
    assert nn.GaussianNLLLoss(reduction="none")(i, i, t(1, 2, dtype=np.int32)).dtype == lossviz.float32
    assert nn.GaussianNLLLoss(reduction="none")(f16, f16, i).dtype == lossviz.float32       # max(int var, eps)
    assert nn.PoissonNLLLoss(reduction="none")(f16, t(1.0, 2.0, dtype=np.float64)).dtype == lossviz.float16
    g = lossviz.grad(lambda a, b: nn.PoissonNLLLoss()(a, b), grad_position=1)(f16, t(1.0, 2.0, dtype=np.float64))
    assert g.dtype == lossviz.float64                                # the target's gradient in its own dtype


# =====================================================================================================
# 4. Fused primitives against the same loss composed from plain ops
# =====================================================================================================
def composed_huber(delta):
    def loss(a, b):
        d = a - b
        z = ops.abs(d)
        return ops.select(z < delta, 0.5 * d * d, delta * (z - 0.5 * delta))
    return loss


def composed_soft_margin(a, b):
    z = -(b * a)
    return ops.maximum(z, 0.0) + ops.log(1.0 + ops.exp(-ops.abs(z)))


def composed_gaussian(eps, full):
    def loss(a, b, var):
        v = ops.maximum(var, eps)
        out = 0.5 * (ops.log(v) + (a - b) ** 2 / v)
        return out + HALF_LOG_2PI if full else out
    return loss


def composed_poisson(log_input, full, eps):
    def loss(x, target):
        out = ops.exp(x) - target * x if log_input else x - target * ops.log(x + eps)
        if full:
            tc = ops.maximum(target, eps)
            big = tc > 1
            safe = ops.select(big, tc, ops.ones_like(tc))
            out = out + ops.select(big, (safe + 0.5) * ops.log(safe) - safe + HALF_LOG_2PI, ops.zeros_like(tc))
        return out
    return loss


def composed_kl(a, b):
    labels = Tensor(b.asnumpy())                                      # the target: a constant
    positive = labels > 0
    safe = ops.select(positive, labels, ops.ones_like(labels))
    return ops.select(positive, labels * (ops.log(safe) - a), ops.zeros_like(labels))


def composed_rmse(a, b):
    return ops.sqrt(ops.mean((a - b) ** 2))


def fused_cases(rng, n=64):
    x, y = rng.standard_normal(n), rng.standard_normal(n)
    var = rng.uniform(0.2, 3.0, n)
    var[:4] = [1e-6, 0.5e-6, 2.0, 1e-6]                              # clamp ties and below-eps values
    counts = rng.integers(0, 6, n).astype(np.float64)
    pos = rng.uniform(0.1, 3, n)
    labels = rng.uniform(0, 1, n)
    labels[::5] = 0
    return [
        ("HuberError(1)", FR.HuberError(1.0), composed_huber(1.0), (x, y)),
        ("HuberError(0.3) broadcast", FR.HuberError(0.3), composed_huber(0.3), (x.reshape(8, 8), y[:8])),
        ("SoftMargin", FR.SoftMargin(), composed_soft_margin, (x * 4, np.sign(y))),
        ("GaussianNLL", FR.GaussianNLL(1e-6, False), composed_gaussian(1e-6, False), (x, y, var)),
        ("GaussianNLL full rows", FR.GaussianNLL(1e-6, True), composed_gaussian(1e-6, True),
         (x.reshape(8, 8), y.reshape(8, 8), var[:8].reshape(8, 1))),
        ("PoissonNLL", FR.PoissonNLL(True, False, 1e-8), composed_poisson(True, False, 1e-8), (x, counts)),
        ("PoissonNLL rate full", FR.PoissonNLL(False, True, 1e-8), composed_poisson(False, True, 1e-8), (pos, counts)),
        ("PoissonNLL full eps tie", FR.PoissonNLL(True, True, 2.0), composed_poisson(True, True, 2.0), (x, counts)),
        ("KLDivergence", FR.KLDivergence(), composed_kl, (x, labels)),
        ("RootMeanSquaredError broadcast", FR.RootMeanSquaredError(), composed_rmse, (x.reshape(8, 8), y[:8])),
    ]


@pytest.mark.parametrize("index", range(10))
def test_fused_equals_composed(index):
    name, fused, composed, arrays = fused_cases(np.random.default_rng(7))[index]
    for dtype, rtol in ((np.float32, 2e-6), (np.float64, 1e-12)):
        args = [Tensor(a.astype(dtype)) for a in arrays]
        np.testing.assert_allclose(fused(*args).asnumpy(), composed(*args).asnumpy(), rtol=rtol, atol=rtol,
                                   err_msg=name)
    args = [Tensor(a) for a in arrays]                                # float64 gradients
    positions = tuple(range(len(arrays)))
    got = lossviz.grad(lambda *xs: ops.sum(fused(*xs) * 1.5), grad_position=positions)(*args)
    want = lossviz.grad(lambda *xs: ops.sum(composed(*xs) * 1.5), grad_position=positions)(*args)
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-12, atol=1e-12, err_msg=f"{name} grad {i}")


def test_fused_read_a_broadcast_gradient():
    """The fused kernels take the 'mean' gradient as one number (a broadcast view) and never write into it."""
    rng = np.random.default_rng(3)
    for name, fused, composed, arrays in fused_cases(rng):
        args = [Tensor(a) for a in arrays]
        positions = tuple(range(len(arrays)))
        got = lossviz.grad(lambda *xs: ops.mean(fused(*xs)), grad_position=positions)(*args)
        want = lossviz.grad(lambda *xs: ops.mean(composed(*xs)), grad_position=positions)(*args)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-12, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("index", [0, 3, 5, 9])   # HuberError, GaussianNLL, PoissonNLL, RMSE keep a result for the backward
def test_fused_backward_twice_through_one_graph(index):
    """The first backward takes over what the forward kept; a second backward recomputes it."""
    name, fused, composed, arrays = fused_cases(np.random.default_rng(11))[index]
    args = [Tensor(a, requires_grad=True) for a in arrays]
    total = ops.sum(fused(*args))
    total.backward()
    first = [a.grad.asnumpy().copy() for a in args]
    total.backward()
    want = lossviz.grad(lambda *xs: ops.sum(composed(*xs)), grad_position=tuple(range(len(args))))(
        *(Tensor(a) for a in arrays))
    for a, g, w in zip(args, first, want):
        np.testing.assert_allclose(g, w.asnumpy(), rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(a.grad.asnumpy(), 2 * w.asnumpy(), rtol=1e-12, err_msg=name)


# =====================================================================================================
# 5. Functional forms
# =====================================================================================================
def test_functional_forms_equal_their_classes():
    rng = np.random.default_rng(5)
    x, y = Tensor(rng.standard_normal((3, 4)).astype(F32)), Tensor(rng.standard_normal((3, 4)).astype(F32))
    var = Tensor(rng.uniform(0.5, 2, (3, 1)).astype(F32))
    for reduction in REDUCTIONS:
        pairs = [
            (ops.huber_loss(x, y, reduction, 0.7), nn.HuberLoss(reduction, 0.7)(x, y)),
            (ops.huber_loss(x, y, reduction=reduction), nn.HuberLoss(reduction)(x, y)),
            (ops.soft_margin_loss(x, y, reduction), nn.SoftMarginLoss(reduction)(x, y)),
            (ops.gaussian_nll_loss(x, y, var, True, 1e-3, reduction),
             nn.GaussianNLLLoss(full=True, eps=1e-3, reduction=reduction)(x, y, var)),
            (ops.kl_div(x, ops.abs(y), reduction), nn.KLDivLoss(reduction)(x, ops.abs(y))),
        ]
        for got, want in pairs:
            np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())
    np.testing.assert_array_equal(ops.kl_div(x, ops.abs(y), "batchmean").asnumpy(),
                                  nn.KLDivLoss("batchmean")(x, ops.abs(y)).asnumpy())
    g = lossviz.grad(lambda a: ops.huber_loss(a, y), 0)(x)
    np.testing.assert_array_equal(g.asnumpy(), lossviz.grad(lambda a: nn.HuberLoss()(a, y), 0)(x).asnumpy())


FUNCTIONAL_ERRORS = [
    (lambda: ops.huber_loss(np.ones(2), GOOD), TypeError, ["huber_loss", "'input'"]),
    (lambda: ops.huber_loss(GOOD, GOOD, delta=0), ValueError, ["huber_loss", "'delta'"]),
    (lambda: ops.huber_loss(GOOD, GOOD, "avg"), ValueError, ["huber_loss", "'reduction'"]),
    (lambda: ops.soft_margin_loss(GOOD, t(1.0, 2.0, 3.0)), ValueError, ["soft_margin_loss", "'target'"]),
    (lambda: ops.gaussian_nll_loss(GOOD, GOOD, t(-1.0, 1.0)), ValueError, ["gaussian_nll_loss", "'var'"]),
    (lambda: ops.gaussian_nll_loss(GOOD, 2.0, GOOD), TypeError, ["gaussian_nll_loss", "'target'"]),
    (lambda: ops.gaussian_nll_loss(GOOD, GOOD, GOOD, eps=0.0), ValueError, ["gaussian_nll_loss", "'eps'"]),
    (lambda: ops.kl_div(GOOD, GOOD, "avg"), ValueError, ["kl_div", "'reduction'"]),
    (lambda: ops.kl_div(GOOD, t(1.0)), ValueError, ["kl_div", "'labels'"]),
]


@pytest.mark.parametrize("factory, error, words", FUNCTIONAL_ERRORS)
def test_functional_errors_name_the_function(factory, error, words):
    with pytest.raises(error) as info:
        factory()
    assert_names(str(info.value), *words)


def test_functional_signatures():
    """MindSpore 2.x argument names, order and defaults."""
    import inspect
    want = {
        "huber_loss": "(input, target, reduction='mean', delta=1.0)",
        "soft_margin_loss": "(input, target, reduction='mean')",
        "gaussian_nll_loss": "(x, target, var, full=False, eps=1e-06, reduction='mean')",
        "kl_div": "(logits, labels, reduction='mean')",
    }
    for name, signature in want.items():
        assert str(inspect.signature(getattr(ops, name))) == signature
