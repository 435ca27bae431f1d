"""Containers and basic layers: Sequential, HybridSequential, Dense, Activation, Flatten,
Lambda, HybridLambda."""

from __future__ import annotations

import warnings
from math import prod
from typing import Any, Callable

from gluax._src.engine.base import OperatorError
from gluax._src.gluon.block import Block, HybridBlock, _indent


def _seq_repr(block: Block) -> str:
    body = "\n".join(f"  ({k}): {_indent(repr(v), 2)}" for k, v in block._children.items())
    return f"{block.__class__.__name__}(\n{body}\n)"


class Sequential(Block):
    """Stacks Blocks sequentially; runs eagerly.

    Examples
    --------
    >>> import gluax as mx
    >>> net = mx.gluon.nn.Sequential()
    >>> net.add(mx.gluon.nn.Dense(3, in_units=2), mx.gluon.nn.Activation('relu'))
    >>> len(net)
    2
    """

    _is_container = True

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks: Block) -> None:
        """Append blocks."""
        for b in blocks:
            self.register_child(b)

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Hybridize the children (this container itself runs eagerly); warns, as MXNet does,
        when all of them are HybridBlocks, where a HybridSequential would compile the whole
        stack as one program."""
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn(
                f"All children of this Sequential layer '{self.prefix}' are HybridBlocks. "
                "Consider using HybridSequential for the best performance.",
                stacklevel=2,
            )
        super().hybridize(active, **kwargs)

    def forward(self, x: Any, *args: Any) -> Any:
        """Run the children in order, each on the previous one's output.

        Parameters
        ----------
        x : NDArray
            Input of the first child.

        Returns
        -------
        NDArray
            Output of the last child.
        """
        for block in self._children.values():
            x = block(x, *args)
            args = ()
            if isinstance(x, (tuple, list)):
                args, x = tuple(x[1:]), x[0]
        if args:
            x = tuple([x] + list(args))
        return x

    def __repr__(self) -> str:
        return _seq_repr(self)

    def __getitem__(self, key: int | slice) -> Any:
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)



class HybridSequential(HybridBlock):
    """Stacks HybridBlocks sequentially; ``hybridize()`` compiles the whole stack as one
    program."""

    _is_container = True

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks: HybridBlock) -> None:
        """Append blocks."""
        for b in blocks:
            self.register_child(b)

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        """Run the children in order, each on the previous one's output.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            Input of the first child.

        Returns
        -------
        NDArray or Symbol
            Output of the last child.
        """
        for block in self._children.values():
            x = block(x, *args)
            args = ()
            if isinstance(x, (tuple, list)):
                args, x = tuple(x[1:]), x[0]
        if args:
            x = tuple([x] + list(args))
        return x

    def __repr__(self) -> str:
        return _seq_repr(self)

    def __getitem__(self, key: int | slice) -> Any:
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)


class Activation(HybridBlock):
    """Applies an activation: ``relu``, ``sigmoid``, ``tanh``, ``softrelu`` or ``softsign``.

    Inputs: data of any shape. Outputs: same shape.
    """

    def __init__(self, activation: str, **kwargs: Any) -> None:
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self) -> str:
        return self._act_type

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Apply the activation element-wise."""
        return F.Activation(x, act_type=self._act_type)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._act_type})"


