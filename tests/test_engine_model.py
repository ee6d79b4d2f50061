"""The whole model: gradients against finite differences, float inference against Value."""

import math
import random

import pytest

from microgpt_tui.engine import scalar
from microgpt_tui.engine.config import MAX_PARAMS, ConfigError, ModelConfig
from microgpt_tui.engine.inference import KVCache, attention_maps, document_loss, forward_token
from microgpt_tui.engine.params import ParamLayout, init_params
from microgpt_tui.engine.value import Value

SMALL_CONFIGS = [
    ModelConfig(vocab_size=5, n_layer=1, n_embd=4, n_head=2, block_size=4, init_std=0.5),
    ModelConfig(vocab_size=6, n_layer=2, n_embd=6, n_head=3, block_size=5, init_std=0.5),
]
TOKENS = [4, 0, 1, 2, 1, 3, 4]


def make_weights(config, seed=0):
    layout = ParamLayout(config)
    return layout, init_params(config, random.Random(seed))


def tokens_for(config):
    return [t % config.vocab_size for t in TOKENS]


def mean_loss(config, layout, flat, tokens):
    # the float forward gives the scalar engine's loss exactly (tested below) and is much cheaper
    total, n = document_loss(config, layout.matrices(flat), tokens)
    return total / n


@pytest.mark.parametrize("config", SMALL_CONFIGS, ids=["1-layer", "2-layer"])
def test_every_gradient_matches_finite_difference(config):
    layout, flat = make_weights(config)
    tokens = tokens_for(config)
    _, grads = scalar.loss_and_grads(config, layout.matrices(flat), tokens)
    analytic = layout.flatten(grads)
    h = 1e-6
    for i in range(layout.size):
        plus, minus = list(flat), list(flat)
        plus[i] += h
        minus[i] -= h
        numeric = (mean_loss(config, layout, plus, tokens) - mean_loss(config, layout, minus, tokens)) / (2 * h)
        assert analytic[i] == pytest.approx(numeric, rel=1e-5, abs=1e-8), f"parameter {i}"


@pytest.mark.parametrize("config", SMALL_CONFIGS, ids=["1-layer", "2-layer"])
def test_float_inference_gives_the_scalar_engines_loss_exactly(config):
    layout, flat = make_weights(config, seed=3)
    tokens = tokens_for(config)
    loss, _ = scalar.loss_and_grads(config, layout.matrices(flat), tokens)
    total, n = document_loss(config, layout.matrices(flat), tokens)
    assert n == min(config.block_size, len(tokens) - 1)
    assert total / n == pytest.approx(loss, rel=1e-15)


@pytest.mark.parametrize("config", SMALL_CONFIGS, ids=["1-layer", "2-layer"])
def test_float_inference_gives_the_scalar_engines_logits_to_the_last_bit(config):
    layout, flat = make_weights(config, seed=4)
    weights = layout.matrices(flat)
    values = {name: [[Value(x) for x in row] for row in m] for name, m in weights.items()}
    keys, vals = [[] for _ in range(config.n_layer)], [[] for _ in range(config.n_layer)]
    cache = KVCache(config.n_layer)
    for pos, token in enumerate(tokens_for(config)[: config.block_size]):
        expected = [v.data for v in scalar.gpt(config, values, token, pos, keys, vals)]
        assert forward_token(config, weights, token, pos, cache) == expected, f"position {pos}"


def test_attention_maps_are_causal_and_normalised():
    config = SMALL_CONFIGS[1]
    layout, flat = make_weights(config)
    maps = attention_maps(config, layout.matrices(flat), [5, 0, 1, 2])
    assert len(maps) == config.n_layer and all(len(layer) == config.n_head for layer in maps)
    for layer in maps:
        for head in layer:
            assert [len(row) for row in head] == [1, 2, 3, 4]  # lower triangle
            for row in head:
                assert math.fsum(row) == pytest.approx(1.0)
                assert all(0 <= w <= 1 for w in row)


