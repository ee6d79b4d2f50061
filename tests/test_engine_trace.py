"""The recorded forward pass (engine/trace.py) and switching heads off (inference's heads_off)."""

import math
import random

import pytest

from microgpt_tui.engine import inference, sampling, trace
from microgpt_tui.engine.config import ModelConfig
from microgpt_tui.engine.params import ParamLayout, init_params
from microgpt_tui.engine.tokenizer import Tokenizer

WORDS = ["emma", "olivia", "xavier"]
TOKENIZER = Tokenizer.from_documents(WORDS + ["isabella", "sophia", "charlotte"])
CONFIGS = {
    "default": ModelConfig(vocab_size=TOKENIZER.vocab_size),
    "2 layers, 2 heads, 8 wide": ModelConfig(vocab_size=TOKENIZER.vocab_size, n_layer=2, n_head=2, n_embd=8, block_size=8),
}


def weights_for(config: ModelConfig, seed: int = 7) -> dict:
    # a larger spread than the init's, so the heads' weights and the ReLU's pattern are far from uniform
    flat = [3 * w for w in init_params(config, random.Random(seed))]
    return ParamLayout(config).matrices(flat)


def document(word: str) -> list[int]:
    return TOKENIZER.encode_document(word)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize("word", WORDS)
def test_the_traced_logits_are_the_forward_passs_own_to_the_bit(config, word):
    weights = weights_for(config)
    tokens = document(word)[: config.block_size]
    traces = trace.trace_tokens(config, weights, tokens)
    cache = inference.KVCache(config.n_layer)
    assert len(traces) == len(tokens)
    for pos, (token, traced) in enumerate(zip(tokens, traces)):
        logits = inference.forward_token(config, weights, token, pos, cache)
        assert traced.logits == logits  # bit for bit: == on floats
        assert traced.probs == inference.softmax(logits)
        assert (traced.token, traced.pos) == (token, pos)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_each_stage_follows_from_the_one_before(config):
    weights = weights_for(config)
    tokens = document("olivia")
    traces = trace.trace_tokens(config, weights, tokens)
    last = traces[-1]
    assert last.wte == weights["wte"][tokens[-1]] and last.wpe == weights["wpe"][len(tokens) - 1]
    assert last.embedding == [a + b for a, b in zip(last.wte, last.wpe)]
    assert last.normed == inference.rmsnorm(last.embedding)
    x = last.normed
    for number, layer in enumerate(last.layers):
        at = f"layer{number}."
        assert layer.x_in == x
        assert layer.attn_norm == inference.rmsnorm(x)
        assert layer.q == inference.linear(layer.attn_norm, weights[at + "attn_wq"])
        assert len(layer.heads) == config.n_head
        for head in layer.heads:
            assert len(head.weights) == len(tokens) and math.isclose(sum(head.weights), 1.0)
            assert head.weights == inference.softmax(head.scores)
        assert layer.heads_out == [v for head in layer.heads for v in head.out]
        assert layer.attn_out == inference.linear(layer.heads_out, weights[at + "attn_wo"])
        assert layer.after_attn == [a + b for a, b in zip(layer.attn_out, x)]
        assert layer.relu == [max(0.0, u) for u in layer.fc1]
        assert layer.active_units == [i for i, u in enumerate(layer.fc1) if u > 0]
        assert 0 < len(layer.active_units) < config.mlp_width
        assert layer.x_out == [a + b for a, b in zip(layer.fc2, layer.after_attn)]
        x = layer.x_out
    assert last.logits == inference.linear(x, weights["lm_head"])
    assert last.attention == [layer.attention for layer in last.layers]
    # the attention it records is attention_maps' (the Attention pane's) last row
    maps = inference.attention_maps(config, weights, tokens)
    assert last.attention == [[rows[-1] for rows in layer] for layer in maps]
    names = [name for name, _ in last.stages()]
    assert names[:4] == ["wte", "wpe", "add", "rmsnorm"] and names[-2:] == ["lm_head", "softmax"]
    assert len(names) == 4 + config.n_layer * (8 + 6 * config.n_head) + 2


