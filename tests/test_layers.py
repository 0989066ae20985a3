"""Dense, activations, SequentialCell and the initializers (spec §5.1, §5.2)."""
import math

import numpy as np
import pytest

import lossviz
import lossviz.nn as nn
import lossviz.ops as ops
from gradcheck import check_grads
from lossviz import Parameter, Tensor
from lossviz.common import initializer as init
from lossviz.common.initializer import Normal
from lossviz.tutorial_code import LinearNet


# ----- Dense -----
def test_dense_parameters_names_shapes_and_repr():
    dense = nn.Dense(3, 2)
    assert dense.weight.shape == (2, 3) and dense.bias.shape == (2,)
    assert [p.name for p in dense.trainable_params()] == ["weight", "bias"]
    assert dense.weight.dtype == lossviz.float32
    assert repr(nn.Dense(1, 1, Normal(0.02), Normal(0.02))) == "Dense<input_channels=1, output_channels=1, has_bias=True>"
    assert repr(nn.Dense(2, 3, has_bias=False)) == "Dense<input_channels=2, output_channels=3>"
    no_bias = nn.Dense(2, 3, has_bias=False)
    assert no_bias.bias is None and [p.name for p in no_bias.trainable_params()] == ["weight"]


def test_dense_in_a_cell_is_named_by_its_attribute():  # the tutorial's LinearNet holds it as self.fc
    assert [p.name for p in LinearNet().trainable_params()] == ["fc.weight", "fc.bias"]


def test_dense_forward_is_x_weight_transposed_plus_bias():
    w = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32)
    b = np.array([0.5, -0.5], np.float32)
    dense = nn.Dense(3, 2, Tensor(w), Tensor(b))
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_allclose(dense(Tensor(x)).asnumpy(), x @ w.T + b, rtol=1e-6)
    assert dense(Tensor(x[0])).shape == (2,)  # (in,) -> (out,)
    x3 = np.arange(24, dtype=np.float32).reshape(2, 4, 3)  # (*lead, in) -> (*lead, out)
    np.testing.assert_allclose(dense(Tensor(x3)).asnumpy(), x3 @ w.T + b, rtol=1e-6)
    assert nn.Dense(3, 2, Tensor(w), has_bias=False)(Tensor(x)).asnumpy() == pytest.approx(x @ w.T)


def test_dense_kernel_equals_the_composed_matmul_and_add():
    lossviz.set_seed(1)
    dense = nn.Dense(3, 2)
    x = Tensor(np.random.randn(5, 3).astype(np.float32))

    def composed(x, w, b):
        return ops.MatMul(transpose_b=True)(x, w) + b

    def f_dense(x):
        return (dense(x) * dense(x)).sum()

    def f_composed(x):
        y = composed(x, dense.weight, dense.bias)
        return (y * y).sum()

    weights = dense.trainable_params()
    (v1, (gx1, gw1)), (v2, (gx2, gw2)) = [lossviz.value_and_grad(f, 0, weights)(x) for f in (f_dense, f_composed)]
    np.testing.assert_allclose(v1.asnumpy(), v2.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(gx1.asnumpy(), gx2.asnumpy(), rtol=1e-5)
    for a, b in zip(gw1, gw2):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-5)


@pytest.mark.parametrize("has_bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 2, 3)])
def test_dense_gradients_by_central_differences(has_bias, shape):
    """The fused kernel's backward, in float64, against central differences (x, weight, bias)."""
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(2, 3)), rng.normal(size=(2,))
    check_grads(lambda x, w, b: _dense_fn(x, w, b, has_bias), rng.normal(size=shape), w, b)


def _dense_fn(x, w, b, has_bias):
    # the kernel itself, on float64 Tensors that require grad (check_grads marks them)
    lead = x.shape[:-1]
    x2 = ops.reshape(x, (-1, 3))
    y = ops.dense(x2, w, b if has_bias else None)
    y = ops.reshape(y, lead + (2,))
    return y * y


@pytest.mark.parametrize("args,error,match", [
    ((0, 1), ValueError, "'in_channels' must be a positive int"),
    ((1, -2), ValueError, "'out_channels' must be a positive int"),
    ((1.0, 1), ValueError, "'in_channels' must be a positive int"),
    ((True, 1), ValueError, "'in_channels' must be a positive int"),
])
def test_dense_channel_validation(args, error, match):
    with pytest.raises(error, match=match):
        nn.Dense(*args)


def test_dense_init_validation_and_input_errors():
    with pytest.raises(ValueError, match=r"shape of 'weight_init' must be \(2, 3\), but got \(3, 2\)"):
        nn.Dense(3, 2, Tensor(np.zeros((3, 2), np.float32)))
    with pytest.raises(ValueError, match=r"shape of 'bias_init' must be \(2,\)"):
        nn.Dense(3, 2, bias_init=Tensor(np.zeros(3, np.float32)))
    with pytest.raises(ValueError, match="init name must be one of"):
        nn.Dense(3, 2, "gaussian")
    dense = nn.Dense(3, 2)
    with pytest.raises(ValueError, match="in_channels=3"):
        dense(Tensor(np.zeros((4, 2), np.float32)))
    with pytest.raises(TypeError, match="does not cast"):
        dense(Tensor(np.zeros((4, 3), np.float64)))
    with pytest.raises(TypeError, match="does not cast"):
        dense(Tensor(np.zeros((4, 3), np.int64)))
    with pytest.raises(TypeError, match="must be a Tensor"):
        dense(np.zeros((4, 3), np.float32))


