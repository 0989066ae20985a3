"""Elementwise primitives. Binary ones broadcast like numpy; the engine sums
each gradient back to its input's shape."""
import numpy as np

from .dtype import to_numpy
from .primitive import Primitive, apply


def promote(x, y):
    """MindSpore's promotion: an int or bool array meeting a float array takes the float's dtype.

    (numpy alone would make int32 with float32 float64.) Other pairs follow numpy.
    """
    if x.dtype == y.dtype:
        return x, y
    if x.dtype.kind == "f" and y.dtype.kind in "iub":
        return x, y.astype(x.dtype)
    if y.dtype.kind == "f" and x.dtype.kind in "iub":
        return x.astype(y.dtype), y
    return x, y


# ----- binary arithmetic -----
class Add(Primitive):
    """out = x + y;  d/dx = 1, d/dy = 1"""

    def forward(self, ctx, x, y):
        x, y = promote(x, y)
        return x + y

    def backward(self, ctx, grad):
        return grad, grad


class Sub(Primitive):
    """out = x - y;  d/dx = 1, d/dy = -1"""

    def forward(self, ctx, x, y):
        x, y = promote(x, y)
        return x - y

    def backward(self, ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Primitive):
    """out = x * y;  d/dx = y, d/dy = x"""

    def forward(self, ctx, x, y):
        x, y = promote(x, y)
        ctx.x, ctx.y = x, y
        return x * y

    def backward(self, ctx, grad):
        need_x, need_y = ctx.needs_input_grad
        return (grad * ctx.y if need_x else None), (grad * ctx.x if need_y else None)


class Div(Primitive):
    """out = x / y;  d/dx = 1/y, d/dy = -x/y^2 = -out/y"""

    def forward(self, ctx, x, y):
        x, y = promote(x, y)
        out = np.true_divide(x, y)
        if out.dtype == np.float64 and x.dtype.kind in "iub" and y.dtype.kind in "iub":
            out = out.astype(np.float32)  # int / int gives float32, as MindSpore
        ctx.y, ctx.out = y, out
        return out

    def backward(self, ctx, grad):
        grad_x = grad / ctx.y
        return grad_x, (-grad_x * ctx.out if ctx.needs_input_grad[1] else None)


class Pow(Primitive):
    """out = x ** y;  d/dx = y * x^(y-1), d/dy = out * ln(x) (0 where x <= 0)"""

    def forward(self, ctx, x, y):
        x, y = promote(x, y)
        ctx.x, ctx.y = x, y
        ctx.out = np.power(x, y)
        return ctx.out

    def backward(self, ctx, grad):
        x, y = ctx.x, ctx.y
        grad_x = grad * y * np.power(x, y - 1)
        if not ctx.needs_input_grad[1]:
            return grad_x, None
        with np.errstate(divide="ignore", invalid="ignore"):
            log_x = np.where(x > 0, np.log(np.where(x > 0, x, 1)), 0)
        return grad_x, grad * ctx.out * log_x


class Maximum(Primitive):
    """out = max(x, y);  the larger side gets the gradient, a tie splits it half/half"""

    def forward(self, ctx, x, y):
        x, y = promote(x, y)
        ctx.x, ctx.y = x, y
        return np.maximum(x, y)

    def backward(self, ctx, grad):
        share = (ctx.x > ctx.y) + 0.5 * (ctx.x == ctx.y)
        return grad * share, grad * (1 - share)


class Minimum(Primitive):
    """out = min(x, y);  the smaller side gets the gradient, a tie splits it half/half"""

    def forward(self, ctx, x, y):
        x, y = promote(x, y)
        ctx.x, ctx.y = x, y
        return np.minimum(x, y)

    def backward(self, ctx, grad):
        share = (ctx.x < ctx.y) + 0.5 * (ctx.x == ctx.y)
        return grad * share, grad * (1 - share)


# ----- unary -----
class Neg(Primitive):
    """out = -x;  d/dx = -1"""

    def forward(self, ctx, x):
        return -x

    def backward(self, ctx, grad):
        return -grad


