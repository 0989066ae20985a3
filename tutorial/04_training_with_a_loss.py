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
# # Loss functions (损失函数) — 4. Training with a loss (损失函数与模型训练)
#
# Now the loss does its real job: steering training. We fit a straight line with the
# `L1Loss` written in notebook 03, using the same high-level `Model` API as the tutorial,
# then watch the loss fall live, and finally compare L1, MSE and SmoothL1 on data with
# outliers.

# %%
import numpy as np
import lossviz

lossviz.set_seed(4)
np.set_printoptions(precision=6)

# %% [markdown]
# The loss from notebook 03, on `LossBase`:

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

# %% [markdown]
# ## Defining the dataset and the network (定义数据集和网络)
#
# A linear-fit problem: points on the line `y = 2x + 3` with Gaussian noise.
#
# 1. **The dataset.** `get_data` yields `(x, y)` pairs; `create_dataset` wraps them in a
#    `GeneratorDataset` with two columns, `data` and `label`, and groups them in batches
#    of 16 (a list source is shuffled on every pass, as in MindSpore).

# %%
import numpy as np
from lossviz import dataset as ds

def get_data(num, w=2.0, b=3.0):
    for _ in range(num):
        x = np.random.uniform(-10.0, 10.0)
        noise = np.random.normal(0, 1)
        y = x * w + b + noise
        yield np.array([x]).astype(np.float32), np.array([y]).astype(np.float32)

def create_dataset(num_data, batch_size=16):
    dataset = ds.GeneratorDataset(list(get_data(num_data)), column_names=['data', 'label'])
    dataset = dataset.batch(batch_size)
    return dataset

# %% [markdown]
# 2. **The network.** One `Dense(1, 1)` layer, `y = w·x + b`, with `w` and `b` drawn from a
#    normal distribution with standard deviation 0.02.

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
# ## Training with `Model` (使用Model进行模型训练)
#
# `Model` is the high-level API for training, evaluation and prediction. Give it a network,
# a loss and an optimizer, and it links them into a training network: forward pass, loss,
# backward pass, optimizer update.
#
# 1. **Network, loss and optimizer.** `LinearNet`, our `L1Loss`, and `Momentum`
#    (learning rate 0.005, momentum 0.9).

# %%
# define network
net = LinearNet()
# define loss function
loss = L1Loss()
# define optimizer
opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)

# %% [markdown]
# 2. **The `Model`.**

# %%
from lossviz import Model

# define Model
model = Model(net, loss, opt)

# %% [markdown]
# 3. **Train.** One epoch over 160 points is 10 batches of 16. `LossMonitor` prints the
#    loss after each step; `dataset_sink_mode=False` is the tutorial's setting (lossviz always
#    feeds the data step by step).

# %%
from lossviz.train.callback import LossMonitor

# create dataset
ds_train = create_dataset(num_data=160)
# training
model.train(epoch=1, train_dataset=ds_train, callbacks=[LossMonitor()], dataset_sink_mode=False)

# %% [markdown]
# The loss falls from about 10 (the line starts flat, near `y = 0`) as `w` and `b` move
# towards 2 and 3. Ten steps are not enough to get there; the live curve below shows the
# whole way.
#
# The tutorial's complete code, in one cell. It builds a new network and a new dataset, so
# the numbers differ from the run above (here every run prints the same numbers because the
# first cell called `lossviz.set_seed`).

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

class L1Loss(LossBase):
    def __init__(self, reduction="mean"):
        super(L1Loss, self).__init__(reduction)
        self.abs = ops.Abs()

    def construct(self, base, target):
        x = self.abs(base - target)
        return self.get_loss(x)

def get_data(num, w=2.0, b=3.0):
    for _ in range(num):
        x = np.random.uniform(-10.0, 10.0)
        noise = np.random.normal(0, 1)
        y = x * w + b + noise
        yield np.array([x]).astype(np.float32), np.array([y]).astype(np.float32)

def create_dataset(num_data, batch_size=16):
    dataset = ds.GeneratorDataset(list(get_data(num_data)), column_names=['data', 'label'])
    dataset = dataset.batch(batch_size)
    return dataset

# define network
net = LinearNet()
# define loss functhon
loss = L1Loss()
# define optimizer
opt = nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9)
# define Model
model = Model(net, loss, opt)
# create dataset
ds_train = create_dataset(num_data=160)
# training
model.train(epoch=1, train_dataset=ds_train, callbacks=[LossMonitor()], dataset_sink_mode=False)

# %% [markdown]
# ## Watching the loss while it trains
#
# `LiveLossPlot` (from `lossviz.viz`) is one more callback: put it in the same `callbacks`
# list as `LossMonitor`. It records each step's loss and redraws one figure in place —
# at most every 20 steps, and at most a few times a second — then draws the final curve
# when training ends. The thin line is the loss of each batch, the bold one a running
# average.
#
# To have something to watch, this run uses a learning rate 50 times smaller than the
# tutorial's, `0.0001`, on 1600 points (100 batches per epoch) for 200 epochs: 20,000
# steps, a couple of seconds here. `LossMonitor(2000)` prints every 2000th step only.

# %%
from lossviz.viz import LiveLossPlot

