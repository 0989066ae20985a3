"""Memory tricks for the fused losses, kept out of the formulas.

On this kind of machine touching fresh memory costs more than the arithmetic
on it (about 1.5 us per 4 KiB page), so a big elementwise loss is fastest
when it writes into as few fresh arrays as possible: results are computed in
place, temporaries are small reused buffers walked chunk by chunk, and a
gradient that is one number broadcast (a reduction's) is used as that number.
"""
import numpy as np

from .._engine.autograd import broadcast_value

# Elements per chunk for the big elementwise formulas (256 KiB of float32: stays in cache).
CHUNK = 1 << 16


def chunks(n):
    """Slices of at most CHUNK elements covering range(n)."""
    return [slice(i, min(i + CHUNK, n)) for i in range(0, n, CHUNK)]


def flat_view(array):
    """A 1-D view of a C-contiguous array (a copy otherwise: only for reading)."""
    return array.reshape(-1) if array.flags.c_contiguous else np.ravel(array)


def fresh(array):
    """``array`` as a C-contiguous ndarray we may write into (numpy gives scalars for 0-d results)."""
    return np.ascontiguousarray(array) if type(array) is not np.ndarray else array


def in_chunks(out, *inputs):
    """Walk ``out`` (written in place) and ``inputs`` (same shape) chunk by chunk.

    Yields ``(o, tmp, *xs)``: one chunk of ``out``, a scratch array of the
    same length (one small buffer, reused for every chunk), and the same chunk
    of each input. ``out`` must be C-contiguous (make it with ``order="C"``).
    """
    out_flat, input_flats = flat_view(out), [flat_view(x) for x in inputs]
    scratch = np.empty(min(out_flat.size, CHUNK), out.dtype)
    for part in chunks(out_flat.size):
        yield (out_flat[part], scratch[:part.stop - part.start], *(x[part] for x in input_flats))


def scaled(g, grad):
    """``g * grad``, in place when ``g`` (a fresh array of ours) can hold the result."""
    number = broadcast_value(grad)
    if number is not None:
        grad = number
    if np.result_type(g, grad) == g.dtype and np.broadcast_shapes(g.shape, np.shape(grad)) == g.shape:
        return np.multiply(g, grad, out=g)
    return g * grad


def split_difference_grad(g, needs):
    """(grad for logits, grad for labels) of a loss of ``logits - labels``: ``g`` and ``-g``.

    Only the gradients some input needs are made; when only the labels need
    one, ``g`` is negated in place.
    """
    grad_logits = g if needs[0] else None
    grad_labels = None
    if needs[1]:
        grad_labels = -g if needs[0] else np.negative(g, out=g)
    return grad_logits, grad_labels
