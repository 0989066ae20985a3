"""Datasets: rows of numpy columns, shuffled, batched, fed to ``Model.train``.

As ``mindspore.dataset`` (the tutorial writes ``from mindspore import dataset as ds``)::

    dataset = ds.GeneratorDataset(list(get_data(160)), column_names=['data', 'label'])
    dataset = dataset.batch(16)          # 10 batches of (16, 1) Tensors per column
    for data, label in dataset.create_tuple_iterator(): ...

Behaviour worth knowing (as MindSpore):

* A source with random access (a list, or any object with ``__getitem__``
  and ``__len__``) is **shuffled by default**, with a new order on every pass
  (epoch). ``lossviz.set_seed(s)`` makes the orders reproducible;
  ``shuffle=False`` keeps the source order.
* A generator function or an iterable is read in order (not shuffled).
* Each source item is a tuple with one numpy array per column. A wrong
  number of arrays is reported when the data is read (``RuntimeError``).
* ``batch`` stacks rows along a new first axis and keeps the short last batch
  unless ``drop_remainder=True``.

A list source is read once, on the first pass, and kept as one array per
column; later passes only reorder and slice those arrays.
"""
import collections.abc
import numbers

import numpy as np

from ._engine.random import generator
from ._engine.tensor import Tensor

__all__ = ["Dataset", "GeneratorDataset", "NumpySlicesDataset"]

_INT32_MAX = 2**31 - 1


class Dataset:
    """A node of the data pipeline. Subclasses give ``_rows()`` (one pass, rows as tuples of arrays),
    optionally ``_columns()`` (one pass as whole column arrays, or None) and ``_num_rows()``."""

    def __init__(self, child=None):
        self.children = [child] if child is not None else []
        self.column_names = child.column_names if child is not None else []

    # ----- what each node implements -----
    def _rows(self):
        raise NotImplementedError

    def _columns(self):
        return None

    def _num_rows(self):
        raise NotImplementedError

    # ----- building a pipeline -----
    def batch(self, batch_size, drop_remainder=False, num_parallel_workers=None, per_batch_map=None,
              input_columns=None, output_columns=None, **kwargs):
        """Group ``batch_size`` rows into one, stacking each column along a new axis 0."""
        if per_batch_map is not None:
            raise NotImplementedError("For 'batch', 'per_batch_map' is not supported by lossviz; use map() before "
                                      "batch() instead.")
        return BatchDataset(self, batch_size, drop_remainder)

    def shuffle(self, buffer_size):
        """Shuffle rows through a buffer of ``buffer_size`` rows (>= the size gives a full shuffle)."""
        return ShuffleDataset(self, buffer_size)

    def repeat(self, count=None):
        """Repeat the data ``count`` times (``None`` or ``-1``: forever)."""
        return RepeatDataset(self, count)

    def map(self, operations, input_columns=None, output_columns=None, **kwargs):
        """Apply ``operations`` (a callable or a list, applied in order) to ``input_columns`` of each row."""
        return MapDataset(self, operations, input_columns, output_columns)

    # ----- information -----
    def get_dataset_size(self):
        """The number of rows of one pass (of batches, after ``batch``)."""
        return self._num_rows()

    def get_col_names(self):
        return list(self.column_names)

    def get_batch_size(self):
        return self.children[0].get_batch_size() if self.children else 1

    def output_shapes(self):
        row = next(iter(self._rows()))
        return [list(np.shape(c)) for c in row]

    def output_types(self):
        row = next(iter(self._rows()))
        return [np.asarray(c).dtype for c in row]

    # ----- iteration -----
    def create_tuple_iterator(self, columns=None, num_epochs=-1, output_numpy=False, do_copy=True):
        """Rows as lists of Tensors (numpy arrays with ``output_numpy=True``), one pass per ``for`` loop."""
        return _Iterator(self, columns, num_epochs, output_numpy, as_dict=False)

    def create_dict_iterator(self, num_epochs=-1, output_numpy=False, do_copy=True):
        """Rows as ``{column name: Tensor}``."""
        return _Iterator(self, None, num_epochs, output_numpy, as_dict=True)

    def __iter__(self):
        return iter(self.create_tuple_iterator())

    def _tensor_rows(self):
        """One pass as lists of Tensors (what ``Model.train`` iterates)."""
        wrap = Tensor._wrap
        for row in self._rows():
            yield [wrap(c) for c in row]

    def __repr__(self):
        return f"{type(self).__name__}(columns={self.column_names})"


