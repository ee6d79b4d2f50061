"""Deciding what a run is, from the command line: a new one, or one resumed from a checkpoint.

Shared by headless training and the app, so both accept the same options the same way.
"""

from __future__ import annotations

import argparse

from ... import datasets
from ...engine import checkpoint
from ...engine.checkpoint import Checkpoint
from ..training.settings import RunSettings, RunSpec
from .errors import PROG, UsageError, note, warn

# Options a checkpoint fixes: changing them would not continue the same run. (--steps may
# grow it: more steps train it for more.)
FIXED_BY_CHECKPOINT = ("--n-layer", "--n-embd", "--n-head", "--block-size", "--lr", "--seed")


def prepare_run(args: argparse.Namespace, settings: RunSettings, given: set[str]) -> RunSpec:
    """Load the data (and the checkpoint to resume), checking that the two belong together.

    `given` holds the options the user typed, so that a resumed run can refuse the ones
    the checkpoint already fixes instead of silently ignoring them. Resuming on a file
    with the same characters but other contents goes on, with a warning on stderr.
    """
    if args.headless and "--speed" in given:
        raise UsageError("--speed sets the app's pace; --headless always trains as fast as it can, so leave --speed out")
    if not args.resume:
        dataset = datasets.resolve_dataset(args.data, args.dataset)
        return _spec(args, dataset, settings.for_vocabulary(len(dataset.chars) + 1))
    clashing = [option for option in FIXED_BY_CHECKPOINT if option in given]
    if clashing:
        raise UsageError(f"{', '.join(clashing)} cannot change a resumed run: the checkpoint fixes the model and training settings")
    saved = checkpoint.load(args.resume)
    if "--steps" in given:
        saved = _with_steps(saved, args.steps, args.resume)
    if args.data or args.dataset:
        dataset = datasets.resolve_dataset(args.data, args.dataset)
    else:
        dataset = datasets.resolve_dataset(name=_known_set(saved))
    different_file = checkpoint.check_data(saved, dataset.chars, dataset.sha256, args.data or dataset.name)
    if different_file:
        warn(different_file)
    engine = settings.engine if "--engine" in given else None
    return _spec(args, dataset, RunSettings.of_checkpoint(saved, engine), resume=saved)


def _with_steps(saved: Checkpoint, steps: int, path: str) -> Checkpoint:
    """`--resume PATH --steps N`: N beyond the run's steps trains it for more, as a new segment of its schedule."""
    total, taken = saved.train.steps, saved.step
    if steps < total and taken < total:
        raise UsageError(f"--steps {steps} would cut short the run's {total} steps ({path} is at step {taken}); "
                         f"leave --steps out to finish them, or give more than {total} to train more")
    if steps <= taken:
        raise UsageError(f"--steps {steps} would train nothing more: {path} has taken all its {total} steps; "
                         f"give more than {total} to train more")
    if steps == total:
        return saved  # its own total: finish it
    note(f"{PROG}: training more: the run in {path} is extended from {total} to {steps} steps, with a new "
         f"learning-rate decay from its --lr {saved.train.learning_rate} over steps {total + 1}..{steps}")
    return checkpoint.with_training(saved, saved.train.extended(steps - total))


def _spec(args, dataset: datasets.Dataset, settings: RunSettings, resume: Checkpoint | None = None) -> RunSpec:
    return RunSpec(dataset, settings, start_paused=args.paused, resume=resume)


def _known_set(saved: Checkpoint) -> str:
    if saved.dataset_name in datasets.KNOWN_DATASETS:
        return saved.dataset_name
    raise UsageError(f"this run trained on {saved.dataset_name}; pass --data PATH to that file to resume it")
