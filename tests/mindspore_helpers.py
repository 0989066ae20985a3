"""Run lossviz code on real MindSpore and compare what the two print.

Used by ``tests/test_mindspore_parity.py`` (in an environment with MindSpore:
``pip install -e ".[mindspore]"``). The pieces:

* ``code_cells(twin)``: the code cells of a notebook's jupytext twin
  (``tutorial/*.py``, py:percent), numbered as the notebook numbers them;
* ``to_mindspore(code)``: the import swap, the word ``lossviz`` -> ``mindspore``
  (``from lossviz.viz import LiveLossPlot`` -> ``from lossviz.viz.mindspore
  import LiveLossPlot``);
* ``plan(cells)``: which cells run on both frameworks, which are compared, and
  why the others are not (lossviz.viz widgets, lossviz.check_loss, the markers
  ``# lossviz-only: <why>`` and ``# differs-on-mindspore: <why>``);
* ``aligned_mindspore(mode)``: while it is active, MindSpore draws its random
  initial weights and its dataset shuffle orders as lossviz does (from the same
  numpy seeds), so both frameworks train on the same data, in the same order,
  from the same weights;
* ``run(cells, directory, swap)``: the cells run in one fresh namespace, as files of
  ``directory``, stdout captured;
* ``numbers(text)`` and ``mismatches(...)``: the printed numbers, compared.

The two frameworks cannot draw the same random numbers by themselves
(MindSpore's initializers, dataset shuffle and candidate samplers use its own
C++ generators, spec §8); everything else runs unchanged.
"""
import ast
import contextlib
import dataclasses
import io
import linecache
import math
import pathlib
import re
import threading
import traceback

import numpy as np

# --- reading the twins -------------------------------------------------------------------------

_CELL = re.compile(r"^# %%(.*)$")
# The markers a notebook cell may start with (a comment line, with the reason after the colon).
LOSSVIZ_ONLY = "lossviz-only"
DIFFERS = "differs-on-mindspore"
_MARKER = re.compile(rf"^#\s*({LOSSVIZ_ONLY}|{DIFFERS})\s*:\s*(.*\S)\s*$")


