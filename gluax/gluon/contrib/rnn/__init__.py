"""``mx.gluon.contrib.rnn``: contributed recurrent cells."""

from gluax._src.rnn.contrib_cell import LSTMPCell as LSTMPCell
from gluax._src.rnn.contrib_cell import VariationalDropoutCell as VariationalDropoutCell
