"""``Trainer.save_states`` / ``load_states``: the optimizer state file (MXNet's NDArray-list
format with a JSON metadata entry; no pickle) and, on explicit opt-in, MXNet's pickled state
files read by a restricted unpickler that builds nothing but plain data."""

from __future__ import annotations

import copy
import io
import json
import os
import pickle
import struct
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.engine.ndarray import NDArray
from gluax._src.optim.rules import Optimizer

_FORMAT = "gluax.trainer_states"
_META_KEY = "__trainer_states__"
# attributes that are inputs of the compiled update (or bookkeeping), not part of the rule
_LIVE_ATTRS = {
    "lr",
    "wd",
    "rescale_grad",
    "num_update",
    "begin_num_update",
    "_index_update_count",
    "lr_mult",
    "wd_mult",
    "idx2name",
    "param_dict",
    "lr_scheduler",
}


# Every attribute an MXNet 1.9.1 optimizer object holds (the union over its registered
# optimizers); a pickle's attribute outside these and the optimizer's own is corrupt.
_MXNET_ATTRS = frozenset(
    """_all_index_update_counts _index_update_count adaptive admult aggregate_num
    allow_np_array batch_scale begin_num_update beta beta1 beta2 bias_correction centered
    clip_gradient clip_weights cumgrads cur_lr eps epsilon eta float_stable_eps gamma1 gamma2
    idx2name init_updates lamda lamda1 last_lr lazy_update lbmult lower_bound lr lr_mult
    lr_scheduler m_schedule momentum momentum_correction multi_precision num_epochs num_update
    param_dict rescale_grad rho schedule_decay skip sym_info updates_per_epoch upper_bound
    warmup_epochs warmup_strategy wd wd_lh wd_mult weight_previous""".split()
)


def _check_attr(opt: Optimizer, k: Any, v: Any, fname: str, pickled: bool) -> bool:
    """Whether saved attribute ``k`` applies to ``opt``; raises for a name or a value that
    no optimizer file holds (a corrupt file). MXNet-only bookkeeping returns False."""
    from gluax._src.engine.serialization import FileFormatError

    field = "optimizer attributes" if pickled else "metadata field 'attrs'"
    if not isinstance(k, str) or not k.isidentifier():
        raise FileFormatError(
            "Trainer.load_states", fname, field, "attribute names that are identifiers", repr(k)
        )
    if k not in opt.__dict__:
        if pickled and k in _MXNET_ATTRS:
            return False  # MXNet's own kernels' bookkeeping (aggregate_num, sym_info, ...)
        raise FileFormatError(
            "Trainer.load_states", fname, f"{field}[{k!r}]",
            f"an attribute of {type(opt).__name__}", "an attribute it does not have",
        )  # fmt: skip
    cur = opt.__dict__[k]
    number = (int, float, np.integer, np.floating)
    if cur is not None and v is not None and k not in ("param_dict", "lr_scheduler"):
        same = (
            isinstance(v, bool) == isinstance(cur, bool)
            and (isinstance(v, number) == isinstance(cur, number))
            and (isinstance(v, str) == isinstance(cur, str))
        )
        if not same:
            raise FileFormatError(
                "Trainer.load_states", fname, f"{field}[{k!r}]",
                f"a value of the kind of {type(cur).__name__}", f"{type(v).__name__} {v!r:.60}",
            )  # fmt: skip
    return True


def _rule_attrs(opt: Optimizer) -> str:
    return repr(sorted((k, repr(v)) for k, v in opt.__dict__.items() if k not in _LIVE_ATTRS))


def _is_nd(x: Any) -> bool:
    return isinstance(x, NDArray)


def _raw(x: Any) -> Any:
    return x._value if isinstance(x, NDArray) else x


def _state_key(i: int, path: Any) -> str:
    parts = []
    for k in path:
        if isinstance(k, jax.tree_util.SequenceKey):
            parts.append(str(k.idx))
        elif isinstance(k, jax.tree_util.DictKey):
            parts.append(str(k.key))
        elif isinstance(k, jax.tree_util.GetAttrKey):
            parts.append(k.name)
        elif isinstance(k, jax.tree_util.FlattenedIndexKey):
            parts.append(str(k.key))
        else:
            parts.append(str(k))
    return "/".join([str(i), *parts])


