"""``Estimator``: MXNet 1.9's training loop with event handlers (``gluon.contrib.estimator``)."""

from __future__ import annotations

import copy
import logging
import sys
import warnings
from typing import Any

from gluax._src.data.dataloader import DataLoader
from gluax._src.engine.context import Context, cpu, gpu, num_gpus
from gluax._src.estimator.batch_processor import BatchProcessor
from gluax._src.estimator.event_handler import (
    BatchBegin,
    BatchEnd,
    EpochBegin,
    EpochEnd,
    GradientUpdateHandler,
    LoggingHandler,
    MetricHandler,
    StoppingHandler,
    TrainBegin,
    TrainEnd,
    ValidationHandler,
    _AssertionValueError,
    _check_event_handlers,
)
from gluax._src.estimator.utils import (
    _check_handler_metric_ref,
    _check_metrics,
    _suggest_metric_for_loss,
)
from gluax._src.loss.core import Loss as gluon_loss
from gluax._src.metric.base import Loss as metric_loss
from gluax._src.optim.gluon_trainer import Trainer

_NOT_A_LOADER = (
    "Estimator.{fn}: {arg} must be a gluon.data.DataLoader, got {got}. Wrap arrays with "
    "gluon.data.DataLoader(gluon.data.ArrayDataset(data, label), batch_size=...)."
)


