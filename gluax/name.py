"""``mx.name``: ``NameManager`` and ``Prefix``, the automatic names of top-level blocks
(``dense0_``) and symbols."""

from gluax._src.compat.base import classproperty as classproperty
from gluax._src.compat.base import with_metaclass as with_metaclass
from gluax._src.engine.scopes import NameManager as NameManager
from gluax._src.engine.scopes import Prefix as Prefix
