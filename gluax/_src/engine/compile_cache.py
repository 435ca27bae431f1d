"""What compiled stays compiled: JAX's persistent compilation cache, on by default.

XLA compiles every program gluax runs (each eager operator signature, each hybridized call,
each optimizer update), which makes a script's first steps slow. JAX can keep the compiled
executables on disk and load them in the next process; gluax switches that on at import, in a
per-user cache directory (as pip and Triton keep theirs):

* ``$GLUAX_COMPILATION_CACHE`` unset (or ``1``/``on``): ``$XDG_CACHE_HOME/gluax/jax``, by
  default ``~/.cache/gluax/jax``;
* ``GLUAX_COMPILATION_CACHE=0`` (or ``off``/``false``/``no``): no cache;
* ``GLUAX_COMPILATION_CACHE=/some/dir``: that directory.

``set_compilation_cache(path)`` / ``set_compilation_cache(None)`` does the same at run time. A
cache directory the user gave JAX itself (``JAX_COMPILATION_CACHE_DIR``) is left alone.

JAX writes a program to the cache only when it took at least a second to compile; gluax's
programs are mostly small eager operators of 0.05-0.5 s each, so the thresholds are zero: every
program is cached (a few KB to a few hundred KB each) and read back in about a millisecond.

On top of it, gluax keeps its own cache of eager operator executables (``load_executable`` /
``store_executable``, used by the registry): keyed by operator, attributes and input shapes and
dtypes, it holds the serialized executable itself, so that a later process skips tracing and
lowering too (JAX's cache is keyed by the lowered program, so a hit there still pays for both).
Its entries live in ``<cache dir>/gluax-executables``; the same switch turns it on, off or
moves it.

Also here: JAX's and XLA's loggers are quieted (WARNING) unless the user asked for their
records, so that ``logging.basicConfig(level=logging.DEBUG)`` shows the user's records, not
one per compilation. ``logging.getLogger("jax").setLevel(logging.DEBUG)`` (or
``JAX_LOGGING_LEVEL=DEBUG``) brings them back.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import pathlib
import pickle
import platform
import threading
import warnings
import zlib
from typing import Any, Callable


def quiet_jax_loggers() -> None:
    """JAX's loggers at WARNING unless the user chose a level for them (``JAX_LOGGING_LEVEL``
    or a level set on the ``jax`` logger before gluax was imported)."""
    if os.environ.get("JAX_LOGGING_LEVEL") or os.environ.get("JAX_DEBUG_LOG_MODULES"):
        return
    for name in ("jax", "jaxlib"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


quiet_jax_loggers()  # before importing JAX, which logs as it loads

import jax  # noqa: E402
import numpy as np  # noqa: E402

ENV = "GLUAX_COMPILATION_CACHE"
_OFF = ("0", "off", "false", "no", "none")
_ON = ("", "1", "on", "true", "yes")
_LOG = logging.getLogger("gluax")
_DEFAULT: Any = object()
_current: str | None = None


def default_cache_dir() -> str:
    """``$XDG_CACHE_HOME/gluax/jax`` (``~/.cache/gluax/jax`` when XDG_CACHE_HOME is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "gluax", "jax")


def compilation_cache_dir() -> str | None:
    """The directory compiled programs are kept in, or None when the cache is off."""
    return _current


def _reset_jax_cache(path: str | None = None) -> None:
    """Make JAX reopen its cache with the new setting (it opens it once), in ``path`` through
    ``_AtomicFileCache`` when JAX's internals are as expected."""
    from jax.experimental.compilation_cache import compilation_cache as cc

    cc.reset_cache()
    if path is None:
        return
    try:
        from jax._src import compilation_cache as jcc

        with jcc._cache_initialized_mutex:
            jcc._cache = _atomic_cache_class()(path)
            jcc._cache_initialized = True
    except (ImportError, AttributeError, TypeError):  # another JAX: its own file cache
        cc.reset_cache()


