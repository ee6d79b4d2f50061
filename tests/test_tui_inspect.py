"""Per-position predictions: the engines' own, inference.score_document's, and `microgpt-tui inspect`."""

import json
import math
import random

import pytest

from microgpt_tui.engine import checkpoint, fast, inference, scalar
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.params import ParamLayout, init_params
from microgpt_tui.engine.tokenizer import BOS_SYMBOL, Tokenizer
from microgpt_tui.engine.trainer import Trainer
from conftest import after_steps, run_cli

WORDS = "emma olivia ava isabella sophia charlotte mia amelia harper evelyn".split()


@pytest.mark.parametrize("engine", [scalar, fast], ids=["scalar", "fast"])
def test_an_engine_reports_each_positions_prediction_from_its_own_forward_pass(engine):
    tokenizer = Tokenizer.from_documents(WORDS)
    config = ModelConfig(vocab_size=tokenizer.vocab_size, block_size=8)
    weights = ParamLayout(config).matrices(init_params(config, random.Random(3)))
    tokens = tokenizer.encode_document("isabella")  # 9 predictions, cut to the block size
    predictions = []
    loss, grads = engine.loss_and_grads(config, weights, tokens, predictions)

    assert (loss, grads) == engine.loss_and_grads(config, weights, tokens)  # the list changes nothing else
    assert [pr.target for pr in predictions] == tokens[1:9]
    assert inference.mean_surprise(predictions) == loss
    assert predictions == inference.score_document(config, weights, tokens)  # the plain forward pass's floats
    for pr in predictions:
        assert pr.surprise == -math.log(pr.p)
        assert len(pr.top) == inference.TOP_GUESSES
        assert [p for _, p in pr.top] == sorted((p for _, p in pr.top), reverse=True)
    # the top guesses are the softmax's largest entries
    probs = inference.softmax(inference.forward_token(config, weights, tokens[0], 0, inference.KVCache(config.n_layer)))
    assert predictions[0].top[0] == (probs.index(max(probs)), max(probs))
    assert predictions[0].p == probs[tokens[1]]


def test_equal_probabilities_list_the_lower_token_first():
    assert inference.prediction([0.25, 0.5, 0.25, 0.0], 0, math.log(4)).top == ((1, 0.5), (0, 0.25), (2, 0.25))
    assert inference.prediction([0.4, 0.6], 1, 0.5).top == ((1, 0.6), (0, 0.4))  # fewer tokens than guesses


# --- `microgpt-tui inspect` on a saved run ---

NAMES = WORDS * 3 + ["alexandrina", "maximiliano"]


def saved_after(engine: str, steps: int, path, block_size: int = 16) -> Trainer:
    """A run on NAMES trained `steps` steps and saved to `path`; the trainer carries on from there."""
    config = ModelConfig(vocab_size=Tokenizer.from_documents(NAMES).vocab_size, block_size=block_size)
    trainer = after_steps(Trainer(NAMES, config, TrainConfig(steps=20, seed=5), engine), steps)
    checkpoint.save(trainer.checkpoint("test", ""), path)
    return trainer


@pytest.mark.parametrize("engine", ["scalar", "fast"])
def test_inspect_gives_the_loss_and_probabilities_of_the_next_training_step(engine, tmp_path, capsys):
    path = tmp_path / "run.json"
    trainer = saved_after(engine, 3, path)
    name = trainer.next_document()
    tokens = trainer.tokenizer.encode_document(name)
    engine_predictions = []
    trainer.engine.loss_and_grads(trainer.config, trainer.weights(), tokens, engine_predictions)
    record = trainer.step()  # step 4 trains on `name` with the saved weights
    assert record.doc == name

    status, out, err = run_cli(["inspect", "--checkpoint", path, "--text", name, "--json"], capsys)
    assert status == 0 and err == ""
    shown = json.loads(out)
    assert shown["text"] == name
    assert shown["loss"] == pytest.approx(record.loss, abs=1e-12, rel=0)
    positions = shown["positions"]
    assert [pos["position"] for pos in positions] == list(range(len(name) + 1))
    assert [pos["p"] for pos in positions] == pytest.approx([pr.p for pr in engine_predictions], abs=1e-15, rel=0)
    assert [pos["surprise"] for pos in positions] == pytest.approx([pr.surprise for pr in engine_predictions], abs=1e-15, rel=0)
    symbol = trainer.tokenizer.symbol
    assert [pos["top"] for pos in positions] == [[[symbol(t), pytest.approx(p, abs=1e-15, rel=0)] for t, p in pr.top]
                                                 for pr in engine_predictions]
    # BOS is drawn as its symbol: it opens every context and is the last target
    assert [pos["context"] for pos in positions] == [BOS_SYMBOL + name[:i] for i in range(len(name) + 1)]
    assert [pos["target"] for pos in positions] == list(name) + [BOS_SYMBOL]


