"""``mx.gluon.contrib``: contributed layers."""

from gluax.gluon.contrib import data as data
from gluax.gluon.contrib import estimator as estimator
from gluax.gluon.contrib import nn as nn
from gluax.gluon.contrib import rnn as rnn
