"""Issue 12's reproducers, one test each: bad input gets a clear error, never a wrong number.

Elsewhere: checkpoints in test_checkpoint.py (atomic save, the reserved name, damaged headers,
max_bytes), datasets in test_dataset.py (generator objects, empty datasets, dict sources),
LiveLossPlot's arguments in test_viz.py, and the fuzz test (test_fuzz.py) for everything at once.
"""
import warnings

import numpy as np
import pytest

import lossviz
from lossviz import Parameter, Tensor, nn, ops
from lossviz.viz import compare_losses, make_linear_data


def T(a, dtype=np.float32):
    return Tensor(np.array(a, dtype))


# -- 0-d inputs work in the fused kernels ----------------------------------------------------
@pytest.mark.parametrize("loss, x, y, expected", [
    (nn.SmoothL1Loss(), 3.0, 0.0, 2.5),
    (nn.BCELoss(), 0.5, 1.0, np.log(2.0)),
    (nn.L1Loss(), 2.0, -1.0, 3.0),
    (nn.MSELoss(), 2.0, -1.0, 9.0),
])
def test_0d_inputs_give_the_right_number(loss, x, y, expected):
    out = loss(T(x), T(y))
    assert out.shape == () and out.dtype == lossviz.float32
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)


def test_0d_gradients():
    grad = lossviz.grad(lambda x, y: nn.SmoothL1Loss()(x, y), grad_position=(0, 1))(T(0.5), T(0.0))
    np.testing.assert_allclose([g.asnumpy() for g in grad], [0.5, -0.5])


# -- SmoothL1Loss with a beta whose inverse overflows the dtype ------------------------------
@pytest.mark.parametrize("dtype, beta", [(np.float32, 1e-40), (np.float32, 1e-50), (np.float16, 1e-5),
                                         (np.float64, 1e-320)])
def test_smooth_l1_with_a_tiny_beta_is_finite_and_right(dtype, beta):
    d = np.array([3.0, -2.0, 0.0, 0.5], dtype)
    x, y = Tensor(d), Tensor(np.zeros(4, dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no overflow warning either
        out = nn.SmoothL1Loss(beta=beta)(x, y).asnumpy()
        grad = lossviz.grad(lambda a: nn.SmoothL1Loss(beta=beta, reduction="sum")(a, y))(x).asnumpy()
    # |d| >= beta everywhere but d = 0: the loss is |d| - beta/2 = |d| in the dtype, the gradient sign(d)
    np.testing.assert_allclose(out, np.abs(d).astype(np.float64), rtol=1e-3)
    np.testing.assert_array_equal(grad, np.sign(d))


# -- out-of-range arguments are refused, not wrapped or coerced ------------------------------
@pytest.mark.parametrize("call, error, message", [
    (lambda x: ops.gather(x, Tensor(np.array([0])), 5), ValueError, "For 'Gather', the 'axis' must be in range"),
    (lambda x: ops.transpose(x, (0, 5)), ValueError, "For 'Transpose', the 'input_perm' must be in range"),
    (lambda x: ops.one_hot(Tensor(np.array([0, 1])), -1, T(1.0), T(0.0)), ValueError,
     "For 'OneHot', the 'depth' must be >= 0"),
    (lambda x: ops.one_hot(Tensor(np.array([0, 1])), 2.7, T(1.0), T(0.0)), TypeError,
     "For 'OneHot', the 'depth' must be an int"),
    (lambda x: ops.one_hot(Tensor(np.array([0, 1])), "3", T(1.0), T(0.0)), TypeError,
     "For 'OneHot', the 'depth' must be an int"),
    (lambda x: ops.SparseSoftmaxCrossEntropyWithLogits()(x, Tensor(np.array([-1, 0], np.int32))), ValueError,
     "For 'SparseSoftmaxCrossEntropyWithLogits', the 'labels' must be class indices in \\[0, 3\\), but got -1"),
    (lambda x: ops.SparseSoftmaxCrossEntropyWithLogits()(x, Tensor(np.array([0.0, 1.0]))), TypeError,
     "the 'labels' must be integer class indices"),
])
def test_out_of_range_arguments_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call(T(np.ones((2, 3))))


# -- numpy's own messages are replaced by ones that name the op ------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda: ops.expand_dims(T(np.ones((2, 3))), 10), "For 'ExpandDims', the 'axis' must be in range \\[-3, 3\\)"),
    (lambda: ops.concat([]), "For 'Concat', the input must hold at least one Tensor"),
    (lambda: ops.matmul(T(1.0), T([1.0])), "For 'MatMul', the inputs must be at least 1-D"),
    (lambda: Tensor([[1], [1, 2]]), "For 'Tensor', the 'input_data' must be rectangular"),
    (lambda: ops.reshape(T(np.ones((2, 3))), (4,)), "For 'Reshape', can not reshape"),
    (lambda: ops.ReduceSum()(T(np.ones((2, 3))), 5), "For 'ReduceSum', the 'axis' must be in range"),
    (lambda: T(np.ones((2, 3))) + T([1.0, 2.0]), "For 'Add', the inputs 'x' \\(2, 3\\) float32, 'y' \\(2,\\)"),
    (lambda: ops.softmax(T(np.ones((2, 3))), 7), "For 'Softmax', the 'axis' must be in range"),
    (lambda: nn.Dense(3, 0), "For 'Dense', the 'out_channels' must be a positive int"),
])
def test_bad_shapes_and_axes_name_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- the grad API ---------------------------------------------------------------------------
def test_grad_of_grad_is_a_clear_error_not_zero():
    f = lossviz.grad(lambda x: (x * x * x).sum())
    with pytest.raises(NotImplementedError, match="For 'grad', higher-order gradients"):
        lossviz.grad(f)(T([1.0, 2.0]))


