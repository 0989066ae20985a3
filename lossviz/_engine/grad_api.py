"""MindSpore 2.x's functional autodiff: ``grad`` and ``value_and_grad``.

``value_and_grad(fn, grad_position=0, weights=None)(*args)`` runs ``fn`` once,
walks the graph back once, and returns ``(fn's output, gradients)`` where the
gradients are shaped as MindSpore returns them:

* ``grad_position=int`` -> one Tensor; a tuple -> a tuple of Tensors;
* ``weights`` given -> ``(input_grads, weight_grads)``, or only
  ``weight_grads`` when ``grad_position=None``.

The gradient is that of ``sum(output)`` (ones as the sensitivity). With
``has_aux=True`` only the first output is differentiated. No ``.grad`` is
left on any tensor.
"""
import warnings

import numpy as np

from . import autograd
from .autograd import backprop, ones_seed
from .checks import OutOfRange
from .parameter import Parameter
from .tensor import Tensor


_depth = 0   # how many grad runs are executing their function right now (nested: a grad of a grad)


def _positions(grad_position):
    if grad_position is None:
        return None
    if isinstance(grad_position, int) and not isinstance(grad_position, bool):
        return (grad_position,)
    if isinstance(grad_position, (tuple, list)) and all(isinstance(p, int) and not isinstance(p, bool)
                                                        for p in grad_position):
        if not grad_position:
            raise ValueError("For 'grad', 'grad_position' must name at least one input, but got an empty tuple.")
        return tuple(grad_position)
    raise TypeError(f"For 'grad', 'grad_position' must be an int, a tuple of ints or None, but got {grad_position!r}.")


def _weights(weights):
    if weights is None:
        return None
    if isinstance(weights, Parameter):
        return (weights,)
    weights = tuple(weights)
    for w in weights:
        if not isinstance(w, Parameter):
            raise TypeError(f"For 'grad', every element of 'weights' must be a Parameter, but got {type(w).__name__}.")
    return weights


def _grad_and_value(fn, grad_position, weights, has_aux):
    positions, weights = _positions(grad_position), _weights(weights)
    if positions is None and weights is None:
        raise ValueError("For 'grad', 'grad_position' and 'weights' can not both be None.")

    def run(*args, **kwargs):
        global _depth
        targets = ()
        if positions is not None:
            if _depth and any(isinstance(args[p], Tensor) and args[p].requires_grad for p in positions
                              if -len(args) <= p < len(args)):
                raise NotImplementedError(
                    "For 'grad', higher-order gradients (the gradient of a gradient) are not supported: "
                    "lossviz's backward pass computes with numpy and records no graph of its own.")
            args, targets = _mark_inputs(args, positions)
        previous, autograd._grad_enabled = autograd._grad_enabled, True  # NOTE: as enable_grad(), minus an object per call
        _depth += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            autograd._grad_enabled = previous
            _depth -= 1
        if has_aux and (not isinstance(out, tuple) or len(out) < 2):
            raise TypeError("For 'grad' with has_aux=True, the function must return a tuple (loss, aux, ...).")
        outputs = out if isinstance(out, tuple) else (out,)
        roots = [o for o in outputs[:1 if has_aux else None] if isinstance(o, Tensor)]
        if not roots:
            raise TypeError(f"For 'grad', the function must return a Tensor (or a tuple of them), "
                            f"but got {type(outputs[0]).__name__}.")
        if not any(root.requires_grad for root in roots):
            warnings.warn("For 'grad', the function's output does not depend on the inputs or weights to "
                          "differentiate through lossviz ops (was it computed with numpy, e.g. from .asnumpy()?): "
                          "every gradient is zero.", stacklevel=2)
        found = backprop(roots, [ones_seed(r) for r in roots])

        input_grads = tuple(_grad_of(t, found) for t in targets)
        if isinstance(grad_position, int):  # one position: the grad itself, not a 1-tuple
            input_grads = input_grads[0]
        if weights is None:
            return out, input_grads
        weight_grads = tuple(_grad_of(w, found) for w in weights)
        return out, (weight_grads if positions is None else (input_grads, weight_grads))

    return run


def _mark_inputs(args, positions):
    """A copy of ``args`` where the inputs to differentiate are fresh leaves (one per input, however often named)."""
    args = list(args)
    leaves = {}
    for position in positions:
        if not -len(args) <= position < len(args):
            raise OutOfRange(f"For 'grad', 'grad_position' {position} is out of range for {len(args)} inputs.")
        position %= len(args)
        if position in leaves:
            continue
        arg = args[position]
        if not isinstance(arg, Tensor):
            raise TypeError(f"For 'grad', the input at position {position} must be a Tensor, but got {type(arg).__name__}.")
        leaf = Tensor._wrap(arg._data)
        leaf.requires_grad = True
        args[position] = leaves[position] = leaf
    return args, [leaves[p % len(args)] for p in positions]


def _grad_of(tensor, found):
    """The gradient ``backprop`` found for ``tensor``, or zeros when none reached it."""
    grad = found.get(tensor)
    if grad is not None:
        return Tensor._wrap(grad)
    data = tensor._data
    return Tensor._wrap(np.zeros(data.shape, data.dtype if data.dtype.kind == "f" else np.float32))


def value_and_grad(fn, grad_position=0, weights=None, has_aux=False):
    """Make a function returning ``(fn(*args), grads)``; see the module doc."""
    return _grad_and_value(fn, grad_position, weights, has_aux)


def grad(fn, grad_position=0, weights=None, has_aux=False):
    """Make a function returning the gradients of ``fn`` (``(grads, aux)`` with ``has_aux``)."""
    run = _grad_and_value(fn, grad_position, weights, has_aux)

    def gradient(*args, **kwargs):
        out, grads = run(*args, **kwargs)
        return (grads, tuple(out[1:])) if has_aux else grads

    return gradient
