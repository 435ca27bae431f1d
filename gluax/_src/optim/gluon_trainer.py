"""``gluon.Trainer``: applies an optimizer to a set of Parameters, all in one compiled call."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gluax._src.gluon.parameter import Parameter, ParameterDict
from gluax._src.optim.rules import Optimizer, create

STALE_GRAD = (
    "Gradient of Parameter `{name}` on context {ctx} has not been updated by backward since "
    "last `step`. This could mean a bug in your model that made it only use a subset of the "
    "Parameters (Blocks) for this iteration. If you are intentionally only using a subset, "
    "call step with ignore_stale_grad=True to suppress this warning and skip updating of "
    "Parameters with stale gradient"
)


class Trainer:
    """Applies an optimizer to Parameters (``mxnet.gluon.Trainer``).

    Parameters
    ----------
    params : ParameterDict, dict or list of Parameter
        A dict is ordered by sorted name (the order defines the optimizer's indices).
    optimizer : str, Optimizer, or optax.GradientTransformation
    optimizer_params : dict, optional. Arguments for an optimizer given by name.
    kvstore : str, default 'device'. Single-process stores are accepted; gradients of
        parameters on several contexts are summed before the update.

    Notes
    -----
    ``step`` updates every parameter in one jitted call; learning rates, weight decays (with
    each Parameter's live ``lr_mult``/``wd_mult``), ``rescale_grad`` and update counts are
    inputs of that call, so changing them never recompiles. With an optax transformation the
    gradients are rescaled by ``1/batch_size`` and passed to it unchanged otherwise.
    """

    def __init__(
        self,
        params: Any,
        optimizer: Any,
        optimizer_params: dict | None = None,
        kvstore: Any = "device",
        compression_params: Any = None,
        update_on_kvstore: Any = None,
    ) -> None:
        if isinstance(params, (dict, ParameterDict)):
            params = [params[k] for k in sorted(params.keys())]
        elif not isinstance(params, (list, tuple)):
            raise ValueError(
                f"First argument must be a list or dict of Parameters, got {type(params).__name__}."
            )
        self._params: list[Parameter] = []
        seen: set[int] = set()
        for p in params:
            if not isinstance(p, Parameter):
                raise ValueError(
                    f"First argument must be a list or dict of Parameters, got list of {type(p).__name__}."
                )
            if id(p) in seen:
                continue  # a parameter shared between blocks is updated once
            seen.add(id(p))
            p._check_initialized_or_deferred()
            self._params.append(p)
            p._trainer = self
        if (
            isinstance(kvstore, str)
            and kvstore.startswith("dist")
            and kvstore not in ("dist_sync", "dist_device_sync")
        ):
            raise NotImplementedError(
                f"Trainer(kvstore={kvstore!r}): only synchronous distributed training "
                "(kvstore='dist_sync') is available, on JAX's runtime (gluax.parallel.initialize)."
            )
        # 'dist_sync' sums gradients over the processes of a gluax.parallel.initialize job
        self._dist = isinstance(kvstore, str) and kvstore.startswith("dist")
        self._kvstore = kvstore
        optimizer_params = dict(optimizer_params or {})
        self._optax: optax.GradientTransformation | None = None
        if isinstance(optimizer, optax.GradientTransformation):
            if optimizer_params:
                raise ValueError(
                    "optimizer_params must be empty when optimizer is an optax transformation."
                )
            self._optax = optimizer
            self._optimizer = Optimizer(rescale_grad=1.0)
        elif isinstance(optimizer, Optimizer):
            if optimizer_params:
                raise ValueError(
                    "optimizer_params must be None if optimizer is an instance of Optimizer instead of str"
                )
            self._optimizer = optimizer
        else:
            self._optimizer = create(optimizer, **optimizer_params)
        self._optimizer.param_dict = dict(enumerate(self._params))
        self._scale = self._optimizer.rescale_grad
        self._states: dict[int, Any] = {}
        self._jit_update: Any = None

    # ---- properties ---------------------------------------------------------------------------
    @property
    def optimizer(self) -> Optimizer:
        return self._optimizer

    @property
    def learning_rate(self) -> float:
        return self._optimizer.learning_rate

    def set_learning_rate(self, lr: float) -> None:
        """Set the learning rate (no recompilation: it is an input of the update)."""
        self._optimizer.set_learning_rate(lr)

    # ---- stepping -----------------------------------------------------------------------------
    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """One update: gradients are scaled by ``1/batch_size`` (MXNet's ``rescale_grad``)."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Sum the gradients of parameters kept on several contexts into every copy."""
        for p in self._params:
            if p.grad_req == "null" or p._data is None or len(p._data) < 2:
                continue
            total = self._grad_sum(p)
            for d in p._data:
                d._ag.grad._value = jax.device_put(total, d._ctx.jax_device)

    def update(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """The update half of ``step`` (call ``allreduce_grads`` first)."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad, reduce=False)

    @staticmethod
    def _grad_sum(p: Parameter) -> Any:
        dev = p._data[0]._ctx.jax_device
        total = p._data[0]._ag.grad._value
        for d in p._data[1:]:
            total = total + jax.device_put(d._ag.grad._value, dev)
        return total

    def _update(self, ignore_stale_grad: bool, reduce: bool = True) -> None:
        active: list[int] = []
        for i, p in enumerate(self._params):
            if p.grad_req == "null":
                continue
            if p._data is None:
                p._check_initialized()
            stale = [d for d in p._data if not d._ag.fresh]
            if stale and not ignore_stale_grad:
                raise UserWarning(STALE_GRAD.format(name=p.name, ctx=stale[0].context))
            if stale:
                continue
            active.append(i)
        if not active:
            return
        if not self._optimizer.fused() and self._optax is None:
            self._update_per_parameter(active, reduce)
            return
        weights = [self._params[i]._data[0]._value for i in active]
        grads = [
            self._grad_sum(self._params[i])
            if reduce and len(self._params[i]._data) > 1
            else self._params[i]._data[0]._ag.grad._value
            for i in active
        ]
        if self._dist and jax.process_count() > 1:
            from jax.experimental import multihost_utils

            # MXNet's dist_sync: the gradients of all workers are summed (then rescaled by
            # 1/batch_size of the step call, as on one worker)
            summed = [g.sum(axis=0) for g in multihost_utils.process_allgather(grads)]
            grads = [
                jax.device_put(g, self._params[i]._data[0]._ctx.jax_device)
                for g, i in zip(summed, active)
            ]
        for i, w in zip(active, weights):
            if i not in self._states:
                self._states[i] = self._init_state(w)
        states = [self._states[i] for i in active]
        self._optimizer._update_count(active)
        lrs = np.asarray(self._optimizer._get_lrs(active), dtype=np.float32)
        wds = np.asarray(self._optimizer._get_wds(active), dtype=np.float32)
        ts = np.asarray([self._optimizer._index_update_count[i] for i in active], dtype=np.float32)
        rescale = np.float32(self._optimizer.rescale_grad)
        if self._jit_update is None:
            self._jit_update = jax.jit(self._fused_update)
        new_w, new_s = self._jit_update(weights, grads, states, lrs, wds, rescale, ts)
        for i, w, s in zip(active, new_w, new_s):
            p = self._params[i]
            self._states[i] = s
            for d in p._data:
                d._value = w if d is p._data[0] else jax.device_put(w, d._ctx.jax_device)
                d._ag.fresh = False

    def _init_state(self, w: Any) -> Any:
        if self._optax is not None:
            return self._optax.init(w)
        return self._optimizer.rule().init(w)

    def _fused_update(
        self,
        weights: list[Any],
        grads: list[Any],
        states: list[Any],
        lrs: Any,
        wds: Any,
        rescale: Any,
        ts: Any,
    ) -> Any:
        if self._optax is not None:
            out_w, out_s = [], []
            for w, g, s in zip(weights, grads, states):
                upd, s = self._optax.update(g * rescale, s, w)
                out_w.append(optax.apply_updates(w, upd))
                out_s.append(s)
            return out_w, out_s
        rule = self._optimizer.rule()
        out = [
            rule.apply(
                w,
                g.astype(w.dtype),
                s,
                lrs[k].astype(w.dtype),
                wds[k].astype(w.dtype),
                rescale.astype(w.dtype),
                ts[k],
            )
            for k, (w, g, s) in enumerate(zip(weights, grads, states))
        ]
        return [jnp.asarray(w).astype(weights[k].dtype) for k, (w, _) in enumerate(out)], [
            s for _, s in out
        ]

    def _update_per_parameter(self, active: list[int], reduce: bool) -> None:
        """Custom Optimizer subclasses: MXNet's per-parameter ``update`` with NDArrays."""
        for i in active:
            p = self._params[i]
            if reduce and len(p._data) > 1:
                self.allreduce_grads()
            for d in p._data:
                if i not in self._states:
                    self._states[i] = self._optimizer.create_state_multi_precision(i, d)
                self._optimizer.update_multi_precision(i, d, d._ag.grad, self._states[i])
                d._ag.fresh = False

    # ---- the fused step (beyond MXNet) ---------------------------------------------------------
    def compile_step(self, net: Any, loss_fn: Any, mesh: Any = None) -> Any:
        """Compile forward, loss, backward and this trainer's update into ONE XLA program.

        Returns ``step(data, label) -> loss`` (per-sample losses, an NDArray) that does what
        ``with record(): loss = loss_fn(net(data), label)``, ``loss.backward()``,
        ``trainer.step(data.shape[0])`` do, with the same numbers, in one compiled call. ``net``
        must be a HybridBlock whose trainable parameters are all in this trainer; ``loss_fn``
        a HybridBlock loss. Learning rate, multipliers and the batch size are inputs: changing
        them does not recompile.

        ``mesh``: data-parallel training on several devices inside the same program. Give a
        ``jax.sharding.Mesh`` whose first axis splits the batch (or ``True`` for all devices).
        Parameters and optimizer state are replicated, each batch is split along its first
        axis (its size must divide by the number of devices), and XLA inserts the gradient
        all-reduce; the numbers equal one-device training.
        """
        from gluax._src.engine import random as _random

        if not self._optimizer.fused() and self._optax is None:
            raise NotImplementedError(
                f"compile_step: {type(self._optimizer).__name__} overrides update(); only built-in optimizers or optax transformations compile into one step."
            )
        index = {id(p): i for i, p in enumerate(self._params)}
        jitted: dict[Any, Any] = {}
        shard = _Sharding(mesh) if mesh is not None and mesh is not False else None

        def run(data: Any, label: Any) -> Any:
            xv, yv = data._value, label._value
            if shard is not None:  # checked first: a refused batch changes no state
                xv, yv = shard.split(xv, "data"), shard.split(yv, "label")
            net._ensure_initialized((data,))
            items = net._params_list()
            train = [(k, p) for k, p in items if p.grad_req != "null"]
            aux_items = [(k, p) for k, p in items if p.grad_req == "null"]
            missing = [p.name for _, p in train if id(p) not in index]
            if missing:
                raise ValueError(
                    f"compile_step: parameters {missing} of {type(net).__name__} '{net.name}' are not in this Trainer."
                )
            idx = [index[id(p)] for _, p in train]
            params = {k: p._data[0]._value for k, p in train}
            aux = {k: p._data[0]._value for k, p in aux_items}
            for i, (_, p) in zip(idx, train):
                if i not in self._states:
                    self._states[i] = self._init_state(p._data[0]._value)
            states = [self._states[i] for i in idx]
            batch = data.shape[0] * (jax.process_count() if shard is not None else 1)
            self._optimizer.rescale_grad = self._scale / batch
            self._optimizer._update_count(idx)
            lrs = np.asarray(self._optimizer._get_lrs(idx), np.float32)
            wds = np.asarray(self._optimizer._get_wds(idx), np.float32)
            ts = np.asarray([self._optimizer._index_update_count[i] for i in idx], np.float32)
            rescale = np.float32(self._optimizer.rescale_grad)
            sig = tuple(k for k, _ in train)
            fn = jitted.get(sig)
            if fn is None:
                fused = self._make_fused_step(net, loss_fn, [k for k, _ in train])
                fn = jitted[sig] = jax.jit(fused) if shard is None else shard.jit(fused)
            if shard is not None:
                params, aux, states = shard.replicate((params, aux, states))
            key = _random.next_key()
            new_p, new_aux, new_s, loss = fn(
                params, aux, states, xv, yv, lrs, wds, rescale, ts, key
            )
            if shard is not None and jax.process_count() > 1:
                new_p, new_aux, new_s = _Sharding.local((new_p, new_aux, new_s))
                loss = np.concatenate([np.asarray(sh.data) for sh in loss.addressable_shards])
                loss = jax.device_put(loss, data._ctx.jax_device)
            for (k, p), i, s in zip(train, idx, new_s):
                p._set_raw(new_p[k])
                self._states[i] = s
            lookup = dict(items)
            for k, v in new_aux.items():
                lookup[k]._set_raw(v)
            return type(data)(loss, data._ctx)

        return run

    def _make_fused_step(self, net: Any, loss_fn: Any, names: list[str]) -> Any:
        one, two = jax.tree_util.tree_structure([0]), jax.tree_util.tree_structure([0, 0])

        def fused(
            params: Any,
            aux: Any,
            states: Any,
            x: Any,
            y: Any,
            lrs: Any,
            wds: Any,
            rescale: Any,
            ts: Any,
            key: Any,
        ) -> Any:
            k1, k2 = jax.random.split(key)

            def total(p: Any) -> Any:
                out, new_aux = net._pure(p, aux, [x], one, k1, True)
                loss, _ = loss_fn._pure({}, {}, [out, y], two, k2, True)
                return loss.sum(), (loss, new_aux)

            grads, (loss, new_aux) = jax.grad(total, has_aux=True)(params)
            new_w, new_s = self._fused_update(
                [params[k] for k in names], [grads[k] for k in names], states, lrs, wds, rescale, ts
            )
            return dict(zip(names, new_w)), new_aux, new_s, loss

        return fused

    def save_states(self, fname: str) -> None:
        """Not available yet in gluax."""
        raise NotImplementedError(
            "Trainer.save_states is not implemented yet; save parameters with save_parameters."
        )

    def load_states(self, fname: str) -> None:
        """Not available yet in gluax."""
        raise NotImplementedError("Trainer.load_states is not implemented yet.")


class _Sharding:
    """Data parallelism over a mesh: replicated state, batch split along the first mesh axis."""

    def __init__(self, mesh: Any) -> None:
        from jax.sharding import Mesh, NamedSharding
        from jax.sharding import PartitionSpec as P

        if mesh is True:
            mesh = Mesh(np.array(jax.devices()), ("data",))
        if not isinstance(mesh, Mesh):
            raise TypeError(
                f"compile_step: mesh must be a jax.sharding.Mesh or True, got {type(mesh).__name__}."
            )
        self.mesh = mesh
        self.axis = mesh.axis_names[0]
        self.n = mesh.shape[self.axis]
        self.repl = NamedSharding(mesh, P())
        self.batch = NamedSharding(mesh, P(self.axis))

    def replicate(self, tree: Any) -> Any:
        if jax.process_count() == 1:
            return jax.device_put(tree, self.repl)
        # several processes: every process holds the same values; build global arrays
        return jax.tree_util.tree_map(
            lambda a: jax.make_array_from_callback(a.shape, self.repl, lambda idx: a[idx]), tree
        )

    @staticmethod
    def local(tree: Any) -> Any:
        """This process's copy of replicated global arrays."""
        if jax.process_count() == 1:
            return tree
        return jax.tree_util.tree_map(lambda a: a.addressable_data(0), tree)

    def split(self, x: Any, what: str) -> Any:
        n_local = self.n // jax.process_count()
        if x.shape[0] % n_local:
            raise ValueError(
                f"compile_step: the {what} batch of {x.shape[0]} rows does not split evenly over "
                f"{n_local} devices. Use a batch size that divides by {n_local} (DataLoader "
                "last_batch='discard' or 'rollover')."
            )
        if jax.process_count() == 1:
            return jax.device_put(x, self.batch)
        # several processes: each gives its own slice of the global batch
        return jax.make_array_from_process_local_data(self.batch, np.asarray(x))

    def jit(self, fn: Any) -> Any:
        r, b = self.repl, self.batch
        return jax.jit(fn, in_shardings=(r, r, r, b, b, r, r, r, r, r), out_shardings=(r, r, r, b))
