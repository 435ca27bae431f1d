"""The rest of MXNet 1.9.1's registered optimizers: Signum, Adamax, Nadam, GroupAdaGrad,
AdaDelta, Ftrl, FTML, LAMB, LARS, LBSGD, DCASGD, SGLD and ccSGD.

Each is an :class:`~gluax._src.optim.rules.Optimizer` whose ``_rule()`` is a pure
``Rule(init, apply)`` with MXNet's update, so the Trainer runs it inside its one jitted update.
Two conventions of MXNet are kept per optimizer: optimizers backed by a C++ kernel treat
``clip_gradient`` 0 as "no clipping" (``_clip``), those written in Python in MXNet clip
whenever ``clip_gradient`` is not None (``_clip_set``); and every state array has MXNet's
dtype (some are always float32 in MXNet).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gluax._src.optim.rules import SGD, Optimizer, Rule, _clip, _multi_precision, register


def _clip_set(g: Any, clip: float | None) -> Any:
    # MXNet's Python-side optimizers: ``if clip_gradient is not None`` (0 clips to zero)
    return g if clip is None else jnp.clip(g, -clip, clip)


def _norm(x: Any) -> Any:
    # MXNet's multi_sum_sq squares float16 values in float16 and sums in float32
    sq = x * x if x.dtype == jnp.float16 else jnp.square(x.astype(jnp.float32))
    return jnp.sqrt(jnp.sum(sq.astype(jnp.float32)))


@register
class Signum(Optimizer):
    """signSGD / Signum (MXNet's ``signum``), as MXNet 1.9.1's ``signum_update`` kernel::

        g = clip(rescale_grad * grad, clip_gradient)
        mom = momentum * mom - (1 - momentum) * (wd * weight + g)
        weight = (1 - lr * wd_lh) * weight + lr * sign(mom)

    With ``momentum=0`` (``signsgd_update``, no state):
    ``weight = (1 - lr * wd) * weight - lr * sign(g)``.

    Parameters
    ----------
    learning_rate : float, default 0.01
    momentum : float, default 0.9
    wd_lh : float, default 0.0. Decoupled weight decay (applied to the weight directly).
    **kwargs : see :class:`Optimizer`.
    """

    def __init__(
        self, learning_rate: float = 0.01, momentum: float = 0.9, wd_lh: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def _rule(self) -> Rule:
        m, clip, wd_lh = self.momentum, self.clip_gradient, self.wd_lh

        def init(w: Any) -> Any:
            return jnp.zeros_like(w) if m != 0.0 else ()

        def apply(w: Any, g: Any, mom: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            g = _clip(rescale * g, clip)
            if m != 0.0:
                mom = m * mom - (1 - m) * wd * w - (1 - m) * g
                return (1 - lr * wd_lh) * w + lr * jnp.sign(mom), mom
            return (1 - lr * wd) * w - lr * jnp.sign(g), mom

        return Rule(init, apply)


@register
class Adamax(Optimizer):
    """AdaMax (Adam with the infinity norm), as MXNet 1.9.1::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        m = beta1 * m + (1 - beta1) * g
        u = maximum(beta2 * u, abs(g))
        weight = weight - lr / (1 - beta1**t) * m / u

    Parameters
    ----------
    learning_rate : float, default 0.002
    beta1 : float, default 0.9
    beta2 : float, default 0.999
    **kwargs : see :class:`Optimizer`.
    """

    default_lr = 0.002

    def __init__(
        self, learning_rate: float = 0.002, beta1: float = 0.9, beta2: float = 0.999, **kwargs: Any
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2 = beta1, beta2

    def _rule(self) -> Rule:
        b1, b2, clip = self.beta1, self.beta2, self.clip_gradient

        def init(w: Any) -> Any:
            return (jnp.zeros_like(w), jnp.zeros_like(w))

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            m, u = state
            g = _clip_set(rescale * g + wd * w, clip)
            m = b1 * m + (1 - b1) * g
            u = jnp.maximum(b2 * u, jnp.abs(g))
            return w - lr / (1 - b1**t) * m / u, (m, u)

        return Rule(init, apply)


@register
class Nadam(Optimizer):
    """Adam with Nesterov momentum, as MXNet 1.9.1::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        mu_t = beta1 * (1 - 0.5 * 0.96**(t * schedule_decay))      (mu_t1: the same at t + 1)
        m_schedule = m_schedule * mu_t
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2
        m_bar = (1 - mu_t) * g / (1 - m_schedule) + mu_t1 * m / (1 - m_schedule * mu_t1)
        weight = weight - lr * m_bar / (sqrt(v / (1 - beta2**t)) + epsilon)

    ``m_schedule`` is ONE number of the optimizer that every parameter update advances (as in
    MXNet), so it is kept on the host: ``_step_inputs`` hands each update the row
    ``(t, m_schedule)``. The per-parameter API (``update``, ``get_updater``) passes it; a
    caller that passes only the update count gets a clear error.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta1 : float, default 0.9
    beta2 : float, default 0.999
    epsilon : float, default 1e-8
    schedule_decay : float, default 0.004
    **kwargs : see :class:`Optimizer`.
    """

    default_lr = 0.001

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        schedule_decay: float = 0.004,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.0

    def _mu(self, t: Any) -> Any:
        return self.beta1 * (1.0 - 0.5 * 0.96 ** (t * self.schedule_decay))

    def _step_inputs(self, indices: list[Any]) -> np.ndarray:
        rows = []
        for i in indices:
            t = self._index_update_count[i]
            self.m_schedule = self.m_schedule * self._mu(t)
            rows.append((t, self.m_schedule))
        return np.asarray(rows, np.float32)

    def _rule(self) -> Rule:
        b1, b2, eps, clip = self.beta1, self.beta2, self.epsilon, self.clip_gradient

        def init(w: Any) -> Any:
            return (jnp.zeros_like(w), jnp.zeros_like(w))

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            row = jnp.asarray(t)
            if row.ndim != 1 or row.shape[0] != 2:
                raise NotImplementedError(
                    "Nadam: the update needs the row (t, m_schedule) from "
                    "Optimizer._step_inputs (MXNet's momentum schedule is one number shared by "
                    f"all parameters), got t of shape {row.shape}. Use the per-parameter API "
                    "(mx.optimizer.get_updater) or a Trainer that passes _step_inputs."
                )
            t, sched = row[0], row[1]
            m, v = state
            g = _clip_set(rescale * g + wd * w, clip)
            mu_t, mu_t1 = self._mu(t), self._mu(t + 1)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_bar = (1 - mu_t) * g / (1 - sched) + mu_t1 * m / (1 - sched * mu_t1)
            return w - lr * m_bar / (jnp.sqrt(v / (1 - b2**t)) + eps), (m, v)

        return Rule(init, apply)


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one accumulator per row of a 2-D weight (MXNet's contrib
    ``groupadagrad``), as MXNet 1.9.1's dense update::

        g = clip(rescale_grad * grad, clip_gradient)
        history = history + mean(g**2, axis=1, keepdims=True)      # shape (rows, 1), float32
        weight = weight - lr * g / sqrt(history + eps)

    Weight decay is not supported (as in MXNet): a non-zero ``wd`` for a parameter raises.

    Parameters
    ----------
    eps : float, default 1e-5
    **kwargs : see :class:`Optimizer`.
    """

    def __init__(self, eps: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def _get_wds(self, indices: list[Any]) -> list[float]:
        wds = super()._get_wds(indices)
        bad = [(i, w) for i, w in zip(indices, wds) if w != 0]
        if bad:
            raise ValueError(
                f"GroupAdaGrad: weight decay is not supported; got wd {bad[0][1]} for parameter "
                f"index {bad[0][0]!r} (set wd=0 or the parameter's wd_mult=0)."
            )
        return wds

    def _rule(self) -> Rule:
        eps, clip = self.float_stable_eps, self.clip_gradient

        def init(w: Any) -> Any:
            if w.ndim != 2:
                raise ValueError(
                    f"GroupAdaGrad: weights must be 2-D (one learning rate per row), got shape "
                    f"{tuple(w.shape)}."
                )
            return jnp.zeros((w.shape[0], 1), jnp.float32)

        def apply(w: Any, g: Any, h: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            g = _clip_set(rescale * g, clip)
            h = h + jnp.mean(jnp.square(g), axis=1, keepdims=True)
            return w - lr * g / jnp.sqrt(h + eps), h

        return Rule(init, apply)


@register
class AdaDelta(Optimizer):
    """AdaDelta, as MXNet 1.9.1 (the learning rate is not used; states are float32)::

        g = clip(rescale_grad * grad, clip_gradient)
        acc_g = rho * acc_g + (1 - rho) * g**2
        delta = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        weight = weight - (delta + wd * weight)

    Parameters
    ----------
    rho : float, default 0.9
    epsilon : float, default 1e-5
    **kwargs : see :class:`Optimizer`.
    """

    def __init__(self, rho: float = 0.90, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rho, self.epsilon = rho, epsilon

    def _rule(self) -> Rule:
        rho, eps, clip = self.rho, self.epsilon, self.clip_gradient

        def init(w: Any) -> Any:
            return (jnp.zeros(w.shape, jnp.float32), jnp.zeros(w.shape, jnp.float32))

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            acc_g, acc_d = state
            g = _clip_set(rescale * g, clip)
            acc_g = rho * acc_g + (1 - rho) * g * g
            delta = jnp.sqrt(acc_d + eps) / jnp.sqrt(acc_g + eps) * g
            acc_d = rho * acc_d + (1 - rho) * delta * delta
            return w - (delta + wd * w), (acc_g, acc_d)

        return Rule(init, apply)


@register
class Ftrl(Optimizer):
    """FTRL-Proximal, as MXNet 1.9.1's ``ftrl_update`` (states z, n are float32)::

        g = clip(rescale_grad * grad, clip_gradient)
        z = z + g - (sqrt(n + g**2) - sqrt(n)) * weight / lr
        n = n + g**2
        weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (abs(z) > lamda1)

    Parameters
    ----------
    lamda1 : float, default 0.01. L1 regularization.
    learning_rate : float, default 0.1
    beta : float, default 1
    **kwargs : see :class:`Optimizer`.
    """

    default_lr = 0.1

    def __init__(
        self, lamda1: float = 0.01, learning_rate: float = 0.1, beta: float = 1, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.lamda1, self.beta = lamda1, beta
        self.lr = learning_rate  # MXNet sets it after the base class (a scheduler keeps its base_lr)

    def _rule(self) -> Rule:
        l1, beta, clip = self.lamda1, self.beta, self.clip_gradient

        def init(w: Any) -> Any:
            return (jnp.zeros(w.shape, jnp.float32), jnp.zeros(w.shape, jnp.float32))

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            z, n = state
            g = _clip(rescale * g, clip)
            z = z + g - (jnp.sqrt(n + g * g) - jnp.sqrt(n)) * w / lr
            n = n + g * g
            new = (jnp.sign(z) * l1 - z) / ((beta + jnp.sqrt(n)) / lr + wd) * (jnp.abs(z) > l1)
            return new.astype(w.dtype), (z, n)

        return Rule(init, apply)


@register
class FTML(Optimizer):
    """Follow the Moving Leader, as MXNet 1.9.1's ``ftml_update``::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        v = beta2 * v + (1 - beta2) * g**2
        d_t = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + epsilon)
        z = beta1 * z + (1 - beta1) * g - (d_t - beta1 * d) * weight
        d = d_t;  weight = -z / d_t

    Parameters
    ----------
    beta1 : float, default 0.6
    beta2 : float, default 0.999
    epsilon : float, default 1e-8
    **kwargs : see :class:`Optimizer`.
    """

    def __init__(
        self, beta1: float = 0.6, beta2: float = 0.999, epsilon: float = 1e-8, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def _rule(self) -> Rule:
        b1, b2, eps, clip = self.beta1, self.beta2, self.epsilon, self.clip_gradient

        def init(w: Any) -> Any:
            return (jnp.zeros_like(w), jnp.zeros_like(w), jnp.zeros_like(w))

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            d, v, z = state
            g = _clip(rescale * g + wd * w, clip)
            v = b2 * v + (1 - b2) * g * g
            d_t = (1 - b1**t) / lr * (jnp.sqrt(v / (1 - b2**t)) + eps)
            z = b1 * z + (1 - b1) * g - (d_t - b1 * d) * w
            return -z / d_t, (d_t, v, z)

        return Rule(init, apply)


@register
class LAMB(Optimizer):
    """LAMB, as MXNet 1.9.1's ``lamb_update_phase1`` / ``phase2``::

        g = clip(rescale_grad * grad, clip_gradient)
        mean = beta1 * mean + (1 - beta1) * g;  var = beta2 * var + (1 - beta2) * g**2
        u = mean_hat / (sqrt(var_hat) + epsilon) + wd * weight
            (mean_hat = mean / (1 - beta1**t), var_hat = var / (1 - beta2**t) with
             bias_correction, else mean and var)
        r1 = clip(norm(weight), lower_bound, upper_bound);  r2 = norm(u)
        weight = weight - lr * (r1 / r2 if r1 > 0 and r2 > 0 else 1) * u

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta1 : float, default 0.9
    beta2 : float, default 0.999
    epsilon : float, default 1e-6
    lower_bound, upper_bound : float, optional. Bounds of the weight norm r1.
    bias_correction : bool, default True
    **kwargs : see :class:`Optimizer`.
    """

    default_lr = 0.001

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-6,
        lower_bound: float | None = None,
        upper_bound: float | None = None,
        bias_correction: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.lower_bound, self.upper_bound = lower_bound, upper_bound
        self.bias_correction = bias_correction

    def _core(self) -> Any:
        b1, b2, eps, clip = self.beta1, self.beta2, self.epsilon, self.clip_gradient
        lo, hi, bias = self.lower_bound, self.upper_bound, self.bias_correction

        def init(w: Any) -> Any:
            return (jnp.zeros_like(w), jnp.zeros_like(w))

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any, wn: Any) -> Any:
            mean, var = state
            g = _clip(rescale * g, clip)
            mean = b1 * mean + (1 - b1) * g
            var = b2 * var + (1 - b2) * g * g
            if bias:
                u = (mean / (1 - b1**t)) / (jnp.sqrt(var / (1 - b2**t)) + eps) + wd * w
            else:
                u = mean / (jnp.sqrt(var) + eps) + wd * w
            r1, r2 = _norm(wn), _norm(u)
            if lo:
                r1 = jnp.maximum(r1, lo)
            if hi:
                r1 = jnp.minimum(r1, hi)
            ratio = jnp.where((r1 == 0) | (r2 == 0), 1.0, r1 / jnp.where(r2 == 0, 1.0, r2))
            return w - (lr * ratio).astype(w.dtype) * u, (mean, var)

        return init, apply

    def _rule(self) -> Rule:
        return _norm_rule(self._core())

    def rule(self) -> Rule:
        """As :meth:`Optimizer.rule`; with ``multi_precision`` the weight norm is of the
        float16 weight (as MXNet's multi-tensor kernel) while the update runs on the float32
        master copy."""
        if not self.multi_precision:
            return self._rule()
        return _norm_rule_mp(self._core(), master_first=True)


def _norm_rule(core: Any) -> Rule:
    init, apply_core = core

    def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
        return apply_core(w, g, state, jnp.asarray(lr), wd, rescale, t, w)

    return Rule(init, apply)


def _norm_rule_mp(core: Any, master_first: bool) -> Rule:
    """Multi-precision rule whose norms read the float16 weight itself (LAMB, LARS)."""
    init, apply_core = core
    plain = _multi_precision(_norm_rule(core), master_first)

    def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
        if w.dtype != jnp.float16:
            return plain.apply(w, g, state, lr, wd, rescale, t)
        master, st = state if master_first else state[::-1]
        f32 = jnp.float32
        master, st = apply_core(
            master,
            g.astype(f32),
            st,
            jnp.asarray(lr, f32),
            jnp.asarray(wd, f32),
            jnp.asarray(rescale, f32),
            t,
            w,
        )
        return master.astype(w.dtype), ((master, st) if master_first else (st, master))

    return Rule(plain.init, apply)


def _sgd_step(w: Any, g: Any, mom: Any, lr: Any, wd: Any, momentum: Any) -> Any:
    """MXNet's sgd_update / sgd_mom_update on an already rescaled and clipped gradient."""
    if mom is None:
        return (1 - lr * wd) * w - lr * g, None
    mom = momentum * mom - lr * wd * w - lr * g
    return w + mom, mom


@register
class LARS(Optimizer):
    """LARS (layer-wise adaptive rate scaling) on SGD, as MXNet 1.9.1::

        lr_layer = lr * eta * |w| / (rescale_grad * |grad| + wd * |w| + eps)
                   (lr itself when |w| or |grad| is 0, or for parameters named *gamma, *beta,
                    *bias in ``param_idx2name``)
        then SGD (with momentum) with lr_layer, rescale_grad, clip_gradient and wd

    With ``momentum_correction`` the momentum is scaled by ``lr / last_lr`` when the learning
    rate changed since the previous update: gluax keeps the previous learning rate in the
    state, so the state is ``(mom, last_lr)`` then (MXNet: ``mom``). MXNet tracks it on the
    optimizer, once per aggregated call: with more than 4 parameters, or through the
    per-parameter API, MXNet corrects only the first parameter(s) of the step where the
    rate changes; gluax corrects every parameter.

    Parameters
    ----------
    momentum : float, default 0.0
    lazy_update : bool, default True (dense gradients: no effect)
    eta : float, default 0.001
    eps : float, default 0
    momentum_correction : bool, default True
    **kwargs : see :class:`Optimizer`.
    """

    _master_first = False

    def __init__(
        self,
        momentum: float = 0.0,
        lazy_update: bool = True,
        eta: float = 0.001,
        eps: float = 0,
        momentum_correction: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.momentum, self.lazy_update = momentum, lazy_update
        self.eta, self.eps, self.momentum_correction = eta, eps, momentum_correction
        self.skip = 0
        self._skip_now = False

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """As :meth:`Optimizer.set_wd_mult`, but only names ending in ``_weight`` decay."""
        self.wd_mult = {n: 0.0 for n in self.idx2name.values() if not n.endswith("_weight")}
        self.wd_mult.update(args_wd_mult)

    def _skips(self, index: Any) -> bool:
        name = self.idx2name.get(index, str(index))
        return name.endswith(("gamma", "beta", "bias"))

    def fused(self) -> bool:
        """The fused rule serves every parameter unless ``param_idx2name`` names some that
        skip the LARS scaling (then the per-parameter path runs)."""
        return not any(self._skips(i) for i in self.idx2name)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._skip_now = self._skips(index)
        try:
            super().update(index, weight, grad, state)
        finally:
            self._skip_now = False

    def _core(self) -> Any:
        m, clip, eta, eps = self.momentum, self.clip_gradient, self.eta, self.eps
        correct, skip = self.momentum_correction, self._skip_now

        def init(w: Any) -> Any:
            if m == 0.0:
                return ()
            return (jnp.zeros_like(w), jnp.zeros((), jnp.float32)) if correct else jnp.zeros_like(w)

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any, w_norm: Any) -> Any:
            base_lr = lr
            if not skip:
                wn, gn = _norm(w_norm), _norm(g)
                lars = eta * wn / (rescale * gn + wd * wn + eps)
                lr = lr * jnp.where((wn > 0) & (gn > 0), lars, 1.0).astype(lr.dtype)
            g = _clip(rescale * g, clip)
            if m == 0.0:
                return _sgd_step(w, g, None, lr, wd, m)[0], state
            if not correct:
                return _sgd_step(w, g, state, lr, wd, m)
            mom, last = state
            last_ok = last != 0
            mu = jnp.where(last_ok, m * base_lr / jnp.where(last_ok, last, 1.0), m)
            new, mom = _sgd_step(w, g, mom, lr, wd, mu.astype(w.dtype))
            return new, (mom, jnp.asarray(base_lr, jnp.float32))

        return init, apply

    def _rule(self) -> Rule:
        return _norm_rule(self._core())

    def rule(self) -> Rule:
        """As :meth:`Optimizer.rule`; with ``multi_precision`` the norm is of the float16
        weight (as MXNet) while the update runs on the float32 master copy."""
        if not self.multi_precision:
            return self._rule()
        return _norm_rule_mp(self._core(), master_first=False)


@register
class LBSGD(Optimizer):
    """Large-batch SGD, as MXNet 1.9.1: gradients are summed over ``batch_scale`` updates
    and every ``batch_scale``-th update applies SGD (with momentum) to their mean, with the
    learning rate times a warm-up multiplier::

        num_cums = begin_epoch * updates_per_epoch + (updates of this parameter)
        lbmult = 'lars': clip(sqrt(|w|^2 / (|g|^2 + wd * |w|^2 + 1e-18)), 0.01, 100)
                 'linear' / 'power2' / 'sqrt': 1 + (batch_scale - 1) * f(num_cums / nwup)
                 (batch_scale once num_cums >= nwup = warmup_epochs * updates_per_epoch)

    The learning rate is read BEFORE the update count advances (as in MXNet), so a scheduler
    sees the previous ``num_update``. State: ``mom`` (or none) with ``batch_scale == 1``,
    ``(mom or None, summed gradient)`` otherwise (MXNet keeps the sum on the optimizer; its
    Trainer path aliases the first summand to the gradient buffer, which gluax does not
    reproduce).

    Parameters
    ----------
    momentum : float, default 0.0
    multi_precision : bool, default False
    warmup_strategy : {'linear', 'power2', 'sqrt', 'lars'}, default 'linear'
    warmup_epochs : int, default 5
    batch_scale : int, default 1
    updates_per_epoch : int, default 32
    begin_epoch : int, default 0
    num_epochs : int, default 60
    **kwargs : see :class:`Optimizer`.
    """

    def __init__(
        self,
        momentum: float = 0.0,
        multi_precision: bool = False,
        warmup_strategy: str = "linear",
        warmup_epochs: int = 5,
        batch_scale: int = 1,
        updates_per_epoch: int = 32,
        begin_epoch: int = 0,
        num_epochs: int = 60,
        **kwargs: Any,
    ) -> None:
        super().__init__(multi_precision=multi_precision, **kwargs)
        self.momentum = momentum
        self.warmup_strategy, self.warmup_epochs = warmup_strategy, warmup_epochs
        self.batch_scale, self.updates_per_epoch = batch_scale, updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.lbmult, self.adaptive, self.admult = 1, False, 1
        self._lr_step: dict[Any, int] = {}

    def _update_count(self, index: Any) -> None:
        # remember, per index, the num_update MXNet's _get_lr saw (before this update)
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            self._lr_step[idx] = self.num_update
            super()._update_count(idx)

    def _get_lrs(self, indices: list[Any]) -> list[float]:
        out = []
        for i in indices:
            step = self._lr_step.get(i, self.num_update)
            lr = self.lr_scheduler(step) if self.lr_scheduler is not None else self.lr
            out.append(lr * self._mult(i, "lr_mult"))
        return out

    def _lbmult(self, nup: Any) -> Any:
        nwup = self.warmup_epochs * self.updates_per_epoch
        top, s = float(self.batch_scale), self.warmup_strategy
        if nwup <= 1:
            early: Any = 1.0
        elif s == "linear":
            early = 1.0 + (top - 1) * nup / nwup
        elif s == "power2":
            early = 1.0 + (top - 1) * (nup * nup) / (nwup * nwup)
        elif s == "sqrt":
            early = 1.0 + (top - 1) * jnp.sqrt(nup / nwup)
        else:
            early = 1.0
        return jnp.where(nup >= nwup, top, early)

    def _rule(self) -> Rule:
        m, clip, bs = self.momentum, self.clip_gradient, self.batch_scale
        lars, start = self.warmup_strategy == "lars", self.init_updates - self.begin_num_update

        def init(w: Any) -> Any:
            mom = jnp.zeros_like(w) if m != 0.0 else None
            if bs == 1:
                return () if mom is None else mom
            return (mom, jnp.zeros_like(w))

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            nup = start + t
            if bs == 1:
                mom, cum, due = (None if m == 0.0 else state), g, True
            else:
                mom, cum = state
                cum = cum + g
                due = jnp.mod(nup, bs) == 0
            grad = cum / bs if bs != 1 else cum
            if lars:
                w2, g2 = jnp.sum(w * w), jnp.sum(grad * grad)
                mult = jnp.clip(jnp.sqrt(w2 / (g2 + wd * w2 + 1e-18)), 0.01, 100.0)
            else:
                mult = self._lbmult(nup)
            lr = jnp.asarray(lr)
            lr = lr * jnp.asarray(mult, lr.dtype)
            new, new_mom = _sgd_step(w, _clip(rescale * grad, clip), mom, lr, wd, m)
            if bs == 1:
                return new, (() if m == 0.0 else new_mom)
            new = jnp.where(due, new, w)
            if mom is not None:
                new_mom = jnp.where(due, new_mom, mom)
            return new, (new_mom, jnp.where(due, jnp.zeros_like(cum), cum))

        return Rule(init, apply)


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD, as MXNet 1.9.1 (``momentum=0``)::

        g = clip(rescale_grad * grad, clip_gradient)
        step = -lr * (g + wd * weight + lamda * g * g * (weight - previous_weight))
        previous_weight = weight;  weight = weight + step

    State ``(None, previous_weight)``. With ``momentum > 0`` MXNet 1.9.1 fails on
    multi-element weights (``if mom:`` on an NDArray); gluax applies the paper's rule
    ``mom = momentum * mom + step; weight = weight + mom`` with state ``(mom, previous_weight)``.

    Parameters
    ----------
    momentum : float, default 0.0
    lamda : float, default 0.04
    **kwargs : see :class:`Optimizer`.
    """

    def __init__(self, momentum: float = 0.0, lamda: float = 0.04, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum, self.lamda = momentum, lamda
        self.weight_previous: dict[Any, Any] = {}

    def _rule(self) -> Rule:
        m, lam, clip = self.momentum, self.lamda, self.clip_gradient

        def init(w: Any) -> Any:
            return (jnp.zeros_like(w) if m != 0.0 else None, jnp.array(w, copy=True))

        def apply(w: Any, g: Any, state: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            mom, prev = state
            g = _clip_set(rescale * g, clip)
            step = -lr * (g + wd * w + lam * g * g * (w - prev))
            if m != 0.0:
                mom = m * mom + step
                return w + mom, (mom, w)
            return w + step, (None, w)

        return Rule(init, apply)


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics, as MXNet 1.9.1::

        g = clip(rescale_grad * grad, clip_gradient)
        weight = weight - lr / 2 * (g + wd * weight) + normal(0, sqrt(lr))

    In the Trainer's compiled update the noise matches MXNet in distribution (not sample by
    sample): its random key lives in the state (MXNet: no state), drawn from gluax's global
    generator when the state is created (so ``mx.random.seed`` makes a run repeatable) and
    split on every update. The per-parameter ``update`` (the ``Updater`` API) draws the noise
    as MXNet's does, ``mx.nd.random.normal(0, sqrt(lr), shape=weight.shape,
    dtype=weight.dtype)`` from the global generator at each call, leaving the key alone.

    Parameters
    ----------
    **kwargs : see :class:`Optimizer`.
    """

    def _rule(self) -> Rule:
        clip = self.clip_gradient

        def init(w: Any) -> Any:
            from gluax._src.engine.random import next_key

            return jnp.asarray(next_key())

        def apply(w: Any, g: Any, key: Any, lr: Any, wd: Any, rescale: Any, t: Any) -> Any:
            key, sub = jax.random.split(key)
            g = _clip_set(rescale * g, clip)
            noise = jax.random.normal(sub, w.shape, jnp.float32).astype(w.dtype)
            return w - lr / 2 * (g + wd * w) + jnp.sqrt(lr) * noise, key

        return Rule(init, apply)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        """Update ``weight`` in place, with noise drawn now from the global generator (MXNet's
        per-parameter SGLD: after ``mx.random.seed(s)`` the noise is the sample
        ``mx.nd.random.normal(0, sqrt(lr), shape, dtype)`` would give)."""
        from gluax._src.ops.creation import normal

        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        w = weight.data
        g = _clip_set(grad.data.astype(w.dtype) * self.rescale_grad, self.clip_gradient)
        noise = normal(0, float(np.sqrt(lr)), shape=weight.shape, dtype=weight.dtype,
                       ctx=weight.context)
        weight._set_value((w + (-lr / 2 * (g + wd * w) + noise.data)).astype(w.dtype))

    update._same_rule = True  # type: ignore[attr-defined]  # the Trainer still fuses rule()


@register
class ccSGD(SGD):  # noqa: N801 - MXNet's name
    """Deprecated alias of :class:`SGD` kept by MXNet 1.9.1 (``'ccsgd'``): the same
    arguments and update.

    Parameters
    ----------
    *args, **kwargs : see :class:`SGD`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


__all__ = [
    "AdaDelta",
    "Adamax",
    "DCASGD",
    "FTML",
    "Ftrl",
    "GroupAdaGrad",
    "LAMB",
    "LARS",
    "LBSGD",
    "Nadam",
    "SGLD",
    "Signum",
    "ccSGD",
]
