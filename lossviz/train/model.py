"""``Model``: train, evaluate and predict with a network, a loss and an optimizer.

``Model`` builds the training network from what it is given (spec §5.5):

* network + loss_fn + optimizer -> ``TrainOneStepCell(WithLossCell(network, loss_fn), optimizer)``
  (the dataset must give exactly two columns: data, label);
* network + optimizer -> ``TrainOneStepCell(network, optimizer)``: the network
  *is* the loss network (the tutorial's ``CustomWithLossCell``) and is called
  with all the dataset's columns;
* network + loss_fn -> ``WithLossCell`` (forward only, no update);
* network alone -> the network, called with all columns (forward only).

``train`` only runs the loop and emits events to the callbacks. ``fit`` is
``train`` with ``eval`` on a validation set at the end of every epoch (or of the
epochs ``valid_frequency`` names), as MindSpore 2.x's ``Model.fit``: the
callbacks get ``on_eval_begin`` ... ``on_eval_end`` in between, with the results in
``cb_params.metrics`` (also read in ``on_train_epoch_end``).
"""
import inspect

from .._engine.autograd import no_grad
from ..nn.cell import Cell
from ..nn.metrics import Loss, Metric, get_metric_fn
from ..nn.wrappers import TrainOneStepCell, WithEvalCell, WithLossCell
from .callback import Callback, CallbackParam, LossMonitor, LossRecorder, RunContext, bound_hooks

__all__ = ["Model"]


