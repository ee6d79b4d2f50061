"""What the app knows about the model at one moment: a copy of the weights and their statistics.

The training process sends one of these now and then (and whenever training pauses or
steps). Panes draw from it and run their own cheap plain-float inference on its weights;
they never touch the trainer.
"""

from dataclasses import dataclass

from ...engine.config import ModelConfig
from ...engine.params import Matrix, ParamLayout
from ...engine.stats import MatrixStats, matrix_stats
from ...engine.tokenizer import Tokenizer
from ...engine.trainer import Trainer


@dataclass(frozen=True)
class ModelSnapshot:
    step: int  # steps taken when the snapshot was made
    total_steps: int
    config: ModelConfig
    tokenizer: Tokenizer
    weights: dict[str, Matrix]
    grads: dict[str, Matrix]  # the last step's gradients
    adam_m: dict[str, Matrix]
    adam_v: dict[str, Matrix]
    stats: list[MatrixStats]
    current_doc: str  # the document the next step trains on

    @property
    def done(self) -> bool:
        return self.step >= self.total_steps

    def matrix(self, name: str, kind: str = "value") -> Matrix:
        """One matrix as "value", "grad", "m" or "v"."""
        source = {"value": self.weights, "grad": self.grads, "m": self.adam_m, "v": self.adam_v}[kind]
        return source[name]


def snapshot_of(trainer: Trainer) -> ModelSnapshot:
    layout: ParamLayout = trainer.layout
    return ModelSnapshot(
        step=trainer.step_count,
        total_steps=trainer.train.steps,
        config=trainer.config,
        tokenizer=trainer.tokenizer,
        weights=layout.matrices(trainer.params),
        grads=layout.matrices(trainer.grads),
        adam_m=layout.matrices(trainer.adam.m),
        adam_v=layout.matrices(trainer.adam.v),
        stats=matrix_stats(layout, trainer.params, trainer.grads, trainer.previous_params, trainer.adam.m, trainer.adam.v),
        current_doc=trainer.next_document() if not trainer.done else trainer.train_docs[(trainer.step_count - 1) % len(trainer.train_docs)],
    )
