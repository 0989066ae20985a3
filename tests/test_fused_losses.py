"""Every fused primitive of ``lossviz/ops/fused_losses.py`` equals the same loss composed from plain ops.

For each primitive the formula is written again with plain lossviz ops
(Tensor operators, ``ops.Abs``, ``ops.Log``, ``ops.LogSoftmax``, ``ops.Gather``,
``ops.Select``...), reduced by a ``LossBase`` subclass ('mean', 'sum', 'none'),
and the two are compared in float64: the values, and the gradients of every
float input for a random upstream gradient (``gradcheck.engine_vjp``), tightly.

Each comparison runs on two engine paths: the default one, and one where
every reduction hands its gradient on as a broadcast view (``autograd.SMALL = 0``:
the fused backwards' ``reads_broadcast_grad`` path, otherwise taken only from
4096 elements on), the big-array code walks chunks of 3 elements / blocks of
a row or two (``_memory.CHUNK = 3``), and results are taken from the pool of
reused buffers (``RECYCLE_MIN_BYTES = 0``).

Where MindSpore's gradient is deliberately not the true derivative, the fused
primitive keeps MindSpore's and the comparison runs where the two coincide:

* dense softmax cross-entropy: d/dlogits = softmax - labels for any labels,
  d/dlabels = 0. Compared on label rows summing to 1 (where softmax - labels
  is the derivative); the labels' gradient is checked to be 0 on its own.
* BCE: d/dp = (p - y) / max(p (1 - p), 1e-12) and d/dy = ln(1 - p) - ln(p),
  both without the epsilon the loss has inside its logs: compared with p in
  [0.05, 0.95], where the epsilon moves them by ~1e-11.
* Hinge: max(nan, 0) = 0 (MindSpore CPU), where ``ops.Maximum`` gives nan:
  compared off nan; nan is checked on its own.
"""
import contextlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import lossviz
import lossviz.nn as nn
import lossviz.ops as ops
from gradcheck import engine_vjp
from lossviz import Tensor
from lossviz._engine import autograd
from lossviz.nn import LossBase
from lossviz.ops import _memory, fused_losses as F

REDUCTIONS = ["mean", "sum", "none"]
PATHS = ["default", "broadcast-chunks-reuse"]
FAST = settings(deadline=None, max_examples=8, derandomize=True)
seeds = st.integers(0, 2**32 - 1)
dims = st.integers(1, 4)


@contextlib.contextmanager
def engine_path(path):
    """The engine and memory settings of one path (see the module docstring), restored afterwards."""
    saved = autograd.SMALL, _memory.CHUNK, _memory.RECYCLE_MIN_BYTES
    if path != "default":
        autograd.SMALL, _memory.CHUNK, _memory.RECYCLE_MIN_BYTES = 0, 3, 0
    try:
        yield
    finally:
        autograd.SMALL, _memory.CHUNK, _memory.RECYCLE_MIN_BYTES = saved
        _memory.release_reused()


class Reduced(LossBase):
    """``get_loss(fn(*inputs))``: any unreduced loss, reduced as every built-in loss is."""

    def __init__(self, fn, reduction):
        super().__init__(reduction)
        self.fn = fn

    def construct(self, *inputs):
        return self.get_loss(self.fn(*inputs))


def assert_same(fused, composed, arrays, reduction, path, skip=(), rtol=1e-12, atol=1e-12, seed=0):
    """Values and the gradients of every float input (random upstream gradient) agree.

    ``skip``: input positions whose gradient is checked elsewhere (a MindSpore quirk).
    Returns the fused side's gradients.
    """
    arrays = [np.asarray(a) for a in arrays]
    with engine_path(path):
        fused_loss, composed_loss = Reduced(fused, reduction), Reduced(composed, reduction)
        got = fused_loss(*[Tensor(a) for a in arrays]).asnumpy()
        want = composed_loss(*[Tensor(a) for a in arrays]).asnumpy()
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
        u = np.random.default_rng(seed).standard_normal(got.shape)
        _, grads = engine_vjp(fused_loss, arrays, u)
        _, expected = engine_vjp(composed_loss, arrays, u)
    for i, (g, e) in enumerate(zip(grads, expected)):
        if g is None or i in skip:
            continue
        assert g.shape == arrays[i].shape and g.dtype == arrays[i].dtype
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")
    return grads


