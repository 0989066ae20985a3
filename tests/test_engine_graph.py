"""The engine on awkward graphs, and the grad / value_and_grad API.

Bugs that one-op tests can not see live here: gradients overwritten instead of
added, a node visited twice, state left on tensors.
"""
import numpy as np
import pytest

import lossviz
import lossviz.ops as ops
from lossviz import Parameter, Tensor


def leaf(values):
    return Tensor(np.array(values, np.float64), requires_grad=True)


def test_a_diamond_adds_both_paths():
    # y = a*a + a*b, with a feeding two branches that meet again
    a, b = leaf([2.0, -1.0]), leaf([3.0, 4.0])
    left, right = a * a, a * b
    (left + right).backward()
    np.testing.assert_array_equal(a.grad.asnumpy(), 2 * a.asnumpy() + b.asnumpy())
    np.testing.assert_array_equal(b.grad.asnumpy(), a.asnumpy())


def test_a_deep_diamond_visits_every_node_once():
    x = leaf([1.5])
    h = x
    for _ in range(30):  # each level doubles the number of paths: visiting a node twice would be wrong
        h = h * 0.5 + h * 0.5
    h.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [1.0])


def test_a_long_chain_does_not_hit_the_recursion_limit():
    x = leaf([1.0])
    h = x
    for _ in range(5000):
        h = h + 1.0
    h.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1.0])


def test_a_parameter_used_twice_gets_both_gradients():
    w = Parameter(Tensor(np.array([3.0])), name="w")
    x = Tensor(np.array([2.0]))
    loss = w * x + w * w  # d/dw = x + 2w = 8
    grads = lossviz.grad(lambda x: loss_fn(w, x), None, (w,))(x)
    np.testing.assert_array_equal(grads[0].asnumpy(), [8.0])
    loss.backward()
    np.testing.assert_array_equal(w.grad.asnumpy(), [8.0])


def loss_fn(w, x):
    return w * x + w * w


def test_backward_accumulates_across_calls():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [3 + 2, 3 + 4])
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [3, 3])


def test_backward_with_an_explicit_seed():
    x = leaf([1.0, 2.0])
    (x * x).backward(Tensor(np.array([1.0, 10.0])))
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 40.0])


def test_backward_without_a_graph_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.array([1.0])).sum().backward()


def test_no_grad_records_nothing_and_restores_the_mode():
    x = leaf([1.0])
    with lossviz.no_grad():
        y = x * 2.0
        with lossviz.enable_grad():
            z = x * 2.0
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf
    assert (x * 2.0).requires_grad


def test_no_grad_as_a_decorator_and_after_an_exception():
    x = leaf([1.0])

    @lossviz.no_grad()
    def double(t):
        return t * 2.0

    assert not double(x).requires_grad
    with pytest.raises(ZeroDivisionError):
        with lossviz.no_grad():
            1 / 0
    assert (x * 2.0).requires_grad


def test_a_constant_input_gets_no_gradient():
    x, c = leaf([1.0, 2.0]), Tensor(np.array([5.0, 6.0]))
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad.asnumpy(), [5.0, 6.0])


def test_detach_cuts_the_graph():
    x = leaf([2.0])
    (x * x.detach()).backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0])


def test_grad_of_a_function_of_an_unused_input_is_zeros():
    g = lossviz.grad(lambda x, y: x * 2.0, (0, 1))(Tensor(np.array([1.0])), Tensor(np.array([1.0, 2.0])))
    np.testing.assert_array_equal(g[1].asnumpy(), [0.0, 0.0])


# ----- grad / value_and_grad return shapes (MindSpore 2.x) -----
def f(x, y):
    return (x * y).sum()


X, Y = Tensor(np.array([1.0, 2.0])), Tensor(np.array([3.0, 4.0]))


def test_value_and_grad_with_an_int_position_returns_one_tensor():
    value, g = lossviz.value_and_grad(f)(X, Y)
    assert value.item() == 11.0
    assert isinstance(g, Tensor)
    np.testing.assert_array_equal(g.asnumpy(), Y.asnumpy())
    g1 = lossviz.value_and_grad(f, 1)(X, Y)[1]
    np.testing.assert_array_equal(g1.asnumpy(), X.asnumpy())


def test_value_and_grad_with_a_tuple_of_positions_returns_a_tuple():
    _, g = lossviz.value_and_grad(f, (0, 1))(X, Y)
    assert isinstance(g, tuple) and len(g) == 2
    np.testing.assert_array_equal(g[0].asnumpy(), Y.asnumpy())
    np.testing.assert_array_equal(g[1].asnumpy(), X.asnumpy())
    _, g_one = lossviz.value_and_grad(f, (1,))(X, Y)
    assert isinstance(g_one, tuple) and len(g_one) == 1


