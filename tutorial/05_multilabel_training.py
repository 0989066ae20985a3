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
# # Loss functions (损失函数) — 5. Multi-label losses and training (多标签损失函数与模型训练)
#
# Real datasets often carry more than one label per sample — an object detector such as
# Faster R-CNN gets a class *and* a box for each object. The loss then has more inputs than
# `(prediction, label)`, and `Model`'s default wiring no longer fits. This notebook extends
# the linear fit of notebook 04 to two labels per point.

# %%
import numpy as np
import lossviz

lossviz.set_seed(5)
np.set_printoptions(precision=6)

# %% [markdown]
# The network of notebook 04 (the tutorial's `LinearNet`), needed below:

# %%
from lossviz.common.initializer import Normal
import lossviz.nn as nn

class LinearNet(nn.Cell):
    def __init__(self):
        super(LinearNet, self).__init__()
        self.fc = nn.Dense(1, 1, Normal(0.02), Normal(0.02))

    def construct(self, x):
        return self.fc(x)

# %% [markdown]
# ## A multi-label dataset (定义多标签数据集)
#
# Two changes to notebook 04's dataset:
#
# 1. `get_multilabel_data` yields two labels, `y1` and `y2`, for each `x`: the same line with
#    two different noises (`y2`'s noise has mean -1, so its points sit one unit lower).
# 2. The `GeneratorDataset` has three columns: `['data', 'label1', 'label2']`.

# %%
import numpy as np
from lossviz import dataset as ds

def get_multilabel_data(num, w=2.0, b=3.0):
    for _ in range(num):
        x = np.random.uniform(-10.0, 10.0)
        noise1 = np.random.normal(0, 1)
        noise2 = np.random.normal(-1, 1)
        y1 = x * w + b + noise1
        y2 = x * w + b + noise2
        yield np.array([x]).astype(np.float32), np.array([y1]).astype(np.float32), np.array([y2]).astype(np.float32)

def create_multilabel_dataset(num_data, batch_size=16):
    dataset = ds.GeneratorDataset(list(get_multilabel_data(num_data)), column_names=['data', 'label1', 'label2'])
    dataset = dataset.batch(batch_size)
    return dataset

# %% [markdown]
# ## A multi-label loss (定义多标签损失函数)
#
# `L1LossForMultiLabel.construct` takes the prediction `base` and both targets, computes
# the L1 error against each, and returns their average.

# %%
import lossviz.ops as ops
from lossviz.nn import LossBase

class L1LossForMultiLabel(LossBase):
    def __init__(self, reduction="mean"):
        super(L1LossForMultiLabel, self).__init__(reduction)
        self.abs = ops.Abs()

    def construct(self, base, target1, target2):
        x1 = self.abs(base - target1)
        x2 = self.abs(base - target2)
        return self.get_loss(x1)/2 + self.get_loss(x2)/2

# %% [markdown]
# ## Training a multi-label model with `Model` (使用Model进行多标签模型训练)
#
# Inside `Model`, the network and the loss are joined by `nn.WithLossCell`, which looks like
# this:

# %%
import lossviz.nn as nn

class WithLossCell(nn.Cell):
    def __init__(self, backbone, loss_fn):
        super(WithLossCell, self).__init__(auto_prefix=False)
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label):
        output = self._backbone(data)
        return self._loss_fn(output, label)

# %% [markdown]
# Its `construct` takes exactly two inputs, `data` and `label` — one label too few for us.
# So we join network and loss ourselves:
#
# 1. **`CustomWithLossCell`**, modelled on `WithLossCell`, takes three inputs: the data
#    goes to the backbone, the prediction and both labels go to the loss.

# %%
import lossviz.nn as nn

class CustomWithLossCell(nn.Cell):
    def __init__(self, backbone, loss_fn):
        super(CustomWithLossCell, self).__init__(auto_prefix=False)
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label1, label2):
        output = self._backbone(data)
        return self._loss_fn(output, label1, label2)

# %% [markdown]
# 2. **Connect** `LinearNet` and `L1LossForMultiLabel`:

# %%
net = LinearNet()
loss = L1LossForMultiLabel()
loss_net = CustomWithLossCell(net, loss)

# %% [markdown]
# `loss_net` now computes the forward pass *and* the loss.
#
# 3. **Train.** Give `Model` the `loss_net` as its `network` and no `loss_fn`: `Model` then
#    takes the network's output as the loss and does not wrap it in `WithLossCell`. Each
#    batch's three columns are passed to `loss_net` as `data, label1, label2`.

# %%
from lossviz.train.callback import LossMonitor
from lossviz import Model

opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
model = Model(network=loss_net, optimizer=opt)
ds_train = create_multilabel_dataset(num_data=160)
model.train(epoch=1, train_dataset=ds_train, callbacks=[LossMonitor()], dataset_sink_mode=False)

# %% [markdown]
# The complete code, in one cell (new network and data, hence new numbers):

# %%
import numpy as np

import lossviz.nn as nn
import lossviz.ops as ops
from lossviz import Model
from lossviz import dataset as ds
from lossviz.nn import LossBase
from lossviz.common.initializer import Normal
from lossviz.train.callback import LossMonitor

class LinearNet(nn.Cell):
    def __init__(self):
        super(LinearNet, self).__init__()
        self.fc = nn.Dense(1, 1, Normal(0.02), Normal(0.02))

    def construct(self, x):
        return self.fc(x)

class L1LossForMultiLabel(LossBase):
    def __init__(self, reduction="mean"):
        super(L1LossForMultiLabel, self).__init__(reduction)
        self.abs = ops.Abs()

    def construct(self, base, target1, target2):
        x1 = self.abs(base - target1)
        x2 = self.abs(base - target2)
        return self.get_loss(x1)/2 + self.get_loss(x2)/2

