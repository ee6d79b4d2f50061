"""A snapshot travels from the training process several times a second, and the app keeps
one per remembered run: its numbers must be stored compactly, not as a Python object each."""

import pickle
import sys
import tracemalloc

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.training.snapshot import KINDS, snapshot_of

NAMES = "emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily".split()


def test_an_unpickled_snapshot_takes_less_memory_than_its_numbers_as_python_floats():
    trainer = Trainer(NAMES, ModelConfig(vocab_size=Tokenizer.from_documents(NAMES).vocab_size), TrainConfig(steps=3))
    trainer.step()
    sent = pickle.dumps(snapshot_of(trainer))
    numbers = len(KINDS) * trainer.config.num_params
    tracemalloc.start()
    try:
        received = pickle.loads(sent)
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert used < numbers * sys.getsizeof(1.0)
    # and they are the trainer's own numbers, every one
    assert trainer.layout.flatten(received.weights) == trainer.params
