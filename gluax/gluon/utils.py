"""``mx.gluon.utils``."""

from gluax._src.gluon.block import HookHandle as HookHandle
from gluax._src.compat.gluon_extra import _get_repo_file_url as _get_repo_file_url
from gluax._src.compat.gluon_extra import _get_repo_url as _get_repo_url
from gluax._src.compat.gluon_extra import replace_file as replace_file
from gluax._src.gluon.utils import check_sha1 as check_sha1
from gluax._src.gluon.utils import clip_global_norm as clip_global_norm
from gluax._src.gluon.utils import download as download
from gluax._src.gluon.utils import shape_is_known as shape_is_known
from gluax._src.gluon.utils import split_and_load as split_and_load
from gluax._src.gluon.utils import split_data as split_data
