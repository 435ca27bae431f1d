"""``mx.lr_scheduler``: MXNet 1.9.1's learning-rate schedules.

A scheduler is a stateful Python object. The optimizer sets its ``base_lr`` and calls it with
the 1-based number of updates done so far (``scheduler(num_update)``, with ``num_update``
the largest update count of any weight); it returns the learning rate for that update. As in
MXNet, ``FactorScheduler`` and ``MultiFactorScheduler`` decay ``base_lr`` in place, so a
scheduler carries its state from call to call and is meant to be called with non-decreasing
update counts. ``PolyScheduler`` and ``CosineScheduler`` decay from the ``base_lr`` they were
built with (``base_lr_orig``) and store the result in ``base_lr``.

Every scheduler accepts a warmup: for ``num_update < warmup_steps`` it returns
``warmup_begin_lr + (base_lr - warmup_begin_lr) * num_update / warmup_steps`` (``'linear'``)
or ``warmup_begin_lr`` (``'constant'``), where ``base_lr`` is the one given to the
constructor, and only then starts its own schedule.
"""

from __future__ import annotations

import logging
import math

_WARMUP_MODES = ("linear", "constant")


class LRScheduler:
    """Base class of a learning-rate scheduler: subclasses implement ``__call__(num_update)``.

    Parameters
    ----------
    base_lr : float, default 0.01
        The initial learning rate (the optimizer overwrites it with its ``learning_rate``).
    warmup_steps : int, default 0
        Number of warmup updates before the schedule proper starts.
    warmup_begin_lr : float, default 0
        Learning rate the warmup starts from; must not exceed ``base_lr``.
    warmup_mode : {'linear', 'constant'}, default 'linear'
        ``'linear'`` rises in equal increments from ``warmup_begin_lr`` to ``base_lr``;
        ``'constant'`` holds ``warmup_begin_lr`` during the warmup.

    Raises
    ------
    TypeError
        ``warmup_steps`` is not an int.
    ValueError
        ``warmup_begin_lr > base_lr``, ``warmup_steps < 0`` or an unknown ``warmup_mode``.

    Examples
    --------
    >>> class Halving(LRScheduler):
    ...     def __call__(self, num_update):
    ...         return self.base_lr / 2 ** (num_update // 10)
    >>> Halving(base_lr=1.0)(25)
    0.25
    """

    def __init__(
        self,
        base_lr: float = 0.01,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        if not isinstance(warmup_steps, int):
            raise TypeError(
                f"{type(self).__name__}: warmup_steps must be an int, "
                f"got {type(warmup_steps).__name__} {warmup_steps!r}."
            )
        if warmup_begin_lr > base_lr:
            raise ValueError(
                f"{type(self).__name__}: base_lr has to be higher than warmup_begin_lr, "
                f"got base_lr={base_lr!r}, warmup_begin_lr={warmup_begin_lr!r}."
            )
        if warmup_steps < 0:
            raise ValueError(
                f"{type(self).__name__}: warmup_steps has to be positive or 0, "
                f"got {warmup_steps!r}."
            )
        if warmup_mode not in _WARMUP_MODES:
            raise ValueError(
                f"{type(self).__name__}: warmup_mode must be 'linear' or 'constant', "
                f"got {warmup_mode!r}."
            )
        self.base_lr = base_lr
        self.warmup_steps = warmup_steps
        # The warmup climbs to the constructor's base_lr, even after the optimizer resets
        # base_lr (MXNet 1.9 keeps this copy).
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update: int) -> float:
        """The warmup learning rate for ``num_update < warmup_steps``."""
        if num_update >= self.warmup_steps:
            raise ValueError(
                f"{type(self).__name__}.get_warmup_lr: num_update must be below "
                f"warmup_steps={self.warmup_steps}, got {num_update!r}."
            )
        if self.warmup_mode == "constant":
            return self.warmup_begin_lr
        increase = (
            (self.warmup_final_lr - self.warmup_begin_lr)
            * float(num_update)
            / float(self.warmup_steps)
        )
        return self.warmup_begin_lr + increase

    def __call__(self, num_update: int) -> float:
        """The learning rate for update ``num_update`` (1-based, the largest update count
        of any weight)."""
        raise NotImplementedError(
            f"{type(self).__name__} must override __call__(num_update) to return a learning rate."
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_lr={self.base_lr!r})"