def test_layout_covers_every_parameter_once():
    config = SMALL_CONFIGS[1]
    layout = ParamLayout(config)
    assert layout.names[:3] == ["wte", "wpe", "lm_head"]
    assert layout.names[3:9] == [f"layer0.{n}" for n in ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")]
    assert layout.by_name["layer1.mlp_fc1"].shape == (4 * config.n_embd, config.n_embd)
    flat = list(range(layout.size))
    assert layout.flatten(layout.matrices(flat)) == flat


@pytest.mark.parametrize("config", [ModelConfig(vocab_size=27), *SMALL_CONFIGS, ModelConfig(vocab_size=300, n_layer=3, n_embd=32, n_head=8, block_size=9)])
def test_num_params_counts_what_the_layout_holds(config):
    assert config.num_params == ParamLayout(config).size
    assert ModelConfig(vocab_size=27).num_params == 4192  # the reference's model


def test_a_model_too_big_for_pure_python_is_refused_with_its_size():
    ModelConfig(vocab_size=27, n_embd=256).validate()  # 804,352 weights: slow, but allowed
    with pytest.raises(ConfigError, match="192,280,000 parameters, more than the 1,000,000") as refused:
        ModelConfig(vocab_size=27, n_embd=4000).validate()
    assert "distinct characters" not in str(refused.value)
    # where the vocabulary is what makes it big, the message says so
    with pytest.raises(ConfigError, match=r"fewer distinct characters \(it has 40,000\)"):
        ModelConfig(vocab_size=40_001, n_embd=16).validate()
    assert ModelConfig(vocab_size=27, n_embd=4000).num_params > MAX_PARAMS


# --- a training step reports each position's prediction from its own forward pass ---

from microgpt_tui.engine import inference  # noqa: E402
from microgpt_tui.engine.config import TrainConfig  # noqa: E402
from microgpt_tui.engine.engines import ENGINES  # noqa: E402
from microgpt_tui.engine.trainer import Trainer  # noqa: E402

STEP_NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"] * 2


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_step_reports_what_it_predicted_at_each_position_before_the_update(engine):
    config = ModelConfig(vocab_size=len(set("".join(STEP_NAMES))) + 1, n_embd=8, n_head=2, block_size=6)
    trainer = Trainer(STEP_NAMES, config, TrainConfig(steps=10), engine=engine)
    for _ in range(3):
        weights_before = trainer.weights()
        record = trainer.step()
        tokens = trainer.tokenizer.encode_document(record.doc)
        # the weights the step started from, position by position; a name longer than the block is cut
        expected = inference.score_document(config, weights_before, tokens)
        assert len(record.predictions) == min(config.block_size, len(record.doc) + 1)
        assert [pr.target for pr in record.predictions] == [pr.target for pr in expected]
        assert [pr.p for pr in record.predictions] == pytest.approx([pr.p for pr in expected], rel=1e-14)
        assert [[token for token, _ in pr.top] for pr in record.predictions] == [[token for token, _ in pr.top] for pr in expected]
        assert inference.mean_surprise(record.predictions) == pytest.approx(record.loss, rel=1e-15)
        # the run keeps the name and the p's, to 4 significant digits
        assert trainer.history[-1].doc == record.doc == trainer.last_document()
        assert trainer.history[-1].p == pytest.approx([pr.p for pr in record.predictions], rel=1e-3)
    assert [trace.doc for trace in trainer.history] == trainer.train_docs[:3]
    assert trainer.last_step is record


def test_before_the_first_step_no_name_has_been_trained_on():
    config = ModelConfig(vocab_size=len(set("".join(STEP_NAMES))) + 1, n_embd=8, n_head=2, block_size=6)
    trainer = Trainer(STEP_NAMES, config, TrainConfig(steps=10))
    assert trainer.last_document() is None and trainer.last_step is None and not trainer.history
