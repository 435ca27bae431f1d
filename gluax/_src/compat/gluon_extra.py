"""Small MXNet helpers Gluon libraries import from ``mx.gluon.utils`` and ``mx.context``."""

from __future__ import annotations

import os

from gluax._src.engine.context import Context

_DEFAULT_REPO = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/"


def _get_repo_url() -> str:
    """Base URL of the Gluon model/dataset repository: ``$MXNET_GLUON_REPO`` or MXNet's S3
    bucket, always ending in ``/``. (gluax itself never downloads at run time.)"""
    url = os.environ.get("MXNET_GLUON_REPO", _DEFAULT_REPO)
    return url if url.endswith("/") else url + "/"


def _get_repo_file_url(namespace: str, filename: str) -> str:
    """URL of ``filename`` under ``namespace`` in the Gluon repository."""
    return f"{_get_repo_url()}{namespace}/{filename}"


def replace_file(src: str, dst: str) -> None:
    """Move ``src`` onto ``dst`` atomically (``os.replace``)."""
    try:
        os.replace(src, dst)
    except OSError as e:
        raise OSError(f"replace_file: moving {src!r} to {dst!r} failed: {e}") from e


def gpu_memory_info(device_id: int = 0) -> tuple[int, int]:
    """``(free, total)`` bytes of GPU ``device_id`` as jax reports them."""
    device = Context("gpu", device_id).jax_device
    stats = device.memory_stats() or {}
    total = int(stats.get("bytes_limit", 0))
    return total - int(stats.get("bytes_in_use", 0)), total
