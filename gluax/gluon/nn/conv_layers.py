"""``mx.gluon.nn.conv_layers``: convolution and pooling layers."""

from gluax._src.nn.conv_layers import AvgPool1D as AvgPool1D
from gluax._src.nn.conv_layers import AvgPool2D as AvgPool2D
from gluax._src.nn.conv_layers import AvgPool3D as AvgPool3D
from gluax._src.nn.conv_layers import Conv1D as Conv1D
from gluax._src.nn.conv_layers import Conv1DTranspose as Conv1DTranspose
from gluax._src.nn.conv_layers import Conv2D as Conv2D
from gluax._src.nn.conv_layers import Conv2DTranspose as Conv2DTranspose
from gluax._src.nn.conv_layers import Conv3D as Conv3D
from gluax._src.nn.conv_layers import Conv3DTranspose as Conv3DTranspose
from gluax._src.nn.conv_layers import GlobalAvgPool1D as GlobalAvgPool1D
from gluax._src.nn.conv_layers import GlobalAvgPool2D as GlobalAvgPool2D
from gluax._src.nn.conv_layers import GlobalAvgPool3D as GlobalAvgPool3D
from gluax._src.nn.conv_layers import GlobalMaxPool1D as GlobalMaxPool1D
from gluax._src.nn.conv_layers import GlobalMaxPool2D as GlobalMaxPool2D
from gluax._src.nn.conv_layers import GlobalMaxPool3D as GlobalMaxPool3D
from gluax._src.nn.conv_layers import MaxPool1D as MaxPool1D
from gluax._src.nn.conv_layers import MaxPool2D as MaxPool2D
from gluax._src.nn.conv_layers import MaxPool3D as MaxPool3D
from gluax._src.nn.pad_layers import ReflectionPad2D as ReflectionPad2D
