"""``mx.io.io``: the data iterators."""

from gluax._src.io.file_iters import CSVIter as CSVIter
from gluax._src.io.file_iters import LibSVMIter as LibSVMIter
from gluax._src.io.file_iters import MNISTIter as MNISTIter
from gluax._src.io.file_iters import MXDataIter as MXDataIter
from gluax._src.io.image_record import ImageDetRecordIter as ImageDetRecordIter
from gluax._src.io.image_record import ImageRecordInt8Iter as ImageRecordInt8Iter
from gluax._src.io.image_record import ImageRecordIter as ImageRecordIter
from gluax._src.io.image_record import ImageRecordIter_v1 as ImageRecordIter_v1
from gluax._src.io.image_record import ImageRecordUInt8Iter as ImageRecordUInt8Iter
from gluax._src.io.image_record import ImageRecordUInt8Iter_v1 as ImageRecordUInt8Iter_v1
from gluax._src.io.io import DataBatch as DataBatch
from gluax._src.io.io import DataDesc as DataDesc
from gluax._src.io.io import DataIter as DataIter
from gluax._src.io.io import NDArrayIter as NDArrayIter
from gluax._src.io.io import PrefetchingIter as PrefetchingIter
from gluax._src.io.io import ResizeIter as ResizeIter
