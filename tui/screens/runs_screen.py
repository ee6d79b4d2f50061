"""The runs of this session side by side: what each changed, how far it got and how well it did."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from ..status_line import format_duration
from ..training.history import RunHistory


def _loss(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


class RunsScreen(ModalScreen[int | None]):
    """Returns the number of the run whose weights the panes should show, or None."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, history: RunHistory) -> None:
        super().__init__()
        self.history = history

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Runs of this session · Enter shows a run's last weights in the panes · Escape closes",
                        id="dialog-title")
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("run", "what differs from run 1", "steps", "loss", "validation", "time")
        for run in self.history.runs:
            current = " (now)" if run is self.history.current else ""
            table.add_row(
                f"{run.number}{current}",
                self.history.label(run) or "–",
                f"{len(run.losses):,}/{run.settings.train.steps:,}",
                _loss(run.final_loss),
                _loss(run.validation_loss),
                format_duration(run.seconds),
                key=str(run.number),
            )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(int(event.row_key.value))

    def action_close(self) -> None:
        self.dismiss(None)
