"""Issue 12 from the command line: nothing lost, nothing injected, nothing hangs.

Each test reproduces one numbered case of the issue and checks the exit status, the one
line on stderr, that no traceback is printed, and that every file that was on disk before
is unchanged (by checksum) unless it is the run's own checkpoint.
"""

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import microgpt_tui.datasets as datasets_package
from microgpt_tui.engine import checkpoint
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui import app as app_module
from microgpt_tui.tui.command_line import headless, sample_command
from microgpt_tui.tui.command_line.main import main
from microgpt_tui.tui.training import outputs
from microgpt_tui.tui.training.outputs import CheckpointLock, OutputError

from conftest import SOME_NAMES, run_cli

COMMAND = [sys.executable, "-m", "microgpt_tui.tui.command_line.main"]
ESC = "\x1b"


def checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def assert_unchanged(before: dict, folder: Path, own: tuple[str, ...] = ()) -> None:
    after = checksums(folder)
    for name, digest in before.items():
        if name not in own:
            assert after.get(name) == digest, f"{name} was changed or removed"


def said(err: str) -> list[str]:
    """The lines on stderr that say what happened; the run's opening notes ("training on ...") are not."""
    return [line for line in err.splitlines() if line.startswith("microgpt-tui: ")]


def assert_one_line(err: str, status: int) -> str:
    """Exactly one line says what happened, and it is the last: nothing (no traceback) follows it."""
    assert "Traceback" not in err
    lines = said(err)
    assert len(lines) == 1, err
    assert err.splitlines()[-1] == lines[0], err
    assert status != 0
    return lines[0]


def printed_steps(out: str) -> int:
    return sum(1 for line in out.splitlines() if line.startswith("step"))


# ---- 1. two outputs, or an output and an input, on one file ---------------------------

def test_1_checkpoint_and_log_on_one_path_are_refused_before_training(small_data, tmp_path, capsys):
    before = checksums(tmp_path)
    status, out, err = run_cli(["--headless", "--data", small_data, "--steps", "5", "--checkpoint", tmp_path / "r.json",
                            "--log-jsonl", tmp_path / "r.json"], capsys)
    assert status == 2 and out == ""
    assert "same file" in assert_one_line(err, status)
    assert checksums(tmp_path) == before  # nothing trained, nothing written, no lock left


def test_1_a_link_to_the_same_folder_is_the_same_file(small_data, tmp_path, capsys):
    (tmp_path / "runs").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "runs")
    status, _, err = run_cli(["--headless", "--data", small_data, "--steps", "5", "--checkpoint", tmp_path / "runs" / "r.json",
                          "--log-jsonl", tmp_path / "alias" / "r.json"], capsys)
    assert status == 2 and "same file" in assert_one_line(err, status)
    assert list((tmp_path / "runs").iterdir()) == []


@pytest.mark.parametrize("option", ["--checkpoint", "--log-jsonl"])
def test_1_an_output_on_the_data_is_refused(option, small_data, tmp_path, capsys):
    before = checksums(tmp_path)
    link = tmp_path / "link.txt"
    link.symlink_to(small_data)
    status, _, err = run_cli(["--headless", "--data", link, "--steps", "2", option, small_data], capsys)
    assert status == 2
    assert_one_line(err, status)
    assert_unchanged(before, tmp_path)


def test_1_the_app_is_refused_the_same_clash_before_it_opens(small_data, tmp_path, capsys, opened):
    status, _, err = run_cli(["--data", small_data, "--checkpoint", tmp_path / "r.json", "--log-jsonl", tmp_path / "r.json"], capsys)
    assert status == 2 and "same file" in assert_one_line(err, status)
    assert opened == []


def interrupt_at_step(monkeypatch, at: int) -> None:
    """Ctrl+C, sent by the run to itself as step `at` ends."""
    real_step = Trainer.step

    def step(self):
        record = real_step(self)
        if record.step == at:
            os.kill(os.getpid(), signal.SIGINT)
        return record

    monkeypatch.setattr(Trainer, "step", step)


