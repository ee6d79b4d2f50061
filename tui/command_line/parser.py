"""The `microgpt-tui` command line: one parser for the app and for --headless training."""

import argparse
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from microgpt_tui.engine.config import MAX_PARAMS, ModelConfig, TrainConfig
from microgpt_tui.engine.engines import DEFAULT_ENGINE, ENGINES

PROG = "microgpt-tui"

DESCRIPTION = """\
A terminal playground for learning how a GPT works. It trains microgpt, a 4,192-parameter
character-level GPT written in pure Python, on 32,033 names, and lets you watch it learn.

With no options it opens the app and trains on the names set (downloaded once, on first use).
With --headless it trains in the terminal and prints the reference's output instead."""

EPILOG = """\
examples:
  microgpt-tui                                  open the app and start training
  microgpt-tui --headless                       train 1000 steps, print the loss and 20 names
  microgpt-tui --headless --data cities.txt     train on your own file, one document per line
  microgpt-tui --headless --steps 200 --log-jsonl run.jsonl
  microgpt-tui --list-datasets                  show the known data sets and what is cached
  microgpt-tui --headless --checkpoint run.json train, saving the run at the end (and on Ctrl+C)
  microgpt-tui --resume run.json                open the app on a saved run and carry on
  microgpt-tui sample --checkpoint run.json --prefix ka   names from a saved model

exit status: 0 done, 2 bad input (one line on stderr says what to fix), 3 the loss blew up
(NaN or infinite; try a lower --lr), 130 interrupted (Ctrl+C)"""


