"""``gluon.loss``: the Loss base class and the core losses (L1, L2, softmax cross-entropy).

Every loss returns one value per sample: the mean over all axes but ``batch_axis``, after
``weight`` and ``sample_weight`` are applied, as MXNet 1.9.1 does.
"""

from __future__ import annotations

from typing import Any

from gluax._src.engine import random as _random
from gluax._src.engine import registry as _registry
from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.state import STATE
from gluax._src.gluon.block import HybridBlock, _array_types, _TraceState
from gluax._src.gluon.symbol import Symbol as _GraphSymbol


# one fused operator per loss structure (class and attributes: instances of the same
# configuration share it and its programs)
_FUSED: dict[str, Any] = {}


def _apply_weighting(
    F: Any, loss: Any, weight: float | None = None, sample_weight: Any = None
) -> Any:
    """Scale by ``sample_weight`` (broadcast) and by the scalar ``weight``."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, (int, float)):
            raise TypeError(f"weight must be a number, got {type(weight).__name__}.")
        loss = loss * weight
    return loss


def _reshape_like(F: Any, x: Any, y: Any) -> Any:
    if type(x) is _GraphSymbol or type(y) is _GraphSymbol:
        return F.reshape_like(x, y)  # free-standing Symbols: shapes known only when bound
    if x.shape == y.shape:
        return x
    if x.size != y.size:
        raise ValueError(
            f"label of shape {x.shape} cannot be reshaped to the prediction's shape {y.shape}."
        )
    return F.reshape(x, shape=y.shape)


class Loss(HybridBlock):
    """Base class of losses.

    Parameters
    ----------
    weight : float or None. Global scalar weight of the loss.
    batch_axis : int, default 0. The axis that indexes samples.
    """

    def __init__(self, weight: float | None, batch_axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def forward(self, x: Any, *args: Any) -> Any:
        """Un-hybridized on NDArrays, a loss of gluax's own classes runs as ONE operator
        (``_fused_op``) rather than one per ``F`` call: fewer dispatches, and one node on the
        autograd tape, whose backward is an operator too (``create_graph`` works)."""
        if not self._active and not STATE.tracing and type(x) is not _GraphSymbol:
            inputs = (x, *args)
            while inputs and inputs[-1] is None:
                inputs = inputs[:-1]
            if self._fusable() and all(isinstance(a, NDArray) for a in inputs):
                op = self._fused_op()
                if op is not None:
                    return _registry.invoke(op, inputs, {})
        return super().forward(x, *args)

    # whether the fused operator's backward recomputes the loss from its inputs (cheap for
    # elementwise losses and reductions) or keeps the forward's residuals (a costly forward:
    # CTC's alignment sums, whose own operator keeps them)
    _fused_remat = True

    def _fusable(self) -> bool:
        """Whether one compiled program computes what the ``F`` calls compute one by one
        (a loss whose NaN handling XLA's simplifications would change says no)."""
        return True

    def _fused_op(self) -> Any:
        """This loss's computation as one operator, or None where that is not known to be
        what the ``F`` calls would compute: a subclass written outside gluax, forward hooks,
        attributes that are not plain constants (``block_cache.structure_id``), a bucketed
        (padded) batch. Its programs are named in the executable cache by the loss's class
        and attributes."""
        if STATE.valid_rows is not None or STATE.valid_steps is not None:
            return None
        # this instance's answer, kept until an attribute is set (HybridBlock.__setattr__) or
        # a hook added: naming the structure costs ~40 us, more than the loss's own dispatch
        hooks = (len(self._forward_hooks), len(self._forward_pre_hooks))
        cached = self.__dict__.get("_fused_cached")
        if cached is not None and cached[0] == hooks:
            return cached[1]
        op = self._fused_op_of_structure()
        self.__dict__["_fused_cached"] = (hooks, op)
        return op

    def _fused_op_of_structure(self) -> Any:
        from gluax._src.gluon import block_cache as _bc

        sid = _bc.structure_id(self)
        if sid is None:
            return None
        op = _FUSED.get(sid)
        if op is None:
            cls = type(self)
            # a frozen copy (same attributes, its own namespace) to trace through: the
            # operator serves every loss of this configuration, so an attribute set later on
            # this instance (another configuration) must not change what it computes
            proto = object.__new__(cls)
            proto.__dict__.update(self.__dict__)
            proto.__dict__.pop("_fused_cached", None)

            def fn(*data: Any, training: bool) -> Any:
                traced_type = _array_types()[1]  # as a hybridized call traces (numpy mode too)
                source = _random.TraceKeySource(_random.unused_key())
                with _TraceState(training, source):
                    out = proto._forward_inline(tuple(traced_type(v, None) for v in data))
                if source.used:  # gluax's losses draw no random numbers
                    raise RuntimeError(f"{cls.__name__}: a fused loss drew a random number")
                return out._value

            op = _registry.OpDef(
                cls.__name__, fn, False, True, mode_dependent=True, remat=cls._fused_remat,
                persist=f"loss|{cls.__module__}.{cls.__qualname__}|{sid}",
            )  # fmt: skip
            _FUSED[sid] = op
        return op

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Compute the loss; every loss overrides it.

        Parameters
        ----------
        F : module
            ``mx.nd`` or ``mx.sym``.
        x : NDArray or Symbol
            Predictions.
        *args, **kwargs
            Labels and optional weights, as each loss defines them.

        Returns
        -------
        NDArray or Symbol
            Per-sample losses.
        """
        raise NotImplementedError


class L2Loss(Loss):
    """``L = weight / 2 * (label - pred)**2``, averaged over non-batch axes.

    Inputs: ``pred`` and ``label`` of the same size (label is reshaped to pred's shape),
    optional ``sample_weight`` broadcastable to them. Output: ``(batch_size,)``.
    """

    def __init__(self, weight: float = 1.0, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        """``0.5 * (label - pred) ** 2``, weighted, averaged per sample."""
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        loss = _apply_weighting(F, loss, self._weight / 2, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class L1Loss(Loss):
    """``L = weight * |label - pred|``, averaged over non-batch axes."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        """``|label - pred|``, weighted, averaged per sample."""
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class SoftmaxCrossEntropyLoss(Loss):
    """Softmax cross-entropy: ``L = -sum_i log(softmax(pred))_i * label_i``; with
    ``sparse_label`` (default) the label holds class indices and
    ``L = -log(softmax(pred))[label]``. ``from_logits=True`` takes log-probabilities.

    Inputs: ``pred`` ``(batch, ..., classes)`` (classes on ``axis``), ``label`` indices of
    shape pred's shape without ``axis`` (sparse) or pred's shape. Output: ``(batch,)``.
    """

    def __init__(
        self,
        axis: int = -1,
        sparse_label: bool = True,
        from_logits: bool = False,
        weight: float | None = None,
        batch_axis: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis, self._sparse_label, self._from_logits = axis, sparse_label, from_logits

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        """``-log softmax(pred)[label]`` (or ``-sum(label * log softmax(pred))`` for dense labels).

        Parameters
        ----------
        F : module
            ``mx.nd`` or ``mx.sym``.
        pred : NDArray or Symbol
            Scores (logits, or log-probabilities with ``from_logits=True``), classes on ``axis``.
        label : NDArray or Symbol
            Class indices (``sparse_label=True``, one per position) or distributions of ``pred``'s shape.
        sample_weight : NDArray or Symbol, optional
            Per-sample weights, broadcast against the loss.

        Returns
        -------
        NDArray or Symbol
            One loss per sample, shape ``(batch,)``: the mean over all axes but ``batch_axis``.
        """
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            if type(pred) is not _GraphSymbol:
                self._check_sparse_label(pred.shape, label.shape)
            loss = -F._loss_pick(pred, label, axis=self._axis)
        else:
            label = _reshape_like(F, label, pred)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def _check_sparse_label(self, pred_shape: tuple, label_shape: tuple) -> None:
        # MXNet's pick takes indices shaped as pred without the class axis (or with it as 1);
        # anything else would broadcast silently here, so it is refused as MXNet refuses it.
        ax = self._axis % len(pred_shape)
        without = pred_shape[:ax] + pred_shape[ax + 1 :]
        if tuple(label_shape) not in (without, pred_shape[:ax] + (1,) + pred_shape[ax + 1 :]):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': sparse labels must have shape {without} "
                f"(pred's shape {pred_shape} without axis {self._axis}), got {tuple(label_shape)}."
            )


SoftmaxCELoss = SoftmaxCrossEntropyLoss
