"""The model's shape and the training run's settings, with the reference's defaults."""

import math
from dataclasses import dataclass, replace


class ConfigError(ValueError):
    """A setting that cannot work; the message is one line, meant for the user.

    `setting` is the field it is about ("n_embd", "learning_rate"; "" for the model as a
    whole), so the command line or a form can name it the way the user typed it.
    """

    def __init__(self, setting: str, problem: str):
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting.replace('_', '-')} {problem}" if setting else problem)


# Past about a million weights a pure-Python step takes most of a second and the run holds
# half a gigabyte (every weight is a Python float, kept with its gradient and Adam's m and v).
# A model far past that would sit silently filling memory before its first step.
MAX_PARAMS = 1_000_000


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int | None  # None until the data is known: the characters it holds, plus BOS
    n_layer: int = 1
    n_embd: int = 16
    n_head: int = 4
    block_size: int = 16  # the longest context the model sees: positions 0..block_size-1
    init_std: float = 0.08

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def mlp_width(self) -> int:
        return 4 * self.n_embd

    @property
    def num_params(self) -> int:
        """How many weights the model has (params.ParamLayout lays them out)."""
        d = self.n_embd
        # wte and lm_head, wpe, then per layer attention's four d×d and the MLP's two d×4d
        return 2 * self.vocab_size * d + self.block_size * d + self.n_layer * (4 * d * d + 2 * d * self.mlp_width)

    def validate(self) -> None:
        """The one set of checks on a model's shape, wherever the settings came from.

        With vocab_size None (the data not loaded yet) the checks that need it wait.
        """
        for name in ("n_layer", "n_embd", "n_head", "block_size"):
            _check_positive_whole(name, getattr(self, name))
        if self.n_embd % self.n_head:
            raise ConfigError("n_embd", f"({self.n_embd}) must be divisible by the number of heads ({self.n_head}): "
                                        "each head gets an equal slice of the embedding")
        if self.block_size < 2:
            raise ConfigError("block_size", f"must be at least 2 (BOS and one character), got {self.block_size}")
        if not self.init_std > 0:
            raise ConfigError("init_std", f"must be positive, got {self.init_std}")
        if self.vocab_size is None:
            return
        _check_positive_whole("vocab_size", self.vocab_size)
        if self.num_params > MAX_PARAMS:
            smaller = "a smaller n-embd, n-layer or block-size"
            if 2 * self.vocab_size * self.n_embd > MAX_PARAMS // 2:  # the embeddings are most of it
                smaller += f", or data with fewer distinct characters (it has {self.vocab_size - 1:,})"
            raise ConfigError(
                "", f"that model would have {self.num_params:,} parameters, more than the {MAX_PARAMS:,} "
                f"pure Python trains in reasonable time; use {smaller}"
            )


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_positive_whole(name: str, value) -> None:
    if not _is_whole(value) or value <= 0:
        raise ConfigError(name, f"must be a positive whole number, got {value!r}")


@dataclass(frozen=True)
class TrainConfig:
    """How a run trains. Its learning-rate schedule is a list of segments.

    Over each segment the learning rate decays linearly from learning_rate towards 0, as
    the reference's one decay does. A run starts with one segment, steps 0..steps.
    Training more adds a segment from the old last step to the new one (extended()), so
    a 20-step run extended by 10 has the segments 0..20 and 20..30. segment_starts holds
    where each segment begins; each one ends where the next begins, the last at `steps`.
    """

    steps: int = 1000  # the run's total, over all its segments
    learning_rate: float = 0.01
    beta1: float = 0.85
    beta2: float = 0.99
    eps: float = 1e-8
    seed: int = 42
    segment_starts: tuple[int, ...] = (0,)

    @property
    def segments(self) -> list[tuple[int, int]]:
        """(start, end) of each segment, in steps: [(0, 20), (20, 30)] for the run above."""
        return list(zip(self.segment_starts, self.segment_starts[1:] + (self.steps,)))

    def extended(self, extra_steps: int) -> "TrainConfig":
        """The same settings with `extra_steps` more steps, as a new segment after the last."""
        _check_positive_whole("extra_steps", extra_steps)
        return replace(self, steps=self.steps + extra_steps, segment_starts=self.segment_starts + (self.steps,))

    def validate(self) -> None:
        """The one set of checks on a run's training settings."""
        _check_positive_whole("steps", self.steps)
        for name in ("learning_rate", "beta1", "beta2", "eps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(name, f"must be a number, got {value!r}")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):  # also refuses NaN
            raise ConfigError("learning_rate", f"must be a finite number greater than 0, got {self.learning_rate}")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(name, f"must be at least 0 and below 1, got {getattr(self, name)}")
        if not (self.eps > 0 and math.isfinite(self.eps)):
            raise ConfigError("eps", f"must be a finite number greater than 0, got {self.eps}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError("seed", f"must be a whole number, got {self.seed!r}")
        starts = self.segment_starts
        if not (isinstance(starts, tuple) and starts and all(_is_whole(s) for s in starts)):
            raise ConfigError("segment_starts", f"must be a tuple of whole numbers, got {starts!r}")
        if starts[0] != 0 or any(a >= b for a, b in zip(starts, starts[1:])) or starts[-1] >= self.steps:
            raise ConfigError("segment_starts", f"must start at 0 and rise, each below steps ({self.steps}), got {list(starts)}")
