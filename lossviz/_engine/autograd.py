"""Reverse-mode autodiff: the graph, backward, ``no_grad``.

Every op that runs while gradients are enabled and that has an input needing a
gradient records a :class:`Node` on its output: the primitive, the context its
forward saved, the input tensors, and a creation number. ``backprop`` walks
those nodes once, from the outputs back to the leaves, newest first, *adding*
each contribution (a tensor used twice gets both). The engine knows no op by
name: it only calls ``op.backward(ctx, grad)``.

A backward may return a *broadcast* gradient: a read-only view that repeats
values without storing them (``np.broadcast_to``), as a reduction's backward
does (every element of a summed tensor gets the same gradient). Writing such
an array out would cost a full pass over memory, so the engine hands the view
on as it is to an op that says it can read one (``reads_broadcast_grad = True``,
e.g. the fused losses, which multiply by the single number); every other op,
and every gradient returned to the user, gets a real array.
"""
import functools
import heapq
import itertools
import math

import numpy as np

_grad_enabled = True

# Below this many elements a reduction's gradient is written out (see ``broadcast``).
SMALL = 4096


class _GradMode:
    """Context manager / decorator that sets whether ops record the graph."""

    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        global _grad_enabled
        self.previous, _grad_enabled = _grad_enabled, self.enabled

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.previous

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _GradMode(self.enabled):
                return fn(*args, **kwargs)
        return wrapper


def no_grad():
    """``with lossviz.no_grad(): ...`` runs ops without recording a graph."""
    return _GradMode(False)


def enable_grad():
    return _GradMode(True)


_creation_counter = itertools.count()


class Node:
    """How a tensor was made: ``op.backward(ctx, grad)`` gives its inputs' grads.

    ``order`` counts up as nodes are made: a tensor is always made after its
    inputs, so creation order is a topological order of the graph.
    """

    __slots__ = ("op", "ctx", "inputs", "order")

    def __init__(self, op, ctx, inputs):
        self.op, self.ctx, self.inputs = op, ctx, inputs
        self.order = next(_creation_counter)


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``, undoing numpy broadcasting.

    Broadcasting prepends axes and stretches size-1 axes; the gradient of a
    broadcast input is the sum over exactly those axes.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    if grad.ndim == len(shape):
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        if stretched:
            grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:  # a backward returned a gradient of the wrong shape
        raise ValueError(f"A gradient of shape {grad.shape} can not be summed back to its input's shape {shape}.")
    return grad


def backprop(roots, seeds):
    """Gradients of ``sum(seed_i * root_i)`` for every leaf that requires grad.

    Returns ``{leaf: grad_array}``. Nothing is stored on tensors.

    The tensors still waiting for their gradient sit in a heap, newest first.
    Every consumer of a tensor was made after it, so by the time a tensor is
    taken from the heap all contributions to its gradient have arrived.
    """
    grads = {}  # tensor -> gradient so far; a tensor used twice gets both contributions
    waiting = []  # heap of (-node.order, tensor): the newest pending tensor first
    for root, seed in zip(roots, seeds):
        if root.requires_grad:
            _add_grad(grads, waiting, root, seed)
    while waiting:
        tensor = heapq.heappop(waiting)[1]
        grad = grads.pop(tensor)
        node = tensor._node
        if 0 in grad.strides and not node.op.reads_broadcast_grad:
            grad = materialized(grad)
        input_grads = node.op.backward(node.ctx, grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for parent, parent_grad in zip(node.inputs, input_grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            data = parent._data
            if parent_grad.shape != data.shape:
                parent_grad = unbroadcast(parent_grad, data.shape)
            if parent_grad.dtype != data.dtype and data.dtype.kind == "f":
                parent_grad = parent_grad.astype(data.dtype)
            _add_grad(grads, waiting, parent, parent_grad)
    # only leaves are left: each inner tensor's entry was used up above
    for leaf, grad in grads.items():
        if 0 in grad.strides:
            grads[leaf] = materialized(grad)
    return grads


def broadcast(grad, shape):
    """``grad`` repeated to ``shape``, as a reduction's backward returns it.

    A read-only broadcast view for big shapes (writing the repeated value out
    would cost a pass over fresh memory); a real array for small ones, where a
    view's Python overhead costs more than the few bytes it saves.
    """
    if math.prod(shape) < SMALL:
        return np.full(shape, grad)
    return np.broadcast_to(grad, shape)


def is_broadcast(grad):
    """Whether ``grad`` is a broadcast view: some axis repeats one value without storing it."""
    return any(stride == 0 and n > 1 for stride, n in zip(grad.strides, grad.shape))


def broadcast_value(grad):
    """The one number that ``grad`` repeats everywhere, or None (e.g. d(mean)/dx = 1/n)."""
    if grad.ndim == 0 or (grad.size and not any(grad.strides)):
        return grad[(0,) * grad.ndim]
    return None


def materialized(grad):
    """``grad`` as a real array (a broadcast view is written out)."""
    return np.array(grad) if is_broadcast(grad) else grad


def _add_grad(grads, waiting, tensor, grad):
    """Add one contribution; a non-leaf seen for the first time starts waiting in the heap."""
    previous = grads.get(tensor)
    if previous is not None:
        grads[tensor] = previous + grad
        return
    grads[tensor] = grad
    if tensor._node is not None:
        heapq.heappush(waiting, (-tensor._node.order, tensor))


def ones_seed(tensor):
    """The implicit sensitivity: d(sum(output))/d(output) = ones."""
    dtype = tensor._data.dtype if tensor._data.dtype.kind == "f" else np.float32
    return np.ones(tensor._data.shape, dtype=dtype)
