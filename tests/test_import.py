"""``import lossviz`` stays light: no plotting or notebook machinery at import time.

The import time itself is measured by ``bench/bench_import.py`` (timings do not
belong in unit tests); here we check what gets imported.
"""
import json
import subprocess
import sys

HEAVY = ("matplotlib", "ipywidgets", "IPython")


def modules_after(code):
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_import_lossviz_imports_no_plotting_or_notebook_modules():
    loaded = modules_after("import lossviz, lossviz.nn, lossviz.ops, lossviz.tutorial_code")
    assert "lossviz" in loaded
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert heavy == [], f"import lossviz pulled in {heavy}"


def test_import_lossviz_imports_nothing_but_numpy_and_the_standard_library():
    baseline = set(modules_after("import numpy"))
    extra = [m for m in modules_after("import lossviz") if m not in baseline and not m.startswith("lossviz")]
    third_party = [m for m in extra if m.split(".")[0] not in sys.stdlib_module_names]
    assert third_party == [], f"import lossviz pulled in {third_party}"
