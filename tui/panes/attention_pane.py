"""The Attention pane: where each position of a word looks, head by head.

For a word, the model reads [BOS] + its characters. At every position, each attention head
spreads a total weight of 1 over that position and the ones before it (never later ones:
the model is causal). Each head gets a grid: row = the position doing the looking (query),
column = the position looked at (key), brightness = how much weight it gives.

The grids keep one size for a given model and pane size: each is padded to the block size, so
a word of another length only repaints cells, and never costs a layout of the whole screen.
"""

from dataclasses import dataclass

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
from .hidden_by_zoom import RedrawsWhenShown

# The cell shapes to try, largest first, as (rows per line, cell width): both look square, since a
# terminal character is about twice as tall as it is wide. Half blocks give the small one.
CELL_SHAPES = ((1, 2), (2, 1))
HEAD_GAP = 2  # columns between two heads' grids (grid-gutter in attention_pane.tcss)
CHROME_ROWS = 3  # the word box line, the legend line and the cell line around the grids
WEIGHT_SCALE = ColourScale.sequential(0.0, 1.0)  # attention weights are always between 0 and 1
LEGEND = Text.assemble("row looks at column · 0 ", *scale_legend(WEIGHT_SCALE, 8), " 1 · brighter = more")


class HeadGrid(Heatmap, can_focus=False):
    """One head's heatmap. The pane holds the keyboard, so the pane says when the grid shows its
    cursor: while the pane has focus and this is the head the arrows move in."""

    marked = False

    @property
    def _show_cursor(self) -> bool:
        return self.marked or self._hovering


@dataclass(frozen=True)
class Arrangement:
    """How the heads share the pane: `columns` heads across, each grid `width` × `height`
    terminal cells (title not included), cells `cell_width` wide and `rows_per_line` rows to
    a line. `positions` is how many positions of a word every grid shows without scrolling."""

    columns: int
    width: int
    height: int
    cell_width: int
    rows_per_line: int
    positions: int


