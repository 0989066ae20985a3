"""Callbacks: the hook protocol, RunContext, LossMonitor, TimeMonitor, LossRecorder (spec §5.6, §5.7)."""
import re

import numpy as np
import pytest

import lossviz.nn as nn
import lossviz.train
from lossviz import Model, Tensor
from lossviz import dataset as ds
from lossviz.train.callback import (HOOKS, Callback, CallbackParam, LossMonitor, LossRecorder, RunContext,
                                    TimeMonitor)


def make_model(w0=0.01, b0=-0.02):
    net = nn.Dense(1, 1, Tensor(np.array([[w0]], np.float32)), Tensor(np.array([b0], np.float32)))
    return Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9)), net


def make_dataset(n=30, batch=10):
    xs = np.linspace(-1, 1, n).astype(np.float32)
    return ds.GeneratorDataset([(np.array([x]), np.array([2 * x + 3])) for x in xs], ["data", "label"],
                               shuffle=False).batch(batch)


def run_context(**fields):
    return RunContext(CallbackParam(**fields))


def test_import_paths():
    assert lossviz.train.callback.LossMonitor is LossMonitor is lossviz.train.LossMonitor
    assert lossviz.train.LossRecorder is LossRecorder


# ----- the hook protocol -----
def test_new_hooks_default_to_the_1x_names():
    calls = []

    class Old(Callback):
        def begin(self, rc): calls.append("begin")
        def epoch_begin(self, rc): calls.append("epoch_begin")
        def step_begin(self, rc): calls.append("step_begin")
        def step_end(self, rc): calls.append("step_end")
        def epoch_end(self, rc): calls.append("epoch_end")
        def end(self, rc): calls.append("end")

    model, _ = make_model()
    model.train(1, make_dataset(20, 10), callbacks=Old())
    assert calls == ["begin", "epoch_begin", "step_begin", "step_end", "step_begin", "step_end", "epoch_end", "end"]


def test_overriding_a_new_hook_replaces_the_old_one():
    calls = []

    class Both(Callback):
        def on_train_step_end(self, rc): calls.append("new")
        def step_end(self, rc): calls.append("old")

    model, _ = make_model()
    model.train(1, make_dataset(10, 10), callbacks=[Both()])
    assert calls == ["new"]


def test_one_table_maps_every_2x_hook_to_its_1x_name():
    old_names = ["begin", "epoch_begin", "step_begin", "step_end", "epoch_end", "end"]
    assert HOOKS == {f"on_{mode}_{old}": old for mode in ("train", "eval") for old in old_names}

    class Old(Callback):
        def __init__(self):
            self.calls = []

    for old in old_names:
        setattr(Old, old, lambda self, rc, old=old: self.calls.append(old))
    cb = Old()
    for new in HOOKS:
        getattr(cb, new)(run_context())
    assert cb.calls == old_names * 2


def test_evaluation_calls_the_1x_names_but_loss_monitor_stays_quiet(capsys):
    calls = []

    class Old(Callback):
        def step_end(self, rc): calls.append(rc.original_args()["mode"])

    _, net = make_model()
    model = Model(net, nn.L1Loss(), metrics={"loss"})
    model.eval(make_dataset(20, 10), callbacks=[Old(), LossMonitor()])
    assert calls == ["eval", "eval"]
    assert capsys.readouterr().out == ""  # LossMonitor prints training steps only


def test_callbacks_run_in_list_order():
    calls = []

    class Named(Callback):
        def __init__(self, name):
            self.name = name

        def on_train_step_end(self, rc):
            calls.append(self.name)

    model, _ = make_model()
    model.train(1, make_dataset(10, 10), callbacks=[Named("a"), Named("b")])
    assert calls == ["a", "b"]


def test_run_context_and_cb_params():
    with pytest.raises(TypeError, match="'original_args' must be a dict"):
        RunContext([1])
    cb = CallbackParam(cur_step_num=3)
    cb.batch_num = 5
    assert cb["batch_num"] == 5 and cb.cur_step_num == 3 and isinstance(cb, dict)
    assert cb.get("net_outputs") is None
    with pytest.raises(AttributeError, match="use cb_params.get"):
        cb.net_outputs
    rc = RunContext(cb)
    assert rc.original_args() is cb and not rc.get_stop_requested()
    rc.request_stop()
    assert rc.get_stop_requested()


