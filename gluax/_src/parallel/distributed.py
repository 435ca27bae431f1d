"""Several hosts on JAX's own runtime: ``jax.distributed.initialize`` behind one gluax call."""

from __future__ import annotations

from typing import Any, Sequence

import jax


def initialize(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    local_device_ids: Sequence[int] | None = None,
    cpu_devices: int | None = None,
    **kwargs: Any,
) -> None:
    """Join this process to a multi-host job (``jax.distributed.initialize``).

    Call it first, before any gluax or JAX computation, in every process. On TPU, Slurm or
    Open MPI the arguments may be left out; on a plain cluster give the coordinator's
    ``host:port`` (process 0's), ``num_processes`` and this process's ``process_id``.
    ``cpu_devices`` sets how many CPU devices each process exposes (for CPU-only jobs and
    tests). Then ``trainer.compile_step(net, loss_fn, mesh=True)`` trains data-parallel over
    the devices of all processes, each process feeding its own slice of the batch.
    """
    if cpu_devices is not None:
        jax.config.update("jax_num_cpu_devices", int(cpu_devices))
    try:
        jax.distributed.initialize(
            coordinator_address=coordinator_address,
            num_processes=num_processes,
            process_id=process_id,
            local_device_ids=local_device_ids,
            **kwargs,
        )
    except RuntimeError as e:
        raise RuntimeError(
            f"gluax.parallel.initialize: {e}. It must run once per process, before any JAX "
            "computation (creating an NDArray or initializing a network counts)."
        ) from e


def shutdown() -> None:
    """Leave the multi-host job."""
    jax.distributed.shutdown()


def process_index() -> int:
    """This process's index (0 .. process_count() - 1)."""
    return jax.process_index()


def process_count() -> int:
    """The number of processes in the job."""
    return jax.process_count()
