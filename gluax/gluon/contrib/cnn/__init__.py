"""``mx.gluon.contrib.cnn``: the deformable convolution layers (v1 and modulated v2)."""

from gluax._src.contrib.cnn import DeformableConvolution as DeformableConvolution
from gluax._src.contrib.cnn import ModulatedDeformableConvolution as ModulatedDeformableConvolution
from gluax.gluon.contrib.cnn import conv_layers as conv_layers
