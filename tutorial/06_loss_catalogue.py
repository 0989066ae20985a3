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
# # Loss functions (损失函数) — 6. The catalogue: all 29 built-in losses
#
# The tutorial names seven losses; `mindspore.nn` has twenty-nine, and so has `lossviz.nn`.
# This notebook goes through all of them, grouped by the job they do. For each: what it
# measures (the formula), when to reach for it, and a tiny example that prints a number. A
# few pictures show a group's losses side by side: the loss, and its gradient — how hard one
# point pulls on the model — against the one number that matters (the error, the logit of the
# right class, a margin, a distance).
#
# | job | losses |
# |---|---|
# | regression and robust regression | `L1Loss`, `MAELoss`, `L1LossExt`, `MSELoss`, `RMSELoss`, `SmoothL1Loss`, `HuberLoss` |
# | probabilistic regression | `GaussianNLLLoss`, `PoissonNLLLoss` |
# | classification | `SoftmaxCrossEntropyWithLogits`, `CrossEntropyLoss`, `NLLLoss`, `FocalLoss`, `SampledSoftmaxLoss`, `BCELoss`, `BCEWithLogitsLoss`, `SoftMarginLoss` |
# | multi-label | `MultiLabelSoftMarginLoss`, `MultilabelMarginLoss`, `MultiMarginLoss` |
# | ranking and metric learning | `MarginRankingLoss`, `HingeEmbeddingLoss`, `CosineEmbeddingLoss`, `TripletMarginLoss`, `TripletMarginWithDistanceLoss` |
# | segmentation | `DiceLoss`, `MultiClassDiceLoss` |
# | sequences | `CTCLoss` |
# | distributions | `KLDivLoss` |
#
# Every loss is an `nn.Cell` called as `loss(prediction, target)` (some take more inputs), and
# most end with a `reduction`: `'mean'`, `'sum'` or `'none'` (notebook 02). In the formulas,
# `x` is the prediction, `y` the target and `d = x - y` the error.

# %%
import numpy as np
import lossviz

lossviz.set_seed(6)
np.set_printoptions(precision=6)

import lossviz.nn as nn
import lossviz.ops as ops
from lossviz import Tensor

print(len(nn.loss.__all__) - 1, "built-in losses")  # __all__ also lists LossBase, their base class

# %% [markdown]
# The pictures are drawn by one small helper. It asks the loss explorer of notebook 01
# (`lossviz.viz.loss_curves`) for each curve: lossviz evaluates the loss on 201 points with
# `reduction='none'` and gets the gradient of each point by back-propagation. One row of the
# figure is a pair of panels, loss on the left and gradient on the right.

# %%
import matplotlib.pyplot as plt
from lossviz.viz import loss_curves


