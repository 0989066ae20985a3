"""Notebook 08 (write your own loss): the solutions stay collapsed, and the stored outputs say what the text says.

nbval compares the outputs with a fresh run; this checks what they are: each exercise's starter fails its
check, the three broken losses get their diagnosis, and the solutions pass.
"""
from pathlib import Path

from conftest import require_module

jupytext = require_module("jupytext")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "08_write_your_own_loss.ipynb"
TWIN = ROOT / "tutorial" / "08_write_your_own_loss.py"


def _code_cells():
    return [c for c in jupytext.read(NOTEBOOK).cells if c.cell_type == "code"]


def _shown(cell):
    """The text a cell shows: its printed text and its HTML."""
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/html", ""))
    return "".join(parts)


def test_the_solutions_cell_is_collapsed_in_the_notebook_and_its_twin():
    hidden = [c for c in _code_cells() if c.metadata.get("jupyter", {}).get("source_hidden")]
    assert len(hidden) == 1 and "class MyFocalLoss(LossBase)" in hidden[0].source
    assert 'self.pow(1 - self.exp(log_pt), self.gamma)' in hidden[0].source      # the solution, not the starter
    assert TWIN.read_text(encoding="utf-8").count('# %% jupyter={"source_hidden": true}\n') == 1


def test_the_check_cells_are_marked_lossviz_only():
    for cell in _code_cells():
        if "check_loss(" in cell.source:
            assert cell.source.startswith("# lossviz-only: check_loss is lossviz's teaching tool\n"), cell.source


def test_the_stored_reports_say_what_the_text_says():
    shown = {cell.source.splitlines()[1]: _shown(cell) for cell in _code_cells()
             if cell.source.startswith("# lossviz-only") and len(cell.source.splitlines()) > 1}

    def report(start):
        return next(text for source, text in shown.items() if source.startswith(start))

    assert "all checks passed" in report("from lossviz import check_loss")
    for starter in ("check_loss(MyHuberLoss()", "check_loss(MyBCEWithLogitsLoss()", "check_loss(MyFocalLoss()"):
        assert "FAIL" in report(starter) and "all checks passed" not in report(starter), starter
    assert "hint: overflows at logit 100: compute log(sigmoid(x)) as -softplus(-x)" in \
        report("check_loss(NaiveBCEWithLogits()")
    assert "the graph was broken" in report("check_loss(NumpyHuberLoss()")
    assert "it averages over that axis where the reference sums over it" in \
        report("check_loss(FocalLossMeanOverClasses()")
    final = report("pairs = [")
    assert final.count("ok = True") == 3 and "ok = False" not in final
    assert " s)" not in "".join(shown.values())           # no timings: nbval compares these outputs
