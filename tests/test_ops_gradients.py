"""Every primitive's gradient, checked by central differences in float64.

One table (``CASES``) drives the tests: each row names an op, says how to call
it on Tensors, which input shapes to try and what values are allowed (the
domain keeps inputs away from kinks, poles and ties, where central differences
mean nothing). Hypothesis draws the shapes and values; ``check_grads`` compares
the full gradient and one random-direction VJP. The op name is the test id.
"""
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import lossviz
import lossviz.ops as ops
from lossviz import Tensor
from gradcheck import check_grads, engine_vjp

SETTINGS = settings(max_examples=8, deadline=None, derandomize=True)


# ----- domains: turn any drawn floats in [-2, 2] into allowed inputs -----
def real(a):
    return a


def positive(a):  # Log, Sqrt, Pow's base
    return np.abs(a) + 0.5


def nonzero(a):  # Abs, Sign, a divisor: at least 0.5 away from 0
    return np.where(a >= 0, a + 0.5, a - 0.5)


def grid(a):  # multiples of 1/4 ...
    return np.round(a * 4) / 4


def off_grid(a):  # ... and halfway between them: a grid and an off_grid value differ by >= 1/8
    return grid(a) + 0.125


def distinct(a):  # all values at least 0.1 apart (no ties for ReduceMax)
    ranks = np.argsort(np.argsort(a, axis=None, kind="stable")).reshape(a.shape)
    return ranks * 0.5 + 0.2 * np.tanh(a)


BROADCAST_PAIRS = [((3, 4), (1, 4)), ((3, 4), (4,)), ((2, 3, 4), (4,)), ((1, 4), (3, 4)), ((3, 1), (1, 4)),
                   ((), (2, 3)), ((2, 3), (2, 3))]
ANY_SHAPE = [(), (4,), (3, 4), (2, 3, 4)]
MATRIX_SHAPES = [(3, 4), (2, 3, 4), (4, 2)]


@dataclass
class Case:
    """One op under test: ``fn(*tensors)``, input shapes to draw from, a domain per input."""

    name: str
    fn: object
    shapes: list  # each entry: a tuple of shapes, one per input
    domains: tuple = (real,)
    extra: object = None  # fn(shapes, draw) -> extra non-float inputs (indices, conditions)
    functional: object = None  # the lowercase form, same maths
    kwargs: dict = field(default_factory=dict)


def unary(name, op, domain=real, functional=None, shapes=None):
    return Case(name, op, [(s,) for s in (shapes or ANY_SHAPE)], (domain,), functional=functional)


def binary(name, op, domains=(real, real), functional=None):
    return Case(name, op, BROADCAST_PAIRS, domains, functional=functional)


def reduce_cases(op_class, functional, domain=real):
    cases = []
    for keep in (False, True):
        for axis in (1, (0, -1), None):
            label = f"{op_class.__name__}-keep{keep}-axis{axis}"
            if axis is None:  # called with nothing: all axes
                fn = (lambda op: lambda x: op(x))(op_class(keep))
            else:
                fn = (lambda op, axis: lambda x: op(x, axis))(op_class(keep), axis)
            form = (lambda axis, keep: lambda x: functional(x, axis, keep))(axis, keep)
            cases.append(Case(label, fn, [((2, 3, 4),), ((3, 4),)], (domain,), functional=form))
    return cases


def gather_indices(shapes, draw):
    size = shapes[0][1]  # gathers along axis 1
    return [np.array(draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=6)), np.int64)]


def select_condition(shapes, draw):
    shape = np.broadcast_shapes(*shapes)
    return [draw(hnp.arrays(np.bool_, shape))]


