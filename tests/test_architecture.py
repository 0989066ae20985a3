"""The layering of docs/architecture.md, checked: each layer imports only the layers below it."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lossviz"
ORDER = ["_engine", "ops", "common", "nn", "dataset", "checkpoint", "train", "viz"]
# what each layer may import from lossviz (besides itself)
ALLOWED = {
    "_engine": set(),
    "ops": {"_engine"},
    "common": {"_engine"},
    "nn": {"_engine", "ops", "common"},
    "dataset": {"_engine"},
    "checkpoint": {"_engine", "nn"},
    "train": {"_engine", "nn", "dataset", "checkpoint", "ops"},
    "viz": set(ORDER) | {"lossviz"},
}


def layer_of(path):
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py") if len(relative.parts) > 0 else None


def imported_layers(path):
    """The lossviz layers a module imports (relative and absolute imports, at any depth)."""
    tree = ast.parse(path.read_text())
    package = ".".join(("lossviz",) + path.relative_to(PACKAGE).parent.parts)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "lossviz" and len(parts) > 1:
                found.add(parts[1] if parts[1] in ORDER else "lossviz")   # a top-level name: the whole package
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if layer_of(p) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_each_module_imports_only_layers_below_it(path):
    layer = layer_of(path)
    upward = imported_layers(path) - ALLOWED[layer] - {layer}
    assert not upward, f"lossviz/{path.relative_to(PACKAGE)} ({layer}) imports {sorted(upward)}"


def test_no_op_reads_another_ops_node_and_nothing_is_patched_in():
    for path in list((PACKAGE / "ops").rglob("*.py")) + list((PACKAGE / "nn").rglob("*.py")):
        assert "_node" not in path.read_text(), path
    assert "install" not in (PACKAGE / "ops" / "__init__.py").read_text()


def test_the_engine_alone_gives_a_working_tensor():
    code = ("from lossviz._engine.tensor import Tensor; import numpy as np; t = Tensor(np.ones(2)); "
            "print(t + t, t.T, (t * 3).sum())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[2.", "2.]", "[1.", "1.]", "6.0"]


def test_functional_losses_are_published_by_ops():
    import lossviz.ops as ops
    from lossviz.nn.loss import functional
    assert ops.l1_loss is functional.l1_loss
    assert {"l1_loss", "mse_loss", "smooth_l1_loss", "binary_cross_entropy", "cosine_embedding_loss"} <= set(dir(ops))
