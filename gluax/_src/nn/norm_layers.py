"""Normalization layers: BatchNorm."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from gluax._src.engine import compile_cache as _cc
from gluax._src.engine.autograd import is_training
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.state import STATE
from gluax._src.engine.base import OperatorError
from gluax._src.gluon.block import HybridBlock


class BatchNorm(HybridBlock):
    """Batch normalization: normalizes each channel (``axis``) by the batch statistics in
    training mode and by the running statistics otherwise, then scales by gamma and shifts by
    beta: ``out = (x - mean) / sqrt(var + epsilon) * gamma + beta``.

    In training mode (``autograd.record()`` or ``autograd.train_mode()``) the running
    statistics move towards the batch statistics:
    ``running = running * momentum + batch * (1 - momentum)``, with the biased batch variance.

    Parameters
    ----------
    axis : int, default 1
        The channel axis (1 for NCHW, -1 or 3 for NHWC).
    momentum : float, default 0.9
        Weight of the old running value in the update.
    epsilon : float, default 1e-5
    center : bool, default True
        Learn beta; otherwise beta stays at its initial value (``grad_req='null'``).
    scale : bool, default True
        Learn gamma; otherwise gamma is fixed to 1 (the operator's ``fix_gamma``).
    use_global_stats : bool, default False
        Normalize by the running statistics in training mode too, and never update them.
    beta_initializer, gamma_initializer, running_mean_initializer,
    running_variance_initializer : Initializer or str
        Defaults ``'zeros'``, ``'ones'``, ``'zeros'``, ``'ones'``.
    in_channels : int, default 0
        Number of channels; 0 infers it at the first forward.

    Notes
    -----
    Inputs: data of any shape with channels on ``axis``. Outputs: same shape.
    Parameters: ``gamma``, ``beta``, ``running_mean``, ``running_var``, all ``(in_channels,)``;
    the running statistics have ``grad_req='null'`` and come back from hybridized calls as aux
    state.

    MXNet's CPU build updates the running statistics in the backward pass, so a forward
    without ``backward()`` (e.g. under ``autograd.train_mode()`` alone) leaves them unchanged
    there; gluax updates them in every training-mode forward (DESIGN 9). After a recorded
    forward and backward both agree. MXNet's GPU build uses the unbiased variance; gluax
    follows the CPU build. The input gradient in inference mode is that of the inference
    forward; MXNet 1.9.1's CPU backward mixes in training-mode terms there.

    Examples
    --------
    >>> import gluax as mx
    >>> bn = mx.gluon.nn.BatchNorm(in_channels=2)
    >>> bn.initialize()
    >>> with mx.autograd.record():
    ...     y = bn(mx.nd.array([[1.0, 2.0], [3.0, 6.0]]))
    >>> print(bn.running_mean.data().asnumpy())  # 0.9 * 0 + 0.1 * batch mean
    [0.2 0.4]
    """

    def _writes_aux_in_training(self) -> bool:
        return not self._kwargs.get("use_global_stats")

    def __init__(
        self,
        axis: int = 1,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        use_global_stats: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        running_mean_initializer: Any = "zeros",
        running_variance_initializer: Any = "ones",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {
            "axis": axis,
            "eps": epsilon,
            "momentum": momentum,
            "fix_gamma": not scale,
            "use_global_stats": use_global_stats,
        }
        self._axis = axis
        if in_channels != 0:
            self.in_channels = in_channels

        def param(name: str, init: Any, learned: bool) -> Any:
            return self.params.get(
                name,
                grad_req="write" if learned else "null",
                shape=(in_channels,),
                init=init,
                allow_deferred_init=True,
                differentiable=learned,
            )

        self.gamma = param("gamma", gamma_initializer, scale)
        self.beta = param("beta", beta_initializer, center)
        self.running_mean = param("running_mean", running_mean_initializer, False)
        self.running_var = param("running_var", running_variance_initializer, False)

    def cast(self, dtype: Any) -> None:
        """Cast the parameters; float16 keeps them float32, as in MXNet."""
        if np.dtype(dtype).name == "float16":
            dtype = "float32"
        super().cast(dtype)

    def infer_shape(self, x: Any, *args: Any) -> None:
        """Fill in the parameter dimensions left 0 (deferred) from the first input's shape.

        Parameters
        ----------
        x : NDArray or Symbol
            The first input.
        *args
            The other inputs (unused).
        """
        if not -x.ndim <= self._axis < x.ndim:
            raise OperatorError(
                f"BatchNorm '{self.name}': axis {self._axis} is out of range for input shape "
                f"{tuple(x.shape)}."
            )
        channels = x.shape[self._axis]
        for p in (self.gamma, self.beta, self.running_mean, self.running_var):
            p.shape = (channels,)

    def hybrid_forward(
        self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any
    ) -> Any:
        """Normalize with the batch statistics (training mode, which also updates the running ones) or the running statistics (inference), then scale and shift."""
        kw = self._kwargs
        if not is_training() or kw["use_global_stats"]:
            return F.BatchNorm(x, gamma, beta, running_mean, running_var, **kw)
        out, mean, invstd = F.BatchNorm(
            x, gamma, beta, running_mean, running_var, output_mean_var=True, **kw
        )
        m = kw["momentum"]
        if not STATE.tracing and type(mean) is type(running_mean) and isinstance(mean, NDArray):
            # eager: both running statistics in one compiled call, not recorded (seven
            # operator dispatches and two host copies before: ~10% of MobileNet's eager step)
            new_mean, new_var = _moving_update(
                running_mean._value, running_var._value, mean._value, invstd._value,
                np.float32(m), np.float32(1 - m), np.float32(kw["eps"]),
            )  # fmt: skip
            self.running_mean.set_data(type(mean)(new_mean, mean._ctx))
            self.running_var.set_data(type(mean)(new_var, mean._ctx))
            return out
        # MXNet keeps 1/sqrt(var + eps) and recovers the variance from it for the update.
        var = F.reciprocal(F.square(invstd)) - kw["eps"]
        self.running_mean.set_data(F.stop_gradient(running_mean * m + mean * (1 - m)))
        self.running_var.set_data(F.stop_gradient(running_var * m + var * (1 - m)))
        return out

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        channels = self.gamma.shape[0]
        return f"{type(self).__name__}({content}, in_channels={channels if channels else None})"


def _moving_update_fn(
    running_mean: Any, running_var: Any, mean: Any, invstd: Any, m: Any, rest: Any, eps: Any
) -> tuple[Any, Any]:
    """BatchNorm's running statistics after a training-mode batch (``rest`` = 1 - ``m``,
    computed in Python as the traced path does): the arithmetic of the traced (hybridized)
    path in ``BatchNorm.hybrid_forward``, each Python scalar (passed as float32) cast to the
    dtype of the array it multiplies, as a weakly typed scalar is there."""
    var = jnp.reciprocal(jnp.square(invstd)) - eps.astype(invstd.dtype)
    return (
        running_mean * m.astype(running_mean.dtype) + mean * rest.astype(mean.dtype),
        running_var * m.astype(running_var.dtype) + var * rest.astype(var.dtype),
    )


_moving_update = _cc.TreeJit(_moving_update_fn, lambda: "nn.BatchNorm.moving_update")
