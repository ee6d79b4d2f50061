"""`microgpt-tui inspect`: how a saved model predicts each character of one word.

A training step's loss is the mean surprise, -ln p, over the positions of one name. This
prints each position's share: the context the model saw, the character that came next,
the probability it gave that character, its surprise, and what it expected instead.

--trace adds what each attention head looked at (and, in JSON, the logits), read from the
same recorded forward pass as the X-ray's views (engine/trace.py). --head-off L:H switches
heads off for everything it prints.
"""

import argparse
import json
import math

from ...datasets import printable
from ...engine import checkpoint
from ...engine.config import ModelConfig
from ...engine.inference import Prediction, mean_surprise
from ...engine.params import ParamLayout
from ...engine.tokenizer import Tokenizer
from ...engine.trace import PositionTrace, trace_document
from .errors import UsageError, note


def run_inspect(args: argparse.Namespace) -> int:
    saved = checkpoint.load(args.checkpoint)
    tokenizer = Tokenizer(saved.chars)
    word = args.text
    check_word(tokenizer, word)
    heads_off = check_heads(saved.config, args.head_off)
    tokens = tokenizer.encode_document(word)
    try:
        weights = ParamLayout(saved.config).matrices(saved.params)
        traces, predictions = trace_document(saved.config, weights, tokens, heads_off)
        loss = mean_surprise(predictions)
    except (ArithmeticError, ValueError):  # a probability of 0: log(0)
        loss = math.nan
    if not math.isfinite(loss):
        raise UsageError(f"checkpoint {args.checkpoint}: its weights give {word!r} an infinite loss "
                         "(a probability that rounds to 0); choose a checkpoint that trained without blowing up")
    cut = cut_note(saved.config.block_size, word)
    if args.json:
        if cut:
            note(cut)
        shown = as_json(tokenizer, word, tokens, predictions, loss)
        shown["heads_off"] = [list(pair) for pair in sorted(heads_off)]
        if args.trace:
            for position, trace in zip(shown["positions"], traces):
                position["attention"] = trace.attention
                position["logits"] = trace.logits
        print(json.dumps(shown))
    else:
        print(printable(f"{word!r} under {args.checkpoint} (step {saved.step}): {len(predictions)} predictions"
                        + heads_off_note(heads_off)))
        if cut:
            print(printable(cut))
        for line in table(tokenizer, tokens, predictions):
            print(line)
        if args.trace:
            for line in attention_lines(tokenizer, tokens, traces, heads_off):
                print(line)
        print(printable(f"mean surprise {loss:.4f}: the loss a training step would compute on {word!r} with these weights"
                        + heads_off_note(heads_off)))
    return 0


def check_heads(config: ModelConfig, asked: list[tuple[int, int]]) -> frozenset[tuple[int, int]]:
    """--head-off's (layer, head) pairs, each checked against the model's shape."""
    for layer, head in asked:
        if layer >= config.n_layer:
            raise UsageError(f"--head-off {layer}:{head}: the model has {numbered(config.n_layer, 'layer')}; "
                             "give a layer it has")
        if head >= config.n_head:
            raise UsageError(f"--head-off {layer}:{head}: each layer has {numbered(config.n_head, 'head')}; "
                             "give a head it has")
    return frozenset(asked)


def numbered(count: int, noun: str) -> str:
    """"1 layer, numbered 0" or "4 heads, numbered from 0 to 3"."""
    if count == 1:
        return f"1 {noun}, numbered 0"
    return f"{count} {noun}s, numbered from 0 to {count - 1}"


def heads_off_note(heads_off: frozenset[tuple[int, int]]) -> str:
    if not heads_off:
        return ""
    named = " ".join(f"{layer}:{head}" for layer, head in sorted(heads_off))
    return f", with head{'s' if len(heads_off) > 1 else ''} {named} switched off"


def attention_lines(tokenizer: Tokenizer, tokens: list[int], traces: list[PositionTrace],
                    heads_off: frozenset[tuple[int, int]]) -> list[str]:
    """Each head's weights over the positions so far, one line per position and head."""
    lines = ["attention: at each position, how much weight each head gave to positions 0..p (layer:head)"]
    for trace in traces:
        lines.append(printable(f"{trace.pos:3d}  {context_of(tokenizer, tokens, trace.pos)}"))
        for layer, heads in enumerate(trace.attention):
            for head, weights in enumerate(heads):
                off = "  (off)" if (layer, head) in heads_off else ""
                lines.append(f"     {layer}:{head}  " + " ".join(f"{w:.2f}" for w in weights) + off)
    return lines


def check_word(tokenizer: Tokenizer, word: str) -> None:
    if not word:
        raise UsageError("--text is empty; give the word to score, e.g. --text emma")
    unknown = tokenizer.unknown_chars(word)
    if unknown:
        shown = " ".join(repr(ch) for ch in unknown)
        raise UsageError(f"--text {word!r}: not in the model's vocabulary: {shown} "
                         f"(it knows only: {''.join(tokenizer.chars)})")


def cut_note(block_size: int, word: str) -> str:
    """What a word longer than the block size loses, as a training step would; "" if nothing."""
    predictions = len(word) + 1  # every character, then BOS
    if predictions <= block_size:
        return ""
    return (f"note: {word!r} makes {predictions} predictions, more than the block size of {block_size}; "
            f"only the first {block_size} are scored, as in training")


def context_of(tokenizer: Tokenizer, tokens: list[int], position: int) -> str:
    """What the model has seen when it predicts position `position`'s next token: BOS and the characters so far."""
    return "".join(tokenizer.symbol(token) for token in tokens[: position + 1])


def as_json(tokenizer: Tokenizer, word: str, tokens: list[int], predictions: list[Prediction], loss: float) -> dict:
    return {
        "text": word,
        "loss": loss,
        "positions": [
            {
                "position": position,
                "context": context_of(tokenizer, tokens, position),
                "target": tokenizer.symbol(pr.target),
                "p": pr.p,
                "surprise": pr.surprise,
                "top": [[tokenizer.symbol(token), p] for token, p in pr.top],
            }
            for position, pr in enumerate(predictions)
        ],
    }


def table(tokenizer: Tokenizer, tokens: list[int], predictions: list[Prediction]) -> list[str]:
    """One line per position, columns lined up; every character escaped."""
    contexts = [printable(context_of(tokenizer, tokens, position)) for position in range(len(predictions))]
    width = max(len("context"), *map(len, contexts))
    lines = [f"pos  {'context':<{width}}  next       p  surprise  top 3 guesses"]
    for position, (context, pr) in enumerate(zip(contexts, predictions)):
        guesses = "  ".join(f"{printable(tokenizer.symbol(token))} {p:.4f}" for token, p in pr.top)
        target = printable(tokenizer.symbol(pr.target))
        lines.append(f"{position:3d}  {context:<{width}}  {target:<4}  {pr.p:.4f}  {pr.surprise:8.4f}  {guesses}")
    return lines
