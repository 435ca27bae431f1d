"""MXNet's older Python operators (``mx.operator.PythonOp``/``NumpyOp``/``NDArrayOp``), run
through the ``Custom`` operator, and ``get_operator_arguments``.

MXNet deprecated these in favour of ``CustomOp``; they build a Symbol
(``op(data=x)`` or ``op.get_symbol(...)``). gluax registers an adapter ``CustomOpProp`` per
instance, so they work wherever ``mx.sym.Custom`` does.
"""

from __future__ import annotations

import collections
import inspect
from typing import Any

import numpy as np

from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.registry import get_op
from gluax._src.ops.custom import CustomOp, CustomOpProp, register

OperatorArguments = collections.namedtuple("OperatorArguments", ["narg", "names", "types"])


def get_operator_arguments(op_name: str) -> OperatorArguments:
    """Number, names and types of operator ``op_name``'s arguments (inputs, then attributes),
    from gluax's registry (types as ``'NDArray-or-Symbol'`` or the attribute's default type)."""
    op = get_op(op_name)
    sig = inspect.signature(op.fn).parameters
    names = list(op.inputs) + list(op.attrs)
    types = ["NDArray-or-Symbol"] * len(op.inputs)
    for a in op.attrs:
        d = sig[a].default
        types.append("required" if d is inspect.Parameter.empty else
                     f"{type(d).__name__}, optional, default={d!r}")
    return OperatorArguments(len(names), names, types)


class PythonOp:
    """Base class of MXNet's deprecated Python operators (use ``CustomOp``)."""

    def __init__(self, need_top_grad: bool = True) -> None:
        self.info_ = None
        self.need_top_grad_ = need_top_grad

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.get_symbol(*args, **kwargs)

    def get_symbol(self, *args: Any, **kwargs: Any) -> Any:
        """The Symbol applying this operator to the Symbols given (by position or name)."""
        import gluax.symbol as sym

        op_type = f"_gluax_{type(self).__name__}_{id(self)}"
        register(op_type)(_adapter(self))
        names = self.list_arguments()
        inputs = list(args) + [kwargs.pop(n) for n in names[len(args):] if n in kwargs]
        if len(inputs) != len(names):
            raise ValueError(f"{type(self).__name__}: expected inputs {names}, got "
                             f"{len(inputs)}.")
        return sym.Custom(*inputs, op_type=op_type, **kwargs)

    def forward(self, in_data: list[Any], out_data: list[Any]) -> None:
        """Fill ``out_data`` from ``in_data`` in place (override)."""
        out_data[0][:] = in_data[0]

    def backward(self, out_grad: list[Any], in_data: list[Any], out_data: list[Any],
                 in_grad: list[Any]) -> None:
        """Fill ``in_grad`` in place (override)."""
        in_grad[0][:] = 1.0

    def infer_shape(self, in_shape: list[Any]) -> tuple[Any, Any]:
        """(input shapes, output shapes); the first input's shape by default."""
        return in_shape, [in_shape[0]]

    def list_outputs(self) -> list[str]:
        """Output names (default ``['output']``)."""
        return ["output"]

    def list_arguments(self) -> list[str]:
        """Input names (default ``['data']``)."""
        return ["data"]

    def need_top_grad(self) -> bool:
        """Whether ``backward`` reads ``out_grad``."""
        return self.need_top_grad_


class NumpyOp(PythonOp):
    """A deprecated Python operator whose ``forward``/``backward`` fill numpy arrays."""

    _numpy = True


class NDArrayOp(PythonOp):
    """A deprecated Python operator whose ``forward``/``backward`` fill NDArrays."""

    _numpy = False

    def declare_backward_dependency(self, out_grad: list[int], in_data: list[int],
                                    out_data: list[int]) -> list[int]:
        """The arrays ``backward`` reads (all of them; out_grad only with need_top_grad)."""
        deps = list(out_grad) if self.need_top_grad() else []
        return deps + list(in_data) + list(out_data)


def _adapter(pyop: PythonOp) -> type:
    as_np = getattr(pyop, "_numpy", True)

    def host(a: NDArray) -> Any:
        return np.array(a.asnumpy()) if as_np else a.copy()

    class _Run(CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):  # noqa: ANN001, ANN202
            outs = [host(o) for o in out_data]
            pyop.forward(in_data=[host(x) for x in in_data], out_data=outs)
            for o, r, v in zip(out_data, req, outs):
                self.assign(o, r, v)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):  # noqa: ANN001, ANN202
            grads = [host(g) for g in in_grad]
            pyop.backward(out_grad=[host(g) for g in out_grad],
                          in_data=[host(x) for x in in_data],
                          out_data=[host(o) for o in out_data], in_grad=grads)
            for g, r, v in zip(in_grad, req, grads):
                self.assign(g, r, v)

    class _Prop(CustomOpProp):
        def __init__(self) -> None:
            super().__init__(need_top_grad=pyop.need_top_grad())

        def list_arguments(self) -> list[str]:
            return pyop.list_arguments()

        def list_outputs(self) -> list[str]:
            return pyop.list_outputs()

        def infer_shape(self, in_shape: list[Any]) -> Any:
            return pyop.infer_shape(in_shape)

        def create_operator(self, ctx: Any, shapes: Any, dtypes: Any) -> CustomOp:
            return _Run()

    return _Prop
