"""``mx.npx``: MXNet's NumPy extensions. The neural-network operators are the registry's
(``npx.convolution`` is ``Convolution``), returning ``np.ndarray`` for ``np.ndarray`` inputs;
``npx.reshape`` has the NumPy-mode special codes, which differ from ``nd.reshape``'s."""

from __future__ import annotations

import math
from typing import Any, Callable

from gluax._src.engine import npmode
from gluax._src.engine import serialization as _serialization
from gluax._src.engine.base import MXNetError
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.registry import call as _call_op
from gluax._src.numpy import functions as _f
from gluax._src.numpy.multiarray import to_np

# npx name -> registry operator.
OPERATORS = {
    "activation": "Activation",
    "arange_like": "arange_like",
    "batch_dot": "batch_dot",
    "batch_flatten": "Flatten",
    "batch_norm": "BatchNorm",
    "cast": "Cast",
    "convolution": "Convolution",
    "deconvolution": "Deconvolution",
    "dropout": "Dropout",
    "embedding": "Embedding",
    "erf": "erf",
    "erfinv": "erfinv",
    "fully_connected": "FullyConnected",
    "gamma": "gamma",
    "gammaln": "gammaln",
    "gather_nd": "gather_nd",
    "layer_norm": "LayerNorm",
    "leaky_relu": "LeakyReLU",
    "log_softmax": "log_softmax",
    "multibox_detection": "_contrib_MultiBoxDetection",
    "multibox_prior": "_contrib_MultiBoxPrior",
    "multibox_target": "_contrib_MultiBoxTarget",
    "one_hot": "one_hot",
    "pick": "pick",
    "pooling": "Pooling",
    "relu": "relu",
    "reshape_like": "reshape_like",
    "rnn": "RNN",
    "roi_pooling": "ROIPooling",
    "sequence_mask": "SequenceMask",
    "shape_array": "shape_array",
    "sigmoid": "sigmoid",
    "slice": "slice",
    "smooth_l1": "smooth_l1",
    "softmax": "softmax",
    "topk": "topk",
}


def _operator(name: str) -> Callable[..., Any]:
    op_name = OPERATORS[name]

    def f(*args: Any, **kwargs: Any) -> Any:
        return to_np(_call_op(op_name, *args, **kwargs))

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"MXNet's ``{op_name}`` operator in NumPy mode (``mx.nd.{op_name}``)."
    return f


def _npx_shape(shape: tuple[int, ...], codes: tuple[int, ...], reverse: bool) -> tuple[int, ...]:
    """The shape that ``npx.reshape``'s codes give for an input of ``shape``."""
    if reverse:
        rev = _npx_shape(tuple(reversed(shape)), _reverse_codes(codes), False)
        return tuple(reversed(rev))
    out: list[int] = []
    i = j = 0
    infer = -1
    while j < len(codes):
        c = codes[j]
        if c >= 0:
            out.append(c)
            i += 1
        elif c == -1:
            if infer >= 0:
                raise MXNetError(f"npx.reshape: more than one -1 in newshape {codes}.")
            infer = len(out)
            out.append(1)
            i += 1
        elif c == -2:
            out.append(shape[i])
            i += 1
        elif c == -3:
            if shape[i] != 1:
                raise MXNetError(f"npx.reshape: code -3 drops a dimension of size 1, but "
                                 f"dimension {i} of shape {shape} is {shape[i]}.")
            i += 1
        elif c == -4:
            out.extend(shape[i:])
            i = len(shape)
        elif c == -5:
            out.append(shape[i] * shape[i + 1])
            i += 2
        elif c == -6:
            if j + 2 >= len(codes):
                raise MXNetError(f"npx.reshape: code -6 must be followed by two sizes, got "
                                 f"newshape={codes}.")
            a, b = codes[j + 1], codes[j + 2]
            d = shape[i]
            a = d // b if a == -1 else a
            b = d // a if b == -1 else b
            if a * b != d:
                raise MXNetError(f"npx.reshape: code -6 cannot split dimension {i} of size "
                                 f"{d} into ({codes[j + 1]}, {codes[j + 2]}).")
            out.extend([a, b])
            i += 1
            j += 2
        else:
            raise MXNetError(f"npx.reshape: unknown code {c} in newshape {codes}.")
        j += 1
    if infer >= 0:
        known = math.prod(v for k, v in enumerate(out) if k != infer)
        out[infer] = math.prod(shape) // known if known else 0
    if math.prod(out) != math.prod(shape):
        raise MXNetError(f"npx.reshape: cannot reshape {shape} into newshape {codes} "
                         f"(gives {tuple(out)}).")
    return tuple(out)


