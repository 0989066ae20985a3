"""CTCLoss (and ops.ctc_loss, and the fused ops.CTCLossV2): golden parity, decisions, gradients, bad input.

* Parity: every CTCLoss case and error case of ../shared/reference/losses_catalogue*.json; the cases
  named in decisions D10, D11, D12, D13, D16 (../shared/spec/catalogue/README.md) assert the decided
  behaviour against an independent float64 reference instead.
* References, float64, written independently of lossviz/ops/ctc.py: a plain loop over samples, frames
  and states (alpha, beta and MindSpore's gradient formula), and, for tiny T, a brute force over every
  alignment.
* Gradients: central differences in float64 through log_softmax (where MindSpore's convention,
  derivative + exp(log_probs), equals the true derivative), and directly w.r.t. log_probs
  (engine = numerical + exp(log_probs) / divisor); the special points (frames past the input length,
  infeasible samples, zero_infinity, zero-length inputs) separately.
"""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import lossviz
import lossviz.nn as nn
import lossviz.ops as ops
from gradcheck import check_grads, numerical_grad
from golden import array, assert_case, build, catalogue, inputs, raise_for, run
from lossviz import Tensor
from lossviz.nn.loss.sequence import CTCLengthError

CASES, ERRORS = catalogue("CTCLoss")
REDUCTIONS = ["mean", "sum", "none"]
FAST = settings(deadline=None, max_examples=10, derandomize=True)


# ----- independent float64 references -----
def _lse(values):
    values = [v for v in values if v != -math.inf]
    if not values:
        return -math.inf
    m = max(values)
    if m == math.inf:
        return math.inf
    return m + math.log(sum(math.exp(v - m) for v in values))


def reference(lp, targets, input_lengths, target_lengths, blank=0):
    """(losses (N,), gradient (T, N, C) of sum(losses) in MindSpore's convention, alphas): loops, float64."""
    lp = np.asarray(lp, np.float64)
    frames, n, classes = lp.shape
    losses, grad, alphas = np.zeros(n), np.zeros(lp.shape), []
    for i in range(n):
        length, steps = int(target_lengths[i]), int(input_lengths[i])
        ext = [blank]
        for k in range(length):
            ext += [int(targets[i][k]), blank]
        width = len(ext)
        alpha = np.full((max(steps, 1), width), -math.inf)
        alphas.append(alpha)
        if steps == 0:
            continue
        beta = np.full((steps, width), -math.inf)
        alpha[0, 0] = lp[0, i, ext[0]]
        if width > 1:
            alpha[0, 1] = lp[0, i, ext[1]]
        for t in range(1, steps):
            for s in range(width):
                terms = [alpha[t - 1, s]] + ([alpha[t - 1, s - 1]] if s >= 1 else [])
                if s >= 2 and ext[s] != ext[s - 2]:
                    terms.append(alpha[t - 1, s - 2])
                alpha[t, s] = lp[t, i, ext[s]] + _lse(terms)
        for s in (width - 1, width - 2):
            if s >= 0:
                beta[steps - 1, s] = lp[steps - 1, i, ext[s]]
        for t in range(steps - 2, -1, -1):
            for s in range(width):
                terms = [beta[t + 1, s]] + ([beta[t + 1, s + 1]] if s + 1 < width else [])
                if s + 2 < width and ext[s + 2] != ext[s]:
                    terms.append(beta[t + 1, s + 2])
                beta[t, s] = lp[t, i, ext[s]] + _lse(terms)
        log_likelihood = _lse([alpha[steps - 1, s] for s in (width - 1, width - 2) if s >= 0])
        losses[i] = -log_likelihood
        with np.errstate(invalid="ignore"):
            for t in range(steps):
                for c in range(classes):
                    both = _lse([alpha[t, s] + beta[t, s] for s in range(width) if ext[s] == c])
                    grad[t, i, c] = math.exp(lp[t, i, c]) - np.exp(both - log_likelihood - lp[t, i, c])
    return losses, grad, alphas


def brute_force(lp, target, steps, blank=0):
    """-ln sum over every path of `steps` frames that collapses to `target` (merge repeats, drop blanks)."""
    total = -math.inf
    for path in itertools.product(range(lp.shape[1]), repeat=steps):
        collapsed = [c for k, c in enumerate(path) if c != blank and (k == 0 or c != path[k - 1])]
        if collapsed == list(target):
            total = _lse([total, sum(lp[t, c] for t, c in enumerate(path))])
    return -total