def draw(title, *rows, xlabels=()):
    """One row (loss | gradient) per list of curves, each (loss name, parameters, series, legend)."""
    fig, axes = plt.subplots(len(rows), 2, figsize=(8.5, 2.5 * len(rows)), dpi=80, squeeze=False)
    for i, ((ax_loss, ax_grad), curves) in enumerate(zip(axes, rows)):
        views = [(loss_curves(name, **params), series, legend) for name, params, series, legend in curves]
        low, high = max(c["x"][0] for c, _, _ in views), min(c["x"][-1] for c, _, _ in views)
        for c, series, legend in views:  # on the x range the row's curves share
            _, values, slopes = c["series"][series]
            inside = (c["x"] >= low) & (c["x"] <= high)
            ax_loss.plot(c["x"][inside], values[inside], lw=1.8, label=legend)
            ax_grad.plot(c["x"][inside], slopes[inside], lw=1.8, label=legend)
        for ax, what in ((ax_loss, "loss"), (ax_grad, "gradient")):
            ax.set_xlabel(xlabels[i] if xlabels else views[0][0]["xlabel"], fontsize=8)
            ax.set_title(what, fontsize=9)
            ax.grid(alpha=0.3)
            ax.axhline(0, color="k", lw=0.5)
            ax.tick_params(labelsize=7)
        ax_loss.legend(fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.show()


# %% [markdown]
# ## 1. Regression and robust regression
#
# The network predicts a number; the loss grows with the error `d = x - y`.
#
# | loss | per element | notes |
# |---|---|---|
# | `L1Loss`, `MAELoss`, `L1LossExt` | `abs(d)` | three names, the same numbers (`MAELoss` is the older name, `L1LossExt` is `mindspore.mint.nn.L1Loss`) |
# | `MSELoss` | `d**2` | |
# | `RMSELoss` | `sqrt(mean(d**2))` | no `reduction`: always one number, in the units of the data |
# | `SmoothL1Loss(beta)` | `0.5 d**2 / beta` if `abs(d) < beta`, else `abs(d) - 0.5 beta` | default `reduction='none'` |
# | `HuberLoss(delta)` | `0.5 d**2` if `abs(d) < delta`, else `delta (abs(d) - 0.5 delta)` | `= delta * SmoothL1Loss(beta=delta)` |
#
# **When.** `MSELoss` when the noise is Gaussian and large errors really are worse: it fits the
# mean and punishes big errors quadratically, so a few outliers can drag the fit. `L1Loss` when the
# data has outliers: it fits the median, every unit of error costs the same. `SmoothL1Loss` and
# `HuberLoss` have both: quadratic (smooth, a gradient that shrinks near the answer) for small
# errors, linear (a bounded pull) for large ones. `RMSELoss` when you want to *read* the loss:
# "off by 2.1 on average", in the units of the target.
#
# Four predictions, the last one far off (an outlier):

# %%
prediction = Tensor(np.array([1.0, 2.0, 3.0, 7.0], np.float32))
label = Tensor(np.array([1.5, 2.0, 2.0, 3.0], np.float32))      # errors -0.5, 0, 1 and 4

for loss in [nn.L1Loss(), nn.MAELoss(), nn.MSELoss(), nn.RMSELoss(),
             nn.SmoothL1Loss(reduction='mean'), nn.HuberLoss(delta=2.0)]:
    print(f"{type(loss).__name__:<13}", loss(prediction, label))

# %% [markdown]
# The outlier's error of 4 is 16 in `MSELoss`: it alone makes 16 / 17.25 of the sum. `L1Loss`
# counts it as 4, `SmoothL1Loss` as 3.5. `L1LossExt` gives L1's numbers (MindSpore 2.10 has no CPU
# kernel for it, hence the marker on the cell):

# %%
# lossviz-only: MindSpore 2.10 has no CPU kernel for L1LossExt (catalogue decision D1)
print(nn.L1LossExt()(prediction, label), nn.L1LossExt(reduction='none')(prediction, label))

# %% [markdown]
# `SmoothL1Loss(beta=2)` and `HuberLoss(delta=2)` have their corner at the same place; Huber's
# straight lines have slope `delta`, SmoothL1's slope 1. The gradient panel shows what the
# model feels: MSE's pull grows without bound, L1's is a constant ±1 (even for a tiny error), the
# other two are MSE's near 0 and capped far away.

# %%
draw("Regression: loss and gradient against the error",
     [("L1Loss", {}, 0, "L1Loss"), ("MSELoss", {}, 0, "MSELoss"),
      ("SmoothL1Loss", dict(beta=2.0), 0, "SmoothL1Loss(beta=2)"),
      ("HuberLoss", dict(delta=2.0), 0, "HuberLoss(delta=2)")])

# %% [markdown]
# ## 2. Probabilistic regression
#
# Here the network predicts a *distribution* for the target, and the loss is its negative
# log-likelihood: how surprised the prediction is by the data.
#
# * **`GaussianNLLLoss`**: the network predicts a mean `x` and a variance `var` for each target:
#   `0.5 (ln v + (x - y)**2 / v)` with `v = max(var, eps)` (`eps=1e-6`; `full=True` adds the
#   constant `0.5 ln(2 pi)`). A wrong mean costs less where the predicted variance is large, and
#   `ln v` stops the variance from growing for free: the network learns *how sure* it is. Use it
#   for regression with an uncertainty (noisy sensors, forecasts with error bars).
# * **`PoissonNLLLoss`**: the target is a count, the prediction a rate `r`. With the default
#   `log_input=True` the network outputs `x = ln r` and the loss is `exp(x) - y x`; with
#   `log_input=False` it outputs `r` itself: `r - y ln(r + eps)`. Use it for counts (clicks per
#   hour, photons per pixel): small counts are not symmetric around their mean.

# %%
mean = Tensor(np.array([[0.0, 1.0], [2.0, 3.0]], np.float32))
target = Tensor(np.array([[1.0, 1.0], [4.0, 3.0]], np.float32))
var = Tensor(np.array([[1.0, 1.0], [4.0, 0.5]], np.float32))
print(nn.GaussianNLLLoss(reduction='none')(mean, target, var))

log_rate = Tensor(np.array([0.0, 1.0, 2.0], np.float32))
counts = Tensor(np.array([1.0, 3.0, 3.0], np.float32))
print(nn.PoissonNLLLoss(reduction='none')(log_rate, counts))

# %% [markdown]
# Row by row: an error of 1 with variance 1 costs 0.5; an error of 2 with variance 4 costs
# `0.5 (ln 4 + 1) = 1.19`; no error with variance 0.5 costs `0.5 ln 0.5 < 0`, a reward for being
# sure and right. The pictures: against the predicted variance, the Gaussian loss is smallest at
# `var = d**2` (the variance that matches the error); against `ln r`, the Poisson loss is smallest
# at `r = y`.

# %%
draw("Probabilistic regression",
     [("GaussianNLLLoss", dict(error=e), 0, f"error {e:g}") for e in (0.5, 1.0, 1.5)],
     [("PoissonNLLLoss", dict(target=t), 0, f"count {t:g}") for t in (0.0, 2.0, 5.0)])

# %% [markdown]
# ## 3. Classification
#
# The network gives one score (logit) `z_c` per class; `p = softmax(z)` turns them into
# probabilities and the loss is `-ln p` of the right class — small when the model is confidently
# right, large when it is confidently wrong.
#
# | loss | input | per sample |
# |---|---|---|
# | `SoftmaxCrossEntropyWithLogits` | logits (N, C); one-hot labels, or indices with `sparse=True` | `-sum_c y_c ln p_c` (default `reduction='none'`) |
# | `CrossEntropyLoss` | logits (N, C, ...); class indices or class probabilities | `-w_t ln p_t`, with `weight`, `ignore_index`, `label_smoothing` |
# | `NLLLoss` | log-probabilities you computed (N, C) | `-w_t x_t` |
# | `FocalLoss(gamma)` | logits (N, C, ...), labels (N, 1, ...) | `-(1 - p_t)**gamma ln p_t` |
# | `SampledSoftmaxLoss` | class embeddings, biases, labels, hidden activations | the cross-entropy over the true class and a few sampled ones |
#
# **`CrossEntropyLoss`** is the everyday choice for single-label classification. Give it raw
# scores, never probabilities: it computes `log_softmax` itself, stably.

# %%
logits = Tensor(np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]], np.float32))
labels = Tensor(np.array([0, 1], np.int32))

