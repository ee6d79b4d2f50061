"""The real app in a real (pseudo) terminal: input that used to end it, and the signals that do.

Each test starts `microgpt-tui` on a pty, as a terminal would, feeds it bytes and reads
what it draws. They are slower than Pilot tests (a few seconds each) because they run the
whole program, training process included.
"""

import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import fcntl
import time

import pytest

from microgpt_tui.engine import checkpoint

PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"
ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN = b"\x1b[?1049h", b"\x1b[?1049l"


class Terminal:
    """`microgpt-tui ARGS` on a 120×40 pty; everything it writes is kept in .output."""

    def __init__(self, args: list[str], cwd) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "microgpt_tui.tui.command_line.main", *args],
            stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, start_new_session=True,
        )
        os.close(slave)
        self.output = b""

    def read(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the program has gone and closed its side
                    return
                if not chunk:
                    return
                self.output += chunk

    def wait_for(self, text: bytes, timeout: float = 30.0) -> None:
        """Read until `text` has been drawn; the timeout only stops a hang."""
        end = time.monotonic() + timeout
        while text not in self.output:
            assert time.monotonic() < end, f"never drew {text!r}"
            assert self.process.poll() is None, f"the app ended (status {self.process.returncode})"
            self.read(0.1)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def finish(self, timeout: float = 30.0) -> int:
        end = time.monotonic() + timeout
        while self.process.poll() is None:
            assert time.monotonic() < end, "the app did not end"
            self.read(0.1)
        self.read(0.2)
        os.close(self.master)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def terminal(tmp_path, small_data):
    started = []

    def start(*extra: str) -> Terminal:
        t = Terminal(["--data", str(small_data), "--steps", "100000", "--n-embd", "8", "--n-head", "2", *extra], tmp_path)
        started.append(t)
        t.wait_for(b"RUNNING" if "--paused" not in extra else b"PAUSED")
        return t

    yield start
    for t in started:
        t.kill()


def test_a_paste_with_control_characters_is_text_and_never_keys(terminal):
    app = terminal()
    app.write(b"\t")  # into the first text box, the attention pane's word
    app.read(0.5)
    # An ESC inside a paste used to turn the rest of it into key presses: here tab, q (quit), d (discard).
    app.write(PASTE_START + b"ka\x1b[41mRED\x07\x08\r\n\tzqd" + PASTE_END)
    app.read(2.0)
    assert app.process.poll() is None, "the paste ended the app"
    app.write(b"\x1b")  # leave the box
    app.read(0.5)
    app.write(b"q")
    app.wait_for(b"not saved")  # the quit dialog: the run was not thrown away
    app.write(b"d")
    assert app.finish() == 0


def test_a_byte_that_is_not_utf8_is_ignored_with_a_notice(terminal):
    app = terminal()
    app.write(b"\xe9")
    app.wait_for(b"UTF-8")
    app.write(b"\xe9\xe9\xc3")
    app.read(1.0)
    assert app.process.poll() is None
    app.write(b" ")  # the keys still work: space pauses
    app.wait_for(b"PAUSED")


def test_sigterm_saves_to_the_checkpoint_and_restores_the_terminal(terminal, tmp_path):
    app = terminal("--checkpoint", "run.json")
    app.read(1.0)
    app.process.send_signal(signal.SIGTERM)
    assert app.finish() == 143
    after_exit = app.output.rsplit(LEAVE_ALT_SCREEN, 1)
    assert len(after_exit) == 2, "the app never left the alternate screen"
    assert b"SIGTERM: saved step" in after_exit[1] and b"run.json" in after_exit[1]
    saved = checkpoint.load(tmp_path / "run.json")
    assert saved.step > 0


def test_sighup_without_a_checkpoint_path_saves_to_a_new_autosave_file(terminal, tmp_path):
    (tmp_path / "keep.json").write_text("{}")
    app = terminal()
    app.read(1.0)
    os.killpg(app.process.pid, signal.SIGHUP)  # a closed terminal: the whole group hears it
    assert app.finish() == 129
    autosaves = sorted(tmp_path.glob("microgpt-autosave-step*.json"))
    assert len(autosaves) == 1
    assert checkpoint.load(autosaves[0]).step > 0
    assert json.loads((tmp_path / "keep.json").read_text()) == {}
