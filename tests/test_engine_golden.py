"""The engine reproduces the reference run's figures in golden.json."""

import math

import pytest

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.trainer import Trainer


@pytest.fixture(scope="module")
def names(names_path):
    return [line.strip() for line in names_path.read_text().splitlines() if line.strip()]


@pytest.fixture()
def trainer(names, golden):
    return Trainer(names, ModelConfig(vocab_size=golden["vocab_size"]), TrainConfig(), engine="scalar")


def test_vocabulary_and_size(trainer, names, golden):
    assert len(names) == golden["num_docs"]
    assert trainer.tokenizer.vocab_size == golden["vocab_size"]
    assert trainer.tokenizer.bos == golden["bos_id"]
    assert trainer.num_params == golden["num_params"]


def test_shuffled_order(trainer, golden):
    assert trainer.train_docs[:10] == golden["first_10_shuffled_docs"]


def test_initial_parameters(trainer, golden):
    assert trainer.weights()["wte"][0][:8] == golden["first_8_params_wte_row0"]
    assert trainer.weights()["layer0.mlp_fc2"][-1][-4:] == golden["last_4_params_mlp_fc2"]
    assert math.isclose(sum(trainer.params), golden["sum_of_initial_params"], rel_tol=0, abs_tol=1e-12)


def test_losses_of_first_ten_steps(trainer, golden):
    for step in range(1, 11):
        record = trainer.step()
        assert record.step == step
        assert abs(record.loss - golden["loss_at_step"][str(step)]) <= 1e-12
        assert record.lr == 0.01 * (1 - (step - 1) / 1000)
