"""mx.metric against MXNet 1.9.1 (tests/fixtures/metric): every metric's get(), get_global(),
name-value pairs and config after updates, reset_local() and reset(), fed gluax NDArrays and
numpy arrays; then create/register, the properties MXNet leaves out, and the errors."""

from __future__ import annotations

import json
import math
import pathlib
from collections import OrderedDict

import jax.numpy as jnp
import numpy as np
import pytest

import gluax as mx
from gluax import metric

FIX = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "metric" / "metric.json").read_text())
INPUTS = {k: np.array(v["values"], np.float32).reshape(v["shape"]) for k, v in FIX["inputs"].items()}


def mean_abs(label, pred):
    return np.abs(label - pred).mean()


def sum_and_count(label, pred):
    return float(np.abs(label - pred).sum()), label.size


FUNCS = {"mean_abs": mean_abs, "sum_and_count": sum_and_count, "lambda": lambda label, pred: (label * pred).mean()}
# keys gluax adds to get_config so that create(**config) rebuilds the same metric (documented)
EXTRA_CONFIG = {"F1": {"average"}, "MCC": {"average"}, "Perplexity": {"axis"}, "PearsonCorrelation": {"average"}}


def _arrays(spec, kind):
    wrap = {"nd": mx.nd.array, "np": np.asarray, "jax": jnp.asarray}[kind]
    if spec is None:
        return None
    if isinstance(spec, list):
        return [wrap(INPUTS[k]) for k in spec]
    return wrap(INPUTS[spec])


def _make(how, arg, kwargs):
    kwargs = {k: FUNCS[v] if k == "feval" else v for k, v in kwargs.items()}
    if how == "create":
        return metric.create(FUNCS.get(arg, arg) if isinstance(arg, str) else arg, **kwargs)
    if how == "np":
        return metric.np(FUNCS[arg], **kwargs)
    return getattr(metric, arg)(**kwargs)


def _assert_same(got, want, where):
    if isinstance(want, dict):
        assert isinstance(got, dict), where
        extra = set(got) - set(want)
        assert extra <= EXTRA_CONFIG.get(want.get("metric"), set()), f"{where}: extra config keys {extra}"
        for k, v in want.items():
            _assert_same(got[k], v, f"{where}[{k!r}]")
    elif isinstance(want, list):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), f"{where}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, float):
        if math.isnan(want):
            assert math.isnan(got), f"{where}: {got!r} vs nan"
        else:
            # float32 sums may add in another order than MXNet's kernels
            assert got == pytest.approx(want, rel=1e-6, abs=1e-7), where
    else:
        assert got == want, f"{where}: {got!r} vs {want!r}"


@pytest.mark.parametrize("kind", ["nd", "np"])
@pytest.mark.parametrize("case", sorted(FIX["cases"]))
def test_metric_matches_mxnet(case, kind):
    c = FIX["cases"][case]
    m = _make(*c["make"])
    results = []
    for step in c["steps"]:
        if isinstance(step, list):
            m.update(_arrays(step[1], kind), _arrays(step[2], kind))
        else:
            out = getattr(m, step)()
            if out is not None:
                results.append(out)
    _assert_same(results, c["results"], case)


def test_jax_arrays_are_accepted():
    m = metric.create(["acc", "ce"])
    m.update(_arrays("cls_l_a", "jax"), _arrays("cls_p_a", "jax"))
    ref = metric.create(["acc", "ce"])
    ref.update(INPUTS["cls_l_a"], INPUTS["cls_p_a"])
    assert m.get() == ref.get()


def test_accuracy_and_regression_against_numpy(rng):
    pred, label = rng.random((7, 4)).astype(np.float32), rng.integers(0, 4, 7).astype(np.float32)
    acc = metric.Accuracy()
    acc.update(mx.nd.array(label), mx.nd.array(pred))
    assert acc.get()[1] == np.mean(pred.argmax(1) == label)
    # MXNet averages regression metrics per batch, not per sample
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 5))
    rmse = metric.RMSE()
    rmse.update([a[0], b[0]], [a[1], b[1]])
    want = (np.sqrt(np.mean((a[0] - a[1]) ** 2)) + np.sqrt(np.mean((b[0] - b[1]) ** 2))) / 2
    assert rmse.get()[1] == pytest.approx(want, rel=1e-12)


def test_pearson_micro_global_and_local(rng):
    xs = [rng.standard_normal(5) for _ in range(3)]
    ys = [x + rng.standard_normal(5) for x in xs]
    m = metric.PearsonCorrelation(average="micro")
    m.update(ys[:2], xs[:2])
    m.reset_local()
    m.update(ys[2], xs[2])
    assert m.get()[1] == pytest.approx(np.corrcoef(xs[2], ys[2])[0, 1], rel=1e-10)
    assert m.get_global()[1] == pytest.approx(np.corrcoef(np.concatenate(xs), np.concatenate(ys))[0, 1], rel=1e-10)