@dataclasses.dataclass
class Cell:
    number: int          # 1-based among the notebook's code cells (as JupyterLab counts them on a fresh run)
    line: int            # first line of the code in the twin
    code: str
    marker: tuple = None  # (LOSSVIZ_ONLY or DIFFERS, reason) from the cell's comment lines

    def where(self, name):
        """``04_training_with_a_loss, code cell [7] (line 120: 'model = Model(net, loss, opt)')``."""
        lines = self.code.splitlines()
        k = next((k for k, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")), 0)
        line = f"line {self.line + k}: " if self.line else ""
        return f"{name}, code cell [{self.number}] ({line}{lines[k].strip()[:60]!r})"


def code_cells(path):
    """The code cells of a jupytext py:percent twin, in order (markdown cells and the header left out)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    cells, current = [], None
    for i, line in enumerate(lines, start=1):
        match = _CELL.match(line)
        if match:
            if current is not None:
                cells.append(current)
            is_code = "[markdown]" not in match.group(1) and "[raw]" not in match.group(1)
            current = {"line": i + 1, "lines": []} if is_code else None
        elif current is not None:
            current["lines"].append(line)
    if current is not None:
        cells.append(current)
    found = []
    for cell in cells:
        while cell["lines"] and not cell["lines"][0].strip():
            cell["lines"].pop(0)
            cell["line"] += 1
        code = "\n".join(cell["lines"]).rstrip() + "\n"
        if not code.strip():
            continue
        marker = None
        for line in code.splitlines():
            match = _MARKER.match(line.strip())
            if match:
                marker = (match.group(1), match.group(2))
        found.append(Cell(len(found) + 1, cell["line"], code, marker))
    return found


# --- the import swap ------------------------------------------------------------------------------

# The lossviz.viz names that exist as MindSpore callbacks in lossviz.viz.mindspore.
MINDSPORE_CALLBACKS = ("LiveLossPlot", "LossHistory")
_VIZ_IMPORT = re.compile(r"^(\s*)from lossviz\.viz import (.+)$", re.M)


def _viz_imports(code):
    """Names imported with ``from lossviz.viz import ...``, and whether lossviz.viz is used any other way."""
    names = []
    for match in _VIZ_IMPORT.finditer(code):
        names += [n.strip().split(" as ")[0] for n in match.group(2).strip("()").split(",") if n.strip()]
    other = "lossviz.viz" in _VIZ_IMPORT.sub("", code)
    return names, other


def to_mindspore(code):
    """``code`` for MindSpore: the word ``lossviz`` -> ``mindspore``, except that lossviz.viz
    stays lossviz's: ``from lossviz.viz import LiveLossPlot`` -> ``from lossviz.viz.mindspore import ...``."""
    code = re.sub(r"\blossviz\b", "mindspore", code)
    return re.sub(r"\bmindspore\.viz\b", "lossviz.viz.mindspore", code)


# --- which cells run, which are compared ----------------------------------------------------------

@dataclasses.dataclass
class Step:
    cell: Cell
    run: bool             # run on both frameworks
    compare: bool         # compare the printed numbers
    reason: str = ""      # why not run / not compared


def _bound_names(tree):
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _loaded_names(tree):
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def plan(cells):
    """One ``Step`` per cell. A cell is left out on *both* sides (so that both consume the same
    random numbers) when it uses a lossviz.viz widget, lossviz.check_loss, carries the
    ``lossviz-only`` marker, or reads a name that only a left-out cell defines."""
    steps, missing = [], {}  # missing: name -> the left-out cell that defined it
    for cell in cells:
        tree = ast.parse(cell.code)
        viz_names, viz_other = _viz_imports(cell.code)
        reason = None
        if cell.marker and cell.marker[0] == LOSSVIZ_ONLY:
            reason = f"marked '# {LOSSVIZ_ONLY}: {cell.marker[1]}'"
        elif "lossviz.check_loss" in cell.code or re.search(r"\bcheck_loss\b", cell.code) and "lossviz" in cell.code:
            reason = "uses lossviz.check_loss (a lossviz-only teaching tool)"
        elif viz_other or any(n not in MINDSPORE_CALLBACKS for n in viz_names):
            widgets = [n for n in viz_names if n not in MINDSPORE_CALLBACKS] or ["lossviz.viz"]
            reason = f"uses {', '.join(widgets)} from lossviz.viz (a lossviz-only teaching tool)"
        else:
            needs = sorted(n for n in _loaded_names(tree) if n in missing)
            if needs:
                reason = f"reads {', '.join(needs)} from left-out cell {missing[needs[0]].number}"
        bound = _bound_names(tree)
        if reason:
            missing.update({name: cell for name in bound})
            steps.append(Step(cell, run=False, compare=False, reason=reason))
            continue
        for name in bound:
            missing.pop(name, None)
        if cell.marker and cell.marker[0] == DIFFERS:
            steps.append(Step(cell, run=True, compare=False, reason=f"marked '# {DIFFERS}: {cell.marker[1]}'"))
        else:
            steps.append(Step(cell, run=True, compare=True))
    return steps


# --- running --------------------------------------------------------------------------------------

@dataclasses.dataclass
class Result:
    printed: str
    error: str = None    # the traceback when the cell raised


def run(cells, directory, swap=None, name="notebook", stop_on_error=True):
    """Run ``cells`` (a list of ``Cell``) in order in one fresh namespace, as a kernel does.

    Each cell's code (rewritten by ``swap`` first) is written to a file in ``directory``
    and run from there, so that its source can be read back (``inspect.getsource``,
    which MindSpore's GRAPH_MODE needs to compile a Cell's ``construct``) and
    tracebacks show it. Returns ``({cell number: Result}, namespace)``.
    """
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    namespace, results = {"__name__": "__main__"}, {}
    for cell in cells:
        code = swap(cell.code) if swap else cell.code
        path = directory / f"{pathlib.Path(name).stem}_cell{cell.number:02d}.py"
        path.write_text(code, encoding="utf-8")
        linecache.checkcache(str(path))
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, str(path), "exec"), namespace)
        except Exception:  # noqa: BLE001 - reported with the cell's name by the test
            results[cell.number] = Result(out.getvalue(), traceback.format_exc(limit=-4))
            if stop_on_error:
                break
        else:
            results[cell.number] = Result(out.getvalue())
    return results, namespace


# --- MindSpore drawing lossviz's random numbers ----------------------------------------------------

class _LossvizOrder:
    """A random-access source read in lossviz's shuffle order.

    lossviz's ``GeneratorDataset`` draws a fresh permutation from its generator
    (``lossviz._engine.random.generator()``, derived from ``set_seed``) at the
    start of every pass. MindSpore, given ``shuffle=False``, reads rows 0..n-1 in
    order on every pass (one reader, prefetching ahead in order): read number
    ``r`` is row ``r % n`` of pass ``r // n``, which we map through that pass's
    permutation.
    """

    def __init__(self, source):
        from lossviz._engine.random import generator

        self.source, self.n = source, len(source)
        self.rng, self.orders, self.reads = generator(), [], 0
        self.lock = threading.Lock()

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        with self.lock:
            epoch, position = divmod(self.reads, self.n)
            self.reads += 1
            if position != int(index):
                raise RuntimeError(f"MindSpore read row {index} where the aligned order expects row {position}: "
                                   f"the dataset is no longer read in order, the shuffle alignment is broken")
            while len(self.orders) <= epoch:
                self.orders.append(self.rng.permutation(self.n))
            return self.source[int(self.orders[epoch][position])]

    def __deepcopy__(self, memo):  # one reading state, however MindSpore copies its pipeline
        return self