def reduce_reference(losses, target_lengths, reduction):
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return np.mean(losses / np.maximum(target_lengths, 1))


def random_problem(rng, frames, n, classes, max_target, blank=0, feasible=True):
    """log_probs (T, N, C) float64 (log_softmax of random logits), padded targets and feasible lengths."""
    logits = rng.standard_normal((frames, n, classes)) * 1.5
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    others = [c for c in range(classes) if c != blank]
    targets = rng.choice(others, (n, max_target)).astype(np.int32) if max_target else np.zeros((n, 0), np.int32)
    target_lengths = rng.integers(0, max_target + 1, n)
    input_lengths = np.zeros(n, np.int64)
    for i in range(n):                      # building the test data: needed frames = L + repeats
        label = targets[i, :target_lengths[i]]
        needed = len(label) + int(np.sum(label[1:] == label[:-1]))
        if needed > frames:
            target_lengths[i], needed = 0, 0
        input_lengths[i] = rng.integers(max(needed, 1 if feasible else 0), frames + 1)
    return logits, lp, targets, input_lengths.astype(np.int32), target_lengths.astype(np.int32)


def tensors(targets, input_lengths, target_lengths):
    return Tensor(targets), Tensor(input_lengths), Tensor(target_lengths)


# ----- 1. parity with the golden data -----
def golden(case_id):
    return next(c for c in CASES if c["id"] == case_id)


def _decided_zero_infinity(case):
    """D10: zero_infinity=True gives the impossible sample loss 0 (MindSpore keeps +inf) and gradient 0."""
    args = inputs(case)
    out, grads = run(case)
    none, _, _ = reference(*[a.asnumpy() if isinstance(a, Tensor) else a for a in args])
    none[np.isinf(none)] = 0
    tl = args[3].asnumpy()
    reduction = case["init"]["reduction"]["py"]
    np.testing.assert_allclose(out.asnumpy(), reduce_reference(none, tl, reduction), rtol=1e-5)
    assert np.isfinite(out.asnumpy()).all()
    want = array(case["grads"]["log_probs"])
    got = grads["log_probs"].asnumpy()
    assert (got[:, 0] == 0).all()                                  # the impossible sample
    np.testing.assert_allclose(got[:, 1], want[:, 1], rtol=1e-3, atol=1e-5)   # the other: as MindSpore


def _decided_contains_blank(case):
    """D13: a target label equal to the blank is a ValueError naming the class and 'targets'."""
    with pytest.raises(ValueError, match=r"For 'CTCLoss'.*'targets'.*blank"):
        run(case)


DECIDED = {
    "CTCLoss/infeasible_zero_infinity/none": _decided_zero_infinity,
    "CTCLoss/infeasible_zero_infinity/mean": _decided_zero_infinity,
    "CTCLoss/target_contains_blank/none": _decided_contains_blank,
}
PARITY = [c for c in CASES if c["id"] not in DECIDED]


def test_every_golden_case_is_covered():
    assert len(CASES) == 20 and len(ERRORS) == 20
    assert len(PARITY) + len(DECIDED) == len(CASES) and set(DECIDED) <= {c["id"] for c in CASES}
    assert set(DECIDED_ERRORS) <= {c["id"] for c in ERRORS}


@pytest.mark.parametrize("case", PARITY, ids=[c["id"] for c in PARITY])
def test_golden_case(case):
    assert_case(case)


@pytest.mark.parametrize("case_id", list(DECIDED))
def test_decided_case(case_id):
    DECIDED[case_id](golden(case_id))


def _decided_tuple_mean(case):
    """D12: tuple lengths work with 'mean' too (MindSpore: AttributeError), equal to the Tensor lengths."""
    args = inputs(case)
    out = build(case)(*args)
    lp = args[0].asnumpy()
    losses, _, _ = reference(lp, args[1].asnumpy(), args[2], args[3])
    np.testing.assert_allclose(out.asnumpy(), reduce_reference(losses, np.array(args[3]), "mean"), rtol=1e-6)
    same = nn.CTCLoss()(args[0], args[1], Tensor(np.array(args[2])), Tensor(np.array(args[3])))
    assert out.asnumpy() == same.asnumpy() and out.dtype == lossviz.float32


