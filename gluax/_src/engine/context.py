"""``mx.Context``: a device name (``cpu(0)``, ``gpu(1)``) mapped onto a ``jax.Device``."""

from __future__ import annotations

from typing import Any

import jax

from gluax._src.engine.base import MXNetError
from gluax._src.engine.state import STATE

_GPU_PLATFORMS = ("gpu", "cuda", "rocm")


class _ContextType(type):
    @property
    def default_ctx(cls) -> Context:
        """MXNet's deprecated ``Context.default_ctx``: the current context."""
        import warnings

        warnings.warn(
            "Context.default_ctx has been deprecated. Please use "
            "mx.current_context() instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        return current_context()


class Context(metaclass=_ContextType):
    """A device, as MXNet names it: ``Context('cpu', 0)``, ``Context('gpu', 1)``.

    Parameters
    ----------
    device_type : str or Context
        ``'cpu'``, ``'gpu'``, ``'cpu_pinned'``, ``'cpu_shared'`` (MXNet's names), or ``'tpu'``.
    device_id : int, default 0

    Notes
    -----
    A Context maps onto ``jax.devices(platform)[device_id]``. MXNet scripts often name
    ``cpu(1)``, ``cpu(2)`` on a machine with one CPU device; those map onto the CPU devices JAX
    has (``XLA_FLAGS=--xla_force_host_platform_device_count=N`` gives N), wrapping around when
    there are fewer, so the script still runs. Used as ``with mx.gpu(0):`` it sets the default
    context of the current thread.
    """

    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared", 6: "tpu"}
    devstr2type = {v: k for k, v in devtype2str.items()}

    def __init__(self, device_type: str | Context, device_id: int = 0) -> None:
        if isinstance(device_type, Context):
            self.device_typeid, self.device_id = device_type.device_typeid, device_type.device_id
        else:
            if device_type not in self.devstr2type:
                raise ValueError(
                    f"Context: unknown device_type {device_type!r}; expected one of "
                    f"{sorted(self.devstr2type)}."
                )
            self.device_typeid, self.device_id = self.devstr2type[device_type], int(device_id)

    @property
    def device_type(self) -> str:
        """The device kind as a string: ``'cpu'``, ``'gpu'``, ``'cpu_pinned'``, ..."""
        return self.devtype2str[self.device_typeid]

    def __hash__(self) -> int:
        return hash((self.device_typeid, self.device_id))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Context)
            and self.device_typeid == other.device_typeid
            and self.device_id == other.device_id
        )

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __enter__(self) -> Context:
        STATE.contexts.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        STATE.contexts.pop()

    @property
    def jax_device(self) -> jax.Device:
        """The ``jax.Device`` this context stands for."""
        return _jax_device(self.device_typeid, self.device_id)

    def empty_cache(self) -> None:
        """No-op: XLA manages its own memory pool."""


_DEVICE_CACHE: dict[tuple[int, int], jax.Device] = {}


def _jax_device(typeid: int, dev_id: int) -> jax.Device:
    key = (typeid, dev_id)
    dev = _DEVICE_CACHE.get(key)
    if dev is None:
        kind = Context.devtype2str[typeid]
        if kind == "gpu":
            devs = _platform_devices(_GPU_PLATFORMS)
            if dev_id >= len(devs):
                raise MXNetError(
                    f"Context gpu({dev_id}) is not available: JAX sees {len(devs)} GPU "
                    f"device(s). Use mx.cpu(), or install jax with CUDA support."
                )
            dev = devs[dev_id]
        elif kind == "tpu":
            devs = _platform_devices(("tpu",))
            if dev_id >= len(devs):
                raise MXNetError(f"Context tpu({dev_id}) is not available: JAX sees {len(devs)}.")
            dev = devs[dev_id]
        else:
            devs = jax.local_devices(backend="cpu")  # this process's own (multi-host jobs)
            dev = devs[dev_id % len(devs)]
        _DEVICE_CACHE[key] = dev
    return dev


def _platform_devices(platforms: tuple[str, ...]) -> list[jax.Device]:
    for p in platforms:
        try:
            return jax.local_devices(backend=p)
        except RuntimeError:
            continue
    return []


def context_of_device(device: jax.Device) -> Context:
    """The Context naming a ``jax.Device``."""
    if device.platform == "cpu":
        return Context("cpu", device.id)
    if device.platform == "tpu":
        return Context("tpu", device.id)
    return Context("gpu", _platform_devices(_GPU_PLATFORMS).index(device))


def cpu(device_id: int = 0) -> Context:
    """The CPU context ``cpu(device_id)``."""
    return Context("cpu", device_id)


def gpu(device_id: int = 0) -> Context:
    """The GPU context ``gpu(device_id)``; using it without a GPU raises ``MXNetError``."""
    return Context("gpu", device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    """MXNet's pinned host memory; in gluax the same as ``cpu(device_id)`` for placement."""
    return Context("cpu_pinned", device_id)


def num_gpus() -> int:
    """Number of GPUs JAX can use."""
    return len(_platform_devices(_GPU_PLATFORMS))


def current_context() -> Context:
    """The default context of this thread: ``cpu(0)`` unless a ``with ctx:`` block is active."""
    return STATE.contexts[-1] if STATE.contexts else _DEFAULT


_DEFAULT = Context("cpu", 0)


def as_context(ctx: Any) -> Context:
    """Accept a Context, a ``jax.Device`` or None (= current context)."""
    if ctx is None:
        return current_context()
    if isinstance(ctx, Context):
        return ctx
    if isinstance(ctx, jax.Device):
        return context_of_device(ctx)
    raise TypeError(f"Expected a Context (mx.cpu(), mx.gpu(i)), got {type(ctx).__name__}: {ctx!r}.")
