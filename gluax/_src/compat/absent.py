"""The MXNet 1.9.1 module paths and names gluax does not provide, each with its reason and the
alternative; and the names another issue is building right now ("pending").

Every module of MXNet 1.9.1's inventory (``tests/fixtures/module_inventory``) imports as
``gluax.X.Y``, and each of its public names is either present with MXNet's meaning or covered
here; ``tests/test_module_inventory.py`` checks both, and ``tools/make_module_table.py`` writes
``docs/modules.md`` from this table.

An absent name imports (``from mxnet.module import Module`` succeeds, as libraries do at module
level) and raises :class:`AbsentNameError`, naming the reason and the alternative, as soon as it
is called, subclassed or its attributes are read. Operators have their own table
(``gluax/_src/ops/absent.py``); the absent ones among them import the same way through
:func:`importable_absent_operators`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

MODULE_API = "Module API: later"
FFI = "MXNet's C library interface (ctypes handles, libmxnet calls); gluax has no C library"
ONNX = "ONNX import/export"
QUANT = "int8 quantization graphs"
BACKEND = "hardware/backend-specific"
DEPRECATED = "deprecated in MXNet"
DOCS = "docstring holder, not code"
INTERNAL = "internal to MXNet, not used by Gluon code"
FUSED = "fused optimizer kernel"
SPARSE = "sparse storage"
INTEGRATION = "third-party tool integration of the Module API era"
NOT_YET = "not yet implemented"

REASONS = (NOT_YET, MODULE_API, DEPRECATED, FUSED, SPARSE, ONNX, QUANT, BACKEND, INTEGRATION,
           FFI, DOCS, INTERNAL)

# MXNet module path -> (reason, alternative): every public name of the module is absent.
ABSENT_MODULES: dict[str, tuple[str, str]] = {}
# "mxnet.module.name" -> (reason, alternative); "*.name": absent wherever MXNet re-exports it.
ABSENT_NAMES: dict[str, tuple[str, str]] = {}


def _modules(reason: str, alternative: str, paths: str) -> None:
    for p in paths.split():
        if p in ABSENT_MODULES:
            raise ValueError(f"absent module {p!r} listed twice")
        ABSENT_MODULES[p] = (reason, alternative)


def _names(reason: str, alternative: str, module: str, names: str) -> None:
    for n in names.split():
        key = f"{module}.{n}"
        if key in ABSENT_NAMES:
            raise ValueError(f"absent name {key!r} listed twice")
        ABSENT_NAMES[key] = (reason, alternative)


# --- Whole modules --------------------------------------------------------------------------
_modules(MODULE_API, "mx.gluon (Block, HybridBlock, Trainer); the symbolic Module API comes "
         "later", "mxnet.module mxnet.module.base_module mxnet.module.bucketing_module "
         "mxnet.module.executor_group mxnet.module.module mxnet.module.python_module "
         "mxnet.module.sequential_module mxnet.rnn mxnet.rnn.io mxnet.rnn.rnn "
         "mxnet.rnn.rnn_cell mxnet.executor_manager mxnet.executor mxnet.monitor "
         "mxnet.contrib.svrg_optimization mxnet.contrib.svrg_optimization.svrg_module "
         "mxnet.contrib.svrg_optimization.svrg_optimizer")
_modules(ONNX, "HybridBlock.export (serialized StableHLO), or an ONNX converter for JAX "
         "functions applied to net.functional()", "mxnet.onnx mxnet.onnx.mx2onnx mxnet.contrib.onnx "
         "mxnet.contrib.onnx.onnx2mx mxnet.contrib.onnx.onnx2mx.import_model "
         "mxnet.contrib.onnx.onnx2mx.import_onnx mxnet.contrib.onnx.onnx2mx.import_to_gluon")
_modules(QUANT, "float32/bfloat16 networks (mx.contrib.amp); XLA has no MXNet int8 graph "
         "passes", "mxnet.contrib.quantization")
_modules(BACKEND, "jax.jit (XLA compiles the kernels) or jax.experimental.pallas for custom "
         "kernels", "mxnet.rtc mxnet.tvmop mxnet.space mxnet.torch mxnet.library")
_modules(DEPRECATED, "mx.autograd (record, pause, train_mode, grad)", "mxnet.contrib.autograd")
_modules(DEPRECATED, "mx.lr_scheduler (FactorScheduler)", "mxnet.misc")
_modules(INTEGRATION, "mx.gluon.contrib.estimator handlers or any plotting library on the "
         "logged metrics", "mxnet.notebook mxnet.notebook.callback")
_modules(INTEGRATION, "mx.gluon.contrib.estimator handlers writing to TensorBoard through any "
         "summary writer", "mxnet.contrib.tensorboard")
_modules(DOCS, "help() on the gluax function", "mxnet.ndarray_doc mxnet.symbol_doc")
_modules(NOT_YET, "GluonNLP's gluonnlp.embedding and gluonnlp.Vocab (the maintained successors "
         "of mx.contrib.text)", "mxnet.contrib.text mxnet.contrib.text.embedding "
         "mxnet.contrib.text.utils mxnet.contrib.text.vocab")

# --- Single names ---------------------------------------------------------------------------
# ctypes helpers MXNet modules re-export from mxnet.base
_names(FFI, "nothing is needed: gluax calls jax directly", "*",
       "check_call c_array c_array_buf c_handle_array c_str c_str_array c_int_p "
       "ctypes2numpy_shared ctypes2buffer NDArrayHandle NDArrayBase SymbolBase CachedOp "
       "MXCallbackList _imperative_invoke _set_ndarray_class _set_np_ndarray_class "
       "_set_symbol_class _set_np_symbol_class _symbol_creator _new_empty_handle")
_names(FFI, "mx.nd.array (NDArray wraps a jax.Array; use jax.dlpack on x.data)",
       "mxnet.ndarray.ndarray", "from_dlpack to_dlpack_for_read to_dlpack_for_write")
_names(FFI, "mx.nd.array (NDArray wraps a jax.Array; use jax.dlpack on x.data)",
       "mxnet.ndarray", "from_dlpack to_dlpack_for_read to_dlpack_for_write")
_names(FFI, "mx.nd.array(numpy_array) (a copy onto the device)", "mxnet.ndarray.ndarray",
       "from_numpy")
_names(FFI, "mx.nd.array(numpy_array) (a copy onto the device)", "mxnet.ndarray", "from_numpy")
_names(FFI, "gluax.ndarray.NDArray.__getitem__ (indexing is jax's)", "mxnet.ndarray.ndarray",
       "get_indexing_dispatch_code get_oshape_of_gather_nd_op "
       "indexing_key_expand_implicit_axes")
_names(FFI, "gluax.ndarray.NDArray.__getitem__ (indexing is jax's)", "mxnet.ndarray",
       "get_indexing_dispatch_code get_oshape_of_gather_nd_op "
       "indexing_key_expand_implicit_axes")
_names(FFI, "the operator registry (gluax._src.engine.registry.register)",
       "mxnet.ndarray.register", "use_np_shape")
_names(FUSED, "mx.gluon.Trainer with an mx.optimizer class, or any optax transformation "
       "(optax.adamw) passed to the Trainer", "mxnet.ndarray.register",
       "adamw_update mp_adamw_update")
_names(DEPRECATED, "mx.image.imdecode", "mxnet.ndarray", "imdecode")
_names(DEPRECATED, "mx.image.imdecode", "mxnet.ndarray.ndarray", "imdecode")
_names(FFI, "register a Python error class with the normal class statement", "mxnet.error",
       "register")
_names(BACKEND, "jax.devices('gpu') and device.memory_stats()", "mxnet.util",
       "get_gpu_memory get_cuda_compute_capability")
_names(INTERNAL, "mx.optimizer.SGD (Test is the toy optimizer of MXNet's own unit tests)",
       "mxnet.optimizer.optimizer", "Test")
_names(MODULE_API, "gluon.Trainer for training; mx.model.load_checkpoint with gluon.SymbolBlock "
       "to run a saved network", "mxnet.model", "FeedForward SKLEARN_INSTALLED")

_names(SPARSE, "dense NDArrays (gluax stores every array densely; see mx.nd.sparse in "
       "docs/operators.md)", "mxnet.ndarray.sparse",
       "BaseSparseNDArray CSRNDArray RowSparseNDArray _ndarray_cls")
_names(SPARSE, "dense NDArrays (gluax stores every array densely)", "mxnet.io.utils",
       "sparse_array")
_names(NOT_YET, "mx.gluon.data.DataLoader(num_workers=n) (gluax's worker pool has its own "
       "iterator)", "mxnet.gluon.data.dataloader", "_MultiWorkerIter")
_names(NOT_YET, "mx.sym.Symbol (gluax's numpy mode has no Symbol class of its own: "
       "free-standing graphs are mx.sym.Symbol, and inside a hybridized block F.np values are "
       "mx.np.ndarray)", "mxnet.test_utils", "np_symbol")

# --- Pending: modules and names another issue is building now. -----------------------------
# Allowed only while missing from gluax: tests/test_module_inventory.py fails, naming them, as
# soon as one of these lands (then its entry must go). Value: who builds it.
IO, IMAGE, TEST_UTILS, ESTIMATOR, SYMBOL, NUMPY = (
    "mx.io (issue 16, io)", "mx.image (issue 16, image)", "mx.test_utils (issue 16, io)",
    "estimator/callback (issue 16, estimator)", "Symbol/runtime issue (symbol)",
    "NumPy-interface issue (numpy)")
PENDING_MODULES: dict[str, str] = {}
PENDING_NAMES: dict[str, str] = {}


def _pending(owner: str, paths: str) -> None:
    for p in paths.split():
        PENDING_MODULES[p] = owner


def _pending_names(owner: str, module: str, names: str) -> None:
    for n in names.split():
        PENDING_NAMES[f"{module}.{n}"] = owner




def is_numpy_path(path: str) -> bool:
    """``mxnet.numpy*``, ``mxnet.numpy_extension*`` and their ``mx.nd``/``mx.sym`` twins: the
    NumPy-interface issue's. Pending while their modules are missing; their names are checked
    by that issue's own inventory (tests/fixtures/np_inventory)."""
    parts = path.split(".")
    return any(p.startswith("numpy") for p in parts[1:])


