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
# # Loss functions — 7. Classification: live validation curves, imbalance, calibration
#
# Notebooks 04 and 05 fit a line. Most losses, though, are chosen for a **classifier**. This
# notebook trains a small network to sort 2-D points into three classes, one of them rare, and
# watches what each loss does to every class:
#
# 1. the data and a multi-layer perceptron (`nn.SequentialCell` of `nn.Dense` and `nn.ReLU`);
# 2. `Model.train`, then `Model.eval` with metrics, then `Model.fit` (both, every epoch) with a
#    **live curve**: training loss, validation loss and accuracy, and one line per class;
# 3. cross-entropy vs MSE on one-hot targets vs weighted cross-entropy vs focal loss, on the
#    same data: curves, per-class recall and decision regions;
# 4. label smoothing and the confidence of the predictions;
# 5. multi-label classification with `BCEWithLogitsLoss` and `pos_weight` for a rare label.

# %%
import numpy as np
import matplotlib.pyplot as plt
import lossviz

lossviz.set_seed(7)
rng = np.random.default_rng(7)
np.set_printoptions(precision=3, suppress=True)
plt.rcParams["figure.dpi"] = 80  # small pictures: the notebook stores them

# %% [markdown]
# ## The data: three classes, one of them rare
#
# 1000 points in the plane. Each point gets a class with probabilities 80% / 15% / 5% and is
# drawn around its class centre, with enough noise that the classes overlap a little. The
# first 700 points train the network; the other 300 are the **validation set**: the network
# never learns from them, they only tell how well it does on points it has not seen.

# %%
CLASSES = ["common", "medium", "rare"]
CENTRES = np.array([[0.0, 0.0], [1.8, 1.2], [-1.2, 1.6]], np.float32)

n = 1000
y = rng.choice(3, size=n, p=[0.80, 0.15, 0.05]).astype(np.int32)
x = (CENTRES[y] + rng.normal(0.0, 0.75, (n, 2))).astype(np.float32)
x_train, y_train, x_valid, y_valid = x[:700], y[:700], x[700:], y[700:]

print("training points per class:  ", dict(zip(CLASSES, np.bincount(y_train).tolist())))
print("validation points per class:", dict(zip(CLASSES, np.bincount(y_valid).tolist())))

# %%
COLOURS = np.array(["#1f77b4", "#ff7f0e", "#d62728"])
fig, ax = plt.subplots(figsize=(4.5, 3.6))
for k, name in enumerate(CLASSES):
    ax.scatter(*x_train[y_train == k].T, s=9, c=COLOURS[k], label=f"{name} ({np.mean(y_train == k):.0%})")
ax.set_title("training points")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# A dataset as in notebook 04: a `GeneratorDataset` over `(point, label)` pairs, in batches of
# 64. The label is the class index (an `int32`); some losses below want a one-hot vector
# instead (`[0, 0, 1]` for "rare"), so the functions take the labels to use. Each model gets
# datasets of its own (MindSpore refuses to train a second model on a dataset object another
# one used).

# %%
from lossviz import dataset as ds

def create_dataset(points, labels, batch_size=64, shuffle=True):
    dataset = ds.GeneratorDataset(list(zip(points, labels)), column_names=["data", "label"], shuffle=shuffle)
    return dataset.batch(batch_size)

ONE_HOT = np.eye(3, dtype=np.float32)

def create_datasets(train_labels=y_train, valid_labels=y_valid):
    """A training dataset (shuffled each epoch) and a validation dataset (one batch) for one model."""
    return create_dataset(x_train, train_labels), create_dataset(x_valid, valid_labels, batch_size=300, shuffle=False)

# %% [markdown]
# ## The network: a multi-layer perceptron
#
# Two hidden layers of 64 units with a ReLU after each: `nn.SequentialCell` calls its cells
# one after the other. The last `nn.Dense` gives three numbers per point, the **logits**, one
# per class; the predicted class is the largest one. The losses turn them into probabilities
# (softmax) themselves.

# %%
import lossviz.nn as nn
from lossviz import Model, Tensor
from lossviz.train.callback import LossMonitor

def create_mlp():
    return nn.SequentialCell(nn.Dense(2, 64), nn.ReLU(), nn.Dense(64, 64), nn.ReLU(), nn.Dense(64, 3))

