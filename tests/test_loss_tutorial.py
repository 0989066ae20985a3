"""The tutorial's numbers as plain literal tests, and the behaviours its text describes.

Cells [1], [4] and [12] of the tutorial (their classes come from tutorial_code),
the defaults it states, the functional forms, numerical stability and the
sampled softmax's sampler.
"""
import numpy as np
import pytest

import lossviz
import lossviz.nn as nn
from lossviz import Tensor
from lossviz.nn import LossBase
from lossviz.nn.loss import functional as LF
from lossviz.tutorial_code import L1Loss, L1LossForMultiLabel

INPUT = np.array([[1, 2, 3], [2, 3, 4]]).astype(np.float32)
TARGET = np.array([[0, 2, 5], [3, 1, 1]]).astype(np.float32)


# ----- cell [1]: nn.L1Loss on the tutorial's data -----
def test_cell_1_l1loss_prints_1_5(capsys):
    loss = nn.L1Loss()
    input_data = Tensor(np.array([[1, 2, 3], [2, 3, 4]]).astype(np.float32))
    target_data = Tensor(np.array([[0, 2, 5], [3, 1, 1]]).astype(np.float32))
    print(loss(input_data, target_data))
    assert capsys.readouterr().out == "1.5\n"


def test_l1loss_sum_is_9_and_none_prints_the_matrix(capsys):
    print(nn.L1Loss(reduction='sum')(Tensor(INPUT), Tensor(TARGET)))
    print(nn.L1Loss(reduction='none')(Tensor(INPUT), Tensor(TARGET)))
    assert capsys.readouterr().out == "9.0\n[[1. 0. 2.]\n [1. 2. 3.]]\n"


# ----- cell [4]: L1Loss written on LossBase (tutorial_code.L1Loss) -----
def test_cell_4_l1loss_on_lossbase(capsys):
    loss = L1Loss()
    input_data = Tensor(np.array([0.1, 0.2, 0.3]).astype(np.float32))
    target_data = Tensor(np.array([0.1, 0.2, 0.2]).astype(np.float32))
    print(loss(input_data, target_data))
    print(L1Loss()(Tensor(INPUT), Tensor(TARGET)), L1Loss("sum")(Tensor(INPUT), Tensor(TARGET)))
    assert capsys.readouterr().out == "0.033333335\n1.5 9.0\n"
    grad = lossviz.grad(L1Loss(), 0)(Tensor(INPUT), Tensor(TARGET)).asnumpy()
    np.testing.assert_allclose(grad, np.sign(INPUT - TARGET) / 6)


# ----- cell [12]: the multi-label loss (tutorial_code.L1LossForMultiLabel) -----
def test_cell_12_multilabel_loss():
    base, t1, t2 = Tensor(INPUT), Tensor(TARGET), Tensor(TARGET + 1)
    assert float(L1LossForMultiLabel()(base, t1, t2)) == pytest.approx((1.5 + np.abs(INPUT - TARGET - 1).mean()) / 2)


def test_builtin_l1loss_matches_the_tutorials_own():
    for reduction in ("mean", "sum", "none"):
        ours = nn.L1Loss(reduction)(Tensor(INPUT), Tensor(TARGET)).asnumpy()
        np.testing.assert_array_equal(ours, L1Loss(reduction)(Tensor(INPUT), Tensor(TARGET)).asnumpy())


# ----- the defaults the tutorial states -----
def test_defaults():
    assert nn.L1Loss().reduction == "mean" and nn.MSELoss().reduction == "mean"
    assert nn.SmoothL1Loss().beta == 1.0 and nn.SmoothL1Loss().reduction == "none"
    ce = nn.SoftmaxCrossEntropyWithLogits()
    assert ce.sparse is False and ce.reduction == "none"
    assert nn.CosineEmbeddingLoss().margin == 0.0 and nn.CosineEmbeddingLoss().reduction == "mean"
    assert nn.BCELoss().weight is None and nn.BCELoss().reduction == "none"  # the tutorial's default
    sampled = nn.SampledSoftmaxLoss(4, 10)
    assert (sampled.num_true, sampled.sampled_values, sampled.remove_accidental_hits, sampled.seed,
            sampled.reduction) == (1, None, True, 0, "none")
    assert LossBase().get_axis(Tensor(np.ones((2, 3)))) == (0, 1) and LossBase().get_axis(Tensor(1.0)) == ()