class _Iterator:
    """Iterates passes over a dataset; each exhausted pass starts a new one on the next ``for``."""

    def __init__(self, dataset, columns, num_epochs, output_numpy, as_dict):
        self.dataset, self.num_epochs, self.output_numpy, self.as_dict = dataset, num_epochs, output_numpy, as_dict
        names = dataset.column_names
        if columns is not None:
            columns = [columns] if isinstance(columns, str) else list(columns)
            for c in columns:
                if c not in names:
                    raise ValueError(f"For 'create_tuple_iterator', the column '{c}' is not one of {names}.")
            self._index = [names.index(c) for c in columns]
        else:
            self._index = None
        self._passes = 0
        self._it = None

    def __iter__(self):
        return self

    def __next__(self):
        if self._it is None:
            if 0 <= self.num_epochs <= self._passes:
                raise StopIteration
            self._it = iter(self.dataset._rows())
            self._passes += 1
        try:
            row = next(self._it)
        except StopIteration:
            self._it = None
            raise
        if self._index is not None:
            row = [row[i] for i in self._index]
        if self.output_numpy:
            values = [np.asarray(c) for c in row]
        else:  # rows hold ndarrays already (converted when read from the source)
            wrap = Tensor._wrap
            values = [wrap(c) for c in row]
        if self.as_dict:
            return dict(zip(self.dataset.column_names, values))
        return values

    def stop(self):
        self._it = None


