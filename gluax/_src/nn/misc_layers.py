"""Dropout and Embedding."""

from __future__ import annotations

from typing import Any

from gluax._src.gluon.block import HybridBlock


class Dropout(HybridBlock):
    """Inverted dropout: in training mode each element is zeroed with probability ``rate`` and
    the kept ones are scaled by ``1 / (1 - rate)``; in inference, the identity.

    Parameters
    ----------
    rate : float
        Fraction of the input units to drop, in ``[0, 1]``.
    axes : tuple of int, default ()
        Axes along which one mask value is shared (variational dropout).

    Notes
    -----
    Inputs: data of any shape. Outputs: same shape.

    Hybridized, every call draws a fresh mask; ``mx.random.seed`` makes the masks repeat.

    Examples
    --------
    >>> import gluax as mx
    >>> drop = mx.gluon.nn.Dropout(0.5)
    >>> drop(mx.nd.ones((2, 2))).asnumpy().tolist()   # inference: identity
    [[1.0, 1.0], [1.0, 1.0]]
    """

    def __init__(self, rate: float, axes: Any = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)`` in training mode; identity otherwise."""
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, cudnn_off=False)
        return F.identity(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p = {self._rate}, axes={self._axes})"


class Embedding(HybridBlock):
    """Maps indices to dense vectors: ``out[..., :] = weight[data[...], :]``.

    Parameters
    ----------
    input_dim : int
        Vocabulary size; indices outside ``[0, input_dim)`` are clipped into it (as MXNet).
    output_dim : int
        Size of each vector.
    dtype : str, default 'float32'
    weight_initializer : Initializer, optional
    sparse_grad : bool, default False
        Accepted; the gradient is always dense in gluax.

    Notes
    -----
    Inputs: indices of any shape ``(d1, ..., dk)`` (float indices are truncated). Outputs:
    ``(d1, ..., dk, output_dim)``. The parameter ``weight`` has shape
    ``(input_dim, output_dim)``.

    MXNet's ``sparse_grad=True`` makes a row-sparse gradient; gluax has no sparse storage and
    keeps the gradient dense (same values).

    Examples
    --------
    >>> import gluax as mx
    >>> emb = mx.gluon.nn.Embedding(10, 4)
    >>> emb.initialize()
    >>> emb(mx.nd.array([[1, 2, 3]])).shape
    (1, 3, 4)
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        dtype: Any = "float32",
        weight_initializer: Any = None,
        sparse_grad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {
            "input_dim": input_dim,
            "output_dim": output_dim,
            "dtype": dtype,
            "sparse_grad": sparse_grad,
        }
        self.weight = self.params.get(
            "weight",
            shape=(input_dim, output_dim),
            init=weight_initializer,
            dtype=dtype,
            allow_deferred_init=True,
        )

    def hybrid_forward(self, F: Any, x: Any, weight: Any) -> Any:
        """Look up the rows of ``weight`` at the indices ``x``.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            Indices, any shape ``(d1, ..., dk)``.
        weight : NDArray or Symbol
            ``(input_dim, output_dim)``.

        Returns
        -------
        NDArray or Symbol
            ``(d1, ..., dk, output_dim)``.
        """
        return F.Embedding(x, weight, **self._kwargs)

    def __repr__(self) -> str:
        kw = self._kwargs
        return f"{type(self).__name__}({kw['input_dim']} -> {kw['output_dim']}, {kw['dtype']})"
