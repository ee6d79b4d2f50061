"""The Attention pane: where each position of a word looks, head by head.

For a word, the model reads [BOS] + its characters. At every position, each attention head
spreads a total weight of 1 over that position and the ones before it (never later ones:
the model is causal). Each head gets a grid: row = the position doing the looking (query),
column = the position looked at (key), brightness = how much weight it gives.
"""

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from ...engine.inference import attention_maps
from ..widgets.heatmap import ColourScale, Heatmap, scale_legend
from ..training.snapshot import ModelSnapshot
from ..widgets.text_box import TextBox
from ...datasets import printable

CELL_WIDTH = 2  # two terminal cells look roughly square
HEAD_GAP = 3  # columns between two heads' grids
WEIGHT_SCALE = ColourScale.sequential(0.0, 1.0)  # attention weights are always between 0 and 1


class AttentionPane(Widget):
    """A word box, one attention grid per head for the chosen layer, and the weight under the cursor.

    The app calls show_snapshot() with each new snapshot; everything else happens inside.
    """

    BORDER_TITLE = "Attention"

    BINDINGS = [
        Binding("less_than_sign", "change_layer(-1)", "Prev layer", key_display="<"),
        Binding("greater_than_sign", "change_layer(1)", "Next layer", key_display=">"),
        Binding("escape", "leave_word", "Leave the word box", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        # False until on_mount: a snapshot may come first, and is drawn once the children exist
        self._children_mounted = False
        self.selected_layer = 0
        self.word = ""  # the word drawn: the training document, or what the user typed
        self.tokens: list[int] = []  # [BOS] + the word's ids, cut to the block size
        self.maps: list = []  # maps[layer][head][query][key] for self.tokens
        self._snapshot: ModelSnapshot | None = None
        self._maps_key: tuple | None = None  # (step, word) that self.maps was worked out for
        self._drawn_key: tuple | None = None  # (step, word, following, layer) the grids show
        self._heads: list[Heatmap] = []
        self._cursor_head: int | None = None  # the head whose grid the cursor was last moved in

    def compose(self) -> ComposeResult:
        with Horizontal(id="attention-controls"):
            yield TextBox(placeholder="a word of your own", id="attention-word")
            yield Static(id="attention-info", markup=False)
        yield Static(id="attention-message", markup=False)
        yield Container(id="attention-heads")
        yield Static(id="attention-cell", markup=False)

    def on_mount(self) -> None:
        self._children_mounted = True
        self._redraw()

    # ----- what the app calls -----

    def show_snapshot(self, snapshot: ModelSnapshot) -> None:
        first = self._snapshot is None
        self._snapshot = snapshot
        if first:
            self.refresh_bindings()  # the layer keys appear only if there is more than one layer
        self._redraw()

    @property
    def following_training(self) -> bool:
        """True while the word box is empty: the grids then show the name the last step trained on."""
        return not self._children_mounted or not self.query_one("#attention-word", Input).value

    # ----- keys -----

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "change_layer":
            return self._snapshot is not None and self._snapshot.config.n_layer > 1
        return True

    def action_change_layer(self, delta: int) -> None:
        if self._snapshot is None:
            return
        self.selected_layer = (self.selected_layer + delta) % self._snapshot.config.n_layer
        self._redraw()

    def action_leave_word(self) -> None:
        # Escape hands the keyboard back, so the app's space and n work again
        if not self.query_one("#attention-word", Input).has_focus or not self._heads:
            raise SkipAction()
        self._heads[0].focus()

    @on(Input.Changed, "#attention-word")
    def _word_changed(self) -> None:
        self._redraw()

    # ----- working out and drawing the grids -----

    def _redraw(self) -> None:
        if self._snapshot is None or not self._children_mounted:
            return
        s = self._snapshot
        typed = self.query_one("#attention-word", Input).value
        # the name the last step trained on; before the first step, the one it will train on
        word = typed or s.trained_on or s.next_doc or ""
        unknown = s.tokenizer.unknown_chars(word)
        if unknown:
            shown = " ".join(repr(ch) for ch in unknown)
            self._say(f"not in the vocabulary: {shown} (the model knows only: {printable(''.join(s.tokenizer.chars))})", error=True)
            self.query_one("#attention-heads").display = False
            self._drawn_key = None  # the grids must be drawn again once the word is fixed
            return
        self.query_one("#attention-heads").display = True
        self.selected_layer = min(self.selected_layer, s.config.n_layer - 1)
        drawn_key = (s.step, word, not typed, self.selected_layer)
        if drawn_key == self._drawn_key:
            return  # a snapshot of the same step, or a keystroke that changed nothing visible
        self._drawn_key = drawn_key
        if self._maps_key != (s.step, word):
            self._maps_key = (s.step, word)
            self.word = word
            self.tokens = [s.tokenizer.bos, *s.tokenizer.encode(word)][: s.config.block_size]
            self.maps = attention_maps(s.config, s.weights, self.tokens)
        if len(word) + 1 > s.config.block_size:
            self._say(f"only the first {s.config.block_size - 1} characters fit in the model's context", error=True)
        else:
            legend = Text.assemble("row: position · column: where it looks · 0 ", *scale_legend(WEIGHT_SCALE, 8), " 1")
            self._say(legend)
        self._show_info(following=not typed)
        self._ensure_heads(s.config.n_head)
        labels = [printable(s.tokenizer.symbol(token)) for token in self.tokens]
        for head, heatmap in enumerate(self._heads):
            rows = self.maps[self.selected_layer][head]
            # row q holds weights for keys 0..q; later keys are masked, drawn blank
            grid = [row + [None] * (len(self.tokens) - len(row)) for row in rows]
            heatmap.show(grid, labels, labels, WEIGHT_SCALE)
        self._arrange_heads()
        self._describe_cell()

    def _show_info(self, following: bool) -> None:
        """Which word the grids are for, and after which step: the step every pane shows."""
        s = self._snapshot
        n_layer = s.config.n_layer
        if not following:
            source = f"your word: {self.word!r}" + (f" · step {s.step}" if s.step else "")
        elif s.trained_on is None:
            source = f"no step yet · next: {self.word!r}"  # the name the first step will train on
        else:
            source = f"following step {s.step}: {self.word!r}"
        layer = f" · layer {self.selected_layer} of {n_layer} (< >)" if n_layer > 1 else ""
        self.query_one("#attention-info", Static).update(source + layer)

    def _say(self, text: str | Text, error: bool = False) -> None:
        message = self.query_one("#attention-message", Static)
        message.update(text)
        message.set_class(error, "error")

    def _ensure_heads(self, n_head: int) -> None:
        """One labelled heatmap per head, made when the first snapshot says how many."""
        if len(self._heads) == n_head:
            return
        holder = self.query_one("#attention-heads")
        holder.remove_children()
        self._heads = [Heatmap(CELL_WIDTH, id=f"attention-head-{head}") for head in range(n_head)]
        holder.mount_all(
            Vertical(Label(f"head {head}", classes="attention-head-title"), heatmap, classes="attention-head")
            for head, heatmap in enumerate(self._heads)
        )

    def on_resize(self, event: Resize) -> None:
        self._arrange_heads()

    def _arrange_heads(self) -> None:
        """As many heads side by side as the width allows; the rest wrap to further rows."""
        if not self._heads:
            return
        head_width = max(len("head 0"), self._heads[0].virtual_size.width) + HEAD_GAP
        fits = max(1, (self.content_size.width + HEAD_GAP) // head_width)
        columns = min(len(self._heads), fits)
        holder = self.query_one("#attention-heads")
        if holder.styles.grid_size_columns != columns:  # setting it, even unchanged, costs a layout
            holder.styles.grid_size_columns = columns

    # ----- the cell under the cursor -----

    @on(Heatmap.CellHighlighted)
    def _cell_highlighted(self, event: Heatmap.CellHighlighted) -> None:
        self._cursor_head = self._heads.index(event.heatmap)
        self._describe_cell()

    def _describe_cell(self) -> None:
        """"layer 0 · head 2 · 'a' (position 3) → 'k' (position 1): 0.4312" for the cursor's cell.

        Also called after every redraw, since the word, the layer or the weights may have changed.
        """
        if self._cursor_head is None:
            return
        head = self._cursor_head
        query, key = self._heads[head].cursor
        symbol = self._snapshot.tokenizer.symbol
        where = (
            f"layer {self.selected_layer} · head {head} · {symbol(self.tokens[query])!r} (position {query})"
            f" → {symbol(self.tokens[key])!r} (position {key})"
        )
        if key > query:
            text = f"{where}: masked, a position never sees later ones"
        else:
            text = f"{where}: {self.maps[self.selected_layer][head][query][key]:.4f}"
        self.query_one("#attention-cell", Static).update(text)
