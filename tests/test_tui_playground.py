"""The playground loop in the app: pace, train more, a new run, a branch, comparing runs (issue 13).

Driven by Pilot over the in-process stand-in for the training process; each new run of
the session gets a stand-in of its own.
"""

import math
import time
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input

import microgpt_tui.tui.panes.loss_pane as loss_pane_module

from microgpt_tui.engine import checkpoint
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import StepRecord, Trainer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.panes.loss_pane import EarlierRun, LossCurve, LossPane
from microgpt_tui.tui.screens.new_run_screen import NewRunScreen
from microgpt_tui.tui.screens.runs_screen import RunsScreen
from microgpt_tui.tui.training.bridge import InProcessTraining
from microgpt_tui.tui.training.protocol import SetPace, State
from conftest import after_steps, run_spec

NAMES = tuple("""emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth
mila ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey""".split())
CONFIG = ModelConfig(Tokenizer.from_documents(NAMES).vocab_size, n_embd=8, n_head=2, block_size=8)


class Recorded(InProcessTraining):
    """The stand-in, remembering every command the app sent it."""

    def __init__(self, spec, step_every=0.01):
        super().__init__(spec, step_every=step_every)
        self.sent = []
        self.closed = False

    def send(self, command):
        self.sent.append(command)
        super().send(command)

    def close(self):
        self.closed = True
        super().close()


def make_app(steps=30, paused=True, lr=0.01, pace=None):
    spec = run_spec(NAMES, CONFIG, TrainConfig(steps=steps, seed=42, learning_rate=lr), "fast", start_paused=paused,
                    name="tiny")
    connections = []

    def new_connection(spec):
        connections.append(Recorded(spec))
        return connections[-1]

    app = MicroGPTApp(spec, "tiny · 29 docs", connection=new_connection(spec), new_connection=new_connection, pace=pace)
    app.connections = connections
    return app


