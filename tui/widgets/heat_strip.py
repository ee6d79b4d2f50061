"""A vector on one line: one coloured cell per number, on the heatmap's colour ramps.

The X-ray draws every stage of the forward pass this way, so a learner can watch a vector
change shape from stage to stage: blue is negative, orange positive, grey near zero.
heat_strip_segments() gives the line as Rich segments, for a row of a StageList.
"""

from collections.abc import Sequence
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from .heatmap import ColourScale


def strip_scale(values: Sequence[float], signed: bool = True) -> ColourScale:
    """A scale fitted to the vector: symmetric about zero, or 0..max for weights and probabilities."""
    largest = max((abs(v) for v in values), default=0.0)
    return ColourScale.symmetric(largest) if signed else ColourScale.sequential(0.0, largest)


@lru_cache(maxsize=256)
def background(colour: Color) -> Style:
    """One Style per ramp colour: equal rows then share their styles, so comparing and drawing them is cheap."""
    return Style(bgcolor=colour.rich_color)


def heat_strip_segments(values: Sequence[float], scale: ColourScale | None = None, cell_width: int = 1,
                        gap_every: int = 0) -> list[Segment]:
    """`values` as coloured cells, `cell_width` characters each; a thin gap after every
    `gap_every` cells (to show where one head's slice of q ends and the next begins)."""
    scale = scale or strip_scale(values)
    cell = " " * cell_width
    segments = []
    for index, value in enumerate(values):
        if gap_every and index and index % gap_every == 0:
            segments.append(Segment("▕"))
        segments.append(Segment(cell, background(scale.colour(value))))
    return segments