def _decided_concatenated_targets(case):
    """Concatenated 1-D targets are accepted (MindSpore's docs allow them; 2.10 refuses them, as the
    catalogue notes: classification.md, 'CTCLoss batched 1-D concatenated targets'): the same numbers
    as the padded (N, S) targets."""
    log_probs, targets, input_lengths, target_lengths = inputs(case)
    lengths = target_lengths.asnumpy()
    flat = targets.asnumpy()
    padded = np.zeros((len(lengths), lengths.max()), flat.dtype)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for i, (start, length) in enumerate(zip(starts, lengths)):
        padded[i, :length] = flat[start:start + length]
    for reduction in ("none", "mean", "sum"):
        loss = nn.CTCLoss(reduction=reduction)
        got = loss(log_probs, targets, input_lengths, target_lengths)
        want = loss(log_probs, Tensor(padded), input_lengths, target_lengths)
        np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())
    with pytest.raises(ValueError, match=r"For 'CTCLoss', 1-D \(concatenated\) 'targets' must hold sum"):
        nn.CTCLoss()(log_probs, Tensor(flat[:-1]), input_lengths, target_lengths)


EXCEPTIONS = {"ValueError": ValueError, "TypeError": TypeError, "RuntimeError": RuntimeError}
DECIDED_ERRORS = {
    "CTCLoss/batched_1d_targets": _decided_concatenated_targets,   # the docs' concatenated targets
    "CTCLoss/tuple_lengths_mean": _decided_tuple_mean,          # D12
    "CTCLoss/target_class_equals_C": ValueError,                # D13
    "CTCLoss/bad_reduction": "init",                            # D16: ValueError in the constructor
}


@pytest.mark.parametrize("case", ERRORS, ids=[c["id"] for c in ERRORS])
def test_error_case(case):
    decided = DECIDED_ERRORS.get(case["id"])
    if callable(decided) and not isinstance(decided, type):
        decided(case)
        return
    if decided == "init":   # D16: refused when the loss is built, before any call
        with pytest.raises(ValueError, match=r"For 'CTCLoss', the 'reduction'"):
            build(case)
        return
    expected = decided or EXCEPTIONS[case["expect"]]
    with pytest.raises(expected) as info:
        raise_for(case)
    message = str(info.value)
    assert "'CTCLoss'" in message, message
    names = [name for name, _ in case["inputs"]] + list(case["init"])
    assert any(f"'{name}'" in message for name in names), message
    if expected is RuntimeError:       # a kernel check in MindSpore: a ValueError (a wrong length) here too
        assert isinstance(info.value, ValueError) and isinstance(info.value, CTCLengthError)


def test_d13_target_ids_out_of_range():
    """D13: target ids >= C or < 0 (within target_lengths) are a ValueError; padding is never read."""
    lp = Tensor(np.log(np.full((4, 1, 3), 1 / 3)))
    for bad in (3, -1, 99):
        with pytest.raises(ValueError, match=rf"For 'CTCLoss', every target label in 'targets' must be in \[0, C\) "
                                             rf"= \[0, 3\), but got {bad}"):
            nn.CTCLoss()(lp, Tensor(np.array([[1, bad]])), (4,), (2,))
    nn.CTCLoss()(lp, Tensor(np.array([[1, 99]])), (4,), (1,))      # 99 is padding: fine


def test_d11_zero_input_length_gives_zero():
    """D11: input_length 0 (and so target length 0): loss 0, gradient 0; the other samples unchanged."""
    rng = np.random.default_rng(3)
    _, lp, targets, il, tl = random_problem(rng, 5, 3, 4, 2)
    il[1], tl[1] = 0, 0
    want, want_grad, _ = reference(lp, targets, il, tl)
    for reduction in REDUCTIONS:
        loss = nn.CTCLoss(reduction=reduction)
        out, grad = lossviz.value_and_grad(lambda x: loss(x, *tensors(targets, il, tl)))(Tensor(lp))
        np.testing.assert_allclose(out.asnumpy(), reduce_reference(want, tl, reduction), rtol=1e-6)
        assert (grad.asnumpy()[:, 1] == 0).all()
    out = nn.CTCLoss(reduction="none")(Tensor(lp[:0]), Tensor(np.zeros((3, 0), np.int32)), (0, 0, 0), (0, 0, 0))
    assert out.asnumpy().tolist() == [0.0, 0.0, 0.0]                 # T = 0: no frames at all


