"""Catalogue group "embedding" (ranking and metric learning): MarginRankingLoss, HingeEmbeddingLoss,
TripletMarginLoss, TripletMarginWithDistanceLoss, their functional forms and fused primitives.

Spec: ../shared/spec/catalogue/regression.md (R5-R8) and README.md (decisions D1, D5, D6, D7, D16-D19).
1. parity with every golden case of losses_catalogue.json / losses_catalogue_nocpu.json, decided ones
   against a float64 numpy reference instead;
2. float64 central-difference gradients (hypothesis), and the gradient at each kink;
3. bad input; 4. fused primitives vs plain ops; 5. functional forms.
"""
import json

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import lossviz
import lossviz.nn as nn
import lossviz.ops as ops
from lossviz import Tensor
from lossviz.ops import fused_embedding
from golden import assert_case, assert_matches, build, catalogue, inputs, raise_for, run
from gradcheck import check_grads

LOSSES = ("MarginRankingLoss", "HingeEmbeddingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss")
CASES, ERRORS = catalogue(*LOSSES)
SETTINGS = settings(max_examples=10, deadline=None, derandomize=True)
REDUCTIONS = ("none", "mean", "sum")
F64 = dict(rtol=1e-9, atol=1e-12)


# ----- float64 numpy references (independent of lossviz) -----
def ref_reduce(loss, reduction):
    return {"none": loss, "mean": np.mean(loss), "sum": np.sum(loss)}[reduction]


def ref_margin_ranking(x1, x2, t, margin=0.0):
    return np.fmax(-t * (x1 - x2) + margin, 0)


def ref_hinge_embedding(x, y, margin=1.0):
    return np.where(y > 0, x, np.where(y < 0, np.fmax(margin - x, 0), 0))


def ref_distance(a, b, p=2, eps=0.0, floor=0.0):
    u = np.abs(a - b + eps)
    if p == 0:
        d = np.count_nonzero(u, axis=1).astype(np.float64)
    else:
        d = (u ** p).sum(axis=1) ** (1.0 / p)
    return np.maximum(d, floor)


def ref_triplet(x, pos, neg, p=2, eps=0.0, floor=0.0, swap=False, margin=1.0, distance=None, together=True):
    """max(d(x, pos) - d_neg + margin, 0); ``together`` broadcasts the three inputs first (TripletMarginLoss)."""
    if together:
        x, pos, neg = np.broadcast_arrays(x, pos, neg)
    distance = distance or (lambda a, b: ref_distance(a, b, p, eps, floor))
    d_neg = distance(x, neg)
    if swap:
        d_neg = np.minimum(d_neg, distance(pos, neg))
    return np.fmax(distance(x, pos) - d_neg + margin, 0)


def f64(*arrays):
    return [np.asarray(a, np.float64) for a in arrays]


def value_of(loss, *args):
    return loss(*[Tensor(a) if isinstance(a, np.ndarray) else a for a in args]).asnumpy()


def grads_of(loss, *arrays, positions=None):
    positions = tuple(range(len(arrays))) if positions is None else positions
    grads = lossviz.grad(lambda *xs: loss(*xs), grad_position=positions)(*[Tensor(a) for a in arrays])
    return [g.asnumpy() for g in (grads if isinstance(grads, tuple) else (grads,))]


# ----- 1. parity with the golden data -----
# Golden cases whose numbers a decision replaces: asserted against a float64 reference below.
DECIDED_CASES = {
    "TripletMarginWithDistanceLoss/float16_zero_distance/none": "D5",
    "HingeEmbeddingLoss/nonfinite/none": "D6",
}
# Error cases a decision turns into no error (checked against a float64 reference below).
DECIDED_NO_ERROR = {
    "TripletMarginLoss/cpu_unsupported": "D1",
    "TripletMarginLoss/p_negative_passes_validation": "D1",
    "TripletMarginWithDistanceLoss/float64": "D19",
}
# Error cases a decision moves or changes: (decision, exception, raised by the constructor).
DECIDED_ERRORS = {
    "MarginRankingLoss/margin_int": ("D16", TypeError, True),
    "TripletMarginLoss/bad_reduction_at_call": ("D16", ValueError, True),
    "TripletMarginLoss/init_margin_overrides_call_margin": ("D18", ValueError, False),
    "TripletMarginLoss/p_str": ("D18", TypeError, True),
    "HingeEmbeddingLoss/labels_python_float": ("D17", TypeError, False),
}
# The argument each error message must name.
ERROR_ARG = {
    "MarginRankingLoss/bad_reduction": "reduction", "TripletMarginWithDistanceLoss/bad_reduction": "reduction",
    "HingeEmbeddingLoss/bad_reduction": "reduction", "TripletMarginLoss/bad_reduction_at_call": "reduction",
    "MarginRankingLoss/numpy_input": "input1", "HingeEmbeddingLoss/numpy_input": "logits",
    "TripletMarginWithDistanceLoss/numpy_input": "x", "TripletMarginLoss/numpy_input": "x",
    "MarginRankingLoss/shape_not_broadcastable": "input2", "MarginRankingLoss/target_not_broadcastable": "target",
    "HingeEmbeddingLoss/shape_not_broadcastable": "labels",
    "TripletMarginWithDistanceLoss/shape_not_broadcastable": "positive",
    "TripletMarginWithDistanceLoss/inputs_1d": "x", "TripletMarginWithDistanceLoss/inputs_0d": "x",
    "TripletMarginLoss/shape_not_broadcastable": "negative", "TripletMarginLoss/inputs_1d": "x",
    "MarginRankingLoss/int_target": "target", "MarginRankingLoss/mixed_input_dtypes": "input2",
    "HingeEmbeddingLoss/int_labels": "labels", "HingeEmbeddingLoss/int_logits": "logits",
    "TripletMarginWithDistanceLoss/int32": "x", "TripletMarginLoss/mixed_dtypes": "positive",
    "MarginRankingLoss/margin_int": "margin", "HingeEmbeddingLoss/margin_bool": "margin",
    "HingeEmbeddingLoss/margin_str": "margin", "TripletMarginWithDistanceLoss/margin_int": "margin",
    "TripletMarginWithDistanceLoss/swap_int": "swap", "TripletMarginLoss/p_float": "p",
    "TripletMarginLoss/eps_int": "eps", "TripletMarginLoss/swap_int": "swap",
    "TripletMarginLoss/call_margin_1d": "margin", "TripletMarginLoss/init_margin_overrides_call_margin": "margin",
    "TripletMarginLoss/p_str": "p", "HingeEmbeddingLoss/labels_python_float": "labels",
}
NO_ERROR = [c for c in ERRORS if c["exception"] is None]                      # recorded outputs
PARITY = [c for c in CASES if c["id"] not in DECIDED_CASES]
ERROR_CASES = [c for c in ERRORS if c["exception"] is not None and c["id"] not in DECIDED_NO_ERROR]


