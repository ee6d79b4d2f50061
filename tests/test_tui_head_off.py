"""Switching an attention head off for inference (issue 16, item 4), driven by Pilot.

`o` in the attention pane asks the app to switch the head under the cursor off; the app keeps
which heads are off and tells the attention and sample panes. Training never hears of it.
"""

import random
import time

from textual.widgets import Label, Static

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.inference import attention_maps, held_out_loss
from microgpt_tui.engine.sampling import generate, next_token_probs
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.app import MicroGPTApp
from microgpt_tui.tui.panes.attention_pane import AttentionPane
from microgpt_tui.tui.panes.sample_pane import SamplePane
from microgpt_tui.tui.training.bridge import InProcessTraining
from microgpt_tui.tui.training.snapshot import snapshot_of

from conftest import FIFTY_NAMES, TUI_DIR, OnePaneApp, run_spec
from test_tui_snapshots_panes import SIZE, default_model_app, stepped_and_zoomed

CONFIG = ModelConfig(Tokenizer.from_documents(FIFTY_NAMES).vocab_size)  # 4 heads, one layer


class AttentionApp(OnePaneApp):
    CSS_PATH = TUI_DIR / "panes" / "attention_pane.tcss"
    PANE = AttentionPane


class Recorded(InProcessTraining):
    """The stand-in for the training process, remembering every command the app sent it."""

    def __init__(self, spec):
        super().__init__(spec, step_every=0.01)
        self.sent = []

    def send(self, command):
        self.sent.append(command)
        super().send(command)


async def wait_for(pilot, condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.02)


def text(app, selector) -> str:
    return str(app.query_one(selector, Static).content)


async def test_o_switches_the_head_under_the_cursor_off_for_inference_only():
    spec = run_spec(FIFTY_NAMES, CONFIG, TrainConfig(steps=30, seed=42), "fast", start_paused=True, name="names")
    connection = Recorded(spec)
    app = MicroGPTApp(spec, "names · 50 docs", connection=connection)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None and app.held_out_names)
        for step in (1, 2):
            await pilot.press("n")
            await wait_for(pilot, lambda: app.latest_snapshot.step == step)
        await pilot.pause(0.2)
        snapshot = app.latest_snapshot
        attention, sample = app.query_one(AttentionPane), app.query_one(SamplePane)
        # the held-out names are the trainer's own
        assert list(app.held_out_names) == Trainer(spec.docs, CONFIG, spec.train).val_docs

        attention.focus()
        await pilot.pause()
        for _ in range(CONFIG.block_size + 1):  # rightwards into the second head's grid
            if attention._cursor_head == 1:
                break
            await pilot.press("right")
        assert attention._cursor_head == 1
        all_heads = next_token_probs(snapshot.config, snapshot.weights, snapshot.tokenizer, "", sample.temperature)
        assert sample.next_probs == all_heads
        sent = len(connection.sent)

        await pilot.press("o")
        off = frozenset({(0, 1)})
        assert app.heads_off == off
        titles = [str(label.content) for label in attention.query(".attention-head-title").results(Label)]
        assert titles == ["head 0", "head 1 · off", "head 2", "head 3"]
        without = next_token_probs(snapshot.config, snapshot.weights, snapshot.tokenizer, "", sample.temperature, off)
        assert without != all_heads
        assert sample.next_probs == without
        assert "heads off: 0:1" in text(app, "#sample-message")
        sample.rng = random.Random(7)
        sample.make_samples("")
        rng = random.Random(7)
        names = [generate(snapshot.config, snapshot.weights, snapshot.tokenizer, rng, sample.temperature, "", off)
                 for _ in range(10)]
        assert [completion.text for completion in sample.completions] == names
        assert "heads off: 0:1" in str(sample.query_one("#sample-results-title", Label).content)

        # the held-out loss with and without the head, on the shown weights, from the engine itself
        documents = [snapshot.tokenizer.encode_document(name) for name in app.held_out_names]
        expected = (held_out_loss(snapshot.config, snapshot.weights, documents),
                    held_out_loss(snapshot.config, snapshot.weights, documents, off))
        assert expected[0] != expected[1]
        key = (snapshot.step, snapshot.trained_on)
        await wait_for(pilot, lambda: (*key, off) in attention.held_out_losses)
        await pilot.pause()
        assert (attention.held_out_losses[*key, frozenset()], attention.held_out_losses[*key, off]) == expected
        assert text(app, "#attention-held-out") == (
            f"held-out loss {expected[0]:.4f} all on · {expected[1]:.4f} with 0:1 off")

        await pilot.press("o")  # on again: everything as it was
        assert app.heads_off == frozenset()
        assert sample.next_probs == all_heads
        assert "heads off" not in text(app, "#sample-message")
        assert not app.query_one("#attention-held-out").display
        assert [str(label.content) for label in attention.query(".attention-head-title").results(Label)][1] == "head 1"
        assert connection.sent[sent:] == []  # nothing went to training


