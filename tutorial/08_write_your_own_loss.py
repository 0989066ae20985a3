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
# # Loss functions (损失函数) — 8. Write your own loss, and let the doctor check it
#
# Notebook 03 wrote `L1Loss` on `LossBase` and checked its gradient by hand. Here you write three
# losses that are easy to get subtly wrong: **Huber**, **binary cross-entropy on logits** (stable
# for any logit) and **focal loss**. Each one is checked against the built-in loss of the same
# name by `lossviz.check_loss`, the *loss doctor*.
#
# How to work through it: each exercise has a **starter cell**, a loss that runs but is not
# finished yet (look for `TODO`), and a **check cell**. As stored, each exercise's check fails: it is the
# starter's report. Edit the starter, run it and its check again, until the check says
# `all checks passed`. Three classic bugs follow, with what the doctor says about each. The
# solutions are at the end, in a collapsed cell.

# %%
import numpy as np
import lossviz

lossviz.set_seed(8)
np.random.seed(8)
np.set_printoptions(precision=6)

# %% [markdown]
# ## The loss doctor
#
# `check_loss(loss, reference=...)` generates inputs of the kind the reference takes (predictions
# and targets for a regression loss, logits and class indices for a classification loss, ...),
# runs your loss on them and reports one row per check:
#
# * **runs, dtype**: it returns a lossviz `Tensor`, the same on two calls; float32 in, float32 out;
# * **reductions**: `'none'` gives one loss per element (or sample), `'mean'` = `'sum'` / n;
# * **gradients**: the gradient of each input against float64 central differences (notebook 03's
#   check, done for you), and a gradient that is zero everywhere (a broken graph);
# * **extremes**: huge logits, zero error, perfect predictions: no `nan` or `inf` where the
#   mathematics is finite;
# * **values vs the reference**, for each reduction, and its gradients; broadcasting as it does.
#
# Each failure comes with one sentence of diagnosis and a hint. Your loss is never modified (the
# doctor runs a copy, and new instances built with each `reduction`). The inputs are generated
# from a fixed seed: the report is the same on every run. A built-in loss passes, of course:

# %%
import lossviz.nn as nn
import lossviz.ops as ops
from lossviz import Tensor
from lossviz.nn import LossBase

# %%
# lossviz-only: check_loss is lossviz's teaching tool
from lossviz import check_loss

check_loss(nn.HuberLoss()).show()

# %% [markdown]
# `.show()` draws the table here and prints it in a terminal. The report is also an object:
# `report.ok` is `True` when every check passed, `report.rows` and `report.failures` list the
# checks (each with `.check`, `.passed`, `.detail`, `.hint`).
#
# What the three losses look like, drawn with the built-ins (`reduction='none'` keeps one loss per
# element):

# %%
import matplotlib.pyplot as plt

z = np.linspace(-3, 3, 121).astype(np.float32)
x = np.linspace(-8, 8, 161).astype(np.float32)
p = np.linspace(0.02, 0.98, 97).astype(np.float32)
zeros = Tensor(np.zeros_like(z))

fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
axes[0].plot(z, nn.HuberLoss(reduction='none')(Tensor(z), zeros).asnumpy(), lw=2.5, label="Huber, delta = 1")
axes[0].plot(z, 0.5 * z ** 2, ":", color="grey", label="0.5 z²")
axes[0].plot(z, np.abs(z) - 0.5, "--", color="grey", label="|z| - 0.5")
axes[0].set(xlabel="error z = logits - labels", ylim=(0, 3), title="Huber: quadratic, then linear")
for y in (1.0, 0.0):
    loss = nn.BCEWithLogitsLoss(reduction='none')(Tensor(x), Tensor(np.full_like(x, y)))
    axes[1].plot(x, loss.asnumpy(), label=f"label y = {y:.0f}")