def _name(case):
    return case["target"].split(".")[-1]


def test_every_case_is_covered():
    """Every golden case of the four losses is a parity case or a decided one; every error case is tested."""
    assert len(CASES) >= 70 and len(ERRORS) >= 40
    assert {c["id"] for c in CASES} == {c["id"] for c in PARITY} | set(DECIDED_CASES)
    assert set(DECIDED_CASES) <= {c["id"] for c in CASES}
    tested = {c["id"] for c in ERROR_CASES + NO_ERROR} | set(DECIDED_NO_ERROR)
    assert tested == {c["id"] for c in ERRORS}
    assert set(DECIDED_ERRORS) <= {c["id"] for c in ERROR_CASES}
    assert {c["id"] for c in ERROR_CASES} == set(ERROR_ARG)
    assert {_name(c) for c in CASES} == set(LOSSES)


@pytest.mark.parametrize("case", PARITY, ids=[c["id"] for c in PARITY])
def test_golden_case(case):
    assert_case(case)


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["id"] for c in ERROR_CASES])
def test_golden_error(case):
    decided = DECIDED_ERRORS.get(case["id"])
    expected = decided[1] if decided else {"TypeError": TypeError, "ValueError": ValueError}[case["expect"]]
    with pytest.raises(expected) as raised:
        raise_for(case)
    message = str(raised.value)
    assert f"'{_name(case)}'" in message and f"'{ERROR_ARG[case['id']]}'" in message, message


@pytest.mark.parametrize("case", NO_ERROR, ids=[c["id"] for c in NO_ERROR])
def test_golden_no_error(case):
    """'none'-phase cases: MindSpore accepted the call and recorded its output."""
    out = build(case)(*inputs(case))
    np.testing.assert_allclose(out.asnumpy(), json.loads(case["message"]), rtol=1e-6)


@pytest.mark.parametrize("case_id", sorted(DECIDED_ERRORS))
def test_decided_errors_d16_d17_d18(case_id):
    """D16: MarginRankingLoss margin and TripletMarginLoss reduction are checked by the constructor.
    D17: a Python float label is a TypeError naming the class and 'labels'.
    D18: the call-time margin is used (so a 1-D one is refused), and p is always validated."""
    case = next(c for c in ERRORS if c["id"] == case_id)
    decision, exception, at_init = DECIDED_ERRORS[case_id]
    if at_init:
        with pytest.raises(exception, match=f"'{_name(case)}'.*'{ERROR_ARG[case_id]}'"):
            build(case)
    else:
        loss = build(case)
        with pytest.raises(exception, match=f"'{_name(case)}'.*'{ERROR_ARG[case_id]}'"):
            loss(*inputs(case))


def _case(case_id, cases):
    return next(c for c in cases if c["id"] == case_id)


def test_d1_triplet_margin_loss_is_computed():
    """D1: no CPU kernel in MindSpore 2.10; lossviz computes the documented formula (eps inside the norm)."""
    case = _case("TripletMarginLoss/cpu_unsupported", ERRORS)
    x, pos, neg = (a.asnumpy() for a in inputs(case))
    out = build(case)(*inputs(case))
    assert out.dtype == lossviz.float32 and out.shape == ()
    np.testing.assert_allclose(out.asnumpy(), np.mean(ref_triplet(*f64(x, pos, neg), eps=1e-6)), rtol=1e-6)
    np.testing.assert_allclose(out.asnumpy(), 0.8881968, rtol=1e-7)       # the docstring's value


def test_d1_triplet_margin_loss_negative_p():
    """D1: p = -1 passes MindSpore's checks and then needs the missing kernel; lossviz computes the formula."""
    case = _case("TripletMarginLoss/p_negative_passes_validation", ERRORS)
    x, pos, neg = (a.asnumpy() for a in inputs(case))
    out = build(case)(*inputs(case))
    np.testing.assert_allclose(out.asnumpy(), np.mean(ref_triplet(*f64(x, pos, neg), p=-1, eps=1e-6)), rtol=1e-5)
    check_grads(lambda a, b, c: nn.TripletMarginLoss(p=-1)(a, b, c), *f64(x, pos, neg))


def test_d19_triplet_with_distance_accepts_float64():
    """D19: float64 inputs are accepted and keep float64 precision (get_loss reduces in float64)."""
    case = _case("TripletMarginWithDistanceLoss/float64", ERRORS)
    x, pos, neg = (a.asnumpy() for a in inputs(case))
    out = build(case)(*inputs(case))
    assert out.dtype == lossviz.float64
    want = np.mean(ref_triplet(x, pos, neg, floor=1e-12, together=False))
    np.testing.assert_allclose(out.asnumpy(), want, **F64)
    check_grads(lambda a, b, c: nn.TripletMarginWithDistanceLoss()(a, b, c), x, pos, neg)


def test_d5_float16_zero_distance_has_zero_gradient():
    """D5: a zero distance in float16 gives gradient 0 (MindSpore: nan); the loss is unchanged."""
    case = _case("TripletMarginWithDistanceLoss/float16_zero_distance/none", CASES)
    out, grads = run(case)
    golden_out = case["output"]
    assert_case(case | {"grads": {}}, out, {})                               # the forward is MindSpore's
    assert golden_out["dtype"] == "float16"
    x, pos, neg = f64(*(a.asnumpy() for a in inputs(case)))
    # float64 reference gradient of sum(loss): rows where the hinge is active get (u/|u|) terms; 0/0 -> 0
    want = {"x": np.zeros((2, 2)), "positive": np.zeros((2, 2)), "negative": np.zeros((2, 2))}
    for i in range(2):
        d_pos, d_neg = np.linalg.norm(x[i] - pos[i]), np.linalg.norm(x[i] - neg[i])
        if d_pos - d_neg + 1.0 > 0:
            g_pos = (x[i] - pos[i]) / d_pos if d_pos else 0 * x[i]
            g_neg = (x[i] - neg[i]) / d_neg if d_neg else 0 * x[i]
            want["x"][i], want["positive"][i], want["negative"][i] = g_pos - g_neg, -g_pos, g_neg
    for name, grad in grads.items():
        assert grad.dtype == lossviz.float16
        assert np.isfinite(grad.asnumpy()).all()
        np.testing.assert_allclose(grad.asnumpy(), want[name], rtol=2e-3, atol=2e-3)
    assert not want["negative"].any() and want["x"][1].any()


