"""The command line: headless training output, the JSONL log, and one-line errors."""

import json
import math
import signal
import subprocess
import sys
import time

import pytest

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.engines import DEFAULT_ENGINE
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.command_line.main import main

from conftest import SOME_NAMES

def run_main(argv):
    """main()'s exit status; argparse's own errors arrive as SystemExit."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


def test_headless_prints_the_reference_format(names_path, golden, tmp_path, capsys):
    log = tmp_path / "run.jsonl"
    status = run_main(["--headless", "--engine", "scalar", "--data", str(names_path), "--steps", "10",
                       "--log-jsonl", str(log), "--num-samples", "3"])
    assert status == 0
    lines = capsys.readouterr().out.splitlines()
    trainer = Trainer(load_docs(names_path), ModelConfig(vocab_size=27), TrainConfig(steps=10), engine="scalar")
    losses = [trainer.step().loss for _ in range(10)]
    assert lines[:10] == [f"step {s:4d} /   10 | loss {loss:.4f}" for s, loss in enumerate(losses, 1)]
    assert lines[10] == "--- inference (new, hallucinated names) ---"
    assert [line[:10] for line in lines[11:]] == ["sample  1:", "sample  2:", "sample  3:"]
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(1, 11))
    assert [r["loss"] for r in records] == losses  # full precision, not the printed 4 decimals
    # the schedule differs from the 1000-step reference only from step 3 on (lr is 0.01 at step 1)
    assert [r["loss"] for r in records[:2]] == [golden["loss_at_step"]["1"], golden["loss_at_step"]["2"]]
    assert [r["lr"] for r in records] == [0.01 * (1 - s / 10) for s in range(10)]
    assert all(r["seconds"] > 0 for r in records)


def load_docs(path):
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def test_log_survives_a_killed_run(names_path, tmp_path):
    log = tmp_path / "killed.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "microgpt_tui.tui.command_line.main", "--headless", "--engine", "scalar",
         "--data", str(names_path), "--log-jsonl", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not log.exists() or log.read_text().count("\n") < 3):
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    records = [json.loads(line) for line in log.read_text().splitlines()]  # every line is whole
    assert len(records) >= 3
    assert [r["step"] for r in records] == list(range(1, len(records) + 1))


def test_non_default_config_trains_and_samples(small_data, capsys):
    argv = ["--headless", "--data", str(small_data), "--n-layer", "2", "--n-embd", "32", "--n-head", "8",
            "--block-size", "8", "--steps", "40", "--num-samples", "5", "--temperature", "0"]
    assert run_main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    losses = [float(line.rsplit(" ", 1)[1]) for line in out if line.startswith("step")]
    assert len(losses) == 40 and all(math.isfinite(x) for x in losses)
    assert sum(losses[-10:]) < sum(losses[:10])  # it learns
    samples = [line.split(": ", 1)[1] if ": " in line else "" for line in out if line.startswith("sample")]
    assert len(samples) == 5
    assert len(set(samples)) == 1  # temperature 0 is greedy: the same name every time
    assert all(len(s) <= 8 and set(s) <= set(SOME_NAMES) for s in samples)


def test_default_run_learns_well_below_uniform_guessing(names_path):
    trainer = Trainer(load_docs(names_path), ModelConfig(vocab_size=27), TrainConfig(), engine=DEFAULT_ENGINE)
    losses = [trainer.step().loss for _ in range(1000)]
    assert losses[0] == pytest.approx(math.log(27), abs=0.15)
    assert sum(losses[-50:]) / 50 < math.log(27) - 0.8  # the reference averages about 2.32


BAD_INPUTS = [
    (["--data", "{missing}"], "does not exist"),
    (["--data", "{folder}"], "folder"),
    (["--data", "{empty}"], "no documents"),
    (["--n-embd", "16", "--n-head", "5"], "divisible"),
    (["--steps", "0"], "--steps"),
    (["--n-layer", "-1"], "--n-layer"),
    (["--n-embd", "0"], "--n-embd"),
    (["--block-size", "1"], "--block-size"),
    (["--lr", "0"], "--lr"),
    (["--lr", "-0.5"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--temperature", "-0.1"], "--temperature"),
    (["--steps", "ten"], "whole number"),
    (["--engine", "turbo"], "--engine"),
    (["--log-jsonl", "{existing}"], "already exists"),
    (["--log-jsonl", "{folder}/no/such/dir/log.jsonl"], "does not exist"),
    (["--data", "{small}", "--dataset", "names"], "either --data or --dataset"),
    (["--n-embd", "4000"], "192,"),  # 192 million weights: refused at once, not left filling memory
    (["--n-embd", "256", "--n-layer", "2"], "more than the 1,000,000"),
]


@pytest.mark.parametrize("args,phrase", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_gets_one_line_and_exit_2(args, phrase, tmp_path, small_data, capsys):
    (tmp_path / "empty.txt").write_text("\n  \n")
    existing = tmp_path / "existing.jsonl"
    existing.write_text("keep me\n")
    places = {"missing": tmp_path / "nope.txt", "folder": tmp_path, "empty": tmp_path / "empty.txt",
              "existing": existing, "small": small_data}
    argv = ["--headless", "--data", str(small_data), "--steps", "2"]
    argv += [a.format(**places) for a in args]
    if "--data" in args:  # the test's own --data would come first; keep only the case's
        argv = ["--headless", "--steps", "2"] + [a.format(**places) for a in args]
    assert run_main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("microgpt-tui: error: ")
    assert phrase in captured.err
    assert "Traceback" not in captured.err
    assert existing.read_text() == "keep me\n"  # never clobbered


def test_the_installed_command_reports_errors_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "microgpt_tui.tui.command_line.main", "--headless", "--data", str(tmp_path / "missing.txt")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "does not exist" in result.stderr


def test_help_documents_every_option():
    result = subprocess.run([sys.executable, "-m", "microgpt_tui.tui.command_line.main", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for option in ("--headless", "--data", "--dataset", "--list-datasets", "--steps", "--seed", "--n-layer", "--n-embd",
                   "--n-head", "--block-size", "--lr", "--temperature", "--num-samples", "--engine", "--log-jsonl", "--paused"):
        assert option in result.stdout