net = LinearNet()
loss = L1Loss()
opt = nn.Momentum(net.trainable_params(), learning_rate=0.0001, momentum=0.9)
model = Model(net, loss, opt)
ds_train = create_dataset(num_data=1600)
live = LiveLossPlot(title="L1Loss, learning rate 0.0001")
model.train(epoch=200, train_dataset=ds_train, callbacks=[LossMonitor(2000), live], dataset_sink_mode=False)

# %% [markdown]
# The curve has two phases. First the slope `w` is learnt, quickly: with `x` up to 10, a
# wrong slope costs a lot and its gradient is large. Then the loss creeps down in a
# straight line while the intercept `b` climbs towards 3: L1's gradient for `b` is only
# the average *sign* of the errors, so `b` moves by at most `lr / (1 - momentum) = 0.001`
# per step, however far it still has to go. Finally the loss stays on a floor: L1 cannot
# go below the average absolute noise, about 0.8 for Gaussian noise with standard
# deviation 1.
#
# `live.history` holds what the figure is drawn from — one `(step, loss)` pair per step
# and one mean per epoch:

# %%
w, b = net.trainable_params()
print(f"w = {w.asnumpy()[0, 0]:.3f}, b = {b.asnumpy()[0]:.3f}   (data made with w = 2, b = 3)")
print(live.history)
for epoch, mean_loss in live.history.epochs:
    if epoch in (1, 2, 5, 10, 20, 50, 100, 200):
        print(f"epoch {epoch}: mean loss {mean_loss:.4f}")

# %% [markdown]
# ## L1 vs MSE vs SmoothL1 on data with outliers
#
# Which loss to choose depends on the data. Below, the same line, but a fraction of the
# labels is moved far up (by 25) — think of broken sensors or typos. The tutorial's network
# is trained three times on exactly the same batches, once with each loss:
#
# * **MSE** squares the error, so a far point pulls with a force proportional to its
#   distance: the outliers drag the line up.
# * **L1** pulls with the same force (the sign of the error) whatever the distance: the
#   line stays with the majority of the points.
# * **SmoothL1** is MSE close to the line and L1 beyond `beta = 1`: robust like L1, smooth
#   at the minimum like MSE.
#
# Move the slider to change the fraction of outliers (each move retrains all three).

# %%
# NBVAL_IGNORE_OUTPUT
from lossviz.viz import OutlierComparison

comparison = OutlierComparison(outlier_fraction=0.1)
comparison

# %%
print(comparison.text)

# %%
comparison.fraction.value = 0.0
print(comparison.text)

# %%
comparison.fraction.value = 0.25
print(comparison.text)

# %% [markdown]
# Without outliers the three fits agree. With a quarter of the labels shifted, MSE's bias
# moves by roughly `0.25 × 25`, while L1 and SmoothL1 stay near the true line.
#
# Next: notebook 05 trains with a dataset that has two labels per point.

# %% [markdown]
# ## Run it on MindSpore
#
# With MindSpore installed (`pip install -e ".[mindspore]"`), change `lossviz` to `mindspore` in
# the imports, and take the live plot from `lossviz.viz.mindspore`:
#
# | cell | here | on MindSpore |
# |---|---|---|
# | the first one | `import lossviz`, `lossviz.set_seed(4)` | `import mindspore`, `mindspore.set_seed(4)` |
# | the imports of the other cells | `lossviz.ops`, `lossviz.nn`, `from lossviz import dataset as ds`, `from lossviz.common.initializer import Normal`, `from lossviz import Model`, `from lossviz.train.callback import LossMonitor` | the same with `mindspore` |
# | the live curve | `from lossviz.viz import LiveLossPlot` | `from lossviz.viz.mindspore import LiveLossPlot` |
#
# What stays: `L1Loss`, `get_data`, `create_dataset`, `LinearNet`, `Momentum`, `Model` and every
# `model.train(..., callbacks=[LossMonitor(...), live], dataset_sink_mode=False)` call, word for
# word. MindSpore's `Model.train` takes only subclasses of `mindspore.train.Callback`;
# `lossviz.viz.mindspore.LiveLossPlot` is this notebook's live plot as one: same arguments, same
# figure, same `live.history`, read from MindSpore's `run_context`.
#
# What changes is the training numbers. MindSpore draws the initial weights (`Normal(0.02)`) and
# the shuffle order of `GeneratorDataset` with its own C++ generators, so its losses are not the
# ones printed here (the data is: it comes from `np.random` after `set_seed`). Its `LossMonitor`
# also prints the loss as a Python float (`loss is 11.284078598022461`). When MindSpore is made to
# draw the same initial weights and batch order as lossviz, as `tests/test_mindspore_parity.py`
# does, it prints the same losses, to float32 precision, over all 20,000 steps of the live curve.
#
# The live curve's 20,000 steps take MindSpore about five minutes in its default PyNative mode on a
# 2-core CPU; `mindspore.set_context(mode=mindspore.GRAPH_MODE)` in the first cell compiles the
# training step and brings that under a minute.
#
# The outlier comparison is lossviz's teaching tool (it trains lossviz networks): keep
# `from lossviz.viz import OutlierComparison`.