# ----- the source -----
class GeneratorDataset(Dataset):
    """Rows from a Python source: a list / random-access object, a generator function or an iterable.

    ``column_names`` (required) names the arrays of each item. ``shuffle``
    defaults to True for random-access sources and must not be True for the
    others. ``num_samples`` keeps only that many rows per pass.
    Other MindSpore arguments (workers, sharding...) are accepted and ignored.
    """

    def __init__(self, source, column_names=None, column_types=None, schema=None, num_samples=None,
                 num_parallel_workers=1, shuffle=None, sampler=None, num_shards=None, shard_id=None,
                 python_multiprocessing=True, max_rowsize=None):
        super().__init__()
        if column_names is None:
            raise ValueError("For 'GeneratorDataset', neither columns_names nor schema are provided: "
                             "pass column_names=['data', 'label'] (one name per array of each item).")
        if isinstance(column_names, str):
            column_names = [column_names]
        if not isinstance(column_names, (list, tuple)) or not column_names or \
                not all(isinstance(c, str) for c in column_names):
            raise TypeError(f"For 'GeneratorDataset', the 'column_names' must be a str or a non-empty list of str, "
                            f"but got {column_names!r}.")
        if len(set(column_names)) != len(column_names):
            raise ValueError(f"For 'GeneratorDataset', the 'column_names' must be unique, but got {column_names}.")
        self.column_names = list(column_names)
        if num_samples is not None and (isinstance(num_samples, bool) or not isinstance(num_samples, int)
                                        or num_samples < 0):
            raise ValueError(f"For 'GeneratorDataset', the 'num_samples' must be a non-negative int or None, "
                             f"but got {num_samples!r}.")
        self.num_samples = num_samples or None
        if isinstance(source, collections.abc.Mapping):
            raise TypeError("For 'GeneratorDataset', the 'source' must not be a dict (its keys are not the row "
                            "numbers 0..n-1): pass a list of rows, e.g. list(zip(d['data'], d['label'])).")
        self.source = source
        self._random_access = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        # a generator object or an iterator can be read only once (a generator *function* is called each pass)
        self._one_pass = not self._random_access and not callable(source) and iter(source) is source
        self._read_once = None   # a one-pass source's items, read when first counted or iterated
        self._passes = 0
        if not self._random_access and not callable(source) and not hasattr(source, "__iter__"):
            raise TypeError(f"For 'GeneratorDataset', the 'source' must be a random-access object (list...), "
                            f"a generator function or an iterable, but got {type(source).__name__}.")
        if shuffle is not None and not isinstance(shuffle, bool):
            raise TypeError(f"For 'GeneratorDataset', the 'shuffle' must be a bool or None, "
                            f"but got {type(shuffle).__name__}.")
        if shuffle and not self._random_access:
            raise ValueError("For 'GeneratorDataset', 'shuffle' is not supported for a generator function or an "
                             "iterable source (it has no random access); use .shuffle(buffer_size) instead.")
        self.shuffle_flag = self._random_access if shuffle is None else shuffle
        self._rng = generator() if self.shuffle_flag else None
        self._cache = None  # list sources: (rows, columns-or-None), filled on the first pass
        self._cacheable = isinstance(source, (list, tuple))
        self._count = None

    # one row, checked
    def _row(self, item):
        if isinstance(item, tuple) or isinstance(item, list):
            row = tuple(c._data if isinstance(c, Tensor) else np.asarray(c) for c in item)
        else:
            row = (item._data if isinstance(item, Tensor) else np.asarray(item),)
        if len(row) != len(self.column_names):
            raise RuntimeError(
                f"Exception thrown from user defined Python function in dataset: the 'source' of "
                f"'GeneratorDataset' should return same number of NumPy arrays as specified in column_names, "
                f"the size of column_names is:{len(self.column_names)} and number of returned NumPy array "
                f"is:{len(row)}. column_names={self.column_names}.")
        return row

    def _order(self, n):
        order = self._rng.permutation(n) if self.shuffle_flag else None
        if self.num_samples is not None and self.num_samples < n:
            order = order[:self.num_samples] if order is not None else np.arange(self.num_samples)
        return order

    def _load_cache(self):
        rows = [self._row(item) for item in self.source]
        columns = None
        if rows:
            try:
                columns = [np.stack([r[i] for r in rows]) for i in range(len(self.column_names))]
            except ValueError:  # ragged rows: keep them as rows
                columns = None
        self._cache = (rows, columns)

    def _columns(self):
        if not self._cacheable:
            return None
        if self._cache is None:
            self._load_cache()
        rows, columns = self._cache
        if columns is None:
            return None
        order = self._order(len(rows))
        return columns if order is None else [c[order] for c in columns]

    def _rows(self):
        if self._random_access:
            if self._cacheable:
                if self._cache is None:
                    self._load_cache()
                rows = self._cache[0]
                order = self._order(len(rows))
                return iter(rows) if order is None else (rows[i] for i in order)
            order = self._order(len(self.source))
            order = range(len(self.source)) if order is None else order
            return (self._row(self.source[int(i)]) for i in order)
        return self._iter_source()

    def _items(self):
        """The source's items for one pass (a one-pass source: for its one and only pass)."""
        if not self._one_pass:
            return self.source() if callable(self.source) else iter(self.source)
        if self._read_once is None:
            self._read_once = list(self.source)
        self._passes += 1
        if self._passes > 1:
            raise ValueError(
                "For 'GeneratorDataset', the 'source' is a generator object or an iterator, which can be read only "
                "once, and this is the second pass (epoch). Pass the generator function itself "
                "(GeneratorDataset(my_generator, ...), not my_generator()) or a list, to read it on every epoch.")
        return iter(self._read_once)

    def _iter_source(self):
        items = self._items()
        for n, item in enumerate(items):
            if self.num_samples is not None and n >= self.num_samples:
                break
            yield self._row(item)

    def _num_rows(self):
        if self._random_access:
            n = len(self.source)
        else:
            if self._count is None:  # as MindSpore: a generator is run once to count its rows
                if self._one_pass:   # counting must not use up the only pass: keep what was read
                    if self._read_once is None:
                        self._read_once = list(self.source)
                    self._count = len(self._read_once)
                else:
                    self._count = sum(1 for _ in (self.source() if callable(self.source) else iter(self.source)))
            n = self._count
        return min(n, self.num_samples) if self.num_samples is not None else n


