"""The numpy-mode switches of MXNet's ``npx.set_np()``: NumPy shape semantics (zero-size and
zero-dim arrays) and NumPy arrays (``mx.np.ndarray`` from Gluon blocks, parameters, loaders).

Process-wide flags (MXNet keeps them per thread; one flag seen by data-loading threads too is
what ported code expects). The numpy front end (``gluax/_src/numpy``) and Gluon read them.
"""

from __future__ import annotations


class _Flags:
    shape: bool = False
    array: bool = False


FLAGS = _Flags()


def is_np_shape() -> bool:
    """Whether NumPy shape semantics are on (``npx.set_np()`` or ``set_np_shape(True)``)."""
    return FLAGS.shape


def is_np_array() -> bool:
    """Whether NumPy arrays are on: Gluon takes and returns ``mx.np.ndarray``."""
    return FLAGS.array


def set_np_shape(active: bool) -> bool:
    """Turn NumPy shape semantics on or off; returns the previous setting."""
    prev, FLAGS.shape = FLAGS.shape, bool(active)
    return prev


def set_np_array(active: bool) -> bool:
    """Turn NumPy arrays on or off; returns the previous setting."""
    prev, FLAGS.array = FLAGS.array, bool(active)
    return prev


def set_np(shape: bool = True, array: bool = True) -> None:
    """MXNet's ``npx.set_np``: NumPy arrays need NumPy shapes, as in MXNet."""
    if array and not shape:
        raise ValueError("set_np: NumPy arrays (array=True) need NumPy shape semantics "
                         "(shape=True).")
    set_np_shape(shape)
    set_np_array(array)


def reset_np() -> None:
    """MXNet's ``npx.reset_np``: both switches off (legacy NDArray mode)."""
    set_np(shape=False, array=False)