class Model:
    """Train / evaluate / predict, as ``mindspore.Model``.

    >>> import numpy as np
    >>> import lossviz
    >>> from lossviz import dataset as ds, nn
    >>> from lossviz.train.callback import LossMonitor
    >>> lossviz.set_seed(1)
    >>> pairs = [(np.array([x], np.float32), np.array([2 * x + 3], np.float32)) for x in range(8)]
    >>> ds_train = ds.GeneratorDataset(pairs, column_names=["data", "label"], shuffle=False).batch(4)
    >>> net = nn.Dense(1, 1)
    >>> model = Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9))
    >>> model.train(epoch=1, train_dataset=ds_train, callbacks=[LossMonitor()])
    epoch: 1 step: 1, loss is ...
    epoch: 1 step: 2, loss is ...
    """

    def __init__(self, network, loss_fn=None, optimizer=None, metrics=None, eval_network=None, eval_indexes=None,
                 amp_level="O0", boost_level="O0", **kwargs):
        if not isinstance(network, Cell):
            raise TypeError(f"For 'Model', the 'network' must be a Cell, but got {type(network).__name__}.")
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(f"For 'Model', the 'loss_fn' must be a Cell or None, but got {type(loss_fn).__name__}.")
        if optimizer is not None and not hasattr(optimizer, "parameters"):
            raise TypeError(f"For 'Model', the 'optimizer' must be an optimizer such as nn.Momentum, "
                            f"but got {type(optimizer).__name__}.")
        if eval_network is not None and not isinstance(eval_network, Cell):
            raise TypeError(f"For 'Model', the 'eval_network' must be a Cell, but got {type(eval_network).__name__}.")
        if eval_indexes is not None and (not isinstance(eval_indexes, (list, tuple)) or len(eval_indexes) != 3):
            raise ValueError(f"For 'Model', the 'eval_indexes' must be a list of 3 ints "
                             f"[loss, prediction, label], but got {eval_indexes!r}.")
        self._network, self._loss_fn, self._optimizer = network, loss_fn, optimizer
        self._metric_fns = _metrics(metrics)
        self._train_network = self._build_train_network()
        if eval_network is not None:
            self._eval_network, self._eval_indexes = eval_network, eval_indexes
        elif loss_fn is not None:
            self._eval_network, self._eval_indexes = WithEvalCell(network, loss_fn), [0, 1, 2]
        else:  # without a loss, the network's outputs go to the metrics as they are
            self._eval_network, self._eval_indexes = network, None

    def _build_train_network(self):
        network, loss_fn, optimizer = self._network, self._loss_fn, self._optimizer
        if optimizer is not None:
            return TrainOneStepCell(WithLossCell(network, loss_fn) if loss_fn is not None else network, optimizer)
        if loss_fn is not None:
            return WithLossCell(network, loss_fn)
        return network

    @property
    def train_network(self):
        return self._train_network

    @property
    def predict_network(self):
        return self._network

    @property
    def eval_network(self):
        return self._eval_network

    # ----- training -----
    def train(self, epoch, train_dataset, callbacks=None, dataset_sink_mode=False, sink_size=-1, initial_epoch=0):
        """Train for ``epoch`` passes over ``train_dataset``; returns None.

        ``dataset_sink_mode`` is accepted for compatibility and changes
        nothing (lossviz runs on the host, as MindSpore on CPU).
        """
        self._train("Model.train", epoch, train_dataset, callbacks, dataset_sink_mode, initial_epoch)

    def fit(self, epoch, train_dataset, valid_dataset=None, valid_frequency=1, callbacks=None,
            dataset_sink_mode=False, valid_dataset_sink_mode=False, sink_size=-1, initial_epoch=0):
        """``train``, plus ``eval(valid_dataset)`` after every ``valid_frequency``-th epoch; returns None.

        ``valid_frequency`` is an int (every n-th epoch) or a list of epoch
        numbers. The evaluation runs after the epoch's last step and before
        ``on_train_epoch_end``; the callbacks (except ``LossMonitor`` and
        ``LossRecorder`` themselves, as MindSpore leaves out its own) get the ``on_eval_*``
        hooks, and ``cb_params.metrics`` holds the results until the epoch ends.

        >>> import numpy as np
        >>> import lossviz
        >>> from lossviz import dataset as ds, nn
        >>> from lossviz.train.callback import Callback
        >>> class Show(Callback):
        ...     def on_eval_end(self, run_context):
        ...         cb_params = run_context.original_args()
        ...         print(cb_params.cur_epoch_num, sorted(cb_params.metrics))
        >>> lossviz.set_seed(1)
        >>> pairs = [(np.array([x], np.float32), np.array([2 * x + 3], np.float32)) for x in range(8)]
        >>> data = ds.GeneratorDataset(pairs, column_names=["data", "label"], shuffle=False).batch(4)
        >>> net = nn.Dense(1, 1)
        >>> model = Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), 0.005, 0.9), metrics={"mae", "loss"})
        >>> model.fit(2, data, valid_dataset=data, callbacks=[Show()])
        1 ['loss', 'mae']
        2 ['loss', 'mae']
        """
        where = "Model.fit"
        if valid_dataset is not None:
            _check_dataset(where, "valid_dataset", valid_dataset)
            if not self._metric_fns:
                raise ValueError("For 'Model.fit', a 'valid_dataset' needs metrics: build the model with "
                                 "Model(net, loss, opt, metrics={'accuracy', 'loss'}) for example.")
        if isinstance(valid_frequency, bool) or not isinstance(valid_frequency, (int, list)):
            raise TypeError(f"For 'Model.fit', the 'valid_frequency' must be an int or a list of epoch numbers, "
                            f"but got {type(valid_frequency).__name__}.")
        if isinstance(valid_frequency, int) and valid_frequency < 1:
            raise ValueError(f"For 'Model.fit', the 'valid_frequency' must be >= 1, but got {valid_frequency}.")
        if isinstance(valid_frequency, list) and not all(isinstance(e, int) and not isinstance(e, bool)
                                                         for e in valid_frequency):
            raise TypeError(f"For 'Model.fit', the 'valid_frequency' list must hold epoch numbers (ints), "
                            f"but got {valid_frequency!r}.")
        if not isinstance(valid_dataset_sink_mode, bool):
            raise TypeError(f"For 'Model.fit', the 'valid_dataset_sink_mode' must be a bool, "
                            f"but got {type(valid_dataset_sink_mode).__name__}.")
        valid = None if valid_dataset is None else (valid_dataset, valid_frequency)
        self._train(where, epoch, train_dataset, callbacks, dataset_sink_mode, initial_epoch, valid)

    def _train(self, where, epoch, train_dataset, callbacks, dataset_sink_mode, initial_epoch, valid=None):
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch <= 0:
            raise ValueError(f"For '{where}', the 'epoch' must be a positive int, but got {epoch!r}.")
        if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, int) or not 0 <= initial_epoch < epoch:
            raise ValueError(f"For '{where}', the 'initial_epoch' must be an int in [0, epoch), "
                             f"but got {initial_epoch!r}.")
        if not isinstance(dataset_sink_mode, bool):
            raise TypeError(f"For '{where}', the 'dataset_sink_mode' must be a bool, "
                            f"but got {type(dataset_sink_mode).__name__}.")
        _check_dataset(where, "train_dataset", train_dataset)
        callbacks = _callbacks(callbacks)
        check_columns = self._column_check(train_dataset)
        batch_num = train_dataset.get_dataset_size()
        if batch_num == 0:
            raise ValueError(f"For '{where}', the 'train_dataset' has no batches: its source is empty, or "
                             "batch(drop_remainder=True) dropped every row.")

        cb_params = CallbackParam(
            batch_num=batch_num, cur_step_num=initial_epoch * batch_num, dataset_sink_mode=dataset_sink_mode,
            device_number=1, epoch_num=epoch, initial_step=None, last_save_ckpt_step=None, latest_ckpt_file=None,
            list_callback=callbacks, loss_fn=self._loss_fn, loss_scale_mananger=None, mode="train",
            network=self._network, optimizer=self._optimizer, parallel_mode="stand_alone",
            train_dataset=train_dataset, train_dataset_element=None, train_network=self._train_network)
        run_context = RunContext(cb_params)
        hooks = bound_hooks(callbacks, "train")
        step_begin, step_end = hooks["on_train_step_begin"], hooks["on_train_step_end"]
        train_network = self._train_network
        train_network.set_train(True)

        for hook in hooks["on_train_begin"]:
            hook(run_context)
        step = cb_params["cur_step_num"]
        for e in range(initial_epoch + 1, epoch + 1):
            cb_params["cur_epoch_num"] = e
            for hook in hooks["on_train_epoch_begin"]:
                hook(run_context)
            for batch in train_dataset._tensor_rows():
                if check_columns is not None and len(batch) != check_columns[0]:
                    raise check_columns[1](len(batch))
                step += 1
                cb_params["cur_step_num"] = step
                cb_params["train_dataset_element"] = batch
                for hook in step_begin:
                    hook(run_context)
                cb_params["net_outputs"] = train_network(*batch)
                for hook in step_end:
                    hook(run_context)
                if run_context._stop_requested:
                    break
            if valid is not None and _should_eval(e, valid[1]):
                self._eval_in_fit(valid[0], callbacks, cb_params)
                train_network.set_train(True)
            for hook in hooks["on_train_epoch_end"]:
                hook(run_context)
            cb_params.pop("metrics", None)
            cb_params.pop("eval_results", None)
            if run_context._stop_requested:
                break
        for hook in hooks["on_train_end"]:
            hook(run_context)

    def _column_check(self, dataset):
        """``(expected column count, error maker)``, or None when any count may do."""
        names = dataset.get_col_names()
        if self._loss_fn is not None:
            def error(got):
                fix = (f"To train on {got} columns, wrap the network and the loss in a custom WithLossCell whose "
                       f"construct takes all the columns (as the tutorial's CustomWithLossCell(net, loss) does), "
                       f"and pass it as Model(network=loss_net, optimizer=opt)." if got > 2 else
                       "Give the dataset two columns, e.g. column_names=['data', 'label'].")
                return ValueError(
                    f"When 'loss_fn' is not None, 'train_dataset' should return two elements, but got {got}, please "
                    f"check the number of elements returned by 'train_dataset'. Model(network, loss_fn, optimizer) "
                    f"wraps them in nn.WithLossCell, whose construct(data, label) takes one data column and one "
                    f"label column; the dataset's columns are {names}. {fix}")
            return 2, error
        arity = _positional_arity(self._network)
        if arity is None:
            return None
        low, high, params = arity
        if low != high:
            return None  # optional inputs: let the call decide
        cls = self._network.cls_name
        return low, lambda got: ValueError(
            f"For 'Model.train', the network {cls}.construct({', '.join(params)}) takes {low} inputs, but "
            f"'train_dataset' returns {got} columns {names}. Without a 'loss_fn', Model calls the network with all "
            f"the dataset's columns, so the network must return the loss and take one input per column (for "
            f"example a custom WithLossCell with construct(self, {', '.join(names)})).")

    # ----- evaluation and prediction -----
    def eval(self, valid_dataset, callbacks=None, dataset_sink_mode=False):
        """Run the metrics over ``valid_dataset``: returns ``{metric name: value}``."""
        if not self._metric_fns:
            raise ValueError("For 'Model.eval', the model has no metrics: build it with "
                             "Model(net, loss, opt, metrics={'mae', 'loss'}) for example.")
        _check_dataset("Model.eval", "valid_dataset", valid_dataset)
        callbacks = _callbacks(callbacks)
        cb_params = CallbackParam(batch_num=valid_dataset.get_dataset_size(), cur_step_num=0, cur_epoch_num=1,
                                  epoch_num=1, dataset_sink_mode=dataset_sink_mode, mode="eval",
                                  network=self._eval_network, valid_dataset=valid_dataset, list_callback=callbacks,
                                  metrics=None)
        return self._eval_process(valid_dataset, callbacks, cb_params)

    def _eval_in_fit(self, valid_dataset, callbacks, cb_params):
        """``fit``'s evaluation: the training's cb_params, in 'eval' mode for the time of it (as MindSpore)."""
        # MindSpore leaves its own callbacks (LossMonitor...) out of the evaluation, by class name, except
        # TimeMonitor; subclasses with names of their own (a LossRecorder's) take part.
        callbacks = [cb for cb in callbacks if type(cb) not in (LossMonitor, LossRecorder)]
        saved = {key: cb_params.get(key) for key in ("mode", "cur_step_num", "batch_num", "net_outputs")}
        cb_params.update(eval_network=self._eval_network, valid_dataset=valid_dataset, mode="eval", cur_step_num=0,
                         batch_num=valid_dataset.get_dataset_size())
        self._eval_process(valid_dataset, callbacks, cb_params, add_eval_loss=True)
        cb_params.update(saved)

    def _eval_process(self, valid_dataset, callbacks, cb_params, add_eval_loss=False):
        network, indexes = self._eval_network, self._eval_indexes
        network.set_train(False)
        for metric in self._metric_fns.values():
            metric.clear()
        eval_loss = Loss() if add_eval_loss and indexes is not None else None
        run_context = RunContext(cb_params)
        hooks = bound_hooks(callbacks, "eval")
        for hook in hooks["on_eval_begin"] + hooks["on_eval_epoch_begin"]:
            hook(run_context)
        with no_grad():
            for batch in valid_dataset._tensor_rows():
                cb_params["cur_step_num"] += 1
                cb_params["eval_dataset_element"] = batch
                for hook in hooks["on_eval_step_begin"]:
                    hook(run_context)
                outputs = network(*batch)
                cb_params["net_outputs"] = outputs
                outputs = outputs if isinstance(outputs, tuple) else (outputs,)
                for metric in self._metric_fns.values():
                    if indexes is None:
                        metric.update(*outputs)
                    elif isinstance(metric, Loss):
                        metric.update(outputs[indexes[0]])
                    else:
                        metric.update(outputs[indexes[1]], outputs[indexes[2]])
                if eval_loss is not None:
                    eval_loss.update(outputs[indexes[0]])
                for hook in hooks["on_eval_step_end"]:
                    hook(run_context)
        results = {name: metric.eval() for name, metric in self._metric_fns.items()}
        cb_params["metrics"] = results
        if eval_loss is not None:
            cb_params["eval_results"] = dict(results, eval_loss=eval_loss.eval())
        for hook in hooks["on_eval_epoch_end"] + hooks["on_eval_end"]:
            hook(run_context)
        return results

    def predict(self, *predict_data):
        """The network's output for the inputs (no gradient is recorded)."""
        self._network.set_train(False)
        with no_grad():
            return self._network(*predict_data)


