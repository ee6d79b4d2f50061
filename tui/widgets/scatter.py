"""A scatter plot of labelled points in a terminal: each point is drawn as its own label.

The embedding map uses it for the characters' token embeddings projected on two axes. The
origin is kept in the middle (the points are centred), so a live view does not jump about
as the points drift; the scale follows the farthest point. show() only repaints: the
widget's size comes from its styles, never from what it shows, so an update costs no layout.
"""

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

AXIS = Style(dim=True)


class Scatter(Widget):
    DEFAULT_CSS = "Scatter { height: 1fr; width: 1fr; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.points: list[tuple[float, float]] = []
        self.labels: list[str] = []
        self.styles_of: list[Style] = []
        self.x_label = ""
        self.y_label = ""

    def show(self, points: Sequence[Sequence[float]], labels: Sequence[str], x_label: str, y_label: str,
             styles: Sequence[Style] | None = None) -> None:
        self.points = [(p[0], p[1] if len(p) > 1 else 0.0) for p in points]
        self.labels = list(labels)
        self.styles_of = list(styles) if styles else [Style(bold=True)] * len(self.labels)
        self.x_label, self.y_label = x_label, y_label
        self.refresh()

    def cells(self, width: int, height: int) -> dict[tuple[int, int], int]:
        """Where each point lands: (column, row) → the point's index. A point whose cell is
        taken moves to the nearest free cell on its row, so no label hides another."""
        placed: dict[tuple[int, int], int] = {}
        if width < 3 or height < 3 or not self.points:
            return placed
        reach_x = max(abs(x) for x, _ in self.points) or 1.0
        reach_y = max(abs(y) for _, y in self.points) or 1.0
        half_w, half_h = (width - 1) / 2, (height - 1) / 2
        for index, (x, y) in enumerate(self.points):
            column = round(half_w + x / reach_x * half_w)
            row = round(half_h - y / reach_y * half_h)  # up is positive
            for shift in (0, 1, -1, 2, -2, 3, -3):
                if 0 <= column + shift < width and (column + shift, row) not in placed:
                    placed[(column + shift, row)] = index
                    break
        return placed

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        plot_height = height - 2  # a line for each axis's label
        if width < 3 or plot_height < 3:
            return Text("too small for the map")
        placed = self.cells(width, plot_height)
        mid_x, mid_y = (width - 1) // 2, (plot_height - 1) // 2
        text = Text(no_wrap=True, overflow="crop")
        text.append(f"↑ {self.y_label}"[:width] + "\n", AXIS)
        for row in range(plot_height):
            for column in range(width):
                index = placed.get((column, row))
                if index is not None:
                    text.append(self.labels[index], self.styles_of[index])
                elif row == mid_y and column == mid_x:
                    text.append("┼", AXIS)
                elif row == mid_y:
                    text.append("─" if column % 2 == 0 else " ", AXIS)
                elif column == mid_x:
                    text.append("│", AXIS)
                else:
                    text.append(" ")
            text.append("\n")
        text.append(f"{self.x_label} →".rjust(width)[:width], AXIS)
        return text
