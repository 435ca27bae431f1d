"""gluon.model_zoo.vision against MXNet 1.9.1: every model's parameter names, shapes and
structure, and the outputs of small models loaded from MXNet's saved weights."""

from __future__ import annotations

import json
import os
import shutil
import types

import numpy as np
import pytest

import gluax as mx
from gluax.gluon.model_zoo import vision

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "model_zoo")
with open(os.path.join(HERE, "model_zoo.json")) as _f:
    FIXTURE = json.load(_f)
MODELS = FIXTURE["models"]
NUMERIC = {c["case"]: c for c in FIXTURE["numeric"]}

# Resolving the deferred shapes initializes every parameter (seconds per large model), so all
# models are checked on the shapes known at construction (all but the inferred input channels)
# and one here after shape inference; the numeric tests below resolve mobilenet0.25,
# squeezenet1.1 and mobilenetv2_0.25 in full by loading MXNet's weights and running them.
RESOLVED = ["resnet18_v1"]

RTOL, ATOL = 1e-5, 1e-6  # float32; MXNet's outputs are O(0.1-1)


@pytest.fixture(scope="module")
def arrays():
    with np.load(os.path.join(HERE, "model_zoo.npz")) as f:
        return dict(f)


def _rows(net):
    """[structural name, full name without the model prefix, shape, grad_req] per parameter."""
    n = len(net.prefix)
    return [
        [k, p.name[n:], list(p.shape), p.grad_req]
        for k, p in net._collect_params_with_prefix().items()
    ]


def test_public_names_match_mxnet():
    from gluax.gluon.model_zoo import model_store

    def public(mod):
        return sorted(
            n
            for n in dir(mod)
            if not n.startswith("_") and not isinstance(getattr(mod, n), types.ModuleType)
        )

    assert public(vision) == FIXTURE["vision_names"]
    assert set(FIXTURE["model_store_names"]) <= set(public(model_store))
    assert mx.gluon.model_zoo.vision is vision


@pytest.mark.parametrize("name", sorted(MODELS))
def test_parameters_match_mxnet(name):
    expected = MODELS[name]
    net = vision.get_model(name)
    assert type(net).__name__ == expected["class"]
    assert _rows(net) == [[k, full, start, req] for k, full, start, _, req in expected["params"]]


@pytest.mark.parametrize("name", sorted(n for n in MODELS if "repr" in MODELS[n]))
def test_repr_matches_mxnet(name):
    assert repr(vision.get_model(name)) == MODELS[name]["repr"]


@pytest.mark.parametrize("name", RESOLVED)
def test_inferred_shapes_match_mxnet(name):
    net = vision.get_model(name)
    net.initialize(mx.init.Zero())
    net.functional(mx.nd.zeros((1, 3, 224, 224)))  # one shape-only pass
    shapes = [list(p.shape) for p in net._collect_params_with_prefix().values()]
    assert shapes == [resolved for _, _, _, resolved, _ in MODELS[name]["params"]]


def test_every_mxnet_model_name_is_served():
    from gluax._src.model_zoo.vision import MODELS as served

    assert set(served) == set(MODELS)


def test_get_model_ignores_case_and_passes_arguments():
    net = vision.get_model("MobileNetV2_0.25", classes=7, prefix="mine_")
    assert type(net).__name__ == "MobileNetV2"
    assert net.prefix == "mine_"
    assert net.output[0].weight.shape == (7, 0, 1, 1)


def test_get_model_rejects_unknown_name():
    with pytest.raises(ValueError, match=r"Model resnet19_v1 is not supported.*\n\talexnet"):
        vision.get_model("ResNet19_v1")


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: vision.get_resnet(3, 18), r"Invalid resnet version: 3\. Options are 1 and 2"),
        (lambda: vision.get_resnet(1, 19), r"Invalid number of layers: 19\. Options are \[18,"),
        (
            lambda: vision.ResNetV1(vision.BasicBlockV1, [2, 2], [64, 64]),
            r"ResNetV1: channels needs one entry more than layers.*\[2, 2\].*\[64, 64\]",
        ),
        (
            lambda: vision.ResNetV2(vision.BasicBlockV2, [2], [64]),
            r"ResNetV2: channels needs one entry more than layers",
        ),
        (lambda: vision.get_vgg(12), r"Invalid number of VGG layers: 12\. Options are \[11,"),
        (lambda: vision.VGG([1, 1], [8]), r"VGG: layers and filters.*\[1, 1\].*\[8\]"),
        (lambda: vision.SqueezeNet("1.2"), r"Unsupported SqueezeNet version '1\.2'"),
    ],
)
def test_bad_specifications_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_get_densenet_rejects_unknown_depth():
    from gluax._src.model_zoo.densenet import get_densenet

    with pytest.raises(ValueError, match=r"Invalid number of DenseNet layers: 100\. Options"):
        get_densenet(100)


