"""Panes that another pane's zoom hides skip their redraws until they are shown again.

Snapshots keep coming while a pane is zoomed; the hidden panes only keep the latest one and
draw it once the zoom ends, so the zoomed pane (and the keys) get the event loop.
"""


class RedrawsWhenShown:
    """Mix in before Widget; the pane defines redraw_now() and calls redraw_unless_hidden()."""

    _redraw_waiting = False

    def redraw_now(self) -> None:
        raise NotImplementedError

    @property
    def hidden_by_zoom(self) -> bool:
        if not self.is_attached:
            return False
        maximized = self.screen.maximized
        return maximized is not None and maximized is not self

    def watch_zoom(self) -> None:
        """Called once mounted: redraw what waited when the zoom ends or moves to this pane."""
        self.watch(self.screen, "maximized", self._zoom_changed, init=False)

    def redraw_unless_hidden(self) -> None:
        if self.hidden_by_zoom:
            self._redraw_waiting = True
        else:
            self.redraw_now()

    def _zoom_changed(self, maximized) -> None:
        if self._redraw_waiting and not self.hidden_by_zoom:
            self._redraw_waiting = False
            self.redraw_now()
