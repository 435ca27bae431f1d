"""Package structure: tiers import only downward; public modules only re-export."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "gluax"

# engine < ops < gluon < (nn, rnn, loss) < (optim, data, metric, io, parallel) < model_zoo
TIERS = {
    "engine": 0, "ops": 1, "gluon": 2, "nn": 3, "rnn": 3, "loss": 3,
    "optim": 4, "data": 4, "metric": 4, "io": 4, "parallel": 4, "model_zoo": 5,
    "estimator": 5, "image": 4,
    "compat": 5,  # mx.base/util/registry/runtime, amp, the mxnet alias, the absent-name table
    "numpy": 1,  # mx.np / mx.npx: the np.ndarray type and the jax.numpy table, beside ops
}


def _imports(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
    return out


def _src_files() -> list[pathlib.Path]:
    return sorted((ROOT / "_src").rglob("*.py"))


@pytest.mark.parametrize("path", _src_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_src_imports_only_downward(path):
    rel = path.relative_to(ROOT / "_src").parts
    if len(rel) < 2 or rel[0] not in TIERS:
        return
    mine = TIERS[rel[0]]
    for mod in _imports(path):
        if mod.startswith("gluax._src."):
            tier = mod.split(".")[2]
            assert TIERS.get(tier, -1) <= mine, f"{path.relative_to(ROOT)} (tier {rel[0]}) imports {mod} from a higher tier"
        elif mod == "gluax" or (mod.startswith("gluax.") and not mod.startswith("gluax._src")):
            # public modules are the top; _src may import them only lazily for F = mx.nd/mx.sym
            assert rel[0] in ("gluon", "nn", "rnn", "loss", "optim", "data", "metric", "io", "parallel", "model_zoo", "engine"), (
                f"{path.relative_to(ROOT)} imports the public module {mod}"
            )


def _public_files() -> list[pathlib.Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "_src" not in p.parts)


@pytest.mark.parametrize("path", _public_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_public_modules_only_reexport(path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # docstring
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets) and isinstance(node.value, (ast.Name, ast.Constant, ast.Attribute)):
            continue  # aliases such as nd = ndarray, __version__
        if isinstance(node, ast.FunctionDef) and node.name in ("__getattr__", "__dir__"):
            continue  # operator namespaces resolve through the registry
        raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} holds logic; public modules only re-export")
