"""Classification in training and in the live plot (issue 11, notebook 07).

* ``nn.Recall``: one recall per class, as MindSpore's ``Recall('classification')``;
  ``nn.Accuracy`` with ``(N, 1)`` class indices;
* ``Model.fit``: ``train`` plus ``eval`` at the end of the epochs ``valid_frequency``
  names, the ``on_eval_*`` hooks in between with ``cb_params.metrics``, as MindSpore 2.x;
* ``LiveLossPlot`` / ``LossHistory``: the validation results of each evaluation, one
  series per number and one per class for per-class metrics, whatever the loss;
  the figure gets a second panel for them.
"""
import numpy as np
import pytest

from conftest import require_module

require_module("matplotlib")

import lossviz  # noqa: E402
import lossviz.nn as nn  # noqa: E402
from lossviz import Model, Tensor  # noqa: E402
from lossviz import dataset as ds  # noqa: E402
from lossviz.train.callback import Callback, LossMonitor, LossRecorder  # noqa: E402
from lossviz.viz import LiveLossPlot, LossHistory, draw_history, new_figure  # noqa: E402

ONE_HOT = np.eye(3, dtype=np.float32)


def blobs(n=240, seed=0):
    """Three separable classes, 70/20/10%, around three centres."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=[0.7, 0.2, 0.1]).astype(np.int32)
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], np.float32)
    return (centres[y] + rng.normal(0, 0.5, (n, 2))).astype(np.float32), y


def make_dataset(x, labels, batch=32, shuffle=False):
    return ds.GeneratorDataset(list(zip(x, labels)), column_names=["data", "label"], shuffle=shuffle).batch(batch)


def mlp():
    return nn.SequentialCell(nn.Dense(2, 16), nn.ReLU(), nn.Dense(16, 3))


def classifier(loss=None, metrics=None):
    lossviz.set_seed(0)
    net = mlp()
    metrics = metrics or {"loss": nn.Loss(), "accuracy": nn.Accuracy(), "recall": nn.Recall()}
    return Model(net, loss or nn.CrossEntropyLoss(), nn.Adam(net.trainable_params(), 0.02), metrics=metrics)


class FakeRenderer:
    def __init__(self):
        self.calls = []

    def open(self, history):
        self.calls.append(("open", dict(history.valid)))

    def send(self, history):
        self.calls.append(("send", {k: list(v) for k, v in history.valid.items()}))

    def close(self, history):
        self.calls.append(("close", {k: list(v) for k, v in history.valid.items()}))


class Events(Callback):
    """Records the hooks Model.fit calls, with what cb_params says then."""

    def __init__(self):
        self.events = []

    def on_train_epoch_end(self, run_context):
        cb = run_context.original_args()
        self.events.append(("epoch_end", cb.cur_epoch_num, sorted(cb.get("metrics") or {})))

    def on_eval_begin(self, run_context):
        cb = run_context.original_args()
        self.events.append(("eval_begin", cb.cur_epoch_num, cb.mode))

    def on_eval_end(self, run_context):
        cb = run_context.original_args()
        self.events.append(("eval_end", cb.cur_epoch_num, cb.mode, cb.cur_step_num, sorted(cb.metrics),
                            sorted(cb.eval_results)))

    def on_train_step_end(self, run_context):
        cb = run_context.original_args()
        assert cb.mode == "train" and cb.batch_num == 8


# -- metrics --------------------------------------------------------------------------------------------
def test_recall_per_class_with_indices_and_one_hot():
    scores = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    recall = nn.Recall()
    recall.update(Tensor(scores.astype(np.float32)), Tensor(np.array([0, 1, 1, 2], np.int32)))
    np.testing.assert_allclose(recall.eval(), [1.0, 0.5, 1.0])
    recall.update(scores[:2], ONE_HOT[[2, 1]])          # one-hot: argmax; accumulates over updates
    np.testing.assert_allclose(recall.eval(), [1.0, 2 / 3, 0.5])
    assert recall.eval(average=True) == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    recall.clear()
    recall.update(scores[:1], np.array([0]))             # a class never seen: recall 0, as MindSpore
    np.testing.assert_allclose(recall.eval(), [1.0, 0.0, 0.0])
    assert isinstance(nn.get_metric_fn("recall"), nn.Recall)


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.Recall("multilabel"), ValueError, "For 'Recall', the 'eval_type' must be 'classification'"),
    (lambda: nn.Recall().eval(), RuntimeError, "For 'Recall', the metric can not be computed before 'update'"),
    (lambda: nn.Recall().update(np.zeros(3), np.zeros(3)), ValueError, "'y_pred' must be \\(N, C\\) scores"),
    (lambda: nn.Recall().update(np.zeros((2, 3)), np.array([0, 3])), ValueError, "must be in \\[0, 3\\)"),
    (lambda: nn.Recall().update(np.zeros((2, 3)), np.array([0])), ValueError, "'y' must have 2 samples"),
    (lambda: nn.Recall().update(np.zeros((2, 3))), ValueError, "it needs 2 inputs, but got 1"),
])
def test_recall_refuses_bad_inputs_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_recall_refuses_a_changing_class_count():
    recall = nn.Recall()
    recall.update(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match="the number of classes changed from 3 to 4"):
        recall.update(np.zeros((2, 4)), np.array([0, 1]))


def test_accuracy_takes_n_by_1_class_indices():
    accuracy = nn.Accuracy()
    accuracy.update(np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]]), np.array([[1], [2]]))
    assert accuracy.eval() == 0.5


# -- Model.fit ------------------------------------------------------------------------------------------
def test_fit_evaluates_after_each_epoch_and_restores_training_state(capsys):
    x, y = blobs()
    model, events = classifier(), Events()
    model.fit(3, make_dataset(x, y), valid_dataset=make_dataset(x[:64], y[:64], batch=16),
              callbacks=[LossMonitor(8), events])
    for epoch in (1, 2, 3):
        begin, end, epoch_end = events.events[3 * epoch - 3: 3 * epoch]
        assert begin == ("eval_begin", epoch, "eval")
        assert end == ("eval_end", epoch, "eval", 4, ["accuracy", "loss", "recall"],
                       ["accuracy", "eval_loss", "loss", "recall"])
        assert epoch_end == ("epoch_end", epoch, ["accuracy", "loss", "recall"])
    assert capsys.readouterr().out.count("loss is") == 3    # LossMonitor: training steps only
    assert model.train_network.training and model._network.training


def test_fit_valid_frequency_and_the_same_training_as_train():
    x, y = blobs()
    model, events = classifier(), Events()
    model.fit(4, make_dataset(x, y), valid_dataset=make_dataset(x, y), valid_frequency=2, callbacks=[events])
    assert [e[1] for e in events.events if e[0] == "eval_end"] == [2, 4]
    events.events.clear()
    model.fit(3, make_dataset(x, y), valid_dataset=make_dataset(x, y), valid_frequency=[1, 3], callbacks=[events])
    assert [e[1] for e in events.events if e[0] == "eval_end"] == [1, 3]
    # evaluating changes nothing in the training: the same weights as Model.train
    trained = classifier()
    trained.train(3, make_dataset(x, y))
    fitted = classifier()
    fitted.fit(3, make_dataset(x, y), valid_dataset=make_dataset(x, y))
    for a, b in zip(trained._network.trainable_params(), fitted._network.trainable_params()):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_fit_keeps_a_subclass_of_loss_recorder_in_the_evaluation():
    x, y = blobs()
    history, recorder = LossHistory(), LossRecorder()
    classifier().fit(2, make_dataset(x, y), valid_dataset=make_dataset(x, y), callbacks=[recorder, history])
    assert len(recorder.steps) == len(history.steps) == 16
    assert [s for s, _ in history.valid["accuracy"]] == [8, 16]
    assert sorted(history.valid) == ["accuracy", "loss", "recall[0]", "recall[1]", "recall[2]"]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(valid_frequency=0), ValueError, "For 'Model.fit', the 'valid_frequency' must be >= 1, but got 0"),
    (dict(valid_frequency=1.5), TypeError, "For 'Model.fit', the 'valid_frequency' must be an int or a list"),
    (dict(valid_frequency=[1, "2"]), TypeError, "the 'valid_frequency' list must hold epoch numbers"),
    (dict(valid_dataset=[1, 2]), TypeError, "For 'Model.fit', the 'valid_dataset' must be a lossviz dataset"),
    (dict(valid_dataset_sink_mode=1), TypeError, "For 'Model.fit', the 'valid_dataset_sink_mode' must be a bool"),
    (dict(epoch=0), ValueError, "For 'Model.fit', the 'epoch' must be a positive int"),
])
def test_fit_refuses_bad_arguments_by_name(kwargs, error, message):
    x, y = blobs(64)
    arguments = dict(epoch=1, train_dataset=make_dataset(x, y), valid_dataset=make_dataset(x, y))
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        classifier().fit(**arguments)


def test_fit_with_a_validation_set_needs_metrics():
    x, y = blobs(64)
    net = mlp()
    model = Model(net, nn.CrossEntropyLoss(), nn.Adam(net.trainable_params(), 0.01))
    with pytest.raises(ValueError, match="For 'Model.fit', a 'valid_dataset' needs metrics"):
        model.fit(1, make_dataset(x, y), valid_dataset=make_dataset(x, y))
    model.fit(1, make_dataset(x, y))  # without a validation set it is Model.train


# -- the live plot --------------------------------------------------------------------------------------
@pytest.mark.parametrize("loss, one_hot", [
    (nn.CrossEntropyLoss(), False), (nn.CrossEntropyLoss(weight=Tensor([0.5, 1.0, 3.0])), False),
    (nn.MSELoss(), True), (nn.FocalLoss(gamma=2.0), True), (nn.CrossEntropyLoss(label_smoothing=0.1), False),
])
def test_live_plot_draws_validation_and_one_line_per_class_for_any_loss(loss, one_hot):
    x, y = blobs()
    labels = ONE_HOT[y] if one_hot else y
    renderer = FakeRenderer()
    live = LiveLossPlot(class_names=["a", "b", "c"], renderer=renderer, min_interval=0.0)
    classifier(loss).fit(12, make_dataset(x, labels, shuffle=True), valid_dataset=make_dataset(x, labels),
                         callbacks=[live])
    valid = live.history.valid
    assert list(valid) == ["loss", "accuracy", "recall[a]", "recall[b]", "recall[c]"]
    assert [s for s, _ in valid["accuracy"]] == list(range(8, 97, 8))   # after each epoch's last step
    assert valid["accuracy"][-1][1] > 0.9 and all(v > 0.5 for name in ("a", "b", "c")
                                                  for v in [valid[f"recall[{name}]"][-1][1]])
    assert valid["loss"][-1][1] < valid["loss"][0][1]
    # the figure is redrawn after evaluations too, and the last frame has every point
    assert any(call[1] for call in renderer.calls[:-1]) and renderer.calls[-1] == ("close", valid)


def test_live_plot_per_label_lines_from_a_metric_of_ones_own():
    class LabelRecall(nn.Metric):
        def clear(self):
            self.hits, self.positives = 0.0, 0.0

        def update(self, logits, labels):
            predicted, actual = logits.asnumpy() > 0, labels.asnumpy() > 0.5
            self.hits = self.hits + (predicted & actual).sum(axis=0)
            self.positives = self.positives + actual.sum(axis=0)

        def eval(self):
            return self.hits / np.maximum(self.positives, 1)

    x, _ = blobs()
    labels = np.stack([x[:, 0] > 1.5, x[:, 1] > 1.5], axis=1).astype(np.float32)
    live = LiveLossPlot(class_names=["right", "top"], renderer=FakeRenderer())
    lossviz.set_seed(0)
    net = nn.SequentialCell(nn.Dense(2, 16), nn.ReLU(), nn.Dense(16, 2))
    model = Model(net, nn.BCEWithLogitsLoss(), nn.Adam(net.trainable_params(), 0.02), metrics={"recall": LabelRecall()})
    model.fit(6, make_dataset(x, labels), valid_dataset=make_dataset(x, labels), callbacks=[live])
    assert list(live.history.valid) == ["recall[right]", "recall[top]"]
    assert live.history.valid["recall[top]"][-1][1] > 0.8


def test_live_plot_takes_a_later_model_eval_and_ignores_what_is_not_a_number_or_a_vector():
    x, y = blobs()
    renderer = FakeRenderer()
    live = LiveLossPlot(renderer=renderer)
    model = classifier()
    model.train(2, make_dataset(x, y), callbacks=[live])
    assert live.history.valid == {}
    model.eval(make_dataset(x, y), callbacks=[live])
    assert sorted(live.history.valid) == ["accuracy", "loss", "recall[0]", "recall[1]", "recall[2]"]
    assert live.history.valid["accuracy"][0][0] == 16
    history = LossHistory()
    history.add_eval(3, {"matrix": np.eye(2), "name": "text", "top1": np.float32(0.5)})
    assert history.valid == {"top1": [(3, 0.5)]}


def test_the_figure_gets_a_validation_panel():
    history = LossHistory()
    for step in range(1, 21):
        history.add(step, 1.0 / step)
    fig = draw_history(new_figure(), history)
    assert len(fig.axes) == 1
    history.add_eval(10, {"loss": 0.3, "accuracy": 0.8, "recall": [0.9, 0.4]}, class_names=["cat", "dog"])
    history.add_eval(20, {"loss": 0.2, "accuracy": 0.9, "recall": [0.95, 0.7]}, class_names=["cat", "dog"])
    fig = draw_history(new_figure(), history)
    left, right = fig.axes
    assert "validation loss" in [line.get_label() for line in left.get_lines()]
    assert [line.get_label() for line in right.get_lines()] == ["accuracy", "recall[cat]", "recall[dog]"]
    assert right.get_title() == "validation at step 20: accuracy 0.9"
    assert right.get_ylim() == (-0.03, 1.03)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(class_names="abc"), TypeError, "For 'LiveLossPlot', the 'class_names' must be a list of str"),
    (dict(class_names=[0, 1]), TypeError, "For 'LiveLossPlot', the 'class_names' must be a list of str"),
    (dict(class_names=["a", "a"]), ValueError, "For 'LiveLossPlot', the 'class_names' must be different"),
])
def test_live_plot_checks_class_names(kwargs, error, message):
    with pytest.raises(error, match=message):
        LiveLossPlot(**kwargs)
