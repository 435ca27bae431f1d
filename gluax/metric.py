"""``mx.metric``: evaluation metrics."""

from gluax._src.metric.base import Caffe as Caffe
from gluax._src.metric.base import CompositeEvalMetric as CompositeEvalMetric
from gluax._src.metric.base import CustomMetric as CustomMetric
from gluax._src.metric.base import EvalMetric as EvalMetric
from gluax._src.metric.base import Loss as Loss
from gluax._src.metric.base import Torch as Torch
from gluax._src.metric.base import alias as alias
from gluax._src.metric.base import check_label_shapes as check_label_shapes
from gluax._src.metric.base import create as create
from gluax._src.metric.base import np_metric as np  # noqa: F401  (mx.metric.np)
from gluax._src.metric.base import register as register
from gluax._src.metric.classification import F1 as F1
from gluax._src.metric.classification import MCC as MCC
from gluax._src.metric.classification import PCC as PCC
from gluax._src.metric.classification import Accuracy as Accuracy
from gluax._src.metric.classification import Perplexity as Perplexity
from gluax._src.metric.classification import TopKAccuracy as TopKAccuracy
from gluax._src.metric.regression import MAE as MAE
from gluax._src.metric.regression import MSE as MSE
from gluax._src.metric.regression import RMSE as RMSE
from gluax._src.metric.regression import CrossEntropy as CrossEntropy
from gluax._src.metric.regression import NegativeLogLikelihood as NegativeLogLikelihood
from gluax._src.metric.regression import PearsonCorrelation as PearsonCorrelation
