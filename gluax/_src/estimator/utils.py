"""Metric checks shared by the Estimator and its event handlers (``gluon.contrib.estimator``)."""

from __future__ import annotations

from typing import Any

from gluax._src.loss.core import SoftmaxCrossEntropyLoss
from gluax._src.metric.base import CompositeEvalMetric, EvalMetric
from gluax._src.metric.classification import Accuracy


def _check_metrics(metrics: Any) -> list[EvalMetric]:
    """``metrics`` as a flat list: a metric, a list of metrics, or a composite of them."""
    if isinstance(metrics, CompositeEvalMetric):
        return [m for inner in metrics.metrics for m in _check_metrics(inner)]
    if isinstance(metrics, EvalMetric):
        return [metrics]
    metrics = list(metrics or [])
    bad = [m for m in metrics if not isinstance(m, EvalMetric)]
    if bad:
        raise ValueError(
            f"metrics must be an EvalMetric or a list of EvalMetric (mx.metric), got "
            f"{type(bad[0]).__name__} {bad[0]!r} in {metrics!r}."
        )
    return metrics


def _check_handler_metric_ref(handler: Any, known_metrics: set[EvalMetric]) -> None:
    """Every metric an event handler holds must be one of the estimator's own metrics."""
    # MXNet 1.9 scans the attributes whose name contains 'metric' only (its keyword list is
    # ['metric' or 'monitor'], which is ['metric']), so a foreign `monitor` passes there too.
    for attribute in dir(handler):
        if "metric" not in attribute:
            continue
        reference = getattr(handler, attribute)
        if not reference:
            continue
        for metric in reference if isinstance(reference, list) else [reference]:
            _check_metric_known(handler, metric, known_metrics)


def _check_metric_known(handler: Any, metric: Any, known_metrics: set[EvalMetric]) -> None:
    if metric not in known_metrics:
        raise ValueError(
            f"Event handler {type(handler).__name__} refers to a metric instance {metric} "
            "outside of the known training and validation metrics. Please use the metrics "
            "from estimator.train_metrics and estimator.val_metrics instead."
        )


def _suggest_metric_for_loss(loss: Any) -> EvalMetric | None:
    """Accuracy for a softmax cross-entropy loss, else nothing."""
    if isinstance(loss, SoftmaxCrossEntropyLoss):
        return Accuracy()
    return None
