"""``mx.contrib.amp``: automatic mixed precision mapped onto JAX's low-precision dtypes.

MXNet rewrites operators to cast their inputs; gluax instead runs whole blocks in the target
dtype (``float16`` or ``bfloat16``, what XLA computes natively on GPU/TPU) with float32 at the
boundary:

* ``init(target_dtype)`` records the target dtype and creates the dynamic loss scaler;
* ``convert_hybrid_block(block)`` casts the block's parameters to the target dtype and returns a
  block that casts its inputs to it and its outputs back to float32;
* ``init_trainer`` / ``scale_loss`` / ``unscale`` and :class:`LossScaler` reproduce MXNet's
  dynamic loss scaling: the loss is multiplied by the scale, the Trainer divides it out of the
  gradients, and a step whose gradients hold inf/nan is skipped and halves the scale.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator

import jax.numpy as jnp
import numpy as np

from gluax._src.engine.autograd import pause
from gluax._src.engine.ndarray import NDArray
from gluax._src.gluon.block import HybridBlock
from gluax._src.optim.gluon_trainer import Trainer

_amp_initialized = False
_amp_loss_scale_initialized = False
_loss_scaler: LossScaler | None = None
_target_dtype: str | None = None

TARGET_DTYPES = ("float16", "bfloat16")

# The operator classes of gluax's policy (names as in MXNet's lists): computed in the target
# dtype inside a converted block, except those kept in float32 by their layer (none in gluax:
# normalization statistics are accumulated in float32 by the operators themselves).
LP16_FUNCS = ["Convolution", "Deconvolution", "FullyConnected", "RNN"]
FP32_FUNCS: list[str] = []
LP16_FP32_FUNCS: list[str] = []
CONDITIONAL_FP32_FUNCS: list[tuple[str, str, list[str]]] = []
WIDEST_TYPE_CASTS: list[str] = []
LOSS_OUTPUT_FUNCTIONS = ["SoftmaxOutput", "LinearRegressionOutput", "LogisticRegressionOutput",
                         "MAERegressionOutput"]
# the same policy under the names of MXNet's symbol_fp16 / symbol_bf16 lists
FP16_FUNCS = BF16_FUNCS = LP16_FUNCS
FP16_FP32_FUNCS = BF16_FP32_FUNCS = LP16_FP32_FUNCS
BF16_USE_FP32_PARAMS: list[str] = []


def _canonical(target_dtype: Any) -> str:
    name = "bfloat16" if target_dtype in ("bfloat16", jnp.bfloat16) else None
    if name is None:
        try:
            name = np.dtype(target_dtype).name
        except TypeError:
            name = str(target_dtype)
    if name not in TARGET_DTYPES:
        raise ValueError(f"amp: target_dtype must be 'float16' or 'bfloat16', got "
                         f"{target_dtype!r}.")
    return name


class LossScaler:
    """Dynamic loss scale: starts at 2**16, halves after a step with non-finite gradients
    (the step is skipped), doubles (up to 2**24) after 2000 clean steps, as in MXNet."""

    def __init__(self) -> None:
        self._loss_scale = 2.0 ** 16
        self._next_loss_scale = self._loss_scale
        self._max_loss_scale = 2.0 ** 24
        self._scale_seq_len = 2000
        self._unskipped = 0

    @property
    def loss_scale(self) -> float:
        """The scale the loss is multiplied by now."""
        return self._loss_scale

    def has_overflow(self, params: list[Any]) -> bool:
        """Whether any gradient of ``params`` holds inf or nan; updates the scale."""
        with pause():
            finite = True
            for p in params:
                grads = p._grad if p.grad_req != "null" else None
                for g in grads or ():
                    finite = finite and bool(jnp.isfinite(g._value).all())
        overflow = not finite
        self._loss_scale = self._next_loss_scale
        if overflow:
            self._next_loss_scale = self._loss_scale / 2.0
            self._unskipped = 0
            logging.info("AMP: decreasing loss scale to %f", self._next_loss_scale)
        else:
            self._unskipped += 1
        if self._unskipped == self._scale_seq_len:
            self._unskipped = 0
            self._next_loss_scale = min(self._max_loss_scale, self._loss_scale * 2.0)
            logging.info("AMP: increasing loss scale to %f", self._next_loss_scale)
        return overflow


def init(target_dtype: Any = "float16", target_precision_ops: Any = None,
         conditional_fp32_ops: Any = None, fp32_ops: Any = None,
         layout_optimization: bool = False) -> None:
    """Turn AMP on with ``target_dtype`` ('float16' or 'bfloat16'); later calls do nothing.
    The operator lists are accepted; gluax converts whole blocks (convert_hybrid_block)."""
    global _amp_initialized, _loss_scaler, _target_dtype
    if _amp_initialized:
        return
    _target_dtype = _canonical(target_dtype)
    _amp_initialized = True
    _loss_scaler = LossScaler()
    logging.info("Using AMP (%s)", _target_dtype)


def _check_trainer(optimizer_or_trainer: Any, where: str) -> Trainer:
    if not isinstance(optimizer_or_trainer, Trainer):
        raise TypeError(f"amp.{where}: AMP works with a gluon Trainer, got "
                        f"{type(optimizer_or_trainer).__name__}.")
    return optimizer_or_trainer


def init_trainer(optimizer_or_trainer: Any) -> None:
    """Attach a dynamic loss scaler to a Trainer (after ``amp.init()``)."""
    global _amp_loss_scale_initialized
    if not _amp_initialized:
        raise RuntimeError("amp.init_trainer: AMP is not initialized; call amp.init() first.")
    trainer = _check_trainer(optimizer_or_trainer, "init_trainer")
    if not _amp_loss_scale_initialized:
        _amp_loss_scale_initialized = True
        scaler = _loss_scaler
    else:
        scaler = LossScaler()
    trainer._amp_loss_scaler = scaler
    trainer._amp_original_scale = trainer._scale


@contextlib.contextmanager
def scale_loss(loss: Any, optimizer_or_trainer: Any) -> Iterator[Any]:
    """``with amp.scale_loss(loss, trainer) as scaled: scaled.backward()``: the loss times the
    current scale; the Trainer divides the scale out of the gradients in ``step``."""
    trainer = _check_trainer(optimizer_or_trainer, "scale_loss")
    scaler = getattr(trainer, "_amp_loss_scaler", None)
    if scaler is None:
        raise RuntimeError("amp.scale_loss: the Trainer has no loss scaler; call "
                           "amp.init_trainer(trainer) first.")
    trainer._scale = trainer._amp_original_scale / scaler.loss_scale
    if isinstance(loss, (list, tuple)):
        yield [x * scaler.loss_scale for x in loss]
    else:
        yield loss * scaler.loss_scale


def unscale(optimizer_or_trainer: Any) -> None:
    """Divide the loss scale out of the gradients now (e.g. before clipping them yourself)."""
    trainer = _check_trainer(optimizer_or_trainer, "unscale")
    for p in trainer._params:
        for g in p._grad or ():
            g[:] = g * trainer._scale
    trainer._scale = 1.0


class _ConvertedBlock(HybridBlock):
    """A block run in a low-precision dtype: inputs cast to it, outputs back to float32."""

    def __init__(self, net: HybridBlock, dtype: str) -> None:
        super().__init__(prefix="", params=None)
        self._dtype = dtype
        with self.name_scope():
            self.net = net

    def hybrid_forward(self, F: Any, *args: Any) -> Any:
        def cast(x: Any, dtype: str) -> Any:
            if isinstance(x, NDArray) and np.dtype(x.dtype).kind == "f" or (
                    isinstance(x, NDArray) and x.dtype == jnp.bfloat16):
                return F.cast(x, dtype=dtype)
            return x
        out = self.net(*[cast(a, self._dtype) for a in args])
        if isinstance(out, (list, tuple)):
            return type(out)(cast(o, "float32") for o in out)
        return cast(out, "float32")


def convert_hybrid_block(block: HybridBlock, target_dtype: Any = "float16",
                         target_dtype_ops: Any = None, fp32_ops: Any = None,
                         conditional_fp32_ops: Any = None, excluded_sym_names: Any = None,
                         ctx: Any = None, cast_optional_params: bool = False) -> HybridBlock:
    """A block computing ``block`` in ``target_dtype``: its parameters are cast (in place) and
    the returned block casts float inputs to ``target_dtype`` and outputs back to float32."""
    if not isinstance(block, HybridBlock):
        raise TypeError(f"amp.convert_hybrid_block: expected a HybridBlock, got "
                        f"{type(block).__name__}.")
    dtype = _canonical(target_dtype)
    block.cast(dtype)
    return _ConvertedBlock(block, dtype)


def convert_model(*args: Any, **kwargs: Any) -> Any:
    """MXNet's symbol + params conversion (Module API); gluax converts blocks."""
    raise NotImplementedError("amp.convert_model converts Module-API symbols and params; use "
                              "amp.convert_hybrid_block on a HybridBlock in gluax.")