def test_d6_hinge_embedding_selects_instead_of_multiplying():
    """D6: an infinite logit is selected, not multiplied by a 0/1 mask: +inf with label -1 gives 0, not nan."""
    case = _case("HingeEmbeddingLoss/nonfinite/none", CASES)
    x, y = (a.asnumpy() for a in inputs(case))
    out, grads = run(case)
    with np.errstate(invalid="ignore"):
        want = ref_hinge_embedding(*f64(x, y))
    assert_matches(out, want.astype(np.float32), case["id"], "output", dict(rtol=0, atol=0))
    np.testing.assert_array_equal(out.asnumpy(), [0.0, -np.inf, np.inf, np.nan])
    np.testing.assert_array_equal(grads["logits"].asnumpy(), [0.0, 1.0, 1.0, 1.0])     # MindSpore's gradients


def test_d7_hinge_embedding_labels_get_zero_gradient():
    """D7: the labels act through their sign only: their gradient is 0 (MindSpore raises TypeError)."""
    x = np.array([0.5, -2.0, 3.0, 1.0], np.float32)
    y = np.array([1.0, -1.0, -1.0, 0.0], np.float32)
    for reduction in REDUCTIONS:
        g_x, g_y = grads_of(nn.HingeEmbeddingLoss(reduction=reduction), x, y)
        assert g_y.dtype == np.float32 and not g_y.any()
        scale = 1 / 4 if reduction == "mean" else 1
        np.testing.assert_allclose(g_x, np.array([1, -1, 0, 0]) * scale)


# ----- 2. gradients (float64 central differences) -----
@st.composite
def broadcast_shapes(draw, min_dims=0):
    """Three shapes that broadcast together (some axes 1 or missing)."""
    full = draw(st.lists(st.integers(1, 3), min_size=max(min_dims, 1), max_size=3))
    shapes = []
    for _ in range(3):
        shape = [n if draw(st.booleans()) else 1 for n in full]
        drop = draw(st.integers(0, len(full) - min_dims))
        shapes.append(tuple(shape[drop:]))
    return tuple(full), shapes


