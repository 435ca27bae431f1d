"""``mx.gluon.data.batchify`` (MXNet 2.0's module; GluonNLP's ``Tuple`` is ``Group``)."""

from gluax._src.data.batchify import Append as Append
from gluax._src.data.batchify import AsList as AsList
from gluax._src.data.batchify import Group as Group
from gluax._src.data.batchify import Pad as Pad
from gluax._src.data.batchify import Stack as Stack
from gluax._src.data.batchify import Tuple as Tuple