class FactorScheduler(LRScheduler):
    """Multiply the learning rate by ``factor`` every ``step`` updates.

    ``lr = max(base_lr * factor ** floor((num_update - 1) / step), stop_factor_lr)``: updates
    ``1..step`` use ``base_lr``, updates ``step+1..2*step`` use ``base_lr * factor``, and so
    on (MXNet's docstring writes ``floor(num_update / step)``, which is off by one at each
    boundary; this is what MXNet 1.9.1 computes).

    Parameters
    ----------
    step : int
        Number of updates between two decays (at least 1).
    factor : float, default 1
        Decay factor, at most 1.
    stop_factor_lr : float, default 1e-8
        The learning rate stops decaying once it falls below this value, and is held there.
    base_lr, warmup_steps, warmup_begin_lr, warmup_mode
        As in ``LRScheduler``.

    Raises
    ------
    ValueError
        ``step < 1`` or ``factor > 1``.

    Examples
    --------
    >>> sched = FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    >>> [sched(n) for n in range(1, 6)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self,
        step: int,
        factor: float = 1,
        stop_factor_lr: float = 1e-8,
        base_lr: float = 0.01,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise ValueError(f"FactorScheduler: step must be at least 1, got {step!r}.")
        if factor > 1.0:
            raise ValueError(
                f"FactorScheduler: factor must be no more than 1 to reduce the learning rate, "
                f"got {factor!r}."
            )
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # A loop rather than one decay, so a scheduler first called with a large count
        # (training resumed from a checkpoint) catches up on every missed decay.
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                logging.info(
                    "Update[%d]: now learning rate arrived at %0.5e, will not change in the future",
                    num_update,
                    self.base_lr,
                )
            else:
                logging.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiply the learning rate by ``factor`` once each listed step has passed.

    ``lr = base_lr * factor ** k`` with ``k`` the number of steps ``s`` in ``step`` such that
    ``num_update > s``: update ``s`` itself still uses the previous rate.

    Parameters
    ----------
    step : list of int
        Strictly increasing update counts, each at least 1.
    factor : float, default 1
        Decay factor, at most 1.
    base_lr, warmup_steps, warmup_begin_lr, warmup_mode
        As in ``LRScheduler``.

    Raises
    ------
    TypeError
        ``step`` is not a non-empty list.
    ValueError
        ``step`` is not increasing, holds a value below 1, or ``factor > 1``.

    Examples
    --------
    >>> sched = MultiFactorScheduler(step=[2, 4], factor=0.1, base_lr=1.0)
    >>> [round(sched(n), 6) for n in range(1, 6)]
    [1.0, 1.0, 0.1, 0.1, 0.01]
    """

    def __init__(
        self,
        step: list[int],
        factor: float = 1,
        base_lr: float = 0.01,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(step, list) or not step:
            raise TypeError(
                f"MultiFactorScheduler: step must be a non-empty list of ints, got {step!r}."
            )
        for i, s in enumerate(step):
            if i > 0 and s <= step[i - 1]:
                raise ValueError(
                    f"MultiFactorScheduler: step must be an increasing list, got {step!r}."
                )
            if s < 1:
                raise ValueError(
                    f"MultiFactorScheduler: every step must be at least 1, got {step!r}."
                )
        if factor > 1.0:
            raise ValueError(
                f"MultiFactorScheduler: factor must be no more than 1 to reduce the learning "
                f"rate, got {factor!r}."
            )
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind < len(self.step) and num_update > self.step[self.cur_step_ind]:
            self.count = self.step[self.cur_step_ind]
            self.cur_step_ind += 1
            self.base_lr *= self.factor
            logging.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
        return self.base_lr


def _check_max_update(cls: str, max_update: int) -> None:
    if not isinstance(max_update, int):
        raise TypeError(
            f"{cls}: max_update must be an int, got {type(max_update).__name__} {max_update!r}."
        )
    if max_update < 1:
        raise ValueError(f"{cls}: max_update must be strictly positive, got {max_update!r}.")


class PolyScheduler(LRScheduler):
    """Polynomial decay from ``base_lr`` to ``final_lr`` over ``max_update`` updates.

    After the warmup, for ``num_update <= max_update``::

        lr = final_lr + (base_lr - final_lr) * (1 - (num_update - warmup_steps)
                                                    / (max_update - warmup_steps)) ** pwr

    and past ``max_update`` the last value (``final_lr``) is held.

    Parameters
    ----------
    max_update : int
        Update count at which the decay reaches ``final_lr`` (at least 1).
    base_lr : float, default 0.01
    pwr : float, default 2
        Power of the decay.
    final_lr : float, default 0
    warmup_steps, warmup_begin_lr, warmup_mode
        As in ``LRScheduler``.

    Raises
    ------
    TypeError
        ``max_update`` is not an int.
    ValueError
        ``max_update < 1``.

    Notes
    -----
    As in MXNet 1.9.1, the decay starts from the constructor's ``base_lr``
    (``base_lr_orig``); an optimizer's ``learning_rate`` written into ``base_lr`` later
    does not change it.

    Examples
    --------
    >>> sched = PolyScheduler(max_update=4, base_lr=1.0, pwr=1)
    >>> [sched(n) for n in range(1, 6)]
    [0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(
        self,
        max_update: int,
        base_lr: float = 0.01,
        pwr: float = 2,
        final_lr: float = 0,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _check_max_update("PolyScheduler", max_update)
        self.power = pwr
        self.base_lr_orig = self.base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            progress = float(num_update - self.warmup_steps) / float(self.max_steps)
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * pow(
                1 - progress, self.power
            )
        return self.base_lr


class CosineScheduler(LRScheduler):
    """Cosine decay from ``base_lr`` to ``final_lr`` over ``max_update`` updates.

    After the warmup, for ``num_update <= max_update``::

        lr = final_lr + (base_lr - final_lr)
                        * (1 + cos(pi * (num_update - warmup_steps)
                                   / (max_update - warmup_steps))) / 2

    and past ``max_update`` the last value (``final_lr``) is held.

    Parameters
    ----------
    max_update : int
        Update count at which the decay reaches ``final_lr`` (at least 1).
    base_lr : float, default 0.01
    final_lr : float, default 0
    warmup_steps, warmup_begin_lr, warmup_mode
        As in ``LRScheduler``.

    Raises
    ------
    TypeError
        ``max_update`` is not an int.
    ValueError
        ``max_update < 1``.

    Notes
    -----
    As in MXNet 1.9.1, the decay starts from the constructor's ``base_lr``
    (``base_lr_orig``); an optimizer's ``learning_rate`` written into ``base_lr`` later
    does not change it.

    Examples
    --------
    >>> sched = CosineScheduler(max_update=2, base_lr=1.0)
    >>> [round(sched(n), 6) for n in range(1, 4)]
    [0.5, 0.0, 0.0]
    """

    def __init__(
        self,
        max_update: int,
        base_lr: float = 0.01,
        final_lr: float = 0,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _check_max_update("CosineScheduler", max_update)
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            angle = math.pi * (num_update - self.warmup_steps) / self.max_steps
            self.base_lr = (
                self.final_lr + (self.base_lr_orig - self.final_lr) * (1 + math.cos(angle)) / 2
            )
        return self.base_lr
