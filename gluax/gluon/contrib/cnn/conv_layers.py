"""``mx.gluon.contrib.cnn.conv_layers``: DeformableConvolution and ModulatedDeformableConvolution."""

from gluax._src.contrib.cnn import DeformableConvolution as DeformableConvolution
from gluax._src.contrib.cnn import ModulatedDeformableConvolution as ModulatedDeformableConvolution
