"""The loss pane: how wrong the model's next-character guesses are, step by step.

Each step trains on one name, so the per-step loss jumps around with how easy that name
happens to be. The smoothed curve (a moving average) shows the trend; the validation
points score names the run never trains on; the dashed line is the loss of a model that
knows nothing and gives every token the same chance: ln(vocab size).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Label, Sparkline, Static

from ...engine.trainer import StepRecord
from ..training.session import VALIDATION_EVERY

SMOOTHING = 50  # steps in the moving average
REDRAW_EVERY = 0.2  # seconds: steps arrive hundreds a second; five frames a second read as live
FILL = " ▁▂▃▄▅▆▇█"  # eighths of a cell, for a curve finer than one row


@dataclass(frozen=True)
class EarlierRun:
    """A finished or replaced run of this session, drawn muted under the current one."""

    number: int
    label: str  # what differs from run 1, e.g. "lr 0.03"
    smoothed: list[float]


@dataclass(frozen=True)
class ValidationPoint:
    step: int
    loss: float
    names: int


class LossHistory:
    """Every step's loss and the running moving average, kept as they arrive."""

    def __init__(self, window: int = SMOOTHING):
        self.window = window
        self.losses: list[float] = []
        self.smoothed: list[float] = []  # smoothed[i]: mean of the last `window` losses up to step i+1
        self.validation: list[ValidationPoint] = []
        self.best_smoothed: tuple[int, float] | None = None  # (step, value) of the lowest smoothed loss
        self.highest_smoothed = -math.inf
        self._window_sum = 0.0

    def add(self, loss: float) -> None:
        self.losses.append(loss)
        self._window_sum += loss
        if len(self.losses) > self.window:
            self._window_sum -= self.losses[-self.window - 1]
        smoothed = self._window_sum / min(len(self.losses), self.window)
        self.smoothed.append(smoothed)
        # kept as the values arrive: a long run has too many to search at every redraw
        if self.best_smoothed is None or smoothed < self.best_smoothed[1]:
            self.best_smoothed = (len(self.smoothed), smoothed)
        self.highest_smoothed = max(self.highest_smoothed, smoothed)