print(nn.CrossEntropyLoss()(logits, labels))
print(nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')(logits, labels))
print(nn.NLLLoss()(ops.log_softmax(logits, 1), labels))   # cross-entropy = NLL of log_softmax

# %% [markdown]
# Three ways to one number. `NLLLoss` is for when you already have log-probabilities (from your
# own `nn.LogSoftmax`, or a model that outputs them).
#
# `CrossEntropyLoss`'s options:
#
# * `weight` (C,): a weight per class, against imbalance; `'mean'` is then the *weighted* mean
#   (divided by the sum of the weights of the samples' classes).
# * `label_smoothing=s`: the target becomes `1 - s` on the right class plus `s / C` on every
#   class. The model is no longer paid for pushing the right logit to infinity, which often
#   generalises better and calibrates the probabilities.
# * labels may be class probabilities (N, C) instead of indices (soft labels, distillation).

# %%
weighted = nn.CrossEntropyLoss(weight=Tensor(np.array([1.0, 3.0, 1.0], np.float32)))
print(weighted(logits, labels))          # sample 2 (class 1) counts three times
print(nn.CrossEntropyLoss(reduction='none', label_smoothing=0.1)(logits, labels))
soft = Tensor(np.array([[0.8, 0.2, 0.0], [0.0, 1.0, 0.0]], np.float32))
print(nn.CrossEntropyLoss(reduction='none')(logits, soft))

# %% [markdown]
# **`FocalLoss`** multiplies the cross-entropy by `(1 - p_t)**gamma`: an example the model
# already gets right (`p_t` near 1) almost stops counting, so training concentrates on the hard,
# rare ones (dense object detection, strong class imbalance). With `gamma=0` it is the
# cross-entropy. Two samples, an easy one and a hard one:

# %%
scores = Tensor(np.array([[3.0, 0.0], [0.0, 1.0]], np.float32))
right = Tensor(np.array([[0], [0]], np.int32))     # class 0 is right for both
for gamma in (0.0, 2.0):
    easy, hard = nn.FocalLoss(gamma=gamma, reduction='none')(scores, right).asnumpy()
    print(f"gamma={gamma}: easy sample {easy:.4g}, hard sample {hard:.4f}")

# %% [markdown]
# With `gamma=2` the easy sample (p = 0.95) costs about 440 times less than its cross-entropy, the
# hard one (p = 0.27) only 1.9 times less.
#
# **`SampledSoftmaxLoss`** is for a huge number of classes (a vocabulary of 100,000 words):
# each step scores the true class and `num_sampled` random other classes instead of all of
# them. Its inputs are the class embeddings `weights` (C, D) and `biases` (C,), the labels,
# and the hidden activations (N, D) — not class scores. Here the sampled classes are fixed
# (`sampled_values`), so the numbers do not depend on the random draw:

# %%
weights = Tensor(np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], np.float32))   # 4 classes, D = 2
biases = Tensor(np.zeros(4, np.float32))
hidden = Tensor(np.array([[2, 0], [0, 1]], np.float32))
samples = (Tensor(np.array([2, 3], np.int32)), Tensor(np.ones((2, 1), np.float32)), Tensor(np.ones(2, np.float32)))
sampled = nn.SampledSoftmaxLoss(num_sampled=2, num_classes=4, sampled_values=samples)
print(sampled(weights, biases, Tensor(np.array([0, 1], np.int32)), hidden))

