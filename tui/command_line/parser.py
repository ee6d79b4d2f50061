"""The `microgpt-tui` argument parser: one parser for the app, --headless training, `sample` and `inspect`.

It only turns words into values. Whether the values can make a run is checked once, by
RunSettings.validate (training/settings.py), wherever the settings come from.
"""

import argparse
import difflib
import math
import sys

from ...datasets import MAX_DATA_BYTES, printable
from ...engine.config import MAX_PARAMS, ModelConfig, TrainConfig
from ...engine.engines import DEFAULT_ENGINE, ENGINES
from .errors import PROG

# The defaults are the reference's, read from the engine's own dataclasses.
MODEL_DEFAULTS = ModelConfig(vocab_size=None)
TRAIN_DEFAULTS = TrainConfig()

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
  microgpt-tui --headless --resume run.json --steps 2000 --checkpoint more.json
                                                train a finished 1000-step run 1000 steps more
  microgpt-tui --speed 5                        open the app training 5 steps a second
  microgpt-tui sample --checkpoint run.json --prefix ka   names from a saved model
  microgpt-tui inspect --checkpoint run.json --text emma  how it predicts each character of a word

reading the loss: before step 1, --headless prints three baselines, the loss on the held-out names
  of models that only count: uniform (every character equally likely, ln V), unigram (each
  character as often as it occurs in the training names) and bigram (each character as often as
  it followed the one before it). A loss below the bigram line means the model predicts names it
  never trained on better than a table of which character follows which: it has learned to use
  more than the last character. Each step's loss is one name's and jumps about; read its average
  over many steps against the lines. `inspect` shows one word's loss position by position.

signals: headless, Ctrl+C, SIGTERM and SIGHUP (the terminal closed) stop training at the end of
  the current step and save it to --checkpoint; a signal during a save waits for the file to be
  written. In the app, SIGTERM and SIGHUP save the run to its checkpoint (or a new autosave file)
  and quit. Before training starts, all three end the program at once.

one run per checkpoint: --checkpoint PATH is locked for the run's life (PATH.lock, holding the
  run's process id), so a second run on it is refused at once. Every output path is checked
  before step 1; no output may overwrite another file or an input.

exit status:
  0    done
  1    a file could not be written (a full disk, a lost folder); the last good checkpoint is kept
  2    bad input; one line on stderr says what to fix
  3    the loss blew up (NaN or infinite); try a lower --lr
  129  stopped by SIGHUP      130  interrupted (Ctrl+C)      143  stopped by SIGTERM"""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake prints one line instead of the whole usage text.

    An option it does not know is named as the mistake, with the option it is closest to:
    otherwise `--n-emb 64` reads as "invalid choice: '64'" for the command.
    """

    def parse_args(self, args=None, namespace=None):
        self._words = sys.argv[1:] if args is None else list(args)
        return super().parse_args(self._words, namespace)

    def error(self, message):
        unknown = self._unknown_options()
        if unknown:
            message = f"unrecognized arguments: {' '.join(unknown)}{self._did_you_mean(unknown)}"
        message = printable(message)  # a value may hold a newline or \x1b
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def _known_options(self) -> list[str]:
        """The options of the command being parsed: `sample`'s after the word sample, else the top's."""
        parser = self
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                parser = next((action.choices[w] for w in self._words_before_separator() if w in action.choices), self)
        return [option for action in parser._actions for option in action.option_strings]

    def _words_before_separator(self) -> list[str]:
        words = getattr(self, "_words", [])  # set by parse_args, on the top parser only
        return words[:words.index("--")] if "--" in words else words

    def _unknown_options(self) -> list[str]:
        known = set(self._known_options())
        return [word for word in self._words_before_separator()
                if word.startswith("--") and word.split("=", 1)[0] not in known]

    def _did_you_mean(self, unknown: list[str]) -> str:
        """The real option a mistyped one is closest to: one it abbreviates, or one spelled nearly alike."""
        known = self._known_options()
        for word in unknown:
            typed = word.split("=", 1)[0]
            close = [option for option in known if option.startswith(typed)] or difflib.get_close_matches(typed, known, n=1)
            if close:
                return f"; did you mean {close[0]}?"
        return ""


