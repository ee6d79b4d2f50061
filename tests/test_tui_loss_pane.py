"""The loss pane: the moving average, the curve's columns and scale, the numbers, its look."""

import math
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Sparkline

import microgpt_tui.tui.panes.loss_pane as loss_pane_module
from microgpt_tui.engine.trainer import StepRecord
from microgpt_tui.tui.panes.loss_pane import LossCurve, LossHistory, LossPane

TUI_DIR = Path(loss_pane_module.__file__).parent


def records(losses, start: int = 1) -> list[StepRecord]:
    return [StepRecord(start + i, loss, 0.01, 0.001, "emma") for i, loss in enumerate(losses)]


def made_up_losses(n: int) -> list[float]:
    """A loss that falls from ln 27 towards 2.3, with the per-name jitter of real training."""
    return [2.3 + 1.0 * math.exp(-i / 120) + 0.35 * math.sin(i * 1.7) for i in range(n)]


def test_moving_average_over_the_last_window():
    history = LossHistory(window=3)
    for loss in (3.0, 2.0, 1.0, 0.0):
        history.add(loss)
    assert history.smoothed == [3.0, 2.5, 2.0, 1.0]
    assert history.best_smoothed == (4, 1.0)


def test_moving_average_stays_exact_over_a_long_run():
    history = LossHistory(window=50)
    losses = made_up_losses(1000)
    for loss in losses:
        history.add(loss)
    assert history.smoothed[-1] == pytest.approx(sum(losses[-50:]) / 50, rel=1e-12)


def test_curve_columns_follow_the_whole_run():
    history = LossHistory(window=1)
    for loss in (4.0, 3.0, 2.0):
        history.add(loss)
    curve = LossCurve(history)
    curve.total_steps = 6
    # each of 3 columns covers 2 steps; only the first column's steps are done
    assert curve.column_values(3) == [3.0, None, None]
    curve.total_steps = 3
    assert curve.column_values(3) == [4.0, 3.0, 2.0]


def test_scale_always_includes_the_uniform_guess():
    history = LossHistory()
    history.add(2.5)
    curve = LossCurve(history)
    curve.uniform_loss = math.log(27)
    lo, hi = curve.value_range()
    assert lo < 2.5 and hi >= math.log(27)


class LossApp(App):
    CSS_PATH = TUI_DIR / "loss_pane.tcss"

    def compose(self) -> ComposeResult:
        yield LossPane()


async def fill(pane: LossPane, pilot, steps: int = 300) -> None:
    pane.set_run(total_steps=1000, vocab_size=27)
    pane.add_steps(records(made_up_losses(steps)))
    for step in range(100, steps + 1, 100):
        pane.add_validation(step, 2.3 + 1.0 * math.exp(-step / 120) + 0.05, 50)
    await pilot.pause(0.25)


async def test_numbers_show_current_smoothed_best_validation_and_uniform():
    app = LossApp()
    async with app.run_test(size=(60, 20)) as pilot:
        pane = app.query_one(LossPane)
        assert "no steps yet" in str(pane.numbers())
        await fill(pane, pilot)
        text = str(pane.numbers())
        losses = made_up_losses(300)
        assert f"now {losses[-1]:.3f}" in text
        assert f"smoothed {sum(losses[-50:]) / 50:.3f} (last 50)" in text
        assert "best " in text
        assert "validation 2.432 @ 300 (50 held-out names)" in text
        assert f"uniform guess {math.log(27):.3f} = ln 27" in text


async def test_strip_shows_one_column_per_recent_step():
    app = LossApp()
    async with app.run_test(size=(60, 20)) as pilot:
        pane = app.query_one(LossPane)
        await fill(pane, pilot, steps=5)
        sparkline = app.query_one("#per-step", Sparkline)
        assert list(sparkline.data) == made_up_losses(5)
        assert sparkline.size.width == 5  # not stretched across the pane
        await fill(pane, pilot, steps=300)
        assert len(sparkline.data) == pane.content_size.width == sparkline.size.width


def test_loss_pane_look(snap_compare):
    async def with_300_steps(pilot):
        await fill(pilot.app.query_one(LossPane), pilot)

    assert snap_compare(LossApp(), terminal_size=(60, 20), run_before=with_300_steps)


# --- the step strip inside the pane, picking steps, and the baselines ---------------------

