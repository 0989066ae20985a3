"""Model.train against the golden traces of real MindSpore 2.10 (../shared/reference/training.json).

Per step: the forward loss (before the update), the weight and bias after the
update, the LossMonitor lines (tutorial-era format); then the callback
protocol, the three-column misuse and the NaN stop.
"""
import json

import numpy as np
import pytest

import lossviz
import lossviz.nn as nn
from lossviz import Model, Tensor
from lossviz import dataset as ds
from lossviz import tutorial_code
from lossviz.train.callback import Callback, LossMonitor
from lossviz.tutorial_code import CustomWithLossCell, L1Loss, L1LossForMultiLabel

from conftest import SHARED, require_shared

REFERENCE = SHARED / "reference" / "training.json"
RTOL, ATOL = 1e-5, 1e-6


@pytest.fixture(scope="module")
def golden():
    require_shared(REFERENCE)
    return json.loads(REFERENCE.read_text())


# ----- the tutorial's cells (tutorial_code), and its LinearNet with fixed initial weights -----
class LinearNet(tutorial_code.LinearNet):
    """The tutorial's LinearNet, its Normal(0.02) start replaced by the golden traces' w0, b0."""

    def __init__(self, w0=0.01, b0=-0.02):
        super(LinearNet, self).__init__()
        self.fc.weight.set_data(np.array([[w0]], np.float32))
        self.fc.bias.set_data(np.array([b0], np.float32))


class Trace(Callback):
    """Records what the golden trace recorded, in on_train_step_end."""

    def __init__(self, net):
        self.net, self.steps = net, []

    def on_train_step_end(self, run_context):
        cb = run_context.original_args()
        self.steps.append({
            "epoch": cb.cur_epoch_num, "global_step": cb.cur_step_num,
            "step_in_epoch": (cb.cur_step_num - 1) % cb.batch_num + 1,
            "batch_size": cb.train_dataset_element[0].shape[0], "loss": float(cb.net_outputs.asnumpy()),
            "weight_after": float(self.net.fc.weight.asnumpy()[0, 0]),
            "bias_after": float(self.net.fc.bias.asnumpy()[0])})


def rows_dataset(section, batch):
    rows = np.array(section["dataset"]["rows"], np.float32)
    source = [tuple(row[i:i + 1] for i in range(rows.shape[1])) for row in rows]
    return ds.GeneratorDataset(source, column_names=section["dataset"]["columns"], shuffle=False).batch(batch)


