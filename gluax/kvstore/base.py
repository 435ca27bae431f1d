"""``mxnet.kvstore.base``: the key-value store base class and ``create``."""

from gluax._src.parallel.kvstore import KVStoreBase as KVStoreBase
from gluax._src.parallel.kvstore import create as create