def _floats(shape, seed, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


@SETTINGS
@given(broadcast_shapes(), st.integers(0, 2**16), st.sampled_from(REDUCTIONS), st.floats(-1, 1))
def test_margin_ranking_gradients(shapes, seed, reduction, margin):
    full, (s1, s2, s3) = shapes
    x1, x2, t = _floats(s1, seed), _floats(s2, seed + 1), _floats(s3, seed + 2)
    v = -t * (x1 - x2) + margin
    assume(np.abs(v).min() > 1e-3)                        # off the kink at v == 0
    loss = nn.MarginRankingLoss(margin, reduction)
    np.testing.assert_allclose(value_of(loss, x1, x2, t), ref_reduce(ref_margin_ranking(x1, x2, t, margin), reduction),
                               **F64)
    check_grads(lambda a, b, c: loss(a, b, c), x1, x2, t)


def test_margin_ranking_kink_gets_full_gradient():
    """At v = -target (input1 - input2) + margin == 0 the clamp passes the FULL gradient (not half)."""
    x1, x2, t = np.array([1.0, 2.0]), np.array([0.5, 2.5]), np.array([1.0, -1.0])
    loss = nn.MarginRankingLoss(0.5, "sum")                # v = -0.5 + 0.5 = 0 and 0.5 - 0.5 = 0
    assert value_of(loss, x1, x2, t) == 0
    g1, g2, gt = grads_of(loss, x1, x2, t)
    np.testing.assert_array_equal(g1, -t)
    np.testing.assert_array_equal(g2, t)
    np.testing.assert_array_equal(gt, -(x1 - x2))


@SETTINGS
@given(broadcast_shapes(), st.integers(0, 2**16), st.sampled_from(REDUCTIONS), st.floats(-1, 2))
def test_hinge_embedding_gradients(shapes, seed, reduction, margin):
    full, (s1, s2, _) = shapes
    x = _floats(s1, seed)
    y = np.random.default_rng(seed + 1).choice([-1.0, -0.5, 1.0, 2.0], s2)   # no label 0: the sign must not flip
    assume(np.abs(margin - x).min() > 1e-3)
    loss = nn.HingeEmbeddingLoss(margin, reduction)
    np.testing.assert_allclose(value_of(loss, x, y), ref_reduce(ref_hinge_embedding(x, y, margin), reduction), **F64)
    check_grads(lambda a, b: loss(a, b), x, y)          # labels included: their gradient is 0 (D7)


def test_hinge_embedding_kink_gets_half_gradient():
    """At margin - x == 0 with a negative label the max splits the gradient: -1/2; label 0 gives 0."""
    x, y = np.array([1.0, 1.0, 0.25, 5.0]), np.array([-1.0, 0.0, 0.0, -1.0])
    g_x, g_y = grads_of(nn.HingeEmbeddingLoss(reduction="sum"), x, y)
    np.testing.assert_array_equal(g_x, [-0.5, 0, 0, 0])
    np.testing.assert_array_equal(g_y, 0)
    np.testing.assert_array_equal(value_of(nn.HingeEmbeddingLoss(reduction="none"), x, y), [0, 0, 0, 0])


@st.composite
def triplets(draw, min_rows=1):
    """(x, positive, negative) float64 of one shape (N, D) or (N, D, M), and a seed."""
    n, d = draw(st.integers(min_rows, 4)), draw(st.integers(1, 4))
    shape = (n, d) if draw(st.booleans()) else (n, d, draw(st.integers(1, 3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return tuple(rng.uniform(-2, 2, shape) for _ in range(3))


def _off_triplet_kinks(x, pos, neg, p, eps, floor, swap, margin, together=True):
    """The hinge, the swap's min and (for p = 1) every |a - b + eps| stay away from their kinks."""
    dist = (lambda a, b: ref_distance(a, b, p, eps, floor))
    if together:
        x, pos, neg = np.broadcast_arrays(x, pos, neg)
    d_an, d_pn = dist(x, neg), dist(pos, neg)
    d_neg = np.minimum(d_an, d_pn) if swap else d_an
    ok = np.abs(dist(x, pos) - d_neg + margin).min() > 1e-3
    if swap:
        ok &= np.abs(d_an - d_pn).min() > 1e-3
    if p == 1:
        ok &= min(np.abs(a - b + eps).min() for a, b in ((x, pos), (x, neg), (pos, neg))) > 1e-3
    return ok


@SETTINGS
@given(triplets(), st.sampled_from([1, 2, 3]), st.booleans(), st.sampled_from([0.0, 1e-6, 0.25]),
       st.sampled_from(REDUCTIONS), st.floats(0, 2))
def test_triplet_margin_gradients(xs, p, swap, eps, reduction, margin):
    assume(_off_triplet_kinks(*xs, p, eps, 0.0, swap, margin))
    loss = nn.TripletMarginLoss(p=p, swap=swap, eps=eps, reduction=reduction, margin=margin)
    np.testing.assert_allclose(value_of(loss, *xs), ref_reduce(ref_triplet(*xs, p, eps, 0.0, swap, margin), reduction),
                               **F64)
    check_grads(lambda a, b, c: loss(a, b, c), *xs)


@SETTINGS
@given(broadcast_shapes(min_dims=2), st.integers(0, 2**16), st.booleans())
def test_triplet_margin_broadcast_gradients(shapes, seed, swap):
    """Inputs of different shapes are broadcast together first; the gradients are summed back."""
    full, (s1, s2, s3) = shapes
    x, pos, neg = _floats(s1, seed), _floats(s2, seed + 1), _floats(s3, seed + 2)
    assume(_off_triplet_kinks(x, pos, neg, 2, 1e-6, 0.0, swap, 0.5))
    loss = nn.TripletMarginLoss(swap=swap, reduction="sum")
    np.testing.assert_allclose(value_of(loss, x, pos, neg, 0.5),
                               ref_triplet(x, pos, neg, 2, 1e-6, 0.0, swap, 0.5).sum(), **F64)
    check_grads(lambda a, b, c: loss(a, b, c, 0.5), x, pos, neg)


def test_triplet_margin_kinks():
    """Hinge tie: half the gradient. Swap tie: the min's gradient split half/half. Zero distance, eps=0: 0."""
    # a hinge tie: d(x, p) - d(x, n) + margin = 1 - 2 + 1 = 0 (p=1, exact values)
    x, pos, neg = np.array([[0.0, 0.0]]), np.array([[0.5, 0.5]]), np.array([[1.0, 1.0]])
    g_x, g_p, g_n = grads_of(nn.TripletMarginLoss(p=1, eps=0.0, reduction="sum"), x, pos, neg)
    np.testing.assert_array_equal(g_p, [[0.5, 0.5]])      # half of -sign(x - p) = (1, 1)
    np.testing.assert_array_equal(g_n, [[-0.5, -0.5]])
    np.testing.assert_array_equal(g_x, [[0.0, 0.0]])
    # a swap tie: d(x, n) == d(p, n) = 5, d(x, p) = 10 (x and p mirror each other around n)
    x, pos, neg = np.array([[3.0, 4.0]]), np.array([[-3.0, -4.0]]), np.array([[0.0, 0.0]])
    loss = nn.TripletMarginLoss(swap=True, eps=0.0, reduction="sum", margin=2.0)
    assert value_of(loss, x, pos, neg) == 7.0
    g_x, g_p, g_n = grads_of(loss, x, pos, neg)
    u_xp, u_xn, u_pn = np.array([0.6, 0.8]), np.array([0.6, 0.8]), np.array([-0.6, -0.8])
    np.testing.assert_allclose(g_x, [u_xp - 0.5 * u_xn])
    np.testing.assert_allclose(g_p, [-u_xp - 0.5 * u_pn])
    np.testing.assert_allclose(g_n, [0.5 * u_xn + 0.5 * u_pn])
    # identical rows with eps = 0: no direction, gradient 0 (not nan)
    x = np.array([[1.0, 2.0]])
    g_x, g_p, g_n = grads_of(nn.TripletMarginLoss(eps=0.0, reduction="sum"), x, x.copy(), np.array([[1.5, 2.0]]))
    np.testing.assert_allclose(g_p, 0)
    np.testing.assert_allclose(g_x, [[1.0, 0.0]])         # only -d(x, n) acts: -(x - n)/|x - n|


@SETTINGS
@given(triplets(), st.booleans(), st.sampled_from(REDUCTIONS), st.floats(0, 2))
def test_triplet_with_distance_gradients(xs, swap, reduction, margin):
    assume(_off_triplet_kinks(*xs, 2, 0.0, 1e-12, swap, margin))
    loss = nn.TripletMarginWithDistanceLoss(swap=swap, reduction=reduction, margin=margin)
    want = ref_reduce(ref_triplet(*xs, 2, 0.0, 1e-12, swap, margin, together=False), reduction)
    np.testing.assert_allclose(value_of(loss, *xs), want, **F64)
    check_grads(lambda a, b, c: loss(a, b, c), *xs)


@SETTINGS
@given(broadcast_shapes(min_dims=2), st.integers(0, 2**16), st.booleans())
def test_triplet_with_distance_broadcasts_pairwise(shapes, seed, swap):
    """Each distance is taken on its own pair's broadcast shape (not on the three together)."""
    full, (s1, s2, s3) = shapes
    x, pos, neg = _floats(s1, seed), _floats(s2, seed + 1), _floats(s3, seed + 2)
    pairs = [(s1, s2), (s1, s3)] + ([(s2, s3)] if swap else [])
    assume(all(len(np.broadcast_shapes(a, b)) >= 2 for a, b in pairs))
    assume(_off_triplet_kinks(x, pos, neg, 2, 0.0, 1e-12, swap, 1.0, together=False))
    loss = nn.TripletMarginWithDistanceLoss(swap=swap, reduction="sum")
    want = ref_triplet(x, pos, neg, 2, 0.0, 1e-12, swap, 1.0, together=False).sum()
    np.testing.assert_allclose(value_of(loss, x, pos, neg), want, **F64)
    check_grads(lambda a, b, c: loss(a, b, c), x, pos, neg)


def test_triplet_with_distance_pairwise_differs_from_together():
    """x, positive (2, 1) and negative (2, 3): d(x, positive) sums over 1 element, not 3 broadcast copies."""
    x, pos, neg = np.array([[0.0], [1.0]]), np.array([[3.0], [1.5]]), np.ones((2, 3)) * 0.5
    out = value_of(nn.TripletMarginWithDistanceLoss(reduction="none"), x, pos, neg)
    np.testing.assert_allclose(out, ref_triplet(x, pos, neg, floor=1e-12, together=False), **F64)
    np.testing.assert_allclose(out, [3.0 - np.sqrt(0.75) + 1, 0.5 - np.sqrt(0.75) + 1], **F64)


def test_triplet_with_distance_kinks():
    """The 1e-12 floor: zero distance -> gradient 0; a floored distance -> (x - y) / 1e-12; hinge tie: half."""
    x, pos, neg = np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([[1.0, 2.0], [3e-13, 4e-13]]), np.zeros((2, 2))
    loss = nn.TripletMarginWithDistanceLoss(reduction="none", margin=0.0)
    np.testing.assert_allclose(value_of(loss, x, pos, neg), [0.0, 0.0], atol=1e-30)
    g_x, g_p, g_n = grads_of(loss, x, pos, neg)
    # row 0: hinge inactive (1e-12 - sqrt(5) < 0): all 0. row 1: d(x, p) = d(x, n) = 1e-12 floor -> hinge tie (half);
    # d/dp of the floored d(x, p) = -(x - p) / 1e-12 = (0.3, 0.4) -> half of it with the tie
    np.testing.assert_allclose(g_p, [[0, 0], [0.15, 0.2]], rtol=1e-12)
    np.testing.assert_allclose(g_n, [[0, 0], [0, 0]])
    np.testing.assert_allclose(g_x, [[0, 0], [-0.15, -0.2]], rtol=1e-12)


# ----- custom distance (any callable on Tensors) against a float64 reference -----
def l1_distance(a, b):
    return ops.sum(ops.abs(a - b), axis=-1)


def cosine_distance(a, b):
    dot = ops.sum(a * b, axis=-1)
    return 1 - dot / (ops.sqrt(ops.sum(a * a, axis=-1)) * ops.sqrt(ops.sum(b * b, axis=-1)))


REF_DISTANCES = {
    l1_distance: lambda a, b: np.abs(a - b).sum(-1),
    cosine_distance: lambda a, b: 1 - (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)),
}


@SETTINGS
@given(triplets(), st.sampled_from([l1_distance, cosine_distance]), st.booleans(), st.sampled_from(REDUCTIONS),
       st.floats(0, 1))
def test_triplet_with_custom_distance(xs, distance, swap, reduction, margin):
    """A custom callable distance (over the last axis here) against a float64 numpy reference."""
    xs = tuple(a.reshape(a.shape[0], -1) for a in xs)
    ref = REF_DISTANCES[distance]
    d_an, d_pn, d_ap = ref(xs[0], xs[2]), ref(xs[1], xs[2]), ref(xs[0], xs[1])
    d_neg = np.minimum(d_an, d_pn) if swap else d_an
    assume(np.abs(d_ap - d_neg + margin).min() > 1e-3 and (not swap or np.abs(d_an - d_pn).min() > 1e-3))
    if distance is l1_distance:
        assume(min(np.abs(a - b).min() for a, b in ((xs[0], xs[1]), (xs[0], xs[2]), (xs[1], xs[2]))) > 1e-3)
    loss = nn.TripletMarginWithDistanceLoss(distance, swap, reduction, margin)
    want = ref_reduce(ref_triplet(*xs, swap=swap, margin=margin, distance=ref, together=False), reduction)
    np.testing.assert_allclose(value_of(loss, *xs), want, **F64)
    check_grads(lambda a, b, c: loss(a, b, c), *xs)


def test_triplet_with_custom_distance_float32_and_errors():
    x = np.array([[0.3, 0.7], [0.5, 0.5]], np.float32)
    pos, neg = np.array([[0.4, 0.6], [0.4, 0.6]], np.float32), np.array([[0.2, 0.9], [0.3, 0.7]], np.float32)
    out = value_of(nn.TripletMarginWithDistanceLoss(l1_distance, reduction="none"), x, pos, neg)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref_triplet(*f64(x, pos, neg), distance=REF_DISTANCES[l1_distance],
                                                together=False), rtol=1e-6)
    # a custom distance takes inputs the built-in one refuses (1-D, integers): its business
    one_d = [Tensor(np.array(v, np.float32)) for v in ([0.0, 1.0], [0.0, 1.5], [3.0, 1.0])]
    assert nn.TripletMarginWithDistanceLoss(lambda a, b: ops.abs(a - b))(*one_d).shape == ()
    with pytest.raises(TypeError, match="'TripletMarginWithDistanceLoss'.*'distance_function'"):
        nn.TripletMarginWithDistanceLoss(lambda a, b: 1.0)(*one_d)
    with pytest.raises(TypeError, match="'TripletMarginWithDistanceLoss'.*'distance_function'"):
        nn.TripletMarginWithDistanceLoss("euclidean")
    with pytest.raises(ValueError, match="'TripletMarginWithDistanceLoss'.*'distance_function"):
        nn.TripletMarginWithDistanceLoss(lambda a, b: a if b.shape == (2,) else ops.sum(b, axis=0))(
            Tensor(np.ones(2, np.float32)), Tensor(np.ones(2, np.float32)), Tensor(np.ones((3, 3), np.float32)))


# ----- 3. bad input -----
T32 = Tensor(np.ones((2, 3), np.float32))


def _raises(exception, name, arg, fn, *args):
    with pytest.raises(exception) as raised:
        fn(*args)
    message = str(raised.value)
    assert f"'{name}'" in message and f"'{arg}'" in message, message


@pytest.mark.parametrize("reduction", ["avg", "", None, 1, "MEAN"])
@pytest.mark.parametrize("loss", [nn.MarginRankingLoss, nn.HingeEmbeddingLoss, nn.TripletMarginLoss,
                                  nn.TripletMarginWithDistanceLoss])
def test_bad_reduction(loss, reduction):
    _raises(ValueError, loss.__name__, "reduction", lambda: loss(reduction=reduction))


@pytest.mark.parametrize("loss, arg, value, exception", [
    (nn.MarginRankingLoss, "margin", 1, TypeError), (nn.MarginRankingLoss, "margin", True, TypeError),
    (nn.MarginRankingLoss, "margin", "0.5", TypeError), (nn.MarginRankingLoss, "margin", np.float32(0.5), TypeError),
    (nn.MarginRankingLoss, "margin", T32, TypeError), (nn.MarginRankingLoss, "margin", float("nan"), ValueError),
    (nn.MarginRankingLoss, "margin", float("inf"), ValueError),
    (nn.HingeEmbeddingLoss, "margin", False, TypeError), (nn.HingeEmbeddingLoss, "margin", None, TypeError),
    (nn.HingeEmbeddingLoss, "margin", np.int32(1), TypeError), (nn.HingeEmbeddingLoss, "margin", "1", TypeError),
    (nn.HingeEmbeddingLoss, "margin", float("nan"), ValueError),
    (nn.HingeEmbeddingLoss, "margin", -float("inf"), ValueError),
    (nn.TripletMarginWithDistanceLoss, "margin", 1, TypeError),
    (nn.TripletMarginWithDistanceLoss, "margin", float("nan"), ValueError),
    (nn.TripletMarginWithDistanceLoss, "margin", float("inf"), ValueError),
    (nn.TripletMarginWithDistanceLoss, "swap", 1, TypeError),
    (nn.TripletMarginWithDistanceLoss, "swap", "yes", TypeError),
    (nn.TripletMarginLoss, "p", 2.0, TypeError), (nn.TripletMarginLoss, "p", True, TypeError),
    (nn.TripletMarginLoss, "p", "2", TypeError), (nn.TripletMarginLoss, "p", None, TypeError),
    (nn.TripletMarginLoss, "swap", 0, TypeError), (nn.TripletMarginLoss, "eps", 1, TypeError),
    (nn.TripletMarginLoss, "eps", float("nan"), ValueError), (nn.TripletMarginLoss, "eps", float("inf"), ValueError),
    (nn.TripletMarginLoss, "margin", "1", TypeError), (nn.TripletMarginLoss, "margin", float("nan"), ValueError),
    (nn.TripletMarginLoss, "margin", Tensor(np.ones(2, np.float32)), ValueError),
    (nn.TripletMarginLoss, "margin", Tensor(np.array(1, np.int32)), TypeError),
])
def test_bad_hyper_parameters(loss, arg, value, exception):
    """Hyper-parameters are checked by the constructor (D16), NaN/inf refused."""
    _raises(exception, loss.__name__, arg, lambda: loss(**{arg: value}))


def test_negative_and_zero_hyper_parameters_are_accepted():
    x = Tensor(np.array([[0.3, 0.7]], np.float32))
    assert nn.MarginRankingLoss(-1.0)(x, x, x).asnumpy() == 0
    assert nn.HingeEmbeddingLoss(-2)(x, -x).asnumpy() == 0
    assert nn.TripletMarginWithDistanceLoss(margin=-0.5)(x, x, x).asnumpy() == 0
    assert nn.TripletMarginLoss(eps=-1e-6, margin=0.0)(x, x, x).asnumpy() == 0


@pytest.mark.parametrize("bad, arg, exception", [
    ((np.ones(3, np.float32), T32, T32), "input1", TypeError),
    ((T32, [1.0, 2.0], T32), "input2", TypeError),
    ((T32, T32, 1.0), "target", TypeError),
    ((T32, Tensor(np.ones((2, 3))), T32), "input2", TypeError),                 # float64 vs float32
    ((T32, T32, Tensor(np.ones((2, 3), np.int32))), "target", TypeError),
    ((Tensor(np.ones(3, bool)),) * 3, "input1", TypeError),
    ((T32, Tensor(np.ones((2, 4), np.float32)), T32), "input2", ValueError),
    ((T32, T32, Tensor(np.ones((4,), np.float32))), "target", ValueError),
])
def test_margin_ranking_bad_inputs(bad, arg, exception):
    _raises(exception, "MarginRankingLoss", arg, nn.MarginRankingLoss(), *bad)


@pytest.mark.parametrize("bad, arg, exception", [
    ((np.ones(3, np.float32), T32), "logits", TypeError),
    ((T32, 1.0), "labels", TypeError),                                           # D17
    ((1.0, T32), "logits", TypeError),
    ((Tensor(np.ones((2, 3), np.int64)), T32), "logits", TypeError),
    ((T32, Tensor(np.ones((2, 3), np.int32))), "labels", TypeError),
    ((T32, Tensor(np.ones((2, 3), bool))), "labels", TypeError),
    ((T32, Tensor(np.ones((4,), np.float32))), "labels", ValueError),
])
def test_hinge_embedding_bad_inputs(bad, arg, exception):
    _raises(exception, "HingeEmbeddingLoss", arg, nn.HingeEmbeddingLoss(), *bad)


@pytest.mark.parametrize("bad, arg, exception", [
    ((np.ones((2, 3), np.float32), T32, T32), "x", TypeError),
    ((T32, T32, None), "negative", TypeError),
    ((T32, Tensor(np.ones((2, 3), np.float16)), T32), "positive", TypeError),
    ((Tensor(np.ones((2, 3), bool)),) * 3, "x", TypeError),
    ((T32, T32, Tensor(np.ones((2, 4), np.float32))), "negative", ValueError),
    ((Tensor(np.ones(3, np.float32)),) * 3, "x", ValueError),
    ((Tensor(np.array(1.0, np.float32)),) * 3, "x", ValueError),
    ((Tensor(np.ones((1,) * 8, np.float32)),) * 3, "x", ValueError),
])
def test_triplet_margin_bad_inputs(bad, arg, exception):
    _raises(exception, "TripletMarginLoss", arg, nn.TripletMarginLoss(), *bad)


def test_triplet_margin_bad_call_margin():
    loss = nn.TripletMarginLoss()
    for margin, exception in [("1", TypeError), (1, TypeError), (float("nan"), ValueError), (None, None),
                              (Tensor(np.ones((1,), np.float32)), ValueError)]:
        if exception is None:
            assert loss(T32, T32, T32, margin).asnumpy() == 1.0
            continue
        _raises(exception, "TripletMarginLoss", "margin", loss, T32, T32, T32, margin)


@pytest.mark.parametrize("bad, arg, exception", [
    ((np.ones((2, 3), np.float32), T32, T32), "x", TypeError),
    ((T32, T32, [[1.0]]), "negative", TypeError),
    ((T32, Tensor(np.ones((2, 3), np.int32)), T32), "positive", TypeError),
    ((T32, T32, Tensor(np.ones((2, 4), np.float32))), "negative", ValueError),
    ((T32, Tensor(np.ones(3, np.float32)), Tensor(np.ones(3, np.float32))), "positive", None),   # fine: 2-D pairs
    ((Tensor(np.ones(3, np.float32)), Tensor(np.ones(3, np.float32)), T32), "x", ValueError),   # x - positive 1-D
    ((Tensor(np.array(0.0, np.float32)),) * 3, "x", ValueError),
])
def test_triplet_with_distance_bad_inputs(bad, arg, exception):
    loss = nn.TripletMarginWithDistanceLoss()
    if exception is None:
        assert loss(*bad).shape == ()
        return
    _raises(exception, "TripletMarginWithDistanceLoss", arg, loss, *bad)


def test_zero_dim_inputs():
    """0-d inputs work where the maths allows (elementwise losses), and give 0-d 'none' results."""
    a, b, t = (Tensor(np.array(v, np.float32)) for v in (0.5, 1.0, 1.0))
    assert nn.MarginRankingLoss(0.1, "none")(a, b, t).asnumpy() == pytest.approx(0.6)
    assert nn.HingeEmbeddingLoss(reduction="none")(a, Tensor(np.array(-1.0, np.float32))).asnumpy() == 0.5
    assert nn.HingeEmbeddingLoss()(a, t).shape == ()
    # a 0-d input next to 2-D ones broadcasts for TripletMarginLoss
    out = nn.TripletMarginLoss(reduction="none")(a, T32, T32)
    assert out.shape == (2,)


# ----- dtypes and the fast paths (chunked kernels) against the references -----
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtypes_follow_the_inputs(dtype):
    rng = np.random.default_rng(3)
    x1, x2, t = (rng.standard_normal((4, 5)).astype(dtype) for _ in range(3))
    for reduction in REDUCTIONS:
        for loss, args in [(nn.MarginRankingLoss(0.25, reduction), (x1, x2, np.sign(t))),
                           (nn.HingeEmbeddingLoss(1.0, reduction), (x1, np.sign(t))),
                           (nn.TripletMarginLoss(reduction=reduction), (x1, x2, t)),
                           (nn.TripletMarginWithDistanceLoss(reduction=reduction), (x1, x2, t))]:
            out = loss(*[Tensor(a) for a in args])
            assert out.asnumpy().dtype == dtype, (type(loss).__name__, reduction)


def test_int_inputs():
    """All-int MarginRankingLoss / TripletMarginLoss give float32 (the float margin is added in float32)."""
    i = [Tensor(np.array(v, np.int32)) for v in ([1, 2, 3], [3, 2, 1], [1, -1, 1])]
    out = nn.MarginRankingLoss(reduction="none")(*i)
    assert out.asnumpy().dtype == np.float32
    np.testing.assert_array_equal(out.asnumpy(), [2, 0, 0])
    x = [Tensor(np.array(v, np.int32)) for v in ([[0, 0]], [[3, 4]], [[6, 8]])]
    out = nn.TripletMarginLoss(eps=0.0, reduction="none")(*x)
    assert out.asnumpy().dtype == np.float32
    np.testing.assert_array_equal(out.asnumpy(), [0.0])


BIG = 70_000                     # more than one chunk of the fused kernels (64 Ki elements)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_fast_paths_match_references(reduction):
    """Big float32 inputs take the chunked paths ('mean' hands a single number to the backward)."""
    rng = np.random.default_rng(7)
    x1, x2 = rng.standard_normal(BIG).astype(np.float32), rng.standard_normal(BIG).astype(np.float32)
    t = rng.choice(np.array([1, -1], np.float32), BIG)
    x1[:4] = [np.inf, -np.inf, np.nan, 1.0]                          # non-finite chunks take the selection
    x1[-2:], x2[-2:], t[-2:] = [0.25, 0.5], [0.0, 0.0], [1.0, -1.0]  # exact kinks in a finite chunk
    scale = 1 / BIG if reduction == "mean" else 1
    loss = nn.MarginRankingLoss(0.25, reduction)
    out = value_of(loss, x1, x2, t)
    with np.errstate(invalid="ignore"):
        want = ref_margin_ranking(*f64(x1, x2, t), 0.25)
    g1, g2, gt = grads_of(loss, x1, x2, t)
    m = (-t * (x1.astype(np.float64) - x2) + 0.25) >= 0
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(g1, -t * m * scale, rtol=1e-6)
        np.testing.assert_allclose(g2, t * m * scale, rtol=1e-6)
        np.testing.assert_allclose(gt, -(x1.astype(np.float64) - x2) * m * scale, rtol=1e-5)
    if reduction == "none":
        np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-7)
    loss = nn.HingeEmbeddingLoss(0.5, reduction)
    out = value_of(loss, x1, t)
    with np.errstate(invalid="ignore"):
        want = ref_hinge_embedding(*f64(x1, t), 0.5)
    if reduction == "none":
        np.testing.assert_allclose(out, want, rtol=1e-6)
    else:
        assert np.isnan(out)
    g_x, g_t = grads_of(loss, x1, t)
    h = 0.5 - x1.astype(np.float64)
    with np.errstate(invalid="ignore"):
        want_g = np.where(t > 0, 1, -((h > 0) + 0.5 * (h == 0) + np.isnan(h))) * scale
    np.testing.assert_allclose(g_x, want_g, rtol=1e-6)
    assert not g_t.any()
    # finite everywhere: the mean too
    x1[:4] = 0.0
    np.testing.assert_allclose(value_of(nn.HingeEmbeddingLoss(0.5), x1, t),
                               ref_hinge_embedding(*f64(x1, t), 0.5).mean(), rtol=1e-5)
    np.testing.assert_allclose(value_of(nn.MarginRankingLoss(0.25), x1, x2, t),
                               ref_margin_ranking(*f64(x1, x2, t), 0.25).mean(), rtol=1e-5)


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_fast_path_matches_reference(swap):
    rng = np.random.default_rng(11)
    x, pos, neg = (rng.standard_normal((1200, 64)).astype(np.float32) for _ in range(3))
    for loss, kwargs, together in [(nn.TripletMarginLoss(swap=swap), dict(eps=1e-6), True),
                                   (nn.TripletMarginWithDistanceLoss(swap=swap), dict(floor=1e-12), False)]:
        ref = lambda *xs: ref_triplet(*xs, swap=swap, together=together, **kwargs).mean()  # noqa: E731
        np.testing.assert_allclose(value_of(loss, x, pos, neg), ref(*f64(x, pos, neg)), rtol=1e-5)
        grads = grads_of(loss, x, pos, neg)
        want = grads_of(lambda a, b, c: loss(*(ops.cast(t, lossviz.float64) for t in (a, b, c))),
                        *f64(x, pos, neg))
        for got, expected in zip(grads, want):
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-7)


