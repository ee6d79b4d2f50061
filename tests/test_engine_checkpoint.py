"""Checkpoint files: exact round trip, atomic writes, and a clear error for every bad file."""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from microgpt_tui.engine import checkpoint
from microgpt_tui.engine.config import MAX_PARAMS, ModelConfig, TrainConfig
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
        # the steps' names and per-position p: "ab" predicts a, b, BOS; "cabc" its first block_size (4)
        step_history=[checkpoint.StepTrace("ab", (0.25, 0.5, 0.125)), checkpoint.StepTrace("cabc", (0.3, 0.2, 0.1, 0.4))][:step],
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
    # files that parse but lie: each once passed loading and failed later (issue 12, item 13)
    "cut rng_state": (lambda d: d["rng_state"]["internal"].pop(), "rng_state internal should hold 625"),
    "rng_state not a list": (lambda d: set_value(d, ["rng_state", "internal"], "abc"), "rng_state internal should hold 625"),
    "rng_state word too big": (lambda d: set_value(d, ["rng_state", "internal", 5], 2**32), "rng_state internal[5] is 4294967296"),
    "rng_state word a string": (lambda d: set_value(d, ["rng_state", "internal", 7], "7"), "rng_state internal[7] is '7'"),
    "rng_state position": (lambda d: set_value(d, ["rng_state", "internal", 624], 625), "rng_state internal[624]"),
    "rng_state version": (lambda d: set_value(d, ["rng_state", "version"], "3"), "rng_state version is '3'"),
    "rng_state gauss_next": (lambda d: set_value(d, ["rng_state", "gauss_next"], [0.5]), "rng_state gauss_next"),
    "rng_state missing part": (lambda d: d["rng_state"].pop("gauss_next"), "rng_state should hold"),
    "unknown engine": (lambda d: set_value(d, ["engine"], "bogus"), "engine 'bogus' is not one"),
    "beta1 as a string": (lambda d: set_value(d, ["train", "beta1"], "0.85"), "train.beta1 should be a finite number, not '0.85'"),
    "seed as a list": (lambda d: set_value(d, ["train", "seed"], [42]), "train.seed should be a whole number, not a list"),
    "steps as true": (lambda d: set_value(d, ["train", "steps"], True), "train.steps should be a whole number, not true"),
    "config setting missing": (lambda d: d["config"].pop("n_embd"), "config lacks n_embd"),
    "config setting unknown": (lambda d: set_value(d, ["config", "dropout"], 0.1), "config has settings this program does not know"),
    "vocab_size null": (lambda d: set_value(d, ["config", "vocab_size"], None), "config.vocab_size should be a whole number, not null"),
    "deep nesting": (lambda d: "[" * 100_000, "nest too deep"),
    "5,000-digit step": (lambda d: json.dumps(d).replace('"step": 2', '"step": ' + "9" * 5000), "5,000 digits long"),
    "step as a string": (lambda d: set_value(d, ["step"], "2"), "step '2' is outside"),
    "duplicated vocabulary letter": (lambda d: set_value(d, ["vocabulary"], ["a", "a", "c"]), "the vocabulary holds 'a' twice"),
    "unsorted vocabulary": (lambda d: set_value(d, ["vocabulary"], ["b", "a", "c"]), "not in sorted order"),
    "loss history too short": (lambda d: d["losses"].pop(), "should hold 2 numbers, one a step, but holds 1"),
    "loss a string": (lambda d: set_value(d, ["losses", 1], "1.25"), "the loss of step 2 is '1.25'"),
    "loss infinite": (lambda d: (set_value(d, ["losses", 1], 12345.5), json.dumps(d).replace("12345.5", "1e999"))[1],
                      "the loss of step 2 is inf"),
    "weight a string": (lambda d: set_value(d, ["params", "wpe", 2, 1], "0.1"), "params wpe[2] holds '0.1', which is not a number"),
    "weight true": (lambda d: set_value(d, ["params", "wpe", 2, 1], True), "params wpe[2] holds true"),
    "negative adam_v": (lambda d: set_value(d, ["adam_v", "wte", 1, 0], -1.0), "adam_v wte[1] holds -1.0"),
    "matrix not a list": (lambda d: set_value(d, ["adam_m", "wte"], {"0": []}), "adam_m wte should be a list of 4 rows"),
    "unknown matrix": (lambda d: set_value(d, ["params", "extra"], [[0.0]]), "'extra' is not one"),
    "bad sha256": (lambda d: set_value(d, ["dataset", "sha256"], "xyz"), "sha256 'xyz' is not 64 hexadecimal digits"),
    "dataset name not text": (lambda d: set_value(d, ["dataset", "name"], 7), "dataset should hold"),
    "version true": (lambda d: set_value(d, ["version"], True), "version true"),
    "segments not rising": (lambda d: set_value(d, ["train", "segment_starts"], [0, 5, 3]), "segment-starts must start at 0 and rise"),
    "segment past the end": (lambda d: set_value(d, ["train", "segment_starts"], [0, 10]), "each below steps (10)"),
    "segments a string": (lambda d: set_value(d, ["train", "segment_starts"], "0"), "train.segment_starts should be a list of whole numbers"),
    "no segments": (lambda d: set_value(d, ["train", "segment_starts"], []), "train.segment_starts should be a list"),
    "step history not two lists": (lambda d: set_value(d, ["step_history"], [["ab", [0.5]]]), "step_history should hold two lists"),
    "more steps in the history than taken": (lambda d: (d["step_history"]["docs"].append("ab"), d["step_history"]["p"].append([0.5] * 3)),
                                             "at most 2 (the run's last steps), but holds 3 and 3"),
    "history name outside the vocabulary": (lambda d: set_value(d, ["step_history", "docs", 0], "xy"), "'xy' is not a name in the vocabulary"),
    "history p count": (lambda d: d["step_history"]["p"][1].pop(), "should hold 4 probabilities for 'cabc', but holds 3"),
    "history p of 0": (lambda d: set_value(d, ["step_history", "p", 0, 1], 0), "holds 0, which is not a probability above 0"),
    "history p above 1": (lambda d: set_value(d, ["step_history", "p", 0, 1], 1.5), "holds 1.5, which is not a probability"),
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
    assert "Traceback" not in message and len(message) < 400
    assert path.read_bytes() == before  # loading never changes the file