def _atomic_cache_class() -> type:
    from jax._src.compilation_cache_interface import CacheInterface

    class _AtomicFileCache(CacheInterface):
        """JAX's file cache layout (``<key>-cache`` files), written atomically: a temporary
        file renamed into place, so that processes sharing the directory (several scripts,
        test workers) never read a half-written entry. No size limit or eviction, as JAX's
        own cache without ``jax_compilation_cache_max_size``."""

        def __init__(self, path: str) -> None:
            self._path = pathlib.Path(path)

        def get(self, key: str) -> bytes | None:
            try:
                data = (self._path / f"{key}-cache").read_bytes()
            except OSError:
                return None
            _LAST_READ.entry = data  # for compile_fresh: the bytes JAX loads its hit from
            return data

        def put(self, key: str, value: bytes) -> None:
            final = self._path / f"{key}-cache"
            if final.exists():
                return
            tmp = self._path / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
            try:
                tmp.write_bytes(value)
                os.replace(tmp, final)
            except OSError:
                tmp.unlink(missing_ok=True)

    return _AtomicFileCache


def set_compilation_cache(path: str | os.PathLike[str] | None = _DEFAULT) -> str | None:
    """Keep compiled XLA programs in ``path`` (created if missing) so that later processes
    load them instead of compiling; ``None`` turns the cache off; no argument: the default
    per-user directory (``default_cache_dir()``). Returns the directory in use (or None).

    Programs compiled earlier in this process stay compiled in memory either way; the
    setting decides where new ones are written and looked up.
    """
    global _current
    if path is None:
        jax.config.update("jax_enable_compilation_cache", False)
        _reset_jax_cache()
        _current = None
        return None
    if path is _DEFAULT:
        path = default_cache_dir()
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"set_compilation_cache: path must be a directory name or None, got "
            f"{type(path).__name__}."
        )
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"set_compilation_cache: {path!r} exists and is not a directory.")
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_enable_compilation_cache", True)
    # Every program, however small or quick to compile: gluax's eager operators compile in
    # 0.05-0.5 s each and load from the cache in about a millisecond.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    _reset_jax_cache(path)
    _current = path
    return path


# --------------------------------------------------------------------------------------------
# gluax's executable cache: eager operator programs, serialized, keyed by what they compute
# --------------------------------------------------------------------------------------------

EXE_SUBDIR = "gluax-executables"
_EXE_MAGIC = b"gluax-exe-1"
_FINGERPRINT: list[str] = []
# Executables loaded from / written to gluax's cache in this process, and entries found
# unusable (corrupt, stale): for the tests and benchmarks/bench_first_step.py.
EXE_STATS = {"loaded": 0, "stored": 0, "unusable": 0, "failed": 0}


def executable_dir() -> pathlib.Path | None:
    """Where eager operator executables are kept (inside the compilation cache), or None."""
    return None if _current is None else pathlib.Path(_current) / EXE_SUBDIR


def _source_fingerprint() -> str:
    """Everything besides the operator, attributes and inputs that decides what a program
    computes or whether an executable loads: JAX and jaxlib versions, the machine (an XLA CPU
    executable uses the host's instruction set), gluax's own sources (any edit of a file
    invalidates every entry) and the JAX settings that change tracing."""
    if not _FINGERPRINT and os.environ.get("_GLUAX_SOURCES_FINGERPRINT"):
        # the tests' processes agree on one while other edits of the sources go on
        _FINGERPRINT.append(os.environ["_GLUAX_SOURCES_FINGERPRINT"])
    if not _FINGERPRINT:
        h = hashlib.sha256()
        import jaxlib

        h.update(f"{jax.__version__}|{jaxlib.__version__}|{platform.machine()}".encode())
        try:
            with open("/proc/cpuinfo", "rb") as f:
                for line in f:
                    if line.startswith(b"flags"):
                        h.update(line)
                        break
        except OSError:
            h.update(platform.processor().encode())
        src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # gluax/_src
        for path in sorted(glob.glob(os.path.join(src, "**", "*.py"), recursive=True)):
            st = os.stat(path)
            h.update(f"{os.path.relpath(path, src)}|{st.st_size}|{st.st_mtime_ns}".encode())
        _FINGERPRINT.append(h.hexdigest())
    import sys

    nn = sys.modules.get("gluax._src.ops.nn")  # its CPU lowering switches (benchmarks flip them)
    npmode = sys.modules.get("gluax._src.engine.npmode")  # MXNet's numpy shape/array semantics
    flags = (
        getattr(nn, "POINTWISE_LOWERING", None),
        getattr(nn, "MAX_POOL_TAPS", None),
        tuple(getattr(nn, "DEPTHWISE_JVP", ())),
        getattr(nn, "POINTWISE_BATCHED_POSITIONS", None),
        npmode.is_np_shape() if npmode is not None else None,
        npmode.is_np_array() if npmode is not None else None,
        jax.config.jax_enable_x64,
        jax.config.jax_default_matmul_precision,
        jax.config.jax_numpy_rank_promotion,
        jax.config.jax_default_prng_impl,
        jax.config.jax_threefry_partitionable,
        jax.config.jax_numpy_dtype_promotion,
    )
    return f"{_FINGERPRINT[0]}|{flags!r}"


