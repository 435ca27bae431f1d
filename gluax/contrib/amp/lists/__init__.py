"""``mx.contrib.amp.lists``: the operator lists of gluax's mixed-precision policy."""

from gluax.contrib.amp.lists import symbol_bf16 as symbol_bf16
from gluax.contrib.amp.lists import symbol_fp16 as symbol_fp16
