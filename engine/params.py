"""Where every weight lives, and how the reference fills them at the start.

All parameters sit in one flat list of floats (Adam updates them in a single pass), and a
ParamLayout says which slice of that list is which matrix. Each matrix is stored
row-major as [out][in], so a linear layer computes y[o] = sum_i W[o][i] * x[i].
"""

import random
from dataclasses import dataclass

from .config import ModelConfig

Matrix = list[list[float]]


@dataclass(frozen=True)
class MatrixSpec:
    name: str
    rows: int
    cols: int
    offset: int  # index of W[0][0] in the flat list

    @property
    def size(self) -> int:
        return self.rows * self.cols

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)


def matrix_shapes(config: ModelConfig) -> list[tuple[str, int, int]]:
    """(name, rows, cols) of every matrix, in the order the reference initialises them."""
    d, mlp = config.n_embd, config.mlp_width
    shapes = [
        ("wte", config.vocab_size, d),  # token embeddings: one row per token
        ("wpe", config.block_size, d),  # position embeddings: one row per position
        ("lm_head", config.vocab_size, d),  # turns the final vector into one logit per token
    ]
    for layer in range(config.n_layer):
        shapes += [
            (f"layer{layer}.attn_wq", d, d),
            (f"layer{layer}.attn_wk", d, d),
            (f"layer{layer}.attn_wv", d, d),
            (f"layer{layer}.attn_wo", d, d),
            (f"layer{layer}.mlp_fc1", mlp, d),
            (f"layer{layer}.mlp_fc2", d, mlp),
        ]
    return shapes


class ParamLayout:
    def __init__(self, config: ModelConfig):
        self.specs: list[MatrixSpec] = []
        offset = 0
        for name, rows, cols in matrix_shapes(config):
            self.specs.append(MatrixSpec(name, rows, cols, offset))
            offset += rows * cols
        self.size = offset
        self.by_name = {spec.name: spec for spec in self.specs}

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.specs]

    def matrix(self, flat: list[float], name: str) -> Matrix:
        spec = self.by_name[name]
        cols = spec.cols
        return [flat[start : start + cols] for start in range(spec.offset, spec.offset + spec.size, cols)]

    def matrices(self, flat: list[float]) -> dict[str, Matrix]:
        """A copy of the flat list, cut into named matrices."""
        return {spec.name: self.matrix(flat, spec.name) for spec in self.specs}

    def flatten(self, matrices: dict[str, Matrix]) -> list[float]:
        flat: list[float] = []
        for spec in self.specs:
            for row in matrices[spec.name]:
                flat.extend(row)
        return flat


def init_params(config: ModelConfig, rng: random.Random) -> list[float]:
    """Every weight drawn from Normal(0, init_std), matrix by matrix, row by row.

    The order of the draws matters: it is what makes a seed reproduce the reference.
    """
    count = ParamLayout(config).size
    return [rng.gauss(0, config.init_std) for _ in range(count)]