def test_perplexity_takes_unflattened_sequences():
    pred, label = INPUTS["seq_p"], INPUTS["seq_l"]
    flat, seq = metric.Perplexity(ignore_label=-1), metric.Perplexity(ignore_label=-1)
    flat.update([label.reshape(-1)], [pred.reshape(-1, 4)])
    seq.update([label], [pred])
    assert seq.get() == flat.get()
    valid = label.ravel() != -1
    picked = pred.reshape(-1, 4)[np.arange(6), np.clip(label.ravel(), 0, 3).astype(int)]
    assert flat.get()[1] == pytest.approx(np.exp(-np.log(picked[valid]).mean()), rel=1e-6)


def test_topk_counts_1d_predictions_globally():
    # MXNet compares argpartition's indices with the labels, position by position
    pred = np.array([0.1, 0.4, 0.3, 0.2])
    label = np.argpartition(pred, -2).astype(np.float32)
    label[:2] = -1
    m = metric.TopKAccuracy(top_k=2)
    m.update([label], [pred])
    assert m.get() == m.get_global() == ("top_k_accuracy_2", 0.5)


def test_config_round_trips_through_create():
    for m in [metric.create(["acc", "f1", metric.TopKAccuracy(top_k=3)]), metric.F1(average="micro"),
              metric.Perplexity(ignore_label=0, axis=1), metric.create("pearsonr", average="micro")]:
        config = m.get_config()
        again = metric.create(**config)
        assert type(again) is type(m)
        if isinstance(m, metric.CompositeEvalMetric):
            assert [type(c) for c in again.metrics] == [type(c) for c in m.metrics]
        else:
            assert again.get_config() == config
    assert metric.create('["top_k_accuracy", {"top_k": 4}]').name == "top_k_accuracy_4"
    assert metric.create('{"metric": "mae", "name": "l1"}').name == "l1"
    assert metric.create(metric.F1).name == "f1"


def test_update_dict_picks_named_outputs_and_labels():
    labels = OrderedDict(lab=INPUTS["cls_l_a"], other=INPUTS["cls_l_b"])
    preds = OrderedDict(out=INPUTS["cls_p_a"], state=INPUTS["cls_p_b"])
    m = metric.Accuracy(output_names=["out"], label_names=["lab"])
    m.update_dict(labels, preds)
    ref = metric.Accuracy()
    ref.update(INPUTS["cls_l_a"], INPUTS["cls_p_a"])
    assert m.get() == ref.get()
    comp = metric.CompositeEvalMetric([metric.Accuracy(), "ce"], output_names=["out"], label_names=["lab"])
    comp.update_dict(labels, preds)
    assert comp.get()[1][0] == ref.get()[1]
    assert comp.get_metric(1).name == "cross-entropy"


def test_composite_keeps_children_sums_and_str():
    acc = metric.Accuracy()
    acc.update(INPUTS["cls_l_a"], INPUTS["cls_p_a"])
    comp = metric.CompositeEvalMetric([acc])
    assert comp.get() == (["accuracy"], [acc.get()[1]])
    assert str(acc) == f"EvalMetric: {{'accuracy': {acc.get()[1]}}}"


def test_custom_metric_and_subclass():
    class Count(metric.EvalMetric):
        def update(self, labels, preds):
            self.sum_metric += len(labels)
            self.num_inst += 1

    metric.register(Count)
    m = metric.create("count", "counted")
    m.update([1, 2], [3, 4])
    assert m.get() == m.get_global() == ("counted", 2.0)
    extra = metric.create(mean_abs, allow_extra_outputs=True)
    extra.update([INPUTS["reg_l_a"]], [INPUTS["reg_p_a"], INPUTS["reg_l_b"]])
    assert extra.get()[1] == pytest.approx(np.abs(INPUTS["reg_l_a"] - INPUTS["reg_p_a"]).mean())


