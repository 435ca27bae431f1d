"""Shared pieces of the reader fuzz harness: byte-level mutations drawn by hypothesis, and
the bound on examples (``GLUAX_FUZZ_EXAMPLES``, default small so the suite stays fast; set
it to thousands for a campaign)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import gluax as mx

EXAMPLES = int(os.environ.get("GLUAX_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("GLUAX_FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)

_OPS = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**31), st.integers(0, 7)),
    st.tuples(st.just("set"), st.integers(0, 2**31), st.sampled_from([0, 1, 0x7F, 0x80, 0xFF])),
    st.tuples(st.just("truncate"), st.integers(0, 2**31), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 2**31), st.binary(min_size=1, max_size=9)),
    st.tuples(st.just("delete"), st.integers(0, 2**31), st.integers(1, 16)),
    st.tuples(st.just("word"), st.integers(0, 2**31), st.sampled_from([0, 1, 2**31 - 1, 2**32 - 1, 2**57, 2**63 - 1, 2**64 - 1])),
)
MUTATIONS = st.lists(_OPS, min_size=1, max_size=4)


def mutate(data: bytes, ops: list) -> bytes:
    """``data`` with the drawn edits applied (positions wrap around the current length)."""
    buf = bytearray(data)
    for op, pos, arg in ops:
        if not buf:
            break
        i = pos % len(buf)
        if op == "flip":
            buf[i] ^= 1 << arg
        elif op == "set":
            buf[i] = arg
        elif op == "truncate":
            del buf[i:]
        elif op == "insert":
            buf[i:i] = arg
        elif op == "delete":
            del buf[i : i + arg]
        elif op == "word":  # a little-endian 64-bit word: lengths and counts
            buf[i : i + 8] = int(arg).to_bytes(8, "little")
    return bytes(buf)


def check_refusal(err: BaseException, fname: str) -> None:
    """A refused file must raise gluax's error naming the file."""
    assert isinstance(err, mx.MXNetError), f"{type(err).__name__}: {err}"
    assert str(fname) in str(err), f"the error does not name {fname}: {err}"
