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