# %% [markdown]
# **Two classes** (yes / no), with one output per sample:
#
# * `BCELoss`: the prediction is a probability `p` in [0, 1]:
#   `-w (y ln p + (1 - y) ln(1 - p))`.
# * `BCEWithLogitsLoss`: the prediction is a logit `z`, `p = sigmoid(z)`, computed as one
#   stable formula — use this one: `sigmoid` then `BCELoss` saturates for large `abs(z)`.
#   `pos_weight` multiplies the positive term: above 1 it favours recall (a missed positive
#   costs more), below 1 precision.
# * `SoftMarginLoss`: labels -1 / +1, `ln(1 + exp(-y z))` — the same logistic loss written
#   for ±1 labels.

# %%
z = Tensor(np.array([-2.0, 0.5, 3.0], np.float32))
y = Tensor(np.array([0.0, 1.0, 1.0], np.float32))
print(nn.BCELoss(reduction='mean')(ops.sigmoid(z), y))
print(nn.BCEWithLogitsLoss()(z, y))
print(nn.BCEWithLogitsLoss(pos_weight=Tensor(np.array([3.0], np.float32)))(z, y))

# %%
# lossviz-only: MindSpore 2.10 has no CPU kernel for SoftMarginLoss (catalogue decision D1)
print(nn.SoftMarginLoss()(z, 2 * y - 1))     # the same number as BCEWithLogitsLoss, labels -1 / +1

