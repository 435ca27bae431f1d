"""``mx.init``: initializers and MXNet's rule for which one each parameter gets.

``Initializer.__call__(desc, arr)`` fills ``arr`` in place. When a Parameter is initialized,
``desc.attrs['__init__']`` holds the parameter's own ``init`` or, failing that, the global
initializer, and that initializer's ``_init_weight`` runs whatever the name (checked against
MXNet 1.9.1: a bias with no init of its own gets ``Uniform`` values, and ``Xavier`` on a 1-D
parameter without its own init raises). Built-in layers give biases, gamma and beta their own
init. Only when ``__init__`` is empty (an initializer called directly on an ``InitDesc``) does
the name suffix decide, in MXNet's order: ``*weight`` -> ``_init_weight``, ``*bias`` ->
``_init_bias`` (0), ``*gamma`` -> ``_init_gamma`` (1), ``*beta`` -> ``_init_beta`` (0),
``*min`` -> 0, ``*max`` -> 1, anything else is an error.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from typing import Any, Callable

import numpy as np

import jax

from gluax._src.engine import random as _random
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.serialization import load
from gluax._src.ops import creation as _creation
from gluax._src.ops.creation import randint

_REGISTRY: dict[str, type] = {}


def _host_generator() -> np.random.Generator | None:
    """A numpy generator seeded from a fresh split of gluax's global key (so ``mx.random.seed``
    makes initialization repeatable), or None inside a trace, where the key is traced."""
    key = _random.next_key()
    if isinstance(key, jax.core.Tracer):
        return None
    return np.random.default_rng([int(k) for k in np.asarray(key).ravel()])


def _work_dtype(dtype: Any) -> Any:
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def _draw(kind: str, a: float, b: float, shape: tuple[int, ...], dtype: Any) -> np.ndarray | None:
    """``shape`` draws from U(a, b) (``kind='uniform'``) or N(a, b^2) (``'normal'``), made on
    the host: initializing a network compiles no program per weight shape (resnet18_v1's 21
    shapes were 21 XLA programs, ~40% of LeNet's first forward from a cold cache). None inside
    a trace (the caller then draws with the random operators)."""
    rng = _host_generator()
    if rng is None:
        return None
    work = _work_dtype(dtype)
    if kind == "uniform":
        x = rng.random(shape, dtype=work)
        x *= work(b - a)
        x += work(a)
    else:
        x = rng.standard_normal(shape, dtype=work)
        x *= work(b)
        x += work(a)
    return x.astype(dtype, copy=False)


def _fill_random(kind: str, a: float, b: float, arr: NDArray, shape: Any = None) -> None:
    """Fill ``arr`` (in place, on its device) with ``_draw``'s values."""
    shape = tuple(arr.shape if shape is None else shape)
    host = _draw(kind, a, b, shape, arr.dtype)
    if host is None:
        op = _creation.uniform if kind == "uniform" else _creation.normal
        op(a, b, shape, dtype=arr.dtype, ctx=arr.context, out=arr)
        return
    arr._set_value(jax.device_put(host, arr.context.jax_device))


def _random_matrix(kind: str, shape: tuple[int, int]) -> np.ndarray:
    """A float32 host matrix of U(-1, 1) or N(0, 1) draws (Orthogonal's sample)."""
    a, b = (-1.0, 1.0) if kind == "uniform" else (0.0, 1.0)
    host = _draw(kind, a, b, shape, np.float32)
    if host is None:
        op = _creation.uniform if kind == "uniform" else _creation.normal
        host = op(a, b, shape).asnumpy()
    return host

# (suffix, method) in MXNet 1.9's order; the first suffix the name ends with wins.
_SUFFIX_DISPATCH = (
    ("weight", "_init_weight"),
    ("bias", "_init_bias"),
    ("gamma", "_init_gamma"),
    ("beta", "_init_beta"),
    ("min", "_init_zero"),
    ("max", "_init_one"),
    ("weight_quantize", "_init_quantized_weight"),
    ("bias_quantize", "_init_quantized_bias"),
)
_LEGACY_DISPATCH = (
    ("bias", "_init_bias"),
    ("gamma", "_init_gamma"),
    ("beta", "_init_beta"),
    ("weight", "_init_weight"),
    ("moving_mean", "_init_zero"),
    ("moving_var", "_init_one"),
    ("moving_inv_var", "_init_zero"),
    ("moving_avg", "_init_zero"),
    ("min", "_init_zero"),
    ("max", "_init_one"),
)


class InitDesc(str):
    """A parameter name with attributes (``attrs['__init__']`` holds the parameter's own init)."""

    def __new__(
        cls, name: str, attrs: dict[str, Any] | None = None, global_init: Any = None
    ) -> InitDesc:
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


def create(init: Any, **kwargs: Any) -> Any:
    """An initializer from an instance, a registered name (case-insensitive), a ``dumps()``
    JSON string (``'["xavier", {...}]'``) or a dict ``{"initializer": name, **kwargs}``.

    ``Mixed`` and ``Load`` instances pass through too (MXNet rejects them here, so in MXNet
    they cannot be given to ``Block.initialize``; gluax accepts them, see ``Mixed``).
    """
    if isinstance(init, (Initializer, Mixed, Load)):
        if kwargs:
            raise TypeError(
                f"create: {init!r} is already an instance; got extra arguments {sorted(kwargs)}."
            )
        return init
    if isinstance(init, dict):
        kw = dict(init)
        return create(kw.pop("initializer"), **kw)
    if isinstance(init, str):
        if init.startswith("["):
            name, kw = json.loads(init)
            return create(name, **kw)
        if init.startswith("{"):
            return create(json.loads(init))
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
        """Log ``Initialized <name> as <pattern>: <stat>`` for each array initialized;
        ``print_func(arr) -> str`` defaults to ``norm(arr) / sqrt(arr.size)``."""
        if print_func is None:

            def print_func(x: NDArray) -> str:
                return str(float(np.linalg.norm(x.asnumpy().ravel()) / np.sqrt(x.size)))

        self._verbose, self._print_func = verbose, print_func
        return self

    def dumps(self) -> str:
        """``'["name", {kwargs}]'`` as MXNet writes it."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    __hash__ = object.__hash__

    def __call__(self, desc: Any, arr: NDArray) -> None:
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        own = desc.attrs.get("__init__")
        if own:
            create(own)._init_weight(desc, arr)
            self._verbose_print(desc, own, arr)
            return
        # MXNet 1.9 dispatches on the name suffix only when the parameter has no init of its own.
        for suffix, method in _SUFFIX_DISPATCH:
            if desc.endswith(suffix):
                getattr(self, method)(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name: Any, arr: NDArray) -> None:
        """MXNet's pre-InitDesc dispatch, used when the descriptor is a plain string."""
        warnings.warn(
            "Calling initializer with init(str, NDArray) has been deprecated. Please use "
            "init(mx.init.InitDesc(...), NDArray) instead.",
            DeprecationWarning,
            stacklevel=3,
        )
        if not isinstance(name, str):
            raise TypeError(f"Initializer: name must be a string, got {type(name).__name__}.")
        if not isinstance(arr, NDArray):
            raise TypeError(f"Initializer: arr must be an NDArray, got {type(arr).__name__}.")
        if name.startswith("upsampling"):
            self._init_bilinear(name, arr)
        elif name.startswith("stn_loc") and name.endswith("weight"):
            self._init_zero(name, arr)
        elif name.startswith("stn_loc") and name.endswith("bias"):
            self._init_loc_bias(name, arr)
        else:
            for suffix, method in _LEGACY_DISPATCH:
                if name.endswith(suffix):
                    getattr(self, method)(name, arr)
                    return
            self._init_default(name, arr)

    def _verbose_print(self, desc: Any, init: Any, arr: NDArray) -> None:
        if self._verbose and self._print_func:
            logging.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def _init_bilinear(self, _: Any, arr: NDArray) -> None:
        arr[:] = _bilinear_kernel(arr.shape)

    def _init_loc_bias(self, name: Any, arr: NDArray) -> None:
        if arr.shape[0] != 6:
            raise ValueError(
                f"Initializer: {name} (a spatial-transformer loc bias) must have 6 "
                f"elements, got shape {arr.shape}."
            )
        arr[:] = np.array([1.0, 0, 0, 0, 1.0, 0])

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
        arr[:] = randint(-127, 127, arr.shape, dtype="int32").astype(arr.dtype)

    def _init_quantized_bias(self, _: Any, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_weight(self, name: Any, arr: NDArray) -> None:
        raise NotImplementedError(f"{type(self).__name__} must override _init_weight.")

    def _init_default(self, name: Any, arr: NDArray) -> None:
        raise ValueError(
            f"Unknown initialization pattern for {name}. Default initialization is only "
            "defined for names ending in weight, bias, gamma (1.0), beta (0.0), min or max. "
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
        v = value.asnumpy() if isinstance(value, NDArray) else value
        super().__init__(value=v if np.isscalar(v) else np.asarray(v).tolist())
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
        _fill_random("uniform", -self.scale, self.scale, arr)


@register
class Normal(Initializer):
    """Samples from N(0, sigma^2)."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        _fill_random("normal", 0.0, self.sigma, arr)


@register
class Xavier(Initializer):
    """Xavier/Glorot: ``scale = sqrt(magnitude / factor)`` with factor the average of fan-in
    and fan-out (``factor_type='avg'``), fan-in (``'in'``) or fan-out (``'out'``), where
    ``fan_in = shape[1] * prod(shape[2:])`` and ``fan_out = shape[0] * prod(shape[2:])``;
    uniform in ``[-scale, scale]`` or gaussian with std ``scale``."""

    def __init__(
        self, rnd_type: str = "uniform", factor_type: str = "avg", magnitude: float = 3
    ) -> None:
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
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}.get(
            self.factor_type
        )
        if factor is None:
            raise ValueError(
                f"Xavier: factor_type must be 'avg', 'in' or 'out', got {self.factor_type!r}."
            )
        scale = float(np.sqrt(self.magnitude / factor))
        if self.rnd_type == "uniform":
            _fill_random("uniform", -scale, scale, arr, shape)
        elif self.rnd_type == "gaussian":
            _fill_random("normal", 0.0, scale, arr, shape)
        else:
            raise ValueError(
                f"Xavier: rnd_type must be 'uniform' or 'gaussian', got {self.rnd_type!r}."
            )


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialization for (P)ReLU networks: ``Xavier('gaussian', factor_type,
    magnitude=2 / (1 + slope**2))``, i.e. N(0, sqrt(magnitude / factor)).

    Parameters
    ----------
    factor_type : str, default 'avg'
        ``'avg'``, ``'in'`` or ``'out'`` (see ``Xavier``).
    slope : float, default 0.25
        Initial slope of the PReLU (0 for plain ReLU).
    """

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope**2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Orthogonal(Initializer):
    """Orthogonal weights (Saxe et al. 2013): ``scale`` times an orthonormal factor of the SVD
    of a random ``(shape[0], prod(shape[1:]))`` matrix, drawn from U(-1, 1) or N(0, 1).

    With ``shape[0] <= prod(shape[1:])`` the rows of the flattened weight are orthogonal;
    otherwise its columns are. Each row or column has norm ``scale``.

    Parameters
    ----------
    scale : float, default 1.414
    rand_type : str, default 'uniform'
        ``'uniform'`` or ``'normal'``.
    """

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale, self.rand_type = scale, rand_type

    def _init_weight(self, name: Any, arr: NDArray) -> None:
        nout, nin = arr.shape[0], int(np.prod(arr.shape[1:]))
        if self.rand_type == "uniform":
            tmp = _random_matrix("uniform", (nout, nin))
        elif self.rand_type == "normal":
            tmp = _random_matrix("normal", (nout, nin))
        else:
            raise ValueError(
                f"Orthogonal: rand_type must be 'uniform' or 'normal', got {self.rand_type!r}."
            )
        u, _, vt = np.linalg.svd(tmp, full_matrices=False)
        # MXNet keeps u when it has the sample's shape (nout >= nin), else the rows of v^T.
        res = u if u.shape == tmp.shape else vt
        arr[:] = (self.scale * res).reshape(arr.shape).astype(arr.dtype)


def _bilinear_kernel(shape: tuple[int, ...]) -> np.ndarray:
    """MXNet's bilinear upsampling kernel over the last two axes (``f = ceil(width / 2)``,
    ``c = (2f - 1 - f % 2) / 2f``, ``w = (1 - |x/f - c|) (1 - |y/f - c|)``)."""
    if len(shape) != 4:
        raise ValueError(f"Bilinear initializer needs a 4-D weight, got shape {shape}.")
    f = np.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    x = np.arange(shape[3])
    y = np.arange(shape[2])[:, None]
    # MXNet's width-based f and c are used for both axes, even for non-square kernels.
    kernel = (1 - np.abs(x / f - c)) * (1 - np.abs(y / f - c))
    return np.broadcast_to(kernel, shape).astype(np.float32)


@register
class Bilinear(Initializer):
    """Bilinear upsampling kernel for a ``(C_in, C_out, kh, kw)`` weight (every channel pair gets
    the same kernel), as used by ``Conv2DTranspose`` upsamplers."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        arr[:] = _bilinear_kernel(arr.shape)


@register
class LSTMBias(Initializer):
    """Zeros, except the forget gate's quarter ``[H:2H]`` (gate order i, f, c, o), which gets
    ``forget_bias``.

    Parameters
    ----------
    forget_bias : float, default 1.0
    """

    def __init__(self, forget_bias: float = 1.0) -> None:
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, _: Any, arr: NDArray) -> None:
        value = np.zeros(arr.shape, dtype=arr.dtype)
        num_hidden = arr.shape[0] // 4
        value[num_hidden : 2 * num_hidden] = self.forget_bias
        arr[:] = value


@register
class FusedRNN(Initializer):
    """MXNet's initializer for the packed weights of the symbolic ``FusedRNNCell``.

    Raises
    ------
    NotImplementedError
        gluax has no ``FusedRNNCell`` (Module API). ``gluon.rnn`` layers keep their weights
        unpacked; give them ``i2h_weight_initializer`` / ``h2h_bias_initializer`` etc., or
        ``mx.init.LSTMBias`` for the forget gate.
    """

    def __init__(
        self,
        init: Any,
        num_hidden: int,
        num_layers: int,
        mode: str,
        bidirectional: bool = False,
        forget_bias: float = 1.0,
    ) -> None:
        raise NotImplementedError(
            "mx.init.FusedRNN initializes the packed weights of the Module API's FusedRNNCell, "
            "which gluax does not have. Initialize gluon.rnn layers through their "
            "*_initializer arguments (mx.init.LSTMBias for the forget gate) instead."
        )


def _delegate(router: Any, init: Any, desc: Any, arr: NDArray) -> None:
    """Run ``init`` for a parameter that ``router`` (Mixed or Load) resolved."""
    if isinstance(desc, InitDesc) and desc.attrs.get("__init__") is router:
        # Reached from Parameter.initialize: the chosen initializer stands where the router
        # stood, so (Gluon's rule) its _init_weight runs whatever the parameter's name.
        init(InitDesc(str(desc), {"__init__": init}, desc.global_init), arr)
    else:
        init(desc, arr)


class Mixed:
    """Picks an initializer per parameter name: the first regular expression in ``patterns``
    that matches the start of the name (``re.match``) selects its initializer.

    Parameters
    ----------
    patterns : list of str
    initializers : list of Initializer

    Raises
    ------
    ValueError
        When ``patterns`` and ``initializers`` differ in length, or a name matches no pattern
        (end the list with ``'.*'`` for a default).

    Notes
    -----
    As in MXNet, ``Mixed`` is not an ``Initializer`` subclass, and called on a bare
    ``InitDesc`` it passes the descriptor on, so the chosen initializer dispatches on the
    name suffix (a ``Constant`` picked for ``fc_bias`` writes 0, through ``_init_bias``).
    MXNet 1.9 rejects ``Mixed`` in ``Block.initialize`` ("initializer must be of string
    type"); gluax accepts it there, and then the chosen initializer is treated as that
    parameter's initializer (its ``_init_weight`` runs, as for any global initializer), unless
    the parameter has an ``init`` of its own.

    Examples
    --------
    >>> init = mx.init.Mixed(['.*bias', '.*'], [mx.init.Constant(0.5), mx.init.One()])
    >>> net = mx.gluon.nn.Dense(2, in_units=2, bias_initializer=None)
    >>> net.initialize(init)
    >>> net.bias.data().asnumpy().tolist()
    [0.5, 0.5]
    """

    def __init__(self, patterns: list[str], initializers: list[Any]) -> None:
        if len(patterns) != len(initializers):
            raise ValueError(
                f"Mixed: got {len(patterns)} patterns but {len(initializers)} "
                "initializers; give one initializer per pattern."
            )
        self.map = [(re.compile(p), create(i)) for p, i in zip(patterns, initializers)]

    def __repr__(self) -> str:
        return f"Mixed({[p.pattern for p, _ in self.map]}, {[i for _, i in self.map]})"

    def __call__(self, name: Any, arr: NDArray) -> None:
        for prog, init in self.map:
            if prog.match(name):
                _delegate(self, init, name, arr)
                return
        raise ValueError(
            f"Parameter name {str(name)!r} did not match any pattern of Mixed "
            f"{[p.pattern for p, _ in self.map]}. Consider adding a '.*' pattern at the end "
            "with a default Initializer."
        )

    def _init_weight(self, desc: Any, arr: NDArray) -> None:
        # Reached when Mixed is a Parameter's own init.
        self(InitDesc(str(desc), {"__init__": self}, getattr(desc, "global_init", None)), arr)


class Load:
    """Initializes parameters from a ``.params`` file or a dict of arrays; names missing there
    go to ``default_init``. Keys' ``arg:``/``aux:`` prefixes are dropped.

    Parameters
    ----------
    param : str or dict of str to NDArray
        A file written by ``mx.nd.save`` / ``save_parameters``, or the dict itself.
    default_init : Initializer, optional
        For names not in ``param``.
    verbose : bool, default False
        Log where each parameter came from.

    Raises
    ------
    ValueError
        A loaded array's shape differs from the parameter's, or a name is missing and there
        is no ``default_init``.
    """

    def __init__(self, param: Any, default_init: Any = None, verbose: bool = False) -> None:
        if isinstance(param, str):
            param = load(param)
        if not isinstance(param, dict):
            raise TypeError(
                f"Load: param must be a file name or a dict of arrays, got {type(param).__name__}."
            )
        self.param = {(k[4:] if k.startswith(("arg:", "aux:")) else k): v for k, v in param.items()}
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name: Any, arr: NDArray) -> None:
        key = str(name)
        if key in self.param:
            value = self.param[key]
            value = value.asnumpy() if isinstance(value, NDArray) else np.asarray(value)
            if tuple(value.shape) != tuple(arr.shape):
                raise ValueError(
                    f"Parameter {key} cannot be initialized from loading. Shape mismatch, "
                    f"target {tuple(arr.shape)} vs loaded {tuple(value.shape)}."
                )
            arr[:] = value.astype(arr.dtype)
            if self.verbose:
                logging.info("Initialized %s by loading", key)
            return
        if self.default_init is None:
            raise ValueError(
                f"Cannot initialize {key}: not found in the loaded parameters "
                f"({sorted(self.param)}) and no default_init was given."
            )
        _delegate(self, create(self.default_init), name, arr)
        if self.verbose:
            logging.info("Initialized %s by default", key)

    def _init_weight(self, desc: Any, arr: NDArray) -> None:
        self(InitDesc(str(desc), {"__init__": self}, getattr(desc, "global_init", None)), arr)
