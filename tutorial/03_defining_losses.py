# ---
# jupyter:
#   jupytext:
#     formats: notebooks//ipynb,tutorial//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Loss functions (损失函数) — 3. Defining a loss (定义损失函数)
#
# A loss is a network whose output is a number measuring an error. So it is written like any
# network: a subclass of `nn.Cell` that creates the operators it needs in `__init__` and
# uses them in `construct`.

# %%
import numpy as np
import lossviz

lossviz.set_seed(3)
np.set_printoptions(precision=6)

# %% [markdown]
# ## A loss as an `nn.Cell`
#
# The tutorial rebuilds `L1Loss` from two operators: `ops.Abs` (elementwise absolute value)
# and `ops.ReduceMean` (average over all elements).

# %%
import lossviz.nn as nn
import lossviz.ops as ops

class L1Loss(nn.Cell):
    def __init__(self):
        super(L1Loss, self).__init__()
        self.abs = ops.Abs()
        self.reduce_mean = ops.ReduceMean()

    def construct(self, base, target):
        x = self.abs(base - target)
        return self.reduce_mean(x)

# %% [markdown]
# Calling it on a prediction and a target gives their mean absolute difference — here only
# the last element differs, by 0.1, so the loss is 0.1 / 3:

# %%
import numpy as np
from lossviz import Tensor

loss = L1Loss()
input_data = Tensor(np.array([0.1, 0.2, 0.3]).astype(np.float32))
target_data = Tensor(np.array([0.1, 0.2, 0.2]).astype(np.float32))

output = loss(input_data, target_data)
print(output)

# %% [markdown]
# (0.033333335 rather than 0.0333…3: the computation is in float32, and 0.3 - 0.2 is not
# exactly 0.1 in binary.)
#
# ## A loss on `LossBase`
#
# `nn.LossBase` adds one method, `get_loss(x, weights=1.0)`: it multiplies the elementwise
# losses by `weights` and applies the reduction chosen in the constructor — `'mean'`,
# `'sum'` or `'none'`. A loss written on it gets the three reductions for free:

# %%
import lossviz.ops as ops
from lossviz.nn import LossBase

class L1Loss(LossBase):
    def __init__(self, reduction="mean"):
        super(L1Loss, self).__init__(reduction)
        self.abs = ops.Abs()

    def construct(self, base, target):
        x = self.abs(base - target)
        return self.get_loss(x)

# %%
for reduction in ('mean', 'sum', 'none'):
    print(reduction, L1Loss(reduction)(input_data, target_data))

# %% [markdown]
# A misspelt reduction is refused when the loss is built, not at the first training step:

# %%
try:
    L1Loss('avg')
except ValueError as error:
    print(error)

# %% [markdown]
# ## Checking the gradient of your own loss
#
# Training only needs `construct`: lossviz records every operator it runs and
# back-propagates through them to get the gradient. It is still worth checking that the
# gradient is what you think, for instance when a formula has a kink (`|x|` at 0) or a
# division. The classic check compares it with **central finite differences**:
# `df/dx_i ≈ (f(x + ε e_i) - f(x - ε e_i)) / 2ε`, in float64 so that ε can be small.

# %%
# differs-on-mindspore: MindSpore's LossBase.get_loss computes in float32, where a step of 1e-6 drowns in rounding
def numeric_grad(loss_fn, x, target, eps=1e-6):
    """Central differences of loss_fn(x, target) with respect to each element of x."""
    x = x.asnumpy().astype(np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        up = float(loss_fn(Tensor(x + step), target))
        down = float(loss_fn(Tensor(x - step), target))
        grad[i] = (up - down) / (2 * eps)
    return grad

base = Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], np.float64))
target = Tensor(np.array([[0.0, 1.0, 2.5], [1.0, 1.0, 0.0]], np.float64))

my_loss = L1Loss()
autodiff = lossviz.grad(my_loss)(base, target)
print(autodiff)
print(numeric_grad(my_loss, base, target))
print("agree:", np.allclose(autodiff.asnumpy(), numeric_grad(my_loss, base, target), rtol=1e-6, atol=1e-9))

# %% [markdown]
# Each element's gradient is `sign(base - target) / 6`: the mean spreads the slope ±1 over
# the six elements.
#
# A smooth loss of our own, to see a gradient that is not piecewise constant:
# **log-cosh**, `log(cosh(d))` with `d = base - target`, which is `d²/2` near 0 and
# `|d| - log 2` far away (a smooth cousin of SmoothL1). Its gradient is `tanh(d)`
# (divided by 6 for the mean).

# %%
# differs-on-mindspore: as above, MindSpore's get_loss works in float32, so the float64 check cannot agree there
class LogCoshLoss(LossBase):
    def __init__(self, reduction="mean"):
        super(LogCoshLoss, self).__init__(reduction)
        self.exp = ops.Exp()
        self.log = ops.Log()

    def construct(self, base, target):
        d = base - target
        x = self.log((self.exp(d) + self.exp(-d)) / 2)
        return self.get_loss(x)

log_cosh = LogCoshLoss()
print(log_cosh(base, target))
autodiff = lossviz.grad(log_cosh)(base, target)
print(autodiff)
print("tanh(d)/6:", np.tanh(base.asnumpy() - target.asnumpy()) / 6)
print("agree:", np.allclose(autodiff.asnumpy(), numeric_grad(log_cosh, base, target), rtol=1e-6, atol=1e-9))

# %% [markdown]
# For a loss built from existing operators, this check confirms that the derivative is
# the one you meant (here `tanh`). If you write an operator with its own backward (see
# `lossviz/ops/`), it is the check that catches a wrong one: the two columns would disagree.
#
# Next: notebook 04 trains a network with the `L1Loss` defined here.

# %% [markdown]
# ## Run it on MindSpore
#
# With MindSpore installed (`pip install -e ".[mindspore]"`), change `lossviz` to `mindspore`:
#
# | cell | here | on MindSpore |
# |---|---|---|
# | the first one | `import lossviz`, `lossviz.set_seed(3)` | `import mindspore`, `mindspore.set_seed(3)` |
# | the imports of the loss cells | `import lossviz.nn as nn`, `import lossviz.ops as ops`, `from lossviz import Tensor`, `from lossviz.nn import LossBase` | `import mindspore.nn as nn`, `import mindspore.ops as ops`, `from mindspore import Tensor`, `from mindspore.nn import LossBase` |
# | the two gradient checks | `lossviz.grad(my_loss)`, `lossviz.grad(log_cosh)` | `mindspore.grad(my_loss)`, `mindspore.grad(log_cosh)` |
#
# The classes (`L1Loss` on `nn.Cell` and on `LossBase`, `LogCoshLoss`) and `numeric_grad` run
# unchanged. MindSpore prints the same `0.033333335`, the same three reductions, the same message
# for `'avg'`, the same gradients from autodiff and the same log-cosh value.
#
# The two finite-difference checks do not agree on MindSpore, and their first line says why:
# MindSpore's `LossBase.get_loss` casts the losses to **float32** before reducing them (and the
# result back to float64), so a loss built on `LossBase` is computed in float32 even for float64
# inputs. A step of `eps=1e-6` then moves the loss by less than float32's rounding: the central
# differences print `0.149012` instead of `0.166667`, and `agree: False`. lossviz keeps float64 in
# `get_loss` precisely so that this check works. On MindSpore, check with a step and a tolerance
# that float32 can resolve: `numeric_grad(my_loss, base, target, eps=1e-3)` compared with
# `rtol=1e-3` agrees for both losses.
