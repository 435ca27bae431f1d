"""``mx.libinfo``: where MXNet's shared library lives. gluax has none; the answers point at
the gluax package and say so."""

from __future__ import annotations

import os

import gluax._src as _src

__version__ = "1.9.1"


def _package_dir() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(_src.__file__)))


def find_lib_path(prefix: str = "libmxnet") -> list[str]:
    """MXNet returns the path of ``libmxnet.so``; gluax has no native library and raises."""
    raise RuntimeError(f"find_lib_path({prefix!r}): gluax has no native library (it runs on "
                       f"jax/XLA; the package is at {_package_dir()}).")


def find_include_path() -> str:
    """MXNet's C headers; gluax has none and raises."""
    raise RuntimeError("find_include_path: gluax has no C headers (it runs on jax/XLA).")


def find_conf_path(prefix: str = "tvmop") -> list[str]:
    """MXNet's TVM operator config; gluax has none and raises, as MXNet does without it."""
    raise RuntimeError(f"find_conf_path({prefix!r}): gluax has no TVM operator config.")
