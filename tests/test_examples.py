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
    # run (and trained until its perplexity falls) through its main() in
    # tests/rnn/test_char_lstm_example.py; a second run here would only repeat it
    "char_lstm.py": None,
}
ELSEWHERE = {"char_lstm.py": pathlib.Path(__file__).resolve().parent / "rnn" / "test_char_lstm_example.py"}


def test_every_example_has_a_quick_run():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert scripts == sorted(RUNS), "add the new example to RUNS with arguments that make it quick"
    for script, test in ELSEWHERE.items():
        assert RUNS[script] is None and script in test.read_text()


@pytest.mark.parametrize("script", sorted(s for s, args in RUNS.items() if args is not None))
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
