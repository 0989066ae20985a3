"""The loss explorer's one-dimensional views (lossviz.viz.explorer.VIEWS), checked against numpy.

Each view's loss is compared with an independent float64 numpy formula of the same picture, and its
gradient with that formula's derivative (central differences in float64, away from the kinks, where
the test says which side the loss takes). Then the argument errors and the widget.
"""
import math

import numpy as np
import pytest

from conftest import require_module

require_module("ipywidgets")        # skipped locally without them, a failure with CI=true
require_module("matplotlib")

import lossviz.nn.loss  # noqa: E402
from lossviz.viz import LOSSES, LossExplorer, explorer_text, loss_curves  # noqa: E402
from lossviz.viz.explorer import PARAMETERS, VIEWS  # noqa: E402


def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def log_softmax0(z, others):
    """ln softmax of the first of [z, 0, ..., 0] (``others`` zeros)."""
    return z - np.logaddexp(z, np.log(others))


def dice(i, u, smooth):
    return 1 - 2 * i / (u + smooth)


def ctc_one_symbol(z, frames):
    """-ln P(target 'a') over T frames, every frame softmax([0 (blank), z (a), 0]): alignments b^i a^j b^k."""
    q, b = np.exp(z) / (np.exp(z) + 2), 1 / (np.exp(z) + 2)
    total = sum(b ** (i + k) * q ** j for i in range(frames) for j in range(1, frames + 1) for k in range(frames)
                if i + j + k == frames)
    return -np.log(total)


def kl2(q, t):
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(t > 0, t * np.log(t / q), 0.0)
        b = np.where(1 - t > 0, (1 - t) * np.log((1 - t) / (1 - q)), 0.0)
    return a + b


def multiclass_dice_softmax(z):
    a0 = sigmoid(z)  # softmax([z, 0])[0]; channel 1 has label 0, so its dice is 1
    return (dice(a0, a0 ** 2 + 1, 1e-5) + 1.0) / 2


# name -> (parameters, [reference loss of x per series], points where the gradient is not compared)
REFERENCES = {
    "L1Loss": ({}, [np.abs], [0.0]),
    "MAELoss": ({}, [np.abs], [0.0]),
    "L1LossExt": ({}, [np.abs], [0.0]),
    "RMSELoss": ({}, [np.abs], [0.0]),
    "MSELoss": ({}, [np.square], []),
    "SmoothL1Loss": (dict(beta=2.0), [lambda d: np.where(np.abs(d) < 2, 0.25 * d ** 2, np.abs(d) - 1)], []),
    "HuberLoss": (dict(delta=0.5), [lambda d: np.where(np.abs(d) < 0.5, 0.5 * d ** 2, 0.5 * (np.abs(d) - 0.25))], []),
    "GaussianNLLLoss": (dict(error=1.2, eps=0.5, full=True),
                        [lambda v: 0.5 * (np.log(np.maximum(v, 0.5)) + 1.44 / np.maximum(v, 0.5) + np.log(2 * np.pi))],
                        [0.5]),
    "PoissonNLLLoss": (dict(target=3.0), [lambda x: np.exp(x) - 3 * x], []),
    "SoftmaxCrossEntropyWithLogits": ({}, [lambda z: -log_softmax0(z, 2)], []),
    "CrossEntropyLoss": (dict(label_smoothing=0.2),
                         [lambda z: 0.8 * -log_softmax0(z, 2)
                          + 0.2 / 3 * (-log_softmax0(z, 2) + 2 * np.logaddexp(z, np.log(2)))],
                         []),
    "NLLLoss": ({}, [lambda p: -np.log(p)], []),
    "FocalLoss": (dict(gamma=1.5), [lambda z: -(1 - np.exp(log_softmax0(z, 2))) ** 1.5 * log_softmax0(z, 2)], []),
    "SampledSoftmaxLoss": ({}, [lambda z: -log_softmax0(z, 4)], []),
    "BCELoss": (dict(weight=2.0),
                [lambda z: -2 * np.log(sigmoid(z) + 1e-12), lambda z: -2 * np.log(1 - sigmoid(z) + 1e-12)], []),
    "BCEWithLogitsLoss": (dict(pos_weight=3.0), [lambda z: 3 * softplus(-z), softplus], []),
    "SoftMarginLoss": ({}, [lambda z: softplus(-z), softplus], []),
    "MultiLabelSoftMarginLoss": ({}, [lambda z: softplus(-z), softplus], []),
    "MultilabelMarginLoss": ({}, [lambda z: np.maximum(0, 1 - z) / 2], [1.0]),
    "MultiMarginLoss": (dict(p=2, margin=1.5), [lambda z: np.maximum(0, 1.5 - z) ** 2 / 2], []),
    "MarginRankingLoss": (dict(margin=0.5), [lambda d: np.maximum(0, 0.5 - d), lambda d: np.maximum(0, 0.5 + d)],
                          [0.5, -0.5]),
    "HingeEmbeddingLoss": (dict(margin=2.0), [lambda x: x, lambda x: np.maximum(0, 2 - x)], [2.0]),
    "CosineEmbeddingLoss": (dict(margin=0.5), [lambda c: 1 - c, lambda c: np.maximum(c - 0.5, 0)], [0.5]),
    "TripletMarginLoss": (dict(margin=0.5, positive_distance=2.0), [lambda x: np.maximum(0, 2 - x + 0.5)], [2.5]),
    "TripletMarginWithDistanceLoss": (dict(margin=0.5, positive_distance=2.0), [lambda x: np.maximum(0, 2.5 - x)],
                                      [0.0, 2.5]),
    "DiceLoss": (dict(smooth=0.1), [lambda x: dice(x, x ** 2 + 1, 0.1), lambda x: dice(1.0, x ** 2 + 2, 0.1)], []),
    "MultiClassDiceLoss": ({}, [multiclass_dice_softmax], []),
    "CTCLoss": (dict(frames=4), [lambda z: ctc_one_symbol(z, 4)], []),
    "KLDivLoss": (dict(target=0.3), [lambda q: kl2(q, 0.3)], []),
}


