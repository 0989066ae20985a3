"""Bad input is refused with a clear error: the class (or function), the argument, what was expected.

Wrong types are TypeError, wrong shapes and bad values ValueError
(semantics.md §9.1: out-of-range labels and ids, probabilities outside [0, 1],
beta <= 0 are ValueError at call time, never a silent number).
"""
import re

import numpy as np
import pytest

import lossviz.nn as nn
from lossviz import Tensor
from lossviz.nn import LossBase
from lossviz.nn.loss import functional as LF

f32 = np.float32


def T(data, dtype=f32):
    return Tensor(np.array(data, dtype))


def sampled_loss(**kwargs):
    values = (T([1, 2], np.int32), T([[0.5], [0.5]]), T([0.5, 0.5]))
    return nn.SampledSoftmaxLoss(2, 5, sampled_values=kwargs.pop("sampled_values", values), **kwargs)


def sampled_inputs(labels=(0, 3)):
    rng = np.random.default_rng(0)
    return (T(rng.standard_normal((5, 3))), T(rng.standard_normal(5)), T(np.array(labels).reshape(-1, 1), np.int32),
            T(rng.standard_normal((2, 3))))


ALL_LOSSES = {
    "L1Loss": lambda **kw: nn.L1Loss(**kw),
    "MSELoss": lambda **kw: nn.MSELoss(**kw),
    "SmoothL1Loss": lambda **kw: nn.SmoothL1Loss(**kw),
    "SoftmaxCrossEntropyWithLogits": lambda **kw: nn.SoftmaxCrossEntropyWithLogits(**kw),
    "SampledSoftmaxLoss": lambda **kw: nn.SampledSoftmaxLoss(2, 5, **kw),
    "BCELoss": lambda **kw: nn.BCELoss(**kw),
    "CosineEmbeddingLoss": lambda **kw: nn.CosineEmbeddingLoss(**kw),
    "LossBase": lambda **kw: LossBase(**kw),
}


@pytest.mark.parametrize("name", ALL_LOSSES)
@pytest.mark.parametrize("bad", ["avg", "Mean", None, 1])
def test_bad_reduction(name, bad):
    message = f"For '{name}', the 'reduction' must be in ['mean', 'sum', 'none'], but got {bad}."
    with pytest.raises(ValueError, match=re.escape(message)):
        ALL_LOSSES[name](reduction=bad)


def test_reduction_error_names_the_subclass():
    class MyLoss(LossBase):
        pass

    with pytest.raises(ValueError, match="For 'MyLoss', the 'reduction'"):
        MyLoss("avg")
    with pytest.raises(NotImplementedError):
        MyLoss()(T([1.0]))
    assert MyLoss("sum").reduction == "sum"


# every loss refuses a numpy array in place of each Tensor argument
CALLS = {
    "L1Loss": (nn.L1Loss(), ("logits", "labels"), lambda: (T([1.0, 2.0]), T([0.0, 1.0]))),
    "MSELoss": (nn.MSELoss(), ("logits", "labels"), lambda: (T([1.0, 2.0]), T([0.0, 1.0]))),
    "SmoothL1Loss": (nn.SmoothL1Loss(), ("logits", "labels"), lambda: (T([1.0, 2.0]), T([0.0, 1.0]))),
    "SoftmaxCrossEntropyWithLogits": (nn.SoftmaxCrossEntropyWithLogits(), ("logits", "labels"),
                                      lambda: (T([[1.0, 2.0]]), T([[0.0, 1.0]]))),
    "BCELoss": (nn.BCELoss(), ("logits", "labels"), lambda: (T([0.5, 0.2]), T([0.0, 1.0]))),
    "CosineEmbeddingLoss": (nn.CosineEmbeddingLoss(), ("logits_x1", "logits_x2", "labels"),
                            lambda: (T([[1.0, 2.0]]), T([[0.0, 1.0]]), T([1], np.int32))),
    "SampledSoftmaxLoss": (sampled_loss(), ("weights", "biases", "labels", "logits"), sampled_inputs),
}


@pytest.mark.parametrize("name", CALLS)
def test_non_tensor_inputs(name):
    loss, names, make = CALLS[name]
    loss(*make())  # the good call works
    for i, arg in enumerate(names):
        args = list(make())
        args[i] = args[i].asnumpy()
        with pytest.raises(TypeError, match=f"For '{name}', the '{arg}' must be a Tensor, but got numpy.ndarray"):
            loss(*args)


