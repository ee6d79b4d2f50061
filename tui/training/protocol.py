"""The conversation between the app and the training run: every command and report, defined once.

The two sides only exchange these small picklable objects:

    app -> run   commands: Run, Pause, Step, Save, Load, Stop, TrainMore, SetPace, Branch,
                           SampleFinalNames
    run -> app   reports:  Ready, StateChanged, StepsTaken, SnapshotTaken,
                           ValidationScored, Saved, Failed, RunExtended, FinalNames

A new command is one more dataclass here and one more case in TrainingSession.handle.
A new report is one more dataclass here, sent by the session, and one more case in the
app's on_training_report.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ...engine.baselines import Baselines
from ...engine.checkpoint import Checkpoint, StepTrace
from ...engine.config import TrainConfig
from ...engine.trainer import StepRecord
from .settings import RunSettings
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


@dataclass(frozen=True)
class TrainMore:
    """Add `steps` steps to the run: a new segment of its schedule, after its last step.

    The learning rate starts again at the run's learning rate and decays to 0 over the
    added steps (engine/config.py, TrainConfig). Reported by RunExtended. A DONE run goes
    back to RUNNING; a running or paused one stays as it is, and one under way finishes
    its current segment before the new one begins.
    """

    steps: int


@dataclass(frozen=True)
class SetPace:
    """Train at most `steps_per_second` steps a second while running; None is as fast as it goes.

    Step(count) is never held back, and a paused run stays paused whatever the pace.
    """

    steps_per_second: float | None


@dataclass(frozen=True)
class Branch:
    """Carry on from this very step (weights, Adam's moments, random generator) under other training settings.

    `settings.train` may change the learning rate, the steps (more than taken so far),
    beta1, beta2 and eps, and `settings.engine` the engine; the model and the seed (which
    fixed the order of the names) must stay the run's. The schedule keeps the run's
    segments that begin before the new total, the last one ending there. The branch
    is reported as a new run: Ready (with its losses so far), StateChanged, SnapshotTaken;
    it runs, or waits paused if `paused`. A branch that cannot be made is a Failed,
    and the run goes on as it was.
    """

    settings: RunSettings
    paused: bool = False


@dataclass(frozen=True)
class SampleFinalNames:
    """The run is done: make `count` names at `temperature` as the headless run prints them.

    They are drawn with a copy of the trainer's random generator as it stands after the last
    step, so they are the headless run's names (the reference's), and the trainer's own
    generator stays untouched for Train more or a save. Answered with FinalNames; ignored
    while the run is not done.
    """

    count: int
    temperature: float


Command = Run | Pause | Step | Save | Load | Stop | TrainMore | SetPace | Branch | SampleFinalNames


# ---- reports: run -> app -------------------------------------------------------------


@dataclass(frozen=True)
class Ready:
    """A run has started (a new one, or one loaded from a checkpoint)."""

    # Where in the data the held-out names are: the app, which has the documents, works out
    # the training names itself (29,000 names through the pipe for every run would cost memory).
    held_out_positions: tuple[int, ...]
    losses: tuple[float, ...] = ()  # the loss of every step so far: a resumed run's history
    train: TrainConfig | None = None  # its training settings: steps (the total), learning_rate, segments
    # the losses of counting models on the held-out names, to read the validation loss against
    # (None with no names held out); worked out from the data, so left out of comparisons
    baselines: Baselines | None = field(default=None, compare=False)
    # the names and per-position p's of the run's last steps so far (a resumed run may have none)
    step_history: tuple[StepTrace, ...] = ()


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
    diverged: bool = False  # the loss blew up: the app offers a new run with a lower learning rate


@dataclass(frozen=True)
class RunExtended:
    """TrainMore added steps: the run now has `total_steps`, and a new segment starts at `from_step`."""

    total_steps: int
    from_step: int  # the step the new learning-rate decay starts from (the old total)


@dataclass(frozen=True)
class FinalNames:
    """The answer to SampleFinalNames: the names the run made after step `step`, its last."""

    step: int
    names: tuple[str, ...]
    temperature: float


Report = Ready | StateChanged | StepsTaken | SnapshotTaken | ValidationScored | Saved | Failed | RunExtended | FinalNames
