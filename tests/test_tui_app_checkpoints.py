"""The app's checkpoints: ctrl+s, quitting with unsaved steps, opening a file, resuming, and a blow-up."""

import hashlib
import json
import math
import time

from textual.widgets import Input

from microgpt_tui.engine import checkpoint
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.training.bridge import InProcessTraining
from microgpt_tui.tui.panes.loss_pane import LossPane
from microgpt_tui.tui.screens.path_dialog import PathDialog
from microgpt_tui.tui.screens.quit_dialog import QuitDialog
from microgpt_tui.tui.training.protocol import State
from conftest import after_steps, run_spec

NAMES = tuple("""emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth
mila ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey""".split())
CONFIG = ModelConfig(Tokenizer.from_documents(NAMES).vocab_size, n_embd=8, n_head=2, block_size=8)


def make_app(steps=30, paused=True, lr=0.01, resume=None, checkpoint_path=None, step_every=0.02):
    spec = run_spec(NAMES, CONFIG, TrainConfig(steps=steps, seed=42, learning_rate=lr), "fast", start_paused=paused,
                    resume=resume, name="tiny")
    return MicroGPTApp(spec, "tiny · 29 docs", connection=InProcessTraining(spec, step_every=step_every),
                       checkpoint_path=checkpoint_path,
                       new_connection=lambda spec: InProcessTraining(spec, step_every=step_every))


async def wait_for(pilot, condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.02)


def notices(app) -> str:
    return " | ".join(str(n.message) for n in app._notifications)


async def fill_path_dialog(pilot, key: str, path) -> None:
    """Press `key` (ctrl+s or ctrl+o), type `path` into the dialog it opens, and press Enter."""
    await pilot.press(key)
    assert isinstance(pilot.app.screen, PathDialog)
    pilot.app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")


async def take_steps(pilot, count):
    app = pilot.app
    await wait_for(pilot, lambda: app.latest_snapshot is not None)
    for _ in range(count):
        await pilot.press("n")
    await wait_for(pilot, lambda: app.latest_snapshot.step == count)