@pytest.fixture(autouse=True)
def data_file(tmp_path, monkeypatch):
    """The run's data as a file, where the New run form looks for it (tiny.txt, in the current folder)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.txt").write_text("\n".join(NAMES) + "\n")


async def wait_for(pilot, condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.02)


def snapshot_step(app) -> int | None:
    return app.latest_snapshot.step if app.latest_snapshot is not None else None


def status(app) -> str:
    return app.query_one("#status").render().plain


async def test_minus_and_plus_step_through_the_paces_and_the_status_line_names_it():
    app = make_app(pace=50.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        assert app.connections[0].sent[0] == SetPace(50.0)
        await pilot.press("minus")
        assert app.pace == 20 and "(pace 20)" in status(app)
        for _ in range(8):
            await pilot.press("plus")
        assert app.pace is None and "(max)" in status(app)
        await pilot.press("equals_sign")  # + without shift: still faster, and max is the top
        assert app.pace is None
        await pilot.press("minus")
        assert app.pace == 200
        assert [c for c in app.connections[0].sent if isinstance(c, SetPace)][-1] == SetPace(200)
        assert app.progress.state is State.PAUSED  # a paused run stays paused whatever the pace


async def test_m_after_done_trains_on_past_the_end_with_a_new_decay_marked_on_the_chart():
    app = make_app(steps=30, paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.progress.state is State.DONE)
        assert app.progress.step == 30
        await pilot.press("m")
        await wait_for(pilot, lambda: app.progress.state is State.RUNNING or app.progress.step > 30)
        await wait_for(pilot, lambda: app.progress.step > 30)
        assert app.progress.total_steps == 60
        assert app.query_one(LossCurve).segment_starts == [30]
        await wait_for(pilot, lambda: app.progress.state is State.DONE and app.progress.step == 60)
        # the new segment's learning rate starts again from --lr and decays to 0 by step 60
        records_lr = app.query_one(LossPane).history.losses
        assert len(records_lr) == 60


async def test_ctrl_n_starts_a_new_run_in_the_same_app_and_run_1_stays_for_comparison():
    app = make_app(steps=20, paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.progress.state is State.DONE)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, NewRunScreen)
        assert app.screen.query_one("#new-run-title").content == "New run"
        field = app.screen.query_one("#learning_rate", Input)
        field.value = "0.03"
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.connections) == 2 and app.progress.state is State.DONE)
        assert not isinstance(app.screen, NewRunScreen)
        assert app.history.current.number == 2 and app.history.current.settings.train.learning_rate == 0.03
        assert "run 2" in status(app)
        assert app.connections[0]._stopped or any(type(c).__name__ == "Stop" for c in app.connections[0].sent)
        curve = app.query_one(LossCurve)
        assert [run.number for run in curve.earlier] == [1] and len(curve.earlier[0].smoothed) == 20
        numbers = str(app.query_one("#loss-numbers").content)
        assert "run 2 · lr 0.03" in numbers and "1 run 1" in numbers


async def test_a_bad_value_in_the_form_shows_the_command_lines_message_and_starts_nothing():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        await pilot.press("ctrl+n")
        app.screen.query_one("#n_embd", Input).value = "10"  # 4 heads do not divide 10... the run has 2
        app.screen.query_one("#n_head", Input).value = "3"
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NewRunScreen)
        assert "must be divisible by the number of heads (3)" in str(app.screen.query_one("#n_embd-message").content)
        assert len(app.connections) == 1 and app.history.current.number == 1


async def test_a_branch_from_step_k_with_another_lr_gives_the_loss_a_resumed_checkpoint_gives(tmp_path):
    app = make_app(steps=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        for _ in range(5):
            await pilot.press("n")
        await wait_for(pilot, lambda: snapshot_step(app) == 5)
        await pilot.press("ctrl+s")  # no path yet: it asks
        app.screen.query_one(Input).value = str(tmp_path / "at5.json")
        await pilot.press("enter")
        await wait_for(pilot, lambda: (tmp_path / "at5.json").exists())
        app.action_new_run(branch=True)
        await pilot.pause()
        app.screen.query_one("#learning_rate", Input).value = "0.05"
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.history.current.number == 2 and snapshot_step(app) == 5)
        assert len(app.connections) == 1  # a branch carries on in the same training process
        await pilot.press("n")
        await wait_for(pilot, lambda: snapshot_step(app) == 6)
        branched = app.query_one(LossPane).history.losses[-1]
    saved = checkpoint.load(tmp_path / "at5.json")
    resumed = Trainer.from_checkpoint(checkpoint.with_training(saved, TrainConfig(steps=30, seed=42, learning_rate=0.05)),
                                      NAMES, "fast")
    assert resumed.step().loss == branched


async def test_ctrl_o_opens_a_checkpoint_of_another_shape_as_a_new_run_with_every_pane_its_own(tmp_path):
    two_layers = ModelConfig(CONFIG.vocab_size, n_layer=2, n_embd=8, n_head=2, block_size=8)
    trainer = after_steps(Trainer(NAMES, two_layers, TrainConfig(steps=30, seed=42), "fast"), 4)
    path = tmp_path / "two.json"
    checkpoint.save(trainer.checkpoint("tiny", "0" * 64), path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        app.open_checkpoint(str(path))
        await wait_for(pilot, lambda: snapshot_step(app) == 4)
        assert app.history.current.number == 2
        assert app.progress.num_params == trainer.num_params
        assert "layer1.attn_wq" in app.latest_snapshot.weights
        assert app.query_one(LossPane).history.losses == trainer.losses


async def test_ctrl_r_lists_the_runs_and_enter_shows_an_earlier_runs_weights():
    app = make_app(steps=10, paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.progress.state is State.DONE)
        first_weights = app.latest_snapshot.weights
        await pilot.press("ctrl+n", "enter")  # run 2, same settings
        await wait_for(pilot, lambda: app.history.current.number == 2 and app.latest_snapshot is not None)
        await pilot.press("space")  # pause it where it is
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, RunsScreen)
        table = app.screen.query_one("#runs-table")
        assert table.row_count == 2
        await pilot.press("enter")  # the cursor starts on run 1
        await pilot.pause()
        assert app.viewing is not None and app.viewing.number == 1
        assert app.viewing.last_snapshot.weights == first_weights


async def test_ten_new_runs_leave_one_training_connection_open_and_eight_runs_remembered():
    app = make_app(steps=5, paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        for number in range(2, 12):
            await pilot.press("ctrl+n", "enter")
            await wait_for(pilot, lambda: app.history.current.number == number and app.latest_snapshot is not None)
        assert len(app.history.runs) == 8
        await pilot.pause(0.3)
        open_ones = [c for c in app.connections if not c.closed]
        assert open_ones == [app.connection] and len(app.connections) == 11


async def test_a_blow_up_opens_the_new_run_form_with_the_learning_rate_halved():
    app = make_app(steps=50, paused=False, lr=100.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, NewRunScreen))
        await pilot.pause()
        assert app.screen.query_one("#learning_rate", Input).value == "50"
        assert "blew up" in str(app.screen.query_one("#new-run-note").content)
        assert app.progress.state is State.PAUSED


class ThreeRuns(App):
    CSS_PATH = Path(loss_pane_module.__file__).parent / "loss_pane.tcss"

    def compose(self):
        yield LossPane()


def made_up_curve(start: float, end: float, steps: int) -> list[float]:
    return [end + (start - end) * math.exp(-step / (steps / 5)) for step in range(steps)]


def test_the_loss_pane_with_three_runs(snap_compare):
    async def three_runs(pilot):
        pane = pilot.app.query_one(LossPane)
        pane.set_run(total_steps=300, vocab_size=27)
        pane.set_earlier_runs([EarlierRun(1, "", made_up_curve(3.3, 2.5, 300)),
                               EarlierRun(2, "lr 0.03", made_up_curve(3.3, 2.8, 200))], "run 3 · n_embd 32")
        pane.add_steps(StepRecord(step + 1, loss, 0.01, 0.001, "emma") for step, loss in
                       enumerate(made_up_curve(3.3, 2.3, 150)))
        await pilot.pause(0.3)

    assert snap_compare(ThreeRuns(), terminal_size=(70, 24), run_before=three_runs)


async def test_the_sample_pane_knows_the_runs_training_names_from_the_held_out_positions():
    from microgpt_tui.tui.panes.sample_pane import SamplePane

    app = make_app(steps=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        expected = frozenset(Trainer(NAMES, CONFIG, TrainConfig(steps=5, seed=42), "fast").train_docs)
        assert app.query_one(SamplePane)._training_names == expected
