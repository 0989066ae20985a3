"""The tutorial's cells [2] and [3]: a custom L1Loss written as a Cell with ops.

Cell [2]'s class is in tutorial_code (as ``L1LossCell``: the tutorial later
reuses the name ``L1Loss`` for cell [4]); cell [3] is written out here as the
tutorial writes it, with its printed value.
"""
import numpy as np

from lossviz import Tensor
from lossviz.tutorial_code import L1LossCell


def test_tutorial_cell_3_prints_0_033333335(capsys):
    loss = L1LossCell()
    input_data = Tensor(np.array([0.1, 0.2, 0.3]).astype(np.float32))
    target_data = Tensor(np.array([0.1, 0.2, 0.2]).astype(np.float32))
    print(loss(input_data, target_data))
    assert capsys.readouterr().out == "0.033333335\n"
