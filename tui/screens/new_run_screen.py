"""The "New run" form: the next run's data, model, training and pace, checked before it starts.

It opens with the current run's settings. As the learner edits, it shows what the model
would weigh (its parameter count) and about how long a step and the whole run would take.
A value that cannot work gets one line beside its field and the form stays open; the
checks are RunSettings.validate's, the same ones the command line runs, so a form and a
command line refuse the same things in the same words.

With `branch_step`, the form can also start from the current run's exact state at that
step. A branch keeps the run's weights, so it keeps everything they depend on: the
data (the vocabulary), the model's shape, and the seed (the order of the documents).
Only how it goes on can change: the steps, the learning rate, the engine and the pace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ...datasets import KNOWN_DATASETS, printable
from ...engine.config import ConfigError, TrainConfig
from ...engine.engines import ENGINES
from ..training.settings import RunSettings
from ..widgets.text_box import TextBox

# What a step costs, per parameter. Issue 13 measured the fast engine on this project's
# machines at about 1.6 µs per parameter per step (100,000 parameters: 3 minutes for
# 1000 steps); the scalar engine computes the same numbers about 70 times slower (the
# command line's --engine help). Machines differ by 2-3x, so the caller may pass a rate
# measured on the run in front of it instead.
FAST_SECONDS_PER_PARAM_STEP = 1.6e-6
SLOWDOWN = {"fast": 1.0, "scalar": 70.0}  # each engine's cost next to the fast one's

MAX_PACE = "max"  # what the pace field holds for "as fast as the engine goes"


@dataclass(frozen=True)
class NewRun:
    """What the form returns when the learner starts a run.

    `settings.model.vocab_size` is the current data's when `data` is unchanged, and None
    when the learner named other data: call settings.for_vocabulary() once it is loaded.
    """

    settings: RunSettings
    data: str  # as typed: a known data set's name, or a path to a text file
    pace: float | None  # steps per second; None: as fast as the engine goes
    branch: bool  # carry on from the current run's state at branch_step, rather than start anew

    @property
    def dataset_name(self) -> str | None:
        """The known data set named, or None when `data` is a file."""
        return self.data if self.data in KNOWN_DATASETS else None

    @property
    def data_path(self) -> str | None:
        """The file named (with ~ expanded), or None when `data` is a known data set."""
        return None if self.dataset_name else str(Path(self.data).expanduser())


@dataclass(frozen=True)
class Field:
    name: str  # the TextBox's id, and the RunSettings setting a ConfigError names
    label: str
    hint: str  # shown beside the box while its value is good
    shape: bool = False  # part of what a branch keeps


DATA = Field("data", "Data", f"a text file, one document a line, or: {', '.join(KNOWN_DATASETS)}", shape=True)
MODEL_FIELDS = (
    Field("n_layer", "Layers", "transformer blocks, one after another", shape=True),
    Field("n_embd", "Width", "numbers per character (n_embd)", shape=True),
    Field("n_head", "Heads", "attention heads; must divide the width", shape=True),
    Field("block_size", "Block size", "the longest context in characters, at least 2", shape=True),
)
TRAIN_FIELDS = (
    Field("steps", "Steps", "one document each"),
    Field("learning_rate", "Learning rate", "Adam's step size, decayed linearly to 0"),
    Field("seed", "Seed", "shuffles the documents, draws the first weights", shape=True),
)
ENGINE = Field("engine", "Engine", "scalar: Value autograd, 70× slower, same numbers")
PACE = Field("pace", "Pace", f"steps per second, or {MAX_PACE}")
FIELDS = (DATA, *MODEL_FIELDS, *TRAIN_FIELDS, ENGINE, PACE)
TEXT_FIELDS = tuple(field for field in FIELDS if field is not ENGINE)
KEPT_IN_A_BRANCH = {
    "data": "kept: the weights know this data's characters",
    "seed": "kept: the run's order of documents goes on",
}
SHAPE_KEPT = "kept: the weights have this shape"


class FieldProblem(ValueError):
    """A value the form cannot read; the message is one line, shown beside the field."""


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise FieldProblem(f"takes a whole number, got {text!r}") from None


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise FieldProblem(f"takes a number, got {text!r}") from None


def pace_of(text: str) -> float | None:
    if text.lower() == MAX_PACE:
        return None
    try:
        pace = float(text)
    except ValueError:
        raise FieldProblem(f"takes a number of steps per second, or {MAX_PACE}, got {text!r}") from None
    if not (pace > 0 and math.isfinite(pace)):
        raise FieldProblem(f"must be a number of steps per second above 0, or {MAX_PACE}, got {text!r}")
    return pace


def check_data(text: str) -> None:
    if text in KNOWN_DATASETS:
        return
    known = ", ".join(KNOWN_DATASETS)
    if not text:
        raise FieldProblem(f"give a text file, or a known data set: {known}")
    path = Path(text).expanduser()
    if path.is_dir():
        raise FieldProblem("is a folder; give a text file, one document per line")
    if not path.is_file():
        raise FieldProblem(f"no such file, and no known data set of that name ({known})")


def number_text(value: float | None) -> str:
    """A number as the learner would type it: 50 rather than 50.0, and never rounded."""
    if value is None:
        return MAX_PACE
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def duration_text(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.2g} ms" if seconds >= 0.001 else "under 1 ms"
    if seconds < 90:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class Reading:
    """The form as the learner left it: the run it makes, or what is wrong with it."""

    settings: RunSettings | None  # None while a value cannot be read
    pace: float | None
    problems: dict[str, str]  # field name -> the one line shown beside it
    whole_problem: str = ""  # a problem with the model as a whole (too many parameters)

    @property
    def ok(self) -> bool:
        return self.settings is not None and not self.problems and not self.whole_problem


class NewRunScreen(ModalScreen[NewRun | None]):
    """Returns a NewRun (Enter, or the Start button) or None (Escape)."""

    CSS_PATH = "new_run_screen.tcss"
    AUTO_FOCUS = "TextBox"  # the first box the learner may change
    # The .tcss narrows the boxes on a narrow screen and drops the blank lines on a short one,
    # so that at 80×24 every row fits on one line and the whole form on the screen.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS = [
        Binding("enter", "start", "Start the run"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        settings: RunSettings,
        data: str,
        pace: float | None,
        *,
        vocab_size: int | None = None,
        branch_step: int | None = None,
        branch: bool = False,
        note: str = "",
        seconds_per_step_per_param: float | None = None,
    ) -> None:
        """The form, filled in with the current run's `settings`, `data` and `pace`.

        `vocab_size` is the current data's (default: settings.model.vocab_size), for the
        parameter count. `branch_step` offers to start from the current run at that step
        (ticked at first when `branch`). `note` is a line above the fields ("the loss blew
        up; the learning rate is halved"). `seconds_per_step_per_param` is a rate measured
        on the current run with its engine; without it the estimate uses issue 13's figure.
        """
        super().__init__()
        self.settings = settings
        self.data = data
        self.pace = pace
        self.vocab_size = vocab_size if vocab_size is not None else settings.model.vocab_size
        self.branch_step = branch_step
        self._branch_at_start = branch and branch_step is not None
        self.note = note
        if seconds_per_step_per_param is None:
            self.fast_rate = FAST_SECONDS_PER_PARAM_STEP
        else:
            self.fast_rate = seconds_per_step_per_param / SLOWDOWN.get(settings.engine, 1.0)

    # ---- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="new-run"):
            yield Label("New run", id="new-run-title")
            if self.note:
                yield Label(printable(self.note), id="new-run-note", markup=False)
            if self.branch_step is not None:
                yield Checkbox(f"Start from step {self.branch_step} of the current run",
                               self._branch_at_start, id="branch", compact=True)
                yield Static("with its weights, Adam's moments and random state",
                             id="branch-hint", markup=False)
            yield from self._row(DATA, TextBox(printable(self.data), id="data", compact=True))
            yield Label("Model", classes="new-run-section")
            model = self.settings.model
            for field in MODEL_FIELDS:
                yield from self._row(field, TextBox(str(getattr(model, field.name)), id=field.name, compact=True))
            yield Label("Training", classes="new-run-section")
            train = self.settings.train
            values = {"steps": str(train.steps), "learning_rate": number_text(train.learning_rate), "seed": str(train.seed)}
            for field in TRAIN_FIELDS:
                yield from self._row(field, TextBox(values[field.name], id=field.name, compact=True))
            engines = Select([(name, name) for name in ENGINES], value=self.settings.engine, allow_blank=False,
                             id="engine", compact=True)
            yield from self._row(ENGINE, engines)
            yield from self._row(PACE, TextBox(number_text(self.pace), id="pace", compact=True))
            yield Static(id="new-run-estimate", markup=False)
            yield Static(id="new-run-problem", markup=False)
            with Horizontal(id="new-run-buttons"):
                yield Button("Start (Enter)", id="start", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def _row(self, field: Field, box) -> ComposeResult:
        with Horizontal(classes="new-run-row"):
            yield Label(field.label, classes="new-run-label")
            yield box
            yield Static(field.hint, id=f"{field.name}-message", classes="new-run-message", markup=False)

    def on_mount(self) -> None:
        self._lock_for_branch(self._branch_at_start)
        self._show(self.read())

    # ---- reading and checking the form ---------------------------------------------

    @property
    def branching(self) -> bool:
        return self.branch_step is not None and self.query_one("#branch", Checkbox).value

    def text(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    @property
    def data_changed(self) -> bool:
        return self.text("data") != printable(self.data)

    def read(self) -> Reading:
        """The settings the form holds, checked by RunSettings.validate: the one set of checks."""
        problems: dict[str, str] = {}

        def read_field(name: str, parse):
            try:
                return parse(self.text(name))
            except FieldProblem as problem:
                problems[name] = str(problem)
                return None

        read_field("data", check_data)
        shape = {field.name: read_field(field.name, whole_number) for field in MODEL_FIELDS}
        steps = read_field("steps", whole_number)
        learning_rate = read_field("learning_rate", number)
        seed = read_field("seed", whole_number)
        pace = read_field("pace", pace_of)
        if self.branching and steps is not None and steps <= self.branch_step:
            problems["steps"] = f"must be more than {self.branch_step}, the step the branch starts from, got {steps}"
        if problems:
            return Reading(None, pace, problems)

        vocab_size = None if self.data_changed else self.vocab_size
        model = replace(self.settings.model, vocab_size=vocab_size, **shape)
        now = self.settings.train
        if self.branching:  # the run's own schedule and optimiser settings go on
            train = replace(now, steps=steps, learning_rate=learning_rate)
        else:  # a fresh run: one schedule from step 0
            train = TrainConfig(steps=steps, learning_rate=learning_rate, seed=seed,
                                beta1=now.beta1, beta2=now.beta2, eps=now.eps)
        settings = RunSettings(model, train, self.query_one("#engine", Select).value)
        try:
            settings.validate()
        except ConfigError as err:
            if err.setting in {field.name for field in FIELDS}:
                return Reading(settings, pace, {err.setting: err.problem})
            return Reading(settings, pace, {}, str(err))
        return Reading(settings, pace, {})

    # ---- showing what was read ------------------------------------------------------

    def _show(self, reading: Reading) -> None:
        branching = self.branching
        for field in FIELDS:
            message = self.query_one(f"#{field.name}-message", Static)
            problem = reading.problems.get(field.name)
            if problem:
                message.update(problem)
            elif branching and field.shape:
                message.update(KEPT_IN_A_BRANCH.get(field.name, SHAPE_KEPT))
            elif branching and field.name == "steps":
                message.update(f"in all, counting the {self.branch_step} already taken")
            elif field is DATA and self.data_changed and self.text("data") in KNOWN_DATASETS:
                message.update("a known data set; it is downloaded once if it is not cached yet")
            else:
                message.update(field.hint)
            message.set_class(bool(problem), "-problem")
        self.query_one("#new-run-problem", Static).update(reading.whole_problem)
        self.query_one("#new-run-problem").display = bool(reading.whole_problem)
        self.query_one("#new-run-estimate", Static).update(self._estimate(reading))

    def _estimate(self, reading: Reading) -> str:
        """The model's size and about how long a step and the run take here: two lines."""
        settings = reading.settings
        if settings is None or reading.problems:  # a count for a model that cannot be would mislead
            return "Size and time: shown once every value above is good.\n"
        model = settings.model
        vocab_size = model.vocab_size or self.vocab_size
        if vocab_size is None:
            return "Size and time: they depend on the data, known once it is loaded.\n"
        params = replace(model, vocab_size=vocab_size).num_params
        size = f"{params:,} parameters"
        if model.vocab_size is None:
            size += f" (an estimate: counted with the current data's {vocab_size - 1} characters)"
        step = params * self.fast_rate * SLOWDOWN.get(settings.engine, 1.0)
        steps_to_go = settings.train.steps - (self.branch_step if self.branching else 0)
        paced = reading.pace is not None and 1 / reading.pace > step
        run = steps_to_go * (1 / reading.pace if paced else step)
        how = f"at {number_text(reading.pace)} steps/s" if paced else "at full speed"
        return (f"Model: {size}\n"
                f"Time: about {duration_text(step)} a step here; {steps_to_go:,} steps take about "
                f"{duration_text(run)} {how}")

    def _lock_for_branch(self, branching: bool) -> None:
        """A branch keeps the run's shape, data and seed: put the run's values back and lock them."""
        if branching:
            for name, value in (("data", printable(self.data)), ("seed", str(self.settings.train.seed)),
                                *((field.name, str(getattr(self.settings.model, field.name))) for field in MODEL_FIELDS)):
                self.query_one(f"#{name}", Input).value = value
        for field in FIELDS:
            if field.shape:
                self.query_one(f"#{field.name}").disabled = branching

    # ---- events and keys --------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    def _edited(self, event) -> None:
        event.stop()
        self._show(self.read())

    @on(Checkbox.Changed, "#branch")
    def _branch_toggled(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._lock_for_branch(event.value)
        self._show(self.read())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    @on(Button.Pressed, "#start")
    def _start_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_start()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_start(self) -> None:
        reading = self.read()
        self._show(reading)
        if not reading.ok:
            first_bad = next((field.name for field in FIELDS if field.name in reading.problems), None)
            if first_bad:
                self.query_one(f"#{first_bad}").focus()
            return
        data = self.data if not self.data_changed else self.text("data")
        self.dismiss(NewRun(reading.settings, data, reading.pace, self.branching))

    def action_cancel(self) -> None:
        self.dismiss(None)
