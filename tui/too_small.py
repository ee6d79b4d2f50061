"""What the app shows instead of the panes when the terminal is too small for them."""

from __future__ import annotations

from textual.widgets import Static

MIN_WIDTH = 60
MIN_HEIGHT = 20


class TooSmall(Static):
    """Hidden by app.tcss unless the screen is below MIN_WIDTH × MIN_HEIGHT."""

    def show_size(self, width: int, height: int) -> None:
        self.update(
            f"This terminal is {width}×{height}; microgpt-tui needs at least "
            f"{MIN_WIDTH}×{MIN_HEIGHT}.\nMake the window larger. Training carries on meanwhile; "
            "q quits."
        )