def test_d16_hyper_parameters_checked_in_the_constructor():
    """D16: reduction, blank and zero_infinity are refused when the loss is built (MindSpore: at the call)."""
    for kwargs, error, word in [(dict(reduction="avg"), ValueError, "reduction"),
                                (dict(reduction=None), ValueError, "reduction"),
                                (dict(blank=0.0), TypeError, "blank"), (dict(blank=True), TypeError, "blank"),
                                (dict(blank="0"), TypeError, "blank"), (dict(blank=-1), ValueError, "blank"),
                                (dict(zero_infinity=1), TypeError, "zero_infinity"),
                                (dict(zero_infinity=None), TypeError, "zero_infinity")]:
        with pytest.raises(error, match=rf"For 'CTCLoss', the .*'{word}'"):
            nn.CTCLoss(**kwargs)


# ----- 2. the references agree with each other, and lossviz with them -----
@FAST
@given(frames=st.integers(1, 5), classes=st.integers(2, 3), max_target=st.integers(0, 3), seed=st.integers(0, 2**31))
def test_brute_force_over_all_alignments(frames, classes, max_target, seed):
    rng = np.random.default_rng(seed)
    _, lp, targets, il, tl = random_problem(rng, frames, 2, classes, max_target, feasible=False)
    out = nn.CTCLoss(reduction="none")(Tensor(lp), *tensors(targets, il, tl)).asnumpy()
    ref, _, _ = reference(lp, targets, il, tl)
    for i in range(2):
        want = brute_force(lp[:, i], targets[i, :tl[i]], il[i]) if il[i] else 0.0
        np.testing.assert_allclose([out[i], ref[i]], [want, want], rtol=1e-12, atol=1e-12)


