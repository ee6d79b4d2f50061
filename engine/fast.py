"""The fast engine: the scalar engine's loss and gradients, a whole matrix at a time.

scalar.py makes every number a Value, builds a graph of ~58,000 of them, and lets
Value.backward() find each gradient. This engine runs the same forward pass on plain lists
of floats, records what the backward pass will need (the Tape), then applies the chain rule
by hand, one whole operation at a time, in reverse order. Read it beside scalar.py: each
forward operation has its backward below.

Training knows the whole document in advance. So where scalar.py goes one position at a
time, as sampling must, this engine runs each layer over every position at once, as
frameworks do: a sequence is a list of rows, X[p] the vector at position p, and a linear
layer over it is one matrix product. Attention stays causal: position p looks at positions
0..p only, just as the scalar engine's growing lists of keys and values allow.

Notation: for any quantity y, dy is the gradient of the loss with respect to y, dL/dy, and
has y's shape. A matrix W is a list of rows, W[out][in], as everywhere in the engine, so
a linear layer computes y[o] = sum_i W[o][i] * x[i].

The forward pass does every float operation in the scalar engine's order, so given the same
weights the loss is the same to the last bit. The backward pass adds the same terms in
other orders, so the gradients agree to about 1e-16 (and optim.py explains why the fast
engine's Adam differs in the last bit too); over the 1000-step default run the losses
stay within about 2e-15 of the scalar engine's. The loops over vector elements run in fast_kernels, which
writes them out in full (see there); their docstrings give the plain Python they equal.
"""

import math
from functools import lru_cache
from itertools import chain

from . import fast_kernels as kernels
from .config import ModelConfig
from .inference import prediction, sum_in_order
from .params import Matrix

Rows = list  # a sequence of vectors, rows[p] at position p (lists or tuples of floats)


def columns(rows) -> list[tuple[float, ...]]:
    """The transpose: columns(rows)[i] is column i, (rows[0][i], rows[1][i], ...)."""
    return list(zip(*rows))


def rows_of(flat, width: int) -> list[tuple[float, ...]]:
    """A flat sequence cut into consecutive rows of `width`."""
    return list(zip(*[iter(flat)] * width))


class Ops:
    """The kernels for one model's sizes, looked up once."""

    def __init__(self, config: ModelConfig):
        d, n_head, head_dim = config.n_embd, config.n_head, config.head_dim
        self.add = kernels.add(d)  # a + b
        # h, scale = rmsnorm(x): x * (mean(x²) + 1e-5)^(-1/2), as inference.rmsnorm computes it
        self.rmsnorm = kernels.rmsnorm(d)
        # dx = rmsnorm_backward(dh, h, scale):
        #   h = x * s with s = (mean(x²) + eps)^(-1/2). Nudging x_i moves h_i directly, by s,
        #   and also moves s, which rescales every h_j: ds/dx_i = -s³ x_i / d. Adding both
        #   paths and writing x = h / s gives  dx_i = s * (dh_i - h_i * (dh · h) / d).
        self.rmsnorm_backward = kernels.rmsnorm_backward(d)
        self.scatter_axpy = kernels.scatter_axpy(d)  # rows[j] += c_j * x for several j
        self.softmax_vocab = kernels.softmax(config.vocab_size)  # inference.softmax over the logits
        self.head_dots = kernels.head_dots(n_head, head_dim)  # one dot product per head
        self.head_mix = kernels.head_mix(n_head, head_dim)  # sum_t w_t[head] * row_t, per head
        self.n_head = n_head
        self.attn_scale = (head_dim**0.5) ** -1


ops_for = lru_cache(maxsize=16)(Ops)


# --- the operations over a sequence, each with its backward -------------------------------


def linear(xs: Rows, w: Matrix) -> Rows:
    """ys[p] = W xs[p] at every position p, as one matrix product: ys^T = W xs^T."""
    return columns(kernels.matmul(len(xs[0]), len(xs))(w, columns(xs)))


def linear_backward(xs: Rows, w: Matrix, dys: Rows) -> tuple[Rows, Matrix]:
    """ys = linear(xs, W): the gradients dxs and dW."""
    # dx_p = W^T dy_p: x_p[i] reaches every y_p[o] through W[o][i], so dx_p[i] is
    # sum_o dy_p[o] W[o][i]. For all positions at once: dxs = dys W.
    dxs = kernels.matmul(len(w), len(w[0]))(dys, w)
    # dW[o][i] = sum_p dy_p[o] * x_p[i]: W[o][i] carries x_p[i] into y_p[o] at every
    # position, so dW is the sum over the positions of the outer products dy_p ⊗ x_p,
    # which is the matrix product dys^T xs.
    dw = kernels.matmul(len(xs), len(xs[0]))(columns(dys), xs)
    return dxs, dw


