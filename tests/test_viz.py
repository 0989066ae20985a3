"""The teaching layer (lossviz.viz), tested through its data, not its pixels.

A fake renderer records what the live plot asked it to draw; widget text comes
from plain functions; curves are compared with the formulas they illustrate.
"""
import base64
import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import require_module

require_module("matplotlib")
require_module("ipywidgets")

import lossviz  # noqa: E402
import lossviz.nn as nn  # noqa: E402
from lossviz import Model, Tensor  # noqa: E402
from lossviz import dataset as ds  # noqa: E402
from lossviz.train.callback import LossMonitor, LossRecorder  # noqa: E402
from lossviz.tutorial_code import CustomWithLossCell, L1LossForMultiLabel  # noqa: E402
from lossviz.viz import (LOSSES, LiveLossPlot, LossExplorer, LossHistory, NotebookRenderer,  # noqa: E402
                         ReductionToggle, compare_losses, draw_history, explorer_text, loss_curves, new_figure,
                         reduction_text)
from lossviz.viz.reduction import reduction_grad  # noqa: E402


# -- data and a network with a fixed start (the tutorial's loss cells come from tutorial_code) --
def linear_net():
    return nn.Dense(1, 1, Tensor(np.array([[0.01]], np.float32)), Tensor(np.array([-0.02], np.float32)))


def rows(num, labels=1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-10, 10, (num, 1)).astype(np.float32)
    ys = [(2 * x + 3 + rng.normal(-k, 1, (num, 1))).astype(np.float32) for k in range(labels)]
    return [(x[i], *(y[i] for y in ys)) for i in range(num)]


def dataset(num=64, labels=1):
    names = ["data"] + (["label"] if labels == 1 else [f"label{k + 1}" for k in range(labels)])
    return ds.GeneratorDataset(rows(num, labels), column_names=names, shuffle=False).batch(16)


class FakeRenderer:
    """Records each call with the number of steps the history held then."""

    def __init__(self):
        self.calls = []

    def open(self, history):
        self.calls.append(("open", len(history)))

    def send(self, history):
        self.calls.append(("send", len(history)))

    def close(self, history):
        self.calls.append(("close", len(history)))


def train_single(callbacks, epochs=2, num=64):
    net = linear_net()
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
    Model(net, nn.L1Loss(), opt).train(epochs, dataset(num), callbacks=callbacks, dataset_sink_mode=False)
    return net


def train_multi(callbacks, epochs=2, num=64):
    net = linear_net()
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
    model = Model(network=CustomWithLossCell(net, L1LossForMultiLabel()), optimizer=opt)
    model.train(epochs, dataset(num, labels=2), callbacks=callbacks, dataset_sink_mode=False)
    return net


