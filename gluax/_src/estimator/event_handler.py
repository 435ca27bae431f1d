"""Event handlers of the Gluon Estimator (``gluon.contrib.estimator.event_handler``).

A handler subclasses one or more of the six event bases (``TrainBegin``, ``EpochBegin``,
``BatchBegin``, ``BatchEnd``, ``EpochEnd``, ``TrainEnd``); the Estimator calls each handler at
the events it subclasses, in ascending ``priority`` (0 when the handler has none). A
``batch_end`` or ``epoch_end`` that returns True stops training.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from typing import Any

import numpy as np

from gluax._src.estimator.utils import _check_metrics
from gluax._src.metric.base import CompositeEvalMetric, EvalMetric
from gluax._src.metric.base import Loss as metric_loss


class EventHandler:
    """Base class of every estimator event handler."""


def _check_event_handlers(handlers: Any) -> list[EventHandler]:
    if isinstance(handlers, EventHandler):
        return [handlers]
    handlers = list(handlers or [])
    bad = [h for h in handlers if not isinstance(h, EventHandler)]
    if bad:
        raise ValueError(
            "event_handlers must be an EventHandler or a list of EventHandler, got "
            f"{type(bad[0]).__name__} {bad[0]!r} in {handlers!r}."
        )
    return handlers


class _AssertionValueError(ValueError, AssertionError):
    """A wrong argument that MXNet 1.9 reports with ``assert``: catchable as either."""


class TrainBegin(EventHandler):
    """Handlers with work to do before the first epoch."""

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Called once before training starts."""


class TrainEnd(EventHandler):
    """Handlers with work to do after the last epoch."""

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Called once after training stops."""


class EpochBegin(EventHandler):
    """Handlers with work to do at the start of every epoch (and of every evaluation)."""

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Called before the first batch of an epoch."""


class EpochEnd(EventHandler):
    """Handlers with work to do at the end of every epoch (and of every evaluation)."""

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        """Called after the last batch of an epoch; True stops training."""
        return False


class BatchBegin(EventHandler):
    """Handlers with work to do before every batch."""

    def batch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Called before a batch is processed (``batch=`` holds it)."""


class BatchEnd(EventHandler):
    """Handlers with work to do after every batch."""

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        """Called after a batch (``batch``, ``pred``, ``label``, ``loss``); True stops training."""
        return False


class StoppingHandler(TrainBegin, BatchEnd, EpochEnd):
    """Stop training after ``max_epoch`` epochs or ``max_batch`` batches.

    ``Estimator.fit`` adds one itself; its limits come from ``fit(epochs=..., batches=...)``.

    Parameters
    ----------
    max_epoch : int, default None
        Number of epochs to train.
    max_batch : int, default None
        Number of batches to train.
    """

    def __init__(self, max_epoch: int | None = None, max_batch: int | None = None) -> None:
        self.max_epoch, self.max_batch = max_epoch, max_batch
        self.current_batch = 0
        self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Take the limits from the estimator and reset the counters."""
        self.max_epoch, self.max_batch = estimator.max_epoch, estimator.max_batch
        self.current_batch = 0
        self.current_epoch = 0

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        """Count the batch; True once ``max_batch`` is reached."""
        self.current_batch += 1
        if self.current_batch == self.max_batch:
            self.stop_training = True
        return self.stop_training

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        """Count the epoch; True once ``max_epoch`` is reached."""
        self.current_epoch += 1
        if self.current_epoch == self.max_epoch:
            self.stop_training = True
        return self.stop_training