class Estimator:
    """Train and evaluate a Gluon network with event handlers (MXNet 1.9's estimator).

    ``fit`` runs epochs of ``fit_batch`` (forward, loss, backward) and calls the event
    handlers; the default ones update the parameters (``GradientUpdateHandler``), the metrics
    (``MetricHandler``), validate (``ValidationHandler``), log (``LoggingHandler``) and stop
    (``StoppingHandler``).

    Parameters
    ----------
    net : gluon.Block
        The network to train; initialized here (with ``initializer``) unless it already is.
    loss : gluon.loss.Loss
        The training objective.
    train_metrics : EvalMetric or list of EvalMetric, default None
        Training metrics. None: ``Accuracy`` for a softmax cross-entropy loss, plus a
        ``mx.metric.Loss`` named after the loss. Every name gets the prefix ``'training '``.
    val_metrics : EvalMetric or list of EvalMetric, default None
        Validation metrics. None: copies of the training metrics. Names start with
        ``'validation '``.
    initializer : Initializer, default None
        Used when ``net`` is not fully initialized.
    trainer : gluon.Trainer, default None
        None: SGD with learning rate 0.001 over ``net.collect_params()`` (with a warning).
    context : Context or list of Context, default None
        None: ``gpu(0)`` when a GPU is present, else ``cpu()``.
    val_net : gluon.Block, default None
        The network used for validation (default ``net``).
    val_loss : gluon.loss.Loss, default None
        The loss used for validation (default ``loss``).
    batch_processor : BatchProcessor, default None
        Supplies ``fit_batch``/``evaluate_batch`` (default ``BatchProcessor()``).

    Raises
    ------
    ValueError
        When ``loss``, a metric, ``trainer``, ``context`` or ``batch_processor`` has the
        wrong kind.

    Notes
    -----
    ``logger`` writes INFO lines to stdout as MXNet's does; ``LoggingHandler`` also shows a
    tqdm progress bar per training epoch on a terminal when tqdm is installed.

    Examples
    --------
    >>> net = mx.gluon.nn.Dense(2, in_units=3)
    >>> net.initialize()
    >>> trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    >>> est = Estimator(net, mx.gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer)
    >>> [m.name for m in est.train_metrics + est.val_metrics]  # doctest: +NORMALIZE_WHITESPACE
    ['training accuracy', 'training softmaxcrossentropyloss', 'validation accuracy',
     'validation softmaxcrossentropyloss']
    """

    logger: logging.Logger

    def __init__(
        self,
        net: Any,
        loss: Any,
        train_metrics: Any = None,
        val_metrics: Any = None,
        initializer: Any = None,
        trainer: Trainer | None = None,
        context: Any = None,
        val_net: Any = None,
        val_loss: Any = None,
        batch_processor: Any = None,
    ) -> None:
        self.net = net
        self.loss = self._check_loss(loss, "loss")
        self._train_metrics = _check_metrics(train_metrics)
        self._val_metrics = _check_metrics(val_metrics)
        self._add_default_training_metrics()
        self._add_validation_metrics()
        self.val_loss = self.loss if val_loss is None else self._check_loss(val_loss, "val_loss")
        self.val_net = self.net if val_net is None else val_net
        self.logger = logging.Logger(name="Estimator", level=logging.INFO)
        self.logger.addHandler(logging.StreamHandler(sys.stdout))
        self.context = self._check_context(context)
        self._initialize(initializer)
        self.trainer = self._check_trainer(trainer)
        self.batch_processor = self._check_batch_processor(batch_processor)
        self.max_epoch: int | None = None
        self.max_batch: int | None = None
        self.batch_axis = 0

    @staticmethod
    def _check_loss(loss: Any, arg: str) -> Any:
        if not isinstance(loss, gluon_loss):
            raise ValueError(f"Estimator: {arg} must be a gluon.loss.Loss, got {loss!r}.")
        return loss

    @staticmethod
    def _check_context(context: Any) -> list[Context]:
        gpus = num_gpus()
        available = [gpu(i) for i in range(gpus)]
        if context:
            if isinstance(context, Context):
                context = [context]
            elif not (isinstance(context, list) and all(isinstance(c, Context) for c in context)):
                raise ValueError(
                    "Estimator: context must be a Context or a list of Context, for example "
                    f"mx.cpu() or [mx.gpu(0), mx.gpu(1)], got {context!r}."
                )
            for ctx in context:
                if ctx not in available and not str(ctx).startswith("cpu"):
                    raise _AssertionValueError(
                        f"Estimator: {ctx} is not available; use mx.cpu()"
                        + "".join(f", {c}" for c in available)
                        + "."
                    )
            return context
        if gpus > 1:
            warnings.warn(
                "You have multiple GPUs, gpu(0) will be used by default. To utilize all your "
                "GPUs, specify context as a list of gpus, e.g. context=[mx.gpu(0), mx.gpu(1)]",
                stacklevel=3,
            )
        return [gpu(0)] if gpus > 0 else [cpu()]

    @staticmethod
    def _check_batch_processor(batch_processor: Any) -> Any:
        if batch_processor is None:
            return BatchProcessor()
        if not (
            callable(getattr(batch_processor, "fit_batch", None))
            and callable(getattr(batch_processor, "evaluate_batch", None))
        ):
            raise ValueError(
                "Estimator: a custom batch_processor must have fit_batch() and "
                f"evaluate_batch() methods, got {batch_processor!r}."
            )
        return batch_processor

    def _initialize(self, initializer: Any) -> None:
        if not self._is_initialized():
            # layers already initialized keep their values; the rest get `initializer`
            if initializer:
                self.net.initialize(init=initializer, ctx=self.context)
            else:
                self.net.initialize(ctx=self.context)
        elif initializer:
            warnings.warn(
                "Network already fully initialized, skipping initialization. You don't need "
                "to pass initializer if you already initialized your net. You can use "
                "net.initialize(init=your_initializer, force_reinit=True) to force "
                "re-initialize.",
                stacklevel=3,
            )

    def _check_trainer(self, trainer: Any) -> Trainer:
        if not trainer:
            warnings.warn(
                "No trainer specified, default SGD optimizer with learning rate 0.001 is used.",
                stacklevel=3,
            )
            return Trainer(self.net.collect_params(), "sgd", {"learning_rate": 0.001})
        if not isinstance(trainer, Trainer):
            raise ValueError(f"Estimator: trainer must be a gluon.Trainer, got {trainer!r}.")
        return trainer

    def _is_initialized(self) -> bool:
        params = self.net.collect_params()
        for name in params:
            try:
                params[name].list_ctx()
            except RuntimeError:
                return False
        return True

    def _get_data_and_label(self, batch: Any, ctx: Any, batch_axis: int = 0) -> tuple[Any, Any]:
        return BatchProcessor._get_data_and_label(self.batch_processor, batch, ctx, batch_axis)

    def _add_default_training_metrics(self) -> None:
        if not self._train_metrics:
            suggested = _suggest_metric_for_loss(self.loss)
            if suggested:
                self._train_metrics = [suggested]
            self._train_metrics.append(metric_loss(self.loss.name.rstrip("1234567890")))
        for metric in self._train_metrics:
            # handlers tell training from validation metrics by these prefixes
            metric.name = "training " + metric.name

    def _add_validation_metrics(self) -> None:
        if not self._val_metrics:
            self._val_metrics = [copy.deepcopy(metric) for metric in self._train_metrics]
        for metric in self._val_metrics:
            if "training" in metric.name:
                metric.name = metric.name.replace("training", "validation")
            else:
                metric.name = "validation " + metric.name

    @property
    def train_metrics(self) -> list[Any]:
        """The training metrics (names start with ``'training '``)."""
        return self._train_metrics

    @property
    def val_metrics(self) -> list[Any]:
        """The validation metrics (names start with ``'validation '``)."""
        return self._val_metrics

    def evaluate_batch(self, val_batch: Any, batch_axis: int = 0) -> tuple:
        """Evaluate on one batch through the batch processor; returns data, label, pred, loss.

        Parameters
        ----------
        val_batch : tuple
            ``(data, label)``.
        batch_axis : int, default 0
            Axis split over the devices.

        Returns
        -------
        tuple of four lists of NDArray
        """
        return self.batch_processor.evaluate_batch(self, val_batch, batch_axis)

    def fit_batch(self, train_batch: Any, batch_axis: int = 0) -> tuple:
        """Forward and backward on one batch; returns data, label, pred, loss.

        Parameters
        ----------
        train_batch : tuple
            ``(data, label)``.
        batch_axis : int, default 0
            Axis split over the devices.

        Returns
        -------
        tuple of four lists of NDArray
        """
        return self.batch_processor.fit_batch(self, train_batch, batch_axis)

    def evaluate(self, val_data: Any, batch_axis: int = 0, event_handlers: Any = None) -> None:
        """Run the validation network over ``val_data`` and update ``val_metrics``.

        Parameters
        ----------
        val_data : DataLoader
            Validation data and labels.
        batch_axis : int, default 0
            Axis split over the devices.
        event_handlers : EventHandler or list of EventHandler, default None
            A MetricHandler and a LoggingHandler over ``val_metrics`` are added unless given.

        Raises
        ------
        ValueError
            When ``val_data`` is not a DataLoader.
        """
        if not isinstance(val_data, DataLoader):
            raise ValueError(
                _NOT_A_LOADER.format(fn="evaluate", arg="val_data", got=type(val_data).__name__)
            )
        for metric in self.val_metrics:
            metric.reset()
        handlers = self._prepare_default_validation_handlers(event_handlers)
        _, epoch_begin, batch_begin, batch_end, epoch_end, _ = self._categorize_handlers(handlers)
        for handler in epoch_begin:
            handler.epoch_begin(self)
        for batch in val_data:
            for handler in batch_begin:
                handler.batch_begin(self, batch=batch)
            _, label, pred, loss = self.evaluate_batch(batch, batch_axis)
            for handler in batch_end:
                handler.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
        for handler in epoch_end:
            handler.epoch_end(self)

    def fit(
        self,
        train_data: Any,
        val_data: Any = None,
        epochs: int | None = None,
        event_handlers: Any = None,
        batches: int | None = None,
        batch_axis: int = 0,
    ) -> None:
        """Train for ``epochs`` epochs or ``batches`` batches (exactly one of the two).

        Parameters
        ----------
        train_data : DataLoader
            Training data and labels.
        val_data : DataLoader, default None
            Validation data; a ValidationHandler is added for it unless one is given.
        epochs : int, default None
            Number of epochs.
        event_handlers : EventHandler or list of EventHandler, default None
            Besides these, a StoppingHandler, a GradientUpdateHandler, a MetricHandler and a
            LoggingHandler are added unless one of that class is given.
        batches : int, default None
            Number of batches.
        batch_axis : int, default 0
            Axis split over the devices.

        Raises
        ------
        ValueError
            When ``train_data`` is not a DataLoader, or not exactly one of ``epochs`` and
            ``batches`` is given.
        """
        if not isinstance(train_data, DataLoader):
            raise ValueError(
                _NOT_A_LOADER.format(fn="fit", arg="train_data", got=type(train_data).__name__)
            )
        if (not epochs) == (not batches):
            raise ValueError(
                "Estimator.fit: give exactly one of epochs and batches, got "
                f"epochs={epochs!r}, batches={batches!r}."
            )
        self.max_epoch, self.max_batch, self.batch_axis = epochs, batches, batch_axis
        try:
            self._batches_per_epoch: int | None = len(train_data)
        except TypeError:
            self._batches_per_epoch = None
        handlers = self._prepare_default_handlers(val_data, event_handlers)
        train_begin, epoch_begin, batch_begin, batch_end, epoch_end, train_end = (
            self._categorize_handlers(handlers)
        )
        for handler in train_begin:
            handler.train_begin(self)
        while True:
            for handler in epoch_begin:
                handler.epoch_begin(self)
            for batch in train_data:
                for handler in batch_begin:
                    handler.batch_begin(self, batch=batch)
                _, label, pred, loss = self.fit_batch(batch, batch_axis)
                # every handler sees the batch end, even after one asked to stop
                stops = [
                    handler.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
                    for handler in batch_end
                ]
                if any(stops):
                    break
            stops = [handler.epoch_end(self) for handler in epoch_end]
            if any(stops):
                break
        for handler in train_end:
            handler.train_end(self)

    def _prepare_default_handlers(self, val_data: Any, event_handlers: Any) -> list[Any]:
        handlers = _check_event_handlers(event_handlers)
        added: list[Any] = [StoppingHandler(self.max_epoch, self.max_batch)]
        if not any(isinstance(h, GradientUpdateHandler) for h in handlers):
            added.append(GradientUpdateHandler())
        if not any(isinstance(h, MetricHandler) for h in handlers):
            added.append(MetricHandler(metrics=self.train_metrics))
        if not any(isinstance(h, ValidationHandler) for h in handlers) and val_data:
            added.append(ValidationHandler(val_data=val_data, eval_fn=self.evaluate))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            added.append(LoggingHandler(metrics=self.train_metrics))
        mixing = bool(handlers) and bool(added)
        handlers.extend(added)
        if mixing:
            # user handlers next to default ones must use the estimator's own metric objects
            known = set(self.train_metrics + self.val_metrics)
            for handler in handlers:
                _check_handler_metric_ref(handler, known)
        handlers.sort(key=lambda h: getattr(h, "priority", 0))
        return handlers

    def _prepare_default_validation_handlers(self, event_handlers: Any) -> list[Any]:
        handlers = _check_event_handlers(event_handlers)
        added: list[Any] = []
        if not any(isinstance(h, MetricHandler) for h in handlers):
            added.append(MetricHandler(metrics=self.val_metrics))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            added.append(LoggingHandler(metrics=self.val_metrics))
        mixing = bool(handlers) and bool(added)
        handlers.extend(added)
        if mixing:
            known = set(self.val_metrics)
            for handler in handlers:
                _check_handler_metric_ref(handler, known)
        handlers.sort(key=lambda h: getattr(h, "priority", 0))
        return handlers

    @staticmethod
    def _categorize_handlers(handlers: list[Any]) -> tuple[list[Any], ...]:
        """The handlers of each of the six events, in order (only those that subclass it)."""
        kinds = (TrainBegin, EpochBegin, BatchBegin, BatchEnd, EpochEnd, TrainEnd)
        return tuple([h for h in handlers if isinstance(h, kind)] for kind in kinds)
