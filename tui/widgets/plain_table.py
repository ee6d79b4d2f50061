"""A DataTable that draws its one-line plain-text cells itself, without Rich's layout.

DataTable renders every cell through Rich (padding, wrapping, cropping) and forgets every
cell's and row's drawing whenever any cell changes. For a table of statistics that all
change at every step that costs about 0.25 ms a cell, tens of milliseconds a redraw. A cell
of one line of plain text in a fixed-height row is just its text, justified and padded, in
one style: drawn here directly, and kept until its text, style or width change. A row's
drawing is kept until one of its own cells changes.

DataTable also works out the table's Rich style and background colours, walking every
ancestor's styles, for each line and row it draws; they cannot change while one frame is
drawn, so here they are worked out once per frame.
"""

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets._data_table import default_cell_formatter

KEEP_CELLS = 4096  # drawings kept before starting over; a table of 17 rows needs about 200


class KeptStyles:
    """A component's styles with their Rich style worked out once (DataTable asks for it per row drawn)."""

    def __init__(self, styles) -> None:
        self._styles = styles
        self.rich_style = styles.rich_style

    def __getattr__(self, name):
        return getattr(self._styles, name)


class PlainTable(DataTable):
    # what cannot change while one frame is drawn: worked out at its start, forgotten at its end
    _frame: dict | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._plain_cells: dict[tuple, list[list[Segment]]] = {}
        self._rows_drawn: dict[tuple, tuple] = {}
        self._cell_updates = 0  # DataTable's updates made by update_cell: the others change the table's shape
        self._row_versions: dict = {}  # row key -> how many times a cell of it changed
        self._kept_styles: dict[tuple, KeptStyles] = {}
        self._formatted: dict[str, Text] = {}  # a string cell as DataTable shows it (markup read once)

    def render_lines(self, crop):
        self._frame = {
            "rich_style": super().rich_style,
            "background_colors": super().background_colors,
            "ordered_columns": super().ordered_columns,
            "size": super().size,
        }
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    @property
    def rich_style(self) -> Style:
        return super().rich_style if self._frame is None else self._frame["rich_style"]

    @property
    def background_colors(self):
        return super().background_colors if self._frame is None else self._frame["background_colors"]

    @property
    def size(self):
        return super().size if self._frame is None else self._frame["size"]

    @property
    def ordered_columns(self):
        return super().ordered_columns if self._frame is None else self._frame["ordered_columns"]

    def get_component_styles(self, *names: str):
        kept = self._kept_styles.get(names)
        if kept is None:
            kept = self._kept_styles[names] = KeptStyles(super().get_component_styles(*names))
        return kept

    _batching = False  # True while update_cells() writes its cells: one repaint for them all

    def update_cells(self, changes) -> None:
        """Each (row key, column key, value) in changes, then one repaint: update_cell repaints per cell."""
        self._batching = True
        try:
            for row_key, column_key, value in changes:
                self.update_cell(row_key, column_key, value)
        finally:
            self._batching = False
        self.refresh()

    def refresh(self, *regions, **kwargs):
        if self._batching:
            return self
        return super().refresh(*regions, **kwargs)

    def update_cell(self, row_key, column_key, value, *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, value, update_width=update_width)
        if update_width:
            return  # the widths may change: counted as a change of shape, so every row is drawn again
        self._cell_updates += 1
        self._row_versions[row_key] = self._row_versions.get(row_key, 0) + 1

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._plain_cells.clear()  # the theme or a pseudo-class changed the styles
        self._rows_drawn.clear()
        self._kept_styles.clear()

    def _render_line_in_row(self, row_key, line_no, base_style, cursor_location, hover_location):
        key = (
            row_key, line_no, base_style, cursor_location, hover_location, self.cursor_type, self.show_cursor,
            self._show_hover_cursor, self._pseudo_class_state, self._row_versions.get(row_key, 0),
            self._update_count - self._cell_updates, self.scroll_x, self.size,
        )
        lines = self._rows_drawn.get(key)
        if lines is None:
            lines = super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
            if len(self._rows_drawn) >= KEEP_CELLS:
                self._rows_drawn.clear()
            self._rows_drawn[key] = lines
        return lines

    def _render_cell(self, row_index, column_index, base_style, width, cursor=False, hover=False):
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        row = self.rows.get(row_key)
        cell = None if row is None or row.height != 1 else self._plain_cell(row_key, column_index)
        if cell is None or cell.spans or "\n" in cell.plain:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        key = (row_index, column_index, cell.plain, str(cell.style), cell.justify, base_style, width, cursor, hover,
               self._show_hover_cursor, self._pseudo_class_state, self.show_cursor)
        lines = self._plain_cells.get(key)
        if lines is None:
            lines = self._draw_plain(row_index, column_index, cell, base_style, width, cursor, hover)
            if len(self._plain_cells) >= KEEP_CELLS:
                self._plain_cells.clear()
            self._plain_cells[key] = lines
        return lines

    def _plain_cell(self, row_key, column_index) -> Text | None:
        """The cell as DataTable would show it in a one-line row, read from the data itself: DataTable
        formats a whole row again after any change to any cell. None if it is not plain text."""
        datum = self._data.get(row_key, {}).get(self._column_locations.get_key(column_index))
        if isinstance(datum, Text):
            return datum or None
        if not isinstance(datum, str):
            return None
        text = self._formatted.get(datum)
        if text is None:
            text = default_cell_formatter(datum, wrap=False, height=1)
            if len(self._formatted) >= KEEP_CELLS:
                self._formatted.clear()
            self._formatted[datum] = text
        return text if isinstance(text, Text) and text else None

    def _draw_plain(self, row_index, column_index, cell: Text, base_style, width, cursor, hover) -> list[list[Segment]]:
        """What DataTable would draw for this cell: padding, the justified text, in the cell's styles."""
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, fixed, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )
        inner = max(0, width - 2 * self.cell_padding)
        text = cell.plain[:inner]
        if cell.justify == "right":
            text = text.rjust(inner)
        elif cell.justify == "center":
            text = text.center(inner)
        else:
            text = text.ljust(inner)
        padding = " " * self.cell_padding
        style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        cell_style = cell.style if isinstance(cell.style, Style) else Style.parse(cell.style) if cell.style else Style()
        return [[
            Segment(padding, style + post_style),
            Segment(text, style + cell_style + post_style),
            Segment(padding, style + post_style),
        ]]