# ----- 4. fused primitives vs the same loss composed from plain ops -----
def composed_margin_ranking(x1, x2, t, margin):
    return ops.maximum(-t * (x1 - x2) + margin, ops.zeros_like(x1 - x2))


def composed_hinge_embedding(x, y, margin):
    zeros = ops.zeros_like(x * y)
    push = ops.maximum(margin - x + zeros, zeros)
    return ops.select(y + zeros > 0, x + zeros, ops.select(y + zeros < 0, push, zeros))


def composed_distance(a, b, p, eps):
    u = ops.abs(a - b + eps)
    return ops.pow(ops.sum(ops.pow(u, float(p)), axis=1), 1.0 / p)


def composed_triplet(x, pos, neg, p, eps, swap, margin):
    d_neg = composed_distance(x, neg, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, composed_distance(pos, neg, p, eps))
    v = composed_distance(x, pos, p, eps) - d_neg + margin
    return ops.maximum(v, ops.zeros_like(v))


def _same(fused, composed, arrays):
    """Values equal (float64, tight) and float64 gradients equal."""
    np.testing.assert_allclose(fused(*map(Tensor, arrays)).asnumpy(), composed(*map(Tensor, arrays)).asnumpy(),
                               **F64)
    for g_fused, g_composed in zip(grads_of(fused, *arrays), grads_of(composed, *arrays)):
        np.testing.assert_allclose(g_fused, g_composed, **F64)


