"""A DataTable that draws its one-line plain-text cells itself, without Rich's layout.

DataTable renders every cell through Rich (padding, wrapping, cropping) and forgets every
cell's drawing whenever any cell changes. For a table of statistics that all change at
every step that costs about 0.25 ms a cell, tens of milliseconds a redraw. A cell of one
line of plain text in a fixed-height row is just its text, justified and padded, in one
style: drawn here directly, and kept until its text, style or width change.
"""

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

KEEP_CELLS = 4096  # drawings kept before starting over; a table of 17 rows needs about 200


class PlainTable(DataTable):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._plain_cells: dict[tuple, list[list[Segment]]] = {}

    def _render_cell(self, row_index, column_index, base_style, width, cursor=False, hover=False):
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        row = self.rows.get(row_key)
        cell = self._get_row_renderables(row_index).cells[column_index]
        if row is None or row.height != 1 or not isinstance(cell, Text) or cell.spans or "\n" in cell.plain:
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
