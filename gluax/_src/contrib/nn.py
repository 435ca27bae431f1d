"""``gluon.contrib.nn`` layers: Concurrent, HybridConcurrent, Identity, SparseEmbedding,
SyncBatchNorm, PixelShuffle1D/2D/3D."""

from __future__ import annotations

from math import prod
from typing import Any

from gluax._src.engine.autograd import is_training
from gluax._src.engine.base import OperatorError
from gluax._src.engine.context import num_gpus
from gluax._src.engine.registry import call
from gluax._src.gluon.block import Block, HybridBlock
from gluax._src.nn.basic_layers import HybridSequential, Sequential
from gluax._src.nn.norm_layers import BatchNorm


class Concurrent(Sequential):
    """Feeds the input to every child and concatenates their outputs along ``axis``; runs
    eagerly (``HybridConcurrent`` is the hybridizable form).

    Parameters
    ----------
    axis : int, default -1
        The axis along which the children's outputs are concatenated.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon import nn
    >>> from gluax.gluon.contrib import nn as cnn
    >>> net = cnn.Concurrent()
    >>> net.add(nn.Dense(3, in_units=2), cnn.Identity())
    >>> net.initialize()
    >>> net(mx.nd.ones((4, 2))).shape
    (4, 5)
    """

    def __init__(self, axis: int = -1, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x: Any) -> Any:
        """Run every child on the same input and concatenate the outputs along ``axis``.

        Parameters
        ----------
        x : NDArray

        Returns
        -------
        NDArray
        """
        return call("concat", *[block(x) for block in self._children.values()], dim=self.axis)


