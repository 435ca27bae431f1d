"""``mx.nd.linalg``: the operators registered as ``_linalg_X`` (``gemm``, ``gemm2``, ``potrf``,
``trsm``, ``inverse``, ``det``, ...)."""

from gluax._src.engine.namespace import op_names as _op_names
from gluax._src.engine.namespace import prefixed_function as _prefixed


def __getattr__(name: str):  # mx.nd.linalg.X is the registered operator _linalg_X
    return _prefixed("_linalg_", name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | {n[8:] for n in _op_names() if n.startswith("_linalg_")})