def numeric_derivative(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_the_explorer_has_every_builtin_loss():
    assert set(LOSSES) == set(lossviz.nn.loss.__all__) - {"LossBase"}
    assert set(REFERENCES) == set(LOSSES)


@pytest.mark.parametrize("name", LOSSES)
def test_each_view_matches_its_numpy_formula(name):
    params, references, kinks = REFERENCES[name]
    curves = loss_curves(name, points=61, **params)
    x = curves["x"]
    assert len(curves["series"]) == len(references)
    away = np.all([np.abs(x - k) > 0.05 for k in kinks], axis=0) if kinks else np.ones_like(x, bool)
    for (label, loss, grad), reference in zip(curves["series"], references):
        np.testing.assert_allclose(loss, reference(x), rtol=1e-4, atol=2e-5, err_msg=f"{name} {label} loss")
        expected = numeric_derivative(reference, x)
        np.testing.assert_allclose(grad[away], expected[away], rtol=2e-3, atol=2e-4, err_msg=f"{name} {label} grad")


def test_the_kinks_take_the_documented_side():
    d, [(_, _, grad)] = loss_curves("RMSELoss", points=5)["x"], loss_curves("RMSELoss", points=5)["series"]
    assert np.isnan(grad[2]) and d[2] == 0  # the root has no derivative at zero error, as in MindSpore
    x = loss_curves("HingeEmbeddingLoss", points=5, margin=1.5)["x"]      # 0, 0.75, 1.5, ...
    (_, _, g_pos), (_, _, g_neg) = loss_curves("HingeEmbeddingLoss", points=5, margin=1.5)["series"]
    assert x[2] == 1.5 and g_neg[2] == -0.5 and g_pos[2] == 1.0         # a tie splits the gradient
    (_, _, g_rank), _ = loss_curves("MarginRankingLoss", points=5)["series"]
    assert g_rank[2] == -1.0                                            # a clamp: the full gradient at 0


def test_parameters_that_switch_the_formula():
    c = loss_curves("PoissonNLLLoss", points=31, log_input=False, eps=0.01, target=2.0)
    rate = c["x"]
    assert rate.min() > 0 and c["xlabel"] == "input = rate"
    np.testing.assert_allclose(c["series"][0][1], rate - 2 * np.log(rate + 0.01), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(c["series"][0][2], 1 - 2 / (rate + 0.01), rtol=1e-3, atol=1e-4)
    stirling = 4.5 * np.log(4) - 4 + 0.5 * np.log(2 * np.pi)
    full = loss_curves("PoissonNLLLoss", points=31, full=True, target=4.0)
    np.testing.assert_allclose(full["series"][0][1], np.exp(full["x"]) - 4 * full["x"] + stirling, rtol=1e-4)
    sig = loss_curves("MultiClassDiceLoss", points=21, activation="sigmoid")
    z = sig["x"]
    expected = (dice(sigmoid(z), sigmoid(z) ** 2 + 1, 1e-5) + dice(0.0, 0.25 + 0, 1e-5)) / 2
    np.testing.assert_allclose(sig["series"][0][1], expected, rtol=1e-4, atol=1e-5)
    focal0 = loss_curves("FocalLoss", points=21, gamma=0.0)["series"][0]
    ce = loss_curves("CrossEntropyLoss", points=21)["series"][0]
    np.testing.assert_allclose(focal0[1], ce[1], rtol=1e-5)   # gamma = 0 is the cross-entropy
    one = loss_curves("CTCLoss", points=21, frames=1)
    np.testing.assert_allclose(one["series"][0][1], -log_softmax0(one["x"], 2), rtol=1e-4, atol=1e-5)


def test_titles_show_the_constructor_arguments_and_the_inputs_held_fixed():
    assert loss_curves("L1Loss", points=3)["title"] == "nn.L1Loss()"
    assert loss_curves("HuberLoss", points=3, delta=0.5)["title"] == "nn.HuberLoss(delta=0.5)"
    title = loss_curves("SoftmaxCrossEntropyWithLogits", points=3)["title"]
    assert title == "nn.SoftmaxCrossEntropyWithLogits(sparse=True)"
    title = loss_curves("TripletMarginLoss", points=3)["title"]
    assert title == "nn.TripletMarginLoss(margin=1) with positive_distance=1"
    assert loss_curves("MultiClassDiceLoss", points=3)["title"] == "nn.MultiClassDiceLoss(activation='softmax')"
    assert loss_curves(lossviz.nn.FocalLoss, points=3, gamma=1.0)["title"] == "nn.FocalLoss(gamma=1)"


def test_every_view_draws_a_finite_table_at_its_defaults():
    for name in LOSSES:
        text = explorer_text(loss_curves(name, points=21))
        assert text.startswith(f"nn.{name}(") and "inf" not in text, text
        assert ("nan" in text) == (name == "RMSELoss"), text


# -- argument errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("points, error", [(0, ValueError), (-5, ValueError), (1, ValueError), (2.5, TypeError),
                                           (True, TypeError), ("201", TypeError), (None, TypeError)])
