"""The Parameters pane: every matrix with live statistics, and a heatmap of the chosen one."""

import pytest
from textual.app import App
from textual.widgets import DataTable, Static

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.params import matrix_shapes
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.widgets.heatmap import Heatmap
from microgpt_tui.tui.panes.parameters_pane import KindChoice, ParametersPane
from microgpt_tui.tui.training.snapshot import ModelSnapshot, snapshot_of

from conftest import FIFTY_NAMES, TUI_DIR, OnePaneApp, shown_before_mount, text_of

# two_snapshots and model_snapshot (the model on FIFTY_NAMES after 2 steps and after 3) come from conftest.py


class ParametersApp(OnePaneApp):
    CSS_PATH = TUI_DIR / "panes" / "parameters_pane.tcss"
    PANE = ParametersPane


# At 120×40 the app gives the Parameters pane 60×19 cells (a quarter of the screen below the
# status line, above the footer); inside its border and padding that is 56×17.
PANE_AT_120_BY_40 = (60, 19)


def table_row(table: DataTable, name: str) -> list[str]:
    return [str(cell) for cell in table.get_row(name)]


def highlighted_kind(app: App) -> str:
    """The word the kind chooser shows highlighted."""
    content = app.query_one(KindChoice).content
    [span] = [span for span in content.spans if "reverse" in str(span.style)]
    return str(content)[span.start:span.end]


@pytest.fixture(scope="module")
def alphabet_snapshot() -> ModelSnapshot:
    """A model whose vocabulary is all 26 letters and BOS: wte and lm_head are 27×16, as by default."""
    documents = [*FIFTY_NAMES, "quincy", "xavier", "jude", "wolfgang"]
    vocab_size = Tokenizer.from_documents(documents).vocab_size
    assert vocab_size == 27
    trainer = Trainer(documents, ModelConfig(vocab_size=vocab_size), TrainConfig(steps=20, seed=42))
    trainer.step()
    return snapshot_of(trainer)


async def test_every_matrix_is_listed_with_its_shape_and_statistics(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(120, 40)):
        table = app.query_one(DataTable)
        shapes = matrix_shapes(model_snapshot.config)
        assert table.row_count == len(shapes) == 9
        for (name, rows, cols), stats in zip(shapes, model_snapshot.stats):
            cells = table_row(table, name)
            assert cells == [
                name,
                f"{stats.grad.norm:.3f}",
                f"{stats.update_ratio:.1e}",
                f"{stats.value.std:.3f}",
                f"{rows}×{cols}",
            ]
        assert [str(column.label) for column in table.columns.values()] == [
            "matrix", "|grad|", "update/w", "std", "shape",
        ]


@pytest.mark.parametrize("layers", [1, 2])
async def test_every_matrix_name_with_its_grad_and_update_shows_in_the_pane_at_120_by_40(layers):
    """At 120×40, beside the heatmap: |grad| and update/weight show without scrolling sideways,
    and every matrix of a 1-layer model without scrolling down (a 2-layer one scrolls)."""
    vocab_size = Tokenizer.from_documents(FIFTY_NAMES).vocab_size
    trainer = Trainer(FIFTY_NAMES, ModelConfig(vocab_size=vocab_size, n_layer=layers), TrainConfig(steps=5, seed=42))
    trainer.step()
    app = ParametersApp(snapshot_of(trainer))
    async with app.run_test(size=PANE_AT_120_BY_40) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        shown = list(table.columns.values())[:3]
        assert [str(column.label) for column in shown] == ["matrix", "|grad|", "update/w"]
        assert sum(column.get_render_width(table) for column in shown) <= table.scrollable_content_region.width
        assert table.row_count == 3 + 6 * layers
        if layers == 1:
            assert table.virtual_size.height <= table.scrollable_content_region.height
        kinds = app.query_one(KindChoice)
        assert str(kinds.content) == "value grad update Adam m Adam v"
        assert kinds.content.cell_len <= kinds.size.width  # the five kinds on one line


