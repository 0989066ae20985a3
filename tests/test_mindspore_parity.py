"""Graduate to MindSpore: the tutorial and every notebook print the same numbers on real MindSpore.

In an environment with MindSpore (``pip install -e ".[mindspore]"``; ``bash .ci/run``
makes one and runs this module there with ``LOSSVIZ_REQUIRE_MINDSPORE=1``):

* the tutorial's 17 code cells (``../shared/seed``) and the code cells of every
  notebook twin ``tutorial/*.py`` run twice, in fresh namespaces: as written
  (lossviz), and with ``lossviz`` replaced by ``mindspore``
  (``tests/mindspore_helpers.py``: ``to_mindspore``); the printed text must be
  the same and every printed number equal within float32's tolerance
  (rtol 1e-4). Training runs on the same seeded data, in the same order, from
  the same initial weights: while the MindSpore side runs, its initializers and
  dataset shuffles draw lossviz's random numbers (``aligned_mindspore``);
* ``LiveLossPlot`` cells run on MindSpore with ``from lossviz.viz.mindspore
  import LiveLossPlot``; the curves MindSpore recorded (notebooks 04 and 05,
  20,000 and 2,000 steps; notebook 07's validation lines from ``Model.fit``)
  must be lossviz's, step by step, and the final
  multi-label frame becomes ``docs/images/live_loss_mindspore.png``;
* cells using lossviz's widgets (``lossviz.viz`` other than the callbacks) or
  ``lossviz.check_loss`` are left out on both sides, and so is a cell marked
  ``# lossviz-only: <why>`` or reading a name only such a cell defines; a cell
  marked ``# differs-on-mindspore: <why>`` runs on both, its output is not
  compared. The run prints the list (``pytest -s``).

MindSpore runs the notebooks in GRAPH_MODE (the tutorial era's default; here
about 8x faster than PyNative on the notebooks' 22,000 training steps) and the tutorial cells
and ``test_callbacks_in_pynative_mode`` in PYNATIVE_MODE (2.x's default).

Without MindSpore the module is skipped, unless ``LOSSVIZ_REQUIRE_MINDSPORE=1``
says it must run (CI's MindSpore environment), which makes its absence an error.
"""
import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, require_shared

pytestmark = pytest.mark.mindspore

_REQUIRED = os.environ.get("LOSSVIZ_REQUIRE_MINDSPORE") == "1"
try:
    import mindspore
except ImportError as _error:
    if _REQUIRED:
        pytest.fail(f"LOSSVIZ_REQUIRE_MINDSPORE=1 but MindSpore cannot be imported ({_error}); "
                    f"pip install -e '.[mindspore]'", pytrace=False)
    pytest.skip(f"MindSpore is not installed ({_error}): the MindSpore parity tests run in an environment made "
                f"with pip install -e '.[mindspore]' (bash .ci/run makes one and runs them there, with "
                f"LOSSVIZ_REQUIRE_MINDSPORE=1, which turns this skip into a failure)", allow_module_level=True)

import lossviz  # noqa: E402
import mindspore_helpers as H  # noqa: E402
from _tutorial_cells import SEED, extract_cells, to_lossviz  # noqa: E402
from lossviz.viz import explorer_text, loss_curves, reduction_text  # noqa: E402
from lossviz.viz import mindspore as viz_ms  # noqa: E402
from lossviz.viz.render import draw_history, new_figure  # noqa: E402

TWINS = sorted((ROOT / "tutorial").glob("[0-9][0-9]_*.py"))
PICTURE = ROOT / "docs" / "images" / "live_loss_mindspore.png"
NOTEBOOK_MODE = mindspore.GRAPH_MODE


def _failures(steps, lv, ms, name):
    """Everything that went wrong in one parity run, as messages naming the notebook and the cell."""
    found = []
    for step in steps:
        if not step.run:
            continue
        where = step.cell.where(name)
        a, b = lv.get(step.cell.number), ms.get(step.cell.number)
        for side, result in (("lossviz", a), ("MindSpore", b)):
            if result is None:
                found.append(f"{where}: not run on {side} (an earlier cell failed)")
            elif result.error:
                found.append(f"{where}: raised on {side}:\n{result.error}")
        if step.compare and a and b and not a.error and not b.error:
            found += H.mismatches(where, a.printed, b.printed)
    return found


def _report(name, steps):
    lines = [f"{name}: {sum(s.compare for s in steps)} cells compared, "
             f"{sum(s.run and not s.compare for s in steps)} run only, {sum(not s.run for s in steps)} left out"]
    lines += [f"  {'run only' if s.run else 'left out'}: {s.cell.where(name)}: {s.reason}" for s in steps if s.reason]
    return "\n".join(lines)


