"""Is backprop's gradient right? Ask the loss itself, by nudging one weight.

The gradient of the loss for a weight w is how fast the loss changes as w changes. The
central finite difference measures that directly: D(h) = (loss(w + h) - loss(w - h)) / 2h,
with the loss from the plain forward pass and no backward pass at all. If it agrees with
the engine's gradient, backprop computed that weight's gradient right.

D(h) is off from the true slope by about c·h² (the curve is not a straight line), and its
two losses carry rounding errors of about 1e-16 of the loss, which dividing by 2h makes
larger the smaller h is. So h cannot be very small. Instead the check also takes D(h/2),
off by about c·h²/4, and combines the two as (4·D(h/2) - D(h)) / 3, where the h² errors
cancel (Richardson extrapolation). That keeps h at 1e-4, where rounding costs about 1e-11,
and small enough that the nudge rarely carries a ReLU unit across its kink at 0.
"""

from dataclasses import dataclass

from .config import ModelConfig
from .engines import get_engine
from .inference import document_loss
from .params import Matrix


@dataclass(frozen=True)
class GradientCheck:
    name: str  # the matrix, e.g. "layer0.attn_wq"
    row: int
    col: int
    weight: float  # its value
    h: float  # the nudge: the loss was computed at w ± h and w ± h/2
    central: float  # D(h) = (loss(w + h) - loss(w - h)) / 2h, the plain central difference
    numerical: float  # (4·D(h/2) - D(h)) / 3: the central differences with their h² error cancelled
    engine: float  # the engine's gradient for this weight
    relative_error: float  # |numerical - engine| / the larger of the two; 0 if both are 0


def nudge_for(weight: float) -> float:
    """h for a weight, scaled to the weight's size (weights are mostly well below 1)."""
    return 1e-4 * max(1.0, abs(weight))


def mean_loss(config: ModelConfig, weights: dict[str, Matrix], tokens: list[int]) -> float:
    total, n = document_loss(config, weights, tokens)
    return total / n


def central_difference(
    config: ModelConfig, weights: dict[str, Matrix], tokens: list[int], name: str, row: int, col: int, h: float
) -> float:
    """(loss(w + h) - loss(w - h)) / 2h for the weight at name[row][col]; it is put back after."""
    weight = weights[name][row][col]
    weights[name][row][col] = weight + h
    above = mean_loss(config, weights, tokens)
    weights[name][row][col] = weight - h
    below = mean_loss(config, weights, tokens)
    weights[name][row][col] = weight
    return (above - below) / (2 * h)


def relative_error(a: float, b: float) -> float:
    larger = max(abs(a), abs(b))
    return abs(a - b) / larger if larger > 0 else 0.0


def check_gradients(
    config: ModelConfig, weights: dict[str, Matrix], tokens: list[int], places: list[tuple[str, int, int]],
    engine: str = "fast",
) -> list[GradientCheck]:
    """For each (matrix name, row, col), the loss's gradient for that weight on the document
    `tokens` by central differences, beside the engine's. `weights` is never changed: the
    nudges are made on a copy."""
    _, grads = get_engine(engine).loss_and_grads(config, weights, tokens)
    nudged = {name: [list(row) for row in matrix] for name, matrix in weights.items()}
    checks = []
    for name, row, col in places:
        weight = weights[name][row][col]
        h = nudge_for(weight)
        central = central_difference(config, nudged, tokens, name, row, col, h)
        numerical = (4 * central_difference(config, nudged, tokens, name, row, col, h / 2) - central) / 3
        from_engine = grads[name][row][col]
        checks.append(GradientCheck(name, row, col, weight, h, central, numerical, from_engine,
                                    relative_error(numerical, from_engine)))
    return checks


def check_gradient(
    config: ModelConfig, weights: dict[str, Matrix], tokens: list[int], name: str, row: int, col: int,
    engine: str = "fast",
) -> GradientCheck:
    """check_gradients for one weight."""
    return check_gradients(config, weights, tokens, [(name, row, col)], engine)[0]