# %% [markdown]
# The pictures, against the logit of the right class (top: three classes, the two others at 0;
# bottom: one binary output). With `label_smoothing=0.2` the loss has a minimum at a finite
# logit (its gradient crosses 0): past it, more confidence *costs*. Focal's curve is flat once the
# model is right. `pos_weight=3` makes a missed positive three times as costly, and pulls three
# times as hard.

# %%
draw("Classification: loss and gradient against the logit",
     [("CrossEntropyLoss", {}, 0, "CrossEntropyLoss"),
      ("CrossEntropyLoss", dict(label_smoothing=0.2), 0, "label_smoothing=0.2"),
      ("FocalLoss", dict(gamma=2.0), 0, "FocalLoss(gamma=2)")],
     [("BCEWithLogitsLoss", {}, 0, "label 1"), ("BCEWithLogitsLoss", {}, 1, "label 0"),
      ("BCEWithLogitsLoss", dict(pos_weight=3.0), 0, "label 1, pos_weight=3")])

# %% [markdown]
# ## 4. Multi-label
#
# A sample may belong to several classes at once (a photo with a cat *and* a dog). Each class
# becomes its own yes/no question.
#
# * **`MultiLabelSoftMarginLoss`**: a logistic loss per class, averaged over the C classes:
#   `sum_c (y_c ln(1 + e**-x_c) + (1 - y_c) ln(1 + e**x_c)) / C`. Targets 0/1 per class; raw
#   scores in. The usual choice.
# * **`MultilabelMarginLoss`**: a hinge: every right class must beat every wrong one by 1,
#   `sum_{j right, i wrong} max(0, 1 - (x_j - x_i)) / C`. The target lists the right classes,
#   ended by -1.
# * **`MultiMarginLoss(p, margin)`**: the hinge for *one* right class `t` per sample (a
#   multi-class SVM): `sum_{i != t} max(0, margin - x_t + x_i)**p / C`.

# %%
x = Tensor(np.array([[0.3, 0.6, 0.6], [0.9, 0.4, 0.2]], np.float32))
tags = Tensor(np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]], np.float32))
print(nn.MultiLabelSoftMarginLoss()(x, tags))

scores = Tensor(np.array([[0.1, 0.2, 0.4, 0.8], [0.2, 0.3, 0.5, 0.7]], np.float32))
right_class = Tensor(np.array([3, 1], np.int64))
print(nn.MultiMarginLoss()(scores, right_class), nn.MultiMarginLoss(p=2)(scores, right_class))

# %%
# lossviz-only: MindSpore 2.10 has no CPU kernel for MultilabelMarginLoss (catalogue decision D1)
right_classes = Tensor(np.array([[3, 0, -1, 1], [1, 2, 3, -1]], np.int32))   # classes {3, 0} and {1, 2, 3}
print(nn.MultilabelMarginLoss(reduction='none')(scores, right_classes))

