"""Detection operators (box_encode/decode, bipartite_matching, MultiBoxPrior/Target/Detection,
ROIAlign) against MXNet 1.9.1 (tests/fixtures/detops: forward outputs and data gradients),
hybridized and under jax.jit, plus one property test per family."""

from __future__ import annotations

import json
import os

import jax
import numpy as np
import pytest

import gluax as mx

_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "detops")
with open(os.path.join(_DIR, "detops.json")) as _f:
    _FIX = json.load(_f)
_NPZ = np.load(os.path.join(_DIR, "detops.npz"))
CASES = {c["name"]: c for c in _FIX["cases"]}


def _fn(op):
    f = mx.nd
    for part in op.split("."):
        f = getattr(f, part)
    return f


def _run(c, record=False):
    xs = [mx.nd.array(_NPZ[f"{c['name']}/in{k}"]) for k in range(c["n_in"])]
    for i in c["grad"]:
        xs[i].attach_grad()
    with mx.autograd.record(record):
        out = _fn(c["op"])(*xs, **c["attrs"])
        outs = out if isinstance(out, (list, tuple)) else [out]
        if record:
            (outs[0] * mx.nd.array(_NPZ[f"{c['name']}/head"])).sum().backward()
    return xs, outs


def test_fixture_is_mxnet_1_9_1():
    assert _FIX["mxnet_version"] == "1.9.1"


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_and_gradient_match_mxnet(name):
    c = CASES[name]
    xs, outs = _run(c, record=bool(c["grad"]))
    assert len(outs) == c["n_out"]
    for k, o in enumerate(outs):
        np.testing.assert_allclose(o.asnumpy(), _NPZ[f"{name}/out{k}"], rtol=1e-5, atol=1e-5,
                                   err_msg=f"{name} output {k}")
    for i in c["grad"]:
        np.testing.assert_allclose(xs[i].grad.asnumpy(), _NPZ[f"{name}/grad{i}"], rtol=1e-5,
                                   atol=1e-5, err_msg=f"{name} gradient {i}")


class _OpBlock(mx.gluon.HybridBlock):
    def __init__(self, op, attrs):
        super().__init__()
        self._op, self._attrs = op, attrs

    def hybrid_forward(self, F, *xs):
        f = F
        for part in self._op.split("."):
            f = getattr(f, part)
        return f(*xs, **self._attrs)


@pytest.mark.parametrize("name", ["box_encode", "bipartite", "target_mining",
                                  "detection_topk_force", "roialign_ps", "multiproposal",
                                  "corr", "pdf_gamma_1", "histogram_edges", "col2im"])
