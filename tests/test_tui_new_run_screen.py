"""The "New run" form: prefilled, checked by RunSettings.validate, estimating size and time, and branching."""

import pytest
from textual.app import App
from textual.widgets import Checkbox, Input, Select, Static

from microgpt_tui.engine.config import MAX_PARAMS, ModelConfig, TrainConfig
from microgpt_tui.tui.screens.new_run_screen import (
    FAST_SECONDS_PER_PARAM_STEP,
    NewRun,
    NewRunScreen,
    duration_text,
    number_text,
)
from microgpt_tui.tui.training.settings import RunSettings

VOCAB = 27  # names.txt: 26 letters and BOS
SETTINGS = RunSettings(ModelConfig(VOCAB), TrainConfig(steps=1000, learning_rate=0.01, seed=42), "fast")
SHAPE = ("n_layer", "n_embd", "n_head", "block_size")


class Host(App):
    """Nothing but the form, and what it returned."""

    def __init__(self, form: NewRunScreen) -> None:
        super().__init__()
        self.form = form
        self.results: list[NewRun | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.form, self.results.append)


def form(**options) -> NewRunScreen:
    options.setdefault("pace", 50.0)
    return NewRunScreen(options.pop("settings", SETTINGS), options.pop("data", "names"), **options)


def box(app: App, name: str) -> Input:
    return app.screen.query_one(f"#{name}", Input)


def message(app: App, name: str) -> Static:
    return app.screen.query_one(f"#{name}-message", Static)


def shown(app: App, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def type_into(pilot, name: str, text: str) -> None:
    """Empty a box and type `text` into it, key by key, as the learner would."""
    field = box(pilot.app, name)
    field.focus()
    field.value = ""
    await pilot.press(*text)
    await pilot.pause()


async def test_the_form_opens_with_the_current_runs_settings():
    app = Host(form())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, NewRunScreen)
        assert "New run" in shown(app, "#new-run-title")
        typed = {name: box(app, name).value for name in ("data", *SHAPE, "steps", "learning_rate", "seed", "pace")}
        assert typed == {"data": "names", "n_layer": "1", "n_embd": "16", "n_head": "4", "block_size": "16",
                         "steps": "1000", "learning_rate": "0.01", "seed": "42", "pace": "50"}
        assert app.screen.query_one("#engine", Select).value == "fast"
        assert "4,192 parameters" in shown(app, "#new-run-estimate")
        assert not app.screen.query("#branch")  # no branch offered without a step to branch from


async def test_pace_max_and_a_scalar_run_are_shown_as_they_are():
    settings = RunSettings(ModelConfig(VOCAB, n_layer=2), TrainConfig(learning_rate=0.0123456789), "scalar")
    app = Host(form(settings=settings, pace=None))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert box(app, "pace").value == "max"
        assert box(app, "learning_rate").value == "0.0123456789"  # never rounded for show
        assert box(app, "n_layer").value == "2"
        assert app.screen.query_one("#engine", Select).value == "scalar"


async def test_editing_the_width_updates_the_parameter_count_and_the_time():
    app = Host(form())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = shown(app, "#new-run-estimate")
        await type_into(pilot, "n_embd", "32")
        after = shown(app, "#new-run-estimate")
        params = ModelConfig(VOCAB, n_embd=32).num_params
        assert f"{params:,} parameters" in after and "4,192" not in after
        step = duration_text(params * FAST_SECONDS_PER_PARAM_STEP)
        assert f"about {step} a step" in after
        assert before != after


async def test_the_time_counts_the_pace_and_the_engine():
    app = Host(form(pace=5.0))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "1,000 steps take about 200 s at 5 steps/s" not in shown(app, "#new-run-estimate")  # 200 s is shown in minutes
        assert "take about 3 min at 5 steps/s" in shown(app, "#new-run-estimate")
        await type_into(pilot, "pace", "max")
        assert "at full speed" in shown(app, "#new-run-estimate")
        fast = shown(app, "#new-run-estimate")
        app.screen.query_one("#engine", Select).value = "scalar"
        await pilot.pause()
        scalar_step = duration_text(4192 * FAST_SECONDS_PER_PARAM_STEP * 70)
        assert f"about {scalar_step} a step" in shown(app, "#new-run-estimate") != fast


