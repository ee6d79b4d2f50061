"""The app's own messages: what the training worker posts to the app.

The worker thread turns each report from the training run (training.py) into one of these
and posts it; Textual then delivers it on the app's event loop, where widgets may be
touched safely.
"""

from __future__ import annotations

from textual.message import Message

from microgpt_tui.engine.trainer import StepRecord
from microgpt_tui.tui import training
from microgpt_tui.tui.snapshot import ModelSnapshot


class TrainingReady(Message):
    def __init__(self, info: training.RunInfo) -> None:
        super().__init__()
        self.info = info


class TrainingStateChanged(Message):
    def __init__(self, state: training.State) -> None:
        super().__init__()
        self.state = state


class StepsTaken(Message):
    def __init__(self, records: tuple[StepRecord, ...], clock: float) -> None:
        super().__init__()
        self.records = records
        self.clock = clock


class SnapshotTaken(Message):
    def __init__(self, snapshot: ModelSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        # If the app is behind, only the newest snapshot is worth drawing.
        return isinstance(message, SnapshotTaken)


class ValidationScored(Message):
    def __init__(self, step: int, loss: float, names: int) -> None:
        super().__init__()
        self.step = step
        self.loss = loss
        self.names = names


class CheckpointSaved(Message):
    def __init__(self, path: str, step: int) -> None:
        super().__init__()
        self.path = path
        self.step = step


class TrainingFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def message_for(report: training.Report) -> Message:
    """The app message that carries one report from the training run."""
    match report:
        case training.Ready(info):
            return TrainingReady(info)
        case training.StateChanged(state):
            return TrainingStateChanged(state)
        case training.StepsTaken(records, clock):
            return StepsTaken(records, clock)
        case training.SnapshotTaken(snapshot):
            return SnapshotTaken(snapshot)
        case training.ValidationScored(step, loss, names):
            return ValidationScored(step, loss, names)
        case training.Saved(path, step):
            return CheckpointSaved(path, step)
        case training.Failed(reason):
            return TrainingFailed(reason)
    raise TypeError(f"unknown report {report!r}")