class MetricHandler(EpochBegin, BatchEnd):
    """Reset ``metrics`` at every epoch start and update them after every batch.

    A ``mx.metric.Loss`` is fed the batch's loss values; every other metric gets
    ``update(label, pred)``.

    Parameters
    ----------
    metrics : EvalMetric or list of EvalMetric
        The metrics to keep up to date.
    priority : scalar, default -1000
        Handlers run in ascending priority; metrics are updated before the handlers that
        read them.
    """

    def __init__(self, metrics: Any, priority: float = -1000) -> None:
        self.metrics = _check_metrics(metrics)
        self.priority = priority

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Reset every metric."""
        for metric in self.metrics:
            metric.reset()

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Update every metric with the batch's ``label``/``pred`` (or ``loss``)."""
        pred, label, loss = kwargs["pred"], kwargs["label"], kwargs["loss"]
        for metric in self.metrics:
            if isinstance(metric, metric_loss):
                metric.update(0, loss)
            else:
                metric.update(label, pred)


class ValidationHandler(TrainBegin, BatchEnd, EpochEnd):
    """Run ``eval_fn`` on ``val_data`` every ``epoch_period`` epochs (and/or batches).

    Parameters
    ----------
    val_data : DataLoader
        The validation data.
    eval_fn : callable
        Called as ``eval_fn(val_data=..., batch_axis=..., event_handlers=...)``; usually
        ``estimator.evaluate``.
    epoch_period : int, default 1
        Validate after every ``epoch_period`` epochs (None or 0: never at epoch end).
    batch_period : int, default None
        Validate after every ``batch_period`` batches (None: never at batch end).
    priority : scalar, default -1000
        Handlers run in ascending priority.
    event_handlers : EventHandler or list of EventHandler, default None
        Handed to ``eval_fn``.
    """

    def __init__(
        self,
        val_data: Any,
        eval_fn: Any,
        epoch_period: int | None = 1,
        batch_period: int | None = None,
        priority: float = -1000,
        event_handlers: Any = None,
    ) -> None:
        self.val_data, self.eval_fn = val_data, eval_fn
        self.epoch_period, self.batch_period = epoch_period, batch_period
        self.current_batch = 0
        self.current_epoch = 0
        self.priority = priority
        self.event_handlers = event_handlers

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Reset the counters."""
        self.current_batch = 0
        self.current_epoch = 0

    def _evaluate(self, estimator: Any) -> None:
        self.eval_fn(
            val_data=self.val_data,
            batch_axis=estimator.batch_axis,
            event_handlers=self.event_handlers,
        )

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Validate when the batch count reaches a multiple of ``batch_period``."""
        self.current_batch += 1
        if self.batch_period and self.current_batch % self.batch_period == 0:
            self._evaluate(estimator)

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Validate when the epoch count reaches a multiple of ``epoch_period``."""
        self.current_epoch += 1
        if self.epoch_period and self.current_epoch % self.epoch_period == 0:
            self._evaluate(estimator)


class LoggingHandler(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    """Log the optimizer, the epochs and ``metrics`` to ``estimator.logger``, as MXNet does.

    The lines are MXNet 1.9's: ``[Epoch 0] Begin, current learning rate: 0.1000``,
    ``[Epoch 0][Batch 2][Samples 24] time/interval: 0.004s training accuracy: 0.3750``,
    ``[Epoch 0] Finished in 0.012s, training accuracy: 0.5000, ...``, ``Train finished using
    total 1s with 4 epochs. ...``. During a training epoch a tqdm progress bar over its
    batches is shown on stderr when tqdm is installed and stderr is a terminal.

    Parameters
    ----------
    log_interval : int or 'epoch', default 'epoch'
        ``'epoch'``: log at epoch ends; an integer k: also every k batches.
    metrics : EvalMetric or list of EvalMetric, default None
        The metrics whose values are logged.
    priority : scalar, default inf
        Handlers run in ascending priority; logging comes last, once every value is updated.
    progress : bool or None, default None
        gluax-only. The tqdm bar: None shows it on a terminal when tqdm is installed, True
        always (tqdm required), False never.

    Raises
    ------
    ValueError
        When ``log_interval`` is neither an integer nor ``'epoch'``.
    """

    def __init__(
        self,
        log_interval: int | str = "epoch",
        metrics: Any = None,
        priority: float = np.inf,
        *,
        progress: bool | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(log_interval, int) and log_interval != "epoch":
            raise ValueError(
                f"LoggingHandler: log_interval must be an integer or 'epoch', got {log_interval!r}."
            )
        self.metrics = _check_metrics(metrics)
        self.batch_index = 0
        self.current_epoch = 0
        self.processed_samples = 0
        self.priority = priority
        self.log_interval = log_interval
        self.log_interval_time = 0.0
        self._progress = progress
        self._bar: Any = None

    def _values(self) -> str:
        return ", ".join(f"{n}: {v:.4f}" for n, v in (m.get() for m in self.metrics))

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Log the optimizer, its learning rate and the length of training."""
        self.train_start = time.time()
        trainer = estimator.trainer
        estimator.logger.info(
            "Training begin: using optimizer %s with current learning rate %.4f ",
            type(trainer.optimizer).__name__,
            trainer.learning_rate,
        )
        if estimator.max_epoch:
            estimator.logger.info("Train for %d epochs.", estimator.max_epoch)
        else:
            estimator.logger.info("Train for %d batches.", estimator.max_batch)
        self.current_epoch = 0
        self.batch_index = 0
        self.processed_samples = 0
        self.log_interval_time = 0.0

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Log the total time and the final metric values."""
        self._close_bar()
        train_time = time.time() - self.train_start
        msg = f"Train finished using total {int(train_time)}s with {self.current_epoch} epochs. "
        estimator.logger.info((msg + self._values()).rstrip(", "))

    def batch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Start the batch timer."""
        if isinstance(self.log_interval, int):
            self.batch_start = time.time()

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Every ``log_interval`` batches, log the samples seen, the time and the metrics."""
        if isinstance(self.log_interval, int):
            batch_time = time.time() - self.batch_start
            msg = f"[Epoch {self.current_epoch}][Batch {self.batch_index}]"
            self.processed_samples += kwargs["batch"][0].shape[0]
            msg += f"[Samples {self.processed_samples}] "
            self.log_interval_time += batch_time
            if self.batch_index % self.log_interval == 0:
                msg += f"time/interval: {self.log_interval_time:.3f}s "
                self.log_interval_time = 0.0
                estimator.logger.info((msg + self._values()).rstrip(", "))
        self.batch_index += 1
        if self._bar is not None:
            self._bar.update(1)

    def _is_training(self) -> bool:
        # MXNet tells training from validation by the names the Estimator gives its metrics.
        return any("training" in metric.name for metric in self.metrics)

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Log the start of a training epoch (or 'Validation Begin')."""
        self.epoch_start = time.time()
        if self._is_training():
            estimator.logger.info(
                "[Epoch %d] Begin, current learning rate: %.4f",
                self.current_epoch,
                estimator.trainer.learning_rate,
            )
            self._open_bar(estimator)
        else:
            estimator.logger.info("Validation Begin")

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Log the epoch's time and metric values."""
        self._close_bar()
        epoch_time = time.time() - self.epoch_start
        msg = f"[Epoch {self.current_epoch}] Finished in {epoch_time:.3f}s, "
        estimator.logger.info((msg + self._values()).rstrip(", "))
        self.current_epoch += 1
        self.batch_index = 0

    def _open_bar(self, estimator: Any) -> None:
        self._close_bar()
        if self._progress is False:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            if self._progress:
                raise ImportError(
                    "LoggingHandler(progress=True) needs tqdm: pip install tqdm."
                ) from None
            return
        self._bar = tqdm(
            total=getattr(estimator, "_batches_per_epoch", None),
            desc=f"[Epoch {self.current_epoch}]",
            unit="batch",
            leave=False,
            disable=None if self._progress is None else False,
        )

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _monitor_op(handler: str, monitor: EvalMetric, mode: str) -> Any:
    """np.less or np.greater for ``mode``, with MXNet 1.9's warnings."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(
            f"{handler} mode {mode} is unknown, fallback to auto mode.",
            RuntimeWarning,
            stacklevel=3,
        )
        mode = "auto"
    if mode == "min":
        return np.less
    if mode == "max":
        return np.greater
    # MXNet 1.9 tests `'acc' or 'f1' in name`, which is always true: auto mode compares
    # with `greater` whatever the metric (even a loss). Kept so that runs stop where MXNet's do.
    warnings.warn(
        f"`greater` operator will be used to determine if {monitor.get()[0]} has improved. "
        "Please specify `mode='min'` to use the `less` operator. "
        "Specify `mode='max'` to disable this warning.",
        stacklevel=3,
    )
    return np.greater


class CheckpointHandler(TrainBegin, BatchEnd, EpochEnd):
    """Save parameters and trainer states every ``epoch_period`` epochs or ``batch_period``
    batches, and the network's ``-symbol.json`` after the first batch.

    Files in ``model_dir``: ``{model_prefix}-epoch{E}batch{B}.params`` and ``.states`` (E:
    epochs finished before the save, B: batches trained so far), ``{model_prefix}-best.params``
    / ``.states`` with ``save_best``, and ``{model_prefix}-symbol.json`` for a hybridized
    network. Only the newest ``max_checkpoints`` epoch/batch checkpoints are kept.

    Parameters
    ----------
    model_dir : str
        Folder for the files (created when missing).
    model_prefix : str, default 'model'
        Start of every file name.
    monitor : EvalMetric, default None
        The metric deciding what is best (one of ``estimator.train_metrics`` /
        ``val_metrics``).
    verbose : int, default 0
        1: log every save.
    save_best : bool, default False
        Also keep the checkpoint with the best ``monitor`` value (``monitor`` required).
    mode : {'auto', 'min', 'max'}, default 'auto'
        How ``monitor`` improves. As in MXNet 1.9, 'auto' means 'max' for every metric.
    epoch_period : int, default 1
        Save every ``epoch_period`` epochs (None: not at epoch ends).
    batch_period : int, default None
        Save every ``batch_period`` batches (None: not at batch ends).
    max_checkpoints : int, default 5
        How many epoch/batch checkpoints to keep (the best one is not counted).
    resume_from_checkpoint : bool, default False
        Load the newest checkpoint of ``model_dir`` at train begin and train only the
        remaining epochs (or batches).

    Raises
    ------
    ValueError
        ``save_best`` without an EvalMetric ``monitor``.

    Notes
    -----
    When resuming, the checkpoints found in ``model_dir`` count towards ``max_checkpoints``
    (oldest removed first), as documented; MXNet 1.9 never adds them to its list (it tests the
    list while it is still empty), so it keeps every old file. Removing a checkpoint removes its
    own ``.params`` and ``.states``; MXNet removed every file starting with its prefix (so
    ``epoch0batch1`` took ``epoch0batch10`` with it).
    """

    def __init__(
        self,
        model_dir: str,
        model_prefix: str = "model",
        monitor: EvalMetric | None = None,
        verbose: int = 0,
        save_best: bool = False,
        mode: str = "auto",
        epoch_period: int | None = 1,
        batch_period: int | None = None,
        max_checkpoints: int = 5,
        resume_from_checkpoint: bool = False,
    ) -> None:
        self.monitor = monitor
        self.verbose = verbose
        os.makedirs(model_dir, exist_ok=True)
        self.model_dir, self.model_prefix = model_dir, model_prefix
        self.save_best = save_best
        if save_best and not isinstance(monitor, EvalMetric):
            raise ValueError(
                "CheckpointHandler: save_best=True needs monitor= one of the metric objects "
                f"of estimator.train_metrics or estimator.val_metrics, got {monitor!r}."
            )
        self.epoch_period, self.batch_period = epoch_period, batch_period
        self.current_batch = 0
        self.current_epoch = 0
        self.max_checkpoints = max_checkpoints
        self.resume_from_checkpoint = resume_from_checkpoint
        self.saved_checkpoints: list[str] = []
        self.trained_epoch = -1
        self.trained_batch = -1
        if save_best:
            self.monitor_op = _monitor_op("CheckpointHandler", monitor, mode)
            self.best = np.inf if self.monitor_op is np.less else -np.inf

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Reset the counters and, with ``resume_from_checkpoint``, load the newest files."""
        self.current_epoch = 0
        self.current_batch = 0
        if self.save_best:
            self.best = np.inf if self.monitor_op is np.less else -np.inf
        if self.resume_from_checkpoint:
            by_epoch = bool(estimator.max_epoch)
            if (by_epoch and (not self.epoch_period or self.batch_period)) or (
                not by_epoch and (not self.batch_period or self.epoch_period)
            ):
                raise _AssertionValueError(
                    "CheckpointHandler: to resume from a checkpoint, save with the same kind "
                    "of period as you train with: training by "
                    f"{'epochs' if by_epoch else 'batches'} needs "
                    f"{'epoch_period' if by_epoch else 'batch_period'} set and "
                    f"{'batch_period' if by_epoch else 'epoch_period'}=None, got "
                    f"epoch_period={self.epoch_period!r}, batch_period={self.batch_period!r}."
                )
            self._resume_from_checkpoint(estimator)

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Write the symbol after the first batch; save every ``batch_period`` batches."""
        if self.current_batch == 0:
            self._save_symbol(estimator)
        if self.batch_period and (self.current_batch + 1) % self.batch_period == 0:
            self._save_checkpoint(estimator)
        self.current_batch += 1

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Save every ``epoch_period`` epochs."""
        if self.epoch_period and (self.current_epoch + 1) % self.epoch_period == 0:
            self._save_checkpoint(estimator)
        self.current_epoch += 1

    def _save_checkpoint(self, estimator: Any) -> None:
        if self.resume_from_checkpoint:
            epoch = self.current_epoch + self.trained_epoch + 1
            # at an epoch end the batch counter has already moved on
            batch = self.current_batch + self.trained_batch + (0 if estimator.max_epoch else 1)
        else:
            epoch, batch = self.current_epoch, self.current_batch
        prefix = f"{self.model_prefix}-epoch{epoch}batch{batch}"
        self._save_params_and_trainer(estimator, prefix)
        if self.verbose > 0:
            estimator.logger.info(
                "[Epoch %d] CheckpointHandler: trained total %d batches, "
                "saving model at %s with prefix: %s",
                self.current_epoch,
                self.current_batch + 1,
                self.model_dir,
                prefix,
            )
        if not self.save_best:
            return
        name, value = self.monitor.get()
        if np.isnan(value):
            warnings.warn(
                f"CheckpointHandler: skipping save best because {name} is not updated; pass "
                "one of the metric objects of estimator.train_metrics or "
                "estimator.val_metrics as monitor.",
                RuntimeWarning,
                stacklevel=2,
            )
        elif self.monitor_op(value, self.best):
            prefix = self.model_prefix + "-best"
            self._save_params_and_trainer(estimator, prefix)
            if self.verbose > 0:
                estimator.logger.info(
                    "[Epoch %d] CheckpointHandler: %s improved from %0.5f to %0.5f, "
                    "updating best model at %s with prefix: %s",
                    self.current_epoch,
                    name,
                    self.best,
                    value,
                    self.model_dir,
                    prefix,
                )
            self.best = value
        elif self.verbose > 0:
            estimator.logger.info(
                "[Epoch %d] CheckpointHandler: %s did not improve from %0.5f, "
                "skipping updating best model",
                self.current_epoch,
                name,
                self.best,
            )

    def _save_symbol(self, estimator: Any) -> None:
        from gluax._src.gluon.symbol_export import SymbolExportError, write_symbol_json

        path = os.path.join(self.model_dir, self.model_prefix)
        net = estimator.net
        why = ""
        if getattr(net, "_active", False) and getattr(net, "_last_call", None) is not None:
            try:
                write_symbol_json(net, path, *net._last_call)
                return
            except SymbolExportError as e:
                why = f" ({e})"
        estimator.logger.info(
            "Model architecture(symbol file) is not saved, please use HybridBlock to "
            "construct your model, and call net.hybridize() before passing to Estimator in "
            "order to save model architecture as %s.%s",
            path + "-symbol.json",
            why,
        )

    def _save_params_and_trainer(self, estimator: Any, file_prefix: str) -> None:
        estimator.net.save_parameters(os.path.join(self.model_dir, file_prefix + ".params"))
        estimator.trainer.save_states(os.path.join(self.model_dir, file_prefix + ".states"))
        if "best" not in file_prefix:
            self.saved_checkpoints.append(file_prefix)
        while len(self.saved_checkpoints) > self.max_checkpoints:
            oldest = self.saved_checkpoints.pop(0)
            # MXNet removes every file that starts with the prefix, which takes
            # 'epoch0batch10.params' along with 'epoch0batch1'; only this checkpoint's go
            for ext in (".params", ".states"):
                path = os.path.join(self.model_dir, oldest + ext)
                if os.path.exists(path):
                    os.remove(path)

    def _resume_from_checkpoint(self, estimator: Any) -> None:
        prefix = self.model_prefix + "-epoch"
        self.trained_epoch = self._find_max_iteration(
            self.model_dir, prefix, "epoch", "batch", self.saved_checkpoints
        )
        self.trained_batch = self._find_max_iteration(
            self.model_dir, prefix + str(self.trained_epoch), "batch", ".params"
        )
        # oldest first, by number ('epoch10' sorts before 'epoch2' as text)
        self.saved_checkpoints.sort(key=lambda f: [int(n) for n in re.findall(r"\d+", f)[-2:]])
        if self.trained_epoch == -1:
            what = (
                f"{estimator.max_batch} batches"
                if estimator.max_batch
                else f"{estimator.max_epoch} epochs"
            )
            estimator.logger.info(
                "CheckpointHandler: No checkpoint found, training from scratch for " + what
            )
            return
        msg = (
            f"CheckpointHandler: Checkpoint resumed from epoch {self.trained_epoch} batch "
            f"{self.trained_batch}, continue to train for "
        )
        if estimator.max_epoch:
            if self.trained_epoch >= estimator.max_epoch - 1:
                raise ValueError(
                    f"CheckpointHandler: the checkpoints in {self.model_dir!r} already reach "
                    f"the {estimator.max_epoch} epochs asked for; pass "
                    "resume_from_checkpoint=False to train from scratch."
                )
            estimator.max_epoch = estimator.max_epoch - self.trained_epoch - 1
            msg += f"{estimator.max_epoch} epochs "
        if estimator.max_batch:
            if self.trained_batch >= estimator.max_batch - 1:
                raise ValueError(
                    f"CheckpointHandler: the checkpoints in {self.model_dir!r} already reach "
                    f"the {estimator.max_batch} batches asked for; pass "
                    "resume_from_checkpoint=False to train from scratch."
                )
            estimator.max_batch = estimator.max_batch - self.trained_batch - 1
            msg += f"{estimator.max_batch} batches "
        name = f"{self.model_prefix}-epoch{self.trained_epoch}batch{self.trained_batch}"
        param_file = os.path.join(self.model_dir, name + ".params")
        trainer_file = os.path.join(self.model_dir, name + ".states")
        for f in (param_file, trainer_file):
            if not os.path.exists(f):
                raise FileNotFoundError(
                    f"CheckpointHandler: failed to resume, {f} does not exist (every .params "
                    "checkpoint needs its .states file)."
                )
        estimator.net.load_parameters(param_file, ctx=estimator.context)
        estimator.trainer.load_states(trainer_file)
        estimator.logger.warning(msg)

    def _find_max_iteration(
        self,
        dir: str,
        prefix: str,
        start: str,
        end: str,
        saved_checkpoints: list[str] | None = None,
    ) -> int:
        max_iter = -1
        for fname in sorted(os.listdir(dir)):
            if not (fname.startswith(prefix) and ".params" in fname):
                continue
            if saved_checkpoints is not None:
                saved_checkpoints.append(fname[: fname.find(".params")])
            try:
                it = int(fname[fname.find(start) + len(start) : fname.find(end)])
            except ValueError:
                raise ValueError(
                    f"CheckpointHandler: cannot parse the checkpoint file name {fname!r} in "
                    f"{dir!r}; expected {{model_prefix}}-epoch{{E}}batch{{B}}.params, each "
                    "with a .states file beside it."
                ) from None
            max_iter = max(max_iter, it)
        return max_iter