@pytest.mark.parametrize("weight_init,expected", [("ones", 1.0), ("zeros", 0.0), (2.5, 2.5), (init.One(), 1.0),
                                                  (init.Constant(-1), -1.0)])
def test_dense_constant_inits(weight_init, expected):
    dense = nn.Dense(2, 3, weight_init, weight_init)
    assert (dense.weight.asnumpy() == expected).all() and (dense.bias.asnumpy() == expected).all()


def test_dense_default_init_bounds():
    lossviz.set_seed(0)
    dense = nn.Dense(100, 50)
    bound = 1 / math.sqrt(100)  # HeUniform(sqrt(5)) and Uniform(1/sqrt(in)) both give this bound
    for p in (dense.weight, dense.bias):
        values = p.asnumpy()
        assert values.min() >= -bound and values.max() <= bound
        assert values.max() > 0.8 * bound and values.min() < -0.8 * bound


# ----- initializers -----
def test_each_initializer_backed_parameter_takes_one_numpy_draw():
    np.random.seed(5)
    nn.Dense(4, 3, Normal(0.02), "zeros")
    after = np.random.random()
    np.random.seed(5)
    for _ in range(2):
        np.random.randint(low=1, high=2**63, dtype=np.int64)
    assert after == np.random.random()
    np.random.seed(5)
    nn.Dense(4, 3, Tensor(np.zeros((3, 4), np.float32)), has_bias=False)  # a Tensor init draws nothing
    first = np.random.random()
    np.random.seed(5)
    assert first == np.random.random()


def test_initializers_are_reproducible_under_set_seed():
    lossviz.set_seed(42)
    a = nn.Dense(3, 3, Normal(0.02), Normal(0.02))
    lossviz.set_seed(42)
    b = nn.Dense(3, 3, Normal(0.02), Normal(0.02))
    np.testing.assert_array_equal(a.weight.asnumpy(), b.weight.asnumpy())
    assert not np.array_equal(a.weight.asnumpy().ravel()[:3], a.bias.asnumpy())  # weight and bias differ


@pytest.mark.parametrize("make,check", [
    (lambda: Normal(0.02, 1.0), lambda v: abs(v.mean() - 1.0) < 0.003 and abs(v.std() - 0.02) < 0.002),
    (lambda: init.Uniform(0.5), lambda v: v.min() >= -0.5 and v.max() <= 0.5 and abs(v.mean()) < 0.03),
    (lambda: init.TruncatedNormal(1.0, a=-0.5, b=0.5), lambda v: v.min() >= -0.5 and v.max() <= 0.5),
    (lambda: init.XavierUniform(), lambda v: np.abs(v).max() <= math.sqrt(6 / (40 + 25))),
    (lambda: init.HeUniform(), lambda v: np.abs(v).max() <= math.sqrt(3) * math.sqrt(2) / math.sqrt(40)),
    (lambda: init.HeNormal(), lambda v: abs(v.std() - math.sqrt(2) / math.sqrt(40)) < 0.02),
    (lambda: "normal", lambda v: abs(v.std() - 0.01) < 0.001),
    (lambda: "xavier_uniform", lambda v: np.abs(v).max() <= math.sqrt(6 / (40 + 25))),
], ids=["Normal", "Uniform", "TruncatedNormal", "XavierUniform", "HeUniform", "HeNormal", "'normal'",
        "'xavier_uniform'"])
def test_initializer_distributions(make, check):
    lossviz.set_seed(0)
    values = init.initializer(make(), (25, 40), lossviz.float32).asnumpy()
    assert values.dtype == np.float32 and values.shape == (25, 40)
    assert check(values.astype(np.float64))


def test_initializer_function_forms_and_errors():
    assert init.initializer("ones", (2,), lossviz.float64).dtype == lossviz.float64
    assert (init.initializer(3, [2, 2]).asnumpy() == 3).all()
    t = init.initializer(Tensor(np.ones((2, 2), np.float32)), (2, 2))
    assert t.shape == (2, 2)
    with pytest.raises(ValueError, match="does not match"):
        init.initializer(Tensor(np.ones((2, 2), np.float32)), (3,))
    with pytest.raises(TypeError, match="must be an Initializer"):
        init.initializer(object(), (2,))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.initializer(init.HeUniform(), (3,))
    with pytest.raises(ValueError, match="'sigma' must be >= 0"):
        Normal(-1.0)
    assert repr(Normal(0.02)) == "Normal(sigma=0.02, mean=0.0)"


# ----- activations and SequentialCell -----
def test_activations_and_sequential_mlp():
    x = Tensor(np.array([[-1.0, 2.0]], np.float32))
    np.testing.assert_allclose(nn.ReLU()(x).asnumpy(), [[0.0, 2.0]])
    np.testing.assert_allclose(nn.Sigmoid()(x).asnumpy(), 1 / (1 + np.exp(-np.array([[-1.0, 2.0]]))), rtol=1e-6)
    mlp = nn.SequentialCell(nn.Dense(2, 4, "ones", "zeros", activation="relu"), nn.Dense(4, 1, "ones", "zeros"))
    assert len(mlp) == 2 and isinstance(mlp[0], nn.Dense)
    assert [p.name for p in mlp.trainable_params()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    np.testing.assert_allclose(mlp(x).asnumpy(), [[4.0]])
    seq = nn.SequentialCell([nn.Dense(2, 2), nn.Sigmoid()])
    assert seq(x).shape == (1, 2)
    with pytest.raises(TypeError, match="must be a Cell"):
        nn.SequentialCell(nn.Dense(2, 2), print)
    with pytest.raises(KeyError, match="'activation' must be one of"):
        nn.Dense(2, 2, activation="swish")
