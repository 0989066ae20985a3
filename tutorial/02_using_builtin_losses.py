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
# # Loss functions (损失函数) — 2. Using a built-in loss (内置损失函数应用实例)
#
# All of the tutorial's losses live in `lossviz.nn` (in `mindspore.nn` for MindSpore). You
# build one, then call it like a function with the prediction and the target.

# %%
import numpy as np
import lossviz

lossviz.set_seed(2)
np.set_printoptions(precision=6)

# %% [markdown]
# The tutorial's example: two 2×3 tensors and `nn.L1Loss` with its default reduction,
# `'mean'`.

# %%
import numpy as np
import lossviz.nn as nn
from lossviz import Tensor

loss = nn.L1Loss()
input_data = Tensor(np.array([[1, 2, 3], [2, 3, 4]]).astype(np.float32))
target_data = Tensor(np.array([[0, 2, 5], [3, 1, 1]]).astype(np.float32))
print(loss(input_data, target_data))

# %% [markdown]
# The absolute errors are `|1-0|, |2-2|, |3-5|` and `|2-3|, |3-1|, |4-1|`, six numbers that
# add up to 9, so the mean is 1.5. The tutorial goes on: with `reduction='sum'` the result
# is 9.0, and with `reduction='none'` it is the matrix of the six errors.

# %%
loss = nn.L1Loss(reduction='sum')
print(loss(input_data, target_data))

# %%
loss = nn.L1Loss(reduction='none')
print(loss(input_data, target_data))

# %% [markdown]
# ## The reduction toggle
#
# The reduction does not only change the number printed: it changes the **gradient** that
# flows back into the prediction, and so the size of each training step.
#
# * `'mean'` divides by the number of elements: each element's gradient is its slope
#   (±1 for L1) divided by 6 here. Double the batch and each element gets half as much —
#   the total stays the same, so the learning rate means the same thing for any batch size.
# * `'sum'` keeps every element's full slope; the total gradient grows with the batch.
# * `'none'` returns one loss per element. A tensor cannot be minimised directly: `Model`
#   (and `lossviz.grad`) back-propagate the **sum** of its elements, so the gradient is the
#   one of `'sum'`.
#
# Click the buttons, pick another regression loss, or make the batch bigger (the rows of
# the tutorial's two tensors are repeated).

# %%
# NBVAL_IGNORE_OUTPUT
from lossviz.viz import ReductionToggle

reduction = ReductionToggle()
reduction

# %% [markdown]
# The same from code — the text below is what the widget shows:

# %%
reduction.toggle.value = 'sum'
print(reduction.text)

# %%
reduction.toggle.value = 'none'
print(reduction.text)

# %% [markdown]
# The widget's text comes from a plain function, `reduction_text`, which you can also call
# directly. Four times as many rows: with `'mean'` every element's gradient shrinks from
# 1/6 to 1/24 while the sum of all gradients stays the same; with `'sum'` each element
# keeps its ±1.

# %%
from lossviz.viz import reduction_text

print(reduction_text('mean', loss='L1Loss', rows=8))

# %% [markdown]
# And a smooth loss: with `MSELoss` the gradient is `2 (prediction - target)` per element,
# again divided by the number of elements under `'mean'`.

# %%
print(reduction_text('mean', loss='MSELoss', rows=2))

# %% [markdown]
# Next: notebook 03 writes `L1Loss` ourselves, first as a plain `nn.Cell`, then on top of
# `LossBase`, whose `get_loss` is where this reduction happens.

# %% [markdown]
# ## Run it on MindSpore
#
# With MindSpore installed (`pip install -e ".[mindspore]"`), change `lossviz` to `mindspore` in
# two cells:
#
# | cell | here | on MindSpore |
# |---|---|---|
# | the first one | `import lossviz`, `lossviz.set_seed(2)` | `import mindspore`, `mindspore.set_seed(2)` |
# | the tutorial's example | `import lossviz.nn as nn`, `from lossviz import Tensor` | `import mindspore.nn as nn`, `from mindspore import Tensor` |
#
# The rest is unchanged and MindSpore prints the same `1.5`, `9.0` and matrix of errors.
#
# The reduction toggle and `reduction_text` are lossviz's teaching tools: keep
# `from lossviz.viz import ReductionToggle, reduction_text`. Given a MindSpore loss class they
# compute the loss and its gradient with MindSpore (`mindspore.value_and_grad`):
# `ReductionToggle(loss=nn.L1Loss)` or `reduction_text('sum', loss=nn.MSELoss)`, with `nn` being
# `mindspore.nn`; their text then names `mindspore.nn.L1Loss`, and the numbers are the same.