class EarlyStoppingHandler(TrainBegin, EpochEnd, TrainEnd):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : EvalMetric
        One of ``estimator.train_metrics`` / ``val_metrics`` (not a CompositeEvalMetric).
    min_delta : float, default 0
        The smallest change that counts as an improvement.
    patience : int, default 0
        Epochs without improvement before stopping.
    mode : {'auto', 'min', 'max'}, default 'auto'
        How ``monitor`` improves. As in MXNet 1.9, 'auto' means 'max' for every metric
        (a loss monitored in 'auto' mode stops as soon as it falls): pass ``mode='min'``
        for losses.
    baseline : float, default None
        The value to beat at the first epoch.

    Raises
    ------
    ValueError
        When ``monitor`` is not an EvalMetric or is a CompositeEvalMetric.
    """

    def __init__(
        self,
        monitor: EvalMetric,
        min_delta: float = 0,
        patience: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(monitor, EvalMetric):
            raise ValueError(
                "EarlyStoppingHandler: monitor must be one of the metric objects of "
                f"estimator.train_metrics or estimator.val_metrics, got {monitor!r}."
            )
        if isinstance(monitor, CompositeEvalMetric):
            raise ValueError(
                "EarlyStoppingHandler: a CompositeEvalMetric cannot be monitored; pass one "
                "of its metrics instead."
            )
        self.monitor = monitor
        self.baseline = baseline
        self.patience = patience
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        self.monitor_op = _monitor_op("EarlyStoppingHandler", monitor, mode)
        self.min_delta = min_delta if self.monitor_op is np.greater else -min_delta

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Reset the wait counter and the best value."""
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = np.inf if self.monitor_op is np.less else -np.inf

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        """Compare ``monitor`` with the best value; True after ``patience`` misses."""
        name, value = self.monitor.get()
        if np.isnan(value):
            warnings.warn(
                f"EarlyStoppingHandler: {name} is not updated; pass one of the metric objects "
                "of estimator.train_metrics or estimator.val_metrics as monitor.",
                RuntimeWarning,
                stacklevel=2,
            )
        elif self.monitor_op(value - self.min_delta, self.best):
            self.best = value
            self.wait = 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = self.current_epoch
                self.stop_training = True
        self.current_epoch += 1
        return self.stop_training

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Log where training stopped early."""
        if self.stopped_epoch > 0:
            estimator.logger.info(
                "[Epoch %d] EarlyStoppingHanlder: early stopping due to %s not improving",
                self.stopped_epoch,
                self.monitor.get()[0],
            )


class GradientUpdateHandler(BatchEnd):
    """Call ``estimator.trainer.step(batch_size)`` after every batch.

    ``batch_size`` is the number of loss values of the batch (summed over devices).

    Parameters
    ----------
    priority : scalar, default -2000
        Handlers run in ascending priority; the update comes first.
    """

    def __init__(self, priority: float = -2000) -> None:
        self.priority = priority

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """Apply the gradients of the batch."""
        loss = kwargs["loss"]
        losses = loss if isinstance(loss, list) else [loss]
        estimator.trainer.step(sum(value.shape[0] for value in losses))
