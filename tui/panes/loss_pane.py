"""The loss pane: how wrong the model's next-character guesses are, step by step.

Each step trains on one name, so the per-step loss jumps around with how easy that name
happens to be. Under the per-step bars, the step strip tells one step character by
character: the step the other panes show, or any step picked with ←/→ or a click. The
smoothed curve (a moving average) shows the trend; the validation points score names the
run never trains on. Three lines give the loss a scale: the dashed one is a model that
knows nothing and gives every token the same chance, ln(vocab size); the dotted ones are
models that only count characters (unigram) or which character follows which (bigram),
on the same held-out names as validation (engine/baselines.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Click
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Label, Sparkline, Static

from ...engine.baselines import Baselines
from ...engine.checkpoint import MAX_STEP_HISTORY, StepTrace
from ...engine.trainer import StepRecord
from ..training.session import VALIDATION_EVERY
from ..training.snapshot import ModelSnapshot
from ..widgets.step_strip import StepStrip, StepView
from ..widgets.tab_skipped import SkippedByTab

SMOOTHING = 50  # steps in the moving average
REDRAW_EVERY = 0.2  # seconds: steps arrive hundreds a second; five frames a second read as live
FILL = " ▁▂▃▄▅▆▇█"  # eighths of a cell, for a curve finer than one row
KEEP_TOP_GUESSES = 2000  # the latest steps whose top guesses the strip can show (a few hundred bytes a step)


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
        "loss-curve--baseline",
    }

    AXIS_WIDTH = 6  # "3.30 ┤"

    def __init__(self, history: LossHistory, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = history
        self.total_steps = 1
        self.uniform_loss: float | None = None
        self.baselines: Baselines | None = None  # the counting models' losses on the held-out names
        self.earlier: list[EarlierRun] = []  # each drawn with its run number, under the current run
        self.segment_starts: list[int] = []  # steps where "train more" began a new learning-rate decay
        self._strips: list[Strip] | None = None  # the drawing, until the data or size change

    def value_range(self) -> tuple[float, float]:
        h = self.history
        values = [p.loss for p in h.validation]
        if h.best_smoothed is not None:
            values += [h.best_smoothed[1], h.highest_smoothed]
        values += [loss for _, loss in self.reference_lines()]
        for run in self.earlier:
            if run.smoothed:
                values += [min(run.smoothed), max(run.smoothed)]
        if not values:
            return 0.0, 1.0
        lo = math.floor(min(values) * 10 - 1) / 10  # a little room under the lowest point
        hi = math.ceil(max(values) * 10) / 10
        return lo, max(hi, lo + 0.1)

    def reference_lines(self) -> list[tuple[str, float]]:
        """The horizontal lines that give the loss a scale: (label, loss), highest first."""
        lines = []
        if self.uniform_loss is not None:
            lines.append(("uniform", self.uniform_loss))
        if self.baselines is not None:
            lines += [("unigram", self.baselines.unigram), ("bigram", self.baselines.bigram)]
        return lines

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
        fill, uniform, marker, axis, earlier, baseline = (
            base + self.get_component_rich_style(f"loss-curve--{part}")
            for part in ("fill", "uniform", "validation", "axis", "earlier", "baseline")
        )
        lo, hi = self.value_range()

        def eighths(value: float) -> int:  # height above the bottom, in eighths of a row
            return round((value - lo) / (hi - lo) * rows * 8)

        def row_of(value: float) -> int:  # counted from the top
            return min(rows - 1, max(0, rows - 1 - int((value - lo) / (hi - lo) * rows)))

        levels = [None if v is None else eighths(v) for v in self.column_values(columns)]

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
        # The reference lines: uniform dashed, the counting models dotted, each named at its right end.
        lines: dict[int, tuple[str, Style, str, float]] = {}
        for label, loss in self.reference_lines():
            row = row_of(loss)
            if row in lines:  # two lines in one row: one line, both names
                char, style, names, value = lines[row]
                lines[row] = (char, style, f"{names}·{label}", value)
            else:
                lines[row] = ("╌", uniform, label, loss) if label == "uniform" else ("┈", baseline, label, loss)
        # where the curve's area covers a line, the line is drawn across it in the area's colour
        over_fill = Style(bgcolor=fill.color) if fill.color else Style(reverse=True)

        strips = []
        for r in range(rows):
            line = lines.get(r)
            if line is not None:
                label = f"{line[3]:4.2f}"
            else:
                label = f"{hi:4.2f}" if r == 0 else f"{lo:4.2f}" if r == rows - 1 else ""
            cells = [(f"{label:>4} {'┤' if label else '│'}", axis)]
            below = (rows - 1 - r) * 8  # eighths of the plot under this row
            name = f" {line[2]} " if line is not None else ""
            name_from = columns - len(name)
            for c, level in enumerate(levels):
                filled = level is not None and level >= below + 8
                if (r, c) in markers:
                    cells.append(("◆", marker))
                elif (r, c) in traces and not filled:
                    cells.append((traces[(r, c)], earlier))
                elif line is not None and c >= name_from:
                    cells.append((name[c - name_from], line[1] + over_fill if filled else line[1]))
                elif line is not None and filled:
                    cells.append((line[0], line[1] + over_fill))
                elif level is not None and level > below:
                    cells.append((FILL[min(8, level - below)], fill))
                elif c in segment_columns:
                    cells.append(("┊", axis))
                elif line is not None:
                    cells.append((line[0], line[1]))
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


class StepBars(Sparkline, can_focus=True):
    """The loss of each recent step, one column each; focused, ←/→ pick a step, and a click picks its column."""

    class Clicked(Message):
        def __init__(self, column: int) -> None:
            super().__init__()
            self.column = column

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None:
            self.post_message(self.Clicked(offset.x))


class PaneStepStrip(SkippedByTab, StepStrip):
    """The step strip, reached by ↓ from the bars rather than by tab: the pane is one tab stop."""


class LossPane(Vertical):
    """Loss per step (bars), one step told in full (the step strip), the run's curve, and the numbers."""

    BORDER_TITLE = "Loss"

    BINDINGS = [
        Binding("left", "pick_step(-1)", "Earlier step", show=False),
        Binding("right", "pick_step(1)", "Later step", show=False),
        Binding("end", "follow", "Latest step", show=False),
        Binding("down", "focus_strip", "Into the step's characters", show=False),
        Binding("up", "focus_bars", "Back to the steps", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = LossHistory()
        self.vocab_size: int | None = None
        self.this_run = ""
        self._dirty = False
        self._strip_width: int | None = None  # the bars' width in columns; None: all of the pane
        # What each step trained on, index step - 1: its name and p's, None where the run did not keep them
        self.traces: list[StepTrace | None] = []
        self.top_guesses: dict[int, tuple] = {}  # step -> each position's top guesses, for the latest steps
        self.picked_step: int | None = None  # a step the learner picked; None: follow the latest
        self.snapshot_step: int | None = None  # the step the other panes show, once a snapshot says
        self.symbols: list[str] | None = None  # token id -> its symbol, from the first snapshot
        self._bars_from = 0  # the step before the first bar drawn

    def compose(self) -> ComposeResult:
        yield Label("loss per step, one name each · ←/→ pick a step", classes="caption")
        yield StepBars([], id="per-step")
        yield Static(id="step-marker", markup=False)
        yield PaneStepStrip(id="step-strip")
        yield Label("smoothed loss over the whole run", classes="caption")
        yield LossCurve(self.history, id="curve")
        yield Static(id="loss-numbers")

    def on_mount(self) -> None:
        self.set_interval(REDRAW_EVERY, self._redraw_if_changed)
        self._redraw()

    # ----- what the app calls -----

    def set_run(self, total_steps: int, vocab_size: int) -> None:
        curve = self.query_one(LossCurve)
        curve.total_steps = total_steps
        curve.segment_starts = []
        self.vocab_size = vocab_size
        self.query_one(StepStrip).vocab_size = vocab_size
        curve.uniform_loss = math.log(vocab_size)
        self._dirty = True

    def set_baselines(self, baselines: Baselines | None) -> None:
        """The counting models' losses on the held-out names (the Ready report's), drawn as lines to read the curve against."""
        self.query_one(LossCurve).baselines = baselines
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
            self.traces.append(StepTrace.of(record.doc, record.predictions))
            if record.predictions:
                self.top_guesses[record.step] = tuple(pr.top for pr in record.predictions)
        self._forget_old_steps()
        self._dirty = True

    def show_snapshot(self, snapshot: ModelSnapshot) -> None:
        """The step the other panes show: the strip follows it (rather than the very latest step) and names its tokens."""
        self.snapshot_step = snapshot.step
        tokenizer = snapshot.tokenizer
        self.symbols = [tokenizer.symbol(token) for token in range(tokenizer.vocab_size)]
        self._redraw_steps()

    def set_total_steps(self, total_steps: int) -> None:
        self.query_one(LossCurve).total_steps = total_steps
        self._dirty = True

    def replace_history(self, losses: Iterable[float], validation: Iterable[ValidationPoint] = (),
                        steps: Iterable[StepTrace] = ()) -> None:
        """Start again from a run's saved losses (a resumed or loaded run, or a new one).

        `steps` is the run's step history (Ready.step_history): the names and p's of its
        last steps. Older steps, or all of a run saved before steps kept them, are unknown.
        """
        self.history = LossHistory()
        self.history.validation.extend(validation)
        for loss in losses:
            self.history.add(loss)
        self.query_one(LossCurve).history = self.history
        known = list(steps)[-len(self.history.losses):] if self.history.losses else []
        self.traces = [None] * (len(self.history.losses) - len(known)) + known
        self.top_guesses = {}
        self.picked_step = self.snapshot_step = None
        self._dirty = True

    def add_validation(self, step: int, loss: float, names: int) -> None:
        self.history.validation.append(ValidationPoint(step, loss, names))
        self._dirty = True

    # ----- picking a step -----

    @property
    def latest_step(self) -> int | None:
        """The step the strip shows unless one is picked: the other panes' step, or the last that came."""
        count = len(self.history.losses)
        if not count:
            return None
        return min(count, self.snapshot_step) if self.snapshot_step else count

    @property
    def shown_step(self) -> int | None:
        return self.picked_step or self.latest_step

    def action_pick_step(self, delta: int) -> None:
        shown = self.shown_step
        if shown is None:
            return
        step = max(1, shown + delta)
        self.picked_step = None if step > len(self.history.losses) or step == self.latest_step else step
        self._redraw_steps()

    def action_focus_strip(self) -> None:
        self.query_one(StepStrip).focus()

    def action_focus_bars(self) -> None:
        self.query_one(StepBars).focus()

    def action_follow(self) -> None:
        self.picked_step = None
        self._redraw_steps()

    @on(StepBars.Clicked)
    def _bar_clicked(self, event: StepBars.Clicked) -> None:
        step = self._bars_from + event.column + 1
        if step <= len(self.history.losses):
            self.picked_step = None if step == self.latest_step else step
            self._redraw_steps()

    def step_view(self, step: int) -> StepView:
        """What the strip shows of `step`: its loss, and its name and p's if the run kept them."""
        trace = self.traces[step - 1]
        latest = step == self.latest_step
        if trace is None:
            # a run loaded from a checkpoint saved before steps kept their names, or a step too long ago
            old = len(self.traces) - step >= MAX_STEP_HISTORY
            missing = "name not kept: too long ago" if old else "name not kept: loaded from a checkpoint without it"
            return StepView(step, self.history.losses[step - 1], None, latest=latest, missing=missing)
        return StepView(step, self.history.losses[step - 1], trace.doc, trace.p, self.top_guesses.get(step), latest)

    def _forget_old_steps(self) -> None:
        """Keep the top guesses of the latest steps only, and names and p's as the checkpoint does."""
        while len(self.top_guesses) > KEEP_TOP_GUESSES:
            del self.top_guesses[next(iter(self.top_guesses))]
        old = len(self.traces) - MAX_STEP_HISTORY
        if old > 0 and self.traces[old - 1] is not None:
            for index in range(old - 1, -1, -1):
                if self.traces[index] is None:
                    break
                self.traces[index] = None

    # ----- drawing -----

    def on_resize(self) -> None:
        # the strip shows as many steps as there are columns, known once laid out
        self.call_after_refresh(self._redraw)

    def _redraw_if_changed(self) -> None:
        if self._dirty:
            self._redraw()

    def _redraw(self) -> None:
        self._dirty = False
        self._redraw_steps()
        self.query_one(LossCurve).redraw()
        self.query_one("#loss-numbers", Static).update(self.numbers(), layout=False)  # fixed height: repaint only

    def _redraw_steps(self) -> None:
        """The bars, the marker under the step shown, and the step strip."""
        losses = self.history.losses
        room = self.content_size.width
        shown = self.shown_step
        end = len(losses)
        start = max(0, end - room)
        if shown is not None and shown <= start:  # a picked step older than the bars: move them back to it
            start = max(0, shown - 1 - room // 4)
            end = min(len(losses), start + room)
        self._bars_from = start
        recent = losses[start:end] if room else []
        sparkline = self.query_one("#per-step", StepBars)
        # One column per step: until the bars fill the pane, they grow from the left instead
        # of stretching a few steps into wide blocks.
        width = len(recent) if 0 < len(recent) < room else None
        if width != self._strip_width:  # a new width means a new layout: only when it changes
            self._strip_width = width
            sparkline.styles.width = width if width is not None else "1fr"
        sparkline.data = recent
        marker = ""
        if shown is not None and recent:
            marker = " " * (shown - 1 - start) + "▲" + (" picked" if self.picked_step else "")
        self.query_one("#step-marker", Static).update(marker, layout=False)
        strip = self.query_one(StepStrip)
        strip.show(self.step_view(shown) if shown is not None else None, self.symbols)

    def numbers(self) -> Text:
        """Three lines: this step and the trend; the latest validation against the bigram; the uniform guess."""
        h = self.history
        curve = self.query_one(LossCurve)
        marker = curve.get_component_rich_style("loss-curve--validation")
        baseline = curve.get_component_rich_style("loss-curve--baseline")
        baselines = curve.baselines
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
            held_out = f"{point.names:,} names" if baselines else f"{point.names:,} held-out names"
            validation = Text.assemble(
                ("◆ ", marker), "validation ", (f"{point.loss:.3f}", "bold"), (f" @ {point.step} ({held_out})", "dim"),
            )
        elif baselines:
            validation = Text.assemble(("◆ ", marker), (f"validation: every {VALIDATION_EVERY}+ steps", "dim"))
        else:
            validation = Text.assemble(("◆ ", marker), (f"validation: held-out names, every {VALIDATION_EVERY}+ steps", "dim"))
        if baselines:  # the figure to beat, read beside the validation loss
            validation.append_text(Text.assemble(" · ", ("┈ ", baseline), "bigram ", (f"{baselines.bigram:.3f}", "bold")))
        uniform = Text("")
        if curve.earlier:  # comparing runs: the legend takes this line
            uniform = Text.assemble(("█", curve.get_component_rich_style("loss-curve--fill")), f" {self.this_run}   ",
                                    curve.legend())
        elif self.vocab_size:
            uniform = Text.assemble(
                ("╌ ", "dim"), "uniform guess ", (f"{math.log(self.vocab_size):.3f}", "bold"), (f" = ln {self.vocab_size}", "dim"),
            )
            if baselines:
                uniform.append_text(Text.assemble(" · ", ("┈ ", baseline), "unigram ", (f"{baselines.unigram:.3f}", "bold")))
        for line in (validation, uniform):
            line.truncate(self.content_size.width or 200, overflow="ellipsis")
        return Text("\n").join([trend, validation, uniform])
