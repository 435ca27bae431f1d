"""``mx.gluon.rnn.rnn_layer``: fused recurrent layers."""

from gluax._src.rnn.rnn_layer import GRU as GRU
from gluax._src.rnn.rnn_layer import LSTM as LSTM
from gluax._src.rnn.rnn_layer import RNN as RNN