def assert_steps(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        for key in ("epoch", "global_step", "step_in_epoch", "batch_size"):
            assert g[key] == e[key], (key, g, e)
        for key in ("loss", "weight_after", "bias_after"):
            np.testing.assert_allclose(g[key], e[key], rtol=RTOL, atol=ATOL, err_msg=f"{key} at {e}")


def assert_monitor_lines(lines, expected):
    assert len(lines) == len(expected)
    for line, want in zip(lines, expected):
        head, _, number = line.rpartition(" ")
        want_head, _, want_number = want.rpartition(" ")
        assert head == want_head
        assert number == str(np.float32(float(number)))  # the tutorial's float32 str form
        np.testing.assert_allclose(float(number), float(want_number), rtol=RTOL)


# ----- the two tutorial trainings -----
@pytest.mark.parametrize("loss_cls", [L1Loss, nn.L1Loss], ids=["tutorial_L1Loss", "nn.L1Loss"])
def test_single_label_trace(golden, loss_cls, capsys):
    g = golden["single_label"]
    net = LinearNet(g["w0"], g["b0"])
    opt = nn.Momentum(net.trainable_params(), learning_rate=g["lr"], momentum=g["momentum"])
    model = Model(net, loss_cls(), opt)
    trace = Trace(net)
    model.train(epoch=g["epochs"], train_dataset=rows_dataset(g, g["batch"]),
                callbacks=[LossMonitor(g["per_print_times"]), trace], dataset_sink_mode=False)
    assert_steps(trace.steps, g["steps"])
    assert_monitor_lines(capsys.readouterr().out.splitlines(), g["loss_monitor_lines_tutorial_era_format"])
    assert [p.name for p in net.trainable_params()] == g["param_names"]
    np.testing.assert_allclose(net.fc.weight.asnumpy().item(), g["final"]["weight"], rtol=RTOL)
    np.testing.assert_allclose(net.fc.bias.asnumpy().item(), g["final"]["bias"], rtol=RTOL)
    moments = {m.name: m.asnumpy() for m in opt.moments}
    assert set(moments) == set(g["final"]["moments"])
    for name, value in g["final"]["moments"].items():
        assert moments[name].shape == np.shape(value)
        np.testing.assert_allclose(moments[name], value, rtol=RTOL, atol=ATOL)
    assert int(opt.global_step.asnumpy()[0]) == len(g["steps"])


def test_multi_label_trace(golden, capsys):
    g = golden["multi_label"]
    net = LinearNet(g["w0"], g["b0"])
    loss_net = CustomWithLossCell(net, L1LossForMultiLabel())
    opt = nn.Momentum(net.trainable_params(), learning_rate=g["lr"], momentum=g["momentum"])
    model = Model(network=loss_net, optimizer=opt)
    trace = Trace(net)
    model.train(epoch=g["epochs"], train_dataset=rows_dataset(g, g["batch"]),
                callbacks=[LossMonitor(g["per_print_times"]), trace], dataset_sink_mode=False)
    assert_steps(trace.steps, g["steps"])
    assert_monitor_lines(capsys.readouterr().out.splitlines(), g["loss_monitor_lines_tutorial_era_format"])
    assert [p.name for p in loss_net.trainable_params()] == g["param_names"]
    np.testing.assert_allclose(net.fc.weight.asnumpy().item(), g["final"]["weight"], rtol=RTOL)
    np.testing.assert_allclose(net.fc.bias.asnumpy().item(), g["final"]["bias"], rtol=RTOL)


def test_the_step_is_the_documented_float32_formula(golden):
    """pred = x*w + b; gw = mean(sign(pred-y)*x); gb = mean(sign(pred-y)); then Momentum (spec §6)."""
    g = golden["single_label"]
    rows = np.array(g["dataset"]["rows"], np.float32)
    w, b = np.float32(g["w0"]), np.float32(g["b0"])
    vw = vb = np.float32(0)
    lr, m = np.float32(g["lr"]), np.float32(g["momentum"])
    for step, start in zip(g["steps"], range(0, len(rows), g["batch"])):
        x, y = rows[start:start + g["batch"], 0], rows[start:start + g["batch"], 1]
        s = np.sign(x * w + b - y)
        vw, vb = m * vw + np.mean(s * x), m * vb + np.mean(s)
        w, b = w - lr * vw, b - lr * vb
        np.testing.assert_allclose([w, b], [step["weight_after"], step["bias_after"]], rtol=RTOL, atol=ATOL)


# ----- the training loop's protocol -----
class HookRecorder(Callback):
    def __init__(self):
        self.hooks, self.keys = [], {}

    def _record(self, name, run_context):
        cb = run_context.original_args()
        self.hooks.append({"hook": name, "cur_epoch_num": cb.get("cur_epoch_num"),
                           "cur_step_num": cb.cur_step_num, "batch_num": cb.batch_num,
                           "has_net_outputs": "net_outputs" in cb})
        self.keys.setdefault(name, sorted(cb))

    def on_train_begin(self, rc):
        self._record("on_train_begin", rc)

    def on_train_epoch_begin(self, rc):
        self._record("on_train_epoch_begin", rc)

    def on_train_step_begin(self, rc):
        self._record("on_train_step_begin", rc)

    def on_train_step_end(self, rc):
        self._record("on_train_step_end", rc)

    def on_train_epoch_end(self, rc):
        self._record("on_train_epoch_end", rc)

    def on_train_end(self, rc):
        self._record("on_train_end", rc)


def tutorial_rows(seed, n, labels=1):
    np.random.seed(seed)
    rows = []
    for _ in range(n):
        x = np.random.uniform(-10.0, 10.0)
        noises = [np.random.normal(0, 1)] + ([np.random.normal(-1, 1)] if labels == 2 else [])
        rows.append((np.array([x], np.float32),) + tuple(np.array([x * 2.0 + 3.0 + e], np.float32) for e in noises))
    return rows


def test_callback_protocol(golden, capsys):
    g = golden["callback_protocol"]
    net = LinearNet(g["w0"], g["b0"])
    model = Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), g["lr"], g["momentum"]))
    dataset = ds.GeneratorDataset(tutorial_rows(g["data_seed"], g["num_samples"]), ["data", "label"],
                                  shuffle=False).batch(g["batch"])
    assert dataset.get_dataset_size() == g["dataset_size"]
    recorder, trace = HookRecorder(), Trace(net)
    model.train(g["epochs"], dataset, callbacks=[recorder, LossMonitor(g["per_print_times"]), trace])
    assert recorder.hooks == g["hooks"]
    assert recorder.keys["on_train_begin"] == g["cb_params_keys_at_train_begin"]
    assert recorder.keys["on_train_step_end"] == g["cb_params_keys_at_step_end"]
    assert_steps(trace.steps, g["steps"])
    tutorial_format = [line.rpartition(" ")[0] + " " + str(np.float32(float(line.rpartition(" ")[2])))
                       for line in g["loss_monitor_lines"]]
    assert_monitor_lines(capsys.readouterr().out.splitlines(), tutorial_format)


