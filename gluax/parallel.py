"""``gluax.parallel``: multi-host training on JAX's runtime (a gluax extension)."""

from gluax._src.parallel.distributed import initialize as initialize
from gluax._src.parallel.distributed import process_count as process_count
from gluax._src.parallel.distributed import process_index as process_index
from gluax._src.parallel.distributed import shutdown as shutdown
