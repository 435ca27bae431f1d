"""``mx.runtime``: which features gluax's backend has, in MXNet's feature names. Answers come
from jax (the platforms of ``jax.devices()``), not from a compile-time list."""

from __future__ import annotations

import collections
import platform
from typing import Any

import jax


class Feature:
    """One feature: ``name`` and ``enabled``; prints as ``✔ CUDA`` / ``✖ CUDA``."""

    def __init__(self, name: str, enabled: bool) -> None:
        self.name, self.enabled = name, bool(enabled)

    def __repr__(self) -> str:
        return f"{'✔' if self.enabled else '✖'} {self.name}"


def _devices(kind: str) -> list[Any]:
    try:
        return jax.devices(kind)
    except RuntimeError:
        return []


def _cpu_flags() -> set[str]:
    """The host CPU's instruction-set flags (Linux ``/proc/cpuinfo``; XLA compiles for them)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def feature_list() -> list[Feature]:
    """MXNet's feature names with what gluax's jax backend offers: CUDA/CUDNN/NCCL only with a
    jax GPU backend; features that are MXNet build options gluax has no counterpart for
    (MKLDNN, TENSORRT, OPENCV, TVM_OP, ...) are off. ``TPU`` is added when jax has a TPU."""
    gpu = bool(_devices("gpu"))
    cuda = gpu and "rocm" not in jax.default_backend()
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    cpu = _cpu_flags() if x86 else set()
    enabled = {
        "CUDA": cuda, "CUDNN": cuda, "NCCL": cuda, "CUDA_RTC": False, "TENSORRT": False,
        "CPU_SSE": "sse" in cpu, "CPU_SSE2": "sse2" in cpu, "CPU_SSE3": "pni" in cpu,
        "CPU_SSE4_1": "sse4_1" in cpu, "CPU_SSE4_2": "sse4_2" in cpu,
        "CPU_SSE4A": "sse4a" in cpu, "CPU_AVX": "avx" in cpu, "CPU_AVX2": "avx2" in cpu,
        "OPENMP": False, "SSE": False, "F16C": "f16c" in cpu, "JEMALLOC": False, "BLAS_OPEN": False,
        "BLAS_ATLAS": False, "BLAS_MKL": False, "BLAS_APPLE": False, "LAPACK": True,
        "MKLDNN": False, "OPENCV": False, "CAFFE": False, "PROFILER": False,
        "DIST_KVSTORE": False, "CXX14": True, "INT64_TENSOR_SIZE": True,
        "SIGNAL_HANDLER": False, "DEBUG": False, "TVM_OP": False,
    }
    features = [Feature(k, v) for k, v in enabled.items()]
    if _devices("tpu"):
        features.append(Feature("TPU", True))
    return features


class Features(collections.OrderedDict):
    """Feature name -> :class:`Feature`, one shared instance (``Features()`` returns it)."""

    instance: Features | None = None

    def __new__(cls) -> Features:
        if cls.instance is None:
            inst = super().__new__(cls)
            collections.OrderedDict.__init__(inst, [(f.name, f) for f in feature_list()])
            cls.instance = inst
        return cls.instance

    def __init__(self) -> None:  # filled once in __new__
        pass

    def __repr__(self) -> str:
        return str(list(self.values()))

    def is_enabled(self, feature_name: str) -> bool:
        """Whether ``feature_name`` (any case) is on; RuntimeError for an unknown name."""
        key = feature_name.upper()
        if key not in self:
            raise RuntimeError(f"Feature {feature_name!r} is unknown, known features are: "
                               f"{list(self.keys())}")
        return self[key].enabled