def executable_key(what: str, device: Any) -> str:
    """The full cache key of program ``what`` (operator, attributes, input signature) on
    ``device``."""
    backend = device.client
    return (
        f"{what}|{device.platform}|{device.device_kind}|{backend.platform_version}|"
        f"{_source_fingerprint()}"
    )


def _entry(key: str) -> pathlib.Path | None:
    d = executable_dir()
    if d is None:
        return None
    return d / (hashlib.sha256(key.encode()).hexdigest() + ".exe")


def load_executable(key: str, in_tree: Any, device: Any) -> Any:
    """The executable stored under ``key``, loaded onto ``device``; None when there is none or
    it cannot be used (unreadable, written for another key, another JAX): the caller compiles
    and stores it again."""
    path = _entry(key)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        magic, stored_key, payload, stored_in, out_tree = pickle.loads(zlib.decompress(data))
        if magic != _EXE_MAGIC or stored_key != key or stored_in != in_tree:
            raise ValueError("written for another program")
        from jax.experimental import serialize_executable

        exe = serialize_executable.deserialize_and_load(
            payload, in_tree, out_tree, execution_devices=[device]
        )
    except Exception:  # noqa: BLE001 -- a corrupt or foreign entry is a miss, never a crash
        _LOG.debug("gluax: executable cache entry %s unusable; recompiling", path.name)
        EXE_STATS["unusable"] += 1
        return None
    EXE_STATS["loaded"] += 1
    try:
        os.utime(path)  # the entry's age is its last use: trimming drops the least recent
    except OSError:
        pass
    return exe


class _JaxHits(threading.local):
    n = 0  # programs JAX's persistent cache served
    requests = 0  # programs that went to the persistent cache (served or XLA-compiled)


_JAX_HITS = _JaxHits()


def _count_jax_hit(name: str, **kwargs: Any) -> None:
    if name == "/jax/compilation_cache/cache_hits":
        _JAX_HITS.n += 1
    elif name == "/jax/compilation_cache/compile_requests_use_cache":
        _JAX_HITS.requests += 1


jax.monitoring.register_event_listener(_count_jax_hit)


class _LastRead(threading.local):
    entry: bytes | None = None  # the last entry this thread read from JAX's cache


_LAST_READ = _LastRead()


def compile_fresh(jitted: Any, args: tuple[Any, ...]) -> tuple[Any, Any]:
    """``jitted`` compiled ahead of time for ``args``, and what ``store_executable`` may keep
    of it: True when XLA compiled it in this call; the executable's original bytes when JAX
    loaded it from its persistent cache; None when neither is known (JAX reused a program
    already in this process's memory). With jaxlib 0.10 on CPU, re-serializing an executable
    that was itself deserialized writes an entry that loads but fails when run ("Function
    ... not found"), so a cache hit is stored from the bytes JAX read, never re-serialized.
    (Without that, an executable-cache entry invalidated by a new gluax or JAX version would
    never be written again while JAX's cache holds the program.) ``PersistentJit`` also
    checks each loaded entry's first call."""
    hits, requests = _JAX_HITS.n, _JAX_HITS.requests
    _LAST_READ.entry = None
    exe = jitted.lower(*args).compile()
    if _JAX_HITS.requests == requests:
        return exe, None
    if _JAX_HITS.n == hits:
        return exe, True
    return exe, _original_bytes(_LAST_READ.entry)


def _original_bytes(entry: bytes | None) -> bytes | None:
    """The serialized executable inside a JAX cache entry (None: not readable here)."""
    if entry is None:
        return None
    try:
        from jax._src import compilation_cache as jcc

        return jcc.extract_executable_and_time(jcc.decompress_executable(entry))[0]
    except Exception:  # noqa: BLE001 -- another JAX: such programs are not stored
        return None


