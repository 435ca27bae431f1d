"""Padding layers: ReflectionPad2D."""

from __future__ import annotations

from numbers import Number
from typing import Any

from gluax._src.engine.base import OperatorError
from gluax._src.gluon.block import HybridBlock


class ReflectionPad2D(HybridBlock):
    """Pads the height and width of ``(N, C, H, W)`` data with the reflection of the input
    boundary (the edge itself is not repeated): ``F.pad(x, mode='reflect', pad_width=...)``.

    Parameters
    ----------
    padding : int or tuple of 8 ints, default 0
        An int pads all four sides by that much. A tuple is MXNet's flat ``pad_width``
        ``(0, 0, 0, 0, top, bottom, left, right)`` (before/after per axis of NCHW; the first
        four entries must be 0). Each width must be smaller than the padded dim.

    Notes
    -----
    Inputs: ``(N, C, H, W)``. Outputs: ``(N, C, H + top + bottom, W + left + right)``.

    Examples
    --------
    >>> import gluax as mx
    >>> pad = mx.gluon.nn.ReflectionPad2D(1)
    >>> print(pad(mx.nd.array([[[[1.0, 2.0], [3.0, 4.0]]]])).asnumpy()[0, 0])
    [[4. 3. 4. 3.]
     [2. 1. 2. 1.]
     [4. 3. 4. 3.]
     [2. 1. 2. 1.]]
    """

    def __init__(self, padding: Any = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(padding, Number):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        if not isinstance(padding, (tuple, list)) or len(padding) != 8:
            raise ValueError(
                f"ReflectionPad2D: padding must be an int or 8 ints (0, 0, 0, 0, top, bottom, "
                f"left, right), got {padding!r}."
            )
        self._padding = tuple(padding)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Pad the two spatial axes by reflection.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            ``(N, C, H, W)``.

        Returns
        -------
        NDArray or Symbol
            ``(N, C, H + top + bottom, W + left + right)``.
        """
        if x.ndim != 4:
            raise OperatorError(
                f"ReflectionPad2D '{self.name}': expected 4-D input (N, C, H, W), got shape "
                f"{tuple(x.shape)}."
            )
        return F.pad(x, mode="reflect", pad_width=self._padding)
