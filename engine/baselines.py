"""What a loss of 2.4 is worth: the losses of three models that only count, on the same names.

A GPT's loss means little alone. These are the losses, on the held-out names validation
scores, of models anyone could write in a few lines:

- uniform: every token equally likely, p = 1/V, a loss of ln V;
- unigram: each token as often as it occurs in the training names, whatever came before;
- bigram: each token as often as it followed the token before it in the training names.

A model below the bigram line predicts unseen names better than a table of which
character follows which.

Tokens are counted exactly as training predicts them. A name's predicted tokens are its
characters then BOS, each predicted from the token before it (BOS before the first), and
only the first block_size predictions count. So the pairs s→t counted for the bigram are
those same first block_size predictions of every training name, each with the token
before it, and the unigram counts are their targets t. Every count gets 1 added (add-one
smoothing), so no token has probability 0:

    unigram  p(t)     = (count of t + 1) / (number of predicted tokens + V)
    bigram   p(t | s) = (count of s→t + 1) / (count of s→anything + V)

The baseline is the mean of -ln p over every predicted token of the held-out names, the
way Trainer.validation_loss averages the model's.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .tokenizer import Tokenizer


@dataclass(frozen=True)
class Baselines:
    held_out: int  # how many held-out names were scored
    uniform: float  # ln V
    unigram: float
    bigram: float


def predicted_pairs(tokens: list[int], block_size: int) -> list[tuple[int, int]]:
    """(token before, token predicted) at each position a training step scores."""
    n = min(block_size, len(tokens) - 1)
    return [(tokens[pos], tokens[pos + 1]) for pos in range(n)]


def baselines(train_docs: Sequence[str], held_out_docs: Sequence[str], tokenizer: Tokenizer,
              block_size: int) -> Baselines | None:
    """The three baselines on `held_out_docs`, counted on `train_docs`; None with nothing held out.

    Pass the trainer's own split, Trainer.train_docs and Trainer.val_docs, so the names
    scored are the ones its validation loss is measured on.
    """
    vocab_size = tokenizer.vocab_size
    token_count: dict[int, int] = {}  # t -> how often t was predicted
    pair_count: dict[tuple[int, int], int] = {}  # (s, t) -> how often t followed s
    after_count: dict[int, int] = {}  # s -> how often anything followed s
    for doc in train_docs:
        for before, token in predicted_pairs(tokenizer.encode_document(doc), block_size):
            token_count[token] = token_count.get(token, 0) + 1
            pair_count[before, token] = pair_count.get((before, token), 0) + 1
            after_count[before] = after_count.get(before, 0) + 1
    total = sum(token_count.values())

    unigram_loss = bigram_loss = 0.0
    predicted = 0
    for doc in held_out_docs:
        for before, token in predicted_pairs(tokenizer.encode_document(doc), block_size):
            p_unigram = (token_count.get(token, 0) + 1) / (total + vocab_size)
            p_bigram = (pair_count.get((before, token), 0) + 1) / (after_count.get(before, 0) + vocab_size)
            unigram_loss -= math.log(p_unigram)
            bigram_loss -= math.log(p_bigram)
            predicted += 1
    if not predicted:
        return None
    return Baselines(len(held_out_docs), math.log(vocab_size), unigram_loss / predicted, bigram_loss / predicted)
