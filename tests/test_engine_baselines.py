"""The counting baselines: checked by hand on tiny data, and recomputed independently on a small data set."""

import math
import random
import re
from collections import Counter

import pytest
from conftest import FIFTY_NAMES

from microgpt_tui.engine.baselines import baselines
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.command_line.main import main

# fifty names, the same reversed, and a few longer than the block size the tests use
DOCS = FIFTY_NAMES + [name[::-1] for name in FIFTY_NAMES] + ["alexandrina", "maximiliano", "christopher"]
END = None  # BOS, as the independent count below writes it: it starts and ends every name


def independent_baselines(docs, seed, block_size):
    """The definitions of issue 14, done another way: the split redone from the seed, and
    characters counted with Counter instead of token ids."""
    shuffled = list(docs)
    random.Random(seed).shuffle(shuffled)
    n_held_out = min(1000, len(shuffled) // 10)
    training, held_out = shuffled[: len(shuffled) - n_held_out], shuffled[len(shuffled) - n_held_out :]
    vocab = len(set("".join(docs))) + 1

    def pairs(name):
        sequence = [END, *name, END]
        return list(zip(sequence, sequence[1:]))[:block_size]

    following = Counter(pair for name in training for pair in pairs(name))
    targets = Counter(t for name in training for _, t in pairs(name))
    before = Counter(s for name in training for s, _ in pairs(name))
    scored = [pair for name in held_out for pair in pairs(name)]
    unigram = [-math.log((targets[t] + 1) / (targets.total() + vocab)) for _, t in scored]
    bigram = [-math.log((following[s, t] + 1) / (before[s] + vocab)) for s, t in scored]
    return n_held_out, math.log(vocab), sum(unigram) / len(scored), sum(bigram) / len(scored)


def test_a_tiny_example_by_hand():
    tokenizer = Tokenizer("ab")  # V = 3: a, b and BOS
    # training pairs: BOS→a, a→b, b→BOS (from "ab") and BOS→a, a→BOS (from "a")
    # so t counts a 2, b 1, BOS 2 (5 in all) and s→anything counts BOS 2, a 2, b 1
    # held out "ba": BOS→b, b→a, a→BOS
    got = baselines(["ab", "a"], ["ba"], tokenizer, block_size=16)
    assert got.held_out == 1
    assert got.uniform == pytest.approx(math.log(3), abs=1e-15)
    assert got.unigram == pytest.approx(-(math.log(2 / 8) + math.log(3 / 8) + math.log(3 / 8)) / 3, abs=1e-15)
    assert got.bigram == pytest.approx(-(math.log(1 / 5) + math.log(1 / 4) + math.log(2 / 5)) / 3, abs=1e-15)


def test_only_the_first_block_size_predictions_count():
    tokenizer = Tokenizer("ab")
    # block size 2: "abb" gives BOS→a, a→b (its b→b and b→BOS are never trained on);
    # held out "b": BOS→b, b→BOS
    got = baselines(["abb"], ["b"], tokenizer, block_size=2)
    assert got.unigram == pytest.approx(-(math.log(2 / 5) + math.log(1 / 5)) / 2, abs=1e-15)
    assert got.bigram == pytest.approx(-(math.log(1 / 4) + math.log(1 / 3)) / 2, abs=1e-15)


def test_nothing_held_out_gives_no_baselines():
    assert baselines(["ab", "a"], [], Tokenizer("ab"), block_size=16) is None


@pytest.mark.parametrize("block_size", [16, 6])
def test_the_trainers_split_gives_the_definitions_numbers(block_size):
    config = ModelConfig(vocab_size=Tokenizer.from_documents(DOCS).vocab_size, block_size=block_size)
    trainer = Trainer(DOCS, config, TrainConfig(seed=7))
    got = baselines(trainer.train_docs, trainer.val_docs, trainer.tokenizer, block_size)
    expected = independent_baselines(DOCS, seed=7, block_size=block_size)
    assert got.held_out == expected[0] == 10
    assert (got.uniform, got.unigram, got.bigram) == pytest.approx(expected[1:], abs=1e-12)
    # the counting models do better than chance, and knowing the character before helps
    assert got.uniform > got.unigram > got.bigram


def test_headless_prints_the_baselines_before_step_1(tmp_path, capsys):
    data = tmp_path / "names.txt"
    data.write_text("\n".join(DOCS) + "\n")
    status = main(["--headless", "--data", str(data), "--steps", "2", "--seed", "7", "--block-size", "6", "--num-samples", "0"])
    captured = capsys.readouterr()
    assert status == 0
    lines = [line for line in captured.err.splitlines() if line.startswith("baselines")]
    assert len(lines) == 1
    found = re.fullmatch(r"baselines on the (\d+) held-out names: uniform (\S+) · unigram (\S+) · bigram (\S+)", lines[0])
    n, uniform, unigram, bigram = independent_baselines(DOCS, seed=7, block_size=6)
    assert found.groups() == (str(n), f"{uniform:.4f}", f"{unigram:.4f}", f"{bigram:.4f}")
    assert captured.out.startswith("step")  # printed before step 1, on stderr


def test_the_help_says_what_beating_the_bigram_line_means(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "prints three baselines" in shown
    assert "A loss below the bigram line means the model predicts names it never trained on better than a table" in shown
