"""Deciding what a run is, from the command line: a new one, or one resumed from a checkpoint.

Shared by headless training and the app, so both accept the same options the same way.
"""

from __future__ import annotations

import argparse

from ... import datasets
from ...engine import checkpoint
from ...engine.checkpoint import Checkpoint
from ..training.settings import RunSettings, RunSpec
from .errors import UsageError, warn

# Options a checkpoint fixes: changing them would not continue the same run.
FIXED_BY_CHECKPOINT = ("--n-layer", "--n-embd", "--n-head", "--block-size", "--steps", "--lr", "--seed")


def prepare_run(args: argparse.Namespace, settings: RunSettings, given: set[str]) -> RunSpec:
    """Load the data (and the checkpoint to resume), checking that the two belong together.

    `given` holds the options the user typed, so that a resumed run can refuse the ones
    the checkpoint already fixes instead of silently ignoring them. Resuming on a file
    with the same characters but other contents goes on, with a warning on stderr.
    """
    if not args.resume:
        dataset = datasets.resolve_dataset(args.data, args.dataset)
        return _spec(args, dataset, settings.for_vocabulary(len(dataset.chars) + 1))
    clashing = [option for option in FIXED_BY_CHECKPOINT if option in given]
    if clashing:
        raise UsageError(f"{', '.join(clashing)} cannot change a resumed run: the checkpoint fixes the model and training settings")
    saved = checkpoint.load(args.resume)
    if args.data or args.dataset:
        dataset = datasets.resolve_dataset(args.data, args.dataset)
    else:
        dataset = datasets.resolve_dataset(name=_known_set(saved))
    different_file = checkpoint.check_data(saved, dataset.chars, dataset.sha256, args.data or dataset.name)
    if different_file:
        warn(different_file)
    engine = settings.engine if "--engine" in given else None
    return _spec(args, dataset, RunSettings.of_checkpoint(saved, engine), resume=saved)


def _spec(args, dataset: datasets.Dataset, settings: RunSettings, resume: Checkpoint | None = None) -> RunSpec:
    return RunSpec(dataset, settings, start_paused=args.paused, resume=resume)


def _known_set(saved: Checkpoint) -> str:
    if saved.dataset_name in datasets.KNOWN_DATASETS:
        return saved.dataset_name
    raise UsageError(f"this run trained on {saved.dataset_name}; pass --data PATH to that file to resume it")
