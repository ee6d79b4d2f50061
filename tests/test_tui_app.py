"""The app shell, driven by Pilot over the in-process stand-in for the training process.

The stand-in runs a tiny model on a timer, so the app's process stays mostly idle and each
pilot.press() takes milliseconds (a busy thread would make Pilot wait seconds per key).
"""

import time

import pytest
from textual.widgets import Input

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.sampling import generate
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.training.bridge import InProcessTraining
from microgpt_tui.tui.screens.help_screen import HelpScreen
from microgpt_tui.tui.panes.loss_pane import LossPane
from microgpt_tui.tui.screens.quit_dialog import QuitDialog
from microgpt_tui.tui.panes.sample_pane import SamplePane
from microgpt_tui.tui.status_line import StatusLine
from microgpt_tui.tui.too_small import TooSmall
from microgpt_tui.tui.training.protocol import State, Step
from conftest import run_spec

NAMES = tuple("""emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth
mila ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey
nora lily eleanor hannah lillian addison aubrey ellie stella natalie zoe leah hazel violet aurora
savannah audrey brooklyn bella claire skylar""".split())


def tiny_app(steps: int = 30, paused: bool = True, step_every: float = 0.05, **options) -> MicroGPTApp:
    config = ModelConfig(Tokenizer.from_documents(NAMES).vocab_size, n_embd=8, n_head=2, block_size=8)
    spec = run_spec(NAMES, config, TrainConfig(steps=steps, seed=42), "scalar", start_paused=paused, name="names")
    return MicroGPTApp(spec, "names · 50 docs", connection=InProcessTraining(spec, step_every=step_every), **options)


async def wait_for(pilot, condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.02)


def status(app) -> str:
    return str(app.query_one(StatusLine).render())


def steps_in_loss_pane(app) -> int:
    return len(app.query_one(LossPane).history.losses)


async def started(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.latest_snapshot is not None)


async def test_opens_paused_with_the_run_described():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: "PAUSED" in status(app))  # the state reaches the status line
        line = status(app)
        for part in ("names · 50 docs", f"{app.progress.num_params:,} params · scalar engine", "step  0/30", "PAUSED", "lr –"):
            assert part in line
        assert app.focused is None  # no text box holds the keys


async def test_space_resumes_and_pauses():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("space")
        assert app.progress.state is State.RUNNING
        assert "RUNNING" in status(app)  # at once, before the training side confirms
        await wait_for(pilot, lambda: app.progress.step >= 2)
        await pilot.press("space")
        assert "PAUSED" in status(app)
        await wait_for(pilot, lambda: app.latest_snapshot.step == app.progress.step)
        stopped_at = app.progress.step
        await pilot.pause(0.3)
        assert app.progress.step == stopped_at < 30
        assert app.progress.state is State.PAUSED
        assert steps_in_loss_pane(app) == stopped_at


async def test_n_takes_exactly_one_step():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        for expected in (1, 2, 3):
            await pilot.press("n")
            await wait_for(pilot, lambda: app.latest_snapshot.step == expected)
            await pilot.pause(0.1)
            assert app.progress.step == expected
            assert steps_in_loss_pane(app) == expected
        await wait_for(pilot, lambda: "step  3/30" in status(app))  # at the next status redraw


async def test_n_while_running_pauses_then_steps():
    app = tiny_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.progress.step >= 1)
        await pilot.press("n")
        assert app.progress.state is State.PAUSED
        await pilot.pause(0.3)
        settled = app.progress.step
        await pilot.pause(0.3)
        assert app.progress.step == settled and app.progress.state is State.PAUSED


async def test_brackets_change_the_temperature():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        sample = app.query_one(SamplePane)
        before = sample.temperature
        await pilot.press("right_square_bracket")
        assert sample.temperature == pytest.approx(before + 0.05)
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert sample.temperature == pytest.approx(before - 0.05)