def test_hybridized_matches_mxnet(name):
    c = CASES[name]
    net = _OpBlock(c["op"].replace("_internal.", ""), c["attrs"])
    net.hybridize()
    xs = [mx.nd.array(_NPZ[f"{name}/in{k}"]) for k in range(c["n_in"])]
    out = net(*xs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    for k, o in enumerate(outs):
        np.testing.assert_allclose(o.asnumpy(), _NPZ[f"{name}/out{k}"], rtol=1e-5, atol=1e-5)


def test_roialign_gradient_under_jit_and_zero_gradients_of_target_ops():
    from gluax._src.engine.registry import get_op

    c = CASES["roialign"]
    data, rois = (_NPZ[f"roialign/in{k}"] for k in range(2))
    head = _NPZ["roialign/head"]
    fn = get_op("_contrib_ROIAlign").fn
    g = jax.jit(jax.grad(lambda d: (fn(d, rois, **c["attrs"]) * head).sum()))(data)
    np.testing.assert_allclose(np.asarray(g), _NPZ["roialign/grad0"], rtol=1e-5, atol=1e-5)
    # MXNet defines zero gradients for the decoders and target generators.
    dec = get_op("_contrib_box_decode").fn
    enc, anc = (_NPZ[f"box_decode_corner/in{k}"] for k in range(2))
    gd = jax.grad(lambda x: dec(x, anc, format="corner").sum())(enc)
    assert not np.asarray(gd).any()
    det = get_op("_contrib_MultiBoxDetection").fn
    p, loc, a = (_NPZ[f"detection/in{k}"] for k in range(3))
    gp = jax.grad(lambda x: det(x, loc, a)[..., 1:].sum())(p)
    assert not np.asarray(gp).any()


# ---- properties -------------------------------------------------------------------------


def test_box_decode_inverts_box_encode():
    rng = np.random.RandomState(0)
    a = rng.uniform(0, 0.5, (1, 5, 2))
    anchors = np.concatenate([a, a + rng.uniform(0.1, 0.5, (1, 5, 2))], -1).astype(np.float32)
    r = rng.uniform(0, 0.5, (1, 3, 2))
    refs = np.concatenate([r, r + rng.uniform(0.1, 0.5, (1, 3, 2))], -1).astype(np.float32)
    matches = np.array([[0, 2, 1, 1, 0]], np.float32)
    stds = np.array([0.1, 0.1, 0.2, 0.2], np.float32)
    t, m = mx.nd.contrib.box_encode(mx.nd.ones((1, 5)), mx.nd.array(matches),
                                    mx.nd.array(anchors), mx.nd.array(refs),
                                    mx.nd.zeros((4,)), mx.nd.array(stds))
    assert m.asnumpy().all()
    back = mx.nd.contrib.box_decode(t, mx.nd.array(anchors), std0=0.1, std1=0.1, std2=0.2,
                                    std3=0.2, format="corner")
    np.testing.assert_allclose(back.asnumpy()[0], refs[0][matches[0].astype(int)], atol=1e-5)


def test_bipartite_matching_is_one_to_one_and_consistent():
    s = mx.nd.array(np.random.RandomState(1).uniform(size=(3, 5, 4)))
    rows, cols = mx.nd.contrib.bipartite_matching(s, threshold=0.0)
    rows, cols = rows.asnumpy().astype(int), cols.asnumpy().astype(int)
    for b in range(3):
        assert (rows[b] >= 0).sum() == 4  # every column matched (4 < 5 rows)
        for r, c in enumerate(rows[b]):
            if c >= 0:
                assert cols[b, c] == r


def test_multibox_target_then_detection_recovers_the_ground_truth():
    # Anchors, a single object: the positive anchors' encoded targets decode back to the box.
    anchors = mx.nd.contrib.MultiBoxPrior(mx.nd.zeros((1, 1, 4, 4)), sizes=[0.4], ratios=[1])
    n = anchors.shape[1]
    gt = np.array([[[0, 0.2, 0.25, 0.6, 0.7]]], np.float32)
    loc, mask, cls = mx.nd.contrib.MultiBoxTarget(anchors, mx.nd.array(gt), mx.nd.zeros((1, 2, n)))
    pos = cls.asnumpy()[0] == 1
    assert pos.any() and (mask.asnumpy().reshape(n, 4)[pos] == 1).all()
    prob = np.zeros((1, 2, n), np.float32)
    prob[0, 0], prob[0, 1, pos] = 1, 0.9
    prob[0, 0, pos] = 0.1
    det = mx.nd.contrib.MultiBoxDetection(mx.nd.array(prob), loc, anchors, nms_threshold=0.99)
    det = det.asnumpy()[0]
    kept = det[det[:, 0] == 0]
    assert len(kept) == pos.sum()
    np.testing.assert_allclose(kept[:, 2:], np.repeat(gt[0, :, 1:], len(kept), 0), atol=1e-5)


def test_roialign_of_a_whole_image_box_on_a_constant_map_is_the_constant():
    data = mx.nd.full((1, 3, 8, 10), 2.5)
    rois = mx.nd.array([[0, 0, 0, 10, 8], [0, 2, 1, 7, 6]])
    for kw in ({}, {"sample_ratio": 2}, {"aligned": True}):
        out = mx.nd.contrib.ROIAlign(data, rois, pooled_size=(3, 4), spatial_scale=1.0, **kw)
        np.testing.assert_allclose(out.asnumpy(), 2.5, rtol=1e-6)


def test_multibox_prior_centres_tile_the_image():
    out = mx.nd.contrib.MultiBoxPrior(mx.nd.zeros((1, 1, 2, 5)), sizes=[0.2]).asnumpy()[0]
    cx, cy = (out[:, 0] + out[:, 2]) / 2, (out[:, 1] + out[:, 3]) / 2
    np.testing.assert_allclose(cx, np.tile((np.arange(5) + 0.5) / 5, 2), atol=1e-6)
    np.testing.assert_allclose(cy, np.repeat((np.arange(2) + 0.5) / 2, 5), atol=1e-6)


def test_bad_shapes_name_the_operator():
    with pytest.raises(mx.base.MXNetError, match="ROIAlign"):
        mx.nd.contrib.ROIAlign(mx.nd.zeros((1, 2, 3)), mx.nd.zeros((1, 5)), pooled_size=2,
                               spatial_scale=1.0)
    with pytest.raises(mx.base.MXNetError, match="box_decode"):
        mx.nd.contrib.box_decode(mx.nd.zeros((1, 2, 3)), mx.nd.zeros((1, 2, 4)))


def test_proposals_lie_in_the_image_and_do_not_overlap_beyond_the_threshold():
    c = CASES["multiproposal"]
    xs = [mx.nd.array(_NPZ[f"multiproposal/in{k}"]) for k in range(3)]
    rois, scores = mx.nd.contrib.MultiProposal(*xs, **dict(c["attrs"], rpn_min_size=0))
    rois, info = rois.asnumpy().reshape(2, -1, 5), _NPZ["multiproposal/in2"]
    for b in range(2):
        r = rois[b, :, 1:]
        assert (rois[b, :, 0] == b).all()
        assert (r >= 0).all() and (r[:, 2] <= info[b, 1] - 1).all() and (r[:, 3] <= info[b, 0] - 1).all()
        area = (r[:, 2] - r[:, 0] + 1) * (r[:, 3] - r[:, 1] + 1)
        for i in range(len(r)):
            for j in range(i + 1, len(r)):
                w = max(0, min(r[i, 2], r[j, 2]) - max(r[i, 0], r[j, 0]) + 1)
                h = max(0, min(r[i, 3], r[j, 3]) - max(r[i, 1], r[j, 1]) + 1)
                assert w * h / (area[i] + area[j] - w * h) <= c["attrs"]["threshold"] + 1e-6


@pytest.mark.parametrize("layer", _FIX["layers"], ids=lambda c: c["name"])
def test_contrib_cnn_layers_match_mxnet(layer):
    from gluax.gluon.contrib import cnn

    name = layer["name"]
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in layer["kwargs"].items()}
    net = getattr(cnn, layer["class"])(**kw)
    net.initialize()
    x = mx.nd.array(_NPZ[f"{name}/x"])
    net(x)
    params = net.collect_params()
    assert sorted(params.keys()) == layer["params"]
    for k, p in params.items():
        p.set_data(mx.nd.array(_NPZ[f"{name}/param/{k}"]))
    net.hybridize()
    with mx.autograd.record():
        out = net(x)
        (out * mx.nd.array(_NPZ[f"{name}/head"])).sum().backward()
    np.testing.assert_allclose(out.asnumpy(), _NPZ[f"{name}/out"], rtol=1e-4, atol=1e-5)
    if layer["grads"]:
        for k, p in params.items():
            np.testing.assert_allclose(p.grad().asnumpy(), _NPZ[f"{name}/pgrad/{k}"], rtol=1e-4,
                                       atol=1e-4, err_msg=k)