# -- import hygiene --------------------------------------------------------------------
def test_import_lossviz_imports_no_plotting_library():
    code = ("import sys, lossviz; import lossviz.viz\n"
            "bad = [m for m in ('matplotlib', 'ipywidgets', 'IPython') if m in sys.modules]\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import sys, lossviz; print('lossviz.viz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# -- LossHistory -------------------------------------------------------------------------
def test_history_records_steps_labels_and_epoch_means():
    h = LossHistory()
    h.add(1, 4.0, {"label1": 3.0})
    h.add(2, 2.0, {"label1": 1.0})
    h.end_epoch(1)
    h.add(3, 1.0, {"label1": 0.5})
    h.end_epoch(2)
    assert h.steps == [(1, 4.0), (2, 2.0), (3, 1.0)]
    assert h.labels == {"label1": [(1, 3.0), (2, 1.0), (3, 0.5)]}
    assert h.epochs == [(1, 3.0), (2, 1.0)]
    h.reset()
    assert (h.steps, h.labels, h.epochs) == ([], {}, [])


def test_history_smoothing_is_a_debiased_moving_average():
    h = LossHistory()
    for step, v in enumerate([4.0, 2.0, 8.0], 1):
        h.add(step, v)
    # ema: 0.5*4=2 /0.5 -> 4 ; (0.5*2 + 0.5*2)=2 /0.75 ... computed by hand:
    e1 = 0.5 * 4.0
    e2 = 0.5 * e1 + 0.5 * 2.0
    e3 = 0.5 * e2 + 0.5 * 8.0
    assert h.smoothed(0.5) == pytest.approx([e1 / 0.5, e2 / 0.75, e3 / 0.875])
    assert h.smoothed(0.0) == [4.0, 2.0, 8.0]


def test_history_smoothing_skips_nan():
    h = LossHistory()
    h.add(1, 2.0)
    h.add(2, float("nan"))
    h.add(3, 2.0)
    assert h.smoothed(0.9) == pytest.approx([2.0, 2.0, 2.0])


# -- LiveLossPlot: recording and throttling ------------------------------------------------
def test_live_plot_records_what_model_train_returns():
    recorder, fake = LossRecorder(), FakeRenderer()
    plot = LiveLossPlot(every_n_steps=3, min_interval=0, draw_budget=1, renderer=fake)
    train_single([recorder, plot], epochs=2)
    assert plot.history.steps == recorder.steps
    assert [epoch for epoch, _ in plot.history.epochs] == [epoch for epoch, _ in recorder.epochs]
    assert [loss for _, loss in plot.history.epochs] == pytest.approx([loss for _, loss in recorder.epochs])
    assert len(plot.history) == 8 and plot.history.total_steps == 8
    assert plot.history.labels == {}


def test_the_plot_history_is_a_loss_recorder_restarted_by_each_training():
    assert issubclass(LossHistory, LossRecorder)
    recorder, plot = LossRecorder(), LiveLossPlot(renderer=FakeRenderer())
    train_single([recorder, plot], epochs=1)
    train_single([recorder, plot], epochs=1)
    assert [s for s, _ in recorder.steps] == [1, 2, 3, 4, 5, 6, 7, 8]  # a recorder continues the curve
    assert plot.history.step_numbers() == [1, 2, 3, 4]  # the plot draws the last training
    assert plot.history.values() == [loss for _, loss in recorder.steps[4:]]
    assert repr(plot.history) == "LossHistory(steps=4, epochs=1)"


def test_live_plot_redraws_every_n_steps_then_once_at_the_end():
    fake = FakeRenderer()
    train_single([LiveLossPlot(every_n_steps=3, min_interval=0, draw_budget=1, renderer=fake)], epochs=2)
    assert fake.calls == [("open", 0), ("send", 3), ("send", 6), ("close", 8)]


def test_live_plot_time_throttle_keeps_only_open_and_close():
    fake = FakeRenderer()
    train_single([LiveLossPlot(every_n_steps=1, min_interval=3600, renderer=fake)], epochs=2)
    assert fake.calls == [("open", 0), ("close", 8)]


def test_live_plot_composes_with_loss_monitor_and_prints_nothing(capsys):
    train_single([LossMonitor()], epochs=1)
    alone = capsys.readouterr()
    train_single([LossMonitor(), LiveLossPlot(min_interval=0, every_n_steps=1, renderer=FakeRenderer())], epochs=1)
    together = capsys.readouterr()
    assert together.out == alone.out
    assert together.out.splitlines()[0].startswith("epoch: 1 step: 1, loss is ")
    assert len(together.out.splitlines()) == 4


def test_live_plot_does_not_change_training():
    plain = train_multi([])
    plotted = train_multi([LiveLossPlot(min_interval=0, every_n_steps=1, renderer=FakeRenderer())])
    for a, b in zip(plain.trainable_params(), plotted.trainable_params()):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_live_plot_splits_a_multilabel_loss_per_label():
    recorder = LossRecorder()
    plot = LiveLossPlot(min_interval=0, renderer=FakeRenderer())
    train_multi([recorder, plot])
    h = plot.history
    assert sorted(h.labels) == ["label1", "label2"]
    assert h.steps == recorder.steps
    # Measured before the update, like the total: total = (label1 + label2) / 2.
    totals = np.array(h.values())
    halves = (np.array(h.values("label1")) + np.array(h.values("label2"))) / 2
    np.testing.assert_allclose(totals, halves, rtol=1e-5, atol=1e-6)
    assert h.step_numbers("label2") == h.step_numbers()


def test_live_plot_per_label_with_an_explicit_backbone_and_loss():
    net = linear_net()
    seen = []

    def squared(pred, label):
        seen.append(pred.shape)
        return float(np.mean((pred.asnumpy() - label.asnumpy()) ** 2))

    plot = LiveLossPlot(per_label=True, backbone=net, label_loss=squared, label_names=["y"], renderer=FakeRenderer())
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
    Model(net, nn.MSELoss(), opt).train(1, dataset(32), callbacks=[plot], dataset_sink_mode=False)
    np.testing.assert_allclose(plot.history.values("y"), plot.history.values(), rtol=1e-5)
    assert seen == [(16, 1), (16, 1)]


def test_live_plot_per_label_needs_a_backbone():
    net = linear_net()
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
    model = Model(network=CustomWithLossCell(net, L1LossForMultiLabel()), optimizer=opt)
    model.train(1, dataset(32, labels=2), callbacks=[LiveLossPlot(renderer=FakeRenderer())], dataset_sink_mode=False)

    class Hidden(nn.Cell):  # a loss network without `_backbone`
        def __init__(self):
            super().__init__()
            self.inner = CustomWithLossCell(net, L1LossForMultiLabel())

        def construct(self, *columns):
            return self.inner(*columns)

    model = Model(network=Hidden(), optimizer=opt)
    with pytest.raises(ValueError, match="For 'LiveLossPlot', 'per_label=True' needs the network's backbone"):
        model.train(1, dataset(32, labels=2), callbacks=[LiveLossPlot(per_label=True, renderer=FakeRenderer())],
                    dataset_sink_mode=False)
    # Without per_label=True the same network trains, with the total only.
    plot = LiveLossPlot(renderer=FakeRenderer())
    model.train(1, dataset(32, labels=2), callbacks=[plot], dataset_sink_mode=False)
    assert plot.history.labels == {} and len(plot.history) == 2


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(every_n_steps=0), ValueError, "'every_n_steps' must be >= 1, but got 0"),
    (dict(every_n_steps=2.5), TypeError, "'every_n_steps' must be an int, but got float"),
    (dict(min_interval=-1), ValueError, "'min_interval' must be >= 0, but got -1"),
    (dict(min_interval=float("nan")), ValueError, "'min_interval' must be a finite number, but got nan"),
    (dict(draw_budget=0), ValueError, "'draw_budget' must be in \\(0, 1\\], but got 0"),
    (dict(smoothing=1.0), ValueError, "'smoothing' must be in \\[0, 1\\), but got 1.0"),
    (dict(per_label="yes"), ValueError, "'per_label' must be None, True or False, but got 'yes'"),
    (dict(figsize=(-1, 2)), ValueError, "'figsize' must be two positive numbers, but got \\(-1, 2\\)"),
    (dict(figsize=7), TypeError, "'figsize' must be a \\(width, height\\) pair in inches"),
    (dict(dpi=0), ValueError, "'dpi' must be >= 1, but got 0"),
    (dict(dpi=72.5), TypeError, "'dpi' must be an int"),
    (dict(title=None), TypeError, "'title' must be a str"),
    (dict(save_png=3), TypeError, "'save_png' must be a path, None or False"),
    (dict(label_loss="l1"), TypeError, "'label_loss' must be callable"),
    (dict(label_names="ab"), TypeError, "'label_names' must be a list of str"),
])
def test_live_plot_rejects_bad_arguments(kwargs, error, message):
    """Refused when made, not after training (issue 12: figsize=(-1, 2), dpi=0, min_interval=nan)."""
    with pytest.raises(error, match="For 'LiveLossPlot', the " + message):
        LiveLossPlot(**kwargs)