def test_value_and_grad_with_weights():
    w = Parameter(Tensor(np.array([2.0])), name="w")
    b = Parameter(Tensor(np.array([0.5])), name="b")

    def net(x):
        return (x * w + b).sum()

    value, weight_grads = lossviz.value_and_grad(net, None, (w, b))(X)
    assert value.item() == pytest.approx(7.0)
    assert isinstance(weight_grads, tuple) and len(weight_grads) == 2
    np.testing.assert_array_equal(weight_grads[0].asnumpy(), [3.0])
    np.testing.assert_array_equal(weight_grads[1].asnumpy(), [2.0])
    _, (input_grad, weight_grads) = lossviz.value_and_grad(net, 0, [w, b])(X)
    np.testing.assert_array_equal(input_grad.asnumpy(), [2.0, 2.0])
    assert len(weight_grads) == 2
    _, single = lossviz.value_and_grad(net, None, w)(X)  # one Parameter: still a tuple
    assert isinstance(single, tuple) and len(single) == 1


def test_value_and_grad_has_aux_differentiates_only_the_first_output():
    def with_aux(x):
        loss = (x * x).sum()
        return loss, x * 100.0

    (loss, aux), g = lossviz.value_and_grad(with_aux, has_aux=True)(X)
    assert loss.item() == 5.0
    np.testing.assert_array_equal(aux.asnumpy(), [100.0, 200.0])
    np.testing.assert_array_equal(g.asnumpy(), [2.0, 4.0])
    g2, aux2 = lossviz.grad(with_aux, has_aux=True)(X)
    np.testing.assert_array_equal(g2.asnumpy(), [2.0, 4.0])
    assert isinstance(aux2, tuple) and len(aux2) == 1
    with pytest.raises(TypeError, match="has_aux=True"):
        lossviz.value_and_grad(lambda x: x.sum(), has_aux=True)(X)


def test_grad_returns_only_the_gradients():
    g = lossviz.grad(f, (0, 1))(X, Y)
    assert isinstance(g, tuple) and len(g) == 2


def test_grad_leaves_no_grad_behind():
    w = Parameter(Tensor(np.array([2.0])), name="w")
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    lossviz.value_and_grad(lambda x: (x * w).sum(), 0, (w,))(x)
    lossviz.grad(lambda x: (x * w).sum(), 0, (w,))(x)
    assert w.grad is None and x.grad is None
    assert x.is_leaf and w.is_leaf


def test_grad_argument_errors():
    with pytest.raises(ValueError, match="'grad_position' and 'weights' can not both be None"):
        lossviz.grad(f, None)
    with pytest.raises(TypeError, match="'grad_position' must be an int, a tuple of ints or None"):
        lossviz.grad(f, "0")
    with pytest.raises(TypeError, match="every element of 'weights' must be a Parameter"):
        lossviz.grad(f, None, [X])
    with pytest.raises(IndexError, match="out of range"):
        lossviz.grad(f, 2)(X, Y)
    with pytest.raises(TypeError, match="the input at position 0 must be a Tensor"):
        lossviz.grad(f, 0)(np.array([1.0]), Y)


def test_float32_gradients_stay_float32():
    w = Parameter(Tensor(np.array([[0.5]], np.float32)), name="w")
    x = Tensor(np.ones((4, 1), np.float32))
    (gw,) = lossviz.grad(lambda x: ops.ReduceMean()(ops.Abs()(x @ w - 2.0)), None, (w,))(x)
    assert gw.dtype == lossviz.float32
    np.testing.assert_allclose(gw.asnumpy(), [[-1.0]])


def test_a_primitive_returning_a_misshaped_gradient_is_caught():
    class Wrong(ops.Primitive):
        def forward(self, ctx, x):
            return x.sum()

        def backward(self, ctx, grad):
            return np.ones(5)

    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=r"gradient of shape \(5,\) can not be summed back .* \(2, 2\)"):
        Wrong()(x).backward()


# ----- set_seed -----
def test_set_seed_seeds_numpys_global_generator():
    lossviz.set_seed(7)
    first = np.random.normal(size=3)
    lossviz.set_seed(7)
    np.testing.assert_array_equal(np.random.normal(size=3), first)
    assert lossviz.get_seed() == 7


def test_lossviz_generators_are_reproducible_after_set_seed():
    from lossviz._engine.random import generator

    lossviz.set_seed(3)
    first = [generator().random(2) for _ in range(2)]
    lossviz.set_seed(3)
    second = [generator().random(2) for _ in range(2)]
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first[0], first[1])  # successive generators give different streams
    lossviz.set_seed(4)
    assert not np.array_equal(generator().random(2), first[0])
    np.testing.assert_array_equal(generator(5).random(2), generator(5).random(2))  # an explicit seed wins


def test_set_seed_rejects_non_ints_and_negatives():
    with pytest.raises(TypeError, match="For 'set_seed', the 'seed' must be an int, but got float"):
        lossviz.set_seed(1.0)
    with pytest.raises(ValueError, match="For 'set_seed', the 'seed' must be >= 0"):
        lossviz.set_seed(-1)
