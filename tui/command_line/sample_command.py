"""`microgpt-tui sample`: names from a saved model, without training."""

import argparse
import random

from ...datasets import printable
from ...engine import checkpoint
from ...engine.params import ParamLayout
from ...engine.sampling import check_prefix, generate
from ...engine.tokenizer import Tokenizer
from .errors import UsageError


def run_sample(args: argparse.Namespace) -> int:
    saved = checkpoint.load(args.checkpoint)
    tokenizer = Tokenizer(saved.chars)
    problem = check_prefix(saved.config, tokenizer, args.prefix)
    if problem:
        raise UsageError(f"--prefix {args.prefix!r}: {problem}")
    rng = random.Random(args.seed)
    if args.seed is None:
        rng.setstate(saved.rng_state)  # the saved run's own generator, where its run left it
    weights = ParamLayout(saved.config).matrices(saved.params)
    for _ in range(args.num_samples):
        name = generate(saved.config, weights, tokenizer, rng, args.temperature, args.prefix)
        print(printable(name))  # a name is made of the data's characters, which may be control characters
    return 0
