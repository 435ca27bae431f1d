"""``mx.gluon.contrib.estimator.estimator``: the Estimator class."""

from gluax._src.estimator.estimator import Estimator as Estimator
