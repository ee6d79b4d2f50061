"""The Parameters pane: every weight matrix, its live statistics, and a heatmap of one of them.

The table has a row per matrix with its shape, the spread of its values, the size of the
last step's gradient and how far that step moved it relative to its size (update/weight).
The heatmap below draws the chosen matrix cell by cell: its values, the last step's
gradient, the change that step made to each weight, or Adam's two running averages m and v.
Like every pane, it says which step it shows and which name that step trained on.

`c` checks backprop on the weight under the heatmap's cursor: the shown step's loss, nudged
at that one weight, gives its gradient by finite differences, beside the engine's. It runs in
a thread on a copy of the weights; the run never hears of it.
"""

from functools import partial

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Click
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from ...engine.gradient_check import GradientCheck, check_gradient
from ...engine.params import Matrix
from ...engine.stats import MatrixStats
from ...datasets import printable
from ..widgets.heatmap import ColourScale, Heatmap, scale_legend
from ..widgets.plain_table import PlainTable
from ..widgets.tab_skipped import SkippedByTab
from ..training.snapshot import ModelSnapshot
from .hidden_by_zoom import RedrawsWhenShown

# What the heatmap can show, in the order `g` cycles through them: (kind, name, meaning)
KINDS = [
    ("value", "value", "the weights themselves"),
    ("grad", "gradient", "how the loss grows as each weight grows"),
    ("update", "update", "the change the step made to each weight: after − before"),
    ("m", "Adam m", "the running average of gradients: the direction each weight is moving"),
    ("v", "Adam v", "the running average of squared gradients: it sets each weight's step size"),
]
KIND_NAMES = [kind for kind, _, _ in KINDS]
# the kinds as the pane's one-line chooser names them
KIND_WORDS = [("value", "value"), ("grad", "grad"), ("update", "update"), ("m", "Adam m"), ("v", "Adam v")]
STEP_KINDS = {"grad", "update"}  # what the last step alone made: unknown until a step is taken here

# The table shares a half-width pane with the heatmap, so it has about 35 columns: the size
# of the gradient and how far the step moved the matrix (update/weight) come right after the
# name; the spread of the values (std) and the shape are further right, a sideways scroll away.
STAT_COLUMNS = ["|grad|", "update/w", "std", "shape"]


def stat_cells(stats: MatrixStats) -> list[Text]:
    """One table row's numbers, right-aligned so the decimal points line up."""
    rows, cols = stats.shape
    numbers = [
        f"{stats.grad.norm:.3f}",
        f"{stats.update_ratio:.1e}",
        f"{stats.value.std:.3f}",
        f"{rows}×{cols}",
    ]
    return [Text(number, justify="right") for number in numbers]


class KindChoice(Static):
    """The five kinds on one line, the shown one highlighted; a click on a word picks it.

    Plain text rather than radio buttons: buttons need twice the width, and this line never
    takes focus, so space stays the app's pause key.
    """

    class Picked(Message):
        def __init__(self, kind: str) -> None:
            super().__init__()
            self.kind = kind

    def show_kind(self, kind: str) -> None:
        pieces: list[tuple[str, str] | str] = []
        for index, (name, word) in enumerate(KIND_WORDS):
            if index:
                pieces.append(" ")
            pieces.append((word, "reverse bold" if name == kind else ""))
        self.update(Text.assemble(*pieces))

    def on_click(self, event: Click) -> None:
        x = 0
        for name, word in KIND_WORDS:
            if x <= event.x < x + len(word):
                self.post_message(self.Picked(name))
                return
            x += len(word) + 1


def update_in_place(static: Static, text: str) -> None:
    """New text for a Static of auto height: the same text costs nothing, and only new text may
    change its height (a layout of the screen), which for these lines happens when the user
    picks something, not at every step."""
    if str(static.content) != text:
        static.update(text)


def step_words(snapshot: ModelSnapshot) -> str:
    """Which step the pane shows: "step 17 · 'kayle'", or that there has been none."""
    if snapshot.trained_on is None:
        return "no step taken yet"
    return f"step {snapshot.step} · {printable(snapshot.trained_on)!r}"


