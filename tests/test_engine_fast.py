"""The fast engine against the scalar one, its oracle: the same losses and gradients."""

import math
import random
from operator import mul

import pytest

from microgpt_tui.engine import fast, fast_kernels, inference, scalar
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.engines import DEFAULT_ENGINE, get_engine
from microgpt_tui.engine.inference import sum_in_order
from microgpt_tui.engine.optim import AdamState, adam_update, adam_update_fast
from microgpt_tui.engine.params import ParamLayout, init_params
from microgpt_tui.engine.trainer import Trainer

# (vocab, layers, width, heads, block): one and several layers, one head and head_dim 1,
# the smallest block, and documents longer than the block
CONFIGS = [
    ModelConfig(vocab_size=27),
    ModelConfig(vocab_size=7, n_layer=2, n_embd=6, n_head=3, block_size=5, init_std=0.5),
    ModelConfig(vocab_size=5, n_layer=3, n_embd=4, n_head=4, block_size=2, init_std=0.5),
    ModelConfig(vocab_size=6, n_layer=1, n_embd=8, n_head=1, block_size=8, init_std=0.3),
    ModelConfig(vocab_size=9, n_layer=2, n_embd=8, n_head=2, block_size=6, init_std=0.3),
    ModelConfig(vocab_size=4, n_layer=1, n_embd=2, n_head=2, block_size=3, init_std=1.0),
]
IDS = ["default", "2-layer", "3-layer-head_dim-1-block-2", "1-head", "2-layer-2-heads", "tiny"]


def document(config: ModelConfig, length: int, rng: random.Random) -> list[int]:
    bos = config.vocab_size - 1
    return [bos] + [rng.randrange(bos) for _ in range(length)] + [bos]


def assert_same(config, weights, tokens):
    layout = ParamLayout(config)
    loss_scalar, grads_scalar = scalar.loss_and_grads(config, weights, tokens)
    loss_fast, grads_fast = fast.loss_and_grads(config, weights, tokens)
    assert loss_fast == loss_scalar  # the forward pass does the same float operations
    for name in layout.names:
        expected, got = grads_scalar[name], grads_fast[name]
        assert [len(row) for row in got] == [len(row) for row in expected], name
        for r, (row_e, row_g) in enumerate(zip(expected, got)):
            for c, (e, g) in enumerate(zip(row_e, row_g)):
                assert abs(g - e) <= 1e-12, f"{name}[{r}][{c}]: fast {g!r}, scalar {e!r}"


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_every_gradient_matches_the_scalar_engine(config):
    rng = random.Random(7)
    weights = ParamLayout(config).matrices(init_params(config, rng))
    # a one-character document, one that fills the block exactly, and one longer than it
    for length in (1, config.block_size - 1, config.block_size + 3):
        assert_same(config, weights, document(config, length, rng))


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_scoring_a_document_gives_the_float_inferences_numbers(config):
    # held-out names are scored with the fast forward pass; it must give inference's floats
    rng = random.Random(8)
    weights = ParamLayout(config).matrices(init_params(config, rng))
    for length in (1, config.block_size - 1, config.block_size + 3):
        tokens = document(config, length, rng)
        assert fast.document_loss(config, weights, tokens) == inference.document_loss(config, weights, tokens)


def test_no_active_hidden_unit():
    # with fc1 all zero every pre-activation is 0.0, so ReLU passes nothing
    config = CONFIGS[1]
    layout = ParamLayout(config)
    weights = layout.matrices(init_params(config, random.Random(3)))
    for layer in range(config.n_layer):
        weights[f"layer{layer}.mlp_fc1"] = [[0.0] * config.n_embd for _ in range(config.mlp_width)]
    assert_same(config, weights, document(config, 4, random.Random(4)))


def test_repeated_tokens_accumulate_their_embedding_gradient():
    config = CONFIGS[4]
    weights = ParamLayout(config).matrices(init_params(config, random.Random(5)))
    assert_same(config, weights, [8, 1, 1, 1, 2, 1, 8])


@pytest.fixture(scope="module")
def names(names_path):
    return [line.strip() for line in names_path.read_text().splitlines() if line.strip()]


def test_first_steps_on_names_match_the_scalar_engine(names):
    trainers = {engine: Trainer(names, ModelConfig(vocab_size=27), TrainConfig(), engine) for engine in ("scalar", "fast")}
    for step in range(1, 21):
        records = {engine: trainer.step() for engine, trainer in trainers.items()}
        assert abs(records["fast"].loss - records["scalar"].loss) <= 1e-12, f"step {step}"
        assert records["fast"].lr == records["scalar"].lr
    # the parameters and Adam's moments after 20 updates
    for attribute in ("params", "grads"):
        got, expected = getattr(trainers["fast"], attribute), getattr(trainers["scalar"], attribute)
        assert max(abs(a - b) for a, b in zip(got, expected)) <= 1e-12, attribute
    for moment in ("m", "v"):
        got, expected = getattr(trainers["fast"].adam, moment), getattr(trainers["scalar"].adam, moment)
        assert max(abs(a - b) for a, b in zip(got, expected)) <= 1e-12, moment


