"""nn.Cell: registration, parameter names, traversal, training flag, repr, errors."""
import numpy as np
import pytest

import lossviz.nn as nn
from lossviz import Parameter, Tensor


def param(*shape, **kwargs):
    return Parameter(Tensor(np.zeros(shape, np.float32)), **kwargs)


class Linear(nn.Cell):
    def __init__(self):
        super().__init__()
        self.weight = param(1, 1)
        self.bias = param(1)

    def construct(self, x):
        return x @ self.weight.T + self.bias

    def extend_repr(self):
        return "in=1, out=1"


class LinearNet(nn.Cell):  # the tutorial's shape: a network holding one layer as self.fc
    def __init__(self):
        super().__init__()
        self.fc = Linear()

    def construct(self, x):
        return self.fc(x)


class WithLoss(nn.Cell):  # the tutorial's CustomWithLossCell: auto_prefix=False
    def __init__(self, backbone, auto_prefix=False):
        super().__init__(auto_prefix=auto_prefix)
        self._backbone = backbone

    def construct(self, x, y):
        return ((self._backbone(x) - y) ** 2).mean()


def names(cell):
    return [p.name for p in cell.trainable_params()]


def test_parameters_are_registered_and_named_by_their_path():
    net = LinearNet()
    assert names(net) == ["fc.weight", "fc.bias"]
    assert [name for name, _ in net.parameters_and_names()] == ["fc.weight", "fc.bias"]
    assert list(net.parameters_dict()) == ["fc.weight", "fc.bias"]


def test_names_are_hierarchical_over_several_levels():
    class Outer(nn.Cell):
        def __init__(self):
            super().__init__()
            self.net = LinearNet()

    assert names(Outer()) == ["net.fc.weight", "net.fc.bias"]


def test_a_wrapper_with_auto_prefix_false_keeps_the_names():
    net = LinearNet()
    wrapped = WithLoss(net)
    assert names(wrapped) == ["fc.weight", "fc.bias"]
    assert names(WithLoss(LinearNet(), auto_prefix=True)) == ["_backbone.fc.weight", "_backbone.fc.bias"]
    x, y = Tensor(np.ones((2, 1), np.float32)), Tensor(np.zeros((2, 1), np.float32))
    assert wrapped(x, y).item() == 0.0


def test_trainable_params_order_and_requires_grad():
    class Mixed(nn.Cell):
        def __init__(self):
            super().__init__()
            self.a = param(2)
            self.child = Linear()
            self.frozen = param(3, requires_grad=False)
            self.b = param(1)

    net = Mixed()
    assert names(net) == ["a", "b", "child.weight", "child.bias"]  # own parameters first, then each child's
    assert [p.name for p in net.untrainable_params()] == ["frozen"]
    assert len(list(net.get_parameters())) == 5
    assert names(net) == [p.name for p in net.trainable_params(recurse=True)]
    assert [p.name for p in net.trainable_params(recurse=False)] == ["a", "b"]


def test_a_parameter_shared_by_two_cells_is_listed_once():
    class Shared(nn.Cell):
        def __init__(self):
            super().__init__()
            self.first = Linear()
            self.second = self.first

    assert len(Shared().trainable_params()) == 2


def test_an_explicit_parameter_name_is_kept():
    class Named(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = param(1, name="scale")

    assert names(Named()) == ["scale"]


def test_cells_and_names_and_name_cells():
    net = WithLoss(LinearNet())
    assert [name for name, _ in net.cells_and_names()] == ["", "_backbone", "_backbone.fc"]
    assert list(net.name_cells()) == ["_backbone"]
    assert isinstance(net.name_cells()["_backbone"], LinearNet)
    assert net.cells() == [net._backbone]


def test_replacing_an_attribute_unregisters_it():
    net = LinearNet()
    net.fc = None
    assert net.trainable_params() == [] and net.name_cells() == {}
    net2 = Linear()
    del net2.bias
    assert names(net2) == ["weight"]


def test_set_train_reaches_every_sub_cell():
    net = WithLoss(LinearNet())
    assert net.training is False
    assert net.set_train() is net
    assert all(cell.training for _, cell in net.cells_and_names())
    net.set_train(False)
    assert not any(cell.training for _, cell in net.cells_and_names())


def test_cls_name():
    assert LinearNet().cls_name == "LinearNet"


def test_repr_is_an_indented_tree():
    assert repr(Linear()) == "Linear<in=1, out=1>"
    assert repr(WithLoss(LinearNet())) == (
        "WithLoss<\n"
        "  (_backbone): LinearNet<\n"
        "    (fc): Linear<in=1, out=1>\n"
        "    >\n"
        "  >")


def test_an_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="fcc"):
        LinearNet().fcc


def test_a_cell_without_construct_raises_not_implemented_when_called():
    class NoConstruct(nn.Cell):
        pass

    with pytest.raises(NotImplementedError, match="For 'NoConstruct', the method 'construct' is not defined"):
        NoConstruct()(Tensor(1.0))


def test_assigning_a_parameter_before_super_init_is_a_clear_error():
    class Forgot(nn.Cell):
        def __init__(self):
            self.w = param(1)

    with pytest.raises(AttributeError, match=r"For 'Forgot', call super\(\).__init__\(\) before assigning 'w'"):
        Forgot()


def test_construct_receives_keyword_arguments():
    net = WithLoss(LinearNet())
    out = net(x=Tensor(np.ones((1, 1), np.float32)), y=Tensor(np.ones((1, 1), np.float32)))
    assert out.item() == 1.0
