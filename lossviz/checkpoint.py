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
import os
import zipfile

import numpy as np

from ._engine.parameter import Parameter
from ._engine.tensor import Tensor
from .nn.cell import Cell

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net"]

_FORMAT_KEY = "__lossviz_checkpoint__"


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
    # NOTE: through a file object, so numpy does not append '.npz' to the name.
    with open(path, "wb") as f:
        np.savez(f, **payload)
    return path


def load_checkpoint(ckpt_file_name, net=None, strict_load=False, filter_prefix=None, **kwargs):
    """Read a checkpoint: ``{name: Parameter}`` (and load it into ``net`` when given).

    ``filter_prefix`` (a str or a list of str) drops the parameters whose
    names start with it.
    """
    path = os.fspath(ckpt_file_name)
    if not os.path.isfile(path):
        raise ValueError(f"For 'load_checkpoint', the checkpoint file {path!r} does not exist.")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"For 'load_checkpoint', {path!r} is not a lossviz checkpoint (a numpy .npz archive "
                         f"written by lossviz.save_checkpoint); it may be damaged, or a file of another kind "
                         f"(MindSpore's protobuf .ckpt files can not be read). Details: {err}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"For 'load_checkpoint', {path!r} holds a single numpy array, not a checkpoint archive.")
    prefixes = () if filter_prefix is None else (
        (filter_prefix,) if isinstance(filter_prefix, str) else tuple(filter_prefix))
    params = {}
    with archive:
        for name in archive.files:
            if name == _FORMAT_KEY or name.startswith(prefixes):
                continue
            try:
                data = archive[name]
            except ValueError as err:  # an object array: it would need pickle
                raise ValueError(f"For 'load_checkpoint', the entry {name!r} of {path!r} holds pickled Python "
                                 f"objects; lossviz never unpickles checkpoint data ({err}).") from None
            except (OSError, zipfile.BadZipFile, EOFError) as err:
                raise ValueError(f"For 'load_checkpoint', the entry {name!r} of {path!r} is damaged: {err}") from None
            params[name] = Parameter(data, name=name)
    if net is not None:
        load_param_into_net(net, params, strict_load=strict_load)
    return params


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