# -- LiveLossPlot: rendering ------------------------------------------------------------------
def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


class FakeHandle:
    def __init__(self, frames):
        self.frames = frames

    def update(self, obj, raw=False):
        assert raw
        self.frames.append(obj)


def test_notebook_renderer_shows_one_figure_and_updates_it_in_place():
    frames, displays = [], []

    def fake_display(obj, raw=False, display_id=None):
        assert raw and display_id is True
        displays.append(obj)
        frames.append(obj)
        return FakeHandle(frames)

    renderer = NotebookRenderer(display=fake_display)
    train_single([LiveLossPlot(every_n_steps=2, min_interval=0, draw_budget=1, renderer=renderer)], epochs=1)
    assert len(displays) == 1  # shown once ...
    assert len(frames) == 1 + 2 + 1  # ... then updated at steps 2 and 4 and at the end
    texts = {f["text/plain"] for f in frames}
    assert texts == {"<Figure size 600x224 with 1 Axes>"}  # the same text/plain on every frame
    sizes = {png_size(base64.b64decode(f["image/png"])) for f in frames}
    assert sizes == {(600, 224)}  # fixed size
    # open, step 2, step 4 are three pictures; the final redraw repeats step 4's.
    assert len({f["image/png"] for f in frames[:3]}) == 3 and frames[3] == frames[2]


