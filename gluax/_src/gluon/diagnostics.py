"""What hybridize() tells users: tracer errors naming the block and line, recompile warnings."""

from __future__ import annotations

import linecache
import os
import sys
from typing import Any

import jax

from gluax._src.engine.base import MXNetError
from gluax._src.engine.ndarray import TracerValueError

TRACED_VALUE = (
    "{block} needs the value of an array while it is being compiled, at {where}\n"
    "    {line}\n"
    "A hybridized block is traced with placeholder arrays whose values are only known when the "
    "compiled program runs, so Python control flow (if/while/bool()), .asnumpy() and "
    ".asscalar() on array values cannot be compiled. Use F.where(cond, x, y) for "
    "data-dependent choices, F.contrib.cond / F.contrib.while_loop / F.contrib.foreach for "
    "control flow, or keep this block eager: net.hybridize(active=False).\n({cause})"
)


RECOMPILE_WARNING = 8


def _user_stacklevel() -> int:
    """The stacklevel for warnings.warn that points at the first frame outside gluax and jax."""
    skip = (
        os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        os.path.dirname(jax.__file__),
    )
    frame, level = sys._getframe(1), 1
    while frame is not None and (
        frame.f_code.co_filename.startswith(skip) or "site-packages" in frame.f_code.co_filename
    ):
        frame, level = frame.f_back, level + 1
    return level


class HybridizeError(MXNetError):
    """A hybridized block did something that cannot be compiled."""


_TRACER_ERRORS = (
    TracerValueError,
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.TracerArrayConversionError,
)


def _tracer_message(block: Any, err: BaseException) -> str:
    """Name the block and the user's source line that asked for a traced value."""
    skip = (
        os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        os.path.dirname(jax.__file__),
    )
    where, line = "an unknown line", ""
    tb = err.__traceback__
    while tb is not None:
        fname = tb.tb_frame.f_code.co_filename
        if not fname.startswith(skip) and "site-packages" not in fname:
            where = f"{fname}:{tb.tb_lineno} (in {tb.tb_frame.f_code.co_name})"
            line = linecache.getline(fname, tb.tb_lineno).strip()
        tb = tb.tb_next
    name = f"{type(block).__name__} '{block.name}'"
    cause = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    return TRACED_VALUE.format(block=name, where=where, line=line, cause=cause)
