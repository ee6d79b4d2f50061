"""The GPT's forward pass on plain floats: no graph, no gradients, just the numbers.

Used to sample names, to show next-character probabilities and to draw attention maps,
whichever engine trains. Every sum and product is written in the same order as the
scalar engine's, so the two give the same floats to the last bit.
"""

import math

from . import fast_kernels as kernels
from .fast_kernels import sum_in_order
from .config import ModelConfig
from .params import Matrix


def linear(x: list[float], w: Matrix) -> list[float]:
    # [sum_in_order(map(mul, row, x)) for row in w], with the loop written out: see fast_kernels
    return kernels.dots(len(x))(x, w)


def rmsnorm(x: list[float]) -> list[float]:
    # scale the vector so its root-mean-square is 1 (there is no learned gain)
    mean_square = sum_in_order([xi * xi for xi in x]) * len(x) ** -1
    scale = (mean_square + 1e-5) ** -0.5
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
) -> list[float]:
    """Logits for the token that follows `token` at position `pos`.

    Earlier positions are seen only through `cache`, which this call extends. If
    `attention` is a list, it receives one entry per layer: for each head, the weights
    this position gave to positions 0..pos.
    """
    n_head, head_dim = config.n_head, config.head_dim
    scale = (head_dim**0.5) ** -1
    x = [t + p for t, p in zip(weights["wte"][token], weights["wpe"][pos])]
    x = rmsnorm(x)
    for layer in range(config.n_layer):
        prefix = f"layer{layer}."
        residual = x
        h = rmsnorm(x)
        # q, k and v read the same h: one linear layer with their rows stacked computes all three
        d = len(h)
        qkv = linear(h, weights[prefix + "attn_wq"] + weights[prefix + "attn_wk"] + weights[prefix + "attn_wv"])
        q = qkv[:d]
        cache.keys[layer].append(qkv[d : 2 * d])
        cache.values[layer].append(qkv[2 * d :])
        keys, values = cache.keys[layer], cache.values[layer]
        # every head at once (see fast_kernels.head_dots and head_mix): head h's scores are
        # [sum_in_order(map(mul, q[lo:hi], k[lo:hi])) * scale for k in keys] over its slice lo:hi,
        # and its output j is sum_in_order([w_t * v[j] for w_t, v in zip(weights, values)])
        scores = kernels.head_dots(n_head, head_dim)(q, keys, scale)  # [t][head]
        layer_weights = [softmax(list(head_scores)) for head_scores in zip(*scores)]  # [head][t]
        heads_out = kernels.head_mix(n_head, head_dim)(values, list(zip(*layer_weights)))
        if attention is not None:
            attention.append(layer_weights)
        x = [a + b for a, b in zip(linear(heads_out, weights[prefix + "attn_wo"]), residual)]
        residual = x
        h = rmsnorm(x)
        pre = linear(h, weights[prefix + "mlp_fc1"])
        # ReLU keeps the units above 0 (about 1 in 6 once trained). A unit it zeroes adds
        # W[o][j] * 0.0 to each of fc2's sums, which changes none, so fc2 runs on the others.
        on = [j for j, u in enumerate(pre) if u > 0.0]
        if on:
            fc2_columns = list(zip(*weights[prefix + "mlp_fc2"]))
            fc2_on = zip(*[fc2_columns[j] for j in on])  # fc2's rows, cut down to those units
            out = linear([pre[j] for j in on], fc2_on)
        else:
            out = [0.0] * len(residual)
        x = [a + b for a, b in zip(out, residual)]
    return linear(x, weights["lm_head"])


def attention_maps(config: ModelConfig, weights: dict[str, Matrix], tokens: list[int]) -> list[list[list[list[float]]]]:
    """maps[layer][head][query][key]: how much each position attended to each earlier one.

    Row q has q+1 entries (a position sees itself and what came before), so each map is
    the lower triangle of a T×T matrix, every row summing to 1.
    """
    tokens = tokens[: config.block_size]
    cache = KVCache(config.n_layer)
    maps = [[[] for _ in range(config.n_head)] for _ in range(config.n_layer)]
    for pos, token in enumerate(tokens):
        per_layer: list = []
        forward_token(config, weights, token, pos, cache, attention=per_layer)
        for layer, heads in enumerate(per_layer):
            for head, row in enumerate(heads):
                maps[layer][head].append(row)
    return maps


def document_loss(config: ModelConfig, weights: dict[str, Matrix], tokens: list[int]) -> tuple[float, int]:
    """The summed next-token loss over a document's positions, and how many there were."""
    n = min(config.block_size, len(tokens) - 1)
    cache = KVCache(config.n_layer)
    total = 0.0
    for pos in range(n):
        probs = softmax(forward_token(config, weights, tokens[pos], pos, cache))
        total -= math.log(probs[tokens[pos + 1]])
    return total, n
