"""``mxnet.kvstore.kvstore``: the key-value store class."""

from gluax._src.parallel.kvstore import KVStore as KVStore
