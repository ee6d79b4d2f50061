"""Saving a run to a JSON file and loading it back, exactly.

A checkpoint holds everything a run is: the config, the vocabulary, which data it trains on,
the step, the weights, Adam's m and v, the random generator's state and the loss history.
Floats are written with repr(), which round-trips to the very same bits, so a resumed run
continues exactly as if it had never stopped. It is JSON, never pickle: opening a file
someone shared with you must not run their code.
"""

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from .config import ConfigError, ModelConfig, TrainConfig
from .params import Matrix, ParamLayout

FORMAT = "microgpt-tui checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message is one line, meant for the user."""


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
    rng_state: tuple
    losses: list[float]

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
        }


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


def _reject_constant(name):
    raise CheckpointError(f"it holds {name}, which a trained model never has")


def load(path: Path) -> Checkpoint:
    """Read and check a checkpoint; every problem is a CheckpointError with one line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} does not exist") from None
    except IsADirectoryError:
        raise CheckpointError(f"checkpoint {path} is a folder, not a file") from None
    except UnicodeDecodeError:
        raise CheckpointError(f"checkpoint {path} is not a text file") from None
    except OSError as err:
        raise CheckpointError(f"cannot read checkpoint {path}: {err.strerror}") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except CheckpointError as err:
        raise CheckpointError(f"checkpoint {path} is broken: {err}") from None
    except json.JSONDecodeError as err:
        cut_short = err.pos >= len(text.rstrip()) or err.msg.startswith("Unterminated")
        where = "it ends too early (truncated?)" if cut_short else f"line {err.lineno}: {err.msg}"
        raise CheckpointError(f"checkpoint {path} is not valid JSON: {where}") from None
    try:
        return _from_json(data)
    except CheckpointError as err:
        raise CheckpointError(f"checkpoint {path}: {err}") from None
    except (KeyError, TypeError, ValueError) as err:
        detail = f"missing {err}" if isinstance(err, KeyError) else str(err)
        raise CheckpointError(f"checkpoint {path} is malformed: {detail}") from None


def _from_json(data) -> Checkpoint:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError("not a microgpt-tui checkpoint")
    if data.get("version") != VERSION:
        raise CheckpointError(f"format version {data.get('version')!r} is not one this program reads (it reads {VERSION})")
    config = ModelConfig(**data["config"])
    train = TrainConfig(**data["train"])
    try:
        config.validate()
        train.validate()
    except ConfigError as err:
        raise CheckpointError(f"bad config: {err}") from None
    chars = data["vocabulary"]
    if not (isinstance(chars, list) and all(isinstance(c, str) and len(c) == 1 for c in chars)):
        raise CheckpointError("the vocabulary must be a list of single characters")
    if len(chars) + 1 != config.vocab_size:
        raise CheckpointError(f"the vocabulary has {len(chars)} characters but the config expects {config.vocab_size - 1}")
    layout = ParamLayout(config)
    params, adam_m, adam_v = (_flatten_checked(layout, data[key], key) for key in ("params", "adam_m", "adam_v"))
    step = data["step"]
    if not isinstance(step, int) or not 0 <= step <= train.steps:
        raise CheckpointError(f"step {step!r} is outside the run's 0..{train.steps}")
    losses = data["losses"]
    if len(losses) != step or not all(isinstance(x, (int, float)) for x in losses):
        raise CheckpointError(f"the loss history should hold {step} numbers")
    rng = data["rng_state"]
    rng_state = (rng["version"], tuple(rng["internal"]), rng["gauss_next"])
    return Checkpoint(config, train, data["engine"], chars, data["dataset"]["name"], data["dataset"]["sha256"],
                      step, params, adam_m, adam_v, rng_state, [float(x) for x in losses])


def _flatten_checked(layout: ParamLayout, matrices: dict[str, Matrix], key: str) -> list[float]:
    if not isinstance(matrices, dict) or set(matrices) != set(layout.names):
        raise CheckpointError(f"{key} should hold the matrices {', '.join(layout.names)}")
    for spec in layout.specs:
        matrix = matrices[spec.name]
        shape = (len(matrix), len(matrix[0]) if matrix else 0)
        if shape != spec.shape or any(len(row) != spec.cols for row in matrix):
            raise CheckpointError(f"{key} {spec.name} is {shape[0]}×{shape[1]}, but the config needs {spec.rows}×{spec.cols}")
        for row in matrix:
            if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in row):
                raise CheckpointError(f"{key} {spec.name} holds a value that is not a finite number")
    return [float(x) for x in layout.flatten(matrices)]