class HybridConcurrent(HybridSequential):
    """Feeds the input to every child and concatenates their outputs along ``axis``;
    ``hybridize()`` compiles the whole block as one program.

    Parameters
    ----------
    axis : int, default -1
        The axis along which the children's outputs are concatenated.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon import nn
    >>> from gluax.gluon.contrib import nn as cnn
    >>> net = cnn.HybridConcurrent(axis=1)
    >>> with net.name_scope():
    ...     net.add(nn.Dense(3), nn.Dense(2, activation='relu'), cnn.Identity())
    >>> net.initialize()
    >>> net.hybridize()
    >>> net(mx.nd.ones((4, 6))).shape
    (4, 11)
    """

    def __init__(self, axis: int = -1, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Run every child on the same input and concatenate the outputs along ``axis``."""
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """Passes its input through unchanged (a residual branch of ``HybridConcurrent``).

    Notes
    -----
    A hybridized Identity is recorded by autograd as any other block; MXNet 1.9.1 does not
    record one (its graph has no operator), so there the output of a hybridized Identity
    cannot be differentiated.
    """

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Return the input unchanged."""
        return x


class SparseEmbedding(Block):
    """Embedding for very large vocabularies (MXNet: row-sparse weight and gradient):
    ``out = weight[data]``, output shape ``data.shape + (output_dim,)``.

    Parameters
    ----------
    input_dim : int
        Vocabulary size.
    output_dim : int
        Embedding size.
    dtype : str, default 'float32'
    weight_initializer : Initializer or str, optional

    Notes
    -----
    gluax has no sparse storage: the weight and its gradient are dense, so this is
    ``nn.Embedding`` run eagerly; outputs and gradient values equal MXNet's. MXNet serves the
    row-sparse weight only through a Trainer's kvstore; gluax needs no Trainer to run it.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        dtype: Any = "float32",
        weight_initializer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {
            "input_dim": input_dim,
            "output_dim": output_dim,
            "dtype": dtype,
            "sparse_grad": True,
        }
        self.weight = self.params.get(
            "weight", shape=(input_dim, output_dim), init=weight_initializer, dtype=dtype
        )

    def forward(self, x: Any) -> Any:
        """Look up the rows of ``weight`` at the indices ``x``.

        Parameters
        ----------
        x : NDArray
            Indices, any shape ``(d1, ..., dk)``.

        Returns
        -------
        NDArray
            ``(d1, ..., dk, output_dim)``.
        """
        return call("Embedding", x, self.weight.data(x.context), **self._kwargs)

    def __repr__(self) -> str:
        kw = self._kwargs
        return f"{type(self).__name__}({kw['input_dim']} -> {kw['output_dim']}, {kw['dtype']})"


class SyncBatchNorm(BatchNorm):
    """Batch normalization over the channel axis (1) whose batch statistics cover the whole
    data-parallel batch, not just one device's part; on one device it is ``BatchNorm``.

    In gluax, data parallelism is one compiled program over a batch sharded across devices
    (``jax.sharding``); there the batch mean and variance are those of the whole batch and
    XLA inserts the cross-device reductions. Inside a per-device function (``shard_map``,
    ``pmap``, or ``jax.vmap`` over a device axis of the block's ``functional()`` view), pass
    that mapped axis as ``axis_name``: the statistics are then averaged over it.

    Parameters
    ----------
    in_channels : int, default 0
        Number of channels; 0 infers it at the first forward. (First, unlike BatchNorm.)
    num_devices : int, optional
        MXNet's barrier size; kept for the repr (``ndev``), unused: gluax needs no barrier.
        Defaults to the number of GPUs, or 1.
    momentum, epsilon, center, scale, use_global_stats, beta_initializer, gamma_initializer,
    running_mean_initializer, running_variance_initializer :
        As ``BatchNorm``.
    axis_name : hashable, optional, keyword-only (gluax)
        The mapped axis over which to average the batch statistics in training mode.

    Notes
    -----
    MXNet warns when ``num_devices`` is not given (it must match the GPUs in use); gluax
    does not need the count and does not warn. When a script calls the network once per
    device on ``split_and_load`` slices, each call sees only its slice, so each normalizes by
    its own statistics, as ``BatchNorm``; train on one sharded batch (or use ``axis_name``)
    for synchronized statistics. The running statistics follow ``BatchNorm``'s rules.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon.contrib import nn as cnn
    >>> bn = cnn.SyncBatchNorm(in_channels=2, num_devices=1, prefix='sbn_')
    >>> bn
    SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, ndev=1, key='sbn_', in_channels=2)
    """

    def __init__(
        self,
        in_channels: int = 0,
        num_devices: int | None = None,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        use_global_stats: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        running_mean_initializer: Any = "zeros",
        running_variance_initializer: Any = "ones",
        *,
        axis_name: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            axis=1, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
            use_global_stats=use_global_stats, beta_initializer=beta_initializer,
            gamma_initializer=gamma_initializer,
            running_mean_initializer=running_mean_initializer,
            running_variance_initializer=running_variance_initializer,
            in_channels=in_channels, **kwargs,
        )  # fmt: skip
        if num_devices is None:
            num_devices = max(num_gpus(), 1)
        self._kwargs = {
            "eps": epsilon,
            "momentum": momentum,
            "fix_gamma": not scale,
            "use_global_stats": use_global_stats,
            "ndev": num_devices,
            "key": self.prefix,
        }
        self._axis_name = axis_name

    def hybrid_forward(
        self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any
    ) -> Any:
        """Batch normalization with statistics over the whole batch across devices (inside a ``compile_step`` mesh; on one device, plain BatchNorm).

        Parameters
        ----------
        F : module
        x : NDArray or Symbol
            Data with channels on axis 1.
        gamma, beta, running_mean, running_var : NDArray or Symbol
            ``(in_channels,)`` each.

        Returns
        -------
        NDArray or Symbol
            Same shape as ``x``.
        """
        kw = dict(self._kwargs, axis_name=self._axis_name)
        args = (x, gamma, beta, running_mean, running_var)
        if not is_training() or kw["use_global_stats"]:
            return F._contrib_SyncBatchNorm(*args, **kw)
        out, mean, invstd = F._contrib_SyncBatchNorm(*args, output_mean_var=True, **kw)
        # As BatchNorm: the variance comes back from 1/sqrt(var + eps).
        var = F.reciprocal(F.square(invstd)) - kw["eps"]
        m = kw["momentum"]
        self.running_mean.set_data(F.stop_gradient(running_mean * m + mean * (1 - m)))
        self.running_var.set_data(F.stop_gradient(running_var * m + var * (1 - m)))
        return out


def _factors(cls: str, factor: Any, n: int) -> tuple[int, ...]:
    if isinstance(factor, (tuple, list)):
        if len(factor) != n:
            raise ValueError(f"{cls}: factor must be an int or {n} ints, got {factor!r}.")
        out = tuple(int(f) for f in factor)
    else:
        out = (int(factor),) * n
    if min(out) < 1:
        raise ValueError(f"{cls}: factors must be positive, got {factor!r}.")
    return out


class _PixelShuffle(HybridBlock):
    """Moves groups of channels into blocks of pixels: ``(N, C*f1*...*fn, d1, ..., dn) ->
    (N, C, d1*f1, ..., dn*fn)``, with ``out[:, c, d1*f1 + i1, ...] = x[:, c*F + flat(i1,
    ...), d1, ...]`` (``F = f1*...*fn``)."""

    def __init__(self, factors: tuple[int, ...]) -> None:
        super().__init__()
        self._factors = factors

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Move channel blocks into the spatial axes: ``(N, C * f1 * f2 ..., d1, d2, ...)`` becomes ``(N, C, d1 * f1, d2 * f2, ...)``."""
        fs, n = self._factors, len(self._factors)
        big = prod(fs)
        if x.ndim != n + 2 or x.shape[1] % big:
            raise OperatorError(
                f"{type(self).__name__} '{self.name}': expected {n + 2}-D input with channels "
                f"divisible by {' * '.join(map(str, fs))} = {big}, got shape {tuple(x.shape)}."
            )
        spatial = x.shape[2:]
        x = F.reshape(x, shape=(0, x.shape[1] // big, *fs, *spatial))  # (N, C, f1.., d1..)
        # interleave: (N, C, d1, f1, d2, f2, ...)
        x = F.transpose(x, axes=(0, 1, *[a for i in range(n) for a in (2 + n + i, 2 + i)]))
        return F.reshape(x, shape=(0, 0, *[d * f for d, f in zip(spatial, fs)]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._factors})"


class PixelShuffle1D(_PixelShuffle):
    """Pixel shuffle along one axis: ``(N, f*C, W) -> (N, C, W*f)``; each group of ``f``
    consecutive channels becomes ``f`` consecutive pixels.

    Parameters
    ----------
    factor : int or tuple of 1 int

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon.contrib import nn as cnn
    >>> print(cnn.PixelShuffle1D(2)(mx.nd.arange(4).reshape((1, 2, 2))).asnumpy())
    [[[0. 2. 1. 3.]]]
    """

    def __init__(self, factor: Any) -> None:
        super().__init__(_factors("PixelShuffle1D", factor, 1))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._factors[0]})"


class PixelShuffle2D(_PixelShuffle):
    """Pixel shuffle (sub-pixel convolution upsampling): ``(N, f1*f2*C, H, W) ->
    (N, C, H*f1, W*f2)``; each group of ``f1*f2`` channels becomes an ``f1 x f2`` block.

    Parameters
    ----------
    factor : int or tuple of 2 ints
        Upsampling factors for H and W.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon.contrib import nn as cnn
    >>> cnn.PixelShuffle2D((2, 3))(mx.nd.zeros((1, 12, 3, 5))).shape
    (1, 2, 6, 15)
    """

    def __init__(self, factor: Any) -> None:
        super().__init__(_factors("PixelShuffle2D", factor, 2))


class PixelShuffle3D(_PixelShuffle):
    """Pixel (voxel) shuffle: ``(N, f1*f2*f3*C, D, H, W) -> (N, C, D*f1, H*f2, W*f3)``.

    Parameters
    ----------
    factor : int or tuple of 3 ints
        Upsampling factors for D, H and W.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax.gluon.contrib import nn as cnn
    >>> cnn.PixelShuffle3D((2, 3, 4))(mx.nd.zeros((1, 48, 3, 5, 7))).shape
    (1, 2, 6, 15, 28)
    """

    def __init__(self, factor: Any) -> None:
        super().__init__(_factors("PixelShuffle3D", factor, 3))
