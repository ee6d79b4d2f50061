"""Saving a run to a JSON file and loading it back, exactly.

A checkpoint holds everything a run is: the config, the training settings with the run's
learning-rate schedule (its segments), the vocabulary, which data it trains on, the step,
the weights, Adam's m and v, the random generator's state, the loss history and, for
the last steps, the name each trained on and the probability the model gave each of its
characters. A file written before runs had segments has none in its settings: it is read
as one, 0..steps; one written before steps kept their names has an empty step history.
Floats are written with repr(), which round-trips to the very same bits, so a resumed run
continues exactly as if it had never stopped. It is JSON, never pickle: opening a file
someone shared with you must not run their code.
"""

import json
import math
import os
import random
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .config import MAX_PARAMS, ConfigError, ModelConfig, TrainConfig
from .engines import ENGINES
from .params import Matrix, ParamLayout

FORMAT = "microgpt-tui checkpoint"
VERSION = 1

# A checkpoint holds three lists of at most MAX_PARAMS numbers (params, adam_m, adam_v), each
# written as repr() (at most 24 characters) and ", ". Room for four such lists at 32 bytes a
# number leaves a loss history as long again and plenty to spare: 128 MB. Anything larger was
# not written by this program, and reading it would only fill memory.
MAX_CHECKPOINT_BYTES = 4 * MAX_PARAMS * 32

# No number in a checkpoint needs more digits than this (a seed is the longest); a longer one
# would only make int() slow or raise (Python refuses to convert past 4,300 digits).
MAX_INTEGER_DIGITS = 100

MAX_NAME_CHARS = 4096  # the data set's name: a file name at most as long as a path may be

# The step history keeps the last this many steps: about 70 bytes a step in the file, so
# even a very long run's checkpoint stays within MAX_CHECKPOINT_BYTES.
MAX_STEP_HISTORY = 100_000
P_DIGITS = 4  # significant digits kept of each probability: what a reader needs, in a few bytes

