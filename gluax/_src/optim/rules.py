"""``mx.optimizer``: MXNet 1.9.1's optimizers, each an optax transformation with MXNet's exact
update rule, and the ``Optimizer`` classes scripts create by name.

Every rule is a pure per-parameter function ``rule(weight, grad, state, lr, wd, rescale, t)
-> (new_weight, new_state)``: ``lr`` and ``wd`` already include the parameter's ``lr_mult`` /
``wd_mult``, ``rescale`` is ``rescale_grad`` (``1/batch_size`` from ``Trainer.step``) and ``t``
the parameter's update count. They are fed as arrays, so changing them never recompiles.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gluax._src.engine.ndarray import NDArray

_LOG = logging.getLogger("gluax.optimizer")


def _clip(g: Any, clip: float | None) -> Any:
    # MXNet: clip_gradient None (or 0) disables clipping
    return jnp.clip(g, -clip, clip) if clip else g


class Rule(NamedTuple):
    init: Callable[[Any], Any]
    apply: Callable[..., tuple[Any, Any]]


class Optimizer:
    """Base class of MXNet's optimizers (``mx.optimizer.Optimizer``).

    Parameters
    ----------
    rescale_grad : float, default 1.0 (``Trainer.step`` sets it to ``1/batch_size``)
    wd : float, default 0.0
    clip_gradient : float, optional. Gradients are clipped to ``[-c, c]``; None or 0: no clip.
    learning_rate : float, optional (each optimizer has its own default)
    lr_scheduler : LRScheduler, optional. Called with the update count (1-based).
    begin_num_update : int, default 0
    multi_precision : bool, default False. float16 weights are updated through a float32
        master copy kept in the state (MXNet's ``create_state_multi_precision``).

    Notes
    -----
    Custom optimizers may subclass and override ``create_state(index, weight)`` and
    ``update(index, weight, grad, state)`` with NDArrays, as in MXNet; the Trainer then calls
    them per parameter instead of the fused rule.
    """

    opt_registry: dict[str, type] = {}
    default_lr = 0.01

    def __init__(
        self,
        rescale_grad: float = 1.0,
        param_idx2name: dict | None = None,
        wd: float = 0.0,
        clip_gradient: float | None = None,
        learning_rate: float | None = None,
        lr_scheduler: Any = None,
        sym: Any = None,
        begin_num_update: int = 0,
        multi_precision: bool = False,
        param_dict: dict | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected argument(s) {sorted(kwargs)}.")
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = self.default_lr
        # MXNet 1.9: with a scheduler and no learning_rate, lr stays None and the scheduler's
        # base_lr rules; a learning_rate given as well overwrites the scheduler's base_lr.
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None:
            if lr_scheduler.base_lr != learning_rate:
                _LOG.warning(
                    "learning rate from ``lr_scheduler`` has been overwritten by "
                    "``learning_rate`` in optimizer."
                )
                lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._index_update_count: dict[Any, int] = {}
        self.idx2name = dict(param_idx2name or {})
        self.param_dict = dict(param_dict or {})
        self.set_lr_mult({})
        self.set_wd_mult({})

    @staticmethod
    def register(klass: type) -> type:
        """Register an optimizer class under its lower-cased name (a decorator)."""
        if not isinstance(klass, type):
            raise TypeError(f"register: expected an Optimizer class, got {type(klass).__name__}.")
        name = klass.__name__.lower()
        old = Optimizer.opt_registry.get(name)
        if old is not None and old is not klass:
            warnings.warn(
                f"WARNING: New optimizer {klass.__module__}.{klass.__name__} is overriding "
                f"existing optimizer {old.__module__}.{old.__name__}",
                stacklevel=2,
            )
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> Optimizer:
        """An instance of the optimizer registered as ``name`` (case-insensitive), made with
        ``kwargs``; an unknown name raises ``ValueError`` listing the registered ones."""
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise ValueError(
                f"Cannot find optimizer {name!r}; registered: {sorted(Optimizer.opt_registry)}."
            )
        return klass(**kwargs)

    @property
    def learning_rate(self) -> float:
        """The current learning rate: the scheduler's value at ``num_update`` when there is
        a scheduler, else the fixed rate."""
        return self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr

    def set_learning_rate(self, lr: float) -> None:
        """Set a fixed learning rate; refused (as in MXNet) when an ``lr_scheduler`` sets it."""
        if self.lr_scheduler is not None:
            raise UserWarning(
                "LRScheduler of the optimizer has already been defined. Note that "
                "set_learning_rate can mutate the value of the learning rate of the optimizer "
                "only when the LRScheduler of the optimizer is undefined."
            )
        self.lr = lr

    def set_lr_mult(self, args_lr_mult: dict) -> None:
        """Learning-rate multipliers by index or by name (``param_idx2name``). In Gluon the
        Trainer's live ``Parameter.lr_mult`` wins over these."""
        self.lr_mult = dict(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """Weight-decay multipliers by index or name. As in MXNet, names from
        ``param_idx2name`` that end neither in ``_weight`` nor ``_gamma`` get 0 first (the
        Module API's "no decay on biases"); Gluon's Trainer passes no names, so there every
        parameter decays unless its ``wd_mult`` is 0."""
        self.wd_mult = {
            n: 0.0 for n in self.idx2name.values() if not n.endswith(("_weight", "_gamma"))
        }
        self.wd_mult.update(args_wd_mult)

    def _update_count(self, index: Any) -> None:
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            self._index_update_count[idx] = (
                self._index_update_count.get(idx, self.begin_num_update) + 1
            )
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _mult(self, index: Any, attr: str) -> float:
        # MXNet's lookup order: the Parameter (Gluon), the index, then the index's name.
        if index in self.param_dict:
            return getattr(self.param_dict[index], attr)
        table = getattr(self, attr)
        if index in table:
            return table[index]
        if index in self.idx2name:
            return table.get(self.idx2name[index], 1.0)
        return 1.0

    def _get_lrs(self, indices: list[Any]) -> list[float]:
        lr = self.learning_rate
        return [lr * self._mult(i, "lr_mult") for i in indices]

    def _get_wds(self, indices: list[Any]) -> list[float]:
        return [self.wd * self._mult(i, "wd_mult") for i in indices]

    def _step_inputs(self, indices: list[Any]) -> np.ndarray:
        """What the rule receives as ``t`` for each index, computed on the host after
        ``_update_count``: by default the index's update count (Adam's bias correction).

        This is the hook for rules that need more host-side bookkeeping per update (Nadam's
        momentum schedule, which MXNet advances once per parameter update): such optimizers
        return one row of values per index, and their ``apply`` unpacks ``t``.
        """
        return np.asarray([self._index_update_count[i] for i in indices], np.float32)

    def _get_lr(self, index: Any) -> float:
        return self._get_lrs([index])[0]

    def _get_wd(self, index: Any) -> float:
        return self._get_wds([index])[0]

    # ---- the fused path -----------------------------------------------------------------------
    # Where the float32 master copy sits in a multi-precision state: MXNet's base class keeps
    # (master, state), SGD-like optimizers (state, master).
    _master_first = True

    def rule(self) -> Rule:
        """The pure update rule (subclasses implement ``_rule``), with MXNet's float32 master
        copy for float16 weights when ``multi_precision``."""
        inner = self._rule()
        if not self.multi_precision:
            return inner
        return _multi_precision(inner, self._master_first)

    def _rule(self) -> Rule:
        raise NotImplementedError(f"{type(self).__name__} has no fused update rule.")

    def fused(self) -> bool:
        """Whether the Trainer may use ``rule()`` (not when a subclass overrides ``update``;
        gluax's own optimizers mark the ``update`` they override for MXNet's per-parameter API
        with ``_same_rule = True``)."""
        update = type(self).update
        same = update is Optimizer.update or getattr(update, "_same_rule", False)
        return bool(same) and type(self)._rule is not Optimizer._rule

    def to_optax(self) -> optax.GradientTransformationExtraArgs:
        """This optimizer as an optax transformation with MXNet's exact update rule.

        ``init(params)`` gives ``(count, per-leaf states)``; ``update(grads, state, params,
        *, lr=None, wd=None, rescale=None)`` returns ``(updates, state)`` for
        ``optax.apply_updates``. ``lr`` and ``wd`` are scalars or pytrees like ``params``
        (per-parameter multipliers already applied), by default this optimizer's
        ``learning_rate`` and ``wd``; ``rescale`` defaults to ``rescale_grad``. Python numbers
        are constants of a ``jax.jit`` trace: pass arrays to change them without recompiling
        (e.g. ``lr=jnp.float32(scheduler(step))`` for a schedule). The update count ``t``
        (Adam's bias correction) is kept in the state, starting at ``begin_num_update``;
        ``t=`` overrides it (for rules whose ``_step_inputs`` carry more than the count).
        """
        rule = self.rule()

        def init(params: Any) -> Any:
            count = jnp.asarray(self.begin_num_update, jnp.int32)
            return count, jax.tree_util.tree_map(rule.init, params)

        def update(
            grads: Any,
            state: Any,
            params: Any = None,
            *,
            lr: Any = None,
            wd: Any = None,
            rescale: Any = None,
            t: Any = None,
            **_: Any,
        ) -> Any:
            if params is None:
                raise ValueError(
                    f"{type(self).__name__}.to_optax(): update needs params (MXNet's rules "
                    "read the weight for weight decay)."
                )
            count, states = state
            count = count + 1
            t = count if t is None else t
            leaves, tree = jax.tree_util.tree_flatten(params)
            lr = self.learning_rate if lr is None else lr
            wd = self.wd if wd is None else wd
            rescale = self.rescale_grad if rescale is None else rescale

            def per_leaf(v: Any) -> list[Any]:
                if jax.tree_util.tree_structure(v).num_leaves == 1 and not isinstance(
                    v, (dict, list, tuple)
                ):
                    return [v] * len(leaves)
                return tree.flatten_up_to(v)

            out = [
                rule.apply(w, g, st, a, b, rescale, t)
                for w, g, st, a, b in zip(
                    leaves,
                    tree.flatten_up_to(grads),
                    tree.flatten_up_to(states),
                    per_leaf(lr),
                    per_leaf(wd),
                )
            ]
            updates = tree.unflatten([(nw - w).astype(w.dtype) for (nw, _), w in zip(out, leaves)])
            return updates, (count, tree.unflatten([st for _, st in out]))

        return optax.GradientTransformationExtraArgs(init, update)

    # ---- MXNet's per-parameter API ------------------------------------------------------------
    def create_state(self, index: Any, weight: NDArray) -> Any:
        """The state for ``weight`` as NDArrays (None when the rule keeps none)."""
        state = self._rule().init(weight.data)
        if not jax.tree_util.tree_leaves(state):
            return None
        return jax.tree_util.tree_map(lambda s: NDArray(s, weight.context), state)

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        """As ``create_state``, plus a float32 master copy of a float16 weight when
        ``multi_precision``."""
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            inner = self.create_state(index, master)
            return (master, inner) if self._master_first else (inner, master)
        return self.create_state(index, weight)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        """Update ``weight`` (and the NDArrays of ``state``) in place, as MXNet's
        per-parameter API."""
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        is_nd = lambda s: isinstance(s, NDArray)  # noqa: E731
        raw = (
            () if state is None else jax.tree_util.tree_map(lambda s: s.data, state, is_leaf=is_nd)
        )
        t = self._step_inputs([index])[0]
        new_w, new_s = self._rule().apply(weight.data, grad.data, raw, lr, wd, self.rescale_grad, t)
        weight._set_value(new_w.astype(weight.data.dtype))
        for s, v in zip(
            jax.tree_util.tree_leaves(state, is_leaf=is_nd), jax.tree_util.tree_leaves(new_s)
        ):
            s._set_value(v.astype(s.data.dtype))

    def update_multi_precision(
        self, index: Any, weight: NDArray, grad: NDArray, state: Any
    ) -> None:
        """``update``, on the float32 master copy for a float16 weight when
        ``multi_precision`` (the weight then gets the master copy cast back)."""
        if self.multi_precision and weight.dtype == np.float16:
            master, inner = state if self._master_first else state[::-1]
            self.update(index, master, grad.astype(np.float32), inner)
            weight._set_value(master.data.astype(weight.data.dtype))
            return
        self.update(index, weight, grad, state)

    def __getstate__(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d.pop("param_dict", None)
        return d


def _multi_precision(inner: Rule, master_first: bool) -> Rule:
    """Wrap a rule so that float16 weights are updated through a float32 master copy."""

    def init(w: Any) -> Any:
        if w.dtype != jnp.float16:
            return inner.init(w)
        master = w.astype(jnp.float32)
        return (master, inner.init(master)) if master_first else (inner.init(master), master)

    def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
        if w.dtype != jnp.float16:
            return inner.apply(w, g, state, lr, wd, rescale, t)
        master, st = state if master_first else state[::-1]
        f32 = jnp.float32
        master, st = inner.apply(
            master,
            g.astype(f32),
            st,
            jnp.asarray(lr, f32),
            jnp.asarray(wd, f32),
            jnp.asarray(rescale, f32),
            t,
        )
        return master.astype(w.dtype), ((master, st) if master_first else (st, master))

    return Rule(init, apply)


class Updater:
    """MXNet's ``Updater``: applies an optimizer's per-parameter ``update`` to
    ``(index, grad, weight)`` and keeps each index's state (``mx.optimizer.get_updater``).

    Raises
    ------
    NotImplementedError
        ``get_states`` / ``set_states``: MXNet stores them as pickles, which run code when
        loaded. Use ``gluon.Trainer.save_states`` / ``load_states``.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.states: dict[Any, Any] = {}

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        many = isinstance(index, (list, tuple))
        indices, grads, weights = (index, grad, weight) if many else ([index], [grad], [weight])
        for i, g, w in zip(indices, grads, weights):
            if i not in self.states:
                self.states[i] = self.optimizer.create_state_multi_precision(i, w)
            self.optimizer.update_multi_precision(i, w, g, self.states[i])

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        """Not available: MXNet pickles the states (see the class notes)."""
        raise NotImplementedError(
            "Updater.get_states pickles states in MXNet; gluax does not write pickles. Use "
            "gluon.Trainer.save_states / load_states."
        )

    def set_states(self, states: bytes) -> None:
        """Not available: MXNet unpickles the states (see the class notes)."""
        raise NotImplementedError(
            "Updater.set_states unpickles states in MXNet, which runs code from the file; "
            "gluax does not. Use gluon.Trainer.save_states / load_states."
        )


def get_updater(optimizer: Optimizer) -> Updater:
    """An ``Updater`` for ``optimizer`` (``mx.optimizer.get_updater``)."""
    return Updater(optimizer)


register = Optimizer.register


def create(name: str | Optimizer, **kwargs: Any) -> Optimizer:
    """An optimizer by registered name (``'sgd'``, ``'adam'``, ...; case-insensitive) with
    its constructor arguments; an ``Optimizer`` instance passes through."""
    if isinstance(name, Optimizer):
        if kwargs:
            raise TypeError(
                f"create: {type(name).__name__} is already an instance; got extra arguments "
                f"{sorted(kwargs)}."
            )
        return name
    if not isinstance(name, str):
        raise TypeError(
            f"create: expected an optimizer name or instance, got {type(name).__name__}."
        )
    return Optimizer.create_optimizer(name, **kwargs)


@register
class SGD(Optimizer):
    """SGD with momentum and weight decay, as MXNet 1.9.1::

        g = clip(rescale_grad * grad, clip_gradient)
        mom = momentum * mom - lr * wd * weight - lr * g      # momentum > 0
        weight = weight + mom
        weight = weight - lr * (g + wd * weight)               # momentum == 0

    (MXNet clips ``rescale_grad * grad`` only, not the weight-decay term.)
    """

    _master_first = False

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update

    def _rule(self) -> Rule:
        m, clip = self.momentum, self.clip_gradient

        def init(w: Any) -> Any:
            return jnp.zeros_like(w) if m else ()

        def apply(w: Any, g: Any, mom: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            g = _clip(rescale * g, clip)
            if m:
                mom = m * mom - lr * wd * w - lr * g
                return w + mom, mom
            return w - lr * (g + wd * w), mom

        return Rule(init, apply)


@register
class NAG(Optimizer):
    """Nesterov accelerated gradient, as MXNet 1.9.1's Trainer computes it (checked by
    probing ``nag_mom_update``)::

        g = clip(rescale_grad * grad, clip_gradient)
        v = momentum * mom - lr * (g + wd * weight)
        new_weight = weight + momentum * v - lr * (g + wd * weight)
        mom = momentum * mom - lr * (g + wd * new_weight)

    The last line is an MXNet quirk kept for identical numbers: the optimizer updates the
    weight in place first, so the stored momentum sees the new weight's decay term.
    """

    _master_first = False

    def __init__(self, momentum: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum

    def _rule(self) -> Rule:
        m, clip = self.momentum, self.clip_gradient

        def init(w: Any) -> Any:
            return jnp.zeros_like(w) if m else ()

        def apply(w: Any, g: Any, mom: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            if m:
                g = _clip(rescale * g, clip)
                v = m * mom - lr * (g + wd * w)
                new = w + m * v - lr * (g + wd * w)
                return new, m * mom - lr * (g + wd * new)
            return w - lr * (_clip(rescale * g, clip) + wd * w), mom

        return Rule(init, apply)


@register
class Adam(Optimizer):
    """Adam, as MXNet 1.9.1 (bias correction folded into the learning rate, epsilon not
    corrected)::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
        weight = weight - lr_t * m / (sqrt(v) + epsilon)
    """

    default_lr = 0.001

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        lazy_update: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon, self.lazy_update = beta1, beta2, epsilon, lazy_update

    def _rule(self) -> Rule:
        b1, b2, eps, clip = self.beta1, self.beta2, self.epsilon, self.clip_gradient

        def init(w: Any) -> Any:
            return (jnp.zeros_like(w), jnp.zeros_like(w))

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            m, v = state
            g = _clip(rescale * g + wd * w, clip)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * jnp.square(g)
            lr_t = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
            return w - lr_t * m / (jnp.sqrt(v) + eps), (m, v)

        return Rule(init, apply)


@register
class RMSProp(Optimizer):
    """RMSProp, as MXNet 1.9.1 (``centered=False``, Tieleman & Hinton; epsilon inside the
    square root)::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        n = (1 - gamma1) * g**2 + gamma1 * n
        weight = weight - lr * g / sqrt(n + epsilon)

    With ``centered=True`` (Graves 2013)::

        n = (1 - gamma1) * g**2 + gamma1 * n
        gm = (1 - gamma1) * g + gamma1 * gm
        delta = gamma2 * delta - lr * g / sqrt(n - gm**2 + epsilon)
        weight = weight + delta

    ``clip_weights`` clips the weight to ``[-clip_weights, clip_weights]`` afterwards.
    """

    default_lr = 0.001

    def __init__(
        self,
        learning_rate: float = 0.001,
        gamma1: float = 0.9,
        gamma2: float = 0.9,
        epsilon: float = 1e-8,
        centered: bool = False,
        clip_weights: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1, self.gamma2, self.epsilon = gamma1, gamma2, epsilon
        self.centered, self.clip_weights = centered, clip_weights

    def _rule(self) -> Rule:
        g1, g2, eps, clip, cw, centered = (
            self.gamma1,
            self.gamma2,
            self.epsilon,
            self.clip_gradient,
            self.clip_weights,
            self.centered,
        )

        def init(w: Any) -> Any:
            z = jnp.zeros_like(w)
            return (z, z, z) if centered else z

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            g = _clip(rescale * g + wd * w, clip)
            if centered:
                n, gm, delta = state
                n = (1 - g1) * jnp.square(g) + g1 * n
                gm = (1 - g1) * g + g1 * gm
                delta = g2 * delta - lr * g / jnp.sqrt(n - jnp.square(gm) + eps)
                new, state = w + delta, (n, gm, delta)
            else:
                n = (1 - g1) * jnp.square(g) + g1 * state
                new, state = w - lr * g / jnp.sqrt(n + eps), n
            if cw:
                new = jnp.clip(new, -cw, cw)
            return new, state

        return Rule(init, apply)

    def create_state(self, index: Any, weight: NDArray) -> Any:
        """MXNet's per-parameter state: ``(n, g, delta)`` when centered, else the 1-tuple
        ``(n,)`` (the Trainer's compiled update keeps ``n`` bare)."""
        state = super().create_state(index, weight)
        return state if self.centered else (state,)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        """As :meth:`Optimizer.update`, taking MXNet's ``(n,)`` state when not centered."""
        if not self.centered and isinstance(state, (tuple, list)) and len(state) == 1:
            state = state[0]
        super().update(index, weight, grad, state)

    update._same_rule = True  # type: ignore[attr-defined]  # the Trainer still fuses rule()


@register
class AdaGrad(Optimizer):
    """AdaGrad, as MXNet 1.9.1 (dense path)::

    g = clip(rescale_grad * grad, clip_gradient)
    history = history + g**2
    weight = weight - lr * (g / sqrt(history + eps) + wd * weight)
    """

    def __init__(self, eps: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def _rule(self) -> Rule:
        eps, clip = self.float_stable_eps, self.clip_gradient

        def init(w: Any) -> Any:
            return jnp.zeros_like(w)

        def apply(w: Any, g: Any, h: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            g = _clip(rescale * g, clip)
            h = h + jnp.square(g)
            return w - lr * (g / jnp.sqrt(h + eps) + wd * w), h

        return Rule(init, apply)