axes[1].set(xlabel="logit x", title="BCE with logits: linear tails")
two_class_logits = Tensor(np.stack([np.log(p), np.log(1 - p)], axis=1))
first_class = Tensor(np.zeros((p.size, 1), np.int32))
for gamma in (0.0, 1.0, 2.0, 5.0):
    loss = nn.FocalLoss(gamma=gamma, reduction='none')(two_class_logits, first_class)
    axes[2].plot(p, loss.asnumpy(), label=f"gamma = {gamma:g}")
axes[2].set(xlabel="p_t, the probability of the true class", ylim=(0, 3),
            title="focal: easy examples count less")
for ax in axes:
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Exercise 1: Huber loss
#
# With the error `z = |logits - labels|` and a threshold `delta` (1.0 by default):
#
#     loss = 0.5 * z**2                   where z < delta
#            delta * (z - 0.5 * delta)    elsewhere          (the two meet at z = delta)
#
# then `self.get_loss(loss)` applies the reduction (`'mean'`, `'sum'` or `'none'`). As in notebook
# 03, the operators are made in `__init__` and used in `construct` (MindSpore's way: in graph mode
# `construct` is compiled, and finds its operators on `self`). Two are ready: `ops.Abs()` (its
# gradient at 0 is 0, not `nan`) and `ops.Select()`: `self.select(condition, a, b)` is `a` where
# the condition holds, `b` elsewhere. Keep `delta` in `self.delta` and take `reduction` as an
# argument: the doctor reads them back to build your loss with each reduction.
#
# The starter returns `z` itself (an L1 loss). Fill in the `TODO`:

# %%
class MyHuberLoss(LossBase):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta
        self.abs = ops.Abs()
        self.select = ops.Select()

    def construct(self, logits, labels):
        z = self.abs(logits - labels)
        loss = z        # TODO: 0.5 * z**2 where z < self.delta, self.delta * (z - 0.5 * self.delta) elsewhere
        return self.get_loss(loss)

# %%
# lossviz-only: check_loss is lossviz's teaching tool
check_loss(MyHuberLoss(), reference=nn.HuberLoss()).show()

# %% [markdown]
# The starter runs, keeps float32 and reduces correctly, and its gradient is the derivative of its
# value; but its values differ from `HuberLoss` on most elements, and so do its gradients.
#
# ## Exercise 2: binary cross-entropy on logits, stable everywhere
#
# For a logit `x` (any real number) and a target `y` in {0, 1}, with `sigmoid(x) = 1 / (1 + exp(-x))`:
#
#     loss = -(y * ln(sigmoid(x)) + (1 - y) * ln(1 - sigmoid(x)))
#
# Computed as written it breaks for confident logits: in float32, `sigmoid(100)` is exactly 1 and
# `ln(1 - 1)` is `-inf`. Rewrite it with `softplus(z) = ln(1 + exp(z))`:
# `-ln(sigmoid(x)) = softplus(-x)` and `-ln(1 - sigmoid(x)) = softplus(x)`, so
#
#     loss = y * softplus(-x) + (1 - y) * softplus(x)
#
# The starter does that, but its `softplus` method still overflows: `exp(z)` is `inf` in float32
# above z = 88. Rewrite it so that nothing overflows: for z > 0, take z out of the log first
# (`ln(1 + exp(z)) = z + ln(1 + exp(-z))`); `self.relu(z)` is max(z, 0), `self.abs(z)` is |z|.

# %%
class MyBCEWithLogitsLoss(LossBase):
    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.exp = ops.Exp()
        self.log = ops.Log()
        self.relu = ops.ReLU()
        self.abs = ops.Abs()

    def softplus(self, z):
        """ln(1 + exp(z)), for any z."""
        return self.log(1 + self.exp(z))    # TODO: exp(z) overflows float32 above 88: rewrite without overflow

    def construct(self, logits, labels):
        loss = labels * self.softplus(-logits) + (1 - labels) * self.softplus(logits)
        return self.get_loss(loss)

# %%
# lossviz-only: check_loss is lossviz's teaching tool
check_loss(MyBCEWithLogitsLoss(), reference=nn.BCEWithLogitsLoss()).show()