def weights_before_step(snapshot: ModelSnapshot) -> dict[str, Matrix]:
    """The weights the shown step started from: the weights after it minus its update."""
    return {name: [[w - u for w, u in zip(row, change)] for row, change in zip(matrix, snapshot.updates[name])]
            for name, matrix in snapshot.weights.items()}


def no_step_to_check(snapshot: ModelSnapshot) -> str | None:
    """Why the shown snapshot has no step whose loss can be checked; None if it has one."""
    if snapshot.trained_on is None:
        return "no step to check: no step taken yet"
    if not snapshot.step_known:
        return f"no step to check: step {snapshot.step} was taken before the run was loaded, and its gradient was not saved"
    return None


def check_words(check: GradientCheck, step_gradient: float) -> str:
    """The check in one line, "d loss / d mlp_fc1[3][7]: finite differences 1.2345e-03 (h 1e-04) · engine ...",
    and the gradient the step itself used for that weight."""
    return (f"d loss / d {check.name}[{check.row}][{check.col}]: finite differences {check.numerical:.4e} "
            f"(h {check.h:.0e}) · engine {check.engine:.4e} · relative error {check.relative_error:.0e}"
            f" · the step's gradient {step_gradient:.4e}")


def row_labels(name: str, rows: int, snapshot: ModelSnapshot) -> tuple[list[str], str]:
    """Labels for a matrix's rows, and a few words saying what a row is."""
    tokenizer = snapshot.tokenizer
    if name in ("wte", "lm_head"):
        return [printable(tokenizer.symbol(token)) for token in range(rows)], "a row per token"
    if name == "wpe":
        return [str(position) for position in range(rows)], "a row per position"
    return [str(row) for row in range(rows)], "a row per output, a column per input"


class MatrixHeatmap(SkippedByTab, Heatmap):
    """The heatmap, reached by Enter on the table rather than by tab: the pane is one tab stop."""


