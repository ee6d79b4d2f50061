"""Deciding what a run is, from the command line: a new one, or one resumed from a checkpoint.

Shared by headless training and the app, so both accept the same options the same way.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from microgpt_tui import datasets
from microgpt_tui.engine import checkpoint
from microgpt_tui.engine.checkpoint import Checkpoint
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.cli import UsageError

# Options a checkpoint fixes: changing them would not continue the same run.
FIXED_BY_CHECKPOINT = ("--n-layer", "--n-embd", "--n-head", "--block-size", "--steps", "--lr", "--seed")


@dataclass(frozen=True)
class PreparedRun:
    dataset: datasets.Dataset
    config: ModelConfig
    train: TrainConfig
    engine: str
    resume: Checkpoint | None  # continue from here, or None for a new run


def prepare_run(args: argparse.Namespace, settings, given: set[str]) -> PreparedRun:
    """Load the data (and the checkpoint to resume), checking that the two belong together.

    `given` holds the options the user typed, so that a resumed run can refuse the ones
    the checkpoint already fixes instead of silently ignoring them.
    """
    if not args.resume:
        dataset = datasets.resolve_dataset(args.data, args.dataset)
        return PreparedRun(dataset, settings.model_config(len(dataset.chars) + 1), settings.train, settings.engine, None)
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
    engine = settings.engine if "--engine" in given else saved.engine
    return PreparedRun(dataset, saved.config, saved.train, engine, saved)


def make_trainer(docs, config: ModelConfig, train: TrainConfig, engine: str, resume: Checkpoint | None) -> Trainer:
    """A new trainer, or one carrying on from `resume` exactly where it was saved."""
    if resume:
        return Trainer.from_checkpoint(resume, docs, engine)
    return Trainer(docs, config, train, engine)


def _known_set(saved: Checkpoint) -> str:
    if saved.dataset_name in datasets.KNOWN_DATASETS:
        return saved.dataset_name
    raise UsageError(f"this run trained on {saved.dataset_name}; pass --data PATH to that file to resume it")


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