def rmsnorm(ops: Ops, xs: Rows) -> tuple[Rows, list[float]]:
    """Each position's rmsnorm, and its scale for the backward pass."""
    normed, scales = zip(*map(ops.rmsnorm, xs))
    return list(normed), list(scales)


def rmsnorm_backward(ops: Ops, dhs: Rows, hs: Rows, scales: list[float]) -> Rows:
    return list(map(ops.rmsnorm_backward, dhs, hs, scales))


def add(ops: Ops, xs: Rows, ys: Rows) -> Rows:
    return list(map(ops.add, xs, ys))


def softmax_by_head(scores: list[tuple[float, ...]]) -> list[tuple[float, ...]]:
    """inference.softmax over the positions t, for each head: scores[t][head] -> weights[t][head]."""
    softmax_seen = kernels.softmax(len(scores))
    return list(zip(*[softmax_seen(head_scores) for head_scores in zip(*scores)]))


# The softmax's own backward, which attention_backward uses in a form with no loop over t:
#   p_t = e^z_t / sum_u e^z_u. Raising z_t raises p_t and takes from every p_u in
#   proportion: dp_u/dz_t = p_u ([u = t] - p_t). So dz_t = p_t * (dp_t - sum_u p_u dp_u).


# --- the forward pass, recording what the backward pass needs ----------------------------


class LayerWeights:
    def __init__(self, weights: dict[str, Matrix], layer: int):
        prefix = f"layer{layer}."
        self.wq = weights[prefix + "attn_wq"]
        self.wk = weights[prefix + "attn_wk"]
        self.wv = weights[prefix + "attn_wv"]
        self.wo = weights[prefix + "attn_wo"]
        self.fc1 = weights[prefix + "mlp_fc1"]
        self.fc2_columns = columns(weights[prefix + "mlp_fc2"])  # the sparse MLP works one hidden unit at a time


class LayerTape:
    """One layer's weights, and its intermediate values at every position for the backward pass."""

    def __init__(self, weights: LayerWeights):
        self.weights = weights
        self.attn_in: Rows = []  # h = rmsnorm(x), fed to q, k and v
        self.attn_scale: list[float] = []  # that rmsnorm's scale at each position
        self.queries: Rows = []
        self.keys: Rows = []
        self.values: Rows = []
        self.attn_weights: list[list[tuple[float, ...]]] = []  # [query p][key t][head]
        self.heads_out: Rows = []  # the heads' outputs, concatenated, fed to attn_wo
        self.mlp_in: Rows = []  # h = rmsnorm(x), fed to mlp_fc1
        self.mlp_scale: list[float] = []
        self.active: list[list[int]] = []  # the hidden units that ReLU let through (about 1 in 6)
        self.hidden: Rows = []  # their values
        self.fc2_active: list[list[tuple[float, ...]]] = []  # their columns of fc2


class Tape:
    def __init__(self, config: ModelConfig, weights: dict[str, Matrix]):
        self.layers = [LayerTape(LayerWeights(weights, layer)) for layer in range(config.n_layer)]
        self.embedded: Rows = []  # rmsnorm(wte[token] + wpe[pos])
        self.embed_scale: list[float] = []
        self.final: Rows = []  # the last layer's output, fed to lm_head
        self.probs: Rows = []  # the next-token distribution at each position
        self.losses: list[float] = []  # -log(the probability it gave the true next token), at each position


def attention_block(ops: Ops, lt: LayerTape, xs: Rows) -> Rows:
    """x + wo · attention(q, k, v) at every position, each looking back over positions 0..p."""
    w = lt.weights
    hs, lt.attn_scale = rmsnorm(ops, xs)
    lt.attn_in = hs
    lt.queries = queries = linear(hs, w.wq)
    lt.keys = keys = linear(hs, w.wk)
    lt.values = values = linear(hs, w.wv)
    # score[t][head] = (q_p · k_t over the head's slice) * attn_scale, for t = 0..p
    lt.attn_weights = [softmax_by_head(ops.head_dots(q, keys[: p + 1], ops.attn_scale)) for p, q in enumerate(queries)]
    # each head's output = sum_t weight_t * v_t over the head's slice (zip stops at t = p)
    lt.heads_out = [ops.head_mix(values, attn_weights) for attn_weights in lt.attn_weights]
    return add(ops, linear(lt.heads_out, w.wo), xs)  # plus the residual