async def test_a_measured_rate_replaces_the_issues_figure():
    # measured on a scalar run: the fast engine is 70 times cheaper
    app = Host(form(settings=RunSettings(ModelConfig(VOCAB), TrainConfig(), "scalar"), seconds_per_step_per_param=7e-5))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#engine", Select).value = "fast"
        await pilot.pause()
        assert f"about {duration_text(4192 * 1e-6)} a step" in shown(app, "#new-run-estimate")


async def test_a_width_the_heads_do_not_divide_gets_the_command_lines_message_and_enter_does_not_start():
    app = Host(form())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_into(pilot, "n_embd", "18")
        expected = "(18) must be divisible by the number of heads (4): each head gets an equal slice of the embedding"
        assert str(message(app, "n_embd").content) == expected
        assert message(app, "n_embd").has_class("-problem")
        assert "parameters" not in shown(app, "#new-run-estimate")  # no count for a model that cannot be
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NewRunScreen) and app.results == []
        assert app.screen.focused is box(app, "n_embd")
        await type_into(pilot, "n_embd", "20")
        assert not message(app, "n_embd").has_class("-problem")


async def test_a_word_where_a_number_goes_is_named_beside_its_field():
    app = Host(form())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_into(pilot, "steps", "lots")
        await type_into(pilot, "learning_rate", "fast")
        await type_into(pilot, "pace", "0")
        assert str(message(app, "steps").content) == "takes a whole number, got 'lots'"
        assert str(message(app, "learning_rate").content) == "takes a number, got 'fast'"
        assert "above 0, or max, got '0'" in str(message(app, "pace").content)
        await pilot.click("#start")
        await pilot.pause()
        assert app.results == [] and isinstance(app.screen, NewRunScreen)


async def test_a_learning_rate_of_zero_gets_the_engines_own_check():
    app = Host(form())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_into(pilot, "learning_rate", "0")
        assert str(message(app, "learning_rate").content) == "must be a finite number greater than 0, got 0.0"


async def test_a_model_too_big_to_train_is_refused_below_the_fields():
    app = Host(form())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_into(pilot, "n_embd", "400")
        problem = shown(app, "#new-run-problem")
        assert f"more than the {MAX_PARAMS:,}" in problem and app.screen.query_one("#new-run-problem").display
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []


async def test_a_valid_edit_starts_a_run_with_those_settings():
    app = Host(form())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_into(pilot, "n_embd", "32")
        await type_into(pilot, "n_head", "8")
        await type_into(pilot, "steps", "500")
        await type_into(pilot, "learning_rate", "0.005")
        await type_into(pilot, "pace", "max")
        await pilot.press("enter")
        await pilot.pause()
    expected = RunSettings(ModelConfig(VOCAB, n_embd=32, n_head=8), TrainConfig(steps=500, learning_rate=0.005, seed=42), "fast")
    assert app.results == [NewRun(expected, "names", None, False)]
    assert app.results[0].dataset_name == "names" and app.results[0].data_path is None


async def test_the_start_button_starts_it_unchanged():
    app = Host(form())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.click("#start")
        await pilot.pause()
    assert app.results == [NewRun(SETTINGS, "names", 50.0, False)]


async def test_escape_cancels():
    app = Host(form())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_into(pilot, "steps", "5")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, NewRunScreen)
    assert app.results == [None]


