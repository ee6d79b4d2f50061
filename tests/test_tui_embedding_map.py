"""The embedding map: `e` opens it, it shows the projection of wte, and it follows new snapshots."""

from microgpt_tui.engine.projection import principal_components
from microgpt_tui.tui.screens.embedding_screen import EmbeddingScreen
from microgpt_tui.tui.training.protocol import Step
from microgpt_tui.tui.widgets.scatter import Scatter

from test_tui_app import wait_for
from test_tui_xray import SIZE, app_of, stepped


async def opened_map(pilot) -> EmbeddingScreen:
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, EmbeddingScreen) and pilot.app.screen.projection)
    return pilot.app.screen


def heading(screen) -> str:
    return str(screen.query_one("#embedding-heading").render())


async def test_e_opens_the_map_of_every_character_on_the_principal_components():
    app = app_of({})
    async with app.run_test(size=SIZE) as pilot:
        await stepped(pilot, 1)
        screen = await opened_map(pilot)
        snapshot = screen.snapshot
        expected = principal_components([list(row) for row in snapshot.weights["wte"]], k=2)
        assert screen.projection == expected
        scatter = screen.query_one(Scatter)
        assert scatter.points == [tuple(p) for p in expected.points]
        tokenizer = snapshot.tokenizer
        assert scatter.labels == [tokenizer.symbol(t) for t in range(snapshot.config.vocab_size)]
        assert scatter.x_label == f"PC1 {round(expected.explained[0] * 100)} % of variance"
        # every character is drawn, each in its own cell
        placed = scatter.cells(scatter.size.width, scatter.size.height - 2)
        assert sorted(placed.values()) == list(range(snapshot.config.vocab_size))
        assert "step 1" in heading(screen)
        await pilot.press("escape")
        assert not isinstance(app.screen, EmbeddingScreen)


async def test_the_map_updates_when_a_new_snapshot_arrives():
    app = app_of({})
    async with app.run_test(size=SIZE) as pilot:
        await stepped(pilot, 1)
        screen = await opened_map(pilot)
        first = screen.projection
        app.connection.send(Step(1))  # a step taken while the map is open
        await wait_for(pilot, lambda: "step 2" in heading(screen))
        assert screen.projection != first  # the step moved the embeddings
        assert screen.snapshot is app.latest_snapshot


def test_the_embedding_map_at_120x40(snap_compare):
    async def before(pilot):
        await stepped(pilot, 3)
        await opened_map(pilot)
        await pilot.pause(0.3)

    assert snap_compare(app_of({}), terminal_size=SIZE, run_before=before)
