"""Classification metrics of ``mx.metric``: Accuracy, TopKAccuracy, F1, MCC, PCC, Perplexity."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gluax._src.metric.base import (
    EvalMetric,
    _check_average,
    alias,
    check_label_shapes,
    register,
)


@register
@alias("acc")
class Accuracy(EvalMetric):
    """Fraction of samples whose predicted class equals the label.

    ``accuracy = mean(argmax(pred, axis) == label)``; when a prediction already has the
    label's shape it holds class indices and is compared directly. Both sides are cast to
    int32 and flattened; every sample counts once.

    Parameters
    ----------
    axis : int, default 1
        The class axis of the predictions.
    name : str, default 'accuracy'
    output_names, label_names
        As in ``EvalMetric``.

    Examples
    --------
    >>> acc = Accuracy()
    >>> acc.update([np.array([0, 1, 1])], [np.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])])
    >>> acc.get()
    ('accuracy', 0.6666666666666666)
    """

    def __init__(
        self,
        axis: int = 1,
        name: str = "accuracy",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(
            name,
            axis=axis,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch to the running sums.

        Parameters
        ----------
        labels : NDArray or numpy array, or a list of them
            Class indices, shape ``(batch,)``.
        preds : NDArray or numpy array, or a list of them
            Class scores ``(batch, classes)`` (their argmax along ``axis`` is taken) or predicted indices of the labels' shape, one per label array.
        """
        for label, pred in self._pairs(labels, preds):
            if pred.shape != label.shape:
                pred = np.argmax(pred, axis=self.axis)
            pred = pred.astype(np.int32).ravel()
            label = label.astype(np.int32).ravel()
            check_label_shapes(label, pred, name="Accuracy")
            self._accumulate(float((pred == label).sum()), len(pred))


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the ``top_k`` highest-scored classes.

    Parameters
    ----------
    top_k : int, default 1
        Must be above 1 (use ``Accuracy`` for 1). The name gets ``_<top_k>`` appended.
    name : str, default 'top_k_accuracy'
    output_names, label_names
        As in ``EvalMetric``.

    Notes
    -----
    Predictions are ``(batch, classes)`` scores. For 1-D predictions MXNet 1.9.1 compares the
    ``argpartition`` indices with the labels and leaves them out of the global sums; gluax
    computes the same local value and counts it globally too.

    Examples
    --------
    >>> m = TopKAccuracy(top_k=2)
    >>> m.update([np.array([2, 0])], [np.array([[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]])])
    >>> m.get()
    ('top_k_accuracy_2', 0.5)
    """

    def __init__(
        self,
        top_k: int = 1,
        name: str = "top_k_accuracy",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(
            name,
            top_k=top_k,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.top_k = top_k
        if top_k <= 1:
            raise ValueError(
                f"TopKAccuracy: top_k must be above 1, got {top_k!r}. Use Accuracy for top_k=1."
            )
        self.name += f"_{top_k}"

    def update(self, labels: Any, preds: Any) -> None:
        for label, pred in self._pairs(labels, preds):
            if pred.ndim > 2:
                raise ValueError(
                    f"TopKAccuracy: predictions must have at most 2 dimensions, got shape "
                    f"{pred.shape}."
                )
            # argpartition, not argsort: the order inside the top k does not matter.
            top = np.argpartition(pred.astype(np.float32), -self.top_k)
            label = label.astype(np.int32).ravel()
            check_label_shapes(label, top, name="TopKAccuracy")
            if top.ndim == 1:
                correct = (top.ravel() == label).sum()
            else:
                classes = top.shape[1]
                correct = sum(
                    (top[:, classes - 1 - j] == label).sum()
                    for j in range(min(classes, self.top_k))
                )
            self._accumulate(float(correct), top.shape[0])


class _BinaryStats:
    """True/false positive/negative counts of a binary classifier, local and global."""

    _FIELDS = ("tp", "fp", "fn", "tn")

    def __init__(self) -> None:
        self.local = dict.fromkeys(self._FIELDS, 0)
        self.total = dict.fromkeys(self._FIELDS, 0)

    def update(self, label: np.ndarray, pred: np.ndarray, cls: str) -> None:
        if pred.ndim != 2:
            raise ValueError(
                f"{cls}: predictions must be (batch, classes) scores, got shape {pred.shape}."
            )
        pred_label = np.argmax(pred, axis=1)
        label = label.astype(np.int32)
        check_label_shapes(label, pred, name=cls)
        distinct = len(np.unique(label))
        if distinct > 2:
            raise ValueError(
                f"{cls} currently only supports binary classification, got {distinct} "
                "distinct labels."
            )
        label = label.ravel()
        pred_true, label_true = pred_label == 1, label == 1
        counts = {
            "tp": pred_true & label_true,
            "fp": pred_true & ~label_true,
            "fn": ~pred_true & label_true,
            "tn": ~pred_true & ~label_true,
        }
        for k, v in counts.items():
            self.local[k] += int(v.sum())
            self.total[k] += int(v.sum())

    def reset_local(self) -> None:
        self.local = dict.fromkeys(self._FIELDS, 0)

    def reset(self) -> None:
        self.reset_local()
        self.total = dict.fromkeys(self._FIELDS, 0)

    def examples(self, use_global: bool = False) -> int:
        return sum((self.total if use_global else self.local).values())

    def fscore(self, use_global: bool = False) -> float:
        c = self.total if use_global else self.local
        precision = float(c["tp"]) / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] > 0 else 0.0
        recall = float(c["tp"]) / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] > 0 else 0.0
        if precision + recall > 0:
            return 2 * precision * recall / (precision + recall)
        return 0.0

    def matthewscc(self, use_global: bool = False) -> float:
        c = self.total if use_global else self.local
        if not self.examples(use_global):
            return 0.0
        tp, fp, fn, tn = (float(c[k]) for k in self._FIELDS)
        denom = 1.0
        # MXNet replaces zero factors of the denominator by 1.
        for t in (tp + fp, tp + fn, tn + fp, tn + fn):
            if t != 0.0:
                denom *= t
        return (tp * tn - fp * fn) / math.sqrt(denom)


class _BinaryMetric(EvalMetric):
    """F1 and MCC: per-update scores averaged ('macro') or one score of all counts ('micro')."""

    def __init__(
        self,
        name: str,
        output_names: list[str] | None,
        label_names: list[str] | None,
        average: str,
    ) -> None:
        _check_average(type(self).__name__, average)
        self.average = average
        self._stats = _BinaryStats()
        super().__init__(
            name,
            average=average,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )

    def _score(self, use_global: bool) -> float:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch to the running sums.

        Parameters
        ----------
        labels : NDArray or numpy array, or a list of them
            0/1 labels, shape ``(batch,)``.
        preds : NDArray or numpy array, or a list of them
            Scores ``(batch, 2)`` (the argmax is the predicted class), one per label array.
        """
        for label, pred in self._pairs(labels, preds):
            self._stats.update(label, pred, type(self).__name__)
        if self.average == "macro":
            self.sum_metric += self._score(False)
            self.global_sum_metric += self._score(True)
            self.num_inst += 1
            self.global_num_inst += 1
            self._stats.reset()
        else:
            self.sum_metric = self._score(False) * self._stats.examples()
            self.global_sum_metric = self._score(True) * self._stats.examples(True)
            self.num_inst = self._stats.examples()
            self.global_num_inst = self._stats.examples(True)

    def reset(self) -> None:
        """Reset the local and global counts of true/false positives/negatives."""
        super().reset()
        self._stats.reset()

    def reset_local(self) -> None:
        """Reset the local counts (the global ones keep accumulating)."""
        super().reset_local()
        self._stats.reset_local()