@SETTINGS
@given(broadcast_shapes(), st.integers(0, 2**16), st.floats(-1, 1))
def test_fused_margin_ranking_equals_plain_ops(shapes, seed, margin):
    full, (s1, s2, s3) = shapes
    arrays = _floats(s1, seed), _floats(s2, seed + 1), _floats(s3, seed + 2)
    assume(np.abs(-arrays[2] * (arrays[0] - arrays[1]) + margin).min() > 1e-3)
    _same(lambda a, b, c: fused_embedding.MarginRanking(margin)(a, b, c),
          lambda a, b, c: composed_margin_ranking(a, b, c, margin), arrays)


@SETTINGS
@given(broadcast_shapes(), st.integers(0, 2**16), st.floats(-1, 2))
def test_fused_hinge_embedding_equals_plain_ops(shapes, seed, margin):
    full, (s1, s2, _) = shapes
    x = _floats(s1, seed)
    y = np.random.default_rng(seed).choice([-1.0, 0.0, 1.0, 2.0], s2)
    assume(np.abs(margin - x).min() > 1e-3)
    _same(lambda a, b: fused_embedding.HingeEmbedding(margin)(a, b),
          lambda a, b: composed_hinge_embedding(a, b, margin), (x, y))


@SETTINGS
@given(triplets(), st.sampled_from([1, 2, 3]), st.sampled_from([0.0, 1e-6, 0.3]))
def test_fused_pairwise_distance_equals_plain_ops(xs, p, eps):
    a, b = xs[:2]
    assume(np.abs(a - b + eps).min() > 1e-3)
    _same(lambda u, v: fused_embedding.PairwiseDistance(p, eps)(u, v),
          lambda u, v: composed_distance(u, v, p, eps), (a, b))


