"""``mx.profiler``: MXNet's profiler API over ``jax.profiler`` plus gluax's own counters.

While the profiler runs (``set_state('run')``):

* every eager operator call is timed (its outputs are waited for, so the time is the
  operator's, not its dispatch's) and counted by MXNet operator name;
* every hybridized block call is timed as one compiled program, under the block's name;
* traced code (hybridized blocks, ``mx.sym`` executors) runs each operator under
  ``jax.named_scope(<operator name>)`` and each block under its name, so the compiled programs'
  ops in the ``jax.profiler`` trace carry MXNet's names;
* ``Task``/``Frame``/``Event`` intervals, ``Counter`` values and ``Marker`` instants are kept.

``dump()`` writes those events to ``filename`` as a Chrome trace (open it in Perfetto or
chrome://tracing, as MXNet's); ``jax.profiler``'s own device trace goes to the directory
``<filename without .json>_jax/`` (TensorBoard's profile plugin or Perfetto). ``dumps()``
returns the aggregate table: count, total, min, max and average time per name.

The hooks are installed by ``set_state('run')`` and removed by ``set_state('stop')``: with the
profiler off, nothing of it runs (no check on the operator path).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
import time
import warnings
from typing import Any, Callable, Iterator

import jax

from gluax._src.engine import registry as _registry
from gluax._src.engine.state import STATE

_DEFAULTS: dict[str, Any] = {
    "filename": "profile.json",
    "profile_all": False,
    "profile_symbolic": True,
    "profile_imperative": True,
    "profile_memory": True,
    "profile_api": True,
    "aggregate_stats": False,
    "continuous_dump": False,
    "dump_period": 1.0,
    "profile_process": "worker",
    # gluax: also record jax.profiler's device trace (next to ``filename``).
    "jax_trace": True,
}

OPERATOR = "operator"
PROGRAM = "compiled program"


class _Profiler:
    def __init__(self) -> None:
        self.config = dict(_DEFAULTS)
        self.state = "stop"
        self.paused = False
        self.events: list[dict[str, Any]] = []
        self.stats: dict[str, dict[str, list[float]]] = {}
        self.lock = threading.Lock()
        self.t0 = time.perf_counter_ns()
        self.jax_dir: str | None = None
        self.patches: list[tuple[Any, str, Any]] = []
        self.scope: list[str] = []

    def active(self) -> bool:
        return self.state == "run" and not self.paused

    def record(self, cat: str, name: str, start_ns: int, end_ns: int) -> None:
        ms = (end_ns - start_ns) / 1e6
        with self.lock:
            self.events.append({"name": name, "cat": cat, "ph": "X",
                                "ts": (start_ns - self.t0) / 1e3, "dur": ms * 1e3,
                                "pid": os.getpid(), "tid": threading.get_ident() % 2**31})
            row = self.stats.setdefault(cat, {}).get(name)
            if row is None:
                self.stats[cat][name] = [1, ms, ms, ms]
            else:
                row[0] += 1
                row[1] += ms
                row[2] = min(row[2], ms)
                row[3] = max(row[3], ms)

    def instant(self, event: dict[str, Any]) -> None:
        event.setdefault("ts", (time.perf_counter_ns() - self.t0) / 1e3)
        event.setdefault("pid", os.getpid())
        event.setdefault("tid", threading.get_ident() % 2**31)
        with self.lock:
            self.events.append(event)


_P = _Profiler()


def _block(res: Any) -> bool:
    """Wait for the NDArray outputs; False when they are tracers (a user's own jax trace)."""
    leaves = res if isinstance(res, (list, tuple)) else [res]
    vals = [getattr(r, "_value", r) for r in leaves]
    if any(isinstance(v, jax.core.Tracer) for v in vals):
        return False
    jax.block_until_ready([v for v in vals if isinstance(v, jax.Array)])
    return True


def _prefixed(name: str) -> str:
    return "".join(_P.scope) + name if _P.scope else name


def _profiled_invoke(orig: Callable[..., Any]) -> Callable[..., Any]:
    def invoke(op: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if STATE.tracing:
            with jax.named_scope(op.name):
                return orig(op, args, kwargs)
        if not _P.active():
            return orig(op, args, kwargs)
        name = _prefixed(op.name)
        start = time.perf_counter_ns()
        with jax.profiler.TraceAnnotation(name):
            res = orig(op, args, kwargs)
            timed = _block(res)
        if timed:
            _P.record(OPERATOR, name, start, time.perf_counter_ns())
        return res

    invoke.__wrapped__ = orig  # type: ignore[attr-defined]
    return invoke


def _profiled_block_call(orig: Callable[..., Any]) -> Callable[..., Any]:
    def __call__(self: Any, *args: Any) -> Any:  # noqa: N807
        with jax.named_scope(getattr(self, "name", type(self).__name__)):
            return orig(self, *args)

    return __call__


def _profiled_program(orig: Callable[..., Any]) -> Callable[..., Any]:
    def _call_cached(self: Any, args: Any, valid: Any = None) -> Any:
        if STATE.tracing or not _P.active():
            return orig(self, args, valid)
        name = _prefixed(getattr(self, "name", type(self).__name__))
        start = time.perf_counter_ns()
        with jax.profiler.TraceAnnotation(name):
            res = orig(self, args, valid)
            leaves = jax.tree_util.tree_leaves(res, is_leaf=lambda x: hasattr(x, "_value"))
            timed = _block(leaves)
        if timed:
            _P.record(PROGRAM, name, start, time.perf_counter_ns())
        return res

    return _call_cached


def _profiled_step(orig: Callable[..., Any]) -> Callable[..., Any]:
    def step(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _P.active():
            return orig(self, *args, **kwargs)
        start = time.perf_counter_ns()
        with jax.profiler.TraceAnnotation("Trainer.step"):
            res = orig(self, *args, **kwargs)
            _block([d for p in self._params if p._data is not None for d in p._data])
        _P.record(PROGRAM, "Trainer.step", start, time.perf_counter_ns())
        return res

    return step


def _patch(owner: Any, attr: str, new: Any) -> None:
    _P.patches.append((owner, attr, getattr(owner, attr)))
    setattr(owner, attr, new)


def _install() -> None:
    orig = _registry.invoke
    wrapped = _profiled_invoke(orig)
    # Modules that imported ``invoke`` by name (the mx.np front end, SymbolBlock) get the same
    # wrapper, so every front end is counted.
    for mod in list(sys.modules.values()):
        if getattr(mod, "__name__", "").startswith("gluax") and getattr(mod, "invoke", None) \
                is orig:
            _patch(mod, "invoke", wrapped)
    block = sys.modules.get("gluax._src.gluon.block")
    if block is not None:
        _patch(block.Block, "__call__", _profiled_block_call(block.Block.__call__))
        _patch(block.HybridBlock, "_call_cached",
               _profiled_program(block.HybridBlock._call_cached))
    trainer = sys.modules.get("gluax._src.optim.gluon_trainer")
    if trainer is not None:  # the optimizer update: one compiled program per step
        _patch(trainer.Trainer, "step", _profiled_step(trainer.Trainer.step))


def _uninstall() -> None:
    while _P.patches:
        owner, attr, old = _P.patches.pop()
        setattr(owner, attr, old)


def _jax_dir(filename: str) -> str:
    base, ext = os.path.splitext(os.path.abspath(filename))
    return (base if ext == ".json" else base + ext) + "_jax"


def set_config(**kwargs: Any) -> None:
    """Configure the profiler (MXNet's keywords): ``filename`` (the Chrome-trace file ``dump``
    writes, default 'profile.json'), ``profile_all``, ``profile_symbolic``,
    ``profile_imperative``, ``profile_memory``, ``profile_api``, ``aggregate_stats``,
    ``continuous_dump``, ``dump_period``, ``profile_process``; gluax adds ``jax_trace``
    (default True: also record ``jax.profiler``'s device trace).

    Notes
    -----
    gluax always counts eager operators and compiled programs while running; the
    ``profile_*`` switches are accepted for MXNet scripts. ``continuous_dump`` is not
    periodic: call ``dump()``.
    """
    unknown = sorted(set(kwargs) - set(_DEFAULTS))
    if unknown:
        raise TypeError(f"profiler.set_config: unknown argument(s) {unknown}; known: "
                        f"{sorted(_DEFAULTS)}.")
    _check_process(kwargs.get("profile_process", "worker"))
    if _P.state == "run" and "filename" in kwargs:
        raise RuntimeError("profiler.set_config: stop the profiler (set_state('stop')) "
                           "before changing its filename.")
    _P.config.update(kwargs)


def _check_process(profile_process: str) -> None:
    if profile_process == "server":
        raise NotImplementedError(
            "profiler: profile_process='server' profiles MXNet's kvstore server processes; "
            "gluax's kvstore has no servers (it runs over jax.distributed). Profile each "
            "worker with profile_process='worker'.")
    if profile_process != "worker":
        raise ValueError(f"profiler: profile_process must be 'worker' or 'server', got "
                         f"{profile_process!r}.")


def set_state(state: str = "stop", profile_process: str = "worker") -> None:
    """Start (``'run'``) or stop (``'stop'``) profiling."""
    _check_process(profile_process)
    if state not in ("run", "stop"):
        raise ValueError(f"profiler.set_state: state must be 'run' or 'stop', got {state!r}.")
    if state == _P.state:
        return
    if state == "run":
        _P.state, _P.paused = "run", False
        _install()
        if _P.config["jax_trace"]:
            _P.jax_dir = _jax_dir(_P.config["filename"])
            try:
                jax.profiler.start_trace(_P.jax_dir, create_perfetto_trace=True)
            except RuntimeError as e:  # another jax trace is running: keep gluax's own events
                warnings.warn(f"profiler: jax.profiler trace not started ({e}).", stacklevel=2)
                _P.jax_dir = None
    else:
        _P.state = "stop"
        _uninstall()
        if _P.jax_dir is not None:
            jax.profiler.stop_trace()
            _P.jax_dir = None


def pause(profile_process: str = "worker") -> None:
    """Stop collecting until ``resume()`` (the hooks stay installed)."""
    _check_process(profile_process)
    _P.paused = True


def resume(profile_process: str = "worker") -> None:
    """Collect again after ``pause()``."""
    _check_process(profile_process)
    _P.paused = False


def dump(finished: bool = True, profile_process: str = "worker") -> None:
    """Write the events collected so far to ``filename`` as a Chrome trace (JSON with
    ``traceEvents``), atomically. ``finished`` is accepted for MXNet's signature."""
    _check_process(profile_process)
    path = os.path.abspath(_P.config["filename"])
    with _P.lock:
        events = [{"name": "process_name", "ph": "M", "pid": os.getpid(),
                   "args": {"name": f"gluax worker {os.getpid()}"}}] + list(_P.events)
    doc = {"traceEvents": events, "displayTimeUnit": "ms",
           "otherData": {"jax_trace_dir": _jax_dir(_P.config["filename"])}}
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".profile-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def dump_profile() -> None:
    """Deprecated MXNet spelling of ``dump(True)``."""
    dump(True)


_SORT = {"total": 1, "avg": None, "min": 2, "max": 3, "count": 0}


def dumps(reset: bool = False, format: str = "table", sort_by: str = "total",  # noqa: A002
          ascending: bool = False) -> str:
    """The aggregate statistics: per category (``operator`` for eager operators,
    ``compiled program`` for hybridized blocks, each ``Domain``'s tasks and frames, ``Event``),
    each name's call count and total/min/max/average time in ms. ``format='json'`` returns
    them as JSON; ``reset=True`` clears them afterwards."""
    if format not in ("table", "json"):
        raise ValueError(f"profiler.dumps: format must be 'table' or 'json', got {format!r}.")
    if sort_by not in _SORT:
        raise ValueError(f"profiler.dumps: sort_by must be one of {sorted(_SORT)}, got "
                         f"{sort_by!r}.")
    with _P.lock:
        stats = {c: {n: list(r) for n, r in rows.items()} for c, rows in _P.stats.items()}
        if reset:
            _P.stats.clear()
    if format == "json":
        return json.dumps({"Time": {c: {n: {"Count": r[0], "Total": r[1], "Min": r[2],
                                            "Max": r[3], "Avg": r[1] / r[0]}
                                        for n, r in rows.items()}
                                    for c, rows in stats.items()},
                           "Unit": {"Time": "ms"}})
    col = _SORT[sort_by]

    def key(r: tuple[str, list[float]]) -> float:
        return r[1][1] / r[1][0] if col is None else r[1][col]

    lines = ["", "Profile Statistics:", "\tNote the difference in units for different entries."]
    for cat in sorted(stats):
        lines += [cat, "=================",
                  f"{'Name':<30}{'Total Count':>15}{'Time (ms)':>17}{'Min Time (ms)':>17}"
                  f"{'Max Time (ms)':>17}{'Avg Time (ms)':>17}",
                  f"{'----':<30}{'-----------':>15}{'---------':>17}{'-------------':>17}"
                  f"{'-------------':>17}{'-------------':>17}"]
        for name, r in sorted(stats[cat].items(), key=key, reverse=not ascending):
            lines.append(f"{name:<30}{r[0]:>15d}{r[1]:>17.4f}{r[2]:>17.4f}{r[3]:>17.4f}"
                         f"{r[1] / r[0]:>17.4f}")
        lines.append("")
    return "\n".join(lines)


def profiler_set_config(mode: str = "symbolic", filename: str = "profile.json") -> None:
    """Deprecated MXNet spelling: ``mode='all'`` profiles everything."""
    set_config(profile_all=mode == "all", profile_symbolic=True, filename=filename)


def profiler_set_state(state: str = "stop") -> None:
    """Deprecated MXNet spelling of ``set_state``."""
    set_state(state)


def set_kvstore_handle(handle: Any) -> None:
    """Accepted for MXNet's API: gluax's kvstore has no server processes to profile."""
    _P.kvstore = handle  # type: ignore[attr-defined]


@contextlib.contextmanager
def scope(name: str = "<unk>:", append_mode: bool = False) -> Iterator[None]:
    """Name what runs inside: operators are counted as ``name + operator`` and traced code
    runs under ``jax.named_scope(name)``. ``append_mode`` appends to the enclosing scope
    instead of replacing it."""
    saved = list(_P.scope)
    _P.scope = saved + [name] if append_mode else [name]
    try:
        with jax.named_scope(name.rstrip(":") or "scope"):
            yield
    finally:
        _P.scope = saved


class Domain:
    """A named group of ``Task``/``Frame``/``Counter``/``Marker`` objects (a category of the
    aggregate table)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name

    def new_task(self, name: str) -> Task:
        """A ``Task`` in this domain."""
        return Task(self, name)

    def new_frame(self, name: str) -> Frame:
        """A ``Frame`` in this domain."""
        return Frame(self, name)

    def new_counter(self, name: str, value: int | None = None) -> Counter:
        """A ``Counter`` in this domain, optionally set to ``value``."""
        return Counter(self, name, value)

    def new_marker(self, name: str) -> Marker:
        """A ``Marker`` in this domain."""
        return Marker(self, name)


class _Interval:
    _kind = "Task"

    def __init__(self, domain: Domain | None, name: str) -> None:
        self.domain, self.name = domain, name
        self._start: int | None = None
        self._annotation: Any = None

    def _category(self) -> str:
        return self.domain.name if self.domain is not None else "Events"

    def start(self) -> None:
        """Begin the interval."""
        self._start = time.perf_counter_ns()
        self._annotation = jax.profiler.TraceAnnotation(self.name)
        self._annotation.__enter__()

    def stop(self) -> None:
        """End the interval; recorded while the profiler runs."""
        if self._start is None:
            raise RuntimeError(f"profiler {self._kind} {self.name!r}: stop() before start().")
        self._annotation.__exit__(None, None, None)
        if _P.active():
            _P.record(self._category(), self.name, self._start, time.perf_counter_ns())
        self._start = None

    def __str__(self) -> str:
        return self.name


class Task(_Interval):
    """A named interval in a ``Domain`` (``start()`` ... ``stop()``)."""


class Frame(_Interval):
    """A named frame (an iteration, say) in a ``Domain``."""

    _kind = "Frame"


class Event(_Interval):
    """A named interval outside any domain."""

    _kind = "Event"

    def __init__(self, name: str) -> None:
        super().__init__(None, name)


class Counter:
    """A named value in a ``Domain``, drawn as a counter track in the trace."""

    def __init__(self, domain: Domain, name: str, value: int | None = None) -> None:
        self.domain, self.name = domain, name
        self.value = 0
        if value is not None:
            self.set_value(value)

    def set_value(self, value: int) -> None:
        """Set the counter's value (recorded while the profiler runs)."""
        self.value = value
        if _P.active():
            _P.instant({"name": self.name, "cat": self.domain.name, "ph": "C",
                        "args": {self.name: value}})

    def increment(self, delta: int = 1) -> None:
        """Add ``delta`` to the value."""
        self.set_value(self.value + delta)

    def decrement(self, delta: int = 1) -> None:
        """Subtract ``delta`` from the value."""
        self.set_value(self.value - delta)

    def __iadd__(self, delta: int) -> Counter:
        self.increment(delta)
        return self

    def __isub__(self, delta: int) -> Counter:
        self.decrement(delta)
        return self

    def __str__(self) -> str:
        return self.name


class Marker:
    """A named instant in a ``Domain``."""

    def __init__(self, domain: Domain, name: str) -> None:
        self.domain, self.name = domain, name

    def mark(self, scope: str = "process") -> None:
        """Record the instant; ``scope`` is 'global', 'process', 'thread', 'task' or
        'marker'."""
        s = {"global": "g", "process": "p", "thread": "t", "task": "t", "marker": "t"}.get(scope)
        if s is None:
            raise ValueError(f"Marker.mark: scope must be 'global', 'process', 'thread', "
                             f"'task' or 'marker', got {scope!r}.")
        if _P.active():
            _P.instant({"name": self.name, "cat": self.domain.name, "ph": "i", "s": s})