@contextlib.contextmanager
def aligned_mindspore(mode=None):
    """MindSpore, while active: initial weights, shuffle orders and seeds as lossviz draws them.

    ``mode``: ``mindspore.GRAPH_MODE`` or ``mindspore.PYNATIVE_MODE`` (2.x's default) meanwhile.

    * Initializers: MindSpore takes one ``np.random.randint(1, 2**63)`` per parameter and
      seeds its C++ generator with it; we fill from ``np.random.default_rng(that seed)``
      with the same formula as lossviz (``lossviz.common.initializer``).
    * ``mindspore.dataset.GeneratorDataset`` on a random-access source that would be
      shuffled reads it in lossviz's order (``_LossvizOrder``).
    * ``mindspore.set_seed(s)`` also calls ``lossviz.set_seed(s)``, whose generators
      give those orders.
    """
    import mindspore
    import mindspore.common.initializer as ms_init
    import mindspore.dataset as ms_dataset

    import lossviz

    def random_normal(seed, arr, mean, sigma):
        arr[...] = np.random.default_rng(int(seed)).normal(mean, sigma, arr.shape)

    def random_uniform(seed, arr, a, b):
        arr[...] = np.random.default_rng(int(seed)).uniform(a, b, arr.shape)

    original = ms_dataset.GeneratorDataset

    class GeneratorDataset(original):
        __doc__ = original.__doc__

        def __init__(self, source, *args, shuffle=None, sampler=None, **kwargs):
            random_access = hasattr(source, "__getitem__") and hasattr(source, "__len__")
            if random_access and shuffle in (None, True) and sampler is None and kwargs.get("num_shards") is None:
                source, shuffle = _LossvizOrder(source), False
            super().__init__(source, *args, shuffle=shuffle, sampler=sampler, **kwargs)

    ms_set_seed = mindspore.set_seed

    def set_seed(seed):
        ms_set_seed(seed)
        lossviz.set_seed(seed)

    patches = [(ms_init, "_random_normal", random_normal), (ms_init, "_random_uniform", random_uniform),
               (ms_dataset, "GeneratorDataset", GeneratorDataset), (mindspore, "set_seed", set_seed)]
    saved = [(module, attr, getattr(module, attr)) for module, attr, _ in patches]
    saved_mode = mindspore.get_context("mode")
    try:
        for module, attr, value in patches:
            setattr(module, attr, value)
        if mode is not None:
            mindspore.set_context(mode=mode)
        yield
    finally:
        for module, attr, value in saved:
            setattr(module, attr, value)
        mindspore.set_context(mode=saved_mode)


# --- comparing printed numbers --------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])|(?<!\w)[-+]?(?:nan|inf)(?!\w)")
RTOL, ATOL = 1e-4, 1e-6   # float32 results of different code paths


def numbers(text):
    """The numbers printed in ``text``, as ``(value, text)`` pairs, in order.

    A number glued to a name (``label1``, ``L1Loss``, ``fc.weight``) is not a number.
    """
    return [(float(m.group(0)), m.group(0)) for m in _NUMBER.finditer(text)]


def _decimals(text):
    mantissa = re.split(r"[eE]", text)[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def close(a_text, b_text):
    """Do two printed numbers agree (float32, rtol 1e-4)?

    Integers (no point, no exponent) must be equal. Two numbers printed with the same
    fixed number (>= 3) of decimals, such as ``f"{x:.4f}"``, may also differ by one unit
    of their last digit: each was rounded there.
    """
    a, b = float(a_text), float(b_text)
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if not re.search(r"[.eE]", a_text) and not re.search(r"[.eE]", b_text):
        return a == b
    tol = RTOL * max(abs(a), abs(b)) + ATOL
    da, db = _decimals(a_text), _decimals(b_text)
    if da == db >= 3 and not re.search(r"[eE]", a_text + b_text):
        tol += 10.0 ** -da
    return abs(a - b) <= tol


def skeleton(text):
    """The printed text with every number replaced by ``#`` and whitespace collapsed."""
    return " ".join(_NUMBER.sub("#", text).split())


def mismatches(where, lossviz_text, mindspore_text):
    """Messages saying how the output of a cell differs between the two runs (empty when it agrees).

    The text around the numbers must be the same (``agree: True`` is not ``agree: False``),
    and each printed number must be ``close`` to its counterpart.
    """
    if skeleton(lossviz_text) != skeleton(mindspore_text):
        return [f"{where}: the printed text differs (numbers aside)\n"
                f"--- lossviz printed:\n{_short(lossviz_text)}\n--- MindSpore printed:\n{_short(mindspore_text)}"]
    lv, ms = numbers(lossviz_text), numbers(mindspore_text)
    found = []
    for k, ((_, a), (_, b)) in enumerate(zip(lv, ms), start=1):
        if not close(a, b):
            found.append(f"{where}: printed number {k} of {len(lv)} differs: lossviz {a}, MindSpore {b} "
                         f"(float32 tolerance: rtol {RTOL:g}, atol {ATOL:g})"
                         f"\n    lossviz line:   {_line_of(lossviz_text, k)}"
                         f"\n    MindSpore line: {_line_of(mindspore_text, k)}")
    return found


def _line_of(text, k):
    """The line holding the k-th printed number."""
    count = 0
    for line in text.splitlines():
        count += len(numbers(line))
        if count >= k:
            return line.strip()[:160]
    return ""


def _short(text, limit=1500):
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more characters)"