class Dense(HybridBlock):
    """Densely connected layer: ``out = activation(dot(data, weight.T) + bias)``.

    Parameters
    ----------
    units : int
        Output size.
    activation : str, optional
        Activation after the affine map (see ``Activation``).
    use_bias : bool, default True
    flatten : bool, default True
        Flatten all axes but the first before the product; otherwise act on the last axis.
    dtype : str, default 'float32'
    weight_initializer, bias_initializer : Initializer or str
        Defaults: the global initializer for the weight, ``'zeros'`` for the bias.
    in_units : int, default 0
        Input size; 0 infers it at the first forward.

    Notes
    -----
    Inputs: ``(batch_size, x1, x2, ...)`` (or ``(x1, ..., in_units)`` with ``flatten=False``).
    Outputs: ``(batch_size, units)`` (or ``(x1, ..., units)``).
    """

    def __init__(
        self,
        units: int,
        activation: str | None = None,
        use_bias: bool = True,
        flatten: bool = True,
        dtype: Any = "float32",
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_units: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._units, self._flatten, self._in_units = units, flatten, in_units
        with self.name_scope():
            self.weight = self.params.get(
                "weight",
                shape=(units, in_units),
                init=weight_initializer,
                dtype=dtype,
                allow_deferred_init=True,
            )
            if use_bias:
                self.bias = self.params.get(
                    "bias",
                    shape=(units,),
                    init=bias_initializer,
                    dtype=dtype,
                    allow_deferred_init=True,
                )
            else:
                self.bias = None
            self.act = (
                Activation(activation, prefix=activation + "_") if activation is not None else None
            )

    def infer_shape(self, x: Any, *args: Any) -> None:
        """Fill in the parameter dimensions left 0 (deferred) from the first input's shape.

        Parameters
        ----------
        x : NDArray or Symbol
            The first input.
        *args
            The other inputs (unused).
        """
        self.weight.shape = (self._units, prod(x.shape[1:]) if self._flatten else x.shape[-1])

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        """``activation(dot(x, weight.T) + bias)``.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            ``(batch, ...)``, flattened to ``(batch, in_units)`` when ``flatten=True``; otherwise ``(..., in_units)``.
        weight : NDArray or Symbol
            ``(units, in_units)``.
        bias : NDArray or Symbol, optional
            ``(units,)``; None when ``use_bias=False``.

        Returns
        -------
        NDArray or Symbol
            ``(batch, units)``, or ``(..., units)`` with ``flatten=False``.
        """
        in_units = weight.shape[1]
        got = prod(x.shape[1:]) if self._flatten else x.shape[-1]
        if got != in_units:
            raise OperatorError(
                f"Dense '{self.name}': expected {in_units} input features, got shape "
                f"{tuple(x.shape)}. Set in_units=0 to infer it."
            )
        y = F.FullyConnected(
            x, weight, bias, num_hidden=self._units, no_bias=bias is None, flatten=self._flatten
        )
        return self.act(y) if self.act is not None else y

    def __repr__(self) -> str:
        shape = self.weight.shape
        layout = f"{shape[1] if shape[1] else None} -> {shape[0]}"
        return f"{self.__class__.__name__}({layout}, {self.act if self.act else 'linear'})"


class Flatten(HybridBlock):
    """Flattens all axes but the first: ``(N, x1, x2, ...) -> (N, x1*x2*...)``."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        """Collapse all axes but the first.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            ``(batch, d1, d2, ...)``.

        Returns
        -------
        NDArray or Symbol
            ``(batch, d1 * d2 * ...)``.
        """
        return F.Flatten(x)

    def __repr__(self) -> str:
        return self.__class__.__name__


class Lambda(Block):
    """Wraps a function (or the name of an ``mx.nd`` operator) as a Block."""

    def __init__(self, function: str | Callable[..., Any], prefix: str | None = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            from gluax import ndarray as nd

            if not hasattr(nd, function):
                raise ValueError(f"Lambda: function name {function!r} is not found in mx.nd.")
            self._func_impl = getattr(nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError(
                f"Lambda: unrecognized function {function!r}; expected a callable or an operator name."
            )
        self._func_name = getattr(function, "__name__", str(function))

    def forward(self, *args: Any) -> Any:
        """Call the wrapped function on the input.

        Parameters
        ----------
        *args : NDArray
            Inputs of the function.

        Returns
        -------
        NDArray
            What the function returns.
        """
        return self._func_impl(*args)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._func_name})"


class HybridLambda(HybridBlock):
    """Wraps ``function(F, x, *args)`` (or an operator name) as a HybridBlock."""

    def __init__(self, function: str | Callable[..., Any], prefix: str | None = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            from gluax import ndarray as nd

            if not hasattr(nd, function):
                raise ValueError(
                    f"HybridLambda: function name {function!r} is not found in mx.nd/mx.sym."
                )
            self._func = lambda F, *args: getattr(F, function)(*args)
        elif callable(function):
            self._func = function
        else:
            raise ValueError(
                f"HybridLambda: unrecognized function {function!r}; expected a callable or an operator name."
            )
        self._func_name = getattr(function, "__name__", str(function))

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        """Call the wrapped function as ``function(F, x, *args)``.

        Parameters
        ----------
        F : module
            ``mx.nd`` (eager) or ``mx.sym`` (while hybridizing).
        x : NDArray or Symbol
            First input of the function.
        *args : NDArray or Symbol
            Further inputs.

        Returns
        -------
        NDArray or Symbol
            What the function returns.
        """
        return self._func(F, x, *args)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._func_name})"
