"""Tensor: dtype rules, printing, operators, indexing, conversions."""
import numpy as np
import pytest

import lossviz
from lossviz import Tensor


# ----- dtype rules (spec §1) -----
@pytest.mark.parametrize("value, dtype", [
    (1.5, lossviz.float32),
    (2, lossviz.int64),
    (True, lossviz.bool_),
    ([1.0, 2.0], lossviz.float32),
    ([1, 2], lossviz.int64),
    ([[True, False]], lossviz.bool_),
    ((1.0, 2), lossviz.float32),
    (np.array([1.0, 2.0]), lossviz.float64),
    (np.array([1, 2], np.int32), lossviz.int32),
    (np.array([1, 2], np.float16), lossviz.float16),
    (np.float64(0.1), lossviz.float64),
    (np.float32(0.1), lossviz.float32),
    (np.int32(3), lossviz.int32),
    ([np.float64(1.0), 2.0], lossviz.float64),
], ids=repr)
def test_dtype_rules(value, dtype):
    assert Tensor(value).dtype == dtype


def test_float64_values_are_kept_exactly():
    assert Tensor(np.float64(0.1)).item() == 0.1
    assert Tensor(0.1, lossviz.float64).item() == 0.1
    assert Tensor([0.1, 0.2], dtype=lossviz.float64).asnumpy().tolist() == [0.1, 0.2]


def test_float64_end_to_end():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = ((x * 2.0 + 1) / 3.0 - x.mean()) ** 2
    loss = y.sum()
    assert y.dtype == lossviz.float64 and loss.dtype == lossviz.float64
    loss.backward()
    assert x.grad.dtype == lossviz.float64


def test_dtype_argument_and_astype():
    t = Tensor([1, 2], dtype=lossviz.float32)
    assert t.dtype == lossviz.float32
    assert t.astype(lossviz.float64).dtype == lossviz.float64
    assert t.astype(np.int32).dtype == lossviz.int32
    np.testing.assert_array_equal(Tensor(np.array([1.7, -1.7])).astype(lossviz.int32).asnumpy(), [1, -1])


def test_promotion_follows_mindspore():
    f32 = Tensor(np.array([1.0], np.float32))
    i32 = Tensor(np.array([2], np.int32))
    assert (f32 + Tensor(np.array([1.0]))).dtype == lossviz.float64
    assert (i32 * 0.5).dtype == lossviz.float32
    assert (i32 + f32).dtype == lossviz.float32
    assert (i32 + 1).dtype == lossviz.int32
    assert (f32 * 2).dtype == lossviz.float32
    assert (i32 / i32).dtype == lossviz.float32


def test_bad_input_data():
    with pytest.raises(TypeError, match="For 'Tensor', the 'input_data' must be"):
        Tensor("1.0")
    with pytest.raises(TypeError, match="must not be None"):
        Tensor()


def test_tensor_of_a_tensor_is_a_copy():
    a = Tensor(np.array([1.0, 2.0]))
    b = Tensor(a)
    b.asnumpy()[0] = 5.0
    assert a.asnumpy()[0] == 1.0


# ----- printing -----
@pytest.mark.parametrize("value, text", [
    (np.float32(1.5), "1.5"),
    (np.float32(0.1) / np.float32(3) , "0.033333335"),
    (np.array([[1, 0, 2], [1, 2, 3]], np.float32), "[[1. 0. 2.]\n [1. 2. 3.]]"),
    (np.array(True), "True"),
    (np.array([1, 2], np.int64), "[1 2]"),
])
def test_print_is_numpys_str(value, text, capsys):
    print(Tensor(value))
    assert capsys.readouterr().out == text + "\n"
    assert str(Tensor(value)) == str(np.asarray(value))


def test_repr_shows_shape_dtype_and_value():
    assert repr(Tensor(np.float32(1.5))) == "Tensor(shape=[], dtype=Float32, value= 1.5)"
    assert repr(Tensor(np.array([[1, 2]], np.int32))) == "Tensor(shape=[1, 2], dtype=Int32, value=\n[[1 2]])"


def test_dtype_objects():
    assert str(lossviz.float32) == "Float32"
    assert str(lossviz.bool_) == "Bool"
    assert str(lossviz.int64) == "Int64"
    assert repr(lossviz.float16) == "lossviz.float16"
    assert lossviz.float32 == np.float32 and lossviz.float32 == np.dtype("float32")
    assert lossviz.int32 != lossviz.int64 and lossviz.float64 != "not a dtype"
    for name in ("float16", "float32", "float64", "int32", "int64", "bool_"):
        assert getattr(lossviz, name).np_dtype == np.dtype(name.rstrip("_"))
    assert len({lossviz.float32, lossviz.float32}) == 1