def test_cb_params_fields():
    net = LinearNet()
    opt = nn.Momentum(net.trainable_params(), 0.005, 0.9)
    loss = nn.L1Loss()
    model = Model(net, loss, opt)
    dataset = ds.GeneratorDataset(tutorial_rows(0, 20), ["data", "label"], shuffle=False).batch(8)
    seen = {}

    class Look(Callback):
        def step_end(self, run_context):  # a 1.x-style callback still works
            seen.update(run_context.original_args())

    model.train(1, dataset, callbacks=Look())
    assert seen["cur_epoch_num"] == 1 and seen["cur_step_num"] == 3 and seen["batch_num"] == 3
    assert seen["epoch_num"] == 1 and seen["mode"] == "train" and seen["dataset_sink_mode"] is False
    assert seen["network"] is net and seen["optimizer"] is opt and seen["loss_fn"] is loss
    assert seen["train_network"] is model.train_network
    assert isinstance(seen["train_network"], nn.TrainOneStepCell)
    assert isinstance(seen["net_outputs"], Tensor) and seen["net_outputs"].shape == ()
    assert isinstance(seen["train_dataset_element"], list) and len(seen["train_dataset_element"]) == 2
    assert seen["train_dataset_element"][0].shape == (4, 1)  # 20 rows = 8 + 8 + 4
    assert seen["train_dataset"] is dataset


def test_cur_step_num_is_global_and_restarts_with_each_train_call():
    net = LinearNet()
    model = Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9))
    dataset = ds.GeneratorDataset(tutorial_rows(0, 30), ["data", "label"]).batch(10)
    recorder = HookRecorder()
    model.train(2, dataset, callbacks=[recorder])
    model.train(1, dataset, callbacks=[recorder])
    steps = [h["cur_step_num"] for h in recorder.hooks if h["hook"] == "on_train_step_end"]
    assert steps == [1, 2, 3, 4, 5, 6, 1, 2, 3]