def test_brute_force_repeats_blank_in_the_middle_and_infeasible():
    rng = np.random.default_rng(7)
    lp = np.log(rng.dirichlet(np.ones(4), (5, 1)))
    for blank, target, steps in [(0, [2, 2], 3), (2, [1, 1, 0], 5), (3, [1, 1, 1], 4), (1, [], 5), (0, [3], 1)]:
        targets = Tensor(np.array([target or [0]], np.int64))
        out = nn.CTCLoss(blank=blank, reduction="none")(Tensor(lp), targets, (steps,), (len(target),)).asnumpy()
        np.testing.assert_allclose(out, [brute_force(lp[:, 0], target, steps, blank)], rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_the_loop_reference(reduction, dtype):
    rng = np.random.default_rng(11)
    _, lp, targets, il, tl = random_problem(rng, 9, 4, 6, 4, blank=2)
    loss = nn.CTCLoss(blank=2, reduction=reduction)
    out, grad = lossviz.value_and_grad(lambda x: loss(x, *tensors(targets, il, tl)))(Tensor(lp.astype(dtype)))
    want, want_grad, _ = reference(lp.astype(dtype), targets, il, tl, blank=2)
    scale = 1 / (len(il) * np.maximum(tl, 1)) if reduction == "mean" else np.ones(len(il))
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 or reduction == "mean" else dict(rtol=1e-12)
    assert out.dtype == getattr(lossviz, np.dtype(dtype).name)
    np.testing.assert_allclose(out.asnumpy(), reduce_reference(want, tl, reduction), **tolerance)
    np.testing.assert_allclose(grad.asnumpy(), want_grad * scale[None, :, None],
                               **(dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 or reduction == "mean"
                                  else dict(rtol=1e-10, atol=1e-14)))


def test_large_negative_log_probs_stay_finite():
    """Log space: -200 per frame over 50 frames is a likelihood of e^-10000, still a finite loss."""
    lp = np.full((50, 1, 3), -200.0)
    for dtype in (np.float32, np.float64):
        out = nn.CTCLoss(reduction="none")(Tensor(lp.astype(dtype)), Tensor(np.array([[1, 2]])), (50,), (2,))
        # every alignment has probability e^-10000: the loss is 10000 - ln(number of alignments)
        assert np.isfinite(out.asnumpy()).all()
        np.testing.assert_allclose(out.asnumpy()[0], 10000 - math.log(count_alignments(50, 2)), rtol=1e-6)


def count_alignments(steps, length):
    """The number of alignments of a target of `length` distinct labels in `steps` frames (blank-separated)."""
    ways = [1, 1] + [0] * (2 * length - 1)       # a counting DP over the 2L + 1 states
    for _ in range(steps - 1):
        ways = [ways[s] + (ways[s - 1] if s else 0) + (ways[s - 2] if s >= 2 and s % 2 else 0)
                for s in range(2 * length + 1)]
    return ways[-1] + ways[-2]


# ----- 3. gradients -----
problems = st.tuples(st.integers(1, 6), st.integers(1, 3), st.integers(2, 5), st.integers(0, 3), st.integers(0, 2**31))


@pytest.mark.parametrize("reduction", ["sum", "none"])
@FAST
@given(problem=problems)
def test_gradient_through_log_softmax(reduction, problem):
    """d/dlogits of CTC(log_softmax(logits)) by central differences: there the convention is the derivative."""
    frames, n, classes, max_target, seed = problem
    logits, _, targets, il, tl = random_problem(np.random.default_rng(seed), frames, n, classes, max_target)
    loss, log_softmax = nn.CTCLoss(reduction=reduction), ops.LogSoftmax(-1)
    check_grads(lambda x: loss(log_softmax(x), *tensors(targets, il, tl)), logits)


@FAST
@given(problem=problems)
def test_gradient_through_log_softmax_mean(problem):
    """'mean' goes through float32 (as MindSpore), so its central differences use a wider step."""
    frames, n, classes, max_target, seed = problem
    logits, _, targets, il, tl = random_problem(np.random.default_rng(seed), frames, n, classes, max_target)
    loss, log_softmax = nn.CTCLoss(), ops.LogSoftmax(-1)
    check_grads(lambda x: loss(log_softmax(x), *tensors(targets, il, tl)), logits, eps=1e-3, rtol=2e-3, atol=5e-4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(problem=problems)
def test_gradient_wrt_log_probs_is_derivative_plus_exp(reduction, problem):
    """MindSpore's convention w.r.t. log_probs: the central-difference derivative + exp(log_probs) / divisor_n
    on frames t < input_lengths[n], exactly 0 beyond; divisor_n = N max(L_n, 1) for 'mean', else 1."""
    frames, n, classes, max_target, seed = problem
    _, lp, targets, il, tl = random_problem(np.random.default_rng(seed), frames, n, classes, max_target)
    lp = lp + np.random.default_rng(seed).uniform(-0.5, 0.5, lp.shape)   # not normalised: any values work
    loss = nn.CTCLoss(reduction=reduction)
    grad = lossviz.grad(lambda x: loss(x, *tensors(targets, il, tl)))(Tensor(lp)).asnumpy()
    # the derivative of the float64 loss: 'mean' as the float64 formula (lossviz rounds it through float32)
    per_sample = nn.CTCLoss(reduction="none")

    def f(x):
        return reduce_reference(per_sample(Tensor(x), *tensors(targets, il, tl)).asnumpy(), tl, reduction)

    scale = 1 / (n * np.maximum(tl, 1)) if reduction == "mean" else np.ones(n)
    live = np.arange(frames)[:, None] < il[None, :]
    want = numerical_grad(f, [lp])[0] + np.exp(lp) * scale[None, :, None] * live[:, :, None]
    np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-7)
    assert (grad[~live] == 0).all()


def test_gradient_at_the_special_points():
    """The spec's values where the derivative is not a plain number: frames past input_lengths get exactly 0;
    an infeasible sample gets nan on its frames t < T_n and 0 beyond (zero_infinity: 0 everywhere); the
    feasible samples beside it keep finite gradients, even under 'mean' (whose value is then inf)."""
    rng = np.random.default_rng(5)
    lp = np.log(rng.dirichlet(np.ones(4), (6, 2)))
    targets, il, tl = np.array([[1, 1, 1], [2, 3, 0]]), np.array([4, 5]), np.array([3, 2])
    for reduction in REDUCTIONS:
        loss = nn.CTCLoss(reduction=reduction)
        out, grad = lossviz.value_and_grad(lambda x: loss(x, *tensors(targets, il, tl)))(Tensor(lp))
        grad = grad.asnumpy()
        assert np.isinf(out.asnumpy()).any()
        assert np.isnan(grad[:4, 0]).all() and (grad[4:, 0] == 0).all()
        assert np.isfinite(grad[:5, 1]).all() and (grad[5:, 1] == 0).all()
        loss = nn.CTCLoss(reduction=reduction, zero_infinity=True)
        out, grad = lossviz.value_and_grad(lambda x: loss(x, *tensors(targets, il, tl)))(Tensor(lp))
        assert np.isfinite(out.asnumpy()).all() and (grad.asnumpy()[:, 0] == 0).all()


# ----- 4. the fused primitive against the same loss composed from plain ops -----
def composed_ctc(lp, targets, input_lengths, target_lengths, blank):
    """The alpha recursion written with Tensor ops (GetItem, Exp, Log, +): one scalar Tensor per sample."""
    losses = []
    for i in range(lp.shape[1]):
        ext = [blank]
        for k in range(int(target_lengths[i])):
            ext += [int(targets[i][k]), blank]
        row = lp[:, i, :]
        alpha = {0: row[0, ext[0]], 1: row[0, ext[1]]} if len(ext) > 1 else {0: row[0, ext[0]]}

        def lse(terms):
            m = max(float(t.asnumpy()) for t in terms)
            return ops.log(sum(ops.exp(t - m) for t in terms)) + m

        for t in range(1, int(input_lengths[i])):
            previous, alpha = alpha, {}
            for s in range(len(ext)):        # the states reachable at t (the others are -inf: left out)
                terms = [previous[k] for k in (s, s - 1) if k in previous]
                if s - 2 in previous and ext[s] != ext[s - 2]:
                    terms.append(previous[s - 2])
                if terms:
                    alpha[s] = row[t, ext[s]] + lse(terms)
        losses.append(-lse([alpha[s] for s in (len(ext) - 1, len(ext) - 2) if s in alpha]))
    return losses


def test_fused_primitive_equals_composed_ops():
    rng = np.random.default_rng(2)
    _, lp, targets, il, tl = random_problem(rng, 5, 3, 4, 2, blank=1)
    targets[0, :2], tl[0], il[0] = [2, 2], 2, 5                          # a repeat: the skip is masked
    weights = rng.uniform(0.5, 2, 3)
    fused = ops.CTCLossV2(blank=1)

    def fused_sum(x):
        return (fused(x, *tensors(targets, il, tl)) * Tensor(weights)).sum()

    def composed_sum(x):
        return sum(loss * float(w) for loss, w in zip(composed_ctc(x, targets, il, tl, 1), weights))

    value, grad = lossviz.value_and_grad(fused_sum)(Tensor(lp))
    value2, grad2 = lossviz.value_and_grad(composed_sum)(Tensor(lp))
    np.testing.assert_allclose(value.asnumpy(), value2.asnumpy(), rtol=1e-13)
    np.testing.assert_allclose(fused(Tensor(lp), *tensors(targets, il, tl)).asnumpy(),
                               [c.asnumpy() for c in composed_ctc(Tensor(lp), targets, il, tl, 1)], rtol=1e-13)
    live = (np.arange(5)[:, None] < il[None, :])[:, :, None]
    np.testing.assert_allclose(grad.asnumpy(), grad2.asnumpy() + np.exp(lp) * weights[None, :, None] * live,
                               rtol=1e-11, atol=1e-13)


def test_fused_primitive_accepts_tuples_and_arrays_and_collects_log_alpha():
    rng = np.random.default_rng(4)
    _, lp, targets, il, tl = random_problem(rng, 6, 2, 3, 2)
    collected = []
    out = ops.CTCLossV2()(Tensor(lp), targets, tuple(il.tolist()), tl, log_alpha=collected)
    want, _, alphas = reference(lp, targets, il, tl)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-12)
    assert collected[0].shape == (2, 6, 2 * targets.shape[1] + 1)
    for i, alpha in enumerate(alphas):
        np.testing.assert_allclose(collected[0][i, :il[i], :2 * tl[i] + 1], alpha, rtol=1e-12)