# %% [markdown]
# On ordinary logits everything agrees with `BCEWithLogitsLoss`, values and gradients: only the
# *extremes* rows fail, at logits ±100 and ±1000, where a network that is confident (rightly or
# wrongly) puts them.
#
# ## Exercise 3: focal loss
#
# Focal loss (Lin et al. 2017) is the cross-entropy with easy examples turned down. With
# `p = softmax(logits)` over the classes (axis 1) and `p_t` the probability of the labelled class:
#
#     loss = -(1 - p_t)**gamma * ln(p_t)          one loss per sample, gamma = 2 by default
#
# `gamma = 0` is plain cross-entropy; with `gamma = 2` a sample predicted with `p_t = 0.9` counts
# 100 times less. `nn.FocalLoss` takes the labels as class indices of shape (N, 1). The starter
# computes `ln(p)` with `ops.LogSoftmax` (stable: no `ln(0)` when a logit is far above the others),
# picks the labelled class with a one-hot mask, and returns the cross-entropy `-ln(p_t)`. Add the
# focal factor: `p_t = exp(ln(p_t))`, and `self.pow(a, b)` is `a**b`. Fill in the `TODO`:

# %%
class MyFocalLoss(LossBase):
    def __init__(self, gamma=2.0, reduction="mean"):
        super().__init__(reduction)
        self.gamma = gamma
        self.log_softmax = ops.LogSoftmax(axis=1)
        self.one_hot = ops.OneHot()
        self.on_value, self.off_value = Tensor(1.0, lossviz.float32), Tensor(0.0, lossviz.float32)
        self.reshape = ops.Reshape()
        self.cast = ops.Cast()
        self.reduce_sum = ops.ReduceSum()
        self.exp = ops.Exp()
        self.pow = ops.Pow()

    def construct(self, logits, labels):
        log_p = self.log_softmax(logits)                                         # ln p, (N, C)
        mask = self.one_hot(self.reshape(labels, (-1,)), logits.shape[1], self.on_value, self.off_value)
        log_pt = self.reduce_sum(self.cast(mask, logits.dtype) * log_p, 1)      # ln p_t, (N,)
        loss = -log_pt      # TODO: multiply by the focal factor (1 - p_t)**gamma, with p_t = exp(ln p_t)
        return self.get_loss(loss)

# %%
# lossviz-only: check_loss is lossviz's teaching tool
check_loss(MyFocalLoss(), reference=nn.FocalLoss()).show()

# %% [markdown]
# ## Three classic bugs, and what the doctor says
#
# Each of these losses runs and gives plausible numbers on ordinary inputs. Read the code first:
# can you see the bug before the doctor does?
#
# **1. BCE with logits written as `ln(sigmoid(x))`**: the formula as printed in textbooks.

# %%
class NaiveBCEWithLogits(LossBase):
    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.sigmoid = ops.Sigmoid()
        self.log = ops.Log()

    def construct(self, logits, labels):
        p = self.sigmoid(logits)
        return self.get_loss(-(labels * self.log(p) + (1 - labels) * self.log(1 - p)))

# %%
# lossviz-only: check_loss is lossviz's teaching tool
check_loss(NaiveBCEWithLogits(), reference=nn.BCEWithLogitsLoss()).show()

# %% [markdown]
# Right values and gradients for ordinary logits; `inf` at logit 100 with target 0 (`ln(1 - 1)`),
# and `nan` at logit 100 with target 1 (`0 * ln(0)`). A network that gets one example confidently
# right (or wrong) would then stop training with a `nan` loss. The hint gives the stable form, the
# one of exercise 2.
#
# **2. Huber computed in numpy**: `np.where` is handier than `ops.Select`...

# %%
class NumpyHuberLoss(LossBase):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def construct(self, logits, labels):
        z = np.abs(logits.asnumpy() - labels.asnumpy())
        loss = np.where(z < self.delta, 0.5 * z ** 2, self.delta * (z - 0.5 * self.delta))
        return self.get_loss(Tensor(loss))

