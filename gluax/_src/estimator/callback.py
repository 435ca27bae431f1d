"""MXNet 1.9's training callbacks (``mx.callback``).

Batch-end callbacks receive MXNet's ``BatchEndParam`` (``epoch``, ``nbatch``, ``eval_metric``,
``locals``; any object with those attributes works) and log through the root ``logging``
logger with MXNet's formats. Epoch-end callbacks receive ``(epoch, symbol, arg_params,
aux_params)``.
"""

from __future__ import annotations

import importlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any


def _save_checkpoint() -> Callable[..., Any]:
    # mx.model sits above this module; resolved on first use so that a gluax without it
    # still imports mx.callback
    try:
        return importlib.import_module("gluax.model").save_checkpoint
    except (ImportError, AttributeError):
        raise NotImplementedError(
            "mx.callback.do_checkpoint writes files with mx.model.save_checkpoint, which this "
            "gluax does not provide; save with net.export(prefix, epoch) or "
            "net.save_parameters(...) instead."
        ) from None


def module_checkpoint(
    mod: Any, prefix: str, period: int = 1, save_optimizer_states: bool = False
) -> Callable[..., None]:
    """Epoch-end callback calling ``mod.save_checkpoint(prefix, epoch + 1, ...)`` every
    ``period`` epochs.

    Parameters
    ----------
    mod : Module
        Anything with MXNet's ``save_checkpoint(prefix, epoch, save_optimizer_states)``.
    prefix : str
        File prefix.
    period : int, default 1
        Epochs between checkpoints (at least 1).
    save_optimizer_states : bool, default False
        Also save the optimizer states.

    Returns
    -------
    callable
        ``callback(iter_no, sym=None, arg=None, aux=None)``.
    """
    period = int(max(1, period))

    def _callback(iter_no: int, sym: Any = None, arg: Any = None, aux: Any = None) -> None:
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)

    return _callback


def do_checkpoint(prefix: str, period: int = 1) -> Callable[..., None]:
    """Epoch-end callback saving ``prefix-symbol.json`` and ``prefix-%04d.params`` (epoch + 1)
    with ``mx.model.save_checkpoint`` every ``period`` epochs.

    Parameters
    ----------
    prefix : str
        File prefix.
    period : int, default 1
        Epochs between checkpoints (at least 1).

    Returns
    -------
    callable
        ``callback(iter_no, sym, arg, aux)``.

    Raises
    ------
    NotImplementedError
        When called and ``mx.model.save_checkpoint`` is not available.
    """
    period = int(max(1, period))

    def _callback(iter_no: int, sym: Any, arg: Any, aux: Any) -> None:
        if (iter_no + 1) % period == 0:
            _save_checkpoint()(prefix, iter_no + 1, sym, arg, aux)

    return _callback


def log_train_metric(period: int, auto_reset: bool = False) -> Callable[[Any], None]:
    """Batch-end callback logging ``Iter[epoch] Batch[n] Train-name=value`` every ``period``
    batches.

    Parameters
    ----------
    period : int
        Batches between logs.
    auto_reset : bool, default False
        Reset the metric's local statistics after each log.

    Returns
    -------
    callable
        ``callback(param)``.
    """

    def _callback(param: Any) -> None:
        if param.nbatch % period == 0 and param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                logging.info(
                    "Iter[%d] Batch[%d] Train-%s=%f", param.epoch, param.nbatch, name, value
                )
            if auto_reset:
                param.eval_metric.reset_local()

    return _callback


class Speedometer:
    """Batch-end callback logging samples per second (and the metric) every ``frequent``
    batches.

    Parameters
    ----------
    batch_size : int
        Samples per batch.
    frequent : int, default 50
        Batches between logs.
    auto_reset : bool, default True
        Reset the metric's local statistics after each log (the line then names the batch
        range, ``Batch [40-50]``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> speed = Speedometer(batch_size=4, frequent=2)
    >>> for n in range(5):  # logs 'Iter[0] Batch [2]\\tSpeed: ... samples/sec' at n = 2, 4
    ...     speed(SimpleNamespace(epoch=0, nbatch=n, eval_metric=None, locals=None))
    """

    def __init__(self, batch_size: int, frequent: int = 50, auto_reset: bool = True) -> None:
        self.batch_size = batch_size
        self.frequent = frequent
        self.init = False
        self.tic = 0.0
        self.last_count = 0
        self.auto_reset = auto_reset

    def __call__(self, param: Any) -> None:
        """Log the speed when ``param.nbatch`` is a multiple of ``frequent``."""
        count = param.nbatch
        if self.last_count > count:  # a new epoch started counting again
            self.init = False
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent != 0:
            return
        elapsed = time.time() - self.tic
        speed = self.frequent * self.batch_size / elapsed if elapsed > 0 else float("inf")
        if param.eval_metric is not None:
            name_value = param.eval_metric.get_name_value()
            values = sum(name_value, ())
            if self.auto_reset:
                param.eval_metric.reset_local()
                msg = "Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec" + "\t%s=%f" * len(
                    name_value
                )
                logging.info(msg, param.epoch, count - self.frequent, count, speed, *values)
            else:
                msg = "Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec" + "\t%s=%f" * len(
                    name_value
                )
                logging.info(msg, param.epoch, count, speed, *values)
        else:
            logging.info("Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec", param.epoch, count, speed)
        self.tic = time.time()


class ProgressBar:
    """Batch-end callback logging ``[=====-----] 50%`` for the share of ``total`` batches done.

    Parameters
    ----------
    total : int
        Batches per epoch.
    length : int, default 80
        Characters in the bar.
    """

    def __init__(self, total: int, length: int = 80) -> None:
        self.bar_len = length
        self.total = total

    def __call__(self, param: Any) -> None:
        """Log the bar for ``param.nbatch`` batches done."""
        count = param.nbatch
        filled = int(round(self.bar_len * count / float(self.total)))
        percents = math.ceil(100.0 * count / float(self.total))
        bar = "=" * filled + "-" * (self.bar_len - filled)
        logging.info("[%s] %s%s\r", bar, percents, "%")


class LogValidationMetricsCallback:
    """Epoch-end callback logging ``Epoch[e] Validation-name=value`` for each metric value."""

    def __call__(self, param: Any) -> None:
        """Log ``param.eval_metric``'s values (nothing when it is None)."""
        if not param.eval_metric:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info("Epoch[%d] Validation-%s=%f", param.epoch, name, value)
