"""Metrics for ``Model.eval``: ``MAE``, ``MSE``, ``Loss``, ``Accuracy``, ``Recall``.

A metric accumulates over batches: ``clear()``, then ``update(...)`` once per
batch, then ``eval()``. ``Model(net, loss, opt, metrics={'mae', 'loss'})``
runs them for you and returns ``{'mae': ..., 'loss': ...}``.

In ``Model.eval`` with a loss function, ``Loss`` receives the batch loss and
the others receive ``(outputs, labels)``.
"""
import numpy as np

from .._engine.tensor import Tensor

__all__ = ["Metric", "MAE", "MSE", "Loss", "Accuracy", "Recall", "get_metric_fn", "names"]


def _array(cls, x):
    if isinstance(x, Tensor):
        return x.asnumpy()
    if isinstance(x, (np.ndarray, list, tuple, int, float, np.number)):
        return np.asarray(x)
    raise TypeError(f"For '{cls}', the inputs must be Tensors, numpy arrays or lists, but got {type(x).__name__}.")


class Metric:
    """Base class: ``clear()``, ``update(*inputs)``, ``eval()``."""

    def __init__(self):
        self.clear()

    def clear(self):
        raise NotImplementedError

    def update(self, *inputs):
        raise NotImplementedError

    def eval(self):
        raise NotImplementedError

    def _check_inputs(self, inputs, count):
        if len(inputs) != count:
            raise ValueError(f"For '{type(self).__name__}.update', it needs {count} inputs, but got {len(inputs)}.")

    def _empty(self):
        return RuntimeError(f"For '{type(self).__name__}', the metric can not be computed before 'update' "
                            f"has seen at least one sample.")

    def __repr__(self):
        return f"{type(self).__name__}()"


class _ErrorMetric(Metric):
    """Sum of a per-element error divided by the number of *samples* (axis 0), as MindSpore."""

    def clear(self):
        self._error_sum, self._samples_num = 0.0, 0

    def update(self, *inputs):
        self._check_inputs(inputs, 2)
        cls = type(self).__name__
        y_pred, y = _array(cls, inputs[0]), _array(cls, inputs[1])
        if y.size != y_pred.size:
            raise ValueError(f"For '{cls}', 'y_pred' and 'y' must have the same number of elements, "
                             f"but got shapes {y_pred.shape} and {y.shape}.")
        diff = y.reshape(y_pred.shape).astype(np.float64) - y_pred
        self._error_sum += float(self._error(diff).sum())
        self._samples_num += y.shape[0] if y.ndim else 1

    def eval(self):
        if self._samples_num == 0:
            raise self._empty()
        return self._error_sum / self._samples_num


class MAE(_ErrorMetric):
    """mean absolute error = sum(|y_pred - y|) / number of samples"""

    @staticmethod
    def _error(diff):
        return np.abs(diff)


class MSE(_ErrorMetric):
    """mean squared error = sum((y_pred - y)^2) / number of samples"""

    @staticmethod
    def _error(diff):
        return diff * diff


class Loss(Metric):
    """The average of the batch losses (each batch loss averaged first if it is a vector)."""

    def clear(self):
        self._sum_loss, self._total_num = 0.0, 0

    def update(self, *inputs):
        self._check_inputs(inputs, 1)
        loss = _array("Loss", inputs[0])
        if loss.ndim > 1:
            raise ValueError(f"For 'Loss', the loss must be a scalar or a 1-D Tensor, but got shape {loss.shape}.")
        self._sum_loss += float(loss.mean())
        self._total_num += 1

    def eval(self):
        if self._total_num == 0:
            raise self._empty()
        return self._sum_loss / self._total_num