def _number(kind, text):
    try:
        return kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"takes {noun}, got {text!r}") from None


def whole_number(text):
    return _number(int, text)


def number(text):
    return _number(float, text)


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


# Below this a temperature is greedy in all but name; far below it, dividing the logits by it
# overflows (1e-320 does). Such temperatures are read as 0, which is greedy exactly.
GREEDY_BELOW = 1e-3


def temperature(text):
    value = _number(float, text)
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be 0 (greedy) or more, got {text}")
    return 0.0 if value < GREEDY_BELOW else value


# The app's pace when --speed is not given: the default 1000-step run takes about 20 s,
# slow enough to watch it learn.
DEFAULT_SPEED = 50.0


def speed(text):
    """Steps a second for the app, or None for "max" (as fast as the engine goes)."""
    if text.strip().lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"takes a number of steps a second above 0, or max, got {text!r}")
    return value


def layer_and_head(text):
    """--head-off's L:H as (layer, head); whether the model has them is checked once the checkpoint is read."""
    layer, colon, head = text.partition(":")
    if colon and layer.strip().isdigit() and head.strip().isdigit():
        return int(layer), int(head)
    raise argparse.ArgumentTypeError(f"takes LAYER:HEAD, two whole numbers from 0 such as 0:1, got {text!r}")


INSPECT_EPILOG = """\
examples:
  microgpt-tui inspect --checkpoint run.json --text emma --json
  microgpt-tui inspect --checkpoint run.json --text emma --trace
  microgpt-tui inspect --checkpoint run.json --text emma --head-off 0:1 --head-off 0:3

reading --trace: at position p the model has read BOS and the word's first p characters; each
  head's weights (one per position 0..p, summing to 1) say how much of each position's value it
  took. --head-off shows what a head does by its absence: compare the loss with it on and off."""


