"""Making up names with a trained model, and asking it what comes next.

All of it runs on plain floats through inference.forward_token, whichever engine trained.
"""

import random

from .config import ModelConfig
from .inference import KVCache, forward_token, softmax
from .params import Matrix
from .tokenizer import Tokenizer


def likeliest(logits: list[float]) -> int:
    return max(range(len(logits)), key=logits.__getitem__)


def sampling_probs(logits: list[float], temperature: float) -> list[float]:
    """The distribution the next token is drawn from at `temperature`.

    Below 1 sharpens it towards likely tokens, above 1 flattens it; 0 is greedy: all of
    the probability on the most likely token.
    """
    if temperature == 0:
        best = likeliest(logits)
        return [1.0 if token == best else 0.0 for token in range(len(logits))]
    inverse_temperature = temperature**-1
    return softmax([logit * inverse_temperature for logit in logits])


def pick_token(logits: list[float], temperature: float, rng: random.Random) -> int:
    """Draw the next token. Temperature 0 means greedy: always the most likely one."""
    if temperature == 0:
        return likeliest(logits)
    return rng.choices(range(len(logits)), weights=sampling_probs(logits, temperature))[0]


def generate(
    config: ModelConfig,
    weights: dict[str, Matrix],
    tokenizer: Tokenizer,
    rng: random.Random,
    temperature: float = 0.5,
    prefix: str = "",
    heads_off: frozenset[tuple[int, int]] = frozenset(),
) -> str:
    """One name: start from BOS, feed `prefix`, then sample until BOS or the block is full.

    Each (layer, head) in `heads_off` is switched off (see inference.forward_token)."""
    prefix_ids = tokenizer.encode(prefix)
    cache = KVCache(config.n_layer)
    out = list(prefix_ids)
    token = tokenizer.bos
    for pos in range(config.block_size):
        logits = forward_token(config, weights, token, pos, cache, heads_off=heads_off)
        if pos < len(prefix_ids):
            token = prefix_ids[pos]  # still reading the prefix: no choice to make
            continue
        token = pick_token(logits, temperature, rng)
        if token == tokenizer.bos:
            break
        out.append(token)
    return tokenizer.decode(out)


def next_token_probs(
    config: ModelConfig, weights: dict[str, Matrix], tokenizer: Tokenizer, prefix: str, temperature: float = 1.0,
    heads_off: frozenset[tuple[int, int]] = frozenset(),
) -> list[float]:
    """The probability of every token (BOS = "the name ends here") after `prefix`, as
    sampling at `temperature` draws it; at 1, the model's own distribution. With
    `heads_off`, those (layer, head)s are switched off."""
    tokens = [tokenizer.bos, *tokenizer.encode(prefix)]
    if len(tokens) > config.block_size:
        raise ValueError(f"the model sees at most {config.block_size - 1} characters")
    cache = KVCache(config.n_layer)
    for pos, token in enumerate(tokens):
        logits = forward_token(config, weights, token, pos, cache, heads_off=heads_off)
    return sampling_probs(logits, temperature)


def check_prefix(config: ModelConfig, tokenizer: Tokenizer, prefix: str) -> str | None:
    """Why `prefix` cannot be completed, in one line; None if it can."""
    unknown = tokenizer.unknown_chars(prefix)
    if unknown:
        shown = " ".join(repr(ch) for ch in unknown)
        return f"not in the vocabulary: {shown} (the model knows only: {''.join(tokenizer.chars)})"
    if len(prefix) >= config.block_size:
        return f"too long: the model sees at most {config.block_size - 1} characters after BOS"
    return None