CASES = [
    unary("Abs", ops.Abs(), nonzero, ops.abs),
    unary("Neg", ops.Neg(), real, ops.neg),
    binary("Add", ops.Add(), functional=ops.add),
    binary("Sub", ops.Sub(), functional=ops.sub),
    binary("Mul", ops.Mul(), functional=ops.mul),
    binary("Div", ops.Div(), (real, nonzero), ops.div),
    binary("Pow", ops.Pow(), (positive, real), ops.pow),
    unary("Square", ops.Square(), real, ops.square),
    unary("Sqrt", ops.Sqrt(), positive, ops.sqrt),
    unary("Exp", ops.Exp(), real, ops.exp),
    unary("Log", ops.Log(), positive, ops.log),
    unary("Sign", ops.Sign(), nonzero, ops.sign),
    binary("Maximum", ops.Maximum(), (grid, off_grid), ops.maximum),
    binary("Minimum", ops.Minimum(), (grid, off_grid), ops.minimum),
    unary("Sigmoid", ops.Sigmoid(), real, ops.sigmoid),
    unary("ReLU", ops.ReLU(), nonzero, ops.relu),
    *reduce_cases(ops.ReduceSum, ops.sum),
    *reduce_cases(ops.ReduceMean, ops.mean),
    *reduce_cases(ops.ReduceMax, ops.amax, distinct),
    Case("MatMul", ops.MatMul(), [((3, 4), (4, 2)), ((1, 3), (3, 1))], (real, real), functional=ops.matmul),
    Case("MatMul-transpose_a", ops.MatMul(transpose_a=True), [((4, 3), (4, 2))], (real, real)),
    Case("MatMul-transpose_b", ops.MatMul(transpose_b=True), [((3, 4), (2, 4))], (real, real)),
    Case("MatMul-transpose_ab", ops.MatMul(True, True), [((4, 3), (2, 4))], (real, real)),
    Case("matmul-vectors-and-batches", ops.matmul,
         [((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 2)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3)),
          ((2, 1, 3, 4), (3, 4, 2))], (real, real)),
    Case("Reshape", lambda x: ops.Reshape()(x, (4, -1)), [((2, 3, 4),), ((4, 3),)],
         functional=lambda x: ops.reshape(x, (4, -1))),
    Case("ExpandDims", lambda x: ops.ExpandDims()(x, 1), [((3, 4),), ((2, 3, 4),)],
         functional=lambda x: ops.expand_dims(x, 1)),
    Case("Squeeze", lambda x: ops.Squeeze(1)(x), [((3, 1, 4),)]),
    Case("Transpose", lambda x: ops.Transpose()(x, (2, 0, 1)), [((2, 3, 4),)],
         functional=lambda x: ops.transpose(x, (2, 0, 1))),
    Case("Transpose-negative-axes", lambda x: ops.Transpose()(x, (-1, 0, 1)), [((2, 3, 4),)]),
    Case("BroadcastTo", lambda x: ops.BroadcastTo((2, 3, 4))(x), [((3, 1),), ((4,),)]),
    Case("Concat-axis0", lambda a, b: ops.Concat(0)((a, b)), [((2, 4), (3, 4))], (real, real),
         functional=lambda a, b: ops.concat((a, b), 0)),
    Case("Concat-axis1-three", lambda a, b, c: ops.Concat(1)((a, b, c)), [((2, 1), (2, 3), (2, 2))],
         (real, real, real)),
    Case("Gather-axis1", lambda x, i: ops.Gather()(x, i, 1), [((3, 4),), ((2, 5, 3),)], extra=gather_indices,
         functional=lambda x, i: ops.gather(x, i, 1)),
    Case("GetItem-slice", lambda x: x[1:, ::2], [((3, 4),), ((3, 4, 2),)]),
    Case("GetItem-int-and-list", lambda x: x[0, [1, 1, 3]], [((2, 4),), ((3, 4, 2),)]),
    Case("GetItem-bool-mask", lambda x: x[x > 0], [((3, 4),)], (nonzero,)),
    Case("Select", lambda x, y, cond: ops.Select()(cond, x, y), [((3, 4), (3, 4))], (real, real),
         extra=select_condition, functional=lambda x, y, cond: ops.select(cond, x, y)),
    Case("Cast", lambda x: ops.Cast()(x, lossviz.float64) * x, [((3, 4),)],
         functional=lambda x: ops.cast(x, lossviz.float64) * x),
    Case("Softmax-axis-1", lambda x: ops.Softmax()(x), [((3, 4),), ((2, 3, 4),)],
         functional=lambda x: ops.softmax(x)),
    Case("Softmax-axis0", lambda x: ops.Softmax(0)(x), [((3, 4),)], functional=lambda x: ops.softmax(x, 0)),
    Case("LogSoftmax-axis-1", lambda x: ops.LogSoftmax()(x), [((3, 4),), ((2, 3, 4),)],
         functional=lambda x: ops.log_softmax(x)),
    Case("LogSoftmax-axis1", lambda x: ops.LogSoftmax(1)(x), [((2, 3, 4),)],
         functional=lambda x: ops.log_softmax(x, 1)),
    Case("ZerosLike", lambda x: ops.ZerosLike()(x) + x, [((3, 4),)], functional=lambda x: ops.zeros_like(x) + x),
    Case("OnesLike", lambda x: ops.OnesLike()(x) * x, [((3, 4),)], functional=lambda x: ops.ones_like(x) * x),
]
CASE_IDS = [case.name for case in CASES]
BROADCAST_CASES = [case for case in CASES if case.shapes is BROADCAST_PAIRS]