def _reverse_codes(codes: tuple[int, ...]) -> tuple[int, ...]:
    # -6 a b reads right to left as -6 b a
    out: list[int] = []
    j = len(codes) - 1
    while j >= 0:
        if j >= 2 and codes[j - 2] == -6:
            out.extend([-6, codes[j], codes[j - 1]])
            j -= 3
        else:
            out.append(codes[j])
            j -= 1
    return tuple(out)


def reshape(a: Any, newshape: Any, reverse: bool = False, order: str = "C") -> Any:
    """Reshape with NumPy mode's codes: -1 infer, -2 copy a dimension, -3 drop a dimension of
    size 1, -4 copy all remaining, -5 merge two dimensions, -6 split one into the next two."""
    codes = (int(newshape),) if isinstance(newshape, int) else tuple(int(c) for c in newshape)
    target = _npx_shape(tuple(a.shape), codes, reverse)
    return _f.call("reshape", a, target, order)


def nonzero(a: Any) -> Any:
    """The indices of the nonzero elements, shape ``(count, a.ndim)`` (``np.argwhere``)."""
    return _f.call("argwhere", a)


def set_np(shape: bool = True, array: bool = True) -> None:
    """Turn on NumPy mode: Gluon takes and returns ``mx.np.ndarray``."""
    npmode.set_np(shape=shape, array=array)


def reset_np() -> None:
    """Turn NumPy mode off (back to ``mx.nd.NDArray``)."""
    npmode.reset_np()


def is_np_array() -> bool:
    """Whether NumPy arrays are on."""
    return npmode.is_np_array()


def is_np_shape() -> bool:
    """Whether NumPy shape semantics are on."""
    return npmode.is_np_shape()


def save(file: str, arr: Any) -> None:
    """Save an array, a list of arrays or a dict of name -> array (MXNet's format)."""
    _serialization.save(file, _to_nd(arr))


def load(file: str) -> Any:
    """Load what ``save`` wrote, as ``np.ndarray`` (a list or a dict)."""
    res = _serialization.load(file)
    if isinstance(res, dict):
        return {k: to_np(v) for k, v in res.items()}
    return to_np(res)


def _to_nd(arr: Any) -> Any:
    from gluax._src.numpy.multiarray import as_nd

    if isinstance(arr, dict):
        return {k: as_nd(v) for k, v in arr.items()}
    if isinstance(arr, NDArray):
        return as_nd(arr)
    return as_nd(list(arr))


for _name in OPERATORS:  # npx.relu, npx.convolution, ...: one function per operator
    globals()[_name] = _operator(_name)


def constraint_check(x: Any, msg: str = "Constraint violated") -> Any:
    """Whether every element of the boolean array ``x`` is true (a 0-d bool array); eagerly,
    raise ``ValueError(msg)`` when one is not."""
    res = _f.call("all", x)
    if not _is_traced(res) and not bool(res.item()):
        raise ValueError(msg)
    return res


def _is_traced(a: Any) -> bool:
    import jax

    return isinstance(a._value, jax.core.Tracer)


def gpu_memory_info(device_id: int = 0) -> tuple[int, int]:
    """``(free, total)`` bytes of GPU ``device_id``, from the device's memory statistics."""
    from gluax._src.engine.context import gpu

    dev = gpu(device_id).jax_device
    stats = dev.memory_stats() or {}
    total = int(stats.get("bytes_limit", 0))
    if not total:
        raise MXNetError(f"gpu_memory_info: device {dev} reports no memory statistics.")
    return total - int(stats.get("bytes_in_use", 0)), total


def get_cuda_compute_capability(ctx: Any) -> int:
    """The CUDA compute capability of a GPU context, as MXNet's integer (8.0 -> 80)."""
    from gluax._src.engine.context import as_context

    c = as_context(ctx)
    cap = getattr(c.jax_device, "compute_capability", None)
    if c.device_type != "gpu" or cap is None:
        raise ValueError(f"get_cuda_compute_capability: {c} is not a CUDA GPU context.")
    major, _, minor = str(cap).partition(".")
    return int(major) * 10 + int(minor or 0)