# --- The placeholder ------------------------------------------------------------------------
class AbsentNameError(NotImplementedError):
    """An MXNet 1.9.1 name gluax does not provide; the message gives the reason and what to
    use instead."""


def _message(path: str, reason: str, alternative: str) -> str:
    return f"gluax does not provide MXNet's {path} ({reason}); use {alternative}."


def lookup(path: str) -> tuple[str, str] | None:
    """``(reason, alternative)`` if MXNet name ``path`` (``mxnet.module.Module``) is absent."""
    module, _, name = path.rpartition(".")
    entry = ABSENT_NAMES.get(path) or ABSENT_NAMES.get(f"*.{name}")
    if entry is None and not name.startswith("_") and not _is_tool_probe(name):
        entry = ABSENT_MODULES.get(module)
    return entry


# Names that tools look up on any module they import (pytest_plugins, pytestmark, module-level
# setup hooks, unittest's load_tests): an absent module must not answer them with a placeholder.
_TOOL_PROBES = {"setup_module", "teardown_module", "setUpModule", "tearDownModule", "setup",
                "teardown", "load_tests"}


def _is_tool_probe(name: str) -> bool:
    return name.startswith("pytest") or name in _TOOL_PROBES


class AbsentName:
    """Stands for an MXNet name gluax lacks: importing it works, using it raises."""

    def __init__(self, path: str, reason: str, alternative: str) -> None:
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_message", _message(path, reason, alternative))

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise AbsentNameError(object.__getattribute__(self, "_message"))

    __call__ = _fail

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        self._fail()

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        # a library may subclass an absent class at import (GluonCV's loader subclasses
        # _MultiWorkerIter): the subclass is built, creating an instance raises
        message = object.__getattribute__(self, "_message")

        def __init__(obj: Any, *args: Any, **kwargs: Any) -> None:
            raise AbsentNameError(message)

        name = object.__getattribute__(self, "_path").rpartition(".")[2]
        return (type(name, (), {"__init__": __init__, "__doc__": message}),)

    def __repr__(self) -> str:
        return f"<absent in gluax: {object.__getattribute__(self, '_path')}>"


