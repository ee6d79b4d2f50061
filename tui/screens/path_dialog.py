"""A small dialog that asks for a file path: where to save a checkpoint, or which one to open."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from ..widgets.text_box import TextBox


class PathDialog(ModalScreen[str | None]):
    """Returns the path typed (Enter), or None (Escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "Input"  # the app focuses nothing at start; here typing is the point

    def __init__(self, title: str, hint: str, initial: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield TextBox(value=self.initial, placeholder="path/to/run.json", id="path")
            yield Label(self.hint, id="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if path:
            self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