def test_golden_losses_of_the_first_ten_steps(names, golden):
    trainer = Trainer(names, ModelConfig(vocab_size=golden["vocab_size"]), TrainConfig(), engine="fast")
    for step in range(1, 11):
        assert abs(trainer.step().loss - golden["loss_at_step"][str(step)]) <= 1e-12, f"step {step}"


def test_fast_is_the_default_engine():
    assert DEFAULT_ENGINE == "fast"
    assert get_engine("fast").loss_and_grads is fast.loss_and_grads
    assert get_engine("fast").adam_update is adam_update_fast
    assert get_engine("scalar").adam_update is adam_update


# --- the kernels give the floats of the plain Python they stand for ------------------------


def test_sums_add_left_to_right_whatever_the_python():
    # 1e16 + 1.0 rounds back to 1e16, so adding in order ends at 0.0; a compensated sum,
    # as sum() is from Python 3.12, would give 1.0
    assert sum_in_order([1e16, 1.0, -1e16]) == 0.0
    assert sum_in_order(iter([0.1, 0.2, 0.3])) == (0.0 + 0.1 + 0.2) + 0.3
    assert sum_in_order([]) == 0.0


@pytest.mark.parametrize("length", [1, 2, 3, 4, 7, 16, 27])
def test_kernels_match_their_plain_definitions(length):
    rng = random.Random(length)
    vec = lambda: [rng.uniform(-2, 2) for _ in range(length)]  # noqa: E731
    rows, x, a = [vec() for _ in range(5)], vec(), vec()
    assert fast_kernels.dots(length)(x, rows) == [sum_in_order(map(mul, row, x)) for row in rows]
    assert fast_kernels.dots(length)(x, []) == []
    assert fast_kernels.add(length)(a, x) == [ai + xi for ai, xi in zip(a, x)]
    assert fast_kernels.softmax(length)(x) == inference.softmax(x)
    # rmsnorm: inference.rmsnorm's floats, and its scale
    y, scale = fast_kernels.rmsnorm(length)(x)
    assert y == inference.rmsnorm(x)
    assert scale == (sum_in_order([xi * xi for xi in x]) * len(x) ** -1 + 1e-5) ** -0.5
    c = sum_in_order(map(mul, a, y)) / length
    assert fast_kernels.rmsnorm_backward(length)(a, y, scale) == [scale * (g - yi * c) for g, yi in zip(a, y)]
    accumulators = [vec() for _ in range(4)]
    expected = [list(row) for row in accumulators]
    for j, coef in zip([2, 0, 2], [0.5, -1.5, 2.0]):
        expected[j] = [ai + coef * xi for ai, xi in zip(expected[j], x)]
    fast_kernels.scatter_axpy(length)(accumulators, [2, 0, 2], [0.5, -1.5, 2.0], x)
    assert accumulators == expected