def difference_pair(rng, shape_a, shape_b):
    """Random logits and labels; where their shapes agree, a few exact ties (the |d| kink)."""
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    if shape_a == shape_b and a.size > 2:
        a.flat[::3] = b.flat[::3]
    return a, b


PAIR_SHAPES = st.sampled_from([((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((3, 1), (4,)), ((), (2, 3)),
                               ((1, 4), (3, 1)), ((2, 3, 2), (2, 3, 2)), ((40,), (40,))])


# ----- regression -----
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(shapes=PAIR_SHAPES, seed=seeds)
def test_absolute_and_squared_error(path, reduction, shapes, seed):
    a, b = difference_pair(np.random.default_rng(seed), *shapes)
    assert_same(F.AbsoluteError(), lambda x, y: ops.Abs()(x - y), (a, b), reduction, path, seed=seed)
    assert_same(F.SquaredError(), lambda x, y: (x - y) * (x - y), (a, b), reduction, path, seed=seed)


def composed_smooth_l1(beta):
    def loss(x, y):
        d = x - y
        size = ops.Abs()(d)
        return ops.Select()(size < beta, 0.5 * d * d / beta, size - 0.5 * beta)
    return loss


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(shape=st.sampled_from([(), (7,), (3, 5), (2, 2, 3), (41,)]), beta=st.sampled_from([0.3, 1.0, 2.5]),
       seed=seeds)
def test_smooth_l1(path, reduction, shape, beta, seed):
    rng = np.random.default_rng(seed)
    b = rng.standard_normal(shape)
    a = b + rng.uniform(-3, 3, shape)
    if a.size > 3:                      # the kinks: d = 0 and |d| = beta exactly
        a.flat[0], a.flat[1], a.flat[2] = b.flat[0], b.flat[1] + beta, b.flat[2] - beta
        b.flat[1:3] = 0.0
        a.flat[1:3] = beta, -beta
    assert_same(F.SmoothL1Loss(beta), composed_smooth_l1(beta), (a, b), reduction, path, seed=seed)


def composed_bce(p, y):
    eps = F.BCE_EPSILON
    return -(y * ops.Log()(p + eps) + (1 - y) * ops.Log()(1 - p + eps))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(shape=st.sampled_from([(), (6,), (3, 4), (2, 3, 2), (37,)]), seed=seeds)
def test_binary_cross_entropy(path, reduction, shape, seed):
    """MindSpore's gradients have no epsilon; with p in [0.05, 0.95] that moves them by ~1e-11."""
    rng = np.random.default_rng(seed)
    p, y = rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, shape)
    assert_same(F.BinaryCrossEntropy(), composed_bce, (p, y), reduction, path, rtol=1e-9, atol=1e-10, seed=seed)


# ----- classification -----
def composed_dense_ce(logits, labels):
    return -ops.ReduceSum()(labels * ops.LogSoftmax(axis=1)(logits), 1)


def composed_sparse_ce(logits, labels):
    onehot = ops.OneHot()(labels, logits.shape[1], 1.0, 0.0)
    return -ops.ReduceSum()(onehot * ops.LogSoftmax(axis=1)(logits), 1)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=st.integers(1, 5), c=st.integers(2, 7), soft=st.booleans(), seed=seeds)
def test_softmax_cross_entropy(path, reduction, n, c, soft, seed):
    """Dense: compared on label rows summing to 1; MindSpore's d/dlabels = 0 is checked on its own."""
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c)) * 3
    classes = rng.integers(0, c, n)
    dense = rng.dirichlet(np.ones(c), n) if soft else np.eye(c)[classes]
    grads = assert_same(F.SoftmaxCrossEntropyWithLogits(), composed_dense_ce, (logits, dense), reduction, path,
                        skip=(1,), seed=seed)
    assert not grads[1].any()                                 # d/dlabels = 0, as MindSpore
    assert_same(F.SparseSoftmaxCrossEntropyWithLogits(), composed_sparse_ce, (logits, classes.astype(np.int32)),
                reduction, path, seed=seed)


