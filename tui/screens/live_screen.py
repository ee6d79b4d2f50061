"""A screen over the panes that draws from the live weights: the X-ray and the embedding map.

The app forwards each new snapshot (SnapshotArrived, five a second while training runs);
the screen keeps only the newest and draws it on a timer, at most four times a second, so
its own redraws never queue up behind each other.
"""

from __future__ import annotations

from textual.screen import ModalScreen

from ..training.snapshot import ModelSnapshot

REDRAW_EVERY = 0.25  # seconds


class LiveScreen(ModalScreen):
    """Subclasses draw `self.snapshot` in `_redraw()`, and call `follow_snapshots()` when mounted."""

    def __init__(self, snapshot: ModelSnapshot | None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self._pending: ModelSnapshot | None = None

    def follow_snapshots(self) -> None:
        self._redraw()
        self.set_interval(REDRAW_EVERY, self._draw_pending)

    def on_snapshot_arrived(self, message) -> None:
        self._pending = message.snapshot

    def _draw_pending(self) -> None:
        if self._pending is not None:
            self.snapshot, self._pending = self._pending, None
            self._redraw()

    def _redraw(self) -> None:
        raise NotImplementedError

    def action_close(self) -> None:
        self.dismiss(None)