for parameter in create_mlp().trainable_params():
    print(f"{parameter.name:10s} {tuple(parameter.shape)}")

# %% [markdown]
# ## `Model.train`, then `Model.eval`
#
# `Model` takes the network, the loss and the optimizer (`Adam` here), as in notebook 04, plus
# `metrics`: what `Model.eval` measures on a dataset. `nn.Loss()` averages the loss,
# `nn.Accuracy()` counts correct predictions, and `nn.Recall()` gives, **for each class**, the
# share of its points predicted as that class. Five epochs first:

# %%
lossviz.set_seed(7)
net = create_mlp()
metrics = {"loss": nn.Loss(), "accuracy": nn.Accuracy(), "recall": nn.Recall()}
model = Model(net, nn.CrossEntropyLoss(), nn.Adam(net.trainable_params(), learning_rate=0.005), metrics=metrics)
ds_train, ds_valid = create_datasets()
model.train(5, ds_train, callbacks=[LossMonitor(11)], dataset_sink_mode=False)

def show(results):
    return ", ".join(f"{name} {np.round(value, 3)}" for name, value in results.items())

print("validation:", show(model.eval(ds_valid, dataset_sink_mode=False)))

# %% [markdown]
# An accuracy above 90% looks good, but the recall says more: the network misses half of the
# rare points. With 5% of the points in the rare class, a network that ignored it entirely
# could still be 95% accurate, so accuracy alone hides it. That is why the live curve below
# draws one line per class.
#
# ## The live curve: training, validation, one line per class
#
# `Model.fit` is `Model.train` plus `Model.eval(valid_dataset)` at the end of every epoch
# (MindSpore 2.x has the same method). Each evaluation goes to the callbacks' `on_eval_end`,
# and `LiveLossPlot` draws it: on the left the training loss (thin: each batch; bold:
# smoothed) and the validation loss (dots, one per epoch); on the right the accuracy (bold)
# and each class's recall (dashed). `LiveLossPlot` draws whatever the metrics return, for any
# loss: a number is one line, a per-class array (such as `Recall`'s) one line per class.
#
# To have something to watch, this run learns more slowly (learning rate 0.0003 instead of
# 0.005) for 100 epochs, 1100 steps: a couple of seconds.

# %%
from lossviz.viz import LiveLossPlot

lossviz.set_seed(7)
net = create_mlp()
model = Model(net, nn.CrossEntropyLoss(), nn.Adam(net.trainable_params(), learning_rate=0.0003), metrics=metrics)
live = LiveLossPlot(title="CrossEntropyLoss", class_names=CLASSES, figsize=(9, 3.2), every_n_steps=5)
ds_train, ds_valid = create_datasets()
model.fit(100, ds_train, valid_dataset=ds_valid, callbacks=[live], dataset_sink_mode=False)

# %% [markdown]
# After the first epoch the borders are still roughly where the random start put them (here,
# many common points are called medium). The two large classes are then learnt within some 15
# epochs, and the accuracy passes 90%. The rare class's recall stays at 0 for about 20 epochs:
# a network that never says "rare" loses little, since rare points are 5% of the data. Then it
# climbs in jumps (the validation set has only 18 rare points). In the end the validation loss
# stops falling: the classes overlap, no border gets the overlapping points right, and more
# training mostly moves the border around among them.
#
# `live.history.valid` holds the numbers behind the figure, one `(step, value)` per epoch; here
# every fifth epoch up to the 50th, then the last one:

# %%
for name, series in live.history.valid.items():
    print(f"{name:16s}", "  ".join(f"{value:.3f}" for step, value in series[:50:5]), f"... {series[-1][1]:.3f}")

# %% [markdown]
# ## Four losses on the same data
#
# The same network, started from the same weights (`set_seed` before each), trained on the same
# batches with four losses:
#
# * **`CrossEntropyLoss`**: `-log p(true class)`; the standard choice.
# * **`MSELoss` on one-hot targets**: the squared distance between the logits and `[0, 0, 1]`.
#   It does train, but it asks each logit to *equal* 0 or 1 instead of asking the right class
#   to come first: a correct and confident logit of 3 costs as much as a wrong one of -1.
# * **weighted `CrossEntropyLoss`**: each class weighted by `n / (3 n_class)`, so the rare
#   class counts about 20 times more than the common one per point, and the three classes
#   weigh the same in total.
# * **`FocalLoss`** (`gamma=2`): cross-entropy multiplied by `(1 - p)^2`, so that points the
#   network already gets right count less and the hard ones, often of the rare class, more.
#   MindSpore's `FocalLoss` takes one-hot targets (or `(N, 1)` indices).
#
# A `LossHistory` callback per run records the same curves as a live plot, without drawing.

