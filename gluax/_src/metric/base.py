"""``mx.metric`` base: ``EvalMetric``, ``create``/``register``, and the composite, custom and
loss metrics (classification.py and regression.py hold the others).

A metric accumulates over ``update(labels, preds)`` calls (labels first, as in MXNet) and
``get()`` returns ``(name, value)``. Labels and predictions are NDArrays, numpy arrays, or
lists of them (a single array is one pair); each is brought to the host with ``asnumpy()`` and
the metric is computed with NumPy, in the arrays' own dtype, with the same formulas as MXNet,
so the numbers equal MXNet's. Every metric keeps two running sums: the local one, cleared by
``reset_local()`` (for example at each logging interval), and the global one, cleared only by
``reset()`` and read with ``get_global()``.

Per-batch values are turned into Python floats before they are summed: with NumPy 2, adding a
``float32`` to a Python float stays ``float32``, where MXNet (NumPy 1.x) summed in float64.
"""

from __future__ import annotations

import json
import warnings
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from gluax._src.engine.ndarray import NDArray

_REGISTRY: dict[str, type] = {}
_AVERAGES = ("macro", "micro")


def _is_array(x: Any) -> bool:
    return isinstance(x, (NDArray, np.ndarray)) or (
        hasattr(x, "__array__") and not isinstance(x, (list, tuple))
    )


def _length(x: Any) -> int:
    if _is_array(x):
        shape = tuple(x.shape)
        return shape[0] if shape else 1
    return len(x)


def _as_numpy(x: Any, where: str) -> np.ndarray:
    if isinstance(x, NDArray):
        return x.asnumpy()
    if isinstance(x, (np.generic, int, float)) or _is_array(x):
        return np.asarray(x)
    raise TypeError(
        f"{where}: expected an NDArray or a numpy array, got {type(x).__name__}: {x!r}."
    )


def _check_average(cls: str, average: str) -> None:
    if average not in _AVERAGES:
        raise ValueError(f"{cls}: average must be 'macro' or 'micro', got {average!r}.")


def check_label_shapes(
    labels: Any, preds: Any, wrap: bool = False, shape: bool = False, *, name: str | None = None
) -> tuple[Any, Any]:
    """Check that ``labels`` and ``preds`` agree in length (or in shape when ``shape``).

    Lengths are list lengths, or the first dimension of a single array. With ``wrap``, a
    single array (NDArray, numpy or jax) is wrapped into a one-element list.

    Raises
    ------
    ValueError
        The lengths (or shapes) differ.
    """
    if shape:
        label_shape, pred_shape = tuple(labels.shape), tuple(preds.shape)
    else:
        label_shape, pred_shape = _length(labels), _length(preds)
    if label_shape != pred_shape:
        where = f"{name}: s" if name else "S"
        raise ValueError(
            f"{where}hape of labels {label_shape} does not match shape of predictions {pred_shape}."
        )
    if wrap:
        labels = [labels] if _is_array(labels) else labels
        preds = [preds] if _is_array(preds) else preds
    return labels, preds


