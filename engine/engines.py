"""The engines that compute one step's loss and gradients, by name.

Every engine has the same signature, loss_and_grads(config, weights, tokens), and returns
the same numbers, so nothing above this module can tell which one runs.
"""

from microgpt_tui.engine import fast, scalar

ENGINES = {
    "scalar": scalar.loss_and_grads,
    "fast": fast.loss_and_grads,
}
DEFAULT_ENGINE = "fast"


class UnknownEngine(ValueError):
    pass


def get_engine(name: str):
    if name not in ENGINES:
        raise UnknownEngine(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}")
    return ENGINES[name]
