"""``mx.gluon.rnn.rnn_cell``: recurrent cells."""

from gluax._src.rnn.cell_wrappers import BidirectionalCell as BidirectionalCell
from gluax._src.rnn.cell_wrappers import DropoutCell as DropoutCell
from gluax._src.rnn.cell_wrappers import HybridSequentialRNNCell as HybridSequentialRNNCell
from gluax._src.rnn.cell_wrappers import ModifierCell as ModifierCell
from gluax._src.rnn.cell_wrappers import ResidualCell as ResidualCell
from gluax._src.rnn.cell_wrappers import SequentialRNNCell as SequentialRNNCell
from gluax._src.rnn.cell_wrappers import ZoneoutCell as ZoneoutCell
from gluax._src.rnn.rnn_cell import GRUCell as GRUCell
from gluax._src.rnn.rnn_cell import HybridRecurrentCell as HybridRecurrentCell
from gluax._src.rnn.rnn_cell import LSTMCell as LSTMCell
from gluax._src.rnn.rnn_cell import RecurrentCell as RecurrentCell
from gluax._src.rnn.rnn_cell import RNNCell as RNNCell
