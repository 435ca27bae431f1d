"""``mx.sym.var``: in gluax, symbols exist only as traced NDArrays inside hybridized calls."""

from __future__ import annotations

from typing import Any


def var(name: str, **kwargs: Any) -> Any:
    """Not available: gluax has no free-standing symbolic graphs."""
    raise NotImplementedError(
        f"mx.sym.var({name!r}): gluax builds no free-standing symbolic graphs. Write the model "
        "as a HybridBlock and call hybridize(); to run an exported -symbol.json model use "
        "gluon.SymbolBlock.imports."
    )
