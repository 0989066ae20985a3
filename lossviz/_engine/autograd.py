"""Reverse-mode autodiff: the graph, backward, ``no_grad``.

Every op that runs while gradients are enabled and that has an input needing a
gradient records a :class:`Node` on its output: the primitive, the context its
forward saved, and the input tensors. ``backprop`` walks those nodes once, from
the outputs back to the leaves, in reverse topological order, *adding* each
contribution (a tensor used twice gets both). The engine knows no op by name:
it only calls ``op.backward(ctx, grad)``.
"""
import functools

import numpy as np

_grad_enabled = True


def is_grad_enabled():
    return _grad_enabled


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


class Node:
    """How a tensor was made: ``op.backward(ctx, grad)`` gives its inputs' grads."""

    __slots__ = ("op", "ctx", "inputs")

    def __init__(self, op, ctx, inputs):
        self.op, self.ctx, self.inputs = op, ctx, inputs


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


def _topological_order(roots):
    """Non-leaf tensors reachable from ``roots``, every tensor after its inputs.

    A depth-first walk without recursion (graphs can be thousands of ops
    deep): a tensor is appended once all its inputs are.
    """
    order, seen = [], set()
    for root in roots:
        if root._node is None or root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root._node.inputs))]
        while stack:
            tensor, parents = stack[-1]
            for parent in parents:
                if parent._node is not None and parent not in seen:
                    seen.add(parent)
                    stack.append((parent, iter(parent._node.inputs)))
                    break
            else:  # every input is in order already
                stack.pop()
                order.append(tensor)
    return order


def backprop(roots, seeds):
    """Gradients of ``sum(seed_i * root_i)`` for every leaf that requires grad.

    Returns ``{leaf: grad_array}``. Nothing is stored on tensors.
    """
    grads = {}  # tensor -> gradient so far; a tensor used twice gets both contributions
    for root, seed in zip(roots, seeds):
        if root.requires_grad:
            grads[root] = grads[root] + seed if root in grads else seed
    for tensor in reversed(_topological_order(roots)):
        grad = grads.pop(tensor, None)
        if grad is None:
            continue
        node = tensor._node
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
            previous = grads.get(parent)
            grads[parent] = parent_grad if previous is None else previous + parent_grad
    return grads  # only leaves are left: each inner tensor's entry was used up above


def ones_seed(tensor):
    """The implicit sensitivity: d(sum(output))/d(output) = ones."""
    dtype = tensor._data.dtype if tensor._data.dtype.kind == "f" else np.float32
    return np.ones(tensor._data.shape, dtype=dtype)