def store_executable(key: str, compiled: Any, original: bytes | None = None) -> None:
    """Write ``compiled`` under ``key``, atomically (a temporary file renamed into place: a
    reader never sees half an entry; a corrupt entry is replaced). ``original``: the
    executable's serialized bytes as XLA first wrote them (``compile_fresh``), used instead of
    serializing ``compiled`` again. Programs that JAX cannot serialize are simply not
    stored."""
    path = _entry(key)
    if path is None:
        return
    try:
        payload, in_tree, out_tree = _serialize(compiled, original)
        # zlib level 1: entries ~2.4x smaller (resnet18's 44: 538 -> 228 KB), 0.4 ms to inflate
        data = zlib.compress(pickle.dumps((_EXE_MAGIC, key, payload, in_tree, out_tree)), 1)
    except Exception:  # noqa: BLE001 -- e.g. programs with constants JAX cannot serialize
        return
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
        EXE_STATS["stored"] += 1
    except OSError:
        tmp.unlink(missing_ok=True)
        return
    if not _TRIMMED:
        _TRIMMED.append(True)
        trim_executables(path.parent)


_NOTE_MAGIC = b"gluax-note-1"


def load_note(what: str, device: Any) -> Any:
    """A small record stored with ``store_note`` under program identity ``what`` (what a
    program's caller learned tracing it, e.g. its output shapes), or None."""
    key = executable_key(what, device)
    entry = _entry(key)
    if entry is None:
        return None
    try:
        magic, stored, value = pickle.loads(zlib.decompress(entry.with_suffix(".note").read_bytes()))
    except Exception:  # noqa: BLE001 -- missing, unreadable or another format: none
        return None
    return value if magic == _NOTE_MAGIC and stored == key else None


