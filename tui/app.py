"""The app: a status line, four panes and the keys, around a training run in another process.

The app composes and routes. Training reports arrive as messages (messages.py) posted by
one worker thread that reads the training process's pipe; the app hands them down to the
panes. Keys become commands to the training process (training/protocol.py).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
import threading
from dataclasses import replace
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.keys import format_key
from textual.containers import ScrollableContainer
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, TextArea
from textual.worker import get_current_worker

from ..datasets import KNOWN_DATASETS, DatasetError, printable, resolve_dataset
from ..engine import checkpoint
from ..engine.config import ConfigError
from ..engine.params import ParamLayout
from ..engine.tokenizer import Tokenizer
from .screens.help_screen import HelpScreen
from .screens.new_run_screen import NewRunScreen
from .screens.embedding_screen import EmbeddingScreen
from .screens.xray_screen import XrayScreen
from .messages import SnapshotArrived, TrainingEnded, TrainingReport
from .panes.attention_pane import AttentionPane
from .panes.loss_pane import LossPane
from .panes.parameters_pane import ParametersPane
from .panes.sample_pane import DEFAULT_TEMPERATURE, FINAL_SAMPLES, TEMPERATURE_STEP, SamplePane
from .screens.path_dialog import PathDialog
from .screens.quit_dialog import QuitDialog
from .screens.runs_screen import RunsScreen
from .status_line import Progress, StatusLine, StepRate
from .terminal_input import ForgivingLinuxDriver, UndecodableInput
from .too_small import MIN_HEIGHT, MIN_WIDTH, TooSmall
from .training import protocol
from .training.bridge import ChildProcessTraining, TrainingConnection
from .training.protocol import State
from .training.history import RunHistory
from .panes.loss_pane import EarlierRun
from .training.settings import RunSettings, RunSpec

SIGNAL_SAVE_WAIT = 5.0  # seconds a SIGTERM or SIGHUP waits for its save before the app goes anyway
STATUS_EVERY = 0.2  # seconds between status line redraws while steps pour in (keys redraw at once)

# Keys that are also text: while a text box has focus they go into it, not to the app.
TYPING_ACTIONS = {"toggle_pause", "step", "cooler", "hotter", "help", "quit", "slower", "faster", "train_more", "zoom",
                  "unzoom", "xray", "embeddings"}
# From this size up the panes stand in two columns; below it they stack, and zoom (z) shows one whole.
TWO_COLUMNS_WIDTH, TWO_COLUMNS_HEIGHT = 100, 30
# The paces - and + step through, in steps a second; None is as fast as the engine goes.
PACES = (1, 2, 5, 10, 20, 50, 100, 200, None)


PROJECT = __name__.rsplit(".", 2)[0]  # the package's import name: its widgets' bindings go in the help


def key_name(binding: Binding) -> str:
    """A binding's key as the help shows it: `[`, `ctrl+s`, `←`, `escape`."""
    if binding.key_display:
        return binding.key_display
    return " / ".join("escape" if k == "escape" else format_key(k) for k in binding.key.split(","))


def data_choice_of(dataset) -> str:
    """How the New run form names a run's data: a known set by its name, a file by its path."""
    return dataset.name if dataset.name in KNOWN_DATASETS else str(dataset.source)


def autosave_path(step: int) -> str:
    """A new file in the current folder for a run that had no checkpoint path: never an existing one."""
    path = Path(f"microgpt-autosave-step{step}.json")
    number = 1
    while path.exists():
        number += 1
        path = Path(f"microgpt-autosave-step{step}-{number}.json")
    return str(path)


