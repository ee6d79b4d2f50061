"""The X-ray: the model map read from the config, a traced word, the position picker, a matrix
opened in the parameters pane, and a picture of it all at 120x40."""

import pytest
from textual.widgets import Input

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.inference import KVCache, forward_token, softmax
from microgpt_tui.engine.params import matrix_shapes
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.screens.help_screen import HelpScreen
from microgpt_tui.tui.screens.xray_screen import XrayScreen, top_characters
from microgpt_tui.tui.training.bridge import InProcessTraining
from microgpt_tui.tui.training.protocol import Step
from microgpt_tui.tui.widgets.stage_list import StageList

from conftest import FIFTY_NAMES, run_spec
from test_tui_app import started, wait_for

SIZE = (120, 40)


def app_of(config_options: dict, steps: int = 30) -> MicroGPTApp:
    config = ModelConfig(Tokenizer.from_documents(FIFTY_NAMES).vocab_size, **config_options)
    spec = run_spec(FIFTY_NAMES, config, TrainConfig(steps=steps, seed=42), "fast", start_paused=True, name="names")
    return MicroGPTApp(spec, "names · 50 docs", connection=InProcessTraining(spec, step_every=0.05))


async def stepped(pilot, steps: int) -> None:
    await started(pilot)
    for expected in range(1, steps + 1):
        await pilot.press("n")
        await wait_for(pilot, lambda: pilot.app.latest_snapshot.step == expected)


async def opened_xray(pilot) -> XrayScreen:
    await pilot.press("x")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, XrayScreen) and pilot.app.screen.stages)
    return pilot.app.screen


async def typed(pilot, screen: XrayScreen, word: str) -> None:
    box = screen.query_one("#xray-word", Input)
    box.focus()
    box.value = ""
    await pilot.press(*word, "enter")
    await wait_for(pilot, lambda: screen.word == word and screen.traces)


@pytest.mark.parametrize("config_options", [{}, {"n_layer": 2, "n_head": 2}], ids=["default", "2-layer-2-head"])
async def test_x_opens_a_map_naming_every_matrix_with_its_shape(config_options):
    app = app_of(config_options)
    async with app.run_test(size=SIZE) as pilot:
        await stepped(pilot, 1)
        screen = await opened_xray(pilot)
        config = app.spec.config
        named = {(stage.matrix, stage.shape) for stage in screen.stages if stage.matrix}
        assert named == {(name, f"{rows}×{cols}") for name, rows, cols in matrix_shapes(config)}
        heads = [stage for stage in screen.stages if "head" in stage.label]
        assert len(heads) == config.n_layer * config.n_head  # one row per head per layer
        relu = [stage for stage in screen.stages if stage.label.endswith("ReLU")]
        assert len(relu) == config.n_layer and all("active" in stage.note for stage in relu)
        # what the rows say on screen: each matrix's short name and shape
        map_ = screen.query_one("#xray-map", StageList)
        assert map_.row_count == len(screen.stages)
        lines = [map_.row_text(i) for i in range(len(screen.stages))]
        assert any("mlp_fc1 " + f"{config.mlp_width}×{config.n_embd}" in line for line in lines)
        await pilot.press("escape")
        assert not isinstance(app.screen, XrayScreen)


async def test_a_typed_word_is_traced_with_the_forward_pass_own_numbers():
    app = app_of({"n_layer": 2, "n_head": 2})
    async with app.run_test(size=SIZE) as pilot:
        await stepped(pilot, 2)
        screen = await opened_xray(pilot)
        await typed(pilot, screen, "ava")
        snapshot = screen.snapshot
        tokens = snapshot.tokenizer.encode_document("ava")[:-1]
        assert len(screen.traces) == len(tokens) == 4
        # the plain forward pass, position by position
        cache = KVCache(snapshot.config.n_layer)
        expected = [softmax(forward_token(snapshot.config, snapshot.weights, token, pos, cache))
                    for pos, token in enumerate(tokens)]
        symbol = snapshot.tokenizer.symbol
        for position in range(len(tokens)):
            assert screen.position == position
            assert screen.traces[position].probs == expected[position]  # exact floats
            ranked = sorted(range(len(expected[position])), key=lambda t: (-expected[position][t], t))[:5]
            assert top_characters(screen.traces[position], symbol) == [(symbol(t), expected[position][t]) for t in ranked]
            assert screen.stages[-1].note.startswith(f"{symbol(ranked[0])} {expected[position][ranked[0]]:.2f}")
            await pilot.press("right")
        assert screen.position == len(tokens) - 1  # → stops at the last position
        await pilot.press("left")
        assert screen.position == len(tokens) - 2
        heading = str(screen.query_one("#xray-heading").render())
        assert "position 2: reads 'v', the next is 'a'" in heading


