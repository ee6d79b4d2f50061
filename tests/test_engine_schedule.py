"""The learning-rate schedule: the reference's one linear decay, and a new one for each "train more"."""

from dataclasses import replace

import pytest

from conftest import FIFTY_NAMES
from microgpt_tui.engine import checkpoint
from microgpt_tui.engine.config import ConfigError, ModelConfig, TrainConfig
from microgpt_tui.engine.engines import ENGINES
from microgpt_tui.engine.optim import learning_rate_at
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer

VOCAB = Tokenizer.from_documents(FIFTY_NAMES).vocab_size
SMALL = ModelConfig(vocab_size=VOCAB, n_embd=8, n_head=2, block_size=8)


# ---- the schedule itself -----------------------------------------------------------------


@pytest.mark.parametrize("base_lr", [0.01, 0.003, 1e-3, 0.7])
def test_one_segment_is_the_reference_decay_to_the_last_bit(base_lr):
    for total in (1, 7, 1000):
        for step in range(total):
            assert learning_rate_at(base_lr, step, total) == base_lr * (1 - step / total)
            assert learning_rate_at(base_lr, step, total, (0,)) == base_lr * (1 - step / total)


def test_a_run_extended_from_20_to_30_steps_has_two_segments():
    train = TrainConfig(steps=20).extended(10)
    assert (train.steps, train.segment_starts, train.segments) == (30, (0, 20), [(0, 20), (20, 30)])
    lrs = [learning_rate_at(train.learning_rate, step, train.steps, train.segment_starts) for step in range(30)]
    assert lrs[:20] == [0.01 * (1 - step / 20) for step in range(20)]  # the first decay is unchanged
    assert lrs[20] == 0.01  # the new segment starts again at the run's learning rate...
    assert lrs[20:] == [0.01 * (1 - step / 10) for step in range(10)]  # ...and decays over the added steps
    assert TrainConfig(steps=20).extended(10).extended(5).segments == [(0, 20), (20, 30), (30, 35)]


@pytest.mark.parametrize("starts", [(1,), (0, 0), (0, 12, 5), (0, 30), (), [0], (0, 2.5), (0, True)])
def test_a_schedule_that_does_not_cover_the_run_is_refused(starts):
    with pytest.raises(ConfigError) as caught:
        TrainConfig(steps=30, segment_starts=starts).validate()
    assert caught.value.setting == "segment_starts"


@pytest.mark.parametrize("extra", [0, -5, True, 2.0])
def test_training_more_takes_a_positive_whole_number_of_steps(extra):
    with pytest.raises(ConfigError, match="extra-steps must be a positive whole number"):
        TrainConfig(steps=20).extended(extra)


# ---- an extended run, stopped and resumed, continues exactly ------------------------------


def losses_and_lrs(trainer, steps):
    records = [trainer.step() for _ in range(steps)]
    return [r.loss for r in records], [r.lr for r in records]


def saved_and_loaded(trainer, path):
    checkpoint.save(trainer.checkpoint("fifty", "a" * 64), path)
    return checkpoint.load(path)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_an_extended_run_saved_and_resumed_gives_the_same_losses_bit_for_bit(engine, tmp_path):
    first, more = 12, 8
    train = TrainConfig(steps=first, seed=3)

    # the definition: segment 1 is 0..12, segment 2 is 12..20, trained without a stop
    straight = Trainer(FIFTY_NAMES, SMALL, train, engine)
    losses, lrs = losses_and_lrs(straight, first)
    straight.extend(more)
    more_losses, more_lrs = losses_and_lrs(straight, more)
    losses, lrs = losses + more_losses, lrs + more_lrs
    assert straight.done and len(losses) == first + more and lrs[first] == train.learning_rate

    # extended, trained a little, saved, loaded and finished in a new trainer
    stopped = Trainer(FIFTY_NAMES, SMALL, train, engine)
    losses_and_lrs(stopped, first)
    stopped.extend(more)
    losses_and_lrs(stopped, 3)
    saved = saved_and_loaded(stopped, tmp_path / "extended.json")
    assert saved.train.segment_starts == (0, first)
    resumed = Trainer.from_checkpoint(saved, FIFTY_NAMES)
    assert losses_and_lrs(resumed, more - 3)[1] == lrs[first + 3:]
    assert resumed.losses == losses and resumed.params == straight.params
    assert (resumed.adam.m, resumed.adam.v, resumed.rng.getstate()) == (straight.adam.m, straight.adam.v, straight.rng.getstate())

    # saved when done, then extended from the file (as `--resume --steps 20` does)
    finished = Trainer(FIFTY_NAMES, SMALL, train, engine)
    losses_and_lrs(finished, first)
    saved = saved_and_loaded(finished, tmp_path / "finished.json")
    from_file = Trainer.from_checkpoint(replace(saved, train=saved.train.extended(more)), FIFTY_NAMES)
    losses_and_lrs(from_file, more)
    assert from_file.losses == losses and from_file.params == straight.params

    # extended before it was done: the new segment still starts where the old one ends
    early = Trainer(FIFTY_NAMES, SMALL, train, engine)
    losses_and_lrs(early, 5)
    early.extend(more)
    assert losses_and_lrs(early, first + more - 5)[1] == lrs[5:]
    assert early.losses == losses and early.params == straight.params


def test_the_new_segment_changes_the_run():
    """Without it the test above would pass for any schedule: a single decay over 20 steps differs."""
    extended = Trainer(FIFTY_NAMES, SMALL, TrainConfig(steps=12, seed=3), "fast")
    losses_and_lrs(extended, 12)
    extended.extend(8)
    losses_and_lrs(extended, 8)
    one_decay = Trainer(FIFTY_NAMES, SMALL, TrainConfig(steps=20, seed=3), "fast")
    losses_and_lrs(one_decay, 20)
    assert extended.losses[0] == one_decay.losses[0]  # the same start...
    assert extended.losses[2:] != one_decay.losses[2:]  # ...then other learning rates
    with pytest.raises(RuntimeError, match="finished"):
        extended.step()


def test_a_checkpoint_written_before_segments_loads_as_one_segment(tmp_path):
    trainer = Trainer(FIFTY_NAMES, SMALL, TrainConfig(steps=10, seed=3), "fast")
    losses_and_lrs(trainer, 4)
    path = tmp_path / "old.json"
    checkpoint.save(trainer.checkpoint("fifty", "a" * 64), path)
    text = path.read_text()
    assert '"segment_starts": [0]' in text
    path.write_text(text.replace(', "segment_starts": [0]', ""))  # as an older microgpt-tui wrote it
    saved = checkpoint.load(path)
    assert saved.train == TrainConfig(steps=10, seed=3) and saved.train.segments == [(0, 10)]
    resumed = Trainer.from_checkpoint(saved, FIFTY_NAMES)
    losses_and_lrs(resumed, 6)
    losses_and_lrs(trainer, 6)
    assert resumed.losses == trainer.losses
