"""Adam, with the reference's linear learning-rate decay (restarted for each segment of a run).

Adam keeps two running averages per parameter: m, of the gradient (momentum), and v, of
its square (how large that parameter's gradients tend to be). Each step moves a weight by
about lr in the direction of m, scaled down where gradients have been large.

There are two spellings of the same update. adam_update writes it as the reference does;
the scalar engine uses it, so its run is the reference's to the last bit. The fast
engine's adam_update_fast computes the same thing with less work per weight, in two ways:

- g * g for g**2 and math.sqrt(v) for v**0.5. Each `**` calls the C library's pow(),
  which costs about three multiplications here.
- The bias corrections move from every weight to two numbers per step, as Kingma and Ba
  suggest in the Adam paper (section 2): with mc = 1 - beta1**t and vc = 1 - beta2**t,

      lr * (m / mc) / (sqrt(v / vc) + eps) == step_size * m / (sqrt(v) + eps_hat)

  where step_size = lr * sqrt(vc) / mc and eps_hat = eps * sqrt(vc): multiply the top
  and bottom by sqrt(vc).

The two are equal as real numbers, not as floats: they round at different places (and
glibc's pow() is not quite always correctly rounded), so the two runs' losses differ by
about 1e-15.
"""

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from math import sqrt


def learning_rate_at(base_lr: float, step: int, total_steps: int, segment_starts: Sequence[int] = (0,)) -> float:
    """Linear decay from base_lr towards 0 over each segment of the run, no warm-up.

    A segment runs from one of segment_starts to the next, the last to total_steps (see
    config.TrainConfig). With the one segment 0..total_steps this is the reference's
    base_lr * (1 - step / total_steps), to the last bit: step - 0 is step exactly.
    """
    segment = bisect_right(segment_starts, step) - 1  # the last segment starting at or before step
    start = segment_starts[segment]
    end = segment_starts[segment + 1] if segment + 1 < len(segment_starts) else total_steps
    return base_lr * (1 - (step - start) / (end - start))


@dataclass
class AdamState:
    m: list[float]
    v: list[float]

    @classmethod
    def zeros(cls, size: int) -> "AdamState":
        return cls([0.0] * size, [0.0] * size)


def adam_update(
    params: list[float],
    grads: list[float],
    state: AdamState,
    t: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> list[float]:
    """New parameters after one Adam step number t (counting from 1); updates state in place."""
    # (1 - beta) is the same float however often it is computed; computing it once, outside
    # the loops, saves a quarter of Adam's time (an int minus a float is a slow operation)
    one_minus_beta1 = 1 - beta1
    one_minus_beta2 = 1 - beta2
    state.m = [beta1 * m + one_minus_beta1 * g for m, g in zip(state.m, grads)]
    state.v = [beta2 * v + one_minus_beta2 * g**2 for v, g in zip(state.v, grads)]
    # early on m and v are biased towards their zero start; these factors undo that
    m_correction = 1 - beta1**t
    v_correction = 1 - beta2**t
    if m_correction == 1.0:
        # From t = 231 (with beta1 = 0.85), beta1**t is below half the gap between 1.0 and the
        # float under it, so the correction is exactly 1.0. Dividing by 1.0 changes no float,
        # so the same update without that division gives the same numbers, a little sooner.
        return [p - lr * m / ((v / v_correction) ** 0.5 + eps) for p, m, v in zip(params, state.m, state.v)]
    return [
        p - lr * (m / m_correction) / ((v / v_correction) ** 0.5 + eps)
        for p, m, v in zip(params, state.m, state.v)
    ]


def adam_update_fast(
    params: list[float],
    grads: list[float],
    state: AdamState,
    t: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> list[float]:
    """adam_update with fewer float operations per weight (see the module docstring)."""
    one_minus_beta1 = 1 - beta1
    one_minus_beta2 = 1 - beta2
    state.m = [beta1 * m + one_minus_beta1 * g for m, g in zip(state.m, grads)]
    state.v = [beta2 * v + one_minus_beta2 * (g * g) for v, g in zip(state.v, grads)]
    root_v_correction = sqrt(1 - beta2**t)
    step_size = lr * root_v_correction / (1 - beta1**t)
    eps_hat = eps * root_v_correction
    return [p - step_size * m / (sqrt(v) + eps_hat) for p, m, v in zip(params, state.m, state.v)]
