"""Memory tricks for the fused losses, kept out of the formulas.

On this kind of machine touching fresh memory costs more than the arithmetic
on it (about 1.5 us per 4 KiB page), so a big elementwise loss is fastest
when it writes into as few fresh arrays as possible: results are computed in
place, temporaries are small reused buffers walked chunk by chunk, and a
gradient that is one number broadcast (a reduction's) is used as that number.
"""
import math
import sys

import numpy as np

from .._engine import autograd
from .._engine.autograd import broadcast_value

# Elements per chunk for the big elementwise formulas: 2 MiB of float32. A chunk of
# every operand stays in cache (1 MiB L2 a core, 32 MiB L3 on this machine) from one
# numpy call to the next, and there are few enough chunks for the Python loop to cost
# nothing (a million elements: 2 chunks). Measured: 2^18 to 2^20 all do well.
CHUNK = 1 << 19


def chunks(n):
    """Slices of at most CHUNK elements covering range(n)."""
    return [slice(i, min(i + CHUNK, n)) for i in range(0, n, CHUNK)]


def flat_view(array):
    """A 1-D view of a C-contiguous array (a copy otherwise: only for reading)."""
    return array.reshape(-1) if array.flags.c_contiguous else np.ravel(array)


def fresh(array):
    """``array`` as a C-contiguous ndarray we may write into (numpy gives scalars for 0-d results)."""
    if type(array) is not np.ndarray:
        return np.array(array)          # a numpy scalar -> a 0-d array (np.ascontiguousarray would make it 1-d)
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


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


def each_chunk(*arrays, scratch=0):
    """Walk arrays of one shape chunk by chunk: yields a chunk of each, then ``scratch`` scratch chunks.

    Writes into a chunk land in its array when the array is C-contiguous (make
    results with ``np.empty``); a ``None`` in ``arrays`` gets a scratch chunk
    instead (a result nobody keeps). Inputs of another layout are copied once.
    The first array must be given; scratch chunks have its dtype. Arrays of at
    most CHUNK elements come whole, in their own shape.
    """
    first = arrays[0]
    size, dtype = first.size, first.dtype
    if size <= CHUNK:
        yield (*[np.empty(first.shape, dtype) if a is None else a for a in arrays],
               *[np.empty(first.shape, dtype) for _ in range(scratch)])
        return
    flats = [a if a is None else (a.reshape(-1) if a.flags.c_contiguous else np.ravel(a)) for a in arrays]
    spares = [np.empty(CHUNK, dtype) for _ in range(scratch + sum(f is None for f in flats))]
    for start in range(0, size, CHUNK):
        part, n = slice(start, start + CHUNK), min(CHUNK, size - start)
        spare = iter([s[:n] for s in spares])
        yield (*[next(spare) if f is None else f[part] for f in flats], *spare)


