"""The Attention pane: where each position of a word looks, head by head.

For a word, the model reads [BOS] + its characters. At every position, each attention head
spreads a total weight of 1 over that position and the ones before it (never later ones:
the model is causal). Each head gets a grid: row = the position doing the looking (query),
column = the position looked at (key), brightness = how much weight it gives.

The grids keep one size for a given model and pane size: each is padded to the block size, so
a word of another length only repaints cells, and never costs a layout of the whole screen.

`o` switches the head under the cursor off for inference (its output becomes zeros) or back on.
The pane only asks (HeadToggled); the app keeps which heads are off and tells every pane. While
heads are off, a line under the word box scores the held-out names with and without them, in a
thread, so the event loop never waits for the few seconds it takes.
"""

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ...engine.inference import attention_maps, held_out_loss
from ..widgets.heatmap import ColourScale, Heatmap, scale_legend
from ..training.snapshot import ModelSnapshot
from ..widgets.text_box import TextBox
from ...datasets import printable
from .heads_off import heads_in_model, heads_words
from .hidden_by_zoom import RedrawsWhenShown

# The cell shapes to try, largest first, as (rows per line, cell width): both look square, since a
# terminal character is about twice as tall as it is wide. Half blocks give the small one.
CELL_SHAPES = ((1, 2), (2, 1))
HEAD_GAP = 2  # columns between two heads' grids (grid-gutter in attention_pane.tcss)
CHROME_ROWS = 3  # the word box line, the legend line and the cell line around the grids (and the held-out line)
WEIGHT_SCALE = ColourScale.sequential(0.0, 1.0)  # attention weights are always between 0 and 1
LEGEND = Text.assemble("row looks at column · 0 ", *scale_legend(WEIGHT_SCALE, 8), " 1 · brighter = more")
PROGRESS_EVERY = 50  # held-out names scored between two progress reports
# While training runs, new weights come five times a second and scoring every held-out
# name takes seconds: scoring the same heads again waits this many times as long as the
# last scoring took, so it uses at most a tenth of a core on any machine (on two cores,
# the training process has the other one to itself).
REST_AFTER_SCORING = 9


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

    class HeadToggled(Message):
        """The user asked to switch head `head` of layer `layer` off, or back on, for inference."""

        def __init__(self, layer: int, head: int) -> None:
            super().__init__()
            self.layer = layer
            self.head = head

    BINDINGS = [
        Binding("o", "toggle_head", "Head on/off",
                tooltip="switch the head under the cursor off for inference (its output becomes zero), or on again"),
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
        self._titles: list[Label] = []  # "head 0" over each grid, kept to skip a query per snapshot
        self._cursor_head: int | None = None  # the head whose grid the cursor was last moved in
        self.arrangement: Arrangement | None = None  # how the heads share the pane, for its size
        self.heads_off: frozenset[tuple[int, int]] = frozenset()  # (layer, head)s switched off, as the app says
        self._held_out: tuple[str, ...] = ()  # the run's held-out names, to score with and without heads_off
        # held-out loss by (step, trained_on, heads switched off); emptied when the names change
        self.held_out_losses: dict[tuple, float] = {}
        self._scoring: Worker | None = None
        self._scoring_for: tuple | None = None  # (step, trained_on, heads_off) the running worker scores
        self._progress: float | None = None  # how far the running worker is, 0 to 1
        self._next_scoring_at = 0.0  # by time.monotonic: when newer weights may be scored for the same heads
        self._rescoring = None  # the timer that scores newer weights once the rest is over

    def compose(self) -> ComposeResult:
        with Horizontal(id="attention-controls"):
            yield TextBox(placeholder="a word of your own", id="attention-word")
            yield Static(id="attention-info", markup=False)
        yield Static(id="attention-message", markup=False)
        yield Static(id="attention-held-out", markup=False)
        yield Container(id="attention-heads")
        yield Static(id="attention-cell", markup=False)

    def on_mount(self) -> None:
        self._children_mounted = True
        self.query_one("#attention-held-out").display = False  # shown while a head is off
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
        self._update_held_out()

    def set_heads_off(self, heads_off: frozenset[tuple[int, int]]) -> None:
        """Draw with these (layer, head)s switched off, and score the held-out names without them."""
        self.heads_off = frozenset(heads_off)
        self._redraw()
        self._update_held_out()

    def set_held_out(self, names: Iterable[str]) -> None:
        """The run's held-out names: the ones the held-out loss line scores."""
        self._held_out = tuple(names)
        self.held_out_losses.clear()
        self._update_held_out()

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
        if action == "toggle_head":
            return self._snapshot is not None
        return True

    def action_toggle_head(self) -> None:
        """The head the cursor is in (the first if none) on the layer shown: the app decides."""
        if self._snapshot is None:
            return
        self.post_message(self.HeadToggled(self.selected_layer, self._cursor_head or 0))

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
        heads_off = heads_in_model(self.heads_off, s.config)
        drawn_key = (s.step, word, not typed, self.selected_layer, heads_off)
        if drawn_key == self._drawn_key:
            return  # a snapshot of the same step, or a keystroke that changed nothing visible
        self._drawn_key = drawn_key
        if self._maps_key != (s.step, word, heads_off):
            self._maps_key = (s.step, word, heads_off)
            self.word = word
            self.tokens = [s.tokenizer.bos, *s.tokenizer.encode(word)][: s.config.block_size]
            # a head switched off still attends: only later layers' maps change
            self.maps = attention_maps(s.config, s.weights, self.tokens, heads_off)
        if len(word) + 1 > s.config.block_size:
            self._say(f"only the first {s.config.block_size - 1} characters fit in the model's context", error=True)
        else:
            self._say(LEGEND)
        self._show_info(following=not typed)
        self._ensure_heads(s.config.n_head)
        self._title_heads(heads_off)
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

    def _title_heads(self, heads_off: frozenset[tuple[int, int]]) -> None:
        """"head 2 · off" over a head switched off on the layer shown."""
        for head, title in enumerate(self._titles):
            words = f"head {head} · off" if (self.selected_layer, head) in heads_off else f"head {head}"
            if str(title.content) != words:
                title.update(words)
            title.set_class((self.selected_layer, head) in heads_off, "off")

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
        self._titles = [Label(f"head {head}", classes="attention-head-title") for head in range(n_head)]
        holder.mount_all(
            Vertical(title, heatmap, classes="attention-head") for title, heatmap in zip(self._titles, self._heads)
        )

    @property
    def _held_out_rows(self) -> int:
        return 1 if self._children_mounted and self.query_one("#attention-held-out").display else 0

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
            self.content_size.width, self.content_size.height - CHROME_ROWS - self._held_out_rows,
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

    # ----- the held-out loss with and without the heads switched off -----

    def _update_held_out(self) -> None:
        """Show what is known for the shown weights, and score what is missing in a thread.

        Switching heads cancels a scoring under way; new weights do not: it would never finish
        while training runs. It finishes, its numbers show with their step, then the newest
        weights are scored.
        """
        if not self._children_mounted:
            return
        line = self.query_one("#attention-held-out", Static)
        s = self._snapshot
        heads_off = heads_in_model(self.heads_off, s.config) if s is not None else frozenset()
        if line.display != bool(heads_off):
            line.display = bool(heads_off)
            self.call_after_refresh(self._arrange_heads)  # the grids gain or lose the line's row
        if not heads_off:
            if self._scoring is not None:
                self._scoring.cancel()
            self._scoring = self._scoring_for = None
            return
        if not self._held_out:
            line.update(f"heads off: {heads_words(heads_off)} · no held-out names to score them on", layout=False)
            return
        key = (s.step, s.trained_on)
        missing = [heads for heads in (frozenset(), heads_off) if (*key, heads) not in self.held_out_losses]
        running = self._scoring is not None and self._scoring.is_running
        if missing and not (running and self._scoring_for[2] == heads_off):
            resting = self._next_scoring_at - time.monotonic()
            if self._scoring_for is not None and self._scoring_for[2] == heads_off and resting > 0:
                if self._rescoring is None:  # only the weights are newer: score them after the rest
                    self._rescoring = self.set_timer(resting, self._rest_over)
                line.update(self._held_out_words(heads_off), layout=False)
                return
            self._scoring_for = (*key, heads_off)
            self._progress = 0.0
            self._scoring = self.run_worker(partial(self._score_held_out, s, tuple(missing), self._held_out),
                                            thread=True, exclusive=True, group="held-out", exit_on_error=False)
        line.update(self._held_out_words(heads_off), layout=False)  # always one line

    def _held_out_words(self, heads_off: frozenset[tuple[int, int]]) -> str:
        """The newest pair of losses known for these heads, and how far the scoring under way is."""
        off = heads_words(heads_off)
        scored = [(step, name) for step, name, heads in self.held_out_losses if heads == heads_off
                  and (step, name, frozenset()) in self.held_out_losses]
        running = self._scoring is not None and self._scoring.is_running and self._progress is not None
        progress = f"{self._progress:.0%}".replace("%", " %")
        if not scored:
            return f"heads off: {off} · scoring held-out names… {progress}" if running else f"heads off: {off}"
        step, name = max(scored, key=lambda key: key[0])
        both = self.held_out_losses[step, name, frozenset()], self.held_out_losses[step, name, heads_off]
        words = f"held-out loss {both[0]:.4f} all on · {both[1]:.4f} with {off} off"  # fits a half-width pane
        s = self._snapshot
        if (step, name) != (s.step, s.trained_on):
            words += f" (step {step}; scoring step {self._scoring_for[0]}… {progress})" if running else f" (step {step})"
        return words

    def _score_held_out(self, snapshot: ModelSnapshot, heads: tuple[frozenset, ...], names: tuple[str, ...]) -> None:
        """In a worker thread: inference.held_out_loss for each set of heads off, reporting progress."""
        worker = get_current_worker()
        started = time.monotonic()
        documents = [snapshot.tokenizer.encode_document(name) for name in names]
        total = len(documents) * len(heads)
        for index, heads_off in enumerate(heads):
            loss = held_out_loss(snapshot.config, snapshot.weights,
                                 self._counted(documents, worker, index * len(documents), total), heads_off)
            if worker.is_cancelled:
                return  # the documents ran out early: the loss is of some of them only
            self.app.call_from_thread(self._held_out_scored, (snapshot.step, snapshot.trained_on, heads_off), loss)
        self.app.call_from_thread(self._scoring_took, time.monotonic() - started)

    def _counted(self, documents: list[list[int]], worker: Worker, done: int, total: int) -> Iterator[list[int]]:
        """The documents one by one, with progress on the line now and then; none more once cancelled."""
        for index, tokens in enumerate(documents):
            if worker.is_cancelled:
                return
            if index % PROGRESS_EVERY == 0 and index:
                self.app.call_from_thread(self._scoring_progress, (done + index) / total)
            yield tokens

    def _scoring_progress(self, share: float) -> None:
        self._progress = share
        if self.heads_off:
            self._show_held_out_line()

    def _rest_over(self) -> None:
        self._rescoring = None
        self._update_held_out()

    def _scoring_took(self, seconds: float) -> None:
        self._next_scoring_at = time.monotonic() + REST_AFTER_SCORING * seconds

    def _held_out_scored(self, key: tuple, loss: float) -> None:
        self.held_out_losses[key] = loss
        self._show_held_out_line()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._scoring and event.state is WorkerState.SUCCESS:
            self._update_held_out()  # newer weights may have come while it scored

    def _show_held_out_line(self) -> None:
        s = self._snapshot
        heads_off = heads_in_model(self.heads_off, s.config)
        if heads_off:
            self.query_one("#attention-held-out", Static).update(self._held_out_words(heads_off), layout=False)
