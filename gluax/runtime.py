"""``mx.runtime``: ``Features`` / ``feature_list``, what gluax's jax backend offers in MXNet's
feature names (CUDA only with a jax GPU backend)."""

from gluax._src.compat.absent import absent_attribute as _absent_attribute
from gluax._src.compat.runtime import Feature as Feature
from gluax._src.compat.runtime import Features as Features
from gluax._src.compat.runtime import feature_list as feature_list


def __getattr__(name: str):  # MXNet names gluax lacks: importable, raise when used
    return _absent_attribute(__name__, name)
