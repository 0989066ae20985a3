"""The tutorial's cells [2] and [3]: a custom L1Loss written as a Cell with ops."""
import numpy as np

import lossviz.nn as nn
import lossviz.ops as ops
from lossviz import Tensor


class L1Loss(nn.Cell):
    def __init__(self):
        super(L1Loss, self).__init__()
        self.abs = ops.Abs()
        self.reduce_mean = ops.ReduceMean()

    def construct(self, base, target):
        x = self.abs(base - target)
        return self.reduce_mean(x)


def test_tutorial_cell_3_prints_0_033333335(capsys):
    loss = L1Loss()
    input_data = Tensor(np.array([0.1, 0.2, 0.3]).astype(np.float32))
    target_data = Tensor(np.array([0.1, 0.2, 0.2]).astype(np.float32))
    print(loss(input_data, target_data))
    assert capsys.readouterr().out == "0.033333335\n"
