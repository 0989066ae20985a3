"""lossviz.dataset: GeneratorDataset, batch, shuffle, repeat, map, NumpySlicesDataset (spec §5.8)."""
import numpy as np
import pytest

import lossviz
from lossviz import Tensor
from lossviz import dataset as ds
from lossviz.tutorial_code import create_dataset


def rows(n, start=0):
    return [(np.array([float(i)], np.float32), np.array([2.0 * i], np.float32)) for i in range(start, start + n)]


def first_column(dataset):
    return [float(r[0].asnumpy().ravel()[0]) for r in dataset.create_tuple_iterator()]


# ----- shuffling -----
def test_a_list_source_is_shuffled_by_default_with_a_new_order_each_pass():
    lossviz.set_seed(0)
    dataset = ds.GeneratorDataset(rows(50), column_names=["data", "label"])
    first, second = first_column(dataset), first_column(dataset)
    assert sorted(first) == sorted(second) == [float(i) for i in range(50)]
    assert first != second and first != sorted(first)


def test_shuffle_false_keeps_the_source_order():
    dataset = ds.GeneratorDataset(rows(20), ["data", "label"], shuffle=False)
    assert first_column(dataset) == [float(i) for i in range(20)]


def test_set_seed_makes_the_shuffle_reproducible():
    orders = []
    for _ in range(2):
        lossviz.set_seed(3)
        dataset = ds.GeneratorDataset(rows(30), ["data", "label"])
        orders.append((first_column(dataset), first_column(dataset)))
    assert orders[0] == orders[1]


def test_the_dataset_does_not_touch_numpys_global_rng():
    np.random.seed(1)
    dataset = ds.GeneratorDataset(rows(10), ["data", "label"]).batch(4)
    list(dataset.create_tuple_iterator())
    value = np.random.random()
    np.random.seed(1)
    assert value == np.random.random()


def test_a_generator_function_or_iterable_is_read_in_order():
    def gen():
        for i in range(7):
            yield np.array([i], np.int64), np.array([i * 10], np.int64)

    dataset = ds.GeneratorDataset(gen, ["a", "b"])
    assert first_column(dataset) == list(range(7)) == first_column(dataset)
    assert dataset.get_dataset_size() == 7
    with pytest.raises(ValueError, match="'shuffle' is not supported"):
        ds.GeneratorDataset(gen, ["a", "b"], shuffle=True)


def test_a_random_access_object_is_supported():
    class Source:
        def __getitem__(self, i):
            return np.array([i], np.float32), np.array([i], np.float32)

        def __len__(self):
            return 5

    dataset = ds.GeneratorDataset(Source(), ["x", "y"], shuffle=False).batch(2)
    assert [b[0].asnumpy().ravel().tolist() for b in dataset] == [[0, 1], [2, 3], [4]]


def test_buffer_shuffle_gives_a_permutation():
    lossviz.set_seed(0)
    for buffer_size in (2, 5, 100):
        out = first_column(ds.GeneratorDataset(rows(20), ["a", "b"], shuffle=False).shuffle(buffer_size))
        assert sorted(out) == [float(i) for i in range(20)]
    with pytest.raises(ValueError, match="'buffer_size' must be in range"):
        ds.GeneratorDataset(rows(3), ["a", "b"]).shuffle(1)


# ----- columns and errors -----
def test_column_names_are_required():
    with pytest.raises(ValueError, match="Neither columns_names nor schema are provided"
                                         "|neither columns_names nor schema are provided"):
        ds.GeneratorDataset(rows(3))


def test_a_column_count_mismatch_surfaces_at_iteration():
    dataset = ds.GeneratorDataset(rows(4), column_names=["data", "label1", "label2"])  # no error yet
    with pytest.raises(RuntimeError, match="the size of column_names is:3 and number of returned NumPy array is:2"):
        list(dataset.create_tuple_iterator())
    batched = ds.GeneratorDataset(rows(4), column_names=["data"]).batch(2)
    with pytest.raises(RuntimeError, match="the size of column_names is:1 and number of returned NumPy array is:2"):
        list(batched)


def test_dtypes_are_preserved_and_scalars_become_0d():
    source = [(np.array([1.5], np.float64), 2.5, 3)]
    row = next(iter(ds.GeneratorDataset(source, ["a", "b", "c"]).create_tuple_iterator()))
    assert [t.dtype for t in row] == [lossviz.float64, lossviz.float64, lossviz.int64]
    assert row[1].shape == () and row[2].shape == ()
    assert all(isinstance(t, Tensor) for t in row)


def test_get_col_names_and_dict_iterator():
    dataset = ds.GeneratorDataset(rows(3), ["data", "label"], shuffle=False)
    assert dataset.get_col_names() == ["data", "label"]
    first = next(iter(dataset.create_dict_iterator()))
    assert list(first) == ["data", "label"] and isinstance(first["label"], Tensor)
    assert first["label"].asnumpy().tolist() == [0.0]
    numpy_row = next(iter(dataset.create_tuple_iterator(output_numpy=True)))
    assert isinstance(numpy_row[0], np.ndarray)
    only = next(iter(dataset.create_tuple_iterator(columns=["label"])))
    assert len(only) == 1


