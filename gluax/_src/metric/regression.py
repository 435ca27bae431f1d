"""Regression and likelihood metrics of ``mx.metric``: MAE, MSE, RMSE, CrossEntropy,
NegativeLogLikelihood, PearsonCorrelation."""

from __future__ import annotations

from typing import Any

import numpy as np

from gluax._src.metric.base import EvalMetric, _check_average, alias, check_label_shapes, register


def _column(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], 1) if x.ndim == 1 else x


class _BatchMeanMetric(EvalMetric):
    """MAE, MSE, RMSE: the mean of per-batch values (each update pair counts once)."""

    def __init__(
        self, name: str, output_names: list[str] | None, label_names: list[str] | None
    ) -> None:
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )

    def _batch_value(self, diff: np.ndarray) -> Any:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch to the running sums.

        Parameters
        ----------
        labels : NDArray or numpy array, or a list of them
            Targets; 1-D arrays are treated as a column ``(batch, 1)``.
        preds : NDArray or numpy array, or a list of them
            Predictions of the labels' shape, one per label array.

        Notes
        -----
        As in MXNet 1.9, each batch counts once: the value is averaged over batches.
        """
        for label, pred in self._pairs(labels, preds):
            # MXNet 1.9 counts batches, not samples: num_inst += 1 per pair.
            self._accumulate(float(self._batch_value(_column(label) - _column(pred))), 1)


@register
class MAE(_BatchMeanMetric):
    """Mean absolute error, ``mean(|label - pred|)`` per batch, averaged over batches.

    1-D labels and predictions are treated as columns ``(batch, 1)``.

    Parameters
    ----------
    name : str, default 'mae'
    output_names, label_names
        As in ``EvalMetric``.

    Examples
    --------
    >>> m = MAE()
    >>> m.update([np.array([2.5, 0.0, 2, 8])], [np.array([3, -0.5, 2, 7])])
    >>> m.get()
    ('mae', 0.5)
    """

    def __init__(
        self,
        name: str = "mae",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(name, output_names, label_names)

    def _batch_value(self, diff: np.ndarray) -> Any:
        return np.abs(diff).mean()


@register
class MSE(_BatchMeanMetric):
    """Mean squared error, ``mean((label - pred)**2)`` per batch, averaged over batches.

    Parameters
    ----------
    name : str, default 'mse'
    output_names, label_names
        As in ``EvalMetric``.

    Examples
    --------
    >>> m = MSE()
    >>> m.update([np.array([2.5, 0.0, 2, 8])], [np.array([3, -0.5, 2, 7])])
    >>> m.get()
    ('mse', 0.375)
    """

    def __init__(
        self,
        name: str = "mse",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(name, output_names, label_names)

    def _batch_value(self, diff: np.ndarray) -> Any:
        return (diff**2.0).mean()


@register
class RMSE(_BatchMeanMetric):
    """Root mean squared error per batch, averaged over batches (not the root of the
    overall mean, as in MXNet).

    Parameters
    ----------
    name : str, default 'rmse'
    output_names, label_names
        As in ``EvalMetric``.

    Examples
    --------
    >>> m = RMSE()
    >>> m.update([np.array([2.5, 0.0, 2, 8])], [np.array([3, -0.5, 2, 7])])
    >>> round(m.get()[1], 6)
    0.612372
    """

    def __init__(
        self,
        name: str = "rmse",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(name, output_names, label_names)

    def _batch_value(self, diff: np.ndarray) -> Any:
        return np.sqrt((diff**2.0).mean())


class _PickedLogMetric(EvalMetric):
    """CrossEntropy and NegativeLogLikelihood: ``-log(p_label + eps)`` summed per sample."""

    def __init__(
        self,
        eps: float,
        name: str,
        output_names: list[str] | None,
        label_names: list[str] | None,
    ) -> None:
        super().__init__(
            name,
            eps=eps,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.eps = eps

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch to the running sums.

        Parameters
        ----------
        labels : NDArray or numpy array, or a list of them
            Class indices, shape ``(batch,)``.
        preds : NDArray or numpy array, or a list of them
            Probabilities ``(batch, classes)``, one per label array.
        """
        for label, pred in self._pairs(labels, preds):
            label = label.ravel()
            n = pred.shape[0]
            if label.shape[0] != n:
                raise ValueError(
                    f"{type(self).__name__}: expected one label per prediction row ({n}), got "
                    f"labels of shape {label.shape}."
                )
            prob = pred[np.arange(n, dtype=np.int64), label.astype(np.int64)]
            self._accumulate(float((-np.log(prob + self.eps)).sum()), n)