@register
class F1(_BinaryMetric):
    """F1 score of a binary classifier: ``2 * precision * recall / (precision + recall)``.

    The predicted class is ``argmax(pred, axis=1)``; class 1 is positive.

    Parameters
    ----------
    name : str, default 'f1'
    output_names, label_names
        As in ``EvalMetric``.
    average : {'macro', 'micro'}, default 'macro'
        ``'macro'``: the mean of the F1 of each ``update`` call; ``'micro'``: the F1 of the
        counts accumulated over all calls.

    Notes
    -----
    ``get_config`` includes ``average`` so that ``create(**config)`` rebuilds the same metric
    (MXNet 1.9.1 leaves it out). Labels of shape ``(batch, 1)`` are flattened.

    Examples
    --------
    >>> f1 = F1()
    >>> f1.update([np.array([0.0, 1, 1])], [np.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])])
    >>> f1.get()
    ('f1', 0.8)
    """

    def __init__(
        self,
        name: str = "f1",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
        average: str = "macro",
    ) -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, use_global: bool) -> float:
        return self._stats.fscore(use_global)


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of a binary classifier.

    ``MCC = (TP*TN - FP*FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))``, with zero factors of the
    denominator replaced by 1.

    Parameters
    ----------
    name : str, default 'mcc'
    output_names, label_names
        As in ``EvalMetric``.
    average : {'macro', 'micro'}, default 'macro'
        As in ``F1``.

    Notes
    -----
    As for ``F1``, ``get_config`` includes ``average``.

    Examples
    --------
    >>> mcc = MCC()
    >>> mcc.update([np.array([0, 1, 1, 0])], [np.array([[0.6, 0.4], [0.2, 0.8], [0.7, 0.3], [0.9, 0.1]])])
    >>> round(mcc.get()[1], 6)
    0.57735
    """

    def __init__(
        self,
        name: str = "mcc",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
        average: str = "macro",
    ) -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, use_global: bool) -> float:
        return self._stats.matthewscc(use_global)


@register
class Perplexity(EvalMetric):
    """Perplexity of predicted probabilities: ``exp(-sum(log(max(p_label, 1e-10))) / count)``.

    ``p_label`` is the probability the prediction gives the label, picked along ``axis``
    (labels out of range are clipped, as MXNet's ``pick``); samples whose label equals
    ``ignore_label`` count neither in the sum nor in ``count``.

    Parameters
    ----------
    ignore_label : int or None
        Label value to leave out; None keeps every sample.
    axis : int, default -1
        The class axis of the predictions.
    name : str, default 'perplexity'
    output_names, label_names
        As in ``EvalMetric``.

    Notes
    -----
    Labels are reshaped to the predictions' shape without ``axis``, so ``(batch, time)``
    labels go with ``(batch, time, vocab)`` predictions (MXNet 1.9.1 needs them flattened to
    2-D first). ``get_config`` includes ``axis``.

    Examples
    --------
    >>> p = Perplexity(ignore_label=None)
    >>> p.update([np.array([0, 1, 1])], [np.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])])
    >>> round(p.get()[1], 6)
    1.771098
    """

    def __init__(
        self,
        ignore_label: int | None,
        axis: int = -1,
        name: str = "perplexity",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(
            name,
            ignore_label=ignore_label,
            axis=axis,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch to the running sums.

        Parameters
        ----------
        labels : NDArray or numpy array, or a list of them
            Class indices, one per position of ``preds`` along every axis but ``axis``.
        preds : NDArray or numpy array, or a list of them
            Probabilities over the classes along ``axis``, one per label array.
        """
        loss, num = 0.0, 0
        for label, pred in self._pairs(labels, preds):
            axis = self.axis % pred.ndim
            rest = pred.shape[:axis] + pred.shape[axis + 1 :]
            if label.size != math.prod(rest):
                raise ValueError(
                    f"Perplexity: labels of shape {label.shape} do not match predictions of "
                    f"shape {pred.shape}: expected {math.prod(rest)} labels (one per "
                    f"position along every axis but {self.axis})."
                )
            label = label.reshape(rest)
            index = np.clip(label.astype(np.int32), 0, pred.shape[axis] - 1)
            prob = np.take_along_axis(pred, np.expand_dims(index, axis), axis).squeeze(axis)
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(prob.dtype)
                num -= int(ignore.sum())
                prob = prob * (1 - ignore) + ignore
            loss -= float(np.log(np.maximum(1e-10, prob)).sum())
            num += prob.size
        self._accumulate(loss, num)

    def get(self) -> tuple[str, float]:
        """``(name, exp(mean negative log-probability))`` since the last local reset; NaN when empty."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self) -> tuple[str, float]:
        """``(name, exp(mean negative log-probability))`` since the last ``reset``; NaN when empty."""
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


@register
class PCC(EvalMetric):
    """Multiclass Matthews correlation (Pearson correlation of a K x K confusion matrix).

    ``PCC = sum_k (C_kk * n - x_k * y_k) / sqrt(sum_k x_k (n - x_k) * sum_k y_k (n - y_k))``
    with ``x``, ``y`` the row and column sums of the confusion matrix ``C`` and ``n`` its
    total; nan when either factor is 0. The matrix grows with the largest class seen.

    Parameters
    ----------
    name : str, default 'pcc'
    output_names, label_names
        As in ``EvalMetric``.
    has_global_stats : bool, default True

    Examples
    --------
    >>> pcc = PCC()
    >>> pcc.update([np.array([0, 1, 1, 0])], [np.array([[0.6, 0.4], [0.2, 0.8], [0.7, 0.3], [0.9, 0.1]])])
    >>> round(pcc.get()[1], 6)
    0.57735
    """

    def __init__(
        self,
        name: str = "pcc",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
        has_global_stats: bool = True,
    ) -> None:
        self.k = 2
        super().__init__(
            name,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=has_global_stats,
        )

    def _grow(self, inc: int) -> None:
        self.lcm = np.pad(self.lcm, ((0, inc), (0, inc)))
        self.gcm = np.pad(self.gcm, ((0, inc), (0, inc)))
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat: np.ndarray) -> float:
        n = cmat.sum()
        x, y = cmat.sum(axis=1), cmat.sum(axis=0)
        cov_xx, cov_yy = np.sum(x * (n - x)), np.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float("nan")
        cov_xy = np.sum(cmat.diagonal() * n - x * y)
        return float(cov_xy / (cov_xx * cov_yy) ** 0.5)

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch to the running sums.

        Parameters
        ----------
        labels : NDArray or numpy array, or a list of them
            Class indices, shape ``(batch,)``.
        preds : NDArray or numpy array, or a list of them
            Class scores ``(batch, classes)`` or predicted indices, one per label array.
        """
        for label, pred in self._pairs(labels, preds):
            label = label.astype(np.int32)
            pred = np.argmax(pred, axis=1) if pred.shape != label.shape else pred.astype(np.int32)
            label, pred = label.ravel(), pred.ravel()
            n = max(pred.max(), label.max())
            if n >= self.k:
                self._grow(int(n) + 1 - self.k)
            batch = np.zeros((self.k, self.k))
            np.add.at(batch, (pred, label), 1)
            self.lcm += batch
            self.gcm += batch
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self) -> float:
        """The coefficient of the local confusion matrix, times the number of updates."""
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self) -> float:
        """The coefficient of the global confusion matrix, times the number of updates."""
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self) -> None:
        """Reset the local and global confusion matrices."""
        self.global_num_inst = 0.0
        self.gcm = np.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self) -> None:
        """Reset the local confusion matrix."""
        self.num_inst = 0.0
        self.lcm = np.zeros((self.k, self.k))
