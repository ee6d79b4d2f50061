"""Checkpoint files: exact round trip, atomic writes, and a clear error for every bad file."""

import json
import random
import signal
import subprocess
import sys
import time

import pytest

from microgpt_tui.engine import checkpoint
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.params import ParamLayout, init_params

CONFIG = ModelConfig(vocab_size=4, n_layer=1, n_embd=4, n_head=2, block_size=4)


def make_checkpoint(seed=0, step=2):
    rng = random.Random(seed)
    layout = ParamLayout(CONFIG)
    params = init_params(CONFIG, rng)
    return checkpoint.Checkpoint(
        config=CONFIG, train=TrainConfig(steps=10, seed=seed), engine="scalar", chars=["a", "b", "c"],
        dataset_name="tiny", dataset_sha256="0" * 64, step=step, params=params,
        adam_m=[x / 3 for x in params], adam_v=[x * x for x in params][: layout.size],
        rng_state=rng.getstate(), losses=[1.5, 1.25][:step],
    )


def test_round_trip_is_exact(tmp_path):
    original = make_checkpoint()
    path = tmp_path / "run.json"
    checkpoint.save(original, path)
    loaded = checkpoint.load(path)
    assert loaded == original  # every float, bit for bit, and the RNG state
    restored = random.Random()
    restored.setstate(loaded.rng_state)
    expected = random.Random()
    expected.setstate(original.rng_state)
    assert [restored.random() for _ in range(5)] == [expected.random() for _ in range(5)]


def test_save_replaces_an_older_checkpoint_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "run.json"
    checkpoint.save(make_checkpoint(seed=1), path)
    checkpoint.save(make_checkpoint(seed=2), path)
    assert checkpoint.load(path) == make_checkpoint(seed=2)
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_refuses_to_save_non_finite_numbers(tmp_path):
    bad = make_checkpoint()
    bad.params[3] = float("nan")
    with pytest.raises(checkpoint.CheckpointError, match="non-finite"):
        checkpoint.save(bad, tmp_path / "run.json")
    assert not (tmp_path / "run.json").exists()


WRITER = """
import sys, random
sys.path.insert(0, {tests!r})
from test_engine_checkpoint import make_checkpoint
from microgpt_tui.engine import checkpoint
seed = 0
print("ready", flush=True)
while True:
    seed += 1
    checkpoint.save(make_checkpoint(seed=seed % 7), {path!r})
"""


def test_a_writer_killed_mid_save_leaves_a_loadable_file(tmp_path):
    path = tmp_path / "run.json"
    checkpoint.save(make_checkpoint(), path)
    script = WRITER.format(tests=str(__import__("pathlib").Path(__file__).parent), path=str(path))
    for delay in (0.0, 0.013, 0.031, 0.05, 0.077, 0.1, 0.15, 0.2):
        writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert writer.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        loaded = checkpoint.load(path)  # the old file or a new one, never half of one
        assert loaded.config == CONFIG


def corrupt(tmp_path, edit):
    path = tmp_path / "run.json"
    checkpoint.save(make_checkpoint(), path)
    data = json.loads(path.read_text())
    text = edit(data)
    path.write_text(text if isinstance(text, str) else json.dumps(data))
    return path


def set_value(data, keys, value):
    target = data
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


