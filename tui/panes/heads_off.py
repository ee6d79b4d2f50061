"""Heads switched off for inference (`o` in the attention pane), as (layer, head) pairs.

The app keeps one set for the session; a run of another shape may have fewer layers or
heads, so every view asks which of them its model has, and names them the same way.
"""

from collections.abc import Iterable


def heads_in_model(heads_off: frozenset[tuple[int, int]], config) -> frozenset[tuple[int, int]]:
    """The heads of `heads_off` this model has."""
    return frozenset((layer, head) for layer, head in heads_off if layer < config.n_layer and head < config.n_head)


def heads_words(heads_off: Iterable[tuple[int, int]]) -> str:
    """"0:1, 1:3": the heads as layer:head, in order."""
    return ", ".join(f"{layer}:{head}" for layer, head in sorted(heads_off))
