"""Normalization layers beyond BatchNorm: LayerNorm, InstanceNorm, GroupNorm, BatchNormReLU."""

from __future__ import annotations

from typing import Any

from gluax._src.engine.base import OperatorError
from gluax._src.gluon.block import HybridBlock
from gluax._src.nn.norm_layers import BatchNorm


def _kwargs_repr(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


class _ScaleShiftNorm(HybridBlock):
    """Shared body of LayerNorm and InstanceNorm: gamma and beta of ``(in_channels,)``, the
    channel count read from ``axis`` of the input when deferred.

    As in MXNet, ``scale=False`` (``center=False``) only freezes gamma (beta) with
    ``grad_req='null'``; the operator still multiplies by gamma (adds beta), which stay at their
    initial values unless set."""

    def __init__(
        self,
        axis: int,
        epsilon: float,
        center: bool,
        scale: bool,
        beta_initializer: Any,
        gamma_initializer: Any,
        in_channels: int,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis, self._epsilon = axis, epsilon
        self.gamma = self.params.get(
            "gamma",
            grad_req="write" if scale else "null",
            shape=(in_channels,),
            init=gamma_initializer,
            allow_deferred_init=True,
        )
        self.beta = self.params.get(
            "beta",
            grad_req="write" if center else "null",
            shape=(in_channels,),
            init=beta_initializer,
            allow_deferred_init=True,
        )

    def _channels(self, x: Any) -> int:
        if not -x.ndim <= self._axis < x.ndim:
            raise OperatorError(
                f"{type(self).__name__} '{self.name}': axis {self._axis} is out of range for "
                f"input shape {tuple(x.shape)}."
            )
        return x.shape[self._axis]

    def infer_shape(self, x: Any, *args: Any) -> None:
        """Fill in the parameter dimensions left 0 (deferred) from the first input's shape.

        Parameters
        ----------
        x : NDArray or Symbol
            The first input.
        *args
            The other inputs (unused).
        """
        c = self._channels(x)
        self.gamma.shape = self.beta.shape = (c,)

    def _check_channels(self, x: Any, gamma: Any) -> None:
        if self._channels(x) != gamma.shape[0]:
            raise OperatorError(
                f"{type(self).__name__} '{self.name}': expected {gamma.shape[0]} channels on "
                f"axis {self._axis}, got input shape {tuple(x.shape)}. Set in_channels=0 to "
                "infer them."
            )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({_kwargs_repr(self._kwargs)}, "
            f"in_channels={self.gamma.shape[0]})"
        )


class LayerNorm(_ScaleShiftNorm):
    """Layer normalization: each slice along ``axis`` is normalized by its own mean and
    variance, then scaled and shifted per channel:
    ``out = (x - mean(x, axis)) / sqrt(var(x, axis) + epsilon) * gamma + beta``.

    Parameters
    ----------
    axis : int, default -1
        The axis normalized over (usually the channels/features).
    epsilon : float, default 1e-5
    center : bool, default True
        Learn beta; otherwise beta keeps its initial value (``grad_req='null'``).
    scale : bool, default True
        Learn gamma; otherwise gamma keeps its initial value.
    beta_initializer, gamma_initializer : Initializer or str, default 'zeros', 'ones'
    in_channels : int, default 0
        Size of ``axis``; 0 infers it at the first forward.

    Notes
    -----
    Inputs: data of any shape. Outputs: same shape. Parameters: ``gamma`` and ``beta`` of
    shape ``(in_channels,)``.

    Examples
    --------
    >>> import gluax as mx
    >>> layer = mx.gluon.nn.LayerNorm()
    >>> layer.initialize()
    >>> print(layer(mx.nd.array([[1.0, 2.0, 3.0, 4.0, 5.0]])).asnumpy())
    [[-1.4142101  -0.70710504  0.          0.70710504  1.4142101 ]]
    >>> layer
    LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=5)
    """

    def __init__(
        self,
        axis: int = -1,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        in_channels: int = 0,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(
            axis, epsilon, center, scale, beta_initializer, gamma_initializer, in_channels,
            prefix=prefix, params=params,
        )  # fmt: skip

    def hybrid_forward(self, F: Any, data: Any, gamma: Any, beta: Any) -> Any:
        """Normalize over ``axis`` per sample, then scale by ``gamma`` and shift by ``beta``.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        data : NDArray or Symbol
            Data of any shape.
        gamma, beta : NDArray or Symbol
            ``(in_channels,)``.

        Returns
        -------
        NDArray or Symbol
            Same shape as ``x``.
        """
        self._check_channels(data, gamma)
        return F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon)


class InstanceNorm(_ScaleShiftNorm):
    """Instance normalization: each (sample, channel) map is normalized by its own mean and
    variance over the remaining axes, then scaled and shifted per channel:
    ``out = (x - mean) / sqrt(var + epsilon) * gamma + beta``, the same in training and
    inference.

    Parameters
    ----------
    axis : int, default 1
        The channel axis (3 or -1 for channels-last data). Statistics run over every axis but
        the first and this one.
    epsilon : float, default 1e-5
    center : bool, default True
        Learn beta; otherwise beta keeps its initial value (``grad_req='null'``).
    scale : bool, default False
        Learn gamma; otherwise gamma keeps its initial value. Note the default: False, as in
        MXNet (LayerNorm and GroupNorm default to True).
    beta_initializer, gamma_initializer : Initializer or str, default 'zeros', 'ones'
    in_channels : int, default 0
        Number of channels; 0 infers it at the first forward.

    Notes
    -----
    Inputs: data with at least 3 dims (batch, channel, spatial...). Outputs: same shape.
    Parameters: ``gamma`` and ``beta`` of shape ``(in_channels,)``.

    Examples
    --------
    >>> import gluax as mx
    >>> layer = mx.gluon.nn.InstanceNorm()
    >>> layer.initialize()
    >>> print(layer(mx.nd.array([[[1.0, 3.0]], [[2.0, 8.0]]])).asnumpy().round(4))
    [[[-1.  1.]]
    <BLANKLINE>
     [[-1.  1.]]]
    """

    def __init__(
        self,
        axis: int = 1,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            axis, epsilon, center, scale, beta_initializer, gamma_initializer, in_channels,
            **kwargs,
        )  # fmt: skip

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        """Normalize each channel of each sample over the spatial axes, then scale and shift.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            ``(batch, channels, *spatial)``.
        gamma, beta : NDArray or Symbol
            ``(in_channels,)``.

        Returns
        -------
        NDArray or Symbol
            Same shape as ``x``.
        """
        self._check_channels(x, gamma)
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, eps=self._epsilon)
        x = F.swapaxes(x, dim1=1, dim2=self._axis)
        y = F.InstanceNorm(x, gamma, beta, eps=self._epsilon)
        return F.swapaxes(y, dim1=1, dim2=self._axis)


class GroupNorm(HybridBlock):
    """Group normalization: the channels (axis 1) split into ``num_groups`` groups; each
    (sample, group) is normalized by its own mean and variance, then scaled and shifted per
    group: ``out = (x - mean) / sqrt(var + epsilon) * gamma[g] + beta[g]``.

    Parameters
    ----------
    num_groups : int, default 1
        Must divide the number of channels.
    epsilon : float, default 1e-5
    center : bool, default True
        Learn beta; otherwise beta keeps its initial value (``grad_req='null'``).
    scale : bool, default True
        Learn gamma; otherwise gamma keeps its initial value.
    beta_initializer, gamma_initializer : Initializer or str, default 'zeros', 'ones'

    Notes
    -----
    Inputs: data ``(N, C, *spatial)`` with at least 3 dims. Outputs: same shape.
    Parameters: ``gamma`` and ``beta`` of shape ``(num_groups,)``: one value per group, as in
    MXNet 1.9 (MXNet 2 and PyTorch use one per channel).

    Examples
    --------
    >>> import gluax as mx
    >>> layer = mx.gluon.nn.GroupNorm(num_groups=2)
    >>> layer.initialize()
    >>> layer(mx.nd.ones((1, 4, 3))).shape, layer.gamma.shape
    ((1, 4, 3), (2,))
    """

    def __init__(
        self,
        num_groups: int = 1,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center, "scale": scale}
        self._num_groups, self._epsilon = num_groups, epsilon
        self.gamma = self.params.get(
            "gamma",
            grad_req="write" if scale else "null",
            shape=(num_groups,),
            init=gamma_initializer,
            allow_deferred_init=True,
        )
        self.beta = self.params.get(
            "beta",
            grad_req="write" if center else "null",
            shape=(num_groups,),
            init=beta_initializer,
            allow_deferred_init=True,
        )

    def hybrid_forward(self, F: Any, data: Any, gamma: Any, beta: Any) -> Any:
        """Normalize each group of channels of each sample, then scale and shift per group.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        data : NDArray or Symbol
            ``(batch, channels, *spatial)``.
        gamma, beta : NDArray or Symbol
            ``(num_groups,)``.

        Returns
        -------
        NDArray or Symbol
            Same shape as ``x``.
        """
        return F.GroupNorm(
            data, gamma=gamma, beta=beta, num_groups=self._num_groups, eps=self._epsilon
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_kwargs_repr(self._kwargs)})"


class BatchNormReLU(BatchNorm):
    """Batch normalization followed by ReLU: ``relu(BatchNorm(x))``, with BatchNorm's
    parameters, defaults and running-statistics rules (see ``BatchNorm``).

    Notes
    -----
    MXNet 1.9.1 runs this through its oneDNN-only fused operator (``BatchNormWithReLU``), which
    fails on other builds and on data that is not 4-D; gluax composes BatchNorm and relu and
    takes any shape.

    Examples
    --------
    >>> import gluax as mx
    >>> layer = mx.gluon.nn.BatchNormReLU(in_channels=1)
    >>> layer.initialize()
    >>> with mx.autograd.record():
    ...     y = layer(mx.nd.array([[-1.0], [1.0]]))
    >>> print(y.asnumpy().round(4))  # 1 / sqrt(1 + eps) for the positive sample
    [[0.]
     [1.]]
    """

    def hybrid_forward(
        self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any
    ) -> Any:
        """Batch normalization followed by ReLU."""
        return F.relu(super().hybrid_forward(F, x, gamma, beta, running_mean, running_var))