async def test_a_switched_off_head_keeps_its_attention_weights():
    spec = run_spec(FIFTY_NAMES, CONFIG, TrainConfig(steps=30, seed=42), "fast", start_paused=True, name="names")
    app = MicroGPTApp(spec, "names · 50 docs", connection=InProcessTraining(spec, step_every=0.01))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None)
        await pilot.pause(0.2)
        attention = app.query_one(AttentionPane)
        before = attention.maps
        attention.focus()
        await pilot.press("o")
        assert app.heads_off == {(0, 0)}
        assert attention.maps == before  # one layer: switching a head off changes no weights drawn


def test_the_attention_pane_with_head_1_switched_off_at_120x40(snap_compare):
    async def before(pilot):
        await stepped_and_zoomed(pilot, "attention")
        app = pilot.app
        pane = app.query_one(AttentionPane)
        pane.focus()
        for _ in range(CONFIG.block_size + 1):  # rightwards into the second head's grid
            if pane._cursor_head == 1:
                break
            await pilot.press("right")
        await pilot.press("o")
        await wait_for(pilot, lambda: text(app, "#attention-held-out").startswith("held-out loss")
                       and "scoring" not in text(app, "#attention-held-out"))
        await pilot.pause(0.2)

    assert snap_compare(default_model_app(), terminal_size=SIZE, run_before=before)


async def test_with_two_layers_a_head_off_in_layer_0_changes_what_layer_1_attends_to():
    two_layers = ModelConfig(CONFIG.vocab_size, n_layer=2)
    snapshot = snapshot_of(Trainer(FIFTY_NAMES, two_layers, TrainConfig(steps=20, seed=42)))
    app = AttentionApp(snapshot)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.pane
        off = frozenset({(0, 2)})
        pane.set_heads_off(off)
        await pilot.pause()
        assert pane.maps == attention_maps(two_layers, snapshot.weights, pane.tokens, off)
        assert pane.maps[0] == attention_maps(two_layers, snapshot.weights, pane.tokens)[0]  # layer 0 looks as before
        assert pane.maps[1] != attention_maps(two_layers, snapshot.weights, pane.tokens)[1]
        titles = [str(label.content) for label in pane.query(".attention-head-title").results(Label)]
        assert titles[2] == "head 2 · off"
        pane.action_change_layer(1)
        await pilot.pause()
        titles = [str(label.content) for label in pane.query(".attention-head-title").results(Label)]
        assert titles[2] == "head 2"  # layer 1's head 2 is on
        assert "no held-out names" in text(app, "#attention-held-out")  # a pane alone is told none


async def test_newer_weights_for_the_same_heads_are_scored_only_after_a_rest(monkeypatch):
    """While training runs, scoring the held-out names again waits REST_AFTER_SCORING times as
    long as the last scoring took, so it never takes the app's whole core."""
    import microgpt_tui.tui.panes.attention_pane as attention_pane_module

    monkeypatch.setattr(attention_pane_module, "REST_AFTER_SCORING", 10_000)
    spec = run_spec(FIFTY_NAMES, CONFIG, TrainConfig(steps=30, seed=42), "fast", start_paused=True, name="names")
    app = MicroGPTApp(spec, "names · 50 docs", connection=Recorded(spec))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.latest_snapshot is not None and app.held_out_names)
        attention = app.query_one(AttentionPane)
        attention.focus()
        await pilot.pause()
        await pilot.press("o")
        await wait_for(pilot, lambda: any(step == 0 for step, _, _ in attention.held_out_losses))
        await wait_for(pilot, lambda: not (attention._scoring and attention._scoring.is_running))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.latest_snapshot.step == 1)
        await pilot.pause(0.5)
        assert {step for step, _, _ in attention.held_out_losses} == {0}  # resting: step 1 not scored
        assert "(step 0)" in text(app, "#attention-held-out")  # the line says which step its losses are of

        monkeypatch.setattr(attention_pane_module, "REST_AFTER_SCORING", 0)
        attention._next_scoring_at = 0.0  # as if the rest were over
        attention._rest_over()
        await wait_for(pilot, lambda: any(step == 1 for step, _, _ in attention.held_out_losses))
