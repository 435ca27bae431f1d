"""``gluon.Trainer``: applies an optimizer to a set of Parameters, all in one compiled call."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gluax._src.engine import compile_cache as _cc
from gluax._src.engine.ndarray import host_filled, made_here, mark_made
from gluax._src.gluon.parameter import Parameter, ParameterDict
from gluax._src.optim import trainer_states as _states_io
from gluax._src.optim.placement import ONE_OWNER, QuietDonation, Sharding, ref_count
from gluax._src.optim.rules import Optimizer, create

STALE_GRAD = (
    "Gradient of Parameter `{name}` on context {ctx} has not been updated by backward since "
    "last `step`. This could mean a bug in your model that made it only use a subset of the "
    "Parameters (Blocks) for this iteration. If you are intentionally only using a subset, "
    "call step with ignore_stale_grad=True to suppress this warning and skip updating of "
    "Parameters with stale gradient"
)



# a step that updates every parameter runs the update without the mask (see _fused_update); a
# switch for benchmarks
UNMASKED_UPDATE = [True]

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
        # kvstore: a name or an mx.kv.create store. The dist types ('dist_async' runs
        # synchronously, see docs/kvstore.md) sum gradients over the processes of a
        # jax.distributed job; 'horovod'/'byteps' and unknown names raise as mx.kv.create does.
        kv_type = kvstore if isinstance(kvstore, str) else getattr(kvstore, "type", None)
        if isinstance(kv_type, str):
            from gluax._src.parallel.kvstore import check_type

            check_type(kv_type, "Trainer")
        if compression_params is not None:
            from gluax._src.parallel.kvstore import check_compression

            check_compression(compression_params, "Trainer(compression_params=...)")
        self._dist = isinstance(kv_type, str) and kv_type.startswith("dist")
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
        self._jit_bwd_update: Any = None  # backward and update in one program (_update)
        self._zeros: dict[int, Any] = {}  # zero gradients of frozen parameters kept in the update
        self._version = 0  # bumped when load_states changes the update rule (recompile)

    # ---- properties ---------------------------------------------------------------------------
    @property
    def optimizer(self) -> Optimizer:
        """The ``mx.optimizer.Optimizer`` this trainer applies (for an optax transformation, a
        plain ``Optimizer`` that keeps the update counts)."""
        return self._optimizer

    @property
    def learning_rate(self) -> float:
        """The optimizer's current learning rate (its scheduler's value, if it has one)."""
        return self._optimizer.learning_rate

    def set_learning_rate(self, lr: float) -> None:
        """Set the learning rate (no recompilation: it is an input of the update)."""
        self._optimizer.set_learning_rate(lr)

    # ---- stepping -----------------------------------------------------------------------------
    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """One update: gradients are scaled by ``1/batch_size`` (MXNet's ``rescale_grad``)."""
        self._optimizer.rescale_grad = self._scale / _check_batch_size("step", batch_size)
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
        self._optimizer.rescale_grad = self._scale / _check_batch_size("update", batch_size)
        self._update(ignore_stale_grad, reduce=False)

    @staticmethod
    def _grad_sum(p: Parameter) -> Any:
        dev = p._data[0]._ctx.jax_device
        total = p._data[0]._ag.grad._value
        for d in p._data[1:]:
            total = total + jax.device_put(d._ag.grad._value, dev)
        return total

    def _grad_of(self, i: int, reduce: bool) -> Any:
        p = self._params[i]
        if reduce and len(p._data) > 1:
            return self._grad_sum(p)
        return p._data[0]._ag.grad._value

    def _zero_grad(self, i: int) -> Any:
        """A zero gradient for a parameter that keeps its place in the update while frozen."""
        w = self._params[i]._data[0]._value
        z = self._zeros.get(i)
        if z is None or z.shape != w.shape or z.dtype != w.dtype:
            # from the host: no eager op, so nothing compiles while the step runs
            z = self._zeros[i] = host_filled(w.shape, w.dtype, w.sharding)
        return z

    def _step_rows(self, slots: list[int], active: list[int]) -> np.ndarray:
        """The rule's ``t`` input for every slot: the optimizer's ``_step_inputs`` for the
        parameters updated now (called for those only: it may keep per-update bookkeeping);
        frozen slots repeat a row, their result is masked out."""
        # in index order, as MXNet updates (Nadam's schedule advances once per parameter)
        order = sorted(active)
        rows = np.asarray(self._optimizer._step_inputs(order), np.float32)
        if slots == order:
            return rows
        pos = {i: k for k, i in enumerate(order)}
        return np.stack([rows[pos.get(i, 0)] for i in slots])

    def _update(self, ignore_stale_grad: bool, reduce: bool = True) -> None:
        scaler = getattr(self, "_amp_loss_scaler", None)  # mx.contrib.amp.init_trainer
        if scaler is not None and scaler.has_overflow(self._params):
            return  # skip the step: the loss scale was too large
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
        on = set(active)
        # A parameter updated before keeps its place in the compiled update while it is frozen
        # or skipped (masked out): the first such step compiles the masked update once (the
        # common step, every slot updated, runs the update without branches), and freezing
        # and unfreezing never recompile after that.
        slots = sorted(on | {i for i in self._states if self._params[i]._data is not None})
        # gradients a deferred backward has yet to compute: backward and update as one program
        pend = None if self._dist and jax.process_count() > 1 else self._pending(active)
        if pend is not None:
            self._update_with_backward(pend, active, slots)
            return
        grads = [self._grad_of(i, reduce) if i in on else self._zero_grad(i) for i in slots]
        if self._dist and jax.process_count() > 1:
            from jax.experimental import multihost_utils

            # MXNet's dist_sync: the gradients of all workers are summed (then rescaled by
            # 1/batch_size of the step call, as on one worker)
            summed = [g.sum(axis=0) for g in multihost_utils.process_allgather(grads)]
            grads = [
                jax.device_put(g, self._params[i]._data[0]._ctx.jax_device)
                for g, i in zip(summed, slots)
            ]
        self._init_states(slots)
        lrs, wds, rescale, ts, mask = self._per_step_inputs(slots, active, on)
        if self._jit_update is None:
            # weights and optimizer state are donated: the update writes into their buffers;
            # gluax's own rules go through the executable cache (see _update_cache_name)
            self._jit_update = _cc.TreeJit(
                self._fused_update, self._update_cache_name, donate_argnums=(0, 2)
            )
        weights = [self._params[i]._data[0]._value for i in slots]
        flat, tree = jax.tree_util.tree_flatten([self._states[i] for i in slots])
        weights, flat = self._donatable(weights, flat)
        states = jax.tree_util.tree_unflatten(tree, flat)
        del flat
        # (a TreeJit: lowers under QuietDonation itself)
        new_w, new_s = self._jit_update(weights, grads, states, lrs, wds, rescale, ts, mask)
        del weights, states
        mark_made((new_w, new_s))
        for i, w, s in zip(slots, new_w, new_s):
            self._states[i] = s
            p = self._params[i]
            for d in p._data:  # masked ones too: their old buffers were donated
                d._value = w if d is p._data[0] else jax.device_put(w, d._ctx.jax_device)
                if i in on:
                    d._ag.fresh = False

    def _common_place(self, slots: list[int]) -> Any:
        """The one placement of every weight in ``slots``, or None when they differ (a model
        split over devices); rechecked only when a parameter's contexts change."""
        from gluax._src.gluon import parameter as _parameter_mod

        key = (_parameter_mod.LAYOUT_VERSION[0], tuple(slots))
        hit = self.__dict__.get("_place_cache")
        if hit is None or hit[0] != key:
            places = {self._params[i]._data[0]._value.sharding for i in slots}
            hit = self._place_cache = (key, places.pop() if len(places) == 1 else None)
        return hit[1]

    def _host_inputs(self, where: Any, *arrays: Any) -> list[Any]:
        """The update's small per-step inputs (learning rates, weight decays, rescale, mask)
        as arrays on the weights' device, reused while their values do not change:
        a numpy input is copied to the device on every call (~5-10 us each). Weights placed
        other than on one device get the numpy arrays."""
        if not isinstance(where, jax.sharding.SingleDeviceSharding):
            return list(arrays)
        cache = self.__dict__.setdefault("_host_cache", {})
        out = []
        for k, a in enumerate(arrays):
            a = np.asarray(a)
            key = (a.dtype.str, a.shape, a.tobytes(), where)
            hit = cache.get(k)
            if hit is None or hit[0] != key:
                hit = cache[k] = (key, jax.device_put(a, where))
            out.append(hit[1])
        return out

    def _pending(self, active: list[int]) -> Any:
        """The deferred backward (``tape.PendingBackward``) that is to write the gradient of
        every parameter in ``active``, if one is (single-context parameters only)."""
        from gluax._src.engine import tape as _tape

        from gluax._src.engine import lazy as _lazy

        if not _tape.FUSE_UPDATE[0] and not _lazy.FUSE_UPDATE[0]:
            return None
        pend = None
        for i in active:
            data = self._params[i]._data
            if len(data) != 1:
                return None
            p = data[0]._ag.pending
            if p is None or (pend is not None and p is not pend):
                return None
            pend = p
        if pend is not None and not (_lazy.FUSE_UPDATE[0] if pend.lazy else _tape.FUSE_UPDATE[0]):
            return None
        return pend

    def _per_step_inputs(self, slots: list[int], active: list[int], on: set[int]) -> tuple:
        """The update's per-step inputs (learning rates, weight decays, rescale, step rows,
        mask of the active slots) after counting this step, on the weights' device."""
        self._optimizer._update_count(active)
        lrs = np.asarray(self._optimizer._get_lrs(slots), dtype=np.float32)
        wds = np.asarray(self._optimizer._get_wds(slots), dtype=np.float32)
        ts = self._step_rows(slots, active)
        rescale = np.float32(self._optimizer.rescale_grad)
        place = self._common_place(slots)
        if UNMASKED_UPDATE[0] and len(on) == len(slots):  # every slot updated: no mask
            mask = None
            lrs, wds, rescale = self._host_inputs(place, lrs, wds, rescale)
        else:
            mask = np.asarray([i in on for i in slots])
            lrs, wds, rescale, mask = self._host_inputs(place, lrs, wds, rescale, mask)
        # the step rows change on every step: passed as numpy, which the compiled call copies
        # in C++ (a jax.device_put from Python costs ~40 us more per step)
        return lrs, wds, rescale, ts, mask

    def _update_with_backward(self, pend: Any, active: list[int], slots: list[int]) -> None:
        """``_update`` for gradients still pending from a deferred backward: ONE compiled
        program runs the backward pass and the update (``_backward_update``), returns every
        gradient of that pass (written into the ``.grad`` buffers, as a backward would have,
        so they stay readable after the step) and the new weights and states."""
        on = set(active)
        self._init_states(slots)
        lrs, wds, rescale, ts, mask = self._per_step_inputs(slots, active, on)
        plan, args, seeds, bufs, infos = pend.take()
        weights = [self._params[i]._data[0]._value for i in slots]
        # a weight that is also a node's input (recorded operators keep their inputs) is passed
        # once, as the donated weight: the program reads it before writing the new value
        leaves, args_tree = jax.tree_util.tree_flatten(args)
        del args
        at = {id(w): k for k, w in enumerate(weights)}
        shared = tuple(at.get(id(a), -1) for a in leaves)
        leaves = [None if k >= 0 else a for a, k in zip(leaves, shared)]
        var_at = {id(info): k for k, info in enumerate(infos)}
        gpos = tuple(
            var_at.get(id(self._params[i]._data[0]._ag), -1) if i in on else -1 for i in slots
        )
        zeros = [None if g >= 0 else self._zero_grad(i) for i, g in zip(slots, gpos)]
        flat, tree = jax.tree_util.tree_flatten([self._states[i] for i in slots])
        weights, flat = self._donatable(weights, flat)
        states = jax.tree_util.tree_unflatten(tree, flat)
        del flat
        if self._jit_bwd_update is None or self._jit_bwd_update[0] != self._version:
            # (recompiled when load_states changes the rule: the version says so)
            self._jit_bwd_update = (
                self._version,
                jax.jit(self._backward_update, static_argnums=(0, 1, 2, 3), donate_argnums=(7, 9)),
            )
        with QuietDonation():
            outs, grads, new_w, new_s = self._jit_bwd_update[1](
                plan, args_tree, shared, gpos, leaves, seeds, bufs, weights, zeros, states,
                lrs, wds, rescale, ts, mask,
            )  # fmt: skip
        del weights, states, leaves
        pend.finish(outs)  # a lazy graph's outputs (the loss) computed in the same program
        for info, g in zip(infos, grads):
            if g is not None:
                info.put(g)
        mark_made((new_w, new_s))
        for i, w, st in zip(slots, new_w, new_s):
            self._states[i] = st
            d = self._params[i]._data[0]
            d._value = w
            if i in on:
                d._ag.fresh = False

    def _backward_update(
        self,
        plan: Any,
        args_tree: Any,
        shared: tuple[int, ...],
        gpos: tuple[int, ...],
        leaves: list[Any],
        seeds: list[Any],
        bufs: list[Any],
        weights: list[Any],
        zeros: list[Any],
        states: list[Any],
        lrs: Any,
        wds: Any,
        rescale: Any,
        ts: Any,
        mask: Any,
    ) -> Any:
        from gluax._src.engine import tape as _tape

        leaves = [weights[k] if k >= 0 else a for a, k in zip(leaves, shared)]
        args = jax.tree_util.tree_unflatten(args_tree, leaves)
        outs, grads = plan.traced_walk(args, seeds, bufs)
        upd = [grads[g] if g >= 0 else z for g, z in zip(gpos, zeros)]
        new_w, new_s = self._fused_update(weights, upd, states, lrs, wds, rescale, ts, mask)
        return outs, grads, new_w, new_s

    def _donatable(self, *groups: list[Any]) -> list[list[Any]]:
        """The arrays to donate, per group. Donation deletes a buffer, so an array is donated
        as it is only if gluax made it for one owner (``engine.ndarray.mark_made``: an update's
        output, a state the Trainer created, an initializer's value), it has exactly one owner
        (a Parameter's NDArray or a slot of the state) and no other live ``jax.Array`` shares
        its buffer. Any other array is copied first: one that came from elsewhere
        (``set_data``, ``load_parameters``: it may share its buffer with the
        NDArray it came from), one that something else still references (a ``detach()``-ed
        NDArray, a recorded tape, a raw ``jax.Array``, another Parameter, the same array twice
        in a state). ``copyto``, ``as_in_context`` and ``nd.array`` always copy, so no other
        ``jax.Array`` made by gluax shares a produced buffer."""
        seen: set[int] = set()
        flags = []
        for leaves in groups:
            row = []
            for k in range(len(leaves)):
                row.append(
                    not made_here(leaves[k])
                    or id(leaves[k]) in seen
                    or ref_count(leaves, k) > ONE_OWNER
                )
                seen.add(id(leaves[k]))
            flags.append(row)
        return [
            [jnp.copy(a) if f else a for a, f in zip(leaves, row)]
            for leaves, row in zip(groups, flags)
        ]

    def _init_states(self, slots: list[int]) -> None:
        """Create the optimizer state of every parameter in ``slots`` that has none, all in one
        compiled program (one program per distinct shape would cost a compilation and ~1.5 MiB
        of resident memory each); the new states are this Trainer's own, so donatable."""
        new = [i for i in slots if i not in self._states]
        if not new:
            return
        weights = [self._params[i]._data[0]._value for i in new]
        states = self._host_states(weights)
        if states is None:
            states = jax.jit(lambda ws: [self._init_state(w) for w in ws])(weights)
            # placed (committed) where each weight is, as the compiled update's outputs will
            # be: an uncommitted state would make the next call's signature differ (a recompile)
            states = [
                jax.tree_util.tree_map(lambda a, at=w.sharding: jax.device_put(a, at), s)
                for w, s in zip(weights, states)
            ]
        mark_made(states)
        for i, s in zip(new, states):
            self._states[i] = s

    def _host_states(self, weights: list[Any]) -> list[Any] | None:
        """The initial states made on the host, when the rule's ``init`` only fills arrays
        with constants (zeros: SGD's momentum, Adam's moments, ...): its jaxpr is read, no
        program is compiled (compiling the states' program was ~0.4 s of a first step).
        None when ``init`` computes anything from the weight."""
        jex_core = _cc.jax_core()

        by_aval: dict[Any, Any] = {}
        out = []
        for w in weights:
            aval = (w.shape, w.dtype)
            if aval not in by_aval:
                closed, shapes = jax.make_jaxpr(self._init_state, return_shape=True)(
                    jax.ShapeDtypeStruct(w.shape, w.dtype)
                )
                consts: dict[Any, Any] = {}
                for eqn in closed.jaxpr.eqns:
                    src = eqn.invars[0] if len(eqn.invars) == 1 else None
                    name = eqn.primitive.name
                    if name not in ("broadcast_in_dim", "convert_element_type") or src is None:
                        return None
                    if isinstance(src, jex_core.Literal):
                        consts[eqn.outvars[0]] = src.val
                    elif src in consts:
                        consts[eqn.outvars[0]] = consts[src]
                    else:
                        return None
                values = []
                for v in closed.jaxpr.outvars:
                    if isinstance(v, jex_core.Literal):
                        values.append(v.val)
                    elif v in consts:
                        values.append(consts[v])
                    else:
                        return None
                by_aval[aval] = (values, shapes)
            values, shapes = by_aval[aval]
            flat, tree = jax.tree_util.tree_flatten(shapes)
            arrays = [
                host_filled(sd.shape, sd.dtype, w.sharding, np.asarray(val))
                for sd, val in zip(flat, values)
            ]
            out.append(jax.tree_util.tree_unflatten(tree, arrays))
        return out

    def _update_cache_name(self) -> str | None:
        """The fused update's identity in the executable cache, or None (not cached). Only
        gluax's own optimizer classes are cached (their update code is in the sources the
        cache's key fingerprints); the key holds the class and every attribute of the
        optimizer that a rule may bake into the program as a constant. The learning rate,
        weight decay, ``rescale_grad`` and update counts are inputs of the program (their
        attributes are left out); the avals and structure of weights, gradients and states
        are added by ``TreeJit``. An optax transformation, a user's Optimizer subclass, or an
        attribute whose value is not a plain constant: not cached."""
        if self._optax is not None:
            return None
        opt = self._optimizer
        cls = type(opt)
        if not all(c.__module__.startswith("gluax.") for c in cls.__mro__ if c is not object):
            return None
        consts = []
        for name, v in sorted(vars(opt).items()):
            if name in _UPDATE_INPUTS:
                continue
            if not _plain_const(v):
                return None
            consts.append((name, v))
        return f"trainer.update|{cls.__module__}.{cls.__qualname__}|{consts!r}"

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
        mask: Any,
    ) -> Any:
        if self._optax is not None:

            def apply(k: int, w: Any, g: Any, s: Any) -> Any:
                upd, s = self._optax.update(g * rescale, s, w)
                return optax.apply_updates(w, upd), s

        else:
            rule = self._optimizer.rule()
            mp = self._optimizer.multi_precision

            def hyper(w: Any) -> Any:
                # float16 weights with a float32 master copy: the rates stay float32, as
                # MXNet's kernels take them (0.01 in float16 would be 0.010002)
                return jnp.float32 if mp and w.dtype == jnp.float16 else w.dtype

            def apply(k: int, w: Any, g: Any, s: Any) -> Any:
                h = hyper(w)
                return rule.apply(
                    w, g.astype(w.dtype), s, lrs[k].astype(h), wds[k].astype(h),
                    rescale.astype(h), ts[k],
                )  # fmt: skip

        def cast_like(nw: Any, ns: Any, w: Any, s: Any) -> Any:
            ns = jax.tree_util.tree_map(lambda a, b: jnp.asarray(a).astype(b.dtype), ns, s)
            return jnp.asarray(nw).astype(w.dtype), ns

        out_w, out_s = [], []
        if mask is None:
            # every parameter is updated (the common step): no branches. Against the masked
            # program below, ResNet-18's update alone compiled in 0.85 s instead of 1.14 s and
            # ran in 27.5 ms instead of 33.8 ms (SGD momentum, one process); whole training
            # steps, A/B interleaved in one process (trainer.step loop / compile_step):
            # MobileNet 0.25 0.945x / 0.97x, ResNet-18 0.985x / 0.98x, LeNet 0.99x / 0.88x, but
            # the MLP 1.01-1.015x / 1.05-1.07x (its one-program step was faster with the
            # per-parameter branches). A step that skips or freezes a parameter uses the masked
            # program (compiled once, when first needed).
            for k, (w, g, s) in enumerate(zip(weights, grads, states)):
                nw, ns = cast_like(*apply(k, w, g, s), w, s)
                out_w.append(nw)
                out_s.append(ns)
            return out_w, out_s
        # mask[k] False: a frozen (grad_req='null') or skipped parameter keeps weight and
        # state. One lax.cond per parameter, not a select of old and new values: XLA fuses
        # the update inside the branch and writes it into the donated buffers, where a select
        # costs a pass more over every weight and state (~80% more update time on CPU).
        for k, (w, g, s) in enumerate(zip(weights, grads, states)):

            def on(ops: Any, k: int = k) -> Any:
                w, g, s = ops
                return cast_like(*apply(k, w, g, s), w, s)

            def off(ops: Any) -> Any:
                return ops[0], ops[2]

            nw, ns = jax.lax.cond(mask[k], on, off, (w, g, s))
            out_w.append(nw)
            out_s.append(ns)
        return out_w, out_s

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
    def compile_step(
        self, net: Any, loss_fn: Any, mesh: Any = None, *, shard_params: bool = False
    ) -> Any:
        """Compile forward, loss, backward and this trainer's update into ONE XLA program.

        Parameters
        ----------
        net : HybridBlock
            Its trainable parameters must all be in this trainer.
        loss_fn : HybridBlock
            A gluon loss, called as ``loss_fn(net(data), label)``.
        mesh : jax.sharding.Mesh or True, optional
            Data-parallel training on several devices inside the same program: the first mesh
            axis splits the batch (its size must divide by that axis' device count); ``True``
            means all devices. XLA inserts the gradient all-reduce; the numbers equal
            one-device training.
        shard_params : bool, default False (keyword-only; needs ``mesh``)
            False: parameters and optimizer state are replicated on every device. True: each
            parameter, and every optimizer-state array of its shape, is split along its
            largest axis whose size divides by the device count of the mesh's first axis
            (the first such axis on a tie); a parameter with no such axis stays replicated.
            Each device then holds only its slice (memory per device shrinks with the
            device count) and XLA gathers what the computation needs. The numbers equal
            one-device training. Single-process meshes only.

        Returns
        -------
        step : callable
            ``step(data, label) -> loss`` (per-sample losses, an NDArray) does what
            ``with record(): loss = loss_fn(net(data), label)``, ``loss.backward()``,
            ``trainer.step(data.shape[0])`` do, with the same numbers, in one compiled call.

        Notes
        -----
        Learning rate (``set_learning_rate``, schedulers), each Parameter's ``lr_mult`` and
        ``wd_mult``, and the batch size are inputs of the program: changing them does not
        recompile. Setting ``grad_req='null'`` on a parameter freezes it from the next step
        on (its update is masked out; its gradient is still computed): the first such step
        compiles the masked program once (the step that trains every parameter has no
        branches: ~25% faster to compile and ~20% faster to run on CPU), after which
        freezing and unfreezing do not recompile; a parameter that was never trained
        joining the step compiles once more.

        The parameters and the optimizer state are donated to the program, which writes the
        new values into their buffers instead of allocating new ones; the Parameters and the
        Trainer take the new arrays. Only arrays that an earlier step produced and that
        nothing else references are donated; the others are copied first: values set by
        ``initialize``, ``set_data`` or ``load_parameters`` (copied once, at the first step),
        and arrays that are also held elsewhere (an NDArray from ``detach()``, a recorded
        tape, a raw ``jax.Array`` from ``.data``, an NDArray from ``copyto``/``nd.array``
        on the same device, which shares the buffer), so every NDArray stays valid.
        """
        if not self._optimizer.fused() and self._optax is None:
            raise NotImplementedError(
                f"compile_step: {type(self._optimizer).__name__} overrides update(); only "
                "built-in optimizers or optax transformations compile into one step."
            )
        if shard_params and (mesh is None or mesh is False):
            raise ValueError(
                "compile_step: shard_params=True splits parameters over the devices of a mesh; "
                "pass mesh=True (all devices) or a jax.sharding.Mesh as well."
            )
        if shard_params and jax.process_count() > 1:
            raise NotImplementedError(
                "compile_step(shard_params=True) runs in one process; with several processes "
                "(gluax.parallel.initialize) use shard_params=False (replicated parameters)."
            )
        from gluax._src.engine import random as _random

        index = {id(p): i for i, p in enumerate(self._params)}
        jitted: dict[Any, Any] = {}
        shard = Sharding(mesh, shard_params) if mesh is not None and mesh is not False else None

        def run(data: Any, label: Any) -> Any:
            xv, yv = data._value, label._value
            if shard is not None:  # checked first: a refused batch changes no state
                xv, yv = shard.split(xv, "data"), shard.split(yv, "label")
            net._ensure_initialized((data,))
            items = net._params_list()
            missing = [p.name for _, p in items if p.grad_req != "null" and id(p) not in index]
            if missing:
                raise ValueError(
                    f"compile_step: parameters {missing} of {type(net).__name__} '{net.name}' "
                    "are not in this Trainer."
                )
            # frozen parameters trained before stay in the program, masked (the masked
            # program is compiled once, the first time a parameter is frozen)
            train = [
                (k, p)
                for k, p in items
                if id(p) in index and (p.grad_req != "null" or index[id(p)] in self._states)
            ]
            names = [k for k, _ in train]
            taken = {id(p) for _, p in train}
            aux_items = [(k, p) for k, p in items if id(p) not in taken]
            idx = [index[id(p)] for _, p in train]
            active = [i for i, (_, p) in zip(idx, train) if p.grad_req != "null"]
            self._init_states(idx)
            batch = data.shape[0] * (jax.process_count() if shard is not None else 1)
            self._optimizer.rescale_grad = self._scale / batch
            if active:
                self._optimizer._update_count(active)
                ts = self._step_rows(idx, active)
            else:
                ts = np.ones(len(idx), np.float32)  # everything frozen: masked anyway
            lrs = np.asarray(self._optimizer._get_lrs(idx), np.float32)
            wds = np.asarray(self._optimizer._get_wds(idx), np.float32)
            mask = np.asarray([p.grad_req != "null" for _, p in train])
            if UNMASKED_UPDATE[0] and shard is None and mask.all():
                mask = None  # every parameter trained: the update without branches
            rescale = np.float32(self._optimizer.rescale_grad)
            shapes = tuple(tuple(p._data[0]._value.shape) for _, p in train)
            sig = (tuple(names), shapes, self._version)
            entry = jitted.get(sig)
            if entry is None:
                fused = self._make_fused_step(net, loss_fn, names)
                cached = None if shard is not None else self._step_cache_name(net, loss_fn, names)
                if cached is not None:  # through gluax's executable cache
                    entry = (_cc.TreeJit(fused, lambda: cached, donate_argnums=(0, 2)), None, None)
                elif shard is None:
                    entry = (jax.jit(fused, donate_argnums=(0, 2)), None, None)
                else:
                    p_sh, s_sh = shard.layout(names, shapes, [self._states[i] for i in idx])
                    entry = (shard.jit(fused, p_sh, s_sh), p_sh, s_sh)
                jitted[sig] = entry
            fn, p_sh, s_sh = entry
            values = [p._data[0]._value for _, p in train]
            flat, tree = jax.tree_util.tree_flatten([self._states[i] for i in idx])
            values, flat = self._donatable(values, flat)
            params = dict(zip(names, values))
            states = jax.tree_util.tree_unflatten(tree, flat)
            del flat, values
            aux = {k: p._data[0]._value for k, p in aux_items}
            if shard is not None:
                params, states = shard.place(params, p_sh), shard.place(states, s_sh)
                aux = shard.replicate(aux)
            key = _random.next_key()
            if type(fn) is _cc.TreeJit:  # lowers under QuietDonation itself
                new_p, new_aux, new_s, loss = fn(
                    params, aux, states, xv, yv, lrs, wds, rescale, ts, key, mask
                )
            else:
                with QuietDonation():
                    new_p, new_aux, new_s, loss = fn(
                        params, aux, states, xv, yv, lrs, wds, rescale, ts, key, mask
                    )
            del params, states
            if shard is not None and jax.process_count() > 1:
                new_p, new_aux, new_s = Sharding.local((new_p, new_aux, new_s))
                loss = np.concatenate([np.asarray(sh.data) for sh in loss.addressable_shards])
                loss = jax.device_put(loss, data._ctx.jax_device)
            mark_made((new_p, new_s))
            for (k, p), i, s in zip(train, idx, new_s):
                p._set_raw(new_p[k])  # frozen ones too: their old buffers were donated
                self._states[i] = s
            lookup = dict(items)
            for k, v in new_aux.items():
                lookup[k]._set_raw(v)
            return type(data)(loss, data._ctx)

        return run

    def _step_cache_name(self, net: Any, loss_fn: Any, names: list[str]) -> str | None:
        """``compile_step``'s program's identity in gluax's executable cache, or None (not
        cached): the network's and the loss's structure keys (both gluax's own classes only,
        ``gluon.block_cache.structure_id``), the update's (``_update_cache_name``: gluax's own
        optimizer classes only) and the trained parameters' order; ``TreeJit`` adds the trees
        and avals of every argument."""
        from gluax._src.gluon import block_cache as _bc
        from gluax._src.numpy.multiarray import array_types

        if _cc.compilation_cache_dir() is None:
            return None
        update = self._update_cache_name()
        if update is None:
            return None
        a, b = _bc.structure_id(net), _bc.structure_id(loss_fn)
        if a is None or b is None:
            return None
        modes = tuple(t.__name__ for t in array_types())
        return f"compile_step|{a}|{b}|{update}|{tuple(names)!r}|{modes}"

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
            mask: Any,
        ) -> Any:
            k1, k2 = jax.random.split(key)

            def total(p: Any) -> Any:
                out, new_aux = net._pure(p, aux, [x], one, k1, True)
                loss, _ = loss_fn._pure({}, {}, [out, y], two, k2, True)
                return loss.sum(), (loss, new_aux)

            grads, (loss, new_aux) = jax.grad(total, has_aux=True)(params)
            new_w, new_s = self._fused_update(
                [params[k] for k in names],
                [grads[k] for k in names],
                states,
                lrs,
                wds,
                rescale,
                ts,
                mask,
            )
            return dict(zip(names, new_w)), new_aux, new_s, loss

        return fused

    # ---- saving and loading the optimizer state ------------------------------------------------
    def save_states(self, fname: str) -> None:
        """Save the optimizer state (momenta, update counts, learning rate, schedule) to a file.

        The file is MXNet's NDArray-list format (what ``nd.save`` writes; written atomically):
        each state array under ``'<parameter index>/<state path>'`` (``'0'`` for a state that
        is one array, ``'0/0'``, ``'0/1'`` for Adam's mean and variance, field names for
        optax states), plus one entry ``'__trainer_states__'``, a JSON text stored as uint8,
        with the optimizer's class name, its attributes (hyper-parameters, ``lr``,
        ``num_update``, per-parameter update counts, the ``lr_scheduler``'s state) and each
        parameter's shape and dtype. Reading it runs no code.

        Parameters
        ----------
        fname : str
            Path of the file to write.

        Notes
        -----
        MXNet writes a Python pickle here; gluax does not write pickles, so MXNet cannot read
        this file (gluax reads MXNet's with ``load_states(fname, allow_pickle=True)``). As in
        MXNet, each Parameter's ``lr_mult``/``wd_mult`` are not saved. Optimizer attributes
        that are not numbers, strings, None, lists/tuples/dicts of them or an
        ``mx.lr_scheduler`` scheduler are left out, with a warning.

        Examples
        --------
        >>> import os, tempfile
        >>> net = mx.gluon.nn.Dense(1, in_units=2); net.initialize(mx.init.One())
        >>> trainer = mx.gluon.Trainer(net.collect_params(), "adam")
        >>> with mx.autograd.record():
        ...     loss = net(mx.nd.ones((1, 2))).sum()
        >>> loss.backward(); trainer.step(1)
        >>> fname = os.path.join(tempfile.mkdtemp(), "net.states")
        >>> trainer.save_states(fname)
        >>> sorted(mx.nd.load(fname))
        ['0/0', '0/1', '1/0', '1/1', '__trainer_states__']
        >>> resumed = mx.gluon.Trainer(net.collect_params(), "adam")
        >>> resumed.load_states(fname); resumed.optimizer.num_update
        1
        """
        _states_io.save_states(self, fname)

    def load_states(self, fname: str, allow_pickle: bool = False) -> None:
        """Load the optimizer state saved by ``save_states`` (gluax's or, with
        ``allow_pickle=True``, MXNet's), so that training resumes exactly where it stopped.

        The optimizer takes the saved one's attributes (learning rate, hyper-parameters,
        update counts, schedule), as in MXNet, where the file's optimizer replaces the
        Trainer's; each Parameter's ``lr_mult``/``wd_mult`` stay those of this Trainer's
        parameters.

        Parameters
        ----------
        fname : str
            A file written by ``Trainer.save_states`` of gluax (MXNet's NDArray format) or of
            MXNet 1.x (a Python pickle).
        allow_pickle : bool, default False
            Needed to read MXNet's files, which are pickles. **Loading a pickle can run code
            stored in the file.** gluax's reader only rebuilds MXNet's NDArray, optimizer and
            lr_scheduler objects as plain data and refuses any other class, but only pass
            ``allow_pickle=True`` for files from a source you trust.

        Raises
        ------
        FileNotFoundError
            No file ``fname``.
        ValueError
            The file is a pickle and ``allow_pickle`` is False; the file is neither format;
            or its states do not fit this Trainer's parameters or optimizer.
        pickle.UnpicklingError
            The pickle refers to a class that an MXNet states file does not hold.
        """
        _states_io.load_states(self, fname, allow_pickle)


# Optimizer attributes that are inputs of the fused update (or host bookkeeping), not
# constants of its program: left out of its key in the executable cache.
_UPDATE_INPUTS = frozenset(
    ("lr", "wd", "rescale_grad", "num_update", "lr_scheduler", "_index_update_count",
     "param_dict", "idx2name", "lr_mult", "wd_mult")
)  # fmt: skip


def _plain_const(v: Any) -> bool:
    """Whether ``v``'s repr says all of it, the same in every process."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    return isinstance(v, tuple) and all(_plain_const(x) for x in v)


def _check_batch_size(method: str, batch_size: Any) -> Any:
    """``batch_size`` if it is a positive number; a clear error otherwise (MXNet divides by
    it and raises ZeroDivisionError for 0)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, float, np.number)):
        raise TypeError(
            f"Trainer.{method}: batch_size must be a number, got {type(batch_size).__name__}."
        )
    if not batch_size > 0:
        raise ValueError(
            f"Trainer.{method}: batch_size must be positive, got {batch_size!r} (it scales the "
            "gradients by 1/batch_size; skip the step when a batch is empty)."
        )
    return batch_size