def test_deformable_convolution_with_zero_offsets_is_a_convolution():
    rng = np.random.RandomState(3)
    x = mx.nd.array(rng.normal(size=(1, 4, 6, 5)))
    w = mx.nd.array(rng.normal(size=(6, 2, 3, 3)))
    b = mx.nd.array(rng.normal(size=(6,)))
    kw = dict(kernel=(3, 3), num_filter=6, pad=(1, 1), stride=(1, 2), num_group=2)
    ref = mx.nd.Convolution(x, w, b, **kw).asnumpy()
    off = mx.nd.zeros((1, 18, 6, 3))
    np.testing.assert_allclose(mx.nd.contrib.DeformableConvolution(x, off, w, b, **kw).asnumpy(),
                               ref, rtol=1e-4, atol=1e-4)
    m = mx.nd.ones((1, 9, 6, 3))
    np.testing.assert_allclose(
        mx.nd.contrib.ModulatedDeformableConvolution(x, off, m, w, b, **kw).asnumpy(), ref,
        rtol=1e-4, atol=1e-4)
    # an integer offset of one row reads the shifted map (away from the borders)
    off = mx.nd.zeros((1, 18, 6, 3))
    off[:, 0::2] = 1.0
    shifted = mx.nd.Convolution(mx.nd.array(np.pad(x.asnumpy()[:, :, 1:], ((0, 0), (0, 0), (0, 1), (0, 0)))), w, b, **kw)
    got = mx.nd.contrib.DeformableConvolution(x, off, w, b, **kw)
    np.testing.assert_allclose(got.asnumpy()[:, :, 1:4], shifted.asnumpy()[:, :, 1:4], rtol=1e-4, atol=1e-4)