def test_keyword_calls_and_mindspore_argument_names():
    out = nn.SoftmaxCrossEntropyWithLogits(sparse=True)(logits=Tensor([[2.0, 1.0]]),
                                                        labels=Tensor(np.array([0], np.int32)))
    np.testing.assert_allclose(out.asnumpy(), [np.log1p(np.exp(-1.0))], rtol=1e-6)
    x = Tensor([[1.0, 0.0]])
    assert float(nn.CosineEmbeddingLoss()(logits_x1=x, logits_x2=x, labels=Tensor([1]))) == pytest.approx(0.0)


# ----- get_loss -----
def test_get_loss_dtypes():
    loss = LossBase("none")
    half = loss.get_loss(Tensor(np.array([1, 3, 5, -3], np.int32)), 0.5)
    assert half.dtype == lossviz.int32 and half.asnumpy().tolist() == [0, 1, 2, -1]  # truncation toward zero
    third = LossBase().get_loss(Tensor(np.array([0.0, 0.0, 1.0])))
    assert third.dtype == lossviz.float64 and third.item() == 1 / 3  # float64 stays float64 (§9.1)
    weights = Tensor(np.ones((3, 1, 2), np.float32))
    assert LossBase("sum").get_loss(Tensor(np.ones((2,), np.float32)), weights).item() == 6.0  # enlarged


# ----- functional forms: the same numbers and gradients as the classes -----
def _pairs():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    p, y = rng.uniform(0.05, 0.95, (3, 4)).astype(np.float32), rng.uniform(0, 1, (3, 4)).astype(np.float32)
    w = rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    labels = Tensor(np.array([1, -1, 1], np.int32))
    return [
        (lambda r: nn.L1Loss(r), lambda x, y, r: LF.l1_loss(x, y, r), a, b),
        (lambda r: nn.MSELoss(r), lambda x, y, r: LF.mse_loss(x, y, r), a, b),
        (lambda r: nn.SmoothL1Loss(0.7, r), lambda x, y, r: LF.smooth_l1_loss(x, y, 0.7, r), a, b),
        (lambda r: nn.BCELoss(Tensor(w), r), lambda x, y, r: LF.binary_cross_entropy(x, y, Tensor(w), r), p, y),
        (lambda r: (lambda x1, x2: nn.CosineEmbeddingLoss(0.25, r)(x1, x2, labels)),
         lambda x1, x2, r: LF.cosine_embedding_loss(x1, x2, labels, 0.25, r), a, b),
    ]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_functional_forms_equal_the_classes(reduction):
    for make_class, functional, x, y in _pairs():
        cls = make_class(reduction)
        want_out, want_grads = lossviz.value_and_grad(cls, (0, 1))(Tensor(x), Tensor(y))
        got_out, got_grads = lossviz.value_and_grad(lambda a, b: functional(a, b, reduction), (0, 1))(Tensor(x),
                                                                                                     Tensor(y))
        np.testing.assert_array_equal(got_out.asnumpy(), want_out.asnumpy())
        for got, want in zip(got_grads, want_grads):
            np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())


def test_functional_defaults_follow_mindspore_2():
    x, y = Tensor([0.5, 0.25]), Tensor([1.0, 0.0])
    assert LF.binary_cross_entropy(x, y).shape == ()   # 'mean'
    assert LF.smooth_l1_loss(x, y).shape == (2,)       # 'none'
    assert LF.l1_loss(x, y).shape == () and LF.mse_loss(x, y).shape == ()


# ----- numerical stability -----
def test_softmax_cross_entropy_is_stable_for_huge_gaps():
    logits = Tensor(np.array([[1e4, 0.0, -1e4], [0.0, 5e3, 1e4]], np.float32))
    sparse = Tensor(np.array([2, 0], np.int32))
    dense = Tensor(np.eye(3, dtype=np.float32)[[2, 0]])
    per_sample = nn.SoftmaxCrossEntropyWithLogits(reduction="none")(logits, dense).asnumpy()
    np.testing.assert_allclose(per_sample, [2e4, 1e4])
    for reduction in ("mean", "sum", "none"):
        a = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction=reduction)(logits, sparse).asnumpy()
        b = nn.SoftmaxCrossEntropyWithLogits(reduction=reduction)(logits, dense).asnumpy()
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=1e-6)
    grad = lossviz.grad(nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))(logits, sparse).asnumpy()
    np.testing.assert_allclose(grad, [[0.5, 0, -0.5], [-0.5, 0, 0.5]], atol=1e-6)


