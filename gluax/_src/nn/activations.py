"""Activation layers with parameters: LeakyReLU, PReLU, ELU, SELU, GELU, Swish."""

from __future__ import annotations

from typing import Any

from gluax._src.gluon import init as _init
from gluax._src.gluon.block import HybridBlock


class LeakyReLU(HybridBlock):
    """Leaky rectifier: ``x if x > 0 else alpha * x``.

    Parameters
    ----------
    alpha : float
        Slope for negative inputs, ``>= 0``.

    Notes
    -----
    Inputs: data of any shape. Outputs: same shape.

    Examples
    --------
    >>> import gluax as mx
    >>> mx.gluon.nn.LeakyReLU(0.1)(mx.nd.array([-2.0, 3.0])).asnumpy().tolist()
    [-0.20000000298023224, 3.0]
    """

    def __init__(self, alpha: float, **kwargs: Any) -> None:
        if alpha < 0:
            raise ValueError(
                f"LeakyReLU: slope coefficient alpha must be no less than 0, got {alpha!r}."
            )
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """``x`` for ``x > 0``, ``alpha * x`` otherwise."""
        return F.LeakyReLU(x, act_type="leaky", slope=self._alpha)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._alpha})"


class PReLU(HybridBlock):
    """Parametric leaky rectifier: ``x if x > 0 else alpha * x`` with ``alpha`` learned, one
    value per channel (axis 1) or one shared value.

    Parameters
    ----------
    alpha_initializer : Initializer, default Constant(0.25)
    in_channels : int, default 1
        Number of alphas: 1 (shared) or the number of channels.

    Notes
    -----
    Inputs: data of any shape. Outputs: same shape. Parameter ``alpha``: ``(in_channels,)``.
    """

    def __init__(
        self, alpha_initializer: Any = _init.Constant(0.25), in_channels: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F: Any, x: Any, alpha: Any) -> Any:
        """``x`` for ``x > 0``, ``alpha * x`` otherwise, with a learned ``alpha``.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            Data of any shape.
        alpha : NDArray or Symbol
            The learned slopes, shape ``(in_channels,)``, broadcast along axis 1.

        Returns
        -------
        NDArray or Symbol
            Same shape as ``x``.
        """
        return F.LeakyReLU(x, alpha, act_type="prelu")


class ELU(HybridBlock):
    """Exponential linear unit: ``x if x > 0 else alpha * (exp(x) - 1)``.

    Parameters
    ----------
    alpha : float, default 1.0
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
        return F.LeakyReLU(x, act_type="elu", slope=self._alpha)


class SELU(HybridBlock):
    """Scaled exponential linear unit:
    ``lambda * (x if x > 0 else alpha * (exp(x) - 1))`` with lambda ~ 1.0507, alpha ~ 1.6733.

    Notes
    -----
    The gradient is exact; MXNet 1.9.1's backward gives ``lambda * (y + alpha)`` for ``x <= 0``
    (a bug), so training with SELU drifts from MXNet's.
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Scaled ELU with the fixed constants of Klambauer et al. (2017)."""
        return F.LeakyReLU(x, act_type="selu")


class GELU(HybridBlock):
    """Gaussian error linear unit, exact form: ``0.5 * x * (1 + erf(x / sqrt(2)))``.

    Notes
    -----
    ``jax.nn.gelu`` defaults to the tanh approximation; MXNet and gluax use erf.
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """``x * Phi(x)``, ``Phi`` the standard normal CDF (erf form)."""
        return F.LeakyReLU(x, act_type="gelu")


class Swish(HybridBlock):
    """Swish: ``x * sigmoid(beta * x)``.

    Parameters
    ----------
    beta : float, default 1.0
    """

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """``x * sigmoid(beta * x)``."""
        return x * F.sigmoid(self._beta * x)