class NumpySlicesDataset(GeneratorDataset):
    """Rows sliced along the first axis of in-memory data.

    ``data`` may be a dict ``{name: array}`` (one column per key), a tuple of
    arrays (one column each), or a list / array (one column). Default column
    names are ``column_0``, ``column_1``...
    """

    def __init__(self, data, column_names=None, num_samples=None, num_parallel_workers=1, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None):
        if isinstance(data, dict):
            names, columns = list(data.keys()), [np.asarray(_data_of(v)) for v in data.values()]
        elif isinstance(data, tuple):
            names, columns = None, [np.asarray(_data_of(v)) for v in data]
        else:
            names, columns = None, [np.asarray(_data_of(data))]
        if column_names is None:
            column_names = names or [f"column_{i}" for i in range(len(columns))]
        column_names = [column_names] if isinstance(column_names, str) else list(column_names)
        if len(column_names) != len(columns):
            raise ValueError(f"For 'NumpySlicesDataset', the number of 'column_names' ({len(column_names)}) must "
                             f"equal the number of columns in 'data' ({len(columns)}).")
        for c in columns:
            if c.ndim == 0 or len(c) != len(columns[0]):
                raise ValueError("For 'NumpySlicesDataset', every column of 'data' must have the same length "
                                 f"along axis 0, but got shapes {[x.shape for x in columns]}.")
        rows = [tuple(c[i] for c in columns) for i in range(len(columns[0]))]
        super().__init__(rows, column_names, num_samples=num_samples, shuffle=shuffle)
        self._cache = (rows, columns)


def _data_of(value):
    return value.asnumpy() if isinstance(value, Tensor) else value


# ----- pipeline nodes -----
class BatchDataset(Dataset):
    """``batch_size`` rows stacked into one row (each column gains a leading axis)."""

    def __init__(self, child, batch_size, drop_remainder=False):
        super().__init__(child)
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(f"For 'batch', the 'batch_size' must be an int, but got {type(batch_size).__name__}.")
        if not 1 <= batch_size <= _INT32_MAX:
            raise ValueError(f"For 'batch', the 'batch_size' must be in range [1, {_INT32_MAX}], but got {batch_size}.")
        if not isinstance(drop_remainder, bool):
            raise TypeError(f"For 'batch', the 'drop_remainder' must be a bool, "
                            f"but got {type(drop_remainder).__name__}.")
        self.batch_size, self.drop_remainder = int(batch_size), drop_remainder

    def get_batch_size(self):
        return self.batch_size

    def _rows(self):
        columns = self.children[0]._columns()
        if columns is not None:
            return self._slices(columns)
        return self._stacked(self.children[0]._rows())

    def _slices(self, columns):
        # NOTE: the fast path: the whole pass is already one array per column, so a batch is a slice.
        n, size = len(columns[0]), self.batch_size
        stop = n - n % size if self.drop_remainder else n
        for start in range(0, stop, size):
            yield tuple(c[start:start + size] for c in columns)

    def _stacked(self, rows):
        buffer = []
        for row in rows:
            buffer.append(row)
            if len(buffer) == self.batch_size:
                yield self._stack(buffer)
                buffer = []
        if buffer and not self.drop_remainder:
            yield self._stack(buffer)

    def _stack(self, rows):
        out = []
        for i, name in enumerate(self.column_names):
            try:
                out.append(np.stack([r[i] for r in rows]))
            except ValueError:
                shapes = sorted({np.shape(r[i]) for r in rows})
                raise RuntimeError(f"For 'batch', the rows of column '{name}' must all have the same shape to be "
                                   f"batched, but got shapes {shapes}.") from None
        return tuple(out)

    def _num_rows(self):
        n = self.children[0]._num_rows()
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)