def store_note(what: str, device: Any, value: Any) -> None:
    """Keep ``value`` (picklable, small) for ``load_note``, atomically (as executables)."""
    key = executable_key(what, device)
    entry = _entry(key)
    if entry is None:
        return
    path = entry.with_suffix(".note")
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.note.tmp")
    try:
        data = zlib.compress(pickle.dumps((_NOTE_MAGIC, key, value)), 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except Exception:  # noqa: BLE001 -- an unpicklable value, a full disk: not kept
        tmp.unlink(missing_ok=True)


def _serialize(compiled: Any, original: bytes | None) -> tuple[bytes, Any, Any]:
    """``jax.experimental.serialize_executable.serialize``, with the executable's bytes
    replaced by ``original`` when given."""
    from jax.experimental import serialize_executable

    if original is None:
        return serialize_executable.serialize(compiled)
    import io

    from jax._src.lib import xla_client as xc

    base = serialize_executable._JaxPjrtPickler

    class _Pickler(base):  # type: ignore[misc, valid-type]
        def persistent_id(self, obj: Any) -> Any:
            if isinstance(obj, xc.LoadedExecutable):
                return ("exec", original)
            return super().persistent_id(obj)

    unloaded = getattr(compiled._executable, "_unloaded_executable", None)
    if unloaded is None or compiled._params.const_args:
        raise ValueError("not serializable")
    args_flat, in_tree = jax.tree_util.tree_flatten(compiled.args_info)
    with io.BytesIO() as f:
        _Pickler(f).dump((unloaded, args_flat, compiled._no_kwargs))
        return f.getvalue(), in_tree, compiled.out_tree


# The executable cache's size limit (``$GLUAX_EXECUTABLE_CACHE_MB``, default 1024 MB): the
# first store of each process removes the least recently used entries beyond it. Entries of
# an older gluax or JAX are never used again (their keys change), so without a limit the
# directory would only grow.
_TRIMMED: list[bool] = []


def _max_bytes() -> int:
    try:
        return int(float(os.environ.get("GLUAX_EXECUTABLE_CACHE_MB", "1024")) * 2**20)
    except ValueError:
        return 1024 * 2**20


def trim_executables(directory: pathlib.Path, max_bytes: int | None = None) -> int:
    """Remove the least recently used entries of ``directory`` until it holds at most 80% of
    ``max_bytes`` (when it holds more than ``max_bytes``); returns how many were removed.
    Entries another process removes at the same time are skipped."""
    limit = _max_bytes() if max_bytes is None else max_bytes
    entries = []
    for f in directory.glob("*.exe"):
        try:
            st = f.stat()
        except OSError:
            continue
        entries.append((st.st_mtime, st.st_size, f))
    total = sum(size for _, size, _ in entries)
    if total <= limit:
        return 0
    removed = 0
    for _, size, f in sorted(entries, key=lambda e: e[0]):
        if total <= 0.8 * limit:
            break
        try:
            f.unlink()
        except OSError:
            continue
        f.with_suffix(".note").unlink(missing_ok=True)  # what a caller noted with it
        total -= size
        removed += 1
    return removed


def _signature_text(sig: tuple[Any, ...]) -> str:
    """An input signature (``PersistentJit``'s) as text for the executable cache's key."""
    parts = []
    for s in sig:
        if isinstance(s, tuple) and len(s) == 3:  # a numpy array (_arg_sig)
            parts.append(f"np:{s[2].name}{list(s[1])}")
        elif isinstance(s, tuple):
            aval = s[0]
            weak = "w" if aval.weak_type else ""
            parts.append(f"{aval.dtype.name}{list(aval.shape)}{weak}")
        else:
            parts.append(s.__name__)
    return ",".join(parts)


def jax_core() -> Any:
    """JAX's core module (``Literal``, ``Jaxpr``, ``ClosedJaxpr``, ``jaxpr_as_fun``) without
    importing ``jax.extend``, whose package imports Pallas (~35 ms of a first training step)."""
    try:
        from jax._src import core

        core.Literal, core.Jaxpr, core.ClosedJaxpr, core.jaxpr_as_fun  # noqa: B018
        return core
    except (ImportError, AttributeError):  # another JAX: the public module
        from jax.extend import core

        return core


def avals_text(sig: tuple[Any, ...]) -> str:
    """A signature (per argument an aval, or ``(type, shape, dtype, weak_type)``) as text for
    a key."""
    parts = []
    for e in sig:
        if isinstance(e, tuple):
            t, shape, dt, weak = e
            parts.append(f"{t.__name__}{list(shape)}{dt}{'w' if weak else ''}")
        else:
            parts.append(f"Array{list(e.shape)}{e.dtype}{'w' if e.weak_type else ''}")
    return ",".join(parts)


_DEFAULT_DEVICE: list[Any] = []


def default_device() -> Any:
    """The device gluax's executables are compiled for and loaded onto (the first one)."""
    if not _DEFAULT_DEVICE:
        _DEFAULT_DEVICE.append(jax.devices()[0])
    return _DEFAULT_DEVICE[0]


class PersistentJit:
    """``jax.jit(fn)`` (positional array and Python scalar arguments only) backed by gluax's
    executable cache; ``name`` is the program's identity there (an operator's name and
    attributes; None: not cached), unique to what ``fn`` computes. Per input signature (avals,
    device placement, Python scalar types) it keeps the callable to run. With the persistent
    compilation cache on, a signature seen for the first time in this process is looked up in
    gluax's executable cache (``load_executable``): a hit loads the executable and skips
    tracing and lowering (resnet18's eager programs: ~3-5 ms each to load, against tens to
    hundreds of ms to trace and lower); a miss compiles ahead of time and stores it. Later
    calls of a known signature cost a tuple and a dict lookup more than the jitted call (~1 us:
    tanh 64x64 10.6-11.6 -> 11.7-13.0 us in ``bench_core.py``). Inputs on another device than the default one, tracers, or a
    ``name`` of None just use the jitted function."""

    __slots__ = ("jit", "by_sig", "name")

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | Callable[[], str | None] | None,
        donate_argnums: tuple[int, ...] = (),
    ) -> None:
        self.jit = jax.jit(fn, donate_argnums=donate_argnums) if donate_argnums else jax.jit(fn)
        self.by_sig: dict[Any, Callable[..., Any]] = {}
        # the program's identity in the cache (None: not cached), or a function giving it when
        # a signature is first resolved (what it depends on may change until then)
        self.name = name

    def __call__(self, *args: Any) -> Any:
        try:
            sig = tuple([_arg_sig(a) for a in args])
            f = self.by_sig.get(sig)
        except Exception:  # noqa: BLE001 -- tracers and the unexpected: the jitted path
            return self.jit(*args)
        if f is None:
            f = self._resolve(sig, args)
        return f(*args)

    def lower(self, *args: Any, **kwargs: Any) -> Any:
        return self.jit.lower(*args, **kwargs)

    def _cache_size(self) -> int:
        """Programs this operator and attribute set holds: jitted signatures and executables
        (compiled ahead of time or loaded from the cache)."""
        return self.jit._cache_size() + sum(1 for f in self.by_sig.values() if f is not self.jit)

    def _resolve(self, sig: tuple[Any, ...], args: tuple[Any, ...]) -> Callable[..., Any]:
        f = self.jit
        device = default_device()
        name = self.name() if callable(self.name) else self.name
        if (
            name is not None
            and compilation_cache_dir() is not None
            and jax.config.jax_default_device in (None, device)
            and all(
                (len(s) == 3 or s[1] == jax.sharding.SingleDeviceSharding(device))
                if isinstance(s, tuple)
                else s in _SCALARS or issubclass(s, np.generic)
                for s in sig
            )
            and not any(isinstance(a, jax.core.Tracer) for a in args)
        ):
            key = executable_key(f"{name}|{_signature_text(sig)}", device)
            in_tree = jax.tree_util.tree_structure((args, {}))
            exe = load_executable(key, in_tree, device)
            if exe is not None:
                f = self.by_sig[sig] = _checked_first_call(self, sig, _fast_call(exe), key)
                return f
            try:
                exe, source = compile_fresh(self.jit, args)
            except Exception:  # noqa: BLE001 -- the jitted call raises the real error
                return self.jit
            if source is True:
                store_executable(key, exe)
            elif source is not None:
                store_executable(key, exe, source)
            f = _fast_call(exe)
        self.by_sig[sig] = f
        return f