class Abs(Primitive):
    """out = |x|;  d/dx = sign(x), which is 0 at x = 0"""

    def forward(self, ctx, x):
        ctx.x = x
        return np.abs(x)

    def backward(self, ctx, grad):
        return grad * np.sign(ctx.x)


class Sign(Primitive):
    """out = sign(x) in {-1, 0, 1};  d/dx = 0"""

    def forward(self, ctx, x):
        return np.sign(x)

    def backward(self, ctx, grad):
        return np.zeros_like(grad)


class Square(Primitive):
    """out = x^2;  d/dx = 2x"""

    def forward(self, ctx, x):
        ctx.x = x
        return np.square(x)

    def backward(self, ctx, grad):
        return grad * 2 * ctx.x


class Sqrt(Primitive):
    """out = sqrt(x);  d/dx = 1 / (2 sqrt(x))"""

    def forward(self, ctx, x):
        ctx.out = np.sqrt(x)
        return ctx.out

    def backward(self, ctx, grad):
        return grad / (2 * ctx.out)


class Exp(Primitive):
    """out = e^x;  d/dx = e^x, saved as the output"""

    def forward(self, ctx, x):
        ctx.out = np.exp(x)
        return ctx.out

    def backward(self, ctx, grad):
        return grad * ctx.out


class Log(Primitive):
    """out = ln(x);  d/dx = 1/x"""

    def forward(self, ctx, x):
        ctx.x = x
        return np.log(x)

    def backward(self, ctx, grad):
        return grad / ctx.x


class Sigmoid(Primitive):
    """out = 1 / (1 + e^-x);  d/dx = out * (1 - out)"""

    def forward(self, ctx, x):
        # NOTE: written with e^-|x| so that neither branch overflows.
        z = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)
        ctx.out = out
        return out

    def backward(self, ctx, grad):
        return grad * ctx.out * (1 - ctx.out)


class ReLU(Primitive):
    """out = max(x, 0);  d/dx = 1 where x > 0, else 0"""

    def forward(self, ctx, x):
        ctx.mask = x > 0
        return x * ctx.mask

    def backward(self, ctx, grad):
        return grad * ctx.mask


class Cast(Primitive):
    """out = x converted to ``dtype``;  the gradient passes through unchanged

    Called as ``ops.Cast()(x, lossviz.float64)``.
    """

    def __call__(self, x, dtype):
        try:
            np_dtype = to_numpy(dtype, self.name)
        except TypeError:
            np_dtype = None
        if np_dtype is None or np_dtype.kind not in "biuf":
            raise TypeError(f"For 'Cast', the 'dtype' must be a lossviz or numpy number type (lossviz.float32, "
                            f"np.int64...), but got {dtype!r}.")
        return apply(self, x, dtype=np_dtype)

    def forward(self, ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, ctx, grad):
        return grad.astype(ctx.dtype) if ctx.dtype.kind == "f" else grad


class Select(Primitive):
    """out = x where cond else y;  the gradient goes to the chosen side"""

    def forward(self, ctx, cond, x, y):
        if cond.dtype != np.bool_:
            raise TypeError(f"For 'Select', the input 'cond' must be a bool Tensor, but got {cond.dtype}.")
        ctx.cond = cond
        return np.where(cond, x, y)

    def backward(self, ctx, grad):
        zero = np.zeros((), grad.dtype)
        return None, np.where(ctx.cond, grad, zero), np.where(ctx.cond, zero, grad)


class ZerosLike(Primitive):
    """out = zeros of x's shape and dtype; no gradient"""

    def forward(self, ctx, x):
        return np.zeros_like(x)

    def backward(self, ctx, grad):
        return None


class OnesLike(Primitive):
    """out = ones of x's shape and dtype; no gradient"""

    def forward(self, ctx, x):
        return np.ones_like(x)

    def backward(self, ctx, grad):
        return None
