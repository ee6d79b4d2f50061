"""A grid of numbers drawn as coloured cells: the heatmap the attention and parameter panes share.

It uses Textual's line API: render_line() draws one screen row at a time, so only what is on
screen costs anything, and ScrollView scrolls what does not fit. The row labels (left) and the
column labels (top) stay put while the cells scroll, like a spreadsheet's frozen panes.

With half_blocks, one character holds two matrix rows: "▀" in the upper row's colour over a
background in the lower row's colour, so a 64-row matrix needs only 32 lines. With fit_width,
the cells are as wide as the room allows, up to cell_width.

A cell holds a float, or None for "no value here" (the blank upper triangle of an attention
map). A ColourScale turns each float into one of a few dozen precomputed colours. The cursor
never covers a cell's colour: its row and column are marked in the labels instead.
"""

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.color import Color, Gradient
from textual.events import Click, Leave, MouseMove, Resize
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

# How many distinct shades each ramp has. More would not be visible in a terminal cell.
LEVELS = 32

# The stops are colours of the xterm 256-colour cube and grey ramp, so a terminal without
# true colour shows nearly the same ramp. Neither end nor the middle is near black or white,
# so every cell stands out on a dark theme and on a light one.
# Sequential, low → high: slate, teal, green, yellow. Brighter means more.
SEQUENTIAL_STOPS = ["#5f5f87", "#5f87af", "#5faf87", "#afd75f", "#ffff5f"]
# Diverging: negative → blue, zero → mid grey, positive → orange. The hue tells the sign,
# the strength of the colour tells the size.
DIVERGING_STOPS = ["#005fd7", "#5f87d7", "#87afd7", "#a8a8a8", "#d7af87", "#d7875f", "#d75f00"]


def _ramp(stops: list[str]) -> list[Color]:
    return Gradient.from_colors(*stops, quality=LEVELS).colors


SEQUENTIAL_RAMP = _ramp(SEQUENTIAL_STOPS)
DIVERGING_RAMP = _ramp(DIVERGING_STOPS)