class UsageError(Exception):
    """Bad input from the user; the message is one line saying what is wrong and what to do."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake prints one line instead of the whole usage text."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(kind, text):
    try:
        return kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"takes {noun}, got {text!r}") from None


def whole_number(text):
    return _number(int, text)


def positive_int(text):
    value = _number(int, text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def count(text):
    value = _number(int, text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def block_size(text):
    value = _number(int, text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2 (BOS and one character), got {value}")
    return value


def learning_rate(text):
    value = _number(float, text)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text}")
    return value


def temperature(text):
    value = _number(float, text)
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be 0 (greedy) or more, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_argument_group("what to run")
    mode.add_argument("--headless", action="store_true", help="train in the terminal, without the app")
    mode.add_argument("--paused", action="store_true", help="open the app with training paused")
    mode.add_argument("--engine", choices=list(ENGINES), default=DEFAULT_ENGINE,
                      help="how gradients are computed: fast, a whole matrix at a time with hand-written backward passes, "
                           "or scalar, Value autograd as the reference does it (the same numbers, about 70 times slower) "
                           f"(default: {DEFAULT_ENGINE})")

    data = parser.add_argument_group("data")
    data.add_argument("--data", metavar="PATH", help="train on a UTF-8 text file of your own, one document per line")
    data.add_argument("--dataset", metavar="NAME", help="train on a known data set (default: names)")
    data.add_argument("--list-datasets", action="store_true", help="list the known data sets and whether each is cached, then exit")

    model = parser.add_argument_group(f"model (defaults are the reference's; at most {MAX_PARAMS:,} parameters)")
    model.add_argument("--n-layer", type=positive_int, default=1, metavar="N", help="transformer layers (default: 1)")
    model.add_argument("--n-embd", type=positive_int, default=16, metavar="N", help="embedding width (default: 16)")
    model.add_argument("--n-head", type=positive_int, default=4, metavar="N", help="attention heads; must divide --n-embd (default: 4)")
    model.add_argument("--block-size", type=block_size, default=16, metavar="N", help="context length in tokens, at least 2 (default: 16)")

    train = parser.add_argument_group("training")
    train.add_argument("--steps", type=positive_int, default=1000, metavar="N", help="training steps, one document each (default: 1000)")
    train.add_argument("--lr", type=learning_rate, default=0.01, metavar="LR", help="Adam's learning rate, decayed linearly to 0 (default: 0.01)")
    train.add_argument("--seed", type=whole_number, default=42, metavar="N", help="random seed for shuffling, init and sampling (default: 42)")
    train.add_argument("--log-jsonl", metavar="PATH", help="write one JSON object per step (step, loss, lr, seconds) to a new file")

    saving = parser.add_argument_group("checkpoints")
    saving.add_argument("--checkpoint", metavar="PATH", help="save the run to this JSON file at the end (and on Ctrl+C, or when it blows up); in the app, ctrl+s saves here")
    saving.add_argument("--checkpoint-every", type=positive_int, metavar="N", help="also save every N steps (needs --checkpoint)")
    saving.add_argument("--resume", metavar="PATH", help="continue a saved run exactly where it stopped (its model and training settings come from the file)")

    sampling = parser.add_argument_group("sampling")
    sampling.add_argument("--temperature", type=temperature, default=0.5, metavar="T", help="0 is greedy, 1 is the model's own distribution (default: 0.5)")
    sampling.add_argument("--num-samples", type=count, default=20, metavar="N", help="names to make up after training: printed headless, shown in the app's Sample pane (default: 20)")

    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sample = commands.add_parser(
        "sample", help="print names from a saved model, without training (see: microgpt-tui sample --help)",
        description="Print names made up by a saved model, without training it.",
        epilog="example:\n  microgpt-tui sample --checkpoint run.json --prefix ka -n 5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sample.add_argument("--checkpoint", required=True, metavar="PATH", help="the checkpoint to sample from")
    sample.add_argument("--prefix", default="", help="every name starts with these characters (default: none)")
    sample.add_argument("-n", "--num-samples", type=count, default=10, metavar="N", help="how many names (default: 10)")
    sample.add_argument("--temperature", type=temperature, default=0.5, metavar="T", help="0 is greedy, 1 is the model's own distribution (default: 0.5)")
    sample.add_argument("--seed", type=whole_number, metavar="N",
                        help="random seed (default: continue the saved run's generator, so a finished run's checkpoint gives the names its run printed)")
    return parser


@dataclass(frozen=True)
class RunSettings:
    """What a run needs beyond the data, taken from the command line."""

    n_layer: int
    n_embd: int
    n_head: int
    block_size: int
    train: TrainConfig
    engine: str

    def model_config(self, vocab_size: int) -> ModelConfig:
        config = ModelConfig(vocab_size, self.n_layer, self.n_embd, self.n_head, self.block_size)
        config.validate()
        return config


def settings_from(args: argparse.Namespace) -> RunSettings:
    if args.n_embd % args.n_head:
        raise UsageError(f"--n-embd ({args.n_embd}) must be divisible by --n-head ({args.n_head}), so every head gets an equal slice")
    if args.data and args.dataset:
        raise UsageError("give either --data or --dataset, not both")
    if args.log_jsonl:
        check_new_file(args.log_jsonl, "--log-jsonl")
    if args.checkpoint_every and not args.checkpoint:
        raise UsageError("--checkpoint-every needs --checkpoint PATH to know where to save")
    train = TrainConfig(steps=args.steps, learning_rate=args.lr, seed=args.seed)
    return RunSettings(args.n_layer, args.n_embd, args.n_head, args.block_size, train, args.engine)


def check_new_file(path: str, option: str) -> None:
    """Refuse early a path we would have to overwrite, or one we cannot create."""
    target = Path(path)
    if target.exists():
        raise UsageError(f"{option} {path} already exists; choose a new path or remove the old file")
    if not target.parent.is_dir():
        raise UsageError(f"{option} {path}: the folder {target.parent} does not exist")


def fail(message: str, status: int = 2) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return status


def options_given(argv: list[str]) -> set[str]:
    """The long options the user typed, e.g. {"--steps"} for `--steps 5` or `--steps=5`."""
    return {word.split("=", 1)[0] for word in argv if word.startswith("--")}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    from microgpt_tui import datasets
    from microgpt_tui.engine.checkpoint import CheckpointError
    from microgpt_tui.engine.config import ConfigError

    try:
        if args.command == "sample":
            from microgpt_tui.tui.sample_command import run_sample

            return run_sample(args)
        if args.list_datasets:
            print(datasets.describe_datasets())
            return 0
        settings = settings_from(args)
        from microgpt_tui.tui.runs import check_checkpoint_path, prepare_run

        check_checkpoint_path(args.checkpoint, args.resume)
        run = prepare_run(args, settings, options_given(argv))
        if args.headless:
            from microgpt_tui.tui.headless import run_headless

            return run_headless(args, run)
        from microgpt_tui.tui.launch import run_app

        return run_app(args, run)
    except (UsageError, ConfigError, datasets.DatasetError, CheckpointError) as err:
        return fail(str(err))
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); stop quietly, as command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
