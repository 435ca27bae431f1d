"""Every script in examples/ runs (tiny sizes), so the examples cannot rot."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"

# script -> arguments that make it quick
RUNS = {
    "quickstart.py": ["--steps", "3"],
    "hybrid_vs_eager.py": ["--epochs", "1", "--limit", "160", "--batch-size", "32"],
    # trained more thoroughly (perplexity falls) in tests/rnn/test_char_lstm_example.py
    "char_lstm.py": ["--epochs", "1", "--limit", "600", "--batch-size", "4", "--seq-len", "16", "--embed", "8", "--hidden", "16", "--layers", "1", "--sample-len", "20"],
}


def test_every_example_has_a_quick_run():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert scripts == sorted(RUNS), "add the new example to RUNS with arguments that make it quick"


@pytest.mark.parametrize("script", sorted(RUNS))
def test_example_runs(script, tmp_path):
    args = list(RUNS[script])
    if script == "hybrid_vs_eager.py":
        args += ["--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    if script == "quickstart.py":
        assert "outputs equal:   max |eager - hybrid| = 0.00e+00" in proc.stdout
    if script == "hybrid_vs_eager.py":
        assert "test accuracy" in proc.stdout and (tmp_path / "epoch_times.png").exists()
