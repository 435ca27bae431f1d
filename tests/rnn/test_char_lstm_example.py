"""examples/char_lstm.py trains (perplexity falls), prints per-epoch perplexity and samples."""

from __future__ import annotations

import importlib.util
import pathlib

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent.parent / "examples" / "char_lstm.py"


def test_char_lstm_example_trains_and_samples(capsys):
    spec = importlib.util.spec_from_file_location("char_lstm_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = [
        "--limit",
        "1500",
        "--epochs",
        "3",
        "--batch-size",
        "4",
        "--seq-len",
        "16",
        "--layers",
        "1",
    ]
    args += ["--embed", "8", "--hidden", "24", "--lr", "0.02", "--sample-len", "40"]
    history = module.main(args)
    out = capsys.readouterr().out
    assert len(history) == 3 and history[-1] < history[0]
    assert out.count("validation perplexity") == 3
    sample = out.split("--- sample ---\n")[1]
    assert sample.startswith("The ") and len(sample.rstrip("\n")) == 4 + 40