def test_drawn_lines_carry_the_history():
    h = LossHistory()
    for step, v in enumerate([5.0, 3.0, 4.0, 1.0], 1):
        h.add(step, v, {"label1": v + 1, "label2": v - 1})
    fig = draw_history(new_figure(), h, smoothing=0.5)
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert sorted(lines) == ["label1 (smoothed)", "label2 (smoothed)", "loss (smoothed)", "loss per step"]
    np.testing.assert_array_equal(lines["loss per step"].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(lines["loss per step"].get_ydata(), [5.0, 3.0, 4.0, 1.0])
    np.testing.assert_allclose(lines["loss (smoothed)"].get_ydata(), h.smoothed(0.5))
    np.testing.assert_allclose(lines["label2 (smoothed)"].get_ydata(), h.smoothed(0.5, "label2"))
    assert ax.get_title() == "training loss: step 4, loss 1"


def test_outside_a_notebook_the_final_figure_goes_to_a_png(tmp_path):
    assert not lossviz.viz.in_notebook()
    path = tmp_path / "out" / "curve.png"
    plot = LiveLossPlot(save_png=str(path))
    train_single([plot], epochs=1)
    assert png_size(path.read_bytes()) == (600, 224)
    quiet = LiveLossPlot(save_png=False)
    train_single([quiet], epochs=1)
    assert len(quiet.history) == 4 and type(quiet.renderer).__name__ == "NullRenderer"


# -- the reduction toggle -------------------------------------------------------------------------
def test_reduction_text_shows_the_tutorial_numbers():
    assert reduction_text("mean").splitlines()[1] == "loss = 1.5"
    assert reduction_text("sum").splitlines()[1] == "loss = 9.0"
    none = reduction_text("none")
    assert "[[1. 0. 2.]\n [1. 2. 3.]]" in none


def test_reduction_gradients_scale_with_reduction_and_batch():
    sign = np.sign(np.array([[1, 0, -2], [-1, 2, 3]], np.float32))
    _, g_mean = reduction_grad("L1Loss", "mean")
    _, g_sum = reduction_grad("L1Loss", "sum")
    _, g_none = reduction_grad("L1Loss", "none")
    np.testing.assert_allclose(g_mean, sign / 6)
    np.testing.assert_allclose(g_sum, sign)
    np.testing.assert_allclose(g_none, sign)
    _, g_mean8 = reduction_grad("L1Loss", "mean", rows=8)
    np.testing.assert_allclose(g_mean8, np.tile(sign, (4, 1)) / 24)
    value, g = reduction_grad("MSELoss", "mean")
    assert value == pytest.approx(np.mean(np.array([1, 0, 4, 1, 4, 9])))
    np.testing.assert_allclose(g, 2 * np.array([[1, 0, -2], [-1, 2, 3]]) / 6, rtol=1e-6)


def test_reduction_text_rejects_bad_input():
    with pytest.raises(ValueError, match="For 'ReductionToggle', the 'reduction' must be in"):
        reduction_text("avg")
    with pytest.raises(ValueError, match="For 'ReductionToggle', the 'loss' must be in"):
        reduction_text("sum", loss="BCELoss")


def test_reduction_toggle_widget(capsys):
    import ipywidgets

    panel = ReductionToggle()
    assert isinstance(panel.toggle, ipywidgets.ToggleButtons)
    assert panel.toggle.options == ("mean", "sum", "none")
    assert panel.toggle.description == "Reduction"
    assert "loss = 1.5" in panel.result.value
    panel.toggle.value = "sum"
    assert "loss = 9.0" in panel.result.value and panel.text == reduction_text("sum")
    panel.toggle.value = "none"
    assert "[[1. 0. 2.]\n [1. 2. 3.]]" in panel.result.value
    panel.rows.value = 4
    assert panel.text == reduction_text("none", rows=4)
    assert capsys.readouterr().out == ""  # handlers print nothing into the cell


# -- the loss explorer ----------------------------------------------------------------------------
def curve(name, **params):
    c = loss_curves(name, points=41, **params)
    return c["x"], c["series"]


def test_explorer_regression_curves_match_their_formulas():
    x, [(_, loss, grad)] = curve("L1Loss")
    np.testing.assert_allclose(loss, np.abs(x), atol=1e-6)
    np.testing.assert_allclose(grad, np.sign(x), atol=1e-6)
    x, [(_, loss, grad)] = curve("MSELoss")
    np.testing.assert_allclose(loss, x ** 2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-5, atol=1e-6)
    x, [(_, loss, grad)] = curve("SmoothL1Loss", beta=2.0)
    inside = np.abs(x) < 2.0
    np.testing.assert_allclose(loss, np.where(inside, 0.25 * x ** 2, np.abs(x) - 1.0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, np.clip(x / 2.0, -1, 1), rtol=1e-5, atol=1e-6)


def test_explorer_classification_curves_match_their_formulas():
    z, [(_, l1, g1), (_, l0, g0)] = curve("BCELoss", weight=2.0)
    p = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(l1, -2 * np.log(p + 1e-12), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g1, 2 * (p - 1), rtol=1e-3, atol=1e-5)  # sigmoid + BCE: w (p - y)
    np.testing.assert_allclose(g0, 2 * p, rtol=1e-3, atol=1e-5)
    for name, others in (("SoftmaxCrossEntropyWithLogits", 2), ("SampledSoftmaxLoss", 4)):
        z, [(_, loss, grad)] = curve(name)
        p = np.exp(z) / (np.exp(z) + others)
        np.testing.assert_allclose(loss, -np.log(p), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(grad, p - 1, rtol=1e-4, atol=1e-5)


def test_explorer_cosine_curves_match_their_formulas():
    c, [(_, l_pos, g_pos), (_, l_neg, g_neg)] = curve("CosineEmbeddingLoss", margin=0.5)
    np.testing.assert_allclose(l_pos, 1 - c, atol=1e-5)
    np.testing.assert_allclose(g_pos, -1, atol=1e-3)
    np.testing.assert_allclose(l_neg, np.maximum(c - 0.5, 0), atol=1e-5)
    away = np.abs(c - 0.5) > 1e-3
    np.testing.assert_allclose(g_neg[away], (c > 0.5)[away].astype(float), atol=1e-3)


def test_explorer_text_and_widget(capsys):
    explorer = LossExplorer()
    assert explorer.loss.options == LOSSES and len(LOSSES) == 29  # every loss of lossviz.nn (more in test_explorer)
    assert [c.description for c in explorer.controls.children] == ["beta"]
    explorer.beta.value = 2.0
    assert explorer.text == explorer_text(loss_curves("SmoothL1Loss", beta=2.0))
    assert explorer.text.splitlines()[0].startswith("nn.SmoothL1Loss(beta=2): loss and gradient")
    first_png = explorer.image.value
    explorer.loss.value = "CosineEmbeddingLoss"
    assert [c.description for c in explorer.controls.children] == ["margin"]
    assert explorer.image.value != first_png and png_size(explorer.image.value) == (640, 232)
    assert capsys.readouterr().out == ""


def test_explorer_rejects_an_unknown_loss():
    with pytest.raises(ValueError, match="For 'LossExplorer', the 'loss' must be in"):
        loss_curves("HingeLoss")


# -- outliers ----------------------------------------------------------------------------------------
def test_outliers_pull_mse_but_not_l1_and_leave_the_global_rng_alone():
    state = np.random.get_state()[1].copy()
    clean = compare_losses(0.0)["fits"]
    dirty = compare_losses(0.25)["fits"]
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    for name, (w, b, losses) in clean.items():
        assert abs(w - 2) < 0.1 and abs(b - 3) < 0.3, (name, w, b)
        assert len(losses) == 30 and losses[-1] < losses[0]
    assert dirty["MSELoss"][1] > 3 + 4  # pulled up by about 0.25 * 25
    assert abs(dirty["L1Loss"][1] - 3) < 1.5 and abs(dirty["SmoothL1Loss"][1] - 3) < 1.5


def test_long_runs_are_drawn_with_every_kth_point():
    h = LossHistory()
    for step in range(1, 5001):
        h.add(step, 1.0 / step)
    (ax,) = draw_history(new_figure(), h, max_points=2000).axes
    raw = ax.get_lines()[0]
    np.testing.assert_array_equal(raw.get_xdata(), np.arange(1, 5001, 3))
    np.testing.assert_allclose(raw.get_ydata(), 1.0 / np.arange(1, 5001, 3))