BAD_FILES = {
    "not JSON": (lambda d: "this is not json", "not valid JSON"),
    "truncated": (lambda d: json.dumps(d)[:-40], "truncated"),
    "truncated in a string": (lambda d: json.dumps(d)[: json.dumps(d).index('"sha256"') + 4], "truncated"),
    "empty": (lambda d: "", "truncated"),
    "unknown version": (lambda d: set_value(d, ["version"], 99), "version 99"),
    "not a checkpoint": (lambda d: set_value(d, ["format"], "something else"), "not a microgpt-tui checkpoint"),
    "NaN weight": (lambda d: json.dumps(d).replace("1.5", "NaN", 1), "NaN"),
    "infinite weight": (lambda d: (set_value(d, ["params", "wte", 0, 0], 12345.5), json.dumps(d).replace("12345.5", "1e999"))[1],
                        "not a finite number"),
    "Infinity literal": (lambda d: json.dumps(d).replace("1.25", "-Infinity", 1), "Infinity"),
    "wrong shape": (lambda d: set_value(d, ["params", "layer0.attn_wq"], [[0.0] * 4] * 3), "3×4"),
    "ragged rows": (lambda d: d["adam_m"]["wpe"][1].pop(), "adam_m wpe"),
    "missing matrix": (lambda d: d["adam_v"].pop("lm_head"), "adam_v should hold"),
    "missing key": (lambda d: d.pop("rng_state"), "missing 'rng_state'"),
    "bad config": (lambda d: set_value(d, ["config", "n_head"], 3), "divisible"),
    "vocabulary size": (lambda d: set_value(d, ["vocabulary"], ["a", "b"]), "vocabulary has 2"),
    "step out of range": (lambda d: set_value(d, ["step"], 11), "outside"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_every_bad_file_gets_one_clear_line(tmp_path, case):
    edit, phrase = BAD_FILES[case]
    path = corrupt(tmp_path, edit)
    before = path.read_bytes()
    with pytest.raises(checkpoint.CheckpointError) as caught:
        checkpoint.load(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert phrase in message
    assert path.read_bytes() == before  # loading never changes the file


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(checkpoint.CheckpointError, match="does not exist"):
        checkpoint.load(tmp_path / "nope.json")
    with pytest.raises(checkpoint.CheckpointError, match="folder"):
        checkpoint.load(tmp_path)


# --- a trainer saved and resumed continues exactly -------------------------------------

from microgpt_tui.engine.engines import ENGINES  # noqa: E402
from microgpt_tui.engine.sampling import generate  # noqa: E402
from microgpt_tui.engine.trainer import Trainer, TrainingDiverged  # noqa: E402


@pytest.mark.parametrize("engine", list(ENGINES))
def test_resume_is_exact_bit_for_bit(engine, names_path, tmp_path):
    docs = [line.strip() for line in names_path.read_text().splitlines() if line.strip()][:3000]
    steps, stop_at = (24, 10) if engine == "scalar" else (300, 120)
    config, train = ModelConfig(vocab_size=27), TrainConfig(steps=steps)

    def samples(trainer):
        weights = trainer.weights()
        return [generate(trainer.config, weights, trainer.tokenizer, trainer.rng, 0.5) for _ in range(20)]

    straight = Trainer(docs, config, train, engine=engine)
    straight_losses = [straight.step().loss for _ in range(steps)]
    straight_samples = samples(straight)

    first = Trainer(docs, config, train, engine=engine)
    for _ in range(stop_at):
        first.step()
    path = tmp_path / "run.json"
    checkpoint.save(first.checkpoint("names", "f" * 64), path)
    resumed = Trainer.from_checkpoint(checkpoint.load(path), docs)
    assert resumed.engine_name == engine and resumed.step_count == stop_at
    resumed_losses = [resumed.step().loss for _ in range(steps - stop_at)]
    assert resumed.losses == straight_losses  # the whole history, to the last bit
    assert resumed_losses == straight_losses[stop_at:]
    assert samples(resumed) == straight_samples


def test_resume_refuses_data_with_another_vocabulary(tmp_path):
    trainer = Trainer(["abc", "cab", "bca"] * 5, ModelConfig(vocab_size=4, n_embd=4, n_head=2, block_size=4), TrainConfig(steps=5))
    trainer.step()
    with pytest.raises(checkpoint.CheckpointError, match="vocabulary"):
        Trainer.from_checkpoint(trainer.checkpoint("tiny", "0" * 64), ["xyz"] * 15)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_blow_up_raises_and_keeps_the_last_finite_weights(engine):
    docs = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper"] * 20
    trainer = Trainer(docs, ModelConfig(vocab_size=len(set("".join(docs))) + 1), TrainConfig(learning_rate=100), engine=engine)
    with pytest.raises(TrainingDiverged) as caught:
        for _ in range(50):
            trainer.step()
    failed_at = caught.value.step
    assert failed_at == trainer.step_count + 1
    assert "at step" in str(caught.value)
    params, m, v = list(trainer.params), list(trainer.adam.m), list(trainer.adam.v)
    assert all(map(__import__("math").isfinite, params))
    with pytest.raises(TrainingDiverged):
        trainer.step()  # still diverges, and still changes nothing
    assert (trainer.params, trainer.adam.m, trainer.adam.v) == (params, m, v)
    assert len(trainer.losses) == trainer.step_count
