"""Fixtures shared by every test module, and constants the modules import (`from conftest import ...`)."""

import hashlib
import json
import socket
import time
from dataclasses import replace
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

import microgpt_tui.tui as tui_package
from microgpt_tui.datasets import KNOWN_DATASETS
from microgpt_tui.datasets.registry import KnownDataset
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.tokenizer import Tokenizer
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.datasets.files import dataset_from_bytes
from microgpt_tui.tui.command_line.main import main
from microgpt_tui.tui.training.settings import RunSettings, RunSpec
from microgpt_tui.tui.training.snapshot import ModelSnapshot, snapshot_of

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NAMES_TXT = SHARED / "datasets" / "names.txt"
GOLDEN_JSON = SHARED / "reference" / "golden.json"


@pytest.fixture(scope="session")
def names_path() -> Path:
    """The reference names.txt beside the repo; tests that need it skip on a user's machine."""
    if not NAMES_TXT.is_file():
        pytest.skip("../shared/datasets/names.txt is not beside the repo")
    return NAMES_TXT


@pytest.fixture(scope="session")
def golden() -> dict:
    if not GOLDEN_JSON.is_file():
        pytest.skip("../shared/reference/golden.json is not beside the repo")
    return json.loads(GOLDEN_JSON.read_text())


REFERENCE_RUN = Path(__file__).parent / "data" / "reference_run.json"


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run the full 1000-step run of the scalar engine (minutes)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="takes minutes; run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes minutes; skipped unless pytest --slow")


@pytest.fixture(scope="session")
def reference_run() -> dict:
    """The reference's 1000 per-step losses and 20 samples (tests/data/reference_run.json)."""
    return json.loads(REFERENCE_RUN.read_text())


# --- the panes' tests: a small model trained on names that need no download ---

TUI_DIR = Path(tui_package.__file__).parent  # where the panes' .tcss files are

# the first 50 names of names.txt, so the tests need no download
FIFTY_NAMES = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth
mila ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey
nora lily eleanor hannah lillian addison aubrey ellie stella natalie zoe leah hazel violet aurora
savannah audrey brooklyn bella claire skylar""".split()


@pytest.fixture(scope="module")
def two_snapshots() -> tuple[ModelSnapshot, ModelSnapshot]:
    """The default model on FIFTY_NAMES after 2 steps and after 3: the weights and the current document differ."""
    vocab_size = Tokenizer.from_documents(FIFTY_NAMES).vocab_size
    trainer = Trainer(FIFTY_NAMES, ModelConfig(vocab_size=vocab_size), TrainConfig(steps=20, seed=42))
    trainer.step()
    trainer.step()
    first = snapshot_of(trainer)
    trainer.step()
    return first, snapshot_of(trainer)


@pytest.fixture(scope="module")
def model_snapshot(two_snapshots) -> ModelSnapshot:
    """The default model on FIFTY_NAMES after 2 steps."""
    return two_snapshots[0]


# --- the datasets' tests: a cache folder of their own and a registry that expects a stand-in ---


@pytest.fixture
def cache_folder(tmp_path, monkeypatch) -> Path:
    """A fresh, not yet created cache folder (MICROGPT_TUI_CACHE)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("MICROGPT_TUI_CACHE", str(folder))
    return folder


@pytest.fixture
def dead_port() -> int:
    """A port on which nothing listens, so connecting is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def expect_names_file(monkeypatch, content: bytes, doc_count: int) -> KnownDataset:
    """Make the registry expect `content` instead of the real 228 KB names.txt."""
    known = replace(
        KNOWN_DATASETS["names"],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        doc_count=doc_count,
    )
    monkeypatch.setitem(KNOWN_DATASETS, "names", known)
    return known


# --- the command line's tests: a small names file of their own ---

SOME_NAMES = "emma\nolivia\nava\nisabella\nsophia\ncharlotte\nmia\namelia\nharper\nevelyn\n" * 3


@pytest.fixture()
def small_data(tmp_path):
    """Ten names, three times over, as a --data file."""
    path = tmp_path / "names.txt"
    path.write_text(SOME_NAMES)
    return path


def run_spec(docs, config: ModelConfig, train: TrainConfig, engine: str, *, start_paused: bool = False,
             resume=None, name: str = "test") -> RunSpec:
    """A run on `docs` as the command line would set it up, without a file or a download."""
    dataset = dataset_from_bytes("\n".join(docs).encode(), name=name, source=Path(f"{name}.txt"))
    return RunSpec(dataset, RunSettings(config, train, engine), start_paused=start_paused, resume=resume)


def run_cli(argv, capsys) -> tuple[int, str, str]:
    """`microgpt-tui argv` in this process: its exit status, stdout and stderr."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as stop:
        status = stop.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture()
def opened(monkeypatch):
    """Stand in for App.run: record the app that would have opened."""
    from microgpt_tui.tui import app as app_module  # only the tests that open the app pay for importing it

    apps = []
    monkeypatch.setattr(app_module.MicroGPTApp, "run", lambda self: apps.append(self))
    return apps


def after_steps(trainer: Trainer, steps: int) -> Trainer:
    """`trainer` once it has taken `steps` more steps."""
    for _ in range(steps):
        trainer.step()
    return trainer


def names_file(folder: Path, names) -> Path:
    """`names`, one a line, as a --data file in `folder`."""
    path = folder / "names.txt"
    path.write_text("\n".join(names) + "\n")
    return path


# --- the training bridge's tests: reports read from a connection ---


def kinds(reports) -> list[str]:
    return [type(r).__name__ for r in reports]


def receive_until(connection, done, timeout: float = 20.0) -> list:
    """Reports until `done(reports)`; the timeout only stops a hang."""
    got: list = []
    deadline = time.monotonic() + timeout
    while not done(got):
        assert time.monotonic() < deadline, f"waited {timeout} s; got {kinds(got)}"
        got += connection.receive(0.05)
    return got


# --- the panes' tests: one pane alone in an app ---


class OnePaneApp(App):
    """One pane alone, shown `model_snapshot` once mounted; a subclass names the pane (PANE) and its CSS_PATH."""

    PANE: type

    def __init__(self, model_snapshot: ModelSnapshot) -> None:
        super().__init__()
        self.model_snapshot = model_snapshot

    def new_pane(self):
        return self.PANE()

    def compose(self) -> ComposeResult:
        yield self.new_pane()

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.cursor_blink = False  # a still cursor, so snapshots do not depend on when they are taken
        self.pane.show_snapshot(self.model_snapshot)

    @property
    def pane(self):
        return self.query_one(self.PANE)


def shown_before_mount(new_pane, model_snapshot: ModelSnapshot, css_path: Path) -> App:
    """An app whose one pane, made by `new_pane()`, is given `model_snapshot` before it is mounted."""

    class EarlyApp(App):
        CSS_PATH = css_path

        def compose(self) -> ComposeResult:
            pane = new_pane()
            pane.show_snapshot(model_snapshot)
            yield pane

    return EarlyApp()


def text_of(app: App, selector: str) -> str:
    """The text a Static or Label was last given."""
    return str(app.query_one(selector, Static).content)
