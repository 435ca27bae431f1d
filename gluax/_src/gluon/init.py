"""``mx.init``: initializers and MXNet's rule for which one each parameter gets.

``Initializer.__call__(desc, arr)`` fills ``arr`` in place. When a Parameter is initialized,
``desc.attrs['__init__']`` holds the parameter's own ``init`` or, failing that, the global
initializer, and that initializer's ``_init_weight`` runs whatever the name (checked against
MXNet 1.9.1: a bias with no init of its own gets ``Uniform`` values, and ``Xavier`` on a 1-D
parameter without its own init raises). Built-in layers give biases, gamma and beta their own
init. Only when ``__init__`` is empty does the name suffix decide: ``*weight`` gets
``_init_weight``, ``*bias``/``*beta``/``*running_mean`` zeros, ``*gamma``/``*running_var``
ones, anything else is an error.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np

from gluax._src.engine.ndarray import NDArray
from gluax._src.ops.creation import normal, uniform

_REGISTRY: dict[str, type] = {}


class InitDesc(str):
    """A parameter name with attributes (``attrs['__init__']`` holds the parameter's own init)."""

    def __new__(cls, name: str, attrs: dict[str, Any] | None = None, global_init: Any = None) -> InitDesc:
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


def register(klass: type) -> type:
    """Register an initializer class under its lower-cased name (``mx.init.register``)."""
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*aliases: str) -> Callable[[type], type]:
    """Register an initializer under extra names."""

    def deco(klass: type) -> type:
        for a in aliases:
            _REGISTRY[a] = klass
        return klass

    return deco


def create(init: Any, **kwargs: Any) -> Initializer:
    """An initializer from an instance, a registered name, or a ``dumps()`` JSON string."""
    if isinstance(init, Initializer):
        return init
    if isinstance(init, str):
        if init.startswith("["):
            name, kw = json.loads(init)
            return create(name, **kw)
        klass = _REGISTRY.get(init.lower())
        if klass is None:
            raise ValueError(f"Unknown initializer {init!r}; registered: {sorted(_REGISTRY)}.")
        return klass(**kwargs)
    raise TypeError(f"Expected an Initializer or its name, got {type(init).__name__}: {init!r}.")


class Initializer:
    """Base class: subclasses implement ``_init_weight(name, arr)`` (fill ``arr`` in place)."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose: bool = False, print_func: Any = None) -> Initializer:
        self._verbose, self._print_func = verbose, print_func
        return self

    def dumps(self) -> str:
        """``'["name", {kwargs}]'`` as MXNet writes it."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())})"

    def __call__(self, desc: Any, arr: NDArray) -> None:
        if not isinstance(desc, InitDesc):
            desc = InitDesc(str(desc))
        own = desc.attrs.get("__init__")
        if own:
            create(own)._init_weight(desc, arr)
            return
        name = str(desc)
        if name.endswith("weight"):
            self._init_weight(desc, arr)
        elif name.endswith(("bias", "beta", "running_mean", "moving_mean", "min")):
            self._init_zero(desc, arr)
        elif name.endswith(("gamma", "running_var", "moving_var", "max")):
            self._init_one(desc, arr)
        elif name.endswith("weight_quantize"):
            self._init_quantized_weight(desc, arr)
        elif name.endswith("bias_quantize"):
            self._init_quantized_bias(desc, arr)
        else:
            self._init_default(desc, arr)

    def _init_zero(self, _: Any, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_one(self, _: Any, arr: NDArray) -> None:
        arr[:] = 1.0

    def _init_bias(self, _: Any, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_gamma(self, _: Any, arr: NDArray) -> None:
        arr[:] = 1.0

    def _init_beta(self, _: Any, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_quantized_weight(self, _: Any, arr: NDArray) -> None:
        arr[:] = np.random.randint(-127, 127, size=arr.shape).astype(np.float32)

    def _init_quantized_bias(self, _: Any, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_weight(self, name: Any, arr: NDArray) -> None:
        raise NotImplementedError(f"{type(self).__name__} must override _init_weight.")

    def _init_default(self, name: Any, arr: NDArray) -> None:
        raise ValueError(
            f"Unknown initialization pattern for {name}. Default initialization is only "
            "defined for names ending in weight, bias, gamma, beta (and running_mean/var). "
            f"Give the parameter its own init, e.g. self.params.get({str(name).split('_')[-1]!r}, "
            "shape=..., init=mx.init.One())."
        )


@register
@alias("zeros")
class Zero(Initializer):
    """Fill with 0."""

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        arr[:] = 0.0


@register
@alias("ones")
class One(Initializer):
    """Fill with 1."""

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        arr[:] = 1.0


@register
class Constant(Initializer):
    """Fill with ``value`` (a scalar or an array broadcast to the parameter's shape)."""

    def __init__(self, value: Any) -> None:
        super().__init__(value=value if np.isscalar(value) else np.asarray(value).tolist())
        self.value = value

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        v = self.value.asnumpy() if isinstance(self.value, NDArray) else self.value
        arr[:] = np.broadcast_to(np.asarray(v, dtype=arr.dtype), arr.shape)


@register
class Uniform(Initializer):
    """Samples from U(-scale, scale). The global default is ``Uniform(0.07)``."""

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        uniform(-self.scale, self.scale, arr.shape, dtype=arr.dtype, ctx=arr.context, out=arr)


@register
class Normal(Initializer):
    """Samples from N(0, sigma^2)."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        normal(0.0, self.sigma, arr.shape, dtype=arr.dtype, ctx=arr.context, out=arr)


@register
class Xavier(Initializer):
    """Xavier/Glorot: ``scale = sqrt(magnitude / factor)`` with factor the average of fan-in
    and fan-out (``factor_type='avg'``), fan-in (``'in'``) or fan-out (``'out'``), where
    ``fan_in = shape[1] * prod(shape[2:])`` and ``fan_out = shape[0] * prod(shape[2:])``;
    uniform in ``[-scale, scale]`` or gaussian with std ``scale``."""

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg", magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type, self.factor_type, self.magnitude = rnd_type, factor_type, float(magnitude)

    def _init_weight(self, name: Any, arr: NDArray) -> None:
        shape = arr.shape
        if len(shape) < 2:
            raise ValueError(
                f"Xavier initializer cannot be applied to vector {name}. It requires at least "
                f"2D, got shape {shape}. Give this parameter its own init (e.g. init='zeros')."
            )
        hw = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
        fan_in, fan_out = shape[1] * hw, shape[0] * hw
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}.get(self.factor_type)
        if factor is None:
            raise ValueError(f"Xavier: factor_type must be 'avg', 'in' or 'out', got {self.factor_type!r}.")
        scale = float(np.sqrt(self.magnitude / factor))
        if self.rnd_type == "uniform":
            uniform(-scale, scale, shape, dtype=arr.dtype, ctx=arr.context, out=arr)
        elif self.rnd_type == "gaussian":
            normal(0.0, scale, shape, dtype=arr.dtype, ctx=arr.context, out=arr)
        else:
            raise ValueError(f"Xavier: rnd_type must be 'uniform' or 'gaussian', got {self.rnd_type!r}.")


