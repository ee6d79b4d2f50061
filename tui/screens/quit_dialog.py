"""Quitting with steps that no checkpoint holds yet: save them, drop them, or stay."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class QuitDialog(ModalScreen[str]):
    """Returns "save", "discard" or "cancel"."""

    BINDINGS = [
        Binding("s", "choose('save')", "Save and quit"),
        Binding("d", "choose('discard')", "Quit without saving"),
        Binding("escape", "choose('cancel')", "Stay"),
    ]

    def __init__(self, unsaved_steps: int) -> None:
        super().__init__()
        self.unsaved_steps = unsaved_steps

    def compose(self) -> ComposeResult:
        steps = f"{self.unsaved_steps} step{'s' if self.unsaved_steps != 1 else ''}"
        with Vertical(id="dialog"):
            yield Label(f"Quit? {steps} of training are not saved in a checkpoint.", id="dialog-title")
            with Horizontal(id="dialog-buttons"):
                yield Button("Save and quit (s)", id="save", variant="primary")
                yield Button("Quit without saving (d)", id="discard", variant="error")
                yield Button("Stay (Esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
