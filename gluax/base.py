"""``mx.base``: MXNet's error type."""

from gluax._src.engine.base import MXNetError as MXNetError
