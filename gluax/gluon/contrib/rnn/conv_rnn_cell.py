"""``mx.gluon.contrib.rnn.conv_rnn_cell``: convolutional recurrent cells."""

from gluax._src.rnn.conv_rnn_cell import Conv1DGRUCell as Conv1DGRUCell
from gluax._src.rnn.conv_rnn_cell import Conv1DLSTMCell as Conv1DLSTMCell
from gluax._src.rnn.conv_rnn_cell import Conv1DRNNCell as Conv1DRNNCell
from gluax._src.rnn.conv_rnn_cell import Conv2DGRUCell as Conv2DGRUCell
from gluax._src.rnn.conv_rnn_cell import Conv2DLSTMCell as Conv2DLSTMCell
from gluax._src.rnn.conv_rnn_cell import Conv2DRNNCell as Conv2DRNNCell
from gluax._src.rnn.conv_rnn_cell import Conv3DGRUCell as Conv3DGRUCell
from gluax._src.rnn.conv_rnn_cell import Conv3DLSTMCell as Conv3DLSTMCell
from gluax._src.rnn.conv_rnn_cell import Conv3DRNNCell as Conv3DRNNCell
