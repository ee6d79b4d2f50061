"""The runs of one app session: what each was, how it went, and its last weights.

A learner changes one thing and starts again; to compare, the app keeps the last few runs
with their loss curves and final snapshots. Each run is named by its number and by what
differs from run 1 ("run 3 · lr 0.03 · n_embd 32").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .settings import RunSettings
from .snapshot import ModelSnapshot

KEEP_RUNS = 8  # runs the session remembers; older ones are forgotten, with their weights

# The settings a learner changes, in the order the label lists them, and how it names them.
COMPARED = {
    "data": lambda run: run.data_label,
    "n_layer": lambda run: run.settings.model.n_layer,
    "n_embd": lambda run: run.settings.model.n_embd,
    "n_head": lambda run: run.settings.model.n_head,
    "block_size": lambda run: run.settings.model.block_size,
    "steps": lambda run: run.settings.train.steps,
    "lr": lambda run: run.settings.train.learning_rate,
    "seed": lambda run: run.settings.train.seed,
    "engine": lambda run: run.settings.engine,
}


@dataclass
class RunRecord:
    number: int
    settings: RunSettings
    data_label: str
    branched_from: tuple[int, int] | None = None  # (run, step) it started from, if it did
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    validation: list = field(default_factory=list)  # the loss pane's ValidationPoints
    seconds: float = 0.0  # time spent training
    last_snapshot: ModelSnapshot | None = None

    @property
    def final_loss(self) -> float | None:
        return self.smoothed[-1] if self.smoothed else None

    @property
    def validation_loss(self) -> float | None:
        return self.validation[-1].loss if self.validation else None


def differences(run: RunRecord, first: RunRecord) -> str:
    """What `run` changed from `first`, e.g. "lr 0.03 · n_embd 32"; "" if nothing did."""
    changed = [f"{name} {value(run)}" for name, value in COMPARED.items() if value(run) != value(first)]
    if run.branched_from:
        changed.insert(0, f"from run {run.branched_from[0]} @ {run.branched_from[1]}")
    return " · ".join(changed)


class RunHistory:
    """The session's runs, oldest first; the last one is the current run."""

    def __init__(self) -> None:
        self.runs: list[RunRecord] = []
        self._first: RunRecord | None = None  # run 1, the reference every label compares with
        self._count = 0

    def start(self, settings: RunSettings, data_label: str, branched_from: tuple[int, int] | None = None) -> RunRecord:
        self._count += 1
        run = RunRecord(self._count, settings, data_label, branched_from)
        self._first = self._first or run
        self.runs.append(run)
        del self.runs[:-KEEP_RUNS]
        return run

    @property
    def current(self) -> RunRecord:
        return self.runs[-1]

    def label(self, run: RunRecord) -> str:
        return differences(run, self._first) if self._first is not None else ""

    def earlier(self) -> list[RunRecord]:
        return self.runs[:-1]

    def find(self, number: int) -> RunRecord | None:
        return next((run for run in self.runs if run.number == number), None)
