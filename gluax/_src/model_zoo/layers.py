"""Layers the model zoo builds with: MXNet 1.9.1 takes ``HybridConcurrent`` and ``Identity``
from ``gluon.contrib.nn``.

They live here until gluax has ``gluon.contrib``; the class names (and so the reprs and the
generated prefixes) are MXNet's.
"""

from __future__ import annotations

from typing import Any

from gluax._src.gluon.block import HybridBlock
from gluax._src.nn.basic_layers import HybridSequential


class HybridConcurrent(HybridSequential):
    """Feeds the input to every child and concatenates their outputs along ``axis``.

    Parameters
    ----------
    axis : int, default -1
        The axis of the concatenation.

    Examples
    --------
    >>> import gluax as mx
    >>> from gluax._src.model_zoo.layers import HybridConcurrent, Identity
    >>> net = HybridConcurrent(axis=1)
    >>> net.add(Identity(), Identity())
    >>> net(mx.nd.ones((2, 3))).shape
    (2, 6)
    """

    def __init__(self, axis: int = -1, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """Returns its input (the shortcut branch of a ``HybridConcurrent``)."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x
