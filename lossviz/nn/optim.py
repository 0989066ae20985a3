"""Optimizers: ``Momentum`` (the tutorial's), ``SGD`` and ``Adam``.

An optimizer holds the Parameters it trains and, per parameter, its state
(``moments``). Called with the gradients -- a tuple aligned with
``opt.parameters`` -- it updates the Parameters **in place**, in float32, and
counts the step in ``opt.global_step``::

    loss, grads = lossviz.value_and_grad(forward, None, opt.parameters)(x, y)
    opt(grads)

Common arguments, as MindSpore:

* ``params``: a list (or generator) of Parameters, or of parameter groups
  ``{'params': [...], 'lr': 0.01, 'weight_decay': 0.0}`` whose entries
  override the optimizer's for that group.
* ``learning_rate``: a number >= 0, or a per-step schedule -- a list /
  ndarray / Tensor of one value per step (the last value is kept once the
  schedule runs out) or a callable ``step -> lr``.
* ``weight_decay``: adds ``weight_decay * p`` to the gradient of every
  parameter whose name contains neither ``'beta'`` nor ``'gamma'`` (so
  normalisation layers are not decayed; ``'bias'`` is).
* ``loss_scale``: the gradients are divided by it (they are expected to come
  from a loss multiplied by it).
"""
import numbers

import numpy as np

from .._engine.parameter import Parameter, ParameterTuple
from .._engine.tensor import Tensor
from .cell import Cell

__all__ = ["Optimizer", "Momentum", "SGD", "Adam"]


class Optimizer(Cell):
    """Base class: parameter groups, learning rate, weight decay, loss scale, step count.

    Subclasses implement ``_update(index, param, grad, lr)`` for one parameter
    (``grad`` is a float32 array already decayed and unscaled; ``lr`` a
    float32 scalar) -- or ``_apply(params, grads, lrs)`` for all of them at
    once, as Momentum does to keep the tiny tutorial step lean -- and call
    ``_state('moments')`` to create per-parameter state.
    """

    def __init__(self, learning_rate, parameters, weight_decay=0.0, loss_scale=1.0):
        super().__init__(auto_prefix=False)
        name = self.cls_name
        _check_number(name, "weight_decay", weight_decay, low=0.0)
        _check_number(name, "loss_scale", loss_scale, positive=True)
        params, group_lrs, group_wds = _parse_params(name, parameters, learning_rate, weight_decay)
        self.parameters = ParameterTuple(params)
        self.loss_scale = float(loss_scale)
        self.learning_rate = _lr_parameter(name, learning_rate)
        self._global_step = Parameter(np.zeros((1,), np.int32), name="global_step", requires_grad=False)
        self._step = 0  # the step count; global_step shows it
        # one schedule per parameter (shared objects when the groups don't differ)
        self._lr_schedules = [group_lrs[i] if group_lrs[i] is not None else self.learning_rate
                              for i in range(len(params))]
        self._lr_is_static = all(_is_static(s) for s in self._lr_schedules)
        self.weight_decay = float(weight_decay)
        decays = [np.float32(wd * loss_scale) if wd > 0 and _decay_filter(p) else None
                  for p, wd in zip(params, group_wds)]
        self._decays = decays
        self._any_decay = any(d is not None for d in decays)
        self._unscale = None if loss_scale == 1 else np.float32(loss_scale)

    # ----- state -----
    def _state(self, prefix, init=0.0):
        """One zero-initialized float32 Parameter per trained parameter, named ``prefix.<name>``."""
        return ParameterTuple(Parameter(np.full(p._data.shape, init, np.float32), name=f"{prefix}.{p.name}",
                                        requires_grad=False) for p in self.parameters)

    def get_lr(self):
        """The learning rate used by the next step (a float32 Tensor)."""
        return Tensor._wrap(np.array(_lr_at(self.learning_rate, self._step), np.float32))

    def get_lr_parameter(self, param):
        """The learning rate of the group holding ``param`` (for the next step)."""
        for p, schedule in zip(self.parameters, self._lr_schedules):
            if p is param:
                return Tensor._wrap(np.array(_lr_at(schedule, self._step), np.float32))
        raise ValueError(f"For '{self.cls_name}', the parameter {getattr(param, 'name', param)} is not optimized here.")

    # ----- one step -----
    def construct(self, gradients):
        params = self.parameters
        if len(gradients) != len(params):
            raise ValueError(f"For '{self.cls_name}', the number of gradients ({len(gradients)}) must equal the "
                             f"number of parameters ({len(params)}).")
        grads = []
        for g in gradients:
            g = g._data if isinstance(g, Tensor) else np.asarray(g)
            grads.append(g if g.dtype == np.float32 else g.astype(np.float32))
        if self._any_decay:  # NOTE: decay * loss_scale, since the gradient still carries the scale
            grads = [g if d is None else g + d * p._data for g, d, p in zip(grads, self._decays, params)]
        if self._unscale is not None:
            grads = [g / self._unscale for g in grads]
        if self._lr_is_static:  # 0-d float32 arrays, read each step so set_data() is seen
            lrs = [s._data for s in self._lr_schedules]
        else:
            lrs = [_lr_at(s, self._step) for s in self._lr_schedules]
        self._apply(params, grads, lrs)
        self.__dict__["_step"] += 1  # NOTE: bypasses Cell.__setattr__ (hot path)
        return True

    @property
    def global_step(self):
        """The number of steps taken, as an int32 Parameter of shape (1,)."""
        self._global_step._data[0] = self._step  # NOTE: synced when read, not on every step
        return self._global_step

    def _apply(self, params, grads, lrs):
        """Update every parameter in place; ``grads`` are float32 arrays, ``lrs`` float32 scalars."""
        for i, (param, grad, lr) in enumerate(zip(params, grads, lrs)):
            self._update(i, param, grad, lr)

    def _update(self, index, param, grad, lr):
        raise NotImplementedError