async def test_other_data_leaves_the_vocabulary_to_the_app_and_calls_the_count_an_estimate(tmp_path):
    cities = tmp_path / "cities.txt"
    cities.write_text("paris\nrome\n")
    app = Host(form())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_into(pilot, "data", "nowhere.txt")
        assert "no such file" in str(message(app, "data").content)
        await type_into(pilot, "data", str(tmp_path))
        assert "is a folder" in str(message(app, "data").content)
        await type_into(pilot, "data", str(cities))
        assert not message(app, "data").has_class("-problem")
        assert "an estimate" in shown(app, "#new-run-estimate") and "4,192 parameters" in shown(app, "#new-run-estimate")
        await pilot.press("enter")
        await pilot.pause()
    (run,) = app.results
    assert run.data == str(cities) and run.data_path == str(cities) and run.dataset_name is None
    assert run.settings.model.vocab_size is None  # the app counts the new data's characters


async def test_the_note_shows_at_the_top():
    app = Host(form(note="the loss blew up; the learning rate is halved"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert shown(app, "#new-run-note") == "the loss blew up; the learning rate is halved"


async def test_a_branch_locks_the_data_the_shape_and_the_seed():
    app = Host(form(branch_step=300))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#branch", Checkbox).value is False
        await type_into(pilot, "n_embd", "32")  # edited before ticking: the branch puts the run's width back
        await pilot.click("#branch")
        await pilot.pause()
        for name in ("data", *SHAPE, "seed"):
            assert box(app, name).disabled, name
            assert "kept" in str(message(app, name).content)
        assert box(app, "n_embd").value == "16"
        for name in ("steps", "learning_rate", "pace"):
            assert not box(app, name).disabled
        assert not app.screen.query_one("#engine", Select).disabled
        assert "700 steps take" in shown(app, "#new-run-estimate")  # the 300 already taken are not counted
        assert str(message(app, "steps").content) == "in all, counting the 300 already taken"
        await type_into(pilot, "steps", "300")
        assert "must be more than 300, the step the branch starts from" in str(message(app, "steps").content)
        await type_into(pilot, "steps", "1000")
        await type_into(pilot, "learning_rate", "0.02")
        await pilot.press("enter")
        await pilot.pause()
    (run,) = app.results
    assert run.branch is True
    assert run.settings == RunSettings(ModelConfig(VOCAB), TrainConfig(learning_rate=0.02), "fast")


async def test_unticking_the_branch_frees_the_shape_again():
    app = Host(form(branch_step=10, branch=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert box(app, "n_embd").disabled
        app.screen.query_one("#branch", Checkbox).value = False
        await pilot.pause()
        assert not any(box(app, name).disabled for name in ("data", *SHAPE, "seed"))
        assert str(message(app, "n_embd").content) == "numbers per character (n_embd)"


def test_numbers_are_shown_as_typed_and_durations_in_a_readable_unit():
    assert [number_text(x) for x in (50.0, 2.5, 0.01, 1e-05, None)] == ["50", "2.5", "0.01", "1e-05", "max"]
    assert number_text(0.0123456789) == "0.0123456789"
    assert [duration_text(s) for s in (0.0067, 3.2, 20.4, 180, 7200)] == ["6.7 ms", "3.2 s", "20 s", "3 min", "2.0 h"]


def test_every_binding_has_a_description():
    assert all(binding.description for binding in NewRunScreen.BINDINGS)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_whole_form_shows_without_scrolling(size):
    app = Host(form(branch_step=300, note="the loss blew up; the learning rate is halved"))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        dialog = app.screen.query_one("#new-run")
        assert dialog.max_scroll_y == 0 and dialog.region.right <= size[0]
        assert app.screen.query_one("#new-run-buttons").region.bottom <= size[1]


def test_the_form_at_120x40(snap_compare):
    """The form for a run that blew up, offering a branch from step 300, with a width the heads do not divide."""

    async def edit_the_width(pilot):
        await pilot.pause()
        for text_box in pilot.app.screen.query(Input):
            text_box.cursor_blink = False
        await type_into(pilot, "n_embd", "18")

    app = Host(form(branch_step=300, note="the loss blew up; the learning rate is halved"))
    assert snap_compare(app, terminal_size=(120, 40), run_before=edit_the_width)