# %%
# lossviz-only: check_loss is lossviz's teaching tool
check_loss(NumpyHuberLoss(), reference=nn.HuberLoss()).show()

# %% [markdown]
# Every value is right, which is what makes this bug hard to see: the loss prints the right
# numbers, and a network trained with it never learns. `.asnumpy()` leaves lossviz's graph: the
# numbers that come back are plain numpy arrays, and `Tensor(loss)` starts a new graph with no
# inputs, so the gradient that reaches the network is 0. MindSpore does the same in PyNative mode
# (a zero gradient, silently); in graph mode `.asnumpy()` inside `construct` does not compile.
#
# **3. Focal loss averaged over the classes**: `ReduceMean` where the one-hot mask needs
# `ReduceSum`.

# %%
class FocalLossMeanOverClasses(LossBase):
    def __init__(self, gamma=2.0, reduction="mean"):
        super().__init__(reduction)
        self.gamma = gamma
        self.log_softmax = ops.LogSoftmax(axis=1)
        self.one_hot = ops.OneHot()
        self.on_value, self.off_value = Tensor(1.0, lossviz.float32), Tensor(0.0, lossviz.float32)
        self.reshape = ops.Reshape()
        self.cast = ops.Cast()
        self.reduce_mean = ops.ReduceMean()
        self.exp = ops.Exp()
        self.pow = ops.Pow()

    def construct(self, logits, labels):
        log_p = self.log_softmax(logits)
        focal = -self.pow(1 - self.exp(log_p), self.gamma) * log_p               # every class's term, (N, C)
        mask = self.one_hot(self.reshape(labels, (-1,)), logits.shape[1], self.on_value, self.off_value)
        return self.get_loss(self.reduce_mean(self.cast(mask, logits.dtype) * focal, 1))

# %%
# lossviz-only: check_loss is lossviz's teaching tool
check_loss(FocalLossMeanOverClasses(), reference=nn.FocalLoss()).show()

# %% [markdown]
# Everything is a third of the reference's, and the doctor says why: 3 is the size of the class
# axis, so the loss averages over it (two of the three terms are the mask's zeros) where the
# reference sums. Training would still work, with a learning rate effectively three times smaller:
# the kind of bug that costs a day of tuning.
#
# ## Solutions
#
# The next cell is collapsed: JupyterLab shows only its first line, `class MyHuberLoss(LossBase): ···`;
# click the `···` (or the bar left of the cell) to open it. Running it replaces your three classes by
# working ones; the cell after it checks them.

# %% jupyter={"source_hidden": true}
class MyHuberLoss(LossBase):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta
        self.abs = ops.Abs()
        self.select = ops.Select()

    def construct(self, logits, labels):
        z = self.abs(logits - labels)
        loss = self.select(z < self.delta, 0.5 * z * z, self.delta * (z - 0.5 * self.delta))
        return self.get_loss(loss)


class MyBCEWithLogitsLoss(LossBase):
    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.exp = ops.Exp()
        self.log = ops.Log()
        self.relu = ops.ReLU()
        self.abs = ops.Abs()

    def softplus(self, z):
        """ln(1 + exp(z)) = max(z, 0) + ln(1 + exp(-|z|)): exp of a number <= 0 never overflows."""
        return self.relu(z) + self.log(1 + self.exp(-self.abs(z)))

    def construct(self, logits, labels):
        loss = labels * self.softplus(-logits) + (1 - labels) * self.softplus(logits)
        return self.get_loss(loss)


class MyFocalLoss(LossBase):
    def __init__(self, gamma=2.0, reduction="mean"):
        super().__init__(reduction)
        self.gamma = gamma
        self.log_softmax = ops.LogSoftmax(axis=1)
        self.one_hot = ops.OneHot()
        self.on_value, self.off_value = Tensor(1.0, lossviz.float32), Tensor(0.0, lossviz.float32)
        self.reshape = ops.Reshape()
        self.cast = ops.Cast()
        self.reduce_sum = ops.ReduceSum()
        self.exp = ops.Exp()
        self.pow = ops.Pow()

    def construct(self, logits, labels):
        log_p = self.log_softmax(logits)
        mask = self.one_hot(self.reshape(labels, (-1,)), logits.shape[1], self.on_value, self.off_value)
        log_pt = self.reduce_sum(self.cast(mask, logits.dtype) * log_p, 1)
        loss = -self.pow(1 - self.exp(log_pt), self.gamma) * log_pt
        return self.get_loss(loss)

