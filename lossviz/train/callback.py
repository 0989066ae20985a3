"""Callbacks: code that ``Model.train`` runs at fixed points of training.

The training loop only *emits events*; callbacks decide what to do with them:
``LossMonitor`` prints the loss, ``LossRecorder`` keeps it for a plot,
``TimeMonitor`` prints timings. Hooks, in the order ``Model.train`` calls them::

    on_train_begin
      on_train_epoch_begin
        on_train_step_begin  ->  (one train step)  ->  on_train_step_end
      on_train_epoch_end
    on_train_end

Each hook receives a :class:`RunContext`; ``run_context.original_args()`` is
``cb_params``, a dict that also allows attribute access (``cb_params.cur_step_num``,
``cb_params.net_outputs``...). ``run_context.request_stop()`` ends training
after the current step (its epoch still gets ``on_train_epoch_end``).

MindSpore 1.x names still work: ``HOOKS`` maps each 2.x hook to the 1.x
name it calls by default (``on_train_step_end`` and ``on_eval_step_end``
call ``step_end``, and so on for ``begin``, ``epoch_begin``, ``step_begin``,
``epoch_end``, ``end``). Evaluation has the same hooks with ``on_eval_``.
"""
import math
import time

import numpy as np

from .._engine.tensor import Tensor

__all__ = ["Callback", "RunContext", "CallbackParam", "LossMonitor", "TimeMonitor", "LossRecorder"]


# MindSpore 2.x hook -> the 1.x name it calls by default: on_train_step_end -> step_end, ...
HOOKS = {f"on_{mode}_{old}": old for mode in ("train", "eval")
         for old in ("begin", "epoch_begin", "step_begin", "step_end", "epoch_end", "end")}


class Callback:
    """Base class of callbacks: override the hooks you need (all do nothing by default).

    The 2.x hooks (``on_train_step_end``...) are generated from ``HOOKS``: each
    calls its 1.x name (``step_end``...), a no-op unless you override it.
    """

    def begin(self, run_context):
        pass

    def epoch_begin(self, run_context):
        pass

    def step_begin(self, run_context):
        pass

    def step_end(self, run_context):
        pass

    def epoch_end(self, run_context):
        pass

    def end(self, run_context):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _calls(new, old):
    def hook(self, run_context):
        getattr(self, old)(run_context)
    hook.__name__, hook.__qualname__ = new, f"Callback.{new}"
    hook.__doc__ = f"Calls ``self.{old}(run_context)`` (the MindSpore 1.x name) unless overridden."
    return hook


for _new, _old in HOOKS.items():
    setattr(Callback, _new, _calls(_new, _old))
del _new, _old


def bound_hooks(callbacks, mode):
    """``{hook name: [bound methods]}`` for ``mode`` 'train' or 'eval', in callback order.

    A callback is left out of a hook when neither the hook nor its 1.x name is
    overridden (the call would do nothing).
    """
    hooks = {}
    for new, old in HOOKS.items():
        if new.startswith(f"on_{mode}_"):
            hooks[new] = [getattr(cb, new) for cb in callbacks
                          if getattr(type(cb), new) is not getattr(Callback, new)
                          or getattr(type(cb), old) is not getattr(Callback, old)]
    return hooks


