"""The finite-difference gradient check (engine/gradient_check.py) against both engines' backprop."""

import copy
import random

import pytest

from microgpt_tui.engine import fast
from microgpt_tui.engine.config import ModelConfig
from microgpt_tui.engine.gradient_check import check_gradient, check_gradients, nudge_for, relative_error
from microgpt_tui.engine.params import ParamLayout, init_params
from microgpt_tui.engine.tokenizer import Tokenizer

TOKENIZER = Tokenizer.from_documents(["emma", "olivia", "ava", "isabella", "sophia"])
CONFIG = ModelConfig(vocab_size=TOKENIZER.vocab_size, n_embd=8, n_head=2, block_size=8)
LAYOUT = ParamLayout(CONFIG)
TOKENS = TOKENIZER.encode_document("sophia")

# Below this size a gradient is lost in rounding: the two nudged losses (about 3) each carry
# about 1e-16 of rounding, which the division by h = 1e-4 makes about 1e-12 of gradient, so a
# 1e-7 gradient cannot be known to 1e-6 of itself by differences in float64. Those are checked
# by their absolute error instead.
RESOLVABLE = 1e-5


def weights_for(seed: int, spread: float = 1.0) -> dict:
    return LAYOUT.matrices([spread * w for w in init_params(CONFIG, random.Random(seed))])


def random_places(rng: random.Random, count: int) -> list[tuple[str, int, int]]:
    """Weights drawn uniformly from the whole model."""
    flat_indices = rng.sample(range(LAYOUT.size), count)
    places = []
    for index in flat_indices:
        spec = next(s for s in LAYOUT.specs if s.offset <= index < s.offset + s.size)
        row, col = divmod(index - spec.offset, spec.cols)
        places.append((spec.name, row, col))
    return places


@pytest.mark.parametrize("engine", ["fast", "scalar"])
@pytest.mark.parametrize("seed, spread", [(1, 1.0), (2, 1.0), (3, 2.0)])
def test_finite_differences_agree_with_the_engines_gradient(engine, seed, spread):
    weights = weights_for(seed, spread)
    _, grads = fast.loss_and_grads(CONFIG, weights, TOKENS)
    rng = random.Random(seed)
    # 20 random weights whose gradient float64 can resolve, and the tiny ones met on the way
    resolvable, tiny = [], []
    while len(resolvable) < 20:
        for place in random_places(rng, 1):
            name, row, col = place
            (resolvable if abs(grads[name][row][col]) >= RESOLVABLE else tiny).append(place)
    checks = check_gradients(CONFIG, weights, TOKENS, resolvable + tiny, engine)
    for check in checks[:20]:
        assert check.relative_error < 1e-6, check
        assert check.relative_error == relative_error(check.numerical, check.engine)
        assert check.engine == pytest.approx(grads[check.name][check.row][check.col], abs=1e-14, rel=0)
    for check in checks[20:]:
        assert abs(check.numerical - check.engine) < 1e-10, check


def test_it_never_changes_the_weights_it_is_given():
    weights = weights_for(4)
    before = copy.deepcopy(weights)
    check_gradients(CONFIG, weights, TOKENS, random_places(random.Random(4), 5))
    assert weights == before


def test_a_check_says_which_weight_its_nudge_and_both_differences():
    weights = weights_for(5)
    check = check_gradient(CONFIG, weights, TOKENS, "layer0.attn_wv", 3, 6)
    assert (check.name, check.row, check.col) == ("layer0.attn_wv", 3, 6)
    assert check.weight == weights["layer0.attn_wv"][3][6]
    assert check.h == nudge_for(check.weight) == 1e-4  # weights below 1 get h = 1e-4
    assert nudge_for(-3.0) == pytest.approx(3e-4)
    # the plain central difference is already close; the extrapolated one closer
    assert abs(check.central - check.engine) < 1e-6
    assert abs(check.numerical - check.engine) <= abs(check.central - check.engine)


def test_a_weight_the_document_never_uses_has_no_gradient_either_way():
    weights = weights_for(6)
    unused = TOKENIZER.encode("e")[0]
    assert unused not in TOKENS
    check = check_gradient(CONFIG, weights, TOKENS, "wte", unused, 2)
    assert check.numerical == 0.0 and check.engine == 0.0 and check.relative_error == 0.0