# ----- batch -----
def test_batch_stacks_rows_and_keeps_the_short_last_batch():
    dataset = ds.GeneratorDataset(rows(40), ["data", "label"]).batch(16)
    shapes = [tuple(t.shape for t in b) for b in dataset.create_tuple_iterator()]
    assert shapes == [((16, 1), (16, 1)), ((16, 1), (16, 1)), ((8, 1), (8, 1))]
    assert dataset.get_dataset_size() == 3 and dataset.get_batch_size() == 16
    dropped = ds.GeneratorDataset(rows(40), ["data", "label"]).batch(16, drop_remainder=True)
    assert dropped.get_dataset_size() == 2 and len(list(dropped)) == 2


def test_batch_of_the_tutorial_dataset():
    dataset = create_dataset(num_data=160)  # cell [5]: GeneratorDataset(list(get_data(160)), ...).batch(16)
    batches = list(dataset.create_tuple_iterator())
    assert len(batches) == dataset.get_dataset_size() == 10
    assert all(b[0].shape == (16, 1) and b[0].dtype == lossviz.float32 for b in batches)
    x, y = np.concatenate([b[0].asnumpy() for b in batches]), np.concatenate([b[1].asnumpy() for b in batches])
    assert np.abs(y - (2 * x + 3)).mean() < 1.5  # rows stay paired through the shuffle


def test_streamed_batches_from_a_generator_and_ragged_rows():
    def gen():
        for i in range(5):
            yield (np.full((2,), i, np.float32),)

    assert [b[0].shape for b in ds.GeneratorDataset(gen, ["x"]).batch(2)] == [(2, 2), (2, 2), (1, 2)]
    ragged = ds.GeneratorDataset([(np.zeros(2),), (np.zeros(3),)], ["x"], shuffle=False)
    assert [r[0].shape for r in ragged] == [(2,), (3,)]  # fine unbatched
    with pytest.raises(RuntimeError, match="must all have the same shape"):
        list(ragged.batch(2))


@pytest.mark.parametrize("batch_size,error", [(0, ValueError), (2**31, ValueError), (2.0, TypeError),
                                              (True, TypeError), ("16", TypeError)])
def test_batch_size_validation(batch_size, error):
    with pytest.raises(error, match="'batch_size'"):
        ds.GeneratorDataset(rows(3), ["a", "b"]).batch(batch_size)


# ----- repeat, map, NumpySlicesDataset -----
def test_repeat_and_map():
    dataset = ds.GeneratorDataset(rows(3), ["a", "b"], shuffle=False).repeat(2)
    assert first_column(dataset) == [0.0, 1.0, 2.0, 0.0, 1.0, 2.0]
    assert dataset.get_dataset_size() == 6
    mapped = ds.GeneratorDataset(rows(3), ["a", "b"], shuffle=False).map(lambda a: a * 10, input_columns="a")
    assert first_column(mapped) == [0.0, 10.0, 20.0]
    with pytest.raises(ValueError, match="'count'"):
        ds.GeneratorDataset(rows(3), ["a", "b"]).repeat(0)


def test_numpy_slices_dataset():
    data = {"x": np.arange(6, dtype=np.float32).reshape(3, 2), "y": np.array([0, 1, 0])}
    dataset = ds.NumpySlicesDataset(data, shuffle=False)
    assert dataset.get_col_names() == ["x", "y"]
    assert [r[1].item() for r in dataset] == [0, 1, 0]
    tuple_ds = ds.NumpySlicesDataset((np.zeros((4, 2)), np.ones(4)), column_names=["a", "b"]).batch(3)
    assert [b[0].shape for b in tuple_ds] == [(3, 2), (1, 2)]
    one_column = ds.NumpySlicesDataset([1, 2, 3], shuffle=False)
    assert one_column.get_col_names() == ["column_0"] and [r[0].item() for r in one_column] == [1, 2, 3]
    with pytest.raises(ValueError, match="same length"):
        ds.NumpySlicesDataset((np.zeros(3), np.zeros(4)))


# ----- one-pass sources, empty datasets, dicts -----
def _pairs(n):
    for i in range(n):
        yield np.array([i], np.float32), np.array([2 * i], np.float32)


def test_a_generator_object_gives_one_pass_and_then_a_clear_error():
    dataset = ds.GeneratorDataset(_pairs(8), column_names=["data", "label"]).batch(4)
    assert dataset.get_dataset_size() == 2            # counting does not use up the pass
    first = [d.asnumpy()[:, 0].tolist() for d, _ in dataset.create_tuple_iterator()]
    assert first == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ValueError, match="read only once.*second pass"):
        list(dataset.create_tuple_iterator())


def test_a_generator_function_is_read_on_every_pass():
    dataset = ds.GeneratorDataset(lambda: _pairs(4), column_names=["data", "label"]).batch(2)
    assert len(list(dataset.create_tuple_iterator())) == len(list(dataset.create_tuple_iterator())) == 2


def test_an_empty_dataset_is_an_error_at_train():
    import lossviz.nn as nn
    from lossviz import Model
    dataset = ds.GeneratorDataset([], column_names=["data", "label"]).batch(4)
    net = nn.Dense(1, 1)
    model = Model(net, nn.L1Loss(), nn.Momentum(net.trainable_params(), 0.01, 0.9))
    with pytest.raises(ValueError, match="'train_dataset' has no batches"):
        model.train(1, dataset)


def test_a_dict_source_is_refused_clearly():
    with pytest.raises(TypeError, match="'source' must not be a dict"):
        ds.GeneratorDataset({"data": [1, 2]}, column_names=["data"])
