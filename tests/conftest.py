"""Fixtures shared by every test module."""

import json
from pathlib import Path

import pytest

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
