"""A list of one-line rows, each drawn from ready-made segments, cheap to redraw.

The X-ray's map changes every row's numbers on each ←/→, many times a second while
training runs. Rows come in as Rich segments (text and style) and each becomes a Strip
once; a row whose segments did not change keeps its Strip, so a redraw only pays for the
rows that changed. Nothing here asks for a new layout unless the number of rows changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Row = Sequence[Segment]


def as_segments(row: Iterable) -> list[Segment]:
    """A row given as segments or as (text, style) pairs, as segments."""
    return [part if isinstance(part, Segment) else Segment(part[0], part[1]) for part in row]


class StageList(ScrollView, can_focus=True):
    """One-line rows with a highlight: ↑/↓/Home/End move it, Enter or a click selects."""

    BINDINGS = [
        Binding("up", "move(-1)", "Previous row", show=False),
        Binding("down", "move(1)", "Next row", show=False),
        Binding("home", "first", "First row", show=False),
        Binding("end", "last", "Last row", show=False),
        Binding("enter", "select", "Select row", show=False),
    ]

    COMPONENT_CLASSES = {"stage-list--row", "stage-list--cursor"}

    # the same look as Textual's OptionList, which the X-ray used before
    DEFAULT_CSS = """
    StageList {
        height: auto;
        max-height: 100%;
        color: $foreground;
        overflow-x: hidden;
        border: tall $border-blurred;
        padding: 0 1;
        background: $surface;
        & > .stage-list--cursor {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        &:focus {
            border: tall $border;
            background-tint: $foreground 5%;
            & > .stage-list--cursor {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    class RowMessage(Message):
        """Something happened to row `index`."""

        def __init__(self, stage_list: StageList, index: int) -> None:
            super().__init__()
            self.stage_list = stage_list
            self.index = index

        @property
        def control(self) -> StageList:
            return self.stage_list

    class Highlighted(RowMessage):
        """The highlight moved to row `index`."""

    class Selected(RowMessage):
        """Row `index` was chosen with Enter or a click."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: list[list[Segment]] = []
        self._strips: list[Strip] = []
        self._highlighted = 0

    # ----- what the screen uses -----

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def set_rows(self, rows: Iterable[Iterable]) -> None:
        """New rows. The same count updates in place and keeps the highlight; another count starts over at 0."""
        new = [as_segments(row) for row in rows]
        if len(new) != len(self._rows):
            self._rows, self._strips = new, [Strip(row) for row in new]
            self.virtual_size = Size(0, len(new))  # rows are cropped to the width: no sideways scrolling
            self._highlighted = -1
            self.highlighted = 0
            self.refresh()
            return
        for index, row in enumerate(new):
            if row != self._rows[index]:
                self._rows[index], self._strips[index] = row, Strip(row)
                self.refresh_line(index)

    @property
    def highlighted(self) -> int:
        return self._highlighted

    @highlighted.setter
    def highlighted(self, index: int) -> None:
        if not self._rows:
            return
        index = min(len(self._rows) - 1, max(0, index))
        if index == self._highlighted:
            return
        before, self._highlighted = self._highlighted, index
        if before >= 0:
            self.refresh_line(before)
        self.refresh_line(index)
        self.scroll_to_region(Region(0, index, 1, 1), animate=False, force=True)
        self.post_message(self.Highlighted(self, index))

    def row_text(self, index: int) -> str:
        """The plain text of a row (for tests and screen readers of the source)."""
        return "".join(segment.text for segment in self._rows[index])

    def strip_of(self, index: int) -> Strip:
        """The cached Strip of a row, before the highlight and width are applied."""
        return self._strips[index]

    # ----- drawing -----

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        row_style = self.get_visual_style("stage-list--row").rich_style
        if index >= len(self._strips):
            return Strip.blank(width, row_style)
        style = self.get_visual_style("stage-list--row", "stage-list--cursor").rich_style \
            if index == self._highlighted else row_style
        # apply_style and crop_extend keep caches of their own on the Strip
        return self._strips[index].apply_style(style).crop_extend(0, width, style)

    # ----- the user -----

    def action_move(self, delta: int) -> None:
        self.highlighted = self._highlighted + delta

    def action_first(self) -> None:
        self.highlighted = 0

    def action_last(self) -> None:
        self.highlighted = len(self._rows) - 1

    def action_select(self) -> None:
        if self._rows:
            self.post_message(self.Selected(self, self._highlighted))

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = offset.y + self.scroll_offset.y
        if 0 <= index < len(self._rows):
            self.highlighted = index
            self.action_select()
