"""The Sample pane: completions of a prefix, the temperature slider, next-character bars."""

from textual.widgets import Input

import microgpt_tui.tui.panes.sample_pane as sample_pane_module
from microgpt_tui.engine.sampling import next_token_probs
from microgpt_tui.tui.widgets.next_char_bars import NextCharBars
from microgpt_tui.tui.panes.sample_pane import SamplePane
from microgpt_tui.tui.widgets.temperature_slider import VALUE_WIDTH, TemperatureSlider

from conftest import FIFTY_NAMES, TUI_DIR, OnePaneApp, shown_before_mount, text_of

# model_snapshot (the model on FIFTY_NAMES after 2 steps) comes from conftest.py


class SampleApp(OnePaneApp):
    CSS_PATH = TUI_DIR / "panes" / "sample_pane.tcss"
    AUTO_FOCUS = None  # as in the app: the prefix box is not focused until the user goes there
    PANE = SamplePane

    def new_pane(self) -> SamplePane:
        return SamplePane(seed=7)


async def type_prefix(pilot, prefix: str) -> None:
    await pilot.pause()  # let the first layout finish, so the click lands on the box
    await pilot.click("#sample-prefix")
    await pilot.press(*prefix)


async def test_a_typed_prefix_yields_ten_completions_that_start_with_it(model_snapshot):
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        app.pane.set_training_names(frozenset(FIFTY_NAMES))
        await type_prefix(pilot, "em")
        await pilot.press("enter")
        completions = app.pane.completions
        assert len(completions) == 10
        for completion in completions:
            assert completion.text.startswith("em")
            assert completion.in_training_data == (completion.text in FIFTY_NAMES)
        shown = text_of(app, "#sample-results")
        assert all(c.text in shown for c in completions)
        assert "completions of 'em'" in text_of(app, "#sample-results-title")


async def test_completions_are_marked_known_when_in_the_training_names(model_snapshot):
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        app.pane.temperature = 0  # greedy: the same completion every time
        await type_prefix(pilot, "a")
        await pilot.press("enter")
        greedy = app.pane.completions[0].text
        app.pane.set_training_names(frozenset({greedy}))
        await pilot.press("enter")
        assert [c.text for c in app.pane.completions] == [greedy] * 10
        assert all(c.in_training_data for c in app.pane.completions)
        assert "in data" in text_of(app, "#sample-results")
        app.pane.set_training_names(frozenset())
        await pilot.press("enter")
        assert not any(c.in_training_data for c in app.pane.completions)
        assert "new" in text_of(app, "#sample-results")


async def test_temperature_zero_is_greedy_and_the_same_every_time(model_snapshot):
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        app.pane.query_one(TemperatureSlider).focus()
        await pilot.press("home")
        assert app.pane.temperature == 0.0
        await pilot.click("#sample-prefix")
        await pilot.press("enter")
        first = [c.text for c in app.pane.completions]
        await pilot.press("enter")
        assert [c.text for c in app.pane.completions] == first
        assert len(set(first)) == 1


async def test_slider_keys_and_clicks_set_the_temperature_sampling_uses(model_snapshot, monkeypatch):
    used: list[float] = []
    real_generate = sample_pane_module.generate

    def recording_generate(config, weights, tokenizer, rng, temperature, prefix, heads_off=frozenset()):
        used.append(temperature)
        return real_generate(config, weights, tokenizer, rng, temperature, prefix, heads_off)

    monkeypatch.setattr(sample_pane_module, "generate", recording_generate)
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        slider = app.pane.query_one(TemperatureSlider)
        slider.focus()
        await pilot.press("right", "right", "right")
        assert app.pane.temperature == 0.65
        await pilot.click("#sample-prefix")
        await pilot.press("enter")
        assert used == [0.65] * 10

        used.clear()
        track = slider.content_size.width - VALUE_WIDTH
        await pilot.click(TemperatureSlider, offset=(track - 1, 0))  # the right end of the track
        assert app.pane.temperature == 2.0
        await pilot.click("#sample-prefix")
        await pilot.press("enter")
        assert used == [2.0] * 10


async def test_change_temperature_steps_and_clamps_at_0_and_2(model_snapshot):
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.pane
        assert pane.temperature == 0.5
        pane.change_temperature(-0.05)
        assert pane.temperature == 0.45
        for _ in range(20):
            pane.change_temperature(-0.05)
        assert pane.temperature == 0.0
        pane.change_temperature(+5)
        assert pane.temperature == 2.0
        pane.change_temperature(+0.05)
        assert pane.temperature == 2.0
        await pilot.pause()
        assert "2.00" in pane.query_one(TemperatureSlider).render().plain


async def test_an_out_of_vocabulary_prefix_gives_a_message_not_a_crash(model_snapshot):
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_prefix(pilot, "eQ")
        message = text_of(app, "#sample-message")
        assert "not in the vocabulary" in message and "'Q'" in message
        assert app.query_one("#sample-message").has_class("error")
        assert app.query_one(NextCharBars).entries == []
        await pilot.press("enter")
        assert app.pane.completions == []
        assert "not in the vocabulary" in text_of(app, "#sample-message")


async def test_characters_that_look_like_markup_are_shown_as_typed(model_snapshot):
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_prefix(pilot, "[b]")
        await pilot.press("enter")
        assert "'['" in text_of(app, "#sample-message")