class ShuffleDataset(Dataset):
    """Rows shuffled through a buffer: each output row is a random pick from the next ``buffer_size`` rows."""

    def __init__(self, child, buffer_size):
        super().__init__(child)
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, numbers.Integral):
            raise TypeError(f"For 'shuffle', the 'buffer_size' must be an int, but got {type(buffer_size).__name__}.")
        if not 2 <= buffer_size <= _INT32_MAX:
            raise ValueError(f"For 'shuffle', the 'buffer_size' must be in range [2, {_INT32_MAX}], "
                             f"but got {buffer_size}.")
        self.buffer_size = int(buffer_size)
        self._rng = generator()

    def _columns(self):
        columns = self.children[0]._columns()
        if columns is None or self.buffer_size < len(columns[0]):
            return None
        order = self._rng.permutation(len(columns[0]))
        return [c[order] for c in columns]

    def _rows(self):
        rng, buffer = self._rng, []
        for row in self.children[0]._rows():
            if len(buffer) < self.buffer_size:
                buffer.append(row)
                continue
            i = rng.integers(len(buffer))
            yield buffer[i]
            buffer[i] = row
        while buffer:
            yield buffer.pop(rng.integers(len(buffer)))

    def _num_rows(self):
        return self.children[0]._num_rows()


class RepeatDataset(Dataset):
    """The child's passes one after another, ``count`` times (forever with ``None`` / ``-1``)."""

    def __init__(self, child, count=None):
        if count is None:
            count = -1
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or not (count == -1 or count >= 1):
            raise ValueError(f"For 'repeat', the 'count' must be -1, None or a positive int, but got {count!r}.")
        super().__init__(child)
        self.count = int(count)

    def _rows(self):
        n = 0
        while self.count == -1 or n < self.count:
            yield from self.children[0]._rows()
            n += 1

    def _num_rows(self):
        if self.count == -1:
            raise RuntimeError("For 'get_dataset_size', a dataset repeated forever (repeat() / repeat(-1)) has no size.")
        return self.children[0]._num_rows() * self.count


class MapDataset(Dataset):
    """Each row with ``operations`` applied to ``input_columns`` (default: the first column)."""

    def __init__(self, child, operations, input_columns=None, output_columns=None):
        super().__init__(child)
        operations = list(operations) if isinstance(operations, (list, tuple)) else [operations]
        for op in operations:
            if not callable(op):
                raise TypeError(f"For 'map', every operation must be callable, but got {type(op).__name__}.")
        names = self.column_names
        input_columns = [names[0]] if input_columns is None else (
            [input_columns] if isinstance(input_columns, str) else list(input_columns))
        for c in input_columns:
            if c not in names:
                raise ValueError(f"For 'map', the input column '{c}' is not one of {names}.")
        if output_columns is not None:
            output_columns = [output_columns] if isinstance(output_columns, str) else list(output_columns)
            if len(output_columns) != len(input_columns):
                raise NotImplementedError("For 'map', lossviz supports 'output_columns' only with as many names "
                                          "as 'input_columns'.")
            self.column_names = [output_columns[input_columns.index(n)] if n in input_columns else n for n in names]
        self.operations, self._index = operations, [names.index(c) for c in input_columns]

    def _rows(self):
        index = self._index
        for row in self.children[0]._rows():
            values = [row[i] for i in index]
            for op in self.operations:
                result = op(*values)
                values = list(result) if isinstance(result, tuple) else [result]
            if len(values) != len(index):
                raise RuntimeError(f"For 'map', the operations returned {len(values)} columns for "
                                   f"{len(index)} input columns.")
            row = list(row)
            for i, v in zip(index, values):
                row[i] = v._data if isinstance(v, Tensor) else np.asarray(v)
            yield tuple(row)

    def _num_rows(self):
        return self.children[0]._num_rows()
