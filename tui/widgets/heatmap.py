"""A grid of numbers drawn as coloured cells: the heatmap the attention and parameter panes share.

It uses Textual's line API: render_line() draws one screen row at a time, so only what is on
screen costs anything, and ScrollView scrolls what does not fit. The row labels (left) and the
column labels (top) stay put while the cells scroll, like a spreadsheet's frozen panes.

A cell holds a float, or None for "no value here" (the blank upper triangle of an attention
map). A ColourScale turns each float into one of a few dozen precomputed background colours.
"""

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.color import Color, Gradient
from textual.events import Click, Leave, MouseMove
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

# How many distinct shades each ramp has. More would not be visible in a terminal cell.
LEVELS = 32

# 0 → near black, 1 → bright: the brightness alone tells how large a value is.
SEQUENTIAL_STOPS = ["#0b0b1e", "#3b1c6e", "#9c2e7f", "#e8603c", "#fbd45a", "#fcfdbf"]
# Negative → blue, zero → near black, positive → orange: the hue tells the sign and the
# brightness tells the size, which reads well on a dark terminal.
DIVERGING_STOPS = ["#9fdcff", "#3a8fd0", "#173a5e", "#141414", "#5e2a17", "#d0663a", "#ffc49f"]


def _ramp(stops: list[str]) -> list[Color]:
    return Gradient.from_colors(*stops, quality=LEVELS).colors


SEQUENTIAL_RAMP = _ramp(SEQUENTIAL_STOPS)
DIVERGING_RAMP = _ramp(DIVERGING_STOPS)


@dataclass(frozen=True)
class ColourScale:
    """Which numbers map to the darkest and brightest shade.

    Sequential: low..high runs dark → bright (attention weights, Adam's v).
    Diverging: -limit..+limit runs blue → dark → orange, centred on zero (weights, gradients).
    """

    low: float
    high: float
    diverging: bool

    @classmethod
    def sequential(cls, low: float, high: float) -> "ColourScale":
        return cls(low, high, diverging=False)

    @classmethod
    def symmetric(cls, limit: float) -> "ColourScale":
        return cls(-limit, limit, diverging=True)

    @property
    def ramp(self) -> list[Color]:
        return DIVERGING_RAMP if self.diverging else SEQUENTIAL_RAMP

    def level(self, value: float) -> int:
        """The index of value's shade in the ramp, clamped to the ends."""
        span = self.high - self.low
        if span <= 0:  # every value is the same: use the middle (zero for diverging)
            return LEVELS // 2 if self.diverging else 0
        position = (value - self.low) / span
        return min(LEVELS - 1, max(0, round(position * (LEVELS - 1))))

    def colour(self, value: float) -> Color:
        return self.ramp[self.level(value)]


def _cell_styles(ramp: list[Color]) -> list[Style]:
    """One background style per shade, with a text colour that stays readable on it."""
    return [Style(bgcolor=c.rich_color, color=c.get_contrast_text(1.0).rich_color) for c in ramp]


_STYLES = {False: _cell_styles(SEQUENTIAL_RAMP), True: _cell_styles(DIVERGING_RAMP)}


