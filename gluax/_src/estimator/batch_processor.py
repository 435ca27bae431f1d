"""``BatchProcessor``: what the Estimator does with one batch (``gluon.contrib.estimator``)."""

from __future__ import annotations

from typing import Any

from gluax._src.engine import autograd
from gluax._src.gluon.utils import split_and_load


class BatchProcessor:
    """How an :class:`Estimator` trains and evaluates on one batch.

    Subclass it and override :meth:`fit_batch` / :meth:`evaluate_batch` (or hand any object
    with both methods to ``Estimator(batch_processor=...)``) to change the step, for example
    for several inputs or outputs per batch.

    Examples
    --------
    >>> BatchProcessor()._get_data_and_label(([1.0, 2.0], [0.0, 1.0]), [mx.cpu()])[1][0]
    <BLANKLINE>
    [0. 1.]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self) -> None:
        pass

    def _get_data_and_label(self, batch: Any, ctx: Any, batch_axis: int = 0) -> tuple[Any, Any]:
        data = split_and_load(batch[0], ctx_list=ctx, batch_axis=batch_axis)
        label = split_and_load(batch[1], ctx_list=ctx, batch_axis=batch_axis)
        return data, label

    def evaluate_batch(self, estimator: Any, val_batch: Any, batch_axis: int = 0) -> tuple:
        """Run ``estimator.val_net`` and ``estimator.val_loss`` on one validation batch.

        Parameters
        ----------
        estimator : Estimator
            The estimator (its ``val_net``, ``val_loss`` and ``context`` are used).
        val_batch : tuple
            ``(data, label)`` from the validation DataLoader.
        batch_axis : int, default 0
            Axis along which the batch is split over the estimator's devices.

        Returns
        -------
        tuple of four lists of NDArray
            ``data``, ``label``, ``pred`` and ``loss``, one entry per device.
        """
        data, label = self._get_data_and_label(val_batch, estimator.context, batch_axis)
        pred = [estimator.val_net(x) for x in data]
        loss = [estimator.val_loss(y_hat, y) for y_hat, y in zip(pred, label)]
        return data, label, pred, loss

    def fit_batch(self, estimator: Any, train_batch: Any, batch_axis: int = 0) -> tuple:
        """Forward and backward of ``estimator.net`` and ``estimator.loss`` on one batch.

        The parameter update itself is :class:`GradientUpdateHandler`'s job at batch end.

        Parameters
        ----------
        estimator : Estimator
            The estimator (its ``net``, ``loss`` and ``context`` are used).
        train_batch : tuple
            ``(data, label)`` from the training DataLoader.
        batch_axis : int, default 0
            Axis along which the batch is split over the estimator's devices.

        Returns
        -------
        tuple of four lists of NDArray
            ``data``, ``label``, ``pred`` and ``loss``, one entry per device.
        """
        data, label = self._get_data_and_label(train_batch, estimator.context, batch_axis)
        with autograd.record():
            pred = [estimator.net(x) for x in data]
            loss = [estimator.loss(y_hat, y) for y_hat, y in zip(pred, label)]
        for value in loss:
            value.backward()
        return data, label, pred, loss