def row_blocks(array):
    """Slices of the rows (axis 0) of ``array``, about CHUNK elements each (at least one row each)."""
    n, per_row = array.shape[0], max(1, math.prod(array.shape[1:]))
    step = max(1, CHUNK // per_row)
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def scratch_rows(buffer, shape, dtype):
    """A scratch array of ``shape`` for one block of rows: the first rows of ``buffer`` when it is big enough.

    Blocks from ``row_blocks`` only shrink (the last one), so one buffer serves them all.
    """
    if buffer is None or buffer.dtype != dtype or buffer.shape[1:] != shape[1:] or len(buffer) < shape[0]:
        return np.empty(shape, dtype)
    return buffer[:shape[0]]


def difference_operands(logits, labels):
    """(shape, dtype, logits, labels) of ``logits - labels``, both inputs broadcast to that shape.

    NOTE: a broadcast input is walked through a copy (``each_chunk``); the
    losses that broadcast (L1, MSE) are rarely called that way on big arrays.
    """
    dtype = logits.dtype if logits.dtype == labels.dtype else np.result_type(logits, labels)
    if logits.shape == labels.shape:
        return logits.shape, dtype, logits, labels
    shape = np.broadcast_shapes(logits.shape, labels.shape)
    return shape, dtype, np.broadcast_to(logits, shape), np.broadcast_to(labels, shape)


def grad_wanted(*inputs):
    """Whether a backward may follow this call: the graph is being recorded and some input needs a gradient.

    A fused loss whose forward can compute its derivative almost for free (from
    the same difference, still in cache) does so only then.
    """
    return autograd._grad_enabled and any(getattr(x, "requires_grad", False) for x in inputs)


def take(ctx, name):
    """``ctx.<name>``, handed over: the first backward writes the gradient into the array the forward kept.

    None for a second backward through the same graph (the kept array became
    the first gradient), which then recomputes it.
    """
    array = getattr(ctx, name, None)
    setattr(ctx, name, None)
    return array


def scaled(g, grad):
    """``g * grad``, in place when ``g`` (a fresh array of ours) can hold the result."""
    number = broadcast_value(grad)
    if number is not None:
        if np.result_type(g, number) == g.dtype:
            return np.multiply(g, number, out=g)
        return g * number
    if np.result_type(g, grad) == g.dtype and (grad.shape == g.shape or
                                               np.broadcast_shapes(g.shape, grad.shape) == g.shape):
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


def add_rows_at(target, ids, rows):
    """``np.add.at(target, ids, rows)``: ``target[ids] += rows``, rows of repeated ids adding up, in order.

    NOTE: ``np.add.at`` walks whole rows one by one (about 1 us a row). Here
    the first row of each id is added with one fancy ``+=`` (its ids are
    distinct), and only the repeats, usually few, go through ``np.add.at``:
    the same additions in the same order, the same numbers.
    """
    ids = np.asarray(ids, np.intp) % len(target)             # MindSpore's gather wraps negative ids
    unique, first = np.unique(ids, return_index=True)
    if len(unique) == len(ids):
        target[ids] += rows
        return
    target[unique] += rows[first]
    repeats = np.ones(len(ids), bool)
    repeats[first] = False
    np.add.at(target, ids[repeats], rows[repeats])


# ----- results whose memory is used again -----
# NOTE: a fresh array costs a page fault per 4 KiB page on first write (on this
# machine about as much as writing it three more times), and numpy's allocator
# returns big arrays (> 32 MiB) to the system as soon as they are freed. The
# unreduced loss of a big loss is such an array, and usually short-lived (a
# reduction reads it once and the graph drops it), so the fused losses take it
# from here: an earlier result of the same shape and dtype that nothing else
# refers to any more (its reference count says so) is handed out again.
RECYCLE_MIN_BYTES = 1 << 20          # smaller arrays: malloc recycles them itself
RECYCLE_KEEP = 4                     # at most this many arrays are kept for reuse
_recycled = []


def _references(pool, i):
    return sys.getrefcount(pool[i])


_UNUSED = _references([object()], 0)  # the count of an array that only the pool refers to


def reused_empty(shape, dtype):
    """``np.empty(shape, dtype)``, in the memory of an earlier result of the same kind nobody holds any more."""
    dtype = np.dtype(dtype)
    if math.prod(shape) * dtype.itemsize < RECYCLE_MIN_BYTES:
        return np.empty(shape, dtype)
    for i in range(len(_recycled)):
        array = _recycled[i]
        if array.shape == shape and array.dtype == dtype:
            del array
            if _references(_recycled, i) == _UNUSED:
                _recycled.append(_recycled.pop(i))          # the most recently used last
                return _recycled[-1]
    array = np.empty(shape, dtype)
    _recycled.append(array)
    if len(_recycled) > RECYCLE_KEEP:
        del _recycled[0]
    return array


def release_reused():
    """Let go of every array kept for reuse (their memory is freed once nothing else holds them)."""
    _recycled.clear()