class CustomWithLossCell(nn.Cell):
    def __init__(self, backbone, loss_fn):
        super(CustomWithLossCell, self).__init__(auto_prefix=False)
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label1, label2):
        output = self._backbone(data)
        return self._loss_fn(output, label1, label2)

def get_multilabel_data(num, w=2.0, b=3.0):
    for _ in range(num):
        x = np.random.uniform(-10.0, 10.0)
        noise1 = np.random.normal(0, 1)
        noise2 = np.random.normal(-1, 1)
        y1 = x * w + b + noise1
        y2 = x * w + b + noise2
        yield np.array([x]).astype(np.float32), np.array([y1]).astype(np.float32), np.array([y2]).astype(np.float32)

def create_multilabel_dataset(num_data, batch_size=16):
    dataset = ds.GeneratorDataset(list(get_multilabel_data(num_data)), column_names=['data', 'label1', 'label2'])
    dataset = dataset.batch(batch_size)
    return dataset

net = LinearNet()
loss = L1LossForMultiLabel()
# build loss network
loss_net = CustomWithLossCell(net, loss)

opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
model = Model(network=loss_net, optimizer=opt)
ds_train = create_multilabel_dataset(num_data=160)
model.train(epoch=1, train_dataset=ds_train, callbacks=[LossMonitor()], dataset_sink_mode=False)

# %% [markdown]
# ## The total and each label, live
#
# `LossMonitor` shows the total only. `LiveLossPlot` notices that the batches have three
# columns and also draws each label's own error, `mean(|prediction - label_k|)`, measured
# on the same batch with the backbone (`loss_net._backbone`, the `LinearNet`) — without
# touching the loss code. Here the total is the average of the two label lines.

# %%
from lossviz.viz import LiveLossPlot

net = LinearNet()
loss_net = CustomWithLossCell(net, L1LossForMultiLabel())
opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
model = Model(network=loss_net, optimizer=opt)
live = LiveLossPlot(title="L1LossForMultiLabel")
ds_train = create_multilabel_dataset(num_data=800)
model.train(epoch=40, train_dataset=ds_train, callbacks=[LossMonitor(500), live], dataset_sink_mode=False)

# %% [markdown]
# The recorded numbers, last three steps: the total is exactly the mean of the two labels'
# errors.

# %%
history = live.history
print(history)
for (step, total), (_, first), (_, second) in list(zip(history.steps, history.labels['label1'], history.labels['label2']))[-3:]:
    print(f"step {step}: total {total:.4f} = ({first:.4f} + {second:.4f}) / 2 = {(first + second) / 2:.4f}")
w, b = net.trainable_params()
print(f"w = {w.asnumpy()[0, 0]:.3f}, b = {b.asnumpy()[0]:.3f}")

# %% [markdown]
# The two labels disagree by one unit on average (`y2`'s noise has mean -1), so no line can
# fit both: the best fit under this loss lies between them, and both label errors stay
# above the noise level.
#
# ## What if you give `Model` a `loss_fn` anyway?
#
# With `Model(net, loss_fn, opt)`, `Model` builds its own `WithLossCell(net, loss_fn)`,
# which takes exactly two columns. Three-column batches are refused at the first step, with
# an error that says why — and before any weight has changed:

# %%
# differs-on-mindspore: MindSpore's message stops after its first sentence; lossviz's adds how to fix it
net = LinearNet()
opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
model = Model(net, L1LossForMultiLabel(), opt)
try:
    model.train(epoch=1, train_dataset=create_multilabel_dataset(num_data=32), dataset_sink_mode=False)
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# This is the pattern for any loss with extra inputs (several labels, masks, weights per
# sample): write the loss with the inputs it needs, a `CustomWithLossCell` that routes the
# dataset's columns to the backbone and the loss, and give that cell to
# `Model(network=..., optimizer=...)`.

# %% [markdown]
# ## Run it on MindSpore
#
# With MindSpore installed (`pip install -e ".[mindspore]"`), change `lossviz` to `mindspore` in
# the imports, and take the live plot from `lossviz.viz.mindspore`:
#
# | cell | here | on MindSpore |
# |---|---|---|
# | the first one | `import lossviz`, `lossviz.set_seed(5)` | `import mindspore`, `mindspore.set_seed(5)` |
# | the imports of the other cells | `lossviz.common.initializer`, `lossviz.nn`, `lossviz.ops`, `from lossviz import dataset as ds`, `from lossviz.nn import LossBase`, `from lossviz import Model`, `from lossviz.train.callback import LossMonitor` | the same with `mindspore` |
# | the live curve | `from lossviz.viz import LiveLossPlot` | `from lossviz.viz.mindspore import LiveLossPlot` |
#
# What stays: `LinearNet`, the multi-label dataset, `L1LossForMultiLabel`, `WithLossCell`,
# `CustomWithLossCell`, `Model(network=loss_net, optimizer=opt)` and the `train` calls. The live
# plot still draws one line per label: it reads the batch from MindSpore's
# `cb_params.train_dataset_element` and the backbone from `cb_params.network._backbone`, and
# `live.history.labels` holds the same series.
#
# What changes: the training numbers, as in notebook 04 (MindSpore draws its initial weights and
# batch order with its own generators; made to draw lossviz's, it prints the same losses and
# records the same curves). The last cell's error is MindSpore's too: the same `ValueError`, whose
# message stops after "please check the number of elements returned by 'train_dataset'"; lossviz
# adds the hint on `CustomWithLossCell`, hence that cell's `# differs-on-mindspore` line.
#
# The 2,000 steps of the live curve take under a minute in MindSpore's default PyNative mode on a
# 2-core CPU, a few seconds with `mindspore.set_context(mode=mindspore.GRAPH_MODE)`.