def test_dense_cross_entropy_logits_gradient_is_softmax_minus_labels_for_any_labels():
    """Labels not summing to 1: MindSpore's softmax - labels, not the true derivative of the composed loss."""
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((3, 4)), rng.uniform(0, 2, (3, 4))
    _, (g_logits, g_labels) = engine_vjp(F.SoftmaxCrossEntropyWithLogits(), [logits, labels])
    softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(g_logits, softmax - labels, rtol=1e-12, atol=1e-14)
    _, (true_logits, _) = engine_vjp(composed_dense_ce, [logits, labels])
    assert not np.allclose(g_logits, true_logits)             # the composed loss's true derivative differs
    assert not g_labels.any()


def composed_cosine(axis):
    def cosine(x1, x2):
        total = ops.ReduceSum()
        return total(x1 * x2, axis) / (ops.Sqrt()(total(x1 * x1, axis)) * ops.Sqrt()(total(x2 * x2, axis)))
    return cosine


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(case=st.sampled_from([((4, 3), 1), ((1, 2), 1), ((5, 3, 2), 1), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 2),
                             ((6, 5), 1)]), seed=seeds)
def test_cosine_similarity(path, reduction, case, seed):
    shape, axis = case
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
    assert_same(F.CosineSimilarity(axis), composed_cosine(axis), (x1, x2), reduction, path, rtol=1e-11, seed=seed)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(shape=st.sampled_from([(), (6,), (3, 4)]), seed=seeds)
def test_hinge(path, reduction, shape, seed):
    """Ties at 0 split the gradient half/half in both; nan is checked below."""
    x = np.random.default_rng(seed).standard_normal(shape)
    if x.size > 2:
        x.flat[::2] = 0.0
    assert_same(F.Hinge(), lambda t: ops.Maximum()(t, 0.0), (x,), reduction, path, seed=seed)


def test_hinge_of_nan_is_zero_with_no_gradient():
    """MindSpore CPU's Maximum(nan, 0) = 0; ops.Maximum propagates nan, so this quirk is checked alone."""
    out, (g,) = engine_vjp(F.Hinge(), [np.array([np.nan, -1.0, 0.0, 2.0])])
    np.testing.assert_array_equal(out, [0.0, 0.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.5, 1.0])


# ----- sampled softmax -----
def sampled_problem(rng, classes, dim, n, num_true, k, hit):
    weights, biases, hidden = rng.standard_normal((classes, dim)), rng.standard_normal(classes), \
        rng.standard_normal((n, dim))
    labels = np.stack([rng.choice(classes, num_true, replace=False) for _ in range(n)]).astype(np.int32)
    sampled = rng.choice(classes, k, replace=False).astype(np.int32)
    if hit:
        sampled[0] = labels[0, 0]                               # an accidental hit
    tec, sec = rng.uniform(0.1, 0.9, (n, num_true)), rng.uniform(0.1, 0.9, k)
    return weights, biases, hidden, labels, sampled, tec, sec


def composed_sampled_logits(labels, sampled, tec, sec, remove):
    n, num_true = labels.shape
    hits = (labels[:, :, None] == sampled[None, None, :]).any(axis=1) if remove else np.zeros((n, len(sampled)), bool)

    def logits(weights, biases, hidden):
        gather = ops.Gather()
        w_true = gather(weights, Tensor(labels), 0)                                      # (N, T, D)
        true = (ops.ReduceSum()(w_true * ops.ExpandDims()(hidden, 1), 2) + gather(biases, Tensor(labels), 0)
                - ops.Log()(Tensor(tec)))
        drawn = (ops.MatMul(transpose_b=True)(hidden, gather(weights, Tensor(sampled), 0))
                 + gather(biases, Tensor(sampled), 0) - ops.Log()(Tensor(sec)))
        masked = Tensor(np.full(drawn.shape, np.finfo(np.float64).min / 2))
        drawn = ops.Select()(Tensor(hits), masked, drawn)
        return ops.Concat(axis=1)((true, drawn))
    return logits


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("remove", [True, False])
@FAST
@given(n=st.integers(1, 4), num_true=st.integers(1, 2), k=st.integers(1, 4), hit=st.booleans(), seed=seeds)
def test_sampled_logits(path, reduction, remove, n, num_true, k, hit, seed):
    """weights, biases and hidden all get gradients; repeated true classes add up in the weights' rows."""
    weights, biases, hidden, labels, sampled, tec, sec = sampled_problem(np.random.default_rng(seed), 6, 3, n,
                                                                         num_true, k, hit)

    def fused(w, b, h):
        return F.SampledLogits()(w, b, h, labels, sampled, tec, sec, remove)

    assert_same(fused, composed_sampled_logits(labels, sampled, tec, sec, remove), (weights, biases, hidden),
                reduction, path, rtol=1e-11, seed=seed)


