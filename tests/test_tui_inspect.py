"""Per-position predictions: the engines' own, inference.score_document's, and `microgpt-tui inspect`."""

import math
import random

import pytest

from microgpt_tui.engine import fast, inference, scalar
from microgpt_tui.engine.config import ModelConfig
from microgpt_tui.engine.params import ParamLayout, init_params
from microgpt_tui.engine.tokenizer import Tokenizer

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
