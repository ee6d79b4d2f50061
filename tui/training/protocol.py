"""The conversation between the app and the training run: every command and report, defined once.

The two sides only exchange these small picklable objects:

    app -> run   commands: Run, Pause, Step, Save, Load, Stop
    run -> app   reports:  Ready, StateChanged, StepsTaken, SnapshotTaken,
                           ValidationScored, Saved, Failed

A new command is one more dataclass here and one more case in TrainingSession.handle.
A new report is one more dataclass here, sent by the session, and one more case in the
app's on_training_report.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ...engine.checkpoint import Checkpoint
from ...engine.trainer import StepRecord
from .snapshot import ModelSnapshot


class State(enum.Enum):
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    DONE = "DONE"
    ENDED = "ENDED"  # the training process is gone; only the app, which notices, uses this


# ---- commands: app -> run ------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Train continuously until paused or done."""


@dataclass(frozen=True)
class Pause:
    """Stop after the current step; report the steps and a snapshot at once."""


@dataclass(frozen=True)
class Step:
    """Take exactly `count` steps (pausing first if running), then report them and a snapshot.

    The app asks for several at once when `n` is pressed faster than steps finish.
    """

    count: int = 1


@dataclass(frozen=True)
class Save:
    """Write a checkpoint of the run as it is now to `path`; report Saved or Failed."""

    path: str


@dataclass(frozen=True)
class Load:
    """Carry on from a checkpoint the app has already read and checked, paused."""

    checkpoint: Checkpoint


@dataclass(frozen=True)
class Stop:
    """End the run and the process."""


Command = Run | Pause | Step | Save | Load | Stop


# ---- reports: run -> app -------------------------------------------------------------


@dataclass(frozen=True)
class Ready:
    """A run has started (a new one, or one loaded from a checkpoint)."""

    training_names: frozenset[str]  # the documents the run trains on (not the held-out ones)
    losses: tuple[float, ...] = ()  # the loss of every step so far: a resumed run's history


@dataclass(frozen=True)
class StateChanged:
    state: State


@dataclass(frozen=True)
class StepsTaken:
    records: tuple[StepRecord, ...]
    clock: float  # time.monotonic() when the last of them finished (shared by processes on one machine)


@dataclass(frozen=True)
class SnapshotTaken:
    snapshot: ModelSnapshot


@dataclass(frozen=True)
class ValidationScored:
    step: int
    loss: float
    names: int  # how many held-out names were scored


@dataclass(frozen=True)
class Saved:
    path: str
    step: int


@dataclass(frozen=True)
class Failed:
    """Something went wrong (the loss blew up, a save failed); the run is paused and says why in one line."""

    reason: str


Report = Ready | StateChanged | StepsTaken | SnapshotTaken | ValidationScored | Saved | Failed