def head_arrangement(n_head: int, block_size: int, label_width: int, width: int, height: int) -> Arrangement:
    """The arrangement of n_head grids in width × height that shows the most of a full-length
    word's weights (the lower triangle) without scrolling; among those that tie, the larger cells.

    A grid drawn whole is label_width + block_size * cell_width wide, and a line of column
    labels plus block_size / rows_per_line lines tall. A grid given less room is cut, and
    scrolls to follow the cursor.
    """
    best = None
    for rows_per_line, cell_width in CELL_SHAPES:
        lines = 1 + -(-block_size // rows_per_line)
        for columns in range(n_head, 0, -1):
            rows = -(-n_head // columns)
            box_width = (width - (columns - 1) * HEAD_GAP) // columns
            box_height = height // rows - 1  # a line for the head's title
            across = max(0, min(block_size, (box_width - label_width) // cell_width))
            down = max(0, min(block_size, (box_height - 1) * rows_per_line))
            # row q of the triangle has q + 1 weights; those past `across` columns are cut
            weights = sum(min(query + 1, across) for query in range(down))
            if best is None or weights > best[0]:
                grid_width = min(box_width, label_width + block_size * cell_width)
                grid_height = max(1, min(box_height, lines))
                arrangement = Arrangement(columns, grid_width, grid_height, cell_width, rows_per_line, min(across, down))
                best = weights, arrangement
    return best[1]


class AttentionPane(RedrawsWhenShown, Widget, can_focus=True):
    """A word box, one attention grid per head for the chosen layer, and the weight under the cursor.

    The app calls show_snapshot() with each new snapshot; everything else happens inside.
    The pane is one tab stop (its word box is skipped by tab): the arrows move the cursor over the grids,
    from one head to the next at the edges.
    """

    BORDER_TITLE = "Attention"

    BINDINGS = [
        Binding("less_than_sign", "change_layer(-1)", "Prev layer", key_display="<"),
        Binding("greater_than_sign", "change_layer(1)", "Next layer", key_display=">"),
        Binding("escape", "leave_word", "Leave the word box", show=False),
        Binding("up", "move_cursor(-1, 0)", "Cell up", show=False),
        Binding("down", "move_cursor(1, 0)", "Cell down", show=False),
        Binding("left", "move_cursor(0, -1)", "Cell left", show=False),
        Binding("right", "move_cursor(0, 1)", "Cell right", show=False),
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
        self._heads: list[HeadGrid] = []
        self._cursor_head: int | None = None  # the head whose grid the cursor was last moved in
        self.arrangement: Arrangement | None = None  # how the heads share the pane, for its size

    def compose(self) -> ComposeResult:
        with Horizontal(id="attention-controls"):
            yield TextBox(placeholder="a word of your own", id="attention-word")
            yield Static(id="attention-info", markup=False)
        yield Static(id="attention-message", markup=False)
        yield Container(id="attention-heads")
        yield Static(id="attention-cell", markup=False)

    def on_mount(self) -> None:
        self._children_mounted = True
        self.watch_zoom()
        self._redraw()

    def redraw_now(self) -> None:
        self._redraw()

    # ----- what the app calls -----

    def show_snapshot(self, snapshot: ModelSnapshot) -> None:
        first = self._snapshot is None
        self._snapshot = snapshot
        if first:
            self.refresh_bindings()  # the layer keys appear only if there is more than one layer
        self.redraw_unless_hidden()

    @property
    def following_training(self) -> bool:
        """True while the word box is empty: the grids then show the name the last step trained on."""
        return not self._children_mounted or not self.query_one("#attention-word", Input).value

    # ----- keys -----

    def allow_focus_children(self) -> bool:
        """Tab stops once, on the pane: the word box joins the focus chain only while it has focus
        (a click or Escape's way back still focus it, since focusing checks only the box itself)."""
        focused = self.screen.focused if self.is_attached else None
        return focused is not None and focused is not self and self in focused.ancestors

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
        if not self.query_one("#attention-word", Input).has_focus:
            raise SkipAction()
        self.focus()

    def action_move_cursor(self, rows: int, columns: int) -> None:
        """Move within the word's cells; left and right go on to the next head at the edges."""
        if not self._heads or not self.tokens:
            return
        last = len(self.tokens) - 1
        head = self._cursor_head or 0
        row, column = self._heads[head].cursor
        row, column = min(max(row + rows, 0), last), column + columns
        if column < 0 and head > 0:
            head, column = head - 1, last
        elif column > last and head < len(self._heads) - 1:
            head, column = head + 1, 0
        self._cursor_head = head
        self._mark_cursor()
        self._heads[head].move_cursor_to(row, min(max(column, 0), last))

    def _mark_cursor(self) -> None:
        """Only the head the arrows move in shows its cursor, and only while the pane has focus."""
        for index, grid in enumerate(self._heads):
            marked = self.has_focus and index == self._cursor_head
            if grid.marked != marked:
                grid.marked = marked
                grid.move_cursor_to(*grid.cursor)  # repaint, with or without the cursor

    def on_focus(self) -> None:
        self.action_move_cursor(0, 0)  # show the cursor and say what is under it

    def on_blur(self) -> None:
        self._mark_cursor()

    def on_click(self, event) -> None:
        if isinstance(event.widget, Heatmap):
            self.focus()

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
            self._say(LEGEND)
        self._show_info(following=not typed)
        self._ensure_heads(s.config.n_head)
        # every grid is block_size square whatever the word, so its size never changes
        size = s.config.block_size
        labels = [printable(s.tokenizer.symbol(token)) for token in self.tokens]
        labels += [""] * (size - len(labels))
        for head, heatmap in enumerate(self._heads):
            rows = self.maps[self.selected_layer][head]
            # row q holds weights for keys 0..q; later keys are masked, drawn blank
            grid = [row + [None] * (size - len(row)) for row in rows]
            grid += [[None] * size for _ in range(size - len(grid))]
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
        self.query_one("#attention-info", Static).update(source + layer, layout=False)  # always one line

    def _say(self, text: str | Text, error: bool = False) -> None:
        message = self.query_one("#attention-message", Static)
        if message.content != text:
            message.update(text, layout=False)  # always one line
        message.set_class(error, "error")

    def _ensure_heads(self, n_head: int) -> None:
        """One labelled heatmap per head, made when the first snapshot says how many."""
        if len(self._heads) == n_head:
            return
        holder = self.query_one("#attention-heads")
        holder.remove_children()
        self.arrangement = None  # new grids get their size from the next _arrange_heads
        self._heads = [HeadGrid(2, half_blocks=True, id=f"attention-head-{head}") for head in range(n_head)]
        holder.mount_all(
            Vertical(Label(f"head {head}", classes="attention-head-title"), heatmap, classes="attention-head")
            for head, heatmap in enumerate(self._heads)
        )

    def on_resize(self, event: Resize) -> None:
        self._arrange_heads()

    def _arrange_heads(self) -> None:
        """A fixed grid of heads worked out from the pane's size: it changes on resize, never per word."""
        if not self._heads or self._snapshot is None or not self.content_size.width:
            return
        first = self._heads[0]
        label_width = first.virtual_size.width - first.column_count * first.cell_width
        arrangement = head_arrangement(
            len(self._heads), self._snapshot.config.block_size, label_width,
            self.content_size.width, self.content_size.height - CHROME_ROWS,
        )
        if arrangement == self.arrangement:
            return  # setting styles, even unchanged, costs a layout
        self.arrangement = arrangement
        self.query_one("#attention-heads").styles.grid_size_columns = arrangement.columns
        for grid in self._heads:
            grid.styles.width = arrangement.width
            grid.styles.height = arrangement.height
            if (grid.cell_width, grid.rows_per_line) != (arrangement.cell_width, arrangement.rows_per_line):
                grid.cell_width = grid.max_cell_width = arrangement.cell_width
                grid.rows_per_line = arrangement.rows_per_line
                grid.show(grid.values, grid.row_labels, grid.column_labels, grid.scale)

    # ----- the cell under the cursor -----

    @on(Heatmap.CellHighlighted)
    def _cell_highlighted(self, event: Heatmap.CellHighlighted) -> None:
        self._cursor_head = self._heads.index(event.heatmap)
        self._describe_cell()

    def _describe_cell(self) -> None:
        """"layer 0 · head 2 · 'a' at 3 → 'k' at 1: 0.4312 ██" for the cursor's cell: one line, to fit a half-width pane.

        Also called after every redraw, since the word, the layer or the weights may have changed.
        """
        if self._cursor_head is None:
            return
        head = self._cursor_head
        query, key = self._heads[head].cursor
        symbol = self._snapshot.tokenizer.symbol
        cell = self.query_one("#attention-cell", Static)
        if max(query, key) >= len(self.tokens):
            cell.update(f"layer {self.selected_layer} · head {head}: past the end of the word", layout=False)
            return
        where = (
            f"layer {self.selected_layer} · head {head} · {symbol(self.tokens[query])!r} at {query}"
            f" → {symbol(self.tokens[key])!r} at {key}"
        )
        if key > query:
            text = Text(f"{where}: masked, it comes later")
        else:
            weight = self.maps[self.selected_layer][head][query][key]
            # a swatch of the cell's colour: the weight and its shade side by side, whatever the cursor looks like
            text = Text.assemble(f"{where}: {weight:.4f} ", ("██", f"{WEIGHT_SCALE.colour(weight).hex}"))
        cell.update(text, layout=False)
