"""Fuzz: bad and odd input never gives a raw error, a hang or a silently coerced argument.

Hypothesis draws shapes (0-d, empty, broadcastable or not), dtypes (floats,
ints, bools), values (NaN, inf, huge, tiny) and argument values (NaN, inf,
negative, zero, bools, strings, None, floats where ints belong) for

* every primitive in ``lossviz.ops`` (built with drawn attributes, called with
  drawn tensors and arguments),
* every loss class in ``lossviz.nn`` (built with drawn hyper-parameters,
  called with drawn tensors),
* the optimizers (drawn hyper-parameters, then one step),

and asserts that each call either returns a Tensor or raises a TypeError or
ValueError whose message starts with ``For '<the op or class>'`` (an
out-of-range index may also be an IndexError: ``OutOfRange`` is both). A
second group checks values on valid input, where a reference exists: the
tutorial's elementwise losses against numpy in float64 for every shape,
0-d included. ``TRIED`` counts the calls; ``pytest -s`` prints the tally.
"""
import collections
import inspect
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import lossviz
import lossviz.nn as nn
import lossviz.ops as ops
from lossviz import Tensor
from lossviz._engine.primitive import Primitive

TRIED = collections.Counter()
FUZZ = settings(max_examples=60, deadline=2000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.bool_]
SPECIAL = [np.nan, np.inf, -np.inf, 1e30, -1e30, 1e-30, 0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0]
# argument values a hostile user tries
ODD_ARGUMENTS = [None, True, False, 0, 1, -1, 2, 3, 7, 0.0, 0.5, 1.5, -2.5, 1e-40, float("nan"), float("inf"),
                 -float("inf"), "mean", "sum", "none", "avg", "", "1", (), (0,), (0, 1), [1, 0], -3]


@st.composite
def arrays(draw, shape=None, dtype=None):
    shape = draw(st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)) if shape is None else shape
    dtype = draw(st.sampled_from(DTYPES)) if dtype is None else dtype
    size = int(np.prod(shape))
    values = draw(st.lists(st.one_of(st.sampled_from(SPECIAL), st.floats(-5, 5)), min_size=size, max_size=size))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = np.array(values, np.float64).reshape(shape)
        if np.dtype(dtype).kind in "iu":
            data = np.nan_to_num(data, nan=0, posinf=5, neginf=-5).clip(-5, 5)
        return data.astype(dtype)


@st.composite
def tensors(draw, like=None):
    """A Tensor: often shaped like ``like`` (so calls get past the shape checks), sometimes anything."""
    if like is not None and draw(st.booleans()):
        return Tensor(draw(arrays(shape=like.shape, dtype=draw(st.sampled_from([like.asnumpy().dtype.type] + DTYPES)))))
    return Tensor(draw(arrays()))


def assert_named_refusal(error, names):
    """The error is a TypeError / ValueError (an IndexError only as OutOfRange) naming who refused."""
    assert isinstance(error, (TypeError, ValueError)), f"{type(error).__name__}: {error}"
    assert any(str(error).startswith(f"For '{name}'") for name in names), f"{error!r} does not name any of {names}"