def test_points_must_be_an_int_of_at_least_two(points, error):
    with pytest.raises(error, match="For 'loss_curves', the 'points' must be an int"):
        loss_curves("L1Loss", points=points)


def test_numpy_ints_are_points_too():
    assert len(loss_curves("L1Loss", points=np.int64(7))["x"]) == 7


@pytest.mark.parametrize("loss", ["HingeLoss", "l1loss", "LossBase", None, 3, np.abs, lossviz.nn.Dense])
def test_unknown_losses_are_refused_by_name(loss):
    with pytest.raises(ValueError, match="For 'LossExplorer', the 'loss' must be in"):
        loss_curves(loss)


@pytest.mark.parametrize("name, params, error, match", [
    ("L1Loss", dict(beta=2.0), TypeError, " has no parameter 'beta'; its parameters are \\[\\]"),
    ("HuberLoss", dict(beta=2.0), TypeError, " has no parameter 'beta'; its parameters are \\['delta'\\]"),
    ("HuberLoss", dict(delta=0.0), ValueError, "'s parameter 'delta' must be in \\[0.1, 3\\], but got 0.0"),
    ("HuberLoss", dict(delta=float("nan")), ValueError, "'delta' must be in"),
    ("HuberLoss", dict(delta="1"), TypeError, "'delta' must be a float, but got str"),
    ("HuberLoss", dict(delta=True), TypeError, "'delta' must be a float, but got bool"),
    ("CosineEmbeddingLoss", dict(margin=1.5), ValueError, "'margin' must be in \\[-1, 1\\]"),
    ("FocalLoss", dict(gamma=-1.0), ValueError, "'gamma' must be in \\[0, 5\\]"),
    ("CrossEntropyLoss", dict(label_smoothing=1.1), ValueError, "'label_smoothing' must be in \\[0, 1\\]"),
    ("GaussianNLLLoss", dict(eps=0.0), ValueError, "'eps' must be in \\[1e-06, 1\\]"),
    ("PoissonNLLLoss", dict(log_input=1), TypeError, "'log_input' must be a bool, but got int"),
    ("MultiMarginLoss", dict(p=3), ValueError, "'p' must be in \\[1, 2\\]"),
    ("MultiMarginLoss", dict(p=1.0), TypeError, "'p' must be an int, but got float"),
    ("CTCLoss", dict(frames=0), ValueError, "'frames' must be in \\[1, 6\\]"),
    ("MultiClassDiceLoss", dict(activation="softplus"), ValueError, "'activation' must be one of"),
])
def test_bad_parameters_name_the_function_and_the_parameter(name, params, error, match):
    with pytest.raises(error, match=f"For 'loss_curves', {name}.*" + match):
        loss_curves(name, **params)


