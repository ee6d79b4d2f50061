"""The run's side of the conversation: a trainer that answers commands and sends reports.

Training is pure Python and keeps a core busy, so in the app it runs in its own process
(child_main, started by bridge.py): a thread in the app's process would hold the GIL and
make every key press wait. TrainingSession does not know how it is driven: the child
process runs it flat out, and tests drive it step by step in-process.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable

from ...engine import checkpoint
from ...engine.checkpoint import CheckpointError
from ...engine.trainer import StepRecord, Trainer, TrainingDiverged
from .protocol import (Command, Failed, Load, Pause, Ready, Report, Run, Save, Saved, SnapshotTaken, State,
                       StateChanged, Step, StepsTaken, Stop, ValidationScored)
from .settings import RunSpec
from .snapshot import snapshot_of

# How often a running session reports. Step records are batched, so a fast engine
# sends ten small messages a second instead of hundreds. A snapshot (a copy of all the
# weights and their statistics, ~160 KB pickled) goes every two seconds while running,
# and at once on pause or step: each one redraws three panes, which takes 50-120 ms (the
# attention grids change size with every name), and a key pressed meanwhile waits. Once a
# second put one key press in ten past 50 ms; every two seconds keeps p95 under it
# (measured: benchmarks/measure_tui.py).
STEPS_EVERY = 0.1  # seconds
SNAPSHOT_EVERY = 2.0  # seconds

# Validation: the mean loss per character on names the run never trains on. Scoring a
# name costs about half a step of the fast engine, so while running only the first
# VALIDATION_NAMES held-out names are scored, at a multiple of VALIDATION_EVERY steps,
# and only while validation has used at most VALIDATION_SHARE of the time spent training
# (the scalar engine validates every 100 steps; the fast one every 500 or so). When the
# run is done, all of the held-out names are scored.
VALIDATION_EVERY = 100  # steps
VALIDATION_NAMES = 50
VALIDATION_SHARE = 0.05


# ---- the run's side ------------------------------------------------------------------


class TrainingSession:
    """A trainer that answers commands and sends reports through `send`."""

    def __init__(self, spec: RunSpec, send: Callable[[Report], None], clock: Callable[[], float] = time.monotonic):
        self.spec = spec
        self.send = send
        self.clock = clock
        self._start(spec.make_trainer(), State.PAUSED if spec.start_paused else State.RUNNING)

    def _start(self, trainer, state: State) -> None:
        """Take over `trainer` (a new run, or one resumed from a checkpoint) and announce it."""
        self.trainer = trainer
        self._steps_left = 0  # steps still to take for a Step(count)
        self._pending: list[StepRecord] = []
        self._training_seconds = self._validation_seconds = 0.0
        self._last_steps_sent = self._last_snapshot_sent = self.clock()
        self.send(Ready(frozenset(trainer.train_docs), tuple(trainer.losses)))
        self.state = State.DONE if trainer.done else state
        self.send(StateChanged(self.state))
        self._send_snapshot()

    @property
    def running(self) -> bool:
        """Whether the driver should keep calling advance(): training, or working through a Step(count)."""
        return self.state is State.RUNNING or self._steps_left > 0

    def handle(self, command: Command) -> bool:
        """Act on one command. Returns False when the session should end."""
        match command:
            case Stop():
                return False
            case Run() if self.state is State.PAUSED:
                self._steps_left = 0
                self._set_state(State.RUNNING)
            case Pause() if self.running:
                self._steps_left = 0
                self._send_steps()
                self._set_state(State.PAUSED)
                self._send_snapshot()
            case Step(count) if self.state is not State.DONE:
                if self.state is State.RUNNING:
                    self._send_steps()
                    self._set_state(State.PAUSED)
                # The first step at once; the rest through advance(), so a Pause can still stop them.
                self._steps_left = max(0, count - 1)
                self._take_step()
                if self.state is State.DONE:  # reaching DONE has reported everything
                    self._steps_left = 0
                elif not self._steps_left:
                    self._flush()
            case Save(path):
                self._send_steps()
                self._save(path)
            case Load(saved):
                self._send_steps()
                try:
                    trainer = Trainer.from_checkpoint(saved, self.spec.docs, self.trainer.engine_name)
                except CheckpointError as err:
                    self.send(Failed(f"not loaded: {err}"))
                except Exception as err:  # whatever else is wrong with it, the current run goes on
                    self.send(Failed(f"not loaded: {_one_line(err)}"))
                else:
                    self._start(trainer, State.PAUSED)
        return True

    def _save(self, path: str) -> None:
        spec = self.spec
        try:
            checkpoint.save(self.trainer.checkpoint(spec.dataset.name, spec.dataset.sha256), path)
        except (OSError, CheckpointError) as err:
            self.send(Failed(f"could not save {path}: {getattr(err, 'strerror', None) or err}"))
        else:
            self.send(Saved(path, self.trainer.step_count))

    def advance(self) -> None:
        """Take one step of a running session, sending what is due."""
        if not self.running:
            return
        stepping = self._steps_left > 0
        self._take_step()
        now = self.clock()
        if self.state is State.DONE:
            self._steps_left = 0
            return
        if stepping:
            self._steps_left = max(0, self._steps_left - 1) if self.state is State.PAUSED else 0
            if not self._steps_left:
                self._flush()  # the last of the asked-for steps: report it all now
                return
        if now - self._last_steps_sent >= STEPS_EVERY:
            self._send_steps()
        if now - self._last_snapshot_sent >= SNAPSHOT_EVERY:
            self._send_snapshot()

    def _take_step(self) -> None:
        try:
            record = self.trainer.step()
        except TrainingDiverged as err:
            self._steps_left = 0
            self._send_steps()
            self._set_state(State.PAUSED)
            self.send(Failed(f"{err}. Training is paused; lower --lr, or load a checkpoint (ctrl+o)."))
            self._send_snapshot()
            return
        except Exception as err:  # a bug or a numeric failure: keep the app alive and say so
            self._steps_left = 0
            self._pending.clear()
            self._set_state(State.PAUSED)
            self.send(Failed(_one_line(err)))
            return
        self._pending.append(record)
        self._training_seconds += record.seconds
        if self.trainer.done:
            self._send_steps()  # the last steps, then the news that there are no more
            self._set_state(State.DONE)
            self._send_snapshot()
            self._validate(limit=None)
        elif self._validation_due(record.step):
            self._validate(limit=VALIDATION_NAMES)

    def _validation_due(self, step: int) -> bool:
        if step % VALIDATION_EVERY:
            return False
        return self._validation_seconds <= VALIDATION_SHARE * self._training_seconds

    def _validate(self, limit: int | None) -> None:
        # The steps before it go first, so the app draws the point at the right place.
        self._send_steps()
        started = time.perf_counter()
        loss = self.trainer.validation_loss(limit)
        self._validation_seconds += time.perf_counter() - started
        if loss is not None:
            names = min(limit or len(self.trainer.val_docs), len(self.trainer.val_docs))
            self.send(ValidationScored(self.trainer.step_count, loss, names))

    def _set_state(self, state: State) -> None:
        if state is not self.state:
            self.state = state
            self.send(StateChanged(state))

    def _flush(self) -> None:
        self._send_steps()
        self._send_snapshot()

    def _send_steps(self) -> None:
        self._last_steps_sent = self.clock()
        if self._pending:
            self.send(StepsTaken(tuple(self._pending), self._last_steps_sent))
            self._pending = []

    def _send_snapshot(self) -> None:
        self._last_snapshot_sent = self.clock()
        self.send(SnapshotTaken(snapshot_of(self.trainer)))


def _one_line(err: BaseException) -> str:
    where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
    place = f" (in {os.path.basename(where.filename)}:{where.lineno})" if where else ""
    return f"{type(err).__name__}: {err}{place}".replace("\n", " ")


def child_main(conn, spec: RunSpec) -> None:
    """The training process: answer commands on `conn`, train flat out while running."""
    # The child shares the app's terminal: anything it printed would scribble over the
    # screen.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    # A closed terminal or `kill` of the process group reaches this process too; the app
    # decides what happens (it saves first), then tells us to stop or closes the pipe.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    try:
        session = TrainingSession(spec, conn.send)
        while True:
            if session.running:
                # Between steps, only glance at the pipe: poll() without a timeout is a
                # cheap system call, so training keeps its pace.
                while conn.poll():
                    if not session.handle(conn.recv()):
                        return
                session.advance()
            elif not session.handle(conn.recv()):  # paused or done: sleep until told
                return
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the app has gone; so do we
    finally:
        conn.close()