@pytest.mark.parametrize("cls", [nn.L1Loss, nn.MSELoss])
def test_regression_shapes_must_broadcast(cls):
    with pytest.raises(ValueError, match=rf"For '{cls.__name__}', the shapes of 'logits' \(2, 3\) and 'labels' "
                                         rf"\(3, 2\) can not broadcast"):
        cls()(T(np.zeros((2, 3))), T(np.zeros((3, 2))))


def test_smooth_l1_needs_equal_shapes_floats_and_positive_beta():
    with pytest.raises(ValueError, match="For 'SmoothL1Loss', the 'labels' must have the same shape as 'logits'"):
        nn.SmoothL1Loss()(T([1.0, 2.0]), T([[1.0, 2.0], [3.0, 4.0]]))
    with pytest.raises(TypeError, match="For 'SmoothL1Loss', the 'logits' must be a Tensor of .*float32.*int32"):
        nn.SmoothL1Loss()(T([1, 2], np.int32), T([1, 2], np.int32))
    with pytest.raises(TypeError, match="For 'SmoothL1Loss', the 'beta' must be a bool, int or float"):
        nn.SmoothL1Loss(beta="1")
    for beta in (0.0, -1.0, 0):
        loss = nn.SmoothL1Loss(beta=beta)  # accepted when built, as MindSpore ...
        with pytest.raises(ValueError, match=f"For 'SmoothL1Loss', the 'beta' must be greater than 0, but got {beta}"):
            loss(T([1.0]), T([0.0]))  # ... refused when called


