"""Checkpoints: save trained parameters to a file and load them back.

A lossviz ``.ckpt`` is a numpy ``.npz`` archive: one array per parameter,
keyed by the parameter's name (``fc.weight``). It is read with
``allow_pickle=False``, so loading a file never runs code; a damaged or
foreign file (MindSpore's own protobuf ``.ckpt`` included) is refused with a
clear error.

>>> import os, tempfile
>>> from lossviz import nn
>>> path = os.path.join(tempfile.mkdtemp(), "linear.ckpt")
>>> net = nn.Dense(1, 1)
>>> saved = save_checkpoint(net, path)
>>> params = load_checkpoint(path)
>>> sorted(params)
['bias', 'weight']
>>> load_param_into_net(nn.Dense(1, 1), params)
([], [])
"""
import contextlib
import os
import tempfile
import zipfile

import numpy as np

from ._engine.parameter import Parameter
from ._engine.tensor import Tensor
from .nn.cell import Cell

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net"]

_FORMAT_KEY = "__lossviz_checkpoint__"   # marks the file as ours; no parameter may take this name
MAX_BYTES = 2 << 30   # what load_checkpoint may allocate unless told otherwise (2 GiB)


def _named_arrays(save_obj):
    if isinstance(save_obj, Cell):
        return [(name, p._data) for name, p in save_obj.parameters_and_names()]
    if isinstance(save_obj, dict):
        items = list(save_obj.items())
    elif isinstance(save_obj, (list, tuple)):
        items = []
        for item in save_obj:
            if isinstance(item, Parameter):
                items.append((item.name, item))
            elif isinstance(item, dict) and "name" in item and "data" in item:
                items.append((item["name"], item["data"]))
            else:
                raise TypeError(f"For 'save_checkpoint', a list must hold Parameters or dicts "
                                f"{{'name': ..., 'data': ...}}, but got {type(item).__name__}.")
    else:
        raise TypeError(f"For 'save_checkpoint', the 'save_obj' must be a Cell, a list of Parameters or a dict "
                        f"{{name: Tensor}}, but got {type(save_obj).__name__}.")
    arrays = []
    for name, value in items:
        if not isinstance(name, str) or not name:
            raise ValueError(f"For 'save_checkpoint', every parameter needs a non-empty str name, but got {name!r}.")
        if name == _FORMAT_KEY:
            raise ValueError(f"For 'save_checkpoint', the name {name!r} is reserved (it marks lossviz checkpoints); "
                             f"rename that parameter.")
        if isinstance(value, Tensor):
            value = value._data
        elif isinstance(value, (np.ndarray, np.number, int, float)):
            value = np.asarray(value)
        else:
            raise TypeError(f"For 'save_checkpoint', the value of '{name}' must be a Tensor or a numpy array, "
                            f"but got {type(value).__name__}.")
        arrays.append((name, value))
    return arrays


def save_checkpoint(save_obj, ckpt_file_name, **kwargs):
    """Save the parameters of a Cell (or a list of Parameters / a dict name -> Tensor) to ``ckpt_file_name``.

    ``.ckpt`` is appended when the name has no extension of that kind, as MindSpore does.
    """
    arrays = _named_arrays(save_obj)
    names = [n for n, _ in arrays]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"For 'save_checkpoint', parameter names must be unique, but {dup} appear more than once.")
    for name, value in arrays:
        if value.dtype.hasobject:
            raise TypeError(f"For 'save_checkpoint', the value of '{name}' must be a numeric array, "
                            f"but got dtype {value.dtype}.")
    path = os.fspath(ckpt_file_name)
    if not path.endswith(".ckpt"):
        path += ".ckpt"
    payload = {_FORMAT_KEY: np.array(1, np.int32)}
    payload.update(arrays)
    _write_atomically(path, payload)
    return path


