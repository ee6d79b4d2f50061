"""The scalar engine: one training step's loss and gradients, computed with Value.

This is the reference algorithm written out in full. Every weight becomes a Value, the
forward pass builds a graph of roughly 58,000 of them, and Value.backward() walks it.
"""

from .config import ModelConfig
from .inference import prediction
from .params import Matrix
from .value import Value

ValueMatrix = list[list[Value]]


def linear(x: list[Value], w: ValueMatrix) -> list[Value]:
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def rmsnorm(x: list[Value]) -> list[Value]:
    mean_square = sum(xi * xi for xi in x) / len(x)
    scale = (mean_square + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def softmax(logits: list[Value]) -> list[Value]:
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def gpt(config: ModelConfig, w: dict[str, ValueMatrix], token: int, pos: int, keys, values) -> list[Value]:
    """Logits for the next token, seeing earlier positions through the keys/values cache."""
    head_dim = config.head_dim
    x = [t + p for t, p in zip(w["wte"][token], w["wpe"][pos])]
    x = rmsnorm(x)
    for layer in range(config.n_layer):
        prefix = f"layer{layer}."
        # attention: each head looks back over all positions so far
        residual = x
        h = rmsnorm(x)
        q = linear(h, w[prefix + "attn_wq"])
        keys[layer].append(linear(h, w[prefix + "attn_wk"]))
        values[layer].append(linear(h, w[prefix + "attn_wv"]))
        heads_out = []
        for head in range(config.n_head):
            lo, hi = head * head_dim, (head + 1) * head_dim
            q_head = q[lo:hi]
            k_heads = [k[lo:hi] for k in keys[layer]]
            v_heads = [v[lo:hi] for v in values[layer]]
            scores = [sum(q_head[j] * k_head[j] for j in range(head_dim)) / head_dim**0.5 for k_head in k_heads]
            weights = softmax(scores)
            heads_out += [sum(weights[t] * v_heads[t][j] for t in range(len(v_heads))) for j in range(head_dim)]
        x = [a + b for a, b in zip(linear(heads_out, w[prefix + "attn_wo"]), residual)]
        # MLP: widen, keep the positive part, narrow again
        residual = x
        h = rmsnorm(x)
        hidden = [u.relu() for u in linear(h, w[prefix + "mlp_fc1"])]
        x = [a + b for a, b in zip(linear(hidden, w[prefix + "mlp_fc2"]), residual)]
    return linear(x, w["lm_head"])


def loss_and_grads(
    config: ModelConfig, weights: dict[str, Matrix], tokens: list[int], predictions: list | None = None
) -> tuple[float, dict[str, Matrix]]:
    """Mean next-token loss over one document, and its gradient for every weight.

    If `predictions` is a list, it receives an inference.Prediction for each position,
    read off the softmax this forward pass computed for the loss.
    """
    w = {name: [[Value(x) for x in row] for row in m] for name, m in weights.items()}
    n = min(config.block_size, len(tokens) - 1)
    keys = [[] for _ in range(config.n_layer)]
    values = [[] for _ in range(config.n_layer)]
    losses = []
    for pos in range(n):
        probs = softmax(gpt(config, w, tokens[pos], pos, keys, values))
        losses.append(-probs[tokens[pos + 1]].log())
        if predictions is not None:
            predictions.append(prediction([p.data for p in probs], tokens[pos + 1], losses[-1].data))
    loss = (1 / n) * sum(losses)
    loss.backward()
    grads = {name: [[v.grad for v in row] for row in m] for name, m in w.items()}
    return loss.data, grads
