"""Checking a gradient from the parameters pane (issue 16, item 5), driven by Pilot.

`c` on the heatmap's selected weight checks the shown step's gradient for it by finite
differences, in a thread, on a copy of the weights from before the step.
"""

import time

from textual.widgets import DataTable, Static

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.gradient_check import check_gradient, relative_error
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.panes.parameters_pane import ParametersPane, weights_before_step
from microgpt_tui.tui.training.snapshot import snapshot_of
from microgpt_tui.tui.widgets.heatmap import Heatmap

from conftest import FIFTY_NAMES, TUI_DIR, OnePaneApp

NAME = "layer0.mlp_fc1"


class ParametersApp(OnePaneApp):
    CSS_PATH = TUI_DIR / "panes" / "parameters_pane.tcss"
    PANE = ParametersPane


async def wait_for(pilot, condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.02)


def largest_gradient(snapshot, name) -> tuple[int, int]:
    """The weight of `name` with the largest gradient: a weight the step surely moved."""
    matrix = snapshot.grads[name]
    return max(((r, c) for r in range(len(matrix)) for c in range(len(matrix[0]))), key=lambda rc: abs(matrix[rc[0]][rc[1]]))


async def show_weight(pilot, app, row: int, column: int) -> Heatmap:
    table = app.query_one("#params-table", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(NAME))
    await pilot.press("enter")  # onto the heatmap
    heatmap = app.query_one("#params-heatmap", Heatmap)
    heatmap.move_cursor_to(row, column)
    await pilot.pause()
    return heatmap


async def test_c_checks_the_selected_weights_gradient_by_finite_differences(model_snapshot):
    snapshot = model_snapshot
    row, column = largest_gradient(snapshot, NAME)
    assert snapshot.grads[NAME][row][column] != 0
    weights = {name: [list(r) for r in matrix] for name, matrix in snapshot.weights.items()}
    app = ParametersApp(snapshot)
    async with app.run_test(size=(160, 40)) as pilot:
        heatmap = await show_weight(pilot, app, row, column)
        assert heatmap.has_focus and app.pane.matrix_name == NAME
        await pilot.press("c")
        await wait_for(pilot, lambda: app.pane.gradient_check is not None)
        check = app.pane.gradient_check
        tokens = snapshot.tokenizer.encode_document(snapshot.trained_on)
        expected = check_gradient(snapshot.config, weights_before_step(snapshot), tokens, NAME, row, column)
        assert check == expected  # the same finite differences, h and engine gradient, to the last bit
        assert check.relative_error < 1e-6
        # the engine's gradient before the step is the one the step used
        assert relative_error(check.engine, snapshot.grads[NAME][row][column]) < 1e-9
        line = str(app.query_one("#params-check", Static).content)
        assert line == (
            f"d loss / d {NAME}[{row}][{column}]: finite differences {expected.numerical:.4e} (h {expected.h:.0e})"
            f" · engine {expected.engine:.4e} · relative error {expected.relative_error:.0e}"
            f" · the step's gradient {snapshot.grads[NAME][row][column]:.4e}"
        )
        # the run's weights are untouched
        assert {name: [list(r) for r in matrix] for name, matrix in snapshot.weights.items()} == weights


async def test_before_any_step_there_is_no_step_to_check():
    vocab_size = Tokenizer.from_documents(FIFTY_NAMES).vocab_size
    fresh = snapshot_of(Trainer(FIFTY_NAMES, ModelConfig(vocab_size=vocab_size), TrainConfig(steps=20, seed=42)))
    app = ParametersApp(fresh)
    async with app.run_test(size=(160, 40)) as pilot:
        await show_weight(pilot, app, 0, 0)
        await pilot.press("c")
        await pilot.pause()
        assert str(app.query_one("#params-check", Static).content) == "no step to check: no step taken yet"
        assert app.pane.gradient_check is None