def _check_dataset(where, name, dataset):
    if not hasattr(dataset, "_tensor_rows") or not hasattr(dataset, "get_dataset_size"):
        raise TypeError(f"For '{where}', the '{name}' must be a lossviz dataset (lossviz.dataset.GeneratorDataset"
                        f"(...).batch(...)), but got {type(dataset).__name__}.")


def _should_eval(epoch, valid_frequency):
    """MindSpore's rule: every n-th epoch for an int, the listed epochs for a list."""
    return epoch % valid_frequency == 0 if isinstance(valid_frequency, int) else epoch in valid_frequency


def _callbacks(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"For 'Model', the 'callbacks' must be a Callback or a list of Callbacks, "
                        f"but got {type(callbacks).__name__}.")
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"For 'Model', the elements in 'callbacks' must be Callback functions, "
                            f"but got {type(cb).__name__}.")
    return list(callbacks)


def _metrics(metrics):
    if metrics is None:
        return {}
    if isinstance(metrics, dict):
        items = list(metrics.items())
    elif isinstance(metrics, (set, list, tuple, frozenset)):
        items = [(m, m) if isinstance(m, str) else (type(m).__name__.lower(), m) for m in metrics]
    else:
        raise TypeError(f"For 'Model', the 'metrics' must be a set, list or dict of metric names or Metric "
                        f"objects, but got {type(metrics).__name__}.")
    found = {}
    for name, metric in items:
        if isinstance(metric, str):
            metric = get_metric_fn(metric)
        if not isinstance(metric, Metric):
            raise TypeError(f"For 'Model', the metric '{name}' must be a metric name or a Metric, "
                            f"but got {type(metric).__name__}.")
        found[name] = metric
    return found


def _positional_arity(cell):
    """``(min, max, names)`` of the positional inputs of ``cell.construct``; None when it takes ``*args``."""
    try:
        params = list(inspect.signature(cell.construct).parameters.values())
    except (TypeError, ValueError):
        return None
    names, low = [], 0
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
            if p.default is p.empty:
                low += 1
    return low, len(names), names