async def test_all_of_wte_fits_the_pane_at_120_by_40(alphabet_snapshot):
    app = ParametersApp(alphabet_snapshot)
    async with app.run_test(size=PANE_AT_120_BY_40) as pilot:
        await pilot.pause()
        heatmap = app.query_one(Heatmap)
        assert len(heatmap.values) == 27 and heatmap.column_count == 16
        assert heatmap.rows_per_line == 2 and heatmap.line_count == 14  # two rows per character
        assert heatmap.virtual_size.height <= heatmap.size.height  # the column labels and every row
        assert heatmap.virtual_size.width <= heatmap.size.width
        assert not heatmap.show_vertical_scrollbar and not heatmap.show_horizontal_scrollbar
        assert text_of(app, "#params-view") == "all 27 rows · all 16 columns"
        # the last line: '◆' (BOS), the 27th row, over the widget's own background
        last = heatmap.render_line(14)
        assert last.text.startswith("◆ ▀")


async def test_mlp_fc1_scrolls_and_says_which_rows_show(alphabet_snapshot):
    app = ParametersApp(alphabet_snapshot)
    async with app.run_test(size=PANE_AT_120_BY_40) as pilot:
        app.pane.show_matrix("layer0.mlp_fc1")
        heatmap = app.query_one(Heatmap)
        await pilot.pause()
        assert heatmap.line_count == 32
        assert heatmap.virtual_size.height > heatmap.size.height
        assert text_of(app, "#params-view") == "rows 0–27 of 64 · all 16 columns"
        heatmap.focus()
        heatmap.move_cursor_to(63, 15)
        await pilot.pause()
        assert heatmap.scroll_offset.y == 32 - 14
        assert text_of(app, "#params-view") == "rows 36–63 of 64 · all 16 columns"
        value = alphabet_snapshot.weights["layer0.mlp_fc1"][63][15]
        assert text_of(app, "#params-cell") == f"layer0.mlp_fc1 · row 63 · column 15 · value {value:+.6g}"


async def test_zoomed_at_120_by_40_every_matrix_of_two_layers_and_all_of_mlp_fc1_show():
    """Zoomed, the pane has the screen less the status line and footer: 120×38."""
    vocab_size = Tokenizer.from_documents(FIFTY_NAMES).vocab_size
    trainer = Trainer(FIFTY_NAMES, ModelConfig(vocab_size=vocab_size, n_layer=2), TrainConfig(steps=5, seed=42))
    trainer.step()
    app = ParametersApp(snapshot_of(trainer))
    async with app.run_test(size=(120, 38)) as pilot:
        app.screen.maximized = app.pane  # as the app's zoom key does
        app.pane.show_matrix("layer1.mlp_fc1")
        await pilot.pause()
        assert app.pane.has_class("-maximized")
        table = app.query_one(DataTable)
        assert table.row_count == 15
        assert table.virtual_size.height <= table.scrollable_content_region.height  # every matrix
        assert table.virtual_size.width <= table.scrollable_content_region.width  # std and shape too
        heatmap = app.query_one(Heatmap)
        assert heatmap.virtual_size.height <= heatmap.size.height
        assert heatmap.virtual_size.width <= heatmap.size.width
        assert heatmap.cell_width == 2  # more room: wider cells
        assert text_of(app, "#params-view") == "all 64 rows · all 16 columns"
        assert app.query_one("#params-meaning").display  # room to say what the values mean
        assert app.query_one("#params-meaning").region.height >= 1


async def test_the_statistics_follow_new_snapshots(two_snapshots):
    first, second = two_snapshots
    app = ParametersApp(first)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(DataTable)
        app.pane.show_snapshot(second)
        await pilot.pause()
        assert table_row(table, "wte")[1] == f"{second.stats[0].grad.norm:.3f}"
        assert table_row(table, "wte")[3] == f"{second.stats[0].value.std:.3f}"
        heatmap = app.query_one(Heatmap)
        assert heatmap.values == second.weights["wte"]


