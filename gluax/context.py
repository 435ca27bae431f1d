"""``mx.context``: devices."""

from gluax._src.compat.gluon_extra import gpu_memory_info as gpu_memory_info
from gluax._src.engine.context import Context as Context
from gluax._src.engine.context import cpu as cpu
from gluax._src.engine.context import cpu_pinned as cpu_pinned
from gluax._src.engine.context import current_context as current_context
from gluax._src.engine.context import gpu as gpu
from gluax._src.engine.context import num_gpus as num_gpus
