"""The public names and constructor signatures of gluax's gluon.nn, gluon.contrib.nn, gluon.rnn
and gluon.loss against MXNet 1.9.1's (tests/fixtures/public_names/, made by MXNet)."""

from __future__ import annotations

import importlib
import inspect
import json
import pathlib
import re
import types
from functools import cache

import pytest

FIXTURE = pathlib.Path(__file__).resolve().parent / "fixtures" / "public_names" / "public_names.json"

MODULES = ["gluon.nn", "gluon.contrib.nn", "gluon.rnn", "gluon.loss", "gluon.contrib.rnn"]

# Modules whose MXNet surface gluax covers completely: there every MXNet name must exist, with
# MXNet's constructor signature. A module left out of COMPLETE would only be checked for names
# MXNet does not have (and print what is missing).
COMPLETE = {"gluon.nn", "gluon.contrib.nn", "gluon.rnn", "gluon.loss"}
COMPLETE |= {"gluon.contrib.rnn"}

# Names gluax adds on purpose to these modules (DESIGN: gluax adds names, never changes an
# MXNet name's meaning). Each needs a reason next to it.
GLUAX_ONLY: dict[str, set[str]] = {m: set() for m in MODULES}


@cache
def _mxnet() -> dict:
    return json.loads(FIXTURE.read_text())["modules"]


def _gluax_module(name: str) -> types.ModuleType | None:
    try:
        return importlib.import_module("gluax." + name)
    except ModuleNotFoundError:
        return None  # not written yet: every name is missing


def _public_names(module: types.ModuleType | None) -> set[str]:
    if module is None:
        return set()
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    return {n for n in names if not isinstance(getattr(module, n), types.ModuleType)}


@pytest.mark.parametrize("name", MODULES)
def test_public_names(name):
    expected = set(_mxnet()[name]["names"])
    got = _public_names(_gluax_module(name))
    invented = got - expected - GLUAX_ONLY[name]
    missing = expected - got
    if missing:
        print(f"{name}: MXNet 1.9.1 names gluax does not have yet: {sorted(missing)}")
    assert not invented, f"{name}: names MXNet 1.9.1 does not have: {sorted(invented)}"
    if name in COMPLETE:
        assert not missing, f"{name}: missing MXNet 1.9.1 names {sorted(missing)}"


_OBJECT_REPR = re.compile(r"<mxnet\.[\w.]*\.(\w+) object at 0x[0-9a-f]+>")


def _signature_problems(cls: type, mx_params: list[list]) -> list[str]:
    """Where ``cls.__init__`` differs from MXNet's parameters. Allowed: extra keyword-only
    parameters (gluax-only arguments), a default where MXNet has none, and MXNet's trailing
    ``**kwargs`` spelled out as ``prefix=None, params=None`` (all that kwargs reaches)."""
    ours = [p for p in list(inspect.signature(cls.__init__).parameters.values())[1:] if p.kind != p.KEYWORD_ONLY]
    theirs = list(mx_params)
    if theirs and theirs[-1][1] == "VAR_KEYWORD" and [p.name for p in ours[-2:]] == ["prefix", "params"]:
        if all(p.default is None for p in ours[-2:]) and not any(p.kind == p.VAR_KEYWORD for p in ours):
            ours, theirs = ours[:-2], theirs[:-1]
    problems = []
    if [p.name for p in ours] != [t[0] for t in theirs] or [p.kind.name for p in ours] != [t[1] for t in theirs]:
        return [f"parameters {[(p.name, p.kind.name) for p in ours]} vs MXNet's {[(t[0], t[1]) for t in theirs]}"]
    for p, (pname, _, default) in zip(ours, theirs):
        if default is None:
            continue
        if p.default is p.empty:
            problems.append(f"{pname} has no default; MXNet's is {default}")
            continue
        m = _OBJECT_REPR.fullmatch(default)
        if m:
            if type(p.default).__name__ != m.group(1):
                problems.append(f"{pname} defaults to a {type(p.default).__name__}; MXNet's to a {m.group(1)}")
        elif repr(p.default) != default:
            problems.append(f"{pname} defaults to {p.default!r}; MXNet's to {default}")
    return problems


@pytest.mark.parametrize("name", MODULES)
def test_constructor_signatures(name):
    module = _gluax_module(name)
    problems = {}
    for cls_name, mx_params in _mxnet()[name]["signatures"].items():
        cls = getattr(module, cls_name, None)
        if mx_params is None or cls is None:
            continue  # not a class, or missing (test_public_names reports it)
        found = _signature_problems(cls, mx_params)
        if found:
            problems[cls_name] = found
    if problems:
        print(f"{name}: constructor signatures that differ from MXNet 1.9.1: {problems}")
    if name in COMPLETE:
        assert not problems, f"{name}: {problems}"


def test_signature_check_can_fail():
    class Shifted:
        def __init__(self, axis=1, epsilon=1e-3, prefix=None, params=None, *, gluax_only=None):
            pass

    mx_params = [["axis", "POSITIONAL_OR_KEYWORD", "1"], ["epsilon", "POSITIONAL_OR_KEYWORD", "1e-05"], ["kwargs", "VAR_KEYWORD", None]]
    assert _signature_problems(Shifted, mx_params) == ["epsilon defaults to 0.001; MXNet's to 1e-05"]
    mx_params[0][0] = "dim"
    assert _signature_problems(Shifted, mx_params)[0].startswith("parameters [('axis'")
