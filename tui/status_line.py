"""The line across the top: what is training, on what, how far along and how fast."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from .training.protocol import State

STATE_STYLES = {
    State.RUNNING: "bold green",
    State.PAUSED: "bold yellow",
    State.DONE: "bold cyan",
    State.ENDED: "bold red",
}


class StepRate:
    """Steps per second over the last few seconds of running.

    The training process stamps each batch of steps with its clock, so the rate is the
    trainer's own pace, not the rate at which batches happen to reach the app.
    """

    WINDOW = 3.0  # seconds

    def __init__(self) -> None:
        self._marks: deque[tuple[float, int]] = deque()

    def add(self, clock: float, step: int) -> None:
        self._marks.append((clock, step))
        while len(self._marks) > 2 and clock - self._marks[0][0] > self.WINDOW:
            self._marks.popleft()

    def reset(self) -> None:
        """Forget the window, so time spent paused never counts."""
        self._marks.clear()

    @property
    def per_second(self) -> float | None:
        if len(self._marks) < 2:
            return None
        (t0, s0), (t1, s1) = self._marks[0], self._marks[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else None


@dataclass
class Progress:
    """Everything the status line shows; the app keeps it up to date."""

    dataset: str
    num_params: int
    engine: str
    total_steps: int
    step: int = 0
    state: State | None = None  # None until the training process has started
    lr: float | None = None
    steps_per_second: float | None = None
    steps_queued: int = 0  # presses of n not yet sent: they go together when the step in flight is back
    pace: float | None = None  # steps per second asked for; None: as fast as the engine goes

    @property
    def eta_seconds(self) -> float | None:
        if self.state is not State.RUNNING or not self.steps_per_second:
            return None
        return (self.total_steps - self.step) / self.steps_per_second


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def status_text(p: Progress, width: int | None = None, lines: int = 1) -> Text:
    """The status line, on one line or two; given a `width`, it is made to fit.

    The label and the model's size never change during a run, while the step, the rate and
    the learning rate do: those are what a glance at the line is for, so they are never cut.
    What gives way first is the engine's name, then the model's size, then the words of the
    rate; last, the data set's label is shortened.
    """
    # from the fullest line to the most compact: (model shown as, rate in words)
    if lines == 2:
        ways = [("full", True), ("full", False)]
    else:
        ways = [("full", True), ("params", True), ("none", True), ("none", False)]
    for model_as, rate_in_words in ways:
        label, model, progress = _parts(p, model_as, rate_in_words)
        # what shares the first line with the label
        beside_label = model if lines == 2 else model + progress
        widest = max(MIN_LABEL + beside_label.cell_len, progress.cell_len if lines == 2 else 0)
        if width is None or widest <= width:
            break
    if lines == 2:
        progress = progress[3:]  # on a line of its own: no bar before it
    if width is not None and label.cell_len + beside_label.cell_len > width:
        label.truncate(max(MIN_LABEL, width - beside_label.cell_len), overflow="ellipsis")
    if lines == 2:
        return Text("\n").join([label + model, progress])
    return label + beside_label


def _parts(p: Progress, model_as: str, rate_in_words: bool) -> tuple[Text, Text, Text]:
    """The label, the model (led by a bar, or empty) and the progress (led by a bar)."""
    bar = (" │ ", "dim")
    state = p.state.value if p.state else "STARTING"
    if p.steps_queued:
        state += f" +{p.steps_queued}"
    unit = " steps/s" if rate_in_words else "/s"
    # Rate and ETA mean something only while running; paused or done they would be stale.
    running = p.state is State.RUNNING
    if running and p.steps_per_second:
        digits = 0 if p.steps_per_second >= 10 else 1
        rate = f"{p.steps_per_second:,.{digits}f}{unit}"
    else:
        rate = f"–{unit}"
    eta = f"ETA {format_duration(p.eta_seconds)}" if p.eta_seconds is not None else "ETA –"
    lr = f"lr {p.lr:.5f}" if p.lr is not None else "lr –"
    rate += " (max)" if p.pace is None else f" (pace {p.pace:g})"  # the pace asked for, beside the pace got
    steps_width = len(str(p.total_steps))
    label = Text.assemble((p.dataset, "bold"))  # bold the label only, not what is added to it
    model = {
        "full": Text.assemble(bar, f"{p.num_params:,} params · {p.engine} engine"),
        "params": Text.assemble(bar, f"{p.num_params:,} params"),
        "none": Text(),
    }[model_as]
    progress = Text.assemble(
        bar,
        ("step ", "dim"),
        (f"{p.step:>{steps_width}}/{p.total_steps}", "bold"),
        bar,
        (state, STATE_STYLES.get(p.state, "bold")),
        bar,
        f"{rate} · {eta} · {lr}",
    )
    return label, model, progress


MIN_LABEL = 8  # cells the data set's label keeps however narrow the line


class StatusLine(Static):
    """One line (two on a narrow terminal), always at the top."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._progress: Progress | None = None

    def show(self, progress: Progress) -> None:
        self._progress = progress
        lines = 2 if self.size.height >= 2 else 1  # app.tcss gives it two on a narrow screen
        # Its height is fixed in app.tcss, so a new text needs a repaint, not a new
        # layout of the whole screen: that is most of what a redraw would cost.
        self.update(status_text(progress, self.content_size.width or None, lines), layout=False)

    def on_resize(self) -> None:
        if self._progress is not None:
            self.show(self._progress)
