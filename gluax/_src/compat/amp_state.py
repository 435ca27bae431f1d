"""Live module attributes of ``mx.contrib.amp``: ``amp._amp_initialized`` reads the flag
``amp.init()`` sets (GluonCV checks it), not a copy taken at import."""

from __future__ import annotations

from typing import Any

from gluax._src.compat import amp as _amp

_LIVE = ("_amp_initialized", "_amp_loss_scale_initialized", "_loss_scaler")


def __getattr__(name: str) -> Any:
    if name in _LIVE:
        return getattr(_amp, name)
    raise AttributeError(f"module 'gluax.contrib.amp' has no attribute {name!r}")
