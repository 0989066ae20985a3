"""Float64 central-difference gradient checks of every loss, reduction and differentiable input.

Random shapes come from hypothesis; inputs are kept away from kinks (|d| = 0,
|d| = beta, cos = margin) where a numerical derivative is meaningless.
MindSpore's gradients that are not true derivatives (dense cross-entropy:
d/dlogits = softmax - labels for any labels and d/dlabels = 0; BCE's labels
gradient without the epsilon) are checked where they coincide with the true
derivative (normalised labels), and their quirky formulas are checked
separately against numpy below (and against the golden data in the parity test).
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import lossviz
import lossviz.nn as nn
from gradcheck import check_grads
from lossviz import Tensor
from lossviz.nn import LossBase
from lossviz.nn.loss import functional as LF

REDUCTIONS = ["mean", "sum", "none"]
FAST = settings(deadline=None, max_examples=8, derandomize=True)

dims = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)


def away_from(rng, shape, low=0.1, high=1.5):
    """Values with |v| in [low, high] and a random sign: differences that stay off the |.| kink."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=dims, m=dims, broadcast=st.booleans(), seed=seeds)
def test_l1_and_mse(reduction, n, m, broadcast, seed):
    rng = np.random.default_rng(seed)
    labels = rng.standard_normal((n, m))
    logits = (labels if not broadcast else labels[:1]) + away_from(rng, (1 if broadcast else n, m))
    if broadcast:  # (1, m) against (n, m): keep every difference off the kink
        labels = logits - away_from(rng, (n, m))
    for cls in (nn.L1Loss, nn.MSELoss):
        loss = cls(reduction)
        check_grads(lambda a, b: loss(a, b), logits, labels)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=dims, m=dims, beta=st.floats(0.3, 2.0), seed=seeds)
def test_smooth_l1(reduction, n, m, beta, seed):
    rng = np.random.default_rng(seed)
    labels = rng.standard_normal((n, m))
    size = rng.uniform(0.05, 3.0, (n, m))
    size = np.where(np.abs(size - beta) < 0.05, beta + 0.1, size)  # off the |d| = beta seam
    logits = labels + size * rng.choice([-1.0, 1.0], (n, m))
    loss = nn.SmoothL1Loss(beta=beta, reduction=reduction)
    check_grads(lambda a, b: loss(a, b), logits, labels)


def _ce64(sparse, reduction, labels):
    """The class's own primitive and get_loss, in float64 (the class itself refuses float64 like MindSpore)."""
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=sparse, reduction=reduction)
    op = loss.sparse_softmax_cross_entropy if sparse else loss.softmax_cross_entropy
    return lambda logits: loss.get_loss(op(logits, Tensor(labels)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=dims, c=st.integers(2, 5), soft=st.booleans(), seed=seeds)
def test_softmax_cross_entropy(reduction, n, c, soft, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c)) * 3
    classes = rng.integers(0, c, n)
    dense = rng.dirichlet(np.ones(c), n) if soft else np.eye(c)[classes]  # rows sum to 1
    check_grads(_ce64(False, reduction, dense), logits)
    check_grads(_ce64(True, reduction, classes.astype(np.int64)), logits)


def test_dense_cross_entropy_gradient_formula_as_mindspore():
    """d/dlogits = softmax - labels even for labels that don't sum to 1; d/dlabels = 0."""
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((3, 4)).astype(np.float32)
    labels = rng.uniform(0, 2, (3, 4)).astype(np.float32)
    loss = nn.SoftmaxCrossEntropyWithLogits()
    g_logits, g_labels = lossviz.grad(loss, (0, 1))(Tensor(logits), Tensor(labels))
    softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(g_logits.asnumpy(), softmax - labels, rtol=1e-5, atol=1e-6)
    assert not g_labels.asnumpy().any()


def test_bce_labels_gradient_has_no_epsilon():
    p = np.array([0.0, 1.0, 1e-30, 0.25], np.float32)
    y = np.array([1.0, 0.0, 1.0, 0.5], np.float32)
    g = lossviz.grad(nn.BCELoss(), 1)(Tensor(p), Tensor(y)).asnumpy()
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(g, np.log1p(-p.astype(np.float64)) - np.log(p.astype(np.float64)), rtol=1e-6)
    assert g[0] == np.inf and g[1] == -np.inf


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=dims, m=dims, weighted=st.booleans(), seed=seeds)
def test_bce(reduction, n, m, weighted, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, (n, m))
    y = rng.uniform(0, 1, (n, m))
    w = rng.uniform(0.1, 2.0, (1, m) if weighted else (n, m))
    loss = nn.BCELoss(reduction=reduction)
    check_grads(lambda a, b: loss(a, b), p, y)
    # the weight is differentiable too (through get_loss), here via the functional form
    check_grads(lambda a, b, c: LF.binary_cross_entropy(a, b, c, reduction), p, y, w)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=dims, d=st.integers(2, 4), m=st.sampled_from([None, 2]), margin=st.floats(-0.9, 0.9), seed=seeds)
