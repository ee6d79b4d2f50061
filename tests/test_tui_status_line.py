"""The status line: what a glance at the top of the screen tells, and that it fits."""

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.training.bridge import InProcessTraining
from microgpt_tui.tui.status_line import Progress, StatusLine, format_duration, status_text
from microgpt_tui.tui.training.protocol import State
from conftest import run_spec

LONG_LABEL = "my-own-names-collected-over-many-years-final-v2.txt · 123,456 docs"


def running(total_steps: int, dataset: str = "names.txt · 32,033 docs") -> Progress:
    return Progress(dataset, 4192, "fast", total_steps, step=1830, state=State.RUNNING, lr=0.00977, steps_per_second=451.2)


def test_the_line_says_step_state_rate_eta_and_lr():
    text = status_text(running(100_000)).plain
    assert text.startswith("names.txt · 32,033 docs │ 4,192 params · fast engine │ ")
    assert "step   1830/100000 │ RUNNING │ 451 steps/s (max) · ETA 3m 38s · lr 0.00977" in text


def test_a_long_label_is_shortened_so_the_numbers_fit():
    text = status_text(running(100_000, LONG_LABEL), width=118)
    assert text.cell_len == 118
    assert text.plain.startswith("my-own-name") and "…" in text.plain
    assert text.plain.endswith("ETA 3m 38s · lr 0.00977")
    # with room to spare, or no width given, the label stays whole
    assert status_text(running(100_000, LONG_LABEL), width=300).plain.startswith(LONG_LABEL)
    assert status_text(running(100_000, LONG_LABEL)).plain.startswith(LONG_LABEL)


def test_on_two_lines_the_numbers_get_a_line_of_their_own():
    text = status_text(running(100_000, LONG_LABEL), width=78, lines=2)
    first, second = text.plain.split("\n")
    assert len(first) == 78 and first.startswith("my-own-names") and first.endswith("│ 4,192 params · fast engine")
    assert second == "step   1830/100000 │ RUNNING │ 451 steps/s (max) · ETA 3m 38s · lr 0.00977"


def test_durations_read_as_a_person_would_say_them():
    assert [format_duration(s) for s in (9.6, 217, 36_300)] == ["10s", "3m 37s", "10h 05m"]


async def test_a_million_steps_and_a_long_label_fit_one_line_at_120_columns():
    names = ("emma", "olivia", "ava", "mia", "luna")
    config = ModelConfig(Tokenizer.from_documents(names).vocab_size, n_embd=8, n_head=2, block_size=8)
    spec = run_spec(names, config, TrainConfig(steps=1_000_000), "scalar", start_paused=True)
    app = MicroGPTApp(spec, LONG_LABEL, connection=InProcessTraining(spec, step_every=0.05))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        line = app.query_one(StatusLine)
        shown = line.render().plain
        assert line.size.height == 1 and len(shown) <= line.content_size.width
        assert shown.endswith("step       0/1000000 │ PAUSED │ – steps/s (max) · ETA – · lr –")
        await pilot.resize_terminal(200, 40)
        await pilot.pause(0.2)
        assert line.render().plain.startswith(LONG_LABEL)  # room again: the whole label
        await pilot.resize_terminal(80, 24)  # narrow: two lines
        await pilot.pause(0.2)
        first, second = line.render().plain.split("\n")
        assert line.size.height == 2 and len(first) <= line.content_size.width and "…" in first
        assert second == "step       0/1000000 │ PAUSED │ – steps/s (max) · ETA – · lr –"


def test_the_line_names_the_pace_asked_for():
    progress = running(100_000)
    progress.pace = 50.0
    assert "451 steps/s (pace 50) · ETA" in status_text(progress).plain
