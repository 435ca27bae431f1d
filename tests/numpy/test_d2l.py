"""The d2l check: the MXNet edition of "Dive into Deep Learning" (``d2l==1.0.3``, a test-only
dependency) imports through ``gluax.install_as_mxnet()`` and its core code runs in numpy mode
on small local data: scratch linear regression, scratch softmax regression, an MLP and LeNet
through ``d2l.Classifier``/``d2l.Trainer``, and the scratch RNN language model (with gradient
clipping) on a local text file through ``d2l.TimeMachine``."""

from __future__ import annotations

import os

import numpy as onp
import pytest

import gluax

os.environ.setdefault("MPLBACKEND", "Agg")
# d2l==1.0.3 is a test-only dependency, installed by the README's test command with
# `pip install --no-deps d2l==1.0.3` (its own metadata pins numpy 1.23, which gluax does not use)


@pytest.fixture(scope="module")
def d2l():
    gluax.install_as_mxnet()
    try:
        from d2l import mxnet as d2l_mx
    finally:
        gluax.uninstall_mxnet_alias()
    return d2l_mx


@pytest.fixture(autouse=True)
def _np_mode():
    gluax.npx.set_np()
    gluax.random.seed(0)
    yield
    gluax.npx.reset_np()


def _quiet(model):
    model.board.display = False  # no plotting in the suite
    return model


def _blobs(d2l, n=96, seed=0):
    """A d2l.DataModule of three separable Gaussian blobs in 4-D (local, no download)."""
    rng = onp.random.RandomState(seed)
    y = rng.randint(0, 3, n)
    centers = onp.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], "float32")
    x = centers[y] + 0.3 * rng.randn(n, 4).astype("float32")
    np = gluax.np

    class Blobs(d2l.DataModule):
        def __init__(self, batch_size=16):
            super().__init__()
            self.save_hyperparameters()
            self.X, self.y = np.array(x), np.array(y)
            self.num_train = n * 3 // 4

        def get_dataloader(self, train):
            i = slice(0, self.num_train) if train else slice(self.num_train, None)
            return self.get_tensorloader((self.X, self.y), train, i)

    return Blobs()


def test_d2l_imports_with_numpy_mode_names(d2l):
    assert d2l.np is gluax.np and d2l.npx is gluax.npx
    assert d2l.matmul is gluax.np.dot and isinstance(d2l.tensor([1, 2]), gluax.np.ndarray)


def test_linear_regression_scratch(d2l):
    np = gluax.np
    data = d2l.SyntheticRegressionData(w=np.array([2, -3.4]), b=4.2, num_train=400,
                                       num_val=40, batch_size=20)
    model = _quiet(d2l.LinearRegressionScratch(2, lr=0.1))
    d2l.Trainer(max_epochs=3).fit(model, data)
    onp.testing.assert_allclose(model.w.asnumpy().ravel(), [2, -3.4], atol=0.05)
    onp.testing.assert_allclose(model.b.asnumpy(), [4.2], atol=0.05)
    assert isinstance(model.w.grad, np.ndarray)


def test_softmax_regression_scratch(d2l):
    np, npx, autograd = gluax.np, gluax.npx, gluax.autograd

    def softmax(X):
        X_exp = np.exp(X)
        return X_exp / X_exp.sum(1, keepdims=True)

    class SoftmaxRegressionScratch(d2l.Classifier):  # the book's sec_softmax_scratch
        def __init__(self, num_inputs, num_outputs, lr, sigma=0.01):
            super().__init__()
            self.save_hyperparameters()
            self.W = np.random.normal(0, sigma, (num_inputs, num_outputs))
            self.b = np.zeros(num_outputs)
            self.W.attach_grad()
            self.b.attach_grad()

        def collect_params(self):
            return [self.W, self.b]

        def forward(self, X):
            X = X.reshape((-1, self.W.shape[0]))
            return softmax(np.dot(X, self.W) + self.b)

        def loss(self, y_hat, y):
            return -np.log(y_hat[list(range(len(y_hat))), y.astype("int32")]).mean()

    data = _blobs(d2l)
    model = _quiet(SoftmaxRegressionScratch(4, 3, lr=0.5))
    d2l.Trainer(max_epochs=5).fit(model, data)
    X, y = data.X[data.num_train:], data.y[data.num_train:]
    with autograd.predict_mode():
        acc = model.accuracy(model(X), y)
    assert isinstance(acc, np.ndarray) and acc.item() > 0.9
    assert npx.is_np_array()


def test_mlp_and_lenet_with_d2l_trainer(d2l):
    np, nn = gluax.np, gluax.gluon.nn

    class MLP(d2l.Classifier):  # the book's sec_mlp-implementation, concise
        def __init__(self, num_outputs, num_hiddens, lr):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential()
            self.net.add(nn.Dense(num_hiddens, activation="relu"), nn.Dense(num_outputs))
            self.net.initialize()

    data = _blobs(d2l)
    model = _quiet(MLP(3, 16, lr=0.2))
    d2l.Trainer(max_epochs=6).fit(model, data)
    X, y = data.X[data.num_train:], data.y[data.num_train:]
    out = model(X)
    assert isinstance(out, np.ndarray) and out.shape == (24, 3)
    assert model.accuracy(out, y).item() > 0.9

    lenet = _quiet(d2l.LeNet(lr=0.1, num_classes=3))
    rng = onp.random.RandomState(0)
    imgs = np.array(rng.rand(8, 1, 28, 28).astype("float32"))
    labels = np.array(rng.randint(0, 3, 8))

    class Images(d2l.DataModule):
        def __init__(self):
            super().__init__()
            self.batch_size = 8

        def get_dataloader(self, train):
            return self.get_tensorloader((imgs, labels), train)

    before = lenet.loss(lenet(imgs), labels).item()
    d2l.Trainer(max_epochs=1).fit(lenet, Images())
    after = lenet.loss(lenet(imgs), labels).item()
    assert onp.isfinite(after) and lenet(imgs).shape == (8, 3) and after != before


def test_rnn_scratch_language_model(d2l, tmp_path):
    np = gluax.np
    text = ("the time traveller for so it will be convenient to speak of him was expounding "
            "a recondite matter to us his grey eyes shone and twinkled ") * 6

    class LocalTimeMachine(d2l.TimeMachine):
        def _download(self):
            path = tmp_path / "timemachine.txt"
            path.write_text(text)
            with open(path) as f:
                return f.read()

    data = LocalTimeMachine(batch_size=16, num_steps=8, num_train=64, num_val=16)
    assert isinstance(data.X, np.ndarray) and data.X.shape[1] == 8
    rnn = d2l.RNNScratch(num_inputs=len(data.vocab), num_hiddens=16)
    outputs, state = rnn(np.ones((8, 2, len(data.vocab))))
    d2l.check_len(outputs, 8)
    d2l.check_shape(state, (2, 16))
    model = _quiet(d2l.RNNLMScratch(rnn, num_outputs := len(data.vocab), lr=1))
    X, Y = data.X[:32], data.Y[:32]
    before = model.loss(model(X), Y).item()
    d2l.Trainer(max_epochs=1, gradient_clip_val=1).fit(model, data)
    after = model.loss(model(X), Y).item()
    assert after < before and num_outputs == len(data.vocab)
    assert isinstance(model.predict("time ", 5, data.vocab), str)
