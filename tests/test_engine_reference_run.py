"""A whole default run reproduces the reference: every step's loss and the 20 samples."""

import pytest

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.engines import ENGINES
from microgpt_tui.engine.sampling import generate
from microgpt_tui.engine.trainer import Trainer

ENGINE_PARAMS = [pytest.param(name, marks=[pytest.mark.slow] if name == "scalar" else []) for name in ENGINES]


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_default_run_matches_the_reference(engine, names_path, reference_run):
    docs = [line.strip() for line in names_path.read_text().splitlines() if line.strip()]
    trainer = Trainer(docs, ModelConfig(vocab_size=27), TrainConfig(), engine=engine)
    for expected in reference_run["loss_at_step"]:
        assert abs(trainer.step().loss - expected) <= 1e-12, f"step {trainer.step_count}"
    weights = trainer.weights()
    samples = [generate(trainer.config, weights, trainer.tokenizer, trainer.rng, 0.5) for _ in range(20)]
    assert samples == reference_run["samples"]