@dataclass(frozen=True)
class ColourScale:
    """Which numbers map to the darkest and brightest shade.

    Sequential: low..high runs slate → bright yellow (attention weights, Adam's v).
    Diverging: -limit..+limit runs blue → grey → orange, centred on zero (weights, gradients).
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

UPPER_HALF = "▀"
CURSOR_MARK = "▸"  # in the label gutter, on the cursor's line
COLUMN_MARK = "▾"  # in the header, over the cursor's column


class Heatmap(ScrollView, can_focus=True):
    """Rows × columns of shaded cells with labels, a keyboard cursor and mouse hover."""

    DEFAULT_CSS = """
    Heatmap {
        width: auto;
        height: auto;
        background: $surface;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
    }
    Heatmap > .heatmap--label {
        color: $text-muted;
    }
    Heatmap > .heatmap--label-highlight {
        color: $text-accent;
        text-style: bold underline;
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

    class ViewChanged(Message):
        """Which rows and columns are on screen changed; `words` says which, for a caption."""

        def __init__(self, heatmap: "Heatmap", words: str) -> None:
            super().__init__()
            self.heatmap = heatmap
            self.words = words

        @property
        def control(self) -> "Heatmap":
            return self.heatmap

    def __init__(
        self,
        cell_width: int = 2,
        *,
        half_blocks: bool = False,
        fit_width: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ):
        super().__init__(name=name, id=id, classes=classes)
        self.max_cell_width = cell_width
        self.cell_width = cell_width
        self.rows_per_line = 2 if half_blocks else 1
        self.fit_width = fit_width
        self.values: list[list[float | None]] = []
        self.row_labels: list[str] = []
        self.column_labels: list[str] = []
        self.scale = ColourScale.sequential(0.0, 1.0)
        self.cursor: tuple[int, int] = (0, 0)  # (row, column)
        self._hovering = False
        self._levels: list[list[int | None]] = []  # each cell's shade, worked out once per show()
        self._label_width = 0
        # Drawn lines (label, cells) by line index, -1 for the header. Emptied whenever what they
        # show changes, so scrolling and repainting reuse them instead of rebuilding every cell.
        self._line_cache: dict[int, tuple[Strip, Strip]] = {}
        self._half_styles: dict[tuple, Style] = {}  # (upper level, lower level) → style
        self._half_styles_ramp: list | None = None  # the ramp those styles were made from
        self._columns_of: list | None = None  # the values _column_count was counted for
        self._column_count = 0
        self._background: Style | None = None  # self.rich_style, which is slow to work out
        # component styles by name: every refresh empties Textual's own cache of them
        self._label_and_blank_styles: dict[str, Style] = {}
        # what every drawn line depends on besides its own rows: while it stays the same,
        # show() repaints only the lines whose rows or labels changed
        self._drawn_shape: tuple | None = None
        self._view_words = ""

    # ----- data in -----

    def show(
        self,
        values: list[list[float | None]],
        row_labels: list[str],
        column_labels: list[str],
        scale: ColourScale,
    ) -> None:
        """Draw a new grid. The cursor stays where it was if it still fits."""
        old_levels, old_row_labels, old_column_labels = self._levels, self.row_labels, self.column_labels
        self.values = values
        self.row_labels = row_labels
        self.column_labels = column_labels
        self.scale = scale
        self._levels = [[None if v is None else scale.level(v) for v in row] for row in values]
        # the label, then one column for the cursor mark (or a space)
        self._label_width = max((len(label) for label in row_labels), default=0) + 1
        row, column = self.cursor
        self.cursor = (min(row, max(0, self.row_count - 1)), min(column, max(0, self.column_count - 1)))
        if scale.ramp is not self._half_styles_ramp:
            # the styles are per pair of ramp levels: new values on the same ramp reuse them
            self._half_styles.clear()
            self._half_styles_ramp = scale.ramp
        self._fit()
        shape = self._shape()
        if shape != self._drawn_shape:
            self._redraw()
            self._drawn_shape = shape
            return
        changed = [-1] if old_column_labels != column_labels else []
        for line in range(self.line_count):
            rows = range(line * self.rows_per_line, min(self.row_count, (line + 1) * self.rows_per_line))
            if any(old_levels[row] != self._levels[row] or _label(old_row_labels, row) != _label(row_labels, row)
                   for row in rows):
                changed.append(line)
        self._repaint_lines(changed)

    def _shape(self) -> tuple:
        """Everything besides a line's own rows and labels that decides how the line looks."""
        return (self.row_count, self.column_count, self.cell_width, self.rows_per_line, self._label_width,
                self.scale.ramp, self.cursor, self._show_cursor)

    def _repaint_lines(self, lines: list[int]) -> None:
        """Forget these drawn lines (-1: the header) and repaint those on screen, in one refresh."""
        scroll_y = self.scroll_offset.y
        width, height = self.size
        regions = []
        for line in lines:
            self._line_cache.pop(line, None)
            y = 0 if line == -1 else line + 1 - scroll_y
            if (line == -1 or y > 0) and y < height:
                regions.append(Region(0, y, width, 1))
        if regions:
            self.refresh(*regions)

    @property
    def row_count(self) -> int:
        return len(self.values)

    @property
    def column_count(self) -> int:
        # asked for on every line drawn: worked out once per grid
        if self._columns_of is not self.values:
            self._columns_of = self.values
            self._column_count = max((len(row) for row in self.values), default=0)
        return self._column_count

    @property
    def line_count(self) -> int:
        """Screen lines the cells take: half as many as rows with half blocks."""
        return -(-self.row_count // self.rows_per_line)

    def value_at(self, row: int, column: int) -> float | None:
        cells = self.values[row]
        return cells[column] if column < len(cells) else None

    # ----- fitting the room -----

    def _fit(self) -> None:
        """Pick the cell width for the room we have, and size the scrollable area to match."""
        if self.fit_width and self.column_count and self.size.width:
            room = self.size.width - self._label_width
            if self.line_count + 1 > self.size.height:
                room -= self.styles.scrollbar_size_vertical  # a scrollbar will take a column
            self.cell_width = min(self.max_cell_width, max(1, room // self.column_count))
        self.virtual_size = Size(self._label_width + self.column_count * self.cell_width, 1 + self.line_count)
        self._announce_view()

    def on_resize(self, event: Resize) -> None:
        width = self.cell_width
        self._fit()
        if self.cell_width != width:
            self._redraw()

    def view_words(self) -> str:
        """Which rows and columns are on screen: "rows 0–31 of 64 · all 16 columns"."""
        if not self.values:
            return ""
        scroll_x, scroll_y = self.scroll_offset
        region = self._room()
        lines = max(0, region.height - 1)
        first_row = scroll_y * self.rows_per_line
        last_row = min(self.row_count, (scroll_y + lines) * self.rows_per_line) - 1
        cells_width = max(0, region.width - self._label_width)
        first_column = scroll_x // self.cell_width
        last_column = min(self.column_count, (scroll_x + cells_width) // self.cell_width) - 1
        if first_row == 0 and last_row == self.row_count - 1:
            rows = f"all {self.row_count} rows"
        else:
            rows = f"rows {first_row}–{last_row} of {self.row_count}"
        if first_column == 0 and last_column == self.column_count - 1:
            columns = f"all {self.column_count} columns"
        else:
            columns = f"columns {first_column}–{last_column} of {self.column_count}"
        return f"{rows} · {columns}"

    def _room(self) -> Size:
        """The room left for labels and cells once the scrollbars this grid needs are drawn.
        Worked out from the sizes rather than read from the scrollbars, which are updated later."""
        width, height = self.content_size
        wide = self.virtual_size.width > width
        tall = self.virtual_size.height > height - (self.styles.scrollbar_size_horizontal if wide else 0)
        if tall:
            width -= self.styles.scrollbar_size_vertical
            wide = self.virtual_size.width > width
        if wide:
            height -= self.styles.scrollbar_size_horizontal
        return Size(width, height)

    def _announce_view(self) -> None:
        words = self.view_words()
        if words != self._view_words:
            self._view_words = words
            self.post_message(self.ViewChanged(self, words))

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        self._announce_view()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._announce_view()

    # ----- drawing -----

    @property
    def _show_cursor(self) -> bool:
        return self.has_focus or self._hovering

    def _redraw(self) -> None:
        """Forget the drawn lines and repaint: the data, the cursor or the focus changed."""
        self._line_cache.clear()
        self._drawn_shape = None  # the next show() draws every line
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_cache.clear()  # the theme or a pseudo-class such as :focus changed
        self._half_styles.clear()
        self._label_and_blank_styles.clear()
        self._background = None
        self._drawn_shape = None

    @property
    def _background_style(self) -> Style:
        if self._background is None:
            self._background = self.rich_style
        return self._background

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        background = self._background_style
        line = -1 if y == 0 else y - 1 + scroll_y
        if line >= self.line_count:
            return Strip.blank(width, background)
        if line not in self._line_cache:
            self._line_cache[line] = self._header_strips() if line == -1 else self._line_strips(line)
        label_cell, cells = self._line_cache[line]
        visible = cells.crop(scroll_x, scroll_x + width - self._label_width)
        return Strip.join([label_cell, visible]).adjust_cell_length(width, background)

    def _label_style(self, highlighted: bool) -> Style:
        name = "heatmap--label-highlight" if highlighted and self._show_cursor else "heatmap--label"
        return self._component_style(name)

    def _component_style(self, name: str) -> Style:
        style = self._label_and_blank_styles.get(name)
        if style is None:
            style = self._label_and_blank_styles[name] = self.get_component_rich_style(name)
        return style

    def _header_strips(self) -> tuple[Strip, Strip]:
        """The column labels. A label is written only if a space separates it from the
        previous one, so two-digit numbers read "0 1 2 … 9 10  12  14" rather than "101112".
        Over the cursor's column a mark replaces the labels, so the column shows at any width."""
        corner = Strip([Segment(" " * self._label_width, self._background_style)])
        width = self.column_count * self.cell_width
        text = [" "] * width
        written_to = 0  # the first column of text not yet used
        for column, label in enumerate(self.column_labels):
            start = column * self.cell_width
            if column and start <= written_to:
                continue
            label = label[: max(0, width - start)]
            text[start:start + len(label)] = label
            written_to = start + len(label)
        if not self._show_cursor:
            return corner, Strip([Segment("".join(text), self._label_style(False))])
        start = self.cursor[1] * self.cell_width
        end = start + self.cell_width
        # blank any label the mark would cut in two
        while start > 0 and text[start] != " " and text[start - 1] != " ":
            start -= 1
        while end < width and text[end - 1] != " " and text[end] != " ":
            end += 1
        text[start:end] = " " * (end - start)
        mark_at = self.cursor[1] * self.cell_width + (self.cell_width - 1) // 2
        return corner, Strip([
            Segment("".join(text[:mark_at]), self._label_style(False)),
            Segment(COLUMN_MARK, self._label_style(True)),
            Segment("".join(text[mark_at + 1:]), self._label_style(False)),
        ])

    def _line_strips(self, line: int) -> tuple[Strip, Strip]:
        rows = range(line * self.rows_per_line, min(self.row_count, (line + 1) * self.rows_per_line))
        cursor_row, cursor_column = self.cursor
        on_cursor_line = self._show_cursor and cursor_row in rows
        # the gutter names the line's first row, or the cursor's row when the cursor is on it
        row = cursor_row if on_cursor_line else rows[0]
        label = self.row_labels[row] if row < len(self.row_labels) else ""
        gutter = Strip([
            Segment(label.rjust(self._label_width - 1), self._label_style(on_cursor_line)),
            Segment(CURSOR_MARK if on_cursor_line else " ", self._label_style(on_cursor_line)),
        ])
        if self.rows_per_line == 2:
            return gutter, self._half_block_cells(rows)
        styles = _STYLES[self.scale.diverging]
        blank_style = self._component_style("heatmap--blank")
        segments = []
        for level in self._levels[rows[0]]:
            segments.append(Segment(" " * self.cell_width, blank_style if level is None else styles[level]))
        return gutter, Strip(segments)

    def _half_block_cells(self, rows: range) -> Strip:
        upper = self._levels[rows[0]]
        lower = self._levels[rows[1]] if len(rows) > 1 else []
        segments = []
        for column in range(self.column_count):
            key = (upper[column] if column < len(upper) else None, lower[column] if column < len(lower) else None)
            style = self._half_styles.get(key)
            if style is None:
                style = self._half_styles[key] = self._half_style(*key)
            segments.append(Segment(UPPER_HALF * self.cell_width, style))
        return Strip(segments)

    def _half_style(self, upper: int | None, lower: int | None) -> Style:
        """"▀" drawn in the upper row's colour on the lower row's: no level means no value here."""
        ramp = self.scale.ramp
        background = self._background_style.bgcolor
        return Style(
            color=background if upper is None else ramp[upper].rich_color,
            bgcolor=background if lower is None else ramp[lower].rich_color,
        )

    # ----- the cursor -----

    def move_cursor_to(self, row: int, column: int) -> None:
        if not self.values:
            return
        row = min(max(row, 0), self.row_count - 1)
        column = min(max(column, 0), self.column_count - 1)
        self.cursor = (row, column)
        self._redraw()
        cell = Region(self._label_width + column * self.cell_width, 1 + row // self.rows_per_line, self.cell_width, 1)
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
        """The cell under the mouse. With half blocks a character holds two rows: it is the
        upper one, unless the cursor is already on one of them (then it stays put)."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1 or offset.x < self._label_width:
            return None
        scroll_x, scroll_y = self.scroll_offset
        line = offset.y - 1 + scroll_y
        column = (offset.x - self._label_width + scroll_x) // self.cell_width
        row = line * self.rows_per_line
        if self.cursor[0] // self.rows_per_line == line:
            row = self.cursor[0]
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
        if cell is None:
            return
        row, column = cell
        if self.rows_per_line == 2 and cell == self.cursor and self.has_focus:
            row ^= 1  # a second click on the same character picks its other row
            if row >= self.row_count:
                row = cell[0]
        self.focus()
        self.move_cursor_to(row, column)



def _label(labels: list[str], row: int) -> str:
    return labels[row] if row < len(labels) else ""


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
