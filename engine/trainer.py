"""One object that owns a training run and advances it one step at a time.

The trainer holds everything a run is: the config, the parameters, Adam's moments, the
step count, the random generator and the shuffled documents. Each call to step() trains
on one document and returns a small StepRecord, with what the model predicted at each
position of the document before the update; the run keeps each step's name and
probabilities in its history. extend() adds steps to the run's learning-rate schedule.
Nothing else changes the state.
"""

import math
import random
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from . import fast
from .checkpoint import MAX_STEP_HISTORY, Checkpoint, CheckpointError, StepTrace
from .config import ModelConfig, TrainConfig
from .engines import DEFAULT_ENGINE, get_engine
from .optim import AdamState, learning_rate_at
from .params import Matrix, ParamLayout, init_params
from .tokenizer import Tokenizer

MAX_HELD_OUT = 1000


def held_out_count(n_docs: int) -> int:
    """How many documents, from the end of the shuffled list, are kept for validation.

    The reference trains on the first documents of the shuffled list, so setting the last
    ones aside changes nothing for runs shorter than what remains.
    """
    return min(MAX_HELD_OUT, n_docs // 10)


class TrainingDiverged(ArithmeticError):
    """The loss or the weights stopped being finite numbers. The trainer kept its last finite state."""

    def __init__(self, step: int, loss: float):
        self.step = step
        self.loss = loss
        what = "NaN" if math.isnan(loss) else "infinite"
        super().__init__(f"the loss became {what} at step {step}; the weights are kept as they were after step {step - 1}")


@dataclass(frozen=True)
class StepRecord:
    step: int  # steps done so far, counting this one
    loss: float  # the loss before this step's update, as the reference reports it
    lr: float  # the learning rate this step used
    seconds: float  # wall time of the step: forward, backward and Adam
    doc: str  # the document trained on
    # what the model predicted at each position of doc before the update (an
    # inference.Prediction each), read off the very softmax the loss came from
    predictions: tuple = ()


class Trainer:
    def __init__(
        self,
        docs: Sequence[str],
        config: ModelConfig,
        train: TrainConfig = TrainConfig(),
        engine: str = DEFAULT_ENGINE,
    ):
        config.validate()
        train.validate()
        self.tokenizer = Tokenizer.from_documents(docs)
        if config.vocab_size != self.tokenizer.vocab_size:
            raise ValueError(f"config.vocab_size is {config.vocab_size}, the documents need {self.tokenizer.vocab_size}")
        self.config = config
        self.train = train
        self.engine_name = engine
        self.engine = get_engine(engine)
        self.layout = ParamLayout(config)
        # The random draws happen in the reference's order: shuffle first, then weights.
        self.rng = random.Random(train.seed)
        # Shuffling positions draws the same numbers as shuffling the documents themselves,
        # and says which documents were held out without copying them (the app needs that).
        order = list(range(len(docs)))
        self.rng.shuffle(order)
        n_val = held_out_count(len(order))
        self.held_out_positions = tuple(order[len(order) - n_val :])  # positions in `docs`
        shuffled = [docs[i] for i in order]
        self.train_docs = shuffled[: len(shuffled) - n_val]
        self.val_docs = shuffled[len(shuffled) - n_val :]
        self.params = init_params(config, self.rng)
        self.adam = AdamState.zeros(self.layout.size)
        self.grads = [0.0] * self.layout.size
        self.previous_params = self.params
        self.step_count = 0
        self.losses: list[float] = []
        # The name and per-position probabilities of each of the last steps (all of them
        # but for very long runs, or a run resumed from a checkpoint saved without them).
        self.history: deque[StepTrace] = deque(maxlen=MAX_STEP_HISTORY)
        self.last_step: StepRecord | None = None  # the last step this trainer took; None if none since made or loaded

    @property
    def done(self) -> bool:
        return self.step_count >= self.train.steps

    @property
    def num_params(self) -> int:
        return self.layout.size

    def weights(self) -> dict[str, Matrix]:
        """The parameters as named matrices (a copy, cut from the flat list row by row)."""
        return self.layout.matrices(self.params)

    def next_document(self) -> str:
        return self.train_docs[self.step_count % len(self.train_docs)]

    def last_document(self) -> str | None:
        """The name the last step trained on; None before the first step."""
        if self.history:
            return self.history[-1].doc
        if not self.step_count:
            return None
        return self.train_docs[(self.step_count - 1) % len(self.train_docs)]

    def step(self) -> StepRecord:
        """Train on the next document. If the numbers blow up, raise TrainingDiverged and change nothing."""
        if self.done:
            raise RuntimeError("the run is finished; every step has been taken")
        start = time.perf_counter()
        doc = self.next_document()
        tokens = self.tokenizer.encode_document(doc)
        t = self.train
        lr = learning_rate_at(t.learning_rate, self.step_count, t.steps, t.segment_starts)
        adam_before = AdamState(self.adam.m, self.adam.v)
        predictions = []  # filled by the forward pass that computes the loss
        try:
            loss, grads = self.engine.loss_and_grads(self.config, self.weights(), tokens, predictions)
            flat_grads = self.layout.flatten(grads)
            params = self.engine.adam_update(self.params, flat_grads, self.adam, self.step_count + 1, lr, t.beta1, t.beta2, t.eps)
        except (ArithmeticError, ValueError):
            # float overflow, or log(0) when a probability underflows: the loss is infinite
            loss, params = math.inf, None
        # If any weight is inf or NaN, so is their sum; checking the sum is cheap.
        if params is None or not math.isfinite(loss) or not math.isfinite(sum(params)):
            self.adam = adam_before  # keep the last finite state whole
            raise TrainingDiverged(self.step_count + 1, loss)
        self.grads = flat_grads
        self.previous_params = self.params
        self.params = params
        self.step_count += 1
        self.losses.append(loss)
        self.history.append(StepTrace.of(doc, predictions))
        self.last_step = StepRecord(self.step_count, loss, lr, time.perf_counter() - start, doc, tuple(predictions))
        return self.last_step

    def extend(self, extra_steps: int) -> None:
        """Train `extra_steps` more: a new segment of the schedule, from the run's last step on.

        Its learning rate starts again at train.learning_rate and decays to 0 over the new
        steps. A finished run is no longer done; one still under way finishes its current
        segment first. The schedule is part of train, so a checkpoint carries it.
        """
        self.train = self.train.extended(extra_steps)

    def checkpoint(self, dataset_name: str, dataset_sha256: str) -> Checkpoint:
        """Everything needed to continue this run exactly (see engine/checkpoint.py)."""
        return Checkpoint(
            config=self.config, train=self.train, engine=self.engine_name, chars=list(self.tokenizer.chars),
            dataset_name=dataset_name, dataset_sha256=dataset_sha256, step=self.step_count,
            params=list(self.params), adam_m=list(self.adam.m), adam_v=list(self.adam.v),
            rng_state=self.rng.getstate(), losses=list(self.losses), step_history=list(self.history),
        )

    @classmethod
    def from_checkpoint(cls, saved: Checkpoint, docs: Sequence[str], engine: str | None = None) -> "Trainer":
        """Continue a saved run on `docs`, which must have the vocabulary it was trained with.

        The document order comes back from the seed (the same shuffle), the rest from the file.
        """
        data_chars = Tokenizer.from_documents(docs).chars
        if data_chars != list(saved.chars):
            raise CheckpointError(
                f"the checkpoint's vocabulary {''.join(saved.chars)!r} does not match the data's {''.join(data_chars)!r}; "
                "resume with the data it was trained on"
            )
        trainer = cls(docs, saved.config, saved.train, engine or saved.engine)
        trainer.params = list(saved.params)
        trainer.previous_params = trainer.params
        trainer.adam = AdamState(list(saved.adam_m), list(saved.adam_v))
        trainer.step_count = saved.step
        trainer.losses = list(saved.losses)
        trainer.history.extend(saved.step_history)
        trainer.rng.setstate(saved.rng_state)
        return trainer

    def validation_loss(self, limit: int | None = None) -> float | None:
        """Mean loss per predicted character over the held-out documents (no update)."""
        docs = self.val_docs[:limit] if limit else self.val_docs
        if not docs:
            return None
        weights = self.weights()
        total = count = 0
        for doc in docs:
            # whichever engine trains: inference.document_loss's floats, a whole name at a time
            loss_sum, n = fast.document_loss(self.config, weights, self.tokenizer.encode_document(doc))
            total += loss_sum
            count += n
        return total / count if count else math.nan