class EvalMetric:
    """Base class of the evaluation metrics.

    Subclasses implement ``update(labels, preds)`` and accumulate into ``sum_metric`` /
    ``num_inst`` (and their ``global_`` twins when ``has_global_stats=True``); ``get()``
    returns ``sum_metric / num_inst``.

    Parameters
    ----------
    name : str
        Name of this metric instance for display.
    output_names : list of str, optional
        Names of the predictions ``update_dict`` uses (default: all).
    label_names : list of str, optional
        Names of the labels ``update_dict`` uses (default: all).
    **kwargs
        ``has_global_stats`` (bool, default False): the subclass keeps global sums apart from
        the local ones. Other keyword arguments are stored for ``get_config``.

    Examples
    --------
    >>> class Count(EvalMetric):
    ...     def update(self, labels, preds):
    ...         self.sum_metric += len(labels)
    ...         self.num_inst += 1
    >>> m = Count("count")
    >>> m.update([1, 2], [3, 4]); m.update([1], [3])
    >>> m.get()
    ('count', 1.5)
    """

    def __init__(
        self,
        name: str,
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> dict[str, Any]:
        """The configuration ``mx.metric.create(**config)`` rebuilds this metric from."""
        config = dict(self._kwargs)
        config.update(
            {
                "metric": type(self).__name__,
                "name": self.name,
                "output_names": self.output_names,
                "label_names": self.label_names,
            }
        )
        return config

    def update_dict(self, label: dict[str, Any], pred: dict[str, Any]) -> None:
        """Update with name -> array mappings, keeping ``label_names`` / ``output_names``."""
        preds = (
            [pred[n] for n in self.output_names]
            if self.output_names is not None
            else list(pred.values())
        )
        labels = (
            [label[n] for n in self.label_names]
            if self.label_names is not None
            else list(label.values())
        )
        self.update(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        """Accumulate one batch: ``labels`` and ``preds`` are arrays or lists of arrays."""
        raise NotImplementedError(f"{type(self).__name__} must implement update(labels, preds).")

    def reset(self) -> None:
        """Clear the local and the global sums."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        """Clear the local sums only; ``get_global()`` still sees every batch since ``reset``."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self) -> tuple[Any, Any]:
        """``(name, value)`` over the batches since the last reset; nan before any batch."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, self.sum_metric / self.num_inst)

    def get_global(self) -> tuple[Any, Any]:
        """``(name, value)`` over the batches since ``reset()`` (``get()`` when the metric
        keeps no global sums)."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, self.global_sum_metric / self.global_num_inst)

    def get_name_value(self) -> list[tuple[str, Any]]:
        """``get()`` as a list of ``(name, value)`` pairs."""
        return _zip_name_value(*self.get())

    def get_global_name_value(self) -> list[tuple[str, Any]]:
        """``get_global()`` as a list of ``(name, value)`` pairs."""
        return _zip_name_value(*self.get_global())

    def _pairs(self, labels: Any, preds: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        cls = type(self).__name__
        labels, preds = check_label_shapes(labels, preds, wrap=True, name=cls)
        return [
            (_as_numpy(lab, f"{cls} label"), _as_numpy(pred, f"{cls} prediction"))
            for lab, pred in zip(labels, preds)
        ]

    def _accumulate(self, value: float, count: int | float) -> None:
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count


def _zip_name_value(name: Any, value: Any) -> list[tuple[str, Any]]:
    names = name if isinstance(name, list) else [name]
    values = value if isinstance(value, list) else [value]
    return list(zip(names, values))


def register(klass: type, name: str | None = None) -> type:
    """Register a metric class under ``name`` (default: its class name), lower-cased.

    Raises
    ------
    TypeError
        ``klass`` is not an ``EvalMetric`` subclass.
    """
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise TypeError(f"metric.register: can only register EvalMetric subclasses, got {klass!r}.")
    key = (klass.__name__ if name is None else name).lower()
    old = _REGISTRY.get(key)
    if old is not None and old is not klass:
        warnings.warn(
            f"New metric {klass.__module__}.{klass.__name__} registered with name {key!r} "
            f"overrides {old.__module__}.{old.__name__}.",
            UserWarning,
            stacklevel=2,
        )
    _REGISTRY[key] = klass
    return klass


def alias(*aliases: str) -> Callable[[type], type]:
    """Class decorator: register a metric under extra names."""

    def deco(klass: type) -> type:
        for a in aliases:
            register(klass, a)
        return klass

    return deco


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a registered name, an instance, a list, a function, or a config.

    Parameters
    ----------
    metric : str, EvalMetric, list, callable or dict
        A registered name (case-insensitive; ``'acc'``, ``'f1'``, ``'top_k_accuracy'``, ...)
        or a JSON string ``'["name", {kwargs}]'``; an instance (returned as is); a list of any
        of these (a ``CompositeEvalMetric``); a function ``feval(label, pred)`` on numpy arrays
        (a ``CustomMetric``); or a ``get_config()`` dict.
    *args, **kwargs
        Constructor arguments (for a list: given to each element).

    Raises
    ------
    ValueError
        Unknown name.
    TypeError
        Extra arguments with an instance, or ``metric`` of another kind.

    Examples
    --------
    >>> create("acc").get()
    ('accuracy', nan)
    >>> create(["mse", "rmse"]).get()
    (['mse', 'rmse'], [nan, nan])
    """
    if isinstance(metric, EvalMetric):
        if args or kwargs:
            raise TypeError(
                f"metric.create: {type(metric).__name__} is already an instance; extra "
                f"arguments {list(args) + sorted(kwargs)} are invalid."
            )
        return metric
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        return metric(*args, **kwargs)
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, dict):
        config = dict(metric)
        if "metric" not in config:
            raise ValueError(f"metric.create: a config dict needs a 'metric' key, got {metric!r}.")
        return create(config.pop("metric"), **config)
    if isinstance(metric, str):
        if metric.startswith("["):
            name, kw = json.loads(metric)
            return create(name, **kw)
        if metric.startswith("{"):
            return create(json.loads(metric))
        klass = _REGISTRY.get(metric.lower())
        if klass is None:
            raise ValueError(
                f"metric.create: {metric!r} is not registered; registered: {sorted(_REGISTRY)}."
            )
        return klass(*args, **kwargs)
    raise TypeError(
        "metric.create: expected a metric name, an EvalMetric, a list or a function, "
        f"got {type(metric).__name__}: {metric!r}."
    )


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns a list of names and of values.

    Parameters
    ----------
    metrics : list, optional
        Child metrics, or anything ``create`` accepts for each.
    name : str, default 'composite'
    output_names, label_names
        As in ``EvalMetric``.

    Notes
    -----
    ``get_metric`` raises ``ValueError`` on a bad index (MXNet 1.9.1 returns the exception
    object instead of raising it).

    Examples
    --------
    >>> m = CompositeEvalMetric(["acc", "f1"])
    >>> m.update([np.array([0, 1, 1])], [np.array([[0.3, 0.7], [0, 1.0], [0.4, 0.6]])])
    >>> m.get()
    (['accuracy', 'f1'], [0.6666666666666666, 0.8])
    """

    def __init__(
        self,
        metrics: list[Any] | None = None,
        name: str = "composite",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric: Any) -> None:
        """Append a child metric (anything ``create`` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> EvalMetric:
        """The child metric at ``index``."""
        try:
            return self.metrics[index]
        except IndexError:
            raise ValueError(
                f"CompositeEvalMetric: metric index {index} is out of range 0 and "
                f"{len(self.metrics)}."
            ) from None

    def update_dict(self, labels: dict[str, Any], preds: dict[str, Any]) -> None:
        """Update every child metric from dicts keyed by output and label names.

        Parameters
        ----------
        labels : dict of str to array
        preds : dict of str to array
            Filtered by this metric's ``label_names`` and ``output_names`` when they are set.
        """
        if self.label_names is not None:
            labels = OrderedDict(i for i in labels.items() if i[0] in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict(i for i in preds.items() if i[0] in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch to the running sums.

        Parameters
        ----------
        labels : NDArray or numpy array, or a list of them
            The true labels, passed to every child metric.
        preds : NDArray or numpy array, or a list of them
            The predictions, one per label array.
        """
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self) -> None:
        # Called by EvalMetric.__init__ before the children exist; children given to the
        # constructor keep their sums (as in MXNet).
        """Reset every child metric (local and global sums)."""
        for metric in getattr(self, "metrics", []):
            metric.reset()

    def reset_local(self) -> None:
        """Reset the local sums of every child metric."""
        for metric in self.metrics:
            metric.reset_local()

    def get(self) -> tuple[list[str], list[Any]]:
        """The children's current values.

        Returns
        -------
        names : list of str
        values : list of float
        """
        return self._collect(lambda m: m.get())

    def get_global(self) -> tuple[list[str], list[Any]]:
        """The children's values over everything since the last ``reset``.

        Returns
        -------
        names : list of str
        values : list of float
        """
        return self._collect(lambda m: m.get_global())

    def _collect(self, read: Callable[[EvalMetric], tuple[Any, Any]]) -> tuple[list, list]:
        names: list[str] = []
        values: list[Any] = []
        for metric in self.metrics:
            name, value = read(metric)
            names.extend(name if isinstance(name, list) else [name])
            values.extend(value if isinstance(value, list) else [value])
        return names, values

    def get_config(self) -> dict[str, Any]:
        """The metric's configuration, with each child's under ``'metrics'``."""
        config = super().get_config()
        config["metrics"] = [m.get_config() for m in self.metrics]
        return config


@register
class Loss(EvalMetric):
    """The mean of given loss values: ``update(_, losses)`` ignores its labels.

    Parameters
    ----------
    name : str, default 'loss'
    output_names, label_names
        As in ``EvalMetric``.

    Examples
    --------
    >>> m = Loss()
    >>> m.update(None, [np.array([1.0, 2.0]), np.array([6.0])])
    >>> m.get()
    ('loss', 3.0)
    """

    def __init__(
        self,
        name: str = "loss",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )

    def update(self, _: Any, preds: Any) -> None:
        """Add a batch of loss values.

        Parameters
        ----------
        _ : any
            Ignored (the labels).
        preds : NDArray or numpy array, or a list of them
            Loss values; the metric averages all their elements.
        """
        for pred in [preds] if _is_array(preds) else preds:
            pred = _as_numpy(pred, f"{type(self).__name__} value")
            self._accumulate(float(pred.sum()), pred.size)


@register
class Torch(Loss):
    """``Loss`` named 'torch' (MXNet's placeholder for torch criterions)."""

    def __init__(
        self,
        name: str = "torch",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """``Loss`` named 'caffe' (MXNet's placeholder for caffe criterions)."""

    def __init__(
        self,
        name: str = "caffe",
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class CustomMetric(EvalMetric):
    """A metric from a function ``feval(label, pred)`` of numpy arrays, called per pair.

    ``feval`` returns a number (one instance) or a tuple ``(sum_metric, num_inst)``.

    Parameters
    ----------
    feval : callable
    name : str, optional
        Default: ``feval.__name__``, as ``'custom(<lambda>)'`` for a lambda.
    allow_extra_outputs : bool, default False
        Allow more predictions than labels (RNN states among the outputs); the extra
        predictions are ignored.
    output_names, label_names
        As in ``EvalMetric``.

    Examples
    --------
    >>> m = CustomMetric(lambda label, pred: (label + pred).mean())
    >>> m.update([np.array([2.5, 0.0, 2, 8])], [np.array([3, -0.5, 2, 7])])
    >>> m.get()
    ('custom(<lambda>)', 6.0)
    """

    def __init__(
        self,
        feval: Callable[[np.ndarray, np.ndarray], Any],
        name: str | None = None,
        allow_extra_outputs: bool = False,
        output_names: list[str] | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        if name is None:
            name = getattr(feval, "__name__", type(feval).__name__)
            if "<" in name:
                name = f"custom({name})"
        super().__init__(
            name,
            feval=feval,
            allow_extra_outputs=allow_extra_outputs,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Any, preds: Any) -> None:
        """Add a batch to the running sums.

        Parameters
        ----------
        labels : NDArray or numpy array, or a list of them
            The true labels; each is passed to ``feval`` as a numpy array.
        preds : NDArray or numpy array, or a list of them
            The predictions, one per label array.
        """
        if self._allow_extra_outputs:
            labels = [labels] if _is_array(labels) else labels
            preds = [preds] if _is_array(preds) else preds
        else:
            labels, preds = check_label_shapes(labels, preds, wrap=True, name=self.name)
        for pred, label in zip(preds, labels):
            result = self._feval(
                _as_numpy(label, f"{self.name} label"), _as_numpy(pred, f"{self.name} prediction")
            )
            if isinstance(result, tuple):
                value, count = result
                self._accumulate(_scalar(value), count)
            else:
                self._accumulate(_scalar(result), 1)

    def get_config(self) -> dict[str, Any]:
        """Not available: the metric's function is Python code.

        Raises
        ------
        NotImplementedError
        """
        raise NotImplementedError(
            f"CustomMetric {self.name!r} cannot be serialized: its function is Python code. "
            "Recreate it with mx.metric.CustomMetric(feval) instead."
        )


def _scalar(v: Any) -> Any:
    # numpy scalars become Python numbers so sums run in float64 (see the module docstring)
    return v.item() if isinstance(v, (np.generic, np.ndarray)) and np.size(v) == 1 else v


def np_metric(
    numpy_feval: Callable[[np.ndarray, np.ndarray], Any],
    name: str | None = None,
    allow_extra_outputs: bool = False,
) -> CustomMetric:
    """A ``CustomMetric`` from a function of numpy arrays (public as ``mx.metric.np``).

    Examples
    --------
    >>> def mean_abs(label, pred):
    ...     return np.abs(label - pred).mean()
    >>> m = np_metric(mean_abs)
    >>> m.update([np.array([1.0, 2.0])], [np.array([1.5, 1.0])])
    >>> m.get()
    ('mean_abs', 0.75)
    """

    def feval(label: np.ndarray, pred: np.ndarray) -> Any:
        return numpy_feval(label, pred)

    feval.__name__ = getattr(numpy_feval, "__name__", type(numpy_feval).__name__)
    return CustomMetric(feval, name, allow_extra_outputs)
