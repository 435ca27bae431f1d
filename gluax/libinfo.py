"""``mx.libinfo``: MXNet's native-library lookups; gluax has no native library (they raise)."""

from gluax._src.compat.libinfo import __version__ as __version__
from gluax._src.compat.libinfo import find_conf_path as find_conf_path
from gluax._src.compat.libinfo import find_include_path as find_include_path
from gluax._src.compat.libinfo import find_lib_path as find_lib_path
