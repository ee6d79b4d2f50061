"""How the app fits the terminal: two columns or a stack, zoom, a footer and status line that fit, every key in the help."""

import pytest
from textual.widgets import Footer, Input

from microgpt_tui.tui.app import MicroGPTApp, key_name
from microgpt_tui.tui.panes.attention_pane import AttentionPane
from microgpt_tui.tui.panes.loss_pane import LossPane
from microgpt_tui.tui.panes.parameters_pane import ParametersPane
from microgpt_tui.tui.panes.sample_pane import SamplePane
from microgpt_tui.tui.screens.help_screen import HelpScreen
from microgpt_tui.tui.status_line import StatusLine

from conftest import text_of
from test_tui_app import started, tiny_app, wait_for

PANES = ("loss", "attention", "parameters", "sample")


def footer_keys(app) -> list:
    return list(app.query_one(Footer).query("FooterKey"))


@pytest.mark.parametrize("size", [(100, 30), (120, 40), (200, 60)])
async def test_from_100x30_up_the_panes_stand_in_two_columns(size):
    app = tiny_app()
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await pilot.pause(0.1)
        loss, attention, parameters, sample = (app.query_one(f"#{pane}").region for pane in PANES)
        assert loss.y == attention.y and loss.right <= attention.x  # side by side
        assert parameters.y == sample.y >= loss.bottom
        assert app.query_one(StatusLine).size.height == 1


@pytest.mark.parametrize("size", [(99, 30), (100, 29), (80, 24)])
async def test_below_100x30_the_panes_stack(size):
    app = tiny_app()
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await pilot.pause(0.1)
        regions = [app.query_one(f"#{pane}").region for pane in PANES]
        assert all(r.x == regions[0].x for r in regions)  # one column
        assert app.query_one("#panes").styles.layout.name == "vertical"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_z_zooms_each_pane_and_z_or_escape_restores(size):
    app = tiny_app()
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await pilot.pause(0.1)
        width, height = size
        status_height = app.query_one(StatusLine).size.height
        assert status_height == (2 if width < 100 else 1)
        for number, pane_id in enumerate(PANES):
            pane = app.query_one(f"#{pane_id}")
            # a control of the pane, not a text box (where z is a letter)
            next(w for w in pane.walk_children(with_self=True) if w.focusable and not isinstance(w, Input)).focus()
            await pilot.pause()
            await pilot.press("z")
            await pilot.pause(0.1)
            assert app.screen.maximized is pane
            # the pane fills the screen between the status line and the footer
            assert pane.region.width == width and pane.region.height == height - status_height - 1
            assert pane.region.y == status_height  # under the status line
            assert any(k.description == "Unzoom" for k in footer_keys(app))  # the footer says how back
            assert app.query_one(StatusLine).region.height == status_height  # still there
            if number % 2:
                await pilot.press("z")
            else:
                app.set_focus(None)  # escape would first leave a text box
                await pilot.press("escape")
            await pilot.pause(0.1)
            assert app.screen.maximized is None
            assert pane.region.width < width or pane.region.height < height - status_height - 1
            assert any(k.description == "Zoom" for k in footer_keys(app))


async def test_z_with_nothing_focused_zooms_the_loss_pane_and_space_still_works():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert app.focused is None
        await pilot.press("z")
        await pilot.pause(0.1)
        assert app.screen.maximized is app.query_one(LossPane)
        await pilot.press("n")  # the app's keys work while zoomed
        await wait_for(pilot, lambda: app.progress.step == 1)


async def test_z_types_into_a_text_box():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        box = app.query_one("#sample-prefix")
        box.focus()
        await pilot.press("z")
        assert box.value == "z" and app.screen.maximized is None


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_the_footer_fits_with_no_key_cut(size):
    app = tiny_app()
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        # the footer draws its keys anew when the bindings change (PAUSED): wait for them laid out
        await wait_for(pilot, lambda: footer_keys(app) and all(k.region.width for k in footer_keys(app)))
        keys = footer_keys(app)
        shown = [k.description for k in keys]
        for description in ("Pause", "Step", "Zoom", "Help", "Quit"):
            assert description in shown
        for key in keys:
            text = key.render().plain if hasattr(key.render(), "plain") else str(key.render())
            assert key.description in text and key.region.right <= size[0]
            assert len(text.rstrip()) <= key.region.width  # the whole label is drawn
        regions = sorted((k.region for k in keys), key=lambda r: r.x)
        assert all(a.right <= b.x for a, b in zip(regions, regions[1:]))  # none drawn over another


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40)])
async def test_the_status_line_fits_a_long_running_run(size):
    app = tiny_app(steps=100_000)
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.progress.step >= 3)
        app.progress.steps_per_second, app.progress.pace = 1234.5, 200
        app._redraw_status()
        line = app.query_one(StatusLine)
        await pilot.pause()
        lines = line.render().plain.split("\n")
        assert len(lines) == line.size.height
        assert all(len(text) <= line.content_size.width for text in lines)
        assert "RUNNING" in lines[-1] and "/s (pace 200)" in lines[-1] and "lr 0.0" in lines[-1]


async def test_the_help_lists_every_key_of_the_app_and_its_panes():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one("Markdown").source
        for binding in MicroGPTApp.BINDINGS:
            assert f"| `{key_name(binding)}` | {binding.tooltip} |" in text
        for key in ("ctrl+s", "ctrl+o", "`<`", "`>`", "`g`", "`←`", "`→`", "`↑`", "`↓`", "`z`", "ctrl+p"):
            assert key in text
        for pane in (LossPane, AttentionPane, ParametersPane, SamplePane):
            for binding in pane.BINDINGS:
                assert f"| `{key_name(binding)}` | {binding.tooltip or binding.description} |" in text


async def test_tab_visits_each_pane_once_and_comes_back_to_the_first():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.pause(0.1)
        first = next(w for w in app.screen.focus_chain if app.query_one("#loss") in w.ancestors_with_self)
        first.focus()
        await pilot.pause()
        visited = []
        for _ in range(len(PANES)):
            await pilot.press("tab")
            visited.append(app._focused_pane().id)
        assert visited == ["attention", "parameters", "sample", "loss"]
        assert app.focused is first


async def test_keys_of_a_pane_reach_what_tab_passes_by():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: app.latest_snapshot.step == 1)
        app.query_one("#per-step").focus()
        await pilot.press("down")
        assert app.focused is app.query_one("#step-strip")
        await pilot.press("up")
        assert app.focused is app.query_one("#per-step")
        app.query_one("#params-table").focus()
        await pilot.press("enter")
        assert app.focused is app.query_one("#params-heatmap")
        await pilot.press("escape")
        assert app.focused is app.query_one("#params-table")
        app.query_one("#sample-prefix").focus()
        await pilot.press("k", "escape")
        assert app.focused is app.query_one("#sample-temperature")
        assert app.query_one("#sample-prefix").value == "k"


async def test_panes_hidden_by_a_zoom_draw_the_latest_snapshot_once_shown():
    app = tiny_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("z")  # nothing focused: the loss pane fills the screen
        await pilot.pause(0.1)
        await pilot.press("n")
        await wait_for(pilot, lambda: app.latest_snapshot.step == 1)
        await pilot.pause(0.2)
        attention, parameters = app.query_one(AttentionPane), app.query_one(ParametersPane)
        assert attention._snapshot.step == parameters._snapshot.step == 1  # kept, not drawn
        assert "step 1" not in text_of(app, "#attention-info") and "step 1" not in text_of(app, "#params-heading")
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert "following step 1" in text_of(app, "#attention-info")
        assert text_of(app, "#params-heading").startswith("step 1")
