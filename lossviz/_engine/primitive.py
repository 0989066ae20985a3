"""``Primitive``: the base of every op, and ``apply``, which runs one.

A primitive is a small class: ``forward(ctx, *arrays, **attrs)`` computes the
result with numpy and saves on ``ctx`` what the backward needs;
``backward(ctx, grad)`` returns the gradient for each tensor input (``None``
where there is none, or where ``ctx.needs_input_grad[i]`` says no input
needs it). The engine undoes broadcasting for you.

    class Abs(Primitive):
        '''y = |x|;  dy/dx = sign(x)'''
        def forward(self, ctx, x):
            ctx.x = x
            return np.abs(x)
        def backward(self, ctx, grad):
            return grad * np.sign(ctx.x)
"""
import numpy as np

from . import autograd
from .autograd import Node
from .tensor import Tensor


class Context:
    """What a forward saved for its backward (attributes set by the op)."""


class Primitive:
    """Base class of ops. Calling the op runs ``forward`` and records the graph."""

    arg_names = ()
    # True: backward accepts a broadcast gradient view (see ``autograd``); it must not write into it.
    reads_broadcast_grad = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:  # the input names of forward(self, ctx, x, y), for error messages
            code = cls.forward.__code__
            cls.arg_names = code.co_varnames[2:code.co_argcount]

    @property
    def name(self):
        return type(self).__name__

    def __call__(self, *inputs):
        return apply(self, *inputs)

    def forward(self, ctx, *arrays):
        raise NotImplementedError

    def backward(self, ctx, grad):
        raise NotImplementedError(f"{self.name} has no gradient.")

    def __repr__(self):
        return f"Prim[{self.name}]"


def scalar_array(value, like=None):
    """A Python number as a 0-d array, taking the dtype of ``like`` when it fits.

    So ``float32_tensor * 2.0`` stays float32 and ``int_tensor + 1`` stays int.
    """
    if like is not None:
        kind = like.dtype.kind
        if kind == "f" or (kind in "iu" and not isinstance(value, float)) or kind == "b" and isinstance(value, bool):
            return np.array(value, dtype=like.dtype)
        if kind in "iub" and isinstance(value, float):
            return np.array(value, dtype=np.float32)
    if isinstance(value, bool):
        return np.array(value)
    return np.array(value, dtype=np.int64 if isinstance(value, int) else np.float32)


def _bad_argument(op, index, value):
    names = op.arg_names
    arg = names[index] if index < len(names) else f"input{index}"
    return TypeError(f"For '{op.name}', the input '{arg}' must be a Tensor or a number, "
                     f"but got {type(value).__name__}.")


def _as_tensors(op, inputs):
    """The inputs with Python / numpy numbers made 0-d Tensors (see ``scalar_array``)."""
    like = next((x._data for x in inputs if isinstance(x, Tensor)), None)
    tensors = []
    for index, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            if not isinstance(x, (int, float, bool, np.number, np.bool_)):
                raise _bad_argument(op, index, x)
            x = Tensor._wrap(scalar_array(x, like))
        tensors.append(x)
    return tuple(tensors)


def _named(op, error, inputs):
    """numpy's error from inside a forward, reworded to name the op and its inputs' shapes.

    The ops check what they can themselves (messages starting ``For 'Op'``);
    anything numpy still refuses (shapes that do not broadcast, ...) arrives
    here and becomes a ValueError (a TypeError for a wrong kind of value).
    """
    message = str(error)
    if message.startswith("For '"):
        return error
    names = op.arg_names
    described = ", ".join(f"'{names[i] if i < len(names) else f'input{i}'}' {tuple(t.shape)} {t._data.dtype.name}"
                          for i, t in enumerate(inputs))
    kind = TypeError if isinstance(error, TypeError) else ValueError
    return kind(f"For '{op.name}', the inputs {described} are not valid: {message}")


def apply(op, *inputs, **attrs):
    """Run ``op.forward`` on the inputs' arrays and wrap the result in a Tensor.

    Tensors and Python numbers are accepted as inputs; anything else is a
    ``TypeError`` naming the op and the argument. The graph is recorded only
    when gradients are enabled and some input requires a gradient.
    """
    for x in inputs:
        if not isinstance(x, Tensor):
            inputs = _as_tensors(op, inputs)
            break
    ctx = Context()
    try:
        out = op.forward(ctx, *[t._data for t in inputs], **attrs)
    except (ValueError, TypeError, IndexError, ZeroDivisionError, OverflowError) as error:
        raise _named(op, error, inputs) from None
    if type(out) is not np.ndarray:  # numpy returns scalars for 0-d results
        out = np.asarray(out)
    if autograd._grad_enabled:
        needs = tuple([t.requires_grad for t in inputs])
        if True in needs:
            ctx.needs_input_grad = needs  # backward may skip the gradients nobody needs
            return Tensor._wrap(out, Node(op, ctx, inputs))
    return Tensor._wrap(out)
