"""Fused primitives of the multi-label, margin and segmentation losses.

Each computes a whole loss formula as one op, forward and backward side by
side, and returns the *unreduced* loss (one value per element, per sample or
per channel); the reduction stays with ``LossBase.get_loss``:

* ``MultiLabelSoftMargin``: t softplus(-x) + (1 - t) softplus(x), elementwise
  (``nn.MultiLabelSoftMarginLoss`` before its class-axis mean);
* ``MultiMarginLoss``: the multi-class hinge of each row (``nn.MultiMarginLoss``);
* ``MultilabelMarginLoss``: the multi-label hinge of each row (``nn.MultilabelMarginLoss``);
* ``Dice``: 1 - 2 I / (U + smooth), over everything or per channel
  (``nn.DiceLoss``, ``nn.MultiClassDiceLoss``).

Unlike MindSpore's ``ops.MultiMarginLoss`` / ``ops.MultilabelMarginLoss``, ours
take no ``reduction``. The inputs are assumed valid (the loss classes check
them). float16 is computed in float32 and the result cast back to float16.

``Sigmoid``, ``Tanh`` and ``ReLU6`` (activations ``MultiClassDiceLoss`` may apply) are
small primitives here too, kept out of ``__all__``.
"""
import numpy as np

from .._engine.autograd import broadcast_value
from .._engine.checks import check_bool, check_float, check_int
from .._engine.primitive import Primitive, apply
from ._memory import CHUNK, chunks, flat_view, in_chunks, scaled
from .fused_losses import FusedLoss

__all__ = ["MultiLabelSoftMargin", "MultiMarginLoss", "MultilabelMarginLoss", "Dice"]


def work_dtype(*arrays):
    """The float dtype the formula is computed in: the inputs' promoted float dtype, float32 for float16.

    Integer inputs take the dtype of the float ones (MindSpore's promotion);
    integers alone give float32.
    """
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else np.dtype(np.float32)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def out_dtype(*arrays):
    """The dtype of the result: the promoted float dtype (float16 stays float16), float32 for integers alone."""
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    return np.result_type(*floats) if floats else np.dtype(np.float32)


def in_blocks(out, *inputs):
    """Like ``_memory.in_chunks``, with two scratch arrays: yields ``(o, tmp1, tmp2, *xs)``."""
    out_flat, input_flats = flat_view(out), [flat_view(x) for x in inputs]
    size = min(out_flat.size, CHUNK)
    scratch1, scratch2 = np.empty(size, out.dtype), np.empty(size, out.dtype)
    for part in chunks(out_flat.size):
        n = part.stop - part.start
        yield (out_flat[part], scratch1[:n], scratch2[:n], *(x[part] for x in input_flats))