TEMPERATURE_HELP = (f"0 is greedy, 1 is the model's own distribution; below {GREEDY_BELOW:g} counts as 0 (default: 0.5)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # --n-emb must not pass for --n-embd: a resumed run would ignore it unseen
    )
    mode = parser.add_argument_group("what to run")
    mode.add_argument("--headless", action="store_true", help="train in the terminal, without the app")
    mode.add_argument("--paused", action="store_true", help="open the app with training paused")
    mode.add_argument("--speed", type=speed, default=DEFAULT_SPEED, metavar="N|max",
                      help=f"the app's pace: N steps a second, or max for as fast as it goes; the app's - and + "
                           f"change it (default: {DEFAULT_SPEED:g}; --headless always goes flat out)")
    mode.add_argument("--engine", default=DEFAULT_ENGINE, metavar="{" + ",".join(ENGINES) + "}",
                      help="how gradients are computed: fast, a whole matrix at a time with hand-written backward passes, "
                           "or scalar, Value autograd as the reference does it (the same numbers, about 70 times slower) "
                           f"(default: {DEFAULT_ENGINE})")

    data = parser.add_argument_group("data")
    data.add_argument("--data", metavar="PATH", help="train on a UTF-8 text file of your own, one document per line, "
                           f"at most {MAX_DATA_BYTES / 1e6:g} MB (a regular file: not a pipe or a device)")
    data.add_argument("--dataset", metavar="NAME", help="train on a known data set (default: names)")
    data.add_argument("--list-datasets", action="store_true", help="list the known data sets and whether each is cached, then exit")

    model = parser.add_argument_group(f"model (defaults are the reference's; at most {MAX_PARAMS:,} parameters)")
    model.add_argument("--n-layer", type=whole_number, default=MODEL_DEFAULTS.n_layer, metavar="N",
                       help=f"transformer layers (default: {MODEL_DEFAULTS.n_layer})")
    model.add_argument("--n-embd", type=whole_number, default=MODEL_DEFAULTS.n_embd, metavar="N",
                       help=f"embedding width (default: {MODEL_DEFAULTS.n_embd})")
    model.add_argument("--n-head", type=whole_number, default=MODEL_DEFAULTS.n_head, metavar="N",
                       help=f"attention heads; must divide --n-embd (default: {MODEL_DEFAULTS.n_head})")
    model.add_argument("--block-size", type=whole_number, default=MODEL_DEFAULTS.block_size, metavar="N",
                       help=f"context length in tokens, at least 2 (default: {MODEL_DEFAULTS.block_size})")

    train = parser.add_argument_group("training")
    train.add_argument("--steps", type=whole_number, default=TRAIN_DEFAULTS.steps, metavar="N",
                       help=f"training steps, one document each (default: {TRAIN_DEFAULTS.steps}); with --resume, "
                            "more than the saved run's steps trains it for more, with a new learning-rate decay "
                            "from its --lr over the added steps")
    train.add_argument("--lr", type=number, default=TRAIN_DEFAULTS.learning_rate, metavar="LR",
                       help=f"Adam's learning rate, decayed linearly to 0 over the steps, and again over any "
                            f"added by training more (default: {TRAIN_DEFAULTS.learning_rate})")
    train.add_argument("--seed", type=whole_number, default=TRAIN_DEFAULTS.seed, metavar="N",
                       help=f"random seed for shuffling, init and sampling (default: {TRAIN_DEFAULTS.seed})")
    train.add_argument("--log-jsonl", metavar="PATH", help="write one JSON object per step (step, loss, lr, seconds) to a new file")

    saving = parser.add_argument_group("checkpoints")
    saving.add_argument("--checkpoint", metavar="PATH", help="save the run to this JSON file at the end (and on Ctrl+C, or when it blows up); in the app, ctrl+s saves here")
    saving.add_argument("--checkpoint-every", type=positive_int, metavar="N", help="also save every N steps (needs --checkpoint)")
    saving.add_argument("--resume", metavar="PATH", help="continue a saved run exactly where it stopped (its model and training settings come from the file; "
                             "--steps may add steps to it); "
                             "with --data, a file with the same characters but other contents than the run trained on "
                             "is used, with a warning")

    sampling = parser.add_argument_group("sampling")
    sampling.add_argument("--temperature", type=temperature, default=0.5, metavar="T", help=TEMPERATURE_HELP)
    sampling.add_argument("--num-samples", type=count, default=20, metavar="N", help="names to make up after training: printed headless, shown in the app's Sample pane (default: 20)")

    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sample = commands.add_parser(
        "sample", help="print names from a saved model, without training (see: microgpt-tui sample --help)",
        description="Print names made up by a saved model, without training it.",
        epilog="example:\n  microgpt-tui sample --checkpoint run.json --prefix ka -n 5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    sample.add_argument("--checkpoint", required=True, metavar="PATH", help="the checkpoint to sample from")
    sample.add_argument("--prefix", default="", help="every name starts with these characters (default: none)")
    sample.add_argument("-n", "--num-samples", type=count, default=10, metavar="N", help="how many names (default: 10)")
    sample.add_argument("--temperature", type=temperature, default=0.5, metavar="T", help=TEMPERATURE_HELP)
    sample.add_argument("--seed", type=whole_number, metavar="N",
                        help="random seed (default: continue the saved run's generator, so a finished run's checkpoint gives the names its run printed)")

    inspect = commands.add_parser(
        "inspect", help="how a saved model predicts each character of a word (see: microgpt-tui inspect --help)",
        description="Score one word with a saved model, position by position: the context, the character that "
                    "came next, the probability the model gave it, its surprise -ln p and the model's top 3 guesses. "
                    "The mean surprise is the loss a training step would compute on the word with those weights.",
        epilog=INSPECT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    inspect.add_argument("--checkpoint", required=True, metavar="PATH", help="the checkpoint whose model scores the word")
    inspect.add_argument("--text", required=True, metavar="WORD", help="the word to score; it is read as a document: "
                         "BOS, its characters, BOS (only the first block-size predictions count, as in training)")
    inspect.add_argument("--json", action="store_true", help="print one JSON object, with every number at full precision")
    inspect.add_argument("--trace", action="store_true",
                         help="also show, at each position, every head's attention weights over the positions so far; "
                              "with --json, each position also gets \"attention\" [layer][head][0..p] and \"logits\" (one per token)")
    inspect.add_argument("--head-off", type=layer_and_head, action="append", default=[], metavar="L:H",
                         help="switch off head H of layer L (both from 0): it still attends, but its output is zeros; "
                              "everything printed is then with it off. Repeat for more heads")
    return parser