def _encode(v: Any) -> Any:
    """A JSON-able form of an optimizer attribute; TypeError for anything else."""
    from gluax._src.optim.lr_scheduler import LRScheduler

    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, np.generic) and v.dtype.kind in "biuf":
        return v.item()
    if isinstance(v, list):
        return [_encode(x) for x in v]
    if isinstance(v, tuple):
        return {"tuple": [_encode(x) for x in v]}
    if isinstance(v, dict):
        return {"dict": [[_encode(k), _encode(x)] for k, x in v.items()]}
    if isinstance(v, LRScheduler):
        return {"lr_scheduler": type(v).__name__, "attrs": _encode(dict(v.__dict__))}
    raise TypeError(type(v).__name__)


def _decode(v: Any) -> Any:
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if isinstance(v, dict):
        if set(v) == {"tuple"}:
            return tuple(_decode(x) for x in v["tuple"])
        if set(v) == {"dict"}:
            return {_decode(k): _decode(x) for k, x in v["dict"]}
        if set(v) == {"lr_scheduler", "attrs"}:
            return _Pickled("lr_scheduler", str(v["lr_scheduler"]), _decode(v["attrs"]))
        raise ValueError(f"Trainer.load_states: unexpected entry {sorted(v)} in the metadata.")
    return v


def _scheduler(name: str, attrs: Any, current: Any) -> Any:
    """An lr_scheduler with the saved attributes: the optimizer's own when it is of the saved
    class (so a user's scheduler class works too), else gluax's class of that name."""
    from gluax._src.optim import lr_scheduler as _lrs

    if not isinstance(attrs, dict):
        raise ValueError(f"Trainer.load_states: the state of scheduler {name!r} is not a dict.")
    if current is not None and type(current).__name__ == name:
        target = copy.copy(current)
    else:
        cls = getattr(_lrs, name, None)
        if not (isinstance(cls, type) and issubclass(cls, _lrs.LRScheduler)):
            raise ValueError(
                f"Trainer.load_states: the file holds lr_scheduler {name!r}, which gluax does "
                "not have; create the Trainer with an optimizer that uses that scheduler class."
            )
        target = cls.__new__(cls)
    target.__dict__.update({str(k): v for k, v in attrs.items()})
    return target


class _Pickled:
    """Plain-data stand-in for an MXNet optimizer or lr_scheduler object in a pickle."""

    def __init__(self, kind: str, name: str, attrs: Any = None) -> None:
        self.kind, self.name, self.attrs = kind, name, attrs if attrs is not None else {}

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise pickle.UnpicklingError(f"MXNet {self.name}: expected a dict of attributes.")
        self.attrs = dict(state)


class _PickledNDArray:
    """Stand-in for ``mxnet.ndarray.NDArray`` in a pickle: MXNet pickles an NDArray as
    ``{'handle': bytes}``, the bytes being one array in MXNet's binary NDArray format."""

    fname = "<pickle>"

    def __init__(self, *args: Any) -> None:
        self.array: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        from gluax._src.engine.serialization import _read_array, _Reader

        if not isinstance(state, dict) or set(state) != {"handle"}:
            raise pickle.UnpicklingError("MXNet NDArray: expected the state {'handle': bytes}.")
        handle = state["handle"]
        if handle is None:
            return
        if not isinstance(handle, (bytes, bytearray)):
            raise pickle.UnpicklingError(
                f"MXNet NDArray: the handle must be bytes, got {type(handle).__name__}."
            )
        self.array = _read_array(_Reader(bytes(handle), self.fname))


def _numpy_scalar(dtype: Any, data: Any) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
        raise pickle.UnpicklingError(f"numpy scalar of dtype {dtype!r} is not allowed.")
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise pickle.UnpicklingError("numpy scalar: bad data.")
    return np.frombuffer(data, dtype)[0].item()


def _numpy_dtype(spec: Any, align: Any = False, copy: Any = False) -> np.dtype:
    if not isinstance(spec, str):
        raise pickle.UnpicklingError(f"numpy dtype {spec!r} is not allowed.")
    return np.dtype(spec)


class _MXNetStatesUnpickler(pickle.Unpickler):
    """Reads MXNet's Trainer states pickle without running code from it: NDArrays become
    numpy arrays, optimizers and schedulers plain attribute dicts; any other class is refused."""

    def __init__(self, f: Any, fname: str) -> None:
        super().__init__(f)
        self.fname = fname

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("mxnet.ndarray.ndarray", "NDArray"):
            return type("NDArray", (_PickledNDArray,), {"fname": self.fname})
        if module.startswith("mxnet.optimizer") and name.isidentifier():
            return _stand_in("optimizer", name)
        if module == "mxnet.lr_scheduler" and name.isidentifier():
            return _stand_in("lr_scheduler", name)
        if (module, name) == ("builtins", "bytearray"):
            return bytearray
        if module in ("numpy.core.multiarray", "numpy._core.multiarray") and name == "scalar":
            return _numpy_scalar
        if (module, name) == ("numpy", "dtype"):
            return _numpy_dtype
        raise pickle.UnpicklingError(
            f"Trainer.load_states: {self.fname!r} refers to {module}.{name}, which an MXNet "
            "Trainer states file does not hold; refusing to load it (it could run code)."
        )