def composed_sampled_cross_entropy(num_true):
    def loss(z):
        targets = np.zeros(z.shape, z.asnumpy().dtype)
        targets[:, :num_true] = 1 / num_true
        return -ops.ReduceSum()(Tensor(targets) * ops.Log()(ops.Softmax(axis=1)(z) + F.SAMPLED_EPSILON), 1)
    return loss


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(n=st.integers(1, 5), num_true=st.integers(1, 3), k=st.integers(1, 9), seed=seeds)
def test_sampled_softmax_cross_entropy(path, reduction, n, num_true, k, seed):
    """In float64 within 1e-12, and in float32 bit for bit (it replaced exactly these ops in SampledSoftmaxLoss)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, num_true + k)) * 4
    z[0, 0] = -60.0                                             # a hopeless true class: the 1e-20 matters
    fused, composed = F.SampledSoftmaxCrossEntropy(num_true), composed_sampled_cross_entropy(num_true)
    assert_same(fused, composed, (z,), reduction, path, seed=seed)
    assert_same(fused, composed, (z.astype(np.float32),), reduction, path, rtol=0, atol=0, seed=seed)


# ----- the built-in losses, 0-d inputs, big arrays -----
def test_zero_d_inputs():
    """0-d inputs give 0-d losses (were (1,) or a TypeError) and 0-d gradients."""
    T, f32 = Tensor, np.float32
    cases = [(nn.SmoothL1Loss(), f32(3.0), f32(0.0), 2.5), (nn.BCELoss(), f32(0.5), f32(1.0), 0.6931472),
             (nn.L1Loss(), f32(2.0), f32(-1.0), 3.0), (nn.MSELoss(), f32(2.0), f32(-1.0), 9.0),
             (nn.SmoothL1Loss(reduction="mean"), f32(0.5), f32(0.0), 0.125)]
    for loss, x, y, want in cases:
        out = loss(T(x), T(y))
        assert out.shape == () and out.dtype == lossviz.float32, type(loss).__name__
        assert out.asnumpy() == np.float32(want), (type(loss).__name__, out)
        for g in lossviz.grad(loss, (0, 1))(T(x), T(y)):
            assert g.shape == ()
    assert str(nn.BCELoss()(T(0.5), T(1.0))) == "0.6931472"
    assert str(nn.L1Loss()(T(2.0), T(-1.0))) == "3.0"


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_big_arrays_take_the_broadcast_and_chunked_paths(reduction):
    """~70,000 elements: several real chunks, the reductions' broadcast gradient, the buffer pool."""
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((300, 233)), rng.standard_normal((300, 233))
    p = rng.uniform(0.05, 0.95, x.shape)
    saved = _memory.CHUNK, _memory.RECYCLE_MIN_BYTES
    _memory.CHUNK, _memory.RECYCLE_MIN_BYTES = 4096, 0
    try:
        assert_same(F.AbsoluteError(), lambda a, b: ops.Abs()(a - b), (x, y), reduction, "default")
        assert_same(F.SquaredError(), lambda a, b: (a - b) * (a - b), (x, y), reduction, "default")
        assert_same(F.SmoothL1Loss(0.7), composed_smooth_l1(0.7), (x, y), reduction, "default")
        assert_same(F.BinaryCrossEntropy(), composed_bce, (p, y * 0 + 0.3), reduction, "default", rtol=1e-9,
                    atol=1e-10)
        assert_same(F.SparseSoftmaxCrossEntropyWithLogits(), composed_sparse_ce,
                    (x, rng.integers(0, 233, 300).astype(np.int32)), reduction, "default")
        assert_same(F.CosineSimilarity(1), composed_cosine(1), (x, y), reduction, "default", rtol=1e-11)
    finally:
        _memory.CHUNK, _memory.RECYCLE_MIN_BYTES = saved
        _memory.release_reused()


