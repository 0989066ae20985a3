"""Optimizers: MindSpore's update rules (golden Momentum traces), state, schedules, groups, validation."""
import json

import numpy as np
import pytest

import lossviz
import lossviz.nn as nn
from lossviz import Parameter, Tensor

from conftest import SHARED, require_shared

REFERENCE = SHARED / "reference" / "training.json"


def golden_traces():
    """The golden Momentum cases; without the file, one ``None`` case, whose test skips (CI: fails)."""
    if not REFERENCE.exists():
        return [None]
    return json.loads(REFERENCE.read_text())["momentum_traces"]


class Quadratic(nn.Cell):
    """loss = sum((p - target)^2), gradient 2 (p - target): the golden traces' objective."""

    def __init__(self, p0, target, name="p"):
        super().__init__()
        self.p = Parameter(Tensor(np.array(p0, np.float32)), name=name)
        self.target = Tensor(np.array(target, np.float32))

    def construct(self):
        d = self.p - self.target
        return (d * d).sum()


def run_steps(opt_factory, p0=(1.0, -2.0), target=(0.5, 0.5), steps=3, name="p"):
    net = Quadratic(p0, target, name)
    opt = opt_factory([net.p])
    step = nn.TrainOneStepCell(net, opt)
    trace = []
    for _ in range(steps):
        loss = step()
        trace.append((float(loss.asnumpy()), net.p.asnumpy().copy(), opt))
    return trace, net, opt


# ----- Momentum against real MindSpore -----
@pytest.mark.parametrize("case", [c for c in golden_traces() if not (c and c.get("use_nesterov"))],
                         ids=lambda c: c and c["name"])