_PLACEHOLDERS: dict[str, AbsentName] = {}


def mxnet_path(module_name: str) -> str:
    """``gluax.gluon.block`` -> ``mxnet.gluon.block``."""
    return "mxnet" + module_name[len("gluax"):] if module_name.startswith("gluax") else module_name


def absent_attribute(module_name: str, name: str,
                     error: AttributeError | None = None) -> AbsentName:
    """Module ``__getattr__`` of a public gluax module: the placeholder for an absent MXNet name,
    else ``error`` (the module's own lookup failure) or the usual AttributeError."""
    path = f"{mxnet_path(module_name)}.{name}"
    entry = lookup(path)
    if entry is None:
        if error is not None:
            raise error
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
    placeholder = _PLACEHOLDERS.get(path)
    if placeholder is None:
        placeholder = _PLACEHOLDERS[path] = AbsentName(path, *entry)
    return placeholder


class _AbsentOperatorModule(types.ModuleType):
    """What ``from gluax.ndarray.contrib import adamw_update`` finds for an absent operator:
    the attribute itself stays missing (``hasattr`` is False, as the operator table wants), but
    the import succeeds through Python's ``sys.modules`` fallback and any use raises."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, message)
        self.__dict__["_message"] = message

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise AbsentNameError(self.__dict__["_message"])

    def __repr__(self) -> str:
        return f"<absent in gluax: {self.__name__}>"

    def __getattr__(self, attr: str) -> Any:
        # an AttributeError, so tools that scan sys.modules (pickle, inspect) pass it by
        raise AttributeError(self.__dict__["_message"])


_OP_NAMESPACES = {"": ("gluax.ndarray", "gluax.symbol"),
                  "contrib": ("gluax.ndarray.contrib", "gluax.symbol.contrib",
                              "gluax.contrib.ndarray", "gluax.contrib.symbol"),
                  "_internal": ("gluax.ndarray._internal", "gluax.symbol._internal"),
                  "linalg": ("gluax.ndarray.linalg", "gluax.symbol.linalg"),
                  "sparse": ("gluax.ndarray.sparse",), "random": ("gluax.ndarray.random",),
                  "image": ("gluax.ndarray.image",)}


def importable_absent_operators(table: dict[str, tuple[str, str]]) -> None:
    """Let ``from gluax.ndarray.contrib import <absent operator>`` import (GluonNLP imports the
    fused AdamW operators at module level); calling the result raises the operator table's
    reason. Plain ``_internal`` names (``_foo``) stay un-importable only by attribute."""
    for key, (reason, alternative) in table.items():
        space, _, name = key.rpartition(".")
        if not space:
            space = "_internal" if name.startswith("_") else ""
        for module in _OP_NAMESPACES.get(space, ()):
            full = f"{module}.{name}"
            if full not in sys.modules:
                msg = (f"gluax does not implement MXNet operator {name!r} ({reason}); "
                       f"use {alternative}.")
                sys.modules[full] = _AbsentOperatorModule(full, msg)
