"""``mx.gluon.contrib.data._constants``: the end-of-sentence token of the text data sets."""

from gluax._src.data.text import EOS_TOKEN as EOS_TOKEN