def test_momentum_golden_traces(case):
    require_shared(REFERENCE)
    kwargs = {"weight_decay": case["weight_decay"]} if "weight_decay" in case else {}
    net = Quadratic(case["p0"], case["target"])
    opt = nn.Momentum([net.p], learning_rate=case["lr"], momentum=case["momentum"], **kwargs)
    step = nn.TrainOneStepCell(net, opt)
    for expected in case["trace"]:
        loss = step()
        np.testing.assert_allclose(float(loss.asnumpy()), expected["loss"], rtol=1e-5)
        np.testing.assert_allclose(net.p.asnumpy(), expected["param_after"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(opt.moments[0].asnumpy(), expected["moment_after"], rtol=1e-5, atol=1e-6)


def momentum_reference(p, grads_of, lr, momentum, steps, weight_decay=0.0, loss_scale=1.0, nesterov=False,
                       decay=True):
    """A plain float32 numpy statement of spec §5.3 / §9.1."""
    p = np.array(p, np.float32)
    v = np.zeros_like(p)
    lr, m = np.float32(lr), np.float32(momentum)
    out = []
    for _ in range(steps):
        g = grads_of(p) * np.float32(loss_scale)  # the gradient of the scaled loss
        if weight_decay > 0 and decay:
            g = g + np.float32(weight_decay * loss_scale) * p
        if loss_scale != 1:
            g = g / np.float32(loss_scale)
        v = m * v + g
        p = p - lr * (g + m * v) if nesterov else p - lr * v
        out.append((p.copy(), v.copy()))
    return out


def quad_grad(p):
    return np.float32(2) * (p - np.array([0.5, 0.5], np.float32))


def test_nesterov_follows_the_documented_rule_not_the_cpu_quirk():
    require_shared(REFERENCE)
    case = next(c for c in golden_traces() if c.get("use_nesterov"))
    net = Quadratic(case["p0"], case["target"])
    opt = nn.Momentum([net.p], learning_rate=case["lr"], momentum=case["momentum"], use_nesterov=True)
    step = nn.TrainOneStepCell(net, opt)
    expected = momentum_reference(case["p0"], quad_grad, case["lr"], case["momentum"], 3, nesterov=True)
    for (p, v), ignored in zip(expected, case["trace"]):
        step()
        np.testing.assert_allclose(net.p.asnumpy(), p, rtol=1e-6)
        np.testing.assert_allclose(opt.moments[0].asnumpy(), v, rtol=1e-6)
    # spec §9.1: lossviz implements Nesterov; MindSpore 2.10 CPU silently ignored it
    assert not np.allclose(net.p.asnumpy(), case["trace"][-1]["param_after"])


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_loss_scale_divides_the_scaled_gradient(weight_decay):
    scale = 128.0
    net = Quadratic((1.0, -2.0), (0.5, 0.5))
    opt = nn.Momentum([net.p], 0.1, 0.9, weight_decay=weight_decay, loss_scale=scale)
    step = nn.TrainOneStepCell(net, opt, sens=scale)  # gradients of (loss * scale)
    expected = momentum_reference((1.0, -2.0), quad_grad, 0.1, 0.9, 3, weight_decay=weight_decay, loss_scale=scale)
    for p, v in expected:
        step()
        np.testing.assert_allclose(net.p.asnumpy(), p, rtol=1e-6)
        np.testing.assert_allclose(opt.moments[0].asnumpy(), v, rtol=1e-6)


@pytest.mark.parametrize("name,decayed", [("fc.bias", True), ("fc.weight", True), ("bn.gamma", False),
                                          ("bn.beta", False), ("layernorm.beta_1", False)])
def test_weight_decay_spares_beta_and_gamma_but_not_bias(name, decayed):
    net = Quadratic((1.0, -2.0), (0.5, 0.5), name=name)
    opt = nn.Momentum([net.p], 0.1, 0.9, weight_decay=0.1)
    step = nn.TrainOneStepCell(net, opt)
    expected = momentum_reference((1.0, -2.0), quad_grad, 0.1, 0.9, 2, weight_decay=0.1, decay=decayed)
    for p, _ in expected:
        step()
        np.testing.assert_allclose(net.p.asnumpy(), p, rtol=1e-6)


# ----- state and in-place updates -----
def test_momentum_state_names_dtypes_and_in_place_update():
    net = nn.Dense(2, 1, "ones", "zeros")
    lossviz.set_seed(0)
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
    assert list(opt.parameters) == net.trainable_params()
    assert [m.name for m in opt.moments] == ["moments.weight", "moments.bias"]
    assert all(m.asnumpy().shape == p.shape and not m.asnumpy().any() for m, p in zip(opt.moments, opt.parameters))
    assert isinstance(opt.learning_rate, Parameter) and opt.learning_rate.dtype == lossviz.float32
    assert isinstance(opt.momentum, Parameter) and opt.momentum.dtype == lossviz.float32
    assert opt.global_step.dtype == lossviz.int32 and int(opt.global_step.asnumpy()[0]) == 0
    array = net.weight.asnumpy()
    grads = (Tensor(np.ones((1, 2), np.float32)), Tensor(np.ones((1,), np.float32)))
    opt(grads)
    opt(grads)
    assert net.weight.asnumpy() is array  # updated in place
    assert net.weight.dtype == lossviz.float32 and opt.moments[0].dtype == lossviz.float32
    assert int(opt.global_step.asnumpy()[0]) == 2
    np.testing.assert_allclose(array, 1 - np.float32(0.005) * (1 + (0.9 + 1)), rtol=1e-6)


def test_float64_gradients_are_applied_in_float32():
    p = Parameter(Tensor(np.array([1.0], np.float32)), name="p")
    opt = nn.Momentum([p], 0.1, 0.0)
    opt((Tensor(np.array([1.0], np.float64)),))
    assert p.asnumpy().dtype == np.float32
    np.testing.assert_allclose(p.asnumpy(), [0.9], rtol=1e-7)


def test_gradient_count_must_match():
    p = Parameter(Tensor(np.zeros(2, np.float32)), name="p")
    with pytest.raises(ValueError, match="number of gradients"):
        nn.Momentum([p], 0.1, 0.9)(())


# ----- learning-rate schedules and groups -----
@pytest.mark.parametrize("schedule", [[0.1, 0.01, 0.001], np.array([0.1, 0.01, 0.001]),
                                      Tensor(np.array([0.1, 0.01, 0.001], np.float32)),
                                      lambda step: [0.1, 0.01, 0.001][min(step, 2)]],
                         ids=["list", "ndarray", "Tensor", "callable"])
def test_learning_rate_schedule_one_value_per_step_then_the_last(schedule):
    p = Parameter(Tensor(np.zeros(1, np.float32)), name="p")
    opt = nn.SGD([p], learning_rate=schedule)
    seen = []
    for _ in range(5):
        seen.append(float(opt.get_lr().asnumpy()))
        opt((Tensor(np.ones(1, np.float32)),))
    np.testing.assert_allclose(seen, [0.1, 0.01, 0.001, 0.001, 0.001], rtol=1e-6)
    np.testing.assert_allclose(p.asnumpy(), [-(0.1 + 0.01 + 0.001 * 3)], rtol=1e-5)


def test_set_data_on_the_learning_rate_is_seen():
    p = Parameter(Tensor(np.zeros(1, np.float32)), name="p")
    opt = nn.SGD([p], learning_rate=0.1)
    opt.learning_rate.set_data(Tensor(np.array(1.0, np.float32)))
    opt((Tensor(np.ones(1, np.float32)),))
    np.testing.assert_allclose(p.asnumpy(), [-1.0])


def test_parameter_groups_with_their_own_lr_and_weight_decay():
    a = Parameter(Tensor(np.ones(1, np.float32)), name="a")
    b = Parameter(Tensor(np.ones(1, np.float32)), name="b")
    opt = nn.SGD([{"params": [a], "lr": 0.5, "weight_decay": 1.0}, {"params": [b]}], learning_rate=0.1)
    assert list(opt.parameters) == [a, b]
    opt((Tensor(np.ones(1, np.float32)), Tensor(np.ones(1, np.float32))))
    np.testing.assert_allclose(a.asnumpy(), [1 - 0.5 * (1 + 1.0)])
    np.testing.assert_allclose(b.asnumpy(), [1 - 0.1])
    assert float(opt.get_lr_parameter(a).asnumpy()) == 0.5


def test_a_generator_of_parameters_is_accepted():
    net = nn.Dense(2, 2)
    opt = nn.Momentum(net.get_parameters(), 0.1, 0.9)
    assert len(opt.parameters) == 2


# ----- validation (spec §5.3) -----
@pytest.mark.parametrize("kwargs,error,match", [
    ({"momentum": 1}, TypeError, "'momentum' must be a float"),
    ({"momentum": -0.1}, ValueError, "'momentum' must be at least 0.0"),
    ({"learning_rate": -0.1}, ValueError, "'learning_rate' must be at least 0.0"),
    ({"learning_rate": "0.1"}, TypeError, "'learning_rate' must be a number"),
    ({"weight_decay": -0.1}, ValueError, "'weight_decay' must be at least 0.0"),
    ({"loss_scale": 0.0}, ValueError, "'loss_scale' must be greater than 0"),
    ({"use_nesterov": 1}, TypeError, "'use_nesterov' must be a bool"),
])
def test_momentum_validation(kwargs, error, match):
    args = {"learning_rate": 0.1, "momentum": 0.9, **kwargs}
    with pytest.raises(error, match=f"For 'Momentum', the {match}"):
        nn.Momentum(nn.Dense(1, 1).trainable_params(), **args)


def test_momentum_accepts_an_int_learning_rate_and_positional_use():
    opt = nn.Momentum(nn.Dense(1, 1).trainable_params(), 1, 0.9)
    assert float(opt.learning_rate.asnumpy()) == 1.0
    nn.Momentum(nn.Dense(1, 1).trainable_params(), 0.005, 0.9)


def test_params_validation():
    with pytest.raises(ValueError, match="'parameters' must not be empty"):
        nn.Momentum([], 0.1, 0.9)
    with pytest.raises(TypeError, match="must be a Parameter or a dict, but got Tensor"):
        nn.Momentum([Tensor(np.zeros(1, np.float32))], 0.1, 0.9)
    with pytest.raises(ValueError, match="parameter group"):
        nn.Momentum([{"parmas": []}], 0.1, 0.9)


# ----- SGD and Adam -----
def test_sgd_plain_and_with_momentum():
    trace, net, _ = run_steps(lambda ps: nn.SGD(ps, learning_rate=0.1), steps=2)
    p = np.array([1.0, -2.0], np.float32)
    for _ in range(2):
        p = p - np.float32(0.1) * quad_grad(p)
    np.testing.assert_allclose(net.p.asnumpy(), p, rtol=1e-6)

    trace, net, opt = run_steps(lambda ps: nn.SGD(ps, learning_rate=0.1, momentum=0.9, dampening=0.1), steps=3)
    p, v = np.array([1.0, -2.0], np.float32), None
    for _ in range(3):
        g = quad_grad(p)
        v = g if v is None else np.float32(0.9) * v + np.float32(0.9) * g  # the first step sets v = g
        p = p - np.float32(0.1) * v
    np.testing.assert_allclose(net.p.asnumpy(), p, rtol=1e-6)


def test_sgd_defaults_and_validation():
    p = Parameter(Tensor(np.zeros(1, np.float32)), name="p")
    opt = nn.SGD([p])
    assert float(opt.learning_rate.asnumpy()) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="'nesterov' is True"):
        nn.SGD([p], momentum=0.0, nesterov=True)
    with pytest.raises(TypeError, match="'momentum' must be a float"):
        nn.SGD([p], momentum=1)


def test_adam_matches_the_textbook_rule():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    trace, net, opt = run_steps(lambda ps: nn.Adam(ps, learning_rate=lr), steps=4)
    p = np.array([1.0, -2.0], np.float64)
    m = v = np.zeros(2)
    for t in range(1, 5):
        g = 2 * (p - 0.5)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        p = p - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(net.p.asnumpy(), p, rtol=1e-5)
    assert [s.name for s in opt.moment1] == ["moment1.p"] and [s.name for s in opt.moment2] == ["moment2.p"]
    assert net.p.asnumpy().dtype == np.float32


def test_adam_validation():
    p = Parameter(Tensor(np.zeros(1, np.float32)), name="p")
    with pytest.raises(ValueError, match="'beta1' must be in range"):
        nn.Adam([p], beta1=1.0)
    with pytest.raises(ValueError, match="'eps' must be greater than 0"):
        nn.Adam([p], eps=0.0)


def test_the_mindspore_2x_training_loop():
    """value_and_grad(forward, None, opt.parameters) + opt(grads), as MindSpore 2.x tutorials write it."""
    lossviz.set_seed(0)
    x = np.random.uniform(-1, 1, (64, 1)).astype(np.float32)
    y = 3 * x + 1
    net = nn.Dense(1, 1)
    loss_fn = nn.MSELoss()
    opt = nn.SGD(net.trainable_params(), learning_rate=0.5)

    def forward(data, label):
        return loss_fn(net(data), label)

    grad_fn = lossviz.value_and_grad(forward, None, opt.parameters)
    for _ in range(200):
        loss, grads = grad_fn(Tensor(x), Tensor(y))
        opt(grads)
    assert float(loss.asnumpy()) < 1e-6
    np.testing.assert_allclose([net.weight.asnumpy().item(), net.bias.asnumpy().item()], [3, 1], atol=1e-3)