def _stand_in(kind: str, name: str) -> type:
    def new(cls: type, *args: Any, **kwargs: Any) -> _Pickled:
        obj = object.__new__(cls)
        _Pickled.__init__(obj, kind, name)
        return obj

    return type(name, (_Pickled,), {"__new__": new})


def _mx_leaves(value: Any, fname: str) -> list[np.ndarray]:
    """The arrays of one MXNet state (an NDArray, None, or nested tuples/lists), in order."""
    if value is None:
        return []
    if isinstance(value, _PickledNDArray):
        return [] if value.array is None else [value.array]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _mx_leaves(v, fname)]
    raise ValueError(
        f"Trainer.load_states: {fname!r}: unexpected {type(value).__name__} in an MXNet state."
    )


# ---- donation ----------------------------------------------------------------------------------


def save_states(trainer: Any, fname: str) -> None:
    """See ``Trainer.save_states``."""
    from gluax._src.engine import serialization

    arrays: dict[str, np.ndarray] = {}
    shapes: dict[str, Any] = {}
    for i in sorted(trainer._states):
        flat, _ = jax.tree_util.tree_flatten_with_path(trainer._states[i], is_leaf=_is_nd)
        for path, leaf in flat:
            arrays[_state_key(i, path)] = np.asarray(_raw(leaf))
        p = trainer._params[i]
        w = p._data[0]._value if p._data is not None else None
        shapes[str(i)] = {
            "shape": list(w.shape if w is not None else p.shape),
            "dtype": np.dtype(w.dtype if w is not None else p.dtype).name,
        }
    attrs: dict[str, Any] = {}
    skipped = []
    for k, v in trainer._optimizer.__dict__.items():
        if k == "param_dict":
            continue
        try:
            attrs[k] = _encode(v)
        except TypeError:
            skipped.append(f"{k} ({type(v).__name__})")
    if skipped:
        warnings.warn(
            f"Trainer.save_states: optimizer attribute(s) {', '.join(skipped)} are not "
            "saved; only numbers, strings, None, lists/tuples/dicts of them and "
            "mx.lr_scheduler schedulers are.",
            stacklevel=2,
        )
    meta = {
        "format": _FORMAT,
        "version": 1,
        "optimizer": None if trainer._optax is not None else type(trainer._optimizer).__name__,
        "optax": trainer._optax is not None,
        "attrs": attrs,
        "params": shapes,
    }
    arrays[_META_KEY] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    serialization.atomic_write(fname, serialization.dumps(arrays))


def load_states(trainer: Any, fname: str, allow_pickle: bool = False) -> None:
    """See ``Trainer.load_states``."""
    from gluax._src.engine import serialization

    fname = os.fspath(fname)
    with serialization.reading("Trainer.load_states", fname, "a Trainer states file"):
        _load_states(trainer, fname, allow_pickle)