def test_every_parameter_default_is_in_its_range():
    for name, view in VIEWS.items():
        assert PARAMETERS.get(name, ()) == tuple(view.params)
        loss_curves(name, points=3, **{k: spec.default for k, spec in view.params.items()})


# -- the widget -------------------------------------------------------------------------------------
def test_the_widget_shows_the_current_loss_controls_and_keeps_each_loss_values(capsys):
    explorer = LossExplorer(loss="HuberLoss", delta=0.5)
    assert explorer.text == explorer_text(loss_curves("HuberLoss", delta=0.5))
    assert [c.description for c in explorer.controls.children] == ["delta"]
    explorer.loss.value = "PoissonNLLLoss"
    assert [c.description for c in explorer.controls.children] == ["target", "log_input", "full", "eps"]
    explorer.log_input.value = False
    assert "input = rate" in explorer.text
    explorer.loss.value = "HuberLoss"
    assert explorer.delta.value == 0.5 and explorer.text.startswith("nn.HuberLoss(delta=0.5)")
    explorer.loss.value = "MultiClassDiceLoss"
    explorer.activation.value = "tanh"
    assert explorer.text.startswith("nn.MultiClassDiceLoss(activation='tanh')")
    explorer.loss.value = "CTCLoss"
    explorer.frames.value = 5
    assert explorer.text == explorer_text(loss_curves("CTCLoss", frames=5))
    with pytest.raises(AttributeError, match="CTCLoss has the parameters \\['frames'\\]"):
        explorer.delta
    assert capsys.readouterr().out == ""


def test_the_widget_checks_its_arguments():
    with pytest.raises(ValueError, match="For 'LossExplorer', HuberLoss's parameter 'delta' must be in"):
        LossExplorer(loss="HuberLoss", delta=-1.0)
    with pytest.raises(TypeError, match="For 'LossExplorer', L1Loss has no parameter 'beta'"):
        LossExplorer(loss="L1Loss", beta=2.0)
    with pytest.raises(ValueError, match="For 'LossExplorer', the 'loss' must be in"):
        LossExplorer(loss="Huber")


def test_log_sliders_reach_their_defaults():
    explorer = LossExplorer(loss="GaussianNLLLoss")
    assert math.isclose(explorer.eps.value, 1e-6)
    assert explorer.text.startswith("nn.GaussianNLLLoss(full=False, eps=1e-06)")