class ParametersPane(RedrawsWhenShown, Widget):
    """A table of every matrix with live statistics, and a heatmap of the one chosen in it.

    The app calls show_snapshot() with each new snapshot; everything else happens inside.
    """

    BORDER_TITLE = "Parameters"

    BINDINGS = [
        Binding("g", "cycle_kind", "value/grad/update/m/v",
                tooltip="Show the values, the last step's gradient or update, Adam's m or Adam's v"),
        Binding("c", "check_gradient", "Check gradient",
                tooltip="check the gradient of the weight under the heatmap's cursor by finite differences"),
        Binding("escape", "back_to_table", "Back to the table", show=False,
                tooltip="from the heatmap, back to the table (Enter on a row goes to its heatmap)"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        # False until on_mount: a snapshot may come first, and is drawn once the children exist
        self._children_mounted = False
        self.matrix_name = "wte"  # the matrix in the heatmap
        self.kind = "value"  # one of KIND_NAMES
        self._snapshot: ModelSnapshot | None = None
        self._table_step: int | None = None  # the step the table's numbers are from
        self._heatmap_key: tuple | None = None  # (step, matrix, kind) the heatmap shows
        self.gradient_check: GradientCheck | None = None  # the last check finished

    def compose(self) -> ComposeResult:
        yield Static(id="params-heading")
        with Horizontal(id="params-body"):
            with Vertical(id="params-side"):
                yield KindChoice(id="params-kind")
                yield Static(id="params-legend")
                yield Static(id="params-view")
                yield Static(id="params-note")  # why a step's view is all zero, when it is
                yield Static(id="params-meaning")  # shown when zoomed: what the kind and a row are
                # the matrix names stay put when the numbers scroll sideways
                table = PlainTable(id="params-table", cursor_type="row", zebra_stripes=True, fixed_columns=1)
                table.add_column("matrix", key="matrix")
                for column in STAT_COLUMNS:
                    table.add_column(column, key=column)
                yield table
            # half blocks: two rows per character, so all of wte fits a half-width pane at 120×40
            yield MatrixHeatmap(cell_width=2, half_blocks=True, fit_width=True, id="params-heatmap")
        yield Static(id="params-cell", markup=False)
        yield Static(id="params-check", markup=False)  # a gradient check's result, once `c` asks for one

    def on_mount(self) -> None:
        self._children_mounted = True
        self.query_one("#params-kind", KindChoice).show_kind(self.kind)
        self.query_one("#params-check").display = False
        self.watch_zoom()
        self._redraw()

    def redraw_now(self) -> None:
        self._redraw()

    # ----- what the app calls -----

    def show_snapshot(self, snapshot: ModelSnapshot) -> None:
        self._snapshot = snapshot
        self.redraw_unless_hidden()

    def show_matrix(self, name: str) -> None:
        """Draw the matrix called `name` in the heatmap, with its row highlighted in the table."""
        self.matrix_name = name
        self._redraw()
        table = self.query_one("#params-table", DataTable) if self._children_mounted else None
        if table is not None and name in table.rows:  # chosen elsewhere (the X-ray): the table agrees
            table.move_cursor(row=table.get_row_index(name))

    def set_kind(self, kind: str) -> None:
        """Show "value", "grad", "update", "m" or "v" in the heatmap."""
        self.kind = kind
        self.query_one("#params-kind", KindChoice).show_kind(kind)
        self._redraw()

    def action_cycle_kind(self) -> None:
        self.set_kind(KIND_NAMES[(KIND_NAMES.index(self.kind) + 1) % len(KIND_NAMES)])

    # ----- the user choosing -----

    @on(DataTable.RowHighlighted, "#params-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_matrix(event.row_key.value)

    @on(DataTable.RowSelected, "#params-table")
    def _row_selected(self) -> None:
        self.query_one("#params-heatmap", Heatmap).focus()  # Enter: the arrows now move over the matrix

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "check_gradient":
            return self._snapshot is not None
        return True

    def action_check_gradient(self) -> None:
        """The shown step's loss, by finite differences at the weight under the cursor, in a thread."""
        heatmap = self.query_one("#params-heatmap", Heatmap)
        if self._snapshot is None or not heatmap.values:
            return
        s = self._snapshot
        row, column = heatmap.cursor
        problem = no_step_to_check(s)
        if problem:
            self._show_check(problem)
            return
        self._show_check(f"checking d loss / d {self.matrix_name}[{row}][{column}] on step {s.step}'s name "
                         f"{printable(s.trained_on)!r}…")
        self.run_worker(partial(self._check_gradient, s, self.matrix_name, row, column), thread=True, exclusive=True,
                        group="gradient-check", exit_on_error=False)

    def _check_gradient(self, snapshot: ModelSnapshot, name: str, row: int, column: int) -> None:
        """In a worker thread: the loss of the step's name at the weights before the step, nudged."""
        tokens = snapshot.tokenizer.encode_document(snapshot.trained_on)
        check = check_gradient(snapshot.config, weights_before_step(snapshot), tokens, name, row, column)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._gradient_checked, check, snapshot.grads[name][row][column])

    def _gradient_checked(self, check: GradientCheck, step_gradient: float) -> None:
        self.gradient_check = check
        self._show_check(check_words(check, step_gradient))

    def _show_check(self, words: str) -> None:
        line = self.query_one("#params-check", Static)
        line.display = True
        update_in_place(line, words)

    def action_back_to_table(self) -> None:
        if not self.query_one("#params-heatmap", Heatmap).has_focus:
            raise SkipAction()  # the app's Escape (unzoom) goes on
        self.query_one("#params-table", DataTable).focus()

    @on(KindChoice.Picked)
    def _kind_clicked(self, event: KindChoice.Picked) -> None:
        if event.kind != self.kind:
            self.set_kind(event.kind)

    @on(Heatmap.ViewChanged, "#params-heatmap")
    def _view_changed(self, event: Heatmap.ViewChanged) -> None:
        update_in_place(self.query_one("#params-view", Static), event.words)

    @on(Heatmap.CellHighlighted, "#params-heatmap")
    def _cell_highlighted(self, event: Heatmap.CellHighlighted) -> None:
        self._describe_cell()

    # ----- drawing -----

    def _describe_cell(self) -> None:
        """"wte · row 'c' · column 0 · value +0.137453" for the cell under the heatmap's cursor."""
        heatmap = self.query_one("#params-heatmap", Heatmap)
        if not heatmap.values:
            return
        row, column = heatmap.cursor
        name = KINDS[KIND_NAMES.index(self.kind)][1]
        label = heatmap.row_labels[row]
        if not label.isdigit():
            label = repr(label)  # a character: quoted, so a space or a dot stays visible
        self.query_one("#params-cell", Static).update(
            f"{self.matrix_name} · row {label} · column {column} · {name} {heatmap.value_at(row, column):+.6g}",
            layout=False,  # always one line
        )

    def _redraw(self) -> None:
        if self._snapshot is None or not self._children_mounted:
            return
        self._update_table()
        self._update_heatmap()

    def _update_table(self) -> None:
        s = self._snapshot
        if self._table_step == s.step:
            return  # statistics change only when a step is taken
        self._table_step = s.step
        table = self.query_one("#params-table", PlainTable)
        if table.row_count != len(s.stats):
            table.clear()
            for stats in s.stats:
                table.add_row(stats.name, *stat_cells(stats), key=stats.name)
            return
        # an unchanged number (the shape, often the std) leaves its row's drawing kept
        table.update_cells([(stats.name, column, cell)
                            for stats in s.stats for column, cell in zip(STAT_COLUMNS, stat_cells(stats))
                            if table.get_cell(stats.name, column).plain != cell.plain])

    def _update_heatmap(self) -> None:
        s = self._snapshot
        if self.matrix_name not in s.weights:
            self.matrix_name = next(iter(s.weights))
        key = (s.step, self.matrix_name, self.kind)
        if self._heatmap_key == key:
            return
        self._heatmap_key = key
        matrix: Matrix = s.matrix(self.matrix_name, self.kind)
        largest = max(abs(x) for row in matrix for x in row)
        # Adam's v is a mean of squares, never negative; everything else has a sign
        scale = ColourScale.sequential(0.0, largest) if self.kind == "v" else ColourScale.symmetric(largest)
        labels, what_rows_are = row_labels(self.matrix_name, len(matrix), s)
        columns = [str(column) for column in range(len(matrix[0]))]
        self.query_one("#params-heatmap", Heatmap).show(matrix, labels, columns, scale)
        _, kind_name, meaning = KINDS[KIND_NAMES.index(self.kind)]
        rows, cols = len(matrix), len(matrix[0])
        number = "{:+.3g}" if scale.diverging else "{:.3g}"
        if self.kind in STEP_KINDS and s.step and not s.step_known:
            why = f"step {s.step} was taken before the run was loaded; its {kind_name} was not saved"
        elif largest == 0:
            why = "all zero: no step taken yet"
        else:
            why = ""
        note = self.query_one("#params-note", Static)
        update_in_place(note, why)
        note.display = bool(why)  # a layout only when the note comes or goes, which is rare
        heading = Text.assemble(
            (step_words(s), "bold"), " · ",
            (self.matrix_name, "bold"),
            f" {rows}×{cols} · ",
            (kind_name, "bold"),
        )
        update_in_place(self.query_one("#params-meaning", Static), f"{kind_name}: {meaning}; {what_rows_are}")
        # what the kind means and what a row is: on hover, to keep the heading to one line
        self.query_one("#params-heading", Static).tooltip = f"{kind_name}: {meaning}; {what_rows_are}"
        # the legend and the heading are one line each: new text repaints them without a layout
        self.query_one("#params-legend", Static).update(Text.assemble(
            f"{number.format(scale.low)} ", *scale_legend(scale, 16), f" {number.format(scale.high)}",
        ), layout=False)
        self.query_one("#params-heading", Static).update(heading, layout=False)
        self._describe_cell()