from microgpt_tui.engine.baselines import Baselines  # noqa: E402
from microgpt_tui.engine.checkpoint import StepTrace  # noqa: E402
from microgpt_tui.engine.config import ModelConfig, TrainConfig  # noqa: E402
from microgpt_tui.engine.tokenizer import Tokenizer  # noqa: E402
from microgpt_tui.engine.trainer import Trainer  # noqa: E402
from microgpt_tui.tui.panes.loss_pane import StepBars  # noqa: E402
from microgpt_tui.tui.training.snapshot import snapshot_of  # noqa: E402
from microgpt_tui.tui.widgets.step_strip import StepStrip  # noqa: E402
from textual.widgets import Static  # noqa: E402

from conftest import FIFTY_NAMES  # noqa: E402


def trained(steps: int):
    """A small model on FIFTY_NAMES after `steps` steps: its trainer and the steps' records."""
    config = ModelConfig(Tokenizer.from_documents(FIFTY_NAMES).vocab_size, n_embd=8, n_head=2, block_size=8)
    trainer = Trainer(FIFTY_NAMES, config, TrainConfig(steps=100, seed=42))
    return trainer, [trainer.step() for _ in range(steps)]


def show_steps(app, trainer, steps) -> LossPane:
    """The app's loss pane, told of a 100-step run on `trainer`'s vocabulary and given `steps`."""
    pane = app.query_one(LossPane)
    pane.set_run(total_steps=100, vocab_size=trainer.config.vocab_size)
    pane.add_steps(steps)
    return pane


def strip_text(app) -> list[str]:
    return app.query_one(StepStrip).render().plain.split("\n")


async def test_the_strip_tells_the_latest_step_character_by_character():
    trainer, steps = trained(3)
    app = LossApp()
    async with app.run_test(size=(60, 24)) as pilot:
        assert strip_text(app)[0] == "no step taken yet: press n to take one"
        pane = show_steps(app, trainer, steps)
        pane.show_snapshot(snapshot_of(trainer))
        await pilot.pause(0.3)
        last = steps[-1]
        header, chars, probabilities, detail = strip_text(app)
        assert header.startswith(f"step 3 · {last.doc!r} · loss {last.loss:.3f}") and header.endswith("latest")
        # each predicted character, then BOS, over the probability the model gave it before the update
        assert chars.split() == [*last.doc, "◆"][: len(last.predictions)]  # the first block_size of them
        assert probabilities.split() == ["<1%" if pr.p < 0.01 else f"{pr.p:.0%}" for pr in last.predictions]
        hardest = min(last.predictions, key=lambda pr: pr.p)  # described until another is picked
        assert f"surprise {hardest.surprise:.2f}" in detail
        assert app.query_one("#step-marker", Static).content == "  ▲"  # under the third bar


async def test_left_and_right_pick_a_step_of_the_run_and_a_click_picks_a_bar():
    trainer, steps = trained(5)
    app = LossApp()
    async with app.run_test(size=(60, 24)) as pilot:
        pane = show_steps(app, trainer, steps)
        await pilot.pause(0.3)
        app.query_one(StepBars).focus()
        await pilot.press("left", "left")
        assert pane.shown_step == pane.picked_step == 3
        assert strip_text(app)[0].startswith(f"step 3 · {steps[2].doc!r} · loss {steps[2].loss:.3f}")
        assert app.query_one("#step-marker", Static).content == "  ▲ picked"
        pane.add_steps(trained(6)[1][5:])  # a step more arrives: the pick stays
        await pilot.pause(0.3)
        assert pane.shown_step == 3
        await pilot.press("right", "right", "right")  # past the last step: following again
        assert pane.picked_step is None and pane.shown_step == 6
        await pilot.click("#per-step", offset=(0, 1))  # the first bar
        assert pane.shown_step == 1 and strip_text(app)[0].startswith(f"step 1 · {steps[0].doc!r}")
        await pilot.press("end")
        assert pane.shown_step == 6


