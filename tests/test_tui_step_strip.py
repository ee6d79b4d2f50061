"""One step, told truthfully: the step strip's look, and every pane of the app naming the same step.

After each `n`, the status line, the loss pane's step strip, the attention pane and the
parameters pane all tell of the step just taken and the name it trained on, and the
gradient the parameters pane draws is that step's: the only rows of wte it touches are
those of the name's characters and BOS.
"""

import math
import time

from textual.app import App, ComposeResult
from textual.widgets import Static

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.inference import Prediction
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.panes.attention_pane import AttentionPane
from microgpt_tui.tui.panes.loss_pane import LossPane
from microgpt_tui.tui.panes.parameters_pane import ParametersPane
from microgpt_tui.tui.status_line import StatusLine
from microgpt_tui.tui.training.bridge import InProcessTraining
from microgpt_tui.tui.widgets.heatmap import Heatmap
from microgpt_tui.tui.widgets.step_strip import StepStrip, StepView, percent
from conftest import FIFTY_NAMES, run_spec


# ---- the strip alone ----------------------------------------------------------------

SYMBOLS = [*"aeiklmy", "◆"]  # token ids 0..6 are letters, 7 is BOS


def prediction(target: int, p: float, top: list[tuple[int, float]]) -> Prediction:
    return Prediction(target, p, -math.log(p), tuple(top))


# 'kayle': k a y l e, then BOS; made-up numbers, so the picture never moves
KAYLE = StepView(
    step=17, loss=2.913, doc="kayle",
    p=(0.04, 0.31, 0.004, 0.12, 0.45, 0.62),
    top=tuple(pr.top for pr in (
        prediction(3, 0.04, [(0, 0.21), (5, 0.14), (3, 0.04)]),
        prediction(0, 0.31, [(0, 0.31), (1, 0.2), (2, 0.1)]),
        prediction(6, 0.004, [(5, 0.3), (4, 0.2), (2, 0.1)]),
        prediction(4, 0.12, [(1, 0.4), (2, 0.15), (4, 0.12)]),
        prediction(1, 0.45, [(1, 0.45), (0, 0.2), (2, 0.1)]),
        prediction(7, 0.62, [(7, 0.62), (1, 0.1), (0, 0.05)]),
    )),
)


class StripApp(App):
    AUTO_FOCUS = None

    def compose(self) -> ComposeResult:
        yield StepStrip()

    def on_mount(self) -> None:
        strip = self.query_one(StepStrip)
        strip.vocab_size = len(SYMBOLS)
        strip.show(KAYLE, SYMBOLS)


def test_percent_never_says_zero_for_a_probability_above_zero():
    assert [percent(p) for p in (1e-9, 0.005, 0.0099, 0.01, 0.31, 1.0)] == ["<1%", "<1%", "<1%", "1%", "31%", "100%"]


async def test_the_strip_reads_a_step_character_by_character():
    app = StripApp()
    async with app.run_test(size=(60, 6)) as pilot:
        strip = app.query_one(StepStrip)
        header, chars, probabilities, detail = strip.render().plain.split("\n")
        assert header.startswith("step 17 · 'kayle' · loss 2.913") and header.endswith("latest")
        assert chars.split() == ["k", "a", "y", "l", "e", "◆"]
        assert probabilities.split() == ["4%", "31%", "<1%", "12%", "45%", "62%"]
        # until one is picked, the hardest character is described: 'y', which the model gave 0.4%
        assert detail == f"'y' <1%  surprise {-math.log(0.004):.2f}  top 'm' 30% 'l' 20% 'i' 10%"
        strip.focus()
        await pilot.press("right")
        assert strip.picked == 3
        assert strip.render().plain.split("\n")[3] == f"'l' 12%  surprise {-math.log(0.12):.2f}  top 'e' 40% 'i' 15% 'l' 12%"
        await pilot.press("right", "right", "right")  # stops at the last position, BOS
        assert strip.picked == 5
        await pilot.click(StepStrip, offset=(6, 2))  # the second cell, on its percentage
        assert strip.picked == 1


def test_step_strip_look(snap_compare):
    async def pick_the_l(pilot):
        strip = pilot.app.query_one(StepStrip)
        strip.focus()
        await pilot.press("right")

    assert snap_compare(StripApp(), terminal_size=(60, 6), run_before=pick_the_l)


# ---- every pane of the app names the same step --------------------------------------


def tiny_app() -> MicroGPTApp:
    config = ModelConfig(Tokenizer.from_documents(FIFTY_NAMES).vocab_size, n_embd=8, n_head=2, block_size=8)
    spec = run_spec(FIFTY_NAMES, config, TrainConfig(steps=30, seed=42), "scalar", start_paused=True, name="names")
    return MicroGPTApp(spec, "names · 50 docs", connection=InProcessTraining(spec, step_every=0.05))


async def wait_for(pilot, condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.02)