class LossCurve(Widget):
    """The smoothed loss over the whole run, on fixed axes, drawn with block characters.

    The x axis spans every step of the run, so the curve grows left to right as training
    goes. The y axis is labelled in loss units (nats per character).
    """

    COMPONENT_CLASSES = {
        "loss-curve--fill", "loss-curve--uniform", "loss-curve--validation", "loss-curve--axis", "loss-curve--earlier",
    }

    AXIS_WIDTH = 6  # "3.30 ┤"

    def __init__(self, history: LossHistory, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = history
        self.total_steps = 1
        self.uniform_loss: float | None = None
        self.earlier: list[EarlierRun] = []  # each drawn with its run number, under the current run
        self.segment_starts: list[int] = []  # steps where "train more" began a new learning-rate decay
        self._strips: list[Strip] | None = None  # the drawing, until the data or size change

    def value_range(self) -> tuple[float, float]:
        h = self.history
        values = [p.loss for p in h.validation]
        if h.best_smoothed is not None:
            values += [h.best_smoothed[1], h.highest_smoothed]
        if self.uniform_loss is not None:
            values.append(self.uniform_loss)
        for run in self.earlier:
            if run.smoothed:
                values += [min(run.smoothed), max(run.smoothed)]
        if not values:
            return 0.0, 1.0
        lo = math.floor(min(values) * 10 - 1) / 10  # a little room under the lowest point
        hi = math.ceil(max(values) * 10) / 10
        return lo, max(hi, lo + 0.1)

    @property
    def axis_steps(self) -> int:
        """The x axis spans the longest run on the chart."""
        return max([self.total_steps, *(len(run.smoothed) for run in self.earlier)])

    def column_values(self, columns: int, smoothed: list[float] | None = None) -> list[float | None]:
        """The smoothed loss at the end of each column's share of the axis; None if not reached."""
        smoothed = self.history.smoothed if smoothed is None else smoothed
        values: list[float | None] = []
        for column in range(columns):
            last_step = math.ceil((column + 1) * self.axis_steps / columns)
            values.append(smoothed[last_step - 1] if last_step <= len(smoothed) else None)
        return values

    def redraw(self) -> None:
        self._strips = None
        self.refresh()

    def on_resize(self) -> None:
        self._strips = None

    def render_line(self, y: int) -> Strip:
        # Drawn a whole frame at a time with the line API: plain segments, one per run of
        # same-styled cells, are much cheaper to paint ten times a second than rich Text.
        if self._strips is None:
            self._strips = self._draw()
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width, self.rich_style)

    def _draw(self) -> list[Strip]:
        width, height = self.size
        rows = height - 1  # the last line labels the x axis
        columns = width - self.AXIS_WIDTH
        if rows < 2 or columns < 4:
            return []
        base = self.rich_style
        fill, uniform, marker, axis, earlier = (
            base + self.get_component_rich_style(f"loss-curve--{part}")
            for part in ("fill", "uniform", "validation", "axis", "earlier")
        )
        lo, hi = self.value_range()

        def eighths(value: float) -> int:  # height above the bottom, in eighths of a row
            return round((value - lo) / (hi - lo) * rows * 8)

        def row_of(value: float) -> int:  # counted from the top
            return min(rows - 1, max(0, rows - 1 - int((value - lo) / (hi - lo) * rows)))

        levels = [None if v is None else eighths(v) for v in self.column_values(columns)]
        uniform_row = row_of(self.uniform_loss) if self.uniform_loss is not None else None
        def column_of(step: int) -> int:
            return min(columns - 1, max(0, math.ceil(step * columns / self.axis_steps) - 1))

        markers = {(row_of(point.loss), column_of(point.step)) for point in self.history.validation}
        # Earlier runs: each column of each run marked with the run's number, newest on top.
        traces: dict[tuple[int, int], str] = {}
        for run in self.earlier:
            for c, value in enumerate(self.column_values(columns, run.smoothed)):
                if value is not None:
                    traces[(row_of(value), c)] = str(run.number % 10)
        segment_columns = {column_of(step + 1) for step in self.segment_starts}

        strips = []
        for r in range(rows):
            if r == uniform_row:
                label = f"{self.uniform_loss:4.2f}"
            else:
                label = f"{hi:4.2f}" if r == 0 else f"{lo:4.2f}" if r == rows - 1 else ""
            cells = [(f"{label:>4} {'┤' if label else '│'}", axis)]
            below = (rows - 1 - r) * 8  # eighths of the plot under this row
            for c, level in enumerate(levels):
                if (r, c) in markers:
                    cells.append(("◆", marker))
                elif (r, c) in traces and not (level is not None and level >= below + 8):
                    cells.append((traces[(r, c)], earlier))
                elif level is not None and level > below:
                    cells.append((FILL[min(8, level - below)], fill))
                elif c in segment_columns:
                    cells.append(("┊", axis))
                elif r == uniform_row:
                    cells.append(("╌", uniform))
                else:
                    cells.append((" ", base))
            strips.append(_strip(cells, width, base))
        end = f"{self.axis_steps} steps"
        strips.append(_strip([(" " * (self.AXIS_WIDTH - 1) + "0" + end.rjust(columns), axis)], width, base))
        return strips

    def legend(self) -> Text:
        """Which digit draws which earlier run, and what differs in each."""
        style = self.get_component_rich_style("loss-curve--earlier")
        parts = [Text.assemble((str(run.number % 10), style), f" run {run.number}" + (f" · {run.label}" if run.label else ""))
                 for run in self.earlier]
        return Text("   ").join(parts)


def _strip(cells: list[tuple[str, Style]], width: int, base: Style) -> Strip:
    """One line from (text, style) pieces, neighbours with the same style joined."""
    segments: list[Segment] = []
    for text, style in cells:
        if segments and segments[-1].style is style:
            segments[-1] = Segment(segments[-1].text + text, style)
        else:
            segments.append(Segment(text, style))
    return Strip(segments).adjust_cell_length(width, base)


