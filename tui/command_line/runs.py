"""Deciding what a run is, from the command line: a new one, or one resumed from a checkpoint.

Shared by headless training and the app, so both accept the same options the same way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ... import datasets
from ...engine import checkpoint
from ...engine.checkpoint import Checkpoint
from ..training.settings import RunSettings, RunSpec
from .errors import UsageError

# Options a checkpoint fixes: changing them would not continue the same run.
FIXED_BY_CHECKPOINT = ("--n-layer", "--n-embd", "--n-head", "--block-size", "--steps", "--lr", "--seed")


def prepare_run(args: argparse.Namespace, settings: RunSettings, given: set[str]) -> RunSpec:
    """Load the data (and the checkpoint to resume), checking that the two belong together.

    `given` holds the options the user typed, so that a resumed run can refuse the ones
    the checkpoint already fixes instead of silently ignoring them.
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
    if dataset.chars != saved.chars:
        raise checkpoint.CheckpointError(
            f"checkpoint {args.resume} was trained on a vocabulary of {len(saved.chars)} characters that does not match "
            f"{dataset.name}'s {len(dataset.chars)}; resume with the data it was trained on (--data PATH)"
        )
    engine = settings.engine if "--engine" in given else None
    return _spec(args, dataset, RunSettings.of_checkpoint(saved, engine), resume=saved)


def _spec(args, dataset: datasets.Dataset, settings: RunSettings, resume: Checkpoint | None = None) -> RunSpec:
    return RunSpec(dataset, settings, start_paused=args.paused, resume=resume)


def _known_set(saved: Checkpoint) -> str:
    if saved.dataset_name in datasets.KNOWN_DATASETS:
        return saved.dataset_name
    raise UsageError(f"this run trained on {saved.dataset_name}; pass --data PATH to that file to resume it")


def check_output_paths(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output path we would have to overwrite or cannot create."""
    if args.log_jsonl:
        check_new_file(args.log_jsonl, "--log-jsonl")
    check_checkpoint_path(args.checkpoint, args.resume)


def check_new_file(path: str, option: str) -> None:
    target = Path(path)
    if target.exists():
        raise UsageError(f"{option} {path} already exists; choose a new path or remove the old file")
    if not target.parent.is_dir():
        raise UsageError(f"{option} {path}: the folder {target.parent} does not exist")


def check_checkpoint_path(path: str | None, resume: str | None) -> None:
    """--checkpoint may only overwrite the checkpoint being resumed, never any other file."""
    if not path:
        return
    target = Path(path)
    if resume and target.resolve() == Path(resume).resolve():
        return
    if target.exists():
        raise UsageError(f"--checkpoint {path} already exists; choose a new path, or --resume it to continue that run")
    if not target.parent.is_dir():
        raise UsageError(f"--checkpoint {path}: the folder {target.parent} does not exist")