# Said after any problem inside the file: nothing the user passes can mend the file itself.
WHAT_TO_DO = "use an intact checkpoint, or start a new run"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message is one line, meant for the user."""


@dataclass(frozen=True, slots=True)
class StepTrace:
    """What the run keeps of one step: the name it trained on, and the probability the
    model gave each token it predicted (the name's characters, then BOS), before the update."""

    doc: str
    p: tuple[float, ...]

    @classmethod
    def of(cls, doc: str, predictions) -> "StepTrace":
        """From a step's inference.Predictions, each p cut to P_DIGITS significant digits."""
        return cls(doc, tuple(float(f"{pr.p:.{P_DIGITS}g}") for pr in predictions))


@dataclass
class Checkpoint:
    config: ModelConfig
    train: TrainConfig
    engine: str
    chars: list[str]  # the vocabulary, without BOS
    dataset_name: str
    dataset_sha256: str
    step: int
    params: list[float]  # flat, in ParamLayout order
    adam_m: list[float]
    adam_v: list[float]
    rng_state: tuple  # what random.Random.getstate() returns
    losses: list[float]
    step_history: list[StepTrace] = field(default_factory=list)  # the last steps, oldest first, ending at `step`
    source: Path | None = field(default=None, compare=False)  # the file it was loaded from, for messages

    def to_json(self) -> dict:
        layout = ParamLayout(self.config)
        version, internal, gauss_next = self.rng_state
        return {
            "format": FORMAT,
            "version": VERSION,
            "config": asdict(self.config),
            "train": asdict(self.train),
            "engine": self.engine,
            "vocabulary": self.chars,
            "dataset": {"name": self.dataset_name, "sha256": self.dataset_sha256},
            "step": self.step,
            "params": layout.matrices(self.params),
            "adam_m": layout.matrices(self.adam_m),
            "adam_v": layout.matrices(self.adam_v),
            "rng_state": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
            "losses": self.losses,
            "step_history": {"docs": [trace.doc for trace in self.step_history],
                             "p": [list(trace.p) for trace in self.step_history]},
        }


def with_training(saved: Checkpoint, train: TrainConfig) -> Checkpoint:
    """The same run, from the same step, under other training settings (more steps, a branch).

    The learning rate, beta1, beta2, eps, the steps and the schedule's segments may
    change; the seed may not, since it fixed the order of the names the run trains on,
    and the steps must be more than the run has taken. Raises ConfigError, naming the
    setting, for settings it cannot take.
    """
    train.validate()
    if train.seed != saved.train.seed:
        raise ConfigError("seed", f"must stay {saved.train.seed} to carry the run on: it fixed the order of the names it trains on")
    if train.steps <= saved.step:
        raise ConfigError("steps", f"must be more than the {saved.step} steps the run has taken, got {train.steps}")
    return replace(saved, train=train)


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place.

    A crash at any moment leaves either the old file or the new one, never half of one:
    the rename is atomic within a folder, and fsync makes sure the bytes arrived first.
    """
    path = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o644)  # mkstemp makes it private; a checkpoint is for sharing
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    try:  # make the rename itself durable
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError:
        pass


def save(checkpoint: Checkpoint, path: Path) -> None:
    bad = [name for name, values in (("params", checkpoint.params), ("adam_m", checkpoint.adam_m), ("adam_v", checkpoint.adam_v))
           if not all(map(math.isfinite, values))]
    if bad:
        raise CheckpointError(f"refusing to save non-finite numbers in {', '.join(bad)}")
    write_atomically(Path(path), json.dumps(checkpoint.to_json(), allow_nan=False))


def load(path: Path) -> Checkpoint:
    """Read and check a checkpoint; every problem is a CheckpointError with one line.

    Everything the file says is checked here, so that a file that loads can be trained on,
    sampled from and saved again without any later surprise.
    """
    path = Path(path)
    data = _parse(path, _read_text(path))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path}: not a microgpt-tui checkpoint; choose a file saved by microgpt-tui")
    version = data.get("version")
    if not _is_whole_number(version) or version != VERSION:
        raise CheckpointError(f"checkpoint {path}: format version {_show(version)} is not one this program reads "
                              f"(it reads {VERSION}); open it with the microgpt-tui that wrote it")
    try:
        saved = _from_json(data)
    except CheckpointError as err:
        raise CheckpointError(f"checkpoint {path}: {err}; {WHAT_TO_DO}") from None
    except (KeyError, TypeError, ValueError) as err:  # a check missed something: still one line
        raise CheckpointError(f"checkpoint {path} is malformed: {err}; {WHAT_TO_DO}") from None
    saved.source = path
    return saved


def check_data(saved: Checkpoint, chars: Sequence[str], sha256: str, data_label: str) -> str | None:
    """Whether `saved` can carry on training on this data: the one place resuming checks it.

    `chars` is the data's vocabulary, `sha256` its file's checksum ("" if unknown), and
    `data_label` how messages name it. Different characters raise CheckpointError: every
    token id would mean another letter. The same characters in another file return a
    one-line warning, since the run goes on, but on other documents; the same file, None.
    """
    who = f"checkpoint {saved.source}" if saved.source else "the checkpoint"
    data_chars = list(chars)
    if data_chars != saved.chars:
        raise CheckpointError(
            f"{who} was trained on {len(saved.chars)} characters; {data_label} has {len(data_chars)}: "
            f"{_vocabulary_difference(saved.chars, data_chars)}; resume it with the data it was trained on"
        )
    if sha256 and saved.dataset_sha256 and sha256 != saved.dataset_sha256:
        return (f"{data_label} is not the file {who} was trained on ({saved.dataset_name}): the same "
                f"{len(data_chars)} characters, but other contents (its sha256 differs); training goes on with it")
    return None


def _vocabulary_difference(trained: list[str], data: list[str]) -> str:
    in_data, in_trained = set(data), set(trained)
    lacks = [ch for ch in trained if ch not in in_data]
    extra = [ch for ch in data if ch not in in_trained]
    parts = []
    if lacks:
        parts.append(f"it lacks {_some_chars(lacks)}")
    if extra:
        parts.append(f"{'and ' if lacks else 'it '}has {_some_chars(extra)}, which the checkpoint never saw")
    return " ".join(parts) or "the same characters in another order"


def _some_chars(chars: list[str], most: int = 10) -> str:
    shown = ", ".join(repr(ch) for ch in chars[:most])  # repr: a control character shows as \x1b, never raw
    return shown + (f" and {len(chars) - most} more" if len(chars) > most else "")


# ---- reading: a regular file of bounded size, as JSON of bounded depth and numbers ----

def _read_text(path: Path) -> str:
    try:
        # Check the type before opening: opening a FIFO for reading waits for a writer.
        _check_kind(path, os.stat(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # and should it become one meanwhile, never wait
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} does not exist") from None
    except OSError as err:
        raise CheckpointError(f"cannot read checkpoint {path}: {err.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        try:
            _check_kind(path, os.fstat(fd))
            raw = handle.read(MAX_CHECKPOINT_BYTES + 1)  # +1: a file that grew since is still caught
        except OSError as err:
            raise CheckpointError(f"cannot read checkpoint {path}: {err.strerror}") from None
    if len(raw) > MAX_CHECKPOINT_BYTES:
        raise _too_large(path, len(raw))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError(f"checkpoint {path} is not a text file") from None


def _check_kind(path: Path, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise CheckpointError(f"checkpoint {path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        kind = "a named pipe" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "a device"
        raise CheckpointError(f"checkpoint {path} is {kind}, not a file; give the path of a saved checkpoint")
    if info.st_size > MAX_CHECKPOINT_BYTES:
        raise _too_large(path, info.st_size)


def _too_large(path: Path, size: int) -> CheckpointError:
    return CheckpointError(f"checkpoint {path} is {size / 1e6:,.0f} MB, more than the {MAX_CHECKPOINT_BYTES / 1e6:,.0f} MB "
                           "any checkpoint takes; give the path of a saved checkpoint")


def _parse(path: Path, text: str):
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=_bounded_int)
    except CheckpointError as err:
        raise CheckpointError(f"checkpoint {path} is broken: {err}; {WHAT_TO_DO}") from None
    except RecursionError:
        # json reads nested lists by recursion; a checkpoint is four levels deep, so this file is not one
        raise CheckpointError(f"checkpoint {path} is broken: its lists nest too deep to read, where a checkpoint's "
                              f"nest four deep; {WHAT_TO_DO}") from None
    except json.JSONDecodeError as err:
        # a file cut off mid-number fails before its end, but a whole checkpoint ends with "}"
        whole = text.rstrip()
        cut_short = (err.pos >= len(whole) or err.msg.startswith("Unterminated")
                     or (whole.lstrip().startswith("{") and not whole.endswith("}")))
        where = "it ends too early (truncated?)" if cut_short else f"line {err.lineno}: {err.msg}"
        raise CheckpointError(f"checkpoint {path} is not valid JSON: {where}") from None


def _reject_constant(name):
    raise CheckpointError(f"it holds {name}, which a trained model never has")


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise CheckpointError(f"it holds a whole number {len(digits.lstrip('-')):,} digits long; "
                              f"none in a checkpoint has more than {MAX_INTEGER_DIGITS}")
    return int(digits)


# ---- checking what the JSON says, field by field -------------------------------------

FIELDS = ("config", "train", "engine", "vocabulary", "dataset", "step", "params", "adam_m", "adam_v", "rng_state", "losses")
WHOLE_NUMBER_SETTINGS = {"vocab_size", "n_layer", "n_embd", "n_head", "block_size", "steps", "seed"}  # the rest are reals


def _from_json(data: dict) -> Checkpoint:
    missing = [key for key in FIELDS if key not in data]
    if missing:
        raise CheckpointError(f"missing {', '.join(map(repr, missing))}")
    config = _settings(ModelConfig, data["config"], "config")
    train_values = data["train"]
    if isinstance(train_values, dict) and "segment_starts" not in train_values:
        # written before a run could be trained for more steps: its one segment is 0..steps
        train_values = {**train_values, "segment_starts": [0]}
    train = _settings(TrainConfig, train_values, "train")
    try:
        config.validate()
        train.validate()
    except ConfigError as err:
        raise CheckpointError(f"bad config: {err}") from None
    engine = data["engine"]
    if not isinstance(engine, str) or engine not in ENGINES:
        raise CheckpointError(f"engine {_show(engine)} is not one this program has ({', '.join(ENGINES)})")
    chars = _vocabulary(data["vocabulary"], config)
    dataset_name, dataset_sha256 = _dataset(data["dataset"])
    step = data["step"]
    if not _is_whole_number(step) or not 0 <= step <= train.steps:
        raise CheckpointError(f"step {_show(step)} is outside the run's 0..{train.steps}")
    layout = ParamLayout(config)
    params, adam_m, adam_v = (_flatten_checked(layout, data[key], key) for key in ("params", "adam_m", "adam_v"))
    return Checkpoint(
        config=config, train=train, engine=engine, chars=chars, dataset_name=dataset_name,
        dataset_sha256=dataset_sha256, step=step, params=params, adam_m=adam_m, adam_v=adam_v,
        rng_state=_rng_state(data["rng_state"]), losses=_losses(data["losses"], step),
        # written before steps kept their names: none known
        step_history=_step_history(data["step_history"], step, chars, config) if "step_history" in data else [],
    )


def _settings(kind, values, key: str):
    """A ModelConfig or TrainConfig with every field present and of the right type; validate() checks ranges."""
    names = [f.name for f in fields(kind)]
    if not isinstance(values, dict):
        raise CheckpointError(f"{key} should hold the settings {', '.join(names)}, not {_show(values)}")
    missing = [name for name in names if name not in values]
    unknown = [name for name in values if name not in names]
    if missing or unknown:
        problem = f"lacks {', '.join(missing)}" if missing else f"has settings this program does not know: {_show(unknown[0])}"
        raise CheckpointError(f"{key} {problem}")
    checked = {}
    for name in names:
        value = values[name]
        if name == "segment_starts":  # where each segment of the learning-rate schedule begins
            if not (isinstance(value, list) and value and all(map(_is_whole_number, value))):
                raise CheckpointError(f"{key}.{name} should be a list of whole numbers, not {_show(value)}")
            checked[name] = tuple(value)
        elif name in WHOLE_NUMBER_SETTINGS:
            if not _is_whole_number(value):
                raise CheckpointError(f"{key}.{name} should be a whole number, not {_show(value)}")
            checked[name] = value
        else:
            if not _is_number(value) or not math.isfinite(value):
                raise CheckpointError(f"{key}.{name} should be a finite number, not {_show(value)}")
            checked[name] = float(value)
    return kind(**checked)


def _vocabulary(chars, config: ModelConfig) -> list[str]:
    if not (isinstance(chars, list) and all(isinstance(c, str) and len(c) == 1 for c in chars)):
        raise CheckpointError("the vocabulary must be a list of single characters")
    seen = set()
    for ch in chars:
        if ch in seen:
            raise CheckpointError(f"the vocabulary holds {ch!r} twice, so two tokens would share it")
        seen.add(ch)
    if chars != sorted(chars):
        raise CheckpointError("the vocabulary is not in sorted order, the order that gives each character its token id")
    if len(chars) + 1 != config.vocab_size:
        raise CheckpointError(f"the vocabulary has {len(chars)} characters but the config expects {config.vocab_size - 1}")
    return chars


def _dataset(dataset) -> tuple[str, str]:
    if not isinstance(dataset, dict) or not isinstance(dataset.get("name"), str) or not isinstance(dataset.get("sha256"), str):
        raise CheckpointError("dataset should hold the data's name and sha256, as text")
    name, sha256 = dataset["name"], dataset["sha256"]
    if len(name) > MAX_NAME_CHARS:
        raise CheckpointError(f"the data set's name is {len(name):,} characters long, more than a file name can be")
    # "" when the run did not know its file's checksum; otherwise 64 hexadecimal digits
    if sha256 and not (len(sha256) == 64 and all(c in "0123456789abcdef" for c in sha256)):
        raise CheckpointError(f"the data's sha256 {_show(sha256)} is not 64 hexadecimal digits")
    return name, sha256


def _losses(losses, step: int) -> list[float]:
    if not isinstance(losses, list) or len(losses) != step:
        held = f"{len(losses)}" if isinstance(losses, list) else _show(losses)
        raise CheckpointError(f"the loss history should hold {step} numbers, one a step, but holds {held}")
    for i, loss in enumerate(losses):
        if not _is_number(loss) or not math.isfinite(loss):
            raise CheckpointError(f"the loss of step {i + 1} is {_show(loss)}, not a finite number")
    return [float(x) for x in losses]


def _step_history(history, step: int, chars: list[str], config: ModelConfig) -> list[StepTrace]:
    """The last steps' names and probabilities: each name in the vocabulary, with one p in 0..1
    per token a step predicts on it (its characters then BOS, at most block_size)."""
    if not (isinstance(history, dict) and set(history) == {"docs", "p"}
            and isinstance(history["docs"], list) and isinstance(history["p"], list)):
        raise CheckpointError("step_history should hold two lists, docs and p")
    docs, probabilities = history["docs"], history["p"]
    if len(docs) != len(probabilities) or len(docs) > min(step, MAX_STEP_HISTORY):
        raise CheckpointError(f"step_history should hold as many docs as p, at most {min(step, MAX_STEP_HISTORY)} "
                              f"(the run's last steps), but holds {len(docs)} and {len(probabilities)}")
    known = set(chars)
    traces = []
    for i, (doc, p) in enumerate(zip(docs, probabilities)):
        which = f"step_history entry {i}"
        if not isinstance(doc, str) or not doc or not set(doc) <= known:
            raise CheckpointError(f"{which}: {_show(doc)} is not a name in the vocabulary")
        predicted = min(config.block_size, len(doc) + 1)
        if not isinstance(p, list) or len(p) != predicted:
            held = f"{len(p)}" if isinstance(p, list) else _show(p)
            raise CheckpointError(f"{which} should hold {predicted} probabilities for {_show(doc)}, but holds {held}")
        for x in p:
            if not _is_number(x) or not 0 < x <= 1:
                raise CheckpointError(f"{which} holds {_show(x)}, which is not a probability above 0")
        traces.append(StepTrace(doc, tuple(float(x) for x in p)))
    return traces


def _rng_state(rng) -> tuple:
    """The random generator's state, checked so that random.Random().setstate() takes it.

    getstate() gives (3, 625 words, gauss_next): 624 words of Mersenne Twister state, each
    32 bits, then the position in them (0..624), and a spare normal draw or None.
    """
    if not isinstance(rng, dict) or set(rng) != {"version", "internal", "gauss_next"}:
        raise CheckpointError("rng_state should hold version, internal and gauss_next")
    version, internal, gauss_next = rng["version"], rng["internal"], rng["gauss_next"]
    if not _is_whole_number(version) or version != 3:
        raise CheckpointError(f"rng_state version is {_show(version)}, but Python's random generator writes 3")
    if not isinstance(internal, list) or len(internal) != 625:
        held = f"{len(internal)} numbers" if isinstance(internal, list) else _show(internal)
        raise CheckpointError(f"rng_state internal should hold 625 whole numbers, but holds {held}")
    for i, word in enumerate(internal[:624]):
        if not _is_whole_number(word) or not 0 <= word < 2**32:
            raise CheckpointError(f"rng_state internal[{i}] is {_show(word)}, not a 32-bit word (0..{2**32 - 1})")
    position = internal[624]
    if not _is_whole_number(position) or not 0 <= position <= 624:
        raise CheckpointError(f"rng_state internal[624], the position in the state, is {_show(position)}, not 0..624")
    if gauss_next is not None and (not _is_number(gauss_next) or not math.isfinite(gauss_next)):
        raise CheckpointError(f"rng_state gauss_next is {_show(gauss_next)}, not null or a finite number")
    state = (version, tuple(internal), None if gauss_next is None else float(gauss_next))
    try:
        random.Random().setstate(state)  # the checks above should make this certain; make sure
    except (TypeError, ValueError, OverflowError) as err:
        raise CheckpointError(f"rng_state is not a state Python's random generator takes: {err}") from None
    return state


def _flatten_checked(layout: ParamLayout, matrices, key: str) -> list[float]:
    if not isinstance(matrices, dict) or set(matrices) != set(layout.names):
        detail = ""
        if isinstance(matrices, dict):
            absent = [name for name in layout.names if name not in matrices]
            detail = f"; {', '.join(absent)} missing" if absent else f"; {_show(next(iter(set(matrices) - set(layout.names))))} is not one"
        raise CheckpointError(f"{key} should hold the matrices {', '.join(layout.names)}{detail}")
    for spec in layout.specs:
        _check_matrix(matrices[spec.name], spec, f"{key} {spec.name}", key == "adam_v")
    return [float(x) for x in layout.flatten(matrices)]


def _check_matrix(matrix, spec, label: str, non_negative: bool) -> None:
    needs = f"the config needs {spec.rows}×{spec.cols}"
    if not isinstance(matrix, list) or not all(isinstance(row, list) for row in matrix):
        raise CheckpointError(f"{label} should be a list of {spec.rows} rows of numbers ({needs})")
    if len(matrix) != spec.rows:
        widths = {len(row) for row in matrix}
        shape = f"is {len(matrix)}×{widths.pop()}" if len(widths) == 1 else f"has {len(matrix)} rows"
        raise CheckpointError(f"{label} {shape}, but {needs}")
    for i, row in enumerate(matrix):
        if len(row) != spec.cols:
            raise CheckpointError(f"{label}[{i}] holds {len(row)} numbers, but {needs}: {spec.cols} in every row")
        for x in row:
            if not _is_number(x):
                raise CheckpointError(f"{label}[{i}] holds {_show(x)}, which is not a number")
            if not math.isfinite(x):
                raise CheckpointError(f"{label}[{i}] holds a value that is not a finite number")
            if non_negative and x < 0:
                raise CheckpointError(f"{label}[{i}] holds {x!r}, but Adam's v is a mean of squares, never below 0")


def _is_whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true would pass as 1


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value) -> str:
    """A short, safe description of a value for a message (a lying file may hold anything)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 24 else f"a number {len(text):,} characters long"
    if isinstance(value, str):
        text = repr(value)  # repr escapes control characters
        return text if len(text) <= 40 else text[:36] + "…" + text[-1]
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else type(value).__name__
