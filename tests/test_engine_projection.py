"""The embedding map's projection: principal components by power iteration (engine/projection.py)."""

import math
import random

import pytest

from microgpt_tui.engine.config import ModelConfig
from microgpt_tui.engine.params import ParamLayout, init_params
from microgpt_tui.engine.projection import principal_components


def wte(seed: int) -> list[list[float]]:
    config = ModelConfig(vocab_size=27)
    return ParamLayout(config).matrices(init_params(config, random.Random(seed)))["wte"]


def stretched(seed: int) -> list[list[float]]:
    """Points spread much more along some directions than others, as trained embeddings are."""
    rng = random.Random(seed)
    spreads = [4.0, 2.5, 1.0] + [0.3] * 13
    return [[rng.gauss(0, s) + 0.5 for s in spreads] for _ in range(27)]


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def variance_along(rows, direction):
    n = len(rows)
    projected = [dot(row, direction) for row in rows]
    mean = sum(projected) / n
    return sum((p - mean) ** 2 for p in projected) / n


def total_variance(rows):
    n = len(rows)
    return sum(variance_along(rows, [1.0 if i == j else 0.0 for j in range(len(rows[0]))]) for i in range(len(rows[0])))


DATA = {"wte at init": wte(1), "another wte": wte(2), "stretched": stretched(3)}


@pytest.mark.parametrize("rows", DATA.values(), ids=DATA.keys())
def test_the_axes_are_unit_length_and_orthogonal(rows):
    projection = principal_components(rows, k=3)
    assert len(projection.axes) == 3
    for i, a in enumerate(projection.axes):
        assert len(a) == 16
        assert dot(a, a) == pytest.approx(1.0, abs=1e-9, rel=0)
        for b in projection.axes[i + 1 :]:
            assert abs(dot(a, b)) < 1e-9


@pytest.mark.parametrize("rows", DATA.values(), ids=DATA.keys())
def test_each_axis_captures_the_variance_it_claims(rows):
    projection = principal_components(rows, k=2)
    total = total_variance(rows)
    for axis, claimed, share in zip(projection.axes, projection.variances, projection.explained):
        assert claimed == pytest.approx(variance_along(rows, axis), rel=1e-9)
        assert share == pytest.approx(claimed / total, rel=1e-9)
    assert projection.variances[0] >= projection.variances[1] > 0
    assert 0 < sum(projection.explained) < 1
    # the points are the (centred) rows' coordinates on the axes
    for i, axis in enumerate(projection.axes):
        coordinates = [point[i] for point in projection.points]
        assert sum(coordinates) == pytest.approx(0.0, abs=1e-9)
        assert sum(c * c for c in coordinates) / len(rows) == pytest.approx(projection.variances[i], rel=1e-9)


@pytest.mark.parametrize("rows", DATA.values(), ids=DATA.keys())
def test_the_first_axis_captures_at_least_as_much_as_any_random_direction(rows):
    first = principal_components(rows, k=1).variances[0]
    rng = random.Random(11)
    for _ in range(300):
        direction = [rng.gauss(0, 1) for _ in range(16)]
        length = math.sqrt(dot(direction, direction))
        assert variance_along(rows, [d / length for d in direction]) <= first * (1 + 1e-9)
    # and at least as much as each coordinate axis
    for i in range(16):
        assert variance_along(rows, [1.0 if i == j else 0.0 for j in range(16)]) <= first * (1 + 1e-9)


def test_the_second_axis_is_the_most_spread_direction_left():
    rows = stretched(5)
    projection = principal_components(rows, k=2)
    first, second = projection.axes
    rng = random.Random(12)
    for _ in range(300):
        direction = [rng.gauss(0, 1) for _ in range(16)]
        along = dot(direction, first)
        direction = [d - along * f for d, f in zip(direction, first)]  # orthogonal to the first axis
        length = math.sqrt(dot(direction, direction))
        assert variance_along(rows, [d / length for d in direction]) <= projection.variances[1] * (1 + 1e-9)
    # the stretched data's main directions are its first two coordinates
    assert abs(first[0]) > 0.9 and abs(second[1]) > 0.9


def test_the_same_rows_give_the_same_picture_and_points_without_spread_still_get_axes():
    rows = wte(4)
    assert principal_components(rows) == principal_components(rows)
    flat = [[1.0, 2.0, 3.0]] * 5
    projection = principal_components(flat, k=2)
    assert projection.variances == [0.0, 0.0] and projection.explained == [0.0, 0.0]
    assert abs(dot(*projection.axes)) < 1e-12 and all(dot(a, a) == pytest.approx(1.0) for a in projection.axes)