def test_modulated_deformable_gradient_matches_finite_differences():
    # MXNet 1.9.1 computes this gradient on GPU only; check JAX's against central differences.
    from gluax._src.engine.registry import get_op

    c = CASES["mdeform"]
    ins = [np.asarray(_NPZ[f"mdeform/in{k}"], np.float64) for k in range(5)]
    fn = get_op("_contrib_ModulatedDeformableConvolution").fn
    head = _NPZ["mdeform/head"]
    @jax.jit
    def loss(*a):
        return (fn(*a, **c["attrs"]) * head).sum()
    args = [a.astype(np.float32) for a in ins]
    grads = jax.grad(loss, argnums=(1, 2))(*args)
    rng = np.random.RandomState(0)
    for argn, g in zip((1, 2), grads):
        for _ in range(4):
            idx = tuple(rng.randint(s) for s in args[argn].shape)
            eps = 1e-2
            hi = [a.copy() for a in args]
            lo = [a.copy() for a in args]
            hi[argn][idx] += eps
            lo[argn][idx] -= eps
            fd = (float(loss(*hi)) - float(loss(*lo))) / (2 * eps)
            np.testing.assert_allclose(float(np.asarray(g)[idx]), fd, rtol=5e-2, atol=5e-3)


# ---- operators MXNet 1.9.1 runs on GPU only (fft, ifft, count_sketch): numpy references ----


def test_fft_ifft_against_numpy_and_roundtrip():
    x = np.random.RandomState(5).normal(size=(3, 2, 8)).astype(np.float32)
    f = mx.nd.contrib.fft(mx.nd.array(x)).asnumpy()
    ref = np.fft.fft(x, axis=-1)
    np.testing.assert_allclose(f[..., 0::2], ref.real, atol=1e-4)
    np.testing.assert_allclose(f[..., 1::2], ref.imag, atol=1e-4)
    back = mx.nd.contrib.ifft(mx.nd.array(f)).asnumpy()
    np.testing.assert_allclose(back, 8 * x, atol=1e-4)  # unnormalized, as MXNet
    # gradient of fft: the real part of the unnormalized inverse transform of the head
    xa = mx.nd.array(x)
    xa.attach_grad()
    head = np.random.RandomState(6).normal(size=f.shape).astype(np.float32)
    with mx.autograd.record():
        (mx.nd.contrib.fft(xa) * mx.nd.array(head)).sum().backward()
    hz = head[..., 0::2] + 1j * head[..., 1::2]
    np.testing.assert_allclose(xa.grad.asnumpy(), (np.fft.ifft(hz, axis=-1) * 8).real, atol=1e-3)


