"""The embedding map: every character's token embedding (a row of wte) seen in two dimensions.

A row of wte is a point in n_embd dimensions. The map projects the points on the two
directions along which they spread out most (their principal components,
engine/projection.py) and draws each character where it lands. Characters the model
treats alike end up near each other. Each axis says what share of the embeddings' total
variance it shows: the rest is in directions the picture cannot show.
"""

from __future__ import annotations

from rich.style import Style
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ...datasets import printable
from ...engine.projection import principal_components
from ..training.snapshot import ModelSnapshot
from ..widgets.scatter import Scatter
from .live_screen import LiveScreen


HELP_LINE = ("Each character is drawn where its row of wte lands on the two directions the rows spread out most; "
             "characters the model treats alike sit close together. ◆ is BOS, the start and end of a name. "
             "The axes' shares of the variance say how much of the picture fits in two dimensions. Escape closes.")


def point_label(text: str) -> str:
    """One cell per point: a character escaped into several (a control character) shows its first."""
    return printable(text)[:1] or "?"


def percent(share: float) -> str:
    return f"{round(share * 100)} %"


class EmbeddingScreen(LiveScreen):
    """The characters' embeddings as a scatter, redrawn from each new snapshot."""

    CSS_PATH = "embedding.tcss"
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, snapshot: ModelSnapshot | None) -> None:
        super().__init__(snapshot)
        self.projection = None

    def compose(self) -> ComposeResult:
        yield Static(id="embedding-heading", markup=False)
        yield Scatter(id="embedding-scatter")
        yield Static(HELP_LINE, id="embedding-help", markup=False)

    def on_mount(self) -> None:
        self.follow_snapshots()

    def _redraw(self) -> None:
        heading = self.query_one("#embedding-heading", Static)
        s = self.snapshot
        if s is None:
            heading.update("Embeddings · no snapshot yet: the map draws once training reports its first weights",
                           layout=False)
            return
        self.projection = principal_components([list(row) for row in s.weights["wte"]], k=2)
        explained = self.projection.explained + [0.0] * (2 - len(self.projection.explained))
        tokenizer = s.tokenizer
        labels = [point_label(tokenizer.symbol(token)) for token in range(s.config.vocab_size)]
        styles = [Style(bold=True, color="magenta") if token == tokenizer.bos else Style(bold=True)
                  for token in range(s.config.vocab_size)]
        self.query_one("#embedding-scatter", Scatter).show(
            self.projection.points, labels, f"PC1 {percent(explained[0])} of variance",
            f"PC2 {percent(explained[1])} of variance", styles)
        heading.update(f"Embeddings · step {s.step} · wte, {s.config.vocab_size} characters × {s.config.n_embd} "
                       f"numbers, on its two principal components ({percent(explained[0] + explained[1])} of the "
                       "variance)", layout=False)
