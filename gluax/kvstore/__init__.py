"""``mx.kv`` / ``mx.kvstore``: MXNet's key-value store over JAX's runtime (see docs/kvstore.md)."""

from gluax._src.parallel.kvstore import KVStore as KVStore
from gluax._src.parallel.kvstore import KVStoreBase as KVStoreBase
from gluax._src.parallel.kvstore import KVStoreServer as KVStoreServer
from gluax._src.parallel.kvstore import create as create
from gluax.kvstore import base as base
from gluax.kvstore import kvstore as kvstore
from gluax.kvstore import kvstore_server as kvstore_server
