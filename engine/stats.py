"""Summary numbers for every weight matrix: its values, gradients and Adam's m and v."""

import math
from dataclasses import dataclass
from operator import mul

from .params import ParamLayout


@dataclass(frozen=True)
class Summary:
    mean: float
    std: float
    min: float
    max: float
    norm: float  # Euclidean length: sqrt of the sum of squares


def sum_of_squares(values: list[float]) -> float:
    # map(mul) runs in C: the app summarises every matrix several times a second while training
    return sum(map(mul, values, values))


def summarize(values: list[float]) -> Summary:
    n = len(values)
    mean = sum(values) / n
    variance = sum_of_squares([x - mean for x in values]) / n
    return Summary(mean, math.sqrt(variance), min(values), max(values), math.sqrt(sum_of_squares(values)))


@dataclass(frozen=True)
class MatrixStats:
    name: str
    shape: tuple[int, int]
    value: Summary
    grad: Summary
    m: Summary
    v: Summary
    update_ratio: float  # |last update| / |weights|: how fast this matrix is moving


def matrix_stats(
    layout: ParamLayout,
    params: list[float],
    grads: list[float],
    previous_params: list[float],
    m: list[float],
    v: list[float],
) -> list[MatrixStats]:
    stats = []
    for spec in layout.specs:
        cut = slice(spec.offset, spec.offset + spec.size)
        value = summarize(params[cut])
        update = [a - b for a, b in zip(params[cut], previous_params[cut])]
        update_norm = math.sqrt(sum_of_squares(update))
        ratio = update_norm / value.norm if value.norm else 0.0
        stats.append(
            MatrixStats(spec.name, spec.shape, value, summarize(grads[cut]), summarize(m[cut]), summarize(v[cut]), ratio)
        )
    return stats