# %%
from lossviz.viz import LossHistory

class_weight = (len(y_train) / (3 * np.bincount(y_train))).astype(np.float32)
print("class weights:", class_weight)

losses = {
    "cross-entropy": (nn.CrossEntropyLoss(), y_train, y_valid),
    "MSE, one-hot": (nn.MSELoss(), ONE_HOT[y_train], ONE_HOT[y_valid]),
    "weighted cross-entropy": (nn.CrossEntropyLoss(weight=Tensor(class_weight)), y_train, y_valid),
    "focal, gamma 2": (nn.FocalLoss(gamma=2.0), ONE_HOT[y_train], ONE_HOT[y_valid]),
}
models, histories = {}, {}
for name, (loss_fn, train_labels, valid_labels) in losses.items():
    lossviz.set_seed(7)
    net = create_mlp()
    metrics = {"loss": nn.Loss(), "accuracy": nn.Accuracy(), "recall": nn.Recall()}
    models[name] = Model(net, loss_fn, nn.Adam(net.trainable_params(), learning_rate=0.005), metrics=metrics)
    histories[name] = LossHistory()
    ds_train, ds_valid = create_datasets(train_labels, valid_labels)
    models[name].fit(20, ds_train, valid_dataset=ds_valid, callbacks=[histories[name]], dataset_sink_mode=False)
    recall = histories[name].valid
    print(f"{name:23s} accuracy {recall['accuracy'][-1][1]:.3f}   recall per class "
          + "  ".join(f"{c} {recall[f'recall[{k}]'][-1][1]:.3f}" for k, c in enumerate(CLASSES)))

# %% [markdown]
# Side by side: the training loss of each run on top (each loss has its own scale, so compare
# the shapes, not the heights) and the validation recall of each class below.

# %%
fig, axes = plt.subplots(2, 4, figsize=(12, 4.6), sharex=True)
for col, (name, history) in enumerate(histories.items()):
    axes[0, col].plot(history.step_numbers(), history.values(), lw=0.6, alpha=0.4)
    axes[0, col].plot(history.step_numbers(), history.smoothed(0.8), lw=2)
    axes[0, col].set_title(name, fontsize=10)
    for k, cls in enumerate(CLASSES):
        steps, values = zip(*history.valid[f"recall[{k}]"])
        axes[1, col].plot(steps, values, color=COLOURS[k], marker=".", label=cls)
    axes[1, col].set_ylim(-0.03, 1.03)
    axes[1, col].set_xlabel("step")
axes[0, 0].set_ylabel("training loss")
axes[1, 0].set_ylabel("validation recall")
axes[1, 0].legend(fontsize=8, loc="lower right")
fig.tight_layout()
plt.show()

# %% [markdown]
# And what each network decided, everywhere in the plane: the colour is the predicted class
# (`model.predict` on a grid), the points are the validation set.

# %%
grid_x, grid_y = np.meshgrid(np.linspace(-3.5, 4.5, 160), np.linspace(-3, 4.5, 150))
grid = Tensor(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32))