# ----- operators -----
A = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
B = np.array([0.5, 2.0, -1.0])


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b, lambda a, b: abs(a) ** b,
    lambda a, b: 2.0 - a, lambda a, b: 3 / b, lambda a, b: 2.0 ** b, lambda a, b: 1 + a, lambda a, b: 2 * a,
    lambda a, b: -a, lambda a, b: +a, lambda a, b: abs(a), lambda a, b: a @ b, lambda a, b: b @ a.T,
], ids=["add", "sub", "mul", "div", "pow", "rsub", "rtruediv", "rpow", "radd", "rmul", "neg", "pos", "abs",
        "matmul", "rmatmul-T"])
def test_operators_broadcast_like_numpy(op):
    got = op(Tensor(A), Tensor(B))
    assert isinstance(got, Tensor)
    np.testing.assert_allclose(got.asnumpy(), op(A, B))


def test_a_numpy_array_operand_is_refused_clearly():
    # numpy defers to the Tensor (no silent object array); ops take Tensors or numbers only
    with pytest.raises(TypeError, match="For 'Add', the input 'x' must be a Tensor or a number, but got ndarray"):
        np.array([1.0, 2.0]) + Tensor(np.array([1.0, 1.0]))
    with pytest.raises(TypeError, match="For 'Mul', the input 'y' must be a Tensor or a number"):
        Tensor(np.array([1.0, 1.0])) * np.array([1.0, 2.0])


@pytest.mark.parametrize("op", [
    lambda a, b: a < b, lambda a, b: a <= b, lambda a, b: a > b, lambda a, b: a >= b,
    lambda a, b: a == b, lambda a, b: a != b, lambda a, b: a > 0.0,
], ids=["lt", "le", "gt", "ge", "eq", "ne", "gt-scalar"])
def test_comparisons_return_bool_tensors(op):
    got = op(Tensor(A), Tensor(B))
    assert isinstance(got, Tensor) and got.dtype == lossviz.bool_ and not got.requires_grad
    np.testing.assert_array_equal(got.asnumpy(), op(A, B))


def test_indexing():
    t = Tensor(np.arange(12.0).reshape(3, 4))
    assert t[1, 2].item() == 6.0
    np.testing.assert_array_equal(t[1].asnumpy(), [4, 5, 6, 7])
    np.testing.assert_array_equal(t[:, 1:3].asnumpy(), np.arange(12.0).reshape(3, 4)[:, 1:3])
    np.testing.assert_array_equal(t[Tensor(np.array([2, 0]))].asnumpy()[:, 0], [8, 0])
    np.testing.assert_array_equal(t[t > 9.0].asnumpy(), [10, 11])
    np.testing.assert_array_equal(t[..., None].shape, (3, 4, 1))
    assert [row.shape for row in t] == [(4,)] * 3 and len(t) == 3


def test_item_float_int_and_shape_attributes():
    t = Tensor(np.array([[2.5]], np.float32))
    assert t.item() == 2.5 and isinstance(t.item(), float)
    assert float(t) == 2.5 and int(Tensor(3)) == 3
    assert t.shape == (1, 1) and t.ndim == 2 and t.size == 1
    assert isinstance(t.asnumpy(), np.ndarray)
    assert isinstance(Tensor(1.5).asnumpy(), np.ndarray) and Tensor(1.5).asnumpy().shape == ()
    with pytest.raises(TypeError):
        len(Tensor(1.0))


def test_sum_mean_max_min_and_shape_methods():
    t = Tensor(np.array([[1.0, 2.0], [3.0, 6.0]]))
    assert t.sum().item() == 12.0 and t.mean().item() == 3.0
    np.testing.assert_array_equal(t.sum(0).asnumpy(), [4, 8])
    np.testing.assert_array_equal(t.mean(1, keep_dims=True).asnumpy(), [[1.5], [4.5]])
    assert t.max().item() == 6.0 and t.min().item() == 1.0
    assert t.reshape(4).shape == (4,) and t.reshape((1, 4)).shape == (1, 4) and t.reshape(1, -1).shape == (1, 4)
    np.testing.assert_array_equal(t.T.asnumpy(), t.asnumpy().T)
    assert t.transpose(1, 0).shape == (2, 2) and t.expand_dims(0).shape == (1, 2, 2)
    np.testing.assert_allclose(t.exp().log().asnumpy(), t.asnumpy(), rtol=1e-12)