async def test_choosing_a_matrix_shows_its_heatmap_with_the_right_row_labels(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(120, 40)) as pilot:
        heatmap = app.query_one(Heatmap)
        symbols = [*model_snapshot.tokenizer.chars, "◆"]
        assert app.pane.matrix_name == "wte"  # the first row is chosen from the start
        assert heatmap.values == model_snapshot.weights["wte"]
        assert heatmap.row_labels == symbols
        app.query_one(DataTable).focus()
        await pilot.press("down")
        assert app.pane.matrix_name == "wpe"
        assert heatmap.row_labels == [str(p) for p in range(model_snapshot.config.block_size)]
        await pilot.press("down")
        assert heatmap.row_labels == symbols  # lm_head: one row per token
        await pilot.press("down")
        assert app.pane.matrix_name == "layer0.attn_wq"
        assert heatmap.row_labels == [str(r) for r in range(16)]
        assert heatmap.values == model_snapshot.weights["layer0.attn_wq"]
        heading = str(app.query_one("#params-heading", Static).content)
        assert "layer0.attn_wq 16×16" in heading
        assert "a row per output" in str(app.query_one("#params-heading", Static).tooltip)
        largest = max(abs(x) for row in model_snapshot.weights["layer0.attn_wq"] for x in row)
        legend = text_of(app, "#params-legend")
        assert legend.startswith(f"{-largest:+.3g} █") and legend.endswith(f"█ {largest:+.3g}")


