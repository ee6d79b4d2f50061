"""Each pane pinned at 120x40, zoomed in the app, and the zoomed heatmap of mlp_fc1.

The app runs the default model on the fifty names of conftest, started paused and stepped
three times with the fixed seed, so every picture is the same from run to run.
"""

import pytest
from textual.widgets import DataTable, Input

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.training.bridge import InProcessTraining

from conftest import FIFTY_NAMES, run_spec
from test_tui_app import started, wait_for

SIZE = (120, 40)
STEPS = 3


def default_model_app() -> MicroGPTApp:
    config = ModelConfig(Tokenizer.from_documents(FIFTY_NAMES).vocab_size)  # the default model's shape
    spec = run_spec(FIFTY_NAMES, config, TrainConfig(steps=30, seed=42), "fast", start_paused=True, name="names")
    return MicroGPTApp(spec, "names · 50 docs", connection=InProcessTraining(spec, step_every=0.05))


async def stepped_and_zoomed(pilot, pane_id: str) -> None:
    """Three steps, then the pane zoomed; every text box with a still cursor."""
    app = pilot.app
    await started(pilot)
    for expected in range(1, STEPS + 1):
        await pilot.press("n")
        await wait_for(pilot, lambda: app.latest_snapshot.step == expected)
    await pilot.pause(0.3)  # the panes' redraw of the last snapshot
    for box in app.query(Input):
        box.cursor_blink = False
    app.screen.maximized = app.query_one(f"#{pane_id}")
    await pilot.pause(0.2)


@pytest.mark.parametrize("pane_id", ["loss", "attention", "parameters", "sample"])
def test_each_pane_zoomed_at_120x40(snap_compare, pane_id):
    async def before(pilot):
        await stepped_and_zoomed(pilot, pane_id)

    assert snap_compare(default_model_app(), terminal_size=SIZE, run_before=before)


def test_the_zoomed_heatmap_of_mlp_fc1_at_120x40(snap_compare):
    """All 64 rows and 16 columns of mlp_fc1 fit the zoomed parameters pane."""

    async def before(pilot):
        await stepped_and_zoomed(pilot, "parameters")
        table = pilot.app.query_one("#params-table", DataTable)
        table.move_cursor(row=table.get_row_index("layer0.mlp_fc1"))
        await pilot.pause(0.2)
        assert pilot.app.query_one("#parameters").matrix_name == "layer0.mlp_fc1"

    assert snap_compare(default_model_app(), terminal_size=SIZE, run_before=before)