def test_request_stop_finishes_the_epoch_and_the_training():
    net = LinearNet()
    model = Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9))
    dataset = ds.GeneratorDataset(tutorial_rows(0, 40), ["data", "label"]).batch(10)

    class StopAt(HookRecorder):
        def on_train_step_end(self, rc):
            super().on_train_step_end(rc)
            if rc.original_args().cur_step_num == 2:
                rc.request_stop()

    recorder = StopAt()
    model.train(3, dataset, callbacks=[recorder])
    assert [h["hook"] for h in recorder.hooks] == [
        "on_train_begin", "on_train_epoch_begin", "on_train_step_begin", "on_train_step_end",
        "on_train_step_begin", "on_train_step_end", "on_train_epoch_end", "on_train_end"]


# ----- misuse and failures -----
def test_three_columns_with_a_loss_fn_is_refused_with_the_fix(golden, capsys):
    g = golden["misuse_three_columns"]
    net = LinearNet()
    model = Model(net, L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9))
    dataset = ds.GeneratorDataset(tutorial_rows(g["data_seed"], g["num_samples"], labels=2),
                                  ["data", "label1", "label2"]).batch(16)
    recorder = HookRecorder()
    with pytest.raises(ValueError) as err:
        model.train(1, dataset, callbacks=[recorder, LossMonitor()])
    message = str(err.value)
    assert message.startswith(g["error"]["message"])
    assert "WithLossCell" in message and "Model(network=loss_net, optimizer=opt)" in message
    assert [h["hook"] for h in recorder.hooks] == g["hooks_run_before_error"]
    assert capsys.readouterr().out.splitlines() == g["stdout"]
    np.testing.assert_allclose(net.fc.weight.asnumpy().item(), g["weight_after"], rtol=RTOL)


def test_one_column_with_a_loss_fn_asks_for_data_and_label():
    net = LinearNet()
    model = Model(net, L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9))
    one_column = ds.GeneratorDataset([(np.ones(1, np.float32),)] * 4, ["data"]).batch(2)
    with pytest.raises(ValueError, match=r"got 1,.*Give the dataset two columns") as err:
        model.train(1, one_column)
    assert "To train on" not in str(err.value)


def test_column_count_must_fit_the_network_without_loss_fn():
    net = LinearNet()
    loss_net = CustomWithLossCell(net, L1LossForMultiLabel())
    model = Model(network=loss_net, optimizer=nn.Momentum(net.trainable_params(), 0.005, 0.9))
    two_columns = ds.GeneratorDataset(tutorial_rows(0, 16), ["data", "label"]).batch(8)
    with pytest.raises(ValueError, match=r"CustomWithLossCell.construct\(data, label1, label2\) takes 3 inputs.*2 col"):
        model.train(1, two_columns)
    assert net.fc.weight.asnumpy().item() == np.float32(0.01)


def test_nan_loss_stops_with_loss_monitor(golden, capsys):
    g = golden["nan_loss"]
    rows = [(np.array([float(x)], np.float32), np.array([float(y)], np.float32)) for x, y in g["rows"]]
    net = LinearNet()
    model = Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9))
    dataset = ds.GeneratorDataset(rows, ["data", "label"], shuffle=False).batch(g["batch"])
    with pytest.raises(ValueError) as err:
        model.train(1, dataset, callbacks=[LossMonitor(g["per_print_times"])])
    assert str(err.value) == g["error"]["message"]
    assert capsys.readouterr().out.splitlines() == g["stdout"]


def test_nan_without_loss_monitor_continues_silently(capsys):
    rows = [(np.array([np.nan], np.float32), np.array([1.0], np.float32))] * 4
    net = LinearNet()
    model = Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9))
    model.train(1, ds.GeneratorDataset(rows, ["data", "label"]).batch(2))
    assert capsys.readouterr().out == ""


