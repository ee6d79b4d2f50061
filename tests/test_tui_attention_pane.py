"""The Attention pane: a word's attention grids, following training until the user types."""

import pytest
from rich.style import Style
from textual.widgets import Input, Static

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.inference import attention_maps
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.panes.attention_pane import WEIGHT_SCALE, AttentionPane
from microgpt_tui.tui.widgets.heatmap import Heatmap
from microgpt_tui.tui.training.snapshot import ModelSnapshot, snapshot_of

from conftest import FIFTY_NAMES, TUI_DIR, OnePaneApp, shown_before_mount, text_of

# two_snapshots and model_snapshot (the model on FIFTY_NAMES after 2 steps and after 3) come from conftest.py


@pytest.fixture(scope="module")
def two_layer_snapshot() -> ModelSnapshot:
    vocab_size = Tokenizer.from_documents(FIFTY_NAMES).vocab_size
    trainer = Trainer(FIFTY_NAMES, ModelConfig(vocab_size=vocab_size, n_layer=2), TrainConfig(steps=20, seed=42))
    return snapshot_of(trainer)  # untrained weights are enough to draw maps


class AttentionApp(OnePaneApp):
    CSS_PATH = TUI_DIR / "panes" / "attention_pane.tcss"
    AUTO_FOCUS = None
    PANE = AttentionPane


async def type_word(pilot, word: str) -> None:
    await pilot.pause()
    await pilot.click("#attention-word")
    await pilot.press(*word)


async def test_follows_the_training_document_until_the_user_types(two_snapshots):
    first, second = two_snapshots
    assert first.trained_on != second.trained_on
    app = AttentionApp(first)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.pane
        assert pane.following_training
        assert pane.word == first.trained_on
        pane.show_snapshot(second)
        assert pane.word == second.trained_on
        # the step the grids are for, and the name it trained on
        assert text_of(app, "#attention-info") == f"following step 3: {second.trained_on!r}"

        await type_word(pilot, "ava")
        assert pane.word == "ava" and not pane.following_training
        pane.show_snapshot(first)
        assert pane.word == "ava"  # the user's word stays while training moves on
        assert text_of(app, "#attention-info") == "your word: 'ava' · step 2"

        await pilot.press("backspace", "backspace", "backspace")  # an empty box follows again
        assert pane.word == first.trained_on and pane.following_training


async def test_follows_the_name_the_last_step_trained_on_not_the_next_one():
    """Paused after step k, the grids are for step k's name: the loss shown is that name's."""
    vocab_size = Tokenizer.from_documents(FIFTY_NAMES).vocab_size
    trainer = Trainer(FIFTY_NAMES, ModelConfig(vocab_size=vocab_size), TrainConfig(steps=20, seed=42))
    before = snapshot_of(trainer)
    record = trainer.step()
    after = snapshot_of(trainer)
    assert after.trained_on == record.doc != trainer.next_document()
    app = AttentionApp(before)
    async with app.run_test(size=(120, 30)) as pilot:
        # before any step: no step to follow; the grids show the name step 1 will train on
        assert app.pane.word == record.doc
        assert text_of(app, "#attention-info") == f"no step yet · next: {record.doc!r}"
        app.pane.show_snapshot(after)
        await pilot.pause()
        assert app.pane.word == record.doc
        assert text_of(app, "#attention-info") == f"following step 1: {record.doc!r}"


