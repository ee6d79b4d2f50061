"""The engines that train the model, by name.

An engine is the two halves of a training step: loss_and_grads(config, weights, tokens),
which returns one document's loss and the gradient of every weight, and the Adam update
that applies them. Every engine returns the same numbers (to about 1e-15), so nothing
above this module can tell which one runs.

Given a list as a fourth argument, loss_and_grads also fills it with an
inference.Prediction per predicted position: the probability the model gave the next
token, its surprise -ln p and the model's top guesses, read off the softmax the loss was
computed from, so nothing is computed twice.
"""

from collections.abc import Callable
from dataclasses import dataclass

from . import fast, scalar
from .optim import adam_update, adam_update_fast


@dataclass(frozen=True)
class Engine:
    name: str
    loss_and_grads: Callable
    adam_update: Callable


ENGINES = {
    # the reference's own arithmetic, Value by Value: slow, and the oracle in the tests
    "scalar": Engine("scalar", scalar.loss_and_grads, adam_update),
    # the same arithmetic on whole vectors, with hand-written backward passes
    "fast": Engine("fast", fast.loss_and_grads, adam_update_fast),
}
DEFAULT_ENGINE = "fast"


class UnknownEngine(ValueError):
    pass


def get_engine(name: str) -> Engine:
    if name not in ENGINES:
        raise UnknownEngine(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}")
    return ENGINES[name]