# %% [markdown]
# ## 5. Ranking and metric learning
#
# These losses do not score one prediction against a label; they compare two or three
# predictions. They train scores that *order* things and embeddings where *distance* means
# dissimilarity (face recognition, search, recommendations).
#
# | loss | inputs | loss |
# |---|---|---|
# | `MarginRankingLoss(margin)` | two scores `x1`, `x2`, target ±1 | `max(0, -t (x1 - x2) + margin)`: `x1` should beat `x2` when `t = 1` |
# | `HingeEmbeddingLoss(margin)` | a distance `x`, label ±1 | `x` for a similar pair, `max(0, margin - x)` for a dissimilar one |
# | `CosineEmbeddingLoss(margin)` | two vectors, label ±1 | `1 - cos` for a similar pair, `max(0, cos - margin)` for a dissimilar one |
# | `TripletMarginLoss(p, margin)` | anchor, positive, negative | `max(0, d(a, p) - d(a, n) + margin)`, `d` the p-norm |
# | `TripletMarginWithDistanceLoss` | the same, with your own distance | the same, `d = distance_function(a, b)` |

# %%
x1 = Tensor(np.array([0.3864, -2.4093, -1.4076], np.float32))
x2 = Tensor(np.array([-0.6012, -1.6681, 1.2928], np.float32))
order = Tensor(np.array([-1, -1, 1], np.float32))
print(nn.MarginRankingLoss(reduction='none')(x1, x2, order))

distance = Tensor(np.array([0.3, 0.8, 2.5], np.float32))
similar = Tensor(np.array([1, -1, -1], np.float32))
print(nn.HingeEmbeddingLoss(margin=1.0, reduction='none')(distance, similar))

u = Tensor(np.array([[1.0, 0.0], [1.0, 0.0]], np.float32))
v = Tensor(np.array([[0.0, 1.0], [1.0, 1.0]], np.float32))          # cosines 0 and 0.7071
print(nn.CosineEmbeddingLoss(reduction='none')(u, v, Tensor(np.array([1, -1], np.int32))))

# %% [markdown]
# A triplet is fine once the negative is `margin` farther from the anchor than the positive:

# %%
anchor = Tensor(np.array([[0.3, 0.7], [0.5, 0.5]], np.float32))
positive = Tensor(np.array([[0.4, 0.6], [0.4, 0.6]], np.float32))
negative = Tensor(np.array([[0.2, 0.9], [0.3, 0.7]], np.float32))
print(nn.TripletMarginWithDistanceLoss(reduction='none')(anchor, positive, negative))   # Euclidean distance

# %% [markdown]
# Any distance will do, as long as it is built from `ops` (so that the gradient flows), for
# instance the L1 (Manhattan) distance:

# %%
# lossviz-only: MindSpore's GRAPH_MODE cannot compile a function defined in a notebook cell (no source file); in PyNative mode it runs and prints the same
def manhattan(a, b):
    return ops.sum(ops.abs(a - b), 1)

print(nn.TripletMarginWithDistanceLoss(manhattan, reduction='none')(anchor, positive, negative))

# %%
# lossviz-only: MindSpore 2.10 has no CPU kernel for TripletMarginLoss (catalogue decision D1)
print(nn.TripletMarginLoss(reduction='none')(anchor, positive, negative))

# %% [markdown]
# Many of these are *hinges*: zero once the right side wins by the margin, a constant pull
# before. The picture puts four of them on one axis, "how far the right side is ahead"
# (the right class's score with one other class at 0; `x1 - x2` with target 1; the logit
# with label 1), and, below, the embedding losses against the distance to a dissimilar
# example. `SoftMarginLoss` is the smooth hinge: it never quite reaches 0, and keeps
# pulling a little; `p=2` squares the hinge, so its pull fades as the margin is reached.

# %%
draw("Margins: loss and gradient",
     [("MultiMarginLoss", dict(p=1), 0, "MultiMarginLoss (C=2)"), ("MultiMarginLoss", dict(p=2), 0, "p=2"),
      ("MarginRankingLoss", dict(margin=1.0), 0, "MarginRankingLoss(margin=1)"),
      ("SoftMarginLoss", {}, 0, "SoftMarginLoss")],
     [("HingeEmbeddingLoss", dict(margin=2.0), 1, "HingeEmbeddingLoss(margin=2), label -1"),
      ("TripletMarginLoss", dict(margin=0.5, positive_distance=1.0), 0, "TripletMarginLoss(margin=0.5), d(a, p) = 1")],
     xlabels=("how far the right side is ahead: score, x1 - x2, logit",
              "distance of the dissimilar pair / of the anchor to the negative"))

