"""``mx.log``: MXNet's logger helper (``get_logger``) on the standard ``logging`` module."""

from __future__ import annotations

import logging
import sys
import warnings

CRITICAL = logging.CRITICAL
ERROR = logging.ERROR
WARNING = logging.WARNING
INFO = logging.INFO
DEBUG = logging.DEBUG
NOTSET = logging.NOTSET

_LABELS = {CRITICAL: "C", ERROR: "E", WARNING: "W", INFO: "I", DEBUG: "D"}


class _Formatter(logging.Formatter):
    """``W1207 18:00:00 123 file.py:func:10] message``, MXNet's glog-style line."""

    def format(self, record: logging.LogRecord) -> str:
        label = _LABELS.get(record.levelno, "U")
        self._style._fmt = (f"{label}%(asctime)s %(process)d %(pathname)s:%(funcName)s:"
                            "%(lineno)d] %(message)s")
        return super().format(record)


def get_logger(name: str | None = None, filename: str | None = None,
               filemode: str | None = None, level: int = WARNING) -> logging.Logger:
    """A logger named ``name`` writing MXNet-style lines to stderr, or to ``filename`` (opened
    with ``filemode``, default ``'a'``); handlers are attached once per name."""
    logger = logging.getLogger(name)
    if name is not None and not getattr(logger, "_init_done", False):
        logger._init_done = True  # type: ignore[attr-defined]
        handler: logging.Handler = (logging.FileHandler(filename, filemode or "a")
                                    if filename else logging.StreamHandler(sys.stderr))
        handler.setFormatter(_Formatter(datefmt="%m%d %H:%M:%S"))
        logger.addHandler(handler)
    logger.setLevel(level)
    return logger


def getLogger(name: str | None = None, filename: str | None = None,  # noqa: N802
              filemode: str | None = None, level: int = WARNING) -> logging.Logger:
    """Deprecated spelling of :func:`get_logger`."""
    warnings.warn("getLogger is deprecated, use get_logger instead.", DeprecationWarning,
                  stacklevel=2)
    return get_logger(name, filename, filemode, level)
