"""``mx.gluon.model_zoo.model_store``: where the pretrained weight files are found."""

from gluax._src.model_zoo.model_store import get_model_file as get_model_file
from gluax._src.model_zoo.model_store import purge as purge
from gluax._src.model_zoo.model_store import short_hash as short_hash
from gluax._src.model_zoo.model_store import _MODEL_SHA1 as _model_sha1