# %% [markdown]
# ## 6. Segmentation
#
# For masks (which pixels are the tumour?), where the foreground may be a few pixels among
# thousands. A per-pixel loss is then dominated by the easy background; Dice scores the
# *overlap* of the predicted and the true mask instead.
#
# * **`DiceLoss(smooth)`**: `1 - 2 sum(x y) / (sum(x**2) + sum(y**2) + smooth)`, over the whole
#   batch: one number, no `reduction`. Pass probabilities (after a sigmoid).
# * **`MultiClassDiceLoss(weights, ignore_indiex, activation)`**: one Dice per class channel
#   (axis 1), averaged over the channels; it applies `activation` (`'softmax'` by default) to
#   the logits first.

# %%
probabilities = Tensor(np.array([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]], np.float32))
mask = Tensor(np.array([[0, 1], [1, 0], [0, 1]], np.float32))
print(nn.DiceLoss(smooth=1e-5)(probabilities, mask))

channel_logits = Tensor(np.array([[0.2, 0.5, 0.7], [0.3, 0.1, 0.5], [0.9, 0.6, 0.3]], np.float32))
one_hot = Tensor(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], np.float32))
print(nn.MultiClassDiceLoss(weights=None, ignore_indiex=None, activation="softmax")(channel_logits, one_hot))

# %% [markdown]
# ## 7. Sequences: `CTCLoss`
#
# Speech and handwriting: the labels are known ("cat"), but not *where* they sit among the T
# frames of the input. Connectionist temporal classification adds a `blank` class and sums the
# probability of every alignment that spells the target once repeats are merged and blanks
# dropped (`_ c c _ a t` → `cat`):
# `loss_n = -ln sum_{alignments} prod_t p_t(class at t)`.
# Inputs: `log_probs` (T, N, C) (a `log_softmax`), the targets, and each sample's input and
# target length. `'mean'` divides each sample's loss by its target length.

# %%
probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.7, 0.2, 0.1]], np.float32)   # T = 3 frames, C = 3
log_probs = Tensor(np.log(probs)[:, None, :])                                        # (T, N, C) = (3, 1, 3)
targets = Tensor(np.array([[1, 2]], np.int32))                                       # the sequence "1 2"
input_lengths, target_lengths = Tensor(np.array([3], np.int32)), Tensor(np.array([2], np.int32))
print(nn.CTCLoss(blank=0, reduction='none')(log_probs, targets, input_lengths, target_lengths))
print(nn.CTCLoss(blank=0)(log_probs, targets, input_lengths, target_lengths))

# %% [markdown]
# Five alignments of 3 frames spell "1 2" (`1 2 _`, `1 _ 2`, `_ 1 2`, `1 1 2`, `1 2 2`); their
# probabilities add up to 0.168, and `-ln 0.168 = 1.78`.
#
# ## 8. Distributions: `KLDivLoss`
#
# How far a predicted distribution `q` is from a target distribution `p`:
# `KL(p || q) = sum p ln(p / q)`, zero only when they agree. `KLDivLoss` takes `ln q` as its
# first input (a `log_softmax` output, *not* probabilities) and `p` as the second;
# per element `p (ln p - ln q)` (0 where `p = 0`). Use `reduction='batchmean'` for the true
# KL divergence per sample (`'mean'` divides by the number of elements). Used in knowledge
# distillation (a student matches a teacher's probabilities) and in variational autoencoders.

# %%
q = Tensor(np.log(np.array([[0.5, 0.5], [0.5, 0.5]], np.float32)))
p = Tensor(np.array([[0.5, 0.5], [0.9, 0.1]], np.float32))
print(nn.KLDivLoss(reduction='batchmean')(q, p))
print(nn.KLDivLoss(reduction='none')(q, p))

