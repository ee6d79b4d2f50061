"""Names from the data never reach the screen raw (issue 12, item 9): every pane shows their escapes."""

import time

from textual.widgets import Static

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.training.bridge import InProcessTraining
from microgpt_tui.tui.training.protocol import State
from conftest import run_spec

HOSTILE = ("\x1b]2;INJECTED\x1b\\", "ab\x1b[41mred", "emma", "olivia", "ava", "mia", "luna", "ella") * 3


async def test_control_characters_from_the_data_are_escaped_in_every_pane():
    config = ModelConfig(Tokenizer.from_documents(HOSTILE).vocab_size, n_embd=8, n_head=2, block_size=16)
    spec = run_spec(HOSTILE, config, TrainConfig(steps=12, seed=1), "fast", name="hostile\x1b[41m")
    app = MicroGPTApp(spec, "hostile\x1b[41m · 24 docs", connection=InProcessTraining(spec, step_every=0.005))
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 20
        while not (app.progress.state is State.DONE and app.latest_snapshot is not None):
            assert time.monotonic() < deadline, "the run never finished"
            await pilot.pause(0.05)
        await pilot.pause(0.5)
        app.query_one("#sample-prefix").value = ""
        app.query_one("#sample").make_samples("")  # names drawn from a model that knows ESC
        await pilot.pause(0.3)
        screen_text = app.export_screenshot()
        assert "\x1b]2;" not in screen_text and "\x1b[41m" not in screen_text
        shown = [str(w.render()) for w in app.query(Static)]
        assert not any("\x1b" in text for text in shown)
        assert "\\x1b" in "".join(shown) or "\\x1b" in screen_text  # shown, escaped
