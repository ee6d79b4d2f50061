"""Read the arguments, set the run up, claim its output files, then hand it to the right place."""

from __future__ import annotations

import argparse
import os
import sys

from ... import datasets
from ...engine.checkpoint import CheckpointError
from ...engine.config import ConfigError, ModelConfig, TrainConfig
from ...engine.params import ParamLayout
from ..training import outputs
from ..training.outputs import OutputError, claim_outputs
from ..training.settings import RunSettings, RunSpec
from .errors import UsageError, fail
from .parser import build_parser

# How the command line spells each setting that RunSettings.validate may refuse.
OPTION_FOR_SETTING = {
    "n_layer": "--n-layer",
    "n_embd": "--n-embd",
    "n_head": "--n-head",
    "block_size": "--block-size",
    "steps": "--steps",
    "learning_rate": "--lr",
    "seed": "--seed",
    "engine": "--engine",
}


def settings_from(args: argparse.Namespace) -> RunSettings:
    """The run's settings as typed, checked before any data is loaded (the model's size waits for the data)."""
    model = ModelConfig(None, n_layer=args.n_layer, n_embd=args.n_embd, n_head=args.n_head, block_size=args.block_size)
    settings = RunSettings(model, TrainConfig(steps=args.steps, learning_rate=args.lr, seed=args.seed), args.engine)
    settings.validate()
    return settings


def config_message(err: ConfigError) -> str:
    """A ConfigError in the command line's words: "--n-embd must be ..." rather than "n-embd must be ..."."""
    option = OPTION_FOR_SETTING.get(err.setting)
    return f"{option} {err.problem}" if option else str(err)


def check_options(args: argparse.Namespace) -> None:
    """What the options mean together, beyond the settings each one holds."""
    if args.data and args.dataset:
        raise UsageError("give either --data or --dataset, not both")
    if args.checkpoint_every and not args.checkpoint:
        raise UsageError("--checkpoint-every needs --checkpoint PATH to know where to save")


def options_given(argv: list[str]) -> set[str]:
    """The long options the user typed, e.g. {"--steps"} for `--steps 5` or `--steps=5`."""
    return {word.split("=", 1)[0] for word in argv if word.startswith("--")}


def checkpoint_written(args: argparse.Namespace) -> str | None:
    """Where the run may save: --checkpoint; in the app, ctrl+s also saves back to the --resume file."""
    return args.checkpoint or (None if args.headless else args.resume)


def check_room(args: argparse.Namespace, spec: RunSpec) -> None:
    """A disk too full for the run's checkpoint or log is refused now, not when the first save fails."""
    steps_to_go = spec.train.steps - (spec.resume.step if spec.resume else 0)
    needs = []
    if checkpoint_written(args):
        size = outputs.checkpoint_bytes(ParamLayout(spec.config).size, spec.train.steps)
        needs.append((checkpoint_written(args), "--checkpoint", size))
    if args.log_jsonl:
        needs.append((args.log_jsonl, "--log-jsonl", outputs.log_bytes(steps_to_go)))
    outputs.check_room(needs)


def run_command(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "sample":
            from .sample_command import run_sample

            return run_sample(args)
        if args.command == "inspect":
            from .inspect_command import run_inspect

            return run_inspect(args)
        if args.list_datasets:
            print(datasets.describe_datasets())
            return 0
        from .runs import prepare_run

        check_options(args)
        settings = settings_from(args)
        # Claimed before the data is loaded: a clash or a run already on this checkpoint is
        # reported at once, and nothing is trained that could not be saved.
        with claim_outputs(checkpoint_written(args), args.log_jsonl, data=args.data, resume=args.resume):
            spec = prepare_run(args, settings, options_given(argv))
            check_room(args, spec)
            if args.headless:
                from .headless import run_headless

                return run_headless(args, spec)
            from .launch import run_app

            return run_app(args, spec)
    except ConfigError as err:
        return fail(config_message(err))
    except (UsageError, OutputError, datasets.DatasetError, CheckpointError) as err:
        return fail(str(err))
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); stop quietly, as command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