def test_bce_epsilon_is_added_inside_the_logs():
    p = Tensor(np.array([0.0, 1e-12, 1.0, 0.0], np.float32))
    y = Tensor(np.array([1.0, 1.0, 1.0, 0.0], np.float32))
    out = nn.BCELoss()(p, y).asnumpy()
    np.testing.assert_allclose(out[:3], [27.631021, -np.log(np.float32(2e-12)), 0.0], rtol=1e-6, atol=1e-7)
    assert out[3] == 0.0


def test_cosine_embedding_on_zero_vectors_is_a_teaching_moment():
    zero, one = Tensor(np.zeros((1, 3), np.float32)), Tensor(np.ones((1, 3), np.float32))
    loss = nn.CosineEmbeddingLoss(reduction="none")
    assert np.isnan(loss(zero, one, Tensor([1])).asnumpy()).all()
    assert loss(zero, one, Tensor([-1])).asnumpy().tolist() == [0.0]
    assert np.isnan(lossviz.grad(loss)(zero, one, Tensor([-1])).asnumpy()).all()


# ----- sampled softmax: sparse gradient and the sampler -----
def _sampled_problem(classes=1000, dim=8, batch=16, seed=0):
    rng = np.random.default_rng(seed)
    return (Tensor(rng.standard_normal((classes, dim)).astype(np.float32)),
            Tensor(np.zeros(classes, np.float32)),
            Tensor(rng.integers(0, classes, (batch, 1)).astype(np.int32)),
            Tensor(rng.standard_normal((batch, dim)).astype(np.float32)))


def test_sampled_softmax_weight_gradient_touches_only_used_rows():
    weights, biases, labels, hidden = _sampled_problem()
    sampled = np.array([3, 99, 500, 7], np.int32)
    loss = nn.SampledSoftmaxLoss(4, 1000, sampled_values=(Tensor(sampled), Tensor(np.full((16, 1), 0.1, np.float32)),
                                                          Tensor(np.full(4, 0.1, np.float32))))
    g_w, g_b = lossviz.grad(loss, (0, 1))(weights, biases, labels, hidden)
    used = np.zeros(1000, bool)
    used[sampled], used[labels.asnumpy().ravel()] = True, True
    assert not g_w.asnumpy()[~used].any() and not g_b.asnumpy()[~used].any()
    assert g_w.asnumpy()[used].any(axis=1).all()


def test_sampler_draws_distinct_ids_avoiding_true_labels():
    weights, biases, labels, hidden = _sampled_problem(classes=40)
    loss = nn.SampledSoftmaxLoss(20, 40, seed=3)
    true = set(labels.asnumpy().ravel().tolist())
    for _ in range(5):
        ids, tec, sec = loss._sample(labels.asnumpy(), np.float32)
        assert len(set(ids.tolist())) == 20 and not true & set(ids.tolist())
        assert ids.min() >= 0 and ids.max() < 40
        assert tec.shape == (16, 1) and sec.shape == (20,) and np.all(tec == sec[0]) and 0 < sec[0] <= 1
    loss(weights, biases, labels, hidden)
    with_hits = nn.SampledSoftmaxLoss(40, 40, remove_accidental_hits=False, seed=3)
    assert sorted(with_hits._sample(labels.asnumpy(), np.float32)[0].tolist()) == list(range(40))


def test_sampler_is_reproducible_with_seed_or_set_seed():
    weights, biases, labels, hidden = _sampled_problem()

    def losses(make):
        loss = make()
        return [loss(weights, biases, labels, hidden).asnumpy() for _ in range(2)]

    a, b = losses(lambda: nn.SampledSoftmaxLoss(8, 1000, seed=7)), losses(lambda: nn.SampledSoftmaxLoss(8, 1000, seed=7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[0], a[1])  # successive calls draw new samples
    lossviz.set_seed(11)
    c = losses(lambda: nn.SampledSoftmaxLoss(8, 1000))
    lossviz.set_seed(11)
    d = losses(lambda: nn.SampledSoftmaxLoss(8, 1000))
    np.testing.assert_array_equal(c, d)


def test_sampler_distribution_is_uniform():
    loss = nn.SampledSoftmaxLoss(5, 20, remove_accidental_hits=False, seed=1)
    counts = np.zeros(20)
    for _ in range(800):
        counts[loss._sample(np.zeros((1, 1), np.int64), np.float32)[0]] += 1
    assert counts.sum() == 4000 and counts.min() > 130 and counts.max() < 270  # 200 expected each