def test_the_fused_backward_reads_the_broadcast_gradient():
    """With reduction 'mean' on a big array the fused backward gets a broadcast view (one number)."""
    seen = []
    backward = F.SquaredError.backward

    def spy(self, ctx, grad):
        seen.append(autograd.broadcast_value(grad) is not None)
        return backward(self, ctx, grad)

    F.SquaredError.backward = spy
    try:
        x = np.linspace(-1, 1, 5000)
        lossviz.grad(nn.MSELoss(), 0)(Tensor(x), Tensor(np.zeros_like(x)))
    finally:
        F.SquaredError.backward = backward
    assert seen == [True]


@pytest.mark.parametrize("loss", [nn.L1Loss("none"), nn.MSELoss("none"), nn.SmoothL1Loss(0.5), nn.BCELoss()])
def test_forward_only_and_a_second_backward(loss):
    """No backward wanted: the same values. A second backward through one graph: the gradient again."""
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0.05, 0.95, (4, 5)), rng.uniform(0, 1, (4, 5))
    with lossviz.no_grad():
        plain = loss(Tensor(x), Tensor(y)).asnumpy()
    xt = Tensor(x, requires_grad=True)
    out = loss(xt, Tensor(y))
    np.testing.assert_array_equal(out.asnumpy(), plain)
    out.backward()
    first = xt.grad.asnumpy().copy()
    out.backward()
    np.testing.assert_array_equal(xt.grad.asnumpy(), 2 * first)


def test_a_result_the_caller_holds_is_never_reused():
    """The pool hands out the memory of a dropped result again, never of one somebody still holds."""
    saved = _memory.RECYCLE_MIN_BYTES
    _memory.RECYCLE_MIN_BYTES = 0
    try:
        x, y = Tensor(np.arange(6.0)), Tensor(np.zeros(6))
        first = nn.L1Loss("none")(x, y)
        view = first.asnumpy()[2:]
        second = nn.MSELoss("none")(x, y)
        np.testing.assert_array_equal(first.asnumpy(), np.arange(6.0))
        np.testing.assert_array_equal(view, np.arange(2.0, 6.0))
        np.testing.assert_array_equal(second.asnumpy(), np.arange(6.0) ** 2)
        address = second.asnumpy().__array_interface__["data"][0]
        del second
        third = nn.L1Loss("none")(x, y)                    # the dropped result's memory, used again
        assert third.asnumpy().__array_interface__["data"][0] == address
        np.testing.assert_array_equal(third.asnumpy(), np.arange(6.0))
        np.testing.assert_array_equal(first.asnumpy(), np.arange(6.0))
    finally:
        _memory.RECYCLE_MIN_BYTES = saved
        _memory.release_reused()


def test_add_rows_at_is_np_add_at():
    """The weights' gradient scatter: the same numbers as np.add.at, bit for bit, repeats included."""
    rng = np.random.default_rng(0)
    for _ in range(30):
        rows, width, n = int(rng.integers(1, 12)), int(rng.integers(1, 5)), int(rng.integers(1, 40))
        ids = rng.integers(0, rows, n)
        values = (rng.standard_normal((n, width)) * 10.0 ** rng.integers(-4, 5, (n, 1))).astype(np.float32)
        want, got = np.zeros((rows, width), np.float32), np.zeros((rows, width), np.float32)
        np.add.at(want, ids, values)
        _memory.add_rows_at(got, ids, values)
        assert want.tobytes() == got.tobytes()