@SETTINGS
@given(triplets(), st.sampled_from([1, 2, 3]), st.booleans(), st.sampled_from([0.0, 1e-6, 0.3]), st.floats(0, 2))
def test_fused_triplet_equals_plain_ops(xs, p, swap, eps, margin):
    assume(_off_triplet_kinks(*xs, p, eps, 0.0, swap, margin))
    assume(min(np.abs(a - b + eps).min() for a, b in ((xs[0], xs[1]), (xs[0], xs[2]), (xs[1], xs[2]))) > 1e-3)
    _same(lambda a, b, c: fused_embedding.TripletMargin(p, eps, 0.0, swap, margin)(a, b, c),
          lambda a, b, c: composed_triplet(a, b, c, p, eps, swap, margin), xs)


def test_fused_primitives_are_published():
    for name in ("MarginRanking", "HingeEmbedding", "PairwiseDistance", "TripletMargin"):
        assert getattr(ops, name) is getattr(fused_embedding, name)


# ----- 5. functional forms -----
def test_functional_forms_match_the_classes():
    rng = np.random.default_rng(5)
    a, b, c = (Tensor(rng.standard_normal((3, 4)).astype(np.float32)) for _ in range(3))
    sign = Tensor(np.sign(rng.standard_normal((3, 4))).astype(np.float32))
    for reduction in REDUCTIONS:
        np.testing.assert_array_equal(ops.margin_ranking_loss(a, b, sign, 0.3, reduction).asnumpy(),
                                      nn.MarginRankingLoss(0.3, reduction)(a, b, sign).asnumpy())
        np.testing.assert_array_equal(ops.hinge_embedding_loss(a, sign, 0.7, reduction).asnumpy(),
                                      nn.HingeEmbeddingLoss(0.7, reduction)(a, sign).asnumpy())
        np.testing.assert_array_equal(
            ops.triplet_margin_loss(a, b, c, 0.5, 1, 0.0, True, reduction).asnumpy(),
            nn.TripletMarginLoss(1, True, 0.0, reduction, 0.5)(a, b, c).asnumpy())
    # MindSpore's argument names
    assert ops.hinge_embedding_loss(inputs=a, targets=sign).shape == ()
    assert ops.margin_ranking_loss(input1=a, input2=b, target=sign, margin=0.1).shape == ()
    assert ops.triplet_margin_loss(anchor=a, positive=b, negative=c, margin=0.1, swap=True).shape == ()
    grads = lossviz.grad(lambda x, y: ops.triplet_margin_loss(x, y, c), grad_position=(0, 1))(a, b)
    want = lossviz.grad(lambda x, y: nn.TripletMarginLoss()(x, y, c), grad_position=(0, 1))(a, b)
    for got, expected in zip(grads, want):
        np.testing.assert_array_equal(got.asnumpy(), expected.asnumpy())


