"""The token embeddings seen from the two directions in which they spread out most.

Each row of wte is one character's point in n_embd dimensions. Principal components find
the directions along which those points vary most: the eigenvectors of their covariance
matrix with the largest eigenvalues. Here they are found the plain way, by power
iteration: multiply a vector by the covariance again and again and it turns towards the
direction of greatest variance. Removing that direction from the covariance (deflation)
lets the next power iteration find the next one.
"""

import random
from dataclasses import dataclass
from operator import mul

from .inference import sum_in_order


@dataclass(frozen=True)
class Projection:
    axes: list[list[float]]  # unit vectors, orthogonal, the direction of most variance first
    variances: list[float]  # the variance of the points along each axis
    explained: list[float]  # each axis's share of the total variance, 0..1
    points: list[list[float]]  # each row's coordinates on the axes (its mean subtracted)


def dot(a: list[float], b: list[float]) -> float:
    return sum_in_order(map(mul, a, b))


def unit(v: list[float]) -> list[float]:
    length = dot(v, v) ** 0.5
    return [x / length for x in v]


def without(v: list[float], axes: list[list[float]]) -> list[float]:
    """v with its components along the (unit, orthogonal) axes removed."""
    for axis in axes:
        along = dot(v, axis)
        v = [x - along * a for x, a in zip(v, axis)]
    return v


def covariance(centred: list[list[float]]) -> list[list[float]]:
    n = len(centred)
    columns = list(zip(*centred))
    return [[dot(ci, cj) / n for cj in columns] for ci in columns]


def top_direction(matrix: list[list[float]], found: list[list[float]], rng: random.Random,
                  iterations: int, tolerance: float) -> list[float] | None:
    """Power iteration: the unit vector, orthogonal to `found`, that `matrix` stretches most;
    None if it stretches none (no variance left)."""
    v = unit(without([rng.gauss(0, 1) for _ in matrix], found))
    for _ in range(iterations):
        # keeping it orthogonal to the axes already found stops rounding from leaning it back towards them
        stretched = without([dot(row, v) for row in matrix], found)
        if dot(stretched, stretched) == 0.0:
            return None
        new = unit(stretched)
        if max(abs(a - b) for a, b in zip(new, v)) < tolerance:
            return new
        v = new
    return v


def principal_components(rows: list[list[float]], k: int = 2, iterations: int = 2000,
                         tolerance: float = 1e-13) -> Projection:
    """The first k principal components of `rows` (e.g. wte), and each row projected onto them."""
    n, width = len(rows), len(rows[0])
    mean = [sum_in_order(column) / n for column in zip(*rows)]
    centred = [[x - m for x, m in zip(row, mean)] for row in rows]
    cov = covariance(centred)
    total = sum_in_order(cov[i][i] for i in range(width))
    rng = random.Random(0)  # a fixed start, so the same embeddings give the same picture
    axes: list[list[float]] = []
    variances: list[float] = []
    for _ in range(min(k, width)):
        axis = top_direction(cov, axes, rng, iterations, tolerance)
        if axis is None:  # every point the same along what is left: any remaining direction will do
            axis = next(unit(v) for v in (without(e, axes) for e in identity(width)) if dot(v, v) > 1e-12)
        # a sign fixed by the axis itself: largest component positive, so a live view does not flip
        if max(axis, key=abs) < 0:
            axis = [-a for a in axis]
        axes.append(axis)
        # the eigenvalue: how far the covariance stretches its own eigenvector
        variance = dot(axis, [dot(row, axis) for row in cov])
        variances.append(variance)
        # deflation: take this direction's variance out, so the next iteration finds the next direction
        cov = [[c - variance * ai * aj for c, aj in zip(row, axis)] for row, ai in zip(cov, axis)]
    points = [[dot(row, axis) for axis in axes] for row in centred]
    explained = [v / total if total > 0 else 0.0 for v in variances]
    return Projection(axes, variances, explained, points)


def identity(width: int) -> list[list[float]]:
    return [[1.0 if i == j else 0.0 for j in range(width)] for i in range(width)]
