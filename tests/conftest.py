"""What every test module may use (``from conftest import SHARED, require_shared``...).

* ``tests/`` is on ``sys.path``, so its helpers (``gradcheck``, ``_tutorial_cells``)
  import as top-level modules;
* ``SHARED``: the checkout beside the repository with the tutorial's text and
  MindSpore's golden values, ``../shared`` (or ``$LOSSVIZ_SHARED``);
* ``require(available, reason)``: skip a test (or a whole module) whose
  golden data or tool is missing. With ``CI=true`` the same call fails: in CI
  a missing requirement is a broken setup, not a reason to pass.
  ``require_shared(path)`` and ``require_module(name)`` are its two uses.
"""
import importlib
import os
import sys
from pathlib import Path

import pytest

_TESTS = os.path.dirname(os.path.abspath(__file__))
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

ROOT = Path(_TESTS).parent
SHARED = Path(os.environ.get("LOSSVIZ_SHARED") or ROOT.parent / "shared")


def require(available, reason):
    """Skip (``CI=true``: fail) unless ``available``; works in a test, a fixture or at module level."""
    __tracebackhide__ = True  # report the caller's line
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_shared(path):
    """``require`` that ``path`` (a file under ``SHARED``) exists."""
    __tracebackhide__ = True
    require(path.exists(), f"{path} is absent: ../shared (or $LOSSVIZ_SHARED) is not beside the repository")


def require_module(name):
    """``importlib.import_module(name)``, or ``require`` fails/skips when it is not installed."""
    __tracebackhide__ = True
    try:
        return importlib.import_module(name)
    except ImportError as error:
        reason = f"{name} is not installed ({error}); pip install -e '.[test]'"
    require(False, reason)