class Momentum(Optimizer):
    """Gradient descent with momentum (MindSpore's ApplyMomentum).

    For each parameter ``p`` with gradient ``g`` (after weight decay and loss
    scale), with the accumulation ``v`` starting at 0::

        v = momentum * v + g
        p = p - lr * v                           (use_nesterov=False)
        p = p - lr * (g + momentum * v)          (use_nesterov=True)

    So the first step is plain gradient descent (``v = g``). ``opt.moments``
    holds ``v`` (Parameters named ``moments.<param name>``).

    >>> import numpy as np
    >>> from lossviz import Parameter, Tensor
    >>> w = Parameter(Tensor(np.array([1.0], np.float32)), name="w")
    >>> opt = Momentum([w], learning_rate=0.1, momentum=0.9)
    >>> opt((Tensor(np.array([2.0], np.float32)),))      # v = 2, w = 1 - 0.1 * 2
    True
    >>> print(w)
    [0.8]
    """

    def __init__(self, params, learning_rate, momentum, weight_decay=0.0, loss_scale=1.0, use_nesterov=False):
        if isinstance(momentum, bool) or not isinstance(momentum, float):
            raise TypeError(f"For 'Momentum', the 'momentum' must be a float, but got {type(momentum).__name__}.")
        _check_finite("Momentum", "momentum", momentum)
        if momentum < 0.0:
            raise ValueError(f"For 'Momentum', the 'momentum' must be at least 0.0, but got {momentum}.")
        if not isinstance(use_nesterov, bool):
            raise TypeError(f"For 'Momentum', the 'use_nesterov' must be a bool, but got {type(use_nesterov).__name__}.")
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.momentum = Parameter(np.array(momentum, np.float32), name="momentum", requires_grad=False)
        self.use_nesterov = use_nesterov
        self.moments = self._state("moments")
        self._m = np.float32(momentum)

    def _apply(self, params, grads, lrs):
        m, nesterov = self._m, self.use_nesterov
        for param, v, grad, lr in zip(params, self.moments, grads, lrs):
            v = v._data
            v *= m
            v += grad
            if nesterov:
                param._data -= lr * (grad + m * v)
            else:
                param._data -= lr * v


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, dampening, Nesterov.

    With ``momentum > 0`` and the accumulation ``v`` (the first step sets ``v = g``)::

        v = momentum * v + (1 - dampening) * g
        p = p - lr * (g + momentum * v)   if nesterov else   p - lr * v

    With ``momentum == 0``: ``p = p - lr * g``. Defaults as MindSpore:
    ``learning_rate=0.1, momentum=0.0, dampening=0.0``.
    """

    def __init__(self, params, learning_rate=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 loss_scale=1.0):
        _check_float("SGD", "momentum", momentum)
        _check_float("SGD", "dampening", dampening)
        if not isinstance(nesterov, bool):
            raise TypeError(f"For 'SGD', the 'nesterov' must be a bool, but got {type(nesterov).__name__}.")
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError(f"For 'SGD', if 'nesterov' is True, 'momentum' must be > 0.0 and 'dampening' must "
                             f"equal 0.0, but got momentum={momentum}, dampening={dampening}.")
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.momentum = Parameter(np.array(momentum, np.float32), name="momentum", requires_grad=False)
        self.dampening, self.nesterov = float(dampening), nesterov
        self.accum = self._state("accum")
        self.stat = self._state("stat", init=1.0)
        self._m, self._keep = np.float32(momentum), np.float32(1.0 - dampening)

    def _update(self, index, param, grad, lr):
        if self._m == 0:
            param._data -= lr * grad
            return
        v, stat = self.accum[index]._data, self.stat[index]._data
        if stat.flat[0] > 0:  # the first step
            v[...] = grad
            stat[...] = 0
        else:
            v *= self._m
            v += self._keep * grad
        param._data -= lr * (grad + self._m * v) if self.nesterov else lr * v


class Adam(Optimizer):
    """Adam: adaptive moments (MindSpore's defaults: lr 1e-3, betas 0.9 / 0.999, eps 1e-8).

    At step t (1, 2, ...), with ``m`` and ``v`` starting at 0::

        m = m + (1 - beta1) * (g - m)
        v = v + (1 - beta2) * (g^2 - v)
        lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
        p = p - lr_t * m / (sqrt(v) + eps)

    (with ``use_nesterov`` the numerator is ``beta1 * m + (1 - beta1) * g``).
    State: ``opt.moment1`` (m), ``opt.moment2`` (v), ``beta1_power``, ``beta2_power``.
    """

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, use_locking=False,
                 use_nesterov=False, weight_decay=0.0, loss_scale=1.0, use_amsgrad=False):
        for name, value in (("beta1", beta1), ("beta2", beta2)):
            _check_float("Adam", name, value)
            if not 0.0 < value < 1.0:
                raise ValueError(f"For 'Adam', the '{name}' must be in range (0.0, 1.0), but got {value}.")
        _check_float("Adam", "eps", eps)
        if eps <= 0:
            raise ValueError(f"For 'Adam', the 'eps' must be greater than 0, but got {eps}.")
        for name, value in (("use_locking", use_locking), ("use_nesterov", use_nesterov), ("use_amsgrad", use_amsgrad)):
            if not isinstance(value, bool):
                raise TypeError(f"For 'Adam', the '{name}' must be a bool, but got {type(value).__name__}.")
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.beta1, self.beta2, self.eps = np.float32(beta1), np.float32(beta2), np.float32(eps)
        self.use_nesterov, self.use_amsgrad = use_nesterov, use_amsgrad
        self.moment1 = self._state("moment1")
        self.moment2 = self._state("moment2")
        self.vhat = self._state("vhat") if use_amsgrad else None
        self.beta1_power = Parameter(np.ones((1,), np.float32), name="beta1_power", requires_grad=False)
        self.beta2_power = Parameter(np.ones((1,), np.float32), name="beta2_power", requires_grad=False)

    def construct(self, gradients):
        self.beta1_power._data *= self.beta1
        self.beta2_power._data *= self.beta2
        return super().construct(gradients)

    def _update(self, index, param, grad, lr):
        b1, b2 = self.beta1, self.beta2
        m, v = self.moment1[index]._data, self.moment2[index]._data
        m += (1 - b1) * (grad - m)
        v += (1 - b2) * (grad * grad - v)
        lr_t = lr * np.sqrt(1 - self.beta2_power._data[0]) / (1 - self.beta1_power._data[0])
        if self.use_amsgrad:
            vhat = self.vhat[index]._data
            np.maximum(vhat, v, out=vhat)
            v = vhat
        numerator = b1 * m + (1 - b1) * grad if self.use_nesterov else m
        param._data -= (lr_t * numerator / (np.sqrt(v) + self.eps)).astype(np.float32, copy=False)


# ----- argument handling -----
def _check_number(cls, name, value, low=None, positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"For '{cls}', the '{name}' must be an int or a float, but got {type(value).__name__}.")
    _check_finite(cls, name, value)
    if low is not None and value < low:
        raise ValueError(f"For '{cls}', the '{name}' must be at least {low}, but got {value}.")
    if positive and not value > 0:
        raise ValueError(f"For '{cls}', the '{name}' must be greater than 0, but got {value}.")


def _check_float(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, float):
        raise TypeError(f"For '{cls}', the '{name}' must be a float, but got {type(value).__name__}.")
    _check_finite(cls, name, value)
    if value < 0.0:
        raise ValueError(f"For '{cls}', the '{name}' must be at least 0.0, but got {value}.")


def _check_finite(cls, name, value):
    if not np.isfinite(value):
        raise ValueError(f"For '{cls}', the '{name}' must be a finite number, but got {value}.")


def _decay_filter(param):
    name = param.name or ""
    return "beta" not in name and "gamma" not in name


def _parse_params(cls, parameters, learning_rate, weight_decay):
    """Flatten ``parameters`` (Parameters or groups) into params + per-param lr / weight decay."""
    if isinstance(parameters, Parameter):
        raise TypeError(f"For '{cls}', the 'params' must be a list of Parameters or of dicts, but got one Parameter.")
    try:
        items = list(parameters)
    except TypeError:
        raise TypeError(f"For '{cls}', the 'params' must be a list of Parameters or of dicts, "
                        f"but got {type(parameters).__name__}.") from None
    if not items:
        raise ValueError(f"For '{cls}', the argument 'parameters' must not be empty.")
    params, lrs, wds = [], [], []
    for item in items:
        if isinstance(item, dict):
            unknown = set(item) - {"params", "lr", "weight_decay", "order_params", "grad_centralization"}
            if unknown or "params" not in item:
                raise ValueError(f"For '{cls}', a parameter group must be a dict with the key 'params' and optionally "
                                 f"'lr' and 'weight_decay', but got keys {sorted(item)}.")
            if "order_params" in item:
                continue
            group = list(item["params"])
            if not group:
                raise ValueError(f"For '{cls}', the 'params' of a parameter group must not be empty.")
            lr = _lr_parameter(cls, item["lr"]) if "lr" in item else None
            wd = item.get("weight_decay", weight_decay)
            _check_number(cls, "weight_decay", wd, low=0.0)
        else:
            group, lr, wd = [item], None, weight_decay
        for p in group:
            if not isinstance(p, Parameter):
                raise TypeError(f"For '{cls}', every element of 'params' must be a Parameter or a dict, "
                                f"but got {type(p).__name__}.")
            if any(p is q for q in params):
                raise RuntimeError(f"For '{cls}', the parameter {p.name} appears more than once in 'params'.")
            params.append(p)
            lrs.append(lr)
            wds.append(float(wd))
    return params, lrs, wds


def _lr_parameter(cls, learning_rate):
    """A number -> a float32 Parameter; a list / array / Tensor -> a 1-D schedule; a callable stays."""
    if isinstance(learning_rate, bool):
        raise TypeError(f"For '{cls}', the 'learning_rate' must be a number, a list, a Tensor or a callable, "
                        f"but got bool.")
    if isinstance(learning_rate, numbers.Real):
        _check_finite(cls, "learning_rate", learning_rate)
        if learning_rate < 0:
            raise ValueError(f"For '{cls}', the 'learning_rate' must be at least 0.0, but got {learning_rate}.")
        return Parameter(np.array(learning_rate, np.float32), name="learning_rate", requires_grad=False)
    if isinstance(learning_rate, (list, tuple, np.ndarray, Tensor)):
        values = np.asarray(learning_rate.asnumpy() if isinstance(learning_rate, Tensor) else learning_rate,
                            dtype=np.float32)
        if values.ndim == 0:
            return _lr_parameter(cls, float(values))
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"For '{cls}', a 'learning_rate' schedule must be 1-D and non-empty, "
                             f"but got shape {values.shape}.")
        if not np.isfinite(values).all():
            raise ValueError(f"For '{cls}', every value of the 'learning_rate' schedule must be finite.")
        if (values < 0).any():
            raise ValueError(f"For '{cls}', every value of the 'learning_rate' schedule must be at least 0.0.")
        return Parameter(values, name="learning_rate", requires_grad=False)
    if callable(learning_rate):
        return learning_rate
    raise TypeError(f"For '{cls}', the 'learning_rate' must be a number, a list, a Tensor or a callable, "
                    f"but got {type(learning_rate).__name__}.")


def _is_static(schedule):
    return isinstance(schedule, Parameter) and schedule._data.ndim == 0


def _lr_at(schedule, step):
    """The float32 learning rate of ``schedule`` at ``step`` (0-based)."""
    if isinstance(schedule, Parameter):
        data = schedule._data
        if data.ndim == 0:
            return data[()]
        return data[min(step, data.size - 1)]
    value = schedule(step)
    return np.float32(value.asnumpy() if isinstance(value, Tensor) else value)
