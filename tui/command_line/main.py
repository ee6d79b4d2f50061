"""`microgpt-tui`: read the arguments, set the run up, then hand it to the right place.

    parser.py          the options and their help
    ../training/settings.py  RunSettings: the run's settings, built here once and checked once
    runs.py            the data (and a checkpoint to resume), joined to the settings: a RunSpec
    headless.py        --headless: train in the terminal, print the reference's output
    launch.py          open the Textual app on the run
    sample_command.py  `microgpt-tui sample`: names from a saved model
    errors.py          one line on stderr, and the exit statuses
"""

import argparse
import os
import sys

from ... import datasets
from ...engine.checkpoint import CheckpointError
from ...engine.config import ConfigError, ModelConfig, TrainConfig
from ..training.settings import RunSettings
from .errors import EXIT_INTERRUPTED, PROG, UsageError, fail
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        if args.command == "sample":
            from .sample_command import run_sample

            return run_sample(args)
        if args.list_datasets:
            print(datasets.describe_datasets())
            return 0
        from .runs import check_output_paths, prepare_run

        check_options(args)
        given = options_given(argv)
        settings = settings_from(args)
        check_output_paths(args)
        spec = prepare_run(args, settings, given)
        if args.headless:
            from .headless import run_headless

            return run_headless(args, spec)
        from .launch import run_app

        return run_app(args, spec)
    except ConfigError as err:
        return fail(config_message(err))
    except (UsageError, datasets.DatasetError, CheckpointError) as err:
        return fail(str(err))
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); stop quietly, as command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
