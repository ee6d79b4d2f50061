"""The Parameters pane: every matrix with live statistics, and a heatmap of the chosen one."""

from textual.widgets import DataTable, RadioButton, Static

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.params import matrix_shapes
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.widgets.heatmap import Heatmap
from microgpt_tui.tui.panes.parameters_pane import ParametersPane
from microgpt_tui.tui.training.snapshot import snapshot_of

from conftest import FIFTY_NAMES, TUI_DIR, OnePaneApp, shown_before_mount

# two_snapshots and model_snapshot (the model on FIFTY_NAMES after 2 steps and after 3) come from conftest.py


class ParametersApp(OnePaneApp):
    CSS_PATH = TUI_DIR / "panes" / "parameters_pane.tcss"
    PANE = ParametersPane


def table_row(table: DataTable, name: str) -> list[str]:
    return [str(cell) for cell in table.get_row(name)]


async def test_every_matrix_is_listed_with_its_shape_and_statistics(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(120, 40)):
        table = app.query_one(DataTable)
        shapes = matrix_shapes(model_snapshot.config)
        assert table.row_count == len(shapes) == 9
        for (name, rows, cols), stats in zip(shapes, model_snapshot.stats):
            cells = table_row(table, name)
            assert cells[:2] == [name, f"{rows}×{cols}"]
            assert cells[2:] == [
                f"{stats.value.std:.3f}",
                f"{stats.grad.norm:.3f}",
                f"{stats.update_ratio:.1e}",
            ]
        assert [str(column.label) for column in table.columns.values()] == [
            "matrix", "shape", "std", "|grad|", "update/weight",
        ]


async def test_every_column_fits_a_half_width_pane_at_120_columns(model_snapshot):
    """At 120×40 each pane is 60 columns wide: |grad| and update/weight must show without scrolling."""
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(60, 40)) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        assert table.size.width == 56
        assert table.virtual_size.width <= table.size.width  # nothing off to the right
        kinds = app.query_one("#params-kind")
        assert kinds.region.right <= table.region.right  # the five kinds on one line, Adam v included
        assert [button.region.y for button in app.query(RadioButton)] == [kinds.region.y] * 5


async def test_the_statistics_follow_new_snapshots(two_snapshots):
    first, second = two_snapshots
    app = ParametersApp(first)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(DataTable)
        app.pane.show_snapshot(second)
        await pilot.pause()
        assert table_row(table, "wte")[2] == f"{second.stats[0].value.std:.3f}"
        assert table_row(table, "wte")[3] == f"{second.stats[0].grad.norm:.3f}"
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
        assert "layer0.attn_wq 16×16" in heading and "colour scale" in heading


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
            pressed = [button for button in app.query(RadioButton) if button.value]
            assert len(pressed) == 1
        assert heatmap.scale.diverging  # signed values get the blue-dark-orange scale
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
        assert snapshot.matrix(name, "update") == [[a - b for a, b in zip(row_after, row_before)]
                                                   for row_after, row_before in zip(after, before[name])]
    assert any(x != 0 for row in snapshot.updates["wte"] for x in row)


async def test_the_heading_names_the_step_and_the_name_it_trained_on(two_snapshots):
    first, second = two_snapshots
    app = ParametersApp(first)
    async with app.run_test(size=(120, 40)) as pilot:
        app.pane.set_kind("grad")
        heading = str(app.query_one("#params-heading", Static).content)
        assert heading.startswith(f"step 2 · {first.trained_on!r} · wte {first.config.vocab_size}×16")
        assert "gradient: how the loss grows" in heading
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
            heading = str(app.query_one("#params-heading", Static).content)
            assert heading.startswith("no step taken yet") and heading.endswith("(all zero: no step taken yet)")
        app.pane.show_snapshot(after_loading)
        await pilot.pause()
        heading = str(app.query_one("#params-heading", Static).content)
        assert heading.startswith(f"step 1 · {trainer.last_document()!r}")
        assert heading.endswith("(step 1 was taken before the run was loaded; its update was not saved)")


async def test_clicking_a_kind_switches_the_heatmap(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.click(list(app.query(RadioButton))[1])  # "gradient"
        assert app.pane.kind == "grad"
        assert app.query_one(Heatmap).values == model_snapshot.grads["wte"]
        # the kinds are clickable but never take focus, so space stays the app's pause key
        assert not app.query_one("#params-kind").has_focus


async def test_moving_onto_a_heatmap_cell_shows_its_value(model_snapshot):
    app = ParametersApp(model_snapshot)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.hover(Heatmap, offset=(2 + 2 * 3, 1 + 1))  # row 1 ('b'), column 3
        value = model_snapshot.weights["wte"][1][3]
        assert str(app.query_one("#params-cell", Static).content) == f"wte · row 'b' · column 3 · value {value:+.6g}"
        await pilot.press("g")  # the same cell, now its gradient
        gradient = model_snapshot.grads["wte"][1][3]
        assert str(app.query_one("#params-cell", Static).content).endswith(f"gradient {gradient:+.6g}")


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
        assert last_line.text.startswith("63 ")


async def test_a_snapshot_given_before_the_pane_is_mounted_is_drawn(model_snapshot):
    app = shown_before_mount(ParametersPane, model_snapshot, TUI_DIR / "panes" / "parameters_pane.tcss")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.query_one(DataTable).row_count == 9
        assert app.query_one(Heatmap).values == model_snapshot.weights["wte"]


def test_parameters_pane_look(model_snapshot, snap_compare):
    app = ParametersApp(model_snapshot)
    assert snap_compare(app, terminal_size=(100, 36), press=["down", "down", "down", "g"])
