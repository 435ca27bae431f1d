"""``mx.gluon.contrib.data.text``: WikiText-2 and WikiText-103 read from local files."""

from gluax._src.data.text import WikiText2 as WikiText2
from gluax._src.data.text import WikiText103 as WikiText103
