"""The GPT's forward pass on plain floats: no graph, no gradients, just the numbers.

This is the model as the reference writes it, with no tricks: read it beside scalar.py,
which runs the same pass over Values so that it can find gradients. It samples names,
gives the next-character odds and draws attention maps, whichever engine trains. Its
linear, rmsnorm and softmax are also what the fast engine's kernels fall back on at sizes
too large to write out. Its document_loss defines the score of a held-out name, which the
trainer computes with fast.document_loss: the same floats, faster. Its score_document
tells, position by position, how a document's characters were predicted (a Prediction
each), as both engines also report for the document a training step trains on.

Two optional arguments serve the X-ray: a trace (trace.PositionTrace) that forward_token
fills with every stage's vector as it goes, and heads_off, the (layer, head)s whose output
is replaced by zeros. Neither changes a float of the pass when left out.

Every sum and product is done in the scalar engine's order, so the two give the same
floats to the last bit.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add, mul

from .config import ModelConfig
from .params import Matrix


def sum_in_order(values: Iterable[float]) -> float:
    """0.0 + v0 + v1 + ..., left to right: sum() as Python computed it up to 3.11.

    From 3.12 sum() compensates rounding errors, which gives other last bits than the
    scalar engine's Values, so the engine never adds floats with it.
    """
    return reduce(add, values, 0.0)


def linear(x: list[float], w: Matrix) -> list[float]:
    # y[o] = sum_i W[o][i] * x[i]: one output per row of W
    return [sum_in_order(map(mul, row, x)) for row in w]


def rms_scale(x: list[float]) -> float:
    """What rmsnorm multiplies x by: 1 / its root-mean-square (eps keeps it finite at 0)."""
    mean_square = sum_in_order([xi * xi for xi in x]) * len(x) ** -1
    return (mean_square + 1e-5) ** -0.5


def rmsnorm(x: list[float]) -> list[float]:
    # scale the vector so its root-mean-square is 1 (there is no learned gain)
    scale = rms_scale(x)
    return [xi * scale for xi in x]


def softmax(logits: list[float]) -> list[float]:
    # subtracting the max changes nothing mathematically and keeps exp() from overflowing
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    inverse_total = sum_in_order(exps) ** -1
    return [e * inverse_total for e in exps]


class KVCache:
    """The keys and values of every position seen so far, one list per layer."""

    def __init__(self, n_layer: int):
        self.keys: list[list[list[float]]] = [[] for _ in range(n_layer)]
        self.values: list[list[list[float]]] = [[] for _ in range(n_layer)]


def forward_token(
    config: ModelConfig,
    weights: dict[str, Matrix],
    token: int,
    pos: int,
    cache: KVCache,
    attention: list | None = None,
    trace=None,
    heads_off: frozenset[tuple[int, int]] = frozenset(),
) -> list[float]:
    """Logits for the token that follows `token` at position `pos`.

    Earlier positions are seen only through `cache`, which this call extends. If
    `attention` is a list, it receives one entry per layer: for each head, the weights
    this position gave to positions 0..pos. If `trace` is a trace.PositionTrace, it
    records every stage's vector as this pass computes it. Each (layer, head) in
    `heads_off` is switched off: it still attends, but its output is zeros.
    """
    head_dim = config.head_dim
    scale = (head_dim**0.5) ** -1
    token_row, pos_row = weights["wte"][token], weights["wpe"][pos]
    summed = [t + p for t, p in zip(token_row, pos_row)]
    x = rmsnorm(summed)
    if trace is not None:
        trace.embedded(token, pos, token_row, pos_row, summed, x)
    for layer in range(config.n_layer):
        prefix = f"layer{layer}."
        # attention: each head looks back over all positions so far
        residual = x
        h = rmsnorm(x)
        q = linear(h, weights[prefix + "attn_wq"])
        cache.keys[layer].append(linear(h, weights[prefix + "attn_wk"]))
        cache.values[layer].append(linear(h, weights[prefix + "attn_wv"]))
        keys, values = cache.keys[layer], cache.values[layer]
        if trace is not None:
            trace.layer_started(x, h, q, keys[-1], values[-1])
        heads_out, layer_weights = [], []
        for head in range(config.n_head):
            lo, hi = head * head_dim, (head + 1) * head_dim  # this head's slice of q, k and v
            scores = [sum_in_order(map(mul, q[lo:hi], k[lo:hi])) * scale for k in keys]
            attn = softmax(scores)
            if (layer, head) in heads_off:
                out = [0.0] * head_dim  # switched off: it still looks, but adds nothing
            else:
                out = [sum_in_order([a * v[j] for a, v in zip(attn, values)]) for j in range(lo, hi)]
            heads_out += out
            layer_weights.append(attn)
            if trace is not None:
                trace.head_done(scores, attn, out)
        if attention is not None:
            attention.append(layer_weights)
        attn_out = linear(heads_out, weights[prefix + "attn_wo"])
        x = [a + b for a, b in zip(attn_out, residual)]
        # MLP: widen, keep the positive part, narrow again
        residual = x
        h = rmsnorm(x)
        widened = linear(h, weights[prefix + "mlp_fc1"])
        hidden = [max(0.0, u) for u in widened]  # ReLU
        mlp_out = linear(hidden, weights[prefix + "mlp_fc2"])
        x = [a + b for a, b in zip(mlp_out, residual)]
        if trace is not None:
            trace.layer_done(heads_out, attn_out, residual, h, widened, hidden, mlp_out, x)
    logits = linear(x, weights["lm_head"])
    if trace is not None:
        trace.finished(logits)
    return logits


def attention_maps(
    config: ModelConfig, weights: dict[str, Matrix], tokens: list[int], heads_off: frozenset[tuple[int, int]] = frozenset()
) -> list[list[list[list[float]]]]:
    """maps[layer][head][query][key]: how much each position attended to each earlier one.

    Row q has q+1 entries (a position sees itself and what came before), so each map is
    the lower triangle of a T×T matrix, every row summing to 1.
    """
    tokens = tokens[: config.block_size]
    cache = KVCache(config.n_layer)
    maps = [[[] for _ in range(config.n_head)] for _ in range(config.n_layer)]
    for pos, token in enumerate(tokens):
        per_layer: list = []
        forward_token(config, weights, token, pos, cache, attention=per_layer, heads_off=heads_off)
        for layer, heads in enumerate(per_layer):
            for head, row in enumerate(heads):
                maps[layer][head].append(row)
    return maps


def document_loss(
    config: ModelConfig, weights: dict[str, Matrix], tokens: list[int], heads_off: frozenset[tuple[int, int]] = frozenset()
) -> tuple[float, int]:
    """The summed next-token loss over a document's positions, and how many there were."""
    n = min(config.block_size, len(tokens) - 1)
    cache = KVCache(config.n_layer)
    total = 0.0
    for pos in range(n):
        probs = softmax(forward_token(config, weights, tokens[pos], pos, cache, heads_off=heads_off))
        total -= math.log(probs[tokens[pos + 1]])
    return total, n