# %% [markdown]
# The first row agrees (0), the second costs `0.9 ln 1.8 + 0.1 ln 0.2 = 0.368`; `'batchmean'`
# averages the two rows.
#
# The last picture: Dice for one pixel, against its predicted probability (label 1: the loss
# falls to 0 as the pixel is found; label 0: a background pixel wrongly lit costs less, because
# Dice counts overlap, not pixels); CTC with a one-symbol target, against that symbol's logit
# in every frame, for 1, 3 and 6 frames (a longer input has more alignments, but each must
# avoid the third class in every frame, so it costs more until the symbol is confident); and
# KL against the predicted probability of one of two outcomes, for a target of 0.3 (smallest,
# 0, at `q = 0.3`).

# %%
draw("Segmentation, sequences, distributions",
     [("DiceLoss", {}, 0, "label 1"), ("DiceLoss", {}, 1, "label 0")],
     [("CTCLoss", dict(frames=t), 0, f"{t} frame(s)") for t in (1, 3, 6)],
     [("KLDivLoss", dict(target=0.3), 0, "target (0.3, 0.7)")])

# %% [markdown]
# ## Which loss when
#
# | you predict | reach for |
# |---|---|
# | a number | `MSELoss`; `L1Loss` with outliers; `HuberLoss` / `SmoothL1Loss` for both; `RMSELoss` to report |
# | a number and how sure you are | `GaussianNLLLoss` |
# | a count | `PoissonNLLLoss` |
# | one class out of C | `CrossEntropyLoss` (`weight` for imbalance, `label_smoothing` against over-confidence); `FocalLoss` when easy examples swamp the hard ones; `SampledSoftmaxLoss` for a huge C |
# | yes / no | `BCEWithLogitsLoss` (`pos_weight` for imbalance) |
# | several classes at once | `MultiLabelSoftMarginLoss` (or `BCEWithLogitsLoss` per class) |
# | an order or a similarity | `MarginRankingLoss`, `CosineEmbeddingLoss`, `TripletMarginLoss` |
# | a mask | `DiceLoss`, `MultiClassDiceLoss` |
# | an unaligned sequence | `CTCLoss` |
# | a distribution | `KLDivLoss` (with `'batchmean'`) |
#
# To see any of them move, open the loss explorer of notebook 01: all 29 are in its menu, with a
# slider for each parameter that shapes the curve.

# %% [markdown]
# ## Run it on MindSpore
#
# With MindSpore installed (`pip install -e ".[mindspore]"`: MindSpore 2.x for CPU, next to
# lossviz), change the word `lossviz` to `mindspore` in the code:
#
# | cell | here | on MindSpore |
# |---|---|---|
# | the first one | `import lossviz`, `lossviz.set_seed(6)`, `import lossviz.nn as nn`, `import lossviz.ops as ops`, `from lossviz import Tensor` | `import mindspore`, `mindspore.set_seed(6)`, the same with `mindspore` |
#
# Everything else stays, and prints the same numbers on MindSpore
# (`tests/test_mindspore_parity.py` runs this notebook on both and compares every printed number),
# except in the cells whose first line is `# lossviz-only: ...`: MindSpore 2.10 has no CPU
# kernel for `L1LossExt`, `SoftMarginLoss`, `MultilabelMarginLoss` and `TripletMarginLoss`
# (lossviz computes their documented formulas), and MindSpore's `GRAPH_MODE` cannot compile a
# distance function written in a notebook cell (in the default PyNative mode it runs). The pictures come from lossviz's teaching tools
# (`from lossviz.viz import loss_curves`); keep that import, and give `loss_curves` a MindSpore
# class (`loss_curves(nn.HuberLoss, delta=2.0)` with `nn` being `mindspore.nn`) to have
# MindSpore compute a curve.