class Run:
    """One notebook (or the tutorial), run on lossviz and on MindSpore."""

    def __init__(self, name, cells, directory, mode, seed=None):
        self.name, self.steps = name, H.plan(cells)
        cells = [s.cell for s in self.steps if s.run]
        if seed is not None:
            lossviz.set_seed(seed)
        self.lossviz, self.lossviz_namespace = H.run(cells, directory / "lossviz", name=name)
        with H.aligned_mindspore(mode):
            if seed is not None:
                mindspore.set_seed(seed)
            self.mindspore, self.mindspore_namespace = H.run(cells, directory / "mindspore", swap=H.to_mindspore,
                                                             name=name)
        print("\n" + _report(name, self.steps))

    def failures(self):
        return _failures(self.steps, self.lossviz, self.mindspore, self.name)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``runs(twin)``: the notebook's ``Run``, made once per test session."""
    done = {}

    def get(twin):
        if twin not in done:
            done[twin] = Run(twin.stem, H.code_cells(twin), tmp_path_factory.mktemp(twin.stem), NOTEBOOK_MODE)
        return done[twin]
    return get


# -- the tutorial and the notebooks, number for number ------------------------------------------------
def test_the_tutorials_17_cells_print_the_same_numbers_on_mindspore(tmp_path):
    require_shared(SEED)
    found = extract_cells(SEED.read_text(encoding="utf-8"))
    assert [n for n, _, _ in found] == list(range(1, 18)), "expected the tutorial's 17 code cells [1]..[17]"
    # The seed is MindSpore code: lossviz runs it with the names swapped back (to_mindspore undoes it).
    cells = [H.Cell(number, None, to_lossviz(code)) for number, code, _ in found]
    run = Run(f"the tutorial ({SEED.name})", cells, tmp_path, mindspore.PYNATIVE_MODE, seed=0)
    assert all(step.compare for step in run.steps)
    failures = run.failures()
    assert not failures, "\n\n".join(failures)
    trainings = [n for n, result in run.mindspore.items() if "loss is" in result.printed]
    assert trainings == [9, 10, 16, 17]
    assert all(len(run.mindspore[n].printed.splitlines()) == 10 for n in trainings)


@pytest.mark.parametrize("twin", TWINS, ids=[t.stem for t in TWINS])
def test_each_notebook_prints_the_same_numbers_on_mindspore(twin, runs):
    run = runs(twin)
    assert any(step.compare for step in run.steps), (
        f"{twin.name}: no cell is compared with MindSpore\n{_report(twin.stem, run.steps)}")
    failures = run.failures()
    assert not failures, "\n\n".join(failures) + "\n\n" + _report(twin.stem, run.steps)


def test_markers_say_why():
    """A '# lossviz-only:' or '# differs-on-mindspore:' marker gives its reason (the notebook says why)."""
    for twin in TWINS:
        for line in twin.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            for marker in (H.LOSSVIZ_ONLY, H.DIFFERS):
                if text.startswith(f"# {marker}"):
                    assert H._MARKER.match(text), f"{twin.name}: {line!r} gives no reason after the colon"


# -- the live loss plot on MindSpore -------------------------------------------------------------------
def _live_plots(namespace, cls):
    return {name: value for name, value in namespace.items() if isinstance(value, cls)}


def _assert_same_curve(where, lossviz_history, mindspore_history):
    assert mindspore_history.step_numbers() == lossviz_history.step_numbers(), where
    np.testing.assert_allclose(mindspore_history.values(), lossviz_history.values(), rtol=H.RTOL, atol=H.ATOL,
                               err_msg=f"{where}: the loss per step")
    assert [e for e, _ in mindspore_history.epochs] == [e for e, _ in lossviz_history.epochs], where
    np.testing.assert_allclose([v for _, v in mindspore_history.epochs], [v for _, v in lossviz_history.epochs],
                               rtol=H.RTOL, atol=H.ATOL, err_msg=f"{where}: the epoch means")
    assert sorted(mindspore_history.labels) == sorted(lossviz_history.labels), where
    for label in lossviz_history.labels:
        assert mindspore_history.step_numbers(label) == lossviz_history.step_numbers(label), (where, label)
        np.testing.assert_allclose(mindspore_history.values(label), lossviz_history.values(label), rtol=H.RTOL,
                                   atol=H.ATOL, err_msg=f"{where}: the line of {label}")
    assert mindspore_history.total_steps == lossviz_history.total_steps, where
    assert list(mindspore_history.valid) == list(lossviz_history.valid), where  # Model.fit's validation lines
    for name, series in lossviz_history.valid.items():
        assert [s for s, _ in mindspore_history.valid[name]] == [s for s, _ in series], (where, name)
        np.testing.assert_allclose([v for _, v in mindspore_history.valid[name]], [v for _, v in series],
                                   rtol=H.RTOL, atol=H.ATOL, err_msg=f"{where}: the validation line {name}")


