"""What a run is: its settings, checked once, and the documents they are trained on.

RunSettings is the one object that carries a run's model, training and engine settings,
whether they came from the command line, a checkpoint or (later) a form in the app.
Its checks are the engine's own (ModelConfig.validate, TrainConfig.validate), so there
is one set of them. To add a training option: a field on TrainConfig (engine/config.py)
with its check in TrainConfig.validate, then its flag in command_line/parser.py and
settings_from() in command_line/main.py.

RunSpec is those settings with the documents they train on, ready to hand to a trainer
in this process (--headless) or in the training process (the app).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...datasets import Dataset
from ...engine.checkpoint import Checkpoint
from ...engine.config import ConfigError, ModelConfig, TrainConfig
from ...engine.engines import DEFAULT_ENGINE, ENGINES
from ...engine.trainer import Trainer


@dataclass(frozen=True)
class RunSettings:
    model: ModelConfig  # its vocab_size is None until the data is known
    train: TrainConfig = TrainConfig()
    engine: str = DEFAULT_ENGINE

    def validate(self) -> None:
        """Raise ConfigError, naming the setting, if these settings cannot make a run."""
        self.model.validate()
        self.train.validate()
        if self.engine not in ENGINES:
            raise ConfigError("engine", f"must be one of {', '.join(ENGINES)}, got {self.engine!r}")

    def for_vocabulary(self, vocab_size: int) -> RunSettings:
        """The same settings for data of `vocab_size` tokens, checked again now the model's size is known."""
        settings = replace(self, model=replace(self.model, vocab_size=vocab_size))
        settings.validate()
        return settings

    @classmethod
    def of_checkpoint(cls, saved: Checkpoint, engine: str | None = None) -> RunSettings:
        """A saved run's settings; `engine` may differ, since every engine computes the same numbers."""
        return cls(saved.config, saved.train, engine or saved.engine)


@dataclass(frozen=True)
class RunSpec:
    """A run ready to train: its settings, its documents, and where it resumes from."""

    dataset: Dataset  # its name and sha256 are written into checkpoints
    settings: RunSettings
    start_paused: bool = False
    resume: Checkpoint | None = None  # carry on from a saved run instead of starting anew

    @property
    def docs(self) -> tuple[str, ...]:
        return self.dataset.docs

    @property
    def config(self) -> ModelConfig:
        return self.settings.model

    @property
    def train(self) -> TrainConfig:
        return self.settings.train

    @property
    def engine(self) -> str:
        return self.settings.engine

    def make_trainer(self) -> Trainer:
        """A new trainer, or one carrying on from `resume` exactly where it was saved."""
        if self.resume:
            return Trainer.from_checkpoint(self.resume, self.docs, self.engine)
        return Trainer(self.docs, self.config, self.train, self.engine)