def mlp_block(ops: Ops, lt: LayerTape, xs: Rows) -> Rows:
    """x + fc2 · relu(fc1 · rmsnorm(x)) at every position: widen, keep the positive part, narrow."""
    w = lt.weights
    hs, lt.mlp_scale = rmsnorm(ops, xs)
    lt.mlp_in = hs
    out = []
    for x, pre in zip(xs, linear(hs, w.fc1)):
        active = [j for j, u in enumerate(pre) if u > 0.0]  # relu(u) = u where u > 0, else 0
        hidden = [pre[j] for j in active]
        fc2_active = [w.fc2_columns[j] for j in active]
        lt.active.append(active)
        lt.hidden.append(hidden)
        lt.fc2_active.append(fc2_active)
        if not active:
            out.append(x)
            continue
        # fc2 · relu(pre) without the zero units: their terms, W[o][j] * 0.0, change no sum, so
        # fc2's rows cut down to the active columns give the same floats.
        out.append(ops.add(kernels.dots(len(active))(hidden, zip(*fc2_active)), x))  # plus the residual
    return out


def forward(config: ModelConfig, weights: dict[str, Matrix], tokens: list[int], n: int) -> tuple[float, Tape]:
    """scalar.gpt at positions 0..n-1 and the mean loss, with the same floats."""
    ops = ops_for(config)
    wte, wpe = weights["wte"], weights["wpe"]
    tape = Tape(config, weights)
    xs = [ops.add(wte[token], wpe[pos]) for pos, token in enumerate(tokens[:n])]
    xs, tape.embed_scale = rmsnorm(ops, xs)
    tape.embedded = xs
    for lt in tape.layers:
        xs = mlp_block(ops, lt, attention_block(ops, lt, xs))
    tape.final = xs
    tape.probs = [ops.softmax_vocab(logits) for logits in linear(xs, weights["lm_head"])]
    tape.losses = [-math.log(probs[target]) for probs, target in zip(tape.probs, tokens[1 : n + 1])]
    return (1 / n) * sum_in_order(tape.losses), tape


# --- the backward pass, block by block in reverse -----------------------------------------


def mlp_backward(ops: Ops, lt: LayerTape, dxs: Rows) -> tuple[Rows, Matrix, Matrix]:
    """x_out = x + fc2 · relu(fc1 · rmsnorm(x)) at every position: dx, dfc1 and dfc2."""
    fc1 = lt.weights.fc1
    zeros = [0.0] * len(fc1[0])
    # relu'(u) is 1 where u > 0 and 0 elsewhere, so only active units pass gradient back, and
    # only their rows of fc1 and columns of fc2 get any. Collect those one unit at a time.
    dfc1_rows = [zeros] * len(fc1)
    dfc2_columns = [zeros] * len(fc1)
    dx_in = []
    for g, h, scale, active, hidden, fc2_active in zip(dxs, lt.mlp_in, lt.mlp_scale, lt.active, lt.hidden, lt.fc2_active):
        if active:
            dhidden = kernels.dots(len(g))(g, fc2_active)  # unit j feeds every output through column j of fc2
            # and is fed by h through row j of fc1: dh = sum_j dhidden_j * fc1[j]
            dh = kernels.dots(len(active))(dhidden, zip(*[fc1[j] for j in active]))
            ops.scatter_axpy(dfc1_rows, active, dhidden, h)  # dfc1[j] += dhidden_j * h
            ops.scatter_axpy(dfc2_columns, active, hidden, g)  # dfc2[:, j] += hidden_j * dx
            g = ops.add(g, ops.rmsnorm_backward(dh, h, scale))
        # (the residual path carries dx straight past the block)
        dx_in.append(g)
    return dx_in, [list(row) for row in dfc1_rows], [list(row) for row in zip(*dfc2_columns)]


def attention_backward(ops: Ops, lt: LayerTape, dheads: Rows) -> tuple[Rows, Rows, Rows]:
    """The gradients of every position's q, k and v, given d(heads' outputs).

    For each head and query position p, over the positions t <= p:
    score_t = (q_p · k_t) * attn_scale, a = softmax(scores), out_p = sum_t a_t v_t.
    The heads use separate slices of q, k and v, so all of them are done side by side.
    """
    n, n_head, attn_scale = len(dheads), ops.n_head, ops.attn_scale
    dqs, dscores_all = [], []
    for pos, (dout, out, attn_weights) in enumerate(zip(dheads, lt.heads_out, lt.attn_weights)):
        # out = sum_t a_t v_t: the gradient of weight a_t is dout · v_t (over the head's slice)
        da = ops.head_dots(dout, lt.values[: pos + 1], 1.0)
        # back through the softmax: dscore_t = a_t (da_t - sum_u a_u da_u), where
        # sum_u a_u da_u = dout · sum_u a_u v_u = dout · out; then through the scale
        means = ops.head_dots(dout, [out], 1.0)[0] * (pos + 1)
        dscores = [
            a * (g - mean) * attn_scale
            for a, g, mean in zip(chain.from_iterable(attn_weights), chain.from_iterable(da), means)
        ]
        dscores = rows_of(dscores, n_head)  # back to one tuple of heads per t
        dscores_all.append(dscores)
        # dscore_t reaches q through k_t: dq = sum_t dscore_t k_t
        dqs.append(ops.head_mix(lt.keys, dscores))
    # key t and value t are read by query t and every later one:
    # dk_t = sum_p dscore_pt q_p and dv_t = sum_p a_pt dout_p
    dks = [ops.head_mix(lt.queries[t:], [dscores[t] for dscores in dscores_all[t:]]) for t in range(n)]
    dvs = [ops.head_mix(dheads[t:], [a[t] for a in lt.attn_weights[t:]]) for t in range(n)]
    return dqs, dks, dvs


