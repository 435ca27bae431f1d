"""``mx.registry``: named-class registries (``get_register_func``, ``get_create_func``...)."""

from gluax._src.compat.registry import get_alias_func as get_alias_func
from gluax._src.compat.registry import get_create_func as get_create_func
from gluax._src.compat.registry import get_register_func as get_register_func
from gluax._src.compat.registry import get_registry as get_registry
from gluax._src.compat.registry import string_types as string_types