# ----- LossMonitor -----
def test_loss_monitor_line_format(capsys):
    monitor = LossMonitor()
    monitor.on_train_begin(run_context())
    monitor.on_train_step_end(run_context(cur_epoch_num=1, cur_step_num=1, batch_num=10,
                                          net_outputs=Tensor(np.array(10.873164, np.float32))))
    monitor.on_train_step_end(run_context(cur_epoch_num=1, cur_step_num=2, batch_num=10,
                                          net_outputs=(Tensor(np.array(5.4864826, np.float32)), None)))
    assert capsys.readouterr().out == ("epoch: 1 step: 1, loss is 10.873164\n"
                                       "epoch: 1 step: 2, loss is 5.4864826\n")


def test_loss_monitor_prints_every_n_global_steps_with_the_step_in_epoch(capsys):
    model, _ = make_model()
    model.train(2, make_dataset(30, 10), callbacks=[LossMonitor(2)])  # 3 batches per epoch
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch: 1 step: 2", "epoch: 2 step: 1", "epoch: 2 step: 3"]
    model.train(1, make_dataset(30, 10), callbacks=[LossMonitor(0)])
    assert capsys.readouterr().out == ""


def test_a_reused_loss_monitor_prints_again_in_a_new_training(capsys):
    model, _ = make_model()
    monitor = LossMonitor()
    model.train(1, make_dataset(20, 10), callbacks=[monitor])
    model.train(1, make_dataset(20, 10), callbacks=[monitor])
    assert len(capsys.readouterr().out.splitlines()) == 4


@pytest.mark.parametrize("value,error,match", [(1.0, TypeError, "must be int"), (True, TypeError, "must be int"),
                                               (-1, ValueError, "must be int and must >= 0")])
def test_loss_monitor_validation(value, error, match):
    with pytest.raises(error, match=match):
        LossMonitor(value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_loss_monitor_refuses_nan_and_inf_even_when_not_printing(bad, capsys):
    for per_print in (1, 0):
        monitor = LossMonitor(per_print)
        with pytest.raises(ValueError, match=r"^In epoch: 2 step: 3, loss is NAN or INF, training process cannot "
                                             r"continue, terminating training\.$"):
            monitor.on_train_step_end(run_context(cur_epoch_num=2, cur_step_num=8, batch_num=5,
                                                  net_outputs=Tensor(np.array(bad, np.float32))))
    assert capsys.readouterr().out == ""


# ----- TimeMonitor and LossRecorder -----
def test_time_monitor(capsys):
    model, _ = make_model()
    model.train(2, make_dataset(20, 10), callbacks=[TimeMonitor()])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert all(re.fullmatch(r"Train epoch time: [0-9.]+ ms, per step time: [0-9.]+ ms", line) for line in lines)
    with pytest.raises(ValueError):
        TimeMonitor(0)


def test_loss_recorder_keeps_steps_and_epoch_means():
    model, _ = make_model()
    recorder, monitor_values = LossRecorder(), []

    class Grab(Callback):
        def on_train_step_end(self, rc):
            monitor_values.append(float(rc.original_args().net_outputs.asnumpy()))

    model.train(2, make_dataset(30, 10), callbacks=[recorder, Grab()])
    assert [s for s, _ in recorder.steps] == [1, 2, 3, 4, 5, 6]
    assert [loss for _, loss in recorder.steps] == monitor_values
    assert all(type(loss) is float for _, loss in recorder.steps)
    assert [e for e, _ in recorder.epochs] == [1, 2]
    assert recorder.epochs[0][1] == pytest.approx(np.mean(monitor_values[:3]))
    assert recorder.epochs[1][1] == pytest.approx(np.mean(monitor_values[3:]))
    model.train(1, make_dataset(30, 10), callbacks=[recorder])  # a second training continues the curve
    assert [s for s, _ in recorder.steps][-3:] == [7, 8, 9] and recorder.epochs[-1][0] == 3
    recorder.reset()
    assert recorder.steps == [] and recorder.epochs == []
    model.train(1, make_dataset(30, 10), callbacks=[recorder])
    assert [s for s, _ in recorder.steps] == [1, 2, 3]


def test_loss_recorder_by_hand_and_an_epoch_without_steps():
    recorder = LossRecorder()
    recorder.add(1, np.float32(4.0))
    recorder.add(2, 2)
    recorder.end_epoch(1)
    recorder.end_epoch(2)  # no steps: no mean to store
    assert recorder.steps == [(1, 4.0), (2, 2.0)] and recorder.epochs == [(1, 3.0)]
    assert len(recorder) == 2 and repr(recorder) == "LossRecorder(steps=2, epochs=1)"