def test_count_sketch_against_numpy():
    rng = np.random.RandomState(7)
    x = rng.normal(size=(4, 6)).astype(np.float32)
    h = rng.randint(0, 3, size=(1, 6)).astype(np.float32)
    s = rng.choice([-1.0, 1.0], size=(1, 6)).astype(np.float32)
    ref = np.zeros((4, 3), np.float32)
    for i in range(6):
        ref[:, int(h[0, i])] += s[0, i] * x[:, i]
    out = mx.nd.contrib.count_sketch(mx.nd.array(x), mx.nd.array(h), mx.nd.array(s), out_dim=3)
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-5, atol=1e-6)


def test_small_ops_properties():
    # col2im is im2col's adjoint: <im2col(x), y> == <x, col2im(y)>
    rng = np.random.RandomState(8)
    x = rng.normal(size=(1, 2, 5, 4)).astype(np.float32)
    kw = dict(kernel=(2, 3), stride=(1, 2), pad=(1, 1))
    cx = mx.nd.im2col(mx.nd.array(x), **kw).asnumpy()
    y = rng.normal(size=cx.shape).astype(np.float32)
    back = mx.nd.col2im(mx.nd.array(y), output_size=(5, 4), **kw).asnumpy()
    np.testing.assert_allclose((cx * y).sum(), (x * back).sum(), rtol=1e-4)
    # densities integrate (sum) to about one
    grid = np.linspace(-8, 8, 4001, dtype=np.float32)[None]
    d = mx.nd.random_pdf_normal(mx.nd.array(grid), mx.nd.array([0.3]), mx.nd.array([1.2]))
    np.testing.assert_allclose(d.asnumpy().sum() * (grid[0, 1] - grid[0, 0]), 1.0, rtol=1e-3)
    k = np.arange(200, dtype=np.float32)[None]
    pm = mx.nd.random_pdf_poisson(mx.nd.array(k), mx.nd.array([4.5])).asnumpy()
    np.testing.assert_allclose(pm.sum(), 1.0, rtol=1e-4)
    # Correlation of a map with itself at zero displacement is the mean of its squares
    a = rng.normal(size=(1, 3, 4, 4)).astype(np.float32)
    corr = mx.nd.Correlation(mx.nd.array(a), mx.nd.array(a), max_displacement=1, pad_size=1)
    np.testing.assert_allclose(corr.asnumpy()[0, 4], (a[0] ** 2).mean(0), rtol=1e-5)
    # histogram counts add up to the values inside the range
    v = rng.normal(size=50).astype(np.float32)
    c, e = mx.nd._internal._histogram(mx.nd.array(v), bin_cnt=5, range=(-1, 1))
    assert c.asnumpy().sum() == (np.abs(v) <= 1).sum()
    np.testing.assert_allclose(e.asnumpy(), np.linspace(-1, 1, 6), atol=1e-6)


def test_ps_roi_pooling_of_a_constant_map_per_channel_is_that_channel():
    # channel k holds the constant k: bin (i, j) of output channel c reads channel (c*3+i)*3+j
    data = mx.nd.array(np.arange(18, dtype=np.float32).reshape(1, 18, 1, 1) * np.ones((1, 18, 6, 6), np.float32))
    rois = mx.nd.array([[0, 0, 0, 5, 5], [0, 1, 2, 4, 5]])
    want = np.arange(18, dtype=np.float32).reshape(2, 3, 3)
    out = mx.nd.contrib.PSROIPooling(data, rois, spatial_scale=1.0, output_dim=2, pooled_size=3)
    np.testing.assert_allclose(out.asnumpy(), np.broadcast_to(want, (2, 2, 3, 3)), rtol=1e-6)
    out = mx.nd.contrib.DeformablePSROIPooling(data, rois, spatial_scale=1.0, output_dim=2,
                                               group_size=3, pooled_size=3, sample_per_part=2,
                                               no_trans=True)
    np.testing.assert_allclose(out.asnumpy(), np.broadcast_to(want, (2, 2, 3, 3)), rtol=1e-6)