def test_a_documents_trace_gives_score_documents_predictions():
    config = CONFIGS["default"]
    weights = weights_for(config)
    tokens = document("charlotte")
    traces, predictions = trace.trace_document(config, weights, tokens)
    assert len(traces) == len(tokens) - 1
    assert predictions == inference.score_document(config, weights, tokens)


# --- switching heads off ---

@pytest.mark.parametrize("config, off", [(CONFIGS["default"], {(0, 1)}), (CONFIGS["default"], {(0, 1), (0, 3)}),
                                         (CONFIGS["2 layers, 2 heads, 8 wide"], {(1, 0)})])
def test_a_head_switched_off_adds_nothing_and_leaves_the_layers_attention_weights_alone(config, off):
    weights = weights_for(config)
    tokens = document("xavier")
    heads_off = frozenset(off)
    first_off_layer = min(layer for layer, _ in off)
    on = trace.trace_tokens(config, weights, tokens)
    switched = trace.trace_tokens(config, weights, tokens, heads_off)
    for with_all, without in zip(on, switched):
        for layer in range(first_off_layer + 1):
            # up to and including the first layer with a head off, every head attends exactly as before
            assert without.layers[layer].attention == with_all.layers[layer].attention
        for layer, head in off:
            out = without.layers[layer].heads[head].out
            lo = head * config.head_dim
            assert out == [0.0] * config.head_dim
            assert without.layers[layer].heads_out[lo : lo + config.head_dim] == [0.0] * config.head_dim
        # the heads left on give their usual output in that layer
        for head in range(config.n_head):
            if (first_off_layer, head) not in off:
                assert without.layers[first_off_layer].heads[head].out == with_all.layers[first_off_layer].heads[head].out
        assert without.logits != with_all.logits  # it did change what the model says


def test_heads_off_reaches_the_loss_the_odds_and_the_samples():
    config = CONFIGS["default"]
    weights = weights_for(config)
    off = frozenset({(0, 2)})
    tokens = document("emma")
    traces, predictions = trace.trace_document(config, weights, tokens, off)
    assert inference.score_document(config, weights, tokens, off) == predictions
    loss, n = inference.document_loss(config, weights, tokens, off)
    assert n == 5 and loss == pytest.approx(sum(pr.surprise for pr in predictions), abs=1e-12)
    assert loss != inference.document_loss(config, weights, tokens)[0]
    probs = sampling.next_token_probs(config, weights, TOKENIZER, "emm", heads_off=off)
    assert probs == traces[3].probs
    assert probs != sampling.next_token_probs(config, weights, TOKENIZER, "emm")
    # an empty set is the default: the same floats as before
    assert inference.score_document(config, weights, tokens, frozenset()) == inference.score_document(config, weights, tokens)
    names = [sampling.generate(config, weights, TOKENIZER, random.Random(1), 1.0, heads_off=off) for _ in range(5)]
    again = [sampling.generate(config, weights, TOKENIZER, random.Random(1), 1.0, heads_off=off) for _ in range(5)]
    usual = [sampling.generate(config, weights, TOKENIZER, random.Random(1), 1.0) for _ in range(5)]
    assert names == again and names != usual


def test_held_out_loss_is_the_mean_over_every_predicted_token():
    config = CONFIGS["default"]
    weights = weights_for(config)
    documents = [document(word) for word in WORDS]
    off = frozenset({(0, 0)})
    for heads_off in (frozenset(), off):
        sums = [inference.document_loss(config, weights, tokens, heads_off) for tokens in documents]
        expected = sum(s for s, _ in sums) / sum(n for _, n in sums)
        assert inference.held_out_loss(config, weights, documents, heads_off) == pytest.approx(expected, abs=1e-14)
    assert inference.held_out_loss(config, weights, documents, off) != inference.held_out_loss(config, weights, documents)
    assert math.isnan(inference.held_out_loss(config, weights, []))