fig, axes = plt.subplots(1, 4, figsize=(12, 3.2), sharey=True)
for ax, (name, model) in zip(axes, models.items()):
    predicted = model.predict(grid).asnumpy().argmax(axis=1).reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, predicted, levels=[-0.5, 0.5, 1.5, 2.5], colors=COLOURS, alpha=0.25)
    ax.scatter(*x_valid.T, s=7, c=COLOURS[y_valid])
    ax.set_title(name, fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# What to read in them:
#
# * Cross-entropy, MSE and focal loss draw nearly the same borders here and end at about the
#   same recall: with this little overlap the data decides more than the loss. Their recall
#   curves differ only in the first epochs.
# * **Weighted cross-entropy** moves the borders *into* the common class: the rare and medium
#   regions grow, their recall rises, and the common class pays with some of its points, so the
#   overall accuracy drops. Which trade-off is right depends on what a missed rare point costs.
#
# ## Label smoothing: less confident predictions
#
# Cross-entropy is smallest when the network puts probability 1 on the true class, so a long
# training pushes the logits further and further apart: the network becomes **over-confident**.
# `label_smoothing=0.1` spreads a tenth of the target evenly over the three classes: it trains
# against `0.933` for the true class and `0.033` for each of the two others. The loss is then
# smallest at a finite confidence, and the probabilities stay moderate.
# The histogram shows the largest softmax probability of each validation point, after 40 epochs:

# %%
def confidence(model, points):
    logits = model.predict(Tensor(points)).asnumpy().astype(np.float64)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (p / p.sum(axis=1, keepdims=True)).max(axis=1)

confidences = {}
for smoothing in (0.0, 0.1):
    lossviz.set_seed(7)
    net = create_mlp()
    model = Model(net, nn.CrossEntropyLoss(label_smoothing=smoothing),
                  nn.Adam(net.trainable_params(), learning_rate=0.005), metrics={"accuracy": nn.Accuracy()})
    ds_train, ds_valid = create_datasets()
    model.train(40, ds_train, dataset_sink_mode=False)
    confidences[smoothing] = confidence(model, x_valid)
    accuracy = model.eval(ds_valid, dataset_sink_mode=False)["accuracy"]
    wrong = model.predict(Tensor(x_valid)).asnumpy().argmax(axis=1) != y_valid
    print(f"label_smoothing={smoothing}: accuracy {accuracy:.3f}, mean confidence {confidences[smoothing].mean():.3f}, "
          f"confidence > 0.99: {np.mean(confidences[smoothing] > 0.99):.0%} of the points, "
          f"wrong with confidence > 0.9: {np.sum(wrong & (confidences[smoothing] > 0.9))} of {np.sum(wrong)}")

fig, ax = plt.subplots(figsize=(6, 3))
bins = np.linspace(1 / 3, 1, 41)
for smoothing, values in confidences.items():
    ax.hist(values, bins=bins, alpha=0.6, label=f"label_smoothing={smoothing}")
ax.set_xlabel("confidence: largest softmax probability")
ax.set_ylabel("validation points")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Without smoothing about half of the points get a confidence above 0.99, and a few of the
# wrong predictions are made with more than 90% confidence. With smoothing no point goes above
# 0.99: the confidences gather below the 0.933 that a smoothed target asks for, for the same
# accuracy and fewer confident mistakes. The probabilities say more honestly how sure the
# network can be.
#
# ## Multi-label: several yes/no answers per point
#
# In **multi-label** classification each point can have any number of labels at once. Here,
# three labels for each point: `right` (x > 0.5), `top` (y > 1) and `far`, a rare and noisy
# one: only 40% of the points further than 2 from the origin have it (think of a symptom that
# only some of the patients in a risk group show). The network gives one logit per label and
# `BCEWithLogitsLoss` treats each as its own yes/no question (a sigmoid and a binary
# cross-entropy, computed stably from the logits). The targets are a float vector such as
# `[1, 0, 1]`.

# %%
LABELS = ["right", "top", "far"]

far = (np.hypot(x[:, 0], x[:, 1]) > 2.0) & (rng.random(n) < 0.4)
labels = np.stack([x[:, 0] > 0.5, x[:, 1] > 1.0, far], axis=1).astype(np.float32)
labels_train, labels_valid = labels[:700], labels[700:]
print("share of training points with each label:",
      dict(zip(LABELS, labels_train.mean(axis=0, dtype=np.float64).round(3).tolist())))

# %% [markdown]
# Accuracy and `Recall` are for one class per point, so the metric here is our own: a
# subclass of `nn.Metric` with `clear`, `update` and `eval`, giving one recall per label (of
# the points that have the label, the share whose logit is positive, i.e. probability > 0.5).
# It returns an array, so the live curve draws one line per label.

# %%
class LabelRecall(nn.Metric):
    """For each label: of the points that have it, the share predicted to have it (logit > 0)."""

    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self):
        self.hits, self.positives = 0.0, 0.0

    def update(self, logits, labels):
        predicted, actual = logits.asnumpy() > 0, labels.asnumpy() > 0.5
        self.hits = self.hits + (predicted & actual).sum(axis=0)
        self.positives = self.positives + actual.sum(axis=0)

    def eval(self):
        return self.hits / np.maximum(self.positives, 1)

