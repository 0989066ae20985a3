"""``lossviz.train``: ``Model`` and the callbacks (as ``mindspore.train``).

The tutorial's import ``from mindspore.train.callback import LossMonitor``
becomes ``from lossviz.train.callback import LossMonitor``.
"""
from . import callback
from .callback import Callback, CallbackParam, LossMonitor, LossRecorder, RunContext, TimeMonitor
from .model import Model

__all__ = ["Model", "Callback", "CallbackParam", "RunContext", "LossMonitor", "TimeMonitor", "LossRecorder",
           "callback"]
