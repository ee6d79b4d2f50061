"""The app with the real training process: steps flow through the pipe and the worker."""

import time

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.training.bridge import ChildProcessTraining
from microgpt_tui.tui.panes.loss_pane import LossPane
from microgpt_tui.tui.training.protocol import State
from conftest import run_spec

NAMES = tuple("""emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth
mila ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey
nora lily eleanor hannah lillian addison aubrey ellie stella natalie zoe leah hazel violet aurora
savannah audrey brooklyn bella claire skylar""".split())


def small_spec(steps: int, paused: bool):
    config = ModelConfig(Tokenizer.from_documents(NAMES).vocab_size, n_embd=8, n_head=2, block_size=8)
    return run_spec(NAMES, config, TrainConfig(steps=steps, seed=42), "scalar", start_paused=paused)


async def wait_for(pilot, condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.05)


async def test_real_steps_reach_the_loss_pane(tmp_path):
    spec = small_spec(steps=50, paused=True)
    log = open(tmp_path / "run.jsonl", "x")
    app = MicroGPTApp(spec, "names · 50 docs", step_log=log)
    assert isinstance(app.connection, ChildProcessTraining)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        for _ in range(3):
            await pilot.press("n")
        await wait_for(pilot, lambda: len(app.query_one(LossPane).history.losses) == 3)
        reference = Trainer(spec.docs, spec.config, spec.train, spec.engine)
        assert app.query_one(LossPane).history.losses == [reference.step().loss for _ in range(3)]
        await pilot.press("space")  # and now flat out to the end
        await wait_for(pilot, lambda: app.progress.state is State.DONE and app.validation)
        assert app.progress.step == 50
        assert len(app.query_one(LossPane).history.losses) == 50
        process = app.connection.process
        await pilot.press("q", "d")  # d: quit without saving
    process.join(10.0)  # a timeout only against a hang: quitting has already stopped it
    assert process.exitcode is not None
    log.close()
    assert len((tmp_path / "run.jsonl").read_text().splitlines()) == 50


async def test_q_while_training_runs_ends_the_worker_and_the_child():
    app = MicroGPTApp(small_spec(steps=100_000, paused=False), "names · 50 docs")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.progress.step >= 5)
        worker = next(w for w in app.workers if w.group == "training")
        process = app.connection.process
        await pilot.press("q", "d")  # d: quit without saving
    process.join(10.0)  # a timeout only against a hang
    assert process.exitcode is not None
    assert worker.is_finished