def what_each_pane_says(app) -> dict[str, str]:
    return {
        "status": str(app.query_one(StatusLine).render()),
        "loss": app.query_one(StepStrip).render().plain.split("\n")[0],
        "attention": str(app.query_one("#attention-info", Static).content),
        "parameters": str(app.query_one("#params-heading", Static).content).split("\n")[0],
    }


async def check_every_pane_shows_the_last_step(app, pilot, step: int) -> None:
    await wait_for(pilot, lambda: app.latest_snapshot is not None and app.latest_snapshot.step == step)
    await pilot.pause(0.3)  # the panes' redraws
    snapshot = app.latest_snapshot
    name = snapshot.trained_on
    loss_pane = app.query_one(LossPane)
    # the name is the one step `step` trained on, by the loss pane's own record of that step
    assert loss_pane.traces[step - 1].doc == name
    said = what_each_pane_says(app)
    assert f"step {step:>2}/30" in said["status"]
    assert said["loss"].startswith(f"step {step} · {name!r} · loss {loss_pane.history.losses[step - 1]:.3f}")
    assert said["attention"] == f"following step {step}: {name!r}"
    assert app.query_one(AttentionPane).word == name
    assert said["parameters"].startswith(f"step {step} · {name!r}")

    # the gradient view shows this step's gradient: it touches the embedding rows of the
    # tokens the step read, BOS and the name's characters (as many as the block holds), and no others
    parameters = app.query_one(ParametersPane)
    parameters.set_kind("grad")
    await pilot.pause()
    heatmap = parameters.query_one("#params-heatmap", Heatmap)
    assert heatmap.values == snapshot.grads["wte"]
    touched = {row for row, values in enumerate(heatmap.values) if any(values)}
    tokenizer, block_size = snapshot.tokenizer, snapshot.config.block_size
    read = tokenizer.encode_document(name)[:block_size]
    assert touched == set(read) == {tokenizer.bos, *tokenizer.encode(name[: block_size - 1])}


async def test_before_the_first_step_every_pane_says_none_was_taken():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        await pilot.pause(0.3)
        said = what_each_pane_says(app)
        assert "step  0/30" in said["status"]
        assert said["loss"] == "no step taken yet: press n to take one"
        assert said["attention"].startswith("no step yet · next: ")
        assert said["parameters"].startswith("no step taken yet")


async def test_after_n_and_after_five_more_every_pane_names_the_same_step_and_name():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        await pilot.press("n")
        await check_every_pane_shows_the_last_step(app, pilot, 1)
        await pilot.press("n", "n", "n", "n", "n")
        await check_every_pane_shows_the_last_step(app, pilot, 6)


# ---- what the run tells the app about its steps and its baselines -------------------

from microgpt_tui.engine.baselines import baselines  # noqa: E402
from microgpt_tui.tui.training.protocol import Ready, Step, StepsTaken  # noqa: E402
from microgpt_tui.tui.training.session import TrainingSession  # noqa: E402


def test_ready_carries_the_baselines_and_a_resumed_run_its_step_history():
    config = ModelConfig(Tokenizer.from_documents(FIFTY_NAMES).vocab_size, n_embd=8, n_head=2, block_size=8)
    spec = run_spec(FIFTY_NAMES, config, TrainConfig(steps=30, seed=42), "fast", start_paused=True, name="names")
    sent = []
    session = TrainingSession(spec, sent.append)
    ready = sent[0]
    trainer = session.trainer
    assert isinstance(ready, Ready) and ready.step_history == ()
    assert ready.baselines == baselines(trainer.train_docs, trainer.val_docs, trainer.tokenizer, config.block_size)
    assert ready.baselines.held_out == len(trainer.val_docs) == 5
    session.handle(Step(3))
    while session.running:
        session.advance()
    records = [r for report in sent if isinstance(report, StepsTaken) for r in report.records]
    assert [len(r.predictions) for r in records] == [min(8, len(r.doc) + 1) for r in records]

    resumed = []
    TrainingSession(run_spec(FIFTY_NAMES, config, TrainConfig(steps=30, seed=42), "fast", start_paused=True,
                             resume=trainer.checkpoint("names", ""), name="names"), resumed.append)
    assert resumed[0].losses == tuple(r.loss for r in records)
    assert [trace.doc for trace in resumed[0].step_history] == [r.doc for r in records]


async def test_a_name_wider_than_the_strip_scrolls_to_keep_the_picked_character_in_view():
    long_name = StepView(step=3, loss=2.5, doc="maximilianos", p=tuple(0.1 + 0.05 * i for i in range(13)))
    app = StripApp()
    async with app.run_test(size=(30, 6)) as pilot:  # room for 6 positions of 13
        strip = app.query_one(StepStrip)
        strip.show(long_name)
        strip.focus()
        await pilot.press("left")  # from the hardest (the first) nowhere further left
        chars = strip.render().plain.split("\n")[1]
        assert chars.split()[:6] == list("maximi") and chars.endswith("…")
        for _ in range(12):
            await pilot.press("right")
        assert strip.picked == 12
        chars = strip.render().plain.split("\n")[1]
        assert chars.startswith("…") and chars.split()[-1] == "◆"