def draw_inputs(case, shapes, draw):
    arrays = []
    for shape, domain in zip(shapes, case.domains):
        raw = draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2, allow_nan=False)))
        arrays.append(domain(raw))
    if case.extra is not None:
        arrays += case.extra(shapes, draw)
    return arrays


def test_the_table_has_unique_names():
    assert len(set(CASE_IDS)) == len(CASE_IDS)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@SETTINGS
@given(data=st.data())
def test_gradient_matches_central_differences(case, data):
    shapes = data.draw(st.sampled_from(case.shapes), label="shapes")
    arrays = draw_inputs(case, shapes, data.draw)
    check_grads(case.fn, *arrays)


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=[f"{a}x{b}" for a, b in BROADCAST_PAIRS])
@pytest.mark.parametrize("case", BROADCAST_CASES, ids=[c.name for c in BROADCAST_CASES])
@settings(max_examples=3, deadline=None, derandomize=True)
@given(data=st.data())
def test_binary_gradient_on_every_broadcast_pair(case, shapes, data):
    check_grads(case.fn, *draw_inputs(case, shapes, data.draw))


@pytest.mark.parametrize("case", [c for c in CASES if c.functional], ids=[c.name for c in CASES if c.functional])
def test_functional_form_gives_the_same_values_and_gradients(case):
    rng = np.random.default_rng(0)
    shapes = case.shapes[0]
    arrays = [domain(rng.uniform(-2, 2, shape)) for shape, domain in zip(shapes, case.domains)]
    if case.extra is gather_indices:
        arrays.append(np.array([0, 2, 2], np.int64))
    elif case.extra is select_condition:
        arrays.append(rng.uniform(size=np.broadcast_shapes(*shapes)) > 0.5)
    out, grads = engine_vjp(case.fn, arrays)
    out_f, grads_f = engine_vjp(case.functional, arrays)
    np.testing.assert_array_equal(out_f, out)
    for g, g_f in zip(grads, grads_f):
        np.testing.assert_array_equal(g_f, g)


# ----- behaviour the central differences can not see -----
@pytest.mark.parametrize("op", [ops.Maximum(), ops.Minimum()], ids=["Maximum", "Minimum"])
def test_a_tie_splits_the_gradient_half_and_half(op):
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([1.0, 0.0, 5.0]), requires_grad=True)
    op(x, y).backward()
    winner_x = [0.5, 1.0, 0.0] if isinstance(op, ops.Maximum) else [0.5, 0.0, 1.0]
    np.testing.assert_array_equal(x.grad.asnumpy(), winner_x)
    np.testing.assert_array_equal(y.grad.asnumpy(), 1 - np.array(winner_x))


def test_reduce_max_splits_the_gradient_among_ties():
    x = Tensor(np.array([[3.0, 1.0, 3.0], [0.0, 2.0, 1.0]]), requires_grad=True)
    ops.ReduceMax()(x, 1).backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[0.5, 0, 0.5], [0, 1, 0]])


def test_abs_and_sign_have_gradient_zero_at_zero():
    x = Tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    (ops.Abs()(x) + ops.Sign()(x)).backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [-1.0, 0.0, 1.0])


def test_gather_with_repeated_indices_adds_their_gradients():
    x = Tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    out = ops.Gather()(x, Tensor(np.array([3, 0, 3, 3], np.int32)), 0)
    np.testing.assert_array_equal(out.asnumpy(), [[6, 7], [0, 1], [6, 7], [6, 7]])
    out.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1, 1], [0, 0], [0, 0], [3, 3]])


def test_gather_rejects_out_of_range_indices():
    with pytest.raises(ValueError, match=r"For 'Gather', the 'input_indices' should be in the range \[0, 4\)"):
        ops.Gather()(Tensor(np.zeros((4, 2))), Tensor(np.array([1, 4])), 0)


def test_getitem_with_repeated_indices_adds_their_gradients():
    x = Tensor(np.zeros(3), requires_grad=True)
    x[[0, 2, 2]].backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1, 0, 2])