# ----- 5. shapes, dtypes, unbatched input, the functional form -----
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_unbatched_equals_batch_of_one(reduction):
    rng = np.random.default_rng(8)
    _, lp, targets, il, tl = random_problem(rng, 6, 1, 4, 3)
    loss = nn.CTCLoss(reduction=reduction)
    batched, grad_b = lossviz.value_and_grad(lambda x: loss(x, *tensors(targets, il, tl)))(Tensor(lp))
    for t, lengths in [(targets[0], (il, tl)), (targets, (il, tl)), (targets[0], (il[0], tl[0]))]:
        one, grad_1 = lossviz.value_and_grad(lambda x: loss(x, Tensor(t), *map(Tensor, lengths)))(Tensor(lp[:, 0]))
        assert one.shape == () and grad_1.shape == (6, 4)
        np.testing.assert_allclose(one.asnumpy(), batched.asnumpy().reshape(()), rtol=1e-12)
        np.testing.assert_allclose(grad_1.asnumpy(), grad_b.asnumpy()[:, 0], rtol=1e-12)


def test_mean_goes_through_float32_and_mixed_length_dtypes():
    rng = np.random.default_rng(9)
    _, lp, targets, il, tl = random_problem(rng, 7, 3, 5, 3)
    out = nn.CTCLoss()(Tensor(lp), Tensor(targets.astype(np.int64)), Tensor(il), Tensor(tl.astype(np.int64)))
    losses, _, _ = reference(lp, targets, il, tl)
    want = np.mean(losses.astype(np.float32) / np.maximum(tl, 1).astype(np.float32), dtype=np.float32)
    assert out.dtype == lossviz.float64 and out.asnumpy() == np.float64(want)