def _load_states(trainer: Any, fname: str, allow_pickle: bool) -> None:
    from gluax._src.engine import serialization

    fname = os.fspath(fname)
    if not os.path.exists(fname):
        raise FileNotFoundError(f"Trainer.load_states: no such file {fname!r}.")
    with open(fname, "rb") as f:
        buf = f.read()
    if buf[:8] == struct.pack("<Q", serialization.LIST_MAGIC):
        raw = serialization.loads(buf, fname)
        if not isinstance(raw, dict) or _META_KEY not in raw:
            raise ValueError(
                f"Trainer.load_states: {fname!r} is an NDArray file but not a Trainer "
                "states file (no '__trainer_states__' entry; a parameters file is loaded "
                "with net.load_parameters)."
            )
        try:
            meta = json.loads(raw.pop(_META_KEY).astype(np.uint8).tobytes().decode("utf-8"))
            ok = meta.get("format") == _FORMAT and {"optax", "attrs", "params"} <= set(meta)
        except (ValueError, AttributeError):
            ok = False
        if not ok:
            raise ValueError(
                f"Trainer.load_states: {fname!r}: the '__trainer_states__' entry is not "
                "gluax's Trainer states metadata."
            )
        if meta["optax"] != (trainer._optax is not None):
            saved = "an optax transformation" if meta["optax"] else repr(meta["optimizer"])
            raise ValueError(
                f"Trainer.load_states: {fname!r} holds the state of {saved}; this Trainer "
                f"uses {_describe(trainer)}."
            )
        attrs = {str(k): _decode(v) for k, v in meta["attrs"].items()}
        opt = _restored_optimizer(trainer, meta["optimizer"], attrs, fname)
        indices = [_check_index(trainer, int(key), fname) for key in meta["params"]]
        stray = [k for k in raw if k.split("/")[0] not in meta["params"]]
        if stray:
            raise ValueError(
                f"Trainer.load_states: {fname!r}: arrays {sorted(stray)} belong to no "
                "parameter listed in the metadata."
            )
        states = {}
        for i, (key, info) in zip(indices, meta["params"].items()):
            shape, dtype = tuple(info["shape"]), np.dtype(info["dtype"])
            prefix = key + "/"
            mine = {k: v for k, v in raw.items() if k == key or k.startswith(prefix)}
            states[i] = _state_from(trainer, opt, i, shape, dtype, fname, by_key=mine)
    elif buf[:1] == b"\x80":
        if not allow_pickle:
            raise ValueError(
                f"Trainer.load_states: {fname!r} is a Python pickle, the format of MXNet's "
                "Trainer.save_states. Loading a pickle can run code stored in the file; if "
                "you trust it, call load_states(fname, allow_pickle=True). (gluax's own "
                "save_states writes MXNet's NDArray format, which runs no code.)"
            )
        loaded = _MXNetStatesUnpickler(io.BytesIO(buf), fname).load()
        saved = None
        if isinstance(loaded, tuple) and len(loaded) == 2:
            loaded, saved = loaded
        if not isinstance(loaded, dict):
            raise ValueError(
                f"Trainer.load_states: {fname!r} is not an MXNet Trainer states pickle "
                f"(expected a dict of states, got {type(loaded).__name__})."
            )
        opt = trainer._optimizer
        if saved is not None:
            if not isinstance(saved, _Pickled) or saved.kind != "optimizer":
                raise ValueError(
                    f"Trainer.load_states: {fname!r} holds {type(saved).__name__} where "
                    "MXNet stores its optimizer."
                )
            if trainer._optax is not None:
                raise ValueError(
                    f"Trainer.load_states: {fname!r} holds MXNet's {saved.name} state; "
                    "this Trainer uses an optax transformation."
                )
            opt = _restored_optimizer(trainer, saved.name, saved.attrs, fname, pickled=True)
        for key in loaded:
            if not isinstance(key, int):
                raise ValueError(
                    f"Trainer.load_states: {fname!r}: state key {key!r} is not a parameter index."
                )
            _check_index(trainer, key, fname)
        states = {}
        for i, value in loaded.items():
            leaves = _mx_leaves(value, fname)
            p = trainer._params[i]
            shape = tuple(p.shape or ()) if p._data is not None else None
            if shape is None:
                shape = leaves[0].shape if leaves else tuple(p.shape or ())
            states[i] = _state_from(trainer, opt, i, shape, np.dtype(p.dtype), fname, leaves=leaves)
    else:
        raise ValueError(
            f"Trainer.load_states: {fname!r} is neither a gluax states file (MXNet's "
            "NDArray format) nor an MXNet states pickle."
        )
    # nothing changed until here: a refused file leaves the Trainer as it was
    opt.param_dict = dict(enumerate(trainer._params))
    old = trainer._optimizer
    if type(opt) is not type(old) or _rule_attrs(opt) != _rule_attrs(old):
        # the update rule reads hyper-parameters when it is traced: compile it again
        trainer._jit_update = None
        trainer._version += 1
    trainer._optimizer = opt
    trainer._states = states
    trainer._zeros = {}


def _describe(trainer: Any) -> str:
    if trainer._optax is not None:
        return "an optax transformation"
    return type(trainer._optimizer).__name__


def _check_index(trainer: Any, i: int, fname: str) -> int:
    if not 0 <= i < len(trainer._params):
        raise ValueError(
            f"Trainer.load_states: {fname!r} holds a state for parameter index {i}; this "
            f"Trainer has {len(trainer._params)} parameters."
        )
    return i