def test_register_warns_on_override_and_alias():
    class Acc2(metric.Accuracy):
        pass

    with pytest.warns(UserWarning, match=r"Acc2 registered with name 'acc' overrides .*Accuracy"):
        metric.alias("acc")(Acc2)
    with pytest.warns(UserWarning, match=r"Accuracy registered with name 'acc' overrides .*Acc2"):
        metric.register(metric.Accuracy, "acc")  # restore
    assert type(metric.create("acc")) is metric.Accuracy


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: metric.Accuracy().update([INPUTS["cls_l_a"]], []), ValueError, r"Accuracy: shape of labels 1 does not match shape of predictions 0"),
        (lambda: metric.Accuracy().update(INPUTS["cls_l_a"], INPUTS["cls_p_b"]), ValueError, r"shape of labels 4 does not match shape of predictions 3"),
        (lambda: metric.Accuracy().update([INPUTS["cls_l_a"]], [INPUTS["cls_p_t"]]), ValueError, r"Accuracy: shape of labels 4 does not match shape of predictions 3"),
        (lambda: metric.Accuracy().update(["0 1"], [INPUTS["cls_p_a"]]), TypeError, r"Accuracy label: expected an NDArray or a numpy array, got str"),
        (lambda: metric.TopKAccuracy(top_k=1), ValueError, r"TopKAccuracy: top_k must be above 1, got 1. Use Accuracy"),
        (lambda: metric.TopKAccuracy(top_k=2).update(INPUTS["seq_l"], INPUTS["seq_p"]), ValueError, r"TopKAccuracy: predictions must have at most 2 dimensions, got shape \(2, 3, 4\)"),
        (lambda: metric.F1().update(INPUTS["cls_l_a"], INPUTS["cls_p_a"]), ValueError, r"F1 currently only supports binary classification, got 3 distinct labels"),
        (lambda: metric.MCC().update(INPUTS["bin_l_c"], INPUTS["reg_l_a"][:3]), ValueError, r"MCC: predictions must be \(batch, classes\) scores, got shape \(3,\)"),
        (lambda: metric.F1(average="weighted"), ValueError, r"F1: average must be 'macro' or 'micro', got 'weighted'"),
        (lambda: metric.PearsonCorrelation(average="x"), ValueError, r"PearsonCorrelation: average must be"),
        (lambda: metric.PearsonCorrelation().update(INPUTS["reg_l_c"], INPUTS["reg_p_a"]), ValueError, r"PearsonCorrelation: shape of labels \(4, 1\) does not match shape of predictions \(4,\)"),
        (lambda: metric.Perplexity(None).update([INPUTS["cls_l_b"]], [INPUTS["cls_p_a"]]), ValueError, r"Perplexity: labels of shape \(3,\) do not match predictions of shape \(4, 3\): expected 4 labels"),
        (lambda: metric.CrossEntropy().update([INPUTS["cls_l_b"]], [INPUTS["cls_p_a"]]), ValueError, r"CrossEntropy: expected one label per prediction row \(4\), got labels of shape \(3,\)"),
        (lambda: metric.create("accuracy2"), ValueError, r"metric.create: 'accuracy2' is not registered; registered: \['acc'"),
        (lambda: metric.create(metric.MAE(), name="x"), TypeError, r"MAE is already an instance; extra arguments \['name'\]"),
        (lambda: metric.create({"name": "x"}), ValueError, r"a config dict needs a 'metric' key"),
        (lambda: metric.create(3), TypeError, r"metric.create: expected a metric name.*got int: 3"),
        (lambda: metric.register(dict), TypeError, r"metric.register: can only register EvalMetric subclasses, got <class 'dict'>"),
        (lambda: metric.create(mean_abs).get_config(), NotImplementedError, r"CustomMetric 'mean_abs' cannot be serialized"),
        (lambda: metric.create(["acc"]).get_metric(3), ValueError, r"metric index 3 is out of range 0 and 1"),
        (lambda: metric.EvalMetric("base").update([], []), NotImplementedError, r"EvalMetric must implement update\(labels, preds\)"),
    ],
)
def test_metric_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_public_names_and_registry_match_mxnet():
    names = {n for n in dir(mx.metric) if not n.startswith("_")}
    assert names == {
        "Accuracy", "Caffe", "CompositeEvalMetric", "CrossEntropy", "CustomMetric", "EvalMetric", "F1", "Loss",
        "MAE", "MCC", "MSE", "NegativeLogLikelihood", "PCC", "PearsonCorrelation", "Perplexity", "RMSE",
        "TopKAccuracy", "Torch", "alias", "check_label_shapes", "create", "np", "register",
    }
    from gluax._src.metric.base import _REGISTRY

    assert sorted(k for k in _REGISTRY if k != "count") == [
        "acc", "accuracy", "caffe", "ce", "composite", "compositeevalmetric", "crossentropy", "custommetric", "f1",
        "loss", "mae", "mcc", "mse", "negativeloglikelihood", "nll_loss", "pcc", "pearsoncorrelation", "pearsonr",
        "perplexity", "rmse", "top_k_acc", "top_k_accuracy", "topkaccuracy", "torch",
    ]
