"""``mx.profiler``: MXNet's profiler API over ``jax.profiler`` (see docs/profiler.md)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.engine.profiler import Counter as Counter
from gluax._src.engine.profiler import Domain as Domain
from gluax._src.engine.profiler import Event as Event
from gluax._src.engine.profiler import Frame as Frame
from gluax._src.engine.profiler import Marker as Marker
from gluax._src.engine.profiler import Task as Task
from gluax._src.engine.profiler import dump as dump
from gluax._src.engine.profiler import dump_profile as dump_profile
from gluax._src.engine.profiler import dumps as dumps
from gluax._src.engine.profiler import pause as pause
from gluax._src.engine.profiler import profiler_set_config as profiler_set_config
from gluax._src.engine.profiler import profiler_set_state as profiler_set_state
from gluax._src.engine.profiler import resume as resume
from gluax._src.engine.profiler import scope as scope
from gluax._src.engine.profiler import set_config as set_config
from gluax._src.engine.profiler import set_kvstore_handle as set_kvstore_handle
from gluax._src.engine.profiler import set_state as set_state


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