async def test_each_head_gets_a_lower_triangular_grid_labelled_with_the_characters(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        await type_word(pilot, "emma")
        heads = list(app.query(Heatmap))
        assert len(heads) == model_snapshot.config.n_head
        tokenizer = model_snapshot.tokenizer
        tokens = [tokenizer.bos, *tokenizer.encode("emma")]
        maps = attention_maps(model_snapshot.config, model_snapshot.weights, tokens)
        size = model_snapshot.config.block_size
        for head, heatmap in enumerate(heads):
            # padded to the block size with blank labels and cells, so every word gives one size
            assert heatmap.row_labels == heatmap.column_labels == ["◆", "e", "m", "m", "a"] + [""] * (size - 5)
            assert len(heatmap.values) == size and all(len(row) == size for row in heatmap.values)
            for query in range(size):
                for key in range(size):
                    if key > query or query >= 5:
                        assert heatmap.values[query][key] is None  # the future is masked, past the word blank
                    else:
                        assert heatmap.values[query][key] == maps[0][head][query][key]
        # two rows a line (half blocks): ◆ e, m m, a and a blank row; the label is the upper row's
        assert heads[0].rows_per_line == 2 and heads[0].virtual_size.height == 1 + size // 2
        assert [heads[0].render_line(1 + line).text[:1] for line in range(4)] == ["◆", "m", "a", " "]


async def test_the_heads_sit_side_by_side_when_wide_and_wrap_when_narrow(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        heads = list(app.query(Heatmap))
        assert len({head.region.y for head in heads}) == 1
        await pilot.resize_terminal(40, 30)
        await pilot.pause()
        assert len({head.region.y for head in heads}) > 1


async def test_hovering_a_cell_shows_its_exact_weight(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        await type_word(pilot, "emma")
        grid = app.query_one("#attention-head-2", Heatmap)
        width, line = grid.cell_width, 1 + 2 // grid.rows_per_line  # the line that holds row 2
        await pilot.hover("#attention-head-2", offset=(2 + width * 1, line))  # row 2 ('m'), column 1 ('e')
        weight = app.pane.maps[0][2][2][1]
        assert text_of(app, "#attention-cell").strip() == (
            f"layer 0 · head 2 · 'm' at 2 → 'e' at 1: {weight:.4f} ██"
        )
        # a swatch after the weight shows the cell's own colour
        swatch = app.query_one("#attention-cell", Static).content.spans[-1]
        assert Style.parse(str(swatch.style)).color.triplet.hex == WEIGHT_SCALE.colour(weight).hex.lower()
        await pilot.hover("#attention-head-2", offset=(2 + width * 4, line))  # above the diagonal
        assert "masked" in text_of(app, "#attention-cell")


async def test_moving_the_cursor_with_keys_shows_the_weight(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        await type_word(pilot, "ava")
        app.pane.focus()
        # right from the last column goes on to the next head
        await pilot.press("down", "down", *["right"] * 5)  # "ava" has 4 positions: the 4th right reaches head 1
        weight = app.pane.maps[0][1][2][1]
        assert f"head 1 · 'v' at 2 → 'a' at 1: {weight:.4f}" in text_of(app, "#attention-cell")


async def test_unknown_characters_give_a_message_not_a_crash(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        await type_word(pilot, "ava")
        await pilot.press("!")
        message = text_of(app, "#attention-message")
        assert "not in the vocabulary" in message and "'!'" in message
        assert not app.query_one("#attention-heads").display
        await pilot.press("backspace")  # back to the word drawn before
        assert app.query_one("#attention-heads").display
        assert "not in the vocabulary" not in text_of(app, "#attention-message")
        app.query_one(Input).value = "Ava"
        await pilot.pause()
        assert "'A'" in text_of(app, "#attention-message")


async def test_a_word_longer_than_the_block_is_cut_with_a_note(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        app.query_one(Input).value = "e" * 20  # as if typed, without twenty key presses
        await pilot.pause()
        assert len(app.pane.tokens) == model_snapshot.config.block_size
        assert "only the first 15 characters" in text_of(app, "#attention-message")


async def test_layer_keys_appear_only_with_more_than_one_layer(model_snapshot, two_layer_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        app.pane.focus()
        await pilot.pause()
        assert "change_layer" not in {b.binding.action.split("(")[0] for b in app.active_bindings.values()}
        await pilot.press("greater_than_sign")
        assert app.pane.selected_layer == 0

    app = AttentionApp(two_layer_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        app.pane.focus()
        await pilot.pause()
        shown = {b.binding.description for b in app.active_bindings.values() if b.binding.show}
        assert {"Prev layer", "Next layer"} <= shown
        await pilot.press("greater_than_sign")
        assert app.pane.selected_layer == 1
        assert app.query_one("#attention-head-0", Heatmap).values[1][0] == app.pane.maps[1][0][1][0]
        assert "layer 1 of 2" in text_of(app, "#attention-info")
        await pilot.press("down")
        assert text_of(app, "#attention-cell").startswith("layer 1 · head 0")
        await pilot.press("less_than_sign")
        assert app.pane.selected_layer == 0


async def test_escape_leaves_the_word_box(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        await type_word(pilot, "ava")
        await pilot.press("escape")
        assert app.pane.has_focus
        await pilot.press("n")
        assert app.query_one(Input).value == "ava"


async def test_a_snapshot_given_before_the_pane_is_mounted_is_drawn(model_snapshot):
    app = shown_before_mount(AttentionPane, model_snapshot, TUI_DIR / "panes" / "attention_pane.tcss")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert len(app.query(Heatmap)) == model_snapshot.config.n_head
        assert app.query_one(AttentionPane).word == model_snapshot.trained_on


def test_attention_pane_look(model_snapshot, snap_compare):
    async def point_at_a_cell(pilot):
        await type_word(pilot, "isabella")
        app.pane.focus()
        await pilot.press(*["right"] * 27, "down", "down", "down")  # head 3 (9 positions a head), then 'a' → '◆'


    app = AttentionApp(model_snapshot)
    assert snap_compare(app, terminal_size=(120, 28), run_before=point_at_a_cell)


def test_attention_pane_look_at_80_columns_following_training(model_snapshot, snap_compare):
    app = AttentionApp(model_snapshot)
    assert snap_compare(app, terminal_size=(80, 24))


# The pane's size in the app at 120×40 (two columns of panes, attention at top right), measured.
PANE_AT_120_BY_40 = (60, 19)
FIFTEEN = "charlotteharper"  # the longest word the block size takes: BOS + 15 characters


async def test_every_head_fits_the_pane_the_app_gives_at_120_by_40(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=PANE_AT_120_BY_40) as pilot:
        pane = app.pane
        for word in ("emma", FIFTEEN):
            pane.query_one(Input).value = word
            await pilot.pause()
            heads = list(app.query(Heatmap))
            assert len(heads) == model_snapshot.config.n_head == 4
            for heatmap in heads:
                assert pane.content_region.contains_region(heatmap.region), (word, heatmap.id, heatmap.region)
                assert heatmap.region.width > 0 and heatmap.region.height > 0
        # every position of 'emma' shows in every head without scrolling
        assert pane.arrangement.columns == 4 and pane.arrangement.positions >= len("emma") + 1


async def test_the_grids_keep_their_size_whatever_the_word(model_snapshot, two_snapshots):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=PANE_AT_120_BY_40) as pilot:
        pane = app.pane
        await pilot.pause()
        regions = [heatmap.region for heatmap in app.query(Heatmap)]
        for word in ("ava", FIFTEEN, "e", "isabella"):
            pane.query_one(Input).value = word
            await pilot.pause()
            assert [heatmap.region for heatmap in app.query(Heatmap)] == regions
        pane.query_one(Input).value = ""  # following training again
        await pilot.pause()

        # While training runs, a new step's name (of another length) only repaints: no layout.
        # (Typing is another matter: Textual's Input asks for a layout as its text grows.)
        layouts = 0
        original = app.screen._refresh_layout

        def counting_layout(*args, **kwargs):
            nonlocal layouts
            layouts += 1
            return original(*args, **kwargs)

        app.screen._refresh_layout = counting_layout
        assert len({len(snapshot.trained_on) for snapshot in two_snapshots}) == 2
        for snapshot in (*two_snapshots, *two_snapshots):
            pane.show_snapshot(snapshot)
            await pilot.pause()
            assert pane.word == snapshot.trained_on
        assert [heatmap.region for heatmap in app.query(Heatmap)] == regions
        assert layouts == 0


async def test_the_pane_is_one_tab_stop_and_its_word_box_still_takes_a_word(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert [widget.id or type(widget).__name__ for widget in app.screen.focus_chain] == ["AttentionPane"]
        await pilot.press("tab")
        assert app.focused is app.pane
        await pilot.press("tab")
        assert app.focused is app.pane  # the word box is skipped: tab comes round to the pane again
        box = app.query_one("#attention-word", Input)
        box.focus()  # a click or code still reaches the box
        await pilot.pause()
        assert app.focused is box
        await pilot.press("a", "v", "a")
        assert box.value == "ava" and app.pane.word == "ava"


async def test_clicking_a_cell_gives_the_pane_the_keyboard_there(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=(120, 30)) as pilot:
        await type_word(pilot, "emma")
        grid = app.query_one("#attention-head-2", Heatmap)
        width, line = grid.cell_width, 1 + 2 // grid.rows_per_line
        await pilot.click("#attention-head-2", offset=(2 + width * 1, line))  # row 2 ('m'), column 1 ('e')
        await pilot.pause()
        assert app.pane.has_focus
        await pilot.press("down")  # the arrows go on from the clicked cell
        weight = app.pane.maps[0][2][3][1]
        assert text_of(app, "#attention-cell").startswith(f"layer 0 · head 2 · 'm' at 3 → 'e' at 1: {weight:.4f}")


async def test_with_more_room_the_cells_grow(model_snapshot):
    app = AttentionApp(model_snapshot)
    async with app.run_test(size=PANE_AT_120_BY_40) as pilot:
        await pilot.pause()
        small = app.pane.arrangement
        assert (small.rows_per_line, small.cell_width) == (2, 1)  # half blocks: two rows a line
        await pilot.resize_terminal(200, 60)  # as when the pane is zoomed at 200×60
        await pilot.pause()
        large = app.pane.arrangement
        assert (large.rows_per_line, large.cell_width) == (1, 2) and large.positions == 16
        for heatmap in app.query(Heatmap):
            assert (heatmap.rows_per_line, heatmap.cell_width) == (1, 2)
            assert app.pane.content_region.contains_region(heatmap.region)
            assert heatmap.region.size == heatmap.virtual_size  # whole, nothing to scroll