def test_one_hot_values_and_no_gradient():
    indices = Tensor(np.array([0, 2, 1, 5], np.int32))
    out = ops.OneHot()(indices, 3, Tensor(1.0), Tensor(0.0))
    np.testing.assert_array_equal(out.asnumpy(), [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]])
    assert out.dtype == lossviz.float32
    np.testing.assert_array_equal(ops.one_hot(indices, 3, 2.0, -1.0).asnumpy()[0], [2, -1, -1])
    on = Tensor(np.float32(2.0), requires_grad=True)
    assert not ops.OneHot()(indices, 3, on, Tensor(0.0)).requires_grad  # no gradient, no graph


def test_one_hot_axis0_puts_the_classes_first():
    out = ops.OneHot(axis=0)(Tensor(np.array([0, 2], np.int64)), 3, 1.0, 0.0)
    np.testing.assert_array_equal(out.asnumpy(), [[1, 0], [0, 0], [0, 1]])


def test_select_sends_each_gradient_to_the_chosen_side():
    cond = Tensor(np.array([True, False, True]))
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([9.0, 8.0, 7.0]), requires_grad=True)
    out = ops.Select()(cond, x, y)
    np.testing.assert_array_equal(out.asnumpy(), [1, 8, 3])
    out.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1, 0, 1])
    np.testing.assert_array_equal(y.grad.asnumpy(), [0, 1, 0])


def test_cast_changes_the_dtype_and_casts_the_gradient_back():
    x = Tensor(np.array([1.5, 2.5]), requires_grad=True)
    out = ops.Cast()(x, lossviz.float32)
    assert out.dtype == lossviz.float32
    (out * 2.0).backward()
    assert x.grad.dtype == lossviz.float64
    np.testing.assert_array_equal(x.grad.asnumpy(), [2, 2])


def test_zeros_like_and_ones_like_values():
    x = Tensor(np.array([[1, 2]], np.int32))
    np.testing.assert_array_equal(ops.ZerosLike()(x).asnumpy(), [[0, 0]])
    np.testing.assert_array_equal(ops.OnesLike()(x).asnumpy(), [[1, 1]])
    assert ops.ones_like(x).dtype == lossviz.int32


def test_softmax_is_stable_for_huge_logits():
    out = ops.Softmax()(Tensor(np.array([1000.0, 0.0], np.float32)))
    np.testing.assert_allclose(out.asnumpy(), [1.0, 0.0])
    np.testing.assert_allclose(ops.LogSoftmax()(Tensor(np.array([1000.0, 0.0]))).asnumpy(), [0.0, -1000.0])


def test_reduce_mean_of_ints_truncates_toward_zero():
    out = ops.ReduceMean()(Tensor(np.array([[1, 2], [3, 5]], np.int32)))
    assert out.dtype == lossviz.int32 and out.item() == 2
    assert ops.ReduceMean()(Tensor(np.array([-1, -2], np.int64))).item() == -1


def test_reduce_axis_errors():
    with pytest.raises(ValueError, match=r"For 'ReduceSum', the 'axis' must be in range \[-2, 2\), but got 2"):
        ops.ReduceSum()(Tensor(np.zeros((2, 3))), 2)
    with pytest.raises(TypeError, match="For 'ReduceMean', the 'axis'"):
        ops.ReduceMean()(Tensor(np.zeros((2, 3))), 1.0)
    with pytest.raises(TypeError, match="For 'ReduceSum', 'keep_dims' must be a bool"):
        ops.ReduceSum(keep_dims=1)


def test_shape_errors_name_the_op():
    with pytest.raises(ValueError, match="For 'MatMul'"):
        ops.MatMul()(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="For 'Reshape'"):
        ops.Reshape()(Tensor(np.zeros((2, 3))), (4, 2))
    with pytest.raises(ValueError, match="For 'Transpose'"):
        ops.Transpose()(Tensor(np.zeros((2, 3))), (0, 0))


