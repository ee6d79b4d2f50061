"""The Sample pane: ask the model to finish a name, and see what it thinks comes next.

Everything here runs on the latest snapshot's weights with plain floats (engine.sampling),
in the app's process, with the pane's own random generator, so sampling never disturbs the
trainer's random draws. Heads switched off in the attention pane are off here too (the app
says which), and the pane names them wherever their effect shows.
"""

import math
import random
from typing import NamedTuple

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from ...engine.sampling import check_prefix, generate, next_token_probs
from ..widgets.next_char_bars import NextCharBars
from ..training.snapshot import ModelSnapshot
from ..widgets.tab_skipped import SkippedByTab
from ..widgets.temperature_slider import TemperatureSlider
from ..widgets.text_box import TextBox
from ...datasets import printable
from .heads_off import heads_in_model, heads_words
from .hidden_by_zoom import RedrawsWhenShown

COMPLETIONS = 10  # names made when Enter is pressed
FINAL_SAMPLES = 20  # names shown on their own when training is done, unless --num-samples says otherwise
TEMPERATURE_STEP = 0.05  # how far [ and ] move the temperature
DEFAULT_TEMPERATURE = 0.5  # the slider's start, as --temperature's default
NAMES_PER_COLUMN = 10
COLUMN_GAP = 3  # spaces between columns of names


class Completion(NamedTuple):
    text: str
    in_training_data: bool | None  # None when the pane has not been told the training names


class PaneSlider(SkippedByTab, TemperatureSlider):
    """The slider, reached by Escape from the prefix box rather than by tab: the pane is one tab
    stop, and [ and ] move the temperature from anywhere."""


