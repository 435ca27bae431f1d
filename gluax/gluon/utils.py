"""``mx.gluon.utils``."""

from gluax._src.gluon.block import HookHandle as HookHandle