def test_zipfian_samplers():
    s, t = mx.nd._internal._sample_unique_zipfian(range_max=30, shape=(4, 10))
    s, t = s.asnumpy(), t.asnumpy()
    assert s.shape == (4, 10) and t.shape == (4,)
    for row, tries in zip(s, t):
        assert len(set(row.tolist())) == 10 and row.min() >= 0 and row.max() < 30
        assert tries >= 10
    true = mx.nd.array([0, 3, 10])
    sampled, exp_true, exp_sampled = mx.nd.contrib.rand_zipfian(true, num_sampled=4000, range_max=50)
    sampled = sampled.asnumpy()
    # MXNet 1.9.1 gives [0.88145717 0.28376583 0.1106501] for these true classes (deterministic part)
    np.testing.assert_allclose(exp_true.asnumpy() / 4000 * 5, [0.88145717, 0.28376583, 0.1106501], rtol=1e-5)
    freq = np.bincount(sampled, minlength=50) / 4000
    prob = np.log((np.arange(50) + 2.0) / (np.arange(50) + 1.0)) / np.log(51)
    assert np.abs(freq[:5] - prob[:5]).max() < 0.03
    np.testing.assert_allclose(exp_sampled.asnumpy(), prob[sampled] * 4000, rtol=1e-4)


def test_identity_attach_kl_sparse_reg_matches_mxnet_executor():
    # MXNet 1.9.1 (a bound symbol, moving_avg 0, head gradient 0.5): the gradient below
    x = np.random.RandomState(0).uniform(size=(3, 4)).astype(np.float32)
    xa = mx.nd.array(x)
    xa.attach_grad()
    with mx.autograd.record():
        y = mx.nd.IdentityAttachKLSparseReg(xa, mx.nd.zeros((4,)))
        (y * 0.5).sum().backward()
    np.testing.assert_allclose(y.asnumpy(), x)
    np.testing.assert_allclose(xa.grad.asnumpy()[0],
                               [0.4994126, 0.4992359, 0.49932104, 0.49943683], rtol=1e-5)


def test_deformable_layer_and_detection_ops_under_functional_vmap():
    from gluax.gluon.contrib import cnn

    net = cnn.DeformableConvolution(3, kernel_size=3, padding=1, in_channels=2,
                                    offset_weight_initializer=mx.init.Uniform(0.3))
    net.initialize()
    x = np.random.RandomState(9).normal(size=(4, 1, 2, 5, 5)).astype(np.float32)
    apply, params, aux = net.functional()
    assert sorted(params) == ["deformable_conv_bias", "deformable_conv_weight", "offset_bias",
                              "offset_weight"]
    batched = jax.jit(jax.vmap(lambda xb: apply(params, aux, (xb,))[0]))(x)
    for i in range(4):
        np.testing.assert_allclose(np.asarray(batched[i]), net(mx.nd.array(x[i])).asnumpy(),
                                   rtol=1e-4, atol=1e-5)
    # the registry's pure functions vmap too: ROIAlign over a batch of ROI sets
    from gluax._src.engine.registry import get_op

    fn = get_op("_contrib_ROIAlign").fn
    data = np.random.RandomState(10).normal(size=(1, 2, 6, 6)).astype(np.float32)
    rois = np.array([[[0, 0, 0, 4, 4]], [[0, 1, 2, 5, 5]]], np.float32)
    out = jax.vmap(lambda r: fn(data, r, pooled_size=(2, 2), spatial_scale=1.0))(rois)
    for i in range(2):
        ref = mx.nd.contrib.ROIAlign(mx.nd.array(data), mx.nd.array(rois[i]), pooled_size=(2, 2),
                                     spatial_scale=1.0)
        np.testing.assert_allclose(np.asarray(out[i]), ref.asnumpy(), rtol=1e-5, atol=1e-6)