# %%
# lossviz-only: check_loss is lossviz's teaching tool
pairs = [(MyHuberLoss(), nn.HuberLoss()),
         (MyBCEWithLogitsLoss(), nn.BCEWithLogitsLoss()),
         (MyFocalLoss(), nn.FocalLoss())]
for mine, builtin in pairs:
    report = check_loss(mine, reference=builtin)
    print(f"{type(mine).__name__:<20} ok = {report.ok}  ({report.counts()})")

# %% [markdown]
# All three pass every check. They are ordinary losses: on a small batch they give the built-ins'
# numbers, and they go wherever a built-in loss goes (`Model(net, loss_fn=MyFocalLoss(), ...)`,
# `nn.WithLossCell(net, MyHuberLoss())`).

# %%
logits = Tensor(np.array([[2.0, -1.0, 0.5], [0.3, 0.8, -2.0]], np.float32))
targets = Tensor(np.array([[1.5, 0.5, 0.0], [0.0, 0.0, 1.0]], np.float32))
binary = Tensor(np.array([[1, 0, 1], [0, 0, 1]], np.float32))
classes = Tensor(np.array([[0], [2]], np.int32))

print("Huber:", MyHuberLoss()(logits, targets), nn.HuberLoss()(logits, targets))
print("BCE with logits:", MyBCEWithLogitsLoss()(logits, binary), nn.BCEWithLogitsLoss()(logits, binary))
print("focal:", MyFocalLoss()(logits, classes), nn.FocalLoss()(logits, classes))
print("'none':", MyFocalLoss(reduction='none')(logits, classes), nn.FocalLoss(reduction='none')(logits, classes))

# %% [markdown]
# ## Run it on MindSpore
#
# With MindSpore installed (`pip install -e ".[mindspore]"`: MindSpore 2.x for CPU, next to
# lossviz), change the word `lossviz` to `mindspore` in the code:
#
# | cell | here | on MindSpore |
# |---|---|---|
# | the first one | `import lossviz`, `lossviz.set_seed(8)` | `import mindspore`, `mindspore.set_seed(8)` |
# | the imports | `import lossviz.nn as nn`, `import lossviz.ops as ops`, `from lossviz import Tensor`, `from lossviz.nn import LossBase` | the same with `mindspore` |
# | the focal losses' one-hot values | `Tensor(1.0, lossviz.float32)` | `Tensor(1.0, mindspore.float32)` |
# | the check cells | `from lossviz import check_loss`, `check_loss(...)` | stay lossviz's (not run on MindSpore) |
#
# What carries over: your `LossBase` classes, with only that word changed. `__init__`, `construct`,
# `self.get_loss(x)` and the operators they make (`ops.Abs`, `Select`, `ReLU`, `Exp`, `Log`,
# `LogSoftmax`, `OneHot`, `Reshape`, `Cast`, `ReduceSum`, `Pow`) are MindSpore's API; the cell
# above prints the same numbers on MindSpore, where the solutions also compile in graph mode
# (`construct` finds every operator on `self`). The plot of the built-ins runs there too.
# `tests/test_mindspore_parity.py` runs this notebook on both and compares every printed number.
#
# What stays lossviz's: `check_loss` is lossviz's teaching tool, and it checks a loss written with
# lossviz (it differentiates through lossviz's graph); every check cell starts with
# `# lossviz-only: check_loss is lossviz's teaching tool`, and those cells are not run on MindSpore.
# So: write the loss and check it here, then swap the imports. Bug 2 is worth checking for before
# you do: on MindSpore it is a silent zero gradient in PyNative mode.
