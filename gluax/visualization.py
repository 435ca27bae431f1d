"""``mx.viz``: print a Symbol's layer table or draw it with graphviz (the ``viz`` extra)."""

from gluax._src.gluon.symbol import Symbol as Symbol
from gluax._src.gluon.symbol_viz import plot_network as plot_network
from gluax._src.gluon.symbol_viz import print_summary as print_summary