async def test_keys_type_into_a_focused_box_and_escape_gives_them_back():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        prefix = app.query_one("#sample-prefix", Input)
        prefix.focus()
        await pilot.press("n", "q", "space")
        assert prefix.value == "nq "
        assert app.progress.step == 0 and app.is_running  # no step, no quit
        await pilot.press("escape")
        assert not prefix.has_focus
        await pilot.press("n")
        await wait_for(pilot, lambda: app.progress.step == 1)


async def test_tab_moves_focus_through_the_panes():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        seen = []
        for _ in range(12):
            await pilot.press("tab")
            pane = next((p for p in app.focused.ancestors_with_self if p.id in ("attention", "parameters", "sample")), None)
            if pane is not None and (not seen or seen[-1] != pane.id):
                seen.append(pane.id)
        assert seen[:3] == ["attention", "parameters", "sample"]


async def test_help_opens_and_closes():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one("Markdown").source
        for pane in ("## Loss", "## Attention", "## Parameters", "## Sample"):
            assert pane in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        for key in ("question_mark", "q"):  # both close the page, and q does not quit
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(key)
            assert not isinstance(app.screen, HelpScreen) and app.is_running


async def test_q_stops_the_worker_and_the_app():
    app = tiny_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.progress.step >= 1)
        worker = next(w for w in app.workers if w.group == "training")
        await pilot.press("q")
        assert isinstance(app.screen, QuitDialog)  # steps were taken and not saved
        await pilot.press("d")
        await wait_for(pilot, lambda: worker.is_finished, timeout=1.0)
    assert app.return_code == 0
    with pytest.raises(EOFError):  # the stand-in was told to stop
        app.connection.receive(0.01)


async def test_the_training_worker_ends_however_the_app_exits():
    app = tiny_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        worker = next(w for w in app.workers if w.group == "training")
        app.exit()  # not q: say, an error ends the app
        await pilot.pause()
    deadline = time.monotonic() + 2
    while not worker.is_finished:
        assert time.monotonic() < deadline, "the training worker outlived the app"
        time.sleep(0.02)
    with pytest.raises(EOFError):  # the stand-in was told to stop
        app.connection.receive(0.01)


async def test_status_line_follows_the_run_to_done_and_the_panes_stay_live():
    app = tiny_app(steps=6, paused=False, step_every=0.01)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.progress.state is State.DONE and app.validation)
        # the status line redraws every STATUS_EVERY seconds: wait for it rather than guess
        await wait_for(pilot, lambda: "DONE" in status(app) and "step 6/6" in status(app))
        sample = app.query_one(SamplePane)
        await wait_for(pilot, lambda: len(sample.completions) == 20)  # shown on their own at DONE
        assert app.validation[-1].step == 6 and app.validation[-1].names == 5
        await pilot.press("space", "n")  # nothing to resume or step: no error, no change
        assert app.progress.state is State.DONE
        await pilot.press("right_square_bracket")  # the panes still answer
        assert sample.temperature == pytest.approx(0.55)


async def test_done_shows_the_names_the_headless_run_prints():
    app = tiny_app(steps=6, paused=False, step_every=0.01, temperature=0.7)
    # What the headless run prints for the same data and settings: the trainer's generator,
    # carried on after the last step, samples the names (print_samples in headless.py).
    trainer = app.spec.make_trainer()
    while not trainer.done:
        trainer.step()
    weights = trainer.weights()
    headless = [generate(trainer.config, weights, trainer.tokenizer, trainer.rng, 0.7) for _ in range(20)]
    async with app.run_test(size=(120, 40)) as pilot:
        sample = app.query_one(SamplePane)
        own_generator = sample.rng.getstate()
        await wait_for(pilot, lambda: len(sample.completions) == 20)
        assert [c.text for c in sample.completions] == headless
        assert sample.rng.getstate() == own_generator  # the pane's generator is left for Enter
        assert "as the run prints them" in str(sample.query_one("#sample-results-title").content)
        sample.make_samples("")  # what Enter does: the pane's own generator
        assert sample.rng.getstate() != own_generator


