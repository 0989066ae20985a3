"""The tutorial's own classes and functions, one copy, checked against the seed by a test.

Copied from the tutorial (../shared/seed/000_31dd414ca50c3d7d.txt), cells [2],
[4], [5], [6], [11], [12] and [14], exactly as it writes them. Two things differ:

* ``mindspore`` is replaced by ``lossviz`` in the imports;
* cell [2]'s class is named ``L1LossCell`` here, not ``L1Loss``. The tutorial
  defines ``L1Loss`` twice: first on ``nn.Cell`` (``ops.Abs`` +
  ``ops.ReduceMean``, cell [2]), then on ``LossBase`` (cell [4]), which
  replaces the first in the notebook's namespace. A module needs a separate
  name for each; ``L1LossCell`` is also what the golden file
  (../shared/reference/losses.json) calls it (``tutorial.L1LossCell``).

The tests and benchmarks import them from here (``from lossviz.tutorial_code
import LinearNet``); tests/test_tutorial_cells.py checks that this file still
matches the seed. A variant (for example a ``LinearNet`` with fixed initial
weights) is built from these definitions instead of writing them out again.
"""
import numpy as np

import lossviz.nn as nn
import lossviz.ops as ops
from lossviz import dataset as ds
from lossviz.common.initializer import Normal
from lossviz.nn import LossBase

__all__ = ["L1LossCell", "L1Loss", "get_data", "create_dataset", "LinearNet", "get_multilabel_data",
           "create_multilabel_dataset", "L1LossForMultiLabel", "CustomWithLossCell"]


# ----- cell [2]: L1Loss as a Cell built from ops (named L1LossCell here, see above) -----
class L1LossCell(nn.Cell):
    def __init__(self):
        super(L1LossCell, self).__init__()
        self.abs = ops.Abs()
        self.reduce_mean = ops.ReduceMean()

    def construct(self, base, target):
        x = self.abs(base - target)
        return self.reduce_mean(x)


# ----- cell [4]: L1Loss on LossBase -----
class L1Loss(LossBase):
    def __init__(self, reduction="mean"):
        super(L1Loss, self).__init__(reduction)
        self.abs = ops.Abs()

    def construct(self, base, target):
        x = self.abs(base - target)
        return self.get_loss(x)


# ----- cell [5]: the dataset -----
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


# ----- cell [6]: the network -----
class LinearNet(nn.Cell):
    def __init__(self):
        super(LinearNet, self).__init__()
        self.fc = nn.Dense(1, 1, Normal(0.02), Normal(0.02))

    def construct(self, x):
        return self.fc(x)


# ----- cell [11]: the multi-label dataset -----
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


# ----- cell [12]: the multi-label loss -----
class L1LossForMultiLabel(LossBase):
    def __init__(self, reduction="mean"):
        super(L1LossForMultiLabel, self).__init__(reduction)
        self.abs = ops.Abs()

    def construct(self, base, target1, target2):
        x1 = self.abs(base - target1)
        x2 = self.abs(base - target2)
        return self.get_loss(x1)/2 + self.get_loss(x2)/2


# ----- cell [14]: the loss network for three columns -----
class CustomWithLossCell(nn.Cell):
    def __init__(self, backbone, loss_fn):
        super(CustomWithLossCell, self).__init__(auto_prefix=False)
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label1, label2):
        output = self._backbone(data)
        return self._loss_fn(output, label1, label2)
