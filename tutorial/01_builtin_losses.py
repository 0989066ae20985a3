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
# # Loss functions (损失函数) — 1. The built-in losses
#
# This is the first of five notebooks that follow MindSpore's tutorial *Loss functions*
# section by section, with `lossviz` in place of `mindspore`. Every cell runs on a small
# autodiff engine written on numpy, so you can read the source of anything you call
# (`nn.L1Loss??` in JupyterLab).
#
# | notebook | tutorial section |
# |---|---|
# | **01 — the built-in losses** (this one) | Overview (概述), Built-in loss functions (内置损失函数) |
# | 02 — using a built-in loss | 内置损失函数应用实例 |
# | 03 — defining your own loss | 定义损失函数 |
# | 04 — training with a loss | 损失函数与模型训练 |
# | 05 — multi-label losses | 多标签损失函数与模型训练 |
#
# The first cell seeds every random draw, so each run prints the same numbers.

# %%
import numpy as np
import lossviz

lossviz.set_seed(1)
np.set_printoptions(precision=6)

# %% [markdown]
# ## Overview (概述)
#
# A **loss function** (also called an objective) turns "how wrong is the model?" into one
# number. It compares what the network predicted with what it should have predicted. Training
# is the loop that nudges the network's parameters, step after step, in the direction that
# makes this number smaller — the direction given by the loss's **gradient**. So the loss
# decides what "better" means: which mistakes cost a lot, which cost little, and how hard
# each mistake pulls on the parameters.
#
# `lossviz.nn` ships the seven losses the tutorial lists. Each one is an `nn.Cell`, the same
# building block as a network, which is why you can also write your own (notebook 03).

# %% [markdown]
# ## Built-in loss functions (内置损失函数)
#
# Every loss below takes a prediction and a target and ends with a **reduction**:
# `'mean'` averages the per-element losses, `'sum'` adds them up, `'none'` returns them
# unreduced. The defaults differ between losses, as in the tutorial.

# %%
import lossviz.nn as nn
from lossviz import Tensor

prediction = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
target = Tensor(np.array([1.5, 2.0, 1.0], np.float32))

# %% [markdown]
# ### `nn.L1Loss` — absolute error
#
# `loss = mean(|prediction - target|)`. Every unit of error costs the same, so a few wild
# targets (outliers) cannot dominate the fit; the gradient is only the *sign* of the error.
# Use it for regression when the data has outliers or when you care about the median.
# Default `reduction='mean'`.

# %%
print(nn.L1Loss()(prediction, target))  # (0.5 + 0 + 2) / 3

# %% [markdown]
# ### `nn.MSELoss` — squared error
#
# `loss = mean((prediction - target)²)`. Big errors cost much more than small ones and the
# gradient grows with the error, so training fixes the worst points first. The standard
# regression loss when the noise is roughly Gaussian; sensitive to outliers. Default `'mean'`.

# %%
print(nn.MSELoss()(prediction, target))  # (0.25 + 0 + 4) / 3

# %% [markdown]
# ### `nn.SmoothL1Loss` — squared near zero, absolute far away
#
# With `d = prediction - target`: `0.5 d² / beta` when `|d| < beta`, else `|d| - 0.5 beta`.
# It behaves like MSE for small errors (a smooth minimum) and like L1 for big ones (robust to
# outliers). The threshold `beta` defaults to 1; the default reduction is `'none'`.

# %%
print(nn.SmoothL1Loss()(prediction, target))
print(nn.SmoothL1Loss(beta=3.0)(prediction, target))

# %% [markdown]
# ### `nn.SoftmaxCrossEntropyWithLogits` — classification
#
# The network outputs one raw score (logit) per class; softmax turns them into
# probabilities, and the loss is `-log(probability of the true class)`. Use it for
# single-label classification. With class indices as labels (not one-hot rows), pass
# `sparse=True`. Default `reduction='none'`: one loss per sample.

# %%
logits = Tensor(np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], np.float32))
labels = Tensor(np.array([0, 2], np.int32))
print(nn.SoftmaxCrossEntropyWithLogits(sparse=True)(logits, labels))

# %% [markdown]
# The second sample's true class (2) has a low score, so its loss is much larger.

# %% [markdown]
# ### `nn.CosineEmbeddingLoss` — are two vectors alike?
#
# For pairs of vectors `x1`, `x2` and a label `1` (should be similar) or `-1` (should not):
# `1 - cos(x1, x2)` for label 1 and `max(0, cos(x1, x2) - margin)` for label -1. Used to
# learn embeddings (similar items close, different items apart). `margin` defaults to 0.0,
# the reduction to `'mean'`.

# %%
x1 = Tensor(np.array([[0.3, 0.8], [0.4, 0.3]], np.float32))
x2 = Tensor(np.array([[0.4, 1.2], [-0.4, -0.9]], np.float32))
pair_labels = Tensor(np.array([1, -1], np.int32))
print(nn.CosineEmbeddingLoss(reduction='none')(x1, x2, pair_labels))

# %% [markdown]
# ### `nn.BCELoss` — binary cross-entropy
#
# For predicted probabilities `p` (already through a sigmoid) and targets `y` in {0, 1}:
# `-w (y log p + (1 - y) log(1 - p))`. Use it for yes/no questions, and for multi-label
# classification (one independent yes/no per label). `weight` rescales each element's
# loss; the default reduction is `'none'`.