@pytest.mark.parametrize("n_head, head_dim", [(1, 1), (4, 4), (3, 2), (2, 5)])
def test_head_kernels_match_their_plain_definitions(n_head, head_dim):
    rng = random.Random(n_head * 10 + head_dim)
    width = n_head * head_dim
    vec = lambda size: [rng.uniform(-2, 2) for _ in range(size)]  # noqa: E731
    rows, x = [vec(width) for _ in range(6)], vec(width)
    expected_scores = [
        tuple(sum_in_order(map(mul, row[h * head_dim : (h + 1) * head_dim], x[h * head_dim : (h + 1) * head_dim])) * 0.5 for h in range(n_head))
        for row in rows
    ]
    assert fast_kernels.head_dots(n_head, head_dim)(x, rows, 0.5) == expected_scores
    weights = [vec(n_head) for _ in range(4)]  # one fewer than rows: zip stops at the shorter
    expected_mix = [sum_in_order([w[j // head_dim] * row[j] for row, w in zip(rows, weights)]) for j in range(width)]
    assert fast_kernels.head_mix(n_head, head_dim)(rows, weights) == expected_mix


def test_kernel_source_is_plain_python():
    source = fast_kernels.kernel_source("dots", 3)
    assert source == "def dots_3(x, rows):\n    x0, x1, x2, = x\n    return [0.0 + w0 * x0 + w1 * x1 + w2 * x2 for w0, w1, w2, in rows]\n"
    with pytest.raises(ValueError):
        fast_kernels.kernel_source("dots", 0)
    with pytest.raises(ValueError):
        fast_kernels.kernel_source("no such kernel", 3)


def test_matmul_matches_its_plain_definition():
    rng = random.Random(11)
    for inner, width in [(1, 1), (1, 16), (7, 16), (16, 7), (3, 5)]:
        b = [[rng.uniform(-2, 2) for _ in range(width)] for _ in range(inner)]
        rows = [[rng.uniform(-2, 2) for _ in range(inner)] for _ in range(4)]
        expected = [[sum_in_order([row[k] * b[k][j] for k in range(inner)]) for j in range(width)] for row in rows]
        assert fast_kernels.matmul(inner, width)(rows, b) == expected
        assert fast_kernels.matmul(inner, width)([], b) == []


def adam_inputs(t):
    rng = random.Random(t)
    size = 2000
    params = [rng.gauss(0, 0.1) for _ in range(size)]
    grads = [rng.gauss(0, 0.01) if rng.random() < 0.8 else 0.0 for _ in range(size)]
    m0 = [rng.gauss(0, 0.01) for _ in range(size)]
    v0 = [abs(rng.gauss(0, 0.001)) for _ in range(size)]
    return params, grads, m0, v0


@pytest.mark.parametrize("t", [1, 230, 231, 1000, 3725])
def test_adam_gives_the_floats_of_its_formula(t):
    # adam_update leaves out the division by a bias correction once it is exactly 1.0
    params, grads, m0, v0 = adam_inputs(t)
    state = AdamState(list(m0), list(v0))
    new = adam_update(params, grads, state, t, 0.004, 0.85, 0.99, 1e-8)
    m = [0.85 * m + (1 - 0.85) * g for m, g in zip(m0, grads)]
    v = [0.99 * v + (1 - 0.99) * g**2 for v, g in zip(v0, grads)]
    expected = [p - 0.004 * (mi / (1 - 0.85**t)) / ((vi / (1 - 0.99**t)) ** 0.5 + 1e-8) for p, mi, vi in zip(params, m, v)]
    assert (state.m, state.v, new) == (m, v, expected)


@pytest.mark.parametrize("t", [1, 230, 231, 1000, 3725])
def test_fast_adam_gives_the_floats_of_its_formula_and_agrees_with_the_reference_spelling(t):
    params, grads, m0, v0 = adam_inputs(t)
    state = AdamState(list(m0), list(v0))
    new = adam_update_fast(params, grads, state, t, 0.004, 0.85, 0.99, 1e-8)
    m = [0.85 * m + (1 - 0.85) * g for m, g in zip(m0, grads)]
    v = [0.99 * v + (1 - 0.99) * (g * g) for v, g in zip(v0, grads)]
    root_vc = math.sqrt(1 - 0.99**t)
    step_size, eps_hat = 0.004 * root_vc / (1 - 0.85**t), 1e-8 * root_vc
    expected = [p - step_size * mi / (math.sqrt(vi) + eps_hat) for p, mi, vi in zip(params, m, v)]
    assert (state.m, state.v, new) == (m, v, expected)
    reference_state = AdamState(list(m0), list(v0))
    reference = adam_update(params, grads, reference_state, t, 0.004, 0.85, 0.99, 1e-8)
    assert max(abs(a - b) for a, b in zip(new, reference)) <= 1e-15
    assert max(abs(a - b) for a, b in zip(state.v, reference_state.v)) <= 1e-18


def test_kernels_too_large_to_write_out_give_the_same_floats():
    rng = random.Random(13)
    vec = lambda size: [rng.uniform(-2, 2) for _ in range(size)]  # noqa: E731
    length = fast_kernels.MAX_WRITTEN_OUT + 44
    rows, x = [vec(length) for _ in range(3)], vec(length)
    assert fast_kernels.dots(length)(x, rows) == [sum_in_order(map(mul, row, x)) for row in rows]
    assert fast_kernels.rmsnorm(length)(x) == (inference.rmsnorm(x), (sum_in_order([xi * xi for xi in x]) * length**-1 + 1e-5) ** -0.5)
    assert fast_kernels.softmax(length)(x) == inference.softmax(x)
    b, rows = [vec(40) for _ in range(9)], [vec(9) for _ in range(5)]
    expected = [[sum_in_order([row[k] * b[k][j] for k in range(9)]) for j in range(40)] for row in rows]
    assert fast_kernels.matmul(9, 40)(rows, b) == expected
    rows, x = [vec(300) for _ in range(4)], vec(300)
    expected_scores = [tuple(sum_in_order(map(mul, row[h * 30 : (h + 1) * 30], x[h * 30 : (h + 1) * 30])) * 0.5 for h in range(10)) for row in rows]
    assert fast_kernels.head_dots(10, 30)(x, rows, 0.5) == expected_scores


def test_a_vocabulary_of_hundreds_of_characters():
    config = ModelConfig(vocab_size=300, n_layer=1, n_embd=4, n_head=2, block_size=4, init_std=0.3)
    weights = ParamLayout(config).matrices(init_params(config, random.Random(6)))
    assert_same(config, weights, [299, 17, 250, 3, 299])