@pytest.mark.parametrize("count", [3, 0])
async def test_num_samples_sets_how_many_names_appear_at_done(count):
    app = tiny_app(steps=3, paused=False, step_every=0.01, final_samples=count)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.progress.state is State.DONE and app.latest_snapshot.done)
        await pilot.pause(0.2)  # the DONE snapshot reaches the panes after the next frame
        sample = app.query_one(SamplePane)
        await wait_for(pilot, lambda: len(sample.completions) == count)
        if count:
            assert "training done: 3 names" in str(sample.query_one("#sample-results-title").content)
        else:
            assert "training done" not in str(sample.query_one("#sample-results-title").content)


async def test_small_terminal_stacks_and_tiny_one_shows_a_note():
    app = tiny_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        assert app.screen.has_class("-narrow")
        assert app.query_one("#panes").styles.layout.name == "vertical"
        assert not app.query_one(TooSmall).display
        await pilot.resize_terminal(50, 15)
        await pilot.pause(0.1)
        note = app.query_one(TooSmall)
        assert note.display and "50×15" in str(note.render())
        assert not app.query_one("#panes").display
        await pilot.resize_terminal(200, 60)
        await pilot.pause(0.1)
        assert app.query_one("#panes").display and app.query_one("#panes").styles.layout.name == "grid"
        await pilot.press("n")
        await wait_for(pilot, lambda: app.progress.step == 1)


async def test_command_palette_offers_every_action():
    app = tiny_app()
    async with app.run_test(size=(120, 40)):
        titles = [command.title for command in app.get_system_commands(app.screen)]
    for title in ("Pause or resume training", "Take one step", "Lower the temperature", "Raise the temperature", "Help: how to read the panes", "Quit"):
        assert title in titles


def test_every_binding_has_a_description():
    assert all(binding.description for binding in MicroGPTApp.BINDINGS)


def test_app_at_120x40(snap_compare):
    """The whole app, paused after three steps of a tiny fixed-seed run."""

    async def three_steps(pilot):
        await started(pilot)
        for expected in (1, 2, 3):
            await pilot.press("n")
            await wait_for(pilot, lambda: pilot.app.latest_snapshot.step == expected)
        await pilot.pause(0.3)  # the panes' 10-a-second redraw

    assert snap_compare(tiny_app(), terminal_size=(120, 40), run_before=three_steps)


class HeldSteps(InProcessTraining):
    """The stand-in, but Step commands wait until released: as if the step in flight were slow."""

    def __init__(self, spec):
        super().__init__(spec, step_every=0.01)
        self.steps_asked: list[int] = []
        self.held: list = []

    def send(self, command):
        if isinstance(command, Step):
            self.steps_asked.append(command.count)
            self.held.append(command)
        else:
            super().send(command)

    def release(self):
        for command in self.held:
            super().send(command)
        self.held.clear()


async def test_n_pressed_faster_than_steps_finish_is_counted_and_sent_as_one_request():
    config = ModelConfig(Tokenizer.from_documents(NAMES).vocab_size, n_embd=8, n_head=2, block_size=8)
    spec = run_spec(NAMES, config, TrainConfig(steps=100, seed=42), "scalar", start_paused=True, name="names")
    connection = HeldSteps(spec)
    app = MicroGPTApp(spec, "names · 50 docs", connection=connection)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press(*["n"] * 30)
        assert connection.steps_asked == [1]  # one step in flight; the other 29 presses wait, counted
        await wait_for(pilot, lambda: "PAUSED +29" in status(app))
        connection.release()
        await wait_for(pilot, lambda: connection.held)  # the first step came back: the 29 go at once
        assert connection.steps_asked == [1, 29]
        connection.release()
        await wait_for(pilot, lambda: app.latest_snapshot.step == 30)
        assert app.progress.state is State.PAUSED and "+" not in status(app)