# %%
# differs-on-mindspore: MindSpore 2.x's BCELoss defaults to reduction='mean' (one number); the tutorial's is 'none'
probabilities = Tensor(np.array([0.1, 0.2, 0.9], np.float32))
targets = Tensor(np.array([0.0, 1.0, 1.0], np.float32))
weight = Tensor(np.array([1.0, 2.0, 1.0], np.float32))
print(nn.BCELoss()(probabilities, targets))
print(nn.BCELoss(weight=weight)(probabilities, targets))

# %% [markdown]
# ### `nn.SampledSoftmaxLoss` — cross-entropy over a sample of the classes
#
# With many thousands of classes, computing a softmax over all of them at every step is
# expensive. This loss scores the true class against only `num_sampled` randomly drawn
# classes. It takes the class embeddings (`weights`, `biases`), the labels and the hidden
# activations (`inputs` below); `seed` fixes the sampler. Default `reduction='none'`.

# %%
# differs-on-mindspore: MindSpore draws the sampled classes with its own random generator, so they differ
class_weights = Tensor(np.random.randn(10, 4).astype(np.float32))
class_biases = Tensor(np.zeros(10, np.float32))
class_labels = Tensor(np.array([0, 1, 2], np.int32))
hidden = Tensor(np.random.randn(3, 4).astype(np.float32))
sampled = nn.SampledSoftmaxLoss(num_sampled=4, num_classes=10, seed=1)
print(sampled(class_weights, class_biases, class_labels, hidden))

# %% [markdown]
# ## Loss explorer
#
# Pick a loss and move its parameters: the left panel is the loss, the right one its
# gradient — the force with which one point pulls on the model. The x axis is the error
# (regression losses), the true class's logit (cross-entropies, and BCE through a sigmoid)
# or the cosine (CosineEmbeddingLoss). Things to try: SmoothL1's `beta` moves the corner
# between the parabola and the straight lines; BCE's `weight` scales loss and gradient
# alike; the cosine `margin` decides from which similarity on a label -1 pair is punished.
#
# The menu has all 29 built-in losses of `lossviz.nn`, not only the seven above, each with
# a slider for every parameter that shapes its curve: Huber's `delta`, Focal's `gamma`,
# CrossEntropy's `label_smoothing`, BCEWithLogits' `pos_weight`, the margins of the ranking
# and embedding losses, the Gaussian NLL's `eps`... Notebook 06 goes through them one by one.
#
# Every curve is computed by lossviz itself: the loss with `reduction='none'`, the gradient
# by back-propagation.

# %%
# NBVAL_IGNORE_OUTPUT
from lossviz.viz import LossExplorer

explorer = LossExplorer()
explorer

# %% [markdown]
# The widget's controls can also be set from code. The table under the plot is its text:

# %%
explorer.loss.value = 'SmoothL1Loss'
explorer.beta.value = 2.0
print(explorer.text)

# %%
explorer.loss.value = 'CosineEmbeddingLoss'
explorer.margin.value = 0.5
print(explorer.text)

# %%
explorer.loss.value = 'BCELoss'
explorer.weight.value = 2.0
print(explorer.text)

# %% [markdown]
# One of the other 22: `HuberLoss` is SmoothL1's twin without the division by `delta`, so
# its straight lines have slope `delta` (the gradient is clipped at `±delta`):

# %%
explorer.loss.value = 'HuberLoss'
explorer.delta.value = 0.5
print(explorer.text)

# %% [markdown]
# Notice how the gradients differ: L1's is a constant ±1, MSE's grows with the error,
# SmoothL1's is MSE's inside `±beta` and L1's outside; the cross-entropies' gradient is
# `p - 1` for the true class, near 0 once the model is confidently right.
#
# Next: notebook 02 uses `nn.L1Loss` as the tutorial does and looks at the reductions.

# %% [markdown]
# ## Run it on MindSpore
#
# Every name above is MindSpore's. To run this notebook on real MindSpore
# (`pip install -e ".[mindspore]"`: MindSpore 2.x for CPU, installed next to lossviz), change the
# word `lossviz` to `mindspore` in two cells:
#
# | cell | here | on MindSpore |
# |---|---|---|
# | the first one | `import lossviz`, `lossviz.set_seed(1)` | `import mindspore`, `mindspore.set_seed(1)` |
# | "Built-in loss functions" | `import lossviz.nn as nn`, `from lossviz import Tensor` | `import mindspore.nn as nn`, `from mindspore import Tensor` |
#
# Everything else stays as it is, and `L1Loss`, `MSELoss`, `SmoothL1Loss`,
# `SoftmaxCrossEntropyWithLogits` and `CosineEmbeddingLoss` print the same numbers on MindSpore
# (`tests/test_mindspore_parity.py` runs this notebook on both and compares them).
#
# Two cells print other numbers on MindSpore; their first line says why
# (`# differs-on-mindspore: ...`):
#
# * **`nn.BCELoss`**: in MindSpore 2.x its default reduction is `'mean'`, so it prints one number
#   per call (`0.6067197`, then `1.143199`), where the tutorial's default `'none'` prints one per
#   element. Write `nn.BCELoss(reduction='none')` and both print the same.
# * **`nn.SampledSoftmaxLoss`**: MindSpore samples the classes with its own random generator, so
#   other classes are drawn and the losses differ (MindSpore 2.10 also warns that this loss is
#   deprecated).
#
# The loss explorer is lossviz's teaching tool, and it comes along: keep
# `from lossviz.viz import LossExplorer`. Give it a MindSpore loss class and it computes the curves
# with MindSpore: `LossExplorer(loss=nn.SmoothL1Loss)` with `nn` being `mindspore.nn`.