def attention_block_backward(ops: Ops, lt: LayerTape, dxs: Rows, grads: dict, prefix: str) -> Rows:
    """x_out = x + wo · attention(q, k, v) with q, k, v = W_q,k,v · rmsnorm(x): dx, and the grads."""
    w = lt.weights
    dheads, grads[prefix + "attn_wo"] = linear_backward(lt.heads_out, w.wo, dxs)
    dqs, dks, dvs = attention_backward(ops, lt, dheads)
    # q, k and v all read h, so h's gradient is the sum of what flows back through each
    dh_q, grads[prefix + "attn_wq"] = linear_backward(lt.attn_in, w.wq, dqs)
    dh_k, grads[prefix + "attn_wk"] = linear_backward(lt.attn_in, w.wk, dks)
    dh_v, grads[prefix + "attn_wv"] = linear_backward(lt.attn_in, w.wv, dvs)
    dhs = add(ops, add(ops, dh_q, dh_k), dh_v)
    # the residual path carries dx straight past the block
    return add(ops, dxs, rmsnorm_backward(ops, dhs, lt.attn_in, lt.attn_scale))


def backward(config: ModelConfig, weights: dict[str, Matrix], tokens: list[int], tape: Tape) -> dict[str, Matrix]:
    ops = ops_for(config)
    n, d = len(tape.probs), config.n_embd
    grads: dict[str, Matrix] = {}
    # loss = (1/n) sum_p -log probs_p[target_p]. Through the softmax that is the familiar
    # dlogits_p = (probs_p - onehot(target_p)) / n at each position.
    inv_n = 1 / n
    dlogits = []
    for probs, target in zip(tape.probs, tokens[1 : n + 1]):
        g = [p * inv_n for p in probs]
        g[target] -= inv_n
        dlogits.append(g)
    dxs, grads["lm_head"] = linear_backward(tape.final, weights["lm_head"], dlogits)

    for layer in reversed(range(config.n_layer)):
        prefix, lt = f"layer{layer}.", tape.layers[layer]
        dxs, grads[prefix + "mlp_fc1"], grads[prefix + "mlp_fc2"] = mlp_backward(ops, lt, dxs)
        dxs = attention_block_backward(ops, lt, dxs, grads, prefix)

    # x = rmsnorm(wte[token] + wpe[pos]): both embeddings get the same gradient
    dwte = [[0.0] * d for _ in range(config.vocab_size)]
    dwpe = [[0.0] * d for _ in range(config.block_size)]
    for pos, de in enumerate(rmsnorm_backward(ops, dxs, tape.embedded, tape.embed_scale)):
        dwte[tokens[pos]] = ops.add(dwte[tokens[pos]], de)
        dwpe[pos] = de
    grads["wte"] = dwte
    grads["wpe"] = dwpe
    return grads


def loss_and_grads(
    config: ModelConfig, weights: dict[str, Matrix], tokens: list[int], predictions: list | None = None
) -> tuple[float, dict[str, Matrix]]:
    """Mean next-token loss over one document, and its gradient for every weight.

    If `predictions` is a list, it receives an inference.Prediction for each position,
    read off the softmax this forward pass computed for the loss.
    """
    n = min(config.block_size, len(tokens) - 1)
    loss, tape = forward(config, weights, tokens, n)
    if predictions is not None:
        predictions += map(prediction, tape.probs, tokens[1 : n + 1], tape.losses)
    return loss, backward(config, weights, tokens, tape)


def document_loss(config: ModelConfig, weights: dict[str, Matrix], tokens: list[int]) -> tuple[float, int]:
    """inference.document_loss, the same floats, with every position at once: the summed
    next-token loss over a document, and how many positions there were. Scoring held-out
    names knows each whole name in advance, as training does, so it takes this faster path."""
    n = min(config.block_size, len(tokens) - 1)
    _, tape = forward(config, weights, tokens, n)
    # inference subtracts each log-probability from 0.0 in turn: a - b and a + (-b) are the same float
    return sum_in_order(tape.losses), n