def test_a_checkpoint_written_before_steps_kept_their_names_loads_with_none_known(tmp_path):
    path = corrupt(tmp_path, lambda d: d.pop("step_history"))
    loaded = checkpoint.load(path)
    assert loaded.step_history == []
    assert loaded.losses == [1.5, 1.25] and loaded.step == 2  # the rest as before


def test_a_checkpoint_that_loads_can_be_trained_on(tmp_path):
    """What loading accepts, the trainer takes: the generator's state included."""
    path = tmp_path / "run.json"
    checkpoint.save(make_checkpoint(), path)
    saved = checkpoint.load(path)
    random.Random().setstate(saved.rng_state)
    assert saved.engine in ENGINES and saved.source == path


def test_the_row_that_differs_is_named_when_the_shape_looks_right(tmp_path):
    """'params wte is 4×4, but the config needs 4×4' said nothing: name the short row and its length."""
    path = corrupt(tmp_path, lambda d: d["params"]["wte"][2].pop())
    with pytest.raises(checkpoint.CheckpointError) as caught:
        checkpoint.load(path)
    assert "params wte[2] holds 3 numbers, but the config needs 4×4" in str(caught.value)
    assert "is 4×4" not in str(caught.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(checkpoint.CheckpointError, match="does not exist"):
        checkpoint.load(tmp_path / "nope.json")
    with pytest.raises(checkpoint.CheckpointError, match="folder"):
        checkpoint.load(tmp_path)


def load_in_a_thread(path):
    """Load `path`, giving up after 10 s so that a hang fails the test instead of stopping it."""
    outcome = []

    def attempt():
        try:
            checkpoint.load(path)
            outcome.append(None)
        except checkpoint.CheckpointError as err:
            outcome.append(err)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=10)
    return worker, outcome


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "run.json"
    os.mkfifo(fifo)
    worker, outcome = load_in_a_thread(fifo)
    if worker.is_alive():  # it waits for a writer: give it one so the thread can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not worker.is_alive(), "loading a FIFO hung"
    assert outcome and "named pipe" in str(outcome[0]) and str(fifo) in str(outcome[0])


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_a_device_is_refused_without_reading_it():
    worker, outcome = load_in_a_thread("/dev/zero")
    assert not worker.is_alive(), "reading /dev/zero never ended"
    assert outcome and "/dev/zero is a device" in str(outcome[0])


