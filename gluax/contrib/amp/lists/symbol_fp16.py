"""``mx.contrib.amp.lists.symbol_fp16``: gluax's float16 policy in MXNet's list names."""

from gluax._src.compat.amp import CONDITIONAL_FP32_FUNCS as CONDITIONAL_FP32_FUNCS
from gluax._src.compat.amp import FP16_FP32_FUNCS as FP16_FP32_FUNCS
from gluax._src.compat.amp import FP16_FUNCS as FP16_FUNCS
from gluax._src.compat.amp import FP32_FUNCS as FP32_FUNCS
from gluax._src.compat.amp import LOSS_OUTPUT_FUNCTIONS as LOSS_OUTPUT_FUNCTIONS
from gluax._src.compat.amp import WIDEST_TYPE_CASTS as WIDEST_TYPE_CASTS
