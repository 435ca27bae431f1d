"""A character-level LSTM language model, trained hybridized, written as an MXNet Gluon script.

Only the import changed: ``import gluax as mx`` instead of ``import mxnet as mx``. The model
is Embedding -> 2-layer LSTM -> Dense over the characters, trained with truncated
backpropagation through time (the LSTM state carries over from one window to the next),
Adam and global-norm gradient clipping. It prints the training and validation perplexity of
every epoch, then samples text from the trained model.

Run:  python examples/char_lstm.py                      (the shipped Shakespeare excerpt)
      python examples/char_lstm.py --text my_book.txt --epochs 30 --hidden 256
"""

from __future__ import annotations

import argparse
import math
import pathlib
import time

import numpy as np
from tqdm import tqdm

import gluax as mx
from gluax import autograd, gluon
from gluax.gluon import nn, rnn

DEFAULT_TEXT = pathlib.Path(__file__).resolve().parent / "data" / "tiny_shakespeare_excerpt.txt"


class CharLSTM(gluon.HybridBlock):
    """Embedding, a stacked LSTM (layout NTC) and a per-step decoder to character logits."""

    def __init__(self, vocab_size, embed_size, hidden_size, num_layers, dropout, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.embedding = nn.Embedding(vocab_size, embed_size)
            self.drop = nn.Dropout(dropout)
            self.lstm = rnn.LSTM(hidden_size, num_layers, layout="NTC", dropout=dropout)
            self.decoder = nn.Dense(vocab_size, flatten=False)

    def hybrid_forward(self, F, inputs, state):
        output, state = self.lstm(self.drop(self.embedding(inputs)), state)
        return self.decoder(self.drop(output)), state

    def begin_state(self, batch_size, **kwargs):
        return self.lstm.begin_state(batch_size, **kwargs)


def windows(ids, batch_size, seq_len):
    """Cut a 1-D id sequence into ``batch_size`` parallel streams and those into windows of
    ``seq_len`` steps: inputs and next-character targets, each (num_windows, N, T)."""
    n = (len(ids) - 1) // batch_size
    if n < seq_len:
        raise SystemExit(
            f"text too short: {len(ids)} characters give {n} per stream, fewer than "
            f"--seq-len {seq_len}; lower --batch-size or --seq-len"
        )
    streams = ids[: n * batch_size + 1]
    x = streams[:-1].reshape(batch_size, n)
    y = streams[1:].reshape(batch_size, n)
    k = n // seq_len
    cut = lambda a: a[:, : k * seq_len].reshape(batch_size, k, seq_len).transpose(1, 0, 2)  # noqa: E731
    return cut(x).astype(np.float32), cut(y).astype(np.float32)


def perplexity(net, loss_fn, xs, ys):
    """Perplexity on (x, y) windows in inference mode, state carried across windows."""
    state = net.begin_state(xs.shape[1])
    total = 0.0
    for x, y in zip(xs, ys):
        out, state = net(mx.nd.array(x), state)
        total += loss_fn(out, mx.nd.array(y)).mean().asscalar()
    return math.exp(total / len(xs))


def sample(net, chars, prime, length, temperature, rng):
    """Feed ``prime`` and then the model's own draws, one character at a time."""
    index = {c: i for i, c in enumerate(chars)}
    state = net.begin_state(1)
    text = [c for c in prime if c in index] or [chars[0]]
    for c in text[:-1]:
        _, state = net(mx.nd.array([[index[c]]]), state)
    current = index[text[-1]]
    for _ in range(length):
        out, state = net(mx.nd.array([[current]]), state)
        logits = out.asnumpy().reshape(-1).astype(np.float64) / temperature
        p = np.exp(logits - logits.max())
        current = int(rng.choice(len(chars), p=p / p.sum()))
        text.append(chars[current])
    return "".join(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", default=str(DEFAULT_TEXT), help="a UTF-8 text file to learn")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N characters")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--embed", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--lr", type=float, default=0.005)
    parser.add_argument("--clip", type=float, default=1.0, help="global gradient norm limit")
    parser.add_argument("--sample-len", type=int, default=300)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--prime", default="The ")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    text = pathlib.Path(args.text).read_text(encoding="utf-8")
    if args.limit:
        text = text[: args.limit]
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text], dtype=np.int64)
    split = int(0.9 * len(ids))
    train_x, train_y = windows(ids[:split], args.batch_size, args.seq_len)
    valid_x, valid_y = windows(ids[split:], 1, min(args.seq_len, (len(ids) - split - 1)))
    print(
        f"{len(text)} characters, {len(chars)} distinct; {len(train_x)} training windows of "
        f"{args.batch_size} x {args.seq_len} per epoch"
    )

    mx.random.seed(args.seed)
    net = CharLSTM(len(chars), args.embed, args.hidden, args.layers, args.dropout)
    net.initialize(mx.init.Xavier())
    net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": args.lr})
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]

    history = []
    for epoch in range(1, args.epochs + 1):
        start = time.time()
        state = net.begin_state(args.batch_size)
        total = 0.0
        bar = tqdm(range(len(train_x)), desc=f"epoch {epoch}", leave=False, unit="batch")
        for i in bar:
            x, y = mx.nd.array(train_x[i]), mx.nd.array(train_y[i])
            state = [s.detach() for s in state]  # truncated backpropagation through time
            with autograd.record():
                out, state = net(x, state)
                loss = loss_fn(out, y)
            loss.backward()
            gluon.utils.clip_global_norm([p.grad() for p in params], args.clip)
            trainer.step(args.batch_size)
            total += loss.mean().asscalar()
            bar.set_postfix(ppl=f"{math.exp(total / (i + 1)):.2f}")
        train_ppl = math.exp(total / len(train_x))
        valid_ppl = perplexity(net, loss_fn, valid_x, valid_y)
        history.append(train_ppl)
        print(
            f"epoch {epoch}: train perplexity {train_ppl:.2f}, validation perplexity "
            f"{valid_ppl:.2f} ({time.time() - start:.1f} s)"
        )

    rng = np.random.default_rng(args.seed)
    print("--- sample ---")
    print(sample(net, chars, args.prime, args.sample_len, args.temperature, rng))
    return history


if __name__ == "__main__":
    main()
