"""``mx.gluon.block``: Block, HybridBlock, SymbolBlock."""

from gluax._src.gluon.block import Block as Block
from gluax._src.gluon.block import HybridBlock as HybridBlock
from gluax._src.gluon.symbol_block import SymbolBlock as SymbolBlock
