"""Gradient checks by central differences, in float64 (no other framework as oracle).

Two checks, usable from any test module (``from gradcheck import check_grads``):

* ``numerical_grad(f, arrays)``: d sum(f(*arrays)) / d array, one element at a
  time, by central differences.
* ``check_grads(fn, *arrays)``: runs ``fn`` (lossviz Tensors -> a lossviz
  Tensor) and compares

  1. the engine's gradient of ``sum(fn(...))`` with ``numerical_grad``,
     element by element, for every float input;
  2. one random direction: ``u . J v`` computed two ways, with ``v . vjp(u)``
     from the engine (seed ``u`` on the output) and ``u . jvp(v)`` by central
     differences (``v`` perturbs all float inputs at once). This catches
     transposed or mis-shaped gradients cheaply (HIPS/autograd's check).

Integer and bool inputs are passed through as Tensors and not differentiated.
Failure messages show the inputs, the engine's and the numerical gradients.
"""
import numpy as np

from lossviz import Tensor


def _as_array(value):
    if isinstance(value, Tensor):
        return value.asnumpy()
    return np.asarray(value)


def _is_float(array):
    return array.dtype.kind == "f"


def numerical_grad(f, arrays, eps=1e-6):
    """Central-difference gradients of ``sum(f(*arrays))`` w.r.t. each float array.

    ``f`` takes numpy arrays and returns an array-like (a Tensor is fine).
    Returns a list with one gradient per array (``None`` for non-float arrays).
    """
    arrays = [np.array(a, copy=True) for a in arrays]

    def total():
        return float(np.sum(_as_array(f(*arrays)), dtype=np.float64))

    grads = []
    for array in arrays:
        if not _is_float(array):
            grads.append(None)
            continue
        grad = np.zeros(array.shape, np.float64)
        flat, flat_grad = array.reshape(-1), grad.reshape(-1)  # views into array / grad
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + eps
            plus = total()
            flat[i] = saved - eps
            minus = total()
            flat[i] = saved
            flat_grad[i] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


def engine_vjp(fn, arrays, seed=None):
    """The engine's gradient of ``sum(seed * fn(*arrays))`` for each float array.

    Returns ``(output array, [grad or None per array])``; a float input that no
    gradient reached gets zeros.
    """
    tensors = [Tensor(a, requires_grad=_is_float(np.asarray(a))) for a in arrays]
    out = fn(*tensors)
    assert isinstance(out, Tensor), f"fn must return a Tensor, got {type(out).__name__}"
    if out.requires_grad:
        out.backward(seed)
    grads = []
    for t in tensors:
        if not t.requires_grad:
            grads.append(None)
        else:
            grads.append(np.zeros(t.shape, t.asnumpy().dtype) if t.grad is None else t.grad.asnumpy())
    return out.asnumpy(), grads


def _describe(arrays):
    return "\n".join(f"  input {i}: shape {np.shape(a)}\n{np.asarray(a)!r}" for i, a in enumerate(arrays))


def check_grads(fn, *arrays, rtol=1e-5, atol=1e-7, eps=1e-6, seed=0):
    """Assert the engine's gradients of ``fn`` match central differences.

    ``fn`` maps lossviz Tensors to a lossviz Tensor; ``arrays`` are numpy
    arrays (use float64 for the float ones). Checks the full gradient of
    ``sum(fn)``, the gradients' shapes and dtypes, and one random-direction VJP.
    """
    arrays = [np.asarray(a) for a in arrays]

    def numpy_fn(*xs):
        return fn(*[Tensor(x) for x in xs])

    # 1. full gradient of sum(output), element by element
    out, grads = engine_vjp(fn, arrays)
    expected = numerical_grad(numpy_fn, arrays, eps)
    for i, (a, got, want) in enumerate(zip(arrays, grads, expected)):
        if want is None:
            continue
        assert got.shape == a.shape, f"grad {i} has shape {got.shape}, input has {a.shape}"
        assert got.dtype == a.dtype, f"grad {i} has dtype {got.dtype}, input has {a.dtype}"
        np.testing.assert_allclose(
            got, want, rtol=rtol, atol=atol,
            err_msg=f"gradient of input {i} (engine vs central differences)\n{_describe(arrays)}")

    # 2. one random direction: v . vjp(u) == u . jvp(v)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(out.shape).astype(out.dtype if _is_float(out) else np.float64)
    vs = [rng.standard_normal(a.shape) if _is_float(a) else None for a in arrays]
    _, vjp = engine_vjp(fn, arrays, u if out.ndim else u.reshape(()))
    v_dot_vjp = sum(float(np.sum(v * g)) for v, g in zip(vs, vjp) if v is not None)

    def shifted(sign):
        xs = [a + sign * eps * v if v is not None else a for a, v in zip(arrays, vs)]
        return _as_array(numpy_fn(*xs)).astype(np.float64)

    jvp = (shifted(+1) - shifted(-1)) / (2 * eps)
    u_dot_jvp = float(np.sum(u * jvp))
    scale = max(1.0, abs(u_dot_jvp))
    assert abs(v_dot_vjp - u_dot_jvp) <= rtol * scale + atol * 10, (
        f"random-direction check failed: v.vjp(u) = {v_dot_vjp!r}, u.jvp(v) = {u_dot_jvp!r}\n{_describe(arrays)}")