class CallbackParam(dict):
    """``cb_params``: a dict whose entries are also attributes (``cb_params.cur_step_num``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"'cb_params' has no attribute '{name}' (yet); use cb_params.get('{name}').") from None

    def __setattr__(self, name, value):
        self[name] = value

    def __delattr__(self, name):
        del self[name]


class RunContext:
    """What a callback gets: ``original_args()`` (the cb_params dict) and stop requests."""

    def __init__(self, original_args):
        if not isinstance(original_args, dict):
            raise TypeError(f"For 'RunContext', the 'original_args' must be a dict, "
                            f"but got {type(original_args).__name__}.")
        self._original_args = original_args
        self._stop_requested = False

    def original_args(self):
        return self._original_args

    def request_stop(self):
        """Ask training to stop after the current step."""
        self._stop_requested = True

    def get_stop_requested(self):
        return self._stop_requested


def loss_value(outputs):
    """The step loss as a Python float: element 0 of a tuple/list, averaged if a Tensor has several values."""
    if isinstance(outputs, (tuple, list)):
        outputs = outputs[0] if outputs else None
    if isinstance(outputs, Tensor):
        data = outputs._data
        return float(data) if data.size == 1 else float(np.mean(data))
    if isinstance(outputs, (np.ndarray, np.number, float, int)):
        return float(np.mean(outputs))
    return outputs


def step_loss(cb_params):
    """The loss of the step that just ran, as a float (NaN when the network returned none)."""
    loss = loss_value(cb_params.get("net_outputs"))
    return math.nan if loss is None else float(loss)


def _check_int(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"For '{cls}', the '{name}' must be int, but got {type(value).__name__}.")
    if value < 0:
        raise ValueError(f"For '{cls}', the '{name}' must be int and must >= 0, but got {value}.")
    return value


class LossMonitor(Callback):
    """Print the loss: ``epoch: 1 step: 1, loss is 10.873164``.

    A line is printed every ``per_print_times`` steps (counted over the whole
    training; ``0`` never prints). The step shown is the step within the
    epoch; the loss is printed as the tutorial shows it, ``str(np.float32(loss))``.
    A NaN or infinite loss stops training with a ``ValueError`` naming the
    epoch and step (checked even when nothing is printed).
    """

    def __init__(self, per_print_times=1):
        self._per_print_times = _check_int("LossMonitor", "per_print_times", per_print_times)
        self._last_print_time = 0

    def on_train_begin(self, run_context):
        self._last_print_time = 0

    def on_train_step_end(self, run_context):  # training steps only: evaluation losses are not printed
        cb_params = run_context.original_args()
        loss = loss_value(cb_params["net_outputs"])
        cur_step_num = cb_params["cur_step_num"]
        step_in_epoch = (cur_step_num - 1) % cb_params["batch_num"] + 1 if cb_params["batch_num"] else cur_step_num
        epoch = cb_params.get("cur_epoch_num")
        if isinstance(loss, float) and (math.isnan(loss) or math.isinf(loss)):
            raise ValueError(f"In epoch: {epoch} step: {step_in_epoch}, loss is NAN or INF, training process "
                             f"cannot continue, terminating training.")
        if self._per_print_times != 0 and cur_step_num - self._last_print_time >= self._per_print_times:
            self._last_print_time = cur_step_num
            text = str(np.float32(loss)) if isinstance(loss, float) else str(loss)
            print(f"epoch: {epoch} step: {step_in_epoch}, loss is {text}", flush=True)


class TimeMonitor(Callback):
    """Print the time of each epoch and of one step on average.

    ``Train epoch time: 12.345 ms, per step time: 1.234 ms``; ``data_size``
    is the number of steps per epoch (default: the dataset's size).
    """

    def __init__(self, data_size=None, data_time=False):
        if data_size is not None:
            _check_int("TimeMonitor", "data_size", data_size)
            if data_size == 0:
                raise ValueError("For 'TimeMonitor', the 'data_size' must be > 0, but got 0.")
        self.data_size, self.data_time = data_size, data_time
        self.epoch_time = None

    def on_train_epoch_begin(self, run_context):
        self.epoch_time = time.perf_counter()

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        epoch_ms = (time.perf_counter() - self.epoch_time) * 1000
        steps = self.data_size or cb_params.get("batch_num") or 1
        print(f"Train epoch time: {epoch_ms:5.3f} ms, per step time: {epoch_ms / steps:5.3f} ms", flush=True)


class LossRecorder(Callback):
    """Keep the losses of training: ``steps`` and ``epochs``, lists of float pairs.

    * ``steps``: ``(global_step, loss)``, one per training step;
    * ``epochs``: ``(epoch, mean of that epoch's step losses)``.

    Successive ``train()`` calls continue the numbering (so a curve keeps
    going); ``reset()`` empties both lists and restarts at step 1 / epoch 1.
    ``add`` and ``end_epoch`` record by hand (what the hooks call).

    >>> rec = LossRecorder()
    >>> rec.add(1, 4.0); rec.add(2, 2.0); rec.end_epoch(1)
    >>> rec.steps, rec.epochs
    ([(1, 4.0), (2, 2.0)], [(1, 3.0)])

    ``model.train(2, dataset, callbacks=[rec])`` fills them while training.
    """

    def __init__(self):
        self.reset()

    def reset(self):
        self.steps, self.epochs = [], []
        self._step_offset = self._epoch_offset = 0
        self._epoch_sum, self._epoch_count = 0.0, 0

    def add(self, step, loss):
        """Record ``loss`` at ``step``; it also counts in the current epoch's mean."""
        self.steps.append((int(step), float(loss)))
        self._epoch_sum += float(loss)
        self._epoch_count += 1

    def end_epoch(self, epoch):
        """Close an epoch: store the mean of its step losses (an epoch without steps stores nothing)."""
        if self._epoch_count:
            self.epochs.append((int(epoch), self._epoch_sum / self._epoch_count))
        self._epoch_sum, self._epoch_count = 0.0, 0

    def on_train_begin(self, run_context):
        self._step_offset = self.steps[-1][0] if self.steps else 0
        self._epoch_offset = self.epochs[-1][0] if self.epochs else 0
        self._epoch_sum, self._epoch_count = 0.0, 0

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        self.add(self._step_offset + cb_params["cur_step_num"], step_loss(cb_params))

    def on_train_epoch_end(self, run_context):
        self.end_epoch(self._epoch_offset + run_context.original_args()["cur_epoch_num"])

    def __len__(self):
        return len(self.steps)

    def __repr__(self):
        return f"{type(self).__name__}(steps={len(self.steps)}, epochs={len(self.epochs)})"