async def test_clicking_a_row_chooses_that_matrix(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.click(DataTable, offset=(2, 1 + 7))  # header line, then the eighth row
        assert app.pane.matrix_name == "layer0.mlp_fc1"
        assert len(app.query_one(Heatmap).values) == 64


async def test_g_cycles_the_heatmap_through_value_gradient_update_adam_m_and_v(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(120, 40)) as pilot:
        heatmap = app.query_one(Heatmap)
        app.query_one(DataTable).focus()
        for kind in ["grad", "update", "m", "v", "value"]:
            await pilot.press("g")
            assert app.pane.kind == kind
            assert heatmap.values == model_snapshot.matrix("wte", kind)
            assert highlighted_kind(app) == {"m": "Adam m", "v": "Adam v"}.get(kind, kind)
        assert heatmap.scale.diverging  # signed values get the blue-grey-orange scale
        await pilot.press("g", "g", "g", "g")
        assert app.pane.kind == "v" and not heatmap.scale.diverging  # v is never negative
        assert heatmap.scale.low == 0.0


def test_the_update_is_what_the_last_step_changed_each_weight_by():
    vocab_size = Tokenizer.from_documents(FIFTY_NAMES).vocab_size
    trainer = Trainer(FIFTY_NAMES, ModelConfig(vocab_size=vocab_size), TrainConfig(steps=20, seed=42))
    trainer.step()
    before = trainer.weights()
    trainer.step()
    snapshot = snapshot_of(trainer)
    for name, after in trainer.weights().items():
        assert [list(row) for row in snapshot.matrix(name, "update")] == [[a - b for a, b in zip(row_after, row_before)]
                                                   for row_after, row_before in zip(after, before[name])]
    assert any(x != 0 for row in snapshot.updates["wte"] for x in row)


async def test_the_heading_names_the_step_and_the_name_it_trained_on(two_snapshots):
    first, second = two_snapshots
    app = ParametersApp(first)
    async with app.run_test(size=(120, 40)) as pilot:
        app.pane.set_kind("grad")
        heading = str(app.query_one("#params-heading", Static).content)
        assert heading.startswith(f"step 2 · {first.trained_on!r} · wte {first.config.vocab_size}×16")
        assert "gradient: how the loss grows" in str(app.query_one("#params-heading", Static).tooltip)
        assert text_of(app, "#params-meaning").startswith("gradient: how the loss grows")
        app.pane.show_snapshot(second)
        await pilot.pause()
        assert str(app.query_one("#params-heading", Static).content).startswith(f"step 3 · {second.trained_on!r}")


async def test_before_the_first_step_and_after_loading_the_step_views_say_why_they_are_zero(tmp_path):
    vocab_size = Tokenizer.from_documents(FIFTY_NAMES).vocab_size
    trainer = Trainer(FIFTY_NAMES, ModelConfig(vocab_size=vocab_size), TrainConfig(steps=20, seed=42))
    fresh = snapshot_of(trainer)
    trainer.step()
    loaded = Trainer.from_checkpoint(trainer.checkpoint("names", ""), FIFTY_NAMES)
    after_loading = snapshot_of(loaded)
    assert not after_loading.step_known and not fresh.step_known and snapshot_of(trainer).step_known
    app = ParametersApp(fresh)
    async with app.run_test(size=(120, 40)) as pilot:
        for kind in ("grad", "update"):
            app.pane.set_kind(kind)
            assert text_of(app, "#params-heading").startswith("no step taken yet")
            assert text_of(app, "#params-note") == "all zero: no step taken yet"
            assert app.query_one("#params-note").display
        app.pane.show_snapshot(after_loading)
        await pilot.pause()
        assert text_of(app, "#params-heading").startswith(f"step 1 · {trainer.last_document()!r}")
        assert text_of(app, "#params-note") == "step 1 was taken before the run was loaded; its update was not saved"
        app.pane.set_kind("value")
        assert not app.query_one("#params-note").display  # the values are there: nothing to explain


async def test_clicking_a_kind_switches_the_heatmap(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.click(KindChoice, offset=(len("value "), 0))  # "grad"
        assert app.pane.kind == "grad"
        assert app.query_one(Heatmap).values == model_snapshot.grads["wte"]
        assert highlighted_kind(app) == "grad"
        await pilot.click(KindChoice, offset=(len("value grad update Adam m A"), 0))
        assert app.pane.kind == "v" and highlighted_kind(app) == "Adam v"
        # the kinds are clickable but never take focus, so space stays the app's pause key
        assert not app.query_one(KindChoice).can_focus


async def test_moving_onto_a_heatmap_cell_shows_its_value(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(120, 40)) as pilot:
        heatmap = app.query_one(Heatmap)
        await pilot.pause()
        x = heatmap._label_width + heatmap.cell_width * 3
        await pilot.hover(Heatmap, offset=(x, 1 + 1))  # the second line: rows 2 ('c') and 3; column 3
        value = model_snapshot.weights["wte"][2][3]
        assert str(app.query_one("#params-cell", Static).content) == f"wte · row 'c' · column 3 · value {value:+.6g}"
        await pilot.press("g")  # the same cell, now its gradient
        gradient = model_snapshot.grads["wte"][2][3]
        assert str(app.query_one("#params-cell", Static).content).endswith(f"gradient {gradient:+.6g}")


async def test_the_keys_reach_the_lower_row_of_a_character_and_mark_it_without_hiding_its_colour(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=PANE_AT_120_BY_40) as pilot:
        heatmap = app.query_one(Heatmap)
        heatmap.focus()
        await pilot.press("down", "right")  # row 1 ('b'): the lower half of the first line
        assert heatmap.cursor == (1, 1)
        value = model_snapshot.weights["wte"][1][1]
        assert text_of(app, "#params-cell") == f"wte · row 'b' · column 1 · value {value:+.6g}"
        line = heatmap.render_line(1)
        assert line.text.startswith("b▸▀▀▀")  # the row's label is marked; every cell keeps its ▀
        header = heatmap.render_line(0)
        assert header.text[heatmap._label_width + 1] == "▾"  # over column 1
        cell = list(line.crop(3, 4))[0].style
        assert cell.color.triplet == heatmap.scale.colour(model_snapshot.weights["wte"][0][1]).rich_color.triplet
        assert cell.bgcolor.triplet == heatmap.scale.colour(value).rich_color.triplet


async def test_a_tall_matrix_scrolls_its_heatmap(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(80, 24)) as pilot:
        app.pane.show_matrix("layer0.mlp_fc1")
        heatmap = app.query_one(Heatmap)
        heatmap.focus()
        await pilot.pause()
        assert heatmap.virtual_size.height > heatmap.size.height
        for _ in range(63):
            heatmap.action_move_cursor(1, 0)
        await pilot.pause()
        assert heatmap.cursor == (63, 0)
        assert heatmap.scroll_offset.y > 0
        last_line = heatmap.render_line(heatmap.size.height - 1 - (1 if heatmap.show_horizontal_scrollbar else 0))
        assert last_line.text.startswith("63▸")


async def test_a_snapshot_given_before_the_pane_is_mounted_is_drawn(model_snapshot):
    app = shown_before_mount(ParametersPane, model_snapshot, TUI_DIR / "panes" / "parameters_pane.tcss")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.query_one(DataTable).row_count == 9
        assert app.query_one(Heatmap).values == model_snapshot.weights["wte"]


def test_parameters_pane_look(alphabet_snapshot, snap_compare):
    """The pane at the size it gets at 120×40, all of wte's gradient drawn beside the table."""
    app = ParametersApp(alphabet_snapshot)
    assert snap_compare(app, terminal_size=PANE_AT_120_BY_40, press=["g"])