@pytest.mark.parametrize("call, name, arg, exception", [
    (lambda: ops.margin_ranking_loss(T32, T32, T32, margin=1), "margin_ranking_loss", "margin", TypeError),
    (lambda: ops.margin_ranking_loss(np.ones(2), T32, T32), "margin_ranking_loss", "input1", TypeError),
    (lambda: ops.margin_ranking_loss(T32, T32, Tensor(np.ones(4, np.float32))), "margin_ranking_loss", "target",
     ValueError),
    (lambda: ops.hinge_embedding_loss(T32, 1.0), "hinge_embedding_loss", "targets", TypeError),
    (lambda: ops.hinge_embedding_loss(Tensor(np.ones(2, np.int32)), T32), "hinge_embedding_loss", "inputs",
     TypeError),
    (lambda: ops.hinge_embedding_loss(T32, T32, reduction="avg"), "hinge_embedding_loss", "reduction", ValueError),
    (lambda: ops.triplet_margin_loss(T32, T32, T32, p=2.0), "triplet_margin_loss", "p", TypeError),
    (lambda: ops.triplet_margin_loss(np.ones((2, 3)), T32, T32), "triplet_margin_loss", "anchor", TypeError),
    (lambda: ops.triplet_margin_loss(T32, T32, T32, margin=Tensor(np.ones(2, np.float32))), "triplet_margin_loss",
     "margin", ValueError),
])
def test_functional_errors_name_the_function(call, name, arg, exception):
    _raises(exception, name, arg, call)