class MicroGPTApp(App[None]):
    TITLE = "microgpt-tui"
    CSS_PATH = ["app.tcss", "panes/loss_pane.tcss", "panes/attention_pane.tcss", "panes/parameters_pane.tcss",
                "panes/sample_pane.tcss", "screens/dialogs.tcss"]
    AUTO_FOCUS = None  # start with nothing focused, so space and n work at once
    # A zoomed pane keeps the status line above it and the footer below.
    ALLOW_IN_MAXIMIZED_VIEW = "#status, Footer"
    ESCAPE_TO_MINIMIZE = False  # escape leaves a text box first; then it unzooms (action_leave_text_box)

    # The screen gets one class per axis from these; app.tcss stacks the panes on a
    # small terminal and shows only a note on one that is too small.
    HORIZONTAL_BREAKPOINTS = [(0, "-too-narrow"), (MIN_WIDTH, "-narrow"), (TWO_COLUMNS_WIDTH, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-too-short"), (MIN_HEIGHT, "-short"), (TWO_COLUMNS_HEIGHT, "-tall")]

    # priority=True: these run before a focused widget sees the key (a DataTable or a
    # RadioSet would take space). check_action() hands them back to a focused text box.
    # The footer shows the keys used most, short enough to fit 80 columns; the others
    # (show=False) are in the help's key table and the command palette. The tooltip is
    # what the help's key table says of each.
    BINDINGS = [
        Binding("space", "toggle_pause", "Pause", priority=True, tooltip="pause or resume training"),
        Binding("n", "step", "Step", priority=True, tooltip="take exactly one step (pauses first if running)"),
        Binding("left_square_bracket", "cooler", "Temp−", key_display="[", priority=True,
                tooltip=f"lower the sampling temperature by {TEMPERATURE_STEP}"),
        Binding("right_square_bracket", "hotter", "Temp+", key_display="]", priority=True,
                tooltip=f"raise the sampling temperature by {TEMPERATURE_STEP}"),
        Binding("z", "zoom", "Zoom", priority=True,
                tooltip="zoom: the focused pane (the loss pane if none is) fills the screen"),
        Binding("z", "unzoom", "Unzoom", priority=True, tooltip="zoomed: back to all four panes (escape too)"),
        Binding("tab", "app.focus_next", "Next", show=False, priority=True,
                tooltip="move to the next control, pane by pane"),
        Binding("shift+tab", "app.focus_previous", "Previous", show=False, priority=True,
                tooltip="move to the previous control"),
        Binding("question_mark", "help", "Help", key_display="?", priority=True, tooltip="this help"),
        Binding("minus", "slower", "Slower", key_display="-", show=False, priority=True,
                tooltip="train slower: 1, 2, 5, 10, 20, 50, 100, 200 steps a second, or max"),
        Binding("plus,equals_sign", "faster", "Faster", key_display="+", show=False, priority=True,
                tooltip="train faster, up to max"),
        Binding("m", "train_more", "Train more", show=False, priority=True,
                tooltip="train more: carry the run on for as many steps again (the palette offers 100, 1,000 or 10,000)"),
        Binding("x", "xray", "X-ray", show=False, priority=True,
                tooltip="X-ray: the forward pass as a map of its stages, with a word of yours traced through it"),
        Binding("e", "embeddings", "Embeddings", show=False, priority=True,
                tooltip="the characters' embeddings (wte) on a map of their two principal components, live"),
        Binding("ctrl+n", "new_run", "New run", show=False, priority=True,
                tooltip="a new run with other settings, or a branch from this step, without quitting"),
        Binding("ctrl+r", "runs", "Runs", show=False, priority=True,
                tooltip="the runs of this session, side by side; Enter shows a run's weights"),
        Binding("ctrl+s", "save", "Save", show=False, priority=True, tooltip="save the run to a checkpoint"),
        Binding("ctrl+o", "open", "Open", show=False, priority=True, tooltip="open a checkpoint as a new run"),
        Binding("escape", "leave_text_box", "Leave box", show=False,
                tooltip="leave a text box, so the keys above work again; zoomed, back to all four panes"),
        Binding("q", "quit", "Quit", priority=True, tooltip="quit (asks first if steps are unsaved)"),
    ]

    def __init__(
        self,
        spec: RunSpec,
        dataset_label: str,
        *,
        connection: TrainingConnection | None = None,
        temperature: float | None = None,
        final_samples: int = FINAL_SAMPLES,
        step_log=None,
        checkpoint_path: str | None = None,
        pace: float | None = None,
        new_connection: Callable[[RunSpec], TrainingConnection] | None = None,
    ) -> None:
        """`connection` defaults to a child process; tests pass an InProcessTraining, and
        `new_connection` to make one for each new run of the session.

        `pace` is steps per second while running (--speed), None for as fast as the engine goes.

        `final_samples` names (--num-samples) appear in the Sample pane when training is done.
        `step_log` is an open text file that receives one JSON line per step, as
        --log-jsonl writes in headless mode. `checkpoint_path` is where ctrl+s saves
        (--checkpoint, or the --resume file); without it, ctrl+s asks.
        """
        # On Linux and macOS, a driver whose input thread no byte or paste can end.
        super().__init__(driver_class=None if sys.platform == "win32" else ForgivingLinuxDriver)
        self.spec = spec
        self._new_connection = new_connection or ChildProcessTraining
        self.connection = connection or self._new_connection(spec)
        self._first_connection = self.connection
        self.history = RunHistory()
        self.history.start(spec.settings, printable(spec.dataset.name))
        self.pace = pace
        self.progress = Progress(printable(dataset_label), ParamLayout(spec.config).size, spec.engine, spec.train.steps,
                                 pace=pace)
        self.rate = StepRate()
        self.latest_snapshot = None
        self.validation: list[protocol.ValidationScored] = []
        self._initial_temperature = temperature
        self._final_samples = final_samples
        self._step_log = step_log
        self._final_samples_shown = False
        self._status_dirty = True
        self._quitting = False
        self.checkpoint_path = checkpoint_path
        # Files this run may overwrite: its own checkpoint, never anything else on disk.
        self._own_files = {Path(checkpoint_path).resolve()} if checkpoint_path else set()
        self._saved_step = spec.resume.step if spec.resume else 0
        self._quit_after_save = False
        self._dataset_label = printable(dataset_label)
        self._data_choice = data_choice_of(spec.dataset)  # what the New run form shows as the data
        self.first_total_steps = spec.train.steps  # how many steps m adds
        self.viewing = None  # an earlier run whose weights the panes show, until the next snapshot
        # (layer, head)s switched off for inference in the panes; training never hears of it
        self.heads_off: frozenset[tuple[int, int]] = frozenset()
        self.held_out_names: tuple[str, ...] = ()  # the run's held-out names, in the trainer's order
        self._step_in_flight = False  # a Step was sent and its snapshot has not come back yet
        self._signal_received = False
        self._save_finished = threading.Event()  # set by the worker when a Saved or Failed report arrives
        self._save_result: protocol.Report | None = None

    # ---- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with ScrollableContainer(id="panes", can_focus=False):
            yield LossPane(id="loss")
            yield AttentionPane(id="attention")
            yield ParametersPane(id="parameters")
            yield SamplePane(seed=self.spec.train.seed, id="sample")
        yield TooSmall(id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LossPane).set_run(self.spec.train.steps, self.spec.config.vocab_size)
        if self._initial_temperature is not None:
            self.query_one(SamplePane).temperature = self._initial_temperature
        self.set_interval(STATUS_EVERY, self._redraw_status_if_changed)
        self._redraw_status()
        self.connection.start()
        self.read_reports(self.connection)
        self._send_pace()
        if not self.is_headless:  # not under Pilot, whose test runner owns the signals
            # What start-up built lives as long as the app: the collector need never walk it again.
            self.call_after_refresh(gc.freeze)
            for signum in (signal.SIGTERM, signal.SIGHUP):
                asyncio.get_running_loop().add_signal_handler(signum, self.save_and_exit_on_signal, signum)

    def on_training_ended(self, message: TrainingEnded) -> None:
        if self._shutting_down:
            return
        self._quit_after_save = False
        self._save_result = protocol.Failed("the training process has ended")
        self._save_finished.set()
        unsaved = self.progress.step - self._saved_step
        lost = f"; its {unsaved} unsaved steps are lost" if unsaved > 0 else ""
        self.notify(f"the training process has ended{lost}. The panes keep its last picture; q quits.",
                    title="Training ended", severity="error", timeout=15)
        self._show_state(State.ENDED)

    def on_undecodable_input(self, message: UndecodableInput) -> None:
        self.notify(f"ignored {message.count} byte(s) from the terminal that were not UTF-8", title="Input",
                    severity="warning", timeout=4)

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(TooSmall).show_size(event.size.width, event.size.height)

    # ---- the training worker -------------------------------------------------------

    @work(thread=True, exclusive=True, group="training", name="training reports", exit_on_error=False)
    def read_reports(self, connection: TrainingConnection) -> None:
        """Turn one training process's reports into messages, until cancelled or it ends.

        Starting the worker for a new run cancels the old one (exclusive). Each message
        carries its connection, so a report still on its way from a replaced training
        process is recognised and dropped. The worker also closes its connection when it stops:
        ending the child process may take a moment, and that wait belongs off the UI.
        """
        worker = get_current_worker()
        try:
            while not worker.is_cancelled:
                try:
                    reports = connection.receive(timeout=0.05)
                except EOFError:
                    if not worker.is_cancelled:
                        self.post_message(TrainingEnded())
                    return
                for report in reports:
                    # The log (--log-jsonl) is the command line's run: the session's first process.
                    if isinstance(report, protocol.StepsTaken) and self._step_log is not None and connection is self._first_connection:
                        self._write_log(report.records)
                    if isinstance(report, (protocol.Saved, protocol.Failed)):
                        self._save_result = report
                        self._save_finished.set()
                    self.post_message(TrainingReport(report, connection))
        finally:
            connection.close()

    def _write_log(self, records: Iterable) -> None:
        for r in records:
            self._step_log.write(json.dumps({"step": r.step, "loss": r.loss, "lr": r.lr, "seconds": r.seconds}) + "\n")
        self._step_log.flush()

    # ---- reports from training, on the event loop ----------------------------------

    def on_training_report(self, message: TrainingReport) -> None:
        if message.connection is not self.connection:
            return  # from a training process that has been replaced
        match message.report:
            case protocol.Failed(reason, diverged):
                self._training_failed(reason)  # even while quitting: a failed save must stop the quit
                if diverged and not self._shutting_down:
                    self._offer_lower_learning_rate()
            case protocol.Saved(path, step):
                self._checkpoint_saved(path, step)
            case _ if self._shutting_down:
                # The worker may have posted reports that arrive while the panes are being taken down.
                return
            case protocol.Ready(held_out_positions, losses, train, baselines, step_history):
                self._training_ready(held_out_positions, losses, train, baselines, step_history)
            case protocol.StateChanged(state):
                self._training_state_changed(state)
            case protocol.StepsTaken(records, clock):
                self._steps_taken(records, clock)
            case protocol.SnapshotTaken(snapshot):
                self._snapshot_taken(snapshot)
            case protocol.ValidationScored() as scored:
                self._validation_scored(scored)
            case protocol.RunExtended(total_steps, from_step):
                self._run_extended(total_steps, from_step)
            case protocol.FinalNames(step, names, temperature):
                self._final_names(step, names, temperature)

    def _training_ready(self, held_out_positions: tuple[int, ...], losses: tuple[float, ...], train=None,
                        baselines=None, step_history=()) -> None:
        if train is not None and train.steps != self.progress.total_steps:  # a branch or a resumed, extended run
            self.progress.total_steps = train.steps
            self.query_one(LossPane).set_total_steps(train.steps)
        held_out = set(held_out_positions)
        training_names = frozenset(doc for i, doc in enumerate(self.spec.docs) if i not in held_out)
        self.query_one(SamplePane).set_training_names(training_names)
        self.held_out_names = tuple(self.spec.docs[i] for i in held_out_positions)
        self.query_one(AttentionPane).set_held_out(self.held_out_names)
        # A resumed or loaded run brings its history: redraw the curve from it.
        self.query_one(LossPane).replace_history(losses, steps=step_history)
        self.query_one(LossPane).set_baselines(baselines)
        self.progress.step = len(losses)
        self.rate.reset()
        self._status_dirty = True

    def on_attention_pane_head_toggled(self, message: AttentionPane.HeadToggled) -> None:
        """Switch a head off for inference, or back on: the panes redraw; training goes on as it was."""
        self.heads_off = self.heads_off ^ {(message.layer, message.head)}
        self.query_one(AttentionPane).set_heads_off(self.heads_off)
        self.query_one(SamplePane).set_heads_off(self.heads_off)

    def _training_state_changed(self, state: State) -> None:
        if state is not State.PAUSED:
            self._forget_steps_asked()
        if state is not self.progress.state:
            self.rate.reset()
        self.progress.state = state
        self._status_dirty = True
        self.refresh_bindings()

    def _steps_taken(self, records, clock: float) -> None:
        if not records:
            return
        last = records[-1]
        self.history.current.seconds += sum(r.seconds for r in records)
        self.progress.step = last.step
        self.progress.lr = last.lr
        self.rate.add(clock, last.step)
        self.progress.steps_per_second = self.rate.per_second
        self.query_one(LossPane).add_steps(records)
        self._status_dirty = True

    def _snapshot_taken(self, snapshot) -> None:
        if self._step_in_flight:
            self._steps_came_back()
        self.latest_snapshot = snapshot
        self.progress.step = snapshot.step
        self._status_dirty = True
        # Redrawing three panes is the costliest thing the app does; whatever a key
        # just changed (the state, the temperature) is painted first.
        self.call_after_refresh(self._show_snapshot, snapshot)

    def _show_snapshot(self, snapshot) -> None:
        if self._shutting_down or snapshot is not self.latest_snapshot:
            return  # a newer one is on its way to the panes
        self.viewing = None
        panes = [self.query_one(LossPane), self.query_one(AttentionPane), self.query_one(ParametersPane),
                 self.query_one(SamplePane)]
        self._draw_in_turn(snapshot, panes)
        if isinstance(self.screen, (XrayScreen, EmbeddingScreen)):  # the screens that draw live from the weights
            self.screen.post_message(SnapshotArrived(snapshot))

    def _draw_in_turn(self, snapshot, panes: list) -> None:
        """One pane per screen update: a key pressed meanwhile waits for one pane's redraw, not four."""
        if self._shutting_down or snapshot is not self.latest_snapshot:
            return  # a newer snapshot has started its own round
        panes[0].show_snapshot(snapshot)
        if len(panes) > 1:
            self.call_after_refresh(self._draw_in_turn, snapshot, panes[1:])
        elif snapshot.done and not self._final_samples_shown and self._final_samples:
            self._final_samples_shown = True
            # The run's own names, as the headless run prints them: made with the trainer's
            # generator. Asked for once every pane shows the last step, so they land on it.
            temperature = DEFAULT_TEMPERATURE if self._initial_temperature is None else self._initial_temperature
            self.connection.send(protocol.SampleFinalNames(self._final_samples, temperature))

    def _final_names(self, step: int, names: tuple[str, ...], temperature: float) -> None:
        if step >= self.progress.total_steps:  # not a run extended since it asked
            self.query_one(SamplePane).show_final_names(names, temperature)

    def _validation_scored(self, scored: protocol.ValidationScored) -> None:
        self.validation.append(scored)
        self.query_one(LossPane).add_validation(scored.step, scored.loss, scored.names)

    def _checkpoint_saved(self, path: str, step: int) -> None:
        self._saved_step = step
        self._own_files.add(Path(path).resolve())
        self.checkpoint_path = path
        if self._quit_after_save:
            self._really_quit()
            return
        self.notify(f"step {step} saved to {printable(path)}", title="Checkpoint saved", timeout=4)

    def _training_failed(self, reason: str) -> None:
        self._forget_steps_asked()
        self._quit_after_save = False  # a failed save must not lose the run by quitting
        if self._shutting_down:
            return
        self.notify(printable(reason), title="Training stopped", severity="error", timeout=10)

    @property
    def _shutting_down(self) -> bool:
        return self._quitting or not self.is_running

    def _redraw_status_if_changed(self) -> None:
        if self._status_dirty and not self._shutting_down:
            self._redraw_status()

    def _redraw_status(self) -> None:
        self._status_dirty = False
        self.query_one(StatusLine).show(self.progress)

    # ---- keys ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TYPING_ACTIONS and isinstance(self.focused, (Input, TextArea)):
            return False  # the key is a character for the box
        if isinstance(self.screen, ModalScreen) and action not in ("command_palette",):
            return False  # over a dialog, the form or the help page, keys are theirs
        if action in ("toggle_pause", "step") and self.progress.state in (State.DONE, State.ENDED):
            return None  # shown dimmed: the run is over
        if action == "train_more" and self.progress.state is State.ENDED:
            return None
        # z zooms, or unzooms when zoomed: one key, and the footer names what it does now
        if action == "zoom":
            return self.screen.maximized is None
        if action == "unzoom":
            return self.screen.maximized is not None
        return True

    def action_toggle_pause(self) -> None:
        # The status line changes at once; the training process confirms (or corrects)
        # with a StateChanged report a step later.
        if self.progress.state is State.RUNNING:
            self.connection.send(protocol.Pause())
            self._show_state(State.PAUSED)
        elif self.progress.state is State.PAUSED:
            self._forget_steps_asked()  # running takes over from any steps still asked for
            self.connection.send(protocol.Run())
            self._show_state(State.RUNNING)

    def action_step(self) -> None:
        if self.progress.state not in (State.RUNNING, State.PAUSED):
            return
        if self._step_in_flight:
            # Pressed faster than steps finish (n held down): count the presses, shown on the
            # status line, and ask for them all at once when the step in flight is back.
            self.progress.steps_queued += 1
            self._status_dirty = True
            return
        self._send_steps(1)
        if self.progress.state is State.RUNNING:
            self._show_state(State.PAUSED)

    def _send_steps(self, count: int) -> None:
        self.connection.send(protocol.Step(count))
        self._step_in_flight = True

    def _steps_came_back(self) -> None:
        self._step_in_flight = False
        if self.progress.steps_queued and self.progress.state is State.PAUSED:
            count, self.progress.steps_queued = self.progress.steps_queued, 0
            self._send_steps(count)
            self._status_dirty = True

    def _forget_steps_asked(self) -> None:
        self._step_in_flight = False
        if self.progress.steps_queued:
            self.progress.steps_queued = 0
            self._status_dirty = True

    def _show_state(self, state: State) -> None:
        self.rate.reset()
        self.progress.state = state
        self.progress.steps_per_second = None
        self._redraw_status()
        # The Footer rebuilds its keys when the bindings change, which takes a layout: the
        # status line shows the new state first, the Footer one screen update later.
        self.call_after_refresh(self.refresh_bindings)

    def action_cooler(self) -> None:
        self.query_one(SamplePane).change_temperature(-TEMPERATURE_STEP)

    def action_hotter(self) -> None:
        self.query_one(SamplePane).change_temperature(+TEMPERATURE_STEP)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.key_rows()))

    def action_xray(self) -> None:
        word = self.query_one(AttentionPane).word  # the word the attention pane follows, if any
        self.push_screen(XrayScreen(self.latest_snapshot or self._shown_snapshot(), word, self.heads_off),
                         self._matrix_chosen)

    def _matrix_chosen(self, name: str | None) -> None:
        """Enter on a matrix in the X-ray: show it in the parameters pane."""
        if name:
            self.query_one(ParametersPane).show_matrix(name)

    def action_embeddings(self) -> None:
        self.push_screen(EmbeddingScreen(self.latest_snapshot or self._shown_snapshot()))

    def _shown_snapshot(self):
        """An earlier run's snapshot while the panes show it (Ctrl+R), else None."""
        return self.viewing.last_snapshot if self.viewing else None

    def key_rows(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Every key, from the bindings: the app's, then each pane's (for the help's key table)."""
        everywhere = [(key_name(b), b.tooltip or b.description) for b in self.BINDINGS]
        everywhere.append(("ctrl+p", "the command palette: every action by name"))
        sections = [("Everywhere", everywhere)]
        for pane in self.query_one("#panes").children:
            rows: list[tuple[str, str]] = []
            for widget in pane.walk_children(with_self=True):
                if not type(widget).__module__.startswith(PROJECT):
                    continue  # Textual's own widgets: a text box's editing keys are the usual ones
                for binding in vars(type(widget)).get("BINDINGS", []):  # its own, not inherited from Input
                    row = (key_name(binding), binding.tooltip or binding.description)
                    if row not in rows:
                        rows.append(row)
            if rows:
                sections.append((f"In the {pane.BORDER_TITLE} pane, once focused", rows))
        return sections

    def action_zoom(self) -> None:
        """The focused pane fills the screen; with nothing focused, the loss pane does."""
        pane = self._focused_pane() or self.query_one(LossPane)
        self.screen.maximized = pane
        self.refresh_bindings()

    def action_unzoom(self) -> None:
        self.screen.minimize()
        self.refresh_bindings()

    def _focused_pane(self):
        panes = self.query_one("#panes").children
        focused = self.focused
        return next((node for node in focused.ancestors_with_self if node in panes), None) if focused else None

    def action_leave_text_box(self) -> None:
        if isinstance(self.focused, (Input, TextArea)):
            self.set_focus(None)
        elif self.screen.maximized is not None:
            self.action_unzoom()

    # ---- the playground: pace, train more, new runs, comparing runs ---------------

    def _send_pace(self) -> None:
        self.connection.send(protocol.SetPace(self.pace))
        self.progress.pace = self.pace
        self._status_dirty = True

    def action_slower(self) -> None:
        self._change_pace(-1)

    def action_faster(self) -> None:
        self._change_pace(+1)

    def _change_pace(self, direction: int) -> None:
        finite = PACES[:-1]  # and after them, max
        if self.pace is None:
            index = len(finite) + direction
        elif self.pace in finite:
            index = finite.index(self.pace) + direction
        else:  # a --speed between two listed paces moves to the neighbour that way
            below = sum(1 for p in finite if p < self.pace)
            index = below if direction > 0 else below - 1
        index = min(len(finite), max(0, index))
        self.pace = None if index == len(finite) else finite[index]
        self._send_pace()
        self._redraw_status()

    def action_train_more(self) -> None:
        """Carry the run on for as many steps again as it first had (the palette offers other amounts)."""
        self.train_more(self.first_total_steps)

    def train_more(self, steps: int) -> None:
        self.connection.send(protocol.TrainMore(steps))

    def _run_extended(self, total_steps: int, from_step: int) -> None:
        self.progress.total_steps = total_steps
        loss = self.query_one(LossPane)
        loss.set_total_steps(total_steps)
        loss.mark_segment(from_step)
        self._final_samples_shown = False
        self.notify(f"training on to step {total_steps}: the learning rate decays again from {self.spec.train.learning_rate:g}",
                    title="Train more", timeout=4)
        self._status_dirty = True

    def action_new_run(self, branch: bool = False, note: str = "", halve_lr: bool = False) -> None:
        settings = self.history.current.settings
        if halve_lr:
            settings = replace(settings, train=replace(settings.train, learning_rate=settings.train.learning_rate / 2))
        rate = self.progress.steps_per_second
        per_param = 1 / (rate * self.progress.num_params) if rate and self.progress.state is State.RUNNING else None
        form = NewRunScreen(settings, self._data_choice, self.pace, vocab_size=self.spec.config.vocab_size,
                            branch_step=self.progress.step or None, branch=branch, note=note,
                            seconds_per_step_per_param=per_param)
        self.push_screen(form, self._new_run_chosen)

    def _new_run_chosen(self, choice) -> None:
        if choice is None:
            return
        self.pace = choice.pace
        if choice.branch:
            self._remember_current_run()
            current = self.history.current
            self.history.start(choice.settings, current.data_label, branched_from=(current.number, self.progress.step))
            self.connection.send(protocol.Branch(choice.settings, paused=self.progress.state is State.PAUSED))
            self._begin_run_display(choice.settings)
            self._send_pace()
            return
        if choice.data == self._data_choice:
            self.start_run(RunSpec(self.spec.dataset, choice.settings.for_vocabulary(self.spec.config.vocab_size)),
                           data_choice=choice.data)
        else:
            self._load_data_then_start(choice)

    @work(thread=True, exclusive=True, group="data", exit_on_error=False)
    def _load_data_then_start(self, choice) -> None:
        """Other data: read (or download) it off the event loop, then start the run."""
        try:
            dataset = resolve_dataset(choice.data_path, choice.dataset_name)
            settings = choice.settings.for_vocabulary(len(dataset.chars) + 1)
        except (DatasetError, ConfigError) as err:
            self.call_from_thread(self.notify, printable(str(err)), title="Not started", severity="error", timeout=10)
            return
        self.call_from_thread(self.start_run, RunSpec(dataset, settings), data_choice=choice.data)

    def start_run(self, spec: RunSpec, *, data_choice: str | None = None, checkpoint_path: str | None = None) -> None:
        """Replace the training process with a new one for `spec`; the old run joins the comparison."""
        self._remember_current_run()
        self.workers.cancel_group(self, "training")  # its worker closes the old process
        self.connection.send(protocol.Stop())
        self.spec = spec
        self._data_choice = data_choice or data_choice_of(spec.dataset)
        self.connection = self._new_connection(spec)
        self.history.start(spec.settings, printable(spec.dataset.name))
        self.checkpoint_path = checkpoint_path
        self._own_files = {Path(checkpoint_path).resolve()} if checkpoint_path else set()
        self._saved_step = spec.resume.step if spec.resume else 0
        self._begin_run_display(spec.settings)
        self.connection.start()
        self.read_reports(self.connection)
        self._send_pace()
        # The old run's drawings and reports are garbage now; collecting them while the new
        # process starts (nothing is animating) keeps the app's memory from creeping run by run.
        self.call_after_refresh(gc.collect)

    def _begin_run_display(self, settings) -> None:
        """Panes and status line start over for the session's newest run."""
        run = self.history.current
        self.progress = Progress(self._run_label(), ParamLayout(settings.model).size, settings.engine,
                                 settings.train.steps, pace=self.pace)
        self.rate.reset()
        self.latest_snapshot = None
        self.validation = []
        self._final_samples_shown = False
        self._forget_steps_asked()
        self.first_total_steps = settings.train.steps
        loss = self.query_one(LossPane)
        loss.set_run(settings.train.steps, settings.model.vocab_size)
        loss.replace_history([])  # the run's Ready brings its history, a branch's or a checkpoint's
        label = self.history.label(run)
        loss.set_earlier_runs([EarlierRun(r.number, self.history.label(r), r.smoothed) for r in self.history.earlier()],
                              f"run {run.number}" + (f" · {label}" if label else ""))
        self._redraw_status()

    def _run_label(self) -> str:
        run = self.history.current
        return self._dataset_label if run.number == 1 else f"run {run.number} · {self._dataset_label}"

    def _offer_lower_learning_rate(self) -> None:
        """After a blow-up: the New run form, with the learning rate halved, ready to start."""
        lr = self.history.current.settings.train.learning_rate
        self.action_new_run(note=f"the loss blew up at lr {lr:g}; the form starts you at half that", halve_lr=True)

    def _remember_current_run(self) -> None:
        run = self.history.current
        loss = self.query_one(LossPane)
        run.losses = list(loss.history.losses)
        run.smoothed = list(loss.history.smoothed)
        run.validation = list(loss.history.validation)
        run.last_snapshot = self.latest_snapshot or run.last_snapshot

    def action_runs(self) -> None:
        self._remember_current_run()
        self.push_screen(RunsScreen(self.history), self._run_chosen)

    def _run_chosen(self, number: int | None) -> None:
        """Show an earlier run's last weights in the panes (training goes on underneath)."""
        run = self.history.find(number) if number is not None else None
        if run is None or run is self.history.current or run.last_snapshot is None:
            return
        self.viewing = run
        self.latest_snapshot = None
        for pane in (self.query_one(AttentionPane), self.query_one(ParametersPane), self.query_one(SamplePane)):
            pane.show_snapshot(run.last_snapshot)
        self.notify(f"the panes show run {run.number} at step {run.last_snapshot.step}; "
                    "they go back to the current run with its next snapshot", title="Earlier run", timeout=6)

    # ---- checkpoints: save, open, and quitting with unsaved steps ------------------

    def action_save(self) -> None:
        if self.progress.state is State.ENDED:
            self.notify("the training process has ended: there is no run left to save", title="Not saved",
                        severity="error", timeout=8)
            return
        if self.checkpoint_path:
            self.save_to(self.checkpoint_path)
        else:
            self._ask_for_path_then_save()

    def _ask_for_path_then_save(self) -> None:
        dialog = PathDialog("Save a checkpoint", "Enter saves, Escape cancels. An existing file is never overwritten.",
                            initial=f"microgpt-step{self.progress.step}.json")
        self.push_screen(dialog, lambda path: self.save_to(path) if path else self._cancel_quit_after_save())

    def save_to(self, path: str) -> None:
        """Ask the training process to write a checkpoint, unless that would overwrite a stranger's file."""
        target = Path(path).expanduser()
        if target.exists() and target.resolve() not in self._own_files:
            self._quit_after_save = False
            self.notify(f"{printable(path)} already exists and is not this run's checkpoint; choose another name",
                        title="Not saved", severity="error", timeout=8)
            return
        if not target.parent.is_dir():
            self._quit_after_save = False
            self.notify(f"the folder {printable(str(target.parent))} does not exist", title="Not saved", severity="error", timeout=8)
            return
        self.connection.send(protocol.Save(str(target)))

    def _cancel_quit_after_save(self) -> None:
        self._quit_after_save = False

    def action_open(self) -> None:
        dialog = PathDialog("Open a checkpoint", "Training pauses on the loaded run. Escape cancels.")
        self.push_screen(dialog, lambda path: self.open_checkpoint(path) if path else None)

    def open_checkpoint(self, path: str) -> None:
        """Open a checkpoint as a new run of the session; any problem is a notification, and the current run stays."""
        try:
            saved = checkpoint.load(Path(path).expanduser())
            warning = checkpoint.check_data(saved, Tokenizer.from_documents(self.spec.docs).chars,
                                            self.spec.dataset.sha256, printable(self.spec.dataset.name))
        except checkpoint.CheckpointError as err:
            self.notify(printable(str(err)), title="Not loaded", severity="error", timeout=10)
            return
        if warning:
            self.notify(printable(warning), title="Other data", severity="warning", timeout=10)
        spec = RunSpec(self.spec.dataset, RunSettings.of_checkpoint(saved), start_paused=True, resume=saved)
        self.start_run(spec, data_choice=self._data_choice, checkpoint_path=path)
        self.notify(f"opened step {saved.step} of {saved.train.steps} from {printable(path)} as run {self.history.current.number}",
                    title="Checkpoint loaded", timeout=4)

    def action_quit(self) -> None:
        unsaved = self.progress.step - self._saved_step
        if unsaved > 0 and not self._quitting and self.progress.state is not State.ENDED:
            self.push_screen(QuitDialog(unsaved), self._quit_chosen)
        else:
            self._really_quit()

    def _quit_chosen(self, choice: str) -> None:
        if choice == "discard":
            self._really_quit()
        elif choice == "save":
            self._quit_after_save = True
            self.action_save()

    def _really_quit(self) -> None:
        self.stop_training()
        self.exit()

    def save_and_exit_on_signal(self, signum: int) -> None:
        """SIGTERM or SIGHUP (a `kill`, a closed terminal): save the run, then go.

        The save is awaited here, blocking the event loop: after SIGHUP the terminal is
        gone, and every redraw would stall on it. The worker thread still reads the
        training process's reports and says when the save is done.
        """
        if self._signal_received:
            return
        self._signal_received = True
        name = signal.Signals(signum).name
        message = f"microgpt-tui: {name}: nothing unsaved"
        if self.progress.step != self._saved_step:
            path = Path(self.checkpoint_path or autosave_path(self.progress.step)).expanduser()
            self._save_finished.clear()
            self.connection.send(protocol.Save(str(path)))
            if not self._save_finished.wait(SIGNAL_SAVE_WAIT):
                message = f"microgpt-tui: {name}: not saved: the save did not finish within {SIGNAL_SAVE_WAIT:.0f} s"
            else:
                match self._save_result:
                    case protocol.Saved(saved_path, step):
                        message = f"microgpt-tui: {name}: saved step {step} to {printable(saved_path)}"
                    case protocol.Failed(reason):
                        message = f"microgpt-tui: {name}: not saved: {printable(reason)}"
        if signum == signal.SIGHUP:
            # No terminal to restore or to print on; Textual's shutdown would wait on it for good.
            self.connection.close()
            os._exit(128 + signum)
        self.stop_training()
        self.exit(return_code=128 + signum, message=message)

    def stop_training(self) -> None:
        """Tell the training process to stop and the worker to finish; safe to repeat."""
        if self._quitting:
            return
        self._quitting = True
        self.connection.send(protocol.Stop())  # the child can finish its step meanwhile
        self.workers.cancel_group(self, "training")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Pause or resume training", "space: stop after this step, or carry on", self.action_toggle_pause)
        yield SystemCommand("Take one step", "n: train on exactly one more name, then pause", self.action_step)
        yield SystemCommand("Lower the temperature", f"[: sample more greedily ({TEMPERATURE_STEP} less)", self.action_cooler)
        yield SystemCommand("Raise the temperature", f"]: sample more adventurously ({TEMPERATURE_STEP} more)", self.action_hotter)
        yield SystemCommand("Help: how to read the panes", "?: what each pane shows", self.action_help)
        yield SystemCommand("Save a checkpoint", "ctrl+s: write the run to a JSON file to resume later", self.action_save)
        yield SystemCommand("Open a checkpoint", "ctrl+o: open a saved run as a new run of this session", self.action_open)
        yield SystemCommand("Train slower", "-: fewer steps a second (1, 2, 5 ... 200, max)", self.action_slower)
        yield SystemCommand("Train faster", "+: more steps a second (1, 2, 5 ... 200, max)", self.action_faster)
        yield SystemCommand("Train more", f"m: carry this run on for {self.first_total_steps:,} more steps",
                            self.action_train_more)
        for steps in (100, 1000, 10_000):
            yield SystemCommand(f"Train {steps:,} more steps", "a new learning-rate decay from --lr over them",
                                lambda steps=steps: self.train_more(steps))
        yield SystemCommand("New run", "ctrl+n: other settings, in this app; the current run stays for comparison",
                            self.action_new_run)
        yield SystemCommand("Branch from this step", "ctrl+n, ticked: this run's exact state with another learning rate",
                            lambda: self.action_new_run(branch=True))
        yield SystemCommand("X-ray", "x: the forward pass stage by stage, with a word traced through it", self.action_xray)
        yield SystemCommand("Embeddings", "e: the characters' embeddings on their two principal components",
                            self.action_embeddings)
        yield SystemCommand("Runs of this session", "ctrl+r: compare them, and show an earlier run's weights", self.action_runs)