def test_empty_batch():
    lp = Tensor(np.zeros((3, 0, 4)))
    empty = Tensor(np.zeros((0, 2), np.int32)), Tensor(np.zeros(0, np.int32)), Tensor(np.zeros(0, np.int32))
    assert nn.CTCLoss(reduction="none")(lp, *empty).shape == (0,)
    assert nn.CTCLoss(reduction="sum")(lp, *empty).asnumpy() == 0


def test_functional_form():
    rng = np.random.default_rng(10)
    _, lp, targets, il, tl = random_problem(rng, 6, 3, 4, 3)
    for reduction in REDUCTIONS:
        loss, log_alpha = ops.ctc_loss(Tensor(lp), *tensors(targets, il, tl), blank=0, reduction=reduction)
        same = nn.CTCLoss(reduction=reduction)(Tensor(lp), *tensors(targets, il, tl))
        np.testing.assert_array_equal(loss.asnumpy(), same.asnumpy())
    _, _, alphas = reference(lp, targets, il, tl)
    assert log_alpha.shape == (3, 6, 7)
    for i, alpha in enumerate(alphas):                 # the reference alpha, -inf past each sample's frames/states
        want = np.full((6, 7), -np.inf)
        want[:alpha.shape[0], :alpha.shape[1]] = alpha if il[i] else -np.inf
        np.testing.assert_allclose(log_alpha.asnumpy()[i], want, rtol=1e-12)
    grad = lossviz.grad(lambda x: ops.ctc_loss(x, *tensors(targets, il, tl), zero_infinity=True)[0])(Tensor(lp))
    want = lossviz.grad(lambda x: nn.CTCLoss(zero_infinity=True)(x, *tensors(targets, il, tl)))(Tensor(lp))
    np.testing.assert_array_equal(grad.asnumpy(), want.asnumpy())
    with pytest.raises(TypeError, match=r"For 'ctc_loss', the 'log_probs' must be a Tensor"):
        ops.ctc_loss(lp, *tensors(targets, il, tl))
    with pytest.raises(ValueError, match=r"For 'ctc_loss', the 'reduction'"):
        ops.ctc_loss(Tensor(lp), *tensors(targets, il, tl), reduction="avg")
    with pytest.raises(RuntimeError, match=r"For 'ctc_loss', every value of 'input_lengths'"):
        ops.ctc_loss(Tensor(lp), Tensor(targets), Tensor(il + 7), Tensor(tl))


# ----- 6. bad input: TypeError / ValueError naming the class and the argument -----
LP = np.log(np.full((5, 2, 3), 1 / 3, np.float32))
GOOD = dict(log_probs=Tensor(LP), targets=Tensor(np.array([[1, 2], [2, 0]], np.int32)),
            input_lengths=Tensor(np.array([5, 4], np.int32)), target_lengths=Tensor(np.array([2, 1], np.int32)))