def held_out_loss(
    config: ModelConfig, weights: dict[str, Matrix], documents: Iterable[list[int]],
    heads_off: frozenset[tuple[int, int]] = frozenset(),
) -> float:
    """Mean loss per predicted token over held-out documents (each already encoded), as the
    trainer's validation_loss computes it; with `heads_off`, with those heads switched off."""
    total = 0.0
    count = 0
    for tokens in documents:
        loss_sum, n = document_loss(config, weights, tokens, heads_off)
        total += loss_sum
        count += n
    return total / count if count else math.nan


TOP_GUESSES = 3  # how many of the model's likeliest tokens a Prediction keeps


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the model said at one position of a document, before seeing the next token."""

    target: int  # the token that came next
    p: float  # the probability the model gave it
    surprise: float  # -ln p: this position's share of the loss
    top: tuple[tuple[int, float], ...]  # its likeliest tokens, most likely first, as (token, p)


def prediction(probs: Sequence[float], target: int, surprise: float) -> Prediction:
    """A Prediction read off one position's softmax; `surprise` is the -ln p already computed for the loss."""
    # sorted is stable, so equal probabilities list the lower token id first
    top = sorted(range(len(probs)), key=probs.__getitem__, reverse=True)[:TOP_GUESSES]
    return Prediction(target, probs[target], surprise, tuple((token, probs[token]) for token in top))


def score_document(
    config: ModelConfig, weights: dict[str, Matrix], tokens: list[int], heads_off: frozenset[tuple[int, int]] = frozenset()
) -> list[Prediction]:
    """How the model predicts each next token of a document, as a training step scores it:
    the first block_size predictions, each from the tokens before it."""
    n = min(config.block_size, len(tokens) - 1)
    cache = KVCache(config.n_layer)
    predictions = []
    for pos in range(n):
        probs = softmax(forward_token(config, weights, tokens[pos], pos, cache, heads_off=heads_off))
        target = tokens[pos + 1]
        predictions.append(prediction(probs, target, -math.log(probs[target])))
    return predictions


def mean_surprise(predictions: Sequence[Prediction]) -> float:
    """The mean -ln p over the positions: the loss a training step computes on the document."""
    return (1 / len(predictions)) * sum_in_order(pr.surprise for pr in predictions)
