"""``mxnet.kvstore.kvstore_server``: MXNet's server process, which gluax does not have."""

from gluax._src.parallel.kvstore import KVStoreServer as KVStoreServer