def _write_atomically(path, payload):
    """Write the archive to a temporary file beside ``path``, then move it over ``path`` in one step.

    A save that fails half-way (a full disk, an interrupt) leaves the previous
    checkpoint as it was; the temporary file is removed.
    """
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".ckpt-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, **payload)   # NOTE: through a file object, so numpy does not append '.npz'
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def load_checkpoint(ckpt_file_name, net=None, strict_load=False, filter_prefix=None, max_bytes=MAX_BYTES, **kwargs):
    """Read a checkpoint: ``{name: Parameter}`` (and load it into ``net`` when given).

    ``filter_prefix`` (a str or a list of str) drops the parameters whose
    names start with it. ``max_bytes`` caps what the checkpoint may allocate
    (its arrays' sizes, read from their headers before any data is read).
    """
    path = os.fspath(ckpt_file_name)
    if not os.path.isfile(path):
        raise ValueError(f"For 'load_checkpoint', the checkpoint file {path!r} does not exist.")
    prefixes = () if filter_prefix is None else (
        (filter_prefix,) if isinstance(filter_prefix, str) else tuple(filter_prefix))
    with open(path, "rb") as f:
        if f.read(6) == b"\x93NUMPY":
            raise ValueError(f"For 'load_checkpoint', {path!r} holds a single numpy array, not a checkpoint archive.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise ValueError(f"For 'load_checkpoint', {path!r} is not a lossviz checkpoint (a numpy .npz archive "
                         f"written by lossviz.save_checkpoint); it may be damaged, or a file of another kind "
                         f"(MindSpore's protobuf .ckpt files can not be read). Details: {err}") from None
    params, total = {}, 0
    with archive:
        for member in archive.infolist():
            name = member.filename.removesuffix(".npy")
            if name == _FORMAT_KEY or name.startswith(prefixes):
                continue
            total += _declared_bytes(archive, member, name, path)
            if total > max_bytes:
                raise ValueError(f"For 'load_checkpoint', {path!r} would allocate more than 'max_bytes' = "
                                 f"{max_bytes} bytes (its arrays declare {total} bytes so far); pass a larger "
                                 f"max_bytes if you trust the file.")
            params[name] = Parameter(_read_array(archive, member, name, path), name=name)
    if net is not None:
        load_param_into_net(net, params, strict_load=strict_load)
    return params


def _header(f):
    """(shape, fortran_order, dtype) of a .npy stream, without reading its data."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)
    raise ValueError(f"unknown .npy format version {version}")


def _declared_bytes(archive, member, name, path):
    """How many bytes the entry's array would take, from its header; a clear error for a damaged or pickled one."""
    try:
        with archive.open(member) as f:
            shape, _, dtype = _header(f)
    except Exception as err:   # numpy parses the header with literal_eval: damaged bytes can raise anything
        raise ValueError(f"For 'load_checkpoint', the entry {name!r} of {path!r} is damaged (its array header "
                         f"can not be read: {err}).") from None
    if dtype.hasobject:
        raise ValueError(f"For 'load_checkpoint', the entry {name!r} of {path!r} holds pickled Python objects; "
                         f"lossviz never unpickles checkpoint data.")
    return int(np.prod(shape, dtype=np.int64)) * dtype.itemsize


def _read_array(archive, member, name, path):
    try:
        with archive.open(member) as f:
            return np.lib.format.read_array(f, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"For 'load_checkpoint', the entry {name!r} of {path!r} is damaged: {err}") from None


def load_param_into_net(net, parameter_dict, strict_load=False):
    """Copy the values of ``parameter_dict`` into the same-named parameters of ``net``, in place.

    Returns ``(param_not_load, ckpt_not_load)``: the net's parameters that got
    no value, and the checkpoint's entries that matched no parameter.
    A shape mismatch raises ``RuntimeError``; dtypes are converted to the
    net's.
    """
    if not isinstance(net, Cell):
        raise TypeError(f"For 'load_param_into_net', the 'net' must be a Cell, but got {type(net).__name__}.")
    if not isinstance(parameter_dict, dict):
        raise TypeError(f"For 'load_param_into_net', the 'parameter_dict' must be a dict, "
                        f"but got {type(parameter_dict).__name__}.")
    param_not_load = []
    used = set()
    for name, param in net.parameters_and_names():
        if name not in parameter_dict:
            param_not_load.append(name)
            continue
        value = parameter_dict[name]
        data = value._data if isinstance(value, Tensor) else np.asarray(value)
        if data.shape != param._data.shape:
            raise RuntimeError(f"For 'load_param_into_net', {name} in the argument 'net' should have the same shape "
                               f"as {name} in the argument 'parameter_dict', but got {param._data.shape} and "
                               f"{data.shape}.")
        np.copyto(param._data, data, casting="unsafe")  # in place: optimizers keep seeing the same array
        used.add(name)
    ckpt_not_load = [name for name in parameter_dict if name not in used]
    return param_not_load, ckpt_not_load