async def test_a_character_the_model_never_saw_is_one_line_and_keeps_the_trace():
    app = app_of({})
    async with app.run_test(size=SIZE) as pilot:
        await stepped(pilot, 1)
        screen = await opened_xray(pilot)
        await typed(pilot, screen, "ava")
        before = screen.traces
        box = screen.query_one("#xray-word", Input)
        box.focus()
        await pilot.press("Q")
        await pilot.pause(0.05)
        assert "the model has no 'Q'" in str(screen.query_one("#xray-heading").render())
        assert screen.traces is before


async def test_enter_on_a_matrix_closes_the_map_and_shows_the_matrix_in_the_parameters_pane():
    app = app_of({})
    async with app.run_test(size=SIZE) as pilot:
        await stepped(pilot, 1)
        screen = await opened_xray(pilot)
        index = next(i for i, stage in enumerate(screen.stages) if stage.matrix == "layer0.mlp_fc1")
        screen.query_one("#xray-map", StageList).highlighted = index
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, XrayScreen))
        assert app.query_one("#parameters").matrix_name == "layer0.mlp_fc1"
        await pilot.pause(0.05)
        table = app.query_one("#params-table")
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == "layer0.mlp_fc1"
        assert app.query_one("#parameters").matrix_name == "layer0.mlp_fc1"  # the table's cursor agrees
        # Enter on a stage with no matrix (the add) says so and stays
        screen = await opened_xray(pilot)
        screen.query_one("#xray-map", StageList).highlighted = 2
        await pilot.press("enter")
        await pilot.pause(0.05)
        assert isinstance(app.screen, XrayScreen)
        assert "no matrix" in str(screen.query_one("#xray-detail").render())


async def test_the_map_follows_new_snapshots():
    app = app_of({})
    async with app.run_test(size=SIZE) as pilot:
        await stepped(pilot, 1)
        screen = await opened_xray(pilot)
        first = screen.traces
        app.connection.send(Step(1))  # a step taken while the X-ray is open
        await wait_for(pilot, lambda: screen.snapshot.step == 2 and screen.traces is not first)
        assert "step 2" in str(screen.query_one("#xray-heading").render())


def test_the_map_with_a_trace_at_120x40(snap_compare):
    async def before(pilot):
        await stepped(pilot, 3)
        screen = await opened_xray(pilot)
        await typed(pilot, screen, "emma")
        screen.query_one("#xray-word", Input).cursor_blink = False
        await pilot.press("right", "right")
        screen.query_one("#xray-map", StageList).highlighted = 8  # the first head's attention
        await pilot.pause(0.3)

    assert snap_compare(app_of({}), terminal_size=SIZE, run_before=before)


async def test_the_help_explains_both_screens_and_lists_their_keys():
    app = app_of({})
    async with app.run_test(size=SIZE):
        keys = dict(app.key_rows()[0][1])
        assert "X-ray" in keys["x"] and "embeddings" in keys["e"]
        text = HelpScreen(app.key_rows()).text
    assert "## X-ray (`x`)" in text and "## Embeddings (`e`)" in text
    assert "| `x` |" in text and "| `e` |" in text


async def test_heads_switched_off_in_the_attention_pane_are_off_in_the_x_ray_too():
    app = app_of({})
    async with app.run_test(size=SIZE) as pilot:
        await stepped(pilot, 2)
        app.heads_off = frozenset({(0, 1)})  # as `o` in the attention pane leaves it
        screen = await opened_xray(pilot)
        await typed(pilot, screen, "ava")
        snapshot = screen.snapshot
        tokens = snapshot.tokenizer.encode_document("ava")[:-1]
        cache = KVCache(snapshot.config.n_layer)
        expected = [softmax(forward_token(snapshot.config, snapshot.weights, token, pos, cache,
                                          heads_off=frozenset({(0, 1)})))
                    for pos, token in enumerate(tokens)]
        assert [trace.probs for trace in screen.traces] == expected  # exact floats
        head_dim = snapshot.config.head_dim
        last = screen.traces[-1].layers[0]
        assert last.heads_out[head_dim:2 * head_dim] == [0.0] * head_dim  # head 1 adds nothing
        assert "heads off: 0:1" in str(screen.query_one("#xray-heading").render())
