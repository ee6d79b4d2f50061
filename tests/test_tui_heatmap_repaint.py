"""A heatmap given a new grid of the same shape repaints only the lines that changed, and never
shows a line drawn for the old grid."""

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region

from microgpt_tui.tui.panes.attention_pane import AttentionPane
from microgpt_tui.tui.widgets.heatmap import ColourScale, Heatmap

from conftest import TUI_DIR, OnePaneApp

SCALE = ColourScale.sequential(0, 1)
LABELS = ["◆", "a", "b", "c"]
OLD = [[1.0, None, None, None], [0.5, 0.5, None, None], [0.2, 0.3, 0.5, None], [0.1, 0.2, 0.3, 0.4]]
# row 2 and its label change; the other rows stay
NEW = [[1.0, None, None, None], [0.5, 0.5, None, None], [0.9, 0.05, 0.05, None], [0.1, 0.2, 0.3, 0.4]]
NEW_LABELS = ["◆", "a", "x", "c"]


class TwoHeatmaps(App):
    """`reused` shows OLD then NEW; `fresh` shows only NEW: both must draw the same."""

    AUTO_FOCUS = None

    def __init__(self, half_blocks: bool) -> None:
        super().__init__()
        self.half_blocks = half_blocks

    def compose(self) -> ComposeResult:
        yield Heatmap(cell_width=2, half_blocks=self.half_blocks, id="reused")
        yield Heatmap(cell_width=2, half_blocks=self.half_blocks, id="fresh")


class AttentionApp(OnePaneApp):
    CSS_PATH = TUI_DIR / "panes" / "attention_pane.tcss"
    AUTO_FOCUS = None
    PANE = AttentionPane


def drawn(heatmap: Heatmap) -> list[list]:
    """Every line as the compositor gets it, through Textual's own cache of rendered lines."""
    return [list(strip) for strip in heatmap.render_lines(Region(0, 0, *heatmap.size))]


@pytest.mark.parametrize("half_blocks", [False, True])
async def test_a_new_grid_of_the_same_shape_draws_exactly_what_a_fresh_heatmap_draws(half_blocks):
    app = TwoHeatmaps(half_blocks)
    async with app.run_test(size=(30, 16)) as pilot:
        reused, fresh = app.query_one("#reused", Heatmap), app.query_one("#fresh", Heatmap)
        reused.show(OLD, LABELS, LABELS, SCALE)
        await pilot.pause()
        before = drawn(reused)
        reused.show(NEW, NEW_LABELS, NEW_LABELS, SCALE)
        fresh.show(NEW, NEW_LABELS, NEW_LABELS, SCALE)
        await pilot.pause()
        after = drawn(reused)
        assert after == drawn(fresh)
        assert after != before  # the test would see a stale line


async def test_only_the_lines_that_changed_are_drawn_again():
    app = TwoHeatmaps(half_blocks=False)
    async with app.run_test(size=(30, 16)) as pilot:
        heatmap = app.query_one("#reused", Heatmap)
        heatmap.show(OLD, LABELS, LABELS, SCALE)
        await pilot.pause()
        drawn(heatmap)
        lines_drawn = []
        original = heatmap.render_line

        def render_line(y):
            lines_drawn.append(y)
            return original(y)

        heatmap.render_line = render_line
        heatmap.show(NEW, LABELS, LABELS, SCALE)  # same labels: only row 2 changed, on screen line 3
        drawn(heatmap)
        assert lines_drawn == [3]


async def test_the_same_levels_on_another_ramp_redraw_every_line():
    app = TwoHeatmaps(half_blocks=False)
    async with app.run_test(size=(30, 16)) as pilot:
        heatmap, fresh = app.query_one("#reused", Heatmap), app.query_one("#fresh", Heatmap)
        heatmap.show(OLD, LABELS, LABELS, SCALE)
        await pilot.pause()
        drawn(heatmap)
        diverging = ColourScale(0, 1, diverging=True)  # the same levels, other colours
        heatmap.show(OLD, LABELS, LABELS, diverging)
        fresh.show(OLD, LABELS, LABELS, diverging)
        await pilot.pause()
        assert drawn(heatmap) == drawn(fresh)


async def test_the_attention_pane_given_new_weights_draws_what_a_fresh_pane_draws(two_snapshots):
    """The pane repaints only what changed between steps: the result must match a pane shown the new step alone."""
    def grids(app) -> list[list[list]]:
        return [drawn(grid) for grid in app.pane.query(Heatmap)]

    first, second = two_snapshots
    stepped, fresh = AttentionApp(first), AttentionApp(second)
    async with stepped.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        before = grids(stepped)
        stepped.pane.show_snapshot(second)
        await pilot.pause()
        after = grids(stepped)
    async with fresh.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert after == grids(fresh)
    assert after != before
