"""``mx.log``: ``get_logger`` with MXNet's log-line format, and the logging levels."""

from gluax._src.compat.log import CRITICAL as CRITICAL
from gluax._src.compat.log import DEBUG as DEBUG
from gluax._src.compat.log import ERROR as ERROR
from gluax._src.compat.log import INFO as INFO
from gluax._src.compat.log import NOTSET as NOTSET
from gluax._src.compat.log import WARNING as WARNING
from gluax._src.compat.log import get_logger as get_logger
from gluax._src.compat.log import getLogger as getLogger