def test_sparse_labels_dtype_shape_and_range():
    logits = T([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    for reduction in ("mean", "sum", "none"):
        loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction=reduction)
        for dtype in (np.float32, np.int8, np.int16, np.uint8, np.bool_):
            with pytest.raises(TypeError, match=r"For 'SoftmaxCrossEntropyWithLogits', the 'labels' must be a "
                                                r"Tensor of \[int32, int64\]"):
                loss(logits, T([0, 1], dtype))
        with pytest.raises(ValueError, match=r"'labels' must have the shape \(2,\)"):
            loss(logits, T([[0], [1]], np.int32))
        with pytest.raises(ValueError, match=r"'labels' must have the shape \(2,\)"):
            loss(logits, T([0, 1, 2], np.int32))
        for bad in (-1, 3, 100):
            with pytest.raises(ValueError, match=rf"For 'SoftmaxCrossEntropyWithLogits', every value of 'labels' "
                                                 rf"must be in \[0, 3\), but got {bad}\."):
                loss(logits, T([0, bad], np.int64))


def test_dense_cross_entropy_checks():
    loss = nn.SoftmaxCrossEntropyWithLogits()
    with pytest.raises(TypeError, match="'labels' must have the same dtype as 'logits'"):
        loss(T([[1.0, 2.0]]), T([[0, 1]], np.int32))
    with pytest.raises(ValueError, match=r"'labels' must have the shape of 'logits' \(1, 2\)"):
        loss(T([[1.0, 2.0]]), T([[0.0, 1.0, 0.0]]))
    with pytest.raises(ValueError, match="'logits' must be 2-D"):
        loss(T([1.0, 2.0]), T([0.0, 1.0]))
    with pytest.raises(TypeError, match="'logits' must be a Tensor of .*float64"):
        loss(T([[1.0, 2.0]], np.float64), T([[0.0, 1.0]], np.float64))
    with pytest.raises(TypeError, match="For 'SoftmaxCrossEntropyWithLogits', the 'sparse' must be a bool"):
        nn.SoftmaxCrossEntropyWithLogits(sparse=1)


def test_bce_refuses_probabilities_outside_0_1_and_bad_shapes():
    for reduction in ("mean", "sum", "none"):
        loss = nn.BCELoss(reduction=reduction)
        for bad in (1.5, -0.5, 1.0000001, np.inf):
            with pytest.raises(ValueError, match=r"For 'BCELoss', every value of 'logits' must be in \[0, 1\]"):
                loss(T([0.5, bad]), T([1.0, 0.0]))
        with pytest.raises(ValueError, match=r"For 'BCELoss', every value of 'logits' must be in \[0, 1\], but got 2"):
            loss(T([np.nan, 2.0]), T([1.0, 0.0]))  # a nan next to a bad value does not hide it
        assert np.isnan(loss(T([np.nan]), T([1.0])).asnumpy()).all()  # nan itself passes, as in MindSpore
    loss = nn.BCELoss()
    with pytest.raises(ValueError, match=r"'labels' must have the same shape as 'logits' \(2,\)"):
        loss(T([0.5, 0.5]), T([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="'labels' must have the same shape"):
        loss(T([[0.5, 0.5]]), T([1.0, 0.0]))
    with pytest.raises(TypeError, match="'labels' must have the same dtype as 'logits'"):
        loss(T([0.5]), T([1.0], np.float16))
    with pytest.raises(TypeError, match="'logits' must be a Tensor of"):
        loss(T([0, 1], np.int32), T([0, 1], np.int32))


def test_bce_weight():
    with pytest.raises(TypeError, match="For 'BCELoss', the 'weight' must be a Tensor or None, but got float"):
        nn.BCELoss(weight=2.0)
    with pytest.raises(TypeError, match="For 'BCELoss', the 'weight' must be a Tensor or None, but got ndarray"):
        nn.BCELoss(weight=np.ones(2, f32))
    with pytest.raises(TypeError, match="'weight' must have the same dtype as 'logits'"):
        nn.BCELoss(weight=T([1.0, 2.0], np.float64))(T([0.5, 0.5]), T([1.0, 0.0]))
    with pytest.raises(ValueError, match="For 'BCELoss', the shapes of 'logits' .* and 'weight' .* can not broadcast"):
        nn.BCELoss(weight=T([1.0, 2.0, 3.0]))(T([0.5, 0.5]), T([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"the shape of 'weight' \(2, 2\) can not broadcast to the shape of 'logits'"):
        nn.BCELoss(weight=T(np.ones((2, 2))))(T([0.5, 0.5]), T([1.0, 0.0]))
    # a smaller weight is broadcast properly (MindSpore's CPU kernel reads garbage here)
    out = nn.BCELoss(weight=T([2.0]))(T([0.5, 0.5]), T([1.0, 0.0])).asnumpy()
    np.testing.assert_allclose(out, [2 * np.log(2)] * 2, rtol=1e-6)


def test_cosine_embedding_margin_shapes_and_labels():
    for bad in (1.5, -1.01):
        with pytest.raises(ValueError, match=rf"the 'margin' must be in range of \[-1.0, 1.0\], but got {bad}"):
            nn.CosineEmbeddingLoss(margin=bad)
    for bad in (0, np.float32(0.5), True, "0.5"):
        with pytest.raises(TypeError, match="For 'CosineEmbeddingLoss', the type of 'margin' should be 'float'"):
            nn.CosineEmbeddingLoss(margin=bad)
    nn.CosineEmbeddingLoss(margin=1.0), nn.CosineEmbeddingLoss(margin=-1.0)  # inclusive
    loss = nn.CosineEmbeddingLoss()
    x = T(np.ones((3, 2)))
    with pytest.raises(ValueError, match="'logits_x2' must have the same shape as 'logits_x1'"):
        loss(x, T(np.ones((1, 3))), T([1, 1, 1], np.int32))
    with pytest.raises(TypeError, match="'logits_x2' must have the same dtype as 'logits_x1'"):
        loss(x, T(np.ones((3, 2)), np.float16), T([1, 1, 1], np.int32))
    with pytest.raises(ValueError, match="'logits_x1' must have at least 2 dimensions"):
        loss(T([1.0, 2.0]), T([2.0, 1.0]), T(1, np.int32))
    with pytest.raises(ValueError, match=r"the shapes of 'cosine' \(3,\) and 'labels' \(2,\) can not broadcast"):
        loss(x, x, T([1, 1], np.int32))
    with pytest.raises(ValueError, match=r"the 'labels' must have the shape \(3,\)"):
        loss(x, x, T([[1], [1], [1]], np.int32))  # MindSpore quietly gives a (3, 3) loss


def test_sampled_softmax_constructor():
    with pytest.raises(ValueError, match="'num_sampled' must be smaller than or equal to 'num_classes', but got "
                                         "'num_sampled': 8 and 'num_classes': 7"):
        nn.SampledSoftmaxLoss(8, 7)
    nn.SampledSoftmaxLoss(7, 7)  # equal is fine
    with pytest.raises(ValueError, match="'num_true' must be smaller than or equal to 'num_classes'"):
        nn.SampledSoftmaxLoss(2, 7, num_true=8)
    with pytest.raises(ValueError, match="'num_true' must be greater than or equal to 1, but got 0"):
        nn.SampledSoftmaxLoss(2, 7, num_true=0)
    with pytest.raises(ValueError, match="'seed' must be greater than or equal to 0, but got -1"):
        nn.SampledSoftmaxLoss(2, 7, seed=-1)
    with pytest.raises(ValueError, match="'num_sampled' must be greater than 0, but got 0"):
        nn.SampledSoftmaxLoss(0, 7)
    with pytest.raises(TypeError, match="For 'SampledSoftmaxLoss', the 'num_sampled' must be an int, but got float"):
        nn.SampledSoftmaxLoss(2.0, 7)
    with pytest.raises(TypeError, match="'sampled_values' must be a list or tuple, but got Tensor"):
        nn.SampledSoftmaxLoss(2, 7, sampled_values=T([1, 2], np.int32))
    with pytest.raises(ValueError, match="the length of 'sampled_values' must be equal to 3, but got 2"):
        nn.SampledSoftmaxLoss(2, 7, sampled_values=[T([1, 2], np.int32), T([0.5])])


def test_sampled_softmax_call():
    loss = sampled_loss()
    weights, biases, labels, hidden = sampled_inputs()
    with pytest.raises(TypeError, match=r"the 'labels' must be a Tensor of \[int32, int64\], but got float32"):
        loss(weights, biases, T([[0.0], [3.0]]), hidden)
    for bad in (-1, 5, 9):
        with pytest.raises(ValueError, match=rf"For 'SampledSoftmaxLoss', every value of 'labels' must be in "
                                             rf"\[0, 5\), but got {bad}"):
            loss(*sampled_inputs(labels=(0, bad)))
    for ids in ([1, 5], [-1, 2]):
        bad_ids = sampled_loss(sampled_values=(T(ids, np.int32), T([[0.5], [0.5]]), T([0.5, 0.5])))
        with pytest.raises(ValueError, match=r"For 'SampledSoftmaxLoss', every value of 'sampled_values' ids must "
                                             r"be in \[0, 5\)"):
            bad_ids(weights, biases, labels, hidden)
    with pytest.raises(ValueError, match=r"the sampled ids in 'sampled_values' must be 2 ints \(num_sampled\)"):
        sampled_loss(sampled_values=(T([1, 2, 3], np.int32), T([[0.5]]), T([0.5] * 3)))(*sampled_inputs())
    with pytest.raises(ValueError, match=r"'true_expected_count' .* must be floats broadcasting to \(2, 1\)"):
        sampled_loss(sampled_values=(T([1, 2], np.int32), T([0.5, 0.5]), T([0.5, 0.5])))(*sampled_inputs())
    with pytest.raises(ValueError, match=r"the 'weights' must have the shape \(5, D\)"):
        loss(T(np.ones((4, 3))), biases, labels, hidden)
    with pytest.raises(ValueError, match=r"the 'logits' must have the shape \(N, 3\)"):
        loss(weights, biases, labels, T(np.ones((2, 4))))
    with pytest.raises(ValueError, match=r"the 'labels' must reshape to \(N, num_true\) = \(2, 1\)"):
        loss(weights, biases, T([0, 1, 2], np.int32), hidden)
    with pytest.raises(ValueError, match="can not draw 4 distinct ids"):
        nn.SampledSoftmaxLoss(4, 5)(weights, biases, labels, hidden)  # 5 classes minus 2 true labels


def test_get_loss_weights():
    loss = LossBase()
    with pytest.raises(TypeError, match="For 'LossBase', the 'weights' must be a number or a Tensor, but got "
                                        "numpy.ndarray"):
        loss.get_loss(T([1.0, 2.0]), np.array([1.0, 2.0], f32))
    with pytest.raises(ValueError, match=r"For 'LossBase', the shapes of 'x' \(2, 3\) and 'weights' \(2,\) can not"):
        loss.get_loss(T(np.ones((2, 3))), T([1.0, 2.0]))
    with pytest.raises(TypeError, match="For 'LossBase', the 'x' must be a Tensor"):
        loss.get_loss(np.ones(3))


def test_functional_forms_name_themselves():
    with pytest.raises(TypeError, match="For 'l1_loss', the 'input' must be a Tensor"):
        LF.l1_loss(np.ones(2), T([1.0, 2.0]))
    with pytest.raises(ValueError, match="For 'mse_loss', the shapes of 'input' .* and 'target'"):
        LF.mse_loss(T(np.ones((2, 3))), T(np.ones((3, 2))))
    with pytest.raises(ValueError, match="For 'smooth_l1_loss', the 'beta' must be greater than 0"):
        LF.smooth_l1_loss(T([1.0]), T([0.0]), beta=0.0)
    with pytest.raises(ValueError, match=r"For 'binary_cross_entropy', every value of 'logits' must be in \[0, 1\]"):
        LF.binary_cross_entropy(T([1.5]), T([0.0]))
    with pytest.raises(ValueError, match="For 'cosine_embedding_loss', the 'margin' must be in range"):
        LF.cosine_embedding_loss(T([[1.0]]), T([[1.0]]), T([1]), margin=2.0)
    with pytest.raises(ValueError, match="For 'l1_loss', the 'reduction' must be in"):
        LF.l1_loss(T([1.0]), T([1.0]), reduction="avg")