def test_1_resuming_in_place_is_allowed_and_saves_over_the_resumed_file(small_data, tmp_path, monkeypatch, capsys):
    path = tmp_path / "r.json"
    interrupt_at_step(monkeypatch, 4)
    status, _, err = run_cli(["--headless", "--data", small_data, "--steps", "12", "--checkpoint", path], capsys)
    assert status == 130 and checkpoint.load(path).step == 4
    monkeypatch.undo()
    status, out, err = run_cli(["--headless", "--data", small_data, "--resume", path, "--checkpoint", path, "--num-samples", "0"], capsys)
    assert status == 0 and "Traceback" not in err and printed_steps(out) == 8
    assert checkpoint.load(path).step == 12
    assert not Path(f"{path}.lock").exists()


# ---- 2. one run per checkpoint path ------------------------------------------------------

def start_long_run(data: Path, path: Path, *extra) -> subprocess.Popen:
    """A headless run that goes on until it is stopped, saving to `path`; returns once it trains."""
    proc = subprocess.Popen(COMMAND + ["--headless", "--data", str(data), "--steps", "1000000", "--checkpoint", str(path),
                                       "--num-samples", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(3):
        assert proc.stdout.readline().startswith("step")
    return proc


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> tuple[str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return out, err


def test_2_a_second_run_on_the_same_checkpoint_is_refused_naming_the_first(small_data, tmp_path, capsys):
    path = tmp_path / "run.json"
    first = start_long_run(small_data, path)
    try:
        assert Path(f"{path}.lock").read_text().strip() == str(first.pid)
        status, out, err = run_cli(["--headless", "--data", small_data, "--steps", "3", "--checkpoint", path], capsys)
        assert status == 2 and out == ""
        line = assert_one_line(err, status)
        assert "in use by another microgpt-tui run" in line and f"process {first.pid}" in line
        # resuming it in place while it runs is refused the same way
        status, _, err = run_cli(["--headless", "--data", small_data, "--resume", path, "--checkpoint", path], capsys)
        assert status == 2 and f"process {first.pid}" in err
    finally:
        out, err = stop(first)
    assert first.returncode == 143
    assert checkpoint.load(path).step >= 3  # the first run's work is there, saved by the first run
    assert not Path(f"{path}.lock").exists()


def test_2_the_app_is_refused_a_checkpoint_a_headless_run_holds(small_data, tmp_path, capsys, opened):
    path = tmp_path / "run.json"
    with CheckpointLock(str(path)):
        status, _, err = run_cli(["--data", small_data, "--checkpoint", path], capsys)
    assert status == 2 and f"process {os.getpid()}" in assert_one_line(err, status)
    assert opened == []


def test_2_the_app_holds_the_lock_while_it_runs_and_lets_go_after(small_data, tmp_path, monkeypatch, capsys):
    path = tmp_path / "run.json"
    seen = []

    def run_app(self):
        seen.append((Path(f"{path}.lock").read_text().strip(), signal.getsignal(signal.SIGTERM)))

    monkeypatch.setattr(app_module.MicroGPTApp, "run", run_app)
    status, _, err = run_cli(["--data", small_data, "--checkpoint", path], capsys)
    assert status == 0, err
    # the lock names this process; SIGTERM is the app's to handle, as before start-up
    assert seen == [(str(os.getpid()), signal.SIG_DFL)]
    assert not Path(f"{path}.lock").exists()


def test_2_a_lock_left_by_a_dead_run_is_taken_over(small_data, tmp_path, capsys):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    path = tmp_path / "run.json"
    Path(f"{path}.lock").write_text(f"{dead}\n")  # what kill -9 leaves behind: its flock went with it
    status, _, err = run_cli(["--headless", "--data", small_data, "--steps", "3", "--checkpoint", path, "--num-samples", "0"], capsys)
    assert status == 0, err
    assert checkpoint.load(path).step == 3
    assert not Path(f"{path}.lock").exists()


def test_2_a_file_that_is_not_a_lock_is_never_overwritten(small_data, tmp_path, capsys):
    path = tmp_path / "run.json"
    Path(f"{path}.lock").write_text("my notes\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("keep\n")
    before = checksums(tmp_path)
    status, _, err = run_cli(["--headless", "--data", small_data, "--steps", "3", "--checkpoint", path], capsys)
    assert status == 2 and "not a microgpt-tui lock file" in assert_one_line(err, status)
    other = tmp_path / "other.json"
    Path(f"{other}.lock").symlink_to(secret)  # a link planted where the lock goes
    status, _, err = run_cli(["--headless", "--data", small_data, "--steps", "3", "--checkpoint", other], capsys)
    assert status == 2
    assert_one_line(err, status)
    assert_unchanged(before, tmp_path)
    assert not path.exists() and not other.exists()


def test_2_the_lock_is_let_go_when_the_run_fails_to_start(tmp_path, capsys):
    path = tmp_path / "run.json"
    status, _, err = run_cli(["--headless", "--data", tmp_path / "missing.txt", "--checkpoint", path], capsys)
    assert status == 2 and "does not exist" in err
    assert not Path(f"{path}.lock").exists()
    with CheckpointLock(str(path)) as lock:  # free again
        assert Path(lock.path).read_text().strip() == str(os.getpid())


def test_2_a_lock_is_exclusive_within_one_process_too(tmp_path):
    path = str(tmp_path / "run.json")
    with CheckpointLock(path):
        with pytest.raises(OutputError, match=f"process {os.getpid()}"):
            CheckpointLock(path)
    CheckpointLock(path).release()


# ---- 3. a folder that cannot be written, and a disk that fills up ------------------------

def test_3_an_unwritable_folder_is_found_before_step_1(small_data, tmp_path, monkeypatch, capsys):
    real_mkstemp = outputs.tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if Path(dir) == tmp_path / "ro":
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_mkstemp(*args, dir=dir, **kwargs)

    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(outputs.tempfile, "mkstemp", read_only)
    for option, name in (("--checkpoint", "run.json"), ("--log-jsonl", "log.jsonl")):
        status, out, err = run_cli(["--headless", "--data", small_data, "--steps", "3", option, tmp_path / "ro" / name], capsys)
        assert status == 2 and out == ""  # not a single step trained
        line = assert_one_line(err, status)
        assert "read-only" in line and "choose a folder you can write to" in line
    assert list((tmp_path / "ro").iterdir()) == []


def test_3_a_disk_too_full_for_the_checkpoint_is_found_before_step_1(small_data, tmp_path, monkeypatch, capsys):
    real_statvfs = os.statvfs

    def nearly_full(path):
        result = real_statvfs(path)
        return os.statvfs_result((result.f_bsize, 4096, result.f_blocks, 2, 2) + tuple(result)[5:])

    monkeypatch.setattr(outputs.os, "statvfs", nearly_full)
    status, out, err = run_cli(["--headless", "--data", small_data, "--steps", "3", "--checkpoint", tmp_path / "run.json"], capsys)
    assert status == 2 and out == ""
    assert "8 kB free" in assert_one_line(err, status)
    assert not (tmp_path / "run.json").exists()


class FillsUp:
    """A raw file on a disk with `room` bytes left: a write takes what fits, then fails with ENOSPC."""

    def __init__(self, raw, room: int):
        self.raw, self.room = raw, room

    def write(self, data):
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = self.raw.write(data[:self.room])
        self.room -= written
        return written

    def __getattr__(self, name):
        return getattr(self.raw, name)


def test_3_a_full_disk_under_the_log_stops_the_run_and_saves_the_checkpoint(small_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(outputs, "open", lambda *a, **k: FillsUp(open(*a, **k), room=1000), raising=False)
    (tmp_path / "full").mkdir()
    log, path = tmp_path / "full" / "log.jsonl", tmp_path / "run.json"
    before = checksums(tmp_path)
    status, out, err = run_cli(["--headless", "--data", small_data, "--steps", "50", "--log-jsonl", log, "--checkpoint", path], capsys)
    assert status == 1
    line = assert_one_line(err, status)
    steps = printed_steps(out)
    assert f"stopped at step {steps} of 50: cannot write --log-jsonl" in line and "the disk is full" in line
    assert f"saved step {steps} to {path}" in line and f"--resume {path}" in line
    assert checkpoint.load(path).step == steps  # the current state, saved on the healthy disk
    records = [json.loads(text) for text in log.read_text().splitlines()]  # every line whole
    assert [r["step"] for r in records] == list(range(1, steps))
    assert_unchanged(before, tmp_path)


def fsync_fails_after(monkeypatch, good: int) -> None:
    """checkpoint.save's fsync succeeds `good` times, then the disk is full."""
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        if os.path.isdir(f"/proc/self/fd/{fd}"):  # the folder's fsync after the rename
            return real_fsync(fd)
        calls.append(fd)
        if len(calls) > good:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(checkpoint.os, "fsync", fsync)


def test_3_a_full_disk_mid_run_keeps_the_last_good_checkpoint(small_data, tmp_path, monkeypatch, capsys):
    path = tmp_path / "run.json"
    fsync_fails_after(monkeypatch, good=1)
    status, out, err = run_cli(["--headless", "--data", small_data, "--steps", "30", "--checkpoint", path, "--checkpoint-every", "10"], capsys)
    assert status == 1
    line = assert_one_line(err, status)
    assert "stopped at step 20 of 30: cannot save to" in line and "the disk is full" in line
    assert f"{path} still holds step 10" in line and f"--resume {path}" in line
    assert checkpoint.load(path).step == 10  # whole, and the last good one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["names.txt", "run.json"]  # no temporary left, no lock


def test_3_a_full_disk_at_the_end_says_nothing_was_saved(small_data, tmp_path, monkeypatch, capsys):
    path = tmp_path / "run.json"
    fsync_fails_after(monkeypatch, good=0)
    status, out, err = run_cli(["--headless", "--data", small_data, "--steps", "5", "--checkpoint", path], capsys)
    assert status == 1 and "sample" not in out
    line = assert_one_line(err, status)
    assert "trained all 5 steps, but cannot save" in line and "nothing was saved" in line
    assert not path.exists()


def test_3_a_full_disk_under_standard_output_saves_and_exits_1(small_data, tmp_path):
    path = tmp_path / "run.json"
    script = ("import errno, os, sys; from microgpt_tui.tui.command_line.main import main\n"
              "class Full:\n"
              "    def write(self, text): raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
              "    def flush(self): pass\n"
              "    def fileno(self): return 1\n"
              "sys.stdout = Full()\n"
              "sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", script, "--headless", "--data", str(small_data), "--steps", "5",
                             "--checkpoint", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    line = assert_one_line(result.stderr, result.returncode)
    assert "cannot write the output (the disk is full)" in line and f"saved step 1 to {path}" in line
    assert checkpoint.load(path).step == 1


# ---- 7. a second Ctrl+C while the checkpoint is written -------------------------------------

def test_7_a_second_ctrl_c_during_the_save_waits_for_the_file(small_data, tmp_path, monkeypatch, capsys):
    path = tmp_path / "run.json"
    interrupt_at_step(monkeypatch, 3)  # the first Ctrl+C
    real_save = checkpoint.save
    pending_during_save = []

    def save(state, target):
        os.kill(os.getpid(), signal.SIGINT)  # the second, while the file is being written
        pending_during_save.append(signal.SIGINT in signal.sigpending())
        real_save(state, target)

    monkeypatch.setattr(checkpoint, "save", save)
    status, out, err = run_cli(["--headless", "--data", small_data, "--steps", "50", "--checkpoint", path], capsys)
    assert status == 130
    assert pending_during_save == [True]  # held until the save was done, not delivered into it
    line = assert_one_line(err, status)
    assert line.startswith("microgpt-tui: interrupted at step 3 of 50; saved step 3")
    assert checkpoint.load(path).step == printed_steps(out) == 3


# ---- 8. SIGTERM and SIGHUP stop and save as Ctrl+C does -----------------------------------

@pytest.mark.parametrize("sig,status,words", [(signal.SIGTERM, 143, "stopped by SIGTERM"),
                                              (signal.SIGHUP, 129, "stopped by SIGHUP"),
                                              (signal.SIGINT, 130, "interrupted")])
def test_8_a_stop_signal_ends_headless_training_at_a_step_boundary_and_saves(sig, status, words, small_data, tmp_path):
    path = tmp_path / "run.json"
    proc = start_long_run(small_data, path)
    out, err = stop(proc, sig)
    assert proc.returncode == status
    line = assert_one_line(err, status)
    assert line.startswith(f"microgpt-tui: {words} at step ") and f"--resume {path}" in line
    saved = checkpoint.load(path)
    assert saved.step == 3 + printed_steps(out) == len(saved.losses)  # every printed step saved, none torn
    assert not Path(f"{path}.lock").exists()


def test_8_a_hangup_ignored_at_start_stays_ignored(small_data, tmp_path):
    """Under nohup, SIGHUP is ignored; the run must not make it stop."""
    path = tmp_path / "run.json"
    proc = subprocess.Popen(COMMAND + ["--headless", "--data", str(small_data), "--steps", "1000000", "--checkpoint", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    for _ in range(3):
        proc.stdout.readline()
    proc.send_signal(signal.SIGHUP)
    for _ in range(3):
        assert proc.stdout.readline().startswith("step")  # still training
    out, err = stop(proc, signal.SIGTERM)
    assert proc.returncode == 143 and "SIGHUP" not in err


# ---- 14. Ctrl+C (or SIGTERM) during start-up -------------------------------------------------

def test_14_ctrl_c_while_loading_the_data_is_one_line_and_130(small_data, tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(datasets_package, "resolve_dataset", interrupted)
    path = tmp_path / "run.json"
    status, out, err = run_cli(["--headless", "--data", small_data, "--checkpoint", path], capsys)
    assert status == 130 and out == ""
    assert assert_one_line(err, status) == "microgpt-tui: interrupted"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["names.txt"]  # no checkpoint, no lock left


SLOW_START = """
import sys, time
import microgpt_tui.datasets as datasets
def slow(*args, **kwargs):
    print("loading", file=sys.stderr, flush=True)
    time.sleep(60)
datasets.resolve_dataset = slow
from microgpt_tui.tui.command_line.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig,status,line", [(signal.SIGINT, 130, "microgpt-tui: interrupted"),
                                             (signal.SIGTERM, 143, "microgpt-tui: stopped by SIGTERM"),
                                             (signal.SIGHUP, 129, "microgpt-tui: stopped by SIGHUP")])
def test_14_a_signal_during_start_up_ends_it_with_one_line(sig, status, line, small_data, tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", SLOW_START, "--headless", "--data", str(small_data),
                             "--checkpoint", str(tmp_path / "run.json")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline() == "loading\n"
    out, err = stop(proc, sig)
    assert proc.returncode == status and out == ""
    assert err.splitlines() == [line]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["names.txt"]


# ---- 9. no raw control characters reach the terminal ------------------------------------------

TITLE = f"{ESC}]2;INJECTED{ESC}\\"
RED = f"{ESC}[41m"


def assert_no_control_characters(text: str) -> None:
    assert not [ch for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F], repr(text)


def test_9_headless_samples_are_escaped(small_data, monkeypatch, capsys):
    monkeypatch.setattr(headless, "generate", lambda *args: f"ka{TITLE}{RED}zz\r\x07")
    status, out, err = run_cli(["--headless", "--data", small_data, "--steps", "2", "--num-samples", "2"], capsys)
    assert status == 0
    assert_no_control_characters(out + err)
    assert "sample  1: ka\\x1b]2;INJECTED\\x1b\\\\x1b[41mzz\\x0d\\x07" in out.splitlines()


def test_9_names_from_sample_are_escaped(small_data, tmp_path, monkeypatch, capsys):
    path = tmp_path / "run.json"
    assert run_cli(["--headless", "--data", small_data, "--steps", "2", "--checkpoint", path, "--num-samples", "0"], capsys)[0] == 0
    monkeypatch.setattr(sample_command, "generate", lambda *args: f"{RED}red")
    status, out, err = run_cli(["sample", "--checkpoint", path, "-n", "2"], capsys)
    assert status == 0 and out.splitlines() == ["\\x1b[41mred"] * 2


def test_9_data_full_of_control_characters_trains_and_prints_nothing_raw(tmp_path, capsys):
    data = tmp_path / f"{RED}names{TITLE}.txt"
    data.write_text((f"{TITLE}\n{RED}red\nka\x07\x08zqd\n" * 10))
    path = tmp_path / f"run{ESC}[2J.json"
    status, out, err = run_cli(["--headless", "--data", data, "--steps", "20", "--checkpoint", path, "--temperature", "1",
                            "--num-samples", "20"], capsys)
    assert status == 0
    assert_no_control_characters(out + err)
    assert "\\x1b[41mnames" in err  # the "training on ..." note, escaped
    status, out, err = run_cli(["sample", "--checkpoint", path, "-n", "20", "--temperature", "1"], capsys)
    assert status == 0
    assert_no_control_characters(out + err)
    assert "\\x1b" in out  # the model learned the escape character, and it is shown, not sent


@pytest.mark.parametrize("option", ["--data", "--checkpoint", "--log-jsonl", "--resume"])
def test_9_and_16_file_names_in_errors_are_escaped_to_one_line(option, small_data, tmp_path, capsys):
    bad = tmp_path / f"no{TITLE}\nsuch{RED}" / "x.json"
    argv = ["--headless", option, bad]
    if option != "--data":
        argv += ["--data", small_data]
    status, out, err = run_cli(argv, capsys)
    assert status == 2
    assert_one_line(err, status)
    assert_no_control_characters(err)
    assert "\\x0a" in err


# ---- 10 and 13 from the command line: nothing hangs, nothing lying is trained on -------------------

@pytest.mark.parametrize("option", ["--data", "--resume"])
def test_10_a_fifo_is_refused_at_once(option, small_data, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    argv = COMMAND + ["--headless", option, str(fifo)] + (["--data", str(small_data)] if option == "--resume" else [])
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)  # the timeout only stops a hang
    assert result.returncode == 2
    assert "pipe" in assert_one_line(result.stderr, result.returncode)


def test_13_a_lying_checkpoint_is_refused_by_resume_and_sample(small_data, tmp_path, capsys):
    path = tmp_path / "run.json"
    assert run_cli(["--headless", "--data", small_data, "--steps", "3", "--checkpoint", path, "--num-samples", "0"], capsys)[0] == 0
    lying = json.loads(path.read_text())
    lying["rng_state"]["internal"] = lying["rng_state"]["internal"][:100]
    liar = tmp_path / "liar.json"
    liar.write_text(json.dumps(lying))
    before = checksums(tmp_path)
    for argv in (["--headless", "--data", small_data, "--resume", liar, "--checkpoint", liar], ["sample", "--checkpoint", liar]):
        status, out, err = run_cli(argv, capsys)
        assert status == 2 and out == "" and "rng_state" in assert_one_line(err, status)
    assert_unchanged(before, tmp_path)


# ---- 12. a temperature too small to divide by -------------------------------------------------

def test_12_a_tiny_temperature_is_greedy_after_training_and_in_sample(small_data, tmp_path, capsys):
    path = tmp_path / "run.json"
    common = ["--headless", "--data", small_data, "--steps", "20", "--num-samples", "3"]
    status, tiny, err = run_cli(common + ["--temperature", "1e-320", "--checkpoint", path], capsys)
    assert status == 0 and "Traceback" not in err
    status, greedy, _ = run_cli(common + ["--temperature", "0"], capsys)
    assert tiny == greedy  # the same names, as 0 gives
    status, out, err = run_cli(["sample", "--checkpoint", path, "--temperature", "1e-320", "-n", "3"], capsys)
    assert status == 0 and err == ""
    assert out == run_cli(["sample", "--checkpoint", path, "--temperature", "0", "-n", "3"], capsys)[1]


# ---- 15. abbreviated options ---------------------------------------------------------------------

def test_15_abbreviated_options_are_refused_not_ignored(small_data, tmp_path, capsys):
    path = tmp_path / "run.json"
    assert run_cli(["--headless", "--data", small_data, "--steps", "3", "--checkpoint", path, "--num-samples", "0"], capsys)[0] == 0
    before = checksums(tmp_path)
    status, out, err = run_cli(["--headless", "--resume", path, "--data", small_data, "--n-emb", "64", "--step", "300"], capsys)
    assert status == 2 and out == ""
    line = assert_one_line(err, status)
    assert "unrecognized arguments: --n-emb --step; did you mean --n-embd?" in line
    status, _, err = run_cli(["sample", "--checkpoint", path, "--temp", "0.1"], capsys)
    assert status == 2 and "did you mean --temperature?" in assert_one_line(err, status)
    assert_unchanged(before, tmp_path)


# ---- 16. a newline inside a value --------------------------------------------------------------

@pytest.mark.parametrize("argv", [["--steps", "1\n2"], ["--engine", "fa\nst"], ["--temperature", "0.\n5"],
                                  ["--bogus\noption"], ["--dataset", "na\nmes"]])
def test_16_a_newline_in_a_value_still_gives_one_line(argv, small_data, capsys):
    status, out, err = run_cli(["--headless", *argv] + ([] if "--dataset" in argv else ["--data", small_data]), capsys)
    assert status == 2 and out == ""
    assert_one_line(err, status)
    assert_no_control_characters(err)


# ---- 17. messages that say what differs -------------------------------------------------------

def test_17_a_wrong_matrix_says_both_shapes(small_data, tmp_path, capsys):
    path = tmp_path / "run.json"
    assert run_cli(["--headless", "--data", small_data, "--steps", "3", "--checkpoint", path, "--num-samples", "0"], capsys)[0] == 0
    data = json.loads(path.read_text())
    data["params"]["wte"] = data["params"]["wte"][:-1]
    path.write_text(json.dumps(data))
    status, _, err = run_cli(["sample", "--checkpoint", path], capsys)
    line = assert_one_line(err, status)
    rows = len(data["params"]["wte"])
    assert f"wte is {rows}×16, but the config needs {rows + 1}×16" in line


def test_17_resuming_on_other_contents_with_the_same_letters_warns_in_one_line(small_data, tmp_path, capsys):
    path = tmp_path / "run.json"
    assert run_cli(["--headless", "--data", small_data, "--steps", "3", "--checkpoint", path, "--num-samples", "0"], capsys)[0] == 0
    shuffled = tmp_path / "shuffled.txt"
    shuffled.write_text("\n".join(reversed(SOME_NAMES.split())) + "\n")
    status, out, err = run_cli(["--headless", "--data", shuffled, "--resume", path, "--num-samples", "0"], capsys)
    assert status == 0
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "sha256 differs" in warnings[0] and str(shuffled) in warnings[0]
    status, out, err = run_cli(["--headless", "--data", small_data, "--resume", path, "--num-samples", "0"], capsys)
    assert status == 0 and "warning" not in err  # the very file it trained on: nothing to say


def test_17_an_empty_data_path_says_so(capsys):
    status, _, err = run_cli(["--headless", "--data", ""], capsys)
    assert status == 2 and "the path given to --data is empty" in assert_one_line(err, status)


# ---- --help ---------------------------------------------------------------------------------

def test_help_states_the_limits_signals_and_exit_statuses():
    text = subprocess.run(COMMAND + ["--help"], capture_output=True, text=True, timeout=60).stdout
    flat = " ".join(text.split())
    assert "at most 64 MB" in flat
    for words in ("SIGTERM", "SIGHUP", "Ctrl+C", "below 0.001 counts as 0", "with a warning", "locked"):
        assert words in flat, words
    for status in ("0 done", "1 a file could not be written", "2 bad input", "3 the loss blew up",
                   "129 stopped by SIGHUP", "130 interrupted", "143 stopped by SIGTERM"):
        assert status in flat, status
