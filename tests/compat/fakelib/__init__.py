"""A small stand-in for a Gluon library (GluonCV/GluonNLP style) that says ``import mxnet``: its
module-level imports are the kinds those libraries make."""

from distutils.version import LooseVersion  # noqa: F401 - GluonCV's own version check

import mxnet as mx
from mxnet import gluon, nd
from mxnet.base import numeric_types, string_types
from mxnet.contrib import amp
from mxnet.gluon.block import HybridBlock
from mxnet.gluon.data.dataloader import _MultiWorkerIter, default_batchify_fn
from mxnet.gluon.loss import Loss, _apply_weighting, _reshape_like
from mxnet.gluon.model_zoo import model_store
from mxnet.gluon.nn import BatchNorm
from mxnet.gluon.utils import _get_repo_file_url
from mxnet.ndarray.contrib import adamw_update, mp_adamw_update  # absent: import, not call

if not (LooseVersion("1.4.0") <= LooseVersion(mx.__version__) < LooseVersion("2.0.0")):
    raise ImportError(f"fakelib needs mxnet>=1.4,<2, found {mx.__version__}")

model_store._model_sha1.update({"fakelib_net": "0" * 40})


class MultiWorker(_MultiWorkerIter):  # a library subclassing an absent class at import
    pass


class ScaledL2(Loss):
    def __init__(self, weight=1.0, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        loss = _apply_weighting(F, loss, self._weight / 2, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class Net(HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv = gluon.nn.Conv2D(4, 3, padding=1)
            self.bn = BatchNorm()
            self.dense = gluon.nn.Dense(3)

    def hybrid_forward(self, F, x):
        hw = F.slice_axis(F.shape_array(x), axis=0, begin=2, end=4)
        y = self.dense(F.relu(self.bn(self.conv(x))))
        return y, hw


def describe():
    return {"version": mx.__version__, "numeric": numeric_types, "string": string_types,
            "amp_initialized": amp.amp._amp_initialized, "url": _get_repo_file_url("ns", "f"),
            "batchify": default_batchify_fn, "nd": nd, "adamw": adamw_update,
            "mp_adamw": mp_adamw_update}