# Python values whose type is all of their signature (None: an argument left out, a bias)
_SCALARS = (int, float, bool, complex, type(None))


def _arg_sig(a: Any) -> Any:
    """One argument's part of a ``PersistentJit`` signature: (aval, placement) of a jax array;
    (ndarray, shape, dtype) of a numpy array (passed as is: the compiled call converts it
    faster than a ``device_put`` from Python); the type of a Python or numpy scalar."""
    if isinstance(a, jax.Array):
        return (a.aval, a.sharding)
    if type(a) is np.ndarray:
        return (np.ndarray, a.shape, a.dtype)
    return type(a)


DONATION_WARNING = "Some donated buffers were not usable"


class quiet_donation(warnings.catch_warnings):  # noqa: N801 -- used as a context manager
    """XLA warns, when it lowers a program, that it cannot reuse a donated buffer (a backend
    without donation): then the step only allocates as it would without donation, which is
    not worth a warning."""

    def __enter__(self) -> Any:
        out = super().__enter__()
        warnings.filterwarnings("ignore", message=DONATION_WARNING)
        return out


class TreeJit:
    """``jax.jit(fn, donate_argnums=...)`` for positional pytree arguments (lists, tuples,
    None), backed by gluax's executable cache: one ``PersistentJit`` per input tree structure,
    over the flattened arrays. ``name()`` gives the program's identity in the cache when a new
    signature is first met (None: not cached); the tree structure is added to it. Used by the
    deferred backward's plan programs (``tape``) and the Trainer's fused update."""

    __slots__ = ("fn", "name", "donate", "by_tree", "fast", "many")

    def __init__(
        self,
        fn: Callable[..., Any],
        name: Callable[[], str | None],
        donate_argnums: tuple[int, ...] = (),
    ) -> None:
        # (with donated arguments, the calls that may lower a program run under
        # quiet_donation(): the direct call of a compiled executable never warns, and entering
        # a warnings context costs ~8 us a step)
        self.fn, self.name, self.donate = fn, name, donate_argnums
        self.by_tree: dict[Any, PersistentJit] = {}
        # per tree structure, the executable of the signature last resolved: called directly
        # (its own C++ check refuses other avals or placements, before running or consuming a
        # donated input), which spares building the signature of every leaf on every step
        self.fast: dict[Any, Callable[..., Any]] = {}
        self.many: set[Any] = set()

    def __call__(self, *args: Any) -> Any:
        leaves, tree = jax.tree_util.tree_flatten(args)
        return self.call_flat(leaves, tree, args)

    def call_flat(self, leaves: list[Any], tree: Any, args: tuple[Any, ...]) -> Any:
        """``self(*args)`` for a caller that has flattened ``args`` already (``leaves``,
        ``tree``): the executable last resolved for ``tree`` directly, else resolved."""
        f = self.fast.get(tree)
        if f is not None:
            try:
                return f(*leaves)
            except (TypeError, ValueError):  # another signature: resolved below
                if any(isinstance(a, jax.Array) and a.is_deleted() for a in leaves):
                    raise  # it ran (a donated input is gone): a real error
                # several signatures share this tree (BatchNorm's running-statistics update
                # over layers of different widths): a refused direct call costs an exception
                # and JAX's message (~30 us), so these go by signature from now on
                del self.fast[tree]
                self.many.add(tree)
        pj = self.by_tree.get(tree)
        if pj is None:
            pj = self.by_tree[tree] = self._make(tree, args)
        if self.donate:
            with quiet_donation():
                out = pj(*leaves)
        else:
            out = pj(*leaves)
        try:
            sig = tuple([_arg_sig(a) for a in leaves])
        except Exception:  # noqa: BLE001 -- the unexpected: no direct call
            return out
        got = pj.by_sig.get(sig)
        if (
            got is not None
            and got is not pj.jit
            and not hasattr(got, "_gluax_first_call")
            and tree not in self.many
        ):
            self.fast[tree] = got
        return out

    def _cache_size(self) -> int:
        """Programs held, over every input tree structure (as ``PersistentJit._cache_size``)."""
        return sum(pj._cache_size() for pj in self.by_tree.values())

    def _make(self, tree: Any, args: tuple[Any, ...]) -> PersistentJit:
        donate: list[int] = []
        at = 0
        for k, a in enumerate(args):
            n = len(jax.tree_util.tree_leaves(a))
            if k in self.donate:
                donate.extend(range(at, at + n))
            at += n
        fn = self.fn

        def flat(*leaves: Any) -> Any:
            return fn(*jax.tree_util.tree_unflatten(tree, leaves))

        def name() -> str | None:
            base = self.name()
            return None if base is None else f"{base}|donate{tuple(donate)}|{tree}"

        return PersistentJit(flat, name, tuple(donate))