def call(names, fn, *args, **kwargs):
    """Run ``fn``; a refusal must name one of ``names``. Returns the result, or None when refused."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs)
        except Exception as error:   # noqa: BLE001 - the point is to look at any error
            assert_named_refusal(error, names)
            return None


# ----- every primitive -----
def primitive_classes():
    found = []
    for name in sorted(dir(ops)):
        value = getattr(ops, name)
        if inspect.isclass(value) and issubclass(value, Primitive) and value is not Primitive:
            found.append(value)
    return found


PRIMITIVES = primitive_classes()


def init_parameters(cls):
    if "__init__" not in vars(cls) and not any("__init__" in vars(base) for base in cls.__mro__[1:-2]):
        return []
    return [p for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def call_parameters(cls):
    own_call = cls.__call__ is not Primitive.__call__   # a class of its own, or a base's
    fn = cls.__call__ if own_call else cls.forward
    skip = 1 if own_call else 2
    return [p for p in list(inspect.signature(fn).parameters.values())[skip:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


@pytest.mark.parametrize("cls", PRIMITIVES, ids=[c.__name__ for c in PRIMITIVES])
@FUZZ
@given(data=st.data())
def test_every_primitive_refuses_bad_input_by_name(cls, data):
    attributes = {}
    for p in init_parameters(cls):
        if p.default is p.empty or data.draw(st.booleans()):
            attributes[p.name] = data.draw(st.sampled_from(ODD_ARGUMENTS), label=p.name)
    TRIED["primitive"] += 1
    op = call([cls.__name__], cls, **attributes)
    if op is None:
        return
    first = None
    args = []
    for p in call_parameters(cls):
        if p.kind is p.KEYWORD_ONLY and p.default is not p.empty and data.draw(st.booleans()):
            continue
        if data.draw(st.integers(0, 4)) == 0:   # now and then an odd argument where a tensor goes
            args.append(data.draw(st.sampled_from(ODD_ARGUMENTS)))
        else:
            tensor = data.draw(tensors(first))
            first = first if first is not None else tensor
            args.append(tensor)
    out = call([cls.__name__, op.name], op, *args)
    assert out is None or isinstance(out, (Tensor, tuple))


# ----- every loss -----
LOSSES = [getattr(nn, name) for name in nn.loss.__all__ if name != "LossBase"]


def loss_inputs(cls):
    return [p for p in list(inspect.signature(cls.construct).parameters.values())[1:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD,)]


@pytest.mark.parametrize("cls", LOSSES, ids=[c.__name__ for c in LOSSES])
@FUZZ
@given(data=st.data())
def test_every_loss_refuses_bad_input_by_name(cls, data):
    settings_ = {}
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            continue
        if p.default is p.empty or data.draw(st.integers(0, 2)) == 0:
            settings_[p.name] = data.draw(st.sampled_from(ODD_ARGUMENTS), label=p.name)
    TRIED["loss"] += 1
    loss = call([cls.__name__], cls, **settings_)
    if loss is None:
        return
    first, args = None, []
    for p in loss_inputs(cls):
        if p.default is not p.empty and data.draw(st.booleans()):
            continue
        if data.draw(st.integers(0, 6)) == 0:
            args.append(data.draw(st.sampled_from(ODD_ARGUMENTS)))
        else:
            tensor = data.draw(tensors(first))
            first = first if first is not None else tensor
            args.append(tensor)
    out = call([cls.__name__], loss, *args)
    assert out is None or isinstance(out, Tensor)


# ----- optimizers -----
OPTIMIZERS = [nn.Momentum, nn.SGD, nn.Adam]


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=[c.__name__ for c in OPTIMIZERS])
@FUZZ
@given(data=st.data())
def test_optimizers_refuse_bad_hyper_parameters_and_stay_finite(cls, data):
    net = nn.Dense(2, 1)
    settings_ = {}
    for p in list(inspect.signature(cls.__init__).parameters.values())[2:]:
        if p.default is p.empty or data.draw(st.booleans()):
            settings_[p.name] = data.draw(st.sampled_from(ODD_ARGUMENTS + [0.9, 0.01, 1e-8]), label=p.name)
    TRIED["optimizer"] += 1
    opt = call([cls.__name__], cls, net.trainable_params(), **settings_)
    if opt is None:
        return
    grads = tuple(Tensor(np.full(p.shape, 0.5, np.float32)) for p in net.trainable_params())
    opt(grads)
    for p in net.trainable_params():
        assert np.isfinite(p.asnumpy()).all(), (settings_, p.asnumpy())


# ----- values on valid input: the tutorial's elementwise losses, any shape (0-d too) -----
def reference(name, x, y):
    d = x - y
    if name == "L1Loss":
        return np.abs(d)
    if name == "MSELoss":
        return d * d
    if name == "SmoothL1Loss":
        return np.where(np.abs(d) < 1, 0.5 * d * d, np.abs(d) - 0.5)
    return -(y * np.log(x + 1e-12) + (1 - y) * np.log(1 - x + 1e-12))   # BCELoss


@pytest.mark.parametrize("name", ["L1Loss", "MSELoss", "SmoothL1Loss", "BCELoss"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@FUZZ
@given(shape=st.lists(st.integers(0, 4), max_size=3).map(tuple), seed=st.integers(0, 2**31))
def test_elementwise_losses_are_right_for_every_shape(name, reduction, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.01, 0.99, shape) if name == "BCELoss" else rng.normal(0, 3, shape)
    y = rng.uniform(0, 1, shape)
    TRIED["value"] += 1
    out = getattr(nn, name)(reduction=reduction)(Tensor(x.astype(np.float32)), Tensor(y.astype(np.float32)))
    per_element = reference(name, x.astype(np.float32).astype(np.float64), y.astype(np.float32).astype(np.float64))
    want = {"none": per_element, "sum": np.sum(per_element),
            "mean": np.mean(per_element) if per_element.size else math.nan}[reduction]
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module", autouse=True)
def report_the_tally():
    """Print how many inputs the fuzz tried (``pytest -s tests/test_fuzz.py``)."""
    yield
    print(f"\nfuzz inputs tried: {dict(TRIED)}, total {sum(TRIED.values())}")