async def test_an_over_long_prefix_gives_the_check_prefix_message(model_snapshot):
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_prefix(pilot, "e")
        app.query_one(Input).value = "e" * model_snapshot.config.block_size  # without 16 key presses
        await pilot.press("enter")
        assert "too long" in text_of(app, "#sample-message")
        assert app.pane.completions == []
        await pilot.press("backspace")  # one character fewer fits
        assert "too long" not in text_of(app, "#sample-message")
        await pilot.press("enter")
        assert len(app.pane.completions) == 10


async def test_an_empty_prefix_gives_free_samples(model_snapshot):
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#sample-prefix")
        await pilot.press("enter")
        assert len(app.pane.completions) == 10
        assert "10 names" in text_of(app, "#sample-results-title")


async def test_next_char_bars_show_ten_probabilities_and_follow_typing(model_snapshot):
    app = SampleApp(model_snapshot)
    s = model_snapshot
    async with app.run_test(size=(100, 30)) as pilot:
        bars = app.query_one(NextCharBars)
        assert len(bars.entries) == 10
        assert sum(p for _, p in bars.entries) <= 1.0
        first_letters = list(bars.entries)
        await type_prefix(pilot, "e")
        probs = next_token_probs(s.config, s.weights, s.tokenizer, "e", app.pane.temperature)
        assert bars.entries != first_letters
        assert [p for _, p in bars.entries] == sorted(probs, reverse=True)[:10]
        await pilot.press("m")
        after_em = next_token_probs(s.config, s.weights, s.tokenizer, "em", app.pane.temperature)
        assert [p for _, p in bars.entries] == sorted(after_em, reverse=True)[:10]
        assert "after 'em'" in text_of(app, "#sample-next-title")


async def test_next_char_bars_follow_the_temperature_sampling_uses(model_snapshot):
    app = SampleApp(model_snapshot)
    s = model_snapshot

    def top_probs(temperature):
        return sorted(next_token_probs(s.config, s.weights, s.tokenizer, "", temperature), reverse=True)[:10]

    async with app.run_test(size=(100, 30)) as pilot:
        bars = app.query_one(NextCharBars)
        assert [p for _, p in bars.entries] == top_probs(0.5)
        assert "temperature 0.50" in text_of(app, "#sample-next-title")
        app.pane.change_temperature(+0.5)  # as the app's ] key does, ten times
        await pilot.pause()
        assert [p for _, p in bars.entries] == top_probs(1.0)
        assert top_probs(1.0) == sorted(next_token_probs(s.config, s.weights, s.tokenizer, ""), reverse=True)[:10]
        assert top_probs(1.0)[0] < top_probs(0.5)[0]  # hotter is flatter
        assert "temperature 1.00" in text_of(app, "#sample-next-title")
        app.pane.query_one(TemperatureSlider).focus()
        await pilot.press("home")  # greedy: the likeliest character every time
        assert [p for _, p in bars.entries] == [1.0]
        model_odds = next_token_probs(s.config, s.weights, s.tokenizer, "")
        likeliest = model_odds.index(max(model_odds))
        assert bars.entries[0][0].startswith(s.tokenizer.symbol(likeliest))  # "◆ end" for BOS


async def test_show_final_names_lists_the_runs_names_without_touching_the_panes_generator(model_snapshot):
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        app.pane.set_training_names(frozenset({"emma"}))
        before = app.pane.rng.getstate()
        names = tuple(f"name{i}" for i in range(19)) + ("emma",)
        app.pane.show_final_names(names, 0.5)
        await pilot.pause()
        assert [c.text for c in app.pane.completions] == list(names)
        assert [c.in_training_data for c in app.pane.completions] == [False] * 19 + [True]
        shown = text_of(app, "#sample-results")
        assert all(name in shown for name in names)
        assert "training done: 20 names" in text_of(app, "#sample-results-title")
        assert app.pane.rng.getstate() == before  # its own generator serves only Enter


async def test_escape_leaves_the_prefix_box_so_app_keys_work_again(model_snapshot):
    app = SampleApp(model_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_prefix(pilot, "em")
        await pilot.press("escape")
        assert not app.query_one(Input).has_focus
        await pilot.press("n")
        assert app.query_one(Input).value == "em"


async def test_a_snapshot_given_before_the_pane_is_mounted_is_drawn(model_snapshot):
    # no seed: the app's own pane
    app = shown_before_mount(SamplePane, model_snapshot, TUI_DIR / "panes" / "sample_pane.tcss")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert len(app.query_one(NextCharBars).entries) == 10


def test_sample_pane_look(model_snapshot, snap_compare):
    async def ask_for_em(pilot):
        app.pane.set_training_names(frozenset(FIFTY_NAMES))
        await type_prefix(pilot, "em")
        await pilot.press("enter")

    app = SampleApp(model_snapshot)
    assert snap_compare(app, terminal_size=(100, 26), run_before=ask_for_em)


def test_sample_pane_look_with_an_error_at_80_columns(model_snapshot, snap_compare):
    async def type_a_capital(pilot):
        await type_prefix(pilot, "Em")

    app = SampleApp(model_snapshot)
    assert snap_compare(app, terminal_size=(80, 24), run_before=type_a_capital)
