"""``mx.contrib.amp``: automatic mixed precision. ``convert_hybrid_block`` runs a block in
float16 or bfloat16 (JAX's low-precision dtypes) with float32 at its boundary; ``init_trainer``
and ``scale_loss`` give MXNet's dynamic loss scaling. ``amp._amp_initialized`` is a live view
of the flag ``amp.init()`` sets."""

from gluax._src.compat.amp import LossScaler as LossScaler
from gluax._src.compat.amp import convert_hybrid_block as convert_hybrid_block
from gluax._src.compat.amp import convert_model as convert_model
from gluax._src.compat.amp import convert_symbol as convert_symbol
from gluax._src.compat.amp import init as init
from gluax._src.compat.amp import init_trainer as init_trainer
from gluax._src.compat.amp import list_conditional_fp32_ops as list_conditional_fp32_ops
from gluax._src.compat.amp import list_fp32_ops as list_fp32_ops
from gluax._src.compat.amp import list_loss_output_functions as list_loss_output_functions
from gluax._src.compat.amp import list_lp16_fp32_ops as list_lp16_fp32_ops
from gluax._src.compat.amp import list_lp16_ops as list_lp16_ops
from gluax._src.compat.amp import list_lp16_use_fp32_params as list_lp16_use_fp32_params
from gluax._src.compat.amp import list_widest_type_cast as list_widest_type_cast
from gluax._src.compat.amp import scale_loss as scale_loss
from gluax._src.compat.amp import unscale as unscale
from gluax._src.compat.amp_state import __getattr__ as __getattr__
from gluax.contrib.amp import amp as amp
from gluax.contrib.amp import lists as lists
from gluax.contrib.amp import loss_scaler as loss_scaler
