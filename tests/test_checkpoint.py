"""Checkpoints: an exact round trip through a numpy .npz read without pickle."""
import os
import pickle

import numpy as np
import pytest

import lossviz
import lossviz.nn as nn
from lossviz import Parameter, Tensor, load_checkpoint, load_param_into_net, save_checkpoint


class LinearNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 2)

    def construct(self, x):
        return self.fc(x)


def test_round_trip_is_exact(tmp_path):
    lossviz.set_seed(0)
    net = LinearNet()
    path = save_checkpoint(net, str(tmp_path / "linear.ckpt"))
    assert path.endswith("linear.ckpt") and os.path.exists(path)
    params = load_checkpoint(path)
    assert list(params) == ["fc.weight", "fc.bias"]
    assert all(isinstance(p, Parameter) and p.name == name for name, p in params.items())
    for name, p in net.parameters_and_names():
        assert params[name].asnumpy().dtype == p.asnumpy().dtype
        np.testing.assert_array_equal(params[name].asnumpy(), p.asnumpy())

    other = LinearNet()
    weight_array = other.fc.weight.asnumpy()
    assert load_param_into_net(other, params) == ([], [])
    assert other.fc.weight.asnumpy() is weight_array  # loaded in place: an optimizer keeps seeing it
    x = Tensor(np.random.rand(4, 3).astype(np.float32))
    np.testing.assert_array_equal(other(x).asnumpy(), net(x).asnumpy())


def test_suffix_lists_dicts_and_float64(tmp_path):
    p = Parameter(Tensor(np.arange(3, dtype=np.float64)), name="p")
    path = save_checkpoint([p, {"name": "step", "data": Tensor(np.array(7, np.int32))}], str(tmp_path / "state"))
    assert path.endswith("state.ckpt")
    loaded = load_checkpoint(path)
    assert loaded["p"].dtype == lossviz.float64 and loaded["step"].asnumpy().item() == 7
    assert list(load_checkpoint(path, filter_prefix="st")) == ["p"]


def test_load_into_a_net_reports_what_did_not_match(tmp_path):
    net = LinearNet()
    path = save_checkpoint({"fc.weight": net.fc.weight, "extra": Tensor(np.zeros(1, np.float32))},
                           str(tmp_path / "partial.ckpt"))
    fresh = LinearNet()
    params = load_checkpoint(path, net=fresh)
    np.testing.assert_array_equal(fresh.fc.weight.asnumpy(), net.fc.weight.asnumpy())
    assert load_param_into_net(fresh, params) == (["fc.bias"], ["extra"])
    with pytest.raises(RuntimeError, match="should have the same shape"):
        load_param_into_net(fresh, {"fc.weight": Tensor(np.zeros((3, 3), np.float32))})


def test_a_pickled_payload_is_refused(tmp_path):
    path = tmp_path / "evil.ckpt"
    with open(path, "wb") as f:
        np.savez(f, weight=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(ValueError, match="pickled Python objects; lossviz never unpickles"):
        load_checkpoint(str(path))


def test_damaged_and_foreign_files_are_refused(tmp_path):
    good = save_checkpoint(LinearNet(), str(tmp_path / "good.ckpt"))
    damaged = tmp_path / "damaged.ckpt"
    damaged.write_bytes(open(good, "rb").read()[:60])
    foreign = tmp_path / "mindspore.ckpt"
    foreign.write_bytes(b"\x0a\x09fc.weight\x12\x04\x08\x01\x10\x01" + bytes(20))  # protobuf-like bytes
    pickled = tmp_path / "pickled.ckpt"
    pickled.write_bytes(pickle.dumps({"fc.weight": np.zeros(2)}))
    single = tmp_path / "single.ckpt"
    with open(single, "wb") as f:
        np.save(f, np.zeros(2))
    for path in (damaged, foreign, pickled):
        with pytest.raises(ValueError, match="not a lossviz checkpoint|is damaged"):
            load_checkpoint(str(path))
    with pytest.raises(ValueError, match="single numpy array"):
        load_checkpoint(str(single))
    with pytest.raises(ValueError, match="does not exist"):
        load_checkpoint(str(tmp_path / "missing.ckpt"))


def test_save_errors(tmp_path):
    with pytest.raises(TypeError, match="'save_obj' must be a Cell"):
        save_checkpoint(42, str(tmp_path / "x.ckpt"))
    with pytest.raises(TypeError, match="must hold Parameters"):
        save_checkpoint([np.zeros(2)], str(tmp_path / "x.ckpt"))


# ----- a save never destroys the last good checkpoint; a load never allocates without limit -----
def test_a_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "net.ckpt"
    save_checkpoint({"w": Tensor(np.ones(3, np.float32))}, str(path))

    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint({"w": Tensor(np.zeros(3, np.float32))}, str(path))
    monkeypatch.undo()
    assert load_checkpoint(str(path))["w"].asnumpy().tolist() == [1.0, 1.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.ckpt"]   # no temporary file left behind


def test_the_reserved_name_is_refused(tmp_path):
    with pytest.raises(ValueError, match="'__lossviz_checkpoint__' is reserved"):
        save_checkpoint({"__lossviz_checkpoint__": Tensor(np.ones(2))}, str(tmp_path / "x.ckpt"))


def test_a_damaged_header_is_called_damaged(tmp_path):
    import zipfile
    path = tmp_path / "bad.ckpt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("w.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': <broken")
    with pytest.raises(ValueError, match="'w' .* is damaged"):
        load_checkpoint(str(path))


def test_a_small_file_can_not_allocate_gigabytes(tmp_path):
    import zipfile
    path = tmp_path / "bomb.ckpt"
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1, np.float32))
    header["shape"] = (2 ** 31,)   # 8 GiB of float32 declared, a few bytes stored
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("w.npy", "w") as f:
            np.lib.format.write_array_header_1_0(f, header)
    assert path.stat().st_size < 1000
    with pytest.raises(ValueError, match="max_bytes"):
        load_checkpoint(str(path))