def row_blocks(n_rows, n_cols):
    """Slices of rows holding about CHUNK elements each: a row-wise formula stays in cache."""
    step = max(1, CHUNK // max(n_cols, 1))
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


# ----- MultiLabelSoftMarginLoss -----
class MultiLabelSoftMargin(FusedLoss):
    """out = t * softplus(-x) + (1 - t) * softplus(x)   (x logits, t targets; elementwise, broadcasting)

    softplus(x) = ln(1 + e^x). Computed stably, so that no exp overflows and
    small terms keep their precision:  out = ln(1 + e^-|x|) + (max(x, 0) - t x).
    d/dx = sigmoid(x) - t;  d/dt = softplus(-x) - softplus(x) = -x.
    """

    def forward(self, ctx, x, t):
        dtype, shape = work_dtype(x, t), np.broadcast_shapes(x.shape, t.shape)
        if t.dtype.kind != "f":
            t = t.astype(dtype)
        ctx.x, ctx.t, ctx.dtype, ctx.shape = x, t, dtype, shape
        # NOTE: different shapes are broadcast first (flat_view then copies them).
        x_b, t_b = np.broadcast_to(x, shape), np.broadcast_to(t, shape)
        out = np.empty(shape, dtype)
        for o, relu, tx, x_part, t_part in in_blocks(out, x_b, t_b):
            np.abs(x_part, out=o)
            np.negative(o, out=o)
            np.exp(o, out=o)
            np.log1p(o, out=o)                     # ln(1 + e^-|x|)
            np.maximum(x_part, 0, out=relu)        # max(x, 0)
            np.multiply(t_part, x_part, out=tx)
            relu -= tx                             # max(x, 0) - t x  (exact for t = 1, x > 0: keeps tiny terms)
            o += relu
        return out.astype(out_dtype(x, t), copy=False)

    def backward(self, ctx, grad):
        x, t, needs = ctx.x, ctx.t, ctx.needs_input_grad
        grad_x = grad_t = None
        if needs[0]:
            grad_x = np.empty(ctx.shape, ctx.dtype)
            x_b, t_b = np.broadcast_to(x, ctx.shape), np.broadcast_to(t, ctx.shape)
            # NOTE: e^-x overflows to inf below x = -88 (float32); 1 / (1 + inf) = 0 is then the right sigmoid.
            with np.errstate(over="ignore"):
                for g, _, _, x_part, t_part in in_blocks(grad_x, x_b, t_b):
                    np.negative(x_part, out=g)
                    np.exp(g, out=g)
                    g += 1
                    np.reciprocal(g, out=g)            # sigmoid(x) = 1 / (1 + e^-x)
                    g -= t_part                        # sigmoid(x) - t
            grad_x = scaled(grad_x, grad)
        if needs[1]:
            grad_t = np.negative(np.broadcast_to(x, ctx.shape), dtype=ctx.dtype)   # -x
            grad_t = scaled(grad_t, grad)
        return grad_x, grad_t


# ----- MultiMarginLoss -----
class MultiMarginLoss(FusedLoss):
    """out_n = w[y_n] / C * sum over i != y_n of max(0, z_ni)^p,   z_ni = margin - x[n, y_n] + x[n, i]

    ``MultiMarginLoss(p, margin)(x, target)`` or ``(x, target, weight)``:
    x (N, C) floats, target (N,) class indices in [0, C), weight (C,) (ones
    when absent); out (N,). A term counts only when z > 0: a tie, a NaN
    (``max(0, nan) = 0``, as MindSpore CPU) or a negative z adds 0.

    d out_n / d x[n, i] = w[y_n] / C * p * z_ni^(p-1) for each counted term,
    d out_n / d x[n, y_n] = minus the sum of those; 0 elsewhere.
    The weight gets a zero gradient, as MindSpore's bprop gives it.
    """

    def __init__(self, p=1, margin=1.0):
        self.p, self.margin = check_int(self.name, "p", p), check_float(self.name, "margin", margin)

    def __call__(self, x, target, weight=None):
        return apply(self, x, target) if weight is None else apply(self, x, target, weight)

    def forward(self, ctx, x, target, *weight):
        dtype, result_dtype = work_dtype(x), x.dtype
        x = x.astype(dtype, copy=False)
        w_y = weight[0][target].astype(dtype) if weight else np.ones(len(target), dtype)
        h = self.hinge(x, target)
        ctx.x, ctx.target, ctx.w_y, ctx.h = x, target, w_y, h
        ctx.weight_shape = weight[0].shape if weight else None
        total = np.einsum("ij,ij->i", h, h) if self.p == 2 else h.sum(axis=1)
        out = total * w_y / dtype.type(max(x.shape[1], 1))
        return out.astype(result_dtype, copy=False)

    def hinge(self, x, target):
        """max(0, z) for every i != y (0 at i = y): a fresh (N, C) array, written in cache-sized row blocks."""
        h, zero = np.empty(x.shape, x.dtype), x.dtype.type(0)
        for block in row_blocks(*x.shape):
            hb, xb, yb = h[block], x[block], target[block]
            rows = np.arange(len(yb))
            np.add(xb, (x.dtype.type(self.margin) - xb[rows, yb])[:, None], out=hb)   # z = (margin - x_y) + x_i
            hb[rows, yb] = 0                                                          # i == y is not a term
            np.fmax(hb, zero, out=hb)                                                 # max(0, z); NaN -> 0
        return h

    def backward(self, ctx, grad):
        grad_w = None if ctx.weight_shape is None else np.zeros(ctx.weight_shape, grad.dtype)
        if not ctx.needs_input_grad[0]:
            return None, None, grad_w
        # NOTE: as ``fused_losses._take_exp``: the forward's max(0, z) becomes the gradient's array
        # (one (N, C) array fewer); a second backward through the same graph recomputes it.
        g, ctx.h = ctx.h, None
        if g is None:
            g = self.hinge(ctx.x, ctx.target)
        n_classes = g.dtype.type(max(g.shape[1], 1))
        scale = (np.broadcast_to(grad, ctx.w_y.shape) * ctx.w_y / n_classes).astype(g.dtype)   # w[y] / C per row
        if self.p == 2:
            scale *= 2
        for block in row_blocks(*g.shape):
            gb, yb = g[block], ctx.target[block]
            if self.p == 1:
                np.greater(gb, 0, out=gb)       # p z^(p-1) = 1 where counted (z > 0), else 0
                # NOTE: np.greater straight into the float array: np.sign in place is ~30x slower.
            gb *= scale[block, None]            # p = 2: 2 z, 0 where not counted
            gb[np.arange(len(yb)), yb] = -gb.sum(axis=1)     # x_y moves against every counted x_i
        return g, None, grad_w


# ----- MultilabelMarginLoss -----
def target_prefix_lengths(target):
    """For each row of ``target`` (N, C): how many entries come before its first -1 (C when there is none)."""
    padding = target == -1
    return np.where(padding.any(axis=1), padding.argmax(axis=1), target.shape[1])


class MultilabelMarginLoss(FusedLoss):
    """out_n = sum over j in T_n, i not in T_n of max(0, 1 - (x[n, y_nj] - x[n, i])) / C

    ``MultilabelMarginLoss()(x, target)``: x (N, C) or (C,) floats, target of
    the same shape holding class indices. T_n, the row's targets, is the
    prefix of ``target[n]`` before its first -1 (what follows is ignored); a
    class repeated in it counts once per occurrence. out (N,), or 0-d for 1-D x.
    Only terms with z = 1 - (x_y - x_i) > 0 count (a tie adds 0, gradient 0).

    d out_n / d x[n, i] = (number of counted terms with that non-target i) / C,
    d out_n / d x[n, y_nj] = -(number of counted terms of target slot j) / C.
    """

    def forward(self, ctx, x, target):
        x2 = x.reshape(1, -1) if x.ndim == 1 else x
        t2 = target.reshape(1, -1) if target.ndim == 1 else target
        x2 = x2.astype(work_dtype(x), copy=False)
        total, counts = self.hinge_sums(x2, t2)
        ctx.x2, ctx.t2, ctx.counts, ctx.shape = x2, t2, counts, x.shape
        out = (total / x2.dtype.type(max(x2.shape[1], 1))).astype(x.dtype, copy=False)
        return out.reshape(()) if x.ndim == 1 else out

    @staticmethod
    def hinge_sums(x, target):
        """(sum of the counted hinge terms of each row, how often each x[n, i] counts: +1 / -1 per term)."""
        n, c = x.shape
        lengths = target_prefix_lengths(target)
        total, counts = np.zeros(n, x.dtype), np.zeros((n, c), x.dtype)
        # NOTE: rows are taken in cache-sized blocks, and inside a block one target slot j at a time.
        # The few target classes of each row are zeroed by index (a masked copy over the
        # whole block is several times slower).
        z_buffer = np.empty(min(n, CHUNK // max(c, 1) + 1) * c, x.dtype)
        for block in row_blocks(n, c):
            xb, tb, lb = x[block], target[block], lengths[block]
            total_b, counts_b = total[block], counts[block]
            listed_rows, listed_slots = np.nonzero(np.arange(c) < lb[:, None])
            listed_classes = tb[listed_rows, listed_slots]
            for j in range(int(lb.max(initial=0))):
                rows = np.nonzero(lb > j)[0]            # the rows that still have a j-th target
                every = len(rows) == len(lb)
                xs = xb if every else xb[rows]
                y = tb[rows, j]
                z = z_buffer[:len(rows) * c].reshape(len(rows), c)
                np.subtract(xs, xs[np.arange(len(rows)), y][:, None], out=z)
                z += 1                                  # 1 - (x_y - x_i)
                if every:                               # target classes are not terms
                    z[listed_rows, listed_classes] = 0
                else:
                    position = np.full(len(lb), -1)
                    position[rows] = np.arange(len(rows))
                    keep = lb[listed_rows] > j
                    z[position[listed_rows[keep]], listed_classes[keep]] = 0
                np.maximum(z, 0, out=z)
                total_b[rows] += z.sum(axis=1)
                counted = z > 0
                if every:
                    counts_b += counted
                else:
                    counts_b[rows] += counted
                counts_b[rows, y] -= counted.sum(axis=1)
        return total, counts

    def backward(self, ctx, grad):
        # NOTE: the forward's counts become the gradient's array (taken over: one (N, C) array fewer);
        # a second backward through the same graph counts again.
        counts, ctx.counts = ctx.counts, None
        if counts is None:
            counts = self.hinge_sums(ctx.x2, ctx.t2)[1]
        number = broadcast_value(grad)
        c = counts.dtype.type(max(counts.shape[1], 1))
        if number is not None:
            counts *= counts.dtype.type(number) / c
        else:
            counts *= (np.reshape(grad, (-1,)) / c)[:, None].astype(counts.dtype)
        return counts.reshape(ctx.shape), None


# ----- DiceLoss, MultiClassDiceLoss -----
class Dice(FusedLoss):
    """out = 1 - 2 I / (U + smooth),   I = sum(a * y),   U = sum(a * a) + sum(y * y)

    ``Dice(smooth)(a, y)`` sums over every element (out 0-d);
    ``Dice(smooth, per_channel=True)(a, y)`` sums over every axis but axis 1
    (a and y (N, C, ...), out (C,): one dice loss per channel over the batch).
    a and y have the same shape; integer inputs are promoted (both integer:
    float32). No activation, and smooth only in the denominator.

    With D = U + smooth:  d/da = 4 I a / D^2 - 2 y / D,   d/dy = 4 I y / D^2 - 2 a / D.
    """

    def __init__(self, smooth=1e-5, per_channel=False):
        self.smooth = check_float(self.name, "smooth", smooth)
        self.per_channel = check_bool(self.name, "per_channel", per_channel)

    def _grouped(self, array):
        """(groups, channels, rest) view: (1, 1, size) over everything, (N, C, rest) per channel."""
        if not self.per_channel:
            return array.reshape(1, 1, -1)
        return array.reshape(array.shape[0], array.shape[1], -1)

    def forward(self, ctx, a, y):
        dtype, result_dtype = work_dtype(a, y), out_dtype(a, y)
        a, y = a.astype(dtype, copy=False), y.astype(dtype, copy=False)
        a3, y3 = self._grouped(a), self._grouped(y)
        if self.per_channel:
            intersection = np.einsum("ncr,ncr->c", a3, y3)
            union = np.einsum("ncr,ncr->c", a3, a3) + np.einsum("ncr,ncr->c", y3, y3)
        else:   # NOTE: vdot is BLAS's dot product: several times faster than einsum on one long vector
            a1, y1 = a3.reshape(-1), y3.reshape(-1)
            intersection = np.array([np.vdot(a1, y1)], dtype)
            union = np.array([np.vdot(a1, a1) + np.vdot(y1, y1)], dtype)
        denominator = union + dtype.type(self.smooth)
        ctx.a3, ctx.y3, ctx.shape, ctx.intersection, ctx.denominator = a3, y3, a.shape, intersection, denominator
        out = (1 - 2 * intersection / denominator).astype(result_dtype, copy=False)
        return out if self.per_channel else out.reshape(())

    def backward(self, ctx, grad):
        a3, y3, intersection, denominator = ctx.a3, ctx.y3, ctx.intersection, ctx.denominator
        g = np.broadcast_to(np.asarray(grad, a3.dtype).reshape(-1), intersection.shape)
        same = 4 * intersection * g / denominator ** 2      # coefficient of the input itself
        other = 2 * g / denominator                         # coefficient of the other input
        grads = []
        for mine, theirs, need in ((a3, y3, ctx.needs_input_grad[0]), (y3, a3, ctx.needs_input_grad[1])):
            grads.append(self._combine(mine, same, theirs, other).reshape(ctx.shape) if need else None)
        return tuple(grads)

    @staticmethod
    def _combine(mine, same, theirs, other):
        """same[c] * mine - other[c] * theirs, channel c on axis 1 of (groups, C, rest) arrays."""
        groups, channels, rest = mine.shape
        if rest < 1024:      # short rows: whole-array numpy
            return mine * same[:, None] - theirs * other[:, None]
        # NOTE: long rows: each contiguous row of ``rest`` walked in cache-sized chunks.
        out = np.empty(mine.shape, mine.dtype)
        scratch = np.empty(min(rest, CHUNK), mine.dtype)
        for n in range(groups):
            for c in range(channels):
                for part in chunks(rest):
                    o, tmp = out[n, c, part], scratch[:part.stop - part.start]
                    np.multiply(mine[n, c, part], same[c], out=o)
                    o -= np.multiply(theirs[n, c, part], other[c], out=tmp)
        return out


# ----- activations for MultiClassDiceLoss (not exported) -----
class Tanh(Primitive):
    """out = tanh(x);  d/dx = 1 - out^2"""

    def forward(self, ctx, x):
        ctx.out = np.tanh(x)
        return ctx.out

    def backward(self, ctx, grad):
        return grad * (1 - np.square(ctx.out))


class Sigmoid(Primitive):
    """out = 1 / (1 + e^-x);  d/dx = out (1 - out)

    e^-x overflows to inf for x below about -88 (float32): 1 / inf = 0 is the
    right value, so the overflow is silenced instead of avoided.
    """

    def forward(self, ctx, x):
        out = np.empty(x.shape, work_dtype(x))       # float16 in float32: e^-x overflows float16 from x = -11
        with np.errstate(over="ignore"):
            for o, _, x_part in in_chunks(out, x):
                np.negative(x_part, out=o)
                np.exp(o, out=o)
                o += 1
                np.reciprocal(o, out=o)
        ctx.out = out
        return out.astype(x.dtype, copy=False)

    def backward(self, ctx, grad):
        out = ctx.out
        g = np.empty(out.shape, np.result_type(out, grad))
        for g_part, _, s, grad_part in in_chunks(g, out, grad):
            np.subtract(1, s, out=g_part)
            g_part *= s
            g_part *= grad_part                  # grad * out * (1 - out)
        return g


class ReLU6(Primitive):
    """out = min(max(x, 0), 6);  d/dx = 1 where 0 < x <= 6, else 0 (MindSpore CPU's ReLU6Grad)"""

    def forward(self, ctx, x):
        ctx.x = x
        return np.clip(x, 0, 6).astype(x.dtype, copy=False)

    def backward(self, ctx, grad):
        x = ctx.x
        return grad * ((x > 0) & (x <= 6))
