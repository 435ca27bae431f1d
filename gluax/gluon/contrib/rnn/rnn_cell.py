"""``mx.gluon.contrib.rnn.rnn_cell``."""

from gluax._src.rnn.contrib_cell import LSTMPCell as LSTMPCell
from gluax._src.rnn.contrib_cell import VariationalDropoutCell as VariationalDropoutCell
