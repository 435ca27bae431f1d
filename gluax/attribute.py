"""``mx.attribute``: ``AttrScope``, attributes attached to the symbols created in its scope."""

from gluax._src.compat.base import classproperty as classproperty
from gluax._src.compat.base import string_types as string_types
from gluax._src.compat.base import with_metaclass as with_metaclass
from gluax._src.engine.scopes import AttrScope as AttrScope