def test_mobilenet_v2_shortcut_only_when_shapes_keep():
    from gluax._src.model_zoo.mobilenet import LinearBottleneck

    assert LinearBottleneck(8, 8, 6, 1).use_shortcut
    assert not LinearBottleneck(8, 8, 6, 2).use_shortcut
    assert not LinearBottleneck(8, 16, 6, 1).use_shortcut


# ---- numbers: MXNet's weights and outputs ----------------------------------------------------


def _build(case):
    return eval(NUMERIC[case]["ctor"], {"vision": vision})


# Eager runs compile one kernel per operator and shape (seconds for a whole model), so the
# eager path runs on the two model-zoo models and one tiny ResNet; every case runs hybridized.
RUNS = [(case, True) for case in sorted(NUMERIC)] + [
    ("mobilenet0.25", False),
    ("squeezenet1.1", False),
    ("resnet_v1_basic", False),
]


@pytest.mark.parametrize(
    "case, hybrid", RUNS, ids=[f"{c}-{'hybrid' if h else 'eager'}" for c, h in RUNS]
)
def test_outputs_match_mxnet(case, hybrid, arrays):
    net = _build(case)
    net.load_parameters(os.path.join(HERE, "numeric", case + ".params"))
    if hybrid:
        net.hybridize()
    out = net(mx.nd.array(arrays[case + "/x"])).asnumpy()
    np.testing.assert_allclose(out, arrays[case + "/y"], rtol=RTOL, atol=ATOL)


def test_legacy_prefixed_file_loads(arrays):
    """Files saved with prefixed names (``conv0_weight``, MXNet's old ``save_params`` style)
    load by name."""
    case = "resnet_v1_basic"
    net = _build(case)
    net.load_parameters(os.path.join(HERE, "numeric", case + "_legacy.params"))
    out = net(mx.nd.array(arrays[case + "/x"])).asnumpy()
    np.testing.assert_allclose(out, arrays[case + "/y"], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "make, case",
    [
        (
            lambda root: vision.get_model("mobilenet0.25", pretrained=True, root=root),
            "mobilenet0.25",
        ),
        (
            lambda root: vision.squeezenet1_1(pretrained=True, root=root, classes=10),
            "squeezenet1.1",
        ),
        (
            lambda root: vision.get_mobilenet_v2(0.25, pretrained=True, root=root, classes=10),
            "mobilenetv2_0.25",
        ),
    ],
    ids=["get_model", "constructor", "getter"],
)
def test_pretrained_loads_model_store_file(make, case, tmp_path, caplog):
    file_name = FIXTURE["files"][case]
    shutil.copy(os.path.join(HERE, "numeric", case + ".params"), tmp_path / file_name)
    net = make(str(tmp_path))
    # a renamed copy: its SHA-1 differs from the model store's, which is logged, not fatal
    assert "Mismatch in the content of model file" in caplog.text
    saved = mx.nd.load(os.path.join(HERE, "numeric", case + ".params"))
    params = net._collect_params_with_prefix()
    assert sorted(saved) == sorted(params)
    for k, v in saved.items():
        np.testing.assert_array_equal(params[k].data().asnumpy(), v.asnumpy())


def test_pretrained_model_gives_mxnet_outputs(tmp_path, arrays):
    shutil.copy(
        os.path.join(HERE, "numeric", "mobilenet0.25.params"),
        tmp_path / FIXTURE["files"]["mobilenet0.25"],
    )
    net = vision.mobilenet0_25(pretrained=True, root=str(tmp_path))
    out = net(mx.nd.array(arrays["mobilenet0.25/x"])).asnumpy()
    np.testing.assert_allclose(out, arrays["mobilenet0.25/y"], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_pretrained_without_file_names_it(name, tmp_path):
    file_name = FIXTURE["files"][name]
    with pytest.raises(FileNotFoundError, match=rf"'{file_name}' in the folder '{tmp_path}'"):
        vision.get_model(name, pretrained=True, root=str(tmp_path))


@pytest.mark.parametrize("name", ["vgg11", "vgg16_bn"])
def test_vgg_initializers_are_mxnets(name):
    # values printed by MXNet 1.9.1 for the same parameters
    net = vision.get_model(name)
    convs = [b for b in net.features._children.values() if type(b).__name__ == "Conv2D"]
    dense = [b for b in net.features._children.values() if type(b).__name__ == "Dense"]
    for conv in convs:
        assert conv.weight.init.dumps() == (
            '["xavier", {"rnd_type": "gaussian", "factor_type": "out", "magnitude": 2}]'
        )
        assert conv.bias.init == "zeros"
    for d in dense + [net.output]:
        assert (d.weight.init, d.bias.init) == ("normal", "zeros")
    assert len(convs) == int(name[3:5]) - 3 and len(dense) == 2
