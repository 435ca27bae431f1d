"""``gluax.install_as_mxnet()``: let code that says ``import mxnet`` get gluax.

A meta-path finder maps ``mxnet`` and every ``mxnet.X.Y`` to the module ``gluax.X.Y`` (the
same module object, so ``mxnet.gluon.nn.Dense is gluax.gluon.nn.Dense``). Nothing happens on
``import gluax``; the alias is opt-in and ``uninstall_mxnet_alias()`` removes it.

The alias reports MXNet's API level: ``mxnet.__version__`` is ``"1.9.1"`` (libraries such as
GluonCV check it), while ``gluax.__version__`` stays gluax's own version.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

MXNET_API_VERSION = "1.9.1"


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target
        self.spec: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.target)
        if spec.name == "mxnet":
            return _ROOT.get(module)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # the gluax module is already executed; the import system has just set its __spec__
        # to the alias's: give it back its own
        if self.spec is not None:
            module.__spec__ = self.spec


class _RootProxy:
    """Builds the ``mxnet`` top-level module: a view of ``gluax`` whose ``__version__`` is
    MXNet's API level."""

    def __init__(self) -> None:
        self.module: types.ModuleType | None = None

    def get(self, gluax: types.ModuleType) -> types.ModuleType:
        if self.module is None:
            self.module = _MXNetRoot("mxnet", gluax)
        return self.module


class _MXNetRoot(types.ModuleType):
    """``mxnet`` under the alias: every attribute is gluax's, except ``__version__``."""

    def __init__(self, name: str, gluax: types.ModuleType) -> None:
        super().__init__(name, gluax.__doc__)
        self.__dict__["_gluax"] = gluax
        self.__dict__["__version__"] = MXNET_API_VERSION
        self.__dict__["__path__"] = list(gluax.__path__)
        self.__dict__["__file__"] = gluax.__file__

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_gluax"], name)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self.__dict__["_gluax"])) | {"__version__"})


_ROOT = _RootProxy()


class MXNetAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``mxnet[.X.Y]`` as ``gluax[.X.Y]``."""

    def find_spec(self, fullname: str, path: Any = None,
                  target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "mxnet" and not fullname.startswith("mxnet."):
            return None
        gluax_name = "gluax" + fullname[len("mxnet"):]
        try:
            spec = importlib.util.find_spec(gluax_name)
        except ModuleNotFoundError:
            return None
        if spec is None:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(gluax_name),
            is_package=spec.submodule_search_locations is not None)


_FINDER = MXNetAliasFinder()


def install_as_mxnet() -> types.ModuleType:
    """Make ``import mxnet`` (and ``from mxnet.gluon import nn`` ...) import gluax. Refused if
    the real MXNet is already imported. Returns the ``mxnet`` module."""
    existing = sys.modules.get("mxnet")
    if existing is not None and not isinstance(existing, _MXNetRoot):
        raise RuntimeError("install_as_mxnet: the real mxnet package is already imported in "
                           "this process; call gluax.install_as_mxnet() before anything "
                           "imports mxnet.")
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    return importlib.import_module("mxnet")


def uninstall_mxnet_alias() -> None:
    """Remove the alias and the ``mxnet*`` entries it put in ``sys.modules``."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == "mxnet" or n.startswith("mxnet.")]:
        del sys.modules[name]
    _ROOT.module = None
