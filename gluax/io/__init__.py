"""``mx.io``: data iterators (``NDArrayIter``, ``CSVIter``, ``MNISTIter``, ``LibSVMIter``, ...)."""

from gluax.io import io as io
from gluax.io import utils as utils
from gluax.io.io import CSVIter as CSVIter
from gluax.io.io import DataBatch as DataBatch
from gluax.io.io import DataDesc as DataDesc
from gluax.io.io import DataIter as DataIter
from gluax.io.io import ImageDetRecordIter as ImageDetRecordIter
from gluax.io.io import ImageRecordInt8Iter as ImageRecordInt8Iter
from gluax.io.io import ImageRecordIter as ImageRecordIter
from gluax.io.io import ImageRecordIter_v1 as ImageRecordIter_v1
from gluax.io.io import ImageRecordUInt8Iter as ImageRecordUInt8Iter
from gluax.io.io import ImageRecordUInt8Iter_v1 as ImageRecordUInt8Iter_v1
from gluax.io.io import LibSVMIter as LibSVMIter
from gluax.io.io import MNISTIter as MNISTIter
from gluax.io.io import MXDataIter as MXDataIter
from gluax.io.io import NDArrayIter as NDArrayIter
from gluax.io.io import PrefetchingIter as PrefetchingIter
from gluax.io.io import ResizeIter as ResizeIter
from gluax.io.utils import _getdata_by_idx as _getdata_by_idx
from gluax.io.utils import _has_instance as _has_instance
from gluax.io.utils import _init_data as _init_data
