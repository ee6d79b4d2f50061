"""The run's side of the conversation: a trainer that answers commands and sends reports.

Training is pure Python and keeps a core busy, so in the app it runs in its own process
(child_main, started by bridge.py): a thread in the app's process would hold the GIL and
make every key press wait. TrainingSession does not know how it is driven: the child
process runs it, and tests drive it step by step in-process.

The session keeps the pace (SetPace) but does not sleep: seconds_until_next_step() tells
its driver how long to wait before the next advance(), and the driver waits for that long
or for the next command, whichever comes first.
"""

from __future__ import annotations

import math
import os
import random
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import replace

from ...engine import checkpoint
from ...engine.baselines import baselines
from ...engine.checkpoint import CheckpointError
from ...engine.config import ConfigError
from ...engine.sampling import generate
from ...engine.trainer import StepRecord, Trainer, TrainingDiverged
from .protocol import (Branch, Command, Failed, FinalNames, Load, Pause, Ready, Report, Run, RunExtended,
                       SampleFinalNames, Save, Saved, SetPace, SnapshotTaken, State, StateChanged, Step, StepsTaken,
                       Stop, TrainMore, ValidationScored)
from .collector import collect_garbage_rarely
from .settings import RunSettings, RunSpec
from .snapshot import snapshot_of

# How often a running session reports. Step records are batched, so a fast engine
# sends ten small messages a second instead of hundreds. A snapshot (a copy of all the
# weights and their statistics, ~190 KB pickled, about 5 ms to make) goes five times a
# second while running, so the panes never show weights more than a quarter of a second
# old, and at once on pause or step. The app keeps up because no pane's redraw forces a
# layout, each costs a few milliseconds (benchmarks/bench_panes.py), and a pane hidden
# behind a zoomed one waits until it is shown.
STEPS_EVERY = 0.1  # seconds
SNAPSHOT_EVERY = 0.2  # seconds

# Validation: the mean loss per character on names the run never trains on. Scoring a
# name costs about half a step of the fast engine, so while running only the first
# VALIDATION_NAMES held-out names are scored, at a multiple of VALIDATION_EVERY steps,
# and only while validation has used at most VALIDATION_SHARE of the run's time: the
# time spent training, or the time the run has been running if longer (a slow pace
# leaves the process idle between steps). At the default pace that is every 100 steps;
# flat out, the fast engine validates every 1,250 steps or so, so that the app trains
# nearly as fast as --headless, which does not validate until the end. When the run is
# done, all of the held-out names are scored.
VALIDATION_EVERY = 100  # steps
VALIDATION_NAMES = 50
VALIDATION_SHARE = 0.02
LONGEST_GAP = 1.0  # seconds between two steps that count as running time; longer is a pause


# ---- the run's side ------------------------------------------------------------------