def test_model_argument_errors():
    net = LinearNet()
    opt = nn.Momentum(net.trainable_params(), 0.005, 0.9)
    dataset = ds.GeneratorDataset(tutorial_rows(0, 8), ["data", "label"]).batch(4)
    model = Model(net, nn.L1Loss(), opt)
    with pytest.raises(ValueError, match="'epoch' must be a positive int"):
        model.train(0, dataset)
    with pytest.raises(TypeError, match="the elements in 'callbacks' must be Callback functions"):
        model.train(1, dataset, callbacks=[LossMonitor(), print])
    with pytest.raises(TypeError, match="'train_dataset' must be a lossviz dataset"):
        model.train(1, [(1, 2)])
    with pytest.raises(TypeError, match="'network' must be a Cell"):
        Model(lambda x: x)
    with pytest.raises(TypeError, match="'optimizer' must be an optimizer"):
        Model(net, nn.L1Loss(), 0.1)


def test_sink_mode_is_accepted_and_trains_the_same():
    results = []
    for sink in (False, True):
        net = LinearNet()
        model = Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9))
        model.train(1, ds.GeneratorDataset(tutorial_rows(0, 32), ["data", "label"], shuffle=False).batch(16),
                    dataset_sink_mode=sink)
        results.append(net.fc.weight.asnumpy().copy())
    assert results[0] == results[1]


def test_without_optimizer_training_is_forward_only(capsys):
    net = LinearNet()
    model = Model(net, nn.L1Loss())
    model.train(1, ds.GeneratorDataset(tutorial_rows(0, 32), ["data", "label"]).batch(16), callbacks=[LossMonitor()])
    assert net.fc.weight.asnumpy().item() == np.float32(0.01)
    assert len(capsys.readouterr().out.splitlines()) == 2  # LossMonitor still prints


# ----- eval and predict -----
def test_eval_with_metrics_and_predict():
    net = LinearNet(2.0, 3.0)
    rows = [(np.array([x], np.float32), np.array([2 * x + 3 + d], np.float32))
            for x, d in zip(range(8), [0.5, -0.5] * 4)]
    model = Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9),
                  metrics={"mae", "mse", "loss"})
    result = model.eval(ds.GeneratorDataset(rows, ["data", "label"]).batch(3))
    assert set(result) == {"mae", "mse", "loss"}
    assert result["mae"] == pytest.approx(0.5) and result["mse"] == pytest.approx(0.25)
    assert result["loss"] == pytest.approx(0.5)
    out = model.predict(Tensor(np.array([[1.0], [2.0]], np.float32)))
    np.testing.assert_allclose(out.asnumpy(), [[5.0], [7.0]])
    assert not out.requires_grad


def test_eval_of_a_loss_network_and_metric_objects():
    net = LinearNet(2.0, 3.0)
    loss_net = CustomWithLossCell(net, L1LossForMultiLabel())
    model = Model(network=loss_net, optimizer=nn.Momentum(net.trainable_params(), 0.005, 0.9),
                  metrics={"loss": nn.Loss()})
    rows = [(np.array([1.0], np.float32), np.array([6.0], np.float32), np.array([4.0], np.float32))] * 4
    assert model.eval(ds.GeneratorDataset(rows, ["data", "label1", "label2"]).batch(2)) == {"loss": 1.0}
    with pytest.raises(ValueError, match="no metrics"):
        Model(net).eval(ds.GeneratorDataset(rows, ["data", "label1", "label2"]).batch(2))


def test_an_mlp_learns_a_classification_with_accuracy():
    lossviz.set_seed(3)
    x = np.random.randn(64, 2).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int32)
    net = nn.SequentialCell(nn.Dense(2, 16, activation="relu"), nn.Dense(16, 2))
    model = Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                  nn.Adam(net.trainable_params(), learning_rate=0.05), metrics={"accuracy"})
    dataset = ds.NumpySlicesDataset((x, y), ["x", "y"]).batch(16)
    before = model.eval(dataset)["accuracy"]
    model.train(60, dataset)
    after = model.eval(dataset)["accuracy"]
    assert after >= 0.9 and after > before