def test_live_loss_plot_records_the_same_curves_on_mindspore(runs):
    """Notebooks 04 and 05 train with LiveLossPlot attached on MindSpore; the curves are lossviz's."""
    checked = {}
    for twin in TWINS:
        run = runs(twin)
        ms_plots = _live_plots(run.mindspore_namespace, viz_ms.LiveLossPlot)
        lv_plots = _live_plots(run.lossviz_namespace, lossviz.viz.LiveLossPlot)
        for name, plot in ms_plots.items():
            assert isinstance(plot, mindspore.train.Callback)
            where = f"{twin.stem}: {name}.history"
            _assert_same_curve(where, lv_plots[name].history, plot.history)
            assert len(plot.history) >= 100 and plot.history.total_steps == len(plot.history), where
            smoothed = plot.history.smoothed(plot.smoothing)
            assert smoothed[-1] < smoothed[0], f"{where}: the loss did not go down"
            checked[twin.stem] = plot
    assert {"04_training_with_a_loss", "05_multilabel_training", "07_classification"} <= set(checked), sorted(checked)
    # notebook 07: Model.fit's evaluations reach the live plot through MindSpore's on_eval_end
    assert any(name.startswith("recall[") for name in checked["07_classification"].history.valid)
    # notebook 05: the total and one line per label, read from MindSpore's cb_params
    multilabel = checked["05_multilabel_training"]
    assert sorted(multilabel.history.labels) == ["label1", "label2"]
    totals = np.array(multilabel.history.values())
    halves = (np.array(multilabel.history.values("label1")) + np.array(multilabel.history.values("label2"))) / 2
    np.testing.assert_allclose(totals, halves, rtol=1e-5, atol=1e-5)  # L1LossForMultiLabel = mean of the two
    fig = draw_history(new_figure(multilabel.figsize, multilabel.dpi), multilabel.history, multilabel.smoothing,
                       f"{multilabel.title} on MindSpore {mindspore.__version__}")
    try:
        fig.savefig(PICTURE, format="png", dpi=fig.dpi)
    except OSError as error:  # a read-only checkout: the picture is a by-product
        print(f"could not write {PICTURE}: {error}")


def test_callbacks_in_pynative_mode(tmp_path):
    """LossHistory and LiveLossPlot in MindSpore's default mode, next to MindSpore's LossMonitor."""
    from lossviz import tutorial_code

    # cell 1: the tutorial's classes (lossviz.tutorial_code, the seed's cells), cell 2: training with both callbacks
    train = """
import lossviz
from lossviz import Model
from lossviz.train.callback import LossMonitor
from lossviz.viz import LiveLossPlot, LossHistory

lossviz.set_seed(11)
net = LinearNet()
model = Model(network=CustomWithLossCell(net, L1LossForMultiLabel()),
              optimizer=nn.Momentum(net.trainable_params(), learning_rate=0.005, momentum=0.9))
history, live = LossHistory(), LiveLossPlot(save_png=False, every_n_steps=5)
model.train(epoch=3, train_dataset=create_multilabel_dataset(num_data=96),
            callbacks=[LossMonitor(6), history, live], dataset_sink_mode=False)
"""
    cells = [H.Cell(1, None, inspect.getsource(tutorial_code)), H.Cell(2, None, train)]
    run = Run("a PYNATIVE_MODE run", cells, tmp_path, mindspore.PYNATIVE_MODE)
    failures = run.failures()
    assert not failures, "\n\n".join(failures)
    lv, ms = run.lossviz_namespace, run.mindspore_namespace
    assert isinstance(ms["history"], mindspore.train.Callback) and isinstance(ms["live"], mindspore.train.Callback)
    assert len(ms["history"]) == 18 and ms["history"].epochs[-1][0] == 3
    _assert_same_curve("LossHistory", lv["history"], ms["history"])
    _assert_same_curve("LiveLossPlot", lv["live"].history, ms["live"].history)
    assert sorted(ms["live"].history.labels) == ["label1", "label2"]
    assert run.mindspore[2].printed.count("loss is") == 3


