"""``mx.model.save_checkpoint`` / ``load_checkpoint``: a Symbol and its parameters in MXNet's
two files, ``prefix-symbol.json`` and ``prefix-%04d.params`` (keys ``arg:<name>`` and
``aux:<name>``), readable by MXNet 1.9.1 and written by it."""

from __future__ import annotations

import os
from collections import namedtuple
from typing import Any

from gluax._src.engine.ndarray import NDArray
from gluax._src.engine.serialization import load as nd_load
from gluax._src.engine.serialization import save as nd_save
from gluax._src.gluon.symbol import Symbol, _is_graph
from gluax._src.gluon.symbol import load as sym_load

BatchEndParam = namedtuple("BatchEndParam", ["epoch", "nbatch", "eval_metric", "locals"])


def _check_params(what: str, params: Any) -> dict[str, NDArray]:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise TypeError(f"save_checkpoint: {what} must be a dict of name -> NDArray, got "
                        f"{type(params).__name__}.")  # fmt: skip
    for k, v in params.items():
        if not isinstance(v, NDArray):
            raise TypeError(f"save_checkpoint: {what}[{k!r}] must be an NDArray, got "
                            f"{type(v).__name__}.")  # fmt: skip
    return params


def save_checkpoint(
    prefix: str,
    epoch: int,
    symbol: Symbol | None,
    arg_params: dict[str, NDArray],
    aux_params: dict[str, NDArray],
    remove_amp_cast: bool = True,
) -> None:
    """Write ``prefix-symbol.json`` (when ``symbol`` is given) and ``prefix-%04d.params``
    with the parameters under ``arg:``/``aux:`` keys, as MXNet's ``save_checkpoint`` does.

    Parameters
    ----------
    prefix : str
        Path prefix of the two files.
    epoch : int
        Epoch number, written into the parameter file's name.
    symbol : Symbol or None
        The network's graph.
    arg_params, aux_params : dict of str to NDArray
        Arguments (weights) and auxiliary states (BatchNorm's moving statistics).
    remove_amp_cast : bool, default True
        Accepted for MXNet compatibility; gluax graphs hold no AMP casts.

    Examples
    --------
    >>> import gluax as mx, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> x = mx.sym.var('x')
    >>> mx.model.save_checkpoint(os.path.join(d, 'm'), 1, x * 2, {'x': mx.nd.ones((2,))}, {})
    >>> sorted(os.listdir(d))
    ['m-0001.params', 'm-symbol.json']
    """
    if symbol is not None:
        if not _is_graph(symbol):
            raise TypeError(
                f"save_checkpoint: symbol must be a Symbol or None, got {type(symbol).__name__}."
            )
        symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
    save_dict = {f"arg:{k}": v for k, v in _check_params("arg_params", arg_params).items()}
    save_dict.update({f"aux:{k}": v for k, v in _check_params("aux_params", aux_params).items()})
    nd_save(f"{prefix}-{int(epoch):04d}.params", save_dict)


def load_params(prefix: str, epoch: int) -> tuple[dict[str, NDArray], dict[str, NDArray]]:
    """``(arg_params, aux_params)`` from ``prefix-%04d.params`` (the ``arg:``/``aux:`` keys)."""
    fname = f"{prefix}-{int(epoch):04d}.params"
    if not os.path.exists(fname):
        raise FileNotFoundError(f"load_params: no such file {fname!r}.")
    saved = nd_load(fname)
    if not isinstance(saved, dict):
        raise ValueError(f"load_params: {fname!r} holds an unnamed list of arrays, not "
                         "arg:/aux: parameters.")  # fmt: skip
    arg_params: dict[str, NDArray] = {}
    aux_params: dict[str, NDArray] = {}
    for k, v in saved.items():
        kind, _, name = k.partition(":")
        if kind == "arg" and name:
            arg_params[name] = v
        elif kind == "aux" and name:
            aux_params[name] = v
    return arg_params, aux_params


def load_checkpoint(
    prefix: str, epoch: int
) -> tuple[Symbol, dict[str, NDArray], dict[str, NDArray]]:
    """``(symbol, arg_params, aux_params)`` from the files ``save_checkpoint`` writes (MXNet's
    or gluax's). Wrap them with ``gluon.SymbolBlock`` to run the network."""
    symbol = sym_load(f"{prefix}-symbol.json")
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params