def convert_symbol(*args: Any, **kwargs: Any) -> Any:
    """MXNet's symbol conversion; gluax converts blocks."""
    raise NotImplementedError("amp.convert_symbol rewrites MXNet Symbol graphs; use "
                              "amp.convert_hybrid_block on a HybridBlock in gluax.")


def list_lp16_ops(target_dtype: Any) -> list[str]:
    """Operators computed in the low-precision dtype."""
    _canonical(target_dtype)
    return list(LP16_FUNCS)


def list_fp32_ops(target_dtype: Any) -> list[str]:
    """Operators kept in float32 (none: a converted block runs wholly in the target dtype)."""
    _canonical(target_dtype)
    return list(FP32_FUNCS)


def list_lp16_fp32_ops(target_dtype: Any) -> list[str]:
    """Operators that run in either precision."""
    _canonical(target_dtype)
    return list(LP16_FP32_FUNCS)


def list_conditional_fp32_ops(target_dtype: Any) -> list[tuple[str, str, list[str]]]:
    """Operators kept in float32 for some attribute values."""
    _canonical(target_dtype)
    return list(CONDITIONAL_FP32_FUNCS)


def list_widest_type_cast(target_dtype: Any) -> list[str]:
    """Operators whose inputs are cast to the widest input type."""
    _canonical(target_dtype)
    return list(WIDEST_TYPE_CASTS)


def list_loss_output_functions(target_dtype: Any) -> list[str]:
    """Loss outputs whose gradient the loss scale applies to."""
    _canonical(target_dtype)
    return list(LOSS_OUTPUT_FUNCTIONS)


def list_lp16_use_fp32_params(target_dtype: Any) -> list[str] | None:
    """Operators that take float32 parameters in low precision (None for float16, as MXNet)."""
    return None if _canonical(target_dtype) == "float16" else []
