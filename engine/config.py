"""The model's shape and the training run's settings, with the reference's defaults."""

from dataclasses import dataclass


class ConfigError(ValueError):
    """A setting that cannot work; the message is one line, meant for the user."""


# Past about a million weights a pure-Python step takes most of a second and the run holds
# half a gigabyte (every weight is a Python float, kept with its gradient and Adam's m and v).
# A model far past that would sit silently filling memory before its first step.
MAX_PARAMS = 1_000_000


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int
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
        for name in ("vocab_size", "n_layer", "n_embd", "n_head", "block_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{name.replace('_', '-')} must be a positive whole number, got {value}")
        if self.n_embd % self.n_head:
            raise ConfigError(
                f"n-embd ({self.n_embd}) must be divisible by n-head ({self.n_head}): "
                "each head gets an equal slice of the embedding"
            )
        if self.block_size < 2:
            raise ConfigError(f"block-size must be at least 2, got {self.block_size}")
        if not self.init_std > 0:
            raise ConfigError(f"init-std must be positive, got {self.init_std}")
        if self.num_params > MAX_PARAMS:
            smaller = "a smaller n-embd, n-layer or block-size"
            if 2 * self.vocab_size * self.n_embd > MAX_PARAMS // 2:  # the embeddings are most of it
                smaller += f", or data with fewer distinct characters (it has {self.vocab_size - 1:,})"
            raise ConfigError(
                f"that model would have {self.num_params:,} parameters, more than the {MAX_PARAMS:,} "
                f"pure Python trains in reasonable time; use {smaller}"
            )


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000
    learning_rate: float = 0.01
    beta1: float = 0.85
    beta2: float = 0.99
    eps: float = 1e-8
    seed: int = 42

    def validate(self) -> None:
        if not isinstance(self.steps, int) or self.steps <= 0:
            raise ConfigError(f"steps must be a positive whole number, got {self.steps}")
        if not self.learning_rate > 0:  # also rejects NaN
            raise ConfigError(f"lr must be greater than 0, got {self.learning_rate}")
        if self.learning_rate == float("inf"):
            raise ConfigError("lr must be a finite number")
