"""``mx.recordio``: MXNet's RecordIO files (``.rec`` + ``.idx``) and image-record headers."""

from gluax._src.data.recordio import IRHeader as IRHeader
from gluax._src.data.recordio import MXIndexedRecordIO as MXIndexedRecordIO
from gluax._src.data.recordio import MXRecordIO as MXRecordIO
from gluax._src.data.recordio import pack as pack
from gluax._src.data.recordio import pack_img as pack_img
from gluax._src.data.recordio import unpack as unpack
from gluax._src.data.recordio import unpack_img as unpack_img
