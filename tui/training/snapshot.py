"""What the app knows about the model at one moment: a copy of the weights and their statistics.

The training process sends one of these now and then (and whenever training pauses or
steps). Panes draw from it and run their own cheap plain-float inference on its weights;
they never touch the trainer.

A snapshot describes the last step taken, step `step`: the weights after it, the name it
trained on, its gradient and the update it made. Every pane names that step, so they all
tell of the same one.
"""

from array import array
from dataclasses import dataclass

from ...engine.config import ModelConfig
from ...engine.params import Matrix, ParamLayout
from ...engine.stats import MatrixStats, matrix_stats
from ...engine.tokenizer import Tokenizer
from ...engine.trainer import Trainer

KINDS = ("value", "grad", "update", "m", "v")  # what matrix() can give


@dataclass(frozen=True)
class ModelSnapshot:
    step: int  # steps taken when the snapshot was made: the last one is step `step`
    total_steps: int
    config: ModelConfig
    tokenizer: Tokenizer
    weights: dict[str, Matrix]  # after step `step`
    grads: dict[str, Matrix]  # the gradient of step `step`'s loss
    updates: dict[str, Matrix]  # what step `step` changed: weights after it minus weights before
    adam_m: dict[str, Matrix]
    adam_v: dict[str, Matrix]
    stats: list[MatrixStats]
    trained_on: str | None  # the name step `step` trained on; None before the first step
    next_doc: str | None  # the name the next step will train on; None when the run is done
    # False before the first step, and for a run just loaded from a checkpoint (which keeps
    # no gradient): grads and updates are then zeros, not those of step `step`
    step_known: bool = True

    @property
    def done(self) -> bool:
        return self.step >= self.total_steps

    def matrix(self, name: str, kind: str = "value") -> Matrix:
        """One matrix as "value", "grad", "update", "m" or "v"."""
        source = {"value": self.weights, "grad": self.grads, "update": self.updates, "m": self.adam_m, "v": self.adam_v}[kind]
        return source[name]


def compact_matrices(layout: ParamLayout, flat: list[float]) -> dict[str, Matrix]:
    """The flat list cut into named matrices whose rows are arrays of doubles.

    A row reads like a list of floats (the same values, indexing, iteration, len), but is
    one block of memory instead of a Python object per number: a snapshot pickles, travels
    and unpickles several times a second, and the app keeps one per run it remembers.
    """
    return {name: [array("d", row) for row in rows] for name, rows in layout.matrices(flat).items()}


def snapshot_of(trainer: Trainer) -> ModelSnapshot:
    layout: ParamLayout = trainer.layout
    updates = [after - before for after, before in zip(trainer.params, trainer.previous_params)]
    return ModelSnapshot(
        step=trainer.step_count,
        total_steps=trainer.train.steps,
        config=trainer.config,
        tokenizer=trainer.tokenizer,
        weights=compact_matrices(layout, trainer.params),
        grads=compact_matrices(layout, trainer.grads),
        updates=compact_matrices(layout, updates),
        adam_m=compact_matrices(layout, trainer.adam.m),
        adam_v=compact_matrices(layout, trainer.adam.v),
        stats=matrix_stats(layout, trainer.params, trainer.grads, trainer.previous_params, trainer.adam.m, trainer.adam.v),
        trained_on=trainer.last_document(),
        next_doc=None if trainer.done else trainer.next_document(),
        step_known=trainer.last_step is not None and trainer.last_step.step == trainer.step_count,
    )