BAD = [
    ("log_probs", LP, TypeError, "must be a Tensor"),
    ("log_probs", Tensor(LP.astype(np.float16)), TypeError, "float32, float64"),
    ("log_probs", Tensor(np.zeros((5, 2, 3), np.int32)), TypeError, "float32, float64"),
    ("log_probs", Tensor(LP[None]), ValueError, "3-D"),
    ("log_probs", Tensor(LP[:, 0, 0]), ValueError, "3-D"),
    ("log_probs", Tensor(np.float32(0.5)), ValueError, "3-D"),
    ("targets", [[1, 2], [2, 0]], TypeError, "must be a Tensor"),
    ("targets", Tensor(np.array([[1., 2.], [2., 0.]], np.float32)), TypeError, "int32, int64"),
    ("targets", Tensor(np.array([1, 2, 2, 1], np.int32)), ValueError, "must hold sum"),
    ("targets", Tensor(np.array([[1, 2]], np.int32)), ValueError, "one row per sample"),
    ("targets", Tensor(np.array([[1, 3], [2, 0]], np.int32)), ValueError, r"in \[0, C\)"),
    ("targets", Tensor(np.array([[1, 0], [2, 0]], np.int32)), ValueError, "blank"),
    ("input_lengths", [5, 4], TypeError, "tuple of ints"),
    ("input_lengths", np.array([5, 4]), TypeError, "tuple of ints"),
    ("input_lengths", (5.0, 4), TypeError, "must be an int"),
    ("input_lengths", (True, 4), TypeError, "must be an int"),
    ("input_lengths", Tensor(np.array([5., 4.], np.float32)), TypeError, "int32, int64"),
    ("input_lengths", Tensor(np.array([[5, 4]], np.int32)), ValueError, r"shape \(2,\)"),
    ("input_lengths", Tensor(np.array(5, np.int32)), ValueError, r"shape \(2,\)"),
    ("input_lengths", (5,), ValueError, r"shape \(2,\)"),
    ("input_lengths", (6, 4), RuntimeError, r"in \[0, T\]"),
    ("input_lengths", (-1, 4), RuntimeError, r"in \[0, T\]"),
    ("target_lengths", (3, 1), RuntimeError, r"in \[0, S\]"),
    ("target_lengths", (-1, 1), RuntimeError, r"in \[0, S\]"),
    ("target_lengths", Tensor(np.array([2.5, 1])), TypeError, "int32, int64"),
]


@pytest.mark.parametrize("arg, bad, error, words", BAD, ids=[f"{a}-{w}-{i}" for i, (a, _, _, w) in enumerate(BAD)])
def test_bad_input(arg, bad, error, words):
    args = dict(GOOD, **{arg: bad})
    with pytest.raises(error, match=rf"For 'CTCLoss'.*'{arg}'.*{words}|For 'CTCLoss'.*{words}.*'{arg}'"):
        nn.CTCLoss()(*args.values())


def test_bad_input_more():
    loss = nn.CTCLoss()
    with pytest.raises(CTCLengthError, match=r"'target_lengths' must be <= its 'input_lengths'"):
        loss(GOOD["log_probs"], GOOD["targets"], (1, 4), (2, 1))
    with pytest.raises(ValueError, match=r"For 'CTCLoss', the 'blank' must be in \[0, C\) = \[0, 3\), but got 3"):
        nn.CTCLoss(blank=3)(*GOOD.values())
    unbatched = Tensor(LP[:, 0])
    with pytest.raises(ValueError, match=r"when 'log_probs' is \(T, C\), the 'targets' must be \(S,\) or \(1, S\)"):
        loss(unbatched, Tensor(np.ones((2, 2, 2), np.int32)), (5,), (2,))
    with pytest.raises(ValueError, match=r"the 'input_lengths' must have the shape \(1,\)"):
        loss(unbatched, Tensor(np.array([1, 2])), (5, 5), (2,))
    assert loss(unbatched, Tensor(np.array([1, 2])), Tensor(np.array(5)), Tensor(np.array(2))).shape == ()
    with pytest.raises(TypeError, match=r"For 'CTCLoss', the 'input_lengths'"):
        loss(unbatched, Tensor(np.array([1, 2])), 5, (2,))
