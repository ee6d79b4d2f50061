"""The app's own message: one report from the training run, delivered on the event loop.

The worker thread that reads the training process's pipe posts each report wrapped in a
TrainingReport; Textual then delivers it to the app's on_training_report, where widgets
may be touched safely. The reports themselves are defined once, in training/protocol.py.
"""

from __future__ import annotations

from textual.message import Message

from .training.protocol import Report, SnapshotTaken


class TrainingReport(Message):
    def __init__(self, report: Report, connection: object = None) -> None:
        super().__init__()
        self.report = report
        self.connection = connection  # the training process it came from

    def can_replace(self, message: Message) -> bool:
        # If the app is behind, only the newest snapshot is worth drawing.
        return (isinstance(self.report, SnapshotTaken) and isinstance(message, TrainingReport)
                and isinstance(message.report, SnapshotTaken) and message.connection is self.connection)


class TrainingEnded(Message):
    """The training process has gone (it crashed, or was killed): nothing more will come from it."""


class SnapshotArrived(Message):
    """A new snapshot, forwarded by the app to a screen that draws live from the weights.

    Screens may not import this module (the house's rooms), so they handle it by its
    handler's name, on_snapshot_arrived, and read only .snapshot."""

    def __init__(self, snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
