"""One object that owns a training run and advances it one step at a time.

The trainer holds everything a run is: the config, the parameters, Adam's moments, the
step count, the random generator and the shuffled documents. Each call to step() trains
on one document and returns a small StepRecord; nothing else changes the state.
"""

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.engines import DEFAULT_ENGINE, get_engine
from microgpt_tui.engine.inference import document_loss
from microgpt_tui.engine.optim import AdamState, adam_update, learning_rate_at
from microgpt_tui.engine.params import Matrix, ParamLayout, init_params
from microgpt_tui.engine.tokenizer import Tokenizer

MAX_HELD_OUT = 1000


def held_out_count(n_docs: int) -> int:
    """How many documents, from the end of the shuffled list, are kept for validation.

    The reference trains on the first documents of the shuffled list, so setting the last
    ones aside changes nothing for runs shorter than what remains.
    """
    return min(MAX_HELD_OUT, n_docs // 10)


@dataclass(frozen=True)
class StepRecord:
    step: int  # steps done so far, counting this one
    loss: float  # the loss before this step's update, as the reference reports it
    lr: float  # the learning rate this step used
    seconds: float  # wall time of the step: forward, backward and Adam
    doc: str  # the document trained on


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
        self._loss_and_grads = get_engine(engine)
        self.layout = ParamLayout(config)
        # The random draws happen in the reference's order: shuffle first, then weights.
        self.rng = random.Random(train.seed)
        shuffled = list(docs)
        self.rng.shuffle(shuffled)
        n_val = held_out_count(len(shuffled))
        self.train_docs = shuffled[: len(shuffled) - n_val]
        self.val_docs = shuffled[len(shuffled) - n_val :]
        self.params = init_params(config, self.rng)
        self.adam = AdamState.zeros(self.layout.size)
        self.grads = [0.0] * self.layout.size
        self.previous_params = self.params
        self.step_count = 0
        self.losses: list[float] = []

    @property
    def done(self) -> bool:
        return self.step_count >= self.train.steps

    @property
    def num_params(self) -> int:
        return self.layout.size

    def weights(self) -> dict[str, Matrix]:
        """The parameters as named matrices (a copy, cut from the flat list row by row)."""
        flat = self.params
        return {
            spec.name: [flat[start : start + spec.cols] for start in range(spec.offset, spec.offset + spec.size, spec.cols)]
            for spec in self.layout.specs
        }

    def next_document(self) -> str:
        return self.train_docs[self.step_count % len(self.train_docs)]

    def step(self) -> StepRecord:
        if self.done:
            raise RuntimeError("the run is finished; every step has been taken")
        start = time.perf_counter()
        doc = self.next_document()
        tokens = self.tokenizer.encode_document(doc)
        loss, grads = self._loss_and_grads(self.config, self.weights(), tokens)
        lr = learning_rate_at(self.train.learning_rate, self.step_count, self.train.steps)
        self.grads = self.layout.flatten(grads)
        self.previous_params = self.params
        t = self.train
        self.params = adam_update(self.params, self.grads, self.adam, self.step_count + 1, lr, t.beta1, t.beta2, t.eps)
        self.step_count += 1
        self.losses.append(loss)
        return StepRecord(self.step_count, loss, lr, time.perf_counter() - start, doc)

    def validation_loss(self, limit: int | None = None) -> float | None:
        """Mean loss per predicted character over the held-out documents (no update)."""
        docs = self.val_docs[:limit] if limit else self.val_docs
        if not docs:
            return None
        weights = self.weights()
        total = count = 0
        for doc in docs:
            loss_sum, n = document_loss(self.config, weights, self.tokenizer.encode_document(doc))
            total += loss_sum
            count += n
        return total / count if count else math.nan
