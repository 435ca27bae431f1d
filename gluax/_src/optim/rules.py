"""``mx.optimizer``: MXNet 1.9.1's optimizers, each an optax transformation with MXNet's exact
update rule, and the ``Optimizer`` classes scripts create by name.

Every rule is a pure per-parameter function ``rule(weight, grad, state, lr, wd, rescale, t)
-> (new_weight, new_state)``: ``lr`` and ``wd`` already include the parameter's ``lr_mult`` /
``wd_mult``, ``rescale`` is ``rescale_grad`` (``1/batch_size`` from ``Trainer.step``) and ``t``
the parameter's update count. They are fed as arrays, so changing them never recompiles.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from gluax._src.engine.ndarray import NDArray


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
    multi_precision : bool, default False. Accepted; float16 weights keep float16 states.

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
        self.lr = self.default_lr if learning_rate is None else learning_rate
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is not None:
            lr_scheduler.base_lr = self.lr
        self.wd = wd
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._index_update_count: dict[int, int] = {}
        self.idx2name = dict(param_idx2name or {})
        self.param_dict = dict(param_dict or {})
        self.lr_mult: dict[Any, float] = {}
        self.wd_mult: dict[Any, float] = {}

    @staticmethod
    def register(klass: type) -> type:
        """Register an optimizer class under its lower-cased name."""
        Optimizer.opt_registry[klass.__name__.lower()] = klass
        return klass

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> Optimizer:
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise ValueError(
                f"Cannot find optimizer {name!r}; registered: {sorted(Optimizer.opt_registry)}."
            )
        return klass(**kwargs)

    @property
    def learning_rate(self) -> float:
        return self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr

    def set_learning_rate(self, lr: float) -> None:
        if self.lr_scheduler is not None:
            raise UserWarning(
                "LRScheduler of the optimizer has already been defined. Note that "
                "set_learning_rate can mutate the value of the learning rate of the optimizer "
                "only when the LRScheduler of the optimizer is undefined."
            )
        self.lr = lr

    def set_lr_mult(self, args_lr_mult: dict) -> None:
        self.lr_mult = dict(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        self.wd_mult = dict(args_wd_mult)

    def _update_count(self, index: Any) -> None:
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            self._index_update_count[idx] = (
                self._index_update_count.get(idx, self.begin_num_update) + 1
            )
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _get_lrs(self, indices: list[Any]) -> list[float]:
        lr = self.learning_rate
        out = []
        for i in indices:
            m = self.param_dict[i].lr_mult if i in self.param_dict else self.lr_mult.get(i, 1.0)
            out.append(lr * m)
        return out

    def _get_wds(self, indices: list[Any]) -> list[float]:
        out = []
        for i in indices:
            m = self.param_dict[i].wd_mult if i in self.param_dict else self.wd_mult.get(i, 1.0)
            out.append(self.wd * m)
        return out

    def _get_lr(self, index: Any) -> float:
        return self._get_lrs([index])[0]

    def _get_wd(self, index: Any) -> float:
        return self._get_wds([index])[0]

    # ---- the fused path -----------------------------------------------------------------------
    def rule(self) -> Rule:
        """The pure update rule (subclasses implement ``_rule``)."""
        return self._rule()

    def _rule(self) -> Rule:
        raise NotImplementedError(f"{type(self).__name__} has no fused update rule.")

    def fused(self) -> bool:
        """Whether the Trainer may use ``rule()`` (not when a subclass overrides ``update``)."""
        return type(self).update is Optimizer.update and type(self)._rule is not Optimizer._rule

    def to_optax(self) -> optax.GradientTransformationExtraArgs:
        """This optimizer as an optax transformation. ``update(grads, state, params, *, lr,
        wd, rescale, t)`` takes per-parameter pytrees of ``lr``/``wd`` and returns updates."""
        rule = self.rule()

        def init(params: Any) -> Any:
            return jax.tree_util.tree_map(rule.init, params)

        def update(
            grads: Any,
            state: Any,
            params: Any = None,
            *,
            lr: Any,
            wd: Any,
            rescale: Any,
            t: Any,
            **_: Any,
        ) -> Any:
            leaves, tree = jax.tree_util.tree_flatten(params)
            g_l = tree.flatten_up_to(grads)
            s_l = tree.flatten_up_to(state)
            lr_l, wd_l, t_l = tree.flatten_up_to(lr), tree.flatten_up_to(wd), tree.flatten_up_to(t)
            out = [
                rule.apply(w, g, s, a, b, rescale, n)
                for w, g, s, a, b, n in zip(leaves, g_l, s_l, lr_l, wd_l, t_l)
            ]
            updates = tree.unflatten([nw - w for (nw, _), w in zip(out, leaves)])
            return updates, tree.unflatten([s for _, s in out])

        return optax.GradientTransformationExtraArgs(init, update)

    # ---- MXNet's per-parameter API ------------------------------------------------------------
    def create_state(self, index: Any, weight: NDArray) -> Any:
        state = self.rule().init(weight.data)
        return jax.tree_util.tree_map(lambda s: NDArray(s, weight.context), state)

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        return self.create_state(index, weight)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        """Update ``weight`` in place (MXNet's per-parameter API)."""
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        raw = jax.tree_util.tree_map(
            lambda s: s.data, state, is_leaf=lambda s: isinstance(s, NDArray)
        )
        new_w, new_s = self.rule().apply(
            weight.data, grad.data, raw, lr, wd, self.rescale_grad, self._index_update_count[index]
        )
        weight._set_value(new_w.astype(weight.data.dtype))
        for s, v in zip(
            jax.tree_util.tree_leaves(state, is_leaf=lambda s: isinstance(s, NDArray)),
            jax.tree_util.tree_leaves(new_s),
        ):
            s._set_value(v)

    def update_multi_precision(
        self, index: Any, weight: NDArray, grad: NDArray, state: Any
    ) -> None:
        self.update(index, weight, grad, state)

    def __getstate__(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d.pop("param_dict", None)
        return d


register = Optimizer.register


def create(name: str | Optimizer, **kwargs: Any) -> Optimizer:
    """An optimizer by registered name (``'sgd'``, ``'adam'``, ...; case-insensitive)."""
    if isinstance(name, Optimizer):
        return name
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