def test_the_table_shows_each_position_and_the_mean_surprise(tmp_path, capsys):
    path = tmp_path / "run.json"
    saved_after("fast", 2, path)
    status, out, err = run_cli(["inspect", "--checkpoint", path, "--text", "mia"], capsys)
    _, as_json, _ = run_cli(["inspect", "--checkpoint", path, "--text", "mia", "--json"], capsys)
    shown = json.loads(as_json)
    lines = out.splitlines()
    assert status == 0 and err == ""
    assert "mia" in lines[0] and "4 predictions" in lines[0]
    assert lines[1].split()[:5] == ["pos", "context", "next", "p", "surprise"]
    rows = [line.split() for line in lines[2:6]]
    assert [row[:3] for row in rows] == [["0", BOS_SYMBOL, "m"], ["1", BOS_SYMBOL + "m", "i"],
                                         ["2", BOS_SYMBOL + "mi", "a"], ["3", BOS_SYMBOL + "mia", BOS_SYMBOL]]
    for row, position in zip(rows, shown["positions"]):
        assert row[3:5] == [f"{position['p']:.4f}", f"{position['surprise']:.4f}"]
        assert row[5:] == [field for char, p in position["top"] for field in (char, f"{p:.4f}")]
    assert lines[6].startswith(f"mean surprise {shown['loss']:.4f}: the loss")
    assert len(lines) == 7


@pytest.mark.parametrize("as_json", [False, True])
def test_a_word_longer_than_the_block_size_is_scored_on_its_first_predictions_and_says_so(as_json, tmp_path, capsys):
    path = tmp_path / "run.json"
    trainer = saved_after("fast", 2, path, block_size=6)
    predictions = []
    tokens = trainer.tokenizer.encode_document("alexandrina")
    loss, _ = trainer.engine.loss_and_grads(trainer.config, trainer.weights(), tokens, predictions)
    status, out, err = run_cli(["inspect", "--checkpoint", path, "--text", "alexandrina"] + (["--json"] if as_json else []), capsys)
    assert status == 0
    said = err if as_json else out
    assert "12 predictions, more than the block size of 6; only the first 6 are scored" in said
    if as_json:
        shown = json.loads(out)
        assert len(shown["positions"]) == 6 and shown["positions"][-1]["context"] == BOS_SYMBOL + "alexa"
        assert shown["positions"][-1]["target"] == "n"
        assert shown["loss"] == pytest.approx(loss, abs=1e-12, rel=0)
    else:
        assert f"mean surprise {loss:.4f}" in out


@pytest.mark.parametrize("text, problem", [
    ("", "--text is empty"),
    ("em!ma", "not in the model's vocabulary: '!'"),
    ("em\x1bma", "not in the model's vocabulary: '\\x1b'"),
])
def test_a_bad_word_is_one_line_and_exit_2(text, problem, tmp_path, capsys):
    path = tmp_path / "run.json"
    saved_after("fast", 1, path)
    status, out, err = run_cli(["inspect", "--checkpoint", path, "--text", text, "--json"], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("microgpt-tui: error: ") and problem in err
    assert "\x1b" not in err


def test_a_bad_checkpoint_is_one_line_and_exit_2(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "microgpt-tui checkpoint", "version": 1, "step": ')
    for path in (broken, tmp_path / "missing.json", tmp_path):
        status, out, err = run_cli(["inspect", "--checkpoint", path, "--text", "emma"], capsys)
        assert status == 2 and out == ""
        assert err.count("\n") == 1 and err.startswith("microgpt-tui: error: ") and "Traceback" not in err


def test_inspect_needs_a_checkpoint_and_a_word(tmp_path, capsys):
    for argv in (["inspect", "--text", "emma"], ["inspect", "--checkpoint", tmp_path / "run.json"]):
        status, out, err = run_cli(argv, capsys)
        assert status == 2 and out == "" and err.count("\n") == 1 and "required" in err
