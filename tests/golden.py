"""Reading ../shared/reference/*.json (golden values from real MindSpore 2.10) and comparing with them.

A case is ``{id, target, init, inputs, output, grads}``; an error case has
``phase`` and ``expect`` instead of the output. ``run(case)`` builds the loss
(``nn.X(**init)``), calls it and takes the gradient of ``sum(output)`` with
respect to the listed inputs; ``assert_matches`` compares with tolerances that
mean something (dtype and shape exact, non-finite values exact).
"""
import json

import numpy as np

import lossviz
import lossviz.nn as nn
import lossviz.ops as ops
from conftest import SHARED, require_shared
from lossviz import Tensor

# ../shared/spec/catalogue/README.md: MindSpore's CPU exp/log are only float32-accurate
CATALOGUE_TOLERANCE = {"float32": dict(rtol=1e-4, atol=1e-5), "float32 grad": dict(rtol=1e-3, atol=1e-5),
                       "float16": dict(rtol=2e-3, atol=2e-3), "float64": dict(rtol=1e-7, atol=1e-9)}


def load(name):
    """The golden file ``reference/<name>``: a skip with a message where ../shared is absent, a failure in CI."""
    path = SHARED / "reference" / name
    require_shared(path)
    return json.loads(path.read_text())


def array(spec):
    """A {dtype, shape, data} entry as a numpy array ('inf' / 'nan' strings included)."""
    dtype = np.dtype(spec["dtype"])

    def convert(v):
        if isinstance(v, list):
            return [convert(x) for x in v]
        return float(v) if isinstance(v, str) else v

    return np.array(convert(spec["data"]), dtype=dtype).reshape(spec["shape"])


def value(spec):
    """An input or constructor argument: a Tensor, a tuple of them, or a plain Python value."""
    if isinstance(spec, list):
        return [value(s) for s in spec]
    if "py" in spec:
        return tuple(spec["py"]) if spec.get("py_type") == "tuple" else spec["py"]
    if "numpy_array" in spec:
        return array(spec["numpy_array"])
    return Tensor(array(spec))


def build(case, init=None):
    """``nn.X(**init)`` or ``ops.X(**init)`` for the case's target."""
    init = {k: value(v) for k, v in (case["init"] if init is None else init).items()}
    module, name = case["target"].split(".", 1)
    return getattr({"nn": nn, "ops": ops}[module], name)(**init)


def inputs(case):
    return [value(spec) for _, spec in case["inputs"]]


def run(case, loss=None, args=None):
    """(output, {name: grad}) of the case; grads of sum(output) via lossviz.grad."""
    loss = build(case) if loss is None else loss
    names = [name for name, _ in case["inputs"]]
    args = inputs(case) if args is None else args
    wanted = list(case.get("grads") or {})
    out = loss(*args)
    if not wanted:
        return out, {}
    positions = tuple(names.index(name) for name in wanted)
    grads = lossviz.grad(lambda *xs: loss(*xs), grad_position=positions)(*args)
    return out, dict(zip(wanted, grads))


def assert_matches(got, want, case_id, what, tolerance):
    """dtype and shape exact, nan / inf exact, finite values within ``tolerance`` (rtol, atol)."""
    got = got.asnumpy() if isinstance(got, Tensor) else np.asarray(got)
    assert got.dtype == want.dtype, f"{case_id} {what}: dtype {got.dtype}, expected {want.dtype}"
    assert got.shape == want.shape, f"{case_id} {what}: shape {got.shape}, expected {want.shape}"
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want, err_msg=f"{case_id} {what}")
        return
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{case_id} {what}: nan pattern")
    np.testing.assert_array_equal(np.where(np.isinf(want), got, 0), np.where(np.isinf(want), want, 0),
                                  err_msg=f"{case_id} {what}: infinities")
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], **tolerance, err_msg=f"{case_id} {what}")


def catalogue_tolerance(dtype, grad=False):
    name = np.dtype(dtype).name
    return CATALOGUE_TOLERANCE[f"{name} grad" if grad and name == "float32" else name]


def assert_case(case, out=None, grads=None):
    """The case's output and gradients match the golden ones (catalogue tolerances)."""
    if out is None:
        out, grads = run(case)
    want = array(case["output"])
    assert_matches(out, want, case["id"], "output", catalogue_tolerance(want.dtype))
    assert set(grads) == set(case.get("grads") or {})
    for name, spec in (case.get("grads") or {}).items():
        want = array(spec)
        assert_matches(grads[name], want, case["id"], f"grad {name}", catalogue_tolerance(want.dtype, grad=True))


def catalogue(*loss_names):
    """(cases, error cases) of both catalogue files for these losses (``nn.X`` targets)."""
    cases, errors = [], []
    for name in ("losses_catalogue.json", "losses_catalogue_nocpu.json"):
        data = load(name)
        cases += [c for c in data["cases"] if c["target"].split(".")[-1] in loss_names]
        errors += [c for c in data.get("errors", []) if c["target"].split(".")[-1] in loss_names]
    return cases, errors


def raise_for(case):
    """Build and call the error case (whichever phase raises)."""
    loss = build(case)
    if case["phase"] != "init":
        return loss(*inputs(case))
    return loss
