"""The app's end of the training run: send commands, receive reports.

Two implementations with the same four methods:

- ChildProcessTraining runs the TrainingSession in a child process (the real thing).
- InProcessTraining runs it in the caller's thread, one step at a time on a timer; tests
  use it with a tiny model so the app stays idle and Pilot stays fast.

The app calls send() from its event loop and receive() from one worker thread.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import sys
import threading
import time
from typing import Protocol

from .protocol import Command, Report, Stop
from .session import TrainingSession, child_main
from .settings import RunSpec


class TrainingConnection(Protocol):
    def start(self) -> None: ...

    def send(self, command: Command) -> None: ...

    def receive(self, timeout: float) -> list[Report]:
        """Reports that have arrived, waiting up to `timeout` seconds for the first one.

        Raises EOFError once the run has ended and nothing more will come.
        """
        ...

    def close(self) -> None: ...


class ChildProcessTraining:
    """Training in a child process, talking over a multiprocessing Pipe."""

    def __init__(self, spec: RunSpec):
        self.spec = spec
        self.process = None  # the child, once started
        self._conn = None
        self._closed = False
        self._closing = threading.Lock()  # the worker and launch.py may both close

    def start(self) -> None:
        # "spawn" starts a fresh interpreter: forking a process that already runs
        # threads (Textual's) can copy a held lock into the child.
        context = multiprocessing.get_context("spawn")
        app_end, run_end = context.Pipe(duplex=True)
        self.process = context.Process(
            target=child_main, args=(run_end, self.spec), name="microgpt-training", daemon=True
        )
        # Inside a Textual app sys.stderr has no file descriptor, and multiprocessing
        # would pass that bad descriptor to its helper process (ValueError: bad
        # value(s) in fds_to_keep). Give it the real stderr while starting.
        with contextlib.redirect_stderr(sys.__stderr__):
            self.process.start()
        run_end.close()  # the child holds its own copy; ours would hide the child's exit
        self._conn = app_end

    def send(self, command: Command) -> None:
        try:
            self._conn.send(command)
        except (OSError, ValueError):  # the child has gone; receive() reports it
            pass

    def receive(self, timeout: float) -> list[Report]:
        conn = self._conn
        try:
            if not conn.poll(timeout):
                return []
            reports = [conn.recv()]
            while conn.poll():
                reports.append(conn.recv())
        except (OSError, ValueError) as err:  # closed under us while quitting
            raise EOFError from err
        return reports

    def close(self, wait: float = 0.5) -> None:
        """Ask the child to stop; if it is busy (say, scoring validation), end it."""
        with self._closing:
            process = self.process
            if process is None or self._closed:
                return
            self._closed = True
            self.send(Stop())
            process.join(wait)
            if process.is_alive():
                process.terminate()
                process.join(0.2)
            if process.is_alive():
                process.kill()
                process.join(0.2)
            self._conn.close()


class InProcessTraining:
    """The same conversation in the caller's thread, for tests and screenshots.

    While running it takes one step every `step_every` seconds (not flat out), or fewer
    if the pace set by SetPace is slower, so a test app spends its time idle. Snapshots
    and steps are reported right after each step, which keeps what the app shows
    predictable.
    """

    def __init__(self, spec: RunSpec, step_every: float = 0.02):
        self.spec = spec
        self.step_every = step_every
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._reports: list[Report] = []
        self._session: TrainingSession | None = None
        self._stopped = False
        self._next_step = 0.0

    def start(self) -> None:
        pass  # the session is built on the first receive(), in the worker's thread

    def send(self, command: Command) -> None:
        self._commands.put(command)

    def receive(self, timeout: float) -> list[Report]:
        if self._stopped:
            raise EOFError
        if self._session is None:
            self._session = TrainingSession(self.spec, self._collect)
        session = self._session
        deadline = time.monotonic() + timeout
        while not self._reports:
            now = time.monotonic()
            if now >= deadline:
                break
            if session.running:
                wake = min(deadline, max(self._next_step, now + session.seconds_until_next_step()))
            else:
                wake = deadline
            try:
                # Never get(timeout=0): on Python 3.10 that call now and then blocks for
                # good (seen here about once in 40 test runs), and the run stops stepping.
                command = self._commands.get(timeout=wake - now) if wake > now else self._commands.get_nowait()
            except queue.Empty:
                command = None
            if command is not None:
                if not session.handle(command):
                    self._stopped = True
                    raise EOFError
            elif session.running and time.monotonic() >= self._next_step and not session.seconds_until_next_step():
                self._next_step = time.monotonic() + self.step_every
                session.advance()
        reports, self._reports = self._reports, []
        return reports

    def _collect(self, report: Report) -> None:
        self._reports.append(report)

    def close(self) -> None:
        self._commands.put(Stop())
