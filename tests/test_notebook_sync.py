"""Each notebook in notebooks/ and its jupytext twin in tutorial/ hold the same cells.

The py:percent text is regenerated from the .ipynb with jupytext's Python API
and compared with the file's text, so editing one side without the other
fails here (timestamps play no part). To resync after editing a tutorial/*.py:
``jupytext --to notebook --update tutorial/NN_name.py`` (keeps outputs) and
re-execute, or edit the notebook and ``jupytext --sync notebooks/NN_name.ipynb``.
"""
import difflib
import re
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ["01_builtin_losses", "02_using_builtin_losses", "03_defining_losses", "04_training_with_a_loss",
            "05_multilabel_training"]


def normalise(text):
    # The header records which jupytext version wrote the file; that may differ.
    return re.sub(r"(?m)^#\s+jupytext_version: .*\n", "", text)


def test_every_section_has_a_notebook_and_a_twin():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED
    assert sorted(p.stem for p in (ROOT / "tutorial").glob("*.py")) == EXPECTED


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_matches_its_tutorial_twin(notebook):
    twin = ROOT / "tutorial" / (notebook.stem + ".py")
    nb = jupytext.read(notebook)
    assert nb.metadata.get("jupytext", {}).get("formats") == "notebooks//ipynb,tutorial//py:percent"
    expected = normalise(jupytext.writes(nb, fmt="py:percent"))
    actual = normalise(twin.read_text(encoding="utf-8"))
    if expected != actual:
        diff = "".join(difflib.unified_diff(actual.splitlines(True), expected.splitlines(True),
                                            f"tutorial/{twin.name}", f"from notebooks/{notebook.name}", n=1))
        pytest.fail(f"{notebook.name} and tutorial/{twin.name} differ:\n{diff[:4000]}")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_executed_with_outputs(notebook):
    """nbval skips cells whose execution_count is empty: every code cell must have one."""
    nb = jupytext.read(notebook)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), f"{notebook.name} has unexecuted cells"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "run top to bottom on a fresh kernel"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{notebook.name} stores an error output"