def _restored_optimizer(
    trainer: Any, name: str | None, attrs: dict[str, Any], fname: str, pickled: bool = False
) -> Any:
    """A copy of the optimizer (or a new one of the saved class, by registered name) with
    the saved attributes; the Trainer's own is untouched until the whole file has loaded."""
    opt = trainer._optimizer
    if name is not None and type(opt).__name__.lower() != str(name).lower():
        cls = Optimizer.opt_registry.get(str(name).lower())
        if cls is None:
            raise ValueError(
                f"Trainer.load_states: {fname!r} holds the state of optimizer {name!r}, "
                f"which is not registered in gluax (this Trainer uses "
                f"{type(opt).__name__}; registered: {sorted(Optimizer.opt_registry)})."
            )
        opt = cls()
    else:
        opt = copy.copy(opt)
    for k, v in attrs.items():
        # attributes MXNet keeps and gluax does not (aggregate_num, sym_info, ...) are
        # bookkeeping of MXNet's own kernels; they are skipped, any other name is refused
        if not _check_attr(opt, k, v, fname, pickled) or k == "param_dict":
            continue
        if isinstance(v, _Pickled):
            v = _scheduler(v.name, v.attrs, opt.lr_scheduler)
        opt.__dict__[k] = v
    return opt


def _state_from(
    trainer,
    opt: Optimizer,
    i: int,
    shape: tuple[int, ...],
    dtype: np.dtype,
    fname: str,
    by_key: dict[str, np.ndarray] | None = None,
    leaves: list[np.ndarray] | None = None,
) -> Any:
    """Parameter ``i``'s state in this Trainer's layout, filled with the saved arrays (by
    key for gluax's files, in order for MXNet's)."""
    p = trainer._params[i]
    known = p._data is not None or all(d > 0 for d in (p.shape or ()))
    if known and p.shape is not None and tuple(p.shape) != tuple(shape):
        raise ValueError(
            f"Trainer.load_states: {fname!r}: the state of parameter {i} ('{p.name}') was "
            f"saved for shape {tuple(shape)}, but the parameter has shape {tuple(p.shape)}."
        )
    ctx = p._data[0]._ctx if p._data is not None else None
    device = ctx.jax_device if ctx is not None else None
    per_parameter = trainer._optax is None and not opt.fused()
    what = "the optax transformation" if trainer._optax is not None else type(opt).__name__
    if per_parameter:
        zero = NDArray(jnp.zeros(shape, dtype), ctx)
        template = opt.create_state_multi_precision(i, zero)
        flat, tree = jax.tree_util.tree_flatten_with_path(template, is_leaf=_is_nd)
    else:
        init = trainer._optax.init if trainer._optax is not None else opt.rule().init
        template = jax.eval_shape(init, jax.ShapeDtypeStruct(shape, dtype))
        flat, tree = jax.tree_util.tree_flatten_with_path(template)
    if leaves is None:
        assert by_key is not None
        expected = {_state_key(i, path) for path, _ in flat}
        if set(by_key) != expected:
            raise ValueError(
                f"Trainer.load_states: {fname!r}: parameter {i} ('{p.name}') has state "
                f"arrays {sorted(by_key)}, but {what} keeps {sorted(expected)}."
            )
        leaves = [by_key[_state_key(i, path)] for path, _ in flat]
    elif len(leaves) != len(flat):
        raise ValueError(
            f"Trainer.load_states: {fname!r}: MXNet's state of parameter {i} ('{p.name}') "
            f"has {len(leaves)} array(s); gluax's {what} keeps {len(flat)}."
        )
    values = []
    for (path, slot), arr in zip(flat, leaves):
        want = tuple(_raw(slot).shape if per_parameter else slot.shape)
        if tuple(arr.shape) != want:
            raise ValueError(
                f"Trainer.load_states: {fname!r}: state array {_state_key(i, path)!r} has "
                f"shape {tuple(arr.shape)}, expected {want}."
            )
        kind = _raw(slot).dtype if per_parameter else slot.dtype
        if np.dtype(arr.dtype) != np.dtype(kind):
            from gluax._src.engine.serialization import FileFormatError

            raise FileFormatError(
                "Trainer.load_states", fname, f"state array {_state_key(i, path)!r}",
                f"dtype {np.dtype(kind).name} (what {what} keeps for '{p.name}')",
                np.dtype(arr.dtype).name,
            )  # fmt: skip
        value = jax.device_put(np.asarray(arr), device)
        values.append(NDArray(value, ctx) if per_parameter else value)
    return jax.tree_util.tree_unflatten(tree, values)


# ---- helpers of the state files ----------------------------------------------------------------