def test_an_oversize_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "run.json"
    with open(path, "wb") as handle:
        handle.truncate(checkpoint.MAX_CHECKPOINT_BYTES + 1)  # sparse: takes no disk space
    with pytest.raises(checkpoint.CheckpointError) as caught:
        checkpoint.load(path)
    assert f"more than the {checkpoint.MAX_CHECKPOINT_BYTES // 10**6} MB" in str(caught.value)
    assert checkpoint.MAX_CHECKPOINT_BYTES >= 3 * MAX_PARAMS * 26  # room for the largest model's weights and moments


# --- the data a checkpoint is resumed on ------------------------------------------------

@pytest.fixture()
def saved(tmp_path):
    path = tmp_path / "run.json"
    checkpoint.save(make_checkpoint(), path)  # trained on "abc", sha256 0…0
    return checkpoint.load(path)


@pytest.mark.parametrize("chars, difference", [
    (["a", "b"], "small.txt has 2: it lacks 'c';"),
    (["a", "b", "c", "q"], "small.txt has 4: it has 'q', which the checkpoint never saw;"),
    (["a", "c", "q"], "small.txt has 3: it lacks 'b' and has 'q', which the checkpoint never saw;"),
    (["a", "b", "\x1b"], "it lacks 'c' and has '\\x1b'"),  # a control character is shown escaped, never raw
])
def test_another_vocabulary_is_refused_saying_what_differs(saved, chars, difference):
    with pytest.raises(checkpoint.CheckpointError) as caught:
        checkpoint.check_data(saved, chars, "0" * 64, "small.txt")
    message = str(caught.value)
    assert f"checkpoint {saved.source} was trained on 3 characters" in message
    assert difference in message and "\n" not in message and "\x1b" not in message
    assert "resume it with the data it was trained on" in message


def test_the_same_letters_in_another_file_warn_in_one_line(saved):
    warning = checkpoint.check_data(saved, ["a", "b", "c"], "1" * 64, "small.txt")
    assert warning and "\n" not in warning
    assert "small.txt is not the file" in warning and "sha256 differs" in warning and str(saved.source) in warning


def test_the_data_it_was_trained_on_passes_in_silence(saved):
    assert checkpoint.check_data(saved, ["a", "b", "c"], "0" * 64, "small.txt") is None
    assert checkpoint.check_data(saved, ("a", "b", "c"), "", "small.txt") is None  # no checksum to compare


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
    assert list(resumed.history) == list(straight.history)  # each step's name and p's, saved and carried on
    assert resumed_losses == straight_losses[stop_at:]
    assert samples(resumed) == straight_samples


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_run_resumed_from_an_older_checkpoint_knows_only_the_steps_it_took_since(engine, tmp_path):
    docs = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper"] * 3
    config = ModelConfig(vocab_size=len(set("".join(docs))) + 1, n_embd=8, n_head=2, block_size=8)
    first = Trainer(docs, config, TrainConfig(steps=6), engine=engine)
    for _ in range(3):
        first.step()
    path = tmp_path / "old.json"
    checkpoint.save(first.checkpoint("names", ""), path)
    data = json.loads(path.read_text())
    del data["step_history"]  # as written before steps kept their names
    path.write_text(json.dumps(data))
    resumed = Trainer.from_checkpoint(checkpoint.load(path), docs)
    assert list(resumed.history) == [] and resumed.last_document() == first.last_document()
    records = [resumed.step() for _ in range(2)]
    assert [trace.doc for trace in resumed.history] == [r.doc for r in records] == [first.next_document(), first.train_docs[4]]


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