# ----- an argument of the wrong kind: a TypeError naming the op and the argument -----
WRONG_KIND = [
    ("Add", lambda bad, t: ops.Add()(t, bad), "y"),
    ("Sub", lambda bad, t: ops.Sub()(bad, t), "x"),
    ("Mul", lambda bad, t: ops.Mul()(t, bad), "y"),
    ("Div", lambda bad, t: ops.Div()(t, bad), "y"),
    ("Pow", lambda bad, t: ops.Pow()(bad, t), "x"),
    ("Maximum", lambda bad, t: ops.Maximum()(t, bad), "y"),
    ("Minimum", lambda bad, t: ops.Minimum()(bad, t), "x"),
    ("Abs", lambda bad, t: ops.Abs()(bad), "x"),
    ("Neg", lambda bad, t: ops.Neg()(bad), "x"),
    ("Square", lambda bad, t: ops.Square()(bad), "x"),
    ("Sqrt", lambda bad, t: ops.Sqrt()(bad), "x"),
    ("Exp", lambda bad, t: ops.Exp()(bad), "x"),
    ("Log", lambda bad, t: ops.Log()(bad), "x"),
    ("Sign", lambda bad, t: ops.Sign()(bad), "x"),
    ("Sigmoid", lambda bad, t: ops.Sigmoid()(bad), "x"),
    ("ReduceSum", lambda bad, t: ops.ReduceSum()(bad), "x"),
    ("ReduceMean", lambda bad, t: ops.ReduceMean()(bad, 0), "x"),
    ("ReduceMax", lambda bad, t: ops.ReduceMax()(bad), "x"),
    ("MatMul", lambda bad, t: ops.MatMul()(t, bad), "b"),
    ("Reshape", lambda bad, t: ops.Reshape()(bad, (4,)), "x"),
    ("ExpandDims", lambda bad, t: ops.ExpandDims()(bad, 0), "x"),
    ("Transpose", lambda bad, t: ops.Transpose()(bad, (1, 0)), "x"),
    ("Concat", lambda bad, t: ops.Concat()((t, bad)), "input1"),
    ("Gather", lambda bad, t: ops.Gather()(bad, Tensor(np.array([0])), 0), "x"),
    ("Select", lambda bad, t: ops.Select()(Tensor(np.array([True, False])), t, bad), "y"),
    ("Cast", lambda bad, t: ops.Cast()(bad, lossviz.float32), "x"),
    ("Softmax", lambda bad, t: ops.Softmax()(bad), "x"),
    ("LogSoftmax", lambda bad, t: ops.LogSoftmax()(bad), "x"),
    ("ZerosLike", lambda bad, t: ops.ZerosLike()(bad), "x"),
    ("OnesLike", lambda bad, t: ops.OnesLike()(bad), "x"),
    ("abs", lambda bad, t: ops.abs(bad), "x"),
    ("mean", lambda bad, t: ops.mean(bad), "x"),
]


@pytest.mark.parametrize("call, arg", [(c, a) for _, c, a in WRONG_KIND], ids=[n for n, _, _ in WRONG_KIND])
@pytest.mark.parametrize("bad", ["text", np.array([1.0, 2.0]), [1.0, 2.0], None], ids=["str", "ndarray", "list", "None"])
def test_an_argument_of_the_wrong_kind_is_a_type_error_naming_op_and_argument(call, arg, bad, request):
    op_name = request.node.callspec.id.split("-")[-1]
    op_name = {"abs": "Abs", "mean": "ReduceMean"}.get(op_name, op_name)
    with pytest.raises(TypeError) as info:
        call(bad, Tensor(np.array([1.0, 2.0])))
    message = str(info.value)
    assert f"For '{op_name}'" in message and f"'{arg}'" in message, message


def test_wrong_kind_for_concat_and_one_hot():
    with pytest.raises(TypeError, match="For 'Concat', the input must be a tuple or list of Tensors"):
        ops.Concat()(Tensor(np.zeros(2)))
    with pytest.raises(TypeError, match="For 'OneHot', the 'indices' must be an int32 or int64 Tensor"):
        ops.OneHot()(Tensor(np.zeros(2)), 3, 1.0, 0.0)
    with pytest.raises(TypeError, match="For 'Gather', the 'input_indices' must be an int Tensor"):
        ops.Gather()(Tensor(np.zeros(2)), Tensor(np.array([0.0])), 0)
    with pytest.raises(TypeError, match="For 'Select', the input 'cond' must be a bool Tensor"):
        ops.Select()(Tensor(np.array([1, 0])), Tensor(np.zeros(2)), Tensor(np.ones(2)))


def test_python_numbers_are_accepted_and_take_the_tensor_dtype():
    x = Tensor(np.array([1.0, 2.0], np.float32))
    assert ops.Mul()(x, 2.0).dtype == lossviz.float32
    assert ops.Add()(3, Tensor(np.array([1, 2], np.int32))).dtype == lossviz.int32
    assert ops.Mul()(Tensor(np.array([1, 2], np.int32)), 0.5).dtype == lossviz.float32