# %% [markdown]
# Trained first with plain `BCEWithLogitsLoss`:

# %%
def train_multilabel(loss_fn, title):
    lossviz.set_seed(7)
    net = nn.SequentialCell(nn.Dense(2, 64), nn.ReLU(), nn.Dense(64, 64), nn.ReLU(), nn.Dense(64, 3))
    metrics = {"loss": nn.Loss(), "recall": LabelRecall()}
    model = Model(net, loss_fn, nn.Adam(net.trainable_params(), learning_rate=0.005), metrics=metrics)
    live = LiveLossPlot(title=title, class_names=LABELS, figsize=(9, 3.2))
    ds_train, ds_valid = create_datasets(labels_train, labels_valid)
    model.fit(25, ds_train, valid_dataset=ds_valid, callbacks=[live], dataset_sink_mode=False)
    recall = model.eval(ds_valid, dataset_sink_mode=False)["recall"]
    print(f"{title}: validation recall", dict(zip(LABELS, recall.round(3).tolist())))
    return live

live_plain = train_multilabel(nn.BCEWithLogitsLoss(), "BCEWithLogitsLoss")

# %% [markdown]
# `right` and `top` are learnt quickly. `far` is not: even where it occurs, most points do not
# have it, so the loss is smallest when the network says "no" everywhere, and its recall stays
# low. `pos_weight` multiplies the loss of the *positive* points of each label; the usual
# value is the ratio of negatives to positives, here about 15 for `far` (and 1 for the others):

# %%
positives = labels_train.sum(axis=0)
pos_weight = np.array([1.0, 1.0, (len(labels_train) - positives[2]) / positives[2]], np.float32)
print("pos_weight:", pos_weight)
live_weighted = train_multilabel(nn.BCEWithLogitsLoss(pos_weight=Tensor(pos_weight)),
                                 "BCEWithLogitsLoss, pos_weight for 'far'")

# %% [markdown]
# With `pos_weight` the `far` line starts high and stays there: a missed positive now costs as
# much as 15 false alarms, so the network says "yes" wherever `far` is reasonably likely. The price is the false
# alarms themselves (most points said to have `far` do not), which recall does not show; a
# precision metric would. Which balance is right depends on what a miss costs.
#
# ## Run it on MindSpore
#
# With MindSpore installed (`pip install -e ".[mindspore]"`: MindSpore 2.x for CPU, next to
# lossviz), change the word `lossviz` to `mindspore` in the code:
#
# | cell | here | on MindSpore |
# |---|---|---|
# | the first one | `import lossviz`, `lossviz.set_seed(7)` | `import mindspore`, `mindspore.set_seed(7)` |
# | the imports | `from lossviz import dataset as ds`, `import lossviz.nn as nn`, `from lossviz import Model, Tensor`, `from lossviz.train.callback import LossMonitor` | the same with `mindspore` |
# | the live curve and the recorders | `from lossviz.viz import LiveLossPlot`, `from lossviz.viz import LossHistory` | `from lossviz.viz.mindspore import LiveLossPlot`, `from lossviz.viz.mindspore import LossHistory` |
#
# Everything else stays: `nn.SequentialCell`, `nn.Dense`, `nn.ReLU`, `nn.Adam`, the four losses,
# `nn.Loss`, `nn.Accuracy`, `nn.Recall`, the `LabelRecall` metric, `model.train`, `model.eval`,
# `model.predict` and `model.fit(epoch, train_dataset, valid_dataset=..., callbacks=...)`, which
# is MindSpore 2.x's own method. The live plot reads MindSpore's evaluation results where lossviz
# puts them too, in `cb_params.metrics` at `on_eval_end`, so it draws the same lines there.
# MindSpore draws its initial weights and shuffle orders with its own generators, so its
# numbers differ from the ones printed here; made to draw lossviz's, as
# `tests/test_mindspore_parity.py` does, it prints the same ones, to float32 precision.