# -- the widgets with MindSpore's losses ---------------------------------------------------------------
@pytest.mark.parametrize("loss", ["L1Loss", "MSELoss", "SmoothL1Loss"])
def test_reduction_toggle_computes_with_mindspore_losses(loss):
    for reduction in ("mean", "sum", "none"):
        ms_text = reduction_text(reduction, getattr(mindspore.nn, loss), rows=4)
        lv_text = reduction_text(reduction, loss, rows=4)
        assert ms_text.startswith(f"mindspore.nn.{loss}(reduction='{reduction}')")
        assert not H.mismatches(f"reduction_text({reduction!r}, {loss})", lv_text,
                                ms_text.replace("mindspore.nn.", "nn.", 1))


# MindSpore 2.10 has no CPU kernel for these four (catalogue decision D1): not run here.
NO_CPU_KERNEL = ("SoftMarginLoss", "TripletMarginLoss", "L1LossExt", "MultilabelMarginLoss")


@pytest.mark.parametrize("loss", [name for name in lossviz.viz.LOSSES if name not in NO_CPU_KERNEL])
def test_loss_explorer_computes_with_mindspore_losses(loss):
    moved = dict(beta=2.0, margin=0.5, weight=2.0, delta=0.5, gamma=1.0, label_smoothing=0.1, pos_weight=2.0)
    params = {k: v for k, v in moved.items() if k in lossviz.viz.explorer.PARAMETERS.get(loss, ())}
    # 41 points: DiceLoss, MultiClassDiceLoss and RMSELoss make one MindSpore call per point
    ms_curves, lv_curves = loss_curves(getattr(mindspore.nn, loss), 41, **params), loss_curves(loss, 41, **params)
    assert ms_curves["title"] == "mindspore." + lv_curves["title"]
    for (label, ms_loss, ms_grad), (_, lv_loss, lv_grad) in zip(ms_curves["series"], lv_curves["series"]):
        np.testing.assert_allclose(ms_loss, lv_loss, rtol=H.RTOL, atol=1e-5, err_msg=f"{loss} {label} loss")
        np.testing.assert_allclose(ms_grad, lv_grad, rtol=H.RTOL, atol=1e-5, err_msg=f"{loss} {label} gradient")
    assert not H.mismatches(loss, explorer_text(lv_curves), explorer_text(ms_curves).replace("mindspore.nn.", "nn."))


def test_the_widgets_take_a_mindspore_loss_class():
    from lossviz.viz import LossExplorer, ReductionToggle

    panel = ReductionToggle(loss=mindspore.nn.L1Loss)
    panel.toggle.value = "sum"
    assert panel.text.startswith("mindspore.nn.L1Loss(reduction='sum')") and "loss = 9.0" in panel.text
    explorer = LossExplorer(loss=mindspore.nn.SmoothL1Loss, beta=2.0)
    assert explorer.text.startswith("mindspore.nn.SmoothL1Loss(beta=2)")
    explorer.loss.value = "MSELoss"
    assert explorer.text.startswith("mindspore.nn.MSELoss()")


# -- imports ---------------------------------------------------------------------------------------------
def _python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_import_lossviz_and_lossviz_viz_never_import_mindspore():
    result = _python("import sys, lossviz, lossviz.viz, lossviz.train\n"
                     "from lossviz.viz import LiveLossPlot, ReductionToggle, LossExplorer, reduction_text\n"
                     "reduction_text('sum'); print(sorted(m for m in sys.modules if m.startswith('mindspore')))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_without_mindspore_the_module_says_what_to_install():
    result = _python("import sys; sys.modules['mindspore'] = None\n"
                     "import lossviz.viz.mindspore\n"
                     "try:\n    from lossviz.viz.mindspore import LiveLossPlot\n"
                     "except ImportError as e:\n    print(e)")
    assert result.returncode == 0, result.stderr
    assert "pip install -e '.[mindspore]'" in result.stdout


def test_the_import_swap():
    assert H.to_mindspore("import lossviz\nlossviz.set_seed(1)\nfrom lossviz import Tensor") == (
        "import mindspore\nmindspore.set_seed(1)\nfrom mindspore import Tensor")
    assert H.to_mindspore("from lossviz.viz import LiveLossPlot") == "from lossviz.viz.mindspore import LiveLossPlot"
    assert H.to_mindspore("from lossviz.train.callback import LossMonitor") == (
        "from mindspore.train.callback import LossMonitor")
    assert set(H.MINDSPORE_CALLBACKS) == set(viz_ms.__all__) - {"FRAMEWORK"}
