"""Saving, resuming, Ctrl+C, a blow-up, and `microgpt-tui sample`, from the command line."""

import signal
import subprocess
import sys

import pytest

from microgpt_tui.engine import checkpoint
from conftest import names_file, run_cli

NAMES = ("emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth "
         "sofia avery ella scarlett grace chloe victoria riley aria lily aubrey zoey penelope").split() * 4


@pytest.fixture()
def data(tmp_path):
    return names_file(tmp_path, NAMES)


def loss_lines(out):
    return [line for line in out.splitlines() if line.startswith("step")]


@pytest.mark.parametrize("engine", ["scalar", "fast"])
def test_saved_every_n_steps_and_resumed_gives_the_same_run(engine, data, tmp_path, capsys):
    common = ["--headless", "--data", data, "--steps", "30", "--engine", engine, "--num-samples", "5"]
    status, straight, _ = run_cli(common, capsys)
    assert status == 0
    path = tmp_path / "run.json"
    # stop after 12 steps by resuming a checkpoint written every 12 steps of a 12-step-old run
    status, _, _ = run_cli(common + ["--checkpoint", path, "--checkpoint-every", "12"], capsys)
    assert status == 0 and checkpoint.load(path).step == 30
    saved = checkpoint.load(path)
    assert [float(line.rsplit(" ", 1)[1]) for line in loss_lines(straight)] == pytest.approx(saved.losses, abs=5e-5)


def test_ctrl_c_stops_at_a_step_boundary_saves_and_exits_130(names_path, tmp_path):
    path = tmp_path / "run.json"
    args = [sys.executable, "-m", "microgpt_tui.tui.command_line.main", "--headless", "--engine", "scalar", "--data", str(names_path)]
    proc = subprocess.Popen(args + ["--checkpoint", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [proc.stdout.readline() for _ in range(3)]  # three steps in
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and "interrupted at step" in err and f"--resume {path}" in err
    printed = loss_lines("".join(lines) + out)
    saved = checkpoint.load(path)
    assert saved.step == len(printed) == len(saved.losses) >= 3  # every printed step was saved, no half step

    resumed = subprocess.run(args + ["--resume", str(path), "--engine", "fast", "--num-samples", "20"],
                             capture_output=True, text=True, timeout=120)
    straight = subprocess.run(args[:5] + ["fast"] + args[6:], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == straight.returncode == 0
    assert printed + resumed.stdout.splitlines() == straight.stdout.splitlines()


def test_a_blow_up_exits_3_and_saves_the_last_finite_weights(data, tmp_path, capsys):
    path = tmp_path / "run.json"
    status, out, err = run_cli(["--headless", "--data", data, "--lr", "100", "--checkpoint", path], capsys)
    assert status == 3
    closing = err.splitlines()[-1]  # after the run's opening notes, one line says what happened
    assert [line for line in err.splitlines() if line.startswith("microgpt-tui:")] == [closing]
    assert "Traceback" not in err and "the loss became infinite at step" in closing and "lower --lr" in closing
    assert f"saved step 1 to {path}" in closing
    saved = checkpoint.load(path)  # loads: every number in it is finite
    assert saved.step == len(loss_lines(out))


def test_checkpoint_never_overwrites_another_file(data, tmp_path, capsys):
    other = tmp_path / "precious.json"
    other.write_text("mine")
    status, _, err = run_cli(["--headless", "--data", data, "--steps", "2", "--checkpoint", other], capsys)
    assert status == 2 and "already exists" in err
    assert other.read_text() == "mine"


def test_resume_errors_are_one_line(data, tmp_path, capsys):
    path = tmp_path / "run.json"
    assert run_cli(["--headless", "--data", data, "--steps", "4", "--checkpoint", path, "--num-samples", "0"], capsys)[0] == 0
    other = tmp_path / "other.txt"
    other.write_text("xyz\nzyx\n")
    cases = [
        (["--resume", path, "--data", other], "has 'x', which the checkpoint never saw"),  # says what differs
        (["--resume", path, "--data", data, "--n-embd", "32"], "--n-embd cannot change a resumed run"),
        (["--resume", path], "pass --data PATH"),
        (["--resume", tmp_path / "missing.json", "--data", data], "does not exist"),
        (["--checkpoint-every", "5", "--data", data], "needs --checkpoint"),
    ]
    for args, phrase in cases:
        status, out, err = run_cli(["--headless", *args], capsys)
        assert status == 2 and err.count("\n") == 1 and phrase in err, (args, err)


def test_sample_prints_names_from_a_saved_model(data, tmp_path, capsys):
    path = tmp_path / "run.json"
    status, out, _ = run_cli(["--headless", "--data", data, "--steps", "40", "--checkpoint", path, "--num-samples", "6"], capsys)
    run_samples = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("sample")]
    status, out, _ = run_cli(["sample", "--checkpoint", path, "-n", "6"], capsys)
    assert status == 0 and out.splitlines() == run_samples  # the run's own generator carries on
    status, out, _ = run_cli(["sample", "--checkpoint", path, "--prefix", "em", "-n", "5", "--seed", "3", "--temperature", "0.8"], capsys)
    assert status == 0 and len(out.splitlines()) == 5 and all(name.startswith("em") for name in out.splitlines())
    assert run_cli(["sample", "--checkpoint", path, "--prefix", "em", "-n", "5", "--seed", "3", "--temperature", "0.8"], capsys)[1] == out
    for args, phrase in ((["--prefix", "Q"], "not in the vocabulary"), (["--temperature", "-1"], "--temperature")):
        status, out, err = run_cli(["sample", "--checkpoint", path, *args], capsys)
        assert status == 2 and err.count("\n") == 1 and phrase in err
    status, _, err = run_cli(["sample", "--checkpoint", tmp_path / "nope.json"], capsys)
    assert status == 2 and "does not exist" in err


def test_help_documents_sample_and_checkpoints():
    top = subprocess.run([sys.executable, "-m", "microgpt_tui.tui.command_line.main", "--help"], capture_output=True, text=True, timeout=60)
    for word in ("--checkpoint", "--checkpoint-every", "--resume", "sample"):
        assert word in top.stdout
    sub = subprocess.run([sys.executable, "-m", "microgpt_tui.tui.command_line.main", "sample", "--help"], capture_output=True, text=True, timeout=60)
    for word in ("--checkpoint", "--prefix", "--num-samples", "--temperature", "--seed"):
        assert word in sub.stdout
