"""Heavy or optional modules that MXNet's ``test_utils`` leaks as module names (``ss`` for
``scipy.stats``, ``requests``), resolved only when first asked for so ``import gluax`` stays
fast and needs neither. ``from mxnet.test_utils import *`` therefore does not bring them."""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"ss": "scipy.stats", "requests": "requests"}


def __getattr__(name: str) -> Any:
    """Module-level attribute hook for ``gluax.test_utils`` (``ss``, ``requests``)."""
    target = _LAZY.get(name)
    if target is None:  # an absent MXNet name (np_symbol) or none at all
        from gluax._src.compat.absent import absent_attribute

        return absent_attribute("gluax.test_utils", name)
    try:
        return importlib.import_module(target)
    except ImportError as e:
        raise ImportError(
            f"mx.test_utils.{name} is the module {target}, which is not installed: pip install "
            f"{target.split('.')[0]}"
        ) from e
