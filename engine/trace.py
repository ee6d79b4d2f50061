"""A recorded forward pass: every stage's vector at every position of a word, as the model map names them.

inference.forward_token fills a PositionTrace while it runs, so the numbers shown are the
forward pass's own, not a second computation that might drift from it. Read the stages in
the order of the map:

  wte + wpe → add → rmsnorm → per layer: rmsnorm → q, k, v per head → scores → softmax
  → weighted v → attn_wo → residual add → rmsnorm → mlp_fc1 → ReLU → mlp_fc2
  → residual add → lm_head logits → softmax probs
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .config import ModelConfig
from .inference import KVCache, Prediction, forward_token, prediction, softmax
from .params import Matrix


@dataclass
class HeadTrace:
    """One attention head at one position: its slices of q, k, v and what it made of them."""

    q: list[float]
    k: list[float]  # this position's key (earlier keys are in the earlier positions' traces)
    v: list[float]
    scores: list[float]  # q·k × 1/sqrt(head_dim) against positions 0..pos
    weights: list[float]  # softmax of the scores: how much it attends to each position
    out: list[float]  # the weighted sum of the values; zeros if the head is switched off


@dataclass
class LayerTrace:
    """One transformer layer at one position."""

    x_in: list[float]  # the vector entering the layer (the attention block's residual)
    attn_norm: list[float]  # rmsnorm(x_in): what q, k and v are read from
    q: list[float]
    k: list[float]
    v: list[float]
    heads: list[HeadTrace] = field(default_factory=list)
    heads_out: list[float] = field(default_factory=list)  # the heads' outputs side by side, before attn_wo
    attn_out: list[float] = field(default_factory=list)  # attn_wo · heads_out
    after_attn: list[float] = field(default_factory=list)  # attn_out + x_in: the residual add
    mlp_norm: list[float] = field(default_factory=list)  # rmsnorm(after_attn)
    fc1: list[float] = field(default_factory=list)  # mlp_fc1 · mlp_norm, before the ReLU
    relu: list[float] = field(default_factory=list)  # max(0, fc1)
    fc2: list[float] = field(default_factory=list)  # mlp_fc2 · relu
    x_out: list[float] = field(default_factory=list)  # fc2 + after_attn: the residual add, leaving the layer

    @property
    def active_units(self) -> list[int]:
        """The MLP units the ReLU let through (a positive fc1)."""
        return [unit for unit, value in enumerate(self.relu) if value > 0.0]

    @property
    def attention(self) -> list[list[float]]:
        """Each head's weights over positions 0..pos."""
        return [head.weights for head in self.heads]


@dataclass
class PositionTrace:
    """Everything the forward pass computed at one position, filled in by inference.forward_token."""

    head_dim: int
    token: int = -1
    pos: int = -1
    wte: list[float] = field(default_factory=list)  # the token's embedding row
    wpe: list[float] = field(default_factory=list)  # the position's embedding row
    embedding: list[float] = field(default_factory=list)  # wte + wpe
    normed: list[float] = field(default_factory=list)  # rmsnorm(embedding): what the first layer reads
    layers: list[LayerTrace] = field(default_factory=list)
    logits: list[float] = field(default_factory=list)  # lm_head · the last layer's x_out
    probs: list[float] = field(default_factory=list)  # softmax(logits): the odds of each next token

    # --- called by inference.forward_token as it goes ---
    # the rows of wte and wpe are copied, being the weights themselves; every other vector
    # is a list the pass made and never changes again, so it is kept as it is

    def embedded(self, token, pos, token_row, pos_row, summed, normed) -> None:
        self.token, self.pos = token, pos
        self.wte, self.wpe, self.embedding, self.normed = list(token_row), list(pos_row), summed, normed

    def layer_started(self, x_in, h, q, k, v) -> None:
        self.layers.append(LayerTrace(x_in, h, q, k, v))

    def head_done(self, scores, weights, out) -> None:
        layer = self.layers[-1]
        lo = len(layer.heads) * self.head_dim
        hi = lo + self.head_dim
        layer.heads.append(HeadTrace(layer.q[lo:hi], layer.k[lo:hi], layer.v[lo:hi], scores, weights, out))

    def layer_done(self, heads_out, attn_out, after_attn, mlp_norm, fc1, relu, fc2, x_out) -> None:
        layer = self.layers[-1]
        layer.heads_out, layer.attn_out, layer.after_attn = heads_out, attn_out, after_attn
        layer.mlp_norm, layer.fc1, layer.relu, layer.fc2, layer.x_out = mlp_norm, fc1, relu, fc2, x_out

    def finished(self, logits) -> None:
        self.logits = logits
        self.probs = softmax(logits)

    # --- reading it ---

    @property
    def attention(self) -> list[list[list[float]]]:
        """attention[layer][head]: the weights over positions 0..pos."""
        return [layer.attention for layer in self.layers]

    def stages(self) -> list[tuple[str, list[float]]]:
        """(name, vector) for every stage, in the model map's order; per-head stages are
        named like "layer0.head1.weights"."""
        named = [("wte", self.wte), ("wpe", self.wpe), ("add", self.embedding), ("rmsnorm", self.normed)]
        for number, layer in enumerate(self.layers):
            at = f"layer{number}."
            named += [(at + "rmsnorm", layer.attn_norm)]
            for head_number, head in enumerate(layer.heads):
                h = f"{at}head{head_number}."
                named += [(h + "q", head.q), (h + "k", head.k), (h + "v", head.v),
                          (h + "scores", head.scores), (h + "softmax", head.weights), (h + "weighted_v", head.out)]
            named += [(at + "attn_wo", layer.attn_out), (at + "residual_add", layer.after_attn),
                      (at + "mlp_rmsnorm", layer.mlp_norm), (at + "mlp_fc1", layer.fc1), (at + "relu", layer.relu),
                      (at + "mlp_fc2", layer.fc2), (at + "mlp_residual_add", layer.x_out)]
        return named + [("lm_head", self.logits), ("softmax", self.probs)]


def trace_tokens(
    config: ModelConfig, weights: dict[str, Matrix], tokens: Sequence[int],
    heads_off: frozenset[tuple[int, int]] = frozenset(),
) -> list[PositionTrace]:
    """Run the forward pass over `tokens` (at most block_size of them), recording each position.

    For a word as a document, pass tokenizer.encode_document(word)[:-1]: position p reads
    token p and predicts token p+1.
    """
    cache = KVCache(config.n_layer)
    traces = []
    for pos, token in enumerate(tokens[: config.block_size]):
        trace = PositionTrace(config.head_dim)
        forward_token(config, weights, token, pos, cache, trace=trace, heads_off=heads_off)
        traces.append(trace)
    return traces


def trace_document(
    config: ModelConfig, weights: dict[str, Matrix], tokens: Sequence[int],
    heads_off: frozenset[tuple[int, int]] = frozenset(),
) -> tuple[list[PositionTrace], list[Prediction]]:
    """A document's recorded positions and, read off the same pass, how each predicted its
    next token: inference.score_document's Predictions (the same floats), with heads off if asked."""
    n = min(config.block_size, len(tokens) - 1)
    traces = trace_tokens(config, weights, tokens[:n], heads_off)
    predictions = []
    for trace, target in zip(traces, tokens[1 : n + 1]):
        predictions.append(prediction(trace.probs, target, -math.log(trace.probs[target])))
    return traces, predictions
