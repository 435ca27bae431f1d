"""Every module of MXNet 1.9.1's Python package imports as ``gluax.X.Y``, and each of its public
names (and the private ones GluonCV/GluonNLP/d2l import) is present in gluax or listed absent with
a reason (tests/fixtures/module_inventory, made by MXNet 1.9.1; gluax/_src/compat/absent.py)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import pathlib
import sys
import types
from functools import cache

import pytest

from gluax._src.compat import absent
from gluax._src.compat.absent import AbsentName, AbsentNameError

FIXTURE = (pathlib.Path(__file__).resolve().parent / "fixtures" / "module_inventory"
           / "module_inventory.json")


@cache
def _inventory() -> dict:
    return json.loads(FIXTURE.read_text())["modules"]


def _in_scope(path: str) -> bool:
    """Public module paths, plus ``_internal`` (``F._internal._plus``): MXNet's private modules
    (``mxnet._ffi``, ``..._op_translations``) are its implementation, not its API."""
    parts = path.split(".")
    return not any(p.startswith("_") for p in parts[1:]) or parts[-1] == "_internal" and \
        not any(p.startswith("_") for p in parts[1:-1])


MODULES = sorted(p for p in _inventory() if _in_scope(p))


def _gluax_path(path: str) -> str:
    return "gluax" + path[len("mxnet"):]


def _pending_module(path: str) -> str | None:
    """Who builds the module, while it is listed pending (or a missing NumPy-interface path)."""
    if path in absent.PENDING_MODULES:
        return absent.PENDING_MODULES[path]
    if absent.is_numpy_path(path) and _import(path) is None:
        return absent.NUMPY
    return None


def _import(path: str) -> types.ModuleType | None:
    try:
        return importlib.import_module(_gluax_path(path))
    except ModuleNotFoundError as e:
        if e.name is not None and _gluax_path(path).startswith(e.name):
            return None  # the module file is missing
        raise


@pytest.mark.parametrize("path", MODULES)
def test_module_imports_or_is_pending(path):
    module = _import(path)
    owner = absent.PENDING_MODULES.get(path) or (absent.NUMPY if absent.is_numpy_path(path)
                                                 and module is None else None)
    if owner is None:
        assert module is not None, f"import {_gluax_path(path)} fails: no such module"
    else:
        assert module is None, (
            f"{path} is listed pending ({owner}) in gluax/_src/compat/absent.py but "
            f"{_gluax_path(path)} now exists: drop its pending entry")


# Modules whose re-imports from elsewhere are their API (``mx.random.poisson``), unlike
# plumbing re-imports such as ``check_call`` or ``string_types`` in most MXNet files.
REEXPORTS_ARE_API = {"mxnet.random": "mxnet.ndarray.random"}


def _status(module: types.ModuleType, path: str, name: str) -> str:
    """'present', 'absent' (placeholder of the absent table), 'absent-op' (in the operator
    table) or 'missing'."""
    try:
        obj = getattr(module, name)
    except AbsentNameError:
        return "absent"
    except AttributeError as e:
        if "does not implement MXNet operator" in str(e):
            return "absent-op"
        if f"{module.__name__}.{name}" in sys.modules:  # an absent operator's import stub
            return "absent-op"
        return "missing"
    return "absent" if isinstance(obj, AbsentName) else "present"


def _covered(module: types.ModuleType, path: str, name: str) -> bool:
    """Present or listed absent here; for a name MXNet's module only re-imports (plumbing such
    as ``check_call``, ``NDArray``), present or absent where MXNet defines it."""
    status = _status(module, path, name)
    if status == "absent":  # the placeholder's own path (it may be re-exported) is in the table
        where = object.__getattribute__(getattr(module, name), "_path")
        assert absent.lookup(where) is not None, f"{path}.{name}: no table entry"
    if status != "missing":
        return True
    origin = _inventory()[path].get("origins", {}).get(name)
    if origin is None or origin == REEXPORTS_ARE_API.get(path):
        return False
    if not origin.startswith("mxnet."):
        return True  # math.pi and the like: not MXNet's API
    if absent.lookup(f"{origin}.{name}") is not None:
        return True
    if _pending_module(origin):
        return True  # checked there once it lands
    home = _import(origin) if _in_scope(origin) else None
    return home is not None and _status(home, origin, name) != "missing"


@pytest.mark.parametrize("path", [p for p in MODULES if not absent.is_numpy_path(p)
                                  and p not in absent.PENDING_MODULES])
def test_names_present_or_absent(path):
    module = _import(path)
    assert module is not None
    entry = _inventory()[path]
    missing, pending_present = [], []
    for name in entry["names"] + entry.get("used", []):
        if f"{path}.{name}" in absent.PENDING_NAMES:
            if _status(module, path, name) == "present":
                pending_present.append(name)
            continue
        if not _covered(module, path, name):
            missing.append(name)
    assert not pending_present, (
        f"{path}: {pending_present} are listed pending in absent.py but now exist: drop them")
    assert not missing, (f"{path}: MXNet 1.9.1 names neither in gluax nor in the absent table "
                         f"(gluax/_src/compat/absent.py): {missing}")


def test_present_names_are_not_listed_absent():
    """A name gluax provides must not also be in the absent table (the table stays honest)."""
    wrong = []
    for key in absent.ABSENT_NAMES:
        path, _, name = key.rpartition(".")
        if path == "*" or path not in _inventory() or _pending_module(path):
            continue
        module = _import(path)
        if module is not None and name in vars(module) and not isinstance(
                vars(module)[name], AbsentName):
            wrong.append(key)
    assert not wrong, f"listed absent but present: {wrong}"


def test_absent_table_is_short_and_reasoned():
    for key, (reason, alternative) in absent.ABSENT_NAMES.items():
        assert reason in absent.REASONS, key
        assert len(alternative) > 10, f"{key}: say what to use instead"
    for key, (reason, alternative) in absent.ABSENT_MODULES.items():
        assert reason in absent.REASONS, key
        assert len(alternative) > 10, f"{key}: say what to use instead"
        assert key in _inventory(), f"{key} is not an MXNet 1.9.1 module"
    names = [n for p in MODULES if _pending_module(p) is None
             for n in _inventory()[p]["names"]]
    absent_names = [n for p in MODULES if p in absent.ABSENT_MODULES
                    for n in _inventory()[p]["names"]]
    # whole modules out of scope for now (Module API, ONNX, C-library plugins) aside, absent
    # single names stay a short list
    assert len(absent.ABSENT_NAMES) <= 80
    assert len(absent_names) < len(names) / 4


def test_absent_name_imports_and_raises_when_used():
    from gluax.module import Module  # importable, as libraries do at module level

    with pytest.raises(AbsentNameError, match="Module API: later"):
        Module(symbol=None)

    class Mine(Module):  # libraries subclass at import time: allowed, instances raise
        pass

    with pytest.raises(AbsentNameError, match="Module API"):
        Mine()
    from gluax.ndarray.contrib import adamw_update  # GluonNLP's module-level import

    with pytest.raises(AbsentNameError, match="fused optimizer kernel"):
        adamw_update(None, None, None, None, 1.0)
    import gluax.ndarray.contrib

    assert not hasattr(gluax.ndarray.contrib, "adamw_update")  # the operator table's rule


def test_every_inventory_module_imports_under_mx():
    """``import gluax as mx`` and then the module path as an attribute chain, as scripts do."""
    import gluax as mx

    for path in MODULES:
        if _pending_module(path):
            continue
        obj = mx
        importlib.import_module(_gluax_path(path))
        parts = path.split(".")[1:]
        for part in parts:
            obj = getattr(obj, part)
        if path == "mxnet.gluon.model_zoo.vision.alexnet":
            # MXNet's package binds the name to the function, which shadows the submodule
            assert callable(obj) and not isinstance(obj, types.ModuleType), path
            continue
        assert isinstance(obj, types.ModuleType), path


def test_docs_table_is_current():
    spec = importlib.util.spec_from_file_location(
        "make_module_table", FIXTURE.parents[3] / "tools" / "make_module_table.py")
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    current = (FIXTURE.parents[3] / "docs" / "modules.md").read_text()
    assert current == table.render(), "docs/modules.md is stale: run tools/make_module_table.py"


def test_absent_module_answers_only_mxnet_names_not_tool_probes():
    """A wholly absent module gives a raising placeholder for MXNet's names, but not for the
    names pytest and unittest look up on every module they import (else collecting gluax's own
    doctests fails on ``pytest_plugins``)."""
    import gluax.rtc

    for probe in ("pytest_plugins", "pytestmark", "setup_module", "load_tests"):
        assert not hasattr(gluax.rtc, probe), probe
    with pytest.raises(NotImplementedError, match="mxnet.rtc.CudaModule"):
        gluax.rtc.CudaModule("")