def _checked_first_call(
    owner: PersistentJit, sig: Any, f: Callable[..., Any], key: str
) -> Callable[..., Any]:
    """``f`` (an executable loaded from the cache) for its first call: if that call fails, the
    entry is dropped and the signature goes back to the jitted function, which compiles the
    program anew (or raises the real error). An entry that loads but cannot run (jaxlib 0.10
    on CPU wrote such entries when re-serializing an executable JAX had itself loaded: "Function
    ... not found") costs one failed call, never a wrong result or a crash. After a good first
    call the executable is called directly."""

    def first(*args: Any) -> Any:
        try:
            out = f(*args)
        except Exception:  # noqa: BLE001 -- recompiled below; a real error is raised again there
            EXE_STATS["failed"] += 1
            path = _entry(key)
            if path is not None:
                path.unlink(missing_ok=True)
            owner.by_sig[sig] = owner.jit
            if any(isinstance(a, jax.Array) and a.is_deleted() for a in args):
                raise RuntimeError(
                    f"gluax: the compiled program {owner.name!r} loaded from the executable "
                    "cache failed after its donated inputs were consumed; the cache entry has "
                    "been removed and the program will be compiled anew on the next call, but "
                    "the arrays passed to this call are gone (run the step again from saved "
                    "parameters, or turn the cache off with GLUAX_COMPILATION_CACHE=0)."
                ) from None
            return owner.jit(*args)
        owner.by_sig[sig] = f
        return out

    first._gluax_first_call = True  # type: ignore[attr-defined]
    return first


def _fast_call(exe: Any) -> Callable[..., Any]:
    """The C++ call path of a ``jax.stages.Compiled`` (what its ``__call__`` creates on first
    use and then forwards to, one Python frame less per call), or ``exe`` itself."""
    try:
        call = exe._executable.create_cpp_call(exe._params)
    except Exception:  # noqa: BLE001 -- another JAX: the public call
        return exe
    return exe if call is None else call


def setup_from_env() -> str | None:
    """Apply ``$GLUAX_COMPILATION_CACHE`` (called once, by ``import gluax``). A cache
    directory that cannot be created turns the cache off with a warning instead of failing
    the import."""
    global _current
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        _current = os.environ["JAX_COMPILATION_CACHE_DIR"]  # the user's own JAX setting
        return _current
    value = os.environ.get(ENV, "").strip()
    if value.lower() in _OFF:
        return set_compilation_cache(None)
    path = default_cache_dir() if value.lower() in _ON else value
    try:
        return set_compilation_cache(path)
    except (OSError, ValueError) as e:
        _LOG.warning("gluax: compilation cache off, cannot use %r (%s). Set %s.", path, e, ENV)
        return set_compilation_cache(None)


# Applied once, when ``import gluax`` first imports this module.
setup_from_env()