class Accuracy(Metric):
    """correct predictions / samples.

    ``'classification'``: ``y_pred`` is ``(N, C)`` scores; ``y`` is ``(N,)``
    or ``(N, 1)`` class indices, or ``(N, C)`` one-hot. ``'multilabel'``: ``y_pred`` is
    rounded to 0/1 and a sample counts when all its labels match.
    """

    def __init__(self, eval_type="classification"):
        if eval_type not in ("classification", "multilabel"):
            raise ValueError(f"For 'Accuracy', the 'eval_type' must be in ['classification', 'multilabel'], "
                             f"but got {eval_type}.")
        self.eval_type = eval_type
        super().__init__()

    def clear(self):
        self._correct_num, self._total_num = 0, 0

    def update(self, *inputs):
        self._check_inputs(inputs, 2)
        y_pred, y = _array("Accuracy", inputs[0]), _array("Accuracy", inputs[1])
        if self.eval_type == "classification":
            if y_pred.ndim != 2:
                raise ValueError(f"For 'Accuracy', 'y_pred' must be (N, C) scores, but got shape {y_pred.shape}.")
            if y.shape == y_pred.shape:  # one-hot; (N, 1) class indices are indices
                y = y.argmax(axis=1)
            y = y.reshape(-1)
            if y.shape[0] != y_pred.shape[0]:
                raise ValueError(f"For 'Accuracy', 'y' must have {y_pred.shape[0]} samples, but got {y.shape[0]}.")
            correct = y_pred.argmax(axis=1) == y
        else:
            if y_pred.shape != y.shape:
                raise ValueError(f"For 'Accuracy', 'y_pred' and 'y' must have the same shape in 'multilabel' mode, "
                                 f"but got {y_pred.shape} and {y.shape}.")
            correct = (np.round(y_pred) == y).reshape(y.shape[0], -1).all(axis=1)
        self._correct_num += int(correct.sum())
        self._total_num += correct.shape[0]

    def eval(self):
        if self._total_num == 0:
            raise self._empty()
        return self._correct_num / self._total_num


class Recall(Metric):
    """The recall of each class: of the samples of class k, the share predicted as k.

    ``y_pred`` is ``(N, C)`` scores (the argmax is the prediction); ``y`` is
    ``(N,)`` class indices or ``(N, C)`` one-hot. ``eval()`` returns one recall
    per class, as a numpy array (a class never seen gives 0); ``eval(average=True)``
    their mean. A live plot draws one line per class from it.

    >>> recall = Recall()
    >>> recall.update(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([0, 1, 1]))
    >>> recall.eval()
    array([1. , 0.5])
    >>> float(recall.eval(average=True))
    0.75
    """

    def __init__(self, eval_type="classification"):
        if eval_type != "classification":
            raise ValueError(f"For 'Recall', the 'eval_type' must be 'classification' (lossviz does not offer "
                             f"'multilabel'), but got {eval_type!r}.")
        self.eval_type = eval_type
        super().__init__()

    def clear(self):
        self._true_positives, self._actual_positives = None, None

    def update(self, *inputs):
        self._check_inputs(inputs, 2)
        y_pred, y = _array("Recall", inputs[0]), _array("Recall", inputs[1])
        if y_pred.ndim != 2:
            raise ValueError(f"For 'Recall', 'y_pred' must be (N, C) scores, but got shape {y_pred.shape}.")
        classes = y_pred.shape[1]
        if self._actual_positives is not None and classes != self._actual_positives.shape[0]:
            raise ValueError(f"For 'Recall', the number of classes changed from {self._actual_positives.shape[0]} "
                             f"to {classes} between two updates.")
        if y.ndim == 2 and y.shape == y_pred.shape:
            y = y.argmax(axis=1)
        y = y.reshape(-1).astype(np.int64)
        if y.shape[0] != y_pred.shape[0]:
            raise ValueError(f"For 'Recall', 'y' must have {y_pred.shape[0]} samples, but got {y.shape[0]}.")
        if y.size and (y.min() < 0 or y.max() >= classes):
            raise ValueError(f"For 'Recall', the class indices in 'y' must be in [0, {classes}), "
                             f"but got {y.min()}..{y.max()}.")
        hit = y_pred.argmax(axis=1) == y
        actual = np.bincount(y, minlength=classes).astype(np.float64)
        true = np.bincount(y[hit], minlength=classes).astype(np.float64)
        if self._actual_positives is None:
            self._true_positives, self._actual_positives = true, actual
        else:
            self._true_positives += true
            self._actual_positives += actual

    def eval(self, average=False):
        if self._actual_positives is None:
            raise self._empty()
        if not isinstance(average, bool):
            raise TypeError(f"For 'Recall', the 'average' must be a bool, but got {type(average).__name__}.")
        recall = self._true_positives / np.maximum(self._actual_positives, 1.0)
        return recall.mean() if average else recall


_BY_NAME = {"mae": MAE, "mse": MSE, "loss": Loss, "accuracy": Accuracy, "acc": Accuracy, "recall": Recall}


def names():
    """The metric names ``get_metric_fn`` knows."""
    return sorted(_BY_NAME)


def get_metric_fn(name, *args, **kwargs):
    """The metric called ``name`` (``'mae'``, ``'mse'``, ``'loss'``, ``'accuracy'`` / ``'acc'``, ``'recall'``)."""
    if name not in _BY_NAME:
        raise KeyError(f"For 'get_metric_fn', the metric name must be one of {names()}, but got '{name}'.")
    return _BY_NAME[name](*args, **kwargs)