@register
@alias("ce")
class CrossEntropy(_PickedLogMetric):
    """Cross entropy of predicted probabilities: ``-sum(log(p_label + eps)) / batch``.

    Predictions are probabilities ``(batch, classes)`` (apply softmax first), labels class
    indices.

    Parameters
    ----------
    eps : float, default 1e-12
    name : str, default 'cross-entropy'
    output_names, label_names
        As in ``EvalMetric``.

    Examples
    --------
    >>> ce = CrossEntropy()
    >>> ce.update([np.array([0, 1, 1])], [np.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])])
    >>> round(ce.get()[1], 6)
    0.571599
    """

    def __init__(
        self,
        eps: float = 1e-12,
        name: str = "cross-entropy",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
@alias("nll_loss")
class NegativeLogLikelihood(_PickedLogMetric):
    """Negative log-likelihood of predicted probabilities: as ``CrossEntropy``.

    Parameters
    ----------
    eps : float, default 1e-12
    name : str, default 'nll-loss'
    output_names, label_names
        As in ``EvalMetric``.

    Examples
    --------
    >>> nll = NegativeLogLikelihood()
    >>> nll.update([np.array([0, 1, 1])], [np.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])])
    >>> round(nll.get()[1], 6)
    0.571599
    """

    def __init__(
        self,
        eps: float = 1e-12,
        name: str = "nll-loss",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(eps, name, output_names, label_names)


class _RunningPearson:
    """Welford's running means, sums of squares and co-moment of labels and predictions."""

    def __init__(self) -> None:
        self.n = 0
        self.mean_l = self.mean_p = 0.0
        self.sse_l = self.sse_p = self.cov = 0.0

    def update(self, label: np.ndarray, pred: np.ndarray) -> None:
        self.n += len(label)
        delta_l = label - self.mean_l
        self.mean_l += float(np.sum(delta_l / self.n))
        self.sse_l += float(np.sum(delta_l * (label - self.mean_l)))
        # the co-moment pairs the updated label mean with the previous prediction mean
        self.cov += float(np.sum((label - self.mean_l) * (pred - self.mean_p)))
        delta_p = pred - self.mean_p
        self.mean_p += float(np.sum(delta_p / self.n))
        self.sse_p += float(np.sum(delta_p * (pred - self.mean_p)))

    def value(self) -> float:
        n = self.n
        return self.cov / ((n - 1) * np.sqrt(self.sse_p / (n - 1)) * np.sqrt(self.sse_l / (n - 1)))


@register
@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson correlation coefficient of labels and predictions (both flattened).

    Parameters
    ----------
    name : str, default 'pearsonr'
    output_names, label_names
        As in ``EvalMetric``.
    average : {'macro', 'micro'}, default 'macro'
        ``'macro'``: the mean of per-batch correlations; ``'micro'``: one correlation of all
        samples seen (running means and co-moments).

    Notes
    -----
    With ``'micro'``, MXNet 1.9.1's ``get_global()`` returns 0 and ``reset_local()`` does not
    restart the running moments; gluax keeps local and global moments apart, so ``get()``
    covers the batches since ``reset_local()`` and ``get_global()`` those since ``reset()``.
    ``get_config`` includes ``average``.

    Examples
    --------
    >>> pr = PearsonCorrelation()
    >>> pr.update([np.array([[1, 0], [0, 1], [0, 1]])], [np.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])])
    >>> round(pr.get()[1], 6)
    0.421637
    """

    def __init__(
        self,
        name: str = "pearsonr",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
        average: str = "macro",
    ) -> None:
        _check_average("PearsonCorrelation", average)
        self.average = average
        super().__init__(
            name,
            average=average,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )

    def reset(self) -> None:
        """Reset the local and global sums."""
        super().reset()
        self._local = _RunningPearson()
        self._global = _RunningPearson()

    def reset_local(self) -> None:
        """Reset the local sums (the global ones keep accumulating)."""
        super().reset_local()
        self._local = _RunningPearson()

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch to the running sums.

        Parameters
        ----------
        labels : NDArray or numpy array, or a list of them
            Targets (flattened).
        preds : NDArray or numpy array, or a list of them
            Predictions (flattened), one per label array.
        """
        for label, pred in self._pairs(labels, preds):
            check_label_shapes(label, pred, shape=True, name="PearsonCorrelation")
            label = label.ravel().astype(np.float64)
            pred = pred.ravel().astype(np.float64)
            if self.average == "macro":
                self._accumulate(float(np.corrcoef(pred, label)[0, 1]), 1)
            else:
                self._local.update(label, pred)
                self._global.update(label, pred)
                self._accumulate(0.0, 1)

    def get(self) -> tuple[str, float]:
        """``(name, correlation)`` of the pairs since the last local reset; NaN when empty."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        if self.average == "macro":
            return (self.name, self.sum_metric / self.num_inst)
        return (self.name, float(self._local.value()))

    def get_global(self) -> tuple[str, float]:
        """``(name, correlation)`` of the pairs since the last ``reset``; NaN when empty."""
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        if self.average == "macro":
            return (self.name, self.global_sum_metric / self.global_num_inst)
        return (self.name, float(self._global.value()))