class SamplePane(RedrawsWhenShown, Widget):
    """A prefix box, a temperature slider, next-character bars and a list of completions.

    The app calls show_snapshot() with each new snapshot, change_temperature() for its [ and ]
    keys, set_training_names() once, and show_final_names() with the run's own names when
    training is done.
    """

    BORDER_TITLE = "Sample"

    COMPONENT_CLASSES = {"sample--new", "sample--known"}

    BINDINGS = [
        Binding("escape", "leave_prefix", "Leave the prefix box", show=False),
    ]

    def __init__(self, seed: int | None = None, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        # False until on_mount: a snapshot may come first, and is drawn once the children exist
        self._children_mounted = False
        self.rng = random.Random(seed)  # the pane's own: the trainer's draws stay untouched
        self.completions: list[Completion] = []
        self.next_probs: list[float] = []  # the odds the bars show
        self._slider = PaneSlider(DEFAULT_TEMPERATURE, id="sample-temperature")
        self._snapshot: ModelSnapshot | None = None
        self._training_names: frozenset[str] | None = None
        self._bars_drawn_for: tuple | None = None  # (step, prefix, temperature, heads off): skip redrawing the same bars
        self.heads_off: frozenset[tuple[int, int]] = frozenset()  # (layer, head)s switched off, as the app says

    def compose(self) -> ComposeResult:
        with Horizontal(id="sample-controls"):
            yield TextBox(placeholder="type a prefix", id="sample-prefix")
            yield Label("temperature", id="sample-temperature-label")
            yield self._slider
        yield Static("waiting for the model…", id="sample-message", markup=False)
        with Horizontal(id="sample-body"):
            with Vertical(id="sample-next"):
                yield Label("next character", id="sample-next-title", classes="sample-heading", markup=False)
                yield NextCharBars(id="sample-bars")
            with Vertical(id="sample-results-box"):
                yield Label("completions", id="sample-results-title", classes="sample-heading", markup=False)
                yield Static(f"Enter in the prefix box samples {COMPLETIONS} names.", id="sample-results")

    def on_mount(self) -> None:
        self._children_mounted = True
        self.watch_zoom()
        self._update_bars()  # in case a snapshot came before the pane was on screen

    def redraw_now(self) -> None:
        self._update_bars()

    # ----- what the app calls -----

    @property
    def temperature(self) -> float:
        """0 means greedy (always the likeliest character); 1 samples the model as it is."""
        return self._slider.value

    @temperature.setter
    def temperature(self, value: float) -> None:
        self._slider.value = value  # the slider clamps to 0..2 and rounds to 0.05

    def change_temperature(self, delta: float) -> None:
        self.temperature = self.temperature + delta

    def set_training_names(self, names: frozenset[str]) -> None:
        self._training_names = names

    def show_snapshot(self, snapshot: ModelSnapshot) -> None:
        self._snapshot = snapshot
        self.redraw_unless_hidden()

    def set_heads_off(self, heads_off: frozenset[tuple[int, int]]) -> None:
        """Sample and give the odds with these (layer, head)s switched off."""
        self.heads_off = frozenset(heads_off)
        self._update_bars()

    def _heads_off_words(self) -> str:
        """" · heads off: 0:1, 1:3" while any of the model's heads is off, else nothing."""
        heads = heads_in_model(self.heads_off, self._snapshot.config)
        return f" · heads off: {heads_words(heads)}" if heads else ""

    def show_final_names(self, names: tuple[str, ...], temperature: float) -> None:
        """Training is done: show the names the run made, the ones the headless run prints.

        They come from the trainer's generator, not the pane's: the pane's serves only Enter.
        """
        if not self._children_mounted:
            return
        self.completions = [Completion(name, self._in_training_data(name)) for name in names]
        title = f"training done: {len(names)} names\nat temperature {temperature:.2f}, as the run prints them"
        self.query_one("#sample-results-title", Label).update(title)
        self._show_completions()

    def make_samples(self, prefix: str, count: int = COMPLETIONS, heading: str = "") -> None:
        """Sample `count` names that start with `prefix` and list them."""
        if not self._children_mounted:
            return
        if self._snapshot is None:
            self._say("no weights yet: wait for the first training step", error=True)
            return
        s = self._snapshot
        problem = check_prefix(s.config, s.tokenizer, prefix)
        if problem:
            self._say(problem, error=True)
            return
        names = [generate(s.config, s.weights, s.tokenizer, self.rng, self.temperature, prefix, self.heads_off)
                 for _ in range(count)]
        self.completions = [Completion(name, self._in_training_data(name)) for name in names]
        what = f"{count} completions of {prefix!r}" if prefix else f"{count} names"
        title = f"{heading} {what}\nat temperature {self.temperature:.2f}{self._heads_off_words()}".strip()
        self.query_one("#sample-results-title", Label).update(title)
        self._show_completions()

    # ----- reacting to the user -----

    @on(Input.Changed, "#sample-prefix")
    def _prefix_changed(self) -> None:
        self._update_bars()

    @on(Input.Submitted, "#sample-prefix")
    def _prefix_submitted(self, event: Input.Submitted) -> None:
        self.make_samples(event.value)

    @on(TemperatureSlider.Changed)
    def _temperature_changed(self, event: TemperatureSlider.Changed) -> None:
        event.stop()
        self._update_bars()  # the bars show the odds sampling uses at this temperature

    def action_leave_prefix(self) -> None:
        # Escape hands the keyboard back, so the app's space and n work again
        if not self.query_one("#sample-prefix", Input).has_focus:
            raise SkipAction()
        self._slider.focus()

    # ----- drawing -----

    def _update_bars(self) -> None:
        if self._snapshot is None or not self._children_mounted:
            return
        s = self._snapshot
        prefix = self.query_one("#sample-prefix", Input).value
        drawing = (s.step, prefix, self.temperature, self.heads_off)
        if self._bars_drawn_for == drawing:
            return  # same weights, prefix and temperature: the bars would not change
        self._bars_drawn_for = drawing
        bars = self.query_one("#sample-bars", NextCharBars)
        title = self.query_one("#sample-next-title", Label)
        problem = check_prefix(s.config, s.tokenizer, prefix)
        if problem:
            bars.clear()
            title.update("next character", layout=False)
            self._say(problem, error=True)
            return
        self.next_probs = next_token_probs(s.config, s.weights, s.tokenizer, prefix, self.temperature, self.heads_off)
        bars.show(self.next_probs, s.tokenizer)
        what = f"next character after {prefix!r}" if prefix else "first character of a name"
        heads = self._heads_off_words()
        title.update(f"{what}\nat temperature {self.temperature:.2f}{heads}", layout=False)  # two lines, always
        self._say(f"Enter: {COMPLETIONS} names · Escape: leave the box{heads}")

    def _say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#sample-message", Static)
        if str(message.content) != text:
            message.update(text)  # a layout only when the message changes, not at every step
        message.set_class(error, "error")

    def _in_training_data(self, name: str) -> bool | None:
        return None if self._training_names is None else name in self._training_names

    def on_resize(self) -> None:
        # how many columns of names fit depends on the width, known once layout is done
        self.call_after_refresh(self._show_completions)

    def _show_completions(self) -> None:
        if self.completions:
            self.query_one("#sample-results", Static).update(self._completions_text())

    def _completions_text(self) -> Text:
        """The names in as many columns of NAMES_PER_COLUMN as fit, each marked "new" or "in data"."""
        new_style = self.get_component_rich_style("sample--new")
        known_style = self.get_component_rich_style("sample--known")
        names = [printable(c.text) or "(empty)" for c in self.completions]
        name_width = max(len(name) for name in names)
        entry_width = name_width + len(" in data") + COLUMN_GAP
        width = self.query_one("#sample-results", Static).content_size.width
        columns = max(1, min(math.ceil(len(names) / NAMES_PER_COLUMN), (width + COLUMN_GAP) // entry_width))
        rows = math.ceil(len(names) / columns)
        text = Text()
        for row in range(rows):
            if row:
                text.append("\n")
            for index in range(row, len(names), rows):  # down the first column, then the next
                completion = self.completions[index]
                text.append(names[index].ljust(name_width + 1))
                if completion.in_training_data is True:
                    text.append("in data", known_style)
                elif completion.in_training_data is False:
                    text.append("new".ljust(len("in data")), new_style)
                else:
                    text.append(" " * len("in data"))
                text.append(" " * COLUMN_GAP)
        return text