def test_cosine_embedding(reduction, n, d, m, margin, seed):
    rng = np.random.default_rng(seed)
    shape = (n, d) if m is None else (n, d, m)
    x1, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
    labels = rng.choice([1, -1, 0], shape[:1] + shape[2:]).astype(np.int32)
    cos = (x1 * x2).sum(1) / np.sqrt((x1 * x1).sum(1) * (x2 * x2).sum(1))
    margin = float(margin)
    if np.any(np.abs(cos - margin) < 1e-3):  # off the hinge's kink
        margin = float(np.clip(margin + 2e-2, -1, 1))
    loss = nn.CosineEmbeddingLoss(margin=margin, reduction=reduction)
    check_grads(lambda a, b: loss(a, b, Tensor(labels)), x1, x2)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("remove_accidental_hits", [True, False])
@FAST
@given(n=st.integers(1, 3), num_true=st.integers(1, 2), k=st.integers(1, 4), seed=seeds)
def test_sampled_softmax(reduction, remove_accidental_hits, n, num_true, k, seed):
    rng = np.random.default_rng(seed)
    classes, dim = 8, 3
    weights, biases, hidden = (rng.standard_normal((classes, dim)), rng.standard_normal(classes),
                               rng.standard_normal((n, dim)))
    labels = np.stack([rng.choice(classes, num_true, replace=False) for _ in range(n)]).astype(np.int32)
    sampled = Tensor(rng.choice(classes, k, replace=False).astype(np.int32))  # may hit a label: masked or not
    tec, sec = Tensor(rng.uniform(0.1, 0.9, (n, num_true))), Tensor(rng.uniform(0.1, 0.9, k))
    loss = nn.SampledSoftmaxLoss(k, classes, num_true, (sampled, tec, sec), remove_accidental_hits,
                                 reduction=reduction)
    check_grads(lambda w, b, h: loss(w, b, Tensor(labels), h), weights, biases, hidden)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=dims, m=dims, weight_shape=st.sampled_from(["scalar", "one", "row", "col", "full", "number"]), seed=seeds)
def test_get_loss(reduction, n, m, weight_shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, m))
    shapes = {"scalar": (), "one": (1,), "row": (m,), "col": (n, 1), "full": (n, m)}

    class Loss(LossBase):
        def construct(self, x, *weights):
            return self.get_loss(x, *weights)

    loss = Loss(reduction)
    if weight_shape == "number":
        check_grads(lambda a: loss(a, 0.75), x)
    else:
        check_grads(lambda a, w: loss(a, w), x, rng.uniform(0.1, 2.0, shapes[weight_shape]))


def test_strided_inputs_give_the_same_numbers():
    """Transposed (non-contiguous) inputs: the fused primitives' flat loops must not lose their writes."""
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0.05, 0.95, (2, 5, 3)), rng.uniform(0, 1, (2, 5, 3))
    strided = [Tensor(np.asfortranarray(a)) for a in (x, y)], [Tensor(a.transpose(2, 1, 0).copy().transpose(2, 1, 0))
                                                               for a in (x, y)]
    for loss in (nn.L1Loss("none"), nn.MSELoss("none"), nn.SmoothL1Loss(0.3), nn.BCELoss()):
        want, want_grads = lossviz.value_and_grad(loss, (0, 1))(Tensor(x), Tensor(y))
        for a, b in strided:
            assert not a.asnumpy().flags.c_contiguous
            got, got_grads = lossviz.value_and_grad(loss, (0, 1))(a, b)
            np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-12)
            for g, w in zip(got_grads, want_grads):
                np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-12)


def test_gradients_returned_to_the_user_are_real_arrays():
    """get_loss may hand a fused loss a broadcast view of its gradient, never the user."""
    x, y = Tensor(np.array([1.0, -2.0, 3.0])), Tensor(np.array([0.0, 0.0, 0.0]))
    for reduction in ("mean", "sum"):
        for fn in (lambda a, b: LossBase(reduction).get_loss(a), lambda a, b: nn.L1Loss(reduction)(a, b),
                   lambda a, b: nn.BCELoss(reduction=reduction)(a / 8 + 0.5, b)):
            for g in lossviz.grad(fn, (0, 1))(x, y):
                g = g.asnumpy()
                assert g.flags.writeable and all(g.strides)
                g *= 2  # the caller may update it in place


@pytest.mark.parametrize("sparse", [False, True])
def test_cross_entropy_backward_twice_through_one_graph(sparse):
    """The first backward reuses the saved exp() for the gradient; a second one must still be right."""
    rng = np.random.default_rng(5)
    logits = Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    labels = Tensor(np.array([0, 3, 1], np.int32)) if sparse else Tensor(np.eye(4, dtype=np.float32)[[0, 3, 1]])
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=sparse, reduction="mean")(logits, labels)
    loss.backward()
    first = logits.grad.asnumpy().copy()
    loss.backward()
    np.testing.assert_allclose(logits.grad.asnumpy(), 2 * first, rtol=1e-6)
    softmax = np.exp(logits.asnumpy()) / np.exp(logits.asnumpy()).sum(1, keepdims=True)
    np.testing.assert_allclose(first, (softmax - np.eye(4)[[0, 3, 1]]) / 3, rtol=1e-5, atol=1e-7)
