"""``mx.gluon.data.dataloader``."""

from gluax._src.data.batchify import default_batchify_fn as default_batchify_fn
from gluax._src.data.batchify import default_mp_batchify_fn as default_mp_batchify_fn
from gluax._src.data.dataloader import DataLoader as DataLoader