class LossPane(Vertical):
    """Loss per step (sparkline), smoothed over the run (curve), and the numbers."""

    BORDER_TITLE = "Loss"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = LossHistory()
        self.vocab_size: int | None = None
        self.this_run = ""
        self._dirty = False
        self._strip_width: int | None = None  # the strip's width in columns; None: all of the pane

    def compose(self) -> ComposeResult:
        yield Label("loss per step, one name each, newest on the right", classes="caption")
        yield Sparkline([], id="per-step")
        yield Label("smoothed loss over the whole run", classes="caption")
        yield LossCurve(self.history, id="curve")
        yield Static(id="loss-numbers")

    def on_mount(self) -> None:
        self.set_interval(REDRAW_EVERY, self._redraw_if_changed)
        self._redraw()

    def set_run(self, total_steps: int, vocab_size: int) -> None:
        curve = self.query_one(LossCurve)
        curve.total_steps = total_steps
        curve.segment_starts = []
        self.vocab_size = vocab_size
        curve.uniform_loss = math.log(vocab_size)
        self._dirty = True

    def set_earlier_runs(self, runs: list[EarlierRun], this_run: str) -> None:
        """Earlier runs of the session to draw under this one; `this_run` names the current one."""
        curve = self.query_one(LossCurve)
        curve.earlier = list(runs)
        self.this_run = this_run
        self._dirty = True

    def mark_segment(self, step: int) -> None:
        """Training was extended at `step`: a new learning-rate decay starts there."""
        self.query_one(LossCurve).segment_starts.append(step)
        self._dirty = True

    def add_steps(self, records: Iterable[StepRecord]) -> None:
        for record in records:
            self.history.add(record.loss)
        self._dirty = True

    def set_total_steps(self, total_steps: int) -> None:
        self.query_one(LossCurve).total_steps = total_steps
        self._dirty = True

    def replace_history(self, losses: Iterable[float], validation: Iterable[ValidationPoint] = ()) -> None:
        """Start the curve again from a run's saved losses (a resumed or loaded run, or a new one)."""
        self.history = LossHistory()
        self.history.validation.extend(validation)
        for loss in losses:
            self.history.add(loss)
        self.query_one(LossCurve).history = self.history
        self._dirty = True

    def add_validation(self, step: int, loss: float, names: int) -> None:
        self.history.validation.append(ValidationPoint(step, loss, names))
        self._dirty = True

    def on_resize(self) -> None:
        # the strip shows as many steps as there are columns, known once laid out
        self.call_after_refresh(self._redraw)

    def _redraw_if_changed(self) -> None:
        if self._dirty:
            self._redraw()

    def _redraw(self) -> None:
        self._dirty = False
        sparkline = self.query_one("#per-step", Sparkline)
        room = self.content_size.width
        recent = self.history.losses[-room:] if room else []
        # One column per step: until the strip is full, it grows from the left instead
        # of stretching a few steps into wide blocks.
        width = len(recent) if 0 < len(recent) < room else None
        if width != self._strip_width:  # a new width means a new layout: only when it changes
            self._strip_width = width
            sparkline.styles.width = width if width is not None else "1fr"
        sparkline.data = recent
        self.query_one(LossCurve).redraw()
        self.query_one("#loss-numbers", Static).update(self.numbers(), layout=False)  # fixed height: repaint only

    def numbers(self) -> Text:
        """Three lines: this step and the trend; the latest validation; the uniform guess."""
        h = self.history
        marker = self.query_one(LossCurve).get_component_rich_style("loss-curve--validation")
        if h.losses:
            best_step, best = h.best_smoothed
            trend = Text.assemble(
                "now ", (f"{h.losses[-1]:.3f}", "bold"),
                "   smoothed ", (f"{h.smoothed[-1]:.3f}", "bold"), (f" (last {min(len(h.losses), h.window)})", "dim"),
                "   best ", (f"{best:.3f}", "bold"), (f" @ {best_step}", "dim"),
            )
        else:
            trend = Text("no steps yet", "dim")
        if h.validation:
            point = h.validation[-1]
            validation = Text.assemble(
                ("◆ ", marker), "validation ", (f"{point.loss:.3f}", "bold"),
                (f" @ {point.step} ({point.names:,} held-out names)", "dim"),
            )
        else:
            validation = Text.assemble(("◆ ", marker), (f"validation: held-out names, every {VALIDATION_EVERY}+ steps", "dim"))
        uniform = Text("")
        curve = self.query_one(LossCurve)
        if curve.earlier:  # comparing runs: the legend takes this line
            uniform = Text.assemble(("█", curve.get_component_rich_style("loss-curve--fill")), f" {self.this_run}   ",
                                    curve.legend())
            uniform.truncate(self.content_size.width or 200, overflow="ellipsis")
        elif self.vocab_size:
            uniform = Text.assemble(
                ("╌ ", "dim"), "uniform guess ", (f"{math.log(self.vocab_size):.3f}", "bold"), (f" = ln {self.vocab_size}", "dim"),
            )
        return Text("\n").join([trend, validation, uniform])