class Heatmap(ScrollView, can_focus=True):
    """Rows × columns of shaded cells with labels, a keyboard cursor and mouse hover."""

    DEFAULT_CSS = """
    Heatmap {
        width: auto;
        height: auto;
        background: $surface;
    }
    Heatmap > .heatmap--label {
        color: $text-muted;
    }
    Heatmap > .heatmap--label-highlight {
        color: $text-accent;
        text-style: bold;
    }
    Heatmap > .heatmap--blank {
        color: $text-disabled;
    }
    """

    COMPONENT_CLASSES = {"heatmap--label", "heatmap--label-highlight", "heatmap--blank"}

    BINDINGS = [
        Binding("up", "move_cursor(-1, 0)", "Cell up", show=False),
        Binding("down", "move_cursor(1, 0)", "Cell down", show=False),
        Binding("left", "move_cursor(0, -1)", "Cell left", show=False),
        Binding("right", "move_cursor(0, 1)", "Cell right", show=False),
    ]

    class CellHighlighted(Message):
        """The cursor (keys or mouse) moved onto a cell. value is None for a blank cell."""

        def __init__(self, heatmap: "Heatmap", row: int, column: int, value: float | None) -> None:
            super().__init__()
            self.heatmap = heatmap
            self.row = row
            self.column = column
            self.value = value

        @property
        def control(self) -> "Heatmap":
            return self.heatmap

    def __init__(self, cell_width: int = 2, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.cell_width = cell_width
        self.values: list[list[float | None]] = []
        self.row_labels: list[str] = []
        self.column_labels: list[str] = []
        self.scale = ColourScale.sequential(0.0, 1.0)
        self.cursor: tuple[int, int] = (0, 0)  # (row, column)
        self._hovering = False
        self._levels: list[list[int | None]] = []  # each cell's shade, worked out once per show()
        self._label_width = 0
        # Drawn rows (label, cells) by row index, -1 for the header. Emptied whenever what they
        # show changes, so scrolling and repainting reuse them instead of rebuilding every cell.
        self._row_cache: dict[int, tuple[Strip, Strip]] = {}
        self._background: Style | None = None  # self.rich_style, which is slow to work out

    # ----- data in -----

    def show(
        self,
        values: list[list[float | None]],
        row_labels: list[str],
        column_labels: list[str],
        scale: ColourScale,
    ) -> None:
        """Draw a new grid. The cursor stays where it was if it still fits."""
        self.values = values
        self.row_labels = row_labels
        self.column_labels = column_labels
        self.scale = scale
        self._levels = [[None if v is None else scale.level(v) for v in row] for row in values]
        self._label_width = max((len(label) for label in row_labels), default=0) + 1
        row, column = self.cursor
        self.cursor = (min(row, max(0, self.row_count - 1)), min(column, max(0, self.column_count - 1)))
        self.virtual_size = Size(self._label_width + self.column_count * self.cell_width, 1 + self.row_count)
        self._redraw()

    @property
    def row_count(self) -> int:
        return len(self.values)

    @property
    def column_count(self) -> int:
        return max((len(row) for row in self.values), default=0)

    def value_at(self, row: int, column: int) -> float | None:
        cells = self.values[row]
        return cells[column] if column < len(cells) else None

    # ----- drawing -----

    @property
    def _show_cursor(self) -> bool:
        return self.has_focus or self._hovering

    def _redraw(self) -> None:
        """Forget the drawn rows and repaint: the data, the cursor or the focus changed."""
        self._row_cache.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._row_cache.clear()  # the theme or a pseudo-class such as :focus changed
        self._background = None

    @property
    def _background_style(self) -> Style:
        if self._background is None:
            self._background = self.rich_style
        return self._background

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        background = self._background_style
        row = -1 if y == 0 else y - 1 + scroll_y
        if row >= self.row_count:
            return Strip.blank(width, background)
        if row not in self._row_cache:
            self._row_cache[row] = self._header_strips() if row == -1 else self._row_strips(row)
        label_cell, cells = self._row_cache[row]
        visible = cells.crop(scroll_x, scroll_x + width - self._label_width)
        return Strip.join([label_cell, visible]).adjust_cell_length(width, background)

    def _label_style(self, highlighted: bool) -> Style:
        name = "heatmap--label-highlight" if highlighted and self._show_cursor else "heatmap--label"
        return self.get_component_rich_style(name)

    def _header_strips(self) -> tuple[Strip, Strip]:
        """The column labels. A label is written only if a space separates it from the
        previous one, so two-digit numbers read "0 1 2 … 9 10  12  14" rather than "101112"."""
        corner = Strip([Segment(" " * self._label_width, self._background_style)])
        segments = []
        written_to = 0  # the first column of text not yet used
        for column, label in enumerate(self.column_labels):
            start = column * self.cell_width
            if column and start <= written_to:
                continue
            if start > written_to:
                segments.append(Segment(" " * (start - written_to), self._background_style))
            segments.append(Segment(label, self._label_style(column == self.cursor[1])))
            written_to = start + len(label)
        return corner, Strip(segments)

    def _row_strips(self, row: int) -> tuple[Strip, Strip]:
        label = self.row_labels[row] if row < len(self.row_labels) else ""
        label_style = self._label_style(row == self.cursor[0])
        label_cell = Strip([Segment(label.rjust(self._label_width - 1) + " ", label_style)])
        styles = _STYLES[self.scale.diverging]
        blank_style = self.get_component_rich_style("heatmap--blank")
        cursor_row, cursor_column = self.cursor
        segments = []
        for column, level in enumerate(self._levels[row]):
            on_cursor = self._show_cursor and row == cursor_row and column == cursor_column
            if level is None:
                text = "··"[: self.cell_width].ljust(self.cell_width) if on_cursor else " " * self.cell_width
                segments.append(Segment(text, blank_style))
            else:
                # the cursor is drawn as brackets in a colour that contrasts with the shade
                text = ("[" + " " * (self.cell_width - 2) + "]") if on_cursor else " " * self.cell_width
                segments.append(Segment(text, styles[level]))
        return label_cell, Strip(segments)

    # ----- the cursor -----

    def move_cursor_to(self, row: int, column: int) -> None:
        if not self.values:
            return
        row = min(max(row, 0), self.row_count - 1)
        column = min(max(column, 0), self.column_count - 1)
        self.cursor = (row, column)
        self._redraw()
        cell = Region(self._label_width + column * self.cell_width, 1 + row, self.cell_width, 1)
        # the frozen labels cover the top row and left columns, so keep the cell clear of them
        self.scroll_to_region(cell, spacing=Spacing(1, 0, 0, self._label_width), animate=False, immediate=True)
        self.post_message(self.CellHighlighted(self, row, column, self.value_at(row, column)))

    def action_move_cursor(self, rows: int, columns: int) -> None:
        row, column = self.cursor
        self.move_cursor_to(row + rows, column + columns)

    def on_focus(self) -> None:
        self.move_cursor_to(*self.cursor)  # say what is under the cursor as soon as we arrive

    def on_blur(self) -> None:
        self._redraw()

    # ----- the mouse -----

    def _cell_at(self, event: MouseMove | Click) -> tuple[int, int] | None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1 or offset.x < self._label_width:
            return None
        scroll_x, scroll_y = self.scroll_offset
        row = offset.y - 1 + scroll_y
        column = (offset.x - self._label_width + scroll_x) // self.cell_width
        if row >= self.row_count or column >= self.column_count:
            return None
        return row, column

    def on_mouse_move(self, event: MouseMove) -> None:
        cell = self._cell_at(event)
        if cell is None:
            return
        if cell != self.cursor:
            self._hovering = True
            self.move_cursor_to(*cell)
        elif not self._hovering:
            self._hovering = True
            self._redraw()

    def on_leave(self, event: Leave) -> None:
        self._hovering = False
        self._redraw()

    def on_click(self, event: Click) -> None:
        cell = self._cell_at(event)
        if cell is not None:
            self.focus()
            self.move_cursor_to(*cell)


def scale_legend(scale: ColourScale, width: int = 16) -> list[tuple[str, Style]]:
    """The ramp as `width` coloured blocks, to put between the lowest and highest value.

    Returned as (text, style) pieces that rich.text.Text.assemble() accepts. The blocks are
    full-block characters rather than coloured spaces, so wrapping a line never drops them.
    """
    ramp = scale.ramp
    pieces = []
    for i in range(width):
        colour = ramp[round(i * (LEVELS - 1) / max(1, width - 1))]
        pieces.append(("█", Style(color=colour.rich_color)))
    return pieces