class TrainingSession:
    """A trainer that answers commands and sends reports through `send`."""

    def __init__(self, spec: RunSpec, send: Callable[[Report], None], clock: Callable[[], float] = time.monotonic):
        self.spec = spec
        self.send = send
        self.clock = clock
        self.pace: float | None = None  # steps a second while running; None: as fast as it goes
        self._last_step_at = -math.inf  # when the last step began, by self.clock
        self._next_step_at = -math.inf  # when the next paced step is due
        self._start(spec.make_trainer(), State.PAUSED if spec.start_paused else State.RUNNING)

    def _start(self, trainer, state: State) -> None:
        """Take over `trainer` (a new run, a resumed one or a branch) and announce it."""
        self.trainer = trainer
        self._steps_left = 0  # steps still to take for a Step(count)
        self._pending: list[StepRecord] = []
        self._training_seconds = self._validation_seconds = self._running_seconds = 0.0
        self._last_steps_sent = self._last_snapshot_sent = self.clock()
        # the counting models' losses on the held-out names: a tenth of a second for 32,000 names
        scale = baselines(trainer.train_docs, trainer.val_docs, trainer.tokenizer, trainer.config.block_size)
        self.send(Ready(trainer.held_out_positions, tuple(trainer.losses), trainer.train, scale, tuple(trainer.history)))
        self.state = State.DONE if trainer.done else state
        self.send(StateChanged(self.state))
        self._restart_beat()
        self._send_snapshot()

    @property
    def running(self) -> bool:
        """Whether the driver should keep calling advance(): training, or working through a Step(count)."""
        return self.state is State.RUNNING or self._steps_left > 0

    def seconds_until_next_step(self) -> float:
        """How long the driver should wait before calling advance(): 0 when flat out or working through a Step(count)."""
        if self.pace is None or self._steps_left > 0:
            return 0.0
        return max(0.0, self._next_step_at - self.clock())

    def handle(self, command: Command) -> bool:
        """Act on one command. Returns False when the session should end."""
        match command:
            case Stop():
                return False
            case Run() if self.state is State.PAUSED:
                self._steps_left = 0
                self._set_state(State.RUNNING)
            case TrainMore(steps):
                self._train_more(steps)
            case SetPace(steps_per_second):
                self._set_pace(steps_per_second)
            case Branch(settings, paused):
                self._send_steps()
                self._branch(settings, paused)
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
            case SampleFinalNames(count, temperature) if self.trainer.done:
                self._sample_final_names(count, temperature)
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

    def _train_more(self, steps: int) -> None:
        self._send_steps()  # the steps before it belong to the old schedule
        from_step = self.trainer.train.steps
        try:
            self.trainer.extend(steps)
        except ConfigError as err:
            self.send(Failed(f"cannot train more: {err}"))
            return
        self.send(RunExtended(self.trainer.train.steps, from_step))
        if self.state is State.DONE:
            self._set_state(State.RUNNING)

    def _set_pace(self, steps_per_second: float | None) -> None:
        if steps_per_second is not None and not (
            isinstance(steps_per_second, (int, float)) and 0 < steps_per_second < math.inf
        ):
            self.send(Failed(f"the pace must be a number of steps a second above 0, or None, got {steps_per_second!r}"))
            return
        self.pace = steps_per_second
        self._restart_beat()

    def _restart_beat(self) -> None:
        """The next paced step is due one beat after the last step began, or now if that has passed."""
        beat = 1 / self.pace if self.pace else 0.0
        self._next_step_at = max(self.clock(), self._last_step_at + beat)

    def _branch(self, settings: RunSettings, paused: bool) -> None:
        """A new trainer from a checkpoint of this one, with the new training settings in it."""
        current = self.trainer
        if settings.model.vocab_size is None:
            settings = replace(settings, model=replace(settings.model, vocab_size=current.config.vocab_size))
        # The branch keeps the run's schedule, whatever segments settings.train holds (see below).
        settings = replace(settings, train=replace(settings.train, segment_starts=(0,)))
        try:
            if settings.model != current.config:
                raise ConfigError("", "a branch keeps the run's model (layers, width, heads, block size); "
                                      "start a new run to change it")
            settings.validate()
            # the run's segments that begin before the new total, the last one now ending there
            starts = tuple(start for start in current.train.segment_starts if start < settings.train.steps)
            train = replace(settings.train, segment_starts=starts)
            here = current.checkpoint(self.spec.dataset.name, self.spec.dataset.sha256)
            trainer = Trainer.from_checkpoint(checkpoint.with_training(here, train), self.spec.docs, settings.engine)
        except (ConfigError, CheckpointError) as err:
            self.send(Failed(f"not branched: {err}"))
            return
        self.spec = replace(self.spec, settings=RunSettings(trainer.config, trainer.train, trainer.engine_name), resume=None)
        self._start(trainer, State.PAUSED if paused else State.RUNNING)

    def _save(self, path: str) -> None:
        spec = self.spec
        try:
            checkpoint.save(self.trainer.checkpoint(spec.dataset.name, spec.dataset.sha256), path)
        except (OSError, CheckpointError) as err:
            self.send(Failed(f"could not save {path}: {getattr(err, 'strerror', None) or err}"))
        else:
            self.send(Saved(path, self.trainer.step_count))

    def _sample_final_names(self, count: int, temperature: float) -> None:
        trainer = self.trainer
        # A copy of the generator: the same draws as the headless run's, while the trainer's
        # own stays where the last step left it (a save or Train more must not see these).
        rng = random.Random()
        rng.setstate(trainer.rng.getstate())
        weights = trainer.weights()
        names = tuple(generate(trainer.config, weights, trainer.tokenizer, rng, temperature) for _ in range(count))
        self.send(FinalNames(trainer.step_count, names, temperature))

    def advance(self) -> None:
        """Take one step of a running session, sending what is due.

        The driver calls it when seconds_until_next_step() has passed.
        """
        if not self.running:
            return
        stepping = self._steps_left > 0
        if not stepping and self.pace:
            # Keep to the beat, so the pace holds on average; an engine slower than the
            # pace goes as fast as it can, never in bursts to catch up.
            self._next_step_at = max(self._next_step_at + 1 / self.pace, self.clock())
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
        if self._time_to_send(self._last_steps_sent, STEPS_EVERY, now):
            self._send_steps()
        if self._time_to_send(self._last_snapshot_sent, SNAPSHOT_EVERY, now):
            self._send_snapshot()

    def _time_to_send(self, last_sent: float, every: float, now: float) -> bool:
        """Whether a report sent every `every` seconds goes now: it is due, or at a slow
        pace the next step (the next chance to send it) would come after it is due."""
        if now - last_sent >= every:
            return True
        return self.pace is not None and self._next_step_at - last_sent >= every

    def _take_step(self) -> None:
        now = self.clock()
        if math.isfinite(self._last_step_at):
            self._running_seconds += min(max(0.0, now - self._last_step_at), LONGEST_GAP)
        self._last_step_at = now
        try:
            record = self.trainer.step()
        except TrainingDiverged as err:
            self._steps_left = 0
            self._send_steps()
            self._set_state(State.PAUSED)
            self.send(Failed(f"{err}. Training is paused; lower --lr, or load a checkpoint (ctrl+o).", diverged=True))
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
        return self._validation_seconds <= VALIDATION_SHARE * max(self._training_seconds, self._running_seconds)

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
            if state is State.RUNNING:
                self._restart_beat()

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
    """The training process: answer commands on `conn`, train at the pace set while running."""
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
    collect_garbage_rarely()  # a fresh interpreter: the app's setting is not inherited
    try:
        session = TrainingSession(spec, conn.send)
        while True:
            if not session.running:
                command = conn.recv()  # paused or done: sleep until told
            elif conn.poll(session.seconds_until_next_step()):
                # A command came before the next step is due (flat out, poll(0) only
                # glances at the pipe, a cheap system call): answer it first.
                command = conn.recv()
            else:
                session.advance()  # the step is due and nothing came meanwhile
                continue
            if not session.handle(command):
                return
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the app has gone; so do we
    finally:
        conn.close()