async def test_ctrl_s_saves_to_the_checkpoint_path(tmp_path):
    path = tmp_path / "run.json"
    app = make_app(checkpoint_path=str(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await take_steps(pilot, 3)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: path.exists() and "saved" in notices(app))
        assert checkpoint.load(path).step == 3
        await pilot.press("n", "ctrl+s")  # its own file may be overwritten
        await wait_for(pilot, lambda: checkpoint.load(path).step == 4)


async def test_ctrl_s_asks_for_a_path_and_never_overwrites_another_file(tmp_path):
    precious = tmp_path / "precious.json"
    precious.write_text("mine")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await take_steps(pilot, 2)
        await fill_path_dialog(pilot, "ctrl+s", precious)
        await wait_for(pilot, lambda: "already exists" in notices(app))
        assert precious.read_text() == "mine"
        await fill_path_dialog(pilot, "ctrl+s", tmp_path / "new.json")
        await wait_for(pilot, lambda: (tmp_path / "new.json").exists())
        assert checkpoint.load(tmp_path / "new.json").step == 2


async def test_quitting_with_unsaved_steps_offers_to_save(tmp_path):
    path = tmp_path / "run.json"
    app = make_app(checkpoint_path=str(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await take_steps(pilot, 2)
        await pilot.press("q")
        assert isinstance(app.screen, QuitDialog)
        await pilot.press("escape")  # stay
        assert app.is_running and not isinstance(app.screen, QuitDialog)
        await pilot.press("q", "s")  # save and quit
        await wait_for(pilot, lambda: not app.is_running)
    assert checkpoint.load(path).step == 2


async def test_quitting_right_after_saving_asks_nothing(tmp_path):
    path = tmp_path / "run.json"
    app = make_app(checkpoint_path=str(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await take_steps(pilot, 2)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: path.exists())
        await wait_for(pilot, lambda: app._saved_step == 2)
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_the_app_opens_on_a_resumed_run_with_its_history(tmp_path):
    trainer = after_steps(Trainer(NAMES, CONFIG, TrainConfig(steps=30, seed=42), "fast"), 7)
    saved = trainer.checkpoint("tiny", "0" * 64)
    app = make_app(resume=saved)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        assert app.progress.step == 7
        assert app.query_one(LossPane).history.losses == trainer.losses
        await pilot.press("n")
        await wait_for(pilot, lambda: app.latest_snapshot.step == 8)
        assert app.query_one(LossPane).history.losses[-1] == trainer.step().loss  # carries on exactly


async def test_loading_errors_are_notifications_and_the_run_goes_on(tmp_path):
    trainer = Trainer(["xyz", "zyx"] * 10, ModelConfig(vocab_size=4, n_embd=8, n_head=2, block_size=8), TrainConfig(steps=5))
    other_vocabulary = tmp_path / "other.json"
    checkpoint.save(trainer.checkpoint("other", "1" * 64), other_vocabulary)
    truncated = tmp_path / "truncated.json"
    truncated.write_text(other_vocabulary.read_text()[:100])
    nan = tmp_path / "nan.json"
    nan.write_text(other_vocabulary.read_text().replace("0.", "NaN, 0.", 1))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await take_steps(pilot, 2)
        weights = app.latest_snapshot.weights
        cases = [(tmp_path / "missing.json", "does not exist"), (truncated, "truncated"), (nan, "NaN"),
                 (other_vocabulary, "was trained on 3 characters")]
        for path, phrase in cases:
            app.open_checkpoint(str(path))
            await wait_for(pilot, lambda: phrase in notices(app))
        await pilot.pause(0.1)
        assert app.is_running and app.latest_snapshot.step == 2 and app.latest_snapshot.weights == weights
        assert other_vocabulary.read_text().startswith("{")  # nothing was overwritten


async def test_opening_a_checkpoint_carries_on_from_it(tmp_path):
    trainer = after_steps(Trainer(NAMES, CONFIG, TrainConfig(steps=30, seed=42), "fast"), 5)
    path = tmp_path / "run.json"
    checkpoint.save(trainer.checkpoint("tiny", "0" * 64), path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await take_steps(pilot, 2)
        await fill_path_dialog(pilot, "ctrl+o", path)
        await wait_for(pilot, lambda: app.latest_snapshot is not None and app.latest_snapshot.step == 5)
        assert app.progress.state is State.PAUSED
        assert app.query_one(LossPane).history.losses == trainer.losses


async def test_a_blow_up_pauses_training_and_keeps_the_last_finite_weights():
    app = make_app(steps=50, paused=False, lr=100.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "the loss became" in notices(app))
        await wait_for(pilot, lambda: app.progress.state is State.PAUSED)
        assert app.is_running
        weights = app.latest_snapshot.weights
        assert all(math.isfinite(x) for matrix in weights.values() for row in matrix for x in row)
        step = app.latest_snapshot.step
        assert step < 50 and app.query_one(LossPane).history.losses == app.query_one(LossPane).history.losses[:step]


async def test_ctrl_o_on_a_checkpoint_that_lies_is_refused_and_the_run_goes_on(tmp_path):
    trainer = Trainer(NAMES, CONFIG, TrainConfig(steps=30, seed=42), "fast")
    trainer.step()
    lying = tmp_path / "lying.json"
    checkpoint.save(trainer.checkpoint("tiny", "0" * 64), lying)
    data = json.loads(lying.read_text())
    data["rng_state"]["internal"] = data["rng_state"]["internal"][:100]  # cut: it used to load, then fail to train
    lying.write_text(json.dumps(data))
    before = hashlib.sha256(lying.read_bytes()).hexdigest()
    app = make_app(checkpoint_path=str(tmp_path / "run.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await take_steps(pilot, 3)
        await fill_path_dialog(pilot, "ctrl+o", lying)
        await wait_for(pilot, lambda: "Not loaded" in " ".join(str(n.title) for n in app._notifications))
        assert "Checkpoint loaded" not in " ".join(str(n.title) for n in app._notifications)
        await pilot.press("n")  # the current run goes on, and is still ours to save
        await wait_for(pilot, lambda: app.latest_snapshot.step == 4)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: (tmp_path / "run.json").exists())
    assert checkpoint.load(tmp_path / "run.json").step == 4
    assert hashlib.sha256(lying.read_bytes()).hexdigest() == before


async def test_when_the_training_process_ends_the_app_says_so_and_q_quits(tmp_path):
    app = make_app(checkpoint_path=str(tmp_path / "run.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await take_steps(pilot, 2)
        app.connection._stopped = True  # as if the process had died: the next receive() raises EOFError
        await wait_for(pilot, lambda: app.progress.state is State.ENDED)
        assert "training process has ended" in notices(app) and "2 unsaved steps are lost" in notices(app)
        await pilot.press("ctrl+s")
        assert "no run left to save" in notices(app)
        await pilot.press("q")  # no dialog offering a save that cannot happen
        await wait_for(pilot, lambda: not app.is_running)