def test_a_duplicated_position_gives_both_copies_the_gradient():
    g0, g1 = lossviz.grad(lambda x, y: (x * y).sum(), grad_position=(0, 0))(T([1.0, 2.0]), T([3.0, 4.0]))
    np.testing.assert_array_equal(g0.asnumpy(), [3.0, 4.0])
    np.testing.assert_array_equal(g1.asnumpy(), [3.0, 4.0])


def test_empty_or_out_of_range_positions_are_refused():
    f = lambda x, y: (x * y).sum()      # noqa: E731
    with pytest.raises(ValueError, match="'grad_position' must name at least one input"):
        lossviz.grad(f, grad_position=())(T([1.0]), T([2.0]))
    with pytest.raises(ValueError, match="'grad_position' 2 is out of range for 2 inputs"):
        lossviz.grad(f, grad_position=2)(T([1.0]), T([2.0]))


def test_a_function_that_leaves_the_graph_gets_a_warning():
    with pytest.warns(UserWarning, match="does not depend on the inputs .* computed with numpy"):
        grad = lossviz.grad(lambda x: Tensor(np.sum(x.asnumpy())))(T([1.0, 2.0]))
    np.testing.assert_array_equal(grad.asnumpy(), [0.0, 0.0])


# -- optimizers -------------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda p: nn.SGD(p, learning_rate=float("nan")), "For 'SGD', the 'learning_rate' must be a finite number"),
    (lambda p: nn.SGD(p, learning_rate=float("inf")), "For 'SGD', the 'learning_rate' must be a finite number"),
    (lambda p: nn.SGD(p, 0.1, weight_decay=float("nan")), "For 'SGD', the 'weight_decay' must be a finite"),
    (lambda p: nn.Momentum(p, 0.1, float("nan")), "For 'Momentum', the 'momentum' must be a finite number"),
    (lambda p: nn.Momentum(p, 0.1, 0.9, weight_decay=float("-inf")), "For 'Momentum', the 'weight_decay'"),
    (lambda p: nn.Adam(p, 0.1, eps=float("inf")), "For 'Adam', the 'eps' must be a finite number"),
    (lambda p: nn.Adam(p, float("nan")), "For 'Adam', the 'learning_rate' must be a finite number"),
])
def test_optimizers_refuse_nan_and_inf_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(T([1.0]), name="w")])


# -- the teaching helpers -----------------------------------------------------------------------
@pytest.mark.parametrize("call, error, message", [
    (lambda: make_linear_data(num=0), ValueError, "For 'make_linear_data', the 'num' must be >= 1"),
    (lambda: make_linear_data(num=2.5), TypeError, "For 'make_linear_data', the 'num' must be an int"),
    (lambda: make_linear_data(shift=float("nan")), ValueError, "the 'shift' must be a finite number"),
    (lambda: compare_losses(num=0), ValueError, "For 'make_linear_data', the 'num' must be >= 1"),
    (lambda: compare_losses(epochs=0), ValueError, "For 'compare_losses', the 'epochs' must be >= 1"),
])
def test_widget_helpers_refuse_empty_data(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- dtypes are named, never guessed ----------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda: ops.cast(T([1.0]), "float"), "For 'Cast', the 'dtype' must be a lossviz or numpy number type"),
    (lambda: ops.cast(T([1.0]), None), "For 'Cast', the 'dtype' must be a lossviz or numpy number type"),
    (lambda: Tensor([1.0], dtype="float32"), "For 'Tensor', the 'dtype' must be a lossviz dtype"),
])
def test_a_string_or_none_dtype_is_refused_not_read_as_float64(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_dtypes_that_name_themselves_are_accepted():
    assert ops.cast(T([1.0]), lossviz.float16).dtype == lossviz.float16
    assert ops.cast(T([1.0]), np.float64).dtype == lossviz.float64
    assert ops.cast(T([1.0]), np.dtype("int32")).dtype == lossviz.int32
    assert Tensor([1.0], dtype=float).dtype == lossviz.float64
