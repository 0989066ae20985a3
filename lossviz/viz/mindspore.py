"""``lossviz.viz`` on real MindSpore: the live loss plot as a ``mindspore.train.Callback``.

    from mindspore.train import LossMonitor
    from lossviz.viz.mindspore import LiveLossPlot

    model.train(epoch=10, train_dataset=ds_train,
                callbacks=[LossMonitor(100), LiveLossPlot()], dataset_sink_mode=False)

MindSpore's ``Model.train`` accepts only subclasses of ``mindspore.train.Callback``.
The classes here are lossviz.viz's own, with that base class added:

* ``LiveLossPlot``: the live loss curve of :mod:`lossviz.viz.liveplot` (throttled
  redraws, a display handle in a notebook, a PNG in a terminal, one line per label
  for multi-label training, and the validation lines of ``Model.fit``);
* ``LossHistory``: the recorder behind it (:mod:`lossviz.viz.history`), usable
  alone as a callback.

They read MindSpore's ``run_context.original_args()`` (cb_params) with the same
names as in lossviz, which copies them: ``cur_step_num``, ``cur_epoch_num``,
``epoch_num``, ``batch_num``, ``train_dataset_element`` (the batch, for the
per-label lines) and ``network`` (its ``_backbone`` gives the predictions). The
one conversion: MindSpore's ``net_outputs`` (a MindSpore Tensor, or a tuple whose
first element is the loss) is handed to lossviz's code as numpy.

Validation: MindSpore's ``Model.fit(epoch, ds_train, valid_dataset=ds_valid, ...)``
evaluates after each epoch and calls the callbacks' ``on_eval_end`` with the results
in ``cb_params.metrics`` (numbers, or numpy arrays for per-class metrics such as
``mindspore.train.Recall``), which is where lossviz's ``Model.fit`` puts them too: the
plot's validation panel needs no conversion.

``FRAMEWORK`` is what the reduction toggle and the loss explorer compute with
when they are given a ``mindspore.nn`` loss class
(``ReductionToggle(loss=mindspore.nn.L1Loss)``).

Importing this module imports MindSpore (``pip install -e ".[mindspore]"``);
``import lossviz`` and ``import lossviz.viz`` never do.
"""
try:
    import mindspore
    from mindspore.train import Callback as _MindSporeCallback
except ImportError as _error:  # without MindSpore the module offers nothing, and says why
    _MISSING = _error

    def __getattr__(name):
        if name not in ("LiveLossPlot", "LossHistory", "FRAMEWORK"):
            raise AttributeError(f"module 'lossviz.viz.mindspore' has no attribute '{name}'")
        raise ImportError(f"lossviz.viz.mindspore needs MindSpore ({_MISSING}): pip install -e '.[mindspore]' "
                          f"(MindSpore 2.x for CPU, with numpy < 2)")
else:
    from ..train.callback import CallbackParam, RunContext
    from . import history, liveplot
    from .reduction import Framework

    __all__ = ["LiveLossPlot", "LossHistory", "FRAMEWORK"]

    FRAMEWORK = Framework("mindspore.nn", mindspore.nn, mindspore.ops, mindspore.Tensor, mindspore.value_and_grad)

    def _as_lossviz(run_context):
        """MindSpore's run_context as lossviz's callbacks read it: the same cb_params, ``net_outputs`` as numpy."""
        cb_params = run_context.original_args()
        outputs = cb_params.get("net_outputs")
        if isinstance(outputs, (tuple, list)):  # (loss, overflow, scale) with loss scaling
            outputs = outputs[0] if outputs else None
        if isinstance(outputs, mindspore.Tensor):
            outputs = outputs.asnumpy()
        return RunContext(CallbackParam(cb_params, net_outputs=outputs))

    class LossHistory(history.LossHistory, _MindSporeCallback):
        """:class:`lossviz.viz.LossHistory` as a MindSpore callback: ``steps``, ``epochs`` of ``Model.train``."""

        def on_train_step_end(self, run_context):
            super().on_train_step_end(_as_lossviz(run_context))

    class LiveLossPlot(liveplot.LiveLossPlot, _MindSporeCallback):
        """:class:`lossviz.viz.LiveLossPlot` as a MindSpore callback (same arguments, same ``history``)."""

        def on_train_step_end(self, run_context):
            super().on_train_step_end(_as_lossviz(run_context))