async def test_the_strip_picks_a_character_and_tells_its_surprise_and_top_guesses():
    trainer, steps = trained(2)
    app = LossApp()
    async with app.run_test(size=(60, 24)) as pilot:
        pane = show_steps(app, trainer, steps)
        pane.show_snapshot(snapshot_of(trainer))
        await pilot.pause(0.3)
        strip = app.query_one(StepStrip)
        strip.focus()
        await pilot.press("left", "left", "left", "left", "left", "left", "left", "left")  # to the first character
        assert strip.picked == 0
        await pilot.press("right")
        first = steps[-1].predictions[1]
        symbol = trainer.tokenizer.symbol
        detail = strip_text(app)[3]
        guesses = " ".join(f"{symbol(token)!r} {q:.0%}" for token, q in first.top)
        assert detail == f"{steps[-1].doc[1]!r} {first.p:.0%}  surprise {first.surprise:.2f}  top {guesses}"
        await pilot.click(StepStrip, offset=(0, 1))  # the first character's cell
        assert strip.picked == 0


async def test_a_loaded_run_says_which_steps_it_kept_nothing_of():
    app = LossApp()
    async with app.run_test(size=(60, 24)) as pilot:
        pane = app.query_one(LossPane)
        pane.set_run(total_steps=100, vocab_size=27)
        # five steps were taken before the checkpoint; it kept the last two steps' names and p's
        pane.replace_history([3.1, 3.0, 2.9, 2.8, 2.7], steps=[StepTrace("ava", (0.1, 0.2, 0.3, 0.4)),
                                                               StepTrace("mia", (0.5, 0.25, 0.125, 0.0625))])
        await pilot.pause(0.3)
        header, chars, probabilities, detail = strip_text(app)
        assert header.startswith("step 5 · 'mia' · loss 2.700")
        assert probabilities.split() == ["50%", "25%", "12%", "6%"]
        assert detail == "'◆' 6%  surprise 2.77  top guesses not kept"
        app.query_one(StepBars).focus()
        await pilot.press("left")
        assert strip_text(app)[0].startswith("step 4 · 'ava' · loss 2.800")
        await pilot.press("left")
        header, why = strip_text(app)
        assert header.startswith("step 3 · loss 2.900") and header.endswith("picked (end: latest)")
        assert why == "name not kept: loaded from a checkpoint without it"


BASELINES = Baselines(held_out=50, uniform=math.log(27), unigram=2.83, bigram=2.46)


async def test_baselines_are_drawn_as_labelled_lines_and_read_against_validation():
    app = LossApp()
    async with app.run_test(size=(60, 30)) as pilot:
        pane = app.query_one(LossPane)
        pane.set_baselines(BASELINES)
        await fill(pane, pilot)
        curve = app.query_one(LossCurve)
        lines = [curve.render_line(y).text for y in range(curve.size.height)]
        drawn = {}
        for line in lines:
            for label in ("uniform", "unigram", "bigram"):
                if line.rstrip().endswith(f" {label}"):
                    drawn[label] = line
        assert set(drawn) == {"uniform", "unigram", "bigram"}
        assert drawn["unigram"].startswith("2.83 ┤") and drawn["bigram"].startswith("2.46 ┤")
        assert drawn["uniform"].startswith(f"{math.log(27):.2f} ┤")
        # each a line across the chart: dotted for the counting models, over the curve's area too
        assert drawn["bigram"].count("┈") > 30 and drawn["unigram"].count("┈") > 30 and drawn["uniform"].count("╌") > 30
        rows = [lines.index(drawn[label]) for label in ("uniform", "unigram", "bigram")]
        assert rows == sorted(rows)  # highest loss on top
        text = str(pane.numbers())
        assert "validation 2.432 @ 300 (50 names) · ┈ bigram 2.460" in text
        assert f"uniform guess {math.log(27):.3f} = ln 27 · ┈ unigram 2.830" in text


def test_the_curve_scale_includes_the_baselines():
    history = LossHistory()
    history.add(3.0)
    curve = LossCurve(history)
    curve.baselines = Baselines(held_out=5, uniform=math.log(27), unigram=2.8, bigram=2.1)
    lo, _ = curve.value_range()
    assert lo < 2.1


def test_loss_pane_look_with_the_step_strip_and_baselines(snap_compare):
    async def with_steps_and_baselines(pilot):
        trainer, steps = trained(40)
        pane = pilot.app.query_one(LossPane)
        pane.set_run(total_steps=100, vocab_size=trainer.config.vocab_size)
        pane.set_baselines(Baselines(held_out=5, uniform=math.log(trainer.config.vocab_size), unigram=2.95, bigram=2.62))
        pane.add_steps(steps)
        pane.show_snapshot(snapshot_of(trainer))
        await pilot.pause(0.3)

    assert snap_compare(LossApp(), terminal_size=(60, 24), run_before=with_steps_and_baselines)
