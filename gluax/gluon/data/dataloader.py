"""``mx.gluon.data.dataloader``."""

from multiprocessing.reduction import ForkingPickler as ForkingPickler
from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.data.dataloader import _as_in_context as _as_in_context
from gluax._src.data.batchify import default_batchify_fn as default_batchify_fn
from gluax._src.data.batchify import default_mp_batchify_fn as default_mp_batchify_fn
from gluax._src.data.dataloader import DataLoader as DataLoader


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
